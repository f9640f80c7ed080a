/**
 * Vertex AI training contract against a loopback Cloud Storage emulator
 * (gcs-emulator.ts: a real HTTP server on 127.0.0.1 answering the JSON API
 * calls of Google's official client). No outside host is contacted.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelDir } from '../src/artifacts/modeldir';
import { trainLocalCommand } from '../src/cli/train';
import { Io } from '../src/core/io';
import { Rng } from '../src/core/random';
import { ContractError, downloadGs, gcsClient, globToRegExp, parseGsUri, runTrainContract } from '../src/contracts';
import { GcsEmulator } from './gcs-emulator';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-vertex-'));
const gcs = new GcsEmulator();
beforeAll(() => gcs.start());
afterAll(async () => {
  await gcs.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function capture(): { io: Io; out: () => string; err: () => string } {
  let out = '',
    err = '';
  return { io: { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') }, out: () => out, err: () => err };
}

function csvRows(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.normal(),
      b = rng.normal();
    rows.push(`${a.toFixed(4)},${b.toFixed(4)},${(2 * a - b + 0.1 * rng.normal()).toFixed(4)}`);
  }
  return rows;
}

describe('Vertex AI training contract (gs:// through a loopback GCS emulator)', () => {
  const env = (): NodeJS.ProcessEnv => ({ MLOPS_GCS_ENDPOINT: `http://127.0.0.1:${gcs.port}`, CLOUD_ML_PROJECT_ID: 'test-project' });

  test('GIVEN AIP_TRAINING_DATA_URI as a file pattern and AIP_MODEL_DIR on gs:// WHEN training THEN the shards are joined and the model is uploaded, manifest last', async () => {
    // Vertex AI exports a managed CSV dataset as shards, each with a header line.
    gcs.put('data-bkt', 'exports/training-00000-of-00002.csv', ['a,b,y', ...csvRows(120, 1)].join('\n') + '\n');
    gcs.put('data-bkt', 'exports/training-00001-of-00002.csv', ['a,b,y', ...csvRows(120, 2)].join('\n') + '\n');
    gcs.put('data-bkt', 'exports/validation-00000-of-00001.csv', ['a,b,y', ...csvRows(60, 3)].join('\n') + '\n');
    gcs.put('data-bkt', 'exports/test-00000-of-00001.csv', 'x\n1\n');
    const c = capture();
    const code = await runTrainContract(['--model=linear', '--alpha=0.5'], c.io, {
      trainLocal: trainLocalCommand,
      env: {
        ...env(),
        AIP_DATA_FORMAT: 'csv',
        AIP_TRAINING_DATA_URI: 'gs://data-bkt/exports/training-*',
        AIP_VALIDATION_DATA_URI: 'gs://data-bkt/exports/validation-*',
        AIP_MODEL_DIR: 'gs://model-bkt/runs/7/model/',
        MLOPS_TARGET: 'y',
      },
    });
    expect(c.err()).toContain('training contract: vertex (AIP_MODEL_DIR is set)');
    expect(code).toBe(0);
    expect(c.err()).toContain('train: downloaded 2 object(s) from gs://data-bkt/exports/training-*');
    expect(c.err()).toMatch(/train: joined 2 files/);
    const uploads = gcs.log.filter((l) => l.startsWith('POST /upload/storage/v1/b/model-bkt/o?'));
    expect(uploads.length).toBeGreaterThanOrEqual(7);
    const names = [...gcs.buckets.get('model-bkt')!.keys()];
    expect(names).toEqual(expect.arrayContaining(['runs/7/model/manifest.json', 'runs/7/model/model.json', 'runs/7/model/evaluation.json']));
    // The manifest is the last object written.
    const last = [...gcs.buckets.get('model-bkt')!.entries()].sort((a, b) => b[1].generation - a[1].generation)[0]![0];
    expect(last).toBe('runs/7/model/manifest.json');
    // What landed in the bucket is a valid, verified model directory (Ridge, because alpha was given).
    const back = path.join(tmp, 'back');
    await downloadGs(gcsClient(env()), 'gs://model-bkt/runs/7/model/', back, 'test');
    const dir = readModelDir(back);
    expect(dir.manifest.estimator).toBe('Ridge');
    expect((dir.metrics as { params: { alpha: number } }).params.alpha).toBe(0.5);
    const evaluation = JSON.parse(fs.readFileSync(path.join(back, 'evaluation.json'), 'utf8')) as { rows: number; metrics: { r2: number } };
    expect(evaluation.rows).toBe(60);
    expect(evaluation.metrics.r2).toBeGreaterThan(0.9);
  });

  test('GIVEN a gs:// folder and a local AIP_MODEL_DIR (Cloud Storage FUSE) WHEN training THEN the folder is read and the model written locally', async () => {
    gcs.put('data-bkt', 'folder/part-a.csv', ['a,b,y', ...csvRows(100, 4)].join('\n') + '\n');
    const out = path.join(tmp, 'gcsfuse', 'model');
    const c = capture();
    const code = await runTrainContract(['--data', 'gs://data-bkt/folder', '--target', 'y', '--model', 'gbdt', '--max_iter', '20'], c.io, {
      trainLocal: trainLocalCommand,
      env: { ...env(), CLOUD_ML_JOB_ID: '123', AIP_MODEL_DIR: out },
    });
    expect(c.err()).toContain('training contract: vertex');
    expect(code).toBe(0);
    expect((readModelDir(out).metrics as { params: { maxIter: number } }).params.maxIter).toBe(20);
  });

  test('GIVEN a pattern that matches nothing WHEN training THEN NO_DATA_FILES names the URI', async () => {
    await expect(
      runTrainContract([], capture().io, {
        trainLocal: trainLocalCommand,
        env: { ...env(), AIP_TRAINING_DATA_URI: 'gs://data-bkt/nothing-*', AIP_MODEL_DIR: 'gs://model-bkt/x/', MLOPS_TARGET: 'y' },
      }),
    ).rejects.toMatchObject({ code: 'NO_DATA_FILES', message: expect.stringContaining('gs://data-bkt/nothing-*') });
  });

  test('GIVEN a jsonl managed dataset or no AIP_MODEL_DIR WHEN training THEN every problem is reported at once', async () => {
    const e = (await runTrainContract([], capture().io, { trainLocal: trainLocalCommand, env: { ...env(), AIP_DATA_FORMAT: 'jsonl', CLOUD_ML_JOB_ID: '1' } }).catch(
      (x: unknown) => x,
    )) as ContractError;
    expect(e).toBeInstanceOf(ContractError);
    expect(e.issues.map((i) => i.code)).toEqual(['BAD_SETTING', 'MISSING_DATA', 'MISSING_OUTPUT']);
    expect(e.message).toContain('AIP_MODEL_DIR');
  });

  test('gs:// URIs and patterns are parsed strictly', () => {
    expect(parseGsUri('gs://my-bucket/a/b.csv', 'x')).toEqual({ bucket: 'my-bucket', name: 'a/b.csv' });
    expect(() => parseGsUri('gs://UPPER/x', 'env:AIP_MODEL_DIR')).toThrow(/BAD_GCS_URI.*env:AIP_MODEL_DIR/);
    expect(globToRegExp('dir/training-*').test('dir/training-00001-of-00002.csv')).toBe(true);
    expect(globToRegExp('dir/training-*').test('dir/sub/training-1')).toBe(false);
    expect(globToRegExp('dir/**.csv').test('dir/sub/x.csv')).toBe(true);
  });
});
