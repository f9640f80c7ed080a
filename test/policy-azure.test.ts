import { ContainerAppEnvironment } from '@cdktf/provider-azurerm/lib/container-app-environment';
import { ContainerAppJob } from '@cdktf/provider-azurerm/lib/container-app-job';
import { ContainerRegistry, ContainerRegistryConfig } from '@cdktf/provider-azurerm/lib/container-registry';
import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { KeyVault, KeyVaultConfig } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVaultKey } from '@cdktf/provider-azurerm/lib/key-vault-key';
import { MachineLearningComputeCluster, MachineLearningComputeClusterConfig } from '@cdktf/provider-azurerm/lib/machine-learning-compute-cluster';
import { MachineLearningWorkspace } from '@cdktf/provider-azurerm/lib/machine-learning-workspace';
import { NetworkSecurityGroup } from '@cdktf/provider-azurerm/lib/network-security-group';
import { NetworkSecurityRule, NetworkSecurityRuleConfig } from '@cdktf/provider-azurerm/lib/network-security-rule';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { StorageAccount, StorageAccountConfig } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageAccountCustomerManagedKeyA } from '@cdktf/provider-azurerm/lib/storage-account-customer-managed-key';
import { StorageAccountNetworkRulesA } from '@cdktf/provider-azurerm/lib/storage-account-network-rules';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { StorageBlob } from '@cdktf/provider-azurerm/lib/storage-blob';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { TerraformStack, Testing } from 'cdktf';
import { TerraformData } from '../lib/deploy/terraform-data';
import { applyPolicyPack, POLICY_RULES, PolicyPackOptions, PolicyReport } from '../lib/policy';

/**
 * Every Azure rule: a deliberately bad construct (plain azurerm resources with
 * the setting wrong) is caught with the rule's id on the right construct path,
 * and the good setting passes that rule.
 */

const STACK = 'policy';
const RG = { location: 'westeurope', resourceGroupName: 'rg' };
const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000';

function run(build: (stack: TerraformStack) => void, options: PolicyPackOptions = {}): PolicyReport {
  const app = Testing.app();
  const stack = new TerraformStack(app, STACK);
  new AzurermProvider(stack, 'azurerm', { features: [{}] });
  build(stack);
  const pack = applyPolicyPack(stack, { ...options, log: () => undefined });
  Testing.synth(stack);
  return pack.check();
}

/** A storage account with every secure setting; `config` breaks one. */
function storage(s: TerraformStack, config: Partial<StorageAccountConfig> = {}): StorageAccount {
  return new StorageAccount(s, 'Storage', {
    ...RG,
    name: 'contosost',
    accountTier: 'Standard',
    accountReplicationType: 'ZRS',
    httpsTrafficOnlyEnabled: true,
    minTlsVersion: 'TLS1_2',
    sharedAccessKeyEnabled: false,
    localUserEnabled: false,
    allowNestedItemsToBePublic: false,
    publicNetworkAccessEnabled: false,
    networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'], ipRules: [] },
    blobProperties: { deleteRetentionPolicy: { days: 30 }, containerDeleteRetentionPolicy: { days: 30 } },
    customerManagedKey: {
      keyVaultKeyId: 'https://kv.vault.azure.net/keys/cmk',
      userAssignedIdentityId: `${SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id`,
    },
    identity: { type: 'UserAssigned', identityIds: [`${SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id`] },
    ...config,
  });
}

function registry(s: TerraformStack, config: Partial<ContainerRegistryConfig> = {}): ContainerRegistry {
  return new ContainerRegistry(s, 'Registry', {
    ...RG,
    name: 'contosoacr',
    sku: 'Premium',
    adminEnabled: false,
    anonymousPullEnabled: false,
    publicNetworkAccessEnabled: false,
    retentionPolicyInDays: 7,
    dataEndpointEnabled: true,
    ...config,
  });
}

function vault(s: TerraformStack, config: Partial<KeyVaultConfig> = {}): KeyVault {
  return new KeyVault(s, 'Vault', {
    ...RG,
    name: 'contoso-kv',
    tenantId: '00000000-0000-0000-0000-000000000000',
    skuName: 'standard',
    purgeProtectionEnabled: true,
    publicNetworkAccessEnabled: false,
    networkAcls: { bypass: 'AzureServices', defaultAction: 'Deny', ipRules: [] },
    ...config,
  });
}

function workspace(s: TerraformStack, publicNetworkAccessEnabled: boolean | undefined): MachineLearningWorkspace {
  return new MachineLearningWorkspace(s, 'Workspace', {
    ...RG,
    name: 'mlw',
    applicationInsightsId: 'ai',
    keyVaultId: 'kv',
    storageAccountId: 'st',
    identity: { type: 'SystemAssigned' },
    ...(publicNetworkAccessEnabled === undefined ? {} : { publicNetworkAccessEnabled }),
  });
}

function cluster(s: TerraformStack, config: Partial<MachineLearningComputeClusterConfig> = {}): MachineLearningComputeCluster {
  return new MachineLearningComputeCluster(s, 'Cluster', {
    location: 'westeurope',
    name: 'train',
    machineLearningWorkspaceId: 'mlw',
    vmPriority: 'LowPriority',
    vmSize: 'Standard_DS3_v2',
    localAuthEnabled: false,
    sshPublicAccessEnabled: false,
    scaleSettings: { minNodeCount: 0, maxNodeCount: 4, scaleDownNodesAfterIdleDuration: 'PT10M' },
    ...config,
  });
}

function nsgRule(s: TerraformStack, config: Partial<NetworkSecurityRuleConfig>): NetworkSecurityRule {
  return new NetworkSecurityRule(s, 'Rule', {
    resourceGroupName: 'rg',
    networkSecurityGroupName: 'nsg',
    name: 'https',
    priority: 100,
    direction: 'Inbound',
    access: 'Allow',
    protocol: 'Tcp',
    sourcePortRange: '*',
    destinationPortRange: '443',
    destinationAddressPrefix: '*',
    ...config,
  });
}

function credential(s: TerraformStack, subject: string, audience = ['api://AzureADTokenExchange']) {
  return new FederatedIdentityCredential(s, 'Credential', {
    name: 'github',
    resourceGroupName: 'rg',
    parentId: `${SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ci`,
    issuer: 'https://token.actions.githubusercontent.com',
    subject,
    audience,
  });
}

interface Case {
  readonly rule: string;
  readonly name: string;
  readonly path: string;
  readonly bad: (s: TerraformStack) => void;
  readonly good: (s: TerraformStack) => void;
  /** How the stack is deployed (network mode, deployers). */
  readonly options?: PolicyPackOptions;
}

// Deploy readiness: the pieces of a Terraform data-plane write.
const DEPLOYER = 'aaaaaaaa-0000-0000-0000-000000000001';
const FIREWALLED_VAULT = { publicNetworkAccessEnabled: true, networkAcls: { bypass: 'AzureServices', defaultAction: 'Deny', ipRules: ['203.0.113.10/32'] } };

/** The provider reads storage accounts through ARM only. */
function managementPlaneOnly(s: TerraformStack): void {
  (s.node.findChild('azurerm') as AzurermProvider).features = [{ storage: [{ dataPlaneAvailable: false }] }];
}

function key(s: TerraformStack, v: KeyVault, dependsOn: import('cdktf').ITerraformDependable[] = []): KeyVaultKey {
  return new KeyVaultKey(s, 'Key', {
    name: 'cmk',
    keyVaultId: v.id,
    keyType: 'RSA',
    keySize: 3072,
    keyOpts: ['wrapKey', 'unwrapKey'],
    expirationDate: '2030-01-01T00:00:00Z',
    dependsOn,
  });
}

function officer(s: TerraformStack, v: KeyVault, principalId = DEPLOYER): RoleAssignment {
  return new RoleAssignment(s, 'Officer', { scope: v.id, roleDefinitionName: 'Key Vault Crypto Officer', principalId });
}

function vaultEndpoint(s: TerraformStack, v: KeyVault): PrivateEndpoint {
  return new PrivateEndpoint(s, 'VaultEndpoint', {
    ...RG,
    name: 'pe-kv',
    subnetId: `${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe`,
    privateServiceConnection: { name: 'pe-kv', isManualConnection: false, privateConnectionResourceId: v.id, subresourceNames: ['vault'] },
    privateDnsZoneGroup: { name: 'default', privateDnsZoneIds: [`${SUB}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net`] },
  });
}

function blob(s: TerraformStack, dependsOn: import('cdktf').ITerraformDependable[] = []): StorageBlob {
  return new StorageBlob(s, 'Blob', { name: 'data/hour.csv', storageAccountName: 'contosost', storageContainerName: 'artifacts', type: 'Block', sourceContent: 'a,b', dependsOn });
}

function container(s: TerraformStack, account: StorageAccount): StorageContainer {
  return new StorageContainer(s, 'Container', { name: 'artifacts', storageAccountId: account.id, containerAccessType: 'private' });
}

/** A release step running as an identity, with what it may reach. */
function releaseStep(s: TerraformStack, grant: boolean): void {
  const id = new UserAssignedIdentity(s, 'Workload', { ...RG, name: 'id' });
  const acr = registry(s);
  const st = storage(s);
  const c = container(s, st);
  const deps = grant
    ? [
        new RoleAssignment(s, 'Pull', { scope: acr.id, roleDefinitionName: 'AcrPull', principalId: id.principalId }),
        new RoleAssignment(s, 'Read', { scope: c.id, roleDefinitionName: 'Storage Blob Data Reader', principalId: id.principalId }),
      ]
    : [];
  new TerraformData(s, 'Release', { input: { specVersion: 1, kind: 'training', cloud: 'azure', azure: { identity: { resourceId: id.id } } }, dependsOn: deps });
}

/** A workspace running as a user-assigned identity, with (or without) the roles it needs on its storage account and vault. */
function uaiWorkspace(s: TerraformStack, grant: boolean): void {
  const id = new UserAssignedIdentity(s, 'WorkspaceIdentity', { ...RG, name: 'id-svc' });
  const st = storage(s);
  const kv = vault(s);
  const roles = grant
    ? [
        new RoleAssignment(s, 'StorageData', { scope: st.id, roleDefinitionName: 'Storage Blob Data Contributor', principalId: id.principalId }),
        new RoleAssignment(s, 'VaultContributor', { scope: kv.id, roleDefinitionName: 'Contributor', principalId: id.principalId }),
      ]
    : [];
  new MachineLearningWorkspace(s, 'Workspace', {
    ...RG,
    name: 'mlw',
    applicationInsightsId: 'ai',
    keyVaultId: kv.id,
    storageAccountId: st.id,
    identity: { type: 'UserAssigned', identityIds: [id.id] },
    primaryUserAssignedIdentity: id.id,
    publicNetworkAccessEnabled: false,
    managedNetwork: { isolationMode: 'AllowOnlyApprovedOutbound' },
    dependsOn: roles,
  });
}

/**
 * A Container Apps job in an environment in a subnet, given the blob endpoint
 * of the storage account `contosost`; `rule` lets the subnet through the
 * account's firewall, `wait` makes the job depend on the account.
 */
function jobReading(s: TerraformStack, opts: { readonly rule: boolean; readonly wait: boolean }): void {
  const vnet = new VirtualNetwork(s, 'Network', { ...RG, name: 'vnet', addressSpace: ['10.40.0.0/24'] });
  const subnet = new Subnet(s, 'Subnet', {
    resourceGroupName: 'rg',
    name: 'snet-job',
    virtualNetworkName: vnet.name,
    addressPrefixes: ['10.40.0.0/27'],
    serviceEndpoints: ['Microsoft.Storage'],
    delegation: [{ name: 'apps', serviceDelegation: { name: 'Microsoft.App/environments' } }],
  });
  const account = storage(s, {
    publicNetworkAccessEnabled: true,
    networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'], ipRules: ['203.0.113.10'], ...(opts.rule ? { virtualNetworkSubnetIds: [subnet.id] } : {}) },
  });
  const env = new ContainerAppEnvironment(s, 'Environment', { ...RG, name: 'env', infrastructureSubnetId: subnet.id, internalLoadBalancerEnabled: true });
  new ContainerAppJob(s, 'Job', {
    ...RG,
    name: 'job',
    containerAppEnvironmentId: env.id,
    replicaTimeoutInSeconds: 600,
    manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
    template: {
      container: [
        { name: 'c', image: 'mcr.microsoft.com/k8se/quickstart:latest', cpu: 0.5, memory: '1Gi', env: [{ name: 'BLOBS', value: 'https://contosost.blob.core.windows.net' }] },
      ],
    },
    dependsOn: opts.wait ? [account] : undefined,
  });
}

const CASES: Case[] = [
  {
    rule: 'MLOPS_DEPLOY_AZURE_WORKSPACE_ACCESS',
    name: 'a workspace whose user-assigned identity has no role on its storage account and vault',
    path: 'Workspace',
    bad: (s) => uaiWorkspace(s, false),
    good: (s) => uaiWorkspace(s, true),
  },
  // Deploy readiness
  {
    rule: 'MLOPS_DEPLOY_AZURE_WRITE_PATH',
    name: "firewalled mode, the key's vault lets no range through",
    path: 'Key',
    options: { networkMode: 'firewalled', deployers: [DEPLOYER] },
    bad: (s) => key(s, vault(s)),
    good: (s) => key(s, vault(s, FIREWALLED_VAULT)),
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_WRITE_PATH',
    name: "private mode, the key does not wait for the vault's private endpoint",
    path: 'Key',
    options: { networkMode: 'private', deployers: [DEPLOYER] },
    bad: (s) => {
      const v = vault(s);
      vaultEndpoint(s, v);
      key(s, v);
    },
    good: (s) => {
      const v = vault(s);
      key(s, v, [vaultEndpoint(s, v)]);
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_WRITE_PATH',
    name: 'private mode, the vault has no private endpoint',
    path: 'Key',
    options: { networkMode: 'private', deployers: [DEPLOYER] },
    bad: (s) => key(s, vault(s)),
    good: (s) => {
      const v = vault(s);
      key(s, v, [vaultEndpoint(s, v)]);
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_WRITE_ROLE',
    name: 'the deployer has no Key Vault Crypto Officer',
    path: 'Key',
    options: { networkMode: 'firewalled', deployers: [DEPLOYER] },
    bad: (s) => {
      const v = vault(s, FIREWALLED_VAULT);
      officer(s, v, 'bbbbbbbb-0000-0000-0000-000000000002');
      key(s, v);
    },
    good: (s) => {
      const v = vault(s, FIREWALLED_VAULT);
      key(s, v, [officer(s, v)]);
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_WRITE_ROLE',
    name: "the key does not wait for the deployer's role",
    path: 'Key',
    options: { networkMode: 'firewalled', deployers: [DEPLOYER] },
    bad: (s) => {
      const v = vault(s, FIREWALLED_VAULT);
      officer(s, v);
      key(s, v);
    },
    good: (s) => {
      const v = vault(s, FIREWALLED_VAULT);
      key(s, v, [officer(s, v)]);
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_BLOB_CONTAINER',
    name: 'blob naming its container by a literal without depending on it',
    path: 'Blob',
    bad: (s) => {
      container(s, storage(s));
      blob(s);
    },
    good: (s) => {
      blob(s, [container(s, storage(s))]);
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_STORAGE_DATA_PLANE',
    name: 'the provider reads the data plane of a firewalled account no range reaches',
    path: 'Storage',
    options: { networkMode: 'firewalled' },
    bad: (s) => storage(s),
    good: (s) => {
      managementPlaneOnly(s);
      storage(s);
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_STORAGE_DATA_PLANE',
    name: 'the provider reads the data plane of a private account before its private endpoint can exist',
    path: 'Storage',
    options: { networkMode: 'private' },
    bad: (s) => {
      const st = storage(s);
      new PrivateEndpoint(s, 'BlobEndpoint', {
        ...RG,
        name: 'pe-st',
        subnetId: `${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe`,
        privateServiceConnection: { name: 'pe-st', isManualConnection: false, privateConnectionResourceId: st.id, subresourceNames: ['blob'] },
        privateDnsZoneGroup: { name: 'default', privateDnsZoneIds: [`${SUB}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net`] },
      });
    },
    good: (s) => {
      managementPlaneOnly(s);
      storage(s);
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_CMK_PATH',
    name: 'registry CMK through a user-assigned identity on a default-deny vault',
    path: 'Registry',
    bad: (s) => {
      const k = key(s, vault(s, FIREWALLED_VAULT));
      registry(s, { encryption: [{ keyVaultKeyId: k.versionlessId, identityClientId: '00000000-0000-0000-0000-000000000009' }] });
    },
    good: (s) => {
      const k = key(s, vault(s, { publicNetworkAccessEnabled: true, networkAcls: { bypass: 'AzureServices', defaultAction: 'Allow' } }));
      registry(s, { encryption: [{ keyVaultKeyId: k.versionlessId, identityClientId: '00000000-0000-0000-0000-000000000009' }] });
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_WORKLOAD_ACCESS',
    name: 'a training step whose identity cannot pull the image or read the data',
    path: 'Release',
    bad: (s) => releaseStep(s, false),
    good: (s) => releaseStep(s, true),
  },
  // Machine learning
  { rule: 'CKV_AZURE_144', name: 'workspace public', path: 'Workspace', bad: (s) => workspace(s, true), good: (s) => workspace(s, false) },
  { rule: 'CKV_AZURE_144', name: 'workspace public by default', path: 'Workspace', bad: (s) => workspace(s, undefined), good: (s) => workspace(s, false) },
  { rule: 'CKV_AZURE_142', name: 'local auth on', path: 'Cluster', bad: (s) => cluster(s, { localAuthEnabled: true }), good: (s) => cluster(s) },
  {
    rule: 'CKV_AZURE_150',
    name: 'min nodes 2',
    path: 'Cluster',
    bad: (s) => cluster(s, { scaleSettings: { minNodeCount: 2, maxNodeCount: 4, scaleDownNodesAfterIdleDuration: 'PT10M' } }),
    good: (s) => cluster(s),
  },
  { rule: 'MLOPS_AZURE_ML_NO_PUBLIC_SSH', name: 'public SSH', path: 'Cluster', bad: (s) => cluster(s, { sshPublicAccessEnabled: true }), good: (s) => cluster(s) },
  // Registry
  { rule: 'CKV_AZURE_137', name: 'admin user', path: 'Registry', bad: (s) => registry(s, { adminEnabled: true }), good: (s) => registry(s) },
  { rule: 'CKV_AZURE_138', name: 'anonymous pull', path: 'Registry', bad: (s) => registry(s, { anonymousPullEnabled: true }), good: (s) => registry(s) },
  {
    rule: 'CKV_AZURE_139',
    name: 'public registry with default-allow firewall',
    path: 'Registry',
    bad: (s) => registry(s, { publicNetworkAccessEnabled: true, networkRuleSet: [{ defaultAction: 'Allow' }] }),
    good: (s) => registry(s, { publicNetworkAccessEnabled: true, networkRuleSet: [{ defaultAction: 'Deny', ipRule: [{ action: 'Allow', ipRange: '203.0.113.0/24' }] }] }),
  },
  {
    rule: 'CKV_AZURE_139',
    name: 'firewall open to 0.0.0.0/0',
    path: 'Registry',
    bad: (s) => registry(s, { publicNetworkAccessEnabled: true, networkRuleSet: [{ defaultAction: 'Deny', ipRule: [{ action: 'Allow', ipRange: '0.0.0.0/0' }] }] }),
    good: (s) => registry(s),
  },
  { rule: 'CKV_AZURE_167', name: 'no retention policy', path: 'Registry', bad: (s) => registry(s, { retentionPolicyInDays: undefined }), good: (s) => registry(s) },
  { rule: 'CKV_AZURE_237', name: 'no dedicated data endpoint', path: 'Registry', bad: (s) => registry(s, { dataEndpointEnabled: false }), good: (s) => registry(s) },
  // Storage
  {
    rule: 'CKV_AZURE_3',
    name: 'HTTP allowed',
    path: 'Storage',
    bad: (s) => storage(s, { httpsTrafficOnlyEnabled: false }),
    good: (s) => storage(s, { httpsTrafficOnlyEnabled: undefined }),
  },
  { rule: 'CKV_AZURE_44', name: 'TLS 1.0', path: 'Storage', bad: (s) => storage(s, { minTlsVersion: 'TLS1_0' }), good: (s) => storage(s) },
  { rule: 'CKV2_AZURE_40', name: 'shared keys by default', path: 'Storage', bad: (s) => storage(s, { sharedAccessKeyEnabled: undefined }), good: (s) => storage(s) },
  { rule: 'CKV_AZURE_244', name: 'local users on', path: 'Storage', bad: (s) => storage(s, { localUserEnabled: true }), good: (s) => storage(s) },
  { rule: 'CKV_AZURE_190', name: 'nested items public', path: 'Storage', bad: (s) => storage(s, { allowNestedItemsToBePublic: true }), good: (s) => storage(s) },
  {
    rule: 'CKV_AZURE_34',
    name: 'blob container public',
    path: 'Container',
    bad: (s) => new StorageContainer(s, 'Container', { name: 'artifacts', storageAccountId: storage(s).id, containerAccessType: 'blob' }),
    good: (s) => new StorageContainer(s, 'Container', { name: 'artifacts', storageAccountId: storage(s).id, containerAccessType: 'private' }),
  },
  {
    rule: 'CKV_AZURE_59',
    name: 'public storage with default-allow firewall',
    path: 'Storage',
    bad: (s) => storage(s, { publicNetworkAccessEnabled: true, networkRules: { defaultAction: 'Allow', bypass: ['AzureServices'] } }),
    good: (s) => storage(s, { publicNetworkAccessEnabled: true, networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'], ipRules: ['203.0.113.0/24'] } }),
  },
  {
    rule: 'CKV_AZURE_59',
    name: 'public by default, firewall in a separate resource',
    path: 'Storage',
    bad: (s) => storage(s, { publicNetworkAccessEnabled: undefined, networkRules: undefined }),
    good: (s) => {
      const account = storage(s, { publicNetworkAccessEnabled: undefined, networkRules: undefined });
      new StorageAccountNetworkRulesA(s, 'Firewall', { storageAccountId: account.id, defaultAction: 'Deny', bypass: ['AzureServices'], ipRules: ['203.0.113.7'] });
    },
  },
  { rule: 'CKV_AZURE_35', name: 'default action Allow', path: 'Storage', bad: (s) => storage(s, { networkRules: { defaultAction: 'Allow' } }), good: (s) => storage(s) },
  {
    rule: 'CKV_AZURE_35',
    name: 'separate network rules allow',
    path: 'Firewall',
    bad: (s) => new StorageAccountNetworkRulesA(s, 'Firewall', { storageAccountId: storage(s, { networkRules: undefined }).id, defaultAction: 'Allow' }),
    good: (s) => new StorageAccountNetworkRulesA(s, 'Firewall', { storageAccountId: storage(s, { networkRules: undefined }).id, defaultAction: 'Deny', bypass: ['AzureServices'] }),
  },
  {
    rule: 'CKV_AZURE_36',
    name: 'no AzureServices bypass',
    path: 'Storage',
    bad: (s) => storage(s, { networkRules: { defaultAction: 'Deny', bypass: ['None'] } }),
    good: (s) => storage(s),
  },
  {
    rule: 'CKV2_AZURE_38',
    name: 'no container soft delete',
    path: 'Storage',
    bad: (s) => storage(s, { blobProperties: { deleteRetentionPolicy: { days: 30 } } }),
    good: (s) => storage(s),
  },
  {
    rule: 'CKV2_AZURE_1',
    name: 'Microsoft-managed keys',
    path: 'Storage',
    bad: (s) => storage(s, { customerManagedKey: undefined }),
    good: (s) => new StorageAccountCustomerManagedKeyA(s, 'Cmk', { storageAccountId: storage(s, { customerManagedKey: undefined }).id, keyName: 'cmk', keyVaultId: 'kv' }),
  },
  // Key Vault
  { rule: 'CKV_AZURE_110', name: 'no purge protection', path: 'Vault', bad: (s) => vault(s, { purgeProtectionEnabled: false }), good: (s) => vault(s) },
  {
    rule: 'CKV_AZURE_189',
    name: 'public vault with default-allow ACLs',
    path: 'Vault',
    bad: (s) => vault(s, { publicNetworkAccessEnabled: true, networkAcls: { bypass: 'AzureServices', defaultAction: 'Allow' } }),
    good: (s) => vault(s, { publicNetworkAccessEnabled: true, networkAcls: { bypass: 'AzureServices', defaultAction: 'Deny', ipRules: ['203.0.113.0/24'] } }),
  },
  { rule: 'CKV_AZURE_109', name: 'no network ACLs', path: 'Vault', bad: (s) => vault(s, { networkAcls: undefined }), good: (s) => vault(s) },
  {
    rule: 'CKV_AZURE_40',
    name: 'key without expiry',
    path: 'Key',
    bad: (s) => new KeyVaultKey(s, 'Key', { name: 'cmk', keyVaultId: vault(s).id, keyType: 'RSA', keySize: 3072, keyOpts: ['wrapKey', 'unwrapKey'] }),
    good: (s) =>
      new KeyVaultKey(s, 'Key', {
        name: 'cmk',
        keyVaultId: vault(s).id,
        keyType: 'RSA',
        keySize: 3072,
        keyOpts: ['wrapKey', 'unwrapKey'],
        expirationDate: '${timeadd(timestamp(), "8760h")}',
      }),
  },
  // Identity
  {
    rule: 'CKV_AZURE_39',
    name: 'custom owner role',
    path: 'Role',
    bad: (s) => new RoleDefinition(s, 'Role', { name: 'everything', scope: SUB, permissions: [{ actions: ['*'] }], assignableScopes: [SUB] }),
    good: (s) => new RoleDefinition(s, 'Role', { name: 'reader', scope: SUB, permissions: [{ actions: ['Microsoft.Storage/storageAccounts/read'] }], assignableScopes: [SUB] }),
  },
  {
    rule: 'MLOPS_AZURE_PRIVILEGED_ROLE',
    name: 'Contributor on the subscription',
    path: 'Grant',
    bad: (s) => new RoleAssignment(s, 'Grant', { scope: SUB, roleDefinitionName: 'Contributor', principalId: 'p' }),
    good: (s) => new RoleAssignment(s, 'Grant', { scope: storage(s).id, roleDefinitionName: 'Contributor', principalId: 'p' }),
  },
  {
    rule: 'MLOPS_AZURE_PRIVILEGED_ROLE',
    name: 'Owner by role id on a management group',
    path: 'Grant',
    bad: (s) =>
      new RoleAssignment(s, 'Grant', {
        scope: '/providers/Microsoft.Management/managementGroups/contoso',
        roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
        principalId: 'p',
      }),
    good: (s) => new RoleAssignment(s, 'Grant', { scope: SUB, roleDefinitionName: 'Reader', principalId: 'p' }),
  },
  {
    rule: 'MLOPS_AZURE_GITHUB_OIDC',
    name: 'subject for every repository of the owner',
    path: 'Credential',
    bad: (s) => credential(s, 'repo:contoso/*:ref:refs/heads/main'),
    good: (s) => credential(s, 'repo:contoso/mlops:ref:refs/heads/main'),
  },
  {
    rule: 'MLOPS_AZURE_GITHUB_OIDC',
    name: 'subject without a repository',
    path: 'Credential',
    bad: (s) => credential(s, 'environment:prod'),
    good: (s) => credential(s, 'repo:contoso/mlops:pull_request'),
  },
  {
    rule: 'MLOPS_AZURE_GITHUB_OIDC',
    name: 'wrong audience',
    path: 'Credential',
    bad: (s) => credential(s, 'repo:contoso/mlops:environment:prod', ['api://other']),
    good: (s) => credential(s, 'repo:contoso/mlops:environment:prod'),
  },
  // A Container Apps job (the pipeline promoter) and its network path
  {
    rule: 'MLOPS_DEPLOY_AZURE_JOB_PATH',
    name: 'a job reads a firewalled account that has no rule for its subnet (IP rules do not apply in-region)',
    path: 'Job',
    bad: (s) => jobReading(s, { rule: false, wait: true }),
    good: (s) => jobReading(s, { rule: true, wait: true }),
  },
  {
    rule: 'MLOPS_DEPLOY_AZURE_JOB_PATH',
    name: 'a job does not wait for the account rule that lets its subnet through',
    path: 'Job',
    bad: (s) => jobReading(s, { rule: true, wait: false }),
    good: (s) => jobReading(s, { rule: true, wait: true }),
  },
  // Network
  {
    rule: 'MLOPS_AZURE_OPEN_INGRESS',
    name: 'rule open to the Internet tag',
    path: 'Rule',
    bad: (s) => nsgRule(s, { sourceAddressPrefix: 'Internet' }),
    good: (s) => nsgRule(s, { sourceAddressPrefix: '203.0.113.0/24' }),
  },
  {
    rule: 'MLOPS_AZURE_OPEN_INGRESS',
    name: 'inline rule open to 0.0.0.0/0',
    path: 'Nsg',
    bad: (s) =>
      new NetworkSecurityGroup(s, 'Nsg', {
        ...RG,
        name: 'nsg',
        securityRule: [
          {
            name: 'ssh',
            priority: 100,
            direction: 'Inbound',
            access: 'Allow',
            protocol: 'Tcp',
            sourcePortRange: '*',
            destinationPortRange: '22',
            sourceAddressPrefixes: ['0.0.0.0/0'],
            destinationAddressPrefix: '*',
          },
        ],
      }),
    good: (s) =>
      new NetworkSecurityGroup(s, 'Nsg', {
        ...RG,
        name: 'nsg',
        securityRule: [
          {
            name: 'ssh',
            priority: 100,
            direction: 'Inbound',
            access: 'Deny',
            protocol: 'Tcp',
            sourcePortRange: '*',
            destinationPortRange: '22',
            sourceAddressPrefix: '*',
            destinationAddressPrefix: '*',
          },
        ],
      }),
  },
];

describe.each(CASES)('$rule: $name', (c) => {
  test('the bad construct is caught with the rule id on its path', () => {
    const report = run(c.bad, c.options);
    const hits = report.violations.filter((v) => v.ruleId === c.rule);
    expect(hits.length).toBeGreaterThan(0);
    expect([...new Set(hits.map((v) => v.path))]).toEqual([`${STACK}/${c.path}`]);
    expect(hits[0]!.found.length).toBeGreaterThan(10);
  });

  test('the good setting passes', () => {
    const report = run(c.good, c.options);
    expect(report.violations.filter((v) => v.ruleId === c.rule)).toEqual([]);
  });
});

test('every Azure rule has a bad and a good case', () => {
  const rules = POLICY_RULES.filter((r) => r.cloud === 'azure').map((r) => r.id);
  expect([...new Set(CASES.map((c) => c.rule))].sort()).toEqual([...rules].sort());
});

test('the fully secure resources pass every rule', () => {
  const report = run((s) => {
    managementPlaneOnly(s);
    storage(s);
    registry(s);
    vault(s);
    workspace(s, false);
    cluster(s);
  });
  expect(report.violations).toEqual([]);
});

test('public endpoints pass when the config allows public network access, and the relaxed rules are listed', () => {
  const report = run(
    (s) => {
      managementPlaneOnly(s);
      storage(s, { publicNetworkAccessEnabled: true, networkRules: { defaultAction: 'Allow', bypass: ['AzureServices'] } });
      registry(s, { publicNetworkAccessEnabled: true });
      vault(s, { publicNetworkAccessEnabled: true, networkAcls: { bypass: 'AzureServices', defaultAction: 'Allow' } });
      workspace(s, true);
    },
    { networkMode: 'public' },
  );
  expect(report.violations).toEqual([]);
  expect(report.rulesRelaxed.map((r) => r.ruleId).sort()).toEqual(
    [
      'MLOPS_RELEASE_PUBLIC_ENDPOINT',
      'CKV2_GCP_33',
      'CKV_AZURE_109',
      'CKV_AZURE_139',
      'CKV_AZURE_144',
      'CKV_AZURE_189',
      'CKV_AZURE_35',
      'CKV_AZURE_59',
      'MLOPS_AWS_OPEN_INGRESS',
      'MLOPS_AZURE_ML_NO_PUBLIC_SSH',
      'MLOPS_AZURE_OPEN_INGRESS',
      'MLOPS_GCP_OPEN_INGRESS',
    ].sort(),
  );
});
