export { AwsTrainingJob } from './training-job';
export type { AwsTrainingJobProps } from './training-job';
export { AwsScoringEndpoint, AWS_ENDPOINT_VARIANT } from './scoring-endpoint';
export type { AwsScoringEndpointProps } from './scoring-endpoint';
export { AWS_ENDPOINT_INSTANCE_TYPES, AWS_CLOUDWATCH_ALARM_READ_ACTIONS, awsEndpointInstanceType, awsHasInstanceStorage } from './common';
export { AwsContinuousTraining } from './pipeline';
