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
