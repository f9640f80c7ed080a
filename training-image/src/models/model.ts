import { Estimator } from '../core/estimator';
import { Matrix } from '../core/matrix';
import { Frame } from '../data/frame';
import { classificationScores, r2, regressionScores, rocAucOvr, Scores } from '../eval/metrics';
import { FeaturePipeline } from '../features/pipeline';
import { encodeTarget, TargetState } from '../features/target';
import { readModelDir, LoadedModelDir, ModelDirError } from '../artifacts/modeldir';
import { catalogEntry, isClassifier } from './catalog';

/** Predictions for a frame: values (regression) or labels plus class probabilities (classification). */
export interface Predictions {
  /** Regression: predicted values. */
  readonly values: Float64Array | null;
  /** Classification: predicted class labels. */
  readonly labels: readonly string[] | null;
  /** Classification: probabilities, rows × classes (class order = `classLabels`). */
  readonly proba: Matrix | null;
  /** Classification: class labels in probability-column order. */
  readonly classLabels: readonly string[] | null;
}

/**
 * A trained model as used for scoring: the fitted feature pipeline, target
 * encoding and estimator together. Everything a model directory holds.
 */
export class TrainedModel {
  constructor(
    /** Catalog model name. */
    public readonly model: string,
    public readonly estimator: Estimator,
    public readonly pipeline: FeaturePipeline,
    public readonly target: TargetState,
  ) {}

  /** The task. */
  get task(): TargetState['task'] {
    return this.target.task;
  }

  /** Transforms a frame and predicts. */
  predictFrame(frame: Frame): Predictions {
    const { X } = this.pipeline.transform(frame);
    return this.predictMatrix(X);
  }

  /** Predicts from already-transformed features. */
  predictMatrix(X: Matrix): Predictions {
    if (this.target.task === 'regression') return { values: this.estimator.predict(X), labels: null, proba: null, classLabels: null };
    const proba = this.probaMatrix(X);
    const labels = this.target.labels!;
    const k = labels.length;
    const data = proba.data;
    const out: string[] = new Array(proba.rows);
    for (let r = 0; r < proba.rows; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (data[r * k + c]! > data[r * k + best]!) best = c;
      out[r] = labels[best]!;
    }
    return { values: null, labels: out, proba, classLabels: labels };
  }

  /** Classification: the class probabilities from already-transformed features, rows × all labels (in `target.labels` order). */
  probaMatrix(X: Matrix): Matrix {
    if (!isClassifier(this.estimator)) throw new Error(`${this.estimator.name} has no predictProba; it cannot be used for classification.`);
    const raw = this.estimator.predictProba(X);
    // Map the estimator's class columns (class indices) onto all labels.
    const k = this.target.labels!.length;
    const data = new Float64Array(raw.rows * k);
    const cls = this.estimator.classes;
    for (let r = 0; r < raw.rows; r++) for (let c = 0; c < cls.length; c++) data[r * k + cls[c]!] = raw.data[r * raw.cols + c]!;
    return { rows: raw.rows, cols: k, data };
  }

  /**
   * One metric on transformed features and encoded target — R² (regression)
   * or ROC AUC (classification; NaN when the rows hold one class) — the value
   * {@link scoresFor} gives it, without the other metrics or the predicted
   * labels (permutation importance scores the model this way many times).
   * Throws {@link NonFiniteError} as {@link scoresFor} does.
   */
  scoreFor(X: Matrix, y: Float64Array, metric: 'r2' | 'roc_auc'): number {
    if (metric !== (this.target.task === 'regression' ? 'r2' : 'roc_auc')) throw new Error(`scoreFor: ${metric} is not a ${this.target.task} score here`);
    if (this.target.task === 'regression') {
      const values = this.estimator.predict(X);
      assertFinitePredictions({ values, labels: null, proba: null, classLabels: null }, this.estimator.name);
      return r2(y, values);
    }
    const proba = this.probaMatrix(X);
    assertFinitePredictions({ values: null, labels: null, proba, classLabels: this.target.labels }, this.estimator.name);
    try {
      return rocAucOvr(y, proba);
    } catch {
      return NaN;
    }
  }

  /** Metrics on a frame that has the target column (those defined for it; see {@link scoresFor}). */
  evaluate(frame: Frame): Record<string, number> {
    return this.evaluateScores(frame).metrics;
  }

  /** Metrics on a frame that has the target column, with the ones not defined for it (MAPE on a target with zeros) and why. */
  evaluateScores(frame: Frame): Scores<string> {
    const y = encodeTarget(frame.column(this.target.column), this.target);
    const { X } = this.pipeline.transform(frame);
    return this.scoresFor(X, y);
  }

  /** Metrics on transformed features and encoded target (those defined for it). */
  metricsFor(X: Matrix, y: Float64Array): Record<string, number> {
    return this.scoresFor(X, y).metrics;
  }

  /**
   * Metrics on transformed features and encoded target, with the ones not
   * defined and why. Throws {@link NonFiniteError} when the model predicts NaN
   * or ±Infinity: its metrics would be NaN, which no comparison catches.
   */
  scoresFor(X: Matrix, y: Float64Array): Scores<string> {
    const p = this.predictMatrix(X);
    assertFinitePredictions(p, this.estimator.name);
    const s = this.target.task === 'regression' ? regressionScores(y, p.values!) : classificationScores(y, p.proba!);
    const bad = Object.entries(s.metrics).filter(([, v]) => !Number.isFinite(v));
    if (bad.length)
      throw new Error(
        `${this.estimator.name}: the metrics ${bad.map(([k, v]) => `${k} ${v}`).join(', ')} are not finite: the predictions are too large to score (a diverged fit?). Retrain with other hyperparameters or scaled features.`,
      );
    return s;
  }

  /** Loads and verifies a model directory (see {@link readModelDir}). */
  static load(dir: string): { model: TrainedModel; dir: LoadedModelDir } {
    const d = readModelDir(dir);
    return { model: TrainedModel.fromLoaded(dir, d).model, dir: d };
  }

  /** A model from a model directory already read and verified by {@link readModelDir}. */
  static fromLoaded(dir: string, d: LoadedModelDir): { model: TrainedModel; dir: LoadedModelDir } {
    const tr = d.transforms as { features?: unknown; target?: TargetState };
    if (!tr?.features || !tr.target) throw new ModelDirError(dir, 'CORRUPTED', 'has a transforms.json without features/target.');
    let estimator: Estimator;
    try {
      estimator = catalogEntry(d.model.model).fromJSON(tr.target.task, d.model.state);
    } catch (e) {
      throw new ModelDirError(dir, 'CORRUPTED', `has a model.json this runtime cannot load: ${(e as Error).message}`);
    }
    const pipeline = FeaturePipeline.fromJSON(tr.features);
    return { model: new TrainedModel(d.model.model, estimator, pipeline, tr.target), dir: d };
  }
}

/** Thrown when a model predicts NaN or ±Infinity (a diverged fit, a broken model file): such predictions are never written or scored. */
export class NonFiniteError extends Error {
  constructor(
    /** The estimator, e.g. `HistGradientBoostingRegressor`. */
    public readonly estimator: string,
    /** How many rows have a non-finite prediction (or probability). */
    public readonly count: number,
    /** Rows predicted. */
    public readonly total: number,
    /** The first non-finite value (NaN, Infinity or -Infinity). */
    public readonly sample: number,
    /** The first rows (1-based) with a non-finite prediction. */
    public readonly rows: readonly number[],
  ) {
    super(`${estimator}: ${count} of ${total} predictions are not finite (${sample}), in ${describeRows(rows, count)}.`);
    this.name = 'NonFiniteError';
  }
}

/** Throws {@link NonFiniteError} naming the first rows when any prediction or class probability is NaN or ±Infinity. */
export function assertFinitePredictions(p: Predictions, estimator: string): void {
  const bad: number[] = [];
  let count = 0,
    first = NaN;
  const note = (r: number, v: number): void => {
    if (count === 0) first = v;
    count++;
    if (bad.length < 5) bad.push(r + 1);
  };
  if (p.values) {
    for (let r = 0; r < p.values.length; r++) if (!Number.isFinite(p.values[r]!)) note(r, p.values[r]!);
  } else if (p.proba) {
    const { rows, cols, data } = p.proba;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        if (!Number.isFinite(data[r * cols + c]!)) {
          note(r, data[r * cols + c]!);
          break;
        }
      }
    }
  }
  if (count === 0) return;
  throw new NonFiniteError(estimator, count, p.values ? p.values.length : p.proba!.rows, first, bad);
}

/** `row 4`, `rows 4, 5 and 8`, `rows 4, 5, 8, 9, 10 and 48 more`. */
export function describeRows(rows: readonly number[], count: number, noun = 'row'): string {
  if (rows.length === 1 && count === 1) return `${noun} ${rows[0]}`;
  const more = count - rows.length;
  return more > 0 ? `${noun}s ${rows.join(', ')} and ${more} more` : `${noun}s ${rows.slice(0, -1).join(', ')} and ${rows[rows.length - 1]}`;
}
