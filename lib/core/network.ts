import { ErrorCode, IssueCollector, messages } from './errors';
import { Cloud } from './cloud';
import { PropChecks } from './validate';

/**
 * How the platform's data planes (key vault / KMS, artifact storage, image
 * registry, workspace, scoring endpoint) are reached. The same meaning on
 * every cloud:
 * - `public`: public endpoints without a network firewall; access is by
 *   identity only (explicit opt-in, for sandboxes);
 * - `firewalled`: public endpoints with default-deny firewalls that let
 *   through only `allowedIpRanges` (the deployer's and CI's egress) and, where
 *   that is safe, the cloud's trusted services;
 * - `private`: every data plane is reached through a private network (a
 *   VNet/VPC the stack creates, or an existing one), jobs and endpoints run
 *   inside it, and Terraform runs from inside it too (a self-hosted runner).
 */
export const NETWORK_MODES = ['public', 'firewalled', 'private'] as const;

/** One of {@link NETWORK_MODES}. */
export type NetworkMode = (typeof NETWORK_MODES)[number];

/**
 * The mode a platform gets when none is configured: `firewalled`, the only
 * mode that is both closed by default and deployable from a workstation or a
 * hosted CI runner (see the README, "Network modes").
 */
export const DEFAULT_NETWORK_MODE: NetworkMode = 'firewalled';

/** The address space of the network the stack creates in `private` mode. */
export const DEFAULT_ADDRESS_SPACE = '10.40.0.0/16';

/** An existing Azure network to put the platform's private endpoints in (hub-and-spoke landing zones). */
export interface ExistingAzureNetwork {
  /** The subnet the private endpoints go in (`/subscriptions/…/virtualNetworks/<vnet>/subnets/<subnet>`). */
  readonly subnetId: string;
  /**
   * Existing private DNS zones, by zone kind, that resolve the private
   * endpoints (the hub's zones, already linked to the network). A kind not
   * listed gets a zone created by the stack and linked to the subnet's network.
   * @default - the stack creates and links every zone
   */
  readonly privateDnsZoneIds?: Readonly<Partial<Record<AzurePrivateDnsZoneKind, string>>>;
}

/** The private DNS zones an Azure private-mode platform needs, by the sub-resource they resolve. */
export const AZURE_PRIVATE_DNS_ZONES = {
  vault: 'privatelink.vaultcore.azure.net',
  blob: 'privatelink.blob.core.windows.net',
  file: 'privatelink.file.core.windows.net',
  registry: 'privatelink.azurecr.io',
  amlworkspace: 'privatelink.api.azureml.ms',
  notebooks: 'privatelink.notebooks.azure.net',
} as const;

/** A kind of private DNS zone of {@link AZURE_PRIVATE_DNS_ZONES}. */
export type AzurePrivateDnsZoneKind = keyof typeof AZURE_PRIVATE_DNS_ZONES;

/** An existing AWS VPC to run the platform in. */
export interface ExistingAwsNetwork {
  /** The VPC id (`vpc-…`). */
  readonly vpcId: string;
  /** Private subnets in at least two availability zones (`subnet-…`). */
  readonly subnetIds: readonly string[];
  /**
   * Route tables of those subnets, for the S3 gateway endpoint.
   * @default - none: the stack creates no S3 gateway endpoint (the VPC must already route S3 privately)
   */
  readonly routeTableIds?: readonly string[];
  /**
   * Create the interface endpoints (SageMaker, ECR, STS, logs, KMS, monitoring)
   * in the VPC. Turn off when the landing zone already resolves them centrally
   * (a second endpoint with private DNS for the same service would conflict).
   * @default true
   */
  readonly createEndpoints?: boolean;
}

/** An existing GCP VPC to run the platform in. */
export interface ExistingGcpNetwork {
  /** The network id (`projects/<p>/global/networks/<n>`). */
  readonly network: string;
  /** The subnetwork id (`projects/<p>/regions/<r>/subnetworks/<s>`), with Private Google Access on. */
  readonly subnetwork: string;
}

/** Existing networks, one per cloud (only the selected cloud's is used). */
export interface ExistingNetworks {
  /** The Azure network. */
  readonly azure?: ExistingAzureNetwork;
  /** The AWS network. */
  readonly aws?: ExistingAwsNetwork;
  /** The GCP network. */
  readonly gcp?: ExistingGcpNetwork;
}

/** The network options every cloud's platform accepts, with the same meaning on every cloud. */
export interface PlatformNetworkOptions {
  /**
   * How the data planes are reached ({@link NETWORK_MODES}).
   * @default 'firewalled'
   */
  readonly mode?: NetworkMode;
  /**
   * CIDR ranges the firewalls let through: the egress of whoever runs
   * `cdktf deploy` and of the CI runners. In `private` mode they are let
   * through too (for example a VPN range), besides the private network.
   * @default - none
   */
  readonly allowedIpRanges?: readonly string[];
  /**
   * Address space of the network the stack creates in `private` mode.
   * @default '10.40.0.0/16'
   */
  readonly addressSpace?: string;
  /**
   * Use an existing network in `private` mode instead of creating one.
   * @default - the stack creates the network
   */
  readonly existing?: ExistingNetworks;
}

/** The network options with their defaults applied. */
export interface ResolvedNetworkOptions {
  /** The mode. */
  readonly mode: NetworkMode;
  /** The allowed ranges. */
  readonly allowedIpRanges: readonly string[];
  /** The address space of a created network. */
  readonly addressSpace: string;
  /** The existing networks. */
  readonly existing: ExistingNetworks;
}

/** Applies the defaults of {@link PlatformNetworkOptions}. */
export function resolveNetwork(options: PlatformNetworkOptions | undefined): ResolvedNetworkOptions {
  return {
    mode: options?.mode ?? DEFAULT_NETWORK_MODE,
    allowedIpRanges: [...(options?.allowedIpRanges ?? [])],
    addressSpace: options?.addressSpace ?? DEFAULT_ADDRESS_SPACE,
    existing: options?.existing ?? {},
  };
}

/** True while the data planes are open to every network (`public` mode). */
export function isPublicNetwork(network: Pick<ResolvedNetworkOptions, 'mode'>): boolean {
  return network.mode === 'public';
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/([0-9]|[12]\d|3[0-2]))?$/;

/** True for an IPv4 address or CIDR (`203.0.113.0/24`). */
export function isIpv4Cidr(value: string): boolean {
  return IPV4_CIDR.test(value);
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * The `index`-th subnet of `cidr` with `newBits` more prefix bits, as
 * Terraform's `cidrsubnet` computes it, but at synth so that the synthesized
 * JSON (and the policy pack) sees literal ranges.
 */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const [ip, prefixText] = cidr.split('/');
  const prefix = Number(prefixText ?? 32);
  const length = prefix + newBits;
  if (!isIpv4Cidr(cidr) || length > 32 || index < 0 || index >= 2 ** newBits) {
    throw new RangeError(`cidrSubnet(${cidr}, ${newBits}, ${index}): no such subnet`);
  }
  const base = ipToInt(ip!) - (ipToInt(ip!) % 2 ** (32 - prefix));
  return `${intToIp(base + index * 2 ** (32 - length))}/${length}`;
}

/** Checks a network address space: an IPv4 CIDR with a prefix between 8 and 24 (room for the platform's subnets). */
export function checkAddressSpace(check: PropChecks, value: string | undefined): void {
  const { issues, construct, path } = check;
  if (value === undefined) return;
  const prefix = Number(value.split('/')[1]);
  if (!isIpv4Cidr(value) || !value.includes('/') || prefix < 8 || prefix > 24) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, 'network.addressSpace', value, 'an IPv4 CIDR with a prefix from /8 to /24, such as 10.40.0.0/16'));
  }
}

/** The shape of a deployer principal on each cloud, for messages. */
export const DEPLOYER_FORMATS: Readonly<Record<Cloud, { readonly pattern: RegExp; readonly accepted: string; readonly example: string }>> = {
  azure: {
    pattern: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    accepted: 'a Microsoft Entra object id (a UUID)',
    example: 'az ad signed-in-user show --query id -o tsv',
  },
  aws: {
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/,
    accepted: 'an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)',
    example: 'the role ARN of `aws sts get-caller-identity` (assumed-role sessions: arn:aws:iam::<account>:role/<role name>)',
  },
  gcp: {
    pattern: /^(user|group|serviceAccount):[^\s@:]+@[^\s@:]+\.[^\s@:]+$/,
    accepted: 'an IAM member: user:<email>, group:<email> or serviceAccount:<email>',
    example: 'user:$(gcloud config get-value account)',
  },
};

/** Checks deployer principals against their cloud's format (tokens pass). */
export function checkDeployers(
  issues: IssueCollector,
  cloud: Cloud,
  construct: string,
  path: string,
  deployers: readonly string[] | undefined,
  isToken: (v: string) => boolean,
): void {
  const format = DEPLOYER_FORMATS[cloud];
  (deployers ?? []).forEach((d, i) => {
    if (isToken(d) || format.pattern.test(d)) return;
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, `deployers[${i}]`, d, `${format.accepted}; find yours with ${format.example}`));
  });
}
