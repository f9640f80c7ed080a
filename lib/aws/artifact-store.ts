import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { ITerraformDependable, Lazy } from 'cdktf';
import { Construct } from 'constructs';
import { IArtifactStore, IWorkloadIdentity, identityOf } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { AwsEncryptionKey } from './encryption-key';
import {
  S3_ALL_ACTIONS,
  S3_BUCKET_READ_ACTIONS,
  S3_BUCKET_WRITE_ACTIONS,
  S3_NETWORK_GUARDED_ACTIONS,
  S3_OBJECT_READ_ACTIONS,
  S3_OBJECT_WRITE_ACTIONS,
} from './perms';
import { awsName, awsTags, retainLifecycle } from './private/names';
import { PolicyConditions, ResourcePolicyStatement, policyDocument } from './private/policy';
import { checkCidrs, checkInt, checkOneOf, checkPrincipalArns, checkVpcEndpointIds } from './private/validate';
import { AwsWorkloadIdentity } from './workload-identity';

/** Object ownership of an S3 bucket; `BucketOwnerEnforced` disables ACLs. */
export type AwsObjectOwnership = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';

/** Lowest TLS version an S3 bucket accepts; `'1.0'` accepts every TLS version. */
export type AwsTlsVersion = '1.0' | '1.1' | '1.2';

/** Props of {@link AwsArtifactStore}. */
export interface AwsArtifactStoreProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /**
   * The customer-managed key objects are encrypted with (SSE-KMS, bucket key on).
   * Required while `customerManagedKey` is true; ignored while it is false.
   * @default - none (only valid with `customerManagedKey: false`)
   */
  readonly key?: AwsEncryptionKey;
  /**
   * Encrypt objects with `key` (SSE-KMS, bucket key on) (CKV_AWS_145, CKV_AWS_19).
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
   * creates none; `noncurrentVersionExpirationDays` and
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
  readonly noncurrentVersionExpirationDays?: number;
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
}

/**
 * The S3 bucket datasets, model artifacts and run outputs live in: public
 * access blocked, SSE-KMS with the platform key, versioned, ACLs disabled,
 * TLS 1.2+ only, lifecycle-managed, and guarded against access from outside
 * the allowed networks.
 */
export class AwsArtifactStore extends Construct implements IArtifactStore {
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

  /** The key grants on the store include; none without a customer-managed key. */
  private readonly key?: AwsEncryptionKey;
  private readonly guardExemptPrincipals: string[] = [];
  private readonly guardVpcEndpoints: string[] = [];

  constructor(scope: Construct, id: string, props: AwsArtifactStoreProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkCidrs(issues, this.node.path, 'AwsArtifactStore', props.allowedIpRanges);
    checkPrincipalArns(issues, this.node.path, 'AwsArtifactStore', 'exemptPrincipals', props.exemptPrincipals);
    checkVpcEndpointIds(issues, this.node.path, 'AwsArtifactStore', 'allowedVpcEndpointIds', props.allowedVpcEndpointIds);
    checkInt(issues, this.node.path, 'AwsArtifactStore', 'noncurrentVersionExpirationDays', props.noncurrentVersionExpirationDays, 1);
    checkInt(issues, this.node.path, 'AwsArtifactStore', 'abortIncompleteMultipartUploadDays', props.abortIncompleteMultipartUploadDays, 1);
    checkOneOf<AwsObjectOwnership>(issues, this.node.path, 'AwsArtifactStore', 'objectOwnership', props.objectOwnership, [
      'BucketOwnerEnforced',
      'BucketOwnerPreferred',
      'ObjectWriter',
    ]);
    checkOneOf<AwsTlsVersion>(issues, this.node.path, 'AwsArtifactStore', 'minimumTlsVersion', props.minimumTlsVersion, ['1.0', '1.1', '1.2']);
    const customerManagedKey = props.customerManagedKey ?? true;
    if (customerManagedKey && !props.key) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('AwsArtifactStore', 'key', undefined, 'an AwsEncryptionKey while customerManagedKey is true (or set customerManagedKey: false)'),
      );
    }
    const lifecycleRules = props.lifecycleRules ?? true;
    if (!lifecycleRules) {
      for (const prop of ['noncurrentVersionExpirationDays', 'abortIncompleteMultipartUploadDays'] as const) {
        if (props[prop] !== undefined) {
          issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AwsArtifactStore', prop, props[prop], 'unset while lifecycleRules is false'));
        }
      }
    }
    issues.throwIfAny('Invalid AwsArtifactStore props:');

    this.key = customerManagedKey ? props.key : undefined;
    const retainData = props.retainData ?? true;
    const name = awsName(props.naming, 's3Bucket');
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
        this.key
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.key.keyArn }, bucketKeyEnabled: true }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      ],
    });
    const versioning = new S3BucketVersioningA(this, 'Versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: props.versioned ?? true ? 'Enabled' : 'Suspended' },
    });
    if (lifecycleRules) {
      new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
        bucket: bucket.id,
        rule: [
          {
            id: 'expire-noncurrent-versions',
            status: 'Enabled',
            filter: [{ prefix: '' }],
            noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionExpirationDays ?? 90 }],
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
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'ArtifactStore.grantRead');
    role.addToPolicy({ actions: [...S3_BUCKET_READ_ACTIONS], resources: [this.bucketArn] });
    role.addToPolicy({ actions: [...S3_OBJECT_READ_ACTIONS], resources: [`${this.bucketArn}/*`] });
    this.key?.grantDecrypt(role);
    this.exemptPrincipal(role.roleArn);
  }

  /** Read and write objects (and encrypt/decrypt with the store's key, if it has a customer-managed one). */
  grantReadWrite(identity: IWorkloadIdentity): void {
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'ArtifactStore.grantReadWrite');
    role.addToPolicy({ actions: [...S3_BUCKET_READ_ACTIONS, ...S3_BUCKET_WRITE_ACTIONS], resources: [this.bucketArn] });
    role.addToPolicy({ actions: [...S3_OBJECT_READ_ACTIONS, ...S3_OBJECT_WRITE_ACTIONS], resources: [`${this.bucketArn}/*`] });
    this.key?.grantEncryptDecrypt(role);
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
