import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { Construct } from 'constructs';
import { IImageRegistry, IWorkloadIdentity, identityOf } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { AwsEncryptionKey } from './encryption-key';
import { ECR_AUTH_ACTIONS, ECR_PULL_ACTIONS, ECR_PUSH_ACTIONS } from './perms';
import { awsName, awsTags, retainLifecycle } from './private/names';
import { checkInt } from './private/validate';
import { AwsWorkloadIdentity } from './workload-identity';

/** Props of {@link AwsImageRegistry}. */
export interface AwsImageRegistryProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /**
   * The customer-managed key images are encrypted with (CKV_AWS_136).
   * Required while `customerManagedKey` is true; ignored while it is false.
   * @default - none (only valid with `customerManagedKey: false`)
   */
  readonly key?: AwsEncryptionKey;
  /**
   * Encrypt images with `key` (KMS) (CKV_AWS_136). `false` uses ECR's
   * AES256 encryption with AWS-owned keys, and grants on the registry no
   * longer include the key. ECR cannot change encryption in place: flipping it
   * replaces the repository.
   * @default true
   */
  readonly customerManagedKey?: boolean;
  /**
   * Scan every image for vulnerabilities when it is pushed (CKV_AWS_163).
   * @default true
   */
  readonly scanOnPush?: boolean;
  /**
   * Refuse to overwrite an existing tag. Turning it off fails CKV_AWS_51.
   * @default true
   */
  readonly immutableTags?: boolean;
  /**
   * Create the lifecycle policy that expires untagged images (MLOPS_AWS_ECR_LIFECYCLE).
   * `false` creates none; `untaggedImageExpiryDays` must then be left unset.
   * @default true
   */
  readonly lifecycleRules?: boolean;
  /**
   * Days after which untagged images are expired (while `lifecycleRules` is on).
   * @default 14
   */
  readonly untaggedImageExpiryDays?: number;
  /**
   * Keep the repository on `cdktf destroy`: `lifecycle.prevent_destroy` and no
   * `force_delete` (MLOPS_AWS_RETAIN_DATA). `false` lets destroy delete it with its images.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Extra tags, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The ECR repository of the runtime image: scan on push, immutable tags,
 * KMS encryption with the platform key, untagged images expired. Each
 * default is relaxed by one prop.
 */
export class AwsImageRegistry extends Construct implements IImageRegistry {
  /** The cloud this registry belongs to. */
  public readonly cloud = 'aws' as const;
  /** Repository name. */
  public readonly registryName: string;
  /** Repository ARN. */
  public readonly registryId: string;
  /** Repository URL (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). */
  public readonly imageUri: string;
  /** Repository ARN. */
  public readonly repositoryArn: string;

  /** The key grants on the registry include; none without a customer-managed key. */
  private readonly key?: AwsEncryptionKey;

  constructor(scope: Construct, id: string, props: AwsImageRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkInt(issues, this.node.path, 'AwsImageRegistry', 'untaggedImageExpiryDays', props.untaggedImageExpiryDays, 1);
    const customerManagedKey = props.customerManagedKey ?? true;
    if (customerManagedKey && !props.key) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('AwsImageRegistry', 'key', undefined, 'an AwsEncryptionKey while customerManagedKey is true (or set customerManagedKey: false)'),
      );
    }
    const lifecycleRules = props.lifecycleRules ?? true;
    if (!lifecycleRules && props.untaggedImageExpiryDays !== undefined) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('AwsImageRegistry', 'untaggedImageExpiryDays', props.untaggedImageExpiryDays, 'unset while lifecycleRules is false'),
      );
    }
    issues.throwIfAny('Invalid AwsImageRegistry props:');

    this.key = customerManagedKey ? props.key : undefined;
    const retainData = props.retainData ?? true;
    const repo = new EcrRepository(this, 'Resource', {
      name: awsName(props.naming, 'ecrRepository'),
      imageTagMutability: props.immutableTags ?? true ? 'IMMUTABLE' : 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: props.scanOnPush ?? true },
      encryptionConfiguration: [this.key ? { encryptionType: 'KMS', kmsKey: this.key.keyArn } : { encryptionType: 'AES256' }],
      forceDelete: retainData ? undefined : true,
      tags: awsTags(props.naming, props.tags),
      lifecycle: retainLifecycle(retainData),
    });
    if (lifecycleRules) {
      new EcrLifecyclePolicy(this, 'LifecyclePolicy', {
        repository: repo.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: 'Expire untagged images',
              selection: {
                tagStatus: 'untagged',
                countType: 'sinceImagePushed',
                countUnit: 'days',
                countNumber: props.untaggedImageExpiryDays ?? 14,
              },
              action: { type: 'expire' },
            },
          ],
        }),
      });
    }

    this.registryName = repo.name;
    this.registryId = repo.arn;
    this.repositoryArn = repo.arn;
    this.imageUri = repo.repositoryUrl;
  }

  /** Pull images (and decrypt with the registry's key, if it has a customer-managed one). */
  grantPull(identity: IWorkloadIdentity): void {
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'ImageRegistry.grantPull');
    role.addToPolicy({ actions: [...ECR_PULL_ACTIONS], resources: [this.repositoryArn] });
    role.addToPolicy({ actions: [...ECR_AUTH_ACTIONS], resources: ['*'] });
    this.key?.grantDecrypt(role);
  }

  /** Push and pull images (and encrypt/decrypt with the registry's key, if it has a customer-managed one). */
  grantPush(identity: IWorkloadIdentity): void {
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'ImageRegistry.grantPush');
    role.addToPolicy({ actions: [...ECR_PULL_ACTIONS, ...ECR_PUSH_ACTIONS], resources: [this.repositoryArn] });
    role.addToPolicy({ actions: [...ECR_AUTH_ACTIONS], resources: ['*'] });
    this.key?.grantEncryptDecrypt(role);
  }
}
