/**
 * The gradient-boosting losses' per-row gradients (and hessians): the one
 * home of these formulas. The engines (serial, or worker threads sharing row
 * chunks) compute them after each tree's leaf values are added.
 */

/** Loss codes shared with the worker threads: 0 = none (the caller writes the gradients), 1 = squared error, 2 = logistic. */
export const LOSS = { none: 0, squared: 1, logistic: 2 } as const;

/** A loss code. */
export type LossCode = (typeof LOSS)[keyof typeof LOSS];

/** The logistic function, computed without overflow. */
export function sigmoid(r: number): number {
  return r >= 0 ? 1 / (1 + Math.exp(-r)) : Math.exp(r) / (1 + Math.exp(r));
}

/**
 * Gradients (and, for the logistic loss, hessians) of rows `r0..r1-1` at the
 * raw scores `raw`: squared error `raw − y` (unit hessian, not written);
 * logistic `p − y` and `p(1 − p)` with `p = sigmoid(raw)`.
 */
export function gradientsRange(loss: LossCode, y: Float64Array, raw: Float64Array, grad: Float64Array, hess: Float64Array | null, r0: number, r1: number): void {
  if (loss === LOSS.squared) {
    for (let i = r0; i < r1; i++) grad[i] = raw[i]! - y[i]!;
  } else if (loss === LOSS.logistic) {
    const h = hess!;
    for (let i = r0; i < r1; i++) {
      const p = sigmoid(raw[i]!);
      grad[i] = p - y[i]!;
      h[i] = p * (1 - p);
    }
  } else {
    throw new Error(`gradientsRange: no gradients for loss code ${loss}`);
  }
}

/**
 * The end of a tree in one pass over positions `p0..p1-1` of the row-index
 * array, where leaf `k` owns positions `starts[k]..starts[k+1]-1`: each
 * row `r = idx[i]` gets its leaf's value added to `raw[r]` and its next
 * gradient (and hessian) at the new raw score, by {@link gradientsRange}'s
 * formulas, written at `grad[r]` (row order); `idx[i]` becomes `i`. The same
 * numbers as adding the leaf values, then {@link gradientsRange} over all
 * rows and resetting `idx`, in a third of the passes. Position ranges of
 * different calls are disjoint and so are their rows (idx is a permutation),
 * so row chunks can run concurrently.
 */
export function leafUpdateRange(
  loss: LossCode,
  y: Float64Array,
  raw: Float64Array,
  idx: Uint32Array,
  grad: Float64Array,
  hess: Float64Array | null,
  starts: Int32Array,
  values: Float64Array,
  nLeaves: number,
  p0: number,
  p1: number,
): void {
  if (loss !== LOSS.squared && loss !== LOSS.logistic) throw new Error(`leafUpdateRange: no gradients for loss code ${loss}`);
  for (let k = 0; k < nLeaves; k++) {
    const s = starts[k]! > p0 ? starts[k]! : p0;
    const e = starts[k + 1]! < p1 ? starts[k + 1]! : p1;
    const v = values[k]!;
    if (loss === LOSS.squared) {
      for (let i = s; i < e; i++) {
        const r = idx[i]!;
        idx[i] = i;
        const z = raw[r]! + v;
        raw[r] = z;
        grad[r] = z - y[r]!;
      }
    } else {
      const h = hess!;
      for (let i = s; i < e; i++) {
        const r = idx[i]!;
        idx[i] = i;
        const z = raw[r]! + v;
        raw[r] = z;
        const p = sigmoid(z);
        grad[r] = p - y[r]!;
        h[r] = p * (1 - p);
      }
    }
  }
}
