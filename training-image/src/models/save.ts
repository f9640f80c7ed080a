import { dataFingerprint, Manifest, MODEL_FILES, writeModelDir } from '../artifacts/modeldir';
import { DEFAULT_SAMPLER } from '../eval/search';
import { TrainOptions, TrainResult } from './train';

/** What a trained model directory records besides the {@link TrainResult}. */
export interface TrainedModelDirOptions {
  /** The target column. */
  readonly target: string;
  /** The seed the model was trained with (recorded in metrics.json). */
  readonly seed: number;
  /** The training data file (fingerprinted: sha256, size, path). */
  readonly data: string;
  /** Rows and columns read from it. */
  readonly rows: number;
  readonly cols: number;
  /** contract.yaml text, when the data was read with a contract. */
  readonly contractText?: string | null;
  /** The hyperparameter search asked for (its sampler is recorded in tuning.json). */
  readonly tune?: TrainOptions['tune'];
}

/**
 * Writes the model directory of a training run, atomically (see
 * writeModelDir): model.json, transforms.json, contract.yaml (when a contract
 * was used), metrics.json (holdout metrics, seed, timings, auto candidates),
 * feature_importance.json, fingerprint.json, profile.json (the training
 * distribution, for drift monitoring) and tuning.json (after a search). The
 * one layout of `mlops train` and the pipeline's train step.
 */
export function writeTrainedModelDir(out: string, r: TrainResult, o: TrainedModelDirOptions): Manifest {
  const tr = r.trained;
  return writeModelDir(out, {
    model: r.model,
    estimator: tr.estimator.name,
    task: tr.task,
    target: o.target,
    modelJson: tr.estimator.toJSON(),
    transforms: { features: tr.pipeline.toJSON(), target: tr.target },
    ...(o.contractText !== null && o.contractText !== undefined ? { contractYaml: o.contractText } : {}),
    metrics: { ...r.metrics, seed: o.seed, timings: r.timings, ...(r.candidates.length ? { candidates: r.candidates } : {}) },
    featureImportance: r.importance,
    fingerprint: dataFingerprint(o.data, o.rows, o.cols),
    extra: {
      [MODEL_FILES.profile]: r.profile,
      ...(r.search ? { [MODEL_FILES.tuning]: { sampler: o.tune?.sampler ?? DEFAULT_SAMPLER, trials: r.search.trials, best: r.search.best } } : {}),
    },
  });
}
