/**
 * The package's entry points, as a consumer's Node loads them: through the
 * package.json "exports" map (by self-reference: `require('cdktf-mlops/aws')`
 * from this repository resolves to the built dist/), each in a fresh child
 * process so that `require.cache` shows exactly what one import loads.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const PROVIDERS = ['@cdktf/provider-aws', '@cdktf/provider-azurerm', '@cdktf/provider-google', '@cdktf/provider-google-beta', '@cdktf/provider-docker'] as const;

/** What requiring `specifier` loads, in a fresh Node process: provider packages (by module count) and the export names. */
function load(specifier: string, preload = ''): { providers: Record<string, number>; exports: string[]; error?: string } {
  const script = `
    ${preload}
    let mod, error;
    try { mod = require(${JSON.stringify(specifier)}); } catch (e) { error = e.message; }
    const files = Object.keys(require.cache);
    const providers = {};
    for (const p of ${JSON.stringify(PROVIDERS)}) providers[p] = files.filter((f) => f.includes('/node_modules/' + p + '/')).length;
    process.stdout.write(JSON.stringify({ providers, exports: mod ? Object.keys(mod).sort() : [], error }));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node -e require(${specifier}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'lib', 'index.js'))) throw new Error('dist/lib is missing: run `npm run build` first (npm test does)');
});

describe('package.json exports', () => {
  const entries = Object.keys(PKG.exports).filter((k) => k !== './package.json');

  test('has the root and one subpath per area: the three clouds, core, config, policy, deploy, image, alerts, ci', () => {
    expect(entries).toEqual(['.', './aws', './azure', './gcp', './core', './config', './policy', './deploy', './image', './alerts', './ci']);
  });

  test.each(entries)('%s points at a built file and its declarations, and typesVersions maps it for moduleResolution node', (entry) => {
    const target = PKG.exports[entry];
    expect(fs.existsSync(path.join(ROOT, target.default))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, target.types))).toBe(true);
    if (entry !== '.') expect(PKG.typesVersions['*'][entry.slice(2)]).toEqual([target.types.slice(2)]);
  });
});

describe('package.json dependencies a consumer controls', () => {
  test('the provider packages are optional peer dependencies, not dependencies, and this repository keeps them as dev dependencies', () => {
    for (const p of PROVIDERS) {
      expect({ [p]: PKG.dependencies?.[p] }).toEqual({ [p]: undefined });
      expect(PKG.peerDependencies[p]).toMatch(/^\^\d+\.\d+\.\d+$/);
      expect(PKG.peerDependenciesMeta[p]).toEqual({ optional: true });
      expect(PKG.devDependencies[p]).toBeDefined();
    }
  });

  test('cdktf and constructs are required peers with ranges (not exact pins); the runtime and release packages optional peers of the same minor line', () => {
    for (const p of ['cdktf', 'constructs']) {
      expect(PKG.dependencies?.[p]).toBeUndefined();
      expect(PKG.peerDependencies[p]).toMatch(/^\^/);
      expect(PKG.peerDependenciesMeta[p]).toBeUndefined();
    }
    for (const p of ['@cdktf-mlops/runtime', '@cdktf-mlops/release']) {
      expect(PKG.peerDependencies[p]).toBe(`^${PKG.version}`);
      expect(PKG.peerDependenciesMeta[p]).toEqual({ optional: true });
    }
  });
});

describe('importing one cloud loads only that cloud’s provider modules', () => {
  const others = (own: readonly string[]): string[] => PROVIDERS.filter((p) => !own.includes(p));

  test.each([
    ['cdktf-mlops/aws', ['@cdktf/provider-aws']],
    ['cdktf-mlops/azure', ['@cdktf/provider-azurerm']],
    ['cdktf-mlops/gcp', ['@cdktf/provider-google', '@cdktf/provider-google-beta']],
  ])('require(%s) loads its own provider modules and none of another cloud (nor docker)', (specifier, own) => {
    const { providers, exports } = load(specifier);
    for (const p of own) expect({ [p]: providers[p]! > 0 }).toEqual({ [p]: true });
    for (const p of others(own)) expect({ [p]: providers[p] }).toEqual({ [p]: 0 });
    expect(exports.length).toBeGreaterThan(20);
  });

  test.each(['cdktf-mlops', 'cdktf-mlops/core', 'cdktf-mlops/config', 'cdktf-mlops/policy', 'cdktf-mlops/deploy', 'cdktf-mlops/alerts', 'cdktf-mlops/ci'])(
    'require(%s) loads no provider package at all',
    (specifier) => {
      const { providers } = load(specifier);
      expect(providers).toEqual(Object.fromEntries(PROVIDERS.map((p) => [p, 0])));
    },
  );

  test('require(cdktf-mlops/image) loads the docker provider only (the image is built with it)', () => {
    const { providers } = load('cdktf-mlops/image');
    expect(providers['@cdktf/provider-docker']).toBeGreaterThan(0);
    expect(providers).toEqual({ ...Object.fromEntries(PROVIDERS.map((p) => [p, 0])), '@cdktf/provider-docker': providers['@cdktf/provider-docker'] });
  });

  test('a config-driven AWS stack (root entry) loads the AWS provider only', () => {
    const { providers, error } = load(
      'cdktf-mlops',
      `const { App } = require('cdktf'); const m = require('cdktf-mlops');
       new m.MlPlatformStack(new App({ outdir: require('os').tmpdir() + '/mlops-entry-' + process.pid }), 'dev', {
         config: m.parseConfig({ naming: { company: 'contoso', project: 'mlops', environment: 'dev' }, cloud: 'aws', region: 'eu-west-1', aws: { accountId: '123456789012' } }),
       });`,
    );
    expect(error).toBeUndefined();
    expect(providers['@cdktf/provider-aws']).toBeGreaterThan(0);
    for (const p of others(['@cdktf/provider-aws'])) expect({ [p]: providers[p] }).toEqual({ [p]: 0 });
  });
});

describe('a missing provider package', () => {
  /** Makes one package unresolvable in the child process, as if it were not installed. */
  const hide = (pkg: string): string => `
    const Module = require('module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === ${JSON.stringify(pkg)} || request.startsWith(${JSON.stringify(pkg + '/')})) {
        const e = new Error("Cannot find module '" + request + "'"); e.code = 'MODULE_NOT_FOUND'; throw e;
      }
      return resolve.call(this, request, ...rest);
    };`;

  test.each([
    ['cdktf-mlops/aws', '@cdktf/provider-aws', '^21'],
    ['cdktf-mlops/azure', '@cdktf/provider-azurerm', '^14'],
    ['cdktf-mlops/gcp', '@cdktf/provider-google-beta', '^16'],
  ])('importing %s without %s fails with MLOPS_MISSING_PEER and the npm install line', (specifier, pkg, major) => {
    const { error } = load(specifier, hide(pkg));
    expect(error).toContain('[MLOPS_MISSING_PEER]');
    expect(error).toContain(`Fix: npm install ${pkg}@${major}`);
    expect(error).not.toContain('Cannot find module');
  });

  test('a config-driven stack of a cloud whose provider is missing names the package; other clouds are unaffected', () => {
    const config = (cloud: string, extra: string): string =>
      `m.parseConfig({ naming: { company: 'contoso', project: 'mlops', environment: 'dev' }, cloud: '${cloud}', region: '${cloud === 'aws' ? 'eu-west-1' : 'westeurope'}', ${extra} })`;
    const build = (cfg: string): string =>
      `const { App } = require('cdktf'); const m = require('cdktf-mlops');
       new m.MlPlatformStack(new App({ outdir: require('os').tmpdir() + '/mlops-entry-' + process.pid }), 'dev', { config: ${cfg} });`;
    const aws = load('cdktf-mlops', hide('@cdktf/provider-azurerm') + build(config('aws', "aws: { accountId: '123456789012' }")));
    expect(aws.error).toBeUndefined();
    const azure = load(
      'cdktf-mlops',
      hide('@cdktf/provider-azurerm') +
        `try { ${build(config('azure', "azure: { subscriptionId: '11111111-2222-3333-4444-555555555555', tenantId: '11111111-2222-3333-4444-555555555555' }"))} } catch (e) { process.stdout.write(JSON.stringify({ providers: {}, exports: [], error: e.message })); process.exit(0); }`,
    );
    expect(azure.error).toContain('[MLOPS_MISSING_PEER] MlPlatformStack for cloud "azure": needs the package @cdktf/provider-azurerm');
  });
});
