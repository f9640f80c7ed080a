import * as path from 'path';
import { writeFileAtomic } from '../core/atomic';
import { EXIT, Io } from '../core/io';
import { showList, showPath } from '../core/text';
import { evaluateModelDir, EVALUATION_FILE, formatEvaluation, loadScoringModel, predictionTable, readScoringData } from '../models/score';
import { listOpt, optional, parse, required } from './io';
import { checkFileOutput } from './outputs';

/** Help text of `mlops evaluate`. */
export const EVALUATE_HELP = `Usage: mlops evaluate --model <model-dir> --data <csv> [--out <json>] [--json]

Scores a trained model on labelled data (the target column must be present)
and prints the metrics: RMSE, MAE, MAPE, R² for regression; ROC AUC,
accuracy, F1, log loss for classification. A metric that is not defined for
the data is left out with the reason (MAPE when a target value is 0, ROC AUC
when the rows hold one class). Also writes them as JSON to --out (default:
<model-dir>/evaluation.json, which is not part of the checksummed model).
--out must not be the data file, a folder, or inside a model directory (but
evaluation.json in --model), and its folder must be writable; this is checked
before anything is read. A model that predicts NaN or ±Infinity is an error.

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
one \`probability_<class>\` column per class. The output is written
atomically; --out must not be the data file, a folder, or inside a model
directory, and its folder must be writable: this is checked before anything
is read. A model that predicts NaN or ±Infinity is an error (nothing is written).

Options:
  --model <dir>   a model directory written by \`mlops train\`
  --data <csv>    the rows to score (the target column is not needed)
  --out <csv>     where to write the predictions
  --keep a,b      input columns to copy into the output (e.g. an id)
  --json          print a JSON summary
  -h, --help      show this help
`;

/** `mlops evaluate`. */
export async function evaluateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    io.out(EVALUATE_HELP);
    return EXIT.OK;
  }
  const modelDir = required(values, 'model');
  const dataPath = required(values, 'data');
  const out = optional(values, 'out') ?? path.join(modelDir, EVALUATION_FILE);
  checkFileOutput({
    flag: '--out',
    path: out,
    purpose: 'metrics JSON',
    example: EVALUATION_FILE,
    inputs: [
      { flag: '--data', path: dataPath },
      { flag: '--model', path: modelDir },
    ],
    allowInModel: { model: modelDir, file: EVALUATION_FILE },
  });
  const e = evaluateModelDir({ model: modelDir, data: dataPath, out, log: (l) => io.err(l) });
  io.out(values.json ? JSON.stringify(e.doc, null, 2) : formatEvaluation(e));
  return EXIT.OK;
}

/** `mlops predict`. */
export async function predictCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    keep: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.out(PREDICT_HELP);
    return EXIT.OK;
  }
  const modelDir = required(values, 'model');
  const dataPath = required(values, 'data');
  const outPath = required(values, 'out');
  const keep = listOpt(values, 'keep');
  checkFileOutput({
    flag: '--out',
    path: outPath,
    purpose: 'predictions CSV',
    example: 'predictions.csv',
    inputs: [
      { flag: '--data', path: dataPath },
      { flag: '--model', path: modelDir },
    ],
  });
  const t0 = Date.now();
  const m = loadScoringModel(modelDir);
  for (const w of m.warnings) io.err(`warning: ${w}`);
  const frame = readScoringData(m, dataPath);
  const { model } = m;
  io.err(`scoring ${frame.rows} rows with ${model.model} (${model.estimator.name})…`);
  const table = predictionTable(m, frame, { data: dataPath, keep, keepOption: '--keep', out: outPath });
  const header = table.header;
  writeFileAtomic(outPath, table.csv);
  const summary = { model: modelDir, data: dataPath, out: outPath, rows: frame.rows, task: model.task, columns: header, ms: Date.now() - t0 };
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  else io.out(`Predicted ${frame.rows} rows with ${model.model} (${model.task}) in ${summary.ms} ms; wrote ${showList(header)} to ${showPath(outPath)}`);
  return EXIT.OK;
}
