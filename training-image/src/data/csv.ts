import * as fs from 'fs';
import { fsReason } from '../core/fs-errors';
import { showPath } from '../core/text';
import { DataError, Issue } from './errors';

/** A CSV file as parsed text: header plus one string array per column. */
export interface CsvTable {
  /** Column names as in the header (duplicates kept, so they can be reported). */
  readonly header: readonly string[];
  /** `columns[c][r]`: raw cell text of data row `r` (0-based) in column `c`. */
  readonly columns: readonly string[][];
  /** Number of data rows. */
  readonly rows: number;
  /** Structural problems found while parsing (ragged rows, unterminated quotes). */
  readonly issues: readonly Issue[];
  /** Where the data came from (a path or `<string>`). */
  readonly source: string;
}

/** Options for {@link parseCsv}. */
export interface CsvOptions {
  /** Field delimiter. @default ',' */
  readonly delimiter?: string;
  /** Name of the source, for messages. @default '<string>' */
  readonly source?: string;
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

/**
 * Parses CSV text (RFC 4180: quoted fields with `""` escapes and embedded
 * newlines, CRLF or LF line ends, an optional UTF-8 BOM) into columns.
 * The first record is the header. Rows with too few or too many fields are
 * reported as `RAGGED_ROW` issues (short rows padded with empty cells).
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const source = options.source ?? '<string>';
  const delim = (options.delimiter ?? ',').charCodeAt(0);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const issues: Issue[] = [];
  const n = text.length;
  let i = 0;
  let header: string[] | null = null;
  let columns: string[][] = [];
  let record: string[] = [];
  let rows = 0;
  let raggedReported = 0;
  let raggedCount = 0;

  const endRecord = (): void => {
    if (header === null) {
      header = record.map((h) => h.trim());
      columns = header.map(() => []);
      record = [];
      return;
    }
    // A blank line (one empty field) is skipped.
    if (record.length === 1 && record[0] === '') {
      record = [];
      return;
    }
    const w = header.length;
    if (record.length !== w) {
      raggedCount++;
      if (raggedReported < 20) {
        raggedReported++;
        issues.push({ code: 'RAGGED_ROW', row: rows + 1, message: `row ${rows + 1} has ${record.length} fields, the header has ${w}` });
      }
    }
    for (let c = 0; c < w; c++) columns[c]!.push(c < record.length ? record[c]! : '');
    rows++;
    record = [];
  };

  while (i < n) {
    // One field.
    if (text.charCodeAt(i) === QUOTE) {
      let j = i + 1;
      let value = '';
      let start = j;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          throw new DataError(`${showPath(source)}: unterminated quoted field starting in data row ${rows + 1}`, [
            { code: 'BAD_CSV', row: rows + 1, message: `unterminated quoted field (a '"' opened but never closed) in data row ${rows + 1}` },
          ]);
        }
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(start, q + 1);
          j = q + 2;
          start = j;
          continue;
        }
        value += text.slice(start, q);
        i = q + 1;
        break;
      }
      record.push(value);
      // Skip anything up to the delimiter / line end (lenient on `"a"b`).
      let k = i;
      while (k < n) {
        const ch = text.charCodeAt(k);
        if (ch === delim || ch === LF || ch === CR) break;
        k++;
      }
      if (k > i) record[record.length - 1] += text.slice(i, k);
      i = k;
    } else {
      let k = i;
      while (k < n) {
        const ch = text.charCodeAt(k);
        if (ch === delim || ch === LF || ch === CR) break;
        k++;
      }
      record.push(text.slice(i, k));
      i = k;
    }
    if (i >= n) {
      endRecord();
      break;
    }
    const ch = text.charCodeAt(i);
    if (ch === delim) {
      i++;
      if (i >= n) {
        record.push('');
        endRecord();
      }
      continue;
    }
    // Line end.
    if (ch === CR && text.charCodeAt(i + 1) === LF) i += 2;
    else i++;
    endRecord();
  }
  if (raggedCount > raggedReported) {
    issues.push({ code: 'RAGGED_ROW', message: `${raggedCount} rows in all have the wrong number of fields (first ${raggedReported} listed)` });
  }
  return { header: header ?? [], columns, rows, issues, source };
}

/** Reads a CSV file; throws {@link DataError} (`FILE_NOT_FOUND`, `FILE_EMPTY`) when there is nothing to read. */
export function readCsvFile(path: string, options: Omit<CsvOptions, 'source'> = {}): CsvTable {
  let text: string;
  const shown = showPath(path);
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const why = fsReason(e);
    throw new DataError(`Cannot read data file '${shown}': ${why}.`, [
      { code: 'FILE_NOT_FOUND', message: `data file '${shown}' cannot be read (${why}); pass an existing CSV file` },
    ]);
  }
  if (text.replace(/^\ufeff/, '').trim() === '') {
    throw new DataError(`Data file '${shown}' is empty.`, [{ code: 'FILE_EMPTY', message: `data file '${shown}' is empty; expected a header line and data rows` }]);
  }
  return parseCsv(text, { ...options, source: path });
}

/** Quotes one CSV field when needed (RFC 4180). */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Formats rows as CSV text with a header line and LF line ends. */
export function formatCsv(header: readonly string[], columns: readonly (readonly (string | number)[] | Float64Array)[]): string {
  const rows = columns.length ? columns[0]!.length : 0;
  const out: string[] = [header.map(csvField).join(',')];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (const col of columns) {
      const v = col[r]!;
      cells.push(typeof v === 'number' ? (Number.isNaN(v) ? '' : String(v)) : csvField(v));
    }
    out.push(cells.join(','));
  }
  return out.join('\n') + '\n';
}
