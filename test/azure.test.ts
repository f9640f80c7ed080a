import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../lib/core/contracts';
import { ComputeSize } from '../lib/core/sizes';
import {
  AZURE_FORBIDDEN_WORKLOAD_ROLES,
  AZURE_MODEL_READER_ACTIONS,
  AZURE_SECURITY_DEFAULTS,
  AzureArtifactStore,
  AzureArtifactStoreProps,
  AzureEncryptionKey,
  AzureEncryptionKeyProps,
  AzureImageRegistry,
  AzureImageRegistryProps,
  AzureMlPlatform,
  AzureMlPlatformProps,
  AzureMlWorkspace,
  AzureMlWorkspaceProps,
  AzureModelRegistry,
  AzureResourceGroup,
  AzureTrainingCompute,
  AzureTrainingComputeProps,
  AzureWorkloadIdentity,
} from '../lib/azure';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const TENANT = '11111111-2222-3333-4444-555555555555';

function synthPlatform(extra: Partial<AzureMlPlatformProps> = {}): SynthJson {
  return synthStack((stack) => {
    new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, ...extra });
  });
}

function buildPlatform(extra: Partial<AzureMlPlatformProps> = {}): void {
  synthStack((stack) => {
    new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, ...extra });
  });
}

/** Role assignments whose principal is the identity with the given construct id. */
function assignmentsOf(json: SynthJson, identityId: string): Record<string, any>[] {
  return resourcesOf(json, 'azurerm_role_assignment').filter((a) => String(a.principal_id).includes(`azurerm_user_assigned_identity.Platform_${identityId}_`));
}

/** `[role, scope resource type]` pairs of the identity's role assignments. */
function grantsOf(json: SynthJson, identityId: string): string[] {
  return assignmentsOf(json, identityId)
    .map((a) => `${a.role_definition_name ?? 'custom'} @ ${String(a.scope).match(/\$\{(\w+)\./)?.[1]}`)
    .sort();
}

const STATEFUL = [
  'azurerm_storage_account',
  'azurerm_storage_container',
  'azurerm_key_vault',
  'azurerm_key_vault_key',
  'azurerm_container_registry',
  'azurerm_machine_learning_workspace',
];

/** A workload identity of another cloud. */
class ForeignIdentity extends Construct implements IWorkloadIdentity {
  public readonly cloud = 'aws' as const;
  public readonly identityName = 'role';
  public readonly identityId = 'arn:aws:iam::123456789012:role/role';
  public readonly principal = 'arn:aws:iam::123456789012:role/role';
}

/** The assertion behind each entry of AZURE_SECURITY_DEFAULTS, by id. */
const ASSERT_DEFAULT: Record<string, (json: SynthJson) => void> = {
  'workspace-public-access': (json) => {
    expect(onlyResource(json, 'azurerm_machine_learning_workspace').public_network_access_enabled).toBe(false);
  },
  'workspace-cmk': (json) => {
    const ws = onlyResource(json, 'azurerm_machine_learning_workspace');
    // Versionless: the workspace follows the key's rotation.
    expect(ws.encryption.key_id).toMatch(/azurerm_key_vault_key\.\w+\.versionless_id/);
    expect(ws.encryption.key_vault_id).toMatch(/azurerm_key_vault\.\w+\.id/);
    expect(ws.encryption.user_assigned_identity_id).toMatch(/azurerm_user_assigned_identity\.Platform_ServiceIdentity_\w+\.id/);
    expect(ws.identity).toEqual({ type: 'UserAssigned', identity_ids: [ws.primary_user_assigned_identity] });
  },
  'workspace-managed-network': (json) => {
    expect(onlyResource(json, 'azurerm_machine_learning_workspace').managed_network).toEqual({
      isolation_mode: 'AllowOnlyApprovedOutbound',
      provision_on_creation_enabled: true,
    });
  },
  'workspace-diagnostics': (json) => {
    const diag = onlyResource(json, 'azurerm_monitor_diagnostic_setting');
    expect(diag.target_resource_id).toMatch(/azurerm_machine_learning_workspace\.\w+\.id/);
    expect(diag.log_analytics_workspace_id).toMatch(/azurerm_log_analytics_workspace\.\w+\.id/);
    expect(diag.enabled_log).toEqual([{ category_group: 'allLogs' }]);
    expect(onlyResource(json, 'azurerm_application_insights').workspace_id).toMatch(/azurerm_log_analytics_workspace\.\w+\.id/);
  },
  'compute-local-auth': (json) => {
    expect(onlyResource(json, 'azurerm_machine_learning_compute_cluster').local_auth_enabled).toBe(false);
  },
  'compute-min-nodes': (json) => {
    expect(onlyResource(json, 'azurerm_machine_learning_compute_cluster').scale_settings.min_node_count).toBe(0);
  },
  'compute-no-public-ssh': (json) => {
    const cluster = onlyResource(json, 'azurerm_machine_learning_compute_cluster');
    expect(cluster.ssh_public_access_enabled).toBe(false);
    expect(cluster.ssh).toBeUndefined();
  },
  'compute-no-node-public-ip': (json) => {
    expect(onlyResource(json, 'azurerm_machine_learning_compute_cluster').node_public_ip_enabled).toBe(false);
  },
  'registry-admin-off': (json) => {
    expect(onlyResource(json, 'azurerm_container_registry').admin_enabled).toBe(false);
  },
  'registry-anonymous-pull-off': (json) => {
    expect(onlyResource(json, 'azurerm_container_registry').anonymous_pull_enabled).toBe(false);
  },
  'registry-public-access': (json) => {
    const acr = onlyResource(json, 'azurerm_container_registry');
    expect(acr.public_network_access_enabled).toBe(false);
    expect(acr.network_rule_set).toEqual([{ default_action: 'Deny', ip_rule: [] }]);
  },
  'registry-cmk': (json) => {
    const acr = onlyResource(json, 'azurerm_container_registry');
    expect(acr.sku).toBe('Premium');
    expect(acr.encryption[0].key_vault_key_id).toMatch(/azurerm_key_vault_key\.\w+\.versionless_id/);
    expect(acr.encryption[0].identity_client_id).toMatch(/Platform_ServiceIdentity_\w+\.client_id/);
    expect(acr.depends_on.some((d: string) => d.startsWith('azurerm_role_assignment.Platform_Key_'))).toBe(true);
  },
  'registry-retention': (json) => {
    expect(onlyResource(json, 'azurerm_container_registry').retention_policy_in_days).toBe(7);
  },
  'registry-data-endpoint': (json) => {
    expect(onlyResource(json, 'azurerm_container_registry').data_endpoint_enabled).toBe(true);
  },
  'storage-https-only': (json) => {
    expect(onlyResource(json, 'azurerm_storage_account').https_traffic_only_enabled).toBe(true);
  },
  'storage-tls12': (json) => {
    expect(onlyResource(json, 'azurerm_storage_account').min_tls_version).toBe('TLS1_2');
  },
  'storage-no-shared-key': (json) => {
    const st = onlyResource(json, 'azurerm_storage_account');
    expect(st.shared_access_key_enabled).toBe(false);
    expect(st.default_to_oauth_authentication).toBe(true);
  },
  'storage-no-local-users': (json) => {
    expect(onlyResource(json, 'azurerm_storage_account').local_user_enabled).toBe(false);
  },
  'storage-no-public-blobs': (json) => {
    expect(onlyResource(json, 'azurerm_storage_account').allow_nested_items_to_be_public).toBe(false);
    expect(onlyResource(json, 'azurerm_storage_container').container_access_type).toBe('private');
  },
  'storage-public-access': (json) => {
    expect(onlyResource(json, 'azurerm_storage_account').public_network_access_enabled).toBe(false);
  },
  'storage-firewall': (json) => {
    expect(onlyResource(json, 'azurerm_storage_account').network_rules).toEqual({
      default_action: 'Deny',
      bypass: ['AzureServices'],
      ip_rules: [],
    });
  },
  'storage-soft-delete': (json) => {
    const blob = onlyResource(json, 'azurerm_storage_account').blob_properties;
    expect(blob.delete_retention_policy.days).toBe(30);
    expect(blob.container_delete_retention_policy.days).toBe(30);
  },
  'storage-versioning': (json) => {
    expect(onlyResource(json, 'azurerm_storage_account').blob_properties.versioning_enabled).toBe(true);
  },
  'storage-infrastructure-encryption': (json) => {
    expect(onlyResource(json, 'azurerm_storage_account').infrastructure_encryption_enabled).toBe(true);
  },
  'storage-cmk': (json) => {
    const st = onlyResource(json, 'azurerm_storage_account');
    expect(st.customer_managed_key.key_vault_key_id).toMatch(/azurerm_key_vault_key\.\w+\.versionless_id/);
    expect(st.customer_managed_key.user_assigned_identity_id).toMatch(/Platform_ServiceIdentity_\w+\.id/);
    expect(st.identity.identity_ids).toEqual([st.customer_managed_key.user_assigned_identity_id]);
    const keyAccess = resourcesOf(json, 'azurerm_role_assignment').filter(
      (a) => a.role_definition_name === 'Key Vault Crypto Service Encryption User' && String(a.principal_id).includes('Platform_ServiceIdentity_'),
    );
    expect(keyAccess).toHaveLength(1);
    expect(keyAccess[0]!.scope).toMatch(/azurerm_key_vault_key\.\w+\.resource_versionless_id/);
    expect(st.depends_on.some((d: string) => d.startsWith('azurerm_role_assignment.Platform_Key_'))).toBe(true);
  },
  'keyvault-rbac': (json) => {
    const kv = onlyResource(json, 'azurerm_key_vault');
    expect(kv.rbac_authorization_enabled).toBe(true);
    expect(kv.access_policy).toBeUndefined();
  },
  'keyvault-purge-protection': (json) => {
    expect(onlyResource(json, 'azurerm_key_vault').purge_protection_enabled).toBe(true);
  },
  'keyvault-soft-delete': (json) => {
    expect(onlyResource(json, 'azurerm_key_vault').soft_delete_retention_days).toBe(90);
  },
  'keyvault-firewall': (json) => {
    const kv = onlyResource(json, 'azurerm_key_vault');
    expect(kv.public_network_access_enabled).toBe(false);
    expect(kv.network_acls).toEqual({ bypass: 'AzureServices', default_action: 'Deny', ip_rules: [] });
  },
  'key-expiry-rotation': (json) => {
    const key = onlyResource(json, 'azurerm_key_vault_key');
    expect(key.key_type).toBe('RSA');
    expect(key.key_size).toBe(3072);
    expect(key.expiration_date).toBe('${timeadd(timestamp(), "8760h")}');
    expect(key.rotation_policy).toEqual({ automatic: { time_before_expiry: 'P30D' }, expire_after: 'P365D', notify_before_expiry: 'P29D' });
  },
  'identity-scoped-grants': (json) => {
    const assignments = assignmentsOf(json, 'Identity');
    expect(assignments.length).toBeGreaterThan(0);
    for (const a of assignments) {
      expect(AZURE_FORBIDDEN_WORKLOAD_ROLES).not.toContain(a.role_definition_name);
      expect(a.scope).not.toMatch(/azurerm_resource_group|subscriptions\/[^/]+$/);
    }
    for (const a of resourcesOf(json, 'azurerm_role_assignment')) {
      expect(a.scope).not.toMatch(/azurerm_resource_group|^\/subscriptions\/[^/]+$/);
    }
  },
  'retain-data': (json) => {
    for (const type of STATEFUL) {
      for (const r of resourcesOf(json, type)) expect(r.lifecycle?.prevent_destroy).toBe(true);
    }
  },
};

/** Props to set on the resource constructs that {@link synthParts} builds, by construct class name. */
interface PartOverrides {
  readonly AzureEncryptionKey?: Partial<AzureEncryptionKeyProps>;
  readonly AzureArtifactStore?: Partial<AzureArtifactStoreProps>;
  readonly AzureImageRegistry?: Partial<AzureImageRegistryProps>;
  readonly AzureMlWorkspace?: Partial<AzureMlWorkspaceProps>;
  readonly AzureTrainingCompute?: Partial<AzureTrainingComputeProps>;
}

/**
 * Builds the platform from its resource constructs, with the platform's
 * construct ids and grants, so the ASSERT_DEFAULT checks apply unchanged;
 * `over` sets props on single constructs.
 */
function synthParts(over: PartOverrides = {}): SynthJson {
  return synthStack((stack) => {
    const scope = new Construct(stack, 'Platform');
    const resourceGroup = new AzureResourceGroup(scope, 'ResourceGroup', { naming: NAMING, location: 'westeurope' });
    const base = { naming: NAMING, resourceGroup };
    const key = new AzureEncryptionKey(scope, 'Key', { ...base, tenantId: TENANT, ...over.AzureEncryptionKey });
    const svc = new AzureWorkloadIdentity(scope, 'ServiceIdentity', { ...base, resource: 'id-svc' });
    const identity = new AzureWorkloadIdentity(scope, 'Identity', base);
    const encryption = { encryptionKey: key, encryptionIdentity: svc };
    const store = new AzureArtifactStore(scope, 'ArtifactStore', { ...base, ...encryption, ...over.AzureArtifactStore });
    const registry = new AzureImageRegistry(scope, 'ImageRegistry', { ...base, ...encryption, ...over.AzureImageRegistry });
    const workspace = new AzureMlWorkspace(scope, 'Workspace', {
      ...base,
      encryptionKey: key,
      serviceIdentity: svc,
      artifactStore: store,
      imageRegistry: registry,
      ...over.AzureMlWorkspace,
    });
    const models = new AzureModelRegistry(scope, 'ModelRegistry', { ...base, workspace });
    new AzureTrainingCompute(scope, 'TrainingCompute', { naming: NAMING, workspace, identity, ...over.AzureTrainingCompute });
    store.grantReadWrite(identity);
    registry.grantPull(identity);
    models.grantWrite(identity);
    workspace.grantUse(identity);
    key.grantEncryptDecrypt(identity);
  });
}

/** Customer-managed keys off on every store that uses the key (what a key without purge protection needs). */
const NO_CMK: PartOverrides = {
  AzureArtifactStore: { customerManagedKey: false },
  AzureImageRegistry: { customerManagedKey: false },
  AzureMlWorkspace: { customerManagedKey: false },
};

/** How each relaxable entry of AZURE_SECURITY_DEFAULTS is relaxed, by id. */
interface Relaxation {
  /** The value its `relaxedBy` prop is set to. */
  readonly value: unknown;
  /** Other props the relaxation needs. */
  readonly also?: PartOverrides;
  /** What the relaxed synthesized JSON shows. */
  readonly check: (json: SynthJson) => void;
}

/** The relaxation test behind each entry of AZURE_SECURITY_DEFAULTS that has `relaxedBy`, by id. */
const RELAX: Record<string, Relaxation> = {
  'workspace-public-access': {
    value: true,
    check: (json) => expect(onlyResource(json, 'azurerm_machine_learning_workspace').public_network_access_enabled).toBe(true),
  },
  'workspace-cmk': {
    value: false,
    check: (json) => {
      const ws = onlyResource(json, 'azurerm_machine_learning_workspace');
      expect(ws.encryption).toBeUndefined();
      expect(ws.key_vault_id).toMatch(/azurerm_key_vault\.\w+\.id/);
    },
  },
  'workspace-managed-network': {
    value: false,
    check: (json) => expect(onlyResource(json, 'azurerm_machine_learning_workspace').managed_network).toEqual({ isolation_mode: 'Disabled' }),
  },
  'workspace-diagnostics': {
    value: false,
    check: (json) => {
      expect(resourcesOf(json, 'azurerm_monitor_diagnostic_setting')).toHaveLength(0);
      expect(onlyResource(json, 'azurerm_application_insights').workspace_id).toMatch(/azurerm_log_analytics_workspace\.\w+\.id/);
    },
  },
  'compute-local-auth': {
    value: true,
    check: (json) => expect(onlyResource(json, 'azurerm_machine_learning_compute_cluster').local_auth_enabled).toBe(true),
  },
  'compute-min-nodes': {
    value: 1,
    check: (json) => expect(onlyResource(json, 'azurerm_machine_learning_compute_cluster').scale_settings.min_node_count).toBe(1),
  },
  'compute-no-node-public-ip': {
    value: false,
    check: (json) => expect(onlyResource(json, 'azurerm_machine_learning_compute_cluster').node_public_ip_enabled).toBe(true),
  },
  'registry-admin-off': {
    value: true,
    check: (json) => expect(onlyResource(json, 'azurerm_container_registry').admin_enabled).toBe(true),
  },
  'registry-anonymous-pull-off': {
    value: true,
    check: (json) => expect(onlyResource(json, 'azurerm_container_registry').anonymous_pull_enabled).toBe(true),
  },
  'registry-public-access': {
    value: true,
    check: (json) => {
      const acr = onlyResource(json, 'azurerm_container_registry');
      expect(acr.public_network_access_enabled).toBe(true);
      expect(acr.network_rule_set[0].default_action).toBe('Allow');
    },
  },
  'registry-cmk': {
    value: false,
    check: (json) => {
      const acr = onlyResource(json, 'azurerm_container_registry');
      expect(acr.encryption).toBeUndefined();
      expect(acr.identity).toBeUndefined();
      expect(acr.depends_on).toBeUndefined();
    },
  },
  'registry-retention': {
    value: 30,
    check: (json) => expect(onlyResource(json, 'azurerm_container_registry').retention_policy_in_days).toBe(30),
  },
  'registry-data-endpoint': {
    value: false,
    check: (json) => expect(onlyResource(json, 'azurerm_container_registry').data_endpoint_enabled).toBe(false),
  },
  'storage-https-only': {
    value: false,
    check: (json) => expect(onlyResource(json, 'azurerm_storage_account').https_traffic_only_enabled).toBe(false),
  },
  'storage-tls12': {
    value: 'TLS1_1',
    check: (json) => expect(onlyResource(json, 'azurerm_storage_account').min_tls_version).toBe('TLS1_1'),
  },
  'storage-no-shared-key': {
    value: true,
    check: (json) => expect(onlyResource(json, 'azurerm_storage_account').shared_access_key_enabled).toBe(true),
  },
  'storage-no-local-users': {
    value: true,
    check: (json) => expect(onlyResource(json, 'azurerm_storage_account').local_user_enabled).toBe(true),
  },
  'storage-no-public-blobs': {
    value: true,
    check: (json) => {
      expect(onlyResource(json, 'azurerm_storage_account').allow_nested_items_to_be_public).toBe(true);
      expect(onlyResource(json, 'azurerm_storage_container').container_access_type).toBe('blob');
    },
  },
  'storage-public-access': {
    value: true,
    check: (json) => expect(onlyResource(json, 'azurerm_storage_account').public_network_access_enabled).toBe(true),
  },
  'storage-firewall': {
    value: true,
    check: (json) => expect(onlyResource(json, 'azurerm_storage_account').network_rules.default_action).toBe('Allow'),
  },
  'storage-soft-delete': {
    value: 7,
    check: (json) => {
      const blob = onlyResource(json, 'azurerm_storage_account').blob_properties;
      expect(blob.delete_retention_policy.days).toBe(7);
      expect(blob.container_delete_retention_policy.days).toBe(7);
    },
  },
  'storage-versioning': {
    value: false,
    check: (json) => expect(onlyResource(json, 'azurerm_storage_account').blob_properties.versioning_enabled).toBe(false),
  },
  'storage-infrastructure-encryption': {
    value: false,
    check: (json) => expect(onlyResource(json, 'azurerm_storage_account').infrastructure_encryption_enabled).toBe(false),
  },
  'storage-cmk': {
    value: false,
    check: (json) => {
      const st = onlyResource(json, 'azurerm_storage_account');
      expect(st.customer_managed_key).toBeUndefined();
      expect(st.identity).toBeUndefined();
      expect(st.depends_on).toBeUndefined();
    },
  },
  'keyvault-purge-protection': {
    value: false,
    also: NO_CMK,
    check: (json) => expect(onlyResource(json, 'azurerm_key_vault').purge_protection_enabled).toBe(false),
  },
  'keyvault-soft-delete': {
    value: false,
    check: (json) => expect(onlyResource(json, 'azurerm_key_vault').soft_delete_retention_days).toBe(7),
  },
  'keyvault-firewall': {
    value: true,
    check: (json) => {
      const kv = onlyResource(json, 'azurerm_key_vault');
      expect(kv.public_network_access_enabled).toBe(true);
      expect(kv.network_acls.default_action).toBe('Allow');
    },
  },
  'key-expiry-rotation': {
    value: 730,
    check: (json) => {
      const key = onlyResource(json, 'azurerm_key_vault_key');
      expect(key.expiration_date).toBe('${timeadd(timestamp(), "17520h")}');
      expect(key.rotation_policy.expire_after).toBe('P730D');
    },
  },
  'retain-data': {
    value: false,
    check: (json) => {
      for (const type of STATEFUL) for (const r of resourcesOf(json, type)) expect(r.lifecycle?.prevent_destroy).toBeUndefined();
    },
  },
};

/** Synthesizes the platform with the `relaxedBy` prop (`Construct.prop`) set to `value`. */
function synthRelaxed(relaxedBy: string, value: unknown, also: PartOverrides = {}): SynthJson {
  const [construct, prop] = relaxedBy.split('.') as [string, string];
  if (construct === 'AzureMlPlatform') return synthPlatform({ [prop]: value } as Partial<AzureMlPlatformProps>);
  const over: Record<string, Record<string, unknown>> = { ...(also as Record<string, Record<string, unknown>>) };
  over[construct] = { ...over[construct], [prop]: value };
  return synthParts(over as PartOverrides);
}

const RULE_ID = /^(CKV2?_(AZURE|AWS|GCP)_\d+|AwsSolutions-[A-Z0-9]+|MLOPS_(AZURE|AWS|GCP)_[A-Z0-9_]+)$/;
const BUILDABLE = ['AzureMlPlatform', 'AzureEncryptionKey', 'AzureArtifactStore', 'AzureImageRegistry', 'AzureMlWorkspace', 'AzureTrainingCompute'];

describe('AzureMlPlatform', () => {
  let json: SynthJson;
  beforeAll(() => {
    json = synthPlatform();
  });

  test('GIVEN default props WHEN synthesized THEN the Terraform matches the snapshot', () => {
    expect(json).toMatchSnapshot();
  });

  test('GIVEN default props WHEN synthesized THEN every resource is named by the naming helper', () => {
    expect(onlyResource(json, 'azurerm_resource_group').name).toBe('contoso-mlops-dev-rg');
    expect(onlyResource(json, 'azurerm_storage_account').name).toBe('contosomlopsdevst');
    expect(onlyResource(json, 'azurerm_key_vault').name).toBe('contoso-mlops-dev-kv');
    expect(onlyResource(json, 'azurerm_container_registry').name).toBe('contosomlopsdevacr');
    expect(onlyResource(json, 'azurerm_machine_learning_workspace').name).toBe('contoso-mlops-dev-mlw');
    expect(onlyResource(json, 'azurerm_log_analytics_workspace').name).toBe('contoso-mlops-dev-log');
    expect(onlyResource(json, 'azurerm_application_insights').name).toBe('contoso-mlops-dev-appi');
    expect(
      resourcesOf(json, 'azurerm_user_assigned_identity')
        .map((i) => i.name)
        .sort(),
    ).toEqual(['contoso-mlops-dev-id', 'contoso-mlops-dev-id-svc']);
  });

  test('GIVEN the security defaults table WHEN listed THEN every entry has an assertion and every assertion an entry', () => {
    expect(Object.keys(ASSERT_DEFAULT).sort()).toEqual(AZURE_SECURITY_DEFAULTS.map((d) => d.id).sort());
    for (const d of AZURE_SECURITY_DEFAULTS) {
      expect(d.cloud).toBe('azure');
      if (d.relaxedBy) expect(d.relaxedBy).toMatch(/^Azure\w+\.\w+$/);
    }
  });

  test('GIVEN the security defaults table WHEN listed THEN ids are unique and every entry has rule ids and exactly one of relaxedBy and invariant', () => {
    expect(new Set(AZURE_SECURITY_DEFAULTS.map((d) => d.id)).size).toBe(AZURE_SECURITY_DEFAULTS.length);
    for (const d of AZURE_SECURITY_DEFAULTS) {
      expect({ id: d.id, hasRuleIds: d.ruleIds.length > 0 }).toEqual({ id: d.id, hasRuleIds: true });
      for (const rule of d.ruleIds) expect(rule).toMatch(RULE_ID);
      expect({ id: d.id, oneOf: (d.relaxedBy === undefined) !== (d.invariant === undefined) }).toEqual({ id: d.id, oneOf: true });
      if (d.invariant !== undefined) expect(d.invariant.length).toBeGreaterThan(20);
    }
  });

  test('GIVEN the security defaults table WHEN listed THEN every relaxable entry has a relaxation test and every relaxation test an entry', () => {
    const relaxable = AZURE_SECURITY_DEFAULTS.filter((d) => d.relaxedBy !== undefined);
    expect(Object.keys(RELAX).sort()).toEqual(relaxable.map((d) => d.id).sort());
    for (const d of relaxable) expect(BUILDABLE).toContain(d.relaxedBy!.split('.')[0]);
  });

  test.each(AZURE_SECURITY_DEFAULTS.map((d) => [d.id, d.ruleIds.join(', ')] as const))('GIVEN default props WHEN synthesized THEN the secure default %s (%s) holds', (id) => {
    // The registry's customer-managed key needs a vault its identity can reach: the platform uses it in public mode only.
    ASSERT_DEFAULT[id]!(id === 'registry-cmk' ? synthPlatform({ network: { mode: 'public' } }) : json);
  });

  test('GIVEN the default firewalled mode WHEN synthesized THEN the registry uses Microsoft-managed keys, since its user-assigned identity could not reach a firewalled vault at creation', () => {
    const acr = onlyResource(json, 'azurerm_container_registry');
    expect(acr.encryption).toBeUndefined();
    expect(onlyResource(json, 'azurerm_key_vault').network_acls.default_action).toBe('Deny');
    const forced = onlyResource(synthPlatform({ registryCustomerManagedKey: true }), 'azurerm_container_registry');
    expect(forced.encryption[0].key_vault_key_id).toMatch(/versionless_id/);
  });

  test('GIVEN default props WHEN synthesized THEN the workload identity gets exactly the scoped platform grants, including the key', () => {
    expect(grantsOf(json, 'Identity')).toEqual([
      'AcrPull @ azurerm_container_registry',
      'AzureML Data Scientist @ azurerm_machine_learning_workspace',
      'Key Vault Crypto User @ azurerm_key_vault_key',
      'Monitoring Metrics Publisher @ azurerm_application_insights',
      'Storage Blob Data Contributor @ azurerm_storage_account',
      'Storage Blob Data Contributor @ azurerm_storage_container',
    ]);
    // On the account only the system datastores' containers (identity-based access), by an ABAC condition.
    const system = assignmentsOf(json, 'Identity').find((a) => String(a.scope).includes('azurerm_storage_account.'))!;
    expect(system.condition).toContain("@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringStartsWith 'azureml'");
    expect(system.condition_version).toBe('2.0');
    const keyGrant = assignmentsOf(json, 'Identity').find((a) => a.role_definition_name === 'Key Vault Crypto User')!;
    expect(keyGrant.scope).toMatch(/azurerm_key_vault_key\.\w+\.resource_versionless_id/);
    expect(keyGrant.principal_type).toBe('ServicePrincipal');
  });

  test('GIVEN default props WHEN synthesized THEN the service identity gets the Azure ML workspace roles scoped to each attached resource', () => {
    expect(grantsOf(json, 'ServiceIdentity')).toEqual([
      'Contributor @ azurerm_application_insights',
      'Contributor @ azurerm_container_registry',
      'Contributor @ azurerm_key_vault',
      'Contributor @ azurerm_storage_account',
      'Key Vault Crypto Service Encryption User @ azurerm_key_vault_key',
      'Storage Blob Data Contributor @ azurerm_storage_account',
      'custom @ azurerm_key_vault',
    ]);
    // Not 'Key Vault Administrator': the custom role of every Key Vault data action except purge.
    const kvRole = resourcesOf(json, 'azurerm_role_definition').find((r) => r.name === 'contoso-mlops-dev-mlw-keyvault-data')!;
    expect(kvRole.permissions[0].not_data_actions).toEqual([
      'Microsoft.KeyVault/vaults/secrets/purge/action',
      'Microsoft.KeyVault/vaults/keys/purge/action',
      'Microsoft.KeyVault/vaults/certificates/purge/action',
    ]);
    const custom = assignmentsOf(json, 'ServiceIdentity').find((a) => a.role_definition_id)!;
    expect(custom.role_definition_id).toMatch(/azurerm_role_definition\.Platform_Workspace_KeyVaultDataRole_\w+\.role_definition_resource_id/);
    const ws = onlyResource(json, 'azurerm_machine_learning_workspace');
    expect(ws.depends_on.filter((d: string) => d.startsWith('azurerm_role_assignment.'))).toHaveLength(7);
  });

  test('GIVEN no deployers WHEN synthesized THEN the principal running Terraform gets Key Vault Crypto Officer on the vault before the key is created', () => {
    expect(Object.keys(json.data?.azurerm_client_config ?? {})).toHaveLength(1);
    const officer = resourcesOf(json, 'azurerm_role_assignment').filter((a) => a.role_definition_name === 'Key Vault Crypto Officer');
    expect(officer).toHaveLength(1);
    expect(officer[0]!.principal_id).toMatch(/data\.azurerm_client_config\.\w+\.object_id/);
    expect(officer[0]!.scope).toMatch(/azurerm_key_vault\.\w+\.id/);
    const key = onlyResource(json, 'azurerm_key_vault_key');
    expect(key.depends_on).toEqual([expect.stringMatching(/^azurerm_role_assignment\.Platform_Key_DeployKeyVaultCryptoOfficer-/)]);
  });

  test('GIVEN explicit deployers WHEN synthesized THEN each gets Key Vault Crypto Officer and no client config is read', () => {
    const admins = ['aaaaaaaa-0000-0000-0000-000000000001', 'aaaaaaaa-0000-0000-0000-000000000002'];
    const out = synthPlatform({ deployers: admins });
    expect(out.data?.azurerm_client_config).toBeUndefined();
    const officer = resourcesOf(out, 'azurerm_role_assignment').filter((a) => a.role_definition_name === 'Key Vault Crypto Officer');
    expect(officer.map((a) => a.principal_id).sort()).toEqual(admins);
    expect(onlyResource(out, 'azurerm_key_vault_key').depends_on).toHaveLength(2);
  });

  test('GIVEN training options WHEN synthesized THEN the cluster uses the Azure VM size, low priority and max nodes', () => {
    const out = synthPlatform({ training: { size: ComputeSize.gpu(), maxNodes: 8, lowPriority: true } });
    const cluster = onlyResource(out, 'azurerm_machine_learning_compute_cluster');
    expect(cluster.vm_size).toBe('Standard_NC4as_T4_v3');
    expect(cluster.vm_priority).toBe('LowPriority');
    expect(cluster.scale_settings).toEqual({ min_node_count: 0, max_node_count: 8, scale_down_nodes_after_idle_duration: 'PT10M' });
    expect(cluster.identity.identity_ids[0]).toMatch(/Platform_Identity_\w+\.id/);
    expect(onlyResource(json, 'azurerm_machine_learning_compute_cluster').vm_priority).toBe('Dedicated');
  });

  describe('relaxing props', () => {
    test('GIVEN the platform built from its resource constructs with default props WHEN synthesized THEN every secure default holds', () => {
      const parts = synthParts();
      for (const d of AZURE_SECURITY_DEFAULTS) ASSERT_DEFAULT[d.id]!(parts);
    });

    test.each(AZURE_SECURITY_DEFAULTS.filter((d) => d.relaxedBy !== undefined).map((d) => [d.id, d.relaxedBy!] as const))(
      'GIVEN the secure default %s WHEN %s is set THEN the setting is relaxed',
      (id, relaxedBy) => {
        const relaxation = RELAX[id]!;
        const out = synthRelaxed(relaxedBy, relaxation.value, relaxation.also);
        relaxation.check(out);
        expect(() => ASSERT_DEFAULT[id]!(out)).toThrow();
      },
    );

    test('GIVEN customerManagedKey false on every store WHEN grants are made THEN nothing is assigned on the key except the platform key grant', () => {
      const out = synthParts({ ...NO_CMK, AzureEncryptionKey: { purgeProtection: false } });
      const onKey = resourcesOf(out, 'azurerm_role_assignment').filter((a) => String(a.scope).includes('azurerm_key_vault_key.'));
      expect(onKey.map((a) => `${a.role_definition_name} -> ${String(a.principal_id).match(/Platform_(\w+?)_/)?.[1]}`)).toEqual(['Key Vault Crypto User -> Identity']);
      expect(onlyResource(out, 'azurerm_machine_learning_workspace').depends_on).toHaveLength(6);
    });

    test('GIVEN customerManagedKey false on the artifact store WHEN grantRead THEN the identity gets the container role and no key role', () => {
      const out = synthStack((stack) => {
        const resourceGroup = new AzureResourceGroup(stack, 'Rg', { naming: NAMING, location: 'westeurope' });
        const store = new AzureArtifactStore(stack, 'Store', { naming: NAMING, resourceGroup, customerManagedKey: false });
        const registry = new AzureImageRegistry(stack, 'Registry', { naming: NAMING, resourceGroup, customerManagedKey: false });
        const reader = new AzureWorkloadIdentity(stack, 'Reader', { naming: NAMING, resourceGroup });
        store.grantRead(reader);
        registry.grantPush(reader);
      });
      expect(resourcesOf(out, 'azurerm_key_vault_key')).toHaveLength(0);
      expect(
        resourcesOf(out, 'azurerm_role_assignment')
          .map((a) => a.role_definition_name)
          .sort(),
      ).toEqual(['AcrPush', 'Storage Blob Data Reader']);
    });

    test('GIVEN network mode public WHEN synthesized THEN workspace, storage, Key Vault and registry are reachable from public networks', () => {
      const out = synthPlatform({ network: { mode: 'public' } });
      expect(onlyResource(out, 'azurerm_machine_learning_workspace').public_network_access_enabled).toBe(true);
      const st = onlyResource(out, 'azurerm_storage_account');
      expect(st.public_network_access_enabled).toBe(true);
      expect(st.network_rules.default_action).toBe('Allow');
      const kv = onlyResource(out, 'azurerm_key_vault');
      expect(kv.public_network_access_enabled).toBe(true);
      expect(kv.network_acls.default_action).toBe('Allow');
      const acr = onlyResource(out, 'azurerm_container_registry');
      expect(acr.public_network_access_enabled).toBe(true);
      expect(acr.network_rule_set[0].default_action).toBe('Allow');
    });

    test('GIVEN allowedIpRanges WHEN synthesized THEN the firewalls stay default Deny and let only those ranges through', () => {
      const out = synthPlatform({ network: { allowedIpRanges: ['203.0.113.0/24', '198.51.100.7/32', '198.51.100.9'] } });
      const st = onlyResource(out, 'azurerm_storage_account');
      expect(st.public_network_access_enabled).toBe(true);
      expect(st.network_rules).toEqual({ default_action: 'Deny', bypass: ['AzureServices'], ip_rules: ['203.0.113.0/24', '198.51.100.7', '198.51.100.9'] });
      const kv = onlyResource(out, 'azurerm_key_vault');
      expect(kv.network_acls).toEqual({ bypass: 'AzureServices', default_action: 'Deny', ip_rules: ['203.0.113.0/24', '198.51.100.7/32', '198.51.100.9'] });
      const acr = onlyResource(out, 'azurerm_container_registry');
      expect(acr.network_rule_set[0].default_action).toBe('Deny');
      expect(acr.network_rule_set[0].ip_rule.map((r: any) => r.ip_range)).toEqual(['203.0.113.0/24', '198.51.100.7/32', '198.51.100.9']);
      // Created private; the release step opens it to the ranges (Azure ML takes IP rules only after creation).
      const ws = onlyResource(out, 'azurerm_machine_learning_workspace');
      expect(ws.public_network_access_enabled).toBe(false);
      expect(ws.lifecycle.ignore_changes).toEqual(['public_network_access_enabled']);
    });

    test('GIVEN retainData false WHEN synthesized THEN no stateful store has prevent_destroy and the vault keeps deleted items 7 days', () => {
      const out = synthPlatform({ retainData: false });
      for (const type of STATEFUL) {
        const all = resourcesOf(out, type);
        expect(all.length).toBeGreaterThan(0);
        for (const r of all) expect(r.lifecycle?.prevent_destroy).toBeUndefined();
      }
      expect(onlyResource(out, 'azurerm_key_vault').soft_delete_retention_days).toBe(7);
      expect(onlyResource(out, 'azurerm_key_vault_key').lifecycle).toEqual({ ignore_changes: ['expiration_date'] });
    });

    test('GIVEN retainData true WHEN synthesized THEN every stateful store has prevent_destroy', () => {
      for (const type of STATEFUL) {
        const all = resourcesOf(json, type);
        expect(all.length).toBeGreaterThan(0);
        for (const r of all) expect(r.lifecycle.prevent_destroy).toBe(true);
      }
    });

    test('GIVEN resource-construct relaxing props WHEN synthesized THEN each default is relaxed', () => {
      const out = synthStack((stack) => {
        const naming = NAMING;
        const resourceGroup = new AzureResourceGroup(stack, 'Rg', { naming, location: 'westeurope' });
        const base = { naming, resourceGroup };
        const key = new AzureEncryptionKey(stack, 'Key', { ...base, tenantId: TENANT, publicNetworkAccess: true, expireAfterDays: 90, keyAdministratorPrincipalIds: [] });
        const svc = new AzureWorkloadIdentity(stack, 'Svc', { ...base, resource: 'id-svc' });
        const id = new AzureWorkloadIdentity(stack, 'Id', base);
        const store = new AzureArtifactStore(stack, 'Store', { ...base, encryptionKey: key, encryptionIdentity: svc, publicNetworkAccess: true, softDeleteRetentionDays: 7 });
        const registry = new AzureImageRegistry(stack, 'Registry', {
          ...base,
          encryptionKey: key,
          encryptionIdentity: svc,
          publicNetworkAccess: true,
          untaggedImageRetentionDays: 30,
        });
        const workspace = new AzureMlWorkspace(stack, 'Ws', {
          ...base,
          encryptionKey: key,
          serviceIdentity: svc,
          artifactStore: store,
          imageRegistry: registry,
          publicNetworkAccess: true,
          managedNetworkIsolation: false,
        });
        new AzureTrainingCompute(stack, 'Compute', { naming, workspace, identity: id, localAuth: true, minNodes: 1 });
      });
      expect(onlyResource(out, 'azurerm_key_vault').network_acls.default_action).toBe('Allow');
      expect(onlyResource(out, 'azurerm_key_vault_key').rotation_policy.expire_after).toBe('P90D');
      expect(onlyResource(out, 'azurerm_storage_account').blob_properties.delete_retention_policy.days).toBe(7);
      expect(onlyResource(out, 'azurerm_container_registry').retention_policy_in_days).toBe(30);
      expect(onlyResource(out, 'azurerm_machine_learning_workspace').managed_network).toEqual({ isolation_mode: 'Disabled' });
      const cluster = onlyResource(out, 'azurerm_machine_learning_compute_cluster');
      expect(cluster.local_auth_enabled).toBe(true);
      expect(cluster.scale_settings.min_node_count).toBe(1);
      expect(cluster.node_public_ip_enabled).toBe(true);
    });
  });

  describe('grants', () => {
    function withStore(build: (store: AzureArtifactStore, registry: AzureImageRegistry, identity: AzureWorkloadIdentity, stack: TerraformStack) => void): SynthJson {
      return synthStack((stack) => {
        const base = { naming: NAMING, resourceGroup: new AzureResourceGroup(stack, 'Rg', { naming: NAMING, location: 'westeurope' }) };
        const key = new AzureEncryptionKey(stack, 'Key', { ...base, tenantId: TENANT });
        const svc = new AzureWorkloadIdentity(stack, 'Svc', { ...base, resource: 'id-svc' });
        const store = new AzureArtifactStore(stack, 'Store', { ...base, encryptionKey: key, encryptionIdentity: svc });
        const registry = new AzureImageRegistry(stack, 'Registry', { ...base, encryptionKey: key, encryptionIdentity: svc });
        build(store, registry, new AzureWorkloadIdentity(stack, 'Reader', base), stack);
      });
    }

    function rolesOf(out: SynthJson, principal: string): string[] {
      return resourcesOf(out, 'azurerm_role_assignment')
        .filter((a) => String(a.principal_id).includes(`azurerm_user_assigned_identity.${principal}_`))
        .map((a) => `${a.role_definition_name} @ ${String(a.scope).match(/\$\{(\w+)\./)?.[1]}`)
        .sort();
    }

    test('GIVEN an artifact store WHEN grantRead THEN the identity gets Storage Blob Data Reader on the container and the key', () => {
      const out = withStore((store, _r, reader) => store.grantRead(reader));
      expect(rolesOf(out, 'Reader')).toEqual(['Key Vault Crypto User @ azurerm_key_vault_key', 'Storage Blob Data Reader @ azurerm_storage_container']);
    });

    test('GIVEN a registry WHEN grantPush twice THEN the identity gets one AcrPush on the registry and the key', () => {
      const out = withStore((_s, registry, reader) => {
        registry.grantPush(reader);
        registry.grantPush(reader);
      });
      expect(rolesOf(out, 'Reader')).toEqual(['AcrPush @ azurerm_container_registry', 'Key Vault Crypto User @ azurerm_key_vault_key']);
    });

    test('GIVEN the model registry WHEN grantRead THEN a custom role with only model read actions is assigned on the workspace', () => {
      const out = synthStack((stack) => {
        const platform = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT });
        platform.modelRegistry.grantRead(new AzureWorkloadIdentity(stack, 'Viewer', { naming: NAMING, resourceGroup: platform.resourceGroup, resource: 'viewer' }));
      });
      const role = resourcesOf(out, 'azurerm_role_definition').find((r) => r.name === 'contoso-mlops-dev-mlw-model-reader')!;
      expect(role).toBeDefined();
      expect(role.permissions).toEqual([{ actions: [...AZURE_MODEL_READER_ACTIONS] }]);
      expect(role.permissions[0].actions.every((a: string) => !a.includes('*'))).toBe(true);
      const grant = resourcesOf(out, 'azurerm_role_assignment').find((a) => String(a.principal_id).includes('Viewer'))!;
      expect(grant.role_definition_id).toMatch(/azurerm_role_definition\.\w+\.role_definition_resource_id/);
      expect(grant.scope).toMatch(/azurerm_machine_learning_workspace\.\w+\.id/);
    });

    test.each([
      ['ArtifactStore.grantRead', (p: AzureMlPlatform, i: IWorkloadIdentity) => p.artifactStore.grantRead(i)],
      ['ArtifactStore.grantReadWrite', (p: AzureMlPlatform, i: IWorkloadIdentity) => p.artifactStore.grantReadWrite(i)],
      ['ImageRegistry.grantPull', (p: AzureMlPlatform, i: IWorkloadIdentity) => p.imageRegistry.grantPull(i)],
      ['ImageRegistry.grantPush', (p: AzureMlPlatform, i: IWorkloadIdentity) => p.imageRegistry.grantPush(i)],
      ['ModelRegistry.grantRead', (p: AzureMlPlatform, i: IWorkloadIdentity) => p.modelRegistry.grantRead(i)],
      ['ModelRegistry.grantWrite', (p: AzureMlPlatform, i: IWorkloadIdentity) => p.modelRegistry.grantWrite(i)],
      ['MlWorkspace.grantUse', (p: AzureMlPlatform, i: IWorkloadIdentity) => p.workspace.grantUse(i)],
      ['EncryptionKey.grantEncryptDecrypt', (p: AzureMlPlatform, i: IWorkloadIdentity) => p.encryptionKey.grantEncryptDecrypt(i)],
    ])('GIVEN an AWS identity WHEN %s THEN it throws MLOPS_CLOUD_MISMATCH', (operation, grant) => {
      expect(() =>
        synthStack((stack) => {
          const platform = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT });
          grant(platform, new ForeignIdentity(stack, 'AwsRole'));
        }),
      ).toThrow(new RegExp(`MLOPS_CLOUD_MISMATCH.*${operation.replace('.', '\\.')}`));
    });
  });

  describe('validation', () => {
    test('GIVEN training.maxNodes 0 WHEN built THEN it throws naming the prop', () => {
      expect(() => buildPlatform({ training: { maxNodes: 0 } })).toThrow(/MLOPS_PROP_INVALID.*'training\.maxNodes'.*Got 0/);
    });

    test('GIVEN a malformed CIDR in allowedIpRanges WHEN built THEN it throws naming the prop and the value', () => {
      expect(() => buildPlatform({ network: { allowedIpRanges: ['203.0.113.0/24', '300.1.2.3/24'] } })).toThrow(/'allowedIpRanges\[1\]'.*"300\.1\.2\.3\/24"/);
    });

    test('GIVEN a private range in allowedIpRanges WHEN built THEN it throws explaining private access', () => {
      expect(() => buildPlatform({ network: { allowedIpRanges: ['10.0.0.0/8'] } })).toThrow(/'allowedIpRanges\[0\]'.*private ranges/);
    });

    test('GIVEN several bad props WHEN built THEN one error lists every problem', () => {
      let error: any;
      try {
        buildPlatform({ tenantId: 'not-a-guid', region: 'West Europe', training: { maxNodes: 1.5 }, network: { allowedIpRanges: ['nope'] } });
      } catch (e) {
        error = e;
      }
      expect(error?.name).toBe('MlopsValidationError');
      expect(error.issues.map((i: any) => i.message.match(/'([^']+)' prop/)?.[1])).toEqual(['region', 'tenantId', 'allowedIpRanges[0]', 'training.maxNodes']);
    });

    test('GIVEN a naming that makes the storage account name too long WHEN built THEN it throws MLOPS_NAME_TOO_LONG', () => {
      expect(() => buildPlatform({ naming: { company: 'contosocorporation', project: 'mlops', environment: 'dev' } })).toThrow(/MLOPS_NAME_TOO_LONG.*storage account/);
    });

    test('GIVEN a compute with minNodes above maxNodes WHEN built THEN it throws naming minNodes', () => {
      expect(() =>
        synthStack((stack) => {
          const platform = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT });
          new AzureTrainingCompute(stack, 'Extra', { naming: NAMING, workspace: platform.workspace, identity: platform.identity, maxNodes: 2, minNodes: 3 });
        }),
      ).toThrow(/'minNodes' prop of AzureTrainingCompute.*Got 3/);
    });

    test('GIVEN a key without purge protection WHEN a store keeps customerManagedKey THEN it throws naming encryptionKey', () => {
      expect(() =>
        synthParts({ AzureEncryptionKey: { purgeProtection: false }, AzureMlWorkspace: { customerManagedKey: false }, AzureImageRegistry: { customerManagedKey: false } }),
      ).toThrow(
        /AzureArtifactStore.*'encryptionKey' prop of AzureArtifactStore must be a key whose vault has purge protection.*Got "contoso-mlops-dev-kv \(purgeProtection false\)"/s,
      );
    });

    test.each(['AzureArtifactStore', 'AzureImageRegistry'] as const)(
      'GIVEN a %s with customerManagedKey on and no key or identity WHEN built THEN it throws naming both props',
      (construct) => {
        let error: any;
        try {
          synthStack((stack) => {
            const resourceGroup = new AzureResourceGroup(stack, 'Rg', { naming: NAMING, location: 'westeurope' });
            if (construct === 'AzureArtifactStore') new AzureArtifactStore(stack, 'Store', { naming: NAMING, resourceGroup });
            else new AzureImageRegistry(stack, 'Registry', { naming: NAMING, resourceGroup });
          });
        } catch (e) {
          error = e;
        }
        expect(error?.name).toBe('MlopsValidationError');
        expect(error.issues.map((i: any) => i.message.match(/'([^']+)' prop/)?.[1])).toEqual(['encryptionKey', 'encryptionIdentity']);
      },
    );

    test('GIVEN an unsupported minimumTlsVersion WHEN built THEN it throws naming the prop', () => {
      expect(() => synthParts({ AzureArtifactStore: { minimumTlsVersion: 'TLS1_3' as any } })).toThrow(
        /'minimumTlsVersion' prop of AzureArtifactStore must be one of TLS1_0, TLS1_1, TLS1_2\. Got "TLS1_3"/,
      );
    });

    test('GIVEN an unsupported key size WHEN built THEN it throws naming keySize', () => {
      expect(() =>
        synthStack((stack) => {
          const resourceGroup = new AzureResourceGroup(stack, 'Rg', { naming: NAMING, location: 'westeurope' });
          new AzureEncryptionKey(stack, 'Key', { naming: NAMING, resourceGroup, tenantId: TENANT, keySize: 1024 });
        }),
      ).toThrow(/'keySize'.*2048, 3072 or 4096.*Got 1024/);
    });
  });
});
