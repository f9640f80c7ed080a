import { Construct } from 'constructs';
import { AzureArtifactStore } from '../lib/azure/artifact-store';
import { AzureEncryptionKey } from '../lib/azure/encryption-key';
import { AzureWorkloadIdentity } from '../lib/azure/identity';
import { AzureImageRegistry } from '../lib/azure/image-registry';
import { AzureNetwork } from '../lib/azure/network';
import { AzureModelRegistry } from '../lib/azure/model-registry';
import { AzureMlPlatform } from '../lib/azure/platform';
import { AzureResourceGroup } from '../lib/azure/resource-group';
import { AzureTrainingCompute } from '../lib/azure/training-compute';
import { MlopsValidationError } from '../lib/core/errors';
import { onlyResource, resourcesOf, synthStack, validationError } from './util';

/**
 * Names (issue 12, item 6) on Azure: every resource construct takes
 * `physicalName` (plus a documented second prop where it names two
 * resources), checked against the Azure limits of its kind.
 */

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const TENANT = '11111111-2222-3333-4444-555555555555';

function errorOf(fn: () => unknown): MlopsValidationError {
  return validationError(fn);
}

const rgOf = (s: Construct) => AzureResourceGroup.fromName(s, 'Rg', 'team-rg', 'westeurope');

describe('physicalName on each Azure resource construct', () => {
  test.each([
    [
      'AzureResourceGroup',
      'azurerm_resource_group',
      'Team-ML_rg.01',
      (s: Construct, name: string) => new AzureResourceGroup(s, 'X', { naming: NAMING, location: 'westeurope', physicalName: name }),
    ],
    [
      'AzureEncryptionKey',
      'azurerm_key_vault',
      'team-ml-kv',
      (s: Construct, name: string) => new AzureEncryptionKey(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), tenantId: TENANT, physicalName: name }),
    ],
    [
      'AzureArtifactStore',
      'azurerm_storage_account',
      'teammlstore01',
      (s: Construct, name: string) => new AzureArtifactStore(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), customerManagedKey: false, physicalName: name }),
    ],
    [
      'AzureImageRegistry',
      'azurerm_container_registry',
      'TeamMlRegistry',
      (s: Construct, name: string) => new AzureImageRegistry(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), customerManagedKey: false, physicalName: name }),
    ],
    [
      'AzureWorkloadIdentity',
      'azurerm_user_assigned_identity',
      'team_ml-jobs',
      (s: Construct, name: string) => new AzureWorkloadIdentity(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), physicalName: name }),
    ],
    [
      'AzureNetwork',
      'azurerm_virtual_network',
      'spoke-ml.vnet_',
      (s: Construct, name: string) => new AzureNetwork(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), physicalName: name }),
    ],
  ])('GIVEN %s with a physicalName WHEN synthesized THEN the resource has exactly that name', (_construct, type, name, make) => {
    const json = synthStack((stack) => void make(stack, name));
    expect(onlyResource(json, type).name).toBe(name);
  });

  test.each([
    [
      'AzureResourceGroup',
      'rg-ending-with-a-period.',
      /'physicalName' prop of AzureResourceGroup is not a valid Azure resource group name: it must be 1-90 characters.*not ending with a period/,
      (s: Construct, name: string) => new AzureResourceGroup(s, 'X', { naming: NAMING, location: 'westeurope', physicalName: name }),
    ],
    [
      'AzureEncryptionKey',
      'team--kv',
      /'physicalName' prop of AzureEncryptionKey is not a valid Azure Key Vault name: it must be 3-24 characters of letters, digits and single hyphens/,
      (s: Construct, name: string) => new AzureEncryptionKey(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), tenantId: TENANT, physicalName: name }),
    ],
    [
      'AzureArtifactStore',
      'Team-ML-Store',
      /'physicalName' prop of AzureArtifactStore is not a valid Azure storage account name: it must be 3-24 characters of lowercase letters and digits only\. Got "Team-ML-Store" \(13 characters\)/,
      (s: Construct, name: string) => new AzureArtifactStore(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), customerManagedKey: false, physicalName: name }),
    ],
    [
      'AzureArtifactStore',
      'a'.repeat(25),
      /\[MLOPS_NAME_TOO_LONG\].*storage account name: it must be 3-24 characters.*\(25 characters\)/,
      (s: Construct, name: string) => new AzureArtifactStore(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), customerManagedKey: false, physicalName: name }),
    ],
    [
      'AzureImageRegistry',
      'team-registry',
      /'physicalName' prop of AzureImageRegistry is not a valid Azure Container Registry name: it must be 5-50 characters of letters and digits only/,
      (s: Construct, name: string) => new AzureImageRegistry(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), customerManagedKey: false, physicalName: name }),
    ],
    [
      'AzureWorkloadIdentity',
      '1-jobs',
      /'physicalName' prop of AzureWorkloadIdentity is not a valid Azure managed identity name: it must be 3-128 characters/,
      (s: Construct, name: string) => new AzureWorkloadIdentity(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), physicalName: name }),
    ],
    [
      'AzureNetwork',
      'v',
      /'physicalName' prop of AzureNetwork is not a valid Azure virtual network name: it must be 2-64 characters/,
      (s: Construct, name: string) => new AzureNetwork(s, 'X', { naming: NAMING, resourceGroup: rgOf(s), physicalName: name }),
    ],
  ])('GIVEN %s with the physicalName %j WHEN built THEN it fails naming the prop, the value and the limit', (_construct, name, message, make) => {
    expect(() => synthStack((stack) => void make(stack, name))).toThrow(message);
  });

  test('GIVEN a key name WHEN synthesized THEN the key in the vault has it; a bad one is refused', () => {
    const json = synthStack((stack) => void new AzureEncryptionKey(stack, 'X', { naming: NAMING, resourceGroup: rgOf(stack), tenantId: TENANT, keyName: 'ml-cmk-2025' }));
    expect(onlyResource(json, 'azurerm_key_vault_key').name).toBe('ml-cmk-2025');
    expect(() => synthStack((stack) => void new AzureEncryptionKey(stack, 'X', { naming: NAMING, resourceGroup: rgOf(stack), tenantId: TENANT, keyName: 'ml_cmk' }))).toThrow(
      /'keyName'.*Azure Key Vault key name: it must be 1-127 characters of letters, digits and hyphens/,
    );
  });

  test('GIVEN a compute cluster name WHEN synthesized THEN the cluster has it; one over 16 characters is refused', () => {
    const build = (physicalName: string) =>
      synthStack((stack) => {
        const p = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, deployers: [] });
        new AzureTrainingCompute(stack, 'Gpu', { naming: NAMING, workspace: p.workspace, identity: p.identity, physicalName });
      });
    expect(
      resourcesOf(build('gpu-cluster'), 'azurerm_machine_learning_compute_cluster')
        .map((c) => c.name)
        .sort(),
    ).toEqual(['gpu-cluster', 'train-cluster']);
    expect(() => build('a-very-long-cluster-name')).toThrow(/'physicalName' prop of AzureTrainingCompute.*Azure ML compute cluster name: it must be 3-16 characters/);
  });

  test('GIVEN a model registry physicalName WHEN read access is granted THEN the custom model-reader role has that name', () => {
    const json = synthStack((stack) => {
      const p = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, deployers: [] });
      const registry = new AzureModelRegistry(stack, 'Models', { naming: NAMING, resourceGroup: p.resourceGroup, workspace: p.workspace, physicalName: 'ML model reader (team)' });
      registry.grantRead(p.identity);
    });
    expect(resourcesOf(json, 'azurerm_role_definition').map((r) => r.name)).toContain('ML model reader (team)');
    expect(() =>
      synthStack((stack) => {
        const p = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, deployers: [] });
        new AzureModelRegistry(stack, 'Models', { naming: NAMING, resourceGroup: p.resourceGroup, workspace: p.workspace, physicalName: 'readers/all' });
      }),
    ).toThrow(/'physicalName' prop of AzureModelRegistry is not a valid Azure custom role name/);
  });

  test('GIVEN a token physicalName WHEN built THEN it is not checked', () => {
    expect(() =>
      synthStack((stack) => {
        const other = new AzureResourceGroup(stack, 'Other', { naming: NAMING, location: 'westeurope' });
        new AzureResourceGroup(stack, 'X', { naming: NAMING, location: 'westeurope', physicalName: `${other.resourceGroupName}-2` });
      }),
    ).not.toThrow();
  });
});

describe('physical names of a whole platform', () => {
  test("GIVEN physicalNames WHEN synthesized THEN every created resource carries its override, and the rest keep the naming helper's names", () => {
    const json = synthStack(
      (stack) =>
        void new AzureMlPlatform(stack, 'Platform', {
          naming: NAMING,
          region: 'westeurope',
          tenantId: TENANT,
          deployers: [],
          network: { mode: 'private' },
          physicalNames: {
            resourceGroup: 'rg-ml-prod',
            keyVault: 'kv-ml-prod',
            key: 'cmk-ml',
            storageAccount: 'stmlprod',
            containerRegistry: 'crmlprod',
            workspace: 'mlw-prod',
            logAnalytics: 'log-ml-prod',
            applicationInsights: 'appi-ml-prod',
            identity: 'id-ml-jobs',
            serviceIdentity: 'id-ml-svc',
            computeCluster: 'train',
            virtualNetwork: 'vnet-ml-prod',
          },
        }),
    );
    expect(onlyResource(json, 'azurerm_resource_group').name).toBe('rg-ml-prod');
    expect(onlyResource(json, 'azurerm_key_vault').name).toBe('kv-ml-prod');
    expect(onlyResource(json, 'azurerm_key_vault_key').name).toBe('cmk-ml');
    expect(onlyResource(json, 'azurerm_storage_account').name).toBe('stmlprod');
    expect(onlyResource(json, 'azurerm_container_registry').name).toBe('crmlprod');
    expect(onlyResource(json, 'azurerm_machine_learning_workspace').name).toBe('mlw-prod');
    expect(onlyResource(json, 'azurerm_log_analytics_workspace').name).toBe('log-ml-prod');
    expect(onlyResource(json, 'azurerm_application_insights').name).toBe('appi-ml-prod');
    expect(
      resourcesOf(json, 'azurerm_user_assigned_identity')
        .map((i) => i.name)
        .sort(),
    ).toEqual(['id-ml-jobs', 'id-ml-svc']);
    expect(onlyResource(json, 'azurerm_machine_learning_compute_cluster').name).toBe('train');
    expect(onlyResource(json, 'azurerm_virtual_network').name).toBe('vnet-ml-prod');
    // Derived names follow the override: private endpoints are named after their resource.
    expect(resourcesOf(json, 'azurerm_private_endpoint').map((pe) => pe.name)).toContain('pe-stmlprod-blob');
    // Not overridden: the custom role keeps the naming helper's name.
    expect(onlyResource(json, 'azurerm_role_definition').name).toBe('contoso-mlops-dev-mlw-keyvault-data');
  });

  test('GIVEN bad physicalNames WHEN the platform is built THEN every problem is named at once, by the construct prop it feeds', () => {
    const err = errorOf(() =>
      synthStack(
        (stack) =>
          void new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, physicalNames: { storageAccount: 'st-ml', keyVault: '1kv' } }),
      ),
    );
    expect(err.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/^The 'physicalNames\.keyVault' prop of AzureMlPlatform is not a valid Azure Key Vault name: it must be 3-24 characters.*Got "1kv"/),
      expect.stringMatching(/^The 'physicalNames\.storageAccount' prop of AzureMlPlatform is not a valid Azure storage account name.*Got "st-ml"/),
    ]);
  });

  test('GIVEN an override for a name the naming helper could not build WHEN the platform is built THEN the override is used and the long name is not an error', () => {
    const long = { ...NAMING, environment: 'averylongenv' };
    const json = synthStack(
      (stack) =>
        void new AzureMlPlatform(stack, 'Platform', {
          naming: long,
          region: 'westeurope',
          tenantId: TENANT,
          deployers: [],
          physicalNames: { storageAccount: 'stmllong', keyVault: 'kv-ml-long' },
        }),
    );
    expect(onlyResource(json, 'azurerm_storage_account').name).toBe('stmllong');
  });
});
