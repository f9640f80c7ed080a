import { ParamError, ParamSpec, validateParams } from '../core/estimator';

/** The estimator name used in errors and saved models. */
export const FORECASTER_NAME = 'TrendForecaster';

/** Trend families: `auto` picks among the other three by backtest error. */
export type TrendKind = 'auto' | 'linear' | 'polynomial' | 'piecewise';

/** A Fourier order (0 = off) or `'auto'` (chosen from the data's frequency and span, then by backtest). */
export type SeasonalOrder = number | 'auto';

/** Fourier orders per built-in seasonality; a missing key means `'auto'` (as in Prophet); 0 turns it off. */
export interface SeasonalitySpec {
  /** Period 365.25 days. */
  readonly yearly?: SeasonalOrder;
  /** Period 7 days. */
  readonly weekly?: SeasonalOrder;
  /** Period 1 day. */
  readonly daily?: SeasonalOrder;
}

/** Hyperparameters of {@link TrendForecaster}. */
export interface ForecasterParams {
  /** Trend family. @default 'auto' */
  readonly trend: TrendKind;
  /** Degree of the polynomial trend (also used by 'auto'). @default 2 */
  readonly degree: number;
  /** Potential changepoints of the piecewise-linear trend (Prophet's default). @default 25 */
  readonly nChangepoints: number;
  /** Fraction of the history (by rows) over which potential changepoints are spread. @default 0.8 */
  readonly changepointRange: number;
  /** Scale τ of the Laplace prior on rate changes (Prophet's `changepoint_prior_scale`); smaller = stiffer trend. @default 0.05 */
  readonly changepointPriorScale: number;
  /** Scale of the normal prior on Fourier coefficients (Prophet's `seasonality_prior_scale`). @default 10 */
  readonly seasonalityPriorScale: number;
  /** Seasonal Fourier orders, or `'auto'` for all three. @default 'auto' */
  readonly seasonalities: 'auto' | SeasonalitySpec;
  /** Probability mass of the prediction interval. @default 0.8 */
  readonly intervalWidth: number;
  /** Monte-Carlo paths used for the prediction intervals. @default 1000 */
  readonly uncertaintySamples: number;
  /** Rolling-origin backtest folds over the end of the history. @default 3 */
  readonly backtestFolds: number;
  /** Points forecast per backtest fold; null = max(1, floor(0.2 × n / backtestFolds)). @default null */
  readonly backtestHorizon: number | null;
  /** Seed of the interval simulation. @default 0 */
  readonly randomState: number;
  /**
   * With `trend: 'auto'`, also backtest plain least-squares baselines (linear
   * and quadratic trend, no priors, with each seasonal order tried), so the
   * chosen structure is never worse in the backtest than the best of them.
   * @default true
   */
  readonly baselines: boolean;
}

/** Default hyperparameters. */
export const FORECASTER_DEFAULTS: Readonly<ForecasterParams> = Object.freeze({
  trend: 'auto',
  degree: 2,
  nChangepoints: 25,
  changepointRange: 0.8,
  changepointPriorScale: 0.05,
  seasonalityPriorScale: 10,
  seasonalities: 'auto',
  intervalWidth: 0.8,
  uncertaintySamples: 1000,
  backtestFolds: 3,
  backtestHorizon: null,
  randomState: 0,
  baselines: true,
});

/** Largest Fourier order accepted per seasonality. */
export const MAX_SEASONAL_ORDER = 50;

/** Constraints on the scalar hyperparameters, as data (`seasonalities` is checked by {@link SEASONALITY_KEYS}). */
export const FORECASTER_PARAMS: Readonly<Record<string, ParamSpec>> = Object.freeze({
  trend: { type: 'enum', values: ['auto', 'linear', 'polynomial', 'piecewise'] },
  degree: { type: 'int', min: 1, max: 6 },
  nChangepoints: { type: 'int', min: 0, max: 500 },
  changepointRange: { type: 'float', min: 0, max: 1, exclusiveMin: true },
  changepointPriorScale: { type: 'float', min: 0, exclusiveMin: true },
  seasonalityPriorScale: { type: 'float', min: 0, exclusiveMin: true },
  intervalWidth: { type: 'float', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
  uncertaintySamples: { type: 'int', min: 10, max: 100000 },
  backtestFolds: { type: 'int', min: 1, max: 50 },
  backtestHorizon: { type: 'int', min: 1, nullable: true },
  randomState: { type: 'int', min: 0, max: 0xffffffff },
  baselines: { type: 'bool' },
});

/** The seasonality names accepted in `seasonalities`. */
export const SEASONALITY_KEYS = ['yearly', 'weekly', 'daily'] as const;

/** One built-in seasonality name. */
export type SeasonalityName = (typeof SEASONALITY_KEYS)[number];

/** Fills defaults (ignoring `undefined` values). */
export function withDefaults(given: Partial<ForecasterParams>): ForecasterParams {
  const out: Record<string, unknown> = { ...FORECASTER_DEFAULTS };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) out[k] = v;
  const s = out.seasonalities;
  if (s !== null && typeof s === 'object') out.seasonalities = { ...(s as SeasonalitySpec) };
  return out as unknown as ForecasterParams;
}

/** Validates every hyperparameter; throws {@link ParamError} naming the first bad one. */
export function validateForecasterParams(params: Readonly<Record<string, unknown>>): void {
  const known = [...Object.keys(FORECASTER_PARAMS), 'seasonalities'];
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) throw new ParamError(FORECASTER_NAME, key, params[key], `one of the known parameters (${known.join(', ')})`);
  }
  const { seasonalities, ...scalars } = params;
  validateParams(FORECASTER_NAME, FORECASTER_PARAMS, scalars);
  if (seasonalities === undefined || seasonalities === 'auto') return;
  const accepted = `'auto' or an object with optional keys ${SEASONALITY_KEYS.join(', ')} (each an int 0..${MAX_SEASONAL_ORDER} or 'auto')`;
  if (seasonalities === null || typeof seasonalities !== 'object' || Array.isArray(seasonalities)) {
    throw new ParamError(FORECASTER_NAME, 'seasonalities', seasonalities, accepted);
  }
  for (const [k, v] of Object.entries(seasonalities as Record<string, unknown>)) {
    if (!(SEASONALITY_KEYS as readonly string[]).includes(k)) {
      throw new ParamError(FORECASTER_NAME, `seasonalities.${k}`, v, `absent: the known seasonalities are ${SEASONALITY_KEYS.join(', ')}`);
    }
    if (v === undefined || v === 'auto') continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SEASONAL_ORDER) {
      throw new ParamError(FORECASTER_NAME, `seasonalities.${k}`, v, `an int ≥ 0 and ≤ ${MAX_SEASONAL_ORDER} or 'auto'`);
    }
  }
}

/** The order requested for one seasonality. */
export function seasonalOrder(params: ForecasterParams, name: SeasonalityName): SeasonalOrder {
  const s = params.seasonalities;
  if (s === 'auto') return 'auto';
  return s[name] ?? 'auto';
}
