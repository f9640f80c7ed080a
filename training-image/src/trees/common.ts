import { Matrix } from '../core/matrix';
import { ParamError, ParamSpec, validateParams } from '../core/estimator';

/** Version of the JSON layout written by the tree models' `toJSON`. */
export const TREE_SCHEMA_VERSION = 1;

/** Checks a feature matrix: shape, and no ±Infinity (NaN means missing). */
export function checkX(estimator: string, X: Matrix, nFeatures?: number): void {
  if (X === null || typeof X !== 'object' || !(X.data instanceof Float64Array)) {
    throw new TypeError(`${estimator}: X must be a Matrix ({rows, cols, data: Float64Array}).`);
  }
  if (X.data.length !== X.rows * X.cols) {
    throw new RangeError(`${estimator}: X.data has ${X.data.length} values, expected rows × cols = ${X.rows} × ${X.cols}.`);
  }
  if (nFeatures !== undefined && X.cols !== nFeatures) {
    throw new RangeError(`${estimator}: X has ${X.cols} features, but the model was fitted with ${nFeatures}.`);
  }
  const d = X.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v === Infinity || v === -Infinity) {
      const r = Math.floor(i / X.cols);
      throw new RangeError(`${estimator}: X[${r}, ${i - r * X.cols}] is ${v}; features must be finite numbers, or NaN for missing.`);
    }
  }
}

/** Checks X and y together for fitting. */
export function checkXy(estimator: string, X: Matrix, y: Float64Array, minRows = 2): void {
  checkX(estimator, X);
  if (!(y instanceof Float64Array)) throw new TypeError(`${estimator}: y must be a Float64Array.`);
  if (y.length !== X.rows) throw new RangeError(`${estimator}: X has ${X.rows} rows but y has ${y.length} values; they must match.`);
  if (X.rows < minRows) throw new RangeError(`${estimator}: need at least ${minRows} rows to fit, got ${X.rows}.`);
  if (X.cols < 1) throw new RangeError(`${estimator}: X has no feature columns.`);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i]!)) throw new RangeError(`${estimator}: y[${i}] is ${y[i]}; the target must be finite (drop or impute missing targets first).`);
  }
}

/** The sorted distinct labels of `y` and the label index of each row. */
export function encodeLabels(y: Float64Array): { classes: number[]; codes: Int32Array } {
  const classes = Array.from(new Set(y)).sort((a, b) => a - b);
  const pos = new Map<number, number>();
  classes.forEach((c, i) => pos.set(c, i));
  const codes = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) codes[i] = pos.get(y[i]!)!;
  return { classes, codes };
}

/**
 * Validates params against `specs`; `unions` lists params that also accept
 * extra string/boolean forms besides their spec (e.g. maxFeatures 'sqrt' or a float).
 */
export function validateWithUnions(
  estimator: string,
  specs: Readonly<Record<string, ParamSpec>>,
  params: Readonly<Record<string, unknown>>,
  unions: Readonly<Record<string, { readonly also: readonly (string | boolean)[]; readonly accepted: string }>>,
): void {
  // No prototype and own keys only: a key such as __proto__ or constructor is checked like any other (and refused).
  const rest: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) {
    const u = Object.hasOwn(unions, k) ? unions[k] : undefined;
    if (u?.also.includes(v as string | boolean)) continue;
    if (u && v !== undefined) {
      try {
        validateParams(estimator, { [k]: specs[k]! }, { [k]: v });
      } catch {
        throw new ParamError(estimator, k, v, u.accepted);
      }
      continue;
    }
    rest[k] = v;
  }
  validateParams(estimator, specs, rest);
}

/** Normalises non-negative importances to sum 1 (all zero stays zero). */
export function normalise(v: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  if (s > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / s;
  return v;
}

/** Checks the header of a serialised tree model and returns it as a record. */
export function checkModelJSON(json: unknown, estimator: string): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new TypeError(`${estimator}.fromJSON: expected an object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}.`);
  }
  const j = json as Record<string, unknown>;
  if (j.estimator !== estimator) {
    throw new TypeError(`${estimator}.fromJSON: this JSON holds a ${JSON.stringify(j.estimator)} model, not a ${estimator}.`);
  }
  if (j.schemaVersion !== TREE_SCHEMA_VERSION) {
    throw new TypeError(
      `${estimator}.fromJSON: schemaVersion ${JSON.stringify(j.schemaVersion)} is not supported (this runtime reads version ${TREE_SCHEMA_VERSION}); retrain or use a matching runtime.`,
    );
  }
  if (typeof j.nFeatures !== 'number' || !Number.isInteger(j.nFeatures) || j.nFeatures < 1) {
    throw new TypeError(`${estimator}.fromJSON: nFeatures must be an int ≥ 1, got ${JSON.stringify(j.nFeatures)}.`);
  }
  return j;
}
