import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { currentOwner, ownerState, ownerToken, ProcessOwner, tokenState } from './proc';

/**
 * An inter-process lock on a local (or shared) file system, correct under
 * contention and after crashes, with no daemon and no dependency.
 *
 * The lock is a folder of numbered generations: `<dir>/<n>/owner.json`. A
 * process takes the lock by creating generation n+1 when generation n is
 * released (it holds a `released` file) or its owner is dead; the new
 * generation is prepared under a private name with its owner (pid, host,
 * process start time, boot id, pid namespace) already written, then renamed
 * into place, so a generation is never seen without its owner, and a rename
 * onto a generation that exists fails, so only one process takes each
 * number. The highest generation is never deleted (older ones are, by the
 * holder): a process that read an old number and wakes up late creates a
 * generation below the highest, sees it, and gives it up. A stale holder is
 * thus replaced without anyone deleting a lock that another process might
 * hold at that moment.
 *
 * A holder that died on this host (pid gone, pid reused, machine restarted)
 * is detected at once. One on another host or in another container cannot be
 * checked: its lock is taken over once it is older than `staleMs`.
 */

/** Who holds a lock (`owner.json`). */
export interface LockOwner extends ProcessOwner {
  readonly at: string;
  readonly what: string;
}

/** A lock that could not be taken in time. */
export class LockError extends Error {
  readonly code = 'LOCKED' as const;
  constructor(
    /** The lock folder. */
    public readonly path: string,
    /** The holder, when known. */
    public readonly owner: LockOwner | null,
    message: string,
  ) {
    super(message);
    this.name = 'LockError';
  }
}

/** Options of {@link acquireLock}. */
export interface LockOptions {
  /** What the lock protects, for messages (e.g. `registry model 'churn'`). */
  readonly what: string;
  /** How long to wait for a live holder. @default 10000, or $MLOPS_LOCK_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** Age after which a holder that cannot be checked (another host or container) is taken over. @default 60000 */
  readonly staleMs?: number;
}

/** Releases a lock (idempotent). */
export type Unlock = () => void;

const GEN = /^[0-9]{1,15}$/;
const CONTENDED = new Set(['EEXIST', 'ENOTEMPTY', 'EPERM', 'EBUSY']);

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function generations(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => GEN.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

type Holder = { readonly kind: 'free' } | { readonly kind: 'gone' } | { readonly kind: 'held'; readonly owner: LockOwner | null; readonly ageMs: number; readonly dir: string };

function inspect(dir: string, g: number): Holder {
  const d = path.join(dir, String(g));
  let names: string[];
  let mtime: number;
  try {
    names = fs.readdirSync(d);
    mtime = fs.statSync(d).mtimeMs;
  } catch {
    return { kind: 'gone' }; // removed by a newer holder meanwhile
  }
  if (names.includes('released')) return { kind: 'free' };
  let text: string;
  try {
    text = fs.readFileSync(path.join(d, 'owner.json'), 'utf8');
  } catch {
    // Being removed by a newer holder (transient), or a folder left without its owner (then it ages: abandoned).
    return Date.now() - mtime < 1000 ? { kind: 'gone' } : { kind: 'held', owner: null, ageMs: Date.now() - mtime, dir: d };
  }
  let owner: LockOwner | null = null;
  try {
    owner = JSON.parse(text) as LockOwner;
  } catch {
    owner = null; // never written by a live process (owner.json is complete before the rename): a crash artefact
  }
  return { kind: 'held', owner, ageMs: Date.now() - mtime, dir: d };
}

function writeSync(file: string, content: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function removeQuietly(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch {
    /* another process removes it, or it is gone */
  }
}

/**
 * Takes the lock `dir` (created when missing), waiting for a live holder up to
 * `timeoutMs`; {@link LockError} when it is still held then. Returns the release.
 */
export function acquireLock(dir: string, o: LockOptions): Unlock {
  const envTimeout = Number(process.env.MLOPS_LOCK_TIMEOUT_MS);
  const timeoutMs = o.timeoutMs ?? (Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout : 10_000);
  const staleMs = o.staleMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  fs.mkdirSync(dir, { recursive: true });
  let last: Holder = { kind: 'free' };
  for (;;) {
    const gens = generations(dir);
    const top = gens.length ? gens[gens.length - 1]! : 0;
    const h: Holder = top ? inspect(dir, top) : { kind: 'free' };
    if (h.kind === 'gone') {
      if (Date.now() > deadline) throw lockedError(dir, last, o.what, timeoutMs, staleMs);
      sleep(1);
      continue;
    }
    let takeable = h.kind === 'free';
    if (h.kind === 'held') {
      const state = h.owner ? ownerState(h.owner) : 'dead';
      takeable = state === 'dead' || (state === 'unknown' && h.ageMs > staleMs);
      last = h;
    }
    if (takeable) {
      const got = claim(dir, top + 1, o.what);
      if (got) return got;
      continue;
    }
    if (Date.now() > deadline) throw lockedError(dir, last, o.what, timeoutMs, staleMs);
    sleep(2 + Math.floor(Math.random() * 8));
  }
}

function claim(dir: string, n: number, what: string): Unlock | null {
  const tmp = path.join(dir, `.claim-${ownerToken()}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tmp);
  const owner: LockOwner = { ...currentOwner(), at: new Date().toISOString(), what };
  const gdir = path.join(dir, String(n));
  try {
    writeSync(path.join(tmp, 'owner.json'), JSON.stringify(owner) + '\n');
    fs.renameSync(tmp, gdir); // fails when generation n exists: one process per number
  } catch (e) {
    removeQuietly(tmp);
    if (CONTENDED.has((e as NodeJS.ErrnoException).code ?? '')) return null;
    throw e;
  }
  const after = generations(dir);
  if (after.some((g) => g > n)) {
    // A late claim below the newest generation: not ours to hold.
    removeQuietly(gdir);
    return null;
  }
  // Ours: the older generations and claims abandoned by dead processes go.
  for (const g of after) if (g < n) removeQuietly(path.join(dir, String(g)));
  try {
    for (const name of fs.readdirSync(dir)) if (name.startsWith('.claim-') && tokenState(name) === 'dead') removeQuietly(path.join(dir, name));
  } catch {
    /* listing is only for tidying */
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      fs.writeFileSync(path.join(gdir, 'released'), '');
    } catch {
      /* taken over meanwhile (holder judged abandoned): nothing left to release */
    }
  };
}

function lockedError(dir: string, h: Holder, what: string, timeoutMs: number, staleMs: number): LockError {
  const owner = h.kind === 'held' ? h.owner : null;
  const gdir = h.kind === 'held' ? h.dir : dir;
  const who = owner ? `process ${owner.pid} on ${owner.host} (${owner.what}, since ${owner.at})` : 'another process';
  const state = owner ? ownerState(owner) : 'unknown';
  const hint =
    state === 'unknown'
      ? `it runs on another host or container, so it is taken over once it is ${Math.round(staleMs / 1000)} s old; if that process is gone, remove ${gdir}`
      : `wait for it to finish and retry (or raise MLOPS_LOCK_TIMEOUT_MS)`;
  return new LockError(dir, owner, `the lock ${dir} for ${what} is held by ${who}; waited ${timeoutMs} ms. ${hint[0]!.toUpperCase()}${hint.slice(1)}.`);
}
