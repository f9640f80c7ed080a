import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { EcrRepository, EcrRepositoryConfig } from '@cdktf/provider-aws/lib/ecr-repository';
import { IamAccessKey } from '@cdktf/provider-aws/lib/iam-access-key';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { KmsKeyPolicy } from '@cdktf/provider-aws/lib/kms-key-policy';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration, S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { SagemakerEndpointConfiguration } from '@cdktf/provider-aws/lib/sagemaker-endpoint-configuration';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { SagemakerModel } from '@cdktf/provider-aws/lib/sagemaker-model';
import { SagemakerPipeline } from '@cdktf/provider-aws/lib/sagemaker-pipeline';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { TerraformData } from '../lib/deploy/terraform-data';
import { Fn, TerraformStack, Testing } from 'cdktf';
import { applyPolicyPack, POLICY_RULES, PolicyPackOptions, PolicyReport } from '../lib/policy';

/**
 * Every AWS rule: a deliberately bad construct (plain provider resources with
 * the setting wrong) is caught with the rule's id on the right construct path,
 * and the good setting passes that rule.
 */

const STACK = 'policy';

function run(build: (stack: TerraformStack) => void, options: PolicyPackOptions = {}): PolicyReport {
  const app = Testing.app();
  const stack = new TerraformStack(app, STACK);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  build(stack);
  const pack = applyPolicyPack(stack, { ...options, log: () => undefined });
  Testing.synth(stack);
  return pack.check();
}

const doc = (...statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (Action: unknown, Resource: unknown, extra: object = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });

function bucket(s: TerraformStack, id = 'Bucket'): S3Bucket {
  return new S3Bucket(s, id, { bucket: 'contoso-artifacts' });
}

function key(s: TerraformStack): KmsKey {
  return new KmsKey(s, 'Key', { enableKeyRotation: true, policy: doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }) });
}

function publicAccessBlock(
  s: TerraformStack,
  b: S3Bucket,
  flags: Partial<Record<'blockPublicAcls' | 'blockPublicPolicy' | 'ignorePublicAcls' | 'restrictPublicBuckets', boolean>> = {},
) {
  return new S3BucketPublicAccessBlock(s, 'PublicAccessBlock', {
    bucket: b.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
    ...flags,
  });
}

function encryption(s: TerraformStack, b: S3Bucket, algorithm: string) {
  return new S3BucketServerSideEncryptionConfigurationA(s, 'Encryption', {
    bucket: b.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: algorithm, kmsMasterKeyId: algorithm === 'aws:kms' ? key(s).arn : undefined } }],
  });
}

function lifecycle(s: TerraformStack, b: S3Bucket, rule: Partial<S3BucketLifecycleConfigurationRule>) {
  return new S3BucketLifecycleConfiguration(s, 'Lifecycle', { bucket: b.id, rule: [{ id: 'r', status: 'Enabled', filter: [{ prefix: '' }], ...rule }] });
}

const TLS_DENY = {
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: ['arn:aws:s3:::contoso-artifacts', 'arn:aws:s3:::contoso-artifacts/*'],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};

function repo(s: TerraformStack, config: Partial<EcrRepositoryConfig>) {
  return new EcrRepository(s, 'Repo', {
    name: 'runtime',
    imageScanningConfiguration: { scanOnPush: true },
    imageTagMutability: 'IMMUTABLE',
    encryptionConfiguration: [{ encryptionType: 'KMS' }],
    ...config,
  });
}

function rolePolicy(s: TerraformStack, policy: string) {
  const role = new IamRole(s, 'Role', { name: 'r', assumeRolePolicy: doc({ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }) });
  return new IamRolePolicy(s, 'Policy', { role: role.name, policy });
}

function githubRole(s: TerraformStack, condition: object | undefined) {
  const oidc = new IamOpenidConnectProvider(s, 'GitHub', { url: 'https://token.actions.githubusercontent.com', clientIdList: ['sts.amazonaws.com'] });
  return new IamRole(s, 'Role', {
    name: 'ci',
    assumeRolePolicy: doc({ Effect: 'Allow', Principal: { Federated: oidc.arn }, Action: 'sts:AssumeRoleWithWebIdentity', ...(condition ? { Condition: condition } : {}) }),
  });
}

const PINNED_GITHUB = {
  StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
  StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:contoso/mlops:ref:refs/heads/main', 'repo:contoso/mlops:environment:prod'] },
};

// Deploy readiness ----------------------------------------------------------------------------
const ADMIN = 'arn:aws:iam::123456789012:role/Admin';
const DEPLOYERS: PolicyPackOptions = { deployers: [ADMIN] };
const PRIVATE: PolicyPackOptions = { networkMode: 'private', deployers: [ADMIN] };
const OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'];

/** The guard as it was before issue 11: only the workload role is exempt, so it catches whoever runs Terraform. */
function networkGuard(b: S3Bucket, exempt: string[]) {
  return {
    Sid: 'DenyDataAccessOutsideAllowedNetworks',
    Effect: 'Deny',
    Principal: '*',
    Action: OBJECT_ACTIONS,
    Resource: [b.arn, `${b.arn}/*`],
    Condition: { Bool: { 'aws:ViaAWSService': 'false' }, NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24'] }, ArnNotEquals: { 'aws:PrincipalArn': exempt } },
  };
}

function workloadRole(s: TerraformStack): IamRole {
  return new IamRole(s, 'Workload', { name: 'workload', assumeRolePolicy: doc({ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }) });
}

/** A bucket with SSE-KMS and a guard exempting `exempt`, and the object Terraform writes to it (depending on `dependsOn`). */
function objectStack(s: TerraformStack, o: { exempt: string[]; dependsOn: ('sse' | 'policy')[] }) {
  const b = bucket(s);
  const sse = encryption(s, b, 'aws:kms');
  const policy = new S3BucketPolicy(s, 'Policy', { bucket: b.id, policy: doc(networkGuard(b, o.exempt)) });
  const deps = o.dependsOn.map((d) => (d === 'sse' ? sse : policy));
  new S3Object(s, 'Object', { bucket: b.bucket, key: 'datasets/hour.csv', content: 'a,b', dependsOn: deps });
}

function model(s: TerraformStack, vpc: boolean) {
  new SagemakerModel(s, 'Model', {
    executionRoleArn: 'arn:aws:iam::123456789012:role/workload',
    primaryContainer: { image: 'x' },
    enableNetworkIsolation: true,
    vpcConfig: vpc ? { subnets: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] } : undefined,
  });
}

function trainingStep(s: TerraformStack, vpc: boolean) {
  new TerraformData(s, 'Step', {
    input: {
      cloud: 'aws',
      kind: 'training',
      aws: { region: 'eu-west-1', ...(vpc ? { vpc: { subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] } } : {}) },
    },
  });
}

function vpcWith(s: TerraformStack, services: string[]) {
  const vpc = new Vpc(s, 'Vpc', { cidrBlock: '10.40.0.0/16', enableDnsSupport: true, enableDnsHostnames: true });
  for (const svc of services) {
    new VpcEndpoint(s, `E-${svc}`, {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.eu-west-1.${svc}`,
      vpcEndpointType: svc === 's3' ? 'Gateway' : 'Interface',
      privateDnsEnabled: svc === 's3' ? undefined : true,
    });
  }
}

/** A SageMaker pipeline of one Processing step with the network isolation and environment given. */
function pipelineWith(s: TerraformStack, isolation: boolean, environment: Record<string, string> = {}): SagemakerPipeline {
  const step = {
    Name: 'train',
    Type: 'Processing',
    Arguments: {
      AppSpecification: { ImageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime@sha256:ab' },
      Environment: environment,
      NetworkConfig: { EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: isolation },
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 30 } },
      RoleArn: 'arn:aws:iam::123456789012:role/workload',
    },
  };
  return new SagemakerPipeline(s, 'Pipeline', {
    pipelineName: 'p',
    pipelineDisplayName: 'p',
    roleArn: 'arn:aws:iam::123456789012:role/pipeline',
    pipelineDefinition: JSON.stringify({ Version: '2020-12-01', Steps: [step] }),
  });
}
const TRACKING = { MLFLOW_TRACKING_URI: 'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/t', MLFLOW_EXPERIMENT_NAME: 'p' };

interface Case {
  readonly rule: string;
  readonly name: string;
  /** The construct path (under the stack) the violation is reported on. */
  readonly path: string;
  readonly bad: (s: TerraformStack) => void;
  readonly good: (s: TerraformStack) => void;
  /** How the stack is deployed (network mode, deployers), for the deploy-readiness rules. */
  readonly options?: PolicyPackOptions;
}

const CASES: Case[] = [
  // Key management
  {
    rule: 'CKV_AWS_7',
    name: 'rotation off',
    path: 'Key',
    bad: (s) => new KmsKey(s, 'Key', { enableKeyRotation: false }),
    good: (s) => new KmsKey(s, 'Key', { enableKeyRotation: true }),
  },
  {
    rule: 'CKV_AWS_7',
    name: 'rotation not set',
    path: 'Key',
    bad: (s) => new KmsKey(s, 'Key', {}),
    good: (s) => new KmsKey(s, 'Key', { customerMasterKeySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }),
  },
  { rule: 'CKV2_AWS_64', name: 'no key policy', path: 'Key', bad: (s) => new KmsKey(s, 'Key', { enableKeyRotation: true }), good: (s) => key(s) },
  {
    rule: 'CKV2_AWS_64',
    name: 'policy in aws_kms_key_policy',
    path: 'Key',
    bad: (s) => new KmsKey(s, 'Key', { enableKeyRotation: true }),
    good: (s) => {
      const k = new KmsKey(s, 'Key', { enableKeyRotation: true });
      new KmsKeyPolicy(s, 'KeyPolicy', { keyId: k.keyId, policy: doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }) });
    },
  },
  {
    rule: 'CKV_AWS_33',
    name: 'key policy open to "*"',
    path: 'Key',
    bad: (s) => new KmsKey(s, 'Key', { enableKeyRotation: true, policy: doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }) }),
    good: (s) =>
      new KmsKey(s, 'Key', {
        enableKeyRotation: true,
        policy: doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': '123456789012' } } }),
      }),
  },
  {
    rule: 'CKV_AWS_33',
    name: 'aws_kms_key_policy open to {"AWS": "*"}',
    path: 'KeyPolicy',
    bad: (s) => new KmsKeyPolicy(s, 'KeyPolicy', { keyId: 'k', policy: doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' }) }),
    good: (s) =>
      new KmsKeyPolicy(s, 'KeyPolicy', { keyId: 'k', policy: doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }) }),
  },
  // S3
  { rule: 'CKV2_AWS_6', name: 'no public access block', path: 'Bucket', bad: (s) => bucket(s), good: (s) => publicAccessBlock(s, bucket(s)) },
  {
    rule: 'CKV_AWS_53',
    name: 'block_public_acls false',
    path: 'PublicAccessBlock',
    bad: (s) => publicAccessBlock(s, bucket(s), { blockPublicAcls: false }),
    good: (s) => publicAccessBlock(s, bucket(s)),
  },
  {
    rule: 'CKV_AWS_54',
    name: 'block_public_policy false',
    path: 'PublicAccessBlock',
    bad: (s) => publicAccessBlock(s, bucket(s), { blockPublicPolicy: false }),
    good: (s) => publicAccessBlock(s, bucket(s)),
  },
  {
    rule: 'CKV_AWS_55',
    name: 'ignore_public_acls false',
    path: 'PublicAccessBlock',
    bad: (s) => publicAccessBlock(s, bucket(s), { ignorePublicAcls: false }),
    good: (s) => publicAccessBlock(s, bucket(s)),
  },
  {
    rule: 'CKV_AWS_56',
    name: 'restrict_public_buckets false',
    path: 'PublicAccessBlock',
    bad: (s) => publicAccessBlock(s, bucket(s), { restrictPublicBuckets: false }),
    good: (s) => publicAccessBlock(s, bucket(s)),
  },
  { rule: 'CKV_AWS_19', name: 'no encryption configuration', path: 'Bucket', bad: (s) => bucket(s), good: (s) => encryption(s, bucket(s), 'AES256') },
  { rule: 'CKV_AWS_145', name: 'SSE-S3 instead of KMS', path: 'Encryption', bad: (s) => encryption(s, bucket(s), 'AES256'), good: (s) => encryption(s, bucket(s), 'aws:kms') },
  { rule: 'CKV_AWS_145', name: 'no encryption configuration', path: 'Bucket', bad: (s) => bucket(s), good: (s) => encryption(s, bucket(s), 'aws:kms:dsse') },
  {
    rule: 'CKV_AWS_21',
    name: 'no versioning',
    path: 'Bucket',
    bad: (s) => bucket(s),
    good: (s) => new S3BucketVersioningA(s, 'Versioning', { bucket: bucket(s).id, versioningConfiguration: { status: 'Enabled' } }),
  },
  {
    rule: 'CKV_AWS_21',
    name: 'versioning suspended (bucket named literally)',
    path: 'Versioning',
    bad: (s) => {
      bucket(s);
      new S3BucketVersioningA(s, 'Versioning', { bucket: 'contoso-artifacts', versioningConfiguration: { status: 'Suspended' } });
    },
    good: (s) => {
      bucket(s);
      new S3BucketVersioningA(s, 'Versioning', { bucket: 'contoso-artifacts', versioningConfiguration: { status: 'Enabled' } });
    },
  },
  {
    rule: 'CKV2_AWS_65',
    name: 'ObjectWriter ownership',
    path: 'Ownership',
    bad: (s) => new S3BucketOwnershipControls(s, 'Ownership', { bucket: bucket(s).id, rule: { objectOwnership: 'ObjectWriter' } }),
    good: (s) => new S3BucketOwnershipControls(s, 'Ownership', { bucket: bucket(s).id, rule: { objectOwnership: 'BucketOwnerEnforced' } }),
  },
  {
    rule: 'CKV2_AWS_65',
    name: 'no ownership controls',
    path: 'Bucket',
    bad: (s) => bucket(s),
    good: (s) => new S3BucketOwnershipControls(s, 'Ownership', { bucket: bucket(s).id, rule: { objectOwnership: 'BucketOwnerEnforced' } }),
  },
  {
    rule: 'AwsSolutions-S10',
    name: 'no bucket policy',
    path: 'Bucket',
    bad: (s) => bucket(s),
    good: (s) => new S3BucketPolicy(s, 'Policy', { bucket: bucket(s).id, policy: doc(TLS_DENY) }),
  },
  {
    rule: 'AwsSolutions-S10',
    name: 'policy without the TLS deny',
    path: 'Bucket',
    bad: (s) => new S3BucketPolicy(s, 'Policy', { bucket: bucket(s).id, policy: doc({ ...TLS_DENY, Condition: { Bool: { 'aws:ViaAWSService': 'false' } } }) }),
    good: (s) => {
      const b = bucket(s);
      new S3BucketPolicy(s, 'Policy', { bucket: b.id, policy: doc({ ...TLS_DENY, Resource: [b.arn, `${b.arn}/*`] }) });
    },
  },
  {
    rule: 'CKV_AWS_70',
    name: 'bucket policy allows "*"',
    path: 'Policy',
    bad: (s) =>
      new S3BucketPolicy(s, 'Policy', {
        bucket: bucket(s).id,
        policy: doc(TLS_DENY, { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::contoso-artifacts/*' }),
      }),
    good: (s) =>
      new S3BucketPolicy(s, 'Policy', {
        bucket: bucket(s).id,
        policy: doc(TLS_DENY, {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::contoso-artifacts/*',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } },
        }),
      }),
  },
  {
    rule: 'CKV2_AWS_61',
    name: 'no lifecycle configuration',
    path: 'Bucket',
    bad: (s) => bucket(s),
    good: (s) => lifecycle(s, bucket(s), { abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] }),
  },
  {
    rule: 'CKV_AWS_300',
    name: 'no abort of incomplete uploads',
    path: 'Lifecycle',
    bad: (s) => lifecycle(s, bucket(s), { noncurrentVersionExpiration: [{ noncurrentDays: 90 }] }),
    good: (s) => lifecycle(s, bucket(s), { abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] }),
  },
  {
    rule: 'CKV_AWS_300',
    name: 'abort only under a prefix',
    path: 'Lifecycle',
    bad: (s) => lifecycle(s, bucket(s), { filter: [{ prefix: 'tmp/' }], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] }),
    good: (s) => lifecycle(s, bucket(s), { filter: [{}], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] }),
  },
  // ECR
  { rule: 'CKV_AWS_163', name: 'scan on push off', path: 'Repo', bad: (s) => repo(s, { imageScanningConfiguration: { scanOnPush: false } }), good: (s) => repo(s, {}) },
  { rule: 'CKV_AWS_51', name: 'mutable tags', path: 'Repo', bad: (s) => repo(s, { imageTagMutability: 'MUTABLE' }), good: (s) => repo(s, {}) },
  { rule: 'CKV_AWS_136', name: 'AES256 encryption', path: 'Repo', bad: (s) => repo(s, { encryptionConfiguration: [{ encryptionType: 'AES256' }] }), good: (s) => repo(s, {}) },
  // Logs and SageMaker
  {
    rule: 'CKV_AWS_158',
    name: 'log group without KMS',
    path: 'Logs',
    bad: (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 365 }),
    good: (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 365, kmsKeyId: key(s).arn }),
  },
  {
    rule: 'CKV_AWS_338',
    name: '30-day retention',
    path: 'Logs',
    bad: (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 30 }),
    good: (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 400 }),
  },
  {
    rule: 'CKV_AWS_98',
    name: 'endpoint configuration without KMS',
    path: 'EndpointConfig',
    bad: (s) =>
      new SagemakerEndpointConfiguration(s, 'EndpointConfig', {
        productionVariants: [{ modelName: 'm', variantName: 'blue', instanceType: 'ml.m5.large', initialInstanceCount: 1 }],
      }),
    good: (s) =>
      new SagemakerEndpointConfiguration(s, 'EndpointConfig', {
        kmsKeyArn: key(s).arn,
        productionVariants: [{ modelName: 'm', variantName: 'blue', instanceType: 'ml.m5.large', initialInstanceCount: 1 }],
      }),
  },
  // IAM
  {
    rule: 'CKV_AWS_62',
    name: 'administrator policy',
    path: 'Admin',
    bad: (s) => new IamPolicy(s, 'Admin', { name: 'admin', policy: doc(allow('*', '*')) }),
    good: (s) => new IamPolicy(s, 'Admin', { name: 'admin', policy: doc(allow('s3:GetObject', 'arn:aws:s3:::contoso-artifacts/*')) }),
  },
  {
    rule: 'CKV_AWS_63',
    name: 'Action "*"',
    path: 'Policy',
    bad: (s) => rolePolicy(s, doc(allow('*', 'arn:aws:s3:::b'))),
    good: (s) => rolePolicy(s, doc(allow('s3:ListBucket', 'arn:aws:s3:::b'))),
  },
  {
    rule: 'CKV_AWS_63',
    name: 'Allow with NotAction',
    path: 'Policy',
    bad: (s) => rolePolicy(s, doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::b' })),
    good: (s) => rolePolicy(s, doc({ Effect: 'Deny', NotAction: 's3:GetObject', Resource: 'arn:aws:s3:::b' })),
  },
  {
    rule: 'CKV_AWS_63',
    name: 'Action "*" inline on the role, written with Fn.jsonencode',
    path: 'Role',
    bad: (s) =>
      new IamRole(s, 'Role', {
        name: 'r',
        assumeRolePolicy: doc({ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }),
        inlinePolicy: [{ name: 'p', policy: Fn.jsonencode({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: key(s).arn }] }) }],
      }),
    good: (s) =>
      new IamRole(s, 'Role', {
        name: 'r',
        assumeRolePolicy: doc({ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }),
        inlinePolicy: [{ name: 'p', policy: Fn.jsonencode({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: key(s).arn }] }) }],
      }),
  },
  {
    rule: 'CKV_AWS_63',
    name: 'a policy the pack cannot read',
    path: 'Policy',
    bad: (s) => rolePolicy(s, '${file("policy.json")}'),
    good: (s) => rolePolicy(s, doc(allow('s3:ListBucket', 'arn:aws:s3:::b'))),
  },
  {
    rule: 'MLOPS_AWS_IAM_SERVICE_WILDCARD',
    name: '"s3:*" through an aws_iam_policy_document',
    path: 'Policy',
    bad: (s) => rolePolicy(s, new DataAwsIamPolicyDocument(s, 'Doc', { statement: [{ actions: ['s3:*'], resources: ['arn:aws:s3:::b'] }] }).json),
    good: (s) => rolePolicy(s, new DataAwsIamPolicyDocument(s, 'Doc', { statement: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }] }).json),
  },
  {
    rule: 'CKV_AWS_355',
    name: 'scoped action on "*"',
    path: 'Policy',
    bad: (s) => rolePolicy(s, doc(allow(['ecr:GetAuthorizationToken', 's3:GetObject'], '*'))),
    good: (s) => rolePolicy(s, doc(allow(['ecr:GetAuthorizationToken', 'cloudwatch:PutMetricData'], '*'))),
  },
  {
    rule: 'CKV_AWS_355',
    name: 'scoped action on "*" next to the CI role\'s documented unscoped reads',
    path: 'Policy',
    bad: (s) => rolePolicy(s, doc(allow(['application-autoscaling:DescribeScalableTargets', 'sagemaker:DescribeTrainingJob'], '*'))),
    good: (s) => rolePolicy(s, doc(allow(['application-autoscaling:DescribeScalableTargets', 'kms:ListAliases', 'sagemaker:ListTrainingJobs'], '*'))),
  },
  {
    rule: 'CKV_AWS_274',
    name: 'AdministratorAccess attached',
    path: 'Attachment',
    bad: (s) => new IamRolePolicyAttachment(s, 'Attachment', { role: 'r', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
    good: (s) => new IamRolePolicyAttachment(s, 'Attachment', { role: 'r', policyArn: new IamPolicy(s, 'Own', { policy: doc(allow('s3:GetObject', 'arn:aws:s3:::b/*')) }).arn }),
  },
  {
    rule: 'AwsSolutions-IAM4',
    name: 'AWS managed policy attached',
    path: 'Role',
    bad: (s) =>
      new IamRole(s, 'Role', {
        name: 'r',
        assumeRolePolicy: doc({ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }),
        managedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSageMakerFullAccess'],
      }),
    good: (s) =>
      new IamRole(s, 'Role', {
        name: 'r',
        assumeRolePolicy: doc({ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }),
        managedPolicyArns: ['arn:aws:iam::123456789012:policy/own'],
      }),
  },
  {
    rule: 'MLOPS_AWS_NO_ACCESS_KEY',
    name: 'access key for a user',
    path: 'Key',
    bad: (s) => new IamAccessKey(s, 'Key', { user: new IamUser(s, 'User', { name: 'ci' }).name }),
    good: (s) => new IamUser(s, 'User', { name: 'ci' }),
  },
  {
    rule: 'CKV_AWS_60',
    name: 'trust policy open to "*"',
    path: 'Role',
    bad: (s) => new IamRole(s, 'Role', { name: 'r', assumeRolePolicy: doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }) }),
    good: (s) => new IamRole(s, 'Role', { name: 'r', assumeRolePolicy: doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }) }),
  },
  { rule: 'CKV_AWS_358', name: 'GitHub trust without conditions', path: 'Role', bad: (s) => githubRole(s, undefined), good: (s) => githubRole(s, PINNED_GITHUB) },
  {
    rule: 'CKV_AWS_358',
    name: 'GitHub trust for every repository of the owner',
    path: 'Role',
    bad: (s) => githubRole(s, { ...PINNED_GITHUB, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:contoso/*' } }),
    good: (s) =>
      githubRole(s, {
        ...PINNED_GITHUB,
        StringEquals: { ...PINNED_GITHUB.StringEquals, 'token.actions.githubusercontent.com:sub': 'repo:contoso/mlops:ref:refs/heads/main' },
        StringLike: undefined,
      }),
  },
  {
    rule: 'CKV_AWS_358',
    name: 'GitHub trust (issuer written out, in a policy document) without aud',
    path: 'Role',
    bad: (s) =>
      new IamRole(s, 'Role', {
        name: 'ci',
        assumeRolePolicy: new DataAwsIamPolicyDocument(s, 'Trust', {
          statement: [
            {
              actions: ['sts:AssumeRoleWithWebIdentity'],
              principals: [{ type: 'Federated', identifiers: ['arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com'] }],
              condition: [{ test: 'StringLike', variable: 'token.actions.githubusercontent.com:sub', values: ['repo:contoso/mlops:ref:refs/heads/main'] }],
            },
          ],
        }).json,
      }),
    good: (s) =>
      new IamRole(s, 'Role', {
        name: 'ci',
        assumeRolePolicy: new DataAwsIamPolicyDocument(s, 'Trust', {
          statement: [
            {
              actions: ['sts:AssumeRoleWithWebIdentity'],
              principals: [{ type: 'Federated', identifiers: ['arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com'] }],
              condition: [
                { test: 'StringLike', variable: 'token.actions.githubusercontent.com:sub', values: ['repo:contoso/mlops:ref:refs/heads/main'] },
                { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:aud', values: ['sts.amazonaws.com'] },
              ],
            },
          ],
        }).json,
      }),
  },
  {
    rule: 'MLOPS_AWS_PUBLIC_POLICY',
    name: 'topic policy open to "*"',
    path: 'TopicPolicy',
    bad: (s) =>
      new SnsTopicPolicy(s, 'TopicPolicy', {
        arn: new SnsTopic(s, 'Topic', { name: 't' }).arn,
        policy: doc({ Effect: 'Allow', Principal: '*', Action: 'sns:Publish', Resource: '*' }),
      }),
    good: (s) =>
      new SnsTopicPolicy(s, 'TopicPolicy', {
        arn: new SnsTopic(s, 'Topic', { name: 't' }).arn,
        policy: doc({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        }),
      }),
  },
  {
    rule: 'MLOPS_AWS_OPEN_INGRESS',
    name: 'security group open to the internet',
    path: 'Sg',
    bad: (s) => new SecurityGroup(s, 'Sg', { name: 'sg', ingress: [{ fromPort: 443, toPort: 443, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }] }),
    good: (s) => new SecurityGroup(s, 'Sg', { name: 'sg', ingress: [{ fromPort: 443, toPort: 443, protocol: 'tcp', cidrBlocks: ['203.0.113.0/24'] }] }),
  },
  {
    rule: 'MLOPS_AWS_OPEN_INGRESS',
    name: 'ingress rule open to ::/0',
    path: 'Ingress',
    bad: (s) => new VpcSecurityGroupIngressRule(s, 'Ingress', { securityGroupId: 'sg-1', ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv6: '::/0' }),
    good: (s) => new VpcSecurityGroupIngressRule(s, 'Ingress', { securityGroupId: 'sg-1', ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '203.0.113.7/32' }),
  },
  // Deploy readiness
  {
    rule: 'MLOPS_DEPLOY_AWS_DENY_LOCKOUT',
    name: 'a bucket deny that catches the deployer (issue 11, finding 3)',
    path: 'Policy',
    options: DEPLOYERS,
    bad: (s) => {
      const b = bucket(s);
      new S3BucketPolicy(s, 'Policy', { bucket: b.id, policy: doc(TLS_DENY, networkGuard(b, [workloadRole(s).arn])) });
    },
    good: (s) => {
      const b = bucket(s);
      new S3BucketPolicy(s, 'Policy', { bucket: b.id, policy: doc(TLS_DENY, networkGuard(b, [ADMIN, workloadRole(s).arn])) });
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AWS_DENY_LOCKOUT',
    name: 'a bucket deny that catches the workload role',
    path: 'Policy',
    bad: (s) => {
      workloadRole(s);
      const b = bucket(s);
      new S3BucketPolicy(s, 'Policy', { bucket: b.id, policy: doc(networkGuard(b, ['arn:aws:iam::123456789012:role/someone-else'])) });
    },
    good: (s) => {
      const role = workloadRole(s);
      const b = bucket(s);
      new S3BucketPolicy(s, 'Policy', { bucket: b.id, policy: doc(networkGuard(b, [role.arn])) });
    },
  },
  {
    rule: 'MLOPS_DEPLOY_AWS_DENY_LOCKOUT',
    name: 'a key policy deny outside an IP range, which catches the deployer (its address is unknown)',
    path: 'Key',
    options: DEPLOYERS,
    bad: (s) =>
      new KmsKey(s, 'Key', {
        enableKeyRotation: true,
        policy: doc(
          { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' },
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'kms:*',
            Resource: '*',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24'] }, Bool: { 'aws:ViaAWSService': 'false' } },
          },
        ),
      }),
    good: (s) =>
      new KmsKey(s, 'Key', {
        enableKeyRotation: true,
        policy: doc(
          { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' },
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'kms:*',
            Resource: '*',
            Condition: {
              NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24'] },
              Bool: { 'aws:ViaAWSService': 'false' },
              ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:role/Adm*'] },
            },
          },
        ),
      }),
  },
  {
    rule: 'MLOPS_DEPLOY_AWS_OBJECT_WRITE',
    name: 'an object written before the bucket encryption and policy',
    path: 'Object',
    options: DEPLOYERS,
    bad: (s) => objectStack(s, { exempt: [ADMIN], dependsOn: [] }),
    good: (s) => objectStack(s, { exempt: [ADMIN], dependsOn: ['sse', 'policy'] }),
  },
  {
    rule: 'MLOPS_DEPLOY_AWS_OBJECT_WRITE',
    name: 'an object in a bucket whose policy denies the deployer',
    path: 'Object',
    options: DEPLOYERS,
    bad: (s) => objectStack(s, { exempt: ['arn:aws:iam::123456789012:role/workload'], dependsOn: ['sse', 'policy'] }),
    good: (s) => objectStack(s, { exempt: ['arn:aws:iam::123456789012:role/workload', ADMIN], dependsOn: ['sse', 'policy'] }),
  },
  {
    rule: 'MLOPS_DEPLOY_AWS_PRIVATE_WORKLOAD',
    name: 'a SageMaker model outside the VPC in private mode',
    path: 'Model',
    options: PRIVATE,
    bad: (s) => model(s, false),
    good: (s) => model(s, true),
  },
  {
    rule: 'MLOPS_DEPLOY_AWS_PRIVATE_WORKLOAD',
    name: 'a training job (release step) outside the VPC in private mode',
    path: 'Step',
    options: PRIVATE,
    bad: (s) => trainingStep(s, false),
    good: (s) => trainingStep(s, true),
  },
  {
    rule: 'MLOPS_AWS_PIPELINE_STEP_NETWORK',
    name: 'a pipeline step without network isolation that records no MLflow run',
    path: 'Pipeline',
    bad: (s) => pipelineWith(s, false),
    good: (s) => pipelineWith(s, true),
  },
  {
    rule: 'MLOPS_AWS_PIPELINE_STEP_NETWORK',
    name: 'a pipeline step that records its MLflow run behind network isolation',
    path: 'Pipeline',
    bad: (s) => pipelineWith(s, true, TRACKING),
    good: (s) => pipelineWith(s, false, TRACKING),
  },
  {
    rule: 'MLOPS_DEPLOY_AWS_VPC_ENDPOINTS',
    name: 'a private VPC with only the S3 gateway endpoint',
    path: 'Vpc',
    options: PRIVATE,
    bad: (s) => vpcWith(s, ['s3']),
    good: (s) => vpcWith(s, ['s3', 'ecr.api', 'ecr.dkr', 'logs', 'sts', 'kms']),
  },
];

describe.each(CASES)('$rule: $name', (c) => {
  test('the bad construct is caught with the rule id on its path', () => {
    const report = run(c.bad, c.options);
    const hits = report.violations.filter((v) => v.ruleId === c.rule);
    expect(hits.length).toBeGreaterThan(0);
    expect([...new Set(hits.map((v) => v.path))]).toEqual([`${STACK}/${c.path}`]);
    expect(hits[0]!.found.length).toBeGreaterThan(10);
    expect(hits[0]!.fix.length).toBeGreaterThan(10);
  });

  test('the good setting passes', () => {
    const report = run(c.good, c.options);
    expect(report.violations.filter((v) => v.ruleId === c.rule)).toEqual([]);
  });
});

test('every AWS rule has a bad and a good case', () => {
  const rules = POLICY_RULES.filter((r) => r.cloud === 'aws').map((r) => r.id);
  expect([...new Set(CASES.map((c) => c.rule))].sort()).toEqual([...rules].sort());
});

test('open ingress is accepted when the config allows public network access, and says so', () => {
  const open = (s: TerraformStack) => new SecurityGroup(s, 'Sg', { name: 'sg', ingress: [{ fromPort: 443, toPort: 443, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }] });
  const report = run(open, { networkMode: 'public' });
  expect(report.violations.filter((v) => v.ruleId === 'MLOPS_AWS_OPEN_INGRESS')).toEqual([]);
  expect(report.rulesRelaxed).toContainEqual({ ruleId: 'MLOPS_AWS_OPEN_INGRESS', by: 'publicNetwork' });
  expect(report.rulesApplied).not.toContain('MLOPS_AWS_OPEN_INGRESS');
});

test('the wildcard rules leave resource policies alone: the KMS key policy may give the account root kms:* on "*"', () => {
  const report = run((s) => key(s));
  expect(report.violations).toEqual([]);
});

test('Deny statements never count as wildcard grants', () => {
  const report = run((s) => rolePolicy(s, doc({ Effect: 'Deny', Action: '*', Resource: '*' }, allow('s3:GetObject', 'arn:aws:s3:::b/*'))));
  expect(report.violations).toEqual([]);
});

describe('deploy readiness: the mode and the deployers decide', () => {
  test('GIVEN a model and a job outside any VPC WHEN the stack is firewalled THEN the private-network rules do not apply', () => {
    const report = run((s) => {
      model(s, false);
      trainingStep(s, false);
      vpcWith(s, ['s3']);
    }, DEPLOYERS);
    expect(report.violations.filter((v) => v.ruleId.startsWith('MLOPS_DEPLOY_AWS_'))).toEqual([]);
  });

  test('GIVEN a private model that does not wait for the VPC endpoints WHEN checked THEN it is caught naming the endpoint', () => {
    const report = run((s) => {
      vpcWith(s, ['s3', 'ecr.api', 'ecr.dkr', 'logs', 'sts', 'kms']);
      model(s, true);
    }, PRIVATE);
    const hits = report.violations.filter((v) => v.ruleId === 'MLOPS_DEPLOY_AWS_PRIVATE_WORKLOAD');
    expect(hits).toHaveLength(6);
    expect(hits[0]!.found).toContain('does not depend on the VPC endpoint aws_vpc_endpoint.');
  });

  test('GIVEN the transport guards (TLS, TLS 1.2) WHEN checked THEN they never count as a lockout: a TLS client never meets them', () => {
    const report = run((s) => {
      const b = bucket(s);
      new S3BucketPolicy(s, 'Policy', {
        bucket: b.id,
        policy: doc(TLS_DENY, { ...TLS_DENY, Sid: 'DenyTlsBelow12', Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } }),
      });
    }, DEPLOYERS);
    expect(report.violations.filter((v) => v.ruleId.startsWith('MLOPS_DEPLOY_')).map((v) => v.found)).toEqual([]);
  });

  test('GIVEN the lockout WHEN caught THEN the finding names the statement, the actions and the deployer', () => {
    const report = run((s) => {
      const b = bucket(s);
      new S3BucketPolicy(s, 'Policy', { bucket: b.id, policy: doc(networkGuard(b, [])) });
    }, DEPLOYERS);
    const [hit] = report.violations.filter((v) => v.ruleId === 'MLOPS_DEPLOY_AWS_DENY_LOCKOUT');
    expect(hit!.found).toBe(
      `policy statement 1 ("DenyDataAccessOutsideAllowedNetworks") denies s3:PutObject, s3:GetObject to the deployer ${ADMIN}: none of its conditions exempts it`,
    );
    expect(hit!.fix).toContain('ArnNotEquals aws:PrincipalArn');
  });
});
