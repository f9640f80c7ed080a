import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { ensureUniquePhysicalNames } from '../core/unique-names';
import { Aspects, IAspect, TerraformResource, TerraformStack, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { IMlPlatform, IPlatformNetwork, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { NETWORK_MODES, checkDeployers, resolveNetwork } from '../core/network';
import { PlatformBaseProps, toNaming } from '../core/platform-props';
import { NameKind, PLATFORM_NAMES } from '../core/naming';
import { AzureArtifactStore, IAzureArtifactStore } from './artifact-store';
import { IAzureResourceGroup, DeployPrincipalType } from './common';
import { AzureEncryptionKey, IAzureEncryptionKey } from './encryption-key';
import { AzureWorkloadIdentity, IAzureWorkloadIdentity, isAzureWorkloadIdentity } from './identity';
import { AzureImageRegistry, IAzureImageRegistry } from './image-registry';
import { AzureModelRegistry } from './model-registry';
import { AzureNetwork, IAzureNetwork } from './network';
import { AzurePrivateEndpointPlacement } from './private-endpoint';

import { AzureResourceGroup } from './resource-group';
import { AzureTrainingCompute } from './training-compute';
import { azureTags, checkGuid, checkIpRanges, checkPhysicalName } from './util';
import { AzureMlWorkspace } from './workspace';
import { PropChecks } from '../core/validate';
import { SETTING_RANGES } from '../core/settings';

/**
 * Existing resources a platform uses instead of creating its own (Terraform
 * modules' `existing_*` inputs). For each one given, the platform creates no
 * such resource and wires the rest to it: the workspace is attached to the
 * imported vault, storage account and registry, grants become role
 * assignments on the imported scopes, and in `private` mode the platform
 * gives imported stores private endpoints in its subnet (unless an import
 * says `reachableFrom: 'privateEndpoint'`). Imported resources are never
 * modified otherwise: no firewall rules, no customer-managed key, no settings.
 */
export interface AzureExistingResources {
  /**
   * The resource group everything is created in ({@link AzureResourceGroup.fromExisting}).
   * @default - a resource group `<company>-<project>-<env>-rg`
   */
  readonly resourceGroup?: IAzureResourceGroup;
  /**
   * The customer-managed key the platform's stores and workspace are
   * encrypted with; its vault becomes the workspace's Key Vault. Its vault
   * must have purge protection ({@link AzureEncryptionKey.fromExisting}).
   * @default - a Key Vault and key created by the platform
   */
  readonly encryptionKey?: IAzureEncryptionKey;
  /**
   * The artifact store; its storage account becomes the workspace's ({@link AzureArtifactStore.fromExisting}).
   * @default - a storage account and container created by the platform
   */
  readonly artifactStore?: IAzureArtifactStore;
  /**
   * The image registry; it becomes the workspace's ({@link AzureImageRegistry.fromExisting}).
   * @default - a Premium container registry created by the platform
   */
  readonly imageRegistry?: IAzureImageRegistry;
  /**
   * The user-assigned identity training jobs and endpoints run as ({@link AzureWorkloadIdentity.fromExisting}).
   * @default - a user-assigned identity created by the platform
   */
  readonly identity?: IAzureWorkloadIdentity;
  /**
   * In `private` mode: the network the private endpoints go in
   * ({@link AzureNetwork.fromExisting}), instead of
   * `network.existing.azure` (which creates the DNS zones the hub lacks).
   * @default - the network of `network.existing.azure`, else a created one
   */
  readonly network?: IAzureNetwork;
}

/**
 * Physical names of what the platform creates, instead of the naming
 * helper's `<company>-<project>-<env>-<resource>`; each is checked against
 * its Azure limits (the `physicalName` of the construct that creates it).
 */
export interface AzureMlPlatformPhysicalNames {
  /**
   * The resource group (AzureResourceGroup physicalName).
   * @default - `<company>-<project>-<env>-rg`
   */
  readonly resourceGroup?: string;
  /**
   * The Key Vault (AzureEncryptionKey physicalName).
   * @default - `<company>-<project>-<env>-kv`
   */
  readonly keyVault?: string;
  /**
   * The key inside the vault (AzureEncryptionKey keyName).
   * @default 'platform-cmk'
   */
  readonly key?: string;
  /**
   * The storage account (AzureArtifactStore physicalName).
   * @default - `<company><project><env>st`
   */
  readonly storageAccount?: string;
  /**
   * The container registry (AzureImageRegistry physicalName).
   * @default - `<company><project><env>acr`
   */
  readonly containerRegistry?: string;
  /**
   * The Azure ML workspace (AzureMlWorkspace physicalName).
   * @default - `<company>-<project>-<env>-mlw`
   */
  readonly workspace?: string;
  /**
   * The Log Analytics workspace (AzureMlWorkspace logAnalyticsName).
   * @default - `<company>-<project>-<env>-log`
   */
  readonly logAnalytics?: string;
  /**
   * The Application Insights component (AzureMlWorkspace applicationInsightsName).
   * @default - `<company>-<project>-<env>-appi`
   */
  readonly applicationInsights?: string;
  /**
   * The workload identity jobs run as (AzureWorkloadIdentity physicalName).
   * @default - `<company>-<project>-<env>-id`
   */
  readonly identity?: string;
  /**
   * The workspace's service identity (AzureWorkloadIdentity physicalName).
   * @default - `<company>-<project>-<env>-id-svc`
   */
  readonly serviceIdentity?: string;
  /**
   * The training compute cluster (AzureTrainingCompute physicalName).
   * @default 'train-cluster'
   */
  readonly computeCluster?: string;
  /**
   * The virtual network in private mode (AzureNetwork physicalName).
   * @default - `<company>-<project>-<env>-vnet`
   */
  readonly virtualNetwork?: string;
}

/** Props of {@link AzureMlPlatform}. */
export interface AzureMlPlatformProps extends PlatformBaseProps {
  /** Azure region (location), e.g. `westeurope`. */
  readonly region: string;
  /** The Entra ID tenant the Key Vault trusts. */
  readonly tenantId: string;
  /**
   * Encrypt the container registry with the platform key. Azure accepts a
   * registry's customer-managed key only at creation and only through a
   * user-assigned identity, which the Key Vault firewall does not let
   * through (only system-assigned identities count as trusted services,
   * MicrosoftDocs/azure-docs#61064): the registry could not be created
   * while the vault denies by default. So the registry uses the platform key
   * only where the vault is open (network mode `public`) and Microsoft-managed
   * keys otherwise.
   * @default - true in `public` mode, false in `firewalled` and `private` mode
   */
  readonly registryCustomerManagedKey?: boolean;
  /**
   * Existing resources to use instead of creating them (bring your own).
   * @default - the platform creates every resource
   */
  readonly existing?: AzureExistingResources;
  /**
   * Physical names of the resources the platform creates.
   * @default - the naming helper's names
   */
  readonly physicalNames?: AzureMlPlatformPhysicalNames;
}

/** The Azure name rules each `physicalNames` entry is checked against. */
const PHYSICAL_NAME_KINDS: Readonly<Record<keyof AzureMlPlatformPhysicalNames, NameKind | 'virtualNetwork'>> = {
  resourceGroup: 'resourceGroup',
  keyVault: 'keyVault',
  key: 'keyVaultKey',
  storageAccount: 'storageAccount',
  containerRegistry: 'containerRegistry',
  workspace: 'mlWorkspace',
  logAnalytics: 'logAnalytics',
  applicationInsights: 'appInsights',
  identity: 'managedIdentity',
  serviceIdentity: 'managedIdentity',
  computeCluster: 'mlComputeCluster',
  virtualNetwork: 'virtualNetwork',
};

/** The resource suffix of PLATFORM_NAMES each `existing` / `physicalNames` entry replaces. */
const NAMED_BY: Readonly<Record<string, { readonly existing?: keyof AzureExistingResources; readonly physical: keyof AzureMlPlatformPhysicalNames }>> = {
  rg: { existing: 'resourceGroup', physical: 'resourceGroup' },
  st: { existing: 'artifactStore', physical: 'storageAccount' },
  kv: { existing: 'encryptionKey', physical: 'keyVault' },
  acr: { existing: 'imageRegistry', physical: 'containerRegistry' },
  mlw: { physical: 'workspace' },
  id: { existing: 'identity', physical: 'identity' },
  log: { physical: 'logAnalytics' },
  appi: { physical: 'applicationInsights' },
  'id-svc': { physical: 'serviceIdentity' },
};

/** What a `docker_registry_image` and `azurerm_storage_blob` expose that the platform matches writes by. */
type WithInputs = TerraformResource & { readonly nameInput?: string; readonly storageAccountNameInput?: string };

/**
 * A complete, secure ML platform on Azure: resource group, Key Vault key,
 * storage, container registry, Azure ML workspace with monitoring, model
 * registry, workload identity and a training cluster. The workload identity
 * gets artifact read/write, image pull, model write, workspace use and key
 * encrypt/decrypt, each scoped to its resource.
 *
 * `network.mode` decides how the data planes are reached: `public` (open,
 * Entra ID only), `firewalled` (default-deny firewalls letting
 * `allowedIpRanges` through; the workspace and its endpoint accept those
 * ranges), `private` (a virtual network with private endpoints and private
 * DNS zones for the vault, storage, registry and workspace; the online
 * endpoint private). The deployers (`deployers`, or whoever runs Terraform,
 * plus every `grantDeploy` principal) get exactly the data roles Terraform
 * needs, and every Terraform data-plane write (the key, a blob in the
 * store, an image push to the registry) waits for those roles and for the
 * private endpoint it goes through.
 */
export class AzureMlPlatform extends Construct implements IMlPlatform {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** The resource group everything is deployed into (created, or `existing.resourceGroup`). */
  public readonly resourceGroup: IAzureResourceGroup;
  /** The customer-managed key all stores are encrypted with (created, or `existing.encryptionKey`). */
  public readonly encryptionKey: IAzureEncryptionKey;
  /** The identity Azure services use for the key and the workspace's attached resources. */
  public readonly serviceIdentity: AzureWorkloadIdentity;
  /** The artifact store (created, or `existing.artifactStore`). */
  public readonly artifactStore: IAzureArtifactStore;
  /** The image registry for the runtime image (created, or `existing.imageRegistry`). */
  public readonly imageRegistry: IAzureImageRegistry;
  /** The workspace with its monitoring base. */
  public readonly workspace: AzureMlWorkspace;
  /** The model registry. */
  public readonly modelRegistry: AzureModelRegistry;
  /** The identity training jobs and endpoints run as (created, or `existing.identity`). */
  public readonly identity: IAzureWorkloadIdentity;
  /** The training compute. */
  public readonly trainingCompute: AzureTrainingCompute;
  /** How the data planes are reached; in `private` mode `networkId` is the virtual network. */
  public readonly network: IPlatformNetwork;
  /** The private network (private mode only): created, or `existing.network`. */
  public readonly privateNetwork?: IAzureNetwork;
  /**
   * The address space of a network the stack creates (`network.addressSpace`):
   * the private network in private mode; in firewalled mode the network of a
   * pipeline promoter (AzurePipelinePromoter), if the stack has one.
   */
  public readonly addressSpace: string;
  /** The tags the platform puts on what it creates (naming parts, managed-by and `tags`, in Azure's form): for resources other constructs add on it. */
  public readonly tags: Readonly<Record<string, string>>;

  private readonly deployerIds: string[] = [];

  constructor(scope: Construct, id: string, props: AzureMlPlatformProps) {
    super(scope, id);
    // Two resources of the stack with one physical name fail the synth, naming both (MLOPS_DUPLICATE_NAME).
    ensureUniquePhysicalNames(this);
    const naming = toNaming(props.naming);
    const net = resolveNetwork(props.network);

    // Validate everything first so one error lists every problem.
    const issues = new IssueCollector();
    const existing = props.existing ?? {};
    const names = props.physicalNames ?? {};
    // The naming helper's names matter only for what the platform creates and names itself.
    for (const [kind, resource] of PLATFORM_NAMES.azure) {
      const by = NAMED_BY[resource];
      if (by && ((by.existing && existing[by.existing] !== undefined) || names[by.physical] !== undefined)) continue;
      const result = naming.tryName(kind, resource);
      if (typeof result !== 'string') issues.add(result.code, result.path, result.message);
    }
    checkExisting(issues, this.node.path, props, net.mode);
    for (const [prop, kind] of Object.entries(PHYSICAL_NAME_KINDS) as [keyof AzureMlPlatformPhysicalNames, NameKind | 'virtualNetwork'][]) {
      if (names[prop] !== undefined) checkPhysicalName(new PropChecks(issues, 'AzureMlPlatform', this.node.path), `physicalNames.${prop}`, names[prop], kind);
    }
    new PropChecks(issues, 'AzureMlPlatform', this.node.path).region('azure', 'region', props.region);
    checkGuid(new PropChecks(issues, 'AzureMlPlatform', this.node.path), 'tenantId', props.tenantId);
    if (!(NETWORK_MODES as readonly string[]).includes(net.mode)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('AzureMlPlatform', 'network.mode', net.mode, `one of ${NETWORK_MODES.map((m) => `'${m}'`).join(', ')}`),
      );
    }
    checkIpRanges(new PropChecks(issues, 'AzureMlPlatform', this.node.path), net.allowedIpRanges);
    checkDeployers(issues, 'azure', 'AzureMlPlatform', this.node.path, props.deployers, (v) => Token.isUnresolved(v));
    new PropChecks(issues, 'AzureMlPlatform', this.node.path).number('training.maxNodes', props.training?.maxNodes, SETTING_RANGES.training.maxNodes);
    issues.throwIfAny('Invalid AzureMlPlatform props:');

    const tags = props.tags;
    const retainData = props.retainData ?? true;
    const isPublic = net.mode === 'public';

    this.resourceGroup = existing.resourceGroup ?? new AzureResourceGroup(this, 'ResourceGroup', { naming, location: props.region, tags, physicalName: names.resourceGroup });
    const base = { naming, resourceGroup: this.resourceGroup, tags };
    if (net.mode === 'private') {
      this.privateNetwork =
        existing.network ?? new AzureNetwork(this, 'Network', { ...base, addressSpace: net.addressSpace, existing: net.existing.azure, physicalName: names.virtualNetwork });
    }
    const pn = this.privateNetwork;
    // Firewalls: open in public mode; else default Deny, letting the allowed ranges (in private mode: a VPN range, if any) through.
    const network = { publicNetworkAccess: isPublic, allowedIpRanges: isPublic ? [] : net.allowedIpRanges };
    // Imported stores get private endpoints in the platform's subnet, unless they have their own.
    const placement: AzurePrivateEndpointPlacement = {
      location: this.resourceGroup.location,
      resourceGroupName: this.resourceGroup.resourceGroupName,
      tags: azureTags(naming, tags),
    };
    const connect = (
      store: { readonly imported: boolean; readonly reachableFrom?: string; addPrivateEndpoints: IAzureArtifactStore['addPrivateEndpoints'] },
      subs: readonly ('vault' | 'blob' | 'file' | 'registry')[],
    ) => {
      if (pn && store.imported && store.reachableFrom !== 'privateEndpoint')
        store.addPrivateEndpoints(
          subs.map((sub) => pn.endpointFor(sub)),
          placement,
        );
    };

    this.encryptionKey =
      existing.encryptionKey ??
      new AzureEncryptionKey(this, 'Key', {
        ...base,
        ...network,
        retainData,
        tenantId: props.tenantId,
        // The key's creators are the deployers, granted below (and by grantDeploy).
        keyAdministratorPrincipalIds: [],
        privateEndpoints: pn ? [pn.endpointFor('vault')] : undefined,
        physicalName: names.keyVault,
        keyName: names.key,
      });
    connect(this.encryptionKey, ['vault']);
    this.serviceIdentity = new AzureWorkloadIdentity(this, 'ServiceIdentity', { ...base, resource: 'id-svc', physicalName: names.serviceIdentity });
    this.identity = existing.identity ?? new AzureWorkloadIdentity(this, 'Identity', { ...base, physicalName: names.identity });

    const encryption = { encryptionKey: this.encryptionKey, encryptionIdentity: this.serviceIdentity };
    this.artifactStore =
      existing.artifactStore ??
      new AzureArtifactStore(this, 'ArtifactStore', {
        ...base,
        ...network,
        ...encryption,
        retainData,
        privateEndpoints: pn ? [pn.endpointFor('blob'), pn.endpointFor('file')] : undefined,
        physicalName: names.storageAccount,
      });
    connect(this.artifactStore, ['blob', 'file']);
    this.imageRegistry =
      existing.imageRegistry ??
      new AzureImageRegistry(this, 'ImageRegistry', {
        ...base,
        ...network,
        ...encryption,
        // A registry's CMK identity reaches the vault only while the vault lets every network through.
        customerManagedKey: props.registryCustomerManagedKey ?? (isPublic && this.encryptionKey.openToAllNetworks),
        retainData,
        privateEndpoints: pn ? [pn.endpointFor('registry')] : undefined,
        physicalName: names.containerRegistry,
      });
    connect(this.imageRegistry, ['registry']);
    this.workspace = new AzureMlWorkspace(this, 'Workspace', {
      ...base,
      retainData,
      publicNetworkAccess: isPublic,
      allowedIpRanges: network.allowedIpRanges,
      privateEndpoints: pn ? [pn.endpointFor('amlworkspace')] : undefined,
      encryptionKey: this.encryptionKey,
      serviceIdentity: this.serviceIdentity,
      artifactStore: this.artifactStore,
      imageRegistry: this.imageRegistry,
      physicalName: names.workspace,
      logAnalyticsName: names.logAnalytics,
      applicationInsightsName: names.applicationInsights,
    });
    this.modelRegistry = new AzureModelRegistry(this, 'ModelRegistry', { naming, resourceGroup: this.resourceGroup, workspace: this.workspace });
    this.trainingCompute = new AzureTrainingCompute(this, 'TrainingCompute', {
      naming,
      workspace: this.workspace,
      identity: this.identity,
      size: props.training?.size,
      maxNodes: props.training?.maxNodes,
      lowPriority: props.training?.lowPriority,
      physicalName: names.computeCluster,
      tags,
    });

    this.artifactStore.grantReadWrite(this.identity);
    this.imageRegistry.grantPull(this.identity);
    this.modelRegistry.grantWrite(this.identity);
    this.workspace.grantUse(this.identity);
    this.encryptionKey.grantEncryptDecrypt(this.identity);

    this.network = { mode: net.mode, allowedIpRanges: [...net.allowedIpRanges], networkId: pn?.networkId };
    this.addressSpace = net.addressSpace;
    this.tags = azureTags(naming, tags);

    // Who runs Terraform: the named deployers, else the principal running it now.
    const deployers = props.deployers ?? [new DataAzurermClientConfig(this, 'Deployer', {}).objectId];
    for (const principal of deployers) this.grantDeploy(principal);

    // Writes through the data planes that other constructs make (the training
    // data blob, the runtime image push) wait for their roles and private endpoints.
    const ordering: IAspect = { visit: (node) => this.bindWrite(node) };
    Aspects.of(TerraformStack.of(this)).add(ordering);
  }

  /** The principals that run Terraform for the platform: the deployers and every `grantDeploy` principal. */
  public get deployers(): readonly string[] {
    return [...this.deployerIds];
  }

  /**
   * Lets `principal` (an Entra object id: a person, a group or a CI identity)
   * do what Terraform does through the platform's data planes: create and
   * rotate the key ('Key Vault Crypto Officer' on the vault), write the
   * training data ('Storage Blob Data Contributor' on the container) and push
   * the runtime image ('AcrPush' on the registry). Every such write waits for
   * these assignments. The platform has no identity-based deny, so nothing
   * else is needed. Granting the same principal twice changes nothing (Azure
   * refuses a duplicate assignment with 409 RoleAssignmentExists).
   */
  public grantDeploy(principal: string, principalType?: DeployPrincipalType): void {
    if (this.deployerIds.includes(principal)) return;
    this.deployerIds.push(principal);
    this.encryptionKey.grantKeyAdministration(principal, principalType);
    this.artifactStore.grantDeployWrite(principal, principalType);
    this.imageRegistry.grantDeployPush(principal, principalType);
  }

  /** Binds a blob written into the artifact store, or an image pushed to the registry, to its prerequisites. */
  private bindWrite(node: IConstruct): void {
    if (!TerraformResource.isTerraformResource(node)) return;
    const resource = node as WithInputs;
    switch (resource.terraformResourceType) {
      case 'azurerm_storage_blob':
        if (resource.storageAccountNameInput === this.artifactStore.accountName) this.artifactStore.bindDataPlaneWrite(resource);
        return;
      case 'docker_registry_image': {
        const uri = this.imageRegistry.imageUri;
        const pushesHere = (name: string | undefined) => typeof name === 'string' && name.startsWith(uri);
        // RuntimeImage pushes `docker_image.name`, whose own name starts with the registry's image URI.
        const builds = (node.node.scope?.node.children ?? []).filter(
          (c): c is WithInputs => TerraformResource.isTerraformResource(c) && (c as TerraformResource).terraformResourceType === 'docker_image',
        );
        if (pushesHere(resource.nameInput) || builds.some((b) => pushesHere(b.nameInput))) this.imageRegistry.bindDataPlaneWrite(resource);
        return;
      }
    }
  }
}

/** Records every problem with the `existing` resources of a platform. */
function checkExisting(issues: IssueCollector, path: string, props: AzureMlPlatformProps, mode: string): void {
  const existing = props.existing ?? {};
  const bad = (prop: string, value: unknown, accepted: string) => issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid('AzureMlPlatform', prop, value, accepted));
  for (const key of ['encryptionKey', 'artifactStore', 'imageRegistry', 'identity'] as const) {
    const given = existing[key];
    if (given !== undefined && given.cloud !== 'azure') {
      issues.add(
        ErrorCode.CLOUD_MISMATCH,
        path,
        messages.propInvalid('AzureMlPlatform', `existing.${key}`, `a resource of cloud ${String(given.cloud)}`, "an Azure resource (the Azure construct's fromExisting)"),
      );
    }
  }
  const identity: IWorkloadIdentity | undefined = existing.identity;
  if (identity !== undefined && identity.cloud === 'azure' && !isAzureWorkloadIdentity(identity)) {
    bad(
      'existing.identity',
      identity.identityId,
      'a user-assigned managed identity with a client id (AzureWorkloadIdentity.fromExisting): Azure ML compute and endpoints run only as one',
    );
  }
  const key = existing.encryptionKey;
  if (key !== undefined && key.cloud === 'azure' && !key.purgeProtected) {
    bad(
      'existing.encryptionKey',
      `${key.keyVaultName} (purgeProtected false)`,
      'a key whose vault has purge protection: the platform encrypts the workspace (and the stores it creates) with it, and Azure requires purge protection for customer-managed keys. Fix: turn purge protection on (az keyvault update --enable-purge-protection true) and import with purgeProtected: true',
    );
  }
  if (existing.imageRegistry !== undefined && props.registryCustomerManagedKey === true) {
    bad('registryCustomerManagedKey', true, 'unset while existing.imageRegistry is given: the platform never changes the encryption of a registry it does not own');
  }
  if (existing.network !== undefined) {
    if (mode !== 'private') bad('existing.network', existing.network.networkId, "unset unless network.mode is 'private' (only private mode uses a network)");
    if (props.network?.existing?.azure !== undefined) bad('existing.network', existing.network.networkId, 'unset while network.existing.azure is given (name the network once)');
  }
}
