import * as http from 'http';
import { AddressInfo, Socket } from 'net';
import * as v8 from 'v8';
import { AppRequest, AppResponse, ScoringApp } from './app';
import { ServeConfig, ServeConfigOverrides, serveConfig } from './config';
import { HttpError, ServeErrorCode } from './errors';
import { errorFields, Logger, LogSink } from './log';
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

/** A socket's request-head deadline: armed when the connection is accepted, cleared when its first request's head is complete. */
const HEAD_TIMER = Symbol('mlops.headTimer');
type ServerSocket = Socket & { [HEAD_TIMER]?: NodeJS.Timeout };

/** How long a refused connection may stay open for its client to read the answer and close. */
const REFUSED_GRACE_MS = 2000;

/** At most one warning per kind in this interval (a flood of refused connections must not flood the log). */
const WARN_INTERVAL_MS = 10_000;

/** A complete HTTP/1.1 error response that closes the connection, written on a raw socket (no request object exists). */
export function rawErrorResponse(code: ServeErrorCode, message: string, extraHeaders: Record<string, string> = {}): string {
  const e = new HttpError(code, message);
  const body = JSON.stringify(e.toBody());
  let head = `HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status] ?? ''}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  for (const [k, v] of Object.entries(extraHeaders)) head += `${k}: ${v}\r\n`;
  return `${head}\r\n${body}`;
}

/**
 * Node checks `headersTimeout` (and `requestTimeout`) only every
 * `connectionsCheckingInterval` (30 s by default): the check interval the
 * server is created with, so that a later request's head on a keep-alive
 * connection is cut off close to the limit too.
 */
export function connectionsCheckingInterval(headersTimeoutMs: number): number {
  return Math.min(1000, Math.max(10, Math.floor(headersTimeoutMs / 4)));
}

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
  /** Connections open right now (counted against MLOPS_MAX_CONNECTIONS). */
  connections(): number;
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
    logger.error('unhandled error', errorFields(e, config.logRequestValues));
    if (res.headersSent) return void res.destroy();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end('{"error_code":"INTERNAL_ERROR","message":"internal error"}');
  };
  const limits = config.limits;
  // Node's own header deadline runs from a request's first byte and is checked at
  // connectionsCheckingInterval; it covers later requests on a keep-alive connection.
  // The first request's deadline runs from the accept (below): Node has none for a
  // client that connects and then sends nothing, or its head a byte at a time.
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: Math.max(60_000, limits.headersTimeoutMs),
      connectionsCheckingInterval: connectionsCheckingInterval(limits.headersTimeoutMs),
    },
    (req, res) => {
      const sock = req.socket as ServerSocket;
      const headTimer = sock[HEAD_TIMER];
      if (headTimer !== undefined) {
        clearTimeout(headTimer);
        sock[HEAD_TIMER] = undefined;
      }
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
        if (r instanceof Promise)
          r.then(
            (x) => send(res, x, size),
            (e: Error) => sendFailed(res, e),
          );
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
    },
  );
  // Longer than the load balancers' idle timeouts (AWS ALB: 60 s), so that they close first.
  server.keepAliveTimeout = 65_000;
  const lastWarned: Record<string, number> = {};
  const counts: Record<string, number> = {};
  /** A warning at most once per WARN_INTERVAL_MS per kind, with the number of events since the last one. */
  const warnThrottled = (kind: string, msg: string, fields: Record<string, unknown>): void => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    const now = Date.now();
    if (now - (lastWarned[kind] ?? -Infinity) < WARN_INTERVAL_MS) return;
    lastWarned[kind] = now;
    logger.warn(msg, { ...fields, events: counts[kind] });
    counts[kind] = 0;
  };
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return void socket.destroy();
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      warnThrottled('timeout', 'request timed out', { code: 'REQUEST_TIMEOUT', headersTimeoutMs: limits.headersTimeoutMs });
      socket.end(
        rawErrorResponse(
          'REQUEST_TIMEOUT',
          `The request was not received in time: its head within ${limits.headersTimeoutMs} ms of its first byte (MLOPS_HEADERS_TIMEOUT_MS), the whole request within ${server.requestTimeout} ms.`,
        ),
      );
    } else {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n{"error_code":"BAD_REQUEST","message":"malformed HTTP request"}');
    }
    // The socket is half-open after end() (the server allows it): do not wait for the client's FIN.
    socket.once('finish', () => socket.destroy());
  });
  // Connection cap and first-request head deadline: the http server's own connection
  // listener (its only one) is called for accepted sockets only.
  const httpListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  if (httpListeners.length !== 1) throw new Error(`node:http Server has ${httpListeners.length} 'connection' listeners (expected 1): cannot cap connections`);
  const httpOnConnection = httpListeners[0]!;
  server.removeListener('connection', httpOnConnection);
  let open = 0;
  const headTimedOut = (socket: ServerSocket): void => {
    socket[HEAD_TIMER] = undefined;
    if (socket.destroyed) return;
    warnThrottled('head', 'request head timed out', { code: 'REQUEST_TIMEOUT', headersTimeoutMs: limits.headersTimeoutMs });
    if (socket.writable) {
      socket.end(
        rawErrorResponse(
          'REQUEST_TIMEOUT',
          `The request head (request line and headers) did not arrive within ${limits.headersTimeoutMs} ms of connecting (MLOPS_HEADERS_TIMEOUT_MS).`,
        ),
      );
      socket.once('finish', () => socket.destroy());
    } else socket.destroy();
  };
  server.on('connection', (socket: ServerSocket) => {
    if (open >= limits.maxConnections) {
      warnThrottled('refused', 'connection refused: too many open connections', { code: 'TOO_MANY_CONNECTIONS', open, maxConnections: limits.maxConnections });
      // No parser is attached: read and drop what the client sends, answer, and close once it has read the answer.
      socket.on('error', noop);
      socket.resume();
      socket.end(
        rawErrorResponse('TOO_MANY_CONNECTIONS', `The server has ${limits.maxConnections} connections open, its limit (MLOPS_MAX_CONNECTIONS); retry shortly.`, {
          'retry-after': '1',
        }),
      );
      socket.once('end', () => socket.destroy());
      setTimeout(() => socket.destroy(), REFUSED_GRACE_MS).unref();
      return;
    }
    open++;
    socket[HEAD_TIMER] = setTimeout(headTimedOut, limits.headersTimeoutMs, socket);
    socket.once('close', () => {
      open--;
      if (socket[HEAD_TIMER] !== undefined) clearTimeout(socket[HEAD_TIMER]);
      socket[HEAD_TIMER] = undefined;
    });
    httpOnConnection.call(server, socket);
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
    connections: () => open,
    drain() {
      if (draining) return draining;
      app.startDraining();
      logger.info('draining', { inFlight });
      const t0 = Date.now();
      draining = (async () => {
        const closed = closeServer();
        server.closeIdleConnections();
        if (inFlight > 0) {
          await Promise.race([new Promise<void>((r) => idleWaiters.push(r)), new Promise<void>((r) => setTimeout(r, config.drainTimeoutMs).unref())]);
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
