/**
 * Forecast crossing-date errors for the ML benchmark (issue 17, target 4):
 * when does the forecast first reach a level, against when the series
 * really did. The forecaster is run with and without its least-squares
 * baselines (the before/after of the issue) in the same run.
 *
 * - Synthetic: an accelerating series (quadratic trend) with yearly and
 *   weekly seasonality and Gaussian noise; the truth is the day the
 *   noiseless series reaches the level.
 * - Real (bike sharing daily rentals, ETT daily peak load): rolling origins
 *   over the second half of the series; at each origin the level is halfway
 *   between the 7-day mean at the origin and its peak over the next
 *   `ahead` days, and the truth is the first day the 7-day mean reaches it.
 *   ETT (CC BY-ND 4.0) is aggregated in memory only.
 */
import * as fs from 'fs';
import { Rng } from '../src/core/random';
import { FORECASTER_DEFAULTS, TrendForecaster } from '../src/forecast';
import { buildDesign, fitModel, ModelSpec, predictModel } from '../src/forecast/private/model';
import { findDataset } from './datasets';

const DAY = 86_400_000;

/** A daily series. */
export interface Series {
  readonly times: Float64Array;
  readonly values: Float64Array;
}

/** One crossing question and the answers. */
export interface Crossing {
  readonly series: string;
  /** The level and the day it is really first reached (days since the series start). */
  readonly level: number;
  readonly truthDay: number;
  /** Forecast crossing − truth, days; null when the forecast mean does not reach the level within the horizon. */
  readonly errBefore: number | null;
  readonly errAfter: number | null;
  readonly modelBefore: string;
  readonly modelAfter: string;
  /** The same for a plain least-squares quadratic with yearly (a year of history or more) and weekly Fourier order 3, on the whole history: what a user might fit instead. */
  readonly errLsQuadratic: number | null;
  /** Backtest RMSE of the chosen structure (with baselines) and of the best baseline. */
  readonly rmseAfter: number;
  readonly rmseBaseline: number | null;
}

/** Daily aggregate (sum or max) of one column of a CSV with a date-time column, in memory. */
export function dailySeries(file: string, dateCol: string, valueCol: string, agg: 'sum' | 'max'): Series {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const dc = header.indexOf(dateCol);
  const vc = header.indexOf(valueCol);
  if (dc < 0 || vc < 0) throw new Error(`${file}: columns ${dateCol}/${valueCol} not in ${header.join(',')}`);
  const byDay = new Map<number, number>();
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split(',');
    const d = cells[dc]!;
    const day = Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)));
    const v = Number(cells[vc]);
    const old = byDay.get(day);
    byDay.set(day, old === undefined ? v : agg === 'sum' ? old + v : Math.max(old, v));
  }
  const days = [...byDay.keys()].sort((a, b) => a - b);
  return { times: Float64Array.from(days), values: Float64Array.from(days, (d) => byDay.get(d)!) };
}

function rolling(v: Float64Array, w: number): Float64Array {
  const out = new Float64Array(v.length).fill(Number.NaN);
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i]!;
    if (i >= w) s -= v[i - w]!;
    if (i >= w - 1) out[i] = s / w;
  }
  return out;
}

function ask(name: string, hist: Series, level: number, truthTime: number, horizon: number, t0: number): Crossing {
  const fit = (baselines: boolean): TrendForecaster => new TrendForecaster({ baselines, uncertaintySamples: 100 }).fit(hist.times, hist.values);
  const before = fit(false);
  const after = fit(true);
  const err = (f: TrendForecaster): number | null => {
    const d = f.whenExceeds(level, horizon).date;
    return d === null ? null : Math.round((d - truthTime) / DAY);
  };
  // The least-squares quadratic + seasonality, fitted directly.
  const n = hist.times.length;
  const span = hist.times[n - 1]! - hist.times[0]!;
  const spec: ModelSpec = { trend: 'polynomial', degree: 2, nChangepoints: 0, changepointRange: 0.8, yearly: span >= 365 * DAY ? 3 : 0, weekly: 3, daily: 0, leastSquares: true };
  const m = fitModel(hist.times, hist.values, spec, FORECASTER_DEFAULTS, buildDesign(hist.times, hist.values, [spec]));
  const future = Float64Array.from({ length: horizon }, (_, k) => hist.times[n - 1]! + (k + 1) * DAY);
  const mean = predictModel(m, future);
  const k = mean.findIndex((v) => v >= level);
  return {
    series: name,
    level,
    truthDay: Math.round((truthTime - t0) / DAY),
    errBefore: err(before),
    errAfter: err(after),
    errLsQuadratic: k < 0 ? null : Math.round((future[k]! - truthTime) / DAY),
    modelBefore: before.model,
    modelAfter: after.model,
    rmseAfter: after.backtest.rmse,
    rmseBaseline: after.backtest.baseline?.rmse ?? null,
  };
}

/** The synthetic cases: accelerating trend + yearly and weekly seasonality + noise, the level reached `ahead` days after the history. */
export function syntheticCrossings(seeds: readonly number[] = [1, 2, 3]): Crossing[] {
  const configs = [
    { n: 730, b: 4e-5, noise: 4, ahead: 730 },
    { n: 500, b: 1e-4, noise: 5, ahead: 700 },
    { n: 1095, b: 2e-5, noise: 8, ahead: 1000 },
  ];
  const t0 = Date.UTC(2018, 0, 1);
  const out: Crossing[] = [];
  for (const c of configs) {
    const mu = (d: number): number => 100 + 0.02 * d + c.b * d * d + 8 * Math.sin((2 * Math.PI * d) / 365.25) + 3 * Math.sin((2 * Math.PI * d) / 7);
    const level = mu(c.n + c.ahead);
    let truth = c.n;
    while (mu(truth) < level) truth++;
    for (const seed of seeds) {
      const rng = new Rng(seed);
      const hist = {
        times: Float64Array.from({ length: c.n }, (_, i) => t0 + i * DAY),
        values: Float64Array.from({ length: c.n }, (_, i) => mu(i) + c.noise * rng.normal()),
      };
      out.push(ask(`synthetic n=${c.n} b=${c.b} noise=${c.noise} seed=${seed}`, hist, level, t0 + truth * DAY, 4 * c.ahead, t0));
    }
  }
  return out;
}

/** Rolling-origin crossings on one real daily series (see the file comment). */
export function realCrossings(name: string, s: Series, origins = 4, ahead = 180): Crossing[] {
  const n = s.times.length;
  const r = rolling(s.values, 7);
  const out: Crossing[] = [];
  const first = Math.floor(n / 2);
  const last = n - ahead;
  for (let k = 0; k < origins; k++) {
    const o = first + Math.round((k * (last - first)) / Math.max(1, origins - 1));
    let peak = -Infinity;
    for (let i = o; i < o + ahead; i++) peak = Math.max(peak, r[i]!);
    const now = r[o - 1]!;
    if (!(peak > now)) continue;
    const level = (now + peak) / 2;
    let truth = o;
    while (r[truth]! < level) truth++;
    out.push(
      ask(
        `${name} origin ${new Date(s.times[o]!).toISOString().slice(0, 10)}`,
        { times: s.times.subarray(0, o), values: s.values.subarray(0, o) },
        level,
        s.times[truth]!,
        2 * ahead,
        s.times[0]!,
      ),
    );
  }
  return out;
}

/** The real series of the benchmark, when their files are found (else the reason). */
export function realSeries(): { name: string; series: Series | null; reason: string | null }[] {
  const bike = findDataset('bikeHour');
  const ett = findDataset('ettH1');
  return [
    { name: 'bike rentals per day', series: bike.file ? dailySeries(bike.file, 'dteday', 'cnt', 'sum') : null, reason: bike.reason },
    { name: 'ETT h1 daily peak HUFL', series: ett.file ? dailySeries(ett.file, 'date', 'HUFL', 'max') : null, reason: ett.reason },
  ];
}
