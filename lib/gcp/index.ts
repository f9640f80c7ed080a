// Public API of `cdktf-mlops/gcp`: everything of the GCP platform — its
// resource constructs, training job, scoring endpoint, alerts and GitHub CI
// identity. Loads @cdktf/provider-google and @cdktf/provider-google-beta
// (and no other provider package).
import { CLOUD_PEERS, requirePeers } from '../private/peers';

requirePeers('cdktf-mlops/gcp', CLOUD_PEERS.gcp);

export type { GcpCommonProps } from './common';
export {
  GCP_BASIC_ROLES,
  GCP_IMPERSONATION_ROLES,
  GCP_PUBLIC_PRINCIPALS,
  GCP_ROLES,
  GCP_SERVICE_AGENT_KEY_ROLE,
  GCP_SERVICE_AGENT_MEMBERS,
  GCP_SERVICE_AGENT_ROLES,
  GCP_PIPELINE_TRIGGER_PERMISSIONS,
  GCP_SCHEDULER_AGENT_ROLE,
  GCP_WORKSPACE_USE_ROLES,
} from './perms';
export type { GcpServiceAgent } from './perms';
export { GCP_OPTIONAL_APIS, GCP_PLATFORM_APIS, GcpProjectServices } from './project-services';
export type { GcpPlatformApi, GcpProjectServicesProps } from './project-services';
export { GcpEncryptionKey } from './encryption-key';
export type { GcpEncryptionKeyProps } from './encryption-key';
export { GcpArtifactStore } from './artifact-store';
export type { GcpArtifactStoreProps } from './artifact-store';
export { GcpImageRegistry } from './image-registry';
export type { GcpImageRegistryProps } from './image-registry';
export { GcpModelRegistry } from './model-registry';
export type { GcpModelRegistryProps } from './model-registry';
export { GcpMlWorkspace } from './workspace';
export type { GcpMlWorkspaceProps } from './workspace';
export { GcpWorkloadIdentity } from './workload-identity';
export type { GcpWorkloadIdentityProps } from './workload-identity';
export { GcpTrainingCompute } from './training-compute';
export type { GcpTrainingComputeProps } from './training-compute';
export { GcpNetwork } from './network';
export type { GcpNetworkProps } from './network';
export { GcpMlPlatform } from './platform';
export type { GcpMlPlatformProps } from './platform';
export { GCP_SECURITY_DEFAULTS } from './security-defaults';
export { GCP_DEFAULT_ALARMS, GCP_DEFAULT_ROLLOUT, GCP_RELEASE_PREFIX, GcpContinuousTraining, GcpScoringEndpoint, GcpTrainingJob } from '../deploy/gcp';
export type { RolloutStrategy } from '../core/settings';
export { GcpEndpointAlerts } from '../alerts/gcp';
export type { GcpEndpointAlertsProps } from '../alerts/gcp';
export { GcpGithubCiIdentity } from '../ci/gcp';
export type { GcpGithubCiIdentityProps } from '../ci/gcp';
// Bring your own: imported resources and their attributes.
export type { IGcpEncryptionKey } from './encryption-key';
export type { GcpEncryptionKeyAttributes } from './encryption-key';
export type { GcpKeyUser } from './encryption-key';
export type { IGcpArtifactStore } from './artifact-store';
export type { GcpArtifactStoreAttributes } from './artifact-store';
export type { IGcpImageRegistry } from './image-registry';
export type { GcpImageRegistryAttributes } from './image-registry';
export type { IGcpWorkloadIdentity } from './workload-identity';
export type { GcpWorkloadIdentityAttributes } from './workload-identity';
export type { GcpGkeWorkload } from './workload-identity';
export type { IGcpNetwork } from './network';
export type { GcpNetworkAttributes } from './network';
export type { GcpExistingResources } from './platform';
export { bindSchedulerServiceAgent } from './scheduler-agent';
