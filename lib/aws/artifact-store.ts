import { DataAwsS3Bucket } from '@cdktf/provider-aws/lib/data-aws-s3-bucket';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { ITerraformDependable, Lazy, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IArtifactStore, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { IAwsEncryptionKey } from './encryption-key';
import { S3_ALL_ACTIONS, S3_BUCKET_READ_ACTIONS, S3_BUCKET_WRITE_ACTIONS, S3_NETWORK_GUARDED_ACTIONS, S3_OBJECT_READ_ACTIONS, S3_OBJECT_WRITE_ACTIONS } from './perms';
import { awsGrantee } from './private/grants';
import { awsName, awsTags, checkPhysicalName, retainLifecycle } from './names';
import { PolicyConditions, ResourcePolicyStatement, policyDocument } from './policy-document';
import { checkImportedKey, checkPrincipalArns, checkVpcEndpointIds } from './validate';
import { IAwsWorkloadIdentity } from './workload-identity';
import { PropChecks } from '../core/validate';

/**
 * An S3 bucket the AWS platform keeps its artifacts in: one this library
 * creates ({@link AwsArtifactStore}) or an existing one
 * ({@link AwsArtifactStore.fromBucketName}, {@link AwsArtifactStore.fromExisting}).
 */
export interface IAwsArtifactStore extends IArtifactStore {
  /** Always `aws`. */
  readonly cloud: 'aws';
  /** Bucket name. */
  readonly bucketName: string;
  /** Bucket ARN. */
  readonly bucketArn: string;
  /** The key objects are encrypted with (SSE-KMS), which grants on the store include; none for SSE-S3. */
  readonly encryptionKey?: IAwsEncryptionKey;
  /**
   * True for a bucket imported by name: the library never writes its
   * policy, public access block, encryption, versioning or lifecycle; grants
   * on it are identity policies of the grantee.
   */
  readonly imported: boolean;
  /**
   * What must exist before anything writes an object through Terraform
   * (`aws_s3_object`): the bucket's default encryption and policy when this
   * stack creates them; none for an imported bucket (its owner set them up).
   */
  readonly objectWriteDependencies: readonly ITerraformDependable[];
}

/** Attributes of an existing S3 bucket, for {@link AwsArtifactStore.fromExisting}. */
export interface AwsArtifactStoreAttributes {
  /** The bucket name. */
  readonly bucketName: string;
  /**
   * The KMS key the bucket encrypts objects with by default (SSE-KMS): grants
   * on the store then include it. Leave unset for an SSE-S3 bucket.
   * @default - none: grants include no key
   */
  readonly encryptionKey?: IAwsEncryptionKey;
  /**
   * The bucket's region. When given, `terraform plan` checks the bucket is
   * there (SageMaker reads training data and writes models only in its own
   * region), and a platform checks it is its own.
   * @default - not checked
   */
  readonly region?: string;
}

/** Object ownership of an S3 bucket; `BucketOwnerEnforced` disables ACLs. */
export type AwsObjectOwnership = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';

/** Lowest TLS version an S3 bucket accepts; `'1.0'` accepts every TLS version. */
export type AwsTlsVersion = '1.0' | '1.1' | '1.2';

/** Props of {@link AwsArtifactStore}. */
export interface AwsArtifactStoreProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /**
   * The customer-managed key objects are encrypted with (SSE-KMS, bucket key on):
   * the platform's, or an existing one (`AwsEncryptionKey.fromKeyArn`).
   * Required while `customerManagedKey` is true; ignored while it is false.
   * @default - none (only valid with `customerManagedKey: false`)
   */
  readonly encryptionKey?: IAwsEncryptionKey;
  /**
   * Encrypt objects with `encryptionKey` (SSE-KMS, bucket key on) (CKV_AWS_145, CKV_AWS_19).
   * `false` uses S3-managed keys (SSE-S3, AES256): still encrypted at rest
   * (CKV_AWS_19), but fails CKV_AWS_145, and grants on the store no longer
   * include the key.
   * @default true
   */
  readonly customerManagedKey?: boolean;
  /**
   * Turn on all four flags of the bucket's public access block
   * (CKV2_AWS_6, CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56). `false` sets
   * them all off, leaving only whatever account-level block applies.
   * @default true
   */
  readonly blockPublicAccess?: boolean;
  /**
   * Object ownership. `BucketOwnerEnforced` disables ACLs (CKV2_AWS_65); the
   * other values re-enable them.
   * @default 'BucketOwnerEnforced'
   */
  readonly objectOwnership?: AwsObjectOwnership;
  /**
   * Deny every request made without TLS (`aws:SecureTransport` false) in the
   * bucket policy (AwsSolutions-S10).
   * @default true
   */
  readonly enforceSsl?: boolean;
  /**
   * Deny requests over TLS below this version (`s3:TlsVersion`) in the bucket
   * policy (MLOPS_AWS_S3_TLS12). `'1.0'` drops the statement.
   * @default '1.2'
   */
  readonly minimumTlsVersion?: AwsTlsVersion;
  /**
   * Keep object versions. Turning it off fails CKV_AWS_21.
   * @default true
   */
  readonly versioned?: boolean;
  /**
   * Create the lifecycle configuration that expires non-current versions and
   * aborts incomplete multipart uploads (CKV2_AWS_61, CKV_AWS_300). `false`
   * creates none; `noncurrentVersionRetentionDays` and
   * `abortIncompleteMultipartUploadDays` must then be left unset.
   * @default true
   */
  readonly lifecycleRules?: boolean;
  /**
   * Allow object reads and writes from any network. While off, a bucket-policy
   * guard denies object access except from `allowedIpRanges`, from identities
   * granted access, and from AWS services acting for a caller (MLOPS_AWS_NO_PUBLIC_NETWORK).
   * @default false
   */
  readonly publicNetworkAccess?: boolean;
  /**
   * CIDR ranges let through the bucket's network guard while public access is off.
   * @default - none: only granted identities and AWS services
   */
  readonly allowedIpRanges?: readonly string[];
  /**
   * VPC endpoint ids (`vpce-…`, or their tokens) let through the bucket's
   * network guard while public access is off (`aws:SourceVpce`): the S3
   * gateway endpoint of the platform's private network.
   * @default - none
   */
  readonly allowedVpcEndpointIds?: readonly string[];
  /**
   * IAM role or user ARNs let through the bucket's network guard from any
   * network (`aws:PrincipalArn`): the principals that run Terraform, whose
   * object writes and reads (`aws_s3_object`) would otherwise be denied.
   * More can be added with {@link AwsArtifactStore.exemptPrincipal}.
   * @default - none besides the identities granted access
   */
  readonly exemptPrincipals?: readonly string[];
  /**
   * Keep the bucket on `cdktf destroy`: `lifecycle.prevent_destroy` and no
   * `force_destroy` (MLOPS_AWS_RETAIN_DATA). `false` lets destroy empty and delete it.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Days after which non-current object versions are deleted (while `lifecycleRules` is on).
   * @default 90
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * Days after which incomplete multipart uploads are aborted (while `lifecycleRules` is on).
   * @default 7
   */
  readonly abortIncompleteMultipartUploadDays?: number;
  /**
   * Extra tags, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The bucket name, exactly (3-63 of lowercase letters, digits, hyphens and
   * dots), instead of the naming helper's `<company>-<project>-<env>-artifacts`.
   * @default - from the naming helper
   */
  readonly physicalName?: string;
}

/**
 * The S3 bucket datasets, model artifacts and run outputs live in: public
 * access blocked, SSE-KMS with the platform key, versioned, ACLs disabled,
 * TLS 1.2+ only, lifecycle-managed, and guarded against access from outside
 * the allowed networks.
 */
export class AwsArtifactStore extends Construct implements IAwsArtifactStore {
  /**
   * An existing S3 bucket (a landing zone's data bucket). The library never
   * writes its bucket policy, public access block, encryption, versioning or
   * lifecycle: the TLS-only and network guards, encryption at rest and
   * versioning are its owner's job. Grants on it are identity policies of the
   * grantee (and of `attrs.encryptionKey`). Terraform reads it (`data.aws_s3_bucket`),
   * so a missing bucket fails `terraform plan`.
   */
  static fromExisting(scope: Construct, id: string, attrs: AwsArtifactStoreAttributes): IAwsArtifactStore {
    return new ImportedAwsArtifactStore(scope, id, attrs);
  }

  /** An existing S3 bucket by name, without a key (SSE-S3; see {@link fromExisting}). */
  static fromBucketName(scope: Construct, id: string, bucketName: string): IAwsArtifactStore {
    return new ImportedAwsArtifactStore(scope, id, { bucketName });
  }

  /** Always false: the bucket is created by this construct. */
  public readonly imported = false;
  /** The cloud this store belongs to. */
  public readonly cloud = 'aws' as const;
  /** Bucket name. */
  public readonly storeName: string;
  /** Bucket ARN. */
  public readonly storeId: string;
  /** `s3://<bucket>`. */
  public readonly url: string;
  /** Bucket ARN. */
  public readonly bucketArn: string;
  /** Bucket name. */
  public readonly bucketName: string;
  /**
   * What must exist before anything writes an object through Terraform
   * (`aws_s3_object`): the default encryption (so the object is encrypted
   * with the platform key) and the bucket policy (so the writer is known to
   * its network guard).
   */
  public readonly objectWriteDependencies: readonly ITerraformDependable[];

  /** The key objects are encrypted with, which grants on the store include; none without a customer-managed key. */
  public readonly encryptionKey?: IAwsEncryptionKey;
  private readonly guardExemptPrincipals: string[] = [];
  private readonly guardVpcEndpoints: string[] = [];

  constructor(scope: Construct, id: string, props: AwsArtifactStoreProps) {
    super(scope, id);
    const issues = new IssueCollector();
    new PropChecks(issues, 'AwsArtifactStore', this.node.path).cidrs('allowedIpRanges', props.allowedIpRanges);
    checkPrincipalArns(new PropChecks(issues, 'AwsArtifactStore', this.node.path), 'exemptPrincipals', props.exemptPrincipals);
    checkVpcEndpointIds(new PropChecks(issues, 'AwsArtifactStore', this.node.path), 'allowedVpcEndpointIds', props.allowedVpcEndpointIds);
    new PropChecks(issues, 'AwsArtifactStore', this.node.path).int('noncurrentVersionRetentionDays', props.noncurrentVersionRetentionDays, 1);
    new PropChecks(issues, 'AwsArtifactStore', this.node.path).int('abortIncompleteMultipartUploadDays', props.abortIncompleteMultipartUploadDays, 1);
    new PropChecks(issues, 'AwsArtifactStore', this.node.path).oneOf<AwsObjectOwnership>('objectOwnership', props.objectOwnership, [
      'BucketOwnerEnforced',
      'BucketOwnerPreferred',
      'ObjectWriter',
    ]);
    new PropChecks(issues, 'AwsArtifactStore', this.node.path).oneOf<AwsTlsVersion>('minimumTlsVersion', props.minimumTlsVersion, ['1.0', '1.1', '1.2']);
    checkPhysicalName(new PropChecks(issues, 'AwsArtifactStore', this.node.path), 'physicalName', props.physicalName, 's3Bucket');
    const customerManagedKey = props.customerManagedKey ?? true;
    if (customerManagedKey && !props.encryptionKey) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid(
          'AwsArtifactStore',
          'encryptionKey',
          undefined,
          'an AwsEncryptionKey (or AwsEncryptionKey.fromKeyArn(...)) while customerManagedKey is true (or set customerManagedKey: false)',
        ),
      );
    }
    const lifecycleRules = props.lifecycleRules ?? true;
    if (!lifecycleRules) {
      for (const prop of ['noncurrentVersionRetentionDays', 'abortIncompleteMultipartUploadDays'] as const) {
        if (props[prop] !== undefined) {
          issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AwsArtifactStore', prop, props[prop], 'unset while lifecycleRules is false'));
        }
      }
    }
    issues.throwIfAny('Invalid AwsArtifactStore props:');

    this.encryptionKey = customerManagedKey ? props.encryptionKey : undefined;
    const retainData = props.retainData ?? true;
    const name = props.physicalName ?? awsName(props.naming, 's3Bucket');
    const bucket = new S3Bucket(this, 'Resource', {
      bucket: name,
      forceDestroy: !retainData,
      tags: awsTags(props.naming, props.tags),
      lifecycle: retainLifecycle(retainData),
    });

    const blockPublicAccess = props.blockPublicAccess ?? true;
    const publicAccessBlock = new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
      bucket: bucket.id,
      blockPublicAcls: blockPublicAccess,
      blockPublicPolicy: blockPublicAccess,
      ignorePublicAcls: blockPublicAccess,
      restrictPublicBuckets: blockPublicAccess,
    });
    new S3BucketOwnershipControls(this, 'OwnershipControls', {
      bucket: bucket.id,
      rule: { objectOwnership: props.objectOwnership ?? 'BucketOwnerEnforced' },
    });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'Encryption', {
      bucket: bucket.id,
      rule: [
        this.encryptionKey
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.encryptionKey.keyArn }, bucketKeyEnabled: true }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      ],
    });
    const versioning = new S3BucketVersioningA(this, 'Versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: (props.versioned ?? true) ? 'Enabled' : 'Suspended' },
    });
    if (lifecycleRules) {
      new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
        bucket: bucket.id,
        rule: [
          {
            id: 'expire-noncurrent-versions',
            status: 'Enabled',
            filter: [{ prefix: '' }],
            noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionRetentionDays ?? 90 }],
          },
          {
            id: 'abort-incomplete-multipart-uploads',
            status: 'Enabled',
            filter: [{ prefix: '' }],
            abortIncompleteMultipartUpload: [{ daysAfterInitiation: props.abortIncompleteMultipartUploadDays ?? 7 }],
          },
        ],
        dependsOn: [versioning],
      });
    }

    const bucketAndObjects = [bucket.arn, `${bucket.arn}/*`];
    const publicNetworkAccess = props.publicNetworkAccess ?? false;
    const allowedIpRanges = [...(props.allowedIpRanges ?? [])];
    for (const p of props.exemptPrincipals ?? []) this.exemptPrincipal(p);
    for (const id of props.allowedVpcEndpointIds ?? []) this.allowVpcEndpoint(id);
    const enforceSsl = props.enforceSsl ?? true;
    const minimumTlsVersion = props.minimumTlsVersion ?? '1.2';
    // S3 refuses an empty bucket policy: with every guard relaxed there is none to write.
    let policy: S3BucketPolicy | undefined;
    if (enforceSsl || minimumTlsVersion !== '1.0' || !publicNetworkAccess) {
      policy = new S3BucketPolicy(this, 'Policy', {
        bucket: bucket.id,
        policy: Lazy.stringValue({
          produce: () => {
            const statements: ResourcePolicyStatement[] = [];
            if (enforceSsl) {
              statements.push({
                Sid: 'DenyInsecureTransport',
                Effect: 'Deny',
                Principal: '*',
                Action: S3_ALL_ACTIONS,
                Resource: bucketAndObjects,
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              });
            }
            if (minimumTlsVersion !== '1.0') {
              statements.push({
                Sid: `DenyTlsBelow${minimumTlsVersion.replace('.', '')}`,
                Effect: 'Deny',
                Principal: '*',
                Action: S3_ALL_ACTIONS,
                Resource: bucketAndObjects,
                Condition: { NumericLessThan: { 's3:TlsVersion': minimumTlsVersion } },
              });
            }
            if (!publicNetworkAccess) {
              // Denied only when every condition holds: not an AWS service acting for a
              // caller, not from an allowed range, not through an allowed VPC endpoint,
              // and not a principal the platform needs (workload, deployers, CI).
              const condition: PolicyConditions = { Bool: { 'aws:ViaAWSService': 'false' } };
              if (allowedIpRanges.length > 0) condition.NotIpAddress = { 'aws:SourceIp': allowedIpRanges };
              if (this.guardVpcEndpoints.length > 0) condition.StringNotEquals = { 'aws:SourceVpce': [...this.guardVpcEndpoints] };
              if (this.guardExemptPrincipals.length > 0) condition.ArnNotEquals = { 'aws:PrincipalArn': [...this.guardExemptPrincipals] };
              statements.push({
                Sid: 'DenyDataAccessOutsideAllowedNetworks',
                Effect: 'Deny',
                Principal: '*',
                Action: S3_NETWORK_GUARDED_ACTIONS,
                Resource: bucketAndObjects,
                Condition: condition,
              });
            }
            return policyDocument(statements);
          },
        }),
        dependsOn: [publicAccessBlock],
      });
    }
    this.objectWriteDependencies = policy ? [encryption, policy] : [encryption];

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.storeName = bucket.bucket;
    this.storeId = bucket.arn;
    this.url = `s3://${bucket.bucket}`;
  }

  /** Read objects (and decrypt with the store's key, if it has a customer-managed one). */
  grantRead(identity: IWorkloadIdentity): void {
    const role = grantStoreRead(this, identity, 'ArtifactStore.grantRead');
    this.exemptPrincipal(role.roleArn);
  }

  /** Read and write objects (and encrypt/decrypt with the store's key, if it has a customer-managed one). */
  grantReadWrite(identity: IWorkloadIdentity): void {
    const role = grantStoreReadWrite(this, identity, 'ArtifactStore.grantReadWrite');
    this.exemptPrincipal(role.roleArn);
  }

  /**
   * Lets a principal (an IAM role or user ARN, or its token) through the
   * bucket's network guard from any network (`aws:PrincipalArn`). Its IAM
   * permissions still decide what it may do. Idempotent.
   */
  exemptPrincipal(principalArn: string): void {
    if (!this.guardExemptPrincipals.includes(principalArn)) this.guardExemptPrincipals.push(principalArn);
  }

  /** Lets requests through a VPC endpoint (`vpce-…` id or its token) pass the bucket's network guard (`aws:SourceVpce`). Idempotent. */
  allowVpcEndpoint(vpcEndpointId: string): void {
    if (!this.guardVpcEndpoints.includes(vpcEndpointId)) this.guardVpcEndpoints.push(vpcEndpointId);
  }
}

/** The identity-policy half of a read grant on a store (bucket, objects, key). */
function grantStoreRead(store: Construct & IAwsArtifactStore, identity: IWorkloadIdentity, operation: string): IAwsWorkloadIdentity {
  const role = awsGrantee(store, identity, operation);
  role.addToPolicy({ actions: [...S3_BUCKET_READ_ACTIONS], resources: [store.bucketArn] });
  role.addToPolicy({ actions: [...S3_OBJECT_READ_ACTIONS], resources: [`${store.bucketArn}/*`] });
  store.encryptionKey?.grantDecrypt(role);
  return role;
}

/** The identity-policy half of a read-write grant on a store (bucket, objects, key). */
function grantStoreReadWrite(store: Construct & IAwsArtifactStore, identity: IWorkloadIdentity, operation: string): IAwsWorkloadIdentity {
  const role = awsGrantee(store, identity, operation);
  role.addToPolicy({ actions: [...S3_BUCKET_READ_ACTIONS, ...S3_BUCKET_WRITE_ACTIONS], resources: [store.bucketArn] });
  role.addToPolicy({ actions: [...S3_OBJECT_READ_ACTIONS, ...S3_OBJECT_WRITE_ACTIONS], resources: [`${store.bucketArn}/*`] });
  store.encryptionKey?.grantEncryptDecrypt(role);
  return role;
}

/**
 * An existing bucket: read by Terraform (`data.aws_s3_bucket`), never
 * written; grants are identity policies only.
 */
class ImportedAwsArtifactStore extends Construct implements IAwsArtifactStore {
  public readonly cloud = 'aws' as const;
  public readonly imported = true;
  public readonly storeName: string;
  public readonly storeId: string;
  public readonly url: string;
  public readonly bucketName: string;
  public readonly bucketArn: string;
  public readonly encryptionKey?: IAwsEncryptionKey;
  public readonly objectWriteDependencies: readonly ITerraformDependable[] = [];
  /** The bucket's region as given in the attributes. */
  public readonly region?: string;

  constructor(scope: Construct, id: string, attrs: AwsArtifactStoreAttributes) {
    super(scope, id);
    const C = 'AwsArtifactStore.fromExisting';
    const issues = new IssueCollector();
    const name = attrs?.bucketName;
    if (typeof name !== 'string' || name.length === 0) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid(C, 'bucketName', name, 'the name of an existing S3 bucket, such as "landing-zone-ml-data"'));
    } else {
      checkPhysicalName(new PropChecks(issues, C, this.node.path), 'bucketName', name, 's3Bucket');
    }
    if (attrs?.region !== undefined) new PropChecks(issues, C, this.node.path).region('aws', 'region', attrs.region);
    checkImportedKey(
      new PropChecks(issues, C, this.node.path),
      attrs?.encryptionKey,
      "the bucket's KMS key as an AwsEncryptionKey (AwsEncryptionKey.fromKeyArn(...) for an existing one), or unset for SSE-S3",
    );
    issues.throwIfAny(`Invalid ${C} attributes:`);

    const region = attrs.region;
    const bucket = new DataAwsS3Bucket(this, 'Resource', {
      bucket: attrs.bucketName,
      lifecycle:
        region !== undefined && !Token.isUnresolved(region)
          ? {
              postcondition: [
                {
                  condition: `\${self.bucket_region == "${region}"}`,
                  errorMessage: `The bucket "${attrs.bucketName}" given to AwsArtifactStore.fromExisting is not in ${region} (attribute 'region'). Fix: give a bucket of ${region}, or correct 'region'.`,
                },
              ],
            }
          : undefined,
    });
    this.bucketName = attrs.bucketName;
    this.bucketArn = bucket.arn;
    this.storeName = attrs.bucketName;
    this.storeId = bucket.arn;
    this.url = `s3://${attrs.bucketName}`;
    this.encryptionKey = attrs.encryptionKey;
    this.region = region;
  }

  grantRead(identity: IWorkloadIdentity): void {
    grantStoreRead(this, identity, 'ArtifactStore.grantRead');
  }

  grantReadWrite(identity: IWorkloadIdentity): void {
    grantStoreReadWrite(this, identity, 'ArtifactStore.grantReadWrite');
  }
}
