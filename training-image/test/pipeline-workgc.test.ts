/**
 * Pipeline work folders do not accumulate (issue 14, leftover of item 1):
 * every run works in `<root>/work/<pipeline>/<run id>/`; at its end the
 * folders of ended runs that no cache entry points into are removed, never a
 * running run's folder nor one a running run reuses; cache entries are kept
 * per step up to MLOPS_CACHE_KEEP; an entry whose outputs are gone is a miss.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rng } from '../src/core/random';
import { runPipeline, RunResult } from '../src/pipeline/runner';
import { PipelineError } from '../src/pipeline/schema';
import { TrackingStore } from '../src/tracking/store';

const IMAGE_DIR = path.resolve(__dirname, '..');
const BIN = path.join(IMAGE_DIR, 'bin', 'mlops.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-workgc-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

const PIPELINE = `name: gc
params: { seed: 0, note: a }
inputs: { data: data.csv }
steps:
  - name: train
    uses: train
    inputs: { data: "\${inputs.data}" }
    params: { target: y, model: linear, seed: "\${params.seed}", holdout: 0.25 }
  - name: evaluate
    uses: evaluate
    inputs: { model: "\${steps.train.outputs.model}" }
    params: { note: "\${params.note}" }
`;

function project(name: string): { file: string; root: string } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(3);
  const rows = ['a,b,y'];
  for (let i = 0; i < 80; i++) {
    const a = rng.normal(),
      b = rng.normal();
    rows.push(`${a.toFixed(4)},${b.toFixed(4)},${(2 * a - b + 0.3 * rng.normal()).toFixed(4)}`);
  }
  fs.writeFileSync(path.join(dir, 'data.csv'), rows.join('\n') + '\n');
  const file = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(file, PIPELINE);
  return { file, root: path.join(dir, '.mlops') };
}

/** Run ids that have a work folder. */
const folders = (root: string): string[] =>
  fs.existsSync(path.join(root, 'work', 'gc'))
    ? fs
        .readdirSync(path.join(root, 'work', 'gc'))
        .filter((n) => !n.startsWith('.'))
        .sort()
    : [];

/** Run ids the cache entries point at. */
function referenced(root: string): string[] {
  const out = new Set<string>();
  const c = path.join(root, 'cache', 'gc');
  for (const step of fs.existsSync(c) ? fs.readdirSync(c) : []) {
    for (const f of fs.readdirSync(path.join(c, step))) out.add((JSON.parse(fs.readFileSync(path.join(c, step, f), 'utf8')) as { runId: string }).runId);
  }
  return [...out].sort();
}

const statuses = (r: RunResult): Record<string, string> => Object.fromEntries(r.run.steps.map((s) => [s.name, s.status]));

describe('pipeline work folders', () => {
  test('N sequential runs with changed params: only the folders cache entries point into stay (and the last run’s), and the cache still hits', async () => {
    const p = project('seq');
    const ids: string[] = [];
    const lines: string[] = [];
    for (const seed of [1, 2, 1, 2, 3]) {
      const r = await runPipeline(p.file, { root: p.root, params: { seed }, log: (l) => lines.push(l) });
      expect(r.ok).toBe(true);
      ids.push(r.run.id);
      // After each run: the folders are exactly those cache entries point into, plus the run that just ended.
      expect(folders(p.root)).toEqual([...new Set([...referenced(p.root), r.run.id])].sort());
    }
    const [r1, r2, r3, r4, r5] = ids as [string, string, string, string, string];
    // Runs 3 and 4 reused runs 1 and 2 entirely (nothing of theirs is referenced): removed by the next run.
    expect(folders(p.root)).toEqual([r1, r2, r5].sort());
    expect(referenced(p.root)).toEqual([r1, r2, r5].sort());
    expect(lines.filter((l) => /^clean-up: removed the work folders of 1 ended run\(s\)/.test(l))).toHaveLength(2);
    // Their run records stay.
    expect(new TrackingStore(p.root).get(r3).status).toBe('succeeded');
    expect(new TrackingStore(p.root).get(r4).status).toBe('succeeded');
    // The outputs of run 1 are still reused in place.
    const again = await runPipeline(p.file, { root: p.root, params: { seed: 1 } });
    expect(statuses(again)).toEqual({ train: 'skipped', evaluate: 'skipped' });
    expect(again.run.steps[0]!.cachedFrom).toBe(r1);
    expect(again.run.steps[0]!.outputs.model!.path).toBe(path.join(p.root, 'work', 'gc', r1, 'train', 'model'));
    // A failed run leaves no folder behind either (removed by the next run).
    const bad = await runPipeline(p.file, { root: p.root, params: { seed: 'x' } });
    expect(bad.ok).toBe(false);
    expect(folders(p.root)).toContain(bad.run.id);
    const after = await runPipeline(p.file, { root: p.root, params: { seed: 2 } });
    expect(folders(p.root)).not.toContain(bad.run.id);
    expect(folders(p.root)).toEqual([...new Set([...referenced(p.root), after.run.id])].sort());
  }, 60_000);

  test('MLOPS_CACHE_KEEP bounds the cache entries per step (most recently used first); the folders only they pointed into go, and a dropped entry recomputes', async () => {
    const p = project('keep');
    const env = { ...process.env, MLOPS_CACHE_KEEP: '2' };
    const r1 = (await runPipeline(p.file, { root: p.root, params: { seed: 1 }, env })).run.id;
    const r2 = (await runPipeline(p.file, { root: p.root, params: { seed: 2 }, env })).run.id;
    // Seed 1 again: a hit, which makes its entries the most recently used.
    const hit = await runPipeline(p.file, { root: p.root, params: { seed: 1 }, env });
    expect(statuses(hit)).toEqual({ train: 'skipped', evaluate: 'skipped' });
    expect(folders(p.root)).toEqual([r1, r2, hit.run.id].sort());
    const r4 = (await runPipeline(p.file, { root: p.root, params: { seed: 3 }, env })).run.id;
    // Two entries per step: seed 3 (run 4) and seed 1 (run 1, reused by run 3); seed 2's dropped, and its folder with it.
    expect(referenced(p.root)).toEqual([r1, r4].sort());
    expect(folders(p.root)).toEqual([r1, r4].sort());
    for (const step of ['train', 'evaluate']) expect(fs.readdirSync(path.join(p.root, 'cache', 'gc', step))).toHaveLength(2);
    // Seed 2's entry is gone: computed again, not an error.
    const again = await runPipeline(p.file, { root: p.root, params: { seed: 2 }, env });
    expect(statuses(again)).toEqual({ train: 'ok', evaluate: 'ok' });
    // A bad setting is refused before anything runs, naming the variable, the value and the fix.
    await expect(runPipeline(p.file, { root: p.root, env: { ...process.env, MLOPS_CACHE_KEEP: '0' } })).rejects.toThrow(PipelineError);
    await expect(runPipeline(p.file, { root: p.root, env: { ...process.env, MLOPS_CACHE_KEEP: 'ten' } })).rejects.toThrow(
      /MLOPS_CACHE_KEEP="ten" is not a number of cache entries; set a whole number ≥ 1 .* or 'all'/,
    );
  }, 60_000);

  test('a cache entry whose outputs were removed is a miss: the step runs again, the run succeeds; entries that point at nothing are dropped', async () => {
    const p = project('dangling');
    const r1 = await runPipeline(p.file, { root: p.root, params: { seed: 5 } });
    expect(r1.ok).toBe(true);
    // WHEN the work folder the entries point into is removed (by hand, or a disk clean-up)
    fs.rmSync(path.join(p.root, 'work', 'gc', r1.run.id), { recursive: true, force: true });
    // a run of other params drops the entries that point at nothing
    const lines: string[] = [];
    const other = await runPipeline(p.file, { root: p.root, params: { seed: 6 }, log: (l) => lines.push(l) });
    expect(referenced(p.root)).toEqual([other.run.id]);
    expect(lines).toContain(
      'clean-up: removed the work folders of 0 ended run(s) no cache entry points into, dropped 2 cache entries (outputs gone, or beyond MLOPS_CACHE_KEEP=10 per step)',
    );
    const r2 = await runPipeline(p.file, { root: p.root, params: { seed: 5 } });
    // THEN both steps run again
    expect(r2.ok).toBe(true);
    expect(statuses(r2)).toEqual({ train: 'ok', evaluate: 'ok' });
    expect(r2.run.steps.every((s) => s.cachedFrom === undefined && s.error === null)).toBe(true);
    expect(r2.run.metrics['train.rmse']).toBe(r1.run.metrics['train.rmse']);
    // and the entries now point at the new run, which a third run reuses
    expect(referenced(p.root)).toEqual([other.run.id, r2.run.id].sort());
    const r3 = await runPipeline(p.file, { root: p.root, params: { seed: 5 } });
    expect(statuses(r3)).toEqual({ train: 'skipped', evaluate: 'skipped' });
    // Only the train output gone: train runs again.
    fs.rmSync(path.join(p.root, 'work', 'gc', r2.run.id, 'train'), { recursive: true, force: true });
    const r4 = await runPipeline(p.file, { root: p.root, params: { seed: 5 } });
    expect(r4.ok).toBe(true);
    expect(statuses(r4).train).toBe('ok');
  }, 60_000);

  test('a run paused mid-step: its folder and the folder it reuses outputs from stay while other runs clean up; once it is killed (interrupted), they go', async () => {
    const p = project('conc');
    const env = { ...process.env, MLOPS_CACHE_KEEP: '1' };
    const r1 = await runPipeline(p.file, { root: p.root, params: { seed: 1, note: 'a' }, env });
    expect(r1.ok).toBe(true);
    // A: seed 1 (train reused from run 1), a new note, so it runs evaluate, paused there.
    const child = spawn(process.execPath, [BIN, 'pipeline', 'run', p.file, '--root', p.root, '--param', 'seed=1', '--param', 'note=b'], {
      env: { PATH: process.env.PATH, MLOPS_SUPERVISE: '0', MLOPS_HOME: '', MLOPS_CACHE_KEEP: '1', MLOPS_TEST_PAUSE_AT: 'step-evaluate:60000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.resume();
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const end = Date.now() + 30_000;
    while (!err.includes('MLOPS_TEST_PAUSED step-evaluate')) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before the pause:\n${err}`);
      if (Date.now() > end) throw new Error(`not paused within 30 s:\n${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const runA = folders(p.root).find((id) => id !== r1.run.id)!;
    expect(new TrackingStore(p.root).get(runA)).toMatchObject({ status: 'running', steps: [{ status: 'skipped', cachedFrom: r1.run.id }, { status: 'running' }] });
    const aFiles = fs.readdirSync(path.join(p.root, 'work', 'gc', runA), { recursive: true }).sort();
    // B: other params; with one entry kept per step, run 1's entries are dropped, so nothing but A points at run 1's folder.
    const b = await runPipeline(p.file, { root: p.root, params: { seed: 2, note: 'c' }, env });
    expect(b.ok).toBe(true);
    expect(referenced(p.root)).toEqual([b.run.id]);
    // THEN A's folder is untouched and run 1's folder (whose model A is evaluating) stays.
    expect(folders(p.root)).toEqual([r1.run.id, runA, b.run.id].sort());
    expect(fs.readdirSync(path.join(p.root, 'work', 'gc', runA), { recursive: true }).sort()).toEqual(aFiles);
    expect(fs.existsSync(path.join(p.root, 'work', 'gc', r1.run.id, 'train', 'model', 'manifest.json'))).toBe(true);
    // WHEN A is killed, it is interrupted, and the next run removes its folder and run 1's.
    child.kill('SIGKILL');
    await exited;
    expect(new TrackingStore(p.root).get(runA).status).toBe('interrupted');
    const c = await runPipeline(p.file, { root: p.root, params: { seed: 3, note: 'd' }, env });
    expect(c.ok).toBe(true);
    expect(folders(p.root)).toEqual([c.run.id]);
    expect(fs.readdirSync(path.join(p.root, 'work', 'gc')).filter((n) => n.startsWith('.gc-'))).toEqual([]);
  }, 90_000);
});
