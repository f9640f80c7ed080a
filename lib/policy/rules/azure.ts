import { DefaultTokenResolver, StringConcat, TerraformStack, Token, Tokenization } from 'cdktf';
import { AzureImportInfo, importInfoOf } from '../../azure/imported';
import { show } from '../../core/errors';
import { dependsTransitively } from '../graph';
import { PolicyContext, PolicyElement, PolicyFinding, PolicyRule } from '../types';
import { attr, blocks, describe, expectAttr, expectSet, isExpression, literalBool, referencedAddresses, strings } from '../values';

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

// ---------------------------------------------------------------------------
// Deploy readiness: what Terraform writes through a data plane, and what the
// workload reads, must have a network path and a role, in the order Terraform
// creates things.
// ---------------------------------------------------------------------------

/** The sub-resource of a private endpoint a data-plane write goes through, by target type. */
const SUB_RESOURCE: Readonly<Record<string, string>> = {
  azurerm_key_vault: 'vault',
  azurerm_storage_account: 'blob',
  azurerm_container_registry: 'registry',
};

/** Roles that let a principal do each data-plane write (on the target or a parent scope). */
const WRITE_ROLES: Readonly<Record<string, readonly string[]>> = {
  azurerm_key_vault: ['Key Vault Crypto Officer', 'Key Vault Administrator'],
  azurerm_storage_account: ['Storage Blob Data Contributor', 'Storage Blob Data Owner'],
  azurerm_container_registry: ['AcrPush', 'Container Registry Repository Writer'],
};

/** What a data-plane write needs, in words, for messages. */
const WRITE_WHAT: Readonly<Record<string, string>> = {
  azurerm_key_vault_key: 'creates the key through the Key Vault data plane',
  azurerm_storage_blob: 'uploads the blob through the storage data plane',
  docker_registry_image: 'pushes the image through the registry data plane',
  terraform_data: "takes the endpoint's rollout lease (a blob write, shared with the pipeline promoter) through the storage data plane",
};

// ---------------------------------------------------------------------------
// Imported resources (AzureArtifactStore.fromExisting, …): the JSON has no
// block for them, so the rules read what the import says (its id, name and
// `reachableFrom`) from the construct tree, and match literal ids and names.
// ---------------------------------------------------------------------------

/** The azurerm type an imported resource stands for. */
const IMPORT_TYPES: Readonly<Partial<Record<AzureImportInfo['kind'], string>>> = {
  keyVault: 'azurerm_key_vault',
  storageAccount: 'azurerm_storage_account',
  containerRegistry: 'azurerm_container_registry',
};

/** An existing Key Vault, storage account or registry the stack uses (its block is not in the JSON). */
interface ImportedTarget {
  /** A readable label for messages: `the imported storage account "x" (stack/Path)`. */
  readonly address: string;
  /** The azurerm type it stands for. */
  readonly type: string;
  /** What the import says. */
  readonly info: AzureImportInfo;
}

/** A data plane a write goes to, or a workload reads: a block of the stack, or an imported resource. */
type Target = PolicyElement | ImportedTarget;

function isImported(target: Target): target is ImportedTarget {
  return 'info' in target;
}

interface StackImports {
  readonly targets: readonly ImportedTarget[];
  /** Imported user-assigned identities, with their principal as the JSON writes it. */
  readonly identities: readonly { readonly resourceId: string; readonly principal: string; readonly path: string }[];
}

const importCache = new WeakMap<PolicyContext, StackImports>();

/** The imported resources of the stack, with literal ids (an import given tokens refers to a block the rules read directly). */
function importsOf(context: PolicyContext): StackImports {
  const cached = importCache.get(context);
  if (cached) return cached;
  const targets: ImportedTarget[] = [];
  const identities: { resourceId: string; principal: string; path: string }[] = [];
  const first = context.elements[0]?.construct;
  if (first) {
    const stack = TerraformStack.of(first);
    const resolve = (value: string) => String(Tokenization.resolve(value, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) }));
    for (const c of stack.node.findAll()) {
      const info = importInfoOf(c);
      if (!info || Token.isUnresolved(info.resourceId)) continue;
      const type = IMPORT_TYPES[info.kind];
      const noun = info.kind === 'keyVault' ? 'Key Vault' : info.kind === 'storageAccount' ? 'storage account' : 'container registry';
      if (type) targets.push({ address: `the imported ${noun} ${show(info.name)} (${c.node.path})`, type, info });
      if (info.kind === 'userAssignedIdentity' && info.principalId !== undefined)
        identities.push({ resourceId: info.resourceId, principal: resolve(info.principalId), path: c.node.path });
    }
  }
  const result = { targets, identities };
  importCache.set(context, result);
  return result;
}

function sameId(a: unknown, b: string): boolean {
  return typeof a === 'string' && !isExpression(a) && a.toLowerCase() === b.toLowerCase();
}

/** The imported resource of a type whose resource id is `id` (a literal). */
function importedById(context: PolicyContext, type: string, id: unknown): ImportedTarget | undefined {
  return importsOf(context).targets.find((t) => t.type === type && sameId(id, t.info.resourceId));
}

/** The imported Key Vault a literal key id (versioned or versionless) belongs to. */
function importedVaultOfKey(context: PolicyContext, keyId: unknown): ImportedTarget | undefined {
  return importsOf(context).targets.find((t) => t.type === 'azurerm_key_vault' && (t.info.keyIds ?? []).some((k) => sameId(keyId, k)));
}

/** The private endpoints in the JSON, with a DNS zone group, of an imported resource's sub-resource (matched by its literal id). */
function privateEndpointsOfImport(target: ImportedTarget, sub: string, context: PolicyContext): PolicyElement[] {
  return context.ofSelector('azurerm_private_endpoint').filter((pe) => {
    const conn = blocks(pe.attrs.private_service_connection)[0];
    return (
      conn !== undefined &&
      sameId(conn.private_connection_resource_id, target.info.resourceId) &&
      strings(conn.subresource_names).includes(sub) &&
      blocks(pe.attrs.private_dns_zone_group).length > 0
    );
  });
}

/** True when an assignment's literal scope is an imported resource, or something inside it (a container of the account, the key of the vault). */
function importScopeCovers(assignment: PolicyElement, target: ImportedTarget): boolean {
  const scope = assignment.attrs.scope;
  if (typeof scope !== 'string' || isExpression(scope)) return false;
  const id = target.info.resourceId.toLowerCase();
  const lower = scope.toLowerCase();
  return lower === id || (target.type === 'azurerm_storage_account' && lower.startsWith(`${id}/blobservices/default/containers/`));
}

/**
 * The network path of a write to (or a read of) an imported resource. The
 * stack cannot see its firewall: it trusts what the import declares
 * (`reachableFrom`), uses a private endpoint the stack makes for it, and
 * otherwise reports the path as unknown rather than passing it.
 */
function importedPathFinding(write: PolicyElement, target: ImportedTarget, what: string, context: PolicyContext): PolicyFinding[] {
  const mode = context.deploy.networkMode;
  const declared = target.info.reachableFrom;
  if (declared === 'public' || declared === 'allowedRanges') return [];
  if (declared === 'privateEndpoint') {
    if (mode === 'private') return [];
    return [
      {
        found: `${what} of ${target.address}, which the import says is reached through a private endpoint only, but network mode is ${mode}: Terraform runs outside any private network`,
        fix: "Use network.mode: private and run Terraform inside the network, or let the deployers' egress through its firewall and import it with reachableFrom: 'allowedRanges'",
      },
    ];
  }
  if (mode === 'private') {
    const sub = SUB_RESOURCE[target.type]!;
    const pes = privateEndpointsOfImport(target, sub, context);
    if (pes.length === 0) {
      return [
        {
          found: `${what} of ${target.address}, which has no private endpoint of sub-resource "${sub}" in this stack, and the import does not say how it is reached (network mode private)`,
          fix: `Let the platform give it a private endpoint (AzureMlPlatform does for imports without reachableFrom), add one (addPrivateEndpoints), or import it with reachableFrom: 'privateEndpoint' if it has its own`,
        },
      ];
    }
    if (!pes.some((pe) => dependsTransitively(context.graph, write.address, pe.address))) {
      return [
        {
          found: `${what} of ${target.address} but does not depend on its private endpoint ${pes.map((pe) => pe.address).join(', ')}: Terraform may write before the endpoint and its DNS records exist`,
          fix: `Add depends_on = [${pes[0]!.address}] to ${write.address} (bindDataPlaneWrite does)`,
        },
      ];
    }
    return [];
  }
  return [
    {
      found: `${what} of ${target.address}, whose firewall is managed outside this stack and whose reachability the import does not declare (network mode ${mode}): the stack cannot tell whether Terraform reaches it`,
      fix: "Say how its data plane is reached in the import: reachableFrom: 'public', 'allowedRanges' (its firewall lets network.allowedIpRanges through) or 'privateEndpoint' (private mode only)",
    },
  ];
}

/** The first element of `type` a value refers to. */
function refOf(context: PolicyContext, value: unknown, type: string): PolicyElement | undefined {
  return context.referenced(value).find((e) => e.type === type && e.kind === 'resource');
}

/** The element of `type` whose literal `name` is `name`. */
function byName(context: PolicyContext, type: string, name: unknown): PolicyElement | undefined {
  return typeof name === 'string' && !isExpression(name) ? context.ofSelector(type).find((e) => e.attrs.name === name) : undefined;
}

/** The Key Vault, storage account or registry a data-plane write goes to: a block of the stack, or an imported resource. */
function writeTarget(element: PolicyElement, context: PolicyContext): Target | undefined {
  switch (element.type) {
    case 'azurerm_key_vault_key':
      return refOf(context, element.attrs.key_vault_id, 'azurerm_key_vault') ?? importedById(context, 'azurerm_key_vault', element.attrs.key_vault_id);
    case 'azurerm_storage_blob': {
      const name = element.attrs.storage_account_name;
      return (
        refOf(context, name, 'azurerm_storage_account') ??
        byName(context, 'azurerm_storage_account', name) ??
        importsOf(context).targets.find((t) => t.type === 'azurerm_storage_account' && sameId(name, t.info.name))
      );
    }
    case 'terraform_data': {
      // An Azure endpoint release step with a pipeline promoter: cdktf deploy leases a blob of the artifact store.
      const input = element.attrs.input;
      const endpoint = isRecord(input) && input.cloud === 'azure' ? attr(input, 'azure.endpoint.lease.blobEndpoint') : undefined;
      if (endpoint === undefined) return undefined;
      const host = typeof endpoint === 'string' && !isExpression(endpoint) ? /^https:\/\/([a-z0-9]+)\.blob\./.exec(endpoint)?.[1] : undefined;
      return (
        refOf(context, endpoint, 'azurerm_storage_account') ??
        byName(context, 'azurerm_storage_account', host) ??
        importsOf(context).targets.find((t) => t.type === 'azurerm_storage_account' && host !== undefined && sameId(host, t.info.name))
      );
    }
    case 'docker_registry_image': {
      // The pushed name is a registry's login server, directly or through the docker_image it pushes.
      const direct = refOf(context, element.attrs.name, 'azurerm_container_registry');
      if (direct) return direct;
      const image = refOf(context, element.attrs.name, 'docker_image');
      const fromImage = image ? refOf(context, image.attrs.name, 'azurerm_container_registry') : undefined;
      if (fromImage) return fromImage;
      const pushed = [element.attrs.name, image?.attrs.name].filter((n): n is string => typeof n === 'string' && !isExpression(n));
      return importsOf(context).targets.find(
        (t) =>
          t.type === 'azurerm_container_registry' && t.info.loginServer !== undefined && pushed.some((n) => n.toLowerCase().startsWith(`${t.info.loginServer!.toLowerCase()}/`)),
      );
    }
  }
  return undefined;
}

/** The firewall block of a target, and whether its public endpoint lets the given ranges (or every network) through. */
function publicPath(target: PolicyElement): { open: boolean; ranges: string[] } | undefined {
  if (literalBool(target.attrs.public_network_access_enabled) === false) return undefined;
  const fw =
    target.type === 'azurerm_key_vault'
      ? blocks(target.attrs.network_acls)[0]
      : target.type === 'azurerm_storage_account'
        ? blocks(target.attrs.network_rules)[0]
        : blocks(target.attrs.network_rule_set)[0];
  if (!fw || fw.default_action === 'Allow') return { open: true, ranges: [] };
  const ranges = target.type === 'azurerm_container_registry' ? blocks(fw.ip_rule).map((r) => String(r.ip_range)) : strings(fw.ip_rules);
  return ranges.length > 0 ? { open: false, ranges } : undefined;
}

/** The private endpoints of a target's sub-resource that have a DNS zone group. */
function privateEndpointsOf(target: PolicyElement, sub: string, context: PolicyContext): PolicyElement[] {
  return context.ofSelector('azurerm_private_endpoint').filter((pe) => {
    const conn = blocks(pe.attrs.private_service_connection)[0];
    return (
      conn !== undefined &&
      referencedAddresses(conn.private_connection_resource_id).has(target.address) &&
      strings(conn.subresource_names).includes(sub) &&
      blocks(pe.attrs.private_dns_zone_group).length > 0
    );
  });
}

/** The network-path finding of a write (or of a storage account the provider reads), or none. */
function networkPathFinding(write: PolicyElement, target: Target, what: string, context: PolicyContext): PolicyFinding[] {
  if (isImported(target)) return importedPathFinding(write, target, what, context);
  const mode = context.deploy.networkMode;
  const pub = publicPath(target);
  if (mode === 'public') {
    return pub
      ? []
      : [
          {
            found: `${what} of ${target.address}, whose public endpoint is closed (network mode public): Terraform cannot reach it`,
            fix: 'Open the public endpoint in public mode (public_network_access_enabled = true), or use network.mode: private with a private endpoint',
          },
        ];
  }
  if (mode === 'firewalled') {
    if (pub) return [];
    return [
      {
        found: `${what} of ${target.address}, whose public endpoint lets no range through (network mode firewalled, no allowedIpRanges): Terraform, outside any private network, cannot reach it`,
        fix:
          'Put the egress of the machines that run cdktf deploy (and of the CI runner) in network.allowedIpRanges, or use network.mode: private and run Terraform inside the network' +
          (target.type === 'azurerm_storage_account'
            ? " (a storage account's IP rules do not apply to requests from its own Azure region: a runner in that region needs its subnet let through, AzureArtifactStore.allowSubnet, or a private endpoint)"
            : ''),
      },
    ];
  }
  // private: through a private endpoint of the sub-resource that the write waits for (or a VPN range on the firewall).
  if (pub) return [];
  const sub = SUB_RESOURCE[target.type]!;
  const pes = privateEndpointsOf(target, sub, context);
  if (pes.length === 0) {
    return [
      {
        found: `${what} of ${target.address}, which has no public path and no private endpoint of sub-resource "${sub}" with a DNS zone group (network mode private)`,
        fix: `Add a private endpoint (sub-resource ${sub}) with a private DNS zone group to ${target.address} (AzureMlPlatform does in private mode)`,
      },
    ];
  }
  if (write === target) return [];
  if (!pes.some((pe) => dependsTransitively(context.graph, write.address, pe.address))) {
    return [
      {
        found: `${what} of ${target.address} but does not depend on its private endpoint ${pes.map((pe) => pe.address).join(', ')}: Terraform may write before the endpoint and its DNS records exist`,
        fix: `Add depends_on = [${pes[0]!.address}] to ${write.address} (the platform's stores bind their writes: bindDataPlaneWrite)`,
      },
    ];
  }
  return [];
}

/** True when an assignment's scope is the target or something inside it / above it that covers it. */
function scopeCovers(assignment: PolicyElement, target: Target, context: PolicyContext): boolean {
  if (isImported(target)) return importScopeCovers(assignment, target);
  const scope = assignment.attrs.scope;
  const refs = context.referenced(scope);
  if (refs.some((r) => r.address === target.address)) return true;
  // A container of the storage account.
  if (target.type === 'azurerm_storage_account') {
    return refs.some((r) => r.type === 'azurerm_storage_container' && referencedAddresses(r.attrs.storage_account_id).has(target.address));
  }
  return false;
}

function deployRoleFindings(write: PolicyElement, target: Target, context: PolicyContext): PolicyFinding[] {
  const roles = WRITE_ROLES[target.type]!;
  const what = WRITE_WHAT[write.type]!;
  const deployers = context.deploy.deployers;
  if (deployers.length === 0) {
    // The pack was not told who deploys: some principal must at least hold the role, before the write.
    const any = context.ofSelector('azurerm_role_assignment').filter((a) => roles.includes(String(a.attrs.role_definition_name)) && scopeCovers(a, target, context));
    if (any.length === 0) {
      return [
        {
          found: `${write.address} ${what} of ${target.address}, but no principal is assigned ${roles.join(' or ')} on it (Owner and Contributor have no data actions)`,
          fix: "Name the deployers (config deployers:, or the platform's deployers prop); the platform grants them the data roles (grantDeploy)",
        },
      ];
    }
    return any.some((g) => dependsTransitively(context.graph, write.address, g.address))
      ? []
      : [
          {
            found: `${write.address} ${what} of ${target.address} but depends on none of the role assignments ${any.map((g) => g.address).join(', ')}: Terraform may write before a role exists`,
            fix: `Add depends_on = [${any[0]!.address}] to ${write.address}`,
          },
        ];
  }
  const findings: PolicyFinding[] = [];
  for (const principal of deployers) {
    const grants = context
      .ofSelector('azurerm_role_assignment')
      .filter((a) => a.attrs.principal_id === principal && roles.includes(String(a.attrs.role_definition_name)) && scopeCovers(a, target, context));
    if (grants.length === 0) {
      findings.push({
        found: `${write.address} ${what} of ${target.address}, but the deployer ${show(principal)} has no ${roles.join(' or ')} on it (Owner and Contributor have no data actions)`,
        fix: `Grant the deployer ${roles[0]} on ${target.address} (platform.grantDeploy(principal) does)`,
      });
    } else if (!grants.some((g) => dependsTransitively(context.graph, write.address, g.address))) {
      findings.push({
        found: `${write.address} ${what} of ${target.address} but does not depend on the deployer ${show(principal)}'s role assignment ${grants.map((g) => g.address).join(', ')}: Terraform may write before the role exists`,
        fix: `Add depends_on = [${grants[0]!.address}] to ${write.address}`,
      });
    }
  }
  return findings;
}

/** MLOPS_DEPLOY_AZURE_WRITE_PATH */
function writePath(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const target = writeTarget(element, context);
  if (!target) return [];
  return networkPathFinding(element, target, WRITE_WHAT[element.type]!, context);
}

/** MLOPS_DEPLOY_AZURE_WRITE_ROLE */
function writeRole(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const target = writeTarget(element, context);
  return target ? deployRoleFindings(element, target, context) : [];
}

/** MLOPS_DEPLOY_AZURE_BLOB_CONTAINER */
function blobContainer(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const account = writeTarget(element, context);
  const name = element.attrs.storage_container_name;
  const container =
    refOf(context, name, 'azurerm_storage_container') ??
    context.ofSelector('azurerm_storage_container').find((c) => {
      if (c.attrs.name !== name) return false;
      if (!account) return true;
      // An imported account's container exists already: the stack has no block to wait for.
      if (isImported(account)) return false;
      return referencedAddresses(c.attrs.storage_account_id).has(account.address) || c.attrs.storage_account_name === account.attrs.name;
    });
  if (!container) return [];
  if (dependsTransitively(context.graph, element.address, container.address)) return [];
  return [
    {
      found: `storage_container_name is ${show(name)}, the container ${container.address}, but the blob does not depend on it: Terraform may upload before the container exists`,
      fix: `Refer to the container (storage_container_name = ${container.address}.name) or add depends_on = [${container.address}]`,
    },
  ];
}

/** The azurerm provider configuration, if the stack has one. */
function azurermProvider(context: PolicyContext): PolicyElement | undefined {
  return context.ofSelector('provider.azurerm')[0];
}

/** MLOPS_DEPLOY_AZURE_STORAGE_DATA_PLANE */
function storageDataPlane(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const provider = azurermProvider(context);
  const flag = attr(attr(provider?.attrs, 'features'), 'storage');
  const dataPlane = literalBool(attr(flag, 'data_plane_available'));
  if (dataPlane === false) return [];
  const findings = networkPathFinding(element, element, 'the azurerm provider reads the queue and static-website properties (data plane) on create and refresh', context);
  if (context.deploy.networkMode === 'private' && findings.length === 0 && !publicPath(element)) {
    // A private endpoint needs the account, so it cannot exist when the provider first reads the account.
    return [
      {
        found: "the azurerm provider reads the account's data plane when it creates it, before any private endpoint of the account can exist",
        fix: 'Set the provider feature storage { data_plane_available = false } (MlPlatformStack does; hashicorp/terraform-provider-azurerm#33454)',
      },
    ];
  }
  return findings.map((f) => ({ ...f, fix: `${f.fix}; or set the provider feature storage { data_plane_available = false } (hashicorp/terraform-provider-azurerm#33454)` }));
}

/** MLOPS_DEPLOY_AZURE_CMK_PATH */
function registryKeyPath(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const encryption = blocks(element.attrs.encryption)[0];
  if (!encryption?.key_vault_key_id || !encryption.identity_client_id) return [];
  const key = refOf(context, encryption.key_vault_key_id, 'azurerm_key_vault_key');
  if (!key) {
    const imported = importedVaultOfKey(context, encryption.key_vault_key_id);
    if (!imported || imported.info.reachableFrom === 'public') return [];
    return [
      {
        found: `the registry is encrypted with a key of ${imported.address} through a user-assigned identity, and the import ${imported.info.reachableFrom ? `says the vault is reached from ${show(imported.info.reachableFrom)}, not every network` : 'does not say the vault lets every network through'}: a user-assigned identity is not a trusted service (MicrosoftDocs/azure-docs#61064), so Azure may not create the registry`,
        fix: "Use Microsoft-managed keys for the registry (AzureImageRegistry customerManagedKey: false; the platform does unless the vault is imported with reachableFrom: 'public'), or import a vault open to every network with reachableFrom: 'public'",
      },
    ];
  }
  const vault = refOf(context, key.attrs.key_vault_id, 'azurerm_key_vault');
  if (!vault) return [];
  const pub = publicPath(vault);
  if (pub?.open) return [];
  return [
    {
      found: `the registry is encrypted with ${key.address} through a user-assigned identity, but ${vault.address} denies public traffic by default: a user-assigned identity is not a trusted service (MicrosoftDocs/azure-docs#61064), so Azure cannot create the registry`,
      fix: 'Use Microsoft-managed keys for the registry (AzureImageRegistry customerManagedKey: false; the platform does outside public mode), or a vault open to the registry at creation',
    },
  ];
}

/** The user-assigned identity a release step runs as: its label and its principal as the JSON writes it. */
function releaseIdentity(element: PolicyElement, context: PolicyContext): { readonly label: string; readonly principal: string } | undefined {
  const input = element.attrs.input;
  if (!isRecord(input) || input.cloud !== 'azure') return undefined;
  const resourceId = attr(input, 'azure.identity.resourceId');
  const created = refOf(context, resourceId, 'azurerm_user_assigned_identity');
  if (created) return { label: created.address, principal: `\${${created.address}.principal_id}` };
  const imported = importsOf(context).identities.find((i) => sameId(resourceId, i.resourceId));
  return imported ? { label: `the imported identity ${imported.path}`, principal: imported.principal } : undefined;
}

/** MLOPS_DEPLOY_AZURE_WORKLOAD_ACCESS */
function workloadAccess(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const identity = releaseIdentity(element, context);
  if (!identity) return [];
  const principal = identity.principal;
  const input = element.attrs.input as Record<string, unknown>;
  const needs: { what: string; roles: readonly string[]; types: readonly string[] }[] = [
    { what: 'pull the runtime image', roles: ['AcrPull', 'AcrPush'], types: ['azurerm_container_registry'] },
    {
      what: 'read the training data and the model',
      roles: ['Storage Blob Data Reader', 'Storage Blob Data Contributor', 'Storage Blob Data Owner'],
      types: ['azurerm_storage_container', 'azurerm_storage_account'],
    },
  ];
  const findings: PolicyFinding[] = [];
  for (const need of needs) {
    const imported = importsOf(context).targets.filter((t) => need.types.includes(t.type));
    const grants = context
      .ofSelector('azurerm_role_assignment')
      .filter(
        (a) =>
          a.attrs.principal_id === principal &&
          need.roles.includes(String(a.attrs.role_definition_name)) &&
          (context.referenced(a.attrs.scope).some((r) => need.types.includes(r.type)) || imported.some((t) => importScopeCovers(a, t))),
      );
    if (grants.length === 0) {
      findings.push({
        found: `the ${input.kind} step runs as ${identity.label}, which has no ${need.roles.join(' or ')}: it cannot ${need.what}`,
        fix: `Grant ${identity.label} ${need.roles[0]} (platform.imageRegistry.grantPull / artifactStore.grantRead)`,
      });
    } else if (!grants.some((g) => dependsTransitively(context.graph, element.address, g.address))) {
      findings.push({
        found: `the ${input.kind} step runs as ${identity.label} but does not depend on its ${need.roles[0]} assignment: the job may start before it may ${need.what}`,
        fix: `Add depends_on = [${grants[0]!.address}] to ${element.address}`,
      });
    }
  }
  return findings;
}

/** MLOPS_DEPLOY_AZURE_WORKSPACE_ACCESS */
function workspaceAccess(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const identity =
    refOf(context, element.attrs.primary_user_assigned_identity, 'azurerm_user_assigned_identity') ??
    (strings(attr(element.attrs, 'identity.identity_ids')).length === 1
      ? refOf(context, attr(element.attrs, 'identity.identity_ids'), 'azurerm_user_assigned_identity')
      : undefined);
  // A system-assigned identity gets its roles from Azure ML itself.
  if (!identity) return [];
  const principal = `\${${identity.address}.principal_id}`;
  const account: Target | undefined =
    refOf(context, element.attrs.storage_account_id, 'azurerm_storage_account') ?? importedById(context, 'azurerm_storage_account', element.attrs.storage_account_id);
  const vault: Target | undefined = refOf(context, element.attrs.key_vault_id, 'azurerm_key_vault') ?? importedById(context, 'azurerm_key_vault', element.attrs.key_vault_id);
  const keyId = attr(element.attrs, 'encryption.key_id');
  const cmkKey: Target | undefined = refOf(context, keyId, 'azurerm_key_vault_key') ?? importedVaultOfKey(context, keyId);
  const needs: { what: string; target: Target | undefined; roles: readonly string[] }[] = [
    { what: 'read and write its storage account', target: account, roles: ['Storage Blob Data Contributor', 'Storage Blob Data Owner'] },
    { what: 'manage its Key Vault', target: vault, roles: ['Contributor', 'Owner'] },
    {
      what: 'wrap and unwrap with its customer-managed key',
      target: cmkKey,
      roles: ['Key Vault Crypto Service Encryption User', 'Key Vault Crypto User', 'Key Vault Crypto Officer', 'Key Vault Administrator'],
    },
  ];
  const findings: PolicyFinding[] = [];
  for (const need of needs) {
    const target = need.target;
    if (!target) continue;
    const covers = (a: PolicyElement): boolean => {
      if (isImported(target)) {
        // An imported vault as the key's target: the key's scope or the vault's.
        const scopes = [target.info.resourceId, ...(need.target === cmkKey && target.info.keyResourceId ? [target.info.keyResourceId] : [])];
        return scopes.some((id) => sameId(a.attrs.scope, id)) || (target.type === 'azurerm_storage_account' && importScopeCovers(a, target));
      }
      const keyVault = target.type === 'azurerm_key_vault_key' ? refOf(context, target.attrs.key_vault_id, 'azurerm_key_vault') : undefined;
      const refs = context.referenced(a.attrs.scope).map((r) => r.address);
      return refs.includes(target.address) || (keyVault !== undefined && refs.includes(keyVault.address));
    };
    const grants = context
      .ofSelector('azurerm_role_assignment')
      .filter((a) => a.attrs.principal_id === principal && need.roles.includes(String(a.attrs.role_definition_name)) && covers(a));
    if (grants.length === 0) {
      findings.push({
        found: `the workspace runs as ${identity.address}, which has no ${need.roles.join(' or ')} on ${target.address}: it cannot ${need.what}`,
        fix: `Assign ${identity.address} ${need.roles[0]} on ${target.address} (AzureMlWorkspace does for its service identity)`,
      });
    } else if (!grants.some((g) => dependsTransitively(context.graph, element.address, g.address))) {
      findings.push({
        found: `the workspace runs as ${identity.address} but does not depend on its ${need.roles[0]} assignment on ${target.address}: Azure ML may check it before it exists`,
        fix: `Add depends_on = [${grants[0]!.address}] to ${element.address}`,
      });
    }
  }
  // Network: a managed network reaches the associated resources through private endpoints it creates itself.
  const managed = String(attr(element.attrs, 'managed_network.isolation_mode') ?? 'Disabled');
  if (managed === 'Disabled') {
    for (const target of [account, vault].filter((t): t is Target => t !== undefined)) {
      const sub = SUB_RESOURCE[target.type] ?? 'vault';
      const reachable = isImported(target)
        ? target.info.reachableFrom === 'public' || privateEndpointsOfImport(target, sub, context).length > 0
        : publicPath(target)?.open === true || privateEndpointsOf(target, sub, context).length > 0;
      if (!reachable) {
        findings.push({
          found: `the workspace has no managed network and ${target.address} takes no traffic from it (no open public endpoint, no private endpoint)`,
          fix: "Keep managed network isolation on (AzureMlWorkspace managedNetworkIsolation), or give the resource a private endpoint in the workspace's network",
        });
      }
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------
// A Container Apps job (the pipeline promoter) reads storage and pulls its
// image from its environment's network, not from Terraform's machine.
// ---------------------------------------------------------------------------

/** The service endpoint a subnet needs before a storage account's virtual network rule lets it through. */
const STORAGE_SERVICE_ENDPOINT = 'Microsoft.Storage';

/** The virtual network a subnet block of the stack is in. */
function networkOfSubnet(subnet: PolicyElement, context: PolicyContext): PolicyElement | undefined {
  return refOf(context, subnet.attrs.virtual_network_name, 'azurerm_virtual_network') ?? byName(context, 'azurerm_virtual_network', subnet.attrs.virtual_network_name);
}

/** True when a private endpoint's subnet is in `vnet` and one of its zone group's zones is linked to `vnet`. */
function resolvesIn(pe: PolicyElement, vnet: PolicyElement, context: PolicyContext): boolean {
  const peSubnet = refOf(context, pe.attrs.subnet_id, 'azurerm_subnet');
  if (!peSubnet || networkOfSubnet(peSubnet, context)?.address !== vnet.address) return false;
  const zones = blocks(pe.attrs.private_dns_zone_group).flatMap((g) => context.referenced(g.private_dns_zone_ids).filter((z) => z.type === 'azurerm_private_dns_zone'));
  return context
    .ofSelector('azurerm_private_dns_zone_virtual_network_link')
    .some(
      (link) =>
        referencedAddresses(link.attrs.virtual_network_id).has(vnet.address) &&
        zones.some((z) => referencedAddresses(link.attrs.private_dns_zone_name).has(z.address) || link.attrs.private_dns_zone_name === z.attrs.name),
    );
}

/** MLOPS_DEPLOY_AZURE_JOB_PATH */
function jobPath(job: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const env = refOf(context, job.attrs.container_app_environment_id, 'azurerm_container_app_environment');
  const subnet = env ? refOf(context, env.attrs.infrastructure_subnet_id, 'azurerm_subnet') : undefined;
  const vnet = subnet ? networkOfSubnet(subnet, context) : undefined;
  const where = subnet ? `its environment's subnet ${subnet.address}` : 'its environment, which has no network of the stack (outbound from Container Apps addresses)';
  // What it reaches: the registries it pulls from, the storage accounts whose blob or queue endpoints it is given.
  const template = JSON.stringify(job.attrs.template ?? {});
  const needs: { target: PolicyElement; subs: string[]; what: string }[] = [];
  for (const r of blocks(job.attrs.registry)) {
    const registry = refOf(context, r.server, 'azurerm_container_registry');
    if (registry) needs.push({ target: registry, subs: ['registry'], what: 'pulls its image from' });
  }
  for (const account of context.ofSelector('azurerm_storage_account')) {
    const name = account.attrs.name;
    if (typeof name !== 'string' || isExpression(name)) continue;
    const subs = ['blob', 'queue'].filter((sub) => template.includes(`${name}.${sub}.core.windows.net`));
    if (subs.length > 0) needs.push({ target: account, subs, what: `reads (${subs.join(', ')})` });
  }
  const findings: PolicyFinding[] = [];
  for (const { target, subs, what } of needs) {
    if (publicPath(target)?.open) continue;
    const waitsFor = (dep: PolicyElement) => dependsTransitively(context.graph, job.address, dep.address);
    // A virtual network rule for the environment's subnet (storage only; the public endpoint must be on).
    if (target.type === 'azurerm_storage_account' && subnet) {
      const rules = blocks(target.attrs.network_rules)[0];
      const named = rules !== undefined && referencedAddresses(rules.virtual_network_subnet_ids).has(subnet.address);
      if (named && literalBool(target.attrs.public_network_access_enabled) !== false) {
        if (!strings(subnet.attrs.service_endpoints).includes(STORAGE_SERVICE_ENDPOINT)) {
          findings.push({
            found: `${job.address} ${what} ${target.address}, whose firewall names ${subnet.address}, but that subnet has no ${STORAGE_SERVICE_ENDPOINT} service endpoint: Azure refuses the rule, and the job's requests do not carry the subnet`,
            fix: `Add "${STORAGE_SERVICE_ENDPOINT}" to service_endpoints of ${subnet.address}`,
          });
        } else if (!waitsFor(target)) {
          findings.push({
            found: `${job.address} ${what} ${target.address} through its virtual network rule for ${subnet.address}, but does not depend on the account: the job may run before the rule exists`,
            fix: `Add depends_on = [${target.address}] to ${job.address}`,
          });
        }
        continue;
      }
    }
    // A private endpoint of each sub-resource, resolved in the environment's network.
    const missing: string[] = [];
    const late: PolicyElement[] = [];
    for (const sub of subs) {
      const pes = vnet ? privateEndpointsOf(target, sub, context).filter((pe) => resolvesIn(pe, vnet, context)) : [];
      if (pes.length === 0) missing.push(sub);
      else if (!pes.some(waitsFor)) late.push(pes[0]!);
    }
    if (missing.length > 0) {
      const storage = target.type === 'azurerm_storage_account';
      findings.push({
        found:
          `${job.address} ${what} ${target.address} from ${where}, but ${target.address} ${publicPath(target) ? 'lets only IP ranges through its public endpoint' : 'has no open public endpoint'} and there is ` +
          `${storage ? `no virtual network rule for the subnet and ` : ''}no private endpoint of sub-resource ${missing.map((m) => `"${m}"`).join(', ')} resolved in the environment's network` +
          (storage ? " (IP rules do not apply to requests from the account's own region)" : ' (Container Apps is not a trusted service of a registry)'),
        fix: storage
          ? `Give the environment a subnet with the ${STORAGE_SERVICE_ENDPOINT} service endpoint and let it through the account's firewall (AzureArtifactStore.allowSubnet), or add a private endpoint of the sub-resource with its DNS zone linked to the environment's network; the pipeline promoter does in firewalled and private mode`
          : "Add a private endpoint of the registry (sub-resource registry) with its privatelink.azurecr.io zone linked to the environment's network; the pipeline promoter does in firewalled mode",
      });
    }
    for (const pe of late) {
      findings.push({
        found: `${job.address} ${what} ${target.address} through ${pe.address} but does not depend on it: Container Apps may check the image, or the job run, before the endpoint and its DNS records exist`,
        fix: `Add depends_on = [${pe.address}] to ${job.address}`,
      });
    }
  }
  return findings;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
    fix: 'Set public_network_access_enabled = false (AzureMlWorkspace: keep publicNetworkAccess off), or set network.mode: public in the config',
    relaxedBy: 'publicNetwork',
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
    fix: 'Set ssh_public_access_enabled = false (AzureTrainingCompute never opens it), or set network.mode: public in the config',
    relaxedBy: 'publicNetwork',
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
    fix: 'Set public_network_access_enabled = false, or network_rule_set { default_action = "Deny" } with ip_rule entries for network.allowedIpRanges; or set network.mode: public in the config',
    relaxedBy: 'publicNetwork',
    check: publicEndpoint('network_rule_set', (fw) => blocks(fw.ip_rule).map((r) => r.ip_range)),
  },
  {
    id: 'CKV_AZURE_167',
    cloud: 'azure',
    resourceTypes: ['azurerm_container_registry'],
    title: 'container registry retention policy purges untagged manifests (Premium)',
    fix: 'Set retention_policy_in_days (AzureImageRegistry: untaggedImageRetentionDays, default 7; needs the Premium SKU)',
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
    fix: 'Set public_network_access_enabled = false, or network_rules { default_action = "Deny", ip_rules = network.allowedIpRanges }; or set network.mode: public in the config',
    relaxedBy: 'publicNetwork',
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
    fix: 'Set network_rules { default_action = "Deny" } with network.allowedIpRanges and the AzureServices bypass; or set network.mode: public in the config',
    relaxedBy: 'publicNetwork',
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
      if (fw?.default_action !== 'Deny' || strings(fw.bypass).includes('AzureServices')) return [];
      return [{ found: `${describe(onAccount ? 'network_rules.bypass' : 'bypass', fw.bypass)} while the firewall denies by default` }];
    },
  },
  {
    id: 'CKV2_AZURE_38',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'storage account blob and container soft delete enabled',
    fix: 'Set blob_properties { delete_retention_policy { days = 30 } container_delete_retention_policy { days = 30 } } (AzureArtifactStore: softDeleteRetentionDays)',
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
    fix: 'Set public_network_access_enabled = false, or network_acls { default_action = "Deny", ip_rules = network.allowedIpRanges }; or set network.mode: public in the config',
    relaxedBy: 'publicNetwork',
    check: publicEndpoint('network_acls', (fw) => fw.ip_rules),
  },
  {
    id: 'CKV_AZURE_109',
    cloud: 'azure',
    resourceTypes: ['azurerm_key_vault'],
    title: 'Key Vault network ACLs deny by default',
    fix: 'Set network_acls { default_action = "Deny", bypass = "AzureServices" }; or set network.mode: public in the config',
    relaxedBy: 'publicNetwork',
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
    fix: "Assign the narrowest built-in role on the resource or resource group the principal works on (the platform's grant methods do)",
    check: (e) => {
      const name = e.attrs.role_definition_name;
      const id = e.attrs.role_definition_id;
      const privileged =
        (typeof name === 'string' && PRIVILEGED_ROLE_NAMES.has(name.toLowerCase())) || (typeof id === 'string' && PRIVILEGED_ROLE_IDS.some((g) => id.toLowerCase().includes(g)));
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
      if (typeof subject !== 'string' || isExpression(subject) || !PINNED_SUBJECT.test(subject))
        findings.push({ found: `${describe('subject', subject)}, which does not pin one repository (repo:<owner>/<repo>:…)` });
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
    fix: 'Allow inbound traffic from network.allowedIpRanges or service tags only, or set network.mode: public in the config',
    relaxedBy: 'publicNetwork',
    check: (e) =>
      e.type === 'azurerm_network_security_rule'
        ? nsgRuleFindings(e.attrs as Record<string, unknown>, 'the rule')
        : blocks(e.attrs.security_rule).flatMap((r, i) => nsgRuleFindings(r, `security_rule[${i}] (${show(r.name)})`)),
  },
  // Deploy readiness
  {
    id: 'MLOPS_DEPLOY_AZURE_WRITE_PATH',
    cloud: 'azure',
    resourceTypes: ['azurerm_key_vault_key', 'azurerm_storage_blob', 'docker_registry_image', 'terraform_data'],
    title:
      "a write Terraform makes through a data plane (Key Vault key, blob, image push, the endpoint release step's rollout lease) has a network path from the deployer in the configured mode",
    fix: "firewalled: list the deployers' and CI runners' egress in network.allowedIpRanges (a storage account's IP rules do not apply to requests from its own Azure region: run Terraform from another region or outside Azure, or let its subnet through with AzureArtifactStore.allowSubnet); private: a private endpoint of the sub-resource (with its DNS zone group) that the write depends on, and Terraform run inside the network",
    check: writePath,
  },
  {
    id: 'MLOPS_DEPLOY_AZURE_WRITE_ROLE',
    cloud: 'azure',
    resourceTypes: ['azurerm_key_vault_key', 'azurerm_storage_blob', 'docker_registry_image', 'terraform_data'],
    title:
      "every deployer holds the data role a Terraform data-plane write needs (Key Vault Crypto Officer, Storage Blob Data Contributor, AcrPush; the endpoint release step's rollout lease: a blob role that writes, a reader role cannot lease), and the write depends on that role assignment",
    fix: 'Name the deployers (config deployers:) and let the platform grant them (platform.grantDeploy), which also orders the writes after the assignments',
    check: writeRole,
  },
  {
    id: 'MLOPS_DEPLOY_AZURE_BLOB_CONTAINER',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_blob'],
    title: 'a blob depends on the container it is written into',
    fix: 'Refer to the container by attribute, or add depends_on on it (AzureArtifactStore.bindDataPlaneWrite)',
    check: blobContainer,
  },
  {
    id: 'MLOPS_DEPLOY_AZURE_STORAGE_DATA_PLANE',
    cloud: 'azure',
    resourceTypes: ['azurerm_storage_account'],
    title: 'the azurerm provider can read the storage account (it reads the data plane on create and refresh unless storage { data_plane_available = false })',
    fix: 'Set the azurerm provider feature storage { data_plane_available = false } (hashicorp/terraform-provider-azurerm#33454)',
    check: storageDataPlane,
  },
  {
    id: 'MLOPS_DEPLOY_AZURE_CMK_PATH',
    cloud: 'azure',
    resourceTypes: ['azurerm_container_registry'],
    title:
      'a registry encrypted with a customer-managed key through a user-assigned identity uses a vault that identity can reach at creation (a firewalled vault lets only system-assigned identities through)',
    fix: 'Use Microsoft-managed keys for the registry, or a vault open to it (MicrosoftDocs/azure-docs#61064)',
    check: registryKeyPath,
  },
  {
    id: 'MLOPS_DEPLOY_AZURE_WORKLOAD_ACCESS',
    cloud: 'azure',
    resourceTypes: ['terraform_data'],
    title: 'the identity an Azure release step (training job, endpoint) runs as can pull the image and read the data, and the step depends on those role assignments',
    fix: 'Grant the workload identity AcrPull on the registry and a blob data role on the artifact container (the platform does), and make the step depend on them',
    check: workloadAccess,
  },
  {
    id: 'MLOPS_DEPLOY_AZURE_JOB_PATH',
    cloud: 'azure',
    resourceTypes: ['azurerm_container_app_job'],
    title:
      'a Container Apps job (the pipeline promoter) reaches the registry it pulls from and the storage accounts it is given (blob, queue) from its environment: an open public endpoint, a virtual network rule for its subnet with the Microsoft.Storage service endpoint, or a private endpoint resolved in its network; and it depends on that path',
    fix: 'Run the environment in a subnet the stores let through (AzureArtifactStore.allowSubnet, a private endpoint with its DNS zone linked to the network), and make the job depend on the account rule or the endpoint (AzurePipelinePromoter does)',
    check: jobPath,
  },
  {
    id: 'MLOPS_DEPLOY_AZURE_WORKSPACE_ACCESS',
    cloud: 'azure',
    resourceTypes: ['azurerm_machine_learning_workspace'],
    title:
      "the Azure ML workspace's user-assigned identity holds the roles on its storage account, Key Vault and customer-managed key before the workspace is created, and the workspace can reach them",
    fix: 'Assign the workspace identity Storage Blob Data Contributor on the account, Contributor on the vault and Key Vault Crypto Service Encryption User on the key, and make the workspace depend on them (AzureMlWorkspace does)',
    check: workspaceAccess,
  },
];
