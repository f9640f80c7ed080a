import { createHash } from 'crypto';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { Annotations, DefaultTokenResolver, Fn, ITerraformDependable, StringConcat, Tokenization } from 'cdktf';
import { Construct } from 'constructs';
import { ErrorCode, IssueCollector } from '../../core/errors';
import { cronProblem, timeZoneProblem } from '../../core/schedule';
import { PropChecks } from '../../core/validate';
import { GCP_PIPELINE_TRIGGER_PERMISSIONS, GCP_ROLES } from '../../gcp/perms';
import { GcpMlPlatform } from '../../gcp/platform';
import { bindSchedulerServiceAgent } from '../../gcp/scheduler-agent';
import { ContinuousTrainingProps, IContinuousTraining, IScoringEndpoint, Schedule } from '../contracts';
import { checkRuntimeImage } from '../settings';
import { compilePipelineSpec, KfpDeploySettings, kfpPlanProblems, kfpResourcesOf, kfpTaskName, KfpUploadSettings } from './pipeline-spec';
import { acceleratorOf, gcpMachineOf, gcpPlatformOf, grantsOf } from './private/common';
import { GcpScoringEndpoint } from './scoring-endpoint';
import { linearTokenText } from '../../private/token-text';

/** Cloud Scheduler's longest attempt deadline for an HTTP target (the create call answers at once). */
const ATTEMPT_DEADLINE = '180s';
/** The OAuth scope of the schedule's token. */
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** The GCP construct behind an endpoint: the endpoint itself, or the `resource` of the cloud-neutral `ScoringEndpoint`. */
function gcpEndpointOf(endpoint: IScoringEndpoint | undefined): GcpScoringEndpoint | undefined {
  if (endpoint instanceof GcpScoringEndpoint) return endpoint;
  const inner = (endpoint as { resource?: unknown } | undefined)?.resource;
  return inner instanceof GcpScoringEndpoint ? inner : undefined;
}

/** A service account id (6–30) for `<name>-<suffix>`, shortened with a hash when too long. */
export function serviceAccountIdFor(name: string, suffix: string): string {
  const full = `${name}-${suffix}`;
  if (full.length <= 30) return full;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 4);
  return `${name.slice(0, 30 - suffix.length - 6).replace(/-+$/, '')}-${hash}-${suffix}`;
}

/**
 * A pipeline file run by Vertex AI Pipelines: the plan compiled to a KFP
 * PipelineSpec (`pipeline-spec.ts`), stored with the PipelineJob request that
 * runs it as objects in the artifact store (`pipelines/<pipeline>/vertex/`),
 * and, with a schedule, a Cloud Scheduler job that POSTs that request to
 * `pipelineJobs` as a dedicated service account allowed only to create
 * pipeline jobs and to act as the pipeline's service account (the platform
 * identity). `google_vertex_ai_schedule` is not in the installed Google
 * provider (6.50), so the schedule is Cloud Scheduler's; it has no
 * concurrency limit, so the compiled pipeline guards itself: of two
 * overlapping runs only the older one registers and deploys.
 *
 * When the gate passes, the run registers the model in the registry folder
 * (`--root`), uploads it as a new version of the release's Vertex AI model,
 * deploys it to the endpoint with all the traffic once it is ready (the
 * earlier deployed models of the release are then undeployed), and scores
 * `batch.input` with it.
 */
export class GcpContinuousTraining extends Construct implements IContinuousTraining {
  /** The cloud: gcp. */
  public readonly cloud = 'gcp' as const;
  /** The pipeline's name on Vertex AI (the release name, the PipelineJob display name and `mlops_pipeline` label). */
  public readonly pipelineName: string;
  /** The compiled KFP PipelineSpec. */
  public readonly definition: Readonly<Record<string, unknown>>;
  /** The PipelineJob create request (what the schedule and a run by hand POST). */
  public readonly pipelineJob: Readonly<Record<string, unknown>>;
  /** How to start a run by hand. */
  public readonly runCommand: string;
  /** `gs://<bucket>/<key>` of the stored PipelineSpec. */
  public readonly specUri: string;
  /** `gs://<bucket>/<key>` of the stored PipelineJob request. */
  public readonly jobRequestUri: string;
  /** The spec object. */
  public readonly specObject: StorageBucketObject;
  /** The PipelineJob request object. */
  public readonly jobRequestObject: StorageBucketObject;
  /** The schedule's service account (with a schedule). */
  public readonly schedulerServiceAccount?: ServiceAccount;
  /** The schedule (with a schedule). */
  public readonly schedule?: CloudSchedulerJob;
  /** The batch scoring schedule (with `batch.schedule`). */
  public readonly batchSchedule?: CloudSchedulerJob;
  /**
   * What the GCP alerts watch: `pipelineNames`, the pipeline names (`pipelineInfo.name`, equal to the jobs'
   * display names) of the pipeline and of the batch pipeline, whose failed runs raise the pipeline alert;
   * `schedulerJobs`, the Cloud Scheduler job ids whose failed attempts (the create call refused) raise it too.
   */
  public readonly watched: Readonly<{ pipelineNames: readonly string[]; schedulerJobs: readonly string[] }>;
  /** The pipeline revision (12 hex over the compiled spec), recorded on every model version a run uploads and as the jobs' `mlops_pipeline_rev` label. */
  public readonly revision: string;

  constructor(scope: Construct, id: string, props: ContinuousTrainingProps) {
    super(scope, id);
    const where = this.node.path;
    const C = 'GcpContinuousTraining';
    const issues = new IssueCollector();
    const bad = (prop: string, value: unknown, accepted: string): void => new PropChecks(issues, C, where).invalid(prop, value, accepted);
    const platform = gcpPlatformOf(new PropChecks(issues, C, where), props?.platform);
    checkRuntimeImage(new PropChecks(issues, C, where), props?.image);
    const plan = props.plan.plan;
    const machine = gcpMachineOf(new PropChecks(issues, C, where), 'size', props.size, props.size);
    const endpoint = gcpEndpointOf(props.endpoint);
    if (plan.deploy && !endpoint)
      bad(
        'endpoint',
        props.endpoint?.node?.path ?? props.endpoint,
        `a GcpScoringEndpoint (or a ScoringEndpoint on a GcpMlPlatform): step '${plan.deploy.step}' deploys the champion to it`,
      );
    if (plan.deploy && endpoint && endpoint.rollout.strategy !== 'all-at-once')
      Annotations.of(this).addWarning(
        `${where}: the pipeline's deploy step '${plan.deploy.step}' moves all traffic to the new version once its deployment is ready; the endpoint's ${endpoint.rollout.strategy} rollout (bake, alarms, rollback) is the release step's, not the pipeline's. See docs/pipelines/gcp.md.`,
      );
    for (const [k, s] of [
      ['schedule', props.schedule],
      ['batch.schedule', props.batch?.schedule],
    ] as const) {
      if (!s) continue;
      const cron = cronProblem(s.cron);
      if (cron) bad(`${k}.cron`, s.cron, cron);
      const tz = timeZoneProblem(s.timeZone ?? 'UTC');
      if (tz) bad(`${k}.timeZone`, s.timeZone, tz);
    }
    for (const p of kfpPlanProblems(plan, { upload: plan.register ? ({} as KfpUploadSettings) : undefined })) issues.add(ErrorCode.CONFIG_INVALID, 'deployment.pipeline.file', p);
    for (const [input, key] of Object.entries(props.inputs ?? {})) {
      if (typeof key !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/.test(key) || key.split('/').includes('..'))
        bad(`inputs.${input}`, key, 'an object key of the artifact store: letters, digits, _ . / = - without ".." segments');
    }
    if (props.batch && !plan.register)
      bad('batch', props.batch.input, `a pipeline with a register step: batch scoring runs with the model the run registers, and pipeline '${plan.pipeline}' registers none`);
    issues.throwIfAny(`Invalid ${C} props:`);
    const gcp = platform as GcpMlPlatform;
    const m = machine!;

    const project = gcp.workspace.projectId;
    const region = gcp.workspace.region;
    const bucket = gcp.artifactStore.storeName;
    const name = props.name;
    this.pipelineName = name;
    const modelId = endpoint?.releaseName ?? name;
    // The pipeline's name on Vertex AI is the release's (also the runs' display name), so its failed runs' log entries name it.
    const specName = kfpTaskName(name);
    const model = `projects/${project}/locations/${region}/models/${modelId}`;
    const labels = { mlops_release: name, mlops_model: plan.model, 'managed-by': 'cdktf-mlops' };
    const upload: KfpUploadSettings | undefined = plan.register
      ? {
          model,
          displayName: plan.model,
          description: `Model of release ${modelId}; registered by cdktf-mlops.`,
          modelName: plan.model,
          labels: { ...labels, mlops_pipeline: name },
          kmsKeyName: gcp.encryptionKey.keyId,
        }
      : undefined;
    const deploy: KfpDeploySettings | undefined =
      plan.deploy && endpoint
        ? {
            endpoint: endpoint.endpointId,
            endpointName: endpoint.endpointName,
            machineType: endpoint.machineType,
            ...(endpoint.accelerator ? { accelerator: endpoint.accelerator } : {}),
            minReplicas: endpoint.minInstances,
            maxReplicas: endpoint.maxInstances,
          }
        : undefined;
    const compiled = compilePipelineSpec(props.plan, {
      image: props.image.imageUriByDigest,
      bucket,
      inputs: props.inputs,
      registryPrefix: props.registryPrefix,
      project,
      region,
      serviceAccount: gcp.identity.email,
      pipelineLabel: name,
      pipelineName: specName,
      // Each run is recorded in the Vertex AI experiment named after the release (the pipeline's name).
      experiment: specName,
      // Tokens (the identity's email, the key id) as their Terraform references: the same text on every synth.
      stableForm: (spec) => Tokenization.resolve(spec, { scope: this, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }),
      resources: kfpResourcesOf(m.instanceType, acceleratorOf(m)),
      upload,
      deploy,
      batch: props.batch ? { input: props.batch.input, output: props.batch.output ?? `${props.batch.input.replace(/\/+$/, '')}-predictions/` } : undefined,
    });
    this.definition = compiled.spec;
    this.revision = compiled.revision;
    const jobFor = (spec: Record<string, unknown>, displayName: string): Record<string, unknown> => ({
      displayName,
      pipelineSpec: spec,
      labels: { ...labels, mlops_pipeline: name, mlops_pipeline_rev: compiled.revision },
      runtimeConfig: { gcsOutputDirectory: `gs://${bucket}/${props.runsPrefix.replace(/\/+$/, '')}` },
      serviceAccount: gcp.identity.email,
      encryptionSpec: { kmsKeyName: gcp.encryptionKey.keyId },
      ...(gcp.network.networkAttachmentId ? { pscInterfaceConfig: { networkAttachment: gcp.network.networkAttachmentId } } : {}),
    });
    this.pipelineJob = jobFor(compiled.spec, name);

    // The pipeline's identity (the platform's): reads and writes the bucket, pulls the image, runs on
    // Vertex AI (aiplatform.user: upload, deploy, list pipeline jobs). It acts as itself to upload and
    // deploy a model version that runs as it.
    gcp.artifactStore.grantReadWrite(gcp.identity);
    gcp.imageRegistry.grantPull(gcp.identity);
    gcp.workspace.grantUse(gcp.identity);
    // On the identity's own service account only (never at project level), with construct ids known at synth.
    const identitySa = `projects/${gcp.identity.projectId}/serviceAccounts/${gcp.identity.email}`;
    const selfActAs = upload
      ? new ServiceAccountIamMember(this, 'IdentityActsAsItself', { serviceAccountId: identitySa, role: GCP_ROLES.actAs, member: gcp.identity.principal })
      : undefined;
    const agentKey = gcp.bindKeyServiceAgent('aiplatform');

    const prefix = `${props.registryPrefix.replace(/\/+$/, '')}/vertex/`;
    const object = (oid: string, key: string, body: Record<string, unknown>): StorageBucketObject =>
      new StorageBucketObject(this, oid, { bucket, name: `${prefix}${key}`, content: linearTokenText(JSON.stringify(body, null, 1)), contentType: 'application/json' });
    this.specObject = object('PipelineSpec', 'pipeline-spec.json', compiled.spec);
    this.jobRequestObject = object('PipelineJobRequest', 'pipeline-job.json', this.pipelineJob);
    this.specUri = `gs://${bucket}/${prefix}pipeline-spec.json`;
    this.jobRequestUri = `gs://${bucket}/${prefix}pipeline-job.json`;
    const createUrl = `https://${region}-aiplatform.googleapis.com/v1/projects/${project}/locations/${region}/pipelineJobs`;
    const batchName = `${specName}-batch`;
    this.watched = {
      pipelineNames: props.batch?.schedule ? [specName, batchName] : [specName],
      schedulerJobs: [...(props.schedule ? [name] : []), ...(props.batch?.schedule ? [`${name}-batch`] : [])],
    };
    this.runCommand =
      `gcloud storage cat ${this.jobRequestUri} | curl -sS -X POST -H "Authorization: Bearer $(gcloud auth print-access-token)" ` +
      `-H "Content-Type: application/json" --data-binary @- ${createUrl}`;

    // What a run needs before it starts: the API, the service agent's key grant, the identity's grants,
    // the inputs, and (deploying) the endpoint with the release's model.
    const ready: ITerraformDependable[] = [
      ...gcp.services.dependenciesFor('aiplatform.googleapis.com'),
      agentKey,
      ...grantsOf(gcp, gcp.identity),
      ...gcp.network.dependables,
      ...(props.dependsOn ?? []),
      ...(endpoint ? [endpoint.deployed] : []),
      ...(selfActAs ? [selfActAs] : []),
    ];

    const batchOutput = props.batch ? (props.batch.output ?? `${props.batch.input.replace(/\/+$/, '')}-predictions/`) : undefined;
    if (props.schedule || props.batch?.schedule) {
      const schedulerApi = gcp.services.enable('cloudscheduler.googleapis.com');
      const sa = new ServiceAccount(this, 'SchedulerServiceAccount', {
        project,
        accountId: serviceAccountIdFor(name, 'sched'),
        displayName: `Schedule of pipeline ${name}`.slice(0, 100),
        description: `Starts the Vertex AI pipeline ${name} on its schedule (Cloud Scheduler); may only create pipeline jobs and act as the pipeline's service account. Managed by cdktf-mlops.`,
        dependsOn: gcp.services.dependenciesFor('iam.googleapis.com'),
      });
      this.schedulerServiceAccount = sa;
      const roleId = `${name.replace(/-/g, '_')}_pipeline_trigger`.slice(0, 64);
      const role = new ProjectIamCustomRole(this, 'TriggerRole', {
        project,
        roleId,
        title: `Start pipeline ${name}`.slice(0, 100),
        description: 'Create Vertex AI pipeline jobs only (the schedule of a cdktf-mlops pipeline).',
        permissions: [...GCP_PIPELINE_TRIGGER_PERMISSIONS],
      });
      // The role by its literal name (what a CI deployer's grant limit lists), made after the role.
      const trigger = new ProjectIamMember(this, 'TriggerRoleMember', { project, role: `projects/${project}/roles/${roleId}`, member: sa.member, dependsOn: [role] });
      const schedulerActAs = new ServiceAccountIamMember(this, 'SchedulerActsAsIdentity', { serviceAccountId: identitySa, role: GCP_ROLES.actAs, member: sa.member });
      // Cloud Scheduler's service agent mints the schedule's token (created on request, with its role).
      const agentRole = bindSchedulerServiceAgent(project, gcp.services);
      const schedulerReady = [...ready, ...schedulerApi, trigger, agentRole, this.specObject, schedulerActAs];
      // The request body is the stored object's content: one source, and no escaping of the spec's JSON in HCL.
      const job = (jid: string, jobName: string, s: Schedule, body: StorageBucketObject, what: string): CloudSchedulerJob =>
        new CloudSchedulerJob(this, jid, {
          project,
          region,
          name: jobName,
          description: what.slice(0, 500),
          schedule: s.cron,
          timeZone: s.timeZone ?? 'UTC',
          attemptDeadline: ATTEMPT_DEADLINE,
          // A retry would start a second run: a failed create is alerted on, not retried.
          retryConfig: { retryCount: 0 },
          httpTarget: {
            httpMethod: 'POST',
            uri: createUrl,
            body: Fn.base64encode(body.content),
            headers: { 'Content-Type': 'application/json' },
            oauthToken: { serviceAccountEmail: sa.email, scope: CLOUD_PLATFORM_SCOPE },
          },
          dependsOn: schedulerReady,
        });
      if (props.schedule)
        this.schedule = job('Schedule', name, props.schedule, this.jobRequestObject, `Runs the Vertex AI pipeline ${name} (${plan.pipeline}); managed by cdktf-mlops.`);
      if (props.batch?.schedule && batchOutput) {
        const batchSpec = batchOnlySpec(props, bucket, batchOutput, batchName);
        const batchRequest = object('BatchPipelineJobRequest', 'batch-pipeline-job.json', jobFor(batchSpec, `${name}-batch`));
        this.batchSchedule = job(
          'BatchSchedule',
          `${name}-batch`,
          props.batch.schedule,
          batchRequest,
          `Scores ${props.batch.input} with the champion of ${plan.model}; managed by cdktf-mlops.`,
        );
      }
    }
  }
}

/**
 * The PipelineSpec of a scheduled batch scoring run: one task of the runtime
 * image scoring `batch.input` with the registry folder's champion (the model
 * the last passing run registered, uploaded and deployed).
 */
function batchOnlySpec(props: ContinuousTrainingProps, bucket: string, output: string, pipelineName: string): Record<string, unknown> {
  const plan = props.plan.plan;
  const gcs = (key: string): string => `/gcs/${bucket}/${key.replace(/^\/+/, '')}`.replace(/\/+$/, '');
  const args = props.plan.batchArguments({
    model: `models:/${plan.model}@champion`,
    data: gcs(props.batch!.input),
    predictions: gcs(output),
    registry: gcs(props.registryPrefix),
  });
  return {
    pipelineInfo: { name: pipelineName },
    schemaVersion: '2.1.0',
    sdkVersion: 'cdktf-mlops-1',
    root: { dag: { tasks: { 'batch-score': { taskInfo: { name: 'batch-score' }, componentRef: { name: 'comp-batch-score' }, cachingOptions: {} } } } },
    components: { 'comp-batch-score': { executorLabel: 'exec-batch-score' } },
    deploymentSpec: {
      executors: {
        'exec-batch-score': {
          container: { image: props.image.imageUriByDigest, args, env: [{ name: 'MLOPS_KEEP_ROOT', value: '1' }], ...resourcesOf(props) },
        },
      },
    },
  };
}

function resourcesOf(props: ContinuousTrainingProps): Record<string, unknown> {
  const m = props.size.machineFor('gcp');
  const r = kfpResourcesOf(m.instanceType, m.accelerator ? { type: m.accelerator.type, count: m.accelerator.count } : undefined);
  return Object.keys(r).length ? { resources: r } : {};
}
