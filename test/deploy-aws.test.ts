import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AwsMlPlatform, AwsMlPlatformProps } from '../lib/aws';
import { ECR_PULL_ACTIONS, S3_OBJECT_READ_ACTIONS, S3_OBJECT_WRITE_ACTIONS } from '../lib/aws/perms';
import { ComputeSize } from '../lib/core/sizes';
import { AwsScoringEndpoint, AwsScoringEndpointProps, AwsTrainingJob, AwsTrainingJobProps } from '../lib/deploy/aws';
import { IRuntimeImageRef, RolloutPolicy } from '../lib/deploy/contracts';
import { parseSpec } from '../release/src/spec';
import { SynthJson, onlyResource, resourcesOf, synthStack, validationError } from './util';

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const BASE: AwsMlPlatformProps = { naming: NAMING, accountId: '123456789012', region: 'eu-west-1' };
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const IMAGE: IRuntimeImageRef = {
  imageUriByDigest: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/contoso-mlops-dev-runtime@${DIGEST}`,
  imageDigest: DIGEST,
  contentHash: '0123456789abcdef',
};
const RELEASE = 'contoso-mlops-dev-bike-demand';
const JOB: Omit<AwsTrainingJobProps, 'platform'> = {
  image: IMAGE,
  name: RELEASE,
  modelName: 'bike-demand',
  data: 'datasets/bike/hour.csv',
  hyperparameters: { target: 'cnt', model: 'gbdt', max_iter: 200, early_stopping: true },
};

interface Built {
  platform: AwsMlPlatform;
  job: AwsTrainingJob;
  endpoint?: AwsScoringEndpoint;
}

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: unknown;
}

function build(
  stack: Construct,
  o: { platform?: Partial<AwsMlPlatformProps>; job?: Partial<AwsTrainingJobProps>; endpoint?: Partial<AwsScoringEndpointProps> | false } = {},
): Built {
  const platform = new AwsMlPlatform(stack, 'Platform', { ...BASE, ...o.platform });
  const job = new AwsTrainingJob(stack, 'Job', { platform, ...JOB, ...o.job });
  const endpoint = o.endpoint === false ? undefined : new AwsScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job, ...o.endpoint });
  return { platform, job, endpoint };
}

function synth(o: Parameters<typeof build>[1] = {}): { json: SynthJson; built: Built } {
  let built: Built | undefined;
  const json = synthStack((stack: TerraformStack) => {
    built = build(stack, o);
  });
  return { json, built: built! };
}

function statements(json: SynthJson): Statement[] {
  const policy = JSON.parse(onlyResource(json, 'aws_iam_role_policy').policy) as { Statement: Statement[] };
  return policy.Statement;
}

function releaseStep(json: SynthJson): Record<string, any> {
  return onlyResource(json, 'terraform_data');
}

/** The message of the validation error `fn` throws. */
function errorOf(fn: () => unknown): string {
  return validationError(fn).message;
}

function buildError(o: Parameters<typeof build>[1]): string {
  return errorOf(() => synthStack((stack) => build(stack, o)));
}

describe('AwsTrainingJob', () => {
  const { json, built } = synth({ endpoint: false });
  const step = releaseStep(json);
  const spec = step.input as Record<string, any>;

  test('names the job <name>-<revision> and puts the model where SageMaker writes it', () => {
    expect(built.job.revision).toMatch(/^[0-9a-f]{12}$/);
    expect(built.job.jobName).toBe(`${RELEASE}-${built.job.revision}`);
    expect(built.job.modelVersion).toBe(built.job.revision);
    expect(built.job.modelName).toBe('bike-demand');
    expect(built.job.cloud).toBe('aws');
    expect(spec.aws.modelUri).toMatch(new RegExp(`^s3://\\$\\{aws_s3_bucket\\.[^}]+\\.bucket\\}/models/${RELEASE}/${built.job.jobName}/output/model\\.tar\\.gz$`));
  });

  test('the release step carries the spec: training config and the AWS target', () => {
    expect(spec).toMatchObject({
      specVersion: 1,
      kind: 'training',
      cloud: 'aws',
      name: RELEASE,
      modelName: 'bike-demand',
      revision: built.job.revision,
      image: IMAGE.imageUriByDigest,
      training: {
        jobName: built.job.jobName,
        hyperparameters: { target: 'cnt', model: 'gbdt', max_iter: '200', early_stopping: 'true' },
        instanceType: 'ml.m5.xlarge',
        instanceCount: 1,
        maxRuntimeSeconds: 7200,
      },
      aws: { region: 'eu-west-1', volumeSizeGb: 30 },
    });
    expect(spec.training.dataUri).toMatch(/^s3:\/\/\$\{aws_s3_bucket\.[^}]+\.bucket\}\/datasets\/bike\/hour\.csv$/);
    expect(spec.training.outputUri).toMatch(new RegExp(`^s3://\\$\\{aws_s3_bucket\\.[^}]+\\.bucket\\}/models/${RELEASE}$`));
    expect(spec.aws.roleArn).toMatch(/^\$\{aws_iam_role\.[^}]+\.arn\}$/);
    expect(spec.aws.kmsKeyArn).toMatch(/^\$\{aws_kms_key\.[^}]+\.arn\}$/);
    expect(spec.aws.volumeKmsKeyArn).toBe(spec.aws.kmsKeyArn);
    expect(spec.aws.modelPackageGroupName).toMatch(/^\$\{aws_sagemaker_model_package_group\.[^}]+\.model_package_group_name\}$/);
    expect(spec.aws.bucket).toMatch(/^\$\{aws_s3_bucket\.[^}]+\.bucket\}$/);
    expect(spec.aws.spot).toBeUndefined();
    // The common part is what `mlops release` accepts.
    expect(() => parseSpec(JSON.stringify(spec))).not.toThrow();
  });

  test('the step re-runs on a new image digest or revision, runs apply/destroy with the spec, after the grants', () => {
    expect(step.triggers_replace).toEqual({ image_digest: DIGEST, revision: built.job.revision });
    expect(step.lifecycle).toEqual({ create_before_destroy: true });
    expect(step.provisioner).toEqual([
      {
        'local-exec': {
          command: expect.stringMatching(/^node "(\.\.\/)+.*release\/bin\/mlops-release\.js" apply --spec-env MLOPS_RELEASE_SPEC$/),
          environment: { MLOPS_RELEASE_SPEC: '${jsonencode(self.input)}', MLOPS_RELEASE_INSTANCE: '${self.id}' },
        },
      },
      {
        'local-exec': {
          command: expect.stringMatching(/^node "(\.\.\/)+.*release\/bin\/mlops-release\.js" destroy --spec-env MLOPS_RELEASE_SPEC$/),
          environment: { MLOPS_RELEASE_SPEC: '${jsonencode(self.output)}', MLOPS_RELEASE_INSTANCE: '${self.id}' },
          when: 'destroy',
        },
      },
    ]);
    const roleId = Object.keys(json.resource!.aws_iam_role!)[0];
    const policyId = Object.keys(json.resource!.aws_iam_role_policy!)[0];
    expect(step.depends_on).toEqual(expect.arrayContaining([`aws_iam_role.${roleId}`, `aws_iam_role_policy.${policyId}`]));
  });

  test('the revision changes exactly with the image content and the job config', () => {
    const rev = (o: Partial<AwsTrainingJobProps> = {}, platform: Partial<AwsMlPlatformProps> = {}): string => synth({ endpoint: false, job: o, platform }).built.job.revision;
    const base = rev();
    expect(rev()).toBe(base);
    expect(rev({ image: { ...IMAGE, imageDigest: `sha256:${'cd'.repeat(32)}` } })).toBe(base); // a digest alone re-runs the step through its trigger
    expect(rev({ image: { ...IMAGE, contentHash: 'fedcba9876543210' } })).not.toBe(base);
    expect(rev({ data: 'datasets/bike/day.csv' })).not.toBe(base);
    expect(rev({ hyperparameters: { ...JOB.hyperparameters, max_iter: 300 } })).not.toBe(base);
    expect(rev({ instanceCount: 2 })).not.toBe(base);
    expect(rev({ maxRuntimeMinutes: 60 })).not.toBe(base);
    expect(rev({ size: ComputeSize.medium() })).not.toBe(base);
    expect(rev({}, { naming: { ...NAMING, suffix: 'x1' } })).toBe(base); // platform tokens are not part of it
  });

  test('spot training (the platform compute is low priority) waits up to twice the run time', () => {
    const { json: spot } = synth({ endpoint: false, platform: { training: { lowPriority: true } }, job: { maxRuntimeMinutes: 30 } });
    expect(releaseStep(spot).input.aws.spot).toEqual({ maxWaitSeconds: 3600 });
  });

  test('instance types with NVMe instance storage get no volume key (SageMaker refuses one)', () => {
    const { json: gpu } = synth({ endpoint: false, job: { size: ComputeSize.gpu() } });
    const input = releaseStep(gpu).input;
    expect(input.training.instanceType).toBe('ml.g4dn.xlarge');
    expect(input.aws.volumeKmsKeyArn).toBeUndefined();
    expect(input.aws.kmsKeyArn).toMatch(/^\$\{aws_kms_key\./);
  });
});

describe('AwsScoringEndpoint', () => {
  const { json, built } = synth();
  const endpoint = built.endpoint!;

  test('model: image by digest, the job model, network isolation, the platform role, after training', () => {
    const model = onlyResource(json, 'aws_sagemaker_model');
    expect(model.primary_container).toEqual({
      image: IMAGE.imageUriByDigest,
      model_data_url: releaseStep(json).input.aws.modelUri,
      mode: 'SingleModel',
      environment: { MLOPS_MODEL_NAME: 'bike-demand', MLOPS_MODEL_VERSION: built.job.revision },
    });
    expect(model.enable_network_isolation).toBe(true);
    expect(model.execution_role_arn).toMatch(/^\$\{aws_iam_role\.[^}]+\.arn\}$/);
    expect(model.depends_on).toEqual([`terraform_data.${Object.keys(json.resource!.terraform_data!)[0]}`]);
    expect(model.name).toMatch(new RegExp(`^${RELEASE}-[0-9a-f]{12}$`));
    expect(model.lifecycle).toEqual({ create_before_destroy: true });
  });

  test('endpoint configuration: KMS-encrypted, one variant of the hosting size, named per revision, create before destroy', () => {
    const config = onlyResource(json, 'aws_sagemaker_endpoint_configuration');
    expect(config.kms_key_arn).toMatch(/^\$\{aws_kms_key\.[^}]+\.arn\}$/);
    expect(config.production_variants).toEqual([
      {
        variant_name: 'AllTraffic',
        model_name: expect.stringMatching(/^\$\{aws_sagemaker_model\.[^}]+\.name\}$/),
        instance_type: 'ml.m5.large',
        initial_instance_count: 1,
        initial_variant_weight: 1,
      },
    ]);
    expect(config.name).toBe(onlyResource(json, 'aws_sagemaker_model').name);
    expect(config.lifecycle).toEqual({ create_before_destroy: true });
  });

  test('the configuration name changes with the model revision and the variant, the endpoint name does not', () => {
    const nameOf = (o: Parameters<typeof build>[1]): [string, string] => {
      const j = synth(o).json;
      return [onlyResource(j, 'aws_sagemaker_endpoint_configuration').name, onlyResource(j, 'aws_sagemaker_endpoint').name];
    };
    const [config, name] = nameOf({});
    expect(nameOf({})).toEqual([config, name]);
    expect(nameOf({ job: { hyperparameters: { target: 'cnt' } } })[0]).not.toBe(config);
    expect(nameOf({ endpoint: { minInstances: 2, maxInstances: 3 } })[0]).not.toBe(config);
    expect(nameOf({ job: { hyperparameters: { target: 'cnt' } } })[1]).toBe(name);
  });

  test('outputs: name, URL, ARN, model version, deployed', () => {
    const resource = onlyResource(json, 'aws_sagemaker_endpoint');
    expect(resource.name).toBe(RELEASE);
    expect(endpoint.endpointName).toBe(RELEASE);
    expect(endpoint.cloud).toBe('aws');
    expect(endpoint.modelVersion).toBe(built.job.modelVersion);
    expect(endpoint.deployed).toBe(endpoint.endpoint);
    const resolved = synthStack((stack) => {
      const b = build(stack);
      new (require('cdktf').TerraformOutput)(stack, 'url', { value: b.endpoint!.endpointUrl });
      new (require('cdktf').TerraformOutput)(stack, 'id', { value: b.endpoint!.endpointId });
    });
    expect(resolved.output!.url.value).toMatch(/^https:\/\/runtime\.sagemaker\.eu-west-1\.amazonaws\.com\/endpoints\/\$\{aws_sagemaker_endpoint\.[^}]+\.name\}\/invocations$/);
    expect(resolved.output!.id.value).toMatch(/^\$\{aws_sagemaker_endpoint\.[^}]+\.arn\}$/);
  });

  const rollouts: [RolloutPolicy, Record<string, unknown>, number][] = [
    [{ strategy: 'canary' }, { type: 'CANARY', wait_interval_in_seconds: 600, canary_size: { type: 'CAPACITY_PERCENT', value: 10 } }, 600],
    [{ strategy: 'canary', canaryPercent: 50, bakeMinutes: 5 }, { type: 'CANARY', wait_interval_in_seconds: 300, canary_size: { type: 'CAPACITY_PERCENT', value: 50 } }, 300],
    [{ strategy: 'linear', stepPercent: 20, bakeMinutes: 3 }, { type: 'LINEAR', wait_interval_in_seconds: 180, linear_step_size: { type: 'CAPACITY_PERCENT', value: 20 } }, 180],
    [{ strategy: 'all-at-once', bakeMinutes: 0 }, { type: 'ALL_AT_ONCE', wait_interval_in_seconds: 0 }, 0],
  ];
  test.each(rollouts)('deployment_config: blue/green %j with auto-rollback on both alarms (a fleet of two)', (rollout, routing, wait) => {
    const j = synth({ endpoint: { rollout, minInstances: 2, maxInstances: 2 } }).json;
    const config = onlyResource(j, 'aws_sagemaker_endpoint').deployment_config;
    expect(config.blue_green_update_policy.traffic_routing_configuration).toEqual(routing);
    expect(config.blue_green_update_policy.termination_wait_in_seconds).toBe(wait);
    const shifts = rollout.strategy === 'canary' ? 2 : rollout.strategy === 'linear' ? Math.ceil(100 / rollout.stepPercent!) : 1;
    expect(config.blue_green_update_policy.maximum_execution_timeout_in_seconds).toBe(Math.max(600, shifts * wait + wait + 3600));
    const alarmIds = Object.keys(j.resource!.aws_cloudwatch_metric_alarm!);
    expect(config.auto_rollback_configuration.alarms).toEqual(alarmIds.map((id) => ({ alarm_name: `\${aws_cloudwatch_metric_alarm.${id}.alarm_name}` })));
  });

  test('rollback alarms: 5xx share of invocations (metric math) and p95 model latency in microseconds, no actions', () => {
    const alarms = resourcesOf(json, 'aws_cloudwatch_metric_alarm');
    const errors = alarms.find((a) => a.alarm_name === `${RELEASE}-5xx-rate`)!;
    const latency = alarms.find((a) => a.alarm_name === `${RELEASE}-latency-p95`)!;
    const dimensions = { EndpointName: RELEASE, VariantName: 'AllTraffic' };
    expect(errors).toMatchObject({ comparison_operator: 'GreaterThanThreshold', threshold: 5, evaluation_periods: 3, datapoints_to_alarm: 2, treat_missing_data: 'notBreaching' });
    expect(errors.metric_query).toEqual([
      { id: 'errors', metric: { namespace: 'AWS/SageMaker', metric_name: 'Invocation5XXErrors', dimensions, period: 60, stat: 'Sum' }, return_data: false },
      { id: 'invocations', metric: { namespace: 'AWS/SageMaker', metric_name: 'Invocations', dimensions, period: 60, stat: 'Sum' }, return_data: false },
      { id: 'rate', expression: 'IF(invocations > 0, 100 * errors / invocations, 0)', label: '5xx share of invocations (%)', return_data: true },
    ]);
    expect(latency).toMatchObject({
      namespace: 'AWS/SageMaker',
      metric_name: 'ModelLatency',
      dimensions,
      extended_statistic: 'p95',
      period: 60,
      threshold: 1_000_000,
      comparison_operator: 'GreaterThanThreshold',
    });
    for (const a of [errors, latency]) expect(a.alarm_actions).toBeUndefined();
    expect(endpoint.errorRateAlarmName).toBe(`${RELEASE}-5xx-rate`);
    expect(endpoint.latencyAlarmName).toBe(`${RELEASE}-latency-p95`);
    expect(endpoint.errorRateAlarmArn).toMatch(/^\$\{TfToken\[/);
    const custom = synth({ endpoint: { alarms: { errorRatePercent: 2.5, latencyP95Ms: 250 } } }).json;
    const thresholds = resourcesOf(custom, 'aws_cloudwatch_metric_alarm').map((a) => a.threshold);
    expect(thresholds.sort((a, b) => a - b)).toEqual([2.5, 250_000]);
  });

  test('autoscaling: target tracking on invocations per instance between min and max', () => {
    const target = onlyResource(json, 'aws_appautoscaling_target');
    expect(target).toMatchObject({ service_namespace: 'sagemaker', scalable_dimension: 'sagemaker:variant:DesiredInstanceCount', min_capacity: 1, max_capacity: 2 });
    expect(target.resource_id).toMatch(/^endpoint\/\$\{aws_sagemaker_endpoint\.[^}]+\.name\}\/variant\/AllTraffic$/);
    const policy = onlyResource(json, 'aws_appautoscaling_policy');
    expect(policy).toMatchObject({
      policy_type: 'TargetTrackingScaling',
      target_tracking_scaling_policy_configuration: {
        predefined_metric_specification: { predefined_metric_type: 'SageMakerVariantInvocationsPerInstance' },
        target_value: 1000,
        scale_in_cooldown: 300,
        scale_out_cooldown: 60,
      },
    });
    const scaled = synth({ endpoint: { minInstances: 2, maxInstances: 6, invocationsPerInstanceTarget: 300 } }).json;
    expect(onlyResource(scaled, 'aws_appautoscaling_target')).toMatchObject({ min_capacity: 2, max_capacity: 6 });
    expect(onlyResource(scaled, 'aws_appautoscaling_policy').target_tracking_scaling_policy_configuration.target_value).toBe(300);
    expect(onlyResource(scaled, 'aws_sagemaker_endpoint_configuration').production_variants[0].initial_instance_count).toBe(2);
    // A fixed fleet has nothing to scale (and can change instance type without deregistering a scalable target).
    const fixed = synth({ endpoint: { minInstances: 2, maxInstances: 2 } }).json;
    expect(resourcesOf(fixed, 'aws_appautoscaling_target')).toHaveLength(0);
    expect(resourcesOf(fixed, 'aws_appautoscaling_policy')).toHaveLength(0);
  });

  test('hosting sizes: a sensible default per size, overrides honoured, no volume key on NVMe instance types', () => {
    const typeOf = (size: ComputeSize): [string, unknown] => {
      const config = onlyResource(synth({ endpoint: { size } }).json, 'aws_sagemaker_endpoint_configuration');
      return [config.production_variants[0].instance_type, config.kms_key_arn];
    };
    expect(typeOf(ComputeSize.small())[0]).toBe('ml.m5.large');
    expect(typeOf(ComputeSize.medium())[0]).toBe('ml.m5.xlarge');
    expect(typeOf(ComputeSize.large())[0]).toBe('ml.m5.2xlarge');
    expect(typeOf(ComputeSize.small({ aws: 'ml.c5.large' }))[0]).toBe('ml.c5.large');
    expect(typeOf(ComputeSize.small({ azure: 'Standard_F4s_v2' }))[0]).toBe('ml.m5.large');
    const [gpu, key] = typeOf(ComputeSize.gpu());
    expect(gpu).toBe('ml.g4dn.xlarge');
    expect(key).toBeUndefined();
    expect(typeOf(ComputeSize.small({ aws: 'ml.m5d.large' }))[1]).toBeUndefined();
    expect(typeOf(ComputeSize.small({ aws: 'ml.c5.large' }))[1]).toMatch(/^\$\{aws_kms_key\./);
  });

  test('serves any AWS ITrainingJob (e.g. the neutral TrainingJob wrapper), naming itself after the release', () => {
    const j = synthStack((stack) => {
      const { platform, job } = build(stack, { endpoint: false });
      const wrapper = {
        cloud: job.cloud,
        jobName: job.jobName,
        modelName: job.modelName,
        modelVersion: job.modelVersion,
        modelUri: job.modelUri,
        revision: job.revision,
        trained: job.trained,
        node: job.node,
        with: job.with.bind(job),
      };
      new AwsScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job: wrapper });
    });
    expect(onlyResource(j, 'aws_sagemaker_endpoint').name).toBe(RELEASE);
    expect(onlyResource(j, 'aws_sagemaker_model').primary_container.model_data_url).toBe(releaseStep(j).input.aws.modelUri);
  });

  test('the endpoint needs the identity and its grants first', () => {
    const resource = onlyResource(json, 'aws_sagemaker_endpoint');
    const policyId = Object.keys(json.resource!.aws_iam_role_policy!)[0];
    expect(resource.depends_on).toEqual(expect.arrayContaining([`aws_iam_role_policy.${policyId}`, expect.stringMatching(/^aws_sagemaker_model\./)]));
  });
});

describe('the workload identity: read data, write models, pull the image — nothing wider', () => {
  const platformOnly = statements(synthStack((stack) => new AwsMlPlatform(stack, 'Platform', BASE)));
  const { json } = synth();
  const withDeploy = statements(json);

  test('the platform already grants what the job and the endpoint need', () => {
    const allows = (action: string, resource: RegExp): boolean => platformOnly.some((s) => s.Action.includes(action) && s.Resource.some((r) => resource.test(r)));
    const objects = /^\$\{aws_s3_bucket\.[^}]+\.arn\}\/\*$/;
    for (const a of S3_OBJECT_READ_ACTIONS) expect(allows(a, objects)).toBe(true); // read training data, model data
    for (const a of S3_OBJECT_WRITE_ACTIONS) expect(allows(a, objects)).toBe(true); // write models
    for (const a of ECR_PULL_ACTIONS) expect(allows(a, /^\$\{aws_ecr_repository\.[^}]+\.arn\}$/)).toBe(true); // pull the image
    expect(allows('kms:GenerateDataKey*', /^\$\{aws_kms_key\./)).toBe(true); // KMS-encrypted model output
  });

  test('the job and the endpoint add one statement: read their own two rollback alarms', () => {
    expect(withDeploy.slice(0, platformOnly.length)).toEqual(platformOnly);
    const added = withDeploy.slice(platformOnly.length);
    const alarmIds = Object.keys(json.resource!.aws_cloudwatch_metric_alarm!);
    expect(added).toEqual([{ Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms'], Resource: alarmIds.map((id) => `\${aws_cloudwatch_metric_alarm.${id}.arn}`) }]);
    expect(resourcesOf(json, 'aws_iam_role_policy')).toHaveLength(1);
    expect(resourcesOf(json, 'aws_iam_role_policy_attachment')).toHaveLength(0);
  });
});

describe('bad props fail with the prop, the value and the fix', () => {
  test('a platform of another cloud', () => {
    const message = errorOf(() =>
      synthStack((stack) => {
        const platform = new AwsMlPlatform(stack, 'Platform', BASE);
        const fake = Object.assign(Object.create(Object.getPrototypeOf(platform.workspace)) as object, { cloud: 'azure' });
        new AwsTrainingJob(stack, 'Job', { ...JOB, platform: fake as unknown as AwsMlPlatform });
      }),
    );
    expect(message).toContain("'platform' prop of AwsTrainingJob must be an AwsMlPlatform");
    expect(message).toContain('on cloud azure');
  });

  test('a release name that cannot fit the SageMaker job name', () => {
    const name = `contoso-mlops-production-${'x'.repeat(30)}`;
    const message = buildError({ job: { name } });
    expect(message).toContain("'name' prop of AwsTrainingJob must be at most 50 characters");
    expect(message).toContain(`this one is ${name.length + 13}`);
    expect(message).toContain(JSON.stringify(name).slice(0, 20));
  });

  test('names, data path, hyperparameters, counts', () => {
    const message = buildError({
      endpoint: false,
      job: {
        name: 'Bike_Demand',
        modelName: '-bike',
        data: 'datasets/../secrets.csv',
        hyperparameters: { max_iter: Number.NaN, nested: { a: 1 } as unknown as string },
        instanceCount: 5,
        maxRuntimeMinutes: 0,
      },
    });
    expect(message).toContain("'name' prop of AwsTrainingJob must be lowercase letters, digits and hyphens");
    expect(message).toContain('Got "Bike_Demand"');
    expect(message).toContain("'modelName' prop");
    expect(message).toContain('\'data\' prop of AwsTrainingJob must be a path inside the artifact store (no ".." segments)');
    expect(message).toContain("'hyperparameters.max_iter' prop of AwsTrainingJob must be a string, a finite number or a boolean");
    expect(message).toContain("'hyperparameters.nested' prop");
    expect(message).toContain("'instanceCount' prop of AwsTrainingJob must be an integer from 1 to 4 (the platform's training.maxNodes). Got 5");
    expect(message).toContain("'maxRuntimeMinutes' prop of AwsTrainingJob must be an integer from 1 to 40320. Got 0");
  });

  test('rollout beyond what SageMaker accepts', () => {
    expect(buildError({ endpoint: { rollout: { strategy: 'canary', bakeMinutes: 90 } } })).toContain(
      "'rollout.bakeMinutes' prop of AwsScoringEndpoint must be an integer from 0 to 60 on AWS",
    );
    expect(buildError({ endpoint: { rollout: { strategy: 'linear', stepPercent: 5 } } })).toContain(
      "'rollout.stepPercent' prop of AwsScoringEndpoint must be an integer from 10 to 50 on AWS",
    );
    expect(buildError({ endpoint: { rollout: { strategy: 'canary', canaryPercent: 60 } } })).toContain("'rollout.canaryPercent' prop");
    expect(buildError({ endpoint: { rollout: { strategy: 'blue' as 'canary' } } })).toContain(
      "'rollout.strategy' prop of AwsScoringEndpoint must be one of canary, linear, all-at-once",
    );
    const long = buildError({ endpoint: { rollout: { strategy: 'linear', stepPercent: 10, bakeMinutes: 60 } } });
    expect(long).toContain("'rollout.bakeMinutes' prop");
    expect(long).toContain('8-hour deployment limit');
  });

  test('instances, alarms, size, name', () => {
    const message = buildError({
      endpoint: { minInstances: 3, maxInstances: 2, alarms: { errorRatePercent: 0, latencyP95Ms: 1.5 }, size: ComputeSize.small({ aws: 'c5.large' }), name: 'x'.repeat(51) },
    });
    expect(message).toContain("'maxInstances' prop of AwsScoringEndpoint must be at least minInstances (3). Got 2");
    expect(message).toContain("'alarms.errorRatePercent' prop");
    expect(message).toContain("'alarms.latencyP95Ms' prop");
    expect(message).toContain("'size' prop of AwsScoringEndpoint must be a SageMaker instance type");
    expect(message).toContain('Got "c5.large"');
    expect(message).toContain("'name' prop of AwsScoringEndpoint must be at most 50 characters");
  });

  test('a job of another cloud', () => {
    const message = errorOf(() =>
      synthStack((stack) => {
        const { platform, job } = build(stack, { endpoint: false });
        new AwsScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job: { ...job, cloud: 'gcp', node: job.node } as unknown as AwsTrainingJob });
      }),
    );
    expect(message).toContain("'job' prop of AwsScoringEndpoint must be the AWS training job");
    expect(message).toContain('Got "a gcp training job"');
  });
});

describe('issue 11, finding 9: canary and linear rollouts fit the fleet (SageMaker: a batch is at most half the instances)', () => {
  const warningsOf = (endpoint: AwsScoringEndpoint): string[] => endpoint.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
  const routing = (json: SynthJson) => onlyResource(json, 'aws_sagemaker_endpoint').deployment_config.blue_green_update_policy;

  test('GIVEN a 10% canary on one instance WHEN synthesized THEN the update falls back to all-at-once with the same bake, and a warning names minInstances and the strategy', () => {
    const { json, built } = synth({ endpoint: { rollout: { strategy: 'canary', canaryPercent: 10, bakeMinutes: 10 }, minInstances: 1, maxInstances: 2 } });
    expect(routing(json).traffic_routing_configuration).toEqual({ type: 'ALL_AT_ONCE', wait_interval_in_seconds: 600 });
    expect(routing(json).termination_wait_in_seconds).toBe(600);
    expect(built.endpoint!.trafficRouting).toBe('ALL_AT_ONCE');
    const [warning] = warningsOf(built.endpoint!);
    expect(warning).toContain('a canary of 10% does not fit a fleet of 1 instance(s)');
    expect(warning).toContain('set minInstances to 2 or more');
    expect(warning).toContain('rollout.strategy to all-at-once');
  });

  test('GIVEN linear steps on one instance WHEN synthesized THEN the update falls back to all-at-once with a warning naming stepPercent', () => {
    const { json, built } = synth({ endpoint: { rollout: { strategy: 'linear', stepPercent: 20, bakeMinutes: 3 }, minInstances: 1, maxInstances: 1 } });
    expect(routing(json).traffic_routing_configuration.type).toBe('ALL_AT_ONCE');
    expect(warningsOf(built.endpoint!).join('\n')).toContain('rollout.stepPercent');
  });

  test('GIVEN a 50% canary on a fleet that may scale to 3 WHEN synthesized THEN it falls back: 2 of 3 instances is more than half', () => {
    const { json, built } = synth({ endpoint: { rollout: { strategy: 'canary', canaryPercent: 50 }, minInstances: 2, maxInstances: 3 } });
    expect(routing(json).traffic_routing_configuration.type).toBe('ALL_AT_ONCE');
    expect(warningsOf(built.endpoint!).join('\n')).toContain('does not fit a fleet of 3 instance(s)');
  });

  test('GIVEN a 25% canary on 2 to 4 instances WHEN synthesized THEN the canary stays, without a warning', () => {
    const { json, built } = synth({ endpoint: { rollout: { strategy: 'canary', canaryPercent: 25 }, minInstances: 2, maxInstances: 4 } });
    expect(routing(json).traffic_routing_configuration).toEqual({ type: 'CANARY', wait_interval_in_seconds: 600, canary_size: { type: 'CAPACITY_PERCENT', value: 25 } });
    expect(warningsOf(built.endpoint!)).toEqual([]);
  });
});
