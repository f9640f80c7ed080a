import { ComparableStep, Extractor } from './types';

type Json = Record<string, any>;

/**
 * Reads the comparable view out of the KFP PipelineSpec, without the plan:
 * every container task whose args run `pipeline step --uses <kind>` (the
 * root DAG and the sub-DAGs of the components it calls, nested ones
 * included), in the order the tasks are listed, its predecessors from
 * `dependentTasks` and, inside a sub-DAG, the producers of the artifacts and
 * parameters it gets through the channels of the sub-DAG tasks around it,
 * its params from `--params`, and the gate: the step task (not a drift step)
 * whose output parameter the `triggerPolicy.condition` of a sub-DAG task
 * reads.
 */
export const extractGcp: Extractor = (definition) => {
  const spec = definition as Json;
  const executors: Json = spec.deploymentSpec.executors;
  const components: Json = spec.components;
  const found: { task: string; name: string; uses: string; params: Record<string, unknown>; deps: string[]; when: string[] }[] = [];
  /** The producers of the parameters the sub-DAG tasks' `triggerPolicy.condition`s read (the gate's `passed`, the drift steps' `proceed`). */
  const conditionProducers: string[] = [];
  /** Follows a task input through the channels of the enclosing sub-DAG tasks (innermost last) to the task that produces it. */
  const producerOf = (input: Json | undefined, parents: readonly Json[], kind: 'artifacts' | 'parameters'): string | undefined => {
    const direct = kind === 'artifacts' ? input?.taskOutputArtifact?.producerTask : input?.taskOutputParameter?.producerTask;
    if (direct) return direct;
    const channel = kind === 'artifacts' ? input?.componentInputArtifact : input?.componentInputParameter;
    if (typeof channel !== 'string' || !parents.length) return undefined;
    return producerOf(parents[parents.length - 1]!.inputs?.[kind]?.[channel], parents.slice(0, -1), kind);
  };
  const walk = (tasks: Json, parents: readonly Json[]): void => {
    for (const [task, t] of Object.entries<Json>(tasks)) {
      const component = components[t.componentRef.name];
      // Inside a sub-DAG, an input from outside comes through the channels of the sub-DAG tasks around it.
      const channels = Object.values<Json>(t.inputs?.artifacts ?? {}).map((a) => producerOf(a, parents, 'artifacts'));
      const producerOfParam = (p: Json | undefined): string | undefined => producerOf(p, parents, 'parameters');
      const paramProducers = Object.values<Json>(t.inputs?.parameters ?? {}).map(producerOfParam);
      const deps = [...(t.dependentTasks ?? []), ...channels, ...paramProducers].filter((d): d is string => !!d);
      if (component.dag) {
        const condition: string | undefined = t.triggerPolicy?.condition;
        for (const m of (condition ?? '').matchAll(/parameter_values\['([^']+)'\]/g)) {
          const producer = producerOfParam(t.inputs.parameters[m[1]!]);
          if (producer) conditionProducers.push(producer);
        }
        walk(component.dag.tasks, [...parents, t]);
        continue;
      }
      const args: string[] = executors[component.executorLabel].container?.args ?? [];
      const at = args.indexOf('--uses');
      if (at < 0 || args[args.indexOf('step') - 1] !== 'pipeline') continue;
      found.push({
        task,
        name: t.taskInfo.name,
        uses: args[at + 1]!,
        params: JSON.parse(args[args.indexOf('--params') + 1]!),
        deps,
        // Each --when is an input parameter's value: the output parameter of the task that produces it.
        when: args.flatMap((a, i) => {
          if (a !== '--when') return [];
          const key = /^\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}$/.exec(args[i + 1]!)?.[1];
          const producer = key ? producerOfParam(t.inputs?.parameters?.[key]) : undefined;
          if (!producer) throw new Error(`task ${task}: --when ${args[i + 1]} is not an input parameter from a task`);
          return [producer];
        }),
      });
    }
  };
  walk(spec.root.dag.tasks, []);
  const nameOf = new Map(found.map((f) => [f.task, f.name]));
  const steps: ComparableStep[] = found.map((f) => ({
    name: f.name,
    uses: f.uses,
    after: found.filter((g) => f.deps.includes(g.task)).map((g) => g.name),
    params: f.params,
    when: f.when.map((w) => nameOf.get(w) ?? w),
  }));
  // The gate: the step a condition reads that is not a drift step (those guard the steps after them).
  const gateTask = conditionProducers.find((p) => found.find((f) => f.task === p)?.uses !== 'drift');
  return { steps, gate: gateTask ? nameOf.get(gateTask) : found.find((f) => f.uses === 'gate')?.name };
};
