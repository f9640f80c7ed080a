import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { fsyncPath } from '../core/atomic';
import * as job from '../core/job';
import { currentOwner, ownerState, OwnerState, ownerToken, tokenState } from '../core/proc';
import { compatible, runtimeVersion, SCHEMA_VERSION } from './version';

/** The `format` of a model manifest. */
export const MODEL_FORMAT = 'mlops-model';

/** The files of a model directory; manifest.json lists every other one with its sha256. */
export const MODEL_FILES = {
  manifest: 'manifest.json',
  model: 'model.json',
  transforms: 'transforms.json',
  /** The data contract, when the model was trained with one. */
  contract: 'contract.yaml',
  metrics: 'metrics.json',
  importance: 'feature_importance.json',
  fingerprint: 'fingerprint.json',
  /** Training distribution of the raw input columns (tabular models), for drift monitoring. */
  profile: 'profile.json',
  /** The hyperparameter search (tabular models trained with one). */
  tuning: 'tuning.json',
  /** The training series (forecast models). */
  history: 'history.json',
} as const;

/** What identifies the training data. */
export interface Fingerprint {
  /** sha256 of the training data bytes. */
  readonly sha256: string;
  readonly rows: number;
  readonly cols: number;
  /** Where the data came from (path as given). */
  readonly source?: string;
  /** Size of the training data file in bytes. */
  readonly bytes?: number;
}

/** The manifest (manifest.json) of a model directory. */
export interface Manifest {
  readonly format: typeof MODEL_FORMAT;
  readonly schemaVersion: number;
  readonly runtimeVersion: string;
  readonly createdAt: string;
  /** Catalog model name (linear, logistic, random-forest, gbdt). */
  readonly model: string;
  /** Estimator class name. */
  readonly estimator: string;
  readonly task: 'regression' | 'classification' | 'forecast';
  readonly target: string;
  /** sha256 of every file in the directory (other than the manifest). */
  readonly files: Readonly<Record<string, string>>;
}

/** Everything that goes into a model directory. */
export interface ModelArtifacts {
  readonly model: string;
  readonly estimator: string;
  readonly task: 'regression' | 'classification' | 'forecast';
  readonly target: string;
  /** model.json: the estimator's toJSON(). */
  readonly modelJson: unknown;
  /** transforms.json: the fitted feature pipeline and target encoding. */
  readonly transforms: unknown;
  /** contract.yaml text, if a contract was used. */
  readonly contractYaml?: string;
  /** metrics.json. */
  readonly metrics: unknown;
  /** feature_importance.json. */
  readonly featureImportance: unknown;
  /** fingerprint.json. */
  readonly fingerprint: Fingerprint;
  /** Extra JSON files (name → content), e.g. tuning history. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Thrown when a model directory is missing, corrupted or incompatible. */
export class ModelDirError extends Error {
  constructor(
    public readonly dir: string,
    public readonly code: 'NOT_FOUND' | 'NOT_A_MODEL' | 'INCOMPATIBLE' | 'CORRUPTED',
    detail: string,
  ) {
    super(`Model directory '${dir}' ${detail}`);
    this.name = 'ModelDirError';
  }
}

function sha256(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** sha256 of a file's bytes. */
export function fileSha256(file: string): string {
  return sha256(fs.readFileSync(file));
}

/** The fingerprint of a training data file read into `rows` × `cols`: its sha256, size and path as given. */
export function dataFingerprint(file: string, rows: number, cols: number): Fingerprint {
  const bytes = fs.readFileSync(file);
  return { sha256: sha256(bytes), rows, cols, source: file, bytes: bytes.length };
}

/**
 * The entries of `abs` (null when it does not exist), listed while the same
 * directory stayed in place. Another writer may move the directory aside and
 * delete it file by file while this process lists it (the listing then lacks
 * `manifest.json` though the path holds a whole model): the listing is taken
 * again whenever the directory at `abs` changed during it.
 */
function listStable(dir: string, abs: string): string[] | null {
  for (let attempt = 0; ; attempt++) {
    try {
      const before = fs.statSync(abs);
      const entries = fs.readdirSync(abs);
      const after = fs.statSync(abs);
      if ((before.ino === after.ino && before.dev === after.dev) || attempt >= 100) return entries;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new ModelDirError(dir, 'NOT_A_MODEL', 'exists and is not a directory; choose another --out.');
      if (code !== 'ENOENT') throw e;
      return null;
    }
  }
}

/**
 * Writes a versioned model directory atomically: everything goes to a
 * temporary sibling directory, which then replaces `dir` (see
 * {@link recoverModelDir} for how a replacement cut short by a kill is
 * recovered). If anything fails, an existing `dir` is left untouched.
 */
export function writeModelDir(dir: string, a: ModelArtifacts, now: Date = new Date()): Manifest {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  fs.mkdirSync(parent, { recursive: true });
  recoverModelDir(abs);
  const entries = listStable(dir, abs);
  if (entries && entries.length > 0 && !entries.includes(MODEL_FILES.manifest)) {
    throw new ModelDirError(dir, 'NOT_A_MODEL', 'exists, is not empty and is not a model directory; refusing to replace it. Choose another --out.');
  }
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(abs)}.tmp-${ownerToken()}-`));
  // A job stopped while writing leaves no temporary sibling behind (see core/job.ts).
  const releaseTmp = job.scratch(tmp);
  try {
    const files: Record<string, string> = {};
    const put = (name: string, content: string): void => {
      writeDurably(path.join(tmp, name), content);
      files[name] = sha256(content);
    };
    const json = (v: unknown): string => `${modelDirJson(v)}\n`;
    put(MODEL_FILES.model, json({ model: a.model, estimator: a.estimator, state: a.modelJson }));
    put(MODEL_FILES.transforms, json(a.transforms));
    if (a.contractYaml !== undefined) put(MODEL_FILES.contract, a.contractYaml);
    put(MODEL_FILES.metrics, json(a.metrics));
    put(MODEL_FILES.importance, json(a.featureImportance));
    put(MODEL_FILES.fingerprint, json(a.fingerprint));
    for (const [name, v] of Object.entries(a.extra ?? {})) put(name, json(v));
    const manifest: Manifest = {
      format: MODEL_FORMAT,
      schemaVersion: SCHEMA_VERSION,
      runtimeVersion: runtimeVersion(),
      createdAt: now.toISOString(),
      model: a.model,
      estimator: a.estimator,
      task: a.task,
      target: a.target,
      files,
    };
    writeDurably(path.join(tmp, MODEL_FILES.manifest), json(manifest));
    fsyncPath(tmp);
    job.testPause('write-model');
    job.commit(`model directory ${abs}`, () => replaceDir(tmp, abs));
    return manifest;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    releaseTmp();
  }
}

function writeDurably(file: string, content: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Errors of a rename that lost a race with another process (the target appeared, or the source was moved). */
const RACED = new Set(['ENOENT', 'EEXIST', 'ENOTEMPTY', 'EPERM', 'EBUSY']);

let lastRace: string | null = null;

function racedRename(from: string, to: string): boolean {
  try {
    fs.renameSync(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (RACED.has(code)) {
      lastRace = `${code} renaming ${from} to ${to}`;
      return false;
    }
    throw e;
  }
}

/**
 * Replaces `dest` by `src` with two renames: `dest` → `.<name>.old-<owner>-…`
 * (the owner token names this process: pid, start time, host, boot), then
 * `src` → `dest`; the previous directory is removed once the new one is in
 * place. Killed between the two renames, the previous model is put back by
 * the next reader or writer ({@link recoverModelDir}), or by the job's
 * supervisor. Without a lock: each rename is atomic and fails when another
 * process got there first, and then the step is simply taken again.
 */
function replaceDir(src: string, dest: string): void {
  const parent = path.dirname(dest);
  const mine: string[] = [];
  let done = false;
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 100)
        throw new ModelDirError(
          dest,
          'CORRUPTED',
          `could not be replaced in 100 attempts: it kept changing (other processes write the same directory) or a rename kept failing (${lastRace ?? 'unknown'}). Give each writer its own --out, and check the permissions of ${parent}.`,
        );
      recoverModelDir(dest);
      // Our own earlier aside copies are superseded once something is in place.
      if (fs.existsSync(dest)) for (const o of mine.splice(0)) fs.rmSync(o, { recursive: true, force: true });
      if (!fs.existsSync(dest)) {
        if (racedRename(src, dest)) break;
        continue;
      }
      const old = path.join(parent, `.${path.basename(dest)}.old-${ownerToken()}-${randomSuffix()}`);
      // Killed between the two renames, the job's supervisor puts the old directory back.
      const restore = job.restoreOnDeath(old, dest);
      if (!racedRename(dest, old)) {
        restore();
        continue; // another writer moved it first
      }
      mine.push(old);
      fsyncPath(parent);
      job.testPause('swap-aside');
      const placed = racedRename(src, dest);
      restore();
      if (!placed) {
        // A newer model appeared meanwhile (ours goes over it on the next attempt), or the rename failed: then the previous one goes back first.
        if (!fs.existsSync(dest) && racedRename(old, dest)) mine.pop();
        continue;
      }
      break;
    }
    done = true;
    fsyncPath(parent);
    job.testPause('swap-placed');
  } finally {
    for (const o of mine) {
      // Failed midway (an I/O error) with nothing in place: the previous model goes back rather than being lost.
      if (!done && !fs.existsSync(dest)) {
        try {
          if (racedRename(o, dest)) continue;
        } catch {
          continue; // left aside: the next reader or writer puts it back (recoverModelDir)
        }
      }
      const releaseOld = job.scratch(o);
      fs.rmSync(o, { recursive: true, force: true });
      releaseOld();
    }
  }
}

function randomSuffix(): string {
  return createHash('sha256').update(`${process.hrtime.bigint()}-${Math.random()}`).digest('hex').slice(0, 8);
}

/** A leftover next to a model directory: a previous model moved aside (`old`) or a temporary new one (`tmp`). */
interface Leftover {
  readonly kind: 'old' | 'tmp';
  readonly path: string;
  readonly state: OwnerState;
  /** ms since the leftover was last renamed or changed. */
  readonly ageMs: number;
}

/** A leftover whose owner cannot be checked (another host or container, or an older runtime) counts as abandoned after this long. */
const UNKNOWN_OWNER_STALE_MS = 60_000;

function leftovers(abs: string): Leftover[] {
  const parent = path.dirname(abs),
    base = path.basename(abs);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const out: Leftover[] = [];
  for (const n of names) {
    let kind: 'old' | 'tmp', state: OwnerState;
    if (n.startsWith(`.${base}.old-`)) {
      kind = 'old';
      state = tokenState(n.slice(base.length + 6));
    } else if (n.startsWith(`.${base}.tmp-`)) {
      kind = 'tmp';
      state = tokenState(n.slice(base.length + 6));
    } else if (n.startsWith(`${base}.old-`) && /^[0-9]+-[0-9]+$/.test(n.slice(base.length + 5))) {
      // Written by an earlier runtime: `<name>.old-<pid>-<ms>`.
      kind = 'old';
      const pid = Number(n.slice(base.length + 5).split('-')[0]);
      state = ownerState({ pid, host: currentOwner().host }) === 'dead' ? 'dead' : 'unknown';
    } else continue;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(parent, n));
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    out.push({ kind, path: path.join(parent, n), state, ageMs: Date.now() - st.ctimeMs });
  }
  return out;
}

function abandoned(l: Leftover): boolean {
  return l.state === 'dead' || (l.state === 'unknown' && l.ageMs > UNKNOWN_OWNER_STALE_MS);
}

/**
 * Makes sure a replacement of `dir` cut short by a kill is undone, and
 * returns where the model is to be read:
 *
 * - `dir` missing, the previous model moved aside by a process that is gone:
 *   it is renamed back (the new one, never put in place, is discarded);
 * - `dir` missing, moved aside by a live process: waits (up to `timeoutMs`)
 *   for that process to put the new one in place;
 * - `dir` present: leftovers of dead processes (`.<name>.old-…`,
 *   `.<name>.tmp-…`, and `<name>.old-<pid>-<ms>` of earlier runtimes) are removed.
 *
 * On a read-only file system the previous model is read where it is. A model
 * is therefore found, the previous or the new one, whenever a writer was
 * killed. Cheap when nothing is left over (one listing of the parent folder).
 */
export function recoverModelDir(dir: string, timeoutMs = 10_000): string {
  const abs = path.resolve(dir);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = leftovers(abs);
    if (fs.existsSync(abs) || !found.some((l) => l.kind === 'old')) {
      for (const l of found) {
        if (!abandoned(l)) continue;
        try {
          fs.rmSync(l.path, { recursive: true, force: true });
        } catch {
          /* tidying only (e.g. a read-only mount) */
        }
      }
      return abs;
    }
    const previous = found.filter((l) => l.kind === 'old' && abandoned(l) && fs.existsSync(path.join(l.path, MODEL_FILES.manifest))).sort((a, b) => a.ageMs - b.ageMs)[0];
    if (previous && Date.now() <= deadline) {
      try {
        fs.renameSync(previous.path, abs);
        fsyncPath(path.dirname(abs));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        // Another process put a model back or in place first: look again.
        if (!['ENOENT', 'EEXIST', 'ENOTEMPTY'].includes(code)) return previous.path; // cannot repair here (read-only, no permission): read the previous model where it is
      }
      continue;
    }
    if (previous) return previous.path;
    const live = found.find((l) => l.kind === 'old' && !abandoned(l));
    if (!live) return abs;
    if (Date.now() > deadline) {
      throw new ModelDirError(
        dir,
        'NOT_FOUND',
        `is being replaced by another process, which moved the previous model to ${live.path} and has not put the new one in place within ${timeoutMs} ms. Retry once it has finished; if no process is writing it, rename ${live.path} back to ${abs}.`,
      );
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

/** A model directory read back and verified. */
export interface LoadedModelDir {
  readonly manifest: Manifest;
  /** model.json content: `{model, estimator, state}`. */
  readonly model: { readonly model: string; readonly estimator: string; readonly state: unknown };
  readonly transforms: unknown;
  readonly contractYaml: string | null;
  readonly metrics: unknown;
  readonly featureImportance: unknown;
  readonly fingerprint: Fingerprint;
  /** Warnings (e.g. an older runtime version). */
  readonly warnings: readonly string[];
}

/**
 * Reads a model directory, refusing (with {@link ModelDirError}) a missing
 * directory, an unknown schema version, an incompatible runtime version, a
 * missing file or a file whose sha256 does not match the manifest.
 */
export function readModelDir(dir: string): LoadedModelDir {
  for (let attempt = 0; ; attempt++) {
    // A replacement cut short by a kill is undone first (see recoverModelDir); `at` is where the files are read.
    const at = fs.existsSync(path.join(dir, MODEL_FILES.manifest)) ? dir : recoverModelDir(dir);
    const before = identity(at);
    try {
      return readModelDirAt(dir, at);
    } catch (e) {
      // Replaced by another process while it was being read (a file of the new model against the old manifest, or gone): read it again.
      const changed = before === null || identity(at) !== before;
      if (attempt < 5 && changed && !(e instanceof ModelDirError && e.code === 'INCOMPATIBLE')) continue;
      throw e;
    }
  }
}

/**
 * What identifies the model in a directory at one moment: its inode and
 * change time (a replacement by rename changes them; inode numbers alone may
 * be reused at once) and its manifest (which lists every file's hash); null
 * when it is missing.
 */
function identity(dir: string): string | null {
  try {
    const st = fs.statSync(dir);
    return `${st.dev}:${st.ino}:${st.ctimeMs}:${createHash('sha256')
      .update(fs.readFileSync(path.join(dir, MODEL_FILES.manifest)))
      .digest('hex')}`;
  } catch {
    return null;
  }
}

function readModelDirAt(dir: string, at: string): LoadedModelDir {
  if (!fs.existsSync(at) || !fs.statSync(at).isDirectory()) throw new ModelDirError(dir, 'NOT_FOUND', 'does not exist; train a model with `mlops train --out <dir>` first.');
  const mpath = path.join(at, MODEL_FILES.manifest);
  if (!fs.existsSync(mpath)) throw new ModelDirError(dir, 'NOT_A_MODEL', 'has no manifest.json; it is not a model directory written by `mlops train`.');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(mpath, 'utf8')) as Manifest;
  } catch (e) {
    throw new ModelDirError(dir, 'CORRUPTED', `has an unreadable manifest.json (${(e as Error).message}).`);
  }
  if (manifest.format !== MODEL_FORMAT || typeof manifest.files !== 'object' || manifest.files === null)
    throw new ModelDirError(dir, 'NOT_A_MODEL', `has a manifest.json that is not a model manifest (format ${JSON.stringify(manifest.format)}).`);
  if (manifest.schemaVersion !== SCHEMA_VERSION) {
    throw new ModelDirError(
      dir,
      'INCOMPATIBLE',
      `has schema version ${JSON.stringify(manifest.schemaVersion)}; this runtime (${runtimeVersion()}) reads schema version ${SCHEMA_VERSION} only. Retrain the model with this runtime.`,
    );
  }
  const current = runtimeVersion();
  if (!compatible(String(manifest.runtimeVersion), current)) {
    throw new ModelDirError(
      dir,
      'INCOMPATIBLE',
      `was written by runtime ${JSON.stringify(manifest.runtimeVersion)}, which this runtime (${current}) cannot load (needs the same major version, and not newer). Retrain the model or use runtime ${manifest.runtimeVersion}.`,
    );
  }
  const warnings: string[] = [];
  if (manifest.runtimeVersion !== current) warnings.push(`model written by runtime ${manifest.runtimeVersion}, loaded by ${current}`);
  const contents: Record<string, string> = {};
  for (const [name, digest] of Object.entries(manifest.files)) {
    const p = path.join(at, name);
    if (name.includes('/') || name.includes('\\') || name.startsWith('.'))
      throw new ModelDirError(dir, 'CORRUPTED', `lists an invalid file name ${JSON.stringify(name)} in manifest.json.`);
    if (!fs.existsSync(p)) throw new ModelDirError(dir, 'CORRUPTED', `is missing ${name}, listed in manifest.json. The directory is incomplete; retrain or restore it.`);
    const buf = fs.readFileSync(p);
    const got = sha256(buf);
    if (got !== digest)
      throw new ModelDirError(
        dir,
        'CORRUPTED',
        `has a corrupted ${name}: sha256 ${got.slice(0, 12)}… does not match ${String(digest).slice(0, 12)}… in manifest.json. Retrain or restore the directory.`,
      );
    contents[name] = buf.toString('utf8');
  }
  const parse = (name: string): unknown => {
    if (contents[name] === undefined) throw new ModelDirError(dir, 'CORRUPTED', `does not list ${name} in manifest.json.`);
    try {
      return JSON.parse(contents[name]!);
    } catch (e) {
      throw new ModelDirError(dir, 'CORRUPTED', `has an unreadable ${name} (${(e as Error).message}).`);
    }
  };
  return {
    manifest,
    model: parse(MODEL_FILES.model) as LoadedModelDir['model'],
    transforms: parse(MODEL_FILES.transforms),
    contractYaml: contents[MODEL_FILES.contract] ?? null,
    metrics: parse(MODEL_FILES.metrics),
    featureImportance: parse(MODEL_FILES.importance),
    fingerprint: parse(MODEL_FILES.fingerprint) as Fingerprint,
    warnings,
  };
}

/**
 * The content hash of a model: sha256 of its manifest's file list (name and
 * sha256 of every file, sorted by name), so the same files give the same
 * hash whenever and wherever they were written. The registry identifies a
 * version by it; the gate compares a challenger with the champion by it.
 */
export function manifestContentHash(manifest: Pick<Manifest, 'files'>): string {
  return sha256(JSON.stringify(Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** The content hash ({@link manifestContentHash}) of the model directory `dir` (read and verified). */
export function modelContentHash(dir: string): string {
  return manifestContentHash(readModelDir(dir).manifest);
}

/**
 * True when `dir` holds a model manifest (manifest.json with `format:
 * mlops-model`); cheap (the manifest is parsed, no file is verified) and
 * never throws.
 */
export function isModelDir(dir: string): boolean {
  const f = path.join(dir, MODEL_FILES.manifest);
  try {
    const st = fs.statSync(f);
    if (!st.isFile() || st.size > 1 << 20) return false;
    const m = JSON.parse(fs.readFileSync(f, 'utf8')) as { format?: unknown };
    return !!m && typeof m === 'object' && m.format === MODEL_FORMAT;
  } catch {
    return false;
  }
}

/** The nearest folder at or above `dir` (a real path) that is a model directory ({@link isModelDir}), or null. */
export function enclosingModelDir(dir: string): string | null {
  let cur = dir;
  for (;;) {
    if (isModelDir(cur)) return cur;
    const up = path.dirname(cur);
    if (up === cur) return null;
    cur = up;
  }
}

/** JSON replacer: typed arrays become plain number arrays (doubles round-trip exactly). */
export function typedArraysAsArrays(_key: string, v: unknown): unknown {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v;
}

/**
 * The JSON text of a model directory file: the value `JSON.stringify(v,
 * typedArraysAsArrays)` gives, laid out with objects one key per line
 * (indent 1) and arrays of plain values (numbers, strings, booleans, null —
 * typed arrays too) on one line. A forest's node arrays (millions of
 * numbers) are then written by the native serialiser in one call each,
 * instead of one replacer call and one line per number; the pieces are
 * joined once at the end.
 */
export function modelDirJson(v: unknown): string {
  const out: string[] = [];
  writeJson(v, 0, out);
  return out.join('');
}

function writeJson(v: unknown, indent: number, out: string[]): void {
  if (v === null || typeof v !== 'object') {
    out.push(JSON.stringify(v) ?? 'null');
    return;
  }
  const o = v as { toJSON?: () => unknown };
  if (typeof o.toJSON === 'function') return writeJson(o.toJSON(), indent, out);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    out.push(JSON.stringify(Array.from(v as unknown as ArrayLike<number>)));
    return;
  }
  const pad = `\n${' '.repeat(indent + 1)}`;
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object')) {
      out.push(JSON.stringify(v));
      return;
    }
    out.push('[');
    v.forEach((x, i) => {
      out.push(i ? `,${pad}` : pad);
      // As JSON.stringify: undefined, functions and symbols in arrays become null.
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') out.push('null');
      else writeJson(x, indent + 1, out);
    });
    out.push(`\n${' '.repeat(indent)}]`);
    return;
  }
  let first = true;
  out.push('{');
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    out.push(first ? pad : `,${pad}`, JSON.stringify(k), ': ');
    writeJson(x, indent + 1, out);
    first = false;
  }
  out.push(first ? '}' : `\n${' '.repeat(indent)}}`);
}
