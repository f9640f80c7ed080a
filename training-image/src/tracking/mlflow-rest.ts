/**
 * A small MLflow REST tracking client: `mlops pipeline step` records the
 * step's params, metrics and tags in MLflow when the environment names a
 * tracking server (`MLFLOW_TRACKING_URI`). Plain HTTPS (`fetch`), no MLflow
 * SDK; every problem is a warning line, never a failed step. Two targets:
 *
 * - **An open run** (`MLFLOW_TRACKING_URI` and `MLFLOW_RUN_ID`, as Azure ML
 *   sets them in a command job): one call per batch,
 *   `POST <host>/api/2.0/mlflow/runs/log-batch`, at most
 *   {@link LOG_BATCH_LIMITS} entities per request. Azure ML's tracking URI
 *   has the scheme `azureml://`
 *   (`azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<w>`);
 *   the azureml-mlflow plugin sends the REST calls to the same host and path
 *   over `https://`, which is what {@link mlflowHost} does (the query string,
 *   if any, is dropped). The bearer token is `MLFLOW_TRACKING_TOKEN` when set
 *   (MLflow's own variable), else `AZUREML_RUN_TOKEN`, the run token Azure ML
 *   gives a job (what the azureml SDKs use inside a job).
 * - **A SageMaker managed MLflow tracking server** (`MLFLOW_TRACKING_URI` =
 *   the server's ARN, as the `sagemaker-mlflow` plugin takes it, and
 *   `MLFLOW_EXPERIMENT_NAME`; the SageMaker pipeline compiler sets them,
 *   with the lineage variables of {@link MLFLOW_STEP_ENV}): SageMaker opens
 *   no run for a processing step, so the step records its own —
 *   {@link MLFLOW_CALLS} in this order: the experiment by name (created when
 *   missing), a run, its batches, and the run's end status. The calls go to
 *   `https://<region>.experiments.sagemaker.aws` (or
 *   `SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT`, the plugin's override), signed with
 *   SigV4 by `aws-auth.ts` (loaded only then).
 */

/** MLflow's `runs/log-batch` limits per request (MLflow REST API docs): entities in all, params, tags. */
export const LOG_BATCH_LIMITS = { entities: 1000, params: 100, tags: 100 } as const;
/** Longest param value sent (characters): longer values are cut, ending with `…` (MLflow servers have limited it to 500 and later 6000; the lower keeps every server). */
export const PARAM_VALUE_MAX = 500;
/** Attempts per request (network errors, 429 and 5xx are retried). */
export const LOG_ATTEMPTS = 3;
/** MLflow's REST API under a tracking host. */
export const MLFLOW_API = '/api/2.0/mlflow';

/**
 * The MLflow REST calls the client makes (method and path under
 * {@link MLFLOW_API}). On a SageMaker tracking server each is authorized by
 * the IAM action of the same name (`sagemaker-mlflow:GetExperimentByName`, …;
 * the library's `SAGEMAKER_MLFLOW_STEP_CALLS` grants exactly these, and a
 * test checks the two lists agree).
 */
export const MLFLOW_CALLS = {
  GetExperimentByName: { method: 'GET', path: '/experiments/get-by-name' },
  CreateExperiment: { method: 'POST', path: '/experiments/create' },
  CreateRun: { method: 'POST', path: '/runs/create' },
  LogBatch: { method: 'POST', path: '/runs/log-batch' },
  UpdateRun: { method: 'POST', path: '/runs/update' },
} as const;

/** One of {@link MLFLOW_CALLS}. */
export type MlflowCallName = keyof typeof MLFLOW_CALLS;

/**
 * The environment a SageMaker pipeline step reads (the library's SageMaker
 * compiler writes it; `test/aws-mlflow-contract.test.ts` checks the names
 * agree): the tracking server, the experiment, and the lineage the step's run
 * carries as tags.
 */
export const MLFLOW_STEP_ENV = {
  /** The tracking server: an `azureml://` or http(s) URI, or a SageMaker tracking server's ARN. */
  trackingUri: 'MLFLOW_TRACKING_URI',
  /** An open run to log to (Azure ML); without it a SageMaker step creates its run. */
  runId: 'MLFLOW_RUN_ID',
  /** The experiment a created run goes in (the release name). */
  experiment: 'MLFLOW_EXPERIMENT_NAME',
  /** The pipeline (release) name. */
  pipeline: 'MLOPS_PIPELINE_NAME',
  /** The pipeline execution ARN (`Execution.PipelineExecutionArn`). */
  executionArn: 'MLOPS_PIPELINE_EXECUTION_ARN',
  /** The pipeline execution id (`Execution.PipelineExecutionId`), in the run's name. */
  executionId: 'MLOPS_PIPELINE_EXECUTION_ID',
  /** The pipeline revision (the hash of its definition). */
  revision: 'MLOPS_PIPELINE_REVISION',
  /** The runtime image by digest. */
  image: 'MLOPS_IMAGE',
  /** JSON: the step's input name → the S3 URI of the pipeline input it reads. */
  inputUris: 'MLOPS_INPUT_URIS',
  /** Another address for the SageMaker MLflow API (the `sagemaker-mlflow` plugin's variable). */
  customEndpoint: 'SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT',
} as const;

/** Where to log: the REST host (up to, not including, `/api/2.0/mlflow`), the open run and the token. */
export interface MlflowTarget {
  readonly host: string;
  readonly runId: string;
  readonly token?: string;
}

/** A SageMaker managed MLflow tracking server to record a run on. */
export interface SageMakerMlflowTarget {
  readonly kind: 'sagemaker';
  /** `https://<region>.experiments.sagemaker.aws`, or `SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT`. */
  readonly host: string;
  /** The tracking server's ARN (the routing header, the IAM resource). */
  readonly arn: string;
  /** The region the requests are signed for (the ARN's). */
  readonly region: string;
  /** The experiment the run goes in. */
  readonly experiment?: string;
  /** An open run to log to instead of creating one (`MLFLOW_RUN_ID`). */
  readonly runId?: string;
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

/** A SageMaker MLflow tracking server's ARN: partition, region, account, name. */
const TRACKING_SERVER_ARN = /^arn:(aws[a-z-]*):sagemaker:([a-z0-9-]+):(\d{12}):mlflow-tracking-server\/([A-Za-z0-9-]{1,63})$/;
/** Partitions whose SageMaker MLflow API is `<region>.experiments.sagemaker.aws` (the plugin's `_get_dns_suffix`). */
const MLFLOW_PARTITIONS = ['aws', 'aws-us-gov'];

/** The SageMaker MLflow API of a region (the plugin's `_get_endpoint` for `mlflow-tracking-server`). */
export function sageMakerMlflowHost(region: string): string {
  return `https://${region}.experiments.sagemaker.aws`;
}

/**
 * The MLflow run the environment names, or why not: `null` when
 * `MLFLOW_TRACKING_URI` is unset, or is not an ARN and `MLFLOW_RUN_ID` is
 * unset (nothing to log to, no warning); `{ problem }` when they are set but
 * cannot be used.
 */
export function mlflowTargetFromEnv(env: NodeJS.ProcessEnv): MlflowTarget | SageMakerMlflowTarget | { problem: string } | null {
  const uri = env.MLFLOW_TRACKING_URI?.trim();
  const runId = env.MLFLOW_RUN_ID?.trim();
  if (uri?.startsWith('arn:')) return sageMakerTarget(uri, runId, env);
  if (!uri || !runId) return null;
  const host = mlflowHost(uri);
  if (!host)
    return {
      problem: `MLFLOW_TRACKING_URI ${JSON.stringify(uri.replace(/\?.*$/, ''))} is not an azureml://, https:// or http:// tracking server, nor a SageMaker tracking server ARN; the step's params and metrics are not logged to MLflow.`,
    };
  const token = env.MLFLOW_TRACKING_TOKEN?.trim() || env.AZUREML_RUN_TOKEN?.trim() || undefined;
  if (!token && host.startsWith('https://'))
    return { problem: `no MLFLOW_TRACKING_TOKEN or AZUREML_RUN_TOKEN to call ${host} with; the step's params and metrics are not logged to MLflow.` };
  return { host, runId, ...(token ? { token } : {}) };
}

function sageMakerTarget(arn: string, runId: string | undefined, env: NodeJS.ProcessEnv): SageMakerMlflowTarget | { problem: string } {
  const not = "the step's params and metrics are not logged to MLflow";
  const m = TRACKING_SERVER_ARN.exec(arn);
  if (!m)
    return {
      problem: `MLFLOW_TRACKING_URI ${JSON.stringify(arn.slice(0, 200))} is not a SageMaker MLflow tracking server ARN (arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>); ${not}.`,
    };
  const [, partition, region] = m as unknown as [string, string, string];
  const custom = env[MLFLOW_STEP_ENV.customEndpoint]?.trim();
  if (!custom && !MLFLOW_PARTITIONS.includes(partition))
    return {
      problem: `the tracking server ${arn} is in partition ${partition}, which has no SageMaker MLflow endpoint the client knows (${MLFLOW_PARTITIONS.join(', ')}); ${not}.`,
    };
  const host = custom ? mlflowHost(custom) : sageMakerMlflowHost(region);
  if (!host) return { problem: `${MLFLOW_STEP_ENV.customEndpoint} ${JSON.stringify(custom)} is not an https:// or http:// address; ${not}.` };
  const experiment = env[MLFLOW_STEP_ENV.experiment]?.trim() || undefined;
  if (!experiment && !runId) return { problem: `MLFLOW_TRACKING_URI names the tracking server ${arn}, but neither MLFLOW_EXPERIMENT_NAME nor MLFLOW_RUN_ID is set; ${not}.` };
  return { kind: 'sagemaker', host, arn, region, ...(experiment ? { experiment } : {}), ...(runId ? { runId } : {}) };
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
    out.push({ key: prefix, value: cut(text) });
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return out;
}

const cut = (text: string): string => (text.length > PARAM_VALUE_MAX ? `${text.slice(0, PARAM_VALUE_MAX - 1)}…` : text);

/** The batch of one step: its params, its finite metrics (at `timestamp`, step 0) and the tags (the step's, then `extraTags`). */
export function stepBatch(
  step: { readonly step: string; readonly uses: string; readonly metrics: Readonly<Record<string, number>>; readonly skipped?: unknown },
  params: Readonly<Record<string, unknown>>,
  timestamp: number,
  extraTags: readonly { key: string; value: string }[] = [],
): LogBatch {
  return {
    metrics: Object.entries(step.metrics)
      .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
      .map(([key, value]) => ({ key, value, timestamp, step: 0 })),
    params: mlflowParams(params),
    tags: [
      { key: 'mlops.step', value: step.step },
      { key: 'mlops.uses', value: step.uses },
      ...(step.skipped ? [{ key: 'mlops.skipped', value: 'true' }] : []),
      ...extraTags.map((t) => ({ key: t.key, value: cut(t.value) })),
    ],
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

/** Options of {@link logToMlflow} and {@link recordMlflowRun}. */
export interface LogOptions {
  readonly fetch?: typeof fetch;
  /** Milliseconds before a retry (times the attempt number). @default 1000 */
  readonly retryMs?: number;
  /** Milliseconds a request may take. @default 15000 */
  readonly timeoutMs?: number;
  /**
   * The AWS credentials a SageMaker target's requests are signed with.
   * @default - the container's role (aws-auth.ts `defaultAwsCredentials`)
   */
  readonly credentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }>;
  /** The signing clock. @default - the current time */
  readonly now?: () => Date;
}

/** An MLflow REST call that failed: the HTTP status and MLflow's `error_code`, when the server answered. */
export class MlflowCallError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'MlflowCallError';
  }
}

/** Adds the headers a request is sent with (authorization): a bearer token, or a SigV4 signature. */
type Authorize = (req: { method: string; url: URL; headers: Record<string, string>; body?: string }) => Promise<Record<string, string>>;

/** RFC 3986 encoding (what SigV4 canonicalizes a query with). */
const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * One MLflow REST call with retries (network errors, 429 and 5xx; not other
 * 4xx): resolves to the answer's JSON, throws {@link MlflowCallError} naming
 * the request (and `about`, e.g. the run) and the last answer.
 */
async function callMlflow(
  host: string,
  name: MlflowCallName,
  input: { query?: Record<string, string>; body?: object; about?: string },
  authorize: Authorize,
  o: LogOptions,
): Promise<Record<string, unknown>> {
  const f = o.fetch ?? fetch;
  const { method, path } = MLFLOW_CALLS[name];
  const url = new URL(`${host}${MLFLOW_API}${path}`);
  if (input.query)
    url.search = Object.entries(input.query)
      .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
      .join('&');
  const shown = `${method} ${host}${MLFLOW_API}${path}${url.search}`;
  const body = input.body === undefined ? undefined : JSON.stringify(input.body);
  for (let attempt = 1; ; attempt++) {
    let problem: string;
    let retry: boolean;
    let status: number | undefined;
    let errorCode: string | undefined;
    try {
      const headers = await authorize({ method, url, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body });
      // fetch sends Host itself (the URL's host, which is what was signed).
      const { host: _host, ...sent } = headers;
      const res = await f(url, { method, headers: sent, body, signal: AbortSignal.timeout(o.timeoutMs ?? 15000) });
      const text = await res.text().catch(() => '');
      if (res.ok) return parseObject(text);
      status = res.status;
      try {
        errorCode = (JSON.parse(text) as { error_code?: string }).error_code;
      } catch {
        errorCode = undefined;
      }
      problem = `HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
      retry = res.status === 429 || res.status >= 500;
    } catch (e) {
      problem = (e as Error).message;
      retry = true;
    }
    if (!retry || attempt >= LOG_ATTEMPTS)
      throw new MlflowCallError(`${shown}${input.about ? ` (${input.about})` : ''} failed after ${attempt} attempt(s): ${problem}`, status, errorCode);
    await new Promise((r) => setTimeout(r, (o.retryMs ?? 1000) * attempt));
  }
}

/** A JSON object answer, or `{}` (an empty or non-JSON answer to a call whose answer is not needed). */
function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The bearer authorization of an open-run target (none without a token). */
const bearer =
  (token?: string): Authorize =>
  async ({ headers }) => ({ ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) });

/**
 * Sends `batch` to the open run (see the module comment); resolves to the
 * number of requests sent, throws an Error naming the request and the answer
 * when one fails after {@link LOG_ATTEMPTS} attempts (the caller turns it
 * into a warning).
 */
export async function logToMlflow(target: MlflowTarget, batch: LogBatch, o: LogOptions = {}): Promise<number> {
  const parts = splitBatch(batch);
  for (const part of parts) await callMlflow(target.host, 'LogBatch', { body: { run_id: target.runId, ...part }, about: `run ${target.runId}` }, bearer(target.token), o);
  return parts.length;
}

/** A step as one MLflow run on a SageMaker tracking server. */
export interface StepRun {
  /** The run's name. */
  readonly name: string;
  /** Milliseconds since the epoch. */
  readonly startTime: number;
  readonly endTime: number;
  /** MLflow's `RunStatus` at the end. */
  readonly status: 'FINISHED' | 'FAILED';
  /** Params, metrics and tags. */
  readonly batch: LogBatch;
}

/** What {@link recordMlflowRun} did. */
export interface RecordedRun {
  readonly runId: string;
  readonly experimentId?: string;
  /** Calls answered as expected (an answer "no such experiment" or "it already exists" included; retries not counted). */
  readonly requests: number;
}

/**
 * Records `run` on a SageMaker tracking server, signed (see the module
 * comment): the experiment's id by name (created when missing; when another
 * step creates it at the same time, read again), the run (with the step's
 * start time), its batches, then its end status and time. When a batch
 * fails, the run is still ended as FAILED (best effort) before the error is
 * thrown. Throws {@link MlflowCallError} (or a credentials Error) for the
 * caller to turn into a warning.
 */
export async function recordMlflowRun(target: SageMakerMlflowTarget, run: StepRun, o: LogOptions = {}): Promise<RecordedRun> {
  const auth = require('./aws-auth') as typeof import('./aws-auth');
  const credentials = o.credentials ?? auth.defaultAwsCredentials();
  // Once, before any call: a missing role is one clear warning, not a retried call.
  await credentials();
  const sign = auth.sageMakerMlflowSigner(target.region, target.arn, credentials, o.now);
  const call = (name: MlflowCallName, input: { query?: Record<string, string>; body?: object; about?: string }) => callMlflow(target.host, name, input, sign, o);
  let requests = 0;
  let experimentId: string | undefined;
  let runId = target.runId;
  if (!runId) {
    const experiment = target.experiment!;
    const byName = async (): Promise<string | undefined> => {
      try {
        const r = await call('GetExperimentByName', { query: { experiment_name: experiment } });
        requests++;
        return String((r.experiment as { experiment_id?: unknown } | undefined)?.experiment_id ?? '') || undefined;
      } catch (e) {
        if (e instanceof MlflowCallError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') {
          requests++;
          return undefined;
        }
        throw e;
      }
    };
    experimentId = await byName();
    if (!experimentId) {
      try {
        const r = await call('CreateExperiment', { body: { name: experiment }, about: `experiment ${experiment}` });
        requests++;
        experimentId = String(r.experiment_id ?? '') || undefined;
      } catch (e) {
        // Another step of the run created it in the meantime.
        if (!(e instanceof MlflowCallError && e.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw e;
        requests++;
        experimentId = await byName();
      }
      if (!experimentId) throw new MlflowCallError(`the experiment ${experiment} has no id after it was created; nothing is logged.`);
    }
    const created = await call('CreateRun', { body: { experiment_id: experimentId, run_name: run.name, start_time: run.startTime, tags: [] }, about: `experiment ${experiment}` });
    requests++;
    runId = (created.run as { info?: { run_id?: string } } | undefined)?.info?.run_id;
    if (!runId) throw new MlflowCallError(`POST ${target.host}${MLFLOW_API}${MLFLOW_CALLS.CreateRun.path} answered no run id; nothing is logged.`);
  }
  const end = (status: StepRun['status']) =>
    call('UpdateRun', { body: { run_id: runId, run_uuid: runId, status, end_time: run.endTime }, about: `run ${runId}` }).then(() => void requests++);
  try {
    for (const part of splitBatch(run.batch)) {
      await call('LogBatch', { body: { run_id: runId, ...part }, about: `run ${runId}` });
      requests++;
    }
  } catch (e) {
    await end('FAILED').catch(() => undefined);
    throw e;
  }
  await end(run.status);
  return { runId, ...(experimentId ? { experimentId } : {}), requests };
}
