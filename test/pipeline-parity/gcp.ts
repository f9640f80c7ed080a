import { ComparableStep, Extractor } from './types';

type Json = Record<string, any>;

/**
 * Reads the comparable view out of the KFP PipelineSpec, without the plan:
 * every container task whose args run `pipeline step --uses <kind>` (the
 * root DAG and the sub-DAGs of the components it calls), in the order the
 * tasks are listed, its predecessors from `dependentTasks` and, inside a
 * sub-DAG, the producers of the artifacts it gets through the sub-DAG
 * task's channels, its params from
 * `--params`, and the gate: the step task whose output parameter the
 * `triggerPolicy.condition` of a sub-DAG task reads.
 */
export const extractGcp: Extractor = (definition) => {
  const spec = definition as Json;
  const executors: Json = spec.deploymentSpec.executors;
  const components: Json = spec.components;
  const found: { task: string; name: string; uses: string; params: Record<string, unknown>; deps: string[]; when: string[] }[] = [];
  let gateTask: string | undefined;
  const walk = (tasks: Json, parent?: Json): void => {
    for (const [task, t] of Object.entries<Json>(tasks)) {
      const component = components[t.componentRef.name];
      // Inside a sub-DAG, an artifact from outside comes through a channel of the sub-DAG task.
      const channels = Object.values<Json>(t.inputs?.artifacts ?? {})
        .map((a) => a.componentInputArtifact)
        .filter((c): c is string => typeof c === 'string')
        .map((c) => parent?.inputs?.artifacts?.[c]?.taskOutputArtifact?.producerTask);
      // An input parameter: a task's output parameter, or (inside a sub-DAG) a channel of the sub-DAG task.
      const producerOfParam = (p: Json | undefined): string | undefined =>
        p?.taskOutputParameter?.producerTask ?? parent?.inputs?.parameters?.[p?.componentInputParameter]?.taskOutputParameter?.producerTask;
      const paramProducers = Object.values<Json>(t.inputs?.parameters ?? {}).map(producerOfParam);
      const deps = [...(t.dependentTasks ?? []), ...channels, ...paramProducers];
      if (component.dag) {
        const condition: string | undefined = t.triggerPolicy?.condition;
        if (condition) {
          const channel = /parameter_values\['([^']+)'\]/.exec(condition)?.[1];
          gateTask = channel ? t.inputs.parameters[channel].taskOutputParameter.producerTask : undefined;
        }
        walk(component.dag.tasks, t);
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
  walk(spec.root.dag.tasks);
  const nameOf = new Map(found.map((f) => [f.task, f.name]));
  const steps: ComparableStep[] = found.map((f) => ({
    name: f.name,
    uses: f.uses,
    after: found.filter((g) => f.deps.includes(g.task)).map((g) => g.name),
    params: f.params,
    when: f.when.map((w) => nameOf.get(w) ?? w),
  }));
  return { steps, gate: gateTask ? nameOf.get(gateTask) : found.find((f) => f.uses === 'gate')?.name };
};
