import { CsvTable } from './csv';
import { DataError, Issue } from './errors';
import { keepValue, show, showKey, showList, showPath } from '../core/text';
import { isMissing, isNumberText, notANumber, parseBoolean, parseDatetime, parseNumber } from './values';

/** A numeric column (NaN = missing). Integers and booleans (0/1) are numeric too. */
export interface NumberColumn {
  readonly name: string;
  readonly type: 'number';
  readonly values: Float64Array;
}

/** A text / categorical column (null = missing). */
export interface StringColumn {
  readonly name: string;
  readonly type: 'string';
  readonly values: readonly (string | null)[];
}

/** A date-time column as epoch milliseconds, UTC (NaN = missing). */
export interface DatetimeColumn {
  readonly name: string;
  readonly type: 'datetime';
  readonly values: Float64Array;
}

/** One typed column of a {@link Frame}. */
export type Column = NumberColumn | StringColumn | DatetimeColumn;

/** The storage type of a column. */
export type ColumnKind = Column['type'];

/** How a raw CSV column is to be read into a frame column. */
export type ReadAs = 'number' | 'string' | 'datetime' | 'boolean';

/** A typed, columnar table. Immutable: the methods return new frames sharing column storage. */
export class Frame {
  /** Number of rows. */
  readonly rows: number;
  private readonly byName: Map<string, Column>;

  constructor(public readonly columns: readonly Column[]) {
    this.rows = columns.length ? columns[0]!.values.length : 0;
    this.byName = new Map();
    for (const c of columns) {
      if (this.byName.has(c.name))
        throw new DataError(`Frame: duplicate column ${showKey(c.name)}.`, [
          { code: 'DUPLICATE_COLUMN', column: c.name, message: `column ${showKey(c.name)} appears more than once` },
        ]);
      if (c.values.length !== this.rows) throw new RangeError(`Frame: column ${showKey(c.name)} has ${c.values.length} values, expected ${this.rows}`);
      this.byName.set(c.name, c);
    }
  }

  /** Column names in order. */
  get names(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** True when the frame has a column `name`. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The column `name`; throws naming the available columns when absent. */
  column(name: string): Column {
    const c = this.byName.get(name);
    if (!c)
      throw new DataError(`Column ${showKey(name)} is not in the data. Available columns: ${showList(this.names)}.`, [
        { code: 'MISSING_COLUMN', column: name, message: `column ${showKey(name)} is missing` },
      ]);
    return c;
  }

  /** A new frame with only these columns, in this order. */
  select(names: readonly string[]): Frame {
    return new Frame(names.map((n) => this.column(n)));
  }

  /** A new frame without these columns (absent names ignored). */
  drop(names: readonly string[]): Frame {
    const s = new Set(names);
    return new Frame(this.columns.filter((c) => !s.has(c.name)));
  }

  /** A new frame with `col` added (or replacing a column of the same name). */
  withColumn(col: Column): Frame {
    const cols = this.columns.filter((c) => c.name !== col.name);
    return new Frame([...cols, col]);
  }

  /** The rows at `indices`, as a new frame. */
  take(indices: ArrayLike<number>): Frame {
    return new Frame(this.columns.map((c) => takeColumn(c, indices)));
  }
}

/** The rows of a column at `indices`. */
export function takeColumn(c: Column, indices: ArrayLike<number>): Column {
  if (c.type === 'string') {
    const out: (string | null)[] = new Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = c.values[indices[i]!]!;
    return { name: c.name, type: 'string', values: out };
  }
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = c.values[indices[i]!]!;
  return { name: c.name, type: c.type, values: out } as Column;
}

/** Guesses how to read a raw column: number if every present cell is a number, datetime if every one is an ISO date, else string. */
export function inferReadAs(cells: readonly string[]): ReadAs {
  let num = true,
    date = true,
    any = false;
  for (const raw of cells) {
    if (isMissing(raw)) continue;
    any = true;
    // Written as a number counts, even beyond the float range (1e400): reading then reports that cell.
    if (num && !isNumberText(raw)) num = false;
    if (!num && date && Number.isNaN(parseDatetime(raw))) date = false;
    if (!num && !date) break;
  }
  if (!any) return 'number';
  return num ? 'number' : date ? 'datetime' : 'string';
}

/**
 * Converts a parsed CSV table to a typed {@link Frame}. Column types come from
 * `types` (e.g. derived from a data contract) or are inferred. Throws a
 * {@link DataError} listing duplicate columns, ragged rows and cells that do
 * not parse as their type (first 20 per column).
 */
export function toFrame(table: CsvTable, types: Readonly<Record<string, ReadAs>> = {}): Frame {
  const issues: Issue[] = [...table.issues];
  const seen = new Set<string>();
  for (const h of table.header) {
    if (seen.has(h)) issues.push({ code: 'DUPLICATE_COLUMN', column: h, message: `column ${showKey(h)} appears more than once in the header` });
    seen.add(h);
  }
  if (table.rows === 0) issues.push({ code: 'NO_ROWS', message: `${showPath(table.source)} has a header but no data rows` });
  const cols: Column[] = [];
  table.header.forEach((name, c) => {
    const cells = table.columns[c]!;
    // Own properties only: a column named __proto__ or constructor is a column like any other.
    const as = (Object.hasOwn(types, name) ? types[name] : undefined) ?? inferReadAs(cells);
    const col = readColumn(name, cells, as, issues);
    cols.push(col);
  });
  if (issues.length) throw new DataError(`${showPath(table.source)}: the data cannot be read.`, issues);
  return new Frame(cols);
}

/** Reads raw cells as one typed column; bad cells are pushed to `issues` (first 20 per column). */
export function readColumn(name: string, cells: readonly string[], as: ReadAs, issues: Issue[]): Column {
  const n = cells.length;
  if (as === 'string') {
    const values: (string | null)[] = new Array(n);
    for (let r = 0; r < n; r++) values[r] = isMissing(cells[r]!) ? null : cells[r]!.trim();
    return { name, type: 'string', values };
  }
  const values = new Float64Array(n);
  const parse = as === 'number' ? parseNumber : as === 'datetime' ? parseDatetime : parseBoolean;
  const what = as === 'number' ? 'a number' : as === 'datetime' ? 'an ISO 8601 date (YYYY-MM-DD[ HH:MM:SS])' : 'a boolean (true/false, yes/no, 1/0)';
  const why = (raw: string): string => (as === 'number' ? notANumber(raw) : `${show(raw)} is not ${what}`);
  let bad = 0;
  for (let r = 0; r < n; r++) {
    const raw = cells[r]!;
    if (isMissing(raw)) {
      values[r] = NaN;
      continue;
    }
    const v = parse(raw);
    if (Number.isNaN(v)) {
      if (bad < 20) issues.push({ code: 'WRONG_TYPE', row: r + 1, column: name, value: keepValue(raw), message: `row ${r + 1}, column ${showKey(name)}: ${why(raw)}` });
      bad++;
    }
    values[r] = v;
  }
  if (bad > 20) issues.push({ code: 'WRONG_TYPE', column: name, message: `column ${showKey(name)}: ${bad} values in all are not ${what} (first 20 listed)` });
  return { name, type: as === 'datetime' ? 'datetime' : 'number', values };
}
