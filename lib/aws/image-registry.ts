import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { Construct } from 'constructs';
import { IImageRegistry, IWorkloadIdentity, identityOf } from '../core/contracts';
import { IssueCollector } from '../core/errors';
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
  /** The customer-managed key images are encrypted with (CKV_AWS_136). */
  readonly key: AwsEncryptionKey;
  /**
   * Refuse to overwrite an existing tag. Turning it off fails CKV_AWS_51.
   * @default true
   */
  readonly immutableTags?: boolean;
  /**
   * Days after which untagged images are expired.
   * @default 14
   */
  readonly untaggedImageExpiryDays?: number;
  /**
   * Keep the repository on `cdktf destroy`: `lifecycle.prevent_destroy` and no
   * `force_delete` (MLOPS-RETAIN-DATA). `false` lets destroy delete it with its images.
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
 * KMS encryption with the platform key, untagged images expired.
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

  private readonly key: AwsEncryptionKey;

  constructor(scope: Construct, id: string, props: AwsImageRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkInt(issues, this.node.path, 'AwsImageRegistry', 'untaggedImageExpiryDays', props.untaggedImageExpiryDays, 1);
    issues.throwIfAny('Invalid AwsImageRegistry props:');

    this.key = props.key;
    const retainData = props.retainData ?? true;
    const repo = new EcrRepository(this, 'Resource', {
      name: awsName(props.naming, 'ecrRepository'),
      imageTagMutability: props.immutableTags ?? true ? 'IMMUTABLE' : 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'KMS', kmsKey: props.key.keyArn }],
      forceDelete: retainData ? undefined : true,
      tags: awsTags(props.naming, props.tags),
      lifecycle: retainLifecycle(retainData),
    });
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

    this.registryName = repo.name;
    this.registryId = repo.arn;
    this.repositoryArn = repo.arn;
    this.imageUri = repo.repositoryUrl;
  }

  /** Pull images (and decrypt with the registry's key). */
  grantPull(identity: IWorkloadIdentity): void {
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'ImageRegistry.grantPull');
    role.addToPolicy({ actions: [...ECR_PULL_ACTIONS], resources: [this.repositoryArn] });
    role.addToPolicy({ actions: [...ECR_AUTH_ACTIONS], resources: ['*'] });
    this.key.grantDecrypt(role);
  }

  /** Push and pull images (and encrypt/decrypt with the registry's key). */
  grantPush(identity: IWorkloadIdentity): void {
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'ImageRegistry.grantPush');
    role.addToPolicy({ actions: [...ECR_PULL_ACTIONS, ...ECR_PUSH_ACTIONS], resources: [this.repositoryArn] });
    role.addToPolicy({ actions: [...ECR_AUTH_ACTIONS], resources: ['*'] });
    this.key.grantEncryptDecrypt(role);
  }
}
