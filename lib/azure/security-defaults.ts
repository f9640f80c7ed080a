import { SecurityDefault } from '../core/security-defaults';

/** A secure default of the Azure platform, with a stable id the tests assert by. */
export interface AzureSecurityDefault extends SecurityDefault {
  /** Stable id of the entry. */
  readonly id: string;
}

/** Every secure default the Azure constructs apply, with the rule it satisfies and the prop that relaxes it. */
export const AZURE_SECURITY_DEFAULTS: readonly AzureSecurityDefault[] = [
  // Workspace
  { id: 'workspace-public-access', ruleIds: ['CKV_AZURE_144', 'CKV2_AZURE_49'], cloud: 'azure', construct: 'AzureMlWorkspace', requirement: 'Azure ML workspace public network access disabled', relaxedBy: 'AzureMlWorkspace.publicNetworkAccess' },
  { id: 'workspace-cmk', ruleIds: [], cloud: 'azure', construct: 'AzureMlWorkspace', requirement: 'workspace encrypted with the platform customer-managed key through its user-assigned identity' },
  { id: 'workspace-managed-network', ruleIds: [], cloud: 'azure', construct: 'AzureMlWorkspace', requirement: 'managed network isolation AllowOnlyApprovedOutbound', relaxedBy: 'AzureMlWorkspace.managedNetworkIsolation' },
  { id: 'workspace-diagnostics', ruleIds: [], cloud: 'azure', construct: 'AzureMlWorkspace', requirement: 'workspace logs and metrics sent to Log Analytics (diagnostic setting); Application Insights is workspace-based' },
  // Training compute
  { id: 'compute-local-auth', ruleIds: ['CKV_AZURE_142'], cloud: 'azure', construct: 'AzureTrainingCompute', requirement: 'compute cluster local authentication disabled', relaxedBy: 'AzureTrainingCompute.localAuth' },
  { id: 'compute-min-nodes', ruleIds: ['CKV_AZURE_150'], cloud: 'azure', construct: 'AzureTrainingCompute', requirement: 'compute cluster minimum nodes 0 (scales to zero when idle)', relaxedBy: 'AzureTrainingCompute.minNodes' },
  { id: 'compute-no-public-ssh', ruleIds: [], cloud: 'azure', construct: 'AzureTrainingCompute', requirement: 'no public SSH; no node public IPs inside the managed network', relaxedBy: 'AzureMlWorkspace.managedNetworkIsolation' },
  // Image registry
  { id: 'registry-admin-off', ruleIds: ['CKV_AZURE_137'], cloud: 'azure', construct: 'AzureImageRegistry', requirement: 'container registry admin user disabled' },
  { id: 'registry-anonymous-pull-off', ruleIds: ['CKV_AZURE_138'], cloud: 'azure', construct: 'AzureImageRegistry', requirement: 'container registry anonymous pull disabled' },
  { id: 'registry-public-access', ruleIds: ['CKV_AZURE_139'], cloud: 'azure', construct: 'AzureImageRegistry', requirement: 'registry public endpoint disabled, or default-deny firewall open to allowedIpRanges only', relaxedBy: 'AzureImageRegistry.publicNetworkAccess' },
  { id: 'registry-cmk', ruleIds: [], cloud: 'azure', construct: 'AzureImageRegistry', requirement: 'Premium registry encrypted with the platform customer-managed key' },
  { id: 'registry-retention', ruleIds: ['CKV_AZURE_167'], cloud: 'azure', construct: 'AzureImageRegistry', requirement: 'retention policy purges untagged manifests', relaxedBy: 'AzureImageRegistry.untaggedRetentionDays' },
  { id: 'registry-data-endpoint', ruleIds: ['CKV_AZURE_237'], cloud: 'azure', construct: 'AzureImageRegistry', requirement: 'dedicated data endpoints enabled' },
  // Artifact storage
  { id: 'storage-https-only', ruleIds: ['CKV_AZURE_3'], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'storage account accepts HTTPS traffic only' },
  { id: 'storage-tls12', ruleIds: ['CKV_AZURE_44'], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'storage account minimum TLS version 1.2' },
  { id: 'storage-no-shared-key', ruleIds: ['CKV2_AZURE_40', 'CKV_AZURE_244'], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'shared key authorization disabled (Entra ID only); no local users' },
  { id: 'storage-no-public-blobs', ruleIds: ['CKV_AZURE_190', 'CKV2_AZURE_47', 'CKV_AZURE_34'], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'no anonymous blob access (nested items not public, container private)' },
  { id: 'storage-public-access', ruleIds: ['CKV_AZURE_59'], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'storage public endpoint disabled, or open to allowedIpRanges only', relaxedBy: 'AzureArtifactStore.publicNetworkAccess' },
  { id: 'storage-firewall', ruleIds: ['CKV_AZURE_35', 'CKV_AZURE_36'], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'network rules default Deny with allowedIpRanges and the AzureServices bypass', relaxedBy: 'AzureArtifactStore.publicNetworkAccess' },
  { id: 'storage-soft-delete', ruleIds: ['CKV2_AZURE_38'], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'blob and container soft delete', relaxedBy: 'AzureArtifactStore.softDeleteDays' },
  { id: 'storage-versioning', ruleIds: [], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'blob versioning enabled' },
  { id: 'storage-infrastructure-encryption', ruleIds: [], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'infrastructure (double) encryption enabled' },
  { id: 'storage-cmk', ruleIds: ['CKV2_AZURE_1'], cloud: 'azure', construct: 'AzureArtifactStore', requirement: 'storage encrypted with the platform customer-managed key through a user-assigned identity' },
  // Key management
  { id: 'keyvault-rbac', ruleIds: [], cloud: 'azure', construct: 'AzureEncryptionKey', requirement: 'Key Vault uses RBAC authorization (no access policies)' },
  { id: 'keyvault-recoverable', ruleIds: ['CKV_AZURE_110', 'CKV_AZURE_42', 'CKV_AZURE_111'], cloud: 'azure', construct: 'AzureEncryptionKey', requirement: 'Key Vault purge protection and soft delete (90 days; 7 when retainData is false)' },
  { id: 'keyvault-firewall', ruleIds: ['CKV_AZURE_109', 'CKV_AZURE_189'], cloud: 'azure', construct: 'AzureEncryptionKey', requirement: 'Key Vault public endpoint disabled, or network ACLs default Deny open to allowedIpRanges and AzureServices', relaxedBy: 'AzureEncryptionKey.publicNetworkAccess' },
  { id: 'key-expiry-rotation', ruleIds: ['CKV_AZURE_40'], cloud: 'azure', construct: 'AzureEncryptionKey', requirement: 'RSA 3072 key with an expiration date and an automatic rotation policy', relaxedBy: 'AzureEncryptionKey.expireAfterDays' },
  // Identity and retention
  { id: 'identity-scoped-grants', ruleIds: ['CKV_AZURE_39'], cloud: 'azure', construct: 'AzureWorkloadIdentity', requirement: 'workload identity gets data-plane roles scoped to each resource; never Owner/Contributor, never subscription- or resource-group-wide; the custom model-reader role lists only read actions' },
  { id: 'retain-data', ruleIds: [], cloud: 'azure', construct: 'AzureMlPlatform', requirement: 'storage account, container, Key Vault, key, registry and workspace have lifecycle prevent_destroy', relaxedBy: 'AzureMlPlatform.retainData' },
];
