import { ComparablePipeline, ComparableStep, Extractor } from './types';

/** Splits a POSIX shell command into words: single quotes (with '\'' escapes) and bare words; stops at `&&`. */
export function shellWords(command: string): { words: string[]; rest: string } {
  const words: string[] = [];
  let i = 0;
  while (i < command.length) {
    while (command[i] === ' ') i++;
    if (i >= command.length) break;
    if (command.startsWith('&&', i)) return { words, rest: command.slice(i + 2).trim() };
    let word = '';
    while (i < command.length && command[i] !== ' ') {
      if (command[i] === "'") {
        const end = command.indexOf("'", i + 1);
        if (end < 0) throw new Error(`unterminated quote in ${command}`);
        word += command.slice(i + 1, end);
        i = end + 1;
      } else if (command[i] === '\\') {
        word += command[i + 1] ?? '';
        i += 2;
      } else word += command[i++];
    }
    words.push(word);
  }
  return { words, rest: '' };
}

/**
 * Reads the comparable view out of the Azure ML compiled definition
 * (`{pipelineJob, components}`), without the plan: the nodes of the
 * PipelineJob in order; each node's step name, kind and params from its
 * component's `mlops pipeline step` command; its predecessors from the
 * `${{parent.jobs.<node>.outputs.<o>}}` bindings of its inputs; the gate is
 * the node whose command fails the run unless `decision.json` passed.
 */
export const extractAzure: Extractor = (definition) => {
  const job = definition.pipelineJob as { jobs: Record<string, { componentId: string; inputs?: Record<string, { value?: string }> }> };
  const components = definition.components as Record<string, { command: string }>;
  const nameOfNode = new Map<string, string>();
  const parsed = Object.entries(job.jobs).map(([node, n]) => {
    const spec = components[n.componentId];
    if (!spec) throw new Error(`node ${node} runs component ${n.componentId}, which the definition does not hold`);
    const { words, rest } = shellWords(spec.command);
    if (words[0] !== 'mlops' || words[1] !== 'pipeline' || words[2] !== 'step') throw new Error(`node ${node} does not run mlops pipeline step: ${spec.command}`);
    const flag = (f: string) => {
      const at = words.indexOf(f);
      if (at < 0) throw new Error(`node ${node}: no ${f} in ${spec.command}`);
      return words[at + 1]!;
    };
    const name = flag('--name');
    nameOfNode.set(node, name);
    const gates = /^node -e .*decision\.json/.test(rest) && rest.includes('passed!==true');
    const before = Object.values(n.inputs ?? {}).flatMap((i) => {
      const m = typeof i.value === 'string' ? /^\$\{\{parent\.jobs\.([^.]+)\.outputs\.[^}]+\}\}$/.exec(i.value) : null;
      return m ? [m[1]!] : [];
    });
    // Each --when is a file in an input folder bound to another node's output: that node.
    const when = words.flatMap((w, i) => {
      if (w !== '--when') return [];
      const input = /^\$\{\{inputs\.([A-Za-z0-9_]+)\}\}\//.exec(words[i + 1] ?? '')?.[1];
      const value = input ? n.inputs?.[input]?.value : undefined;
      const from = typeof value === 'string' ? /^\$\{\{parent\.jobs\.([^.]+)\.outputs\.[^}]+\}\}$/.exec(value)?.[1] : undefined;
      if (!from) throw new Error(`node ${node}: --when ${words[i + 1]} is not a file of another node's output`);
      return [from];
    });
    return { node, name, uses: flag('--uses'), params: JSON.parse(flag('--params')) as Record<string, unknown>, before, gates, when };
  });
  const order = parsed.map((p) => p.node);
  const steps: ComparableStep[] = parsed.map((p) => ({
    name: p.name,
    uses: p.uses,
    after: order.filter((n) => p.before.includes(n)).map((n) => nameOfNode.get(n)!),
    params: p.params,
    when: p.when.map((n) => nameOfNode.get(n)!),
  }));
  const gate = parsed.find((p) => p.gates)?.name;
  const result: ComparablePipeline = { steps, ...(gate !== undefined ? { gate } : {}) };
  return result;
};
