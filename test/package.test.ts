/**
 * The three packages as a consumer gets them: packed with `npm pack`, installed
 * from the tarballs into a fresh cdktf project in the OS temp dir (no path back
 * into this repository: no `file:` link to it, no NODE_PATH), with cdktf,
 * constructs, the provider packages and TypeScript from the npm cache or
 * registry. There the consumer's TypeScript is type-checked against the
 * shipped declarations (`moduleResolution: node`, so through `typesVersions`)
 * and synthesized, one app per cloud, each scenario a stack.
 *
 * Adding a scenario: append one `scenario({...})` below (its TypeScript, run
 * in the consumer app of each cloud, and its checks on the synthesized stack).
 *
 * Needs no Docker, Terraform or credentials; takes 2-4 minutes (most of it the
 * provider packages' install), so it runs in `npm test` after the build.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { validConfig } from './util';

jest.setTimeout(15 * 60 * 1000);

type Cloud = 'aws' | 'azure' | 'gcp';
const CLOUDS: readonly Cloud[] = ['aws', 'azure', 'gcp'];
const REPO = path.resolve(__dirname, '..');

// ---------------------------------------------------------------------------------------------
// Scenarios

/** What a scenario's checks get. */
interface ScenarioContext {
  readonly cloud: Cloud;
  /** The synthesized stack (cdk.tf.json). */
  readonly tf: any;
  /** Its folder: where Terraform runs, and the release steps with it. */
  readonly stackDir: string;
  /** The consumer project (the temp dir with node_modules). */
  readonly projectDir: string;
}

/** One consumer use of the packages, synthesized as one stack per cloud (`<id>-<cloud>`). */
interface Scenario {
  /** Stack id prefix (lowercase, hyphens). */
  readonly id: string;
  /** What it shows, for the test names. */
  readonly title: string;
  /** The clouds it runs on. */
  readonly clouds: readonly Cloud[];
  /**
   * TypeScript run in the consumer app of `cloud`, in a block that has: `app`
   * (the cdktf App), `id` (the stack id), `CONFIG` (a valid config object of the
   * cloud, firewalled, no deployment), `DEPLOYMENT` (a deployment: section), `providers(stack)`
   * (adds the cloud's providers to a stack), `mlops` (= 'cdktf-mlops'), `cloud`
   * (= 'cdktf-mlops/<cloud>'), `cdktf` and `constructs`.
   */
  readonly code: (cloud: Cloud) => string;
  /** Checks on the synthesized stack. */
  readonly check: (ctx: ScenarioContext) => void;
}

const SCENARIOS: Scenario[] = [];
/** Registers a scenario. */
function scenario(s: Scenario): void {
  SCENARIOS.push(s);
}

const ACCOUNT = validConfig('aws').aws.accountId as string;
const AZURE = validConfig('azure').azure as { subscriptionId: string; tenantId: string };
const PROJECT = validConfig('gcp').gcp.projectId as string;
const REGION: Record<Cloud, string> = { aws: validConfig('aws').region, azure: validConfig('azure').region, gcp: validConfig('gcp').region };
const IMAGE_DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const IMAGE_URI: Record<Cloud, string> = {
  aws: `${ACCOUNT}.dkr.ecr.${REGION.aws}.amazonaws.com/contoso-mlops-dev@${IMAGE_DIGEST}`,
  azure: `contosomlopsdevacr.azurecr.io/mlops-runtime@${IMAGE_DIGEST}`,
  gcp: `${REGION.gcp}-docker.pkg.dev/${PROJECT}/contoso-mlops-dev/runtime@${IMAGE_DIGEST}`,
};

scenario({
  id: 'config',
  title: 'a platform from a config written in code (defineConfig), in the consumer’s own stack',
  clouds: CLOUDS,
  code: (cloud) => `
    const stack = new cdktf.TerraformStack(app, id);
    providers(stack);
    // Checked by the compiler (the cloud's section is required, others refused) and validated with the YAML config's rules.
    const config = mlops.defineConfig(${JSON.stringify(consumerConfig(cloud))});
    const platform = mlops.createPlatform(stack, 'Platform', config);
    new cdktf.TerraformOutput(stack, 'artifacts', { value: platform.artifactStore.url });
    new cdktf.TerraformOutput(stack, 'mode', { value: platform.network.mode });`,
  check: ({ cloud, tf }) => {
    const store = { aws: 'aws_s3_bucket', azure: 'azurerm_storage_account', gcp: 'google_storage_bucket' }[cloud];
    expect(Object.keys(tf.resource[store] ?? {})).toHaveLength(1);
    expect(tf.output.artifacts.value).toBeDefined();
    expect(tf.output.mode.value).toBe('firewalled');
  },
});

/** A team's own identity class: not a construct of the library, granted through the cloud-neutral contract. */
const CUSTOM_IDENTITY: Record<Cloud, { cloud: Cloud; name: string; id: string; principal: string }> = {
  aws: { cloud: 'aws', name: 'team-scoring', id: `arn:aws:iam::${ACCOUNT}:role/team-scoring`, principal: `arn:aws:iam::${ACCOUNT}:role/team-scoring` },
  azure: {
    cloud: 'azure',
    name: 'team-scoring',
    id: `/subscriptions/${AZURE.subscriptionId}/resourceGroups/rg-team/providers/Microsoft.ManagedIdentity/userAssignedIdentities/team-scoring`,
    principal: '22222222-3333-4444-5555-666666666666',
  },
  gcp: { cloud: 'gcp', name: 'team-scoring', id: `team-scoring@${PROJECT}.iam.gserviceaccount.com`, principal: `serviceAccount:team-scoring@${PROJECT}.iam.gserviceaccount.com` },
};

scenario({
  id: 'byo',
  title: 'a platform on imported key, store, registry and identity, passing the policy pack, with a team’s own IWorkloadIdentity class granted its store',
  clouds: CLOUDS,
  code: (cloud) => {
    const lz = `/subscriptions/${AZURE.subscriptionId}/resourceGroups/rg-lz-shared/providers`;
    const platform = {
      aws: `
    const key = cloud.AwsEncryptionKey.fromKeyArn(stack, 'LzKey', 'arn:aws:kms:${REGION.aws}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const platform = new cloud.AwsMlPlatform(stack, 'Platform', {
      naming, accountId: '${ACCOUNT}', region: '${REGION.aws}', deployers: ['arn:aws:iam::${ACCOUNT}:role/Admin'],
      existing: {
        encryptionKey: key,
        artifactStore: cloud.AwsArtifactStore.fromExisting(stack, 'LzBucket', { bucketName: 'contoso-lz-ml-data', encryptionKey: key }),
        imageRegistry: cloud.AwsImageRegistry.fromExisting(stack, 'LzRepo', { repositoryArn: 'arn:aws:ecr:${REGION.aws}:${ACCOUNT}:repository/lz/ml-runtime', encryptionKey: key }),
        identity: cloud.AwsWorkloadIdentity.fromRoleArn(stack, 'LzRole', 'arn:aws:iam::${ACCOUNT}:role/lz-ml-workload'),
      },
    });`,
      azure: `
    const key = cloud.AzureEncryptionKey.fromExisting(stack, 'Cmk', { keyVaultId: '${lz}/Microsoft.KeyVault/vaults/kv-lz-dev', keyId: 'https://kv-lz-dev.vault.azure.net/keys/ml-cmk', purgeProtected: true, reachableFrom: 'allowedRanges' });
    const platform = new cloud.AzureMlPlatform(stack, 'Platform', {
      naming, region: '${REGION.azure}', tenantId: '${AZURE.tenantId}', deployers: ['33333333-4444-5555-6666-777777777777'],
      network: { mode: 'firewalled', allowedIpRanges: ['203.0.113.0/24'] },
      existing: {
        resourceGroup: cloud.AzureResourceGroup.fromName(stack, 'Rg', 'rg-churn-dev', '${REGION.azure}'),
        encryptionKey: key,
        artifactStore: cloud.AzureArtifactStore.fromExisting(stack, 'Data', { storageAccountId: '${lz}/Microsoft.Storage/storageAccounts/stlzdev', containerName: 'churn', encryptionKey: key, reachableFrom: 'allowedRanges' }),
        imageRegistry: cloud.AzureImageRegistry.fromExisting(stack, 'Acr', { registryId: '${lz}/Microsoft.ContainerRegistry/registries/crlzdev', reachableFrom: 'allowedRanges' }),
        identity: cloud.AzureWorkloadIdentity.fromExisting(stack, 'Jobs', { identityId: '${lz}/Microsoft.ManagedIdentity/userAssignedIdentities/id-churn-jobs', principalId: '44444444-5555-6666-7777-888888888888', clientId: '55555555-6666-7777-8888-999999999999' }),
      },
    });`,
      gcp: `
    const key = cloud.GcpEncryptionKey.fromKeyId(stack, 'Key', 'projects/${PROJECT}/locations/${REGION.gcp}/keyRings/data/cryptoKeys/ml');
    const platform = new cloud.GcpMlPlatform(stack, 'Platform', {
      naming, projectId: '${PROJECT}', region: '${REGION.gcp}', deployers: ['group:platform@contoso.com'],
      existing: {
        encryptionKey: key,
        artifactStore: cloud.GcpArtifactStore.fromExisting(stack, 'Data', { bucketName: 'contoso-lz-ml-data', encryptionKey: key }),
        imageRegistry: cloud.GcpImageRegistry.fromRepositoryId(stack, 'Images', 'projects/${PROJECT}/locations/${REGION.gcp}/repositories/images'),
        identity: cloud.GcpWorkloadIdentity.fromServiceAccountEmail(stack, 'Runner', 'ml-runner@${PROJECT}.iam.gserviceaccount.com'),
      },
    });`,
    }[cloud];
    const custom = CUSTOM_IDENTITY[cloud];
    return `
    const stack = new cdktf.TerraformStack(app, id);
    providers(stack);
    const naming = { company: 'contoso', project: 'mlops', environment: 'dev' };${platform}
    class TeamIdentity extends constructs.Construct implements mlops.IWorkloadIdentity {
      readonly cloud = '${custom.cloud}' as const;
      readonly identityName = '${custom.name}';
      readonly identityId = '${custom.id}';
      readonly principal = '${custom.principal}';
    }
    platform.artifactStore.grantRead(new TeamIdentity(stack, 'Team'));
    policy.applyPolicyPack(stack, { networkMode: platform.network.mode, deployers: () => platform.deployers, log: () => undefined });`;
  },
  check: ({ cloud, tf }) => {
    const all = (type: string): any[] => Object.values(tf.resource[type] ?? {});
    const created = {
      aws: ['aws_kms_key', 'aws_s3_bucket', 'aws_ecr_repository', 'aws_iam_role'],
      azure: ['azurerm_resource_group', 'azurerm_key_vault', 'azurerm_storage_account', 'azurerm_container_registry', 'azurerm_user_assigned_identity'],
      gcp: ['google_kms_crypto_key', 'google_storage_bucket', 'google_artifact_registry_repository', 'google_service_account'],
    }[cloud];
    // None of the imported resources is created. Two documented exceptions, each a resource of its own:
    // AWS: a service key for the log group and alert topics (their key policy must name the services, and an
    // imported key's policy is never written); Azure: the workspace's service identity.
    const own: Record<string, number> = { aws_kms_key: cloud === 'aws' ? 1 : 0, azurerm_user_assigned_identity: cloud === 'azure' ? 1 : 0 };
    for (const type of created) expect({ type, count: all(type).length }).toEqual({ type, count: own[type] ?? 0 });
    if (cloud === 'aws') expect(all('aws_kms_alias').map((a) => a.name)).toEqual(['alias/contoso-mlops-dev-service-key']);
    if (cloud === 'azure') expect(all('azurerm_user_assigned_identity').map((i) => i.name)).toEqual(['contoso-mlops-dev-id-svc']);
    const custom = CUSTOM_IDENTITY[cloud];
    switch (cloud) {
      case 'aws': {
        const policies = all('aws_iam_role_policy');
        expect(policies.some((p) => p.role === 'lz-ml-workload' && /data\.aws_s3_bucket\.LzBucket_\w+\.arn/.test(String(p.policy)))).toBe(true);
        expect(policies.some((p) => p.role === 'team-scoring' && String(p.policy).includes('s3:GetObject'))).toBe(true);
        break;
      }
      case 'azure': {
        const assignments = all('azurerm_role_assignment');
        expect(assignments.some((a) => a.principal_id === '44444444-5555-6666-7777-888888888888' && String(a.scope).includes('stlzdev'))).toBe(true);
        expect(assignments.some((a) => a.principal_id === custom.principal && a.role_definition_name === 'Storage Blob Data Reader')).toBe(true);
        break;
      }
      case 'gcp': {
        const members = all('google_storage_bucket_iam_member');
        expect(
          members.some((m) => m.bucket === 'contoso-lz-ml-data' && m.member === 'serviceAccount:ml-runner@${PROJECT}.iam.gserviceaccount.com'.replace('${PROJECT}', PROJECT)),
        ).toBe(true);
        expect(members.some((m) => m.member === custom.principal && m.role === 'roles/storage.objectViewer')).toBe(true);
        break;
      }
    }
  },
});

scenario({
  id: 'grant',
  title: 'a consumer-owned workload identity granted the platform’s stores, and a consumer-owned store granted to the platform’s identity',
  clouds: CLOUDS,
  code: (cloud) => `
    const stack = new cdktf.TerraformStack(app, id);
    providers(stack);
    const platform = mlops.createPlatform(stack, 'Platform', mlops.parseConfig(CONFIG));
    const naming = { company: 'contoso', project: 'scoring', environment: 'dev' };
    const batch = ${
      {
        aws: `new cloud.AwsWorkloadIdentity(stack, 'BatchScoring', { naming, accountId: '${ACCOUNT}', region: '${REGION.aws}', resourceName: 'batch-scoring' })`,
        azure: `new cloud.AzureWorkloadIdentity(stack, 'BatchScoring', { naming, resourceGroup: (platform as cloud.AzureMlPlatform).resourceGroup, resource: 'batch-scoring' })`,
        gcp: `new cloud.GcpWorkloadIdentity(stack, 'BatchScoring', { naming, projectId: '${PROJECT}' })`,
      }[cloud]
    };
    const identity: mlops.IWorkloadIdentity = batch;
    platform.artifactStore.grantRead(identity);
    platform.imageRegistry.grantPull(identity);
    platform.modelRegistry.grantRead(identity);
    // The other direction: the team's own store, granted to the platform's identity (training jobs read the team's data).
    const teamData = ${
      {
        aws: `cloud.AwsArtifactStore.fromBucketName(stack, 'TeamData', 'contoso-team-scoring-data')`,
        azure: `cloud.AzureArtifactStore.fromExisting(stack, 'TeamData', { storageAccountId: '/subscriptions/${AZURE.subscriptionId}/resourceGroups/rg-team/providers/Microsoft.Storage/storageAccounts/stteamscoring', containerName: 'scoring', reachableFrom: 'allowedRanges' })`,
        gcp: `cloud.GcpArtifactStore.fromBucketName(stack, 'TeamData', 'contoso-team-scoring-data')`,
      }[cloud]
    };
    teamData.grantRead(platform.identity);`,
  check: ({ cloud, tf }) => {
    const all = (type: string): any[] => Object.values(tf.resource[type] ?? {});
    switch (cloud) {
      case 'aws': {
        const policy = all('aws_iam_role_policy').find((p) => String(p.role).includes('BatchScoring'));
        expect(policy?.policy).toContain('s3:GetObject');
        expect(policy?.policy).toContain('ecr:BatchGetImage');
        expect(policy?.policy).not.toContain('s3:PutObject');
        // The platform's role may read the team's bucket.
        const platformPolicy = all('aws_iam_role_policy').find((p) => String(p.role).includes('Platform_Identity'));
        expect(platformPolicy?.policy).toMatch(/data\.aws_s3_bucket\.TeamData_\w+\.arn/);
        break;
      }
      case 'azure': {
        const roles = all('azurerm_role_assignment')
          .filter((a) => String(a.principal_id).includes('BatchScoring'))
          .map((a) => a.role_definition_name);
        expect(roles).toEqual(expect.arrayContaining(['Storage Blob Data Reader', 'AcrPull']));
        const team = all('azurerm_role_assignment').find((a) => String(a.scope).includes('stteamscoring') && String(a.principal_id).includes('Platform_Identity'));
        expect(team?.role_definition_name).toBe('Storage Blob Data Reader');
        break;
      }
      case 'gcp': {
        const members = all('google_storage_bucket_iam_member')
          .filter((m) => String(m.member).includes('BatchScoring'))
          .map((m) => m.role);
        expect(members).toContain('roles/storage.objectViewer');
        const team = all('google_storage_bucket_iam_member').find((m) => m.bucket === 'contoso-team-scoring-data');
        expect(team?.member).toMatch(/Platform_Identity/);
        expect(team?.role).toBe('roles/storage.objectViewer');
        break;
      }
    }
  },
});

/** The release steps' commands: each must run the release bin installed in the consumer project. */
function checkReleaseSteps({ tf, stackDir, projectDir }: ScenarioContext): void {
  const steps = Object.values(tf.resource.terraform_data ?? {}) as any[];
  expect(steps.length).toBeGreaterThan(0);
  const bin = fs.realpathSync(path.join(projectDir, 'node_modules', '@cdktf-mlops', 'release', 'bin', 'mlops-release.js'));
  for (const step of steps) {
    for (const p of step.provisioner) {
      const m = /^node "([^"]+)" (apply|destroy) --spec-env MLOPS_RELEASE_SPEC$/.exec(p['local-exec'].command);
      expect(m).not.toBeNull();
      // Relative to the stack folder, into the consumer's node_modules.
      expect(path.isAbsolute(m![1]!)).toBe(false);
      expect(path.resolve(stackDir, m![1]!)).toBe(bin);
    }
  }
  // The command runs there, as Terraform's local-exec runs it (a shell in the stack folder).
  const command = /^(node "[^"]+")/.exec(steps[0].provisioner[0]['local-exec'].command)![1]!;
  const help = run(`${command} --help`, stackDir, { shell: true });
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('usage: mlops release <apply|destroy|start|promote>');
  const noSpec = run(`${command} apply --spec-env MLOPS_RELEASE_SPEC`, stackDir, { shell: true });
  expect(noSpec.stderr).toContain('environment variable MLOPS_RELEASE_SPEC is not set');
  expect(noSpec.status).toBe(2);
}

scenario({
  id: 'deploy',
  title: 'a stack with deployment: the image built from the runtime package, the release step from node_modules',
  clouds: CLOUDS,
  code: () => `
    new mlops.MlPlatformStack(app, id, { config: mlops.parseConfig({ ...CONFIG, deployment: DEPLOYMENT }) });`,
  check: (ctx) => {
    checkReleaseSteps(ctx);
    const images = Object.values(ctx.tf.resource.docker_image) as any[];
    expect(images).toHaveLength(1);
    // The build context is the runtime package's, staged into the stack's assets.
    const context = path.join(ctx.stackDir, images[0].build.context);
    expect(images[0].build.dockerfile).toBe(`${images[0].build.context}/Dockerfile`);
    for (const file of [
      'Dockerfile',
      'Dockerfile.dockerignore',
      'package.json',
      'npm-shrinkwrap.json',
      'tsconfig.build.json',
      'src/index.ts',
      'bin/mlops.js',
      'docker/entrypoint.js',
    ]) {
      expect({ file, exists: fs.existsSync(path.join(context, file)) }).toEqual({ file, exists: true });
    }
    const installed = path.join(ctx.projectDir, 'node_modules', '@cdktf-mlops', 'runtime');
    expect(fs.readFileSync(path.join(context, 'npm-shrinkwrap.json'), 'utf8')).toBe(fs.readFileSync(path.join(installed, 'npm-shrinkwrap.json'), 'utf8'));
  },
});

scenario({
  id: 'image-uri',
  title: 'a stack with deployment.image.uri: no Docker build, the release step from node_modules',
  clouds: CLOUDS,
  code: (cloud) => `
    new mlops.MlPlatformStack(app, id, { config: mlops.parseConfig({ ...CONFIG, deployment: { ...DEPLOYMENT, image: { uri: '${IMAGE_URI[cloud]}' } } }) });`,
  check: (ctx) => {
    checkReleaseSteps(ctx);
    expect(ctx.tf.resource.docker_image).toBeUndefined();
    expect(ctx.tf.provider.docker).toBeUndefined();
    expect(fs.existsSync(path.join(ctx.stackDir, 'assets')) && fs.readdirSync(path.join(ctx.stackDir, 'assets')).some((a) => a.includes('BuildContext'))).toBe(false);
    expect(ctx.tf.output.runtime_image.value).toBe(IMAGE_URI[ctx.cloud]);
  },
});

// ---------------------------------------------------------------------------------------------
// The consumer project

/** The config every scenario starts from: valid, firewalled with a documentation range (Terraform's writes need a path: MLOPS_DEPLOY_AZURE_WRITE_PATH). */
function consumerConfig(cloud: Cloud): Record<string, unknown> {
  return { ...validConfig(cloud), network: { mode: 'firewalled', allowedIpRanges: ['203.0.113.0/24'] } };
}
const DEPLOYMENT = { model: 'bike-demand', training: { data: 'datasets/bike/hour.csv', hyperparameters: { target: 'cnt' } } };
const PROVIDERS: Record<Cloud, { imports: string; add: string; packages: string[] }> = {
  aws: {
    imports: `import { AwsProvider } from '@cdktf/provider-aws/lib/provider';`,
    add: `new AwsProvider(stack, 'aws', { region: '${REGION.aws}', allowedAccountIds: ['${ACCOUNT}'] });`,
    packages: ['@cdktf/provider-aws'],
  },
  azure: {
    imports: `import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';`,
    add: `new AzurermProvider(stack, 'azurerm', { features: [{}], subscriptionId: '${AZURE.subscriptionId}', tenantId: '${AZURE.tenantId}' });`,
    packages: ['@cdktf/provider-azurerm'],
  },
  gcp: {
    imports: `import { GoogleProvider } from '@cdktf/provider-google/lib/provider';\nimport { GoogleBetaProvider } from '@cdktf/provider-google-beta/lib/provider';`,
    add: `new GoogleProvider(stack, 'google', { project: '${PROJECT}', region: '${REGION.gcp}' });\n  new GoogleBetaProvider(stack, 'google-beta', { project: '${PROJECT}', region: '${REGION.gcp}' });`,
    packages: ['@cdktf/provider-google', '@cdktf/provider-google-beta'],
  },
};
const ALL_PROVIDERS = ['@cdktf/provider-aws', '@cdktf/provider-azurerm', '@cdktf/provider-google', '@cdktf/provider-google-beta', '@cdktf/provider-docker'];

/** The consumer app of one cloud: imports only that cloud, one block per scenario, then synth and a report of the provider packages it loaded. */
function appSource(cloud: Cloud): string {
  const blocks = SCENARIOS.filter((s) => s.clouds.includes(cloud)).map((s) => `{\n  const id = '${s.id}-${cloud}';${s.code(cloud)}\n}`);
  return `// Generated by cdktf-mlops test/package.test.ts: a consumer of the packed packages, ${cloud} only.
import * as cdktf from 'cdktf';
import * as constructs from 'constructs';
import * as mlops from 'cdktf-mlops';
import * as cloud from 'cdktf-mlops/${cloud}';
import * as policy from 'cdktf-mlops/policy';
${PROVIDERS[cloud].imports}

void constructs;
void cloud;
void policy;
const CONFIG = ${JSON.stringify(consumerConfig(cloud))} as const;
const DEPLOYMENT = ${JSON.stringify(DEPLOYMENT)};
void DEPLOYMENT;
function providers(stack: cdktf.TerraformStack): void {
  ${PROVIDERS[cloud].add}
}
void providers;

const app = new cdktf.App();
${blocks.join('\n')}
app.synth();

const loaded = Object.keys(require.cache);
const packages = ${JSON.stringify(ALL_PROVIDERS)}.filter((p) => loaded.some((f) => f.includes('/node_modules/' + p + '/')));
console.log(JSON.stringify({ providers: packages, library: require.resolve('cdktf-mlops') }));
`;
}

/** Environment for the consumer's processes: nothing that points back into this repository or its npm run. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_PATH' || k === 'NODE_OPTIONS' || k === 'INIT_CWD' || (k.toLowerCase().startsWith('npm_') && !/^npm_config_(cache|registry|userconfig)$/i.test(k))) continue;
    env[k] = v;
  }
  return { ...env, CHECKPOINT_DISABLE: '1', NPM_CONFIG_AUDIT: 'false', NPM_CONFIG_FUND: 'false', NPM_CONFIG_UPDATE_NOTIFIER: 'false', ...extra };
}

function run(command: string, cwd: string, options: { shell?: boolean; args?: string[]; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, options.args ?? [], { cwd, shell: options.shell ?? false, encoding: 'utf8', env: cleanEnv(options.env), maxBuffer: 64 * 1024 * 1024 });
}

function must(r: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The version of a package this repository has installed: the consumer installs the same, so it comes from the npm cache. */
function installedVersion(pkg: string): string {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

interface Packed {
  readonly file: string;
  readonly files: readonly string[];
  readonly size: number;
  readonly unpackedSize: number;
}

const state: {
  work?: string;
  project?: string;
  packed?: Record<string, Packed>;
  apps?: Record<Cloud, { providers: string[]; library: string }>;
  timings: Record<string, number>;
} = { timings: {} };

function timed<T>(what: string, f: () => T): T {
  const t = Date.now();
  try {
    return f();
  } finally {
    state.timings[what] = (Date.now() - t) / 1000;
  }
}

beforeAll(
  () => {
    for (const dist of ['dist/lib/index.js', 'training-image/dist/src/index.js', 'release/dist/src/index.js']) {
      if (!fs.existsSync(path.join(REPO, dist))) throw new Error(`${dist} is missing: run \`npm run build\` first (npm test does).`);
    }
    state.work = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'mlops-consumer-'));
    const tarballs = path.join(state.work, 'tarballs');
    fs.mkdirSync(tarballs);

    // npm pack, as `npm publish` would (the prepack builds are skipped: npm test has just built).
    state.packed = timed('pack', () => {
      const out: Record<string, Packed> = {};
      for (const ws of [undefined, 'training-image', 'release']) {
        const r = must(run('npm', REPO, { args: ['pack', '--ignore-scripts', '--json', '--pack-destination', tarballs, ...(ws ? ['-w', ws] : [])] }), `npm pack ${ws ?? ''}`);
        const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
        out[info.name] = { file: path.join(tarballs, info.filename), files: info.files.map((f: { path: string }) => f.path), size: info.size, unpackedSize: info.unpackedSize };
      }
      return out;
    });

    // A fresh cdktf project, outside the repository.
    const project = path.join(state.work, 'project');
    state.project = project;
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2));
    fs.writeFileSync(path.join(project, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'node app-aws.js', terraformProviders: [], terraformModules: [] }, null, 2));
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, skipLibCheck: true, esModuleInterop: true, types: ['node'] },
          include: ['app-*.ts'],
        },
        null,
        2,
      ),
    );
    const registry = ['cdktf', 'constructs', 'typescript', '@types/node', ...ALL_PROVIDERS].map((p) => `${p}@${installedVersion(p)}`);
    timed('install', () =>
      must(
        run('npm', project, {
          args: ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...Object.values(state.packed!).map((p) => p.file), ...registry],
        }),
        'npm install of the tarballs',
      ),
    );

    // The consumer's code, type-checked against the shipped declarations, then one synth per cloud.
    for (const cloud of CLOUDS) fs.writeFileSync(path.join(project, `app-${cloud}.ts`), appSource(cloud));
    timed('tsc', () =>
      must(run(process.execPath, project, { args: [path.join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'] }), 'tsc on the consumer app'),
    );
    state.apps = timed('synth', () => {
      const apps = {} as Record<Cloud, { providers: string[]; library: string }>;
      for (const cloud of CLOUDS) {
        const r = must(run(process.execPath, project, { args: [`app-${cloud}.js`], env: { CDKTF_OUTDIR: path.join(project, 'cdktf.out') } }), `synth of app-${cloud}`);
        apps[cloud] = JSON.parse(r.stdout.trim().split('\n').pop()!);
      }
      return apps;
    });
  },
  15 * 60 * 1000,
);

afterAll(() => {
  // The figures for the report: how long each phase took, and what the packages weigh.
  const sizes = Object.entries(state.packed ?? {}).map(([name, p]) => `${name} ${(p.size / 1024).toFixed(0)} kB packed, ${(p.unpackedSize / 1024).toFixed(0)} kB unpacked`);
  console.log(
    `packed install: ${Object.entries(state.timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ')}; ${sizes.join('; ')}`,
  );
  if (state.work && !process.env.MLOPS_KEEP_CONSUMER) fs.rmSync(state.work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('the packed packages', () => {
  test('cdktf-mlops ships the compiled library, its declarations, source maps with their sources, LICENSE and CHANGELOG — nothing else', () => {
    const files = state.packed!['cdktf-mlops']!.files;
    for (const f of [
      'package.json',
      'LICENSE',
      'CHANGELOG.md',
      'README.md',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lib/aws/index.js',
      'dist/lib/aws/index.d.ts',
      'lib/index.ts',
    ])
      expect(files).toContain(f);
    // (npm adds every README it finds: lib/image/README.md documents the image delivery.)
    expect(files.filter((f) => !/^(dist\/lib\/.*\.(js|js\.map|d\.ts)|lib\/.*\.ts|lib\/.*README\.md|package\.json|LICENSE|CHANGELOG\.md|README\.md)$/.test(f))).toEqual([]);
  });

  test('@cdktf-mlops/runtime ships its code, CLI, and the image build context with its own lockfile', () => {
    const files = state.packed!['@cdktf-mlops/runtime']!.files;
    for (const f of [
      'LICENSE',
      'bin/mlops.js',
      'dist/src/index.js',
      'dist/src/cli/main.js',
      'Dockerfile',
      'Dockerfile.dockerignore',
      'npm-shrinkwrap.json',
      'tsconfig.build.json',
      'src/index.ts',
      'docker/entrypoint.js',
    ])
      expect(files).toContain(f);
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.startsWith('dist/bench/'))).toBe(false);
  });

  test('@cdktf-mlops/release ships its code, bin, LICENSE and its image build context with its own lockfile (the Azure promoter builds it from node_modules)', () => {
    const files = state.packed!['@cdktf-mlops/release']!.files;
    for (const f of [
      'LICENSE',
      'bin/mlops-release.js',
      'dist/src/cli.js',
      'dist/src/index.d.ts',
      'Dockerfile',
      'Dockerfile.dockerignore',
      'tsconfig.image.json',
      'npm-shrinkwrap.json',
      'package.json',
    ]) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('dist/test/'))).toBe(false);
  });

  test('every shipped source map points at a source in its package', () => {
    const missing: string[] = [];
    for (const pkg of ['cdktf-mlops', '@cdktf-mlops/runtime', '@cdktf-mlops/release']) {
      const dir = path.join(state.project!, 'node_modules', pkg);
      for (const f of state.packed![pkg]!.files.filter((x) => x.endsWith('.js.map'))) {
        const map = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { sources: string[] };
        for (const s of map.sources) if (!fs.existsSync(path.resolve(path.dirname(path.join(dir, f)), s))) missing.push(`${pkg}/${f} → ${s}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('the consumer’s code also type-checks with moduleResolution node16 (the "types" conditions of the exports map)', () => {
    const tsc = path.join(state.project!, 'node_modules', 'typescript', 'bin', 'tsc');
    must(
      run(process.execPath, state.project!, { args: [tsc, '-p', 'tsconfig.json', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16'] }),
      'tsc --moduleResolution node16',
    );
  });

  test('the installed library is the consumer’s copy, not this repository', () => {
    for (const cloud of CLOUDS) {
      expect(state.apps![cloud].library.startsWith(path.join(state.project!, 'node_modules', 'cdktf-mlops') + path.sep)).toBe(true);
    }
    expect(fs.readFileSync(path.join(state.project!, 'package.json'), 'utf8')).not.toContain(REPO);
  });
});

describe.each(CLOUDS)('a consumer on %s', (cloud) => {
  test(`its app loads the ${cloud} provider packages only (docker for the image build)`, () => {
    const own = new Set([...PROVIDERS[cloud].packages, '@cdktf/provider-docker']);
    expect(state.apps![cloud].providers.filter((p) => !own.has(p))).toEqual([]);
  });

  const cases = SCENARIOS.filter((s) => s.clouds.includes(cloud)).map((s) => [s.title, s] as const);
  test.each(cases)('synthesizes %s', (_title, s) => {
    const stackDir = path.join(state.project!, 'cdktf.out', 'stacks', `${s.id}-${cloud}`);
    const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    expect(JSON.stringify(tf)).not.toContain(REPO);
    s.check({ cloud, tf, stackDir, projectDir: state.project! });
  });
});

describe('the runtime image build context from the package, without Docker', () => {
  test('the Dockerfile’s build stage works in the staged context: npm ci from npm-shrinkwrap.json, then tsc -p tsconfig.build.json', () => {
    const stackDir = path.join(state.project!, 'cdktf.out', 'stacks', 'deploy-aws');
    const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    const [image] = Object.values(tf.resource.docker_image) as any[];
    const build = path.join(state.work!, 'image-build');
    fs.cpSync(path.join(stackDir, image.build.context), build, { recursive: true });
    // The same commands as the Dockerfile's build stage (COPY package.json npm-shrinkwrap.json, npm ci, COPY src, tsc).
    timed('image build stage', () => {
      must(run('npm', build, { args: ['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'] }), 'npm ci in the image context');
      must(
        run(process.execPath, build, { args: [path.join(build, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'] }),
        'tsc -p tsconfig.build.json in the image context',
      );
    });
    expect(fs.existsSync(path.join(build, 'dist', 'src', 'cli', 'main.js'))).toBe(true);
    const help = must(run(process.execPath, build, { args: ['docker/entrypoint.js', '--help'] }), 'the entrypoint');
    expect(help.stdout).toContain('Usage: <image> [train | serve | <mlops command>]');
  });
});

describe('a missing provider package in the consumer project', () => {
  test('importing its cloud fails with MLOPS_MISSING_PEER and the npm install line; the other clouds still load', () => {
    const provider = path.join(state.project!, 'node_modules', '@cdktf', 'provider-azurerm');
    const aside = `${provider}.aside`;
    fs.renameSync(provider, aside);
    try {
      const azure = run(process.execPath, state.project!, { args: ['-e', "try { require('cdktf-mlops/azure') } catch (e) { console.log(e.message) }"] });
      expect(azure.stdout).toContain('[MLOPS_MISSING_PEER] cdktf-mlops/azure: needs the package @cdktf/provider-azurerm');
      expect(azure.stdout).toContain('Fix: npm install @cdktf/provider-azurerm@^');
      const aws = run(process.execPath, state.project!, { args: ['-e', "require('cdktf-mlops/aws'); console.log('ok')"] });
      expect(aws.stdout.trim()).toBe('ok');
    } finally {
      fs.renameSync(aside, provider);
    }
  });
});
