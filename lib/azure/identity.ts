import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Construct } from 'constructs';
import { IssueCollector } from '../core/errors';
import { IWorkloadIdentity } from '../core/contracts';
import { AzureResourceProps } from './common';
import { azureTags, nameFor, namingOf } from './private/util';

/** Props of {@link AzureWorkloadIdentity}. */
export interface AzureWorkloadIdentityProps extends AzureResourceProps {
  /**
   * The `<resource>` part of the identity's name.
   * @default 'id' (the workload identity of PLATFORM_NAMES)
   */
  readonly resource?: string;
}

/**
 * A user-assigned managed identity. Stores grant to it with role assignments
 * scoped to the one resource; it never holds subscription- or
 * resource-group-wide roles.
 */
export class AzureWorkloadIdentity extends Construct implements IWorkloadIdentity {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** Identity name. */
  public readonly identityName: string;
  /** Identity resource id. */
  public readonly identityId: string;
  /** Principal (object) id, what role assignments name. */
  public readonly principal: string;
  /** Client (application) id, what services such as ACR encryption name. */
  public readonly clientId: string;

  constructor(scope: Construct, id: string, props: AzureWorkloadIdentityProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const name = nameFor(issues, naming, 'managedIdentity', props.resource ?? 'id');
    issues.throwIfAny('Invalid AzureWorkloadIdentity props:');

    const identity = new UserAssignedIdentity(this, 'Resource', {
      name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.resourceGroupName,
      tags: azureTags(naming, props.tags),
    });
    this.identityName = name;
    this.identityId = identity.id;
    this.principal = identity.principalId;
    this.clientId = identity.clientId;
  }
}
