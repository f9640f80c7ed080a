import { Construct } from 'constructs';
import { IMlPlatform } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { PlatformBaseProps, toNaming } from '../core/platform-props';
import { AzureArtifactStore } from './artifact-store';
import { AzureEncryptionKey } from './encryption-key';
import { AzureWorkloadIdentity } from './identity';
import { AzureImageRegistry } from './image-registry';
import { AzureModelRegistry } from './model-registry';
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
   * Principals (object ids) given 'Key Vault Crypto Officer' on the Key Vault
   * so the deployment can create and rotate the key. An empty list assigns
   * none (for deployers that already hold a data-plane role on the vault).
   * @default - the principal running the deployment (data `azurerm_client_config`)
   */
  readonly keyAdministratorPrincipalIds?: readonly string[];
}

/**
 * A complete, secure ML platform on Azure: resource group, Key Vault key,
 * storage, container registry, Azure ML workspace with monitoring, model
 * registry, workload identity and a training cluster. The workload identity
 * gets artifact read/write, image pull, model write, workspace use and key
 * encrypt/decrypt, each scoped to its resource.
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

  constructor(scope: Construct, id: string, props: AzureMlPlatformProps) {
    super(scope, id);
    const naming = toNaming(props.naming);

    // Validate everything first so one error lists every problem.
    const issues = new IssueCollector();
    for (const issue of naming.check('azure')) issues.add(issue.code, issue.path, issue.message);
    checkLocation(issues, 'AzureMlPlatform', this.node.path, props.location);
    checkGuid(issues, 'AzureMlPlatform', this.node.path, 'tenantId', props.tenantId);
    (props.keyAdministratorPrincipalIds ?? []).forEach((p, i) =>
      checkGuid(issues, 'AzureMlPlatform', this.node.path, `keyAdministratorPrincipalIds[${i}]`, p),
    );
    checkIpRanges(issues, 'AzureMlPlatform', this.node.path, props.allowedIpRanges);
    checkInt(issues, 'AzureMlPlatform', this.node.path, 'training.maxNodes', props.training?.maxNodes, 1, 1000);
    issues.throwIfAny('Invalid AzureMlPlatform props:');

    const tags = props.tags;
    const network = { publicNetworkAccess: props.publicNetworkAccess, allowedIpRanges: props.allowedIpRanges };
    const retainData = props.retainData ?? true;

    this.resourceGroup = new AzureResourceGroup(this, 'ResourceGroup', { naming, location: props.location, tags });
    const base = { naming, resourceGroup: this.resourceGroup, tags };

    this.encryptionKey = new AzureEncryptionKey(this, 'Key', {
      ...base,
      ...network,
      retainData,
      tenantId: props.tenantId,
      keyAdministratorPrincipalIds: props.keyAdministratorPrincipalIds,
    });
    this.serviceIdentity = new AzureWorkloadIdentity(this, 'ServiceIdentity', { ...base, resource: 'id-svc' });
    this.identity = new AzureWorkloadIdentity(this, 'Identity', base);

    const encryption = { encryptionKey: this.encryptionKey, encryptionIdentity: this.serviceIdentity };
    this.artifactStore = new AzureArtifactStore(this, 'ArtifactStore', { ...base, ...network, ...encryption, retainData });
    this.imageRegistry = new AzureImageRegistry(this, 'ImageRegistry', { ...base, ...network, ...encryption, retainData });
    this.workspace = new AzureMlWorkspace(this, 'Workspace', {
      ...base,
      retainData,
      publicNetworkAccess: props.publicNetworkAccess,
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
  }
}
