import { ITerraformDependable, TerraformStack, Token } from 'cdktf';
import { TerraformData as DataResource } from '../lib/deploy/terraform-data';
import { Construct } from 'constructs';
import { EndpointAlerts, EndpointAlertsProps, IEndpointAlerts } from '../lib/alerts';
import { AwsEndpointAlerts } from '../lib/alerts/aws';
import { AzureEndpointAlerts } from '../lib/alerts/azure';
import { alertName, trainingJobPrefix } from '../lib/alerts/common';
import { GcpEndpointAlerts } from '../lib/alerts/gcp';
import { AwsMlPlatform } from '../lib/aws';
import { AzureMlPlatform } from '../lib/azure';
import { Cloud } from '../lib/core/cloud';
import { IMlPlatform } from '../lib/core/contracts';
import { ErrorCode, MlopsValidationError } from '../lib/core/errors';
import { IScoringEndpoint, ITrainingJob } from '../lib/deploy/contracts';
import { GcpMlPlatform } from '../lib/gcp';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const RELEASE = 'contoso-mlops-dev-bike-demand';
const REVISION = '0123456789ab';
const ACCOUNT = '123456789012';
const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';
const TENANT = '11111111-2222-3333-4444-555555555555';
const RECEIVERS = { email: ['ops@example.com', 'ml-team@example.org'], webhooks: ['https://hooks.example.com/services/T0/B0/x'] };
const THRESHOLDS = { errorRatePercent: 2.5, latencyP95Ms: 750, noTrafficMinutes: 90 };

/** A training job as the release step's constructs expose it (the per-cloud ones are built elsewhere). */
class StandInJob extends Construct implements ITrainingJob {
  public readonly jobName: string;
  public readonly modelName = 'bike-demand';
  public readonly modelVersion = REVISION;
  public readonly modelUri = 'model://bike-demand';
  public readonly revision = REVISION;
  public readonly trained: ITerraformDependable;
  constructor(
    scope: Construct,
    id: string,
    public readonly cloud: Cloud,
    jobName = `${RELEASE}-${REVISION}`,
  ) {
    super(scope, id);
    this.jobName = jobName;
    this.trained = new DataResource(this, 'Trained', { input: { jobName } });
  }
}

/** A scoring endpoint whose `deployed` is a resource of its own, so dependencies on it show in the synth. */
class StandInEndpoint extends Construct implements IScoringEndpoint {
  public readonly endpointName = RELEASE;
  public readonly endpointUrl = 'https://scoring.example.com';
  public readonly endpointId: string;
  public readonly modelVersion = REVISION;
  public readonly deployed: ITerraformDependable;
  constructor(
    scope: Construct,
    id: string,
    public readonly cloud: Cloud,
    endpointId?: string,
    extra: Record<string, unknown> = {},
  ) {
    super(scope, id);
    const rollout = new DataResource(this, 'Rollout', { input: { release: RELEASE } });
    this.deployed = rollout;
    this.endpointId = endpointId ?? rollout.getStringAttribute('output');
    Object.assign(this, extra);
  }
}

const ENDPOINT_IDS: Record<Cloud, string> = {
  aws: `arn:aws:sagemaker:eu-west-1:${ACCOUNT}:endpoint/${RELEASE}`,
  azure: `/subscriptions/${SUBSCRIPTION}/resourceGroups/contoso-mlops-dev-rg/providers/Microsoft.MachineLearningServices/workspaces/contoso-mlops-dev-mlw/onlineEndpoints/${RELEASE}`,
  gcp: `projects/contoso-ml-dev/locations/europe-west4/endpoints/${RELEASE}`,
};

function platformFor(stack: TerraformStack, cloud: Cloud): IMlPlatform {
  switch (cloud) {
    case 'aws':
      return new AwsMlPlatform(stack, 'Platform', { naming: NAMING, accountId: ACCOUNT, region: 'eu-west-1', trackingServer: false });
    case 'azure':
      return new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT });
    case 'gcp':
      return new GcpMlPlatform(stack, 'Platform', { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' });
  }
}

interface Options {
  readonly props?: Partial<EndpointAlertsProps>;
  readonly endpointId?: string | null;
  readonly endpointExtra?: Record<string, unknown>;
  readonly jobName?: string;
  readonly construct?: 'neutral' | 'cloud';
}

/** Synthesizes the platform, stand-ins and the alerts of one cloud. */
function synthAlerts(cloud: Cloud, o: Options = {}): { json: SynthJson; alerts: IEndpointAlerts } {
  let alerts: IEndpointAlerts | undefined;
  const json = synthStack((stack) => {
    alerts = build(stack, cloud, o);
  });
  return { json, alerts: alerts! };
}

function build(stack: TerraformStack, cloud: Cloud, o: Options = {}): IEndpointAlerts {
  const platform = platformFor(stack, cloud);
  const endpoint = new StandInEndpoint(stack, 'Endpoint', cloud, o.endpointId === null ? undefined : (o.endpointId ?? ENDPOINT_IDS[cloud]), o.endpointExtra);
  const job = new StandInJob(stack, 'Job', cloud, o.jobName);
  const props: EndpointAlertsProps = { platform, endpoint, job, thresholds: THRESHOLDS, receivers: RECEIVERS, ...o.props };
  if (o.construct !== 'cloud') return new EndpointAlerts(stack, 'Alerts', props);
  switch (cloud) {
    case 'aws':
      return new AwsEndpointAlerts(stack, 'Alerts', props);
    case 'azure':
      return new AzureEndpointAlerts(stack, 'Alerts', props);
    case 'gcp':
      return new GcpEndpointAlerts(stack, 'Alerts', props);
  }
}

function validationError(fn: () => unknown): MlopsValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MlopsValidationError) return e;
    throw e;
  }
  throw new Error('expected a MlopsValidationError, but nothing was thrown');
}

/** The logical address of the stand-in endpoint's rollout resource, as depends_on lists it. */
function rolloutRef(json: SynthJson): string {
  const ids = Object.keys(json.resource?.terraform_data ?? {}).filter((k) => k.startsWith('Endpoint_Rollout'));
  expect(ids).toHaveLength(1);
  return `terraform_data.${ids[0]}`;
}

function byName(json: SynthJson, type: string, key: string, value: string): Record<string, any> {
  const found = resourcesOf(json, type).filter((r) => r[key] === value);
  if (found.length !== 1) throw new Error(`expected one ${type} with ${key} = ${value}, found ${found.length}`);
  return found[0]!;
}

describe('AWS alerts', () => {
  const { json, alerts } = synthAlerts('aws');

  test('an SNS topic encrypted with the platform key, subscribed by every receiver', () => {
    const topic = onlyResource(json, 'aws_sns_topic');
    expect(topic.name).toBe(`${RELEASE}-alerts`);
    expect(topic.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.Platform_Key_[0-9A-F]+\.arn\}$/);
    const subs = resourcesOf(json, 'aws_sns_topic_subscription').map((s) => [s.protocol, s.endpoint]);
    expect(subs.sort()).toEqual([
      ['email', 'ml-team@example.org'],
      ['email', 'ops@example.com'],
      ['https', 'https://hooks.example.com/services/T0/B0/x'],
    ]);
    for (const s of resourcesOf(json, 'aws_sns_topic_subscription')) expect(s.topic_arn).toMatch(/^\$\{aws_sns_topic\.Alerts_Topic_[0-9A-F]+\.arn\}$/);
    expect(alerts.notificationTargets).toHaveLength(1);
  });

  test('the key policy keeps its statements and lets CloudWatch (this account) and EventBridge publish to the encrypted topic', () => {
    const policy = JSON.parse(onlyResource(json, 'aws_kms_key').policy);
    const sids = policy.Statement.map((s: any) => s.Sid);
    expect(sids).toEqual(['AccountRootAdministersTheKey', 'CloudWatchLogsUsesTheKey', 'CloudWatchAlarmsPublishToEncryptedTopics', 'EventBridgeRulesPublishToEncryptedTopics']);
    const cw = policy.Statement[2];
    expect(cw.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
    expect(cw.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(cw.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': ACCOUNT } });
    const eb = policy.Statement[3];
    expect(eb.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(eb.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    // Scoped by the SNS encryption context (aws:Source* is not supported for EventBridge-to-encrypted-topic delivery).
    expect(eb.Condition).toEqual({ ArnLike: { 'kms:EncryptionContext:aws:sns:topicArn': `arn:aws:sns:eu-west-1:${ACCOUNT}:*` } });
  });

  test('without alerts the key policy is unchanged', () => {
    const plain = synthStack((stack) => platformFor(stack, 'aws'));
    const policy = JSON.parse(onlyResource(plain, 'aws_kms_key').policy);
    expect(policy.Statement.map((s: any) => s.Sid)).toEqual(['AccountRootAdministersTheKey', 'CloudWatchLogsUsesTheKey']);
  });

  test('the topic policy lets only these alarms and the training rule of this account publish, over TLS', () => {
    const policy = JSON.parse(onlyResource(json, 'aws_sns_topic_policy').policy);
    const [alarmsStmt, ruleStmt, tls] = policy.Statement;
    const account = '${data.aws_caller_identity.Alerts_Account_';
    expect(alarmsStmt.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
    expect(alarmsStmt.Action).toBe('sns:Publish');
    expect(alarmsStmt.Condition.StringEquals['aws:SourceAccount']).toContain(account);
    const arns: string[] = alarmsStmt.Condition.ArnEquals['aws:SourceArn'];
    expect(arns.map((a) => a.replace(/\$\{data\.aws_caller_identity\.[^}]+\}/, 'ACCOUNT'))).toEqual(
      ['error-rate', 'latency-p95', 'no-traffic'].map((s) => `arn:aws:cloudwatch:eu-west-1:ACCOUNT:alarm:${RELEASE}-alert-${s}`),
    );
    expect(ruleStmt.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(ruleStmt.Condition.ArnEquals['aws:SourceArn']).toMatch(/^\$\{aws_cloudwatch_event_rule\.Alerts_TrainingFailed_[0-9A-F]+\.arn\}$/);
    expect(tls).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    for (const s of policy.Statement) expect(String(s.Action)).not.toContain('*');
  });

  test('error rate: metric math on Invocation5XXErrors / Invocations of the endpoint variant, threshold from the config, after the rollout', () => {
    const alarm = byName(json, 'aws_cloudwatch_metric_alarm', 'alarm_name', `${RELEASE}-alert-error-rate`);
    expect(alarm.threshold).toBe(2.5);
    expect(alarm.comparison_operator).toBe('GreaterThanThreshold');
    expect(alarm.treat_missing_data).toBe('notBreaching');
    const queries = Object.fromEntries(alarm.metric_query.map((q: any) => [q.id, q]));
    expect(queries.errors.metric).toMatchObject({
      namespace: 'AWS/SageMaker',
      metric_name: 'Invocation5XXErrors',
      stat: 'Sum',
      period: 300,
      dimensions: { EndpointName: RELEASE, VariantName: 'AllTraffic' },
    });
    expect(queries.invocations.metric).toMatchObject({ metric_name: 'Invocations', stat: 'Sum', dimensions: { EndpointName: RELEASE, VariantName: 'AllTraffic' } });
    expect(queries.error_rate).toMatchObject({ expression: 'IF(invocations > 0, 100 * errors / invocations, 0)', return_data: true });
    expect(alarm.alarm_description).toContain('errorRatePercent = 2.5');
    expect(alarm.depends_on).toEqual([rolloutRef(json)]);
    expect(alarm.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\./)]);
  });

  test('latency: ModelLatency p95 in microseconds; no traffic: Invocations Sum < 1 over noTrafficMinutes, missing data breaching', () => {
    const latency = byName(json, 'aws_cloudwatch_metric_alarm', 'alarm_name', `${RELEASE}-alert-latency-p95`);
    expect(latency).toMatchObject({ namespace: 'AWS/SageMaker', metric_name: 'ModelLatency', extended_statistic: 'p95', threshold: 750000, period: 300 });
    expect(latency.dimensions).toEqual({ EndpointName: RELEASE, VariantName: 'AllTraffic' });
    expect(latency.alarm_description).toContain('latencyP95Ms = 750');
    const idle = byName(json, 'aws_cloudwatch_metric_alarm', 'alarm_name', `${RELEASE}-alert-no-traffic`);
    expect(idle).toMatchObject({
      metric_name: 'Invocations',
      statistic: 'Sum',
      period: 90 * 60,
      threshold: 1,
      comparison_operator: 'LessThanThreshold',
      treat_missing_data: 'breaching',
    });
    expect(idle.alarm_description).toContain('noTrafficMinutes = 90');
    for (const a of [latency, idle]) expect(a.depends_on).toEqual([rolloutRef(json)]);
  });

  test('training failure: an EventBridge rule on failed SageMaker training jobs of the release prefix, to the topic', () => {
    const rule = onlyResource(json, 'aws_cloudwatch_event_rule');
    expect(rule.name).toBe(`${RELEASE}-alert-training-failed`);
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Training Job State Change'],
      detail: { TrainingJobStatus: ['Failed'], TrainingJobName: [{ prefix: `${RELEASE}-` }] },
    });
    const target = onlyResource(json, 'aws_cloudwatch_event_target');
    expect(target.arn).toMatch(/^\$\{aws_sns_topic\./);
    expect(alerts.alertNames).toEqual([`${RELEASE}-alert-error-rate`, `${RELEASE}-alert-latency-p95`, `${RELEASE}-alert-no-traffic`, `${RELEASE}-alert-training-failed`]);
  });

  test('the variant comes from the endpoint when it names one', () => {
    const { json: j } = synthAlerts('aws', { endpointExtra: { variantName: 'blue' } });
    for (const a of resourcesOf(j, 'aws_cloudwatch_metric_alarm')) {
      const dims = a.dimensions ?? a.metric_query.find((q: any) => q.metric).metric.dimensions;
      expect(dims.VariantName).toBe('blue');
    }
  });

  test('the platform key must be the AwsEncryptionKey', () => {
    const error = validationError(() =>
      synthStack((stack) => {
        const platform = platformFor(stack, 'aws') as AwsMlPlatform;
        const other = new Construct(stack, 'NotAKey');
        const fake: IMlPlatform = {
          ...platform,
          cloud: 'aws',
          node: platform.node,
          workspace: platform.workspace,
          encryptionKey: Object.assign(other, { cloud: 'aws' as const, keyId: 'arn:x', grantEncryptDecrypt: () => undefined }),
        } as unknown as IMlPlatform;
        new AwsEndpointAlerts(stack, 'Alerts', {
          platform: fake,
          endpoint: new StandInEndpoint(stack, 'E', 'aws', ENDPOINT_IDS.aws),
          job: new StandInJob(stack, 'J', 'aws'),
          receivers: RECEIVERS,
        });
      }),
    );
    expect(error.message).toContain("'platform.encryptionKey'");
    expect(error.message).toContain('AwsEncryptionKey');
  });
});

describe('Azure alerts', () => {
  const { json, alerts } = synthAlerts('azure');
  const endpointId = ENDPOINT_IDS.azure;

  test('an action group with the email receivers (common alert schema) and the webhooks', () => {
    const group = onlyResource(json, 'azurerm_monitor_action_group');
    expect(group.name).toBe(`${RELEASE}-alerts`);
    expect(group.location).toBe('global');
    expect(group.short_name.length).toBeLessThanOrEqual(12);
    expect(group.resource_group_name).toMatch(/^\$\{azurerm_resource_group\./);
    expect(group.email_receiver).toEqual([
      { name: 'email-1', email_address: 'ops@example.com', use_common_alert_schema: true },
      { name: 'email-2', email_address: 'ml-team@example.org', use_common_alert_schema: true },
    ]);
    expect(group.webhook_receiver).toEqual([{ name: 'webhook-1', service_uri: RECEIVERS.webhooks[0], use_common_alert_schema: true }]);
    expect(alerts.notificationTargets).toHaveLength(1);
    expect(Token.isUnresolved(alerts.notificationTargets[0])).toBe(true);
  });

  test('latency p95: a metric alert on RequestLatency_P95 of the online endpoint, after the rollout', () => {
    const alert = onlyResource(json, 'azurerm_monitor_metric_alert');
    expect(alert.name).toBe(`${RELEASE}-alert-latency-p95`);
    expect(alert.scopes).toEqual([endpointId]);
    expect(alert.criteria).toEqual([
      {
        metric_namespace: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
        metric_name: 'RequestLatency_P95',
        aggregation: 'Average',
        operator: 'GreaterThan',
        threshold: 750,
      },
    ]);
    expect(alert.window_size).toBe('PT5M');
    expect(alert.description).toContain('latencyP95Ms = 750');
    expect(alert.depends_on).toEqual([rolloutRef(json)]);
    expect(alert.action).toEqual([{ action_group_id: expect.stringMatching(/^\$\{azurerm_monitor_action_group\./) }]);
  });

  test("the endpoint's traffic log goes to the platform's Log Analytics workspace", () => {
    const ds = resourcesOf(json, 'azurerm_monitor_diagnostic_setting').filter((d) => d.target_resource_id === endpointId);
    expect(ds).toHaveLength(1);
    expect(ds[0]!.enabled_log).toEqual([{ category: 'AmlOnlineEndpointTrafficLog' }]);
    expect(ds[0]!.log_analytics_workspace_id).toMatch(/^\$\{azurerm_log_analytics_workspace\./);
    expect(ds[0]!.depends_on).toEqual([rolloutRef(json)]);
  });

  test('error rate and no traffic: log alerts on the traffic log of this endpoint with the configured thresholds', () => {
    const rate = byName(json, 'azurerm_monitor_scheduled_query_rules_alert_v2', 'name', `${RELEASE}-alert-error-rate`);
    expect(rate.scopes).toEqual([expect.stringMatching(/^\$\{azurerm_log_analytics_workspace\./)]);
    expect(rate.criteria[0].query).toContain('AmlOnlineEndpointTrafficLog');
    expect(rate.criteria[0].query).toContain(`| where EndpointName == "${RELEASE}"`);
    expect(rate.criteria[0].query).toContain('countif(toint(ResponseCode) >= 500)');
    expect(rate.criteria[0]).toMatchObject({ metric_measure_column: 'errorRatePercent', operator: 'GreaterThan', threshold: 2.5 });
    expect(rate.window_duration).toBe('PT5M');
    expect(rate.description).toContain('errorRatePercent = 2.5');
    expect(rate.depends_on).toEqual([expect.stringMatching(/^azurerm_monitor_diagnostic_setting\.Alerts_/)]);

    const idle = byName(json, 'azurerm_monitor_scheduled_query_rules_alert_v2', 'name', `${RELEASE}-alert-no-traffic`);
    expect(idle.criteria[0].query).toContain('| where TimeGenerated > ago(90m)');
    expect(idle.criteria[0]).toMatchObject({ metric_measure_column: 'requests', operator: 'LessThan', threshold: 1 });
    expect(idle.window_duration).toBe('PT2H');
    expect(idle.description).toContain('noTrafficMinutes = 90');
  });

  test('training failure: a log alert on failed runs whose id (the job name) has the release prefix', () => {
    const rule = byName(json, 'azurerm_monitor_scheduled_query_rules_alert_v2', 'name', `${RELEASE}-alert-training-failed`);
    expect(rule.criteria[0].query).toContain('AmlRunStatusChangedEvent');
    expect(rule.criteria[0].query).toContain('| where Status == "Failed"');
    expect(rule.criteria[0].query).toContain(`| where RunId startswith "${RELEASE}-"`);
    expect(rule.criteria[0]).toMatchObject({ operator: 'GreaterThan', threshold: 0 });
    expect(rule.depends_on).toBeUndefined();
    expect(alerts.alertNames).toEqual([`${RELEASE}-alert-error-rate`, `${RELEASE}-alert-latency-p95`, `${RELEASE}-alert-no-traffic`, `${RELEASE}-alert-training-failed`]);
  });

  test('log alert windows cover noTrafficMinutes with the smallest window Azure accepts', () => {
    const window = (minutes: number): string => {
      const { json: j } = synthAlerts('azure', { props: { thresholds: { noTrafficMinutes: minutes } } });
      return byName(j, 'azurerm_monitor_scheduled_query_rules_alert_v2', 'name', `${RELEASE}-alert-no-traffic`).window_duration;
    };
    expect(window(60)).toBe('PT1H');
    expect(window(1440)).toBe('P1D');
  });
});

describe('GCP alerts', () => {
  const { json, alerts } = synthAlerts('gcp');
  const policy = (suffix: string): Record<string, any> => byName(json, 'google_monitoring_alert_policy', 'display_name', `${RELEASE}-alert-${suffix}`);

  test('notification channels: email and webhook_tokenauth, used by every policy', () => {
    const channels = resourcesOf(json, 'google_monitoring_notification_channel');
    expect(channels.map((c) => [c.type, c.labels]).sort()).toEqual([
      ['email', { email_address: 'ml-team@example.org' }],
      ['email', { email_address: 'ops@example.com' }],
      ['webhook_tokenauth', { url: RECEIVERS.webhooks[0] }],
    ]);
    for (const c of channels) expect(c.project).toBe('contoso-ml-dev');
    for (const p of resourcesOf(json, 'google_monitoring_alert_policy')) expect(p.notification_channels).toHaveLength(3);
    expect(alerts.notificationTargets).toHaveLength(3);
  });

  test('error rate: the 5xx share of response_count of this endpoint id, as a ratio condition', () => {
    const p = policy('error-rate');
    const c = p.conditions[0].condition_threshold;
    expect(c.filter).toContain('metric.type = "aiplatform.googleapis.com/prediction/online/response_count"');
    expect(c.filter).toContain('resource.type = "aiplatform.googleapis.com/Endpoint"');
    expect(c.filter).toContain(`resource.labels.endpoint_id = "${RELEASE}"`);
    expect(c.filter).toContain('metric.labels.response_code = starts_with("5")');
    expect(c.denominator_filter).toContain('prediction/online/response_count');
    expect(c.denominator_filter).not.toContain('response_code');
    expect(c.threshold_value).toBeCloseTo(0.025);
    expect(c.comparison).toBe('COMPARISON_GT');
    expect(c.aggregations[0]).toMatchObject({ alignment_period: '300s', cross_series_reducer: 'REDUCE_SUM' });
    expect(p.documentation.content).toContain('errorRatePercent = 2.5');
  });

  test('latency: p95 of the model latency distribution; no traffic: absence of prediction_count for noTrafficMinutes', () => {
    const lat = policy('latency-p95').conditions[0].condition_threshold;
    expect(lat.filter).toContain('prediction/online/prediction_latencies');
    expect(lat.filter).toContain('metric.labels.latency_type = "model"');
    expect(lat.aggregations[0]).toMatchObject({ per_series_aligner: 'ALIGN_DELTA', cross_series_reducer: 'REDUCE_PERCENTILE_95' });
    expect(lat.threshold_value).toBe(750);
    const idle = policy('no-traffic');
    expect(idle.conditions[0].condition_absent.filter).toContain('prediction/online/prediction_count');
    expect(idle.conditions[0].condition_absent.duration).toBe(`${90 * 60}s`);
    expect(idle.documentation.content).toContain('noTrafficMinutes = 90');
  });

  test('endpoint policies wait for the rollout and the Monitoring API; the training policy matches Vertex failure logs', () => {
    for (const suffix of ['error-rate', 'latency-p95', 'no-traffic']) {
      const deps: string[] = policy(suffix).depends_on;
      expect(deps).toContain(rolloutRef(json));
      expect(deps.some((d) => d.startsWith('google_project_service.'))).toBe(true);
    }
    const train = policy('training-failed');
    expect(train.depends_on.some((d: string) => d.startsWith('terraform_data.'))).toBe(false);
    const log = train.conditions[0].condition_matched_log;
    expect(log.filter).toContain('resource.type="ml_job"');
    expect(log.filter).toContain('textPayload:"exited with a non-zero status"');
    expect(log.label_extractors).toEqual({ job_id: 'EXTRACT(resource.labels.job_id)' });
    expect(train.alert_strategy.notification_rate_limit.period).toBe('300s');
  });

  test('an endpoint id known only at apply is cut from the resource name by Terraform', () => {
    const { json: j } = synthAlerts('gcp', { endpointId: null });
    const filter: string = byName(j, 'google_monitoring_alert_policy', 'display_name', `${RELEASE}-alert-error-rate`).conditions[0].condition_threshold.filter;
    expect(filter).toMatch(/resource\.labels\.endpoint_id = "\$\{element\(split\("\/", terraform_data\.Endpoint_Rollout_[0-9A-F]+\.output\), 5\)\}"/);
  });

  test('noTrafficMinutes beyond the 23.5 h a metric-absence condition can wait is refused on GCP', () => {
    const error = validationError(() => synthAlerts('gcp', { props: { thresholds: { noTrafficMinutes: 1440 } } }));
    expect(error.message).toContain("'thresholds.noTrafficMinutes'");
    expect(error.message).toContain('at most 1410');
    expect(error.message).toContain('Got 1440');
  });

  test('an endpoint id that is not a Vertex AI endpoint resource name is refused', () => {
    const error = validationError(() => synthAlerts('gcp', { endpointId: 'my-endpoint' }));
    expect(error.message).toContain("'endpoint.endpointId'");
    expect(error.message).toContain('"my-endpoint"');
  });
});

describe('EndpointAlerts', () => {
  test.each([
    ['aws', AwsEndpointAlerts],
    ['azure', AzureEndpointAlerts],
    ['gcp', GcpEndpointAlerts],
  ] as const)('%s: dispatches on platform.cloud', (cloud, type) => {
    const { alerts } = synthAlerts(cloud);
    expect(alerts).toBeInstanceOf(EndpointAlerts);
    expect((alerts as EndpointAlerts).resource).toBeInstanceOf(type);
    expect(alerts.cloud).toBe(cloud);
    expect(alerts.alertNames).toHaveLength(4);
  });

  test('names and the whole synth are deterministic', () => {
    for (const cloud of ['aws', 'azure', 'gcp'] as const) {
      expect(JSON.stringify(synthAlerts(cloud).json)).toBe(JSON.stringify(synthAlerts(cloud).json));
    }
  });
});

describe('bad props', () => {
  test('no receivers: a clear error naming the prop and the config fix', () => {
    const error = validationError(() => synthAlerts('aws', { props: { receivers: { email: [], webhooks: [] } } }));
    expect(error.issues[0]!.code).toBe(ErrorCode.PROP_INVALID);
    expect(error.message).toContain("The 'receivers' prop of AwsEndpointAlerts");
    expect(error.message).toContain('alerts.email');
    expect(error.message).toContain('Got {"email":[],"webhooks":[]}');
  });

  test('a bad email, a plain-http webhook and duplicates are each reported with the value', () => {
    const error = validationError(() =>
      synthAlerts('azure', { props: { receivers: { email: ['ops-at-example.com', 'a@b.io', 'A@b.io'], webhooks: ['http://hooks.example.com/x'] } } }),
    );
    const text = error.message;
    expect(text).toContain("'receivers.email[0]'");
    expect(text).toContain('"ops-at-example.com"');
    expect(text).toContain("'receivers.webhooks[0]'");
    expect(text).toContain('"http://hooks.example.com/x"');
    expect(text).toContain("'receivers.email' prop");
    expect(text).toContain('without duplicates');
    expect(error.issues).toHaveLength(3);
  });

  test('thresholds out of range are refused with the accepted range', () => {
    const error = validationError(() => synthAlerts('gcp', { props: { thresholds: { errorRatePercent: 0, latencyP95Ms: 1.5, noTrafficMinutes: 2 } } }));
    expect(error.issues.map((i) => i.message.split("'")[1])).toEqual(['thresholds.errorRatePercent', 'thresholds.latencyP95Ms', 'thresholds.noTrafficMinutes']);
    expect(error.message).toContain('from 5 to 1440');
  });

  test('an endpoint or job of another cloud is a cloud mismatch', () => {
    const error = validationError(() =>
      synthStack((stack) => {
        const platform = platformFor(stack, 'aws');
        new AwsEndpointAlerts(stack, 'Alerts', {
          platform,
          endpoint: new StandInEndpoint(stack, 'E', 'azure', ENDPOINT_IDS.azure),
          job: new StandInJob(stack, 'J', 'gcp'),
          receivers: RECEIVERS,
        });
      }),
    );
    expect(error.issues.map((i) => i.code)).toEqual([ErrorCode.CLOUD_MISMATCH, ErrorCode.CLOUD_MISMATCH]);
    expect(error.message).toContain("The 'endpoint' prop of AwsEndpointAlerts belongs to Azure");
    expect(error.message).toContain("The 'job' prop of AwsEndpointAlerts belongs to GCP");
  });

  test('EndpointAlerts without a platform says so', () => {
    const error = validationError(() => synthStack((stack) => new EndpointAlerts(stack, 'Alerts', { receivers: RECEIVERS } as unknown as EndpointAlertsProps)));
    expect(error.message).toContain("The 'platform' prop of EndpointAlerts");
  });
});

describe('names', () => {
  test('the training job prefix is the job name up to its revision', () => {
    const synthJob = (name: string): string => {
      let prefix = '';
      synthStack((stack) => {
        prefix = trainingJobPrefix(new StandInJob(stack, 'J', 'aws', name));
      });
      return prefix;
    };
    expect(synthJob(`${RELEASE}-${REVISION}`)).toBe(`${RELEASE}-`);
    expect(synthJob(`train-${REVISION}-x`)).toBe('train-');
    expect(synthJob('no-revision-here')).toBe('no-revision-here');
  });

  test('names too long for a limit are cut with a hash, deterministically', () => {
    const base = 'a'.repeat(40) + '-very-long-release-name-for-rules';
    const name = alertName(base, 'training-failed', 64);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^a+-[0-9a-f]{6}-training-failed$/);
    expect(alertName(base, 'training-failed', 64)).toBe(name);
    expect(alertName(`${base}x`, 'training-failed', 64)).not.toBe(name);
    expect(alertName('short', 'training-failed', 64)).toBe('short-training-failed');
  });
});
