// Public API of `cdktf-mlops`: the cloud-neutral core and config, and the
// config-driven platform and stack. It loads no provider package: a cloud's
// constructs come from `cdktf-mlops/aws`, `/azure` or `/gcp`, and
// `createPlatform` / `MlPlatformStack` load the configured cloud on use.
// Other entry points: `/core`, `/config`, `/policy`, `/deploy`, `/image`,
// `/alerts`, `/ci`. Named exports only (see api/*.api.md).
export {
  AZURE_PRIVATE_DNS_ZONES,
  CLOUDS,
  CLOUD_TITLES,
  ComputeSize,
  DEFAULT_ADDRESS_SPACE,
  DEFAULT_NETWORK_MODE,
  ErrorCode,
  MlopsValidationError,
  NAME_RULES,
  NETWORK_MODES,
  Naming,
  PLATFORM_NAMES,
  SIZE_NAMES,
  SIZE_TABLE,
  isCloud,
  platformTags,
  tagsFor,
} from './core';
export type {
  AzurePrivateDnsZoneKind,
  Cloud,
  ExistingAwsNetwork,
  ExistingAzureNetwork,
  ExistingGcpNetwork,
  ExistingNetworks,
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
  MachineOverride,
  MachineSpec,
  NameKind,
  NameRule,
  NamingParts,
  NetworkMode,
  PlatformBaseProps,
  PlatformNetworkOptions,
  ResolvedNetworkOptions,
  SecurityDefault,
  SizeName,
  TrainingComputeOptions,
  ValidationIssue,
} from './core';
export { CONFIG_CONTEXT_KEY, CONFIG_ENV_VAR, CONFIG_FIELDS, StackConfigSchema, loadConfig, parseConfig, resolveConfigFiles } from './config';
export type { ConfigField, StackConfig, StackConfigInput } from './config';
export { defineConfig } from './config';
export type { PlatformConfigCode, StackConfigCode, StackConfigFor } from './config';
export { createPlatform, platformPropsFromConfig } from './platform';
export { MlPlatformStack } from './stack';
export type { MlPlatformStackProps } from './stack';
export { SECURITY_DEFAULTS } from './security-defaults';
