import { Estimator } from '../core/estimator';
import { Matrix, take, takeRows } from '../core/matrix';
import { Rng } from '../core/random';

/** Permutation importance per feature: mean and sd of the score drop over repeats. */
export interface PermutationImportance {
  readonly mean: Float64Array;
  readonly std: Float64Array;
  /** The unpermuted score. */
  readonly baseline: number;
}

/** Options for {@link permutationImportance}. */
export interface PermutationOptions {
  /** Shuffles per feature. @default 5 */
  readonly nRepeats?: number;
  /** Seed for the shuffles (and the row sample). @default 0 */
  readonly seed?: number;
  /** Score on at most this many rows (a seeded sample). @default 10000 */
  readonly maxSamples?: number;
}

/**
 * Permutation feature importance (Breiman): how much the score (higher is
 * better) drops when one feature's column is shuffled, holding the fitted
 * model fixed. Deterministic for a seed.
 */
export function permutationImportance(
  model: Estimator,
  X: Matrix,
  y: Float64Array,
  score: (yTrue: Float64Array, model: Estimator, X: Matrix) => number,
  options: PermutationOptions = {},
): PermutationImportance {
  const rng = new Rng(options.seed ?? 0);
  const nRepeats = options.nRepeats ?? 5;
  const maxSamples = options.maxSamples ?? 10000;
  let Xs = X,
    ys = y;
  if (X.rows > maxSamples) {
    const idx = rng.permutation(X.rows).slice(0, maxSamples).sort();
    Xs = takeRows(X, idx);
    ys = take(y, idx);
  }
  const baseline = score(ys, model, Xs);
  const n = Xs.rows,
    p = Xs.cols;
  const work: Matrix = { rows: n, cols: p, data: Float64Array.from(Xs.data) };
  const mean = new Float64Array(p),
    std = new Float64Array(p);
  const col = new Float64Array(n);
  for (let j = 0; j < p; j++) {
    for (let r = 0; r < n; r++) col[r] = Xs.data[r * p + j]!;
    const drops: number[] = [];
    for (let k = 0; k < nRepeats; k++) {
      const perm = rng.permutation(n);
      for (let r = 0; r < n; r++) work.data[r * p + j] = col[perm[r]!]!;
      drops.push(baseline - score(ys, model, work));
    }
    for (let r = 0; r < n; r++) work.data[r * p + j] = col[r]!;
    const m = drops.reduce((a, b) => a + b, 0) / nRepeats;
    mean[j] = m;
    std[j] = Math.sqrt(drops.reduce((a, b) => a + (b - m) ** 2, 0) / nRepeats);
  }
  return { mean, std, baseline };
}

/** A model's own importances (`featureImportances`), if it has them. */
export function modelImportances(model: unknown): Float64Array | null {
  const fi = (model as { featureImportances?: unknown }).featureImportances;
  return fi instanceof Float64Array ? fi : null;
}
