import { Estimator } from '../core/estimator';
import { Matrix } from '../core/matrix';
import { Frame } from '../data/frame';
import { classificationMetrics, regressionMetrics } from '../eval/metrics';
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
    if (!isClassifier(this.estimator)) throw new Error(`${this.estimator.name} has no predictProba; it cannot be used for classification.`);
    const raw = this.estimator.predictProba(X);
    const labels = this.target.labels!;
    // Map the estimator's class columns (class indices) onto all labels.
    const k = labels.length;
    const data = new Float64Array(raw.rows * k);
    const cls = this.estimator.classes;
    for (let r = 0; r < raw.rows; r++) for (let c = 0; c < cls.length; c++) data[r * k + cls[c]!] = raw.data[r * raw.cols + c]!;
    const proba: Matrix = { rows: raw.rows, cols: k, data };
    const out: string[] = new Array(raw.rows);
    for (let r = 0; r < raw.rows; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (data[r * k + c]! > data[r * k + best]!) best = c;
      out[r] = labels[best]!;
    }
    return { values: null, labels: out, proba, classLabels: labels };
  }

  /** Metrics on a frame that has the target column. */
  evaluate(frame: Frame): Record<string, number> {
    const y = encodeTarget(frame.column(this.target.column), this.target);
    const { X } = this.pipeline.transform(frame);
    return this.metricsFor(X, y);
  }

  /** Metrics on transformed features and encoded target. */
  metricsFor(X: Matrix, y: Float64Array): Record<string, number> {
    const p = this.predictMatrix(X);
    return this.target.task === 'regression' ? regressionMetrics(y, p.values!) : classificationMetrics(y, p.proba!);
  }

  /** Loads and verifies a model directory (see {@link readModelDir}). */
  static load(dir: string): { model: TrainedModel; dir: LoadedModelDir } {
    const d = readModelDir(dir);
    const tr = d.transforms as { features?: unknown; target?: TargetState };
    if (!tr || !tr.features || !tr.target) throw new ModelDirError(dir, 'CORRUPTED', 'has a transforms.json without features/target.');
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
