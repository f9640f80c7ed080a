import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { runtimeVersion } from '../artifacts/version';
import * as job from '../core/job';
import { currentOwner } from '../core/proc';
import { hashPath, writeFileAtomic } from '../registry/fsutil';
import { LocalRegistry } from '../registry/registry';
import { gitInfo, newRunId, RunRecord, StepRecord, TrackingStore } from '../tracking/store';
import { dependencies, parsePipeline, Pipeline, PipelineError, Step, STEP_OUTPUTS, topologicalOrder, UNCACHED_KINDS } from './schema';
import { missingRegistryInput } from './drift';
import { modelContentHash, referenceChampion, STEP_FUNCTIONS, StepError } from './steps';
import { cacheKeep, collectWork, pinCacheEntry, workParent } from './workgc';

/** Options of {@link runPipeline}. */
export interface RunOptions {
  /** Tracking/registry/work root. @default $MLOPS_HOME, else `.mlops` in the current directory */
  readonly root?: string;
  /** Pipeline parameter overrides. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Run every step even when unchanged. @default false */
  readonly noCache?: boolean;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
  /** Environment for `${env.X}` references. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** What a pipeline run produced. */
export interface RunResult {
  /** True when every step succeeded or was skipped. */
  readonly ok: boolean;
  /** The tracking record (also in `<root>/runs/<id>/run.json`). */
  readonly run: RunRecord;
  /** Resolved output paths per step. */
  readonly outputs: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The answer sentence, when a step produced one. */
  readonly answer: string | null;
  /** The report directory, when a report step ran. */
  readonly report: string | null;
  /** The gate decision (decision.json content), when a gate step ran. */
  readonly decision: Record<string, unknown> | null;
  /** The registration (registration.json content), when a register step ran. */
  readonly registration: Record<string, unknown> | null;
  /** The run a skipped gate step's decision comes from (null when the gate ran in this run, or there is none). */
  readonly decisionFrom: string | null;
  /** The registry aliases of the pipeline's model once the run ended (null when the model is not registered). */
  readonly aliases: { readonly champion: number | null; readonly challenger: number | null } | null;
  /** What each `drift` step that ran (or was reused) decided, and the steps it kept from running. */
  readonly drift: readonly DriftOutcome[];
  /** The tracking root used. */
  readonly root: string;
}

/** A drift step's decision in a run. */
export interface DriftOutcome {
  readonly step: string;
  readonly proceed: boolean;
  readonly reason: string;
  /** The steps not run because of it (directly or through another skipped step). */
  readonly skipped: readonly string[];
}

/** The root a run uses: option, then $MLOPS_HOME, then `.mlops` in the current directory. */
export function resolveRoot(root?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(root ?? env.MLOPS_HOME ?? '.mlops');
}

/** Reads and checks a pipeline file. */
export function loadPipeline(file: string): Pipeline {
  if (!fs.existsSync(file))
    throw new PipelineError(`${file}: no such pipeline file; pass the path of a pipeline.yaml (see src/pipeline/FORMAT.md).`, [
      { code: 'BAD_PIPELINE', path: '(file)', message: `${file} does not exist` },
    ]);
  return parsePipeline(fs.readFileSync(file, 'utf8'), file);
}

type Ctx = {
  pipeline: Pipeline;
  params: Record<string, unknown>;
  inputs: Record<string, string>;
  outputs: Record<string, Record<string, string>>;
  env: NodeJS.ProcessEnv;
  base: string;
};

const REF = /\$\{([^}]*)\}/g;

function lookup(ref: string, c: Ctx): unknown {
  const [kind, a, , o] = ref.trim().split('.');
  if (kind === 'params') return c.params[a!];
  if (kind === 'inputs') return c.inputs[a!];
  if (kind === 'env') {
    const v = c.env[a!];
    if (v === undefined) throw new PipelineError(`\${${ref}}: environment variable ${a} is not set; set it or use a pipeline parameter.`);
    return v;
  }
  if (kind === 'steps') return c.outputs[a!]?.[o!];
  return undefined;
}

/** Substitutes `${…}` references in a value (a string that is exactly one reference keeps the referenced value's type). */
function subst(v: unknown, c: Ctx): unknown {
  if (typeof v === 'string') {
    const whole = /^\$\{([^}]*)\}$/.exec(v);
    if (whole) return lookup(whole[1]!, c);
    return v.replace(REF, (_m, r: string) => String(lookup(r, c)));
  }
  if (Array.isArray(v)) return v.map((x) => subst(x, c));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, subst(x, c)]));
  return v;
}

function localPath(v: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !v.startsWith('file://')) return v;
  if (v.startsWith('models:/')) return v;
  if (v.startsWith('file://')) return new URL(v).pathname;
  return path.resolve(base, v);
}

function sha(v: unknown): string {
  return createHash('sha256')
    .update(typeof v === 'string' ? v : JSON.stringify(v))
    .digest('hex');
}

/**
 * Runs a pipeline file: steps in dependency order with progress lines,
 * unchanged steps skipped (content-hash cache), every run recorded in the
 * tracking store. Step failures end the run (recorded as failed; later steps
 * do not run, so a failed run never promotes a model); a bad pipeline
 * definition throws {@link PipelineError} before anything runs.
 */
export async function runPipeline(file: string, opts: RunOptions = {}): Promise<RunResult> {
  const log = opts.log ?? (() => undefined);
  const env = opts.env ?? process.env;
  const pipeline = loadPipeline(file);
  const root = resolveRoot(opts.root, env);
  const base = path.dirname(path.resolve(file));
  const unknownParams = Object.keys(opts.params ?? {}).filter((k) => !(k in pipeline.params));
  if (unknownParams.length)
    throw new PipelineError(
      `${file}: unknown parameter override(s).`,
      unknownParams.map((k) => ({
        code: 'BAD_REFERENCE' as const,
        path: `params.${k}`,
        message: `'${k}' is not a parameter of this pipeline (parameters: ${Object.keys(pipeline.params).join(', ') || 'none'}).`,
      })),
    );
  const params = { ...pipeline.params, ...(opts.params ?? {}) };
  const keepEntries = cacheKeep(env);
  const inputs = Object.fromEntries(Object.entries(pipeline.inputs).map(([k, v]) => [k, localPath(v, base)]));
  const modelName = pipeline.model ?? pipeline.name;
  const registry = new LocalRegistry(path.join(root, 'registry'));
  const store = new TrackingStore(root);
  const runId = newRunId();
  // Each run writes only in its own folder: concurrent runs never touch each other's files.
  const workRoot = path.join(workParent(root, pipeline.name), runId);
  const cacheRoot = path.join(root, 'cache', pipeline.name);
  /** Output path → the run that produced it. */
  const producers = new Map<string, string>();
  const ctx: Ctx = { pipeline, params, inputs, outputs: {}, env, base };
  const order = topologicalOrder(pipeline);
  for (const s of order) {
    const outs = { ...STEP_OUTPUTS[s.uses], ...s.outputs };
    ctx.outputs[s.name] = Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, path.isAbsolute(v) ? v : path.join(workRoot, s.name, v)]));
  }
  const data: RunRecord['data'] = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (fs.existsSync(v) && fs.statSync(v).isFile()) data[k] = { path: v, sha256: hashPath(v), bytes: fs.statSync(v).size };
  }
  const t0 = Date.now();
  const run: RunRecord = {
    id: runId,
    pipeline: pipeline.name,
    file: path.resolve(file),
    status: 'running',
    process: currentOwner(),
    startedAt: new Date(t0).toISOString(),
    finishedAt: null,
    durationMs: null,
    params,
    metrics: {},
    artifacts: [],
    data,
    git: gitInfo(base),
    steps: order.map(
      (s): StepRecord => ({ name: s.name, uses: s.uses, status: 'pending', cacheKey: null, ms: 0, params: {}, inputs: {}, outputs: {}, metrics: {}, summary: null, error: null }),
    ),
    error: null,
  };
  store.save(run);
  // The folder exists for as long as the run does (after its record: see workgc.ts), even when every step is cached.
  fs.mkdirSync(workRoot, { recursive: true });
  // A stopped or killed job leaves no run that claims to be running: its supervisor marks it failed.
  const releaseRun = job.runRecord(path.join(store.runDir(run.id), 'run.json'));
  log(`run ${run.id}: pipeline '${pipeline.name}' (${order.length} steps) → ${root}`);
  const closers: (() => Promise<void>)[] = [];
  let answer: string | null = null;
  let reportDir: string | null = null;
  /** Drift step → its decision; step kept from running → the drift step that said skip. */
  const driftOutcomes = new Map<string, { proceed: boolean; reason: string; skipped: string[] }>();
  const guardedBy = new Map<string, string>();
  try {
    for (let i = 0; i < order.length; i++) {
      const s = order[i]!;
      const rec = run.steps[i]!;
      const label = `[${i + 1}/${order.length}] ${s.name} (${s.uses})`;
      const ts = Date.now();
      // A step that depends on a drift step that said skip (or on a step kept from running by one) does not run.
      const guard = dependencies(s)
        .map((d) => (driftOutcomes.get(d)?.proceed === false ? d : guardedBy.get(d)))
        .find((d): d is string => d !== undefined);
      if (guard !== undefined) {
        const g = driftOutcomes.get(guard)!;
        guardedBy.set(s.name, guard);
        g.skipped.push(s.name);
        rec.status = 'skipped';
        rec.guard = { step: guard, reason: g.reason };
        rec.summary = `not run: drift step '${guard}' said skip`;
        store.save(run);
        log(`${label} not run: drift step '${guard}' said skip (${g.reason})`);
        continue;
      }
      try {
        const stepParams = subst(s.params, ctx) as Record<string, unknown>;
        const stepInputs: Record<string, string | string[]> = {};
        const missingInputs: Record<string, string> = {};
        for (const [k, v] of Object.entries(s.inputs)) {
          const r = subst(v, ctx);
          try {
            stepInputs[k] = Array.isArray(r) ? r.map((x) => resolveInput(String(x), base, registry, s, k)) : resolveInput(String(r), base, registry, s, k);
          } catch (e) {
            const why = missingRegistryInput(s.uses, k, (e as { cause?: unknown }).cause);
            if (why === null) throw e;
            missingInputs[k] = why;
          }
        }
        rec.params = stepParams;
        rec.inputs = stepInputs;
        const inputRuns: Record<string, string> = {};
        for (const [k, v] of Object.entries(stepInputs)) if (typeof v === 'string' && producers.has(v)) inputRuns[k] = producers.get(v)!;
        let outputs = ctx.outputs[s.name]!;
        const cacheable = !opts.noCache && (s.cache ?? !UNCACHED_KINDS.includes(s.uses));
        const key = stepKey(s, stepParams, stepInputs, registry, modelName);
        rec.cacheKey = key;
        // Content-addressed: one entry per key, pointing at the outputs of the run that produced them (never written again).
        const cacheFile = path.join(cacheRoot, s.name, `${key}.json`);
        let cached: CacheEntry | null = null;
        const entry = cacheable ? readEntry(cacheFile, key) : null;
        if (entry) {
          // Recorded (cachedFrom) before the outputs are read, so no clean-up removes them while this run uses them.
          let pinned = false;
          try {
            pinned = pinCacheEntry(root, pipeline.name, cacheFile, entry, () => {
              rec.cachedFrom = entry.runId;
              store.save(run);
            });
          } catch (e) {
            log(`${label}: cache entry not used (${(e as Error).message})`);
          }
          cached = pinned ? cacheHit(entry, outputs, s, registry, modelName) : null;
          if (!cached && rec.cachedFrom !== undefined) {
            delete rec.cachedFrom;
            store.save(run);
          }
        }
        if (cached) {
          rec.status = 'skipped';
          rec.cachedFrom = cached.runId;
          rec.outputs = cached.outputs;
          rec.metrics = cached.metrics;
          rec.summary = cached.summary;
          outputs = ctx.outputs[s.name] = Object.fromEntries(Object.entries(cached.outputs).map(([k, v]) => [k, v.path]));
          for (const o of Object.values(outputs)) producers.set(o, cached.runId);
          if (cached.answer) answer = cached.answer;
          log(`${label} skipped: inputs and params unchanged since run ${cached.runId}`);
        } else {
          rec.status = 'running';
          store.save(run);
          log(`${label}…`);
          for (const o of Object.values(outputs)) fs.mkdirSync(path.dirname(o), { recursive: true });
          job.testPause(`step-${s.name}`);
          const outcome = await STEP_FUNCTIONS[s.uses]({
            step: s.name,
            uses: s.uses,
            inputs: stepInputs,
            params: stepParams,
            outputs,
            modelName,
            registry,
            runId: run.id,
            inputRuns,
            missingInputs,
            log,
            onRunEnd: (fn) => closers.push(fn),
            runInfo: () => JSON.parse(JSON.stringify(run)) as Record<string, unknown>,
          });
          rec.ms = Date.now() - ts;
          rec.status = 'ok';
          rec.metrics = outcome.metrics ?? {};
          rec.summary = outcome.summary ?? null;
          rec.outputs = Object.fromEntries(
            Object.entries(outputs)
              .filter(([, v]) => fs.existsSync(v))
              .map(([k, v]) => [k, { path: v, sha256: hashPath(v) }]),
          );
          for (const o of Object.values(outputs)) producers.set(o, run.id);
          if (outcome.answer) answer = outcome.answer;
          if (cacheable)
            writeFileAtomic(
              cacheFile,
              JSON.stringify(
                { key, runId: run.id, at: new Date().toISOString(), outputs: rec.outputs, metrics: rec.metrics, summary: rec.summary, answer: outcome.answer ?? null },
                null,
                1,
              ) + '\n',
            );
          log(`${label} done in ${fmtMs(rec.ms)}${rec.summary ? `: ${rec.summary}` : ''}`);
        }
        if (s.uses === 'report' && rec.outputs.report) reportDir = rec.outputs.report.path;
        if (s.uses === 'drift') driftOutcomes.set(s.name, readDrift(s, outputs));
        for (const [k, v] of Object.entries(rec.metrics)) run.metrics[`${s.name}.${k}`] = v;
        for (const [k, v] of Object.entries(rec.outputs)) run.artifacts.push({ step: s.name, name: k, path: v.path, sha256: v.sha256 });
        store.save(run);
      } catch (e) {
        rec.ms = Date.now() - ts;
        rec.status = 'failed';
        const err = e as Error & { code?: string; path?: string };
        rec.error = {
          code: typeof err.code === 'string' ? err.code : err.name === 'DataError' ? 'DATA_INVALID' : 'STEP_FAILED',
          path: typeof err.path === 'string' ? err.path : `steps.${s.name}`,
          message: err.message,
        };
        run.error = rec.error;
        log(`${label} FAILED after ${fmtMs(rec.ms)}: [${rec.error.code}] ${rec.error.message}`);
        if (env.MLOPS_DEBUG) log(err.stack ?? '');
        break;
      }
    }
  } finally {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (e) {
        log(`warning: clean-up failed: ${(e as Error).message}`);
      }
    }
  }
  run.status = run.error ? 'failed' : 'succeeded';
  run.finishedAt = new Date().toISOString();
  run.durationMs = Date.now() - t0;
  store.save(run);
  releaseRun();
  const skipped = run.steps.filter((s) => s.status === 'skipped' && !s.guard).length;
  const notRun = run.steps.filter((s) => s.guard);
  log(
    `run ${run.id} ${run.status} in ${fmtMs(run.durationMs)} (${run.steps.filter((s) => s.status === 'ok').length} ran, ${skipped} skipped${notRun.length ? `, ${notRun.length} not run: drift said skip` : ''}${run.error ? `, failed at ${run.steps.find((s) => s.status === 'failed')?.name}` : ''})`,
  );
  const readOut = (uses: string, name: string): Record<string, unknown> | null => {
    const s = order.find((x) => x.uses === uses && run.steps.find((r) => r.name === x.name && (r.status === 'ok' || r.status === 'skipped')));
    const f = s ? ctx.outputs[s.name]![name] : undefined;
    return f && fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>) : null;
  };
  const gateStep = order.find((x) => x.uses === 'gate');
  const decisionFrom = (gateStep && run.steps.find((r) => r.name === gateStep.name)?.cachedFrom) ?? null;
  let aliases: RunResult['aliases'] = null;
  try {
    if (registry.versions(modelName).length) {
      const a = registry.aliases(modelName);
      aliases = { champion: a.champion, challenger: a.challenger };
    }
  } catch {
    aliases = null; // a bad model name or an unreadable registry was reported by the step that used it
  }
  const decision = readOut('gate', 'decision');
  const registration = readOut('register', 'registration');
  // Clean-up: the folders of ended runs that no cache entry points into (this run's, and those it reused, stay until the next run).
  try {
    const reused = run.steps.flatMap((s) => (s.cachedFrom ? [s.cachedFrom] : []));
    const gc = collectWork(root, pipeline.name, { keep: [run.id, ...reused], cacheKeep: keepEntries });
    if (gc.removed.length || gc.entriesDropped)
      log(
        `clean-up: removed the work folders of ${gc.removed.length} ended run(s) no cache entry points into${gc.entriesDropped ? `, dropped ${gc.entriesDropped} cache entr${gc.entriesDropped === 1 ? 'y' : 'ies'} (outputs gone, or beyond MLOPS_CACHE_KEEP=${keepEntries} per step)` : ''}`,
      );
  } catch (e) {
    log(`warning: clean-up of ${workParent(root, pipeline.name)} skipped: ${(e as Error).message}`);
  }
  const drift = [...driftOutcomes].map(([step, d]) => ({ step, ...d }));
  return { ok: !run.error, run, outputs: ctx.outputs, answer, report: reportDir, decision, registration, decisionFrom, aliases, drift, root };
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A drift step's decision, read from its outputs (`proceed`: exactly true or false; `report`: the reason). */
function readDrift(s: Step, outputs: Readonly<Record<string, string>>): { proceed: boolean; reason: string; skipped: string[] } {
  const text = fs.readFileSync(outputs.proceed!, 'utf8').trim();
  if (text !== 'true' && text !== 'false')
    throw new StepError('STEP_FAILED', `steps.${s.name}.outputs.proceed`, `${outputs.proceed} holds ${JSON.stringify(text.slice(0, 40))}, not true or false.`);
  let reason = '';
  try {
    reason = String((JSON.parse(fs.readFileSync(outputs.report!, 'utf8')) as { reason?: unknown }).reason ?? '');
  } catch {
    /* the value file decides; the reason is for people */
  }
  return { proceed: text === 'true', reason, skipped: [] };
}

function resolveInput(v: string, base: string, registry: LocalRegistry, s: Step, k: string): string {
  if (v === 'undefined' || v === '') throw new StepError('BAD_INPUT', `steps.${s.name}.inputs.${k}`, `input '${k}' of step '${s.name}' resolved to nothing; check its reference.`);
  if (v.startsWith('models:/')) {
    try {
      return registry.resolveUri(v).dir;
    } catch (e) {
      throw Object.assign(new StepError('BAD_INPUT', `steps.${s.name}.inputs.${k}`, (e as Error).message), { cause: e });
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v))
    throw new StepError(
      'BAD_INPUT',
      `steps.${s.name}.inputs.${k}`,
      `the local runner reads local paths and models:/ URIs; ${JSON.stringify(v)} needs a managed pipeline service (see FORMAT.md).`,
    );
  const p = path.resolve(base, v);
  if (!fs.existsSync(p)) throw new StepError('BAD_INPUT', `steps.${s.name}.inputs.${k}`, `input '${k}' of step '${s.name}': ${p} does not exist.`);
  return p;
}

/** The cache key of a step: kind, runtime version, params, input content hashes, and for a gate the champion it is compared with. */
function stepKey(s: Step, params: Record<string, unknown>, inputs: Record<string, string | string[]>, registry: LocalRegistry, modelName: string): string {
  const hashes = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => hashPath(x)) : hashPath(v)]));
  let extra: unknown = null;
  if (s.uses === 'gate' && typeof inputs.model === 'string') {
    const champ = referenceChampion(registry, modelName, modelContentHash(inputs.model));
    extra = champ ? { version: champ.version, contentHash: champ.contentHash } : null;
  }
  return sha({ uses: s.uses, runtime: runtimeVersion(), params, inputs: hashes, extra, outputs: s.outputs });
}

/** A content-addressed cache entry. */
interface CacheEntry {
  readonly key: string;
  readonly runId: string;
  readonly outputs: Record<string, { path: string; sha256: string }>;
  readonly metrics: Record<string, number>;
  readonly summary: string | null;
  readonly answer?: string | null;
}

/** The cache entry for `key` in `file`, or null (none, or not readable: a miss). */
function readEntry(file: string, key: string): CacheEntry | null {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheEntry;
    return c && c.key === key && typeof c.runId === 'string' && c.outputs && typeof c.outputs === 'object' ? c : null;
  } catch {
    return null;
  }
}

/**
 * A cache entry if it can be used: every output it records still exists
 * with the recorded hash (an output the pipeline names with an absolute path
 * must be that path), and for a register step the version it registered is
 * still in the registry; else null (a miss: the step runs again).
 */
function cacheHit(c: CacheEntry, outputs: Record<string, string>, s: Step, registry: LocalRegistry, modelName: string): CacheEntry | null {
  try {
    for (const [name, p] of Object.entries(outputs)) {
      const rec = c.outputs[name];
      const fixed = s.outputs?.[name] !== undefined && path.isAbsolute(s.outputs[name]!);
      if (!rec || (fixed && rec.path !== p) || !fs.existsSync(rec.path) || hashPath(rec.path) !== rec.sha256) return null;
    }
    if (s.uses === 'register') {
      const reg = JSON.parse(fs.readFileSync(c.outputs.registration!.path, 'utf8')) as { version: number; contentHash: string };
      if (!registry.versions(modelName).some((v) => v.version === reg.version && v.contentHash === reg.contentHash)) return null;
    }
    return c;
  } catch {
    return null;
  }
}
