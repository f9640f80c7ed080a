import { PromoteSource, ReleaseContext, ReleaseDriver, ReleaseReport } from '../driver';
import { ReleaseSpec, ReleaseSpecError, parseTarget } from '../spec';
import { AzureDriverOptions, openSession } from './client';
import { releaseCredential } from './credential';
import { drainQueue, promoteRun, promoteTargetOf } from './promote';
import { openStorage } from './storage';
import { applyEndpoint, destroyEndpoint, endpointTargetOf, withRolloutLease } from './endpoint';
import { AzureTargetSchema, releaseInstanceOf } from './target';
import { applyPipeline, destroyPipeline, pipelineTargetOf, startPipeline } from './pipeline';
import { applyTraining, destroyTraining, trainingTargetOf } from './training';

export { ARM_ENDPOINT_ENV, AUTOSCALE_API_VERSION, DEFAULT_ARM_ENDPOINT } from './client';
export type { AzureDriverOptions } from './client';
export { GITHUB_FEDERATION_AUDIENCE, GITHUB_OIDC_ENV, githubOidcToken, hasGithubOidc, releaseCredential } from './credential';
export { WORKSPACE_API_VERSION, WORKSPACE_NETWORK_ACLS_API_VERSION, ensureWorkspaceSettings } from './workspace';
export { AzureTargetSchema, INFERENCE_ROUTES, MODEL_MOUNT_PATH, RELEASE_INSTANCE_ENV, TAGS, releaseInstanceOf } from './target';
export type { AzureTarget } from './target';
export { trafficSteps, endpointBody, deploymentBody, autoscaleBody, autoscaleName, COLOURS } from './endpoint';
export { jobBody, trainCommand } from './training';
export { environmentBody, modelStepOf, nextVersion } from './assets';
export { AzurePromoteTargetSchema, LINEAGE, promotePaths, promotionRevision, runOfMessage } from './promote';
export type { AzurePromoteTarget } from './promote';
export { AzurePipelineTargetSchema, batchJobName, componentBody, manualRunName, pipelineEnvironmentBody, pipelineTargetOf, scheduleBody } from './pipeline';

/**
 * The Azure release driver, through `@azure/arm-machinelearning`
 * (`AzureMachineLearningWorkspaces`, api-version 2022-10-01) with the
 * credential of `releaseCredential` (GitHub OIDC in Actions, else
 * `DefaultAzureCredential`) unless a credential is given.
 *
 * - training: an environment version for the image (by digest, with the
 *   scoring server's routes), a command job on the platform's compute cluster
 *   as the workload identity (reused when it completed before, waited for
 *   while it runs), the model version registered from the job's output;
 * - endpoint: the managed online endpoint and a blue/green rollout of the
 *   revision's deployment (see `applyEndpoint`); with a pipeline promoter
 *   (`azure.endpoint.lease`) apply and destroy hold the promoter's rollout
 *   lease (see `withRolloutLease`);
 * - pipeline: the environment, components and schedules of a pipeline the
 *   stack compiled (see `applyPipeline`); `start` submits one run of it;
 * - `promote` (an endpoint spec with `azure.promote`): registers the champion a
 *   pipeline run promoted, with its lineage, and rolls it out (see `promoteRun`).
 *
 * Both mark what the step owns (the model version, the endpoint) with the
 * release step instance from MLOPS_RELEASE_INSTANCE (tag `mlops.step`), so
 * that the destroy of a step replaced by one of the same spec keeps what the
 * new step uses; without it (a run outside Terraform) they decide by revision.
 *
 * Tests pass a fake credential, a loopback `endpoint` and a short `pollIntervalMs`.
 */
export function createAzureDriver(options: AzureDriverOptions = {}): ReleaseDriver {
  const run = async (command: 'apply' | 'destroy' | 'start', spec: ReleaseSpec, ctx: ReleaseContext): Promise<ReleaseReport> => {
    const target = parseTarget(AzureTargetSchema, spec);
    if (spec.kind === 'training') trainingTargetOf(target);
    else if (spec.kind === 'endpoint') endpointTargetOf(target);
    else pipelineTargetOf(target);
    if (command === 'start' && spec.kind !== 'pipeline') {
      throw new ReleaseSpecError([{ code: 'RELEASE_SPEC_INVALID', path: 'kind', message: `is ${spec.kind}; start runs a pipeline spec (kind pipeline)` }]);
    }
    const instance = releaseInstanceOf(ctx.env);
    const credential = options.credential ?? releaseCredential(ctx.env, { trustedCa: options.trustedCa });
    const session = openSession({ ...options, credential }, target.subscriptionId, ctx);
    if (spec.kind === 'training') return command === 'apply' ? applyTraining(session, spec, target, instance) : destroyTraining(session, spec, target, instance);
    if (spec.kind === 'pipeline') {
      if (command === 'start') return startPipeline(session, spec, target);
      return command === 'apply' ? applyPipeline(session, spec, target, instance) : destroyPipeline(session, spec, target, instance);
    }
    // With a pipeline promoter, the rollout holds the lease the promoter holds (none without one).
    const storage = () => openStorage(credential, { trustedCa: options.trustedCa, maxRetries: options.maxRetries, retryDelayMs: options.retryDelayMs, signal: ctx.signal });
    const endpointCommand = command === 'apply' ? 'apply' : 'destroy';
    return withRolloutLease(session, storage, spec, target, endpointCommand, () =>
      endpointCommand === 'apply' ? applyEndpoint(session, spec, target, instance) : destroyEndpoint(session, spec, target, instance),
    );
  };
  const promote = async (spec: ReleaseSpec, ctx: ReleaseContext, from: PromoteSource): Promise<ReleaseReport> => {
    const target = parseTarget(AzureTargetSchema, spec);
    promoteTargetOf(spec, target);
    const credential = options.credential ?? releaseCredential(ctx.env, { trustedCa: options.trustedCa });
    const session = openSession({ ...options, credential }, target.subscriptionId, ctx);
    const storage = openStorage(credential, { trustedCa: options.trustedCa, maxRetries: options.maxRetries, retryDelayMs: options.retryDelayMs, signal: ctx.signal });
    return 'run' in from ? promoteRun(session, storage, spec, target, { runId: from.run, byHand: true }) : drainQueue(session, storage, spec, target);
  };
  return {
    promote,
    apply: (spec, ctx) => run('apply', spec, ctx),
    destroy: (spec, ctx) => run('destroy', spec, ctx),
    start: (spec, ctx) => run('start', spec, ctx),
  };
}

/** The production driver: `releaseCredential`, the public cloud's ARM endpoint (or MLOPS_AZURE_ARM_ENDPOINT). */
export const azureDriver: ReleaseDriver = createAzureDriver();
