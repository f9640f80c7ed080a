/**
 * A small MLflow REST tracking client: `mlops pipeline step` logs the step's
 * params, metrics and a few tags to the MLflow run the engine opened for the
 * task, when the environment names one (`MLFLOW_TRACKING_URI` and
 * `MLFLOW_RUN_ID`, as Azure ML sets them in a command job). Plain HTTPS, no
 * cloud SDK. One call per batch: `POST <host>/api/2.0/mlflow/runs/log-batch`
 * (MLflow REST API), at most {@link LOG_BATCH_LIMITS} entities per request.
 *
 * Azure ML's tracking URI has the scheme `azureml://`
 * (`azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<w>`);
 * the azureml-mlflow plugin sends the REST calls to the same host and path
 * over `https://`, which is what {@link mlflowHost} does (the query string,
 * if any, is dropped). The bearer token is `MLFLOW_TRACKING_TOKEN` when set
 * (MLflow's own variable), else `AZUREML_RUN_TOKEN`, the run token Azure ML
 * gives a job (what the azureml SDKs use inside a job). Logging is best effort:
 * every problem is a warning line, never a failed step.
 */

/** MLflow's `runs/log-batch` limits per request (MLflow REST API docs): entities in all, params, tags. */
export const LOG_BATCH_LIMITS = { entities: 1000, params: 100, tags: 100 } as const;
/** Longest param value sent (characters): longer values are cut, ending with `…` (MLflow servers have limited it to 500 and later 6000; the lower keeps every server). */
export const PARAM_VALUE_MAX = 500;
/** Attempts per request (network errors, 429 and 5xx are retried). */
export const LOG_ATTEMPTS = 3;

/** Where to log: the REST host (up to, not including, `/api/2.0/mlflow`), the run and the token. */
export interface MlflowTarget {
  readonly host: string;
  readonly runId: string;
  readonly token?: string;
}

/** `runs/log-batch` body parts. */
export interface LogBatch {
  readonly metrics: readonly { key: string; value: number; timestamp: number; step: number }[];
  readonly params: readonly { key: string; value: string }[];
  readonly tags: readonly { key: string; value: string }[];
}

/** The REST host of a tracking URI: `azureml://` becomes `https://`; http(s) as is; anything else null. */
export function mlflowHost(trackingUri: string): string | null {
  let u: URL;
  try {
    u = new URL(trackingUri);
  } catch {
    return null;
  }
  if (u.protocol === 'azureml:') return `https://${u.host}${u.pathname}`.replace(/\/+$/, '');
  if (u.protocol === 'https:' || u.protocol === 'http:') return `${u.protocol}//${u.host}${u.pathname}`.replace(/\/+$/, '');
  return null;
}

/**
 * The MLflow run the environment names, or why not: `null` when
 * `MLFLOW_TRACKING_URI` or `MLFLOW_RUN_ID` is unset (nothing to log to, no
 * warning); `{ problem }` when they are set but cannot be used.
 */
export function mlflowTargetFromEnv(env: NodeJS.ProcessEnv): MlflowTarget | { problem: string } | null {
  const uri = env.MLFLOW_TRACKING_URI?.trim();
  const runId = env.MLFLOW_RUN_ID?.trim();
  if (!uri || !runId) return null;
  const host = mlflowHost(uri);
  if (!host)
    return {
      problem: `MLFLOW_TRACKING_URI ${JSON.stringify(uri.replace(/\?.*$/, ''))} is not an azureml://, https:// or http:// tracking server; the step's params and metrics are not logged to MLflow.`,
    };
  const token = env.MLFLOW_TRACKING_TOKEN?.trim() || env.AZUREML_RUN_TOKEN?.trim() || undefined;
  if (!token && host.startsWith('https://'))
    return { problem: `no MLFLOW_TRACKING_TOKEN or AZUREML_RUN_TOKEN to call ${host} with; the step's params and metrics are not logged to MLflow.` };
  return { host, runId, ...(token ? { token } : {}) };
}

/** Params as MLflow params: nested objects flattened to dotted keys, non-strings as JSON, values cut at {@link PARAM_VALUE_MAX}. */
export function mlflowParams(params: Readonly<Record<string, unknown>>): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, x);
      return;
    }
    const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
    out.push({ key: prefix, value: text.length > PARAM_VALUE_MAX ? `${text.slice(0, PARAM_VALUE_MAX - 1)}…` : text });
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return out;
}

/** The batch of one step: its params, its finite metrics (at `timestamp`, step 0) and the tags. */
export function stepBatch(
  step: { readonly step: string; readonly uses: string; readonly metrics: Readonly<Record<string, number>>; readonly skipped?: unknown },
  params: Readonly<Record<string, unknown>>,
  timestamp: number,
): LogBatch {
  return {
    metrics: Object.entries(step.metrics)
      .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
      .map(([key, value]) => ({ key, value, timestamp, step: 0 })),
    params: mlflowParams(params),
    tags: [{ key: 'mlops.step', value: step.step }, { key: 'mlops.uses', value: step.uses }, ...(step.skipped ? [{ key: 'mlops.skipped', value: 'true' }] : [])],
  };
}

/** Splits a batch into requests within {@link LOG_BATCH_LIMITS}. */
export function splitBatch(batch: LogBatch): LogBatch[] {
  const out: LogBatch[] = [];
  const params = [...batch.params];
  const tags = [...batch.tags];
  const metrics = [...batch.metrics];
  while (params.length || tags.length || metrics.length) {
    const p = params.splice(0, LOG_BATCH_LIMITS.params);
    const t = tags.splice(0, LOG_BATCH_LIMITS.tags);
    const m = metrics.splice(0, LOG_BATCH_LIMITS.entities - p.length - t.length);
    out.push({ metrics: m, params: p, tags: t });
  }
  return out;
}

/** Options of {@link logToMlflow}. */
export interface LogOptions {
  readonly fetch?: typeof fetch;
  /** Milliseconds before a retry (times the attempt number). @default 1000 */
  readonly retryMs?: number;
  /** Milliseconds a request may take. @default 15000 */
  readonly timeoutMs?: number;
}

/**
 * Sends `batch` to the run (see the module comment); resolves to the number
 * of requests sent, throws an Error naming the request and the answer when one
 * fails after {@link LOG_ATTEMPTS} attempts (the caller turns it into a warning).
 */
export async function logToMlflow(target: MlflowTarget, batch: LogBatch, o: LogOptions = {}): Promise<number> {
  const f = o.fetch ?? fetch;
  const url = `${target.host}/api/2.0/mlflow/runs/log-batch`;
  const parts = splitBatch(batch);
  for (const part of parts) {
    const body = JSON.stringify({ run_id: target.runId, ...part });
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      let retry: boolean;
      try {
        const res = await f(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(target.token ? { authorization: `Bearer ${target.token}` } : {}) },
          body,
          signal: AbortSignal.timeout(o.timeoutMs ?? 15000),
        });
        if (res.ok) break;
        const text = (await res.text().catch(() => '')).slice(0, 300);
        problem = `HTTP ${res.status}${text ? `: ${text}` : ''}`;
        retry = res.status === 429 || res.status >= 500;
      } catch (e) {
        problem = (e as Error).message;
        retry = true;
      }
      if (!retry || attempt >= LOG_ATTEMPTS) throw new Error(`POST ${url} (run ${target.runId}) failed after ${attempt} attempt(s): ${problem}`);
      await new Promise((r) => setTimeout(r, (o.retryMs ?? 1000) * attempt));
    }
  }
  return parts.length;
}
