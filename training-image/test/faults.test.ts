/**
 * Kills at every rename (issue 14, pipelines and registry, items 3–5): real
 * `mlops` processes, unsupervised (MLOPS_SUPERVISE=0, so that nothing cleans
 * up after them: the worst case, as after an out-of-memory kill or a power
 * loss), paused at a test hook (`MLOPS_TEST_PAUSE_AT`, which prints
 * `MLOPS_TEST_PAUSED <point>`) and killed with SIGKILL. Afterwards a model
 * must always load — the previous one or the new one — with `mlops predict`,
 * the server's model lookup and the registry; the next run must clean up
 * what the killed one left and reuse its version number; `mlops runs` must
 * show the killed run as interrupted.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelDir } from '../src/artifacts/modeldir';
import { Rng } from '../src/core/random';
import { LocalRegistry } from '../src/registry/registry';
import { locateModel } from '../src/serve/locate';
import { TrackingStore } from '../src/tracking/store';

const IMAGE_DIR = path.resolve(__dirname, '..');
const BIN = path.join(IMAGE_DIR, 'bin', 'mlops.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-faults-'));
const children: ChildProcess[] = [];
const BASE_ENV = { PATH: process.env.PATH, MLOPS_SUPERVISE: '0', MLOPS_HOME: '' };

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

function csv(file: string, seed: number, slope: number): string {
  const rng = new Rng(seed);
  const rows = ['a,b,y'];
  for (let i = 0; i < 120; i++) {
    const a = rng.normal(),
      b = rng.normal();
    rows.push(`${a.toFixed(4)},${b.toFixed(4)},${(slope * a - b + 0.2 * rng.normal()).toFixed(4)}`);
  }
  fs.writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

function mlops(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...BASE_ENV, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `mlops <args>` paused at `point` and resolves once it is there; `kill()` SIGKILLs it. */
async function pausedAt(
  args: string[],
  env: NodeJS.ProcessEnv,
  marker: string,
): Promise<{ child: ChildProcess; err(): string; kill(): Promise<void>; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const end = Date.now() + 30_000;
  while (!err.includes(marker)) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${marker}:\n${err}`);
    if (Date.now() > end) throw new Error(`no ${marker} within 30 s:\n${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    err: () => err,
    exited,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const visible = (dir: string): string[] => fs.readdirSync(dir).sort();

describe('mlops train --out <existing model> killed at each step of the replacement', () => {
  const dataA = (): string => csv(path.join(tmp, 'a.csv'), 1, 3);
  const dataB = (): string => csv(path.join(tmp, 'b.csv'), 2, -2);

  test.each([
    ['write-model', 'the new model written to its temporary sibling', 'previous', ['.model.tmp-', 'model']],
    ['swap-aside', 'the previous model moved aside, the new one not yet in place', 'previous', ['.model.old-', '.model.tmp-']],
    ['swap-placed', 'the new model in place, the previous one not yet removed', 'new', ['.model.old-', 'model']],
  ] as const)(
    'killed at %s (%s): `mlops predict` and the server find the %s model; the next write leaves nothing behind',
    async (point, _what, expected, leftAfterKill) => {
      const dir = path.join(tmp, `train-${point}`);
      const out = path.join(dir, 'model');
      expect(mlops(['train', '--data', dataA(), '--target', 'y', '--model', 'linear', '--out', out]).status).toBe(0);
      const previous = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
      // WHEN a second training into the same --out is killed at the point
      const job = await pausedAt(
        ['train', '--data', dataB(), '--target', 'y', '--model', 'linear', '--out', out],
        { MLOPS_TEST_PAUSE_AT: `${point}:30000` },
        `MLOPS_TEST_PAUSED ${point}`,
      );
      await job.kill();
      // (the kill hit the window it is meant to test)
      expect(visible(dir).map((n) => n.replace(/^(\.model\.(tmp|old)-).*/, '$1'))).toEqual(leftAfterKill);
      // THEN a new process predicts with the model at --out: the previous or the new one, whole and verified
      const preds = path.join(dir, 'preds.csv');
      const p = mlops(['predict', '--model', out, '--data', dataA(), '--out', preds]);
      expect({ status: p.status, stderr: p.stderr }).toMatchObject({ status: 0 });
      expect(fs.readFileSync(preds, 'utf8').split('\n')[0]).toBe('prediction');
      const now = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
      if (expected === 'previous') expect(now).toBe(previous);
      else expect(now).not.toBe(previous);
      // and the server's model lookup finds it too
      const located = await locateModel({ model: out, env: {} });
      expect(readModelDir(located.dir).manifest.createdAt).toBe(JSON.parse(now).createdAt);
      // AND the next training into --out removes what the killed one left
      expect(mlops(['train', '--data', dataA(), '--target', 'y', '--model', 'linear', '--out', out]).status).toBe(0);
      expect(visible(dir)).toEqual(['model', 'preds.csv']);
    },
    30_000,
  );

  test('a reader during a live replacement waits for it and gets the new model (never "does not exist")', async () => {
    const dir = path.join(tmp, 'train-live');
    const out = path.join(dir, 'model');
    expect(mlops(['train', '--data', dataA(), '--target', 'y', '--model', 'linear', '--out', out]).status).toBe(0);
    const previous = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
    const job = await pausedAt(
      ['train', '--data', dataB(), '--target', 'y', '--model', 'linear', '--out', out],
      { MLOPS_TEST_PAUSE_AT: 'swap-aside:1500' },
      'MLOPS_TEST_PAUSED swap-aside',
    );
    expect(fs.existsSync(out)).toBe(false); // moved aside right now
    const p = spawnSync(process.execPath, [BIN, 'predict', '--model', out, '--data', dataA(), '--out', path.join(dir, 'p.csv')], { env: { ...BASE_ENV }, encoding: 'utf8' });
    expect({ status: p.status, stderr: p.stderr }).toMatchObject({ status: 0 });
    expect(await job.exited).toBe(0);
    expect(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).not.toBe(previous);
    expect(visible(dir)).toEqual(['model', 'p.csv']);
  }, 30_000);

  test('what a kill between the two renames of an earlier runtime left (`model.old-<pid>-<ms>`, no model) is recovered on load', () => {
    const dir = path.join(tmp, 'train-legacy');
    const out = path.join(dir, 'model');
    expect(mlops(['train', '--data', dataA(), '--target', 'y', '--model', 'linear', '--out', out]).status).toBe(0);
    const manifest = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    fs.renameSync(out, `${out}.old-${dead}-${Date.now()}`);
    expect(readModelDir(out).manifest.createdAt).toBe(JSON.parse(manifest).createdAt);
    expect(visible(dir)).toEqual(['model']);
  });
});

const PIPELINE = `name: faulty
params: { seed: 0 }
inputs: { data: data.csv }
steps:
  - name: train
    uses: train
    inputs: { data: "\${inputs.data}" }
    params: { target: y, model: linear, seed: "\${params.seed}", holdout: 0.25 }
  - name: register
    uses: register
    inputs: { model: "\${steps.train.outputs.model}" }
    params: { promote: true }
`;

describe('mlops pipeline run killed while registering and promoting', () => {
  test.each([
    ['register-copied', { MLOPS_TEST_PAUSE_AT: 'register-copied:30000' }, 'MLOPS_TEST_PAUSED register-copied', [1], 2],
    ['register-placed', { MLOPS_TEST_PAUSE_AT: 'register-placed:30000' }, 'MLOPS_TEST_PAUSED register-placed', [1], 2],
    ['the alias file rename', { MLOPS_TEST_PROMOTE_PAUSE_MS: '30000' }, 'MLOPS_TEST_PAUSED', [1, 2], 3],
  ] as const)(
    "killed at %s: the champion stays v1 and loads; the run shows as interrupted; the next run cleans up and reuses an unfinished version's number",
    async (point, env, marker, versionsAfterKill, nextVersion) => {
      const dir = path.join(tmp, `pipe-${point.replace(/ /g, '-')}`);
      fs.mkdirSync(dir, { recursive: true });
      csv(path.join(dir, 'data.csv'), 3, 1.5);
      fs.writeFileSync(path.join(dir, 'pipeline.yaml'), PIPELINE);
      const root = path.join(dir, '.mlops');
      const file = path.join(dir, 'pipeline.yaml');
      expect(mlops(['pipeline', 'run', file, '--root', root, '--param', 'seed=1']).status).toBe(0);
      const reg = new LocalRegistry(path.join(root, 'registry'));
      expect(reg.aliases('faulty').champion).toBe(1);
      // WHEN the second run is killed at the point
      const job = await pausedAt(['pipeline', 'run', file, '--root', root, '--param', 'seed=2'], env, marker);
      const store = new TrackingStore(root);
      // (while it is paused, it is running)
      expect(store.list().map((r) => r.status)).toEqual(['succeeded', 'running']);
      expect(mlops(['runs', '--root', root]).stdout).toMatch(/faulty\s+running/);
      await job.kill();
      // THEN the champion is still v1, resolves and loads in a new process
      expect(reg.versions('faulty').map((v) => v.version)).toEqual(versionsAfterKill);
      const champion = reg.resolveUri('models:/faulty@champion');
      expect(champion.version.version).toBe(1);
      const p = mlops(['predict', '--model', champion.dir, '--data', path.join(dir, 'data.csv'), '--out', path.join(dir, 'p.csv')]);
      expect({ status: p.status, stderr: p.stderr }).toMatchObject({ status: 0 });
      // and the killed run reads as interrupted (not running), naming the step it died in
      const runs = store.list();
      expect(runs.map((r) => r.status)).toEqual(['succeeded', 'interrupted']);
      expect(runs[1]!.error).toMatchObject({ code: 'INTERRUPTED', path: 'steps.register' });
      expect(runs[1]!.error!.message).toMatch(/^the run's process \(pid \d+ on .+\) ended without recording an outcome during step 'register'/);
      const list = mlops(['runs', '--root', root]);
      expect(list.stdout).toMatch(/faulty\s+interrupted/);
      expect(list.stdout).not.toMatch(/running/);
      // AND the next run registers (reusing the killed run's version number when it had not finished it) and leaves nothing behind
      const next = mlops(['pipeline', 'run', file, '--root', root, '--param', 'seed=3', '--json']);
      expect({ status: next.status, stderr: next.stderr }).toMatchObject({ status: 0 });
      const r3 = JSON.parse(next.stdout) as { id: string };
      expect(reg.aliases('faulty').champion).toBe(nextVersion);
      expect(reg.version('faulty', nextVersion).runId).toBe(r3.id);
      const modelRoot = path.join(root, 'registry', 'faulty');
      expect(visible(modelRoot).filter((n) => n.includes('.tmp-'))).toEqual([]);
      for (const v of visible(path.join(modelRoot, 'versions'))) expect(visible(path.join(modelRoot, 'versions', v))).toEqual(['model', 'version.json']);
      expect(visible(path.join(modelRoot, 'versions'))).toEqual(Array.from({ length: nextVersion }, (_, i) => String(i + 1)).sort());
    },
    40_000,
  );
});
