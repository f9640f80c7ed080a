import { MonitorActionGroup } from '@cdktf/provider-azurerm/lib/monitor-action-group';
import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import { MonitorMetricAlert } from '@cdktf/provider-azurerm/lib/monitor-metric-alert';
import { MonitorScheduledQueryRulesAlertV2, MonitorScheduledQueryRulesAlertV2Criteria } from '@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { AzureMlPlatform } from '../azure/platform';
import { IMlPlatform } from '../core/contracts';
import { ErrorCode, messages } from '../core/errors';
import { EVALUATION_WINDOW_MINUTES, EndpointAlertsProps, IEndpointAlerts, alertName, alertDescriptions, resolveAlertProps } from './common';

/** The metric namespace of Azure ML managed online endpoints. */
export const AZURE_ONLINE_ENDPOINT_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints';
/** Online-endpoint platform metrics the alerts read (Azure Monitor supported metrics of the namespace). */
export const AZURE_ONLINE_ENDPOINT_METRICS = {
  /** p95 request latency in milliseconds (aggregation Average; dimension `deployment`). */
  latencyP95: 'RequestLatency_P95',
} as const;
/** The metric namespace of Azure ML workspaces. */
export const AZURE_WORKSPACE_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces';
/**
 * Workspace platform metrics the alerts read (Azure Monitor supported metrics
 * of the namespace, category Run; dimensions Scenario, RunType,
 * PublishedPipelineId, ComputeType, PipelineStepType, ExperimentName).
 */
export const AZURE_WORKSPACE_METRICS = {
  /** Runs of the workspace that failed (aggregation Total), split by the dimension below. */
  failedRuns: 'Failed Runs',
  /** The dimension that names a run's experiment. */
  experimentDimension: 'ExperimentName',
} as const;
/** Minutes the pipeline-failure alert counts failed runs over (a metric alert window). */
export const PIPELINE_FAILURE_WINDOW = 'PT15M';
/**
 * Log Analytics tables the log alerts query: the endpoint's traffic log (one
 * row per request: EndpointName, ResponseCode …; sent by the diagnostic
 * setting this construct adds) and the workspace's run status events (RunId,
 * Status; sent by the workspace's diagnostic setting, all logs).
 */
export const AZURE_LOG_TABLES = { traffic: 'AmlOnlineEndpointTrafficLog', runStatus: 'AmlRunStatusChangedEvent' } as const;
/** Window lengths (minutes) a log alert accepts, with their ISO 8601 form. */
const LOG_ALERT_WINDOWS: ReadonlyArray<readonly [number, string]> = [
  [5, 'PT5M'],
  [10, 'PT10M'],
  [15, 'PT15M'],
  [30, 'PT30M'],
  [45, 'PT45M'],
  [60, 'PT1H'],
  [120, 'PT2H'],
  [180, 'PT3H'],
  [240, 'PT4H'],
  [300, 'PT5H'],
  [360, 'PT6H'],
  [1440, 'P1D'],
];
/** Severity of each alert (0 critical … 4 verbose). */
const SEVERITY = { errorRate: 1, latency: 2, noTraffic: 2, training: 1, pipeline: 1 } as const;

/** Props of {@link AzureEndpointAlerts}. */
export type AzureEndpointAlertsProps = EndpointAlertsProps;

/**
 * Production alerts of an Azure ML managed online endpoint and its training
 * job: an action group (email receivers and webhooks, both with the common
 * alert schema); a metric alert on the endpoint's `RequestLatency_P95`; log
 * alerts on the endpoint's traffic log for the 5xx share of requests and for
 * no traffic (Azure Monitor metric alerts can neither divide two metrics nor
 * fire on missing data); and a log alert on the workspace's run status events
 * for failed jobs of the release (the job name is the run id; the workspace
 * metric `Failed Runs` can only be split by experiment, which the job
 * contract does not name). With a `pipeline`, a metric alert on the
 * workspace's `Failed Runs` split by `ExperimentName`: runs a schedule
 * creates get generated names, not the release's job prefix, but every run
 * of the pipeline (by schedule, by hand, batch) is filed under its experiment
 * (`pipeline.watched.experimentNames`), and so are its failed steps.
 */
export class AzureEndpointAlerts extends Construct implements IEndpointAlerts {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** The action group every alert notifies. */
  public readonly actionGroupId: string;
  /** Alert rule names: error rate, latency p95, no traffic, training failure, then pipeline failure when a pipeline is watched. */
  public readonly alertNames: readonly string[];
  /** The action group id. */
  public readonly notificationTargets: readonly string[];

  constructor(scope: Construct, id: string, props: AzureEndpointAlertsProps) {
    super(scope, id);
    const construct = 'AzureEndpointAlerts';
    const r = resolveAlertProps(construct, this, 'azure', props, (issues) => {
      const logs = props.platform?.workspace?.logDestination;
      if (props.platform && (typeof logs !== 'string' || (!Token.isUnresolved(logs) && !/\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i.test(logs)))) {
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid(
            construct,
            'platform.workspace.logDestination',
            logs,
            'the resource id of a Log Analytics workspace (…/providers/Microsoft.OperationalInsights/workspaces/<name>): the log alerts query it; use the platform AzureMlPlatform builds',
          ),
        );
      }
    });
    const { thresholds: t, baseName } = r;
    const endpoint = props.endpoint;
    const resourceGroupName = resourceGroupOf(props.platform);
    const logAnalyticsId = props.platform.workspace.logDestination;
    const location = props.platform.workspace.region;
    const tags = props.tags ? { ...props.tags } : undefined;
    const deployed = [endpoint.deployed];

    const group = new MonitorActionGroup(this, 'ActionGroup', {
      name: alertName(baseName, 'alerts', 260),
      resourceGroupName,
      location: 'global',
      shortName: shortNameOf(baseName),
      emailReceiver: r.email.map((address, i) => ({ name: `email-${i + 1}`, emailAddress: address, useCommonAlertSchema: true })),
      webhookReceiver: r.webhooks.map((url, i) => ({ name: `webhook-${i + 1}`, serviceUri: url, useCommonAlertSchema: true })),
      tags,
    });
    this.actionGroupId = group.id;
    this.notificationTargets = [group.id];

    const names = {
      errorRate: alertName(baseName, 'alert-error-rate', 260),
      latency: alertName(baseName, 'alert-latency-p95', 260),
      noTraffic: alertName(baseName, 'alert-no-traffic', 260),
      training: alertName(baseName, 'alert-training-failed', 260),
      pipeline: alertName(baseName, 'alert-pipeline-failed', 260),
    };

    // The traffic log of the endpoint, to the platform's Log Analytics workspace.
    const trafficLog = new MonitorDiagnosticSetting(this, 'TrafficLog', {
      name: alertName(baseName, 'traffic-log', 260),
      targetResourceId: endpoint.endpointId,
      logAnalyticsWorkspaceId: logAnalyticsId,
      enabledLog: [{ category: AZURE_LOG_TABLES.traffic }],
      dependsOn: deployed,
    });

    new MonitorMetricAlert(this, 'LatencyP95', {
      name: names.latency,
      resourceGroupName,
      scopes: [endpoint.endpointId],
      description: alertDescriptions.latency(baseName, t, `Metric ${AZURE_ONLINE_ENDPOINT_METRICS.latencyP95} (${AZURE_ONLINE_ENDPOINT_NAMESPACE}), Average over the window.`),
      severity: SEVERITY.latency,
      frequency: 'PT1M',
      windowSize: `PT${EVALUATION_WINDOW_MINUTES}M`,
      autoMitigate: true,
      criteria: [
        {
          metricNamespace: AZURE_ONLINE_ENDPOINT_NAMESPACE,
          metricName: AZURE_ONLINE_ENDPOINT_METRICS.latencyP95,
          aggregation: 'Average',
          operator: 'GreaterThan',
          threshold: t.latencyP95Ms,
        },
      ],
      action: [{ actionGroupId: group.id }],
      tags,
      dependsOn: deployed,
    });

    const endpointName = kqlString(endpoint.endpointName);
    const logAlert = (
      logicalId: string,
      name: string,
      description: string,
      severity: number,
      windowMinutes: number,
      criteria: MonitorScheduledQueryRulesAlertV2Criteria,
      dependsOn: ITerraformDependable[],
    ): void => {
      const window = logWindow(windowMinutes);
      new MonitorScheduledQueryRulesAlertV2(this, logicalId, {
        name,
        displayName: name,
        resourceGroupName,
        location,
        scopes: [logAnalyticsId],
        description,
        severity,
        windowDuration: window.iso,
        evaluationFrequency: window.minutes <= 60 ? 'PT5M' : 'PT15M',
        criteria: [{ failingPeriods: { minimumFailingPeriodsToTriggerAlert: 1, numberOfEvaluationPeriods: 1 }, ...criteria }],
        action: { actionGroups: [group.id] },
        autoMitigationEnabled: true,
        // The tables exist once the first rows arrive; the rules must exist before that.
        skipQueryValidation: true,
        tags,
        dependsOn: dependsOn.length > 0 ? dependsOn : undefined,
      });
    };

    logAlert(
      'ErrorRate',
      names.errorRate,
      alertDescriptions.errorRate(baseName, t, `Log query on ${AZURE_LOG_TABLES.traffic} (ResponseCode >= 500 over all requests).`),
      SEVERITY.errorRate,
      EVALUATION_WINDOW_MINUTES,
      {
        query: [
          AZURE_LOG_TABLES.traffic,
          `| where EndpointName == ${endpointName}`,
          '| summarize requests = count(), serverErrors = countif(toint(ResponseCode) >= 500)',
          '| extend errorRatePercent = iff(requests == 0, 0.0, 100.0 * serverErrors / requests)',
        ].join('\n'),
        timeAggregationMethod: 'Maximum',
        metricMeasureColumn: 'errorRatePercent',
        operator: 'GreaterThan',
        threshold: t.errorRatePercent,
      },
      [trafficLog],
    );

    logAlert(
      'NoTraffic',
      names.noTraffic,
      alertDescriptions.noTraffic(baseName, t, `Log query on ${AZURE_LOG_TABLES.traffic}: fewer than 1 request.`),
      SEVERITY.noTraffic,
      t.noTrafficMinutes,
      {
        query: [AZURE_LOG_TABLES.traffic, `| where TimeGenerated > ago(${t.noTrafficMinutes}m)`, `| where EndpointName == ${endpointName}`, '| summarize requests = count()'].join(
          '\n',
        ),
        timeAggregationMethod: 'Total',
        metricMeasureColumn: 'requests',
        operator: 'LessThan',
        threshold: 1,
      },
      [trafficLog],
    );

    logAlert(
      'TrainingFailed',
      names.training,
      alertDescriptions.trainingFailed(
        `an Azure ML job named ${r.jobPrefix}*`,
        `Log query on ${AZURE_LOG_TABLES.runStatus}: Status Failed, RunId (the job name) starting with the release's job prefix.`,
      ),
      SEVERITY.training,
      15,
      {
        query: [AZURE_LOG_TABLES.runStatus, '| where Status == "Failed"', `| where RunId startswith ${kqlString(r.jobPrefix)}`, '| summarize failedRuns = count() by RunId'].join(
          '\n',
        ),
        timeAggregationMethod: 'Total',
        metricMeasureColumn: 'failedRuns',
        operator: 'GreaterThan',
        threshold: 0,
        dimension: [{ name: 'RunId', operator: 'Include', values: ['*'] }],
      },
      [],
    );

    // Failed runs of the pipeline: by experiment, because runs a schedule creates get generated names.
    const experiments = props.pipeline?.watched.experimentNames ?? [];
    if (experiments.length > 0) {
      new MonitorMetricAlert(this, 'PipelineFailed', {
        name: names.pipeline,
        resourceGroupName,
        scopes: [props.platform.workspace.workspaceId],
        description: alertDescriptions.pipelineFailed(
          `a run of the Azure ML pipeline ${props.pipeline!.pipelineName} (experiment ${experiments.join(', ')}: scheduled, by hand or batch, or one of its steps)`,
          `Metric ${AZURE_WORKSPACE_METRICS.failedRuns} (${AZURE_WORKSPACE_NAMESPACE}), Total over ${PIPELINE_FAILURE_WINDOW}, ${AZURE_WORKSPACE_METRICS.experimentDimension} in [${experiments.join(', ')}]. A run whose gate rejects the challenger fails too.`,
        ),
        severity: SEVERITY.pipeline,
        frequency: 'PT5M',
        windowSize: PIPELINE_FAILURE_WINDOW,
        autoMitigate: true,
        criteria: [
          {
            metricNamespace: AZURE_WORKSPACE_NAMESPACE,
            metricName: AZURE_WORKSPACE_METRICS.failedRuns,
            aggregation: 'Total',
            operator: 'GreaterThan',
            threshold: 0,
            dimension: [{ name: AZURE_WORKSPACE_METRICS.experimentDimension, operator: 'Include', values: [...experiments] }],
          },
        ],
        action: [{ actionGroupId: group.id }],
        tags,
      });
    }

    this.alertNames = [names.errorRate, names.latency, names.noTraffic, names.training, ...(experiments.length > 0 ? [names.pipeline] : [])];
  }
}

/** The smallest log-alert window covering `minutes`. */
export function logWindow(minutes: number): { readonly minutes: number; readonly iso: string } {
  const found = LOG_ALERT_WINDOWS.find(([m]) => m >= minutes) ?? LOG_ALERT_WINDOWS[LOG_ALERT_WINDOWS.length - 1]!;
  return { minutes: found[0], iso: found[1] };
}

/** The platform's resource group: AzureMlPlatform's, else parsed from the workspace's ARM id. */
function resourceGroupOf(platform: IMlPlatform): string {
  if (platform instanceof AzureMlPlatform) return platform.resourceGroup.resourceGroupName;
  const id = platform.workspace.workspaceId;
  if (!Token.isUnresolved(id)) {
    const m = /\/resourceGroups\/([^/]+)\//i.exec(id);
    if (m) return m[1]!;
  }
  return Fn.element(Fn.split('/', id), 4);
}

/** An action group short name (1–12 characters), deterministic. */
function shortNameOf(baseName: string): string {
  if (Token.isUnresolved(baseName)) return 'mlops-alerts';
  return baseName.length <= 12 ? baseName : baseName.slice(-12).replace(/^-+/, '');
}

/** A KQL string literal. */
function kqlString(value: string): string {
  return JSON.stringify(value);
}
