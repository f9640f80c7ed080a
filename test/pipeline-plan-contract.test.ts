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
import { PLAN_STEP_KINDS } from '../lib/deploy/pipeline-plan';

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
