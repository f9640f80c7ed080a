import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamSessionContext } from '@cdktf/provider-aws/lib/data-aws-iam-session-context';
import { Construct } from 'constructs';
import { IMlPlatform, IPlatformNetwork } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { resolveNetwork } from '../core/network';
import { PlatformBaseProps, toNaming } from '../core/platform-props';
import { AwsArtifactStore } from './artifact-store';
import { AwsEncryptionKey } from './encryption-key';
import { AwsImageRegistry } from './image-registry';
import { AwsModelRegistry } from './model-registry';
import { AwsNetwork } from './network';
import { checkAccountId, checkCidrs, checkInt, checkPrincipalArns, checkRegion } from './private/validate';
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
  /**
   * Availability zones of the private subnets the platform creates in
   * `network.mode: private` (2-4; ignored with an existing network).
   * @default 2
   */
  readonly availabilityZoneCount?: number;
}

/** The network of an {@link AwsMlPlatform}: its mode, and in private mode the VPC. */
export interface AwsPlatformNetwork extends IPlatformNetwork {
  /** In `private` mode: the VPC id. */
  readonly networkId?: string;
  /** In `private` mode: the VPC, its subnets, security group and endpoints. */
  readonly vpc?: AwsNetwork;
}

/**
 * The complete ML platform on AWS: KMS key, S3 artifact store, ECR image
 * registry, SageMaker Model Registry, a workspace (CloudWatch log group +
 * MLflow tracking server), the SageMaker IAM role with least-privilege grants,
 * and the training compute spec; in `network.mode: private` also the VPC
 * (or an existing one) with its S3 and interface endpoints, which training
 * jobs and models run in.
 *
 * The network modes on AWS (the bucket is the data plane with a network guard;
 * KMS, ECR and SageMaker are reached by IAM identity):
 * - `public`: no network guard on the bucket (the TLS guards stay);
 * - `firewalled` (default): the bucket denies object access unless the
 *   request comes from `allowedIpRanges`, from a principal the platform needs
 *   (the workload role, every deployer, the CI role), or from an AWS service
 *   acting for a caller;
 * - `private`: the same guard also lets the VPC's S3 gateway endpoint through
 *   (`aws:SourceVpce`), and jobs and models run in the VPC.
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
  /** The network the data planes are reached through (`networkId` and `vpc` in private mode). */
  public readonly network: AwsPlatformNetwork;

  private readonly deployerArns: string[];

  constructor(scope: Construct, id: string, props: AwsMlPlatformProps) {
    super(scope, id);
    const naming = toNaming(props.naming);
    const C = 'AwsMlPlatform';
    const where = this.node.path;
    const network = resolveNetwork(props.network);
    const issues = new IssueCollector();
    checkAccountId(issues, where, C, props.accountId);
    checkRegion(issues, where, C, props.region);
    checkCidrs(issues, where, C, network.allowedIpRanges, 'network.allowedIpRanges');
    checkPrincipalArns(issues, where, C, 'deployers', props.deployers);
    checkInt(issues, where, C, 'training.maxNodes', props.training?.maxNodes, 1);
    if (!['public', 'firewalled', 'private'].includes(network.mode)) {
      issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, 'network.mode', network.mode, 'one of public, firewalled, private'));
    }
    for (const issue of naming.check('aws')) issues.add(issue.code, issue.path, issue.message);
    issues.throwIfAny(`Invalid ${C} props:`);

    const { accountId, region, tags } = props;
    const retainData = props.retainData ?? true;

    // Who runs Terraform: the named deployers, or the principal running it
    // (the role of an assumed-role session: what aws:PrincipalArn matches).
    if (props.deployers !== undefined) {
      this.deployerArns = [...props.deployers];
    } else {
      const caller = new DataAwsCallerIdentity(this, 'Caller');
      const session = new DataAwsIamSessionContext(this, 'CallerSession', { arn: caller.arn });
      this.deployerArns = [session.issuerArn];
    }

    const vpc =
      network.mode === 'private'
        ? new AwsNetwork(this, 'Network', {
            naming,
            region,
            addressSpace: network.addressSpace,
            availabilityZoneCount: props.availabilityZoneCount,
            existing: network.existing.aws,
            tags,
          })
        : undefined;
    this.network = { mode: network.mode, allowedIpRanges: network.allowedIpRanges, networkId: vpc?.vpcId, vpc };

    this.encryptionKey = new AwsEncryptionKey(this, 'Key', { naming, accountId, region, retainData, tags });
    this.identity = new AwsWorkloadIdentity(this, 'Identity', { naming, accountId, region, tags });
    this.artifactStore = new AwsArtifactStore(this, 'ArtifactStore', {
      naming,
      key: this.encryptionKey,
      publicNetworkAccess: network.mode === 'public',
      allowedIpRanges: network.allowedIpRanges,
      allowedVpcEndpointIds: vpc?.s3GatewayEndpointId ? [vpc.s3GatewayEndpointId] : undefined,
      exemptPrincipals: this.deployerArns,
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
    if (vpc) this.identity.grantVpcAccess(vpc);
  }

  /**
   * The principals that run Terraform: the `deployers` prop (or the role of
   * the session running Terraform, from `aws_iam_session_context`) and every
   * principal added with {@link grantDeploy}.
   */
  get deployers(): readonly string[] {
    return [...this.deployerArns];
  }

  /**
   * Lets `principal` (an IAM role or user ARN, or its token: a person or the
   * CI role that runs `cdktf deploy`) write and read the training data and
   * models through the bucket from any network: it is exempt from the
   * bucket's network guard. On AWS the data-plane permissions themselves are
   * IAM permissions of the principal (the key policy delegates to IAM, the
   * bucket and the registry have no other deny); a CI role built by
   * {@link AwsGithubCiIdentity} carries them in its own policies.
   */
  grantDeploy(principal: string): void {
    const issues = new IssueCollector();
    checkPrincipalArns(issues, this.node.path, 'AwsMlPlatform.grantDeploy', 'principal', [principal]);
    issues.throwIfAny('Invalid AwsMlPlatform.grantDeploy argument:');
    if (!this.deployerArns.includes(principal)) this.deployerArns.push(principal);
    this.artifactStore.exemptPrincipal(principal);
  }
}
