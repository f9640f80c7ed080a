import * as path from 'path';
import { MODEL_FILES } from '../artifacts/modeldir';
import { writeFileAtomic } from '../core/atomic';
import { fmt, showKey, showPath } from '../core/text';
import { contractReadTypes, parseContract } from '../data/contract';
import { readCsvFile } from '../data/csv';
import { Frame, toFrame } from '../data/frame';
import { describeRows, NonFiniteError, TrainedModel } from './model';

/** The file an evaluation is written to by default, in the model directory (not part of the checksummed model). */
export const EVALUATION_FILE = 'evaluation.json';

/** Loads a model directory and reads a CSV with the column types the model was trained with (its contract's); `warn` gets the model's load warnings. */
export function loadModelAndData(modelDir: string, dataPath: string, warn: (line: string) => void = () => undefined): { model: TrainedModel; frame: Frame } {
  const { model, dir } = TrainedModel.load(modelDir);
  for (const w of dir.warnings) warn(`warning: ${w}`);
  const types = dir.contractYaml ? contractReadTypes(parseContract(dir.contractYaml, path.join(modelDir, MODEL_FILES.contract))) : {};
  const table = readCsvFile(dataPath);
  const known = new Set(table.header);
  const t = Object.fromEntries(Object.entries(types).filter(([k]) => known.has(k)));
  return { model, frame: toFrame(table, t) };
}

/** A model that predicts NaN or ±Infinity: which model, which rows, and that nothing was written to `out`. */
export function brokenModelError(modelDir: string, e: NonFiniteError, out: string): Error {
  const err = new Error(
    `The model in '${showPath(modelDir)}' is broken: ${e.count} of its ${e.total} predictions are not finite (${e.sample}), in ${describeRows(e.rows, e.count, 'data row')}. Nothing was written to '${showPath(out)}'. ` +
      'Fix: retrain the model (this runtime refuses to write a model whose fit diverged; a model written by an older one may be unusable), or check those rows for extreme feature values.',
  );
  err.name = 'BrokenModelError';
  return err;
}

/** The metrics document an evaluation writes (evaluation.json) and `mlops evaluate --json` prints. */
export interface EvaluationDoc {
  /** The model directory. */
  readonly model: string;
  /** The labelled data file. */
  readonly data: string;
  readonly rows: number;
  readonly task: string;
  readonly target: string;
  readonly metrics: Readonly<Record<string, number>>;
  /** Metrics left out, with the reason (e.g. MAPE when a target value is 0). */
  readonly notDefined?: Readonly<Record<string, string>>;
}

/** What {@link evaluateModelDir} did. */
export interface Evaluation {
  readonly doc: EvaluationDoc;
  /** Catalog name of the model evaluated. */
  readonly modelName: string;
  /** Where the document was written. */
  readonly out: string;
  readonly ms: number;
}

/**
 * Scores a model directory on labelled data and writes the metrics document
 * atomically to `out` (default: `<model>/evaluation.json`). A model that
 * predicts NaN or ±Infinity is an error, and nothing is written. `log` gets
 * progress lines and load warnings.
 */
export function evaluateModelDir(o: { readonly model: string; readonly data: string; readonly out?: string; readonly log?: (line: string) => void }): Evaluation {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const out = o.out ?? path.join(o.model, EVALUATION_FILE);
  const { model, frame } = loadModelAndData(o.model, o.data, log);
  log(`scoring ${frame.rows} rows with ${model.model} (${model.estimator.name})…`);
  let scores;
  try {
    scores = model.evaluateScores(frame);
  } catch (e) {
    throw e instanceof NonFiniteError ? brokenModelError(o.model, e, out) : e;
  }
  const { metrics, notDefined } = scores;
  const doc: EvaluationDoc = {
    model: o.model,
    data: o.data,
    rows: frame.rows,
    task: model.task,
    target: model.target.column,
    metrics,
    ...(Object.keys(notDefined).length ? { notDefined } : {}),
  };
  writeFileAtomic(out, JSON.stringify(doc, null, 2) + '\n');
  return { doc, modelName: model.model, out, ms: Date.now() - t0 };
}

/** An evaluation for people: the metrics, one a line, and where they were written. */
export function formatEvaluation(e: Evaluation): string {
  const d = e.doc;
  return [
    `Evaluated ${e.modelName} on ${d.rows} rows of ${showPath(d.data)} (${d.task}, target ${showKey(d.target)}) in ${e.ms} ms:`,
    ...Object.entries(d.metrics).map(([k, v]) => `  ${k.padEnd(9)} ${fmt(v)}`),
    ...Object.entries(d.notDefined ?? {}).map(([k, why]) => `  ${k.padEnd(9)} not defined: ${why}`),
    `Metrics written to ${showPath(e.out)}`,
  ].join('\n');
}
