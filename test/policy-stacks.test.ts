import * as fs from 'fs';
import * as path from 'path';
import { Aspects, Testing } from 'cdktf';
import { loadConfig, parseConfig } from '../lib/config';
import { CLOUDS, Cloud } from '../lib/core/cloud';
import { applyPolicyPack, PolicyPack } from '../lib/policy';
import { MlPlatformStack } from '../lib/stack';

/**
 * The stacks the project ships (stacks/config/dev-*.yaml) pass the policy
 * pack: built as test/stacks.test.ts builds them, with whatever MlPlatformStack
 * creates today (platform, deployment, CI identity, alerts).
 */

describe('every shipped config (stacks/config/*.yaml)', () => {
  const CONFIG_DIR = path.join(__dirname, '..', 'stacks', 'config');
  const SHIPPED = fs
    .readdirSync(CONFIG_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();

  test('ships a dev config (firewalled) and a prod config (private) for every cloud', () => {
    for (const cloud of CLOUDS) {
      expect(SHIPPED).toContain(`dev-${cloud}`);
      expect(SHIPPED).toContain(`prod-${cloud}`);
      expect(loadConfig(path.join(CONFIG_DIR, `dev-${cloud}.yaml`)).network.mode).toBe('firewalled');
      expect(loadConfig(path.join(CONFIG_DIR, `prod-${cloud}.yaml`)).network.mode).toBe('private');
    }
  });

  test.each(SHIPPED)('%s synthesizes and passes the policy pack, deploy-readiness rules included', (name) => {
    const config = loadConfig(path.join(CONFIG_DIR, `${name}.yaml`));
    const stack = new MlPlatformStack(Testing.app(), name, { config });
    let err: unknown;
    let json: any;
    try {
      json = JSON.parse(Testing.synth(stack, true));
    } catch (e) {
      err = e;
    }
    expect(err instanceof Error ? err.message : err).toBeUndefined();
    const report = PolicyPack.of(stack)!.report!;
    expect(report.violations).toEqual([]);
    expect(report.rulesApplied).toContain('MLOPS_DEPLOY_CYCLE');
    expect(report.rulesApplied.filter((id) => id.startsWith(`MLOPS_DEPLOY_${config.cloud.toUpperCase()}_`)).length).toBeGreaterThan(2);
    expect(json.output.network_mode.value).toBe(config.network.mode);
    // A private platform names its network, where runners and clients must be.
    if (config.network.mode === 'private') expect(json.output.network_id.value).toMatch(/\$\{|^projects\/|^vpc-|^\/subscriptions\//);
    else expect(json.output.network_id).toBeUndefined();
    expect(report.unusedSuppressions).toEqual([]);
  });
});

describe('the shipped dev stacks', () => {
  const CONFIG_DIR = path.join(__dirname, '..', 'stacks', 'config');

  function devStack(cloud: Cloud, patch: (raw: any) => void = () => undefined): { stack: MlPlatformStack; pack: PolicyPack; lines: string[]; raw: any } {
    const raw = JSON.parse(JSON.stringify(loadConfig(path.join(CONFIG_DIR, `dev-${cloud}.yaml`))));
    patch(raw);
    const config = parseConfig(raw);
    const stack = new MlPlatformStack(Testing.app(), `dev-${cloud}`, { config });
    const lines: string[] = [];
    // The stack may already apply the pack itself; otherwise apply it as the stack would.
    const pack = PolicyPack.of(stack) ?? applyPolicyPack(stack, { networkMode: config.network.mode, allowDataDeletion: !config.protection.retainData, log: (l) => lines.push(l) });
    return { stack, pack, lines, raw };
  }

  test.each(CLOUDS)('dev-%s passes the policy pack clean', (cloud) => {
    const { stack, pack } = devStack(cloud);
    let err: unknown;
    try {
      Testing.synth(stack, true);
    } catch (e) {
      err = e;
    }
    expect(err instanceof Error ? err.message : err).toBeUndefined();
    const report = pack.report!;
    expect(report.violations).toEqual([]);
    expect(report.resourcesChecked).toBeGreaterThan(10);
    // Suppressions shipped with the platform must each carry a reason and be used.
    expect(report.unusedSuppressions).toEqual([]);
  });

  test('opening the Azure dev stack to public networks fails unless the config says so', () => {
    const open = (raw: any) => {
      raw.network = { mode: 'public' };
    };
    const { stack } = devStack('azure', open);
    // The stack was built for public access; a pack not told so finds every public endpoint.
    const strict = new PolicyPack(stack, { log: () => undefined });
    Aspects.of(stack).add(strict);
    Testing.synth(stack);
    expect([...new Set(strict.check().violations.map((v) => v.ruleId))].sort()).toEqual([
      'CKV_AZURE_109',
      'CKV_AZURE_139',
      'CKV_AZURE_144',
      'CKV_AZURE_189',
      'CKV_AZURE_35',
      'CKV_AZURE_59',
      'MLOPS_RELEASE_PUBLIC_ENDPOINT',
    ]);
    const configured = PolicyPack.of(stack)!;
    expect(configured.options.networkMode).toBe('public');
    expect(configured.check().violations).toEqual([]);
  });
});

test('a GPU endpoint on AWS (hardware-encrypted instance storage, no KMS key) passes with its suppression listed', () => {
  const { loadConfig } = require('../lib/config') as typeof import('../lib/config');
  const { MlPlatformStack } = require('../lib/stack') as typeof import('../lib/stack');
  const { Testing } = require('cdktf') as typeof import('cdktf');
  const path = require('path') as typeof import('path');
  const config = loadConfig(path.join(__dirname, '..', 'stacks', 'config', 'dev-aws.yaml'));
  const gpu = { ...config, deployment: { ...config.deployment!, endpoint: { ...config.deployment!.endpoint, size: 'gpu' as const } } };
  const stack = new MlPlatformStack(Testing.app(), 'gpu-aws', { config: gpu });
  const json = JSON.parse(Testing.synth(stack, true));
  const [endpointConfig] = Object.values(json.resource.aws_sagemaker_endpoint_configuration) as any[];
  expect(endpointConfig.kms_key_arn).toBeUndefined();
  expect(stack.policy.report!.suppressed.map((s: any) => s.ruleId)).toContain('CKV_AWS_98');
});
