import { parseCsv } from '../data/csv';
import { fail, ServeIssue } from './errors';

/** Marks a cell a record did not have (distinct from an explicit null). */
export const ABSENT: unique symbol = Symbol('absent');

/** A request body reduced to a table: named or positional columns and rows of raw cells. */
export interface InputTable {
  /** Column names as sent, or null when the rows are positional (the model's signature order). */
  readonly columns: readonly string[] | null;
  /** Rows of cells: JSON values, strings (CSV), or {@link ABSENT}. */
  readonly rows: readonly (readonly unknown[])[];
  /** True when the cells are CSV text (parsed by type), false for JSON values. */
  readonly text: boolean;
  /** Payload path of a cell, for error messages (e.g. `instances[3].temp`). */
  cellPath(row: number, column: string, index: number): string;
  /** Per-request parameters (MLflow `params`, Vertex `parameters`). */
  readonly params: Readonly<Record<string, unknown>> | null;
}

/** Which protocol's JSON shape a route takes. */
export type PayloadProtocol = 'mlflow' | 'vertex' | 'azure';

/** The MLflow input keys; exactly one must be present. */
export const MLFLOW_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/**
 * Checks the nesting depth of JSON text without parsing it (strings skipped),
 * so a hostile `[[[[…` is refused before JSON.parse sees it.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 92) i++;
      else if (c === 34) inStr = false;
      continue;
    }
    if (c === 34) inStr = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** Parses JSON text; BAD_JSON with the parser's position on failure, TOO_DEEP past `maxDepth`. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.trim() === '') fail('EMPTY_BODY', '', 'The request body is empty. Send a JSON object such as {"instances": [{"column": value, …}]}.');
  if (jsonDepthExceeds(text, maxDepth))
    fail('TOO_DEEP', '', `The JSON body is nested deeper than ${maxDepth} levels. Scoring payloads need at most 4 (e.g. {"dataframe_split": {"columns": […], "data": [[…]]}}).`);
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail('BAD_JSON', '', `The body is not valid JSON: ${(e as Error).message}. Note that NaN and Infinity are not JSON; send null for a missing value.`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return `${typeof v} ${s && s.length > 40 ? `${s.slice(0, 40)}…` : s}`;
}

/** Rows given as a list of objects (records) or of lists (positional). */
function rowsFrom(list: unknown, key: string, maxRows: number): InputTable {
  if (!Array.isArray(list)) return fail('BAD_PAYLOAD', key, `'${key}' must be a list of rows (objects or lists); got ${describe(list)}.`);
  checkRows(list.length, key, maxRows);
  const first = list[0];
  if (isPlainObject(first)) {
    const names: string[] = [];
    const index = new Map<string, number>();
    for (let r = 0; r < list.length; r++) {
      const rec = list[r];
      if (!isPlainObject(rec)) return fail('BAD_PAYLOAD', `${key}[${r}]`, `'${key}[${r}]' must be an object like the first row; got ${describe(rec)}.`);
      for (const k in rec) if (!index.has(k)) index.set(k, names.push(k) - 1);
    }
    const rows = list.map((rec: Record<string, unknown>) => names.map((n) => (Object.hasOwn(rec, n) ? rec[n] : ABSENT)));
    return { columns: names, rows, text: false, params: null, cellPath: (r, c) => `${key}[${r}].${c}` };
  }
  if (Array.isArray(first)) {
    for (let r = 0; r < list.length; r++)
      if (!Array.isArray(list[r])) return fail('BAD_PAYLOAD', `${key}[${r}]`, `'${key}[${r}]' must be a list like the first row; got ${describe(list[r])}.`);
    return { columns: null, rows: list as unknown[][], text: false, params: null, cellPath: (r, _c, i) => `${key}[${r}][${i}]` };
  }
  // A list of scalars: one row per value for a single-column model (checked against the signature later).
  return { columns: null, rows: list.map((v) => [v]), text: false, params: null, cellPath: (r) => `${key}[${r}]` };
}

function checkRows(n: number, path: string, maxRows: number): void {
  if (n === 0) fail('NO_ROWS', path, `'${path}' has no rows; send at least one.`);
  if (n > maxRows) fail('TOO_MANY_ROWS', path, `'${path}' has ${n} rows; at most ${maxRows} are accepted per request (MLOPS_MAX_ROWS). Split the batch.`);
}

function splitRows(v: unknown, key: string, maxRows: number): InputTable {
  if (!isPlainObject(v)) return fail('BAD_PAYLOAD', key, `'${key}' must be an object {"columns": [...], "data": [[...], ...]} (pandas orient='split'); got ${describe(v)}.`);
  for (const k of Object.keys(v))
    if (!['columns', 'data', 'index'].includes(k)) fail('BAD_PAYLOAD', `${key}.${k}`, `'${key}' has an unknown key '${k}'; accepted: columns, data, index.`);
  const cols = v.columns;
  if (cols !== undefined && (!Array.isArray(cols) || cols.some((c) => typeof c !== 'string')))
    fail('BAD_PAYLOAD', `${key}.columns`, `'${key}.columns' must be a list of column names (strings).`);
  const data = v.data;
  if (!Array.isArray(data)) return fail('BAD_PAYLOAD', `${key}.data`, `'${key}.data' must be a list of rows (lists of values); got ${describe(data)}.`);
  checkRows(data.length, `${key}.data`, maxRows);
  const width = cols ? (cols as string[]).length : Array.isArray(data[0]) ? (data[0] as unknown[]).length : 0;
  for (let r = 0; r < data.length; r++) {
    const row = data[r];
    if (!Array.isArray(row)) fail('BAD_PAYLOAD', `${key}.data[${r}]`, `'${key}.data[${r}]' must be a list of values; got ${describe(row)}.`);
    if ((row as unknown[]).length !== width) fail('RAGGED_ROW', `${key}.data[${r}]`, `'${key}.data[${r}]' has ${(row as unknown[]).length} values but there are ${width} columns.`);
  }
  if (Array.isArray(v.index) && v.index.length !== data.length)
    fail('BAD_PAYLOAD', `${key}.index`, `'${key}.index' has ${v.index.length} entries but there are ${data.length} rows.`);
  return { columns: (cols as string[] | undefined) ?? null, rows: data as unknown[][], text: false, params: null, cellPath: (r, _c, i) => `${key}.data[${r}][${i}]` };
}

/** Column-oriented `{"col": [values…], …}` (MLflow `inputs` as a dict of columns). */
function columnarRows(v: Record<string, unknown>, key: string, maxRows: number): InputTable {
  const names = Object.keys(v);
  if (!names.length) fail('NO_ROWS', key, `'${key}' is an empty object; send {"column": [values…], …} or a list of rows.`);
  let n = -1;
  for (const c of names) {
    const col = v[c];
    if (!Array.isArray(col)) fail('BAD_PAYLOAD', `${key}.${c}`, `'${key}.${c}' must be a list of values (one per row); got ${describe(col)}.`);
    if (n >= 0 && (col as unknown[]).length !== n)
      fail('RAGGED_ROW', `${key}.${c}`, `'${key}.${c}' has ${(col as unknown[]).length} values; '${key}.${names[0]}' has ${n}. Every column needs one value per row.`);
    n = (col as unknown[]).length;
  }
  checkRows(n, key, maxRows);
  const rows = Array.from({ length: n }, (_, r) => names.map((c) => (v[c] as unknown[])[r]));
  return { columns: names, rows, text: false, params: null, cellPath: (r, c) => `${key}.${c}[${r}]` };
}

function paramsOf(v: unknown, key: string): Record<string, unknown> | null {
  if (v === undefined) return null;
  if (!isPlainObject(v)) return fail('BAD_PAYLOAD', key, `'${key}' must be an object of parameters; got ${describe(v)}.`);
  return v;
}

/** Reads a JSON scoring payload in the shape of `protocol` into an {@link InputTable}. */
export function tableFromJson(doc: unknown, protocol: PayloadProtocol, maxRows: number): InputTable {
  if (Array.isArray(doc)) {
    return fail(
      'BAD_PAYLOAD',
      '',
      protocol === 'vertex'
        ? 'A top-level JSON list is not accepted. Wrap the rows: {"instances": [...]}.'
        : `A top-level JSON list is not accepted. Wrap the rows in one of ${MLFLOW_KEYS.map((k) => `"${k}"`).join(', ')}, e.g. {"instances": [...]} or {"dataframe_records": [...]}.`,
    );
  }
  if (!isPlainObject(doc)) return fail('BAD_PAYLOAD', '', `The JSON body must be an object such as {"instances": [...]}; got ${describe(doc)}.`);
  if (protocol === 'vertex') {
    for (const k of Object.keys(doc))
      if (k !== 'instances' && k !== 'parameters') fail('BAD_PAYLOAD', k, `Unknown key '${k}'. A Vertex AI request is {"instances": [...], "parameters": {...}}.`);
    if (!('instances' in doc)) fail('BAD_PAYLOAD', 'instances', `Missing 'instances'. A Vertex AI request is {"instances": [...], "parameters": {...}}.`);
    return { ...rowsFrom(doc.instances, 'instances', maxRows), params: paramsOf(doc.parameters, 'parameters') };
  }
  const accepted: string[] = protocol === 'azure' ? ['input_data', 'data', ...MLFLOW_KEYS] : [...MLFLOW_KEYS];
  const present = accepted.filter((k) => k in doc);
  for (const k of Object.keys(doc))
    if (!accepted.includes(k) && k !== 'params') fail('BAD_PAYLOAD', k, `Unknown key '${k}'. Send exactly one of ${accepted.join(', ')} (and optionally params).`);
  if (present.length !== 1) {
    fail(
      'BAD_PAYLOAD',
      '',
      present.length
        ? `Send exactly one of ${accepted.join(', ')}; got ${present.join(' and ')}.`
        : `Send exactly one of ${accepted.join(', ')} (and optionally params); got none.`,
    );
  }
  const key = present[0]!;
  const v = doc[key];
  const params = paramsOf(doc.params, 'params');
  let t: InputTable;
  if (key === 'dataframe_split') t = splitRows(v, key, maxRows);
  else if (key === 'input_data') t = isPlainObject(v) && 'data' in v ? splitRows(v, key, maxRows) : rowsFrom(v, key, maxRows);
  else if (key === 'inputs' && isPlainObject(v)) t = columnarRows(v, key, maxRows);
  else if (key === 'dataframe_records') {
    if (!Array.isArray(v) || (v.length && !isPlainObject(v[0])))
      fail('BAD_PAYLOAD', key, `'dataframe_records' must be a list of objects {"column": value, …} (pandas orient='records').`);
    t = rowsFrom(v, key, maxRows);
  } else t = rowsFrom(v, key, maxRows);
  return { ...t, params };
}

/**
 * Reads CSV text. With a header line (every field a known column name) the
 * columns are named; otherwise every line is a row in the model's signature
 * order (SageMaker's built-in algorithms send CSV without a header).
 */
export function tableFromCsv(text: string, knownColumns: ReadonlySet<string>, maxRows: number): InputTable {
  if (text.trim() === '') fail('EMPTY_BODY', '', 'The request body is empty. Send CSV rows (with or without a header line).');
  let t: ReturnType<typeof parseCsv>;
  try {
    t = parseCsv(text, { source: 'request body' });
  } catch (e) {
    const first = (e as { issues?: readonly { row?: number; message: string }[] }).issues?.[0];
    return fail('BAD_CSV', first?.row ? `csv row ${first.row}` : 'csv', `The CSV body is malformed: ${first?.message ?? (e as Error).message}.`);
  }
  const issues: ServeIssue[] = t.issues.map((i) => ({ code: i.code === 'RAGGED_ROW' ? 'RAGGED_ROW' : 'BAD_CSV', path: i.row ? `csv row ${i.row}` : 'csv', message: i.message }));
  const hasHeader = t.header.length > 0 && t.header.every((h) => knownColumns.has(h));
  const n = t.rows + (hasHeader ? 0 : 1);
  checkRows(t.header.length && !(t.header.length === 1 && t.header[0] === '') ? n : 0, 'csv', maxRows);
  if (issues.length) {
    const first = issues[0]!;
    fail(first.code, first.path, `The CSV body is malformed: ${first.message}${hasHeader ? '' : ' (no header line was recognised, so the first line is data)'}.`);
  }
  const rows: string[][] = [];
  if (!hasHeader) rows.push([...t.header]);
  for (let r = 0; r < t.rows; r++) rows.push(t.columns.map((c) => c[r]!));
  const line0 = hasHeader ? 2 : 1;
  return { columns: hasHeader ? [...t.header] : null, rows, text: true, params: null, cellPath: (r, c) => `csv line ${r + line0}, column '${c}'` };
}

/** Keys whose value is a list of rows, per protocol (the single-record fast paths). */
const ROW_KEYS: Readonly<Record<PayloadProtocol, ReadonlySet<string>>> = {
  mlflow: new Set(['instances', 'dataframe_records', 'inputs']),
  vertex: new Set(['instances']),
  azure: new Set(['instances', 'dataframe_records', 'inputs', 'input_data', 'data']),
};

/** {@link ROW_KEYS} as ASCII bytes (the byte-level single-record path). */
export const ROW_KEY_BYTES: Readonly<Record<PayloadProtocol, readonly Uint8Array[]>> = {
  mlflow: [...ROW_KEYS.mlflow].map((k) => Buffer.from(k, 'latin1')),
  vertex: [...ROW_KEYS.vertex].map((k) => Buffer.from(k, 'latin1')),
  azure: [...ROW_KEYS.azure].map((k) => Buffer.from(k, 'latin1')),
};

/**
 * The single record of a parsed JSON payload in its most common shape — one
 * rows key holding a list of exactly one object (e.g. `{"instances": [{…}]}`),
 * plus optional parameters — or null for anything else (then
 * {@link tableFromJson} reads it, with its error messages). Accepts only
 * payloads that {@link tableFromJson} accepts as one named row.
 */
export function singleRecord(doc: unknown, protocol: PayloadProtocol): { rec: Record<string, unknown>; params: Record<string, unknown> | null } | null {
  if (!isPlainObject(doc)) return null;
  const rowKeys = ROW_KEYS[protocol];
  const paramsKey = protocol === 'vertex' ? 'parameters' : 'params';
  let rows: unknown;
  let params: unknown;
  for (const k in doc) {
    if (k === paramsKey) params = doc[k];
    else if (rows === undefined && rowKeys.has(k)) rows = doc[k];
    else return null;
  }
  if (!Array.isArray(rows) || rows.length !== 1) return null;
  const rec: unknown = rows[0];
  if (!isPlainObject(rec)) return null;
  if (params !== undefined && !isPlainObject(params)) return null;
  return { rec, params: (params as Record<string, unknown> | undefined) ?? null };
}
