/**
 * Compiles a pipeline's cloud plan into a KFP v2 `PipelineSpec` (schema
 * 2.1.0), the JSON a Vertex AI PipelineJob runs (`pipeline_spec.proto` of
 * kubeflow/pipelines, `api/v2alpha1`; checked against it in
 * `test/gcp-pipeline.test.ts`). Pure: no construct, no Terraform.
 *
 * Shape (as the KFP compiler writes it, `test/fixtures/kfp/*.yaml`):
 * - each pipeline input is a root parameter `<input>` holding its
 *   `gs://<bucket>/<key>` URI (a run may override it), imported as an artifact
 *   by an `importer` task, so the data's URI is in the run's lineage;
 * - each plan step is one container task of the runtime image (by digest)
 *   whose args are the runtime's own `stepArguments`, with KFP placeholders
 *   for the artifact paths: Vertex AI mounts Cloud Storage with FUSE, so
 *   `{{$.inputs.artifacts['x'].path}}` is a local `/gcs/<bucket>/…` path;
 *   each output is one artifact folder holding the step's file or folder;
 * - the registry folder is `/gcs/<bucket>/<registryPrefix>` (`--root`);
 * - the gate step's `passed` output (the JSON literal true or false) is
 *   bound to a KFP output parameter file; the register step, the steps after it, the Model Registry
 *   upload, the endpoint deploy and the batch scoring run in the sub-DAG
 *   `condition-gate-passed`, whose `triggerPolicy.condition` is
 *   `passed == 'true'`, after a guard task that stops the younger of two
 *   overlapping runs;
 * - a step guarded by a drift step (`PlanStep.when`) runs in the sub-DAG
 *   `condition-drift-proceed`, whose `triggerPolicy.condition` is the drift
 *   task's `proceed` output parameter (a value file, like the gate's
 *   `passed`) `== 'true'`: when the drift step says skip, Vertex AI starts none
 *   of the guarded tasks (no custom job is billed) and the run succeeds. When
 *   the gate is guarded, `condition-gate-passed` is a task of that sub-DAG (a
 *   condition nested in a condition, as the KFP compiler nests `dsl.If`), and
 *   the channels its tasks read from the root pass through both. Nothing
 *   outside the sub-DAG reads or waits for a task inside it (the KFP compiler
 *   refuses such a dependency: "Tasks cannot depend on an upstream task inside
 *   a Condition that is not a common ancestor of both tasks",
 *   sdk/python/kfp/compiler/compiler_utils.py), so no task ever waits on a
 *   skipped one. Each guarded task still takes `proceed` as the input
 *   parameter `when-<drift task>` and passes its value to `--when`, the safety
 *   net (and the only skip for a plan `guardBranch` cannot wrap in one
 *   condition: then each guarded task starts and exits at once, its outputs in
 *   the skipped state, the gate's `passed` false).
 */
import { createHash } from 'crypto';
import { gateBranchSteps, guardBranch } from '../guard-branch';
import { CloudPlan, LoadedPlan, PlanSource, PlanStep } from '../pipeline-plan';
import { canonicalJson } from '../revision';
import { PROMOTE_SCRIPT } from './private/kfp-scripts';

/** The KFP schema version the spec declares (`pipeline_spec.proto`'s `schema_version`). */
export const KFP_SCHEMA_VERSION = '2.1.0';
/** The `sdkVersion` this compiler writes (not the KFP SDK: this library). */
export const KFP_SDK_VERSION = 'cdktf-mlops-1';
/** The condition sub-DAG's task name. */
export const CONDITION_TASK = 'condition-gate-passed';
/** The task name of the condition sub-DAG that holds the guarded tasks (run only when the drift steps say proceed). */
export const DRIFT_CONDITION_TASK = 'condition-drift-proceed';
/** The gate task's output parameter read by the condition. */
export const GATE_PASSED = 'passed';
/** The input parameter name prefix of a guard (`when-<drift task>`): the drift step's `proceed` value, which `--when` reads. */
export const GUARD_PARAM = 'when-';
/** Names of the tasks this compiler adds besides the plan's steps. */
export const EXTRA_TASKS = { guard: 'single-run-guard', upload: 'vertex-model-upload', deploy: 'endpoint-deploy', batch: 'batch-score', experiment: 'experiment-run' } as const;

/**
 * The `system.Metrics` output artifact of every step task: the step writes its metrics as the artifact's
 * metadata into its KFP ExecutorOutput file (`--executor-input`, the runtime's `pipeline/executor-output.ts`),
 * which the Pipelines run view shows and Vertex AI Experiments reads as the run's metrics.
 */
export const KFP_METRICS_ARTIFACT = 'mlops-metrics';
/** KFP's placeholder for the whole executor input (its `outputs.outputFile` is where the ExecutorOutput goes). */
const EXECUTOR_INPUT = '{{$}}';

/** Hex characters of the pipeline revision ({@link CompiledKfp.revision}). */
export const PIPELINE_REVISION_LENGTH = 12;

/** Serving facts of the runtime image on Vertex AI (as release/src/gcp uploads it). */
export const VERTEX_SERVING = { port: 8080, predictRoute: '/predict', healthRoute: '/health' } as const;

/** The Vertex AI model version upload of a run (the cloud registry registration). */
export interface KfpUploadSettings {
  /** `projects/<p>/locations/<r>/models/<id>`: the release's model, of which each run adds a version. */
  readonly model: string;
  readonly displayName: string;
  readonly description: string;
  /** The registry model name (`MLOPS_MODEL_NAME` of the serving container). */
  readonly modelName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly kmsKeyName: string;
}

/** The endpoint rollout of a run's model version. */
export interface KfpDeploySettings {
  /** `projects/<p>/locations/<r>/endpoints/<id>`. */
  readonly endpoint: string;
  readonly endpointName: string;
  readonly machineType: string;
  readonly accelerator?: { readonly type: string; readonly count: number };
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

/** What the compiler needs besides the plan. */
export interface KfpCompileOptions {
  /** The runtime image by digest. */
  readonly image: string;
  /** The artifact store's bucket. */
  readonly bucket: string;
  /** Pipeline input → object key in the bucket. */
  readonly inputs: Readonly<Record<string, string>>;
  /** The registry folder's prefix in the bucket (ends with `/`). */
  readonly registryPrefix: string;
  /** Project, region and service account of the promotion calls. */
  readonly project: string;
  readonly region: string;
  readonly serviceAccount: string;
  /** The `mlops_pipeline` label value of the pipeline's jobs (the guard lists them). */
  readonly pipelineLabel: string;
  /**
   * `pipelineInfo.name`: the pipeline's name on Vertex AI (its runs' `pipeline_job_events` log entries and
   * ML Metadata context carry it). Lowercase letters, digits and hyphens.
   * @default - the pipeline file's name (`kfpTaskName(plan.pipeline)`)
   */
  readonly pipelineName?: string;
  /**
   * Turns values known only at apply time (tokens) into stable text before the revision is hashed
   * (a construct resolves them to their Terraform references; a token's own text changes between synths).
   * @default - the spec as is
   */
  readonly stableForm?: (spec: Record<string, unknown>) => unknown;
  /** CPU, memory and accelerator of every step. */
  readonly resources?: KfpResources;
  /** Register a Model Registry version when the gate passed. @default - no upload (and no deploy) */
  readonly upload?: KfpUploadSettings;
  /** Deploy that version to the endpoint (needs `upload`). @default - no deploy */
  readonly deploy?: KfpDeploySettings;
  /** Score `input` into `output` (bucket prefixes) with the promoted model. @default - no batch task */
  readonly batch?: { readonly input: string; readonly output: string };
  /**
   * The Vertex AI experiment each run is recorded in (a root task `experiment-run` adds the run's context to it,
   * creating the experiment when missing): lowercase letters, digits and hyphens.
   * @default - runs are not recorded in an experiment
   */
  readonly experiment?: string;
  /** Minutes a promotion call waits for its operation. @default 90 */
  readonly operationTimeoutMinutes?: number;
  /** Base URLs of the promotion calls and their poll interval (loopback servers in tests). @default the regional Vertex AI API, the metadata server, 15 s */
  readonly endpoints?: { readonly api?: string; readonly metadata?: string; readonly pollMs?: number };
}

/** A container's resources as KFP writes them. */
export interface KfpResources {
  readonly resourceCpuLimit?: string;
  readonly resourceMemoryLimit?: string;
  readonly accelerator?: { readonly resourceType: string; readonly resourceCount: string };
}

type Json = Record<string, unknown>;

const ARTIFACT = (schemaTitle: string): Json => ({ artifactType: { schemaTitle, schemaVersion: '0.0.1' } });
/** KFP's placeholders (launcher_v2 replaces them as substrings). */
const inPath = (k: string): string => `{{$.inputs.artifacts['${k}'].path}}`;
const inUri = (k: string): string => `{{$.inputs.artifacts['${k}'].uri}}`;
const outPath = (k: string): string => `{{$.outputs.artifacts['${k}'].path}}`;
const inParam = (k: string): string => `{{$.inputs.parameters['${k}']}}`;
const outParamFile = (k: string): string => `{{$.outputs.parameters['${k}'].output_file}}`;
const JOB_NAME = '{{$.pipeline_job_name}}';
/** Keeps the runtime as root inside the Vertex AI task: the `/gcs` FUSE mount is root's (training-image/src/contracts/README.md). */
const TASK_ENV = [{ name: 'MLOPS_KEEP_ROOT', value: '1' }];

/** The artifact type of a step output or input file. */
function schemaOf(file: string, kindIsModel: boolean): string {
  if (kindIsModel) return 'system.Model';
  return /\.csv$/i.test(file) ? 'system.Dataset' : 'system.Artifact';
}

/** A KFP task name for a step name: lowercase letters, digits and hyphens. */
export function kfpTaskName(step: string): string {
  return step.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}

/** The plan's steps that run only when the gate passed: the register step and every step after it (by dependency). */
export const conditionalSteps = gateBranchSteps;

/** Problems that make a plan impossible to compile for Vertex AI (task name clashes), as messages. */
export function kfpPlanProblems(plan: CloudPlan, options: Pick<KfpCompileOptions, 'upload' | 'deploy' | 'experiment'>): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const reserved = new Set<string>([CONDITION_TASK, DRIFT_CONDITION_TASK, ...Object.values(EXTRA_TASKS), ...Object.keys(plan.inputs).map((i) => `importer-${kfpTaskName(i)}`)]);
  for (const s of plan.steps) {
    const t = kfpTaskName(s.name);
    if (seen.has(t))
      problems.push(`steps '${seen.get(t)}' and '${s.name}' both become the Vertex AI task '${t}'; rename one (task names are lowercase letters, digits and hyphens).`);
    else if (reserved.has(t)) problems.push(`step '${s.name}' becomes the Vertex AI task '${t}', a name the compiled pipeline uses itself; rename the step.`);
    seen.set(t, s.name);
    if (KFP_METRICS_ARTIFACT in s.outputs)
      problems.push(`step '${s.name}' has an output named '${KFP_METRICS_ARTIFACT}', the name of the metrics artifact every Vertex AI task gets; rename the output.`);
  }
  const inputNames = new Map<string, string>();
  for (const i of Object.keys(plan.inputs)) {
    const t = kfpTaskName(i);
    if (inputNames.has(t)) problems.push(`inputs '${inputNames.get(t)}' and '${i}' both become the Vertex AI parameter '${t}'; rename one.`);
    inputNames.set(t, i);
  }
  if (options.experiment !== undefined && !/^[a-z0-9][a-z0-9-]{0,127}$/.test(options.experiment))
    problems.push(`the Vertex AI experiment name ${JSON.stringify(options.experiment)} must be 1 to 128 lowercase letters, digits or hyphens, starting with a letter or digit.`);
  if (options.upload && plan.register && plan.register.model.from === 'registry')
    problems.push(
      `step '${plan.register.step}' registers ${plan.register.model.uri}; on Vertex AI the register step's model must be another step's output (the folder uploaded to the Model Registry).`,
    );
  return problems;
}

/** One DAG (the root or a condition's sub-DAG, which may sit in another's) being built. */
class Dag {
  readonly tasks: Record<string, Json> = {};
  /** Channel inputs of a sub-DAG: channel name → how the parent passes it. */
  readonly channels: Record<string, { kind: 'artifact' | 'parameter'; producer: string; key: string; schema?: string }> = {};
  /** Tasks outside a sub-DAG its tasks wait for or read from: its condition task waits for them. */
  readonly external = new Set<string>();
  constructor(
    readonly members: ReadonlySet<string>,
    readonly parentDag?: Dag,
  ) {}

  private local(producer: string): boolean {
    if (!this.parentDag || this.members.has(producer)) return true;
    this.external.add(producer);
    return false;
  }

  /** The task input spec of an artifact produced by task `producer` (output `key`). */
  artifactFrom(producer: string, key: string, schema: string): Json {
    if (this.local(producer)) return { taskOutputArtifact: { producerTask: producer, outputArtifactKey: key } };
    const channel = `pipelinechannel--${producer}-${key}`;
    this.channels[channel] = { kind: 'artifact', producer, key, schema };
    return { componentInputArtifact: channel };
  }

  parameterFrom(producer: string, key: string): Json {
    if (this.local(producer)) return { taskOutputParameter: { producerTask: producer, outputParameterKey: key } };
    const channel = `pipelinechannel--${producer}-${key}`;
    this.channels[channel] = { kind: 'parameter', producer, key };
    return { componentInputParameter: channel };
  }

  /** Dependencies inside this DAG (the others become its condition task's). */
  localDeps(producers: Iterable<string>): string[] {
    return [...new Set(producers)].filter((p) => this.local(p)).sort();
  }
}

/** The compiled spec and what the construct needs from the compile. */
export interface CompiledKfp {
  readonly spec: Json;
  /**
   * The pipeline revision: 12 hex of a sha256 over the spec's canonical JSON before the revision is written
   * into the upload task (which records it on each model version it uploads).
   */
  readonly revision: string;
  /** Task name of each plan step. */
  readonly tasks: Readonly<Record<string, string>>;
}

/**
 * Compiles `loaded`'s plan (see the module comment). Throws a plain Error
 * for a plan {@link kfpPlanProblems} refuses (the construct reports those
 * as config errors first).
 */
export function compilePipelineSpec(loaded: LoadedPlan, o: KfpCompileOptions): CompiledKfp {
  const plan = loaded.plan;
  const problems = kfpPlanProblems(plan, o);
  if (problems.length) throw new Error(problems.join(' '));
  const gcs = (key: string): string => `/gcs/${o.bucket}/${key.replace(/^\/+/, '')}`;
  const registry = gcs(o.registryPrefix).replace(/\/+$/, '');
  const components: Record<string, Json> = {};
  const executors: Record<string, Json> = {};
  const cond = conditionalSteps(plan);
  const stepOf = new Map(plan.steps.map((s) => [s.name, s]));
  const taskOf = (step: string): string => kfpTaskName(step);
  const condMembers = new Set<string>([...cond].map(taskOf));
  const hasCondition = cond.size > 0;
  const promote = hasCondition || plan.register ? o.upload : undefined;
  // The guarded tasks the drift condition holds (guard-branch.ts); without one, each guarded task starts and exits on --when.
  const guard = guardBranch(plan);
  const guardMembers = new Set<string>(guard ? guard.steps.filter((st) => !cond.has(st)).map(taskOf) : []);
  const promotionTasks = promote ? [EXTRA_TASKS.upload, ...(o.deploy ? [EXTRA_TASKS.deploy] : []), ...(o.batch ? [EXTRA_TASKS.batch] : [])] : [];
  if (promote && hasCondition) condMembers.add(EXTRA_TASKS.guard);
  for (const t of promotionTasks) condMembers.add(t);
  // Without a gate the promotion reads the register step directly: inside the drift condition when that step is guarded.
  if (!hasCondition && guard && plan.register && guard.steps.includes(plan.register.step)) for (const t of promotionTasks) guardMembers.add(t);
  const root = new Dag(new Set());
  const driftDag = guard ? new Dag(guardMembers, root) : undefined;
  const sub = hasCondition ? new Dag(condMembers, guard?.holdsGate ? driftDag : root) : undefined;
  const dagOf = (task: string): Dag => (sub && condMembers.has(task) ? sub : driftDag && guardMembers.has(task) ? driftDag : root);
  const container = (args: string[], extra: Json = {}): Json => ({
    image: o.image,
    ...extra,
    args,
    env: TASK_ENV,
    ...(o.resources && Object.keys(o.resources).length ? { resources: o.resources } : {}),
  });
  const promoteConfig = {
    api: o.endpoints?.api ?? `https://${o.region}-aiplatform.googleapis.com/v1`,
    metadata: o.endpoints?.metadata ?? 'http://metadata.google.internal',
    project: o.project,
    region: o.region,
    serviceAccount: o.serviceAccount,
    pipelineLabel: o.pipelineLabel,
    image: o.image,
    pollMs: o.endpoints?.pollMs ?? 15000,
    timeoutMinutes: o.operationTimeoutMinutes ?? 90,
    ...VERTEX_SERVING,
  };

  // Pipeline inputs: a root parameter with the gs:// URI, imported as an artifact.
  const rootParams: Record<string, Json> = {};
  const importerOf: Record<string, { task: string; schema: string }> = {};
  for (const input of Object.keys(plan.inputs)) {
    const key = o.inputs[input];
    if (key === undefined) throw new Error(`compilePipelineSpec: no artifact-store key for the pipeline input '${input}'.`);
    const param = kfpTaskName(input);
    const task = `importer-${param}`;
    const schema = schemaOf(key, false);
    rootParams[param] = { parameterType: 'STRING', defaultValue: `gs://${o.bucket}/${key}`, isOptional: true };
    components[`comp-${task}`] = {
      executorLabel: `exec-${task}`,
      inputDefinitions: { parameters: { uri: { parameterType: 'STRING' } } },
      outputDefinitions: { artifacts: { artifact: ARTIFACT(schema) } },
    };
    executors[`exec-${task}`] = { importer: { artifactUri: { runtimeParameter: 'uri' }, typeSchema: { schemaTitle: schema, schemaVersion: '0.0.1' } } };
    root.tasks[task] = {
      taskInfo: { name: task },
      componentRef: { name: `comp-${task}` },
      cachingOptions: {},
      inputs: { parameters: { uri: { componentInputParameter: param } } },
    };
    importerOf[input] = { task, schema };
  }

  /** The producer task, output key, schema and file name of a plan source (inputs and step outputs). */
  const producerOf = (src: PlanSource): { task: string; key: string; schema: string; file?: string } | undefined => {
    if (src.from === 'input') return { task: importerOf[src.input]!.task, key: 'artifact', schema: importerOf[src.input]!.schema };
    if (src.from === 'step') {
      const producer = stepOf.get(src.step)!;
      const file = producer.outputs[src.output]!;
      return { task: taskOf(src.step), key: src.output, schema: schemaOf(file, isModelOutput(producer, src.output)), file };
    }
    return undefined;
  };

  for (const step of plan.steps) {
    const task = taskOf(step.name);
    const dag = dagOf(task);
    const artifactDefs: Record<string, Json> = {};
    const taskArtifacts: Record<string, Json> = {};
    const producers: string[] = [];
    const bound: Record<string, string | string[]> = {};
    for (const [name, source] of Object.entries(step.inputs)) {
      const list = Array.isArray(source) ? (source as PlanSource[]) : [source as PlanSource];
      const paths = list.map((src, i) => {
        const p = producerOf(src);
        if (!p) return ''; // a models:/ URI: stepArguments passes it as is
        const key = Array.isArray(source) ? `${name}-${i}` : name;
        artifactDefs[key] = ARTIFACT(p.schema);
        taskArtifacts[key] = dag.artifactFrom(p.task, p.key, p.schema);
        producers.push(p.task);
        return p.file ? `${inPath(key)}/${p.file}` : inPath(key);
      });
      bound[name] = Array.isArray(source) ? paths : paths[0]!;
    }
    const isGate = step.name === plan.gate;
    // Value files (the JSON literal true or false) are KFP output parameters: the gate's `passed`, read by the
    // condition, and a drift step's `proceed`, read by the steps it guards.
    const isParameter = (k: string): boolean => (isGate && k === GATE_PASSED) || plan.steps.some((x) => x.when.some((g) => g.step === step.name && g.output === k));
    const parameterOutputs = Object.keys(step.outputs).filter(isParameter);
    const artifactOutputs = Object.entries(step.outputs).filter(([k]) => !isParameter(k));
    // Guards: each drift step's `proceed` as an input parameter, whose value `--when` reads.
    const guardParams: Record<string, Json> = {};
    const when: Record<string, string> = {};
    for (const g of step.when) {
      const key = `${GUARD_PARAM}${taskOf(g.step)}`;
      guardParams[key] = dag.parameterFrom(taskOf(g.step), g.output);
      producers.push(taskOf(g.step));
      when[g.step] = inParam(key);
    }
    const args = loaded.stepArguments(step, {
      inputs: bound,
      outputs: Object.fromEntries(artifactOutputs.map(([k]) => [k, outPath(k)])),
      ...(parameterOutputs.length ? { outputFiles: Object.fromEntries(parameterOutputs.map((k) => [k, outParamFile(k)])) } : {}),
      ...(step.readsRegistry || step.writesRegistry ? { registry } : {}),
      ...(step.when.length ? { when } : {}),
      executorInput: EXECUTOR_INPUT,
      metricsArtifact: KFP_METRICS_ARTIFACT,
    });
    const outputArtifacts = {
      ...Object.fromEntries(artifactOutputs.map(([k, file]) => [k, ARTIFACT(schemaOf(file, isModelOutput(step, k)))])),
      [KFP_METRICS_ARTIFACT]: ARTIFACT('system.Metrics'),
    };
    const inputDefinitions = {
      ...(Object.keys(artifactDefs).length ? { artifacts: artifactDefs } : {}),
      ...(step.when.length ? { parameters: Object.fromEntries(Object.keys(guardParams).map((k) => [k, { parameterType: 'STRING' }])) } : {}),
    };
    components[`comp-${task}`] = {
      executorLabel: `exec-${task}`,
      ...(Object.keys(inputDefinitions).length ? { inputDefinitions } : {}),
      outputDefinitions: {
        artifacts: outputArtifacts,
        ...(parameterOutputs.length ? { parameters: Object.fromEntries(parameterOutputs.map((k) => [k, { parameterType: 'STRING' }])) } : {}),
      },
    };
    executors[`exec-${task}`] = {
      container: container(args),
    };
    const deps = [...producers, ...step.after.map(taskOf)];
    const local = dag.localDeps(deps);
    dag.tasks[task] = {
      taskInfo: { name: step.name },
      componentRef: { name: `comp-${task}` },
      ...(local.length ? { dependentTasks: local } : {}),
      // No step caching: a scheduled run must see new data behind the same URI, and gate/register change the registry.
      cachingOptions: {},
      ...(Object.keys(taskArtifacts).length || step.when.length
        ? { inputs: { ...(Object.keys(taskArtifacts).length ? { artifacts: taskArtifacts } : {}), ...(step.when.length ? { parameters: guardParams } : {}) } }
        : {}),
    };
  }

  // The promotion: guard, Model Registry upload, endpoint deploy, batch scoring.
  if (promote) {
    const dag = dagOf(EXTRA_TASKS.upload);
    const reg = plan.register!;
    const registerTask = taskOf(reg.step);
    const afterRegister = [registerTask];
    const promoteCommand = { command: ['node', '-e', PROMOTE_SCRIPT] };
    if (sub) {
      components[`comp-${EXTRA_TASKS.guard}`] = { executorLabel: `exec-${EXTRA_TASKS.guard}` };
      executors[`exec-${EXTRA_TASKS.guard}`] = { container: container(['guard', JSON.stringify(promoteConfig), JOB_NAME], promoteCommand) };
      sub.tasks[EXTRA_TASKS.guard] = { taskInfo: { name: EXTRA_TASKS.guard }, componentRef: { name: `comp-${EXTRA_TASKS.guard}` }, cachingOptions: {} };
      // Nothing in the branch starts before the guard.
      for (const [name, t] of Object.entries(sub.tasks)) {
        if (name === EXTRA_TASKS.guard) continue;
        t.dependentTasks = [...new Set([...((t.dependentTasks as string[] | undefined) ?? []), EXTRA_TASKS.guard])].sort();
      }
    }
    const model = producerOf(reg.model)!;
    const modelArtifact = (d: Dag): Json => ({ model: d.artifactFrom(model.task, model.key, model.schema) });
    const modelDir = model.file ? `${inUri('model')}/${model.file}` : inUri('model');
    /** The same folder on the task's /gcs mount: the upload reads the model's data fingerprint from it. */
    const modelPath = model.file ? `${inPath('model')}/${model.file}` : inPath('model');
    const uploadConfig = { ...promoteConfig, ...o.upload! };
    components[`comp-${EXTRA_TASKS.upload}`] = {
      executorLabel: `exec-${EXTRA_TASKS.upload}`,
      inputDefinitions: { artifacts: { model: ARTIFACT(model.schema) } },
      outputDefinitions: { parameters: { model_version: { parameterType: 'STRING' } } },
    };
    executors[`exec-${EXTRA_TASKS.upload}`] = {
      container: container(['upload', JSON.stringify(uploadConfig), modelDir, modelPath, JOB_NAME, outParamFile('model_version')], promoteCommand),
    };
    dag.tasks[EXTRA_TASKS.upload] = {
      taskInfo: { name: EXTRA_TASKS.upload },
      componentRef: { name: `comp-${EXTRA_TASKS.upload}` },
      dependentTasks: dag.localDeps([...afterRegister, model.task, ...(sub ? [EXTRA_TASKS.guard] : [])]),
      cachingOptions: {},
      inputs: { artifacts: modelArtifact(dag) },
    };
    let last = EXTRA_TASKS.upload as string;
    if (o.deploy) {
      const deployConfig = { ...promoteConfig, model: o.upload!.model, ...o.deploy };
      components[`comp-${EXTRA_TASKS.deploy}`] = {
        executorLabel: `exec-${EXTRA_TASKS.deploy}`,
        inputDefinitions: { parameters: { model_version: { parameterType: 'STRING' } } },
      };
      executors[`exec-${EXTRA_TASKS.deploy}`] = { container: container(['deploy', JSON.stringify(deployConfig), inParam('model_version'), JOB_NAME], promoteCommand) };
      dag.tasks[EXTRA_TASKS.deploy] = {
        taskInfo: { name: EXTRA_TASKS.deploy },
        componentRef: { name: `comp-${EXTRA_TASKS.deploy}` },
        dependentTasks: [EXTRA_TASKS.upload],
        cachingOptions: {},
        inputs: { parameters: { model_version: { taskOutputParameter: { producerTask: EXTRA_TASKS.upload, outputParameterKey: 'model_version' } } } },
      };
      last = EXTRA_TASKS.deploy;
    }
    if (o.batch) {
      const args = loaded.batchArguments({
        model: model.file ? `${inPath('model')}/${model.file}` : inPath('model'),
        data: gcs(o.batch.input),
        predictions: gcs(o.batch.output).replace(/\/+$/, ''),
      });
      components[`comp-${EXTRA_TASKS.batch}`] = { executorLabel: `exec-${EXTRA_TASKS.batch}`, inputDefinitions: { artifacts: { model: ARTIFACT(model.schema) } } };
      executors[`exec-${EXTRA_TASKS.batch}`] = { container: container(args) };
      dag.tasks[EXTRA_TASKS.batch] = {
        taskInfo: { name: EXTRA_TASKS.batch },
        componentRef: { name: `comp-${EXTRA_TASKS.batch}` },
        dependentTasks: dag.localDeps([last, model.task]),
        cachingOptions: {},
        inputs: { artifacts: modelArtifact(dag) },
      };
    }
  }

  // The run in the release's Vertex AI experiment: a root task with no dependencies (it never fails the run).
  if (o.experiment) {
    components[`comp-${EXTRA_TASKS.experiment}`] = { executorLabel: `exec-${EXTRA_TASKS.experiment}` };
    executors[`exec-${EXTRA_TASKS.experiment}`] = {
      container: container(['experiment', JSON.stringify({ ...promoteConfig, experiment: o.experiment }), JOB_NAME], { command: ['node', '-e', PROMOTE_SCRIPT] }),
    };
    root.tasks[EXTRA_TASKS.experiment] = { taskInfo: { name: EXTRA_TASKS.experiment }, componentRef: { name: `comp-${EXTRA_TASKS.experiment}` }, cachingOptions: {} };
  }

  /**
   * A condition task in `parent` running the sub-DAG `dag` when every `tests` parameter (a value file's
   * `true`/`false`) is 'true'; the outputs its tasks read from outside come in as channels, passed on
   * through `parent`'s own channels when `parent` is itself a sub-DAG (as the KFP compiler nests `dsl.If`).
   */
  const conditionTask = (name: string, dag: Dag, parent: Dag, tests: readonly { producer: string; key: string }[]): void => {
    const artifacts: Record<string, Json> = {};
    const artifactDefs: Record<string, Json> = {};
    const parameters: Record<string, Json> = {};
    const parameterDefs: Record<string, Json> = {};
    for (const [channel, c] of Object.entries(dag.channels)) {
      if (c.kind === 'artifact') {
        artifacts[channel] = parent.artifactFrom(c.producer, c.key, c.schema!);
        artifactDefs[channel] = ARTIFACT(c.schema!);
      } else {
        parameters[channel] = parent.parameterFrom(c.producer, c.key);
        parameterDefs[channel] = { parameterType: 'STRING' };
      }
    }
    const conditions = tests.map((t) => {
      const channel = `pipelinechannel--${t.producer}-${t.key}`;
      parameters[channel] = parent.parameterFrom(t.producer, t.key);
      parameterDefs[channel] = { parameterType: 'STRING' };
      return `inputs.parameter_values['${channel}'] == 'true'`;
    });
    components[`comp-${name}`] = {
      dag: { tasks: dag.tasks },
      inputDefinitions: { ...(Object.keys(artifactDefs).length ? { artifacts: artifactDefs } : {}), parameters: parameterDefs },
    };
    const deps = parent.localDeps([...dag.external, ...tests.map((t) => t.producer)]);
    parent.tasks[name] = {
      taskInfo: { name },
      componentRef: { name: `comp-${name}` },
      ...(deps.length ? { dependentTasks: deps } : {}),
      inputs: { ...(Object.keys(artifacts).length ? { artifacts } : {}), parameters },
      triggerPolicy: { condition: conditions.join(' && ') },
    };
  };
  // The gate's condition first (inside the drift condition when the gate is guarded, so its channels pass through it).
  if (sub) conditionTask(CONDITION_TASK, sub, sub.parentDag!, [{ producer: taskOf(plan.gate!), key: GATE_PASSED }]);
  if (driftDag && guard)
    conditionTask(
      DRIFT_CONDITION_TASK,
      driftDag,
      root,
      guard.guards.map((g) => ({ producer: taskOf(g.step), key: g.output })),
    );

  const spec: Json = {
    pipelineInfo: { name: o.pipelineName ?? kfpTaskName(plan.pipeline), ...(plan.description ? { description: plan.description.slice(0, 2000) } : {}) },
    schemaVersion: KFP_SCHEMA_VERSION,
    sdkVersion: KFP_SDK_VERSION,
    root: { dag: { tasks: root.tasks }, ...(Object.keys(rootParams).length ? { inputDefinitions: { parameters: rootParams } } : {}) },
    components: sortKeys(components),
    deploymentSpec: { executors: sortKeys(executors) },
  };
  // The revision covers everything the spec runs; the upload task records it on the model version it uploads.
  const revision = createHash('sha256')
    .update(canonicalJson(o.stableForm ? o.stableForm(spec) : spec))
    .digest('hex')
    .slice(0, PIPELINE_REVISION_LENGTH);
  const upload = executors[`exec-${EXTRA_TASKS.upload}`] as { container: { args: string[] } } | undefined;
  if (upload) upload.container.args[1] = JSON.stringify({ ...JSON.parse(upload.container.args[1]!), pipelineRevision: revision });
  return { spec, revision, tasks: Object.fromEntries(plan.steps.map((s) => [s.name, taskOf(s.name)])) };
}

/** True when a step's output is a model folder (`train`/`forecast`/`select` `model`). */
function isModelOutput(step: PlanStep, output: string): boolean {
  return output === 'model' && ['train', 'forecast', 'select'].includes(step.uses);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Machine type → KFP container resources (vCPUs and memory of the standard families; accelerators as given). */
export function kfpResourcesOf(machineType: string, accelerator?: { type: string; count: number }): KfpResources {
  const m = /^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  const perCpu: Record<string, number> = { standard: 4, highmem: 8, highcpu: 1 };
  const family = m?.[1];
  const kind = m?.[2];
  const cpus = m ? Number(m[3]) : undefined;
  const gbPerCpu = kind ? (family === 'n1' ? { standard: 3.75, highmem: 6.5, highcpu: 0.9 }[kind]! : perCpu[kind]!) : undefined;
  return {
    ...(cpus ? { resourceCpuLimit: String(cpus) } : {}),
    ...(cpus && gbPerCpu ? { resourceMemoryLimit: `${Math.floor(cpus * gbPerCpu)}G` } : {}),
    ...(accelerator ? { accelerator: { resourceType: accelerator.type, resourceCount: String(accelerator.count) } } : {}),
  };
}
