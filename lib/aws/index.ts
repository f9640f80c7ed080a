// Public API of `cdktf-mlops/aws`: everything of the AWS platform — its
// resource constructs, training job, scoring endpoint, alerts and GitHub CI
// identity. Loads @cdktf/provider-aws (and no other provider package).
import { CLOUD_PEERS, requirePeers } from '../private/peers';

requirePeers('cdktf-mlops/aws', CLOUD_PEERS.aws);

export * as AwsPerms from './perms';
export { AWS_SECURITY_DEFAULTS } from './security-defaults';
export { AwsEncryptionKey } from './encryption-key';
export type { AwsEncryptionKeyProps } from './encryption-key';
export { AwsArtifactStore } from './artifact-store';
export type { AwsArtifactStoreProps, AwsObjectOwnership, AwsTlsVersion } from './artifact-store';
export { AwsImageRegistry } from './image-registry';
export type { AwsImageRegistryProps } from './image-registry';
export { AwsModelRegistry } from './model-registry';
export type { AwsModelRegistryProps } from './model-registry';
export { AwsMlWorkspace } from './workspace';
export type { AwsMlWorkspaceProps, AwsTrackingServerSize } from './workspace';
export { AwsWorkloadIdentity } from './workload-identity';
export type { AwsWorkloadIdentityProps, AwsPolicyStatement } from './workload-identity';
export type { PolicyConditions } from './policy-document';
export { AwsTrainingCompute } from './training-compute';
export type { AwsTrainingComputeProps } from './training-compute';
export { AwsMlPlatform } from './platform';
export type { AwsMlPlatformProps, AwsPlatformNetwork } from './platform';
export { AwsNetwork, awsEndpointServiceName } from './network';
export type { AwsNetworkProps } from './network';
export {
  AWS_CLOUDWATCH_ALARM_READ_ACTIONS,
  AWS_ENDPOINT_INSTANCE_TYPES,
  AWS_ENDPOINT_VARIANT,
  AwsContinuousTraining,
  AwsScoringEndpoint,
  AwsTrainingJob,
  awsEndpointInstanceType,
  awsHasInstanceStorage,
} from '../deploy/aws';
export type { AwsScoringEndpointProps, AwsTrainingJobProps } from '../deploy/aws';
export { AwsEndpointAlerts } from '../alerts/aws';
export type { AwsEndpointAlertsProps } from '../alerts/aws';
export { AwsGithubCiIdentity } from '../ci/aws';
export type { AwsGithubCiIdentityProps, AwsStateBackendRef } from '../ci/aws';
// Bring your own: imported resources and their attributes.
export type { IAwsEncryptionKey } from './encryption-key';
export type { AwsEncryptionKeyAttributes } from './encryption-key';
export type { IAwsArtifactStore } from './artifact-store';
export type { AwsArtifactStoreAttributes } from './artifact-store';
export type { IAwsImageRegistry } from './image-registry';
export type { AwsImageRegistryAttributes } from './image-registry';
export type { IAwsWorkloadIdentity } from './workload-identity';
export type { AwsWorkloadIdentityAttributes } from './workload-identity';
export type { AwsExistingResources } from './platform';
export type { AwsNetworkAttributes } from './network';
