/**
 * Issue 16: which guarded steps SageMaker and Vertex AI skip with one native
 * condition on the drift steps' `proceed` (lib/deploy/guard-branch.ts); the
 * compilers' use of it is tested in deploy-aws-pipeline and gcp-pipeline.
 */
import * as path from 'path';
import { gateBranchSteps, guardBranch, guardBranchProblem } from '../lib/deploy/guard-branch';
import { CloudPlan, loadCloudPlan, PlanStep } from '../lib/deploy/pipeline-plan';

const ROOT = path.resolve(__dirname, '..');
const load = (example: string): CloudPlan => loadCloudPlan(path.join(ROOT, 'examples', example, 'pipeline.yaml'), { target: 'test', skip: ['score'] }).plan;
const step = (name: string, uses: PlanStep['uses'], after: string[], when: string[]): PlanStep => ({
  name,
  uses,
  after,
  inputs: {},
  params: {},
  outputs: {},
  readsRegistry: false,
  writesRegistry: false,
  when: when.map((s) => ({ step: s, output: 'proceed' as const })),
});
const planOf = (steps: PlanStep[], extra: Partial<CloudPlan> = {}): CloudPlan => ({ pipeline: 'p', model: 'm', params: {}, inputs: {}, steps, skipped: [], ...extra });

describe('guardBranch', () => {
  test('the example with a drift step: every step after it, the gate with them', () => {
    const plan = load('demand-forecast');
    expect(guardBranchProblem(plan)).toBeNull();
    expect(guardBranch(plan)).toEqual({
      guards: [{ step: 'drift', output: 'proceed' }],
      steps: ['train-forest', 'train-gbdt', 'select', 'evaluate', 'gate', 'register', 'report'],
      holdsGate: true,
    });
    expect([...gateBranchSteps(plan)]).toEqual(['register', 'report']);
  });

  test('examples without a drift step have no branch', () => {
    for (const example of ['churn', 'transformer-overload']) {
      expect(guardBranch(load(example))).toBeUndefined();
      expect(guardBranchProblem(load(example))).toBeNull();
    }
  });

  test('steps guarded by different drift steps do not fit one condition, and the reason names them', () => {
    const plan = planOf([step('d1', 'drift', [], []), step('d2', 'drift', ['d1'], ['d1']), step('t', 'train', ['d2'], ['d1', 'd2'])]);
    expect(guardBranch(plan)).toBeUndefined();
    expect(guardBranchProblem(plan)).toBe("steps 'd2' and 't' are guarded by different drift steps (d1 vs d1,d2)");
    // Two independent drift steps guarding the same steps: one condition testing both.
    const both = planOf([step('d1', 'drift', [], []), step('d2', 'drift', [], []), step('t', 'train', ['d1', 'd2'], ['d1', 'd2'])]);
    expect(guardBranch(both)?.guards.map((g) => g.step)).toEqual(['d1', 'd2']);
  });

  test('a gate and its register branch on different sides of the guard do not fit', () => {
    const register = { step: 'register', model: { from: 'step' as const, step: 't', output: 'model' } };
    // The drift step between the gate and the register step: the gate is not guarded, the register step is.
    const plan = planOf([step('t', 'train', [], []), step('gate', 'gate', ['t'], []), step('d', 'drift', [], []), step('register', 'register', ['gate', 'd'], ['d'])], {
      gate: 'gate',
      register,
    });
    expect(guardBranch(plan)).toBeUndefined();
    expect(guardBranchProblem(plan)).toBe("the gate 'gate' is not guarded but 'register', which runs only when it passed, is guarded");
    // Both unguarded beside a guarded step: the gate's condition stays outside the drift condition.
    const apart = planOf(
      [step('t', 'train', [], []), step('gate', 'gate', ['t'], []), step('register', 'register', ['gate'], []), step('d', 'drift', [], []), step('x', 'report', ['d'], ['d'])],
      { gate: 'gate', register },
    );
    expect(guardBranch(apart)).toEqual({ guards: [{ step: 'd', output: 'proceed' }], steps: ['x'], holdsGate: false });
  });
});
