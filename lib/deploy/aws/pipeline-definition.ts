/**
 * The SageMaker pipeline definition (JSON, Version 2020-12-01) of a cloud
 * plan: pure functions, no constructs, so tests compile and check a
 * definition without a stack.
 *
 * Layout per step (one Processing job of the runtime image each):
 * - each input is a `ProcessingInput` under `/opt/ml/processing/input/<input>`
 *   (a list input: `<input>-<i>`): a pipeline input from the artifact store,
 *   or an earlier step's output (`Get Steps.<s>.ProcessingOutputConfig.Outputs['<o>'].S3Output.S3Uri`);
 * - each output is a folder `/opt/ml/processing/output/<output>` uploaded to
 *   `s3://<bucket>/<runsPrefix><execution id>/<step>/<output>` (the step writes
 *   its file or folder inside it, as `stepArguments` says);
 * - the registry folder (`--root`): `s3://<bucket>/<registryPrefix>registry/`
 *   is copied into `<root>/registry` for steps that read it; the register step
 *   reads a copy (SageMaker refuses the same path as input and output) and
 *   uploads `<root>/registry` back.
 * A step guarded by a drift step (`PlanStep.when`) runs in the if-branch of
 * the Condition step `mlops-drift-proceed`, which reads the drift step's
 * `drift.json` (a PropertyFile, `Std:JsonGet` of `proceed`): when the drift
 * step says skip, SageMaker starts none of the guarded jobs (none is billed)
 * and the execution succeeds. Each guarded step still reads the drift step's
 * `proceed` folder as the input `mlops-when-<drift step>` and gets `--when` on
 * it, the safety net (and the only skip for a plan `guardBranch` cannot wrap
 * in one Condition: then every guarded job starts and exits at once, its
 * outputs in the skipped state, the gate's decision `passed: false`). When the
 * gate is guarded, the gate Condition below is itself a step of the drift
 * Condition's if-branch (nested Conditions: the SageMaker Python SDK's
 * `PipelineGraph` walks `if_steps` recursively, each child depending on its
 * Condition; src/sagemaker/workflow/pipeline.py).
 * The gate is a Condition step on the gate's `decision.json` (a PropertyFile
 * read with `Std:JsonGet`); the register step, every step that depends on it,
 * the model package registration and post-promotion batch scoring are its
 * if-branch; its else-branch is empty (a rejected challenger ends the run
 * successfully, having registered nothing).
 */
import { createHash } from 'crypto';
import { gateBranchSteps, guardBranch } from '../guard-branch';
import type { CloudPlan, LoadedPlan, PlanSource, PlanStep } from '../pipeline-plan';
import { AWS_STEP_TRACKING_ENV } from '../../aws/perms';

/** The pipeline definition schema version SageMaker accepts. */
export const SAGEMAKER_PIPELINE_VERSION = '2020-12-01';
/** Where a Processing job's files are in the container. */
export const PROCESSING_ROOT = '/opt/ml/processing';
/** The registry root (`--root`) of the steps that read or write it. */
export const REGISTRY_ROOT = `${PROCESSING_ROOT}/mlops-root`;
/** Where the register step's read-only copy of the registry lands before it is copied under {@link REGISTRY_ROOT}. */
export const REGISTRY_COPY = `${PROCESSING_ROOT}/mlops-registry-in`;
/**
 * The runtime image's entrypoint (training-image/Dockerfile `ENTRYPOINT`):
 * every step passes its arguments to it, as the image does by default.
 * `test/deploy-aws-pipeline.test.ts` checks it against the Dockerfile.
 */
export const RUNTIME_ENTRYPOINT = ['node', '/opt/mlops/docker/entrypoint.js'] as const;
/** Names of the steps this compiler adds (a plan step of the same name is refused). */
export const ADDED_STEPS = { condition: 'mlops-gate-passed', drift: 'mlops-drift-proceed', registerModel: 'mlops-register-model', batch: 'mlops-batch-scoring' } as const;
/** The gate's property file name. */
export const DECISION_PROPERTY_FILE = 'Decision';
/** A drift step's property file name (its `drift.json` report, whose `proceed` the drift Condition reads). */
export const DRIFT_PROPERTY_FILE = 'DriftReport';
/** The processing input name prefix of a guard (`mlops-when-<drift step>`): the drift step's `proceed` output folder. */
const GUARD_CHANNEL = 'mlops-when-';
/** The processing input / output name of the registry folder. */
const REGISTRY_CHANNEL = 'mlops-registry';
/** The customer metadata key that marks a model package registered by this pipeline (read by the deploy state machine). */
export const PIPELINE_METADATA_KEY = 'mlopsPipeline';
/**
 * The lineage a registered model version carries (RegisterModel `CustomerMetadataProperties`):
 * - `run`: the pipeline execution ARN (`Execution.PipelineExecutionArn`);
 * - `dataSha256`: the sha256 of the data the model was trained on, read at run time from
 *   the model directory's `fingerprint.json` (a property file of the step that produced the model);
 * - `input(<name>)`: the S3 URI of each pipeline input the run read;
 * - `image`: the runtime image by digest; `revision`: the pipeline revision ({@link pipelineRevision}).
 */
export const LINEAGE_KEYS = {
  model: 'mlops:model',
  image: 'mlops:image',
  run: 'mlops:run',
  dataSha256: 'mlops:data-sha256',
  revision: 'mlops:pipeline-revision',
  input: (name: string): string => `mlops:input:${name}`,
} as const;
/**
 * CreateModelPackage's limits on `CustomerMetadataProperties` (SageMaker API model
 * `CustomerMetadataMap`, `CustomerMetadataKey`, `CustomerMetadataValue`; botocore 1.43.11).
 */
export const CUSTOMER_METADATA_LIMITS = { maxEntries: 50, maxKey: 128, maxValue: 256, pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u } as const;
/** The model directory file with the training data's fingerprint (`training-image/src/artifacts/modeldir.ts` MODEL_FILES.fingerprint; a test checks they agree). */
export const MODEL_FINGERPRINT_FILE = 'fingerprint.json';
/** The property file of the registered model's fingerprint. */
export const FINGERPRINT_PROPERTY_FILE = 'ModelFingerprint';
/** The metadata value that stands for the revision while it is being computed (see {@link pipelineRevision}). */
const REVISION_PENDING = 'pending';

/**
 * CreateProcessingJob's limits on `Environment` (SageMaker API model
 * `ProcessingEnvironmentMap`: at most 100 entries; values at most 256
 * characters; botocore 1.43.11).
 */
export const PROCESSING_ENVIRONMENT_LIMITS = { maxEntries: 100, maxValue: 256 } as const;

/** What the definition needs besides the plan. */
export interface AwsDefinitionInput {
  readonly loaded: LoadedPlan;
  /** The pipeline's name (the release name). */
  readonly name: string;
  /** Runtime image by digest. */
  readonly image: string;
  /** Artifact bucket name (may be a token). */
  readonly bucket: string;
  /** Pipeline input → object key (or folder ending in `/`) in the bucket. */
  readonly inputs: Readonly<Record<string, string>>;
  /** `pipelines/<pipeline>/` (ends with `/`). */
  readonly registryPrefix: string;
  /** `pipelines/<pipeline>/runs/` (ends with `/`). */
  readonly runsPrefix: string;
  /** The role the processing jobs run as. */
  readonly roleArn: string;
  /** The platform key (outputs, volumes). */
  readonly kmsKeyArn: string;
  /** False for instance types with NVMe storage (SageMaker refuses a volume key). */
  readonly volumeKey: boolean;
  readonly instanceType: string;
  readonly maxRuntimeSeconds: number;
  readonly vpc?: { readonly subnetIds: readonly string[]; readonly securityGroupId: string };
  /** The model package group RegisterModel registers in. */
  readonly modelPackageGroup: string;
  /** Post-promotion batch scoring: input prefix and output prefix in the bucket. */
  readonly batch?: { readonly input: string; readonly output: string };
  /**
   * Resolves the definition's tokens to what Terraform will see (the stack's
   * `resolve`), for {@link pipelineRevision}.
   * @default - tokens are hashed as they are
   */
  readonly resolve?: (value: unknown) => unknown;
  /**
   * The SageMaker MLflow tracking server every step records its run on (in
   * the experiment `experiment`): the steps get {@link AWS_STEP_TRACKING_ENV}
   * and run without network isolation (their MLflow calls leave the container).
   * @default - no tracking; the steps run with network isolation
   */
  readonly tracking?: { readonly serverArn: string; readonly experiment: string };
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

const get = (expr: string): Json => ({ Get: expr });
const join = (values: Json[]): Json => ({ 'Std:Join': { On: '/', Values: values } });
const trimSlash = (p: string): string => p.replace(/\/+$/, '');
const stepOutputUri = (step: string, output: string): string => `Steps.${step}.ProcessingOutputConfig.Outputs['${output}'].S3Output.S3Uri`;

/**
 * The environment of a step that records its run on the tracking server
 * ({@link AWS_STEP_TRACKING_ENV}): the server, the experiment, and the
 * lineage its run carries (execution, revision, image, the S3 URIs of the
 * pipeline inputs the step reads as `inputUris`' keys).
 */
function trackingEnvironment(input: AwsDefinitionInput, revision: string, step: string, inputUris: Readonly<Record<string, string>>): Record<string, Json> {
  const t = input.tracking!;
  const E = AWS_STEP_TRACKING_ENV;
  const env: Record<string, Json> = {
    [E.trackingUri]: t.serverArn,
    [E.experiment]: t.experiment,
    [E.pipeline]: input.name,
    [E.executionArn]: get('Execution.PipelineExecutionArn'),
    [E.executionId]: get('Execution.PipelineExecutionId'),
    [E.revision]: revision,
    [E.image]: input.image,
  };
  if (Object.keys(inputUris).length) env[E.inputUris] = JSON.stringify(inputUris);
  const L = PROCESSING_ENVIRONMENT_LIMITS;
  const long = Object.entries(env).filter(([, v]) => typeof v === 'string' && fillTokens(v, 'b'.repeat(63)).length > L.maxValue);
  if (long.length)
    throw new Error(
      `AwsContinuousTraining: step '${step}' would get environment values longer than SageMaker's ${L.maxValue} characters (ProcessingEnvironmentMap) with a 63-character bucket name: ${long
        .map(([k, v]) => `${k} (${fillTokens(v as string, '<…>').slice(0, 120)})`)
        .join(', ')}; use shorter object keys in deployment.pipeline.inputs, or a shorter image repository name.`,
    );
  return env;
}

/** The Processing job arguments every step shares (resources, role, network, key, stopping condition, environment). */
function jobCommon(input: AwsDefinitionInput, tracking?: Record<string, Json>): Record<string, Json> {
  const cluster: Record<string, Json> = { InstanceCount: 1, InstanceType: input.instanceType, VolumeSizeInGB: 30 };
  if (input.volumeKey) cluster.VolumeKmsKeyId = input.kmsKeyArn;
  // Network isolation blocks every outbound call of the container: lifted only for a step that records its run on the tracking server.
  const network: Record<string, Json> = { EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: !tracking };
  if (input.vpc) network.VpcConfig = { SecurityGroupIds: [input.vpc.securityGroupId], Subnets: [...input.vpc.subnetIds] };
  return {
    // The mounts SageMaker creates under /opt/ml/processing are root's: the step runs as root (the image would drop to uid 1000).
    Environment: { MLOPS_KEEP_ROOT: '1', ...(tracking ?? {}) },
    NetworkConfig: network,
    ProcessingResources: { ClusterConfig: cluster },
    RoleArn: input.roleArn,
    StoppingCondition: { MaxRuntimeInSeconds: input.maxRuntimeSeconds },
  };
}

function s3Input(name: string, uri: Json, localPath: string): Json {
  return {
    InputName: name,
    S3Input: { LocalPath: localPath, S3CompressionType: 'None', S3DataDistributionType: 'FullyReplicated', S3DataType: 'S3Prefix', S3InputMode: 'File', S3Uri: uri },
  };
}

function s3Output(name: string, uri: Json, localPath: string): Json {
  return { OutputName: name, S3Output: { LocalPath: localPath, S3UploadMode: 'EndOfJob', S3Uri: uri } };
}

/** The registry folder's S3 URI. */
export function registryUri(bucket: string, registryPrefix: string): string {
  return `s3://${bucket}/${registryPrefix}registry/`;
}

/** One plan step as a Processing step. */
function processingStep(input: AwsDefinitionInput, plan: CloudPlan, step: PlanStep, revision: string): Record<string, Json> {
  const inputs: Json[] = [];
  const bound: Record<string, string | string[]> = {};
  /** The step's inputs that are pipeline inputs: input name → S3 URI (its run's lineage). */
  const inputUris: Record<string, string> = {};
  const byName = new Map(plan.steps.map((s) => [s.name, s]));
  const bind = (channel: string, src: PlanSource): string => {
    if (src.from === 'registry') return src.uri;
    const local = `${PROCESSING_ROOT}/input/${channel}`;
    if (src.from === 'input') {
      const key = input.inputs[src.input];
      if (key === undefined) throw new Error(`AwsContinuousTraining: no artifact-store key for pipeline input '${src.input}' (step '${step.name}').`);
      inputs.push(s3Input(channel, `s3://${input.bucket}/${key}`, local));
      return key.endsWith('/') ? local : `${local}/${key.split('/').pop()}`;
    }
    const producer = byName.get(src.step);
    const file = producer?.outputs[src.output];
    if (!producer || file === undefined) throw new Error(`AwsContinuousTraining: step '${step.name}' reads ${src.step}.${src.output}, which the plan does not have.`);
    inputs.push(s3Input(channel, get(stepOutputUri(src.step, src.output)), local));
    return `${local}/${file}`;
  };
  for (const [k, src] of Object.entries(step.inputs)) {
    bound[k] = Array.isArray(src) ? (src as PlanSource[]).map((s, i) => bind(`${k}-${i}`, s)) : bind(k, src as PlanSource);
    if (!Array.isArray(src) && (src as PlanSource).from === 'input') inputUris[k] = `s3://${input.bucket}/${input.inputs[(src as { input: string }).input]}`;
  }
  const outputs: Json[] = [];
  const outDirs: Record<string, string> = {};
  for (const o of Object.keys(step.outputs)) {
    const local = `${PROCESSING_ROOT}/output/${o}`;
    outDirs[o] = local;
    outputs.push(s3Output(o, join([`s3://${input.bucket}/${trimSlash(input.runsPrefix)}`, get('Execution.PipelineExecutionId'), step.name, o]), local));
  }
  const registry = registryUri(input.bucket, input.registryPrefix);
  let entrypoint: Json[] = [...RUNTIME_ENTRYPOINT];
  if (step.writesRegistry) {
    // SageMaker refuses one path as both input and output: read a copy, work on the output folder, upload it back.
    inputs.push(s3Input(REGISTRY_CHANNEL, registry, REGISTRY_COPY));
    outputs.push(s3Output(REGISTRY_CHANNEL, registry, `${REGISTRY_ROOT}/registry`));
    entrypoint = ['/bin/sh', '-c', `cp -R ${REGISTRY_COPY}/. ${REGISTRY_ROOT}/registry/ && exec ${RUNTIME_ENTRYPOINT.join(' ')} "$@"`, step.name];
  } else if (step.readsRegistry) {
    inputs.push(s3Input(REGISTRY_CHANNEL, registry, `${REGISTRY_ROOT}/registry`));
  }
  // Guards: each drift step's `proceed` folder is an input; the step runs only when its value file says true (`--when`).
  const when: Record<string, string> = {};
  for (const g of step.when) {
    const channel = `${GUARD_CHANNEL}${g.step}`;
    inputs.push(s3Input(channel, get(stepOutputUri(g.step, g.output)), `${PROCESSING_ROOT}/input/${channel}`));
    when[g.step] = `${PROCESSING_ROOT}/input/${channel}/${byName.get(g.step)!.outputs[g.output]}`;
  }
  const args = input.loaded.stepArguments(step, {
    inputs: bound,
    outputs: outDirs,
    registry: step.readsRegistry || step.writesRegistry ? REGISTRY_ROOT : undefined,
    ...(step.when.length ? { when } : {}),
  });
  const common = jobCommon(input, input.tracking ? trackingEnvironment(input, revision, step.name, inputUris) : undefined);
  const out: Record<string, Json> = {
    Name: step.name,
    Type: 'Processing',
    Arguments: {
      AppSpecification: { ContainerArguments: args, ContainerEntrypoint: entrypoint, ImageUri: input.image },
      ...common,
      ProcessingInputs: inputs,
      ProcessingOutputConfig: { KmsKeyId: input.kmsKeyArn, Outputs: outputs },
    },
  };
  // After its predecessors and its guards (whose proceed it reads), in plan order.
  const dependsOn = plan.steps.map((s) => s.name).filter((n) => step.after.includes(n) || step.when.some((g) => g.step === n));
  if (dependsOn.length) out.DependsOn = dependsOn;
  const propertyFiles: Json[] = [];
  if (step.name === plan.gate) {
    const file = step.outputs.decision ?? 'decision.json';
    propertyFiles.push({ FilePath: file, OutputName: 'decision', PropertyFileName: DECISION_PROPERTY_FILE });
  }
  if (guardBranch(plan)?.guards.some((g) => g.step === step.name)) {
    // The drift Condition reads the report's `proceed` (a JSON boolean).
    propertyFiles.push({ FilePath: step.outputs.report ?? 'drift.json', OutputName: 'report', PropertyFileName: DRIFT_PROPERTY_FILE });
  }
  const registered = plan.register?.model;
  if (registered?.from === 'step' && registered.step === step.name) {
    // The registered model's folder: its fingerprint.json names the training data's sha256 (read by RegisterModel).
    propertyFiles.push({ FilePath: `${step.outputs[registered.output]}/${MODEL_FINGERPRINT_FILE}`, OutputName: registered.output, PropertyFileName: FINGERPRINT_PROPERTY_FILE });
  }
  if (propertyFiles.length) out.PropertyFiles = propertyFiles;
  return out;
}

/** The post-promotion batch scoring step (or the one step of the batch pipeline). */
export function batchStep(input: AwsDefinitionInput, name: string, dependsOn: readonly string[], revision: string): Record<string, Json> {
  const batch = input.batch!;
  const dataLocal = `${PROCESSING_ROOT}/input/data`;
  const predictionsLocal = `${PROCESSING_ROOT}/output/predictions`;
  const args = input.loaded.batchArguments({ model: `models:/${input.loaded.plan.model}@champion`, data: dataLocal, predictions: predictionsLocal, registry: REGISTRY_ROOT });
  const out: Record<string, Json> = {
    Name: name,
    Type: 'Processing',
    Arguments: {
      AppSpecification: { ContainerArguments: args, ContainerEntrypoint: [...RUNTIME_ENTRYPOINT], ImageUri: input.image },
      ...jobCommon(input, input.tracking ? trackingEnvironment(input, revision, name, { data: `s3://${input.bucket}/${trimSlash(batch.input)}/` }) : undefined),
      ProcessingInputs: [
        s3Input('data', `s3://${input.bucket}/${trimSlash(batch.input)}/`, dataLocal),
        s3Input(REGISTRY_CHANNEL, registryUri(input.bucket, input.registryPrefix), `${REGISTRY_ROOT}/registry`),
      ],
      ProcessingOutputConfig: {
        KmsKeyId: input.kmsKeyArn,
        Outputs: [s3Output('predictions', join([`s3://${input.bucket}/${trimSlash(batch.output)}`, get('Execution.PipelineExecutionId')]), predictionsLocal)],
      },
    },
  };
  if (dependsOn.length) out.DependsOn = [...dependsOn];
  return out;
}

/** Terraform references in a string, replaced by `fill` (a bucket name resolved later is at most 63 characters). */
const fillTokens = (v: string, fill: string): string => v.replace(/\$\{[^}]*\}/g, fill);

/** The lineage metadata of a registered version (see {@link LINEAGE_KEYS}); the config's part checked against CreateModelPackage's limits. */
function lineageMetadata(input: AwsDefinitionInput, plan: CloudPlan, modelStep: string, revision: string): Record<string, Json> {
  const metadata: Record<string, Json> = {
    [PIPELINE_METADATA_KEY]: input.name,
    [LINEAGE_KEYS.model]: plan.model,
    [LINEAGE_KEYS.image]: input.image,
    [LINEAGE_KEYS.run]: get('Execution.PipelineExecutionArn'),
    [LINEAGE_KEYS.dataSha256]: { 'Std:JsonGet': { Path: 'sha256', PropertyFile: get(`Steps.${modelStep}.PropertyFiles.${FINGERPRINT_PROPERTY_FILE}`) } },
    [LINEAGE_KEYS.revision]: revision,
  };
  const fixed = Object.keys(metadata).length;
  const L = CUSTOMER_METADATA_LIMITS;
  const problems: string[] = [];
  const names = Object.keys(input.inputs).sort();
  if (fixed + names.length > L.maxEntries) {
    problems.push(
      `${names.length} pipeline inputs: SageMaker keeps at most ${L.maxEntries} metadata entries per model version, ${fixed} of them the platform's; map at most ${L.maxEntries - fixed} inputs in deployment.pipeline.inputs`,
    );
  }
  for (const name of names) {
    const key = LINEAGE_KEYS.input(name);
    const value = `s3://${input.bucket}/${input.inputs[name]}`;
    if (key.length > L.maxKey || !L.pattern.test(key)) {
      problems.push(`input '${name}': its key ${JSON.stringify(key)} must be at most ${L.maxKey} letters, digits, spaces or _.:/=+-@ (rename the input in the pipeline file)`);
    }
    if (fillTokens(value, 'b'.repeat(63)).length > L.maxValue || !L.pattern.test(fillTokens(value, 'b'))) {
      problems.push(
        `input '${name}': its URI ${JSON.stringify(fillTokens(value, '<bucket>'))} must be at most ${L.maxValue} letters, digits, spaces or _.:/=+-@ with a 63-character bucket name (use a shorter object key without other characters in deployment.pipeline.inputs)`,
      );
    }
    metadata[key] = value;
  }
  if (problems.length)
    throw new Error(`AwsContinuousTraining: the model version's lineage metadata (CustomerMetadataProperties) breaks SageMaker's limits: ${problems.join('; ')}.`);
  return metadata;
}

/** The RegisterModel step: the register step's model folder as an uncompressed model (ModelDataSource, S3Prefix), with its lineage. */
function registerModelStep(input: AwsDefinitionInput, plan: CloudPlan, revision: string): Record<string, Json> {
  const reg = plan.register!;
  const src = reg.model;
  if (src.from !== 'step') throw new Error(`AwsContinuousTraining: register step '${reg.step}' registers ${JSON.stringify(src)}; SageMaker registers a step's model output.`);
  const file = plan.steps.find((s) => s.name === src.step)!.outputs[src.output]!;
  return {
    Name: ADDED_STEPS.registerModel,
    Type: 'RegisterModel',
    DependsOn: [reg.step],
    Arguments: {
      CustomerMetadataProperties: lineageMetadata(input, plan, src.step, revision),
      InferenceSpecification: {
        Containers: [
          {
            Environment: { MLOPS_MODEL_NAME: plan.model },
            Image: input.image,
            ModelDataSource: { S3DataSource: { CompressionType: 'None', S3DataType: 'S3Prefix', S3Uri: join([get(stepOutputUri(src.step, src.output)), file, '']) } },
          },
        ],
        SupportedContentTypes: ['text/csv', 'application/json'],
        SupportedResponseMIMETypes: ['application/json', 'text/csv'],
      },
      ModelApprovalStatus: 'Approved',
      ModelPackageDescription: `Pipeline ${input.name} (${plan.pipeline}): model ${plan.model}, registered after its gate passed.`,
      ModelPackageGroupName: input.modelPackageGroup,
    },
  };
}

/** The steps that run only when the gate passed: the register step and every step that (transitively) depends on it. */
export const gatedSteps = gateBranchSteps;

/**
 * Compiles the plan to a SageMaker pipeline definition (keys in a fixed order:
 * see {@link stableJson}). A registered version's `mlops:pipeline-revision`
 * is {@link pipelineRevision} of this very definition.
 */
export function compileDefinition(input: AwsDefinitionInput): Record<string, Json> {
  return compilePipeline(input).definition;
}

/** {@link compileDefinition} with the revision it records, computed once (the revision compiles and resolves the whole definition). */
export function compilePipeline(input: AwsDefinitionInput): { readonly definition: Record<string, Json>; readonly revision: string } {
  const revision = definitionRevision(input);
  return { definition: compileWithRevision(input, revision), revision };
}

/** The revision of the definition {@link compileDefinition} compiles from `input`. */
export function definitionRevision(input: AwsDefinitionInput): string {
  return pipelineRevision(compileWithRevision(input, REVISION_PENDING), input.resolve);
}

/**
 * The pipeline revision: the first 16 hex characters of the sha256 of the
 * canonical definition (its tokens resolved to Terraform references), with
 * the revision itself left out (compiled with the placeholder `pending`). Two
 * deployments of the same definition have the same revision; any change to a
 * step, a parameter, the image or the inputs gives a new one.
 */
export function pipelineRevision(pendingDefinition: unknown, resolve: (value: unknown) => unknown = (v) => v): string {
  return createHash('sha256')
    .update(stableJson(resolve(pendingDefinition)))
    .digest('hex')
    .slice(0, 16);
}

function compileWithRevision(input: AwsDefinitionInput, revision: string): Record<string, Json> {
  const plan = input.loaded.plan;
  const taken = plan.steps.map((s) => s.name).filter((n) => (Object.values(ADDED_STEPS) as string[]).includes(n));
  if (taken.length) throw new Error(`AwsContinuousTraining: step name(s) ${taken.join(', ')} are reserved on SageMaker Pipelines; rename the step(s) in the pipeline file.`);
  const gated = gatedSteps(plan);
  // The guarded steps the drift Condition holds (see guard-branch.ts); without one, every guarded job starts and exits on --when.
  const guard = guardBranch(plan);
  const inGuard = new Set(guard?.steps ?? []);
  const top: Json[] = [];
  const guarded: Json[] = [];
  const branch: Json[] = [];
  for (const s of plan.steps) (gated.has(s.name) ? branch : inGuard.has(s.name) ? guarded : top).push(processingStep(input, plan, s, revision));
  if (plan.register) branch.push(registerModelStep(input, plan, revision));
  if (input.batch && plan.register) branch.push(batchStep(input, ADDED_STEPS.batch, [plan.register.step, ADDED_STEPS.registerModel], revision));
  const promotion: Json[] =
    plan.gate && branch.length
      ? [
          {
            Name: ADDED_STEPS.condition,
            Type: 'Condition',
            Arguments: {
              Conditions: [
                {
                  LeftValue: { 'Std:JsonGet': { Path: 'passed', PropertyFile: get(`Steps.${plan.gate}.PropertyFiles.${DECISION_PROPERTY_FILE}`) } },
                  RightValue: true,
                  Type: 'Equals',
                },
              ],
              ElseSteps: [],
              IfSteps: branch,
            },
          },
        ]
      : branch;
  // The promotion goes inside the drift Condition when what it reads is guarded (the gate, or without a gate the register step).
  const promotionGuarded = !!guard && (guard.holdsGate || (!plan.gate && !!plan.register && inGuard.has(plan.register.step)));
  (promotionGuarded ? guarded : top).push(...promotion);
  if (guard) {
    top.push({
      Name: ADDED_STEPS.drift,
      Type: 'Condition',
      Arguments: {
        // All conditions must hold (SageMaker ANDs them): every drift step said proceed.
        Conditions: guard.guards.map((g) => ({
          LeftValue: { 'Std:JsonGet': { Path: 'proceed', PropertyFile: get(`Steps.${g.step}.PropertyFiles.${DRIFT_PROPERTY_FILE}`) } },
          RightValue: true,
          Type: 'Equals',
        })),
        ElseSteps: [],
        IfSteps: guarded,
      },
    });
  }
  return { Version: SAGEMAKER_PIPELINE_VERSION, Metadata: {}, Parameters: [], Steps: top };
}

/**
 * The batch pipeline's definition: one scoring step with the registry's
 * champion (`revision`: the training pipeline's, which its run records).
 */
export function compileBatchDefinition(input: AwsDefinitionInput, revision = REVISION_PENDING): Record<string, Json> {
  return { Version: SAGEMAKER_PIPELINE_VERSION, Metadata: {}, Parameters: [], Steps: [batchStep(input, 'batch', [], revision)] };
}

/**
 * Canonical JSON: object keys sorted at every level, no whitespace. The
 * provider stores the definition SageMaker returns verbatim and compares
 * strings (no JSON-equivalence suppression), so the same plan must always
 * give the same string.
 */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
