import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parsePipeline, PipelineError } from '../src/pipeline/schema';
import { runPipeline } from '../src/pipeline/runner';
import { LocalRegistry } from '../src/registry/registry';

const CONTRACT = `version: 1
columns:
  - { name: date, type: datetime, nullable: false }
  - { name: load, type: number, nullable: false, min: 0 }
`;

function pipelineYaml(extraGate = ''): string {
  return `version: 1
name: demo
params: { threshold: 20, horizon: 90 }
inputs: { data: data.csv, contract: contract.yaml }
steps:
  - name: validate
    uses: validate
    inputs: { data: "\${inputs.data}", contract: "\${inputs.contract}" }
  - name: train
    uses: forecast
    needs: [validate]
    inputs: { data: "\${inputs.data}" }
    params: { time: date, value: load, seed: 0, forecaster: { uncertaintySamples: 100, seasonalities: { yearly: 0, daily: 0 } } }
  - name: evaluate
    uses: evaluate
    inputs: { model: "\${steps.train.outputs.model}" }
    params: { threshold: "\${params.threshold}", horizon: "\${params.horizon}" }
  - name: gate
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}", metrics: "\${steps.evaluate.outputs.metrics}" }
    params: { metric: rmse, margin: 0, thresholds: { mape: { max: 0.5 } }${extraGate} }
  - name: register
    uses: register
    inputs: { model: "\${steps.train.outputs.model}", decision: "\${steps.gate.outputs.decision}" }
`;
}

function writeData(dir: string, slope: number, noise = 1): void {
  const rows = ['date,load'];
  for (let d = 0; d < 100; d++)
    rows.push(`${new Date(Date.UTC(2022, 0, 1) + d * 86400e3).toISOString().slice(0, 10)},${(10 + slope * d + noise * (((d * 7919) % 11) / 11 - 0.5)).toFixed(4)}`);
  fs.writeFileSync(path.join(dir, 'data.csv'), rows.join('\n') + '\n');
}

function project(gate = ''): { dir: string; file: string; root: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-'));
  fs.writeFileSync(path.join(dir, 'contract.yaml'), CONTRACT);
  writeData(dir, 0.05);
  const file = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(file, pipelineYaml(gate));
  return { dir, file, root: path.join(dir, '.mlops') };
}

const statuses = (r: { run: { steps: { name: string; status: string }[] } }): Record<string, string> => Object.fromEntries(r.run.steps.map((s) => [s.name, s.status]));

describe('pipeline definition', () => {
  test('a bad definition lists every problem with its path', () => {
    const bad = `name: demo
steps:
  - { name: a, uses: train, inputs: { data: "\${inputs.nope}" } }
  - { name: a, uses: fly }
  - { name: b, uses: gate, needs: [zzz], inputs: { model: "\${steps.a.outputs.nothing}" } }
`;
    let err: PipelineError | null = null;
    try {
      parsePipeline(bad, 'p.yaml');
    } catch (e) {
      err = e as PipelineError;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect(err!.issues.map((i) => i.path)).toEqual(['steps[1].uses']);
    expect(err!.message).toMatch(/steps\[1\]\.uses/);
    expect(() => parsePipeline(bad.replace('uses: fly', 'uses: train'), 'p.yaml')).toThrow(
      /DUPLICATE_STEP\] steps\[1\]\.name[\s\S]*inputs\.nope[\s\S]*needs\[0\][\s\S]*has no output 'nothing'/,
    );
  });

  test('a cycle is refused', () => {
    expect(() => parsePipeline(`name: c\nsteps:\n  - { name: a, uses: validate, needs: [b] }\n  - { name: b, uses: validate, needs: [a] }\n`)).toThrow(/CYCLE.*a → b → a/);
  });
});

describe('pipeline runner', () => {
  test('runs steps in order, skips unchanged steps, and reruns on a param or input change', async () => {
    const p = project();
    const lines: string[] = [];
    // WHEN the pipeline runs twice
    const r1 = await runPipeline(p.file, { root: p.root, log: (l) => lines.push(l) });
    expect(r1.ok).toBe(true);
    expect(Object.values(statuses(r1))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(lines.some((l) => /^\[2\/5\] train \(forecast\) done in/.test(l))).toBe(true);
    const r2 = await runPipeline(p.file, { root: p.root });
    // THEN the second run skips every step
    expect(Object.values(statuses(r2))).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(r2.run.metrics['train.rmse']).toBe(r1.run.metrics['train.rmse']);
    // a param change reruns the steps that use it (and those downstream whose inputs changed)
    const r3 = await runPipeline(p.file, { root: p.root, params: { threshold: 15 } });
    // (register reruns because the decision file it reads changed; registering is idempotent by content)
    expect(statuses(r3)).toEqual({ validate: 'skipped', train: 'skipped', evaluate: 'ok', gate: 'ok', register: 'ok' });
    expect(r3.registration).toMatchObject({ version: 1, created: false, champion: 1 });
    // an input change reruns from the first step that reads it
    writeData(p.dir, 0.06);
    const r4 = await runPipeline(p.file, { root: p.root, params: { threshold: 15 } });
    expect(statuses(r4)).toEqual({ validate: 'ok', train: 'ok', evaluate: 'ok', gate: 'ok', register: 'ok' });
    // a deleted output reruns its step; --no-cache reruns everything
    fs.rmSync(r4.outputs.evaluate!.metrics!);
    expect(statuses(await runPipeline(p.file, { root: p.root, params: { threshold: 15 } })).evaluate).toBe('ok');
    expect(Object.values(statuses(await runPipeline(p.file, { root: p.root, params: { threshold: 15 }, noCache: true }))).every((s) => s === 'ok')).toBe(true);
    fs.rmSync(p.dir, { recursive: true, force: true });
  });

  test('the gate promotes a first model, rejects a worse one, and a failed run never replaces the champion', async () => {
    const p = project();
    const r1 = await runPipeline(p.file, { root: p.root });
    expect(r1.decision!.passed).toBe(true);
    expect(r1.registration).toMatchObject({ version: 1, promoted: true, champion: 1 });
    // GIVEN noisier data: a worse model (higher backtest RMSE)
    writeData(p.dir, 0.05, 8);
    const r2 = await runPipeline(p.file, { root: p.root });
    expect(r2.ok).toBe(true);
    expect(r2.decision!.passed).toBe(false);
    expect((r2.decision!.reasons as string[])[0]).toMatch(/does not beat champion v1/);
    expect(r2.registration).toMatchObject({ version: 2, promoted: false, champion: 1 });
    const reg = new LocalRegistry(path.join(p.root, 'registry'));
    expect(reg.aliases('demo')).toMatchObject({ champion: 1, challenger: 2 });
    // WHEN a run fails (data breaks the contract), THEN it stops and the champion stays
    fs.appendFileSync(path.join(p.dir, 'data.csv'), '2022-05-01,-3\n');
    const r3 = await runPipeline(p.file, { root: p.root });
    expect(r3.ok).toBe(false);
    expect(r3.run.error).toMatchObject({ code: 'DATA_INVALID', path: 'steps.validate.inputs.data' });
    expect(statuses(r3)).toEqual({ validate: 'failed', train: 'pending', evaluate: 'pending', gate: 'pending', register: 'pending' });
    expect(reg.aliases('demo').champion).toBe(1);
    fs.rmSync(p.dir, { recursive: true, force: true });
  });

  test('a step with a bad param fails the run with a message naming the field and value', async () => {
    const p = project();
    fs.writeFileSync(p.file, pipelineYaml().replace('metric: rmse, margin: 0', 'metric: rmse, margin: -2'));
    const r = await runPipeline(p.file, { root: p.root });
    expect(r.ok).toBe(false);
    expect(r.run.error).toMatchObject({ code: 'BAD_PARAM', path: 'steps.gate.params.margin' });
    expect(r.run.error!.message).toMatch(/must be a number ≥ 0. Got -2/);
    await expect(runPipeline(p.file, { root: p.root, params: { nope: 1 } })).rejects.toThrow(/'nope' is not a parameter of this pipeline/);
    fs.rmSync(p.dir, { recursive: true, force: true });
  });
});
