import { show } from '../../core/errors';
import { PolicyFinding, PolicyRule } from '../types';
import { attr, blocks, describe, expectAttr, expectSet, isExpression, literalBool, strings } from '../values';

const OPEN_RANGES = new Set(['*', '0.0.0.0/0', '0.0.0.0', '::/0', 'internet', 'any']);

/** Roles that administer everything (or access to everything) in their scope. */
const PRIVILEGED_ROLE_NAMES = new Set(['owner', 'contributor', 'user access administrator']);
/** The built-in role definition GUIDs of Owner, Contributor and User Access Administrator. */
const PRIVILEGED_ROLE_IDS = ['8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'b24988ac-6180-42a0-ab88-20f7382dd24c', '18d7d88d-d35e-4fb5-a5c3-7773c4a72b9d'];

const GITHUB_ISSUER = 'token.actions.githubusercontent.com';
const AZURE_AUDIENCE = 'api://AzureADTokenExchange';
/** A GitHub subject for one repository (`repo:<owner>/<repo>:<ref, environment or pull_request>`), without wildcards. */
const PINNED_SUBJECT = /^repo:[^/:*?]+\/[^/:*?]+:[^*?]+$/;

function openIps(values: unknown): string[] {
  return strings(values).filter((v) => OPEN_RANGES.has(v.toLowerCase()));
}

/**
 * A public endpoint check: compliant when `public_network_access_enabled` is
 * false, or when the firewall block denies by default and lets through no
 * open range (reachable from the allowed ranges only).
 */
function publicEndpoint(firewall: string, ipRules: (fw: Record<string, unknown>) => unknown): PolicyRule['check'] {
  return (e) => {
    const enabled = e.attrs.public_network_access_enabled;
    if (literalBool(enabled) === false) return [];
    if (isExpression(enabled)) return [{ found: describe('public_network_access_enabled', enabled) }];
    const fw = blocks(e.attrs[firewall])[0];
    const state = enabled === undefined ? 'public_network_access_enabled is not set (the provider default is true)' : 'public_network_access_enabled is true';
    if (!fw) return [{ found: `${state} and there is no ${firewall} block: reachable from any network` }];
    if (fw.default_action !== 'Deny') return [{ found: `${state} and ${describe(`${firewall}.default_action`, fw.default_action)}: reachable from any network` }];
    const open = openIps(ipRules(fw));
    return open.length > 0 ? [{ found: `${state} and ${firewall} lets through ${open.join(', ')}` }] : [];
  };
}

/** Whether a scope is a subscription, management group or the tenant root (with expressions read as placeholders). */
function isBroadScope(scope: unknown): boolean {
  if (typeof scope !== 'string') return false;
  if (/^\$\{(data\.)?azurerm_subscription\.[A-Za-z0-9_-]+\.id\}$/.test(scope)) return true;
  const shape = scope.replace(/\$\{[^}]*\}/g, 'X');
  return /^\/subscriptions\/[^/]+\/?$/i.test(shape) || /^\/providers\/Microsoft\.Management\/managementGroups\//i.test(shape) || shape === '/';
}

function nsgRuleFindings(rule: Record<string, unknown>, label: string): PolicyFinding[] {
  if (String(rule.direction ?? '').toLowerCase() !== 'inbound' || String(rule.access ?? '').toLowerCase() !== 'allow') return [];
  const open = [...openIps(rule.source_address_prefix), ...openIps(rule.source_address_prefixes)];
  if (open.length === 0) return [];
  const ports = rule.destination_port_range ?? rule.destination_port_ranges;
  return [{ found: `${label} allows inbound ${show(rule.protocol)} to ports ${show(ports)} from ${open.join(', ')}` }];
}

/** The Azure rules. */
export const AZURE_RULES: readonly PolicyRule[] = [
  // Machine learning
  {
    id: 'CKV_AZURE_144',
    alsoKnownAs: ['CKV2_AZURE_49'],
    cloud: 'azure',
    resourceTypes: ['azurerm_machine_learning_workspace'],
    title: 'Azure ML workspace public network access disabled',
    fix: 'Set public_network_access_enabled = false (AzureMlWorkspace: keep publicNetworkAccess off), or set network.publicAccess: true in the config',
    relaxedBy: 'allowPublicNetwork',
    check: (e) => expectAttr(e, 'public_network_access_enabled', (v) => literalBool(v) === false, { absent: 'fail', absentNote: '(the provider default is true)' }),
  },
  {
    id: 'CKV_AZURE_142',
    cloud: 'azure',
    resourceTypes: ['azurerm_machine_learning_compute_cluster'],
    title: 'Azure ML compute cluster local authentication disabled',
    fix: 'Set local_auth_enabled = false (AzureTrainingCompute: keep localAuth off)',
    check: (e) => expectAttr(e, 'local_auth_enabled', (v) => literalBool(v) === false, { absent: 'fail', absentNote: '(the provider default is true)' }),
  },
  {
    id: 'CKV_AZURE_150',
    cloud: 'azure',
    resourceTypes: ['azurerm_machine_learning_compute_cluster'],
    title: 'Azure ML compute cluster minimum nodes 0',
    fix: 'Set scale_settings.min_node_count = 0 (AzureTrainingCompute: minNodes 0)',
    check: (e) => expectAttr(e, 'scale_settings.min_node_count', (v) => v === 0, { absent: 'fail' }),
  },
  {
    id: 'MLOPS_AZURE_ML_NO_PUBLIC_SSH',
    cloud: 'azure',
    resourceTypes: ['azurerm_machine_learning_compute_cluster'],
    title: 'Azure ML compute cluster SSH port not open to public access',
    fix: 'Set ssh_public_access_enabled = false (AzureTrainingCompute never opens it), or set network.publicAccess: true in the config',
    relaxedBy: 'allowPublicNetwork',
    check: (e) => expectAttr(e, 'ssh_public_access_enabled', (v) => literalBool(v) === false, { absent: 'pass' }),
  },
  // Container registry
  {
    id: 'CKV_AZURE_137',
    cloud: 'azure',
    resourceTypes: ['azurerm_container_registry'],
    title: 'container registry admin user disabled',
    fix: 'Set admin_enabled = false and pull/push with Entra ID role assignments (AzureImageRegistry: keep adminUserEnabled off)',
    check: (e) => expectAttr(e, 'admin_enabled', (v) => literalBool(v) === false, { absent: 'pass' }),
  },
  {
    id: 'CKV_AZURE_138',
    cloud: 'azure',
    resourceTypes: ['azurerm_container_registry'],
    title: 'container registry anonymous pull disabled',
    fix: 'Set anonymous_pull_enabled = false (AzureImageRegistry: keep anonymousPullEnabled off)',
    check: (e) => expectAttr(e, 'anonymous_pull_enabled', (v) => literalBool(v) === false, { absent: 'pass' }),
  },
  {
    id: 'CKV_AZURE_139',
    cloud: 'azure',
    resourceTypes: ['azurerm_container_registry'],
    title: 'container registry public endpoint disabled, or its firewall denies by default and lets through the allowed ranges only',
    fix: 'Set public_network_access_enabled = false, or network_rule_set { default_action = "Deny" } with ip_rule entries for network.allowedIpRanges; or set network.publicAccess: true in the config',
    relaxedBy: 'allowPublicNetwork',
    check: publicEndpoint('network_rule_set', (fw) => blocks(fw.ip_rule).map((r) => r.ip_range)),
  },
  {
    id: 'CKV_AZURE_167',
    cloud: 'azure',
    resourceTypes: ['azurerm_container_registry'],
    title: 'container registry retention policy purges untagged manifests (Premium)',
    fix: 'Set retention_policy_in_days (AzureImageRegistry: untaggedRetentionDays, default 7; needs the Premium SKU)',
    check: (e) => {
      if (literalBool(attr(e.attrs, 'retention_policy.enabled')) === true) return [];
      return expectAttr(e, 'retention_policy_in_days', (v) => typeof v === 'number' && v > 0, { absent: 'fail' });
    },
  },
  {
    id: 'CKV_AZURE_237',
    cloud: 'azure',
    resourceTypes: ['azurerm_container_registry'],
    title: 'container registry dedicated data endpoints enabled (Premium)',
    fix: 'Set data_endpoint_enabled = true (AzureImageRegistry: keep dataEndpointEnabled; needs the Premium SKU)',
    check: (e) => expectAttr(e, 'data_endpoint_enabled', (v) => literalBool(v) === true, { absent: 'fail', absentNote: '(the provider default is false)' }),
  },
  // Storage
  {
    id: 'CKV_AZURE_3',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'storage account accepts HTTPS traffic only',
    fix: 'Set https_traffic_only_enabled = true (AzureArtifactStore: keep httpsTrafficOnly)',
    check: (e) => [
      ...expectAttr(e, 'https_traffic_only_enabled', (v) => literalBool(v) === true, { absent: 'pass' }),
      ...expectAttr(e, 'enable_https_traffic_only', (v) => literalBool(v) === true, { absent: 'pass' }),
    ],
  },
  {
    id: 'CKV_AZURE_44',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'storage account minimum TLS version 1.2',
    fix: 'Set min_tls_version = "TLS1_2" (AzureArtifactStore: keep minimumTlsVersion)',
    check: (e) => expectAttr(e, 'min_tls_version', (v) => v === 'TLS1_2' || v === 'TLS1_3', { absent: 'pass' }),
  },
  {
    id: 'CKV2_AZURE_40',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'storage account shared key authorization disabled (Entra ID only)',
    fix: 'Set shared_access_key_enabled = false (AzureArtifactStore: keep sharedKeyAccess off) and use role assignments',
    check: (e) => expectAttr(e, 'shared_access_key_enabled', (v) => literalBool(v) === false, { absent: 'fail', absentNote: '(the provider default is true)' }),
  },
  {
    id: 'CKV_AZURE_244',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'no local users on the storage account',
    fix: 'Set local_user_enabled = false (AzureArtifactStore: keep localUsers off)',
    check: (e) => expectAttr(e, 'local_user_enabled', (v) => literalBool(v) === false, { absent: 'fail', absentNote: '(the provider default is true)' }),
  },
  {
    id: 'CKV_AZURE_190',
    alsoKnownAs: ['CKV2_AZURE_47'],
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'no anonymous blob access on the storage account',
    fix: 'Set allow_nested_items_to_be_public = false (AzureArtifactStore: keep blobPublicAccess off)',
    check: (e) => expectAttr(e, 'allow_nested_items_to_be_public', (v) => literalBool(v) === false, { absent: 'fail', absentNote: '(the provider default is true)' }),
  },
  {
    id: 'CKV_AZURE_34',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_container'],
    title: 'blob container access level private',
    fix: 'Set container_access_type = "private"',
    check: (e) => expectAttr(e, 'container_access_type', (v) => v === 'private', { absent: 'pass' }),
  },
  {
    id: 'CKV_AZURE_59',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'storage account public endpoint disabled, or its firewall denies by default and lets through the allowed ranges only',
    fix: 'Set public_network_access_enabled = false, or network_rules { default_action = "Deny", ip_rules = network.allowedIpRanges }; or set network.publicAccess: true in the config',
    relaxedBy: 'allowPublicNetwork',
    check: (e, ctx) => {
      const findings = publicEndpoint('network_rules', (fw) => fw.ip_rules)(e, ctx);
      if (findings.length === 0 || blocks(e.attrs.network_rules).length > 0) return findings;
      const separate = ctx.companions(e, 'azurerm_storage_account_network_rules', 'storage_account_id');
      const denied = separate.length > 0 && separate.every((s) => s.attrs.default_action === 'Deny' && openIps(s.attrs.ip_rules).length === 0);
      return denied ? [] : findings;
    },
  },
  {
    id: 'CKV_AZURE_35',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account', 'azurerm_storage_account_network_rules'],
    title: 'storage account network rules deny by default',
    fix: 'Set network_rules { default_action = "Deny" } with network.allowedIpRanges and the AzureServices bypass; or set network.publicAccess: true in the config',
    relaxedBy: 'allowPublicNetwork',
    check: (e, ctx) => {
      if (e.type === 'azurerm_storage_account_network_rules') return expectAttr(e, 'default_action', (v) => v === 'Deny', { absent: 'fail' });
      const inline = blocks(e.attrs.network_rules)[0];
      if (inline) return inline.default_action === 'Deny' ? [] : [{ found: describe('network_rules.default_action', inline.default_action) }];
      // Separate azurerm_storage_account_network_rules are checked on their own.
      if (ctx.companions(e, 'azurerm_storage_account_network_rules', 'storage_account_id').length > 0) return [];
      return [{ found: 'there are no network rules (the default action is Allow)' }];
    },
  },
  {
    id: 'CKV_AZURE_36',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account', 'azurerm_storage_account_network_rules'],
    title: 'storage firewall lets trusted Azure services through (bypass AzureServices)',
    fix: 'Add "AzureServices" to network_rules.bypass',
    check: (e) => {
      const onAccount = e.type === 'azurerm_storage_account';
      const fw = onAccount ? blocks(e.attrs.network_rules)[0] : (e.attrs as Record<string, unknown>);
      if (!fw || fw.default_action !== 'Deny' || strings(fw.bypass).includes('AzureServices')) return [];
      return [{ found: `${describe(onAccount ? 'network_rules.bypass' : 'bypass', fw.bypass)} while the firewall denies by default` }];
    },
  },
  {
    id: 'CKV2_AZURE_38',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'storage account blob and container soft delete enabled',
    fix: 'Set blob_properties { delete_retention_policy { days = 30 } container_delete_retention_policy { days = 30 } } (AzureArtifactStore: softDeleteDays)',
    check: (e) => {
      if (e.attrs.account_kind === 'FileStorage') return [];
      const findings: PolicyFinding[] = [];
      for (const p of ['delete_retention_policy', 'container_delete_retention_policy']) {
        const block = blocks(attr(e.attrs, `blob_properties.${p}`))[0];
        if (!block) findings.push({ found: `blob_properties.${p} is not set` });
        else if (block.days !== undefined && !(typeof block.days === 'number' && block.days >= 1)) findings.push({ found: describe(`blob_properties.${p}.days`, block.days) });
      }
      return findings;
    },
  },
  {
    id: 'CKV2_AZURE_1',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'storage account encrypted with a customer-managed key',
    fix: 'Set customer_managed_key { key_vault_key_id, user_assigned_identity_id } or add an azurerm_storage_account_customer_managed_key (AzureArtifactStore: keep customerManagedKey)',
    check: (e, ctx) => {
      if (attr(e.attrs, 'customer_managed_key.key_vault_key_id') !== undefined) return [];
      if (ctx.companions(e, 'azurerm_storage_account_customer_managed_key', 'storage_account_id').length > 0) return [];
      return [{ found: 'customer_managed_key is not set and no azurerm_storage_account_customer_managed_key refers to the account' }];
    },
  },
  // Key Vault
  {
    id: 'CKV_AZURE_110',
    alsoKnownAs: ['CKV_AZURE_42'],
    cloud: 'azure',
    resourceTypes: ['azurerm_key_vault'],
    title: 'Key Vault purge protection enabled (the vault is recoverable)',
    fix: 'Set purge_protection_enabled = true (AzureEncryptionKey: keep purgeProtection)',
    check: (e) => expectAttr(e, 'purge_protection_enabled', (v) => literalBool(v) === true, { absent: 'fail', absentNote: '(the provider default is false)' }),
  },
  {
    id: 'CKV_AZURE_189',
    cloud: 'azure',
    resourceTypes: ['azurerm_key_vault'],
    title: 'Key Vault public endpoint disabled, or its firewall denies by default and lets through the allowed ranges only',
    fix: 'Set public_network_access_enabled = false, or network_acls { default_action = "Deny", ip_rules = network.allowedIpRanges }; or set network.publicAccess: true in the config',
    relaxedBy: 'allowPublicNetwork',
    check: publicEndpoint('network_acls', (fw) => fw.ip_rules),
  },
  {
    id: 'CKV_AZURE_109',
    cloud: 'azure',
    resourceTypes: ['azurerm_key_vault'],
    title: 'Key Vault network ACLs deny by default',
    fix: 'Set network_acls { default_action = "Deny", bypass = "AzureServices" }; or set network.publicAccess: true in the config',
    relaxedBy: 'allowPublicNetwork',
    check: (e) => expectAttr(e, 'network_acls.default_action', (v) => v === 'Deny', { absent: 'fail', absentNote: '(without network_acls the vault accepts every network)' }),
  },
  {
    id: 'CKV_AZURE_40',
    cloud: 'azure',
    resourceTypes: ['azurerm_key_vault_key'],
    title: 'Key Vault key has an expiration date',
    fix: 'Set expiration_date (AzureEncryptionKey: expireAfterDays, with a rotation policy)',
    check: (e) => expectSet(e, 'expiration_date'),
  },
  // Identity
  {
    id: 'CKV_AZURE_39',
    cloud: 'azure',
    resourceTypes: ['azurerm_role_definition'],
    title: 'no custom role with every action ("*") assignable at subscription scope (a custom owner role)',
    fix: 'List the actions the role needs, or scope it to a resource group or resource',
    check: (e) => {
      const actions = blocks(e.attrs.permissions).flatMap((p) => strings(p.actions));
      if (!actions.includes('*')) return [];
      const scopes = [...strings(e.attrs.assignable_scopes), ...strings(e.attrs.scope)];
      const broad = scopes.filter((s) => isBroadScope(s));
      return broad.length > 0 ? [{ found: `permissions.actions includes "*" and the role is assignable at ${show(broad)}` }] : [];
    },
  },
  {
    id: 'MLOPS_AZURE_PRIVILEGED_ROLE',
    cloud: 'azure',
    resourceTypes: ['azurerm_role_assignment'],
    title: 'no Owner, Contributor or User Access Administrator assignment at subscription or management-group scope',
    fix: 'Assign the narrowest built-in role on the resource or resource group the principal works on (the platform\'s grant methods do)',
    check: (e) => {
      const name = e.attrs.role_definition_name;
      const id = e.attrs.role_definition_id;
      const privileged =
        (typeof name === 'string' && PRIVILEGED_ROLE_NAMES.has(name.toLowerCase())) ||
        (typeof id === 'string' && PRIVILEGED_ROLE_IDS.some((g) => id.toLowerCase().includes(g)));
      if (!privileged || !isBroadScope(e.attrs.scope)) return [];
      return [{ found: `${show(name ?? id)} is assigned at scope ${show(e.attrs.scope)}` }];
    },
  },
  {
    id: 'MLOPS_AZURE_GITHUB_OIDC',
    cloud: 'azure',
    resourceTypes: ['azurerm_federated_identity_credential'],
    title: 'GitHub federated credential pinned to one repository (subject repo:<owner>/<repo>:…, no wildcards), audience api://AzureADTokenExchange',
    fix: 'Set subject = "repo:<owner>/<repo>:ref:refs/heads/<branch>" or "repo:<owner>/<repo>:environment:<name>" and audience = ["api://AzureADTokenExchange"]',
    check: (e) => {
      const issuer = e.attrs.issuer;
      if (typeof issuer !== 'string' || !issuer.includes(GITHUB_ISSUER)) return [];
      const findings: PolicyFinding[] = [];
      const subject = e.attrs.subject;
      if (typeof subject !== 'string' || isExpression(subject) || !PINNED_SUBJECT.test(subject)) findings.push({ found: `${describe('subject', subject)}, which does not pin one repository (repo:<owner>/<repo>:…)` });
      const audience = strings(e.attrs.audience);
      if (audience.length !== 1 || audience[0] !== AZURE_AUDIENCE) findings.push({ found: describe('audience', e.attrs.audience) });
      return findings;
    },
  },
  // Network
  {
    id: 'MLOPS_AZURE_OPEN_INGRESS',
    cloud: 'azure',
    resourceTypes: ['azurerm_network_security_rule', 'azurerm_network_security_group'],
    title: 'no network security rule allows inbound traffic from any address (*, 0.0.0.0/0, Internet) unless the config allows public network access',
    fix: 'Allow inbound traffic from network.allowedIpRanges or service tags only, or set network.publicAccess: true in the config',
    relaxedBy: 'allowPublicNetwork',
    check: (e) =>
      e.type === 'azurerm_network_security_rule'
        ? nsgRuleFindings(e.attrs as Record<string, unknown>, 'the rule')
        : blocks(e.attrs.security_rule).flatMap((r, i) => nsgRuleFindings(r, `security_rule[${i}] (${show(r.name)})`)),
  },
];
