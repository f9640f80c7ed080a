/**
 * Stopping a job (issue 13, defect 1): real `mlops` and entrypoint processes,
 * stopped with real signals while they fit trees on the bike-sharing data or
 * while they publish, on real files. A stop must end the process within ~2 s
 * with 128 + the signal number and leave nothing half-published: no model at
 * the output, no partial /opt/ml/model, no registry version, no run claiming
 * to be running, no temporary folders; SageMaker's failure file says why.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelDir } from '../src/artifacts/modeldir';
import { Rng } from '../src/core/random';

const IMAGE_DIR = path.resolve(__dirname, '..');
const BIN = path.join(IMAGE_DIR, 'bin', 'mlops.js');
const ENTRYPOINT = path.join(IMAGE_DIR, 'docker', 'entrypoint.js');
const BIKE = path.resolve(IMAGE_DIR, '..', 'examples', 'demand-forecast', 'data', 'hour.csv');
const BIKE_DROP = 'instant,dteday,casual,registered';
/** Gradient boosting for minutes on the bike data: still fitting whenever the tests stop it. */
const LONG_GBDT = 'maxIter=5000,earlyStopping=false';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-stop-'));
const children: ChildProcess[] = [];

jest.setTimeout(90_000);

beforeAll(() => {
  if (!fs.existsSync(path.join(IMAGE_DIR, 'dist', 'src', 'cli', 'supervise.js'))) {
    spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', IMAGE_DIR], { stdio: 'ignore' });
  }
  expect(fs.existsSync(BIKE)).toBe(true);
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
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

interface Job {
  readonly child: ChildProcess;
  err(): string;
  out(): string;
  /** Resolves with how the process ended, or null if it is still running after `ms`. */
  exitWithin(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null>;
  waitFor(re: RegExp, ms?: number): Promise<void>;
}

/** A private TMPDIR per job, to check that a stopped job leaves no temporary folder behind. */
function jobTmp(name: string): string {
  const d = path.join(tmp, `tmp-${name}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

function start(script: string, args: string[], env: NodeJS.ProcessEnv): Job {
  const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '',
    err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return {
    child,
    err: () => err,
    out: () => out,
    exitWithin: (ms) => Promise.race([ended, new Promise<null>((r) => setTimeout(() => r(null), ms).unref())]),
    async waitFor(re, ms = 30_000) {
      const end = Date.now() + ms;
      while (!re.test(err)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process ended (${child.exitCode ?? child.signalCode}) before printing ${re}:\n${err}`);
        if (Date.now() > end) throw new Error(`no ${re} within ${ms} ms:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Sends `sig` and returns how the process ended and how long that took; kills it if it outlives `ms`. */
async function stop(job: Job, sig: NodeJS.Signals, ms = 2000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const t0 = Date.now();
  job.child.kill(sig);
  const r = await job.exitWithin(ms);
  const took = Date.now() - t0;
  if (!r) {
    job.child.kill('SIGKILL');
    throw new Error(`still running ${ms} ms after ${sig}:\n${job.err()}`);
  }
  return { ...r, ms: took };
}

function optMl(name: string, hp: Record<string, string>, data = BIKE): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(path.join(root, 'input', 'config'), { recursive: true });
  fs.mkdirSync(path.join(root, 'input', 'data', 'train'), { recursive: true });
  fs.mkdirSync(path.join(root, 'model'), { recursive: true });
  fs.mkdirSync(path.join(root, 'output'), { recursive: true });
  fs.writeFileSync(path.join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(hp));
  fs.copyFileSync(data, path.join(root, 'input', 'data', 'train', 'data.csv'));
  return root;
}

const visible = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

describe('mlops train (local) stopped while fitting', () => {
  test('SIGTERM: exit 143 within 2 s; the model already at --out is untouched; no temporary folder is left', async () => {
    const small = path.join(tmp, 'small.csv');
    fs.writeFileSync(small, smallCsv(200, 1));
    const out = path.join(tmp, 'local', 'model');
    const first = spawnSync(process.execPath, [BIN, 'train', '--data', small, '--target', 'y', '--model', 'linear', '--out', out], { encoding: 'utf8' });
    expect(first.status).toBe(0);
    const before = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');

    const tmpdir = jobTmp('local');
    const job = start(BIN, ['train', '--data', BIKE, '--target', 'cnt', '--drop', BIKE_DROP, '--model', 'gbdt', '--params', LONG_GBDT, '--holdout', '0', '--out', out], {
      TMPDIR: tmpdir,
    });
    await job.waitFor(/fitting final gbdt/);
    await new Promise((r) => setTimeout(r, 700)); // well inside the tree fitting
    const r = await stop(job, 'SIGTERM');
    expect(r).toMatchObject({ code: 143, signal: null });
    expect(r.ms).toBeLessThan(2000);
    expect(job.err()).toContain('mlops train: stopped by SIGTERM');
    expect(job.err()).toContain('Nothing was published (no model was written to the output).');
    expect(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(readModelDir(out).manifest.model).toBe('linear');
    expect(visible(path.dirname(out))).toEqual(['model']); // no .model.tmp-* or .old-* sibling
    expect(visible(tmpdir)).toEqual([]); // the job folder is gone
  });

  test('SIGINT (Ctrl-C): exit 130 within 2 s, no model written', async () => {
    const out = path.join(tmp, 'local-int', 'model');
    const job = start(BIN, ['train', '--data', BIKE, '--target', 'cnt', '--drop', BIKE_DROP, '--model', 'gbdt', '--params', LONG_GBDT, '--out', out], { TMPDIR: jobTmp('int') });
    await job.waitFor(/fitting gbdt/);
    const r = await stop(job, 'SIGINT');
    expect(r).toMatchObject({ code: 130 });
    expect(r.ms).toBeLessThan(2000);
    expect(job.err()).toContain('stopped by SIGINT');
    expect(fs.existsSync(out)).toBe(false);
    expect(visible(path.dirname(out))).toEqual([]);
  });

  test('stopped after the model was written to its temporary sibling, before the rename: the sibling is removed, the old model stays', async () => {
    const small = path.join(tmp, 'small2.csv');
    fs.writeFileSync(small, smallCsv(300, 2));
    const out = path.join(tmp, 'local-rename', 'model');
    expect(spawnSync(process.execPath, [BIN, 'train', '--data', small, '--target', 'y', '--model', 'linear', '--out', out]).status).toBe(0);
    const before = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
    const job = start(BIN, ['train', '--data', small, '--target', 'y', '--model', 'gbdt', '--out', out], { TMPDIR: jobTmp('rename'), MLOPS_TEST_PAUSE_AT: 'write-model:20000' });
    const parent = path.dirname(out);
    const end = Date.now() + 30_000;
    while (!visible(parent).some((n) => n.startsWith('.model.tmp-'))) {
      if (Date.now() > end) throw new Error(`no temporary model directory appeared:\n${job.err()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await stop(job, 'SIGTERM');
    expect(r.code).toBe(143);
    expect(job.err()).toMatch(/Cleaned up: removed .*\.model\.tmp-/);
    expect(visible(parent)).toEqual(['model']);
    expect(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).toBe(before);
  });
});

describe('the image entrypoint, `train` under the SageMaker contract', () => {
  const hp = { target: 'cnt', model: 'gbdt', drop: BIKE_DROP, max_iter: '5000', early_stopping: 'false' };

  test('SIGTERM while fitting (StopTrainingJob, docker stop): exit 143 within 2 s, /opt/ml/model empty, the failure file says it was stopped', async () => {
    const root = optMl('sm-stop', hp);
    const tmpdir = jobTmp('sm');
    const job = start(ENTRYPOINT, ['train'], { TMPDIR: tmpdir, MLOPS_APP_DIR: IMAGE_DIR, MLOPS_SAGEMAKER_ROOT: root });
    await job.waitFor(/fitting gbdt/);
    await new Promise((r) => setTimeout(r, 700));
    const r = await stop(job, 'SIGTERM');
    expect(r).toMatchObject({ code: 143, signal: null });
    expect(r.ms).toBeLessThan(2000);
    expect(visible(path.join(root, 'model'))).toEqual([]);
    const failure = fs.readFileSync(path.join(root, 'output', 'failure'), 'utf8');
    expect(failure).toMatch(/^mlops train: stopped by SIGTERM after \d+\.\d s\. Nothing was published \(no model was written to the output\)\./);
    expect(visible(tmpdir)).toEqual(['mlops-role']); // the role marker only: no job folder, no mlops-train-* staging
  });

  test('SIGTERM while the model is being copied into /opt/ml/model: the copy completes first; the model there is whole', async () => {
    const small = path.join(tmp, 'small3.csv');
    fs.writeFileSync(small, smallCsv(300, 3));
    const root = optMl('sm-publish', { target: 'y', model: 'linear' }, small);
    const job = start(ENTRYPOINT, ['train'], { TMPDIR: jobTmp('pub'), MLOPS_APP_DIR: IMAGE_DIR, MLOPS_SAGEMAKER_ROOT: root, MLOPS_TEST_PAUSE_AT: 'publish:1500' });
    const model = path.join(root, 'model');
    const end = Date.now() + 30_000;
    while (!visible(model).includes('model.json')) {
      if (Date.now() > end) throw new Error(`the publish did not start:\n${job.err()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(visible(model)).not.toContain('manifest.json'); // mid-copy: the files, not yet the manifest
    const r = await stop(job, 'SIGTERM', 5000);
    expect(job.err()).toContain('stopping the job once it has finished writing the model directory');
    expect(r.ms).toBeGreaterThan(500); // it waited for the copy
    expect(readModelDir(model).manifest.model).toBe('linear'); // whole and verified
    // The job either finished on its own (0) or was stopped right after the copy (143) — never in between.
    expect([0, 143]).toContain(r.code);
    if (r.code === 143) expect(fs.readFileSync(path.join(root, 'output', 'failure'), 'utf8')).toContain('The job had already published: model directory');
  });

  test('a copy that outlives the grace period is killed and removed: no partial /opt/ml/model', async () => {
    const small = path.join(tmp, 'small4.csv');
    fs.writeFileSync(small, smallCsv(300, 4));
    const root = optMl('sm-grace', { target: 'y', model: 'linear' }, small);
    const job = start(ENTRYPOINT, ['train'], {
      TMPDIR: jobTmp('grace'),
      MLOPS_APP_DIR: IMAGE_DIR,
      MLOPS_SAGEMAKER_ROOT: root,
      MLOPS_TEST_PAUSE_AT: 'publish:30000',
      MLOPS_STOP_GRACE_MS: '300',
    });
    const model = path.join(root, 'model');
    const end = Date.now() + 30_000;
    while (!visible(model).includes('model.json')) {
      if (Date.now() > end) throw new Error(`the publish did not start:\n${job.err()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await stop(job, 'SIGTERM');
    expect(r.code).toBe(143);
    expect(r.ms).toBeLessThan(2000);
    expect(visible(model)).toEqual([]);
    const failure = fs.readFileSync(path.join(root, 'output', 'failure'), 'utf8');
    expect(failure).toContain('stopped by SIGTERM (SIGKILL after the grace period)');
    expect(failure).toMatch(/Cleaned up: removed \d+ partly published file\(s\) from /);
  });
});

const canUnshare = typeof process.getuid === 'function' && process.getuid() === 0 && spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;

(canUnshare ? describe : describe.skip)('the entrypoint as PID 1 of its own PID namespace, as in a container (needs root and unshare)', () => {
  test('SIGTERM from outside (docker stop) while fitting: exit 143 within 2 s, nothing published, failure file written', async () => {
    const root = optMl('sm-pid1', { target: 'cnt', model: 'gbdt', drop: BIKE_DROP, max_iter: '5000', early_stopping: 'false' });
    const child = spawn('unshare', ['--pid', '--fork', '--kill-child', process.execPath, ENTRYPOINT, 'train'], {
      env: { PATH: process.env.PATH, TMPDIR: jobTmp('pid1'), MLOPS_APP_DIR: IMAGE_DIR, MLOPS_SAGEMAKER_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.resume();
    const ended = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const end = Date.now() + 30_000;
    while (!/fitting gbdt/.test(err)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no fitting:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    // The node process unshare started: PID 1 inside the namespace, which ignores signals it has no handler for.
    const pid1 = Number(fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    expect(fs.readFileSync(`/proc/${pid1}/status`, 'utf8')).toMatch(/NSpid:\s+\d+\s+1\n/);
    const t0 = Date.now();
    process.kill(pid1, 'SIGTERM');
    const code = await Promise.race([ended, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 2000).unref())]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect({ code, err }).toEqual({ code: 143, err: expect.stringContaining('stopped by SIGTERM') });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(visible(path.join(root, 'model'))).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'output', 'failure'), 'utf8')).toContain('mlops train: stopped by SIGTERM');
  });
});

describe('mlops pipeline run stopped while its train step fits', () => {
  test('SIGTERM: exit 143 within 2 s, no registry version, the run is recorded as failed (STOPPED), not running', async () => {
    const dir = path.join(tmp, 'pipe');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'pipeline.yaml'),
      [
        'name: bikes',
        'inputs:',
        `  data: ${BIKE}`,
        'steps:',
        '  - name: train',
        '    uses: train',
        '    inputs: { data: "${inputs.data}" }',
        `    params: { target: cnt, model: gbdt, params: { maxIter: 5000, earlyStopping: false }, features: { exclude: [${BIKE_DROP}] } }`,
        '  - name: register',
        '    uses: register',
        '    inputs: { model: "${steps.train.outputs.model}" }',
        '    params: { promote: true }',
        '',
      ].join('\n'),
    );
    const home = path.join(dir, '.mlops');
    const job = start(BIN, ['pipeline', 'run', path.join(dir, 'pipeline.yaml')], { TMPDIR: jobTmp('pipe'), MLOPS_HOME: home });
    await job.waitFor(/fitting gbdt/);
    await new Promise((r) => setTimeout(r, 500));
    const r = await stop(job, 'SIGTERM');
    expect(r.code).toBe(143);
    expect(r.ms).toBeLessThan(2000);
    expect(job.err()).toMatch(/Cleaned up: .*marked the pipeline run \S+ failed/);
    const versions = path.join(home, 'registry', 'bikes', 'versions');
    expect(visible(versions)).toEqual([]);
    const runs = visible(path.join(home, 'runs'));
    expect(runs).toHaveLength(1);
    const run = JSON.parse(fs.readFileSync(path.join(home, 'runs', runs[0]!, 'run.json'), 'utf8')) as {
      status: string;
      error: { code: string; path: string };
      steps: { name: string; status: string }[];
      finishedAt: string | null;
    };
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'STOPPED', path: 'steps.train' });
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ['train', 'failed'],
      ['register', 'pending'],
    ]);
    expect(run.finishedAt).not.toBeNull();
    // `mlops runs` shows it as failed.
    const list = spawnSync(process.execPath, [BIN, 'runs'], { env: { ...process.env, MLOPS_HOME: home }, encoding: 'utf8' });
    expect(list.stdout).toMatch(/failed/);
  });
});
