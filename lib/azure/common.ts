import { Naming, NamingParts } from '../core/naming';
import type { AzurePrivateEndpointOptions } from './private-endpoint';

/** The resource group a resource construct deploys into. */
export interface IAzureResourceGroup {
  /** Resource group name. */
  readonly resourceGroupName: string;
  /** Resource group resource id. */
  readonly resourceGroupId: string;
  /** Azure region, e.g. `westeurope`. */
  readonly location: string;
}

/**
 * How Terraform and the platform reach the data plane of an existing
 * (imported) Key Vault, storage account or container registry. The stack
 * cannot see an imported resource's firewall, so the import says it:
 * - `public`: its public endpoint lets every network through;
 * - `allowedRanges`: its firewall lets through the ranges Terraform runs
 *   from (the platform's `network.allowedIpRanges`; you keep the two in sync);
 * - `privateEndpoint`: it has a private endpoint, managed outside this
 *   stack, that resolves in the network Terraform runs in (`private` mode
 *   only; the platform then creates none for it).
 */
export type AzureReachableFrom = 'public' | 'allowedRanges' | 'privateEndpoint';

/** The kind of Entra principal a role assignment names. */
export type AzurePrincipalType = 'ServicePrincipal' | 'User' | 'Group';

/** Props every Azure resource construct accepts. */
export interface AzureResourceProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The resource group to deploy into. */
  readonly resourceGroup: IAzureResourceGroup;
  /**
   * Tags put on the resources, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Network props of the data stores (storage, Key Vault, registry). */
export interface AzureNetworkAccessProps {
  /**
   * Allow access from all public networks (firewall default action Allow).
   * Off by default: the public endpoint is disabled, or, when
   * `allowedIpRanges` is set, open to those ranges only (default action Deny).
   * @default false
   */
  readonly publicNetworkAccess?: boolean;
  /**
   * Public IPv4 addresses or CIDR ranges let through the firewall while
   * public access is off (the deployer's and CI runners' egress).
   * @default - none: only trusted Azure services and private access
   */
  readonly allowedIpRanges?: readonly string[];
  /**
   * Private endpoints of the resource's sub-resources (`vault`; `blob`,
   * `file`; `registry`), each in a subnet with its private DNS zones. Terraform
   * writes through the data plane (the key, a blob, an image push) then wait
   * for the endpoint of that sub-resource.
   * @default - none
   */
  readonly privateEndpoints?: readonly AzurePrivateEndpointOptions[];
}

/** Props of constructs that own stateful data. */
export interface AzureRetainProps {
  /**
   * Keep the resource on `cdktf destroy` (`lifecycle.prevent_destroy`).
   * @default true
   */
  readonly retainData?: boolean;
}

/** The kind of principal a deployer is: people are `User` (or a `Group`), CI identities `ServicePrincipal`. */
export type DeployPrincipalType = AzurePrincipalType;
