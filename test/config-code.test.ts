import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { GoogleBetaProvider } from '@cdktf/provider-google-beta/lib/provider';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { dump } from 'js-yaml';
import { defineConfig, loadConfig, PlatformConfigCode, StackConfigCode } from '../lib/config';
import { isValidatedConfig } from '../lib/config/validated';
import { MlopsValidationError } from '../lib/core/errors';
import { createPlatform } from '../lib/platform';
import { MlPlatformStack } from '../lib/stack';

const naming = { company: 'fabrikam', project: 'churn', environment: 'prod' };
const CODE: Record<'azure' | 'aws' | 'gcp', PlatformConfigCode> = {
  azure: {
    cloud: 'azure',
    naming,
    region: 'westeurope',
    azure: { subscriptionId: '11111111-2222-3333-4444-555555555555', tenantId: '11111111-2222-3333-4444-555555555555' },
    network: { allowedIpRanges: ['203.0.113.10/32'] },
  },
  aws: { cloud: 'aws', naming, region: 'eu-central-1', aws: { accountId: '210987654321' } },
  gcp: { cloud: 'gcp', naming, region: 'europe-west4', gcp: { projectId: 'fabrikam-churn-prod' } },
};

/** The problems a config is refused with, as the loader reports them. */
function problems(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(MlopsValidationError);
    return (e as MlopsValidationError).issues.map((i) => ({ path: i.path, message: i.message }));
  }
  throw new Error('expected the config to be refused');
}

describe('defineConfig: a stack config written in TypeScript', () => {
  test.each(['azure', 'aws', 'gcp'] as const)('GIVEN a %s config in code WHEN defined THEN it equals the same config loaded from YAML, defaults included', (cloud) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-config-code-'));
    try {
      const file = path.join(dir, 'prod.yaml');
      fs.writeFileSync(file, dump(CODE[cloud]));
      const fromCode = defineConfig(CODE[cloud]);
      expect(fromCode).toEqual(loadConfig(file));
      expect(fromCode.network.mode).toBe('firewalled');
      expect(fromCode.compute.training).toEqual({ size: 'small', maxNodes: 4, lowPriority: false });
      expect(isValidatedConfig(fromCode)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GIVEN a bad config in code WHEN defined THEN it is refused with exactly the problems and messages of the same YAML', () => {
    const bad = { ...CODE.aws, region: 'Frankfurt', network: { mode: 'closed' }, compute: { training: { maxNodes: 0 } } } as unknown as StackConfigCode;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-config-code-'));
    try {
      const file = path.join(dir, 'bad.yaml');
      fs.writeFileSync(file, dump(bad));
      const fromCode = problems(() => defineConfig(bad));
      expect(fromCode.map((p) => p.path).sort()).toEqual(['compute.training.maxNodes', 'network.mode', 'region']);
      expect(fromCode).toEqual(problems(() => loadConfig(file)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GIVEN a config in code WHEN it fails THEN the error says where it comes from', () => {
    const bad = { ...CODE.gcp, gcp: { projectId: 'X' } } as StackConfigCode;
    expect(() => defineConfig(bad)).toThrow(/^Invalid stack config \(defineConfig\) \(1 problem\):\n {2}- \[MLOPS_CONFIG_INVALID\] gcp\.projectId: /);
    expect(() => defineConfig(bad, 'team-a/prod.ts')).toThrow(/\(team-a\/prod\.ts\)/);
  });

  test('the type checker holds a config in code to its cloud (these lines would not compile otherwise)', () => {
    // @ts-expect-error: cloud aws needs the aws section
    const missing: StackConfigCode = { cloud: 'aws', naming, region: 'eu-west-1' };
    // @ts-expect-error: another cloud's section is refused
    const foreign: StackConfigCode = { cloud: 'aws', naming, region: 'eu-west-1', aws: { accountId: '123456789012' }, gcp: { projectId: 'contoso-mlops' } };
    // @ts-expect-error: a platform has no state backend
    const withBackend: PlatformConfigCode = { ...CODE.aws, backend: { type: 'local' } };
    // @ts-expect-error: the network mode is one of three
    const badMode: StackConfigCode = { ...CODE.aws, network: { mode: 'closed' } };
    expect([missing, foreign, withBackend, badMode].length).toBe(4);
  });
});

describe('createPlatform and MlPlatformStack take a config written in code', () => {
  function stackFor(cloud: 'azure' | 'aws' | 'gcp'): TerraformStack {
    const stack = new TerraformStack(Testing.app(), `code-${cloud}`);
    if (cloud === 'azure') new AzurermProvider(stack, 'azurerm', { features: [{}] });
    if (cloud === 'aws') new AwsProvider(stack, 'aws', { region: 'eu-central-1' });
    if (cloud === 'gcp') {
      new GoogleProvider(stack, 'google', {});
      new GoogleBetaProvider(stack, 'google-beta', {});
    }
    return stack;
  }

  test.each(['azure', 'aws', 'gcp'] as const)('GIVEN a %s platform config in code WHEN createPlatform builds it THEN it is the platform the YAML would build', (cloud) => {
    const stack = stackFor(cloud);
    const platform = createPlatform(stack, 'Platform', CODE[cloud]);
    expect(platform.cloud).toBe(cloud);
    expect(platform.network.mode).toBe('firewalled');
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.keys(json.resource).length).toBeGreaterThan(5);
  });

  test('GIVEN a bad platform config in code WHEN createPlatform builds it THEN it fails before any construct, naming the path and the call', () => {
    const stack = stackFor('aws');
    const bad = { ...CODE.aws, aws: { accountId: '12345' } } as PlatformConfigCode;
    expect(() => createPlatform(stack, 'Platform', bad)).toThrow(/\(createPlatform code-aws\/Platform\).*\n.*aws\.accountId: is invalid: got "12345"; accepted: exactly 12 digits/);
    expect(stack.node.tryFindChild('Platform')).toBeUndefined();
  });

  test('GIVEN a stack config in code WHEN MlPlatformStack is built THEN it validates it as defineConfig does and deploys it the same', () => {
    const code: StackConfigCode = { ...CODE.gcp, backend: { type: 'gcs', bucket: 'fabrikam-tfstate' } };
    const json = JSON.parse(Testing.synth(new MlPlatformStack(Testing.app(), 'prod', { config: code })));
    expect(json.terraform.backend.gcs).toEqual({ bucket: 'fabrikam-tfstate', prefix: 'prod' });
    expect(() => new MlPlatformStack(Testing.app(), 'bad', { config: { ...code, region: 'Netherlands' } })).toThrow(/\(MlPlatformStack bad\).*\n.*region: is malformed/);
  });
});
