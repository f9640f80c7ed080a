import { createHash } from 'crypto';
import { z } from 'zod';
import { ReleaseAction, ReleaseError, ReleaseReport } from '../driver';
import { RELEASE_SPEC_ENV, ReleaseSpec, ReleaseSpecError } from '../spec';
import { datastoreUri, registerModelVersion } from './assets';
import { AzureSession, getIfExists } from './client';
import { applyEndpoint, endpointTargetOf } from './endpoint';
import { LEASE_RETRY_MS, LeaseLocation, blobUrl as blobUrlIn, leaseBlobPath, withLease } from './lease';
import { QueueMessage, StorageSession, deleteMessage, readBlob, receiveMessage, writeBlob } from './storage';
import { AzureTarget, ContainerNameSchema, RegistryModelSchema, StorageEndpointSchema, StoreFolderSchema, TAGS, targetSection } from './target';

/**
 * `mlops-release promote` on Azure: after a pipeline run on Azure ML, register
 * the champion its register step promoted as an Azure ML model version (with
 * the run's lineage) and roll it out to the online endpoint with the same
 * blue/green rollout and rollback as cdktf deploy (`applyEndpoint`).
 *
 * The spec is the endpoint's release spec (kind endpoint) with `azure.promote`
 * (written by the stack's `AzurePipelinePromoter`): where the pipeline's run
 * outputs and registry folder are in the artifact store, the queue Event Grid
 * delivers the workspace's run events to, and the pipeline's lineage as
 * deployed. It runs in a Container Apps job started by a message on that queue
 * (`--from-queue`: it receives the message itself), or by hand with `--run`.
 *
 * Lineage tags and immutable properties on the model version: `mlops.run`,
 * `mlops.data.sha256`, `mlops.data.uri`, `mlops.image`, `mlops.pipeline.revision`,
 * `mlops.registry.version` (with `mlops.release`, `mlops.revision` as every version).
 */

/** Lineage keys on a promoted model version (tags and properties). */
export const LINEAGE = {
  run: 'mlops.run',
  dataSha256: 'mlops.data.sha256',
  dataUri: 'mlops.data.uri',
  image: TAGS.image,
  pipelineRevision: 'mlops.pipeline.revision',
  registryVersion: TAGS.registryVersion,
} as const;

/** Run tags the stack puts on the register node (lib/deploy/azure/pipeline.ts), read from the run event when present. */
export const RUN_TAGS = { pipelineRevision: 'mlops.pipeline.revision', imageDigest: 'mlops.image.digest', inputPrefix: 'mlops.input.' } as const;

/** How often the promoter tries a lease another holder has ({@link LEASE_RETRY_MS} apart) before it gives up (its message is retried later). */
export const LEASE_ATTEMPTS = 10;
/** How long a received queue message stays invisible to other receivers (seconds): longer than a rollout. */
export const MESSAGE_VISIBILITY_SECONDS = 3600;
/** A message whose promotion failed this many times is deleted (with the error), not retried again. */
export const MAX_DEQUEUE = 5;
/** Messages one execution handles at most (a pipeline run sends one event per node, and one for itself). */
export const MAX_MESSAGES_PER_EXECUTION = 100;
/** How often the backstop (the registry's champion when the endpoint does not serve it) runs: once a day. */
export const BACKSTOP_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** The `promote` part of the Azure target. */
export const AzurePromoteTargetSchema = z
  .object({
    /** Blob service endpoint of the artifact store's account. */
    blobEndpoint: StorageEndpointSchema,
    /** Queue service endpoint of the same account. */
    queueEndpoint: StorageEndpointSchema,
    /** The artifact store's container. */
    container: ContainerNameSchema,
    /** The queue Event Grid delivers run events to. */
    queue: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a queue name (3-63 lowercase letters, digits and -)'),
    /** The Azure ML datastore over the container (model URIs). */
    datastore: z.string().regex(/^[A-Za-z0-9_]{1,255}$/, 'must be an Azure ML datastore name (letters, digits, _)'),
    /** The experiment every run of the pipeline is filed under. */
    experiment: z.string().min(1),
    /** The pipeline's name in its file. */
    pipeline: z.string().min(1),
    /** The model's name in the pipeline's registry folder (the pipeline file's model; the Azure ML model is the spec's modelName). */
    model: RegistryModelSchema,
    /** The registry folder (`--root`): `registry/<model>/…` below it. */
    registryPrefix: StoreFolderSchema,
    /** Where runs write outputs: `<runsPrefix><node run>/<node>/<output>/`. */
    runsPrefix: StoreFolderSchema,
    /** The register step's node name. */
    registerNode: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be an Azure ML node name (lowercase letters, digits, _)'),
    /** The register step's output and file: `<output>/<file>` (registration/registration.json). */
    registration: z.string().regex(/^[A-Za-z0-9_]+\/[A-Za-z0-9_.-]+$/, 'must be <output>/<file>, e.g. registration/registration.json'),
    /** Lineage of the pipeline as deployed (used when the run event does not carry it). */
    pipelineRevision: z.string().regex(/^[0-9a-f]{12}$/, 'must be 12 lowercase hex characters'),
    imageDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex>'),
    /** Pipeline input → datastore URI it reads. */
    inputs: z.record(z.string(), z.string().min(1)),
  })
  .strict();

export type AzurePromoteTarget = z.infer<typeof AzurePromoteTargetSchema>;

/** Checks the spec is an endpoint spec with a `promote` part; before any request. */
export function promoteTargetOf(spec: ReleaseSpec, target: AzureTarget): AzurePromoteTarget {
  if (spec.kind !== 'endpoint') {
    throw new ReleaseSpecError([
      { code: 'RELEASE_SPEC_INVALID', path: 'kind', message: `is ${spec.kind}; promote takes the endpoint's spec with azure.promote (the promoter job's ${RELEASE_SPEC_ENV})` },
    ]);
  }
  const endpoint = endpointTargetOf(target);
  const p = targetSection(target, 'promote', AzurePromoteTargetSchema, "is required by promote; the stack's AzurePipelinePromoter writes it (a pipeline with a serve step)");
  // cdktf deploy's endpoint step and the promoter must lease the same blob, or they do not exclude each other.
  const lease = endpoint.lease;
  if (lease) {
    const differs = (['blobEndpoint', 'container', 'registryPrefix', 'model'] as const).filter((k) => lease[k] !== p[k]);
    if (differs.length > 0) {
      throw new ReleaseSpecError(
        differs.map((k) => ({
          code: 'RELEASE_SPEC_INVALID' as const,
          path: `azure.endpoint.lease.${k}`,
          message: `is ${JSON.stringify(lease[k])}, but azure.promote.${k} is ${JSON.stringify(p[k])}: the endpoint step would lease another blob than the promoter, and their rollouts would overlap. Fix: deploy the stack again (AzurePipelinePromoter writes both from the same settings)`,
        })),
      );
    }
  }
  return p;
}

/** The rollout lease of a promoter's pipeline registry (the blob cdktf deploy's endpoint step leases too). */
export function promoteLease(p: AzurePromoteTarget): LeaseLocation {
  return { blobEndpoint: p.blobEndpoint, container: p.container, path: leaseBlobPath(p.registryPrefix, p.model) };
}

/** What the register step wrote (registration.json), as far as the promoter reads it. */
const RegistrationSchema = z.object({
  name: z.string().min(1),
  version: z.number().int().min(1),
  promoted: z.boolean(),
  champion: z.number().int().min(1).nullable(),
  contentHash: z.string().min(1),
});
type Registration = z.infer<typeof RegistrationSchema>;

const FingerprintSchema = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), rows: z.number().int().min(0), cols: z.number().int().min(0) });

/** Where things are in the artifact store, for a run and a registry version. */
export function promotePaths(p: AzurePromoteTarget, model: string, runId: string, version?: number) {
  const registry = `${p.registryPrefix}registry/${model}/`;
  return {
    registration: `${p.runsPrefix}${runId}/${p.registerNode}/${p.registration}`,
    lease: leaseBlobPath(p.registryPrefix, model),
    /** When the backstop last ran (written by the promoter). */
    backstop: `${registry}.promote-backstop`,
    /** The runtime registry's aliases (the champion) and a version's record. */
    aliases: `${registry}aliases.json`,
    version: version === undefined ? undefined : `${registry}versions/${version}/version.json`,
    model: version === undefined ? undefined : `${registry}versions/${version}/model`,
    fingerprint: version === undefined ? undefined : `${registry}versions/${version}/model/fingerprint.json`,
  };
}

/** The revision a promoted registry version rolls out as: 12 hex over the release, the model and the registry version's content. */
export function promotionRevision(spec: ReleaseSpec, r: Pick<Registration, 'version' | 'contentHash'>): string {
  return createHash('sha256').update(`${spec.name}\n${spec.modelName}\n${r.version}\n${r.contentHash}`).digest('hex').slice(0, 12);
}

function blobUrl(p: AzurePromoteTarget, path: string): string {
  return blobUrlIn(p.blobEndpoint, p.container, path);
}

function parseJsonFile<T>(text: string, file: string, schema: z.ZodType<T>, fix: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ReleaseError(`${file} is not valid JSON (${(err as Error).message}). ${fix}`, 'BAD_RUN_FILE');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    throw new ReleaseError(`${file} is not what the runtime's register step writes (${issues}). ${fix}`, 'BAD_RUN_FILE');
  }
  return parsed.data;
}

/** The registry version (`mlops.registry.version`) of the model the endpoint serves most traffic with, if it has one. */
async function servedRegistryVersion(s: AzureSession, spec: ReleaseSpec, target: AzureTarget): Promise<{ version?: number; deployment?: string }> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const name = spec.endpoint!.name;
  const endpoint = await getIfExists(`get online endpoint ${name}`, () => s.client.onlineEndpoints.get(rg, ws, name, s.call));
  const traffic = endpoint?.properties.traffic ?? {};
  const top = Object.entries(traffic)
    .filter(([, share]) => share > 0)
    .sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!top) return {};
  const deployment = await getIfExists(`get deployment ${name}/${top}`, () => s.client.onlineDeployments.get(rg, ws, name, top, s.call));
  const m = /\/models\/([^/]+)\/versions\/([^/]+)$/.exec(deployment?.properties.model ?? '');
  if (!m) return { deployment: top };
  const model = await getIfExists(`get model version ${m[1]}:${m[2]}`, () => s.client.modelVersions.get(rg, ws, m[1]!, m[2]!, s.call));
  const tag = model?.properties.tags?.[LINEAGE.registryVersion];
  return { deployment: top, version: tag && /^\d+$/.test(tag) ? Number(tag) : undefined };
}

/** How the run was named: by a person (`--run`: a missing registration is an error) or by a run event (it may be any node). */
export interface PromoteRun {
  readonly runId: string;
  readonly byHand: boolean;
  /** The run's tags, from its event (`runTags`). */
  readonly runTags?: Record<string, string>;
}

/**
 * Promotes one run: reads its registration; nothing unless the register step
 * promoted; under the lease, nothing when the endpoint serves a newer registry
 * version; else registers the champion with the run's lineage and rolls it out.
 */
export async function promoteRun(s: AzureSession, storage: StorageSession, spec: ReleaseSpec, target: AzureTarget, run: PromoteRun): Promise<ReleaseReport> {
  const p = promoteTargetOf(spec, target);
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(run.runId)) {
    throw new ReleaseSpecError([{ code: 'RELEASE_SPEC_INVALID', path: '--run', message: `${JSON.stringify(run.runId)} is not an Azure ML run name (letters, digits, _ and -)` }]);
  }
  const actions: ReleaseAction[] = [];
  const paths = promotePaths(p, p.model, run.runId);
  const registrationText = await readBlob(storage, blobUrl(p, paths.registration));
  if (registrationText === undefined) {
    if (run.byHand) {
      throw new ReleaseError(
        `${p.container}/${paths.registration} does not exist: run ${run.runId} is not a run of the register node '${p.registerNode}' of pipeline ${p.pipeline}, or it did not get that far. ` +
          `Fix: pass the register node's run name (Studio → the pipeline run → node ${p.registerNode} → Name; or az ml job list --parent-job-name <pipeline run> --query "[?display_name=='${p.registerNode}'].name").`,
        'REGISTRATION_MISSING',
      );
    }
    s.ctx.log.info(
      `run ${run.runId} wrote no ${p.registration} under ${p.runsPrefix}${run.runId}/${p.registerNode}/: not the register node of pipeline ${p.pipeline}; nothing to promote`,
    );
    actions.push({ action: 'unchanged', what: 'online endpoint', id: spec.endpoint!.name, detail: `run ${run.runId} is not a register run` });
    return { actions, outputs: { promoted: 'false', reason: 'not a register run' } };
  }
  const regFix = `Fix: this file is written by the pipeline's register step (mlops pipeline step --uses register); rerun the pipeline, or promote another run.`;
  const registration = parseJsonFile(registrationText, `${p.container}/${paths.registration}`, RegistrationSchema, regFix);
  if (registration.name !== p.model) {
    throw new ReleaseError(
      `${p.container}/${paths.registration} registers model ${JSON.stringify(registration.name)}, but the promoter's pipeline registers ${p.model} (azure.promote.model). Fix: promote a run of pipeline ${p.pipeline}, or redeploy the stack so the promoter's spec follows the pipeline file's model.`,
      'BAD_RUN_FILE',
    );
  }
  if (!registration.promoted || registration.champion !== registration.version) {
    s.ctx.log.info(
      `run ${run.runId} registered v${registration.version} without promoting it (champion ${registration.champion === null ? 'none' : `v${registration.champion}`}): nothing to roll out`,
    );
    actions.push({ action: 'unchanged', what: 'online endpoint', id: spec.endpoint!.name, detail: `registry v${registration.version} was not promoted` });
    return { actions, outputs: { promoted: 'false', reason: 'not promoted', registryVersion: String(registration.version) } };
  }

  return rollOut(
    s,
    storage,
    spec,
    target,
    { version: registration.version, contentHash: registration.contentHash },
    { id: run.runId, tags: run.runTags ?? {}, via: 'run' },
    actions,
  );
}

/** What is rolled out: a registry version (its number and content hash). */
interface Promotion {
  readonly version: number;
  readonly contentHash: string;
}

/** Where a promotion comes from: the run it is recorded as, and how it was found. */
interface PromotionSource {
  /** Recorded as `mlops.run`. */
  readonly id: string;
  /** The run's tags (lineage), when its event carried them. */
  readonly tags: Record<string, string>;
  /** `run`: a run's registration (an older run than the endpoint's is ignored); `backstop`: the registry's champion (ignored unless newer than the endpoint's). */
  readonly via: 'run' | 'backstop';
}

/**
 * Registers a registry version as an Azure ML model version with its lineage
 * and rolls it out, under the lease; nothing when the endpoint serves a newer
 * registry version (for the backstop: the same one or newer).
 */
async function rollOut(
  s: AzureSession,
  storage: StorageSession,
  spec: ReleaseSpec,
  target: AzureTarget,
  registration: Promotion,
  run: PromotionSource,
  actions: ReleaseAction[],
): Promise<ReleaseReport> {
  const p = promoteTargetOf(spec, target);
  const at = promotePaths(p, p.model, run.id, registration.version);
  const fingerprintText = await readBlob(storage, blobUrl(p, at.fingerprint!));
  const fpFix = `Fix: the register step copies the trained model folder (with fingerprint.json) into the registry; check that registry version ${registration.version} is complete, or rerun the pipeline.`;
  if (fingerprintText === undefined) {
    throw new ReleaseError(`${p.container}/${at.fingerprint} does not exist, so the data of registry version ${registration.version} is unknown. ${fpFix}`, 'FINGERPRINT_MISSING');
  }
  const fingerprint = parseJsonFile(fingerprintText, `${p.container}/${at.fingerprint}`, FingerprintSchema, fpFix);

  const wait = {
    attempts: LEASE_ATTEMPTS,
    who: `the promotion of registry v${registration.version} (run ${run.id})`,
    heldError: () =>
      `Another rollout holds the lease on ${p.container}/${at.lease} (tried ${LEASE_ATTEMPTS} times, ${LEASE_RETRY_MS / 1000} s apart): a promotion, or cdktf deploy's endpoint step, is rolling out to endpoint ${spec.endpoint!.name}. ` +
      `Fix: wait for it and promote again (mlops-release promote --run <run id>; a queued run is retried by itself when its message reappears); if no rollout runs, the lease expires by itself within a minute of its holder stopping.`,
  };
  return withLease(s, storage, promoteLease(p), wait, async (): Promise<ReleaseReport> => {
    actions.push({ action: 'created', what: 'lease', id: `${p.container}/${at.lease}`, detail: 'held for the rollout' });
    const served = await servedRegistryVersion(s, spec, target);
    const backstop = run.via === 'backstop';
    if (served.version !== undefined && (served.version > registration.version || (backstop && served.version === registration.version))) {
      s.ctx.log.info(
        backstop
          ? `the endpoint serves registry v${served.version} (deployment ${served.deployment}), the champion v${registration.version} or newer: nothing to roll out`
          : `the endpoint serves registry v${served.version} (deployment ${served.deployment}), newer than run ${run.id}'s v${registration.version}: an older run finished late; ignored`,
      );
      actions.push({ action: 'unchanged', what: 'online endpoint', id: spec.endpoint!.name, detail: `serves registry v${served.version}` });
      return {
        actions,
        outputs: {
          promoted: 'false',
          reason: backstop ? 'champion served' : 'older run',
          registryVersion: String(registration.version),
          servedRegistryVersion: String(served.version),
        },
      };
    }
    const tags = run.tags;
    const inputs = Object.entries(tags).filter(([k]) => k.startsWith(RUN_TAGS.inputPrefix));
    const dataInputs = inputs.length > 0 ? inputs.map(([k, v]) => [k.slice(RUN_TAGS.inputPrefix.length), v] as const) : Object.entries(p.inputs);
    const lineage: Record<string, string> = {
      [LINEAGE.run]: run.id,
      [LINEAGE.dataSha256]: fingerprint.sha256,
      [LINEAGE.dataUri]: dataInputs.length === 1 ? dataInputs[0]![1] : dataInputs.map(([k, v]) => `${k}=${v}`).join(';'),
      [LINEAGE.image]: tags[RUN_TAGS.imageDigest] ?? p.imageDigest,
      [LINEAGE.pipelineRevision]: tags[RUN_TAGS.pipelineRevision] ?? p.pipelineRevision,
      [LINEAGE.registryVersion]: String(registration.version),
      'mlops.pipeline': p.pipeline,
    };
    if (!tags[RUN_TAGS.pipelineRevision])
      s.ctx.log.warn(`run ${run.id}'s tags do not carry ${RUN_TAGS.pipelineRevision}; recording the deployed pipeline's (${p.pipelineRevision}) as its lineage`);
    const promoted: ReleaseSpec = { ...spec, revision: promotionRevision(spec, registration) };
    const by = backstop ? `registry champion registered by run ${run.id}, rolled out by the daily backstop` : `promoted by pipeline ${p.pipeline} run ${run.id}`;
    const model = await registerModelVersion(s, promoted, target, undefined, actions, {
      description: `${p.model} registry version ${registration.version}, ${by} (release ${spec.name}).`,
      modelUri: `${datastoreUri(s, target, p.datastore, at.model!)}/`,
      lineage,
    });
    // The promoter already holds the lease: applyEndpoint itself takes none (the driver's endpoint step does, index.ts).
    const rollout = await applyEndpoint(s, promoted, target, undefined);
    actions.push(...rollout.actions);
    return {
      actions,
      outputs: { ...rollout.outputs, promoted: 'true', run: run.id, registryVersion: String(registration.version), modelVersion: model.version },
    };
  });
}

/** The run a queue message names: an Event Grid RunStatusChanged event of the experiment that Completed, or why it is ignored. */
export function runOfMessage(text: string, p: AzurePromoteTarget): { run?: PromoteRun; ignored?: string } {
  let body = text.trim();
  if (!body.startsWith('{') && !body.startsWith('[')) {
    // Event Grid's Storage queue delivery writes the event JSON; a client may have base64-encoded it.
    body = Buffer.from(body, 'base64').toString('utf8').trim();
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ignored: `the message is not an Event Grid event (not JSON): ${text.slice(0, 120)}` };
  }
  const event = (Array.isArray(raw) ? raw[0] : raw) as { eventType?: unknown; data?: Record<string, unknown> } | undefined;
  const data = event?.data ?? {};
  if (typeof event?.eventType !== 'string' || !event.eventType.endsWith('.RunStatusChanged'))
    return { ignored: `event type ${JSON.stringify(event?.eventType)} is not RunStatusChanged` };
  if (data.experimentName !== p.experiment) return { ignored: `run of experiment ${JSON.stringify(data.experimentName)}, not ${p.experiment}` };
  if (data.runStatus !== 'Completed') return { ignored: `run status ${JSON.stringify(data.runStatus)}, not Completed` };
  if (typeof data.runId !== 'string' || !data.runId) return { ignored: 'the event names no runId' };
  const runTags = Object.fromEntries(Object.entries((data.runTags as Record<string, unknown> | undefined) ?? {}).filter(([, v]) => typeof v === 'string')) as Record<
    string,
    string
  >;
  return { run: { runId: data.runId, byHand: false, runTags } };
}

/**
 * `promote --from-queue`: receives one message from the promotions queue and
 * promotes the run it names. The message is deleted when it is done (promoted,
 * or nothing to do); a failed promotion leaves it for a retry (it reappears
 * after {@link MESSAGE_VISIBILITY_SECONDS}) until it failed {@link MAX_DEQUEUE} times.
 */
export async function promoteFromQueue(s: AzureSession, storage: StorageSession, spec: ReleaseSpec, target: AzureTarget): Promise<ReleaseReport> {
  const p = promoteTargetOf(spec, target);
  const queueUrl = `${p.queueEndpoint}/${p.queue}`;
  const message: QueueMessage | undefined = await receiveMessage(storage, queueUrl, MESSAGE_VISIBILITY_SECONDS);
  if (!message) {
    s.ctx.log.info(`queue ${p.queue} is empty: nothing to promote`);
    return { actions: [], outputs: { promoted: 'false', reason: 'queue empty' } };
  }
  const { run, ignored } = runOfMessage(message.text, p);
  if (!run) {
    s.ctx.log.info(`message ${message.id} ignored: ${ignored}`);
    await deleteMessage(storage, queueUrl, message);
    return { actions: [{ action: 'deleted', what: 'queue message', id: message.id, detail: ignored }], outputs: { promoted: 'false', reason: 'ignored message' } };
  }
  try {
    const report = await promoteRun(s, storage, spec, target, run);
    await deleteMessage(storage, queueUrl, message);
    return { actions: [...report.actions, { action: 'deleted', what: 'queue message', id: message.id, detail: `run ${run.runId}` }], outputs: report.outputs };
  } catch (err) {
    if (message.dequeueCount >= MAX_DEQUEUE) {
      await deleteMessage(storage, queueUrl, message);
      s.ctx.log.warn(`promotion of run ${run.runId} failed ${message.dequeueCount} times; its message is deleted (promote it by hand: mlops-release promote --run ${run.runId})`);
    }
    throw err;
  }
}

/**
 * `promote --from-queue` as the promoter job runs it: handles messages one by
 * one until the queue is empty (at most {@link MAX_MESSAGES_PER_EXECUTION}),
 * stopping at the first failure (its message stays for the next execution);
 * then, once a day, the {@link backstop}.
 */
export async function drainQueue(s: AzureSession, storage: StorageSession, spec: ReleaseSpec, target: AzureTarget): Promise<ReleaseReport> {
  const actions: ReleaseAction[] = [];
  let outputs: Record<string, string> = { promoted: 'false' };
  let handled = 0;
  for (; handled < MAX_MESSAGES_PER_EXECUTION; handled++) {
    const report = await promoteFromQueue(s, storage, spec, target);
    if (report.outputs.reason === 'queue empty') break;
    actions.push(...report.actions);
    if (report.outputs.promoted === 'true') outputs = report.outputs;
  }
  // A full batch may leave messages: the backstop waits for an execution that empties the queue.
  if (handled >= MAX_MESSAGES_PER_EXECUTION) return { actions, outputs: { ...outputs, messages: String(handled) } };
  const daily = await backstop(s, storage, spec, target);
  actions.push(...daily.actions);
  // What a message promoted stays the execution's outputs; else the backstop's (what it found, or promoted).
  if (outputs.promoted !== 'true') outputs = daily.outputs;
  return { actions, outputs: { ...outputs, messages: String(handled), backstop: daily.outputs.backstop! } };
}

/** aliases.json of the runtime registry, as far as the backstop reads it. */
const AliasesSchema = z.object({ champion: z.number().int().min(1).nullable() });
/** version.json of a registry version, as far as the backstop reads it. */
const VersionSchema = z.object({
  name: z.string().min(1),
  version: z.number().int().min(1),
  contentHash: z.string().min(1),
  runId: z.string().nullable().optional(),
  registeredBy: z.string().nullable().optional(),
});
/** What the backstop wrote when it last ran (`.promote-backstop`). */
const BackstopSchema = z.object({ checkedAt: z.string() });

/**
 * The daily backstop for a lost run event (Event Grid gave up delivering, a
 * message was deleted after {@link MAX_DEQUEUE} failed attempts, the promoter
 * was down for longer than the events' time to live): when it last ran more
 * than {@link BACKSTOP_INTERVAL_MS} ago (`.promote-backstop` in the registry
 * folder, written first, so a failing backstop is tried again the next day,
 * not every execution), it reads the registry's champion (`aliases.json`, the
 * version's `version.json`) and rolls it out unless the endpoint already
 * serves that registry version or a newer one (checked again under the
 * lease). A champion older than what the endpoint serves (a registry
 * rollback) is not followed: roll the endpoint back by hand. The lineage
 * records the run that registered the version (`registeredBy`) and the
 * deployed pipeline's revision, image and inputs (no run event to read them from).
 */
export async function backstop(s: AzureSession, storage: StorageSession, spec: ReleaseSpec, target: AzureTarget): Promise<ReleaseReport> {
  const p = promoteTargetOf(spec, target);
  const paths = promotePaths(p, p.model, '-');
  const markerFile = `${p.container}/${paths.backstop}`;
  const markerText = await readBlob(storage, blobUrl(p, paths.backstop));
  const now = s.ctx.now();
  if (markerText !== undefined) {
    const marker = parseJsonFile(
      markerText,
      markerFile,
      BackstopSchema,
      `Fix: ${markerFile} is written by the promoter itself; delete it (the next execution runs the backstop and writes it again).`,
    );
    const last = Date.parse(marker.checkedAt);
    if (Number.isFinite(last) && now >= last && now - last < BACKSTOP_INTERVAL_MS) {
      return { actions: [], outputs: { promoted: 'false', backstop: 'not due' } };
    }
  }
  await writeBlob(storage, blobUrl(p, paths.backstop), `${JSON.stringify({ checkedAt: new Date(now).toISOString() })}\n`);
  const actions: ReleaseAction[] = [{ action: 'updated', what: 'backstop marker', id: markerFile, detail: 'daily check of the registry champion' }];
  const regFix = `Fix: this file is written by the runtime's registry (mlops pipeline step --uses register); check the registry folder ${p.registryPrefix}registry/${p.model}/.`;
  const aliasesText = await readBlob(storage, blobUrl(p, paths.aliases));
  const champion = aliasesText === undefined ? null : parseJsonFile(aliasesText, `${p.container}/${paths.aliases}`, AliasesSchema, regFix).champion;
  if (champion === null) {
    s.ctx.log.info(`backstop: the registry ${p.registryPrefix}registry/${p.model}/ has no champion yet: nothing to roll out`);
    return { actions, outputs: { promoted: 'false', backstop: 'no champion' } };
  }
  const served = await servedRegistryVersion(s, spec, target);
  if (served.version !== undefined && served.version >= champion) {
    s.ctx.log.info(`backstop: the endpoint serves registry v${served.version}, the champion v${champion}${served.version > champion ? ' or newer' : ''}: nothing to roll out`);
    return { actions, outputs: { promoted: 'false', backstop: 'champion served', registryVersion: String(champion), servedRegistryVersion: String(served.version) } };
  }
  const at = promotePaths(p, p.model, '-', champion);
  const versionText = await readBlob(storage, blobUrl(p, at.version!));
  if (versionText === undefined) {
    throw new ReleaseError(`${p.container}/${at.version} does not exist, though aliases.json names v${champion} the champion. ${regFix}`, 'BAD_RUN_FILE');
  }
  const version = parseJsonFile(versionText, `${p.container}/${at.version}`, VersionSchema, regFix);
  if (version.version !== champion || version.name !== p.model) {
    throw new ReleaseError(`${p.container}/${at.version} records ${JSON.stringify(version.name)} v${version.version}, not ${p.model} v${champion}. ${regFix}`, 'BAD_RUN_FILE');
  }
  const runId = version.registeredBy ?? version.runId ?? `registry-v${champion}`;
  s.ctx.log.warn(
    `backstop: the endpoint serves ${served.version === undefined ? 'no registry version' : `registry v${served.version}`}, the registry's champion is v${champion}: its run event was lost; rolling it out`,
  );
  const report = await rollOut(s, storage, spec, target, { version: champion, contentHash: version.contentHash }, { id: runId, tags: {}, via: 'backstop' }, actions);
  return { actions: report.actions, outputs: { ...report.outputs, backstop: report.outputs.promoted === 'true' ? 'promoted' : report.outputs.reason! } };
}
