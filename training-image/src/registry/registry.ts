import * as fs from 'fs';
import * as path from 'path';
import { manifestContentHash, readModelDir } from '../artifacts/modeldir';
import * as job from '../core/job';
import { acquireLock, LockError, Unlock } from '../core/lock';
import { writeFileAtomic } from '../core/atomic';
import { copyDir, sleepSync } from './fsutil';

/** The aliases a registry model has. */
export const ALIASES = ['champion', 'challenger'] as const;

/** One alias name. */
export type Alias = (typeof ALIASES)[number];

/** Stable error codes of the registry. */
export type RegistryErrorCode = 'BAD_NAME' | 'NO_MODEL' | 'NO_VERSION' | 'NO_ALIAS' | 'NOTHING_TO_ROLL_BACK' | 'CORRUPTED' | 'LOCKED';

/** A registry error: `{code, path, message}`. */
export class RegistryError extends Error {
  constructor(
    /** Stable code. */
    public readonly code: RegistryErrorCode,
    /** The registry path or model reference concerned. */
    public readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** A registered version (version.json). */
export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly createdAt: string;
  /** Content hash of the model directory (identical models get the same hash). */
  readonly contentHash: string;
  /** Where it was registered from. */
  readonly source: string;
  /** Task from the model manifest. */
  readonly task: string;
  /** Catalog model name from the manifest. */
  readonly model: string;
  /** Flat numeric metrics used by the gate. */
  readonly metrics: Readonly<Record<string, number>>;
  /** The tracking run that trained the model (for a pipeline step cached from an earlier run, that run), when registered by a pipeline. */
  readonly runId: string | null;
  /** The tracking run that registered it, when registered by a pipeline (absent in versions registered before this field existed). */
  readonly registeredBy?: string | null;
  /** The gate decision, when there was one. */
  readonly decision: unknown;
}

/** One alias change in the history. */
export interface AliasEvent {
  readonly at: string;
  readonly action: 'register' | 'promote' | 'rollback' | 'set-challenger';
  readonly alias: Alias;
  readonly from: number | null;
  readonly to: number | null;
  readonly reason: string;
}

/** aliases.json: the aliases, the champion lineage (for rollback) and the history, replaced atomically as one file. */
export interface AliasState {
  readonly champion: number | null;
  readonly challenger: number | null;
  /** Champions in promotion order; rollback pops the last one. */
  readonly lineage: readonly number[];
  readonly history: readonly AliasEvent[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const EMPTY: AliasState = { champion: null, challenger: null, lineage: [], history: [] };

/** Flattens a model directory's metrics.json to the numbers a gate compares: holdout metrics (tabular) or backtest metrics (forecast), plus top-level numbers. */
export function flatMetrics(metrics: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!metrics || typeof metrics !== 'object') return out;
  const m = metrics as Record<string, unknown>;
  for (const src of [m, m.holdout, m.backtest, m.metrics]) {
    if (!src || typeof src !== 'object') continue;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  return out;
}

/** Where a metric was measured and why it is not defined there (see {@link notDefinedMetrics}). */
export interface NotDefined {
  /** e.g. `this holdout`, `the backtest`, `the data evaluated`. */
  readonly on: string;
  /** The reason and the fix, as the metrics code gives it. */
  readonly why: string;
}

/**
 * The metrics a model's (or an evaluate step's) metrics document records as
 * not defined, with the reason: `notDefined` (an evaluate step's data),
 * `holdout.notDefined` (training), `backtest.notDefined` (a forecaster) —
 * the places {@link flatMetrics} reads the numbers from.
 */
export function notDefinedMetrics(metrics: unknown): Record<string, NotDefined> {
  const out: Record<string, NotDefined> = {};
  if (!metrics || typeof metrics !== 'object') return out;
  const m = metrics as Record<string, unknown>;
  const sub = (k: string): unknown => (m[k] && typeof m[k] === 'object' ? (m[k] as Record<string, unknown>).notDefined : undefined);
  for (const [nd, on] of [
    [m.notDefined, 'the data evaluated'],
    [sub('holdout'), 'this holdout'],
    [sub('backtest'), 'the backtest'],
  ] as const) {
    if (!nd || typeof nd !== 'object') continue;
    for (const [k, why] of Object.entries(nd as Record<string, unknown>)) if (typeof why === 'string' && !Object.hasOwn(out, k)) out[k] = { on, why };
  }
  return out;
}

/**
 * A local model registry in a folder: `<root>/<name>/versions/<n>/{model/, version.json}`
 * and `<root>/<name>/aliases.json`. Versions are immutable; aliases change by
 * atomic file replacement (write temp + fsync + rename), so a process killed
 * midway leaves the previous aliases intact and the registry readable.
 * Every change of a model (a registration, an alias change) holds the model's
 * lock (`<root>/<name>/.lock`, see core/lock.ts), so that concurrent runs
 * never read half a change, and what a killed writer left behind (a version
 * folder without its version.json, a temporary aliases file) is removed by
 * the next writer: its version number is used again.
 */
export class LocalRegistry {
  constructor(
    /** The registry folder (e.g. `.mlops/registry`). */
    public readonly root: string,
  ) {}

  /** Model names in the registry. */
  names(): string[] {
    if (!fs.existsSync(this.root)) return [];
    return fs
      .readdirSync(this.root)
      .filter((n) => NAME.test(n) && fs.existsSync(path.join(this.root, n, 'versions')))
      .sort();
  }

  /** The folder of one model. */
  modelRoot(name: string): string {
    if (!NAME.test(name))
      throw new RegistryError('BAD_NAME', name, `model name ${JSON.stringify(name)} is not valid; use a letter then letters, digits, '-' or '_' (≤ 63 characters).`);
    return path.join(this.root, name);
  }

  /** Registered versions of a model (complete ones only), oldest first. */
  versions(name: string): ModelVersion[] {
    const dir = path.join(this.modelRoot(name), 'versions');
    if (!fs.existsSync(dir)) return [];
    const out: ModelVersion[] = [];
    for (const v of fs.readdirSync(dir)) {
      if (!/^[1-9][0-9]*$/.test(v)) continue;
      const f = path.join(dir, v, 'version.json');
      if (!fs.existsSync(f)) continue; // a registration killed midway: ignored
      try {
        out.push(JSON.parse(fs.readFileSync(f, 'utf8')) as ModelVersion);
      } catch {
        /* unreadable version.json: not a complete version */
      }
    }
    return out.sort((a, b) => a.version - b.version);
  }

  /** One version; {@link RegistryError} NO_VERSION when absent. */
  version(name: string, version: number): ModelVersion {
    const v = this.versions(name).find((x) => x.version === version);
    if (!v)
      throw new RegistryError(
        'NO_VERSION',
        `${name}/${version}`,
        `model '${name}' has no version ${version}; versions: ${
          this.versions(name)
            .map((x) => x.version)
            .join(', ') || 'none'
        }. Run \`mlops models list\`.`,
      );
    return v;
  }

  /** The model directory of a version. */
  modelDir(name: string, version: number): string {
    this.version(name, version);
    return path.join(this.modelRoot(name), 'versions', String(version), 'model');
  }

  /** The aliases of a model (empty state when none were set). */
  aliases(name: string): AliasState {
    const f = path.join(this.modelRoot(name), 'aliases.json');
    if (!fs.existsSync(f)) return EMPTY;
    try {
      const s = JSON.parse(fs.readFileSync(f, 'utf8')) as AliasState;
      return { champion: s.champion ?? null, challenger: s.challenger ?? null, lineage: s.lineage ?? [], history: s.history ?? [] };
    } catch (e) {
      throw new RegistryError('CORRUPTED', f, `${f} is unreadable (${(e as Error).message}); restore it from the history or re-promote with \`mlops models promote\`.`);
    }
  }

  /** The version an alias points to, or null. */
  resolveAlias(name: string, alias: Alias): ModelVersion | null {
    const v = this.aliases(name)[alias];
    return v === null ? null : this.version(name, v);
  }

  /**
   * Resolves `models:/<name>@<alias>` or `models:/<name>/<version>` to a model
   * directory and its version; {@link RegistryError} when it does not exist.
   */
  resolveUri(uri: string): { dir: string; version: ModelVersion } {
    const m = /^models:\/([A-Za-z][A-Za-z0-9_-]*)(?:@(champion|challenger)|\/([1-9][0-9]*))$/.exec(uri);
    if (!m)
      throw new RegistryError('BAD_NAME', uri, `${JSON.stringify(uri)} is not a registry URI; use models:/<name>@champion, models:/<name>@challenger or models:/<name>/<version>.`);
    const name = m[1]!;
    let v: ModelVersion | null;
    if (m[3]) v = this.version(name, Number(m[3]));
    else {
      if (!this.versions(name).length) throw new RegistryError('NO_MODEL', uri, `model '${name}' is not in the registry ${this.root}; register one first.`);
      v = this.resolveAlias(name, m[2] as Alias);
      if (!v) throw new RegistryError('NO_ALIAS', uri, `model '${name}' has no ${m[2]} yet; promote a version with \`mlops models promote ${name} <version>\`.`);
    }
    return { dir: this.modelDir(name, v.version), version: v };
  }

  /**
   * Registers a model directory as a new version (verified first; copied into
   * the registry). Identical content returns the existing version instead.
   * Sets the `challenger` alias to it unless `setChallenger` is false.
   */
  register(
    name: string,
    modelDir: string,
    opts: { metrics?: Record<string, number>; runId?: string | null; registeredBy?: string | null; decision?: unknown; setChallenger?: boolean } = {},
  ): { version: ModelVersion; created: boolean } {
    const root = this.modelRoot(name);
    const loaded = readModelDir(modelDir);
    const contentHash = manifestContentHash(loaded.manifest);
    // A stop waits for the version to be complete; a job killed before its version.json leaves a folder the next registration removes.
    return job.commit(`registry version of ${name}`, () =>
      this.locked(name, () => {
        this.tidyLocked(root);
        const existing = this.versions(name).find((v) => v.contentHash === contentHash);
        if (existing) return { version: existing, created: false };
        return this.addVersionLocked(name, root, modelDir, loaded, contentHash, opts);
      }),
    );
  }

  /**
   * Removes what writers killed midway left (only called with the lock held,
   * so no live writer is midway): version folders without version.json and
   * temporary aliases files.
   */
  private tidyLocked(root: string): void {
    const versionsDir = path.join(root, 'versions');
    if (fs.existsSync(versionsDir)) {
      for (const v of fs.readdirSync(versionsDir)) {
        if (/^[1-9][0-9]*$/.test(v) && !fs.existsSync(path.join(versionsDir, v, 'version.json'))) fs.rmSync(path.join(versionsDir, v), { recursive: true, force: true });
      }
    }
    for (const f of fs.readdirSync(root)) if (f.startsWith('.aliases.json.tmp-')) fs.rmSync(path.join(root, f), { force: true });
  }

  private addVersionLocked(
    name: string,
    root: string,
    modelDir: string,
    loaded: ReturnType<typeof readModelDir>,
    contentHash: string,
    opts: { metrics?: Record<string, number>; runId?: string | null; registeredBy?: string | null; decision?: unknown; setChallenger?: boolean },
  ): { version: ModelVersion; created: boolean } {
    const versionsDir = path.join(root, 'versions');
    fs.mkdirSync(versionsDir, { recursive: true });
    let n =
      Math.max(
        0,
        ...fs
          .readdirSync(versionsDir)
          .filter((v) => /^[1-9][0-9]*$/.test(v))
          .map(Number),
      ) + 1;
    for (;;) {
      try {
        fs.mkdirSync(path.join(versionsDir, String(n))); // claims the number (atomic)
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        n++;
      }
    }
    const vdir = path.join(versionsDir, String(n));
    const tmp = path.join(vdir, '.model.tmp');
    copyDir(modelDir, tmp);
    job.testPause('register-copied');
    fs.renameSync(tmp, path.join(vdir, 'model'));
    job.testPause('register-placed');
    const version: ModelVersion = {
      name,
      version: n,
      createdAt: new Date().toISOString(),
      contentHash,
      source: path.resolve(modelDir),
      task: loaded.manifest.task,
      model: loaded.manifest.model,
      metrics: { ...flatMetrics(loaded.metrics), ...(opts.metrics ?? {}) },
      runId: opts.runId ?? null,
      ...(opts.registeredBy !== undefined ? { registeredBy: opts.registeredBy } : {}),
      decision: opts.decision ?? null,
    };
    writeFileAtomic(path.join(vdir, 'version.json'), JSON.stringify(version, null, 1) + '\n'); // the version exists once this file does
    if (opts.setChallenger !== false) {
      this.updateAliasesLocked(name, (s) => ({ ...s, challenger: n, history: [...s.history, event('set-challenger', 'challenger', s.challenger, n, `registered v${n}`)] }));
    }
    return { version, created: true };
  }

  /** Makes `version` the champion (recorded in the lineage and history). */
  promote(name: string, version: number, reason = 'promoted'): AliasState {
    this.version(name, version);
    return this.updateAliases(name, (s) => {
      if (s.champion === version) return s;
      return {
        champion: version,
        challenger: s.challenger === version ? null : s.challenger,
        lineage: [...s.lineage, version],
        history: [...s.history, event('promote', 'champion', s.champion, version, reason)],
      };
    });
  }

  /** Puts the previous champion back (recorded in history); {@link RegistryError} NOTHING_TO_ROLL_BACK when there is none. */
  rollback(name: string, reason = 'rollback'): AliasState {
    return this.updateAliases(name, (s) => {
      if (s.lineage.length < 2)
        throw new RegistryError(
          'NOTHING_TO_ROLL_BACK',
          name,
          `model '${name}' has no previous champion to roll back to (champion: ${s.champion === null ? 'none' : `v${s.champion}`}).`,
        );
      const lineage = s.lineage.slice(0, -1);
      const to = lineage[lineage.length - 1]!;
      return { ...s, champion: to, lineage, history: [...s.history, event('rollback', 'champion', s.champion, to, reason)] };
    });
  }

  /** Runs `fn` holding the model's lock; {@link RegistryError} LOCKED when another process keeps it too long. */
  private locked<T>(name: string, fn: () => T): T {
    const root = this.modelRoot(name);
    fs.mkdirSync(root, { recursive: true });
    let release: Unlock;
    try {
      release = acquireLock(path.join(root, '.lock'), { what: `registry model '${name}'` });
    } catch (e) {
      if (e instanceof LockError) throw new RegistryError('LOCKED', e.path, e.message);
      throw e;
    }
    try {
      return fn();
    } finally {
      release();
    }
  }

  /** Read-modify-write of aliases.json under the model's lock, replaced atomically. */
  private updateAliases(name: string, change: (s: AliasState) => AliasState): AliasState {
    return this.locked(name, () => {
      this.tidyLocked(this.modelRoot(name));
      return this.updateAliasesLocked(name, change);
    });
  }

  /**
   * {@link updateAliases} with the lock held. Env `MLOPS_TEST_PROMOTE_PAUSE_MS`
   * pauses after the temp file is written and before the rename (for the
   * kill-during-promotion test).
   */
  private updateAliasesLocked(name: string, change: (s: AliasState) => AliasState): AliasState {
    const root = this.modelRoot(name);
    const before = this.aliases(name);
    const after = change(before);
    if (after === before) return before;
    const pause = Number(process.env.MLOPS_TEST_PROMOTE_PAUSE_MS ?? 0);
    writeFileAtomic(
      path.join(root, 'aliases.json'),
      JSON.stringify(after, null, 1) + '\n',
      pause > 0
        ? (tmp) => {
            process.stderr.write(`MLOPS_TEST_PAUSED ${tmp}\n`);
            sleepSync(pause);
          }
        : undefined,
    );
    return after;
  }
}

function event(action: AliasEvent['action'], alias: Alias, from: number | null, to: number | null, reason: string): AliasEvent {
  return { at: new Date().toISOString(), action, alias, from, to, reason };
}
