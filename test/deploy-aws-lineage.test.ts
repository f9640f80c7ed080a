/**
 * Issue 16 on AWS, lineage and overlapping runs: what a registered model
 * version records (run, data, image, pipeline revision), what a deployment
 * records, and the start gate that keeps two training runs from overlapping
 * (its ASL interpreted here against mocked SageMaker answers, and its roles).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { parseConfig } from '../lib/config/load';
import {
  compileDefinition,
  CUSTOMER_METADATA_LIMITS,
  FINGERPRINT_PROPERTY_FILE,
  LINEAGE_KEYS,
  MODEL_FINGERPRINT_FILE,
  pipelineRevision,
} from '../lib/deploy/aws/pipeline-definition';
import { DEPLOYED_PACKAGE_TAG } from '../lib/deploy/aws/pipeline-deploy';
import { RUNNING_STATUSES, START_GATE_LOOKBACK, startMachineDefinition } from '../lib/deploy/aws/pipeline-start';
import { MlPlatformStack } from '../lib/stack';
import { awsDefinitionInput, resourcesOf, validConfig } from './util';

const ROOT = path.resolve(__dirname, '..');
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime@sha256:${'ab'.repeat(32)}`;
const NAME = 'contoso-mlops-dev-bike-demand';
const PIPELINE_ARN = `arn:aws:sagemaker:eu-west-1:123456789012:pipeline/${NAME}`;

function synth(patch: (raw: any) => void = () => undefined): any {
  const raw = validConfig('aws');
  raw.deployment = {
    model: 'bike-demand',
    image: { uri: IMAGE },
    training: { data: 'datasets/x.csv' },
    pipeline: { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike/hour.csv' }, params: { trials: 4 }, skip: ['score'] },
    schedule: { cron: '0 3 * * 1-5', timeZone: 'Europe/Berlin' },
  };
  patch(raw);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    return JSON.parse(Testing.synth(new MlPlatformStack(Testing.app(), 'ct-aws', { config: parseConfig(raw) })));
  } finally {
    process.chdir(cwd);
  }
}

const byName = (json: any, type: string, name: string): any => resourcesOf(json, type).find((r) => r.name === name || r.pipeline_name === name);
const policyOf = (json: any, roleName: string): { trust: any; policy: any } => {
  const [id, role] = Object.entries<any>(json.resource.aws_iam_role).find(([, r]) => r.name === roleName)!;
  const policy = resourcesOf(json, 'aws_iam_role_policy').find((p) => p.role === `\${aws_iam_role.${id}.name}`)!;
  return { trust: JSON.parse(role.assume_role_policy), policy: JSON.parse(policy.policy) };
};
/** Every step, inside (nested) Condition branches too: the gate's Condition sits in the drift step's. */
const flat = (steps: any[]): any[] => steps.flatMap((s: any) => (s.Type === 'Condition' ? [s, ...flat([...s.Arguments.IfSteps, ...s.Arguments.ElseSteps])] : [s]));
const allSteps = (definition: any): any[] => flat(definition.Steps);
const registerModelOf = (definition: any): any => allSteps(definition).find((s) => s.Type === 'RegisterModel');

describe('AWS pipeline lineage', () => {
  const json = synth();
  const pipeline = byName(json, 'aws_sagemaker_pipeline', NAME);
  const definition = JSON.parse(pipeline.pipeline_definition);
  const metadata = registerModelOf(definition).Arguments.CustomerMetadataProperties;

  test('a registered version records its run, its training data (hash and input URIs), the image digest and the pipeline revision', () => {
    expect(metadata[LINEAGE_KEYS.run]).toEqual({ Get: 'Execution.PipelineExecutionArn' });
    // The image by digest, not by tag.
    expect(metadata[LINEAGE_KEYS.image]).toBe(IMAGE);
    expect(metadata[LINEAGE_KEYS.image]).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(metadata[LINEAGE_KEYS.input('data')]).toMatch(/^s3:\/\/\$\{aws_s3_bucket\.[^}]+\.bucket\}\/datasets\/bike\/hour\.csv$/);
    expect(metadata[LINEAGE_KEYS.model]).toBe('demand-forecast');
    expect(metadata[LINEAGE_KEYS.revision]).toMatch(/^[0-9a-f]{16}$/);
    // The data hash is read at run time from the registered model folder's fingerprint.json.
    expect(metadata[LINEAGE_KEYS.dataSha256]).toEqual({ 'Std:JsonGet': { Path: 'sha256', PropertyFile: { Get: `Steps.select.PropertyFiles.${FINGERPRINT_PROPERTY_FILE}` } } });
    const select = allSteps(definition).find((s) => s.Name === 'select');
    expect(select.PropertyFiles).toEqual([{ FilePath: `model/${MODEL_FINGERPRINT_FILE}`, OutputName: 'model', PropertyFileName: FINGERPRINT_PROPERTY_FILE }]);
    // …the folder RegisterModel registers: the fingerprint belongs to the registered model.
    expect(registerModelOf(definition).Arguments.InferenceSpecification.Containers[0].ModelDataSource.S3DataSource.S3Uri['Std:Join'].Values).toEqual([
      { Get: "Steps.select.ProcessingOutputConfig.Outputs['model'].S3Output.S3Uri" },
      'model',
      '',
    ]);
  });

  test("the fingerprint file is the one the runtime writes into every model directory (training-image's MODEL_FILES)", () => {
    const modeldir = fs.readFileSync(path.join(ROOT, 'training-image', 'src', 'artifacts', 'modeldir.ts'), 'utf8');
    expect(modeldir).toMatch(new RegExp(`fingerprint: '${MODEL_FINGERPRINT_FILE.replace('.', '\\.')}'`));
    expect(modeldir).toMatch(/put\(MODEL_FILES\.fingerprint, json\(a\.fingerprint\)\)/);
    const fingerprint = fs.readFileSync(path.join(ROOT, 'training-image', 'src', 'artifacts', 'modeldir.ts'), 'utf8').match(/export interface Fingerprint \{[\s\S]*?\n\}/)![0];
    expect(fingerprint).toMatch(/readonly sha256: string;/);
  });

  test("the metadata keeps SageMaker's CustomerMetadataProperties limits", () => {
    const entries = Object.entries<any>(metadata);
    expect(entries.length).toBeLessThanOrEqual(CUSTOMER_METADATA_LIMITS.maxEntries);
    for (const [key, value] of entries) {
      expect(key.length).toBeLessThanOrEqual(CUSTOMER_METADATA_LIMITS.maxKey);
      expect(CUSTOMER_METADATA_LIMITS.pattern.test(key)).toBe(true);
      if (typeof value === 'string' && !value.includes('${')) {
        expect(value.length).toBeLessThanOrEqual(CUSTOMER_METADATA_LIMITS.maxValue);
        expect(CUSTOMER_METADATA_LIMITS.pattern.test(value)).toBe(true);
      }
    }
  });

  test('the pipeline revision is the hash of the definition (without itself), tagged on the pipeline, stable across synths, and new when the definition changes', () => {
    const revision = metadata[LINEAGE_KEYS.revision];
    expect(pipeline.tags['mlops-pipeline-revision']).toBe(revision);
    const pending = JSON.parse(pipeline.pipeline_definition);
    registerModelOf(pending).Arguments.CustomerMetadataProperties[LINEAGE_KEYS.revision] = 'pending';
    expect(pipelineRevision(pending)).toBe(revision);
    expect(createHash('sha256').update(pipelineRevision(pending)).digest('hex')).toHaveLength(64);
    // Same config, same revision (the hash is over Terraform references, not token numbers).
    expect(registerModelOf(JSON.parse(byName(synth(), 'aws_sagemaker_pipeline', NAME).pipeline_definition)).Arguments.CustomerMetadataProperties[LINEAGE_KEYS.revision]).toBe(
      revision,
    );
    // A changed parameter is a new revision.
    const changed = synth((raw) => (raw.deployment.pipeline.params.trials = 5));
    const other = byName(changed, 'aws_sagemaker_pipeline', NAME);
    expect(registerModelOf(JSON.parse(other.pipeline_definition)).Arguments.CustomerMetadataProperties[LINEAGE_KEYS.revision]).not.toBe(revision);
    expect(other.tags['mlops-pipeline-revision']).not.toBe(revision);
  });

  test('a deployment records the model version it deployed: the configuration <endpoint>-p<version> and a tag with the package ARN on the model and the configuration', () => {
    const asl = JSON.parse(byName(json, 'aws_sfn_state_machine', `${NAME}-deploy`).definition);
    expect(asl.States.Names.Parameters['name.$']).toBe(`States.Format('${NAME}-p{}', $.package.ModelPackageVersion)`);
    for (const state of ['CreateModel', 'CreateEndpointConfig']) {
      expect(asl.States[state].Parameters.Tags).toContainEqual({ Key: DEPLOYED_PACKAGE_TAG, 'Value.$': '$.package.ModelPackageArn' });
    }
    // Tagging on create needs AddTags on those resources: the deploy role has it there.
    const { policy } = policyOf(json, `${NAME}-deploy`);
    const deploy = policy.Statement.find((s: any) => s.Action.includes('sagemaker:CreateModel'));
    expect(deploy.Action).toContain('sagemaker:AddTags');
  });

  describe('bad lineage input fails synth naming the input and the limit', () => {
    const plan = {
      pipeline: 'p',
      model: 'm',
      params: {},
      inputs: {},
      steps: [
        { name: 'train', uses: 'train', after: [], inputs: {}, params: {}, outputs: { model: 'model' }, readsRegistry: false, writesRegistry: false, when: [] },
        {
          name: 'register',
          uses: 'register',
          after: ['train'],
          inputs: { model: { from: 'step', step: 'train', output: 'model' } },
          params: {},
          outputs: {},
          readsRegistry: false,
          writesRegistry: true,
          when: [],
        },
      ],
      register: { step: 'register', model: { from: 'step', step: 'train', output: 'model' } },
      skipped: [],
    };
    const compile = (inputs: Record<string, string>) => () =>
      compileDefinition(awsDefinitionInput({ plan, file: 'x', stepArguments: () => [], batchArguments: () => [] }, { inputs }));

    test('a plan within the limits compiles', () => {
      expect(compile({ data: 'datasets/x.csv' })).not.toThrow();
    });
    test('more inputs than the metadata entries left', () => {
      const many = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`in${i}`, `d/${i}.csv`]));
      expect(compile(many)).toThrow(
        /45 pipeline inputs: SageMaker keeps at most 50 metadata entries per model version, 6 of them the platform's; map at most 44 inputs in deployment\.pipeline\.inputs/,
      );
    });
    test('an object key too long for a metadata value', () => {
      expect(compile({ data: `d/${'x'.repeat(240)}.csv` })).not.toThrow();
      expect(compile({ data: `d/${'x'.repeat(250)}.csv` })).toThrow(/input 'data': its URI "s3:\/\/b\/d\/x+\.csv" must be at most 256 .* with a 63-character bucket name/);
    });
    test('an object key with characters SageMaker refuses in metadata', () => {
      expect(compile({ data: 'data (copy).csv' })).toThrow(/input 'data': its URI .* letters, digits, spaces or _\.:\/=\+-@/);
    });
  });
});

/**
 * A small interpreter of the ASL subset the start gate uses (Task with mocked
 * results, Pass with Parameters, Choice with IsPresent/BooleanEquals/Or,
 * Succeed; paths `$.a.b`, `$.a[0]`, `$.a[*].b`; intrinsics States.ArrayContains,
 * States.Hash, States.Format), enough to run the gate against SageMaker answers.
 */
function runGate(asl: any, summaries: { PipelineExecutionStatus: string }[]): { path: string[]; calls: { action: string; params: any }[]; end: string } {
  const read = (doc: any, p: string): any => {
    let cur: any[] = [doc];
    for (const part of p.replace(/^\$\.?/, '').match(/[^.[\]]+|\[\d+\]|\[\*\]/g) ?? []) {
      if (part === '[*]') cur = cur.flatMap((c) => (Array.isArray(c) ? c : []));
      else if (/^\[\d+\]$/.test(part)) cur = cur.map((c) => (Array.isArray(c) ? c[Number(part.slice(1, -1))] : undefined));
      else cur = cur.map((c) => (c && typeof c === 'object' ? c[part] : undefined));
    }
    return p.includes('[*]') ? cur : cur[0];
  };
  const ctx = { Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:gate:run-1' } };
  const evalValue = (v: string, input: any): any => {
    const intrinsic = v.match(/^(States\.\w+)\((.*)\)$/);
    if (!intrinsic) return v.startsWith('$$.') ? read(ctx, `$.${v.slice(3)}`) : read(input, v);
    const args = intrinsic[2].split(/,\s*/).map((a) => (a.startsWith("'") ? a.slice(1, -1) : evalValue(a, input)));
    if (intrinsic[1] === 'States.ArrayContains') return (args[0] as any[]).includes(args[1]);
    if (intrinsic[1] === 'States.Hash') return createHash(String(args[1]).replace('-', '').toLowerCase()).update(String(args[0])).digest('hex');
    if (intrinsic[1] === 'States.Format') return String(args[0]).replace('{}', String(args[1]));
    throw new Error(`intrinsic ${intrinsic[1]} not modelled`);
  };
  const params = (template: any, input: any): any =>
    Object.fromEntries(Object.entries(template).map(([k, v]) => (k.endsWith('.$') ? [k.slice(0, -2), evalValue(v as string, input)] : [k, v])));
  const setPath = (doc: any, p: string, value: any): any => {
    const out = { ...doc };
    out[p.replace(/^\$\./, '')] = value;
    return out;
  };
  const choice = (rule: any, input: any): boolean => {
    if (rule.Or) return rule.Or.some((r: any) => choice(r, input));
    if (rule.And) return rule.And.every((r: any) => choice(r, input));
    const value = read(input, rule.Variable);
    if ('IsPresent' in rule) return (value !== undefined) === rule.IsPresent;
    if ('BooleanEquals' in rule) return value === rule.BooleanEquals;
    throw new Error(`rule ${JSON.stringify(rule)} not modelled`);
  };
  const results: Record<string, (p: any) => any> = {
    listPipelineExecutions: () => ({ PipelineExecutionSummaries: summaries }),
    startPipelineExecution: () => ({ PipelineExecutionArn: `${PIPELINE_ARN}/execution/new` }),
  };
  const calls: { action: string; params: any }[] = [];
  const trace: string[] = [];
  let input: any = {};
  let name: string = asl.StartAt;
  for (let i = 0; i < 50; i++) {
    const st = asl.States[name];
    trace.push(name);
    if (st.Type === 'Succeed' || st.Type === 'Fail') return { path: trace, calls, end: st.Type };
    let next = st.Next;
    if (st.Type === 'Task') {
      const action = st.Resource.split(':').pop();
      const p = params(st.Parameters, input);
      calls.push({ action, params: p });
      let result = results[action]!(p);
      if (st.ResultSelector) result = params(st.ResultSelector, result);
      input = setPath(input, st.ResultPath, result);
    } else if (st.Type === 'Pass') {
      input = setPath(input, st.ResultPath, params(st.Parameters, input));
    } else if (st.Type === 'Choice') {
      next = st.Choices.find((c: any) => choice(c, input))?.Next ?? st.Default;
    }
    if (st.End) return { path: trace, calls, end: 'End' };
    name = next;
  }
  throw new Error('no end');
}

describe('AWS pipeline start gate: overlapping training runs cannot both register or deploy', () => {
  const json = synth();
  const machine = byName(json, 'aws_sfn_state_machine', `${NAME}-start`);
  const asl = JSON.parse(machine.definition);
  const started = (summaries: { PipelineExecutionStatus: string }[]) => runGate(asl, summaries).calls.some((c) => c.action === 'startPipelineExecution');

  test('the definition: list the newest executions of this pipeline, then start it (no other calls)', () => {
    expect(asl).toEqual(startMachineDefinition({ pipelineName: NAME }));
    expect(asl.States.ListRuns).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:sagemaker:listPipelineExecutions',
      Parameters: { PipelineName: NAME, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: START_GATE_LOOKBACK },
    });
    expect(START_GATE_LOOKBACK).toBe(100); // ListPipelineExecutions' MaxResults maximum
    expect(asl.States.StartRun.Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:startPipelineExecution');
    const resources = Object.values<any>(asl.States)
      .filter((s) => s.Type === 'Task')
      .map((s) => s.Resource);
    expect(resources.sort()).toEqual(['arn:aws:states:::aws-sdk:sagemaker:listPipelineExecutions', 'arn:aws:states:::aws-sdk:sagemaker:startPipelineExecution']);
    for (const st of Object.values<any>(asl.States)) {
      for (const next of [st.Next, st.Default, ...(st.Choices ?? []).map((c: any) => c.Next)].filter(Boolean)) expect(Object.keys(asl.States)).toContain(next);
    }
  });

  test.each([
    ['no run ever', true, []],
    ['only finished runs', true, [{ PipelineExecutionStatus: 'Succeeded' }, { PipelineExecutionStatus: 'Failed' }, { PipelineExecutionStatus: 'Stopped' }]],
    ['a run executing', false, [{ PipelineExecutionStatus: 'Executing' }]],
    ['an older run still executing behind a newer finished one', false, [{ PipelineExecutionStatus: 'Failed' }, { PipelineExecutionStatus: 'Executing' }]],
    ['a run stopping (its steps may still run)', false, [{ PipelineExecutionStatus: 'Stopping' }, { PipelineExecutionStatus: 'Succeeded' }]],
  ] as [string, boolean, { PipelineExecutionStatus: string }[]][])('GIVEN %s WHEN the gate runs THEN it starts a run: %s', (_, expected, summaries) => {
    const run = runGate(asl, summaries);
    expect(started(summaries)).toBe(expected);
    expect(run.end).toBe(expected ? 'End' : 'Succeed');
    if (!expected) expect(run.path[run.path.length - 1]).toBe('Skipped');
  });

  test('every status SageMaker reports for a run in progress blocks a start', () => {
    // SageMaker PipelineExecutionStatus: Executing | Stopping | Stopped | Failed | Succeeded.
    expect([...RUNNING_STATUSES].sort()).toEqual(['Executing', 'Stopping']);
  });

  test('the start is idempotent per gate execution (a retry cannot start a second run) and says who started it', () => {
    const call = runGate(asl, []).calls.find((c) => c.action === 'startPipelineExecution')!;
    expect(call.params.PipelineName).toBe(NAME);
    expect(call.params.ClientRequestToken).toMatch(/^[0-9a-f]{64}$/); // SageMaker: 32-128 characters
    expect(runGate(asl, []).calls[1]!.params.ClientRequestToken).toBe(call.params.ClientRequestToken);
    expect(call.params.PipelineExecutionDescription).toContain('execution:gate:run-1');
  });

  test('roles: the gate may only list and start this pipeline; the schedule may only start the gate; the gate waits for its role and the pipeline', () => {
    const gate = policyOf(json, `${NAME}-start`);
    expect(gate.trust.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } },
    ]);
    expect(gate.policy.Statement).toEqual([{ Effect: 'Allow', Action: ['sagemaker:ListPipelineExecutions', 'sagemaker:StartPipelineExecution'], Resource: [PIPELINE_ARN] }]);
    const scheduler = policyOf(json, `${NAME}-train-scheduler`);
    const machineId = Object.entries<any>(json.resource.aws_sfn_state_machine).find(([, m]) => m.name === `${NAME}-start`)![0];
    expect(scheduler.policy.Statement).toEqual([{ Effect: 'Allow', Action: ['states:StartExecution'], Resource: [`\${aws_sfn_state_machine.${machineId}.arn}`] }]);
    const schedule = byName(json, 'aws_scheduler_schedule', `${NAME}-train`);
    expect(schedule.target).toMatchObject({ arn: `\${aws_sfn_state_machine.${machineId}.arn}`, input: '{}', retry_policy: { maximum_retry_attempts: 0 } });
    expect(schedule.target.sagemaker_pipeline_parameters).toBeUndefined();
    const roleId = Object.entries<any>(json.resource.aws_iam_role).find(([, r]) => r.name === `${NAME}-start`)![0];
    expect(machine.role_arn).toBe(`\${aws_iam_role.${roleId}.arn}`);
    expect(machine.depends_on).toEqual(
      expect.arrayContaining([
        `aws_iam_role.${roleId}`,
        expect.stringMatching(/^aws_iam_role_policy\.Pipeline_StartRolePolicy/),
        expect.stringMatching(/^aws_sagemaker_pipeline\.Pipeline_/),
      ]),
    );
  });
});
