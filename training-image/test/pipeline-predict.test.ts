/**
 * The `predict` step kind (the batch scoring job's command): a model and a
 * CSV file or a folder of them in, one predictions CSV per input file out,
 * with the columns `mlops predict` writes; all or nothing; errors naming the
 * file, the column, the value and the fix. In process (runStep, runPipeline)
 * and through the built CLI (`mlops pipeline step --uses predict`).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileBatch } from '../src/core/atomic';
import { runPipeline } from '../src/pipeline/runner';
import { runStep, StepRunResult } from '../src/pipeline/single';

const bin = path.join(__dirname, '..', 'bin', 'mlops.js');
const built = fs.existsSync(path.join(__dirname, '..', 'dist', 'src', 'pipeline', 'single.js'));
if (!built) console.log('pipeline-predict CLI tests skipped: dist/ not built (run `npm run build`).');
const t = built ? test : test.skip;

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-predict-'));
}

/** A regression table: y = 3·x1 − 2·x2 (+4 for red) + noise; `id` is never a feature. */
function regression(n: number, seed: number, withTarget = true): string {
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows = [withTarget ? 'id,x1,x2,color,y' : 'id,x1,x2,color'];
  for (let i = 0; i < n; i++) {
    const x1 = +(rnd() * 10).toFixed(3),
      x2 = +(rnd() * 5).toFixed(3);
    const color = ['red', 'blue', 'green'][i % 3]!;
    const y = 3 * x1 - 2 * x2 + (color === 'red' ? 4 : 0) + (rnd() - 0.5);
    rows.push(`r${seed}-${i},${x1},${x2},${color}${withTarget ? `,${y.toFixed(3)}` : ''}`);
  }
  return rows.join('\n') + '\n';
}

function classification(n: number): string {
  const rows = ['id,x,label'];
  for (let i = 0; i < n; i++) rows.push(`c${i},${i % 20},${i % 20 < 10 ? 'low' : 'high'}`);
  return rows.join('\n') + '\n';
}

async function ok(r: Promise<StepRunResult>): Promise<Extract<StepRunResult, { ok: true }>> {
  const got = await r;
  if (!got.ok) throw new Error(`step failed: ${JSON.stringify(got.error)}`);
  return got;
}

async function trainIn(dir: string, csv: string, params: Record<string, unknown>, out = 'model'): Promise<string> {
  fs.writeFileSync(path.join(dir, 'train.csv'), csv);
  await ok(runStep({ uses: 'train', inputs: { data: 'train.csv' }, params, outputs: { model: out }, cwd: dir }));
  return path.join(dir, out);
}

const REG = { target: 'y', model: 'linear', features: { exclude: ['id'] } };

function batchFolder(dir: string, name = 'batch'): string {
  const b = path.join(dir, name);
  fs.mkdirSync(b, { recursive: true });
  fs.writeFileSync(path.join(b, 'b.csv'), regression(7, 2, false));
  fs.writeFileSync(path.join(b, 'a.csv'), regression(4, 3, false));
  fs.writeFileSync(path.join(b, 'notes.txt'), 'not data');
  fs.mkdirSync(path.join(b, 'sub'));
  fs.writeFileSync(path.join(b, 'sub', 'c.csv'), regression(2, 4, false));
  return b;
}

function mlops(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string; json: Record<string, any> | null } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MLOPS_HOME: path.join(cwd, '.mlops'), ...env } });
  let json: Record<string, any> | null = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  return { code: r.status, out: r.stdout, err: r.stderr, json };
}

describe('predict step (in process)', () => {
  test('a folder: every *.csv directly in it, sorted; one predictions CSV per input, named as the input; keep columns first', async () => {
    const dir = tmp();
    await trainIn(dir, regression(120, 1), REG);
    batchFolder(dir);
    const logs: string[] = [];
    const r = await ok(
      runStep({ uses: 'predict', inputs: { model: 'model', data: 'batch' }, params: { keep: ['id'] }, outputs: { predictions: 'out' }, cwd: dir, log: (l) => logs.push(l) }),
    );
    expect(r.metrics).toEqual({ files: 2, rows: 11 });
    expect(r.outputs).toEqual({ predictions: path.join(dir, 'out') });
    expect(fs.readdirSync(path.join(dir, 'out')).sort()).toEqual(['a.csv', 'b.csv']); // not notes.txt, not sub/c.csv, no temporary files left
    expect(logs.filter((l) => /\.csv: \d+ rows/.test(l)).map((l) => l.trim())).toEqual(['a.csv: 4 rows', 'b.csv: 7 rows']); // sorted by name
    const a = fs
      .readFileSync(path.join(dir, 'out', 'a.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(a[0]).toBe('id,prediction');
    expect(a).toHaveLength(5);
    expect(a.slice(1).map((l) => l.split(',')[0])).toEqual(['r3-0', 'r3-1', 'r3-2', 'r3-3']);
  });

  t('the predictions are byte for byte what `mlops predict` writes for each file (regression and classification)', async () => {
    const dir = tmp();
    await trainIn(dir, regression(120, 1), REG);
    batchFolder(dir);
    await ok(runStep({ uses: 'predict', inputs: { model: 'model', data: 'batch' }, params: { keep: ['id', 'color'] }, outputs: { predictions: 'out' }, cwd: dir }));
    for (const f of ['a.csv', 'b.csv']) {
      const cli = mlops(dir, ['predict', '--model', 'model', '--data', `batch/${f}`, '--out', `cli-${f}`, '--keep', 'id,color']);
      expect(cli.code).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'out', f), 'utf8')).toBe(fs.readFileSync(path.join(dir, `cli-${f}`), 'utf8'));
    }
    const cdir = tmp();
    await trainIn(cdir, classification(80), { target: 'label', model: 'logistic', features: { exclude: ['id'] } });
    fs.writeFileSync(path.join(cdir, 'new.csv'), 'id,x\nn1,3\nn2,17\n');
    await ok(runStep({ uses: 'predict', inputs: { model: 'model', data: 'new.csv' }, outputs: { predictions: 'p' }, cwd: cdir }));
    const cli = mlops(cdir, ['predict', '--model', 'model', '--data', 'new.csv', '--out', 'cli.csv']);
    expect(cli.code).toBe(0);
    const got = fs.readFileSync(path.join(cdir, 'p', 'new.csv'), 'utf8');
    expect(got).toBe(fs.readFileSync(path.join(cdir, 'cli.csv'), 'utf8'));
    expect(got.split('\n')[0]).toBe('prediction,probability_high,probability_low');
    expect(
      got
        .split('\n')
        .slice(1, 3)
        .map((l) => l.split(',')[0]),
    ).toEqual(['low', 'high']);
  });

  test('one CSV file: predictions/<its name>', async () => {
    const dir = tmp();
    await trainIn(dir, regression(120, 1), REG);
    fs.writeFileSync(path.join(dir, 'today.csv'), regression(3, 9, false));
    const r = await ok(runStep({ uses: 'predict', inputs: { model: 'model', data: 'today.csv' }, cwd: dir, work: 'w' }));
    expect(r.outputs.predictions).toBe(path.join(dir, 'w', 'predictions')); // the default output under --work
    expect(fs.readdirSync(path.join(dir, 'w', 'predictions'))).toEqual(['today.csv']);
  });

  test('bad data in the second file: the file, column, value and fix named; nothing written, not even the folder', async () => {
    const dir = tmp();
    await trainIn(dir, regression(120, 1), REG);
    const b = batchFolder(dir);
    fs.writeFileSync(path.join(b, 'b.csv'), 'id,x1,x2,color\nq1,1,2,red\nq2,1.5,abc,blue\nq3,zz,1,red\n');
    const r = await runStep({ uses: 'predict', name: 'score-batch', inputs: { model: 'model', data: 'batch' }, outputs: { predictions: 'out' }, cwd: dir });
    expect(r).toMatchObject({ ok: false, error: { code: 'DATA_INVALID', path: '--inputs.data' } });
    const msg = (r as Extract<StepRunResult, { ok: false }>).error.message;
    expect(msg).toContain(`${path.join(b, 'b.csv')} cannot be scored: cells do not read as the type the model was trained with`);
    expect(msg).toContain(`row 2, column 'x2': "abc" is not a number`);
    expect(msg).toContain(`row 3, column 'x1': "zz" is not a number`);
    expect(msg).toContain(`Fix: correct those cells in ${path.join(b, 'b.csv')}`);
    expect(msg).toContain(`Nothing was written to ${path.join(dir, 'out')}.`);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false); // a.csv scored fine, but is not left alone

    fs.writeFileSync(path.join(b, 'b.csv'), 'id,x1,color\nq1,1,red\n');
    fs.mkdirSync(path.join(dir, 'kept'));
    fs.writeFileSync(path.join(dir, 'kept', 'a.csv'), 'earlier predictions\n');
    const m = await runStep({ uses: 'predict', inputs: { model: 'model', data: 'batch' }, outputs: { predictions: 'kept' }, cwd: dir });
    expect(m).toMatchObject({ ok: false, error: { code: 'DATA_INVALID', path: '--inputs.data' } });
    expect((m as Extract<StepRunResult, { ok: false }>).error.message).toContain(
      `${path.join(b, 'b.csv')} has no column 'x2', which the model in '${path.join(dir, 'model')}' reads (it reads x1, x2, color; the data has id, x1, color). Fix: add the column to the data`,
    );
    expect(fs.readdirSync(path.join(dir, 'kept'))).toEqual(['a.csv']); // no temporary file left, the earlier file untouched
    expect(fs.readFileSync(path.join(dir, 'kept', 'a.csv'), 'utf8')).toBe('earlier predictions\n');
  });

  test('a folder without CSV, an output that would change an input, a bad keep, a forecast model: each refused with the fix', async () => {
    const dir = tmp();
    await trainIn(dir, regression(120, 1), REG);
    batchFolder(dir);
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.writeFileSync(path.join(dir, 'empty', 'readme.md'), 'x');
    const run = (o: Record<string, unknown>) => runStep({ uses: 'predict', cwd: dir, ...o }) as Promise<Extract<StepRunResult, { ok: false }>>;
    const empty = await run({ inputs: { model: 'model', data: 'empty' } });
    expect(empty.error).toMatchObject({ code: 'BAD_INPUT', path: '--inputs.data' });
    expect(empty.error.message).toBe(
      `input 'data' of step 'predict' is the folder ${path.join(dir, 'empty')}, which holds no CSV file (*.csv) to score (it holds readme.md; files in subfolders are not read). Fix: put the CSV files to score directly in ${path.join(dir, 'empty')}, or give the path of one CSV file.`,
    );
    const same = await run({ inputs: { model: 'model', data: 'batch' }, outputs: { predictions: 'batch' } });
    expect(same.error).toMatchObject({ code: 'BAD_OUTPUT', path: '--outputs.predictions', message: expect.stringContaining('is the data folder itself') });
    expect(same.error.message).toContain(`Fix: write the predictions to a folder outside it, e.g. ${path.join(dir, 'batch')}-predictions.`);
    const inside = await run({ inputs: { model: 'model', data: 'batch' }, outputs: { predictions: 'batch/p' } });
    expect(inside.error).toMatchObject({ code: 'BAD_OUTPUT', message: expect.stringContaining('is inside the data folder') });
    const holds = await run({ inputs: { model: 'model', data: 'batch/a.csv' }, outputs: { predictions: 'batch' } });
    expect(holds.error).toMatchObject({ code: 'BAD_OUTPUT', message: expect.stringContaining(`holds the data file ${path.join(dir, 'batch', 'a.csv')}`) });
    const inModel = await run({ inputs: { model: 'model', data: 'batch' }, outputs: { predictions: 'model/p' } });
    expect(inModel.error).toMatchObject({ code: 'BAD_OUTPUT', message: expect.stringContaining('is inside the model directory') });
    fs.writeFileSync(path.join(dir, 'afile'), 'x');
    const file = await run({ inputs: { model: 'model', data: 'batch' }, outputs: { predictions: 'afile' } });
    expect(file.error).toMatchObject({ code: 'BAD_OUTPUT', message: expect.stringContaining('an existing file; predictions are a folder') });
    const keep = await run({ inputs: { model: 'model', data: 'batch' }, params: { keep: 'id' } });
    expect(keep.error).toMatchObject({ code: 'BAD_PARAM', path: '--params.keep', message: expect.stringContaining('must be a list of input column names') });
    const nokeep = await run({ inputs: { model: 'model', data: 'batch' }, params: { keep: ['id', 'nope'] } });
    expect(nokeep.error).toMatchObject({ code: 'DATA_INVALID', message: expect.stringContaining(`a.csv has no column 'nope' to keep (params.keep of step 'predict')`) });
    const noData = await run({ inputs: { model: 'model' } });
    expect(noData.error).toMatchObject({ code: 'BAD_INPUT', path: '--inputs.data' });

    const fdir = tmp();
    const rows = ['date,load'];
    for (let d = 0; d < 60; d++) rows.push(`${new Date(Date.UTC(2022, 0, 1) + d * 86400e3).toISOString().slice(0, 10)},${10 + d * 0.1}`);
    fs.writeFileSync(path.join(fdir, 'series.csv'), rows.join('\n') + '\n');
    await ok(
      runStep({
        uses: 'forecast',
        inputs: { data: 'series.csv' },
        params: { time: 'date', value: 'load', forecaster: { uncertaintySamples: 50, seasonalities: { yearly: 0, daily: 0 } } },
        outputs: { model: 'fm' },
        cwd: fdir,
      }),
    );
    const fc = await runStep({ uses: 'predict', inputs: { model: 'fm', data: 'series.csv' }, cwd: fdir });
    expect(fc).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', path: '--inputs.model', message: expect.stringContaining('holds a forecast model (task forecast)') } });
  });

  test('in a pipeline run: cached while the model and the data folder are unchanged, run again when a file changes', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'train.csv'), regression(120, 1));
    batchFolder(dir);
    const file = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(
      file,
      `name: batch-demo
inputs: { data: train.csv, batch: batch }
steps:
  - name: train
    uses: train
    inputs: { data: "\${inputs.data}" }
    params: { target: y, model: linear, features: { exclude: [id] } }
  - name: score-batch
    uses: predict
    inputs: { model: "\${steps.train.outputs.model}", data: "\${inputs.batch}" }
    params: { keep: [id] }
`,
    );
    const root = path.join(dir, '.mlops');
    const first = await runPipeline(file, { root });
    expect(first.ok).toBe(true);
    const out = first.outputs['score-batch']!.predictions!;
    expect(fs.readdirSync(out).sort()).toEqual(['a.csv', 'b.csv']);
    expect(first.run.steps.find((s) => s.name === 'score-batch')).toMatchObject({ status: 'ok', metrics: { files: 2, rows: 11 } });
    const second = await runPipeline(file, { root });
    expect(second.run.steps.map((s) => s.status)).toEqual(['skipped', 'skipped']);
    expect(second.outputs['score-batch']!.predictions).toBe(out);
    fs.writeFileSync(path.join(dir, 'batch', 'c.csv'), regression(2, 5, false));
    const third = await runPipeline(file, { root });
    expect(third.run.steps.map((s) => s.status)).toEqual(['skipped', 'ok']);
    expect(fs.readdirSync(third.outputs['score-batch']!.predictions!).sort()).toEqual(['a.csv', 'b.csv', 'c.csv']);
  });
});

describe('FileBatch: all or nothing', () => {
  test('commit places every staged file; abort leaves nothing; a failed rename takes back what was placed', () => {
    const dir = tmp();
    const b = new FileBatch();
    b.stage(path.join(dir, 'x.csv'), 'x\n');
    b.stage(path.join(dir, 'y.csv'), 'y\n');
    expect(fs.readdirSync(dir).every((n) => n.startsWith('.') && n.includes('.tmp-'))).toBe(true);
    b.commit('test');
    expect(fs.readdirSync(dir).sort()).toEqual(['x.csv', 'y.csv']);
    const a = new FileBatch();
    a.stage(path.join(dir, 'z.csv'), 'z\n');
    a.abort();
    expect(fs.readdirSync(dir).sort()).toEqual(['x.csv', 'y.csv']);
    const f = new FileBatch();
    f.stage(path.join(dir, 'p.csv'), 'p\n');
    f.stage(path.join(dir, 'blocked'), 'q\n');
    fs.mkdirSync(path.join(dir, 'blocked'));
    fs.writeFileSync(path.join(dir, 'blocked', 'keep'), '');
    expect(() => f.commit('test')).toThrow();
    expect(fs.readdirSync(dir).sort()).toEqual(['blocked', 'x.csv', 'y.csv']); // p.csv was placed, then taken back; no temporary file left
  });
});

describe('mlops pipeline step --uses predict (built CLI)', () => {
  t('a models:/ model read under --root; the JSON result names the folder; a bad data file is exit 1 with the file and the fix', async () => {
    const dir = tmp();
    await trainIn(dir, regression(120, 1), REG);
    const root = path.join(dir, 'registry-root');
    const { LocalRegistry } = await import('../src/registry/registry');
    const reg = new LocalRegistry(path.join(root, 'registry'));
    const v = reg.register('demand', path.join(dir, 'model')).version.version;
    reg.promote('demand', v, 'test');
    batchFolder(dir);
    const r = mlops(dir, [
      'pipeline',
      'step',
      '--uses',
      'predict',
      '--name',
      'batch',
      '--model',
      'demand',
      '--inputs',
      JSON.stringify({ model: 'models:/demand@champion', data: 'batch' }),
      '--params',
      '{"keep":["id"]}',
      '--outputs',
      JSON.stringify({ predictions: 'preds' }),
      '--root',
      root,
    ]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, uses: 'predict', step: 'batch', metrics: { files: 2, rows: 11 }, outputs: { predictions: path.join(dir, 'preds') } });
    expect(fs.readdirSync(path.join(dir, 'preds')).sort()).toEqual(['a.csv', 'b.csv']);
    fs.writeFileSync(path.join(dir, 'batch', 'b.csv'), 'id,x1,x2,color\nq1,1,abc,red\n');
    const bad = mlops(dir, ['pipeline', 'step', '--uses', 'predict', '--inputs', JSON.stringify({ model: 'model', data: 'batch' }), '--outputs', '{"predictions":"p2"}']);
    expect(bad.code).toBe(1);
    expect(bad.json!.error).toMatchObject({ code: 'DATA_INVALID', path: '--inputs.data' });
    expect(bad.err).toContain(`row 1, column 'x2': "abc" is not a number`);
    expect(fs.existsSync(path.join(dir, 'p2'))).toBe(false);
    const noChampion = mlops(dir, ['pipeline', 'step', '--uses', 'predict', '--inputs', JSON.stringify({ model: 'models:/other@champion', data: 'batch' }), '--root', root]);
    expect(noChampion.code).toBe(1);
    expect(noChampion.json!.error).toMatchObject({ code: 'BAD_INPUT', path: '--inputs.model', message: expect.stringContaining("model 'other' is not in the registry") });
  });

  t('mlops predict names the file, the column and the value of a cell the model cannot read', async () => {
    const dir = tmp();
    await trainIn(dir, regression(120, 1), REG);
    fs.writeFileSync(path.join(dir, 'new.csv'), 'id,x1,x2,color\nq1,1,2,red\nq2,oops,1,blue\n');
    const r = mlops(dir, ['predict', '--model', 'model', '--data', 'new.csv', '--out', 'p.csv']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('new.csv cannot be scored: a cell does not read as the type the model was trained with');
    expect(r.err).toContain(`row 2, column 'x1': "oops" is not a number`);
    expect(fs.existsSync(path.join(dir, 'p.csv'))).toBe(false);
  });
});

describe('predict stopped (SIGTERM) with its files staged, none placed', () => {
  t('exit 143; the predictions folder holds neither a predictions file nor a temporary one', async () => {
    const dir = tmp();
    await trainIn(dir, regression(120, 1), REG);
    batchFolder(dir);
    const { spawn } = await import('child_process');
    const child = spawn(
      process.execPath,
      [bin, 'pipeline', 'step', '--uses', 'predict', '--inputs', JSON.stringify({ model: 'model', data: 'batch' }), '--outputs', '{"predictions":"out"}'],
      { cwd: dir, env: { ...process.env, MLOPS_TEST_PAUSE_AT: 'predict-staged:60000' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const ended = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (err.includes('MLOPS_TEST_PAUSED predict-staged')) {
          clearInterval(check);
          resolve();
        } else if (child.exitCode !== null) {
          clearInterval(check);
          reject(new Error(`ended before staging:\n${err}`));
        }
      }, 20);
    });
    // Staged: the two temporary files exist, no predictions file yet.
    expect(fs.readdirSync(path.join(dir, 'out')).sort()).toEqual([expect.stringMatching(/^\.a\.csv\.tmp-/), expect.stringMatching(/^\.b\.csv\.tmp-/)]);
    child.kill('SIGTERM');
    expect(await ended).toBe(143);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual([]);
  });
});
