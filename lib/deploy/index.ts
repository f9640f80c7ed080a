// Public API of `cdktf-mlops/deploy`: the cloud-neutral deployment constructs
// (training job, scoring endpoint, training data upload, continuous training
// on the cloud's pipeline engine), their contracts, the
// release step, and the config's `deployment:` section as constructs. The
// cloud's own constructs (`AwsTrainingJob`, …) come from `cdktf-mlops/<cloud>`;
// `TrainingJob` and `ScoringEndpoint` load the platform's cloud on use.
export type {
  BatchScoringProps,
  ContinuousTrainingProps,
  EndpointAlarmThresholds,
  IContinuousTraining,
  IRuntimeImageRef,
  IScoringEndpoint,
  ITrainingJob,
  RolloutPolicy,
  Schedule,
  ScoringEndpointProps,
  TrainingJobProps,
} from './contracts';
export { ROLLOUT_STRATEGIES } from '../core/settings';
export type { RolloutStrategy } from '../core/settings';
export { RELEASE_INSTANCE_ENV, RELEASE_SPEC_ENV, ReleaseStep } from './release-step';
export type { ReleaseStepProps } from './release-step';
export { TerraformData } from './terraform-data';
export type { TerraformDataConfig } from './terraform-data';
export { TrainingJob } from './training-job';
export { ScoringEndpoint } from './scoring-endpoint';
export { TrainingDataUpload } from './training-data';
export type { TrainingDataUploadProps } from './training-data';
export { ContinuousTraining } from './continuous-training';
export { CloudPlanSchema, PLAN_STEP_KINDS, PlanGuardSchema, PlanSourceSchema, loadCloudPlan } from './pipeline-plan';
export type { BatchBinding, CloudPlan, LoadCloudPlanOptions, LoadedPlan, PlanGuard, PlanSource, PlanStep, StepBinding } from './pipeline-plan';
export { createDeployment, PIPELINE_ENGINES, pipelinePrefix } from './from-config';
export type { PlatformDeployment } from './from-config';
