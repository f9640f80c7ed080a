/**
 * The scoring server's per-request fast paths give exactly what the general
 * paths give: the single-record validator (vs frameFromTable), the packed
 * tree ensemble (vs the estimator, bit for bit), the incremental PSI (vs the
 * recomputed one), and the request metrics' exposition text.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Frame } from '../src/data/frame';
import { TrainedModel } from '../src/models/model';
import { DataProfile } from '../src/models/profile';
import { compileRegressor, CompactEnsemble } from '../src/serve/compact';
import { DriftMonitor } from '../src/serve/drift';
import { Logger, ScoringApp, serveConfig, loadServingModel, frameFromTable, singleRecord, tableFromJson, ServeMetrics } from '../src/serve';
import { GOOD_ROW, makeModelDir } from './serve-fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-serve-fast-'));
const REG = makeModelDir(path.join(tmp, 'reg'));
const REG_NO_CONTRACT = makeModelDir(path.join(tmp, 'reg-nc'), { contract: false });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function frameValues(f: Frame): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const c of f.columns) out[c.name] = Array.from(c.values as ArrayLike<unknown>);
  return out;
}

describe('single-record fast path', () => {
  test.each([REG, REG_NO_CONTRACT])('clean records give the frame frameFromTable gives (%s)', (dir) => {
    const m = loadServingModel(dir);
    const rows: Record<string, unknown>[] = [
      GOOD_ROW,
      { ...GOOD_ROW, a: -3.25, b: null, d: null },
      { ...GOOD_ROW, b: 7, d: 12, when: '2024-03-01T10:00:00Z' },
      { ...GOOD_ROW, c: 'x', d: true },
      { ...GOOD_ROW, when: '2024-03-01' },
      { ...GOOD_ROW, when: '2024-03-01' }, // the cached date-time text
    ];
    for (const rec of rows) {
      const fast = m.frameOne!(rec);
      let slow: Frame | null = null;
      try {
        slow = m.frame(tableFromJson({ instances: [rec] }, 'mlflow', 100));
      } catch {
        slow = null;
      }
      if (fast === null) continue; // declined: the general path decides (checked below)
      expect(slow).not.toBeNull();
      expect(frameValues(fast)).toEqual(frameValues(slow!));
    }
  });

  test('anything the general path refuses is declined, never accepted', () => {
    const m = loadServingModel(REG);
    const bad: Record<string, unknown>[] = [
      {},
      { ...GOOD_ROW, extra: 1 },
      { a: 0.5, b: -1, c: 'z', d: 'p' },
      { ...GOOD_ROW, a: '0.5' },
      { ...GOOD_ROW, a: null },
      { ...GOOD_ROW, a: 11 },
      { ...GOOD_ROW, a: true },
      { ...GOOD_ROW, c: 'w' },
      { ...GOOD_ROW, c: [1] },
      { ...GOOD_ROW, when: 'yesterday' },
      { ...GOOD_ROW, when: 5 },
      { ...GOOD_ROW, b: { x: 1 } },
    ];
    for (const rec of bad) {
      expect(m.frameOne!(rec)).toBeNull();
      expect(() => frameFromTable(m.signature, tableFromJson({ instances: [rec] }, 'mlflow', 100))).toThrow();
    }
  });

  test('singleRecord takes only the one-row shapes tableFromJson reads as one named row', () => {
    const rec = { a: 1 };
    expect(singleRecord({ instances: [rec] }, 'mlflow')).toEqual({ rec, params: null });
    expect(singleRecord({ dataframe_records: [rec], params: { p: 1 } }, 'mlflow')).toEqual({ rec, params: { p: 1 } });
    expect(singleRecord({ instances: [rec], parameters: {} }, 'vertex')).toEqual({ rec, params: {} });
    expect(singleRecord({ input_data: [rec] }, 'azure')).toEqual({ rec, params: null });
    expect(singleRecord({ data: [rec] }, 'azure')).toEqual({ rec, params: null });
    for (const [doc, p] of [
      [{ instances: [rec, rec] }, 'mlflow'],
      [{ instances: [[1]] }, 'mlflow'],
      [{ instances: [rec], inputs: [rec] }, 'mlflow'],
      [{ instances: [rec], params: 3 }, 'mlflow'],
      [{ instances: [rec], params: {} }, 'vertex'],
      [{ data: [rec] }, 'mlflow'],
      [{ input_data: { data: [[1]] } }, 'azure'],
      [{ dataframe_split: { columns: ['a'], data: [[1]] } }, 'mlflow'],
      [[rec], 'mlflow'],
      [{ instances: [rec], x: 1 }, 'mlflow'],
    ] as const) {
      expect(singleRecord(doc, p)).toBeNull();
    }
  });

  test('responses through the fast path equal the general path (one row vs the same row in a two-row batch)', async () => {
    const app = new ScoringApp({ config: serveConfig({}), logger: new Logger('silent'), processMetrics: false });
    app.setModel(loadServingModel(REG));
    for (const rec of [GOOD_ROW, { ...GOOD_ROW, b: null, a: 2 }, { ...GOOD_ROW, when: '2023-12-31 23:00:00', c: 'y' }]) {
      const one = JSON.parse((await app.inject({ method: 'POST', url: '/invocations', body: { instances: [rec] } })).body) as { predictions: number[] };
      const two = JSON.parse((await app.inject({ method: 'POST', url: '/invocations', body: { instances: [rec, rec] } })).body) as { predictions: number[] };
      const split = JSON.parse((await app.inject({ method: 'POST', url: '/invocations', body: { dataframe_split: { columns: Object.keys(rec), data: [Object.values(rec)] } } })).body) as { predictions: number[] };
      expect(one.predictions).toHaveLength(1);
      expect(Object.is(one.predictions[0], two.predictions[0])).toBe(true);
      expect(Object.is(one.predictions[0], split.predictions[0])).toBe(true);
    }
  });
});

describe('packed tree ensemble', () => {
  test('bit-identical to the gradient-boosting regressor, missing values included', () => {
    const { model } = TrainedModel.load(REG);
    const c = compileRegressor(model.estimator as unknown as Parameters<typeof compileRegressor>[0]);
    expect(c).toBeInstanceOf(CompactEnsemble);
    const F = c!.nFeatures;
    const rows = 2000;
    let seed = 7;
    const data = new Float64Array(rows * F).map(() => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % 17 === 0 ? NaN : (seed / 0xffffffff) * 8 - 4;
    });
    const X = { rows, cols: F, data };
    const want = model.estimator.predict(X);
    const got = c!.predict(X);
    for (let r = 0; r < rows; r++) expect(Object.is(got[r], want[r])).toBe(true);
    expect(c!.accepts(X)).toBe(true);
    expect(c!.accepts({ rows: 1, cols: F, data: new Float64Array(F).fill(Infinity) })).toBe(false);
    expect(c!.accepts({ rows: 1, cols: F + 1, data: new Float64Array(F + 1) })).toBe(false);
  });

  test('declines other estimators', () => {
    expect(compileRegressor({ name: 'LinearRegression', toJSON: () => ({}), predict: () => new Float64Array(0) })).toBeNull();
  });
});

describe('drift and metrics bookkeeping', () => {
  test('the incremental PSI stays equal to the recomputed one (and alerts once)', () => {
    const profile: DataProfile = { format: 'mlops-profile/1', columns: [{ name: 'a', type: 'number', edges: [0.1, 0.2, 0.3, 0.5, 0.7, 0.9], freq: [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0] }] } as unknown as DataProfile;
    let alerts = 0;
    let refAlerts = 0;
    const settings = { threshold: 0.2, window: 300, minRows: 50, webhookUrl: null };
    const m = new DriftMonitor(profile, settings, () => alerts++);
    // A reference monitor that recomputes PSI from the counts at every row.
    const ref = new DriftMonitor(profile, settings, () => refAlerts++);
    for (const w of (ref as unknown as { windows: { psi(): number; exactPsi(): number }[] }).windows) w.psi = w.exactPsi;
    let seed = 3;
    const frame = new Frame([{ name: 'a', type: 'number', values: new Float64Array(1) }]);
    for (let i = 0; i < 6000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const u = seed / 0xffffffff;
      (frame.columns[0]!.values as Float64Array)[0] = i > 3000 ? u * 0.3 : u;
      m.observe(frame);
      ref.observe(frame);
    }
    const w = (m as unknown as { windows: { psi(): number; exactPsi(): number }[] }).windows[0]!;
    expect(Math.abs(w.psi() - w.exactPsi())).toBeLessThan(1e-12);
    expect(alerts).toBe(refAlerts);
    expect(alerts).toBeGreaterThan(0);
    expect(m.report().features[0]!.psi).toBe(w.exactPsi());
  });

  test('request metrics expose prom-client\'s counter and histogram text', async () => {
    const m = new ServeMetrics(() => null, false);
    m.request('/invocations', 'POST', 200, 0.0007);
    m.request('/invocations', 'POST', 200, 3);
    m.request('/ping', 'GET', 503, 0.0001);
    m.predicted('mlflow', 2);
    m.predicted('mlflow', 1);
    const body = (await m.render()).body;
    expect(body).toContain('# TYPE mlops_http_requests_total counter\nmlops_http_requests_total{route="/invocations",method="POST",status="200"} 2\nmlops_http_requests_total{route="/ping",method="GET",status="503"} 1');
    expect(body).toContain('mlops_http_request_duration_seconds_bucket{le="0.0005",route="/invocations",method="POST",status="200"} 0\nmlops_http_request_duration_seconds_bucket{le="0.001",route="/invocations",method="POST",status="200"} 1');
    expect(body).toContain('mlops_http_request_duration_seconds_bucket{le="+Inf",route="/invocations",method="POST",status="200"} 2\nmlops_http_request_duration_seconds_sum{route="/invocations",method="POST",status="200"} 3.0007\nmlops_http_request_duration_seconds_count{route="/invocations",method="POST",status="200"} 2');
    expect(body).toContain('mlops_predictions_total{protocol="mlflow"} 3');
    m.predicted('mlflow', 4);
    expect((await m.render()).body).toContain('mlops_predictions_total{protocol="mlflow"} 7');
  });
});
