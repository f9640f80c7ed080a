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
  const n = X.rows, p = X.cols;
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

/** Ridge regression (L2-penalised least squares); alpha = 0 is ordinary least squares, safe on rank-deficient designs. */
export class Ridge implements Estimator<RidgeParams> {
  /** Estimator name. */
  readonly name: string = 'Ridge';
  private readonly params: RidgeParams;
  private state: LinearState | null = null;

  constructor(params: Partial<RidgeParams> = {}) {
    this.params = { alpha: 1, fitIntercept: true, ...params };
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
  getParams(): RidgeParams {
    return { ...this.params };
  }

  /** An unfitted copy. */
  clone(overrides: Partial<RidgeParams> = {}): Ridge {
    return new Ridge({ ...this.params, ...overrides });
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

  /** Reloads a saved Ridge. */
  static fromJSON(json: unknown): Ridge {
    const j = checkJsonName(json, 'Ridge');
    const m = new Ridge(j.params as Partial<RidgeParams>);
    m.state = { coef: numArray(j, 'coef', 'Ridge'), intercept: Number(j.intercept), rank: Number(j.rank) };
    return m;
  }

  protected specs(): Readonly<Record<string, ParamSpec>> {
    return RIDGE_PARAMS;
  }

  protected alpha(): number {
    return this.params.alpha;
  }

  protected fitted(): LinearState {
    if (!this.state) throw new NotFittedError(this.name);
    return this.state;
  }
}

/** Ordinary least squares (pivoted QR: rank-deficient designs such as full one-hot blocks are fine). */
export class LinearRegression implements Estimator<LinearRegressionParams> {
  /** Estimator name. */
  readonly name = 'LinearRegression';
  private readonly params: LinearRegressionParams;
  private state: LinearState | null = null;

  constructor(params: Partial<LinearRegressionParams> = {}) {
    this.params = { fitIntercept: true, ...params };
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
    validateParams(this.name, LINEAR_REGRESSION_PARAMS, this.params as unknown as Record<string, unknown>);
    checkXy(this.name, X, y);
    this.state = solveLinear(X, y, 0, this.params.fitIntercept);
    return this;
  }

  /** Predicted values. */
  predict(X: Matrix): Float64Array {
    const s = this.fitted();
    checkCols(this.name, X, s.coef.length);
    return linearPredict(X, s.coef, s.intercept);
  }

  /** The params (defaults filled). */
  getParams(): LinearRegressionParams {
    return { ...this.params };
  }

  /** An unfitted copy. */
  clone(overrides: Partial<LinearRegressionParams> = {}): LinearRegression {
    return new LinearRegression({ ...this.params, ...overrides });
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

  /** Reloads a saved LinearRegression. */
  static fromJSON(json: unknown): LinearRegression {
    const j = checkJsonName(json, 'LinearRegression');
    const m = new LinearRegression(j.params as Partial<LinearRegressionParams>);
    m.state = { coef: numArray(j, 'coef', 'LinearRegression'), intercept: Number(j.intercept), rank: Number(j.rank) };
    return m;
  }

  private fitted(): LinearState {
    if (!this.state) throw new NotFittedError(this.name);
    return this.state;
  }
}
