import { DependencyGraph, GraphEdge, GraphNode } from './types';
import { expressionsIn, isRecord, referencedAddresses } from './values';

export type { DependencyGraph, GraphEdge, GraphNode };

/**
 * The dependency graph of a synthesized stack, built the way Terraform builds
 * it: an edge from a block to every resource or data source it refers to in
 * any attribute (including `count`, `for_each`, `provisioner`, `connection`
 * and `lifecycle.replace_triggered_by`), to every address in its
 * `depends_on`, and to the configuration of the provider it uses (which in
 * turn depends on whatever its own attributes refer to). Terraform refuses to
 * plan a graph with a cycle (`Error: Cycle: …`), so a stack whose graph has
 * one cannot deploy.
 */

/** The nodes of a Terraform JSON document (`cdk.tf.json`). */
export function graphNodesOf(json: Record<string, any>): GraphNode[] {
  const nodes: GraphNode[] = [];
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, attrs] of Object.entries(byName as Record<string, unknown>)) {
      if (isRecord(attrs)) nodes.push({ address: `${type}.${name}`, attrs, kind: 'resource', type });
    }
  }
  for (const [type, byName] of Object.entries(json.data ?? {})) {
    for (const [name, attrs] of Object.entries(byName as Record<string, unknown>)) {
      if (isRecord(attrs)) nodes.push({ address: `data.${type}.${name}`, attrs, kind: 'data', type });
    }
  }
  for (const [type, configs] of Object.entries(json.provider ?? {})) {
    for (const attrs of (Array.isArray(configs) ? configs : [configs]) as unknown[]) {
      if (!isRecord(attrs)) continue;
      const alias = typeof attrs.alias === 'string' ? attrs.alias : undefined;
      nodes.push({ address: alias ? `provider.${type}.${alias}` : `provider.${type}`, attrs, kind: 'provider', type });
    }
  }
  return nodes;
}

/** The provider configuration address a resource or data source uses. */
function providerOf(node: GraphNode): string | undefined {
  if (node.kind === 'provider') return undefined;
  const explicit = node.attrs.provider;
  if (typeof explicit === 'string') {
    const text = explicit.startsWith('${') ? (expressionsIn(explicit)[0] ?? explicit) : explicit;
    return `provider.${text}`;
  }
  // terraform_data and the like belong to the built-in provider, which has no configuration.
  if (node.type.startsWith('terraform_')) return undefined;
  return `provider.${node.type.split('_')[0]}`;
}

/** Every `depends_on` entry as an address (`aws_iam_role.r`, `${aws_iam_role.r}`, `module.x` dropped). */
function dependsOnAddresses(value: unknown): string[] {
  const out: string[] = [];
  for (const entry of Array.isArray(value) ? value : []) {
    if (typeof entry !== 'string') continue;
    if (entry.includes('${')) {
      out.push(...referencedAddresses(entry));
    } else if (/^(data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_-]*$/.test(entry)) {
      out.push(entry);
    }
  }
  return out;
}

/** Walks an attribute tree, calling `visit` with each value's dotted path. */
function walk(value: unknown, path: string, visit: (path: string, value: string) => void): void {
  if (typeof value === 'string') {
    if (value.includes('${')) visit(path, value);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '//') continue;
      walk(v, path === '' ? k : `${path}.${k}`, visit);
    }
  }
}

/** Builds the dependency graph of a set of nodes (references to addresses outside the set are ignored). */
export function dependencyGraph(nodes: readonly GraphNode[]): DependencyGraph {
  const byAddress = new Map(nodes.map((n) => [n.address, n]));
  const dependsOn = new Map<string, Map<string, GraphEdge>>();
  for (const node of nodes) {
    const edges = new Map<string, GraphEdge>();
    const add = (to: string, via: string) => {
      if (byAddress.has(to) && !edges.has(to)) edges.set(to, { from: node.address, to, via });
    };
    for (const [key, value] of Object.entries(node.attrs)) {
      if (key === 'depends_on') {
        for (const to of dependsOnAddresses(value)) add(to, 'depends_on');
      } else if (key !== 'provider') {
        // Any other attribute: the references in its text (the provider's edge is added below).
        walk(value, key, (path, text) => {
          for (const to of referencedAddresses(text)) add(to, path);
        });
      }
    }
    const provider = providerOf(node);
    if (provider) add(provider, 'provider');
    dependsOn.set(node.address, edges);
  }
  return { nodes: byAddress, dependsOn };
}

/** The dependency graph of a Terraform JSON document. */
export function dependencyGraphOf(json: Record<string, any>): DependencyGraph {
  return dependencyGraph(graphNodesOf(json));
}

/**
 * The cycles of a graph: one closed path per strongly connected component
 * with more than one node (or a node that depends on itself), each starting
 * at its smallest address and listing the edges in order. Deterministic.
 */
export function findCycles(graph: DependencyGraph): GraphEdge[][] {
  const addresses = [...graph.nodes.keys()].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const successors = (a: string) => [...(graph.dependsOn.get(a)?.keys() ?? [])].sort();

  // Tarjan's algorithm, iterative so that deep graphs cannot overflow the call stack.
  for (const root of addresses) {
    if (index.has(root)) continue;
    const work: { node: string; next: number; succ: string[] }[] = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: 0, succ: successors(node) });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.next < frame.succ.length) {
        const w = frame.succ[frame.next++]!;
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(w)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.node);
        const selfLoop = component.length === 1 && graph.dependsOn.get(component[0]!)?.has(component[0]!);
        if (component.length > 1 || selfLoop) components.push(component.sort());
      }
    }
  }

  return components.sort((a, b) => (a[0]! < b[0]! ? -1 : 1)).map((component) => cyclePath(graph, component));
}

/** A shortest closed path through the component from its first node back to it. */
function cyclePath(graph: DependencyGraph, component: readonly string[]): GraphEdge[] {
  const members = new Set(component);
  const start = component[0]!;
  const previous = new Map<string, GraphEdge>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const edge of [...(graph.dependsOn.get(node)?.values() ?? [])].sort((a, b) => (a.to < b.to ? -1 : 1))) {
      if (!members.has(edge.to)) continue;
      if (edge.to === start) {
        const path = [edge];
        for (let at = node; at !== start; ) {
          const back = previous.get(at)!;
          path.unshift(back);
          at = back.from;
        }
        return path;
      }
      if (!previous.has(edge.to)) {
        previous.set(edge.to, edge);
        queue.push(edge.to);
      }
    }
  }
  return [];
}

/** A cycle in words: `a --(policy)--> b --(depends_on)--> a`. */
export function describeCycle(cycle: readonly GraphEdge[]): string {
  if (cycle.length === 0) return '';
  return `${cycle[0]!.from} ${cycle.map((e) => `--(${e.via})--> ${e.to}`).join(' ')}`;
}

/**
 * True when `from` depends on `to`, directly or through other blocks:
 * Terraform then creates `to` before `from` (and destroys it after).
 */
export function dependsTransitively(graph: DependencyGraph, from: string, to: string): boolean {
  const seen = new Set<string>([from]);
  const queue = [from];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.dependsOn.get(node)?.keys() ?? []) {
      if (next === to) return true;
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}
