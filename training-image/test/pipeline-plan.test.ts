/**
 * The cloud plan of a pipeline (src/pipeline/plan.ts): what a managed engine
 * runs for a pipeline file. planForCloud on the example pipelines (order,
 * params, skip, deploy, the refusals), and stepArguments/batchArguments
 * checked the only way that counts: a chain of steps run by spawning the
 * built CLI with exactly the arguments they produce, as an engine's
 * container tasks would, against a registry folder passed as --root.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { batchArguments, CloudPlan, planForCloud, PlanSource, PlanStep, StepBinding, stepArguments } from '../src/pipeline/plan';
import { runPipeline } from '../src/pipeline/runner';
import { parsePipeline, PipelineError, STEP_OUTPUTS, topologicalOrder, VALUE_OUTPUTS } from '../src/pipeline/schema';
import { LocalRegistry } from '../src/registry/registry';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const NAMES = ['churn', 'demand-forecast', 'transformer-overload'];
const TARGET = 'Test Pipelines (test)';
const bin = path.join(__dirname, '..', 'bin', 'mlops.js');
const built = fs.existsSync(path.join(__dirname, '..', 'dist', 'src', 'pipeline', 'single.js'));
if (!built) console.log('pipeline-plan end-to-end test skipped: dist/ not built (run `npm run build`).');
const t = built ? test : test.skip;

const text = (name: string): string => fs.readFileSync(path.join(EXAMPLES, name, 'pipeline.yaml'), 'utf8');
const example = (name: string) => parsePipeline(text(name), `${name}/pipeline.yaml`);

/** The PipelineError planForCloud throws (fails the test when it does not throw). */
function refusal(f: () => unknown): PipelineError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return e as PipelineError;
  }
  throw new Error('expected planForCloud to refuse the pipeline');
}

describe.each(NAMES)('planForCloud on examples/%s', (name) => {
  const p = example(name);
  const plan = planForCloud(p, { target: TARGET, skip: ['score'] });

  test("the container steps are the local runner's order without serve and the skipped steps; each runs after exactly the steps it depends on", () => {
    const local = topologicalOrder(p).filter((s) => s.uses !== 'serve' && s.name !== 'score');
    expect(plan.steps.map((s) => s.name)).toEqual(local.map((s) => s.name));
    expect(plan.steps.map((s) => s.uses)).toEqual(local.map((s) => s.uses));
    for (const s of plan.steps) {
      const i = plan.steps.indexOf(s);
      for (const a of s.after) expect(plan.steps.findIndex((x) => x.name === a)).toBeLessThan(i);
      for (const src of Object.values(s.inputs).flat() as PlanSource[]) if (src.from === 'step') expect(s.after).toContain(src.step);
    }
    expect(plan.skipped).toEqual([{ name: 'score', uses: 'score' }]);
    expect(plan.pipeline).toBe(p.name);
    expect(plan.model).toBe(p.model ?? p.name);
  });

  test('params resolved; inputs bound to pipeline inputs, step outputs or the registry; outputs named as the local defaults', () => {
    expect(JSON.stringify(plan.steps.map((s) => s.params))).not.toContain('${');
    for (const s of plan.steps) {
      expect(s.outputs).toEqual(Object.fromEntries(Object.entries(STEP_OUTPUTS[s.uses]).map(([k, v]) => [k, path.basename(v)])));
      expect(s.readsRegistry).toBe(
        ['gate', 'register'].includes(s.uses) ||
          Object.values(s.inputs)
            .flat()
            .some((x) => (x as PlanSource).from === 'registry'),
      );
      expect(s.writesRegistry).toBe(s.uses === 'register');
    }
    expect(Object.keys(plan.inputs).sort()).toEqual(Object.keys(p.inputs).sort());
    const gate = plan.steps.find((s) => s.name === plan.gate)!;
    expect(gate.uses).toBe('gate');
    expect(gate.outputs).toEqual({ decision: 'decision.json', passed: 'passed.txt' });
    expect(plan.register).toEqual({ step: 'register', model: plan.steps.find((s) => s.name === 'register')!.inputs.model });
    // serve (of the champion) is the deploy action, after the register step.
    expect(plan.deploy).toEqual({ step: 'serve', after: ['register'], when: plan.steps.find((s) => s.name === 'register')!.when });
    // skip drops the step and every input that reads it: the report's response.
    const report = plan.steps.find((s) => s.uses === 'report')!;
    expect(p.steps.find((s) => s.name === 'report')!.inputs.response).toBe('${steps.score.outputs.response}');
    expect(report.inputs).not.toHaveProperty('response');
    expect(report.after).not.toContain('score');
    expect(report.inputs.registration).toEqual({ from: 'step', step: 'register', output: 'registration' });
  });

  test('score without skip is refused, naming the step and the target', () => {
    const e = refusal(() => planForCloud(p, { target: TARGET }));
    const i = p.steps.findIndex((s) => s.name === 'score');
    expect(e.issues).toEqual([
      {
        code: 'BAD_PIPELINE',
        path: `steps[${i}].uses`,
        message: `step 'score' (score) cannot run on ${TARGET}: it calls a server on the machine that runs the pipeline. Add 'score' to the pipeline's skip list in the stack config (deployment.pipeline.skip), or remove the step.`,
      },
    ]);
    expect(e.message).toContain(`the pipeline cannot run on ${TARGET}`);
  });
});

describe('planForCloud: params and refusals', () => {
  test('parameter overrides are resolved into every step that reads them, with their type', () => {
    const churn = planForCloud(example('churn'), { target: TARGET, skip: ['score'], params: { trials: 3, seed: 7 } });
    const train = churn.steps.find((s) => s.name === 'train-gbdt')!;
    expect(train.params).toMatchObject({ seed: 7, tune: { trials: 3, sampler: 'tpe' } });
    expect(churn.steps.find((s) => s.name === 'split')!.params).toEqual({ testFraction: 0.2, seed: 7, stratify: 'Churn' });
    expect(churn.params).toEqual({ seed: 7, trials: 3 });
    const tr = planForCloud(example('transformer-overload'), { target: TARGET, skip: ['score'] });
    expect(tr.steps.find((s) => s.name === 'evaluate')!.params).toEqual({ threshold: 24, horizon: 1095 });
    expect(tr.steps.find((s) => s.name === 'train')!.params.horizon).toBe(1095);
  });

  test('skipping a step with outputs drops the inputs that read it, and the step from every after list', () => {
    const plan = planForCloud(example('churn'), { target: TARGET, skip: ['score', 'evaluate'] });
    const gate = plan.steps.find((s) => s.name === 'gate')!;
    expect(gate.inputs).toEqual({ model: { from: 'step', step: 'select', output: 'model' } });
    expect(gate.after).toEqual(['select']);
    expect(plan.steps.map((s) => s.name)).not.toContain('evaluate');
    expect(plan.skipped.map((s) => s.name)).toEqual(['evaluate', 'score']);
  });

  test('serve of anything but the champion is refused', () => {
    const e = refusal(() => planForCloud(parsePipeline(text('churn').replace('models:/churn@champion', 'models:/churn@challenger')), { target: TARGET, skip: ['score'] }));
    expect(e.issues).toEqual([
      expect.objectContaining({
        code: 'BAD_PIPELINE',
        path: `steps[${example('churn').steps.findIndex((s) => s.name === 'serve')}].inputs.model`,
        message: expect.stringContaining(`deploys "models:/churn@challenger"; on ${TARGET} a serve step deploys the champion: use "models:/churn@champion", or skip the step.`),
      }),
    ]);
    expect(planForCloud(parsePipeline(text('churn')), { target: TARGET, skip: ['score', 'serve'] }).deploy).toBeUndefined();
  });

  test('${env.X} references are refused (the engine has no such environment at synth)', () => {
    const p = parsePipeline(text('demand-forecast').replace('params: { testFraction: 0.2, time: dteday }', 'params: { testFraction: 0.2, time: "${env.TIME_COLUMN}" }'));
    const e = refusal(() => planForCloud(p, { target: TARGET, skip: ['score'] }));
    expect(e.issues).toEqual([
      {
        code: 'BAD_REFERENCE',
        path: `steps[${p.steps.findIndex((s) => s.name === 'split')}].params.time`,
        message: `step 'split' reads \${env.…}, which ${TARGET} cannot provide: the step runs in the engine, not where you synthesize. Use a pipeline parameter (\${params.<name>}) instead.`,
      },
    ]);
  });

  test('an unknown parameter override and an unknown step to skip are refused with the known ones', () => {
    const e = refusal(() => planForCloud(example('churn'), { target: TARGET, skip: ['score', 'scoring'], params: { trails: 3 } }));
    expect(e.issues).toEqual([
      {
        code: 'BAD_REFERENCE',
        path: 'params.trails',
        message: "'trails' is not a parameter of pipeline 'churn' (its parameters: seed, trials); remove the override or add the parameter to the file.",
      },
      expect.objectContaining({
        code: 'UNKNOWN_STEP',
        path: 'skip',
        message: expect.stringMatching(/^'scoring' is not a step of pipeline 'churn' \(its steps: validate, split, .*\); remove it from skip\.$/),
      }),
    ]);
  });

  test('a step input that is a path, not a pipeline input, is refused', () => {
    const p = parsePipeline(
      text('churn').replace('inputs: { data: "${inputs.data}" }\n    params: { testFraction', 'inputs: { data: data/extra.csv }\n    params: { testFraction'),
    );
    const e = refusal(() => planForCloud(p, { target: TARGET, skip: ['score'] }));
    expect(e.issues).toEqual([
      {
        code: 'BAD_REFERENCE',
        path: `steps[${p.steps.findIndex((s) => s.name === 'split')}].inputs.data`,
        message: `step 'split' input "data/extra.csv" is a path; on ${TARGET} step inputs are bound by the engine: declare it under the pipeline's inputs and use "\${inputs.<name>}", or use another step's output or a models:/ URI.`,
      },
    ]);
  });
});

describe('stepArguments and batchArguments', () => {
  const plan = planForCloud(example('transformer-overload'), { target: TARGET, skip: ['score'] });
  const gate = plan.steps.find((s) => s.uses === 'gate')!;
  const binding: StepBinding = {
    inputs: { model: '/in/model/model', metrics: '/in/metrics/metrics.json' },
    outputs: { decision: '/out/decision/', passed: '/out/passed' },
    registry: '/reg',
  };

  test('each output is its file name in its folder, or the exact file of outputFiles; registry steps get --root', () => {
    const args = stepArguments(plan, gate, binding);
    expect(args.slice(0, 8)).toEqual(['pipeline', 'step', '--uses', 'gate', '--name', 'gate', '--model', 'transformer-overload']);
    const opt = (k: string) => args[args.indexOf(k) + 1]!;
    expect(JSON.parse(opt('--outputs'))).toEqual({ decision: '/out/decision/decision.json', passed: '/out/passed/passed.txt' });
    expect(JSON.parse(opt('--params'))).toEqual(gate.params);
    expect(opt('--root')).toBe('/reg');
    const kfp = stepArguments(plan, gate, { ...binding, outputs: { decision: '/out/decision' }, outputFiles: { passed: "{{$.outputs.parameters['passed'].output_file}}" } });
    expect(JSON.parse(kfp[kfp.indexOf('--outputs') + 1]!)).toEqual({ decision: '/out/decision/decision.json', passed: "{{$.outputs.parameters['passed'].output_file}}" });
  });

  test('a missing binding or an unknown outputFiles name is an error naming it', () => {
    expect(() => stepArguments(plan, gate, { ...binding, outputs: { decision: '/out' } })).toThrow(
      "no folder (outputs) or file (outputFiles) bound for output 'passed' of step 'gate'",
    );
    expect(() => stepArguments(plan, gate, { ...binding, outputFiles: { pass: '/x' } })).toThrow(
      "step 'gate' (gate) has no output 'pass' (outputFiles); its outputs are decision, passed",
    );
    expect(() => stepArguments(plan, gate, { ...binding, registry: undefined })).toThrow("step 'gate' (gate) needs the registry folder");
    expect(() => batchArguments('m', { model: 'models:/m@champion', data: '/d', predictions: '/p' })).toThrow('a models:/ model needs the registry folder');
    expect(batchArguments('m', { model: '/models/m', data: '/d', predictions: '/p' })).not.toContain('--root');
  });
});

/** A regression table: y = 3·x1 − 2·x2 (+4 for red) + noise. */
function regression(n: number, seed: number, withTarget = true): string {
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows = [withTarget ? 'id,x1,x2,color,y' : 'id,x1,x2,color'];
  for (let i = 0; i < n; i++) {
    const x1 = +(rnd() * 10).toFixed(3),
      x2 = +(rnd() * 5).toFixed(3);
    const color = ['red', 'blue', 'green'][i % 3]!;
    rows.push(`r${seed}-${i},${x1},${x2},${color}${withTarget ? `,${(3 * x1 - 2 * x2 + (color === 'red' ? 4 : 0) + (rnd() - 0.5)).toFixed(3)}` : ''}`);
  }
  return rows.join('\n') + '\n';
}

const CHAIN = `name: bikes
model: bike-demand
params: { seed: 0, r2: 0.8 }
inputs: { data: data/history.csv, batch: data/batch }
steps:
  - name: split
    uses: split
    inputs: { data: "\${inputs.data}" }
    params: { testFraction: 0.25, seed: "\${params.seed}" }
  - name: train
    uses: train
    inputs: { data: "\${steps.split.outputs.train}" }
    params: { target: y, model: gbdt, params: { maxIter: 20 }, seed: "\${params.seed}", holdout: 0.2, features: { exclude: [id] } }
  - name: evaluate
    uses: evaluate
    inputs: { model: "\${steps.train.outputs.model}", data: "\${steps.split.outputs.test}" }
  - name: gate
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}", metrics: "\${steps.evaluate.outputs.metrics}" }
    params: { metric: rmse, thresholds: { r2: { min: "\${params.r2}" } } }
  - name: register
    uses: register
    inputs: { model: "\${steps.train.outputs.model}", decision: "\${steps.gate.outputs.decision}" }
  - name: score-batch
    uses: predict
    needs: [register]
    inputs: { model: "models:/bike-demand@champion", data: "\${inputs.batch}" }
    params: { keep: [id] }
  - name: serve
    uses: serve
    needs: [register]
    inputs: { model: "models:/bike-demand@champion" }
`;

/**
 * Runs a plan as an engine would: each step one process of the built CLI with
 * exactly the arguments stepArguments produces, its inputs bound to pipeline
 * inputs or earlier steps' outputs, each output in its own folder of the run,
 * the gate's `passed` bound to an exact file as a KFP output parameter, and the
 * registry folder as --root.
 */
function runLikeAnEngine(plan: CloudPlan, base: string, run: string, registry: string): Record<string, { ok: boolean; args: string[]; json: Record<string, any> }> {
  const results: Record<string, { ok: boolean; args: string[]; json: Record<string, any> }> = {};
  const outputPath = (step: PlanStep, output: string): string => path.join(run, step.name, output, step.outputs[output]!);
  // Value files (the gate's passed, a drift step's proceed) are bound to exact files, as KFP output parameters.
  const isValue = (step: PlanStep, output: string): boolean => !!VALUE_OUTPUTS[step.uses]?.includes(output);
  const valueFile = (step: string, output: string): string => path.join(run, step, 'parameters', output);
  const where = (src: PlanSource): string => {
    if (src.from === 'input') return path.resolve(base, plan.inputs[src.input]!);
    if (src.from === 'step') {
      const s = plan.steps.find((x) => x.name === src.step)!;
      return isValue(s, src.output) ? valueFile(s.name, src.output) : outputPath(s, src.output);
    }
    return src.uri;
  };
  for (const step of plan.steps) {
    const values = Object.keys(step.outputs).filter((k) => isValue(step, k));
    const binding: StepBinding = {
      inputs: Object.fromEntries(Object.entries(step.inputs).map(([k, v]) => [k, Array.isArray(v) ? (v as PlanSource[]).map(where) : where(v as PlanSource)])),
      outputs: Object.fromEntries(
        Object.keys(step.outputs)
          .filter((k) => !isValue(step, k))
          .map((k) => [k, path.join(run, step.name, k)]),
      ),
      ...(values.length ? { outputFiles: Object.fromEntries(values.map((k) => [k, valueFile(step.name, k)])) } : {}),
      ...(step.when.length ? { when: Object.fromEntries(step.when.map((g) => [g.step, valueFile(g.step, g.output)])) } : {}),
      registry,
    };
    const args = stepArguments(plan, step, binding);
    // A container task: its own working folder, no MLOPS_HOME (the registry comes from --root).
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'task-'));
    const env = { ...process.env };
    delete env.MLOPS_HOME;
    delete env.MLOPS_MODEL_NAME;
    const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env });
    const json = JSON.parse(r.stdout) as Record<string, any>;
    results[step.name] = { ok: r.status === 0 && json.ok === true, args, json };
    if (r.status !== 0) throw new Error(`step ${step.name} failed (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
  }
  return results;
}

describe('a plan run as container tasks of the built CLI', () => {
  t("split → train → evaluate → gate → register (--root a registry folder) → predict over a folder, then the batch job's arguments", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloud-plan-'));
    fs.mkdirSync(path.join(dir, 'data', 'batch'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'history.csv'), regression(300, 1));
    fs.writeFileSync(path.join(dir, 'data', 'batch', '2024-06-02.csv'), regression(6, 2, false));
    fs.writeFileSync(path.join(dir, 'data', 'batch', '2024-06-01.csv'), regression(4, 3, false));
    const file = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(file, CHAIN);
    const pipeline = parsePipeline(CHAIN, file);
    const plan = planForCloud(pipeline, { target: TARGET, source: file });
    expect(plan.steps.map((s) => s.name)).toEqual(['split', 'train', 'evaluate', 'gate', 'register', 'score-batch']);
    expect(plan.deploy).toEqual({ step: 'serve', after: ['register'], when: plan.steps.find((s) => s.name === 'register')!.when });
    const predict = plan.steps.find((s) => s.uses === 'predict')!;
    expect(predict).toMatchObject({
      inputs: { model: { from: 'registry', uri: 'models:/bike-demand@champion' }, data: { from: 'input', input: 'batch' } },
      readsRegistry: true,
      writesRegistry: false,
    });
    expect(predict.outputs).toEqual({ predictions: 'predictions' });

    // The local runner runs the same steps in the same order (serve is the deploy action in the cloud).
    const local = await runPipeline(file, { root: path.join(dir, 'local') });
    expect(local.ok).toBe(true);
    expect(local.run.steps.map((s) => s.name).filter((n) => n !== 'serve')).toEqual(plan.steps.map((s) => s.name));

    const registry = path.join(dir, 'registry-folder');
    const run = path.join(dir, 'runs', 'run-1');
    const results = runLikeAnEngine(plan, dir, run, registry);
    expect(Object.values(results).every((r) => r.ok)).toBe(true);
    expect(results.split!.json.metrics).toEqual({ rows: 300, train_rows: 225, test_rows: 75 });
    expect(results.gate!.args).toContain('--root');
    expect(fs.readFileSync(path.join(run, 'gate', 'parameters', 'passed'), 'utf8')).toBe('true');
    expect(JSON.parse(fs.readFileSync(path.join(run, 'gate', 'decision', 'decision.json'), 'utf8')).passed).toBe(true);
    expect(results.register!.json.metrics).toEqual({ version: 1, promoted: 1 });
    // The registry folder holds the model the run registered, as champion, as the local registry would.
    const reg = new LocalRegistry(path.join(registry, 'registry'));
    expect(reg.versions('bike-demand').map((v) => v.version)).toEqual([1]);
    expect(reg.aliases('bike-demand')).toMatchObject({ champion: 1 });
    const registration = JSON.parse(fs.readFileSync(path.join(run, 'register', 'registration', 'registration.json'), 'utf8'));
    expect(registration).toMatchObject({ name: 'bike-demand', version: 1, promoted: true, champion: 1 });
    // The pipeline's predict step scored the batch folder with the champion: one CSV per input CSV.
    const preds = path.join(run, 'score-batch', 'predictions', 'predictions');
    expect(results['score-batch']!.json).toMatchObject({ metrics: { files: 2, rows: 10 }, outputs: { predictions: preds } });
    expect(fs.readdirSync(preds).sort()).toEqual(['2024-06-01.csv', '2024-06-02.csv']);
    const day1 = fs.readFileSync(path.join(preds, '2024-06-01.csv'), 'utf8').trim().split('\n');
    expect(day1[0]).toBe('id,prediction');
    expect(day1.slice(1).map((l) => l.split(',')[0])).toEqual(['r3-0', 'r3-1', 'r3-2', 'r3-3']);
    expect(day1.slice(1).every((l) => Number.isFinite(Number(l.split(',')[1])))).toBe(true);

    // The batch scoring job: exactly batchArguments' command line, the champion read under the registry folder.
    const out = path.join(dir, 'data', 'batch-predictions');
    const args = batchArguments(plan.model, { model: `models:/${plan.model}@champion`, data: path.join(dir, 'data', 'batch'), predictions: out, registry });
    const env = { ...process.env };
    delete env.MLOPS_HOME;
    const job = spawnSync(process.execPath, [bin, ...args], { cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'task-')), encoding: 'utf8', env });
    expect(job.status).toBe(0);
    expect(JSON.parse(job.stdout)).toMatchObject({ ok: true, uses: 'predict', step: 'batch', metrics: { files: 2, rows: 10 }, outputs: { predictions: out } });
    expect(fs.readdirSync(out).sort()).toEqual(['2024-06-01.csv', '2024-06-02.csv']);
    // Same model, same data: the same predictions as the pipeline's predict step (without the kept id column).
    const again = fs.readFileSync(path.join(out, '2024-06-01.csv'), 'utf8').trim().split('\n');
    expect(again[0]).toBe('prediction');
    expect(again.slice(1)).toEqual(day1.slice(1).map((l) => l.split(',')[1]));
  });
});

/** CHAIN with a drift step between split and train: training (and everything after it) runs only on new data. */
const GUARDED = CHAIN.replace(
  `  - name: train
    uses: train
    inputs:`,
  `  - name: drift
    uses: drift
    inputs: { data: "\${steps.split.outputs.train}", model: "models:/bike-demand@champion" }
    params: { psi: "\${params.psi}" }
  - name: train
    uses: train
    needs: [drift]
    inputs:`,
).replace('params: { seed: 0, r2: 0.8 }', 'params: { seed: 0, r2: 0.8, psi: null }');

describe('a drift step guards the steps after it in the cloud plan', () => {
  const pipeline = parsePipeline(GUARDED, 'guarded.yaml');
  const plan = planForCloud(pipeline, { target: TARGET, params: { psi: 0.3 } });

  test('every step that depends on the drift step (directly or through others) carries its proceed output as a guard; the others none', () => {
    const guard = [{ step: 'drift', output: 'proceed' }];
    expect(Object.fromEntries(plan.steps.map((s) => [s.name, s.when]))).toEqual({
      split: [],
      drift: [],
      train: guard,
      evaluate: guard,
      gate: guard,
      register: guard,
      'score-batch': guard,
    });
    expect(plan.deploy).toEqual({ step: 'serve', after: ['register'], when: guard });
    // psi comes from the pipeline parameter, overridable like any other.
    expect(plan.steps.find((s) => s.name === 'drift')!.params).toEqual({ psi: 0.3 });
    expect(plan.steps.find((s) => s.name === 'drift')!.outputs).toEqual({ report: 'drift.json', proceed: 'proceed.txt' });
  });

  test('stepArguments passes each guard as --when; a guard left unbound, or bound to a step it does not guard, is an error', () => {
    const train = plan.steps.find((s) => s.name === 'train')!;
    const binding: StepBinding = { inputs: { data: '/in/train.csv' }, outputs: { model: '/out/model' } };
    const args = stepArguments(plan, train, { ...binding, when: { drift: '/in/drift/proceed.txt' } });
    expect(args.slice(-2)).toEqual(['--when', '/in/drift/proceed.txt']);
    expect(() => stepArguments(plan, train, binding)).toThrow(/step 'train' is guarded by 'drift' \(its proceed\); bind its value file in binding\.when/);
    const split = plan.steps.find((s) => s.name === 'split')!;
    expect(() => stepArguments(plan, split, { inputs: { data: '/d.csv' }, outputs: { train: '/t', test: '/u' }, when: { drift: '/p' } })).toThrow(
      /step 'split' is not guarded by 'drift'/,
    );
    expect(stepArguments(plan, split, { inputs: { data: '/d.csv' }, outputs: { train: '/t', test: '/u' } })).not.toContain('--when');
  });

  t(
    'run as container tasks: the first run trains and registers; a run on the same data trains nothing, its gate says passed=false and nothing is registered',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloud-drift-'));
      fs.mkdirSync(path.join(dir, 'data', 'batch'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'data', 'history.csv'), regression(300, 1));
      fs.writeFileSync(path.join(dir, 'data', 'batch', '2024-06-01.csv'), regression(4, 3, false));
      const local = planForCloud(parsePipeline(GUARDED, path.join(dir, 'p.yaml')), { target: TARGET });
      const registry = path.join(dir, 'registry-folder');
      const first = runLikeAnEngine(local, dir, path.join(dir, 'runs', '1'), registry);
      expect(first.drift!.json.metrics).toMatchObject({ proceed: 1 });
      expect(fs.readFileSync(path.join(dir, 'runs', '1', 'drift', 'parameters', 'proceed'), 'utf8')).toBe('true');
      expect(first.train!.json.skipped).toBeUndefined();
      expect(first.register!.json.metrics).toEqual({ version: 1, promoted: 1 });

      const run2 = path.join(dir, 'runs', '2');
      const second = runLikeAnEngine(local, dir, run2, registry);
      expect(Object.values(second).every((r) => r.ok)).toBe(true);
      expect(fs.readFileSync(path.join(run2, 'drift', 'parameters', 'proceed'), 'utf8')).toBe('false');
      expect(JSON.parse(fs.readFileSync(path.join(run2, 'drift', 'report', 'drift.json'), 'utf8'))).toMatchObject({ decision: 'skip', sameData: true });
      for (const name of ['train', 'evaluate', 'gate', 'register', 'score-batch']) {
        expect(second[name]!.args).toEqual(expect.arrayContaining(['--when', path.join(run2, 'drift', 'parameters', 'proceed')]));
        expect(second[name]!.json).toMatchObject({ ok: true, skipped: { reason: expect.stringMatching(/is false/) } });
      }
      // The engines' gate conditions read these: nothing is registered in the cloud registry, nothing deployed.
      expect(fs.readFileSync(path.join(run2, 'gate', 'parameters', 'passed'), 'utf8')).toBe('false');
      expect(JSON.parse(fs.readFileSync(path.join(run2, 'gate', 'decision', 'decision.json'), 'utf8'))).toMatchObject({ passed: false, skipped: true });
      expect(new LocalRegistry(path.join(registry, 'registry')).versions('bike-demand').map((v) => v.version)).toEqual([1]);
      // Every output of a skipped step exists (engines upload or pass each one).
      for (const [k, f] of Object.entries(local.steps.find((s) => s.name === 'train')!.outputs)) expect(fs.existsSync(path.join(run2, 'train', k, f))).toBe(true);
    },
    60_000,
  );
});
