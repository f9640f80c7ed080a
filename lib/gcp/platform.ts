import { Construct } from 'constructs';
import { IMlPlatform } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { PlatformBaseProps, toNaming } from '../core/platform-props';
import { GcpArtifactStore } from './artifact-store';
import { GcpEncryptionKey } from './encryption-key';
import { GcpImageRegistry } from './image-registry';
import { GcpModelRegistry } from './model-registry';
import { GcpProjectServices } from './project-services';
import { GcpTrainingCompute } from './training-compute';
import { GcpWorkloadIdentity } from './workload-identity';
import { GcpWorkspace } from './workspace';
import { checkCidrs, checkInt, checkProjectId, checkRegion } from './private/validation';

/** Props of {@link GcpMlPlatform}. */
export interface GcpMlPlatformProps extends PlatformBaseProps {
  /** The GCP project the platform is deployed into. */
  readonly projectId: string;
  /** The region of the platform's resources and Vertex AI (e.g. `europe-west4`). */
  readonly region: string;
}

/**
 * The ML platform on GCP: the enabled APIs, a Cloud KMS key, a CMEK Cloud
 * Storage artifact bucket, a CMEK Artifact Registry repository, Vertex AI
 * (workspace with TensorBoard, Model Registry, training compute) and a
 * dedicated service account granted only what the platform needs.
 */
export class GcpMlPlatform extends Construct implements IMlPlatform {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The enabled Google APIs. */
  public readonly services: GcpProjectServices;
  /** The Vertex AI workspace. */
  public readonly workspace: GcpWorkspace;
  /** The Artifact Registry repository for the runtime image. */
  public readonly imageRegistry: GcpImageRegistry;
  /** The Vertex AI Model Registry. */
  public readonly modelRegistry: GcpModelRegistry;
  /** The Cloud Storage artifact bucket. */
  public readonly artifactStore: GcpArtifactStore;
  /** The Cloud KMS key every store is encrypted with. */
  public readonly encryptionKey: GcpEncryptionKey;
  /** The service account jobs and endpoints run as. */
  public readonly identity: GcpWorkloadIdentity;
  /** The training machine spec. */
  public readonly trainingCompute: GcpTrainingCompute;
  /** Whether public network access is allowed (stores, endpoints); false keeps scoring endpoints private. */
  public readonly publicNetworkAccess: boolean;

  constructor(scope: Construct, id: string, props: GcpMlPlatformProps) {
    super(scope, id);
    const naming = toNaming(props.naming);
    const issues = new IssueCollector();
    for (const issue of naming.check('gcp')) issues.add(issue.code, issue.path, issue.message);
    const display = naming.tryName('vertexDisplayName', 'experiments');
    if (typeof display !== 'string') issues.add(display.code, display.path, display.message);
    checkProjectId(issues, 'GcpMlPlatform', this.node.path, props.projectId);
    checkRegion(issues, 'GcpMlPlatform', this.node.path, props.region);
    checkCidrs(issues, 'GcpMlPlatform', this.node.path, 'allowedIpRanges', props.allowedIpRanges);
    checkInt(issues, 'GcpMlPlatform', this.node.path, 'training.maxNodes', props.training?.maxNodes, 1, 1000);
    issues.throwIfAny('Invalid GcpMlPlatform props:');

    const common = { naming, projectId: props.projectId, region: props.region, tags: props.tags };
    this.publicNetworkAccess = props.publicNetworkAccess ?? false;
    const retainData = props.retainData ?? true;

    this.services = new GcpProjectServices(this, 'Apis', { projectId: props.projectId });
    const withServices = { ...common, services: this.services };
    this.encryptionKey = new GcpEncryptionKey(this, 'Key', { ...withServices, retainData });
    this.artifactStore = new GcpArtifactStore(this, 'ArtifactStore', {
      ...withServices,
      encryptionKey: this.encryptionKey,
      retainData,
      publicNetworkAccess: props.publicNetworkAccess ?? false,
      allowedIpRanges: props.allowedIpRanges,
    });
    this.imageRegistry = new GcpImageRegistry(this, 'ImageRegistry', { ...withServices, encryptionKey: this.encryptionKey, retainData });
    this.modelRegistry = new GcpModelRegistry(this, 'ModelRegistry', { projectId: props.projectId, region: props.region });
    this.workspace = new GcpWorkspace(this, 'Workspace', { ...withServices, encryptionKey: this.encryptionKey, retainData });
    this.identity = new GcpWorkloadIdentity(this, 'Identity', { naming, projectId: props.projectId, services: this.services });
    this.trainingCompute = new GcpTrainingCompute(this, 'TrainingCompute', props.training ?? {});

    this.artifactStore.grantReadWrite(this.identity);
    this.imageRegistry.grantPull(this.identity);
    this.modelRegistry.grantWrite(this.identity);
    this.workspace.grantUse(this.identity);
    this.encryptionKey.grantEncryptDecrypt(this.identity);
  }
}
