import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { ensureUniquePhysicalNames } from '../core/unique-names';
import { DataAwsIamSessionContext } from '@cdktf/provider-aws/lib/data-aws-iam-session-context';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { IMlPlatform, IPlatformNetwork, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages, show } from '../core/errors';
import { resolveNetwork } from '../core/network';
import { PlatformBaseProps, toNaming } from '../core/platform-props';
import { AwsArtifactStore, IAwsArtifactStore } from './artifact-store';
import { AwsEncryptionKey, IAwsEncryptionKey } from './encryption-key';
import { AwsImageRegistry, IAwsImageRegistry } from './image-registry';
import { AwsModelRegistry } from './model-registry';
import { AwsNetwork } from './network';
import { isAwsWorkloadIdentity } from './private/grants';
import { checkAccountId, checkPrincipalArns } from './validate';
import { AwsTrainingCompute } from './training-compute';
import { AwsWorkloadIdentity, IAwsWorkloadIdentity, grantVpcAccess } from './workload-identity';
import { AwsMlWorkspace } from './workspace';
import { PropChecks } from '../core/validate';
import { SETTING_RANGES } from '../core/settings';

/**
 * Existing resources an {@link AwsMlPlatform} uses instead of creating its
 * own (Terraform modules' `existing_*` inputs). The platform never takes
 * over what their owners manage: it writes no bucket policy, public access
 * block, encryption or lifecycle setting of an imported bucket, no key
 * policy of an imported key, no setting or policy of an imported repository,
 * no trust or managed policy of an imported role; grants to or on them are
 * identity policies (an inline policy of the platform's own on an imported role).
 */
export interface AwsExistingResources {
  /**
   * The platform key (`AwsEncryptionKey.fromKeyArn`): the stores the
   * platform creates encrypt with it, the workload identity is granted it.
   * Its key policy must delegate to IAM (the default key policy's account
   * statement). The log group and the alert topics need a key whose policy
   * names CloudWatch Logs, CloudWatch and EventBridge, which the platform
   * never writes on an imported key: it creates a service key for them
   * ({@link AwsMlPlatform.serviceKey}).
   * @default - the platform creates the key
   */
  readonly encryptionKey?: IAwsEncryptionKey;
  /**
   * The artifact bucket (`AwsArtifactStore.fromExisting`, with its key if SSE-KMS).
   * @default - the platform creates the bucket
   */
  readonly artifactStore?: IAwsArtifactStore;
  /**
   * The runtime image repository (`AwsImageRegistry.fromExisting`, with its key if KMS-encrypted).
   * @default - the platform creates the repository
   */
  readonly imageRegistry?: IAwsImageRegistry;
  /**
   * The role jobs, endpoints and the MLflow server run as
   * (`AwsWorkloadIdentity.fromRoleArn`, or any `IWorkloadIdentity` of cloud
   * `aws` whose principal is a role ARN). SageMaker must be allowed to assume
   * it (its trust policy is its owner's); the platform's grants go into one
   * inline policy the platform adds to it.
   * @default - the platform creates the role
   */
  readonly identity?: IWorkloadIdentity;
  /**
   * The private network (`AwsNetwork.fromExisting`), shared with other
   * stacks or platforms; only with `network.mode: private`.
   * @default - from `network` (a new VPC, or `network.existing.aws`)
   */
  readonly network?: AwsNetwork;
}

/** Props of {@link AwsMlPlatform}. */
export interface AwsMlPlatformProps extends PlatformBaseProps {
  /** The 12-digit AWS account the platform is deployed to. */
  readonly accountId: string;
  /** The AWS region the platform is deployed to (must match the stack's provider). */
  readonly region: string;
  /**
   * Create a SageMaker managed MLflow tracking server in the workspace
   * (billed per hour while it exists, used or not). Each step of a
   * continuous-training pipeline on this platform then records its run there
   * (params, metrics, lineage), which lifts the steps' network isolation; in
   * `network.mode: private` the VPC gets the MLflow API's interface endpoint.
   * See docs/pipelines/aws.md.
   * @default false
   */
  readonly trackingServer?: boolean;
  /**
   * Availability zones of the private subnets the platform creates in
   * `network.mode: private` (2-4; ignored with an existing network).
   * @default 2
   */
  readonly availabilityZoneCount?: number;
  /**
   * Existing resources to use instead of creating them (bring your own).
   * @default - the platform creates every resource
   */
  readonly existing?: AwsExistingResources;
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
 * registry, SageMaker Model Registry, a workspace (CloudWatch log group, and
 * with `trackingServer: true` an MLflow tracking server), the SageMaker IAM role with least-privilege grants,
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
  /** The customer-managed key all stores are encrypted with (created, or `existing.encryptionKey`). */
  public readonly encryptionKey: IAwsEncryptionKey;
  /**
   * The key of the services whose use of a key is granted in its key policy
   * (CloudWatch Logs for the workspace log group, CloudWatch and EventBridge
   * for alert topics): the platform key when the platform creates it; a key
   * of the platform's own when `existing.encryptionKey` is given (the
   * platform never writes an imported key's policy).
   */
  public readonly serviceKey: AwsEncryptionKey;
  /** The identity training jobs and endpoints run as (created, or `existing.identity`). */
  public readonly identity: IAwsWorkloadIdentity;
  /** The artifact store (created, or `existing.artifactStore`). */
  public readonly artifactStore: IAwsArtifactStore;
  /** The image registry for the runtime image (created, or `existing.imageRegistry`). */
  public readonly imageRegistry: IAwsImageRegistry;
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
    // Two resources of the stack with one physical name fail the synth, naming both (MLOPS_DUPLICATE_NAME).
    ensureUniquePhysicalNames(this);
    const naming = toNaming(props.naming);
    const C = 'AwsMlPlatform';
    const where = this.node.path;
    const network = resolveNetwork(props.network);
    const issues = new IssueCollector();
    checkAccountId(new PropChecks(issues, C, where), props.accountId);
    new PropChecks(issues, C, where).region('aws', 'region', props.region);
    new PropChecks(issues, C, where).cidrs('network.allowedIpRanges', network.allowedIpRanges);
    checkPrincipalArns(new PropChecks(issues, C, where), 'deployers', props.deployers);
    new PropChecks(issues, C, where).number('training.maxNodes', props.training?.maxNodes, SETTING_RANGES.training.maxNodes);
    if (!['public', 'firewalled', 'private'].includes(network.mode)) {
      issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, 'network.mode', network.mode, 'one of public, firewalled, private'));
    }
    for (const issue of naming.check('aws')) issues.add(issue.code, issue.path, issue.message);
    checkExisting(issues, where, props, network.mode);
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

    const existing = props.existing ?? {};
    const vpc =
      network.mode === 'private'
        ? (existing.network ??
          new AwsNetwork(this, 'Network', {
            naming,
            region,
            addressSpace: network.addressSpace,
            availabilityZoneCount: props.availabilityZoneCount,
            existing: network.existing.aws,
            tags,
          }))
        : undefined;
    this.network = { mode: network.mode, allowedIpRanges: network.allowedIpRanges, networkId: vpc?.vpcId, vpc };

    const createdKey = existing.encryptionKey ? undefined : new AwsEncryptionKey(this, 'Key', { naming, accountId, region, retainData, tags });
    this.encryptionKey = existing.encryptionKey ?? createdKey!;
    this.serviceKey = createdKey ?? new AwsEncryptionKey(this, 'ServiceKey', { naming, accountId, region, retainData, tags, physicalName: naming.name('kmsAlias', 'service-key') });
    this.identity = existing.identity
      ? isAwsWorkloadIdentity(existing.identity)
        ? existing.identity
        : AwsWorkloadIdentity.fromExisting(this, 'Identity', { roleArn: existing.identity.principal, roleName: existing.identity.identityName })
      : new AwsWorkloadIdentity(this, 'Identity', { naming, accountId, region, tags });
    this.artifactStore =
      existing.artifactStore ??
      new AwsArtifactStore(this, 'ArtifactStore', {
        naming,
        encryptionKey: this.encryptionKey,
        publicNetworkAccess: network.mode === 'public',
        allowedIpRanges: network.allowedIpRanges,
        allowedVpcEndpointIds: vpc?.s3GatewayEndpointId ? [vpc.s3GatewayEndpointId] : undefined,
        exemptPrincipals: this.deployerArns,
        retainData,
        tags,
      });
    this.imageRegistry = existing.imageRegistry ?? new AwsImageRegistry(this, 'ImageRegistry', { naming, encryptionKey: this.encryptionKey, retainData, tags });
    this.modelRegistry = new AwsModelRegistry(this, 'ModelRegistry', { naming, accountId, region, retainData, tags });
    this.workspace = new AwsMlWorkspace(this, 'Workspace', {
      naming,
      region,
      encryptionKey: this.serviceKey,
      artifactStore: this.artifactStore,
      executionRole: this.identity,
      trackingServer: props.trackingServer,
      retainData,
      tags,
    });
    // Pipeline steps in the VPC reach the tracking server through the MLflow API's interface endpoint.
    if (vpc && this.workspace.trackingServerArn) vpc.addMlflowEndpoint();
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
    if (vpc) grantVpcAccess(this.identity, vpc, region);
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
    checkPrincipalArns(new PropChecks(issues, 'AwsMlPlatform.grantDeploy', this.node.path), 'principal', [principal]);
    issues.throwIfAny('Invalid AwsMlPlatform.grantDeploy argument:');
    if (!this.deployerArns.includes(principal)) this.deployerArns.push(principal);
    // An imported bucket's policy is its owner's: exempting the principal is their job.
    if (this.artifactStore instanceof AwsArtifactStore) this.artifactStore.exemptPrincipal(principal);
  }
}

/** Records problems with `existing`: wrong clouds, and accounts or regions other than the platform's (literal values only). */
function checkExisting(issues: IssueCollector, where: string, props: AwsMlPlatformProps, mode: string): void {
  const existing = props.existing;
  if (existing === undefined) return;
  const C = 'AwsMlPlatform';
  const invalid = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, `existing.${prop}`, value, accepted));
  const literal = (v: unknown): v is string => typeof v === 'string' && v !== '' && !Token.isUnresolved(v);
  const sameAccount = (prop: string, account: unknown, what: string): void => {
    if (literal(account) && literal(props.accountId) && account !== props.accountId) {
      invalid(
        prop,
        account,
        `${what} in the platform's account ${show(props.accountId)} (accountId); a resource of another account needs a cross-account setup this platform does not make`,
      );
    }
  };
  const sameRegion = (prop: string, region: unknown, what: string): void => {
    if (literal(region) && literal(props.region) && region !== props.region) {
      invalid(prop, region, `${what} in the platform's region ${show(props.region)} (SageMaker uses keys, buckets and repositories of its own region only)`);
    }
  };
  const ofAws = (prop: string, value: unknown, accepted: string): boolean => {
    if (value === undefined) return false;
    const cloud = (value as { cloud?: unknown } | null)?.cloud;
    if (cloud === 'aws') return true;
    issues.add(
      cloud === undefined ? ErrorCode.PROP_INVALID : ErrorCode.CLOUD_MISMATCH,
      where,
      messages.propInvalid(C, `existing.${prop}`, cloud === undefined ? value : `a resource of cloud ${String(cloud)}`, accepted),
    );
    return false;
  };
  if (ofAws('encryptionKey', existing.encryptionKey, 'an AWS key: AwsEncryptionKey.fromKeyArn(scope, id, keyArn)')) {
    sameAccount('encryptionKey', existing.encryptionKey!.accountId, 'a key');
    sameRegion('encryptionKey', existing.encryptionKey!.region, 'a key');
  }
  if (ofAws('artifactStore', existing.artifactStore, 'an AWS bucket: AwsArtifactStore.fromExisting(scope, id, { bucketName, encryptionKey })')) {
    sameRegion('artifactStore', (existing.artifactStore as { region?: unknown }).region, 'a bucket');
  }
  if (ofAws('imageRegistry', existing.imageRegistry, 'an AWS repository: AwsImageRegistry.fromExisting(scope, id, { repositoryArn, encryptionKey })')) {
    const r = existing.imageRegistry as { accountId?: unknown; region?: unknown };
    sameAccount('imageRegistry', r.accountId, 'a repository');
    sameRegion('imageRegistry', r.region, 'a repository');
  }
  if (
    ofAws('identity', existing.identity, 'an AWS role: AwsWorkloadIdentity.fromRoleArn(scope, id, roleArn), or an IWorkloadIdentity of cloud "aws" whose principal is a role ARN')
  ) {
    const identity = existing.identity!;
    if (!isAwsWorkloadIdentity(identity)) {
      const principal = identity.principal;
      if (!(typeof principal === 'string' && (Token.isUnresolved(principal) || /^arn:aws[a-z-]*:iam::\d{12}:role\//.test(principal)))) {
        invalid(
          'identity.principal',
          principal,
          'an IAM role ARN such as "arn:aws:iam::123456789012:role/ml-workload" (the platform adds its grants as an inline policy of the role)',
        );
      } else if (!Token.isUnresolved(principal)) {
        sameAccount('identity', principal.split(':')[4], 'a role');
      }
    } else {
      sameAccount('identity', identity.accountId, 'a role');
    }
  }
  if (existing.network !== undefined) {
    if (!(existing.network instanceof AwsNetwork)) invalid('network', existing.network, 'an AwsNetwork (AwsNetwork.fromExisting(scope, id, { vpcId, subnetIds, … }))');
    else if (mode !== 'private') invalid('network', existing.network.node.path, `given only with network.mode "private" (the mode is ${show(mode)})`);
  }
}
