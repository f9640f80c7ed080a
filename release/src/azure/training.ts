import type { CommandJob, JobBase } from '@azure/arm-machinelearning';
import { ReleaseAction, ReleaseError, ReleaseReport } from '../driver';
import { ReleaseSpec, ReleaseSpecError, TrainingSpec } from '../spec';
import {
  datastoreUri,
  digestOf,
  ensureEnvironment,
  environmentName,
  environmentVersionsOf,
  isSuperseded,
  modelStepOf,
  modelVersionsOf,
  registerModelVersion,
  workspaceId,
} from './assets';
import { AzureSession, armRequest, attempt, getIfExists } from './client';
import { AzureTarget, HYPERPARAMETER_NAME, RELEASE_INSTANCE_ENV, TAGS } from './target';
import { ensureWorkspaceSettings } from './workspace';

type TrainingTarget = NonNullable<AzureTarget['training']>;

/** Job states after which nothing changes. */
const TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);
/** Time a job may spend queued and provisioning nodes, on top of its run time limit. */
export const JOB_QUEUE_ALLOWANCE_SECONDS = 3600;

/** POSIX single-quoting: Azure ML runs the command with a shell. */
function quote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command the job runs in the runtime image (`mlops` is on its PATH; see
 * training-image/src/contracts/README.md, Azure ML contract): the data input
 * and the model output by Azure ML expressions, then every setting as `--name value`.
 */
export function trainCommand(training: TrainingSpec): string {
  const problems: { code: 'RELEASE_SPEC_INVALID'; path: string; message: string }[] = [];
  const args = ['mlops', 'train', '--data', '${{inputs.training_data}}', '--out', '${{outputs.model}}'];
  for (const [name, value] of Object.entries(training.hyperparameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!HYPERPARAMETER_NAME.test(name)) {
      problems.push({
        code: 'RELEASE_SPEC_INVALID',
        path: `training.hyperparameters.${name}`,
        message: 'is not a setting name: use 1-64 letters, digits, _ . -, starting with a letter',
      });
    } else if (value.includes('${{') || /[\0\r\n]/.test(value)) {
      problems.push({
        code: 'RELEASE_SPEC_INVALID',
        path: `training.hyperparameters.${name}`,
        message: 'must be one line without "${{" (Azure ML would read it as a job expression)',
      });
    } else {
      args.push(`--${name}`, quote(value));
    }
  }
  if (problems.length > 0) throw new ReleaseSpecError(problems);
  return args.join(' ');
}

/** The command job of a training spec. */
export function jobBody(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, environmentId: string): JobBase {
  const training = spec.training!;
  const t = target.training!;
  const job: CommandJob = {
    jobType: 'Command',
    displayName: `${spec.name} ${spec.revision}`,
    experimentName: spec.name,
    description: `Training of ${spec.modelName} for release ${spec.name}, revision ${spec.revision} (cdktf-mlops).`,
    computeId: t.computeId,
    environmentId,
    command: trainCommand(training),
    environmentVariables: {
      MLOPS_TRAINING_CONTRACT: 'azureml',
      // Which of the cluster's user-assigned identities data access uses.
      DEFAULT_IDENTITY_CLIENT_ID: target.identity.clientId,
    },
    identity: { identityType: 'Managed', clientId: target.identity.clientId },
    inputs: {
      training_data: { jobInputType: t.dataType, mode: 'ReadOnlyMount', uri: datastoreUri(s, target, t.datastore, t.dataPath) },
    },
    outputs: {
      model: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount', uri: `${datastoreUri(s, target, t.datastore, t.modelPath)}/` },
    },
    limits: { jobLimitsType: 'Command', timeout: `PT${training.maxRuntimeSeconds}S` },
    resources: { instanceCount: training.instanceCount },
    tags: { [TAGS.release]: spec.name, [TAGS.revision]: spec.revision, [TAGS.image]: digestOf(spec.image), [TAGS.managedBy]: 'cdktf-mlops' },
  };
  return { properties: job };
}

function studioLink(job: JobBase | undefined): string {
  const endpoint = job?.properties?.services?.Studio?.endpoint;
  return endpoint ? ` Studio: ${endpoint}` : '';
}

/** Creates the job, or finds it, and waits until it completes. */
async function runJob(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, environmentId: string, actions: ReleaseAction[]): Promise<JobBase> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const training = spec.training!;
  const name = training.jobName;
  let job = await getIfExists(`get training job ${name}`, () => s.client.jobs.get(rg, ws, name, s.call));
  if (!job) {
    // Sent as JSON through the client's pipeline (its credential and retry
    // policy) rather than jobs.createOrUpdate: the 2.1.1 serializer drops `uri`
    // and `mode` of uri_file / uri_folder inputs and outputs (its discriminator
    // table files them under AssetJobInput.*, the lookup asks for JobInput.*).
    const path = `${workspaceId(s, target)}/jobs/${encodeURIComponent(name)}`;
    const created = await armRequest(s, `create training job ${name}`, 'PUT', path, s.client.apiVersion, jobBody(s, spec, target, environmentId));
    job = created as unknown as JobBase;
    s.ctx.log.info(`training job ${name} submitted on ${target.training!.computeId.split('/').pop()}`);
    actions.push({ action: 'created', what: 'training job', id: name, detail: `${training.instanceCount} × ${training.instanceType}` });
  } else if (job.properties.status === 'Completed') {
    s.ctx.log.info(`training job ${name} completed earlier; reusing its model`);
    actions.push({ action: 'unchanged', what: 'training job', id: name, detail: 'Completed' });
    return job;
  } else if (!TERMINAL.has(job.properties.status ?? '')) {
    s.ctx.log.info(`training job ${name} is ${job.properties.status ?? 'in an unknown state'}; waiting for it`);
    actions.push({ action: 'waited', what: 'training job', id: name, detail: `found ${job.properties.status}` });
  }

  const deadline = s.ctx.now() + (training.maxRuntimeSeconds + JOB_QUEUE_ALLOWANCE_SECONDS) * 1000;
  let last = '';
  for (;;) {
    const status = job.properties.status ?? 'Unknown';
    if (status !== last) {
      if (last) s.ctx.log.info(`training job ${name}: ${status}`);
      last = status;
    }
    if (status === 'Completed') return job;
    if (status === 'Failed' || status === 'Canceled') {
      throw new ReleaseError(
        `Training job ${name} ${status === 'Failed' ? 'failed' : 'was canceled'} (status ${status}).${studioLink(job)} ` +
          `Its log says why: az ml job stream --name ${name} --resource-group ${rg} --workspace-name ${ws}. ` +
          `Fix the cause, then deploy again with a changed config or image (a new revision), or delete the job to re-run this revision.`,
        status === 'Failed' ? 'TRAINING_FAILED' : 'TRAINING_CANCELED',
      );
    }
    if (s.ctx.now() > deadline) {
      throw new ReleaseError(
        `Training job ${name} is still ${status} after ${Math.round((training.maxRuntimeSeconds + JOB_QUEUE_ALLOWANCE_SECONDS) / 60)} minutes (its run time limit plus ${JOB_QUEUE_ALLOWANCE_SECONDS / 60} for queueing).${studioLink(job)} ` +
          `Run the release again to keep waiting (it resumes the same job), or check the cluster's quota and nodes.`,
        'TRAINING_TIMEOUT',
      );
    }
    await s.ctx.sleep(s.jobPollMs);
    job = await attempt(`get training job ${name}`, () => s.client.jobs.get(rg, ws, name, s.call));
  }
}

/** Registers the model version for the completed job (see `registerModelVersion`). */
function registerModel(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, instance: string | undefined, actions: ReleaseAction[]): Promise<{ version: string; id: string }> {
  const t = target.training!;
  return registerModelVersion(s, spec, target, instance, actions, {
    description: `${spec.modelName} trained by job ${spec.training!.jobName} (release ${spec.name}, revision ${spec.revision}).`,
    modelUri: `${datastoreUri(s, target, t.datastore, t.modelPath)}/`,
    jobName: spec.training!.jobName,
  });
}

/**
 * `apply` of a training spec: environment, job (reused when it completed
 * before), model version, marked with `instance` (the release step instance,
 * `releaseInstanceOf`) unless there is none (a run outside Terraform).
 */
export async function applyTraining(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, instance: string | undefined): Promise<ReleaseReport> {
  const actions: ReleaseAction[] = [];
  // Checked before anything is created.
  trainCommand(spec.training!);
  if (instance === undefined) {
    s.ctx.log.info(`${RELEASE_INSTANCE_ENV} is not set (a run outside Terraform): the model version is not marked with ${TAGS.step}`);
  }
  // Before the job: it writes its logs and outputs through the system datastores.
  actions.push(...(await ensureWorkspaceSettings(s, target)));
  const environment = await ensureEnvironment(s, spec, target);
  actions.push(environment.action);
  const job = await runJob(s, spec, target, environment.id, actions);
  const model = await registerModel(s, spec, target, instance, actions);
  return {
    actions,
    outputs: {
      jobName: spec.training!.jobName,
      jobStatus: job.properties.status ?? 'Completed',
      modelName: spec.modelName,
      modelVersion: model.version,
      modelVersionId: model.id,
      revision: spec.revision,
      environment: `${environmentName(spec)}:${environment.version}`,
    },
  };
}

/**
 * `destroy` of a training spec. Superseded — the registry holds a version of a
 * newer revision of the same release, or this revision's version (then the
 * release's latest) is marked by another release step instance (a replacement
 * with the same spec: `terraform apply -replace`, an image rebuilt from the
 * same content) — keeps the model version and the job as history. Otherwise
 * (`cdktf destroy`; also a version marked by this instance or not marked at
 * all): deletes the model version, the job (cancelled first if it still runs)
 * and the environment version the release registered. Without an `instance`
 * (a run outside Terraform) it decides by revision only.
 */
export async function destroyTraining(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, instance: string | undefined): Promise<ReleaseReport> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const actions: ReleaseAction[] = [];
  const name = spec.training!.jobName;
  const { all, mine } = await modelVersionsOf(s, spec, target);
  if (isSuperseded(spec, all, mine)) {
    s.ctx.log.info(`revision ${spec.revision} is superseded by a newer revision of ${spec.name}; keeping its model version and job`);
    if (mine?.name) actions.push({ action: 'kept', what: 'model version', id: `${spec.modelName}:${mine.name}`, detail: 'superseded: kept as history' });
    actions.push({ action: 'kept', what: 'training job', id: name, detail: 'superseded: kept as history' });
    return { actions, outputs: { superseded: 'true' } };
  }
  const lastStep = modelStepOf(mine);
  if (instance === undefined) {
    s.ctx.log.info(
      `${RELEASE_INSTANCE_ENV} is not set (a run outside Terraform): a replacement of this step with the same spec cannot be told from a real destroy; deciding by revision only`,
    );
  } else if (mine?.name && lastStep !== undefined && lastStep !== instance) {
    const why = `release step ${lastStep} applied revision ${spec.revision} last (${TAGS.step}), this step is ${instance}: superseded by a step of the same spec`;
    s.ctx.log.info(`${why}; keeping its model version and job`);
    actions.push({ action: 'kept', what: 'model version', id: `${spec.modelName}:${mine.name}`, detail: why });
    actions.push({ action: 'kept', what: 'training job', id: name, detail: why });
    return { actions, outputs: { superseded: 'true' } };
  }

  if (mine?.name) {
    const version = mine.name;
    await getIfExists(`delete model version ${spec.modelName}:${version}`, () => s.client.modelVersions.delete(rg, ws, spec.modelName, version, s.call));
    actions.push({ action: 'deleted', what: 'model version', id: `${spec.modelName}:${version}`, detail: `revision ${spec.revision}` });
    if (all.length === 1) {
      await getIfExists(`delete model ${spec.modelName}`, () => s.client.modelContainers.delete(rg, ws, spec.modelName, s.call));
      actions.push({ action: 'deleted', what: 'model', id: spec.modelName, detail: 'no versions left' });
    }
  }

  const job = await getIfExists(`get training job ${name}`, () => s.client.jobs.get(rg, ws, name, s.call));
  if (job) {
    if (!TERMINAL.has(job.properties.status ?? '')) {
      await getIfExists(`cancel training job ${name}`, () => s.client.jobs.beginCancelAndWait(rg, ws, name, s.lro));
      actions.push({ action: 'updated', what: 'training job', id: name, detail: `canceled (was ${job.properties.status})` });
    }
    await getIfExists(`delete training job ${name}`, () => s.client.jobs.beginDeleteAndWait(rg, ws, name, s.lro));
    actions.push({ action: 'deleted', what: 'training job', id: name });
  }

  const env = environmentName(spec);
  const environments = await environmentVersionsOf(s, spec, target);
  for (const v of environments.mine) {
    if (!v.name) continue;
    const version = v.name;
    await getIfExists(`delete environment version ${env}:${version}`, () => s.client.environmentVersions.delete(rg, ws, env, version, s.call));
    actions.push({ action: 'deleted', what: 'environment', id: `${env}:${version}` });
  }
  if (environments.all.length > 0 && environments.all.length === environments.mine.length) {
    await getIfExists(`delete environment ${env}`, () => s.client.environmentContainers.delete(rg, ws, env, s.call));
    actions.push({ action: 'deleted', what: 'environment', id: env, detail: 'no versions left' });
  }
  if (actions.length === 0) actions.push({ action: 'unchanged', what: 'training job', id: name, detail: 'nothing of this revision was found' });
  return { actions, outputs: {} };
}

/** Checks the training part of the target exists; the driver calls it before any request. */
export function trainingTargetOf(target: AzureTarget): TrainingTarget {
  if (!target.training) {
    throw new ReleaseSpecError([
      {
        code: 'RELEASE_SPEC_INVALID',
        path: 'azure.training',
        message: "is required when kind is training (compute, datastore, data and model paths); the stack's AzureTrainingJob writes it",
      },
    ]);
  }
  return target.training;
}
