import { readCsvFile } from './csv';
import { DataError, Issue } from './errors';
import { isMissing, notANumber, parseDatetime, parseNumber } from './values';
import { keepValue, show, showKey, showList, showPath } from '../core/text';

/** Periods a series can be resampled to. */
export const RESAMPLE_PERIODS = ['hour', 'day', 'week', 'month'] as const;
/** A resampling period. */
export type ResamplePeriod = (typeof RESAMPLE_PERIODS)[number];

/** Aggregations of the values that fall into one resampling period. */
export const AGGREGATIONS = ['mean', 'max', 'min', 'sum'] as const;
/** An aggregation for resampling. */
export type Aggregation = (typeof AGGREGATIONS)[number];

/** A time series read from a CSV: epoch ms times (sorted, unique) and values. */
export interface Series {
  readonly times: Float64Array;
  readonly values: Float64Array;
  /** Rows skipped because their value was missing. */
  readonly dropped: number;
}

const PERIOD_MS = { hour: 3600e3, day: 86400e3, week: 7 * 86400e3 } as const;

function bucket(t: number, p: ResamplePeriod): number {
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
export function readSeries(dataPath: string, time: string, value: string, resample?: ResamplePeriod, agg: Aggregation = 'mean'): Series {
  const table = readCsvFile(dataPath);
  const ti = table.header.indexOf(time),
    vi = table.header.indexOf(value);
  const issues: Issue[] = [...table.issues];
  if (ti < 0) issues.push({ code: 'MISSING_COLUMN', column: time, message: `time column ${showKey(time)} is not in the header (${showList(table.header)})` });
  if (vi < 0) issues.push({ code: 'MISSING_COLUMN', column: value, message: `value column ${showKey(value)} is not in the header (${showList(table.header)})` });
  if (issues.length) throw new DataError(`${showPath(dataPath)}: cannot read the series.`, issues);
  const tc = table.columns[ti]!,
    vc = table.columns[vi]!;
  const pts: [number, number][] = [];
  let dropped = 0;
  for (let r = 0; r < table.rows; r++) {
    const traw = tc[r]!,
      vraw = vc[r]!;
    if (isMissing(traw)) {
      if (issues.length < 20) issues.push({ code: 'NULL_VALUE', row: r + 1, column: time, message: `row ${r + 1}: the time is missing` });
      continue;
    }
    let t = parseDatetime(traw);
    if (Number.isNaN(t)) t = parseNumber(traw);
    if (Number.isNaN(t)) {
      if (issues.length < 20)
        issues.push({
          code: 'WRONG_TYPE',
          row: r + 1,
          column: time,
          value: keepValue(traw),
          message: `row ${r + 1}, column ${showKey(time)}: ${show(traw)} is not an ISO 8601 date or epoch ms`,
        });
      continue;
    }
    if (isMissing(vraw)) {
      dropped++;
      continue;
    }
    const v = parseNumber(vraw);
    if (Number.isNaN(v)) {
      if (issues.length < 20)
        issues.push({ code: 'WRONG_TYPE', row: r + 1, column: value, value: keepValue(vraw), message: `row ${r + 1}, column ${showKey(value)}: ${notANumber(vraw)}` });
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
    series = [...groups.entries()].map(([b, vs]) => [
      b,
      agg === 'max' ? Math.max(...vs) : agg === 'min' ? Math.min(...vs) : agg === 'sum' ? vs.reduce((a, c) => a + c, 0) : vs.reduce((a, c) => a + c, 0) / vs.length,
    ]);
  }
  series.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < series.length; i++) {
    if (series[i]![0] === series[i - 1]![0]) {
      throw new DataError(
        `${showPath(dataPath)}: time ${new Date(series[i]![0]).toISOString()} appears more than once in ${showKey(time)}. Use --resample hour|day|week|month (with --agg) to aggregate duplicates.`,
        [{ code: 'WRONG_TYPE', column: time, value: new Date(series[i]![0]).toISOString(), message: `duplicate time in ${showKey(time)}` }],
      );
    }
  }
  return { times: Float64Array.from(series, (p) => p[0]), values: Float64Array.from(series, (p) => p[1]), dropped };
}
