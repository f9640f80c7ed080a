import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { StorageAccount, StorageAccountNetworkRules } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { Fn, ITerraformDependable, TerraformResource, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IArtifactStore, IWorkloadIdentity, identityOf } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { NAME_RULES } from '../core/naming';
import { AzureNetworkAccessProps, AzureReachableFrom, AzureResourceProps, AzureRetainProps, DeployPrincipalType } from './common';
import { IAzureEncryptionKey } from './encryption-key';
import { IAzureWorkloadIdentity } from './identity';
import { AZURE_ROLES } from './perms';
import { AzurePrivateEndpointOptions, AzurePrivateEndpointPlacement, addPrivateEndpointsTo, checkPrivateEndpoints, createPrivateEndpoints } from './private-endpoint';
import { addDependency, assignRole, assignToPrincipal } from './private/grants';
import { AZURE_REACHABLE_FROM, markImported } from './imported';
import {
  FirewallSettings,
  azureTags,
  checkCustomerManagedKey,
  checkIpRanges,
  checkResourceId,
  firewallOf,
  namingOf,
  physicalNameFor,
  retainLifecycle,
  storageIpRules,
} from './util';
import { PropChecks } from '../core/validate';

/** Props of {@link AzureArtifactStore}. */
export interface AzureArtifactStoreProps extends AzureResourceProps, AzureNetworkAccessProps, AzureRetainProps {
  /**
   * The customer-managed key the account is encrypted with (CKV2_AZURE_1).
   * Its vault must have purge protection.
   * @default - none; required while `customerManagedKey` is true
   */
  readonly encryptionKey?: IAzureEncryptionKey;
  /**
   * The identity the storage service uses to reach the key; it is granted
   * 'Key Vault Crypto Service Encryption User' on the key.
   * @default - none; required while `customerManagedKey` is true
   */
  readonly encryptionIdentity?: IAzureWorkloadIdentity;
  /**
   * Encrypt the account with `encryptionKey` (CKV2_AZURE_1). When false the
   * account uses Microsoft-managed keys: no key access is assigned to
   * `encryptionIdentity`, and the store's grants do not include the key.
   * @default true
   */
  readonly customerManagedKey?: boolean;
  /**
   * Blob container name (scoped inside the account).
   * @default 'artifacts'
   */
  readonly containerName?: string;
  /**
   * Account replication: LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS.
   * @default 'ZRS'
   */
  readonly replication?: string;
  /**
   * Days deleted blobs and containers stay recoverable (CKV2_AZURE_38).
   * @default 30
   */
  readonly softDeleteRetentionDays?: number;
  /**
   * Accept HTTPS traffic only (CKV_AZURE_3).
   * @default true
   */
  readonly httpsTrafficOnly?: boolean;
  /**
   * Minimum TLS version clients must use (CKV_AZURE_44): 'TLS1_0', 'TLS1_1' or 'TLS1_2'.
   * @default 'TLS1_2'
   */
  readonly minimumTlsVersion?: 'TLS1_0' | 'TLS1_1' | 'TLS1_2';
  /**
   * Allow Shared Key authorization (account keys and SAS signed with them)
   * besides Entra ID (CKV2_AZURE_40). The portal still defaults to Entra ID.
   * @default false
   */
  readonly sharedKeyAccess?: boolean;
  /**
   * Allow local users (SFTP and local-user SAS) on the account (CKV_AZURE_244).
   * @default false
   */
  readonly localUsers?: boolean;
  /**
   * Allow anonymous read of blobs (CKV_AZURE_190, CKV2_AZURE_47, CKV_AZURE_34):
   * the account permits public access and the container's access level is
   * 'blob'.
   * @default false
   */
  readonly blobPublicAccess?: boolean;
  /**
   * Keep previous versions of overwritten and deleted blobs (MLOPS_AZURE_STORAGE_VERSIONING).
   * @default true
   */
  readonly versioned?: boolean;
  /**
   * Encrypt data a second time at the infrastructure layer
   * (MLOPS_AZURE_STORAGE_INFRA_ENCRYPTION). Changing it replaces the account.
   * @default true
   */
  readonly infrastructureEncryption?: boolean;
  /**
   * The storage account's name, instead of the naming helper's
   * `<company><project><env>st`: 3-24 lowercase letters and digits (globally
   * unique). The container's name is `containerName`.
   * @default - `<company><project><env>st`
   */
  readonly physicalName?: string;
}

/**
 * A blob container in a storage account, created by this library or
 * imported: where datasets and models live, with the grants the platform
 * and other workloads need.
 */
export interface IAzureArtifactStore extends IArtifactStore {
  /** Storage account name. */
  readonly accountName: string;
  /** Storage account resource id. */
  readonly accountId: string;
  /** The account's private endpoints made by this stack, by sub-resource (`blob`, `file`). */
  readonly privateEndpoints: ReadonlyMap<string, ITerraformDependable>;
  /** The key the account is encrypted with, if the store knows it: grants include it. */
  readonly encryptionKey?: IAzureEncryptionKey;
  /** True for a store imported with {@link AzureArtifactStore.fromExisting}. */
  readonly imported: boolean;
  /** How an imported account's data plane is reached, as the import says (undefined for a created account). */
  readonly reachableFrom?: AzureReachableFrom;
  /** Lets a principal that runs Terraform write blobs into the container; writes bound with `bindDataPlaneWrite` wait for it. */
  grantDeployWrite(principalId: string, principalType?: DeployPrincipalType): ITerraformDependable;
  /** Makes a Terraform resource that writes blobs into the container wait for what the write needs. */
  bindDataPlaneWrite(write: TerraformResource): void;
  /** Adds private endpoints of the account (`blob`, `file`) in another subnet, e.g. a private-mode platform's. */
  addPrivateEndpoints(endpoints: readonly AzurePrivateEndpointOptions[], placement: AzurePrivateEndpointPlacement): void;
  /**
   * Lets a subnet through the account's firewall: a virtual network rule for
   * the subnet, which must have the `Microsoft.Storage` service endpoint
   * (IP rules do not apply to requests from the account's own region, so a
   * workload in an Azure subnet passes the firewall only this way or through
   * a private endpoint). The public endpoint stays default-deny. Returns the
   * account (what a reader through that subnet must wait for), or undefined
   * for an imported account, whose firewall the stack never changes.
   */
  allowSubnet(subnetId: string): ITerraformDependable | undefined;
}

/** What {@link AzureArtifactStore.fromExisting} needs to know about an existing container. */
export interface AzureArtifactStoreAttributes {
  /** The storage account's resource id (`/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>`). */
  readonly storageAccountId: string;
  /** The blob container (3-63 lowercase letters, digits and single hyphens). */
  readonly containerName: string;
  /**
   * The customer-managed key the account is encrypted with: grants on the
   * store then include 'Key Vault Crypto User' on it.
   * @default - none: grants give blob roles only
   */
  readonly encryptionKey?: IAzureEncryptionKey;
  /**
   * How the account's data plane is reached (see {@link AzureReachableFrom}).
   * Without it, a private-mode platform gives the account private endpoints
   * (`blob`, `file`) and other modes report the path as unknown.
   * @default - unknown
   */
  readonly reachableFrom?: AzureReachableFrom;
  /**
   * The account's blob endpoint (sovereign clouds, DNS-zone endpoints).
   * @default - `https://<account>.blob.core.windows.net/`
   */
  readonly blobEndpoint?: string;
}

const STORAGE_TYPE = 'Microsoft.Storage/storageAccounts';

function checkContainerName(check: PropChecks, prop: string, containerName: string): void {
  const { issues, construct, path } = check;
  const rule = NAME_RULES.storageContainer;
  if (
    !Token.isUnresolved(containerName) &&
    (typeof containerName !== 'string' || !/^[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]$/.test(containerName) || containerName.length < rule.min || containerName.length > rule.max)
  ) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(construct, prop, containerName, `${rule.min}-${rule.max} lowercase letters, digits and single hyphens, starting and ending with a letter or digit`),
    );
  }
}

/** The account's firewall: default action, trusted Azure services through, the IP rules and the subnets let through (if any). */
function networkRulesOf(firewall: FirewallSettings, subnetIds: readonly string[]): StorageAccountNetworkRules {
  return {
    defaultAction: firewall.defaultAction,
    bypass: ['AzureServices'],
    ipRules: storageIpRules(firewall.ipRanges),
    ...(subnetIds.length > 0 ? { virtualNetworkSubnetIds: [...subnetIds] } : {}),
  };
}

const REPLICATION = ['LRS', 'ZRS', 'GRS', 'RAGRS', 'GZRS', 'RAGZRS'];
const TLS_VERSIONS = ['TLS1_0', 'TLS1_1', 'TLS1_2'];

/**
 * Artifact storage: a StorageV2 account (HTTPS only, TLS 1.2, no shared keys,
 * no anonymous blob access, versioning, soft delete, infrastructure
 * encryption, customer-managed key, deny-by-default firewall) and one private
 * blob container managed through the management plane. Each of these is
 * relaxed by one prop named after it.
 */
export class AzureArtifactStore extends Construct implements IAzureArtifactStore {
  /**
   * An existing blob container (in a storage account managed elsewhere). The
   * platform creates no account or container and never changes the account
   * (no firewall rules, no customer-managed key, no settings): grants on it
   * are role assignments scoped to the container (the workspace's service
   * identity: to the account, as Azure ML requires).
   */
  public static fromExisting(scope: Construct, id: string, attrs: AzureArtifactStoreAttributes): IAzureArtifactStore {
    return new ImportedArtifactStore(scope, id, attrs);
  }

  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** Blob container name. */
  public readonly storeName: string;
  /** Blob container resource id. */
  public readonly storeId: string;
  /** `https://<account>.blob.core.windows.net/<container>`. */
  public readonly url: string;
  /** Storage account name. */
  public readonly accountName: string;
  /** Storage account resource id. */
  public readonly accountId: string;
  /** The account's private endpoints, by sub-resource (`blob`, `file`). */
  public readonly privateEndpoints: ReadonlyMap<string, PrivateEndpoint>;
  /** The blob container (what a blob written into the store must wait for). */
  public readonly container: ITerraformDependable;
  /** The key the account is encrypted with (customerManagedKey on). */
  public readonly encryptionKey?: IAzureEncryptionKey;
  /** Always false: the account is created here. */
  public readonly imported = false;
  /** Undefined: the account's own block says how it is reached. */
  public readonly reachableFrom?: AzureReachableFrom = undefined;

  private readonly endpoints: Map<string, PrivateEndpoint>;
  private readonly writers: TerraformResource[] = [];
  private readonly writeAccess: ITerraformDependable[] = [];
  private readonly account: StorageAccount;
  private readonly firewall: FirewallSettings;
  private readonly subnetIds: string[] = [];

  constructor(scope: Construct, id: string, props: AzureArtifactStoreProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const accountName = physicalNameFor(issues, naming, 'storageAccount', 'st', {
      construct: 'AzureArtifactStore',
      path: this.node.path,
      prop: 'physicalName',
      value: props.physicalName,
    });
    const containerName = props.containerName ?? 'artifacts';
    checkContainerName(new PropChecks(issues, 'AzureArtifactStore', this.node.path), 'containerName', containerName);
    const replication = props.replication ?? 'ZRS';
    if (!Token.isUnresolved(replication) && !REPLICATION.includes(replication)) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzureArtifactStore', 'replication', replication, `one of ${REPLICATION.join(', ')}`));
    }
    const softDeleteRetentionDays = props.softDeleteRetentionDays ?? 30;
    new PropChecks(issues, 'AzureArtifactStore', this.node.path).int('softDeleteRetentionDays', softDeleteRetentionDays, 1, 365);
    checkIpRanges(new PropChecks(issues, 'AzureArtifactStore', this.node.path), props.allowedIpRanges);
    const minimumTlsVersion = props.minimumTlsVersion ?? 'TLS1_2';
    if (!Token.isUnresolved(minimumTlsVersion) && !TLS_VERSIONS.includes(minimumTlsVersion)) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzureArtifactStore', 'minimumTlsVersion', minimumTlsVersion, `one of ${TLS_VERSIONS.join(', ')}`));
    }
    const cmk = props.customerManagedKey ?? true;
    checkCustomerManagedKey(new PropChecks(issues, 'AzureArtifactStore', this.node.path), cmk, props.encryptionKey, props.encryptionIdentity);
    checkPrivateEndpoints(new PropChecks(issues, 'AzureArtifactStore', this.node.path), props.privateEndpoints, ['blob', 'file']);
    issues.throwIfAny('Invalid AzureArtifactStore props:');

    const retain = props.retainData ?? true;
    const firewall = firewallOf(props);
    const publicBlobs = props.blobPublicAccess ?? false;
    // Validated above: with customerManagedKey on, the key and the identity are set.
    const encryption = cmk ? { key: props.encryptionKey!, identity: props.encryptionIdentity! } : undefined;
    this.encryptionKey = encryption?.key;
    const keyAccess = encryption?.key.grantServiceEncryption(encryption.identity);

    const account = new StorageAccount(this, 'Resource', {
      name: accountName,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.resourceGroupName,
      accountTier: 'Standard',
      accountKind: 'StorageV2',
      accountReplicationType: replication,
      httpsTrafficOnlyEnabled: props.httpsTrafficOnly ?? true,
      minTlsVersion: minimumTlsVersion,
      sharedAccessKeyEnabled: props.sharedKeyAccess ?? false,
      defaultToOauthAuthentication: true,
      allowNestedItemsToBePublic: publicBlobs,
      localUserEnabled: props.localUsers ?? false,
      crossTenantReplicationEnabled: false,
      infrastructureEncryptionEnabled: props.infrastructureEncryption ?? true,
      queueEncryptionKeyType: 'Account',
      tableEncryptionKeyType: 'Account',
      publicNetworkAccessEnabled: firewall.publicEndpointEnabled,
      networkRules: networkRulesOf(firewall, []),
      identity: encryption ? { type: 'UserAssigned', identityIds: [encryption.identity.identityId] } : undefined,
      customerManagedKey: encryption ? { keyVaultKeyId: encryption.key.versionlessKeyId, userAssignedIdentityId: encryption.identity.identityId } : undefined,
      blobProperties: {
        versioningEnabled: props.versioned ?? true,
        deleteRetentionPolicy: { days: softDeleteRetentionDays },
        containerDeleteRetentionPolicy: { days: softDeleteRetentionDays },
      },
      tags: azureTags(naming, props.tags),
      dependsOn: keyAccess ? [keyAccess] : undefined,
      lifecycle: retainLifecycle(retain),
    });

    const container = new StorageContainer(this, 'Container', {
      name: containerName,
      storageAccountId: account.id,
      containerAccessType: publicBlobs ? 'blob' : 'private',
      lifecycle: retainLifecycle(retain),
    });
    this.privateEndpoints = createPrivateEndpoints(
      this,
      {
        resourceId: account.id,
        resourceName: accountName,
        location: props.resourceGroup.location,
        resourceGroupName: props.resourceGroup.resourceGroupName,
        tags: azureTags(naming, props.tags),
      },
      props.privateEndpoints,
    );
    this.container = container;
    this.account = account;
    this.firewall = firewall;
    this.endpoints = this.privateEndpoints as Map<string, PrivateEndpoint>;

    this.storeName = containerName;
    this.storeId = container.id;
    this.url = `${account.primaryBlobEndpoint}${containerName}`;
    this.accountName = accountName;
    this.accountId = account.id;
  }

  /** Read blobs in the container ('Storage Blob Data Reader' on the container) and use the key, if the store has one. */
  public grantRead(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ArtifactStore.grantRead');
    assignRole(this, { key: this.node.path, id: this.storeId }, identity, { name: AZURE_ROLES.blobRead });
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }

  /**
   * Lets a principal that runs Terraform write blobs into the container
   * ('Storage Blob Data Contributor' on the container: Owner and Contributor
   * have no data actions while the provider uses Entra ID for storage).
   * Every write bound with {@link bindDataPlaneWrite} waits for it.
   * Idempotent per principal.
   */
  public grantDeployWrite(principalId: string, principalType?: DeployPrincipalType): ITerraformDependable {
    const assignment = assignToPrincipal(this, { key: this.node.path, id: this.storeId }, principalId, AZURE_ROLES.blobReadWrite, principalType);
    if (!this.writeAccess.includes(assignment)) {
      this.writeAccess.push(assignment);
      for (const writer of this.writers) addDependency(writer, assignment);
    }
    return assignment;
  }

  /**
   * Makes a Terraform resource that writes through the blob data plane (an
   * `azurerm_storage_blob`) wait for what the write needs: the container,
   * the blob private endpoint (its DNS records) and every deployer's data
   * role, also those granted later.
   */
  public bindDataPlaneWrite(write: TerraformResource): void {
    if (this.writers.includes(write)) return;
    this.writers.push(write);
    for (const dep of [this.container, ...[...this.privateEndpoints.entries()].filter(([k]) => k === 'blob').map(([, v]) => v), ...this.writeAccess]) {
      addDependency(write, dep);
    }
  }

  /** Read and write blobs in the container ('Storage Blob Data Contributor' on the container) and use the key, if the store has one. */
  public grantReadWrite(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ArtifactStore.grantReadWrite');
    assignRole(this, { key: this.node.path, id: this.storeId }, identity, { name: AZURE_ROLES.blobReadWrite });
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }

  /** Adds private endpoints of the account (`blob`, `file`) in another subnet; blob writes wait for a new `blob` endpoint. */
  public addPrivateEndpoints(endpoints: readonly AzurePrivateEndpointOptions[], placement: AzurePrivateEndpointPlacement): void {
    const added = addPrivateEndpointsTo(this, 'AzureArtifactStore', { resourceId: this.accountId, resourceName: this.accountName }, this.endpoints, endpoints, placement, [
      'blob',
      'file',
    ]);
    const blob = added.filter((pe) => this.endpoints.get('blob') === pe);
    for (const write of this.writers) for (const pe of blob) addDependency(write, pe);
  }

  /**
   * Lets a subnet (with the `Microsoft.Storage` service endpoint) through the
   * account's firewall: a virtual network rule. The public endpoint, which
   * the rule is enforced on, is turned on with default action Deny if it was
   * off (the IP rules and trusted services stay as they were). Returns the
   * account, which Terraform updates with the rule. Idempotent per subnet.
   */
  public allowSubnet(subnetId: string): ITerraformDependable {
    if (!this.subnetIds.includes(subnetId)) {
      this.subnetIds.push(subnetId);
      this.account.publicNetworkAccessEnabled = true;
      this.account.putNetworkRules(networkRulesOf(this.firewall, this.subnetIds));
    }
    return this.account;
  }
}

/**
 * An existing container: nothing is created but the role assignments grants
 * make and, in a private-mode platform, private endpoints of the account in
 * the platform's subnet.
 */
class ImportedArtifactStore extends Construct implements IAzureArtifactStore {
  public readonly cloud = 'azure' as const;
  public readonly storeName: string;
  public readonly storeId: string;
  public readonly url: string;
  public readonly accountName: string;
  public readonly accountId: string;
  public readonly privateEndpoints: ReadonlyMap<string, PrivateEndpoint>;
  public readonly encryptionKey?: IAzureEncryptionKey;
  public readonly imported = true;
  public readonly reachableFrom?: AzureReachableFrom;

  private readonly endpoints = new Map<string, PrivateEndpoint>();
  private readonly writers: TerraformResource[] = [];
  private readonly writeAccess: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, attrs: AzureArtifactStoreAttributes) {
    super(scope, id);
    const construct = 'AzureArtifactStore.fromExisting';
    const where = this.node.path;
    const issues = new IssueCollector();
    const account = checkResourceId(
      new PropChecks(issues, construct, where),
      'storageAccountId',
      attrs.storageAccountId,
      STORAGE_TYPE,
      '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>',
    );
    checkContainerName(new PropChecks(issues, construct, where), 'containerName', attrs.containerName);
    if (attrs.reachableFrom !== undefined && !AZURE_REACHABLE_FROM.includes(attrs.reachableFrom)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(construct, 'reachableFrom', attrs.reachableFrom, `one of ${AZURE_REACHABLE_FROM.map((r) => `'${r}'`).join(', ')}`),
      );
    }
    if (attrs.encryptionKey !== undefined && attrs.encryptionKey.cloud !== 'azure') {
      issues.add(
        ErrorCode.CLOUD_MISMATCH,
        where,
        messages.propInvalid(construct, 'encryptionKey', attrs.encryptionKey.cloud, 'an Azure key (AzureEncryptionKey or AzureEncryptionKey.fromExisting)'),
      );
    }
    if (attrs.blobEndpoint !== undefined && !Token.isUnresolved(attrs.blobEndpoint) && !/^https:\/\/[^/\s]+\/$/.test(attrs.blobEndpoint)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(construct, 'blobEndpoint', attrs.blobEndpoint, 'the account\'s blob endpoint with a trailing slash, e.g. "https://<account>.blob.core.windows.net/"'),
      );
    }
    issues.throwIfAny(`Invalid ${construct} attributes:`);

    this.accountName = account?.name ?? Fn.element(Fn.split('/', attrs.storageAccountId), 8);
    this.accountId = attrs.storageAccountId;
    this.storeName = attrs.containerName;
    // The container's resource manager id, as azurerm_storage_container (by storage_account_id) writes it.
    this.storeId = `${attrs.storageAccountId}/blobServices/default/containers/${attrs.containerName}`;
    this.url = `${attrs.blobEndpoint ?? `https://${this.accountName}.blob.core.windows.net/`}${attrs.containerName}`;
    this.encryptionKey = attrs.encryptionKey;
    this.reachableFrom = attrs.reachableFrom;
    this.privateEndpoints = this.endpoints;
    markImported(this, { kind: 'storageAccount', resourceId: attrs.storageAccountId, name: this.accountName, reachableFrom: attrs.reachableFrom });
  }

  /** Read blobs in the container ('Storage Blob Data Reader' on the container) and use the key, if the import names it. */
  public grantRead(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ArtifactStore.grantRead');
    assignRole(this, { key: this.node.path, id: this.storeId }, identity, { name: AZURE_ROLES.blobRead });
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }

  /** Read and write blobs in the container ('Storage Blob Data Contributor' on the container) and use the key, if the import names it. */
  public grantReadWrite(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ArtifactStore.grantReadWrite');
    assignRole(this, { key: this.node.path, id: this.storeId }, identity, { name: AZURE_ROLES.blobReadWrite });
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }

  /** Lets a principal that runs Terraform write blobs into the container ('Storage Blob Data Contributor' on it). */
  public grantDeployWrite(principalId: string, principalType?: DeployPrincipalType): ITerraformDependable {
    const assignment = assignToPrincipal(this, { key: this.node.path, id: this.storeId }, principalId, AZURE_ROLES.blobReadWrite, principalType);
    if (!this.writeAccess.includes(assignment)) {
      this.writeAccess.push(assignment);
      for (const writer of this.writers) addDependency(writer, assignment);
    }
    return assignment;
  }

  /** Makes a blob write wait for the `blob` private endpoint made here (if any) and every deployer's data role. */
  public bindDataPlaneWrite(write: TerraformResource): void {
    if (this.writers.includes(write)) return;
    this.writers.push(write);
    const blob = this.endpoints.get('blob');
    for (const dep of [...(blob ? [blob] : []), ...this.writeAccess]) addDependency(write, dep);
  }

  /** Undefined: the stack never changes the firewall of an account it does not own. */
  public allowSubnet(_subnetId: string): undefined {
    return undefined;
  }

  /** Adds private endpoints of the account (`blob`, `file`), e.g. in a private-mode platform's subnet. */
  public addPrivateEndpoints(endpoints: readonly AzurePrivateEndpointOptions[], placement: AzurePrivateEndpointPlacement): void {
    const added = addPrivateEndpointsTo(
      this,
      'AzureArtifactStore.fromExisting',
      { resourceId: this.accountId, resourceName: this.accountName },
      this.endpoints,
      endpoints,
      placement,
      ['blob', 'file'],
    );
    const blob = added.filter((pe) => this.endpoints.get('blob') === pe);
    for (const write of this.writers) for (const pe of blob) addDependency(write, pe);
  }
}

/** True for an Azure artifact store that names its storage account (created or imported). */
export function isAzureArtifactStore(store: IArtifactStore): store is IAzureArtifactStore {
  return (
    store.cloud === 'azure' &&
    typeof (store as Partial<IAzureArtifactStore>).accountName === 'string' &&
    typeof (store as Partial<IAzureArtifactStore>).bindDataPlaneWrite === 'function'
  );
}
