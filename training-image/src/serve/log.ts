import { randomUUID } from 'crypto';
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

/**
 * JSON lines to stdout, batched: lines go out together at most 20 ms after
 * the first of a batch (a write per request costs a system call and a wake-up
 * of the reader each; stdout on a pipe or file is synchronous in Node). Also
 * flushed when the batch passes 64 KiB, and synchronously at process exit.
 */
class StdoutLines {
  private buf = '';
  private scheduled = false;
  private hooked = false;
  private readonly flushCb = (): void => {
    this.scheduled = false;
    this.flush();
  };

  write(line: string): void {
    if (!this.hooked) {
      this.hooked = true;
      process.once('exit', () => this.flushSync());
    }
    this.buf += line;
    if (this.buf.length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(this.flushCb, FLUSH_MS).unref();
    }
  }

  flush(): void {
    if (!this.buf) return;
    const s = this.buf;
    this.buf = '';
    process.stdout.write(s);
  }

  private flushSync(): void {
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
/** `new Date().toISOString()`, computed at most once per millisecond. */
export function nowIso(): string {
  const t = Date.now();
  if (t !== isoMs) {
    isoMs = t;
    isoText = new Date(t).toISOString();
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

/** The request id: the client's x-request-id when it is sane (1–128 of [A-Za-z0-9._:-]), else a new UUID. */
export function requestId(header: string | string[] | undefined): string {
  if (header === undefined) return randomUUID();
  const h = Array.isArray(header) ? header[0] : header;
  return h && REQUEST_ID_RE.test(h) ? h : randomUUID();
}
