import { RunResult, runPipeline } from '../pipeline/runner';
import { parseJsonOption, runStep } from '../pipeline/single';
import { STEP_KINDS } from '../pipeline/schema';
import { EXIT, Io } from '../core/io';
import { listOpt, optional, parse, parseParams, UsageError } from './io';
import { show } from '../core/text';
import { ExecutorInputError, KfpExecutorInput, parseExecutorInput, writeExecutorOutput } from '../pipeline/executor-output';
import { logToMlflow, LogOptions, MLFLOW_STEP_ENV, mlflowTargetFromEnv, recordMlflowRun, SageMakerMlflowTarget, stepBatch } from '../tracking/mlflow-rest';
import { stepLineageTags } from '../pipeline/lineage';
import { StepRunResult } from '../pipeline/single';

/** Help text of `mlops pipeline step`. */
export const STEP_HELP = `
mlops pipeline step runs ONE step kind on its own: the cloud-neutral step
contract (FORMAT.md) a managed pipeline service (SageMaker Pipelines, Vertex
AI Pipelines, Azure ML pipelines) calls once per container task. Not cached
or tracked (the service does that). Prints {"ok":true,"metrics":…,"summary":…,
"outputs":…} as JSON on stdout; on failure {"ok":false,"error":{code,path,message}}
on stdout, the message on stderr, and exit 1 (2 for a bad command line).

Step options:
  --uses <kind>       ${STEP_KINDS.filter((k) => k !== 'serve').join(', ')}
  --inputs <json>     {"name": "path or URI"} (file://, models:/<name>@champion; a list for select)
  --params <json>     the step's params as a JSON object
  --outputs <json>    {"name": "path"}; missing outputs go to their default file under --work
  --work <dir>        where relative --outputs paths and default outputs go (default: the current
                      directory; relative --inputs paths are read from the current directory)
  --name <step>       step name used in messages (default: the kind)
  --model <name>      registry model name for gate and register (default $MLOPS_MODEL_NAME)
  --root <dir>        registry root for models:/ inputs, gate, register (default $MLOPS_HOME, else ./.mlops)
  --when <guard>      run only when the guard is true: a value file holding true or false (a drift
                      step's proceed output) or the literal true/false (repeatable: all must be true);
                      otherwise exit 0 without running, the outputs in the skipped state (FORMAT.md)
  --executor-input <json>   the KFP executor input ({{$}} on Vertex AI Pipelines): after the step, write
                      its ExecutorOutput file (output parameter values, and with --metrics-artifact the
                      step's metrics as that system.Metrics artifact's metadata)
  --metrics-artifact <name> the executor input's system.Metrics output artifact (with --executor-input)

With MLFLOW_TRACKING_URI and MLFLOW_RUN_ID set (an Azure ML command job sets them), the step's
params, metrics and tags are also logged to that MLflow run (runs/log-batch; token
MLFLOW_TRACKING_TOKEN, else AZUREML_RUN_TOKEN). With MLFLOW_TRACKING_URI set to a SageMaker MLflow
tracking server's ARN and MLFLOW_EXPERIMENT_NAME (a SageMaker pipeline step), the step records its
own run there, failed steps too (signed with the container role's AWS credentials), with the
lineage of MLOPS_PIPELINE_EXECUTION_ARN, MLOPS_PIPELINE_REVISION, MLOPS_IMAGE, MLOPS_INPUT_URIS and
the sha256 of those inputs. A logging failure is a warning on stderr, never a failed step.
`;

/** Help text of `mlops pipeline`. */
export const PIPELINE_HELP =
  `Usage: mlops pipeline run <pipeline.yaml> [options]
       mlops pipeline step --uses <kind> [--inputs <json>] [--params <json>] [--outputs <json>] [options]

Runs a pipeline (see training-image/src/pipeline/FORMAT.md): steps in
dependency order, unchanged steps skipped, the run recorded in the tracking
store (list with \`mlops runs\`).

Options:
  --root <dir>        tracking store, registry and work folders (default $MLOPS_HOME, else ./.mlops)
  --param k=v         override a pipeline parameter (repeatable)
  --no-cache          run every step even when unchanged
  --json              print the run record as JSON
  -h, --help          show this help

Clean-up is automatic: at the end of a run, the work folders of ended runs
that no cache entry points into are removed; cache entries are kept per step
up to MLOPS_CACHE_KEEP (default 10, or all) — see FORMAT.md "Retention".
` + STEP_HELP;

/** \`mlops pipeline run <file>\`. */
export async function pipelineCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    io.out(PIPELINE_HELP);
    return sub ? EXIT.OK : EXIT.USAGE;
  }
  if (sub === 'step') return stepCommand(rest, io);
  if (sub !== 'run') throw new UsageError(`unknown subcommand ${show(sub)}; use \`mlops pipeline run <pipeline.yaml>\` or \`mlops pipeline step --uses <kind> …\``);
  const files = rest.filter((a, i) => !a.startsWith('-') && !(i > 0 && ['--root', '--param'].includes(rest[i - 1]!)));
  const { values } = parse(
    rest.filter((a) => !files.includes(a)),
    { root: { type: 'string' }, param: { type: 'string', multiple: true }, 'no-cache': { type: 'boolean' }, json: { type: 'boolean' } },
  );
  if (values.help) {
    io.out(PIPELINE_HELP);
    return EXIT.OK;
  }
  if (files.length !== 1) throw new UsageError(`give exactly one pipeline file; got ${files.length ? files.join(', ') : 'none'}`);
  const r = await runPipeline(files[0]!, {
    root: optional(values, 'root'),
    params: parseParams(listOpt(values, 'param')),
    noCache: values['no-cache'] === true,
    log: (l) => io.err(l),
  });
  if (values.json) io.out(JSON.stringify(r.run, null, 2));
  else {
    const lines: string[] = [];
    if (r.answer) lines.push(r.answer);
    for (const d of r.drift) lines.push(`Drift (${d.step}): ${d.proceed ? 'proceed' : 'skip'} — ${d.reason}${d.skipped.length ? `; not run: ${d.skipped.join(', ')}` : ''}`);
    if (r.decision) lines.push(gateLine(r));
    if (r.registration) lines.push(registryLine(r));
    if (r.report) lines.push(`Report: ${r.report}/report.html`);
    lines.push(`Run ${r.run.id} ${r.run.status}${r.run.error ? `: [${r.run.error.code}] ${r.run.error.path}: ${r.run.error.message}` : ''} (tracking store ${r.root})`);
    io.out(lines.join('\n'));
  }
  return r.ok ? EXIT.OK : EXIT.FAILED;
}

const v = (n: number | null | undefined): string => (n === null || n === undefined ? 'none' : `v${n}`);

/**
 * The gate line. A decision reused from an earlier run (the gate step was
 * skipped) says so, and says how the champion changed since it was made, so
 * that "no champion yet" of the first run is not shown as today's state.
 */
export function gateLine(r: Pick<RunResult, 'decision' | 'decisionFrom' | 'aliases' | 'registration'>): string {
  const d = r.decision!;
  let reasons = d.reasons as string[];
  const verdict = d.passed ? 'passed' : 'rejected';
  if (!r.decisionFrom) return `Gate: ${verdict} — ${reasons.join('; ')}`;
  const then = (d.champion as { version: number | null } | null)?.version ?? null;
  const now = r.aliases?.champion ?? null;
  const mine = typeof r.registration?.version === 'number' ? (r.registration.version as number) : null;
  let context = `decided in run ${r.decisionFrom}, reused because its inputs are unchanged`;
  if (now !== then) {
    context += `; the champion then: ${v(then)}, now: ${v(now)}${now !== null && now === mine ? ' (this model)' : ''}`;
    if (then === null) reasons = reasons.map((x) => x.replace(/^no champion yet:/, 'no champion then:'));
  }
  return `Gate: ${verdict} (${context}) — ${reasons.join('; ')}`;
}

/** The registry line, with the champion as it is now (a cached registration may be older than the last promotion). */
export function registryLine(r: Pick<RunResult, 'registration' | 'aliases'>): string {
  const g = r.registration!;
  const now = r.aliases ? r.aliases.champion : (g.champion as number | null);
  return `Registry: ${g.name} v${g.version}${now === g.version ? ' is champion' : `${g.promoted ? ' was promoted' : ''}; champion ${g.promoted || now !== g.champion ? 'is' : 'stays'} ${v(now)}`}`;
}

/** What {@link stepCommand} reads from its surroundings (tests pass their own). */
export interface StepCommandDeps {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** The MLflow client's fetch and retry settings. */
  readonly mlflow?: LogOptions;
}

/** `mlops pipeline step --uses <kind> --inputs <json> --params <json> --outputs <json>`: one step, JSON result on stdout. */
export async function stepCommand(argv: string[], io: Io, deps: StepCommandDeps = {}): Promise<number> {
  const fail = (code: string, path: string, message: string, exit: number): number => {
    io.out(JSON.stringify({ ok: false, error: { code, path, message } }));
    io.err(`mlops pipeline step: [${code}] ${path}: ${message}`);
    return exit;
  };
  let values: Record<string, unknown>;
  try {
    ({ values } = parse(argv, {
      uses: { type: 'string' },
      inputs: { type: 'string' },
      params: { type: 'string' },
      outputs: { type: 'string' },
      work: { type: 'string' },
      name: { type: 'string' },
      model: { type: 'string' },
      root: { type: 'string' },
      when: { type: 'string', multiple: true },
      'executor-input': { type: 'string' },
      'metrics-artifact': { type: 'string' },
    }));
  } catch (e) {
    return fail('BAD_ARGUMENT', '(command line)', `${(e as Error).message}; run \`mlops pipeline --help\`.`, EXIT.USAGE);
  }
  if (values.help) {
    io.out(PIPELINE_HELP);
    return EXIT.OK;
  }
  const uses = optional(values, 'uses');
  if (!uses) return fail('BAD_ARGUMENT', '--uses', `missing --uses <kind>; the kinds are ${STEP_KINDS.join(', ')}.`, EXIT.USAGE);
  let inputs: Record<string, unknown>, params: Record<string, unknown>, outputs: Record<string, unknown>;
  try {
    inputs = parseJsonOption('inputs', optional(values, 'inputs'));
    params = parseJsonOption('params', optional(values, 'params'));
    outputs = parseJsonOption('outputs', optional(values, 'outputs'));
  } catch (e) {
    return fail('BAD_ARGUMENT', (e as { path: string }).path, (e as Error).message, EXIT.USAGE);
  }
  const metricsArtifact = optional(values, 'metrics-artifact');
  const executorText = optional(values, 'executor-input');
  let executorInput: KfpExecutorInput | undefined;
  try {
    if (metricsArtifact !== undefined && executorText === undefined)
      throw new ExecutorInputError('--metrics-artifact', '--metrics-artifact names an artifact of the KFP executor input; pass --executor-input too.');
    if (executorText !== undefined) executorInput = parseExecutorInput(executorText, metricsArtifact);
  } catch (e) {
    return fail('BAD_ARGUMENT', (e as ExecutorInputError).path, (e as Error).message, EXIT.USAGE);
  }
  const env = deps.env ?? process.env;
  const started = Date.now();
  const r = await runStep({
    uses,
    inputs,
    params,
    outputs,
    name: optional(values, 'name'),
    model: optional(values, 'model'),
    root: optional(values, 'root'),
    work: optional(values, 'work'),
    when: Array.isArray(values.when) ? (values.when as string[]) : typeof values.when === 'string' ? [values.when] : [],
    log: (l) => io.err(l),
  });
  const target = mlflowTargetFromEnv(env);
  const sageMaker = target && 'kind' in target ? target : undefined;
  if (!r.ok) {
    // SageMaker opens no run for the step: a failed step is recorded as a FAILED run (an Azure ML run is the engine's).
    if (sageMaker) await recordStepRun(sageMaker, r, params, inputs, started, env, io, deps);
    return fail(r.error.code, r.error.path, r.error.message, r.error.code === 'BAD_ARGUMENT' ? EXIT.USAGE : EXIT.FAILED);
  }
  if (executorInput) {
    try {
      writeExecutorOutput(executorInput, r, metricsArtifact, (l) => io.err(l));
    } catch (e) {
      // The engine then reads the output parameter files the step wrote, as without --executor-input.
      io.err(`warning: cannot write the KFP executor output ${executorInput.outputs.outputFile}: ${(e as Error).message}`);
    }
  }
  if (target && 'problem' in target) io.err(`warning: ${target.problem}`);
  else if (target && 'kind' in target) await recordStepRun(target, r, params, inputs, started, env, io, deps);
  else if (target) {
    try {
      const n = await logToMlflow(target, stepBatch(r, params, Date.now()), deps.mlflow);
      io.err(`${r.step}: params and metrics logged to MLflow run ${target.runId} (${n} request${n === 1 ? '' : 's'})`);
    } catch (e) {
      io.err(`warning: the step's params and metrics are not logged to MLflow: ${(e as Error).message}`);
    }
  }
  io.out(JSON.stringify(r));
  if (r.summary) io.err(`${r.step} (${r.uses}): ${r.summary}`);
  return EXIT.OK;
}

/**
 * Records one step as its own MLflow run on a SageMaker tracking server: run
 * name `<step>-<execution id>`, the step's params, metrics and tags plus its
 * lineage ({@link stepLineageTags}); a failed step ends FAILED with its error
 * as tags. Every problem is a warning line.
 */
async function recordStepRun(
  target: SageMakerMlflowTarget,
  r: StepRunResult,
  params: Record<string, unknown>,
  inputs: Record<string, unknown>,
  started: number,
  env: NodeJS.ProcessEnv,
  io: Io,
  deps: StepCommandDeps,
): Promise<void> {
  const now = Date.now();
  const execution = env[MLFLOW_STEP_ENV.executionId]?.trim();
  // A step its guard skipped read nothing: its inputs are not hashed.
  const lineage = stepLineageTags(env, r.ok && r.skipped ? {} : inputs, '.', (l) => io.err(l));
  const failed = !r.ok ? r.error : undefined;
  const errorTags = failed
    ? [
        { key: 'mlops.error.code', value: failed.code },
        { key: 'mlops.error.path', value: failed.path },
        { key: 'mlops.error.message', value: failed.message },
      ]
    : [];
  const step = r.ok ? r : { step: r.step, uses: r.uses, metrics: {} };
  try {
    const done = await recordMlflowRun(
      target,
      {
        name: execution ? `${r.step}-${execution}` : r.step,
        startTime: started,
        endTime: now,
        status: r.ok ? 'FINISHED' : 'FAILED',
        batch: stepBatch(step, params, now, [...lineage, ...errorTags]),
      },
      deps.mlflow,
    );
    io.err(
      `${r.step}: recorded as MLflow run ${done.runId}${target.experiment ? ` in experiment ${target.experiment}` : ''} on ${target.arn} (${done.requests} request${done.requests === 1 ? '' : 's'})`,
    );
  } catch (e) {
    io.err(`warning: the step is not recorded in MLflow (${target.arn}): ${(e as Error).message}`);
  }
}
