import { PrivateDnsZone } from '@cdktf/provider-azurerm/lib/private-dns-zone';
import { PrivateDnsZoneVirtualNetworkLink } from '@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { AZURE_PRIVATE_DNS_ZONES, AzurePrivateDnsZoneKind, DEFAULT_ADDRESS_SPACE, ExistingAzureNetwork, checkAddressSpace, cidrSubnet } from '../core/network';
import { IAzureResourceGroup } from './common';
import { AzurePrivateEndpointOptions } from './private-endpoint';
import { azureTags, namingOf } from './private/util';

/** Props of {@link AzurePrivateNetwork}. */
export interface AzurePrivateNetworkProps {
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
   * Tags put on the network resources, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
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
export class AzurePrivateNetwork extends Construct {
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

  constructor(scope: Construct, id: string, props: AzurePrivateNetworkProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const existing = props.existing;
    const addressSpace = props.addressSpace ?? DEFAULT_ADDRESS_SPACE;
    if (!existing) checkAddressSpace(issues, 'AzurePrivateNetwork', this.node.path, addressSpace);
    const existingVnet = existing ? SUBNET_ID.exec(existing.subnetId ?? '')?.[1] : undefined;
    if (existing && !Token.isUnresolved(existing.subnetId) && !existingVnet) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('AzurePrivateNetwork', 'existing.subnetId', existing.subnetId, 'a subnet resource id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>'),
      );
    }
    for (const [kind, zoneId] of Object.entries(existing?.privateDnsZoneIds ?? {})) {
      const zone = ZONE_ID.exec(zoneId ?? '')?.[1];
      const expected = AZURE_PRIVATE_DNS_ZONES[kind as AzurePrivateDnsZoneKind];
      if (expected === undefined) {
        issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzurePrivateNetwork', `existing.privateDnsZoneIds.${kind}`, zoneId, `a zone of one of the kinds ${Object.keys(AZURE_PRIVATE_DNS_ZONES).join(', ')}`));
      } else if (!Token.isUnresolved(zoneId) && zone?.toLowerCase() !== expected) {
        issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzurePrivateNetwork', `existing.privateDnsZoneIds.${kind}`, zoneId, `the resource id of the private DNS zone ${expected}`));
      }
    }
    const vnetName = `${naming.prefix}-vnet`;
    if (!existing && vnetName.length > 64) {
      issues.add(ErrorCode.NAME_TOO_LONG, this.node.path, `The virtual network name "${vnetName}" is ${vnetName.length} characters; Azure allows 64. Fix: shorten naming.company or naming.project.`);
    }
    issues.throwIfAny('Invalid AzurePrivateNetwork props:');

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
  public endpointFor(subResource: 'vault' | 'blob' | 'file' | 'registry' | 'amlworkspace'): AzurePrivateEndpointOptions {
    const zones: AzurePrivateDnsZoneKind[] = subResource === 'amlworkspace' ? ['amlworkspace', 'notebooks'] : [subResource];
    return { subResource, subnetId: this.subnetId, privateDnsZoneIds: zones.map((z) => this.zoneIds[z]), dependsOn: this.zoneLinks };
  }
}
