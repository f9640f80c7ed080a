import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { GoogleBetaProvider } from '@cdktf/provider-google-beta/lib/provider';
import { App, TerraformOutput, TerraformStack, Testing } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsMlPlatform, AwsWorkloadIdentity } from '../lib/aws';
import { AzureMlPlatform, AzureWorkloadIdentity } from '../lib/azure';
import { Cloud } from '../lib/core/cloud';
import { IMlPlatform, IWorkloadIdentity } from '../lib/core/contracts';
import { MlopsValidationError } from '../lib/core/errors';
import { GcpMlPlatform, GcpWorkloadIdentity } from '../lib/gcp';
import { DEFAULT_RUNTIME_IMAGE_INCLUDE, RuntimeImage, RuntimeImageProps, dockerProviderFor } from '../lib/image';
import { stagingRoot } from '../lib/image/private/context';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const REPO_ROOT = path.resolve(__dirname, '..');

/** A small stand-in for the runtime package folder (the build context): what the Dockerfile copies, plus unrelated files. */
const FAKE_CONTEXT: Record<string, string> = {
  'package.json': '{"name":"@cdktf-mlops/runtime"}\n',
  'npm-shrinkwrap.json': '{"lockfileVersion":3}\n',
  'tsconfig.build.json': '{}\n',
  'tsconfig.json': '{}\n',
  'README.md': '# fake runtime\n',
  Dockerfile: 'FROM node:20-bookworm-slim\nCOPY . /opt/mlops\n',
  'Dockerfile.dockerignore': '*\n!package.json\n!src/**\n',
  'src/index.ts': 'export const version = 1;\n',
  'src/NOTES.md': 'not in the image\n',
  'bin/mlops.js': '#!/usr/bin/env node\n',
  'docker/entrypoint.js': 'console.log("hi");\n',
  'test/index.test.ts': 'test("x", () => {});\n',
  'dist/src/index.js': 'exports.version = 1;\n',
};
const EXECUTABLE = new Set(['bin/mlops.js']);

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp copy of the fake context. */
function fakeContext(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-image-test-'));
  made.push(dir);
  for (const [rel, text] of Object.entries(FAKE_CONTEXT)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    fs.chmodSync(file, EXECUTABLE.has(rel) ? 0o755 : 0o644);
  }
  return dir;
}

function platformFor(stack: TerraformStack, cloud: Cloud): IMlPlatform {
  switch (cloud) {
    case 'aws':
      return new AwsMlPlatform(stack, 'Platform', { naming: NAMING, accountId: '123456789012', region: 'eu-west-1' });
    case 'azure':
      return new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: '11111111-2222-3333-4444-555555555555' });
    case 'gcp':
      return new GcpMlPlatform(stack, 'Platform', { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' });
  }
}

function pullerFor(stack: TerraformStack, cloud: Cloud, platform: IMlPlatform): IWorkloadIdentity {
  switch (cloud) {
    case 'aws':
      return new AwsWorkloadIdentity(stack, 'Endpoint', { naming: { ...NAMING, environment: 'ep' }, accountId: '123456789012', region: 'eu-west-1' });
    case 'azure':
      return new AzureWorkloadIdentity(stack, 'Endpoint', { naming: NAMING, resourceGroup: (platform as AzureMlPlatform).resourceGroup, resource: 'endpoint' });
    case 'gcp':
      return new GcpWorkloadIdentity(stack, 'Endpoint', { naming: { ...NAMING, environment: 'ep' }, projectId: 'contoso-ml-dev' });
  }
}

interface Built {
  json: SynthJson;
  image: RuntimeImage;
}

/** A stack with the cloud's platform, the docker provider and a RuntimeImage. */
function build(cloud: Cloud, props: Partial<RuntimeImageProps> = {}, withPuller = false): Built {
  let image: RuntimeImage | undefined;
  const json = synthStack((stack) => {
    const platform = platformFor(stack, cloud);
    dockerProviderFor(stack, platform);
    const pullers = withPuller ? [pullerFor(stack, cloud, platform), platform.identity] : undefined;
    image = new RuntimeImage(stack, 'RuntimeImage', { registry: platform.imageRegistry, contextDir: fakeContext(), pullers, ...props });
    const outputs = { image_uri: image.imageUri, image_digest: image.imageDigest, image_uri_by_digest: image.imageUriByDigest, content_hash: image.contentHash };
    for (const [name, value] of Object.entries(outputs)) new TerraformOutput(stack, name, { value, staticId: true });
  });
  return { json, image: image! };
}

/** The content hash of a RuntimeImage over `dir` (GCP registry: no account data needed). */
function hashOf(dir: string, props: Partial<RuntimeImageProps> = {}): string {
  let hash = '';
  synthStack((stack) => {
    const platform = platformFor(stack, 'gcp');
    hash = new RuntimeImage(stack, 'RuntimeImage', { registry: platform.imageRegistry, contextDir: dir, ...props }).contentHash;
  });
  return hash;
}

function validationError(props: Partial<RuntimeImageProps>): MlopsValidationError {
  try {
    synthStack((stack) => {
      const platform = platformFor(stack, 'gcp');
      new RuntimeImage(stack, 'RuntimeImage', { registry: platform.imageRegistry, ...props });
    });
  } catch (e) {
    if (e instanceof MlopsValidationError) return e;
    throw e;
  }
  throw new Error('expected a MlopsValidationError, but nothing was thrown');
}

const REPO_URI: Record<Cloud, RegExp> = {
  aws: /^\$\{aws_ecr_repository\.[A-Za-z0-9_]+\.repository_url\}$/,
  azure: /^\$\{azurerm_container_registry\.[A-Za-z0-9_]+\.login_server\}\/mlops-runtime$/,
  gcp: /^europe-west4-docker\.pkg\.dev\/contoso-ml-dev\/\$\{google_artifact_registry_repository\.[A-Za-z0-9_]+\.repository_id\}\/runtime$/,
};

describe.each(['aws', 'azure', 'gcp'] as const)('RuntimeImage on %s', (cloud) => {
  test('builds the image from the staged context, tagged by the content hash', () => {
    // GIVEN / WHEN
    const { json, image } = build(cloud);
    // THEN
    const docker = onlyResource(json, 'docker_image');
    expect(image.contentHash).toMatch(/^[0-9a-f]{16}$/);
    expect(image.tag).toBe(image.contentHash);
    const [repo, tag] = splitTag(docker.name);
    expect(repo).toMatch(REPO_URI[cloud]);
    expect(tag).toBe(image.contentHash);
    expect(docker.build.context).toMatch(new RegExp(`^assets/RuntimeImage_BuildContext_[A-Z0-9]+/${image.contentHash}$`));
    expect(docker.build.dockerfile).toBe(`${docker.build.context}/Dockerfile`);
    expect(docker.build.platform).toBe('linux/amd64');
    expect(docker.triggers).toEqual({ content_hash: image.contentHash });
  });

  test('pushes the built image with keep_remotely, and exposes uri, digest and hash', () => {
    const { json, image } = build(cloud);
    const [imageId] = Object.keys(json.resource!.docker_image!);
    const pushed = onlyResource(json, 'docker_registry_image');
    expect(pushed.name).toBe(`\${docker_image.${imageId}.name}`);
    expect(pushed.keep_remotely).toBe(true);
    expect(pushed.triggers).toEqual({ content_hash: image.contentHash });
    const [pushedId] = Object.keys(json.resource!.docker_registry_image!);
    expect(json.output!.image_uri.value).toBe(`\${docker_registry_image.${pushedId}.name}`);
    expect(json.output!.image_digest.value).toBe(`\${docker_registry_image.${pushedId}.sha256_digest}`);
    const [repo] = splitTag(onlyResource(json, 'docker_image').name);
    expect(json.output!.image_uri_by_digest.value).toBe(`${repo}@\${docker_registry_image.${pushedId}.sha256_digest}`);
    expect(json.output!.content_hash.value).toBe(image.contentHash);
  });

  test('the stack has the docker provider with registry_auth for the registry host', () => {
    const { json } = build(cloud);
    const auth = (json.provider!.docker as Array<{ registry_auth: Array<Record<string, string>> }>)[0]!.registry_auth;
    expect(auth).toHaveLength(1);
    const expected: Record<Cloud, Record<string, unknown>> = {
      aws: {
        address: expect.stringMatching(/^\$\{data\.aws_ecr_authorization_token\.docker_registry_token\.proxy_endpoint\}$/),
        username: '${data.aws_ecr_authorization_token.docker_registry_token.user_name}',
        password: '${data.aws_ecr_authorization_token.docker_registry_token.password}',
      },
      gcp: {
        address: 'europe-west4-docker.pkg.dev',
        username: 'oauth2accesstoken',
        password: '${data.google_client_config.docker_registry_token.access_token}',
      },
      azure: { address: expect.stringMatching(/^[a-z0-9]+\.azurecr\.io$/) },
    };
    expect(auth[0]).toEqual(expected[cloud]);
  });

  test('pullers get pull rights through the registry grant', () => {
    const without = build(cloud).json;
    const withPuller = build(cloud, {}, true).json;
    switch (cloud) {
      case 'aws': {
        const policies = resourcesOf(withPuller, 'aws_iam_role_policy').filter((p) => p.role.includes('aws_iam_role.Endpoint_'));
        expect(policies).toHaveLength(1);
        expect(policies[0]!.policy).toContain('ecr:BatchGetImage');
        expect(policies[0]!.policy).not.toContain('ecr:PutImage');
        break;
      }
      case 'azure': {
        const pulls = resourcesOf(withPuller, 'azurerm_role_assignment').filter((a) => a.role_definition_name === 'AcrPull');
        expect(pulls.map((a) => a.principal_id)).toEqual(expect.arrayContaining([expect.stringContaining('azurerm_user_assigned_identity.Endpoint_')]));
        expect(pulls).toHaveLength(resourcesOf(without, 'azurerm_role_assignment').filter((a) => a.role_definition_name === 'AcrPull').length + 1);
        break;
      }
      case 'gcp': {
        const readers = resourcesOf(withPuller, 'google_artifact_registry_repository_iam_member').filter((m) => m.role === 'roles/artifactregistry.reader');
        expect(readers.map((m) => m.member)).toEqual(expect.arrayContaining([expect.stringContaining('google_service_account.Endpoint_')]));
        expect(readers).toHaveLength(resourcesOf(without, 'google_artifact_registry_repository_iam_member').filter((m) => m.role === 'roles/artifactregistry.reader').length + 1);
        break;
      }
    }
  });

  test('snapshot of the image resources and the docker provider', () => {
    const { json } = build(cloud);
    expect({
      docker_image: json.resource!.docker_image,
      docker_registry_image: json.resource!.docker_registry_image,
      provider: json.provider!.docker,
    }).toMatchSnapshot();
  });
});

/**
 * Moves the clock a minute ahead, so the files just written look as old as a
 * checked-out tree's and the per-process digest cache keeps their digests:
 * the tests that change a file then show the cache does not hide the change.
 */
function cacheable(): void {
  jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 60_000);
}

describe('RuntimeImage content hash', () => {
  afterEach(() => jest.restoreAllMocks());

  test('is deterministic: the same files give the same hash and the same synthesized Terraform', () => {
    const a = fakeContext();
    const b = fakeContext();
    expect(hashOf(a)).toBe(hashOf(b));
    expect(JSON.stringify(build('gcp').json.resource!.docker_image)).toBe(JSON.stringify(build('gcp').json.resource!.docker_image));
  });

  test.each([
    ['a runtime source file', 'src/index.ts'],
    ['the Dockerfile', 'Dockerfile'],
    ['its .dockerignore', 'Dockerfile.dockerignore'],
    ['the lockfile', 'npm-shrinkwrap.json'],
    ['the runtime package.json', 'package.json'],
    ['the build tsconfig', 'tsconfig.build.json'],
    ['a bin script', 'bin/mlops.js'],
    ['a docker script', 'docker/entrypoint.js'],
  ])('changes when %s changes', (_what, rel) => {
    cacheable();
    const dir = fakeContext();
    const before = hashOf(dir);
    fs.appendFileSync(path.join(dir, rel), '\n// changed\n');
    expect(hashOf(dir)).not.toBe(before);
  });

  test('changes when a file changes at the same size and mtime after a hash in the same process (the digest cache is invalidated)', () => {
    cacheable();
    const dir = fakeContext();
    const before = hashOf(dir);
    expect(hashOf(dir)).toBe(before);
    const file = path.join(dir, 'src/index.ts');
    const { atime, mtimeMs, size } = fs.statSync(file);
    fs.writeFileSync(file, 'export const version = 2;\n');
    fs.utimesSync(file, atime, mtimeMs / 1000);
    expect(fs.statSync(file).size).toBe(size);
    expect(Math.abs(fs.statSync(file).mtimeMs - mtimeMs)).toBeLessThan(1);
    expect(hashOf(dir)).not.toBe(before);
  });

  test('changes when a runtime source file is added', () => {
    cacheable();
    const dir = fakeContext();
    const before = hashOf(dir);
    fs.writeFileSync(path.join(dir, 'src/extra.ts'), 'export {};\n');
    expect(hashOf(dir)).not.toBe(before);
  });

  test('changes when a script loses its execute bit', () => {
    const dir = fakeContext();
    const before = hashOf(dir);
    fs.chmodSync(path.join(dir, 'bin/mlops.js'), 0o644);
    expect(hashOf(dir)).not.toBe(before);
  });

  test('changes with the platform', () => {
    const dir = fakeContext();
    expect(hashOf(dir, { platform: 'linux/arm64' })).not.toBe(hashOf(dir));
  });

  test.each([
    ['README.md', 'README.md'],
    ['a test (test/)', 'test/index.test.ts'],
    ['the compiled output (dist/)', 'dist/src/index.js'],
    ['the development tsconfig', 'tsconfig.json'],
    ['a markdown file next to the sources', 'src/NOTES.md'],
  ])('does not change when %s changes', (_what, rel) => {
    const dir = fakeContext();
    const before = hashOf(dir);
    fs.appendFileSync(path.join(dir, rel), 'changed\n');
    fs.writeFileSync(path.join(dir, 'test/new-file.test.ts'), 'export {};\n');
    expect(hashOf(dir)).toBe(before);
  });

  test('does not change with tagPrefix, which only prefixes the tag', () => {
    const { image } = build('gcp', { tagPrefix: 'runtime' });
    expect(image.tag).toBe(`runtime-${image.contentHash}`);
    expect(image.contentHash).toBe(build('gcp').image.contentHash);
  });

  test('the default include list covers every path the real Dockerfile.dockerignore allows', () => {
    const ignore = fs.readFileSync(path.join(REPO_ROOT, 'training-image', 'Dockerfile.dockerignore'), 'utf8');
    const allowed = ignore
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    expect(allowed.length).toBeGreaterThan(0);
    expect([...DEFAULT_RUNTIME_IMAGE_INCLUDE].sort()).toEqual(allowed.sort());
  });

  test('defaults to the folder of the installed @cdktf-mlops/runtime package (here the training-image workspace) and its Dockerfile', () => {
    let image: RuntimeImage | undefined;
    const json = synthStack((stack) => {
      const platform = platformFor(stack, 'gcp');
      image = new RuntimeImage(stack, 'RuntimeImage', { registry: platform.imageRegistry });
    });
    expect(image!.contentHash).toMatch(/^[0-9a-f]{16}$/);
    expect(image!.contentHash).toBe(hashOf(path.join(REPO_ROOT, 'training-image')));
    expect(onlyResource(json, 'docker_image').build.dockerfile).toMatch(/^assets\/RuntimeImage_BuildContext_[A-Z0-9]+\/[0-9a-f]{16}\/Dockerfile$/);
  });
});

describe('RuntimeImage validation', () => {
  test('fails if dockerfile is empty, naming the prop', () => {
    const e = validationError({ contextDir: fakeContext(), dockerfile: '' });
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]!.path).toBe('test/RuntimeImage');
    expect(e.issues[0]!.message).toMatch(/'dockerfile' prop of RuntimeImage must be .*Got ""/);
  });

  test('fails if the Dockerfile is not in the context, naming the prop, the value and the context', () => {
    const dir = fakeContext();
    const e = validationError({ contextDir: dir, dockerfile: 'docker/Missing.Dockerfile' });
    expect(e.message).toContain("'dockerfile' prop of RuntimeImage");
    expect(e.message).toContain('"docker/Missing.Dockerfile"');
    expect(e.message).toContain(dir);
  });

  test('fails if dockerfile leaves the context', () => {
    expect(validationError({ contextDir: fakeContext(), dockerfile: '../Dockerfile' }).message).toContain("'dockerfile' prop");
  });

  test('fails if contextDir does not exist', () => {
    const e = validationError({ contextDir: path.join(os.tmpdir(), 'mlops-no-such-dir') });
    expect(e.message).toContain("'contextDir' prop of RuntimeImage");
  });

  test('fails if an include path is missing', () => {
    const e = validationError({ contextDir: fakeContext(), include: ['src', 'nope'] });
    expect(e.message).toMatch(/'include' prop of RuntimeImage .*Got \["nope"\]/);
  });

  test('collects every problem and throws once', () => {
    const e = validationError({ contextDir: fakeContext(), dockerfile: ' ', platform: 'windows/amd64' as never, tagPrefix: '-bad' });
    expect(e.issues.map((i) => i.message.match(/'(\w+)' prop/)![1])).toEqual(['dockerfile', 'platform', 'tagPrefix']);
    expect(e.message).toContain("'linux/amd64', 'linux/arm64'");
  });

  test('fails at synth if the stack has no docker provider, saying how to add one', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf.outdir.image-')) });
    made.push(app.outdir);
    const stack = new TerraformStack(app, 'nodocker');
    new GoogleProvider(stack, 'google', { project: 'contoso-ml-dev', region: 'europe-west4' });
    const platform = platformFor(stack, 'gcp');
    new RuntimeImage(stack, 'RuntimeImage', { registry: platform.imageRegistry, contextDir: fakeContext() });
    expect(() => Testing.synth(stack, true)).toThrow(/dockerProviderFor\(stack, platform\)/);
  });
});

describe('dockerProviderFor', () => {
  test('fails on a registry host with a scheme', () => {
    expect(() => synthStack((stack) => dockerProviderFor(stack, platformFor(stack, 'azure'), { registryHost: 'https://x.azurecr.io' }))).toThrow(
      /'registryHost' prop of dockerProviderFor/,
    );
  });

  test('takes an explicit registry host (sovereign clouds)', () => {
    const json = synthStack((stack) => dockerProviderFor(stack, platformFor(stack, 'azure'), { registryHost: 'contosoacr.azurecr.cn' }));
    expect((json.provider!.docker as Array<{ registry_auth: unknown[] }>)[0]!.registry_auth).toEqual([{ address: 'contosoacr.azurecr.cn' }]);
  });
});

describe('RuntimeImage synthesized with an app', () => {
  test('copies exactly the hashed files into the stack assets', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf.outdir.image-'));
    made.push(outdir);
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'images');
    new GoogleProvider(stack, 'google', { project: 'contoso-ml-dev', region: 'europe-west4' });
    // The GCP platform creates its service agents with google-beta (google_project_service_identity).
    new GoogleBetaProvider(stack, 'google-beta', { project: 'contoso-ml-dev', region: 'europe-west4' });
    const platform = platformFor(stack, 'gcp');
    dockerProviderFor(stack, platform);
    const image = new RuntimeImage(stack, 'RuntimeImage', { registry: platform.imageRegistry, contextDir: fakeContext() });
    app.synth();
    const stackDir = path.join(outdir, 'stacks', 'images');
    const json = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as SynthJson;
    const context = path.join(stackDir, onlyResource(json, 'docker_image').build.context);
    expect(listFiles(context)).toEqual([
      'Dockerfile',
      'Dockerfile.dockerignore',
      'bin/mlops.js',
      'docker/entrypoint.js',
      'npm-shrinkwrap.json',
      'package.json',
      'src/index.ts',
      'tsconfig.build.json',
    ]);
    expect(fs.statSync(path.join(context, 'bin/mlops.js')).mode & 0o111).not.toBe(0);
    expect(path.basename(context)).toBe(image.contentHash);
  });
});

describe('RuntimeImage staging', () => {
  test('stages in a folder of its own user that no one else may write to, and refuses one that is not', () => {
    const root = stagingRoot();
    const stat = fs.lstatSync(root);
    expect(stat.isDirectory()).toBe(true);
    if (typeof process.getuid === 'function') {
      expect(path.basename(root)).toBe(`cdktf-mlops-image-context-${process.getuid()}`);
      expect(stat.uid).toBe(process.getuid());
      expect(stat.mode & 0o022).toBe(0);
      const mode = stat.mode & 0o777;
      fs.chmodSync(root, 0o777);
      try {
        expect(() => stagingRoot()).toThrow(/can be written by other users \(mode 777\).*Fix: remove it/);
      } finally {
        fs.chmodSync(root, mode);
      }
      expect(stagingRoot()).toBe(root);
    }
  });

  test('re-stages a context whose staged copy lost a file (temp cleaners)', () => {
    const dir = fakeContext();
    const short = hashOf(dir);
    const root = stagingRoot();
    const staged = path.join(root, fs.readdirSync(root).find((f) => f.startsWith(short))!);
    fs.rmSync(path.join(staged, 'src/index.ts'));
    hashOf(dir);
    expect(fs.existsSync(path.join(staged, 'src/index.ts'))).toBe(true);
  });

  test('reuses the staged folder for another folder with the same files at other mtimes (another checkout)', () => {
    const a = fakeContext();
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const rel of Object.keys(FAKE_CONTEXT)) fs.utimesSync(path.join(a, rel), hourAgo, hourAgo);
    const short = hashOf(a);
    const root = stagingRoot();
    const staged = path.join(root, fs.readdirSync(root).find((f) => f.startsWith(short))!, 'src', 'index.ts');
    const before = fs.statSync(staged);
    expect(hashOf(fakeContext())).toBe(short);
    expect(fs.statSync(staged)).toMatchObject({ ino: before.ino, mtimeMs: before.mtimeMs });
  });

  test("rewrites a staged file edited through a stack's hard link of it, and the stack's copy", () => {
    const dir = fakeContext();
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const rel of Object.keys(FAKE_CONTEXT)) fs.utimesSync(path.join(dir, rel), hourAgo, hourAgo);
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf.outdir.image-'));
    made.push(outdir);
    const synthImage = (): string => {
      const app = new App({ outdir, skipValidation: true });
      const stack = new TerraformStack(app, 'images');
      new RuntimeImage(stack, 'RuntimeImage', { registry: platformFor(stack, 'gcp').imageRegistry, contextDir: dir });
      app.synth();
      const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'images', 'cdk.tf.json'), 'utf8')) as SynthJson;
      return path.join(outdir, 'stacks', 'images', onlyResource(json, 'docker_image').build.context, 'src', 'index.ts');
    };
    const copy = synthImage();
    // An in-place edit of the stack's copy, same size: it is the staged file too.
    fs.writeFileSync(copy, 'export const version = 9;\n');
    expect(synthImage()).toBe(copy);
    expect(fs.readFileSync(copy, 'utf8')).toBe(FAKE_CONTEXT['src/index.ts']);
  });
});

describe('RuntimeImage with the real repository', () => {
  test('the staged context holds every source the real Dockerfile copies from the context', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf.outdir.image-'));
    made.push(outdir);
    const app = new App({ outdir, skipValidation: true });
    const stack = new TerraformStack(app, 'real');
    new RuntimeImage(stack, 'RuntimeImage', { registry: platformFor(stack, 'gcp').imageRegistry });
    app.synth();
    const stackDir = path.join(outdir, 'stacks', 'real');
    const json = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as SynthJson;
    const context = path.join(stackDir, onlyResource(json, 'docker_image').build.context);
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'training-image/Dockerfile'), 'utf8');
    const sources = dockerfile
      .split('\n')
      .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
      .flatMap((l) => l.trim().split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) expect(fs.existsSync(path.join(context, src))).toBe(true);
    expect(fs.existsSync(path.join(context, 'node_modules'))).toBe(false);
    expect(fs.statSync(path.join(context, 'bin/mlops.js')).mode & 0o111).not.toBe(0);
  });
});

function listFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.posix.join(prefix, e.name)) : [path.posix.join(prefix, e.name)]))
    .sort();
}

function splitTag(name: string): [string, string] {
  const at = name.lastIndexOf(':');
  return [name.slice(0, at), name.slice(at + 1)];
}

describe('RuntimeImage.fromImageUri (an image built elsewhere)', () => {
  const DIGEST = `sha256:${'ab12'.repeat(16)}`;

  test('takes a digest-pinned reference as is: the digest is the image digest, its first 16 hex characters the content hash', () => {
    const uri = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/contoso-mlops-dev:v7@${DIGEST}`;
    expect(RuntimeImage.fromImageUri(uri)).toEqual({ imageUriByDigest: uri, imageDigest: DIGEST, contentHash: 'ab12ab12ab12ab12' });
  });

  test.each([
    ['a tag only', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/contoso-mlops-dev:v7'],
    ['no registry host (Docker Hub short name)', `library/node@${DIGEST}`],
    ['a short digest', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/contoso-mlops-dev@sha256:ab12'],
  ])('fails for %s, naming the value and how to get the digest', (_what, uri) => {
    expect(() => RuntimeImage.fromImageUri(uri)).toThrow(MlopsValidationError);
    expect(() => RuntimeImage.fromImageUri(uri)).toThrow(/must be pinned by digest[\s\S]*docker buildx imagetools inspect/);
    expect(() => RuntimeImage.fromImageUri(uri)).toThrow(JSON.stringify(uri).slice(0, 60));
  });
});
