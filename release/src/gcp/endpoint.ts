import { protos } from '@google-cloud/aiplatform';
import { ReleaseAction, ReleaseContext, ReleaseError, ReleaseReport } from '../driver';
import { EndpointSpec, ReleaseSpec, parseTarget } from '../spec';
import { Caller, GcpClients, waitForOperation } from './clients';
import { checkHealth } from './health';
import { GCP_STEP_LABEL, GcpEndpointTarget, GcpEndpointTargetSchema, stepMarker, modelNameOf, versionAlias } from './target';
import { GcpTiming } from './training';

type IEndpoint = protos.google.cloud.aiplatform.v1.IEndpoint;
type IDeployedModel = protos.google.cloud.aiplatform.v1.IDeployedModel;
type IDeployModelResponse = protos.google.cloud.aiplatform.v1.IDeployModelResponse;
type IModel = protos.google.cloud.aiplatform.v1.IModel;

const DEPLOY_TIMEOUT_MS = 90 * 60 * 1000;
const UNDEPLOY_TIMEOUT_MS = 30 * 60 * 1000;

/** A traffic split: deployed model id → percent. */
export type TrafficSplit = Record<string, number>;

/** The model id of a model resource name (`projects/<p or number>/locations/<r>/models/<id>[@<version>]`). */
export function modelIdOf(modelName: string | null | undefined): string | undefined {
  const match = /\/models\/([^/@]+)(?:@[^/]*)?$/.exec(modelName ?? '');
  return match?.[1];
}

/**
 * Spreads `total` percent over `split`'s entries in proportion to their
 * current share, in whole percents (the remainder goes to the largest);
 * entries that end at 0 are left out (no entry means no traffic).
 */
export function scaleSplit(split: TrafficSplit, total: number): TrafficSplit {
  const entries = Object.entries(split).filter(([, pct]) => pct > 0);
  const sum = entries.reduce((s, [, pct]) => s + pct, 0);
  if (entries.length === 0 || total <= 0 || sum === 0) return {};
  const scaled = entries.map(([id, pct]) => [id, Math.floor((pct * total) / sum)] as [string, number]);
  const remainder = total - scaled.reduce((s, [, pct]) => s + pct, 0);
  scaled.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  scaled[0]![1] += remainder;
  return Object.fromEntries(scaled.filter(([, pct]) => pct > 0));
}

function trafficOf(endpoint: IEndpoint): TrafficSplit {
  const split: TrafficSplit = {};
  for (const [id, pct] of Object.entries(endpoint.trafficSplit ?? {})) split[id] = Number(pct);
  return split;
}

function describeSplit(split: TrafficSplit): string {
  const entries = Object.entries(split);
  return entries.length === 0 ? 'no traffic' : entries.map(([id, pct]) => `${id}: ${pct}%`).join(', ');
}

/**
 * The URL that serves predictions: the Private Service Connect address in
 * private network mode (`https://<internal IP>/v1/<endpoint>:predict`, from
 * inside the VPC), else the regional public endpoint (IAM-authenticated).
 */
export function endpointUrlOf(target: Pick<GcpEndpointTarget, 'region' | 'endpoint' | 'psc'>): string {
  const host = target.psc ? target.psc.address : `${target.region}-aiplatform.googleapis.com`;
  return `https://${host}/v1/${target.endpoint}:predict`;
}

/** The Vertex AI endpoint step: deploy the training revision's model version with a blue/green traffic shift. */
export class GcpEndpointRollout {
  private readonly target: GcpEndpointTarget;
  private readonly endpointSpec: EndpointSpec;
  private readonly model: string;
  private readonly alias: string;
  /** The display name of this revision's deployed model. */
  private readonly deployedName: string;
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
    this.target = parseTarget(GcpEndpointTargetSchema, spec);
    this.endpointSpec = spec.endpoint!;
    this.model = modelNameOf(this.target);
    this.alias = versionAlias(this.target.modelRevision);
    this.deployedName = `${this.endpointSpec.name}-${spec.revision}`;
    this.marker = stepMarker(spec.image, ctx.env);
  }

  /**
   * Idempotent: when the endpoint already sends all traffic to this
   * revision's deployed model, only leftovers of the release are undeployed.
   * Otherwise the model version is deployed (or a half-done rollout resumed)
   * and traffic shifted as the rollout policy says — canary, linear steps or
   * all at once — with a bake and a health check before each shift; an
   * unhealthy step restores the previous split, undeploys the new model and
   * fails. Then the release's previous deployed models are undeployed.
   */
  async apply(): Promise<ReleaseReport> {
    const version = await this.caller.find(
      `get model version ${this.model}@${this.alias}`,
      async () => (await this.clients.models.getModel({ name: `${this.model}@${this.alias}` }))[0],
    );
    if (!version) {
      throw new ReleaseError(
        `model version ${this.model}@${this.alias} does not exist: the training step of revision ${this.target.modelRevision} has not registered it. Run the training step first (Terraform orders it before the endpoint step).`,
        'MODEL_VERSION_MISSING',
      );
    }
    let endpoint = await this.getEndpoint();
    if (!endpoint) {
      throw new ReleaseError(
        `endpoint ${this.target.endpoint} does not exist: Terraform creates it (google_vertex_ai_endpoint) before this step; run \`cdktf deploy\` again`,
        'ENDPOINT_MISSING',
      );
    }
    let current = this.releaseDeployments(endpoint).find((d) => this.isThisRevision(d, version));
    const split = trafficOf(endpoint);
    if (current && split[current.id!] === 100) {
      this.actions.push({
        action: 'unchanged',
        what: 'deployed model',
        id: `${this.target.endpoint}/deployedModels/${current.id}`,
        detail: `serves ${this.model}@${version.versionId} with 100% of traffic`,
      });
    } else {
      const others = Object.fromEntries(Object.entries(split).filter(([id]) => id !== current?.id));
      if (!current) {
        current = await this.deploy(version, others);
        // In private mode clients reach the new deployment only through the forwarding rule: it must exist before the bake.
        if (this.target.psc) await this.ensureForwardingRule();
        await this.shift(current.id!, this.initialPercent(others), others);
      } else {
        let pct = split[current.id!] ?? 0;
        this.ctx.log.info(`resuming the rollout of deployed model ${current.id} at ${pct}% of traffic`);
        if (pct <= 0) {
          pct = this.initialPercent(others);
          await this.setTraffic({ [current.id!]: pct, ...scaleSplit(others, 100 - pct) }, `deployed model ${current.id} to ${pct}%`);
        }
        await this.shift(current.id!, pct, others);
      }
      endpoint = (await this.getEndpoint()) ?? endpoint;
    }
    for (const old of this.releaseDeployments(endpoint)) {
      if (old.id !== current.id) await this.undeploy(old, undefined, 'previous deployment of the release');
    }
    if (this.target.psc) await this.ensureForwardingRule();
    await this.markStep(endpoint);
    return {
      actions: this.actions,
      outputs: {
        endpoint: this.target.endpoint,
        endpointUrl: endpointUrlOf(this.target),
        deployedModelId: current.id!,
        modelVersion: `${this.model}@${version.versionId}`,
      },
    };
  }

  /**
   * Superseded — the endpoint was marked by another release step (a newer
   * revision, or the same revision after a taint or an image rebuild), or,
   * when no step finished marking it, another revision has traffic: undeploys
   * only this revision's deployed models without traffic. Otherwise — this
   * step applied last — undeploys every deployed model of the release, so
   * that Terraform can delete the endpoint.
   */
  async destroy(): Promise<ReleaseReport> {
    const endpoint = await this.getEndpoint();
    if (!endpoint) {
      this.actions.push({ action: 'unchanged', what: 'endpoint', id: this.target.endpoint, detail: 'does not exist; nothing to undeploy' });
      return { actions: this.actions, outputs: {} };
    }
    const split = trafficOf(endpoint);
    const ours = this.releaseDeployments(endpoint);
    const mine = ours.filter((d) => d.displayName === this.deployedName);
    const serving = ours.filter((d) => (split[d.id!] ?? 0) > 0);
    const lastStep = endpoint.labels?.[GCP_STEP_LABEL];
    const superseded = lastStep !== undefined ? lastStep !== this.marker : serving.some((d) => !mine.includes(d));
    if (superseded) {
      const why =
        lastStep !== undefined
          ? `another release step applied last (${GCP_STEP_LABEL}=${lastStep}, this step is ${this.marker})`
          : `the endpoint serves ${serving.map((d) => d.displayName).join(', ')}`;
      this.ctx.log.info(`revision ${this.spec.revision} is superseded: ${why}`);
      for (const d of mine) if ((split[d.id!] ?? 0) === 0) await this.undeploy(d, undefined, `revision ${this.spec.revision}, superseded`);
      this.actions.push({
        action: 'kept',
        what: 'deployed model',
        id: serving.map((d) => `${this.target.endpoint}/deployedModels/${d.id}`).join(', ') || this.target.endpoint,
        detail: why,
      });
      return { actions: this.actions, outputs: {} };
    }
    // Those without traffic first: the last one with traffic needs no new split.
    const ordered = [...ours].sort((a, b) => (split[a.id!] ?? 0) - (split[b.id!] ?? 0));
    let remaining = { ...split };
    for (const d of ordered) {
      await this.undeploy(d, remaining, 'release destroyed');
      delete remaining[d.id!];
      remaining = scaleSplit(remaining, 100);
    }
    // The forwarding rule holds the reserved address: Terraform can release it only once the rule is gone.
    if (this.target.psc) await this.deleteForwardingRule('release destroyed');
    return { actions: this.actions, outputs: {} };
  }

  private forwardingRuleUrl(): string {
    return `${this.clients.computeEndpoint}/compute/v1/projects/${this.target.project}/regions/${this.target.region}/forwardingRules/${this.target.psc!.forwardingRule}`;
  }

  /**
   * Points the endpoint's Private Service Connect forwarding rule (on the
   * reserved internal address) at the service attachment Vertex AI made for
   * the endpoint's deployments: created when missing, re-created when the
   * attachment changed (Vertex AI recycles it after the endpoint has had no
   * deployment for a while), else unchanged.
   */
  private async ensureForwardingRule(): Promise<void> {
    const psc = this.target.psc!;
    const endpoint = await this.getEndpoint();
    const attachment = (endpoint?.deployedModels ?? []).map((d) => d.privateEndpoints?.serviceAttachment).find((a): a is string => typeof a === 'string' && a.length > 0);
    if (!attachment) {
      throw new ReleaseError(
        `endpoint ${this.target.endpoint} has no Private Service Connect service attachment after the deployment: it was not created with private_service_connect_config, so no forwarding rule can reach it. Fix: recreate the endpoint in private network mode (cdktf deploy replaces it)`,
        'PSC_ATTACHMENT_MISSING',
      );
    }
    const url = this.forwardingRuleUrl();
    const rule = await this.caller.find(
      `get forwarding rule ${psc.forwardingRule}`,
      async () => (await this.clients.auth.request<{ target?: string }>({ url, method: 'GET', responseType: 'json' })).data,
    );
    if (rule && rule.target === attachment) {
      this.actions.push({ action: 'unchanged', what: 'forwarding rule', id: psc.forwardingRule, detail: `${psc.address} → ${attachment}` });
      return;
    }
    if (rule) await this.deleteForwardingRule(`its service attachment changed to ${attachment}`);
    const insert = `${this.clients.computeEndpoint}/compute/v1/projects/${this.target.project}/regions/${this.target.region}/forwardingRules`;
    await this.caller.call(`create forwarding rule ${psc.forwardingRule} on ${psc.address}`, 'write', () =>
      this.clients.auth.request({
        url: insert,
        method: 'POST',
        responseType: 'json',
        // An empty load-balancing scheme makes a Private Service Connect endpoint to a published service.
        data: { name: psc.forwardingRule, network: psc.network, IPAddress: psc.address, target: attachment, loadBalancingScheme: '' },
      }),
    );
    this.actions.push({ action: 'created', what: 'forwarding rule', id: psc.forwardingRule, detail: `${psc.address} → ${attachment}` });
  }

  private async deleteForwardingRule(reason: string): Promise<void> {
    const psc = this.target.psc!;
    const url = this.forwardingRuleUrl();
    const rule = await this.caller.find(
      `get forwarding rule ${psc.forwardingRule}`,
      async () => (await this.clients.auth.request<{ target?: string }>({ url, method: 'GET', responseType: 'json' })).data,
    );
    if (!rule) return;
    await this.caller.call(`delete forwarding rule ${psc.forwardingRule}`, 'read', () => this.clients.auth.request({ url, method: 'DELETE', responseType: 'json' }));
    this.actions.push({ action: 'deleted', what: 'forwarding rule', id: psc.forwardingRule, detail: reason });
  }

  /** Marks the endpoint as applied by this step (its other labels kept), so that the step it replaces knows it is superseded. */
  private async markStep(endpoint: IEndpoint): Promise<void> {
    if (endpoint.labels?.[GCP_STEP_LABEL] === this.marker) return;
    const labels = { ...(endpoint.labels ?? {}), [GCP_STEP_LABEL]: this.marker };
    await this.caller.call(`label ${this.target.endpoint} with ${GCP_STEP_LABEL}=${this.marker}`, 'read', () =>
      this.clients.endpoints.updateEndpoint({ endpoint: { name: this.target.endpoint, labels }, updateMask: { paths: ['labels'] } }),
    );
    this.actions.push({ action: 'updated', what: 'endpoint labels', id: this.target.endpoint, detail: `${GCP_STEP_LABEL}=${this.marker}` });
  }

  private async getEndpoint(): Promise<IEndpoint | undefined> {
    return this.caller.find(`get endpoint ${this.target.endpoint}`, async () => (await this.clients.endpoints.getEndpoint({ name: this.target.endpoint }))[0]);
  }

  /** Deployed models of this release's model on the endpoint. */
  private releaseDeployments(endpoint: IEndpoint): IDeployedModel[] {
    return (endpoint.deployedModels ?? []).filter((d) => modelIdOf(d.model) === this.target.modelId);
  }

  private isThisRevision(d: IDeployedModel, version: IModel): boolean {
    return d.displayName === this.deployedName && String(d.modelVersionId) === String(version.versionId);
  }

  /** The new deployment's first share: all of it when nothing else serves or for all-at-once, else the canary or first step. */
  private initialPercent(others: TrafficSplit): number {
    const rollout = this.endpointSpec.rollout;
    if (Object.values(others).every((pct) => pct <= 0) || rollout.strategy === 'all-at-once') return 100;
    return rollout.strategy === 'canary' ? rollout.canaryPercent : rollout.stepPercent;
  }

  private machineSpec(): protos.google.cloud.aiplatform.v1.IMachineSpec {
    const accelerator = this.target.accelerator;
    return {
      machineType: this.endpointSpec.instanceType,
      ...(accelerator ? { acceleratorType: accelerator.type as unknown as protos.google.cloud.aiplatform.v1.AcceleratorType, acceleratorCount: accelerator.count } : {}),
    };
  }

  private async deploy(version: IModel, others: TrafficSplit): Promise<IDeployedModel> {
    const first = this.initialPercent(others);
    const trafficSplit = { '0': first, ...scaleSplit(others, 100 - first) };
    const modelVersion = `${this.model}@${version.versionId}`;
    const what = `deploy ${modelVersion} to ${this.target.endpoint}`;
    this.ctx.log.info(`${what} (${this.endpointSpec.instanceType}, ${this.endpointSpec.minInstances}-${this.endpointSpec.maxInstances} replicas, ${first}% of traffic)`);
    const [op] = await this.caller.call(what, 'write', () =>
      this.clients.endpoints.deployModel({
        endpoint: this.target.endpoint,
        deployedModel: {
          model: modelVersion,
          displayName: this.deployedName,
          serviceAccount: this.target.serviceAccount,
          dedicatedResources: {
            machineSpec: this.machineSpec(),
            minReplicaCount: this.endpointSpec.minInstances,
            maxReplicaCount: this.endpointSpec.maxInstances,
          },
        },
        trafficSplit,
      }),
    );
    const result = await waitForOperation<IDeployModelResponse>(
      this.ctx,
      this.caller,
      what,
      op,
      (n) => this.clients.endpoints.checkDeployModelProgress(n),
      this.timing.operationPollMs,
      DEPLOY_TIMEOUT_MS,
    );
    const deployed = result?.deployedModel;
    if (!deployed?.id) throw new ReleaseError(`${what}: the operation finished without a deployed model`, 'OPERATION_FAILED');
    this.actions.push({ action: 'created', what: 'deployed model', id: `${this.target.endpoint}/deployedModels/${deployed.id}`, detail: `${modelVersion}, ${first}% of traffic` });
    return { ...deployed, displayName: deployed.displayName || this.deployedName };
  }

  /** Bakes and checks each step, then moves traffic on until the new deployment has all of it. */
  private async shift(id: string, startPercent: number, others: TrafficSplit): Promise<void> {
    const rollout = this.endpointSpec.rollout;
    const bakeMs = rollout.bakeMinutes * 60_000;
    let pct = startPercent;
    while (pct < 100) {
      const stepStart = this.ctx.now();
      this.ctx.log.info(`deployed model ${id} has ${pct}% of traffic; baking ${rollout.bakeMinutes} min before the next step`);
      await this.ctx.sleep(bakeMs);
      if (bakeMs > 0) {
        const verdict = await checkHealth(
          this.clients,
          this.caller,
          { project: this.target.project, endpointId: this.target.endpoint.split('/').pop()!, deployedModelId: id, startMs: stepStart, endMs: this.ctx.now() },
          this.endpointSpec.alarms,
        );
        this.ctx.log.info(`health of deployed model ${id} at ${pct}%: ${verdict.summary}`);
        if (!verdict.healthy) await this.rollBack(id, others, verdict.summary);
      } else {
        this.ctx.log.warn('rollout.bakeMinutes is 0: traffic moves on without a health check');
      }
      const next = rollout.strategy === 'linear' ? Math.min(100, pct + rollout.stepPercent) : 100;
      await this.setTraffic({ [id]: next, ...scaleSplit(others, 100 - next) }, `deployed model ${id} to ${next}%`);
      pct = next;
    }
  }

  private async setTraffic(split: TrafficSplit, detail: string): Promise<void> {
    await this.caller.call(`update the traffic split of ${this.target.endpoint}`, 'read', () =>
      this.clients.endpoints.updateEndpoint({ endpoint: { name: this.target.endpoint, trafficSplit: split }, updateMask: { paths: ['traffic_split'] } }),
    );
    this.actions.push({ action: 'updated', what: 'traffic split', id: this.target.endpoint, detail: `${detail} (${describeSplit(split)})` });
  }

  /** Restores the previous deployments' traffic, undeploys the new model and fails the release. */
  private async rollBack(id: string, others: TrafficSplit, reason: string): Promise<never> {
    const restored = scaleSplit(others, 100);
    this.ctx.log.warn(`deployed model ${id} is unhealthy (${reason}); rolling back`);
    await this.setTraffic(restored, `rolled back: ${reason}`);
    await this.undeploy({ id, displayName: this.deployedName }, undefined, 'rolled back');
    throw new ReleaseError(
      `rollout of revision ${this.spec.revision} to ${this.target.endpoint} was rolled back: ${reason}. The endpoint serves the previous deployment again (${describeSplit(restored)}).`,
      'ROLLOUT_UNHEALTHY',
    );
  }

  /**
   * Undeploys one deployed model. When it still has traffic and others remain,
   * its share moves to them (`split` without it); the last one needs no split.
   */
  private async undeploy(d: IDeployedModel, split: TrafficSplit | undefined, reason: string): Promise<void> {
    const id = d.id!;
    const rest = split && (split[id] ?? 0) > 0 ? scaleSplit(Object.fromEntries(Object.entries(split).filter(([k]) => k !== id)), 100) : undefined;
    const what = `undeploy deployed model ${id} (${d.displayName ?? 'unnamed'}) from ${this.target.endpoint}`;
    const [op] = await this.caller.call(what, 'read', () =>
      this.clients.endpoints.undeployModel({ endpoint: this.target.endpoint, deployedModelId: id, ...(rest && Object.keys(rest).length > 0 ? { trafficSplit: rest } : {}) }),
    );
    await waitForOperation(this.ctx, this.caller, what, op, (n) => this.clients.endpoints.checkUndeployModelProgress(n), this.timing.operationPollMs, UNDEPLOY_TIMEOUT_MS);
    this.actions.push({ action: 'deleted', what: 'deployed model', id: `${this.target.endpoint}/deployedModels/${id}`, detail: reason });
  }
}
