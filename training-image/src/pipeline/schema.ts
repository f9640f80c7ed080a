import { z } from 'zod';
import { parseYamlText } from '../core/yaml';

/** The step kinds a pipeline can use (see FORMAT.md for each one's inputs, params and outputs). */
export const STEP_KINDS = ['validate', 'split', 'drift', 'train', 'forecast', 'evaluate', 'select', 'gate', 'register', 'predict', 'serve', 'score', 'report'] as const;

/** One step kind. */
export type StepKind = (typeof STEP_KINDS)[number];

/** The outputs each step kind writes (name → default relative path in the step's work directory). */
export const STEP_OUTPUTS: Readonly<Record<StepKind, Readonly<Record<string, string>>>> = {
  validate: { report: 'validation.json' },
  split: { train: 'train.csv', test: 'test.csv' },
  drift: { report: 'drift.json', proceed: 'proceed.txt' },
  train: { model: 'model' },
  forecast: { model: 'model' },
  evaluate: { metrics: 'metrics.json' },
  select: { model: 'model', selection: 'selection.json' },
  gate: { decision: 'decision.json', passed: 'passed.txt' },
  register: { registration: 'registration.json' },
  predict: { predictions: 'predictions' },
  serve: { endpoint: 'endpoint.json' },
  score: { response: 'response.json' },
  report: { report: 'report' },
};

/** Outputs that are value files holding exactly `true` or `false` (what engines' conditions and `--when` read). */
export const VALUE_OUTPUTS: Readonly<Partial<Record<StepKind, readonly string[]>>> = { gate: ['passed'], drift: ['proceed'] };

/** Step kinds that are not cached by default (side effects that must happen on every run). */
export const UNCACHED_KINDS: readonly StepKind[] = ['serve', 'score', 'report'];

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/** The schema of one step. */
export const StepSchema = z
  .object({
    /** Unique step name: letters, digits, '-' and '_' (referenced as `${steps.<name>.outputs.<output>}`). */
    name: z.string().regex(NAME, "a step name must start with a letter and hold only letters, digits, '-' or '_' (≤ 63 characters)"),
    /** What the step does. */
    uses: z.enum(STEP_KINDS),
    /** Free text. */
    description: z.string().optional(),
    /** Steps that must finish first (references to other steps' outputs add these implicitly). */
    needs: z.array(z.string()).default([]),
    /** Named inputs: paths or URIs (relative paths are relative to the pipeline file); a list for `select`. */
    inputs: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
    /** Output name → path relative to the step's work directory (defaults per kind; an absolute path or URI is used as is). */
    outputs: z.record(z.string(), z.string()).default({}),
    /** Plain data (JSON-able) for the step; `${params.x}` takes a pipeline parameter. */
    params: z.record(z.string(), z.unknown()).default({}),
    /** Skip the step when its inputs and params are unchanged. @default true (false for serve, score, report) */
    cache: z.boolean().optional(),
  })
  .strict();

/** The schema of a pipeline file (YAML). */
export const PipelineSchema = z
  .object({
    /** Pipeline format version. */
    version: z.literal(1).default(1),
    /** Pipeline name (names runs and the work directory). */
    name: z.string().regex(NAME, "a pipeline name must start with a letter and hold only letters, digits, '-' or '_'"),
    /** Free text. */
    description: z.string().optional(),
    /** Registry model name used by gate/register/serve. @default the pipeline name */
    model: z.string().regex(NAME, "a model name must start with a letter and hold only letters, digits, '-' or '_'").optional(),
    /** Pipeline parameters (plain data), referenced as `${params.<name>}`; overridable from the command line. */
    params: z.record(z.string(), z.unknown()).default({}),
    /** Pipeline inputs (paths or URIs), referenced as `${inputs.<name>}`. */
    inputs: z.record(z.string(), z.string()).default({}),
    /** The steps, in any order (they run in dependency order). */
    steps: z.array(StepSchema).min(1),
  })
  .strict();

/** A parsed pipeline definition. */
export type Pipeline = z.infer<typeof PipelineSchema>;

/** One parsed step. */
export type Step = z.infer<typeof StepSchema>;

/** A problem with a pipeline definition: `{code, path, message}`. */
export interface PipelineIssue {
  /** Stable code: BAD_YAML, BAD_PIPELINE, UNKNOWN_STEP, DUPLICATE_STEP, CYCLE, BAD_REFERENCE. */
  readonly code: 'BAD_YAML' | 'BAD_PIPELINE' | 'UNKNOWN_STEP' | 'DUPLICATE_STEP' | 'CYCLE' | 'BAD_REFERENCE';
  /** Where: e.g. `steps[2].inputs.data`. */
  readonly path: string;
  /** What is wrong, the value, and the fix. */
  readonly message: string;
}

/** Thrown when a pipeline file cannot be used; carries every issue found. */
export class PipelineError extends Error {
  constructor(
    message: string,
    /** Every issue found. */
    public readonly issues: readonly PipelineIssue[] = [],
  ) {
    super(issues.length ? `${message}\n${issues.map((i) => `  - [${i.code}] ${i.path}: ${i.message}`).join('\n')}` : message);
    this.name = 'PipelineError';
  }
}

function pathOf(p: readonly PropertyKey[]): string {
  let s = '';
  for (const k of p) s += typeof k === 'number' ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s || '(root)';
}

const REF = /\$\{([^}]*)\}/g;

/** The `${…}` references in a value (strings, arrays, objects). */
export function references(v: unknown): string[] {
  if (typeof v === 'string') return [...v.matchAll(REF)].map((m) => m[1]!.trim());
  if (Array.isArray(v)) return v.flatMap(references);
  if (v && typeof v === 'object') return Object.values(v).flatMap(references);
  return [];
}

/** Parses and checks a pipeline definition (shape, unique names, references, cycles); throws {@link PipelineError} with every issue. */
export function parsePipeline(text: string, source = '<pipeline>'): Pipeline {
  let doc: unknown;
  try {
    doc = parseYamlText(text);
  } catch (e) {
    throw new PipelineError(`${source}: not valid YAML.`, [{ code: 'BAD_YAML', path: '(root)', message: (e as Error).message }]);
  }
  const r = PipelineSchema.safeParse(doc);
  if (!r.success) {
    const issues = r.error.issues.map((i): PipelineIssue => {
      const got = valueAt(doc, i.path);
      return { code: 'BAD_PIPELINE', path: pathOf(i.path), message: `${i.message}${got !== undefined ? ` (got ${JSON.stringify(got)?.slice(0, 80)})` : ''}` };
    });
    throw new PipelineError(`${source}: the pipeline definition is invalid; see FORMAT.md.`, issues);
  }
  const p = r.data;
  const issues: PipelineIssue[] = [];
  const names = new Map<string, number>();
  p.steps.forEach((s, i) => {
    if (names.has(s.name))
      issues.push({
        code: 'DUPLICATE_STEP',
        path: `steps[${i}].name`,
        message: `step name ${JSON.stringify(s.name)} is already used by steps[${names.get(s.name)}]; give each step a unique name.`,
      });
    else names.set(s.name, i);
  });
  p.steps.forEach((s, i) => {
    s.needs.forEach((n, j) => {
      if (!names.has(n))
        issues.push({
          code: 'UNKNOWN_STEP',
          path: `steps[${i}].needs[${j}]`,
          message: `needs ${JSON.stringify(n)}, which is not a step; steps are ${[...names.keys()].join(', ')}.`,
        });
    });
    for (const field of ['inputs', 'params'] as const) {
      for (const [k, v] of Object.entries(s[field])) {
        for (const ref of references(v)) {
          const problem = checkRef(ref, p, names, s.name);
          if (problem) issues.push({ code: 'BAD_REFERENCE', path: `steps[${i}].${field}.${k}`, message: problem });
        }
      }
    }
  });
  if (!issues.length) {
    const cycle = findCycle(p);
    if (cycle) issues.push({ code: 'CYCLE', path: 'steps', message: `the steps depend on each other in a cycle: ${cycle.join(' → ')}; remove one of these dependencies.` });
  }
  if (issues.length) throw new PipelineError(`${source}: the pipeline definition is invalid; see FORMAT.md.`, issues);
  return p;
}

function valueAt(doc: unknown, p: readonly PropertyKey[]): unknown {
  let v: unknown = doc;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function checkRef(ref: string, p: Pipeline, names: Map<string, number>, self: string): string | null {
  const parts = ref.split('.');
  const ok = 'use ${params.<name>}, ${inputs.<name>}, ${env.<NAME>} or ${steps.<step>.outputs.<output>}';
  if (parts[0] === 'params' && parts.length === 2)
    return parts[1]! in p.params ? null : `\${${ref}}: pipeline parameter '${parts[1]}' is not defined under params (defined: ${Object.keys(p.params).join(', ') || 'none'}).`;
  if (parts[0] === 'inputs' && parts.length === 2)
    return parts[1]! in p.inputs ? null : `\${${ref}}: pipeline input '${parts[1]}' is not defined under inputs (defined: ${Object.keys(p.inputs).join(', ') || 'none'}).`;
  if (parts[0] === 'env' && parts.length === 2) return null;
  if (parts[0] === 'steps' && parts.length === 4 && parts[2] === 'outputs') {
    const idx = names.get(parts[1]!);
    if (idx === undefined) return `\${${ref}}: there is no step named '${parts[1]}'.`;
    if (parts[1] === self) return `\${${ref}}: a step cannot use its own outputs.`;
    const step = p.steps[idx]!;
    const outs = { ...STEP_OUTPUTS[step.uses], ...step.outputs };
    return parts[3]! in outs ? null : `\${${ref}}: step '${parts[1]}' (${step.uses}) has no output '${parts[3]}'; its outputs are ${Object.keys(outs).join(', ')}.`;
  }
  return `\${${ref}} is not a reference this runner knows; ${ok}.`;
}

/** The steps each step depends on: `needs` plus the steps whose outputs it references. */
export function dependencies(step: Step): string[] {
  const deps = new Set(step.needs);
  for (const v of [...Object.values(step.inputs), ...Object.values(step.params)]) {
    for (const ref of references(v)) {
      const parts = ref.split('.');
      if (parts[0] === 'steps' && parts[1]) deps.add(parts[1]);
    }
  }
  return [...deps];
}

function findCycle(p: Pipeline): string[] | null {
  const byName = new Map(p.steps.map((s) => [s.name, s]));
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 2) return null;
    if (state.get(n) === 1) return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 1);
    stack.push(n);
    for (const d of dependencies(byName.get(n)!)) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const s of p.steps) {
    const c = visit(s.name);
    if (c) return c;
  }
  return null;
}

/** The steps in dependency order (stable: ties keep file order). Assumes a pipeline checked by {@link parsePipeline}. */
export function topologicalOrder(p: Pipeline): Step[] {
  const done = new Set<string>();
  const out: Step[] = [];
  const pending = [...p.steps];
  while (pending.length) {
    const i = pending.findIndex((s) => dependencies(s).every((d) => done.has(d)));
    if (i < 0) throw new PipelineError('the steps depend on each other in a cycle.');
    const [s] = pending.splice(i, 1);
    out.push(s!);
    done.add(s!.name);
  }
  return out;
}
