import { isUtf8 } from 'buffer';
import { runtimeVersion } from '../artifacts/version';
import { ServeConfig } from './config';
import { DriftAlert, DriftMonitor, DriftReport } from './drift';
import { fail, HttpError } from './errors';
import { LocateOptions, locateModel } from './locate';
import { errorFields, Logger, redactPath, requestId } from './log';
import { ServeMetrics } from './metrics';
import { loadServingModel, ServingModel } from './model';
import { Frame } from '../data/frame';
import { jsonDepthExceeds, parseJsonBody, PayloadProtocol, singleRecord, tableFromCsv, tableFromJson } from './payload';

/** A request as the app sees it (framework-neutral). */
export interface AppRequest {
  readonly method: string;
  /** Path and query, e.g. `/invocations?x=1`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body bytes (or text); null/empty when none. */
  readonly body?: Buffer | string | null;
  /** Set by the transport when the body exceeded the route's limit (it is then not buffered). */
  readonly bodyTooLarge?: number;
}

/** A response as the app produces it. */
export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Convenience input for {@link ScoringApp.inject}: a JS object body is sent as JSON. */
export interface InjectRequest {
  readonly method?: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer | object;
}

/** Server lifecycle: loading the model → ready → draining (after SIGTERM); failed when the model cannot be loaded. */
export type ServeState = 'loading' | 'ready' | 'failed' | 'draining';

type Handler = (req: AppRequest, ctx: Ctx) => Promise<AppResponse> | AppResponse;
interface Ctx {
  readonly id: string;
  rows: number | undefined;
}
interface RouteEntry {
  readonly route: string;
  readonly handler: Handler;
  /** The path as JSON text, for the access log. */
  readonly pathJson: string;
}

const JSON_TYPE = 'application/json';
const CSV_TYPE = 'text/csv';
const JSON_CT = { type: JSON_TYPE, charset: null };
/** Bodies up to this many characters are parsed before the depth check (the fast path). */
const FAST_PATH_MAX_CHARS = 64 * 1024;

function json(status: number, v: unknown): AppResponse {
  return { status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(v) };
}

/** A request header by lower-case name (the first value of a list). */
function header(req: AppRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Parses a Content-Type: media type (lower case) and charset. */
export function parseContentType(v: string | undefined): { type: string; charset: string | null } | null {
  if (!v?.trim()) return null;
  const [type, ...params] = v.split(';');
  let charset: string | null = null;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'charset')
      charset = p
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, '')
        .toLowerCase();
  }
  return { type: type!.trim().toLowerCase(), charset };
}

/** Picks the response type from an Accept header: 'json', 'csv', or null when nothing acceptable is offered. */
export function negotiate(accept: string | undefined): 'json' | 'csv' | null {
  if (!accept?.trim()) return 'json';
  const ranges = accept
    .split(',')
    .map((part, i) => {
      const [t, ...ps] = part.split(';');
      let q = 1;
      for (const p of ps) {
        const [k, v] = p.split('=');
        if (k?.trim() === 'q') q = Number(v);
      }
      return { type: t!.trim().toLowerCase(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    if (r.type === JSON_TYPE || r.type === 'application/*' || r.type === '*/*' || r.type === '*') return 'json';
    if (r.type === CSV_TYPE || r.type === 'text/*') return 'csv';
  }
  return null;
}

/** Options for {@link ScoringApp}. */
export interface ScoringAppOptions {
  readonly config: ServeConfig;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  /** Collect process metrics (CPU, memory, GC) on /metrics. @default true */
  readonly processMetrics?: boolean;
}

/**
 * The scoring server's routes, framework-neutral: SageMaker, Vertex AI, Azure
 * ML and the MLflow scoring protocol, plus /metrics and /drift. `handle`
 * never throws: every error becomes a response, and client input gets a 4xx.
 * Use {@link ScoringApp.inject} to call it in-process (tests), or
 * {@link startServer} to put it on a port.
 */
export class ScoringApp {
  /** Lifecycle state. */
  state: ServeState = 'loading';
  /** The model, once loaded. */
  model: ServingModel | null = null;
  /** Why loading failed, when it did. */
  loadError: string | null = null;
  /** Prometheus metrics. */
  readonly metrics: ServeMetrics;
  /** Drift monitor (null without a profile). */
  drift: DriftMonitor | null = null;
  /** Logger. */
  readonly log: Logger;
  private readonly routes = new Map<string, Map<string, RouteEntry>>();
  private readonly pendingWebhooks = new Set<Promise<void>>();
  private knownColumns: ReadonlySet<string> = new Set();

  constructor(private readonly o: ScoringAppOptions) {
    this.log = o.logger ?? new Logger(o.config.logLevel);
    this.metrics = new ServeMetrics(() => this.drift?.report() ?? null, o.processMetrics ?? true);
    this.metrics.setReady(false);
    const r = o.config.routes;
    const health: Handler = () => this.health();
    // Later registrations do not replace earlier ones: the MLflow/SageMaker routes win on a clash.
    this.add('GET', '/ping', health);
    this.add('GET', '/health', health);
    this.add('GET', '/version', () => ({ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${runtimeVersion()}\n` }));
    this.add('POST', '/invocations', (req, ctx) => this.predict(req, ctx, 'mlflow'));
    this.add('GET', '/metrics', async () => {
      const m = await this.metrics.render();
      return { status: 200, headers: { 'content-type': m.contentType }, body: m.body };
    });
    this.add('GET', '/drift', () => json(200, this.driftReport()));
    this.add('GET', '/model', () => (this.model ? json(200, this.model.describe()) : this.notReady()));
    this.add('GET', r.vertexHealth, health);
    this.add('POST', r.vertexPredict, (req, ctx) => this.predict(req, ctx, 'vertex'));
    this.add('GET', r.azureLiveness, () => json(200, { status: 'alive' }));
    this.add('GET', r.azureReadiness, health);
    this.add('POST', r.azureScoring, (req, ctx) => this.predict(req, ctx, 'azure'));
  }

  private add(method: string, path: string, handler: Handler): void {
    let m = this.routes.get(path);
    if (!m) this.routes.set(path, (m = new Map()));
    const e: RouteEntry = { route: path, handler, pathJson: JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path) };
    if (!m.has(method)) m.set(method, e);
    if (method === 'GET' && !m.has('HEAD')) m.set('HEAD', e);
  }

  /** The body-size limit of a path: Vertex AI's 1.5 MB on its prediction route, else the general limit. */
  bodyLimit(path: string): number {
    const l = this.o.config.limits;
    return path === this.o.config.routes.vertexPredict && path !== '/invocations' ? l.vertexMaxBodyBytes : l.maxBodyBytes;
  }

  /** Serves a loaded model. */
  setModel(m: ServingModel): void {
    this.model = m;
    this.knownColumns = new Set([...m.signature.columns.map((c) => c.name), ...m.signature.ignored]);
    this.drift = m.profile ? new DriftMonitor(m.profile, this.o.config.drift, (a) => this.onDrift(a)) : null;
    this.metrics.model({ name: m.name, version: m.version, task: m.task, model: m.model, estimator: m.estimator });
    if (this.state === 'loading' || this.state === 'failed') this.state = 'ready';
    this.loadError = null;
    this.metrics.setReady(this.state === 'ready');
    for (const w of m.warnings) this.log.warn('model warning', { warning: w });
  }

  /** Locates, fetches and loads the model (see {@link locateModel}); on failure the state becomes 'failed' and the error is rethrown. */
  async load(o: Omit<LocateOptions, 'env' | 'log'> = {}): Promise<ServingModel> {
    const env = this.o.env ?? process.env;
    const t0 = Date.now();
    try {
      const loc = await locateModel({ ...o, env, log: (msg, f) => this.log.info(msg, f) });
      const m = loadServingModel(loc.dir, { env, allowExtraColumns: this.o.config.allowExtraColumns });
      this.setModel(m);
      this.log.info('model loaded', {
        dir: loc.dir,
        source: loc.source,
        location: loc.location,
        name: m.name,
        version: m.version,
        task: m.task,
        model: m.model,
        inputs: m.signature.columns.length,
        drift: m.profile ? 'on' : 'off (no profile.json)',
        ms: Date.now() - t0,
      });
      return m;
    } catch (e) {
      this.state = 'failed';
      this.loadError = (e as Error).message;
      this.metrics.setReady(false);
      this.log.error('model load failed', { error: this.loadError });
      throw e;
    }
  }

  /** Marks the server as draining: health answers 503 so load balancers stop sending traffic. */
  startDraining(): void {
    this.state = 'draining';
    this.metrics.setReady(false);
  }

  /** Waits for drift webhooks still being sent. */
  async flush(): Promise<void> {
    await Promise.all([...this.pendingWebhooks]);
  }

  private health(): AppResponse {
    if (this.state === 'ready') return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '\n' };
    return this.notReady();
  }

  private notReady(): AppResponse {
    const e =
      this.state === 'draining'
        ? new HttpError('SHUTTING_DOWN', 'The server is shutting down and takes no new work.')
        : new HttpError('MODEL_NOT_READY', this.state === 'failed' ? `The model could not be loaded: ${this.loadError}` : 'The model is still loading; retry shortly.');
    return { ...json(e.status, e.toBody()), headers: { 'content-type': JSON_TYPE, 'retry-after': '1' } };
  }

  private driftReport(): DriftReport | { disabled: string } {
    if (this.drift) return this.drift.report();
    return { disabled: this.model ? 'The model directory has no profile.json (train it with this runtime to get one).' : 'The model is not loaded yet.' };
  }

  private onDrift(alerts: DriftAlert[]): void {
    const m = this.model!;
    for (const a of alerts) this.log.warn('feature drift', { feature: a.feature, psi: a.psi, threshold: a.threshold, rows: a.rows, model: m.name, version: m.version });
    const url = this.o.config.drift.webhookUrl;
    if (!url) return;
    const text = `:warning: Input drift on model ${m.name} (version ${m.version}): ${alerts.map((a) => `feature '${a.feature}' PSI ${a.psi.toFixed(3)} > ${a.threshold}`).join('; ')} over the last ${alerts[0]!.rows} rows.`;
    const p = fetch(url, { method: 'POST', headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ text }), signal: AbortSignal.timeout(5000) })
      .then((r) => {
        if (!r.ok) this.log.warn('drift webhook answered an error', { status: r.status });
        return r.arrayBuffer();
      })
      .then(
        () => undefined,
        (e: Error) => this.log.warn('drift webhook failed', { error: e.message }),
      )
      .finally(() => this.pendingWebhooks.delete(p));
    this.pendingWebhooks.add(p);
  }

  /** Calls a route in-process, like fastify's inject: a JS object body is sent as JSON. */
  inject(r: InjectRequest): Promise<AppResponse> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
    let body: string | Buffer | null = null;
    if (r.body !== undefined) {
      if (typeof r.body === 'string' || Buffer.isBuffer(r.body)) body = r.body;
      else {
        body = JSON.stringify(r.body);
        headers['content-type'] ??= JSON_TYPE;
      }
    }
    const path = r.url.split('?')[0]!;
    const size = body === null ? 0 : Buffer.byteLength(body);
    const tooBig = size > this.bodyLimit(path) ? size : undefined;
    return this.handle({ method: r.method ?? 'GET', url: r.url, headers, body: tooBig ? null : body, bodyTooLarge: tooBig });
  }

  /** Handles one request; never throws. */
  async handle(req: AppRequest): Promise<AppResponse> {
    return this.dispatch(req);
  }

  /**
   * {@link ScoringApp.handle} without a promise when the route answers
   * synchronously (every route but /metrics): the transport's fast path.
   * Never throws.
   */
  dispatch(req: AppRequest): AppResponse | Promise<AppResponse> {
    const t0 = performance.now();
    const ctx: Ctx = { id: requestId(req.headers['x-request-id']), rows: undefined };
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const byMethod = this.routes.get(path);
    const entry = byMethod?.get(req.method);
    if (!entry) {
      let res: AppResponse;
      let error: HttpError;
      if (!byMethod) {
        const message = `No route ${req.method} ${path.length > 100 ? `${path.slice(0, 100)}…` : path}. Routes: ${[...this.routes.keys()].join(', ')}.`;
        error = new HttpError('NOT_FOUND', message, [{ code: 'NOT_FOUND', path, message }]);
        res = json(error.status, error.toBody());
      } else {
        const allowed = [...byMethod.keys()].join(', ');
        error = new HttpError('METHOD_NOT_ALLOWED', `${path} accepts ${allowed}, not ${req.method}.`);
        res = { ...json(error.status, error.toBody()), headers: { 'content-type': JSON_TYPE, allow: allowed } };
      }
      return this.finish(req, path, byMethod ? path : 'unmatched', null, ctx, t0, res, error);
    }
    let out: AppResponse | Promise<AppResponse>;
    try {
      out = entry.handler(req, ctx);
    } catch (e) {
      return this.failed(req, path, entry, ctx, t0, e);
    }
    if (out instanceof Promise)
      return out.then(
        (r) => this.finish(req, path, entry.route, entry, ctx, t0, r, null),
        (e) => this.failed(req, path, entry, ctx, t0, e),
      );
    return this.finish(req, path, entry.route, entry, ctx, t0, out, null);
  }

  private failed(req: AppRequest, path: string, entry: RouteEntry, ctx: Ctx, t0: number, e: unknown): AppResponse {
    let error: HttpError;
    if (e instanceof HttpError) error = e;
    else {
      error = new HttpError('INTERNAL', `Internal error while serving the request (request id ${ctx.id}); it has been logged.`);
      this.log.error('internal error', { reqId: ctx.id, method: req.method, path, ...errorFields(e, this.o.config.logRequestValues) });
    }
    return this.finish(req, path, entry.route, entry, ctx, t0, json(error.status, error.toBody()), error);
  }

  /** Common tail of every request: HEAD, request id, drain header, metrics, access log. */
  private finish(req: AppRequest, path: string, route: string, entry: RouteEntry | null, ctx: Ctx, t0: number, res: AppResponse, error: HttpError | null): AppResponse {
    if (req.method === 'HEAD') res.body = '';
    res.headers['x-request-id'] = ctx.id;
    if (this.state === 'draining') res.headers.connection = 'close';
    const seconds = (performance.now() - t0) / 1e3;
    this.metrics.request(route, req.method, res.status, seconds);
    const log = this.log;
    if (route === '/metrics' || !log.enabled(error ? 'warn' : 'info')) return res;
    const level = error && error.status >= 500 ? 'error' : error ? 'warn' : 'info';
    const ms = Math.round(seconds * 1e5) / 100;
    if (log.stdout) {
      // Pre-serialised line (same fields and order as the generic entry): no per-request objects.
      const m = req.method;
      const method = m === 'POST' || m === 'GET' || m === 'HEAD' ? m : JSON.stringify(m).slice(1, -1);
      const pathJson = entry ? entry.pathJson : JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
      if (error)
        log.line(
          `,"level":"${level}","msg":"request","reqId":"${ctx.id}","method":"${method}","path":${pathJson},"status":${res.status},"ms":${ms}${ctx.rows !== undefined ? `,"rows":${ctx.rows}` : ''},${JSON.stringify(this.errorLogFields(req, error)).slice(1, -1)}`,
        );
      // The same line, formatted with its batch (Logger.access).
      else log.access(level, ctx.id, method, pathJson, res.status, ms, ctx.rows ?? -1);
    } else {
      log.log(level, 'request', {
        reqId: ctx.id,
        method: req.method,
        path: path.length > 200 ? `${path.slice(0, 200)}…` : path,
        status: res.status,
        ms,
        ...(ctx.rows !== undefined ? { rows: ctx.rows } : {}),
        ...(error ? this.errorLogFields(req, error) : {}),
      });
    }
    return res;
  }

  /**
   * What the log says about a refused request. By default its shape only —
   * error code, issue codes with payload paths (names the model does not know
   * redacted), body size and media type — since the messages quote the
   * request's values and JSON.parse/CSV snippets; with logRequestValues
   * (MLOPS_LOG_REQUEST_VALUES=true) also the message and the paths as sent.
   */
  private errorLogFields(req: AppRequest, error: HttpError): Record<string, unknown> {
    const values = this.o.config.logRequestValues;
    const f: Record<string, unknown> = { code: error.code };
    if (error.code !== 'NOT_FOUND' && error.issues.length) {
      // NOT_FOUND's issue path is the URL path, already in the line.
      f.issueCount = error.issues.length;
      f.issues = error.issues.slice(0, 5).map((i) => ({ code: i.code, path: values ? i.path.slice(0, 200) : redactPath(i.path.slice(0, 200), this.knownColumns) }));
    }
    const bytes = req.bodyTooLarge ?? (req.body ? (typeof req.body === 'string' ? Buffer.byteLength(req.body) : req.body.length) : 0);
    if (bytes > 0 || req.method === 'POST') f.bytes = bytes;
    const ct = header(req, 'content-type');
    if (ct !== undefined) {
      const type = parseContentType(ct)?.type;
      f.contentType = values ? ct.slice(0, 100) : type === JSON_TYPE || type === CSV_TYPE ? type : 'other';
    }
    if (values) f.error = error.message.slice(0, 300);
    return f;
  }

  private predict(req: AppRequest, ctx: Ctx, protocol: PayloadProtocol): AppResponse {
    const cfg = this.o.config;
    if (req.bodyTooLarge !== undefined) {
      fail(
        'PAYLOAD_TOO_LARGE',
        '',
        `The request body (${req.bodyTooLarge > 0 ? `${req.bodyTooLarge} bytes` : 'too large'}) exceeds the limit of ${this.bodyLimit(req.url.split('?')[0]!)} bytes on this route${protocol === 'vertex' ? " (Vertex AI's 1.5 MB)" : ' (MLOPS_MAX_BODY_BYTES)'}. Split the batch.`,
      );
    }
    const rawType = header(req, 'content-type');
    // The common header needs no parsing.
    const ct = rawType === JSON_TYPE ? JSON_CT : parseContentType(rawType);
    let kind: 'json' | 'csv';
    if (!ct) {
      if (protocol === 'mlflow')
        fail(
          'UNSUPPORTED_MEDIA_TYPE',
          'content-type',
          `No Content-Type. Send 'Content-Type: application/json' (with one of dataframe_split, dataframe_records, instances, inputs) or 'Content-Type: text/csv'.`,
        );
      kind = 'json';
    } else if (ct.type === JSON_TYPE) kind = 'json';
    else if (ct.type === CSV_TYPE && protocol !== 'vertex') kind = 'csv';
    else {
      return fail(
        'UNSUPPORTED_MEDIA_TYPE',
        'content-type',
        `Content-Type '${ct.type}' is not supported here; send ${protocol === 'vertex' ? 'application/json' : 'application/json or text/csv'}.`,
      );
    }
    if (ct?.charset && ct.charset !== 'utf-8' && ct.charset !== 'utf8')
      fail('UNSUPPORTED_MEDIA_TYPE', 'content-type', `charset '${ct.charset}' is not supported; send the body in UTF-8 (charset=utf-8).`);
    const accept = header(req, 'accept');
    const out = accept === undefined || accept === '*/*' || accept === JSON_TYPE ? 'json' : negotiate(accept);
    if (!out) fail('NOT_ACCEPTABLE', 'accept', `Cannot answer in any of the types the Accept header lists (${accept}); this server answers application/json or text/csv.`);
    if (this.state !== 'ready' && this.state !== 'draining') return this.notReady();
    const model = this.model!;
    const raw = req.body ?? '';
    let frame: Frame | null = null;
    let params: Readonly<Record<string, unknown>> | null = null;
    const fast = kind === 'json' && cfg.limits.maxRows >= 1 && cfg.limits.maxJsonDepth >= 3;
    // Fastest path: `{"instances": [{…}]}`-like ASCII bytes read straight into the model's
    // one-row frame (no decoding, no JSON.parse); it declines anything else.
    if (fast && model.frameOneJson && raw.length <= FAST_PATH_MAX_CHARS) frame = model.frameOneJson(typeof raw === 'string' ? Buffer.from(raw) : raw, protocol);
    let text = '';
    let doc: unknown;
    let parsed = false;
    if (!frame) {
      if (Buffer.isBuffer(raw) && !isUtf8(raw)) fail('BAD_PAYLOAD', '', 'The body is not valid UTF-8; send UTF-8 text.');
      text = typeof raw === 'string' ? raw : raw.toString('utf8');
    }
    if (!frame && fast && model.frameOne && text.length <= FAST_PATH_MAX_CHARS) {
      // Fast path: one record in the common shape, validated straight against the signature.
      // Anything unusual (including every error) goes down the general path below, which
      // reports it exactly; a small body can be parsed before its depth is checked.
      try {
        doc = JSON.parse(text);
        parsed = true;
      } catch {
        parsed = false;
      }
      const one = parsed ? singleRecord(doc, protocol) : null;
      if (one) {
        frame = model.frameOne(one.rec);
        params = one.params;
      }
    }
    if (!frame) {
      let table;
      if (kind === 'csv') table = tableFromCsv(text, this.knownColumns, cfg.limits.maxRows);
      else {
        // Already parsed (fast path declined): the depth limit still applies.
        if (!parsed || jsonDepthExceeds(text, cfg.limits.maxJsonDepth)) doc = parseJsonBody(text, cfg.limits.maxJsonDepth);
        table = tableFromJson(doc, protocol, cfg.limits.maxRows);
      }
      frame = model.frame(table);
      params = table.params;
    }
    const p = model.predict(frame, params);
    ctx.rows = frame.rows;
    this.metrics.predicted(protocol, frame.rows);
    if (this.drift) {
      try {
        this.drift.observe(frame);
      } catch (e) {
        this.log.warn('drift monitoring failed for a request', { reqId: ctx.id, ...errorFields(e, this.o.config.logRequestValues) });
      }
    }
    if (out === 'csv') return { status: 200, headers: { 'content-type': CSV_TYPE }, body: `${p.csvLines().join('\n')}\n` };
    if (p.probabilities) return json(200, { predictions: p.predictions, probabilities: p.probabilities });
    const v = p.predictions.length === 1 ? p.predictions[0] : undefined;
    // One finite number: its JSON text is String(v).
    if (typeof v === 'number' && Number.isFinite(v)) return { status: 200, headers: { 'content-type': JSON_TYPE }, body: `{"predictions":[${v}]}` };
    return json(200, { predictions: p.predictions });
  }
}
