import {
  CreateModelPackageCommand,
  CreateTrainingJobCommand,
  CreateTrainingJobCommandInput,
  DeleteModelPackageCommand,
  DeleteTrainingJobCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageCommandOutput,
  DescribeTrainingJobCommand,
  DescribeTrainingJobCommandOutput,
  ListModelPackagesCommand,
  SageMakerClient,
  SageMakerClientConfig,
  StopTrainingJobCommand,
  TrainingInstanceType,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { createHash } from 'crypto';
import { ReleaseAction, ReleaseContext, ReleaseError, ReleaseReport } from '../driver';
import { RELEASE_INSTANCE_ENV, ReleaseSpec, TrainingSpec, canonicalJson } from '../spec';
import { call, createSageMakerClient, isNotFound, releaseErrorOf } from './sagemaker';
import { AwsTarget, parseAwsTraining } from './target';

/** Options of the AWS driver (tests point the client at a loopback server and shorten nothing else). */
export interface AwsDriverOptions {
  /** Merged over the client defaults (region from the spec, 5 attempts, standard retry mode). */
  readonly clientConfig?: SageMakerClientConfig;
  /** Between polls of a training job. @default 30000 (DescribeTrainingJob is rate-limited) */
  readonly pollIntervalMs?: number;
  /** Between polls of a new model package's status. @default 5000 */
  readonly packagePollIntervalMs?: number;
}

/**
 * Set to `1` to train again when the job of this revision failed or was
 * stopped: its record is deleted first (SageMaker reuses a job name only
 * after that), then a new job of the same name runs.
 */
export const RETRY_FAILED_ENV = 'MLOPS_RELEASE_RETRY_FAILED';

/** The release step's Terraform instance id (see spec.ts): absent when the release runs outside Terraform (by hand, from CI). */
export { RELEASE_INSTANCE_ENV };

/** What an instance id may look like: SageMaker metadata values allow letters, digits and `_.:/=+@-` (a Terraform id is a UUID). */
const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$/;

/** Keys of the model package's customer metadata: what the release knows a version by. */
export const PACKAGE_METADATA = {
  release: 'mlops:release',
  revision: 'mlops:revision',
  model: 'mlops:model',
  job: 'mlops:training-job',
  /** Hash of the spec whose apply last marked this version as the release's current one. */
  appliedSpec: 'mlops:applied-spec',
  /** When (ms since the epoch) that apply ran; the highest is the release's current version. */
  appliedAt: 'mlops:applied-at',
  /** The release step instance ({@link RELEASE_INSTANCE_ENV}) whose apply marked this version current; absent when that apply ran outside Terraform. */
  appliedBy: 'mlops:applied-by',
} as const;

/** How a model package description starts: lets the release find its versions without describing every package. */
export const PACKAGE_DESCRIPTION_PREFIX = 'cdktf-mlops release';

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);
/** Beyond the job's own limit: provisioning, image pull, data download and model upload. */
const JOB_OVERHEAD_MS = 2 * 60 * 60 * 1000;
const STOP_TIMEOUT_MS = 60 * 60 * 1000;
const PACKAGE_POLLS = 60;

/** One registered version of the release, as its metadata says. */
interface ReleasePackage {
  readonly arn: string;
  readonly version?: number;
  readonly revision: string;
  readonly job?: string;
  readonly appliedSpec?: string;
  readonly appliedAt: number;
  /** The release step instance that marked it current, if the apply ran with one. */
  readonly appliedBy?: string;
  readonly status?: string;
}

/**
 * The release step instance of this run ({@link RELEASE_INSTANCE_ENV}), or
 * `undefined` when the variable is unset or blank (a run outside Terraform).
 * Throws {@link ReleaseError} `RELEASE_INSTANCE_INVALID` for a value SageMaker
 * metadata cannot hold.
 */
export function releaseInstance(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[RELEASE_INSTANCE_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const id = raw.trim();
  if (!INSTANCE_ID.test(id)) {
    throw new ReleaseError(
      `${RELEASE_INSTANCE_ENV} is ${JSON.stringify(raw)}: it must be the release step's Terraform instance id (letters, digits and _.:/=+@-, at most 128 characters; Terraform sets it to terraform_data's id, a UUID). Fix: unset it when running the release by hand, or run the release through its Terraform step.`,
      'RELEASE_INSTANCE_INVALID',
    );
  }
  return id;
}

/** `mlops release apply` of a training spec: train (or reuse the completed job), then register the model. */
export async function applyTraining(spec: ReleaseSpec, ctx: ReleaseContext, options: AwsDriverOptions = {}): Promise<ReleaseReport> {
  const { target, training } = parseAwsTraining(spec);
  const instance = releaseInstance(ctx.env);
  if (!instance) {
    ctx.log.info(`${RELEASE_INSTANCE_ENV} is not set (a run outside the Terraform release step): the model version is marked current without a release step id`);
  }
  const client = createSageMakerClient(target.region, ctx, options.clientConfig);
  try {
    const actions: ReleaseAction[] = [];
    const job = await train(client, spec, training, target, ctx, options, actions);
    const artifacts = job.ModelArtifacts?.S3ModelArtifacts;
    if (artifacts !== target.modelUri) {
      throw new ReleaseError(
        `training job ${training.jobName} wrote its model to ${artifacts ?? '(nowhere)'}, not to ${target.modelUri} where the endpoint reads it`,
        'MODEL_LOCATION_MISMATCH',
      );
    }
    const registered = await register(client, spec, training, target, instance, ctx, options, actions);
    return {
      actions,
      outputs: {
        trainingJobName: training.jobName,
        trainingJobArn: job.TrainingJobArn ?? '',
        modelDataUrl: artifacts,
        modelPackageArn: registered.arn,
        modelPackageVersion: registered.version === undefined ? '' : String(registered.version),
        modelVersion: spec.revision,
      },
    };
  } finally {
    client.destroy();
  }
}

/**
 * `mlops release destroy` of a training spec. Superseded — another spec of
 * the release was applied after this one (a newer revision, or the same
 * revision with another image), or this same spec was applied again by
 * another release step instance (the version's `mlops:applied-by` is not this
 * run's {@link RELEASE_INSTANCE_ENV}: a replacement with an equal spec): keeps
 * the model versions (the registry's history; the newer step may use them)
 * and stops this revision's job only if it still runs for another revision.
 * Otherwise (`cdktf destroy`: the marker carries this instance id, or none):
 * stops the job if it runs, deletes every model version of the release (a
 * model package group cannot be deleted while it holds versions) and the
 * release's training job records. Without an instance id (a run by hand) only
 * the spec decides, as before instance ids existed.
 */
export async function destroyTraining(spec: ReleaseSpec, ctx: ReleaseContext, options: AwsDriverOptions = {}): Promise<ReleaseReport> {
  const { target, training } = parseAwsTraining(spec);
  const instance = releaseInstance(ctx.env);
  if (!instance) {
    ctx.log.info(
      `${RELEASE_INSTANCE_ENV} is not set (a run outside the Terraform release step): only the applied spec decides whether this step is superseded, so a replacement step with the same spec cannot be told from a real destroy`,
    );
  }
  const client = createSageMakerClient(target.region, ctx, options.clientConfig);
  try {
    const actions: ReleaseAction[] = [];
    const packages = await releasePackages(client, ctx, target.modelPackageGroupName, spec.name);
    const current = latestApplied(packages);
    const job = await describeJob(client, ctx, training.jobName);

    if (current && current.appliedSpec !== specHash(spec)) {
      ctx.log.info(`release ${spec.name} now serves revision ${current.revision}, applied after this step: keeping what it created`);
      for (const p of packages.filter((x) => x.revision === spec.revision)) {
        actions.push({ action: 'kept', what: 'model version', id: p.arn, detail: `superseded by revision ${current.revision}; stays in the registry's history` });
      }
      if (job && !TERMINAL.has(job.TrainingJobStatus ?? '') && current.revision !== spec.revision) {
        await stopJob(client, ctx, training.jobName, options, actions);
      } else if (job) {
        actions.push({ action: 'kept', what: 'training job', id: training.jobName, detail: `${job.TrainingJobStatus}; the record of a kept model version` });
      }
      return { actions, outputs: { supersededBy: current.revision } };
    }

    if (current && instance && current.appliedBy && current.appliedBy !== instance) {
      const by = current.appliedBy;
      ctx.log.info(
        `release step ${by} applied this same spec (revision ${current.revision}) after this step (${instance}): it replaced this step, so its destroy keeps what the new step uses`,
      );
      for (const p of packages.filter((x) => x.revision === spec.revision)) {
        actions.push({
          action: 'kept',
          what: 'model version',
          id: p.arn,
          detail: `revision ${p.revision}, applied again by release step ${by} (same spec), which replaced this step`,
        });
      }
      if (job)
        actions.push({ action: 'kept', what: 'training job', id: training.jobName, detail: `${job.TrainingJobStatus}; the record of the model version release step ${by} uses` });
      return { actions, outputs: { supersededBy: current.revision, supersededByStep: by } };
    }
    if (current && instance && !current.appliedBy) {
      ctx.log.info(
        `model version ${current.arn} carries no release step id (applied outside Terraform or by an earlier driver): treating this step (${instance}) as the one that applied it`,
      );
    }

    if (job && !TERMINAL.has(job.TrainingJobStatus ?? '')) await stopJob(client, ctx, training.jobName, options, actions);
    for (const p of packages) {
      ctx.log.info(`deleting model version ${p.arn} (revision ${p.revision})`);
      await call('DeleteModelPackage', ctx, (abortSignal) => client.send(new DeleteModelPackageCommand({ ModelPackageName: p.arn }), { abortSignal }));
      actions.push({ action: 'deleted', what: 'model version', id: p.arn, detail: `revision ${p.revision}` });
    }
    if (packages.length === 0) ctx.log.info(`no model version of release ${spec.name} in ${target.modelPackageGroupName}`);
    const jobs = [...new Set([training.jobName, ...packages.map((p) => p.job).filter((j): j is string => !!j)])];
    for (const name of jobs) await deleteJobRecord(client, ctx, name, actions);
    return { actions, outputs: {} };
  } finally {
    client.destroy();
  }
}

/** Runs the job, or reuses / waits for the one of the same name; resolves to the completed job. */
async function train(
  client: SageMakerClient,
  spec: ReleaseSpec,
  training: TrainingSpec,
  target: AwsTarget,
  ctx: ReleaseContext,
  options: AwsDriverOptions,
  actions: ReleaseAction[],
): Promise<DescribeTrainingJobCommandOutput> {
  const name = training.jobName;
  const budgetMs = (target.spot?.maxWaitSeconds ?? training.maxRuntimeSeconds) * 1000 + JOB_OVERHEAD_MS;
  let job = await describeJob(client, ctx, name);
  if (job && (job.TrainingJobStatus === 'Failed' || job.TrainingJobStatus === 'Stopped')) {
    if (!isOn(ctx.env[RETRY_FAILED_ENV])) throw jobError(job);
    ctx.log.info(`training job ${name} ${job.TrainingJobStatus.toLowerCase()} earlier; ${RETRY_FAILED_ENV} is set: deleting its record to train again`);
    await call('DeleteTrainingJob', ctx, (abortSignal) => client.send(new DeleteTrainingJobCommand({ TrainingJobName: name }), { abortSignal }));
    await waitUntilGone(client, ctx, name, options);
    actions.push({ action: 'deleted', what: 'training job', id: name, detail: `the ${job.TrainingJobStatus.toLowerCase()} run, to train again` });
    job = undefined;
  }
  if (!job) {
    ctx.log.info(`creating training job ${name} on ${training.instanceCount} × ${training.instanceType}`);
    try {
      await call('CreateTrainingJob', ctx, (abortSignal) => client.send(new CreateTrainingJobCommand(trainingJobRequest(spec, training, target)), { abortSignal }));
    } catch (err) {
      // A retried request whose first attempt created the job (CreateTrainingJob has no idempotency token).
      const inUse = err instanceof ReleaseError && (err.cause as { name?: string } | undefined)?.name === 'ResourceInUse';
      if (!inUse || !(await describeJob(client, ctx, name))) throw err;
      ctx.log.warn(`training job ${name} exists already (an earlier attempt of the request created it): waiting for it`);
    }
    actions.push({ action: 'created', what: 'training job', id: name, detail: `${training.instanceCount} × ${training.instanceType}` });
    job = await waitForJob(client, ctx, name, budgetMs, options);
  } else if (job.TrainingJobStatus === 'InProgress' || job.TrainingJobStatus === 'Stopping') {
    ctx.log.info(`training job ${name} is already ${job.TrainingJobStatus === 'InProgress' ? 'running' : 'stopping'}: waiting for it`);
    job = await waitForJob(client, ctx, name, budgetMs, options);
    actions.push({ action: 'waited', what: 'training job', id: name, detail: job.TrainingJobStatus });
  } else {
    ctx.log.info(`training job ${name} completed earlier: reusing its model`);
    actions.push({ action: 'unchanged', what: 'training job', id: name, detail: 'completed earlier' });
  }
  if (job.TrainingJobStatus !== 'Completed') throw jobError(job);
  const seconds = job.TrainingTimeInSeconds;
  ctx.log.info(`training job ${name} completed${seconds !== undefined ? ` (${seconds} s of training, ${job.BillableTimeInSeconds ?? seconds} s billed)` : ''}`);
  return job;
}

/** The CreateTrainingJob request of a spec (the image's `train` contract: channel `train`, model to /opt/ml/model). */
export function trainingJobRequest(spec: ReleaseSpec, training: TrainingSpec, target: AwsTarget): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: training.jobName,
    AlgorithmSpecification: { TrainingImage: spec.image, TrainingInputMode: 'File' },
    RoleArn: target.roleArn,
    InputDataConfig: [
      {
        ChannelName: 'train',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: training.dataUri, S3DataDistributionType: 'FullyReplicated' } },
        ContentType: 'text/csv',
        InputMode: 'File',
      },
    ],
    OutputDataConfig: { S3OutputPath: training.outputUri, KmsKeyId: target.kmsKeyArn },
    ResourceConfig: {
      InstanceType: training.instanceType as TrainingInstanceType,
      InstanceCount: training.instanceCount,
      VolumeSizeInGB: target.volumeSizeGb,
      ...(target.volumeKmsKeyArn ? { VolumeKmsKeyId: target.volumeKmsKeyArn } : {}),
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: training.maxRuntimeSeconds,
      ...(target.spot ? { MaxWaitTimeInSeconds: target.spot.maxWaitSeconds } : {}),
    },
    ...(Object.keys(training.hyperparameters).length > 0 ? { HyperParameters: training.hyperparameters } : {}),
    Environment: { MLOPS_TRAINING_CONTRACT: 'sagemaker' },
    ...(target.vpc ? { VpcConfig: { Subnets: [...target.vpc.subnetIds], SecurityGroupIds: [...target.vpc.securityGroupIds] } } : {}),
    EnableNetworkIsolation: true,
    EnableInterContainerTrafficEncryption: true,
    ...(target.spot ? { EnableManagedSpotTraining: true } : {}),
    Tags: releaseTags(spec),
  };
}

/** Registers the job's model in the group as this revision's version (or finds it), and marks it as the release's current one. */
async function register(
  client: SageMakerClient,
  spec: ReleaseSpec,
  training: TrainingSpec,
  target: AwsTarget,
  instance: string | undefined,
  ctx: ReleaseContext,
  options: AwsDriverOptions,
  actions: ReleaseAction[],
): Promise<ReleasePackage> {
  const group = target.modelPackageGroupName;
  const hash = specHash(spec);
  const packages = await releasePackages(client, ctx, group, spec.name);
  const latest = latestApplied(packages);
  const appliedAt = Math.max(ctx.now(), (latest?.appliedAt ?? 0) + 1);
  let ours = packages.find((p) => p.revision === spec.revision);

  if (ours?.status === 'Failed') {
    ctx.log.warn(`model version ${ours.arn} of revision ${spec.revision} failed to register earlier: registering it again`);
    await call('DeleteModelPackage', ctx, (abortSignal) => client.send(new DeleteModelPackageCommand({ ModelPackageName: ours!.arn }), { abortSignal }));
    actions.push({ action: 'deleted', what: 'model version', id: ours.arn, detail: 'failed registration' });
    ours = undefined;
  }

  if (!ours) {
    ctx.log.info(`registering model ${spec.modelName} revision ${spec.revision} in model package group ${group}`);
    const created = await call('CreateModelPackage', ctx, (abortSignal) =>
      client.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: group,
          ModelPackageDescription: `${PACKAGE_DESCRIPTION_PREFIX} ${spec.name} revision ${spec.revision}: model ${spec.modelName} trained by ${training.jobName}`,
          InferenceSpecification: {
            Containers: [
              {
                Image: spec.image,
                ModelDataUrl: target.modelUri,
                Environment: { MLOPS_MODEL_NAME: spec.modelName, MLOPS_MODEL_VERSION: spec.revision },
              },
            ],
            SupportedContentTypes: ['text/csv', 'application/json'],
            SupportedResponseMIMETypes: ['application/json', 'text/csv'],
          },
          ModelApprovalStatus: 'Approved',
          CustomerMetadataProperties: {
            [PACKAGE_METADATA.release]: spec.name,
            [PACKAGE_METADATA.revision]: spec.revision,
            [PACKAGE_METADATA.model]: spec.modelName,
            [PACKAGE_METADATA.job]: training.jobName,
            [PACKAGE_METADATA.appliedSpec]: hash,
            [PACKAGE_METADATA.appliedAt]: String(appliedAt),
            ...(instance ? { [PACKAGE_METADATA.appliedBy]: instance } : {}),
          },
          Tags: releaseTags(spec),
        }),
        { abortSignal },
      ),
    );
    const arn = created.ModelPackageArn;
    if (!arn) throw new ReleaseError(`SageMaker CreateModelPackage answered without a ModelPackageArn for revision ${spec.revision}`, 'CLOUD_REQUEST_FAILED');
    const described = await waitForPackage(client, ctx, arn, options);
    actions.push({ action: 'created', what: 'model version', id: arn, detail: `${group} v${described.ModelPackageVersion ?? '?'}, revision ${spec.revision}` });
    return {
      arn,
      version: described.ModelPackageVersion,
      revision: spec.revision,
      job: training.jobName,
      appliedSpec: hash,
      appliedAt,
      appliedBy: instance,
      status: described.ModelPackageStatus,
    };
  }

  const currentWithThisSpec = latest === ours && ours.appliedSpec === hash;
  // Without an instance id (a run outside Terraform) the spec alone decides, as before instance ids existed.
  if (currentWithThisSpec && (instance === undefined || ours.appliedBy === instance)) {
    ctx.log.info(`model version ${ours.arn} of revision ${spec.revision} is registered and current`);
    actions.push({ action: 'unchanged', what: 'model version', id: ours.arn, detail: `revision ${spec.revision}` });
    return ours;
  }
  let detail: string;
  if (currentWithThisSpec) {
    ctx.log.info(
      `model version ${ours.arn} of revision ${spec.revision} is current, applied by release step ${ours.appliedBy ?? '(none)'}: marking it as applied by this step (${instance}), which replaces that one`,
    );
    detail = `revision ${spec.revision} is current; applied by release step ${instance} now`;
  } else {
    ctx.log.info(`model version ${ours.arn} of revision ${spec.revision} exists: marking it as the release's current version`);
    detail = `revision ${spec.revision} is current again`;
  }
  // A run without an instance id removes the id of the step that marked the version before: the marker must not name a step that did not apply it last.
  const removeId = instance === undefined && ours.appliedBy !== undefined;
  await call('UpdateModelPackage', ctx, (abortSignal) =>
    client.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: ours!.arn,
        CustomerMetadataProperties: {
          [PACKAGE_METADATA.appliedSpec]: hash,
          [PACKAGE_METADATA.appliedAt]: String(appliedAt),
          ...(instance ? { [PACKAGE_METADATA.appliedBy]: instance } : {}),
        },
        ...(removeId ? { CustomerMetadataPropertiesToRemove: [PACKAGE_METADATA.appliedBy] } : {}),
      }),
      { abortSignal },
    ),
  );
  actions.push({ action: 'updated', what: 'model version', id: ours.arn, detail });
  return { ...ours, appliedSpec: hash, appliedAt, appliedBy: instance };
}

/** The release's versions in the group (described: their metadata names the release and revision). */
async function releasePackages(client: SageMakerClient, ctx: ReleaseContext, group: string, release: string): Promise<ReleasePackage[]> {
  const found: ReleasePackage[] = [];
  const prefix = `${PACKAGE_DESCRIPTION_PREFIX} ${release} `;
  let token: string | undefined;
  do {
    const page = await call('ListModelPackages', ctx, (abortSignal) =>
      client.send(
        new ListModelPackagesCommand({
          ModelPackageGroupName: group,
          ModelPackageType: 'Versioned',
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          MaxResults: 100,
          ...(token ? { NextToken: token } : {}),
        }),
        { abortSignal },
      ),
    );
    for (const summary of page.ModelPackageSummaryList ?? []) {
      const arn = summary.ModelPackageArn;
      if (!arn || !(summary.ModelPackageDescription ?? '').startsWith(prefix)) continue;
      const d = await call('DescribeModelPackage', ctx, (abortSignal) => client.send(new DescribeModelPackageCommand({ ModelPackageName: arn }), { abortSignal }));
      const meta = d.CustomerMetadataProperties ?? {};
      const revision = meta[PACKAGE_METADATA.revision];
      if (meta[PACKAGE_METADATA.release] !== release || !revision) continue;
      found.push({
        arn,
        version: d.ModelPackageVersion ?? summary.ModelPackageVersion,
        revision,
        job: meta[PACKAGE_METADATA.job],
        appliedSpec: meta[PACKAGE_METADATA.appliedSpec],
        appliedAt: Number(meta[PACKAGE_METADATA.appliedAt] ?? 0) || 0,
        appliedBy: meta[PACKAGE_METADATA.appliedBy] || undefined,
        status: d.ModelPackageStatus,
      });
    }
    token = page.NextToken || undefined;
  } while (token);
  return found;
}

/** The version the release applied last (highest applied-at, then highest version). */
function latestApplied(packages: readonly ReleasePackage[]): ReleasePackage | undefined {
  let best: ReleasePackage | undefined;
  for (const p of packages) {
    if (!best || p.appliedAt > best.appliedAt || (p.appliedAt === best.appliedAt && (p.version ?? 0) > (best.version ?? 0))) best = p;
  }
  return best;
}

async function describeJob(client: SageMakerClient, ctx: ReleaseContext, name: string): Promise<DescribeTrainingJobCommandOutput | undefined> {
  try {
    return await client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }), { abortSignal: ctx.signal });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw releaseErrorOf('DescribeTrainingJob', err);
  }
}

/** Polls the job until it ends (or the budget runs out), logging each status transition once. */
async function waitForJob(client: SageMakerClient, ctx: ReleaseContext, name: string, budgetMs: number, options: AwsDriverOptions): Promise<DescribeTrainingJobCommandOutput> {
  const deadline = ctx.now() + budgetMs;
  const logged = new Set<string>();
  for (;;) {
    const job = await call('DescribeTrainingJob', ctx, (abortSignal) => client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }), { abortSignal }));
    for (const t of job.SecondaryStatusTransitions ?? []) {
      const line = `${t.Status}${t.StatusMessage ? `: ${t.StatusMessage}` : ''}`;
      if (!logged.has(line)) {
        logged.add(line);
        ctx.log.info(`training job ${name}: ${line}`);
      }
    }
    if (TERMINAL.has(job.TrainingJobStatus ?? '')) return job;
    if (ctx.now() >= deadline) {
      throw new ReleaseError(
        `training job ${name} is still ${job.TrainingJobStatus} (${job.SecondaryStatus}) after ${Math.round(budgetMs / 60000)} minutes of waiting; it keeps running in SageMaker — run the release again to keep waiting, or stop it with \`aws sagemaker stop-training-job --training-job-name ${name}\``,
        'TIMEOUT',
      );
    }
    await ctx.sleep(options.pollIntervalMs ?? 30000);
  }
}

/** Stops a running job and waits until it has stopped. */
async function stopJob(client: SageMakerClient, ctx: ReleaseContext, name: string, options: AwsDriverOptions, actions: ReleaseAction[]): Promise<void> {
  ctx.log.info(`stopping training job ${name}`);
  await call('StopTrainingJob', ctx, (abortSignal) => client.send(new StopTrainingJobCommand({ TrainingJobName: name }), { abortSignal }));
  const job = await waitForJob(client, ctx, name, STOP_TIMEOUT_MS, options);
  actions.push({ action: 'updated', what: 'training job', id: name, detail: `stopped (${job.TrainingJobStatus})` });
}

/** Deletes a finished job's record; a job SageMaker will not delete is kept with a warning. */
async function deleteJobRecord(client: SageMakerClient, ctx: ReleaseContext, name: string, actions: ReleaseAction[]): Promise<void> {
  const job = await describeJob(client, ctx, name);
  if (!job) return;
  try {
    await call('DeleteTrainingJob', ctx, (abortSignal) => client.send(new DeleteTrainingJobCommand({ TrainingJobName: name }), { abortSignal }));
    actions.push({ action: 'deleted', what: 'training job', id: name, detail: `${job.TrainingJobStatus} record` });
  } catch (err) {
    if (!(err instanceof ReleaseError) || err.code !== 'CLOUD_REQUEST_REFUSED') throw err;
    ctx.log.warn(`training job ${name} was kept: ${err.message}`);
    actions.push({ action: 'kept', what: 'training job', id: name, detail: 'SageMaker refused to delete its record' });
  }
}

async function waitUntilGone(client: SageMakerClient, ctx: ReleaseContext, name: string, options: AwsDriverOptions): Promise<void> {
  for (let i = 0; i < PACKAGE_POLLS; i++) {
    if (!(await describeJob(client, ctx, name))) return;
    await ctx.sleep(options.packagePollIntervalMs ?? 5000);
  }
  throw new ReleaseError(`training job ${name} was deleted but SageMaker still describes it; run the release again in a few minutes`, 'TIMEOUT');
}

async function waitForPackage(client: SageMakerClient, ctx: ReleaseContext, arn: string, options: AwsDriverOptions): Promise<DescribeModelPackageCommandOutput> {
  for (let i = 0; ; i++) {
    const d = await call('DescribeModelPackage', ctx, (abortSignal) => client.send(new DescribeModelPackageCommand({ ModelPackageName: arn }), { abortSignal }));
    if (d.ModelPackageStatus === 'Completed') return d;
    if (d.ModelPackageStatus === 'Failed' || d.ModelPackageStatus === 'Deleting') {
      const details = (d.ModelPackageStatusDetails?.ValidationStatuses ?? []).map((s) => `${s.Name}: ${s.Status}${s.FailureReason ? ` (${s.FailureReason})` : ''}`).join('; ');
      throw new ReleaseError(`model version ${arn} is ${d.ModelPackageStatus}${details ? `: ${details}` : ''}`, 'REGISTRATION_FAILED');
    }
    if (i + 1 >= PACKAGE_POLLS)
      throw new ReleaseError(`model version ${arn} is still ${d.ModelPackageStatus} after ${PACKAGE_POLLS} polls; run the release again to keep waiting`, 'TIMEOUT');
    await ctx.sleep(options.packagePollIntervalMs ?? 5000);
  }
}

function jobError(job: DescribeTrainingJobCommandOutput): ReleaseError {
  const name = job.TrainingJobName ?? '(unnamed)';
  const retry = `SageMaker never reuses a job name while its record exists: fix the cause, then deploy again with ${RETRY_FAILED_ENV}=1 (deletes the record and trains again), or change the training config`;
  if (job.TrainingJobStatus === 'Stopped') return new ReleaseError(`training job ${name} was stopped before it finished. ${retry}.`, 'TRAINING_STOPPED');
  return new ReleaseError(
    `training job ${name} failed: ${job.FailureReason ?? 'SageMaker gave no reason'}. Its log is in CloudWatch Logs, group /aws/sagemaker/TrainingJobs, streams ${name}/*. ${retry}.`,
    'TRAINING_FAILED',
  );
}

function releaseTags(spec: ReleaseSpec): { Key: string; Value: string }[] {
  return [
    { Key: 'mlops-release', Value: spec.name },
    { Key: 'mlops-revision', Value: spec.revision },
    { Key: 'mlops-model', Value: spec.modelName },
  ];
}

/** 16 hex of a sha256 over the spec's canonical JSON: tells this step's spec from another of the same revision. */
export function specHash(spec: ReleaseSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

function isOn(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.trim().toLowerCase());
}
