import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../registry/fsutil';

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
}

/** A pipeline run as recorded in `<root>/runs/<id>/run.json`. */
export interface RunRecord {
  readonly id: string;
  readonly pipeline: string;
  readonly file: string;
  status: 'running' | 'succeeded' | 'failed';
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

/** The git commit of the work tree holding `dir`, or null when git or the repository is absent. */
export function gitInfo(dir: string): { commit: string; dirty: boolean } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString();
    return /^[0-9a-f]{40}$/.test(commit) ? { commit, dirty: status.trim().length > 0 } : null;
  } catch {
    return null;
  }
}

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
    if (!/^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/.test(id)) throw new TrackingError('BAD_RUN_ID', id, `${JSON.stringify(id)} is not a run id (like 20250101-120000-a1b2c3); list runs with \`mlops runs\`.`);
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
      throw new TrackingError('NO_RUN', idOrPrefix, matches.length ? `${JSON.stringify(idOrPrefix)} matches ${matches.length} runs (${matches.slice(0, 5).join(', ')}); give more of the id.` : `no run ${JSON.stringify(idOrPrefix)} in ${path.join(this.root, 'runs')}; list runs with \`mlops runs\`.`);
    }
    return JSON.parse(fs.readFileSync(path.join(this.runDir(matches[0]!), 'run.json'), 'utf8')) as RunRecord;
  }

  /** Run ids, oldest first. */
  ids(): string[] {
    const d = path.join(this.root, 'runs');
    if (!fs.existsSync(d)) return [];
    return fs.readdirSync(d).filter((i) => /^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/.test(i) && fs.existsSync(path.join(d, i, 'run.json'))).sort();
  }

  /** All runs (optionally of one pipeline), oldest first. */
  list(pipeline?: string): RunRecord[] {
    const out: RunRecord[] = [];
    for (const id of this.ids()) {
      try {
        const r = JSON.parse(fs.readFileSync(path.join(this.runDir(id), 'run.json'), 'utf8')) as RunRecord;
        if (!pipeline || r.pipeline === pipeline) out.push(r);
      } catch {
        /* unreadable record: skipped */
      }
    }
    return out.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : 1));
  }
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
