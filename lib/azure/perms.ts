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
  /** Peek, receive and delete messages of a queue (the pipeline promoter, on its queue). */
  queueProcess: 'Storage Queue Data Message Processor',
  /** Add messages to a queue (Event Grid's delivery identity, on the promoter's queue). */
  queueSend: 'Storage Queue Data Message Sender',
} as const;

/**
 * The actions of the pipeline promoter's custom role: the autoscale settings
 * of the online deployments it rolls out (`<endpoint>-<colour>-autoscale`,
 * created by the rollout, so they cannot be a role assignment's scope at
 * deploy time). Monitoring Contributor would also let it change every alert,
 * diagnostic setting and action group in the resource group.
 */
export const AZURE_AUTOSCALE_ACTIONS: readonly string[] = [
  'Microsoft.Insights/autoscalesettings/read',
  'Microsoft.Insights/autoscalesettings/write',
  'Microsoft.Insights/autoscalesettings/delete',
];

/**
 * Built-in roles the workspace's own (service) identity needs on the
 * resources the workspace is attached to, each scoped to that one resource.
 * These follow the Azure ML requirements for a workspace with a user-assigned
 * identity (learn.microsoft.com/azure/machine-learning/how-to-identity-based-service-authentication,
 * "User-assigned managed identity"). On the Key Vault the documented data
 * role is 'Key Vault Administrator'; the platform narrows it to the custom
 * role of {@link AZURE_WORKSPACE_KEY_VAULT_DATA_ACTIONS}.
 */
export const AZURE_WORKSPACE_SERVICE_ROLES = {
  storageAccount: ['Contributor', 'Storage Blob Data Contributor'],
  keyVault: ['Contributor'],
  containerRegistry: ['Contributor'],
  applicationInsights: ['Contributor'],
} as const;

/**
 * The data actions of the workspace identity's custom role on its Key Vault:
 * what the Azure ML docs require for a vault in access-policy mode ("any
 * access policy permissions besides purge operations"), as RBAC data actions.
 * It replaces 'Key Vault Administrator', which also purges.
 */
export const AZURE_WORKSPACE_KEY_VAULT_DATA_ACTIONS = {
  dataActions: ['Microsoft.KeyVault/vaults/secrets/*', 'Microsoft.KeyVault/vaults/keys/*', 'Microsoft.KeyVault/vaults/certificates/*'],
  notDataActions: ['Microsoft.KeyVault/vaults/secrets/purge/action', 'Microsoft.KeyVault/vaults/keys/purge/action', 'Microsoft.KeyVault/vaults/certificates/purge/action'],
} as const;

/**
 * The role and condition that let an identity that runs jobs use the
 * workspace's system datastores (`workspaceblobstore`,
 * `workspaceartifactstore`: containers named `azureml…` in the workspace's
 * storage account) when they use identity-based access: 'Storage Blob Data
 * Contributor' on the account, limited by an ABAC condition to those
 * containers (the pattern Azure ML itself uses for data isolation).
 */
export const AZURE_SYSTEM_DATASTORE_ACCESS = {
  role: 'Storage Blob Data Contributor',
  containerPrefix: 'azureml',
  condition: [
    '(',
    ' (',
    "  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})",
    "  AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'})",
    "  AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'})",
    "  AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'})",
    "  AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action'})",
    ' )',
    ' OR',
    " (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringStartsWith 'azureml')",
    ')',
  ].join('\n'),
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

// Federated identity credentials (keyless CI): facts of Azure's managed identities.

/** The audience `azure/login` (and the azurerm provider) request tokens for. */
export const AZURE_FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';
/** Azure accepts at most this many federated identity credentials on one user-assigned identity. */
export const AZURE_MAX_FEDERATED_CREDENTIALS = 20;
