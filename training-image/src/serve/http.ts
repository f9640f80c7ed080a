import * as http from 'http';
import { AddressInfo } from 'net';
import * as v8 from 'v8';
import { AppRequest, AppResponse, ScoringApp } from './app';
import { ServeConfig, ServeConfigOverrides, serveConfig } from './config';
import { Logger, LogSink } from './log';
import { ServingModel } from './model';

/** Bodies beyond this are not even drained: the connection is closed after the 413. */
export const HARD_BODY_CAP = 64 * 1024 * 1024;

let heapTuned = false;
/**
 * Lets V8's young generation grow straight to its maximum (16 MB semi-spaces)
 * at its first expansion instead of doubling step by step: under sustained
 * load each doubling showed up as a late step in resident memory (measured:
 * +31% in a 60 s soak, with a flat used heap after forced GCs — heap sizing,
 * not a leak). Process-wide, once; a runtime-safe flag (read at each growth).
 */
function tuneYoungGeneration(): void {
  if (heapTuned) return;
  heapTuned = true;
  try {
    v8.setFlagsFromString('--semi-space-growth-factor=16');
  } catch {
    // An engine without the flag: the default sizing stays.
  }
}

const noop = (): void => undefined;

/** Options for {@link startServer}. */
export interface StartServerOptions {
  /** Model directory or gs:// URI (else the documented lookup order: MLOPS_MODEL_DIR → /opt/ml/model → AIP_STORAGE_URI → AZUREML_MODEL_DIR). */
  readonly model?: string;
  /** TCP port; 0 = an ephemeral port. @default from the environment (MLOPS_PORT, SAGEMAKER_BIND_TO_PORT, AIP_HTTP_PORT), else 8080 */
  readonly port?: number;
  /** Interface to bind. @default MLOPS_HOST or '0.0.0.0' */
  readonly host?: string;
  /** Environment to read settings from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** A log sink (one entry per call), or false for no logs. @default JSON lines on stdout */
  readonly logger?: LogSink | false;
  /** Further settings on top of the environment. */
  readonly config?: ServeConfigOverrides;
  /** An already loaded model (skips locating and loading). */
  readonly servingModel?: ServingModel;
  /** SageMaker's model path. @default '/opt/ml/model' */
  readonly sagemakerModelDir?: string;
  /** Collect process metrics on /metrics. @default true */
  readonly processMetrics?: boolean;
}

/** A running scoring server. */
export interface RunningServer {
  /** Base URL to reach the server from this host, e.g. http://127.0.0.1:8080 (loopback when bound to every interface). */
  readonly url: string;
  /** The address the socket is bound to, as the OS reports it: `0.0.0.0` or `::` for every interface, else the interface's address. */
  readonly address: string;
  readonly port: number;
  /** The app (state, metrics, in-process inject). */
  readonly app: ScoringApp;
  /** The settings in force. */
  readonly config: ServeConfig;
  /** Settles when the model is loaded (rejects when it cannot be). */
  readonly ready: Promise<void>;
  /** Requests being processed right now. */
  inFlight(): number;
  /** Graceful stop: health turns 503, no new connections, in-flight requests finish (up to the drain timeout), then the server closes. */
  drain(): Promise<void>;
  /** Stops at once (open connections are closed). */
  close(): Promise<void>;
}

/**
 * Starts the scoring server on node:http (chosen over fastify by measurement:
 * see bench/serve-bench.ts). Resolves once the port is listening; the model
 * loads in the background (health answers 503 until `ready` settles).
 */
export async function startServer(o: StartServerOptions = {}): Promise<RunningServer> {
  const env = o.env ?? process.env;
  const config = serveConfig(env, { ...o.config, ...(o.port !== undefined ? { port: o.port } : {}), ...(o.host !== undefined ? { host: o.host } : {}) });
  const logger = new Logger(o.logger === false ? 'silent' : config.logLevel, o.logger || undefined);
  const app = new ScoringApp({ config, env, logger, processMetrics: o.processMetrics });
  tuneYoungGeneration();
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const onClose = (): void => {
    inFlight--;
    if (inFlight === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };
  const send = (res: http.ServerResponse, r: AppResponse, size: number): void => {
    r.headers['content-length'] = String(Buffer.byteLength(r.body));
    if (size > HARD_BODY_CAP) r.headers.connection = 'close';
    res.writeHead(r.status, r.headers);
    res.end(r.body);
  };
  const sendFailed = (res: http.ServerResponse, e: Error): void => {
    // dispatch() does not throw; this is a last resort.
    logger.error('unhandled error', { error: e.message });
    if (res.headersSent) return void res.destroy();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end('{"error_code":"INTERNAL_ERROR","message":"internal error"}');
  };
  const server = http.createServer((req, res) => {
    inFlight++;
    // 'close' is emitted once per response: a plain listener (once() wraps it in a bound closure).
    res.on('close', onClose);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const limit = app.bodyLimit(q < 0 ? url : url.slice(0, q));
    let first: Buffer | null = null;
    let chunks: Buffer[] | null = null;
    let size = 0;
    let tooBig = false;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const body = tooBig ? null : chunks ? Buffer.concat(chunks) : first;
      const areq: AppRequest = tooBig
        ? { method: req.method ?? 'GET', url, headers: req.headers, body, bodyTooLarge: size }
        : { method: req.method ?? 'GET', url, headers: req.headers, body };
      let r: AppResponse | Promise<AppResponse>;
      try {
        r = app.dispatch(areq);
      } catch (e) {
        return sendFailed(res, e as Error);
      }
      if (r instanceof Promise) r.then((x) => send(res, x, size), (e: Error) => sendFailed(res, e));
      else send(res, r, size);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) tooBig = true;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooBig = true;
      if (tooBig) {
        first = null;
        chunks = null;
        if (size > HARD_BODY_CAP) {
          // Answer now and stop reading: the connection is closed after the response.
          req.pause();
          finish();
        }
        return;
      }
      if (first === null) first = c;
      else (chunks ??= [first]).push(c);
    });
    req.on('end', finish);
    req.on('error', noop);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n{"error_code":"BAD_REQUEST","message":"malformed HTTP request"}');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const port = bound.port;
  const address = bound.address;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // The address the socket is bound to (0.0.0.0 = every interface), not the loopback URL used to reach it locally.
  logger.info('listening', { address, port, listen: boundAddress(address, port), host: config.host, url, routes: config.routes });
  let ready: Promise<void>;
  if (o.servingModel) {
    app.setModel(o.servingModel);
    ready = Promise.resolve();
  } else {
    ready = app.load({ model: o.model, ...(o.sagemakerModelDir ? { sagemakerModelDir: o.sagemakerModelDir } : {}) }).then(() => undefined);
    ready.catch(() => undefined);
  }
  const closeServer = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  let draining: Promise<void> | null = null;
  return {
    url,
    address,
    port,
    app,
    config,
    ready,
    inFlight: () => inFlight,
    drain() {
      if (draining) return draining;
      app.startDraining();
      logger.info('draining', { inFlight });
      const t0 = Date.now();
      draining = (async () => {
        const closed = closeServer();
        server.closeIdleConnections();
        if (inFlight > 0) {
          await Promise.race([
            new Promise<void>((r) => idleWaiters.push(r)),
            new Promise<void>((r) => setTimeout(r, config.drainTimeoutMs).unref()),
          ]);
        }
        server.closeAllConnections();
        await closed;
        await app.flush();
        logger.info('drained', { ms: Date.now() - t0, abandoned: inFlight });
        logger.flush();
      })();
      return draining;
    },
    async close() {
      app.startDraining();
      const closed = closeServer();
      server.closeAllConnections();
      await closed;
      await app.flush();
      logger.flush();
    },
  };
}

/** `0.0.0.0:8080 (every IPv4 interface)`, `[::]:8080 (every interface)`, `127.0.0.1:8080`: how a bound socket is named in logs. */
export function boundAddress(address: string, port: number): string {
  const hostPart = address.includes(':') ? `[${address}]` : address;
  const note = address === '0.0.0.0' ? ' (every IPv4 interface)' : address === '::' ? ' (every interface)' : '';
  return `${hostPart}:${port}${note}`;
}
