import { SecurityDefault } from '../core/security-defaults';

/** A secure default of the Azure platform, with a stable id the tests assert by. */
export interface AzureSecurityDefault extends SecurityDefault {
  /** Stable id of the entry. */
  readonly id: string;
}

/**
 * Every secure default the Azure constructs apply, with the rule it satisfies
 * and either the one prop that relaxes it or, for invariants of the design,
 * why no prop does. Rule ids are Checkov's where Checkov has a rule;
 * `MLOPS_AZURE_*` ids name the platform's own defaults no public rule covers.
 */
export const AZURE_SECURITY_DEFAULTS: readonly AzureSecurityDefault[] = [
  // Workspace
  {
    id: 'workspace-public-access',
    ruleIds: ['CKV_AZURE_144', 'CKV2_AZURE_49'],
    cloud: 'azure',
    construct: 'AzureMlWorkspace',
    requirement: 'Azure ML workspace public network access disabled',
    relaxedBy: 'AzureMlWorkspace.publicNetworkAccess',
  },
  {
    id: 'workspace-cmk',
    ruleIds: ['MLOPS_AZURE_ML_CMK'],
    cloud: 'azure',
    construct: 'AzureMlWorkspace',
    requirement: 'workspace encrypted with the platform customer-managed key (by its versionless id, so it follows rotation) through its user-assigned identity',
    relaxedBy: 'AzureMlWorkspace.customerManagedKey',
  },
  {
    id: 'workspace-managed-network',
    ruleIds: ['MLOPS_AZURE_ML_MANAGED_NETWORK'],
    cloud: 'azure',
    construct: 'AzureMlWorkspace',
    requirement: 'managed network isolation AllowOnlyApprovedOutbound',
    relaxedBy: 'AzureMlWorkspace.managedNetworkIsolation',
  },
  {
    id: 'workspace-diagnostics',
    ruleIds: ['MLOPS_AZURE_ML_DIAGNOSTICS'],
    cloud: 'azure',
    construct: 'AzureMlWorkspace',
    requirement: 'workspace logs and metrics sent to Log Analytics (diagnostic setting); Application Insights is workspace-based',
    relaxedBy: 'AzureMlWorkspace.diagnostics',
  },
  // Training compute
  {
    id: 'compute-local-auth',
    ruleIds: ['CKV_AZURE_142'],
    cloud: 'azure',
    construct: 'AzureTrainingCompute',
    requirement: 'compute cluster local authentication disabled',
    relaxedBy: 'AzureTrainingCompute.localAuth',
  },
  {
    id: 'compute-min-nodes',
    ruleIds: ['CKV_AZURE_150'],
    cloud: 'azure',
    construct: 'AzureTrainingCompute',
    requirement: 'compute cluster minimum nodes 0 (scales to zero when idle)',
    relaxedBy: 'AzureTrainingCompute.minNodes',
  },
  {
    id: 'compute-no-public-ssh',
    ruleIds: ['MLOPS_AZURE_ML_NO_PUBLIC_SSH'],
    cloud: 'azure',
    construct: 'AzureTrainingCompute',
    requirement: 'compute cluster SSH port not open to public access',
    invariant:
      'The cluster is built without login credentials (no admin user, no SSH key) and runs jobs submitted through the workspace as the workload identity, so an open SSH port would have nothing to log in to.',
  },
  {
    id: 'compute-no-node-public-ip',
    ruleIds: ['MLOPS_AZURE_ML_NO_NODE_PUBLIC_IP'],
    cloud: 'azure',
    construct: 'AzureTrainingCompute',
    requirement: 'no node public IPs inside the managed network (nodes need one only without it)',
    relaxedBy: 'AzureMlWorkspace.managedNetworkIsolation',
  },
  // Image registry
  {
    id: 'registry-admin-off',
    ruleIds: ['CKV_AZURE_137'],
    cloud: 'azure',
    construct: 'AzureImageRegistry',
    requirement: 'container registry admin user disabled',
    relaxedBy: 'AzureImageRegistry.adminUserEnabled',
  },
  {
    id: 'registry-anonymous-pull-off',
    ruleIds: ['CKV_AZURE_138'],
    cloud: 'azure',
    construct: 'AzureImageRegistry',
    requirement: 'container registry anonymous pull disabled',
    relaxedBy: 'AzureImageRegistry.anonymousPullEnabled',
  },
  {
    id: 'registry-public-access',
    ruleIds: ['CKV_AZURE_139'],
    cloud: 'azure',
    construct: 'AzureImageRegistry',
    requirement: 'registry public endpoint disabled, or default-deny firewall open to allowedIpRanges only',
    relaxedBy: 'AzureImageRegistry.publicNetworkAccess',
  },
  {
    id: 'registry-cmk',
    ruleIds: ['MLOPS_AZURE_ACR_CMK'],
    cloud: 'azure',
    construct: 'AzureImageRegistry',
    requirement:
      "Premium registry encrypted with the platform customer-managed key; AzureMlPlatform does so only where the vault lets the registry's user-assigned identity through at creation (network mode public, MicrosoftDocs/azure-docs#61064), Microsoft-managed keys otherwise (AzureMlPlatform.registryCustomerManagedKey forces it)",
    relaxedBy: 'AzureImageRegistry.customerManagedKey',
  },
  {
    id: 'registry-retention',
    ruleIds: ['CKV_AZURE_167'],
    cloud: 'azure',
    construct: 'AzureImageRegistry',
    requirement: 'retention policy purges untagged manifests after 7 days',
    relaxedBy: 'AzureImageRegistry.untaggedImageRetentionDays',
  },
  {
    id: 'registry-data-endpoint',
    ruleIds: ['CKV_AZURE_237'],
    cloud: 'azure',
    construct: 'AzureImageRegistry',
    requirement: 'dedicated data endpoints enabled',
    relaxedBy: 'AzureImageRegistry.dataEndpointEnabled',
  },
  // Artifact storage
  {
    id: 'storage-https-only',
    ruleIds: ['CKV_AZURE_3'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'storage account accepts HTTPS traffic only',
    relaxedBy: 'AzureArtifactStore.httpsTrafficOnly',
  },
  {
    id: 'storage-tls12',
    ruleIds: ['CKV_AZURE_44'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'storage account minimum TLS version 1.2',
    relaxedBy: 'AzureArtifactStore.minimumTlsVersion',
  },
  {
    id: 'storage-no-shared-key',
    ruleIds: ['CKV2_AZURE_40'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'shared key authorization disabled (Entra ID only, also the portal default)',
    relaxedBy: 'AzureArtifactStore.sharedKeyAccess',
  },
  {
    id: 'storage-no-local-users',
    ruleIds: ['CKV_AZURE_244'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'no local users on the storage account',
    relaxedBy: 'AzureArtifactStore.localUsers',
  },
  {
    id: 'storage-no-public-blobs',
    ruleIds: ['CKV_AZURE_190', 'CKV2_AZURE_47', 'CKV_AZURE_34'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'no anonymous blob access (nested items not public, container private)',
    relaxedBy: 'AzureArtifactStore.blobPublicAccess',
  },
  {
    id: 'storage-public-access',
    ruleIds: ['CKV_AZURE_59'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'storage public endpoint disabled, or open to allowedIpRanges only',
    relaxedBy: 'AzureArtifactStore.publicNetworkAccess',
  },
  {
    id: 'storage-firewall',
    ruleIds: ['CKV_AZURE_35', 'CKV_AZURE_36'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'network rules default Deny with allowedIpRanges and the AzureServices bypass',
    relaxedBy: 'AzureArtifactStore.publicNetworkAccess',
  },
  {
    id: 'storage-soft-delete',
    ruleIds: ['CKV2_AZURE_38'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'blob and container soft delete (30 days)',
    relaxedBy: 'AzureArtifactStore.softDeleteRetentionDays',
  },
  {
    id: 'storage-versioning',
    ruleIds: ['MLOPS_AZURE_STORAGE_VERSIONING'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'blob versioning enabled',
    relaxedBy: 'AzureArtifactStore.versioned',
  },
  {
    id: 'storage-infrastructure-encryption',
    ruleIds: ['MLOPS_AZURE_STORAGE_INFRA_ENCRYPTION'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'infrastructure (double) encryption enabled',
    relaxedBy: 'AzureArtifactStore.infrastructureEncryption',
  },
  {
    id: 'storage-cmk',
    ruleIds: ['CKV2_AZURE_1'],
    cloud: 'azure',
    construct: 'AzureArtifactStore',
    requirement: 'storage encrypted with the platform customer-managed key through a user-assigned identity',
    relaxedBy: 'AzureArtifactStore.customerManagedKey',
  },
  // Key management
  {
    id: 'keyvault-rbac',
    ruleIds: ['MLOPS_AZURE_KV_RBAC'],
    cloud: 'azure',
    construct: 'AzureEncryptionKey',
    requirement: 'Key Vault uses RBAC authorization (no access policies)',
    invariant:
      'Every grant on the key, the key administrators and the workspace service roles are Azure role assignments, which a vault in access-policy mode ignores, so turning RBAC off would silently break them.',
  },
  {
    id: 'keyvault-purge-protection',
    ruleIds: ['CKV_AZURE_110', 'CKV_AZURE_42'],
    cloud: 'azure',
    construct: 'AzureEncryptionKey',
    requirement: 'Key Vault purge protection (required by every store that uses the key as its customer-managed key)',
    relaxedBy: 'AzureEncryptionKey.purgeProtection',
  },
  {
    id: 'keyvault-soft-delete',
    ruleIds: ['CKV_AZURE_111'],
    cloud: 'azure',
    construct: 'AzureEncryptionKey',
    requirement: 'Key Vault soft delete keeps deleted keys 90 days (7 when retainData is false)',
    relaxedBy: 'AzureEncryptionKey.retainData',
  },
  {
    id: 'keyvault-firewall',
    ruleIds: ['CKV_AZURE_109', 'CKV_AZURE_189'],
    cloud: 'azure',
    construct: 'AzureEncryptionKey',
    requirement: 'Key Vault public endpoint disabled, or network ACLs default Deny open to allowedIpRanges and AzureServices',
    relaxedBy: 'AzureEncryptionKey.publicNetworkAccess',
  },
  {
    id: 'key-expiry-rotation',
    ruleIds: ['CKV_AZURE_40'],
    cloud: 'azure',
    construct: 'AzureEncryptionKey',
    requirement: 'RSA 3072 key with a 365-day expiration date and an automatic rotation policy',
    relaxedBy: 'AzureEncryptionKey.expireAfterDays',
  },
  // Identity and retention
  {
    id: 'identity-scoped-grants',
    ruleIds: ['CKV_AZURE_39'],
    cloud: 'azure',
    construct: 'AzureWorkloadIdentity',
    requirement:
      'workload identity gets data-plane roles scoped to each resource; never Owner/Contributor, never subscription- or resource-group-wide; the custom model-reader role lists only read actions',
    invariant:
      'Grants express intent (grantRead, grantPush …) and each maps to one fixed role on one resource in perms.ts; a broader role or scope would be a different grant, not a relaxed setting.',
  },
  {
    id: 'retain-data',
    ruleIds: ['MLOPS_AZURE_RETAIN_DATA'],
    cloud: 'azure',
    construct: 'AzureMlPlatform',
    requirement: 'storage account, container, Key Vault, key, registry and workspace have lifecycle prevent_destroy',
    relaxedBy: 'AzureMlPlatform.retainData',
  },
];
