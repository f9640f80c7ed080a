import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as yaml from 'js-yaml';
import * as os from 'os';
import * as path from 'path';
import { CI_LOGIN_VALUES } from '../lib/ci';
import { Cloud } from '../lib/core/cloud';

/**
 * The GitHub workflows shipped for users' repositories are never run here:
 * this checks their structure — triggers, least permissions per job, OIDC
 * login per cloud from repository variables (never secrets), pinned actions,
 * concurrency, and the commands they run.
 */

const ROOT = path.join(__dirname, '..');
const DIR = path.join(ROOT, '.github', 'workflows');

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}
interface Job {
  readonly 'runs-on': string;
  readonly permissions?: Record<string, string>;
  readonly environment?: string | { name: string };
  readonly 'timeout-minutes'?: number;
  readonly env?: Record<string, string>;
  readonly steps: Step[];
}
interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; 'cancel-in-progress': boolean };
  readonly jobs: Record<string, Job>;
}

function load(file: string): { text: string; wf: Workflow } {
  const text = fs.readFileSync(path.join(DIR, file), 'utf8');
  return { text, wf: yaml.load(text) as Workflow };
}

const LOGIN_ACTIONS: Record<Cloud, string> = {
  azure: 'azure/login',
  aws: 'aws-actions/configure-aws-credentials',
  gcp: 'google-github-actions/auth',
};
const actionOf = (step: Step): string | undefined => step.uses?.split('@')[0]?.toLowerCase();
const isLogin = (step: Step): boolean => Object.values(LOGIN_ACTIONS).includes(actionOf(step) ?? '');

const ci = load('ci.yml');
const deploy = load('deploy.yml');
const ALL = { 'ci.yml': ci, 'deploy.yml': deploy };

describe('every workflow', () => {
  test('the folder holds exactly the shipped workflows', () => {
    expect(fs.readdirSync(DIR).sort()).toEqual(Object.keys(ALL).sort());
  });

  test.each(Object.keys(ALL))('%s: every action is pinned to a full commit SHA with its version in a comment', (file) => {
    const { text, wf } = ALL[file as keyof typeof ALL];
    const uses = Object.values(wf.jobs).flatMap((j) => j.steps.filter((s) => s.uses).map((s) => s.uses!));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+@[0-9a-f]{40}$/);
    const lines = text.split('\n').filter((l) => /^\s*(-\s*)?uses:/.test(l));
    expect(lines).toHaveLength(uses.length);
    for (const l of lines) expect(l).toMatch(/uses: [^\s@]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test.each(Object.keys(ALL))('%s: every run script is valid bash', (file) => {
    const { wf } = ALL[file as keyof typeof ALL];
    for (const step of Object.values(wf.jobs).flatMap((j) => j.steps)) {
      if (!step.run) continue;
      // GitHub substitutes expressions before bash sees the script.
      const script = step.run.replace(/\$\{\{[^}]*\}\}/g, 'x');
      const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      expect([step.name, result.status, result.stderr]).toEqual([step.name, 0, '']);
    }
  });

  test('one action, one pinned commit across the workflows', () => {
    const pins = new Map<string, Set<string>>();
    for (const { wf } of Object.values(ALL)) {
      for (const s of Object.values(wf.jobs).flatMap((j) => j.steps)) {
        if (!s.uses) continue;
        const [action, sha] = s.uses.split('@') as [string, string];
        pins.set(action.toLowerCase(), (pins.get(action.toLowerCase()) ?? new Set()).add(sha));
      }
    }
    for (const [action, shas] of pins) expect([action, shas.size]).toEqual([action, 1]);
  });

  test.each(Object.keys(ALL))('%s: no secrets; id-token only in jobs that sign in with OIDC; every job has least permissions and a timeout', (file) => {
    const { text, wf } = ALL[file as keyof typeof ALL];
    expect(text).not.toMatch(/secrets\./);
    expect(wf.permissions === undefined).toBe(false);
    // Top level grants at most contents: read.
    for (const [scope, level] of Object.entries(wf.permissions ?? {})) expect([scope, level]).toEqual(['contents', 'read']);
    for (const [name, job] of Object.entries(wf.jobs)) {
      expect(job['timeout-minutes']).toBeGreaterThan(0);
      expect(job.permissions).toBeDefined();
      const signsIn = job.steps.some(isLogin);
      const expected: Record<string, string> = signsIn ? { contents: 'read', 'id-token': 'write' } : { contents: 'read' };
      expect([name, job.permissions]).toEqual([name, expected]);
      for (const step of job.steps) {
        // No long-lived credentials as action inputs.
        for (const key of Object.keys(step.with ?? {})) expect(key).not.toMatch(/creds|credentials_json|access-key|secret|password/i);
        if (step.uses?.startsWith('actions/checkout')) expect(step.with?.['persist-credentials']).toBe(false);
      }
    }
  });
});

describe('ci.yml (pull requests)', () => {
  const { wf } = ci;
  const job = Object.values(wf.jobs)[0]!;

  test('runs on pull requests to main only', () => {
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    expect(wf.on.pull_request).toEqual({ branches: ['main'] });
  });

  test('least permissions: contents read, nothing else, and no cloud sign-in', () => {
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(Object.keys(wf.jobs)).toHaveLength(1);
    expect(job.permissions).toEqual({ contents: 'read' });
    expect(job.steps.filter(isLogin)).toEqual([]);
  });

  test('a superseded run of the same pull request is cancelled', () => {
    expect(wf.concurrency!['cancel-in-progress']).toBe(true);
    expect(wf.concurrency!.group).toContain('github.event.pull_request.number');
  });

  test('installs, tests and synthesizes (the policy pack) in that order, with Node 20', () => {
    const runs = job.steps.filter((s) => s.run).map((s) => s.run!.trim());
    expect(runs).toEqual(['npm ci', 'npm test', 'npm run synth']);
    const node = job.steps.find((s) => actionOf(s) === 'actions/setup-node')!;
    expect(node.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
    expect(job.steps.findIndex((s) => actionOf(s) === 'actions/checkout')).toBe(0);
  });
});

describe('deploy.yml (main)', () => {
  const { wf } = deploy;
  const [jobName, job] = Object.entries(wf.jobs)[0]!;
  const steps = job.steps;
  const index = (pred: (s: Step) => boolean): number => steps.findIndex(pred);

  test('runs on pushes to main and by hand', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(wf.on.push).toEqual({ branches: ['main'] });
  });

  test('one deploy job: id-token write and contents read only, in a GitHub environment', () => {
    expect(Object.keys(wf.jobs)).toEqual([jobName]);
    expect(wf.permissions).toEqual({});
    expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(job.environment).toBeTruthy();
    expect(JSON.stringify(job.environment)).toContain('vars.MLOPS_ENVIRONMENT');
  });

  test('deploys of a stack queue, never cancel each other', () => {
    expect(wf.concurrency!['cancel-in-progress']).toBe(false);
    expect(wf.concurrency!.group).toContain('vars.MLOPS_STACK');
  });

  test.each(Object.keys(LOGIN_ACTIONS) as Cloud[])('%s: one OIDC login step, only when MLOPS_CLOUD names the cloud, inputs from repository variables', (cloud) => {
    const logins = steps.filter((s) => actionOf(s) === LOGIN_ACTIONS[cloud]);
    expect(logins).toHaveLength(1);
    const login = logins[0]!;
    expect(login.if?.replace(/\s+/g, ' ')).toBe(`vars.MLOPS_CLOUD == '${cloud}'`);
    // Exactly the login values the CI identity outputs, each from its repository variable.
    const expected = Object.fromEntries(CI_LOGIN_VALUES[cloud].map((v) => [v.input, `\${{ vars.${v.variable} }}`]));
    for (const [input, value] of Object.entries(expected)) expect([input, login.with?.[input]]).toEqual([input, value]);
    for (const value of Object.values(login.with ?? {})) expect(String(value)).not.toMatch(/secrets\./);
    expect(index((s) => s === login)).toBeLessThan(index((s) => /npm run deploy/.test(s.run ?? '')));
  });

  test('the variable check requires exactly each cloud’s login variables', () => {
    const check = steps.find((s) => s.name === 'Check repository variables')!;
    for (const cloud of Object.keys(LOGIN_ACTIONS) as Cloud[]) {
      const line = new RegExp(`${cloud}\\) required="([^"]*)"`).exec(check.run!);
      expect(line).not.toBeNull();
      expect(line![1]!.split(' ').sort()).toEqual(CI_LOGIN_VALUES[cloud].map((v) => v.variable).sort());
      for (const v of CI_LOGIN_VALUES[cloud]) expect(check.env?.[v.variable]).toBe(`\${{ vars.${v.variable} }}`);
    }
    expect(index((s) => s === check)).toBeLessThan(Math.min(...steps.map((s, i) => (isLogin(s) ? i : Infinity))));
  });

  test('the variable check fails with the variable to set, and passes when everything is set', () => {
    const check = steps.find((s) => s.name === 'Check repository variables')!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-wf-'));
    try {
      fs.mkdirSync(path.join(dir, 'stacks', 'config'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'stacks', 'config', 'dev-aws.yaml'), 'cloud: aws\n');
      const run = (env: Record<string, string>) => spawnSync('bash', ['-e', '-c', check.run!], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
      const base = {
        MLOPS_CLOUD: 'aws',
        MLOPS_STACK: 'dev-aws',
        AWS_ROLE_TO_ASSUME: `arn:aws:iam::123456789012:role/x`,
        AWS_REGION: 'eu-west-1',
        AWS_ROLE_DURATION_SECONDS: '21600',
      };
      expect(run(base).status).toBe(0);
      const noRole = run({ ...base, AWS_ROLE_TO_ASSUME: '' });
      expect(noRole.status).toBe(1);
      expect(noRole.stdout).toContain('::error title=Repository variable AWS_ROLE_TO_ASSUME::copy the stack output aws_role_to_assume');
      // The session length is the CI role's maximum: a 1-hour default would expire during training and the rollout bake.
      const noDuration = run({ ...base, AWS_ROLE_DURATION_SECONDS: '' });
      expect(noDuration.status).toBe(1);
      expect(noDuration.stdout).toContain('copy the stack output aws_role_duration_seconds');
      const badCloud = run({ ...base, MLOPS_CLOUD: 'oci' });
      expect(badCloud.status).toBe(1);
      expect(badCloud.stdout).toContain("set MLOPS_CLOUD to azure, aws or gcp (got 'oci')");
      const badStack = run({ ...base, MLOPS_STACK: 'prod-aws' });
      expect(badStack.status).toBe(1);
      expect(badStack.stdout).toContain('Repository variable MLOPS_STACK');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Terraform talks to Azure through OIDC, without subscription-wide provider registration', () => {
    const arm = steps.find((s) => s.name === 'Let Terraform sign in to Azure with OIDC')!;
    expect(arm.if).toBe("vars.MLOPS_CLOUD == 'azure'");
    for (const line of [
      'ARM_USE_OIDC=true',
      'ARM_CLIENT_ID=$AZURE_CLIENT_ID',
      'ARM_TENANT_ID=$AZURE_TENANT_ID',
      'ARM_SUBSCRIPTION_ID=$AZURE_SUBSCRIPTION_ID',
      'ARM_RESOURCE_PROVIDER_REGISTRATIONS=none',
    ]) {
      expect(arm.run).toContain(line);
    }
  });

  test('sets up Terraform without the wrapper, installs, then deploys the stack the variables name with the release step', () => {
    const tf = steps.find((s) => actionOf(s) === 'hashicorp/setup-terraform')!;
    expect(tf.with?.terraform_wrapper).toBe(false);
    expect(String(tf.with?.terraform_version)).toMatch(/\d+\.\d+\.\d+/);
    const runs = steps.filter((s) => s.run).map((s) => s.run!.trim());
    const install = runs.indexOf('npm ci');
    const deployCmd = runs.indexOf('npm run deploy -- --auto-approve "$MLOPS_STACK"');
    expect(install).toBeGreaterThanOrEqual(0);
    expect(deployCmd).toBeGreaterThan(install);
    expect(index((s) => s === tf)).toBeLessThan(index((s) => s.run?.trim() === 'npm ci'));
    expect(job.env?.MLOPS_CONFIG).toBe('${{ vars.MLOPS_STACK }}');
    expect(job.env?.MLOPS_STACK).toBe('${{ vars.MLOPS_STACK }}');
  });
});

describe('the commands the workflows run exist', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

  test('npm test, npm run synth and npm run deploy are package scripts; deploy is cdktf deploy', () => {
    expect(pkg.scripts.test).toBeTruthy();
    expect(pkg.scripts.synth).toContain('dist/stacks/main.js');
    expect(pkg.scripts.deploy).toMatch(/cdktf deploy$/);
  });

  test('the stack name is the config file name, selected by MLOPS_CONFIG (what the deploy workflow relies on)', () => {
    // The app itself, as the workflow runs it: a config selected by path is synthesized as the stack named after the file.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-stack-name-'));
    try {
      const config = path.join(dir, 'team-prod.yaml');
      fs.copyFileSync(path.join(ROOT, 'stacks', 'config', 'dev-aws.yaml'), config);
      const out = path.join(dir, 'out');
      const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'stacks', 'main.js')], {
        cwd: ROOT,
        env: { ...process.env, MLOPS_CONFIG: config, CDKTF_OUTDIR: out, CHECKPOINT_DISABLE: '1' },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(fs.readdirSync(path.join(out, 'stacks'))).toEqual(['team-prod']);
      expect(fs.existsSync(path.join(out, 'stacks', 'team-prod', 'cdk.tf.json'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
