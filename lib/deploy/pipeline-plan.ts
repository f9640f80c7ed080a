/**
 * The cloud plan of a pipeline file, as the construct library reads it: the
 * third contract between the packages (ARCHITECTURE.md). The runtime
 * (`@cdktf-mlops/runtime`, `src/pipeline/plan.ts`) parses the pipeline file
 * with the parser `mlops pipeline run` uses and builds the plan; this module
 * loads that code, checks what it returns against {@link CloudPlanSchema}
 * (the shape the compilers rely on), and turns its problems into config
 * errors. `test/pipeline-plan-contract.test.ts` runs every example pipeline
 * through both.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { ErrorCode, MlopsValidationError } from '../core/errors';

/** Where a step input comes from (the shape). */
export const PlanSourceSchema = z.union([
  z.object({ from: z.literal('input'), input: z.string() }).strict(),
  z.object({ from: z.literal('step'), step: z.string(), output: z.string() }).strict(),
  z.object({ from: z.literal('registry'), uri: z.string() }).strict(),
]);

/** The step kinds a cloud engine runs as container tasks (the runtime's CLOUD_CONTAINER_KINDS). */
export const PLAN_STEP_KINDS = ['validate', 'split', 'drift', 'train', 'forecast', 'evaluate', 'select', 'gate', 'register', 'predict', 'report'] as const;

/** A guard of a step (the runtime's `PlanGuard`): the drift step whose `proceed` value file decides whether the step runs. */
export const PlanGuardSchema = z.object({ step: z.string(), output: z.literal('proceed') }).strict();

/** A plan guard. */
export type PlanGuard = z.infer<typeof PlanGuardSchema>;

const step = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/),
    uses: z.enum(PLAN_STEP_KINDS),
    after: z.array(z.string()),
    inputs: z.record(z.string(), z.union([PlanSourceSchema, z.array(PlanSourceSchema)])),
    params: z.record(z.string(), z.unknown()),
    outputs: z.record(z.string(), z.string().min(1)),
    readsRegistry: z.boolean(),
    writesRegistry: z.boolean(),
    /** The drift steps whose `proceed` must be true for the step to run (empty: always runs); `stepArguments` passes each as `--when`. */
    when: z.array(PlanGuardSchema),
  })
  .strict();

/** The plan's shape (the runtime's `CloudPlan`). */
export const CloudPlanSchema = z
  .object({
    pipeline: z.string(),
    model: z.string(),
    description: z.string().optional(),
    params: z.record(z.string(), z.unknown()),
    inputs: z.record(z.string(), z.string()),
    steps: z.array(step).min(1),
    gate: z.string().optional(),
    register: z.object({ step: z.string(), model: PlanSourceSchema }).strict().optional(),
    deploy: z
      .object({ step: z.string(), after: z.array(z.string()), when: z.array(PlanGuardSchema) })
      .strict()
      .optional(),
    skipped: z.array(z.object({ name: z.string(), uses: z.string() }).strict()),
  })
  .strict();

/** What a managed engine runs for a pipeline file. */
export type CloudPlan = z.infer<typeof CloudPlanSchema>;
/** One container step of a plan. */
export type PlanStep = CloudPlan['steps'][number];
/** Where a step input comes from. */
export type PlanSource = z.infer<typeof PlanSourceSchema>;

/** The paths an engine gives a step (the runtime's `StepBinding`). */
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
   * Guard (drift step name) → the path of its `proceed` value file in the container, or the value itself
   * (`true`/`false`, e.g. a KFP input parameter placeholder): one for each entry of the step's `when`.
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

/** A loaded plan with the runtime's argument builder for its steps. */
export interface LoadedPlan {
  /** The plan. */
  readonly plan: CloudPlan;
  /** The pipeline file (absolute). */
  readonly file: string;
  /** The container arguments of a step (`pipeline step --uses … --inputs … --params … --outputs …`). */
  stepArguments(step: PlanStep, binding: StepBinding): string[];
  /**
   * The container arguments of a batch scoring job (`pipeline step --uses predict`): `model` a model folder
   * or `models:/<model>@champion` (read under `registry`), `data` a CSV file or folder, `predictions` the
   * folder that receives one predictions CSV per input CSV.
   */
  batchArguments(binding: BatchBinding): string[];
}

/** The paths a batch scoring job gets. */
export interface BatchBinding {
  /** The model folder, or `models:/<model>@champion` (read under `registry`). */
  readonly model: string;
  /** The CSV file or folder to score. */
  readonly data: string;
  /** The folder that receives one predictions CSV per input CSV. */
  readonly predictions: string;
  /** The registry folder, for a `models:/` model. */
  readonly registry?: string;
}

interface RuntimePlanModule {
  planForCloud(pipeline: unknown, options: { target: string; params?: Record<string, unknown>; skip?: readonly string[]; source?: string }): unknown;
  stepArguments(plan: unknown, step: unknown, binding: StepBinding): string[];
  batchArguments(model: string, binding: BatchBinding): string[];
}
interface RuntimeSchemaModule {
  parsePipeline(text: string, source?: string): unknown;
}

const RUNTIME = '@cdktf-mlops/runtime';

function loadRuntime(): { plan: RuntimePlanModule; schema: RuntimeSchemaModule } {
  try {
    return {
      plan: require(`${RUNTIME}/dist/src/pipeline/plan`) as RuntimePlanModule,
      schema: require(`${RUNTIME}/dist/src/pipeline/schema`) as RuntimeSchemaModule,
    };
  } catch (e) {
    throw new MlopsValidationError('Missing peer dependency:', [
      {
        code: ErrorCode.MISSING_PEER,
        path: 'deployment.pipeline',
        message: `compiling a pipeline needs the package ${RUNTIME} (its pipeline parser), built: ${(e as Error).message.split('\n')[0]}. Fix: npm install ${RUNTIME} (in a clone of cdktf-mlops: npm run build)`,
      },
    ]);
  }
}

/** Options of {@link loadCloudPlan}. */
export interface LoadCloudPlanOptions {
  /** The engine and cloud, for messages: `SageMaker Pipelines (aws)`. */
  readonly target: string;
  /** Parameter overrides. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Steps to leave out. */
  readonly skip?: readonly string[];
  /** The config path of the pipeline section, for messages. @default 'deployment.pipeline' */
  readonly configPath?: string;
}

/**
 * Reads a pipeline file and builds its cloud plan with the runtime's own
 * parser; every problem (a missing or invalid file, a step the cloud cannot
 * run) is one `MlopsValidationError` naming the file, the step and the fix.
 */
export function loadCloudPlan(file: string, options: LoadCloudPlanOptions): LoadedPlan {
  const at = options.configPath ?? 'deployment.pipeline';
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new MlopsValidationError('Invalid pipeline:', [
      {
        code: ErrorCode.CONFIG_INVALID,
        path: `${at}.file`,
        message: `cannot read ${abs} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Fix: give the path of a pipeline YAML file from the project root, e.g. examples/demand-forecast/pipeline.yaml.`,
      },
    ]);
  }
  const runtime = loadRuntime();
  let raw: unknown;
  try {
    const parsed = runtime.schema.parsePipeline(text, abs);
    raw = runtime.plan.planForCloud(parsed, { target: options.target, params: options.params ? { ...options.params } : undefined, skip: options.skip, source: abs });
  } catch (e) {
    const issues = (e as { issues?: readonly { code: string; path: string; message: string }[] }).issues;
    throw new MlopsValidationError(`Invalid pipeline ${abs} for ${options.target}:`, [
      ...(issues?.length
        ? issues.map((i) => ({ code: ErrorCode.CONFIG_INVALID, path: `${at}.file: ${i.path}`, message: `[${i.code}] ${i.message}` }))
        : [{ code: ErrorCode.CONFIG_INVALID, path: `${at}.file`, message: (e as Error).message }]),
    ]);
  }
  const checked = CloudPlanSchema.safeParse(raw);
  if (!checked.success) {
    throw new MlopsValidationError(`The runtime's plan of ${abs} does not have the shape this library compiles:`, [
      {
        code: ErrorCode.PROP_INVALID,
        path: `${at}.file`,
        message: `${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}. Fix: install matching versions of cdktf-mlops and ${RUNTIME}.`,
      },
    ]);
  }
  const plan = checked.data;
  return {
    plan,
    file: abs,
    stepArguments: (s, binding) => runtime.plan.stepArguments(plan, s, binding),
    batchArguments: (binding) => runtime.plan.batchArguments(plan.model, binding),
  };
}
