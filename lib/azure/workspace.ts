import { ApplicationInsights } from '@cdktf/provider-azurerm/lib/application-insights';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { MachineLearningWorkspace } from '@cdktf/provider-azurerm/lib/machine-learning-workspace';
import { MachineLearningWorkspaceNetworkOutboundRulePrivateEndpoint } from '@cdktf/provider-azurerm/lib/machine-learning-workspace-network-outbound-rule-private-endpoint';
import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IMlWorkspace, IWorkloadIdentity, identityOf } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { IAzureArtifactStore } from './artifact-store';
import { AzureResourceProps, AzureRetainProps } from './common';
import { IAzureEncryptionKey } from './encryption-key';
import { IAzureWorkloadIdentity } from './identity';
import { IAzureImageRegistry } from './image-registry';
import { AZURE_ROLES, AZURE_SYSTEM_DATASTORE_ACCESS, AZURE_WORKSPACE_KEY_VAULT_DATA_ACTIONS, AZURE_WORKSPACE_SERVICE_ROLES } from './perms';
import { AzurePrivateEndpointOptions, checkPrivateEndpoints, createPrivateEndpoints } from './private-endpoint';
import { assignRole } from './private/grants';
import { azureTags, checkCustomerManagedKey, checkIpRanges, nameFor, namingOf, physicalNameFor, resourceGroupIdOf, retainLifecycle } from './util';
import { PropChecks } from '../core/validate';

/**
 * How clients reach the workspace (and its online endpoints):
 * - `public`: from every network;
 * - `allowedRanges`: from the `allowedIpRanges` only (Azure ML "enabled from
 *   selected IP addresses"; set by the release step after creation, the only
 *   time Azure ML accepts it — until then the workspace is private);
 * - `private`: through private endpoints only.
 */
export type AzureWorkspaceInboundAccess = 'public' | 'allowedRanges' | 'private';

/** How Azure ML authenticates to the system datastores of the workspace's storage account. */
export type AzureSystemDatastoresAuthMode = 'identity' | 'accessKey';

/** Props of {@link AzureMlWorkspace}. */
export interface AzureMlWorkspaceProps extends AzureResourceProps, AzureRetainProps {
  /**
   * The key the workspace is encrypted with; its Key Vault becomes the
   * workspace's Key Vault (also when `customerManagedKey` is false).
   */
  readonly encryptionKey: IAzureEncryptionKey;
  /**
   * Encrypt the workspace's data with `encryptionKey` through the service
   * identity (MLOPS_AZURE_ML_CMK). When false the workspace uses
   * Microsoft-managed keys and the service identity gets no access to the key
   * for the workspace. Changing it replaces the workspace.
   * @default true
   */
  readonly customerManagedKey?: boolean;
  /**
   * The workspace's own (primary user-assigned) identity. It gets the roles
   * Azure ML needs on the attached storage account, Key Vault, registry and
   * Application Insights, each scoped to that one resource, and encrypts with the key.
   */
  readonly serviceIdentity: IAzureWorkloadIdentity;
  /** The storage account the workspace uses (created or imported). */
  readonly artifactStore: IAzureArtifactStore;
  /** The container registry the workspace uses (created or imported). */
  readonly imageRegistry: IAzureImageRegistry;
  /**
   * Allow access to the workspace from public networks (CKV_AZURE_144, CKV2_AZURE_49).
   * @default false
   */
  readonly publicNetworkAccess?: boolean;
  /**
   * While public access is off: public IPv4 ranges the workspace and its
   * online endpoints accept requests from (Azure ML "enabled from selected
   * IP addresses"). Azure ML takes the list only after the workspace exists
   * (and azurerm cannot set it), so Terraform creates the workspace private
   * and the release step opens it to these ranges (`inboundAccess`
   * `allowedRanges`); the workspace's managed network gets a private
   * endpoint rule to the workspace, which jobs then need.
   * @default - none: the workspace is reached through private endpoints only
   */
  readonly allowedIpRanges?: readonly string[];
  /**
   * Private endpoints of the workspace (`amlworkspace`, with the
   * `privatelink.api.azureml.ms` and `privatelink.notebooks.azure.net` zones).
   * @default - none
   */
  readonly privateEndpoints?: readonly AzurePrivateEndpointOptions[];
  /**
   * How Azure ML authenticates to the system datastores of the storage
   * account: `identity` (the only mode that works while the account has
   * shared keys off; set through the release step, since azurerm cannot set
   * it) or `accessKey`.
   * @default 'identity'
   */
  readonly systemDatastoresAuthMode?: AzureSystemDatastoresAuthMode;
  /**
   * Isolate the workspace in a managed network that allows only approved
   * outbound traffic (`AllowOnlyApprovedOutbound`); compute nodes get no
   * public IP (MLOPS_AZURE_ML_MANAGED_NETWORK, MLOPS_AZURE_ML_NO_NODE_PUBLIC_IP).
   * @default true
   */
  readonly managedNetworkIsolation?: boolean;
  /**
   * Days Log Analytics keeps logs.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Send the workspace's logs and metrics to Log Analytics with a diagnostic
   * setting (MLOPS_AZURE_ML_DIAGNOSTICS). Application Insights stays
   * workspace-based either way.
   * @default true
   */
  readonly diagnostics?: boolean;
  /**
   * The Azure ML workspace's name, instead of the naming helper's
   * `<company>-<project>-<env>-mlw`: 3-33 letters, digits, `-` and `_`,
   * starting with a letter. The Log Analytics workspace and Application
   * Insights keep their own names (`logAnalyticsName`, `applicationInsightsName`).
   * @default - `<company>-<project>-<env>-mlw`
   */
  readonly physicalName?: string;
  /**
   * The Log Analytics workspace's name: 4-63 letters, digits and hyphens,
   * starting with a letter and ending with a letter or digit.
   * @default - `<company>-<project>-<env>-log`
   */
  readonly logAnalyticsName?: string;
  /**
   * The Application Insights component's name: 1-255 characters, none of `% & \ ? /`.
   * @default - `<company>-<project>-<env>-appi`
   */
  readonly applicationInsightsName?: string;
}

/**
 * The Azure ML workspace with its monitoring base: Log Analytics,
 * workspace-based Application Insights and a diagnostic setting sending the
 * workspace's logs and metrics to Log Analytics. Public access off, encrypted
 * with the platform key, managed network isolation; each relaxed by one prop.
 */
export class AzureMlWorkspace extends Construct implements IMlWorkspace {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** Workspace name. */
  public readonly workspaceName: string;
  /** Workspace resource id. */
  public readonly workspaceId: string;
  /** Azure region. */
  public readonly region: string;
  /** Log Analytics workspace resource id. */
  public readonly logDestination: string;
  /** Application Insights resource id. */
  public readonly applicationInsightsId: string;
  /** True when the workspace runs in a managed network. */
  public readonly managedNetworkIsolated: boolean;
  /** How clients reach the workspace and its online endpoints. */
  public readonly inboundAccess: AzureWorkspaceInboundAccess;
  /** The ranges the workspace accepts requests from while `inboundAccess` is `allowedRanges`. */
  public readonly allowedIpRanges: readonly string[];
  /** How Azure ML authenticates to the system datastores (applied by the release step). */
  public readonly systemDatastoresAuthMode: AzureSystemDatastoresAuthMode;
  /** The workspace's private endpoints, by sub-resource (`amlworkspace`). */
  public readonly privateEndpoints: ReadonlyMap<string, PrivateEndpoint>;

  private readonly storageAccountId: string;

  constructor(scope: Construct, id: string, props: AzureMlWorkspaceProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const override = (prop: string, value: string | undefined) => ({ construct: 'AzureMlWorkspace', path: this.node.path, prop, value });
    const name = physicalNameFor(issues, naming, 'mlWorkspace', 'mlw', override('physicalName', props.physicalName));
    const logName = physicalNameFor(issues, naming, 'logAnalytics', 'log', override('logAnalyticsName', props.logAnalyticsName));
    const insightsName = physicalNameFor(issues, naming, 'appInsights', 'appi', override('applicationInsightsName', props.applicationInsightsName));
    const logRetentionDays = props.logRetentionDays ?? 30;
    new PropChecks(issues, 'AzureMlWorkspace', this.node.path).int('logRetentionDays', logRetentionDays, 30, 730);
    const cmk = props.customerManagedKey ?? true;
    checkCustomerManagedKey(new PropChecks(issues, 'AzureMlWorkspace', this.node.path), cmk, props.encryptionKey, props.serviceIdentity, 'serviceIdentity');
    checkIpRanges(new PropChecks(issues, 'AzureMlWorkspace', this.node.path), props.allowedIpRanges);
    checkPrivateEndpoints(new PropChecks(issues, 'AzureMlWorkspace', this.node.path), props.privateEndpoints, ['amlworkspace']);
    const authMode = props.systemDatastoresAuthMode ?? 'identity';
    if (!['identity', 'accessKey'].includes(authMode)) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzureMlWorkspace', 'systemDatastoresAuthMode', authMode, "'identity' or 'accessKey'"));
    }
    const kvRoleName = nameFor(issues, naming, 'azureRoleDefinition', 'mlw-keyvault-data');
    issues.throwIfAny('Invalid AzureMlWorkspace props:');

    const retain = props.retainData ?? true;
    const isolated = props.managedNetworkIsolation ?? true;
    const publicAccess = props.publicNetworkAccess ?? false;
    const ranges = [...(props.allowedIpRanges ?? [])];
    const inbound: AzureWorkspaceInboundAccess = publicAccess ? 'public' : ranges.length > 0 ? 'allowedRanges' : 'private';
    const tags = azureTags(naming, props.tags);
    const where = { location: props.resourceGroup.location, resourceGroupName: props.resourceGroup.resourceGroupName };

    const logs = new LogAnalyticsWorkspace(this, 'Logs', {
      name: logName,
      ...where,
      sku: 'PerGB2018',
      retentionInDays: logRetentionDays,
      tags,
    });
    const insights = new ApplicationInsights(this, 'Insights', {
      name: insightsName,
      ...where,
      applicationType: 'web',
      workspaceId: logs.id,
      tags,
    });

    const service = props.serviceIdentity;
    const serviceAccess: ITerraformDependable[] = cmk ? [props.encryptionKey.grantServiceEncryption(service)] : [];
    const attach = (host: Construct, scopeId: string, roles: readonly string[]): void => {
      for (const role of roles) serviceAccess.push(assignRole(host, { key: host.node.path, id: scopeId }, service, { name: role }));
    };
    attach(props.artifactStore, props.artifactStore.accountId, AZURE_WORKSPACE_SERVICE_ROLES.storageAccount);
    attach(props.encryptionKey, props.encryptionKey.keyVaultId, AZURE_WORKSPACE_SERVICE_ROLES.keyVault);
    // Azure ML documents 'Key Vault Administrator' for a user-assigned workspace identity on an
    // RBAC vault, and "anything but purge" for an access-policy vault: this role is the latter.
    // Custom roles are assignable in resource groups (not single resources): an imported vault
    // elsewhere adds its own resource group, so the role can be assigned on it.
    const vaultGroup = props.encryptionKey.imported ? resourceGroupIdOf(props.encryptionKey.keyVaultId) : undefined;
    const assignableScopes = [props.resourceGroup.resourceGroupId];
    if (vaultGroup !== undefined && vaultGroup.toLowerCase() !== props.resourceGroup.resourceGroupId.toLowerCase()) assignableScopes.push(vaultGroup);
    const kvDataRole = new RoleDefinition(this, 'KeyVaultDataRole', {
      name: kvRoleName,
      scope: props.resourceGroup.resourceGroupId,
      description: `Key Vault data access of the Azure ML workspace ${name}: secrets, keys and certificates, without purge.`,
      permissions: [
        { actions: [], dataActions: [...AZURE_WORKSPACE_KEY_VAULT_DATA_ACTIONS.dataActions], notDataActions: [...AZURE_WORKSPACE_KEY_VAULT_DATA_ACTIONS.notDataActions] },
      ],
      assignableScopes,
    });
    serviceAccess.push(
      assignRole(props.encryptionKey, { key: `${props.encryptionKey.node.path}/Vault`, id: props.encryptionKey.keyVaultId }, service, {
        label: 'WorkspaceKeyVaultData',
        definitionId: kvDataRole.roleDefinitionResourceId,
      }),
    );
    attach(props.imageRegistry, props.imageRegistry.registryId, AZURE_WORKSPACE_SERVICE_ROLES.containerRegistry);
    attach(this, insights.id, AZURE_WORKSPACE_SERVICE_ROLES.applicationInsights);

    const workspace = new MachineLearningWorkspace(this, 'Resource', {
      name,
      ...where,
      applicationInsightsId: insights.id,
      keyVaultId: props.encryptionKey.keyVaultId,
      storageAccountId: props.artifactStore.accountId,
      containerRegistryId: props.imageRegistry.registryId,
      identity: { type: 'UserAssigned', identityIds: [service.identityId] },
      primaryUserAssignedIdentity: service.identityId,
      publicNetworkAccessEnabled: publicAccess,
      encryption: cmk
        ? {
            keyVaultId: props.encryptionKey.keyVaultId,
            // Versionless: the workspace follows the key's rotation instead of pinning a version that expires.
            keyId: props.encryptionKey.versionlessKeyId,
            userAssignedIdentityId: service.identityId,
          }
        : undefined,
      managedNetwork: isolated ? { isolationMode: 'AllowOnlyApprovedOutbound', provisionOnCreationEnabled: true } : { isolationMode: 'Disabled' },
      tags,
      dependsOn: serviceAccess,
      // With allowed ranges the release step turns public access on (with the IP rules); Terraform must not turn it off again.
      lifecycle: retainLifecycle(retain, inbound === 'allowedRanges' ? { ignoreChanges: ['public_network_access_enabled'] } : {}),
    });
    this.privateEndpoints = createPrivateEndpoints(
      this,
      { resourceId: workspace.id, resourceName: name, location: props.resourceGroup.location, resourceGroupName: props.resourceGroup.resourceGroupName, tags },
      props.privateEndpoints,
    );
    if (inbound === 'allowedRanges' && isolated) {
      // learn.microsoft.com/azure/machine-learning/how-to-managed-network, "Scenario: Enable access from
      // selected IP addresses": the managed network needs a private endpoint rule to the workspace itself.
      new MachineLearningWorkspaceNetworkOutboundRulePrivateEndpoint(this, 'WorkspaceOutboundRule', {
        name: 'workspace-private-endpoint',
        workspaceId: workspace.id,
        serviceResourceId: workspace.id,
        subResourceTarget: 'amlworkspace',
      });
    }

    if (props.diagnostics ?? true) {
      new MonitorDiagnosticSetting(this, 'Diagnostics', {
        name: 'to-log-analytics',
        targetResourceId: workspace.id,
        logAnalyticsWorkspaceId: logs.id,
        enabledLog: [{ categoryGroup: 'allLogs' }],
        enabledMetric: [{ category: 'AllMetrics' }],
      });
    }

    this.workspaceName = name;
    this.workspaceId = workspace.id;
    this.region = props.resourceGroup.location;
    this.logDestination = logs.id;
    this.applicationInsightsId = insights.id;
    this.managedNetworkIsolated = isolated;
    this.inboundAccess = inbound;
    this.allowedIpRanges = inbound === 'allowedRanges' ? ranges : [];
    this.systemDatastoresAuthMode = authMode;
    this.storageAccountId = props.artifactStore.accountId;
  }

  /**
   * Lets `identity` run jobs and read/register models ('AzureML Data Scientist'
   * on the workspace) and publish metrics ('Monitoring Metrics Publisher' on Application Insights).
   */
  public grantUse(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'MlWorkspace.grantUse');
    assignRole(this, this.grantScope, identity, { name: AZURE_ROLES.workspaceUse });
    assignRole(this, { key: `${this.node.path}/Insights`, id: this.applicationInsightsId }, identity, { name: AZURE_ROLES.metricsPublish });
    if (this.systemDatastoresAuthMode === 'identity') {
      // Jobs write logs and outputs to the system datastores with the compute's identity.
      assignRole(
        this,
        { key: `${this.node.path}/SystemDatastores`, id: this.storageAccountId },
        identity,
        { name: AZURE_SYSTEM_DATASTORE_ACCESS.role },
        AZURE_SYSTEM_DATASTORE_ACCESS.condition,
      );
    }
  }

  /** The scope workspace-level grants (also the model registry's) use. */
  public get grantScope(): { readonly key: string; readonly id: string } {
    return { key: this.node.path, id: this.workspaceId };
  }
}
