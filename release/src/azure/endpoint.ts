import type { OnlineDeployment, OnlineEndpoint, ProbeSettings } from '@azure/arm-machinelearning';
import { ReleaseAction, ReleaseError, ReleaseReport } from '../driver';
import { EndpointSpec, ReleaseSpec, ReleaseSpecError } from '../spec';
import { ensureEnvironment, modelVersionsOf } from './assets';
import { AUTOSCALE_API_VERSION, AzureSession, armRequest, attempt, getIfExists, listAll } from './client';
import { LEASE_RETRY_MS, attemptsFor, leaseBlobPath, minutes, withLease } from './lease';
import { LEASE_SECONDS, StorageSession } from './storage';
import { ensureWorkspaceSettings } from './workspace';
import { AzureTarget, INFERENCE_ROUTES, MODEL_MOUNT_PATH, RELEASE_INSTANCE_ENV, TAGS } from './target';

type EndpointTarget = NonNullable<AzureTarget['endpoint']>;

/** The two deployment slots of the blue/green rollout. */
export const COLOURS = ['blue', 'green'] as const;
/** How long a deployment may stay Creating/Updating/Scaling before the rollout counts it unhealthy. */
export const HEALTH_TIMEOUT_MS = 20 * 60_000;
/** Between health checks while a step bakes. */
export const BAKE_CHECK_MS = 60_000;

const LIVENESS: ProbeSettings = { initialDelay: 'PT10S', period: 'PT10S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 30 };
const READINESS: ProbeSettings = { initialDelay: 'PT10S', period: 'PT10S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 3 };

/** The traffic shares (percent) the new deployment takes, in order; the last is 100. */
export function trafficSteps(rollout: EndpointSpec['rollout'], hasLiveDeployment: boolean): number[] {
  if (!hasLiveDeployment || rollout.strategy === 'all-at-once') return [100];
  if (rollout.strategy === 'canary') return [rollout.canaryPercent, 100];
  const steps: number[] = [];
  for (let p = rollout.stepPercent; p < 100; p += rollout.stepPercent) steps.push(p);
  return [...steps, 100];
}

/**
 * The online endpoint: the workload identity, the auth mode, public access as
 * the target says, and `step` (the release step instance that applied last) in
 * the `mlops.step` tag when there is one. A PUT replaces every tag, so callers
 * pass the endpoint's current `step` unless they mean to change it.
 */
export function endpointBody(spec: ReleaseSpec, target: AzureTarget, traffic: Record<string, number>, step?: string): OnlineEndpoint {
  const t = target.endpoint!;
  return {
    location: target.location,
    tags: { [TAGS.release]: spec.name, ...(step !== undefined ? { [TAGS.step]: step } : {}), [TAGS.managedBy]: 'cdktf-mlops' },
    identity: { type: 'UserAssigned', userAssignedIdentities: { [target.identity.resourceId]: {} } },
    properties: {
      authMode: t.authMode,
      description: `Scoring endpoint of release ${spec.name} (cdktf-mlops).`,
      publicNetworkAccess: t.publicNetworkAccess ? 'Enabled' : 'Disabled',
      traffic,
    },
  };
}

/** A managed online deployment of the model version with the runtime image, probes on the server's routes. */
export function deploymentBody(spec: ReleaseSpec, target: AzureTarget, environmentId: string, modelId: string): OnlineDeployment {
  const ep = spec.endpoint!;
  return {
    location: target.location,
    tags: { [TAGS.release]: spec.name, [TAGS.revision]: spec.revision, [TAGS.config]: target.endpoint!.configHash, [TAGS.managedBy]: 'cdktf-mlops' },
    sku: { name: 'Default', capacity: ep.minInstances },
    properties: {
      endpointComputeType: 'Managed',
      description: `${spec.modelName}, revision ${spec.revision} (release ${spec.name}).`,
      model: modelId,
      modelMountPath: MODEL_MOUNT_PATH,
      environmentId,
      environmentVariables: {
        // The image also holds an (empty) /opt/ml/model for SageMaker; point the server at the mount.
        MLOPS_MODEL_DIR: MODEL_MOUNT_PATH,
        MLOPS_MODEL_NAME: spec.modelName,
        MLOPS_MODEL_VERSION: spec.revision,
        MLOPS_PORT: String(INFERENCE_ROUTES.port),
        MLOPS_AZUREML_LIVENESS_ROUTE: INFERENCE_ROUTES.liveness,
        MLOPS_AZUREML_READINESS_ROUTE: INFERENCE_ROUTES.readiness,
        MLOPS_AZUREML_SCORING_ROUTE: INFERENCE_ROUTES.scoring,
      },
      instanceType: ep.instanceType,
      livenessProbe: LIVENESS,
      readinessProbe: READINESS,
      requestSettings: { maxConcurrentRequestsPerInstance: 8, requestTimeout: 'PT5S' },
      scaleSettings: { scaleType: 'Default' },
      appInsightsEnabled: true,
    },
  };
}

/** Name of the autoscale setting of a deployment. */
export function autoscaleName(endpointName: string, deployment: string): string {
  return `${endpointName}-${deployment}-autoscale`;
}

function autoscalePath(s: AzureSession, target: AzureTarget, endpointName: string, deployment: string): string {
  return `/subscriptions/${s.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/Microsoft.Insights/autoscalesettings/${autoscaleName(endpointName, deployment)}`;
}

/** Azure Monitor autoscale of a deployment on CPU, between min and max instances. */
export function autoscaleBody(spec: ReleaseSpec, target: AzureTarget, deploymentId: string): Record<string, unknown> {
  const ep = spec.endpoint!;
  const rule = (operator: 'GreaterThan' | 'LessThan', threshold: number, direction: 'Increase' | 'Decrease') => ({
    metricTrigger: {
      metricName: 'CpuUtilizationPercentage',
      metricNamespace: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
      metricResourceUri: deploymentId,
      timeGrain: 'PT1M',
      statistic: 'Average',
      timeWindow: 'PT5M',
      timeAggregation: 'Average',
      operator,
      threshold,
    },
    scaleAction: { direction, type: 'ChangeCount', value: '1', cooldown: 'PT5M' },
  });
  return {
    location: target.location,
    tags: { [TAGS.release]: spec.name, [TAGS.managedBy]: 'cdktf-mlops' },
    properties: {
      enabled: true,
      targetResourceUri: deploymentId,
      profiles: [
        {
          name: 'cpu',
          capacity: { minimum: String(ep.minInstances), maximum: String(ep.maxInstances), default: String(ep.minInstances) },
          rules: [rule('GreaterThan', 70, 'Increase'), rule('LessThan', 25, 'Decrease')],
        },
      ],
    },
  };
}

function tags(resource: { tags?: Record<string, string | null> } | undefined): Record<string, string | null> {
  return resource?.tags ?? {};
}

/** The release step instance that applied the endpoint last (its `mlops.step` tag), if it was marked. */
function stepOf(endpoint: OnlineEndpoint): string | undefined {
  return tags(endpoint)[TAGS.step] || undefined;
}

function isMine(spec: ReleaseSpec, t: EndpointTarget, d: OnlineDeployment): boolean {
  return tags(d)[TAGS.revision] === spec.revision && tags(d)[TAGS.config] === t.configHash;
}

function stateOf(d: OnlineDeployment | undefined): string {
  return d?.properties.provisioningState ?? 'Unknown';
}

function endpointDiffers(current: OnlineEndpoint, spec: ReleaseSpec, target: AzureTarget): boolean {
  const want = endpointBody(spec, target, {});
  const ids = Object.keys(current.identity?.userAssignedIdentities ?? {}).map((k) => k.toLowerCase());
  return (
    current.properties.authMode !== want.properties.authMode ||
    (current.properties.publicNetworkAccess ?? 'Enabled') !== want.properties.publicNetworkAccess ||
    ids.length !== 1 ||
    ids[0] !== target.identity.resourceId.toLowerCase() ||
    tags(current)[TAGS.managedBy] !== 'cdktf-mlops'
  );
}

/** Waits until the deployment is Succeeded (healthy) or Failed/Canceled, up to {@link HEALTH_TIMEOUT_MS}. */
async function waitHealthy(s: AzureSession, target: AzureTarget, endpointName: string, deployment: string): Promise<{ ok: boolean; state: string }> {
  const deadline = s.ctx.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    const d = await getIfExists(`get deployment ${endpointName}/${deployment}`, () =>
      s.client.onlineDeployments.get(target.resourceGroup, target.workspaceName, endpointName, deployment, s.call),
    );
    const state = d ? stateOf(d) : 'NotFound';
    if (state === 'Succeeded') return { ok: true, state };
    if (state === 'Failed' || state === 'Canceled' || state === 'NotFound' || s.ctx.now() >= deadline) return { ok: false, state };
    await s.ctx.sleep(Math.min(BAKE_CHECK_MS, s.jobPollMs));
  }
}

async function putTraffic(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, traffic: Record<string, number>, step: string | undefined): Promise<OnlineEndpoint> {
  const name = spec.endpoint!.name;
  return attempt(`set traffic of online endpoint ${name} to ${JSON.stringify(traffic)}`, () =>
    s.client.onlineEndpoints.beginCreateOrUpdateAndWait(target.resourceGroup, target.workspaceName, name, endpointBody(spec, target, traffic, step), s.lro),
  );
}

async function deleteDeployment(s: AzureSession, target: AzureTarget, endpointName: string, deployment: string, actions: ReleaseAction[], detail?: string): Promise<void> {
  await armRequest(
    s,
    `delete autoscale setting ${autoscaleName(endpointName, deployment)}`,
    'DELETE',
    autoscalePath(s, target, endpointName, deployment),
    AUTOSCALE_API_VERSION,
    undefined,
    true,
  );
  await getIfExists(`delete deployment ${endpointName}/${deployment}`, () =>
    s.client.onlineDeployments.beginDeleteAndWait(target.resourceGroup, target.workspaceName, endpointName, deployment, s.lro),
  );
  actions.push({ action: 'deleted', what: 'deployment', id: `${endpointName}/${deployment}`, detail });
}

function outputsOf(spec: ReleaseSpec, target: AzureTarget, endpoint: OnlineEndpoint, deployment: string, modelVersion: string): Record<string, string> {
  const name = spec.endpoint!.name;
  return {
    endpointName: name,
    scoringUri: endpoint.properties.scoringUri ?? `https://${name}.${target.location}.inference.ml.azure.com/score`,
    deployment,
    modelName: spec.modelName,
    modelVersion,
    revision: spec.revision,
  };
}

/**
 * `apply` of an endpoint spec: the endpoint (created or brought to the spec),
 * the revision's deployment in the idle colour, its autoscaling, traffic
 * shifted as the rollout says while the deployment stays healthy (else rolled
 * back), then the previous deployment deleted. The traffic change that
 * completes the rollout also marks the endpoint with `instance` (`mlops.step`,
 * the release step instance; a rollout rolled back keeps the previous mark). A
 * second run finds the endpoint serving this revision with all traffic and
 * changes nothing — except the mark, when another step of the same spec
 * applied last (a replacement of the step with the same spec).
 */
export async function applyEndpoint(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, instance: string | undefined): Promise<ReleaseReport> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const ep = spec.endpoint!;
  const t = target.endpoint!;
  // Before the endpoint: in a workspace open to allowed ranges only, the endpoint takes its IP rules.
  const actions: ReleaseAction[] = [...(await ensureWorkspaceSettings(s, target))];

  const { mine: model } = await modelVersionsOf(s, spec, target);
  if (!model?.id || !model.name) {
    throw new ReleaseError(
      `No version of model ${spec.modelName} in workspace ${ws} is tagged ${TAGS.revision}=${spec.revision} (release ${spec.name}). ` +
        `The endpoint serves what the training step registers: run the training step of this revision first (cdktf deploy runs it before the endpoint).`,
      'MODEL_NOT_REGISTERED',
    );
  }
  const modelVersion = model.name;
  if (instance === undefined) {
    s.ctx.log.info(`${RELEASE_INSTANCE_ENV} is not set (a run outside Terraform): the online endpoint keeps its ${TAGS.step} mark`);
  }
  const environment = await ensureEnvironment(s, spec, target);
  actions.push(environment.action);

  let endpoint = await getIfExists(`get online endpoint ${ep.name}`, () => s.client.onlineEndpoints.get(rg, ws, ep.name, s.call));
  if (endpoint && tags(endpoint)[TAGS.release] !== spec.name) {
    throw new ReleaseError(
      `Online endpoint ${ep.name} exists in workspace ${ws} but belongs to ${tags(endpoint)[TAGS.release] ? `release ${tags(endpoint)[TAGS.release]}` : 'no cdktf-mlops release'} (tag ${TAGS.release}). ` +
        `Fix: give this release's endpoint another name (the endpoint's name prop), or delete that endpoint.`,
      'ENDPOINT_TAKEN',
    );
  }
  // The mark of the step that applied last: kept by every PUT until this rollout completes.
  const previousStep = endpoint ? stepOf(endpoint) : undefined;
  if (!endpoint) {
    s.ctx.log.info(`creating online endpoint ${ep.name}`);
    endpoint = await attempt(`create online endpoint ${ep.name}`, () =>
      s.client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, ep.name, endpointBody(spec, target, {}), s.lro),
    );
    actions.push({ action: 'created', what: 'online endpoint', id: ep.name, detail: `${t.authMode}, public network access ${t.publicNetworkAccess ? 'on' : 'off'}` });
  } else if (endpointDiffers(endpoint, spec, target) || endpoint.properties.provisioningState === 'Failed') {
    const traffic = { ...(endpoint.properties.traffic ?? {}) };
    endpoint = await attempt(`update online endpoint ${ep.name}`, () =>
      s.client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, ep.name, endpointBody(spec, target, traffic, previousStep), s.lro),
    );
    actions.push({ action: 'updated', what: 'online endpoint', id: ep.name, detail: `${t.authMode}, public network access ${t.publicNetworkAccess ? 'on' : 'off'}` });
  }

  const traffic: Record<string, number> = { ...(endpoint.properties.traffic ?? {}) };
  const deployments = await listAll(`list deployments of online endpoint ${ep.name}`, () => s.client.onlineDeployments.list(rg, ws, ep.name, s.call));
  let mine = deployments.find((d) => isMine(spec, t, d));
  const others = deployments.filter((d) => d !== mine && d.name);
  if (mine?.name && traffic[mine.name] === 100 && stateOf(mine) === 'Succeeded' && others.length === 0) {
    actions.push({ action: 'unchanged', what: 'deployment', id: `${ep.name}/${mine.name}`, detail: `serves revision ${spec.revision} with 100% of traffic` });
    if (instance !== undefined && previousStep !== instance) {
      // Another step of the same spec applied last (this one replaces it): take the mark over, traffic as it is.
      endpoint = await putTraffic(s, spec, target, traffic, instance);
      actions.push({ action: 'updated', what: 'online endpoint tags', id: ep.name, detail: `${TAGS.step}=${instance} (was ${previousStep ?? 'unset'})` });
    }
    return { actions, outputs: outputsOf(spec, target, endpoint, mine.name, modelVersion) };
  }

  const live = others.filter((d) => (traffic[d.name!] ?? 0) > 0).sort((a, b) => (traffic[b.name!] ?? 0) - (traffic[a.name!] ?? 0))[0];
  const colour = mine?.name ?? (live?.name === 'blue' ? 'green' : 'blue');
  if (!mine || stateOf(mine) !== 'Succeeded') {
    const replacing = deployments.find((d) => d.name === colour);
    if (replacing && !mine && (traffic[colour] ?? 0) > 0) {
      throw new ReleaseError(
        `Deployment ${ep.name}/${colour} takes ${traffic[colour]}% of traffic but is not the live deployment; set the endpoint's traffic by hand (az ml online-endpoint update --traffic) and deploy again.`,
        'ROLLOUT_CONFLICT',
      );
    }
    s.ctx.log.info(`deploying revision ${spec.revision} to ${ep.name}/${colour} (${ep.instanceType} × ${ep.minInstances})`);
    mine = await attempt(`create deployment ${ep.name}/${colour}`, () =>
      s.client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, ep.name, colour, deploymentBody(spec, target, environment.id, model.id!), s.lro),
    );
    actions.push({
      action: replacing ? 'updated' : 'created',
      what: 'deployment',
      id: `${ep.name}/${colour}`,
      detail: `model ${spec.modelName}:${modelVersion}, ${ep.instanceType} × ${ep.minInstances}`,
    });
    if (stateOf(mine) !== 'Succeeded') {
      const health = await waitHealthy(s, target, ep.name, colour);
      if (!health.ok) {
        await deleteDeployment(s, target, ep.name, colour, actions, 'never became healthy');
        throw new ReleaseError(
          `Deployment ${ep.name}/${colour} is ${health.state}, not Succeeded; it took no traffic and was removed. ` +
            `Its container log says why: az ml online-deployment get-logs --endpoint-name ${ep.name} --name ${colour} --resource-group ${rg} --workspace-name ${ws}.`,
          'DEPLOYMENT_FAILED',
        );
      }
    }
  }

  if (ep.maxInstances > ep.minInstances && mine.id) {
    await armRequest(s, `set autoscale of ${ep.name}/${colour}`, 'PUT', autoscalePath(s, target, ep.name, colour), AUTOSCALE_API_VERSION, autoscaleBody(spec, target, mine.id));
    actions.push({ action: 'updated', what: 'autoscale setting', id: autoscaleName(ep.name, colour), detail: `${ep.minInstances}-${ep.maxInstances} instances on CPU` });
  }

  // A rollout interrupted part-way resumes at the share it reached, and bakes that step again.
  const liveName = live?.name;
  const reached = traffic[colour] ?? 0;
  for (const share of trafficSteps(ep.rollout, liveName !== undefined).filter((p) => (reached > 0 ? p >= reached : p > 0))) {
    const next: Record<string, number> = share === 100 || !liveName ? { [colour]: 100 } : { [colour]: share, [liveName]: 100 - share };
    // The step that completes the rollout marks the endpoint; until then it keeps the previous step's mark.
    endpoint = await putTraffic(s, spec, target, next, share === 100 ? (instance ?? previousStep) : previousStep);
    actions.push({
      action: 'updated',
      what: 'traffic',
      id: ep.name,
      detail: Object.entries(next)
        .map(([k, v]) => `${k} ${v}%`)
        .join(', '),
    });
    s.ctx.log.info(
      `traffic of ${ep.name}: ${Object.entries(next)
        .map(([k, v]) => `${k} ${v}%`)
        .join(', ')}`,
    );
    if (share === 100) break;

    // Bake: check the new deployment once a minute for the step's bake minutes (once when there is no bake).
    const checks = Math.max(1, ep.rollout.bakeMinutes);
    for (let i = 0; i < checks; i++) {
      if (ep.rollout.bakeMinutes > 0) await s.ctx.sleep(BAKE_CHECK_MS);
      const health = await waitHealthy(s, target, ep.name, colour);
      if (!health.ok) {
        s.ctx.log.warn(`deployment ${ep.name}/${colour} is ${health.state} at ${share}%; rolling back to ${liveName}`);
        await putTraffic(s, spec, target, { [liveName!]: 100 }, previousStep);
        actions.push({ action: 'updated', what: 'traffic', id: ep.name, detail: `rolled back: ${liveName} 100%` });
        await deleteDeployment(s, target, ep.name, colour, actions, `rolled back (${health.state})`);
        throw new ReleaseError(
          `Rollout of revision ${spec.revision} to ${ep.name} was rolled back: deployment ${colour} became ${health.state} at ${share}% of traffic. ` +
            `${liveName} serves all traffic again. Logs: az ml online-deployment get-logs --endpoint-name ${ep.name} --name ${colour} --resource-group ${rg} --workspace-name ${ws}.`,
          'ROLLOUT_FAILED',
        );
      }
    }
  }

  // Everything else goes: the previous colour and leftovers of interrupted runs (not the slot just reused).
  for (const d of others) {
    if (d.name !== colour) await deleteDeployment(s, target, ep.name, d.name!, actions, `replaced by ${colour}`);
  }
  return { actions, outputs: outputsOf(spec, target, endpoint, colour, modelVersion) };
}

/**
 * `destroy` of an endpoint spec. Superseded — the endpoint serves another
 * config (this is the old step of a replacement; a deployment a pipeline run
 * promoted with this same config does not count): deletes only
 * this revision's deployment, if it is still there; or the endpoint is marked
 * by another release step instance (`mlops.step`: a replacement with the same
 * spec, whose new step now serves this very deployment): keeps everything.
 * Otherwise (`cdktf destroy`; also an endpoint marked by this instance or not
 * marked at all): deletes the endpoint with its deployments and their
 * autoscale settings. Without an `instance` (a run outside Terraform) it
 * decides by revision only.
 */
export async function destroyEndpoint(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, instance: string | undefined): Promise<ReleaseReport> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const ep = spec.endpoint!;
  const t = target.endpoint!;
  const actions: ReleaseAction[] = [];
  const endpoint = await getIfExists(`get online endpoint ${ep.name}`, () => s.client.onlineEndpoints.get(rg, ws, ep.name, s.call));
  if (!endpoint) {
    actions.push({ action: 'unchanged', what: 'online endpoint', id: ep.name, detail: 'not found: nothing to delete' });
    return { actions, outputs: {} };
  }
  if (tags(endpoint)[TAGS.release] !== spec.name) {
    s.ctx.log.warn(`online endpoint ${ep.name} is not release ${spec.name}'s (tag ${TAGS.release}); leaving it alone`);
    actions.push({ action: 'kept', what: 'online endpoint', id: ep.name, detail: 'belongs to another release' });
    return { actions, outputs: {} };
  }
  if (instance === undefined) {
    s.ctx.log.info(
      `${RELEASE_INSTANCE_ENV} is not set (a run outside Terraform): a replacement of this step with the same spec cannot be told from a real destroy; deciding by revision only`,
    );
  }
  const traffic: Record<string, number> = { ...(endpoint.properties.traffic ?? {}) };
  const deployments = await listAll(`list deployments of online endpoint ${ep.name}`, () => s.client.onlineDeployments.list(rg, ws, ep.name, s.call));
  const mine = deployments.find((d) => isMine(spec, t, d));
  // A deployment of this very endpoint config with another revision is a pipeline run's promotion
  // (mlops-release promote rolls out with the endpoint's spec): it does not supersede this step.
  const promoted = (d: OnlineDeployment) => tags(d)[TAGS.config] === t.configHash && tags(d)[TAGS.revision] !== spec.revision;
  const serving = deployments.filter((d) => d !== mine && d.name && (traffic[d.name] ?? 0) > 0 && !promoted(d)).sort((a, b) => (traffic[b.name!] ?? 0) - (traffic[a.name!] ?? 0));

  if (serving.length > 0) {
    s.ctx.log.info(`online endpoint ${ep.name} serves another revision (${serving.map((d) => d.name).join(', ')}); removing only this revision's deployment`);
    if (mine?.name) {
      const share = traffic[mine.name] ?? 0;
      if (share > 0) {
        const top = serving[0]!.name!;
        const next = { ...traffic, [mine.name]: 0, [top]: (traffic[top] ?? 0) + share };
        delete next[mine.name];
        await putTraffic(s, spec, target, next, stepOf(endpoint));
        actions.push({ action: 'updated', what: 'traffic', id: ep.name, detail: `${mine.name}'s ${share}% moved to ${top}` });
      }
      await deleteDeployment(s, target, ep.name, mine.name, actions, `revision ${spec.revision}, superseded`);
    }
    actions.push({ action: 'kept', what: 'online endpoint', id: ep.name, detail: 'superseded: serves a newer revision' });
    return { actions, outputs: { superseded: 'true' } };
  }

  const lastStep = stepOf(endpoint);
  if (instance !== undefined && lastStep !== undefined && lastStep !== instance) {
    const why = `release step ${lastStep} applied last (${TAGS.step}), this step is ${instance}: superseded by a step of the same spec`;
    s.ctx.log.info(`${why}; keeping online endpoint ${ep.name} and what it serves`);
    if (mine?.name) actions.push({ action: 'kept', what: 'deployment', id: `${ep.name}/${mine.name}`, detail: `revision ${spec.revision}, serves the newer step` });
    actions.push({ action: 'kept', what: 'online endpoint', id: ep.name, detail: why });
    return { actions, outputs: { superseded: 'true' } };
  }

  for (const d of deployments) {
    if (!d.name) continue;
    await armRequest(s, `delete autoscale setting ${autoscaleName(ep.name, d.name)}`, 'DELETE', autoscalePath(s, target, ep.name, d.name), AUTOSCALE_API_VERSION, undefined, true);
  }
  await getIfExists(`delete online endpoint ${ep.name}`, () => s.client.onlineEndpoints.beginDeleteAndWait(rg, ws, ep.name, s.lro));
  actions.push({
    action: 'deleted',
    what: 'online endpoint',
    id: ep.name,
    detail: deployments.length > 0 ? `with deployments ${deployments.map((d) => d.name).join(', ')}` : undefined,
  });
  return { actions, outputs: {} };
}

/** Checks the endpoint part of the target exists; the driver calls it before any request. */
export function endpointTargetOf(target: AzureTarget): EndpointTarget {
  if (!target.endpoint) {
    throw new ReleaseSpecError([
      {
        code: 'RELEASE_SPEC_INVALID',
        path: 'azure.endpoint',
        message: "is required when kind is endpoint (configHash, authMode, publicNetworkAccess); the stack's AzureScoringEndpoint writes it",
      },
    ]);
  }
  return target.endpoint;
}

/**
 * cdktf deploy's endpoint step (`apply`/`destroy`) under the rollout lease
 * when the endpoint has a pipeline promoter (`azure.endpoint.lease`): the
 * same blob lease `mlops-release promote` holds while it rolls out (lease.ts),
 * waited for while a promotion holds it — at most the promoter job's replica
 * timeout and a lease period more, with a progress line every
 * {@link LEASE_RETRY_MS} — renewed while `work` runs and released however it
 * ends. Without a promoter it runs `work` alone: no lease, no storage request
 * (`storage` is not even opened).
 */
export async function withRolloutLease<T>(
  s: AzureSession,
  storage: () => StorageSession,
  spec: ReleaseSpec,
  target: AzureTarget,
  command: 'apply' | 'destroy',
  work: () => Promise<T>,
): Promise<T> {
  const lease = endpointTargetOf(target).lease;
  if (!lease) return work();
  const path = leaseBlobPath(lease.registryPrefix, lease.model);
  const account = /^https:\/\/([^./]+)/.exec(lease.blobEndpoint)?.[1] ?? '<account>';
  const name = spec.endpoint!.name;
  const waitMs = (lease.promotionTimeoutSeconds + LEASE_SECONDS) * 1000;
  return withLease(
    s,
    storage(),
    { blobEndpoint: lease.blobEndpoint, container: lease.container, path },
    {
      attempts: attemptsFor(waitMs),
      who: `cdktf deploy's endpoint step (${command} of ${name})`,
      heldError: (waited) =>
        `The rollout lease on ${lease.container}/${path} was still held after waiting ${minutes(waited)} (tries ${LEASE_RETRY_MS / 1000} s apart): ` +
        `a pipeline promotion (Container Apps job ${lease.promoterJob}, at most ${minutes(lease.promotionTimeoutSeconds * 1000)} per execution) or another deploy is rolling out to endpoint ${name}. ` +
        `This step changed nothing on the endpoint. Fix: let that rollout finish and run cdktf deploy again (see it with az containerapp job execution list --name ${lease.promoterJob} --resource-group ${target.resourceGroup}); ` +
        `a holder that stopped frees the lease within ${LEASE_SECONDS} s. If an execution is stuck, stop it (az containerapp job stop --name ${lease.promoterJob} --resource-group ${target.resourceGroup}), ` +
        `or break the lease (az storage blob lease break --account-name ${account} --container-name ${lease.container} --blob-name ${path} --auth-mode login).`,
    },
    async () => {
      s.ctx.log.info(`holding the rollout lease on ${lease.container}/${path}: no promotion changes endpoint ${name} until this step ends`);
      return work();
    },
  );
}
