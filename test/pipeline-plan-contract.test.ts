/**
 * Issue 16: the third contract between the packages, the cloud plan of a
 * pipeline. The runtime (`training-image/src/pipeline/plan.ts`) builds it;
 * the construct library (`lib/deploy/pipeline-plan.ts`) loads the runtime's
 * compiled parser and planner and checks the plan's shape with its own copy
 * of it (`CloudPlanSchema`), because lib/ may not import the runtime's
 * source. This test reads the runtime's compiled `dist` (built by `npm run
 * build`) and asserts the two sides agree.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MlopsValidationError } from '../lib/core/errors';
import { PIPELINE_ENGINES } from '../lib/deploy/from-config';
import { CloudPlanSchema, loadCloudPlan, PLAN_STEP_KINDS, PlanStep, StepBinding } from '../lib/deploy/pipeline-plan';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'training-image', 'dist', 'src', 'pipeline');
const runtime = (rel: string) => require(path.join(DIST, rel));

beforeAll(() => {
  if (!fs.existsSync(path.join(DIST, 'plan.js')))
    throw new Error(`${DIST}/plan.js is missing: run \`npm run build\` first (the runtime's compiled planner is what the library loads).`);
});

test("the step kinds the library compiles are the runtime's cloud container kinds, in the same order", () => {
  const { CLOUD_CONTAINER_KINDS } = runtime('plan');
  expect([...PLAN_STEP_KINDS]).toEqual([...CLOUD_CONTAINER_KINDS]);
  // Each is a step kind of the runtime; serve and score never run in a container task.
  const { STEP_KINDS } = runtime('schema');
  for (const k of PLAN_STEP_KINDS) expect(STEP_KINDS).toContain(k);
  expect(PLAN_STEP_KINDS).not.toContain('serve');
  expect(PLAN_STEP_KINDS).not.toContain('score');
});

const EXAMPLES = ['churn', 'demand-forecast', 'transformer-overload'];
const CLOUDS = Object.keys(PIPELINE_ENGINES) as (keyof typeof PIPELINE_ENGINES)[];
const file = (example: string) => path.join(ROOT, 'examples', example, 'pipeline.yaml');

/** A binding for every input and output of a step, as an engine would give it (the gate's `passed` as an exact file on Vertex AI). */
function bindingFor(step: PlanStep, cloud: string): StepBinding {
  const inputs: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(step.inputs)) inputs[k] = Array.isArray(v) ? v.map((_, i) => `/in/${k}/${i}`) : `/in/${k}`;
  const exact = cloud === 'gcp' && step.uses === 'gate' ? { passed: "{{$.outputs.parameters['passed'].output_file}}" } : undefined;
  const outputs = Object.fromEntries(
    Object.keys(step.outputs)
      .filter((k) => !exact || !(k in exact))
      .map((k) => [k, `/out/${k}`]),
  );
  // Each guard: the drift step's proceed, a value file (a KFP input parameter's value on Vertex AI).
  const when = Object.fromEntries(step.when.map((g) => [g.step, cloud === 'gcp' ? `{{$.inputs.parameters['${g.step}-${g.output}']}}` : `/in/when/${g.step}/proceed.txt`]));
  return { inputs, outputs, ...(exact ? { outputFiles: exact } : {}), ...(step.when.length ? { when } : {}), registry: '/registry' };
}

describe.each(CLOUDS)('%s: the library loads the runtime plan of every example', (cloud) => {
  const target = PIPELINE_ENGINES[cloud];
  test.each(EXAMPLES)('%s', (example) => {
    const loaded = loadCloudPlan(file(example), { target, skip: ['score'] });
    // What the runtime builds, read from its compiled dist independently of the library's loader.
    const { parsePipeline } = runtime('schema');
    const plan = runtime('plan');
    const expected = plan.planForCloud(parsePipeline(fs.readFileSync(file(example), 'utf8'), file(example)), { target, skip: ['score'], source: file(example) });
    expect(CloudPlanSchema.safeParse(expected).error).toBeUndefined();
    expect(loaded.file).toBe(file(example));
    expect(loaded.plan.steps.map((s) => s.name)).toEqual(expected.steps.map((s: PlanStep) => s.name));
    expect(loaded.plan).toEqual(expected);
    for (const s of loaded.plan.steps) expect(loaded.stepArguments(s, bindingFor(s, cloud))).toEqual(plan.stepArguments(expected, s, bindingFor(s, cloud)));
    const batch = { model: `models:/${loaded.plan.model}@champion`, data: '/in/batch', predictions: '/out/predictions', registry: '/registry' };
    expect(loaded.batchArguments(batch)).toEqual(plan.batchArguments(expected.model, batch));
    const gate = loaded.plan.steps.find((s) => s.name === loaded.plan.gate)!;
    expect(gate.outputs).toEqual({ decision: 'decision.json', passed: 'passed.txt' });
    // A guarded step's arguments carry --when (the drift step's proceed); demand-forecast has a drift step.
    for (const s of loaded.plan.steps) expect(loaded.stepArguments(s, bindingFor(s, cloud)).includes('--when')).toBe(s.when.length > 0);
    if (example === 'demand-forecast') expect(gate.when).toEqual([{ step: 'drift', output: 'proceed' }]);
  });

  test("the runtime's refusal is a config error naming the file, the step and the fix", () => {
    let err: unknown;
    try {
      loadCloudPlan(file('churn'), { target });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MlopsValidationError);
    const issues = (err as MlopsValidationError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toMatch(/^deployment\.pipeline\.file: steps\[\d+\]\.uses$/);
    expect(issues[0]!.message).toContain(`[BAD_PIPELINE] step 'score' (score) cannot run on ${target}`);
    expect(issues[0]!.message).toContain('deployment.pipeline.skip');
  });
});

test('the shape check is strict: a plan the runtime changed without the library is refused, not compiled', () => {
  const plan = runtime('plan').planForCloud(runtime('schema').parsePipeline(fs.readFileSync(file('churn'), 'utf8')), { target: 'x', skip: ['score'] });
  expect(CloudPlanSchema.safeParse(plan).success).toBe(true);
  expect(CloudPlanSchema.safeParse({ ...plan, steps: [{ ...plan.steps[0], uses: 'serve' }, ...plan.steps.slice(1)] }).success).toBe(false);
  expect(CloudPlanSchema.safeParse({ ...plan, steps: [{ ...plan.steps[0], cache: true }, ...plan.steps.slice(1)] }).success).toBe(false);
  expect(CloudPlanSchema.safeParse({ ...plan, deploy: { step: 'serve' } }).success).toBe(false);
  // A runtime without guards (no `when`) is refused: a compiler would run guarded steps unconditionally.
  const { when: _dropped, ...unguarded } = plan.steps[0];
  expect(CloudPlanSchema.safeParse({ ...plan, steps: [unguarded, ...plan.steps.slice(1)] }).success).toBe(false);
});
