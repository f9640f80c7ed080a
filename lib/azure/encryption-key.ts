import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVaultKey } from '@cdktf/provider-azurerm/lib/key-vault-key';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IEncryptionKey, IWorkloadIdentity, identityOf } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { AzureNetworkAccessProps, AzureReachableFrom, AzureResourceProps, AzureRetainProps, DeployPrincipalType } from './common';
import { AZURE_KEY_OPERATIONS, AZURE_ROLES } from './perms';
import { AzurePrivateEndpointOptions, AzurePrivateEndpointPlacement, addPrivateEndpointsTo, checkPrivateEndpoints, createPrivateEndpoints } from './private-endpoint';
import { addDependency, assignRole, assignToPrincipal } from './private/grants';
import { AZURE_REACHABLE_FROM, markImported } from './imported';
import { azureTags, checkGuid, checkIpRanges, checkPhysicalName, checkResourceId, firewallOf, namingOf, physicalNameFor, retainLifecycle } from './util';
import { PropChecks } from '../core/validate';

/** Props of {@link AzureEncryptionKey}. */
export interface AzureEncryptionKeyProps extends AzureResourceProps, AzureNetworkAccessProps, AzureRetainProps {
  /** The Entra ID tenant the Key Vault trusts. */
  readonly tenantId: string;
  /**
   * Principals (object ids) given 'Key Vault Crypto Officer' on the vault, so
   * the deployment can create and rotate the key. An empty list assigns
   * none (for deployers that already hold a data-plane role on the vault).
   * @default - the principal running the deployment (data `azurerm_client_config`)
   */
  readonly keyAdministratorPrincipalIds?: readonly string[];
  /**
   * RSA key size in bits: 2048, 3072 or 4096.
   * @default 3072
   */
  readonly keySize?: number;
  /**
   * Days after which a key version expires (CKV_AZURE_40): the first
   * version's expiration date and the rotation policy's `expire_after`.
   * @default 365
   */
  readonly expireAfterDays?: number;
  /**
   * Days before a version expires that Key Vault rotates in the next one.
   * Services that follow the versionless key id (storage: within 24 h,
   * registry: within 1 h) move to the new version long before the old one
   * expires; Key Vault notifies a day later if rotation did not happen.
   * At least 7, and at most `expireAfterDays` - 28 (a version lives at least
   * the 28 days Key Vault requires before it is rotated).
   * @default 30
   */
  readonly rotateBeforeExpiryDays?: number;
  /**
   * Turn on Key Vault purge protection (CKV_AZURE_110, CKV_AZURE_42): deleted
   * keys cannot be purged before the soft-delete period ends. Azure requires it
   * for customer-managed keys, so stores built with `customerManagedKey` on
   * reject a key without it. Azure cannot turn it off again once it is on.
   * @default true
   */
  readonly purgeProtection?: boolean;
  /**
   * The Key Vault's name, instead of the naming helper's
   * `<company>-<project>-<env>-kv`: 3-24 letters, digits and single hyphens,
   * starting with a letter (globally unique). The key's name is `keyName`.
   * @default - `<company>-<project>-<env>-kv`
   */
  readonly physicalName?: string;
  /**
   * The key's name inside the vault: 1-127 letters, digits and hyphens.
   * @default 'platform-cmk'
   */
  readonly keyName?: string;
}

/**
 * A customer-managed key in a Key Vault, created by this library or imported:
 * what the Azure stores encrypt with and what grants on a store include.
 */
export interface IAzureEncryptionKey extends IEncryptionKey {
  /** Versionless key id (`https://<vault>.vault.azure.net/keys/<name>`): services that follow rotation use this. */
  readonly versionlessKeyId: string;
  /** Key name inside the vault. */
  readonly keyName: string;
  /** Key Vault resource id. */
  readonly keyVaultId: string;
  /** Key Vault name. */
  readonly keyVaultName: string;
  /** Key Vault URI (`https://<vault>.vault.azure.net/`). */
  readonly keyVaultUri: string;
  /** True when the vault has purge protection, which customer-managed-key encryption needs. */
  readonly purgeProtected: boolean;
  /** True when the vault's firewall lets every network through. */
  readonly openToAllNetworks: boolean;
  /** The vault's private endpoints made by this stack, by sub-resource (`vault`). */
  readonly privateEndpoints: ReadonlyMap<string, ITerraformDependable>;
  /** True for a key imported with {@link AzureEncryptionKey.fromExisting}. */
  readonly imported: boolean;
  /** How an imported vault's data plane is reached, as the import says (undefined for a created vault: its block says). */
  readonly reachableFrom?: AzureReachableFrom;
  /** Lets a service encrypt at rest with the key through `identity`; returns the assignment to wait for. */
  grantServiceEncryption(identity: IWorkloadIdentity): ITerraformDependable;
  /** Lets a principal that runs Terraform create the key, if Terraform creates it (nothing for an imported key). */
  grantKeyAdministration(principalId: string, principalType?: DeployPrincipalType): ITerraformDependable | undefined;
  /** Adds private endpoints of the vault (sub-resource `vault`) in another subnet, e.g. a private-mode platform's. */
  addPrivateEndpoints(endpoints: readonly AzurePrivateEndpointOptions[], placement: AzurePrivateEndpointPlacement): void;
}

/** What {@link AzureEncryptionKey.fromExisting} needs to know about an existing key. */
export interface AzureEncryptionKeyAttributes {
  /** The Key Vault's resource id (`/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>`). */
  readonly keyVaultId: string;
  /**
   * The key id, versionless (`https://<vault>.vault.azure.net/keys/<name>`, so
   * stores follow its rotation) or versioned (`…/keys/<name>/<version>`).
   */
  readonly keyId: string;
  /**
   * Whether the vault has purge protection. Stores the platform creates use
   * the key as their customer-managed key only if it does (Azure requires it).
   */
  readonly purgeProtected: boolean;
  /**
   * How the vault's data plane is reached (see {@link AzureReachableFrom}).
   * The platform checks reachability with it; without it, a private-mode
   * platform gives the vault a private endpoint and other modes report the
   * path as unknown (MLOPS_DEPLOY_AZURE_*).
   * @default - unknown
   */
  readonly reachableFrom?: AzureReachableFrom;
}

const KEY_VAULT_TYPE = 'Microsoft.KeyVault/vaults';
const KEY_ID = /^(https:\/\/([^/.]+)\.[^/]+)\/keys\/([A-Za-z0-9-]{1,127})(\/[A-Za-z0-9]+)?\/?$/;

/**
 * The platform's customer-managed key: an RSA key with a rotation policy and
 * an expiry, in a Key Vault with RBAC authorization, purge protection, soft
 * delete and a deny-by-default firewall. Grants on the key are role
 * assignments, which is why the vault always uses RBAC authorization.
 */
export class AzureEncryptionKey extends Construct implements IAzureEncryptionKey {
  /**
   * An existing Key Vault key (a landing zone's central vault). The platform
   * creates no vault and no key, and never changes the vault (no firewall,
   * no access policies): grants on it are role assignments scoped to the key
   * (and, for the workspace, to the vault).
   */
  public static fromExisting(scope: Construct, id: string, attrs: AzureEncryptionKeyAttributes): IAzureEncryptionKey {
    return new ImportedEncryptionKey(scope, id, attrs);
  }

  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** Versioned key id (`https://<vault>.vault.azure.net/keys/<name>/<version>`). */
  public readonly keyId: string;
  /** Versionless key id: services that follow rotation use this. */
  public readonly versionlessKeyId: string;
  /** Key name inside the vault. */
  public readonly keyName: string;
  /** Key Vault resource id. */
  public readonly keyVaultId: string;
  /** Key Vault name. */
  public readonly keyVaultName: string;
  /** Key Vault URI. */
  public readonly keyVaultUri: string;
  /** True when the vault has purge protection, which customer-managed-key encryption needs. */
  public readonly purgeProtected: boolean;
  /** True when the vault's firewall lets every network through (default action Allow). */
  public readonly openToAllNetworks: boolean;
  /** The vault's private endpoints, by sub-resource (`vault`). */
  public readonly privateEndpoints: ReadonlyMap<string, PrivateEndpoint>;
  /** Always false: the key is created here. */
  public readonly imported = false;
  /** Undefined: the vault's own block says how it is reached. */
  public readonly reachableFrom?: AzureReachableFrom = undefined;

  private readonly keyResourceId: string;
  private readonly endpoints: Map<string, PrivateEndpoint>;
  private readonly key: KeyVaultKey;
  private readonly admins: Set<string>;

  constructor(scope: Construct, id: string, props: AzureEncryptionKeyProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const vaultName = physicalNameFor(issues, naming, 'keyVault', 'kv', { construct: 'AzureEncryptionKey', path: this.node.path, prop: 'physicalName', value: props.physicalName });
    const keyName = props.keyName ?? 'platform-cmk';
    checkPhysicalName(new PropChecks(issues, 'AzureEncryptionKey', this.node.path), 'keyName', keyName, 'keyVaultKey');
    checkGuid(new PropChecks(issues, 'AzureEncryptionKey', this.node.path), 'tenantId', props.tenantId);
    (props.keyAdministratorPrincipalIds ?? []).forEach((p, i) => checkGuid(new PropChecks(issues, 'AzureEncryptionKey', this.node.path), `keyAdministratorPrincipalIds[${i}]`, p));
    checkIpRanges(new PropChecks(issues, 'AzureEncryptionKey', this.node.path), props.allowedIpRanges);
    const keySize = props.keySize ?? 3072;
    if (!Token.isUnresolved(keySize) && ![2048, 3072, 4096].includes(keySize)) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzureEncryptionKey', 'keySize', keySize, '2048, 3072 or 4096'));
    }
    const expireAfterDays = props.expireAfterDays ?? 365;
    new PropChecks(issues, 'AzureEncryptionKey', this.node.path).int('expireAfterDays', expireAfterDays, 60, 3650);
    const rotateBeforeDays = props.rotateBeforeExpiryDays ?? 30;
    if (!Token.isUnresolved(rotateBeforeDays) && Number.isInteger(expireAfterDays)) {
      const max = expireAfterDays - 28;
      if (!Number.isInteger(rotateBeforeDays) || rotateBeforeDays < 7 || rotateBeforeDays > max) {
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid(
            'AzureEncryptionKey',
            'rotateBeforeExpiryDays',
            rotateBeforeDays,
            `an integer from 7 to ${max} (expireAfterDays ${expireAfterDays} - 28): the next version must be rotated in at least 7 days before the current one expires, so that services following the versionless key id move to it in time, and a version must live the 28 days Key Vault requires first. Fix: lower rotateBeforeExpiryDays or raise expireAfterDays`,
          ),
        );
      }
    }
    checkPrivateEndpoints(new PropChecks(issues, 'AzureEncryptionKey', this.node.path), props.privateEndpoints, ['vault']);
    issues.throwIfAny('Invalid AzureEncryptionKey props:');

    const retain = props.retainData ?? true;
    const purgeProtection = props.purgeProtection ?? true;
    const firewall = firewallOf(props);
    const tags = azureTags(naming, props.tags);

    const vault = new KeyVault(this, 'Vault', {
      name: vaultName,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.resourceGroupName,
      tenantId: props.tenantId,
      skuName: 'standard',
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: purgeProtection,
      softDeleteRetentionDays: retain ? 90 : 7,
      publicNetworkAccessEnabled: firewall.publicEndpointEnabled,
      networkAcls: { bypass: 'AzureServices', defaultAction: firewall.defaultAction, ipRules: firewall.ipRanges },
      tags,
      lifecycle: retainLifecycle(retain),
    });
    const endpoints = createPrivateEndpoints(
      this,
      { resourceId: vault.id, resourceName: vaultName, location: props.resourceGroup.location, resourceGroupName: props.resourceGroup.resourceGroupName, tags },
      props.privateEndpoints,
    );

    const admins = props.keyAdministratorPrincipalIds ?? [new DataAzurermClientConfig(this, 'Deployer', {}).objectId];
    const adminAccess = admins.map(
      (principalId, i) =>
        new RoleAssignment(this, `KeyAdministrator${i}`, {
          scope: vault.id,
          roleDefinitionName: AZURE_ROLES.keyAdministrator,
          principalId,
        }),
    );
    this.admins = new Set(admins);

    const key = new KeyVaultKey(this, 'Resource', {
      name: keyName,
      keyVaultId: vault.id,
      keyType: 'RSA',
      keySize,
      keyOpts: [...AZURE_KEY_OPERATIONS],
      expirationDate: Fn.timeadd(Fn.timestamp(), `${expireAfterDays * 24}h`),
      rotationPolicy: {
        automatic: { timeBeforeExpiry: `P${rotateBeforeDays}D` },
        expireAfter: `P${expireAfterDays}D`,
        notifyBeforeExpiry: `P${rotateBeforeDays - 1}D`,
      },
      tags,
      // The key is created through the vault's data plane: after the creator's role and the private endpoint.
      dependsOn: [...adminAccess, ...endpoints.values()],
      lifecycle: retainLifecycle(retain, { ignoreChanges: ['expiration_date'] }),
    });

    this.keyId = key.id;
    this.versionlessKeyId = key.versionlessId;
    this.keyName = keyName;
    this.keyVaultId = vault.id;
    this.keyVaultName = vaultName;
    this.keyVaultUri = vault.vaultUri;
    this.purgeProtected = purgeProtection;
    this.openToAllNetworks = firewall.defaultAction === 'Allow';
    this.privateEndpoints = endpoints;
    this.endpoints = endpoints;
    this.keyResourceId = key.resourceVersionlessId;
    this.key = key;
  }

  /**
   * Lets a principal that runs Terraform create and rotate the key ('Key
   * Vault Crypto Officer' on the vault: the key does not exist before it
   * creates it); the key waits for the assignment. Idempotent per principal,
   * and a principal already listed in `keyAdministratorPrincipalIds` gets no
   * second assignment (Azure refuses duplicates with 409 RoleAssignmentExists).
   */
  public grantKeyAdministration(principalId: string, principalType?: DeployPrincipalType): ITerraformDependable | undefined {
    if (this.admins.has(principalId)) return undefined;
    const assignment = assignToPrincipal(this, { key: `${this.node.path}/Vault`, id: this.keyVaultId }, principalId, AZURE_ROLES.keyAdministrator, principalType);
    addDependency(this.key, assignment);
    return assignment;
  }

  /** Lets `identity` encrypt, decrypt, wrap and unwrap with the key ('Key Vault Crypto User' on the key). */
  public grantEncryptDecrypt(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'EncryptionKey.grantEncryptDecrypt');
    assignRole(this, this.grantScope, identity, { name: AZURE_ROLES.keyEncryptDecrypt });
  }

  /**
   * Lets a service encrypt at rest with the key through `identity`
   * ('Key Vault Crypto Service Encryption User' on the key); returns the
   * assignment so the service can wait for it.
   */
  public grantServiceEncryption(identity: IWorkloadIdentity): ITerraformDependable {
    identityOf(identity, 'azure', 'EncryptionKey.grantServiceEncryption');
    return assignRole(this, this.grantScope, identity, { name: AZURE_ROLES.keyServiceEncryption });
  }

  /** Adds private endpoints of the vault (sub-resource `vault`) in another subnet; the key waits for them. */
  public addPrivateEndpoints(endpoints: readonly AzurePrivateEndpointOptions[], placement: AzurePrivateEndpointPlacement): void {
    const added = addPrivateEndpointsTo(this, 'AzureEncryptionKey', { resourceId: this.keyVaultId, resourceName: this.keyVaultName }, this.endpoints, endpoints, placement, [
      'vault',
    ]);
    for (const pe of added) addDependency(this.key, pe);
  }

  private get grantScope() {
    return { key: this.node.path, id: this.keyResourceId };
  }
}

/**
 * An existing key: nothing is created but the role assignments grants make
 * (scoped to the key) and, in a private-mode platform, private endpoints of
 * the vault in the platform's subnet.
 */
class ImportedEncryptionKey extends Construct implements IAzureEncryptionKey {
  public readonly cloud = 'azure' as const;
  public readonly keyId: string;
  public readonly versionlessKeyId: string;
  public readonly keyName: string;
  public readonly keyVaultId: string;
  public readonly keyVaultName: string;
  public readonly keyVaultUri: string;
  public readonly purgeProtected: boolean;
  public readonly openToAllNetworks: boolean;
  public readonly privateEndpoints: ReadonlyMap<string, PrivateEndpoint>;
  public readonly imported = true;
  public readonly reachableFrom?: AzureReachableFrom;

  private readonly endpoints = new Map<string, PrivateEndpoint>();
  private readonly keyResourceId: string;

  constructor(scope: Construct, id: string, attrs: AzureEncryptionKeyAttributes) {
    super(scope, id);
    const construct = 'AzureEncryptionKey.fromExisting';
    const where = this.node.path;
    const issues = new IssueCollector();
    const vault = checkResourceId(
      new PropChecks(issues, construct, where),
      'keyVaultId',
      attrs.keyVaultId,
      KEY_VAULT_TYPE,
      '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>',
    );
    const key = Token.isUnresolved(attrs.keyId) ? undefined : KEY_ID.exec(attrs.keyId ?? '');
    if (!Token.isUnresolved(attrs.keyId) && !key) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(construct, 'keyId', attrs.keyId, 'a Key Vault key id https://<vault>.vault.azure.net/keys/<name>[/<version>] (az keyvault key show --query key.kid)'),
      );
    } else if (key && vault && key[2]!.toLowerCase() !== vault.name.toLowerCase()) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(construct, 'keyId', attrs.keyId, `a key of the vault ${vault.name} named by keyVaultId (its host starts with "${vault.name}.")`),
      );
    }
    if (typeof attrs.purgeProtected !== 'boolean') {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(
          construct,
          'purgeProtected',
          attrs.purgeProtected,
          'true or false: whether the vault has purge protection (az keyvault show --query properties.enablePurgeProtection)',
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

    const split = Fn.split('/', attrs.keyId);
    this.keyVaultName = vault?.name ?? Fn.element(Fn.split('/', attrs.keyVaultId), 8);
    this.keyName = key ? key[3]! : Fn.element(split, 4);
    const base = key ? key[1]! : `https://${Fn.element(split, 2)}`;
    this.keyId = attrs.keyId;
    this.versionlessKeyId = `${base}/keys/${this.keyName}`;
    this.keyVaultUri = `${base}/`;
    this.keyVaultId = attrs.keyVaultId;
    this.purgeProtected = attrs.purgeProtected;
    this.reachableFrom = attrs.reachableFrom;
    this.openToAllNetworks = attrs.reachableFrom === 'public';
    this.privateEndpoints = this.endpoints;
    this.keyResourceId = `${attrs.keyVaultId}/keys/${this.keyName}`;
    markImported(this, {
      kind: 'keyVault',
      resourceId: attrs.keyVaultId,
      name: this.keyVaultName,
      reachableFrom: attrs.reachableFrom,
      keyResourceId: this.keyResourceId,
      keyIds: [this.keyId, this.versionlessKeyId],
    });
  }

  /** Nothing: the key exists, Terraform does not create it. */
  public grantKeyAdministration(): ITerraformDependable | undefined {
    return undefined;
  }

  /** Lets `identity` encrypt, decrypt, wrap and unwrap with the key ('Key Vault Crypto User' on the key). */
  public grantEncryptDecrypt(identity: IWorkloadIdentity): void {
    identityOf(identity, 'azure', 'EncryptionKey.grantEncryptDecrypt');
    assignRole(this, this.grantScope, identity, { name: AZURE_ROLES.keyEncryptDecrypt });
  }

  /** Lets a service encrypt at rest with the key through `identity` ('Key Vault Crypto Service Encryption User' on the key). */
  public grantServiceEncryption(identity: IWorkloadIdentity): ITerraformDependable {
    identityOf(identity, 'azure', 'EncryptionKey.grantServiceEncryption');
    return assignRole(this, this.grantScope, identity, { name: AZURE_ROLES.keyServiceEncryption });
  }

  /** Adds private endpoints of the vault (sub-resource `vault`), e.g. in a private-mode platform's subnet. */
  public addPrivateEndpoints(endpoints: readonly AzurePrivateEndpointOptions[], placement: AzurePrivateEndpointPlacement): void {
    addPrivateEndpointsTo(this, 'AzureEncryptionKey.fromExisting', { resourceId: this.keyVaultId, resourceName: this.keyVaultName }, this.endpoints, endpoints, placement, [
      'vault',
    ]);
  }

  private get grantScope() {
    return { key: this.node.path, id: this.keyResourceId };
  }
}
