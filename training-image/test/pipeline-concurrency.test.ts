/**
 * Concurrent runs of one pipeline (issue 14, pipelines and registry, item 1):
 * real `mlops pipeline run` processes, three at a time, three rounds, on one
 * root. Each run must work in its own folder, register its own model as its
 * own version recording its own run id, and nothing may read a directory
 * another run is replacing (no CORRUPTED).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rng } from '../src/core/random';
import { LocalRegistry } from '../src/registry/registry';
import { RunRecord } from '../src/tracking/store';

const IMAGE_DIR = path.resolve(__dirname, '..');
const BIN = path.join(IMAGE_DIR, 'bin', 'mlops.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-conc-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

const PIPELINE = `name: conc
params: { seed: 0 }
inputs: { data: data.csv }
steps:
  - name: train
    uses: train
    inputs: { data: "\${inputs.data}" }
    params: { target: y, model: linear, seed: "\${params.seed}", holdout: 0.25 }
  - name: gate
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}" }
    params: { metric: rmse, thresholds: { rmse: { max: 100 } } }
  - name: register
    uses: register
    inputs: { model: "\${steps.train.outputs.model}", decision: "\${steps.gate.outputs.decision}" }
`;

function run(file: string, root: string, seed: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'pipeline', 'run', file, '--root', root, '--param', `seed=${seed}`, '--json'], {
      env: { ...process.env, MLOPS_HOME: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '',
      err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('concurrent runs of one pipeline', () => {
  test('3 rounds of 3 simultaneous `mlops pipeline run`: each run works in its own folder and registers its own model as its own version, with its run id; nothing is CORRUPTED', async () => {
    const dir = path.join(tmp, 'p');
    fs.mkdirSync(dir, { recursive: true });
    const rng = new Rng(7);
    const rows = ['a,b,y'];
    for (let i = 0; i < 160; i++) {
      const a = rng.normal(),
        b = rng.normal();
      rows.push(`${a.toFixed(4)},${b.toFixed(4)},${(2 * a - b + 0.3 * rng.normal()).toFixed(4)}`);
    }
    fs.writeFileSync(path.join(dir, 'data.csv'), rows.join('\n') + '\n');
    const file = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(file, PIPELINE);
    const root = path.join(dir, '.mlops');
    const runs: { run: RunRecord; seed: number }[] = [];
    for (let round = 0; round < 3; round++) {
      const seeds = [0, 1, 2].map((i) => 1 + round * 3 + i);
      const results = await Promise.all(seeds.map((s) => run(file, root, s)));
      results.forEach((r, i) => {
        expect(`${r.out}\n${r.err}`).not.toMatch(/CORRUPTED|ENOENT|LOCKED/);
        if (r.code !== 0) throw new Error(`run with seed ${seeds[i]} exited ${r.code}:\n${r.err}`);
        runs.push({ run: JSON.parse(r.out) as RunRecord, seed: seeds[i]! });
      });
    }
    expect(runs).toHaveLength(9);
    const reg = new LocalRegistry(path.join(root, 'registry'));
    const versions = reg.versions('conc');
    // Every run registered a version of its own: nine versions, numbered 1..9.
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(versions.map((v) => v.runId))).toEqual(new Set(runs.map((r) => r.run.id)));
    for (const { run: r, seed } of runs) {
      expect(r.status).toBe('succeeded');
      const train = r.steps.find((s) => s.name === 'train')!;
      // Its own working folder: <root>/work/<pipeline>/<run id>/…
      expect(train.outputs.model!.path).toBe(path.join(root, 'work', 'conc', r.id, 'train', 'model'));
      const registration = JSON.parse(fs.readFileSync(r.steps.find((s) => s.name === 'register')!.outputs.registration!.path, 'utf8')) as {
        version: number;
        created: boolean;
        trainedBy: string;
        registeredBy: string;
      };
      expect(registration).toMatchObject({ created: true, trainedBy: r.id, registeredBy: r.id });
      const v = reg.version('conc', registration.version);
      // The version records the run that trained it, and holds that run's model (trained with its seed) byte for byte.
      expect(v).toMatchObject({ runId: r.id, registeredBy: r.id });
      expect(JSON.parse(fs.readFileSync(path.join(reg.modelDir('conc', v.version), 'metrics.json'), 'utf8')).seed).toBe(seed);
      expect(fs.readFileSync(path.join(reg.modelDir('conc', v.version), 'manifest.json'), 'utf8')).toBe(
        fs.readFileSync(path.join(train.outputs.model!.path, 'manifest.json'), 'utf8'),
      );
    }
    // The alias history holds every registration (no update lost to a race).
    expect(reg.aliases('conc').history.filter((e) => e.action === 'set-challenger')).toHaveLength(9);
  }, 60_000);

  test('a cached step reuses the outputs of the run that produced them, and the version it registers records that run', async () => {
    const dir = path.join(tmp, 'p');
    const file = path.join(dir, 'pipeline.yaml');
    const root = path.join(dir, 'cache-root');
    // WHEN the same pipeline runs twice with the same inputs, the registry emptied in between
    const first = await run(file, root, 42);
    expect(first.code).toBe(0);
    const r1 = JSON.parse(first.out) as RunRecord;
    fs.rmSync(path.join(root, 'registry'), { recursive: true, force: true });
    const second = await run(file, root, 42);
    expect(second.code).toBe(0);
    const r2 = JSON.parse(second.out) as RunRecord;
    // THEN train is skipped and points at the first run's model; register ran again (its version was gone)
    const train2 = r2.steps.find((s) => s.name === 'train')!;
    expect(train2).toMatchObject({ status: 'skipped', cachedFrom: r1.id });
    expect(train2.outputs.model!.path).toBe(path.join(root, 'work', 'conc', r1.id, 'train', 'model'));
    expect(r2.steps.find((s) => s.name === 'register')!.status).toBe('ok');
    const v = new LocalRegistry(path.join(root, 'registry')).version('conc', 1);
    expect(v).toMatchObject({ runId: r1.id, registeredBy: r2.id });
  }, 30_000);
});

describe('one model directory written and read by several processes at once', () => {
  test('3 writers × 15 replacements of one --out while 2 readers load it in a loop: every load succeeds, the end state is one whole model and no leftovers', async () => {
    const dist = path.join(IMAGE_DIR, 'dist', 'src', 'artifacts', 'modeldir.js');
    expect(fs.existsSync(dist)).toBe(true); // `npm test` builds dist first
    const dir = path.join(tmp, 'shared');
    fs.mkdirSync(dir, { recursive: true });
    const out = path.join(dir, 'model');
    const stopFile = path.join(dir, 'stop');
    const spawnNode = (script: string): Promise<{ code: number | null; out: string; err: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        let o = '',
          e = '';
        child.stdout!.on('data', (d: Buffer) => (o += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (e += d.toString()));
        child.on('exit', (code) => resolve({ code, out: o, err: e }));
      });
    const writer = (w: number): string => `const { writeModelDir } = require(${JSON.stringify(dist)});
      for (let i = 0; i < 15; i++) writeModelDir(${JSON.stringify(out)}, { model: 'linear', estimator: 'LinearRegression', task: 'regression', target: 'y',
        modelJson: { w: ${w}, i, pad: 'x'.repeat(20000) }, transforms: { w: ${w} }, metrics: { w: ${w}, i }, featureImportance: {}, fingerprint: { sha256: 'x', rows: 1, cols: 1 } });`;
    const reader = `const fs = require('fs'); const { readModelDir } = require(${JSON.stringify(dist)});
      let n = 0; const errors = [];
      while (!fs.existsSync(${JSON.stringify(stopFile)})) { try { const m = readModelDir(${JSON.stringify(out)}); if (m.model.state.w !== m.transforms.w) errors.push('mixed models'); n++; } catch (e) { errors.push(e.message); } }
      console.log(JSON.stringify({ n, errors: errors.slice(0, 5), count: errors.length }));`;
    spawnSync(process.execPath, ['-e', writer(0).replace('i < 15', 'i < 1')]);
    const readers = [spawnNode(reader), spawnNode(reader)];
    const writers = await Promise.all([1, 2, 3].map((w) => spawnNode(writer(w))));
    fs.writeFileSync(stopFile, '');
    for (const w of writers) expect({ code: w.code, err: w.err }).toEqual({ code: 0, err: '' });
    for (const r of await Promise.all(readers)) {
      expect(r.code).toBe(0);
      const res = JSON.parse(r.out) as { n: number; errors: string[]; count: number };
      expect(res.errors).toEqual([]);
      expect(res.n).toBeGreaterThan(0);
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['model', 'stop']);
  }, 60_000);
});
