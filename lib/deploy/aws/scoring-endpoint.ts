import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SagemakerEndpoint } from '@cdktf/provider-aws/lib/sagemaker-endpoint';
import { SagemakerEndpointConfiguration } from '@cdktf/provider-aws/lib/sagemaker-endpoint-configuration';
import { SagemakerModel } from '@cdktf/provider-aws/lib/sagemaker-model';
import { Annotations, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { dnsSuffixOf } from '../../aws/arn';
import { ErrorCode, IssueCollector, messages, withArticle } from '../../core/errors';
import { ComputeSize } from '../../core/sizes';
import { IScoringEndpoint, RolloutPolicy, ScoringEndpointProps } from '../contracts';
import { releaseRevision } from '../revision';
import {
  AWS_CLOUDWATCH_ALARM_READ_ACTIONS,
  AWS_RELEASE_NAME,
  AWS_REVISION_SUFFIX_LENGTH,
  AWS_SAGEMAKER_NAME_MAX,
  awsEndpointInstanceType,
  awsHasInstanceStorage,
  awsPlatformOf,
  checkAwsInstanceType,
  revisionName,
} from './common';
import { Policy } from '../../policy/suppression';
import { PropChecks } from '../../core/validate';
import { ROLLOUT_STRATEGIES } from '../../core/settings';
import { checkRuntimeImage, endpointSettingsOf } from '../settings';

/** The one production variant: blue/green deployments need the same variant name in every configuration. */
export const AWS_ENDPOINT_VARIANT = 'AllTraffic';

/** SageMaker's limit on a traffic-shifting wait and on the final bake (seconds). */
const MAX_WAIT_SECONDS = 3600;
/** SageMaker's limits on a blue/green deployment's total run time (seconds). */
const MIN_DEPLOYMENT_TIMEOUT = 600;
const MAX_DEPLOYMENT_TIMEOUT = 28800;
/** Time allowed for the green fleet to start (instances, image pull, model download, health checks). */
const PROVISIONING_SECONDS = 3600;
/** Alarm windows: 1-minute periods, 2 of the last 3 breaching. */
const ALARM_PERIOD = 60;
const ALARM_EVALUATION_PERIODS = 3;
const ALARM_DATAPOINTS = 2;

/** Props of {@link AwsScoringEndpoint}: the neutral props plus what only SageMaker has. */
export interface AwsScoringEndpointProps extends ScoringEndpointProps {
  /**
   * Invocations per instance per minute the autoscaling policy keeps the
   * variant at (target tracking on `SageMakerVariantInvocationsPerInstance`).
   * Only used while `maxInstances` is above `minInstances`.
   * @default 1000
   */
  readonly invocationsPerInstanceTarget?: number;
}

/**
 * A SageMaker real-time endpoint serving a {@link AwsTrainingJob}'s model with
 * the runtime image: a model (image by digest, the job's `model.tar.gz`,
 * network isolation, run as the platform identity), a KMS-encrypted endpoint
 * configuration named after the revision, and an endpoint whose updates are
 * blue/green deployments (canary, linear or all at once, as `rollout` says)
 * rolled back automatically when the 5xx-rate or p95-latency alarm fires.
 * Between `minInstances` and `maxInstances` the variant scales on invocations
 * per instance.
 *
 * The alarms carry no actions: alerting attaches its own (see
 * {@link errorRateAlarm}, {@link latencyAlarm}).
 */
export class AwsScoringEndpoint extends Construct implements IScoringEndpoint {
  /** The cloud this endpoint runs on. */
  public readonly cloud = 'aws' as const;
  /** The SageMaker endpoint name. */
  public readonly endpointName: string;
  /** `https://runtime.sagemaker.<region>.amazonaws.com/endpoints/<name>/invocations` (SigV4-signed POSTs). */
  public readonly endpointUrl: string;
  /** The endpoint ARN. */
  public readonly endpointId: string;
  /** The model version (release revision) the endpoint serves. */
  public readonly modelVersion: string;
  /** The endpoint (created or updated, with its rollout finished). */
  public readonly deployed: ITerraformDependable;
  /** The hosting instance type. */
  public readonly instanceType: string;
  /** Instances each new endpoint configuration starts with (`minInstances`). */
  public readonly instanceCount: number;
  /** The SageMaker model (image + model data). */
  public readonly model: SagemakerModel;
  /** The endpoint configuration (one variant, KMS-encrypted volume). */
  public readonly endpointConfiguration: SagemakerEndpointConfiguration;
  /** The endpoint. */
  public readonly endpoint: SagemakerEndpoint;
  /** Rolls back a deployment when the 5xx share of invocations exceeds `alarms.errorRatePercent`. */
  public readonly errorRateAlarm: CloudwatchMetricAlarm;
  /** The 5xx-rate alarm's name. */
  public readonly errorRateAlarmName: string;
  /** The 5xx-rate alarm's ARN. */
  public readonly errorRateAlarmArn: string;
  /** Rolls back a deployment when p95 model latency exceeds `alarms.latencyP95Ms`. */
  public readonly latencyAlarm: CloudwatchMetricAlarm;
  /** The latency alarm's name. */
  public readonly latencyAlarmName: string;
  /** The latency alarm's ARN. */
  public readonly latencyAlarmArn: string;
  /** The autoscaling target, when `maxInstances` is above `minInstances`. */
  public readonly scalingTarget?: AppautoscalingTarget;
  /** The target-tracking scaling policy, when `maxInstances` is above `minInstances`. */
  public readonly scalingPolicy?: AppautoscalingPolicy;
  /**
   * The blue/green traffic routing the endpoint's updates use: the rollout's
   * strategy, or `ALL_AT_ONCE` when the fleet is too small for its canary or
   * linear steps (see the synth warning).
   */
  public readonly trafficRouting: 'CANARY' | 'LINEAR' | 'ALL_AT_ONCE';

  constructor(scope: Construct, id: string, props: AwsScoringEndpointProps) {
    super(scope, id);
    const where = this.node.path;
    const C = 'AwsScoringEndpoint';
    const issues = new IssueCollector();
    const invalid = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, prop, value, accepted));

    const platform = awsPlatformOf(new PropChecks(issues, C, where), props.platform);
    checkRuntimeImage(new PropChecks(issues, C, where), props.image);
    const job = props.job;
    const jobOk = job !== undefined && job !== null && job.cloud === 'aws' && typeof job.revision === 'string' && /^[0-9a-f]{12}$/.test(job.revision);
    if (!jobOk)
      invalid(
        'job',
        job?.cloud === undefined ? job : withArticle(`${job.cloud} training job`),
        'the AWS training job whose model the endpoint serves (an AwsTrainingJob, or a TrainingJob on an AwsMlPlatform)',
      );

    const maxName = AWS_SAGEMAKER_NAME_MAX - AWS_REVISION_SUFFIX_LENGTH;
    const name = props.name ?? (jobOk ? releaseNameOf(job.jobName, job.revision) : undefined);
    const nameProp = props.name === undefined ? 'name (defaulted from the job)' : 'name';
    if (jobOk && name === undefined) invalid('name', undefined, 'an endpoint name: the job does not follow "<name>-<revision>", so none can be derived');
    if (
      name !== undefined &&
      new PropChecks(issues, C, where).known(nameProp, name, 'lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen', AWS_RELEASE_NAME)
    ) {
      if (name.length > maxName) {
        invalid(
          nameProp,
          name,
          `at most ${maxName} characters: the model and endpoint configuration are named "<name>-<12-hex revision>", which must fit ${AWS_SAGEMAKER_NAME_MAX} (this one is ${name.length + AWS_REVISION_SUFFIX_LENGTH})`,
        );
      }
    }

    const size = props.size ?? ComputeSize.small();
    const instanceType = size instanceof ComputeSize ? awsEndpointInstanceType(size) : '';
    if (size instanceof ComputeSize) checkAwsInstanceType(new PropChecks(issues, C, where), 'size', instanceType);
    else invalid('size', size, 'a ComputeSize, e.g. ComputeSize.small() or ComputeSize.of("small", { aws: "ml.c5.large" })');
    const settings = endpointSettingsOf(new PropChecks(issues, C, where), props);
    const { minInstances, maxInstances } = settings;
    new PropChecks(issues, C, where).int('invocationsPerInstanceTarget', props.invocationsPerInstanceTarget, 1, 1_000_000);
    const requested = resolveRollout(settings.rollout, invalid);
    const { errorRatePercent, latencyP95Ms } = settings.alarms;
    issues.throwIfAny(`Invalid ${C} props:`);

    const { rollout, warning } = fitRolloutToFleet(requested, minInstances, maxInstances);
    if (warning) Annotations.of(this).addWarning(warning);
    this.trafficRouting = rollout.routing.type;
    const aws = platform!;
    const endpointName = name!;
    const region = aws.workspace.region;
    const identity = aws.identity;
    this.endpointName = endpointName;
    this.instanceType = instanceType;
    this.instanceCount = minInstances;
    this.modelVersion = job.modelVersion;
    // Endpoint configurations and models are immutable: each revision gets its own, named after it.
    const revision = releaseRevision(props.image.contentHash, {
      cloud: 'aws',
      kind: 'endpoint',
      job: job.jobName,
      modelRevision: job.revision,
      instanceType,
      minInstances,
      variant: AWS_ENDPOINT_VARIANT,
    });
    const tags = { 'mlops-release': endpointName, 'mlops-model-version': job.modelVersion };

    // Alarms first, by literal names: the endpoint's rollback config refers to them.
    const dimensions = { EndpointName: endpointName, VariantName: AWS_ENDPOINT_VARIANT };
    this.errorRateAlarmName = `${endpointName}-5xx-rate`;
    this.latencyAlarmName = `${endpointName}-latency-p95`;
    this.errorRateAlarm = new CloudwatchMetricAlarm(this, 'ErrorRateAlarm', {
      alarmName: this.errorRateAlarmName,
      alarmDescription: `More than ${errorRatePercent}% of the invocations of endpoint ${endpointName} answered 5xx: rolls back a deployment in progress.`,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: errorRatePercent,
      evaluationPeriods: ALARM_EVALUATION_PERIODS,
      datapointsToAlarm: ALARM_DATAPOINTS,
      treatMissingData: 'notBreaching',
      metricQuery: [
        { id: 'errors', metric: { namespace: 'AWS/SageMaker', metricName: 'Invocation5XXErrors', dimensions, period: ALARM_PERIOD, stat: 'Sum' }, returnData: false },
        { id: 'invocations', metric: { namespace: 'AWS/SageMaker', metricName: 'Invocations', dimensions, period: ALARM_PERIOD, stat: 'Sum' }, returnData: false },
        { id: 'rate', expression: 'IF(invocations > 0, 100 * errors / invocations, 0)', label: '5xx share of invocations (%)', returnData: true },
      ],
      tags: { 'mlops-release': endpointName },
    });
    this.latencyAlarm = new CloudwatchMetricAlarm(this, 'LatencyAlarm', {
      alarmName: this.latencyAlarmName,
      alarmDescription: `p95 model latency of endpoint ${endpointName} above ${latencyP95Ms} ms: rolls back a deployment in progress.`,
      namespace: 'AWS/SageMaker',
      metricName: 'ModelLatency',
      dimensions,
      extendedStatistic: 'p95',
      period: ALARM_PERIOD,
      // ModelLatency is reported in microseconds.
      threshold: latencyP95Ms * 1000,
      comparisonOperator: 'GreaterThanThreshold',
      evaluationPeriods: ALARM_EVALUATION_PERIODS,
      datapointsToAlarm: ALARM_DATAPOINTS,
      treatMissingData: 'notBreaching',
      tags: { 'mlops-release': endpointName },
    });
    this.errorRateAlarmArn = this.errorRateAlarm.arn;
    this.latencyAlarmArn = this.latencyAlarm.arn;

    // The model runs as the identity: pull the image, read the model data.
    // The platform grants both already (merged, not duplicated). Deployment
    // guardrails read the rollback alarms with the same role: that is the one
    // permission this construct adds, scoped to its two alarms.
    aws.imageRegistry.grantPull(identity);
    aws.artifactStore.grantRead(identity);
    identity.addToPolicy({ actions: [...AWS_CLOUDWATCH_ALARM_READ_ACTIONS], resources: [this.errorRateAlarm.arn, this.latencyAlarm.arn] });

    this.model = new SagemakerModel(this, 'Model', {
      name: revisionName(endpointName, revision),
      executionRoleArn: identity.roleArn,
      primaryContainer: {
        image: props.image.imageUriByDigest,
        modelDataUrl: job.modelUri,
        mode: 'SingleModel',
        environment: { MLOPS_MODEL_NAME: job.modelName, MLOPS_MODEL_VERSION: job.modelVersion },
      },
      enableNetworkIsolation: true,
      // Private platforms: the model's instances are in the VPC (and pull the image, read the model through its endpoints).
      vpcConfig: aws.network.vpc ? { subnets: [...aws.network.vpc.subnetIds], securityGroupIds: [aws.network.vpc.securityGroupId] } : undefined,
      tags,
      dependsOn: [job.trained, ...(aws.network.vpc?.ready ?? [])],
      lifecycle: { createBeforeDestroy: true },
    });

    this.endpointConfiguration = new SagemakerEndpointConfiguration(this, 'Config', {
      name: revisionName(endpointName, revision),
      // Instance types with NVMe instance storage encrypt it in hardware; SageMaker refuses a key for them.
      kmsKeyArn: awsHasInstanceStorage(instanceType) ? undefined : aws.encryptionKey.keyArn,
      productionVariants: [
        {
          variantName: AWS_ENDPOINT_VARIANT,
          modelName: this.model.name,
          instanceType,
          initialInstanceCount: minInstances,
          initialVariantWeight: 1,
        },
      ],
      tags,
      lifecycle: { createBeforeDestroy: true },
    });
    if (awsHasInstanceStorage(instanceType)) {
      Policy.suppress(this.endpointConfiguration, 'CKV_AWS_98', `${instanceType} has NVMe instance storage that is encrypted in hardware, and SageMaker refuses a KMS key for it`);
    }

    this.endpoint = new SagemakerEndpoint(this, 'Resource', {
      name: endpointName,
      endpointConfigName: this.endpointConfiguration.name,
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration: rollout.routing,
          terminationWaitInSeconds: rollout.waitSeconds,
          maximumExecutionTimeoutInSeconds: rollout.timeoutSeconds,
        },
        autoRollbackConfiguration: { alarms: [{ alarmName: this.errorRateAlarm.alarmName }, { alarmName: this.latencyAlarm.alarmName }] },
      },
      tags: { 'mlops-release': endpointName },
      // The endpoint pulls the image, downloads the model and reads the alarms as the identity.
      dependsOn: [this.model],
    });
    this.endpoint.dependsOn = [...(this.endpoint.dependsOn ?? []), ...identity.dependencyAddresses];

    if (maxInstances > minInstances) {
      this.scalingTarget = new AppautoscalingTarget(this, 'ScalingTarget', {
        serviceNamespace: 'sagemaker',
        resourceId: `endpoint/${this.endpoint.name}/variant/${AWS_ENDPOINT_VARIANT}`,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: minInstances,
        maxCapacity: maxInstances,
      });
      this.scalingPolicy = new AppautoscalingPolicy(this, 'ScalingPolicy', {
        name: `${endpointName}-invocations-per-instance`,
        policyType: 'TargetTrackingScaling',
        serviceNamespace: this.scalingTarget.serviceNamespace,
        resourceId: this.scalingTarget.resourceId,
        scalableDimension: this.scalingTarget.scalableDimension,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          targetValue: props.invocationsPerInstanceTarget ?? 1000,
          scaleInCooldown: 300,
          scaleOutCooldown: 60,
        },
      });
    }

    this.endpointId = this.endpoint.arn;
    this.endpointUrl = `https://runtime.sagemaker.${region}.${dnsSuffixOf(region)}/endpoints/${this.endpoint.name}/invocations`;
    this.deployed = this.endpoint;
  }
}

/** The release name of a job named `<name>-<revision>`. */
function releaseNameOf(jobName: string, revision: string): string | undefined {
  if (Token.isUnresolved(jobName) || !jobName.endsWith(`-${revision}`)) return undefined;
  return jobName.slice(0, -(revision.length + 1));
}

/** A rollout resolved to SageMaker's blue/green settings. */
export interface ResolvedRollout {
  readonly routing: {
    type: 'CANARY' | 'LINEAR' | 'ALL_AT_ONCE';
    waitIntervalInSeconds: number;
    canarySize?: { type: 'CAPACITY_PERCENT'; value: number };
    linearStepSize?: { type: 'CAPACITY_PERCENT'; value: number };
  };
  readonly waitSeconds: number;
  readonly timeoutSeconds: number;
}

/**
 * The rollout a fleet of `minInstances` to `maxInstances` instances can run.
 * SageMaker turns a `CAPACITY_PERCENT` canary or linear step into whole
 * instances (at least one) and refuses the update unless that batch is at
 * most half of the variant's instance count (TrafficRoutingConfig: CanarySize
 * at most 50%, LinearStepSize 10-50%). A batch is counted here rounded up, for
 * every fleet size autoscaling may reach; a rollout that does not fit falls
 * back to all-at-once (blue/green with the same bake and alarm rollback),
 * with a warning naming the fix.
 */
export function fitRolloutToFleet(rollout: ResolvedRollout, minInstances: number, maxInstances: number): { rollout: ResolvedRollout; warning?: string } {
  const r = rollout.routing;
  const size = r.type === 'CANARY' ? r.canarySize : r.type === 'LINEAR' ? r.linearStepSize : undefined;
  if (!size) return { rollout };
  const tooBig: number[] = [];
  for (let n = minInstances; n <= Math.max(minInstances, maxInstances); n++) {
    const batch = Math.max(1, Math.ceil((n * size.value) / 100));
    if (2 * batch > n) tooBig.push(n);
  }
  if (tooBig.length === 0) return { rollout };
  const what = r.type === 'CANARY' ? `canary of ${size.value}%` : `linear steps of ${size.value}%`;
  const prop = r.type === 'CANARY' ? 'canaryPercent' : 'stepPercent';
  return {
    rollout: { ...rollout, routing: { type: 'ALL_AT_ONCE', waitIntervalInSeconds: r.waitIntervalInSeconds } },
    warning:
      `rollout: a ${what} does not fit a fleet of ${tooBig.join(', ')} instance(s): SageMaker rounds the batch up to whole instances (at least one) ` +
      `and refuses a blue/green update whose batch is more than half of the variant's instances. The endpoint updates all at once instead ` +
      `(blue/green, the same bake, rolled back by the alarms). Fix: set minInstances to 2 or more (and a rollout.${prop} whose rounded-up batch ` +
      `is at most half of every fleet size from minInstances to maxInstances), or set rollout.strategy to all-at-once.`,
  };
}

/** The blue/green traffic routing of a rollout policy, within SageMaker's limits. */
function resolveRollout(policy: Required<RolloutPolicy>, invalid: (prop: string, value: unknown, accepted: string) => void): ResolvedRollout {
  // The neutral ranges are checked by endpointSettingsOf; here only SageMaker's tighter limits.
  const { strategy, canaryPercent, stepPercent, bakeMinutes } = policy;
  const fallback: ResolvedRollout = { routing: { type: 'ALL_AT_ONCE', waitIntervalInSeconds: 0 }, waitSeconds: 0, timeoutSeconds: MIN_DEPLOYMENT_TIMEOUT };
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  if (!(ROLLOUT_STRATEGIES as readonly string[]).includes(strategy) || !isInt(bakeMinutes) || !isInt(canaryPercent) || !isInt(stepPercent)) return fallback;
  let ok = true;
  if (bakeMinutes > MAX_WAIT_SECONDS / 60) {
    invalid('rollout.bakeMinutes', bakeMinutes, `an integer from 0 to ${MAX_WAIT_SECONDS / 60} on AWS (SageMaker waits at most ${MAX_WAIT_SECONDS} s between traffic shifts)`);
    ok = false;
  }
  if (strategy === 'linear' && stepPercent < 10) {
    invalid('rollout.stepPercent', stepPercent, 'an integer from 10 to 50 on AWS (SageMaker: each linear step is 10-50% of the fleet)');
    ok = false;
  }
  if (!ok) return fallback;

  const waitSeconds = bakeMinutes * 60;
  const shifts = strategy === 'canary' ? 2 : strategy === 'linear' ? Math.ceil(100 / stepPercent) : 1;
  const needed = shifts * waitSeconds + waitSeconds + PROVISIONING_SECONDS;
  if (needed > MAX_DEPLOYMENT_TIMEOUT) {
    invalid(
      'rollout.bakeMinutes',
      bakeMinutes,
      `a bake time whose ${shifts} traffic shifts, final bake and ${PROVISIONING_SECONDS / 60} minutes of provisioning fit SageMaker's ${MAX_DEPLOYMENT_TIMEOUT / 3600}-hour deployment limit (${Math.ceil(needed / 60)} minutes needed): shorten bakeMinutes or raise stepPercent`,
    );
    return fallback;
  }
  const timeoutSeconds = Math.max(MIN_DEPLOYMENT_TIMEOUT, needed);
  if (strategy === 'canary') {
    return { routing: { type: 'CANARY', waitIntervalInSeconds: waitSeconds, canarySize: { type: 'CAPACITY_PERCENT', value: canaryPercent } }, waitSeconds, timeoutSeconds };
  }
  if (strategy === 'linear') {
    return { routing: { type: 'LINEAR', waitIntervalInSeconds: waitSeconds, linearStepSize: { type: 'CAPACITY_PERCENT', value: stepPercent } }, waitSeconds, timeoutSeconds };
  }
  return { routing: { type: 'ALL_AT_ONCE', waitIntervalInSeconds: waitSeconds }, waitSeconds, timeoutSeconds };
}
