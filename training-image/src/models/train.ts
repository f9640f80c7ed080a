import { Estimator } from '../core/estimator';
import { Matrix, take } from '../core/matrix';
import { Contract, contractCategoricals } from '../data/contract';
import { Frame } from '../data/frame';
import { Fold, trainTestSplit } from '../eval/cv';
import { modelImportances, permutationImportance } from '../eval/importance';
import { GREATER_IS_BETTER, MetricName } from '../eval/metrics';
import { hyperparameterSearch, Sampler, SearchResult, TrialParams } from '../eval/search';
import { FeatureConfig, FeaturePipeline } from '../features/pipeline';
import { thresholdCurve, thresholdPoint } from '../eval/threshold';
import { encodeTarget, fitTarget, inferTask, Task } from '../features/target';
import { autoCandidates, catalogEntry, ConcreteModel, createEstimator, ModelName, MODEL_NAMES } from './catalog';
import { assertFinitePredictions, NonFiniteError, TrainedModel } from './model';
import { cut, show, showKey } from '../core/text';
import { DataError } from '../data/errors';
import { DataProfile, profileFrame } from './profile';

/** How feature importance is measured: permutation on the holdout (the default), the model's own importances only, or not at all. */
export const IMPORTANCE_KINDS = ['permutation', 'model', 'none'] as const;

/** A way of measuring feature importance. */
export type ImportanceKind = (typeof IMPORTANCE_KINDS)[number];

/**
 * The defaults of a training run: trainModel's, and those `mlops train`, the
 * training contracts and the pipeline's train step apply and record.
 * `importance` and `refit` are the two costs beyond the fit that a run may
 * skip (issue 17): permutation importance on the holdout, and the final
 * refit on all rows after the holdout fit.
 */
export const TRAIN_DEFAULTS = { model: 'auto', seed: 0, holdout: 0.2, importance: 'permutation', refit: true } as const;

/** The accepted range of the seed (the seeded estimators' `randomState`) and of the holdout fraction, wherever a training run is configured. */
export const TRAIN_BOUNDS = { seed: { integer: true, min: 0, max: 0xffffffff }, holdout: { min: 0, max: 0.9 } } as const;

/** What to train. */
export interface TrainOptions {
  readonly frame: Frame;
  readonly target: string;
  /** @default inferred from the target column */
  readonly task?: Task;
  /** @default 'auto' */
  readonly model?: ModelName;
  /** Estimator hyperparameters (validated by the estimator). */
  readonly params?: Record<string, unknown>;
  /** Seed for splits, search and seeded models. @default 0 */
  readonly seed?: number;
  /** Feature pipeline settings on top of the model's defaults. */
  readonly features?: FeatureConfig;
  /** Fraction of rows held out to measure metrics (0 = none). Time-ordered when `features.time` is set; stratified for classification. @default 0.2 */
  readonly holdout?: number;
  /** Hyperparameter search: trial budget and sampler. */
  readonly tune?: { readonly trials: number; readonly sampler: Sampler };
  /** Feature importance: permutation on the holdout, the model's own only, or none. @default 'permutation' */
  readonly importance?: ImportanceKind;
  /**
   * Refit the chosen model on all rows after the holdout fit; false keeps the
   * model fitted on the training part of the holdout split (its holdout
   * metrics are then exactly its own), saving one fit. @default true
   */
  readonly refit?: boolean;
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

/**
 * The feature settings of a training run: `base` (command-line options or a
 * pipeline step's `features`) with the contract's category columns (but the
 * target) added to `categorical`. `exclude` and `categorical` are always
 * present, so the same settings are stored the same way (transforms.json)
 * whichever way the model was trained.
 */
export function trainingFeatures(base: FeatureConfig, contract: Contract | null, target: string): FeatureConfig {
  const { exclude, categorical, ...rest } = base;
  return {
    exclude: [...(exclude ?? [])],
    categorical: [...new Set([...(categorical ?? []), ...(contract ? contractCategoricals(contract).filter((c) => c !== target) : [])])],
    ...rest,
  };
}

/** Importance of each feature. */
export interface FeatureImportance {
  readonly features: readonly string[];
  /** The model's own importances, if it has them. */
  readonly model: readonly number[] | null;
  /** Permutation importance on the holdout (mean score drop), if there is a holdout. */
  readonly permutation: { readonly mean: readonly number[]; readonly std: readonly number[]; readonly metric: MetricName } | null;
}

/** What training produced. */
export interface TrainResult {
  readonly trained: TrainedModel;
  /** The concrete model chosen. */
  readonly model: ConcreteModel;
  readonly params: Record<string, unknown>;
  /** Holdout metrics (the final model is refitted on all rows). */
  readonly metrics: Record<string, unknown>;
  readonly importance: FeatureImportance;
  readonly search: SearchResult | null;
  /** auto: holdout score per candidate. */
  readonly candidates: readonly { model: ConcreteModel; score: number; error?: string }[];
  /**
   * Wall time (ms) per step: `select_ms` (target, split, model choice),
   * `tune_ms`, `holdout_ms` (the holdout fit and its metrics), `importance_ms`,
   * `fit_ms` (the final model: the refit on all rows, or with refit false its
   * check), `model_fit_ms` (the returned model's own feature encoding and
   * estimator fit: inside `fit_ms`, or inside `holdout_ms` with refit false),
   * `profile_ms` and `total_ms`.
   */
  readonly timings: Record<string, number>;
  /** Training distribution of the raw input columns (profile.json), for drift monitoring. */
  readonly profile: DataProfile;
  /** What the run skipped or did differently from the defaults, one sentence each, for the summary (empty when nothing). */
  readonly notes: readonly string[];
}

/** The metric used to compare models/trials (lower is better after sign). */
export function selectionMetric(task: Task): MetricName {
  return task === 'regression' ? 'rmse' : 'log_loss';
}

function lossOf(metrics: Record<string, number>, m: MetricName): number {
  const v = metrics[m]!;
  return GREATER_IS_BETTER[m] ? -v : v;
}

/** Time-ordered holdout: the last `fraction` rows by the time column. */
function timeHoldout(frame: Frame, time: string, fraction: number): Fold {
  const col = frame.column(time);
  if (col.type === 'string') throw new Error(`time column '${time}' must be a datetime or number column.`);
  const idx = Array.from({ length: frame.rows }, (_, i) => i).sort((a, b) => col.values[a]! - col.values[b]! || a - b);
  const nTest = Math.max(1, Math.round(frame.rows * fraction));
  return { train: Uint32Array.from(idx.slice(0, frame.rows - nTest)).sort(), test: Uint32Array.from(idx.slice(frame.rows - nTest)).sort() };
}

/**
 * Trains a model end to end: target encoding, feature pipeline, optional
 * model selection (`auto`) and hyperparameter search on a holdout, holdout
 * metrics and importances, then a final refit on all rows.
 */
export function trainModel(o: TrainOptions): TrainResult {
  const log = o.log ?? (() => undefined);
  const seed = o.seed ?? TRAIN_DEFAULTS.seed;
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const modelName = o.model ?? TRAIN_DEFAULTS.model;
  if (!MODEL_NAMES.includes(modelName)) throw new Error(`Unknown model ${show(modelName)}. Accepted: ${MODEL_NAMES.join(', ')}.`);
  const targetCol = o.frame.column(o.target);
  const holdout = o.holdout ?? TRAIN_DEFAULTS.holdout;
  if (!(holdout >= 0 && holdout < 1)) throw new Error(`holdout must be in [0, 1). Got ${holdout}.`);
  const importanceKind = o.importance ?? TRAIN_DEFAULTS.importance;
  if (!IMPORTANCE_KINDS.includes(importanceKind)) throw new Error(`importance must be one of ${IMPORTANCE_KINDS.join(', ')}. Got ${show(importanceKind)}.`);
  const refit = o.refit ?? TRAIN_DEFAULTS.refit;
  if (typeof refit !== 'boolean') throw new Error(`refit must be a boolean. Got ${show(refit)}.`);
  if (!refit && holdout === 0)
    throw new Error('refit false keeps the model fitted on the training part of the holdout split, and holdout 0 makes none; use a holdout > 0 or refit.');
  const notes: string[] = [];
  checkRows(o.frame.rows, holdout);
  const task = o.task ?? inferTask(targetCol);
  const target = fitTarget(targetCol, task);
  const y = encodeTarget(targetCol, target);
  let split: Fold | null = null;
  if (holdout > 0) {
    split = o.features?.time
      ? timeHoldout(o.frame, o.features.time, holdout)
      : trainTestSplit(o.frame.rows, holdout, { seed, stratify: task === 'classification' ? y : undefined });
    checkSplit(o.frame.rows, holdout, split, task);
  }
  const metric = selectionMetric(task);

  // Features are fitted on the training part only, so holdout scores are honest.
  const makePipeline = (m: ConcreteModel): FeaturePipeline => new FeaturePipeline({ ...catalogEntry(m).features, ...o.features }, o.target);
  const holdoutFit = (
    m: ConcreteModel,
    params: Record<string, unknown>,
  ): {
    est: Estimator;
    pipe: FeaturePipeline;
    Xtr: Matrix;
    Xte: Matrix;
    yte: Float64Array;
    metrics: Record<string, number>;
    notDefined: Readonly<Record<string, string>>;
    fitMs: number;
  } => {
    const pipe = makePipeline(m);
    const trainFrame = o.frame.take(split!.train);
    const testFrame = o.frame.take(split!.test);
    const ytr = take(y, split!.train),
      yte = take(y, split!.test);
    // The model's own fit: its features encoded, the estimator fitted (model_fit_ms when it is the final model).
    const tf = performance.now();
    const Xtr = pipe.fitTransform(trainFrame).X;
    const est = createEstimator(m, task, params, seed).fit(Xtr, ytr);
    const fitMs = performance.now() - tf;
    const Xte = pipe.transform(testFrame).X;
    let scores;
    try {
      scores = new TrainedModel(m, est, pipe, target).scoresFor(Xte, yte);
    } catch (e) {
      throw e instanceof NonFiniteError ? diverged(m, params, e, `on the ${split!.test.length} holdout rows`) : e;
    }
    return { est, pipe, Xtr, Xte, yte, metrics: scores.metrics, notDefined: scores.notDefined, fitMs };
  };

  let chosen: ConcreteModel;
  const candidates: { model: ConcreteModel; score: number; error?: string }[] = [];
  if (modelName === 'auto') {
    if (!split) throw new Error(`--model auto compares models on a holdout; holdout must be > 0.`);
    for (const m of autoCandidates(task)) {
      const t = Date.now();
      try {
        const r = holdoutFit(m, {});
        candidates.push({ model: m, score: r.metrics[metric]! });
        log(`auto: ${m} holdout ${metric} ${fmt(r.metrics[metric]!)} (${Date.now() - t} ms)`);
      } catch (e) {
        candidates.push({ model: m, score: Infinity, error: (e as Error).message });
        log(`auto: ${m} skipped: ${(e as Error).message}`);
      }
    }
    const ok = candidates.filter((c) => Number.isFinite(c.score));
    if (!ok.length) throw new Error(`--model auto: no candidate model could be trained (${candidates.map((c) => `${c.model}: ${c.error}`).join('; ')}).`);
    chosen = ok.sort((a, b) => (GREATER_IS_BETTER[metric] ? b.score - a.score : a.score - b.score))[0]!.model;
    log(`auto: chose ${chosen}`);
  } else {
    chosen = modelName;
    catalogEntry(chosen);
    if (!catalogEntry(chosen).tasks.includes(task))
      throw new Error(`Model '${chosen}' does not do ${task}; it does ${catalogEntry(chosen).tasks.join(' and ')}. Pick another --model or --task.`);
  }
  timings.select_ms = Date.now() - t0;

  let params: Record<string, unknown> = { ...o.params };
  let search: SearchResult | null = null;
  if (o.tune) {
    if (!split) throw new Error('Tuning needs a holdout (holdout > 0).');
    const t = Date.now();
    const space = { ...catalogEntry(chosen).space };
    for (const k of Object.keys(params)) delete (space as Record<string, unknown>)[k];
    if (!Object.keys(space).length) throw new Error(`Nothing to tune for ${chosen}: every parameter of its search space is fixed by --params.`);
    search = hyperparameterSearch((tp: TrialParams) => lossOf(holdoutFit(chosen, { ...params, ...tp }).metrics, metric), space, {
      nTrials: o.tune.trials,
      sampler: o.tune.sampler,
      seed,
      onTrial: (tr, best) =>
        log(
          `trial ${tr.number + 1}/${o.tune!.trials} ${metric}=${tr.error ? `failed (${tr.error})` : fmt(Math.abs(tr.value))} ${cut(JSON.stringify(tr.params), 300)} best=${fmt(Math.abs(best.value))} (${tr.durationMs} ms)`,
        ),
    });
    params = { ...params, ...search.best.params };
    timings.tune_ms = Date.now() - t;
  }

  let metrics: Record<string, unknown> = { task, model: chosen };
  let importance: FeatureImportance;
  let kept: ReturnType<typeof holdoutFit> | null = null;
  if (split) {
    const t = Date.now();
    log(`fitting ${chosen} on ${split.train.length} rows, scoring ${split.test.length} holdout rows…`);
    const r = holdoutFit(chosen, params);
    kept = r;
    timings.holdout_ms = Date.now() - t;
    const notDefined = Object.keys(r.notDefined).length ? { notDefined: r.notDefined } : {};
    metrics = {
      task,
      model: chosen,
      holdout: {
        rows: split.test.length,
        fraction: holdout,
        split: o.features?.time ? 'time-ordered' : task === 'classification' ? 'stratified' : 'random',
        ...r.metrics,
        ...notDefined,
      },
    };
    log(
      `holdout: ${Object.entries(r.metrics)
        .map(([k, v]) => `${k}=${fmt(v)}`)
        .join(' ')}`,
    );
    for (const [k, why] of Object.entries(r.notDefined)) log(`holdout: ${k} not defined: ${why}`);
    if (task === 'classification' && target.labels?.length === 2) {
      // The F1-optimal decision threshold, chosen on the holdout probabilities (never on data scored later).
      const pr = new TrainedModel(chosen, r.est, r.pipe, target).predictMatrix(r.Xte).proba!;
      const pPos = new Float64Array(pr.rows);
      for (let i = 0; i < pr.rows; i++) pPos[i] = pr.data[i * pr.cols + 1]!;
      const best = thresholdCurve(r.yte, pPos).best;
      const at = thresholdPoint(r.yte, pPos, best.value);
      metrics = {
        ...metrics,
        decisionThreshold: {
          value: best.value,
          metric: 'f1',
          f1: at.f1,
          precision: at.precision,
          recall: at.recall,
          positiveLabel: target.labels[1],
          chosenOn: 'holdout',
          rows: split.test.length,
        },
      };
      log(`holdout: F1-optimal decision threshold ${best.value} (f1=${fmt(at.f1)} precision=${fmt(at.precision)} recall=${fmt(at.recall)})`);
    }
    if (importanceKind === 'permutation') {
      const t2 = Date.now();
      const scoreMetric = task === 'regression' ? 'r2' : 'roc_auc';
      const tm = new TrainedModel(chosen, r.est, r.pipe, target);
      const pi = permutationImportance(
        r.est,
        r.Xte,
        r.yte,
        (yt, _m, X) => {
          const v = tm.scoreFor(X, yt, scoreMetric);
          return Number.isFinite(v) ? v : 0;
        },
        { seed, nRepeats: 3, maxSamples: 5000 },
      );
      timings.importance_ms = Date.now() - t2;
      importance = { features: r.pipe.featureNames, model: null, permutation: { mean: Array.from(pi.mean), std: Array.from(pi.std), metric: scoreMetric } };
    } else {
      importance = { features: r.pipe.featureNames, model: null, permutation: null };
    }
  } else {
    importance = { features: [], model: null, permutation: null };
  }
  if (!split) notes.push(`no holdout (holdout 0): no holdout metrics and no permutation importance; the model is fitted on all ${o.frame.rows} rows`);
  if (importanceKind !== 'permutation' && split) {
    notes.push(
      importanceKind === 'model'
        ? "permutation importance skipped (importance 'model'): feature_importance.json holds the model's own importances only"
        : "feature importance skipped (importance 'none'): feature_importance.json holds none",
    );
  }

  const t3 = Date.now();
  let pipe: FeaturePipeline;
  let est: Estimator;
  let fitRows: number;
  let modelFitMs: number;
  if (!refit && kept) {
    // The holdout fit is the final model: no second fit on all rows.
    ({ pipe, est } = kept);
    fitRows = kept.Xtr.rows;
    modelFitMs = kept.fitMs;
    try {
      assertFinitePredictions(new TrainedModel(chosen, est, pipe, target).predictMatrix(kept.Xtr), est.name);
    } catch (e) {
      throw e instanceof NonFiniteError ? diverged(chosen, params, e, `on the ${fitRows} training rows`) : e;
    }
    notes.push(
      `final model not refitted (refit false): it is the model fitted on the ${fitRows} training rows of the holdout split, not on all ${o.frame.rows} rows, and the holdout metrics are its own`,
    );
  } else {
    log(`fitting final ${chosen} on all ${o.frame.rows} rows…`);
    const tf = performance.now();
    pipe = makePipeline(chosen);
    const X = pipe.fitTransform(o.frame).X;
    est = createEstimator(chosen, task, params, seed).fit(X, y);
    modelFitMs = performance.now() - tf;
    fitRows = o.frame.rows;
    // A fit can diverge on all rows even when it did not on the training part: such a model is never returned (nor written).
    try {
      assertFinitePredictions(new TrainedModel(chosen, est, pipe, target).predictMatrix(X), est.name);
    } catch (e) {
      throw e instanceof NonFiniteError ? diverged(chosen, params, e, `on the ${o.frame.rows} training rows`) : e;
    }
  }
  timings.fit_ms = Date.now() - t3;
  timings.model_fit_ms = Math.round(modelFitMs);
  const own = importanceKind === 'none' ? null : modelImportances(est);
  const sameFeatures = importance.features.length === pipe.featureNames.length && importance.features.every((f, i) => f === pipe.featureNames[i]);
  importance = {
    features: pipe.featureNames,
    model: own ? Array.from(own) : null,
    permutation: sameFeatures ? importance.permutation : null,
  };
  metrics = { ...metrics, trainRows: fitRows, features: pipe.featureNames.length, params: { ...est.getParams() }, ...(notes.length ? { notes } : {}) };
  const t4 = Date.now();
  const profile = profileFrame(o.frame, pipe.inputColumns);
  timings.profile_ms = Date.now() - t4;
  timings.total_ms = Date.now() - t0;
  return { trained: new TrainedModel(chosen, est, pipe, target), model: chosen, params, metrics, importance, search, candidates, timings, profile, notes };
}

/** The smallest training set a model is fitted on, and the smallest holdout scored. */
export const MIN_TRAIN_ROWS = 2;

/** Too few rows to train (and hold out) anything: a {@link DataError} saying how many there are and what is needed. */
function checkRows(rows: number, holdout: number): void {
  const need = holdout > 0 ? MIN_TRAIN_ROWS + 1 : MIN_TRAIN_ROWS;
  if (rows >= need) return;
  throw new DataError(
    `The data has ${rows} row${rows === 1 ? '' : 's'}; training needs at least ${need}${holdout > 0 ? ` (${MIN_TRAIN_ROWS} to fit on and 1 for the holdout of ${holdout})` : ''}. Fix: give more rows${holdout > 0 && rows >= MIN_TRAIN_ROWS ? ', or --holdout 0 to train without holdout metrics' : ''}.`,
    [{ code: 'TOO_FEW_ROWS', message: `${rows} data row${rows === 1 ? '' : 's'}, at least ${need} needed` }],
  );
}

/** A holdout split that leaves too few rows on either side (small data, rare classes). */
function checkSplit(rows: number, holdout: number, split: Fold, task: Task): void {
  if (split.train.length >= MIN_TRAIN_ROWS && split.test.length >= 1) return;
  throw new DataError(
    `A holdout of ${holdout} of the ${rows} rows leaves ${split.train.length} row${split.train.length === 1 ? '' : 's'} to fit on and ${split.test.length} to score${task === 'classification' ? " (the split keeps each class's share, so rare classes put no row in the holdout)" : ''}; training needs at least ${MIN_TRAIN_ROWS} and 1. Fix: give more rows, change --holdout, or use --holdout 0 to train without holdout metrics.`,
    [{ code: 'TOO_FEW_ROWS', message: `holdout split ${split.train.length}/${split.test.length} rows` }],
  );
}

/** A fit whose predictions are not finite: what was trained, with which parameters, and what to change. */
function diverged(model: ConcreteModel, params: Record<string, unknown>, e: NonFiniteError, where: string): Error {
  const given = Object.entries(params).map(([k, v]) => `${showKey(k)}=${show(v)}`);
  const err = new Error(
    `Training ${model} diverged: ${e.count} of its ${e.total} predictions ${where} are not finite (${e.sample}), so the model is unusable and nothing was written. ` +
      `Fix: ${given.length ? `change the hyperparameters (${given.join(', ')}), e.g. a smaller learningRate or a larger alpha/l2Regularization` : 'check the features for extreme values (scale them, or drop the column)'}, or try another --model.`,
  );
  err.name = 'TrainingDivergedError';
  return err;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(2) : v.toPrecision(4)) : String(v);
}
