/**
 * Candidate structures and the rolling-origin backtest that picks among them.
 */
import { regressionScores } from '../../eval/metrics';
import { ForecasterParams, SEASONALITY_KEYS, SeasonalityName, seasonalOrder } from '../params';
import { FittedModel, MS_PER_DAY, ModelSpec, TrendFamily, buildDesign, fitModel, forecastModel, predictModel, specName } from './model';

// Tests run under jest's vm context, where every lookup of a global such as
// `Math` is slow (~10x in hot loops); a module-local alias keeps them fast.
const Mth = Math;

/** Fourier orders tried for an `'auto'` seasonality that the data can support (0 = off is always tried). */
export const AUTO_ORDERS: Readonly<Record<SeasonalityName, readonly number[]>> = {
  yearly: [0, 3, 10],
  weekly: [0, 3],
  daily: [0, 4],
};

/**
 * Whether the data can support a seasonality (after Prophet's 'auto' rule,
 * relaxed for yearly from two years to one since the backtest arbitrates):
 * yearly needs ≥ 365 days of history; weekly ≥ 14 days sampled more often
 * than weekly; daily ≥ 2 days sampled more often than daily.
 */
export function seasonalityEligible(name: SeasonalityName, freqMs: number, spanMs: number): boolean {
  const spanDays = spanMs / MS_PER_DAY;
  const freqDays = freqMs / MS_PER_DAY;
  switch (name) {
    case 'yearly':
      return spanDays >= 365 && freqDays <= 31;
    case 'weekly':
      return spanDays >= 14 && freqDays < 7;
    case 'daily':
      return spanDays >= 2 && freqDays < 1;
  }
}

/**
 * Every candidate structure, simplest first (ties in backtest error go to the
 * earlier one). With `trend: 'auto'` and `baselines`, the plain least-squares
 * baselines follow: linear and quadratic trend with each seasonal order
 * tried (last, so that a tie keeps the prior-regularised model).
 */
export function candidateSpecs(params: ForecasterParams, freqMs: number, spanMs: number): ModelSpec[] {
  const trends: TrendFamily[] = params.trend === 'auto' ? ['linear', 'polynomial', 'piecewise'] : [params.trend];
  const orders = {} as Record<SeasonalityName, readonly number[]>;
  for (const name of SEASONALITY_KEYS) {
    const o = seasonalOrder(params, name);
    orders[name] = o !== 'auto' ? [o] : seasonalityEligible(name, freqMs, spanMs) ? AUTO_ORDERS[name] : [0];
  }
  const out: ModelSpec[] = [];
  const add = (trend: TrendFamily, degree: number, leastSquares: boolean): void => {
    for (const yearly of orders.yearly) {
      for (const weekly of orders.weekly) {
        for (const daily of orders.daily) {
          out.push({
            trend,
            degree,
            nChangepoints: params.nChangepoints,
            changepointRange: params.changepointRange,
            yearly,
            weekly,
            daily,
            ...(leastSquares ? { leastSquares } : {}),
          });
        }
      }
    }
  };
  for (const trend of trends) add(trend, params.degree, false);
  if (params.trend === 'auto' && params.baselines) {
    add('linear', params.degree, true);
    add('polynomial', 2, true);
  }
  return out;
}

/** Backtest figures of the chosen model (errors pooled over all folds). */
export interface ForecastBacktest {
  /** Root mean squared error of the held-out points. */
  readonly rmse: number;
  /** Mean absolute error. */
  readonly mae: number;
  /**
   * Mean absolute percentage error as a fraction (0.05 = 5%), or null when it
   * is not defined: a held-out value is 0 (the rule of eval/metrics.ts
   * `mapeUndefinedReason`; {@link notDefined} says why).
   */
  readonly mape: number | null;
  /** Metric → why it is not defined on the held-out points (`mape` when one of them is 0); empty when all are. */
  readonly notDefined: Readonly<Record<string, string>>;
  /** Folds run. */
  readonly folds: number;
  /** Points forecast per fold. */
  readonly horizon: number;
  /** Share of held-out points inside the fold models' prediction intervals. */
  readonly coverage: number;
  /** The chosen structure, e.g. `piecewise(25)+weekly(3)`. */
  readonly model: string;
  /** Every structure tried with its backtest RMSE, best first. */
  readonly candidates: { model: string; rmse: number }[];
  /**
   * The best plain least-squares baseline (`ls-…` candidates) and its backtest
   * RMSE, which the chosen structure's never exceeds; null when no baseline
   * was tried (a fixed trend, or `baselines: false`).
   */
  readonly baseline: { model: string; rmse: number } | null;
}

/** The folds: training prefix length and test length per fold. */
export function foldPlan(n: number, folds: number, horizon: number): { trainEnd: number; testEnd: number }[] {
  const out: { trainEnd: number; testEnd: number }[] = [];
  for (let k = 0; k < folds; k++) {
    const trainEnd = n - (folds - k) * horizon;
    out.push({ trainEnd, testEnd: trainEnd + horizon });
  }
  return out;
}

/**
 * Runs the backtest of every candidate, picks the lowest RMSE (never MAPE,
 * which held-out zeros leave undefined), and measures the winner's MAPE
 * (eval/metrics.ts `regressionScores`: not defined when a held-out value is
 * 0) and interval coverage.
 */
export function runBacktest(
  times: Float64Array,
  values: Float64Array,
  specs: readonly ModelSpec[],
  folds: number,
  horizon: number,
  params: ForecasterParams,
): { best: ModelSpec; backtest: ForecastBacktest } {
  const plan = foldPlan(times.length, folds, horizon);
  const priors = params;
  const scored = specs.map((spec, index) => ({ spec, index, rmse: 0, mae: 0, models: [] as FittedModel[] }));
  const se = new Float64Array(specs.length);
  const ae = new Float64Array(specs.length);
  let count = 0;
  // One shared design (and Gram matrix) per fold serves every candidate.
  for (const { trainEnd, testEnd } of plan) {
    const tt = times.subarray(0, trainEnd);
    const yt = values.subarray(0, trainEnd);
    const design = buildDesign(tt, yt, specs);
    specs.forEach((spec, c) => {
      const m = fitModel(tt, yt, spec, priors, design);
      scored[c]!.models.push(m);
      const pred = predictModel(m, times.subarray(trainEnd, testEnd));
      for (let i = trainEnd; i < testEnd; i++) {
        const e = values[i]! - pred[i - trainEnd]!;
        se[c]! += e * e;
        ae[c]! += Mth.abs(e);
      }
    });
    count += testEnd - trainEnd;
  }
  scored.forEach((s, c) => {
    const rmse = Mth.sqrt(se[c]! / count);
    s.rmse = Number.isFinite(rmse) ? rmse : Infinity;
    s.mae = ae[c]! / count;
  });
  const ranked = [...scored].sort((a, b) => a.rmse - b.rmse || a.index - b.index);
  // RMSEs within round-off of the best are ties, won by the simplest (earliest) candidate.
  let yMax = 0;
  for (let i = 0; i < values.length; i++) yMax = Mth.max(yMax, Mth.abs(values[i]!));
  const tieBand = ranked[0]!.rmse + 1e-9 * yMax;
  const win = ranked.filter((c) => c.rmse <= tieBand).sort((a, b) => a.index - b.index)[0]!;
  const bestBaseline = ranked.find((c) => c.spec.leastSquares) ?? null;
  let inside = 0;
  let total = 0;
  const heldOut = values.subarray(plan[0]!.trainEnd, plan[plan.length - 1]!.testEnd);
  const winPred = new Float64Array(heldOut.length);
  win.models.forEach((m, k) => {
    const { trainEnd, testEnd } = plan[k]!;
    winPred.set(predictModel(m, times.subarray(trainEnd, testEnd)), trainEnd - plan[0]!.trainEnd);
    const f = forecastModel(m, times.subarray(trainEnd, testEnd), params.intervalWidth, params.uncertaintySamples, params.randomState);
    for (let i = trainEnd; i < testEnd; i++) {
      const v = values[i]!;
      if (v >= f.lower[i - trainEnd]! && v <= f.upper[i - trainEnd]!) inside++;
      total++;
    }
  });
  // MAPE by the one rule of eval/metrics.ts; not defined (null, with the reason) when a held-out value is 0.
  const { metrics, notDefined } = regressionScores(heldOut, winPred);
  return {
    best: win.spec,
    backtest: {
      rmse: win.rmse,
      mae: win.mae,
      mape: typeof metrics.mape === 'number' && Number.isFinite(metrics.mape) ? metrics.mape : null,
      notDefined: Object.hasOwn(notDefined, 'mape') ? { mape: notDefined.mape! } : {},
      folds: plan.length,
      horizon,
      coverage: inside / total,
      model: specName(win.spec),
      candidates: ranked.map((c) => ({ model: specName(c.spec), rmse: c.rmse })),
      baseline: bestBaseline ? { model: specName(bestBaseline.spec), rmse: bestBaseline.rmse } : null,
    },
  };
}
