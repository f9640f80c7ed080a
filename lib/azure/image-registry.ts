import { ContainerRegistry } from '@cdktf/provider-azurerm/lib/container-registry';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { Fn, ITerraformDependable, TerraformResource, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IImageRegistry, IWorkloadIdentity, identityOf } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { AzureNetworkAccessProps, AzureReachableFrom, AzureResourceProps, AzureRetainProps, DeployPrincipalType } from './common';
import { IAzureEncryptionKey } from './encryption-key';
import { IAzureWorkloadIdentity } from './identity';
import { AZURE_ROLES } from './perms';
import { AzurePrivateEndpointOptions, AzurePrivateEndpointPlacement, addPrivateEndpointsTo, checkPrivateEndpoints, createPrivateEndpoints } from './private-endpoint';
import { addDependency, assignRole, assignToPrincipal } from './private/grants';
import { AZURE_REACHABLE_FROM, markImported } from './imported';
import { azureTags, checkCustomerManagedKey, checkIpRanges, checkResourceId, firewallOf, namingOf, physicalNameFor, retainLifecycle } from './util';
import { PropChecks } from '../core/validate';

/** Props of {@link AzureImageRegistry}. */
export interface AzureImageRegistryProps extends AzureResourceProps, AzureNetworkAccessProps, AzureRetainProps {
  /**
   * The customer-managed key the registry is encrypted with. Its vault must
   * have purge protection.
   * @default - none; required while `customerManagedKey` is true
   */
  readonly encryptionKey?: IAzureEncryptionKey;
  /**
   * The identity the registry uses to reach the key; it is granted 'Key Vault
   * Crypto Service Encryption User' on the key.
   * @default - none; required while `customerManagedKey` is true
   */
  readonly encryptionIdentity?: IAzureWorkloadIdentity;
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
  readonly untaggedImageRetentionDays?: number;
  /**
   * The registry's name, instead of the naming helper's
   * `<company><project><env>acr`: 5-50 letters and digits (globally unique).
   * @default - `<company><project><env>acr`
   */
  readonly physicalName?: string;
}

/** A container registry, created by this library or imported: where the runtime image is pushed and pulled. */
export interface IAzureImageRegistry extends IImageRegistry {
  /** Login server, e.g. `contosomlopsdevacr.azurecr.io`. */
  readonly loginServer: string;
  /** The registry's private endpoints made by this stack, by sub-resource (`registry`). */
  readonly privateEndpoints: ReadonlyMap<string, ITerraformDependable>;
  /** True when this stack encrypts the registry with a customer-managed key. */
  readonly customerManagedKey: boolean;
  /** True for a registry imported with {@link AzureImageRegistry.fromExisting}. */
  readonly imported: boolean;
  /** How an imported registry's data plane is reached, as the import says (undefined for a created registry). */
  readonly reachableFrom?: AzureReachableFrom;
  /** Lets a principal that runs Terraform push the runtime image; pushes bound with `bindDataPlaneWrite` wait for it. */
  grantDeployPush(principalId: string, principalType?: DeployPrincipalType): ITerraformDependable;
  /** Makes a Terraform resource that pushes to the registry wait for what the push needs. */
  bindDataPlaneWrite(write: TerraformResource): void;
  /** Adds private endpoints of the registry (`registry`) in another subnet, e.g. a private-mode platform's. */
  addPrivateEndpoints(endpoints: readonly AzurePrivateEndpointOptions[], placement: AzurePrivateEndpointPlacement): void;
}

/** What {@link AzureImageRegistry.fromExisting} needs to know about an existing registry. */
export interface AzureImageRegistryAttributes {
  /** The registry's resource id (`/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>`). */
  readonly registryId: string;
  /**
   * Its login server (registries with a domain name label have `<name>-<hash>.azurecr.io`).
   * @default - `<name lowercased>.azurecr.io`
   */
  readonly loginServer?: string;
  /**
   * Repository the runtime image is pushed to.
   * @default 'mlops-runtime'
   */
  readonly repository?: string;
  /**
   * How the registry's data plane is reached (see {@link AzureReachableFrom}).
   * Without it, a private-mode platform gives the registry a private
   * endpoint and other modes report the path as unknown.
   * @default - unknown
   */
  readonly reachableFrom?: AzureReachableFrom;
}

const REGISTRY_TYPE = 'Microsoft.ContainerRegistry/registries';
const REPOSITORY = /^[a-z0-9]+([._/-][a-z0-9]+)*$/;

/**
 * The image registry: a Premium Azure Container Registry (needed for the
 * customer-managed key and the firewall) with the admin user and anonymous
 * pull off, public access off, a dedicated data endpoint and a retention
 * policy for untagged manifests. Each of these is relaxed by one prop named
 * after it.
 */
export class AzureImageRegistry extends Construct implements IAzureImageRegistry {
  /**
   * An existing container registry. The platform creates no registry and
   * never changes it (no firewall, no encryption, no settings): grants on it
   * are role assignments scoped to the registry.
   */
  public static fromExisting(scope: Construct, id: string, attrs: AzureImageRegistryAttributes): IAzureImageRegistry {
    return new ImportedImageRegistry(scope, id, attrs);
  }

  /** An existing container registry by resource id (login server `<name>.azurecr.io`, reachability unknown). */
  public static fromRegistryId(scope: Construct, id: string, registryId: string): IAzureImageRegistry {
    return new ImportedImageRegistry(scope, id, { registryId });
  }

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
  /** Always false: the registry is created here. */
  public readonly imported = false;
  /** Undefined: the registry's own block says how it is reached. */
  public readonly reachableFrom?: AzureReachableFrom = undefined;

  private readonly encryptionKey?: IAzureEncryptionKey;
  private readonly endpoints: Map<string, PrivateEndpoint>;
  private readonly writers: TerraformResource[] = [];
  private readonly pushAccess: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: AzureImageRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const name = physicalNameFor(issues, naming, 'containerRegistry', 'acr', {
      construct: 'AzureImageRegistry',
      path: this.node.path,
      prop: 'physicalName',
      value: props.physicalName,
    });
    const repository = props.repository ?? 'mlops-runtime';
    if (!Token.isUnresolved(repository) && !REPOSITORY.test(repository)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('AzureImageRegistry', 'repository', repository, 'lowercase letters, digits and single . _ - / separators, e.g. "mlops-runtime"'),
      );
    }
    const retentionDays = props.untaggedImageRetentionDays ?? 7;
    new PropChecks(issues, 'AzureImageRegistry', this.node.path).int('untaggedImageRetentionDays', retentionDays, 1, 365);
    checkIpRanges(new PropChecks(issues, 'AzureImageRegistry', this.node.path), props.allowedIpRanges);
    const cmk = props.customerManagedKey ?? true;
    checkCustomerManagedKey(new PropChecks(issues, 'AzureImageRegistry', this.node.path), cmk, props.encryptionKey, props.encryptionIdentity);
    checkPrivateEndpoints(new PropChecks(issues, 'AzureImageRegistry', this.node.path), props.privateEndpoints, ['registry']);
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
      {
        resourceId: registry.id,
        resourceName: name,
        location: props.resourceGroup.location,
        resourceGroupName: props.resourceGroup.resourceGroupName,
        tags: azureTags(naming, props.tags),
      },
      props.privateEndpoints,
    );
    this.endpoints = this.privateEndpoints as Map<string, PrivateEndpoint>;
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

  /** Adds private endpoints of the registry (`registry`) in another subnet; pushes wait for them. */
  public addPrivateEndpoints(endpoints: readonly AzurePrivateEndpointOptions[], placement: AzurePrivateEndpointPlacement): void {
    const added = addPrivateEndpointsTo(this, 'AzureImageRegistry', { resourceId: this.registryId, resourceName: this.registryName }, this.endpoints, endpoints, placement, [
      'registry',
    ]);
    for (const write of this.writers) for (const pe of added) addDependency(write, pe);
  }
}

/**
 * An existing registry: nothing is created but the role assignments grants
 * make and, in a private-mode platform, a private endpoint of the registry
 * in the platform's subnet.
 */
class ImportedImageRegistry extends Construct implements IAzureImageRegistry {
  public readonly cloud = 'azure' as const;
  public readonly registryName: string;
  public readonly registryId: string;
  public readonly imageUri: string;
  public readonly loginServer: string;
  public readonly privateEndpoints: ReadonlyMap<string, PrivateEndpoint>;
  public readonly customerManagedKey = false;
  public readonly imported = true;
  public readonly reachableFrom?: AzureReachableFrom;

  private readonly endpoints = new Map<string, PrivateEndpoint>();
  private readonly writers: TerraformResource[] = [];
  private readonly pushAccess: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, attrs: AzureImageRegistryAttributes) {
    super(scope, id);
    const construct = 'AzureImageRegistry.fromExisting';
    const where = this.node.path;
    const issues = new IssueCollector();
    const registry = checkResourceId(
      new PropChecks(issues, construct, where),
      'registryId',
      attrs.registryId,
      REGISTRY_TYPE,
      '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>',
    );
    const repository = attrs.repository ?? 'mlops-runtime';
    if (!Token.isUnresolved(repository) && !REPOSITORY.test(repository)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(construct, 'repository', repository, 'lowercase letters, digits and single . _ - / separators, e.g. "mlops-runtime"'),
      );
    }
    if (attrs.loginServer !== undefined && !Token.isUnresolved(attrs.loginServer) && !/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(attrs.loginServer)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(
          construct,
          'loginServer',
          attrs.loginServer,
          'a lowercase host name without scheme or path, e.g. "contosoacr.azurecr.io" (az acr show --query loginServer)',
        ),
      );
    }
    if (attrs.reachableFrom !== undefined && !AZURE_REACHABLE_FROM.includes(attrs.reachableFrom)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(construct, 'reachableFrom', attrs.reachableFrom, `one of ${AZURE_REACHABLE_FROM.map((r) => `'${r}'`).join(', ')}`),
      );
    }
    issues.throwIfAny(`Invalid ${construct} attributes:`);

    this.registryName = registry?.name ?? Fn.element(Fn.split('/', attrs.registryId), 8);
    this.registryId = attrs.registryId;
    this.loginServer = attrs.loginServer ?? (registry ? `${registry.name.toLowerCase()}.azurecr.io` : `${Fn.lower(this.registryName)}.azurecr.io`);
    this.imageUri = `${this.loginServer}/${repository}`;
    this.reachableFrom = attrs.reachableFrom;
    this.privateEndpoints = this.endpoints;
    markImported(this, { kind: 'containerRegistry', resourceId: attrs.registryId, name: this.registryName, loginServer: this.loginServer, reachableFrom: attrs.reachableFrom });
  }

  /** Pull images ('AcrPull' on the registry). */
  public grantPull(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ImageRegistry.grantPull');
    assignRole(this, { key: this.node.path, id: this.registryId }, identity, { name: AZURE_ROLES.imagePull });
  }

  /** Push and pull images ('AcrPush' on the registry). */
  public grantPush(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ImageRegistry.grantPush');
    assignRole(this, { key: this.node.path, id: this.registryId }, identity, { name: AZURE_ROLES.imagePush });
  }

  /** Lets a principal that runs Terraform push the runtime image ('AcrPush' on the registry). */
  public grantDeployPush(principalId: string, principalType?: DeployPrincipalType): ITerraformDependable {
    const assignment = assignToPrincipal(this, { key: this.node.path, id: this.registryId }, principalId, AZURE_ROLES.imagePush, principalType);
    if (!this.pushAccess.includes(assignment)) {
      this.pushAccess.push(assignment);
      for (const writer of this.writers) addDependency(writer, assignment);
    }
    return assignment;
  }

  /** Makes a push wait for the registry private endpoint made here (if any) and every deployer's push role. */
  public bindDataPlaneWrite(write: TerraformResource): void {
    if (this.writers.includes(write)) return;
    this.writers.push(write);
    for (const dep of [...this.endpoints.values(), ...this.pushAccess]) addDependency(write, dep);
  }

  /** Adds private endpoints of the registry (`registry`), e.g. in a private-mode platform's subnet. */
  public addPrivateEndpoints(endpoints: readonly AzurePrivateEndpointOptions[], placement: AzurePrivateEndpointPlacement): void {
    const added = addPrivateEndpointsTo(
      this,
      'AzureImageRegistry.fromExisting',
      { resourceId: this.registryId, resourceName: this.registryName },
      this.endpoints,
      endpoints,
      placement,
      ['registry'],
    );
    for (const write of this.writers) for (const pe of added) addDependency(write, pe);
  }
}
