import { Matrix } from './matrix';
import { show, showKey } from './text';

/**
 * The estimator contract (after scikit-learn): the constructor stores params
 * untouched; `fit` validates, learns and returns `this`; learned state is kept
 * apart; `predict` before `fit` throws {@link NotFittedError}.
 */
export interface Estimator<P extends object = object> {
  /** The estimator's name, as errors and artifacts call it. */
  readonly name: string;
  /** Learns from `X` (rows × features, NaN = missing) and `y`. */
  fit(X: Matrix, y: Float64Array): this;
  /** Predicted values (regression) or positive-class probabilities / class indices per the estimator. */
  predict(X: Matrix): Float64Array;
  /** The params as given (defaults filled). */
  getParams(): P;
  /** An unfitted copy with the same params (or with `overrides`). */
  clone(overrides?: Partial<P>): Estimator<P>;
  /** Learned state as plain JSON (numbers arrays allowed), for the model artifact. */
  toJSON(): unknown;
}

/** A classifier adds class probabilities. */
export interface Classifier<P extends object = object> extends Estimator<P> {
  /** The class labels, in the order of probability columns. */
  readonly classes: readonly number[];
  /** Probabilities, rows × classes, row-major. */
  predictProba(X: Matrix): Matrix;
}

/** Thrown when an estimator is used before `fit`. */
export class NotFittedError extends Error {
  constructor(estimator: string) {
    super(`This ${estimator} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator.`);
    this.name = 'NotFittedError';
  }
}

/** One parameter constraint, declared as data. */
export type ParamSpec =
  | { readonly type: 'int'; readonly min?: number; readonly max?: number; readonly nullable?: boolean }
  | { readonly type: 'float'; readonly min?: number; readonly max?: number; readonly exclusiveMin?: boolean; readonly exclusiveMax?: boolean; readonly nullable?: boolean }
  | { readonly type: 'bool' }
  | { readonly type: 'enum'; readonly values: readonly string[] };

/** Thrown for a bad hyperparameter: "The 'maxDepth' parameter of RandomForest must be an int ≥ 1. Got 0." */
export class ParamError extends Error {
  constructor(
    public readonly estimator: string,
    public readonly param: string,
    public readonly value: unknown,
    accepted: string,
  ) {
    super(`The ${showKey(param)} parameter of ${estimator} must be ${accepted}. Got ${show(value)}.`);
    this.name = 'ParamError';
  }
}

/** Checks `params` against `specs`; throws {@link ParamError} for the first bad one, unknown names included. */
export function validateParams(estimator: string, specs: Readonly<Record<string, ParamSpec>>, params: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(params)) {
    // Own keys only: `in` would accept __proto__, constructor, toString … (inherited from Object.prototype).
    if (!Object.hasOwn(specs, key)) {
      throw new ParamError(estimator, key, params[key], `one of the known parameters (${Object.keys(specs).join(', ')})`);
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    const v = params[key];
    if (v === undefined) continue;
    switch (spec.type) {
      case 'int': {
        if (v === null && spec.nullable) break;
        const ok = typeof v === 'number' && Number.isInteger(v) && (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max);
        if (!ok) throw new ParamError(estimator, key, v, `an int${range(spec.min, spec.max)}${spec.nullable ? ' or null' : ''}`);
        break;
      }
      case 'float': {
        if (v === null && spec.nullable) break;
        const ok =
          typeof v === 'number' &&
          Number.isFinite(v) &&
          (spec.min === undefined || (spec.exclusiveMin ? v > spec.min : v >= spec.min)) &&
          (spec.max === undefined || (spec.exclusiveMax ? v < spec.max : v <= spec.max));
        if (!ok) throw new ParamError(estimator, key, v, `a float${range(spec.min, spec.max, spec.exclusiveMin, spec.exclusiveMax)}${spec.nullable ? ' or null' : ''}`);
        break;
      }
      case 'bool':
        if (typeof v !== 'boolean') throw new ParamError(estimator, key, v, 'a boolean');
        break;
      case 'enum':
        if (typeof v !== 'string' || !spec.values.includes(v)) throw new ParamError(estimator, key, v, `one of ${spec.values.map((s) => `'${s}'`).join(', ')}`);
        break;
    }
  }
}

function range(min?: number, max?: number, exMin?: boolean, exMax?: boolean): string {
  const parts: string[] = [];
  if (min !== undefined) parts.push(`${exMin ? '>' : '≥'} ${min}`);
  if (max !== undefined) parts.push(`${exMax ? '<' : '≤'} ${max}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}
