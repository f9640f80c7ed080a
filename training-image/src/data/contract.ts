import * as fs from 'fs';
import { z } from 'zod';
import { CsvTable } from './csv';
import { DataError, Issue, IssueCode } from './errors';
import { ReadAs } from './frame';
import { cut, keepValue, KEPT_VALUE_MAX, show, showKey, showList, showPath } from '../core/text';
import { isMissing, notANumber, parseBoolean, parseDatetime, parseNumber } from './values';
import { parseYamlText } from '../core/yaml';

/** The column types a data contract can declare. */
export const CONTRACT_TYPES = ['number', 'integer', 'string', 'category', 'datetime', 'boolean'] as const;

const Bound = z.union([z.number(), z.string()]);

/** The schema of one contract column. */
export const ContractColumnSchema = z
  .object({
    /** Column name as in the CSV header. */
    name: z.string().min(1),
    /** Declared type. */
    type: z.enum(CONTRACT_TYPES),
    /** The column must be present in the header. */
    required: z.boolean().default(true),
    /** Missing (empty) values are allowed. */
    nullable: z.boolean().default(true),
    /** Smallest allowed value (numbers; ISO date text for datetime). */
    min: Bound.optional(),
    /** Largest allowed value (numbers; ISO date text for datetime). */
    max: Bound.optional(),
    /** The allowed values (categories); anything else is an unknown category. */
    allowed: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .optional(),
    /** Free text. */
    description: z.string().optional(),
  })
  .strict();

/** The schema of a data contract file (YAML). */
export const ContractSchema = z
  .object({
    /** Contract format version. */
    version: z.literal(1).default(1),
    /** A name for the dataset. */
    name: z.string().optional(),
    /** The expected columns. */
    columns: z.array(ContractColumnSchema).min(1),
    /** The target (label) column, if the data is for training. */
    target: z.string().optional(),
    /** The time column (type datetime), for time-ordered splits and forecasting. */
    time: z.string().optional(),
    /** Columns not listed are allowed (else each is an UNEXPECTED_COLUMN). */
    allowExtraColumns: z.boolean().default(false),
  })
  .strict();

/** Cross-field rules of a contract, checked even when the shape has other errors, so every problem is reported at once. */
function crossCheck(doc: unknown): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (!doc || typeof doc !== 'object') return out;
  const d = doc as Record<string, unknown>;
  const cols = Array.isArray(d.columns) ? (d.columns as unknown[]) : [];
  const seen = new Map<string, string>();
  cols.forEach((raw, i) => {
    if (!raw || typeof raw !== 'object') return;
    const col = raw as Record<string, unknown>;
    const name = typeof col.name === 'string' ? col.name : null;
    const type = typeof col.type === 'string' ? col.type : '';
    if (name === null) return;
    if (seen.has(name)) out.push({ path: ['columns', i, 'name'], message: `column ${showKey(name)} is declared twice` });
    seen.set(name, type);
    const numeric = type === 'number' || type === 'integer';
    for (const key of ['min', 'max'] as const) {
      const b = col[key];
      if (b === undefined) continue;
      if (numeric && typeof b !== 'number') out.push({ path: ['columns', i, key], message: `'${key}' of ${type} column ${showKey(name)} must be a number, got ${show(b)}` });
      else if (type === 'datetime' && (typeof b !== 'string' || Number.isNaN(parseDatetime(b))))
        out.push({ path: ['columns', i, key], message: `'${key}' of datetime column ${showKey(name)} must be an ISO date like 2020-01-31, got ${show(b)}` });
      else if (!numeric && type !== 'datetime' && (CONTRACT_TYPES as readonly string[]).includes(type))
        out.push({ path: ['columns', i, key], message: `'${key}' is only for number, integer and datetime columns; ${showKey(name)} is ${type}` });
    }
    if (
      (typeof col.min === 'number' || typeof col.min === 'string') &&
      (typeof col.max === 'number' || typeof col.max === 'string') &&
      boundValue({ type }, col.min) > boundValue({ type }, col.max)
    ) {
      out.push({ path: ['columns', i, 'min'], message: `column ${showKey(name)}: min ${show(col.min)} is greater than max ${show(col.max)}` });
    }
  });
  if (typeof d.target === 'string' && cols.length && !seen.has(d.target)) out.push({ path: ['target'], message: `target ${showKey(d.target)} is not one of the declared columns` });
  if (typeof d.time === 'string' && cols.length) {
    const t = seen.get(d.time);
    if (t === undefined) out.push({ path: ['time'], message: `time column ${showKey(d.time)} is not one of the declared columns` });
    else if (t !== 'datetime') out.push({ path: ['time'], message: `time column ${showKey(d.time)} must have type datetime, it has ${show(t)}` });
  }
  return out;
}

/** A data contract (static type inferred from {@link ContractSchema}). */
export type Contract = z.infer<typeof ContractSchema>;
/** One contract column. */
export type ContractColumn = z.infer<typeof ContractColumnSchema>;

function boundValue(col: { type: string }, b: number | string): number {
  return col.type === 'datetime' ? parseDatetime(String(b)) : Number(b);
}

/** Parses and validates contract YAML text; throws {@link DataError} (`BAD_CONTRACT`) naming each bad path. */
export function parseContract(text: string, source = '<contract>'): Contract {
  let doc: unknown;
  try {
    doc = parseYamlText(text);
  } catch (e) {
    throw new DataError(`${showPath(source)}: not valid YAML: ${cut((e as Error).message, 500)}`, [
      { code: 'BAD_CONTRACT', message: `not valid YAML: ${cut((e as Error).message, 500)}` },
    ]);
  }
  const r = ContractSchema.safeParse(doc ?? {});
  const issues: Issue[] = [...(r.success ? [] : r.error.issues.map((i) => ({ path: i.path, message: i.message }))), ...crossCheck(doc)].map((i) => ({
    code: 'BAD_CONTRACT',
    message: `${formatPath(i.path)}: ${i.message}`,
  }));
  if (issues.length || !r.success) throw new DataError(`${showPath(source)}: the data contract is invalid.`, issues);
  return r.data;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (!path.length) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** Reads a contract YAML file; throws {@link DataError} when missing or invalid. */
export function loadContract(path: string): { contract: Contract; text: string } {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch {
    throw new DataError(`Cannot read contract file '${showPath(path)}'.`, [
      { code: 'BAD_CONTRACT', message: `contract file '${showPath(path)}' cannot be read; pass an existing YAML file` },
    ]);
  }
  return { contract: parseContract(text, path), text };
}

/** How each contract column is read into a frame. */
export function contractReadTypes(contract: Contract): Record<string, ReadAs> {
  // No prototype: a column named __proto__ or constructor is a key like any other.
  const out: Record<string, ReadAs> = Object.create(null) as Record<string, ReadAs>;
  for (const c of contract.columns) {
    out[c.name] = c.type === 'number' || c.type === 'integer' ? 'number' : c.type === 'datetime' ? 'datetime' : c.type === 'boolean' ? 'boolean' : 'string';
  }
  return out;
}

/** Columns the contract says are categorical (one-hot encoded by the feature pipeline). */
export function contractCategoricals(contract: Contract): string[] {
  return contract.columns.filter((c) => c.type === 'category').map((c) => c.name);
}

/** Count of one kind of violation in one column. */
export interface ViolationCount {
  readonly code: IssueCode;
  readonly column: string | null;
  readonly count: number;
}

/** The result of checking data against a contract. */
export interface ValidationReport {
  /** True when there is no violation. */
  readonly ok: boolean;
  /** Data source checked. */
  readonly source: string;
  /** Data rows checked. */
  readonly rows: number;
  /** Violations listed (at most `maxPerColumn` per column and code). */
  readonly violations: readonly Issue[];
  /** Total number of violations per column and code (including those not listed). */
  readonly counts: readonly ViolationCount[];
  /** Total number of violations. */
  readonly total: number;
}

/** Options for {@link checkContract}. */
export interface CheckOptions {
  /** List at most this many violations per column and code. @default 20 */
  readonly maxPerColumn?: number;
}

/**
 * Checks a parsed CSV against a contract and reports EVERY violation: wrong
 * header (missing, unexpected, duplicate columns), ragged rows, wrong types,
 * nulls in non-nullable columns, out-of-range values, unknown categories and
 * all-null columns, each with row, column and value.
 */
export function checkContract(table: CsvTable, contract: Contract, options: CheckOptions = {}): ValidationReport {
  const cap = options.maxPerColumn ?? 20;
  const listed: Issue[] = [];
  const counts = new Map<string, { code: IssueCode; column: string | null; count: number }>();
  const add = (given: Issue): void => {
    // A column name is echoed in the report like a value: cut (the same way everywhere, so counts still match).
    const issue = given.column !== undefined && given.column.length > KEPT_VALUE_MAX ? { ...given, column: keepValue(given.column) } : given;
    const key = `${issue.code}\u0000${issue.column ?? ''}`;
    let c = counts.get(key);
    if (!c) counts.set(key, (c = { code: issue.code, column: issue.column ?? null, count: 0 }));
    c.count++;
    if (c.count <= cap) listed.push(issue);
  };
  for (const i of table.issues) add(i);
  if (table.rows === 0) add({ code: 'NO_ROWS', message: `${showPath(table.source)} has a header but no data rows` });

  const positions = new Map<string, number[]>();
  table.header.forEach((h, i) => positions.set(h, [...(positions.get(h) ?? []), i]));
  for (const [h, pos] of positions) {
    if (pos.length > 1)
      add({
        code: 'DUPLICATE_COLUMN',
        column: h,
        message: `column ${showKey(h)} appears ${pos.length} times in the header (positions ${showList(pos.map((p) => String(p + 1)))})`,
      });
  }
  const declared = new Set(contract.columns.map((c) => c.name));
  if (!contract.allowExtraColumns) {
    for (const h of positions.keys()) {
      if (!declared.has(h))
        add({
          code: 'UNEXPECTED_COLUMN',
          column: h,
          message: `column ${showKey(h)} is not in the contract (declared: ${showList(declared)}); remove it or set allowExtraColumns: true`,
        });
    }
  }
  for (const col of contract.columns) {
    const pos = positions.get(col.name);
    if (!pos) {
      if (col.required) add({ code: 'MISSING_COLUMN', column: col.name, message: `required column ${showKey(col.name)} (${col.type}) is missing from the header` });
      continue;
    }
    checkColumn(col, table.columns[pos[0]!]!, add);
  }
  const countList = [...counts.values()];
  const total = countList.reduce((s, c) => s + c.count, 0);
  return { ok: total === 0, source: table.source, rows: table.rows, violations: listed, counts: countList, total };
}

function checkColumn(col: ContractColumn, cells: readonly string[], add: (i: Issue) => void): void {
  const name = col.name;
  const key = showKey(name);
  const allowed = col.allowed ? new Set(col.allowed.map((a) => String(a))) : null;
  const min = col.min === undefined ? -Infinity : boundValue(col, col.min);
  const max = col.max === undefined ? Infinity : boundValue(col, col.max);
  let nulls = 0;
  for (let r = 0; r < cells.length; r++) {
    const raw = cells[r]!;
    const row = r + 1;
    if (isMissing(raw)) {
      nulls++;
      if (!col.nullable) add({ code: 'NULL_VALUE', row, column: name, value: keepValue(raw), message: `row ${row}, column ${key}: missing value, but the column is not nullable` });
      continue;
    }
    const text = raw.trim();
    let v = NaN;
    switch (col.type) {
      case 'number':
      case 'integer':
        // The same rule as reading the data for train and predict (values.ts): finite numbers only.
        v = parseNumber(text);
        if (Number.isNaN(v) || (col.type === 'integer' && !Number.isInteger(v))) {
          add({
            code: 'WRONG_TYPE',
            row,
            column: name,
            value: keepValue(raw),
            message: `row ${row}, column ${key}: ${notANumber(raw, col.type === 'integer' ? 'an integer' : 'a number')}`,
          });
          continue;
        }
        break;
      case 'datetime':
        v = parseDatetime(text);
        if (Number.isNaN(v)) {
          add({ code: 'WRONG_TYPE', row, column: name, value: keepValue(raw), message: `row ${row}, column ${key}: ${show(raw)} is not an ISO 8601 date (YYYY-MM-DD[ HH:MM:SS])` });
          continue;
        }
        break;
      case 'boolean':
        if (Number.isNaN(parseBoolean(text))) {
          add({ code: 'WRONG_TYPE', row, column: name, value: keepValue(raw), message: `row ${row}, column ${key}: ${show(raw)} is not a boolean (true/false, yes/no, 1/0)` });
          continue;
        }
        break;
      default:
        break;
    }
    if (v < min || v > max) {
      add({
        code: 'OUT_OF_RANGE',
        row,
        column: name,
        value: keepValue(raw),
        message: `row ${row}, column ${key}: ${cut(text, 80)} is outside [${col.min ?? '-∞'}, ${col.max ?? '∞'}]`,
      });
    }
    if (allowed && !allowed.has(text) && !(Number.isFinite(v) && allowed.has(String(v)))) {
      add({
        code: 'UNKNOWN_CATEGORY',
        row,
        column: name,
        value: keepValue(raw),
        message: `row ${row}, column ${key}: ${show(text)} is not one of the allowed values (${showList(allowed)})`,
      });
    }
  }
  if (cells.length > 0 && nulls === cells.length) {
    add({ code: 'ALL_NULL', column: name, message: `column ${key} has no values at all (${cells.length} rows, all missing)` });
  }
}

/** Formats a validation report for people: one line per listed violation plus counts. */
export function formatReport(rep: ValidationReport): string {
  if (rep.ok) return `OK: ${showPath(rep.source)} (${rep.rows} rows) satisfies the contract.`;
  const lines = [`FAILED: ${showPath(rep.source)} (${rep.rows} rows): ${rep.total} violation(s).`];
  for (const v of rep.violations) lines.push(`  [${v.code}] ${v.message}`);
  const capped = rep.counts.filter((c) => c.count > rep.violations.filter((v) => v.code === c.code && (v.column ?? null) === c.column).length);
  for (const c of capped) lines.push(`  … ${c.count} ${c.code} in ${c.column ? `column ${showKey(c.column)}` : 'the file'} in all`);
  return lines.join('\n');
}
