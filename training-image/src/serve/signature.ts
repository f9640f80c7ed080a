import { Contract } from '../data/contract';
import { Column, Frame } from '../data/frame';
import { isMissing, parseBoolean, parseDatetime, parseNumber } from '../data/values';
import { PipelineState } from '../features/pipeline';
import { DataProfile } from '../models/profile';
import { failAll, ServeIssue } from './errors';
import { ABSENT, InputTable } from './payload';

/** How the server reads one input column. */
export interface SignatureColumn {
  readonly name: string;
  /** number (JSON numbers; booleans when the contract says boolean), datetime (ISO 8601 text), string (text; numbers are turned into text). */
  readonly type: 'number' | 'datetime' | 'string';
  /** The contract declares the column boolean (true/false accepted, read as 1/0). */
  readonly boolean: boolean;
  /** The contract declares the column integer. */
  readonly integer: boolean;
  /** null / missing values are accepted (the fitted imputation fills them). */
  readonly nullable: boolean;
  readonly min: number | null;
  readonly max: number | null;
  /** The contract's allowed values, if any. */
  readonly allowed: ReadonlySet<string> | null;
}

/** The model's input signature: the raw columns the feature pipeline reads, typed. */
export interface Signature {
  readonly columns: readonly SignatureColumn[];
  /** Columns accepted and ignored (the target, contract columns the model does not use). */
  readonly ignored: ReadonlySet<string>;
  /** Any other column is accepted and ignored too. */
  readonly allowExtra: boolean;
}

/** Most issues listed in one error response. */
export const MAX_ISSUES = 50;

/**
 * Derives the signature from the fitted pipeline state, the training profile
 * (raw column types) and the data contract (types, nullability, ranges,
 * allowed values), if the model directory has them.
 */
export function buildSignature(state: PipelineState, target: string, contract: Contract | null, profile: DataProfile | null, allowExtra: boolean | null): Signature {
  const profiled = new Map((profile?.columns ?? []).map((c) => [c.name, c.type]));
  const byContract = new Map((contract?.columns ?? []).map((c) => [c.name, c]));
  const numericCols = new Set(state.numeric.filter((f) => f.source.kind !== 'date').map((f) => f.source.column));
  const dateCols = new Set(state.numeric.filter((f) => f.source.kind === 'date').map((f) => f.source.column));
  const forced = new Set(state.config.categorical ?? []);
  const columns = state.inputColumns.map((name): SignatureColumn => {
    const cc = byContract.get(name);
    let type: SignatureColumn['type'];
    if (profiled.has(name)) type = profiled.get(name)!;
    else if (cc) type = cc.type === 'number' || cc.type === 'integer' || cc.type === 'boolean' ? 'number' : cc.type === 'datetime' ? 'datetime' : 'string';
    else if (dateCols.has(name)) type = 'datetime';
    else if (numericCols.has(name)) type = 'number';
    else {
      const cat = state.categorical.find((c) => c.column === name);
      type = forced.has(name) && cat && cat.categories.every((k) => !Number.isNaN(parseNumber(k))) ? 'number' : 'string';
    }
    const bound = (b: number | string | undefined): number | null => (b === undefined ? null : type === 'datetime' ? parseDatetime(String(b)) : Number(b));
    return {
      name,
      type,
      boolean: cc?.type === 'boolean',
      integer: cc?.type === 'integer',
      nullable: cc ? cc.nullable : true,
      min: bound(cc?.min),
      max: bound(cc?.max),
      allowed: cc?.allowed ? new Set(cc.allowed.map(String)) : null,
    };
  });
  const used = new Set(state.inputColumns);
  const ignored = new Set([target, ...(contract?.columns ?? []).map((c) => c.name)].filter((n) => !used.has(n)));
  return { columns, ignored, allowExtra: allowExtra ?? contract?.allowExtraColumns ?? false };
}

function show(v: unknown): string {
  if (v === ABSENT) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (v !== null && typeof v === 'object') return 'an object';
  return String(v);
}

function expected(c: SignatureColumn): string {
  if (c.boolean) return 'a boolean (true/false)';
  if (c.type === 'number') return c.integer ? 'an integer' : 'a number';
  if (c.type === 'datetime') return 'an ISO 8601 date-time text like "2012-06-01 13:00:00"';
  return 'a text category';
}

/**
 * Validates an input table against the signature and builds the frame the
 * model scores. Every problem becomes an issue `{code, path, message}`; if
 * there is any, one 400 HttpError carries them all (at most {@link MAX_ISSUES}).
 */
export function frameFromTable(sig: Signature, t: InputTable): Frame {
  const issues: ServeIssue[] = [];
  const add = (i: ServeIssue): boolean => (issues.length < MAX_ISSUES ? (issues.push(i), true) : false);
  const n = t.rows.length;
  const names = sig.columns.map((c) => c.name);
  // Where each signature column sits in the table's rows.
  const pos: number[] = new Array(sig.columns.length).fill(-1);
  if (t.columns === null) {
    const width = sig.columns.length;
    for (let r = 0; r < n; r++) {
      if (t.rows[r]!.length !== width) {
        add({ code: 'RAGGED_ROW', path: t.cellPath(r, '', 0).replace(/\[0\]$/, '').replace(/, column ''$/, ''), message: `row ${r} has ${t.rows[r]!.length} values; the model takes ${width} in this order: ${names.join(', ')}. Or send named columns (e.g. {"dataframe_records": [{"${names[0]}": …}]}).` });
        if (issues.length >= 5) break;
      }
    }
    failAll(issues, 'The rows do not match the model\'s columns.');
    for (let j = 0; j < width; j++) pos[j] = j;
  } else {
    const seen = new Map<string, number>();
    t.columns.forEach((c, i) => {
      if (seen.has(c)) add({ code: 'DUPLICATE_COLUMN', path: c, message: `column '${c}' is given twice; send each column once.` });
      seen.set(c, i);
    });
    sig.columns.forEach((c, j) => {
      const i = seen.get(c.name);
      if (i === undefined) add({ code: 'MISSING_COLUMN', path: c.name, message: `column '${c.name}' (${expected(c)}) is missing; the model needs ${names.join(', ')}.${c.nullable ? ` Send null if the value is unknown.` : ''}` });
      else pos[j] = i;
    });
    if (!sig.allowExtra) {
      const known = new Set(names);
      for (const c of t.columns) if (!known.has(c) && !sig.ignored.has(c)) add({ code: 'UNEXPECTED_COLUMN', path: c, message: `column '${c}' is not an input of the model (inputs: ${names.join(', ')}); remove it${c.trim() !== c ? ' (note the surrounding spaces)' : ''}, or start the server with MLOPS_ALLOW_EXTRA_COLUMNS=true to ignore unknown columns.` });
    }
    failAll(issues, 'The columns do not match the model\'s inputs.');
  }
  const cols: Column[] = sig.columns.map((c, j) => {
    const p = pos[j]!;
    const path = (r: number): string => t.cellPath(r, c.name, p);
    if (c.type === 'string') {
      const values: (string | null)[] = new Array(n);
      for (let r = 0; r < n; r++) {
        const v = t.rows[r]![p];
        let s: string | null;
        if (v === null || v === ABSENT || (t.text && isMissing(v as string))) s = null;
        else if (typeof v === 'string') s = t.text ? v.trim() : v;
        else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
        else {
          add({ code: 'WRONG_TYPE', path: path(r), message: `${path(r)} is ${show(v)}; '${c.name}' must be ${expected(c)}.` });
          s = null;
        }
        if (s === null) {
          if (v === ABSENT) add({ code: 'MISSING_COLUMN', path: path(r), message: `${path(r)} is absent; '${c.name}' is needed in every row (send null if unknown${c.nullable ? '' : ' — but this column is not nullable'}).` });
          else if (!c.nullable) add({ code: 'NULL_VALUE', path: path(r), message: `${path(r)} is missing, but the data contract says '${c.name}' is not nullable; send ${expected(c)}.` });
        } else if (c.allowed && !c.allowed.has(s)) {
          add({ code: 'UNKNOWN_CATEGORY', path: path(r), message: `${path(r)} is ${JSON.stringify(s)}, which the data contract does not allow for '${c.name}' (allowed: ${[...c.allowed].slice(0, 20).join(', ')}).` });
        }
        values[r] = s;
      }
      return { name: c.name, type: 'string', values };
    }
    const values = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const v = t.rows[r]![p];
      let x = NaN;
      let missing = false;
      if (v === null || v === ABSENT) missing = true;
      else if (t.text) {
        const s = v as string;
        if (isMissing(s)) missing = true;
        else x = c.type === 'datetime' ? parseDatetime(s) : c.boolean ? parseBoolean(s) : parseNumber(s);
      } else if (c.type === 'datetime') {
        if (typeof v === 'string') x = parseDatetime(v);
      } else if (typeof v === 'number') x = v;
      else if (typeof v === 'boolean' && c.boolean) x = v ? 1 : 0;
      if (missing) {
        if (v === ABSENT) add({ code: 'MISSING_COLUMN', path: path(r), message: `${path(r)} is absent; '${c.name}' is needed in every row (send null if unknown${c.nullable ? '' : ' — but this column is not nullable'}).` });
        else if (!c.nullable) add({ code: 'NULL_VALUE', path: path(r), message: `${path(r)} is missing, but the data contract says '${c.name}' is not nullable; send ${expected(c)}.` });
      } else if (!Number.isFinite(x)) {
        const hint = typeof v === 'string' && c.type === 'number' && !t.text && !Number.isNaN(parseNumber(v)) ? ' Send it as a JSON number, without quotes.' : '';
        add({ code: 'WRONG_TYPE', path: path(r), message: `${path(r)} is ${show(v)}; '${c.name}' must be ${expected(c)}.${hint}` });
      } else if (c.integer && !Number.isInteger(x)) {
        add({ code: 'WRONG_TYPE', path: path(r), message: `${path(r)} is ${show(v)}; '${c.name}' must be an integer.` });
      } else if ((c.min !== null && x < c.min) || (c.max !== null && x > c.max)) {
        add({ code: 'OUT_OF_RANGE', path: path(r), message: `${path(r)} is ${show(v)}, outside the range the data contract allows for '${c.name}' [${c.min ?? '-∞'}, ${c.max ?? '∞'}].` });
      } else if (c.allowed && !c.allowed.has(String(x))) {
        add({ code: 'UNKNOWN_CATEGORY', path: path(r), message: `${path(r)} is ${show(v)}, which the data contract does not allow for '${c.name}' (allowed: ${[...c.allowed].slice(0, 20).join(', ')}).` });
      }
      values[r] = missing ? NaN : x;
    }
    return { name: c.name, type: c.type, values } as Column;
  });
  failAll(issues, 'The input is not valid for this model.');
  return new Frame(cols);
}

/**
 * A validator for the common case of one JSON record (`{"col": value, …}`),
 * checked directly against the signature without building an input table.
 * It returns a frame it owns and reuses (valid until the next call; callers
 * must use it synchronously), or null whenever anything is not clean — a
 * missing, unknown or mistyped column, a null where none is allowed, a value
 * out of range — so that the general {@link frameFromTable} path produces the
 * exact error response. On clean input the frame equals what
 * `frameFromTable(sig, table-of-that-record)` builds.
 */
export function singleRecordFramer(sig: Signature): (rec: Record<string, unknown>) => Frame | null {
  const cols = sig.columns;
  const m = cols.length;
  const byName = new Map<string, number>();
  cols.forEach((c, j) => byName.set(c.name, j));
  const numbers: Float64Array[] = [];
  const strings: (string | null)[][] = [];
  const columns: Column[] = cols.map((c, j) => {
    if (c.type === 'string') {
      const values: (string | null)[] = [null];
      strings[j] = values;
      return { name: c.name, type: 'string', values };
    }
    const values = new Float64Array(1);
    numbers[j] = values;
    return { name: c.name, type: c.type, values } as Column;
  });
  const frame = new Frame(columns);
  // The last date-time text parsed per column, and its value: live requests often repeat the day or hour.
  const lastText: (string | null)[] = cols.map(() => null);
  const lastTime = new Float64Array(m);
  const ignored = sig.ignored;
  const allowExtra = sig.allowExtra;
  return (rec) => {
    let present = 0;
    for (const k in rec) {
      if (byName.has(k)) present++;
      else if (!allowExtra && !ignored.has(k)) return null;
    }
    // Own keys are unique, so every signature column is an own key of the record.
    if (present !== m) return null;
    for (let j = 0; j < m; j++) {
      const c = cols[j]!;
      const v = rec[c.name];
      if (c.type === 'string') {
        let s: string | null;
        if (v === null) {
          if (!c.nullable) return null;
          s = null;
        } else if (typeof v === 'string') s = v;
        else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
        else return null;
        if (s !== null && c.allowed && !c.allowed.has(s)) return null;
        strings[j]![0] = s;
        continue;
      }
      let x: number;
      if (v === null) {
        if (!c.nullable) return null;
        numbers[j]![0] = NaN;
        continue;
      }
      if (c.type === 'datetime') {
        if (typeof v !== 'string') return null;
        if (v === lastText[j]) x = lastTime[j]!;
        else {
          x = parseDatetime(v);
          lastText[j] = v;
          lastTime[j] = x;
        }
      } else if (typeof v === 'number') x = v;
      else if (typeof v === 'boolean' && c.boolean) x = v ? 1 : 0;
      else return null;
      if (!Number.isFinite(x)) return null;
      if (c.integer && !Number.isInteger(x)) return null;
      if ((c.min !== null && x < c.min) || (c.max !== null && x > c.max)) return null;
      if (c.allowed && !c.allowed.has(String(x))) return null;
      numbers[j]![0] = x;
    }
    return frame;
  };
}
