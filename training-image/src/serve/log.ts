import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { LogLevel } from './config';

/** One structured log entry (one JSON line). */
export interface LogEntry {
  readonly level: Exclude<LogLevel, 'silent'>;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** Where log entries go. */
export type LogSink = (entry: LogEntry) => void;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Largest batch kept before it is written out at once. */
const FLUSH_BYTES = 64 * 1024;
/** Longest a line waits in the batch. */
const FLUSH_MS = 20;

/** Access-log records kept before they are formatted into the batch. */
const RECORDS = 1024;

/**
 * JSON lines to stdout, batched: lines go out together at most 20 ms after
 * the first of a batch (a write per request costs a system call and a wake-up
 * of the reader each; stdout on a pipe or file is synchronous in Node). Also
 * flushed when the batch passes 64 KiB, and synchronously at process exit.
 *
 * Access-log lines ({@link StdoutLines.access}) are kept as their fields in
 * preallocated arrays and formatted together when the batch is written (or
 * before any other line, so the order is kept): formatting a line at the end
 * of each request, with cold caches, cost ≈ 0.5 µs a request more.
 */
class StdoutLines {
  private buf = '';
  private scheduled = false;
  private hooked = false;
  /** Pending access records: their fields, in order. */
  private n = 0;
  private readonly time: string[] = new Array<string>(RECORDS).fill('');
  private readonly level: string[] = new Array<string>(RECORDS).fill('');
  private readonly id: string[] = new Array<string>(RECORDS).fill('');
  private readonly method: string[] = new Array<string>(RECORDS).fill('');
  private readonly path: string[] = new Array<string>(RECORDS).fill('');
  private readonly status = new Int32Array(RECORDS);
  private readonly ms = new Float64Array(RECORDS);
  /** Rows predicted, −1 for none. */
  private readonly rows = new Int32Array(RECORDS);
  private readonly flushCb = (): void => {
    this.scheduled = false;
    this.flush();
  };

  write(line: string): void {
    this.hook();
    if (this.n) this.format();
    this.buf += line;
    this.added();
  }

  /** Keeps one access record (see {@link Logger.access} for the line it becomes). */
  access(time: string, level: string, id: string, method: string, pathJson: string, status: number, ms: number, rows: number): void {
    this.hook();
    const k = this.n++;
    this.time[k] = time;
    this.level[k] = level;
    this.id[k] = id;
    this.method[k] = method;
    this.path[k] = pathJson;
    this.status[k] = status;
    this.ms[k] = ms;
    this.rows[k] = rows;
    if (this.n === RECORDS) {
      this.format();
      this.added();
    } else if (!this.scheduled) this.schedule();
  }

  flush(): void {
    if (this.n) this.format();
    if (!this.buf) return;
    const s = this.buf;
    this.buf = '';
    process.stdout.write(s);
  }

  /** Formats the pending access records into the batch. */
  private format(): void {
    let s = this.buf;
    for (let k = 0; k < this.n; k++) {
      const rows = this.rows[k]!;
      s += `{"time":"${this.time[k]}","level":"${this.level[k]}","msg":"request","reqId":"${this.id[k]}","method":"${this.method[k]}","path":${this.path[k]},"status":${this.status[k]},"ms":${this.ms[k]}${rows >= 0 ? `,"rows":${rows}` : ''}}\n`;
      this.id[k] = ''; // no request id kept alive longer than its batch
    }
    this.buf = s;
    this.n = 0;
  }

  private added(): void {
    if (this.buf.length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) this.schedule();
  }

  private schedule(): void {
    this.scheduled = true;
    setTimeout(this.flushCb, FLUSH_MS).unref();
  }

  private hook(): void {
    if (this.hooked) return;
    this.hooked = true;
    process.once('exit', () => this.flushSync());
  }

  private flushSync(): void {
    if (this.n) this.format();
    if (!this.buf) return;
    const s = this.buf;
    this.buf = '';
    try {
      fs.writeSync(1, s);
    } catch {
      // stdout closed: nothing to do at exit.
    }
  }
}

const stdoutLines = new StdoutLines();

let isoMs = -1;
let isoText = '';
/** The start (ms) of the second `isoSecond` describes, and its ISO text up to the decimal point. */
let isoSecondStart = NaN;
let isoSecond = '';
const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/**
 * `new Date().toISOString()`, computed at most once per millisecond, and
 * formatted by Date only once per second (toISOString costs about a
 * microsecond): within a second only the milliseconds change.
 */
export function nowIso(): string {
  const t = Date.now();
  if (t !== isoMs) {
    isoMs = t;
    const ms = ((t % 1000) + 1000) % 1000;
    if (t - ms !== isoSecondStart) {
      isoSecondStart = t - ms;
      const s = new Date(isoSecondStart).toISOString();
      isoSecond = s.slice(0, s.length - 4); // up to and including the '.' before the milliseconds
    }
    isoText = `${isoSecond}${MILLIS[ms]!}Z`;
  }
  return isoText;
}

/** A leveled structured logger writing JSON lines (time, level, msg, fields). */
export class Logger {
  private readonly min: number;
  /** True when entries go to the default stdout sink (then {@link Logger.line} may write pre-serialised lines). */
  readonly stdout: boolean;
  private readonly sink: LogSink;
  constructor(
    level: LogLevel = 'info',
    /** Receives each entry; default: one JSON line on stdout. */
    sink?: LogSink,
  ) {
    this.min = RANK[level];
    this.stdout = !sink;
    this.sink = sink ?? ((e) => stdoutLines.write(`${JSON.stringify({ time: nowIso(), ...e })}\n`));
  }
  /** True when entries of `level` are written. */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return RANK[level] >= this.min;
  }
  /** Writes an entry if its level is enabled. */
  log(level: Exclude<LogLevel, 'silent'>, msg: string, fields: Record<string, unknown> = {}): void {
    if (RANK[level] >= this.min) this.sink({ level, msg, ...fields });
  }
  /**
   * Writes a pre-serialised entry on the default stdout sink: `json` is the
   * JSON object text after `"time"` (starting with `,"level":`), without the
   * closing brace. Only call when {@link Logger.stdout} is true.
   */
  line(json: string): void {
    stdoutLines.write(`{"time":"${nowIso()}"${json}}\n`);
  }
  /**
   * Writes an access-log entry on the default stdout sink: the line
   * `{"time","level","msg":"request","reqId","method","path","status","ms"[,"rows"]}`,
   * formatted later with its batch (the time is taken now). `method` must be
   * JSON string content, `pathJson` a JSON string, `rows` −1 for none. Only
   * call when {@link Logger.stdout} is true.
   */
  access(level: Exclude<LogLevel, 'silent'>, id: string, method: string, pathJson: string, status: number, ms: number, rows: number): void {
    stdoutLines.access(nowIso(), level, id, method, pathJson, status, ms, rows);
  }
  /** Writes out batched stdout lines now. */
  flush(): void {
    stdoutLines.flush();
  }
  /** info. */
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  /** warn. */
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  /** error. */
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** The first 34 characters of the current request-id block: random (UUID version 4 layout), then the counter's high 40 bits. */
let idBlock = '';
/** Per-process random part of every generated id (96 bits, formatted once). */
let idRandom = '';
/** Counter of generated ids (48 bits, starting at a random value). */
let idCounter = -1;

/**
 * A new request id: UUID-shaped (8-4-4-4-12 lowercase hex, version 4,
 * variant 10xx), unique within the process — 80 random bits drawn once per
 * process, then a 48-bit counter starting at a random value — so that
 * generating one costs a string concatenation (randomUUID per request was a
 * measurable share of a request). Request ids correlate log lines; they are
 * not secrets.
 */
export function newRequestId(): string {
  if (idCounter < 0 || (idCounter & 0xff) === 0) {
    if (idCounter < 0) {
      const r = randomBytes(16);
      r[6] = (r[6]! & 0x0f) | 0x40;
      r[8] = (r[8]! & 0x3f) | 0x80;
      const h = r.toString('hex');
      idRandom = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-`;
      idCounter = r.readUIntBE(10, 6);
    }
    // A new block every 256 ids: the counter's high 40 bits.
    const hi = Math.floor(idCounter / 256);
    idBlock =
      idRandom +
      Math.floor(hi / 2 ** 20)
        .toString(16)
        .padStart(5, '0') +
      (hi % 2 ** 20).toString(16).padStart(5, '0');
  }
  const id = idBlock + HEX2[idCounter & 0xff]!;
  idCounter = idCounter + 1 === 2 ** 48 ? 0 : idCounter + 1;
  return id;
}

/** The request id: the client's x-request-id when it is sane (1–128 of [A-Za-z0-9._:-]), else a new UUID-shaped id ({@link newRequestId}). */
export function requestId(header: string | string[] | undefined): string {
  if (header === undefined) return newRequestId();
  const h = Array.isArray(header) ? header[0] : header;
  return h && REQUEST_ID_RE.test(h) ? h : newRequestId();
}

/** Names that may appear in a payload path and are never request content: the protocols' keys. */
const PROTOCOL_KEYS: readonly string[] = [
  'dataframe_split',
  'dataframe_records',
  'instances',
  'inputs',
  'input_data',
  'data',
  'columns',
  'index',
  'params',
  'parameters',
  'content-type',
  'accept',
  'csv',
];

function delimiterAt(p: string, j: number): boolean {
  const c = p[j];
  return j >= p.length || c === '.' || c === '[' || c === "'" || p.startsWith(', column ', j);
}

/**
 * A payload path (`instances[3].temp`, `csv line 2, column 'c'`) with every
 * name that is neither a protocol key nor in `known` (the model's columns)
 * replaced by `<N chars>`: unknown keys and column names come from the
 * request and may be personal data; indices, protocol keys and the model's
 * own column names are shapes.
 */
export function redactPath(p: string, known: ReadonlySet<string>): string {
  let out = '';
  let i = 0;
  const csv = /^csv (?:row|line) \d+/.exec(p);
  if (csv) {
    out = csv[0];
    i = csv[0].length;
  }
  while (i < p.length) {
    if (p.startsWith(', column ', i)) {
      out += ', column ';
      i += 9;
      continue;
    }
    const c = p[i];
    if (c === '.' || c === "'") {
      out += c;
      i++;
      continue;
    }
    const idx = /^\[\d+\]/.exec(p.slice(i, i + 24));
    if (idx) {
      out += idx[0];
      i += idx[0].length;
      continue;
    }
    let best = '';
    for (const k of PROTOCOL_KEYS) if (k.length > best.length && p.startsWith(k, i) && delimiterAt(p, i + k.length)) best = k;
    for (const k of known) if (k.length > best.length && p.startsWith(k, i) && delimiterAt(p, i + k.length)) best = k;
    if (best) {
      out += best;
      i += best.length;
      continue;
    }
    let j = i + 1;
    while (!delimiterAt(p, j)) j++;
    out += `<${j - i} chars>`;
    i = j;
  }
  return out;
}

/** Log fields of an unexpected error: its class and code locations, plus its message only when request values may be logged (a message can quote the request). */
export function errorFields(e: unknown, values: boolean): Record<string, unknown> {
  const err = e instanceof Error ? e : new Error(String(e));
  if (values) return { error: err.message, stack: err.stack };
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .join('\n');
  return { error: `${err.name} (message not logged: MLOPS_LOG_REQUEST_VALUES=true includes it)`, stack: frames };
}
