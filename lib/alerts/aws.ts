import { createHash } from 'crypto';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmMetricQuery } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { AwsEncryptionKey, TOPIC_PUBLISHER_SERVICE_PRINCIPALS } from '../aws/encryption-key';
import { AwsMlPlatform } from '../aws/platform';
import { partitionOf } from '../aws/arn';
import { policyDocument } from '../aws/policy-document';
import { ErrorCode, messages } from '../core/errors';
import { EVALUATION_WINDOW_MINUTES, EndpointAlertsProps, IEndpointAlerts, alertName, alertDescriptions, resolveAlertProps } from './common';

/** The CloudWatch namespace of SageMaker endpoint invocation metrics. */
export const SAGEMAKER_METRIC_NAMESPACE = 'AWS/SageMaker';
/** The SageMaker endpoint metrics the alarms read (per EndpointName + VariantName). */
export const SAGEMAKER_ALARM_METRICS = {
  /** InvokeEndpoint requests (Sum). */
  invocations: 'Invocations',
  /** Requests the model answered with a 5xx (Sum). */
  serverErrors: 'Invocation5XXErrors',
  /** Time the model container took to answer, in microseconds. */
  modelLatency: 'ModelLatency',
} as const;
/** The production variant a SageMaker endpoint serves when none is named. */
export const DEFAULT_VARIANT_NAME = 'AllTraffic';
/** The EventBridge detail type of SageMaker training job state changes. */
export const TRAINING_JOB_STATE_CHANGE = 'SageMaker Training Job State Change';
/** The EventBridge detail-type of a SageMaker pipeline execution's status change (detail: currentPipelineExecutionStatus, pipelineArn). */
export const PIPELINE_EXECUTION_STATUS_CHANGE = 'SageMaker Model Building Pipeline Execution Status Change';
/** The EventBridge detail-type of a Step Functions execution's status change (detail: status, stateMachineArn). */
export const STEP_FUNCTIONS_STATUS_CHANGE = 'Step Functions Execution Status Change';
/** The only action the topic policy grants. */
const SNS_PUBLISH_ACTION = 'sns:Publish';

/** Props of {@link AwsEndpointAlerts}. */
export interface AwsEndpointAlertsProps extends EndpointAlertsProps {
  /**
   * The SageMaker production variant the alarms watch (CloudWatch publishes
   * the endpoint metrics per EndpointName + VariantName).
   * @default - the endpoint's `variantName` when it has one, else 'AllTraffic'
   */
  readonly variantName?: string;
}

/**
 * Production alerts of a SageMaker endpoint and its training job: a
 * KMS-encrypted SNS topic (email and HTTPS subscriptions; a topic policy that
 * lets only this account's alarms of this endpoint and the training rule
 * publish), CloudWatch alarms on the endpoint's AWS/SageMaker metrics (5xx
 * share of invocations by metric math, ModelLatency p95, no invocations), and
 * an EventBridge rule on failed training jobs of the release.
 */
export class AwsEndpointAlerts extends Construct implements IEndpointAlerts {
  /** Always `aws`. */
  public readonly cloud = 'aws' as const;
  /** The SNS topic ARN every alert publishes to. */
  public readonly topicArn: string;
  /** Alarm names (error rate, latency p95, no traffic) and the EventBridge rule name. */
  public readonly alertNames: readonly string[];
  /** The SNS topic ARN. */
  public readonly notificationTargets: readonly string[];

  constructor(scope: Construct, id: string, props: AwsEndpointAlertsProps) {
    super(scope, id);
    const construct = 'AwsEndpointAlerts';
    const variantName = props.variantName ?? variantOf(props.endpoint) ?? DEFAULT_VARIANT_NAME;
    const r = resolveAlertProps(construct, this, 'aws', props, (issues) => {
      if (props.platform && !topicKeyOf(props.platform)) {
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid(
            construct,
            'platform.encryptionKey',
            props.platform.encryptionKey?.node?.path,
            'an AwsEncryptionKey (the alert topic is encrypted with the platform key, whose key policy must let CloudWatch and EventBridge publish); use the platform AwsMlPlatform builds (with an imported key it encrypts alerts with its service key)',
          ),
        );
      }
      if (typeof variantName !== 'string' || (!Token.isUnresolved(variantName) && !/^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$/.test(variantName))) {
        issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid(construct, 'variantName', variantName, 'a SageMaker production variant name such as "AllTraffic"'));
      }
    });
    const { thresholds: t, baseName } = r;
    // The platform's service key: the platform key, or, when that is imported
    // (its key policy is never written), the key the platform creates for services.
    const key = topicKeyOf(props.platform)!;
    key.allowTopicPublishers();

    const region = props.platform.workspace.region;
    const partition = partitionOf(region);
    const account = new DataAwsCallerIdentity(this, 'Account').accountId;
    const deployed = [props.endpoint.deployed];

    const topic = new SnsTopic(this, 'Topic', {
      name: alertName(baseName, 'alerts', 256),
      displayName: `ML alerts ${baseName}`.slice(0, 100),
      kmsMasterKeyId: key.keyArn,
      tags: props.tags ? { ...props.tags } : undefined,
    });
    this.topicArn = topic.arn;
    this.notificationTargets = [topic.arn];

    const names = {
      errorRate: alertName(baseName, 'alert-error-rate', 255),
      latency: alertName(baseName, 'alert-latency-p95', 255),
      noTraffic: alertName(baseName, 'alert-no-traffic', 255),
      training: alertName(baseName, 'alert-training-failed', 64),
      pipeline: alertName(baseName, 'alert-pipeline-failed', 64),
    };

    const rule = new CloudwatchEventRule(this, 'TrainingFailed', {
      name: names.training,
      description: alertDescriptions
        .trainingFailed(`a SageMaker training job named ${r.jobPrefix}*`, `EventBridge rule on "${TRAINING_JOB_STATE_CHANGE}" with TrainingJobStatus Failed.`)
        .slice(0, 512),
      eventPattern: JSON.stringify({
        source: ['aws.sagemaker'],
        'detail-type': [TRAINING_JOB_STATE_CHANGE],
        detail: { TrainingJobStatus: ['Failed'], TrainingJobName: [{ prefix: r.jobPrefix }] },
      }),
      tags: props.tags ? { ...props.tags } : undefined,
    });

    // Failed runs of the pipeline (and of its batch pipeline), and failed deploys of the state machine that rolls a promoted model out.
    const pipelineArns = props.pipeline?.watched.pipelineArns ?? [];
    const stateMachineArns = props.pipeline?.watched.stateMachineArns ?? [];
    const pipelineRule =
      pipelineArns.length + stateMachineArns.length > 0
        ? new CloudwatchEventRule(this, 'PipelineFailed', {
            name: names.pipeline,
            description: alertDescriptions
              .pipelineFailed(
                `the SageMaker pipeline ${props.pipeline!.pipelineName}${stateMachineArns.length ? ' or its deploy state machine' : ''}`,
                `EventBridge rule on "${PIPELINE_EXECUTION_STATUS_CHANGE}" (Failed) and "${STEP_FUNCTIONS_STATUS_CHANGE}" (FAILED, TIMED_OUT, ABORTED).`,
              )
              .slice(0, 512),
            eventPattern: JSON.stringify({
              $or: [
                ...(pipelineArns.length
                  ? [
                      {
                        source: ['aws.sagemaker'],
                        'detail-type': [PIPELINE_EXECUTION_STATUS_CHANGE],
                        detail: { currentPipelineExecutionStatus: ['Failed'], pipelineArn: pipelineArns },
                      },
                    ]
                  : []),
                ...(stateMachineArns.length
                  ? [
                      {
                        source: ['aws.states'],
                        'detail-type': [STEP_FUNCTIONS_STATUS_CHANGE],
                        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: stateMachineArns },
                      },
                    ]
                  : []),
              ],
            }),
            tags: props.tags ? { ...props.tags } : undefined,
          })
        : undefined;

    new SnsTopicPolicy(this, 'TopicPolicy', {
      arn: topic.arn,
      policy: policyDocument([
        {
          Sid: 'EndpointAlarmsPublish',
          Effect: 'Allow',
          Principal: { Service: TOPIC_PUBLISHER_SERVICE_PRINCIPALS.cloudwatch },
          Action: SNS_PUBLISH_ACTION,
          Resource: topic.arn,
          Condition: {
            StringEquals: { 'aws:SourceAccount': account },
            ArnEquals: { 'aws:SourceArn': [names.errorRate, names.latency, names.noTraffic].map((n) => `arn:${partition}:cloudwatch:${region}:${account}:alarm:${n}`) },
          },
        },
        {
          Sid: 'TrainingFailureRulePublishes',
          Effect: 'Allow',
          Principal: { Service: TOPIC_PUBLISHER_SERVICE_PRINCIPALS.events },
          Action: SNS_PUBLISH_ACTION,
          Resource: topic.arn,
          Condition: { StringEquals: { 'aws:SourceAccount': account }, ArnEquals: { 'aws:SourceArn': pipelineRule ? [rule.arn, pipelineRule.arn] : rule.arn } },
        },
        {
          Sid: 'DenyPublishWithoutTls',
          Effect: 'Deny',
          Principal: '*',
          Action: SNS_PUBLISH_ACTION,
          Resource: topic.arn,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]),
    });

    r.email.forEach((address) => {
      new SnsTopicSubscription(this, `Email${shortHash(address.toLowerCase())}`, { topicArn: topic.arn, protocol: 'email', endpoint: address });
    });
    r.webhooks.forEach((url) => {
      new SnsTopicSubscription(this, `Webhook${shortHash(url)}`, { topicArn: topic.arn, protocol: 'https', endpoint: url });
    });

    new CloudwatchEventTarget(this, 'TrainingFailedTarget', { rule: rule.name, arn: topic.arn, targetId: 'alert-topic' });
    if (pipelineRule) new CloudwatchEventTarget(this, 'PipelineFailedTarget', { rule: pipelineRule.name, arn: topic.arn, targetId: 'alert-topic' });

    const dimensions = { EndpointName: props.endpoint.endpointName, VariantName: variantName };
    const window = EVALUATION_WINDOW_MINUTES * 60;
    const metric = (id: string, metricName: string): CloudwatchMetricAlarmMetricQuery => ({
      id,
      returnData: false,
      metric: { namespace: SAGEMAKER_METRIC_NAMESPACE, metricName, dimensions, period: window, stat: 'Sum' },
    });
    const common = {
      alarmActions: [topic.arn],
      okActions: [topic.arn],
      evaluationPeriods: 1,
      tags: props.tags ? { ...props.tags } : undefined,
      dependsOn: deployed,
    };
    const where = `Endpoint ${props.endpoint.endpointName}, variant ${variantName}.`;

    new CloudwatchMetricAlarm(this, 'ErrorRate', {
      ...common,
      alarmName: names.errorRate,
      alarmDescription: alertDescriptions.errorRate(
        baseName,
        t,
        `Metric math 100 * ${SAGEMAKER_ALARM_METRICS.serverErrors} / ${SAGEMAKER_ALARM_METRICS.invocations} (AWS/SageMaker). ${where}`,
      ),
      comparisonOperator: 'GreaterThanThreshold',
      threshold: t.errorRatePercent,
      treatMissingData: 'notBreaching',
      metricQuery: [
        metric('errors', SAGEMAKER_ALARM_METRICS.serverErrors),
        metric('invocations', SAGEMAKER_ALARM_METRICS.invocations),
        { id: 'error_rate', expression: 'IF(invocations > 0, 100 * errors / invocations, 0)', label: '5xx share of invocations (%)', returnData: true },
      ],
    });

    new CloudwatchMetricAlarm(this, 'LatencyP95', {
      ...common,
      alarmName: names.latency,
      alarmDescription: alertDescriptions.latency(
        baseName,
        t,
        `${SAGEMAKER_ALARM_METRICS.modelLatency} p95 (AWS/SageMaker, microseconds: threshold ${t.latencyP95Ms * 1000}). ${where}`,
      ),
      namespace: SAGEMAKER_METRIC_NAMESPACE,
      metricName: SAGEMAKER_ALARM_METRICS.modelLatency,
      dimensions,
      period: window,
      extendedStatistic: 'p95',
      comparisonOperator: 'GreaterThanThreshold',
      threshold: t.latencyP95Ms * 1000,
      treatMissingData: 'notBreaching',
    });

    new CloudwatchMetricAlarm(this, 'NoTraffic', {
      ...common,
      alarmName: names.noTraffic,
      alarmDescription: alertDescriptions.noTraffic(baseName, t, `${SAGEMAKER_ALARM_METRICS.invocations} Sum < 1 (AWS/SageMaker); no data counts as no traffic. ${where}`),
      namespace: SAGEMAKER_METRIC_NAMESPACE,
      metricName: SAGEMAKER_ALARM_METRICS.invocations,
      dimensions,
      period: t.noTrafficMinutes * 60,
      statistic: 'Sum',
      comparisonOperator: 'LessThanThreshold',
      threshold: 1,
      treatMissingData: 'breaching',
    });

    this.alertNames = [names.errorRate, names.latency, names.noTraffic, names.training, ...(pipelineRule ? [names.pipeline] : [])];
  }
}

/** The production variant an endpoint construct names, if it exposes one (`variantName`). */
function variantOf(endpoint: unknown): string | undefined {
  const v = (endpoint as { variantName?: unknown } | undefined)?.variantName;
  return typeof v === 'string' ? v : undefined;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** The key alert topics are encrypted with: one whose key policy this library writes. */
function topicKeyOf(platform: { readonly encryptionKey?: unknown }): AwsEncryptionKey | undefined {
  if (platform instanceof AwsMlPlatform) return platform.serviceKey;
  return platform.encryptionKey instanceof AwsEncryptionKey ? platform.encryptionKey : undefined;
}
