import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { Construct } from 'constructs';
import { IModelRegistry, IWorkloadIdentity, identityOf } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { IAzureResourceGroup } from './common';
import { AZURE_MODEL_READER_ACTIONS, AZURE_ROLES } from './perms';
import { assignRole } from './private/grants';
import { namingOf, physicalNameFor } from './util';
import { AzureMlWorkspace } from './workspace';

/** Props of {@link AzureModelRegistry}. */
export interface AzureModelRegistryProps {
  /** The naming helper (names the custom model-reader role). */
  readonly naming: Naming | NamingParts;
  /** The resource group the custom role is defined in. */
  readonly resourceGroup: IAzureResourceGroup;
  /** The workspace whose model registry this is. */
  readonly workspace: AzureMlWorkspace;
  /**
   * The name of the custom model-reader role definition the first
   * `grantRead` creates (the registry itself is the workspace's, named by
   * the workspace): 1-128 characters, none of `< > * % & : \ ? + /`.
   * @default - `<company>-<project>-<env>-mlw-model-reader`
   */
  readonly physicalName?: string;
}

/**
 * The workspace's model registry. Grants are scoped to the workspace: write
 * is 'AzureML Data Scientist'; read is a custom role listing only the model
 * read actions (created on the first `grantRead`).
 */
export class AzureModelRegistry extends Construct implements IModelRegistry {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** The workspace name. */
  public readonly registryName: string;
  /** The workspace resource id. */
  public readonly registryId: string;

  private readonly workspace: AzureMlWorkspace;
  private readonly resourceGroup: IAzureResourceGroup;
  private readonly readerRoleName: string;
  private readerRole?: RoleDefinition;

  constructor(scope: Construct, id: string, props: AzureModelRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    this.readerRoleName = physicalNameFor(issues, namingOf(props.naming), 'azureRoleDefinition', 'mlw-model-reader', {
      construct: 'AzureModelRegistry',
      path: this.node.path,
      prop: 'physicalName',
      value: props.physicalName,
    });
    issues.throwIfAny('Invalid AzureModelRegistry props:');
    this.workspace = props.workspace;
    this.resourceGroup = props.resourceGroup;
    this.registryName = props.workspace.workspaceName;
    this.registryId = props.workspace.workspaceId;
  }

  /** Read models and versions (custom model-reader role on the workspace). */
  public grantRead(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ModelRegistry.grantRead');
    const role = this.modelReaderRole();
    assignRole(this, this.workspace.grantScope, identity, { label: 'ModelReader', definitionId: role.roleDefinitionResourceId });
  }

  /** Register new model versions and read ('AzureML Data Scientist' on the workspace). */
  public grantWrite(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ModelRegistry.grantWrite');
    assignRole(this, this.workspace.grantScope, identity, { name: AZURE_ROLES.workspaceUse });
  }

  private modelReaderRole(): RoleDefinition {
    this.readerRole ??= new RoleDefinition(this, 'ModelReaderRole', {
      name: this.readerRoleName,
      scope: this.resourceGroup.resourceGroupId,
      description: `Read models and model versions in ${this.registryName}.`,
      permissions: [{ actions: [...AZURE_MODEL_READER_ACTIONS] }],
      assignableScopes: [this.resourceGroup.resourceGroupId],
    });
    return this.readerRole;
  }
}
