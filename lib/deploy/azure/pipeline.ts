import { MachineLearningDatastoreBlobstorage } from '@cdktf/provider-azurerm/lib/machine-learning-datastore-blobstorage';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { ErrorCode, IssueCollector } from '../../core/errors';
import { RELEASE_SPEC_VERSION } from '../../core/release';
import { DEFAULT_TIME_ZONE } from '../../core/schedule';
import { ContinuousTrainingProps, IContinuousTraining, Schedule } from '../contracts';
import type { LoadedPlan, PlanSource, PlanStep } from '../pipeline-plan';
import { ReleaseStep } from '../release-step';
import { canonicalJson, releaseRevision } from '../revision';
import { azurePlatformOf, azureTargetOf, AzureReleaseTarget, roleAssignmentsOf } from './common';
import { AzureScoringEndpoint } from './scoring-endpoint';
import { AzurePipelinePromoter } from './promoter';
import { AZURE_ARTIFACTS_DATASTORE } from './training-job';
import { windowsTimeZone } from './windows-zones';

/**
 * The REST shapes this module compiles a pipeline plan into, as Azure ML's
 * workspace API takes them (Microsoft.MachineLearningServices, mfe.json
 * 2024-04-01; `@azure/arm-machinelearning` sends them):
 * - an environment version for the runtime image (by digest);
 * - one command component version per plan step (the step's params are part
 *   of its command, so each step is its own component; versions are content
 *   hashes, as component versions are immutable);
 * - a PipelineJob whose `jobs` are command nodes of those components, in the
 *   azure-ai-ml REST node format (snake_case), with `${{parent.jobs.<node>.outputs.<o>}}`
 *   bindings between steps;
 * - a Schedule (CronTrigger, Windows time zone) whose action creates that job.
 */

/** Component input and output names (`${{inputs.x}}`): identifiers. */
const PORT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
/** The component input or output that carries the registry folder (`--root`). */
export const AZURE_REGISTRY_PORT = 'mlops_registry';
/** The stack output with the pipeline's release spec as Terraform resolved it (what `mlops-release start --spec` reads). */
export const AZURE_PIPELINE_SPEC_OUTPUT = 'pipeline_spec';
/** Inputs that only order a node after another one (`needs` without data): `mlops_after_<node>`. */
export const AFTER_PREFIX = 'mlops_after_';
/** Inputs that carry a guard (a drift step's `proceed` folder, read by `--when`): `mlops_when_<node>`. */
export const GUARD_PREFIX = 'mlops_when_';
/**
 * What the gate's node runs after `mlops pipeline step --uses gate`: fails the node unless decision.json says
 * passed, or says the gate was not run because a drift step found no new data (`skipped`: the steps after it
 * are guarded by the same drift step and skip themselves, so the run succeeds having registered nothing).
 */
export const AZURE_GATE_CHECK =
  'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));' +
  'if(d.passed!==true&&d.skipped===true){console.error("mlops: not run: "+d.reason+"; this run registers nothing and changes no endpoint");process.exit(0)}' +
  'if(d.passed!==true){console.error("mlops: the gate rejected the challenger; this run registers nothing and changes no endpoint");process.exit(3)}';
/** The `$schema` of a command component spec (what azure-ai-ml writes). */
export const COMMAND_COMPONENT_SCHEMA = 'https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json';

/** A component version to register: name, version and its `componentSpec`. */
export interface AzureComponentVersion {
  /** The component's name. */
  readonly name: string;
  /** Its version: a content hash (Azure ML versions are immutable). */
  readonly version: string;
  /** The `componentSpec` (a command component). */
  readonly spec: Record<string, unknown>;
}

/** What the release driver's `pipeline` action creates (the `pipeline` part of the Azure target). */
export interface AzurePipelineTarget {
  /** ARM id of the compute cluster the nodes run on. */
  readonly computeId: string;
  /** The datastore over the artifact store's container. */
  readonly datastore: string;
  /** The runtime image's environment version. */
  readonly environment: { readonly name: string; readonly version: string; readonly image: string };
  /** Every component version the job and the batch job reference. */
  readonly components: readonly AzureComponentVersion[];
  /** The PipelineJob (`properties` of a JobBaseResource), run by the schedule and by `mlops-release start`. */
  readonly job: Record<string, unknown>;
  /** The Schedule (`properties` of a ScheduleResource) that creates the job, when `schedule` is set. */
  readonly schedule?: { readonly name: string; readonly properties: Record<string, unknown> };
  /** Batch scoring: its one-node PipelineJob, run after each endpoint rollout, and its own schedule. */
  readonly batch?: {
    readonly job: Record<string, unknown>;
    readonly schedule?: { readonly name: string; readonly properties: Record<string, unknown> };
  };
}

/** POSIX single-quoting: Azure ML runs a command component's command with a shell. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A lowercase identifier for a step name (`train-forest` → `train_forest`). */
function nodeNameOf(step: string): string {
  const n = step.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[a-z_]/.test(n) ? n : `s_${n}`;
}

/** `azureml://datastores/<ds>/paths/<path>`: a path in a workspace datastore. */
export function datastorePath(datastore: string, path: string): string {
  return `azureml://datastores/${datastore}/paths/${path}`;
}

/** `uri_file` for a key with a file extension and no trailing slash, else `uri_folder`. */
function assetType(key: string): 'uri_file' | 'uri_folder' {
  return !key.endsWith('/') && /\.[A-Za-z0-9]+$/.test(key.split('/').pop() ?? '') ? 'uri_file' : 'uri_folder';
}

function hash12(value: unknown): string {
  return releaseRevision('', value);
}

/** The Azure ML schedule of a config schedule: the same cron, in the Windows name of its IANA zone; undefined (with an issue) when there is none. */
export function cronTrigger(schedule: Schedule, path: string, issues: IssueCollector): Record<string, unknown> | undefined {
  const iana = schedule.timeZone ?? DEFAULT_TIME_ZONE;
  const windows = windowsTimeZone(iana);
  if (!windows) {
    issues.add(
      ErrorCode.CONFIG_INVALID,
      `${path}.timeZone`,
      `Azure ML schedules take Windows time zone names, and the IANA zone "${iana}" has none in the CLDR mapping (windowsZones.xml). Fix: use a zone of the same offset and rules that has one, e.g. UTC, Europe/Berlin or America/New_York.`,
    );
    return undefined;
  }
  const fields = schedule.cron.trim().split(/\s+/);
  if (fields[2] !== '*' || fields[3] !== '*') {
    // learn.microsoft.com, "Schedule machine learning pipeline jobs", Limitations: DAYS and MONTHS
    // values in cron expressions are not supported; they are ignored and treated as *.
    issues.add(
      ErrorCode.CONFIG_INVALID,
      `${path}.cron`,
      `"${schedule.cron}" sets the day-of-month or month field, which Azure ML schedules ignore (they run as if both were *): the pipeline would run more often than asked. Fix: use * for both (minute, hour and day of week are honoured), or run it by hand on those days.`,
    );
    return undefined;
  }
  return { triggerType: 'Cron', expression: fields.join(' '), timeZone: windows };
}

/**
 * A pipeline plan on Azure ML: the environment, the components, the
 * PipelineJob and its Schedule compiled at synth (see the module comment), and
 * a release step (`mlops release apply`, kind `pipeline`) that registers the
 * environment and components and creates or updates the schedule through
 * `@azure/arm-machinelearning` (azurerm has no resource for any of them).
 *
 * Every node runs the runtime image on the platform's compute cluster as the
 * workload identity (the cluster's user-assigned identity: it already reads
 * and writes the artifact store's container, pulls the image and uses the
 * workspace; nothing is widened). Inputs are datastore paths of the artifact
 * store; each step writes its outputs to `<runsPrefix><node run>/<output>/`;
 * steps that read the registry mount `registryPrefix` read-only as `--root`,
 * the register step mounts it read-write.
 *
 * Gate: Azure ML has no conditional node for command steps, so the gate's node
 * fails the run when `decision.json` does not say `passed`: the register step
 * and everything after it never start (the run is Failed, which the pipeline
 * failure alert reports), except when the gate was not run because a drift
 * step found no new data (its decision says `skipped`): the steps after it
 * are guarded by the same drift step and skip themselves (`--when`). The
 * deploy action (a plan with a `serve` step) is the {@link AzurePipelinePromoter}:
 * run events of the register node go to a queue, and a job running the release
 * image registers the champion in the workspace and rolls it out.
 */
export class AzureContinuousTraining extends Construct implements IContinuousTraining {
  /** The cloud: azure. */
  public readonly cloud = 'azure' as const;
  /** The pipeline's name on Azure ML: the experiment its runs are filed under (the release name). */
  public readonly pipelineName: string;
  /** The compiled PipelineJob (`properties` of the job resource) and the component specs its nodes run, by component id. */
  public readonly definition: Readonly<Record<string, unknown>>;
  /** Starts one run by hand (see docs/pipelines/azure.md). */
  public readonly runCommand: string;
  /** Everything the release step creates. */
  public readonly target: AzurePipelineTarget;
  /** 12 hex over what the release step creates (its revision). */
  public readonly revision: string;
  /** The release step (terraform_data). */
  public readonly step: ReleaseStep;
  /**
   * What Azure alerts watch: `experimentNames`, the experiment every run is
   * filed under (the schedule's, by hand and batch runs alike: the job
   * definition names it), and `scheduleNames`, the schedules that start runs.
   */
  public readonly watched: Readonly<Record<string, readonly string[]>>;
  /** The promoter (registration and rollout after each run), when the plan has a serve step. */
  public readonly promoter?: AzurePipelinePromoter;

  constructor(scope: Construct, id: string, props: ContinuousTrainingProps) {
    super(scope, id);
    const where = this.node.path;
    const platform = azurePlatformOf('AzureContinuousTraining', where, props?.platform);
    const loaded = props.plan;
    const plan = loaded.plan;
    const issues = new IssueCollector();

    // A serve step: the promoter job (run events → queue → mlops-release promote) rolls the champion out.
    const deployTo = plan.deploy ? azureEndpointOf(props.endpoint) : undefined;
    if (plan.deploy && !deployTo) {
      issues.add(
        ErrorCode.CONFIG_INVALID,
        'deployment.pipeline.skip',
        `the pipeline's step '${plan.deploy.step}' (serve) rolls the champion out to the deployment's online endpoint, and this deployment has no Azure scoring endpoint. Fix: add '${plan.deploy.step}' to deployment.pipeline.skip, or deploy with an endpoint.`,
      );
    }
    if (plan.deploy && !props.releaseImage) {
      issues.add(
        ErrorCode.CONFIG_INVALID,
        'deployment.pipeline.skip',
        `the pipeline's step '${plan.deploy.step}' (serve) is rolled out on Azure by a promoter job that runs the release image, and none was given (ContinuousTrainingProps.releaseImage). Fix: pass the release image, or add '${plan.deploy.step}' to deployment.pipeline.skip.`,
      );
    }

    const datastore =
      (platform.node.tryFindChild('ArtifactsDatastore') as MachineLearningDatastoreBlobstorage | undefined) ??
      new MachineLearningDatastoreBlobstorage(platform, 'ArtifactsDatastore', {
        name: AZURE_ARTIFACTS_DATASTORE,
        workspaceId: platform.workspace.workspaceId,
        storageContainerId: platform.artifactStore.storeId,
        description: `The artifact store's container ${platform.artifactStore.storeName}: training data and models of cdktf-mlops releases (identity-based access).`,
        serviceDataAuthIdentity: 'None',
      });
    const ds = AZURE_ARTIFACTS_DATASTORE;
    const workspaceId = platform.workspace.workspaceId;
    const compute = platform.trainingCompute;
    const clientId = platform.identity.clientId;

    // The environment: the runtime image by digest. Its version follows the image content.
    const environment = { name: `${props.name}-pipeline`, version: hash12({ image: props.image.contentHash }), image: props.image.imageUriByDigest };
    const environmentRef = `azureml:${workspaceId}/environments/${environment.name}/versions/${environment.version}`;

    // Node names: lowercase identifiers, one per step, no two alike.
    const nodes = new Map<string, string>();
    const taken = new Map<string, string>();
    for (const s of plan.steps) {
      const n = nodeNameOf(s.name);
      if (taken.has(n))
        issues.add(
          ErrorCode.CONFIG_INVALID,
          'deployment.pipeline.file',
          `steps '${taken.get(n)}' and '${s.name}' both become the Azure ML node '${n}' (node names are lowercase letters, digits and _). Fix: rename one of them in the pipeline file.`,
        );
      taken.set(n, s.name);
      nodes.set(s.name, n);
    }
    const stepsByName = new Map(plan.steps.map((s) => [s.name, s]));
    const maxRuntimeSeconds = props.maxRuntimeMinutes * 60;
    const runsUri = (node: string, output: string) => `${datastorePath(ds, props.runsPrefix)}\${{name}}/${node}/${output}/`;
    const registryUri = `${datastorePath(ds, props.registryPrefix.replace(/\/+$/, ''))}/`;

    const components: AzureComponentVersion[] = [];
    const jobs: Record<string, Record<string, unknown>> = {};
    const componentName = (suffix: string) => `${props.name}-${suffix}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');

    for (const step of plan.steps) {
      const node = nodes.get(step.name)!;
      const compInputs: Record<string, { type: string }> = {};
      const compOutputs: Record<string, { type: string }> = {};
      const nodeInputs: Record<string, Record<string, string>> = {};
      const nodeOutputs: Record<string, Record<string, string>> = {};
      const bindingInputs: Record<string, string | string[]> = {};
      const bindingOutputs: Record<string, string> = {};
      const port = (name: string, what: string): string => {
        if (!PORT_NAME.test(name) || name === AZURE_REGISTRY_PORT || name.startsWith(AFTER_PREFIX) || name.startsWith(GUARD_PREFIX)) {
          issues.add(
            ErrorCode.CONFIG_INVALID,
            'deployment.pipeline.file',
            `step '${step.name}' ${what} '${name}' is not an Azure ML input/output name (letters, digits and _, not '${AZURE_REGISTRY_PORT}'). Fix: rename it in the pipeline file.`,
          );
        }
        return name;
      };
      const bindOne = (input: string, src: PlanSource): string | undefined => {
        if (src.from === 'registry') return undefined;
        if (src.from === 'input') {
          const key = props.inputs[src.input];
          if (key === undefined) {
            issues.add(ErrorCode.CONFIG_INVALID, `deployment.pipeline.inputs.${src.input}`, `the pipeline input '${src.input}' has no artifact-store path. Fix: map it.`);
            return undefined;
          }
          const type = assetType(key);
          compInputs[input] = { type };
          nodeInputs[input] = { job_input_type: type, uri: datastorePath(ds, key.replace(/\/+$/, '')), mode: 'ReadOnlyMount' };
          return `\${{inputs.${input}}}`;
        }
        const producer = stepsByName.get(src.step)!;
        compInputs[input] = { type: 'uri_folder' };
        nodeInputs[input] = { job_input_type: 'literal', value: `\${{parent.jobs.${nodes.get(src.step)}.outputs.${src.output}}}` };
        return `\${{inputs.${input}}}/${producer.outputs[src.output]}`;
      };
      for (const [name, src] of Object.entries(step.inputs)) {
        port(name, 'input');
        if (Array.isArray(src)) {
          bindingInputs[name] = (src as PlanSource[]).map((s, i) => bindOne(`${name}_${i}`, s) ?? (s.from === 'registry' ? s.uri : ''));
        } else {
          const path = bindOne(name, src as PlanSource);
          if (path !== undefined) bindingInputs[name] = path;
        }
      }
      for (const output of Object.keys(step.outputs)) {
        port(output, 'output');
        compOutputs[output] = { type: 'uri_folder' };
        nodeOutputs[output] = { job_output_type: 'uri_folder', uri: runsUri(node, output), mode: 'ReadWriteMount' };
        bindingOutputs[output] = `\${{outputs.${output}}}`;
      }
      // Ordering edges without data (`needs`): Azure ML orders nodes by their bindings only, so the
      // node also takes the first output of each such step as an input it does not read.
      const bound = new Set(
        Object.values(step.inputs)
          .flatMap((v) => (Array.isArray(v) ? v : [v]) as PlanSource[])
          .flatMap((src) => (src.from === 'step' ? [src.step] : [])),
      );
      // Guards: each drift step's `proceed` folder is an input; the node runs the step only when it says true (`--when`).
      const when: Record<string, string> = {};
      for (const g of step.when) {
        const input = `${GUARD_PREFIX}${nodes.get(g.step)}`;
        compInputs[input] = { type: 'uri_folder' };
        nodeInputs[input] = { job_input_type: 'literal', value: `\${{parent.jobs.${nodes.get(g.step)}.outputs.${g.output}}}` };
        when[g.step] = `\${{inputs.${input}}}/${stepsByName.get(g.step)!.outputs[g.output]}`;
        bound.add(g.step);
      }
      for (const before of step.after) {
        if (bound.has(before)) continue;
        const first = Object.keys(stepsByName.get(before)!.outputs)[0];
        if (!first) continue;
        const input = `${AFTER_PREFIX}${nodes.get(before)}`;
        compInputs[input] = { type: 'uri_folder' };
        nodeInputs[input] = { job_input_type: 'literal', value: `\${{parent.jobs.${nodes.get(before)}.outputs.${first}}}` };
      }
      let registry: string | undefined;
      if (step.writesRegistry) {
        compOutputs[AZURE_REGISTRY_PORT] = { type: 'uri_folder' };
        nodeOutputs[AZURE_REGISTRY_PORT] = { job_output_type: 'uri_folder', uri: registryUri, mode: 'ReadWriteMount' };
        registry = `\${{outputs.${AZURE_REGISTRY_PORT}}}`;
      } else if (step.readsRegistry) {
        compInputs[AZURE_REGISTRY_PORT] = { type: 'uri_folder' };
        nodeInputs[AZURE_REGISTRY_PORT] = { job_input_type: 'uri_folder', uri: registryUri, mode: 'ReadOnlyMount' };
        registry = `\${{inputs.${AZURE_REGISTRY_PORT}}}`;
      }
      const args = loaded.stepArguments(step, { inputs: bindingInputs, outputs: bindingOutputs, registry, ...(step.when.length ? { when } : {}) });
      const paramsJson = JSON.stringify(step.params);
      if (paramsJson.includes('${{')) {
        issues.add(
          ErrorCode.CONFIG_INVALID,
          'deployment.pipeline.file',
          `step '${step.name}' has "\${{" in its params, which Azure ML reads as an expression in the command. Fix: change the value.`,
        );
      }
      let command = ['mlops', ...args].map(shellQuote).join(' ');
      if (step.name === plan.gate) {
        const decision = step.outputs.decision;
        if (!decision) issues.add(ErrorCode.CONFIG_INVALID, 'deployment.pipeline.file', `the gate step '${step.name}' has no decision output.`);
        else command += ` && node -e ${shellQuote(AZURE_GATE_CHECK)} ${shellQuote(`\${{outputs.decision}}/${decision}`)}`;
      }
      const name = componentName(step.name);
      const body = {
        $schema: COMMAND_COMPONENT_SCHEMA,
        name,
        display_name: step.name,
        type: 'command',
        description: `cdktf-mlops: mlops pipeline step --uses ${step.uses} (step '${step.name}' of pipeline '${plan.pipeline}')`,
        tags: { 'mlops.pipeline': plan.pipeline, 'mlops.step': step.name, 'mlops.uses': step.uses },
        inputs: compInputs,
        outputs: compOutputs,
        environment: `azureml:${environment.name}:${environment.version}`,
        command,
      };
      const version = hash12(body);
      components.push({ name, version, spec: { ...body, version, environment: environmentRef } });
      jobs[node] = {
        type: 'command',
        name: node,
        display_name: step.name,
        componentId: `${workspaceId}/components/${name}/versions/${version}`,
        inputs: nodeInputs,
        outputs: nodeOutputs,
        environment_variables: { DEFAULT_IDENTITY_CLIENT_ID: clientId, MLOPS_MODEL_NAME: plan.model },
        limits: { job_limits_type: 'Command', timeout: maxRuntimeSeconds },
        tags: { 'mlops.step': step.name, 'mlops.uses': step.uses },
      };
    }

    const pipelineJob = (displayName: string, description: string, nodesOf: Record<string, Record<string, unknown>>, tags: Record<string, string>) => ({
      jobType: 'Pipeline',
      displayName,
      description,
      experimentName: props.name,
      computeId: compute.computeId,
      identity: { identityType: 'Managed', clientId },
      settings: { default_compute: compute.computeId, default_datastore: ds, continue_on_step_failure: false },
      jobs: nodesOf,
      tags: { 'mlops.release': props.name, 'managed-by': 'cdktf-mlops', ...tags } as Record<string, string>,
    });
    // Run lineage on every run the job definition creates (by schedule or by hand): the image by
    // digest and the data each pipeline input reads; the pipeline revision is added below.
    const job = pipelineJob(plan.pipeline, plan.description ?? `Pipeline ${plan.pipeline} (cdktf-mlops)`, jobs, {
      'mlops.pipeline': plan.pipeline,
      'mlops.gate': plan.gate ?? '',
      'mlops.image': props.image.contentHash,
      'mlops.image.digest': props.image.imageDigest,
      ...Object.fromEntries(Object.entries(props.inputs).map(([input, key]) => [`mlops.input.${input}`, datastorePath(ds, key.replace(/\/+$/, ''))])),
    });

    const schedule = props.schedule ? cronTrigger(props.schedule, 'deployment.schedule', issues) : undefined;

    // Batch scoring: one node with the image and the model the endpoint serves.
    let batch: AzurePipelineTarget['batch'];
    if (props.batch) {
      const endpoint = azureEndpointOf(props.endpoint);
      if (!endpoint) {
        issues.add(ErrorCode.CONFIG_INVALID, 'deployment.batch', 'batch scoring needs the deployment’s Azure scoring endpoint (its model version).');
      } else {
        const input = props.batch.input.replace(/\/+$/, '');
        const output = (props.batch.output ?? `${input}-predictions/`).replace(/\/+$/, '');
        const model = endpoint.job.modelPath;
        const args = loaded.batchArguments({ model: '${{inputs.model}}', data: '${{inputs.data}}', predictions: '${{outputs.predictions}}' });
        const body = {
          $schema: COMMAND_COMPONENT_SCHEMA,
          name: componentName('batch'),
          display_name: 'batch',
          type: 'command',
          description: `cdktf-mlops: batch scoring of ${input}/ with ${plan.model} (the model the endpoint serves)`,
          tags: { 'mlops.pipeline': plan.pipeline, 'mlops.step': 'batch', 'mlops.uses': 'predict' },
          inputs: { model: { type: 'uri_folder' }, data: { type: 'uri_folder' } },
          outputs: { predictions: { type: 'uri_folder' } },
          environment: `azureml:${environment.name}:${environment.version}`,
          command: ['mlops', ...args].map(shellQuote).join(' '),
        };
        const version = hash12(body);
        components.push({ name: body.name, version, spec: { ...body, version, environment: environmentRef } });
        const batchJob = pipelineJob(
          `${plan.pipeline} batch`,
          `Batch scoring of ${input}/ into ${output}/ with ${plan.model} revision ${endpoint.modelVersion} (cdktf-mlops)`,
          {
            batch: {
              type: 'command',
              name: 'batch',
              display_name: 'batch',
              componentId: `${workspaceId}/components/${body.name}/versions/${version}`,
              inputs: {
                model: { job_input_type: 'uri_folder', uri: datastorePath(ds, model), mode: 'ReadOnlyMount' },
                data: { job_input_type: 'uri_folder', uri: datastorePath(ds, input), mode: 'ReadOnlyMount' },
              },
              outputs: { predictions: { job_output_type: 'uri_folder', uri: `${datastorePath(ds, output)}/`, mode: 'ReadWriteMount' } },
              environment_variables: { DEFAULT_IDENTITY_CLIENT_ID: clientId, MLOPS_MODEL_NAME: plan.model },
              limits: { job_limits_type: 'Command', timeout: maxRuntimeSeconds },
              tags: { 'mlops.step': 'batch', 'mlops.uses': 'predict' },
            },
          },
          { 'mlops.pipeline': plan.pipeline, 'mlops.batch': 'true', 'mlops.revision': endpoint.modelVersion },
        );
        const trigger = props.batch.schedule ? cronTrigger(props.batch.schedule, 'deployment.batch.schedule', issues) : undefined;
        batch = {
          job: batchJob,
          ...(trigger
            ? {
                schedule: {
                  name: `${props.name}-batch`,
                  properties: {
                    displayName: `${plan.pipeline} batch scoring`,
                    description: `Batch scoring of ${input}/ (cdktf-mlops)`,
                    isEnabled: true,
                    trigger,
                    action: { actionType: 'CreateJob', jobDefinition: batchJob },
                    tags: { 'mlops.release': props.name, 'managed-by': 'cdktf-mlops' },
                  },
                },
              }
            : {}),
        };
      }
    }
    issues.throwIfAny(`Invalid pipeline ${loaded.file} for Azure ML:`);

    // What the workload identity needs, and no more: the platform grants these already (idempotent).
    platform.artifactStore.grantReadWrite(platform.identity);
    platform.imageRegistry.grantPull(platform.identity);
    platform.workspace.grantUse(platform.identity);

    // The register node's run carries the run lineage too: its RunStatusChanged event (runTags) is what
    // the promoter reads. Set before the revision (a change of them reaches the schedule), but for the
    // revision itself, added after as on the job.
    const registerNode = plan.register ? nodes.get(plan.register.step) : undefined;
    const inputUris = Object.fromEntries(Object.entries(props.inputs).map(([input, key]) => [input, datastorePath(ds, key.replace(/\/+$/, ''))]));
    if (registerNode && jobs[registerNode]) {
      jobs[registerNode].tags = {
        ...(jobs[registerNode].tags as Record<string, string>),
        'mlops.image.digest': props.image.imageDigest,
        ...Object.fromEntries(Object.entries(inputUris).map(([input, uri]) => [`mlops.input.${input}`, uri])),
      };
    }

    // The revision re-runs the release step: it covers the components and the jobs as they are
    // (node inputs, limits, tags: a new data path must reach the schedule), Terraform references
    // masked (the workspace_id trigger covers the workspace; a token's text is not stable).
    this.revision = releaseRevision(props.image.contentHash, {
      kind: 'pipeline',
      cloud: 'azure',
      name: props.name,
      components: components.map((c) => `${c.name}:${c.version}`),
      jobs: Object.keys(jobs),
      job: hash12(withoutTokens(job)),
      schedule: schedule ? canonicalJson(schedule) : undefined,
      batch: batch ? { revision: azureEndpointOf(props.endpoint)?.modelVersion, schedule: batch.schedule?.properties.trigger, job: hash12(withoutTokens(batch.job)) } : undefined,
    });
    job.tags = { ...job.tags, 'mlops.pipeline.revision': this.revision };
    if (registerNode && jobs[registerNode]) jobs[registerNode].tags = { ...(jobs[registerNode].tags as Record<string, string>), 'mlops.pipeline.revision': this.revision };

    this.target = {
      computeId: compute.computeId,
      datastore: ds,
      environment,
      components,
      job,
      ...(schedule
        ? {
            schedule: {
              name: `${props.name}-pipeline`,
              properties: {
                displayName: `${plan.pipeline} on schedule`,
                description: `Runs pipeline ${plan.pipeline} (cdktf-mlops) on "${props.schedule!.cron}" in ${props.schedule!.timeZone ?? DEFAULT_TIME_ZONE}.`,
                isEnabled: true,
                trigger: schedule,
                action: { actionType: 'CreateJob', jobDefinition: job },
                tags: { 'mlops.release': props.name, 'managed-by': 'cdktf-mlops' },
              },
            },
          }
        : {}),
      ...(batch ? { batch } : {}),
    };
    this.pipelineName = props.name;
    this.definition = { pipelineJob: job, components: Object.fromEntries(components.map((c) => [`${workspaceId}/components/${c.name}/versions/${c.version}`, c.spec])) };

    const base: AzureReleaseTarget = azureTargetOf(platform);
    const endpoint = azureEndpointOf(props.endpoint);
    this.step = new ReleaseStep(this, 'Release', {
      spec: {
        specVersion: RELEASE_SPEC_VERSION,
        kind: 'pipeline',
        cloud: 'azure',
        name: props.name,
        modelName: plan.model,
        revision: this.revision,
        image: props.image.imageUriByDigest,
        pipeline: {
          name: plan.pipeline,
          steps: plan.steps.map((s) => s.name),
          ...(plan.gate ? { gate: plan.gate } : {}),
          ...(props.schedule ? { schedule: { cron: props.schedule.cron, timeZone: props.schedule.timeZone ?? DEFAULT_TIME_ZONE } } : {}),
        },
        azure: { ...base, pipeline: terraformLiteral(this.target) },
      },
      triggers: { image_digest: props.image.imageDigest, revision: this.revision, workspace_id: workspaceId },
      dependsOn: [
        datastore,
        ...roleAssignmentsOf(platform, platform.identity),
        ...(props.dependsOn ?? []),
        // Batch scoring after each rollout: the step runs once the endpoint serves its revision.
        ...(batch && endpoint ? [endpoint.deployed] : []),
      ],
    });
    // The spec as Terraform resolved it: `mlops-release start --spec` starts one run from it.
    const output = new TerraformOutput(this, 'StartSpec', {
      value: this.step.resource.output,
      description: `Release spec of pipeline ${plan.pipeline} (kind pipeline): mlops-release start --spec <file> runs it once.`,
    });
    output.overrideLogicalId(AZURE_PIPELINE_SPEC_OUTPUT);
    this.watched = {
      experimentNames: [String(job.experimentName)],
      scheduleNames: [this.target.schedule?.name, this.target.batch?.schedule?.name].filter((n): n is string => typeof n === 'string'),
    };
    this.runCommand =
      `terraform -chdir=cdktf.out/stacks/<stack> output -json ${AZURE_PIPELINE_SPEC_OUTPUT} > pipeline-spec.json && ` + `npx mlops-release start --spec pipeline-spec.json`;

    if (plan.deploy && plan.register && registerNode && deployTo && props.releaseImage) {
      const registerStep = stepsByName.get(plan.register.step)!;
      this.promoter = new AzurePipelinePromoter(this, 'Promoter', {
        platform,
        name: props.name,
        endpoint: deployTo,
        releaseImage: props.releaseImage.imageUriByDigest,
        settings: {
          datastore: ds,
          experiment: String(job.experimentName),
          pipeline: plan.pipeline,
          model: plan.model,
          registryPrefix: props.registryPrefix,
          runsPrefix: props.runsPrefix,
          registerNode,
          registration: `registration/${registerStep.outputs.registration}`,
          pipelineRevision: this.revision,
          imageDigest: props.image.imageDigest,
          inputs: inputUris,
        },
      });
    }
  }
}

/**
 * A value as a Terraform string literal keeps it: `${` (but cdktf's own
 * tokens) becomes `$${` and `%{` becomes `%%{`, so Terraform hands Azure ML
 * its `${{inputs.x}}` expressions unchanged instead of interpolating them.
 */
export function terraformLiteral<T>(value: T): T {
  if (typeof value === 'string') return value.replace(/\$\{(?!TfToken\[)/g, '$$${').replace(/%\{/g, '%%{') as T;
  if (Array.isArray(value)) return value.map((v) => terraformLiteral(v)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, terraformLiteral(v)])) as T;
  return value;
}

/** A value's JSON with every unresolved cdktf token replaced by one placeholder (for hashing). */
function withoutTokens(value: unknown): string {
  return JSON.stringify(value).replace(/\$\{TfToken\[[^\]]+\]\}/g, '<ref>');
}

/** The Azure endpoint behind a (possibly wrapped) scoring endpoint. */
function azureEndpointOf(endpoint: unknown): AzureScoringEndpoint | undefined {
  if (endpoint instanceof AzureScoringEndpoint) return endpoint;
  const inner = (endpoint as { resource?: unknown } | undefined)?.resource;
  return inner instanceof AzureScoringEndpoint ? inner : undefined;
}

/** The plan step of a node, for readers of a compiled job (tests, docs). */
export type { PlanStep, LoadedPlan };
