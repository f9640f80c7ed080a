import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { Io } from '../src/core/io';
import { Rng } from '../src/core/random';
import { TrainedModel } from '../src/models/model';
import { parseCsv, toFrame } from '../src/data';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const p = (f: string): string => path.join(tmp, f);

/** Runs the CLI in-process, capturing stdout/stderr. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  const io: Io = { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') };
  const code = await main(argv, io);
  return { code, out, err };
}

// Synthetic data: y = 3a − 2b + (c == 'z' ? 5 : 0) + noise; label = y > median.
const rng = new Rng(11);
const lines = ['id,a,b,c,when,y,label'];
for (let i = 0; i < 300; i++) {
  const a = rng.normal(),
    b = rng.normal(),
    c = ['x', 'y', 'z'][rng.int(3)]!;
  const y = 3 * a - 2 * b + (c === 'z' ? 5 : 0) + 0.3 * rng.normal();
  const when = new Date(Date.UTC(2024, 0, 1) + i * 3600e3).toISOString().slice(0, 19).replace('T', ' ');
  lines.push(`${i},${a.toFixed(4)},${i === 5 ? '' : b.toFixed(4)},${c},${when},${y.toFixed(4)},${y > 1.5 ? 'high' : 'low'}`);
}
fs.writeFileSync(p('train.csv'), lines.join('\n') + '\n');
fs.writeFileSync(p('score.csv'), ['id,a,b,c,when', '1000,0.5,-1,z,2024-02-01 00:00:00', '1001,0,0,w,2024-02-01 01:00:00'].join('\n') + '\n');
fs.writeFileSync(
  p('contract.yaml'),
  `columns:
  - { name: id, type: integer, nullable: false }
  - { name: a, type: number, min: -10, max: 10 }
  - { name: b, type: number }
  - { name: c, type: category, allowed: [x, y, z] }
  - { name: when, type: datetime }
  - { name: y, type: number }
  - { name: label, type: category, allowed: [high, low] }
target: y
time: when
`,
);
fs.writeFileSync(p('bad.csv'), ['id,a,b,c,when,y,label', '1,99,0,q,2024-01-01,1,high', ',1,0,x,nope,1,low'].join('\n') + '\n');

describe('mlops CLI', () => {
  test('--help for the tool and every command', async () => {
    expect((await run('--help')).out).toContain('Commands:');
    for (const c of ['validate', 'train', 'evaluate', 'predict', 'forecast']) {
      const r = await run(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: mlops ${c}`);
    }
    expect((await run()).code).toBe(2);
    expect((await run('frobnicate')).err).toContain('unknown command "frobnicate"');
  });

  test('usage errors exit 2 naming the option', async () => {
    const r = await run('train', '--data', p('train.csv'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('missing required option --out');
    expect((await run('train', '--data', p('train.csv'), '--out', p('x'), '--target', 'y', '--seed', 'abc')).err).toContain('--seed must be an integer ≥ 0');
    expect((await run('train', '--data', p('train.csv'), '--out', p('x'), '--target', 'y', '--model', 'svm')).err).toContain(
      '--model must be one of linear, logistic, random-forest, gbdt, auto',
    );
    expect((await run('validate', '--bogus')).err).toContain("Unknown option '--bogus'");
  });

  test('validate: ok exits 0; violations exit 1 with every violation and write nothing', async () => {
    const ok = await run('validate', '--data', p('train.csv'), '--contract', p('contract.yaml'));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('OK');
    const before = fs.readdirSync(tmp).sort();
    const bad = await run('validate', '--data', p('bad.csv'), '--contract', p('contract.yaml'), '--json');
    expect(bad.code).toBe(1);
    const rep = JSON.parse(bad.out);
    expect(rep.violations.map((v: { code: string; row: number; column: string }) => `${v.code}@${v.row}:${v.column}`).sort()).toEqual(
      ['NULL_VALUE@2:id', 'OUT_OF_RANGE@1:a', 'UNKNOWN_CATEGORY@1:c', 'WRONG_TYPE@2:when'].sort(),
    );
    expect(fs.readdirSync(tmp).sort()).toEqual(before);
    expect((await run('validate', '--data', p('missing.csv'), '--contract', p('contract.yaml'))).err).toContain('Cannot read data file');
  });

  test('train (linear) → predict → evaluate; reload gives bit-identical predictions', async () => {
    const r = await run('train', '--data', p('train.csv'), '--target', 'y', '--drop', 'id,label', '--model', 'linear', '--out', p('lin'), '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.task).toBe('regression');
    expect(res.metrics.holdout.r2).toBeGreaterThan(0.95);
    expect(r.err).toContain('fitting final linear');
    for (const f of ['manifest.json', 'model.json', 'transforms.json', 'metrics.json', 'feature_importance.json', 'fingerprint.json'])
      expect(fs.existsSync(path.join(p('lin'), f))).toBe(true);
    const fp = JSON.parse(fs.readFileSync(path.join(p('lin'), 'fingerprint.json'), 'utf8'));
    expect(fp).toMatchObject({ rows: 300, cols: 7 });
    expect(fp.sha256).toMatch(/^[0-9a-f]{64}$/);

    const pr = await run('predict', '--model', p('lin'), '--data', p('score.csv'), '--out', p('pred.csv'), '--keep', 'id');
    expect(pr.code).toBe(0);
    const out = parseCsv(fs.readFileSync(p('pred.csv'), 'utf8'));
    expect(out.header).toEqual(['id', 'prediction']);
    // 3(0.5) − 2(−1) + 5 = 8.5 for a 'z' row; unknown category 'w' is ignored (all-zero one-hot).
    expect(Number(out.columns[1]![0])).toBeCloseTo(8.5, 0);

    const { model } = TrainedModel.load(p('lin'));
    const frame = toFrame(parseCsv(fs.readFileSync(p('score.csv'), 'utf8')));
    expect(out.columns[1]!.map(Number)).toEqual(Array.from(model.predictFrame(frame).values!));

    const ev = await run('evaluate', '--model', p('lin'), '--data', p('train.csv'), '--out', p('eval.json'));
    expect(ev.code).toBe(0);
    expect(ev.out).toMatch(/rmse\s+0\.\d+/);
    expect(JSON.parse(fs.readFileSync(p('eval.json'), 'utf8')).metrics.r2).toBeGreaterThan(0.95);
  });

  test('train --importance and --no-refit skip the costs beyond the fit, and the summary notes it', async () => {
    const base = ['train', '--data', p('train.csv'), '--target', 'y', '--drop', 'id,label', '--model', 'gbdt', '--json'];
    const full = JSON.parse((await run(...base, '--out', p('full'))).out);
    expect(full.notes).toEqual([]);
    expect(full.metrics.trainRows).toBe(300);
    expect(full.timings).toMatchObject({
      holdout_ms: expect.any(Number),
      importance_ms: expect.any(Number),
      fit_ms: expect.any(Number),
      model_fit_ms: expect.any(Number),
      read_ms: expect.any(Number),
      write_ms: expect.any(Number),
    });
    const fast = await run(...base, '--importance', 'model', '--no-refit', '--out', p('fast'));
    expect(fast.code).toBe(0);
    const res = JSON.parse(fast.out);
    expect(res.notes).toHaveLength(2);
    expect(res.notes[0]).toMatch(/permutation importance skipped/);
    expect(res.notes[1]).toMatch(/not refitted .* the 240 training rows of the holdout split, not on all 300 rows/);
    expect(res.timings.importance_ms).toBeUndefined();
    expect(res.timings.model_fit_ms).toEqual(expect.any(Number));
    expect(res.metrics.trainRows).toBe(240);
    expect(res.metrics.notes).toEqual(res.notes);
    // Same holdout metrics as the full run (the same holdout fit), and the kept model is that fit: it scores them again.
    expect(res.metrics.holdout).toEqual(full.metrics.holdout);
    const imp = JSON.parse(fs.readFileSync(path.join(p('fast'), 'feature_importance.json'), 'utf8'));
    expect(imp.permutation).toBeNull();
    expect(imp.model).toHaveLength(imp.features.length);
    const text = await run('train', '--data', p('train.csv'), '--target', 'y', '--drop', 'id,label', '--model', 'gbdt', '--importance', 'none', '--out', p('none'));
    expect(text.out).toContain("Note: feature importance skipped (importance 'none')");
    expect(JSON.parse(fs.readFileSync(path.join(p('none'), 'feature_importance.json'), 'utf8'))).toMatchObject({ model: null, permutation: null });
    const bad = await run(...base, '--importance', 'shap', '--out', p('bad-imp'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--importance must be one of permutation, model, none; got "shap"');
    const none = await run(...base, '--no-refit', '--holdout', '0', '--out', p('bad-refit'));
    expect(none.code).toBe(2);
    expect(none.err).toContain('--no-refit keeps the model fitted on the training part of the holdout split, and --holdout 0 makes none');
  });

  test('train is deterministic for a seed (identical model.json)', async () => {
    await run('train', '--data', p('train.csv'), '--target', 'label', '--drop', 'id,y', '--model', 'logistic', '--seed', '5', '--out', p('d1'));
    await run('train', '--data', p('train.csv'), '--target', 'label', '--drop', 'id,y', '--model', 'logistic', '--seed', '5', '--out', p('d2'));
    const read = (d: string, f: string): string => fs.readFileSync(path.join(p(d), f), 'utf8');
    expect(read('d1', 'model.json')).toBe(read('d2', 'model.json'));
    expect(read('d1', 'transforms.json')).toBe(read('d2', 'transforms.json'));
    expect(read('d1', 'feature_importance.json')).toBe(read('d2', 'feature_importance.json'));
  });

  test('classification: prediction plus one probability column per class', async () => {
    const r = await run('train', '--data', p('train.csv'), '--target', 'label', '--drop', 'id,y', '--model', 'logistic', '--out', p('cls'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/roc_auc (1|0\.9\d+),/);
    await run('predict', '--model', p('cls'), '--data', p('score.csv'), '--out', p('cls.csv'));
    const out = parseCsv(fs.readFileSync(p('cls.csv'), 'utf8'));
    expect(out.header).toEqual(['prediction', 'probability_high', 'probability_low']);
    expect(out.columns[0]![0]).toBe('high');
    expect(Number(out.columns[1]![0]) + Number(out.columns[2]![0])).toBeCloseTo(1, 12);
  });

  test('train with a contract: a violation fails, writes nothing and keeps the existing model', async () => {
    const before = fs.readFileSync(path.join(p('lin'), 'model.json'), 'utf8');
    const r = await run('train', '--data', p('bad.csv'), '--contract', p('contract.yaml'), '--out', p('lin'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('UNKNOWN_CATEGORY');
    expect(r.err).toContain('nothing was written');
    expect(fs.readFileSync(path.join(p('lin'), 'model.json'), 'utf8')).toBe(before);
    const bad = await run('train', '--data', p('train.csv'), '--target', 'y', '--model', 'linear', '--params', 'alpha=-3', '--out', p('lin'));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("The 'alpha' parameter of Ridge must be a float ≥ 0. Got -3.");
    expect(fs.readFileSync(path.join(p('lin'), 'model.json'), 'utf8')).toBe(before);
    const ok = await run('train', '--data', p('train.csv'), '--contract', p('contract.yaml'), '--drop', 'id,label', '--model', 'linear', '--out', p('withc'));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('time-ordered');
    expect(fs.readFileSync(path.join(p('withc'), 'contract.yaml'), 'utf8')).toContain('target: y');
  });

  test('errors name the problem: missing target column, corrupted model', async () => {
    const r = await run('train', '--data', p('train.csv'), '--target', 'nope', '--out', p('n'));
    expect(r.code).toBe(1);
    expect(r.err).toContain("Column 'nope' is not in the data");
    fs.cpSync(p('lin'), p('broken'), { recursive: true });
    fs.appendFileSync(path.join(p('broken'), 'transforms.json'), '\n');
    const e = await run('predict', '--model', p('broken'), '--data', p('score.csv'), '--out', p('x.csv'));
    expect(e.code).toBe(1);
    expect(e.err).toContain('has a corrupted transforms.json');
  });

  test('--tune runs a seeded search with one progress line per trial', async () => {
    const r = await run('train', '--data', p('train.csv'), '--target', 'y', '--drop', 'id,label', '--model', 'linear', '--tune', '4', '--search', 'random', '--out', p('tuned'));
    expect(r.code).toBe(0);
    expect(r.err.match(/^trial \d\/4 rmse=/gm)).toHaveLength(4);
    expect(JSON.parse(fs.readFileSync(path.join(p('tuned'), 'tuning.json'), 'utf8')).trials).toHaveLength(4);
  });

  test('forecast --json reports threshold crossing dates and the backtest', async () => {
    const rows = ['day,v'];
    for (let i = 0; i < 120; i++) rows.push(`${new Date(Date.UTC(2024, 0, 1) + i * 86400e3).toISOString().slice(0, 10)},${(10 + 0.5 * i + Math.sin(i)).toFixed(3)}`);
    fs.writeFileSync(p('series.csv'), rows.join('\n') + '\n');
    const r = await run('forecast', '--data', p('series.csv'), '--time', 'day', '--value', 'v', '--threshold', '80', '--horizon', '60', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.threshold).toBe(80);
    expect(j.crossing.date).toMatch(/^2024-0[45]-/);
    expect(j.backtest.rmse).toBeGreaterThanOrEqual(0);
    const never = JSON.parse((await run('forecast', '--data', p('series.csv'), '--time', 'day', '--value', 'v', '--threshold', '1e6', '--horizon', '10', '--json')).out);
    expect(never.crossing).toBeNull();
    const text = await run('forecast', '--data', p('series.csv'), '--time', 'day', '--value', 'nope');
    expect(text.code).toBe(1);
    expect(text.err).toContain("value column 'nope' is not in the header");
  });

  const treesAvailable = ((): boolean => {
    try {
      require('../src/trees');
      return true;
    } catch {
      return false;
    }
  })();
  (treesAvailable ? test : test.skip)('train gbdt / random-forest / auto end to end (tree models)', async () => {
    for (const model of ['gbdt', 'random-forest']) {
      const r = await run(
        'train',
        '--data',
        p('train.csv'),
        '--target',
        'y',
        '--drop',
        'id,label',
        '--model',
        model,
        '--params',
        model === 'gbdt' ? 'maxIter=30' : 'nEstimators=10',
        '--out',
        p(model),
      );
      expect(r.code).toBe(0);
      const { model: m } = TrainedModel.load(p(model));
      const pr = await run('predict', '--model', p(model), '--data', p('score.csv'), '--out', p(`${model}.csv`));
      expect(pr.code).toBe(0);
      const frame = toFrame(parseCsv(fs.readFileSync(p('score.csv'), 'utf8')));
      expect(parseCsv(fs.readFileSync(p(`${model}.csv`), 'utf8')).columns[0]!.map(Number)).toEqual(Array.from(m.predictFrame(frame).values!));
    }
    const auto = await run('train', '--data', p('train.csv'), '--target', 'label', '--drop', 'id,y', '--out', p('auto'), '--json');
    expect(auto.code).toBe(0);
    expect(auto.err).toContain('auto: chose');
  });
});

describe('bin/mlops.js (built)', () => {
  const bin = path.join(__dirname, '..', 'bin', 'mlops.js');
  const built = fs.existsSync(path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js'));
  (built ? test : test.skip)('runs as a process with exit codes (needs `npm run build`)', () => {
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const help = spawnSync(process.execPath, [bin, 'validate', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: mlops validate');
    const bad = spawnSync(process.execPath, [bin, 'validate', '--data', p('bad.csv'), '--contract', p('contract.yaml')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('FAILED');
  });
  if (!built) console.log('bin/mlops.js test skipped: dist/ not built (run `npm run build -w training-image`).');
});

describe('mlops release (dispatch to @cdktf-mlops/release)', () => {
  const bin = path.join(__dirname, '..', 'bin', 'mlops.js');
  const built = fs.existsSync(path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js')) && fs.existsSync(path.join(__dirname, '..', '..', 'release', 'dist', 'src', 'cli.js'));
  (built ? test : test.skip)('runs the release command of the workspace package (needs the root `npm run build`)', () => {
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const env = { ...process.env };
    delete env.MLOPS_RELEASE_SPEC;
    const help = spawnSync(process.execPath, [bin, 'release', '--help'], { encoding: 'utf8', env });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: mlops release <apply|destroy|start|promote>');
    const missing = spawnSync(process.execPath, [bin, 'release', 'apply'], { encoding: 'utf8', env });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('MLOPS_RELEASE_SPEC is not set');
    const bad = spawnSync(process.execPath, [bin, 'release', 'apply'], { encoding: 'utf8', env: { ...env, MLOPS_RELEASE_SPEC: '{"specVersion":1}' } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/\[RELEASE_SPEC_INVALID\] kind/);
  });
  if (!built) console.log('mlops release test skipped: run the root `npm run build` first.');
});
