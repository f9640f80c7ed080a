import { Estimator } from '../core/estimator';
import { Matrix, take, takeRows } from '../core/matrix';
import { Rng } from '../core/random';

/** One train/test split as row indices. */
export interface Fold {
  readonly train: Uint32Array;
  readonly test: Uint32Array;
}

function checkK(k: number, n: number, what: string): void {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`${what}: k must be an integer ≥ 2. Got ${k}.`);
  if (k > n) throw new RangeError(`${what}: k = ${k} is more than the ${n} rows.`);
}

function complement(n: number, test: Uint32Array): Uint32Array {
  const mark = new Uint8Array(n);
  for (const i of test) mark[i] = 1;
  const out = new Uint32Array(n - test.length);
  let j = 0;
  for (let i = 0; i < n; i++) if (!mark[i]) out[j++] = i;
  return out;
}

/** K-fold split (shuffled with `seed` unless `shuffle` is false); fold sizes differ by at most one. */
export function kFold(n: number, k: number, options: { shuffle?: boolean; seed?: number } = {}): Fold[] {
  checkK(k, n, 'kFold');
  const order = options.shuffle === false ? Uint32Array.from({ length: n }, (_, i) => i) : new Rng(options.seed ?? 0).permutation(n);
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const test = order.slice(start, start + size).sort();
    start += size;
    folds.push({ train: complement(n, test), test });
  }
  return folds;
}

/** Stratified k-fold for class labels: each fold keeps the class proportions (shuffled with `seed`). */
export function stratifiedKFold(y: ArrayLike<number>, k: number, options: { seed?: number } = {}): Fold[] {
  const n = y.length;
  checkK(k, n, 'stratifiedKFold');
  const rng = new Rng(options.seed ?? 0);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = y[i]!;
    const list = byClass.get(c);
    if (list) list.push(i);
    else byClass.set(c, [i]);
  }
  const buckets: number[][] = Array.from({ length: k }, () => []);
  let offset = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(c)!;
    const perm = rng.permutation(idx.length);
    for (let i = 0; i < idx.length; i++) buckets[(offset + i) % k]!.push(idx[perm[i]!]!);
    offset += idx.length;
  }
  return buckets.map((b) => {
    const test = Uint32Array.from(b).sort();
    return { train: complement(n, test), test };
  });
}

/** A stratified (classification) or plain shuffled train/test split. */
export function trainTestSplit(n: number, testFraction: number, options: { seed?: number; stratify?: ArrayLike<number> } = {}): Fold {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`trainTestSplit: testFraction must be in (0, 1). Got ${testFraction}.`);
  const rng = new Rng(options.seed ?? 0);
  const test: number[] = [];
  if (options.stratify) {
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const c = options.stratify[i]!;
      (byClass.get(c) ?? byClass.set(c, []).get(c)!).push(i);
    }
    for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
      const idx = byClass.get(c)!;
      const perm = rng.permutation(idx.length);
      const m = Math.round(idx.length * testFraction);
      for (let i = 0; i < m; i++) test.push(idx[perm[i]!]!);
    }
  } else {
    const perm = rng.permutation(n);
    const m = Math.max(1, Math.round(n * testFraction));
    for (let i = 0; i < m; i++) test.push(perm[i]!);
  }
  const t = Uint32Array.from(test).sort();
  return { train: complement(n, t), test: t };
}

/**
 * Time-ordered splits (expanding window, like scikit-learn's TimeSeriesSplit):
 * rows must already be in time order; fold f trains on everything before its
 * test block; `gap` rows between train and test are left out.
 */
export function timeSeriesSplit(n: number, k: number, options: { gap?: number; testSize?: number } = {}): Fold[] {
  checkK(k, n, 'timeSeriesSplit');
  const gap = options.gap ?? 0;
  const testSize = options.testSize ?? Math.floor(n / (k + 1));
  if (testSize < 1 || n - k * testSize - gap < 1) throw new RangeError(`timeSeriesSplit: ${n} rows are too few for ${k} folds of ${testSize} test rows with gap ${gap}.`);
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const testStart = n - (k - f) * testSize;
    const train = Uint32Array.from({ length: testStart - gap }, (_, i) => i);
    const test = Uint32Array.from({ length: testSize }, (_, i) => testStart + i);
    folds.push({ train, test });
  }
  return folds;
}

/** A score function: higher or lower is better per {@link crossValidate}'s caller. */
export type Scorer = (model: Estimator, X: Matrix, y: Float64Array) => number;

/** Per-fold scores with their mean and standard deviation. */
export interface CvResult {
  readonly scores: readonly number[];
  readonly mean: number;
  readonly std: number;
}

/** Fits a fresh clone of `estimator` on each fold's train rows and scores it on the test rows. */
export function crossValidate(estimator: Estimator, X: Matrix, y: Float64Array, folds: readonly Fold[], scorer: Scorer, onFold?: (fold: number, score: number) => void): CvResult {
  const scores = folds.map((f, i) => {
    const m = estimator.clone();
    m.fit(takeRows(X, f.train), take(y, f.train));
    const s = scorer(m, takeRows(X, f.test), take(y, f.test));
    onFold?.(i, s);
    return s;
  });
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
  return { scores, mean, std };
}
