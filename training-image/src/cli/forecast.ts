import * as fs from 'fs';
import { formatCsv } from '../data/csv';
import { AGGREGATIONS, readSeries, RESAMPLE_PERIODS } from '../data/series';
import { fmt, showKey, showPath } from '../core/text';
import { EXIT, Io } from '../core/io';
import { choiceOpt, numberOpt, optional, parse, required, UsageError } from './io';
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
  const resample = choiceOpt(values, 'resample', RESAMPLE_PERIODS);
  const agg = choiceOpt(values, 'agg', AGGREGATIONS) ?? 'mean';
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
    crossing:
      crossing && (crossing.date !== null || crossing.lower !== null || crossing.upper !== null)
        ? { date: iso(crossing.date), lower: iso(crossing.lower), upper: iso(crossing.upper) }
        : null,
    backtest: bt,
    model: f.model,
    points: s.times.length,
    last: { time: iso(s.times[s.times.length - 1]!), value: s.values[s.values.length - 1]! },
    horizon,
    frequencyMs: f.frequency,
    forecast: Array.from(fc.times, (t, i) => ({ time: iso(t), mean: fc.mean[i]!, lower: fc.lower[i]!, upper: fc.upper[i]! })),
  };
  if (out)
    fs.writeFileSync(
      out,
      formatCsv(['time', 'mean', 'lower', 'upper'], [Array.from(fc.times, (t) => new Date(t).toISOString()), Array.from(fc.mean), Array.from(fc.lower), Array.from(fc.upper)]),
    );
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return EXIT.OK;
  }
  const lines = [
    `Forecast of ${showKey(value)} from ${s.times.length} points (last ${result.last.time}): model ${f.model}; backtest RMSE ${fmt(bt.rmse)}, MAE ${fmt(bt.mae)}, ${bt.mape === null ? `MAPE not defined (${bt.notDefined.mape})` : `MAPE ${fmt(bt.mape * 100)}%`} over ${bt.folds} folds${bt.baseline ? ` (best least-squares baseline ${bt.baseline.model}: RMSE ${fmt(bt.baseline.rmse)})` : ''} (${Date.now() - t0} ms).`,
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
