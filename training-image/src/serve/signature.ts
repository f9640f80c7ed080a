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
      type = forced.has(name) && cat?.categories.every((k) => !Number.isNaN(parseNumber(k))) ? 'number' : 'string';
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
  const add = (i: ServeIssue): boolean => {
    if (issues.length >= MAX_ISSUES) return false;
    issues.push(i);
    return true;
  };
  const n = t.rows.length;
  const names = sig.columns.map((c) => c.name);
  // Where each signature column sits in the table's rows.
  const pos: number[] = new Array(sig.columns.length).fill(-1);
  if (t.columns === null) {
    const width = sig.columns.length;
    for (let r = 0; r < n; r++) {
      if (t.rows[r]!.length !== width) {
        add({
          code: 'RAGGED_ROW',
          path: t
            .cellPath(r, '', 0)
            .replace(/\[0\]$/, '')
            .replace(/, column ''$/, ''),
          message: `row ${r} has ${t.rows[r]!.length} values; the model takes ${width} in this order: ${names.join(', ')}. Or send named columns (e.g. {"dataframe_records": [{"${names[0]}": …}]}).`,
        });
        if (issues.length >= 5) break;
      }
    }
    failAll(issues, "The rows do not match the model's columns.");
    for (let j = 0; j < width; j++) pos[j] = j;
  } else {
    const seen = new Map<string, number>();
    t.columns.forEach((c, i) => {
      if (seen.has(c)) add({ code: 'DUPLICATE_COLUMN', path: c, message: `column '${c}' is given twice; send each column once.` });
      seen.set(c, i);
    });
    sig.columns.forEach((c, j) => {
      const i = seen.get(c.name);
      if (i === undefined)
        add({
          code: 'MISSING_COLUMN',
          path: c.name,
          message: `column '${c.name}' (${expected(c)}) is missing; the model needs ${names.join(', ')}.${c.nullable ? ` Send null if the value is unknown.` : ''}`,
        });
      else pos[j] = i;
    });
    if (!sig.allowExtra) {
      const known = new Set(names);
      for (const c of t.columns)
        if (!known.has(c) && !sig.ignored.has(c))
          add({
            code: 'UNEXPECTED_COLUMN',
            path: c,
            message: `column '${c}' is not an input of the model (inputs: ${names.join(', ')}); remove it${c.trim() !== c ? ' (note the surrounding spaces)' : ''}, or start the server with MLOPS_ALLOW_EXTRA_COLUMNS=true to ignore unknown columns.`,
          });
    }
    failAll(issues, "The columns do not match the model's inputs.");
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
          if (v === ABSENT)
            add({
              code: 'MISSING_COLUMN',
              path: path(r),
              message: `${path(r)} is absent; '${c.name}' is needed in every row (send null if unknown${c.nullable ? '' : ' — but this column is not nullable'}).`,
            });
          else if (!c.nullable)
            add({ code: 'NULL_VALUE', path: path(r), message: `${path(r)} is missing, but the data contract says '${c.name}' is not nullable; send ${expected(c)}.` });
        } else if (c.allowed && !c.allowed.has(s)) {
          add({
            code: 'UNKNOWN_CATEGORY',
            path: path(r),
            message: `${path(r)} is ${JSON.stringify(s)}, which the data contract does not allow for '${c.name}' (allowed: ${[...c.allowed].slice(0, 20).join(', ')}).`,
          });
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
        if (v === ABSENT)
          add({
            code: 'MISSING_COLUMN',
            path: path(r),
            message: `${path(r)} is absent; '${c.name}' is needed in every row (send null if unknown${c.nullable ? '' : ' — but this column is not nullable'}).`,
          });
        else if (!c.nullable)
          add({ code: 'NULL_VALUE', path: path(r), message: `${path(r)} is missing, but the data contract says '${c.name}' is not nullable; send ${expected(c)}.` });
      } else if (!Number.isFinite(x)) {
        const hint = typeof v === 'string' && c.type === 'number' && !t.text && !Number.isNaN(parseNumber(v)) ? ' Send it as a JSON number, without quotes.' : '';
        add({ code: 'WRONG_TYPE', path: path(r), message: `${path(r)} is ${show(v)}; '${c.name}' must be ${expected(c)}.${hint}` });
      } else if (c.integer && !Number.isInteger(x)) {
        add({ code: 'WRONG_TYPE', path: path(r), message: `${path(r)} is ${show(v)}; '${c.name}' must be an integer.` });
      } else if ((c.min !== null && x < c.min) || (c.max !== null && x > c.max)) {
        add({
          code: 'OUT_OF_RANGE',
          path: path(r),
          message: `${path(r)} is ${show(v)}, outside the range the data contract allows for '${c.name}' [${c.min ?? '-∞'}, ${c.max ?? '∞'}].`,
        });
      } else if (c.allowed && !c.allowed.has(String(x))) {
        add({
          code: 'UNKNOWN_CATEGORY',
          path: path(r),
          message: `${path(r)} is ${show(v)}, which the data contract does not allow for '${c.name}' (allowed: ${[...c.allowed].slice(0, 20).join(', ')}).`,
        });
      }
      values[r] = missing ? NaN : x;
    }
    return { name: c.name, type: c.type, values } as Column;
  });
  failAll(issues, 'The input is not valid for this model.');
  return new Frame(cols);
}

/** Powers of ten that are exact doubles (10^0 … 10^22). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** JSON whitespace: space, tab, line feed, carriage return (nothing else). */
function skipWs(b: Uint8Array, i: number): number {
  let c = b[i]!;
  while (c <= 32 && (c === 32 || c === 10 || c === 13 || c === 9)) c = b[++i]!;
  return i;
}

/**
 * Index of the quote closing a JSON string whose text starts at `i`, or −1
 * for an escape, a control character, a non-ASCII byte or no end (the
 * general path decides those).
 */
function stringEnd(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i]!;
    if (c === 34) return i;
    if (c === 92 || c < 32 || c >= 128 || c === undefined) return -1;
    i++;
  }
}

/** True when `b` holds the ASCII text `word` at `i`. */
function bytesAre(b: Uint8Array, i: number, word: Uint8Array): boolean {
  if (i + word.length > b.length) return false;
  for (let p = 0; p < word.length; p++) if (b[i + p] !== word[p]) return false;
  return true;
}

const NULL_BYTES = Buffer.from('null');
const TRUE_BYTES = Buffer.from('true');
const FALSE_BYTES = Buffer.from('false');

/**
 * A validator for the common case of one JSON record (`{"col": value, …}`),
 * checked directly against the signature without building an input table.
 * It fills a frame it owns and reuses (valid until the next call; callers
 * must use it synchronously), or declines (null) whenever anything is not
 * clean — a missing, unknown or mistyped column, a null where none is
 * allowed, a value out of range — so that the general {@link frameFromTable}
 * path produces the exact error response. On clean input the frame equals
 * what `frameFromTable(sig, table-of-that-record)` builds.
 *
 * Two entries: {@link SingleRowFramer.fromRecord} for a parsed record, and
 * {@link SingleRowFramer.fromJson} that reads the bytes of the whole request
 * straight into the frame (no text decoding, no JSON.parse, no objects) when
 * it is exactly one row in the simplest shape. Both store values through the
 * same checks ({@link SingleRowFramer.put}).
 */
export class SingleRowFramer {
  /** The reused one-row frame. */
  readonly frame: Frame;
  private readonly cols: readonly SignatureColumn[];
  private readonly byName = new Map<string, number>();
  private readonly numbers: Float64Array[] = [];
  private readonly strings: (string | null)[][] = [];
  /** The last date-time text parsed per column, and its value: live requests often repeat the day or hour. */
  private readonly lastText: (string | null)[];
  private readonly lastTime: Float64Array;
  private readonly ignored: ReadonlySet<string>;
  private readonly allowExtra: boolean;
  /** fromJson: column names as ASCII bytes (null when a name cannot be matched byte for byte: non-ASCII, quote, backslash, control character). */
  private readonly nameBytes: (Uint8Array | null)[];
  /** fromJson: the column of the k-th key of the previous request (clients send keys in the same order). */
  private readonly keyGuess: Int32Array;
  /** fromJson: the pass in which each column was last seen (duplicate keys). */
  private readonly seenIn: Int32Array;
  private pass = 0;
  /** fromJson: where the last key or number ended. */
  private pos = 0;
  /** fromJson: the last string value's bytes per column, and its text (decoded once while it repeats). */
  private readonly lastBytes: Uint8Array[];
  private readonly lastLength: Int32Array;
  private readonly lastString: (string | null)[];

  constructor(sig: Signature) {
    const cols = sig.columns;
    this.cols = cols;
    cols.forEach((c, j) => this.byName.set(c.name, j));
    const columns: Column[] = cols.map((c, j) => {
      if (c.type === 'string') {
        const values: (string | null)[] = [null];
        this.strings[j] = values;
        return { name: c.name, type: 'string', values };
      }
      const values = new Float64Array(1);
      this.numbers[j] = values;
      return { name: c.name, type: c.type, values } as Column;
    });
    this.frame = new Frame(columns);
    this.lastText = cols.map(() => null);
    this.lastTime = new Float64Array(cols.length);
    this.ignored = sig.ignored;
    this.allowExtra = sig.allowExtra;
    this.nameBytes = cols.map((c) => (/^[\x20-\x7e]*$/.test(c.name) && !/["\\]/.test(c.name) ? Buffer.from(c.name, 'latin1') : null));
    this.keyGuess = new Int32Array(cols.length).fill(-1);
    this.seenIn = new Int32Array(cols.length);
    this.lastBytes = cols.map(() => new Uint8Array(64));
    this.lastLength = new Int32Array(cols.length).fill(-1);
    this.lastString = cols.map(() => null);
  }

  /** Checks a JSON value for signature column `j` and stores it; false when the general path must decide. */
  put(j: number, v: unknown): boolean {
    const c = this.cols[j]!;
    if (c.type === 'string') {
      let s: string | null;
      if (v === null) {
        if (!c.nullable) return false;
        s = null;
      } else if (typeof v === 'string') s = v;
      else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
      else return false;
      if (s !== null && c.allowed && !c.allowed.has(s)) return false;
      this.strings[j]![0] = s;
      return true;
    }
    if (v === null) {
      if (!c.nullable) return false;
      this.numbers[j]![0] = NaN;
      return true;
    }
    let x: number;
    if (c.type === 'datetime') {
      if (typeof v !== 'string') return false;
      if (v === this.lastText[j]) x = this.lastTime[j]!;
      else {
        x = parseDatetime(v);
        this.lastText[j] = v;
        this.lastTime[j] = x;
      }
    } else if (typeof v === 'number') x = v;
    else if (typeof v === 'boolean' && c.boolean) x = v ? 1 : 0;
    else return false;
    return this.setNumber(j, c, x);
  }

  /** {@link SingleRowFramer.put} of a JSON number (without boxing it). */
  private putNumber(j: number, x: number): boolean {
    const c = this.cols[j]!;
    if (c.type === 'number') return this.setNumber(j, c, x);
    return this.put(j, x);
  }

  /** The checks of a numeric column's value, then the store. */
  private setNumber(j: number, c: SignatureColumn, x: number): boolean {
    if (!Number.isFinite(x)) return false;
    if (c.integer && !Number.isInteger(x)) return false;
    if ((c.min !== null && x < c.min) || (c.max !== null && x > c.max)) return false;
    if (c.allowed && !c.allowed.has(String(x))) return false;
    this.numbers[j]![0] = x;
    return true;
  }

  /** The frame of one parsed record, or null (see the class). */
  fromRecord(rec: Record<string, unknown>): Frame | null {
    const m = this.cols.length;
    let present = 0;
    for (const k in rec) {
      if (this.byName.has(k)) present++;
      else if (!this.allowExtra && !this.ignored.has(k)) return null;
    }
    // Own keys are unique, so every signature column is an own key of the record.
    if (present !== m) return null;
    for (let j = 0; j < m; j++) if (!this.put(j, rec[this.cols[j]!.name])) return null;
    return this.frame;
  }

  /**
   * Reads the bytes of a whole JSON request when they are exactly
   * `{"<rows key>": [{"<column>": <value>, …}]}` — one of `rowKeys` (ASCII),
   * one record whose keys are the signature's columns, each once, with plain
   * values (numbers, ASCII strings without escapes, null, true, false) —
   * straight into the frame. Null for anything else, valid JSON or not (a
   * parameters key, an ignored or extra column, an escape, a non-ASCII byte,
   * a nested value, a second row, bad syntax): then the body is decoded and
   * JSON.parse and the general checks decide. What it accepts, JSON.parse
   * reads to the same values (numbers: the exact decimal fast path, else
   * `Number()` of the same text).
   */
  fromJson(b: Buffer, rowKeys: readonly Uint8Array[]): Frame | null {
    let i = skipWs(b, 0);
    if (b[i] !== 123) return null; // {
    i = skipWs(b, i + 1);
    if (b[i] !== 34) return null;
    const keyEnd = stringEnd(b, i + 1);
    if (keyEnd < 0) return null;
    let known = false;
    for (const k of rowKeys) if (k.length === keyEnd - i - 1 && bytesAre(b, i + 1, k)) known = true;
    if (!known) return null;
    i = skipWs(b, keyEnd + 1);
    if (b[i] !== 58) return null; // :
    i = skipWs(b, i + 1);
    if (b[i] !== 91) return null; // [
    i = skipWs(b, i + 1);
    if (b[i] !== 123) return null; // {
    i = this.record(b, i + 1);
    if (i < 0) return null;
    i = skipWs(b, i);
    if (b[i] !== 93) return null; // ] — exactly one row
    i = skipWs(b, i + 1);
    if (b[i] !== 125) return null; // }
    return skipWs(b, i + 1) === b.length ? this.frame : null;
  }

  /** Reads the members of a record (after its `{`) into the frame; the index after its `}`, or −1. */
  private record(b: Buffer, i: number): number {
    const m = this.cols.length;
    if (this.pass === 0x7fffffff) {
      // Pass numbers stay int32 (seenIn is an Int32Array): start over before they would wrap.
      this.pass = 0;
      this.seenIn.fill(0);
    }
    const pass = ++this.pass;
    let count = 0;
    i = skipWs(b, i);
    if (b[i] === 125) return m === 0 ? i + 1 : -1;
    for (;;) {
      if (b[i] !== 34) return -1;
      const j = this.key(b, i + 1, count);
      if (j < 0 || this.seenIn[j] === pass) return -1; // not a signature column (the general path decides), or a repeated key
      this.seenIn[j] = pass;
      count++;
      i = skipWs(b, this.pos);
      if (b[i] !== 58) return -1; // :
      i = skipWs(b, i + 1);
      const c = b[i]!;
      if (c === 34) {
        const e = stringEnd(b, i + 1);
        if (e < 0 || !this.put(j, this.text(j, b, i + 1, e))) return -1;
        i = e + 1;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        const x = this.number(b, i);
        if (x !== x || !this.putNumber(j, x)) return -1;
        i = this.pos;
      } else if (c === 110 && bytesAre(b, i, NULL_BYTES)) {
        if (!this.put(j, null)) return -1;
        i += 4;
      } else if (c === 116 && bytesAre(b, i, TRUE_BYTES)) {
        if (!this.put(j, true)) return -1;
        i += 4;
      } else if (c === 102 && bytesAre(b, i, FALSE_BYTES)) {
        if (!this.put(j, false)) return -1;
        i += 5;
      } else return -1;
      i = skipWs(b, i);
      const d = b[i];
      if (d === 44)
        i = skipWs(b, i + 1); // ,
      else if (d === 125)
        return count === m ? i + 1 : -1; // }
      else return -1;
    }
  }

  /** The text of the ASCII string value b[a, e) for column `j` (the last one again while the bytes repeat). */
  private text(j: number, b: Buffer, a: number, e: number): string {
    const n = e - a;
    const last = this.lastBytes[j]!;
    if (n === this.lastLength[j]) {
      let p = 0;
      while (p < n && b[a + p] === last[p]) p++;
      if (p === n) return this.lastString[j]!;
    }
    const s = b.toString('latin1', a, e);
    if (n <= last.length) {
      last.set(b.subarray(a, e));
      this.lastLength[j] = n;
      this.lastString[j] = s;
    } else this.lastLength[j] = -1;
    return s;
  }

  /**
   * The signature column named by the key string starting at `i` (after its
   * quote), or −1; sets `pos` after the closing quote. Tries first the column
   * the k-th key named last time, comparing bytes in place.
   */
  private key(b: Buffer, i: number, k: number): number {
    const g = k < this.keyGuess.length ? this.keyGuess[k]! : -1;
    if (g >= 0) {
      const name = this.nameBytes[g]!;
      const n = name.length;
      let p = 0;
      while (p < n && b[i + p] === name[p]) p++;
      if (p === n && b[i + n] === 34) {
        this.pos = i + n + 1;
        return g;
      }
    }
    const e = stringEnd(b, i);
    if (e < 0) return -1;
    const j = this.byName.get(b.toString('latin1', i, e)) ?? -1;
    if (k < this.keyGuess.length) this.keyGuess[k] = j >= 0 && this.nameBytes[j] ? j : -1;
    this.pos = e + 1;
    return j;
  }

  /**
   * A JSON number at `i` (sets `pos` after it), or NaN when the bytes there
   * are not one (JSON's grammar: no leading zeros, '+', bare '.', or 'e'
   * without digits). Up to 15 significant digits and 22 decimals with no
   * exponent: digits ÷ 10^decimals, both exact doubles, so the quotient is the
   * correctly rounded value, as JSON.parse gives; otherwise `Number()` of the
   * text.
   */
  private number(b: Buffer, i: number): number {
    const start = i;
    const neg = b[i] === 45;
    if (neg) i++;
    let c = b[i]!;
    let m = 0;
    let digits = 0;
    if (c === 48) c = b[++i]!;
    else if (c >= 49 && c <= 57) {
      do {
        m = m * 10 + (c - 48);
        digits++;
        c = b[++i]!;
      } while (c >= 48 && c <= 57);
    } else return NaN;
    let decimals = 0;
    if (c === 46) {
      c = b[++i]!;
      if (!(c >= 48 && c <= 57)) return NaN;
      do {
        m = m * 10 + (c - 48);
        digits++;
        decimals++;
        c = b[++i]!;
      } while (c >= 48 && c <= 57);
    }
    let exponent = false;
    if (c === 101 || c === 69) {
      exponent = true;
      c = b[++i]!;
      if (c === 43 || c === 45) c = b[++i]!;
      if (!(c >= 48 && c <= 57)) return NaN;
      do c = b[++i]!;
      while (c >= 48 && c <= 57);
    }
    this.pos = i;
    if (!exponent && digits <= 15 && decimals <= 22) {
      const x = decimals === 0 ? m : m / POW10[decimals]!;
      return neg ? -x : x;
    }
    return Number(b.toString('latin1', start, i));
  }
}

/**
 * {@link SingleRowFramer.fromRecord} as a function: the frame of one clean
 * JSON record (reused; use it synchronously), or null for the general path.
 */
export function singleRecordFramer(sig: Signature): (rec: Record<string, unknown>) => Frame | null {
  const f = new SingleRowFramer(sig);
  return (rec) => f.fromRecord(rec);
}
