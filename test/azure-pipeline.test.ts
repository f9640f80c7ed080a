/**
 * Issue 16 on Azure: the pipeline plan compiled into Azure ML REST shapes
 * (lib/deploy/azure/pipeline.ts), checked three ways:
 * - against the Azure ML REST API specification (mfe.json 2024-04-01, the
 *   definitions in test/fixtures/azureml/, see SOURCE.md there), converted
 *   from Swagger 2.0 to JSON Schema and validated with ajv;
 * - by properties of what it synthesizes (the `pipeline` release step's spec,
 *   the Terraform escaping, the gate, the registry folder, triggers);
 * - by the refusals (a deploy action in firewalled mode, an unmappable time zone, …).
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { App, Testing } from 'cdktf';
import { parseConfig } from '../lib/config/load';
import { AZURE_GATE_CHECK, AZURE_REGISTRY_PORT, AzureContinuousTraining, terraformLiteral } from '../lib/deploy/azure/pipeline';
import { WINDOWS_ZONE_NAMES, windowsTimeZone } from '../lib/deploy/azure/windows-zones';
import { MlPlatformStack } from '../lib/stack';
import { parseSpec } from '../release/src/spec';
import { AzureTargetSchema } from '../release/src/azure/target';
import { pipelineTargetOf } from '../release/src/azure/pipeline';
import { validConfig, validationError } from './util';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'azureml');
const GUID = '6f3c2a1e-8d4b-4c59-9a7e-2b1d0c9e8f7a';
const WS = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/contoso-mlops-dev-rg/providers/Microsoft.MachineLearningServices/workspaces/contoso-mlops-dev-mlw';

// ---------------------------------------------------------------- Swagger → JSON Schema

type Schema = Record<string, any>;
const refName = (ref: string) => ref.replace('#/definitions/', '');

/**
 * The Swagger 2.0 definitions as JSON Schema (draft-07) that ajv checks:
 * `allOf` inheritance flattened into each definition (so `additionalProperties:
 * false` sees the inherited properties, as AutoRest reads it), a `$ref` to a
 * base with a `discriminator` replaced by "the subtype its discriminator value
 * names" (if/then per `x-ms-discriminator-value`), `x-nullable` as `null` allowed.
 */
function swaggerToJsonSchema(defs: Record<string, Schema>): Schema {
  const subtypes = new Map<string, { name: string; value: string }[]>();
  for (const [name, d] of Object.entries(defs)) {
    for (const a of d.allOf ?? []) {
      const base = refName(a.$ref);
      if (defs[base]?.discriminator) subtypes.set(base, [...(subtypes.get(base) ?? []), { name, value: d['x-ms-discriminator-value'] ?? name }]);
    }
  }
  const discriminatorOf = (name: string): string | undefined => {
    const d = defs[name]!;
    if (d.discriminator) return d.discriminator;
    for (const a of d.allOf ?? []) {
      const found = discriminatorOf(refName(a.$ref));
      if (found) return found;
    }
    return undefined;
  };
  const convert = (s: any): any => {
    if (Array.isArray(s)) return s.map(convert);
    if (!s || typeof s !== 'object') return s;
    if (s.$ref) {
      const target = refName(s.$ref);
      const ref = { $ref: `#/definitions/${defs[target]?.discriminator ? `${target}__poly` : target}` };
      return s['x-nullable'] ? { anyOf: [ref, { type: 'null' }] } : ref;
    }
    const out: Schema = {};
    for (const [k, v] of Object.entries(s)) {
      if (k.startsWith('x-') || k === 'example' || k === 'discriminator' || k === 'allOf') continue;
      out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, x]) => [p, convert(x)])) : convert(v);
    }
    return s['x-nullable'] ? { anyOf: [out, { type: 'null' }] } : out;
  };
  const collect = (name: string): { properties: Schema; required: string[] } => {
    const d = defs[name]!;
    let properties: Schema = {};
    let required: string[] = [];
    for (const a of d.allOf ?? []) {
      const base = collect(refName(a.$ref));
      properties = { ...properties, ...base.properties };
      required = [...required, ...base.required];
    }
    return { properties: { ...properties, ...(d.properties ?? {}) }, required: [...new Set([...required, ...(d.required ?? [])])] };
  };
  const out: Schema = {};
  for (const [name, d] of Object.entries(defs)) {
    if (d.type && d.type !== 'object') {
      out[name] = convert(d);
      continue;
    }
    const { properties, required } = collect(name);
    const disc = discriminatorOf(name);
    const converted: Schema = Object.fromEntries(Object.entries(properties).map(([p, x]) => [p, convert(x)]));
    if (disc && d['x-ms-discriminator-value']) converted[disc] = { const: d['x-ms-discriminator-value'] };
    const flat: Schema = { type: 'object', properties: converted, required };
    if (d.additionalProperties === false) flat.additionalProperties = false;
    else if (d.additionalProperties && typeof d.additionalProperties === 'object') flat.additionalProperties = convert(d.additionalProperties);
    out[name] = flat;
    if (d.discriminator) {
      const subs = subtypes.get(name) ?? [];
      out[`${name}__poly`] = {
        type: 'object',
        required: [d.discriminator],
        properties: { [d.discriminator]: { enum: subs.map((x) => x.value) } },
        // JSON Schema's if/then: the subtype the discriminator value names must hold.
        // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword, not a thenable.
        allOf: subs.map((x) => ({ if: { properties: { [d.discriminator]: { const: x.value } }, required: [d.discriminator] }, then: { $ref: `#/definitions/${x.name}` } })),
      };
    }
  }
  return { definitions: out };
}

const spec = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'mfe-2024-04-01.pipelinejob-schedule.definitions.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
ajv.addSchema({ $id: 'mfe', ...swaggerToJsonSchema(spec.definitions) });
const validator = (definition: string) => ajv.getSchema(`mfe#/definitions/${definition}`)!;
function problems(definition: string, body: unknown): string[] {
  const v = validator(definition);
  return v(body) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

// ---------------------------------------------------------------- stacks

/** A stack of the shipped example pipeline on Azure, with `deployment` overrides. */
function azurePipeline(
  deployment: Record<string, unknown> = {},
  example = 'demand-forecast',
  more: (raw: Record<string, any>) => void = () => undefined,
): { stack: MlPlatformStack; ct: AzureContinuousTraining } {
  const raw = validConfig('azure');
  raw.deployment = {
    model: 'bike-demand',
    image: { uri: `contosomlopsdevacr.azurecr.io/mlops-runtime@sha256:${'ab'.repeat(32)}` },
    training: { data: 'datasets/x.csv' },
    pipeline: { file: `examples/${example}/pipeline.yaml`, inputs: { data: 'datasets/bike-sharing/hour.csv' }, skip: ['score', 'serve'] },
    schedule: { cron: '0 3 * * *', timeZone: 'Europe/Berlin' },
    batch: { input: 'batch/bike/' },
    ...deployment,
  };
  more(raw);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const stack = new MlPlatformStack(new App(), 'pipeline-azure', { config: parseConfig(raw) });
    return { stack, ct: stack.deployment!.pipeline?.resource as AzureContinuousTraining };
  } finally {
    process.chdir(cwd);
  }
}

/** Replaces the unresolved tokens of a compiled body by plausible values: GUIDs for client ids, the workspace id elsewhere. */
function resolved<T>(value: T, key = ''): T {
  if (typeof value === 'string') return (/^\$\{TfToken\[[^\]]+\]\}$/.test(value) && /clientid/i.test(key) ? GUID : value.replace(/\$\{TfToken\[[^\]]+\]\}/g, WS)) as T;
  if (Array.isArray(value)) return value.map((v) => resolved(v, key)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolved(v, k)])) as T;
  return value;
}

function messageOf(fn: () => unknown): string {
  return validationError(fn).message;
}

const dev = azurePipeline();

// ---------------------------------------------------------------- REST specification

describe('the compiled bodies against the Azure ML REST specification (mfe.json 2024-04-01)', () => {
  test('the converter accepts the specification’s own examples (PipelineJob and Schedule createOrUpdate)', () => {
    const job = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'spec-example.PipelineJob.createOrUpdate.json'), 'utf8'));
    const schedule = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'spec-example.Schedule.createOrUpdate.json'), 'utf8'));
    expect(problems('JobBaseResource', job.parameters.body)).toEqual([]);
    expect(problems('ScheduleResource', schedule.parameters.body)).toEqual([]);
  });

  test('the PipelineJob is a valid JobBaseResource body', () => {
    expect(problems('JobBaseResource', { properties: resolved(dev.ct.target.job) })).toEqual([]);
  });

  test('the pipeline and batch schedules are valid ScheduleResource bodies', () => {
    expect(problems('ScheduleResource', { properties: resolved(dev.ct.target.schedule!.properties) })).toEqual([]);
    const batch = azurePipeline({ batch: { input: 'batch/bike/', schedule: { cron: '30 4 * * 1-5', timeZone: 'America/New_York' } } }).ct;
    expect(problems('ScheduleResource', { properties: resolved(batch.target.batch!.schedule!.properties) })).toEqual([]);
    expect(problems('JobBaseResource', { properties: resolved(batch.target.batch!.job) })).toEqual([]);
  });

  test('every component version is a valid ComponentVersionResource body (as the driver sends it)', () => {
    for (const c of dev.ct.target.components) {
      const body = { properties: { description: c.spec.description, isAnonymous: false, tags: { 'mlops.release': 'r' }, componentSpec: resolved(c.spec) } };
      expect(problems('ComponentVersionResource', body)).toEqual([]);
    }
  });

  test('the check fails what the service would refuse (so it can fail)', () => {
    const job = resolved(dev.ct.target.job) as Record<string, any>;
    expect(problems('JobBaseResource', { properties: { ...job, jobType: 'Pipelines' } })).not.toEqual([]);
    expect(problems('JobBaseResource', { properties: { ...job, stages: {} } }).join()).toMatch(/additional/);
    expect(problems('JobBaseResource', { properties: { ...job, identity: { identityType: 'Managed', clientId: 'not-a-guid' } } }).join()).toMatch(/uuid/);
    const schedule = resolved(dev.ct.target.schedule!.properties) as Record<string, any>;
    expect(problems('ScheduleResource', { properties: { ...schedule, trigger: { triggerType: 'Cron', timeZone: 'UTC' } } }).join()).toMatch(/expression/);
  });
});

// ---------------------------------------------------------------- properties

describe('AzureContinuousTraining: what it compiles', () => {
  const plan = dev.stack.deployment!.pipeline!.resource as AzureContinuousTraining;
  const job = plan.target.job as { jobs: Record<string, any> };
  const specOf = (node: string) =>
    plan.target.components.find((c) => job.jobs[node].componentId.endsWith(`/components/${c.name}/versions/${c.version}`))!.spec as Record<string, any>;

  test('one command node per plan step, in plan order, each on its own component version of the one environment', () => {
    expect(Object.values(job.jobs).map((n) => n.display_name)).toEqual([
      'validate',
      'split',
      'drift',
      'train-forest',
      'train-gbdt',
      'select',
      'evaluate',
      'gate',
      'register',
      'report',
    ]);
    for (const n of Object.values(job.jobs)) {
      expect(n.type).toBe('command');
      expect(specOf(n.name).environment).toMatch(/\/environments\/contoso-mlops-dev-bike-demand-pipeline\/versions\/[0-9a-f]{12}$/);
      expect(specOf(n.name).command).toMatch(/^mlops pipeline step --uses \S+ --name \S+ --model demand-forecast /);
    }
    expect(new Set(plan.target.components.map((c) => c.name)).size).toBe(plan.target.components.length);
  });

  test('inputs are artifact-store datastore paths and step outputs; outputs go under runsPrefix per run', () => {
    expect(job.jobs.validate.inputs.data).toEqual({
      job_input_type: 'uri_file',
      uri: 'azureml://datastores/mlopsartifacts/paths/datasets/bike-sharing/hour.csv',
      mode: 'ReadOnlyMount',
    });
    expect(job.jobs.validate.inputs.contract.uri).toBe('azureml://datastores/mlopsartifacts/paths/pipelines/demand-forecast/inputs/contract/contract.yaml');
    expect(job.jobs.train_forest.inputs.data).toEqual({ job_input_type: 'literal', value: '${{parent.jobs.split.outputs.train}}' });
    expect(specOf('train_forest').command).toContain('"data":"${{inputs.data}}/train.csv"');
    expect(job.jobs.split.outputs.train).toEqual({
      job_output_type: 'uri_folder',
      uri: 'azureml://datastores/mlopsartifacts/paths/pipelines/demand-forecast/runs/${{name}}/split/train/',
      mode: 'ReadWriteMount',
    });
  });

  test('a needs-only edge (split needs validate) becomes an ordering input; list inputs become one input each', () => {
    expect(job.jobs.split.inputs.mlops_after_validate).toEqual({ job_input_type: 'literal', value: '${{parent.jobs.validate.outputs.report}}' });
    expect(specOf('split').command).not.toContain('mlops_after_validate');
    expect(Object.keys(job.jobs.select.inputs).sort()).toEqual(['candidates_0', 'candidates_1', 'mlops_when_drift']);
    expect(specOf('select').command).toContain('"candidates":["${{inputs.candidates_0}}/model","${{inputs.candidates_1}}/model"]');
  });

  test('registry folder: gate and drift (its champion) mount it read-only as --root, register mounts it read-write, nothing else sees it', () => {
    const registry = 'azureml://datastores/mlopsartifacts/paths/pipelines/demand-forecast/';
    expect(job.jobs.gate.inputs[AZURE_REGISTRY_PORT]).toEqual({ job_input_type: 'uri_folder', uri: registry, mode: 'ReadOnlyMount' });
    expect(specOf('gate').command).toContain(`--root '\${{inputs.${AZURE_REGISTRY_PORT}}}'`);
    expect(job.jobs.register.outputs[AZURE_REGISTRY_PORT]).toEqual({ job_output_type: 'uri_folder', uri: registry, mode: 'ReadWriteMount' });
    expect(specOf('register').command).toContain(`--root '\${{outputs.${AZURE_REGISTRY_PORT}}}'`);
    expect(job.jobs.drift.inputs[AZURE_REGISTRY_PORT]).toEqual({ job_input_type: 'uri_folder', uri: registry, mode: 'ReadOnlyMount' });
    const others = Object.keys(job.jobs).filter((n) => n !== 'gate' && n !== 'register' && n !== 'drift');
    for (const n of others) expect(JSON.stringify(job.jobs[n])).not.toContain(AZURE_REGISTRY_PORT);
  });

  test('gate: only the gate node fails the run unless decision.json passed, and register runs after it', () => {
    const withCheck = Object.keys(job.jobs).filter((n) => specOf(n).command.includes(AZURE_GATE_CHECK));
    expect(withCheck).toEqual(['gate']);
    expect(specOf('gate').command).toMatch(/ && node -e '.*' '\$\{\{outputs\.decision\}\}\/decision\.json'$/);
    expect(job.jobs.register.inputs.decision.value).toBe('${{parent.jobs.gate.outputs.decision}}');
    expect((plan.target.job as any).settings.continue_on_step_failure).toBe(false);
  });

  test('the drift step guards the nodes after it: each takes its proceed folder as an input and runs with --when on it', () => {
    const guarded = ['train_forest', 'train_gbdt', 'select', 'evaluate', 'gate', 'register', 'report'];
    for (const n of Object.keys(job.jobs)) {
      const command = specOf(n).command as string;
      if (!guarded.includes(n)) {
        expect(command).not.toContain('--when');
        expect(job.jobs[n].inputs.mlops_when_drift).toBeUndefined();
        continue;
      }
      expect(job.jobs[n].inputs.mlops_when_drift).toEqual({ job_input_type: 'literal', value: '${{parent.jobs.drift.outputs.proceed}}' });
      expect(specOf(n).inputs.mlops_when_drift).toEqual({ type: 'uri_folder' });
      expect(command).toContain(`--when '\${{inputs.mlops_when_drift}}/proceed.txt'`);
      // The guard orders the node after the drift step: no separate ordering input.
      expect(job.jobs[n].inputs.mlops_after_drift).toBeUndefined();
    }
  });

  test('the gate check itself: exits 0 for passed, 3 otherwise', () => {
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'gate-'));
    for (const [decision, code] of [
      [{ passed: true }, 0],
      [{ passed: false }, 3],
      [{ passed: 'true' }, 3],
      [{}, 3],
      // Not run because a drift step found no new data: the run goes on (the guarded register skips itself).
      [{ passed: false, skipped: true, reason: 'the guard is false' }, 0],
      [{ passed: false, skipped: 'true' }, 3],
    ] as const) {
      fs.writeFileSync(path.join(dir, 'decision.json'), JSON.stringify(decision));
      expect(spawnSync(process.execPath, ['-e', AZURE_GATE_CHECK, path.join(dir, 'decision.json')]).status).toBe(code);
    }
  });

  test('every node runs as the workload identity on the compute cluster, limited to the run time', () => {
    const p = plan.target.job as any;
    expect(p.identity.identityType).toBe('Managed');
    expect(p.settings.default_datastore).toBe('mlopsartifacts');
    for (const n of Object.values(job.jobs)) {
      expect(n.limits).toEqual({ job_limits_type: 'Command', timeout: 7200 });
      expect(Object.keys(n.environment_variables)).toEqual(['DEFAULT_IDENTITY_CLIENT_ID', 'MLOPS_MODEL_NAME']);
    }
  });

  test('schedule: the cron as given in the Windows name of its IANA zone, creating the same PipelineJob', () => {
    const s = plan.target.schedule!;
    expect(s.name).toBe('contoso-mlops-dev-bike-demand-pipeline');
    expect(s.properties.trigger).toEqual({ triggerType: 'Cron', expression: '0 3 * * *', timeZone: 'W. Europe Standard Time' });
    expect(s.properties.action).toEqual({ actionType: 'CreateJob', jobDefinition: plan.target.job });
    expect(azurePipeline({ schedule: undefined }).ct.target.schedule).toBeUndefined();
  });

  test('batch scoring: the image’s predict step over the input prefix into the output prefix, with the model folder the endpoint serves', () => {
    const b = plan.target.batch!.job as any;
    const node = b.jobs.batch;
    expect(node.inputs.data.uri).toBe('azureml://datastores/mlopsartifacts/paths/batch/bike');
    expect(node.outputs.predictions.uri).toBe('azureml://datastores/mlopsartifacts/paths/batch/bike-predictions/');
    const endpoint = dev.stack.deployment!.endpoint.resource as any;
    expect(node.inputs.model.uri).toBe(`azureml://datastores/mlopsartifacts/paths/models/bike-demand/${endpoint.modelVersion}`);
    expect(b.tags['mlops.revision']).toBe(endpoint.modelVersion);
    const component = plan.target.components.find((c) => node.componentId.includes(`/components/${c.name}/`))!;
    expect(component.spec.command).toBe(
      `mlops pipeline step --uses predict --name batch --model demand-forecast --inputs '{"model":"\${{inputs.model}}","data":"\${{inputs.data}}"}' --params '{}' --outputs '{"predictions":"\${{outputs.predictions}}"}'`,
    );
  });

  test('component versions are content hashes: a changed param changes that step’s version only', () => {
    const other = azurePipeline({
      pipeline: { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike-sharing/hour.csv' }, params: { trials: 3 }, skip: ['score', 'serve'] },
    }).ct;
    const versions = (ct: AzureContinuousTraining) => Object.fromEntries(ct.target.components.map((c) => [c.name, c.version]));
    const a = versions(plan);
    const b = versions(other);
    const changed = Object.keys(a).filter((k) => a[k] !== b[k]);
    expect(changed.sort()).toEqual(['contoso_mlops_dev_bike_demand_train_forest', 'contoso_mlops_dev_bike_demand_train_gbdt']);
    expect(other.revision).not.toBe(plan.revision);
  });

  test('the revision (what re-runs the release step) covers what only the job holds: a new data path or run time limit updates the schedule', () => {
    const pipeline = { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike-sharing/hour-2.csv' }, skip: ['score', 'serve'] };
    const moved = azurePipeline({ pipeline }).ct;
    // Same components (the command reads ${{inputs.data}}), another job: the release step must run again.
    expect(moved.target.components.map((c) => c.version)).toEqual(plan.target.components.map((c) => c.version));
    expect((moved.target.job as any).jobs.validate.inputs.data.uri).toContain('hour-2.csv');
    expect(moved.revision).not.toBe(plan.revision);
    const longer = azurePipeline({ training: { data: 'datasets/x.csv', maxRuntimeMinutes: 90 } }).ct;
    expect(longer.revision).not.toBe(plan.revision);
    // And nothing else: the same config synthesized again has the same revision (no token in the hash).
    expect(azurePipeline().ct.revision).toBe(plan.revision);
  });

  test('run lineage: every run (scheduled, by hand) carries the pipeline revision, the image digest and the data it reads as job tags', () => {
    const tags = plan.target.job.tags as Record<string, string>;
    expect(tags['mlops.pipeline.revision']).toBe(plan.revision);
    expect(tags['mlops.image.digest']).toBe(`sha256:${'ab'.repeat(32)}`);
    expect(tags['mlops.input.data']).toBe('azureml://datastores/mlopsartifacts/paths/datasets/bike-sharing/hour.csv');
    expect(tags['mlops.input.contract']).toBe('azureml://datastores/mlopsartifacts/paths/pipelines/demand-forecast/inputs/contract/contract.yaml');
    expect((plan.target.schedule!.properties.action as any).jobDefinition.tags).toEqual(tags);
  });
});

describe('the release step (kind pipeline) as Terraform holds it', () => {
  const json = JSON.parse(Testing.synth(dev.stack)) as Record<string, any>;
  const steps = Object.values(json.resource.terraform_data as Record<string, any>).filter((r) => r.input.kind === 'pipeline');

  test('one pipeline step whose spec the driver parses (spec, target and pipeline part)', () => {
    expect(steps).toHaveLength(1);
    const input = steps[0].input;
    const unescaped = JSON.parse(JSON.stringify(input).replace(/\$\$\{/g, '${'));
    const parsed = parseSpec(resolvedTf(unescaped));
    expect(parsed.pipeline).toEqual({
      name: 'demand-forecast',
      steps: ['validate', 'split', 'drift', 'train-forest', 'train-gbdt', 'select', 'evaluate', 'gate', 'register', 'report'],
      gate: 'gate',
      schedule: { cron: '0 3 * * *', timeZone: 'Europe/Berlin' },
    });
    const target = AzureTargetSchema.parse(parsed.azure);
    expect(pipelineTargetOf(target).components).toHaveLength(11);
  });

  test('every Azure ML expression reaches Azure unchanged: "${{" is escaped as "$${{" for Terraform', () => {
    const text = JSON.stringify(steps[0].input);
    expect(text).not.toMatch(/(^|[^$])\$\{\{/);
    expect(text).toContain('$${{parent.jobs.split.outputs.train}}');
    expect(terraformLiteral({ a: ['${{x}}', '%{if}', '${TfToken[TOKEN.1]}'] })).toEqual({ a: ['$${{x}}', '%%{if}', '${TfToken[TOKEN.1]}'] });
  });

  test('it waits for the endpoint rollout (batch scoring after each rollout) and re-runs when the compiled pipeline changes', () => {
    expect(steps[0].depends_on.some((d: string) => d.startsWith('terraform_data.ScoringEndpoint'))).toBe(true);
    expect(steps[0].triggers_replace.revision).toBe(dev.ct.revision);
  });
});

describe('alerts: a failed pipeline run, whoever started it, raises the pipeline-failure alert', () => {
  const withAlerts = azurePipeline({}, 'demand-forecast', (raw) => {
    raw.alerts = { email: ['ml-oncall@contoso.com'] };
  });
  const json = JSON.parse(Testing.synth(withAlerts.stack)) as Record<string, any>;
  const metricAlerts = Object.values((json.resource.azurerm_monitor_metric_alert ?? {}) as Record<string, any>);
  const rule = metricAlerts.find((a) => a.name === 'contoso-mlops-dev-bike-demand-alert-pipeline-failed');

  test("a metric alert on the workspace's Failed Runs of the pipeline's experiment (the one every run is filed under), to the alert action group", () => {
    expect(rule).toBeDefined();
    expect(rule.scopes).toEqual([expect.stringMatching(/^\$\{azurerm_machine_learning_workspace\.[^}]+\.id\}$/)]);
    expect(rule.criteria).toEqual([
      {
        metric_namespace: 'Microsoft.MachineLearningServices/workspaces',
        metric_name: 'Failed Runs',
        aggregation: 'Total',
        operator: 'GreaterThan',
        threshold: 0,
        dimension: [{ name: 'ExperimentName', operator: 'Include', values: ['contoso-mlops-dev-bike-demand'] }],
      },
    ]);
    expect(rule.window_size).toBe('PT15M');
    expect(rule.action).toEqual([{ action_group_id: expect.stringMatching(/^\$\{azurerm_monitor_action_group\.[^}]+\.id\}$/) }]);
    expect(withAlerts.stack.alerts!.alertNames).toContain('contoso-mlops-dev-bike-demand-alert-pipeline-failed');
  });

  test('the experiment it watches is the one the scheduled, manual and batch jobs name (schedule-created runs get generated names)', () => {
    const ct = withAlerts.ct;
    const experiment = rule.criteria[0].dimension[0].values[0];
    expect(ct.watched.experimentNames).toEqual([experiment]);
    expect((ct.target.schedule!.properties.action as any).jobDefinition.experimentName).toBe(experiment);
    expect(ct.target.job.experimentName).toBe(experiment);
    expect(ct.target.batch!.job.experimentName).toBe(experiment);
  });

  test('without a pipeline there is no pipeline-failure alert', () => {
    const plain = azurePipeline({}, 'demand-forecast', (raw) => {
      raw.alerts = { email: ['ml-oncall@contoso.com'] };
      delete raw.deployment.pipeline;
      delete raw.deployment.schedule;
      delete raw.deployment.batch;
    });
    const j = JSON.parse(Testing.synth(plain.stack)) as Record<string, any>;
    const names = Object.values((j.resource.azurerm_monitor_metric_alert ?? {}) as Record<string, any>).map((a) => a.name);
    expect(names).not.toContain('contoso-mlops-dev-bike-demand-alert-pipeline-failed');
    expect(plain.stack.alerts!.alertNames).toHaveLength(4);
  });
});

/** Terraform interpolations in a synthesized value, replaced by plausible values (the driver's schema checks ids). */
function resolvedTf<T>(value: T, key = ''): T {
  if (typeof value === 'string') {
    if (/^\$\{[^}]+\}$/.test(value) && /clientid/i.test(key)) return GUID as T;
    if (/^\$\{element\(split\("\/", /.test(value)) return '11111111-2222-3333-4444-555555555555' as T;
    return value
      .replace(/\$\{azurerm_machine_learning_compute_cluster\.[^}]+\.id\}/g, `${WS}/computes/train`)
      .replace(/\$\{azurerm_user_assigned_identity\.[^}]+\.id\}/g, '/subscriptions/1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id')
      .replace(/\$\{[^}]+\}/g, (m) => (/workspace/.test(m) && /\.id\}$/.test(m) ? WS : /\.name\}$/.test(m) ? 'contoso-mlops-dev-rg' : m)) as T;
  }
  if (Array.isArray(value)) return value.map((v) => resolvedTf(v, key)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvedTf(v, k)])) as T;
  return value;
}

describe('refusals: what Azure cannot run yet is a config error, never a silent skip', () => {
  test('a plan with a serve step (the deploy action) in an existing network: the stack cannot carve the promoter job its subnet (test/azure-promoter.test.ts has the modes that work, firewalled included)', () => {
    const pipeline = { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike-sharing/hour.csv' }, skip: ['score'] };
    const message = messageOf(() =>
      azurePipeline({ pipeline }, 'demand-forecast', (raw) => {
        raw.network = {
          mode: 'private',
          existing: { azure: { subnetId: '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub/subnets/pe' } },
        };
      }),
    );
    expect(message).toContain('network.existing.azure');
    expect(message).toContain('keep the serve step in deployment.pipeline.skip');
    // firewalled mode (the default) is no longer refused: it gets the promoter
    expect(azurePipeline({ pipeline }).ct.promoter).toBeDefined();
  });

  test('a cron with a day-of-month or month (Azure ML schedules ignore both fields)', () => {
    const message = messageOf(() => azurePipeline({ schedule: { cron: '0 3 1 * *', timeZone: 'UTC' } }));
    expect(message).toContain('deployment.schedule.cron');
    expect(message).toContain('"0 3 1 * *"');
    expect(message).toContain('Fix: use * for both');
    expect(messageOf(() => azurePipeline({ batch: { input: 'b/', schedule: { cron: '0 3 * 6 1', timeZone: 'UTC' } } }))).toContain('deployment.batch.schedule.cron');
    // Day of week is honoured.
    expect(azurePipeline({ schedule: { cron: '0 3 * * 1-5', timeZone: 'UTC' } }).ct.target.schedule!.properties.trigger).toMatchObject({ expression: '0 3 * * 1-5' });
  });

  test('a time zone without a Windows name', () => {
    const message = messageOf(() => azurePipeline({ schedule: { cron: '0 3 * * *', timeZone: 'Antarctica/Troll' } }));
    expect(message).toContain('deployment.schedule.timeZone');
    expect(message).toContain('"Antarctica/Troll"');
    expect(messageOf(() => azurePipeline({ batch: { input: 'b/', schedule: { cron: '0 3 * * *', timeZone: 'Antarctica/Troll' } } }))).toContain(
      'deployment.batch.schedule.timeZone',
    );
  });
});

describe('IANA → Windows time zones (CLDR windowsZones.xml)', () => {
  test.each([
    ['UTC', 'UTC'],
    ['Etc/UTC', 'UTC'],
    ['Europe/Berlin', 'W. Europe Standard Time'],
    ['Europe/London', 'GMT Standard Time'],
    ['America/New_York', 'Eastern Standard Time'],
    ['Asia/Kolkata', 'India Standard Time'],
    ['Europe/Kyiv', 'FLE Standard Time'],
    ['Australia/Sydney', 'AUS Eastern Standard Time'],
  ])('%s → %s', (iana, windows) => expect(windowsTimeZone(iana)).toBe(windows));

  test('every zone Node knows maps to a Windows name of the table, or to none (then refused); few are unmapped', () => {
    const zones = (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
    const names = new Set(WINDOWS_ZONE_NAMES);
    const unmapped = zones.filter((z) => windowsTimeZone(z) === undefined);
    for (const z of zones) {
      const w = windowsTimeZone(z);
      if (w !== undefined) expect(names.has(w)).toBe(true);
    }
    // The handful CLDR leaves out (research stations, recent splits): refused with a config error.
    expect(unmapped.length).toBeLessThan(zones.length / 20);
  });
});
