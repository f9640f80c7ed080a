import { PrivateDnsZone } from '@cdktf/provider-azurerm/lib/private-dns-zone';
import { PrivateDnsZoneVirtualNetworkLink } from '@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { AZURE_PRIVATE_DNS_ZONES, AzurePrivateDnsZoneKind, DEFAULT_ADDRESS_SPACE, ExistingAzureNetwork, checkAddressSpace, cidrSubnet } from '../core/network';
import { IAzureResourceGroup } from './common';
import { AzurePrivateEndpointOptions } from './private-endpoint';
import { markImported } from './imported';
import { azureTags, checkPhysicalName, namingOf } from './util';
import { PropChecks } from '../core/validate';

/** Props of {@link AzureNetwork}. */
export interface AzureNetworkProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The resource group the network, subnet and zones are created in. */
  readonly resourceGroup: IAzureResourceGroup;
  /**
   * Address space of the virtual network the construct creates; the private
   * endpoint subnet is its first /24 (or the whole space when it is a /24).
   * @default '10.40.0.0/16'
   */
  readonly addressSpace?: string;
  /**
   * Use an existing subnet for the private endpoints instead of creating a
   * network (hub-and-spoke landing zones), and the hub's private DNS zones.
   * Zones not listed are created and linked to the subnet's network.
   * @default - a virtual network and subnet are created
   */
  readonly existing?: ExistingAzureNetwork;
  /**
   * The virtual network's name when one is created: 2-64 letters, digits,
   * `_`, `.` and `-`. The private endpoint subnet is `snet-private-endpoints`.
   * @default - `<company>-<project>-<env>-vnet`
   */
  readonly physicalName?: string;
  /**
   * Tags put on the network resources, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A network a private-mode platform puts its private endpoints in: created by
 * {@link AzureNetwork}, or an existing one ({@link AzureNetwork.fromExisting}).
 */
export interface IAzureNetwork extends IConstruct {
  /** The virtual network id. */
  readonly networkId: string;
  /** The subnet the private endpoints go in. */
  readonly subnetId: string;
  /** The private DNS zone id of each kind. */
  readonly zoneIds: Readonly<Record<AzurePrivateDnsZoneKind, string>>;
  /** What a private endpoint's records need before they resolve (zone links this stack created). */
  readonly zoneLinks: readonly ITerraformDependable[];
  /** True when this stack created the virtual network. */
  readonly created: boolean;
  /** The private endpoint options of one sub-resource, in this network's subnet and with its zones. */
  endpointFor(subResource: AzurePrivateEndpointSubResource): AzurePrivateEndpointOptions;
}

/** The sub-resources the platform makes private endpoints for. */
export type AzurePrivateEndpointSubResource = 'vault' | 'blob' | 'file' | 'registry' | 'amlworkspace';

/**
 * What {@link AzureNetwork.fromExisting} needs to know about an
 * existing network (a hub-and-spoke landing zone): the subnet for the private
 * endpoints and every private DNS zone the platform registers records in,
 * already linked to the networks that resolve them.
 */
export interface AzureNetworkAttributes {
  /** The subnet the private endpoints go in (`/subscriptions/…/virtualNetworks/<vnet>/subnets/<subnet>`). */
  readonly subnetId: string;
  /**
   * The private DNS zone of every kind (`vault`, `blob`, `file`, `registry`,
   * `amlworkspace`, `notebooks`): an import creates nothing, not even a zone.
   */
  readonly privateDnsZoneIds: Readonly<Record<AzurePrivateDnsZoneKind, string>>;
}

const SUBNET_ID = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+)\/subnets\/[^/]+$/i;
const ZONE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/([^/]+)$/i;

/**
 * The private network of a `private`-mode platform: a virtual network with a
 * subnet for private endpoints (or an existing subnet), and the private DNS
 * zones that resolve the platform's private endpoints — Key Vault (`vault`),
 * storage (`blob`, `file`), container registry (`registry`) and the Azure ML
 * workspace (`amlworkspace`, with `notebooks`) — each linked to the network.
 * Zones of an existing hub are used as they are (the hub links them).
 */
export class AzureNetwork extends Construct implements IAzureNetwork {
  /**
   * An existing network: its subnet and private DNS zones. Nothing is
   * created or changed in it; a private-mode platform creates its private
   * endpoints in the subnet and registers their records in the zones.
   */
  public static fromExisting(scope: Construct, id: string, attrs: AzureNetworkAttributes): IAzureNetwork {
    return new ImportedPrivateNetwork(scope, id, attrs);
  }

  /** The virtual network id (created, or the one of the existing subnet). */
  public readonly networkId: string;
  /** The subnet the private endpoints go in. */
  public readonly subnetId: string;
  /** The private DNS zone id of each kind. */
  public readonly zoneIds: Readonly<Record<AzurePrivateDnsZoneKind, string>>;
  /** The links of the zones this construct created, to the network: a private endpoint's name resolves only once they exist. */
  public readonly zoneLinks: readonly ITerraformDependable[];
  /** True when the network was created by this construct. */
  public readonly created: boolean;
  /** The address space of the virtual network this stack created (undefined for an existing network). */
  public readonly addressSpace?: string;
  /** The name of the virtual network this stack created (undefined for an existing network). */
  public readonly virtualNetworkName?: string;

  constructor(scope: Construct, id: string, props: AzureNetworkProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const existing = props.existing;
    const addressSpace = props.addressSpace ?? DEFAULT_ADDRESS_SPACE;
    if (!existing) checkAddressSpace(new PropChecks(issues, 'AzureNetwork', this.node.path), addressSpace);
    const existingVnet = existing ? checkExistingNetwork(new PropChecks(issues, 'AzureNetwork', this.node.path), 'existing.', existing) : undefined;
    const vnetName = props.physicalName ?? `${naming.prefix}-vnet`;
    if (!existing && props.physicalName !== undefined) {
      checkPhysicalName(new PropChecks(issues, 'AzureNetwork', this.node.path), 'physicalName', props.physicalName, 'virtualNetwork');
    } else if (!existing && vnetName.length > 64) {
      issues.add(
        ErrorCode.NAME_TOO_LONG,
        this.node.path,
        `The virtual network name "${vnetName}" is ${vnetName.length} characters; Azure allows 64. Fix: shorten naming.company or naming.project, or set physicalName.`,
      );
    }
    issues.throwIfAny('Invalid AzureNetwork props:');

    const tags = azureTags(naming, props.tags);
    const rg = { resourceGroupName: props.resourceGroup.resourceGroupName };
    if (existing) {
      this.networkId = existingVnet ?? existing.subnetId;
      this.subnetId = existing.subnetId;
      this.created = false;
    } else {
      const vnet = new VirtualNetwork(this, 'Resource', {
        name: vnetName,
        location: props.resourceGroup.location,
        ...rg,
        addressSpace: [addressSpace],
        tags,
      });
      const prefix = Number(addressSpace.split('/')[1]);
      const subnet = new Subnet(this, 'PrivateEndpoints', {
        name: 'snet-private-endpoints',
        ...rg,
        virtualNetworkName: vnet.name,
        addressPrefixes: [prefix >= 24 ? addressSpace : cidrSubnet(addressSpace, 24 - prefix, 0)],
        // Network policies (NSG, UDR) apply to the private endpoints too.
        privateEndpointNetworkPolicies: 'Enabled',
        // Nothing in the subnet reaches the internet except through what the network adds.
        defaultOutboundAccessEnabled: false,
      });
      this.networkId = vnet.id;
      this.subnetId = subnet.id;
      this.created = true;
      this.addressSpace = addressSpace;
      this.virtualNetworkName = vnet.name;
    }

    const zoneIds: Partial<Record<AzurePrivateDnsZoneKind, string>> = {};
    const links: ITerraformDependable[] = [];
    for (const [kind, zoneName] of Object.entries(AZURE_PRIVATE_DNS_ZONES) as [AzurePrivateDnsZoneKind, string][]) {
      const given = existing?.privateDnsZoneIds?.[kind];
      if (given) {
        zoneIds[kind] = given;
        continue;
      }
      const zone = new PrivateDnsZone(this, `Zone-${kind}`, { name: zoneName, ...rg, tags });
      links.push(
        new PrivateDnsZoneVirtualNetworkLink(this, `ZoneLink-${kind}`, {
          name: `${naming.prefix}-${kind}`,
          ...rg,
          privateDnsZoneName: zone.name,
          virtualNetworkId: this.networkId,
          registrationEnabled: false,
          tags,
        }),
      );
      zoneIds[kind] = zone.id;
    }
    this.zoneIds = zoneIds as Record<AzurePrivateDnsZoneKind, string>;
    this.zoneLinks = links;
  }

  /** The private endpoint options of one sub-resource, in this network's subnet and with its zones. */
  public endpointFor(subResource: AzurePrivateEndpointSubResource): AzurePrivateEndpointOptions {
    return endpointOptions(this, subResource);
  }
}

function endpointOptions(network: IAzureNetwork, subResource: AzurePrivateEndpointSubResource): AzurePrivateEndpointOptions {
  const zones: AzurePrivateDnsZoneKind[] = subResource === 'amlworkspace' ? ['amlworkspace', 'notebooks'] : [subResource];
  return { subResource, subnetId: network.subnetId, privateDnsZoneIds: zones.map((z) => network.zoneIds[z]), dependsOn: network.zoneLinks };
}

/** Records every problem of an existing network's subnet and zone ids; returns the subnet's virtual network id. */
function checkExistingNetwork(check: PropChecks, prefix: string, existing: ExistingAzureNetwork): string | undefined {
  const { issues, construct, path } = check;
  const existingVnet = SUBNET_ID.exec(existing.subnetId ?? '')?.[1];
  if (!Token.isUnresolved(existing.subnetId) && !existingVnet) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(
        construct,
        `${prefix}subnetId`,
        existing.subnetId,
        'a subnet resource id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>',
      ),
    );
  }
  for (const [kind, zoneId] of Object.entries(existing.privateDnsZoneIds ?? {})) {
    const zone = ZONE_ID.exec(zoneId ?? '')?.[1];
    const expected = AZURE_PRIVATE_DNS_ZONES[kind as AzurePrivateDnsZoneKind];
    if (expected === undefined) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        messages.propInvalid(construct, `${prefix}privateDnsZoneIds.${kind}`, zoneId, `a zone of one of the kinds ${Object.keys(AZURE_PRIVATE_DNS_ZONES).join(', ')}`),
      );
    } else if (!Token.isUnresolved(zoneId) && zone?.toLowerCase() !== expected) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        messages.propInvalid(construct, `${prefix}privateDnsZoneIds.${kind}`, zoneId, `the resource id of the private DNS zone ${expected}`),
      );
    }
  }
  return existingVnet;
}

/** An existing network: nothing is created. */
class ImportedPrivateNetwork extends Construct implements IAzureNetwork {
  public readonly networkId: string;
  public readonly subnetId: string;
  public readonly zoneIds: Readonly<Record<AzurePrivateDnsZoneKind, string>>;
  public readonly zoneLinks: readonly ITerraformDependable[] = [];
  public readonly created = false;

  constructor(scope: Construct, id: string, attrs: AzureNetworkAttributes) {
    super(scope, id);
    const construct = 'AzureNetwork.fromExisting';
    const issues = new IssueCollector();
    const vnet = checkExistingNetwork(new PropChecks(issues, construct, this.node.path), '', attrs);
    const missing = (Object.keys(AZURE_PRIVATE_DNS_ZONES) as AzurePrivateDnsZoneKind[]).filter((k) => attrs.privateDnsZoneIds?.[k] === undefined);
    if (missing.length > 0) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid(
          construct,
          'privateDnsZoneIds',
          missing.join(', ') + ' missing',
          `the id of every zone kind (${missing.map((k) => `${k}: ${AZURE_PRIVATE_DNS_ZONES[k]}`).join('; ')}). Fix: add them, or use new AzureNetwork(…, { existing }) (network.existing.azure), which creates and links the zones the hub lacks`,
        ),
      );
    }
    issues.throwIfAny(`Invalid ${construct} attributes:`);
    this.subnetId = attrs.subnetId;
    this.networkId = vnet ?? Fn.join('/', Fn.slice(Fn.split('/', attrs.subnetId), 0, 9));
    this.zoneIds = { ...attrs.privateDnsZoneIds };
    markImported(this, { kind: 'network', resourceId: this.networkId, name: this.networkId.split('/').pop() ?? '' });
  }

  /** The private endpoint options of one sub-resource, in the subnet and with the hub's zones. */
  public endpointFor(subResource: AzurePrivateEndpointSubResource): AzurePrivateEndpointOptions {
    return endpointOptions(this, subResource);
  }
}
