import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DriftReport } from './drift';

/** The server's Prometheus metrics, in a registry of its own (several servers can share a process). */
export class ServeMetrics {
  /** The registry /metrics exposes. */
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'route' | 'method' | 'status'>;
  private readonly predictions: Counter<'protocol'>;
  private readonly info: Gauge<'name' | 'version' | 'task' | 'model' | 'estimator'>;
  private readonly drift: Gauge<'feature'>;
  private readonly ready: Gauge;

  constructor(
    /** Supplies the current drift report at scrape time. */
    driftSource: () => DriftReport | null = () => null,
    /** Also collect the process metrics (CPU, memory, event loop, GC). */
    processMetrics = true,
  ) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'mlops_http_requests_total', help: 'HTTP requests by route, method and status.', labelNames: ['route', 'method', 'status'], registers });
    this.latency = new Histogram({
      name: 'mlops_http_request_duration_seconds',
      help: 'HTTP request latency in seconds by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.predictions = new Counter({ name: 'mlops_predictions_total', help: 'Rows predicted, by protocol.', labelNames: ['protocol'], registers });
    this.info = new Gauge({ name: 'mlops_model_info', help: 'The model being served (value 1).', labelNames: ['name', 'version', 'task', 'model', 'estimator'], registers });
    this.ready = new Gauge({ name: 'mlops_model_ready', help: '1 when the model is loaded and the server is not draining.', registers });
    this.drift = new Gauge({
      name: 'mlops_feature_drift_psi',
      help: 'Population stability index of live inputs against the training distribution, per feature (absent until enough rows were seen).',
      labelNames: ['feature'],
      registers,
      collect: () => {
        const r = driftSource();
        if (!r) return;
        for (const f of r.features) if (f.psi !== null) this.drift.set({ feature: f.feature }, f.psi);
      },
    });
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'mlops_' });
  }

  // Labelled children cached by key: prom-client hashes the label object on every call otherwise.
  private readonly children = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  private readonly predChildren = new Map<string, { inc(v: number): void }>();

  /** Records one finished request. */
  request(route: string, method: string, status: number, seconds: number): void {
    const key = `${route}\u0000${method}\u0000${status}`;
    let c = this.children.get(key);
    if (!c) {
      const labels = { route, method, status: String(status) };
      c = { count: this.requests.labels(labels), time: this.latency.labels(labels) };
      this.children.set(key, c);
    }
    c.count.inc();
    c.time.observe(seconds);
  }

  /** Counts predicted rows. */
  predicted(protocol: string, rows: number): void {
    let c = this.predChildren.get(protocol);
    if (!c) this.predChildren.set(protocol, (c = this.predictions.labels({ protocol })));
    c.inc(rows);
  }

  /** Sets the model info gauge. */
  model(labels: { name: string; version: string; task: string; model: string; estimator: string }): void {
    this.info.reset();
    this.info.set(labels, 1);
  }

  /** Sets readiness. */
  setReady(ready: boolean): void {
    this.ready.set(ready ? 1 : 0);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
