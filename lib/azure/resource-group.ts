import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { Construct } from 'constructs';
import { IssueCollector } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { IAzureResourceGroup } from './common';
import { azureTags, checkLocation, nameFor, namingOf } from './private/util';

/** Props of {@link AzureResourceGroup}. */
export interface AzureResourceGroupProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** Azure region, e.g. `westeurope`. */
  readonly location: string;
  /**
   * Tags put on the resource group, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The platform's resource group (`<company>-<project>-<env>-rg`). */
export class AzureResourceGroup extends Construct implements IAzureResourceGroup {
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
    checkLocation(issues, 'AzureResourceGroup', this.node.path, props.location);
    const name = nameFor(issues, naming, 'resourceGroup', 'rg');
    issues.throwIfAny('Invalid AzureResourceGroup props:');

    const rg = new ResourceGroup(this, 'Resource', { name, location: props.location, tags: azureTags(naming, props.tags) });
    // The token (not the literal) so every resource in the group waits for it.
    this.resourceGroupName = rg.name;
    this.resourceGroupId = rg.id;
    this.location = props.location;
  }
}
