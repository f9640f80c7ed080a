import * as fs from 'fs';

/**
 * The job side of the stop protocol between `mlops` (the supervisor, see
 * `cli/supervise.ts`) and the child process that does a command's work.
 *
 * Training blocks the child's main thread (tree fitting waits in
 * `Atomics.wait`), so a SIGTERM handler in the child could run only after the
 * job ends. The child therefore keeps the default disposition: SIGTERM and
 * SIGINT end it at once, worker threads included. What it was writing is
 * cleaned up by the supervisor, from an append-only journal the child keeps
 * in `MLOPS_JOB_JOURNAL`:
 *
 * - `scratch`: a temporary file or folder the job removes itself when it ends
 *   normally; removed by the supervisor when the job dies first;
 * - `files`: files being copied into a folder the job does not own (a mount
 *   point such as `/opt/ml/model`); removed when the copy did not finish;
 * - `restore`: a folder moved aside while a new one replaces it; moved back
 *   when the job dies between the two renames;
 * - `run`: a pipeline run record; marked failed (stopped) when the job dies;
 * - `commit`: a short publishing step (a model directory copied into place, a
 *   registry version and its aliases). During it the child ignores SIGTERM and
 *   SIGINT, and the supervisor waits for its end before it signals again, so a
 *   stop never leaves a half-published model.
 *
 * Every entry is closed by a `done` line. Without a supervisor (library use,
 * `MLOPS_SUPERVISE=0`) all of this is a no-op.
 */

/** One journal line. */
export type JournalEntry =
  | { readonly op: 'scratch'; readonly id: number; readonly path: string }
  | { readonly op: 'files'; readonly id: number; readonly dir: string; readonly names: readonly string[] }
  | { readonly op: 'restore'; readonly id: number; readonly from: string; readonly to: string }
  | { readonly op: 'run'; readonly id: number; readonly file: string }
  | { readonly op: 'commit'; readonly id: number; readonly what: string }
  | { readonly op: 'done'; readonly id: number };

/** Environment variables through which the supervisor hands the journal to its child. */
export const JOB_ENV = { journal: 'MLOPS_JOB_JOURNAL', parent: 'MLOPS_JOB_PARENT' } as const;

/** Closes a journal entry (idempotent). */
export type Release = () => void;

const noop: Release = () => undefined;
let seq = 0;

/** The journal file when this process is a supervised job (its parent is the supervisor that set it), else null. */
export function journalFile(env: NodeJS.ProcessEnv = process.env): string | null {
  const file = env[JOB_ENV.journal];
  if (!file) return null;
  // A grandchild inheriting the variable is not the supervised job.
  if (env[JOB_ENV.parent] !== String(process.ppid)) return null;
  return file;
}

function append(entry: JournalEntry): void {
  const file = journalFile();
  if (file) fs.appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

function open(make: (id: number) => JournalEntry): Release {
  if (!journalFile()) return noop;
  const id = ++seq;
  append(make(id));
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    append({ op: 'done', id });
  };
}

/** Announces a temporary path the supervisor removes if the job dies before releasing it. */
export function scratch(p: string): Release {
  return open((id) => ({ op: 'scratch', id, path: p }));
}

/** Announces files about to be written into `dir`; the supervisor removes them if the job dies before releasing. */
export function partialFiles(dir: string, names: readonly string[]): Release {
  return open((id) => ({ op: 'files', id, dir, names: [...names] }));
}

/** Announces that `to` was moved to `from`; the supervisor moves it back if the job dies before releasing and `to` is missing. */
export function restoreOnDeath(from: string, to: string): Release {
  return open((id) => ({ op: 'restore', id, from, to }));
}

/** Announces a pipeline run record that the supervisor marks as stopped if the job dies before releasing it. */
export function runRecord(file: string): Release {
  return open((id) => ({ op: 'run', id, file }));
}

const ignore = (): void => undefined;
let depth = 0;

function enter(what: string): Release {
  if (!journalFile()) return noop;
  // The listener first: from here on a SIGTERM/SIGINT no longer ends the process.
  if (depth++ === 0) {
    process.on('SIGTERM', ignore);
    process.on('SIGINT', ignore);
  }
  const release = open((id) => ({ op: 'commit', id, what }));
  return () => {
    release();
    // The default disposition again; the supervisor signals again once it reads `done`.
    if (--depth === 0) {
      process.off('SIGTERM', ignore);
      process.off('SIGINT', ignore);
    }
  };
}

/**
 * Runs a short publishing step that a stop must not cut in half (copying a
 * model directory into place, registering a version). SIGTERM/SIGINT wait
 * until it ends; the supervisor stops the job right after.
 */
export function commit<T>(what: string, fn: () => T): T {
  const leave = enter(what);
  try {
    return fn();
  } finally {
    leave();
  }
}

/** {@link commit} for an asynchronous step (an upload to Cloud Storage). */
export async function commitAsync<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const leave = enter(what);
  try {
    return await fn();
  } finally {
    leave();
  }
}

/**
 * Test hook: `MLOPS_TEST_PAUSE_AT=<point>:<ms>` blocks the thread for `ms` at
 * the named point, after writing `MLOPS_TEST_PAUSED <point>` to stderr, so
 * that the tests can stop or kill a job exactly there. Points: `write-model`
 * (a model directory written to its temporary sibling, not yet renamed into
 * place), `swap-aside` (the previous model moved aside, the new one not yet
 * in place), `swap-placed` (the new model in place, the previous one not yet
 * removed), `register-copied` (a registry version's model copied to
 * `.model.tmp`), `register-placed` (renamed to `model`, no version.json yet),
 * `publish` (between copying a model's files into a mount point and its manifest),
 * `step-<name>` (a pipeline run about to run its step `<name>`, its record saved),
 * `predict-staged` (a predict step's files written to their temporary siblings, none renamed into place).
 */
export function testPause(point: string): void {
  const spec = process.env.MLOPS_TEST_PAUSE_AT;
  if (!spec) return;
  const [at, ms] = spec.split(':');
  if (at === point && Number(ms) > 0) {
    process.stderr.write(`MLOPS_TEST_PAUSED ${point}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(ms));
  }
}

/** Reads a journal: every entry, and which are still open (not `done`), in the order written. */
export function readJournal(file: string): { entries: JournalEntry[]; open: Exclude<JournalEntry, { op: 'done' }>[] } {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { entries: [], open: [] };
  }
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      /* a line cut short by the kill: ignored */
    }
  }
  const done = new Set(entries.filter((e) => e.op === 'done').map((e) => e.id));
  return { entries, open: entries.filter((e): e is Exclude<JournalEntry, { op: 'done' }> => e.op !== 'done' && !done.has(e.id)) };
}
