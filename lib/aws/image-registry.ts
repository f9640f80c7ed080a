import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IImageRegistry, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { IAwsEncryptionKey } from './encryption-key';
import { ECR_AUTH_ACTIONS, ECR_PULL_ACTIONS, ECR_PUSH_ACTIONS } from './perms';
import { dnsSuffixOf, parseArn } from './arn';
import { awsGrantee } from './private/grants';
import { awsName, awsTags, checkPhysicalName, retainLifecycle } from './names';
import { checkAccountId, checkImportedKey } from './validate';
import { PropChecks } from '../core/validate';

/**
 * An ECR repository the AWS platform keeps the runtime image in: one this
 * library creates ({@link AwsImageRegistry}) or an existing one
 * ({@link AwsImageRegistry.fromRepositoryName}, {@link AwsImageRegistry.fromExisting}).
 */
export interface IAwsImageRegistry extends IImageRegistry {
  /** Always `aws`. */
  readonly cloud: 'aws';
  /** Repository ARN. */
  readonly repositoryArn: string;
  /** The key images are encrypted with, which grants on the registry include; none for AES256. */
  readonly encryptionKey?: IAwsEncryptionKey;
  /** True for an existing repository: the library never changes its settings or policy. */
  readonly imported: boolean;
}

/** Attributes of an existing ECR repository, for {@link AwsImageRegistry.fromExisting}. */
export interface AwsImageRegistryAttributes {
  /** The repository ARN (`arn:aws:ecr:<region>:<account>:repository/<name>`). */
  readonly repositoryArn: string;
  /**
   * The KMS key the repository encrypts images with: grants on the registry then include it.
   * @default - none (AES256 with an AWS-owned key)
   */
  readonly encryptionKey?: IAwsEncryptionKey;
}

/** An ECR repository name: lowercase parts separated by `.`, `_` or `-`, optionally namespaced with `/`. */
const ECR_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Props of {@link AwsImageRegistry}. */
export interface AwsImageRegistryProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /**
   * The customer-managed key images are encrypted with (CKV_AWS_136): the
   * platform's, or an existing one (`AwsEncryptionKey.fromKeyArn`).
   * Required while `customerManagedKey` is true; ignored while it is false.
   * @default - none (only valid with `customerManagedKey: false`)
   */
  readonly encryptionKey?: IAwsEncryptionKey;
  /**
   * Encrypt images with `encryptionKey` (KMS) (CKV_AWS_136). `false` uses ECR's
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
   * `false` creates none; `untaggedImageRetentionDays` must then be left unset.
   * @default true
   */
  readonly lifecycleRules?: boolean;
  /**
   * Days after which untagged images are expired (while `lifecycleRules` is on).
   * @default 14
   */
  readonly untaggedImageRetentionDays?: number;
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
  /**
   * The repository name, exactly (2-256 of lowercase letters and digits in
   * parts separated by `.`, `_` or `-`, optionally namespaced with `/`),
   * instead of the naming helper's `<company>-<project>-<env>-runtime`.
   * @default - from the naming helper
   */
  readonly physicalName?: string;
}

/**
 * The ECR repository of the runtime image: scan on push, immutable tags,
 * KMS encryption with the platform key, untagged images expired. Each
 * default is relaxed by one prop.
 */
export class AwsImageRegistry extends Construct implements IAwsImageRegistry {
  /**
   * An existing ECR repository. The library never changes its settings
   * (scanning, tag mutability, encryption, lifecycle) or its repository
   * policy; grants on it are identity policies of the grantee.
   */
  static fromExisting(scope: Construct, id: string, attrs: AwsImageRegistryAttributes): IAwsImageRegistry {
    return new ImportedAwsImageRegistry(scope, id, attrs);
  }

  /**
   * An existing ECR repository by name, in the given account and region,
   * without a key (AES256; see {@link fromExisting}).
   */
  static fromRepositoryName(scope: Construct, id: string, repositoryName: string, accountId: string, region: string): IAwsImageRegistry {
    const issues = new IssueCollector();
    const C = 'AwsImageRegistry.fromRepositoryName';
    const path = `${scope.node.path}/${id}`;
    checkRepositoryName(new PropChecks(issues, C, path), 'repositoryName', repositoryName);
    checkAccountId(new PropChecks(issues, C, path), accountId);
    new PropChecks(issues, C, path).region('aws', 'region', region);
    issues.throwIfAny(`Invalid ${C} arguments:`);
    const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
    return new ImportedAwsImageRegistry(scope, id, { repositoryArn: `arn:${partition}:ecr:${region}:${accountId}:repository/${repositoryName}` });
  }

  /** Always false: the repository is created by this construct. */
  public readonly imported = false;
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

  /** The key images are encrypted with, which grants on the registry include; none without a customer-managed key. */
  public readonly encryptionKey?: IAwsEncryptionKey;

  constructor(scope: Construct, id: string, props: AwsImageRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    new PropChecks(issues, 'AwsImageRegistry', this.node.path).int('untaggedImageRetentionDays', props.untaggedImageRetentionDays, 1);
    checkPhysicalName(new PropChecks(issues, 'AwsImageRegistry', this.node.path), 'physicalName', props.physicalName, 'ecrRepository');
    const customerManagedKey = props.customerManagedKey ?? true;
    if (customerManagedKey && !props.encryptionKey) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid(
          'AwsImageRegistry',
          'encryptionKey',
          undefined,
          'an AwsEncryptionKey (or AwsEncryptionKey.fromKeyArn(...)) while customerManagedKey is true (or set customerManagedKey: false)',
        ),
      );
    }
    const lifecycleRules = props.lifecycleRules ?? true;
    if (!lifecycleRules && props.untaggedImageRetentionDays !== undefined) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('AwsImageRegistry', 'untaggedImageRetentionDays', props.untaggedImageRetentionDays, 'unset while lifecycleRules is false'),
      );
    }
    issues.throwIfAny('Invalid AwsImageRegistry props:');

    this.encryptionKey = customerManagedKey ? props.encryptionKey : undefined;
    const retainData = props.retainData ?? true;
    const repo = new EcrRepository(this, 'Resource', {
      name: props.physicalName ?? awsName(props.naming, 'ecrRepository'),
      imageTagMutability: (props.immutableTags ?? true) ? 'IMMUTABLE' : 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: props.scanOnPush ?? true },
      encryptionConfiguration: [this.encryptionKey ? { encryptionType: 'KMS', kmsKey: this.encryptionKey.keyArn } : { encryptionType: 'AES256' }],
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
                countNumber: props.untaggedImageRetentionDays ?? 14,
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
    grantRegistryPull(this, identity);
  }

  /** Push and pull images (and encrypt/decrypt with the registry's key, if it has a customer-managed one). */
  grantPush(identity: IWorkloadIdentity): void {
    grantRegistryPush(this, identity);
  }
}

function grantRegistryPull(registry: Construct & IAwsImageRegistry, identity: IWorkloadIdentity): void {
  const role = awsGrantee(registry, identity, 'ImageRegistry.grantPull');
  role.addToPolicy({ actions: [...ECR_PULL_ACTIONS], resources: [registry.repositoryArn] });
  role.addToPolicy({ actions: [...ECR_AUTH_ACTIONS], resources: ['*'] });
  registry.encryptionKey?.grantDecrypt(role);
}

function grantRegistryPush(registry: Construct & IAwsImageRegistry, identity: IWorkloadIdentity): void {
  const role = awsGrantee(registry, identity, 'ImageRegistry.grantPush');
  role.addToPolicy({ actions: [...ECR_PULL_ACTIONS, ...ECR_PUSH_ACTIONS], resources: [registry.repositoryArn] });
  role.addToPolicy({ actions: [...ECR_AUTH_ACTIONS], resources: ['*'] });
  registry.encryptionKey?.grantEncryptDecrypt(role);
}

function checkRepositoryName(check: PropChecks, prop: string, name: unknown): void {
  const { issues, construct, path } = check;
  if (typeof name === 'string' && Token.isUnresolved(name)) return;
  if (typeof name !== 'string' || name.length < 2 || name.length > 256 || !ECR_NAME.test(name)) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(
        construct,
        prop,
        name,
        'an ECR repository name of 2-256 lowercase letters and digits in parts separated by ".", "_" or "-", optionally namespaced with "/", such as "team/ml-runtime"',
      ),
    );
  }
}

/** An existing repository: never written; grants are identity policies only. */
class ImportedAwsImageRegistry extends Construct implements IAwsImageRegistry {
  public readonly cloud = 'aws' as const;
  public readonly imported = true;
  public readonly registryName: string;
  public readonly registryId: string;
  public readonly repositoryArn: string;
  public readonly imageUri: string;
  public readonly encryptionKey?: IAwsEncryptionKey;
  /** The repository's account. */
  public readonly accountId: string;
  /** The repository's region. */
  public readonly region: string;

  constructor(scope: Construct, id: string, attrs: AwsImageRegistryAttributes) {
    super(scope, id);
    const C = 'AwsImageRegistry.fromExisting';
    const issues = new IssueCollector();
    const repositoryArn = attrs?.repositoryArn;
    let name = '';
    let account = '';
    let region = '';
    if (typeof repositoryArn === 'string' && Token.isUnresolved(repositoryArn)) {
      const parts = Fn.split(':', repositoryArn);
      account = Fn.element(parts, 4);
      region = Fn.element(parts, 3);
      // repository/<name>: the name may itself hold slashes.
      name = Fn.replace(Fn.element(parts, 5), '/^repository\\//', '');
    } else {
      const parts = typeof repositoryArn === 'string' ? parseArn(repositoryArn) : undefined;
      if (parts?.service !== 'ecr' || !parts.resource.startsWith('repository/') || !/^\d{12}$/.test(parts.account) || parts.region === '') {
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid(C, 'repositoryArn', repositoryArn, 'an ECR repository ARN such as "arn:aws:ecr:eu-west-1:123456789012:repository/team/ml-runtime"'),
        );
      } else {
        name = parts.resource.slice('repository/'.length);
        account = parts.account;
        region = parts.region;
        checkRepositoryName(new PropChecks(issues, C, this.node.path), 'repositoryArn (its repository name)', name);
      }
    }
    checkImportedKey(
      new PropChecks(issues, C, this.node.path),
      attrs?.encryptionKey,
      "the repository's KMS key as an AwsEncryptionKey (AwsEncryptionKey.fromKeyArn(...)), or unset for AES256",
    );
    issues.throwIfAny(`Invalid ${C} attributes:`);
    this.repositoryArn = repositoryArn;
    this.registryId = repositoryArn;
    this.registryName = name;
    this.accountId = account;
    this.region = region;
    this.imageUri = `${account}.dkr.ecr.${region}.${Token.isUnresolved(region) ? 'amazonaws.com' : dnsSuffixOf(region)}/${name}`;
    this.encryptionKey = attrs.encryptionKey;
  }

  grantPull(identity: IWorkloadIdentity): void {
    grantRegistryPull(this, identity);
  }

  grantPush(identity: IWorkloadIdentity): void {
    grantRegistryPush(this, identity);
  }
}
