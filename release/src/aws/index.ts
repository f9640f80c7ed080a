import { ReleaseDriver } from '../driver';
import { AwsDriverOptions, applyTraining, destroyTraining } from './training';

export { AwsTargetSchema, parseAwsTraining, sageMakerModelUri } from './target';
export type { AwsTarget } from './target';
export { SAGEMAKER_ENDPOINT_ENV, DEFAULT_MAX_ATTEMPTS, releaseErrorOf } from './sagemaker';
export { RETRY_FAILED_ENV, RELEASE_INSTANCE_ENV, PACKAGE_METADATA, PACKAGE_DESCRIPTION_PREFIX, releaseInstance, specHash, trainingJobRequest } from './training';
export type { AwsDriverOptions } from './training';

/**
 * The AWS release driver with its own options: `clientConfig` is merged over
 * the SageMaker client defaults (tests pass a loopback `endpoint` and static
 * credentials), the poll intervals shorten nothing but the waits.
 *
 * - `apply` (kind `training`): runs the SageMaker training job of the spec's
 *   revision — or reuses the completed one, or waits for the running one —
 *   then registers its model in the model package group (or finds the
 *   version already registered) and marks it as the release's current version,
 *   with the release step's instance id (`MLOPS_RELEASE_INSTANCE`) when
 *   Terraform runs it.
 * - `destroy`: see `destroyTraining` — superseded (a newer spec, or the same
 *   spec applied by the step that replaced this one) keeps; otherwise stops
 *   the job and deletes the release's model versions and job records.
 *
 * The endpoint itself is Terraform's (aws_sagemaker_endpoint): there is no
 * AWS `endpoint` step.
 */
export function createAwsDriver(options: AwsDriverOptions = {}): ReleaseDriver {
  return {
    apply: (spec, ctx) => applyTraining(spec, ctx, options),
    destroy: (spec, ctx) => destroyTraining(spec, ctx, options),
  };
}

/** The AWS driver `mlops release` uses (`MLOPS_AWS_SAGEMAKER_ENDPOINT` may point it elsewhere). */
export const awsDriver: ReleaseDriver = createAwsDriver();
