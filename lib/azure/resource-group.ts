import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { Construct } from 'constructs';
import { IssueCollector } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { IAzureResourceGroup } from './common';
import { markImported } from './imported';
import { azureTags, checkGuid, checkPhysicalName, namingOf, physicalNameFor } from './util';
import { PropChecks } from '../core/validate';

/** Props of {@link AzureResourceGroup}. */
export interface AzureResourceGroupProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** Azure region, e.g. `westeurope`. */
  readonly location: string;
  /**
   * The resource group's name, instead of the naming helper's
   * `<company>-<project>-<env>-rg`: 1-90 letters, digits, `_`, `-`, `.`, `(`
   * and `)`, not ending with a period.
   * @default - `<company>-<project>-<env>-rg`
   */
  readonly physicalName?: string;
  /**
   * Tags put on the resource group, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** What {@link AzureResourceGroup.fromExisting} needs to know about an existing resource group. */
export interface AzureResourceGroupAttributes {
  /** The resource group's name. */
  readonly resourceGroupName: string;
  /** Its Azure region, e.g. `westeurope`: the region the platform's resources are created in. */
  readonly location: string;
  /**
   * The subscription it is in (a GUID).
   * @default - the subscription the azurerm provider is configured for (data `azurerm_client_config`)
   */
  readonly subscriptionId?: string;
}

/** The platform's resource group (`<company>-<project>-<env>-rg`). */
export class AzureResourceGroup extends Construct implements IAzureResourceGroup {
  /**
   * An existing resource group (a landing zone's): the platform creates its
   * resources in it and creates no resource group. Nothing is changed on the
   * group itself; custom roles the platform defines are assignable in it.
   */
  public static fromExisting(scope: Construct, id: string, attrs: AzureResourceGroupAttributes): IAzureResourceGroup {
    return new ImportedResourceGroup(scope, id, attrs);
  }

  /** An existing resource group by name, in the provider's subscription. */
  public static fromName(scope: Construct, id: string, resourceGroupName: string, location: string): IAzureResourceGroup {
    return new ImportedResourceGroup(scope, id, { resourceGroupName, location });
  }

  /** Resource group name. */
  public readonly resourceGroupName: string;
  /** Resource group resource id. */
  public readonly resourceGroupId: string;
  /** Azure region. */
  public readonly location: string;

  constructor(scope: Construct, id: string, props: AzureResourceGroupProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    new PropChecks(issues, 'AzureResourceGroup', this.node.path).region('azure', 'location', props.location);
    const name = physicalNameFor(issues, naming, 'resourceGroup', 'rg', { construct: 'AzureResourceGroup', path: this.node.path, prop: 'physicalName', value: props.physicalName });
    issues.throwIfAny('Invalid AzureResourceGroup props:');

    const rg = new ResourceGroup(this, 'Resource', { name, location: props.location, tags: azureTags(naming, props.tags) });
    // The token (not the literal) so every resource in the group waits for it.
    this.resourceGroupName = rg.name;
    this.resourceGroupId = rg.id;
    this.location = props.location;
  }
}

/** An existing resource group: nothing is created. */
class ImportedResourceGroup extends Construct implements IAzureResourceGroup {
  public readonly resourceGroupName: string;
  public readonly resourceGroupId: string;
  public readonly location: string;

  constructor(scope: Construct, id: string, attrs: AzureResourceGroupAttributes) {
    super(scope, id);
    const issues = new IssueCollector();
    const construct = 'AzureResourceGroup.fromExisting';
    checkPhysicalName(new PropChecks(issues, construct, this.node.path), 'resourceGroupName', attrs.resourceGroupName, 'resourceGroup');
    new PropChecks(issues, construct, this.node.path).region('azure', 'location', attrs.location);
    checkGuid(new PropChecks(issues, construct, this.node.path), 'subscriptionId', attrs.subscriptionId);
    issues.throwIfAny(`Invalid ${construct} attributes:`);

    const subscription = attrs.subscriptionId ?? new DataAzurermClientConfig(this, 'Subscription', {}).subscriptionId;
    this.resourceGroupName = attrs.resourceGroupName;
    this.resourceGroupId = `/subscriptions/${subscription}/resourceGroups/${attrs.resourceGroupName}`;
    this.location = attrs.location;
    markImported(this, { kind: 'resourceGroup', resourceId: this.resourceGroupId, name: attrs.resourceGroupName });
  }
}
