/**
 * Every Azure role the platform assigns, in one place. Grants name a role from
 * here; no construct inlines a role name or an action.
 */

/** Built-in Azure role names used by grants. */
export const AZURE_ROLES = {
  /** Read blobs in a container (ArtifactStore.grantRead). */
  blobRead: 'Storage Blob Data Reader',
  /** Read, write and delete blobs in a container (ArtifactStore.grantReadWrite). */
  blobReadWrite: 'Storage Blob Data Contributor',
  /** Pull images (ImageRegistry.grantPull). */
  imagePull: 'AcrPull',
  /** Push and pull images (ImageRegistry.grantPush). */
  imagePush: 'AcrPush',
  /** Encrypt, decrypt, wrap and unwrap with a key (EncryptionKey.grantEncryptDecrypt). */
  keyEncryptDecrypt: 'Key Vault Crypto User',
  /** Read, wrap and unwrap a key: what a service needs for customer-managed-key encryption. */
  keyServiceEncryption: 'Key Vault Crypto Service Encryption User',
  /** Create and manage keys: given to the key administrators so the deployment can create the key. */
  keyAdministrator: 'Key Vault Crypto Officer',
  /** Run jobs, read and register models in a workspace (MlWorkspace.grantUse, ModelRegistry.grantWrite). */
  workspaceUse: 'AzureML Data Scientist',
  /** Publish metrics to Application Insights (MlWorkspace.grantUse). */
  metricsPublish: 'Monitoring Metrics Publisher',
} as const;

/**
 * Roles the workspace's own (service) identity needs on the resources the
 * workspace is attached to, each scoped to that one resource. These follow
 * the Azure ML requirements for a workspace with a user-assigned identity.
 */
export const AZURE_WORKSPACE_SERVICE_ROLES = {
  storageAccount: ['Contributor', 'Storage Blob Data Contributor'],
  keyVault: ['Contributor', 'Key Vault Administrator'],
  containerRegistry: ['Contributor'],
  applicationInsights: ['Contributor'],
} as const;

/** Actions of the custom model-reader role (ModelRegistry.grantRead), scoped to the workspace. */
export const AZURE_MODEL_READER_ACTIONS: readonly string[] = [
  'Microsoft.MachineLearningServices/workspaces/read',
  'Microsoft.MachineLearningServices/workspaces/models/read',
  'Microsoft.MachineLearningServices/workspaces/models/versions/read',
];

/** Key operations the platform key allows (CMK wrap/unwrap plus encrypt/decrypt for workloads). */
export const AZURE_KEY_OPERATIONS: readonly string[] = ['decrypt', 'encrypt', 'unwrapKey', 'wrapKey'];

/** Roles no grant may ever assign. */
export const AZURE_FORBIDDEN_WORKLOAD_ROLES: readonly string[] = ['Owner', 'Contributor', 'User Access Administrator'];
