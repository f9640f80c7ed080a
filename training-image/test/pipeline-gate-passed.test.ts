/**
 * The gate's `passed` output: the decision as a value file (`true` or
 * `false`, no newline) next to decision.json, which a Vertex AI (KFP)
 * condition reads as a boolean output parameter. Written by the local runner
 * (and cached with the step) and by `mlops pipeline step --uses gate`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runPipeline } from '../src/pipeline/runner';
import { STEP_OUTPUTS } from '../src/pipeline/schema';
import { runStep } from '../src/pipeline/single';

const bin = path.join(__dirname, '..', 'bin', 'mlops.js');
const built = fs.existsSync(path.join(__dirname, '..', 'dist', 'src', 'pipeline', 'single.js'));
const t = built ? test : test.skip;

function writeData(dir: string, noise: number): void {
  const rows = ['date,load'];
  for (let d = 0; d < 100; d++)
    rows.push(`${new Date(Date.UTC(2022, 0, 1) + d * 86400e3).toISOString().slice(0, 10)},${(10 + 0.05 * d + noise * (((d * 7919) % 11) / 11 - 0.5)).toFixed(4)}`);
  fs.writeFileSync(path.join(dir, 'data.csv'), rows.join('\n') + '\n');
}

const PIPELINE = `name: demo
inputs: { data: data.csv }
steps:
  - name: train
    uses: forecast
    inputs: { data: "\${inputs.data}" }
    params: { time: date, value: load, seed: 0, forecaster: { uncertaintySamples: 100, seasonalities: { yearly: 0, daily: 0 } } }
  - name: gate
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}" }
    params: { metric: rmse, margin: 0, thresholds: { mape: { max: 0.5 } } }
  - name: register
    uses: register
    inputs: { model: "\${steps.train.outputs.model}", decision: "\${steps.gate.outputs.decision}" }
`;

test('the gate kind has the outputs decision (decision.json) and passed (passed.txt)', () => {
  expect(STEP_OUTPUTS.gate).toEqual({ decision: 'decision.json', passed: 'passed.txt' });
});

test('a pipeline run writes passed.txt next to decision.json with the decision; a cached gate keeps it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-passed-'));
  writeData(dir, 1);
  const file = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(file, PIPELINE);
  const root = path.join(dir, '.mlops');
  const r1 = await runPipeline(file, { root });
  expect(r1.ok).toBe(true);
  const out = r1.outputs.gate!;
  expect(path.dirname(out.passed!)).toBe(path.dirname(out.decision!));
  expect(path.basename(out.passed!)).toBe('passed.txt');
  expect(fs.readFileSync(out.passed!, 'utf8')).toBe('true');
  expect(JSON.parse(fs.readFileSync(out.passed!, 'utf8'))).toBe(r1.decision!.passed);
  expect(r1.run.steps.find((s) => s.name === 'gate')!.outputs).toHaveProperty('passed');
  // The second run skips every step (the cache entry records both outputs) and reuses them in place.
  const r2 = await runPipeline(file, { root });
  expect(r2.run.steps.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped']);
  expect(r2.outputs.gate!.passed).toBe(out.passed);
  // A worse model is rejected: passed.txt says false.
  writeData(dir, 8);
  const r3 = await runPipeline(file, { root });
  expect(r3.decision!.passed).toBe(false);
  expect(fs.readFileSync(r3.outputs.gate!.passed!, 'utf8')).toBe('false');
});

t('mlops pipeline step --uses gate writes passed (default: passed.txt under --work); a rejection with failOnReject still writes false', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-passed-'));
  writeData(dir, 1);
  const model = await runStep({
    uses: 'forecast',
    inputs: { data: 'data.csv' },
    params: { time: 'date', value: 'load', seed: 0, forecaster: { uncertaintySamples: 100, seasonalities: { yearly: 0, daily: 0 } } },
    outputs: { model: 'model' },
    cwd: dir,
  });
  expect(model.ok).toBe(true);
  const gate = (params: Record<string, unknown>, outputs: Record<string, string>) =>
    spawnSync(
      process.execPath,
      [
        bin,
        'pipeline',
        'step',
        '--uses',
        'gate',
        '--model',
        'demo',
        '--root',
        path.join(dir, 'root'),
        '--work',
        'w',
        '--inputs',
        '{"model":"model"}',
        '--params',
        JSON.stringify(params),
        '--outputs',
        JSON.stringify(outputs),
      ],
      { cwd: dir, encoding: 'utf8' },
    );
  const ok = gate({ metric: 'rmse', thresholds: { mape: { max: 0.5 } } }, { decision: 'd/decision.json' });
  expect(ok.status).toBe(0);
  expect(JSON.parse(ok.stdout).outputs).toEqual({ decision: path.join(dir, 'w', 'd', 'decision.json'), passed: path.join(dir, 'w', 'passed.txt') });
  expect(fs.readFileSync(path.join(dir, 'w', 'passed.txt'), 'utf8')).toBe('true');
  const rejected = gate(
    { metric: 'rmse', thresholds: { mape: { max: 0.0001 } }, failOnReject: true },
    { decision: path.join(dir, 'r', 'decision.json'), passed: path.join(dir, 'r', 'p', 'value') },
  );
  expect(rejected.status).toBe(1);
  expect(JSON.parse(rejected.stdout).error.code).toBe('GATE_REJECTED');
  expect(fs.readFileSync(path.join(dir, 'r', 'p', 'value'), 'utf8')).toBe('false');
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'r', 'decision.json'), 'utf8')).passed).toBe(false);
});
