/**
 * Scoring-server settings from the environment, with documented defaults.
 * See src/serve/README.md for the table.
 */

/** Routes the server answers besides the fixed SageMaker/MLflow ones. */
export interface ServeRoutes {
  /** Vertex AI health route (AIP_HEALTH_ROUTE). @default '/health' */
  readonly vertexHealth: string;
  /** Vertex AI prediction route (AIP_PREDICT_ROUTE). @default '/predict' */
  readonly vertexPredict: string;
  /** Azure ML liveness route (MLOPS_AZUREML_LIVENESS_ROUTE). @default '/' */
  readonly azureLiveness: string;
  /** Azure ML readiness route (MLOPS_AZUREML_READINESS_ROUTE). @default '/ready' */
  readonly azureReadiness: string;
  /** Azure ML scoring route (MLOPS_AZUREML_SCORING_ROUTE). @default '/score' */
  readonly azureScoring: string;
}

/**
 * The defaults of every numeric server setting, named once: {@link serveConfig},
 * `mlops serve --help` and src/serve/README.md use these.
 */
export const SERVE_DEFAULTS = {
  /** SageMaker's real-time payload limit. */
  maxBodyBytes: 6 * 1024 * 1024,
  /** Vertex AI's online prediction payload limit. */
  vertexMaxBodyBytes: 1.5 * 1024 * 1024,
  maxRows: 10000,
  maxJsonDepth: 16,
  /**
   * 10 s for a client to send its whole request head (request line and
   * headers), measured from the moment it connects: a load balancer or SDK
   * sends it in one write, so even a slow network needs well under a second;
   * a slowloris client is cut off after 10 s instead of Node's 60 s (which
   * Node only checks every 30 s, and never for a client that sends nothing).
   */
  headersTimeoutMs: 10_000,
  /**
   * 1000 open connections (keep-alive ones included), the default of
   * gunicorn's worker_connections: far above what a load balancer keeps open
   * to one replica, and below the common 1024 open-files limit so that
   * sockets cannot starve the process of file descriptors.
   */
  maxConnections: 1000,
  drainTimeoutMs: 30000,
  driftThreshold: 0.2,
  driftWindow: 10000,
  driftMinRows: 100,
} as const;

/** Request and connection limits. */
export interface ServeLimits {
  /** Largest request body in bytes (MLOPS_MAX_BODY_BYTES). @default 6 MiB (SageMaker's real-time payload limit) */
  readonly maxBodyBytes: number;
  /** Largest body on the Vertex AI prediction route (MLOPS_VERTEX_MAX_BODY_BYTES). @default 1.5 MB (Vertex AI's limit) */
  readonly vertexMaxBodyBytes: number;
  /** Most rows in one request (MLOPS_MAX_ROWS). @default 10000 */
  readonly maxRows: number;
  /** Deepest JSON nesting accepted (MLOPS_MAX_JSON_DEPTH). @default 16 */
  readonly maxJsonDepth: number;
  /**
   * Time a connection has, from the moment it is accepted, to deliver its
   * first request's complete head (request line and headers), in ms; later
   * requests on a keep-alive connection get the same time from their first
   * byte. Past it the client gets 408 and the socket is closed
   * (MLOPS_HEADERS_TIMEOUT_MS). @default 10000 ({@link SERVE_DEFAULTS})
   */
  readonly headersTimeoutMs: number;
  /**
   * Most connections open at once (idle keep-alive ones included); a
   * connection beyond it is answered 503 (TOO_MANY_CONNECTIONS, retry-after: 1)
   * and closed (MLOPS_MAX_CONNECTIONS). @default 1000 ({@link SERVE_DEFAULTS})
   */
  readonly maxConnections: number;
}

/** Drift monitoring settings. */
export interface DriftSettings {
  /** PSI above which a feature counts as drifted (MLOPS_DRIFT_THRESHOLD). @default 0.2 */
  readonly threshold: number;
  /** Live rows kept per feature, most recent first (MLOPS_DRIFT_WINDOW). @default 10000 */
  readonly window: number;
  /** Live rows needed before PSI is reported (MLOPS_DRIFT_MIN_ROWS). @default 100 */
  readonly minRows: number;
  /** Slack-compatible webhook URL called when a feature crosses the threshold (MLOPS_DRIFT_WEBHOOK_URL). @default none */
  readonly webhookUrl: string | null;
}

/** Everything the server reads from its environment. */
export interface ServeConfig {
  /** TCP port. */
  readonly port: number;
  /** Interface to bind. @default '0.0.0.0' */
  readonly host: string;
  readonly routes: ServeRoutes;
  readonly limits: ServeLimits;
  readonly drift: DriftSettings;
  /** Accept (and ignore) input columns the model does not use (MLOPS_ALLOW_EXTRA_COLUMNS=true). @default false, or the contract's allowExtraColumns */
  readonly allowExtraColumns: boolean | null;
  /** 'info' logs every request; 'warn' only problems; 'silent' nothing (MLOPS_LOG_LEVEL). @default 'info' */
  readonly logLevel: LogLevel;
  /**
   * Put request content in the logs: the messages of refused requests (they
   * quote the offending value, or a snippet of malformed JSON or CSV), the
   * names of unknown keys and columns, the Content-Type as sent, and the
   * messages of internal errors (MLOPS_LOG_REQUEST_VALUES=true). Off, a
   * refused request is logged by its shape: error code, issue codes with
   * payload paths (keys the model does not know shown as `<N chars>`), body
   * size and media type. The log level does not change this. @default false
   */
  readonly logRequestValues: boolean;
  /** Time allowed for in-flight requests to finish after SIGTERM, ms (MLOPS_DRAIN_TIMEOUT_MS). @default 30000 */
  readonly drainTimeoutMs: number;
}

/** Log levels. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** A bad setting: names the variable, the value and what is accepted. */
export class ServeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeConfigError';
  }
}

/** Overrides from flags or the programmatic API (they win over the environment). */
export interface ServeConfigOverrides {
  readonly port?: number;
  readonly host?: string;
  readonly routes?: Partial<ServeRoutes>;
  readonly limits?: Partial<ServeLimits>;
  readonly drift?: Partial<DriftSettings>;
  readonly allowExtraColumns?: boolean;
  readonly logLevel?: LogLevel;
  readonly logRequestValues?: boolean;
  readonly drainTimeoutMs?: number;
}

/** Port order: explicit → MLOPS_PORT → SAGEMAKER_BIND_TO_PORT → AIP_HTTP_PORT → 8080. */
export const PORT_ENV_ORDER = ['MLOPS_PORT', 'SAGEMAKER_BIND_TO_PORT', 'AIP_HTTP_PORT'] as const;

/** Longest delay a Node timer takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The default port (SageMaker's). */
export const DEFAULT_PORT = 8080;

function num(env: NodeJS.ProcessEnv, name: string, def: number, o: { integer?: boolean; min?: number; max?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || (o.integer && !Number.isInteger(v)) || (o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max)) {
    throw new ServeConfigError(
      `${name}=${JSON.stringify(raw)} is not valid: it must be ${o.integer ? 'an integer' : 'a number'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}${o.max !== undefined ? ` ≤ ${o.max}` : ''}. Unset it for the default (${def}).`,
    );
  }
  return v;
}

function route(env: NodeJS.ProcessEnv, name: string, def: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  if (!raw.startsWith('/')) throw new ServeConfigError(`${name}=${JSON.stringify(raw)} is not a route: it must start with '/'. Unset it for the default (${def}).`);
  return raw.split('?')[0]!;
}

/** Reads the server settings from `env`, applying `o` on top; throws {@link ServeConfigError} naming a bad variable. */
export function serveConfig(env: NodeJS.ProcessEnv = process.env, o: ServeConfigOverrides = {}): ServeConfig {
  let port = o.port;
  if (port === undefined) {
    for (const name of PORT_ENV_ORDER) {
      if (env[name] !== undefined && env[name]!.trim() !== '') {
        port = num(env, name, DEFAULT_PORT, { integer: true, min: 0, max: 65535 });
        break;
      }
    }
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new ServeConfigError(`port ${port} is not valid: it must be an integer in 0..65535 (0 = any free port).`);
  const level = (o.logLevel ?? env.MLOPS_LOG_LEVEL ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level))
    throw new ServeConfigError(`MLOPS_LOG_LEVEL=${JSON.stringify(level)} is not valid: use debug, info, warn, error or silent.`);
  const extraRaw = env.MLOPS_ALLOW_EXTRA_COLUMNS;
  if (extraRaw !== undefined && !['true', 'false', ''].includes(extraRaw))
    throw new ServeConfigError(`MLOPS_ALLOW_EXTRA_COLUMNS=${JSON.stringify(extraRaw)} is not valid: use true or false.`);
  const valuesRaw = env.MLOPS_LOG_REQUEST_VALUES;
  if (valuesRaw !== undefined && !['true', 'false', '1', '0', ''].includes(valuesRaw))
    throw new ServeConfigError(`MLOPS_LOG_REQUEST_VALUES=${JSON.stringify(valuesRaw)} is not valid: use true (or 1) or false (or 0).`);
  const webhook = o.drift?.webhookUrl !== undefined ? o.drift.webhookUrl : env.MLOPS_DRIFT_WEBHOOK_URL || null;
  if (webhook !== null && !/^https?:\/\//.test(webhook))
    throw new ServeConfigError(`drift webhook URL ${JSON.stringify(webhook)} is not valid: it must start with http:// or https:// (MLOPS_DRIFT_WEBHOOK_URL or --drift-webhook).`);
  for (const [k, max] of [
    ['headersTimeoutMs', MAX_TIMER_MS],
    ['maxConnections', Number.MAX_SAFE_INTEGER],
  ] as const) {
    const v = o.limits?.[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > max)) throw new ServeConfigError(`${k} ${v} is not valid: it must be an integer in 1..${max}.`);
  }
  return {
    port: port ?? DEFAULT_PORT,
    host: o.host ?? env.MLOPS_HOST ?? '0.0.0.0',
    routes: {
      vertexHealth: route(env, 'AIP_HEALTH_ROUTE', '/health'),
      vertexPredict: route(env, 'AIP_PREDICT_ROUTE', '/predict'),
      azureLiveness: route(env, 'MLOPS_AZUREML_LIVENESS_ROUTE', '/'),
      azureReadiness: route(env, 'MLOPS_AZUREML_READINESS_ROUTE', '/ready'),
      azureScoring: route(env, 'MLOPS_AZUREML_SCORING_ROUTE', '/score'),
      ...o.routes,
    },
    limits: {
      maxBodyBytes: num(env, 'MLOPS_MAX_BODY_BYTES', SERVE_DEFAULTS.maxBodyBytes, { integer: true, min: 1 }),
      vertexMaxBodyBytes: num(env, 'MLOPS_VERTEX_MAX_BODY_BYTES', SERVE_DEFAULTS.vertexMaxBodyBytes, { integer: true, min: 1 }),
      maxRows: num(env, 'MLOPS_MAX_ROWS', SERVE_DEFAULTS.maxRows, { integer: true, min: 1 }),
      maxJsonDepth: num(env, 'MLOPS_MAX_JSON_DEPTH', SERVE_DEFAULTS.maxJsonDepth, { integer: true, min: 3, max: 1000 }),
      headersTimeoutMs: num(env, 'MLOPS_HEADERS_TIMEOUT_MS', SERVE_DEFAULTS.headersTimeoutMs, { integer: true, min: 1, max: MAX_TIMER_MS }),
      maxConnections: num(env, 'MLOPS_MAX_CONNECTIONS', SERVE_DEFAULTS.maxConnections, { integer: true, min: 1 }),
      ...o.limits,
    },
    drift: {
      threshold: num(env, 'MLOPS_DRIFT_THRESHOLD', SERVE_DEFAULTS.driftThreshold, { min: 0 }),
      window: num(env, 'MLOPS_DRIFT_WINDOW', SERVE_DEFAULTS.driftWindow, { integer: true, min: 10 }),
      minRows: num(env, 'MLOPS_DRIFT_MIN_ROWS', SERVE_DEFAULTS.driftMinRows, { integer: true, min: 1 }),
      ...o.drift,
      webhookUrl: webhook,
    },
    allowExtraColumns: o.allowExtraColumns ?? (extraRaw === 'true' ? true : extraRaw === 'false' ? false : null),
    logLevel: level,
    logRequestValues: o.logRequestValues ?? (valuesRaw === 'true' || valuesRaw === '1'),
    drainTimeoutMs: o.drainTimeoutMs ?? num(env, 'MLOPS_DRAIN_TIMEOUT_MS', SERVE_DEFAULTS.drainTimeoutMs, { integer: true, min: 0 }),
  };
}
