import { TerraformStack } from 'cdktf';
import * as path from 'path';
import { StackConfig } from '../config/schema';
import { IMlPlatform } from '../core/contracts';
import { Naming } from '../core/naming';
import { ComputeSize } from '../core/sizes';
import { dockerProviderFor } from '../image/docker-provider';
import { RuntimeImage } from '../image/runtime-image';
import { findProjectRoot } from '../core/project';
import { TrainingDataUpload } from './training-data';
import { ScoringEndpoint } from './scoring-endpoint';
import { TrainingJob } from './training-job';

/** What a config's `deployment:` section deploys. */
export interface PlatformDeployment {
  /** The runtime image, built and pushed to the platform's registry. */
  readonly image: RuntimeImage;
  /** The training job and the model version it registers. */
  readonly job: TrainingJob;
  /** The scoring endpoint serving that version. */
  readonly endpoint: ScoringEndpoint;
  /** The training data upload, when `deployment.training.upload` is set. */
  readonly data?: TrainingDataUpload;
}

/**
 * Builds the config's `deployment:` section on a stack: the docker provider with
 * the registry's credentials, the runtime image (pulled by the platform's
 * workload identity), the training job and the scoring endpoint.
 * Returns `undefined` when the config has no `deployment:` section.
 */
export function createDeployment(stack: TerraformStack, platform: IMlPlatform, config: StackConfig): PlatformDeployment | undefined {
  const d = config.deployment;
  if (!d) return undefined;
  dockerProviderFor(stack, platform);
  const image = new RuntimeImage(stack, 'RuntimeImage', {
    registry: platform.imageRegistry,
    platform: d.image.platform,
    pullers: [platform.identity],
  });
  const name = `${new Naming(config.naming).prefix}-${d.model}`;
  const data = d.training.upload
    ? new TrainingDataUpload(stack, 'TrainingData', {
        artifactStore: platform.artifactStore,
        key: d.training.data,
        source: path.resolve(findProjectRoot(__dirname) ?? process.cwd(), d.training.upload),
      })
    : undefined;
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
  return { image, job, endpoint, data };
}
