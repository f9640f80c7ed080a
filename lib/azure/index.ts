// Public API of `cdktf-mlops/azure`: everything of the Azure platform — its
// resource constructs, training job, scoring endpoint, alerts and GitHub CI
// identity. Loads @cdktf/provider-azurerm (and no other provider package).
import { CLOUD_PEERS, requirePeers } from '../private/peers';

requirePeers('cdktf-mlops/azure', CLOUD_PEERS.azure);

export type { AzureNetworkAccessProps, AzureResourceProps, AzureRetainProps, IAzureResourceGroup } from './common';
export {
  AZURE_FORBIDDEN_WORKLOAD_ROLES,
  AZURE_KEY_OPERATIONS,
  AZURE_MODEL_READER_ACTIONS,
  AZURE_ROLES,
  AZURE_SYSTEM_DATASTORE_ACCESS,
  AZURE_WORKSPACE_KEY_VAULT_DATA_ACTIONS,
  AZURE_WORKSPACE_SERVICE_ROLES,
} from './perms';
export { AZURE_SECURITY_DEFAULTS } from './security-defaults';
export type { AzureSecurityDefault } from './security-defaults';
export { AzureResourceGroup } from './resource-group';
export type { AzureResourceGroupProps } from './resource-group';
export { AzureWorkloadIdentity } from './identity';
export type { AzureWorkloadIdentityProps } from './identity';
export type { AzurePrivateEndpointOptions } from './private-endpoint';
export { AzureNetwork } from './network';
export type { AzureNetworkProps } from './network';
export { AzureEncryptionKey } from './encryption-key';
export type { AzureEncryptionKeyProps } from './encryption-key';
export { AzureArtifactStore } from './artifact-store';
export type { AzureArtifactStoreProps } from './artifact-store';
export type { DeployPrincipalType } from './common';
export { AzureImageRegistry } from './image-registry';
export type { AzureImageRegistryProps } from './image-registry';
export { AzureMlWorkspace } from './workspace';
export type { AzureMlWorkspaceProps, AzureSystemDatastoresAuthMode, AzureWorkspaceInboundAccess } from './workspace';
export { AzureModelRegistry } from './model-registry';
export type { AzureModelRegistryProps } from './model-registry';
export { AzureTrainingCompute } from './training-compute';
export type { AzureTrainingComputeProps } from './training-compute';
export { AzureMlPlatform } from './platform';
export type { AzureMlPlatformProps } from './platform';
export {
  AZURE_ARTIFACTS_DATASTORE,
  AZURE_INFERENCE_ROUTES,
  AZURE_MODELS_PREFIX,
  AZURE_ONLINE_ENDPOINT_SKUS,
  AZURE_RELEASE_TAGS,
  AzureContinuousTraining,
  AzurePipelinePromoter,
  AzureScoringEndpoint,
  AzureTrainingJob,
} from '../deploy/azure';
export type {
  AzureComponentVersion,
  AzureEndpointAuthMode,
  AzurePipelinePromoterProps,
  AzurePipelineTarget,
  AzurePromoteSettings,
  AzureRolloutLease,
  AzureScoringEndpointProps,
} from '../deploy/azure';
export { AzureEndpointAlerts } from '../alerts/azure';
export type { AzureEndpointAlertsProps } from '../alerts/azure';
export { AzureGithubCiIdentity } from '../ci/azure';
export type { AzureGithubCiIdentityProps, AzureStateBackendRef } from '../ci/azure';
// Bring your own: imported resources and their attributes.
export type { AzureReachableFrom } from './common';
export type { AzurePrincipalType } from './common';
export type { AzureResourceGroupAttributes } from './resource-group';
export type { IAzurePrincipal } from './identity';
export type { IAzureWorkloadIdentity } from './identity';
export type { AzureWorkloadIdentityAttributes } from './identity';
export type { AzureFederatedCredentialOptions } from './identity';
export { isAzureWorkloadIdentity } from './identity';
export type { IAzureEncryptionKey } from './encryption-key';
export type { AzureEncryptionKeyAttributes } from './encryption-key';
export type { IAzureArtifactStore } from './artifact-store';
export type { AzureArtifactStoreAttributes } from './artifact-store';
export { isAzureArtifactStore } from './artifact-store';
export type { IAzureImageRegistry } from './image-registry';
export type { AzureImageRegistryAttributes } from './image-registry';
export type { IAzureNetwork } from './network';
export type { AzureNetworkAttributes } from './network';
export type { AzurePrivateEndpointSubResource } from './network';
export type { AzurePrivateEndpointPlacement } from './private-endpoint';
export type { AzureExistingResources } from './platform';
export type { AzureMlPlatformPhysicalNames } from './platform';
