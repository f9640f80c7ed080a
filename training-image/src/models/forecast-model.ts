import * as fs from 'fs';
import { dataFingerprint, fileSha256, LoadedModelDir, Manifest, MODEL_FILES, ModelDirError, readModelDir, writeModelDir } from '../artifacts/modeldir';
import { Aggregation, readSeries, ResamplePeriod } from '../data/series';
import { isMissing, parseDatetime, parseNumber } from '../data/values';
import { ForecastInputError } from '../forecast/errors';
import { Exceedance, Forecast, ForecastBacktest, TrendForecaster } from '../forecast/forecaster';
import { ForecasterParams } from '../forecast/params';

/** Catalog name of the forecaster in model directories. */
export const FORECAST_MODEL_NAME = 'trend-forecaster';

/** The most forecast steps a single query may ask for. */
export const MAX_FORECAST_STEPS = 20_000;

/** How the series was read from the data: columns and resampling. */
export interface SeriesSpec {
  /** Time column (ISO 8601 dates or epoch ms). */
  readonly time: string;
  /** Value column. */
  readonly value: string;
  /** Resampling period, or null for the raw series. */
  readonly resample: ResamplePeriod | null;
  /** Aggregation used when resampling. */
  readonly agg: Aggregation;
}

/** Options of {@link trainForecastModel}. */
export interface ForecastTrainOptions {
  /** CSV file holding the series. */
  readonly data: string;
  /** Model directory to write (replaced atomically). */
  readonly out: string;
  /** Time column. */
  readonly time: string;
  /** Value column. */
  readonly value: string;
  /** @default null (no resampling) */
  readonly resample?: SeriesSpec['resample'];
  /** @default 'mean' */
  readonly agg?: SeriesSpec['agg'];
  /** Forecaster params (see src/forecast/README.md). @default the forecaster's defaults */
  readonly forecaster?: Partial<ForecasterParams>;
  /** Seed (the forecaster's randomState unless `forecaster.randomState` is set). @default 0 */
  readonly seed?: number;
  /** Default horizon (periods) recorded with the model for queries and reports. @default 365 */
  readonly horizon?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** A fitted forecaster with its series spec, history and backtest, as kept in a model directory. */
export class ForecastModel {
  /** Always 'forecast'. */
  readonly task = 'forecast' as const;
  /** Catalog model name. */
  readonly model = FORECAST_MODEL_NAME;
  private cache: Forecast | null = null;

  constructor(
    /** The fitted forecaster. */
    public readonly forecaster: TrendForecaster,
    /** How the series was read. */
    public readonly series: SeriesSpec,
    /** The training series (epoch ms, values) after resampling. */
    public readonly history: { readonly times: Float64Array; readonly values: Float64Array },
    /** Default horizon in periods. */
    public readonly horizon: number,
  ) {}

  /** The backtest of the chosen structure. */
  get backtest(): ForecastBacktest {
    return this.forecaster.backtest;
  }

  /** Sampling period in ms. */
  get frequency(): number {
    return this.forecaster.frequency;
  }

  /** Last training time (epoch ms). */
  get lastTime(): number {
    return this.history.times[this.history.times.length - 1]!;
  }

  /** Forecast `horizon` periods after the last observation (default: the model's horizon). */
  forecast(horizon: number = this.horizon): Forecast {
    if (this.cache && this.cache.times.length >= horizon && Number.isInteger(horizon) && horizon >= 1) {
      const c = this.cache;
      return { times: c.times.slice(0, horizon), mean: c.mean.slice(0, horizon), lower: c.lower.slice(0, horizon), upper: c.upper.slice(0, horizon) };
    }
    const f = this.forecaster.forecast(horizon);
    this.cache = f;
    return f;
  }

  /** When the forecast (mean, and each interval bound) first reaches `threshold` within `horizon` periods. */
  whenExceeds(threshold: number, horizon: number = this.horizon): Exceedance {
    return this.forecaster.whenExceeds(threshold, horizon);
  }

  /** The fitted mean over the training history (for charts). */
  fittedHistory(): Float64Array {
    return this.forecaster.fittedValues(this.history.times);
  }

  /**
   * Forecasts at future `times` (epoch ms): each time maps to the nearest
   * forecast step after the last training time (step k = round((t − last) / frequency)).
   * Throws {@link ForecastInputError} naming `times[i]` for a time not after
   * the history or more than {@link MAX_FORECAST_STEPS} steps ahead.
   */
  predictTimes(times: Float64Array): { mean: Float64Array; lower: Float64Array; upper: Float64Array; steps: Int32Array } {
    const last = this.lastTime,
      freq = this.frequency;
    const steps = new Int32Array(times.length);
    let maxStep = 1;
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      if (!Number.isFinite(t)) throw new ForecastInputError(`times[${i}]`, t, `times[${i}] is not a finite time; send ISO 8601 dates (e.g. "2018-09-01") or epoch ms.`);
      const k = Math.round((t - last) / freq);
      if (k < 1)
        throw new ForecastInputError(
          `times[${i}]`,
          t,
          `times[${i}] = ${iso(t)} is not after the last training time ${iso(last)}; a forecast model predicts future times only (from ${iso(last + freq)}).`,
        );
      if (k > MAX_FORECAST_STEPS)
        throw new ForecastInputError(
          `times[${i}]`,
          t,
          `times[${i}] = ${iso(t)} is ${k} steps after the last training time ${iso(last)}; at most ${MAX_FORECAST_STEPS} steps (until ${iso(last + MAX_FORECAST_STEPS * freq)}) are allowed.`,
        );
      steps[i] = k;
      if (k > maxStep) maxStep = k;
    }
    const f = this.forecast(Math.max(maxStep, this.cache?.times.length ?? 0));
    const mean = new Float64Array(times.length),
      lower = new Float64Array(times.length),
      upper = new Float64Array(times.length);
    for (let i = 0; i < times.length; i++) {
      const k = steps[i]! - 1;
      mean[i] = f.mean[k]!;
      lower[i] = f.lower[k]!;
      upper[i] = f.upper[k]!;
    }
    return { mean, lower, upper, steps };
  }

  /** Parses time values (ISO 8601 strings or epoch ms numbers) into epoch ms; throws {@link ForecastInputError} naming the first bad one. */
  static parseTimes(values: readonly unknown[], field = 'times'): Float64Array {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      let t = NaN;
      if (typeof v === 'number') t = v;
      else if (typeof v === 'string' && !isMissing(v)) {
        t = parseDatetime(v);
        if (Number.isNaN(t)) t = parseNumber(v);
      }
      if (!Number.isFinite(t))
        throw new ForecastInputError(
          `${field}[${i}]`,
          v,
          `${field}[${i}] = ${JSON.stringify(v)} is not a time; send an ISO 8601 date/time (e.g. "2018-09-01") or epoch milliseconds.`,
        );
      out[i] = t;
    }
    return out;
  }

  /** Loads and verifies a forecast model directory (task 'forecast'). */
  static load(dir: string): ForecastModel {
    return ForecastModel.fromLoaded(dir, readModelDir(dir));
  }

  /** Builds the model from an already verified model directory. */
  static fromLoaded(dir: string, d: LoadedModelDir): ForecastModel {
    if (d.manifest.task !== 'forecast')
      throw new ModelDirError(dir, 'NOT_A_MODEL', `holds a ${d.manifest.task} model, not a forecast model; load it with TrainedModel.load or loadModel.`);
    const tr = d.transforms as { series?: SeriesSpec; horizon?: number } | null;
    if (!tr?.series || typeof tr.series.time !== 'string' || typeof tr.series.value !== 'string')
      throw new ModelDirError(dir, 'CORRUPTED', 'has a transforms.json without the series spec (series.time, series.value).');
    let forecaster: TrendForecaster;
    try {
      forecaster = TrendForecaster.fromJSON(d.model.state);
    } catch (e) {
      throw new ModelDirError(dir, 'CORRUPTED', `has a model.json this runtime cannot load: ${(e as Error).message}`);
    }
    if (!forecaster.fitted) throw new ModelDirError(dir, 'CORRUPTED', 'has an unfitted forecaster in model.json.');
    const histPath = `${dir}/${MODEL_FILES.history}`;
    if (!d.manifest.files[MODEL_FILES.history]) throw new ModelDirError(dir, 'CORRUPTED', 'does not list history.json in manifest.json.');
    let hist: { times?: unknown; values?: unknown };
    try {
      hist = JSON.parse(fs.readFileSync(histPath, 'utf8')) as { times?: unknown; values?: unknown };
    } catch (e) {
      throw new ModelDirError(dir, 'CORRUPTED', `has an unreadable history.json (${(e as Error).message}).`);
    }
    if (fileSha256(histPath) !== d.manifest.files[MODEL_FILES.history]) throw new ModelDirError(dir, 'CORRUPTED', 'has a history.json whose sha256 does not match manifest.json.');
    if (!Array.isArray(hist.times) || !Array.isArray(hist.values) || hist.times.length !== hist.values.length || hist.times.length < 1)
      throw new ModelDirError(dir, 'CORRUPTED', 'has a history.json without equal-length times and values arrays.');
    const horizon = typeof tr.horizon === 'number' && Number.isInteger(tr.horizon) && tr.horizon >= 1 ? tr.horizon : 365;
    return new ForecastModel(forecaster, tr.series, { times: Float64Array.from(hist.times as number[]), values: Float64Array.from(hist.values as number[]) }, horizon);
  }
}

function iso(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}

/**
 * Reads a series from a CSV, fits a {@link TrendForecaster}, and writes a
 * model directory with task 'forecast' (model.json, transforms.json = series
 * spec, metrics.json = backtest, history.json, fingerprint.json) atomically.
 */
export function trainForecastModel(o: ForecastTrainOptions): { model: ForecastModel; manifest: Manifest; ms: number } {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const spec: SeriesSpec = { time: o.time, value: o.value, resample: o.resample ?? null, agg: o.agg ?? 'mean' };
  const horizon = o.horizon ?? 365;
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > MAX_FORECAST_STEPS)
    throw new ForecastInputError('horizon', horizon, `'horizon' must be an int ≥ 1 and ≤ ${MAX_FORECAST_STEPS}. Got ${JSON.stringify(horizon)}.`);
  const s = readSeries(o.data, spec.time, spec.value, spec.resample ?? undefined, spec.agg);
  log(
    `read ${s.times.length} points from ${o.data}${spec.resample ? ` (${spec.resample} ${spec.agg} of '${spec.value}')` : ''}${s.dropped ? `, ${s.dropped} rows without a value skipped` : ''}; fitting and backtesting…`,
  );
  const f = new TrendForecaster({ randomState: o.seed ?? 0, ...o.forecaster }).fit(s.times, s.values);
  const model = new ForecastModel(f, spec, { times: s.times, values: s.values }, horizon);
  const bt = f.backtest;
  log(
    `chose ${f.model}; backtest RMSE ${bt.rmse.toPrecision(4)}, MAE ${bt.mae.toPrecision(4)}, ${bt.mape === null ? `MAPE not defined (${bt.notDefined.mape})` : `MAPE ${(bt.mape * 100).toFixed(1)}%`} over ${bt.folds} folds`,
  );
  const ms = Date.now() - t0;
  const manifest = writeModelDir(o.out, {
    model: FORECAST_MODEL_NAME,
    estimator: f.name,
    task: 'forecast',
    target: spec.value,
    modelJson: f.toJSON(),
    transforms: { series: spec, horizon },
    metrics: {
      task: 'forecast',
      model: f.model,
      backtest: bt,
      points: s.times.length,
      frequencyMs: f.frequency,
      first: iso(s.times[0]!),
      last: iso(s.times[s.times.length - 1]!),
      seed: o.seed ?? 0,
      timings: { fit_ms: ms },
    },
    featureImportance: { features: [], model: null, permutation: null },
    fingerprint: dataFingerprint(o.data, s.times.length, 2),
    extra: { [MODEL_FILES.history]: { times: Array.from(s.times), values: Array.from(s.values) } },
  });
  return { model, manifest, ms };
}
