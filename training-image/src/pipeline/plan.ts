/**
 * The cloud plan of a pipeline: what a managed pipeline engine (SageMaker
 * Pipelines, Azure ML pipeline jobs, Vertex AI Pipelines) runs for a pipeline
 * file, built from the same parsed pipeline the local runner executes.
 *
 * Every batch step becomes one container task of the runtime image running
 * `mlops pipeline step` (FORMAT.md, "Cloud-neutral step contract") with its
 * params resolved at synth, its inputs bound to pipeline inputs, other steps'
 * outputs or the registry folder, and its outputs written into one folder per
 * output. What is not a batch step maps to the engine:
 * - `serve` (of `models:/<model>@champion`) becomes the deploy action: the
 *   endpoint is rolled out to the model the run registered, when the gate
 *   passed;
 * - `score` cannot run in the cloud (it calls a local server): a pipeline that
 *   has one must name it in `skip`, or the plan is refused;
 * - `gate` and `register` run in the container against the registry folder
 *   (`<registry>/registry/<model>/…`, kept in the artifact store), so the
 *   champion, versions and aliases follow the same rules as locally; the
 *   engine then reads the gate's decision (`decision.json`, or its `passed`
 *   value file: `true`/`false`) to decide on the cloud registry registration
 *   and the deploy action;
 * - `predict` (a pipeline's batch scoring step, and the batch job of
 *   {@link batchArguments}) runs in the container like any batch step.
 *
 * This module is pure (no files, no cloud): the construct library loads it
 * (`@cdktf-mlops/runtime/dist/src/pipeline/plan`) to compile the plan at synth.
 */
import { dependencies, Pipeline, PipelineError, PipelineIssue, references, Step, STEP_OUTPUTS, StepKind, topologicalOrder } from './schema';

/** Step kinds that run as a container task of the runtime image in a managed engine. */
export const CLOUD_CONTAINER_KINDS = [
  'validate',
  'split',
  'drift',
  'train',
  'forecast',
  'evaluate',
  'select',
  'gate',
  'register',
  'predict',
  'report',
] as const satisfies readonly StepKind[];

/** Step kinds that read or write the registry folder (`--root`). */
export const REGISTRY_KINDS: readonly StepKind[] = ['gate', 'register'];

/** A container step's kind. */
export type CloudStepKind = (typeof CLOUD_CONTAINER_KINDS)[number];

/** Where a step input comes from. */
export type PlanSource =
  /** a pipeline input, bound by the cloud to an object in the artifact store */
  | { readonly from: 'input'; readonly input: string }
  /** an output folder of an earlier step */
  | { readonly from: 'step'; readonly step: string; readonly output: string }
  /** a registry URI (`models:/<model>@champion`), read from the registry folder */
  | { readonly from: 'registry'; readonly uri: string };

/** The step kind whose `proceed` output guards the steps that depend on it. */
export const GUARD_KIND = 'drift' satisfies StepKind;

/** A guard: the value file (`true`/`false`) of an earlier step that decides whether a step runs. */
export interface PlanGuard {
  /** The drift step. */
  readonly step: string;
  /** Its value-file output (`proceed`). */
  readonly output: string;
}

/** One container step of the plan. */
export interface PlanStep {
  /** The step's name in the pipeline file. */
  readonly name: string;
  /** Its kind. */
  readonly uses: CloudStepKind;
  /** The steps it runs after (its `needs` and the steps whose outputs it reads), in plan order. */
  readonly after: readonly string[];
  /** Input name → source (a list for `select`'s candidates). */
  readonly inputs: Readonly<Record<string, PlanSource | readonly PlanSource[]>>;
  /** The params, resolved (`${params.x}` replaced by the pipeline parameter's value). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Output name → the file or folder name it is written as inside its output folder. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Reads the registry folder (`gate`, `register`, or a `models:/` input). */
  readonly readsRegistry: boolean;
  /** Writes the registry folder (`register`). */
  readonly writesRegistry: boolean;
  /**
   * The guards of the step: the `proceed` value file of every drift step it
   * depends on (directly, or through other steps). The step runs only when
   * all say `true`; otherwise `mlops pipeline step --when` exits 0 without
   * running it and leaves its outputs in the skipped state (a gate's
   * `passed` is `false`). Empty for unguarded steps.
   */
  readonly when: readonly PlanGuard[];
}

/** What a managed engine runs for a pipeline file. */
export interface CloudPlan {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** The registry model name. */
  readonly model: string;
  /** The pipeline's description. */
  readonly description?: string;
  /** The pipeline parameters as resolved (file defaults, then overrides). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The pipeline inputs the steps use: name → the value in the file (a path relative to it, or a URI). */
  readonly inputs: Readonly<Record<string, string>>;
  /** The container steps, in dependency order (ties keep file order, as the local runner runs them). */
  readonly steps: readonly PlanStep[];
  /** The gate step, whose `decision` output (`passed`) decides on registration and deploy. */
  readonly gate?: string;
  /** The register step, whose model is registered in the cloud's registry when the gate passed. */
  readonly register?: { readonly step: string; readonly model: PlanSource };
  /** The `serve` step that asks for the champion to be deployed (the deploy action), if any, and its guards. */
  readonly deploy?: { readonly step: string; readonly after: readonly string[]; readonly when: readonly PlanGuard[] };
  /** Steps left out on request (`skip`), with what they were. */
  readonly skipped: readonly { readonly name: string; readonly uses: StepKind }[];
}

/** Options of {@link planForCloud}. */
export interface PlanOptions {
  /** The engine, for messages (e.g. `SageMaker Pipelines on aws`). */
  readonly target: string;
  /** Pipeline parameter overrides (each must be a parameter of the file). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Steps to leave out (e.g. `score`, which needs a local server). Inputs that read their outputs are dropped. */
  readonly skip?: readonly string[];
  /** Where the plan came from, for messages (the pipeline file). */
  readonly source?: string;
}

const isContainerKind = (k: StepKind): k is CloudStepKind => (CLOUD_CONTAINER_KINDS as readonly string[]).includes(k);

/** The basename of a default output path (`model`, `train.csv`, …). */
function fileName(rel: string): string {
  const parts = rel.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? rel;
}

/** Replaces `${params.x}` references in a value (exact references keep the value's type). */
function resolveParams(v: unknown, params: Readonly<Record<string, unknown>>): unknown {
  if (typeof v === 'string') {
    const exact = /^\$\{\s*params\.([^}\s]+)\s*\}$/.exec(v);
    if (exact) return params[exact[1]!];
    return v.replace(/\$\{\s*params\.([^}\s]+)\s*\}/g, (_m, name: string) => {
      const value = params[name];
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }
  if (Array.isArray(v)) return v.map((x) => resolveParams(x, params));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveParams(x, params)]));
  return v;
}

/**
 * Builds the cloud plan of a parsed pipeline (see the module comment); throws
 * {@link PipelineError} with every issue: a step kind the cloud cannot run,
 * an `${env.X}` reference (the engines have no such environment at synth),
 * an unknown parameter override or skipped step, an input that is neither a
 * reference nor a registry URI.
 */
export function planForCloud(pipeline: Pipeline, options: PlanOptions): CloudPlan {
  const issues: PipelineIssue[] = [];
  const source = options.source ?? pipeline.name;
  const params: Record<string, unknown> = { ...pipeline.params };
  for (const [k, v] of Object.entries(options.params ?? {})) {
    if (!(k in pipeline.params)) {
      issues.push({
        code: 'BAD_REFERENCE',
        path: `params.${k}`,
        message: `'${k}' is not a parameter of pipeline '${pipeline.name}' (its parameters: ${Object.keys(pipeline.params).join(', ') || 'none'}); remove the override or add the parameter to the file.`,
      });
    } else params[k] = v;
  }
  const names = new Set(pipeline.steps.map((s) => s.name));
  const skip = new Set(options.skip ?? []);
  for (const s of skip) {
    if (!names.has(s))
      issues.push({
        code: 'UNKNOWN_STEP',
        path: 'skip',
        message: `'${s}' is not a step of pipeline '${pipeline.name}' (its steps: ${[...names].join(', ')}); remove it from skip.`,
      });
  }
  const ordered = topologicalOrder(pipeline);
  const kept = new Set(ordered.filter((s) => !skip.has(s.name) && s.uses !== 'serve').map((s) => s.name));
  const steps: PlanStep[] = [];
  let gate: string | undefined;
  let register: CloudPlan['register'];
  let deploy: CloudPlan['deploy'];
  const skipped: { name: string; uses: StepKind }[] = [];
  const usedInputs = new Set<string>();
  /** Step → its guards (kept drift steps it depends on, transitively). */
  const guards = new Map<string, PlanGuard[]>();
  const guardsOf = (step: Step): PlanGuard[] => {
    const out: PlanGuard[] = [];
    const add = (g: PlanGuard): void => {
      if (!out.some((x) => x.step === g.step)) out.push(g);
    };
    for (const d of dependencies(step)) {
      if (!kept.has(d)) continue;
      const dep = ordered.find((s) => s.name === d)!;
      if (dep.uses === GUARD_KIND) add({ step: d, output: 'proceed' });
      for (const g of guards.get(d) ?? []) add(g);
    }
    const order = ordered.map((s) => s.name);
    return out.sort((a, b) => order.indexOf(a.step) - order.indexOf(b.step));
  };

  ordered.forEach((step) => {
    guards.set(step.name, guardsOf(step));
    const at = `steps[${pipeline.steps.indexOf(step)}]`;
    if (skip.has(step.name)) {
      skipped.push({ name: step.name, uses: step.uses });
      return;
    }
    for (const field of ['inputs', 'params'] as const) {
      for (const [k, v] of Object.entries(step[field])) {
        if (references(v).some((r) => r.startsWith('env.')))
          issues.push({
            code: 'BAD_REFERENCE',
            path: `${at}.${field}.${k}`,
            message: `step '${step.name}' reads \${env.…}, which ${options.target} cannot provide: the step runs in the engine, not where you synthesize. Use a pipeline parameter (\${params.<name>}) instead.`,
          });
      }
    }
    if (step.uses === 'serve') {
      const model = step.inputs.model;
      if (typeof model !== 'string' || !/^models:\/[^@/]+@champion$/.test(model))
        issues.push({
          code: 'BAD_PIPELINE',
          path: `${at}.inputs.model`,
          message: `step '${step.name}' (serve) deploys ${JSON.stringify(model)}; on ${options.target} a serve step deploys the champion: use "models:/${pipeline.model ?? pipeline.name}@champion", or skip the step.`,
        });
      deploy = { step: step.name, after: dependencies(step).filter((d) => kept.has(d)), when: guards.get(step.name)! };
      return;
    }
    if (!isContainerKind(step.uses)) {
      issues.push({
        code: 'BAD_PIPELINE',
        path: `${at}.uses`,
        message: `step '${step.name}' (${step.uses}) cannot run on ${options.target}: it calls a server on the machine that runs the pipeline. Add '${step.name}' to the pipeline's skip list in the stack config (deployment.pipeline.skip), or remove the step.`,
      });
      return;
    }
    const inputs: Record<string, PlanSource | PlanSource[]> = {};
    let readsRegistry = REGISTRY_KINDS.includes(step.uses);
    const bind = (value: string, path: string): PlanSource | null | undefined => {
      const exact = /^\$\{\s*([^}]+?)\s*\}$/.exec(value);
      if (exact) {
        const parts = exact[1]!.split('.');
        if (parts[0] === 'inputs' && parts[1]) {
          usedInputs.add(parts[1]);
          return { from: 'input', input: parts[1] };
        }
        if (parts[0] === 'steps' && parts[1] && parts[3]) {
          if (skip.has(parts[1])) return null;
          return { from: 'step', step: parts[1], output: parts[3] };
        }
        if (parts[0] === 'params' && parts[1] && typeof params[parts[1]] === 'string') return bind(params[parts[1]] as string, path);
      }
      if (/^models:\//.test(value)) {
        readsRegistry = true;
        return { from: 'registry', uri: value };
      }
      issues.push({
        code: 'BAD_REFERENCE',
        path,
        message: `step '${step.name}' input ${JSON.stringify(value)} is a path; on ${options.target} step inputs are bound by the engine: declare it under the pipeline's inputs and use "\${inputs.<name>}", or use another step's output or a models:/ URI.`,
      });
      return undefined;
    };
    for (const [k, v] of Object.entries(step.inputs)) {
      if (Array.isArray(v)) {
        const list = v.map((x, i) => bind(x, `${at}.inputs.${k}[${i}]`)).filter((x): x is PlanSource => !!x);
        if (list.length) inputs[k] = list;
      } else {
        const bound = bind(v, `${at}.inputs.${k}`);
        if (bound) inputs[k] = bound;
      }
    }
    const outputs = Object.fromEntries(Object.entries({ ...STEP_OUTPUTS[step.uses], ...step.outputs }).map(([k, rel]) => [k, fileName(rel)]));
    const after = dependencies(step).filter((d) => kept.has(d));
    steps.push({
      name: step.name,
      uses: step.uses,
      after: ordered.map((s) => s.name).filter((n) => after.includes(n)),
      inputs,
      params: resolveParams(step.params, params) as Record<string, unknown>,
      outputs,
      readsRegistry,
      writesRegistry: step.uses === 'register',
      when: guards.get(step.name)!,
    });
    if (step.uses === 'gate') {
      if (gate)
        issues.push({
          code: 'BAD_PIPELINE',
          path: `${at}.uses`,
          message: `pipeline '${pipeline.name}' has two gate steps ('${gate}', '${step.name}'); ${options.target} runs one gate per pipeline.`,
        });
      gate = step.name;
    }
    if (step.uses === 'register') {
      const model = inputs.model;
      if (!model || Array.isArray(model)) issues.push({ code: 'BAD_PIPELINE', path: `${at}.inputs.model`, message: `step '${step.name}' (register) needs one model input.` });
      else if (register)
        issues.push({
          code: 'BAD_PIPELINE',
          path: `${at}.uses`,
          message: `pipeline '${pipeline.name}' has two register steps ('${register.step}', '${step.name}'); ${options.target} registers one model per run.`,
        });
      else register = { step: step.name, model };
    }
  });
  if (deploy && !register)
    issues.push({
      code: 'BAD_PIPELINE',
      path: `steps[${pipeline.steps.findIndex((s) => s.name === deploy!.step)}]`,
      message: `step '${deploy.step}' deploys the champion, but no register step makes one; add a register step before it.`,
    });
  if (issues.length) throw new PipelineError(`${source}: the pipeline cannot run on ${options.target}.`, issues);
  return {
    pipeline: pipeline.name,
    model: pipeline.model ?? pipeline.name,
    ...(pipeline.description !== undefined ? { description: pipeline.description } : {}),
    params,
    inputs: Object.fromEntries(Object.entries(pipeline.inputs).filter(([k]) => usedInputs.has(k))),
    steps,
    ...(gate ? { gate } : {}),
    ...(register ? { register } : {}),
    ...(deploy ? { deploy } : {}),
    skipped,
  };
}

/** The paths an engine gives a step: where each input is, where each output folder is, the registry folder. */
export interface StepBinding {
  /** Input name → path (a list for a list input) as the container sees it (may be an engine placeholder). */
  readonly inputs: Readonly<Record<string, string | readonly string[]>>;
  /** Output name → the output folder's path in the container (may be an engine placeholder); the output is written as its file name inside it. */
  readonly outputs: Readonly<Record<string, string>>;
  /**
   * Output name → the exact file path to write instead (may be an engine placeholder): for an output the
   * engine reads as a value file, e.g. the gate's `passed` as a Vertex AI (KFP) output parameter
   * (`{{$.outputs.parameters['passed'].output_file}}`). An output named here needs no folder in `outputs`.
   */
  readonly outputFiles?: Readonly<Record<string, string>>;
  /** The registry folder (`--root`), for steps that read or write it. */
  readonly registry?: string;
  /**
   * Guard name (the drift step) → the path of its `proceed` value file as the container sees it, or
   * the value itself (`true`/`false`, e.g. a KFP input parameter placeholder): one per entry of the
   * step's `when`, passed as `--when`.
   */
  readonly when?: Readonly<Record<string, string>>;
  /**
   * The KFP executor input placeholder (`{{$}}`), passed as `--executor-input`: the step then writes its
   * ExecutorOutput file (output parameter values; with `metricsArtifact` its metrics as that artifact's metadata).
   */
  readonly executorInput?: string;
  /** The step's `system.Metrics` output artifact (needs `executorInput`), passed as `--metrics-artifact`. */
  readonly metricsArtifact?: string;
}

/**
 * The container arguments of a plan step: `pipeline step --uses <kind> --name
 * <step> --model <model> --inputs <json> --params <json> --outputs <json>
 * [--root <registry>] [--when <guard> …]`, the image's entrypoint handing them to `mlops`. Each
 * output is written as its file or folder name inside its output folder, or
 * to the exact file the binding names in `outputFiles`. A `models:/` input is
 * passed as is and read under `--root`.
 */
export function stepArguments(plan: CloudPlan, step: PlanStep, binding: StepBinding): string[] {
  const inputs: Record<string, string | string[]> = {};
  for (const [k, src] of Object.entries(step.inputs)) {
    const given = binding.inputs[k];
    const one = (s: PlanSource, i?: number): string => {
      if (s.from === 'registry') return s.uri;
      const path = Array.isArray(given) ? given[i!] : given;
      if (typeof path !== 'string') throw new Error(`stepArguments: no path bound for input '${k}' of step '${step.name}'.`);
      return path;
    };
    inputs[k] = Array.isArray(src) ? (src as PlanSource[]).map((s, i) => one(s, i)) : one(src as PlanSource);
  }
  const outputs: Record<string, string> = {};
  for (const [k, file] of Object.entries(step.outputs)) {
    const exact = binding.outputFiles?.[k];
    const dir = binding.outputs[k];
    if (exact !== undefined) outputs[k] = exact;
    else if (dir !== undefined) outputs[k] = `${dir.replace(/\/+$/, '')}/${file}`;
    else throw new Error(`stepArguments: no folder (outputs) or file (outputFiles) bound for output '${k}' of step '${step.name}'.`);
  }
  for (const k of Object.keys(binding.outputFiles ?? {}))
    if (!(k in step.outputs))
      throw new Error(`stepArguments: step '${step.name}' (${step.uses}) has no output '${k}' (outputFiles); its outputs are ${Object.keys(step.outputs).join(', ')}.`);
  const args = [
    'pipeline',
    'step',
    '--uses',
    step.uses,
    '--name',
    step.name,
    '--model',
    plan.model,
    '--inputs',
    JSON.stringify(inputs),
    '--params',
    JSON.stringify(step.params),
    '--outputs',
    JSON.stringify(outputs),
  ];
  if (step.readsRegistry || step.writesRegistry) {
    if (!binding.registry) throw new Error(`stepArguments: step '${step.name}' (${step.uses}) needs the registry folder.`);
    args.push('--root', binding.registry);
  }
  for (const g of step.when) {
    const guard = binding.when?.[g.step];
    if (guard === undefined) throw new Error(`stepArguments: step '${step.name}' is guarded by '${g.step}' (its ${g.output}); bind its value file in binding.when.`);
    args.push('--when', guard);
  }
  if (binding.metricsArtifact !== undefined && binding.executorInput === undefined)
    throw new Error(`stepArguments: step '${step.name}': a metricsArtifact needs the executorInput placeholder.`);
  if (binding.executorInput !== undefined) args.push('--executor-input', binding.executorInput);
  if (binding.metricsArtifact !== undefined) args.push('--metrics-artifact', binding.metricsArtifact);
  for (const k of Object.keys(binding.when ?? {}))
    if (!step.when.some((g) => g.step === k))
      throw new Error(`stepArguments: step '${step.name}' is not guarded by '${k}' (binding.when); its guards are ${step.when.map((g) => g.step).join(', ') || 'none'}.`);
  return args;
}

/**
 * The container arguments of a batch scoring job: `pipeline step --uses
 * predict --name <name> --model <model> --inputs {"model", "data"} --outputs
 * {"predictions"}`: the model directory (or `models:/<model>@champion` read
 * under `registry`), the CSV file or folder to score, and the folder that
 * receives one predictions CSV per input CSV.
 */
export function batchArguments(
  model: string,
  binding: { readonly model: string; readonly data: string; readonly predictions: string; readonly registry?: string },
  name = 'batch',
): string[] {
  const args = [
    'pipeline',
    'step',
    '--uses',
    'predict',
    '--name',
    name,
    '--model',
    model,
    '--inputs',
    JSON.stringify({ model: binding.model, data: binding.data }),
    '--params',
    '{}',
    '--outputs',
    JSON.stringify({ predictions: binding.predictions }),
  ];
  if (binding.model.startsWith('models:/')) {
    if (!binding.registry) throw new Error('batchArguments: a models:/ model needs the registry folder.');
    args.push('--root', binding.registry);
  }
  return args;
}
