import * as path from 'path';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { AwsMlPlatform, AwsMlPlatformProps } from '../lib/aws';
import { AwsGithubCiIdentity } from '../lib/ci/aws';
import { CI_AWS_EVENT_RULE_ACTIONS } from '../lib/ci/aws-perms';
import { MlopsValidationError } from '../lib/core/errors';
import { isIpv4Cidr } from '../lib/core/network';
import { TrainingDataUpload } from '../lib/deploy/training-data';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

/**
 * Issue 11, AWS: what blocked `cdktf deploy` (the bucket policy locked out the
 * deployer and CI; the CI role could not refresh the event rule or the data
 * object; its session was shorter than a deploy) and the hardening of the
 * training-data upload order.
 */

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const ACCOUNT = '123456789012';
const BASE: AwsMlPlatformProps = { naming: NAMING, accountId: ACCOUNT, region: 'eu-west-1' };
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const DATA = path.resolve(__dirname, '..', 'examples', 'demand-forecast', 'data', 'hour.csv');

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

function bucketPolicy(json: SynthJson): Statement[] {
  return JSON.parse(onlyResource(json, 'aws_s3_bucket_policy').policy).Statement;
}

function guard(json: SynthJson): Statement {
  return bucketPolicy(json).find((s) => s.Sid === 'DenyDataAccessOutsideAllowedNetworks')!;
}

/** A request as the bucket policy's conditions see it. */
interface Request {
  readonly principalArn: string;
  readonly sourceIp?: string;
  readonly viaAwsService?: boolean;
  readonly sourceVpce?: string;
}

function inCidr(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits ?? 32));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base!) / size);
}

/**
 * Whether the deny statement applies to a request: every condition must hold
 * (IAM evaluates the operators of one statement with AND, the values of one
 * key with OR; negated operators hold when no value matches).
 */
function denies(s: Statement, r: Request): boolean {
  const values = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  return Object.entries(s.Condition ?? {}).every(([operator, byKey]) =>
    Object.entries(byKey).every(([key, v]) => {
      switch (`${operator} ${key}`) {
        case 'Bool aws:ViaAWSService':
          return String(r.viaAwsService ?? false) === values(v)[0];
        case 'NotIpAddress aws:SourceIp':
          return r.sourceIp === undefined || !values(v).some((c) => isIpv4Cidr(c) && inCidr(r.sourceIp!, c));
        case 'StringNotEquals aws:SourceVpce':
          return !values(v).includes(r.sourceVpce ?? '');
        case 'ArnNotEquals aws:PrincipalArn':
          return !values(v).includes(r.principalArn);
        default:
          throw new Error(`the test evaluator does not know ${operator} ${key}`);
      }
    }),
  );
}

describe('finding 3: the bucket policy lets the deployer and CI write the training data', () => {
  test('GIVEN named deployers WHEN synthesized THEN the network guard exempts each of them and the workload role, from any network', () => {
    const json = synthStack((stack) => new AwsMlPlatform(stack, 'Platform', { ...BASE, deployers: [ADMIN, `arn:aws:iam::${ACCOUNT}:user/alice`] }));
    const deny = guard(json);
    const exempt = deny.Condition!.ArnNotEquals!['aws:PrincipalArn'];
    expect(exempt).toEqual([ADMIN, `arn:aws:iam::${ACCOUNT}:user/alice`, expect.stringMatching(/^\$\{aws_iam_role\.Platform_Identity_[0-9A-F]+\.arn\}$/)]);
    // The deployer writes from a laptop (no allowed range): not denied. Anyone else is.
    expect(denies(deny, { principalArn: ADMIN, sourceIp: '198.51.100.7' })).toBe(false);
    expect(denies(deny, { principalArn: `arn:aws:iam::${ACCOUNT}:role/Other`, sourceIp: '198.51.100.7' })).toBe(true);
    expect(denies(deny, { principalArn: `arn:aws:iam::${ACCOUNT}:role/Other`, viaAwsService: true })).toBe(false);
    // No resource-policy Allow names them: same-account IAM permissions decide what they may do.
    expect(bucketPolicy(json).every((s) => s.Effect === 'Deny')).toBe(true);
  });

  test("GIVEN no deployers WHEN synthesized THEN the principal running Terraform (the role of its session) is exempt and is the platform's deployer", () => {
    let platform: AwsMlPlatform | undefined;
    const json = synthStack((stack) => {
      platform = new AwsMlPlatform(stack, 'Platform', BASE);
    });
    const [sessionId] = Object.keys(json.data!.aws_iam_session_context!);
    const [callerId] = Object.keys(json.data!.aws_caller_identity!);
    expect(json.data!.aws_iam_session_context![sessionId!]!.arn).toBe(`\${data.aws_caller_identity.${callerId}.arn}`);
    const issuer = `\${data.aws_iam_session_context.${sessionId}.issuer_arn}`;
    expect(guard(json).Condition!.ArnNotEquals!['aws:PrincipalArn']).toContain(issuer);
    expect(platform!.deployers).toHaveLength(1);
  });

  test('GIVEN the CI identity WHEN synthesized THEN it adds its role with grantDeploy: exempt from the guard and listed as a deployer', () => {
    const json = synthStack((stack) => {
      const platform = new AwsMlPlatform(stack, 'Platform', { ...BASE, deployers: [ADMIN] });
      new AwsGithubCiIdentity(stack, 'Ci', { repository: 'contoso/ml', branches: ['main'], environments: ['dev'], platform, naming: NAMING, accountId: ACCOUNT });
      new TerraformOutput(stack, 'deployers', { value: platform.deployers });
    });
    const [roleId] = Object.keys(json.resource!.aws_iam_role!).filter((id) => id.startsWith('Ci_'));
    const ciRole = `\${aws_iam_role.${roleId}.arn}`;
    const deny = guard(json);
    expect(deny.Condition!.ArnNotEquals!['aws:PrincipalArn']).toContain(ciRole);
    expect(denies(deny, { principalArn: ciRole, sourceIp: '20.1.2.3' })).toBe(false);
    expect(json.output!.deployers.value).toEqual([ADMIN, ciRole]);
  });

  test('GIVEN firewalled with allowed ranges WHEN a stranger writes from one of them THEN the guard lets it through (IAM still decides)', () => {
    const json = synthStack((stack) => new AwsMlPlatform(stack, 'Platform', { ...BASE, deployers: [ADMIN], network: { mode: 'firewalled', allowedIpRanges: ['203.0.113.0/24'] } }));
    const deny = guard(json);
    expect(denies(deny, { principalArn: `arn:aws:iam::${ACCOUNT}:role/Other`, sourceIp: '203.0.113.9' })).toBe(false);
    expect(denies(deny, { principalArn: `arn:aws:iam::${ACCOUNT}:role/Other`, sourceIp: '203.0.114.9' })).toBe(true);
  });

  test('GIVEN a deployer given as an assumed-role session or a bad value WHEN the platform is built THEN it fails naming deployers[i] and the fix', () => {
    let error: unknown;
    try {
      synthStack((stack) => new AwsMlPlatform(stack, 'Platform', { ...BASE, deployers: [ADMIN, `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice`] }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlopsValidationError);
    expect((error as Error).message).toContain("'deployers[1]'");
    expect((error as Error).message).toContain("the role's ARN");
    expect(() => synthStack((stack) => new AwsMlPlatform(stack, 'Platform', BASE).grantDeploy('alice'))).toThrow(/'principal\[0\]'.*IAM role or user ARN/);
  });
});

describe('finding 10: the CI role can refresh what it deploys, for as long as a deploy takes', () => {
  const synthCi = (props: Record<string, unknown> = {}) =>
    synthStack((stack: TerraformStack) => {
      const platform = new AwsMlPlatform(stack, 'Platform', { ...BASE, deployers: [ADMIN] });
      new AwsGithubCiIdentity(stack, 'Ci', { repository: 'contoso/ml', branches: ['main'], environments: ['dev'], platform, naming: NAMING, accountId: ACCOUNT, ...props });
    });
  const docs = (json: SynthJson): Record<string, { Statement: Statement[] }> =>
    Object.fromEntries(resourcesOf(json, 'aws_iam_policy').map((p) => [String(p.name).replace('contoso-mlops-dev-', ''), JSON.parse(p.policy)]));

  test('GIVEN alerts WHEN synthesized THEN the CI role may create and refresh the event rule and its target (DescribeRule, ListTargetsByRule, ListTagsForResource) of the platform only', () => {
    const rule = docs(synthCi({ alerts: true }))['ci-alerts']!.Statement.find((s) => s.Sid === 'TrainingFailureRule')!;
    expect(rule.Action).toEqual([...CI_AWS_EVENT_RULE_ACTIONS]);
    expect(rule.Action).toEqual(expect.arrayContaining(['events:DescribeRule', 'events:ListTargetsByRule', 'events:ListTagsForResource', 'events:PutTargets']));
    expect(rule.Resource).toBe(`arn:aws:events:eu-west-1:${ACCOUNT}:rule/contoso-mlops-dev-*`);
  });

  test('GIVEN the platform WHEN synthesized THEN the CI role may read and write the artifact objects (aws_s3_object create and refresh) with the key through S3 only', () => {
    const deploy = docs(synthCi())['ci-deploy']!.Statement;
    const objects = deploy.find((s) => s.Sid === 'ArtifactObjects')!;
    expect(objects.Action).toEqual(expect.arrayContaining(['s3:GetObject', 's3:GetObjectTagging', 's3:PutObject', 's3:PutObjectTagging']));
    expect(objects.Resource).toMatch(/^\$\{aws_s3_bucket\.Platform_ArtifactStore_[0-9A-F]+\.arn\}\/\*$/);
    const key = deploy.find((s) => s.Sid === 'PlatformKeyThroughS3')!;
    expect(key.Action).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(key.Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } });
  });

  test('GIVEN the release step WHEN synthesized THEN sessions may last 6 hours (training plus a blue/green bake); 1 hour without; configurable', () => {
    const session = (json: SynthJson) => resourcesOf(json, 'aws_iam_role').find((r) => r.name === 'contoso-mlops-dev-github-ci')!.max_session_duration;
    expect(session(synthCi())).toBe(21600);
    expect(session(synthCi({ release: false }))).toBe(3600);
    expect(session(synthCi({ maxSessionDurationSeconds: 43200 }))).toBe(43200);
  });
});

describe('hardening: the training data is written after the bucket encryption and policy', () => {
  test('GIVEN a data upload to an AWS store WHEN synthesized THEN aws_s3_object depends on the SSE-KMS configuration and the bucket policy', () => {
    const json = synthStack((stack) => {
      const platform = new AwsMlPlatform(stack, 'Platform', { ...BASE, deployers: [ADMIN] });
      new TrainingDataUpload(stack, 'Data', { artifactStore: platform.artifactStore, key: 'datasets/bike/hour.csv', source: DATA });
    });
    const object = onlyResource(json, 'aws_s3_object');
    const [sse] = Object.keys(json.resource!.aws_s3_bucket_server_side_encryption_configuration!);
    const [policy] = Object.keys(json.resource!.aws_s3_bucket_policy!);
    expect(object.depends_on).toEqual([`aws_s3_bucket_server_side_encryption_configuration.${sse}`, `aws_s3_bucket_policy.${policy}`]);
  });
});
