import { createHash } from 'crypto';
import { MonitoringAlertPolicy, MonitoringAlertPolicyConditions, MonitoringAlertPolicyConfig } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IMlPlatform } from '../core/contracts';
import { ErrorCode, messages } from '../core/errors';
import { tagsFor } from '../core/tags';
import { GcpMlPlatform } from '../gcp/platform';
import { EVALUATION_WINDOW_MINUTES, EndpointAlertsProps, IEndpointAlerts, alertName, alertDescriptions, resolveAlertProps } from './common';

/** The monitored resource type of Vertex AI endpoints. */
export const VERTEX_ENDPOINT_RESOURCE = 'aiplatform.googleapis.com/Endpoint';
/** Vertex AI online prediction metrics the alert policies read (Cloud Monitoring `aiplatform` metrics). */
export const VERTEX_ENDPOINT_METRICS = {
  /** Responses by `response_code` (DELTA INT64). */
  responseCount: 'aiplatform.googleapis.com/prediction/online/response_count',
  /** Latency distribution in ms by `latency_type` (overhead, model, total; DELTA DISTRIBUTION). */
  predictionLatencies: 'aiplatform.googleapis.com/prediction/online/prediction_latencies',
  /** Online predictions (DELTA INT64). */
  predictionCount: 'aiplatform.googleapis.com/prediction/online/prediction_count',
} as const;
/**
 * Vertex AI's documented failure messages of custom training jobs ("How
 * Vertex AI handles training job errors"): a replica's non-zero exit
 * (including out of memory), a stockout, and an internal error after retries.
 */
export const VERTEX_TRAINING_FAILURE_MESSAGES = [
  'exited with a non-zero status',
  'Resources are insufficient in region',
  'Internal error occurred for the current attempt',
] as const;
/**
 * Where Vertex AI Pipelines and Cloud Scheduler log a failed run and a failed
 * attempt (Cloud Logging's log index): a PipelineJob's state changes are
 * `pipeline_job_events` entries on the `aiplatform.googleapis.com/PipelineJob`
 * resource (payload `PipelineJobLogEntry`: `state`, the pipeline's name as
 * `pipelineName`, and the entry label `pipeline_name`); a Cloud Scheduler
 * attempt ends with an `AttemptFinished` entry on `cloud_scheduler_job`,
 * severity ERROR when the target refused or failed.
 */
export const GCP_PIPELINE_FAILURE_LOGS = {
  pipelineLog: 'aiplatform.googleapis.com%2Fpipeline_job_events',
  pipelineResource: 'aiplatform.googleapis.com/PipelineJob',
  failedState: 'PIPELINE_STATE_FAILED',
  schedulerResource: 'cloud_scheduler_job',
  schedulerAttempt: 'type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished',
} as const;

/**
 * The log filter of the pipeline alert: a failed run of one of `pipelineNames`
 * (a failed step, guard, model upload or endpoint deploy fails the run), or a
 * failed attempt of one of the Cloud Scheduler jobs `schedulerJobs`.
 */
export function pipelineFailureFilter(project: string, pipelineNames: readonly string[], schedulerJobs: readonly string[]): string {
  const L = GCP_PIPELINE_FAILURE_LOGS;
  const q = (v: string): string => JSON.stringify(v);
  const parts: string[] = [];
  if (pipelineNames.length > 0) {
    // The name is matched on the payload and on the entry label (the log index lists both).
    const named = pipelineNames.flatMap((n) => [`jsonPayload.pipelineName=${q(n)}`, `labels.pipeline_name=${q(n)}`]).join(' OR ');
    parts.push(`(logName=${q(`projects/${project}/logs/${L.pipelineLog}`)} AND resource.type=${q(L.pipelineResource)} AND jsonPayload.state=${q(L.failedState)} AND (${named}))`);
  }
  if (schedulerJobs.length > 0) {
    const jobs = schedulerJobs.map((j) => `resource.labels.job_id=${q(j)}`).join(' OR ');
    parts.push(`(resource.type=${q(L.schedulerResource)} AND jsonPayload.@type=${q(L.schedulerAttempt)} AND severity>=ERROR AND (${jobs}))`);
  }
  return parts.join(' OR ');
}

/** The longest absence a metric-absence condition can wait for (23.5 hours). */
export const GCP_MAX_ABSENCE_MINUTES = 1410;

/** Props of {@link GcpEndpointAlerts}. */
export type GcpEndpointAlertsProps = EndpointAlertsProps;

/**
 * Production alerts of a Vertex AI endpoint and its training jobs: email and
 * webhook (token auth) notification channels, and Cloud Monitoring alert
 * policies on the endpoint's metrics filtered to its endpoint id — the 5xx
 * share of `response_count` (a ratio condition), the p95 of the model's
 * `prediction_latencies`, the absence of `prediction_count` — and a log-match
 * policy on Vertex AI's failure messages of custom jobs. Vertex AI has no
 * metric for custom-job failures, and its job log entries (`ml_job`) carry
 * the numeric job id (assigned at run time), not the job's display name, so
 * the training policy covers every custom job of the project and names the
 * failed job's id in the incident.
 */
export class GcpEndpointAlerts extends Construct implements IEndpointAlerts {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** Alert policy display names: error rate, latency p95, no traffic, training failure. */
  public readonly alertNames: readonly string[];
  /** The notification channel ids. */
  public readonly notificationTargets: readonly string[];

  constructor(scope: Construct, id: string, props: GcpEndpointAlertsProps) {
    super(scope, id);
    const construct = 'GcpEndpointAlerts';
    let endpointId = '';
    const r = resolveAlertProps(construct, this, 'gcp', props, (issues, t) => {
      if (t.noTrafficMinutes > GCP_MAX_ABSENCE_MINUTES && Number.isInteger(t.noTrafficMinutes) && t.noTrafficMinutes <= 1440) {
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid(
            construct,
            'thresholds.noTrafficMinutes',
            t.noTrafficMinutes,
            `at most ${GCP_MAX_ABSENCE_MINUTES} on GCP: a Cloud Monitoring metric-absence condition waits at most 23.5 hours (set alerts.noTrafficMinutes to ${GCP_MAX_ABSENCE_MINUTES} or less)`,
          ),
        );
      }
      if (props.endpoint) {
        const parsed = endpointIdOf(props.endpoint.endpointId);
        if (parsed === null) {
          issues.add(
            ErrorCode.PROP_INVALID,
            this.node.path,
            messages.propInvalid(
              construct,
              'endpoint.endpointId',
              props.endpoint.endpointId,
              'a Vertex AI endpoint resource name, projects/<project>/locations/<region>/endpoints/<id>',
            ),
          );
        } else {
          endpointId = parsed;
        }
      }
      if (props.platform && projectOf(props.platform) === null) {
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid(
            construct,
            'platform.workspace.workspaceId',
            props.platform.workspace?.workspaceId,
            'projects/<project>/locations/<region>: the alert policies live in the workspace project; use the platform GcpMlPlatform builds',
          ),
        );
      }
    });
    const { thresholds: t, baseName } = r;
    const project = projectOf(props.platform)!;
    const services: ITerraformDependable[] = props.platform instanceof GcpMlPlatform ? props.platform.services.dependenciesFor('monitoring.googleapis.com') : [];
    const userLabels = props.tags ? tagsFor('gcp', props.tags) : undefined;

    const channels: MonitoringNotificationChannel[] = [];
    r.email.forEach((address, i) => {
      channels.push(
        new MonitoringNotificationChannel(this, `Email${shortHash(address.toLowerCase())}`, {
          project,
          type: 'email',
          displayName: `${baseName} alerts: email ${i + 1}`,
          labels: { email_address: address },
          userLabels,
          dependsOn: services,
        }),
      );
    });
    r.webhooks.forEach((url, i) => {
      channels.push(
        new MonitoringNotificationChannel(this, `Webhook${shortHash(url)}`, {
          project,
          type: 'webhook_tokenauth',
          displayName: `${baseName} alerts: webhook ${i + 1}`,
          labels: { url },
          userLabels,
          dependsOn: services,
        }),
      );
    });
    const channelIds = channels.map((c) => c.id);
    this.notificationTargets = channelIds;

    const names = {
      errorRate: alertName(baseName, 'alert-error-rate', 512),
      latency: alertName(baseName, 'alert-latency-p95', 512),
      noTraffic: alertName(baseName, 'alert-no-traffic', 512),
      training: alertName(baseName, 'alert-training-failed', 512),
      pipeline: alertName(baseName, 'alert-pipeline-failed', 512),
    };
    const onEndpoint = (metric: string, extra = ''): string =>
      `resource.type = "${VERTEX_ENDPOINT_RESOURCE}" AND resource.labels.endpoint_id = "${endpointId}" AND metric.type = "${metric}"${extra}`;
    const window = `${EVALUATION_WINDOW_MINUTES * 60}s`;
    const byEndpoint = ['resource.label.endpoint_id'];

    const policy = (logicalId: string, config: Omit<MonitoringAlertPolicyConfig, 'project' | 'combiner' | 'notificationChannels'>, endpointAlert: boolean): void => {
      new MonitoringAlertPolicy(this, logicalId, {
        project,
        combiner: 'OR',
        notificationChannels: channelIds,
        userLabels,
        ...config,
        dependsOn: [...services, ...(endpointAlert ? [props.endpoint.deployed] : [])],
      });
    };
    const docs = (text: string): MonitoringAlertPolicyConfig['documentation'] => ({ content: text, mimeType: 'text/markdown' });

    policy(
      'ErrorRate',
      {
        displayName: names.errorRate,
        severity: 'ERROR',
        documentation: docs(
          alertDescriptions.errorRate(baseName, t, `Ratio of ${VERTEX_ENDPOINT_METRICS.responseCount} with response_code 5xx to all responses, endpoint id ${endpointId}.`),
        ),
        conditions: [
          condition(`5xx share above ${t.errorRatePercent}%`, {
            conditionThreshold: {
              filter: onEndpoint(VERTEX_ENDPOINT_METRICS.responseCount, ' AND metric.labels.response_code = starts_with("5")'),
              denominatorFilter: onEndpoint(VERTEX_ENDPOINT_METRICS.responseCount),
              aggregations: [{ alignmentPeriod: window, perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_SUM', groupByFields: byEndpoint }],
              denominatorAggregations: [{ alignmentPeriod: window, perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_SUM', groupByFields: byEndpoint }],
              comparison: 'COMPARISON_GT',
              thresholdValue: t.errorRatePercent / 100,
              duration: '0s',
              trigger: { count: 1 },
            },
          }),
        ],
      },
      true,
    );

    policy(
      'LatencyP95',
      {
        displayName: names.latency,
        severity: 'WARNING',
        documentation: docs(alertDescriptions.latency(baseName, t, `p95 of ${VERTEX_ENDPOINT_METRICS.predictionLatencies} (latency_type model, ms), endpoint id ${endpointId}.`)),
        conditions: [
          condition(`p95 model latency above ${t.latencyP95Ms} ms`, {
            conditionThreshold: {
              filter: onEndpoint(VERTEX_ENDPOINT_METRICS.predictionLatencies, ' AND metric.labels.latency_type = "model"'),
              aggregations: [{ alignmentPeriod: window, perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_PERCENTILE_95', groupByFields: byEndpoint }],
              comparison: 'COMPARISON_GT',
              thresholdValue: t.latencyP95Ms,
              duration: '0s',
              trigger: { count: 1 },
            },
          }),
        ],
      },
      true,
    );

    policy(
      'NoTraffic',
      {
        displayName: names.noTraffic,
        severity: 'WARNING',
        documentation: docs(
          alertDescriptions.noTraffic(
            baseName,
            t,
            `Absence of ${VERTEX_ENDPOINT_METRICS.predictionCount}, endpoint id ${endpointId} (the condition arms after the first prediction).`,
          ),
        ),
        conditions: [
          condition(`no prediction for ${t.noTrafficMinutes} minutes`, {
            conditionAbsent: {
              filter: onEndpoint(VERTEX_ENDPOINT_METRICS.predictionCount),
              duration: `${t.noTrafficMinutes * 60}s`,
              aggregations: [{ alignmentPeriod: window, perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM', groupByFields: byEndpoint }],
              trigger: { count: 1 },
            },
          }),
        ],
      },
      true,
    );

    const failure = VERTEX_TRAINING_FAILURE_MESSAGES.flatMap((m) => [`textPayload:"${m}"`, `jsonPayload.message:"${m}"`]).join(' OR ');
    policy(
      'TrainingFailed',
      {
        displayName: names.training,
        severity: 'ERROR',
        documentation: docs(trainingDescription(project, r.jobPrefix)),
        conditions: [
          condition('Vertex AI custom job failed', {
            conditionMatchedLog: {
              filter: `resource.type="ml_job" AND (${failure})`,
              labelExtractors: { job_id: 'EXTRACT(resource.labels.job_id)' },
            },
          }),
        ],
        alertStrategy: { notificationRateLimit: { period: '300s' }, autoClose: '1800s' },
      },
      false,
    );

    // Failed runs of the pipeline and its batch pipeline (a failed promotion fails the run), and failed schedule attempts.
    const watched = props.pipeline?.cloud === 'gcp' ? props.pipeline.watched : undefined;
    const pipelineNames = watched?.pipelineNames ?? [];
    const schedulerJobs = watched?.schedulerJobs ?? [];
    const pipelineAlert = pipelineNames.length + schedulerJobs.length > 0;
    if (pipelineAlert) {
      policy(
        'PipelineFailed',
        {
          displayName: names.pipeline,
          severity: 'ERROR',
          documentation: docs(
            alertDescriptions.pipelineFailed(
              `the Vertex AI pipeline ${props.pipeline!.pipelineName}${schedulerJobs.length ? ' or its schedule' : ''}`,
              `Log match on ${GCP_PIPELINE_FAILURE_LOGS.pipelineLog} entries with state ${GCP_PIPELINE_FAILURE_LOGS.failedState} for pipeline ${pipelineNames.join(', ')} ` +
                '(a failed step, single-run guard, model upload or endpoint deploy fails the run; a rejected gate does not)' +
                (schedulerJobs.length ? `, and failed Cloud Scheduler attempts of ${schedulerJobs.join(', ')} (the pipeline job was not created).` : '.') +
                ' The incident names the pipeline job or the schedule.',
            ),
          ),
          conditions: [
            condition('Vertex AI pipeline run or schedule attempt failed', {
              conditionMatchedLog: {
                filter: pipelineFailureFilter(project, pipelineNames, schedulerJobs),
                labelExtractors: { pipeline_job_id: 'EXTRACT(resource.labels.pipeline_job_id)', scheduler_job_id: 'EXTRACT(resource.labels.job_id)' },
              },
            }),
          ],
          alertStrategy: { notificationRateLimit: { period: '300s' }, autoClose: '1800s' },
        },
        false,
      );
    }

    this.alertNames = [names.errorRate, names.latency, names.noTraffic, names.training, ...(pipelineAlert ? [names.pipeline] : [])];
  }
}

function condition(displayName: string, body: Omit<MonitoringAlertPolicyConditions, 'displayName'>): MonitoringAlertPolicyConditions {
  return { displayName, ...body };
}

function trainingDescription(project: string, prefix: string): string {
  return alertDescriptions.trainingFailed(
    `a Vertex AI custom job of project ${project} (this release's jobs are named ${prefix}*)`,
    `Log match on Vertex AI's documented failure messages of custom jobs (resource ml_job): ${VERTEX_TRAINING_FAILURE_MESSAGES.map((m) => `"${m}"`).join(', ')}. ` +
      'The entries carry the numeric job id, not the job name, so every custom job of the project is covered; the incident names the failed job id.',
  );
}

/** The endpoint id of a Vertex AI endpoint resource name (a token yields its last path segment). */
function endpointIdOf(resourceName: unknown): string | null {
  if (typeof resourceName !== 'string' || resourceName.length === 0) return null;
  if (Token.isUnresolved(resourceName)) return Fn.element(Fn.split('/', resourceName), 5);
  const m = /^projects\/[^/]+\/locations\/[^/]+\/endpoints\/([^/]+)$/.exec(resourceName);
  return m ? m[1]! : null;
}

/** The project the platform's workspace is in. */
function projectOf(platform: IMlPlatform): string | null {
  if (platform instanceof GcpMlPlatform) return platform.workspace.projectId;
  const id = platform.workspace?.workspaceId;
  if (typeof id !== 'string') return null;
  if (Token.isUnresolved(id)) return Fn.element(Fn.split('/', id), 1);
  const m = /^projects\/([^/]+)\/locations\/[^/]+$/.exec(id);
  return m ? m[1]! : null;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
