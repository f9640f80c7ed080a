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

/** Request limits. */
export interface ServeLimits {
  /** Largest request body in bytes (MLOPS_MAX_BODY_BYTES). @default 6 MiB (SageMaker's real-time payload limit) */
  readonly maxBodyBytes: number;
  /** Largest body on the Vertex AI prediction route (MLOPS_VERTEX_MAX_BODY_BYTES). @default 1.5 MB (Vertex AI's limit) */
  readonly vertexMaxBodyBytes: number;
  /** Most rows in one request (MLOPS_MAX_ROWS). @default 10000 */
  readonly maxRows: number;
  /** Deepest JSON nesting accepted (MLOPS_MAX_JSON_DEPTH). @default 16 */
  readonly maxJsonDepth: number;
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
  readonly drainTimeoutMs?: number;
}

/** Port order: explicit → MLOPS_PORT → SAGEMAKER_BIND_TO_PORT → AIP_HTTP_PORT → 8080. */
export const PORT_ENV_ORDER = ['MLOPS_PORT', 'SAGEMAKER_BIND_TO_PORT', 'AIP_HTTP_PORT'] as const;

/** The default port (SageMaker's). */
export const DEFAULT_PORT = 8080;

function num(env: NodeJS.ProcessEnv, name: string, def: number, o: { integer?: boolean; min?: number; max?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || (o.integer && !Number.isInteger(v)) || (o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max)) {
    throw new ServeConfigError(`${name}=${JSON.stringify(raw)} is not valid: it must be ${o.integer ? 'an integer' : 'a number'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}${o.max !== undefined ? ` ≤ ${o.max}` : ''}. Unset it for the default (${def}).`);
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
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ServeConfigError(`port ${port} is not valid: it must be an integer in 0..65535 (0 = any free port).`);
  const level = (o.logLevel ?? env.MLOPS_LOG_LEVEL ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) throw new ServeConfigError(`MLOPS_LOG_LEVEL=${JSON.stringify(level)} is not valid: use debug, info, warn, error or silent.`);
  const extraRaw = env.MLOPS_ALLOW_EXTRA_COLUMNS;
  if (extraRaw !== undefined && !['true', 'false', ''].includes(extraRaw)) throw new ServeConfigError(`MLOPS_ALLOW_EXTRA_COLUMNS=${JSON.stringify(extraRaw)} is not valid: use true or false.`);
  const webhook = o.drift?.webhookUrl !== undefined ? o.drift.webhookUrl : env.MLOPS_DRIFT_WEBHOOK_URL || null;
  if (webhook !== null && !/^https?:\/\//.test(webhook)) throw new ServeConfigError(`drift webhook URL ${JSON.stringify(webhook)} is not valid: it must start with http:// or https:// (MLOPS_DRIFT_WEBHOOK_URL or --drift-webhook).`);
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
      maxBodyBytes: num(env, 'MLOPS_MAX_BODY_BYTES', 6 * 1024 * 1024, { integer: true, min: 1 }),
      vertexMaxBodyBytes: num(env, 'MLOPS_VERTEX_MAX_BODY_BYTES', 1.5 * 1024 * 1024, { integer: true, min: 1 }),
      maxRows: num(env, 'MLOPS_MAX_ROWS', 10000, { integer: true, min: 1 }),
      maxJsonDepth: num(env, 'MLOPS_MAX_JSON_DEPTH', 16, { integer: true, min: 3, max: 1000 }),
      ...o.limits,
    },
    drift: {
      threshold: num(env, 'MLOPS_DRIFT_THRESHOLD', 0.2, { min: 0 }),
      window: num(env, 'MLOPS_DRIFT_WINDOW', 10000, { integer: true, min: 10 }),
      minRows: num(env, 'MLOPS_DRIFT_MIN_ROWS', 100, { integer: true, min: 1 }),
      ...o.drift,
      webhookUrl: webhook,
    },
    allowExtraColumns: o.allowExtraColumns ?? (extraRaw === 'true' ? true : extraRaw === 'false' ? false : null),
    logLevel: level,
    drainTimeoutMs: o.drainTimeoutMs ?? num(env, 'MLOPS_DRAIN_TIMEOUT_MS', 30000, { integer: true, min: 0 }),
  };
}
