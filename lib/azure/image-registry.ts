import { ContainerRegistry } from '@cdktf/provider-azurerm/lib/container-registry';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { ITerraformDependable, TerraformResource, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IImageRegistry, IWorkloadIdentity, identityOf } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { AzureNetworkProps, AzureResourceProps, AzureRetainProps } from './common';
import { AzureEncryptionKey } from './encryption-key';
import { AzureWorkloadIdentity } from './identity';
import { AZURE_ROLES } from './perms';
import { checkPrivateEndpoints, createPrivateEndpoints } from './private-endpoint';
import { addDependency, assignRole, assignToPrincipal, DeployPrincipalType } from './private/grants';
import { azureTags, checkCustomerManagedKey, checkInt, checkIpRanges, firewallOf, nameFor, namingOf, retainLifecycle } from './private/util';

/** Props of {@link AzureImageRegistry}. */
export interface AzureImageRegistryProps extends AzureResourceProps, AzureNetworkProps, AzureRetainProps {
  /**
   * The customer-managed key the registry is encrypted with. Its vault must
   * have purge protection.
   * @default - none; required while `customerManagedKey` is true
   */
  readonly encryptionKey?: AzureEncryptionKey;
  /**
   * The identity the registry uses to reach the key; it is granted 'Key Vault
   * Crypto Service Encryption User' on the key.
   * @default - none; required while `customerManagedKey` is true
   */
  readonly encryptionIdentity?: AzureWorkloadIdentity;
  /**
   * Encrypt the registry with `encryptionKey` (MLOPS_AZURE_ACR_CMK). When
   * false the registry uses Microsoft-managed keys: no key access is assigned
   * to `encryptionIdentity`, and the registry's grants do not include the key.
   * Changing it replaces the registry.
   * @default true
   */
  readonly customerManagedKey?: boolean;
  /**
   * Enable the admin user, whose username and password can push and pull (CKV_AZURE_137).
   * @default false
   */
  readonly adminUserEnabled?: boolean;
  /**
   * Let unauthenticated clients pull images (CKV_AZURE_138).
   * @default false
   */
  readonly anonymousPullEnabled?: boolean;
  /**
   * Serve layers from dedicated regional data endpoints, so firewall rules
   * can name them (CKV_AZURE_237).
   * @default true
   */
  readonly dataEndpointEnabled?: boolean;
  /**
   * Repository the runtime image is pushed to.
   * @default 'mlops-runtime'
   */
  readonly repository?: string;
  /**
   * Days untagged manifests are kept before they are purged (CKV_AZURE_167).
   * @default 7
   */
  readonly untaggedRetentionDays?: number;
}

/**
 * The image registry: a Premium Azure Container Registry (needed for the
 * customer-managed key and the firewall) with the admin user and anonymous
 * pull off, public access off, a dedicated data endpoint and a retention
 * policy for untagged manifests. Each of these is relaxed by one prop named
 * after it.
 */
export class AzureImageRegistry extends Construct implements IImageRegistry {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** Registry name. */
  public readonly registryName: string;
  /** Registry resource id. */
  public readonly registryId: string;
  /** `<login server>/<repository>`. */
  public readonly imageUri: string;
  /** Login server, e.g. `contosomlopsdevacr.azurecr.io`. */
  public readonly loginServer: string;
  /** The registry's private endpoints, by sub-resource (`registry`). */
  public readonly privateEndpoints: ReadonlyMap<string, PrivateEndpoint>;
  /** True when the registry is encrypted with the customer-managed key. */
  public readonly customerManagedKey: boolean;

  private readonly encryptionKey?: AzureEncryptionKey;
  private readonly writers: TerraformResource[] = [];
  private readonly pushAccess: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: AzureImageRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const name = nameFor(issues, naming, 'containerRegistry', 'acr');
    const repository = props.repository ?? 'mlops-runtime';
    if (!Token.isUnresolved(repository) && !/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(repository)) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzureImageRegistry', 'repository', repository, 'lowercase letters, digits and single . _ - / separators, e.g. "mlops-runtime"'));
    }
    const retentionDays = props.untaggedRetentionDays ?? 7;
    checkInt(issues, 'AzureImageRegistry', this.node.path, 'untaggedRetentionDays', retentionDays, 1, 365);
    checkIpRanges(issues, 'AzureImageRegistry', this.node.path, props.allowedIpRanges);
    const cmk = props.customerManagedKey ?? true;
    checkCustomerManagedKey(issues, 'AzureImageRegistry', this.node.path, cmk, props.encryptionKey, props.encryptionIdentity);
    checkPrivateEndpoints(issues, 'AzureImageRegistry', this.node.path, props.privateEndpoints, ['registry']);
    issues.throwIfAny('Invalid AzureImageRegistry props:');

    const retain = props.retainData ?? true;
    const firewall = firewallOf(props);
    // Validated above: with customerManagedKey on, the key and the identity are set.
    const encryption = cmk ? { key: props.encryptionKey!, identity: props.encryptionIdentity! } : undefined;
    this.encryptionKey = encryption?.key;
    const keyAccess = encryption?.key.grantServiceEncryption(encryption.identity);

    const registry = new ContainerRegistry(this, 'Resource', {
      name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.resourceGroupName,
      sku: 'Premium',
      adminEnabled: props.adminUserEnabled ?? false,
      anonymousPullEnabled: props.anonymousPullEnabled ?? false,
      publicNetworkAccessEnabled: firewall.publicEndpointEnabled,
      networkRuleBypassOption: 'AzureServices',
      networkRuleSet: [
        {
          defaultAction: firewall.defaultAction,
          ipRule: firewall.ipRanges.map((ipRange) => ({ action: 'Allow', ipRange })),
        },
      ],
      dataEndpointEnabled: props.dataEndpointEnabled ?? true,
      retentionPolicyInDays: retentionDays,
      identity: encryption ? { type: 'UserAssigned', identityIds: [encryption.identity.identityId] } : undefined,
      encryption: encryption
        ? [
            {
              keyVaultKeyId: encryption.key.versionlessKeyId,
              identityClientId: encryption.identity.clientId,
            },
          ]
        : undefined,
      tags: azureTags(naming, props.tags),
      dependsOn: keyAccess ? [keyAccess] : undefined,
      lifecycle: retainLifecycle(retain),
    });

    this.privateEndpoints = createPrivateEndpoints(
      this,
      { resourceId: registry.id, resourceName: name, location: props.resourceGroup.location, resourceGroupName: props.resourceGroup.resourceGroupName, tags: azureTags(naming, props.tags) },
      props.privateEndpoints,
    );
    this.customerManagedKey = cmk;
    this.registryName = name;
    this.registryId = registry.id;
    this.loginServer = registry.loginServer;
    this.imageUri = `${registry.loginServer}/${repository}`;
  }

  /**
   * Lets a principal that runs Terraform push the runtime image ('AcrPush'
   * on the registry). Every push bound with {@link bindDataPlaneWrite} waits
   * for it. Idempotent per principal.
   */
  public grantDeployPush(principalId: string, principalType?: DeployPrincipalType): ITerraformDependable {
    const assignment = assignToPrincipal(this, { key: this.node.path, id: this.registryId }, principalId, AZURE_ROLES.imagePush, principalType);
    if (!this.pushAccess.includes(assignment)) {
      this.pushAccess.push(assignment);
      for (const writer of this.writers) addDependency(writer, assignment);
    }
    return assignment;
  }

  /**
   * Makes a Terraform resource that pushes through the registry's data plane
   * (a `docker_registry_image`) wait for the registry's private endpoint and
   * every deployer's push role, also those granted later.
   */
  public bindDataPlaneWrite(write: TerraformResource): void {
    if (this.writers.includes(write)) return;
    this.writers.push(write);
    for (const dep of [...this.privateEndpoints.values(), ...this.pushAccess]) addDependency(write, dep);
  }

  /** Pull images ('AcrPull' on the registry) and use the key, if the registry has one. */
  public grantPull(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ImageRegistry.grantPull');
    assignRole(this, { key: this.node.path, id: this.registryId }, identity, { name: AZURE_ROLES.imagePull });
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }

  /** Push and pull images ('AcrPush' on the registry) and use the key, if the registry has one. */
  public grantPush(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ImageRegistry.grantPush');
    assignRole(this, { key: this.node.path, id: this.registryId }, identity, { name: AZURE_ROLES.imagePush });
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }
}
