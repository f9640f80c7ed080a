import { Estimator, NotFittedError, ParamSpec, validateParams } from '../core/estimator';
import { Matrix } from '../core/matrix';
import { checkCols, checkJsonName, checkXy, numArray } from './common';
import { lstsqColumns } from './lstsq';

/** Parameters of {@link Ridge}. */
export interface RidgeParams {
  /** L2 penalty on the coefficients (not the intercept); 0 = ordinary least squares. */
  alpha: number;
  /** Fit an intercept (by centering X and y). */
  fitIntercept: boolean;
}

/** Parameters of {@link LinearRegression}. */
export interface LinearRegressionParams {
  /** Fit an intercept (by centering X and y). */
  fitIntercept: boolean;
}

/** Parameter constraints of {@link Ridge}, as data. */
export const RIDGE_PARAMS: Readonly<Record<keyof RidgeParams, ParamSpec>> = {
  alpha: { type: 'float', min: 0 },
  fitIntercept: { type: 'bool' },
};

/** Parameter constraints of {@link LinearRegression}, as data. */
export const LINEAR_REGRESSION_PARAMS: Readonly<Record<keyof LinearRegressionParams, ParamSpec>> = {
  fitIntercept: { type: 'bool' },
};

/** Fitted state shared by the linear regressors. */
interface LinearState {
  coef: Float64Array;
  intercept: number;
  rank: number;
}

/** Solves ridge / least squares: centred columns, penalty rows √α·I appended, pivoted QR. */
function solveLinear(X: Matrix, y: Float64Array, alpha: number, fitIntercept: boolean): LinearState {
  const n = X.rows,
    p = X.cols;
  const means = new Float64Array(p);
  let ymean = 0;
  if (fitIntercept) {
    for (let r = 0; r < n; r++) {
      const off = r * p;
      for (let j = 0; j < p; j++) means[j] = means[j]! + X.data[off + j]!;
      ymean += y[r]!;
    }
    for (let j = 0; j < p; j++) means[j] = means[j]! / n;
    ymean /= n;
  }
  const extra = alpha > 0 ? p : 0;
  const m = n + extra;
  const cols: Float64Array[] = [];
  for (let j = 0; j < p; j++) cols.push(new Float64Array(m));
  for (let r = 0; r < n; r++) {
    const off = r * p;
    for (let j = 0; j < p; j++) cols[j]![r] = X.data[off + j]! - means[j]!;
  }
  if (alpha > 0) {
    const s = Math.sqrt(alpha);
    for (let j = 0; j < p; j++) cols[j]![n + j] = s;
  }
  const b = new Float64Array(m);
  for (let r = 0; r < n; r++) b[r] = y[r]! - ymean;
  const { x, rank } = lstsqColumns(cols, b);
  let intercept = 0;
  if (fitIntercept) {
    intercept = ymean;
    for (let j = 0; j < p; j++) intercept -= means[j]! * x[j]!;
  }
  return { coef: x, intercept, rank };
}

function linearPredict(X: Matrix, coef: Float64Array, intercept: number): Float64Array {
  const out = new Float64Array(X.rows);
  const p = X.cols;
  for (let r = 0; r < X.rows; r++) {
    let s = intercept;
    const off = r * p;
    for (let j = 0; j < p; j++) s += X.data[off + j]! * coef[j]!;
    out[r] = s;
  }
  return out;
}

/**
 * What Ridge and LinearRegression share: the solver, prediction, state,
 * serialisation. Subclasses give their name, parameter specs, penalty and
 * how to make a new instance.
 */
abstract class LeastSquaresRegressor<P extends { fitIntercept: boolean }> implements Estimator<P> {
  /** Estimator name. */
  abstract readonly name: string;
  protected readonly params: P;
  private state: LinearState | null = null;

  protected constructor(params: P) {
    this.params = params;
  }

  /** Coefficients (after fit). */
  get coef(): Float64Array {
    return this.fitted().coef;
  }

  /** Intercept (after fit). */
  get intercept(): number {
    return this.fitted().intercept;
  }

  /** Numerical rank of the design (after fit). */
  get rank(): number {
    return this.fitted().rank;
  }

  /** Fits by pivoted QR on the centred design. */
  fit(X: Matrix, y: Float64Array): this {
    validateParams(this.name, this.specs(), this.params as unknown as Record<string, unknown>);
    checkXy(this.name, X, y);
    this.state = solveLinear(X, y, this.alpha(), this.params.fitIntercept);
    return this;
  }

  /** Predicted values. */
  predict(X: Matrix): Float64Array {
    const s = this.fitted();
    checkCols(this.name, X, s.coef.length);
    return linearPredict(X, s.coef, s.intercept);
  }

  /** The params (defaults filled). */
  getParams(): P {
    return { ...this.params };
  }

  /** An unfitted copy. */
  clone(overrides: Partial<P> = {}): LeastSquaresRegressor<P> {
    return this.make({ ...this.params, ...overrides });
  }

  /** Absolute coefficients as importances (meaningful on standardised features). */
  get featureImportances(): Float64Array {
    return this.fitted().coef.map(Math.abs);
  }

  /** Learned state as JSON. */
  toJSON(): unknown {
    const s = this.fitted();
    return { name: this.name, params: this.getParams(), coef: Array.from(s.coef), intercept: s.intercept, rank: s.rank };
  }

  /** Restores saved state into `m` (used by the subclasses' fromJSON). */
  protected static restore<M extends LeastSquaresRegressor<{ fitIntercept: boolean }>>(json: unknown, name: string, make: (params: unknown) => M): M {
    const j = checkJsonName(json, name);
    const m = make(j.params);
    m.state = { coef: numArray(j, 'coef', name), intercept: Number(j.intercept), rank: Number(j.rank) };
    return m;
  }

  protected abstract specs(): Readonly<Record<string, ParamSpec>>;
  protected abstract alpha(): number;
  protected abstract make(params: Partial<P>): LeastSquaresRegressor<P>;

  protected fitted(): LinearState {
    if (!this.state) throw new NotFittedError(this.name);
    return this.state;
  }
}

/** Ridge regression (L2-penalised least squares); alpha = 0 is ordinary least squares, safe on rank-deficient designs. */
export class Ridge extends LeastSquaresRegressor<RidgeParams> {
  /** Estimator name. */
  readonly name: string = 'Ridge';

  constructor(params: Partial<RidgeParams> = {}) {
    super({ alpha: 1, fitIntercept: true, ...params });
  }

  /** An unfitted copy. */
  clone(overrides: Partial<RidgeParams> = {}): Ridge {
    return this.make({ ...this.params, ...overrides });
  }

  /** Reloads a saved Ridge. */
  static fromJSON(json: unknown): Ridge {
    return LeastSquaresRegressor.restore(json, 'Ridge', (p) => new Ridge(p as Partial<RidgeParams>));
  }

  protected specs(): Readonly<Record<string, ParamSpec>> {
    return RIDGE_PARAMS;
  }

  protected alpha(): number {
    return this.params.alpha;
  }

  protected make(params: Partial<RidgeParams>): Ridge {
    return new Ridge(params);
  }
}

/** Ordinary least squares (pivoted QR: rank-deficient designs such as full one-hot blocks are fine). */
export class LinearRegression extends LeastSquaresRegressor<LinearRegressionParams> {
  /** Estimator name. */
  readonly name = 'LinearRegression';

  constructor(params: Partial<LinearRegressionParams> = {}) {
    super({ fitIntercept: true, ...params });
  }

  /** An unfitted copy. */
  clone(overrides: Partial<LinearRegressionParams> = {}): LinearRegression {
    return this.make({ ...this.params, ...overrides });
  }

  /** Reloads a saved LinearRegression. */
  static fromJSON(json: unknown): LinearRegression {
    return LeastSquaresRegressor.restore(json, 'LinearRegression', (p) => new LinearRegression(p as Partial<LinearRegressionParams>));
  }

  protected specs(): Readonly<Record<string, ParamSpec>> {
    return LINEAR_REGRESSION_PARAMS;
  }

  protected alpha(): number {
    return 0;
  }

  protected make(params: Partial<LinearRegressionParams>): LinearRegression {
    return new LinearRegression(params);
  }
}
