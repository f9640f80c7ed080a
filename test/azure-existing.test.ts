import * as path from 'path';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { MachineLearningWorkspace } from '@cdktf/provider-azurerm/lib/machine-learning-workspace';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { AzureArtifactStore, IAzureArtifactStore } from '../lib/azure/artifact-store';
import { AzureEncryptionKey, AzureEncryptionKeyAttributes, IAzureEncryptionKey } from '../lib/azure/encryption-key';
import { AzureWorkloadIdentity, IAzureWorkloadIdentity } from '../lib/azure/identity';
import { AzureImageRegistry, IAzureImageRegistry } from '../lib/azure/image-registry';
import { AzureNetwork } from '../lib/azure/network';
import { AzureMlPlatform, AzureMlPlatformProps } from '../lib/azure/platform';
import { AzureResourceGroup } from '../lib/azure/resource-group';
import { AzureReachableFrom } from '../lib/azure/common';
import { AzureGithubCiIdentity } from '../lib/ci/azure';
import { IWorkloadIdentity } from '../lib/core/contracts';
import { MlopsValidationError } from '../lib/core/errors';
import { AzureScoringEndpoint, AzureTrainingJob } from '../lib/deploy/azure';
import { TerraformData } from '../lib/deploy/terraform-data';
import { TrainingDataUpload } from '../lib/deploy/training-data';
import { dockerProviderFor } from '../lib/image/docker-provider';
import { RuntimeImage } from '../lib/image/runtime-image';
import { applyPolicyPack, PolicyReport } from '../lib/policy';
import { SynthJson, onlyResource, resourcesOf, synthStack, validationError } from './util';

/**
 * Bring your own (issue 12, item 5) on Azure: existing resource group, key,
 * storage, registry, identity and network imported with `fromExisting`; a
 * platform that uses them; grants on imported resources and on any
 * IWorkloadIdentity; deploy-readiness rules that reason about imports.
 */

const ROOT = path.join(__dirname, '..');
const DATA = path.join(ROOT, 'examples', 'demand-forecast', 'data', 'hour.csv');
const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const TENANT = '11111111-2222-3333-4444-555555555555';
const ME = 'aaaaaaaa-0000-0000-0000-000000000001';
const SHARED = '/subscriptions/22222222-0000-0000-0000-000000000000/resourceGroups/shared-rg/providers';
const VAULT_ID = `${SHARED}/Microsoft.KeyVault/vaults/central-kv`;
const ACCOUNT_ID = `${SHARED}/Microsoft.Storage/storageAccounts/sharedmlst`;
const CONTAINER_ID = `${ACCOUNT_ID}/blobServices/default/containers/ml-data`;
const REGISTRY_ID = `${SHARED}/Microsoft.ContainerRegistry/registries/sharedacr`;
const IDENTITY_ID = `${SHARED}/Microsoft.ManagedIdentity/userAssignedIdentities/ml-jobs`;
const KEY_SCOPE = `${VAULT_ID}/keys/ml-cmk`;
const PRINCIPAL = '33333333-0000-0000-0000-000000000001';
const CLIENT = '33333333-0000-0000-0000-000000000002';
const HUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/hub-rg/providers/Microsoft.Network';
const HUB_SUBNET = `${HUB}/virtualNetworks/hub/subnets/private-endpoints`;
const HUB_ZONES = {
  vault: `${HUB}/privateDnsZones/privatelink.vaultcore.azure.net`,
  blob: `${HUB}/privateDnsZones/privatelink.blob.core.windows.net`,
  file: `${HUB}/privateDnsZones/privatelink.file.core.windows.net`,
  registry: `${HUB}/privateDnsZones/privatelink.azurecr.io`,
  amlworkspace: `${HUB}/privateDnsZones/privatelink.api.azureml.ms`,
  notebooks: `${HUB}/privateDnsZones/privatelink.notebooks.azure.net`,
};
const DIGEST = `sha256:${'a'.repeat(64)}`;
const IMAGE = { imageUriByDigest: `sharedacr.azurecr.io/mlops-runtime@${DIGEST}`, imageDigest: DIGEST, contentHash: '0123456789abcdef' };

interface Imports {
  readonly key: IAzureEncryptionKey;
  readonly store: IAzureArtifactStore;
  readonly registry: IAzureImageRegistry;
  readonly identity: IAzureWorkloadIdentity;
}

/** Imports of the landing zone's key, storage, registry and identity, all declared with `reachableFrom`. */
function importAll(stack: Construct, reachableFrom?: AzureReachableFrom, key: Partial<AzureEncryptionKeyAttributes> = {}): Imports {
  const vault = AzureEncryptionKey.fromExisting(stack, 'Key', {
    keyVaultId: VAULT_ID,
    keyId: 'https://central-kv.vault.azure.net/keys/ml-cmk',
    purgeProtected: true,
    reachableFrom,
    ...key,
  });
  return {
    key: vault,
    store: AzureArtifactStore.fromExisting(stack, 'Store', { storageAccountId: ACCOUNT_ID, containerName: 'ml-data', encryptionKey: vault, reachableFrom }),
    registry: AzureImageRegistry.fromExisting(stack, 'Registry', { registryId: REGISTRY_ID, reachableFrom }),
    identity: AzureWorkloadIdentity.fromExisting(stack, 'Identity', { identityId: IDENTITY_ID, principalId: PRINCIPAL, clientId: CLIENT }),
  };
}

/** A platform on imports, with a deployment (data upload, image push, training job, endpoint), checked by the policy pack. */
function deployOn(
  mode: 'public' | 'firewalled' | 'private',
  build: (stack: TerraformStack) => Partial<AzureMlPlatformProps>,
): { json: SynthJson; report: PolicyReport; platform: AzureMlPlatform } {
  const stack = new TerraformStack(Testing.app(), 'byo');
  new AzurermProvider(stack, 'azurerm', { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
  const extra = build(stack);
  const platform = new AzureMlPlatform(stack, 'Platform', {
    naming: NAMING,
    region: 'westeurope',
    tenantId: TENANT,
    deployers: [ME],
    network: { mode, allowedIpRanges: mode === 'public' ? [] : ['203.0.113.10/32'] },
    ...extra,
  });
  new TrainingDataUpload(stack, 'TrainingData', { artifactStore: platform.artifactStore, key: 'datasets/bike/hour.csv', source: DATA });
  dockerProviderFor(stack, platform);
  new RuntimeImage(stack, 'RuntimeImage', { registry: platform.imageRegistry, pullers: [platform.identity] });
  const job = new AzureTrainingJob(stack, 'Job', { platform, image: IMAGE, name: 'contoso-mlops-dev-bike', modelName: 'bike', data: 'datasets/bike/hour.csv' });
  new AzureScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job });
  const pack = applyPolicyPack(stack, { networkMode: mode, deployers: () => platform.deployers, log: () => undefined });
  const json = JSON.parse(Testing.synth(stack)) as SynthJson;
  return { json, report: pack.check(), platform };
}

function violations(report: PolicyReport): string[] {
  return report.violations.map((v) => `${v.ruleId} ${v.path}`);
}

function errorOf(fn: () => unknown): MlopsValidationError {
  return validationError(fn);
}

/** Role assignments as `role @ scope` for one principal. */
function grantsOf(json: SynthJson, principal: string): string[] {
  return resourcesOf(json, 'azurerm_role_assignment')
    .filter((a) => a.principal_id === principal)
    .map((a) => `${a.role_definition_name ?? 'custom'} @ ${a.scope}`)
    .sort();
}

describe('a platform on an existing resource group, key, storage, registry and identity', () => {
  const built = deployOn('firewalled', (stack) => {
    const imports = importAll(stack, 'allowedRanges');
    return {
      existing: {
        resourceGroup: AzureResourceGroup.fromName(stack, 'Rg', 'team-ml-rg', 'westeurope'),
        encryptionKey: imports.key,
        artifactStore: imports.store,
        imageRegistry: imports.registry,
        identity: imports.identity,
      },
    };
  });
  const { json, report, platform } = built;

  test('GIVEN every importable resource imported WHEN synthesized THEN the platform creates none of them', () => {
    for (const type of [
      'azurerm_resource_group',
      'azurerm_key_vault',
      'azurerm_key_vault_key',
      'azurerm_storage_account',
      'azurerm_storage_container',
      'azurerm_container_registry',
    ]) {
      expect(resourcesOf(json, type)).toHaveLength(0);
    }
    // Only the workspace's own service identity is created; jobs run as the imported one.
    expect(resourcesOf(json, 'azurerm_user_assigned_identity')).toHaveLength(1);
    expect(onlyResource(json, 'azurerm_user_assigned_identity').name).toBe('contoso-mlops-dev-id-svc');
  });

  test('GIVEN the imports WHEN synthesized THEN the workspace is attached to the imported vault, account and registry, in the imported resource group, encrypted with the imported key', () => {
    const ws = onlyResource(json, 'azurerm_machine_learning_workspace');
    expect(ws.resource_group_name).toBe('team-ml-rg');
    expect(ws.storage_account_id).toBe(ACCOUNT_ID);
    expect(ws.key_vault_id).toBe(VAULT_ID);
    expect(ws.container_registry_id).toBe(REGISTRY_ID);
    expect(ws.encryption.key_id).toBe('https://central-kv.vault.azure.net/keys/ml-cmk');
    expect(onlyResource(json, 'azurerm_machine_learning_compute_cluster').identity.identity_ids).toEqual([IDENTITY_ID]);
  });

  test('GIVEN the imports WHEN synthesized THEN it passes the policy pack, deploy-readiness rules included', () => {
    expect(violations(report)).toEqual([]);
    expect(report.rulesApplied).toEqual(
      expect.arrayContaining(['MLOPS_DEPLOY_AZURE_WRITE_PATH', 'MLOPS_DEPLOY_AZURE_WRITE_ROLE', 'MLOPS_DEPLOY_AZURE_WORKLOAD_ACCESS', 'MLOPS_DEPLOY_AZURE_WORKSPACE_ACCESS']),
    );
  });

  test('GIVEN the imports WHEN synthesized THEN the workload grants land on the imported identity, scoped to the imported container, key and registry', () => {
    const grants = grantsOf(json, PRINCIPAL);
    expect(grants).toEqual(expect.arrayContaining([`Storage Blob Data Contributor @ ${CONTAINER_ID}`, `Key Vault Crypto User @ ${KEY_SCOPE}`, `AcrPull @ ${REGISTRY_ID}`]));
    expect(
      resourcesOf(json, 'azurerm_role_assignment')
        .filter((a) => a.principal_id === PRINCIPAL)
        .every((a) => a.principal_type === 'ServicePrincipal'),
    ).toBe(true);
    expect(platform.identity.principal).toBe(PRINCIPAL);
  });

  test('GIVEN the imports WHEN synthesized THEN the deployer gets the data roles on the imported container and registry, and no key role (the key exists)', () => {
    expect(grantsOf(json, ME)).toEqual([`AcrPush @ ${REGISTRY_ID}`, `Storage Blob Data Contributor @ ${CONTAINER_ID}`]);
  });

  test("GIVEN an imported vault in another resource group WHEN synthesized THEN the workspace's custom Key Vault role is assignable there too", () => {
    const role = onlyResource(json, 'azurerm_role_definition');
    expect(role.assignable_scopes).toEqual([expect.stringMatching(/resourceGroups\/team-ml-rg$/), '/subscriptions/22222222-0000-0000-0000-000000000000/resourceGroups/shared-rg']);
  });

  test("GIVEN an imported resource group by name WHEN synthesized THEN its id uses the provider's subscription", () => {
    expect(platform.resourceGroup.resourceGroupName).toBe('team-ml-rg');
    expect(Object.keys(json.data?.azurerm_client_config ?? {}).some((k) => k.startsWith('Rg_Subscription'))).toBe(true);
  });

  test('GIVEN grants on imported resources WHEN the release steps are synthesized THEN they wait for them (the grants live outside the platform)', () => {
    const steps = Object.values(json.resource?.terraform_data ?? {});
    const storeGrant = Object.entries(json.resource!.azurerm_role_assignment!).find(([, a]) => a.principal_id === PRINCIPAL && a.scope === CONTAINER_ID)![0];
    for (const step of steps) expect(step.depends_on).toContain(`azurerm_role_assignment.${storeGrant}`);
  });

  test("GIVEN the imports WHEN the release target is built THEN it names the imported identity's resource and client ids", () => {
    const job = Object.entries(json.resource!.terraform_data!).find(([k]) => k.startsWith('Job_Release_'))![1];
    expect(job.input.azure.identity).toEqual({ resourceId: IDENTITY_ID, clientId: CLIENT });
  });
});

describe('what the platform never does to an imported resource', () => {
  test('GIVEN imported stores WHEN synthesized THEN nothing sets a firewall, a customer-managed key or a setting on them (no block names their ids but role assignments and, in private mode, private endpoints)', () => {
    const { json } = deployOn('private', (stack) => {
      const i = importAll(stack);
      return { existing: { encryptionKey: i.key, artifactStore: i.store, imageRegistry: i.registry, identity: i.identity } };
    });
    const touching = Object.entries(json.resource ?? {})
      .flatMap(([type, byName]) => Object.values(byName).map((r) => ({ type, text: JSON.stringify(r) })))
      .filter((r) => [VAULT_ID, ACCOUNT_ID, REGISTRY_ID].some((id) => r.text.includes(id)))
      .map((r) => r.type);
    expect([...new Set(touching)].sort()).toEqual([
      'azurerm_machine_learning_datastore_blobstorage',
      'azurerm_machine_learning_workspace',
      'azurerm_private_endpoint',
      'azurerm_role_assignment',
    ]);
  });

  test('GIVEN an imported registry WHEN registryCustomerManagedKey is forced THEN the platform refuses, naming both props', () => {
    const err = errorOf(() =>
      synthStack((stack) => {
        const i = importAll(stack);
        new AzureMlPlatform(stack, 'Platform', {
          naming: NAMING,
          region: 'westeurope',
          tenantId: TENANT,
          registryCustomerManagedKey: true,
          existing: { imageRegistry: i.registry },
        });
      }),
    );
    expect(err.message).toMatch(/'registryCustomerManagedKey'.*existing\.imageRegistry/);
  });

  test('GIVEN an imported key without purge protection WHEN a platform uses it THEN it fails naming existing.encryptionKey, the vault and the fix', () => {
    const err = errorOf(() =>
      synthStack((stack) => {
        const i = importAll(stack, undefined, { purgeProtected: false });
        new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, existing: { encryptionKey: i.key } });
      }),
    );
    expect(err.message).toMatch(/'existing\.encryptionKey'.*purge protection.*Got "central-kv \(purgeProtected false\)"/);
    expect(err.message).toContain('az keyvault update --enable-purge-protection');
  });

  test('GIVEN a person imported with fromPrincipalId WHEN given as the platform identity THEN it fails: jobs run only as a user-assigned identity', () => {
    const err = errorOf(() =>
      synthStack((stack) => {
        const person = AzureWorkloadIdentity.fromPrincipalId(stack, 'Alice', PRINCIPAL, 'User');
        new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, existing: { identity: person as unknown as IAzureWorkloadIdentity } });
      }),
    );
    expect(err.message).toMatch(/'existing\.identity'.*user-assigned managed identity/);
  });

  test("GIVEN an imported registry, key and store WHEN their names would not fit the naming helper THEN only the created resources' names are checked", () => {
    // "contosomlopsaverylongenvst" does not fit a storage account, nor "contoso-mlops-averylongenv-kv" a Key Vault: both are imported.
    const long = { ...NAMING, environment: 'averylongenv' };
    expect(() =>
      synthStack((stack) => {
        const i = importAll(stack, 'public');
        new AzureMlPlatform(stack, 'Platform', {
          naming: long,
          region: 'westeurope',
          tenantId: TENANT,
          existing: { encryptionKey: i.key, artifactStore: i.store, imageRegistry: i.registry },
        });
      }),
    ).not.toThrow();
    expect(() => synthStack((stack) => void new AzureMlPlatform(stack, 'Platform', { naming: long, region: 'westeurope', tenantId: TENANT }))).toThrow(/storage account/);
  });

  test('GIVEN an imported key whose vault is not open to every network WHEN the platform runs in public mode THEN its created registry uses Microsoft-managed keys', () => {
    const registryOf = (reachableFrom: AzureReachableFrom) =>
      onlyResource(
        synthStack((stack) => {
          const i = importAll(stack, reachableFrom);
          new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, network: { mode: 'public' }, existing: { encryptionKey: i.key } });
        }),
        'azurerm_container_registry',
      );
    expect(registryOf('allowedRanges').encryption).toBeUndefined();
    expect(registryOf('public').encryption).toEqual([expect.objectContaining({ key_vault_key_id: 'https://central-kv.vault.azure.net/keys/ml-cmk' })]);
  });
});

describe('deploy readiness of imports (MLOPS_DEPLOY_AZURE_*)', () => {
  const imported = (reachableFrom?: AzureReachableFrom) => (stack: TerraformStack) => {
    const i = importAll(stack, reachableFrom);
    return { existing: { encryptionKey: i.key, artifactStore: i.store, imageRegistry: i.registry, identity: i.identity } };
  };

  test('GIVEN firewalled mode and imports that do not say how they are reached WHEN checked THEN the upload and the push are reported as unknown paths, not passed', () => {
    const { report } = deployOn('firewalled', imported());
    expect(violations(report)).toEqual(['MLOPS_DEPLOY_AZURE_WRITE_PATH byo/RuntimeImage/Resource', 'MLOPS_DEPLOY_AZURE_WRITE_PATH byo/TrainingData/Resource']);
    const found = report.violations.map((v) => v.found).join('\n');
    expect(found).toContain('the imported storage account "sharedmlst" (byo/Store)');
    expect(found).toContain('reachability the import does not declare');
    expect(report.violations[0]!.fix).toContain("reachableFrom: 'public', 'allowedRanges'");
  });

  test('GIVEN firewalled mode and imports reached through their own private endpoints only WHEN checked THEN Terraform outside the network cannot reach them', () => {
    const { report } = deployOn('firewalled', imported('privateEndpoint'));
    expect(violations(report)).toEqual(['MLOPS_DEPLOY_AZURE_WRITE_PATH byo/RuntimeImage/Resource', 'MLOPS_DEPLOY_AZURE_WRITE_PATH byo/TrainingData/Resource']);
    expect(report.violations[0]!.found).toContain('reached through a private endpoint only, but network mode is firewalled');
  });

  test('GIVEN public mode and imports open to every network WHEN checked THEN it passes', () => {
    expect(violations(deployOn('public', imported('public')).report)).toEqual([]);
  });

  test('GIVEN private mode and imports without reachableFrom WHEN synthesized THEN the platform gives each a private endpoint in its subnet, the writes wait for them, and it passes', () => {
    const { json, report } = deployOn('private', imported());
    expect(violations(report)).toEqual([]);
    const pes = resourcesOf(json, 'azurerm_private_endpoint').map(
      (pe) => `${pe.private_service_connection.private_connection_resource_id.split('/').pop()} ${pe.private_service_connection.subresource_names[0]}`,
    );
    expect(pes.sort()).toEqual(['central-kv vault', 'sharedacr registry', 'sharedmlst blob', 'sharedmlst file', expect.stringMatching(/amlworkspace$/)].sort());
    const blobPe = Object.entries(json.resource!.azurerm_private_endpoint!).find(([, pe]) => pe.private_service_connection.subresource_names[0] === 'blob')![0];
    expect(onlyResource(json, 'azurerm_storage_blob').depends_on).toContain(`azurerm_private_endpoint.${blobPe}`);
    // In the platform's resource group and subnet.
    for (const pe of resourcesOf(json, 'azurerm_private_endpoint')) expect(pe.subnet_id).toMatch(/azurerm_subnet\.Platform_Network_PrivateEndpoints/);
  });

  test('GIVEN private mode and imports with their own private endpoints WHEN synthesized THEN the platform creates none for them (no second record in a shared zone) and it passes', () => {
    const { json, report } = deployOn('private', imported('privateEndpoint'));
    expect(violations(report)).toEqual([]);
    expect(resourcesOf(json, 'azurerm_private_endpoint').map((pe) => pe.private_service_connection.subresource_names[0])).toEqual(['amlworkspace']);
  });

  test('GIVEN an imported store used without a platform in private mode WHEN a blob is written with no private endpoint THEN the path is reported', () => {
    const stack = new TerraformStack(Testing.app(), 'bare');
    new AzurermProvider(stack, 'azurerm', { features: [{}] });
    const store = AzureArtifactStore.fromExisting(stack, 'Store', { storageAccountId: ACCOUNT_ID, containerName: 'ml-data' });
    const upload = new TrainingDataUpload(stack, 'Upload', { artifactStore: store, key: 'data/x.csv', source: DATA });
    store.grantDeployWrite(ME);
    store.bindDataPlaneWrite(upload.resource as any);
    const pack = applyPolicyPack(stack, { networkMode: 'private', deployers: [ME], log: () => undefined });
    Testing.synth(stack);
    const report = pack.check();
    expect(violations(report)).toEqual(['MLOPS_DEPLOY_AZURE_WRITE_PATH bare/Upload/Resource']);
    expect(report.violations[0]!.found).toContain('no private endpoint of sub-resource "blob" in this stack');
  });

  test('GIVEN an imported store WHEN the deployer lacks the data role THEN MLOPS_DEPLOY_AZURE_WRITE_ROLE names the imported account', () => {
    const stack = new TerraformStack(Testing.app(), 'bare');
    const store = AzureArtifactStore.fromExisting(stack, 'Store', { storageAccountId: ACCOUNT_ID, containerName: 'ml-data', reachableFrom: 'public' });
    new TrainingDataUpload(stack, 'Upload', { artifactStore: store, key: 'data/x.csv', source: DATA });
    const pack = applyPolicyPack(stack, { networkMode: 'public', deployers: [ME], log: () => undefined });
    Testing.synth(stack);
    const report = pack.check();
    expect(violations(report)).toEqual(['MLOPS_DEPLOY_AZURE_WRITE_ROLE bare/Upload/Resource']);
    expect(report.violations[0]!.found).toContain('the imported storage account "sharedmlst" (bare/Store)');
  });

  test('GIVEN a registry encrypted with an imported key WHEN the vault is not declared open to every network THEN MLOPS_DEPLOY_AZURE_CMK_PATH reports it', () => {
    const check = (reachableFrom: AzureReachableFrom) => {
      const stack = new TerraformStack(Testing.app(), 'cmk');
      const key = AzureEncryptionKey.fromExisting(stack, 'Key', {
        keyVaultId: VAULT_ID,
        keyId: 'https://central-kv.vault.azure.net/keys/ml-cmk',
        purgeProtected: true,
        reachableFrom,
      });
      const rg = AzureResourceGroup.fromName(stack, 'Rg', 'team-ml-rg', 'westeurope');
      const id = new AzureWorkloadIdentity(stack, 'Id', { naming: NAMING, resourceGroup: rg });
      new AzureImageRegistry(stack, 'Registry', { naming: NAMING, resourceGroup: rg, encryptionKey: key, encryptionIdentity: id, publicNetworkAccess: true });
      const pack = applyPolicyPack(stack, { networkMode: 'public', log: () => undefined });
      Testing.synth(stack);
      return pack
        .check()
        .violations.filter((v) => v.ruleId === 'MLOPS_DEPLOY_AZURE_CMK_PATH')
        .map((v) => v.found);
    };
    expect(check('allowedRanges')).toEqual([expect.stringContaining('the imported Key Vault "central-kv" (cmk/Key)')]);
    expect(check('public')).toEqual([]);
  });
});

describe('workspace and workload access on imports (no silent pass)', () => {
  const check = (build: (stack: TerraformStack) => void) => {
    const stack = new TerraformStack(Testing.app(), 'access');
    build(stack);
    const pack = applyPolicyPack(stack, { networkMode: 'public', log: () => undefined });
    Testing.synth(stack);
    return pack.check().violations;
  };

  test('GIVEN a workspace on an imported account and vault WHEN its identity holds no role on them THEN MLOPS_DEPLOY_AZURE_WORKSPACE_ACCESS names the imports; with the roles it passes', () => {
    const workspace = (grant: boolean) => (stack: TerraformStack) => {
      const i = importAll(stack, 'public');
      const id = new UserAssignedIdentity(stack, 'Svc', { name: 'svc', location: 'westeurope', resourceGroupName: 'rg' });
      const svc = { cloud: 'azure', identityName: 'svc', identityId: id.id, principal: id.principalId } as unknown as IWorkloadIdentity;
      const roles = grant
        ? [
            new RoleAssignment(stack, 'Data', { scope: ACCOUNT_ID, roleDefinitionName: 'Storage Blob Data Contributor', principalId: id.principalId }),
            new RoleAssignment(stack, 'Vault', { scope: VAULT_ID, roleDefinitionName: 'Contributor', principalId: id.principalId }),
            i.key.grantServiceEncryption(svc),
          ]
        : [];
      new MachineLearningWorkspace(stack, 'Workspace', {
        name: 'mlw',
        location: 'westeurope',
        resourceGroupName: 'rg',
        applicationInsightsId: 'ai',
        keyVaultId: VAULT_ID,
        storageAccountId: ACCOUNT_ID,
        identity: { type: 'UserAssigned', identityIds: [id.id] },
        primaryUserAssignedIdentity: id.id,
        publicNetworkAccessEnabled: false,
        encryption: { keyVaultId: VAULT_ID, keyId: i.key.versionlessKeyId, userAssignedIdentityId: id.id },
        managedNetwork: { isolationMode: 'AllowOnlyApprovedOutbound' },
        dependsOn: roles,
      });
    };
    const found = check(workspace(false))
      .filter((v) => v.ruleId === 'MLOPS_DEPLOY_AZURE_WORKSPACE_ACCESS')
      .map((v) => v.found);
    expect(found).toEqual([
      expect.stringContaining('no Storage Blob Data Contributor or Storage Blob Data Owner on the imported storage account "sharedmlst"'),
      expect.stringContaining('no Contributor or Owner on the imported Key Vault "central-kv"'),
      expect.stringContaining(
        'no Key Vault Crypto Service Encryption User or Key Vault Crypto User or Key Vault Crypto Officer or Key Vault Administrator on the imported Key Vault "central-kv"',
      ),
    ]);
    expect(check(workspace(true)).filter((v) => v.ruleId === 'MLOPS_DEPLOY_AZURE_WORKSPACE_ACCESS')).toEqual([]);
  });

  test('GIVEN a release step running as an imported identity WHEN it holds no pull or read role THEN MLOPS_DEPLOY_AZURE_WORKLOAD_ACCESS names it; with grants on the imported stores it passes', () => {
    const step = (grant: boolean) => (stack: TerraformStack) => {
      const i = importAll(stack, 'public');
      const deps: RoleAssignment[] = [];
      if (grant) {
        i.store.grantRead(i.identity);
        i.registry.grantPull(i.identity);
        deps.push(...stack.node.findAll().filter((c): c is RoleAssignment => c instanceof RoleAssignment));
      }
      new TerraformData(stack, 'Release', {
        input: { specVersion: 1, kind: 'training', cloud: 'azure', azure: { identity: { resourceId: IDENTITY_ID, clientId: CLIENT } } },
        dependsOn: deps,
      });
    };
    const found = check(step(false))
      .filter((v) => v.ruleId === 'MLOPS_DEPLOY_AZURE_WORKLOAD_ACCESS')
      .map((v) => v.found);
    expect(found).toEqual([
      expect.stringContaining('runs as the imported identity access/Identity, which has no AcrPull or AcrPush'),
      expect.stringContaining('runs as the imported identity access/Identity, which has no Storage Blob Data Reader'),
    ]);
    expect(check(step(true)).filter((v) => v.ruleId === 'MLOPS_DEPLOY_AZURE_WORKLOAD_ACCESS')).toEqual([]);
  });
});

describe('grants on any Azure IWorkloadIdentity', () => {
  test('GIVEN a plain object implementing IWorkloadIdentity (not a construct) WHEN granted read on the store THEN it gets a role assignment on the container and the key, with a stable id', () => {
    const team: IWorkloadIdentity = {
      cloud: 'azure',
      identityName: 'batch-scoring',
      identityId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/batch-scoring',
      principal: '44444444-0000-0000-0000-000000000001',
    } as unknown as IWorkloadIdentity;
    const build = () =>
      synthStack((stack) => {
        const p = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, deployers: [ME] });
        p.artifactStore.grantRead(team);
        p.artifactStore.grantRead(team);
      });
    const json = build();
    const assignments = Object.entries(json.resource!.azurerm_role_assignment!).filter(([, a]) => a.principal_id === '44444444-0000-0000-0000-000000000001');
    expect(assignments.map(([, a]) => a.role_definition_name).sort()).toEqual(['Key Vault Crypto User', 'Storage Blob Data Reader']);
    expect(assignments.every(([, a]) => a.principal_type === 'ServicePrincipal')).toBe(true);
    const ids = assignments.map(([k]) => k).sort();
    expect(ids.every((k) => /Principal[0-9a-f]{8}/.test(k))).toBe(true);
    expect(Object.keys(build().resource!.azurerm_role_assignment!).filter((k) => ids.includes(k))).toHaveLength(2);
  });

  test('GIVEN one principal granted as a deployer and as an identity WHEN synthesized THEN it gets one assignment per role and scope (Azure refuses a duplicate with 409)', () => {
    const json = synthStack((stack) => {
      const p = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, deployers: [] });
      const ci = new UserAssignedIdentity(stack, 'Ci', { name: 'ci', location: 'westeurope', resourceGroupName: 'rg' });
      p.grantDeploy(ci.principalId, 'ServicePrincipal');
      p.artifactStore.grantReadWrite({ cloud: 'azure', identityName: 'ci', identityId: ci.id, principal: ci.principalId } as unknown as IWorkloadIdentity);
    });
    const ci = resourcesOf(json, 'azurerm_role_assignment').filter(
      (a) => /azurerm_user_assigned_identity\.Ci\./.test(String(a.principal_id)) && a.role_definition_name === 'Storage Blob Data Contributor',
    );
    expect(ci).toHaveLength(1);
  });

  test('GIVEN a plain object of another cloud WHEN granted THEN it fails with MLOPS_CLOUD_MISMATCH naming its id (not a TypeError)', () => {
    const other = {
      cloud: 'aws',
      identityName: 'r',
      identityId: 'arn:aws:iam::123456789012:role/r',
      principal: 'arn:aws:iam::123456789012:role/r',
    } as unknown as IWorkloadIdentity;
    const err = errorOf(() =>
      synthStack((stack) => new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT }).artifactStore.grantRead(other)),
    );
    expect(err.issues[0]).toMatchObject({ code: 'MLOPS_CLOUD_MISMATCH', path: 'arn:aws:iam::123456789012:role/r' });
  });

  test("GIVEN a construct of the caller's own implementing IWorkloadIdentity with a token principal WHEN granted THEN the assignment names that principal", () => {
    class TeamIdentity extends Construct implements IWorkloadIdentity {
      public readonly cloud = 'azure' as const;
      public readonly identityName = 'team';
      public readonly identityId: string;
      public readonly principal: string;
      constructor(scope: Construct, id: string) {
        super(scope, id);
        const uai = new UserAssignedIdentity(this, 'Resource', { name: 'team', location: 'westeurope', resourceGroupName: 'team-rg' });
        this.identityId = uai.id;
        this.principal = uai.principalId;
      }
    }
    const json = synthStack((stack) => {
      const p = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, deployers: [ME] });
      p.imageRegistry.grantPull(new TeamIdentity(stack, 'Team'));
    });
    const pulls = resourcesOf(json, 'azurerm_role_assignment').filter(
      (a) => a.role_definition_name === 'AcrPull' && /azurerm_user_assigned_identity\.Team_/.test(String(a.principal_id)),
    );
    expect(pulls).toHaveLength(1);
  });

  test('GIVEN a person imported with fromPrincipalId WHEN granted read on an imported store THEN the assignment says principal type User', () => {
    const json = synthStack((stack) => {
      const store = AzureArtifactStore.fromExisting(stack, 'Store', { storageAccountId: ACCOUNT_ID, containerName: 'ml-data' });
      store.grantRead(AzureWorkloadIdentity.fromPrincipalId(stack, 'Analysts', '55555555-0000-0000-0000-000000000001', 'Group'));
    });
    expect(onlyResource(json, 'azurerm_role_assignment')).toMatchObject({
      scope: CONTAINER_ID,
      role_definition_name: 'Storage Blob Data Reader',
      principal_type: 'Group',
      principal_id: '55555555-0000-0000-0000-000000000001',
    });
  });

  test('GIVEN an identity imported by resource id only WHEN granted THEN its principal is read at plan time and the assignment names it', () => {
    const json = synthStack((stack) => {
      const store = AzureArtifactStore.fromExisting(stack, 'Store', { storageAccountId: ACCOUNT_ID, containerName: 'ml-data' });
      store.grantReadWrite(AzureWorkloadIdentity.fromIdentityId(stack, 'Jobs', IDENTITY_ID));
    });
    expect(json.data?.azurerm_user_assigned_identity).toEqual({
      [Object.keys(json.data!.azurerm_user_assigned_identity!)[0]!]: { name: 'ml-jobs', resource_group_name: 'shared-rg' },
    });
    expect(onlyResource(json, 'azurerm_role_assignment').principal_id).toMatch(/^\$\{data\.azurerm_user_assigned_identity\.Jobs_Lookup_[0-9A-F]+\.principal_id\}$/);
  });
});

describe("other compute: a team's batch-scoring service", () => {
  test("GIVEN a team identity for an AKS service account WHEN it is granted the platform's stores THEN it reads the container and the key, pulls the image, and signs in through a federated credential", () => {
    const json = synthStack((stack) => {
      const p = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, deployers: [ME] });
      const batch = new AzureWorkloadIdentity(stack, 'Batch', { naming: NAMING, resourceGroup: p.resourceGroup, resource: 'batch-scoring' });
      batch.addFederatedCredential('aks-batch', { issuer: 'https://westeurope.oic.prod-aks.azure.com/tenant/cluster/', subject: 'system:serviceaccount:scoring:batch' });
      p.artifactStore.grantRead(batch);
      p.imageRegistry.grantPull(batch);
    });
    const batch = resourcesOf(json, 'azurerm_role_assignment').filter((a) => /azurerm_user_assigned_identity\.Batch_/.test(String(a.principal_id)));
    expect(batch.map((a) => a.role_definition_name).sort()).toEqual(['AcrPull', 'Key Vault Crypto User', 'Storage Blob Data Reader']);
    expect(onlyResource(json, 'azurerm_federated_identity_credential')).toMatchObject({
      name: 'aks-batch',
      subject: 'system:serviceaccount:scoring:batch',
      audience: ['api://AzureADTokenExchange'],
    });
  });

  test('GIVEN a federated credential with a wildcard subject or a non-https issuer WHEN added THEN it fails naming both', () => {
    const err = errorOf(() =>
      synthStack((stack) => {
        const rg = AzureResourceGroup.fromName(stack, 'Rg', 'team-rg', 'westeurope');
        new AzureWorkloadIdentity(stack, 'Batch', { naming: NAMING, resourceGroup: rg }).addFederatedCredential('aks', {
          issuer: 'http://issuer',
          subject: 'system:serviceaccount:*:batch',
        });
      }),
    );
    expect(err.issues.map((i) => i.message)).toEqual([expect.stringMatching(/'issuer'.*https URL/), expect.stringMatching(/'subject'.*without wildcards/)]);
  });
});

describe('import validation', () => {
  test('GIVEN malformed import attributes WHEN imported THEN every problem is named at once with the value and the fix', () => {
    const err = errorOf(() =>
      synthStack((stack) => {
        AzureEncryptionKey.fromExisting(stack, 'Key', {
          keyVaultId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/central-kv',
          keyId: 'https://other-kv.vault.azure.net/keys/k',
          purgeProtected: 'yes' as unknown as boolean,
          reachableFrom: 'vpn' as AzureReachableFrom,
        });
      }),
    );
    expect(err.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/'keyId'.*a key of the vault central-kv.*Got "https:\/\/other-kv/),
      expect.stringMatching(/'purgeProtected'.*true or false.*az keyvault show/),
      expect.stringMatching(/'reachableFrom'.*'public', 'allowedRanges', 'privateEndpoint'.*Got "vpn"/),
    ]);
  });

  test.each([
    [
      'AzureArtifactStore',
      (s: Construct) => AzureArtifactStore.fromExisting(s, 'X', { storageAccountId: `${SHARED}/Microsoft.KeyVault/vaults/kv`, containerName: 'ml-data' }),
      /'storageAccountId'.*Microsoft\.Storage\/storageAccounts/,
    ],
    ['AzureImageRegistry', (s: Construct) => AzureImageRegistry.fromRegistryId(s, 'X', 'sharedacr'), /'registryId'.*Microsoft\.ContainerRegistry\/registries.*Got "sharedacr"/],
    [
      'AzureWorkloadIdentity',
      (s: Construct) => AzureWorkloadIdentity.fromExisting(s, 'X', { identityId: IDENTITY_ID, principalId: 'not-a-guid' }),
      /'principalId'.*GUID.*Got "not-a-guid"/,
    ],
    [
      'AzureResourceGroup',
      (s: Construct) => AzureResourceGroup.fromExisting(s, 'X', { resourceGroupName: 'rg.', location: 'West Europe' }),
      /'resourceGroupName'.*not ending with a period[\s\S]*'location'/,
    ],
    [
      'AzureNetwork',
      (s: Construct) => AzureNetwork.fromExisting(s, 'X', { subnetId: HUB_SUBNET, privateDnsZoneIds: { vault: HUB_ZONES.vault } as any }),
      /'privateDnsZoneIds'.*blob, file, registry, amlworkspace, notebooks missing/,
    ],
  ])('GIVEN a bad %s import WHEN imported THEN it fails naming the attribute and the value', (_name, make, message) => {
    expect(() => synthStack((stack) => void make(stack))).toThrow(message);
  });

  test('GIVEN token attributes WHEN imported THEN they are not validated (a resource of the same stack)', () => {
    expect(() =>
      synthStack((stack) => {
        const uai = new UserAssignedIdentity(stack, 'Uai', { name: 'x', location: 'westeurope', resourceGroupName: 'rg' });
        AzureWorkloadIdentity.fromExisting(stack, 'X', { identityId: uai.id, principalId: uai.principalId, clientId: uai.clientId });
      }),
    ).not.toThrow();
  });
});

describe('an imported network in private mode', () => {
  const network = (stack: Construct) => AzureNetwork.fromExisting(stack, 'Hub', { subnetId: HUB_SUBNET, privateDnsZoneIds: HUB_ZONES });

  test("GIVEN the hub's subnet and zones imported WHEN a private-mode platform uses them THEN it creates no network, subnet, zone or link, puts every private endpoint in the hub subnet with the hub zones, and passes the policy pack", () => {
    const { json, report, platform } = deployOn('private', (stack) => ({ existing: { network: network(stack) } }));
    expect(violations(report)).toEqual([]);
    for (const type of ['azurerm_virtual_network', 'azurerm_subnet', 'azurerm_private_dns_zone', 'azurerm_private_dns_zone_virtual_network_link'])
      expect(resourcesOf(json, type)).toHaveLength(0);
    const pes = resourcesOf(json, 'azurerm_private_endpoint');
    expect(pes.map((pe) => pe.private_service_connection.subresource_names[0]).sort()).toEqual(['amlworkspace', 'blob', 'file', 'registry', 'vault']);
    for (const pe of pes) expect(pe.subnet_id).toBe(HUB_SUBNET);
    const ws = pes.find((pe) => pe.private_service_connection.subresource_names[0] === 'amlworkspace')!;
    expect(ws.private_dns_zone_group.private_dns_zone_ids).toEqual([HUB_ZONES.amlworkspace, HUB_ZONES.notebooks]);
    expect(platform.network.networkId).toBe(`${HUB}/virtualNetworks/hub`);
  });

  test("GIVEN an imported network and imported stores WHEN private THEN the stores' private endpoints go into the hub subnet too", () => {
    const { json, report } = deployOn('private', (stack) => {
      const i = importAll(stack);
      return { existing: { network: network(stack), artifactStore: i.store, encryptionKey: i.key } };
    });
    expect(violations(report)).toEqual([]);
    const blob = resourcesOf(json, 'azurerm_private_endpoint').find((pe) => pe.private_service_connection.subresource_names[0] === 'blob')!;
    expect(blob).toMatchObject({
      subnet_id: HUB_SUBNET,
      private_service_connection: { private_connection_resource_id: ACCOUNT_ID },
      private_dns_zone_group: { private_dns_zone_ids: [HUB_ZONES.blob] },
    });
  });

  test('GIVEN an imported network WHEN the mode is firewalled, or network.existing.azure is given too THEN the platform refuses', () => {
    const build = (extra: Partial<AzureMlPlatformProps>) => () =>
      synthStack(
        (stack) => void new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, existing: { network: network(stack) }, ...extra }),
      );
    expect(build({ network: { mode: 'firewalled' } })).toThrow(/'existing\.network'.*unless network\.mode is 'private'/);
    expect(build({ network: { mode: 'private', existing: { azure: { subnetId: HUB_SUBNET } } } })).toThrow(/'existing\.network'.*network\.existing\.azure/);
  });
});

describe('addPrivateEndpoints', () => {
  const placement = { location: 'westeurope', resourceGroupName: 'spoke-rg' };
  const blob = { subResource: 'blob', subnetId: HUB_SUBNET, privateDnsZoneIds: [HUB_ZONES.blob] };

  test('GIVEN a created store WHEN a private endpoint is added in another subnet THEN it connects to the account, and a blob write bound earlier waits for it', () => {
    const json = synthStack((stack) => {
      const rg = AzureResourceGroup.fromName(stack, 'Rg', 'team-rg', 'westeurope');
      const store = new AzureArtifactStore(stack, 'Store', { naming: NAMING, resourceGroup: rg, customerManagedKey: false });
      const upload = new TrainingDataUpload(stack, 'Upload', { artifactStore: store, key: 'data/x.csv', source: DATA });
      store.bindDataPlaneWrite(upload.resource as any);
      store.addPrivateEndpoints([blob], placement);
    });
    const pe = onlyResource(json, 'azurerm_private_endpoint');
    expect(pe).toMatchObject({ subnet_id: HUB_SUBNET, resource_group_name: 'spoke-rg', private_service_connection: { subresource_names: ['blob'] } });
    expect(pe.private_service_connection.private_connection_resource_id).toMatch(/^\$\{azurerm_storage_account\.Store/);
    expect(onlyResource(json, 'azurerm_storage_blob').depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^azurerm_private_endpoint\.Store_PrivateEndpoint-blob/)]));
  });

  test('GIVEN a sub-resource that already has a private endpoint, or one the resource does not have WHEN added THEN it fails naming it', () => {
    const err = errorOf(() =>
      synthStack((stack) => {
        const store = AzureArtifactStore.fromExisting(stack, 'Store', { storageAccountId: ACCOUNT_ID, containerName: 'ml-data' });
        store.addPrivateEndpoints([blob], placement);
        store.addPrivateEndpoints([blob, { ...blob, subResource: 'vault' }], placement);
      }),
    );
    expect(err.issues.map((i) => i.message).sort()).toEqual([
      expect.stringMatching(/'privateEndpoints\[0\]\.subResource'.*no private endpoint yet.*Got "blob"/),
      expect.stringMatching(/'privateEndpoints\[1\]\.subResource'.*one of 'blob', 'file'\. Got "vault"/),
    ]);
  });
});

describe('CI on a platform with imports', () => {
  test("GIVEN imported resources in another resource group WHEN the CI identity is built THEN it may manage the platform's role assignments on them (constrained), and on nothing else outside", () => {
    const json = synthStack((stack) => {
      const i = importAll(stack, 'allowedRanges');
      const p = new AzureMlPlatform(stack, 'Platform', {
        naming: NAMING,
        region: 'westeurope',
        tenantId: TENANT,
        deployers: [ME],
        network: { mode: 'firewalled', allowedIpRanges: ['203.0.113.10/32'] },
        existing: { encryptionKey: i.key, artifactStore: i.store, imageRegistry: i.registry, identity: i.identity },
      });
      new AzureGithubCiIdentity(stack, 'Ci', {
        platform: p,
        naming: NAMING,
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        tenantId: TENANT,
        repository: 'contoso/ml-platform',
        environments: ['dev'],
      });
    });
    const admin = resourcesOf(json, 'azurerm_role_assignment').filter((a) => a.role_definition_name === 'Role Based Access Control Administrator');
    expect(admin.map((a) => a.scope)).toHaveLength(4);
    expect(admin.map((a) => a.scope)).toEqual(expect.arrayContaining([ACCOUNT_ID, REGISTRY_ID, VAULT_ID, expect.stringMatching(/azurerm_resource_group\.Platform_ResourceGroup/)]));
    expect(new Set(admin.map((a) => a.condition)).size).toBe(1);
  });

  test('GIVEN imported resources in the imported resource group of the platform WHEN the CI identity is built THEN its rights on the resource group cover them (no extra assignment)', () => {
    const json = synthStack((stack) => {
      const rg = AzureResourceGroup.fromExisting(stack, 'Rg', { resourceGroupName: 'shared-rg', location: 'westeurope', subscriptionId: '22222222-0000-0000-0000-000000000000' });
      const i = importAll(stack, 'allowedRanges');
      const p = new AzureMlPlatform(stack, 'Platform', {
        naming: NAMING,
        region: 'westeurope',
        tenantId: TENANT,
        deployers: [ME],
        network: { mode: 'firewalled', allowedIpRanges: ['203.0.113.10/32'] },
        existing: { resourceGroup: rg, encryptionKey: i.key, artifactStore: i.store },
      });
      new AzureGithubCiIdentity(stack, 'Ci', {
        platform: p,
        naming: NAMING,
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        tenantId: TENANT,
        repository: 'contoso/ml-platform',
        environments: ['dev'],
      });
    });
    const admin = resourcesOf(json, 'azurerm_role_assignment').filter((a) => a.role_definition_name === 'Role Based Access Control Administrator');
    expect(admin.map((a) => a.scope)).toEqual(['/subscriptions/22222222-0000-0000-0000-000000000000/resourceGroups/shared-rg']);
  });
});
