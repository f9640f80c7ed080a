import { Classifier, Estimator, NotFittedError, ParamSpec } from '../core/estimator';
import { Matrix } from '../core/matrix';
import { Rng } from '../core/random';
import { BinMapper } from './binning';
import { checkModelJSON, checkX, checkXy, encodeLabels, normalise, TREE_SCHEMA_VERSION, validateWithUnions } from './common';
import { addBinnedPredictions, HistogramBuilder, PhaseTimes, SerialHistogramBuilder, TreeGrower } from './grower';
import { LOSS, LossCode, sigmoid } from './loss';
import { KernelArena, kernelsAvailable } from './kernels';
import { defaultThreads, HgbWorkers, ParallelHistogramBuilder, parallelAvailable } from './parallel';
import { FlatTree, leafOf, treeFromJSON, treeToJSON } from './tree';

/** Hyperparameters of the histogram gradient-boosting models (names and defaults after scikit-learn). */
export interface HistGradientBoostingParams {
  /** Shrinkage of each tree's leaf values. @default 0.1 */
  learningRate: number;
  /** Maximum boosting iterations (trees). @default 100 */
  maxIter: number;
  /** Maximum leaves per tree. @default 31 */
  maxLeafNodes: number;
  /** Maximum tree depth (root at 0); null for none. @default null */
  maxDepth: number | null;
  /** Minimum samples per leaf. @default 20 */
  minSamplesLeaf: number;
  /** L2 regularisation of leaf values. @default 0 */
  l2Regularization: number;
  /** Bins for non-missing values per feature (plus one NaN bin). @default 255 */
  maxBins: number;
  /** Early stopping on a validation split: 'auto' = on when there are more than 10,000 rows. @default 'auto' */
  earlyStopping: 'auto' | boolean;
  /** Fraction of the rows held out for early stopping. @default 0.1 */
  validationFraction: number;
  /** Stop after this many iterations without improvement. @default 10 */
  nIterNoChange: number;
  /** Minimum validation-loss improvement that counts. @default 1e-7 */
  tol: number;
  /** Seed for the validation split and bin subsampling. @default 0 */
  randomState: number;
  /** Threads for histogram building (null: when the data is large and workers are available, the cores available to the process, at most 2 — see `defaultThreads`; else 1). @default null */
  nThreads: number | null;
  /** Print phase timings after fitting. @default false */
  verbose: boolean;
}

const DEFAULTS: HistGradientBoostingParams = {
  learningRate: 0.1,
  maxIter: 100,
  maxLeafNodes: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  l2Regularization: 0,
  maxBins: 255,
  earlyStopping: 'auto',
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
  randomState: 0,
  nThreads: null,
  verbose: false,
};

/** Parameter constraints of the gradient-boosting models, as data. */
export const HGB_PARAMS: Readonly<Record<keyof HistGradientBoostingParams, ParamSpec>> = {
  learningRate: { type: 'float', min: 0, exclusiveMin: true },
  maxIter: { type: 'int', min: 1 },
  maxLeafNodes: { type: 'int', min: 2 },
  maxDepth: { type: 'int', min: 1, nullable: true },
  minSamplesLeaf: { type: 'int', min: 1 },
  l2Regularization: { type: 'float', min: 0 },
  maxBins: { type: 'int', min: 2, max: 255 },
  earlyStopping: { type: 'bool' },
  validationFraction: { type: 'float', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
  nIterNoChange: { type: 'int', min: 1 },
  tol: { type: 'float', min: 0 },
  randomState: { type: 'int', min: 0, max: 0xffffffff },
  nThreads: { type: 'int', min: 1, max: 64, nullable: true },
  verbose: { type: 'bool' },
};

const UNIONS = { earlyStopping: { also: ['auto'], accepted: "'auto' or a boolean" } } as const;

/** Rows × features from which the parallel histogram builder is used by default. */
const PARALLEL_MIN_CELLS = 2_000_000;

/**
 * Training rows from which least-squares fits carry the root histogram from
 * tree to tree instead of rebuilding it: that saves a pass over all rows per
 * tree, while a directly built histogram keeps exactly tied splits (e.g. of
 * duplicated features) resolved in feature order; on small data the pass is
 * cheap, so the exact behaviour is kept there.
 */
const ROOT_FROM_LEAVES_MIN_ROWS = 50_000;

/** What one fit learned, kept apart from the params. */
interface Learned {
  nFeatures: number;
  baseline: number;
  trees: FlatTree[];
  featureImportances: Float64Array;
  nIter: number;
  validationScores: number[];
}

abstract class HistGradientBoostingBase {
  /** The estimator's name. */
  abstract readonly name: string;
  protected readonly params: Partial<HistGradientBoostingParams>;
  protected learned: Learned | null = null;
  /** Wall time per phase of the last fit, in milliseconds. */
  timings: PhaseTimes = {};
  /** Threads of the last fit, and how many of its trees the engine ran on one thread because the machine was busy (see ThreadGovernor). */
  threading: { threads: number; treesAlone: number } = { threads: 1, treesAlone: 0 };

  constructor(params: Partial<HistGradientBoostingParams> = {}) {
    this.params = params;
  }

  /** The params as given, defaults filled. */
  getParams(): HistGradientBoostingParams {
    return { ...DEFAULTS, ...this.params };
  }

  /** Gain-based feature importances (sum 1), after fit. */
  get featureImportances(): Float64Array {
    return this.state().featureImportances;
  }

  /** Number of boosting iterations actually run (after early stopping). */
  get nIter(): number {
    return this.state().nIter;
  }

  /** Validation loss per iteration (first entry: the baseline) when early stopping ran. */
  get validationScores(): readonly number[] {
    return this.state().validationScores;
  }

  protected state(): Learned {
    if (!this.learned) throw new NotFittedError(this.name);
    return this.learned;
  }

  /** Raw scores (baseline + sum of tree outputs) for each row. */
  protected rawPredict(X: Matrix): Float64Array {
    const s = this.state();
    checkX(this.name, X, s.nFeatures);
    const out = new Float64Array(X.rows).fill(s.baseline);
    const d = X.data;
    const F = X.cols;
    for (const t of s.trees) {
      const v = t.value;
      for (let i = 0; i < X.rows; i++) out[i] += v[leafOf(t, d, i * F)]!;
    }
    return out;
  }

  protected validated(): HistGradientBoostingParams {
    validateWithUnions(this.name, HGB_PARAMS, this.params as Record<string, unknown>, UNIONS);
    return this.getParams();
  }

  /** Baseline raw score from the training targets. */
  protected abstract baseline(y: Float64Array): number;
  /** The loss whose gradients (and hessians) the engine computes (`loss.ts`). */
  protected abstract readonly lossCode: LossCode;
  /** Whether the loss has a constant unit hessian. */
  protected abstract readonly constantHessian: boolean;
  /** Whether a row's gradient moves by exactly the change of its raw score (least squares). */
  protected abstract readonly linearGradient: boolean;
  /** Mean loss at `raw` (for early stopping). */
  protected abstract loss(y: Float64Array, raw: Float64Array): number;
  /** Row split for early stopping: [train rows, validation rows]. */
  protected abstract split(y: Float64Array, fraction: number, rng: Rng): [Uint32Array, Uint32Array];

  protected fitCore(X: Matrix, y: Float64Array, p: HistGradientBoostingParams): void {
    const times: PhaseTimes = {};
    const tAll = performance.now();
    let t0 = tAll;
    const rng = new Rng(p.randomState);
    const n0 = X.rows;
    const early = p.earlyStopping === 'auto' ? n0 > 10000 : p.earlyStopping;
    let trainRows: Uint32Array | null = null;
    let valRows: Uint32Array | null = null;
    if (early) {
      [trainRows, valRows] = this.split(y, p.validationFraction, rng);
      if (trainRows.length < 2 || valRows.length < 1) {
        throw new RangeError(
          `${this.name}: validationFraction ${p.validationFraction} leaves ${trainRows.length} training and ${valRows.length} validation rows; use more data or turn earlyStopping off.`,
        );
      }
    }
    const n = trainRows ? trainRows.length : n0;
    const yTrain = trainRows ? pick(y, trainRows) : y;
    const yVal = valRows ? pick(y, valRows) : null;
    const nThreads = p.nThreads ?? (n * X.cols >= PARALLEL_MIN_CELLS && parallelAvailable() ? defaultThreads() : 1);
    const parallel = nThreads > 1 && parallelAvailable();
    const stride: 2 | 3 = this.constantHessian ? 2 : 3;
    // The engine's buffers, the binned columns first, in one kernel arena when WebAssembly allows (see kernels.ts). It is
    // sized before the bins are known, for histograms of at most 256 slots (255 bins and the NaN bin) per feature.
    const histBound = stride * 256 * X.cols;
    const arenaBytes = (parallel ? ParallelHistogramBuilder : SerialHistogramBuilder).arenaBytes(stride, n, X.cols, histBound, p.maxLeafNodes);
    const arena = KernelArena.fits(arenaBytes) && kernelsAvailable() ? new KernelArena(arenaBytes) : null;
    // Threaded: the workers start now and map the arena's pages while this thread bins the data (see HgbWorkers).
    const workers = parallel ? new HgbWorkers(nThreads, arena ? arena.memory : null) : null;
    let hb: HistogramBuilder | null = null;
    try {
      const mapper = BinMapper.fit(X, trainRows, p.maxBins, rng);
      const binned = mapper.transform(X, trainRows, parallel, arena ? arena.u8(n * X.cols) : null);
      const binnedVal = valRows ? mapper.transform(X, valRows) : null;
      times.binning = performance.now() - t0;
      const loss = { code: this.lossCode, y: yTrain };
      hb = parallel
        ? new ParallelHistogramBuilder(stride, binned, n, mapper.offsets, nThreads, p.maxLeafNodes, loss, {
            arena,
            workers: workers!,
            poolHistograms: ParallelHistogramBuilder.poolHistograms(histBound, p.maxLeafNodes),
          })
        : new SerialHistogramBuilder(stride, binned, n, mapper.offsets, loss, { arena, maxLeaves: p.maxLeafNodes });
      const grower = new TreeGrower(
        mapper,
        n,
        stride,
        {
          maxLeafNodes: p.maxLeafNodes,
          maxDepth: p.maxDepth ?? Infinity,
          minSamplesLeaf: p.minSamplesLeaf,
          l2: p.l2Regularization,
          learningRate: p.learningRate,
          minHessian: 1e-3,
          rootFromLeaves: this.linearGradient && n >= ROOT_FROM_LEAVES_MIN_ROWS,
        },
        hb,
        times,
      );

      const baseline = this.baseline(yTrain);
      hb.raw.fill(baseline);
      const rawVal = yVal ? new Float64Array(yVal.length).fill(baseline) : null;
      const trees: FlatTree[] = [];
      const scores: number[] = [];
      if (rawVal && yVal) scores.push(-this.loss(yVal, rawVal));
      // The first tree's gradients; every tree's leaf-value update then writes the next tree's (see HistogramBuilder).
      t0 = performance.now();
      hb.computeGradients();
      times.gradients = performance.now() - t0;
      for (let it = 0; it < p.maxIter; it++) {
        const g = grower.grow();
        trees.push(g.tree);
        if (rawVal && yVal && binnedVal) {
          t0 = performance.now();
          addBinnedPredictions(g, mapper, binnedVal, yVal.length, rawVal);
          scores.push(-this.loss(yVal, rawVal));
          times.earlyStopping = (times.earlyStopping ?? 0) + performance.now() - t0;
          if (shouldStop(scores, p.nIterNoChange, p.tol)) break;
        }
        if (g.tree.left.length === 1 && trees.length > 1) {
          // A single-leaf tree: nothing left to learn.
          break;
        }
      }
      this.learned = {
        nFeatures: X.cols,
        baseline,
        trees,
        featureImportances: normalise(Float64Array.from(grower.importances)),
        nIter: trees.length,
        validationScores: scores.map((s) => -s),
      };
    } finally {
      if (hb) hb.close();
      else workers?.close();
    }
    times.total = performance.now() - tAll;
    this.timings = times;
    const treesAlone = hb instanceof ParallelHistogramBuilder ? hb.governor.serialTrees : 0;
    this.threading = { threads: parallel ? nThreads : 1, treesAlone };
    if (p.verbose) {
      const parts = Object.entries(times).map(([k, v]) => `${k} ${(v / 1000).toFixed(3)} s`);
      console.log(
        `[${this.name}] ${this.learned.nIter} iterations on ${n} rows × ${X.cols} features (${nThreads} thread${nThreads > 1 ? 's' : ''}${treesAlone ? `; ${treesAlone} trees on one thread, the machine being busy` : ''})${early ? ', early stopping on' : ''}: ${parts.join(', ')}`,
      );
    }
  }

  protected baseJSON(extra: Record<string, unknown>): Record<string, unknown> {
    const s = this.state();
    return {
      format: 'cdktf-mlops/tree-ensemble',
      estimator: this.name,
      schemaVersion: TREE_SCHEMA_VERSION,
      params: this.getParams(),
      nFeatures: s.nFeatures,
      baseline: s.baseline,
      nIter: s.nIter,
      validationScores: s.validationScores,
      featureImportances: Array.from(s.featureImportances),
      ...extra,
      trees: s.trees.map(treeToJSON),
    };
  }

  protected loadJSON(j: Record<string, unknown>): void {
    const nFeatures = j.nFeatures as number;
    if (typeof j.baseline !== 'number' || !Number.isFinite(j.baseline)) throw new TypeError(`${this.name}.fromJSON: baseline must be a finite number.`);
    if (!Array.isArray(j.trees)) throw new TypeError(`${this.name}.fromJSON: trees must be an array.`);
    const fi = j.featureImportances;
    if (!Array.isArray(fi) || fi.length !== nFeatures) throw new TypeError(`${this.name}.fromJSON: featureImportances must be an array of ${nFeatures} numbers.`);
    const trees = j.trees.map((t, i) => treeFromJSON(t, nFeatures, `${this.name}.fromJSON: trees[${i}]`));
    this.learned = {
      nFeatures,
      baseline: j.baseline,
      trees,
      featureImportances: Float64Array.from(fi as number[]),
      nIter: trees.length,
      validationScores: Array.isArray(j.validationScores) ? (j.validationScores as number[]) : [],
    };
  }
}

/** scikit-learn's `_should_stop` on scores (higher is better). */
function shouldStop(scores: number[], nIterNoChange: number, tol: number): boolean {
  if (scores.length <= nIterNoChange) return false;
  const ref = scores[scores.length - nIterNoChange - 1]! + tol;
  for (let i = scores.length - nIterNoChange; i < scores.length; i++) if (scores[i]! > ref) return false;
  return true;
}

function pick(v: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = v[rows[i]!]!;
  return out;
}

function sorted(a: Uint32Array): Uint32Array {
  return a.slice().sort();
}

/** Gradient boosting regressor on binned features, least-squares loss (after scikit-learn's HistGradientBoostingRegressor). */
export class HistGradientBoostingRegressor extends HistGradientBoostingBase implements Estimator<HistGradientBoostingParams> {
  /** The estimator's name. */
  readonly name = 'HistGradientBoostingRegressor';
  protected readonly constantHessian = true;
  protected readonly linearGradient = true;

  /** Fits the model to `X` (NaN = missing) and targets `y`. */
  fit(X: Matrix, y: Float64Array): this {
    const p = this.validated();
    checkXy(this.name, X, y);
    this.fitCore(X, y, p);
    return this;
  }

  /** Predicted targets. */
  predict(X: Matrix): Float64Array {
    return this.rawPredict(X);
  }

  /** An unfitted copy with the same params (or overrides). */
  clone(overrides: Partial<HistGradientBoostingParams> = {}): HistGradientBoostingRegressor {
    return new HistGradientBoostingRegressor({ ...this.params, ...overrides });
  }

  /** Learned state as plain JSON. */
  toJSON(): unknown {
    return this.baseJSON({});
  }

  /** Reloads a model written by {@link toJSON}; predictions are bit-identical. */
  static fromJSON(json: unknown): HistGradientBoostingRegressor {
    const j = checkModelJSON(json, 'HistGradientBoostingRegressor');
    const m = new HistGradientBoostingRegressor((j.params ?? {}) as Partial<HistGradientBoostingParams>);
    m.validated();
    m.loadJSON(j);
    return m;
  }

  protected baseline(y: Float64Array): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]!;
    return s / y.length;
  }

  protected readonly lossCode = LOSS.squared;

  protected loss(y: Float64Array, raw: Float64Array): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const d = raw[i]! - y[i]!;
      s += d * d;
    }
    return (0.5 * s) / y.length;
  }

  protected split(y: Float64Array, fraction: number, rng: Rng): [Uint32Array, Uint32Array] {
    const perm = rng.permutation(y.length);
    const nVal = Math.ceil(fraction * y.length);
    return [sorted(perm.subarray(nVal)), sorted(perm.subarray(0, nVal))];
  }
}

/** Binary gradient boosting classifier on binned features, log loss (after scikit-learn's HistGradientBoostingClassifier). */
export class HistGradientBoostingClassifier extends HistGradientBoostingBase implements Classifier<HistGradientBoostingParams> {
  /** The estimator's name. */
  readonly name = 'HistGradientBoostingClassifier';
  protected readonly constantHessian = false;
  protected readonly linearGradient = false;
  private labels: number[] | null = null;
  private y01: Float64Array | null = null;

  /** The two class labels (probability columns in this order). */
  get classes(): readonly number[] {
    this.state();
    return this.labels!;
  }

  /** Fits the model to `X` (NaN = missing) and binary labels `y` (any two distinct numbers). */
  fit(X: Matrix, y: Float64Array): this {
    const p = this.validated();
    checkXy(this.name, X, y);
    const { classes, codes } = encodeLabels(y);
    if (classes.length !== 2) {
      throw new RangeError(
        `${this.name}: y must have exactly 2 classes (binary classification), got ${classes.length}: ${classes.slice(0, 10).join(', ')}${classes.length > 10 ? ', …' : ''}.`,
      );
    }
    this.y01 = Float64Array.from(codes);
    try {
      this.fitCore(X, this.y01, p);
    } finally {
      this.y01 = null;
    }
    this.labels = classes;
    return this;
  }

  /** Probabilities, rows × 2 (columns in `classes` order). */
  predictProba(X: Matrix): Matrix {
    const raw = this.rawPredict(X);
    const out = new Float64Array(raw.length * 2);
    for (let i = 0; i < raw.length; i++) {
      const p = sigmoid(raw[i]!);
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
    return { rows: raw.length, cols: 2, data: out };
  }

  /** Predicted class labels (the more probable class; ties go to the first). */
  predict(X: Matrix): Float64Array {
    const raw = this.rawPredict(X);
    const [c0, c1] = this.labels!;
    return raw.map((r) => (sigmoid(r) > 0.5 ? c1! : c0!));
  }

  /** An unfitted copy with the same params (or overrides). */
  clone(overrides: Partial<HistGradientBoostingParams> = {}): HistGradientBoostingClassifier {
    return new HistGradientBoostingClassifier({ ...this.params, ...overrides });
  }

  /** Learned state as plain JSON. */
  toJSON(): unknown {
    return this.baseJSON({ classes: this.classes });
  }

  /** Reloads a model written by {@link toJSON}; predictions are bit-identical. */
  static fromJSON(json: unknown): HistGradientBoostingClassifier {
    const j = checkModelJSON(json, 'HistGradientBoostingClassifier');
    const m = new HistGradientBoostingClassifier((j.params ?? {}) as Partial<HistGradientBoostingParams>);
    m.validated();
    const c = j.classes;
    if (!Array.isArray(c) || c.length !== 2 || !c.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new TypeError(`HistGradientBoostingClassifier.fromJSON: classes must be an array of 2 finite numbers, got ${JSON.stringify(c)}.`);
    }
    m.loadJSON(j);
    m.labels = c as number[];
    return m;
  }

  protected baseline(y: Float64Array): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]!;
    const p = Math.min(Math.max(s / y.length, 1e-15), 1 - 1e-15);
    return Math.log(p / (1 - p));
  }

  protected readonly lossCode = LOSS.logistic;

  protected loss(y: Float64Array, raw: Float64Array): number {
    // log(1 + e^r) - y·r, computed stably.
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const r = raw[i]!;
      const sp = r > 0 ? r + Math.log1p(Math.exp(-r)) : Math.log1p(Math.exp(r));
      s += sp - y[i]! * r;
    }
    return s / y.length;
  }

  protected split(y: Float64Array, fraction: number, rng: Rng): [Uint32Array, Uint32Array] {
    // Stratified: the same fraction of each class goes to validation.
    const train: number[] = [];
    const val: number[] = [];
    for (const cls of [0, 1]) {
      const rows: number[] = [];
      for (let i = 0; i < y.length; i++) if (y[i] === cls) rows.push(i);
      const perm = rng.permutation(rows.length);
      const nVal = Math.ceil(fraction * rows.length);
      for (let k = 0; k < rows.length; k++) (k < nVal ? val : train).push(rows[perm[k]!]!);
    }
    return [sorted(Uint32Array.from(train)), sorted(Uint32Array.from(val))];
  }
}
