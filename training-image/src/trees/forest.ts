import { Classifier, Estimator, NotFittedError, ParamError, ParamSpec } from '../core/estimator';
import { Matrix } from '../core/matrix';
import { Rng } from '../core/random';
import { BinMapper } from './binning';
import { checkModelJSON, checkX, checkXy, encodeLabels, normalise, TREE_SCHEMA_VERSION, validateWithUnions } from './common';
import { buildForestTree, ForestData, ForestTree, ForestTreeOptions, ForestWorkspace } from './forest-builder';
import { defaultThreads, parallelAvailable, receive, startWorker, waitFor } from './parallel';
import { FlatTree, leafOf, treeFromJSON, treeToJSON } from './tree';

/** Hyperparameters of the random forests (names and defaults after scikit-learn ≥ 1.1). */
export interface RandomForestParams {
  /** Number of trees. @default 100 */
  nEstimators: number;
  /** Maximum depth (root at 0); null grows until leaves are pure or too small. @default null */
  maxDepth: number | null;
  /** Minimum samples to split a node. @default 2 */
  minSamplesSplit: number;
  /** Minimum samples per leaf. @default 1 */
  minSamplesLeaf: number;
  /**
   * Features tried per split: 'sqrt', 'log2', a fraction in (0, 1], or an integer count > 1.
   * @default 1.0 for regression, 'sqrt' for classification
   */
  maxFeatures: 'sqrt' | 'log2' | number;
  /** Grow each tree on a bootstrap sample. @default true */
  bootstrap: boolean;
  /** Bins per feature for split finding (features with fewer distinct values split exactly). @default 255 */
  maxBins: number;
  /** Seed for bootstrap draws and feature sampling. @default 0 */
  randomState: number;
  /** Threads for growing trees (null: the cores available, at most 2); results do not depend on it. @default null */
  nJobs: number | null;
  /** Print timings after fitting. @default false */
  verbose: boolean;
}

/** Parameter constraints of the random forests, as data. */
export const RF_PARAMS: Readonly<Record<keyof RandomForestParams, ParamSpec>> = {
  nEstimators: { type: 'int', min: 1 },
  maxDepth: { type: 'int', min: 1, nullable: true },
  minSamplesSplit: { type: 'int', min: 2 },
  minSamplesLeaf: { type: 'int', min: 1 },
  maxFeatures: { type: 'float', min: 0, exclusiveMin: true },
  bootstrap: { type: 'bool' },
  maxBins: { type: 'int', min: 2, max: 255 },
  randomState: { type: 'int', min: 0, max: 0xffffffff },
  nJobs: { type: 'int', min: 1, max: 64, nullable: true },
  verbose: { type: 'bool' },
};

const UNIONS = { maxFeatures: { also: ['sqrt', 'log2'], accepted: "'sqrt', 'log2', a float in (0, 1] or an int > 1" } } as const;

interface Learned {
  nFeatures: number;
  trees: FlatTree[];
  featureImportances: Float64Array;
}

abstract class RandomForestBase {
  /** The estimator's name. */
  abstract readonly name: string;
  protected readonly params: Partial<RandomForestParams>;
  protected learned: Learned | null = null;
  protected abstract readonly defaults: RandomForestParams;
  /** Wall time of the last fit's phases, in milliseconds. */
  timings: Record<string, number> = {};

  constructor(params: Partial<RandomForestParams> = {}) {
    this.params = params;
  }

  /** The params as given, defaults filled. */
  getParams(): RandomForestParams {
    return { ...this.defaults, ...this.params };
  }

  /** Impurity-based feature importances (mean decrease in impurity, sum 1), after fit. */
  get featureImportances(): Float64Array {
    return this.state().featureImportances;
  }

  protected state(): Learned {
    if (!this.learned) throw new NotFittedError(this.name);
    return this.learned;
  }

  protected validated(): RandomForestParams {
    validateWithUnions(this.name, RF_PARAMS, this.params as Record<string, unknown>, UNIONS);
    const p = this.getParams();
    const mf = p.maxFeatures;
    if (typeof mf === 'number' && mf > 1 && !Number.isInteger(mf)) throw new ParamError(this.name, 'maxFeatures', mf, UNIONS.maxFeatures.accepted);
    return p;
  }

  protected fitCore(X: Matrix, y: Float64Array, nClasses: number, p: RandomForestParams): void {
    const t0 = performance.now();
    const F = X.cols;
    const mf = p.maxFeatures;
    let maxFeatures: number;
    if (mf === 'sqrt') maxFeatures = Math.max(1, Math.floor(Math.sqrt(F)));
    else if (mf === 'log2') maxFeatures = Math.max(1, Math.floor(Math.log2(F)));
    else if (mf <= 1) maxFeatures = Math.max(1, Math.floor(mf * F));
    else if (mf > F) throw new ParamError(this.name, 'maxFeatures', mf, `at most the number of features of X (${F})`);
    else maxFeatures = mf;
    const rng = new Rng(p.randomState);
    const threads = Math.min(p.nJobs ?? defaultThreads(), p.nEstimators);
    const parallel = threads > 1 && parallelAvailable();
    const mapper = BinMapper.fit(X, null, p.maxBins, rng);
    const binned = mapper.transform(X, null, parallel);
    const thrOffsets = new Int32Array(F + 1);
    for (let f = 0; f < F; f++) thrOffsets[f + 1] = thrOffsets[f]! + mapper.thresholds[f]!.length;
    const thresholds = new Float64Array(thrOffsets[F]!);
    for (let f = 0; f < F; f++) thresholds.set(mapper.thresholds[f]!, thrOffsets[f]!);
    const ys = parallel ? new Float64Array(new SharedArrayBuffer(8 * y.length)) : new Float64Array(y.length);
    ys.set(y);
    const data: ForestData = { binned, n: X.rows, nFeatures: F, nBins: mapper.nBins, thresholds, thrOffsets, y: ys, nClasses, hasMissing: mapper.hasMissing };
    const options: ForestTreeOptions = {
      maxDepth: p.maxDepth ?? Infinity,
      minSamplesSplit: p.minSamplesSplit,
      minSamplesLeaf: p.minSamplesLeaf,
      maxFeatures,
      bootstrap: p.bootstrap,
    };
    const seeds: number[] = [];
    for (let t = 0; t < p.nEstimators; t++) seeds.push(rng.seed());
    const t1 = performance.now();
    const results: (ForestTree | undefined)[] = new Array(seeds.length);
    if (parallel) {
      const ctrl = new Int32Array(new SharedArrayBuffer(4 * threads));
      const ws = Array.from({ length: threads - 1 }, (_, k) => startWorker({ kind: 'forest', slot: k + 1, ctrl, data, options, seeds }));
      try {
        const mine = new ForestWorkspace(data);
        for (;;) {
          const i = Atomics.add(ctrl, 0, 1);
          if (i >= seeds.length) break;
          results[i] = buildForestTree(data, options, seeds[i]!, mine);
        }
        for (let k = 0; k < ws.length; k++) {
          // A worker that had not started when the trees ran out claims none: no need to wait for it.
          if (Atomics.compareExchange(ctrl, k + 1, 0, 3) === 0) continue;
          waitFor(ctrl, k + 1, 1, `${this.name}.fit`);
          const got = receive(ws[k]!.port) as { i: number; tree: FlatTree; importances: Float64Array }[];
          for (const r of got) results[r.i] = { tree: r.tree, importances: r.importances };
        }
      } finally {
        for (const w of ws) void w.worker.terminate();
      }
    } else {
      const mine = new ForestWorkspace(data);
      for (let i = 0; i < seeds.length; i++) results[i] = buildForestTree(data, options, seeds[i]!, mine);
    }
    const trees: FlatTree[] = [];
    const imp = new Float64Array(F);
    for (const r of results) {
      if (!r) throw new Error(`${this.name}.fit: a tree was not built`);
      trees.push(r.tree);
      for (let f = 0; f < F; f++) imp[f] += r.importances[f]!;
    }
    this.learned = { nFeatures: F, trees, featureImportances: normalise(imp) };
    const t2 = performance.now();
    this.timings = { binning: t1 - t0, trees: t2 - t1, total: t2 - t0 };
    if (p.verbose) {
      let nodes = 0;
      for (const t of trees) nodes += t.left.length;
      console.log(
        `[${this.name}] ${trees.length} trees (${nodes} nodes) on ${X.rows} rows × ${F} features, ${parallel ? threads : 1} thread(s): binning ${((t1 - t0) / 1000).toFixed(3)} s, trees ${((t2 - t1) / 1000).toFixed(3)} s`,
      );
    }
  }

  /** Mean of the trees' node outputs per row: rows × nOut, row-major. */
  protected average(X: Matrix): Float64Array {
    const s = this.state();
    checkX(this.name, X, s.nFeatures);
    const nOut = s.trees[0]!.nOut;
    const out = new Float64Array(X.rows * nOut);
    const d = X.data;
    const F = X.cols;
    for (const t of s.trees) {
      const v = t.value;
      for (let i = 0; i < X.rows; i++) {
        const leaf = leafOf(t, d, i * F) * nOut;
        for (let k = 0; k < nOut; k++) out[i * nOut + k] += v[leaf + k]!;
      }
    }
    const m = s.trees.length;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! / m;
    return out;
  }

  protected baseJSON(extra: Record<string, unknown>): Record<string, unknown> {
    const s = this.state();
    return {
      format: 'cdktf-mlops/tree-ensemble',
      estimator: this.name,
      schemaVersion: TREE_SCHEMA_VERSION,
      params: this.getParams(),
      nFeatures: s.nFeatures,
      featureImportances: Array.from(s.featureImportances),
      ...extra,
      trees: s.trees.map(treeToJSON),
    };
  }

  protected loadJSON(j: Record<string, unknown>, nOut: number): void {
    const nFeatures = j.nFeatures as number;
    if (!Array.isArray(j.trees) || j.trees.length === 0) throw new TypeError(`${this.name}.fromJSON: trees must be a non-empty array.`);
    const fi = j.featureImportances;
    if (!Array.isArray(fi) || fi.length !== nFeatures) throw new TypeError(`${this.name}.fromJSON: featureImportances must be an array of ${nFeatures} numbers.`);
    const trees = j.trees.map((t, i) => {
      const tree = treeFromJSON(t, nFeatures, `${this.name}.fromJSON: trees[${i}]`);
      if (tree.nOut !== nOut) throw new TypeError(`${this.name}.fromJSON: trees[${i}] has ${tree.nOut} outputs per node, expected ${nOut}.`);
      return tree;
    });
    this.learned = { nFeatures, trees, featureImportances: Float64Array.from(fi as number[]) };
  }
}

/** Random forest regressor: bagged CART trees (MSE), averaged (after scikit-learn's RandomForestRegressor). */
export class RandomForestRegressor extends RandomForestBase implements Estimator<RandomForestParams> {
  /** The estimator's name. */
  readonly name = 'RandomForestRegressor';
  protected readonly defaults: RandomForestParams = {
    nEstimators: 100,
    maxDepth: null,
    minSamplesSplit: 2,
    minSamplesLeaf: 1,
    maxFeatures: 1.0,
    bootstrap: true,
    maxBins: 255,
    randomState: 0,
    nJobs: null,
    verbose: false,
  };

  /** Fits the forest to `X` (NaN = missing) and targets `y`. */
  fit(X: Matrix, y: Float64Array): this {
    const p = this.validated();
    checkXy(this.name, X, y);
    this.fitCore(X, y, 0, p);
    return this;
  }

  /** Predicted targets (mean of the trees). */
  predict(X: Matrix): Float64Array {
    return this.average(X);
  }

  /** An unfitted copy with the same params (or overrides). */
  clone(overrides: Partial<RandomForestParams> = {}): RandomForestRegressor {
    return new RandomForestRegressor({ ...this.params, ...overrides });
  }

  /** Learned state as plain JSON. */
  toJSON(): unknown {
    return this.baseJSON({});
  }

  /** Reloads a model written by {@link toJSON}; predictions are bit-identical. */
  static fromJSON(json: unknown): RandomForestRegressor {
    const j = checkModelJSON(json, 'RandomForestRegressor');
    const m = new RandomForestRegressor((j.params ?? {}) as Partial<RandomForestParams>);
    m.validated();
    m.loadJSON(j, 1);
    return m;
  }
}

/** Random forest classifier: bagged CART trees (Gini), class probabilities averaged (after scikit-learn's RandomForestClassifier). */
export class RandomForestClassifier extends RandomForestBase implements Classifier<RandomForestParams> {
  /** The estimator's name. */
  readonly name = 'RandomForestClassifier';
  protected readonly defaults: RandomForestParams = {
    nEstimators: 100,
    maxDepth: null,
    minSamplesSplit: 2,
    minSamplesLeaf: 1,
    maxFeatures: 'sqrt',
    bootstrap: true,
    maxBins: 255,
    randomState: 0,
    nJobs: null,
    verbose: false,
  };
  private labels: number[] | null = null;

  /** The class labels (probability columns in this order). */
  get classes(): readonly number[] {
    this.state();
    return this.labels!;
  }

  /** Fits the forest to `X` (NaN = missing) and class labels `y` (any distinct numbers; two or more). */
  fit(X: Matrix, y: Float64Array): this {
    const p = this.validated();
    checkXy(this.name, X, y);
    const { classes, codes } = encodeLabels(y);
    if (classes.length < 2) throw new RangeError(`${this.name}: y has a single class (${classes[0]}); classification needs at least 2.`);
    this.fitCore(X, Float64Array.from(codes), classes.length, p);
    this.labels = classes;
    return this;
  }

  /** Class probabilities, rows × classes. */
  predictProba(X: Matrix): Matrix {
    const out = this.average(X);
    const C = this.labels!.length;
    return { rows: out.length / C, cols: C, data: out };
  }

  /** Predicted class labels (most probable; ties go to the first). */
  predict(X: Matrix): Float64Array {
    const P = this.predictProba(X);
    const C = P.cols;
    const out = new Float64Array(P.rows);
    for (let i = 0; i < P.rows; i++) {
      let bk = 0;
      for (let k = 1; k < C; k++) if (P.data[i * C + k]! > P.data[i * C + bk]!) bk = k;
      out[i] = this.labels![bk]!;
    }
    return out;
  }

  /** An unfitted copy with the same params (or overrides). */
  clone(overrides: Partial<RandomForestParams> = {}): RandomForestClassifier {
    return new RandomForestClassifier({ ...this.params, ...overrides });
  }

  /** Learned state as plain JSON. */
  toJSON(): unknown {
    return this.baseJSON({ classes: this.classes });
  }

  /** Reloads a model written by {@link toJSON}; predictions are bit-identical. */
  static fromJSON(json: unknown): RandomForestClassifier {
    const j = checkModelJSON(json, 'RandomForestClassifier');
    const m = new RandomForestClassifier((j.params ?? {}) as Partial<RandomForestParams>);
    m.validated();
    const c = j.classes;
    if (!Array.isArray(c) || c.length < 2 || !c.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new TypeError(`RandomForestClassifier.fromJSON: classes must be an array of at least 2 finite numbers, got ${JSON.stringify(c)}.`);
    }
    m.loadJSON(j, c.length);
    m.labels = c as number[];
    return m;
  }
}
