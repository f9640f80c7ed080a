import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { PropChecks } from '../core/validate';

/**
 * A private endpoint of one sub-resource of a resource (the Azure Verified
 * Modules `privateEndpoints` interface, reduced to what the platform uses):
 * the subnet its network interface goes in and the private DNS zones its
 * zone group registers the records in.
 */
export interface AzurePrivateEndpointOptions {
  /**
   * The sub-resource (group id) the endpoint connects to: `vault`, `blob`,
   * `file`, `registry`, `amlworkspace`.
   */
  readonly subResource: string;
  /** The subnet the endpoint's network interface goes in. */
  readonly subnetId: string;
  /**
   * Private DNS zones (resource ids) the endpoint's zone group writes its A
   * records to, so that the resource's public name resolves to the private
   * address inside the linked networks.
   */
  readonly privateDnsZoneIds: readonly string[];
  /**
   * What has to exist before the endpoint's records resolve: the DNS zones'
   * links to the network (a write that waits for the endpoint then waits for them too).
   * @default - none
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
const ZONE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/[^/]+$/i;

/** Records a problem for every malformed entry of a `privateEndpoints` prop. */
export function checkPrivateEndpoints(check: PropChecks, endpoints: readonly AzurePrivateEndpointOptions[] | undefined, subResources: readonly string[]): void {
  const { issues, construct, path } = check;
  const seen = new Set<string>();
  (endpoints ?? []).forEach((pe, i) => {
    const prop = `privateEndpoints[${i}]`;
    if (!subResources.includes(pe.subResource)) {
      issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, `${prop}.subResource`, pe.subResource, `one of ${subResources.map((s) => `'${s}'`).join(', ')}`));
    } else if (seen.has(pe.subResource)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        messages.propInvalid(construct, `${prop}.subResource`, pe.subResource, 'a sub-resource not listed twice (one private endpoint per sub-resource)'),
      );
    }
    seen.add(pe.subResource);
    if (!Token.isUnresolved(pe.subnetId) && !SUBNET_ID.test(pe.subnetId ?? '')) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        messages.propInvalid(
          construct,
          `${prop}.subnetId`,
          pe.subnetId,
          'a subnet resource id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>',
        ),
      );
    }
    if ((pe.privateDnsZoneIds ?? []).length === 0) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        messages.propInvalid(
          construct,
          `${prop}.privateDnsZoneIds`,
          pe.privateDnsZoneIds,
          'at least one private DNS zone id (without a zone group the public name keeps resolving to the public address)',
        ),
      );
    }
    (pe.privateDnsZoneIds ?? []).forEach((zone, j) => {
      if (!Token.isUnresolved(zone) && !ZONE_ID.test(zone)) {
        issues.add(
          ErrorCode.PROP_INVALID,
          path,
          messages.propInvalid(
            construct,
            `${prop}.privateDnsZoneIds[${j}]`,
            zone,
            'a private DNS zone resource id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone>',
          ),
        );
      }
    });
  });
}

/** Where a resource's private endpoints are created. */
export interface PrivateEndpointTarget {
  /** The resource id the endpoints connect to. */
  readonly resourceId: string;
  /** The resource's name: the endpoints are named `pe-<name>-<sub-resource>`. */
  readonly resourceName: string;
  /** Azure region of the endpoints (the network's). */
  readonly location: string;
  /** Resource group of the endpoints. */
  readonly resourceGroupName: string;
  /** Tags of the endpoints. */
  readonly tags: Record<string, string>;
}

/**
 * Creates one private endpoint per entry (with its private DNS zone group) as
 * children of `scope` (`PrivateEndpoint-<sub-resource>`), connected to the
 * resource without manual approval. Returns them by sub-resource.
 */
export function createPrivateEndpoints(
  scope: Construct,
  target: PrivateEndpointTarget,
  endpoints: readonly AzurePrivateEndpointOptions[] | undefined,
): Map<string, PrivateEndpoint> {
  const out = new Map<string, PrivateEndpoint>();
  for (const pe of endpoints ?? []) {
    const name = `pe-${target.resourceName}-${pe.subResource}`;
    out.set(
      pe.subResource,
      new PrivateEndpoint(scope, `PrivateEndpoint-${pe.subResource}`, {
        name,
        location: target.location,
        resourceGroupName: target.resourceGroupName,
        subnetId: pe.subnetId,
        customNetworkInterfaceName: `${name}-nic`,
        privateServiceConnection: {
          name,
          isManualConnection: false,
          privateConnectionResourceId: target.resourceId,
          subresourceNames: [pe.subResource],
        },
        privateDnsZoneGroup: { name: 'default', privateDnsZoneIds: [...pe.privateDnsZoneIds] },
        tags: target.tags,
        dependsOn: pe.dependsOn ? [...pe.dependsOn] : undefined,
      }),
    );
  }
  return out;
}

/** Where private endpoints added to a resource later ({@link addPrivateEndpointsTo}) go: the network side's region and resource group. */
export interface AzurePrivateEndpointPlacement {
  /** Azure region of the endpoints (the subnet's). */
  readonly location: string;
  /** Resource group the endpoints are created in. */
  readonly resourceGroupName: string;
  /**
   * Tags of the endpoints.
   * @default - none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Validates and creates private endpoints of a resource after the fact (an
 * imported resource in a private-mode platform, or another subnet): as
 * children of `host`, refusing a sub-resource that already has one. Adds the
 * new endpoints to `endpoints` and returns them.
 */
export function addPrivateEndpointsTo(
  host: Construct,
  construct: string,
  resource: { readonly resourceId: string; readonly resourceName: string },
  endpoints: Map<string, PrivateEndpoint>,
  options: readonly AzurePrivateEndpointOptions[],
  placement: AzurePrivateEndpointPlacement,
  subResources: readonly string[],
): PrivateEndpoint[] {
  const issues = new IssueCollector();
  checkPrivateEndpoints(new PropChecks(issues, construct, host.node.path), options, subResources);
  options.forEach((pe, i) => {
    if (endpoints.has(pe.subResource)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        host.node.path,
        messages.propInvalid(construct, `privateEndpoints[${i}].subResource`, pe.subResource, 'a sub-resource that has no private endpoint yet (one per sub-resource)'),
      );
    }
  });
  if (!placement || (!Token.isUnresolved(placement.location) && !/^[a-z][a-z0-9]*$/.test(placement.location ?? ''))) {
    issues.add(ErrorCode.PROP_INVALID, host.node.path, messages.propInvalid(construct, 'placement.location', placement?.location, 'an Azure region name, e.g. "westeurope"'));
  }
  issues.throwIfAny(`Invalid ${construct} private endpoints:`);
  const created = createPrivateEndpoints(
    host,
    { ...resource, location: placement.location, resourceGroupName: placement.resourceGroupName, tags: { ...(placement.tags ?? {}) } },
    options,
  );
  for (const [sub, pe] of created) endpoints.set(sub, pe);
  return [...created.values()];
}
