import * as fs from 'fs';
import { TrendForecaster } from '../src/forecast';
import { datasetTest } from './available';

// ETT-small (CC BY-ND 4.0): aggregated in memory at run time only — never write a derived copy.
const ett = datasetTest('ettH1', 'forecast-ett ETT daily-peak case');
const ETT = ett.file;
const DAY = 86_400_000;

/** Daily maximum of one column of the hourly ETT file, as (epoch ms at UTC midnight, value). */
function dailyMax(file: string, columnName: string): { times: Float64Array; values: Float64Array } {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = header.indexOf(columnName);
  if (col < 0) throw new Error(`column ${columnName} not in ${header.join(',')}`);
  const byDay = new Map<number, number>();
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split(',');
    const date = cells[0]!;
    const day = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
    const v = Number(cells[col]);
    byDay.set(day, Math.max(byDay.get(day) ?? -Infinity, v));
  }
  const days = [...byDay.keys()].sort((a, b) => a - b);
  return { times: Float64Array.from(days), values: Float64Array.from(days, (d) => byDay.get(d)!) };
}

const maybe = ett.test;

describe('TrendForecaster on ETT daily peaks (HUFL, ETTh1)', () => {
  maybe('fits, forecasts a year and answers whenExceeds with sane figures', () => {
    const { times, values } = dailyMax(ETT, 'HUFL');
    expect(times.length).toBeGreaterThan(700);

    const started = Date.now();
    const f = new TrendForecaster().fit(times, values);
    const fc = f.forecast(365);
    const max = values.reduce((a, b) => Math.max(a, b), -Infinity);
    const soon = f.whenExceeds(0.9 * max, 365);
    const never = f.whenExceeds(10 * max, 365);
    const elapsed = Date.now() - started;

    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    console.log(
      `ETT HUFL daily max: n=${times.length}, ${elapsed} ms for fit + forecast(365) + 2 × whenExceeds; model ${f.model}; ` +
        `backtest RMSE ${f.backtest.rmse.toFixed(3)} (series sd ${sd.toFixed(3)}), MAE ${f.backtest.mae.toFixed(3)}, ` +
        `coverage ${f.backtest.coverage.toFixed(3)} over ${f.backtest.folds} × ${f.backtest.horizon} days; ` +
        `whenExceeds(${(0.9 * max).toFixed(2)}) = ${JSON.stringify(Object.fromEntries(Object.entries(soon).map(([k, v]) => [k, v === null ? null : new Date(v).toISOString().slice(0, 10)])))}`,
    );

    // Speed is the benchmark's business (bench:ml), not a test's: no wall-clock assertion.
    expect(f.frequency).toBe(DAY);
    expect(fc.times[0]).toBe(times[times.length - 1]! + DAY);
    // Sane: the backtest beats predicting with the series' own spread, and the
    // intervals cover roughly their nominal share of held-out days.
    expect(f.backtest.rmse).toBeLessThan(sd);
    expect(f.backtest.coverage).toBeGreaterThan(0.6);
    expect(f.backtest.coverage).toBeLessThanOrEqual(1);
    for (let k = 0; k < 365; k++) {
      expect(Number.isFinite(fc.mean[k]!)).toBe(true);
      expect(fc.lower[k]).toBeLessThanOrEqual(fc.mean[k]!);
      expect(fc.upper[k]).toBeGreaterThanOrEqual(fc.mean[k]!);
    }
    // A year ahead the mean stays within a plausible band around the history.
    expect(fc.mean[364]).toBeGreaterThan(mean - 4 * sd);
    expect(fc.mean[364]).toBeLessThan(mean + 4 * sd);
    // The ordering of the crossing dates holds; a tenfold peak is never reached.
    if (soon.upper !== null && soon.date !== null) expect(soon.upper).toBeLessThanOrEqual(soon.date);
    if (soon.date !== null && soon.lower !== null) expect(soon.date).toBeLessThanOrEqual(soon.lower);
    expect(never).toEqual({ date: null, lower: null, upper: null });
  });
});
