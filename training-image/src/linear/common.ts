import { Matrix } from '../core/matrix';
import { show } from '../core/text';

/** Throws naming the estimator when X and y disagree or X holds NaN/∞ (linear models need imputed features). */
export function checkXy(name: string, X: Matrix, y: Float64Array | null): void {
  if (y && y.length !== X.rows) throw new RangeError(`${name}.fit: X has ${X.rows} rows but y has ${y.length} values; they must match.`);
  if (X.rows === 0) throw new RangeError(`${name}.fit: X has no rows.`);
  for (let i = 0; i < X.data.length; i++) {
    if (!Number.isFinite(X.data[i]!)) {
      const r = Math.floor(i / X.cols),
        c = i % X.cols;
      throw new RangeError(`${name}: X[${r}][${c}] is ${X.data[i]}; linear models need finite features (impute missing values first).`);
    }
  }
  if (y) {
    for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i]!)) throw new RangeError(`${name}.fit: y[${i}] is ${y[i]}; the target must be finite.`);
  }
}

/** Throws when X has the wrong number of columns for a fitted model. */
export function checkCols(name: string, X: Matrix, nFeatures: number): void {
  if (X.cols !== nFeatures) throw new RangeError(`${name}.predict: X has ${X.cols} features, but the model was fitted with ${nFeatures}.`);
}

/** Reads a numeric array from JSON, naming the field on failure. */
export function numArray(json: Record<string, unknown>, key: string, owner: string): Float64Array {
  const v = json[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw new TypeError(`${owner}.fromJSON: '${key}' must be an array of numbers.`);
  return Float64Array.from(v as number[]);
}

/** Checks the saved estimator name. */
export function checkJsonName(json: unknown, expected: string): Record<string, unknown> {
  if (!json || typeof json !== 'object' || (json as { name?: unknown }).name !== expected) {
    throw new TypeError(`${expected}.fromJSON: expected a saved ${expected} (name '${expected}'), got ${show((json as { name?: unknown } | null)?.name)}.`);
  }
  return json as Record<string, unknown>;
}
