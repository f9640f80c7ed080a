// Public API of `cdktf-mlops/core` (also re-exported by `cdktf-mlops`): the
// cloud-neutral contracts, sizes, naming, tags, networks and errors. Named
// exports only; everything else in lib/core is internal.
export { CLOUDS, CLOUD_TITLES, isCloud } from './cloud';
export type { Cloud } from './cloud';
export { ErrorCode, MlopsValidationError } from './errors';
export type { ValidationIssue } from './errors';
export { NAME_RULES, Naming, PLATFORM_NAMES } from './naming';
export type { NameKind, NameRule, NamingParts } from './naming';
export { ComputeSize, SIZE_NAMES, SIZE_TABLE } from './sizes';
export { ROLLOUT_STRATEGIES, SETTING_DEFAULTS, SETTING_RANGES } from './settings';
export type { NumberRange, RolloutStrategy } from './settings';
export { RELEASE_NAME_LIMITS } from './release';
export type { MachineOverride, MachineSpec, SizeName } from './sizes';
export { platformTags, tagsFor } from './tags';
export type {
  IArtifactStore,
  ICloudResource,
  IEncryptionKey,
  IImageRegistry,
  IMlPlatform,
  IMlWorkspace,
  IModelRegistry,
  IPlatformNetwork,
  ITrainingCompute,
  IWorkloadIdentity,
} from './contracts';
export type { PlatformBaseProps, TrainingComputeOptions } from './platform-props';
export { AZURE_PRIVATE_DNS_ZONES, DEFAULT_ADDRESS_SPACE, DEFAULT_NETWORK_MODE, NETWORK_MODES } from './network';
export type {
  AzurePrivateDnsZoneKind,
  ExistingAwsNetwork,
  ExistingAzureNetwork,
  ExistingGcpNetwork,
  ExistingNetworks,
  NetworkMode,
  PlatformNetworkOptions,
  ResolvedNetworkOptions,
} from './network';
export type { SecurityDefault } from './security-defaults';
