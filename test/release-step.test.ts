import { spawnSync } from 'child_process';
import { Testing, TerraformStack } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { ReleaseStep, releaseCommandFor } from '../lib/deploy/release-step';
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
    const command = expect.stringMatching(/^node "[^"]+\/bin\/mlops-release\.js"$/);
    expect(apply).toEqual({
      command: expect.stringMatching(/ apply --spec-env MLOPS_RELEASE_SPEC$/),
      environment: { MLOPS_RELEASE_SPEC: '${jsonencode(self.input)}', MLOPS_RELEASE_INSTANCE: '${self.id}' },
    });
    expect(destroy).toEqual({
      command: expect.stringMatching(/ destroy --spec-env MLOPS_RELEASE_SPEC$/),
      environment: { MLOPS_RELEASE_SPEC: '${jsonencode(self.output)}', MLOPS_RELEASE_INSTANCE: '${self.id}' },
      when: 'destroy',
    });
    expect(apply.command.replace(/ apply --spec-env MLOPS_RELEASE_SPEC$/, '')).toEqual(command);
    expect(destroy.command.replace(/ destroy --spec-env MLOPS_RELEASE_SPEC$/, '')).toEqual(command);
  });

  test('the default command runs the @cdktf-mlops/release bin Node resolves from the library, by a path relative to the stack folder', () => {
    const outdir = path.join(__dirname, '..', 'cdktf.out');
    const stack = new TerraformStack(new App({ outdir }), 'dev-aws');
    const step = new ReleaseStep(stack, 'Step', { spec: { kind: 'training' }, triggers: { revision: 'abc' } });
    const bin = path.join(path.dirname(require.resolve('@cdktf-mlops/release/package.json')), 'bin', 'mlops-release.js');
    // cdktf.out/stacks/dev-aws → the release workspace (node_modules/@cdktf-mlops/release links to it).
    expect(releaseCommandFor(step)).toBe(`node "${path.relative(path.join(outdir, 'stacks', 'dev-aws'), bin)}"`);
    expect(releaseCommandFor(step)).toBe('node "../../../release/bin/mlops-release.js"');
  });

  test('a given command replaces the default', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    new ReleaseStep(stack, 'Step', { spec: { kind: 'training' }, triggers: { revision: 'abc' }, command: 'mlops-release' });
    const [resource] = Object.values(JSON.parse(Testing.synth(stack)).resource.terraform_data) as any[];
    expect(resource.provisioner[0]['local-exec'].command).toBe('mlops-release apply --spec-env MLOPS_RELEASE_SPEC');
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

  test('the synthesized command runs from the synthesized stack folder (as Terraform runs it, through a shell)', () => {
    const built = fs.existsSync(path.join(__dirname, '..', 'release', 'dist', 'src', 'cli.js'));
    if (!built) throw new Error('release/dist is missing: run the root `npm run build` first (npm test does)');
    const dir = fs.mkdtempSync(path.join(__dirname, '..', 'cdktf.outdir.release-'));
    try {
      const app = new App({ outdir: dir });
      const stack = new TerraformStack(app, 'dev-aws');
      new ReleaseStep(stack, 'Step', { spec: { kind: 'training' }, triggers: { revision: 'abc' } });
      app.synth();
      const tf = JSON.parse(fs.readFileSync(path.join(dir, 'stacks', 'dev-aws', 'cdk.tf.json'), 'utf8'));
      const [resource] = Object.values(tf.resource.terraform_data) as any[];
      const env = { ...process.env };
      delete env.MLOPS_RELEASE_SPEC;
      const result = spawnSync(resource.provisioner[0]['local-exec'].command, { shell: true, cwd: path.join(dir, 'stacks', 'dev-aws'), encoding: 'utf8', env });
      expect(result.stderr).toContain('MLOPS_RELEASE_SPEC is not set');
      expect(result.status).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails at synth with MLOPS_MISSING_PEER and the npm install line when @cdktf-mlops/release is not installed', () => {
    // A child process on the built library, where the package can be made unresolvable as if it were not installed.
    const script = `
      const Module = require('module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request.startsWith('@cdktf-mlops/release')) throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
        return resolve.call(this, request, ...rest);
      };
      const { Testing, TerraformStack } = require('cdktf');
      const { ReleaseStep } = require('./dist/lib/deploy/release-step');
      try {
        new ReleaseStep(new TerraformStack(Testing.app(), 'test'), 'Step', { spec: { kind: 'training' }, triggers: { revision: 'abc' } });
      } catch (e) { process.stdout.write(e.message); }`;
    const out = spawnSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).stdout;
    expect(out).toMatch(/\[MLOPS_MISSING_PEER\] test\/Step: needs the package @cdktf-mlops\/release[\s\S]*Fix: npm install @cdktf-mlops\/release@\^0\.1\.0$/);
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
