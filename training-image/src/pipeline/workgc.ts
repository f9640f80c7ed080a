import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { acquireLock } from '../core/lock';
import { RUN_ID, RunRecord, withLiveness } from '../tracking/store';
import { PipelineError } from './schema';

/**
 * Retention of pipeline work folders (`<root>/work/<pipeline>/<run id>/`) and
 * step cache entries (`<root>/cache/<pipeline>/<step>/<key>.json`).
 *
 * A run's work folder holds the outputs of the steps it ran; a cache entry
 * points at the outputs of the run that produced them, and later runs of the
 * pipeline reuse them in place. So a work folder is removed once its run has
 * ended (succeeded, failed, or interrupted: its process is gone, see
 * tracking/store.ts `withLiveness`) and no cache entry points into it. It is
 * never removed while its run is running, nor while a running run reuses
 * outputs from it (a step's `cachedFrom`, recorded before the outputs are
 * read: see {@link pinCacheEntry}).
 *
 * Cache entries are kept per step, the most recently written or reused
 * first, up to `MLOPS_CACHE_KEEP` (default {@link DEFAULT_CACHE_KEEP}); an
 * entry whose outputs are gone is dropped (it could only be a miss). Without
 * that bound a pipeline run from cron on new data every day would keep every
 * day's folder.
 *
 * Deciding what goes, pinning a cache entry and dropping entries hold one
 * lock per pipeline (`<root>/work/<pipeline>/.lock`, core/lock.ts); a folder
 * to remove is renamed to `.gc-<run id>-<random>` under the lock and deleted
 * after it is released (a deletion cut short is finished by the next run).
 */

/** Cache entries kept per step when `MLOPS_CACHE_KEEP` is not set. */
export const DEFAULT_CACHE_KEEP = 10;

const ENTRY = /^[0-9a-f]{64}\.json$/;
const TRASH = '.gc-';

/** How many cache entries per step to keep: `MLOPS_CACHE_KEEP` (a whole number ≥ 1, or `all`), else {@link DEFAULT_CACHE_KEEP}. */
export function cacheKeep(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MLOPS_CACHE_KEEP;
  if (raw === undefined || raw.trim() === '') return DEFAULT_CACHE_KEEP;
  if (raw.trim() === 'all') return Infinity;
  const n = Number(raw);
  if (!/^\s*[0-9]+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < 1) {
    throw new PipelineError(
      `MLOPS_CACHE_KEEP=${JSON.stringify(raw)} is not a number of cache entries; set a whole number ≥ 1 (entries kept per step, default ${DEFAULT_CACHE_KEEP}) or 'all' (never drop entries), or unset it.`,
    );
  }
  return n;
}

/** The folder holding the work folders of a pipeline's runs. */
export function workParent(root: string, pipeline: string): string {
  return path.join(root, 'work', pipeline);
}

function withWorkLock<T>(root: string, pipeline: string, fn: () => T): T {
  const unlock = acquireLock(path.join(workParent(root, pipeline), '.lock'), { what: `the work folders of pipeline '${pipeline}'` });
  try {
    return fn();
  } finally {
    unlock();
  }
}

/** The output paths a cache entry records. */
export function entryPaths(entry: { readonly outputs?: unknown }): string[] {
  const outs = entry.outputs && typeof entry.outputs === 'object' ? Object.values(entry.outputs as Record<string, unknown>) : [];
  return outs.map((o) => (o && typeof o === 'object' ? (o as { path?: unknown }).path : undefined)).filter((p): p is string => typeof p === 'string');
}

/**
 * Before a run reuses a cache entry: under the pipeline's lock, checks that
 * every output the entry records still exists and, if so, calls `pin` (which
 * records the reuse, `cachedFrom`, in the running run's record, so that no
 * clean-up removes those outputs while the run reads them) and marks the
 * entry as recently used. Returns false when an output is gone: a cache miss.
 * Throws LockError when the lock cannot be taken.
 */
export function pinCacheEntry(root: string, pipeline: string, file: string, entry: { readonly outputs?: unknown }, pin: () => void): boolean {
  return withWorkLock(root, pipeline, () => {
    if (!entryPaths(entry).every((p) => fs.existsSync(p))) return false;
    pin();
    try {
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch {
      /* the entry went meanwhile (overwritten by a run with the same key): the outputs are pinned all the same */
    }
    return true;
  });
}

/** What {@link collectWork} removed. */
export interface WorkCollection {
  /** Run ids whose work folders were removed. */
  readonly removed: string[];
  /** Cache entries dropped (outputs gone, or beyond the number kept). */
  readonly entriesDropped: number;
}

type Record_ = RunRecord | 'missing' | 'unreadable';

function readRecord(root: string, id: string): Record_ {
  let text: string;
  try {
    text = fs.readFileSync(path.join(root, 'runs', id, 'run.json'), 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    return withLiveness(JSON.parse(text) as RunRecord);
  } catch {
    return 'unreadable';
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
}

/**
 * Drops cache entries of a pipeline whose outputs are gone and those beyond
 * the `keep` most recently used per step; returns the run ids the kept
 * entries point into (their `runId` and the work folders their outputs are in).
 */
function pruneCache(root: string, pipeline: string, keep: number): { referenced: Set<string>; dropped: number } {
  const cacheRoot = path.join(root, 'cache', pipeline);
  const work = workParent(root, pipeline);
  const referenced = new Set<string>();
  let dropped = 0;
  for (const step of listDir(cacheRoot)) {
    const dir = path.join(cacheRoot, step);
    const entries: { file: string; mtime: number; runId: unknown; paths: string[] }[] = [];
    for (const name of listDir(dir)) {
      if (!ENTRY.test(name)) continue;
      const file = path.join(dir, name);
      let entry: { runId?: unknown; outputs?: unknown };
      let mtime: number;
      try {
        entry = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof entry;
        mtime = fs.statSync(file).mtimeMs;
      } catch {
        continue; // gone meanwhile, or not an entry this runtime wrote: never a cache hit, and it points at nothing
      }
      const paths = entryPaths(entry);
      if (!paths.every((p) => fs.existsSync(p))) {
        fs.rmSync(file, { force: true });
        dropped++;
        continue;
      }
      entries.push({ file, mtime, runId: entry.runId, paths });
    }
    entries.sort((a, b) => b.mtime - a.mtime);
    entries.forEach((e, i) => {
      if (i >= keep) {
        fs.rmSync(e.file, { force: true });
        dropped++;
        return;
      }
      if (typeof e.runId === 'string') referenced.add(e.runId);
      for (const p of e.paths) {
        const rel = path.relative(work, p);
        const first = rel.split(path.sep)[0]!;
        if (rel && !path.isAbsolute(rel) && first !== '..' && RUN_ID.test(first)) referenced.add(first);
      }
    });
  }
  return { referenced, dropped };
}

/**
 * Removes the work folders of a pipeline's runs that have ended and that no
 * kept cache entry points into, after dropping stale cache entries (see the
 * module comment). `keep`: run ids whose folders stay regardless (the run
 * that is ending and the runs it reused outputs from, so that its result's
 * paths stay readable until the next run). A folder whose run record cannot
 * be read stays; one without a run record (removed by hand: a run writes its
 * record before its folder) goes.
 */
export function collectWork(root: string, pipeline: string, o: { readonly keep: Iterable<string>; readonly cacheKeep: number }): WorkCollection {
  const work = workParent(root, pipeline);
  const removed: string[] = [];
  const dropped = withWorkLock(root, pipeline, () => {
    const keep = new Set(o.keep);
    const ended: string[] = [];
    // Run records first, cache entries after: a run writes its entries before it records its end.
    for (const id of listDir(work)) {
      if (!RUN_ID.test(id)) continue;
      const r = readRecord(root, id);
      if (r === 'unreadable') keep.add(id);
      else if (r === 'missing' || r.status !== 'running') ended.push(id);
      else {
        // Running (or on another host, where it cannot be checked): its folder and the folders it reuses stay.
        keep.add(id);
        for (const s of r.steps ?? []) if (typeof s.cachedFrom === 'string') keep.add(s.cachedFrom);
      }
    }
    const { referenced, dropped: n } = pruneCache(root, pipeline, o.cacheKeep);
    for (const id of ended) {
      if (keep.has(id) || referenced.has(id)) continue;
      fs.renameSync(path.join(work, id), path.join(work, `${TRASH}${id}-${randomBytes(4).toString('hex')}`));
      removed.push(id);
    }
    return n;
  });
  // Deleted outside the lock (a large folder takes a while); also what a clean-up cut short left.
  for (const name of listDir(work)) {
    if (!name.startsWith(TRASH)) continue;
    try {
      fs.rmSync(path.join(work, name), { recursive: true, force: true });
    } catch {
      /* being deleted by another run's clean-up */
    }
  }
  return { removed, entriesDropped: dropped };
}
