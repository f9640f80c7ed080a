/**
 * A metric that is not defined (MAPE on a target with zeros) in the pipeline:
 * the registry quality gate gives the reason and the fix in the words of the
 * local `--gate` (issue 14, leftover of item 12).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkGate } from '../src/contracts/gate';
import { Rng } from '../src/core/random';
import { notDefinedText } from '../src/eval/metrics';
import { runPipeline } from '../src/pipeline/runner';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-notdef-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function zerosCsv(file: string, rows: number): string {
  const rng = new Rng(12);
  const lines = ['a,b,y'];
  for (let i = 0; i < rows; i++) {
    const a = rng.normal(),
      b = rng.normal();
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${(i % 10 === 0 ? 0 : 3 * a - 2 * b + 0.1 * rng.normal()).toFixed(4)}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const PIPELINE = `name: zeros
inputs: { data: data.csv }
steps:
  - name: train
    uses: train
    inputs: { data: "\${inputs.data}" }
    params: { target: y, model: linear, holdout: 0.2 }
  - name: by_mape
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}" }
    params: { metric: mape }
  - name: mape_threshold
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}" }
    params: { metric: rmse, thresholds: { mape: { max: 0.5 }, r2: { min: 0.5 } } }
  - name: evaluate
    uses: evaluate
    inputs: { model: "\${steps.train.outputs.model}", data: "\${inputs.data}" }
  - name: on_evaluated
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}", metrics: "\${steps.evaluate.outputs.metrics}" }
    params: { metric: mape }
`;

describe('the pipeline/registry gate on a metric that is not defined', () => {
  test('says why and what to do, in the same words as the local --gate, for the holdout and for data an evaluate step scored', async () => {
    const dir = path.join(tmp, 'p');
    fs.mkdirSync(dir);
    zerosCsv(path.join(dir, 'data.csv'), 200);
    const file = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(file, PIPELINE);
    const r = await runPipeline(file, { root: path.join(dir, '.mlops') });
    expect(r.run.error).toBeNull();
    const holdout = JSON.parse(fs.readFileSync(path.join(r.outputs.train!.model!, 'metrics.json'), 'utf8')).holdout as Record<string, unknown> & { notDefined: { mape: string } };
    const why = holdout.notDefined.mape;
    expect(why).toBe(
      "MAPE divides by the true value, and 4 of 40 true values are 0 (or within 2.2e-16 × max |y| of it); use mae or rmse (in the target's units) instead, or drop the rows whose target is 0",
    );
    const decision = (step: string): { passed: boolean; reasons: string[] } => JSON.parse(fs.readFileSync(r.outputs[step]!.decision!, 'utf8'));
    // The gate's metric is MAPE: rejected with the reason, not "has no 'mape' metric".
    const text = 'mape is not defined on this holdout: ' + why;
    expect(notDefinedText('mape', why)).toBe(text);
    expect(decision('by_mape')).toMatchObject({ passed: false, reasons: [text, 'no champion yet: thresholds only'] });
    // A threshold on MAPE: the same words; the other checks still reported.
    expect(decision('mape_threshold').passed).toBe(false);
    expect(decision('mape_threshold').reasons[0]).toBe(`threshold on 'mape': ${text}`);
    expect(decision('mape_threshold').reasons.slice(1)).toEqual([`r2 ${(holdout.r2 as number).toPrecision(4)} ≥ minimum 0.5000`, 'no champion yet: thresholds only']);
    // The local gate says the same of the same holdout.
    expect(() => checkGate([{ metric: 'mape', bound: 'max', value: 0.5 }], holdout)).toThrow(`the model misses the quality gate on its holdout metrics: ${text}.`);
    // On the data an evaluate step scored (200 rows, 20 zeros): its reason, named as such; metrics.json records it.
    const evaluated = JSON.parse(fs.readFileSync(r.outputs.evaluate!.metrics!, 'utf8'));
    expect(evaluated.metrics.mape).toBeUndefined();
    expect(evaluated.notDefined.mape).toMatch(/^MAPE divides by the true value, and 20 of 200 true values are 0 .*; use mae or rmse/);
    expect(r.run.steps.find((s) => s.name === 'evaluate')!.summary).toContain('mape not defined: MAPE divides by the true value, and 20 of 200');
    expect(decision('on_evaluated').reasons[0]).toBe(`mape is not defined on the data evaluated: ${evaluated.notDefined.mape}`);
    expect(JSON.stringify(r.run)).not.toMatch(/has no 'mape' metric/);
  }, 60_000);
});

const FORECAST = `name: closed-sundays
inputs: { data: sales.csv }
steps:
  - name: weekly
    uses: forecast
    inputs: { data: "\${inputs.data}" }
    params: { time: date, value: sales, forecaster: { uncertaintySamples: 50, seasonalities: { yearly: 0, daily: 0 } } }
  - name: linear
    uses: forecast
    inputs: { data: "\${inputs.data}" }
    params: { time: date, value: sales, forecaster: { trend: linear, uncertaintySamples: 50, seasonalities: { yearly: 0, weekly: 0, daily: 0 } } }
  - name: gate
    uses: gate
    inputs: { model: "\${steps.weekly.outputs.model}" }
    params: { metric: rmse, thresholds: { mape: { max: 0.3 } } }
  - name: by_rmse
    uses: select
    inputs: { candidates: ["\${steps.linear.outputs.model}", "\${steps.weekly.outputs.model}"] }
    params: { metric: rmse }
  - name: report
    uses: report
    inputs: { model: "\${steps.by_rmse.outputs.model}" }
`;

describe('forecasts of a series with zeros in the pipeline', () => {
  const dir = path.join(tmp, 'f');
  const file = path.join(dir, 'pipeline.yaml');
  beforeAll(() => {
    fs.mkdirSync(dir);
    const rows = ['date,sales'];
    for (let d = 0; d < 140; d++)
      rows.push(
        `${new Date(Date.UTC(2021, 0, 4) + d * 86400e3).toISOString().slice(0, 10)},${d % 7 === 6 ? 0 : (20 + 0.05 * d + 3 * Math.sin((2 * Math.PI * d) / 7) + ((d * 37) % 11) / 11 - 0.5).toFixed(3)}`,
      );
    fs.writeFileSync(path.join(dir, 'sales.csv'), rows.join('\n') + '\n');
    fs.writeFileSync(file, FORECAST);
  });

  test('the backtest MAPE is not defined: left out of the step metrics with the reason, the gate says so, selection by rmse works, the report shows the reason', async () => {
    const r = await runPipeline(file, { root: path.join(dir, '.mlops') });
    expect(r.run.error).toBeNull();
    const bt = JSON.parse(fs.readFileSync(path.join(r.outputs.weekly!.model!, 'metrics.json'), 'utf8')).backtest;
    expect(bt.mape).toBeNull();
    expect(bt.notDefined.mape).toMatch(/^MAPE divides by the true value, and \d+ of \d+ true values are 0 .*; use mae or rmse/);
    const weekly = r.run.steps.find((s) => s.name === 'weekly')!;
    expect(Object.keys(weekly.metrics).sort()).toEqual(['coverage', 'mae', 'points', 'rmse']);
    expect(weekly.summary).toContain(`; mape not defined: ${bt.notDefined.mape}`);
    const decision = JSON.parse(fs.readFileSync(r.outputs.gate!.decision!, 'utf8'));
    expect(decision.passed).toBe(false);
    expect(decision.reasons[0]).toBe(`threshold on 'mape': ${notDefinedText('mape', bt.notDefined.mape, 'the backtest')}`);
    expect(r.run.steps.find((s) => s.name === 'by_rmse')!.status).toBe('ok');
    const html = fs.readFileSync(path.join(r.report!, 'report.html'), 'utf8');
    expect(html).toContain('<td>not defined: MAPE divides by the true value');
    expect(JSON.stringify(r.run)).not.toMatch(/e\+1[0-9]/);
  }, 60_000);

  test('select by mape refuses, naming the candidate and the reason, instead of ranking an undefined MAPE', async () => {
    fs.writeFileSync(file, FORECAST.replace('params: { metric: rmse }', 'params: { metric: mape }'));
    const r = await runPipeline(file, { root: path.join(dir, '.mlops') });
    const sel = r.run.steps.find((s) => s.name === 'by_rmse')!;
    expect(sel.status).toBe('failed');
    expect(sel.error).toMatchObject({ code: 'BAD_PARAM', path: 'steps.by_rmse.params.metric' });
    expect(sel.error!.message).toMatch(
      /^cannot select by 'mape': for candidate trend-forecaster \(.*linear.model\), mape is not defined on the backtest: MAPE divides by the true value, and \d+ of \d+ true values are 0 .*; use mae or rmse \(in the target's units\) instead, or drop the rows whose target is 0\.$/,
    );
  }, 60_000);

  test('mlops forecast says MAPE is not defined and why, in text and JSON', () => {
    const bin = path.join(__dirname, '..', 'bin', 'mlops.js');
    const run = (...a: string[]): { status: number | null; stdout: string } =>
      spawnSync(process.execPath, [bin, 'forecast', '--data', path.join(dir, 'sales.csv'), '--time', 'date', '--value', 'sales', '--horizon', '14', ...a], {
        encoding: 'utf8',
        env: { ...process.env, MLOPS_HOME: '' },
      });
    const text = run();
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(
      /backtest RMSE [0-9.]+, MAE [0-9.]+, MAPE not defined \(MAPE divides by the true value, and \d+ of \d+ true values are 0 .*; use mae or rmse .*\) over \d+ folds/,
    );
    const json = JSON.parse(run('--json').stdout);
    expect(json.backtest.mape).toBeNull();
    expect(json.backtest.notDefined.mape).toMatch(/^MAPE divides by the true value/);
  }, 60_000);
});
