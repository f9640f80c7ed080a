/**
 * Issue 16 on GCP: the pipeline compiled for Vertex AI Pipelines.
 * - the KFP PipelineSpec against kubeflow/pipelines' `pipeline_spec.proto`
 *   (test/fixtures/kfp, SOURCE.md), strictly: every field must be one of the
 *   message's (proto3 JSON names), of its type, at most one per oneof; the
 *   `deploymentSpec` Struct as `PipelineDeploymentConfig`; the real compiled
 *   KFP examples pass the same check, and their shapes are compared;
 * - the PipelineJob request (what the schedule POSTs) against
 *   `google.cloud.aiplatform.v1.PipelineJob` of the installed Vertex AI client;
 * - the gate wrapper and the promotion script, run for real (a stand-in
 *   entrypoint; a loopback Vertex AI API and metadata server);
 * - the synthesized resources: objects, schedule, its dedicated identity and
 *   its grants; what synth refuses.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import * as yaml from 'js-yaml';
import * as protobuf from 'protobufjs';
import { parseConfig } from '../lib/config/load';
import { loadCloudPlan, LoadedPlan } from '../lib/deploy/pipeline-plan';
import { compilePipelineSpec, CONDITION_TASK, DRIFT_CONDITION_TASK, EXTRA_TASKS, KFP_METRICS_ARTIFACT, KfpCompileOptions, kfpPlanProblems } from '../lib/deploy/gcp/pipeline-spec';
import { PROMOTE_SCRIPT } from '../lib/deploy/gcp/private/kfp-scripts';
import { GCP_PIPELINE_TRIGGER_PERMISSIONS } from '../lib/gcp/perms';
import { MlPlatformStack } from '../lib/stack';
import { resourcesOf, SynthJson, validConfig } from './util';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'kfp');
const IMAGE = `europe-west4-docker.pkg.dev/p/r/runtime@sha256:${'ab'.repeat(32)}`;

// ---- strict proto3-JSON check ----

function loadRoot(entry: string, dirs: string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    const rel = /(google\/.*)$/.exec(target)?.[1] ?? target;
    for (const d of dirs) {
      const p = path.resolve(d, rel);
      if (fs.existsSync(p)) return p;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(entry);
  root.resolveAll();
  return root;
}

const GAX = path.join(ROOT, 'node_modules', 'google-gax', 'build', 'protos');
const PBJS = path.join(ROOT, 'node_modules', 'protobufjs');
const kfp = loadRoot(path.join(FIXTURES, 'pipeline_spec.proto'), [FIXTURES, GAX, PBJS]);
const vertex = loadRoot('google/cloud/aiplatform/v1/pipeline_job.proto', [path.join(ROOT, 'node_modules', '@google-cloud', 'aiplatform', 'build', 'protos'), GAX, PBJS]);
const ANY_JSON = new Set(['google.protobuf.Struct', 'google.protobuf.Value', 'google.protobuf.ListValue']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const NUMBER = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

/** Problems of `value` as the proto3 JSON of `type` (unknown fields included). */
function protoProblems(type: protobuf.Type, value: unknown, at = '$'): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object (${type.fullName})`];
  const problems: string[] = [];
  const byJson = new Map<string, protobuf.Field>();
  for (const f of type.fieldsArray) {
    byJson.set(f.name, f);
    byJson.set(protobuf.util.camelCase(f.name), f);
  }
  for (const o of type.oneofsArray) {
    const set = o.fieldsArray.filter((f) => (value as Record<string, unknown>)[f.name] !== undefined);
    if (set.length > 1) problems.push(`${at}: more than one of oneof ${o.name}: ${set.map((f) => f.name).join(', ')}`);
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const f = byJson.get(k);
    if (!f) {
      problems.push(`${at}.${k}: unknown field of ${type.fullName.replace(/^\./, '')}`);
      continue;
    }
    f.resolve();
    const one = (x: unknown, where: string): void => {
      if (f.resolvedType instanceof protobuf.Type) {
        if (ANY_JSON.has(f.resolvedType.fullName.replace(/^\./, ''))) return;
        problems.push(...protoProblems(f.resolvedType, x, where));
      } else if (f.resolvedType instanceof protobuf.Enum) {
        if (typeof x !== 'string' || !(x in f.resolvedType.values)) problems.push(`${where}: ${JSON.stringify(x)} is not a ${f.resolvedType.name}`);
      } else if (f.type === 'string' || f.type === 'bytes') {
        if (typeof x !== 'string') problems.push(`${where}: not a string`);
      } else if (f.type === 'bool') {
        if (typeof x !== 'boolean') problems.push(`${where}: not a boolean`);
      } else if (INT64.has(f.type)) {
        if (!(typeof x === 'number' && Number.isInteger(x)) && !(typeof x === 'string' && /^-?\d+$/.test(x))) problems.push(`${where}: not an integer`);
      } else if (NUMBER.has(f.type)) {
        if (typeof x !== 'number') problems.push(`${where}: not a number`);
      }
    };
    if (f.map) {
      if (!v || typeof v !== 'object' || Array.isArray(v)) problems.push(`${at}.${k}: not a map`);
      else for (const [mk, mv] of Object.entries(v)) one(mv, `${at}.${k}[${JSON.stringify(mk)}]`);
    } else if (f.repeated) {
      if (!Array.isArray(v)) problems.push(`${at}.${k}: not a list`);
      else v.forEach((x, i) => one(x, `${at}.${k}[${i}]`));
    } else one(v, `${at}.${k}`);
  }
  return problems;
}

const PipelineSpec = kfp.lookupType('ml_pipelines.PipelineSpec');
const DeploymentConfig = kfp.lookupType('ml_pipelines.PipelineDeploymentConfig');
const PipelineJob = vertex.lookupType('google.cloud.aiplatform.v1.PipelineJob');
const vertexModels = loadRoot('google/cloud/aiplatform/v1/model_service.proto', [path.join(ROOT, 'node_modules', '@google-cloud', 'aiplatform', 'build', 'protos'), GAX, PBJS]);
const UploadModelRequest = vertexModels.lookupType('google.cloud.aiplatform.v1.UploadModelRequest');

function kfpProblems(spec: Record<string, any>): string[] {
  return [...protoProblems(PipelineSpec, spec), ...protoProblems(DeploymentConfig, spec.deploymentSpec, '$.deploymentSpec')];
}

const fixture = (name: string): Record<string, any> => yaml.load(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, any>;

// ---- compiling ----

function plan(example: string, skip = ['score']): LoadedPlan {
  return loadCloudPlan(path.join(ROOT, 'examples', example, 'pipeline.yaml'), { target: 'Vertex AI Pipelines (gcp)', skip });
}

function options(p: LoadedPlan, extra: Partial<KfpCompileOptions> = {}): KfpCompileOptions {
  return {
    image: IMAGE,
    bucket: 'contoso-mlops-dev-artifacts',
    inputs: Object.fromEntries(Object.keys(p.plan.inputs).map((i) => [i, `pipelines/${p.plan.pipeline}/inputs/${i}/file.csv`])),
    registryPrefix: `pipelines/${p.plan.pipeline}/`,
    project: 'contoso-mlops-dev',
    region: 'europe-west4',
    serviceAccount: 'ml@contoso-mlops-dev.iam.gserviceaccount.com',
    pipelineLabel: 'contoso-mlops-dev-bike-demand',
    upload: {
      model: 'projects/contoso-mlops-dev/locations/europe-west4/models/contoso-mlops-dev-bike-demand',
      displayName: p.plan.model,
      description: 'd',
      modelName: p.plan.model,
      labels: { mlops_release: 'contoso-mlops-dev-bike-demand' },
      kmsKeyName: 'projects/contoso-mlops-dev/locations/europe-west4/keyRings/k/cryptoKeys/k',
    },
    deploy: {
      endpoint: 'projects/contoso-mlops-dev/locations/europe-west4/endpoints/1234567890',
      endpointName: 'contoso-mlops-dev-bike-demand',
      machineType: 'n1-standard-4',
      minReplicas: 1,
      maxReplicas: 2,
    },
    batch: { input: 'batch/bike/', output: 'batch/bike-predictions/' },
    ...extra,
  };
}

describe('the KFP PipelineSpec against pipeline_spec.proto', () => {
  test('the strict check accepts the real compiled KFP examples and refuses an unknown field', () => {
    for (const f of ['two_step_pipeline_containerized.yaml', 'pipeline_with_condition.yaml', 'container_with_placeholder_in_fstring.yaml']) {
      expect({ f, problems: kfpProblems(fixture(f)) }).toEqual({ f, problems: [] });
    }
    const broken = fixture('two_step_pipeline_containerized.yaml');
    broken.root.dag.tasks.component2.dependsOn = ['component1'];
    broken.deploymentSpec.executors['exec-component1'].container.cmd = ['sh'];
    expect(kfpProblems(broken)).toEqual([
      '$.root.dag.tasks["component2"].dependsOn: unknown field of ml_pipelines.PipelineTaskSpec',
      '$.deploymentSpec.executors["exec-component1"].container.cmd: unknown field of ml_pipelines.PipelineDeploymentConfig.PipelineContainerSpec',
    ]);
  });

  test.each(['demand-forecast', 'churn', 'transformer-overload'])('%s compiles to a spec the proto accepts', (example) => {
    const p = plan(example);
    const { spec } = compilePipelineSpec(p, options(p));
    expect(kfpProblems(spec)).toEqual([]);
    expect(spec.schemaVersion).toBe('2.1.0');
  });

  test('every component reference, executor label, producer task and dependency resolves', () => {
    const p = plan('demand-forecast');
    const { spec } = compilePipelineSpec(p, options(p)) as { spec: Record<string, any> };
    const check = (tasks: Record<string, any>, parentInputs?: Record<string, any>): void => {
      for (const [name, t] of Object.entries<any>(tasks)) {
        const component = spec.components[t.componentRef.name];
        expect({ name, component: !!component }).toEqual({ name, component: true });
        if (component.executorLabel) expect(spec.deploymentSpec.executors[component.executorLabel]).toBeDefined();
        for (const d of t.dependentTasks ?? []) expect({ name, dep: d, exists: d in tasks }).toEqual({ name, dep: d, exists: true });
        for (const [key, a] of Object.entries<any>(t.inputs?.artifacts ?? {})) {
          expect(component.inputDefinitions.artifacts[key]).toBeDefined();
          if (a.taskOutputArtifact) {
            expect(a.taskOutputArtifact.producerTask in tasks).toBe(true);
            expect(t.dependentTasks).toContain(a.taskOutputArtifact.producerTask);
            const producer = spec.components[tasks[a.taskOutputArtifact.producerTask].componentRef.name];
            expect(producer.outputDefinitions.artifacts[a.taskOutputArtifact.outputArtifactKey]).toBeDefined();
          } else expect(parentInputs?.artifacts?.[a.componentInputArtifact]).toBeDefined();
        }
        if (component.dag) check(component.dag.tasks, t.inputs);
      }
    };
    check(spec.root.dag.tasks);
  });

  test('the gate condition has the compiled KFP shape: a sub-DAG task on the gate task output parameter', () => {
    const p = plan('demand-forecast');
    const { spec } = compilePipelineSpec(p, options(p)) as { spec: Record<string, any> };
    const real = fixture('pipeline_with_condition.yaml').root.dag.tasks['condition-1'];
    // The gate is guarded by the drift step: its condition is a task of the drift condition's sub-DAG.
    const ours = spec.components[`comp-${DRIFT_CONDITION_TASK}`].dag.tasks[CONDITION_TASK];
    expect(Object.keys(ours).sort()).toEqual(Object.keys(real).sort());
    expect(ours.triggerPolicy.condition).toBe("inputs.parameter_values['pipelinechannel--gate-passed'] == 'true'");
    expect(ours.inputs.parameters['pipelinechannel--gate-passed']).toEqual({ taskOutputParameter: { producerTask: 'gate', outputParameterKey: 'passed' } });
    expect(spec.components['comp-gate'].outputDefinitions.parameters).toEqual({ passed: { parameterType: 'STRING' } });
    // The gate step writes its own `passed` output (true or false) into the parameter's output file; it is not also an artifact.
    expect(Object.keys(spec.components['comp-gate'].outputDefinitions.artifacts)).toEqual(['decision', KFP_METRICS_ARTIFACT]);
    const gateArgs: string[] = spec.deploymentSpec.executors['exec-gate'].container.args;
    const outputs = JSON.parse(gateArgs[gateArgs.indexOf('--outputs') + 1]);
    expect(outputs).toEqual({ decision: "{{$.outputs.artifacts['decision'].path}}/decision.json", passed: "{{$.outputs.parameters['passed'].output_file}}" });
    // Register, what follows it and the promotion run only in the branch; the guard first.
    const branch = spec.components[`comp-${CONDITION_TASK}`].dag.tasks;
    expect(Object.keys(branch).sort()).toEqual(['batch-score', 'endpoint-deploy', 'register', 'report', 'single-run-guard', 'vertex-model-upload']);
    expect(Object.keys(spec.root.dag.tasks)).not.toContain('register');
    expect(Object.keys(spec.root.dag.tasks)).not.toContain(CONDITION_TASK);
    for (const [name, t] of Object.entries<any>(branch))
      if (name !== EXTRA_TASKS.guard) expect(JSON.stringify(t.dependentTasks)).toMatch(/single-run-guard|vertex-model-upload|endpoint-deploy/);
    expect(branch['endpoint-deploy'].dependentTasks).toEqual(['vertex-model-upload']);
    expect(branch['batch-score'].dependentTasks).toEqual(['endpoint-deploy']);
  });

  test('container tasks: the runtime image by digest, stepArguments with KFP placeholders, the registry on /gcs, inputs as gs:// URIs', () => {
    const p = plan('demand-forecast');
    const { spec } = compilePipelineSpec(p, options(p)) as { spec: Record<string, any> };
    const ex = spec.deploymentSpec.executors;
    const split = ex['exec-split'].container;
    expect(split.image).toBe(IMAGE);
    expect(split.command).toBeUndefined(); // the image's entrypoint hands the args to mlops
    expect(split.args).toEqual(
      p.stepArguments(p.plan.steps.find((s) => s.name === 'split')!, {
        inputs: { data: "{{$.inputs.artifacts['data'].path}}" },
        outputs: { train: "{{$.outputs.artifacts['train'].path}}", test: "{{$.outputs.artifacts['test'].path}}" },
        executorInput: '{{$}}',
        metricsArtifact: KFP_METRICS_ARTIFACT,
      }),
    );
    const gate = ex['exec-gate'].container;
    expect(gate.args.slice(0, 2)).toEqual(['pipeline', 'step']);
    expect(gate.command).toEqual(ex['exec-split'].container.command);
    expect(gate.args.slice(gate.args.indexOf('--root'), gate.args.indexOf('--root') + 2)).toEqual(['--root', '/gcs/contoso-mlops-dev-artifacts/pipelines/demand-forecast']);
    expect(spec.root.inputDefinitions.parameters.data.defaultValue).toBe('gs://contoso-mlops-dev-artifacts/pipelines/demand-forecast/inputs/data/file.csv');
    expect(ex['exec-importer-data']).toEqual({ importer: { artifactUri: { runtimeParameter: 'uri' }, typeSchema: { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' } } });
    const batch = ex['exec-batch-score'].container.args;
    expect(batch).toEqual(
      p.batchArguments({
        model: "{{$.inputs.artifacts['model'].path}}/model",
        data: '/gcs/contoso-mlops-dev-artifacts/batch/bike/',
        predictions: '/gcs/contoso-mlops-dev-artifacts/batch/bike-predictions',
      }),
    );
  });

  test('lineage in the compiled spec: the upload task gets the model folder (URI and /gcs path) and the job, its config the pipeline revision over the rest of the spec', () => {
    const p = plan('demand-forecast');
    const { spec, revision } = compilePipelineSpec(p, options(p, { pipelineName: 'contoso-mlops-dev-bike-demand' })) as { spec: Record<string, any>; revision: string };
    expect(kfpProblems(spec)).toEqual([]);
    expect(spec.pipelineInfo.name).toBe('contoso-mlops-dev-bike-demand');
    const args: string[] = spec.deploymentSpec.executors['exec-vertex-model-upload'].container.args;
    expect(args.slice(2)).toEqual([
      "{{$.inputs.artifacts['model'].uri}}/model",
      "{{$.inputs.artifacts['model'].path}}/model",
      '{{$.pipeline_job_name}}',
      "{{$.outputs.parameters['model_version'].output_file}}",
    ]);
    const config = JSON.parse(args[1]!);
    expect(config).toMatchObject({ image: IMAGE, pipelineRevision: revision });
    // The revision is the hash of the spec without it: recomputable from the stored spec.
    const { createHash } = require('crypto') as typeof import('crypto');
    const { canonicalJson } = require('../lib/deploy/revision') as typeof import('../lib/deploy/revision');
    const without = JSON.parse(JSON.stringify(spec));
    const { pipelineRevision: _r, ...rest } = config;
    without.deploymentSpec.executors['exec-vertex-model-upload'].container.args[1] = JSON.stringify(rest);
    expect(createHash('sha256').update(canonicalJson(without)).digest('hex').slice(0, 12)).toBe(revision);
    // It follows what runs: another image or parameter is another revision.
    expect(compilePipelineSpec(p, options(p, { pipelineName: 'contoso-mlops-dev-bike-demand', image: IMAGE.replace('abab', 'cdcd') })).revision).not.toBe(revision);
    expect(compilePipelineSpec(p, options(p)).revision).not.toBe(revision);
  });

  test("the drift step's proceed is an output parameter; each guarded task reads it as an input parameter and passes its value to --when (in the condition's branch through a channel)", () => {
    const p = plan('demand-forecast');
    const { spec } = compilePipelineSpec(p, options(p)) as { spec: Record<string, any> };
    expect(spec.components['comp-drift'].outputDefinitions).toEqual({
      artifacts: { report: expect.any(Object), [KFP_METRICS_ARTIFACT]: expect.any(Object) },
      parameters: { proceed: { parameterType: 'STRING' } },
    });
    const driftArgs: string[] = spec.deploymentSpec.executors['exec-drift'].container.args;
    expect(JSON.parse(driftArgs[driftArgs.indexOf('--outputs') + 1]).proceed).toBe("{{$.outputs.parameters['proceed'].output_file}}");
    const guarded = p.plan.steps.filter((s) => s.when.length).map((s) => s.name);
    expect(guarded).toEqual(['train-forest', 'train-gbdt', 'select', 'evaluate', 'gate', 'register', 'report']);
    const driftBranch = spec.components[`comp-${DRIFT_CONDITION_TASK}`].dag.tasks;
    const gateBranch = spec.components[`comp-${CONDITION_TASK}`].dag.tasks;
    for (const s of p.plan.steps) {
      const args: string[] = spec.deploymentSpec.executors[`exec-${s.name}`].container.args;
      const task = driftBranch[s.name] ?? gateBranch[s.name] ?? spec.root.dag.tasks[s.name];
      if (!guarded.includes(s.name)) {
        expect(args).not.toContain('--when');
        expect(task.inputs?.parameters).toBeUndefined();
        expect(spec.root.dag.tasks[s.name]).toBe(task);
        continue;
      }
      // --when stays (the safety net); its value comes through the conditions' channel.
      expect(spec.root.dag.tasks[s.name]).toBeUndefined();
      expect(args.slice(args.indexOf('--when'), args.indexOf('--when') + 2)).toEqual(['--when', "{{$.inputs.parameters['when-drift']}}"]);
      expect(spec.components[`comp-${s.name}`].inputDefinitions.parameters).toEqual({ 'when-drift': { parameterType: 'STRING' } });
      expect(task.inputs.parameters['when-drift']).toEqual({ componentInputParameter: 'pipelinechannel--drift-proceed' });
    }
    // The gate's condition forwards the channel it got from the drift condition.
    const gateCond = driftBranch[CONDITION_TASK];
    expect(gateCond.inputs.parameters['pipelinechannel--drift-proceed']).toEqual({ componentInputParameter: 'pipelinechannel--drift-proceed' });
    // The drift condition takes it from the drift task, and waits for it.
    const cond = spec.root.dag.tasks[DRIFT_CONDITION_TASK];
    expect(cond.inputs.parameters['pipelinechannel--drift-proceed']).toEqual({ taskOutputParameter: { producerTask: 'drift', outputParameterKey: 'proceed' } });
    expect(spec.components[`comp-${DRIFT_CONDITION_TASK}`].inputDefinitions.parameters['pipelinechannel--drift-proceed']).toEqual({ parameterType: 'STRING' });
    expect(cond.dependentTasks).toContain('drift');
  });

  test('run metrics: every step task has a system.Metrics output and passes the executor input ({{$}}); the runtime writes an ExecutorOutput the proto accepts, with the output parameters and the metrics', () => {
    const p = plan('demand-forecast');
    const { spec } = compilePipelineSpec(p, options(p)) as { spec: Record<string, any> };
    expect(kfpProblems(spec)).toEqual([]);
    for (const s of p.plan.steps) {
      expect(spec.components[`comp-${s.name}`].outputDefinitions.artifacts[KFP_METRICS_ARTIFACT]).toEqual({
        artifactType: { schemaTitle: 'system.Metrics', schemaVersion: '0.0.1' },
      });
      const args: string[] = spec.deploymentSpec.executors[`exec-${s.name}`].container.args;
      expect(args[args.indexOf('--executor-input') + 1]).toBe('{{$}}');
      expect(args[args.indexOf('--metrics-artifact') + 1]).toBe(KFP_METRICS_ARTIFACT);
    }
    // The batch task is not a plan step: no executor input.
    expect(spec.deploymentSpec.executors['exec-batch-score'].container.args).not.toContain('--executor-input');
    // The executor input the engine builds for the gate task from its component (ExecutorInput of the proto) ...
    const { executorOutput } = require('../training-image/dist/src/pipeline/executor-output') as typeof import('../training-image/src/pipeline/executor-output');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfp-exec-'));
    const gate = spec.components['comp-gate'].outputDefinitions;
    const input = {
      inputs: {},
      outputs: {
        artifacts: Object.fromEntries(
          Object.entries<any>(gate.artifacts).map(([k, d]) => [
            k,
            { artifacts: [{ name: `projects/1/locations/r/metadataStores/default/artifacts/${k}`, uri: `gs://b/run/gate/${k}`, type: d.artifactType, metadata: {} }] },
          ]),
        ),
        parameters: Object.fromEntries(Object.keys(gate.parameters).map((k) => [k, { outputFile: path.join(dir, `${k}.txt`) }])),
        outputFile: path.join(dir, 'executor_output.json'),
      },
    };
    const ExecutorInput = kfp.lookupType('ml_pipelines.ExecutorInput');
    const ExecutorOutput = kfp.lookupType('ml_pipelines.ExecutorOutput');
    expect(protoProblems(ExecutorInput, input)).toEqual([]);
    // ... and what the gate step writes: its passed file, then the ExecutorOutput.
    fs.writeFileSync(path.join(dir, 'passed.txt'), 'true\n');
    const out = executorOutput(input, { step: 'gate', metrics: { passed: 1, bad: Number.NaN } }, KFP_METRICS_ARTIFACT);
    expect(protoProblems(ExecutorOutput, out)).toEqual([]);
    expect(out).toEqual({
      parameterValues: { passed: 'true' },
      artifacts: {
        [KFP_METRICS_ARTIFACT]: {
          artifacts: [{ name: input.outputs.artifacts[KFP_METRICS_ARTIFACT]!.artifacts[0]!.name, uri: `gs://b/run/gate/${KFP_METRICS_ARTIFACT}`, metadata: { 'gate.passed': 1 } }],
        },
      },
    });
    expect(protoProblems(ExecutorOutput, { ...out, parameterValues: 'x' })).not.toEqual([]);
    // A step output with the metrics artifact's name is refused (it would be overwritten).
    const clash = { ...p.plan, steps: p.plan.steps.map((s) => (s.name === 'evaluate' ? { ...s, outputs: { ...s.outputs, [KFP_METRICS_ARTIFACT]: 'm.json' } } : s)) };
    expect(kfpPlanProblems(clash, {}).join(' ')).toContain(`step 'evaluate' has an output named '${KFP_METRICS_ARTIFACT}'`);
    // The experiment (a metadata context id) is named by the rule it breaks.
    expect(kfpPlanProblems(p.plan, { experiment: 'Bike_Demand' })).toEqual([
      'the Vertex AI experiment name "Bike_Demand" must be 1 to 128 lowercase letters, digits or hyphens, starting with a letter or digit.',
    ]);
    expect(kfpPlanProblems(p.plan, { experiment: 'bike-demand' })).toEqual([]);
  });

  test('a skipped run starts no guarded task: the guarded tasks are reachable only through the drift condition (one sub-DAG, the gate condition nested in it, as the KFP compiler nests dsl.If)', () => {
    const p = plan('demand-forecast');
    const { spec } = compilePipelineSpec(p, options(p)) as { spec: Record<string, any> };
    expect(kfpProblems(spec)).toEqual([]);
    const real = fixture('pipeline_with_condition.yaml').root.dag.tasks['condition-1'];
    const cond = spec.root.dag.tasks[DRIFT_CONDITION_TASK];
    expect(Object.keys(cond).sort()).toEqual(Object.keys(real).sort());
    expect(cond.triggerPolicy.condition).toBe("inputs.parameter_values['pipelinechannel--drift-proceed'] == 'true'");
    expect(Object.keys(spec.root.dag.tasks).sort()).toEqual(['condition-drift-proceed', 'drift', 'importer-contract', 'importer-data', 'split', 'validate']);
    // Where each container task sits: the chain of condition tasks around it.
    const where = new Map<string, string[]>();
    const walk = (tasks: Record<string, any>, path: string[]): void => {
      for (const [name, t] of Object.entries<any>(tasks)) {
        const component = spec.components[t.componentRef.name];
        if (component.dag) walk(component.dag.tasks, [...path, name]);
        else where.set(name, path);
      }
    };
    walk(spec.root.dag.tasks, []);
    for (const s of p.plan.steps) expect([s.name, where.get(s.name)![0] === DRIFT_CONDITION_TASK]).toEqual([s.name, s.when.length > 0]);
    for (const t of Object.values(EXTRA_TASKS).filter((x) => x !== EXTRA_TASKS.experiment)) expect([t, where.get(t)]).toEqual([t, [DRIFT_CONDITION_TASK, CONDITION_TASK]]);
    // The drift condition's sub-DAG gets what its tasks read from the root through channels, and waits for those tasks.
    const inputs = spec.components[`comp-${DRIFT_CONDITION_TASK}`].inputDefinitions;
    for (const [channel, a] of Object.entries<any>(cond.inputs.artifacts)) {
      expect(inputs.artifacts[channel]).toBeDefined();
      expect(cond.dependentTasks).toContain(a.taskOutputArtifact.producerTask);
    }
    expect(cond.dependentTasks).toEqual(['drift', 'importer-contract', 'split', 'validate']);
  });

  test('a plan whose guarded steps have different guards has no drift condition: each guarded task starts and exits on --when', () => {
    const p = plan('demand-forecast', ['score', 'serve']);
    // A second drift step after the first, guarding only the report: train… are guarded by drift, report by drift and drift2.
    const extra = { ...p.plan.steps.find((s) => s.name === 'drift')!, name: 'drift2', after: ['drift'], when: [{ step: 'drift', output: 'proceed' as const }] };
    const steps = p.plan.steps.flatMap((s) =>
      s.name === 'drift' ? [s, extra] : s.name === 'report' ? [{ ...s, after: [...s.after, 'drift2'], when: [...s.when, { step: 'drift2', output: 'proceed' as const }] }] : [s],
    );
    const mixed: LoadedPlan = {
      ...p,
      plan: { ...p.plan, steps },
      stepArguments: (st, b) => p.stepArguments({ ...st, when: [] }, { ...b, when: undefined }).concat(Object.values(b.when ?? {}).flatMap((w) => ['--when', w])),
    };
    const { spec } = compilePipelineSpec(mixed, options(mixed)) as { spec: Record<string, any> };
    expect(kfpProblems(spec)).toEqual([]);
    expect(JSON.stringify(spec)).not.toContain(DRIFT_CONDITION_TASK);
    expect(Object.keys(spec.root.dag.tasks)).toEqual(expect.arrayContaining(['train-forest', 'gate', CONDITION_TASK]));
    expect(spec.root.dag.tasks['train-forest'].inputs.parameters['when-drift']).toEqual({ taskOutputParameter: { producerTask: 'drift', outputParameterKey: 'proceed' } });
  });

  test('without a gate the promotion reads the guarded register step: it runs inside the drift condition too', () => {
    const p = plan('demand-forecast', ['score', 'gate', 'serve']);
    const { spec } = compilePipelineSpec(p, options(p)) as { spec: Record<string, any> };
    expect(kfpProblems(spec)).toEqual([]);
    expect(Object.keys(spec.root.dag.tasks).sort()).toEqual(['condition-drift-proceed', 'drift', 'importer-contract', 'importer-data', 'split', 'validate']);
    const inside = spec.components[`comp-${DRIFT_CONDITION_TASK}`].dag.tasks;
    expect(Object.keys(inside)).toEqual(expect.arrayContaining(['register', EXTRA_TASKS.upload, EXTRA_TASKS.deploy, EXTRA_TASKS.batch]));
    expect(inside[EXTRA_TASKS.upload].dependentTasks).toEqual(['register', 'select']);
  });

  test('a guarded step in the branch of an unguarded gate: no single condition fits, so no drift condition (--when only)', () => {
    const p = plan('demand-forecast', ['score', 'serve']);
    // The same pipeline with the drift step guarding only the report (train… and the gate run on every run).
    const unguard = (st: (typeof p.plan.steps)[number]) => (st.name === 'report' ? st : { ...st, when: [], after: st.after.filter((a) => a !== 'drift') });
    const apart: LoadedPlan = {
      ...p,
      plan: { ...p.plan, steps: p.plan.steps.map((st) => (st.name === 'report' ? { ...st, after: [...st.after, 'drift'] } : unguard(st))) },
      stepArguments: (st, b) => p.stepArguments({ ...st, when: [] }, { ...b, when: undefined }).concat(Object.values(b.when ?? {}).flatMap((w) => ['--when', w])),
    };
    // report is in the gate's branch and guarded while the gate is not: no single condition fits.
    expect(JSON.stringify(compilePipelineSpec(apart, options(apart)).spec)).not.toContain(DRIFT_CONDITION_TASK);
  });

  test('a plan without a gate has no condition; without register nothing is uploaded or deployed', () => {
    const p = plan('demand-forecast', ['score', 'gate', 'register', 'report', 'serve']);
    const { spec } = compilePipelineSpec(p, options(p)) as { spec: Record<string, any> };
    expect(kfpProblems(spec)).toEqual([]);
    expect(Object.keys(spec.root.dag.tasks)).not.toContain(CONDITION_TASK);
    expect(JSON.stringify(spec)).not.toMatch(/vertex-model-upload|endpoint-deploy/);
  });
});

describe('the PipelineJob request against google.cloud.aiplatform.v1.PipelineJob', () => {
  test('the request the schedule posts is a PipelineJob; an unknown field is refused', () => {
    const job = stack().pipeline.pipelineJob as Record<string, any>;
    expect(protoProblems(PipelineJob, job)).toEqual([]);
    expect(protoProblems(PipelineJob, { ...job, pipelineRoot: 'gs://x' })).toEqual(['$.pipelineRoot: unknown field of google.cloud.aiplatform.v1.PipelineJob']);
    expect(job.runtimeConfig.gcsOutputDirectory).toMatch(/^gs:\/\/.+\/pipelines\/demand-forecast\/runs$/);
    // Each run joins the Vertex AI experiment named after the release (the pipeline's name and the runs' display name).
    expect(kfpProblems(job.pipelineSpec)).toEqual([]);
    const exp = job.pipelineSpec.deploymentSpec.executors[`exec-${EXTRA_TASKS.experiment}`].container;
    expect(exp.args[0]).toBe('experiment');
    expect(JSON.parse(exp.args[1]).experiment).toBe(job.displayName);
    expect(job.pipelineSpec.root.dag.tasks[EXTRA_TASKS.experiment].dependentTasks).toBeUndefined();
  });
});

// ---- the programs in the spec, run ----

describe('the promotion against a loopback Vertex AI API', () => {
  interface Call {
    method: string;
    url: string;
    body?: any;
  }
  let server: http.Server;
  let base = '';
  let calls: Call[] = [];
  let jobs: any[] = [];
  let modelExists = true;
  let experiment: Record<string, unknown> | null = null;
  let addChildren = true;
  const RUN_CONTEXT = 'projects/p/locations/r/metadataStores/default/contexts/run-2-ctx';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        const url = req.url ?? '';
        calls.push({ method: req.method!, url, ...(text ? { body: JSON.parse(text) } : {}) });
        const send = (status: number, body: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (url.startsWith('/computeMetadata/')) return req.headers['metadata-flavor'] === 'Google' ? send(200, { access_token: 'tok' }) : send(403, {});
        if (req.headers.authorization !== 'Bearer tok') return send(401, {});
        if (url.includes('/pipelineJobs?')) return send(200, { pipelineJobs: jobs });
        if (url.endsWith('/pipelineJobs/run-2')) {
          // Vertex AI creates the run's context shortly after the job: absent on the first read.
          const ready = calls.filter((c) => c.url.endsWith('/pipelineJobs/run-2')).length > 1;
          return send(200, { name: 'x/pipelineJobs/run-2', jobDetail: ready ? { pipelineRunContext: { name: RUN_CONTEXT } } : {} });
        }
        if (url.endsWith('/metadataStores/default/contexts/exp-1') && req.method === 'GET')
          return experiment ? send(200, experiment) : send(404, { error: { code: 404, status: 'NOT_FOUND' } });
        if (url.includes('/metadataStores/default/contexts?contextId=')) {
          experiment = { name: 'x/contexts/exp-1', ...JSON.parse(text) };
          return send(200, experiment);
        }
        if (url.endsWith('/contexts/exp-1:addContextChildren')) return addChildren ? send(200, {}) : send(403, { error: { message: 'permission denied' } });
        if (url.endsWith('/models:upload')) return send(200, { name: 'operations/up', done: false });
        if (url === '/v1/operations/up') return send(200, { name: 'operations/up', done: true, response: { model: 'projects/p/locations/r/models/m', modelVersionId: '7' } });
        if (url.endsWith('/models/m')) return modelExists ? send(200, { name: 'projects/p/locations/r/models/m' }) : send(404, {});
        if (url.endsWith(':deployModel') && JSON.parse(text).deployedModel.model === 'x') return send(400, { error: { message: 'model x not found' } });
        if (url.endsWith(':deployModel')) return send(200, { name: 'operations/dep', done: true, response: { deployedModel: { id: 'new' } } });
        if (url.endsWith(':undeployModel')) return send(200, { name: 'operations/und', done: true });
        if (url.endsWith('/endpoints/1')) {
          return send(200, {
            deployedModels: [
              { id: 'old', model: 'projects/p/locations/r/models/m', displayName: 'e-r1' },
              { id: 'other', model: 'projects/p/locations/r/models/another' },
            ],
            trafficSplit: { old: 100 },
          });
        }
        send(404, { error: url });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    calls = [];
    jobs = [];
    modelExists = true;
    experiment = null;
    addChildren = true;
  });

  /** The revision of the last compile of taskArgs. */
  let compiledRevision = '';
  /** The args of a promotion task as compiled, with the loopback URLs. */
  function taskArgs(task: string): string[] {
    const p = plan('demand-forecast');
    const o = options(p, {
      endpoints: { api: `${base}/v1`, metadata: base, pollMs: 10 },
      upload: { ...options(p).upload!, model: 'projects/p/locations/r/models/m' },
      deploy: { ...options(p).deploy!, endpoint: 'projects/p/locations/r/endpoints/1' },
      experiment: 'exp-1',
    });
    const { spec, revision } = compilePipelineSpec(p, o) as { spec: Record<string, any>; revision: string };
    compiledRevision = revision;
    const c = spec.deploymentSpec.executors[`exec-${task}`].container;
    expect(c.command).toEqual(['node', '-e', PROMOTE_SCRIPT]);
    return c.args;
  }
  function run(args: string[], replace: Record<string, string>): Promise<{ code: number; stderr: string }> {
    const final = args.map((a) => Object.entries(replace).reduce((s, [k, v]) => s.split(k).join(v), a));
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', PROMOTE_SCRIPT, ...final], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    });
  }
  const JOB = { '{{$.pipeline_job_name}}': 'run-2' };
  const job = (id: string, state: string, createTime: string): unknown => ({ name: `projects/p/locations/r/pipelineJobs/${id}`, state, createTime });

  test('guard: the younger of two active runs stops; the older (or a lone run) goes on', async () => {
    jobs = [job('run-1', 'PIPELINE_STATE_RUNNING', '2026-01-01T03:00:00Z'), job('run-2', 'PIPELINE_STATE_RUNNING', '2026-01-01T04:00:00.5Z')];
    const younger = await run(taskArgs(EXTRA_TASKS.guard), JOB);
    expect(younger.code).toBe(1);
    expect(younger.stderr).toContain('an older run is still active: projects/p/locations/r/pipelineJobs/run-1');
    expect(decodeURIComponent(calls.find((c) => c.url.includes('pipelineJobs?'))!.url)).toContain('labels.mlops_pipeline="contoso-mlops-dev-bike-demand"');
    jobs = [
      job('run-1', 'PIPELINE_STATE_SUCCEEDED', '2026-01-01T03:00:00Z'),
      job('run-2', 'PIPELINE_STATE_RUNNING', '2026-01-01T04:00:00Z'),
      job('run-3', 'PIPELINE_STATE_RUNNING', '2026-01-01T05:00:00Z'),
    ];
    expect((await run(taskArgs(EXTRA_TASKS.guard), JOB)).code).toBe(0);
  });

  test('experiment: the run context joins the release experiment (created when missing) with the calls the Vertex AI SDK makes; a refusal is a warning, never a failed run', async () => {
    const args = taskArgs(EXTRA_TASKS.experiment);
    const first = await run(args, JOB);
    expect(first.code).toBe(0);
    const store = '/v1/projects/contoso-mlops-dev/locations/europe-west4/metadataStores/default';
    expect(calls.filter((c) => !c.url.startsWith('/computeMetadata/')).map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /v1/projects/contoso-mlops-dev/locations/europe-west4/pipelineJobs/run-2',
      'GET /v1/projects/contoso-mlops-dev/locations/europe-west4/pipelineJobs/run-2',
      `GET ${store}/contexts/exp-1`,
      `POST ${store}/contexts?contextId=exp-1`,
      `POST ${store}/contexts/exp-1:addContextChildren`,
    ]);
    expect(calls.find((c) => c.url.includes('contextId='))!.body).toEqual({
      displayName: 'exp-1',
      schemaTitle: 'system.Experiment',
      schemaVersion: '0.0.1',
      metadata: { experiment_deleted: false },
    });
    expect(calls.find((c) => c.url.endsWith(':addContextChildren'))!.body).toEqual({ childContexts: [RUN_CONTEXT] });
    // The next run finds the experiment and only adds itself.
    calls = [];
    expect((await run(args, JOB)).code).toBe(0);
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual([`${store}/contexts/exp-1:addContextChildren`]);
    // A refused call: a warning in the log, the task (and so the run) succeeds.
    addChildren = false;
    const refused = await run(args, JOB);
    expect(refused.code).toBe(0);
    expect(refused.stderr).toContain('warning: run run-2 is not recorded in the experiment exp-1');
    expect(refused.stderr).toContain('HTTP 403');
    // A context of that name that is not an experiment is named, not joined.
    addChildren = true;
    experiment = { name: 'x', schemaTitle: 'system.Pipeline' };
    calls = [];
    const clash = await run(args, JOB);
    expect(clash.stderr).toContain('is a system.Pipeline context, not an experiment');
    expect(calls.some((c) => c.url.endsWith(':addContextChildren'))).toBe(false);
  });

  test('upload: a new default version of the release model, served by the runtime image, with its lineage, written to the output parameter', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'up-'));
    const out = path.join(dir, 'p', 'model_version');
    // The model folder on the task's /gcs mount, with the fingerprint the runtime writes (training data sha256 and source).
    const local = path.join(dir, 'gcs-model');
    fs.mkdirSync(path.join(local, 'model'), { recursive: true });
    const dataSha = 'c0ffee'.repeat(10) + 'abcd';
    fs.writeFileSync(path.join(local, 'model', 'fingerprint.json'), JSON.stringify({ sha256: dataSha, rows: 10, cols: 3, source: '/gcs/b/datasets/hour.csv' }));
    const placeholders = {
      ...JOB,
      "{{$.inputs.artifacts['model'].uri}}": 'gs://b/runs/select/model',
      "{{$.inputs.artifacts['model'].path}}": local,
      "{{$.outputs.parameters['model_version'].output_file}}": out,
    };
    const r = await run(taskArgs(EXTRA_TASKS.upload), placeholders);
    expect(r).toEqual({ code: 0, stderr: expect.stringContaining('registered') });
    expect(fs.readFileSync(out, 'utf8')).toBe('projects/p/locations/r/models/m@7');
    const upload = calls.find((c) => c.url.endsWith('/models:upload'))!;
    expect(upload.url).toBe('/v1/projects/contoso-mlops-dev/locations/europe-west4/models:upload');
    expect(upload.body).toMatchObject({
      parentModel: 'projects/p/locations/r/models/m',
      serviceAccount: 'ml@contoso-mlops-dev.iam.gserviceaccount.com',
      model: {
        versionAliases: ['default'],
        artifactUri: 'gs://b/runs/select/model/model',
        labels: { mlops_pipeline_job: 'run-2' },
        // Lineage: the run, the data (URI and hash), the image digest and the pipeline revision.
        pipelineJob: 'projects/contoso-mlops-dev/locations/europe-west4/pipelineJobs/run-2',
        containerSpec: { imageUri: IMAGE, args: ['serve'], ports: [{ containerPort: 8080 }], predictRoute: '/predict', healthRoute: '/health' },
        encryptionSpec: { kmsKeyName: 'projects/contoso-mlops-dev/locations/europe-west4/keyRings/k/cryptoKeys/k' },
      },
    });
    const model = upload.body.model;
    expect(compiledRevision).toMatch(/^[0-9a-f]{12}$/);
    expect(model.labels).toMatchObject({ mlops_pipeline_rev: compiledRevision, mlops_data_sha256_12: dataSha.slice(0, 12), mlops_image_sha256_12: 'ab'.repeat(6) });
    for (const [k, v] of Object.entries<string>(model.labels)) expect({ k, ok: /^[a-z][a-z0-9_-]{0,62}$/.test(k) && /^[a-z0-9_-]{0,63}$/.test(v) }).toEqual({ k, ok: true });
    expect(model.versionDescription).toBe(
      `Trained by Vertex AI pipeline job projects/contoso-mlops-dev/locations/europe-west4/pipelineJobs/run-2 (pipeline contoso-mlops-dev-bike-demand, revision ${compiledRevision}). ` +
        `Data: gs://b/datasets/hour.csv (sha256 ${dataSha}). Image: ${IMAGE}.`,
    );
    // Every field is one of UploadModelRequest's (and Model's): a misspelt lineage field is an error here.
    expect(protoProblems(UploadModelRequest, upload.body)).toEqual([]);
    expect(protoProblems(UploadModelRequest, { ...upload.body, model: { ...model, lineage: 'x' } })).toEqual([
      '$.model.lineage: unknown field of google.cloud.aiplatform.v1.Model',
    ]);
    modelExists = false;
    calls = [];
    await run(taskArgs(EXTRA_TASKS.upload), placeholders);
    expect(calls.find((c) => c.url.endsWith('/models:upload'))!.body).toMatchObject({ modelId: 'm' });
    // A model folder without its fingerprint fails the upload before any call: a version never lacks its data lineage.
    fs.rmSync(path.join(local, 'model', 'fingerprint.json'));
    calls = [];
    const missing = await run(taskArgs(EXTRA_TASKS.upload), placeholders);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/fingerprint\.json.*cannot record its training data/);
    expect(calls.some((c) => c.url.endsWith('/models:upload'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('deploy: the version takes all traffic when ready, then the release model’s earlier deployment is undeployed (others kept)', async () => {
    const r = await run(taskArgs(EXTRA_TASKS.deploy), { ...JOB, "{{$.inputs.parameters['model_version']}}": 'projects/p/locations/r/models/m@7' });
    expect(r.code).toBe(0);
    const deploy = calls.find((c) => c.url.endsWith(':deployModel'))!;
    expect(deploy.body).toEqual({
      deployedModel: {
        model: 'projects/p/locations/r/models/m@7',
        // The deployed model names the model version it serves (and the run).
        displayName: 'contoso-mlops-dev-bike-demand-v7-run-2',
        serviceAccount: 'ml@contoso-mlops-dev.iam.gserviceaccount.com',
        dedicatedResources: { machineSpec: { machineType: 'n1-standard-4' }, minReplicaCount: 1, maxReplicaCount: 2 },
      },
      trafficSplit: { 0: 100 },
    });
    expect(calls.filter((c) => c.url.endsWith(':undeployModel')).map((c) => c.body)).toEqual([{ deployedModelId: 'old' }]);
    expect(calls.findIndex((c) => c.url.endsWith(':undeployModel'))).toBeGreaterThan(calls.indexOf(deploy));
  });

  test('a refused deployment fails the task with the status and undeploys nothing (the endpoint keeps serving)', async () => {
    const r = await run(taskArgs(EXTRA_TASKS.deploy), { ...JOB, "{{$.inputs.parameters['model_version']}}": 'x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 400 .*model x not found/);
    expect(calls.some((c) => c.url.endsWith(':deployModel'))).toBe(true);
    expect(calls.some((c) => c.url.endsWith(':undeployModel'))).toBe(false);
  });
});

// ---- the synthesized stack ----

function stack(deployment: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): { json: SynthJson; pipeline: Record<string, any> } {
  const raw = { ...validConfig('gcp'), ...extra };
  raw.deployment = {
    model: 'bike-demand',
    image: { uri: IMAGE },
    training: { data: 'datasets/x.csv' },
    pipeline: { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike-sharing/hour.csv' }, params: { trials: 4 }, skip: ['score'] },
    schedule: { cron: '0 3 * * *', timeZone: 'Europe/Berlin' },
    batch: { input: 'batch/bike/' },
    ...deployment,
  };
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const s = new MlPlatformStack(new App(), 'gcp-pipeline', { config: parseConfig(raw) });
    const { Testing } = require('cdktf') as typeof import('cdktf');
    return { json: JSON.parse(Testing.synth(s)) as SynthJson, pipeline: s.deployment?.pipeline?.resource as unknown as Record<string, any> };
  } finally {
    process.chdir(cwd);
  }
}

describe('the synthesized resources', () => {
  const { json } = stack();
  const jobs = resourcesOf(json, 'google_cloud_scheduler_job');
  const sas = Object.entries(json.resource?.google_service_account ?? {});
  const scheduler = sas.find(([id]) => /SchedulerServiceAccount/.test(id))!;
  const schedulerRef = `\${google_service_account.${scheduler[0]}.member}`;

  test('the spec and the PipelineJob request are objects in the artifact store; the schedule posts the request object', () => {
    const objects = resourcesOf(json, 'google_storage_bucket_object').filter((o) => /\/vertex\//.test(o.name));
    expect(objects.map((o) => o.name).sort()).toEqual(['pipelines/demand-forecast/vertex/pipeline-job.json', 'pipelines/demand-forecast/vertex/pipeline-spec.json']);
    expect(JSON.parse(objects.find((o) => o.name.endsWith('pipeline-spec.json'))!.content).schemaVersion).toBe('2.1.0');
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job).toMatchObject({
      schedule: '0 3 * * *',
      time_zone: 'Europe/Berlin',
      retry_config: { retry_count: 0 },
      http_target: {
        http_method: 'POST',
        uri: 'https://europe-west4-aiplatform.googleapis.com/v1/projects/contoso-mlops-dev/locations/europe-west4/pipelineJobs',
        oauth_token: { service_account_email: `\${google_service_account.${scheduler[0]}.email}`, scope: 'https://www.googleapis.com/auth/cloud-platform' },
      },
    });
    expect(job.http_target.body).toMatch(/^\$\{base64encode\(google_storage_bucket_object\.\S+\.content\)\}$/);
  });

  test('the schedule runs as a dedicated service account that may only create pipeline jobs and act as the pipeline identity', () => {
    const roles = resourcesOf(json, 'google_project_iam_custom_role');
    expect(roles).toHaveLength(1);
    expect(roles[0]!.permissions).toEqual([...GCP_PIPELINE_TRIGGER_PERMISSIONS]);
    expect(GCP_PIPELINE_TRIGGER_PERMISSIONS).toEqual(['aiplatform.pipelineJobs.create']);
    const projectGrants = resourcesOf(json, 'google_project_iam_member').filter((m) => m.member === schedulerRef);
    expect(projectGrants.map((m) => m.role)).toEqual([`projects/contoso-mlops-dev/roles/${roles[0]!.role_id}`]);
    const saGrants = resourcesOf(json, 'google_service_account_iam_member').filter((m) => m.member === schedulerRef);
    expect(saGrants).toHaveLength(1);
    expect(saGrants[0]!.role).toBe('roles/iam.serviceAccountUser');
    const identity = sas.find(([id]) => !/SchedulerServiceAccount|Ci/.test(id))!;
    expect(saGrants[0]!.service_account_id).toBe(`projects/contoso-mlops-dev/serviceAccounts/\${google_service_account.${identity[0]}.email}`);
    // No other grant anywhere names the scheduler's account.
    const all = Object.values(json.resource ?? {}).flatMap((r) => Object.values(r));
    expect(all.filter((r) => r.member === schedulerRef || (Array.isArray(r.members) && r.members.includes(schedulerRef)))).toHaveLength(2);
  });

  test('Cloud Scheduler is enabled and its service agent exists (created on request) with its role', () => {
    expect(resourcesOf(json, 'google_project_service').map((s) => s.service)).toContain('cloudscheduler.googleapis.com');
    expect(resourcesOf(json, 'google_project_service_identity').map((s) => s.service)).toContain('cloudscheduler.googleapis.com');
    expect(resourcesOf(json, 'google_project_iam_member').filter((m) => m.role === 'roles/cloudscheduler.serviceAgent')).toHaveLength(1);
  });

  test('batch.schedule adds a second scheduled PipelineJob scoring with the champion', () => {
    const { json: j } = stack({ batch: { input: 'batch/bike/', schedule: { cron: '30 6 * * 1' } } });
    const sched = resourcesOf(j, 'google_cloud_scheduler_job');
    expect(sched.map((s) => s.schedule).sort()).toEqual(['0 3 * * *', '30 6 * * 1']);
    const req = resourcesOf(j, 'google_storage_bucket_object').find((o) => o.name.endsWith('batch-pipeline-job.json'))!;
    const spec = JSON.parse(req.content).pipelineSpec;
    expect(kfpProblems(spec)).toEqual([]);
    expect(spec.deploymentSpec.executors['exec-batch-score'].container.args).toEqual(expect.arrayContaining(['predict', '--root']));
    expect(JSON.stringify(spec)).toContain('models:/demand-forecast@champion');
  });
});

describe('the pipeline alert', () => {
  const alerts = { alerts: { email: ['oncall@contoso.com'] } };
  const withBatch = stack({ batch: { input: 'batch/bike/', schedule: { cron: '0 5 * * *' } } }, alerts);
  const name: string = withBatch.pipeline.pipelineName;
  const policies = resourcesOf(withBatch.json, 'google_monitoring_alert_policy');
  const policy = policies.find((p) => p.display_name.endsWith('alert-pipeline-failed'))!;

  test('one log-match policy on failed runs of the pipeline and the batch pipeline and on failed schedule attempts, to the alert channels', () => {
    expect(policy).toBeDefined();
    expect(policy.conditions).toHaveLength(1); // a log-match policy holds one condition
    const logs = 'projects/contoso-mlops-dev/logs/aiplatform.googleapis.com%2Fpipeline_job_events';
    expect(policy.conditions[0].condition_matched_log.filter).toBe(
      `(logName="${logs}" AND resource.type="aiplatform.googleapis.com/PipelineJob" AND jsonPayload.state="PIPELINE_STATE_FAILED" AND ` +
        `(jsonPayload.pipelineName="${name}" OR labels.pipeline_name="${name}" OR jsonPayload.pipelineName="${name}-batch" OR labels.pipeline_name="${name}-batch")) OR ` +
        '(resource.type="cloud_scheduler_job" AND jsonPayload.@type="type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished" AND severity>=ERROR AND ' +
        `(resource.labels.job_id="${name}" OR resource.labels.job_id="${name}-batch"))`,
    );
    expect(policy.conditions[0].condition_matched_log.label_extractors).toEqual({
      pipeline_job_id: 'EXTRACT(resource.labels.pipeline_job_id)',
      scheduler_job_id: 'EXTRACT(resource.labels.job_id)',
    });
    // Log-match policies need a notification rate limit; the channels are the alerts section's, as for every other policy.
    expect(policy.alert_strategy.notification_rate_limit.period).toBe('300s');
    const training = policies.find((p) => p.display_name.endsWith('alert-training-failed'))!;
    expect(policy.notification_channels).toEqual(training.notification_channels);
    expect(policy.notification_channels.length).toBeGreaterThan(0);
    expect(policy.severity).toBe('ERROR');
  });

  test('the names it matches are the ones the runs and schedules carry: pipelineInfo.name = display name of every stored job request, the scheduler job names', () => {
    const requests = resourcesOf(withBatch.json, 'google_storage_bucket_object')
      .filter((o) => /pipeline-job\.json$/.test(o.name))
      .map((o) => JSON.parse(o.content));
    expect(requests).toHaveLength(2);
    const filter: string = policy.conditions[0].condition_matched_log.filter;
    for (const r of requests) {
      expect(r.pipelineSpec.pipelineInfo.name).toBe(r.displayName);
      expect(filter).toContain(`jsonPayload.pipelineName="${r.displayName}"`);
    }
    for (const j of resourcesOf(withBatch.json, 'google_cloud_scheduler_job')) expect(filter).toContain(`resource.labels.job_id="${j.name}"`);
  });

  test('it grants nothing (Cloud Monitoring reads the project logs itself) and waits only for the Monitoring API', () => {
    const under = (type: string): string[] =>
      // Logical ids start with the construct path (Alerts_Resource_…).
      Object.entries<any>(withBatch.json.resource?.[type] ?? {})
        .filter(([id]) => /^Alerts_/.test(id))
        .map(([id]) => id);
    expect(under('google_monitoring_alert_policy').length).toBeGreaterThan(4); // the helper sees the alerts' resources
    for (const t of ['google_project_iam_member', 'google_service_account_iam_member', 'google_project_service_identity']) expect({ t, ids: under(t) }).toEqual({ t, ids: [] });
    expect(policy.depends_on.every((d: string) => /google_project_service\./.test(d))).toBe(true);
  });

  test('without a schedule only failed runs are matched; without a pipeline there is no pipeline policy', () => {
    const manual = stack({ schedule: undefined }, alerts);
    const p = resourcesOf(manual.json, 'google_monitoring_alert_policy').find((x) => x.display_name.endsWith('alert-pipeline-failed'))!;
    expect(p.conditions[0].condition_matched_log.filter).not.toContain('cloud_scheduler_job');
    expect(p.conditions[0].condition_matched_log.filter).toContain(`jsonPayload.pipelineName="${name}"`);
    const none = stack({ pipeline: undefined, schedule: undefined, batch: undefined }, alerts);
    expect(
      resourcesOf(none.json, 'google_monitoring_alert_policy')
        .map((x) => x.display_name)
        .filter((n) => /pipeline/.test(n)),
    ).toEqual([]);
  });
});
