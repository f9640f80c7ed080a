import { Lazy, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  AWS_SECURITY_DEFAULTS,
  AwsArtifactStore,
  AwsArtifactStoreProps,
  AwsEncryptionKey,
  AwsEncryptionKeyProps,
  AwsImageRegistry,
  AwsImageRegistryProps,
  AwsMlPlatform,
  AwsMlPlatformProps,
  AwsMlWorkspace,
  AwsMlWorkspaceProps,
  AwsModelRegistry,
  AwsModelRegistryProps,
  AwsTrainingCompute,
  AwsWorkloadIdentity,
} from '../lib/aws';
import { UNSCOPED_ACTIONS } from '../lib/aws/perms';
import { IWorkloadIdentity } from '../lib/core/contracts';
import { ErrorCode, MlopsValidationError } from '../lib/core/errors';
import { ComputeSize } from '../lib/core/sizes';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const BASE: AwsMlPlatformProps = { naming: NAMING, accountId: ACCOUNT, region: REGION };

const STATEFUL_TYPES = ['aws_kms_key', 'aws_s3_bucket', 'aws_ecr_repository', 'aws_sagemaker_model_package_group', 'aws_cloudwatch_log_group'] as const;

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  Principal?: unknown;
}

function synthPlatform(props: Partial<AwsMlPlatformProps> = {}): SynthJson {
  return synthStack((stack) => new AwsMlPlatform(stack, 'Platform', { ...BASE, ...props }));
}

/** Per-construct prop overrides for a platform composed by hand (to exercise each construct's relaxing props). */
interface Overrides {
  key?: Partial<AwsEncryptionKeyProps>;
  store?: Partial<AwsArtifactStoreProps>;
  images?: Partial<AwsImageRegistryProps>;
  models?: Partial<AwsModelRegistryProps>;
  workspace?: Partial<AwsMlWorkspaceProps>;
}

function synthComposed(o: Overrides): SynthJson {
  return synthStack((stack) => {
    const env = { naming: NAMING, accountId: ACCOUNT, region: REGION };
    const key = new AwsEncryptionKey(stack, 'Key', { ...env, ...o.key });
    const identity = new AwsWorkloadIdentity(stack, 'Identity', env);
    const store = new AwsArtifactStore(stack, 'ArtifactStore', { naming: NAMING, encryptionKey: key, ...o.store });
    const images = new AwsImageRegistry(stack, 'ImageRegistry', { naming: NAMING, encryptionKey: key, ...o.images });
    const models = new AwsModelRegistry(stack, 'ModelRegistry', { ...env, ...o.models });
    const workspace = new AwsMlWorkspace(stack, 'Workspace', {
      naming: NAMING,
      region: REGION,
      encryptionKey: key,
      artifactStore: store,
      executionRole: identity,
      ...o.workspace,
    });
    store.grantReadWrite(identity);
    images.grantPull(identity);
    models.grantWrite(identity);
    workspace.grantUse(identity);
  });
}

function parsePolicy(text: string): Statement[] {
  return (JSON.parse(text) as { Statement: Statement[] }).Statement;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function identityStatements(json: SynthJson): Statement[] {
  return parsePolicy(onlyResource(json, 'aws_iam_role_policy').policy);
}

/** The resources `action` is allowed on by the identity's inline policy. */
function allowedOn(json: SynthJson, action: string): string[] {
  return identityStatements(json)
    .filter((s) => s.Effect === 'Allow' && list(s.Action).includes(action))
    .flatMap((s) => list(s.Resource));
}

function bucketStatement(json: SynthJson, sid: string): Statement | undefined {
  return parsePolicy(onlyResource(json, 'aws_s3_bucket_policy').policy).find((s) => s.Sid === sid);
}

function ref(type: string, attr: string, json: SynthJson): string {
  const ids = Object.keys(json.resource?.[type] ?? {});
  expect(ids).toHaveLength(1);
  return `\${${type}.${ids[0]}.${attr}}`;
}

function issuesOf(build: () => void): { code: string; message: string }[] {
  try {
    build();
  } catch (e) {
    if (e instanceof MlopsValidationError) return [...e.issues];
    throw e;
  }
  throw new Error('expected a MlopsValidationError');
}

/** An identity of another cloud, to prove grants refuse it. */
class ForeignIdentity extends Construct implements IWorkloadIdentity {
  public readonly cloud = 'azure' as const;
  public readonly identityName = 'id-foreign';
  public readonly identityId = '/subscriptions/x/id-foreign';
  public readonly principal = '00000000-0000-0000-0000-000000000000';
}

/**
 * One assertion per entry of AWS_SECURITY_DEFAULTS, keyed `<construct>: <requirement>`.
 * Each passes on the default synth and throws when its default is removed.
 */
const CHECKS: Record<string, (json: SynthJson) => void> = {
  'AwsEncryptionKey: KMS key rotation enabled': (json) => {
    expect(onlyResource(json, 'aws_kms_key').enable_key_rotation).toBe(true);
  },
  'AwsEncryptionKey: KMS key deletion window of 30 days': (json) => {
    expect(onlyResource(json, 'aws_kms_key').deletion_window_in_days).toBe(30);
  },
  'AwsEncryptionKey: explicit key policy: account root administers, CloudWatch Logs of the region may use it for this account only': (json) => {
    const statements = parsePolicy(onlyResource(json, 'aws_kms_key').policy);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*' }));
    const logs = statements.find((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: `logs.${REGION}.amazonaws.com` }));
    expect(logs?.Condition).toEqual({ ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*` } });
    expect(statements).toHaveLength(2);
  },
  'AwsEncryptionKey: key kept on destroy (prevent_destroy)': (json) => {
    expect(onlyResource(json, 'aws_kms_key').lifecycle).toEqual({ prevent_destroy: true });
  },
  'AwsArtifactStore: S3 public access block with all four flags on': (json) => {
    expect(onlyResource(json, 'aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  },
  'AwsArtifactStore: SSE-KMS with the customer-managed key, bucket key enabled': (json) => {
    expect(onlyResource(json, 'aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([
      {
        apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: ref('aws_kms_key', 'arn', json) },
        bucket_key_enabled: true,
      },
    ]);
  },
  'AwsArtifactStore: S3 versioning enabled': (json) => {
    expect(onlyResource(json, 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
  },
  'AwsArtifactStore: ACLs disabled (BucketOwnerEnforced)': (json) => {
    expect(onlyResource(json, 'aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
  },
  'AwsArtifactStore: bucket policy denies requests without TLS (aws:SecureTransport false)': (json) => {
    const s = bucketStatement(json, 'DenyInsecureTransport');
    expect(s).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(list(s!.Resource)).toEqual([ref('aws_s3_bucket', 'arn', json), `${ref('aws_s3_bucket', 'arn', json)}/*`]);
  },
  'AwsArtifactStore: bucket policy denies TLS below 1.2 (s3:TlsVersion)': (json) => {
    expect(bucketStatement(json, 'DenyTlsBelow12')).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
    });
  },
  'AwsArtifactStore: lifecycle expires non-current versions and aborts incomplete multipart uploads': (json) => {
    const rules = onlyResource(json, 'aws_s3_bucket_lifecycle_configuration').rule as Record<string, any>[];
    expect(rules.some((r) => r.status === 'Enabled' && r.noncurrent_version_expiration?.[0]?.noncurrent_days > 0)).toBe(true);
    expect(rules.some((r) => r.status === 'Enabled' && r.abort_incomplete_multipart_upload?.[0]?.days_after_initiation > 0)).toBe(true);
  },
  'AwsArtifactStore: bucket policy denies object access outside allowedIpRanges (and the S3 endpoint of a private network) except granted identities, deployers and AWS services': (
    json,
  ) => {
    const s = bucketStatement(json, 'DenyDataAccessOutsideAllowedNetworks');
    expect(s).toMatchObject({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:ViaAWSService': 'false' } } });
    expect(list(s!.Action)).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:DeleteObject']));
    expect(list(s!.Action)).not.toContain('s3:ListBucket');
    expect(s!.Condition!.ArnNotEquals!['aws:PrincipalArn']).toContain(ref('aws_iam_role', 'arn', json));
  },
  'AwsArtifactStore: bucket kept on destroy (prevent_destroy, no force_destroy)': (json) => {
    const bucket = onlyResource(json, 'aws_s3_bucket');
    expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
    expect(bucket.force_destroy).not.toBe(true);
  },
  'AwsImageRegistry: ECR image scan on push': (json) => {
    expect(onlyResource(json, 'aws_ecr_repository').image_scanning_configuration).toEqual({ scan_on_push: true });
  },
  'AwsImageRegistry: ECR image tags immutable': (json) => {
    expect(onlyResource(json, 'aws_ecr_repository').image_tag_mutability).toBe('IMMUTABLE');
  },
  'AwsImageRegistry: ECR encrypted with the customer-managed key': (json) => {
    expect(onlyResource(json, 'aws_ecr_repository').encryption_configuration).toEqual([{ encryption_type: 'KMS', kms_key: ref('aws_kms_key', 'arn', json) }]);
  },
  'AwsImageRegistry: ECR lifecycle policy expires untagged images': (json) => {
    const policy = JSON.parse(onlyResource(json, 'aws_ecr_lifecycle_policy').policy);
    expect(policy.rules).toContainEqual(expect.objectContaining({ selection: expect.objectContaining({ tagStatus: 'untagged' }), action: { type: 'expire' } }));
  },
  'AwsImageRegistry: repository kept on destroy (prevent_destroy, no force_delete)': (json) => {
    const repo = onlyResource(json, 'aws_ecr_repository');
    expect(repo.lifecycle).toEqual({ prevent_destroy: true });
    expect(repo.force_delete).not.toBe(true);
  },
  'AwsModelRegistry: model package group kept on destroy (prevent_destroy)': (json) => {
    expect(onlyResource(json, 'aws_sagemaker_model_package_group').lifecycle).toEqual({ prevent_destroy: true });
  },
  'AwsMlWorkspace: log group encrypted with the customer-managed key': (json) => {
    expect(onlyResource(json, 'aws_cloudwatch_log_group').kms_key_id).toBe(ref('aws_kms_key', 'arn', json));
  },
  'AwsMlWorkspace: log group retention of at least 365 days': (json) => {
    expect(onlyResource(json, 'aws_cloudwatch_log_group').retention_in_days).toBeGreaterThanOrEqual(365);
  },
  'AwsMlWorkspace: log group kept on destroy (prevent_destroy)': (json) => {
    expect(onlyResource(json, 'aws_cloudwatch_log_group').lifecycle).toEqual({ prevent_destroy: true });
  },
  'AwsWorkloadIdentity: no AWS managed policies (no *FullAccess) attached to the role': (json) => {
    expect(onlyResource(json, 'aws_iam_role').managed_policy_arns).toBeUndefined();
    expect(resourcesOf(json, 'aws_iam_role_policy_attachment')).toHaveLength(0);
    expect(resourcesOf(json, 'aws_iam_policy_attachment')).toHaveLength(0);
    expect(JSON.stringify(json.resource)).not.toMatch(/FullAccess|AdministratorAccess/);
  },
  'AwsWorkloadIdentity: no wildcard actions in the role policy': (json) => {
    const actions = identityStatements(json).flatMap((s) => list(s.Action));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
  },
  'AwsWorkloadIdentity: Resource "*" only for actions without resource-level permissions': (json) => {
    const star = identityStatements(json).filter((s) => list(s.Resource).includes('*'));
    expect(star.length).toBeGreaterThan(0);
    for (const s of star) for (const a of list(s.Action)) expect(UNSCOPED_ACTIONS).toContain(a);
  },
  'AwsWorkloadIdentity: role assumable only by SageMaker for this account (aws:SourceAccount)': (json) => {
    expect(parsePolicy(onlyResource(json, 'aws_iam_role').assume_role_policy)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'sagemaker.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    ]);
  },
};

/** How one relaxing prop is exercised: its relaxed value, and what the synthesized JSON shows once relaxed. */
interface Relaxation {
  /** The relaxed value, applied to a hand-composed platform. */
  readonly overrides: Overrides;
  /** Asserts the relaxed setting on the synthesized JSON. */
  readonly relaxed: (json: SynthJson) => void;
}

/**
 * Every relaxing prop of AWS_SECURITY_DEFAULTS, keyed by `relaxedBy`. A table
 * entry whose `relaxedBy` has no relaxation here fails the suite.
 */
const RELAXED: Record<string, Relaxation> = {
  'AwsEncryptionKey.enableKeyRotation': {
    overrides: { key: { enableKeyRotation: false } },
    relaxed: (json) => expect(onlyResource(json, 'aws_kms_key').enable_key_rotation).toBe(false),
  },
  'AwsEncryptionKey.deletionWindowInDays': {
    overrides: { key: { deletionWindowInDays: 7 } },
    relaxed: (json) => expect(onlyResource(json, 'aws_kms_key').deletion_window_in_days).toBe(7),
  },
  'AwsEncryptionKey.retainData': {
    overrides: { key: { retainData: false } },
    relaxed: (json) => expect(onlyResource(json, 'aws_kms_key').lifecycle).toBeUndefined(),
  },
  'AwsArtifactStore.blockPublicAccess': {
    overrides: { store: { blockPublicAccess: false } },
    relaxed: (json) =>
      expect(onlyResource(json, 'aws_s3_bucket_public_access_block')).toMatchObject({
        block_public_acls: false,
        block_public_policy: false,
        ignore_public_acls: false,
        restrict_public_buckets: false,
      }),
  },
  'AwsArtifactStore.customerManagedKey': {
    overrides: { store: { customerManagedKey: false } },
    relaxed: (json) =>
      expect(onlyResource(json, 'aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }]),
  },
  'AwsArtifactStore.versioned': {
    overrides: { store: { versioned: false } },
    relaxed: (json) => expect(onlyResource(json, 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Suspended' }),
  },
  'AwsArtifactStore.objectOwnership': {
    overrides: { store: { objectOwnership: 'BucketOwnerPreferred' } },
    relaxed: (json) => expect(onlyResource(json, 'aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerPreferred' }),
  },
  'AwsArtifactStore.enforceSsl': {
    overrides: { store: { enforceSsl: false } },
    relaxed: (json) => {
      expect(bucketStatement(json, 'DenyInsecureTransport')).toBeUndefined();
      expect(bucketStatement(json, 'DenyTlsBelow12')).toBeDefined();
    },
  },
  'AwsArtifactStore.minimumTlsVersion': {
    overrides: { store: { minimumTlsVersion: '1.0' } },
    relaxed: (json) => {
      const sids = parsePolicy(onlyResource(json, 'aws_s3_bucket_policy').policy).map((st) => st.Sid);
      expect(sids).toEqual(['DenyInsecureTransport', 'DenyDataAccessOutsideAllowedNetworks']);
    },
  },
  'AwsArtifactStore.lifecycleRules': {
    overrides: { store: { lifecycleRules: false } },
    relaxed: (json) => expect(resourcesOf(json, 'aws_s3_bucket_lifecycle_configuration')).toHaveLength(0),
  },
  'AwsArtifactStore.publicNetworkAccess': {
    overrides: { store: { publicNetworkAccess: true } },
    relaxed: (json) => expect(bucketStatement(json, 'DenyDataAccessOutsideAllowedNetworks')).toBeUndefined(),
  },
  'AwsArtifactStore.retainData': {
    overrides: { store: { retainData: false } },
    relaxed: (json) => {
      expect(onlyResource(json, 'aws_s3_bucket').lifecycle).toBeUndefined();
      expect(onlyResource(json, 'aws_s3_bucket').force_destroy).toBe(true);
    },
  },
  'AwsImageRegistry.scanOnPush': {
    overrides: { images: { scanOnPush: false } },
    relaxed: (json) => expect(onlyResource(json, 'aws_ecr_repository').image_scanning_configuration).toEqual({ scan_on_push: false }),
  },
  'AwsImageRegistry.immutableTags': {
    overrides: { images: { immutableTags: false } },
    relaxed: (json) => expect(onlyResource(json, 'aws_ecr_repository').image_tag_mutability).toBe('MUTABLE'),
  },
  'AwsImageRegistry.customerManagedKey': {
    overrides: { images: { customerManagedKey: false } },
    relaxed: (json) => expect(onlyResource(json, 'aws_ecr_repository').encryption_configuration).toEqual([{ encryption_type: 'AES256' }]),
  },
  'AwsImageRegistry.lifecycleRules': {
    overrides: { images: { lifecycleRules: false } },
    relaxed: (json) => expect(resourcesOf(json, 'aws_ecr_lifecycle_policy')).toHaveLength(0),
  },
  'AwsImageRegistry.retainData': {
    overrides: { images: { retainData: false } },
    relaxed: (json) => {
      expect(onlyResource(json, 'aws_ecr_repository').lifecycle).toBeUndefined();
      expect(onlyResource(json, 'aws_ecr_repository').force_delete).toBe(true);
    },
  },
  'AwsModelRegistry.retainData': {
    overrides: { models: { retainData: false } },
    relaxed: (json) => expect(onlyResource(json, 'aws_sagemaker_model_package_group').lifecycle).toBeUndefined(),
  },
  'AwsMlWorkspace.customerManagedKey': {
    overrides: { workspace: { customerManagedKey: false } },
    relaxed: (json) => expect(onlyResource(json, 'aws_cloudwatch_log_group').kms_key_id).toBeUndefined(),
  },
  'AwsMlWorkspace.logRetentionDays': {
    overrides: { workspace: { logRetentionDays: 30 } },
    relaxed: (json) => expect(onlyResource(json, 'aws_cloudwatch_log_group').retention_in_days).toBe(30),
  },
  'AwsMlWorkspace.retainData': {
    overrides: { workspace: { retainData: false } },
    relaxed: (json) => expect(onlyResource(json, 'aws_cloudwatch_log_group').lifecycle).toBeUndefined(),
  },
};

/** The rule id formats: Checkov, cdk-nag, or one of ours. */
const RULE_ID = /^(CKV2?_(AZURE|AWS|GCP)_\d+|AwsSolutions-[A-Z0-9]+|MLOPS_(AZURE|AWS|GCP)_[A-Z0-9_]+)$/;

const keyOf = (d: { construct: string; requirement: string }): string => `${d.construct}: ${d.requirement}`;

describe('AwsMlPlatform', () => {
  let defaults: SynthJson;
  /** The platform with the opt-in MLflow tracking server. */
  let withServer: SynthJson;
  beforeAll(() => {
    defaults = synthPlatform();
    withServer = synthPlatform({ trackingServer: true });
  });

  test('GIVEN default props WHEN the platform is synthesized THEN it matches the snapshot', () => {
    expect(defaults).toMatchSnapshot();
  });

  test('GIVEN default props WHEN synthesized THEN it creates exactly the expected resource types and no provider or backend', () => {
    expect(Object.keys(defaults.resource ?? {}).sort()).toEqual([
      'aws_cloudwatch_log_group',
      'aws_ecr_lifecycle_policy',
      'aws_ecr_repository',
      'aws_iam_role',
      'aws_iam_role_policy',
      'aws_kms_alias',
      'aws_kms_key',
      'aws_s3_bucket',
      'aws_s3_bucket_lifecycle_configuration',
      'aws_s3_bucket_ownership_controls',
      'aws_s3_bucket_policy',
      'aws_s3_bucket_public_access_block',
      'aws_s3_bucket_server_side_encryption_configuration',
      'aws_s3_bucket_versioning',
      'aws_sagemaker_model_package_group',
    ]);
    expect(defaults.provider).toBeUndefined();
    expect(defaults.terraform?.backend).toBeUndefined();
  });

  test('GIVEN default naming WHEN synthesized THEN every physical name follows <company>-<project>-<env>-<resource>', () => {
    expect(onlyResource(defaults, 'aws_s3_bucket').bucket).toBe('contoso-mlops-dev-artifacts');
    expect(onlyResource(defaults, 'aws_ecr_repository').name).toBe('contoso-mlops-dev-runtime');
    expect(onlyResource(defaults, 'aws_iam_role').name).toBe('contoso-mlops-dev-sagemaker');
    expect(onlyResource(defaults, 'aws_kms_alias').name).toBe('alias/contoso-mlops-dev-key');
    expect(onlyResource(defaults, 'aws_sagemaker_model_package_group').model_package_group_name).toBe('contoso-mlops-dev-models');
    expect(onlyResource(withServer, 'aws_sagemaker_mlflow_tracking_server').tracking_server_name).toBe('contoso-mlops-dev-mlflow');
    expect(onlyResource(defaults, 'aws_cloudwatch_log_group').name).toBe('contoso-mlops-dev-logs');
    expect(onlyResource(withServer, 'aws_cloudwatch_log_group').name).toBe('contoso-mlops-dev-logs');
  });

  test('GIVEN extra tags WHEN synthesized THEN every taggable resource carries the platform tags and the extras', () => {
    const json = synthPlatform({ tags: { costCenter: 'ml' }, trackingServer: true });
    for (const type of [...STATEFUL_TYPES, 'aws_iam_role', 'aws_sagemaker_mlflow_tracking_server']) {
      expect(onlyResource(json, type).tags).toEqual({
        company: 'contoso',
        project: 'mlops',
        environment: 'dev',
        'managed-by': 'cdktf-mlops',
        costCenter: 'ml',
      });
    }
  });

  test('GIVEN the platform WHEN inspected THEN it exposes the contract members as discrete strings', () => {
    synthStack((stack) => {
      const p = new AwsMlPlatform(stack, 'Platform', BASE);
      expect(p.cloud).toBe('aws');
      for (const value of [
        p.artifactStore.url,
        p.artifactStore.storeName,
        p.imageRegistry.imageUri,
        p.modelRegistry.registryId,
        p.workspace.workspaceId,
        p.workspace.logDestination,
        p.encryptionKey.keyId,
        p.identity.principal,
      ]) {
        expect(typeof value).toBe('string');
      }
      expect(p.workspace.region).toBe(REGION);
      expect(p.trainingCompute.computeName).toBe('ml.m5.xlarge');
    });
  });

  describe('security defaults', () => {
    test('GIVEN the AWS_SECURITY_DEFAULTS table THEN every entry has a check and every check has an entry', () => {
      expect(Object.keys(CHECKS).sort()).toEqual(AWS_SECURITY_DEFAULTS.map(keyOf).sort());
      for (const d of AWS_SECURITY_DEFAULTS) {
        expect(d.cloud).toBe('aws');
        expect(d.ruleIds.length).toBeGreaterThan(0);
        if (d.relaxedBy) expect(d.relaxedBy).toMatch(new RegExp(`^${d.construct}\\.[a-zA-Z]+$`));
      }
    });

    test.each(AWS_SECURITY_DEFAULTS.map((d) => [keyOf(d), d.ruleIds.join(', ')]))('GIVEN default props WHEN synthesized THEN %s holds (%s)', (key) => {
      CHECKS[key]!(defaults);
    });

    test('GIVEN the AWS_SECURITY_DEFAULTS table THEN every entry has exactly one of relaxedBy / invariant and well-formed rule ids', () => {
      for (const d of AWS_SECURITY_DEFAULTS) {
        expect({ entry: keyOf(d), hasOneOf: (d.relaxedBy === undefined) !== (d.invariant === undefined) }).toEqual({ entry: keyOf(d), hasOneOf: true });
        expect(d.ruleIds.length).toBeGreaterThan(0);
        for (const id of d.ruleIds) expect(id).toMatch(RULE_ID);
        if (d.invariant !== undefined) expect(d.invariant.trim().length).toBeGreaterThan(0);
      }
    });

    test('GIVEN the AWS_SECURITY_DEFAULTS table THEN every relaxing prop has a relaxation test and every relaxation test a table entry', () => {
      const relaxedBy = [...new Set(AWS_SECURITY_DEFAULTS.flatMap((d) => (d.relaxedBy ? [d.relaxedBy] : [])))].sort();
      expect(Object.keys(RELAXED).sort()).toEqual(relaxedBy);
    });

    test.each(AWS_SECURITY_DEFAULTS.filter((d) => d.relaxedBy).map((d) => [d.relaxedBy!, keyOf(d)]))(
      'GIVEN %s is relaxed WHEN synthesized THEN "%s" no longer holds',
      (relaxedBy, key) => {
        const relaxation = RELAXED[relaxedBy];
        expect(relaxation).toBeDefined();
        // The same composition with nothing relaxed satisfies the check…
        CHECKS[key]!(synthComposed({}));
        // …and relaxing the one prop flips the setting and breaks it.
        const json = synthComposed(relaxation!.overrides);
        relaxation!.relaxed(json);
        expect(() => CHECKS[key]!(json)).toThrow();
      },
    );
  });

  describe('relaxing props on the platform', () => {
    test('GIVEN network mode public WHEN synthesized THEN the bucket network guard is gone but TLS enforcement stays', () => {
      const json = synthPlatform({ network: { mode: 'public' } });
      expect(bucketStatement(json, 'DenyDataAccessOutsideAllowedNetworks')).toBeUndefined();
      expect(bucketStatement(json, 'DenyInsecureTransport')).toBeDefined();
      expect(bucketStatement(json, 'DenyTlsBelow12')).toBeDefined();
    });

    test('GIVEN network.allowedIpRanges WHEN synthesized THEN the bucket network guard lets those ranges through', () => {
      const json = synthPlatform({ network: { allowedIpRanges: ['203.0.113.0/24', '2001:db8::/32'] } });
      expect(bucketStatement(json, 'DenyDataAccessOutsideAllowedNetworks')!.Condition!.NotIpAddress).toEqual({
        'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'],
      });
    });

    test('GIVEN no allowedIpRanges WHEN synthesized THEN the guard has no IP exception', () => {
      expect(bucketStatement(defaults, 'DenyDataAccessOutsideAllowedNetworks')!.Condition!.NotIpAddress).toBeUndefined();
    });

    test.each([
      ['default props (the tracking server is opt-in: it is billed per hour and nothing logs to it)', {}],
      ['trackingServer false', { trackingServer: false }],
    ] as [string, Partial<AwsMlPlatformProps>][])(
      'GIVEN %s WHEN synthesized THEN no MLflow server is created, the workspace is its log group, and no role may use a server',
      (_, props) => {
        const json = synthStack((stack) => {
          const p = new AwsMlPlatform(stack, 'Platform', { ...BASE, ...props });
          expect(p.workspace.trackingServerArn).toBeUndefined();
          expect(p.workspace.trackingServerUrl).toBeUndefined();
          expect(p.workspace.workspaceName).toBe(p.workspace.logDestination);
        });
        expect(resourcesOf(json, 'aws_sagemaker_mlflow_tracking_server')).toHaveLength(0);
        expect(
          identityStatements(json)
            .flatMap((s) => list(s.Action))
            .filter((a) => a.startsWith('sagemaker-mlflow:') || a.includes('MlflowTrackingServer')),
        ).toEqual([]);
      },
    );

    test('GIVEN trackingServer true WHEN synthesized THEN the server is created', () => {
      synthStack((stack) => {
        const p = new AwsMlPlatform(stack, 'Platform', { ...BASE, trackingServer: true });
        expect(p.workspace.trackingServerArn).toBeDefined();
        expect(p.workspace.trackingServerUrl).toBeDefined();
      });
      expect(resourcesOf(withServer, 'aws_sagemaker_mlflow_tracking_server')).toHaveLength(1);
    });
  });

  describe('relaxations with dependencies', () => {
    const env = { naming: NAMING, accountId: ACCOUNT, region: REGION };

    test('GIVEN a store without a customer-managed key WHEN granted THEN it needs no key and the grants include no KMS action', () => {
      const json = synthStack((stack) => {
        const identity = new AwsWorkloadIdentity(stack, 'Identity', env);
        const store = new AwsArtifactStore(stack, 'Store', { naming: NAMING, customerManagedKey: false });
        store.grantReadWrite(identity);
        store.grantRead(identity);
      });
      expect(resourcesOf(json, 'aws_kms_key')).toHaveLength(0);
      expect(allowedOn(json, 's3:PutObject')).toHaveLength(1);
      expect(
        identityStatements(json)
          .flatMap((st) => list(st.Action))
          .filter((a) => a.startsWith('kms:')),
      ).toEqual([]);
    });

    test('GIVEN a store with customerManagedKey false and a key WHEN granted THEN the key is ignored: SSE-S3 and no KMS grant', () => {
      const json = synthStack((stack) => {
        const key = new AwsEncryptionKey(stack, 'Key', env);
        const identity = new AwsWorkloadIdentity(stack, 'Identity', env);
        new AwsArtifactStore(stack, 'Store', { naming: NAMING, encryptionKey: key, customerManagedKey: false }).grantReadWrite(identity);
      });
      expect(onlyResource(json, 'aws_s3_bucket_server_side_encryption_configuration').rule[0].apply_server_side_encryption_by_default).toEqual({
        sse_algorithm: 'AES256',
      });
      expect(allowedOn(json, 'kms:Decrypt')).toEqual([]);
    });

    test('GIVEN a registry without a customer-managed key WHEN granted push THEN it needs no key and the grants include no KMS action', () => {
      const json = synthStack((stack) => {
        const identity = new AwsWorkloadIdentity(stack, 'Identity', env);
        const images = new AwsImageRegistry(stack, 'Images', { naming: NAMING, customerManagedKey: false });
        images.grantPush(identity);
        images.grantPull(identity);
      });
      expect(allowedOn(json, 'ecr:PutImage')).toEqual([ref('aws_ecr_repository', 'arn', json)]);
      expect(
        identityStatements(json)
          .flatMap((st) => list(st.Action))
          .filter((a) => a.startsWith('kms:')),
      ).toEqual([]);
    });

    test('GIVEN a workspace without a customer-managed key WHEN synthesized THEN it needs no key', () => {
      const json = synthStack((stack) => {
        const identity = new AwsWorkloadIdentity(stack, 'Identity', env);
        const key = new AwsEncryptionKey(stack, 'Key', env);
        const store = new AwsArtifactStore(stack, 'Store', { naming: NAMING, encryptionKey: key });
        new AwsMlWorkspace(stack, 'Workspace', { naming: NAMING, region: REGION, artifactStore: store, executionRole: identity, customerManagedKey: false });
      });
      expect(onlyResource(json, 'aws_cloudwatch_log_group').kms_key_id).toBeUndefined();
    });

    test('GIVEN minimumTlsVersion 1.1 WHEN synthesized THEN the bucket policy denies TLS below 1.1 only', () => {
      const json = synthComposed({ store: { minimumTlsVersion: '1.1' } });
      expect(bucketStatement(json, 'DenyTlsBelow12')).toBeUndefined();
      expect(bucketStatement(json, 'DenyTlsBelow11')).toMatchObject({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': '1.1' } } });
    });

    test('GIVEN every bucket-policy guard relaxed WHEN synthesized THEN no (empty, invalid) bucket policy is created', () => {
      const json = synthComposed({ store: { enforceSsl: false, minimumTlsVersion: '1.0', publicNetworkAccess: true } });
      expect(resourcesOf(json, 'aws_s3_bucket_policy')).toHaveLength(0);
      expect(resourcesOf(json, 'aws_s3_bucket')).toHaveLength(1);
    });
  });

  describe('retainData', () => {
    test('GIVEN retainData defaulted WHEN synthesized THEN every stateful store has prevent_destroy and nothing force-deletes', () => {
      for (const type of STATEFUL_TYPES) expect(onlyResource(defaults, type).lifecycle).toEqual({ prevent_destroy: true });
      expect(onlyResource(defaults, 'aws_s3_bucket').force_destroy).toBe(false);
      expect(onlyResource(defaults, 'aws_ecr_repository').force_delete).toBeUndefined();
    });

    test('GIVEN retainData false WHEN synthesized THEN no resource has prevent_destroy, the bucket force-destroys and ECR force-deletes', () => {
      const json = synthPlatform({ retainData: false });
      for (const type of Object.keys(json.resource ?? {})) {
        for (const r of resourcesOf(json, type)) expect(r.lifecycle?.prevent_destroy).toBeUndefined();
      }
      expect(onlyResource(json, 'aws_s3_bucket').force_destroy).toBe(true);
      expect(onlyResource(json, 'aws_ecr_repository').force_delete).toBe(true);
    });
  });

  describe('grants', () => {
    test('GIVEN the platform WHEN synthesized THEN the identity reads and writes objects in the artifact bucket only', () => {
      const bucket = ref('aws_s3_bucket', 'arn', defaults);
      for (const a of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload']) {
        expect(allowedOn(defaults, a)).toEqual([`${bucket}/*`]);
      }
      expect(allowedOn(defaults, 's3:ListBucket')).toEqual([bucket]);
    });

    test('GIVEN the platform WHEN synthesized THEN the identity encrypts and decrypts with the platform key only', () => {
      const key = ref('aws_kms_key', 'arn', defaults);
      for (const a of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey']) expect(allowedOn(defaults, a)).toEqual([key]);
    });

    test('GIVEN the platform WHEN synthesized THEN the identity pulls (not pushes) the runtime image', () => {
      const repo = ref('aws_ecr_repository', 'arn', defaults);
      for (const a of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability']) {
        expect(allowedOn(defaults, a)).toEqual([repo]);
      }
      expect(allowedOn(defaults, 'ecr:GetAuthorizationToken')).toEqual(['*']);
      expect(allowedOn(defaults, 'ecr:PutImage')).toEqual([]);
    });

    test('GIVEN the platform WHEN synthesized THEN the identity registers model versions in its group only', () => {
      const packages = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/contoso-mlops-dev-models/*`;
      for (const a of ['sagemaker:CreateModelPackage', 'sagemaker:UpdateModelPackage', 'sagemaker:DescribeModelPackage']) {
        expect(allowedOn(defaults, a)).toEqual([packages]);
      }
      expect(allowedOn(defaults, 'sagemaker:DescribeModelPackageGroup')).toEqual([ref('aws_sagemaker_model_package_group', 'arn', defaults)]);
      expect(allowedOn(defaults, 'sagemaker:ListModelPackages')).toEqual(['*']);
      expect(allowedOn(defaults, 'sagemaker:DeleteModelPackage')).toEqual([]);
    });

    test('GIVEN the platform with trackingServer true WHEN synthesized THEN the identity uses the workspace: its log group, its metric namespace, its MLflow server', () => {
      const group = ref('aws_cloudwatch_log_group', 'arn', defaults);
      const SAGEMAKER_GROUPS = ['arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/*', 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/*:log-stream:*'];
      expect(allowedOn(defaults, 'logs:CreateLogStream')).toEqual([group, `${group}:log-stream:*`, ...SAGEMAKER_GROUPS]);
      expect(allowedOn(defaults, 'logs:PutLogEvents')).toEqual([group, `${group}:log-stream:*`, ...SAGEMAKER_GROUPS]);
      // SageMaker delivers container logs of jobs and endpoints with the role, into its own groups only.
      expect(allowedOn(defaults, 'logs:CreateLogGroup')).toEqual(SAGEMAKER_GROUPS);
      const metrics = identityStatements(defaults).find((s) => list(s.Action).includes('cloudwatch:PutMetricData'));
      expect(metrics).toMatchObject({ Resource: ['*'], Condition: { StringEquals: { 'cloudwatch:namespace': 'contoso-mlops-dev' } } });
      // By an ARN built from the name: a reference to the server's arn would make a cycle (the server waits for the policy).
      const server = 'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/contoso-mlops-dev-mlflow';
      // Only the calls a pipeline step makes to record its run (SAGEMAKER_MLFLOW_STEP_CALLS): no UI, model registry or presigned URL.
      expect(allowedOn(withServer, 'sagemaker-mlflow:LogBatch')).toEqual([server]);
      expect(allowedOn(withServer, 'sagemaker-mlflow:CreateRun')).toEqual([server]);
      expect(allowedOn(withServer, 'sagemaker-mlflow:LogMetric')).toEqual([]);
      expect(allowedOn(withServer, 'sagemaker-mlflow:AccessUI')).toEqual([]);
      expect(allowedOn(withServer, 'sagemaker:CreatePresignedMlflowTrackingServerUrl')).toEqual([]);
      expect(allowedOn(defaults, 'sagemaker-mlflow:LogBatch')).toEqual([]);
    });

    test('GIVEN the workspace with trackingServer true WHEN synthesized THEN the MLflow server runs as the identity, stores artifacts under s3://<bucket>/mlflow and waits for the grants', () => {
      const server = onlyResource(withServer, 'aws_sagemaker_mlflow_tracking_server');
      expect(server.role_arn).toBe(ref('aws_iam_role', 'arn', withServer));
      expect(server.artifact_store_uri).toBe(`s3://${ref('aws_s3_bucket', 'bucket', withServer)}/mlflow`);
      expect(server.tracking_server_size).toBe('Small');
      const policyId = Object.keys(withServer.resource!.aws_iam_role_policy!)[0];
      expect(server.depends_on).toContain(`aws_iam_role_policy.${policyId}`);
    });

    test('GIVEN the UNSCOPED_ACTIONS list THEN it holds only the actions without resource-level permissions', () => {
      expect([...UNSCOPED_ACTIONS].sort()).toEqual([
        'cloudwatch:PutMetricData',
        'ec2:DescribeDhcpOptions',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcs',
        'ecr:GetAuthorizationToken',
        'sagemaker:ListModelPackages',
      ]);
    });

    test('GIVEN a store grantRead WHEN synthesized THEN the identity reads and decrypts but cannot write or encrypt, and passes the network guard', () => {
      const json = synthStack((stack) => {
        const env = { naming: NAMING, accountId: ACCOUNT, region: REGION };
        const key = new AwsEncryptionKey(stack, 'Key', env);
        const identity = new AwsWorkloadIdentity(stack, 'Identity', env);
        new AwsArtifactStore(stack, 'Store', { naming: NAMING, encryptionKey: key }).grantRead(identity);
      });
      expect(allowedOn(json, 's3:GetObject')).toHaveLength(1);
      expect(allowedOn(json, 's3:PutObject')).toEqual([]);
      expect(allowedOn(json, 'kms:Decrypt')).toEqual([ref('aws_kms_key', 'arn', json)]);
      expect(allowedOn(json, 'kms:Encrypt')).toEqual([]);
      expect(bucketStatement(json, 'DenyDataAccessOutsideAllowedNetworks')!.Condition!.ArnNotEquals).toEqual({
        'aws:PrincipalArn': [ref('aws_iam_role', 'arn', json)],
      });
    });

    test('GIVEN a registry grantPush WHEN synthesized THEN the identity pushes and encrypts with the key', () => {
      const json = synthStack((stack) => {
        const env = { naming: NAMING, accountId: ACCOUNT, region: REGION };
        const key = new AwsEncryptionKey(stack, 'Key', env);
        const identity = new AwsWorkloadIdentity(stack, 'Identity', env);
        new AwsImageRegistry(stack, 'Images', { naming: NAMING, encryptionKey: key }).grantPush(identity);
      });
      const repo = ref('aws_ecr_repository', 'arn', json);
      for (const a of ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:BatchGetImage']) {
        expect(allowedOn(json, a)).toEqual([repo]);
      }
      expect(allowedOn(json, 'kms:GenerateDataKey*')).toEqual([ref('aws_kms_key', 'arn', json)]);
    });

    test('GIVEN a model registry grantRead WHEN synthesized THEN the identity describes but cannot register versions', () => {
      const json = synthStack((stack) => {
        const env = { naming: NAMING, accountId: ACCOUNT, region: REGION };
        const identity = new AwsWorkloadIdentity(stack, 'Identity', env);
        new AwsModelRegistry(stack, 'Models', env).grantRead(identity);
      });
      expect(allowedOn(json, 'sagemaker:DescribeModelPackage')).toHaveLength(1);
      expect(allowedOn(json, 'sagemaker:CreateModelPackage')).toEqual([]);
    });

    test('GIVEN an identity nothing is granted to WHEN synthesized THEN its policy is still valid and grants nothing beyond reading itself', () => {
      const json = synthStack((stack) => {
        new AwsWorkloadIdentity(stack, 'Identity', { naming: NAMING, accountId: ACCOUNT, region: REGION });
      });
      expect(identityStatements(json)).toEqual([{ Effect: 'Allow', Action: ['iam:GetRole'], Resource: [ref('aws_iam_role', 'arn', json)] }]);
    });

    test.each([
      ['ArtifactStore.grantRead', (p: AwsMlPlatform, i: IWorkloadIdentity) => p.artifactStore.grantRead(i)],
      ['ArtifactStore.grantReadWrite', (p: AwsMlPlatform, i: IWorkloadIdentity) => p.artifactStore.grantReadWrite(i)],
      ['ImageRegistry.grantPull', (p: AwsMlPlatform, i: IWorkloadIdentity) => p.imageRegistry.grantPull(i)],
      ['ImageRegistry.grantPush', (p: AwsMlPlatform, i: IWorkloadIdentity) => p.imageRegistry.grantPush(i)],
      ['ModelRegistry.grantRead', (p: AwsMlPlatform, i: IWorkloadIdentity) => p.modelRegistry.grantRead(i)],
      ['ModelRegistry.grantWrite', (p: AwsMlPlatform, i: IWorkloadIdentity) => p.modelRegistry.grantWrite(i)],
      ['MlWorkspace.grantUse', (p: AwsMlPlatform, i: IWorkloadIdentity) => p.workspace.grantUse(i)],
      ['EncryptionKey.grantEncryptDecrypt', (p: AwsMlPlatform, i: IWorkloadIdentity) => p.encryptionKey.grantEncryptDecrypt(i)],
    ])('GIVEN an Azure identity WHEN %s is called THEN it throws MLOPS_CLOUD_MISMATCH', (operation, grant) => {
      const stack = new TerraformStack(Testing.app(), 'test');
      const platform = new AwsMlPlatform(stack, 'Platform', BASE);
      const foreign = new ForeignIdentity(stack, 'Foreign');
      const issues = issuesOf(() => grant(platform, foreign));
      expect(issues).toHaveLength(1);
      expect(issues[0]!.code).toBe(ErrorCode.CLOUD_MISMATCH);
      expect(issues[0]!.message).toContain(operation);
    });

    test('GIVEN a wildcard action WHEN added to the identity policy THEN it is refused', () => {
      const stack = new TerraformStack(Testing.app(), 'test');
      const identity = new AwsWorkloadIdentity(stack, 'Identity', { naming: NAMING, accountId: ACCOUNT, region: REGION });
      expect(() => identity.addToPolicy({ actions: ['s3:*'], resources: ['arn:aws:s3:::b'] })).toThrow(/actions.*"s3:\*"/);
      expect(() => identity.addToPolicy({ actions: ['*'], resources: ['arn:aws:s3:::b'] })).toThrow(MlopsValidationError);
    });

    test('GIVEN Resource "*" on a scopable action WHEN added to the identity policy THEN it is refused naming the action', () => {
      const stack = new TerraformStack(Testing.app(), 'test');
      const identity = new AwsWorkloadIdentity(stack, 'Identity', { naming: NAMING, accountId: ACCOUNT, region: REGION });
      expect(() => identity.addToPolicy({ actions: ['s3:GetObject'], resources: ['*'] })).toThrow(/resources.*s3:GetObject/);
      expect(() => identity.addToPolicy({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] })).not.toThrow();
    });
  });

  describe('training compute', () => {
    test('GIVEN default training options THEN the compute is 4 on-demand ml.m5.xlarge instances and creates no resource', () => {
      const json = synthStack((stack) => {
        const c = new AwsTrainingCompute(stack, 'Compute');
        expect([c.machine.instanceType, c.maxNodes, c.lowPriority]).toEqual(['ml.m5.xlarge', 4, false]);
        expect(c.size.name).toBe('small');
      });
      expect(json.resource).toBeUndefined();
    });

    test('GIVEN a gpu size with spot and an AWS override THEN the override and spot are used', () => {
      synthStack((stack) => {
        const p = new AwsMlPlatform(stack, 'Platform', {
          ...BASE,
          training: { size: ComputeSize.gpu({ aws: 'ml.g5.xlarge' }), maxNodes: 2, lowPriority: true },
        });
        expect(p.trainingCompute.machine.instanceType).toBe('ml.g5.xlarge');
        expect(p.trainingCompute.maxNodes).toBe(2);
        expect(p.trainingCompute.lowPriority).toBe(true);
      });
    });
  });

  describe('validation', () => {
    const build = (props: Partial<AwsMlPlatformProps>) => () => synthPlatform(props);

    test('GIVEN maxNodes 0 WHEN the platform is built THEN it fails naming training.maxNodes', () => {
      expect(build({ training: { maxNodes: 0 } })).toThrow(/'training\.maxNodes'.*Got 0/);
    });

    test('GIVEN a malformed CIDR WHEN the platform is built THEN it fails naming network.allowedIpRanges and the value', () => {
      expect(build({ network: { allowedIpRanges: ['10.0.0.0/8', '10.0.0.300/8'] } })).toThrow(/'network\.allowedIpRanges\[1\]'.*"10\.0\.0\.300\/8"/);
      expect(build({ network: { allowedIpRanges: ['10.0.0.0/33'] } })).toThrow(/network\.allowedIpRanges\[0\]/);
    });

    test('GIVEN an account id that is not 12 digits WHEN the platform is built THEN it fails naming accountId', () => {
      expect(build({ accountId: '1234' })).toThrow(/'accountId'.*12-digit.*Got "1234"/);
    });

    test('GIVEN a malformed region WHEN the platform is built THEN it fails naming region', () => {
      expect(build({ region: 'Europe' })).toThrow(/'region'.*"Europe"/);
    });

    test('GIVEN several bad props WHEN the platform is built THEN every problem is reported at once', () => {
      const issues = issuesOf(build({ accountId: 'x', region: 'y', network: { allowedIpRanges: ['nope'] }, deployers: ['me'], training: { maxNodes: 1.5 } }));
      expect(issues.map((i) => i.code)).toEqual(Array(5).fill(ErrorCode.PROP_INVALID));
    });

    test('GIVEN names too long for AWS WHEN the platform is built THEN it fails with MLOPS_NAME_TOO_LONG', () => {
      const issues = issuesOf(build({ naming: { company: 'c'.repeat(30), project: 'p'.repeat(20), environment: 'dev' } }));
      expect(issues.map((i) => i.code)).toContain(ErrorCode.NAME_TOO_LONG);
    });

    test('GIVEN unresolved tokens for accountId and region WHEN the platform is built THEN validation skips them', () => {
      expect(
        build({
          accountId: Lazy.stringValue({ produce: () => ACCOUNT }),
          region: Lazy.stringValue({ produce: () => REGION }),
        }),
      ).not.toThrow();
    });

    test('GIVEN a non-SageMaker instance type override WHEN the compute is built THEN it fails naming size', () => {
      expect(build({ training: { size: ComputeSize.small({ aws: 'm5.large' }) } })).toThrow(/'size'.*ml\.m5\.xlarge.*Got "m5\.large"/);
    });

    test.each([
      ['logRetentionDays', { workspace: { logRetentionDays: 42 } }],
      ['trackingServerSize', { workspace: { trackingServerSize: 'Huge' as any } }],
      ['executionRole', { workspace: { trackingServer: true, executionRole: undefined } }],
      ['deletionWindowInDays', { key: { deletionWindowInDays: 3 } }],
      ['noncurrentVersionRetentionDays', { store: { noncurrentVersionRetentionDays: 0 } }],
      ['untaggedImageRetentionDays', { images: { untaggedImageRetentionDays: -1 } }],
      ['allowedIpRanges[0]', { store: { allowedIpRanges: ['not-a-cidr'] } }],
      ['objectOwnership', { store: { objectOwnership: 'Anyone' as any } }],
      ['minimumTlsVersion', { store: { minimumTlsVersion: '1.3' as any } }],
      ['encryptionKey', { store: { encryptionKey: undefined } }],
      ['encryptionKey', { images: { encryptionKey: undefined } }],
      ['encryptionKey', { workspace: { encryptionKey: undefined } }],
      ['abortIncompleteMultipartUploadDays', { store: { lifecycleRules: false, abortIncompleteMultipartUploadDays: 7 } }],
      ['noncurrentVersionRetentionDays', { store: { lifecycleRules: false, noncurrentVersionRetentionDays: 30 } }],
      ['untaggedImageRetentionDays', { images: { lifecycleRules: false, untaggedImageRetentionDays: 14 } }],
    ] as [string, Overrides][])('GIVEN a bad %s WHEN the construct is built THEN it fails naming the prop', (prop, overrides) => {
      expect(() => synthComposed(overrides)).toThrow(`'${prop}'`);
    });
  });
});
