import { spawnSync } from 'child_process';
import { Testing, TerraformStack } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_RELEASE_COMMAND, RELEASE_SPEC_ENV, ReleaseStep } from '../lib/deploy/release-step';
import { canonicalJson, releaseRevision } from '../lib/deploy/revision';

describe('ReleaseStep', () => {
  function synth(): any {
    const stack = new TerraformStack(Testing.app(), 'test');
    new ReleaseStep(stack, 'Step', { spec: { kind: 'training', name: 'x' }, triggers: { image_digest: 'sha256:1', revision: 'abc' } });
    return JSON.parse(Testing.synth(stack));
  }

  test('is a terraform_data resource: spec in input, triggers_replace, create before destroy', () => {
    const [resource] = Object.values(synth().resource.terraform_data) as any[];
    expect(resource.input).toEqual({ kind: 'training', name: 'x' });
    expect(resource.triggers_replace).toEqual({ image_digest: 'sha256:1', revision: 'abc' });
    expect(resource.lifecycle).toEqual({ create_before_destroy: true });
  });

  test('applies on create and destroys on destroy, handing over the spec through self', () => {
    const [resource] = Object.values(synth().resource.terraform_data) as any[];
    const [apply, destroy] = resource.provisioner.map((p: any) => p['local-exec']);
    expect(apply).toEqual({ command: `${DEFAULT_RELEASE_COMMAND} apply --spec-env ${RELEASE_SPEC_ENV}`, environment: { MLOPS_RELEASE_SPEC: '${jsonencode(self.input)}', MLOPS_RELEASE_INSTANCE: '${self.id}' } });
    expect(destroy).toEqual({ command: `${DEFAULT_RELEASE_COMMAND} destroy --spec-env ${RELEASE_SPEC_ENV}`, environment: { MLOPS_RELEASE_SPEC: '${jsonencode(self.output)}', MLOPS_RELEASE_INSTANCE: '${self.id}' }, when: 'destroy' });
  });

  test('synthesizes with validations on a machine without a terraform binary (no `terraform version` at synth)', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    const step = new ReleaseStep(stack, 'Step', { spec: { kind: 'training' }, triggers: { revision: 'abc' } });
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(step.resource.node.validate()).toEqual([]);
      expect(() => Testing.synth(stack, true)).not.toThrow();
    } finally {
      process.env.PATH = saved;
    }
  });

  test('the command resolves from a synthesized stack folder inside the project (npx finds the workspace bin)', () => {
    const built = fs.existsSync(path.join(__dirname, '..', 'release', 'dist', 'src', 'cli.js'));
    if (!built) throw new Error('release/dist is missing: run the root `npm run build` first (npm test does)');
    const dir = fs.mkdtempSync(path.join(__dirname, '..', 'cdktf.outdir.release-'));
    const stackDir = path.join(dir, 'stacks', 'dev-aws');
    fs.mkdirSync(stackDir, { recursive: true });
    const [cmd, ...args] = DEFAULT_RELEASE_COMMAND.split(' ');
    const env = { ...process.env };
    delete env.MLOPS_RELEASE_SPEC;
    const result = spawnSync(cmd!, [...args, 'apply', '--spec-env', RELEASE_SPEC_ENV], { cwd: stackDir, encoding: 'utf8', env });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.stderr).toContain('MLOPS_RELEASE_SPEC is not set');
    expect(result.status).toBe(2);
  });
});

describe('release revision', () => {
  test('is 12 hex characters, equal for equal configs whatever the key order', () => {
    const a = releaseRevision('0123abcd', { b: 1, a: { y: 'x', z: [1, 2] } });
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(releaseRevision('0123abcd', { a: { z: [1, 2], y: 'x' }, b: 1 })).toBe(a);
  });

  test('changes with the image content, any config value, and array order', () => {
    const a = releaseRevision('0123abcd', { b: 1, a: [1, 2] });
    expect(releaseRevision('0123abce', { b: 1, a: [1, 2] })).not.toBe(a);
    expect(releaseRevision('0123abcd', { b: 2, a: [1, 2] })).not.toBe(a);
    expect(releaseRevision('0123abcd', { b: 1, a: [2, 1] })).not.toBe(a);
  });

  test('canonical JSON leaves out undefined members', () => {
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}');
  });
});
