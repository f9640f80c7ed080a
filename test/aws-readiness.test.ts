import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { AwsArtifactStore, AwsEncryptionKey, AwsMlPlatform, AwsWorkloadIdentity } from '../lib/aws';
import { loadConfig } from '../lib/config';
import { TrainingDataUpload } from '../lib/deploy/training-data';
import { applyPolicyPack, PolicyViolationError } from '../lib/policy';
import { MlPlatformStack } from '../lib/stack';

/**
 * The AWS deploy-readiness rules on the library's own constructs and on the
 * shipped configs: the rule that would have caught finding 3 catches the
 * bucket guard as it was, and dev-aws / prod-aws pass every rule.
 */

const CONFIG_DIR = path.join(__dirname, '..', 'stacks', 'config');
const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const ACCOUNT = '123456789012';
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const DATA = path.resolve(__dirname, '..', 'examples', 'demand-forecast', 'data', 'hour.csv');

function violations(build: (stack: TerraformStack) => void, deployers: string[]): { ruleId: string; path: string; found: string }[] {
  const stack = new TerraformStack(Testing.app(), 'readiness');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  build(stack);
  applyPolicyPack(stack, { deployers, log: () => undefined });
  try {
    Testing.synth(stack, true);
  } catch (e) {
    if (e instanceof PolicyViolationError) return e.report.violations.filter((v) => v.ruleId.startsWith('MLOPS_DEPLOY_'));
    throw e;
  }
  return [];
}

function shipped(name: string): { stack: MlPlatformStack; json: Record<string, any> } {
  const stack = new MlPlatformStack(Testing.app(), name, { config: loadConfig(path.join(CONFIG_DIR, `${name}.yaml`)) });
  return { stack, json: JSON.parse(Testing.synth(stack)) };
}

describe('the readiness rules on the library constructs', () => {
  test('GIVEN the bucket guard as it was (only the workload role exempt) and a deployer uploading data WHEN synthesized THEN MLOPS_DEPLOY_AWS_DENY_LOCKOUT and MLOPS_DEPLOY_AWS_OBJECT_WRITE fail synth', () => {
    const found = violations(
      (stack) => {
        const key = new AwsEncryptionKey(stack, 'Key', { naming: NAMING, accountId: ACCOUNT, region: 'eu-west-1' });
        const identity = new AwsWorkloadIdentity(stack, 'Identity', { naming: NAMING, accountId: ACCOUNT, region: 'eu-west-1' });
        const store = new AwsArtifactStore(stack, 'Store', { naming: NAMING, encryptionKey: key });
        store.grantReadWrite(identity);
        new TrainingDataUpload(stack, 'Data', { artifactStore: store, key: 'datasets/hour.csv', source: DATA });
      },
      [ADMIN],
    );
    expect(found.map((v) => [v.ruleId, v.path]).sort()).toEqual([
      ['MLOPS_DEPLOY_AWS_DENY_LOCKOUT', 'readiness/Store/Policy'],
      ['MLOPS_DEPLOY_AWS_OBJECT_WRITE', 'readiness/Data/Resource'],
    ]);
    for (const v of found) expect(v.found).toContain(`to the deployer ${ADMIN}`);
  });

  test('GIVEN the platform with its deployers and the upload WHEN synthesized THEN no readiness rule fires', () => {
    const found = violations(
      (stack) => {
        const platform = new AwsMlPlatform(stack, 'Platform', { naming: NAMING, accountId: ACCOUNT, region: 'eu-west-1', deployers: [ADMIN] });
        new TrainingDataUpload(stack, 'Data', { artifactStore: platform.artifactStore, key: 'datasets/hour.csv', source: DATA });
      },
      [ADMIN],
    );
    expect(found).toEqual([]);
  });
});

describe('stacks/config/prod-aws.yaml: private mode', () => {
  const { stack, json } = shipped('prod-aws');
  const r = (type: string): Record<string, any>[] => Object.values(json.resource[type] ?? {});

  test('GIVEN prod-aws WHEN synthesized THEN it passes the policy pack (every readiness rule included) in private mode with the named deployer and CI', () => {
    expect(stack.policy.options.networkMode).toBe('private');
    const report = stack.policy.check();
    expect(report.violations).toEqual([]);
    expect(report.rulesApplied).toEqual(
      expect.arrayContaining([
        'MLOPS_DEPLOY_AWS_DENY_LOCKOUT',
        'MLOPS_DEPLOY_AWS_OBJECT_WRITE',
        'MLOPS_DEPLOY_AWS_PRIVATE_WORKLOAD',
        'MLOPS_DEPLOY_AWS_VPC_ENDPOINTS',
        'MLOPS_DEPLOY_CYCLE',
      ]),
    );
  });

  test('GIVEN prod-aws WHEN synthesized THEN a VPC with two private subnets and every endpoint, no internet path; the job and the model run in it', () => {
    expect(r('aws_vpc')).toHaveLength(1);
    expect(r('aws_subnet').map((s) => s.cidr_block)).toEqual(['10.40.0.0/20', '10.40.16.0/20']);
    expect(
      r('aws_vpc_endpoint')
        .map((e) => String(e.service_name).replace('com.amazonaws.eu-west-1.', ''))
        .sort(),
    ).toEqual(['ecr.api', 'ecr.dkr', 'kms', 'logs', 'monitoring', 's3', 'sagemaker.api', 'sagemaker.runtime', 'sts']);
    for (const type of ['aws_internet_gateway', 'aws_nat_gateway']) expect(json.resource[type]).toBeUndefined();
    expect(r('aws_sagemaker_model')[0]!.vpc_config.subnets).toHaveLength(2);
    expect(r('terraform_data')[0]!.input.aws.vpc.subnetIds).toHaveLength(2);
  });

  test('GIVEN prod-aws WHEN synthesized THEN the bucket guard lets the deployer, the CI role and the S3 gateway endpoint through', () => {
    const policy = JSON.parse(r('aws_s3_bucket_policy')[0]!.policy);
    const guard = policy.Statement.find((s: any) => s.Sid === 'DenyDataAccessOutsideAllowedNetworks');
    const exempt: string[] = guard.Condition.ArnNotEquals['aws:PrincipalArn'];
    expect(exempt).toContain('arn:aws:iam::123456789012:role/PlatformAdmin');
    expect(exempt.some((a) => /^\$\{aws_iam_role\.Ci_Role_[0-9A-F]+\.arn\}$/.test(a))).toBe(true);
    expect(guard.Condition.StringNotEquals['aws:SourceVpce']).toEqual([expect.stringMatching(/^\$\{aws_vpc_endpoint\.Platform_Network_S3_[0-9A-F]+\.id\}$/)]);
  });

  test('GIVEN prod-aws WHEN synthesized THEN the endpoint keeps its 25% canary on 2-4 instances, CI has its network and state policies and a 6-hour session', () => {
    const endpoint = r('aws_sagemaker_endpoint')[0]!;
    expect(endpoint.deployment_config.blue_green_update_policy.traffic_routing_configuration.type).toBe('CANARY');
    const names = r('aws_iam_policy')
      .map((p) => p.name)
      .sort();
    expect(names).toEqual([
      'contoso-mlops-prod-ci-alerts',
      'contoso-mlops-prod-ci-deploy',
      'contoso-mlops-prod-ci-iam',
      'contoso-mlops-prod-ci-network',
      'contoso-mlops-prod-ci-release',
      'contoso-mlops-prod-ci-state',
    ]);
    expect(r('aws_iam_role').find((x) => x.name === 'contoso-mlops-prod-github-ci')!.max_session_duration).toBe(21600);
    expect(json.terraform.backend.s3).toMatchObject({ bucket: 'contoso-mlops-tfstate', key: 'mlops/prod-aws.tfstate', encrypt: true, use_lockfile: true });
  });
});

describe('stacks/config/dev-aws.yaml: firewalled mode', () => {
  const { stack, json } = shipped('dev-aws');

  test('GIVEN dev-aws WHEN synthesized THEN it passes the pack, creates no network, and the one-instance endpoint updates all at once without a warning', () => {
    expect(stack.policy.check().violations).toEqual([]);
    expect(json.resource.aws_vpc).toBeUndefined();
    const endpoint = Object.values(json.resource.aws_sagemaker_endpoint)[0] as any;
    expect(endpoint.deployment_config.blue_green_update_policy.traffic_routing_configuration.type).toBe('ALL_AT_ONCE');
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
    expect(warnings.filter((w) => w.startsWith('rollout:'))).toEqual([]);
  });
});
