import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { ITerraformDependable, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { AwsEndpointAlerts } from '../lib/alerts/aws';
import { AwsArtifactStore } from '../lib/aws/artifact-store';
import { AwsEncryptionKey } from '../lib/aws/encryption-key';
import { AwsImageRegistry } from '../lib/aws/image-registry';
import { AwsModelRegistry } from '../lib/aws/model-registry';
import { AwsNetwork } from '../lib/aws/network';
import { AwsMlPlatform, AwsMlPlatformProps } from '../lib/aws/platform';
import { AwsWorkloadIdentity } from '../lib/aws/workload-identity';
import { AwsMlWorkspace } from '../lib/aws/workspace';
import { AwsGithubCiIdentity } from '../lib/ci/aws';
import { Cloud } from '../lib/core/cloud';
import { IWorkloadIdentity } from '../lib/core/contracts';
import { ErrorCode, MlopsValidationError, ValidationIssue } from '../lib/core/errors';
import { IScoringEndpoint, ITrainingJob } from '../lib/deploy/contracts';
import { AwsTrainingJob } from '../lib/deploy/aws/training-job';
import { TerraformData as DataResource } from '../lib/deploy/terraform-data';
import { TrainingDataUpload } from '../lib/deploy/training-data';
import { Policy, PolicyReport, applyPolicyPack } from '../lib/policy';
import { SynthJson, onlyResource, resourcesOf, synthStack, validationError } from './util';

/**
 * Bring your own (issue 12, item 5) and explicit names (item 6) on AWS:
 * imports of keys, buckets, repositories, roles and VPCs; grants on any
 * IWorkloadIdentity; identities for other compute; physicalName overrides.
 */

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const BASE: AwsMlPlatformProps = { naming: NAMING, accountId: ACCOUNT, region: REGION, deployers: [`arn:aws:iam::${ACCOUNT}:role/Deployer`] };
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const BUCKET_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef`;
const REPO_ARN = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/landing-zone/ml-runtime`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/platform/lz-ml-workload`;
const BATCH_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/batch-scoring`;
const DIGEST = `sha256:${'ab'.repeat(32)}`;

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const policyOf = (r: Record<string, any>, attr = 'policy'): Statement[] => JSON.parse(r[attr]).Statement as Statement[];
const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);
const actionsOn = (statements: Statement[], resourcePart: string): string[] =>
  statements.filter((s) => list(s.Resource).some((r) => r.includes(resourcePart))).flatMap((s) => list(s.Action));

function issuesOf(fn: () => unknown): ValidationIssue[] {
  return [...validationError(fn).issues];
}

function inStack(fn: (stack: TerraformStack) => unknown): unknown {
  const app = Testing.app();
  return fn(new TerraformStack(app, 'test'));
}

/** A stack with the provider and the policy pack, synthesized and checked. */
// biome-ignore lint/suspicious/noConfusingVoidType: `build` may be a block that returns nothing.
function checked(build: (stack: TerraformStack) => { deployers?: () => readonly string[] } | void): { json: SynthJson; report: PolicyReport } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'byo');
  new AwsProvider(stack, 'aws', { region: REGION });
  const built = build(stack) ?? {};
  const pack = applyPolicyPack(stack, { networkMode: 'firewalled', deployers: built.deployers ?? [], log: () => undefined });
  const json = JSON.parse(Testing.synth(stack)) as SynthJson;
  return { json, report: pack.check() };
}

/** A platform whose key, bucket (with its own key), repository and role all exist already. */
function importedPlatform(stack: Construct, extra: Partial<AwsMlPlatformProps> = {}): AwsMlPlatform {
  const key = AwsEncryptionKey.fromKeyArn(stack, 'LzKey', KEY_ARN);
  const bucketKey = AwsEncryptionKey.fromExisting(stack, 'LzBucketKey', { keyArn: BUCKET_KEY_ARN, aliasName: 'alias/lz-data' });
  return new AwsMlPlatform(stack, 'Platform', {
    ...BASE,
    existing: {
      encryptionKey: key,
      artifactStore: AwsArtifactStore.fromExisting(stack, 'LzBucket', { bucketName: 'lz-ml-data', encryptionKey: bucketKey, region: REGION }),
      imageRegistry: AwsImageRegistry.fromExisting(stack, 'LzRepo', { repositoryArn: REPO_ARN, encryptionKey: key }),
      identity: AwsWorkloadIdentity.fromRoleArn(stack, 'LzRole', ROLE_ARN),
    },
    ...extra,
  });
}

/** An IWorkloadIdentity that is not a construct of this library: what another team's code hands over. */
function customIdentity(principal = BATCH_ROLE_ARN, name = 'batch-scoring'): IWorkloadIdentity {
  return { cloud: 'aws', identityName: name, identityId: principal, principal } as unknown as IWorkloadIdentity;
}

describe('GIVEN a platform whose key, bucket, repository and role are all imported', () => {
  let json: SynthJson;
  let report: PolicyReport;
  let platform: AwsMlPlatform;
  beforeAll(() => {
    ({ json, report } = checked((stack) => {
      // With the opt-in tracking server: it runs as the imported role too.
      platform = importedPlatform(stack, { trackingServer: true });
      return { deployers: () => platform.deployers };
    }));
  });

  test('THEN it synthesizes and passes the policy pack', () => {
    expect(report.violations).toEqual([]);
  });

  test('THEN it creates no bucket, repository or role, and writes no bucket policy, public access block, encryption or key policy', () => {
    for (const type of [
      'aws_s3_bucket',
      'aws_s3_bucket_policy',
      'aws_s3_bucket_public_access_block',
      'aws_s3_bucket_server_side_encryption_configuration',
      'aws_s3_bucket_versioning',
      'aws_s3_bucket_lifecycle_configuration',
      'aws_s3_bucket_ownership_controls',
      'aws_ecr_repository',
      'aws_ecr_lifecycle_policy',
      'aws_ecr_repository_policy',
      'aws_iam_role',
      'aws_kms_key_policy',
    ]) {
      expect([type, resourcesOf(json, type).length]).toEqual([type, 0]);
    }
    // Terraform reads the bucket (a missing one fails the plan) and checks its region.
    const bucket = onlyResource({ resource: json.data } as SynthJson, 'aws_s3_bucket');
    expect(bucket.bucket).toBe('lz-ml-data');
    expect(bucket.lifecycle.postcondition[0].condition).toBe('${self.bucket_region == "eu-west-1"}');
  });

  test('THEN the only key it creates is its service key, for the log group (the imported key policy is never written)', () => {
    const key = onlyResource(json, 'aws_kms_key');
    expect(JSON.stringify(policyOf(key))).not.toContain('1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(onlyResource(json, 'aws_kms_alias').name).toBe('alias/contoso-mlops-dev-service-key');
    expect(onlyResource(json, 'aws_cloudwatch_log_group').kms_key_id).toMatch(/^\$\{aws_kms_key\.Platform_ServiceKey_\w+\.arn\}$/);
    expect(platform.encryptionKey.keyArn).toBe(KEY_ARN);
    expect(platform.serviceKey.imported).toBe(false);
  });

  test('THEN its grants land on the imported role as one inline policy of the platform, naming the imported resources', () => {
    const policy = onlyResource(json, 'aws_iam_role_policy');
    expect(policy.role).toBe('lz-ml-workload');
    const statements = policyOf(policy);
    expect(actionsOn(statements, 'data.aws_s3_bucket.LzBucket')).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:ListBucket']));
    expect(actionsOn(statements, BUCKET_KEY_ARN)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
    expect(actionsOn(statements, KEY_ARN)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt']));
    expect(actionsOn(statements, REPO_ARN)).toEqual(expect.arrayContaining(['ecr:BatchGetImage']));
    expect(actionsOn(statements, 'aws_sagemaker_model_package_group.Platform_ModelRegistry')).toEqual(['sagemaker:DescribeModelPackageGroup']);
    // The MLflow server runs as the imported role, after its grants.
    const server = onlyResource(json, 'aws_sagemaker_mlflow_tracking_server');
    expect(server.role_arn).toBe(ROLE_ARN);
    expect(server.artifact_store_uri).toBe('s3://lz-ml-data/mlflow');
    expect(server.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.LzRole_Policy_/)]);
  });

  test('THEN the platform exposes the imported resources through the neutral contract', () => {
    expect(platform.artifactStore.url).toBe('s3://lz-ml-data');
    expect(platform.imageRegistry.imageUri).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/landing-zone/ml-runtime`);
    expect(platform.imageRegistry.registryName).toBe('landing-zone/ml-runtime');
    expect(platform.identity.roleName).toBe('lz-ml-workload');
    expect(platform.identity.imported).toBe(true);
  });
});

describe('GIVEN an imported platform WHEN deployments, CI and alerts are wired to it', () => {
  test('THEN the training job runs as the imported role, after its grant policy, and writes to the imported bucket', () => {
    const json = synthStack((stack) => {
      const platform = importedPlatform(stack);
      new AwsTrainingJob(stack, 'Job', {
        platform,
        image: { imageUriByDigest: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/landing-zone/ml-runtime@${DIGEST}`, imageDigest: DIGEST, contentHash: '0123456789abcdef' },
        name: 'contoso-mlops-dev-bike-demand',
        modelName: 'bike-demand',
        data: 'datasets/bike/hour.csv',
      });
    });
    const step = resourcesOf(json, 'terraform_data').find((r) => r.input?.kind === 'training')!;
    expect(step.input.aws.roleArn).toBe(ROLE_ARN);
    expect(step.input.aws.bucket).toBe('lz-ml-data');
    expect(step.input.aws.kmsKeyArn).toBe(KEY_ARN);
    expect(step.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.LzRole_Policy_/)]));
  });

  test('THEN CI only reads the imported bucket, describes the imported keys, pushes to the imported repository and manages the service key', () => {
    let ci: AwsGithubCiIdentity | undefined;
    let platform: AwsMlPlatform | undefined;
    synthStack((stack) => {
      platform = importedPlatform(stack);
      ci = new AwsGithubCiIdentity(stack, 'Ci', { repository: 'contoso/ml', branches: ['main'], environments: ['dev'], platform, naming: NAMING, accountId: ACCOUNT });
    });
    const deploy = JSON.parse(ci!.policyDocuments['ci-deploy']!).Statement as Statement[];
    const sid = (id: string): Statement => deploy.find((s) => s.Sid === id)!;
    expect(list(sid('ImportedArtifactBucket').Action).sort()).toEqual(['s3:GetBucketLocation', 's3:ListBucket']);
    expect(sid('ImportedKeys').Action).toEqual(['kms:DescribeKey']);
    expect(list(sid('ImportedKeys').Resource).sort()).toEqual([BUCKET_KEY_ARN, KEY_ARN].sort());
    // Key administration (PutKeyPolicy …) only on the key the platform creates.
    expect(sid('PlatformKey').Resource).toBe(platform!.serviceKey.keyArn);
    expect(list(sid('ImportedRuntimeRepository').Action)).toContain('ecr:PutImage');
    expect(sid('ImportedRuntimeRepository').Resource).toBe(REPO_ARN);
    // Objects CI uploads are encrypted with the bucket's own key, through S3 only.
    expect(list(sid('PlatformKeyThroughS3').Resource)).toContain(BUCKET_KEY_ARN);
    const iam = JSON.parse(ci!.policyDocuments['ci-iam']!).Statement as Statement[];
    expect(iam.find((s) => s.Sid === 'WorkloadRole')).toMatchObject({ Action: ['iam:GetRolePolicy'], Resource: ROLE_ARN });
  });

  test('THEN the alert topic is encrypted with the service key, whose policy lets CloudWatch and EventBridge publish', () => {
    const json = synthStack((stack) => {
      const platform = importedPlatform(stack, { trackingServer: false });
      new AwsEndpointAlerts(stack, 'Alerts', {
        platform,
        endpoint: new StandInEndpoint(stack, 'Endpoint'),
        job: new StandInJob(stack, 'Job'),
        receivers: { email: ['ops@example.com'] },
      });
    });
    const topic = onlyResource(json, 'aws_sns_topic');
    expect(topic.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.Platform_ServiceKey_\w+\.arn\}$/);
    const keyPolicy = policyOf(onlyResource(json, 'aws_kms_key'));
    expect(keyPolicy.map((s) => s.Sid)).toEqual(expect.arrayContaining(['CloudWatchAlarmsPublishToEncryptedTopics', 'EventBridgeRulesPublishToEncryptedTopics']));
  });
});

describe('GIVEN an object Terraform writes to an imported bucket', () => {
  function build(stack: TerraformStack, suppress: boolean): { deployers: () => readonly string[] } {
    const platform = importedPlatform(stack);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byo-'));
    const source = path.join(dir, 'hour.csv');
    fs.writeFileSync(source, 'a,b\n1,2\n');
    const upload = new TrainingDataUpload(stack, 'Data', { artifactStore: platform.artifactStore, key: 'datasets/hour.csv', source });
    if (suppress) Policy.suppress(upload, 'MLOPS_DEPLOY_AWS_OBJECT_WRITE', 'lz-ml-data policy exempts the deployer role (landing-zone team, ticket LZ-42)');
    return { deployers: () => platform.deployers };
  }

  test('WHEN the pack checks it THEN MLOPS_DEPLOY_AWS_OBJECT_WRITE says the bucket policy cannot be checked, rather than passing silently', () => {
    const { report } = checked((stack) => build(stack, false));
    expect(report.violations.map((v) => v.ruleId)).toEqual(['MLOPS_DEPLOY_AWS_OBJECT_WRITE']);
    const [v] = report.violations;
    expect(v!.found).toContain('imported bucket "lz-ml-data" (data.aws_s3_bucket.LzBucket');
    expect(v!.found).toContain(`arn:aws:iam::${ACCOUNT}:role/Deployer`);
    expect(v!.found).not.toContain('does not depend on'); // no ordering finding: nothing of the bucket is in the stack
    expect(v!.fix).toContain('Policy.suppress');
  });

  test('WHEN the owner confirmed and the finding is suppressed with a reason THEN the pack passes', () => {
    const { report } = checked((stack) => build(stack, true));
    expect(report.violations).toEqual([]);
    expect(report.suppressed.map((s) => s.ruleId)).toEqual(['MLOPS_DEPLOY_AWS_OBJECT_WRITE']);
  });
});

describe('GIVEN an imported role granted on a bucket of the stack', () => {
  test('WHEN the bucket is an AwsArtifactStore THEN its network guard exempts the role and the lockout rule passes', () => {
    const { json, report } = checked((stack) => {
      const store = new AwsArtifactStore(stack, 'Store', { naming: NAMING, customerManagedKey: false });
      store.grantRead(AwsWorkloadIdentity.fromRoleArn(stack, 'Lambda', BATCH_ROLE_ARN));
    });
    // (customerManagedKey: false is reported by the encryption rules; the deploy-readiness rules pass.)
    expect(report.violations.filter((v) => v.ruleId.startsWith('MLOPS_DEPLOY_')).map((v) => v.found)).toEqual([]);
    const guard = policyOf(onlyResource(json, 'aws_s3_bucket_policy')).find((s) => s.Sid === 'DenyDataAccessOutsideAllowedNetworks')!;
    expect(guard.Condition!.ArnNotEquals!['aws:PrincipalArn']).toEqual([BATCH_ROLE_ARN]);
  });

  test('WHEN a bucket policy of the stack denies it THEN MLOPS_DEPLOY_AWS_DENY_LOCKOUT names the imported role', () => {
    const { report } = checked((stack) => {
      const store = new AwsArtifactStore(stack, 'Store', { naming: NAMING, customerManagedKey: false, publicNetworkAccess: true, enforceSsl: false, minimumTlsVersion: '1.0' });
      store.grantRead(AwsWorkloadIdentity.fromRoleArn(stack, 'Lambda', BATCH_ROLE_ARN));
      new S3BucketPolicy(stack, 'Deny', {
        bucket: store.bucketName,
        policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `${store.bucketArn}/*` }] }),
      });
    });
    const lockouts = report.violations.filter((v) => v.ruleId === 'MLOPS_DEPLOY_AWS_DENY_LOCKOUT');
    expect(lockouts.map((v) => v.found)).toEqual([expect.stringContaining(`the imported role ${BATCH_ROLE_ARN}`)]);
  });
});

describe('GIVEN a custom IWorkloadIdentity (a plain object, not a construct of this library)', () => {
  test('WHEN it is granted read on the platform store THEN an inline policy on its role carries the bucket and key statements', () => {
    const json = synthStack((stack) => {
      const platform = new AwsMlPlatform(stack, 'Platform', BASE);
      platform.artifactStore.grantRead(customIdentity());
    });
    const policies = resourcesOf(json, 'aws_iam_role_policy').filter((p) => p.role === 'batch-scoring');
    expect(policies).toHaveLength(1);
    const statements = policyOf(policies[0]!);
    expect(actionsOn(statements, 'aws_s3_bucket.Platform_ArtifactStore')).toEqual(expect.arrayContaining(['s3:GetObject', 's3:ListBucket']));
    expect(actionsOn(statements, 'aws_s3_bucket.Platform_ArtifactStore')).not.toContain('s3:PutObject');
    expect(actionsOn(statements, 'aws_kms_key.Platform_Key')).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(policies[0]!.name).toMatch(/^mlops-ArtifactStore-[0-9a-f]{10}$/);
    // The bucket's network guard lets the role through.
    const guard = policyOf(onlyResource(json, 'aws_s3_bucket_policy')).find((s) => s.Sid === 'DenyDataAccessOutsideAllowedNetworks')!;
    expect(guard.Condition!.ArnNotEquals!['aws:PrincipalArn']).toContain(BATCH_ROLE_ARN);
  });

  test('WHEN every grant of the platform is given to it THEN each granting construct adds one policy, and the synth is deterministic', () => {
    const build = (): SynthJson =>
      synthStack((stack) => {
        const platform = new AwsMlPlatform(stack, 'Platform', BASE);
        const team = customIdentity();
        platform.artifactStore.grantReadWrite(team);
        platform.artifactStore.grantRead(team); // accumulates in the same policy
        platform.imageRegistry.grantPull(team);
        platform.modelRegistry.grantRead(team);
        platform.workspace.grantUse(team);
        platform.encryptionKey.grantEncryptDecrypt(team);
      });
    const json = build();
    const policies = resourcesOf(json, 'aws_iam_role_policy').filter((p) => p.role === 'batch-scoring');
    expect(policies.map((p) => p.name.replace(/-[0-9a-f]{10}$/, '')).sort()).toEqual(
      ['mlops-ArtifactStore', 'mlops-ImageRegistry', 'mlops-Key', 'mlops-ModelRegistry', 'mlops-Workspace'].sort(),
    );
    const workspace = policies.find((p) => p.name.startsWith('mlops-Workspace'))!;
    expect(actionsOn(policyOf(workspace), 'log-group:/aws/sagemaker/')).toContain('logs:PutLogEvents');
    expect(JSON.stringify(build())).toBe(JSON.stringify(json));
  });

  test('WHEN its principal is not a role ARN THEN the grant fails naming the principal and the fix', () => {
    const issues = issuesOf(() =>
      inStack((stack) =>
        new AwsArtifactStore(stack, 'Store', { naming: NAMING, customerManagedKey: false }).grantRead(customIdentity(`arn:aws:iam::${ACCOUNT}:user/alice`, 'alice')),
      ),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toContain("'identity.principal'");
    expect(issues[0]!.message).toContain(`"arn:aws:iam::${ACCOUNT}:user/alice"`);
    expect(issues[0]!.message).toContain('an IAM role ARN');
  });

  test('WHEN it belongs to another cloud THEN the grant fails with a cloud mismatch', () => {
    const gcp = {
      cloud: 'gcp',
      identityName: 'ml',
      identityId: 'ml@p.iam.gserviceaccount.com',
      principal: 'serviceAccount:ml@p.iam.gserviceaccount.com',
    } as unknown as IWorkloadIdentity;
    const issues = issuesOf(() => inStack((stack) => new AwsArtifactStore(stack, 'Store', { naming: NAMING, customerManagedKey: false }).grantRead(gcp)));
    expect(issues.map((i) => i.code)).toEqual([ErrorCode.CLOUD_MISMATCH]);
  });

  test('WHEN it is the platform identity (existing.identity) THEN the platform wraps it and grants land on its role', () => {
    const json = synthStack((stack) => {
      new AwsMlPlatform(stack, 'Platform', { ...BASE, trackingServer: true, existing: { identity: customIdentity(ROLE_ARN, 'lz-ml-workload') } });
    });
    expect(resourcesOf(json, 'aws_iam_role')).toHaveLength(0);
    expect(onlyResource(json, 'aws_iam_role_policy').role).toBe('lz-ml-workload');
    expect(onlyResource(json, 'aws_sagemaker_mlflow_tracking_server').role_arn).toBe(ROLE_ARN);
  });
});

describe('GIVEN identities for other compute than SageMaker (assumedBy)', () => {
  test('WHEN a batch-scoring Lambda identity is granted the platform store THEN Lambda may assume it and the grants are in its own policy', () => {
    const json = synthStack((stack) => {
      const platform = new AwsMlPlatform(stack, 'Platform', BASE);
      const batch = new AwsWorkloadIdentity(stack, 'BatchScoring', {
        naming: NAMING,
        accountId: ACCOUNT,
        region: REGION,
        resourceName: 'batch-scoring',
        assumedBy: ['lambda.amazonaws.com'],
      });
      platform.artifactStore.grantRead(batch);
    });
    const role = resourcesOf(json, 'aws_iam_role').find((r) => r.name === 'contoso-mlops-dev-batch-scoring')!;
    expect(policyOf(role, 'assume_role_policy')).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    expect(role.description).toContain('lambda.amazonaws.com');
    const policy = resourcesOf(json, 'aws_iam_role_policy').find((p) => p.role === '${aws_iam_role.BatchScoring_A7B0E6D1.name}' || String(p.role).includes('BatchScoring'))!;
    expect(policy.name).toBe('platform-grants');
    expect(actionsOn(policyOf(policy), 'aws_s3_bucket.Platform_ArtifactStore')).toEqual(expect.arrayContaining(['s3:GetObject']));
  });

  test('WHEN ECS tasks and SageMaker may assume it THEN they get aws:SourceAccount (documented for both) and Lambda does not', () => {
    const json = synthStack((stack) => {
      new AwsWorkloadIdentity(stack, 'Mixed', {
        naming: NAMING,
        accountId: ACCOUNT,
        region: REGION,
        resourceName: 'mixed',
        assumedBy: ['sagemaker.amazonaws.com', 'ecs-tasks.amazonaws.com', 'lambda.amazonaws.com'],
      });
    });
    expect(policyOf(onlyResource(json, 'aws_iam_role'), 'assume_role_policy')).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: ['sagemaker.amazonaws.com', 'ecs-tasks.amazonaws.com'] },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
  });

  test('WHEN assumedBy holds something that is not a service principal THEN it fails naming the entry', () => {
    const issues = issuesOf(() =>
      inStack((stack) => new AwsWorkloadIdentity(stack, 'X', { naming: NAMING, accountId: ACCOUNT, region: REGION, assumedBy: ['lambda', `arn:aws:iam::${ACCOUNT}:root`] })),
    );
    expect(issues.map((i) => i.message)).toEqual([expect.stringContaining("'assumedBy[0]'"), expect.stringContaining("'assumedBy[1]'")]);
  });
});

describe('GIVEN imports with bad attributes', () => {
  test('THEN each names the attribute, the value and what is accepted', () => {
    const cases: [string, () => unknown, string][] = [
      ['alias ARN', () => inStack((s) => AwsEncryptionKey.fromKeyArn(s, 'K', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/lz`)), 'not an alias ARN'],
      ['key id', () => inStack((s) => AwsEncryptionKey.fromKeyArn(s, 'K', '1234abcd-12ab-34cd-56ef-1234567890ab')), "'keyArn'"],
      ['bucket name', () => inStack((s) => AwsArtifactStore.fromBucketName(s, 'B', 'LZ_Data')), "'bucketName'"],
      ['repository ARN', () => inStack((s) => AwsImageRegistry.fromExisting(s, 'R', { repositoryArn: `arn:aws:s3:::bucket` })), "'repositoryArn'"],
      ['repository name', () => inStack((s) => AwsImageRegistry.fromRepositoryName(s, 'R', 'Runtime', ACCOUNT, REGION)), "'repositoryName'"],
      ['user ARN', () => inStack((s) => AwsWorkloadIdentity.fromRoleArn(s, 'I', `arn:aws:iam::${ACCOUNT}:user/alice`)), "'roleArn'"],
      ['role name mismatch', () => inStack((s) => AwsWorkloadIdentity.fromExisting(s, 'I', { roleArn: ROLE_ARN, roleName: 'other' })), "'roleName'"],
    ];
    for (const [label, fn, expected] of cases) {
      const issues = issuesOf(fn);
      expect([label, issues.length]).toEqual([label, 1]);
      expect([label, issues[0]!.message]).toEqual([label, expect.stringContaining(expected)]);
    }
  });

  test('WHEN an ARN is a token THEN the role name must be given, and nothing else is checked', () => {
    const issues = issuesOf(() => inStack((s) => AwsWorkloadIdentity.fromRoleArn(s, 'I', new DataResource(s, 'D', {}).getStringAttribute('output'))));
    expect(issues[0]!.message).toContain("'roleName'");
    expect(() =>
      inStack((s) => AwsWorkloadIdentity.fromExisting(s, 'I', { roleArn: new DataResource(s, 'D', {}).getStringAttribute('output'), roleName: 'from-token' })),
    ).not.toThrow();
  });

  test('WHEN the platform is given resources of another account or region THEN it fails naming each', () => {
    const issues = issuesOf(() =>
      inStack(
        (stack) =>
          new AwsMlPlatform(stack, 'Platform', {
            ...BASE,
            existing: {
              encryptionKey: AwsEncryptionKey.fromKeyArn(stack, 'K', `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`),
              artifactStore: AwsArtifactStore.fromExisting(stack, 'B', { bucketName: 'lz-ml-data', region: 'eu-central-1' }),
              imageRegistry: AwsImageRegistry.fromExisting(stack, 'R', { repositoryArn: `arn:aws:ecr:${REGION}:210987654321:repository/runtime` }),
              identity: AwsWorkloadIdentity.fromRoleArn(stack, 'I', 'arn:aws:iam::210987654321:role/ml'),
            },
          }),
      ),
    );
    const messages = issues.map((i) => i.message);
    expect(messages).toEqual([
      expect.stringContaining("'existing.encryptionKey' prop of AwsMlPlatform must be a key in the platform's region \"eu-west-1\""),
      expect.stringContaining("'existing.artifactStore'"),
      expect.stringContaining("'existing.imageRegistry' prop of AwsMlPlatform must be a repository in the platform's account"),
      expect.stringContaining("'existing.identity' prop of AwsMlPlatform must be a role in the platform's account"),
    ]);
  });

  test('WHEN existing.network is given outside network.mode private THEN it fails', () => {
    const issues = issuesOf(() =>
      inStack((stack) => {
        const network = AwsNetwork.fromExisting(stack, 'Net', {
          naming: NAMING,
          region: REGION,
          vpcId: 'vpc-0123456789abcdef0',
          subnetIds: ['subnet-01234567', 'subnet-89abcdef'],
        });
        return new AwsMlPlatform(stack, 'Platform', { ...BASE, existing: { network } });
      }),
    );
    expect(issues.map((i) => i.message)).toEqual([expect.stringContaining('only with network.mode "private"')]);
  });
});

describe('GIVEN an existing VPC (AwsNetwork.fromExisting)', () => {
  test('WHEN it comes with its security group and endpoints and is passed to a private platform THEN the platform creates no network resource and runs in it', () => {
    const json = synthStack((stack) => {
      const network = AwsNetwork.fromExisting(stack, 'Net', {
        naming: NAMING,
        region: REGION,
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-01234567', 'subnet-89abcdef'],
        securityGroupId: 'sg-0123456789abcdef0',
        createEndpoints: false,
      });
      new AwsMlPlatform(stack, 'Platform', { ...BASE, network: { mode: 'private' }, existing: { network } });
    });
    for (const type of ['aws_vpc', 'aws_subnet', 'aws_security_group', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule', 'aws_vpc_endpoint']) {
      expect([type, resourcesOf(json, type).length]).toEqual([type, 0]);
    }
    const grants = policyOf(resourcesOf(json, 'aws_iam_role_policy')[0]!);
    expect(actionsOn(grants, 'security-group/sg-0123456789abcdef0')).toContain('ec2:CreateNetworkInterface');
  });

  test('WHEN a security group is given without an existing VPC THEN it fails', () => {
    const issues = issuesOf(() => inStack((stack) => new AwsNetwork(stack, 'Net', { naming: NAMING, region: REGION, securityGroupId: 'sg-0123456789abcdef0' })));
    expect(issues[0]!.message).toContain("'securityGroupId'");
  });
});

describe('GIVEN explicit physical names (physicalName)', () => {
  test('THEN every AWS resource construct uses its name exactly', () => {
    const json = synthStack((stack) => {
      const key = new AwsEncryptionKey(stack, 'Key', { naming: NAMING, accountId: ACCOUNT, region: REGION, physicalName: 'team/ml-key' });
      const role = new AwsWorkloadIdentity(stack, 'Role', { naming: NAMING, accountId: ACCOUNT, region: REGION, physicalName: 'TeamMlWorkload' });
      const store = new AwsArtifactStore(stack, 'Store', { naming: NAMING, encryptionKey: key, physicalName: 'team.ml-artifacts' });
      new AwsImageRegistry(stack, 'Registry', { naming: NAMING, encryptionKey: key, physicalName: 'team/ml-runtime' });
      new AwsModelRegistry(stack, 'Models', { naming: NAMING, accountId: ACCOUNT, region: REGION, physicalName: 'TeamModels' });
      new AwsMlWorkspace(stack, 'Workspace', {
        naming: NAMING,
        region: REGION,
        encryptionKey: key,
        artifactStore: store,
        executionRole: role,
        trackingServer: true,
        physicalName: 'team-mlflow',
      });
      new AwsNetwork(stack, 'Net', { naming: NAMING, region: REGION, physicalName: 'team-ml' });
    });
    expect(onlyResource(json, 'aws_kms_alias').name).toBe('alias/team/ml-key');
    expect(onlyResource(json, 'aws_iam_role').name).toBe('TeamMlWorkload');
    expect(onlyResource(json, 'aws_s3_bucket').bucket).toBe('team.ml-artifacts');
    expect(onlyResource(json, 'aws_ecr_repository').name).toBe('team/ml-runtime');
    expect(onlyResource(json, 'aws_sagemaker_model_package_group').model_package_group_name).toBe('TeamModels');
    expect(onlyResource(json, 'aws_sagemaker_mlflow_tracking_server').tracking_server_name).toBe('team-mlflow');
    expect(onlyResource(json, 'aws_cloudwatch_log_group').name).toBe('team-mlflow-logs');
    expect(onlyResource(json, 'aws_security_group').name).toBe('team-ml-workload');
    expect(onlyResource(json, 'aws_vpc').tags.Name).toBe('team-ml-vpc');
  });

  test('THEN the GitHub CI identity names its role and derives its policy names from it', () => {
    const json = synthStack((stack) => {
      const platform = new AwsMlPlatform(stack, 'Platform', BASE);
      new AwsGithubCiIdentity(stack, 'Ci', {
        repository: 'contoso/ml',
        branches: ['main'],
        environments: ['dev'],
        platform,
        naming: NAMING,
        accountId: ACCOUNT,
        physicalName: 'TeamMlDeployer',
      });
    });
    expect(resourcesOf(json, 'aws_iam_role').map((r) => r.name)).toContain('TeamMlDeployer');
    expect(
      resourcesOf(json, 'aws_iam_policy')
        .map((p) => p.name)
        .sort(),
    ).toEqual(['TeamMlDeployer-ci-deploy', 'TeamMlDeployer-ci-iam', 'TeamMlDeployer-ci-release']);
    const iam = JSON.parse(resourcesOf(json, 'aws_iam_policy').find((p) => p.name === 'TeamMlDeployer-ci-iam')!.policy).Statement as Statement[];
    expect(list(iam.find((st) => st.Sid === 'ProtectCiIdentity')!.Resource)).toContain(`arn:aws:iam::${ACCOUNT}:role/TeamMlDeployer`);
  });

  test('THEN the model registry grants name the lower-case ARN SageMaker uses', () => {
    const json = synthStack((stack) => {
      const models = new AwsModelRegistry(stack, 'Models', { naming: NAMING, accountId: ACCOUNT, region: REGION, physicalName: 'TeamModels' });
      models.grantWrite(AwsWorkloadIdentity.fromRoleArn(stack, 'R', ROLE_ARN));
    });
    expect(actionsOn(policyOf(onlyResource(json, 'aws_iam_role_policy')), 'model-package/teammodels/*')).toContain('sagemaker:CreateModelPackage');
  });

  test('THEN a workspace without a tracking server and an explicit log group name uses them', () => {
    const json = synthStack((stack) => {
      const store = new AwsArtifactStore(stack, 'Store', { naming: NAMING, customerManagedKey: false });
      new AwsMlWorkspace(stack, 'A', { naming: NAMING, region: REGION, customerManagedKey: false, artifactStore: store, trackingServer: false, physicalName: '/team/ml' });
      const role = AwsWorkloadIdentity.fromRoleArn(stack, 'R', ROLE_ARN);
      new AwsMlWorkspace(stack, 'B', {
        naming: NAMING,
        region: REGION,
        customerManagedKey: false,
        artifactStore: store,
        executionRole: role,
        trackingServer: true,
        physicalName: 'srv',
        logGroupName: '/team/ml-b',
      });
    });
    expect(
      resourcesOf(json, 'aws_cloudwatch_log_group')
        .map((g) => g.name)
        .sort(),
    ).toEqual(['/team/ml', '/team/ml-b']);
  });

  test('WHEN a name breaks an AWS limit THEN the error names the prop, the value and the limit', () => {
    const cases: [string, () => unknown, string][] = [
      [
        'bucket',
        () => inStack((s) => new AwsArtifactStore(s, 'S', { naming: NAMING, customerManagedKey: false, physicalName: 'Team_Bucket' })),
        'S3 bucket name of 3-63 characters',
      ],
      ['bucket length', () => inStack((s) => new AwsArtifactStore(s, 'S', { naming: NAMING, customerManagedKey: false, physicalName: 'a'.repeat(64) })), '(64 characters)'],
      ['repository', () => inStack((s) => new AwsImageRegistry(s, 'R', { naming: NAMING, customerManagedKey: false, physicalName: 'Runtime' })), 'ECR repository name of 2-256'],
      [
        'role',
        () => inStack((s) => new AwsWorkloadIdentity(s, 'I', { naming: NAMING, accountId: ACCOUNT, region: REGION, physicalName: 'r'.repeat(65) })),
        'IAM role name of 1-64',
      ],
      ['alias', () => inStack((s) => new AwsEncryptionKey(s, 'K', { naming: NAMING, accountId: ACCOUNT, region: REGION, physicalName: 'alias/aws/ml' })), '"aws/" is reserved'],
      [
        'model group',
        () => inStack((s) => new AwsModelRegistry(s, 'M', { naming: NAMING, accountId: ACCOUNT, region: REGION, physicalName: 'team_models' })),
        'SageMaker model package group name of 1-63',
      ],
      [
        'tracking server',
        () =>
          inStack((s) => {
            const store = new AwsArtifactStore(s, 'S', { naming: NAMING, customerManagedKey: false });
            return new AwsMlWorkspace(s, 'W', {
              naming: NAMING,
              region: REGION,
              customerManagedKey: false,
              artifactStore: store,
              executionRole: AwsWorkloadIdentity.fromRoleArn(s, 'R', ROLE_ARN),
              trackingServer: true,
              physicalName: 'x'.repeat(64),
            });
          }),
        'SageMaker MLflow tracking server name of 1-63',
      ],
      ['network', () => inStack((s) => new AwsNetwork(s, 'N', { naming: NAMING, region: REGION, physicalName: 'n'.repeat(201) })), '1-200 characters'],
      [
        'CI role',
        () =>
          inStack((s) => {
            const platform = new AwsMlPlatform(s, 'Platform', BASE);
            return new AwsGithubCiIdentity(s, 'Ci', { repository: 'contoso/ml', branches: ['main'], platform, naming: NAMING, accountId: ACCOUNT, physicalName: 'team ml' });
          }),
        'IAM role name of 1-64',
      ],
    ];
    for (const [label, fn, expected] of cases) {
      const issues = issuesOf(fn);
      expect([label, issues.length]).toEqual([label, 1]);
      expect([label, issues[0]!.message]).toEqual([label, expect.stringContaining("'physicalName'")]);
      expect([label, issues[0]!.message]).toEqual([label, expect.stringContaining(expected)]);
    }
  });
});

/** A training job as the release step's constructs expose it. */
class StandInJob extends Construct implements ITrainingJob {
  public readonly cloud: Cloud = 'aws';
  public readonly jobName = 'contoso-mlops-dev-bike-demand-0123456789ab';
  public readonly modelName = 'bike-demand';
  public readonly modelVersion = '0123456789ab';
  public readonly modelUri = 'model://bike-demand';
  public readonly revision = '0123456789ab';
  public readonly trained: ITerraformDependable;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.trained = new DataResource(this, 'Trained', { input: { jobName: this.jobName } });
  }
}

/** A scoring endpoint stand-in. */
class StandInEndpoint extends Construct implements IScoringEndpoint {
  public readonly cloud: Cloud = 'aws';
  public readonly endpointName = 'contoso-mlops-dev-bike-demand';
  public readonly endpointUrl = 'https://scoring.example.com';
  public readonly endpointId = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/contoso-mlops-dev-bike-demand`;
  public readonly modelVersion = '0123456789ab';
  public readonly deployed: ITerraformDependable;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.deployed = new DataResource(this, 'Rollout', { input: { release: this.endpointName } });
  }
}

describe('GIVEN an imported bucket or repository WHEN its encryptionKey is not an AWS key', () => {
  const azureLike = { cloud: 'azure', keyId: 'https://vault/keys/k', node: { path: 'stack/AzureKey' } };
  test.each([
    [
      'bucket',
      (scope: Construct, key: unknown) => AwsArtifactStore.fromExisting(scope, 'Bucket', { bucketName: 'lz-ml-data', encryptionKey: key as AwsEncryptionKey }),
      'or unset for SSE-S3',
    ],
    [
      'repository',
      (scope: Construct, key: unknown) => AwsImageRegistry.fromExisting(scope, 'Repo', { repositoryArn: REPO_ARN, encryptionKey: key as AwsEncryptionKey }),
      'or unset for AES256',
    ],
  ])('THEN the %s import fails naming encryptionKey, the value and the fix', (_what, build, fix) => {
    for (const [key, shown] of [
      [azureLike, 'stack/AzureKey'],
      ['arn:aws:kms:eu-west-1:123456789012:key/abc', 'arn:aws:kms:eu-west-1:123456789012:key/abc'],
    ] as const) {
      const stack = new TerraformStack(Testing.app(), 'imports');
      new AwsProvider(stack, 'aws', { region: REGION });
      let err: unknown;
      try {
        build(stack, key);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MlopsValidationError);
      const issue = (err as MlopsValidationError).issues[0]!;
      expect(issue.code).toBe(ErrorCode.PROP_INVALID);
      expect(issue.message).toContain('encryptionKey');
      expect(issue.message).toContain(shown);
      expect(issue.message).toContain(`AwsEncryptionKey.fromKeyArn(...)`);
      expect(issue.message).toContain(fix);
    }
  });
});
