import { NotFittedError, ParamError } from '../core/estimator';
import { ForecastInputError, show } from './errors';
import { FORECASTER_NAME, ForecasterParams, MAX_SEASONAL_ORDER, validateForecasterParams, withDefaults } from './params';
import { ForecastBacktest, candidateSpecs, runBacktest } from './private/backtest';
import { FittedModel, ModelSpec, fitModel, forecastModel, predictModel, specName } from './private/model';

/** Fewest observations {@link TrendForecaster.fit} accepts. */
export const MIN_FORECAST_POINTS = 10;

/** Longest horizon (in periods) {@link TrendForecaster.forecast} accepts. */
export const MAX_FORECAST_HORIZON = 1_000_000;

/** Version of the JSON layout written by {@link TrendForecaster.toJSON}. */
export const FORECASTER_SCHEMA_VERSION = 1;

const FORMAT = 'cdktf-mlops/trend-forecaster';

/** A forecast: future times (epoch ms) with the mean and the prediction interval bounds. */
export interface Forecast {
  /** Epoch ms: last observation + k × inferred frequency, k = 1..horizon. */
  readonly times: Float64Array;
  /** Point forecast. */
  readonly mean: Float64Array;
  /** Lower bound of the `intervalWidth` prediction interval. */
  readonly lower: Float64Array;
  /** Upper bound of the `intervalWidth` prediction interval. */
  readonly upper: Float64Array;
}

/** When a threshold is first reached: epoch ms of the first forecast time at or above it, or null within the horizon. */
export interface Exceedance {
  /** First forecast time whose mean is ≥ threshold. */
  readonly date: number | null;
  /** First forecast time whose lower bound is ≥ threshold (the pessimistic, latest date). */
  readonly lower: number | null;
  /** First forecast time whose upper bound is ≥ threshold (the earliest plausible date). */
  readonly upper: number | null;
}

export type { ForecastBacktest } from './private/backtest';

interface FittedState {
  readonly params: ForecasterParams;
  /** Inferred sampling period (median spacing), ms. */
  readonly frequency: number;
  readonly lastTime: number;
  readonly nObs: number;
  readonly model: FittedModel;
  readonly backtest: ForecastBacktest;
}

/**
 * A Prophet-style forecaster: trend (linear, polynomial, or piecewise-linear
 * with automatic changepoints) plus Fourier seasonality, fitted by penalised
 * least squares, structure chosen by a rolling-origin backtest, with
 * simulated prediction intervals and a `whenExceeds` threshold query.
 */
export class TrendForecaster {
  /** The estimator's name, as errors and artifacts call it. */
  readonly name = FORECASTER_NAME;
  private readonly given: Partial<ForecasterParams>;
  private state: FittedState | null = null;

  /** Stores the params untouched; they are validated by {@link fit}. */
  constructor(params: Partial<ForecasterParams> = {}) {
    this.given = params;
  }

  /** The params as given, defaults filled. */
  getParams(): ForecasterParams {
    return withDefaults(this.given);
  }

  /** An unfitted copy with the same params (or with `overrides`). */
  clone(overrides: Partial<ForecasterParams> = {}): TrendForecaster {
    return new TrendForecaster({ ...this.given, ...overrides });
  }

  /** Whether {@link fit} (or {@link fromJSON} of a fitted model) has run. */
  get fitted(): boolean {
    return this.state !== null;
  }

  /** Backtest figures of the chosen structure (rolling origin over the end of the history). */
  get backtest(): ForecastBacktest {
    return this.need().backtest;
  }

  /** The chosen structure, e.g. `piecewise(25)+yearly(3)+weekly(3)`. */
  get model(): string {
    return specName(this.need().model.spec);
  }

  /** The inferred sampling period in ms (median spacing of the training times). */
  get frequency(): number {
    return this.need().frequency;
  }

  /** Rate of the trend (value units per day) at `time` (epoch ms), e.g. to check a changepoint. */
  trendRate(time: number): number {
    const m = this.need().model;
    const t = (time - m.t0) / m.tSpan;
    let rate: number;
    if (m.spec.trend === 'polynomial') {
      rate = 0;
      let pw = 1;
      for (let d = 1; d <= m.spec.degree; d++) {
        rate += d * m.gamma[d]! * pw;
        pw *= t;
      }
    } else {
      rate = m.gamma[1]!;
      for (let j = 0; j < m.delta.length; j++) if (t > m.changepoints[j]!) rate += m.delta[j]!;
    }
    return (rate * m.yScale * 86_400_000) / m.tSpan;
  }

  /**
   * Learns from `times` (epoch ms, strictly ascending, regular or irregular)
   * and `values` (finite numbers). With `trend: 'auto'` or `'auto'`
   * seasonalities, every candidate structure is backtested and the lowest
   * RMSE wins; the winner is then refitted on the whole history.
   */
  fit(times: Float64Array, values: Float64Array): this {
    const params = withDefaults(this.given);
    validateForecasterParams(params as unknown as Record<string, unknown>);
    const t = checkSeries('times', times);
    const y = checkSeries('values', values);
    if (t.length !== y.length) {
      throw new ForecastInputError('values', y.length, `${FORECASTER_NAME}.fit: 'times' and 'values' must have the same length; got ${t.length} times and ${y.length} values.`);
    }
    const n = t.length;
    if (n < MIN_FORECAST_POINTS) {
      throw new ForecastInputError('values', n, `${FORECASTER_NAME}.fit: 'values' has ${n} points; at least ${MIN_FORECAST_POINTS} are needed.`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(t[i]!)) {
        throw new ForecastInputError(`times[${i}]`, t[i], `${FORECASTER_NAME}.fit: times[${i}] = ${show(t[i])}; times must be finite epoch milliseconds.`);
      }
      if (i > 0 && !(t[i]! > t[i - 1]!)) {
        throw new ForecastInputError(
          `times[${i}]`,
          t[i],
          `${FORECASTER_NAME}.fit: times must be strictly ascending; times[${i}] = ${t[i]} (${iso(t[i]!)}) is not after times[${i - 1}] = ${t[i - 1]} (${iso(t[i - 1]!)}). Sort the series and drop duplicate timestamps.`,
        );
      }
      if (!Number.isFinite(y[i]!)) {
        throw new ForecastInputError(
          `values[${i}]`,
          y[i],
          `${FORECASTER_NAME}.fit: values[${i}] = ${show(y[i])} (at ${iso(t[i]!)}); values must be finite numbers. Drop or impute missing points (irregular times are fine).`,
        );
      }
    }
    const diffs = new Float64Array(n - 1);
    for (let i = 1; i < n; i++) diffs[i - 1] = t[i]! - t[i - 1]!;
    diffs.sort();
    const mid = (n - 1) >> 1;
    const frequency = (n - 1) % 2 === 1 ? diffs[mid]! : (diffs[mid - 1]! + diffs[mid]!) / 2;

    const { folds, horizon } = backtestSize(n, params);
    const specs = candidateSpecs(params, frequency, t[n - 1]! - t[0]!);
    const { best, backtest } = runBacktest(t, y, specs, folds, horizon, params);
    const model = fitModel(t, y, best, params);
    this.state = { params, frequency, lastTime: t[n - 1]!, nObs: n, model, backtest };
    return this;
  }

  /** Forecasts `horizon` periods (at the inferred frequency) after the last observation. */
  forecast(horizon: number): Forecast {
    const s = this.need();
    checkHorizon(horizon);
    const times = new Float64Array(horizon);
    for (let k = 1; k <= horizon; k++) times[k - 1] = s.lastTime + k * s.frequency;
    const { mean, lower, upper } = forecastModel(s.model, times, s.params.intervalWidth, s.params.uncertaintySamples, s.params.randomState);
    return { times, mean, lower, upper };
  }

  /** The fitted mean (trend + seasonality, no noise) at any `times` (epoch ms), e.g. in-sample over the history for a chart. */
  fittedValues(times: Float64Array): Float64Array {
    const s = this.need();
    for (let i = 0; i < times.length; i++) {
      if (!Number.isFinite(times[i]!))
        throw new ForecastInputError(`times[${i}]`, times[i], `${FORECASTER_NAME}.fittedValues: times[${i}] = ${show(times[i])}; times must be finite epoch milliseconds.`);
    }
    return predictModel(s.model, times);
  }

  /**
   * When the forecast first reaches `threshold` (value ≥ threshold) within
   * `horizon` periods: `date` for the mean, `upper`/`lower` for the interval
   * bounds (upper ≤ date ≤ lower whenever all three exist); null if it does
   * not within the horizon. Only forecast times are examined: if the history
   * already exceeds the threshold, the answer is still the first forecast
   * time at or above it (often the first step), never a historical date.
   */
  whenExceeds(threshold: number, horizon: number): Exceedance {
    this.need();
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
      throw new ForecastInputError('threshold', threshold, `${FORECASTER_NAME}.whenExceeds: 'threshold' must be a finite number. Got ${show(threshold)}.`);
    }
    const f = this.forecast(horizon);
    const first = (v: Float64Array): number | null => {
      for (let i = 0; i < v.length; i++) if (v[i]! >= threshold) return f.times[i]!;
      return null;
    };
    return { date: first(f.mean), lower: first(f.lower), upper: first(f.upper) };
  }

  /** The params and learned state as plain JSON (numbers round-trip exactly). */
  toJSON(): unknown {
    const s = this.state;
    return {
      format: FORMAT,
      estimator: FORECASTER_NAME,
      schemaVersion: FORECASTER_SCHEMA_VERSION,
      params: s ? s.params : this.getParams(),
      fitted: s
        ? {
            frequency: s.frequency,
            lastTime: s.lastTime,
            nObs: s.nObs,
            model: {
              spec: { ...s.model.spec },
              t0: s.model.t0,
              tSpan: s.model.tSpan,
              yScale: s.model.yScale,
              changepoints: Array.from(s.model.changepoints),
              gamma: Array.from(s.model.gamma),
              delta: Array.from(s.model.delta),
              sigma: s.model.sigma,
              deltaScale: s.model.deltaScale,
              cov: Array.from(s.model.cov),
            },
            backtest: s.backtest,
          }
        : null,
    };
  }

  /** Reloads {@link toJSON} output (forecasts are bit-identical); refuses other formats or schema versions with a clear error. */
  static fromJSON(json: unknown): TrendForecaster {
    const root = obj('json', json);
    if (root.format !== FORMAT) throw bad('json.format', root.format, `'${FORMAT}'`);
    if (root.schemaVersion !== FORECASTER_SCHEMA_VERSION) {
      throw bad('json.schemaVersion', root.schemaVersion, `${FORECASTER_SCHEMA_VERSION} (this runtime reads only schema version ${FORECASTER_SCHEMA_VERSION}; refit the model)`);
    }
    const paramsIn = obj('json.params', root.params);
    try {
      validateForecasterParams(paramsIn);
    } catch (e) {
      if (e instanceof ParamError) throw new ForecastInputError(`json.params.${e.param}`, e.value, `${FORECASTER_NAME}.fromJSON: json.params.${e.param}: ${e.message}`);
      throw e;
    }
    const f = new TrendForecaster(paramsIn as Partial<ForecasterParams>);
    if (root.fitted === null || root.fitted === undefined) return f;
    const params = f.getParams();
    const fit = obj('json.fitted', root.fitted);
    const m = obj('json.fitted.model', fit.model);
    const spec = readSpec(obj('json.fitted.model.spec', m.spec));
    const gamma = numArray('json.fitted.model.gamma', m.gamma);
    const delta = numArray('json.fitted.model.delta', m.delta);
    const changepoints = numArray('json.fitted.model.changepoints', m.changepoints);
    const cov = numArray('json.fitted.model.cov', m.cov);
    const pa = spec.trend === 'polynomial' ? spec.degree + 1 + 2 * (spec.yearly + spec.weekly + spec.daily) : 2 + 2 * (spec.yearly + spec.weekly + spec.daily);
    if (gamma.length !== pa) throw bad('json.fitted.model.gamma', `${gamma.length} numbers`, `${pa} numbers for model ${specName(spec)}`);
    if (cov.length !== pa * pa) throw bad('json.fitted.model.cov', `${cov.length} numbers`, `${pa * pa} numbers (${pa} × ${pa})`);
    if (delta.length !== changepoints.length) throw bad('json.fitted.model.delta', `${delta.length} numbers`, `${changepoints.length} numbers (one per changepoint)`);
    const model: FittedModel = {
      spec,
      t0: finite('json.fitted.model.t0', m.t0),
      tSpan: positive('json.fitted.model.tSpan', m.tSpan),
      yScale: positive('json.fitted.model.yScale', m.yScale),
      changepoints,
      gamma,
      delta,
      sigma: nonNegative('json.fitted.model.sigma', m.sigma),
      deltaScale: nonNegative('json.fitted.model.deltaScale', m.deltaScale),
      cov,
    };
    const backtest = obj('json.fitted.backtest', fit.backtest) as unknown as ForecastBacktest;
    f.state = {
      params,
      frequency: positive('json.fitted.frequency', fit.frequency),
      lastTime: finite('json.fitted.lastTime', fit.lastTime),
      nObs: positive('json.fitted.nObs', fit.nObs),
      model,
      backtest: reviveBacktest(backtest),
    };
    return f;
  }

  private need(): FittedState {
    if (!this.state) throw new NotFittedError(FORECASTER_NAME);
    return this.state;
  }
}

function checkSeries(field: string, v: unknown): Float64Array {
  if (v instanceof Float64Array) return v;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const a = v as ArrayLike<unknown>;
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== 'number') {
        throw new ForecastInputError(`${field}[${i}]`, x, `${FORECASTER_NAME}.fit: ${field}[${i}] = ${show(x)}; ${field} must hold numbers.`);
      }
      out[i] = x;
    }
    return out;
  }
  throw new ForecastInputError(field, v, `${FORECASTER_NAME}.fit: '${field}' must be a Float64Array (or an array of numbers). Got ${show(v)}.`);
}

function checkHorizon(horizon: number): void {
  if (typeof horizon !== 'number' || !Number.isInteger(horizon) || horizon < 1 || horizon > MAX_FORECAST_HORIZON) {
    throw new ForecastInputError(
      'horizon',
      horizon,
      `${FORECASTER_NAME}: 'horizon' must be an int ≥ 1 and ≤ ${MAX_FORECAST_HORIZON} (periods at the data's frequency). Got ${show(horizon)}.`,
    );
  }
}

/** Backtest folds × points per fold; at least half the history always stays in training. */
function backtestSize(n: number, params: ForecasterParams): { folds: number; horizon: number } {
  const maxHeldOut = n - Math.ceil(n / 2);
  let folds = params.backtestFolds;
  if (params.backtestHorizon !== null) {
    const horizon = params.backtestHorizon;
    if (folds * horizon > maxHeldOut) {
      throw new ParamError(
        FORECASTER_NAME,
        'backtestHorizon',
        horizon,
        `an int ≥ 1 with backtestFolds × backtestHorizon ≤ ${maxHeldOut} (half of the ${n} points stay in training; backtestFolds is ${folds})`,
      );
    }
    return { folds, horizon };
  }
  const horizon = Math.max(1, Math.floor((0.2 * n) / folds));
  while (folds > 1 && folds * horizon > maxHeldOut) folds--;
  return { folds, horizon };
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'invalid date' : d.toISOString();
}

function bad(field: string, value: unknown, accepted: string): ForecastInputError {
  return new ForecastInputError(field, value, `${FORECASTER_NAME}.fromJSON: '${field}' must be ${accepted}. Got ${show(value)}.`);
}

function obj(field: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(field, v, 'an object');
  return v as Record<string, unknown>;
}

function finite(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(field, v, 'a finite number');
  return v;
}

function positive(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(field, v, 'a finite number > 0');
  return v;
}

function nonNegative(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(field, v, 'a finite number ≥ 0');
  return v;
}

function numArray(field: string, v: unknown): Float64Array {
  if (!Array.isArray(v)) throw bad(field, v, 'an array of finite numbers');
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = finite(`${field}[${i}]`, v[i]);
  return out;
}

function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(field, v, `an int ≥ ${min} and ≤ ${max}`);
  return v;
}

function readSpec(s: Record<string, unknown>): ModelSpec {
  const p = 'json.fitted.model.spec';
  if (s.trend !== 'linear' && s.trend !== 'polynomial' && s.trend !== 'piecewise') throw bad(`${p}.trend`, s.trend, "one of 'linear', 'polynomial', 'piecewise'");
  const rangeV = s.changepointRange;
  if (typeof rangeV !== 'number' || !(rangeV > 0 && rangeV <= 1)) throw bad(`${p}.changepointRange`, rangeV, 'a float > 0 and ≤ 1');
  // Absent in models saved before the least-squares baselines existed: a prior-regularised fit.
  const ls = s.leastSquares;
  if (ls !== undefined && typeof ls !== 'boolean') throw bad(`${p}.leastSquares`, ls, 'a boolean (or absent)');
  if (ls === true && s.trend === 'piecewise') throw bad(`${p}.leastSquares`, ls, "false or absent for a 'piecewise' trend (least-squares baselines are linear or polynomial)");
  return {
    trend: s.trend,
    degree: int(`${p}.degree`, s.degree, 1, 6),
    nChangepoints: int(`${p}.nChangepoints`, s.nChangepoints, 0, 500),
    changepointRange: rangeV,
    yearly: int(`${p}.yearly`, s.yearly, 0, MAX_SEASONAL_ORDER),
    weekly: int(`${p}.weekly`, s.weekly, 0, MAX_SEASONAL_ORDER),
    daily: int(`${p}.daily`, s.daily, 0, MAX_SEASONAL_ORDER),
    ...(ls ? { leastSquares: true } : {}),
  };
}

function reviveBacktest(b: ForecastBacktest): ForecastBacktest {
  // JSON turns Infinity/NaN into null; bring them back as numbers.
  const num = (v: unknown): number => (typeof v === 'number' ? v : v === null ? Infinity : NaN);
  const cands = Array.isArray(b.candidates) ? b.candidates : [];
  return {
    rmse: num(b.rmse),
    mae: num(b.mae),
    // null: not defined (a held-out value was 0), the reason in notDefined; absent notDefined: a model saved before it existed.
    mape: b.mape === null && b.notDefined && typeof b.notDefined === 'object' ? null : num(b.mape),
    notDefined: b.notDefined && typeof b.notDefined === 'object' ? Object.fromEntries(Object.entries(b.notDefined).filter(([, v]) => typeof v === 'string')) : {},
    folds: num(b.folds),
    horizon: num(b.horizon),
    coverage: num(b.coverage),
    model: String(b.model),
    candidates: cands.map((c) => ({ model: String(c.model), rmse: num(c.rmse) })),
    // Absent in models saved before the baselines existed.
    baseline: b.baseline && typeof b.baseline === 'object' ? { model: String(b.baseline.model), rmse: num(b.baseline.rmse) } : null,
  };
}
