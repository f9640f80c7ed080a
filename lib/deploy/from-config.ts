import { TerraformStack } from 'cdktf';
import * as path from 'path';
import { uploadSourceProblem } from '../config/load';
import { StackConfig } from '../config/schema';
import { ErrorCode, MlopsValidationError } from '../core/errors';
import { IMlPlatform } from '../core/contracts';
import { Naming } from '../core/naming';
import { findProjectRoot } from '../core/project';
import { ComputeSize } from '../core/sizes';
import { imageRefFromUri } from '../image/image-ref';
import type { RuntimeImagePlatform } from '../image/runtime-image';
import { requirePeers, DOCKER_PEER } from '../private/peers';
import { ContinuousTraining } from './continuous-training';
import { IRuntimeImageRef } from './contracts';
import { loadCloudPlan } from './pipeline-plan';
import { ScoringEndpoint } from './scoring-endpoint';
import { TrainingDataUpload } from './training-data';
import { TrainingJob } from './training-job';

/** What a config's `deployment:` section deploys. */
export interface PlatformDeployment {
  /**
   * The runtime image: a `RuntimeImage` built and pushed to the platform's
   * registry, or the digest-pinned `deployment.image.uri` taken as is.
   */
  readonly image: IRuntimeImageRef;
  /** The training job and the model version it registers. */
  readonly job: TrainingJob;
  /** The scoring endpoint serving that version. */
  readonly endpoint: ScoringEndpoint;
  /** The training data upload, when `deployment.training.upload` is set. */
  readonly data?: TrainingDataUpload;
  /** The pipeline on the cloud's managed engine, when `deployment.pipeline` is set. */
  readonly pipeline?: ContinuousTraining;
}

/** The engine each cloud runs a pipeline on, for messages. */
export const PIPELINE_ENGINES = { aws: 'SageMaker Pipelines (aws)', azure: 'Azure ML pipeline jobs (azure)', gcp: 'Vertex AI Pipelines (gcp)' } as const;

/** Where a pipeline keeps its files in the artifact store: `pipelines/<pipeline>/` (registry folder, inputs, runs). */
export function pipelinePrefix(pipeline: string): string {
  return `pipelines/${pipeline}/`;
}

/**
 * Builds the config's `deployment:` section on a stack: the runtime image —
 * built from the `@cdktf-mlops/runtime` package and pushed with the docker
 * provider (added with the registry's credentials), or, with
 * `deployment.image.uri`, the given image and no build at all — then the
 * training job and the scoring endpoint, whose release steps run the
 * `@cdktf-mlops/release` package installed next to this one.
 * Returns `undefined` when the config has no `deployment:` section.
 */
export function createDeployment(stack: TerraformStack, platform: IMlPlatform, config: StackConfig): PlatformDeployment | undefined {
  const d = config.deployment;
  if (!d) return undefined;
  const image = d.image.uri ? imageRefFromUri(d.image.uri, 'deployment.image.uri') : buildImage(stack, platform, d.image.platform);
  const name = `${new Naming(config.naming).prefix}-${d.model}`;
  const data = d.training.upload ? trainingDataUpload(stack, platform, d.training.data, d.training.upload, d.training.uploadOutsideProject) : undefined;
  const job = new TrainingJob(stack, 'TrainingJob', {
    platform,
    image,
    name,
    modelName: d.model,
    data: d.training.data,
    hyperparameters: d.training.hyperparameters,
    size: ComputeSize.of(config.compute.training.size, config.compute.training.instanceType),
    instanceCount: d.training.instanceCount,
    maxRuntimeMinutes: d.training.maxRuntimeMinutes,
    dataVersion: data?.contentHash,
    dependsOn: data ? [data.resource] : undefined,
  });
  const endpoint = new ScoringEndpoint(stack, 'ScoringEndpoint', {
    platform,
    image,
    job,
    size: ComputeSize.of(d.endpoint.size, d.endpoint.instanceType),
    minInstances: d.endpoint.minInstances,
    maxInstances: d.endpoint.maxInstances,
    rollout: d.endpoint.rollout,
    alarms: d.endpoint.alarms,
  });
  const pipeline = d.pipeline ? continuousTraining(stack, platform, config, image, name, endpoint) : undefined;
  return { image, job, endpoint, data, pipeline };
}

/**
 * `deployment.pipeline` (with `schedule`, `batch`): the
 * pipeline file's cloud plan, its inputs (an input the config does not map to
 * an artifact-store key is uploaded from the pipeline file's folder), and the
 * cloud's construct.
 */
function continuousTraining(
  stack: TerraformStack,
  platform: IMlPlatform,
  config: StackConfig,
  image: IRuntimeImageRef,
  name: string,
  endpoint: ScoringEndpoint,
): ContinuousTraining {
  const d = config.deployment!;
  const p = d.pipeline!;
  const projectRoot = findProjectRoot(process.cwd()) ?? process.cwd();
  const file = path.resolve(projectRoot, p.file);
  const loaded = loadCloudPlan(file, { target: PIPELINE_ENGINES[platform.cloud], params: p.params, skip: p.skip });
  const prefix = pipelinePrefix(loaded.plan.pipeline);
  const inputs: Record<string, string> = {};
  const uploads: TrainingDataUpload[] = [];
  for (const [input, value] of Object.entries(loaded.plan.inputs)) {
    const mapped = p.inputs[input];
    if (mapped !== undefined) {
      inputs[input] = mapped;
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
      throw new MlopsValidationError(`Invalid stack config of stack ${stack.node.id} (1 problem):`, [
        {
          code: ErrorCode.CONFIG_INVALID,
          path: `deployment.pipeline.inputs.${input}`,
          message: `the pipeline's input '${input}' is the URI ${value}, which the stack cannot upload. Fix: copy it into the artifact store and map it: deployment.pipeline.inputs.${input}: <path in the store>.`,
        },
      ]);
    const source = path.resolve(path.dirname(file), value);
    const issue = uploadSourceProblem(path.relative(projectRoot, source), source, projectRoot, false);
    if (issue) throw new MlopsValidationError(`Invalid stack config of stack ${stack.node.id} (1 problem):`, [{ ...issue, path: `deployment.pipeline.inputs.${input}` }]);
    const key = `${prefix}inputs/${input}/${path.basename(source)}`;
    uploads.push(new TrainingDataUpload(stack, `PipelineInput-${input}`, { artifactStore: platform.artifactStore, key, source }));
    inputs[input] = key;
  }
  return new ContinuousTraining(stack, 'Pipeline', {
    platform,
    image,
    plan: loaded,
    name,
    inputs,
    registryPrefix: prefix,
    runsPrefix: `${prefix}runs/`,
    endpoint,
    size: ComputeSize.of(config.compute.training.size, config.compute.training.instanceType),
    maxRuntimeMinutes: d.training.maxRuntimeMinutes,
    schedule: d.schedule,
    batch: d.batch ? { ...d.batch, output: d.batch.output ?? `${d.batch.input.replace(/\/+$/, '')}-predictions/` } : undefined,
    dependsOn: uploads.map((u) => u.resource),
    // On Azure a serve step is rolled out by the promoter job, which runs the release image.
    ...(platform.cloud === 'azure' && loaded.plan.deploy ? { releaseImage: buildReleaseImage(stack, platform, d.image.uri !== undefined) } : {}),
  });
}

/**
 * The upload of `deployment.training.upload`: resolved from the project the
 * synth runs in (the folder with cdktf.json), not from this package, and
 * refused when it leaves the project through a symbolic link unless
 * `uploadOutsideProject` is true (the config check refused absolute paths and
 * ".." already).
 */
function trainingDataUpload(stack: TerraformStack, platform: IMlPlatform, key: string, upload: string, uploadOutsideProject: boolean | undefined): TrainingDataUpload {
  const projectRoot = findProjectRoot(process.cwd()) ?? process.cwd();
  const source = path.resolve(projectRoot, upload);
  const issue = uploadSourceProblem(upload, source, projectRoot, uploadOutsideProject);
  if (issue) throw new MlopsValidationError(`Invalid stack config of stack ${stack.node.id} (1 problem):`, [issue]);
  return new TrainingDataUpload(stack, 'TrainingData', { artifactStore: platform.artifactStore, key, source });
}

/**
 * The release image (the `@cdktf-mlops/release` package's Dockerfile), built
 * and pushed like the runtime image, with the docker provider the runtime
 * image's build configured (or configures it when the runtime image is given
 * by URI). Tagged `release-<content hash>` in the registry's repository.
 */
function buildReleaseImage(stack: TerraformStack, platform: IMlPlatform, needsProvider: boolean): IRuntimeImageRef {
  requirePeers('deployment.pipeline (a serve step on Azure: the promoter job runs the release image)', [DOCKER_PEER, '@cdktf-mlops/release']);
  const { dockerProviderFor } = require('../image/docker-provider') as typeof import('../image/docker-provider');
  const { RuntimeImage, RELEASE_IMAGE_INCLUDE } = require('../image/runtime-image') as typeof import('../image/runtime-image');
  if (needsProvider) dockerProviderFor(stack, platform);
  const contextDir = path.dirname(require.resolve('@cdktf-mlops/release/package.json'));
  return new RuntimeImage(stack, 'ReleaseImage', { registry: platform.imageRegistry, contextDir, include: RELEASE_IMAGE_INCLUDE, tagPrefix: 'release' });
}

/**
 * The docker provider with the registry's credentials and the runtime image,
 * pulled by the platform's workload identity. The image modules (and the
 * docker provider package) load only here: a stack with `deployment.image.uri`
 * needs neither.
 */
function buildImage(stack: TerraformStack, platform: IMlPlatform, imagePlatform: RuntimeImagePlatform): IRuntimeImageRef {
  requirePeers('deployment (the runtime image build; or set deployment.image.uri)', [DOCKER_PEER]);
  const { dockerProviderFor } = require('../image/docker-provider') as typeof import('../image/docker-provider');
  const { RuntimeImage } = require('../image/runtime-image') as typeof import('../image/runtime-image');
  dockerProviderFor(stack, platform);
  return new RuntimeImage(stack, 'RuntimeImage', { registry: platform.imageRegistry, platform: imagePlatform, pullers: [platform.identity] });
}
