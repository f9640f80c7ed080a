import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { IArtifactStore, IWorkloadIdentity, identityOf } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { NAME_RULES } from '../core/naming';
import { AzureNetworkProps, AzureResourceProps, AzureRetainProps } from './common';
import { AzureEncryptionKey } from './encryption-key';
import { AzureWorkloadIdentity } from './identity';
import { AZURE_ROLES } from './perms';
import { assignRole } from './private/grants';
import { azureTags, checkInt, checkIpRanges, firewallOf, nameFor, namingOf, retainLifecycle, storageIpRules } from './private/util';

/** Props of {@link AzureArtifactStore}. */
export interface AzureArtifactStoreProps extends AzureResourceProps, AzureNetworkProps, AzureRetainProps {
  /** The customer-managed key the account is encrypted with (CKV2_AZURE_1). */
  readonly encryptionKey: AzureEncryptionKey;
  /** The identity the storage service uses to reach the key; it is granted 'Key Vault Crypto Service Encryption User' on the key. */
  readonly encryptionIdentity: AzureWorkloadIdentity;
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
}

const REPLICATION = ['LRS', 'ZRS', 'GRS', 'RAGRS', 'GZRS', 'RAGZRS'];

/**
 * Artifact storage: a StorageV2 account (HTTPS only, TLS 1.2, no shared keys,
 * no anonymous blob access, versioning, soft delete, infrastructure
 * encryption, customer-managed key, deny-by-default firewall) and one private
 * blob container managed through the management plane.
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

  private readonly encryptionKey: AzureEncryptionKey;

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
    issues.throwIfAny('Invalid AzureArtifactStore props:');

    const retain = props.retainData ?? true;
    const firewall = firewallOf(props);
    this.encryptionKey = props.encryptionKey;
    const keyAccess = props.encryptionKey.grantServiceEncryption(props.encryptionIdentity);

    const account = new StorageAccount(this, 'Resource', {
      name: accountName,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.resourceGroupName,
      accountTier: 'Standard',
      accountKind: 'StorageV2',
      accountReplicationType: replication,
      httpsTrafficOnlyEnabled: true,
      minTlsVersion: 'TLS1_2',
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      allowNestedItemsToBePublic: false,
      localUserEnabled: false,
      crossTenantReplicationEnabled: false,
      infrastructureEncryptionEnabled: true,
      queueEncryptionKeyType: 'Account',
      tableEncryptionKeyType: 'Account',
      publicNetworkAccessEnabled: firewall.publicEndpointEnabled,
      networkRules: {
        defaultAction: firewall.defaultAction,
        bypass: ['AzureServices'],
        ipRules: storageIpRules(firewall.ipRanges),
      },
      identity: { type: 'UserAssigned', identityIds: [props.encryptionIdentity.identityId] },
      customerManagedKey: {
        keyVaultKeyId: props.encryptionKey.versionlessKeyId,
        userAssignedIdentityId: props.encryptionIdentity.identityId,
      },
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: softDeleteDays },
        containerDeleteRetentionPolicy: { days: softDeleteDays },
      },
      tags: azureTags(naming, props.tags),
      dependsOn: [keyAccess],
      lifecycle: retainLifecycle(retain),
    });

    const container = new StorageContainer(this, 'Container', {
      name: containerName,
      storageAccountId: account.id,
      containerAccessType: 'private',
      lifecycle: retainLifecycle(retain),
    });

    this.storeName = containerName;
    this.storeId = container.id;
    this.url = `${account.primaryBlobEndpoint}${containerName}`;
    this.accountName = accountName;
    this.accountId = account.id;
  }

  /** Read blobs in the container ('Storage Blob Data Reader' on the container) and use the key. */
  public grantRead(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ArtifactStore.grantRead');
    assignRole(this, { key: this.node.path, id: this.storeId }, identity, { name: AZURE_ROLES.blobRead });
    this.encryptionKey.grantEncryptDecrypt(identity);
  }

  /** Read and write blobs in the container ('Storage Blob Data Contributor' on the container) and use the key. */
  public grantReadWrite(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'ArtifactStore.grantReadWrite');
    assignRole(this, { key: this.node.path, id: this.storeId }, identity, { name: AZURE_ROLES.blobReadWrite });
    this.encryptionKey.grantEncryptDecrypt(identity);
  }
}
