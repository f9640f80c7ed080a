import { TerraformOutput } from 'cdktf';
import { AwsMlPlatform, AwsMlPlatformProps, AwsNetwork } from '../lib/aws';
import { AWS_INTERFACE_ENDPOINT_SERVICES } from '../lib/aws/perms';
import { AwsGithubCiIdentity } from '../lib/ci/aws';
import { AWS_MANAGED_POLICY_MAX_CHARS, CI_AWS_NETWORK_ACTIONS } from '../lib/ci/aws-perms';
import { MlopsValidationError } from '../lib/core/errors';
import { AwsScoringEndpoint, AwsTrainingJob } from '../lib/deploy/aws';
import { IRuntimeImageRef } from '../lib/deploy/contracts';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

/** Issue 11, section 2 on AWS: what each network mode creates and lets through. */

const NAMING = { company: 'contoso', project: 'mlops', environment: 'prod' };
const ACCOUNT = '123456789012';
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const BASE: AwsMlPlatformProps = { naming: NAMING, accountId: ACCOUNT, region: 'eu-west-1', deployers: [ADMIN] };
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const IMAGE: IRuntimeImageRef = { imageUriByDigest: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/x@${DIGEST}`, imageDigest: DIGEST, contentHash: '0123456789abcdef' };
const EXISTING = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'], routeTableIds: ['rtb-0123456789abcdef0'] };

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

function synth(props: Partial<AwsMlPlatformProps> = {}, withDeployment = false): { json: SynthJson; platform: AwsMlPlatform } {
  let platform: AwsMlPlatform | undefined;
  const json = synthStack((stack) => {
    platform = new AwsMlPlatform(stack, 'Platform', { ...BASE, ...props });
    if (withDeployment) {
      const job = new AwsTrainingJob(stack, 'Job', { platform, image: IMAGE, name: 'contoso-mlops-prod-bike', modelName: 'bike', data: 'datasets/hour.csv' });
      new AwsScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job, minInstances: 2, maxInstances: 2 });
    }
    new TerraformOutput(stack, 'network_id', { value: platform.network.networkId ?? 'none' });
  });
  return { json, platform: platform! };
}

const ids = (json: SynthJson, type: string): string[] => Object.keys(json.resource?.[type] ?? {});
const ref = (type: string, id: string, attr = 'id') => `\${${type}.${id}.${attr}}`;
const guard = (json: SynthJson): Statement | undefined =>
  (JSON.parse(onlyResource(json, 'aws_s3_bucket_policy').policy).Statement as Statement[]).find((s) => s.Sid === 'DenyDataAccessOutsideAllowedNetworks');
const identityStatements = (json: SynthJson): Statement[] => JSON.parse(onlyResource(json, 'aws_iam_role_policy').policy).Statement;

describe('public and firewalled modes create no network', () => {
  test.each(['public', 'firewalled'] as const)('GIVEN mode %s WHEN synthesized THEN there is no VPC, endpoint or security group, and no networkId', (mode) => {
    const { json, platform } = synth({ network: { mode } });
    for (const type of ['aws_vpc', 'aws_subnet', 'aws_vpc_endpoint', 'aws_security_group']) expect(resourcesOf(json, type)).toEqual([]);
    expect(platform.network.mode).toBe(mode);
    expect(json.output!.network_id.value).toBe('none');
  });

  test('GIVEN mode public WHEN synthesized THEN the bucket has no network guard (TLS guards stay); firewalled has one', () => {
    expect(guard(synth({ network: { mode: 'public' } }).json)).toBeUndefined();
    expect(guard(synth({ network: { mode: 'firewalled' } }).json)).toBeDefined();
  });
});

describe('private mode, a VPC the stack creates', () => {
  const { json, platform } = synth({ network: { mode: 'private', addressSpace: '10.50.0.0/16' } }, true);

  test('GIVEN private mode WHEN synthesized THEN a VPC from addressSpace with DNS (for private DNS of the endpoints), two /20 private subnets in the first two zones that need no opt-in, one route table, no internet or NAT gateway', () => {
    const vpc = onlyResource(json, 'aws_vpc');
    expect(vpc).toMatchObject({ cidr_block: '10.50.0.0/16', enable_dns_support: true, enable_dns_hostnames: true });
    const subnets = resourcesOf(json, 'aws_subnet');
    expect(subnets.map((s) => s.cidr_block)).toEqual(['10.50.0.0/20', '10.50.16.0/20']);
    const [zonesId] = Object.keys(json.data!.aws_availability_zones!);
    expect(json.data!.aws_availability_zones![zonesId!]).toMatchObject({ state: 'available', filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }] });
    expect(subnets.map((s) => s.availability_zone)).toEqual([0, 1].map((i) => `\${element(sort(data.aws_availability_zones.${zonesId}.names), ${i})}`));
    expect(subnets.every((s) => s.map_public_ip_on_launch === false)).toBe(true);
    expect(resourcesOf(json, 'aws_route_table_association')).toHaveLength(2);
    for (const type of ['aws_internet_gateway', 'aws_nat_gateway', 'aws_egress_only_internet_gateway', 'aws_route']) expect(resourcesOf(json, type)).toEqual([]);
    expect(onlyResource(json, 'aws_route_table').route).toBeUndefined();
  });

  test('GIVEN private mode WHEN synthesized THEN the security group allows HTTPS inside the VPC and traffic between its members only; egress HTTPS to the VPC and S3', () => {
    const [sg] = ids(json, 'aws_security_group');
    const vpc = ref('aws_vpc', ids(json, 'aws_vpc')[0]!, 'cidr_block');
    const ingress = resourcesOf(json, 'aws_vpc_security_group_ingress_rule').map((r) => [r.ip_protocol, r.from_port, r.cidr_ipv4 ?? r.referenced_security_group_id]);
    expect(ingress).toEqual(
      expect.arrayContaining([
        ['tcp', 443, vpc],
        ['-1', undefined, ref('aws_security_group', sg!)],
      ]),
    );
    expect(ingress).toHaveLength(2);
    const [s3] = ids(json, 'aws_vpc_endpoint').filter((id) => id.includes('S3'));
    const egress = resourcesOf(json, 'aws_vpc_security_group_egress_rule').map((r) => [
      r.ip_protocol,
      r.from_port,
      r.cidr_ipv4 ?? r.referenced_security_group_id ?? r.prefix_list_id,
    ]);
    expect(egress).toEqual(
      expect.arrayContaining([
        ['tcp', 443, vpc],
        ['-1', undefined, ref('aws_security_group', sg!)],
        ['tcp', 443, ref('aws_vpc_endpoint', s3!, 'prefix_list_id')],
      ]),
    );
    expect(egress).toHaveLength(3);
    expect(JSON.stringify(json.resource)).not.toContain('0.0.0.0/0');
  });

  test('GIVEN private mode WHEN synthesized THEN the S3 gateway endpoint is on the route table and every interface endpoint has private DNS in both subnets', () => {
    const endpoints = resourcesOf(json, 'aws_vpc_endpoint');
    const gateway = endpoints.filter((e) => e.vpc_endpoint_type === 'Gateway');
    expect(gateway.map((e) => [e.service_name, e.route_table_ids])).toEqual([['com.amazonaws.eu-west-1.s3', [ref('aws_route_table', ids(json, 'aws_route_table')[0]!)]]]);
    const iface = endpoints.filter((e) => e.vpc_endpoint_type === 'Interface');
    expect(iface.map((e) => e.service_name).sort()).toEqual(AWS_INTERFACE_ENDPOINT_SERVICES.map((s) => `com.amazonaws.eu-west-1.${s}`).sort());
    expect(AWS_INTERFACE_ENDPOINT_SERVICES).toEqual(['sagemaker.api', 'sagemaker.runtime', 'ecr.api', 'ecr.dkr', 'sts', 'logs', 'kms', 'monitoring']);
    const subnets = ids(json, 'aws_subnet').map((id) => ref('aws_subnet', id));
    for (const e of iface) {
      expect(e.private_dns_enabled).toBe(true);
      expect(e.subnet_ids).toEqual(subnets);
      expect(e.security_group_ids).toEqual([ref('aws_security_group', ids(json, 'aws_security_group')[0]!)]);
    }
  });

  test('GIVEN private mode WHEN synthesized THEN the bucket guard lets the S3 gateway endpoint and the named principals through', () => {
    const [s3] = ids(json, 'aws_vpc_endpoint').filter((id) => id.includes('S3'));
    const deny = guard(json)!;
    expect(deny.Condition!.StringNotEquals).toEqual({ 'aws:SourceVpce': [ref('aws_vpc_endpoint', s3!)] });
    expect(deny.Condition!.ArnNotEquals!['aws:PrincipalArn']).toContain(ADMIN);
  });

  test('GIVEN private mode WHEN synthesized THEN the workload role may put network interfaces in the subnets with the security group (what VpcConfig needs)', () => {
    const eni = identityStatements(json).find((s) => ([] as string[]).concat(s.Action).includes('ec2:CreateNetworkInterface'))!;
    const subnetArns = ids(json, 'aws_subnet').map((id) => `arn:aws:ec2:eu-west-1:${ACCOUNT}:subnet/${ref('aws_subnet', id)}`);
    expect(eni.Resource).toEqual([
      `arn:aws:ec2:eu-west-1:${ACCOUNT}:network-interface/*`,
      ...subnetArns,
      `arn:aws:ec2:eu-west-1:${ACCOUNT}:security-group/${ref('aws_security_group', ids(json, 'aws_security_group')[0]!)}`,
    ]);
    const describe = identityStatements(json).find((s) => ([] as string[]).concat(s.Action).includes('ec2:DescribeSubnets'))!;
    expect(describe.Resource).toEqual(['*']);
  });

  test('GIVEN private mode WHEN a job and an endpoint are deployed THEN the job spec and the model carry the VPC config, network isolation kept, after the endpoints exist', () => {
    const subnets = ids(json, 'aws_subnet').map((id) => ref('aws_subnet', id));
    const sg = ref('aws_security_group', ids(json, 'aws_security_group')[0]!);
    const step = onlyResource(json, 'terraform_data');
    expect(step.input.aws.vpc).toEqual({ subnetIds: subnets, securityGroupIds: [sg] });
    const endpointIds = ids(json, 'aws_vpc_endpoint').map((id) => `aws_vpc_endpoint.${id}`);
    expect(step.depends_on).toEqual(expect.arrayContaining(endpointIds));
    const model = onlyResource(json, 'aws_sagemaker_model');
    expect(model.vpc_config).toEqual({ subnets, security_group_ids: [sg] });
    expect(model.enable_network_isolation).toBe(true);
    expect(model.depends_on).toEqual(expect.arrayContaining(endpointIds));
  });

  test('GIVEN private mode WHEN inspected THEN the platform exposes the VPC id as networkId and the network attributes', () => {
    const vpcRef = ref('aws_vpc', ids(json, 'aws_vpc')[0]!);
    expect(json.output!.network_id.value).toBe(vpcRef);
    const vpc = platform.network.vpc!;
    expect(vpc).toBeInstanceOf(AwsNetwork);
    expect(vpc.subnetIds).toHaveLength(2);
    expect(typeof vpc.securityGroupId).toBe('string');
    expect(typeof vpc.s3GatewayEndpointId).toBe('string');
    expect(Object.keys(vpc.interfaceEndpointIds)).toEqual([...AWS_INTERFACE_ENDPOINT_SERVICES]);
    expect(vpc.created).toBe(true);
  });
});

describe('private mode in an existing VPC', () => {
  test('GIVEN an existing VPC with route tables WHEN synthesized THEN nothing of the VPC is created; the security group, S3 gateway and interface endpoints are, in its subnets', () => {
    const { json, platform } = synth({ network: { mode: 'private', existing: { aws: EXISTING } } });
    for (const type of ['aws_vpc', 'aws_subnet', 'aws_route_table']) expect(resourcesOf(json, type)).toEqual([]);
    expect(Object.values(json.data!.aws_vpc!)).toEqual([expect.objectContaining({ id: EXISTING.vpcId })]);
    expect(json.output!.network_id.value).toBe(EXISTING.vpcId);
    expect(onlyResource(json, 'aws_security_group').vpc_id).toBe(EXISTING.vpcId);
    const endpoints = resourcesOf(json, 'aws_vpc_endpoint');
    expect(endpoints.find((e) => e.vpc_endpoint_type === 'Gateway')!.route_table_ids).toEqual(EXISTING.routeTableIds);
    expect(endpoints.filter((e) => e.vpc_endpoint_type === 'Interface').every((e) => JSON.stringify(e.subnet_ids) === JSON.stringify(EXISTING.subnetIds))).toBe(true);
    expect(platform.network.vpc!.created).toBe(false);
  });

  test('GIVEN createEndpoints false and no route tables WHEN synthesized THEN no endpoint is created and the guard has no VPC endpoint exception', () => {
    const { json } = synth({ network: { mode: 'private', existing: { aws: { vpcId: EXISTING.vpcId, subnetIds: EXISTING.subnetIds, createEndpoints: false } } } });
    expect(resourcesOf(json, 'aws_vpc_endpoint')).toEqual([]);
    expect(guard(json)!.Condition!.StringNotEquals).toBeUndefined();
    expect(resourcesOf(json, 'aws_security_group')).toHaveLength(1);
  });

  test('GIVEN one subnet and malformed ids WHEN the platform is built THEN every problem is named at once', () => {
    let error: unknown;
    try {
      synth({ network: { mode: 'private', existing: { aws: { vpcId: 'vpc-xyz', subnetIds: ['subnet-0123456789abcdef0'], routeTableIds: ['rt-1'] } } } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlopsValidationError);
    const message = (error as Error).message;
    expect(message).toContain("'existing.vpcId[0]'");
    expect(message).toContain("'existing.routeTableIds[0]'");
    expect(message).toContain("'existing.subnetIds' prop of AwsNetwork must be at least two private subnets");
  });

  test('GIVEN an address space too small or a bad zone count WHEN the platform is built THEN it fails naming the field', () => {
    expect(() => synth({ network: { mode: 'private', addressSpace: '10.0.0.0/28' } })).toThrow(/network\.addressSpace/);
    expect(() => synth({ network: { mode: 'private' }, availabilityZoneCount: 1 })).toThrow(/availabilityZoneCount/);
  });

  test('GIVEN a /24 address space and three zones WHEN synthesized THEN the subnets are /26', () => {
    const { json } = synth({ network: { mode: 'private', addressSpace: '10.60.1.0/24' }, availabilityZoneCount: 3 });
    expect(resourcesOf(json, 'aws_subnet').map((s) => s.cidr_block)).toEqual(['10.60.1.0/26', '10.60.1.64/26', '10.60.1.128/26']);
  });
});

describe('CI on a private platform', () => {
  test('GIVEN a private platform WHEN the CI identity is added THEN it gets a ci-network policy: the VPC resources of the account and region, reads on "*" only, within the size limit', () => {
    const json = synthStack((stack) => {
      const platform = new AwsMlPlatform(stack, 'Platform', { ...BASE, network: { mode: 'private' } });
      new AwsGithubCiIdentity(stack, 'Ci', { repository: 'contoso/ml', branches: ['main'], environments: ['prod'], platform, naming: NAMING, accountId: ACCOUNT });
    });
    const policy = resourcesOf(json, 'aws_iam_policy').find((p) => p.name === 'contoso-mlops-prod-ci-network')!;
    const doc = JSON.parse(policy.policy) as { Statement: Statement[] };
    const [write, read] = doc.Statement;
    expect(write!.Action).toEqual([...CI_AWS_NETWORK_ACTIONS]);
    for (const r of [write!.Resource].flat()) expect(r).toMatch(new RegExp(`^arn:aws:ec2:eu-west-1:${ACCOUNT}:[a-z-]+/\\*$`));
    expect(read!.Resource).toBe('*');
    expect((read!.Action as string[]).every((a) => a.startsWith('ec2:Describe'))).toBe(true);
    expect(String(policy.policy).replace(/\s/g, '').length).toBeLessThanOrEqual(AWS_MANAGED_POLICY_MAX_CHARS);
    expect(resourcesOf(json, 'aws_iam_role_policy_attachment').some((a) => String(a.policy_arn).includes('Policy-ci-network'))).toBe(true);
  });

  test('GIVEN a firewalled platform WHEN the CI identity is added THEN there is no ci-network policy', () => {
    const json = synthStack((stack) => {
      const platform = new AwsMlPlatform(stack, 'Platform', BASE);
      new AwsGithubCiIdentity(stack, 'Ci', { repository: 'contoso/ml', branches: ['main'], environments: ['prod'], platform, naming: NAMING, accountId: ACCOUNT });
    });
    expect(resourcesOf(json, 'aws_iam_policy').map((p) => p.name)).not.toContain('contoso-mlops-prod-ci-network');
  });
});
