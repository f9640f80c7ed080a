import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { ITerraformDependable, TerraformResource, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IArtifactStore, IWorkloadIdentity, identityOf } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { NAME_RULES } from '../core/naming';
import { AzureNetworkProps, AzureResourceProps, AzureRetainProps } from './common';
import { AzureEncryptionKey } from './encryption-key';
import { AzureWorkloadIdentity } from './identity';
import { AZURE_ROLES } from './perms';
import { checkPrivateEndpoints, createPrivateEndpoints } from './private-endpoint';
import { addDependency, assignRole, assignToPrincipal, DeployPrincipalType } from './private/grants';
import { azureTags, checkCustomerManagedKey, checkInt, checkIpRanges, firewallOf, nameFor, namingOf, retainLifecycle, storageIpRules } from './private/util';

/** Props of {@link AzureArtifactStore}. */
export interface AzureArtifactStoreProps extends AzureResourceProps, AzureNetworkProps, AzureRetainProps {
  /**
   * The customer-managed key the account is encrypted with (CKV2_AZURE_1).
   * Its vault must have purge protection.
   * @default - none; required while `customerManagedKey` is true
   */
  readonly encryptionKey?: AzureEncryptionKey;
  /**
   * The identity the storage service uses to reach the key; it is granted
   * 'Key Vault Crypto Service Encryption User' on the key.
   * @default - none; required while `customerManagedKey` is true
   */
  readonly encryptionIdentity?: AzureWorkloadIdentity;
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
  readonly softDeleteDays?: number;
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
export class AzureArtifactStore extends Construct implements IArtifactStore {
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

  private readonly encryptionKey?: AzureEncryptionKey;
  private readonly writers: TerraformResource[] = [];
  private readonly writeAccess: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: AzureArtifactStoreProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const accountName = nameFor(issues, naming, 'storageAccount', 'st');
    const containerName = props.containerName ?? 'artifacts';
    const rule = NAME_RULES.storageContainer;
    if (!Token.isUnresolved(containerName) && (!/^[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]$/.test(containerName) || containerName.length < rule.min || containerName.length > rule.max)) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzureArtifactStore', 'containerName', containerName, `${rule.min}-${rule.max} lowercase letters, digits and single hyphens, starting and ending with a letter or digit`));
    }
    const replication = props.replication ?? 'ZRS';
    if (!Token.isUnresolved(replication) && !REPLICATION.includes(replication)) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzureArtifactStore', 'replication', replication, `one of ${REPLICATION.join(', ')}`));
    }
    const softDeleteDays = props.softDeleteDays ?? 30;
    checkInt(issues, 'AzureArtifactStore', this.node.path, 'softDeleteDays', softDeleteDays, 1, 365);
    checkIpRanges(issues, 'AzureArtifactStore', this.node.path, props.allowedIpRanges);
    const minimumTlsVersion = props.minimumTlsVersion ?? 'TLS1_2';
    if (!Token.isUnresolved(minimumTlsVersion) && !TLS_VERSIONS.includes(minimumTlsVersion)) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzureArtifactStore', 'minimumTlsVersion', minimumTlsVersion, `one of ${TLS_VERSIONS.join(', ')}`));
    }
    const cmk = props.customerManagedKey ?? true;
    checkCustomerManagedKey(issues, 'AzureArtifactStore', this.node.path, cmk, props.encryptionKey, props.encryptionIdentity);
    checkPrivateEndpoints(issues, 'AzureArtifactStore', this.node.path, props.privateEndpoints, ['blob', 'file']);
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
      networkRules: {
        defaultAction: firewall.defaultAction,
        bypass: ['AzureServices'],
        ipRules: storageIpRules(firewall.ipRanges),
      },
      identity: encryption ? { type: 'UserAssigned', identityIds: [encryption.identity.identityId] } : undefined,
      customerManagedKey: encryption
        ? { keyVaultKeyId: encryption.key.versionlessKeyId, userAssignedIdentityId: encryption.identity.identityId }
        : undefined,
      blobProperties: {
        versioningEnabled: props.versioned ?? true,
        deleteRetentionPolicy: { days: softDeleteDays },
        containerDeleteRetentionPolicy: { days: softDeleteDays },
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
      { resourceId: account.id, resourceName: accountName, location: props.resourceGroup.location, resourceGroupName: props.resourceGroup.resourceGroupName, tags: azureTags(naming, props.tags) },
      props.privateEndpoints,
    );
    this.container = container;

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
}
