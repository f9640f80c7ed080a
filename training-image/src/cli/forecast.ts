import * as fs from 'fs';
import { formatCsv, readCsvFile } from '../data/csv';
import { DataError, Issue } from '../data/errors';
import { isMissing, notANumber, parseDatetime, parseNumber } from '../data/values';
import { keepValue, show, showKey, showList, showPath } from '../core/text';
import { choiceOpt, EXIT, fmt, Io, numberOpt, optional, parse, required, UsageError } from './io';
import { checkFileOutput } from './outputs';

type ForecastModule = typeof import('../forecast');

/** Help text of `mlops forecast`. */
export const FORECAST_HELP = `Usage: mlops forecast --data <csv> --time <column> --value <column> [options]

Fits a trend + seasonality forecaster (chosen by backtest) to a time series and
forecasts it, with prediction intervals. With --threshold, reports when the
forecast (and each interval bound) first crosses the threshold.

Options:
  --data <csv>             the series (one row per time)
  --time <column>          ISO 8601 dates/times (or epoch ms numbers)
  --value <column>         the numeric values
  --threshold X            report the first forecast date at or above X
  --horizon N              periods to forecast, at the data's frequency (default 30)
  --resample P             aggregate first: hour | day | week | month
  --agg A                  aggregation for --resample: mean | max | min | sum (default mean)
  --seed N                 random seed (default 0)
  --out <csv>              also write the forecast (time, mean, lower, upper); not the
                           data file, a folder or inside a model directory (checked first)
  --json                   print JSON: {threshold, crossing: {date, lower, upper} | null, backtest, …}
  -h, --help               show this help
`;

const PERIOD_MS = { hour: 3600e3, day: 86400e3, week: 7 * 86400e3 } as const;

function bucket(t: number, p: 'hour' | 'day' | 'week' | 'month'): number {
  if (p === 'month') {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  if (p === 'week') {
    // Weeks start on Monday (1970-01-05 was a Monday).
    const off = 4 * 86400e3;
    return Math.floor((t - off) / PERIOD_MS.week) * PERIOD_MS.week + off;
  }
  return Math.floor(t / PERIOD_MS[p]) * PERIOD_MS[p];
}

/** Reads, cleans, optionally resamples and sorts the series. */
export function readSeries(dataPath: string, time: string, value: string, resample?: 'hour' | 'day' | 'week' | 'month', agg: 'mean' | 'max' | 'min' | 'sum' = 'mean'): { times: Float64Array; values: Float64Array; dropped: number } {
  const table = readCsvFile(dataPath);
  const ti = table.header.indexOf(time), vi = table.header.indexOf(value);
  const issues: Issue[] = [...table.issues];
  if (ti < 0) issues.push({ code: 'MISSING_COLUMN', column: time, message: `time column ${showKey(time)} is not in the header (${showList(table.header)})` });
  if (vi < 0) issues.push({ code: 'MISSING_COLUMN', column: value, message: `value column ${showKey(value)} is not in the header (${showList(table.header)})` });
  if (issues.length) throw new DataError(`${showPath(dataPath)}: cannot read the series.`, issues);
  const tc = table.columns[ti]!, vc = table.columns[vi]!;
  const pts: [number, number][] = [];
  let dropped = 0;
  for (let r = 0; r < table.rows; r++) {
    const traw = tc[r]!, vraw = vc[r]!;
    if (isMissing(traw)) {
      if (issues.length < 20) issues.push({ code: 'NULL_VALUE', row: r + 1, column: time, message: `row ${r + 1}: the time is missing` });
      continue;
    }
    let t = parseDatetime(traw);
    if (Number.isNaN(t)) t = parseNumber(traw);
    if (Number.isNaN(t)) {
      if (issues.length < 20) issues.push({ code: 'WRONG_TYPE', row: r + 1, column: time, value: keepValue(traw), message: `row ${r + 1}, column ${showKey(time)}: ${show(traw)} is not an ISO 8601 date or epoch ms` });
      continue;
    }
    if (isMissing(vraw)) {
      dropped++;
      continue;
    }
    const v = parseNumber(vraw);
    if (Number.isNaN(v)) {
      if (issues.length < 20) issues.push({ code: 'WRONG_TYPE', row: r + 1, column: value, value: keepValue(vraw), message: `row ${r + 1}, column ${showKey(value)}: ${notANumber(vraw)}` });
      continue;
    }
    pts.push([t, v]);
  }
  if (issues.length) throw new DataError(`${showPath(dataPath)}: the series has bad values.`, issues);
  let series = pts;
  if (resample) {
    const groups = new Map<number, number[]>();
    for (const [t, v] of pts) {
      const b = bucket(t, resample);
      (groups.get(b) ?? groups.set(b, []).get(b)!).push(v);
    }
    series = [...groups.entries()].map(([b, vs]) => [b, agg === 'max' ? Math.max(...vs) : agg === 'min' ? Math.min(...vs) : agg === 'sum' ? vs.reduce((a, c) => a + c, 0) : vs.reduce((a, c) => a + c, 0) / vs.length]);
  }
  series.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < series.length; i++) {
    if (series[i]![0] === series[i - 1]![0]) {
      throw new DataError(`${showPath(dataPath)}: time ${new Date(series[i]![0]).toISOString()} appears more than once in ${showKey(time)}. Use --resample hour|day|week|month (with --agg) to aggregate duplicates.`, [
        { code: 'WRONG_TYPE', column: time, value: new Date(series[i]![0]).toISOString(), message: `duplicate time in ${showKey(time)}` },
      ]);
    }
  }
  return { times: Float64Array.from(series, (p) => p[0]), values: Float64Array.from(series, (p) => p[1]), dropped };
}

/** `mlops forecast`. */
export async function forecastCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    time: { type: 'string' },
    value: { type: 'string' },
    threshold: { type: 'string' },
    horizon: { type: 'string' },
    resample: { type: 'string' },
    agg: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.out(FORECAST_HELP);
    return EXIT.OK;
  }
  const dataPath = required(values, 'data');
  const time = required(values, 'time');
  const value = required(values, 'value');
  const threshold = numberOpt(values, 'threshold');
  const horizon = numberOpt(values, 'horizon', { integer: true, min: 1 }) ?? 30;
  const resample = choiceOpt(values, 'resample', ['hour', 'day', 'week', 'month'] as const);
  const agg = choiceOpt(values, 'agg', ['mean', 'max', 'min', 'sum'] as const) ?? 'mean';
  if (optional(values, 'agg') && !resample) throw new UsageError('--agg needs --resample');
  const seed = numberOpt(values, 'seed', { integer: true, min: 0 }) ?? 0;
  const out = optional(values, 'out');
  if (out !== undefined) checkFileOutput({ flag: '--out', path: out, purpose: 'forecast CSV', example: 'forecast.csv', inputs: [{ flag: '--data', path: dataPath }] });
  const t0 = Date.now();
  const s = readSeries(dataPath, time, value, resample, agg);
  io.err(`read ${s.times.length} points${resample ? ` (${resample} ${agg})` : ''}${s.dropped ? `, ${s.dropped} rows without a value skipped` : ''}; fitting and backtesting…`);
  const { TrendForecaster } = require('../forecast') as ForecastModule;
  const f = new TrendForecaster({ randomState: seed }).fit(s.times, s.values);
  const fc = f.forecast(horizon);
  const crossing = threshold === undefined ? null : f.whenExceeds(threshold, horizon);
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  const bt = f.backtest;
  const result = {
    threshold: threshold ?? null,
    crossing: crossing && (crossing.date !== null || crossing.lower !== null || crossing.upper !== null) ? { date: iso(crossing.date), lower: iso(crossing.lower), upper: iso(crossing.upper) } : null,
    backtest: bt,
    model: f.model,
    points: s.times.length,
    last: { time: iso(s.times[s.times.length - 1]!), value: s.values[s.values.length - 1]! },
    horizon,
    frequencyMs: f.frequency,
    forecast: Array.from(fc.times, (t, i) => ({ time: iso(t), mean: fc.mean[i]!, lower: fc.lower[i]!, upper: fc.upper[i]! })),
  };
  if (out) fs.writeFileSync(out, formatCsv(['time', 'mean', 'lower', 'upper'], [Array.from(fc.times, (t) => new Date(t).toISOString()), Array.from(fc.mean), Array.from(fc.lower), Array.from(fc.upper)]));
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return EXIT.OK;
  }
  const lines = [
    `Forecast of ${showKey(value)} from ${s.times.length} points (last ${result.last.time}): model ${f.model}; backtest RMSE ${fmt(bt.rmse)}, MAE ${fmt(bt.mae)}, ${bt.mape === null ? `MAPE not defined (${bt.notDefined.mape})` : `MAPE ${fmt(bt.mape * 100)}%`} over ${bt.folds} folds (${Date.now() - t0} ms).`,
    `Horizon ${horizon} periods: end ${result.forecast[horizon - 1]!.time} mean ${fmt(fc.mean[horizon - 1])} [${fmt(fc.lower[horizon - 1])}, ${fmt(fc.upper[horizon - 1])}].`,
  ];
  if (threshold !== undefined) {
    lines.push(
      result.crossing
        ? `Threshold ${threshold}: the forecast mean ${result.crossing.date ? `crosses on ${result.crossing.date}` : 'does not cross within the horizon'}; the upper bound crosses on ${result.crossing.upper ?? '(never)'}, the lower bound ${result.crossing.lower ? `on ${result.crossing.lower}` : 'not within the horizon'}.`
        : `Threshold ${threshold}: not crossed within ${horizon} periods (not even by the upper bound).`,
    );
  }
  if (out) lines.push(`Forecast written to ${showPath(out)}`);
  io.out(lines.join('\n'));
  return EXIT.OK;
}
