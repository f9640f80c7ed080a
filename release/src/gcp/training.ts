import { protos } from '@google-cloud/aiplatform';
import { ReleaseAction, ReleaseContext, ReleaseError, ReleaseReport } from '../driver';
import { ReleaseSpec, ReleaseSpecError, TrainingSpec, parseTarget } from '../spec';
import { Caller, GcpClients, sentence, waitForOperation } from './clients';
import {
  GCP_STEP_LABEL,
  GCP_MODEL_LABEL,
  GCP_RELEASE_LABEL,
  GCP_REVISION_LABEL,
  GcpTrainingTarget,
  GcpTrainingTargetSchema,
  stepMarker,
  modelNameOf,
  parentOf,
  versionAlias,
} from './target';

type ICustomJob = protos.google.cloud.aiplatform.v1.ICustomJob;
type IModel = protos.google.cloud.aiplatform.v1.IModel;
type IUploadModelRequest = protos.google.cloud.aiplatform.v1.IUploadModelRequest;
type IUploadModelResponse = protos.google.cloud.aiplatform.v1.IUploadModelResponse;

/** Timing of a run (tests shorten the polls). */
export interface GcpTiming {
  readonly jobPollMs: number;
  readonly operationPollMs: number;
}

/** The port and routes of the runtime image's scoring server under Vertex AI (training-image/src/serve/README.md). */
export const VERTEX_SERVING = { port: 8080, predictRoute: '/predict', healthRoute: '/health' } as const;

/** The alias that makes a version the model's default. */
export const DEFAULT_ALIAS = 'default';

const ACTIVE_STATES = new Set(['JOB_STATE_QUEUED', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING', 'JOB_STATE_UPDATING', 'JOB_STATE_PAUSED', 'JOB_STATE_CANCELLING']);
const SUCCEEDED = 'JOB_STATE_SUCCEEDED';
/** Time a job may wait for capacity on top of its own timeout before the release stops waiting. */
const QUEUE_ALLOWANCE_MS = 2 * 60 * 60 * 1000;
const UPLOAD_TIMEOUT_MS = 30 * 60 * 1000;
const DELETE_TIMEOUT_MS = 30 * 60 * 1000;

/** Milliseconds of a protobuf timestamp as the REST client decodes it (`{seconds: "…", nanos}`). */
export function timestampMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return 0;
  return Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** The labels of everything a training step creates (`marker`: the step's, see {@link stepMarker}). */
export function releaseLabels(spec: ReleaseSpec, marker: string): Record<string, string> {
  return {
    [GCP_RELEASE_LABEL]: spec.name,
    [GCP_REVISION_LABEL]: spec.revision,
    [GCP_MODEL_LABEL]: spec.modelName,
    [GCP_STEP_LABEL]: marker,
    'managed-by': 'cdktf-mlops',
  };
}

/** The `mlops train` arguments: the data URI, then the settings as `--key=value`, sorted (Vertex AI hands the model dir over in AIP_MODEL_DIR). */
export function trainArgs(training: TrainingSpec): string[] {
  const settings = Object.keys(training.hyperparameters)
    .sort()
    .map((key) => `--${key}=${training.hyperparameters[key]}`);
  return ['train', '--data', training.dataUri, ...settings];
}

/** The custom job of a training spec. */
export function customJobOf(spec: ReleaseSpec, target: GcpTrainingTarget, marker: string): ICustomJob {
  const training = spec.training!;
  return {
    displayName: training.jobName,
    labels: releaseLabels(spec, marker),
    jobSpec: {
      workerPoolSpecs: [
        {
          machineSpec: {
            machineType: training.instanceType,
            ...(target.accelerator
              ? { acceleratorType: target.accelerator.type as unknown as protos.google.cloud.aiplatform.v1.AcceleratorType, acceleratorCount: target.accelerator.count }
              : {}),
          },
          replicaCount: 1,
          containerSpec: { imageUri: spec.image, args: trainArgs(training) },
        },
      ],
      serviceAccount: target.serviceAccount,
      baseOutputDirectory: { outputUriPrefix: training.outputUri },
      scheduling: {
        timeout: { seconds: training.maxRuntimeSeconds },
        strategy: target.schedulingStrategy as unknown as protos.google.cloud.aiplatform.v1.Scheduling.Strategy,
      },
      // Private mode: the job joins the VPC through the network attachment (Private Service Connect interface).
      ...(target.networkAttachment ? { pscInterfaceConfig: { networkAttachment: target.networkAttachment } } : {}),
    },
    encryptionSpec: { kmsKeyName: target.kmsKeyName },
  };
}

/** The model version upload of a training spec (a new model, or a new version of `parentModel`). */
export function uploadRequestOf(spec: ReleaseSpec, target: GcpTrainingTarget, jobName: string, parentModel: string | undefined, marker: string): IUploadModelRequest {
  return {
    parent: parentOf(target),
    ...(parentModel ? { parentModel } : { modelId: target.modelId }),
    serviceAccount: target.serviceAccount,
    model: {
      displayName: spec.modelName,
      description: `Model of release ${spec.name}; registered by cdktf-mlops.`,
      versionAliases: [versionAlias(spec.revision), DEFAULT_ALIAS],
      versionDescription: `Revision ${spec.revision}, trained by ${jobName}.`,
      labels: releaseLabels(spec, marker),
      artifactUri: target.modelUri,
      containerSpec: {
        imageUri: spec.image,
        args: ['serve'],
        env: [
          { name: 'MLOPS_MODEL_NAME', value: spec.modelName },
          { name: 'MLOPS_MODEL_VERSION', value: spec.revision },
        ],
        ports: [{ containerPort: VERTEX_SERVING.port }],
        predictRoute: VERTEX_SERVING.predictRoute,
        healthRoute: VERTEX_SERVING.healthRoute,
      },
      encryptionSpec: { kmsKeyName: target.kmsKeyName },
    },
  };
}

/** Checks what the target schema cannot: the spec's own training values that Vertex AI constrains. */
function checkTraining(spec: ReleaseSpec, target: GcpTrainingTarget): TrainingSpec {
  const training = spec.training!;
  const issues: { code: 'RELEASE_SPEC_INVALID'; path: string; message: string }[] = [];
  if (training.instanceCount !== 1) {
    issues.push({
      code: 'RELEASE_SPEC_INVALID',
      path: 'training.instanceCount',
      message: `is ${training.instanceCount}; on Vertex AI it must be 1: \`mlops train\` trains on one machine, and more replicas would each train and write the same AIP_MODEL_DIR`,
    });
  }
  if (!/^gs:\/\/[^/]+\/\S+$/.test(training.outputUri))
    issues.push({ code: 'RELEASE_SPEC_INVALID', path: 'training.outputUri', message: `is ${JSON.stringify(training.outputUri)}; give a gs://<bucket>/<path> URI` });
  if (!/^gs:\/\/[^/]+\/\S+$/.test(training.dataUri))
    issues.push({
      code: 'RELEASE_SPEC_INVALID',
      path: 'training.dataUri',
      message: `is ${JSON.stringify(training.dataUri)}; give a gs://<bucket>/<path> URI of a CSV file or folder`,
    });
  if (target.modelUri !== `${training.outputUri.replace(/\/+$/, '')}/model`) {
    issues.push({
      code: 'RELEASE_SPEC_INVALID',
      path: 'gcp.modelUri',
      message: `is ${JSON.stringify(target.modelUri)}; it must be <training.outputUri>/model (${training.outputUri.replace(/\/+$/, '')}/model), where Vertex AI's AIP_MODEL_DIR points`,
    });
  }
  if (issues.length > 0) throw new ReleaseSpecError(issues);
  return training;
}

/** `<model>@<versionId>`. */
export function versionRef(model: IModel): string {
  return `${model.name}@${model.versionId}`;
}

/** The Vertex AI training step: run the custom job, register the model version. */
export class GcpTraining {
  private readonly target: GcpTrainingTarget;
  private readonly model: string;
  private readonly alias: string;
  /** This step's marker (see {@link stepMarker}). */
  private readonly marker: string;
  private readonly actions: ReleaseAction[] = [];

  constructor(
    private readonly spec: ReleaseSpec,
    private readonly ctx: ReleaseContext,
    private readonly clients: GcpClients,
    private readonly caller: Caller,
    private readonly timing: GcpTiming,
  ) {
    this.target = parseTarget(GcpTrainingTargetSchema, spec);
    checkTraining(spec, this.target);
    this.model = modelNameOf(this.target);
    this.alias = versionAlias(spec.revision);
    this.marker = stepMarker(spec.image, ctx.env);
  }

  /**
   * Idempotent: a version with this revision's alias is reused (and made the
   * default); otherwise a custom job of this release and revision is reused
   * when it succeeded, waited for when it runs, or started; then its model is
   * uploaded as a new version.
   */
  async apply(): Promise<ReleaseReport> {
    const existing = await this.caller.find(
      `get model version ${this.model}@${this.alias}`,
      async () => (await this.clients.models.getModel({ name: `${this.model}@${this.alias}` }))[0],
    );
    if (existing) {
      this.actions.push({ action: 'unchanged', what: 'model version', id: versionRef(existing), detail: `alias ${this.alias}` });
      await this.makeDefault(existing);
      await this.markStep(existing);
      this.ctx.log.info(`model version ${versionRef(existing)} of revision ${this.spec.revision} is registered already`);
      return this.report(existing.name!, existing.versionId!, undefined);
    }
    const job = await this.trainedJob();
    const uploaded = await this.upload(job.name!);
    return this.report(uploaded.model!, uploaded.modelVersionId!, job.name!);
  }

  /**
   * Superseded — the model's default version is another revision, or was
   * marked by another step (a newer step of the same revision, e.g. after a
   * taint): keeps everything (the version stays in the registry for
   * rollbacks). Otherwise — this step applied last — deletes the model with
   * its versions and the release's custom job records.
   */
  async destroy(): Promise<ReleaseReport> {
    const model = await this.caller.find(`get model ${this.model}`, async () => (await this.clients.models.getModel({ name: this.model }))[0]);
    if (model && !(model.versionAliases ?? []).includes(this.alias)) {
      this.actions.push({
        action: 'kept',
        what: 'model',
        id: this.model,
        detail: `the default version is ${versionRef(model)} (${(model.versionAliases ?? []).join(', ')}): revision ${this.spec.revision} is superseded and stays in the registry`,
      });
      this.ctx.log.info(`revision ${this.spec.revision} is superseded by ${versionRef(model)}; keeping the model and the job records`);
      return { actions: this.actions, outputs: {} };
    }
    const lastStep = model?.labels?.[GCP_STEP_LABEL];
    if (model && lastStep !== this.marker) {
      this.actions.push({
        action: 'kept',
        what: 'model',
        id: this.model,
        detail: `another step applied revision ${this.spec.revision} last (${GCP_STEP_LABEL}=${lastStep ?? 'none'}, this step is ${this.marker}): this step is superseded`,
      });
      this.ctx.log.info(`revision ${this.spec.revision} was applied last by another release step (${lastStep ?? 'unmarked'}); keeping the model and the job records`);
      return { actions: this.actions, outputs: {} };
    }
    if (model) {
      const deployed = (model.deployedModels ?? []).map((d) => `${d.endpoint}/deployedModels/${d.deployedModelId}`);
      if (deployed.length > 0) {
        throw new ReleaseError(
          `model ${this.model} cannot be deleted: its default version is still deployed (${deployed.join(', ')}). Undeploy it (the endpoint step does on destroy) and re-run.`,
          'MODEL_IN_USE',
        );
      }
      const [op] = await this.caller.call(`delete model ${this.model}`, 'read', () => this.clients.models.deleteModel({ name: this.model }));
      await waitForOperation(
        this.ctx,
        this.caller,
        `delete model ${this.model}`,
        op,
        (n) => this.clients.models.checkDeleteModelProgress(n),
        this.timing.operationPollMs,
        DELETE_TIMEOUT_MS,
      );
      this.actions.push({ action: 'deleted', what: 'model', id: this.model, detail: 'with all its versions' });
    }
    for (const job of await this.releaseJobs(false)) await this.deleteJob(job);
    return { actions: this.actions, outputs: {} };
  }

  private report(model: string, versionId: string, jobName: string | undefined): ReleaseReport {
    return {
      actions: this.actions,
      outputs: {
        model,
        modelVersionId: versionId,
        modelVersion: `${model}@${versionId}`,
        versionAlias: this.alias,
        modelUri: this.target.modelUri,
        ...(jobName ? { trainingJob: jobName } : {}),
      },
    };
  }

  private async makeDefault(version: IModel): Promise<void> {
    if ((version.versionAliases ?? []).includes(DEFAULT_ALIAS)) return;
    const name = `${this.model}@${version.versionId}`;
    await this.caller.call(`make ${name} the default version`, 'read', () => this.clients.models.mergeVersionAliases({ name, versionAliases: [DEFAULT_ALIAS] }));
    this.actions.push({ action: 'updated', what: 'default version', id: versionRef(version), detail: `alias ${DEFAULT_ALIAS}` });
  }

  /** Marks the version as applied by this step, so that the step it replaces knows it is superseded. */
  private async markStep(version: IModel): Promise<void> {
    if (version.labels?.[GCP_STEP_LABEL] === this.marker) return;
    const name = `${this.model}@${version.versionId}`;
    const labels = { ...(version.labels ?? {}), [GCP_STEP_LABEL]: this.marker };
    await this.caller.call(`label ${name} with ${GCP_STEP_LABEL}=${this.marker}`, 'read', () =>
      this.clients.models.updateModel({ model: { name, labels }, updateMask: { paths: ['labels'] } }),
    );
    this.actions.push({ action: 'updated', what: 'model version labels', id: versionRef(version), detail: `${GCP_STEP_LABEL}=${this.marker}` });
  }

  /** The custom jobs of this release (and revision, when `thisRevision`), newest first. */
  private async releaseJobs(thisRevision: boolean): Promise<ICustomJob[]> {
    const filter = `labels.${GCP_RELEASE_LABEL}="${this.spec.name}"${thisRevision ? ` AND labels.${GCP_REVISION_LABEL}="${this.spec.revision}"` : ''}`;
    const [jobs] = await this.caller.call(`list custom jobs (${filter})`, 'read', () => this.clients.jobs.listCustomJobs({ parent: parentOf(this.target), filter }));
    return [...jobs].sort((a, b) => timestampMs(b.createTime) - timestampMs(a.createTime));
  }

  /** A succeeded custom job of this revision: an earlier one, a running one waited for, or a new one. */
  private async trainedJob(): Promise<ICustomJob> {
    const [latest] = await this.releaseJobs(true);
    const state = latest ? String(latest.state) : undefined;
    if (latest && state === SUCCEEDED) {
      this.actions.push({ action: 'unchanged', what: 'training job', id: latest.name!, detail: 'succeeded earlier; its model is registered now' });
      return latest;
    }
    if (latest && ACTIVE_STATES.has(state!)) {
      this.ctx.log.info(`training job ${latest.name} of this revision is ${state}; waiting for it`);
      const done = await this.waitForJob(latest);
      this.actions.push({ action: 'waited', what: 'training job', id: done.name!, detail: 'started by an earlier run; succeeded' });
      return done;
    }
    if (latest) {
      this.ctx.log.warn(`the last training job of this revision, ${latest.name}, ended ${state}: ${latest.error?.message ?? 'no message'}; starting a new attempt`);
    }
    const training = this.spec.training!;
    const [created] = await this.caller.call(`create custom job ${training.jobName}`, 'write', () =>
      this.clients.jobs.createCustomJob({ parent: parentOf(this.target), customJob: customJobOf(this.spec, this.target, this.marker) }),
    );
    this.ctx.log.info(
      `started training job ${created.name} (${training.instanceType}${this.target.accelerator ? ` + ${this.target.accelerator.count}x ${this.target.accelerator.type}` : ''}, ${this.target.schedulingStrategy})`,
    );
    const started = this.ctx.now();
    const done = await this.waitForJob(created);
    this.actions.push({ action: 'created', what: 'training job', id: done.name!, detail: `succeeded after ${Math.round((this.ctx.now() - started) / 60_000)} min` });
    return done;
  }

  /** Polls a custom job until it ends; anything but success is a TRAINING_FAILED error. */
  private async waitForJob(job: ICustomJob): Promise<ICustomJob> {
    const name = job.name!;
    const training = this.spec.training!;
    const limitMs = training.maxRuntimeSeconds * 1000 + QUEUE_ALLOWANCE_MS;
    const started = this.ctx.now();
    let current = job;
    let lastState = String(current.state);
    while (ACTIVE_STATES.has(String(current.state)) || String(current.state) === 'JOB_STATE_UNSPECIFIED') {
      if (this.ctx.now() - started > limitMs) {
        throw new ReleaseError(
          `training job ${name} is still ${current.state} after ${Math.round(limitMs / 60_000)} minutes (its timeout plus ${QUEUE_ALLOWANCE_MS / 60_000} minutes for capacity); it goes on in Vertex AI — re-run the release to wait for it, or cancel it with \`gcloud ai custom-jobs cancel ${name}\``,
          'TRAINING_TIMEOUT',
        );
      }
      await this.ctx.sleep(this.timing.jobPollMs);
      [current] = await this.caller.call(`get custom job ${name}`, 'read', () => this.clients.jobs.getCustomJob({ name }));
      if (String(current.state) !== lastState) {
        lastState = String(current.state);
        this.ctx.log.info(`training job ${name}: ${lastState}`);
      }
    }
    if (String(current.state) !== SUCCEEDED) {
      const region = this.target.region;
      throw new ReleaseError(
        `training job ${name} ended ${current.state}: ${sentence(current.error?.message || 'no error message')} Logs: \`gcloud ai custom-jobs stream-logs ${name.split('/').pop()} --region=${region}\`; the runtime's training contract is in training-image/src/contracts/README.md`,
        'TRAINING_FAILED',
      );
    }
    return current;
  }

  /** Uploads the trained model as a new version (a new model the first time). */
  private async upload(jobName: string): Promise<IUploadModelResponse> {
    const parent = await this.caller.find(`get model ${this.model}`, async () => (await this.clients.models.getModel({ name: this.model }))[0]);
    const request = uploadRequestOf(this.spec, this.target, jobName, parent ? this.model : undefined, this.marker);
    const what = `upload model version ${this.alias} of ${this.model}`;
    const [op] = await this.caller.call(what, 'write', () => this.clients.models.uploadModel(request));
    const uploaded = await waitForOperation<IUploadModelResponse>(
      this.ctx,
      this.caller,
      what,
      op,
      (n) => this.clients.models.checkUploadModelProgress(n),
      this.timing.operationPollMs,
      UPLOAD_TIMEOUT_MS,
    );
    if (!uploaded?.model || !uploaded.modelVersionId) throw new ReleaseError(`${what}: the operation finished without a model version`, 'OPERATION_FAILED');
    this.actions.push({
      action: 'created',
      what: 'model version',
      id: `${uploaded.model}@${uploaded.modelVersionId}`,
      detail: `alias ${this.alias}, default${parent ? '' : ', new model'}`,
    });
    this.ctx.log.info(`registered ${uploaded.model}@${uploaded.modelVersionId} (${this.alias})`);
    return uploaded;
  }

  /** Cancels a running job and deletes its record. */
  private async deleteJob(job: ICustomJob): Promise<void> {
    const name = job.name!;
    let current = job;
    if (ACTIVE_STATES.has(String(job.state))) {
      if (String(job.state) !== 'JOB_STATE_CANCELLING') await this.caller.call(`cancel custom job ${name}`, 'read', () => this.clients.jobs.cancelCustomJob({ name }));
      const started = this.ctx.now();
      while (ACTIVE_STATES.has(String(current.state))) {
        if (this.ctx.now() - started > DELETE_TIMEOUT_MS)
          throw new ReleaseError(`custom job ${name} did not stop within ${DELETE_TIMEOUT_MS / 60_000} minutes of being cancelled; re-run the destroy`, 'OPERATION_TIMEOUT');
        await this.ctx.sleep(this.timing.jobPollMs);
        [current] = await this.caller.call(`get custom job ${name}`, 'read', () => this.clients.jobs.getCustomJob({ name }));
      }
      this.actions.push({ action: 'updated', what: 'training job', id: name, detail: `cancelled (${current.state})` });
    }
    const [op] = await this.caller.call(`delete custom job ${name}`, 'read', () => this.clients.jobs.deleteCustomJob({ name }));
    await waitForOperation(
      this.ctx,
      this.caller,
      `delete custom job ${name}`,
      op,
      (n) => this.clients.jobs.checkDeleteCustomJobProgress(n),
      this.timing.operationPollMs,
      DELETE_TIMEOUT_MS,
    );
    this.actions.push({ action: 'deleted', what: 'training job', id: name });
  }
}
