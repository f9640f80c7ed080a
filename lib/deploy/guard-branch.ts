/**
 * Which guarded steps a managed engine skips natively: the one home of the
 * rule the SageMaker and Vertex AI compilers share (Azure has no condition in
 * its stable REST API and relies on `--when` alone).
 *
 * A plan's guarded steps (`PlanStep.when` non-empty) run only when their drift
 * steps say `proceed`. `mlops pipeline step --when` enforces that inside each
 * container (the safety net every engine keeps); an engine condition on the
 * drift steps' `proceed` additionally keeps the containers from starting. The
 * compilers wrap the guarded steps in one condition (a SageMaker Condition
 * step's IfSteps, a KFP condition sub-DAG), so nothing outside it depends on a
 * step inside it (the guard propagates along dependencies, so no unguarded step
 * reads a guarded one). One condition fits when:
 * - every guarded step has the same guards (a step guarded by a drift step
 *   that is itself guarded by another would need two nested conditions with
 *   steps at both levels: not compiled natively);
 * - the gate's branch (the register step and everything after it) is either
 *   wholly inside the guarded set together with the gate (then the gate's
 *   condition nests inside the drift condition) or wholly outside it.
 * Any other plan is compiled as before: every guarded container starts and
 * exits at once on `--when` (correct, but each start is billed).
 */
import type { CloudPlan, PlanGuard } from './pipeline-plan';

/** The guarded steps one engine condition skips, and the guards it tests (all must say proceed). */
export interface GuardBranch {
  /** The drift steps whose `proceed` the condition tests (in plan order). */
  readonly guards: readonly PlanGuard[];
  /** The plan steps inside the condition (in plan order). */
  readonly steps: readonly string[];
  /** Whether the gate (and so its own condition) is inside the drift condition. */
  readonly holdsGate: boolean;
}

/** The plan's steps that run only when the gate passed: the register step and every step that (transitively) depends on it. */
export function gateBranchSteps(plan: CloudPlan): Set<string> {
  const out = new Set<string>();
  if (!plan.gate || !plan.register) return out;
  out.add(plan.register.step);
  for (const s of plan.steps) if (s.after.some((a) => out.has(a))) out.add(s.name);
  return out;
}

/** Why a plan's guarded steps cannot be skipped by one engine condition, or null when they can (or there are none). */
export function guardBranchProblem(plan: CloudPlan): string | null {
  const guarded = plan.steps.filter((s) => s.when.length);
  if (!guarded.length) return null;
  const key = (s: (typeof guarded)[number]): string => s.when.map((g) => `${g.step}.${g.output}`).join(',');
  const first = key(guarded[0]!);
  const other = guarded.find((s) => key(s) !== first);
  if (other)
    return `steps '${guarded[0]!.name}' and '${other.name}' are guarded by different drift steps (${first.replace(/\.proceed/g, '') || 'none'} vs ${key(other).replace(/\.proceed/g, '') || 'none'})`;
  const branch = gateBranchSteps(plan);
  if (branch.size) {
    const inside = new Set(guarded.map((s) => s.name));
    const gateInside = inside.has(plan.gate!);
    const mixed = [...branch].find((s) => inside.has(s) !== gateInside);
    if (mixed)
      return `the gate '${plan.gate}' is ${gateInside ? '' : 'not '}guarded but '${mixed}', which runs only when it passed, is ${gateInside ? 'not' : ''} guarded`.replace(
        / {2}/g,
        ' ',
      );
  }
  return null;
}

/** The guarded steps one engine condition skips (see the module comment), or undefined when there are none or they do not fit one condition. */
export function guardBranch(plan: CloudPlan): GuardBranch | undefined {
  const guarded = plan.steps.filter((s) => s.when.length);
  if (!guarded.length || guardBranchProblem(plan) !== null) return undefined;
  return { guards: guarded[0]!.when, steps: guarded.map((s) => s.name), holdsGate: !!plan.gate && guarded.some((s) => s.name === plan.gate) };
}
