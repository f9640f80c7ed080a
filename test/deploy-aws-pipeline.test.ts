/**
 * Issue 16 on AWS: the SageMaker pipeline, its roles, schedules, deploy
 * action and batch scoring, synthesized from a config; the definition checked
 * against the published SageMaker pipeline definition JSON schema plus the
 * overlay documented in test/fixtures/sagemaker/SOURCE.md.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { Testing } from 'cdktf';
import { parseConfig } from '../lib/config/load';
import { compileDefinition, RUNTIME_ENTRYPOINT, stableJson } from '../lib/deploy/aws/pipeline-definition';
import { MlPlatformStack } from '../lib/stack';
import { awsDefinitionInput, resourcesOf, sageMakerSchemaWithOverlay, validConfig } from './util';

const ROOT = path.resolve(__dirname, '..');
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime@sha256:${'ab'.repeat(32)}`;

function synth(patch: (raw: any) => void = () => undefined): { stack: MlPlatformStack; json: any } {
  const raw = validConfig('aws');
  raw.deployment = {
    model: 'bike-demand',
    image: { uri: IMAGE },
    training: { data: 'datasets/x.csv' },
    pipeline: { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike/hour.csv' }, params: { trials: 4 }, skip: ['score'] },
    schedule: { cron: '0 3 * * 1-5', timeZone: 'Europe/Berlin' },
    batch: { input: 'batch/bike/', schedule: { cron: '30 6 * * *' } },
  };
  patch(raw);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const stack = new MlPlatformStack(Testing.app(), 'ct-aws', { config: parseConfig(raw) });
    return { stack, json: JSON.parse(Testing.synth(stack)) };
  } finally {
    process.chdir(cwd);
  }
}

const byName = (json: any, type: string, name: string): any => resourcesOf(json, type).find((r) => r.name === name || r.pipeline_name === name);
const policyOf = (json: any, roleName: string): any => {
  const role = Object.entries(json.resource.aws_iam_role).find(([, r]: any) => r.name === roleName)!;
  const policy = resourcesOf(json, 'aws_iam_role_policy').find((p) => p.role === `\${aws_iam_role.${role[0]}.name}`)!;
  return { trust: JSON.parse((role[1] as any).assume_role_policy), policy: JSON.parse(policy.policy) };
};

/** Every step of a definition, Condition branches included (depth first, in definition order). */
const flatSteps = (steps: any[]): any[] => steps.flatMap((s) => (s.Type === 'Condition' ? [s, ...flatSteps([...s.Arguments.IfSteps, ...s.Arguments.ElseSteps])] : [s]));
/** The Condition step of a name, wherever it is. */
const conditionNamed = (definition: any, name: string): any => flatSteps(definition.Steps).find((s) => s.Type === 'Condition' && s.Name === name);

describe('AWS continuous training', () => {
  const { stack, json } = synth();
  const pipeline = byName(json, 'aws_sagemaker_pipeline', 'contoso-mlops-dev-bike-demand');
  const definition = JSON.parse(pipeline.pipeline_definition);
  const validate = new Ajv({ strict: false, allErrors: true }).compile(sageMakerSchemaWithOverlay());

  test('the definitions pass the published schema with the overlay', () => {
    const batch = byName(json, 'aws_sagemaker_pipeline', 'contoso-mlops-dev-bike-demand-batch');
    for (const d of [definition, JSON.parse(batch.pipeline_definition)]) {
      const ok = validate(d);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  test('the schema check can fail: the stale schema alone rejects the gate, and a broken step is caught', () => {
    const stale = new Ajv({ strict: false }).compile(
      (() => {
        const s = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sagemaker', 'sagemaker-pipeline-definition.schema.json'), 'utf8'));
        delete s.$schema;
        delete s.$id;
        return s;
      })(),
    );
    expect(stale(definition)).toBe(false);
    const broken = JSON.parse(pipeline.pipeline_definition);
    broken.Steps[0].Arguments.ProcessingResources.ClusterConfig.InstanceCount = 'one';
    expect(validate(broken)).toBe(false);
  });

  test('the resource: names, display name, role, canonical JSON', () => {
    expect(pipeline.pipeline_name).toMatch(/^[0-9A-Za-z]([0-9A-Za-z-])*$/);
    expect(pipeline.pipeline_display_name).toBe(pipeline.pipeline_name);
    expect(pipeline.role_arn).toMatch(/aws_iam_role\.Pipeline_PipelineRole/);
    expect(pipeline.pipeline_definition).toBe(stableJson(definition));
    expect(definition.Version).toBe('2020-12-01');
    // Same input, same string: a second synth gives the identical definition.
    expect(byName(synth().json, 'aws_sagemaker_pipeline', 'contoso-mlops-dev-bike-demand').pipeline_definition).toBe(pipeline.pipeline_definition);
  });

  test('every step runs the runtime image by digest through its entrypoint, as root, isolated, with the platform key', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'training-image', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`ENTRYPOINT ${JSON.stringify([...RUNTIME_ENTRYPOINT]).replace(/,/g, ', ')}`);
    const all = flatSteps(definition.Steps);
    expect(all.filter((x: any) => x.Type === 'Processing').length).toBeGreaterThan(8);
    for (const s of all.filter((x: any) => x.Type === 'Processing')) {
      const a = s.Arguments;
      expect(a.AppSpecification.ImageUri).toBe(IMAGE);
      expect(a.Environment).toEqual({ MLOPS_KEEP_ROOT: '1' });
      expect(a.NetworkConfig.EnableNetworkIsolation).toBe(true);
      expect(a.ProcessingOutputConfig.KmsKeyId).toMatch(/aws_kms_key/);
      expect(a.RoleArn).toMatch(/aws_iam_role\.Platform_Identity/);
      expect(a.StoppingCondition.MaxRuntimeInSeconds).toBe(120 * 60);
    }
  });

  test('inputs: pipeline inputs from the store, earlier outputs by Get, the registry folder for gate and register', () => {
    const steps = Object.fromEntries(flatSteps(definition.Steps).map((s: any) => [s.Name, s]));
    const split = steps.split.Arguments;
    expect(split.ProcessingInputs[0].S3Input.S3Uri).toMatch(/^s3:\/\/\$\{aws_s3_bucket\.[^}]+\.bucket\}\/datasets\/bike\/hour\.csv$/);
    expect(JSON.parse(split.AppSpecification.ContainerArguments[split.AppSpecification.ContainerArguments.indexOf('--inputs') + 1])).toEqual({
      data: '/opt/ml/processing/input/data/hour.csv',
    });
    const out = split.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri['Std:Join'];
    expect(out.Values.slice(1)).toEqual([{ Get: 'Execution.PipelineExecutionId' }, 'split', 'train']);
    expect(out.Values[0]).toMatch(/\/pipelines\/demand-forecast\/runs$/);
    const gate = steps.gate;
    expect(gate.PropertyFiles).toEqual([{ FilePath: 'decision.json', OutputName: 'decision', PropertyFileName: 'Decision' }]);
    expect(gate.Arguments.ProcessingInputs.map((i: any) => i.S3Input.S3Uri)).toContainEqual(expect.stringMatching(/\/pipelines\/demand-forecast\/registry\/$/));
    const register = steps['mlops-gate-passed'].Arguments.IfSteps.find((s: any) => s.Name === 'register').Arguments;
    expect(register.ProcessingOutputConfig.Outputs.find((o: any) => o.OutputName === 'mlops-registry').S3Output).toEqual({
      LocalPath: '/opt/ml/processing/mlops-root/registry',
      S3UploadMode: 'EndOfJob',
      S3Uri: expect.stringMatching(/\/pipelines\/demand-forecast\/registry\/$/),
    });
    expect(register.ProcessingInputs.find((i: any) => i.InputName === 'mlops-registry').S3Input.LocalPath).toBe('/opt/ml/processing/mlops-registry-in');
  });

  test('the gate: only a passed decision registers, deploys and scores; a rejection runs nothing more', () => {
    const cond = conditionNamed(definition, 'mlops-gate-passed');
    expect(cond.Arguments.Conditions).toEqual([
      { LeftValue: { 'Std:JsonGet': { Path: 'passed', PropertyFile: { Get: 'Steps.gate.PropertyFiles.Decision' } } }, RightValue: true, Type: 'Equals' },
    ]);
    expect(cond.Arguments.IfSteps.map((s: any) => s.Name)).toEqual(['register', 'report', 'mlops-register-model', 'mlops-batch-scoring']);
    expect(cond.Arguments.ElseSteps).toEqual([]);
    const top = definition.Steps.map((s: any) => s.Name);
    expect(top).not.toContain('register');
    const model = cond.Arguments.IfSteps.find((s: any) => s.Type === 'RegisterModel').Arguments;
    expect(model.ModelApprovalStatus).toBe('Approved');
    expect(model.CustomerMetadataProperties.mlopsPipeline).toBe('contoso-mlops-dev-bike-demand');
    expect(model.InferenceSpecification.Containers[0].ModelDataSource.S3DataSource).toEqual({
      CompressionType: 'None',
      S3DataType: 'S3Prefix',
      S3Uri: { 'Std:Join': { On: '/', Values: [{ Get: "Steps.select.ProcessingOutputConfig.Outputs['model'].S3Output.S3Uri" }, 'model', ''] } },
    });
    const batch = cond.Arguments.IfSteps.find((s: any) => s.Name === 'mlops-batch-scoring');
    expect(batch.DependsOn).toEqual(['register', 'mlops-register-model']);
    const args: string[] = batch.Arguments.AppSpecification.ContainerArguments;
    expect(args.slice(0, 4)).toEqual(['pipeline', 'step', '--uses', 'predict']);
    expect(JSON.parse(args[args.indexOf('--inputs') + 1]).model).toBe('models:/demand-forecast@champion');
  });

  test('the pipeline role: processing jobs, the group, PassRole of the workload role to SageMaker only', () => {
    const { trust, policy } = policyOf(json, 'contoso-mlops-dev-bike-demand-pipeline');
    expect(trust.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } },
    ]);
    const pass = policy.Statement.find((s: any) => s.Action.includes('iam:PassRole'));
    expect(pass.Resource).toEqual([expect.stringMatching(/aws_iam_role\.Platform_Identity.*\.arn/)]);
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    for (const s of policy.Statement) {
      expect(s.Resource).not.toContain('*');
      for (const a of s.Action) expect(a).not.toMatch(/\*$/);
    }
  });

  test('the schedules: EventBridge Scheduler, cron in its dialect, time zone, a role that may only start its target (training: the start gate)', () => {
    const train = byName(json, 'aws_scheduler_schedule', 'contoso-mlops-dev-bike-demand-train');
    expect(train.schedule_expression).toBe('cron(0 3 ? * 2-6 *)');
    expect(train.schedule_expression_timezone).toBe('Europe/Berlin');
    expect(train.target.arn).toMatch(/^\$\{aws_sfn_state_machine\.Pipeline_StartMachine_[0-9A-F]+\.arn\}$/);
    expect(train.target.retry_policy).toEqual({ maximum_retry_attempts: 0 });
    const { trust, policy } = policyOf(json, 'contoso-mlops-dev-bike-demand-train-scheduler');
    expect(trust.Statement[0].Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(trust.Statement[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '123456789012' } });
    expect(policy.Statement).toEqual([{ Effect: 'Allow', Action: ['states:StartExecution'], Resource: [train.target.arn] }]);
    const batch = byName(json, 'aws_scheduler_schedule', 'contoso-mlops-dev-bike-demand-batch-schedule');
    expect(batch.schedule_expression).toBe('cron(30 6 * * ? *)');
    expect(batch.schedule_expression_timezone).toBe('UTC');
    expect(batch.target.arn).toMatch(/aws_sagemaker_pipeline\.Pipeline_BatchPipeline/);
  });

  test('the deploy action: approval rule → state machine with the endpoint blue/green config retained; Terraform leaves the endpoint config to it', () => {
    const rule = byName(json, 'aws_cloudwatch_event_rule', 'contoso-mlops-dev-bike-demand-approved');
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Package State Change'],
      detail: { ModelPackageGroupName: [expect.stringMatching(/aws_sagemaker_model_package_group/)], ModelApprovalStatus: ['Approved'] },
    });
    const machine = byName(json, 'aws_sfn_state_machine', 'contoso-mlops-dev-bike-demand-deploy');
    const asl = JSON.parse(machine.definition);
    expect(asl.States.UpdateEndpoint.Parameters).toEqual({ 'EndpointConfigName.$': '$.deploy.name', EndpointName: 'contoso-mlops-dev-bike-demand', RetainDeploymentConfig: true });
    expect(asl.States.IsOurs.Choices[0].And).toContainEqual({ StringEquals: 'contoso-mlops-dev-bike-demand', Variable: '$.package.CustomerMetadataProperties.mlopsPipeline' });
    expect(asl.States.EndpointIdle.Default).toBe('EndpointBusy');
    // every Next names a state
    for (const st of Object.values<any>(asl.States)) {
      for (const next of [st.Next, st.Default, ...(st.Choices ?? []).map((c: any) => c.Next)].filter(Boolean)) expect(Object.keys(asl.States)).toContain(next);
    }
    const { trust, policy } = policyOf(json, 'contoso-mlops-dev-bike-demand-deploy');
    expect(trust.Statement[0].Principal).toEqual({ Service: 'states.amazonaws.com' });
    const deploy = policy.Statement.find((s: any) => s.Action.includes('sagemaker:UpdateEndpoint'));
    expect(deploy.Resource).toEqual([
      expect.stringMatching(/:endpoint\/contoso-mlops-dev-bike-demand$/),
      expect.stringMatching(/:endpoint-config\/contoso-mlops-dev-bike-demand-p\*$/),
      expect.stringMatching(/:model\/contoso-mlops-dev-bike-demand-p\*$/),
    ]);
    const endpoint = resourcesOf(json, 'aws_sagemaker_endpoint')[0];
    expect(endpoint.lifecycle.ignore_changes).toEqual(['endpoint_config_name']);
    expect(stack.deployment!.pipeline!.runCommand).toBe(
      'aws stepfunctions start-execution --region eu-west-1 --state-machine-arn arn:aws:states:eu-west-1:123456789012:stateMachine:contoso-mlops-dev-bike-demand-start',
    );
  });

  test("the drift step guards training: each step after it reads its proceed folder and runs with --when on it; the gate's Condition then registers nothing", () => {
    const all = flatSteps(definition.Steps);
    const steps = Object.fromEntries(all.map((s: any) => [s.Name, s]));
    const drift = steps.drift.Arguments;
    expect(JSON.parse(drift.AppSpecification.ContainerArguments[drift.AppSpecification.ContainerArguments.indexOf('--params') + 1])).toEqual({ psi: null });
    expect(drift.ProcessingOutputConfig.Outputs.map((o: any) => o.OutputName)).toEqual(['report', 'proceed']);
    const guarded = ['train-forest', 'train-gbdt', 'select', 'evaluate', 'gate', 'register', 'report'];
    for (const name of Object.keys(steps).filter((n) => !n.startsWith('mlops-'))) {
      const a = steps[name].Arguments;
      const args: string[] = a.AppSpecification.ContainerArguments;
      const guard = a.ProcessingInputs.find((i: any) => i.InputName === 'mlops-when-drift');
      if (!guarded.includes(name)) {
        expect(args).not.toContain('--when');
        expect(guard).toBeUndefined();
        continue;
      }
      expect(guard.S3Input).toMatchObject({
        LocalPath: '/opt/ml/processing/input/mlops-when-drift',
        S3Uri: { Get: "Steps.drift.ProcessingOutputConfig.Outputs['proceed'].S3Output.S3Uri" },
      });
      expect(args.slice(args.indexOf('--when'), args.indexOf('--when') + 2)).toEqual(['--when', '/opt/ml/processing/input/mlops-when-drift/proceed.txt']);
    }
    // psi from the config overrides the pipeline file's parameter.
    const { json: tuned } = synth((raw) => (raw.deployment.pipeline.params = { trials: 4, psi: 0.25 }));
    const d = JSON.parse(byName(tuned, 'aws_sagemaker_pipeline', 'contoso-mlops-dev-bike-demand').pipeline_definition);
    const args: string[] = d.Steps.find((s: any) => s.Name === 'drift').Arguments.AppSpecification.ContainerArguments;
    expect(JSON.parse(args[args.indexOf('--params') + 1])).toEqual({ psi: 0.25 });
  });

  test('a skipped run starts no guarded job: the guarded steps are reachable only through the drift Condition on drift.json proceed, the gate Condition nested in it', () => {
    const drift = conditionNamed(definition, 'mlops-drift-proceed');
    expect(definition.Steps.map((s: any) => s.Name)).toEqual(['validate', 'split', 'drift', 'mlops-drift-proceed']);
    expect(drift.Arguments.Conditions).toEqual([
      { LeftValue: { 'Std:JsonGet': { Path: 'proceed', PropertyFile: { Get: 'Steps.drift.PropertyFiles.DriftReport' } } }, RightValue: true, Type: 'Equals' },
    ]);
    expect(drift.Arguments.ElseSteps).toEqual([]);
    // The property file is the drift step's report output (drift.json, whose proceed is a JSON boolean).
    const driftStep = definition.Steps.find((s: any) => s.Name === 'drift');
    expect(driftStep.PropertyFiles).toEqual([{ FilePath: 'drift.json', OutputName: 'report', PropertyFileName: 'DriftReport' }]);
    expect(driftStep.Arguments.ProcessingOutputConfig.Outputs.map((o: any) => o.OutputName)).toContain('report');
    // Each step's enclosing Conditions: a step with --when is inside the drift Condition, one without is not.
    const enclosing = new Map<string, string[]>();
    const walk = (steps: any[], path: string[]): void => {
      for (const s of steps) {
        enclosing.set(s.Name, path);
        if (s.Type === 'Condition') walk([...s.Arguments.IfSteps, ...s.Arguments.ElseSteps], [...path, s.Name]);
      }
    };
    walk(definition.Steps, []);
    const guarded: string[] = [];
    // The plan's steps (the compiler's own, mlops-*, checked below).
    for (const s of flatSteps(definition.Steps).filter((x: any) => x.Type === 'Processing' && !x.Name.startsWith('mlops-'))) {
      const when = s.Arguments.AppSpecification.ContainerArguments.includes('--when');
      expect([s.Name, enclosing.get(s.Name)!.includes('mlops-drift-proceed')]).toEqual([s.Name, when]);
      if (when) guarded.push(s.Name);
    }
    expect(guarded).toEqual(['train-forest', 'train-gbdt', 'select', 'evaluate', 'gate', 'register', 'report']);
    expect(enclosing.get('mlops-gate-passed')).toEqual(['mlops-drift-proceed']);
    expect(enclosing.get('mlops-register-model')).toEqual(['mlops-drift-proceed', 'mlops-gate-passed']);
    expect(enclosing.get('mlops-batch-scoring')).toEqual(['mlops-drift-proceed', 'mlops-gate-passed']);
    // No rejoin: nothing outside the drift Condition reads or waits for a step inside it (SageMaker starts such a step only when all it depends on ran).
    const inside = new Set(flatSteps(drift.Arguments.IfSteps).map((x: any) => x.Name));
    for (const s of definition.Steps.filter((x: any) => x.Name !== 'mlops-drift-proceed')) {
      expect((s.DependsOn ?? []).filter((d: string) => inside.has(d))).toEqual([]);
      const refs = JSON.stringify(s).match(/Steps\.([A-Za-z0-9_-]+)\./g) ?? [];
      expect(refs.filter((r) => inside.has(r.slice(6, -1)))).toEqual([]);
    }
  });

  test('a plan whose guarded steps have different guards gets no drift Condition: each guarded job starts and exits on --when', () => {
    const mk = (name: string, uses: string, after: string[], when: string[]): any => ({
      name,
      uses,
      after,
      inputs: {},
      params: {},
      outputs: uses === 'drift' ? { report: 'drift.json', proceed: 'proceed.txt' } : { report: 'r.json' },
      readsRegistry: false,
      writesRegistry: false,
      when: when.map((step) => ({ step, output: 'proceed' })),
    });
    const plan = {
      pipeline: 'p',
      model: 'm',
      params: {},
      inputs: {},
      // d2 is guarded by d1 alone, t by both: one Condition cannot hold both levels.
      steps: [mk('d1', 'drift', [], []), mk('d2', 'drift', ['d1'], ['d1']), mk('t', 'validate', ['d2'], ['d1', 'd2'])],
      skipped: [],
    };
    const loaded = {
      plan,
      file: 'x',
      stepArguments: (st: any, b: any) => ['pipeline', 'step', '--name', st.name, ...Object.values(b.when ?? {}).flatMap((w) => ['--when', w as string])],
      batchArguments: () => [],
    } as any;
    const d: any = compileDefinition(awsDefinitionInput(loaded));
    expect(d.Steps.map((s: any) => [s.Name, s.Type])).toEqual([
      ['d1', 'Processing'],
      ['d2', 'Processing'],
      ['t', 'Processing'],
    ]);
    expect(d.Steps[2].Arguments.AppSpecification.ContainerArguments.filter((a: string) => a === '--when')).toHaveLength(2);
    expect(d.Steps.some((s: any) => s.PropertyFiles)).toBe(false);
    // With the same guards on every guarded step, the Condition is there.
    const same = { ...plan, steps: [mk('d1', 'drift', [], []), mk('t', 'validate', ['d1'], ['d1']), mk('u', 'validate', ['t'], ['d1'])] };
    const d2: any = compileDefinition(awsDefinitionInput({ ...loaded, plan: same }));
    expect(d2.Steps.map((s: any) => s.Name)).toEqual(['d1', 'mlops-drift-proceed']);
    expect(d2.Steps[1].Arguments.IfSteps.map((s: any) => s.Name)).toEqual(['t', 'u']);
  });

  test('a step named like a step the compiler adds is refused', () => {
    const plan = {
      pipeline: 'p',
      model: 'm',
      params: {},
      inputs: {},
      steps: [{ name: 'mlops-gate-passed', uses: 'validate', after: [], inputs: {}, params: {}, outputs: {}, readsRegistry: false, writesRegistry: false, when: [] }],
      skipped: [],
    };
    const loaded = { plan, file: 'x', stepArguments: () => [], batchArguments: () => [] } as any;
    expect(() => compileDefinition(awsDefinitionInput(loaded))).toThrow(/reserved on SageMaker Pipelines/);
  });
});

describe('AWS continuous training WITH alerts', () => {
  const { json } = synth((raw) => {
    raw.alerts = { email: ['ml-oncall@contoso.com'] };
  });
  const rule = byName(json, 'aws_cloudwatch_event_rule', 'contoso-mlops-dev-bike-demand-alert-pipeline-failed');

  test('a failed run of either pipeline, or a failed deploy, raises an alert on the alert topic', () => {
    expect(rule).toBeDefined();
    const pattern = JSON.parse(rule.event_pattern);
    const [sagemaker, states] = pattern.$or;
    expect(sagemaker).toMatchObject({
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'],
      detail: { currentPipelineExecutionStatus: ['Failed'] },
    });
    expect(sagemaker.detail.pipelineArn).toHaveLength(2);
    expect(sagemaker.detail.pipelineArn.every((a: string) => /^\$\{aws_sagemaker_pipeline\.[^}]+\.arn\}$/.test(a))).toBe(true);
    expect(states).toMatchObject({ source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] } });
    // The start gate (a failed start is a missed run) and the deploy machine.
    expect(states.detail.stateMachineArn).toEqual([
      expect.stringMatching(/^\$\{aws_sfn_state_machine\.Pipeline_StartMachine_[^}]+\.arn\}$/),
      expect.stringMatching(/^\$\{aws_sfn_state_machine\.Pipeline_DeployMachine_[^}]+\.arn\}$/),
    ]);
    const targets = resourcesOf(json, 'aws_cloudwatch_event_target').filter(
      (t) =>
        t.rule === `\${aws_cloudwatch_event_rule.${Object.keys(json.resource.aws_cloudwatch_event_rule).find((k) => json.resource.aws_cloudwatch_event_rule[k] === rule)}.name}`,
    );
    expect(targets).toHaveLength(1);
    expect(targets[0].arn).toMatch(/^\$\{aws_sns_topic\.[^}]+\.arn\}$/);
    // The topic policy lets this rule publish (by its ARN), as it does the training-failure rule.
    const policy = JSON.parse(resourcesOf(json, 'aws_sns_topic_policy')[0].policy);
    const publish = policy.Statement.find((s: { Sid: string }) => s.Sid === 'TrainingFailureRulePublishes');
    expect(publish.Condition.ArnEquals['aws:SourceArn']).toHaveLength(2);
  });

  test('without a pipeline there is no pipeline rule', () => {
    const { json: plain } = synth((raw) => {
      delete raw.deployment.pipeline;
      delete raw.deployment.schedule;
      delete raw.deployment.batch;
      raw.alerts = { email: ['ml-oncall@contoso.com'] };
    });
    expect(byName(plain, 'aws_cloudwatch_event_rule', 'contoso-mlops-dev-bike-demand-alert-pipeline-failed')).toBeUndefined();
  });
});
