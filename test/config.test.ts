import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CONFIG_FIELDS, loadConfig, parseConfig, resolveConfigFiles } from '../lib/config';
import { configIssues as issuesOf, onlyConfigIssue as only, validConfig as valid } from './util';

const CONFIG_DIR = path.join(__dirname, '..', 'stacks', 'config');

describe('stack config', () => {
  test.each(['dev-azure', 'dev-aws', 'dev-gcp'])('the shipped %s config is valid', (name) => {
    const config = loadConfig(path.join(CONFIG_DIR, `${name}.yaml`));
    expect(config.cloud).toBe(name.replace('dev-', ''));
    expect(config.network.mode).toBe('firewalled');
    expect(config.deployers?.length).toBeGreaterThan(0);
    expect(config.protection.retainData).toBe(true);
  });

  test('defaults are secure: firewalled network, data retained, local backend, small training compute', () => {
    const config = parseConfig(valid('gcp'));
    expect(config.network).toEqual({ mode: 'firewalled', allowedIpRanges: [] });
    expect(config.deployers).toBeUndefined();
    expect(config.protection).toEqual({ retainData: true });
    expect(config.backend).toEqual({ type: 'local' });
    expect(config.compute.training).toEqual({ size: 'small', maxNodes: 4, lowPriority: false });
    expect(config.tags).toEqual({});
  });

  test('fails if the cloud is unknown, naming the value and the accepted clouds', () => {
    const issue = only({ ...valid(), cloud: 'oracle' });
    expect(issue.path).toBe('cloud');
    expect(issue.message).toContain('"oracle"');
    expect(issue.message).toContain('azure, aws, gcp');
  });

  test('fails if the cloud is missing', () => {
    const { cloud: _omit, ...rest } = valid();
    const issue = only(rest);
    expect(issue.path).toBe('cloud');
    expect(issue.message).toMatch(/is required/);
  });

  test.each([
    ['azure', 'azure'],
    ['aws', 'aws'],
    ['gcp', 'gcp'],
  ] as const)('fails if the %s account section is missing', (cloud, section) => {
    const raw = valid(cloud);
    delete raw[section];
    const issue = only(raw);
    expect(issue.path).toBe(section);
    expect(issue.message).toContain(`required when cloud is ${cloud}`);
  });

  test('fails if the AWS account id is not 12 digits, telling to quote it', () => {
    const issue = only({ ...valid('aws'), aws: { accountId: 12345 } });
    expect(issue.path).toBe('aws.accountId');
    expect(issue.message).toContain('12345');
    expect(issue.message).toContain('12 digits');
  });

  test('fails if the Azure subscription id is not a UUID', () => {
    const raw = valid('azure');
    raw.azure.subscriptionId = 'my-subscription';
    const issue = only(raw);
    expect(issue.path).toBe('azure.subscriptionId');
    expect(issue.message).toContain('az account show');
  });

  test('fails if the GCP project id is malformed', () => {
    const issue = only({ ...valid('gcp'), gcp: { projectId: 'My Project' } });
    expect(issue.path).toBe('gcp.projectId');
  });

  test.each([
    ['azure', 'West Europe'],
    ['aws', 'eu-west'],
    ['aws', 'europe-west4'],
    ['gcp', 'eu-west-1'],
  ] as const)('fails if the %s region %s is malformed', (cloud, region) => {
    const issue = only({ ...valid(cloud), region });
    expect(issue.path).toBe('region');
    expect(issue.message).toContain(JSON.stringify(region));
    expect(issue.message).toMatch(/accepted: a region name/);
  });

  test("fails if another cloud's account section is present", () => {
    const issue = only({ ...valid('aws'), gcp: { projectId: 'contoso-mlops-dev' } });
    expect(issue.path).toBe('gcp');
    expect(issue.message).toContain('remove the gcp section');
  });

  test('fails if a name cannot fit an Azure storage account after sanitising', () => {
    const raw = valid('azure');
    raw.naming = { company: 'contoso-industries', project: 'forecasting', environment: 'dev' };
    const issues = issuesOf(raw);
    const storage = issues.find((i) => i.message.includes('storage account'));
    expect(storage).toBeDefined();
    expect(storage!.code).toBe('MLOPS_NAME_TOO_LONG');
    expect(storage!.message).toContain('"contosoindustriesforecastingdevst"');
    expect(storage!.message).toContain('the limit is 24');
    expect(storage!.message).toMatch(/shorten naming\.company, naming\.project or naming\.environment by at least 9 characters/);
  });

  test('fails if a name cannot fit a GCP service account id', () => {
    const raw = valid('gcp');
    raw.naming = { company: 'contoso-industries', project: 'forecasting', environment: 'dev' };
    const issues = issuesOf(raw);
    expect(issues.some((i) => i.message.includes('service account id'))).toBe(true);
  });

  test('fails if a naming part has characters no cloud accepts', () => {
    const raw = valid('aws');
    raw.naming.company = 'con_toso!';
    const issue = only(raw);
    expect(issue.path).toBe('naming.company');
  });

  test('fails if the training size is unknown, listing the sizes', () => {
    const issue = only({ ...valid(), compute: { training: { size: 'huge' } } });
    expect(issue.path).toBe('compute.training.size');
    expect(issue.message).toContain('small, medium, large, gpu');
  });

  test('fails if max nodes is not a positive integer', () => {
    expect(only({ ...valid(), compute: { training: { maxNodes: 0 } } }).path).toBe('compute.training.maxNodes');
    expect(only({ ...valid(), compute: { training: { maxNodes: 2.5 } } }).path).toBe('compute.training.maxNodes');
  });

  test('fails if an AWS instance type override lacks the ml. prefix', () => {
    const issue = only({ ...valid(), compute: { training: { instanceType: { aws: 'm5.xlarge' } } } });
    expect(issue.path).toBe('compute.training.instanceType.aws');
    expect(issue.message).toContain('ml.');
  });

  test('fails if the network mode is unknown, naming the three modes', () => {
    const issue = only({ ...valid(), network: { mode: 'closed' } });
    expect(issue.path).toBe('network.mode');
    expect(issue.message).toContain('"closed"');
    expect(issue.message).toContain('public, firewalled, private');
  });

  test('fails if the removed publicAccess flag is used, pointing at mode', () => {
    const issue = only({ ...valid(), network: { publicAccess: true } });
    expect(issue.path).toBe('network.publicAccess');
    expect(issue.message).toMatch(/accepted keys here: mode, allowedIpRanges, addressSpace, existing/);
  });

  test('fails if an existing network is given outside private mode, or for another cloud', () => {
    const issues = issuesOf({
      ...valid('aws'),
      network: {
        mode: 'firewalled',
        existing: { gcp: { network: 'projects/contoso-mlops/global/networks/hub', subnetwork: 'projects/contoso-mlops/regions/europe-west4/subnetworks/ml' } },
      },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['network.existing', 'network.existing.gcp']);
    expect(issues.find((i) => i.path === 'network.existing')!.message).toContain('has no use in firewalled mode');
  });

  test('fails if an existing AWS network has fewer than two subnets', () => {
    const issue = only({ ...valid('aws'), network: { mode: 'private', existing: { aws: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] } } } });
    expect(issue.path).toBe('network.existing.aws.subnetIds');
    expect(issue.message).toContain('at least two');
  });

  test('accepts an existing network in private mode and applies its defaults', () => {
    const config = parseConfig({
      ...valid('aws'),
      network: { mode: 'private', existing: { aws: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] } } },
    });
    expect(config.network.existing?.aws).toEqual({ vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], createEndpoints: true });
  });

  test('fails if an address space is too small for the subnets, or given outside private mode', () => {
    expect(only({ ...valid(), network: { mode: 'private', addressSpace: '10.0.0.0/28' } }).message).toContain('/8 to /24');
    expect(only({ ...valid(), network: { addressSpace: '10.0.0.0/16' } }).message).toContain('has no use in firewalled mode');
  });

  test('accepts an address space in firewalled mode on Azure with a pipeline (its serve step runs the promoter in the first /24), and names that use otherwise', () => {
    const pipeline = {
      model: 'bike',
      image: { uri: `contosomlopsdevacr.azurecr.io/mlops-runtime@sha256:${'ab'.repeat(32)}` },
      training: { data: 'datasets/x.csv' },
      pipeline: { file: 'examples/demand-forecast/pipeline.yaml', skip: ['score'] },
    };
    const cwd = process.cwd();
    process.chdir(path.join(__dirname, '..'));
    try {
      expect(parseConfig({ ...valid('azure'), network: { addressSpace: '10.50.0.0/16' }, deployment: pipeline }).network.addressSpace).toBe('10.50.0.0/16');
    } finally {
      process.chdir(cwd);
    }
    const issue = only({ ...valid('azure'), network: { addressSpace: '10.50.0.0/16' } });
    expect(issue.path).toBe('network.addressSpace');
    expect(issue.message).toMatch(
      /has no use in firewalled mode.*or in firewalled mode with deployment\.pipeline \(the first \/24 is the network of the pipeline's promoter job\)/,
    );
    expect(only({ ...valid('gcp'), network: { addressSpace: '10.50.0.0/16' } }).message).toMatch(/accepted: an address space only in private mode\./);
  });

  test('fails if allowed ranges are given in public mode, where there is no firewall', () => {
    const issue = only({ ...valid(), network: { mode: 'public', allowedIpRanges: ['203.0.113.0/24'] } });
    expect(issue.path).toBe('network.allowedIpRanges');
    expect(issue.message).toContain('has no use in public mode');
  });

  test.each([
    ['azure', 'arn:aws:iam::123456789012:role/Admin', 'object id'],
    ['aws', 'arn:aws:sts::123456789012:assumed-role/Admin/me', 'role or user ARN'],
    ['gcp', 'admin@contoso.com', 'user:<email>'],
  ] as const)("fails if a %s deployer is not in that cloud's principal format", (cloud, deployer, accepted) => {
    const issue = only({ ...valid(cloud), deployers: [deployer] });
    expect(issue.path).toBe('deployers.0');
    expect(issue.message).toContain(accepted);
  });

  test('fails if ci is configured without explicit deployers', () => {
    const issue = only({ ...valid('gcp'), ci: { github: { repository: 'contoso/ml' } } });
    expect(issue.path).toBe('deployers');
    expect(issue.message).toContain('is required with ci:');
  });

  test('fails if an allowed IP range is not a CIDR, naming its index', () => {
    const issue = only({ ...valid(), network: { allowedIpRanges: ['203.0.113.0/24', '10.0.0.300/8'] } });
    expect(issue.path).toBe('network.allowedIpRanges.1');
    expect(issue.message).toContain('10.0.0.300/8');
  });

  test('fails if retainData is not a boolean', () => {
    expect(only({ ...valid(), protection: { retainData: 'yes' } }).path).toBe('protection.retainData');
  });

  test('fails if the backend type is unknown', () => {
    const issue = only({ ...valid(), backend: { type: 'ftp' } });
    expect(issue.path).toBe('backend.type');
    expect(issue.message).toContain('local, s3, azurerm, gcs');
  });

  test('fails if an s3 backend misses its bucket', () => {
    const issue = only({ ...valid(), backend: { type: 's3', key: 'k', region: 'eu-west-1' } });
    expect(issue.path).toBe('backend.bucket');
    expect(issue.message).toMatch(/is required/);
  });

  test('fails on a misspelt key and suggests the right one', () => {
    const raw = valid();
    raw.naming.enviroment = 'dev';
    delete raw.naming.environment;
    const issues = issuesOf(raw);
    const typo = issues.find((i) => i.path === 'naming.enviroment');
    expect(typo?.message).toContain("rename it to 'environment'");
  });

  test('fails if a tag value is not a string', () => {
    expect(only({ ...valid(), tags: { owner: 3 } }).path).toBe('tags.owner');
  });

  test('reports every problem at once', () => {
    const issues = issuesOf({
      cloud: 'aws',
      naming: { company: 'x', project: 'mlops', environment: 'dev' },
      region: 'nowhere',
      compute: { training: { size: 'huge', maxNodes: -1 } },
      network: { mode: 'closed' },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['aws', 'compute.training.maxNodes', 'compute.training.size', 'naming.company', 'network.mode', 'region'].sort());
    for (const issue of issues) expect(issue.message).toMatch(/Fix: /);
  });

  test('every error message names the value seen, what is accepted and the fix', () => {
    const issues = issuesOf({ cloud: 'aws', naming: { company: 'contoso', project: 'mlops', environment: 'Dev' }, region: 'eu-west-1', aws: { accountId: 'abc' } });
    for (const issue of issues) {
      expect(issue.message).toMatch(/got .+; accepted: .+\. Fix: .+/);
    }
  });

  test('every config field is documented with what it accepts and its fix', () => {
    for (const field of CONFIG_FIELDS) {
      expect(field.accepted.length).toBeGreaterThan(0);
      expect(field.fix.length).toBeGreaterThan(0);
    }
  });
});

describe('config files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('fails if the config file does not exist, listing the ones that do', () => {
    fs.writeFileSync(path.join(dir, 'prod.yaml'), 'cloud: aws\n');
    expect(() => loadConfig(path.join(dir, 'stage.yaml'))).toThrow(/no such file\. Available in .*: prod\.yaml/);
  });

  test('fails on invalid YAML with the line and column', () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'cloud: aws\nnaming: {company: contoso\n');
    expect(() => loadConfig(file)).toThrow(/bad\.yaml:\d+:\d+/);
  });

  test('fails on duplicate keys in YAML', () => {
    const file = path.join(dir, 'dup.yaml');
    fs.writeFileSync(file, 'cloud: aws\ncloud: gcp\n');
    expect(() => loadConfig(file)).toThrow(/MLOPS_CONFIG_YAML/);
  });

  test('the environment variable wins over the cdktf.json context', () => {
    const files = resolveConfigFiles(CONFIG_DIR, ['dev-azure'], { MLOPS_CONFIG: 'dev-aws, dev-gcp' });
    expect(files.map((f) => path.basename(f))).toEqual(['dev-aws.yaml', 'dev-gcp.yaml']);
  });

  test('the cdktf.json context is used when the environment variable is unset', () => {
    const files = resolveConfigFiles(CONFIG_DIR, ['dev-azure'], {});
    expect(files.map((f) => path.basename(f))).toEqual(['dev-azure.yaml']);
  });

  test('with neither, every config in the folder is used', () => {
    const files = resolveConfigFiles(CONFIG_DIR, undefined, {});
    expect(files.map((f) => path.basename(f))).toEqual(['dev-aws.yaml', 'dev-azure.yaml', 'dev-gcp.yaml', 'prod-aws.yaml', 'prod-azure.yaml', 'prod-gcp.yaml']);
  });

  test('a path is accepted in place of a name', () => {
    const file = path.join(dir, 'team.yaml');
    expect(resolveConfigFiles(CONFIG_DIR, undefined, { MLOPS_CONFIG: file })).toEqual([file]);
  });
});
