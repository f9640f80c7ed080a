import { Construct } from 'constructs';
import { IMlPlatform } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { PlatformBaseProps, toNaming } from '../core/platform-props';
import { AwsArtifactStore } from './artifact-store';
import { AwsEncryptionKey } from './encryption-key';
import { AwsImageRegistry } from './image-registry';
import { AwsModelRegistry } from './model-registry';
import { checkAccountId, checkCidrs, checkInt, checkRegion } from './private/validate';
import { AwsTrainingCompute } from './training-compute';
import { AwsWorkloadIdentity } from './workload-identity';
import { AwsMlWorkspace } from './workspace';

/** Props of {@link AwsMlPlatform}. */
export interface AwsMlPlatformProps extends PlatformBaseProps {
  /** The 12-digit AWS account the platform is deployed to. */
  readonly accountId: string;
  /** The AWS region the platform is deployed to (must match the stack's provider). */
  readonly region: string;
  /**
   * Create a SageMaker managed MLflow tracking server in the workspace.
   * @default true
   */
  readonly trackingServer?: boolean;
}

/**
 * The complete ML platform on AWS: KMS key, S3 artifact store, ECR image
 * registry, SageMaker Model Registry, a workspace (CloudWatch log group +
 * MLflow tracking server), the SageMaker IAM role with least-privilege grants,
 * and the training compute spec.
 */
export class AwsMlPlatform extends Construct implements IMlPlatform {
  /** The cloud this platform lives on. */
  public readonly cloud = 'aws' as const;
  /** The customer-managed key all stores are encrypted with. */
  public readonly encryptionKey: AwsEncryptionKey;
  /** The identity training jobs and endpoints run as. */
  public readonly identity: AwsWorkloadIdentity;
  /** The artifact store. */
  public readonly artifactStore: AwsArtifactStore;
  /** The image registry for the runtime image. */
  public readonly imageRegistry: AwsImageRegistry;
  /** The model registry. */
  public readonly modelRegistry: AwsModelRegistry;
  /** The workspace with its monitoring base. */
  public readonly workspace: AwsMlWorkspace;
  /** The training compute. */
  public readonly trainingCompute: AwsTrainingCompute;

  constructor(scope: Construct, id: string, props: AwsMlPlatformProps) {
    super(scope, id);
    const naming = toNaming(props.naming);
    const issues = new IssueCollector();
    checkAccountId(issues, this.node.path, 'AwsMlPlatform', props.accountId);
    checkRegion(issues, this.node.path, 'AwsMlPlatform', props.region);
    checkCidrs(issues, this.node.path, 'AwsMlPlatform', props.allowedIpRanges);
    checkInt(issues, this.node.path, 'AwsMlPlatform', 'training.maxNodes', props.training?.maxNodes, 1);
    for (const issue of naming.check('aws')) issues.add(issue.code, issue.path, issue.message);
    issues.throwIfAny('Invalid AwsMlPlatform props:');

    const { accountId, region, tags } = props;
    const retainData = props.retainData ?? true;

    this.encryptionKey = new AwsEncryptionKey(this, 'Key', { naming, accountId, region, retainData, tags });
    this.identity = new AwsWorkloadIdentity(this, 'Identity', { naming, accountId, region, tags });
    this.artifactStore = new AwsArtifactStore(this, 'ArtifactStore', {
      naming,
      key: this.encryptionKey,
      publicNetworkAccess: props.publicNetworkAccess ?? false,
      allowedIpRanges: props.allowedIpRanges,
      retainData,
      tags,
    });
    this.imageRegistry = new AwsImageRegistry(this, 'ImageRegistry', { naming, key: this.encryptionKey, retainData, tags });
    this.modelRegistry = new AwsModelRegistry(this, 'ModelRegistry', { naming, accountId, region, retainData, tags });
    this.workspace = new AwsMlWorkspace(this, 'Workspace', {
      naming,
      region,
      key: this.encryptionKey,
      artifactStore: this.artifactStore,
      executionRole: this.identity,
      trackingServer: props.trackingServer ?? true,
      retainData,
      tags,
    });
    this.trainingCompute = new AwsTrainingCompute(this, 'TrainingCompute', {
      size: props.training?.size,
      maxNodes: props.training?.maxNodes,
      lowPriority: props.training?.lowPriority,
    });

    this.artifactStore.grantReadWrite(this.identity);
    this.imageRegistry.grantPull(this.identity);
    this.modelRegistry.grantWrite(this.identity);
    this.workspace.grantUse(this.identity);
    this.encryptionKey.grantEncryptDecrypt(this.identity);
  }
}
