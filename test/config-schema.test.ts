/**
 * Issue 15, item 1: the config schema is the one source of every field's
 * default, limits and documentation. This test walks every node of the zod
 * schema on its own (not through CONFIG_FIELDS) and holds each one against
 * the documentation, the README's config table and the defaults the schema
 * really applies.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { CONFIG_FIELDS, StackConfigSchema } from '../lib/config';
import { showDefault } from '../lib/config/schema';
import { SETTING_DEFAULTS, SETTING_RANGES } from '../lib/core/settings';
import { configIssues, validConfig } from './util';

type Def = { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[]; defaultValue?: unknown };
const defOf = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;

interface Node {
  readonly path: string;
  /** The schema without optional/default wrappers. */
  readonly schema: z.ZodType;
  readonly hasDefault: boolean;
  readonly leaf: boolean;
}

/** Every node of the schema, by dotted path (`*` for map keys and list items; the backend kinds' keys merged). */
function walk(schema: z.ZodType, at: string[] = [], out = new Map<string, Node>()): Map<string, Node> {
  let s = schema;
  let hasDefault = false;
  for (;;) {
    const d = defOf(s);
    if (d.type === 'default' || d.type === 'prefault') hasDefault = true;
    if (!['optional', 'default', 'prefault'].includes(d.type)) break;
    s = d.innerType!;
  }
  const d = defOf(s);
  const key = at.join('.');
  const objects = d.type === 'union' && d.options!.every((o) => defOf(o).type === 'object');
  const leaf = !['object', 'record', 'array'].includes(d.type) && !objects;
  if (at.length > 0 && !out.has(key)) out.set(key, { path: key, schema: s, hasDefault, leaf });
  if (d.type === 'object') {
    const entries = Object.entries(d.shape!);
    // The Azure private DNS zones: a fixed set of keys that all mean the same, documented as `*`.
    const uniform = entries.length > 3 && entries.every(([, v]) => v.meta() === entries[0]![1].meta() || JSON.stringify(v.meta()) === JSON.stringify(entries[0]![1].meta()));
    if (uniform && at[at.length - 1] === 'privateDnsZoneIds') walk(entries[0]![1], [...at, '*'], out);
    else for (const [k, v] of entries) walk(v, [...at, k], out);
  } else if (d.type === 'record') walk(d.valueType!, [...at, '*'], out);
  else if (d.type === 'array') walk(d.element!, [...at, '*'], out);
  else if (objects) for (const o of d.options!) for (const [k, v] of Object.entries(defOf(o).shape!)) walk(v, [...at, k], out);
  return out;
}

const NODES = [...walk(StackConfigSchema).values()];
const LEAVES = NODES.filter((n) => n.leaf);

/** The README's config table, by field. */
function readmeRows(): Map<string, { meaning: string; accepted: string; default: string }> {
  const text = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const table = text.slice(text.indexOf('<!-- generated:config -->'), text.indexOf('<!-- /generated:config -->'));
  const rows = new Map<string, { meaning: string; accepted: string; default: string }>();
  for (const line of table.split('\n')) {
    const m = /^\| `([^`]+)` \| (.*) \| (.*) \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1]!, { meaning: m[2]!.replace(/\\\|/g, '|'), accepted: m[3]!.replace(/\\\|/g, '|'), default: m[4]!.replace(/\\\|/g, '|') });
  }
  return rows;
}

/** A config input with every optional section present (and private mode, for network.existing). */
function fullInput(): Record<string, any> {
  return {
    ...validConfig('aws'),
    network: { mode: 'private', existing: { aws: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-01234567', 'subnet-89abcdef'] } } },
    deployers: ['arn:aws:iam::123456789012:role/Admin'],
    deployment: {
      model: 'bike-demand',
      training: { data: 'datasets/bike/hour.csv' },
      pipeline: { file: 'examples/demand-forecast/pipeline.yaml' },
      schedule: { cron: '0 3 * * *' },
      batch: { input: 'batch/bike/', schedule: { cron: '0 4 * * *' } },
    },
    ci: { github: { repository: 'contoso/ml-platform' } },
    alerts: {},
  };
}

function at(value: any, p: string): any {
  return p.split('.').reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), value);
}

/** Sets `p` in `value`, creating the sections on the way. */
function set(value: Record<string, any>, p: string, v: unknown): void {
  const keys = p.split('.');
  let cur = value;
  for (const k of keys.slice(0, -1)) cur = cur[k] ??= {};
  cur[keys[keys.length - 1]!] = v;
}

function without(value: Record<string, any>, p: string): Record<string, any> {
  const copy = JSON.parse(JSON.stringify(value));
  const keys = p.split('.');
  const parent = at(copy, keys.slice(0, -1).join('.')) ?? (keys.length === 1 ? copy : undefined);
  if (parent) delete parent[keys[keys.length - 1]!];
  return copy;
}

test('the walk finds the schema: sections, leaves, map and list entries, every backend kind', () => {
  const paths = NODES.map((n) => n.path);
  for (const p of [
    'naming.company',
    'compute.training.maxNodes',
    'tags.*',
    'network.existing.azure.privateDnsZoneIds.*',
    'backend.storageAccountName',
    'backend.prefix',
    'deployment.endpoint.rollout.strategy',
    'alerts.webhooks.*',
  ]) {
    expect(paths).toContain(p);
  }
  expect(LEAVES.length).toBeGreaterThan(60);
});

describe.each(NODES.map((n) => [n.path, n] as const))('%s', (p, node) => {
  const field = CONFIG_FIELDS.find((f) => f.path === p);
  const row = readmeRows().get(p);

  test('is documented (meaning, accepted, default, fix) and in the README table as documented', () => {
    expect(field).toBeDefined();
    for (const text of [field!.description, field!.accepted, field!.default, field!.fix]) expect(text.trim().length).toBeGreaterThan(0);
    expect(row).toEqual({ meaning: field!.description, accepted: field!.accepted, default: field!.default });
  });

  if (node.hasDefault) {
    test('its documented default is the one the schema applies', () => {
      const input = without(fullInput(), p);
      const parsed = at(StackConfigSchema.parse(input), p);
      expect(parsed).toBeDefined();
      if (defOf(node.schema).type === 'object') {
        // A section left out is its fields' defaults: the same as writing it empty.
        expect(field!.default).toBe("{} (each field's default)");
        const empty = without(fullInput(), p);
        set(empty, p, {});
        expect(parsed).toEqual(at(StackConfigSchema.parse(empty), p));
      } else {
        expect(field!.default).toBe(showDefault(parsed));
      }
    });
  }

  if (defOf(node.schema).type === 'number') {
    test('its documented range is the range the config enforces, and a value outside it is refused naming the field, the value and the fix', () => {
      const { minValue: min, maxValue: max } = node.schema as z.ZodNumber;
      expect(field!.accepted).toContain(String(max));
      expect(field!.accepted).toContain(String(min));
      const input = fullInput();
      for (const bad of [max! + 1, (min ?? 0) - 1]) {
        set(input, p, bad);
        const issue = configIssues(input).find((i) => i.path === p);
        expect(issue?.message).toBe(`is invalid: got ${bad}; accepted: ${field!.accepted}. Fix: ${field!.fix}.`);
      }
    });
  }
});

test('no documentation is left over for a field the schema no longer has', () => {
  const paths = new Set(NODES.map((n) => n.path));
  expect(CONFIG_FIELDS.map((f) => f.path).filter((p) => !paths.has(p))).toEqual([]);
  expect([...readmeRows().keys()].filter((p) => !paths.has(p))).toEqual([]);
});

test('the schema is built from the settings the constructs use (lib/core/settings.ts)', () => {
  const parsed = StackConfigSchema.parse(fullInput());
  expect(parsed.compute.training).toEqual({
    size: SETTING_DEFAULTS.training.size,
    maxNodes: SETTING_DEFAULTS.training.maxNodes,
    lowPriority: SETTING_DEFAULTS.training.lowPriority,
  });
  expect(parsed.deployment!.endpoint.rollout).toEqual(SETTING_DEFAULTS.rollout);
  expect(parsed.deployment!.endpoint.alarms).toEqual(SETTING_DEFAULTS.alarms);
  const maxNodes = CONFIG_FIELDS.find((f) => f.path === 'compute.training.maxNodes')!;
  expect(maxNodes.accepted).toBe(`an integer from ${SETTING_RANGES.training.maxNodes.min} to ${SETTING_RANGES.training.maxNodes.max}`);
  expect(maxNodes.fix).toBe(`set a whole number between ${SETTING_RANGES.training.maxNodes.min} and ${SETTING_RANGES.training.maxNodes.max}`);
});
