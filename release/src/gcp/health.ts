import { Caller, GcpClients } from './clients';

/** Vertex AI's count of online prediction responses, by `response_code` and `deployed_model_id` (Cloud Monitoring). */
export const RESPONSE_COUNT_METRIC = 'aiplatform.googleapis.com/prediction/online/response_count';
/** Vertex AI's online prediction latency distribution, by `latency_type` (`model` is the container's own time). */
export const LATENCY_METRIC = 'aiplatform.googleapis.com/prediction/online/prediction_latencies';
/** Monitored resource type of a Vertex AI endpoint. */
export const ENDPOINT_RESOURCE_TYPE = 'aiplatform.googleapis.com/Endpoint';

/** The thresholds a new deployment must stay within while it bakes. */
export interface HealthThresholds {
  /** 5xx share of the deployed model's responses, in percent. */
  readonly errorRatePercent: number;
  /** p95 of the model's own latency, in milliseconds. */
  readonly latencyP95Ms: number;
}

/** What the bake window showed. */
export interface HealthVerdict {
  readonly healthy: boolean;
  /** Responses of the deployed model in the window. */
  readonly requests: number;
  readonly serverErrors: number;
  readonly errorRatePercent: number;
  /** Undefined when there were no latency samples. */
  readonly latencyP95Ms?: number;
  /** One line for the log and the report. */
  readonly summary: string;
}

interface TimeSeriesPage {
  timeSeries?: Array<{
    metric?: { labels?: Record<string, string> };
    points?: Array<{ value?: { int64Value?: string | number; doubleValue?: number } }>;
  }>;
  nextPageToken?: string;
}

/** Where the window's data comes from: one deployed model of one endpoint. */
export interface HealthScope {
  readonly project: string;
  /** The endpoint's numeric id. */
  readonly endpointId: string;
  readonly deployedModelId: string;
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Reads the deployed model's responses and latency over the bake window from
 * Cloud Monitoring (`projects.timeSeries.list`, REST v3, with the run's
 * credentials) and compares them with the thresholds. No traffic in the
 * window is not healthy: nothing was measured, and promoting an unmeasured
 * deployment would make the bake a wait that checks nothing. (To roll out
 * without a measured bake, use `rollout.strategy: all-at-once` or
 * `rollout.bakeMinutes: 0`, which say so.)
 */
export async function checkHealth(clients: GcpClients, caller: Caller, scope: HealthScope, thresholds: HealthThresholds): Promise<HealthVerdict> {
  const alignSeconds = Math.max(60, Math.ceil((scope.endMs - scope.startMs) / 1000));
  const base = [`resource.type="${ENDPOINT_RESOURCE_TYPE}"`, `resource.labels.endpoint_id="${scope.endpointId}"`, `metric.labels.deployed_model_id="${scope.deployedModelId}"`];
  const window = { 'interval.startTime': new Date(scope.endMs - alignSeconds * 1000).toISOString(), 'interval.endTime': new Date(scope.endMs).toISOString() };

  const responses = await listSeries(clients, caller, scope.project, {
    filter: [`metric.type="${RESPONSE_COUNT_METRIC}"`, ...base].join(' AND '),
    ...window,
    'aggregation.alignmentPeriod': `${alignSeconds}s`,
    'aggregation.perSeriesAligner': 'ALIGN_DELTA',
    'aggregation.crossSeriesReducer': 'REDUCE_SUM',
    'aggregation.groupByFields': 'metric.labels.response_code',
  });
  let requests = 0;
  let serverErrors = 0;
  for (const series of responses) {
    const code = series.metric?.labels?.response_code ?? '';
    const count = (series.points ?? []).reduce((sum, p) => sum + Number(p.value?.int64Value ?? p.value?.doubleValue ?? 0), 0);
    requests += count;
    if (/^5\d\d$/.test(code)) serverErrors += count;
  }

  const latencies = await listSeries(clients, caller, scope.project, {
    filter: [`metric.type="${LATENCY_METRIC}"`, ...base, 'metric.labels.latency_type="model"'].join(' AND '),
    ...window,
    'aggregation.alignmentPeriod': `${alignSeconds}s`,
    'aggregation.perSeriesAligner': 'ALIGN_PERCENTILE_95',
    'aggregation.crossSeriesReducer': 'REDUCE_MAX',
  });
  const samples = latencies.flatMap((s) => (s.points ?? []).map((p) => Number(p.value?.doubleValue ?? p.value?.int64Value))).filter((v) => Number.isFinite(v));
  const latencyP95Ms = samples.length > 0 ? Math.max(...samples) : undefined;

  const errorRatePercent = requests > 0 ? (serverErrors / requests) * 100 : 0;
  const problems: string[] = [];
  if (requests === 0) {
    problems.push(
      'no requests reached the new deployment during the bake window, so its health could not be measured. Fix: send traffic to the endpoint while it bakes, or use rollout.strategy all-at-once (or bakeMinutes 0) to roll out without a measured bake',
    );
  }
  if (requests > 0 && errorRatePercent > thresholds.errorRatePercent) problems.push(`5xx rate ${errorRatePercent.toFixed(1)}% > ${thresholds.errorRatePercent}%`);
  if (latencyP95Ms !== undefined && latencyP95Ms > thresholds.latencyP95Ms) problems.push(`p95 model latency ${latencyP95Ms.toFixed(0)} ms > ${thresholds.latencyP95Ms} ms`);
  const measured =
    requests === 0
      ? 'no responses, no latency samples'
      : `${requests} responses, ${serverErrors} 5xx (${errorRatePercent.toFixed(1)}%), p95 model latency ${latencyP95Ms === undefined ? 'n/a' : `${latencyP95Ms.toFixed(0)} ms`}`;
  return {
    healthy: problems.length === 0,
    requests,
    serverErrors,
    errorRatePercent,
    latencyP95Ms,
    summary: problems.length === 0 ? measured : `${problems.join('; ')} (${measured})`,
  };
}

async function listSeries(clients: GcpClients, caller: Caller, project: string, query: Record<string, string>): Promise<NonNullable<TimeSeriesPage['timeSeries']>> {
  const all: NonNullable<TimeSeriesPage['timeSeries']> = [];
  let pageToken: string | undefined;
  do {
    const params = new URLSearchParams({ ...query, ...(pageToken ? { pageToken } : {}) });
    const url = `${clients.monitoringEndpoint}/v3/projects/${project}/timeSeries?${params.toString()}`;
    const { data } = await caller.call(`read ${query.filter!.split(' AND ')[0]} from Cloud Monitoring`, 'read', () =>
      clients.auth.request<TimeSeriesPage>({ url, method: 'GET', responseType: 'json' }),
    );
    all.push(...(data?.timeSeries ?? []));
    pageToken = data?.nextPageToken || undefined;
  } while (pageToken);
  return all;
}
