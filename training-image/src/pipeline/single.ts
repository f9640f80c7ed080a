import * as fs from 'fs';
import * as path from 'path';
import { LocalRegistry } from '../registry/registry';
import { resolveRoot } from './runner';
import { STEP_KINDS, STEP_OUTPUTS, StepKind, VALUE_OUTPUTS } from './schema';
import { passedText, STEP_FUNCTIONS, StepError } from './steps';
import { missingRegistryInput } from './drift';
import { writeFileAtomic } from '../core/atomic';

/**
 * One step run on its own, outside a pipeline run: the cloud-neutral step
 * contract of FORMAT.md (`mlops pipeline step`). A managed pipeline service
 * runs each step of a pipeline as one container task with this command; it
 * owns caching, lineage and the DAG, so nothing here is cached or tracked.
 */

/** What {@link runStep} reports: the outcome on success, `{code, path, message}` on failure. */
export type StepRunResult =
  | {
      readonly ok: true;
      readonly uses: StepKind;
      readonly step: string;
      readonly metrics: Record<string, number>;
      readonly summary: string | null;
      readonly answer?: string;
      readonly outputs: Record<string, string>;
      readonly ms: number;
      /** Set when a `--when` guard said false: the step did not run and its outputs hold the skipped state ({@link writeSkippedOutputs}). */
      readonly skipped?: { readonly when: string; readonly reason: string };
    }
  | { readonly ok: false; readonly uses: string; readonly step: string; readonly error: StepRunError };

/** A failure: BAD_ARGUMENT (the command line: JSON, kind, output names) is a usage error (exit 2); anything else is the step's (exit 1). */
export interface StepRunError {
  readonly code: string;
  /** Where: `--uses`, `--inputs.data`, `--params.time`, … */
  readonly path: string;
  readonly message: string;
}

/** Options of {@link runStep}. */
export interface RunStepOptions {
  /** The step kind. */
  readonly uses: string;
  /** Name → path or URI (`file://`, `models:/…`); a list for `select`. */
  readonly inputs?: unknown;
  /** Plain JSON data. */
  readonly params?: unknown;
  /** Name → path (`file://` accepted); missing names get the kind's default file under `work`. */
  readonly outputs?: unknown;
  /** Step name used in messages. @default the kind */
  readonly name?: string;
  /** Registry model name (gate, register). @default $MLOPS_MODEL_NAME */
  readonly model?: string;
  /** Registry root (for `models:/` inputs, gate, register). @default $MLOPS_HOME, else `.mlops` */
  readonly root?: string;
  /** Where relative output paths and the default outputs go (relative to `cwd`). @default `cwd` */
  readonly work?: string;
  /** What relative input paths (and `work`) are relative to. @default the current directory */
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
  /**
   * Guards: each a value file holding `true` or `false` (a drift step's
   * `proceed`), or the literal `true`/`false` (an engine that passes a value,
   * not a file). When one is false the step does not run: it exits 0 with its
   * outputs in the skipped state ({@link writeSkippedOutputs}).
   */
  readonly when?: readonly string[];
}

/**
 * The skipped state of a step's outputs, written when a `--when` guard is
 * false, so an engine that uploads, passes or tests them finds each one:
 * value files (the gate's `passed`, a drift step's `proceed`) hold `false`;
 * the gate's decision says `passed: false` and `skipped: true` (so the
 * engines' gate conditions register and deploy nothing); every other output
 * is a small JSON file `{"skipped": true, "step", "when", "reason"}` at its
 * path (never read: the steps after a skipped one are guarded too).
 */
export function writeSkippedOutputs(uses: StepKind, step: string, outputs: Readonly<Record<string, string>>, skip: { when: string; reason: string }): void {
  const marker = { skipped: true, step, when: skip.when, reason: skip.reason };
  for (const [k, file] of Object.entries(outputs)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let content: string;
    if (VALUE_OUTPUTS[uses]?.includes(k)) content = passedText(false);
    else if (uses === 'gate' && k === 'decision') content = `${JSON.stringify({ ...marker, passed: false, reasons: [`not run: ${skip.reason}`] }, null, 1)}\n`;
    else if (uses === 'drift' && k === 'report') content = `${JSON.stringify({ ...marker, proceed: false, decision: 'skip', reason: `not run: ${skip.reason}` }, null, 1)}\n`;
    else content = `${JSON.stringify(marker, null, 1)}\n`;
    // A folder output (a model directory) left by an earlier attempt is replaced by the marker.
    fs.rmSync(file, { recursive: true, force: true });
    writeFileAtomic(file, content);
  }
}

/** Reads a `--when` guard: a value file holding true or false, or the literal true/false. */
function readGuard(when: string, cwd: string): boolean {
  const literal = when.trim();
  if (literal === 'true' || literal === 'false') return literal === 'true';
  const file = path.resolve(cwd, when.startsWith('file://') ? new URL(when).pathname : when);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ArgError(
      '--when',
      `cannot read the guard ${file} (${(e as Error).message}); --when takes a value file holding true or false (a drift step's proceed output), or true/false.`,
      'BAD_INPUT',
    );
  }
  if (text !== 'true' && text !== 'false')
    throw new ArgError('--when', `the guard ${file} holds ${JSON.stringify(text.slice(0, 40))}; it must hold exactly true or false (a drift step's proceed output).`, 'BAD_INPUT');
  return text === 'true';
}

class ArgError extends Error {
  constructor(
    public readonly path: string,
    message: string,
    public readonly code = 'BAD_ARGUMENT',
  ) {
    super(message);
  }
}

const CLOUD = /^[a-z][a-z0-9+.-]*:\/\//i;
const MOUNTS =
  'a step reads and writes local paths: the service materialises its artifact URIs in the container (SageMaker ProcessingInput/ProcessingOutput under /opt/ml/processing/, Vertex AI through Cloud Storage FUSE under /gcs/<bucket>/, Azure ML by mounting or downloading the input and passing its path) and passes those paths';

function isMap(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Parses one JSON option value (object expected); ArgError naming the option otherwise. */
export function parseJsonOption(name: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ArgError(
      `--${name}`,
      `--${name} is not valid JSON (${(e as Error).message}); pass a JSON object, e.g. --${name} '${name === 'params' ? '{"testFraction":0.2}' : '{"data":"data.csv"}'}'.`,
    );
  }
  if (!isMap(v)) throw new ArgError(`--${name}`, `--${name} must be a JSON object (name → value); got ${JSON.stringify(v)?.slice(0, 80)}.`);
  return v;
}

function localInput(v: string, at: string, cwd: string, registry: () => LocalRegistry): string {
  if (v.startsWith('models:/')) {
    try {
      return registry().resolveUri(v).dir;
    } catch (e) {
      throw new ArgError(at, (e as Error).message, 'BAD_INPUT');
    }
  }
  const p = v.startsWith('file://') ? new URL(v).pathname : CLOUD.test(v) ? null : path.resolve(cwd, v);
  if (p === null) throw new ArgError(at, `${JSON.stringify(v)}: ${MOUNTS}.`, 'BAD_INPUT');
  if (!fs.existsSync(p)) throw new ArgError(at, `${p} does not exist.`, 'BAD_INPUT');
  return p;
}

/**
 * Runs one step kind with JSON inputs, params and outputs (see FORMAT.md,
 * "Cloud-neutral step contract"). Never throws for a step or argument
 * problem: the result carries `{code, path, message}`.
 */
export async function runStep(o: RunStepOptions): Promise<StepRunResult> {
  const name = o.name ?? o.uses;
  const log = o.log ?? (() => undefined);
  const env = o.env ?? process.env;
  const cwd = path.resolve(o.cwd ?? '.');
  const work = path.resolve(cwd, o.work ?? '.');
  const closers: (() => Promise<void>)[] = [];
  const t0 = Date.now();
  const rewrite = (p: string): string => p.replace(new RegExp(`^steps\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.?`), '--').replace(/^--$/, '--uses');
  try {
    if (!(STEP_KINDS as readonly string[]).includes(o.uses)) throw new ArgError('--uses', `unknown step kind ${JSON.stringify(o.uses)}; the kinds are ${STEP_KINDS.join(', ')}.`);
    const uses = o.uses as StepKind;
    if (uses === 'serve')
      throw new ArgError(
        '--uses',
        "serve starts a long-running HTTP server, which is not a batch step: on a managed service the endpoint is deployed by the stacks (the runtime image's `mlops serve`), and score calls it.",
      );
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(name))
      throw new ArgError('--name', `a step name must start with a letter and hold only letters, digits, '-' or '_'; got ${JSON.stringify(name)}.`);
    const rawInputs = isMap(o.inputs) || o.inputs === undefined ? ((o.inputs as Record<string, unknown>) ?? {}) : null;
    if (!rawInputs) throw new ArgError('--inputs', '--inputs must be a JSON object (name → path or URI).');
    const rawParams = isMap(o.params) || o.params === undefined ? ((o.params as Record<string, unknown>) ?? {}) : null;
    if (!rawParams) throw new ArgError('--params', '--params must be a JSON object.');
    const rawOutputs = isMap(o.outputs) || o.outputs === undefined ? ((o.outputs as Record<string, unknown>) ?? {}) : null;
    if (!rawOutputs) throw new ArgError('--outputs', '--outputs must be a JSON object (output name → path).');
    const off = (o.when ?? []).find((w) => !readGuard(w, cwd));
    let reg: LocalRegistry | null = null;
    const registry = (): LocalRegistry => (reg ??= new LocalRegistry(path.join(resolveRoot(o.root, env), 'registry')));
    const inputs: Record<string, string | string[]> = {};
    const missingInputs: Record<string, string> = {};
    // A guarded step that does not run reads none of its inputs (they may be the skipped state of earlier steps).
    for (const [k, v] of off !== undefined ? [] : Object.entries(rawInputs)) {
      const at = `--inputs.${k}`;
      if (typeof v === 'string' && v.startsWith('models:/')) {
        try {
          inputs[k] = registry().resolveUri(v).dir;
        } catch (e) {
          const why = missingRegistryInput(uses, k, e);
          if (why === null) throw new ArgError(at, (e as Error).message, 'BAD_INPUT');
          missingInputs[k] = why;
        }
        continue;
      }
      if (typeof v === 'string' && v) inputs[k] = localInput(v, at, cwd, registry);
      else if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string' && x)) inputs[k] = (v as string[]).map((x, i) => localInput(x, `${at}[${i}]`, cwd, registry));
      else throw new ArgError(at, `input '${k}' must be a path or URI (a list of them for select); got ${JSON.stringify(v)?.slice(0, 80)}.`);
    }
    const defaults = STEP_OUTPUTS[uses];
    const outputs: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawOutputs)) {
      const at = `--outputs.${k}`;
      if (!(k in defaults)) throw new ArgError(at, `step kind ${uses} has no output '${k}'; its outputs are ${Object.keys(defaults).join(', ')}.`);
      if (typeof v !== 'string' || !v) throw new ArgError(at, `output '${k}' must be a path; got ${JSON.stringify(v)?.slice(0, 80)}.`);
      if (!v.startsWith('file://') && CLOUD.test(v)) throw new ArgError(at, `${JSON.stringify(v)}: ${MOUNTS}; the service uploads what the step writes there.`);
      outputs[k] = v.startsWith('file://') ? new URL(v).pathname : path.resolve(work, v);
    }
    for (const [k, v] of Object.entries(defaults)) outputs[k] ??= path.join(work, v);
    for (const v of Object.values(outputs)) fs.mkdirSync(path.dirname(v), { recursive: true });
    if (off !== undefined) {
      const skipped = { when: off, reason: `the guard ${off} is false (a drift step found no reason to retrain)` };
      writeSkippedOutputs(uses, name, outputs, skipped);
      return { ok: true, uses, step: name, metrics: {}, summary: `not run: ${skipped.reason}`, outputs, ms: Date.now() - t0, skipped };
    }
    const modelName = o.model ?? env.MLOPS_MODEL_NAME;
    if ((uses === 'gate' || uses === 'register') && !modelName)
      throw new ArgError('--model', `${uses} compares with and writes to a registry model; pass --model <name> (or set MLOPS_MODEL_NAME).`);
    const runId = `step-${new Date(t0).toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${process.pid}`;
    const outcome = await STEP_FUNCTIONS[uses]({
      step: name,
      uses,
      inputs,
      missingInputs,
      params: rawParams,
      outputs,
      modelName: modelName ?? name,
      get registry() {
        return registry();
      },
      runId,
      log,
      onRunEnd: (fn) => closers.push(fn),
      runInfo: () => ({
        id: runId,
        pipeline: name,
        startedAt: new Date(t0).toISOString(),
        git: null,
        data: {},
        params: rawParams,
        steps: [{ name, uses, status: 'running', ms: Date.now() - t0 }],
      }),
    });
    return {
      ok: true,
      uses,
      step: name,
      metrics: outcome.metrics ?? {},
      summary: outcome.summary ?? null,
      ...(outcome.answer ? { answer: outcome.answer } : {}),
      outputs,
      ms: Date.now() - t0,
    };
  } catch (e) {
    const err = e as Error & { code?: unknown; path?: unknown };
    const code =
      e instanceof ArgError
        ? e.code
        : e instanceof StepError
          ? e.code
          : err.name === 'DataError'
            ? 'DATA_INVALID'
            : typeof err.code === 'string' && /^[A-Z_]+$/.test(err.code)
              ? err.code
              : 'STEP_FAILED';
    const where = e instanceof ArgError ? e.path : typeof err.path === 'string' ? rewrite(err.path) : err.name === 'DataError' ? '--inputs' : '(step)';
    if (env.MLOPS_DEBUG && !(e instanceof ArgError)) log(err.stack ?? '');
    return { ok: false, uses: o.uses, step: name, error: { code, path: where, message: err.message ?? String(e) } };
  } finally {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (e) {
        log(`warning: clean-up failed: ${(e as Error).message}`);
      }
    }
  }
}
