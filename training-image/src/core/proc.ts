import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';

/**
 * Who a process is, precisely enough to tell later whether it is still
 * running: its pid alone is not enough (pids are reused, a reboot restarts
 * them, another host or container has its own), so the start time of the
 * process (Linux: clock ticks since boot, from /proc/<pid>/stat), the boot id
 * and the pid namespace are recorded with the host name.
 */
export interface ProcessOwner {
  readonly pid: number;
  readonly host: string;
  /** Start time of the process (/proc/<pid>/stat field 22), null where /proc is absent. */
  readonly start: string | null;
  /** /proc/sys/kernel/random/boot_id, null where absent. */
  readonly boot: string | null;
  /** The pid namespace (`pid:[…]`), null where absent: pids of another container mean nothing here. */
  readonly ns: string | null;
}

/** Whether a recorded process still runs: `unknown` when it ran on another host or in another pid namespace. */
export type OwnerState = 'alive' | 'dead' | 'unknown';

function readTrim(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Start time of a process (clock ticks since boot), or null when it cannot be read (no /proc, no such process). */
export function processStart(pid: number): string | null {
  const stat = readTrim(`/proc/${pid}/stat`);
  if (!stat) return null;
  // The command name (field 2) may hold spaces and parentheses: fields 3… follow the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const v = rest[19]; // field 22
  return v && /^[0-9]+$/.test(v) ? v : null;
}

function pidNamespace(): string | null {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

let me: ProcessOwner | null = null;

/** This process. */
export function currentOwner(): ProcessOwner {
  if (me && me.pid === process.pid) return me;
  me = { pid: process.pid, host: os.hostname(), start: processStart(process.pid), boot: readTrim('/proc/sys/kernel/random/boot_id'), ns: pidNamespace() };
  return me;
}

/** Whether `o` still runs (see {@link OwnerState}). */
export function ownerState(o: Pick<ProcessOwner, 'pid'> & Partial<ProcessOwner>): OwnerState {
  const self = currentOwner();
  if (!Number.isInteger(o.pid) || o.pid <= 0) return 'unknown';
  if (o.host !== undefined && o.host !== self.host) return 'unknown';
  if (o.ns && self.ns && o.ns !== self.ns) return 'unknown';
  if (o.boot && self.boot && o.boot !== self.boot) return 'dead'; // the machine restarted since
  if (o.pid === self.pid) return !o.start || !self.start || o.start === self.start ? 'alive' : 'dead';
  try {
    process.kill(o.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return 'unknown';
  }
  if (o.start) {
    const now = processStart(o.pid);
    if (now !== null && now !== o.start) return 'dead'; // the pid now belongs to another process
  }
  return 'alive';
}

function h8(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}

/**
 * This process as a short token for file names: `<pid>.<start>.<host+ns hash>.<boot hash>`
 * (dots and hex only), read back by {@link tokenState}.
 */
export function ownerToken(): string {
  const o = currentOwner();
  return `${o.pid}.${o.start ?? '0'}.${h8(`${o.host}\0${o.ns ?? ''}`)}.${h8(o.boot ?? '')}`;
}

/** Matches an {@link ownerToken} inside a file name. */
export const OWNER_TOKEN = /([0-9]+)\.([0-9]+)\.([0-9a-f]{8})\.([0-9a-f]{8})/;

/** Whether the process named by an {@link ownerToken} still runs. */
export function tokenState(token: string): OwnerState {
  const m = OWNER_TOKEN.exec(token);
  if (!m) return 'unknown';
  const self = currentOwner();
  if (m[3] !== h8(`${self.host}\0${self.ns ?? ''}`)) return 'unknown';
  if (self.boot && m[4] !== h8(self.boot)) return 'dead';
  return ownerState({ pid: Number(m[1]), host: self.host, start: m[2] === '0' ? null : m[2]!, ns: self.ns });
}
