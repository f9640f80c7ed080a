/**
 * One forecasting model of a fixed structure (trend family + Fourier orders),
 * fitted by penalised least squares as the MAP estimate of Prophet's model:
 *
 *   y/yScale = trend(t) + Σ Fourier(t) β + ε,   ε ~ N(0, σ²)
 *   trend coefficients ~ N(0, 5²), β ~ N(0, seasonalityPriorScale²),
 *   rate changes δ ~ Laplace(0, changepointPriorScale)
 *
 * with t scaled to [0, 1] over the training span and y scaled by max |y|
 * (Prophet's scalings, so the prior scales mean the same). For a given σ the
 * MAP is a lasso on δ plus a ridge on the rest; σ is re-estimated from the
 * residuals and the two steps alternate (a majorise-minimise scheme on the
 * joint posterior) until σ settles. The ridge block is profiled out exactly
 * (Schur complement), so coordinate descent runs on δ alone.
 */
import { Rng } from '../../core/random';
import { crossProducts, lassoQuadratic, matVec, quadForm, spdInverse } from './linalg';

// Tests run under jest's vm context, where every lookup of a global such as
// `Math` is slow (~10x in hot loops); a module-local alias keeps them fast.
const Mth = Math;

/** Milliseconds per day: Fourier terms use days since the Unix epoch, as Prophet does. */
export const MS_PER_DAY = 86_400_000;

/** Built-in seasonal periods in days. */
export const SEASON_PERIODS = { yearly: 365.25, weekly: 7, daily: 1 } as const;

/** The trend families a concrete model can have. */
export type TrendFamily = 'linear' | 'polynomial' | 'piecewise';

/** The structure of one candidate model. */
export interface ModelSpec {
  /** Trend family. */
  readonly trend: TrendFamily;
  /** Polynomial degree (polynomial only). */
  readonly degree: number;
  /** Potential changepoints requested (piecewise only; fewer if the data is short). */
  readonly nChangepoints: number;
  /** Share of the rows holding potential changepoints. */
  readonly changepointRange: number;
  /** Fourier orders (0 = off). */
  readonly yearly: number;
  readonly weekly: number;
  readonly daily: number;
  /**
   * A plain least-squares baseline (linear or polynomial trend only): no
   * priors, no noise re-estimation, just the least-squares solution of the
   * trend + Fourier columns. @default false
   */
  readonly leastSquares?: boolean;
}

/** Prior scales used by the fit. */
export interface Priors {
  readonly changepointPriorScale: number;
  readonly seasonalityPriorScale: number;
}

/** A fitted model: plain numbers only, so that it serialises exactly. */
export interface FittedModel {
  readonly spec: ModelSpec;
  /** First training time (epoch ms) and training span (ms): t = (time − t0) / tSpan. */
  readonly t0: number;
  readonly tSpan: number;
  /** Values are modelled as y / yScale (yScale = max |y|, or 1). */
  readonly yScale: number;
  /** Changepoint locations in scaled time. */
  readonly changepoints: Float64Array;
  /** Trend + Fourier coefficients (scaled units). */
  readonly gamma: Float64Array;
  /** Rate changes at the changepoints (scaled units). */
  readonly delta: Float64Array;
  /** Residual standard deviation (scaled units, degrees-of-freedom corrected). */
  readonly sigma: number;
  /** Laplace scale of simulated future rate changes: mean |δ| (Prophet's rule). */
  readonly deltaScale: number;
  /** (AᵀA + Λ)⁻¹ of the trend + Fourier block, for the parameter part of the interval. */
  readonly cov: Float64Array;
}

/** Number of trend + Fourier columns. */
export function gammaWidth(spec: ModelSpec): number {
  const trendCols = spec.trend === 'polynomial' ? spec.degree + 1 : 2;
  return trendCols + 2 * (spec.yearly + spec.weekly + spec.daily);
}

/** A readable name such as `piecewise(25)+yearly(10)+weekly(3)`; least-squares baselines read `ls-linear`, `ls-quadratic`, `ls-polynomial(3)`. */
export function specName(spec: ModelSpec): string {
  let s: string;
  if (spec.leastSquares) s = spec.trend === 'linear' ? 'ls-linear' : spec.degree === 2 ? 'ls-quadratic' : `ls-polynomial(${spec.degree})`;
  else s = spec.trend === 'linear' ? 'linear' : spec.trend === 'polynomial' ? `polynomial(${spec.degree})` : `piecewise(${spec.nChangepoints})`;
  if (spec.yearly > 0) s += `+yearly(${spec.yearly})`;
  if (spec.weekly > 0) s += `+weekly(${spec.weekly})`;
  if (spec.daily > 0) s += `+daily(${spec.daily})`;
  return s;
}

/** Writes the trend + Fourier features of one time into `out` at `offset`. */
function gammaRow(spec: ModelSpec, t: number, time: number, out: Float64Array, offset: number): void {
  let o = offset;
  out[o++] = 1;
  if (spec.trend === 'polynomial') {
    let pw = 1;
    for (let d = 1; d <= spec.degree; d++) {
      pw *= t;
      out[o++] = pw;
    }
  } else {
    out[o++] = t;
  }
  const days = time / MS_PER_DAY;
  o = fourier(days, SEASON_PERIODS.yearly, spec.yearly, out, o);
  o = fourier(days, SEASON_PERIODS.weekly, spec.weekly, out, o);
  fourier(days, SEASON_PERIODS.daily, spec.daily, out, o);
}

function fourier(days: number, period: number, order: number, out: Float64Array, offset: number): number {
  let o = offset;
  for (let k = 1; k <= order; k++) {
    const x = (2 * Mth.PI * k * days) / period;
    out[o++] = Mth.sin(x);
    out[o++] = Mth.cos(x);
  }
  return o;
}

/** Prophet's placement: S points evenly (by row) over the first `range` of the history, the first row excluded. */
function changepointRows(n: number, spec: ModelSpec): number[] {
  if (spec.trend !== 'piecewise') return [];
  const hist = Mth.floor(n * spec.changepointRange);
  const S = Mth.min(spec.nChangepoints, hist - 1);
  if (S <= 0) return [];
  const rows: number[] = [];
  for (let i = 1; i <= S; i++) rows.push(Mth.round(((hist - 1) * i) / S));
  return rows;
}

/**
 * The columns shared by a family of candidate structures on one training
 * series, with their Gram matrix computed once: powers of t up to the largest
 * degree, each Fourier block at its largest order, and the changepoint hinges.
 * A candidate's fit reads its sub-blocks (same sums in the same order, so the
 * result is bit-identical to a design built for that candidate alone).
 */
export interface Design {
  readonly n: number;
  readonly t0: number;
  readonly tSpan: number;
  readonly yScale: number;
  readonly ys: Float64Array;
  readonly yty: number;
  /** Columns, row-major n × cols. */
  readonly X: Float64Array;
  readonly cols: number;
  readonly G: Float64Array;
  readonly Xty: Float64Array;
  readonly maxDegree: number;
  readonly orders: { readonly yearly: number; readonly weekly: number; readonly daily: number };
  /** Changepoints in scaled time (empty when no candidate is piecewise). */
  readonly changepoints: Float64Array;
}

/** Builds the shared design for `specs` (piecewise specs must agree on their changepoint settings). */
export function buildDesign(times: Float64Array, values: Float64Array, specs: readonly ModelSpec[]): Design {
  const n = times.length;
  const t0 = times[0]!;
  const tSpan = times[n - 1]! - t0;
  let yScale = 0;
  for (let i = 0; i < n; i++) yScale = Mth.max(yScale, Mth.abs(values[i]!));
  if (yScale === 0) yScale = 1;
  const ys = new Float64Array(n);
  let yty = 0;
  for (let i = 0; i < n; i++) {
    ys[i] = values[i]! / yScale;
    yty += ys[i]! * ys[i]!;
  }
  let maxDegree = 1;
  const orders = { yearly: 0, weekly: 0, daily: 0 };
  let cpRows: number[] = [];
  let cpKey: string | null = null;
  for (const spec of specs) {
    if (spec.trend === 'polynomial') maxDegree = Mth.max(maxDegree, spec.degree);
    orders.yearly = Mth.max(orders.yearly, spec.yearly);
    orders.weekly = Mth.max(orders.weekly, spec.weekly);
    orders.daily = Mth.max(orders.daily, spec.daily);
    if (spec.trend === 'piecewise') {
      const key = `${spec.nChangepoints}/${spec.changepointRange}`;
      if (cpKey !== null && key !== cpKey) throw new Error(`forecast: candidates disagree on changepoints (${cpKey} vs ${key})`);
      cpKey = key;
      cpRows = changepointRows(n, spec);
    }
  }
  const S = cpRows.length;
  const changepoints = new Float64Array(S);
  for (let j = 0; j < S; j++) changepoints[j] = (times[cpRows[j]!]! - t0) / tSpan;
  const cols = maxDegree + 1 + 2 * (orders.yearly + orders.weekly + orders.daily) + S;
  const X = new Float64Array(n * cols);
  for (let i = 0; i < n; i++) {
    const time = times[i]!;
    const t = (time - t0) / tSpan;
    let o = i * cols;
    let pw = 1;
    X[o++] = 1;
    for (let d = 1; d <= maxDegree; d++) {
      pw *= t;
      X[o++] = pw;
    }
    const days = time / MS_PER_DAY;
    o = fourier(days, SEASON_PERIODS.yearly, orders.yearly, X, o);
    o = fourier(days, SEASON_PERIODS.weekly, orders.weekly, X, o);
    o = fourier(days, SEASON_PERIODS.daily, orders.daily, X, o);
    for (let j = 0; j < S; j++) X[o++] = t > changepoints[j]! ? t - changepoints[j]! : 0;
  }
  const { xtx: G, xty: Xty } = crossProducts(X, n, cols, ys, 1);
  return { n, t0, tSpan, yScale, ys, yty, X, cols, G, Xty, maxDegree, orders, changepoints };
}

/** The design columns of one structure: trend + Fourier (in {@link gammaRow} order) and hinges. */
function columnsOf(d: Design, spec: ModelSpec): { a: number[]; b: number[] } {
  const a: number[] = [];
  const trendCols = spec.trend === 'polynomial' ? spec.degree + 1 : 2;
  for (let k = 0; k < trendCols; k++) a.push(k);
  let o = d.maxDegree + 1;
  for (const name of ['yearly', 'weekly', 'daily'] as const) {
    for (let k = 0; k < 2 * spec[name]; k++) a.push(o + k);
    o += 2 * d.orders[name];
  }
  const b: number[] = [];
  if (spec.trend === 'piecewise') for (let j = 0; j < d.changepoints.length; j++) b.push(o + j);
  return { a, b };
}

/** Fits one model structure to `times` (ascending epoch ms) and `values` (finite), optionally reading a shared {@link Design}. */
export function fitModel(times: Float64Array, values: Float64Array, spec: ModelSpec, priors: Priors, design: Design = buildDesign(times, values, [spec])): FittedModel {
  const { n, t0, tSpan, yScale, ys, yty, X, cols, G } = design;
  const { a: aIdx, b: bIdx } = columnsOf(design, spec);
  const pa = aIdx.length;
  const S = bIdx.length;
  const changepoints = spec.trend === 'piecewise' ? design.changepoints.slice() : new Float64Array(0);
  const GAA = new Float64Array(pa * pa);
  const Aty = new Float64Array(pa);
  const GAB = new Float64Array(pa * S);
  const GBB = new Float64Array(S * S);
  const Bty = new Float64Array(S);
  for (let i = 0; i < pa; i++) {
    Aty[i] = design.Xty[aIdx[i]!]!;
    for (let k = 0; k < pa; k++) GAA[i * pa + k] = G[aIdx[i]! * cols + aIdx[k]!]!;
    for (let j = 0; j < S; j++) GAB[i * S + j] = G[aIdx[i]! * cols + bIdx[j]!]!;
  }
  for (let j = 0; j < S; j++) {
    Bty[j] = design.Xty[bIdx[j]!]!;
    for (let k = 0; k < S; k++) GBB[j * S + k] = G[bIdx[j]! * cols + bIdx[k]!]!;
  }
  const trendCols = spec.trend === 'polynomial' ? spec.degree + 1 : 2;

  const delta = new Float64Array(S);
  let gamma: Float64Array = new Float64Array(pa);
  let M: Float64Array = new Float64Array(pa * pa);

  /** Exact residual sum of squares, one pass over the rows. */
  const residualSS = (): number => {
    let rss = 0;
    for (let i = 0; i < n; i++) {
      let f = 0;
      const xo = i * cols;
      for (let k = 0; k < pa; k++) f += X[xo + aIdx[k]!]! * gamma[k]!;
      for (let j = 0; j < S; j++) f += X[xo + bIdx[j]!]! * delta[j]!;
      const r = ys[i]! - f;
      rss += r * r;
    }
    return rss;
  };
  /** The same from the Gram blocks, O(p²): used inside the σ iterations (exact pass at the end). */
  const residualSSFromGram = (): number => {
    let rss = yty;
    for (let i = 0; i < pa; i++) {
      let gi = 0;
      for (let k = 0; k < pa; k++) gi += GAA[i * pa + k]! * gamma[k]!;
      for (let j = 0; j < S; j++) gi += 2 * GAB[i * S + j]! * delta[j]!;
      rss += gamma[i]! * (gi - 2 * Aty[i]!);
    }
    for (let j = 0; j < S; j++) {
      if (delta[j] === 0) continue;
      let gj = 0;
      for (let k = 0; k < S; k++) gj += GBB[j * S + k]! * delta[k]!;
      rss += delta[j]! * (gj - 2 * Bty[j]!);
    }
    return Mth.max(0, rss);
  };

  const solve = (sigma2: number): void => {
    const G = GAA.slice();
    for (let k = 0; k < pa; k++) {
      const priorSd = k < trendCols ? 5 : priors.seasonalityPriorScale;
      G[k * pa + k]! += sigma2 / (priorSd * priorSd);
    }
    M = spdInverse(G, pa);
    if (S > 0) {
      // Profile out gamma: H = GBB − GBA M GAB, c = Bᵀy − GBA M Aᵀy.
      const MAy = matVec(M, Aty, pa);
      const MGAB = new Float64Array(pa * S);
      for (let i = 0; i < pa; i++) {
        for (let k = 0; k < S; k++) {
          let s = 0;
          for (let l = 0; l < pa; l++) s += M[i * pa + l]! * GAB[l * S + k]!;
          MGAB[i * S + k] = s;
        }
      }
      const H = new Float64Array(S * S);
      const c = new Float64Array(S);
      let maxDiag = 0;
      for (let j = 0; j < S; j++) {
        let cj = Bty[j]!;
        for (let i = 0; i < pa; i++) cj -= GAB[i * S + j]! * MAy[i]!;
        c[j] = cj;
        for (let k = j; k < S; k++) {
          let h = GBB[j * S + k]!;
          for (let i = 0; i < pa; i++) h -= GAB[i * S + j]! * MGAB[i * S + k]!;
          H[j * S + k] = h;
          H[k * S + j] = h;
        }
        maxDiag = Mth.max(maxDiag, H[j * S + j]!);
      }
      for (let j = 0; j < S; j++) H[j * S + j]! += 1e-12 * maxDiag;
      lassoQuadratic(H, c, sigma2 / priors.changepointPriorScale, delta, 1e-10 * Mth.sqrt(yty), 5000);
    }
    const rhs = Aty.slice();
    for (let i = 0; i < pa; i++) for (let j = 0; j < S; j++) rhs[i]! -= GAB[i * S + j]! * delta[j]!;
    gamma = matVec(M, rhs, pa);
  };

  // Start as Prophet does (rate changes at zero), with only the numerical floor as penalty.
  // A least-squares baseline stops here: no priors, so no noise level to re-estimate them with.
  solve(0);
  let sigma2 = residualSSFromGram() / n;
  const maxIter = spec.leastSquares ? 0 : S > 0 ? 50 : 2;
  for (let it = 0; it < maxIter; it++) {
    solve(sigma2);
    const next = residualSSFromGram() / n;
    // Round-off floor of the Gram form: below it the fit is exact and σ is 0 for the prior.
    const settled = Mth.abs(next - sigma2) <= 1e-8 * sigma2 || next <= 1e-13 * (yty / n);
    sigma2 = next;
    if (settled) break;
  }
  const rss = residualSS();
  let nnz = 0;
  let sumAbs = 0;
  for (let j = 0; j < S; j++) {
    if (delta[j] !== 0) nnz++;
    sumAbs += Mth.abs(delta[j]!);
  }
  const dof = Mth.max(1, n - pa - nnz);
  return {
    spec,
    t0,
    tSpan,
    yScale,
    changepoints,
    gamma,
    delta,
    sigma: Mth.sqrt(rss / dof),
    deltaScale: S > 0 ? sumAbs / S : 0,
    cov: M,
  };
}

/** Point forecasts at `times`. */
export function predictModel(m: FittedModel, times: ArrayLike<number>): Float64Array {
  const pa = m.gamma.length;
  const row = new Float64Array(pa);
  const out = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) {
    const time = times[i]!;
    const t = (time - m.t0) / m.tSpan;
    gammaRow(m.spec, t, time, row, 0);
    let f = 0;
    for (let k = 0; k < pa; k++) f += row[k]! * m.gamma[k]!;
    for (let j = 0; j < m.delta.length; j++) {
      const cp = m.changepoints[j]!;
      if (t > cp) f += m.delta[j]! * (t - cp);
    }
    out[i] = f * m.yScale;
  }
  return out;
}

/**
 * Point forecasts and prediction intervals at future `times` (ascending,
 * after the training data), by Monte-Carlo simulation of `samples` paths:
 *
 * - observation noise N(0, σ²(1 + aᵀ(AᵀA+Λ)⁻¹a)) per point — the residual
 *   spread plus the uncertainty of the trend/Fourier coefficients (exact for
 *   linear and polynomial trends; for piecewise trends conditional on δ);
 * - for piecewise trends, future rate changes as Prophet simulates them:
 *   changepoints arrive as a Poisson process with the historical rate
 *   (S per training span), each changing the slope by a Laplace(0, mean|δ|)
 *   amount, so trend uncertainty grows with the horizon.
 *
 * Paths are simulated step by step (all paths for step 1, then step 2, …)
 * from a fresh {@link Rng}(seed), so a longer horizon extends, and never
 * changes, the intervals of a shorter one. Bounds are the empirical
 * quantiles (linear interpolation) at (1 ∓ width)/2, clamped so that
 * lower ≤ mean ≤ upper.
 */
export function forecastModel(
  m: FittedModel,
  times: ArrayLike<number>,
  width: number,
  samples: number,
  seed: number,
): { mean: Float64Array; lower: Float64Array; upper: Float64Array } {
  const mean = predictModel(m, times);
  const h = times.length;
  const lower = new Float64Array(h);
  const upper = new Float64Array(h);
  const rng = new Rng(seed);
  const pa = m.gamma.length;
  const row = new Float64Array(pa);
  const S = m.delta.length;
  const simulateTrend = S > 0 && m.deltaScale > 0;
  const slopeDev = new Float64Array(samples);
  const offsetDev = new Float64Array(samples);
  const draws = new Float64Array(samples);
  const qLo = (1 - width) / 2;
  const qHi = (1 + width) / 2;
  let tPrev = 1; // the end of the training span in scaled time
  for (let i = 0; i < h; i++) {
    const time = times[i]!;
    const t = (time - m.t0) / m.tSpan;
    gammaRow(m.spec, t, time, row, 0);
    const sd = m.sigma * Mth.sqrt(1 + Mth.max(0, quadForm(m.cov, row, pa)));
    const rate = simulateTrend ? S * Mth.max(0, t - tPrev) : 0;
    for (let s = 0; s < samples; s++) {
      if (rate > 0) {
        const count = poisson(rng, rate);
        for (let c = 0; c < count; c++) {
          const at = tPrev + rng.next() * (t - tPrev);
          const d = laplace(rng, m.deltaScale);
          slopeDev[s]! += d;
          offsetDev[s]! += d * at;
        }
      }
      draws[s] = slopeDev[s]! * t - offsetDev[s]! + sd * normal(rng);
    }
    if (t > tPrev) tPrev = t;
    draws.sort();
    const lo = mean[i]! + quantileSorted(draws, qLo) * m.yScale;
    const hi = mean[i]! + quantileSorted(draws, qHi) * m.yScale;
    lower[i] = Mth.min(lo, mean[i]!);
    upper[i] = Mth.max(hi, mean[i]!);
  }
  return { mean, lower, upper };
}

/** Standard normal by Box-Muller from two uniforms of `rng` (as Rng.normal, with the alias above). */
function normal(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng.next();
  return Mth.sqrt(-2 * Mth.log(u)) * Mth.cos(2 * Mth.PI * rng.next());
}

function poisson(rng: Rng, lambda: number): number {
  // Inversion; lambda here is small (changepoints per step).
  const u = rng.next();
  let k = 0;
  let p = Mth.exp(-lambda);
  let cdf = p;
  while (u > cdf && k < 1000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

function laplace(rng: Rng, b: number): number {
  let u = rng.next();
  while (u === 0) u = rng.next();
  u -= 0.5;
  return u < 0 ? b * Mth.log(1 + 2 * u) : -b * Mth.log(1 - 2 * u);
}

/** Quantile of sorted values, linear interpolation between order statistics (numpy's default). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Mth.floor(pos);
  const hi = Mth.min(sorted.length - 1, lo + 1);
  const f = pos - lo;
  return sorted[lo]! + f * (sorted[hi]! - sorted[lo]!);
}
