import * as fs from 'fs';
import * as path from 'path';
import { scratch } from '../core/job';
import { contractReadTypes, parseContract } from '../data/contract';
import { formatCsv } from '../data/csv';
import { readCsvFile } from '../data/csv';
import { Frame, toFrame } from '../data/frame';
import { TrainedModel } from '../models/model';
import { EXIT, fmt, Io, listOpt, optional, parse, required } from './io';

/** Help text of `mlops evaluate`. */
export const EVALUATE_HELP = `Usage: mlops evaluate --model <model-dir> --data <csv> [--out <json>] [--json]

Scores a trained model on labelled data (the target column must be present)
and prints the metrics: RMSE, MAE, MAPE, R² for regression; ROC AUC,
accuracy, F1, log loss for classification. Also writes them as JSON to --out
(default: <model-dir>/evaluation.json, which is not part of the checksummed model).

Options:
  --model <dir>   a model directory written by \`mlops train\`
  --data <csv>    labelled data
  --out <json>    where to write the metrics
  --json          print the metrics as JSON
  -h, --help      show this help
`;

/** Help text of `mlops predict`. */
export const PREDICT_HELP = `Usage: mlops predict --model <model-dir> --data <csv> --out <csv> [--keep a,b] [--json]

Applies a trained model (its saved feature transforms, then the estimator) to
new data and writes a CSV with a \`prediction\` column; for classification also
one \`probability_<class>\` column per class.

Options:
  --model <dir>   a model directory written by \`mlops train\`
  --data <csv>    the rows to score (the target column is not needed)
  --out <csv>     where to write the predictions
  --keep a,b      input columns to copy into the output (e.g. an id)
  --json          print a JSON summary
  -h, --help      show this help
`;

/** Loads a model and reads a CSV with the column types the model was trained with. */
function loadModelAndData(modelDir: string, dataPath: string, io: Io): { model: TrainedModel; frame: Frame } {
  const { model, dir } = TrainedModel.load(modelDir);
  for (const w of dir.warnings) io.err(`warning: ${w}`);
  const types = dir.contractYaml ? contractReadTypes(parseContract(dir.contractYaml, path.join(modelDir, 'contract.yaml'))) : {};
  const table = readCsvFile(dataPath);
  const known = new Set(table.header);
  const t = Object.fromEntries(Object.entries(types).filter(([k]) => known.has(k)));
  return { model, frame: toFrame(table, t) };
}

/** `mlops evaluate`. */
export async function evaluateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    io.out(EVALUATE_HELP);
    return EXIT.OK;
  }
  const modelDir = required(values, 'model');
  const dataPath = required(values, 'data');
  const t0 = Date.now();
  const { model, frame } = loadModelAndData(modelDir, dataPath, io);
  io.err(`scoring ${frame.rows} rows with ${model.model} (${model.estimator.name})…`);
  const metrics = model.evaluate(frame);
  const out = optional(values, 'out') ?? path.join(modelDir, 'evaluation.json');
  const doc = { model: modelDir, data: dataPath, rows: frame.rows, task: model.task, target: model.target.column, metrics };
  fs.writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
  if (values.json) io.out(JSON.stringify(doc, null, 2));
  else io.out([`Evaluated ${model.model} on ${frame.rows} rows of ${dataPath} (${model.task}, target '${model.target.column}') in ${Date.now() - t0} ms:`, ...Object.entries(metrics).map(([k, v]) => `  ${k.padEnd(9)} ${fmt(v)}`), `Metrics written to ${out}`].join('\n'));
  return EXIT.OK;
}

/** `mlops predict`. */
export async function predictCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, keep: { type: 'string', multiple: true }, json: { type: 'boolean' } });
  if (values.help) {
    io.out(PREDICT_HELP);
    return EXIT.OK;
  }
  const modelDir = required(values, 'model');
  const dataPath = required(values, 'data');
  const outPath = required(values, 'out');
  const keep = listOpt(values, 'keep');
  const t0 = Date.now();
  const { model, frame } = loadModelAndData(modelDir, dataPath, io);
  for (const k of keep) frame.column(k);
  io.err(`scoring ${frame.rows} rows with ${model.model} (${model.estimator.name})…`);
  const p = model.predictFrame(frame);
  const header: string[] = [];
  const cols: (string | number)[][] = [];
  for (const k of keep) {
    const c = frame.column(k);
    header.push(k);
    cols.push(c.type === 'string' ? c.values.map((v) => v ?? '') : c.type === 'datetime' ? Array.from(c.values, (v) => (Number.isFinite(v) ? new Date(v).toISOString() : '')) : Array.from(c.values));
  }
  header.push('prediction');
  if (p.values) cols.push(Array.from(p.values));
  else {
    cols.push([...p.labels!]);
    p.classLabels!.forEach((label, c) => {
      header.push(`probability_${label}`);
      cols.push(Array.from({ length: p.proba!.rows }, (_, r) => p.proba!.data[r * p.proba!.cols + c]!));
    });
  }
  const tmp = `${outPath}.tmp-${process.pid}`;
  const releaseTmp = scratch(tmp);
  fs.writeFileSync(tmp, formatCsv(header, cols));
  fs.renameSync(tmp, outPath);
  releaseTmp();
  const summary = { model: modelDir, data: dataPath, out: outPath, rows: frame.rows, task: model.task, columns: header, ms: Date.now() - t0 };
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  else io.out(`Predicted ${frame.rows} rows with ${model.model} (${model.task}) in ${summary.ms} ms; wrote ${header.join(', ')} to ${outPath}`);
  return EXIT.OK;
}
