import type { ComponentVersion, EnvironmentVersion, JobBase, Schedule } from '@azure/arm-machinelearning';
import { createHash } from 'crypto';
import { z } from 'zod';
import { ReleaseAction, ReleaseError, ReleaseReport } from '../driver';
import { ReleaseSpec, ReleaseSpecError, canonicalJson } from '../spec';
import { workspaceId } from './assets';
import { AzureSession, attempt, getIfExists } from './client';
import { AzureTarget, RELEASE_INSTANCE_ENV, TAGS, targetSection } from './target';
import { ensureWorkspaceSettings } from './workspace';

/**
 * The `pipeline` kind on Azure: what the stack's `AzureContinuousTraining`
 * compiled (lib/deploy/azure/pipeline.ts) put on Azure ML through
 * `@azure/arm-machinelearning`, because azurerm has no resource for it:
 *
 * - the environment version of the runtime image and one command component
 *   version per step (immutable, named by content hash: created when missing,
 *   never changed);
 * - the schedule (`<release>-pipeline`) whose action creates the PipelineJob,
 *   created or brought to the spec, marked with the release step instance;
 *   a spec without a schedule deletes the release's schedule;
 * - batch scoring: its schedule (`<release>-batch`) likewise, and one run of
 *   its job per endpoint revision (after each rollout by `cdktf deploy`).
 *
 * `start` submits one run of the pipeline job by hand.
 */

/** A component spec as the stack writes it: a command component on an environment. */
const componentSpec = z
  .object({
    name: z.string().regex(/^[a-z0-9_]{1,255}$/),
    version: z.string().regex(/^[0-9a-f]{12}$/),
    type: z.literal('command'),
    command: z.string().min(1),
    environment: z.string().startsWith('azureml:'),
  })
  .passthrough();

const scheduleOf = z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,254}$/), properties: z.record(z.string(), z.unknown()) }).strict();
const pipelineJob = z
  .object({ jobType: z.literal('Pipeline'), jobs: z.record(z.string(), z.object({ type: z.literal('command'), componentId: z.string().min(1) }).passthrough()) })
  .passthrough();

/** The `pipeline` part of the Azure target. */
export const AzurePipelineTargetSchema = z
  .object({
    computeId: z.string().min(1),
    datastore: z.string().regex(/^[A-Za-z0-9_]{1,255}$/),
    environment: z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/), version: z.string().regex(/^[0-9a-f]{12}$/), image: z.string().min(1) }).strict(),
    components: z.array(z.object({ name: z.string().regex(/^[a-z0-9_]{1,255}$/), version: z.string().regex(/^[0-9a-f]{12}$/), spec: componentSpec }).strict()).min(1),
    job: pipelineJob,
    schedule: scheduleOf.optional(),
    batch: z.object({ job: pipelineJob, schedule: scheduleOf.optional() }).strict().optional(),
  })
  .strict();

export type AzurePipelineTarget = z.infer<typeof AzurePipelineTargetSchema>;

/** Checks the pipeline part of the target and that every node's component is one the spec registers; before any request. */
export function pipelineTargetOf(target: AzureTarget): AzurePipelineTarget {
  const p = targetSection(target, 'pipeline', AzurePipelineTargetSchema, "is required when kind is pipeline; the stack's AzureContinuousTraining writes it");
  const known = new Set(p.components.map((c) => `/components/${c.name}/versions/${c.version}`));
  const problems: { code: 'RELEASE_SPEC_INVALID'; path: string; message: string }[] = [];
  const check = (job: AzurePipelineTarget['job'], at: string) => {
    for (const [node, n] of Object.entries(job.jobs)) {
      const ref = /\/components\/[^/]+\/versions\/[^/]+$/.exec(n.componentId)?.[0];
      if (!ref || !known.has(ref))
        problems.push({ code: 'RELEASE_SPEC_INVALID', path: `${at}.jobs.${node}.componentId`, message: `names a component version the spec does not register (${n.componentId})` });
    }
  };
  check(p.job, 'azure.pipeline.job');
  if (p.batch) check(p.batch.job, 'azure.pipeline.batch.job');
  for (const c of p.components) {
    if (!c.spec.environment.endsWith(`/environments/${p.environment.name}/versions/${p.environment.version}`))
      problems.push({
        code: 'RELEASE_SPEC_INVALID',
        path: `azure.pipeline.components.${c.name}`,
        message: `runs on ${c.spec.environment}, not the spec's environment ${p.environment.name}:${p.environment.version}`,
      });
  }
  if (problems.length > 0) throw new ReleaseSpecError(problems);
  return p;
}

/** The environment version of the runtime image (jobs only: no inference routes). */
export function pipelineEnvironmentBody(spec: ReleaseSpec, p: AzurePipelineTarget): EnvironmentVersion {
  return {
    properties: {
      image: p.environment.image,
      osType: 'Linux',
      description: `cdktf-mlops runtime image of the pipeline of release ${spec.name}`,
      tags: { [TAGS.release]: spec.name, [TAGS.image]: p.environment.image.slice(p.environment.image.lastIndexOf('@') + 1), [TAGS.managedBy]: 'cdktf-mlops' },
    },
  };
}

/** A component version's body. */
export function componentBody(spec: ReleaseSpec, c: AzurePipelineTarget['components'][number]): ComponentVersion {
  return {
    properties: {
      description: typeof c.spec.description === 'string' ? c.spec.description : undefined,
      isAnonymous: false,
      tags: { [TAGS.release]: spec.name, [TAGS.managedBy]: 'cdktf-mlops' },
      componentSpec: c.spec,
    },
  };
}

/** A schedule's body, marked with the hash of its config and the release step instance that applied it. */
export function scheduleBody(s: { properties: Record<string, unknown> }, instance: string | undefined): Schedule {
  const tags = {
    ...((s.properties.tags as Record<string, string> | undefined) ?? {}),
    [TAGS.config]: scheduleConfigHash(s.properties),
    ...(instance !== undefined ? { [TAGS.step]: instance } : {}),
  };
  return { properties: { ...s.properties, tags } as unknown as Schedule['properties'] };
}

/** The batch job's name for an endpoint revision: one run per rollout. */
export function batchJobName(spec: ReleaseSpec, p: AzurePipelineTarget): string {
  const revision = String((p.batch?.job.tags as Record<string, unknown> | undefined)?.[TAGS.revision] ?? spec.revision);
  return `${spec.name}-batch-${revision}`.slice(0, 255);
}

async function ensureEnvironmentVersion(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, p: AzurePipelineTarget): Promise<ReleaseAction> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const { name, version } = p.environment;
  const found = await getIfExists(`get environment ${name}:${version}`, () => s.client.environmentVersions.get(rg, ws, name, version, s.call));
  if (found) return { action: 'unchanged', what: 'environment', id: `${name}:${version}`, detail: p.environment.image };
  await attempt(`register environment ${name}:${version}`, () => s.client.environmentVersions.createOrUpdate(rg, ws, name, version, pipelineEnvironmentBody(spec, p), s.call));
  return { action: 'created', what: 'environment', id: `${name}:${version}`, detail: p.environment.image };
}

async function ensureComponent(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, c: AzurePipelineTarget['components'][number]): Promise<ReleaseAction> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const found = await getIfExists(`get component ${c.name}:${c.version}`, () => s.client.componentVersions.get(rg, ws, c.name, c.version, s.call));
  const step = String((c.spec.tags as Record<string, unknown> | undefined)?.['mlops.step'] ?? c.name);
  if (found) return { action: 'unchanged', what: 'component', id: `${c.name}:${c.version}`, detail: `step ${step}` };
  await attempt(`register component ${c.name}:${c.version}`, () => s.client.componentVersions.createOrUpdate(rg, ws, c.name, c.version, componentBody(spec, c), s.call));
  return { action: 'created', what: 'component', id: `${c.name}:${c.version}`, detail: `step ${step}` };
}

/** Creates or updates a schedule unless it already is as the spec says (and marked by this step). */
async function ensureSchedule(
  s: AzureSession,
  target: AzureTarget,
  wanted: { name: string; properties: Record<string, unknown> },
  instance: string | undefined,
): Promise<ReleaseAction> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const current = await getIfExists(`get schedule ${wanted.name}`, () => s.client.schedules.get(rg, ws, wanted.name, s.call));
  const tags = (current?.properties.tags ?? {}) as Record<string, string | null>;
  if (current && tags[TAGS.release] !== undefined && tags[TAGS.release] !== (wanted.properties.tags as Record<string, string>)[TAGS.release]) {
    throw new ReleaseError(
      `Schedule ${wanted.name} exists in workspace ${ws} but belongs to release ${tags[TAGS.release]} (tag ${TAGS.release}). Fix: delete it, or rename this release.`,
      'SCHEDULE_TAKEN',
    );
  }
  const body = scheduleBody(wanted, instance ?? (tags[TAGS.step] || undefined));
  const trigger = wanted.properties.trigger as { expression?: string; timeZone?: string };
  const detail = `"${trigger.expression}" ${trigger.timeZone}`;
  const same = current !== undefined && tags[TAGS.config] === scheduleConfigHash(wanted.properties) && tags[TAGS.step] === body.properties.tags?.[TAGS.step];
  if (same) return { action: 'unchanged', what: 'schedule', id: wanted.name, detail };
  await attempt(`${current ? 'update' : 'create'} schedule ${wanted.name}`, () => s.client.schedules.beginCreateOrUpdateAndWait(rg, ws, wanted.name, body, s.lro));
  return { action: current ? 'updated' : 'created', what: 'schedule', id: wanted.name, detail };
}

/** 12 hex over what the release sets on a schedule (its `mlops.config` tag): the real service adds read-only fields, so bodies are not compared. */
export function scheduleConfigHash(properties: Record<string, unknown>): string {
  const { tags: _tags, ...rest } = properties;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 12);
}

/** Deletes the release's schedule of that name, if it exists and is the release's. */
async function removeSchedule(
  s: AzureSession,
  spec: ReleaseSpec,
  target: AzureTarget,
  name: string,
  instance: string | undefined,
  why: string,
  onDestroy = false,
): Promise<ReleaseAction | undefined> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const current = await getIfExists(`get schedule ${name}`, () => s.client.schedules.get(rg, ws, name, s.call));
  if (!current) return undefined;
  const tags = (current.properties.tags ?? {}) as Record<string, string | null>;
  if (tags[TAGS.release] !== spec.name) return { action: 'kept', what: 'schedule', id: name, detail: 'not this release’s' };
  const step = tags[TAGS.step] || undefined;
  if (onDestroy && instance !== undefined && step !== undefined && step !== instance) {
    return { action: 'kept', what: 'schedule', id: name, detail: `release step ${step} applied it last: superseded` };
  }
  await getIfExists(`delete schedule ${name}`, () => s.client.schedules.beginDeleteAndWait(rg, ws, name, s.lro));
  return { action: 'deleted', what: 'schedule', id: name, detail: why };
}

/**
 * `apply` of a pipeline spec: workspace settings, the environment, every
 * component, the pipeline schedule, and for batch scoring its schedule and one
 * run per endpoint revision (submitted, not waited for).
 */
export async function applyPipeline(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, instance: string | undefined): Promise<ReleaseReport> {
  const p = pipelineTargetOf(target);
  const { resourceGroup: rg, workspaceName: ws } = target;
  if (instance === undefined) s.ctx.log.info(`${RELEASE_INSTANCE_ENV} is not set (a run outside Terraform): the schedules are not marked with ${TAGS.step}`);
  const actions: ReleaseAction[] = [...(await ensureWorkspaceSettings(s, target))];
  actions.push(await ensureEnvironmentVersion(s, spec, target, p));
  for (const c of p.components) actions.push(await ensureComponent(s, spec, target, c));
  const pipelineSchedule = `${spec.name}-pipeline`;
  if (p.schedule) actions.push(await ensureSchedule(s, target, p.schedule, instance));
  else {
    const removed = await removeSchedule(s, spec, target, pipelineSchedule, instance, 'the config has no schedule');
    if (removed) actions.push(removed);
  }
  const outputs: Record<string, string> = { experiment: spec.name, components: String(p.components.length) };
  if (p.schedule) outputs.schedule = p.schedule.name;
  const batchSchedule = `${spec.name}-batch`;
  if (p.batch) {
    if (p.batch.schedule) actions.push(await ensureSchedule(s, target, p.batch.schedule, instance));
    else {
      const removed = await removeSchedule(s, spec, target, batchSchedule, instance, 'the config has no batch schedule');
      if (removed) actions.push(removed);
    }
    const name = batchJobName(spec, p);
    const found = await getIfExists(`get batch job ${name}`, () => s.client.jobs.get(rg, ws, name, s.call));
    if (found) actions.push({ action: 'unchanged', what: 'batch job', id: name, detail: found.properties.status ?? 'submitted before' });
    else {
      await attempt(`submit batch job ${name}`, () => s.client.jobs.createOrUpdate(rg, ws, name, { properties: p.batch!.job as unknown as JobBase['properties'] }, s.call));
      actions.push({ action: 'created', what: 'batch job', id: name, detail: 'scores with the model the endpoint serves' });
    }
    outputs.batchJob = name;
  } else {
    const removed = await removeSchedule(s, spec, target, batchSchedule, instance, 'the config has no batch scoring');
    if (removed) actions.push(removed);
  }
  return { actions, outputs };
}

/**
 * `destroy` of a pipeline spec: deletes the release's schedules (unless
 * another release step instance applied them last: a replacement keeps
 * them). Environment and component versions are immutable history, kept, as
 * are the runs.
 */
export async function destroyPipeline(s: AzureSession, spec: ReleaseSpec, target: AzureTarget, instance: string | undefined): Promise<ReleaseReport> {
  const p = pipelineTargetOf(target);
  const actions: ReleaseAction[] = [];
  for (const name of [`${spec.name}-pipeline`, `${spec.name}-batch`]) {
    const removed = await removeSchedule(s, spec, target, name, instance, 'release destroyed', true);
    if (removed) actions.push(removed);
  }
  actions.push({ action: 'kept', what: 'components', id: p.components.map((c) => `${c.name}:${c.version}`).join(', '), detail: 'immutable versions, kept as run history' });
  return { actions, outputs: {} };
}

/** The name of a run started by hand: the release, `manual`, and the time (UTC, to the second). */
export function manualRunName(spec: ReleaseSpec, now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .replace('T', 't');
  return `${spec.name}-manual-${stamp}`;
}

/**
 * `start`: registers what `apply` registers if it is missing (environment,
 * components), then submits one run of the pipeline job. Overlapping runs
 * are not prevented by Azure ML: docs/pipelines/azure.md says what that means.
 */
export async function startPipeline(s: AzureSession, spec: ReleaseSpec, target: AzureTarget): Promise<ReleaseReport> {
  const p = pipelineTargetOf(target);
  const { resourceGroup: rg, workspaceName: ws } = target;
  const actions: ReleaseAction[] = [];
  actions.push(await ensureEnvironmentVersion(s, spec, target, p));
  for (const c of p.components) actions.push(await ensureComponent(s, spec, target, c));
  const name = manualRunName(spec, s.ctx.now());
  const job = await attempt(`submit pipeline job ${name}`, () =>
    s.client.jobs.createOrUpdate(
      rg,
      ws,
      name,
      { properties: { ...(p.job as object), displayName: `${String(p.job.displayName ?? spec.name)} (by hand)` } as JobBase['properties'] },
      s.call,
    ),
  );
  actions.push({ action: 'created', what: 'pipeline job', id: name, detail: 'started by hand' });
  const studio = job.properties?.services?.Studio?.endpoint;
  return {
    actions,
    outputs: {
      job: name,
      jobId: `${workspaceId(s, target)}/jobs/${name}`,
      ...(studio ? { studio } : {}),
      watch: `az ml job stream --name ${name} --resource-group ${rg} --workspace-name ${ws}`,
    },
  };
}
