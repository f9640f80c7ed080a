/**
 * One resolution per synth (lib/private/stack-synth.ts): while a stack with
 * the policy pack is synthesized by `app.synth()`, its Terraform JSON is
 * resolved once, checked by the pack and written as checked; outside a
 * synthesizer run every call resolves afresh, so a stack changed after a
 * synth is checked and written as changed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { applyPolicyPack, PolicyViolationError } from '../lib/policy/pack';
import { resolveOncePerSynth } from '../lib/private/stack-synth';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

function outdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf.outdir.synth-'));
  made.push(dir);
  return dir;
}

const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }] });
/** A KMS key: compliant with rotation on, a violation (CKV_AWS_7) without. */
const key = (stack: TerraformStack, id: string, rotation: boolean) => new KmsKey(stack, id, { enableKeyRotation: rotation, description: id, policy: POLICY });

/** A stack with one compliant KMS key and the pack; `resolutions` counts cdktf's resolutions of it. */
function build(dir: string) {
  const resolve = jest.spyOn(TerraformStack.prototype, 'toTerraform');
  const app = new App({ outdir: dir });
  const stack = new TerraformStack(app, 'synth');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  key(stack, 'First', true);
  const lines: string[] = [];
  const pack = applyPolicyPack(stack, { log: (l) => lines.push(l) });
  const resolutions = () => resolve.mock.calls.length;
  return { app, stack, pack, lines, resolutions };
}

const written = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'stacks', 'synth', 'cdk.tf.json'), 'utf8'));

describe('one resolution per synth', () => {
  test('app.synth() resolves the stack once: the pack checks the JSON that is then written', () => {
    const dir = outdir();
    const b = build(dir);
    const checked: unknown[] = [];
    const check = b.pack.check.bind(b.pack);
    jest.spyOn(b.pack, 'check').mockImplementation(() => {
      const report = check();
      checked.push(b.stack.toTerraform());
      return report;
    });
    b.app.synth();
    expect(b.resolutions()).toBe(1);
    expect(b.pack.report?.resourcesChecked).toBe(1);
    // The very object the check saw is what cdktf wrote.
    expect(JSON.parse(JSON.stringify(checked[0]))).toEqual(written(dir));
    expect(Object.keys(written(dir).resource.aws_kms_key)).toEqual(['First']);
  });

  test('a change after one synth is checked and written by the next (nothing kept between synths)', () => {
    const dir = outdir();
    const b = build(dir);
    b.app.synth();
    key(b.stack, 'Second', true);
    // A direct call after the synth resolves the stack as it is now.
    expect(Object.keys((b.stack.toTerraform() as { resource: { aws_kms_key: object } }).resource.aws_kms_key).sort()).toEqual(['First', 'Second']);
    b.app.synth();
    expect(Object.keys(written(dir).resource.aws_kms_key).sort()).toEqual(['First', 'Second']);
    expect(b.pack.report?.resourcesChecked).toBe(2);
    // A violation added after a clean synth fails the next one.
    key(b.stack, 'Third', false);
    expect(() => b.app.synth()).toThrow(PolicyViolationError);
    expect(Object.keys(written(dir).resource.aws_kms_key).sort()).toEqual(['First', 'Second']);
  });

  test('outside a synthesizer run every call resolves afresh (Testing.synth, direct calls)', () => {
    const b = build(outdir());
    Testing.synth(b.stack, true);
    const afterTesting = b.resolutions();
    expect(afterTesting).toBeGreaterThanOrEqual(2);
    const before = b.stack.toTerraform() as { resource: { aws_kms_key: object } };
    key(b.stack, 'Second', true);
    const after = b.stack.toTerraform() as { resource: { aws_kms_key: object } };
    expect(Object.keys(before.resource.aws_kms_key)).toEqual(['First']);
    expect(Object.keys(after.resource.aws_kms_key).sort()).toEqual(['First', 'Second']);
  });

  test('a synthesizer put in place of the library wrapper still writes what a fresh resolution gives', () => {
    const dir = outdir();
    const b = build(dir);
    const wrapper = b.stack.synthesizer;
    // Another tool's synthesizer around ours keeps the sharing; one that drops ours resolves per call.
    b.stack.synthesizer = { synthesize: (session) => wrapper.synthesize(session) };
    b.app.synth();
    expect(b.resolutions()).toBe(1);
    const { StackSynthesizer } = require('cdktf/lib/synthesize/synthesizer') as { StackSynthesizer: new (s: TerraformStack) => typeof wrapper };
    b.stack.synthesizer = new StackSynthesizer(b.stack);
    key(b.stack, 'Second', true);
    b.app.synth();
    expect(b.resolutions()).toBe(3);
    expect(Object.keys(written(dir).resource.aws_kms_key).sort()).toEqual(['First', 'Second']);
  });

  test('idempotent: applying twice installs one wrapper', () => {
    const b = build(outdir());
    const wrapper = b.stack.synthesizer;
    resolveOncePerSynth(b.stack);
    expect(b.stack.synthesizer).toBe(wrapper);
    b.app.synth();
    expect(b.resolutions()).toBe(1);
  });
});
