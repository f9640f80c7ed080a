import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { Aspects, IAspect, TerraformResource, TerraformStack, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { IMlPlatform, IPlatformNetwork } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { NETWORK_MODES, checkDeployers, resolveNetwork } from '../core/network';
import { PlatformBaseProps, toNaming } from '../core/platform-props';
import { AzureArtifactStore } from './artifact-store';
import { AzureEncryptionKey } from './encryption-key';
import { AzureWorkloadIdentity } from './identity';
import { AzureImageRegistry } from './image-registry';
import { AzureModelRegistry } from './model-registry';
import { AzurePrivateNetwork } from './network';
import { DeployPrincipalType } from './private/grants';
import { AzureResourceGroup } from './resource-group';
import { AzureTrainingCompute } from './training-compute';
import { checkGuid, checkInt, checkIpRanges, checkLocation } from './private/util';
import { AzureMlWorkspace } from './workspace';

/** Props of {@link AzureMlPlatform}. */
export interface AzureMlPlatformProps extends PlatformBaseProps {
  /** Azure region, e.g. `westeurope`. */
  readonly location: string;
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
}

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
  /** The resource group everything is deployed into. */
  public readonly resourceGroup: AzureResourceGroup;
  /** The customer-managed key all stores are encrypted with. */
  public readonly encryptionKey: AzureEncryptionKey;
  /** The identity Azure services use for the key and the workspace's attached resources. */
  public readonly serviceIdentity: AzureWorkloadIdentity;
  /** The artifact store. */
  public readonly artifactStore: AzureArtifactStore;
  /** The image registry for the runtime image. */
  public readonly imageRegistry: AzureImageRegistry;
  /** The workspace with its monitoring base. */
  public readonly workspace: AzureMlWorkspace;
  /** The model registry. */
  public readonly modelRegistry: AzureModelRegistry;
  /** The identity training jobs and endpoints run as. */
  public readonly identity: AzureWorkloadIdentity;
  /** The training compute. */
  public readonly trainingCompute: AzureTrainingCompute;
  /** How the data planes are reached; in `private` mode `networkId` is the virtual network. */
  public readonly network: IPlatformNetwork;
  /** The private network (private mode only). */
  public readonly privateNetwork?: AzurePrivateNetwork;

  private readonly deployerIds: string[] = [];

  constructor(scope: Construct, id: string, props: AzureMlPlatformProps) {
    super(scope, id);
    const naming = toNaming(props.naming);
    const net = resolveNetwork(props.network);

    // Validate everything first so one error lists every problem.
    const issues = new IssueCollector();
    for (const issue of naming.check('azure')) issues.add(issue.code, issue.path, issue.message);
    checkLocation(issues, 'AzureMlPlatform', this.node.path, props.location);
    checkGuid(issues, 'AzureMlPlatform', this.node.path, 'tenantId', props.tenantId);
    if (!(NETWORK_MODES as readonly string[]).includes(net.mode)) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AzureMlPlatform', 'network.mode', net.mode, `one of ${NETWORK_MODES.map((m) => `'${m}'`).join(', ')}`));
    }
    checkIpRanges(issues, 'AzureMlPlatform', this.node.path, net.allowedIpRanges);
    checkDeployers(issues, 'azure', 'AzureMlPlatform', this.node.path, props.deployers, (v) => Token.isUnresolved(v));
    checkInt(issues, 'AzureMlPlatform', this.node.path, 'training.maxNodes', props.training?.maxNodes, 1, 1000);
    issues.throwIfAny('Invalid AzureMlPlatform props:');

    const tags = props.tags;
    const retainData = props.retainData ?? true;
    const isPublic = net.mode === 'public';

    this.resourceGroup = new AzureResourceGroup(this, 'ResourceGroup', { naming, location: props.location, tags });
    const base = { naming, resourceGroup: this.resourceGroup, tags };
    if (net.mode === 'private') {
      this.privateNetwork = new AzurePrivateNetwork(this, 'Network', { ...base, addressSpace: net.addressSpace, existing: net.existing.azure });
    }
    const pn = this.privateNetwork;
    // Firewalls: open in public mode; else default Deny, letting the allowed ranges (in private mode: a VPN range, if any) through.
    const network = { publicNetworkAccess: isPublic, allowedIpRanges: isPublic ? [] : net.allowedIpRanges };

    this.encryptionKey = new AzureEncryptionKey(this, 'Key', {
      ...base,
      ...network,
      retainData,
      tenantId: props.tenantId,
      // The key's creators are the deployers, granted below (and by grantDeploy).
      keyAdministratorPrincipalIds: [],
      privateEndpoints: pn ? [pn.endpointFor('vault')] : undefined,
    });
    this.serviceIdentity = new AzureWorkloadIdentity(this, 'ServiceIdentity', { ...base, resource: 'id-svc' });
    this.identity = new AzureWorkloadIdentity(this, 'Identity', base);

    const encryption = { encryptionKey: this.encryptionKey, encryptionIdentity: this.serviceIdentity };
    this.artifactStore = new AzureArtifactStore(this, 'ArtifactStore', {
      ...base,
      ...network,
      ...encryption,
      retainData,
      privateEndpoints: pn ? [pn.endpointFor('blob'), pn.endpointFor('file')] : undefined,
    });
    this.imageRegistry = new AzureImageRegistry(this, 'ImageRegistry', {
      ...base,
      ...network,
      ...encryption,
      customerManagedKey: props.registryCustomerManagedKey ?? isPublic,
      retainData,
      privateEndpoints: pn ? [pn.endpointFor('registry')] : undefined,
    });
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
    });
    this.modelRegistry = new AzureModelRegistry(this, 'ModelRegistry', { naming, resourceGroup: this.resourceGroup, workspace: this.workspace });
    this.trainingCompute = new AzureTrainingCompute(this, 'TrainingCompute', {
      naming,
      workspace: this.workspace,
      identity: this.identity,
      size: props.training?.size,
      maxNodes: props.training?.maxNodes,
      lowPriority: props.training?.lowPriority,
      tags,
    });

    this.artifactStore.grantReadWrite(this.identity);
    this.imageRegistry.grantPull(this.identity);
    this.modelRegistry.grantWrite(this.identity);
    this.workspace.grantUse(this.identity);
    this.encryptionKey.grantEncryptDecrypt(this.identity);

    this.network = { mode: net.mode, allowedIpRanges: [...net.allowedIpRanges], networkId: pn?.networkId };

    // Who runs Terraform: the named deployers, else the principal running it now.
    const deployers = props.deployers ?? [new DataAzurermClientConfig(this, 'Deployer', {}).objectId];
    for (const principal of deployers) this.grantDeploy(principal);

    // Writes through the data planes that other constructs make (the training
    // data blob, the runtime image push) wait for their roles and private endpoints.
    const platform = this;
    const ordering: IAspect = { visit: (node) => platform.bindWrite(node) };
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
