import { ModelLocateError } from '../serve/locate';
import { SERVE_DEFAULTS, ServeConfigError } from '../serve/config';
import { boundAddress, startServer } from '../serve/http';
import { EXIT, Io } from '../core/io';
import { numberOpt, optional, parse, UsageError } from './io';

/** Help text of `mlops serve`. */
export const SERVE_HELP = `Usage: mlops serve [--model <model-dir | gs://bucket/path>] [--port N] [--host H] [options]

Serves a model directory written by \`mlops train\` (regression, classification
or forecast) over HTTP, speaking the container contracts of SageMaker
(/ping, /invocations), Vertex AI (AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE), Azure ML
(liveness /, readiness /ready, scoring /score) and the MLflow scoring protocol
(/ping, /health, /version, /invocations), plus /metrics (Prometheus), /drift and
/model. Logs are JSON lines on stdout. SIGTERM drains in-flight requests, then exits 0.

Model, in this order: --model, MLOPS_MODEL_DIR, /opt/ml/model (SageMaker),
AIP_STORAGE_URI (Vertex AI; gs:// is downloaded), AZUREML_MODEL_DIR (Azure ML).
Port, in this order: --port, MLOPS_PORT, SAGEMAKER_BIND_TO_PORT, AIP_HTTP_PORT, 8080.

Options:
  --model <dir|gs://…>      the model directory (or a gs:// prefix holding it)
  --port N                  TCP port (0 = any free port)
  --host H                  interface to bind (default 0.0.0.0)
  --drift-webhook <url>     Slack-compatible webhook for drift alerts (MLOPS_DRIFT_WEBHOOK_URL)
  --drift-threshold X       PSI above which a feature has drifted (default 0.2; MLOPS_DRIFT_THRESHOLD)
  --allow-extra-columns     ignore input columns the model does not use (MLOPS_ALLOW_EXTRA_COLUMNS)
  --log-level L             debug | info | warn | error | silent (default info; MLOPS_LOG_LEVEL)
  --log-request-values      also log request content: the messages of refused requests (they quote
                            values and JSON/CSV snippets), unknown key names, internal error messages.
                            Off by default at every log level: a refused request is logged by its
                            error code, payload paths, size and media type (MLOPS_LOG_REQUEST_VALUES)
  --headers-timeout-ms N    time a client has to send a request's line and headers, from connecting
                            (later requests: from their first byte); then 408 and close
                            (default ${SERVE_DEFAULTS.headersTimeoutMs}; MLOPS_HEADERS_TIMEOUT_MS)
  --max-connections N       most open connections, idle keep-alive ones included; one more is
                            answered 503 and closed (default ${SERVE_DEFAULTS.maxConnections}; MLOPS_MAX_CONNECTIONS)
  -h, --help                show this help

All environment variables: training-image/src/serve/README.md.
`;

/** `mlops serve`: runs until SIGTERM/SIGINT, then drains and returns 0. */
export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'drift-webhook': { type: 'string' },
    'drift-threshold': { type: 'string' },
    'allow-extra-columns': { type: 'boolean' },
    'log-level': { type: 'string' },
    'log-request-values': { type: 'boolean' },
    'headers-timeout-ms': { type: 'string' },
    'max-connections': { type: 'string' },
  });
  if (values.help) {
    io.out(SERVE_HELP);
    return EXIT.OK;
  }
  const port = numberOpt(values, 'port', { integer: true, min: 0, max: 65535 });
  const threshold = numberOpt(values, 'drift-threshold', { min: 0 });
  const webhook = optional(values, 'drift-webhook');
  const level = optional(values, 'log-level');
  const headersTimeoutMs = numberOpt(values, 'headers-timeout-ms', { integer: true, min: 1, max: 2 ** 31 - 1 });
  const maxConnections = numberOpt(values, 'max-connections', { integer: true, min: 1 });
  let server;
  try {
    server = await startServer({
      model: optional(values, 'model'),
      port,
      host: optional(values, 'host'),
      config: {
        drift: { ...(threshold !== undefined ? { threshold } : {}), ...(webhook !== undefined ? { webhookUrl: webhook } : {}) },
        ...(values['allow-extra-columns'] ? { allowExtraColumns: true } : {}),
        ...(values['log-request-values'] ? { logRequestValues: true } : {}),
        ...(level !== undefined ? { logLevel: level as 'info' } : {}),
        limits: { ...(headersTimeoutMs !== undefined ? { headersTimeoutMs } : {}), ...(maxConnections !== undefined ? { maxConnections } : {}) },
      },
    });
  } catch (e) {
    if (e instanceof ServeConfigError) throw new UsageError(e.message);
    throw e;
  }
  const s = server;
  io.err(`mlops serve: listening on ${boundAddress(s.address, s.port)}; local URL ${s.url} (model loading…)`);
  const stopped = new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      io.err(`mlops serve: ${signal}: draining ${s.inFlight()} in-flight request(s)…`);
      s.drain().then(
        () => resolve(EXIT.OK),
        () => resolve(EXIT.FAILED),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  try {
    await s.ready;
  } catch (e) {
    await s.close();
    io.err(`mlops serve: ${(e as Error).message}`);
    return e instanceof ModelLocateError ? EXIT.FAILED : EXIT.FAILED;
  }
  io.err(`mlops serve: ready on ${boundAddress(s.address, s.port)}; local URL ${s.url}`);
  return stopped;
}
