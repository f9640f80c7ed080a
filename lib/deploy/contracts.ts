import { ITerraformDependable } from 'cdktf';
import { IConstruct } from 'constructs';
import { Cloud } from '../core/cloud';
import { IMlPlatform, IRuntimeImageRef } from '../core/contracts';
import { RolloutStrategy } from '../core/settings';
import { ComputeSize } from '../core/sizes';
import type { LoadedPlan } from './pipeline-plan';

export type { IRuntimeImageRef } from '../core/contracts';

/** Traffic shifting of a new model version (blue/green). */
export interface RolloutPolicy {
  /** canary: `canaryPercent` first, then all; linear: `stepPercent` per step; all-at-once: switch when healthy. */
  readonly strategy: RolloutStrategy;
  /** Share of traffic the new version takes first (canary), in percent. @default 10 */
  readonly canaryPercent?: number;
  /** Share of traffic moved per step (linear), in percent. @default 25 */
  readonly stepPercent?: number;
  /** Minutes each step is watched before the next. @default 10 */
  readonly bakeMinutes?: number;
}

/** Thresholds that roll a deployment back and raise alerts. */
export interface EndpointAlarmThresholds {
  /** 5xx share of invocations, in percent. @default 5 */
  readonly errorRatePercent?: number;
  /** p95 model latency in ms. @default 1000 */
  readonly latencyP95Ms?: number;
}

/** Props of {@link TrainingJob}, the same on every cloud. */
export interface TrainingJobProps {
  /** The platform the job runs on (its compute, identity, artifact store, model registry). */
  readonly platform: IMlPlatform;
  /** The runtime image. */
  readonly image: IRuntimeImageRef;
  /**
   * Release name: names the job, the registered model's tags and the endpoint.
   * Lowercase letters, digits and hyphens, e.g. `contoso-mlops-dev-bike-demand`.
   */
  readonly name: string;
  /** The registered model's name, e.g. `bike-demand`. */
  readonly modelName: string;
  /** Training data: a CSV file or folder, relative to the artifact store's root. */
  readonly data: string;
  /** Settings for `mlops train` (target, model, model parameters). @default {} */
  readonly hyperparameters?: Record<string, string | number | boolean>;
  /** Machine size of the job. @default - the platform's training compute size */
  readonly size?: ComputeSize;
  /** Instances the job runs on. @default 1 */
  readonly instanceCount?: number;
  /** The job is stopped after this many minutes. @default 120 */
  readonly maxRuntimeMinutes?: number;
  /**
   * Changes when the training data changes (e.g. {@link TrainingDataUpload}'s
   * content hash): part of the revision, so new data retrains.
   * @default - the data is identified by its path only
   */
  readonly dataVersion?: string;
  /** Resources that must exist before the job runs (e.g. the data upload). */
  readonly dependsOn?: ITerraformDependable[];
}

/** A training job run by the release step, and the model version it registers. */
export interface ITrainingJob extends IConstruct {
  /** The cloud the job runs on. */
  readonly cloud: Cloud;
  /** The job's name on the cloud (unique per revision). */
  readonly jobName: string;
  /** The registered model's name. */
  readonly modelName: string;
  /** The model version label: the release revision (12 hex), set on the registered version. */
  readonly modelVersion: string;
  /** Where the job writes the model (cloud URI). */
  readonly modelUri: string;
  /** 12 hex: changes exactly when the image content or the job config changes. */
  readonly revision: string;
  /** What depends on the trained, registered model (the release step). */
  readonly trained: ITerraformDependable;
}

/** Props of {@link ScoringEndpoint}, the same on every cloud. */
export interface ScoringEndpointProps {
  /** The platform the endpoint runs on (its identity, registry, key, network). */
  readonly platform: IMlPlatform;
  /** The runtime image the endpoint serves with. */
  readonly image: IRuntimeImageRef;
  /** The job whose model version the endpoint serves. */
  readonly job: ITrainingJob;
  /** Endpoint name. @default - the job's release name */
  readonly name?: string;
  /** Machine size of each instance. @default ComputeSize.small() */
  readonly size?: ComputeSize;
  /** Fewest instances the endpoint scales to. @default 1 */
  readonly minInstances?: number;
  /** Most instances the endpoint scales to. @default 2 */
  readonly maxInstances?: number;
  /** How a new model version takes traffic. @default { strategy: 'canary' } */
  readonly rollout?: RolloutPolicy;
  /** Thresholds that roll a deployment back. @default { errorRatePercent: 5, latencyP95Ms: 1000 } */
  readonly alarms?: EndpointAlarmThresholds;
}

/** A live scoring endpoint. */
export interface IScoringEndpoint extends IConstruct {
  /** The cloud the endpoint runs on. */
  readonly cloud: Cloud;
  /** The endpoint's name on the cloud. */
  readonly endpointName: string;
  /** The URL a client posts scoring requests to. */
  readonly endpointUrl: string;
  /** ARN / ARM resource id / Vertex resource name: what alerts scope to. */
  readonly endpointId: string;
  /** The model version (revision) it serves. */
  readonly modelVersion: string;
  /** What must exist before alerts and other consumers (the endpoint and its rollout). */
  readonly deployed: ITerraformDependable;
}

/** A schedule: a five-field cron expression read in an IANA time zone (lib/core/schedule.ts). */
export interface Schedule {
  /** minute hour day-of-month month day-of-week, e.g. `0 3 * * *`. */
  readonly cron: string;
  /** IANA time zone. @default 'UTC' */
  readonly timeZone?: string;
}

/** Batch scoring over a prefix of the artifact store. */
export interface BatchScoringProps {
  /** The artifact-store prefix (folder) of the CSV files to score. */
  readonly input: string;
  /** Where predictions go. @default - `<input>-predictions/` */
  readonly output?: string;
  /** When it runs (besides after each promotion by the pipeline). @default - only after promotions */
  readonly schedule?: Schedule;
}

/** Props of a cloud's continuous-training construct (built by `ContinuousTraining`). */
export interface ContinuousTrainingProps {
  /** The platform the pipeline runs on (its identity, stores, registry, network, key). */
  readonly platform: IMlPlatform;
  /** The runtime image every step runs. */
  readonly image: IRuntimeImageRef;
  /** The pipeline's cloud plan, loaded with the runtime's parser (`loadCloudPlan`). */
  readonly plan: LoadedPlan;
  /** The release name (`<prefix>-<model>`): names the pipeline, its schedule and its identity. */
  readonly name: string;
  /** Where each pipeline input the plan uses is in the artifact store (input name → object key). */
  readonly inputs: Readonly<Record<string, string>>;
  /** The artifact-store prefix that holds the registry folder (`--root` of gate and register; ends with `/`). */
  readonly registryPrefix: string;
  /** The artifact-store prefix under which each run writes its step outputs (ends with `/`). */
  readonly runsPrefix: string;
  /** The endpoint the deploy action rolls out to (when the plan has a serve step). */
  readonly endpoint?: IScoringEndpoint;
  /** Machine size of each step. */
  readonly size: ComputeSize;
  /** Each step is stopped after this long. */
  readonly maxRuntimeMinutes: number;
  /** When the pipeline runs. @default - only by hand */
  readonly schedule?: Schedule;
  /** Batch scoring with the endpoint's model version. @default - none */
  readonly batch?: BatchScoringProps;
  /** What must exist before the first run (input uploads). */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The release image (`@cdktf-mlops/release`, by digest): on Azure, the
   * promoter job of a plan with a serve step runs it. @default - none (a serve step on Azure is then refused)
   */
  readonly releaseImage?: IRuntimeImageRef;
}

/** A pipeline deployed to a cloud's managed engine. */
export interface IContinuousTraining extends IConstruct {
  /** The cloud. */
  readonly cloud: Cloud;
  /** The pipeline's name on the cloud (SageMaker pipeline, Azure ML job name prefix, Vertex AI pipeline). */
  readonly pipelineName: string;
  /** The compiled definition as the engine takes it (SageMaker pipeline definition, Azure ML PipelineJob, KFP PipelineSpec). */
  readonly definition: Readonly<Record<string, unknown>>;
  /** How to start a run by hand (a command line). */
  readonly runCommand: string;
  /**
   * What the cloud's alerts watch for failed runs, by kind (AWS:
   * `pipelineArns`, `stateMachineArns` of the deploy action; each cloud
   * documents its keys).
   */
  readonly watched: Readonly<Record<string, readonly string[]>>;
}
