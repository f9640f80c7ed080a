import { Classifier, NotFittedError, ParamSpec, validateParams } from '../core/estimator';
import { Matrix } from '../core/matrix';
import { checkCols, checkJsonName, checkXy } from './common';
import { choleskySolve } from './lstsq';

/** Parameters of {@link LogisticRegression}. */
export interface LogisticRegressionParams {
  /** Inverse L2 strength, as scikit-learn: minimises C·Σ logloss + ½‖w‖². */
  C: number;
  /** Fit an (unpenalised) intercept. */
  fitIntercept: boolean;
  /** Newton iterations at most. */
  maxIter: number;
  /** Stop when the largest gradient component is at most tol × n (rows). */
  tol: number;
}

/** Parameter constraints of {@link LogisticRegression}, as data. */
export const LOGISTIC_PARAMS: Readonly<Record<keyof LogisticRegressionParams, ParamSpec>> = {
  C: { type: 'float', min: 0, exclusiveMin: true },
  fitIntercept: { type: 'bool' },
  maxIter: { type: 'int', min: 1 },
  tol: { type: 'float', min: 0, exclusiveMin: true },
};

interface BinaryModel {
  coef: Float64Array;
  intercept: number;
  iterations: number;
}

interface LogisticState {
  classes: number[];
  /** One model for binary, one per class (one-vs-rest) otherwise. */
  models: BinaryModel[];
  nFeatures: number;
}

function log1pexp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Fits one binary L2 logistic regression (y ∈ {0,1}) by Newton's method with backtracking line search. */
function fitBinary(X: Matrix, y: Float64Array, p: LogisticRegressionParams): BinaryModel {
  const n = X.rows,
    q = X.cols;
  const d = q + (p.fitIntercept ? 1 : 0);
  const w = new Float64Array(d);
  const z = new Float64Array(n);
  const lam = 1 / p.C;
  const objective = (wt: Float64Array, zt: Float64Array): number => {
    let loss = 0;
    for (let r = 0; r < n; r++) {
      let s = p.fitIntercept ? wt[q]! : 0;
      const off = r * q;
      for (let j = 0; j < q; j++) s += X.data[off + j]! * wt[j]!;
      zt[r] = s;
      loss += log1pexp(s) - y[r]! * s;
    }
    let reg = 0;
    for (let j = 0; j < q; j++) reg += wt[j]! * wt[j]!;
    return loss + 0.5 * lam * reg;
  };
  let f = objective(w, z);
  const g = new Float64Array(d);
  const H = new Float64Array(d * d);
  const row = new Float64Array(d);
  const wNew = new Float64Array(d);
  const zNew = new Float64Array(n);
  let it = 0;
  for (; it < p.maxIter; it++) {
    g.fill(0);
    H.fill(0);
    for (let r = 0; r < n; r++) {
      const pr = sigmoid(z[r]!);
      const res = pr - y[r]!;
      const wt = pr * (1 - pr);
      const off = r * q;
      for (let j = 0; j < q; j++) row[j] = X.data[off + j]!;
      if (p.fitIntercept) row[q] = 1;
      for (let i = 0; i < d; i++) {
        const ri = row[i]!;
        g[i] = g[i]! + res * ri;
        const wri = wt * ri;
        if (wri === 0) continue;
        const base = i * d;
        for (let k = 0; k <= i; k++) H[base + k] = H[base + k]! + wri * row[k]!;
      }
    }
    for (let i = 0; i < d; i++) for (let k = 0; k < i; k++) H[k * d + i] = H[i * d + k]!;
    for (let j = 0; j < q; j++) {
      g[j] = g[j]! + lam * w[j]!;
      H[j * d + j] = H[j * d + j]! + lam;
    }
    if (p.fitIntercept) H[q * d + q] = H[q * d + q]! + 1e-12 * n;
    let step = choleskySolve(H, g, d);
    if (!step) {
      for (let i = 0; i < d; i++) H[i * d + i] = H[i * d + i]! + 1e-8 * (1 + H[i * d + i]!);
      step = choleskySolve(H, g, d);
      if (!step) break;
    }
    let gmax = 0;
    for (let i = 0; i < d; i++) gmax = Math.max(gmax, Math.abs(g[i]!));
    if (gmax <= p.tol * n) break;
    let dec = 0;
    for (let i = 0; i < d; i++) dec += g[i]! * step[i]!;
    let t = 1;
    let accepted = false;
    for (let ls = 0; ls < 50; ls++) {
      for (let i = 0; i < d; i++) wNew[i] = w[i]! - t * step[i]!;
      const fNew = objective(wNew, zNew);
      if (fNew <= f - 1e-4 * t * dec || (fNew <= f && t === 1)) {
        w.set(wNew);
        z.set(zNew);
        f = fNew;
        accepted = true;
        break;
      }
      t /= 2;
    }
    if (!accepted) break;
  }
  return { coef: w.slice(0, q), intercept: p.fitIntercept ? w[q]! : 0, iterations: it };
}

function decision(X: Matrix, m: BinaryModel, r: number): number {
  let s = m.intercept;
  const off = r * X.cols;
  for (let j = 0; j < X.cols; j++) s += X.data[off + j]! * m.coef[j]!;
  return s;
}

/** L2-regularised logistic regression (Newton/IRLS); binary, multiclass by one-vs-rest. */
export class LogisticRegression implements Classifier<LogisticRegressionParams> {
  /** Estimator name. */
  readonly name = 'LogisticRegression';
  private readonly params: LogisticRegressionParams;
  private state: LogisticState | null = null;

  constructor(params: Partial<LogisticRegressionParams> = {}) {
    this.params = { C: 1, fitIntercept: true, maxIter: 100, tol: 1e-10, ...params };
  }

  /** The class labels (sorted distinct values of y), in probability-column order. */
  get classes(): readonly number[] {
    return this.fitted().classes;
  }

  /** Coefficients of the (first) binary model (after fit). */
  get coef(): Float64Array {
    return this.fitted().models[0]!.coef;
  }

  /** Intercept of the (first) binary model (after fit). */
  get intercept(): number {
    return this.fitted().models[0]!.intercept;
  }

  /** Mean absolute coefficient per feature (meaningful on standardised features). */
  get featureImportances(): Float64Array {
    const s = this.fitted();
    const out = new Float64Array(s.nFeatures);
    for (const m of s.models) for (let j = 0; j < out.length; j++) out[j] = out[j]! + Math.abs(m.coef[j]!) / s.models.length;
    return out;
  }

  /** Fits; y holds class labels (any numbers, at least 2 distinct). */
  fit(X: Matrix, y: Float64Array): this {
    validateParams(this.name, LOGISTIC_PARAMS, this.params as unknown as Record<string, unknown>);
    checkXy(this.name, X, y);
    const classes = [...new Set(y)].sort((a, b) => a - b);
    if (classes.length < 2) throw new RangeError(`${this.name}.fit: y has ${classes.length} class (${classes.join(', ')}); at least 2 are needed.`);
    const targets = classes.length === 2 ? [classes[1]!] : classes;
    const models = targets.map((c) =>
      fitBinary(
        X,
        y.map((v) => (v === c ? 1 : 0)),
        this.params,
      ),
    );
    this.state = { classes, models, nFeatures: X.cols };
    return this;
  }

  /** Probabilities, rows × classes. */
  predictProba(X: Matrix): Matrix {
    const s = this.fitted();
    checkCols(this.name, X, s.nFeatures);
    const k = s.classes.length;
    const out = new Float64Array(X.rows * k);
    for (let r = 0; r < X.rows; r++) {
      if (k === 2) {
        const p1 = sigmoid(decision(X, s.models[0]!, r));
        out[r * 2] = 1 - p1;
        out[r * 2 + 1] = p1;
      } else {
        let tot = 0;
        for (let c = 0; c < k; c++) {
          const v = sigmoid(decision(X, s.models[c]!, r));
          out[r * k + c] = v;
          tot += v;
        }
        for (let c = 0; c < k; c++) out[r * k + c] = out[r * k + c]! / tot;
      }
    }
    return { rows: X.rows, cols: k, data: out };
  }

  /** The most probable class label per row. */
  predict(X: Matrix): Float64Array {
    const P = this.predictProba(X);
    const cls = this.fitted().classes;
    const out = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) {
      let best = 0;
      for (let c = 1; c < P.cols; c++) if (P.data[r * P.cols + c]! > P.data[r * P.cols + best]!) best = c;
      out[r] = cls[best]!;
    }
    return out;
  }

  /** The params (defaults filled). */
  getParams(): LogisticRegressionParams {
    return { ...this.params };
  }

  /** An unfitted copy. */
  clone(overrides: Partial<LogisticRegressionParams> = {}): LogisticRegression {
    return new LogisticRegression({ ...this.params, ...overrides });
  }

  /** Learned state as JSON. */
  toJSON(): unknown {
    const s = this.fitted();
    return {
      name: this.name,
      params: this.getParams(),
      classes: s.classes,
      nFeatures: s.nFeatures,
      models: s.models.map((m) => ({ coef: Array.from(m.coef), intercept: m.intercept, iterations: m.iterations })),
    };
  }

  /** Reloads a saved LogisticRegression. */
  static fromJSON(json: unknown): LogisticRegression {
    const j = checkJsonName(json, 'LogisticRegression');
    const m = new LogisticRegression(j.params as Partial<LogisticRegressionParams>);
    const models = (j.models as { coef: number[]; intercept: number; iterations: number }[]).map((b) => ({
      coef: Float64Array.from(b.coef),
      intercept: b.intercept,
      iterations: b.iterations,
    }));
    m.state = { classes: (j.classes as number[]).slice(), models, nFeatures: Number(j.nFeatures) };
    return m;
  }

  private fitted(): LogisticState {
    if (!this.state) throw new NotFittedError(this.name);
    return this.state;
  }
}
