import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runStep } from '../src/pipeline/single';

const bin = path.join(__dirname, '..', 'bin', 'mlops.js');
const built = fs.existsSync(path.join(__dirname, '..', 'dist', 'src', 'pipeline', 'single.js'));
if (!built) console.log('pipeline-step CLI tests skipped: dist/ not built (run `npx tsc -p training-image`).');
const t = built ? test : test.skip;

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-step-'));
  const rows = ['day,store,sales'];
  for (let i = 0; i < 50; i++) rows.push(`2024-01-${String((i % 28) + 1).padStart(2, '0')},"s${i % 4}, north",${(i * 13) % 97}`);
  fs.writeFileSync(path.join(dir, 'data.csv'), rows.join('\r\n') + '\r\n');
  fs.writeFileSync(
    path.join(dir, 'contract.yaml'),
    'version: 1\ncolumns:\n  - { name: day, type: datetime, nullable: false }\n  - { name: store, type: string }\n  - { name: sales, type: number, min: 0, max: 50 }\n',
  );
  return dir;
}

function mlops(cwd: string, ...args: string[]): { code: number | null; out: string; err: string; json: Record<string, any> | null } {
  const r = spawnSync(process.execPath, [bin, 'pipeline', 'step', ...args], { cwd, encoding: 'utf8', env: { ...process.env, MLOPS_HOME: path.join(cwd, '.mlops') } });
  let json: Record<string, any> | null = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  return { code: r.status, out: r.stdout, err: r.stderr, json };
}

describe('mlops pipeline step (built CLI)', () => {
  t('split: JSON result on stdout, outputs written byte-faithfully', () => {
    const dir = project();
    const r = mlops(
      dir,
      '--uses',
      'split',
      '--inputs',
      JSON.stringify({ data: 'data.csv' }),
      '--params',
      JSON.stringify({ testFraction: 0.2, time: 'day' }),
      '--outputs',
      JSON.stringify({ train: 'out/train.csv', test: `file://${dir}/out/test.csv` }),
    );
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      ok: true,
      uses: 'split',
      metrics: { rows: 50, train_rows: 40, test_rows: 10 },
      outputs: { train: path.join(dir, 'out/train.csv'), test: path.join(dir, 'out/test.csv') },
    });
    expect(r.json!.summary).toContain('time-ordered');
    const input = fs.readFileSync(path.join(dir, 'data.csv'), 'latin1').split('\r\n').filter(Boolean);
    const train = fs.readFileSync(path.join(dir, 'out/train.csv'), 'latin1').split('\r\n').filter(Boolean);
    const test = fs.readFileSync(path.join(dir, 'out/test.csv'), 'latin1').split('\r\n').filter(Boolean);
    expect(train[0]).toBe(input[0]);
    expect(test[0]).toBe(input[0]);
    expect([...train.slice(1), ...test.slice(1)].sort()).toEqual(input.slice(1).sort());
    expect(
      train
        .slice(1)
        .map((l) => l.slice(0, 10))
        .sort()
        .pop()! <=
        test
          .slice(1)
          .map((l) => l.slice(0, 10))
          .sort()[0]!,
    ).toBe(true); // the latest days are the test part
  });

  t('validate: default outputs under --work; a contract violation is a step failure (exit 1) with {code, path, message}', () => {
    const dir = project();
    const ok = mlops(dir, '--uses', 'validate', '--inputs', JSON.stringify({ data: 'data.csv', contract: 'contract.yaml' }), '--params', '{"failOnError": false}', '--work', 'w');
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ ok: true, metrics: { rows: 50 } });
    expect(ok.json!.metrics.violations).toBeGreaterThan(0); // sales above 50
    expect(fs.existsSync(path.join(dir, 'w', 'validation.json'))).toBe(true);
    const bad = mlops(dir, '--uses', 'validate', '--name', 'check', '--inputs', JSON.stringify({ data: 'data.csv', contract: 'contract.yaml' }));
    expect(bad.code).toBe(1);
    expect(bad.json).toMatchObject({ ok: false, error: { code: 'DATA_INVALID', path: '--inputs.data' } });
    expect(bad.json!.error.message).toContain('breaks the contract');
    expect(bad.err).toContain('[DATA_INVALID]');
  });

  t('bad JSON, an unknown kind, an unknown output, a missing --uses: exit 2 with a clear message', () => {
    const dir = project();
    const badJson = mlops(dir, '--uses', 'split', '--inputs', '{data: data.csv}');
    expect(badJson.code).toBe(2);
    expect(badJson.json).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', path: '--inputs' } });
    expect(badJson.json!.error.message).toMatch(/--inputs is not valid JSON .*pass a JSON object/);
    const notObject = mlops(dir, '--uses', 'split', '--params', '[1,2]');
    expect(notObject.code).toBe(2);
    expect(notObject.json!.error).toMatchObject({ path: '--params', message: expect.stringContaining('must be a JSON object') });
    const unknown = mlops(dir, '--uses', 'splitt', '--inputs', '{"data":"data.csv"}');
    expect(unknown.code).toBe(2);
    expect(unknown.json!.error).toMatchObject({
      code: 'BAD_ARGUMENT',
      path: '--uses',
      message: expect.stringContaining('unknown step kind "splitt"; the kinds are validate, split, drift, train'),
    });
    expect(unknown.err).toContain('unknown step kind');
    const out = mlops(dir, '--uses', 'split', '--inputs', '{"data":"data.csv"}', '--outputs', '{"training":"t.csv"}');
    expect(out.code).toBe(2);
    expect(out.json!.error).toMatchObject({ path: '--outputs.training', message: expect.stringContaining('its outputs are train, test') });
    expect(mlops(dir, '--inputs', '{}').code).toBe(2);
    expect(mlops(dir, '--uses', 'split', '--bogus', 'x').code).toBe(2);
    expect(mlops(dir, '--uses', 'serve', '--inputs', '{"model":"m"}').json!.error.path).toBe('--uses');
    expect(mlops(dir, '--help').out).toContain('mlops pipeline step');
  });

  t('step problems: exit 1 with the param or input named', () => {
    const dir = project();
    const col = mlops(dir, '--uses', 'split', '--inputs', '{"data":"data.csv"}', '--params', '{"stratify":"region"}');
    expect(col.code).toBe(1);
    expect(col.json!.error).toMatchObject({
      code: 'BAD_PARAM',
      path: '--params.stratify',
      message: expect.stringContaining("column 'region' is not in the header; columns are day, store, sales"),
    });
    const missing = mlops(dir, '--uses', 'split', '--inputs', '{"data":"nope.csv"}');
    expect(missing.code).toBe(1);
    expect(missing.json!.error).toMatchObject({ code: 'BAD_INPUT', path: '--inputs.data', message: expect.stringContaining('nope.csv does not exist') });
    const cloud = mlops(dir, '--uses', 'split', '--inputs', '{"data":"s3://bucket/data.csv"}');
    expect(cloud.code).toBe(1);
    expect(cloud.json!.error.message).toContain('/opt/ml/processing/');
    const noInput = mlops(dir, '--uses', 'split');
    expect(noInput.code).toBe(1);
    expect(noInput.json!.error).toMatchObject({ code: 'BAD_INPUT', path: '--inputs.data' });
    const gate = mlops(dir, '--uses', 'gate', '--inputs', '{"model":"data.csv"}', '--params', '{"metric":"rmse"}');
    expect(gate.code).toBe(2);
    expect(gate.json!.error.path).toBe('--model');
  });
});

describe('runStep (in process)', () => {
  test('select takes a list input; a models:/ URI without a registry is a clear BAD_INPUT', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-step-'));
    const r = await runStep({ uses: 'select', inputs: { candidates: ['models:/nope@champion'] }, params: { metric: 'rmse' }, root: path.join(dir, '.mlops'), cwd: dir });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', path: '--inputs.candidates[0]', message: expect.stringContaining("model 'nope' is not in the registry") } });
  });
});
