import { StorageBucket, StorageBucketConfig } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Construct } from 'constructs';
import { IArtifactStore, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { GcpCommonProps } from './common';
import { IGcpEncryptionKey, cmekOf } from './encryption-key';
import { GCP_ROLES } from './perms';
import { checkCommon, gcpIdentityOf, grantId, namingAndLabels, once } from './private/common';
import { checkPhysicalName } from './naming';
import { PropChecks } from '../core/validate';

/** Props of {@link GcpArtifactStore}. */
export interface GcpArtifactStoreProps extends GcpCommonProps {
  /**
   * The customer-managed key the bucket encrypts objects with by default
   * (CKV_GCP_5). Required while `customerManagedKey` is true; must be
   * omitted when it is false.
   * @default - none: give one unless `customerManagedKey` is false
   */
  readonly encryptionKey?: IGcpEncryptionKey;
  /**
   * Encrypt objects with `encryptionKey` (CMEK, CKV_GCP_5). False uses
   * Google-managed encryption: no `encryption` block, no key binding for the
   * Cloud Storage service agent, and grants on the store grant no key role.
   * @default true
   */
  readonly customerManagedKey?: boolean;
  /**
   * Keep the bucket on `cdktf destroy` (`prevent_destroy`, no `force_destroy`,
   * MLOPS_GCP_GCS_RETAIN). False lets `cdktf destroy` delete the bucket with its objects.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Allow requests from any network even when `allowedIpRanges` is set
   * (turns bucket IP filtering off). Anonymous access stays blocked by
   * public access prevention either way.
   * @default false
   */
  readonly publicNetworkAccess?: boolean;
  /**
   * CIDR ranges for bucket IP filtering: when given (and public access is
   * off), only these ranges and Google service agents reach the bucket.
   * Include the egress of whoever runs `cdktf deploy`, the CI runners and
   * the VPC your jobs run in.
   * @default - no IP filtering; IAM and public access prevention guard the bucket
   */
  readonly allowedIpRanges?: readonly string[];
  /**
   * VPC networks (`projects/<p>/global/networks/<n>`) the IP filter lets
   * through besides `allowedIpRanges` (the platform's network in `private`
   * mode, where deployers run inside it). Only used while the filter is on.
   * @default - none
   */
  readonly vpcNetworks?: readonly string[];
  /**
   * Keep every object version (CKV_GCP_78). False turns versioning off.
   * @default true
   */
  readonly versioned?: boolean;
  /**
   * Uniform bucket-level access: IAM only, no object ACLs (CKV_GCP_29).
   * False allows fine-grained ACLs.
   * @default true
   */
  readonly uniformBucketLevelAccess?: boolean;
  /**
   * Enforce public access prevention: no object or the bucket can be made
   * public (CKV_GCP_114). False leaves it to the organisation policy ("inherited").
   * @default true
   */
  readonly enforcePublicAccessPrevention?: boolean;
  /**
   * Days deleted objects stay restorable (soft delete, MLOPS_GCP_GCS_SOFT_DELETE),
   * 7-90; 0 turns soft delete off.
   * @default 7
   */
  readonly softDeleteRetentionDays?: number;
  /**
   * Days a noncurrent object version is kept before the lifecycle rule
   * deletes it (MLOPS_GCP_GCS_NONCURRENT_EXPIRY). Larger values keep old
   * versions, and the data in them, longer.
   * @default 30
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * The bucket name: 3-63 lowercase letters, digits, hyphens and
   * underscores, starting and ending with a letter or digit, globally unique
   * across Cloud Storage (not starting with "goog", no "google").
   * @default - `<company>-<project>-<env>-artifacts[-<suffix>]` from the naming helper
   */
  readonly physicalName?: string;
}

/** An existing Cloud Storage bucket to use as the artifact store ({@link GcpArtifactStore.fromExisting}). */
export interface GcpArtifactStoreAttributes {
  /** The bucket name (not `gs://…`). */
  readonly bucketName: string;
  /**
   * The customer-managed key the bucket encrypts objects with by default, if
   * any: grants on the store then include the key role, as for a bucket the
   * platform creates. The bucket's encryption itself is not changed.
   * @default - none: the bucket's encryption is not known here and grants give no key role
   */
  readonly encryptionKey?: IGcpEncryptionKey;
}

/**
 * A Cloud Storage bucket the GCP platform keeps artifacts in: one it creates
 * ({@link GcpArtifactStore}) or an existing one ({@link GcpArtifactStore.fromExisting}).
 */
export interface IGcpArtifactStore extends IArtifactStore {
  /** Always `gcp`. */
  readonly cloud: 'gcp';
  /** The bucket name. */
  readonly storeName: string;
  /** The customer-managed key the bucket encrypts with, when known. */
  readonly encryptionKey?: IGcpEncryptionKey;
  /** True when the bucket is managed elsewhere: the platform adds IAM members to it and changes nothing else (no IP filter, CMEK, versioning or retention). */
  readonly imported: boolean;
  /**
   * Lets a principal that runs `cdktf deploy` write the training data
   * Terraform uploads (`roles/storage.objectUser` on the bucket). Returns the
   * IAM member; `key` names its construct id (`Deploy-<key>`).
   */
  grantDeploy(principal: string, key: string): StorageBucketIamMember;
}

/**
 * The artifact store: a Cloud Storage bucket (`google_storage_bucket`) with
 * uniform bucket-level access, enforced public access prevention, versioning,
 * CMEK (unless `customerManagedKey` is false), soft delete, IP filtering and a lifecycle rule for old versions.
 */
export class GcpArtifactStore extends Construct implements IGcpArtifactStore {
  /**
   * References an existing bucket (created elsewhere). Nothing is created
   * for it and none of its settings are managed here (encryption, IP
   * filter, versioning, retention, public access prevention stay as its
   * owner set them); grants on it are additive `google_storage_bucket_iam_member`s.
   */
  static fromExisting(scope: Construct, id: string, attrs: GcpArtifactStoreAttributes): IGcpArtifactStore {
    return new ImportedGcpArtifactStore(scope, id, attrs);
  }

  /** {@link fromExisting} with the bucket name only (no known CMEK key). */
  static fromBucketName(scope: Construct, id: string, bucketName: string): IGcpArtifactStore {
    return new ImportedGcpArtifactStore(scope, id, { bucketName });
  }

  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The bucket name. */
  public readonly storeName: string;
  /** The bucket id (its name, as the provider reports it). */
  public readonly storeId: string;
  /** `gs://<bucket>`. */
  public readonly url: string;
  /** The customer-managed key, undefined with Google-managed encryption. */
  public readonly encryptionKey?: IGcpEncryptionKey;
  /** Always false: this bucket is created and managed here. */
  public readonly imported = false;

  constructor(scope: Construct, id: string, props: GcpArtifactStoreProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkCommon(issues, 'GcpArtifactStore', this, props);
    const key = cmekOf(issues, 'GcpArtifactStore', this.node.path, props);
    new PropChecks(issues, 'GcpArtifactStore', this.node.path).cidrs('allowedIpRanges', props.allowedIpRanges);
    if (props.softDeleteRetentionDays !== 0) {
      new PropChecks(issues, 'GcpArtifactStore', this.node.path).int('softDeleteRetentionDays', props.softDeleteRetentionDays, 7, 90, {
        accepted: '0 (off) or an integer from 7 to 90',
      });
    }
    new PropChecks(issues, 'GcpArtifactStore', this.node.path).int('noncurrentVersionRetentionDays', props.noncurrentVersionRetentionDays, 1);
    checkPhysicalName(new PropChecks(issues, 'GcpArtifactStore', this.node.path), 'physicalName', props.physicalName, 'gcsBucket');
    issues.throwIfAny('Invalid GcpArtifactStore props:');

    const { naming, labels } = namingAndLabels(props);
    const retain = props.retainData ?? true;
    const name = props.physicalName ?? naming.name('gcsBucket', 'artifacts');
    this.encryptionKey = key;
    const agentBinding = key?.bindServiceAgent('storage', { projectId: props.projectId, services: props.services });

    // IP filtering is opt-in: with no ranges it would also shut out the
    // deployer and the training jobs (they call from Google's network as the
    // platform's service account, not as a service agent).
    const ranges = props.allowedIpRanges ?? [];
    const vpcs = props.vpcNetworks ?? [];
    const ipFilter: StorageBucketConfig['ipFilter'] =
      props.publicNetworkAccess || ranges.length === 0
        ? undefined
        : {
            mode: 'Enabled',
            allowAllServiceAgentAccess: true,
            publicNetworkSource: { allowedIpCidrRanges: [...ranges] },
            // Any address of the platform's own network (its runner, through Private Google Access).
            ...(vpcs.length > 0 ? { vpcNetworkSources: vpcs.map((network) => ({ network, allowedIpCidrRanges: ['0.0.0.0/0'] })) } : {}),
          };

    const bucket = new StorageBucket(this, 'Resource', {
      project: props.projectId,
      name,
      location: props.region,
      storageClass: 'STANDARD',
      labels,
      uniformBucketLevelAccess: props.uniformBucketLevelAccess ?? true,
      publicAccessPrevention: (props.enforcePublicAccessPrevention ?? true) ? 'enforced' : 'inherited',
      versioning: { enabled: props.versioned ?? true },
      encryption: key ? { defaultKmsKeyName: key.keyId } : undefined,
      softDeletePolicy: { retentionDurationSeconds: (props.softDeleteRetentionDays ?? 7) * 86_400 },
      lifecycleRule: [
        {
          action: { type: 'Delete' },
          condition: { withState: 'ARCHIVED', daysSinceNoncurrentTime: props.noncurrentVersionRetentionDays ?? 30 },
        },
      ],
      ipFilter,
      forceDestroy: !retain,
      lifecycle: retain ? { preventDestroy: true } : undefined,
      dependsOn: [...(props.services?.dependenciesFor('storage.googleapis.com') ?? []), ...(agentBinding ? [agentBinding] : [])],
    });

    this.storeName = bucket.name;
    this.storeId = bucket.id;
    this.url = `gs://${bucket.name}`;
  }

  /** Read objects (`roles/storage.objectViewer` on the bucket) and decrypt with the store's key, if it has one. */
  grantRead(identity: IWorkloadIdentity): void {
    grantOnBucket(this, this.storeName, identity, GCP_ROLES.storageRead, 'GcpArtifactStore.grantRead');
    this.encryptionKey?.grantDecrypt(identity);
  }

  /** Read and write objects (`roles/storage.objectUser` on the bucket) and use the store's key, if it has one. */
  grantReadWrite(identity: IWorkloadIdentity): void {
    grantOnBucket(this, this.storeName, identity, GCP_ROLES.storageReadWrite, 'GcpArtifactStore.grantReadWrite');
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }

  /**
   * Lets a principal that runs `cdktf deploy` (an IAM member: `user:`,
   * `group:`, `serviceAccount:`) write what Terraform writes to the bucket —
   * the training data (`google_storage_bucket_object`: create, read on
   * refresh, delete on replace) — with `roles/storage.objectUser`, not
   * objectAdmin: object ACLs and IAM are not Terraform's to change here
   * (uniform bucket-level access). No key role: with a default CMEK key the
   * Cloud Storage service agent encrypts. Returns the IAM member. `key` names
   * the member's construct id (`Deploy-<key>`).
   */
  grantDeploy(principal: string, key: string): StorageBucketIamMember {
    return deployOnBucket(this, this.storeName, principal, key);
  }
}

/** An existing bucket ({@link GcpArtifactStore.fromExisting}): nothing created, additive IAM members only. */
class ImportedGcpArtifactStore extends Construct implements IGcpArtifactStore {
  public readonly cloud = 'gcp' as const;
  public readonly storeName: string;
  public readonly storeId: string;
  public readonly url: string;
  public readonly encryptionKey?: IGcpEncryptionKey;
  public readonly imported = true;

  constructor(scope: Construct, id: string, attrs: GcpArtifactStoreAttributes) {
    super(scope, id);
    const C = 'GcpArtifactStore.fromExisting';
    const issues = new IssueCollector();
    const name = attrs?.bucketName;
    if (typeof name === 'string' && /^gs:\/\//.test(name)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid(C, 'bucketName', name, `the bare bucket name, without gs:// (${name.replace(/^gs:\/\//, '').split('/')[0]})`),
      );
    } else if (name === undefined) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid(C, 'bucketName', name, 'the name of an existing Cloud Storage bucket'));
    } else {
      checkPhysicalName(new PropChecks(issues, C, this.node.path), 'bucketName', name, 'gcsBucket');
    }
    const key = attrs?.encryptionKey as { cloud?: unknown; keyId?: unknown } | undefined;
    if (key !== undefined && (key.cloud !== 'gcp' || typeof key.keyId !== 'string')) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid(C, 'encryptionKey', key.cloud ?? key, 'a GCP encryption key (GcpEncryptionKey, or GcpEncryptionKey.fromKeyId(...)) or nothing'),
      );
    }
    issues.throwIfAny(`Invalid ${C} attributes:`);
    this.storeName = name;
    this.storeId = name;
    this.url = `gs://${name}`;
    this.encryptionKey = attrs.encryptionKey;
  }

  grantRead(identity: IWorkloadIdentity): void {
    grantOnBucket(this, this.storeName, identity, GCP_ROLES.storageRead, 'GcpArtifactStore.grantRead');
    this.encryptionKey?.grantDecrypt(identity);
  }

  grantReadWrite(identity: IWorkloadIdentity): void {
    grantOnBucket(this, this.storeName, identity, GCP_ROLES.storageReadWrite, 'GcpArtifactStore.grantReadWrite');
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }

  grantDeploy(principal: string, key: string): StorageBucketIamMember {
    return deployOnBucket(this, this.storeName, principal, key);
  }
}

function grantOnBucket(host: Construct, bucket: string, identity: IWorkloadIdentity, role: string, operation: string): void {
  const gcp = gcpIdentityOf(identity, operation);
  const id = grantId(role, gcp);
  once(host, id, () => new StorageBucketIamMember(host, id, { bucket, role, member: gcp.principal }));
}

function deployOnBucket(host: Construct, bucket: string, principal: string, key: string): StorageBucketIamMember {
  const id = `Deploy-${key}`;
  return once(host, id, () => new StorageBucketIamMember(host, id, { bucket, role: GCP_ROLES.deployWrite, member: principal }));
}
