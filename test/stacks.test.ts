import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdktf';
import { loadConfig, parseConfig } from '../lib/config';
import { CLOUDS, Cloud } from '../lib/core/cloud';
import { PLATFORM_MEMBERS } from '../lib/core/contracts';
import { MlPlatformStack } from '../lib/stack';

const ROOT = path.join(__dirname, '..');
const CONFIG_DIR = path.join(ROOT, 'stacks', 'config');

function synthDev(cloud: Cloud, patch: (raw: any) => void = () => undefined): { stack: MlPlatformStack; json: any } {
  const raw = JSON.parse(JSON.stringify(loadConfig(path.join(CONFIG_DIR, `dev-${cloud}.yaml`))));
  patch(raw);
  const app = Testing.app();
  const stack = new MlPlatformStack(app, `dev-${cloud}`, { config: parseConfig(raw) });
  return { stack, json: JSON.parse(Testing.synth(stack)) };
}

// GCP: google-beta too, for google_project_service_identity (the lazily created service agents).
const PROVIDER: Record<Cloud, string[]> = { azure: ['azurerm'], aws: ['aws'], gcp: ['google', 'google-beta'] };
const PLATFORM_OUTPUTS = [
  'cloud',
  'workspace_name',
  'workspace_id',
  'region',
  'artifact_store_url',
  'image_uri',
  'model_registry_id',
  'encryption_key_id',
  'identity_id',
  'identity_principal',
  'training_compute',
  'training_instance_type',
  'network_mode',
];
const DEPLOYMENT_OUTPUTS = ['runtime_image', 'training_job_name', 'model_name', 'model_version', 'model_uri', 'endpoint_name', 'endpoint_url', 'endpoint_id'];
/** Outputs of deployment.pipeline (Azure: the pipeline's release spec, for `mlops-release start`). */
const PIPELINE_OUTPUTS: Record<Cloud, string[]> = { azure: ['pipeline_spec'], aws: [], gcp: [] };
const CI_OUTPUTS: Record<Cloud, string[]> = {
  azure: ['azure_client_id', 'azure_tenant_id', 'azure_subscription_id'],
  aws: ['aws_role_to_assume', 'aws_region', 'aws_role_duration_seconds'],
  gcp: ['gcp_workload_identity_provider', 'gcp_service_account'],
};

describe.each(CLOUDS)('the %s dev stack', (cloud) => {
  const { stack, json } = synthDev(cloud);

  test('configures only its own cloud provider, and docker to build and push the runtime image', () => {
    expect(Object.keys(json.provider).sort()).toEqual([...PROVIDER[cloud], 'docker'].sort());
  });

  test('without deployment, ci and alerts sections it is the platform alone, with one provider', () => {
    const { json: bare } = synthDev(cloud, (raw) => {
      delete raw.deployment;
      delete raw.ci;
      delete raw.alerts;
    });
    expect(Object.keys(bare.provider)).toEqual(PROVIDER[cloud]);
    expect(bare.resource.terraform_data).toBeUndefined();
    expect(bare.resource.docker_image).toBeUndefined();
    expect(Object.keys(bare.output).sort()).toEqual([...PLATFORM_OUTPUTS].sort());
  });

  test('deploys the runtime image, a training job and an endpoint, with alerts and a CI identity', () => {
    // Azure: the pipeline's serve step adds the release image, which the promoter job runs.
    const images = cloud === 'azure' ? 2 : 1;
    expect(Object.keys(json.resource.docker_image)).toHaveLength(images);
    expect(Object.keys(json.resource.docker_registry_image)).toHaveLength(images);
    const steps = Object.values(json.resource.terraform_data) as any[];
    const kinds = steps.map((s) => s.input.kind).sort();
    // Azure puts the pipeline (deployment.pipeline) on Azure ML with a release step of kind pipeline.
    expect(kinds).toEqual(cloud === 'aws' ? ['training'] : cloud === 'azure' ? ['endpoint', 'pipeline', 'training'] : ['endpoint', 'training']);
    for (const step of steps) {
      expect(step.input.image).toContain('@${docker_registry_image.');
      expect(step.triggers_replace.image_digest).toMatch(/^\$\{docker_registry_image\.[A-Za-z0-9_]+\.sha256_digest\}$/);
    }
    const endpointType = { aws: 'aws_sagemaker_endpoint', azure: undefined, gcp: 'google_vertex_ai_endpoint' }[cloud];
    if (endpointType) expect(Object.keys(json.resource[endpointType])).toHaveLength(1);
    const alertTypes = { aws: 'aws_cloudwatch_metric_alarm', azure: 'azurerm_monitor_scheduled_query_rules_alert_v2', gcp: 'google_monitoring_alert_policy' }[cloud];
    expect(Object.keys(json.resource[alertTypes]).length).toBeGreaterThan(0);
    const ciType = { aws: 'aws_iam_openid_connect_provider', azure: 'azurerm_federated_identity_credential', gcp: 'google_iam_workload_identity_pool_provider' }[cloud];
    expect(Object.keys(json.resource[ciType]).length).toBeGreaterThan(0);
    expect(json.output.endpoint_name.value).toBe('contoso-mlops-dev-bike-demand');
    expect(json.output.model_version.value).toMatch(/^[0-9a-f]{12}$/);
  });

  test('uses a local state backend when none is configured', () => {
    expect(json.terraform.backend.local.path).toBe(`terraform.dev-${cloud}.tfstate`);
  });

  test('implements every member of the platform contract', () => {
    expect(stack.platform.cloud).toBe(cloud);
    for (const member of PLATFORM_MEMBERS) {
      const part = stack.platform[member];
      expect(part).toBeDefined();
      expect(part.cloud).toBe(cloud);
    }
    expect(typeof stack.platform.artifactStore.grantRead).toBe('function');
    expect(typeof stack.platform.artifactStore.grantReadWrite).toBe('function');
    expect(typeof stack.platform.imageRegistry.grantPull).toBe('function');
    expect(typeof stack.platform.imageRegistry.grantPush).toBe('function');
    expect(typeof stack.platform.modelRegistry.grantRead).toBe('function');
    expect(typeof stack.platform.modelRegistry.grantWrite).toBe('function');
    expect(typeof stack.platform.workspace.grantUse).toBe('function');
    expect(typeof stack.platform.encryptionKey.grantEncryptDecrypt).toBe('function');
    // Who deploys, and through which network: the same members on every cloud.
    expect(stack.platform.network.mode).toBe('firewalled');
    expect(stack.platform.deployers.length).toBeGreaterThan(0);
    expect(typeof stack.platform.grantDeploy).toBe('function');
  });

  test('outputs every cloud-neutral attribute, the deployment and the CI login values, none empty', () => {
    const names = [...PLATFORM_OUTPUTS, ...DEPLOYMENT_OUTPUTS, ...CI_OUTPUTS[cloud], ...PIPELINE_OUTPUTS[cloud]];
    expect(Object.keys(json.output).sort()).toEqual([...names].sort());
    for (const name of names) expect(String(json.output[name].value).length).toBeGreaterThan(0);
    expect(json.output.cloud.value).toBe(cloud);
  });

  test('tags every taggable resource with the platform tags', () => {
    const key = cloud === 'gcp' ? 'labels' : 'tags';
    const expected = { company: 'contoso', project: 'mlops', environment: 'dev', 'managed-by': 'cdktf-mlops', owner: 'platform-team' };
    if (cloud === 'aws') {
      // AWS tags through the provider's default_tags.
      expect(json.provider.aws[0].default_tags[0].tags).toMatchObject(expected);
      return;
    }
    if (cloud === 'gcp') {
      expect(json.provider.google[0].default_labels).toEqual({ ...expected, 'cost-center': 'ml-1234' });
      return;
    }
    const tagged = Object.values(json.resource as Record<string, Record<string, any>>)
      .flatMap((byId) => Object.values(byId))
      .filter((r) => r[key] !== undefined);
    expect(tagged.length).toBeGreaterThan(5);
    for (const r of tagged) expect(r[key]).toMatchObject(expected);
  });

  test('synthesizes deterministically', () => {
    expect(synthDev(cloud).json).toEqual(json);
  });
});

describe('state backends from config', () => {
  test('s3 with native locking and encryption', () => {
    const { json } = synthDev('aws', (raw) => {
      raw.backend = { type: 's3', bucket: 'contoso-tfstate', key: 'mlops/dev.tfstate', region: 'eu-west-1' };
    });
    expect(json.terraform.backend.s3).toEqual({ bucket: 'contoso-tfstate', key: 'mlops/dev.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true });
  });

  test('azurerm with Entra ID auth', () => {
    const { json } = synthDev('azure', (raw) => {
      raw.backend = { type: 'azurerm', resourceGroupName: 'tfstate', storageAccountName: 'contosotfstate', containerName: 'tfstate', key: 'dev.tfstate' };
    });
    expect(json.terraform.backend.azurerm).toMatchObject({ storage_account_name: 'contosotfstate', use_azuread_auth: true });
  });

  test('gcs with the stack name as default prefix', () => {
    const { json } = synthDev('gcp', (raw) => {
      raw.backend = { type: 'gcs', bucket: 'contoso-tfstate' };
    });
    expect(json.terraform.backend.gcs).toEqual({ bucket: 'contoso-tfstate', prefix: 'dev-gcp' });
  });
});

describe('the deployable app (compiled, as `npm run synth` runs it)', () => {
  const main = path.join(ROOT, 'dist', 'stacks', 'main.js');
  let out: string;
  beforeEach(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-synth-'));
  });
  afterEach(() => fs.rmSync(out, { recursive: true, force: true }));

  function run(env: Record<string, string>): ReturnType<typeof spawnSync> {
    return spawnSync(process.execPath, [main], { cwd: ROOT, env: { ...process.env, ...env, CDKTF_OUTDIR: out, MLOPS_SYNTH_SUMMARY: '1' }, encoding: 'utf8' });
  }

  test('writes Terraform JSON for the dev and prod stacks of azure, aws and gcp in one process', () => {
    const r = run({ MLOPS_CONFIG: '' });
    expect(r.status).toBe(0);
    const shipped = ['dev-aws', 'dev-azure', 'dev-gcp', 'prod-aws', 'prod-azure', 'prod-gcp'];
    expect(fs.readdirSync(path.join(out, 'stacks')).sort()).toEqual(shipped);
    for (const s of shipped) {
      const tf = JSON.parse(fs.readFileSync(path.join(out, 'stacks', s, 'cdk.tf.json'), 'utf8'));
      expect(Object.keys(tf.resource).length).toBeGreaterThan(3);
    }
    expect(r.stdout).toContain('Synthesized 6 stack(s)');
  });

  test('MLOPS_CONFIG picks one config', () => {
    const r = run({ MLOPS_CONFIG: 'dev-gcp' });
    expect(r.status).toBe(0);
    expect(fs.readdirSync(path.join(out, 'stacks'))).toEqual(['dev-gcp']);
  });

  test('a bad config fails the synth with the path-named problems and no stack trace', () => {
    const bad = path.join(out, 'bad.yaml');
    fs.writeFileSync(bad, 'cloud: aws\nnaming: {company: contoso, project: mlops, environment: dev}\nregion: mars-1\n');
    const r = run({ MLOPS_CONFIG: bad });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('region: is malformed');
    expect(r.stderr).toContain('aws: is required when cloud is aws');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  test('MLOPS_CONFIG=",,," fails the synth, naming the variable and the fix, instead of synthesizing 0 stacks', () => {
    const r = run({ MLOPS_CONFIG: ',,,' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[MLOPS_CONFIG_INVALID] MLOPS_CONFIG: names no config: got ",,,"');
    expect(r.stderr).toContain('Fix: set MLOPS_CONFIG to one or more of');
    expect(r.stdout).not.toContain('Synthesized 0 stack(s)');
    expect(fs.existsSync(path.join(out, 'stacks')) ? fs.readdirSync(path.join(out, 'stacks')) : []).toEqual([]);
  });

  test('two configs with one file name fail the synth, naming both paths (no cdktf stack trace)', () => {
    for (const d of ['a', 'b']) {
      fs.mkdirSync(path.join(out, d));
      fs.copyFileSync(path.join(CONFIG_DIR, 'dev-gcp.yaml'), path.join(out, d, 'dev.yaml'));
    }
    const r = run({ MLOPS_CONFIG: `${path.join(out, 'a', 'dev.yaml')},${path.join(out, 'b', 'dev.yaml')}` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.join(out, 'b', 'dev.yaml')}: gives the stack name "dev", as ${path.join(out, 'a', 'dev.yaml')} does`);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  test.each([
    ['a directory', (dir: string) => dir, 'is a directory'],
    ['a file name with a space', (dir: string) => path.join(dir, 'my config.yaml'), 'cannot name a stack'],
    ['a file named .yaml', (dir: string) => path.join(dir, '.yaml'), 'cannot name a stack'],
  ])('%s as config fails the synth with a clear error and no stack trace', (_what, target, expected) => {
    const dir = path.join(out, 'configs');
    fs.mkdirSync(dir);
    for (const name of ['my config.yaml', '.yaml']) fs.copyFileSync(path.join(CONFIG_DIR, 'dev-gcp.yaml'), path.join(dir, name));
    const r = run({ MLOPS_CONFIG: target(dir) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(expected);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

test('an app that builds no stack from config still works with the library alone', () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-empty-')) });
  expect(() => app.synth()).not.toThrow();
  fs.rmSync(app.outdir, { recursive: true, force: true });
});

test('synth writes what a fresh resolution of the stack gives (no JSON cached between the policy check and the write)', () => {
  const { TerraformStack } = require('cdktf') as typeof import('cdktf');
  const raw = JSON.parse(JSON.stringify(loadConfig(path.join(CONFIG_DIR, 'dev-gcp.yaml'))));
  const stack = new MlPlatformStack(Testing.app(), 'dev-gcp', { config: parseConfig(raw) });
  const written = JSON.parse(Testing.synth(stack, true));
  const fresh = JSON.parse(JSON.stringify(TerraformStack.prototype.toTerraform.call(stack)));
  const strip = (j: any): any => {
    if (Array.isArray(j)) return j.map(strip);
    if (j === null || typeof j !== 'object') return j;
    return Object.fromEntries(
      Object.entries(j)
        .filter(([k]) => k !== '//')
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  expect(strip(written)).toEqual(strip(fresh));
  // The stack does not override toTerraform: what is written cannot depend on what ran before.
  expect(Object.hasOwn(MlPlatformStack.prototype, 'toTerraform')).toBe(false);
});
