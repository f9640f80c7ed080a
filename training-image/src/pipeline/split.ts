import { trainTestSplit } from '../eval/cv';

/**
 * Byte-faithful train/test split of a CSV file: both parts keep the input's
 * header line and row text exactly (bytes, quoting, line ends, a UTF-8 BOM);
 * rows keep their file order within each part. The text is handled as latin1
 * so any encoding's bytes survive; the structure (quotes, commas, line ends)
 * is ASCII, as in RFC 4180 and the runtime's CSV reader (blank lines are not
 * rows, a `"` opens a quoted field only at the start of a field).
 */

/** How to split. */
export interface CsvSplitOptions {
  /** Fraction of the rows in the test part, in (0, 1). @default 0.2 */
  readonly testFraction?: number;
  /** Seed of the random (or stratified) split. @default 0 */
  readonly seed?: number;
  /** Classification: keep this column's class proportions in both parts. */
  readonly stratify?: string;
  /** Time-ordered split: the test part is the latest rows by this column (numbers or dates; ties keep file order). */
  readonly time?: string;
}

/** The two parts and what was done. */
export interface CsvSplitResult {
  readonly train: Buffer;
  readonly test: Buffer;
  readonly rows: number;
  readonly trainRows: number;
  readonly testRows: number;
  readonly method: 'random' | 'stratified' | 'time-ordered';
  /** stratified: rows per class in each part. */
  readonly classes?: Record<string, { train: number; test: number }>;
  /** time-ordered: the time range of each part (as written in the file). */
  readonly timeRange?: { train: [string, string] | null; test: [string, string] };
}

/** A problem with the input or the options (`field` names the option or 'data'). */
export class CsvSplitError extends Error {
  constructor(
    public readonly field: 'data' | 'testFraction' | 'seed' | 'stratify' | 'time',
    message: string,
  ) {
    super(message);
    this.name = 'CsvSplitError';
  }
}

interface Rec {
  readonly start: number;
  readonly end: number;
  /** The line end that followed the record ('' at the end of the file). */
  readonly eol: string;
}

const QUOTE = 34,
  COMMA = 44,
  CR = 13,
  LF = 10;

function scan(text: string, from: number): Rec[] {
  const recs: Rec[] = [];
  const n = text.length;
  let i = from,
    start = from,
    fieldStart = true;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (fieldStart && ch === QUOTE) {
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new CsvSplitError('data', `unterminated quoted field (a '"' opened but never closed) in the record starting at character ${start}.`);
        if (text.charCodeAt(q + 1) === QUOTE) {
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fieldStart = false;
      continue;
    }
    if (ch === COMMA) {
      fieldStart = true;
      i++;
      continue;
    }
    if (ch === CR || ch === LF) {
      const len = ch === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      recs.push({ start, end: i, eol: text.slice(i, i + len) });
      i += len;
      start = i;
      fieldStart = true;
      continue;
    }
    fieldStart = false;
    i++;
  }
  if (start < n) recs.push({ start, end: n, eol: '' });
  return recs;
}

/** The fields of one record's text (quotes removed, `""` unescaped). */
function fields(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = s.length;
  for (;;) {
    let v = '';
    if (s.charCodeAt(i) === QUOTE) {
      let j = i + 1;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q < 0) {
          v += s.slice(j);
          i = n;
          break;
        }
        v += s.slice(j, q);
        if (s.charCodeAt(q + 1) === QUOTE) {
          v += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      const k = s.indexOf(',', i);
      v += s.slice(i, k < 0 ? n : k);
      i = k < 0 ? n : k;
    } else {
      const k = s.indexOf(',', i);
      v = s.slice(i, k < 0 ? n : k);
      i = k < 0 ? n : k;
    }
    out.push(v);
    if (i >= n) return out;
    i++; // the comma
    if (i >= n) {
      out.push('');
      return out;
    }
  }
}

const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

/** Splits CSV bytes into train and test parts; see the module comment. Throws {@link CsvSplitError}. */
export function splitCsv(bytes: Buffer, o: CsvSplitOptions = {}): CsvSplitResult {
  const frac = o.testFraction ?? 0.2;
  if (!(typeof frac === 'number' && frac > 0 && frac < 1)) throw new CsvSplitError('testFraction', `testFraction must be a number in (0, 1); got ${JSON.stringify(frac)}.`);
  const seed = o.seed ?? 0;
  if (!(Number.isInteger(seed) && seed >= 0)) throw new CsvSplitError('seed', `seed must be an integer ≥ 0; got ${JSON.stringify(seed)}.`);
  if (o.stratify !== undefined && o.time !== undefined)
    throw new CsvSplitError('stratify', 'give either stratify (a class column, for classification) or time (a time column, for a time-ordered split), not both.');
  const text = bytes.toString('latin1');
  const bom = text.startsWith('\xef\xbb\xbf') ? '\xef\xbb\xbf' : '';
  const recs = scan(text, bom.length);
  if (!recs.length) throw new CsvSplitError('data', 'the file is empty; expected a header line and data rows.');
  const head = recs[0]!;
  const rows = recs.slice(1).filter((r) => r.end > r.start); // blank lines are not rows
  const n = rows.length;
  if (n < 2) throw new CsvSplitError('data', `the file has ${n} data row(s); a split needs at least 2.`);
  const header = fields(text.slice(head.start, head.end)).map((h) => utf8(h).trim());
  const columnOf = (field: 'stratify' | 'time', name: string): string[] => {
    const k = header.indexOf(name);
    if (k < 0) throw new CsvSplitError(field, `column '${name}' is not in the header; columns are ${header.join(', ')}.`);
    return rows.map((r) => fields(text.slice(r.start, r.end))[k] ?? '');
  };
  let test: Uint32Array;
  let method: CsvSplitResult['method'] = 'random';
  let classes: CsvSplitResult['classes'];
  let timeRange: CsvSplitResult['timeRange'];
  if (o.time !== undefined) {
    method = 'time-ordered';
    const raw = columnOf('time', o.time);
    const numeric = raw.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
    const t = raw.map((v, i) => {
      const x = numeric ? Number(v) : Date.parse(v.trim());
      if (!Number.isFinite(x))
        throw new CsvSplitError(
          'time',
          `time column '${o.time}' has ${v.trim() === '' ? 'an empty value' : `the value ${JSON.stringify(utf8(v))}, neither a number nor a date,`} in data row ${i + 1}.`,
        );
      return x;
    });
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
    const nTest = Math.min(n - 1, Math.max(1, Math.round(n * frac)));
    test = Uint32Array.from(order.slice(n - nTest)).sort();
    const range = (idx: number[]): [string, string] => [utf8(raw[idx[0]!]!), utf8(raw[idx[idx.length - 1]!]!)];
    timeRange = { train: range(order.slice(0, n - nTest)), test: range(order.slice(n - nTest)) };
  } else if (o.stratify !== undefined) {
    method = 'stratified';
    const raw = columnOf('stratify', o.stratify);
    const labels = [...new Set(raw)].sort();
    const code = new Map(labels.map((l, i) => [l, i]));
    test = trainTestSplit(n, frac, { seed, stratify: Float64Array.from(raw, (v) => code.get(v)!) }).test;
    const inTest = new Uint8Array(n);
    for (const i of test) inTest[i] = 1;
    classes = Object.fromEntries(labels.map((l) => [utf8(l), { train: 0, test: 0 }]));
    raw.forEach((v, i) => classes![utf8(v)]![inTest[i] ? 'test' : 'train']++);
    if (!test.length || test.length === n)
      throw new CsvSplitError('testFraction', `testFraction ${frac} leaves ${test.length ? 'no training rows' : 'no test rows'} after stratifying ${n} rows by '${o.stratify}'.`);
  } else {
    test = trainTestSplit(n, frac, { seed }).test;
    if (test.length === n) throw new CsvSplitError('testFraction', `testFraction ${frac} leaves no training rows out of ${n}.`);
  }
  const inTest = new Uint8Array(n);
  for (const i of test) inTest[i] = 1;
  const defaultEol = head.eol || '\n';
  const write = (part: 0 | 1): Buffer => {
    const idx = rows.map((_, i) => i).filter((i) => inTest[i] === part);
    let s = bom + text.slice(head.start, head.end) + defaultEol;
    idx.forEach((i, j) => {
      const r = rows[i]!;
      s += text.slice(r.start, r.end) + (r.eol || (j < idx.length - 1 ? defaultEol : ''));
    });
    return Buffer.from(s, 'latin1');
  };
  return {
    train: write(0),
    test: write(1),
    rows: n,
    trainRows: n - test.length,
    testRows: test.length,
    method,
    ...(classes ? { classes } : {}),
    ...(timeRange ? { timeRange } : {}),
  };
}
