import { TerraformResourceLifecycle, Token } from 'cdktf';
import { ErrorCode, IssueCollector, messages } from '../../core/errors';
import { NameKind, Naming, NamingParts } from '../../core/naming';
import { platformTags, tagsFor } from '../../core/tags';
import { toNaming } from '../../core/platform-props';
import { AzureNetworkProps } from '../common';

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
export function checkIpRanges(issues: IssueCollector, construct: string, path: string, ranges: readonly string[] | undefined): void {
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

/** Records a problem unless `value` is an integer within [min, max]. */
export function checkInt(issues: IssueCollector, construct: string, path: string, prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, value, `an integer from ${min} to ${max}`));
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Records a problem unless `value` is a GUID (tenant id, object id). */
export function checkGuid(issues: IssueCollector, construct: string, path: string, prop: string, value: string | undefined): void {
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
export function firewallOf(props: AzureNetworkProps): FirewallSettings {
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

/** Records a problem unless `location` looks like an Azure region name. */
export function checkLocation(issues: IssueCollector, construct: string, path: string, location: string | undefined): void {
  if (location !== undefined && Token.isUnresolved(location)) return;
  if (!/^[a-z][a-z0-9]*$/.test(location ?? '')) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, 'location', location, 'an Azure region name in lowercase without spaces, e.g. "westeurope"'));
  }
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
export function checkCustomerManagedKey(
  issues: IssueCollector,
  construct: string,
  path: string,
  enabled: boolean,
  key: CmkKey | undefined,
  identity: object | undefined,
  identityProp = 'encryptionIdentity',
): void {
  if (!enabled) return;
  if (key === undefined) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, 'encryptionKey', undefined, 'an AzureEncryptionKey while customerManagedKey is true (the default)'));
  } else if (!key.purgeProtected) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(construct, 'encryptionKey', `${key.keyVaultName} (purgeProtection false)`, 'a key whose vault has purge protection while customerManagedKey is true (Azure requires it for customer-managed keys)'),
    );
  }
  if (identity === undefined) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, identityProp, undefined, 'an AzureWorkloadIdentity while customerManagedKey is true (the default)'));
  }
}
