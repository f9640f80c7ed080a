import * as path from 'path';
import { MODEL_FILES, ModelDirError, readModelDir } from '../artifacts/modeldir';
import { writeFileAtomic } from '../core/atomic';
import { fmt, showKey, showList, showPath } from '../core/text';
import { contractReadTypes, parseContract } from '../data/contract';
import { formatCsv, readCsvFile } from '../data/csv';
import { DataError } from '../data/errors';
import { Frame, ReadAs, toFrame } from '../data/frame';
import { assertFinitePredictions, describeRows, NonFiniteError, TrainedModel } from './model';

/** The file an evaluation is written to by default, in the model directory (not part of the checksummed model). */
export const EVALUATION_FILE = 'evaluation.json';

/** A model directory loaded for scoring CSV files (`mlops predict`, `mlops evaluate`, the pipeline's predict step). */
export interface ScoringModel {
  /** The model directory, as given. */
  readonly dir: string;
  readonly model: TrainedModel;
  /**
   * How each column is read: the types of the model's data contract, then
   * the types its feature pipeline needs (numbers for numeric features, dates
   * for date features), so a cell that cannot be read is named with its row,
   * column and value.
   */
  readonly types: Readonly<Record<string, ReadAs>>;
  /** The raw columns the model reads. */
  readonly inputColumns: readonly string[];
  /** Load warnings (e.g. written by an older runtime). */
  readonly warnings: readonly string[];
}

/**
 * Loads a model directory for scoring tabular data. A forecast model is
 * refused with the command that scores it (`mlops forecast`): it predicts
 * from dates, not from rows of features.
 */
export function loadScoringModel(modelDir: string): ScoringModel {
  const d = readModelDir(modelDir);
  if ((d.manifest.task as string) === 'forecast')
    throw new ModelDirError(
      modelDir,
      'NOT_A_MODEL',
      'holds a forecast model (task forecast), which predicts from times, not from rows of features, so it cannot score a CSV of features. Fix: ask its endpoint for the times to forecast (`mlops serve --model <dir>`, instances with its time column), or give a regression or classification model.',
    );
  const { model } = TrainedModel.fromLoaded(modelDir, d);
  const state = model.pipeline.toJSON();
  const needed: Record<string, ReadAs> = Object.create(null) as Record<string, ReadAs>;
  for (const f of state.numeric) needed[f.source.column] ??= f.source.kind === 'date' ? 'datetime' : 'number';
  const contract = d.contractYaml ? contractReadTypes(parseContract(d.contractYaml, path.join(modelDir, MODEL_FILES.contract))) : {};
  return { dir: modelDir, model, types: { ...needed, ...contract }, inputColumns: state.inputColumns, warnings: d.warnings };
}

/**
 * Reads a CSV to score with `m`: with the column types the model was trained
 * with; a {@link DataError} names the file, then each cell that cannot be
 * read (row, column, value) and the fix.
 */
export function readScoringData(m: ScoringModel, dataPath: string): Frame {
  const table = readCsvFile(dataPath);
  const known = new Set(table.header);
  const types = Object.fromEntries(Object.entries(m.types).filter(([k]) => known.has(k)));
  try {
    return toFrame(table, types);
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    throw new DataError(
      `${showPath(dataPath)} cannot be scored: ${e.issues.length === 1 ? 'a cell does' : 'cells do'} not read as the type the model was trained with (listed below). Fix: correct those cells in ${showPath(dataPath)} (an empty cell is a missing value), then score again.`,
      e.issues,
    );
  }
}

/** Loads a model directory and reads a CSV with the column types the model was trained with (see {@link loadScoringModel}); `warn` gets the model's load warnings. */
export function loadModelAndData(modelDir: string, dataPath: string, warn: (line: string) => void = () => undefined): { model: TrainedModel; frame: Frame } {
  const m = loadScoringModel(modelDir);
  for (const w of m.warnings) warn(`warning: ${w}`);
  return { model: m.model, frame: readScoringData(m, dataPath) };
}

/** The predictions of one data file, as `mlops predict` and the predict step write them. */
export interface PredictionTable {
  /** The columns: the kept input columns, `prediction`, and for classification one `probability_<class>` per class. */
  readonly header: readonly string[];
  /** The CSV text (LF line ends). */
  readonly csv: string;
  readonly rows: number;
}

/**
 * Scores a frame read by {@link readScoringData} from `data` and formats the
 * predictions CSV: the `keep` input columns first (as read: datetimes in ISO
 * 8601 UTC), then `prediction` (the value, or the class label), then for
 * classification one `probability_<class>` column per class. Refused with a
 * {@link DataError} naming the file and the fix: a column the model reads or
 * a `keep` column missing from the data. A model that predicts NaN or
 * ±Infinity is an error naming `out` as not written.
 */
export function predictionTable(
  m: ScoringModel,
  frame: Frame,
  o: {
    /** The data file, for messages. */
    readonly data: string;
    /** Input columns copied into the output. */
    readonly keep: readonly string[];
    /** How the caller names the keep list, for messages (`--keep`, `params.keep`). */
    readonly keepOption: string;
    /** Where the CSV is going, for messages. */
    readonly out: string;
  },
): PredictionTable {
  const missing = m.inputColumns.filter((c) => !frame.has(c));
  if (missing.length)
    throw new DataError(
      `${showPath(o.data)} has no column${missing.length === 1 ? '' : 's'} ${showList(missing.map((c) => showKey(c)))}, which the model in '${showPath(m.dir)}' reads (it reads ${showList(m.inputColumns)}; the data has ${showList(frame.names)}). Fix: add ${missing.length === 1 ? 'the column' : 'the columns'} to the data (cells may be empty: missing values), or score with a model trained without ${missing.length === 1 ? 'it' : 'them'}.`,
      missing.map((c) => ({ code: 'MISSING_COLUMN' as const, column: c, message: `column ${showKey(c)} is read by the model but missing from ${showPath(o.data)}` })),
    );
  const absent = o.keep.filter((k) => !frame.has(k));
  if (absent.length)
    throw new DataError(
      `${showPath(o.data)} has no column${absent.length === 1 ? '' : 's'} ${showList(absent.map((c) => showKey(c)))} to keep (${o.keepOption}); its columns are ${showList(frame.names)}. Fix: remove ${absent.length === 1 ? 'it' : 'them'} from ${o.keepOption}, or add ${absent.length === 1 ? 'the column' : 'the columns'} to the data.`,
      absent.map((c) => ({ code: 'MISSING_COLUMN' as const, column: c, message: `column ${showKey(c)} (${o.keepOption}) is missing from ${showPath(o.data)}` })),
    );
  const { model } = m;
  const p = model.predictFrame(frame);
  try {
    assertFinitePredictions(p, model.estimator.name);
  } catch (e) {
    throw e instanceof NonFiniteError ? brokenModelError(m.dir, e, o.out) : e;
  }
  const header: string[] = [];
  const cols: (string | number)[][] = [];
  for (const k of o.keep) {
    const c = frame.column(k);
    header.push(k);
    cols.push(
      c.type === 'string'
        ? c.values.map((v) => v ?? '')
        : c.type === 'datetime'
          ? Array.from(c.values, (v) => (Number.isFinite(v) ? new Date(v).toISOString() : ''))
          : Array.from(c.values),
    );
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
  return { header, csv: formatCsv(header, cols), rows: frame.rows };
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
