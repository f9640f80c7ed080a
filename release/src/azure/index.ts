import { ReleaseContext, ReleaseDriver, ReleaseReport } from '../driver';
import { ReleaseSpec, parseTarget } from '../spec';
import { AzureDriverOptions, openSession } from './client';
import { applyEndpoint, destroyEndpoint, endpointTargetOf } from './endpoint';
import { AzureTargetSchema } from './target';
import { applyTraining, destroyTraining, trainingTargetOf } from './training';

export { ARM_ENDPOINT_ENV, AUTOSCALE_API_VERSION, DEFAULT_ARM_ENDPOINT } from './client';
export type { AzureDriverOptions } from './client';
export { AzureTargetSchema, INFERENCE_ROUTES, MODEL_MOUNT_PATH, TAGS } from './target';
export type { AzureTarget } from './target';
export { trafficSteps, endpointBody, deploymentBody, autoscaleBody, autoscaleName, COLOURS } from './endpoint';
export { jobBody, trainCommand } from './training';
export { environmentBody, nextVersion } from './assets';

/**
 * The Azure release driver, through `@azure/arm-machinelearning`
 * (`AzureMachineLearningWorkspaces`, api-version 2022-10-01) with
 * `@azure/identity`'s `DefaultAzureCredential` unless a credential is given.
 *
 * - training: an environment version for the image (by digest, with the
 *   scoring server's routes), a command job on the platform's compute cluster
 *   as the workload identity (reused when it completed before, waited for
 *   while it runs), the model version registered from the job's output;
 * - endpoint: the managed online endpoint and a blue/green rollout of the
 *   revision's deployment (see `applyEndpoint`).
 *
 * Tests pass a fake credential, a loopback `endpoint` and a short `pollIntervalMs`.
 */
export function createAzureDriver(options: AzureDriverOptions = {}): ReleaseDriver {
  const run = async (command: 'apply' | 'destroy', spec: ReleaseSpec, ctx: ReleaseContext): Promise<ReleaseReport> => {
    const target = parseTarget(AzureTargetSchema, spec);
    if (spec.kind === 'training') trainingTargetOf(target);
    else endpointTargetOf(target);
    const session = openSession(options, target.subscriptionId, ctx);
    if (spec.kind === 'training') return command === 'apply' ? applyTraining(session, spec, target) : destroyTraining(session, spec, target);
    return command === 'apply' ? applyEndpoint(session, spec, target) : destroyEndpoint(session, spec, target);
  };
  return {
    apply: (spec, ctx) => run('apply', spec, ctx),
    destroy: (spec, ctx) => run('destroy', spec, ctx),
  };
}

/** The production driver: DefaultAzureCredential, the public cloud's ARM endpoint (or MLOPS_AZURE_ARM_ENDPOINT). */
export const azureDriver: ReleaseDriver = createAzureDriver();
