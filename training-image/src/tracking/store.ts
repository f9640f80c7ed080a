import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ownerState, ProcessOwner } from '../core/proc';
import { writeFileAtomic } from '../core/atomic';

/** One output or input file recorded with its hash. */
export interface ArtifactRecord {
  readonly step: string;
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
}

/** What happened to one step in a run. */
export interface StepRecord {
  readonly name: string;
  readonly uses: string;
  status: 'pending' | 'running' | 'ok' | 'skipped' | 'failed';
  cacheKey: string | null;
  /** Wall time in ms (0 when skipped). */
  ms: number;
  params: Record<string, unknown>;
  inputs: Record<string, string | string[]>;
  outputs: Record<string, { path: string; sha256: string }>;
  metrics: Record<string, number>;
  summary: string | null;
  error: { code: string; path: string; message: string } | null;
  /** For a skipped step: the run whose outputs it reuses. */
  cachedFrom?: string;
  /** For a step skipped because a `drift` step it depends on said not to proceed: that step and its reason. */
  guard?: { step: string; reason: string };
}

/** A pipeline run as recorded in `<root>/runs/<id>/run.json`. */
export interface RunRecord {
  readonly id: string;
  readonly pipeline: string;
  readonly file: string;
  /**
   * `interrupted` is never written: a record that says `running` is read as
   * interrupted when the process that ran it (`process`) is gone — killed
   * with no chance to record it (SIGKILL, out of memory, power loss).
   */
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  /** The process running it, to tell a run in progress from one whose process died (absent in older records). */
  readonly process?: ProcessOwner;
  readonly startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** Pipeline parameters after command-line overrides. */
  readonly params: Record<string, unknown>;
  /** Metrics of the run: `<step>.<metric>`. */
  metrics: Record<string, number>;
  artifacts: ArtifactRecord[];
  /** Content hashes of the pipeline's input files: the data fingerprint. */
  readonly data: Record<string, { path: string; sha256: string; bytes: number }>;
  readonly git: { commit: string; dirty: boolean } | null;
  steps: StepRecord[];
  error: { code: string; path: string; message: string } | null;
}

/**
 * The git commit of the work tree holding `dir`, or null when there is no
 * repository. Read from the files under `.git` (HEAD, loose refs,
 * packed-refs; a `.git` file's `gitdir:` and a worktree's `commondir`) without
 * running git: a repository's own configuration (core.fsmonitor, hooks,
 * filters) could make any git command run a program of its choosing.
 * `dirty` is true when a tracked file in the work tree differs from the index
 * (changed, deleted or unmerged); changes staged but not committed are not
 * seen (that would need the object database).
 */
export function gitInfo(dir: string): { commit: string; dirty: boolean } | null {
  try {
    const repo = findGitDir(path.resolve(dir));
    if (!repo) return null;
    const commit = resolveHead(repo.gitDir, repo.commonDir);
    if (!commit) return null;
    let dirty: boolean;
    try {
      dirty = worktreeDirty(repo.gitDir, repo.commonDir, repo.workTree);
    } catch {
      dirty = true; // a tracked file could not be read: not known to be clean
    }
    return { commit, dirty };
  } catch {
    return null;
  }
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The git directory of the work tree holding `start` (a `.git` folder, or a `.git` file naming it), its common directory and the work tree. */
function findGitDir(start: string): { gitDir: string; commonDir: string; workTree: string } | null {
  for (let cur = start; ; cur = path.dirname(cur)) {
    const dotGit = path.join(cur, '.git');
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(dotGit);
    } catch {
      st = null;
    }
    if (st) {
      let gitDir = dotGit;
      if (st.isFile()) {
        const m = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? '');
        if (!m) return null;
        gitDir = path.resolve(cur, m[1]!);
      }
      const common = readText(path.join(gitDir, 'commondir'));
      const commonDir = common ? path.resolve(gitDir, common.trim()) : gitDir;
      return { gitDir, commonDir, workTree: cur };
    }
    if (path.dirname(cur) === cur) return null;
  }
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const REF_NAME = /^refs\/(?:[A-Za-z0-9._+@-]+\/)*[A-Za-z0-9._+@-]+$/;

/** The commit HEAD points to: detached, or through (symbolic) refs in the git directory, the common directory or packed-refs. */
function resolveHead(gitDir: string, commonDir: string): string | null {
  let value = (readText(path.join(gitDir, 'HEAD')) ?? '').trim();
  for (let hop = 0; hop < 10; hop++) {
    if (OBJECT_ID.test(value)) return value;
    const m = /^ref:\s*(\S+)$/.exec(value);
    if (!m || !REF_NAME.test(m[1]!) || m[1]!.split('/').includes('..')) return null;
    const name = m[1]!;
    const loose = readText(path.join(gitDir, name)) ?? (commonDir !== gitDir ? readText(path.join(commonDir, name)) : null);
    if (loose !== null) {
      value = loose.trim();
      continue;
    }
    const packed = readText(path.join(commonDir, 'packed-refs')) ?? '';
    const line = packed.split('\n').find((l) => !l.startsWith('#') && !l.startsWith('^') && l.trim().split(' ')[1] === name);
    return line && OBJECT_ID.test(line.split(' ')[0]!) ? line.split(' ')[0]! : null;
  }
  return null;
}

/**
 * Whether a tracked file differs from the index (index format 2, 3 or 4):
 * same size and modification time count as unchanged (as git does), else the
 * file's blob hash is compared with the index entry's.
 */
function worktreeDirty(gitDir: string, commonDir: string, workTree: string): boolean {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(gitDir, 'index'));
  } catch {
    return false; // no index: nothing tracked yet
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') return false;
  const version = buf.readUInt32BE(4);
  const count = buf.readUInt32BE(8);
  if (version < 2 || version > 4) return false;
  const config = readText(path.join(commonDir, 'config')) ?? '';
  const sha256 = /objectformat\s*=\s*sha256/i.test(config);
  const hashLen = sha256 ? 32 : 20;
  let off = 12;
  let prev = '';
  for (let i = 0; i < count; i++) {
    const start = off;
    const mtimeS = buf.readUInt32BE(off + 8),
      mtimeNs = buf.readUInt32BE(off + 12);
    const mode = buf.readUInt32BE(off + 24);
    const size = buf.readUInt32BE(off + 36);
    const id = buf.toString('hex', off + 40, off + 40 + hashLen);
    const flags = buf.readUInt16BE(off + 40 + hashLen);
    off += 40 + hashLen + 2;
    let skipWorktree = false;
    if (flags & 0x4000 && version >= 3) {
      const ext = buf.readUInt16BE(off);
      skipWorktree = (ext & 0x4000) !== 0 || (ext & 0x2000) !== 0; // skip-worktree, intent-to-add
      off += 2;
    }
    let name: string;
    if (version === 4) {
      let strip = 0,
        b: number;
      let k = 0;
      do {
        b = buf[off++]!;
        strip = k++ ? ((strip + 1) << 7) | (b & 0x7f) : b & 0x7f;
      } while (b & 0x80);
      const end = buf.indexOf(0, off);
      name = prev.slice(0, prev.length - strip) + buf.toString('utf8', off, end);
      off = end + 1;
    } else {
      const end = buf.indexOf(0, off);
      name = buf.toString('utf8', off, end);
      off = start + ((end - start + 8) & ~7);
    }
    prev = name;
    if ((flags >> 12) & 3) return true; // an unmerged entry
    if (skipWorktree) continue;
    const type = mode >>> 12;
    if (type === 0o16 || type === 0o04) continue; // a submodule, or a sparse-index directory
    const file = path.join(workTree, name);
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(file, { bigint: true });
    } catch {
      return true; // deleted
    }
    if (Number(st.size & 0xffffffffn) !== size) return true;
    if (Number(st.mtimeNs / 1_000_000_000n) === mtimeS && (mtimeNs === 0 || Number(st.mtimeNs % 1_000_000_000n) === mtimeNs)) continue;
    const content = type === 0o12 ? Buffer.from(fs.readlinkSync(file)) : fs.readFileSync(file);
    const blob = createHash(sha256 ? 'sha256' : 'sha1')
      .update(`blob ${content.length}\0`)
      .update(content)
      .digest('hex');
    if (blob !== id) return true;
  }
  return false;
}

/** The form of a run id (see {@link newRunId}). */
export const RUN_ID = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/;

/** A sortable, unique run id: `YYYYMMDD-HHMMSS-<6 hex>`. */
export function newRunId(now = new Date()): string {
  const s = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${s}-${randomBytes(3).toString('hex')}`;
}

/** A local tracking store: one folder per run under `<root>/runs`. */
export class TrackingStore {
  constructor(
    /** The store root (e.g. `.mlops`). */
    public readonly root: string,
  ) {}

  /** Folder of one run. */
  runDir(id: string): string {
    if (!RUN_ID.test(id)) throw new TrackingError('BAD_RUN_ID', id, `${JSON.stringify(id)} is not a run id (like 20250101-120000-a1b2c3); list runs with \`mlops runs\`.`);
    return path.join(this.root, 'runs', id);
  }

  /** Writes (replaces atomically) a run record. */
  save(run: RunRecord): void {
    writeFileAtomic(path.join(this.runDir(run.id), 'run.json'), JSON.stringify(run, null, 1) + '\n');
  }

  /** Reads one run; {@link TrackingError} NO_RUN when absent. A unique id prefix is accepted. */
  get(idOrPrefix: string): RunRecord {
    const ids = this.ids();
    const matches = ids.filter((i) => i === idOrPrefix || i.startsWith(idOrPrefix) || i.endsWith(idOrPrefix));
    if (matches.length !== 1) {
      throw new TrackingError(
        'NO_RUN',
        idOrPrefix,
        matches.length
          ? `${JSON.stringify(idOrPrefix)} matches ${matches.length} runs (${matches.slice(0, 5).join(', ')}); give more of the id.`
          : `no run ${JSON.stringify(idOrPrefix)} in ${path.join(this.root, 'runs')}; list runs with \`mlops runs\`.`,
      );
    }
    return withLiveness(JSON.parse(fs.readFileSync(path.join(this.runDir(matches[0]!), 'run.json'), 'utf8')) as RunRecord);
  }

  /** Run ids, oldest first. */
  ids(): string[] {
    const d = path.join(this.root, 'runs');
    if (!fs.existsSync(d)) return [];
    return fs
      .readdirSync(d)
      .filter((i) => RUN_ID.test(i) && fs.existsSync(path.join(d, i, 'run.json')))
      .sort();
  }

  /** All runs (optionally of one pipeline), oldest first. */
  list(pipeline?: string): RunRecord[] {
    const out: RunRecord[] = [];
    for (const id of this.ids()) {
      try {
        const r = withLiveness(JSON.parse(fs.readFileSync(path.join(this.runDir(id), 'run.json'), 'utf8')) as RunRecord);
        if (!pipeline || r.pipeline === pipeline) out.push(r);
      } catch {
        /* unreadable record: skipped */
      }
    }
    return out.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : 1));
  }
}

/**
 * A record as it stands: one that says `running` while the process that ran
 * it is gone (checked by pid, process start time, host and boot, see
 * core/proc.ts) is `interrupted`, with an INTERRUPTED error naming the step
 * it was in. A run on another host, or from before processes were recorded,
 * is left as it is.
 */
export function withLiveness(r: RunRecord): RunRecord {
  if (r.status !== 'running' || !r.process || ownerState(r.process) !== 'dead') return r;
  const step = r.steps.find((s) => s.status === 'running');
  return {
    ...r,
    status: 'interrupted',
    steps: r.steps.map((s) => (s.status === 'running' ? { ...s, status: 'failed' as const } : s)),
    error: r.error ?? {
      code: 'INTERRUPTED',
      path: step ? `steps.${step.name}` : 'run',
      message: `the run's process (pid ${r.process.pid} on ${r.process.host}) ended without recording an outcome${step ? ` during step '${step.name}'` : ''} (killed, out of memory, or the machine stopped); nothing after that ran. Run the pipeline again: unchanged steps are skipped.`,
    },
  };
}

/** A tracking-store error: `{code, path, message}`. */
export class TrackingError extends Error {
  constructor(
    /** Stable code: BAD_RUN_ID, NO_RUN. */
    public readonly code: 'BAD_RUN_ID' | 'NO_RUN',
    /** The run id concerned. */
    public readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'TrackingError';
  }
}

/** One row of a comparison. */
export interface DiffRow {
  readonly key: string;
  readonly a: unknown;
  readonly b: unknown;
  /** b − a for numbers. */
  readonly delta: number | null;
}

/** Flattens nested params to dotted keys. */
export function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = v;
  return out;
}

/** Params of a run for comparison: pipeline params and each step's resolved params. */
export function runParams(r: RunRecord): Record<string, unknown> {
  const out: Record<string, unknown> = flatten(r.params, 'params');
  for (const s of r.steps) flatten(s.params, `${s.name}`, out);
  return out;
}

/** Compares two runs: params and metrics that differ (or all, with `all`). */
export function compareRuns(a: RunRecord, b: RunRecord, all = false): { params: DiffRow[]; metrics: DiffRow[]; data: DiffRow[] } {
  const diff = (x: Record<string, unknown>, y: Record<string, unknown>): DiffRow[] =>
    [...new Set([...Object.keys(x), ...Object.keys(y)])]
      .sort()
      .map((key) => ({ key, a: x[key], b: y[key], delta: typeof x[key] === 'number' && typeof y[key] === 'number' ? (y[key] as number) - (x[key] as number) : null }))
      .filter((r) => all || JSON.stringify(r.a) !== JSON.stringify(r.b));
  const dataOf = (r: RunRecord): Record<string, unknown> => Object.fromEntries(Object.entries(r.data).map(([k, v]) => [k, v.sha256.slice(0, 12)]));
  return { params: diff(runParams(a), runParams(b)), metrics: diff(a.metrics, b.metrics), data: diff(dataOf(a), dataOf(b)) };
}
