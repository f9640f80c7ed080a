import { Fn, TerraformResourceLifecycle, Token } from 'cdktf';
import { ErrorCode, IssueCollector, messages, show } from '../core/errors';
import { NAME_RULES, NameKind, Naming, NamingParts } from '../core/naming';
import { platformTags, tagsFor } from '../core/tags';
import { toNaming } from '../core/platform-props';
import { AzureNetworkAccessProps } from './common';
import { PropChecks } from '../core/validate';

/** Resolves naming and builds a name, recording (not throwing) a name problem. */
export function nameFor(issues: IssueCollector, naming: Naming, kind: NameKind, resource: string): string {
  const result = naming.tryName(kind, resource);
  if (typeof result === 'string') return result;
  issues.add(result.code, result.path, result.message);
  return `invalid-${resource}`;
}

/** The naming helper for props that take `Naming | NamingParts`. */
export function namingOf(naming: Naming | NamingParts): Naming {
  return toNaming(naming);
}

/** Tags in Azure form: the platform's own plus the caller's. */
export function azureTags(naming: Naming, extra?: Readonly<Record<string, string>>): Record<string, string> {
  return tagsFor('azure', platformTags(naming.parts, extra ?? {}));
}

/** `prevent_destroy` when data is retained. */
export function retainLifecycle(retain: boolean, extra: TerraformResourceLifecycle = {}): TerraformResourceLifecycle | undefined {
  const lifecycle: TerraformResourceLifecycle = { ...extra, ...(retain ? { preventDestroy: true } : {}) };
  return Object.keys(lifecycle).length > 0 ? lifecycle : undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isPrivate(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a === 127;
}

/** Records a problem for every entry of `allowedIpRanges` that is not a public IPv4 address or CIDR. */
export function checkIpRanges(check: PropChecks, ranges: readonly string[] | undefined): void {
  const { issues, construct, path } = check;
  (ranges ?? []).forEach((range, i) => {
    if (Token.isUnresolved(range)) return;
    const [ip, prefix, ...rest] = String(range).split('/');
    const prefixOk = prefix === undefined || (/^\d{1,2}$/.test(prefix) && Number(prefix) >= 8 && Number(prefix) <= 32);
    if (rest.length > 0 || !ip || !IPV4.test(ip) || !prefixOk) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        messages.propInvalid(construct, `allowedIpRanges[${i}]`, range, 'a public IPv4 address or CIDR range with a prefix of /8 to /32, e.g. "203.0.113.0/24"'),
      );
    } else if (isPrivate(ip)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        messages.propInvalid(construct, `allowedIpRanges[${i}]`, range, 'a public IPv4 range (private ranges reach the stores through private endpoints, not the firewall)'),
      );
    }
  });
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Records a problem unless `value` is a GUID (tenant id, object id). */
export function checkGuid(check: PropChecks, prop: string, value: string | undefined): void {
  const { issues, construct, path } = check;
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!GUID.test(value)) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, value, 'a GUID such as "00000000-0000-0000-0000-000000000000"'));
  }
}

/** The firewall shape every Azure data store uses. */
export interface FirewallSettings {
  /** Whether the public endpoint exists at all. */
  readonly publicEndpointEnabled: boolean;
  /** Default action of the firewall. */
  readonly defaultAction: 'Allow' | 'Deny';
  /** Ranges let through. */
  readonly ipRanges: string[];
}

/**
 * Public access off: no public endpoint, unless ranges are allowed, then the
 * endpoint only lets those ranges (and trusted Azure services) through.
 */
export function firewallOf(props: AzureNetworkAccessProps): FirewallSettings {
  const publicAccess = props.publicNetworkAccess ?? false;
  const ipRanges = [...(props.allowedIpRanges ?? [])];
  return {
    publicEndpointEnabled: publicAccess || ipRanges.length > 0,
    defaultAction: publicAccess ? 'Allow' : 'Deny',
    ipRanges,
  };
}

/** Storage accounts take single addresses instead of /31 and /32 ranges. */
export function storageIpRules(ranges: readonly string[]): string[] {
  const out: string[] = [];
  for (const range of ranges) {
    const [ip, prefix] = range.split('/');
    if (prefix === '32') out.push(ip!);
    else if (prefix === '31') {
      const parts = ip!.split('.').map(Number);
      const base = parts[3]! & 0xfe;
      out.push(`${parts[0]}.${parts[1]}.${parts[2]}.${base}`, `${parts[0]}.${parts[1]}.${parts[2]}.${base + 1}`);
    } else out.push(range);
  }
  return out;
}

/** What {@link checkCustomerManagedKey} needs to know about a key. */
interface CmkKey {
  readonly purgeProtected: boolean;
  readonly keyVaultName: string;
}

/**
 * Records a problem when customer-managed-key encryption is on but the key or
 * the identity that reaches it is missing, or the key's vault lacks the purge
 * protection Azure requires for customer-managed keys.
 */
export function checkCustomerManagedKey(check: PropChecks, enabled: boolean, key: CmkKey | undefined, identity: object | undefined, identityProp = 'encryptionIdentity'): void {
  const { issues, construct, path } = check;
  if (!enabled) return;
  if (key === undefined) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, 'encryptionKey', undefined, 'an AzureEncryptionKey while customerManagedKey is true (the default)'));
  } else if (!key.purgeProtected) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(
        construct,
        'encryptionKey',
        `${key.keyVaultName} (purgeProtection false)`,
        'a key whose vault has purge protection while customerManagedKey is true (Azure requires it for customer-managed keys)',
      ),
    );
  }
  if (identity === undefined) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, identityProp, undefined, 'an AzureWorkloadIdentity while customerManagedKey is true (the default)'));
  }
}

/**
 * The exact character rules Azure applies to each kind of name the Azure
 * constructs take as a `physicalName` (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
 * Lengths come from {@link NAME_RULES}; the naming helper builds names that
 * fit both. Names are matched case-sensitively: where Azure is
 * case-insensitive but stores lowercase (storage), only lowercase is accepted.
 */
const AZURE_NAME_CHARSETS: Partial<Record<NameKind, { readonly pattern: RegExp; readonly describe: string }>> = {
  resourceGroup: { pattern: /^[-\w.()]*[-\w()]$/, describe: 'letters, digits, underscores, hyphens, periods and parentheses, not ending with a period' },
  storageAccount: { pattern: /^[a-z0-9]+$/, describe: 'lowercase letters and digits only' },
  keyVault: { pattern: /^[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]$/, describe: 'letters, digits and single hyphens, starting with a letter and ending with a letter or digit' },
  keyVaultKey: { pattern: /^[A-Za-z0-9-]+$/, describe: 'letters, digits and hyphens' },
  containerRegistry: { pattern: /^[A-Za-z0-9]+$/, describe: 'letters and digits only' },
  mlWorkspace: { pattern: /^[A-Za-z][A-Za-z0-9_-]*$/, describe: 'letters, digits, hyphens and underscores, starting with a letter' },
  mlComputeCluster: { pattern: /^[A-Za-z][A-Za-z0-9-]*$/, describe: 'letters, digits and hyphens, starting with a letter' },
  managedIdentity: { pattern: /^[A-Za-z][A-Za-z0-9_-]*$/, describe: 'letters, digits, hyphens and underscores, starting with a letter' },
  logAnalytics: { pattern: /^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$/, describe: 'letters, digits and hyphens, starting with a letter and ending with a letter or digit' },
  appInsights: {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: Azure's name rule excludes control characters; the pattern names them on purpose.
    pattern: /^[^%&\\?/\u0000-\u001f]*[^%&\\?/\u0000-\u001f. ]$/,
    describe: 'any characters but % & \\ ? / and control characters, not ending with a space or period',
  },
  azureRoleDefinition: {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: Azure's name rule excludes control characters; the pattern names them on purpose.
    pattern: /^[^<>*%&:\\?+/\u0000-\u001f]*[^<>*%&:\\?+/\u0000-\u001f. ]$/,
    describe: 'any characters but < > * % & : \\ ? + / and control characters, not ending with a space or period',
  },
};

/** Azure virtual networks: 2-64 characters (not in NAME_RULES: the naming helper does not build them). */
const VIRTUAL_NETWORK_RULE = {
  min: 2,
  max: 64,
  pattern: /^[A-Za-z0-9][\w.-]*\w$/,
  describe: 'letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore',
};

/**
 * The physical name of a resource: the construct's `physicalName` (or another
 * name override prop) when given, checked against the Azure limits of its
 * kind, else the naming helper's `<company>-<project>-<env>-<resource>`.
 * Records (does not throw) every problem; tokens pass unchecked.
 */
export function physicalNameFor(
  issues: IssueCollector,
  naming: Naming,
  kind: NameKind,
  resource: string,
  override: { readonly construct: string; readonly path: string; readonly prop: string; readonly value: string | undefined },
): string {
  if (override.value === undefined) return nameFor(issues, naming, kind, resource);
  checkPhysicalName(new PropChecks(issues, override.construct, override.path), override.prop, override.value, kind);
  return override.value;
}

/** Records a problem unless `value` is a valid Azure name of `kind` (tokens pass). */
export function checkPhysicalName(check: PropChecks, prop: string, value: unknown, kind: NameKind | 'virtualNetwork'): void {
  const { issues, construct, path } = check;
  if (typeof value === 'string' && Token.isUnresolved(value)) return;
  const rule = kind === 'virtualNetwork' ? { ...VIRTUAL_NETWORK_RULE, label: 'Azure virtual network' } : { ...NAME_RULES[kind], ...AZURE_NAME_CHARSETS[kind] };
  const text = typeof value === 'string' ? value : undefined;
  const fits = text !== undefined && text.length >= rule.min && text.length <= rule.max && (rule.pattern?.test(text) ?? true);
  if (fits) return;
  const length = text === undefined ? '' : ` (${text.length} characters)`;
  issues.add(
    text !== undefined && text.length > rule.max ? ErrorCode.NAME_TOO_LONG : ErrorCode.NAME_INVALID,
    path,
    `The '${prop}' prop of ${construct} is not a valid ${rule.label} name: it must be ${rule.min}-${rule.max} characters of ${rule.describe ?? 'lowercase letters, digits and hyphens'}. ` +
      `Got ${show(value)}${length}. Fix: choose a name within those limits, or leave '${prop}' unset to use the naming helper's name.`,
  );
}

/** The parts of an Azure resource id `/subscriptions/<s>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>[/<child type>/<child name>]`. */
export interface AzureResourceIdParts {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  /** `/subscriptions/<s>/resourceGroups/<rg>`. */
  readonly resourceGroupId: string;
  readonly name: string;
  /** The name of the child resource, for ids of a child type. */
  readonly childName?: string;
}

/**
 * Parses a resource id of the given provider type (`Microsoft.Storage/storageAccounts`),
 * optionally of a child type (`blobServices/default/containers`), case-insensitively.
 */
export function parseResourceId(id: string, type: string, childType?: string): AzureResourceIdParts | undefined {
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const child = childType ? `/${escapeRegExp(childType)}/([^/]+)` : '';
  const match = new RegExp(`^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/${escapeRegExp(type)}/([^/]+)${child}$`, 'i').exec(id);
  if (!match) return undefined;
  return {
    subscriptionId: match[1]!,
    resourceGroupName: match[2]!,
    resourceGroupId: `/subscriptions/${match[1]!}/resourceGroups/${match[2]!}`,
    name: match[3]!,
    childName: childType ? match[4] : undefined,
  };
}

/**
 * Records a problem unless `value` is a resource id of `type` (tokens pass),
 * and returns its parts (undefined for a token or a bad id).
 */
export function checkResourceId(check: PropChecks, prop: string, value: string | undefined, type: string, example: string): AzureResourceIdParts | undefined {
  const { issues, construct, path } = check;
  if (typeof value === 'string' && Token.isUnresolved(value)) return undefined;
  const parts = typeof value === 'string' ? parseResourceId(value, type) : undefined;
  if (!parts) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, value, `the resource id of a ${type} resource, ${example}`));
  }
  return parts;
}

/** The resource group id of a resource id: literally, or as a Terraform expression for a token. */
export function resourceGroupIdOf(resourceId: string): string {
  if (!Token.isUnresolved(resourceId)) {
    const m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)(\/|$)/i.exec(resourceId);
    if (m) return m[1]!;
  }
  return Fn.join('/', Fn.slice(Fn.split('/', resourceId), 0, 5));
}
