/**
 * Builds the forecast and backtest sections of a report from a fitted
 * {@link TrendForecaster}, including the fitted trend (the trend component
 * alone, without seasonality) over the history and the horizon.
 */
import type { Forecast, ForecastBacktest, TrendForecaster } from '../forecast';
import { FittedModel, gammaWidth, predictModel } from '../forecast/private/model';
import type { CrossingLike } from './answer';
import type { ReportInput } from './schema';

/** Options of {@link forecastSections}. */
export interface ForecastSectionOptions {
  /** What is forecast, e.g. "HUFL daily peak". */
  readonly valueLabel: string;
  /** Unit of the values. @default - none */
  readonly unit?: string;
  /** Periods to forecast at the data's frequency. */
  readonly horizon: number;
  /** The threshold to mark (e.g. the rating); the crossing is computed with `whenExceeds`. @default - no rule, no crossing */
  readonly rating?: number;
  /** Label of the rule. @default "Rating" */
  readonly ratingLabel?: string;
  /** An already computed forecast over `horizon` periods (saves a second simulation). @default - `f.forecast(horizon)` */
  readonly forecast?: Forecast;
}

/** The forecast and backtest sections, plus the crossing (null without a rating or when nothing crosses). */
export interface ForecastSections {
  readonly forecast: NonNullable<ReportInput['forecast']>;
  readonly backtest: NonNullable<ReportInput['backtest']>;
  readonly crossing: CrossingLike | null;
}

/**
 * The trend component of a fitted forecaster (no seasonality) at `times`:
 * the "fitted trend" line of the forecast chart.
 */
export function trendAt(f: TrendForecaster, times: ArrayLike<number>): Float64Array {
  const json = f.toJSON() as { fitted: { model: Record<string, unknown> } | null };
  if (!json.fitted) throw new Error('trendAt: the forecaster is not fitted; call fit() first.');
  const m = json.fitted.model as unknown as Omit<FittedModel, 'changepoints' | 'gamma' | 'delta' | 'cov'> & {
    changepoints: number[];
    gamma: number[];
    delta: number[];
    cov: number[];
  };
  const trendCols = m.spec.trend === 'polynomial' ? m.spec.degree + 1 : 2;
  const gamma = Float64Array.from(m.gamma);
  if (gamma.length !== gammaWidth(m.spec)) throw new Error('trendAt: unexpected forecaster state (gamma width).');
  gamma.fill(0, trendCols); // drop the Fourier terms
  const model: FittedModel = { ...m, changepoints: Float64Array.from(m.changepoints), gamma, delta: Float64Array.from(m.delta), cov: Float64Array.from(m.cov) };
  return predictModel(model, times);
}

/** The highest of the last `n` values (e.g. the last 90 daily peaks). */
export function recentPeak(values: ArrayLike<number>, n = 90): number {
  let best = -Infinity;
  for (let i = Math.max(0, values.length - n); i < values.length; i++) if (values[i]! > best) best = values[i]!;
  return best;
}

/** The forecast and backtest report sections of a fitted forecaster and its training history. */
export function forecastSections(f: TrendForecaster, history: { times: Float64Array; values: Float64Array }, o: ForecastSectionOptions): ForecastSections {
  const fc = o.forecast ?? f.forecast(o.horizon);
  const allTimes = new Float64Array(history.times.length + fc.times.length);
  allTimes.set(history.times, 0);
  allTimes.set(fc.times, history.times.length);
  const trend = trendAt(f, allTimes);
  let crossing: CrossingLike | null = null;
  if (o.rating !== undefined) {
    const c = f.whenExceeds(o.rating, fc.times.length);
    crossing = c.date === null && c.lower === null && c.upper === null ? null : c;
  }
  const bt: ForecastBacktest = f.backtest;
  return {
    forecast: {
      valueLabel: o.valueLabel,
      unit: o.unit,
      history: { times: history.times, values: history.values },
      trend: { times: allTimes, values: trend },
      forecast: { times: fc.times, mean: fc.mean, lower: fc.lower, upper: fc.upper },
      intervalWidth: f.getParams().intervalWidth,
      rating: o.rating,
      ratingLabel: o.ratingLabel,
      crossing: crossing ? { date: crossing.date as number | null, lower: crossing.lower as number | null, upper: crossing.upper as number | null } : null,
      model: f.model,
    },
    backtest: {
      rmse: bt.rmse,
      mae: bt.mae,
      mape: bt.mape,
      ...(bt.notDefined && Object.keys(bt.notDefined).length ? { notDefined: { ...bt.notDefined } } : {}),
      folds: bt.folds,
      horizon: bt.horizon,
      coverage: bt.coverage,
      model: bt.model,
      candidates: bt.candidates.map((c) => ({ model: c.model, rmse: Number.isFinite(c.rmse) ? c.rmse : null })),
      ...(bt.baseline ? { baseline: { model: bt.baseline.model, rmse: Number.isFinite(bt.baseline.rmse) ? bt.baseline.rmse : null } } : {}),
    },
    crossing,
  };
}
