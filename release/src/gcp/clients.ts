import { v1 } from '@google-cloud/aiplatform';
import { ClientOptions, Status, googleAuthLibrary } from 'google-gax';
import { ReleaseContext, ReleaseError } from '../driver';

/** Points the Vertex AI clients at another endpoint, e.g. `http://127.0.0.1:8080` (tests, emulators, private endpoints). */
export const AIPLATFORM_ENDPOINT_ENV = 'MLOPS_GCP_AIPLATFORM_ENDPOINT';
/** Points the Cloud Monitoring calls (rollout health) at another base URL. */
export const MONITORING_ENDPOINT_ENV = 'MLOPS_GCP_MONITORING_ENDPOINT';
/**
 * An OAuth 2.0 access token to call Google APIs with instead of Application
 * Default Credentials — the variable the Terraform google provider reads too,
 * so a deploy authenticated that way runs its release steps the same way.
 */
export const ACCESS_TOKEN_ENV = 'GOOGLE_OAUTH_ACCESS_TOKEN';
/** The OAuth scope of every call. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** The Cloud Monitoring API. */
export const DEFAULT_MONITORING_ENDPOINT = 'https://monitoring.googleapis.com';

/** Options of {@link createGcpDriver}; tests point everything at a loopback server and make waiting instant. */
export interface GcpDriverOptions {
  /**
   * Merged over the Vertex AI clients' options (`apiEndpoint`, `port`,
   * `protocol`, `authClient`, …). Tests give a loopback endpoint and an
   * `OAuth2Client` with a fixed token.
   * @default - the regional endpoint `<region>-aiplatform.googleapis.com`, REST transport, Application Default Credentials
   */
  readonly clientOptions?: ClientOptions;
  /**
   * Base URL of the Cloud Monitoring API (rollout health checks).
   * @default - MLOPS_GCP_MONITORING_ENDPOINT, else https://monitoring.googleapis.com
   */
  readonly monitoringEndpoint?: string;
  /**
   * Base URL of the Compute Engine API (private mode: the endpoint's Private Service Connect forwarding rule).
   * @default https://compute.googleapis.com
   */
  readonly computeEndpoint?: string;
  /** Milliseconds between polls of a training job. @default 30000 */
  readonly jobPollMs?: number;
  /** Milliseconds between polls of a long-running operation. @default 10000 */
  readonly operationPollMs?: number;
  /** Attempts of a call that fails with a retryable status (429, 5xx). @default 6 */
  readonly maxAttempts?: number;
  /** First backoff delay in milliseconds; doubled on every retry, at most 60 s. @default 2000 */
  readonly retryBaseMs?: number;
}

/** Something that makes authenticated HTTP requests (GoogleAuth or an AuthClient). */
export interface AuthorizedRequester {
  request<T>(opts: { url: string; method?: 'GET' | 'POST' | 'DELETE'; responseType?: 'json'; data?: unknown }): Promise<{ data: T }>;
}

/**
 * The Vertex AI clients of a region, made on first use (each costs a few
 * hundred milliseconds: the client library builds its protobuf types), and
 * the authenticated requester for Cloud Monitoring.
 */
export interface GcpClients {
  readonly jobs: v1.JobServiceClient;
  readonly models: v1.ModelServiceClient;
  readonly endpoints: v1.EndpointServiceClient;
  readonly auth: AuthorizedRequester;
  readonly monitoringEndpoint: string;
  /** Base URL of the Compute Engine API (the endpoint's Private Service Connect forwarding rule). */
  readonly computeEndpoint: string;
  /** Closes the clients made so far. */
  close(): Promise<void>;
}

/** Parses MLOPS_GCP_AIPLATFORM_ENDPOINT (`https://host[:port]`, `http://host:port` or `host[:port]`). */
export function parseEndpointOverride(value: string): Pick<ClientOptions, 'apiEndpoint' | 'port' | 'protocol'> {
  const withScheme = /^[a-z]+:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ReleaseError(
      `${AIPLATFORM_ENDPOINT_ENV} is ${JSON.stringify(value)}: give a URL such as https://europe-west4-aiplatform.googleapis.com or http://127.0.0.1:8080`,
      'BAD_ENVIRONMENT',
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ReleaseError(
      `${AIPLATFORM_ENDPOINT_ENV} is ${JSON.stringify(value)}: give only a scheme (http or https), a host and a port, e.g. http://127.0.0.1:8080`,
      'BAD_ENVIRONMENT',
    );
  }
  const protocol = url.protocol.slice(0, -1);
  return { apiEndpoint: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80, protocol };
}

/** What selects a set of clients: the same key may reuse them. */
export function clientsKey(region: string, env: NodeJS.ProcessEnv, options: GcpDriverOptions): string {
  return JSON.stringify([
    region,
    env[AIPLATFORM_ENDPOINT_ENV] ?? '',
    options.clientOptions ? 'given' : (env[ACCESS_TOKEN_ENV] ?? 'adc'),
    options.monitoringEndpoint ?? env[MONITORING_ENDPOINT_ENV] ?? '',
  ]);
}

/**
 * Creates the Vertex AI clients for `region`: REST transport (the transport
 * the tests exercise), the regional endpoint unless overridden, and one
 * credential shared by every client — the options' auth, else
 * GOOGLE_OAUTH_ACCESS_TOKEN, else Application Default Credentials.
 */
export function createClients(region: string, env: NodeJS.ProcessEnv, options: GcpDriverOptions): GcpClients {
  const given = options.clientOptions ?? {};
  let credential: ClientOptions;
  let auth: AuthorizedRequester;
  if (given.authClient || given.auth) {
    credential = {};
    auth = (given.authClient ?? given.auth) as unknown as AuthorizedRequester;
  } else if (env[ACCESS_TOKEN_ENV]) {
    const client = new googleAuthLibrary.OAuth2Client();
    client.setCredentials({ access_token: env[ACCESS_TOKEN_ENV] });
    credential = { authClient: client };
    auth = client as unknown as AuthorizedRequester;
  } else {
    const google = new googleAuthLibrary.GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] });
    credential = { auth: google };
    auth = google as unknown as AuthorizedRequester;
  }
  const override = env[AIPLATFORM_ENDPOINT_ENV] ? parseEndpointOverride(env[AIPLATFORM_ENDPOINT_ENV]!) : {};
  const clientOptions: ClientOptions = {
    apiEndpoint: `${region}-aiplatform.googleapis.com`,
    fallback: true,
    ...override,
    ...credential,
    ...given,
  };
  let jobs: v1.JobServiceClient | undefined;
  let models: v1.ModelServiceClient | undefined;
  let endpoints: v1.EndpointServiceClient | undefined;
  return {
    get jobs() {
      return (jobs ??= new v1.JobServiceClient(clientOptions));
    },
    get models() {
      return (models ??= new v1.ModelServiceClient(clientOptions));
    },
    get endpoints() {
      return (endpoints ??= new v1.EndpointServiceClient(clientOptions));
    },
    auth,
    monitoringEndpoint: (options.monitoringEndpoint ?? env[MONITORING_ENDPOINT_ENV] ?? DEFAULT_MONITORING_ENDPOINT).replace(/\/+$/, ''),
    computeEndpoint: (options.computeEndpoint ?? 'https://compute.googleapis.com').replace(/\/+$/, ''),
    close: async () => {
      await Promise.all([jobs?.close(), models?.close(), endpoints?.close()]);
      jobs = models = endpoints = undefined;
    },
  };
}

/** What a failed Google API call said, whatever layer threw it. */
export interface GoogleFailure {
  /** HTTP status, when the failure came over HTTP. */
  readonly httpStatus?: number;
  /** The canonical status name (`UNAVAILABLE`, `NOT_FOUND`, …), or a network error code. */
  readonly status: string;
  /** Google's message. */
  readonly message: string;
  /** The server's Retry-After, in milliseconds. */
  readonly retryAfterMs?: number;
}

const HTTP_STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads a failure of the Vertex AI clients or of an authenticated request.
 * On the REST transport the HTTP layer (gaxios) throws before the client
 * sees the response: `status` is the HTTP status and the message holds
 * Google's JSON error body. Over gRPC (or for an operation's error) `code` is
 * a canonical code number.
 */
export function describeFailure(err: unknown): GoogleFailure {
  const e = err as { message?: string; code?: unknown; status?: unknown; response?: { status?: number; data?: unknown; headers?: unknown } };
  const httpStatus = typeof e?.response?.status === 'number' ? e.response.status : typeof e?.status === 'number' && e.status >= 100 ? e.status : undefined;
  if (httpStatus !== undefined) {
    const body = (parseJson(e.response?.data) ?? parseJson(e.message)) as { error?: { message?: string; status?: string } } | undefined;
    const retryAfter = headerOf(e.response?.headers, 'retry-after');
    const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
    return {
      httpStatus,
      status: body?.error?.status ?? HTTP_STATUS_NAMES[httpStatus] ?? `HTTP_${httpStatus}`,
      message: body?.error?.message ?? (typeof e.message === 'string' && e.message ? e.message : `HTTP ${httpStatus}`),
      retryAfterMs: seconds !== undefined ? seconds * 1000 : undefined,
    };
  }
  if (typeof e?.code === 'number') {
    return { status: (Status as unknown as Record<number, string>)[e.code] ?? `CODE_${e.code}`, message: e.message ?? String(err) };
  }
  if (typeof e?.code === 'string') return { status: e.code, message: e.message ?? String(err) };
  return { status: 'UNKNOWN', message: (err as Error)?.message ?? String(err) };
}

/** Whether a call is safe to repeat after any transient failure (reads, deletes) or only after a certain rejection (creates). */
export type CallKind = 'read' | 'write';

const RETRY_ALWAYS = new Set(['RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'ECONNREFUSED']);
const RETRY_READS = new Set(['INTERNAL', 'DEADLINE_EXCEEDED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'TimeoutError']);

/**
 * Whether a failure is retried. 429 (RESOURCE_EXHAUSTED) and 503
 * (UNAVAILABLE) mean the request was not processed, so every call is retried;
 * other 5xx and network errors only for reads and deletes, where a repeat
 * cannot create a second job, model version or deployment.
 */
export function isRetryable(failure: GoogleFailure, kind: CallKind): boolean {
  if (RETRY_ALWAYS.has(failure.status) || failure.httpStatus === 429 || failure.httpStatus === 503) return true;
  if (kind === 'write') return false;
  return RETRY_READS.has(failure.status) || (failure.httpStatus !== undefined && failure.httpStatus >= 500);
}

/** `text` ending with a full stop (Google's messages sometimes have one). */
export function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

function hintFor(failure: GoogleFailure): string {
  switch (failure.status) {
    case 'UNAUTHENTICATED':
      return ` Fix: sign in with \`gcloud auth application-default login\`, set GOOGLE_APPLICATION_CREDENTIALS, or set ${ACCESS_TOKEN_ENV}.`;
    case 'PERMISSION_DENIED':
      return ' Fix: the identity running `mlops release` needs roles/aiplatform.user on the project and roles/iam.serviceAccountUser on the platform service account (to run jobs and deployments as it).';
    case 'RESOURCE_EXHAUSTED':
      return ' Fix: wait and re-run, or raise the Vertex AI quota of the region (IAM & Admin → Quotas).';
    default:
      return '';
  }
}

/** Retries and error wording for the calls of one run. */
export class Caller {
  constructor(
    private readonly ctx: ReleaseContext,
    private readonly maxAttempts: number,
    private readonly retryBaseMs: number,
  ) {}

  /**
   * Runs one Google API call: retries retryable failures with exponential
   * backoff (the server's Retry-After when it gives one) through `ctx.sleep`,
   * and turns the last failure into a {@link ReleaseError} that names the call
   * and carries Google's message.
   */
  async call<T>(what: string, kind: CallKind, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof ReleaseError) throw err;
        const failure = describeFailure(err);
        if (attempt < this.maxAttempts && isRetryable(failure, kind)) {
          const delay = failure.retryAfterMs ?? Math.min(this.retryBaseMs * 2 ** (attempt - 1), 60_000);
          this.ctx.log.warn(
            `${what}: ${failure.httpStatus ?? ''}${failure.httpStatus ? ' ' : ''}${failure.status} (${failure.message}); retry ${attempt + 1}/${this.maxAttempts} in ${(delay / 1000).toFixed(1)}s`,
          );
          await this.ctx.sleep(delay);
          continue;
        }
        throw this.failure(what, failure, err);
      }
    }
  }

  /** Like {@link call}, but a 404 (NOT_FOUND) resolves to undefined. */
  async find<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(what, 'read', fn);
    } catch (err) {
      if (err instanceof ReleaseError && (err.cause as { failure?: GoogleFailure } | undefined)?.failure?.status === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** The error a failed call ends in. */
  failure(what: string, failure: GoogleFailure, cause: unknown): ReleaseError {
    const http = failure.httpStatus ? `HTTP ${failure.httpStatus} ` : '';
    return new ReleaseError(`${what} failed: ${http}${failure.status}: ${sentence(failure.message)}${hintFor(failure)}`, 'CLOUD_REQUEST_FAILED', { failure, error: cause });
  }
}

/** An operation as `check…Progress` returns it: done, and the decoded result or the error. */
export interface OperationLike {
  readonly name?: string | null;
  readonly done?: boolean | null;
  readonly result?: unknown;
  readonly error?: { code?: number | null; message?: string | null } | null;
  readonly latestResponse?: { done?: boolean | null; error?: { code?: number | null; message?: string | null } | null };
}

/**
 * Waits for a long-running operation: polls it with the client's
 * `check…Progress` (one GET of the operation each time) every `intervalMs`
 * through `ctx.sleep`, until done or `timeoutMs` passes. A failed operation
 * becomes a {@link ReleaseError} with the operation's error; a done one
 * resolves to its decoded response (undefined when it carries none).
 */
export async function waitForOperation<T>(
  ctx: ReleaseContext,
  caller: Caller,
  what: string,
  first: OperationLike,
  check: (name: string) => Promise<OperationLike>,
  intervalMs: number,
  timeoutMs: number,
): Promise<T | undefined> {
  const started = ctx.now();
  let op = first;
  const name = first.name ?? '(unnamed operation)';
  while (!(op.done ?? op.latestResponse?.done)) {
    if (ctx.now() - started > timeoutMs) {
      throw new ReleaseError(
        `${what}: operation ${name} is not done after ${Math.round(timeoutMs / 60_000)} minutes; it goes on in Vertex AI — re-run the release to wait for it again`,
        'OPERATION_TIMEOUT',
      );
    }
    await ctx.sleep(intervalMs);
    op = await caller.call(`${what} (polling operation ${name})`, 'read', () => check(name));
  }
  const error = op.error ?? op.latestResponse?.error;
  if (error && (error.code || error.message)) {
    const status = typeof error.code === 'number' ? ((Status as unknown as Record<number, string>)[error.code] ?? `CODE_${error.code}`) : 'UNKNOWN';
    throw new ReleaseError(`${what} failed: operation ${name} ended with ${status}: ${error.message ?? '(no message)'}`, 'OPERATION_FAILED');
  }
  return (op.result ?? undefined) as T | undefined;
}
