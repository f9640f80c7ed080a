import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { DriftReport } from './drift';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One label set of the request metrics: a counter and a latency histogram, plain numbers. */
interface RequestSeries {
  readonly labels: Readonly<Record<'route' | 'method' | 'status', string>>;
  readonly status: number;
  count: number;
  sum: number;
  /** Per-bucket (non-cumulative) counts; values beyond the last bound are only in `count`. */
  readonly buckets: Float64Array;
}

/** A value as prom-client's registry formats it. */
interface ExportedValue {
  readonly labels: Record<string, string | number>;
  readonly sharedLabels?: Record<string, string>;
  readonly value: number;
  readonly metricName?: string;
}

/**
 * The request counter and latency histogram, kept as plain numbers per label
 * set and exported in prom-client's metric shape (same exposition text as its
 * Counter and Histogram): prom-client hashes the label object on every
 * observation, which is a measurable share of a fast request.
 */
class RequestMetrics {
  private readonly series = new Map<string, RequestSeries>();

  /** The series of one label set (created on first use; the caller caches it). */
  get(route: string, method: string, status: number): RequestSeries {
    const key = `${route}\u0000${method}\u0000${status}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: { route, method, status: String(status) }, status, count: 0, sum: 0, buckets: new Float64Array(LATENCY_BUCKETS.length) }));
    return s;
  }

  register(registry: Registry): void {
    const all = (): RequestSeries[] => [...this.series.values()];
    const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => ExportedValue[]): void => {
      const m = { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }) };
      registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]);
    };
    metric('mlops_http_requests_total', 'HTTP requests by route, method and status.', 'counter', () => all().map((s) => ({ labels: { ...s.labels }, value: s.count })));
    const name = 'mlops_http_request_duration_seconds';
    metric(name, 'HTTP request latency in seconds by route, method and status.', 'histogram', () => {
      const out: ExportedValue[] = [];
      for (const s of all()) {
        let acc = 0;
        LATENCY_BUCKETS.forEach((le, i) => {
          acc += s.buckets[i]!;
          out.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: `${name}_bucket` });
        });
        out.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: `${name}_bucket` });
        out.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${name}_sum` });
        out.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${name}_count` });
      }
      return out;
    });
  }
}

/** The server's Prometheus metrics, in a registry of its own (several servers can share a process). */
export class ServeMetrics {
  /** The registry /metrics exposes. */
  readonly registry = new Registry();
  private readonly requests = new RequestMetrics();
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
    this.requests.register(this.registry);
    this.predictions = new Counter({
      name: 'mlops_predictions_total',
      help: 'Rows predicted, by protocol.',
      labelNames: ['protocol'],
      registers,
      collect: () => {
        for (const [protocol, n] of this.pendingPredictions) if (n > 0) this.predictions.inc({ protocol }, n);
        this.pendingPredictions.clear();
      },
    });
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

  // The last series used, per route entry: most requests repeat the previous route, method and status.
  private last: RequestSeries | null = null;
  /** Rows predicted per protocol since the last scrape. */
  private readonly pendingPredictions = new Map<string, number>();

  /** Records one finished request. */
  request(route: string, method: string, status: number, seconds: number): void {
    let s = this.last;
    if (!s || s.labels.route !== route || s.labels.method !== method || s.status !== status) this.last = s = this.requests.get(route, method, status);
    s.count++;
    s.sum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]!) {
        s.buckets[i]!++;
        break;
      }
    }
  }

  /** Counts predicted rows. */
  predicted(protocol: string, rows: number): void {
    // Plain numbers, folded into the prom-client counter at scrape time (see the constructor).
    this.pendingPredictions.set(protocol, (this.pendingPredictions.get(protocol) ?? 0) + rows);
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
