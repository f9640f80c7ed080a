/**
 * Root-owned and read-only outputs (issue 13, defect 3), with real processes
 * on real folders: `train` checks that it can write its outputs before it
 * reads any data and fails at once with the owner, the mode and the fix (on
 * stderr, and in SageMaker's failure file when that one is writable); the
 * image's entrypoint, started as root, gives the platform's output folders to
 * uid 1000 and drops to it, and says so when the container lacks the
 * capabilities to.
 *
 * Permissions are checked as a non-root user: when the tests run as root (CI),
 * the processes are started as uid 1000 (root would write anywhere).
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelDir } from '../src/artifacts/modeldir';
import { Rng } from '../src/core/random';

const IMAGE_DIR = path.resolve(__dirname, '..');
const BIN = path.join(IMAGE_DIR, 'bin', 'mlops.js');
const ENTRYPOINT = path.join(IMAGE_DIR, 'docker', 'entrypoint.js');
const BIKE = path.resolve(IMAGE_DIR, '..', 'examples', 'demand-forecast', 'data', 'hour.csv');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
/** Non-root: ourselves; as root, uid 1000 (the image's user). */
const asUser: SpawnSyncOptions = isRoot ? { uid: 1000, gid: 1000 } : {};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-access-'));
fs.chmodSync(tmp, 0o755); // uid 1000 reads the fixtures
const TMPDIR = path.join(tmp, 'tmp');
fs.mkdirSync(TMPDIR);
fs.chmodSync(TMPDIR, 0o1777); // like a container's /tmp
const hasSetpriv = isRoot && spawnSync('setpriv', ['--version']).status === 0;

jest.setTimeout(60_000);

beforeAll(() => {
  if (!fs.existsSync(path.join(IMAGE_DIR, 'dist', 'src', 'contracts', 'access.js'))) {
    spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', IMAGE_DIR], { stdio: 'ignore' });
  }
});
afterAll(() => {
  // Folders made read-only for the tests must be writable again to be removed (as non-root).
  const walk = (d: string): void => {
    try {
      fs.chmodSync(d, 0o755);
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    } catch {
      /* gone */
    }
  };
  walk(tmp);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function smallCsv(rows: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ['a,b,y'];
  for (let i = 0; i < rows; i++) {
    const a = rng.normal(),
      b = rng.normal();
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${(3 * a - 2 * b + 0.1 * rng.normal()).toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv, opts: SpawnSyncOptions = asUser, prefix: string[] = []): { code: number | null; err: string; ms: number } {
  const t0 = Date.now();
  const cmd = prefix.length ? prefix[0]! : process.execPath;
  const argv = prefix.length ? [...prefix.slice(1), process.execPath, script, ...args] : [script, ...args];
  const r = spawnSync(cmd, argv, { env: { PATH: process.env.PATH, TMPDIR, ...env }, encoding: 'utf8', timeout: 60_000, ...opts });
  return { code: r.status, err: String(r.stderr), ms: Date.now() - t0 };
}

/** A SageMaker /opt/ml tree: bike data in the `train` channel, gbdt settings that take seconds to fit. */
function optMl(name: string, data = BIKE, hp: Record<string, string> = { target: 'cnt', model: 'gbdt', drop: 'instant,dteday,casual,registered', max_iter: '300' }): string {
  const root = path.join(tmp, name);
  for (const d of ['input/config', 'input/data/train', 'model', 'output']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(hp));
  fs.copyFileSync(data, path.join(root, 'input', 'data', 'train', 'data.csv'));
  return root;
}

/** Gives a folder to the user the processes run as (when the tests run as root). */
function own(dir: string): void {
  if (isRoot) fs.chownSync(dir, 1000, 1000);
}

describe('train fails at start, before reading data, when it cannot write its outputs', () => {
  test('SageMaker: a read-only /opt/ml/model (root-owned mount) fails at once with the owner, mode and fix, on stderr and in the failure file', () => {
    const root = optMl('sm-model');
    own(path.join(root, 'output'));
    fs.chmodSync(path.join(root, 'model'), 0o555);
    const st = fs.statSync(path.join(root, 'model'));
    const r = run(BIN, ['train'], { MLOPS_SAGEMAKER_ROOT: root });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`[OUTPUT_NOT_WRITABLE] ${path.join(root, 'model')}: "${path.join(root, 'model')}" is not writable by this process`);
    expect(r.err).toContain(`is owned by uid ${st.uid} (gid ${st.gid}) with mode 0555. Nothing was read or trained. Fix: start the container as root`);
    expect(r.err).not.toMatch(/reading |fitting /); // the data was not read, nothing was trained
    const failure = fs.readFileSync(path.join(root, 'output', 'failure'), 'utf8');
    expect(failure).toContain('[OUTPUT_NOT_WRITABLE]');
    expect(failure).toContain('Nothing was read or trained');
    expect(fs.readdirSync(path.join(root, 'model'))).toEqual([]);
  });

  test('SageMaker: /opt/ml/model and /opt/ml/output both unwritable: both named on stderr, which is then the only place the reason can go', () => {
    const root = optMl('sm-both');
    fs.chmodSync(path.join(root, 'model'), 0o555);
    fs.chmodSync(path.join(root, 'output'), 0o555);
    const r = run(BIN, ['train'], { MLOPS_SAGEMAKER_ROOT: root });
    expect(r.code).toBe(1);
    expect(r.err).toContain('2 problems:');
    expect(r.err).toContain(`[OUTPUT_NOT_WRITABLE] ${path.join(root, 'output')}: "${path.join(root, 'output')}" is not writable`);
    expect(r.err).toContain(`[OUTPUT_NOT_WRITABLE] ${path.join(root, 'model')}:`);
    expect(r.err).toContain(`could not write ${path.join(root, 'output', 'failure')}`);
    expect(r.err).not.toMatch(/reading |fitting /);
    expect(fs.existsSync(path.join(root, 'output', 'failure'))).toBe(false);
  });

  test('Azure ML and Vertex AI outputs given as local folders, and a local --out, are checked the same way', () => {
    const data = path.join(tmp, 'small.csv');
    fs.writeFileSync(data, smallCsv(200, 1));
    const ro = path.join(tmp, 'ro-output');
    fs.mkdirSync(ro);
    fs.chmodSync(ro, 0o555);
    const az = run(BIN, ['train', '--data', data, '--target', 'y'], { AZURE_ML_OUTPUT_MODEL: ro, AZUREML_RUN_ID: 'run-1' });
    expect(az.code).toBe(1);
    expect(az.err).toContain(`[OUTPUT_NOT_WRITABLE] env:AZURE_ML_OUTPUT_MODEL: "${ro}" is not writable`);
    expect(az.err).not.toMatch(/reading /);
    const vx = run(BIN, ['train', '--data', data, '--target', 'y'], { AIP_MODEL_DIR: path.join(ro, 'model') });
    expect(vx.code).toBe(1);
    expect(vx.err).toContain(`[OUTPUT_NOT_WRITABLE] env:AIP_MODEL_DIR: "${path.join(ro, 'model')}" does not exist and its parent "${ro}" is not writable`);
    const local = run(BIN, ['train', '--data', data, '--target', 'y', '--out', path.join(ro, 'model')], {});
    expect(local.code).toBe(1);
    expect(local.err).toContain(`[OUTPUT_NOT_WRITABLE] arg:--out: "${ro}" is not writable`);
    expect(local.err).not.toMatch(/reading /);
  });
});

(isRoot ? describe : describe.skip)('the entrypoint started as root (as SageMaker runs containers; needs root to run)', () => {
  test('gives the root-owned /opt/ml/model and /opt/ml/output to uid 1000, drops to it, and trains: the model is owned by 1000', () => {
    const data = path.join(tmp, 'small-root.csv');
    fs.writeFileSync(data, smallCsv(300, 2));
    const root = optMl('sm-root', data, { target: 'y', model: 'linear' });
    for (const d of ['model', 'output']) {
      expect(fs.statSync(path.join(root, d)).uid).toBe(0);
      fs.chmodSync(path.join(root, d), 0o755);
    }
    // MLOPS_RUN_AS as the image sets it (ENV MLOPS_RUN_AS=1000:1000).
    const r = run(ENTRYPOINT, ['train'], { MLOPS_SAGEMAKER_ROOT: root, MLOPS_APP_DIR: IMAGE_DIR, MLOPS_RUN_AS: '1000:1000' }, {});
    expect(r.err).toContain(`entrypoint: gave ${path.join(root, 'model')} to uid 1000:1000 (it was 0:0)`);
    expect(r.err).toContain(`entrypoint: gave ${path.join(root, 'output')} to uid 1000:1000 (it was 0:0)`);
    expect(r.err).toContain('entrypoint: running as uid 1000:1000 (started as root)');
    expect(r.code).toBe(0);
    expect(readModelDir(path.join(root, 'model')).manifest.model).toBe('linear');
    for (const f of fs.readdirSync(path.join(root, 'model'))) expect(fs.statSync(path.join(root, 'model', f)).uid).toBe(1000);
    // Only the platform's output folders changed hands: the inputs stay root's.
    expect(fs.statSync(path.join(root, 'input')).uid).toBe(0);
    // Without MLOPS_RUN_AS (the entrypoint run as root outside the image) nothing changes hands and root stays root.
    const plain = optMl('sm-root-plain', data, { target: 'y', model: 'linear' });
    const p = run(ENTRYPOINT, ['train'], { MLOPS_SAGEMAKER_ROOT: plain, MLOPS_APP_DIR: IMAGE_DIR }, {});
    expect(p.code).toBe(0);
    expect(p.err).not.toMatch(/gave|running as uid/);
    expect(fs.statSync(path.join(plain, 'model', 'manifest.json')).uid).toBe(0);
  });

  test('`mlops` on PATH, run as root by a platform (an Azure ML command job) in the image (MLOPS_RUN_AS set), drops the same way; without MLOPS_RUN_AS (sudo on a laptop) it stays root', () => {
    const data = path.join(tmp, 'small-cli.csv');
    fs.writeFileSync(data, smallCsv(300, 4));
    const out = path.join(tmp, 'az-out');
    fs.mkdirSync(out);
    fs.chmodSync(out, 0o755);
    const r = run(
      BIN,
      ['train', '--data', data, '--target', 'y', '--model', 'linear', '--out', out],
      { MLOPS_RUN_AS: '1000:1000', AZUREML_RUN_ID: 'run-1', AZURE_ML_OUTPUT_MODEL: out },
      {},
    );
    expect(r.err).toContain(`mlops: gave ${out} to uid 1000:1000 (it was 0:0)`);
    expect(r.err).toContain('mlops: running as uid 1000:1000 (started as root)');
    expect(r.code).toBe(0);
    expect(fs.statSync(path.join(out, 'manifest.json')).uid).toBe(1000);
    const laptop = path.join(tmp, 'laptop-model');
    const l = run(BIN, ['train', '--data', data, '--target', 'y', '--model', 'linear', '--out', laptop], {}, {});
    expect(l.code).toBe(0);
    expect(l.err).not.toContain('running as uid');
    expect(fs.statSync(path.join(laptop, 'manifest.json')).uid).toBe(0);
  });

  (hasSetpriv ? test : test.skip)('without capabilities (--cap-drop ALL) it says it cannot switch users, goes on as root, and fails fast where root cannot write', () => {
    const data = path.join(tmp, 'small-nocap.csv');
    fs.writeFileSync(data, smallCsv(300, 3));
    const noCaps = ['setpriv', '--bounding-set', '-all', '--inh-caps', '-all', '--'];
    // Root-owned outputs: root, though without capabilities, owns them and trains.
    const ok = optMl('sm-nocap-ok', data, { target: 'y', model: 'linear' });
    const a = run(ENTRYPOINT, ['train'], { MLOPS_SAGEMAKER_ROOT: ok, MLOPS_APP_DIR: IMAGE_DIR, MLOPS_RUN_AS: '1000:1000' }, {}, noCaps);
    expect(a.err).toContain(`entrypoint: cannot give ${path.join(ok, 'model')} to uid 1000:1000 (EPERM); it stays as it is`);
    expect(a.err).toContain(
      'entrypoint: started as root but cannot switch to uid 1000:1000 (EPERM: the container lacks CAP_SETUID/CAP_SETGID, e.g. --cap-drop ALL); going on as root.',
    );
    expect(a.code).toBe(0);
    expect(readModelDir(path.join(ok, 'model')).manifest.model).toBe('linear');
    // A model folder owned by uid 1000 with mode 0755: root without CAP_DAC_OVERRIDE cannot write it.
    const bad = optMl('sm-nocap-bad', data, { target: 'y', model: 'linear' });
    fs.chownSync(path.join(bad, 'model'), 1000, 1000);
    const b = run(ENTRYPOINT, ['train'], { MLOPS_SAGEMAKER_ROOT: bad, MLOPS_APP_DIR: IMAGE_DIR, MLOPS_RUN_AS: '1000:1000' }, {}, noCaps);
    expect(b.code).toBe(1);
    expect(b.err).toContain(`[OUTPUT_NOT_WRITABLE] ${path.join(bad, 'model')}: "${path.join(bad, 'model')}" is not writable by this process (uid 0, gid 0; EACCES)`);
    expect(b.err).toContain('without CAP_DAC_OVERRIDE, e.g. under --cap-drop ALL, root can write only where it owns the folder');
    expect(fs.readFileSync(path.join(bad, 'output', 'failure'), 'utf8')).toContain('[OUTPUT_NOT_WRITABLE]');
  });
});
