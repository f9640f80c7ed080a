import type { EnvironmentVersion, ModelVersion } from '@azure/arm-machinelearning';
import { createHash } from 'crypto';
import { ReleaseAction } from '../driver';
import { ReleaseSpec } from '../spec';
import { AzureSession, attempt, listAll } from './client';
import { AzureTarget, INFERENCE_ROUTES, TAGS } from './target';

/**
 * Azure ML assets (environments, model versions) the release registers.
 *
 * Versions: Azure ML's own tooling numbers asset versions 1, 2, 3 …, and the
 * MLflow and studio views of a model expect integers; so the release registers
 * the next integer and puts its revision (12 hex) in the `mlops.revision`
 * tag, which is how it finds the version again (idempotent) and what
 * `ITrainingJob.modelVersion` names.
 */

/** A registered version and what the release did about it. */
export interface EnsuredVersion {
  /** The version's ARM id (jobs and deployments reference it). */
  readonly id: string;
  /** The Azure version label (1, 2, …). */
  readonly version: string;
  readonly action: ReleaseAction;
}

function tagsOf(resource: { properties?: { tags?: Record<string, string | null> } } | undefined): Record<string, string | null> {
  return resource?.properties?.tags ?? {};
}

/** The next integer version after every numeric version in `versions`. */
export function nextVersion(versions: readonly { name?: string }[]): string {
  let max = 0;
  for (const v of versions) {
    if (v.name && /^\d+$/.test(v.name)) max = Math.max(max, Number(v.name));
  }
  return String(max + 1);
}

/** The environment the runtime image runs in: the image by digest and the server's Azure ML routes. */
export function environmentBody(spec: ReleaseSpec): { hash: string; body: EnvironmentVersion } {
  const route = (path: string) => ({ path, port: INFERENCE_ROUTES.port });
  const content = {
    image: spec.image,
    osType: 'Linux' as const,
    inferenceConfig: {
      livenessRoute: route(INFERENCE_ROUTES.liveness),
      readinessRoute: route(INFERENCE_ROUTES.readiness),
      scoringRoute: route(INFERENCE_ROUTES.scoring),
    },
  };
  const hash = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 12);
  return {
    hash,
    body: {
      properties: {
        ...content,
        description: `cdktf-mlops runtime image of release ${spec.name}`,
        tags: { [TAGS.release]: spec.name, [TAGS.environment]: hash, [TAGS.image]: digestOf(spec.image), [TAGS.managedBy]: 'cdktf-mlops' },
      },
    },
  };
}

/** `sha256:…` of an image reference pinned by digest. */
export function digestOf(image: string): string {
  return image.slice(image.lastIndexOf('@') + 1);
}

/** The environment name of a release. */
export function environmentName(spec: ReleaseSpec): string {
  return `${spec.name}-runtime`;
}

/** Registers the environment version for the image, or finds the one registered before. */
export async function ensureEnvironment(s: AzureSession, spec: ReleaseSpec, target: AzureTarget): Promise<EnsuredVersion> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const name = environmentName(spec);
  const { hash, body } = environmentBody(spec);
  const versions = await listAll(`list environment versions of ${name}`, () => s.client.environmentVersions.list(rg, ws, name, s.call));
  const existing = versions.find((v) => tagsOf(v)[TAGS.environment] === hash && !v.properties?.isArchived);
  if (existing?.id && existing.name) {
    return { id: existing.id, version: existing.name, action: { action: 'unchanged', what: 'environment', id: `${name}:${existing.name}`, detail: spec.image } };
  }
  const version = nextVersion(versions);
  const created = await attempt(`register environment ${name}:${version}`, () => s.client.environmentVersions.createOrUpdate(rg, ws, name, version, body, s.call));
  return {
    id: created.id ?? `${workspaceId(s, target)}/environments/${name}/versions/${version}`,
    version,
    action: { action: 'created', what: 'environment', id: `${name}:${version}`, detail: spec.image },
  };
}

/** Every environment version this release registered for the spec's image. */
export async function environmentVersionsOf(s: AzureSession, spec: ReleaseSpec, target: AzureTarget): Promise<{ mine: EnvironmentVersion[]; all: EnvironmentVersion[] }> {
  const name = environmentName(spec);
  const { hash } = environmentBody(spec);
  const all = await listAll(`list environment versions of ${name}`, () => s.client.environmentVersions.list(target.resourceGroup, target.workspaceName, name, s.call));
  return { mine: all.filter((v) => tagsOf(v)[TAGS.environment] === hash), all };
}

/** Every version of the model, and the one tagged with `revision`. */
export async function modelVersionsOf(s: AzureSession, spec: ReleaseSpec, target: AzureTarget): Promise<{ all: ModelVersion[]; mine: ModelVersion | undefined }> {
  const all = await listAll(`list versions of model ${spec.modelName}`, () => s.client.modelVersions.list(target.resourceGroup, target.workspaceName, spec.modelName, s.call));
  const mine = all.find((v) => tagsOf(v)[TAGS.revision] === spec.revision && tagsOf(v)[TAGS.release] === spec.name);
  return { all, mine };
}

/** The release step instance that applied a model version last (its `mlops.step` tag), if it was marked. */
export function modelStepOf(version: ModelVersion | undefined): string | undefined {
  return tagsOf(version)[TAGS.step] || undefined;
}

/**
 * True when the registry holds a version of a newer revision of the same
 * release than `mine` (registered by a newer training step; versions a
 * pipeline run promoted, tagged `mlops.registry.version`, do not count).
 */
export function isSuperseded(spec: ReleaseSpec, all: readonly ModelVersion[], mine: ModelVersion | undefined): boolean {
  const mineNumber = mine?.name && /^\d+$/.test(mine.name) ? Number(mine.name) : -1;
  return all.some((v) => {
    const tags = tagsOf(v);
    if (tags[TAGS.registryVersion]) return false;
    return tags[TAGS.release] === spec.name && tags[TAGS.revision] !== spec.revision && v.name !== undefined && /^\d+$/.test(v.name) && Number(v.name) > mineNumber;
  });
}

/** The workspace's ARM id. */
export function workspaceId(s: AzureSession, target: AzureTarget): string {
  return `/subscriptions/${s.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${target.workspaceName}`;
}

/** `azureml://` URI of a path in a workspace datastore (the long form, valid for job inputs, outputs and model versions). */
export function datastoreUri(s: AzureSession, target: AzureTarget, datastore: string, path: string): string {
  return `azureml://subscriptions/${s.subscriptionId}/resourcegroups/${target.resourceGroup}/workspaces/${target.workspaceName}/datastores/${datastore}/paths/${path}`;
}

/** What a model version holds besides the release's own tags. */
export interface ModelVersionContent {
  readonly description: string;
  /** `azureml://…/paths/<folder>/`: the model folder. */
  readonly modelUri: string;
  /** The Azure ML job that produced it, when one did. */
  readonly jobName?: string;
  /** Lineage (`mlops.run`, `mlops.data.sha256`, …): tags, and immutable properties. Wins over `mlops.image` from the spec. */
  readonly lineage?: Record<string, string>;
}

/**
 * Registers the model version of the spec's revision (tag `mlops.revision`)
 * as the next integer version, unless it is registered already, and marks it
 * with this step's instance (`mlops.step`): a version registered before by
 * another step of the same revision gets its tag updated. cdktf deploy's
 * training step and the pipeline promoter both register through this.
 */
export async function registerModelVersion(
  s: AzureSession,
  spec: ReleaseSpec,
  target: AzureTarget,
  instance: string | undefined,
  actions: ReleaseAction[],
  what: ModelVersionContent,
): Promise<{ version: string; id: string }> {
  const { resourceGroup: rg, workspaceName: ws } = target;
  const { all, mine } = await modelVersionsOf(s, spec, target);
  if (mine?.name && mine.id) {
    const id = `${spec.modelName}:${mine.name}`;
    if (instance !== undefined && modelStepOf(mine) !== instance) {
      // A PUT of the version as it is, with the tag changed: tags are the mutable part of an asset version.
      const version = mine.name;
      const body: ModelVersion = { properties: { ...mine.properties, tags: { ...(mine.properties.tags ?? {}), [TAGS.step]: instance } } };
      await attempt(`tag model version ${id} with ${TAGS.step}=${instance}`, () => s.client.modelVersions.createOrUpdate(rg, ws, spec.modelName, version, body, s.call));
      actions.push({ action: 'updated', what: 'model version tags', id, detail: `${TAGS.step}=${instance} (was ${modelStepOf(mine) ?? 'unset'})` });
    } else {
      actions.push({ action: 'unchanged', what: 'model version', id, detail: `revision ${spec.revision}` });
    }
    return { version: mine.name, id: mine.id };
  }
  const version = nextVersion(all);
  const body: ModelVersion = {
    properties: {
      description: what.description,
      modelType: 'custom_model',
      modelUri: what.modelUri,
      ...(what.jobName !== undefined ? { jobName: what.jobName } : {}),
      tags: {
        [TAGS.release]: spec.name,
        [TAGS.revision]: spec.revision,
        [TAGS.image]: digestOf(spec.image),
        ...(what.lineage ?? {}),
        ...(instance !== undefined ? { [TAGS.step]: instance } : {}),
        [TAGS.managedBy]: 'cdktf-mlops',
      },
      properties: { [TAGS.revision]: spec.revision, ...(what.lineage ?? {}) },
    },
  };
  const created = await attempt(`register model version ${spec.modelName}:${version}`, () => s.client.modelVersions.createOrUpdate(rg, ws, spec.modelName, version, body, s.call));
  actions.push({ action: 'created', what: 'model version', id: `${spec.modelName}:${version}`, detail: `revision ${spec.revision}` });
  return { version, id: created.id ?? '' };
}
