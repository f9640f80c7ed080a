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
import { bucketOf } from '../src/models/profile';
import {
  Logger,
  ScoringApp,
  serveConfig,
  loadServingModel,
  frameFromTable,
  singleRecord,
  tableFromJson,
  ServeMetrics,
  SingleRowFramer,
  ROW_KEY_BYTES,
  PayloadProtocol,
  newRequestId,
  requestId,
  nowIso,
} from '../src/serve';
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
      const split = JSON.parse(
        (await app.inject({ method: 'POST', url: '/invocations', body: { dataframe_split: { columns: Object.keys(rec), data: [Object.values(rec)] } } })).body,
      ) as { predictions: number[] };
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
    const profile: DataProfile = {
      format: 'mlops-profile/1',
      columns: [{ name: 'a', type: 'number', edges: [0.1, 0.2, 0.3, 0.5, 0.7, 0.9], freq: [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0] }],
    } as unknown as DataProfile;
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

  test("request metrics expose prom-client's counter and histogram text", async () => {
    const m = new ServeMetrics(() => null, false);
    m.request('/invocations', 'POST', 200, 0.0007);
    m.request('/invocations', 'POST', 200, 3);
    m.request('/ping', 'GET', 503, 0.0001);
    m.predicted('mlflow', 2);
    m.predicted('mlflow', 1);
    const body = (await m.render()).body;
    expect(body).toContain(
      '# TYPE mlops_http_requests_total counter\nmlops_http_requests_total{route="/invocations",method="POST",status="200"} 2\nmlops_http_requests_total{route="/ping",method="GET",status="503"} 1',
    );
    expect(body).toContain(
      'mlops_http_request_duration_seconds_bucket{le="0.0005",route="/invocations",method="POST",status="200"} 0\nmlops_http_request_duration_seconds_bucket{le="0.001",route="/invocations",method="POST",status="200"} 1',
    );
    expect(body).toContain(
      'mlops_http_request_duration_seconds_bucket{le="+Inf",route="/invocations",method="POST",status="200"} 2\nmlops_http_request_duration_seconds_sum{route="/invocations",method="POST",status="200"} 3.0007\nmlops_http_request_duration_seconds_count{route="/invocations",method="POST",status="200"} 2',
    );
    expect(body).toContain('mlops_predictions_total{protocol="mlflow"} 3');
    m.predicted('mlflow', 4);
    expect((await m.render()).body).toContain('mlops_predictions_total{protocol="mlflow"} 7');
  });
});

/** A deterministic generator for the fuzz cases. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32;
}

describe('byte-level single-record reader (SingleRowFramer.fromJson)', () => {
  const m = loadServingModel(REG);
  const reader = new SingleRowFramer(m.signature);
  const reference = new SingleRowFramer(m.signature);
  /** What JSON.parse, singleRecord and the record validator make of `text` (null: they decline or refuse). */
  const viaParse = (text: string, protocol: PayloadProtocol): Record<string, unknown[]> | null => {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return null;
    }
    const one = singleRecord(doc, protocol);
    if (!one || one.params !== null) return null;
    const f = reference.fromRecord(one.rec);
    return f ? frameValues(f) : null;
  };
  /** The reader's frame for `text`, checked against the JSON.parse path whenever it accepts. */
  const read = (text: string, protocol: PayloadProtocol = 'mlflow'): Record<string, unknown[]> | null => {
    const f = reader.fromJson(Buffer.from(text), ROW_KEY_BYTES[protocol]);
    if (!f) return null;
    const got = frameValues(f);
    const want = viaParse(text, protocol);
    if (want === null) throw new Error(`the reader accepted what the JSON.parse path refuses (${protocol}): ${JSON.stringify(text)}`);
    for (const k of Object.keys(want)) {
      if (!Object.is(got[k]![0], want[k]![0])) throw new Error(`'${k}': reader ${String(got[k]![0])} vs JSON.parse path ${String(want[k]![0])} for ${JSON.stringify(text)}`);
    }
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    return got;
  };
  const rec = (o: Record<string, unknown> = {}): string => JSON.stringify({ ...GOOD_ROW, ...o });

  test('accepts the common one-row shapes of each protocol, with any JSON whitespace and key order', () => {
    const cases: [string, PayloadProtocol][] = [
      [JSON.stringify({ instances: [GOOD_ROW] }), 'mlflow'],
      [JSON.stringify({ dataframe_records: [GOOD_ROW] }, null, 2), 'mlflow'],
      [`{"inputs":[${rec()}]}`, 'mlflow'],
      [`\t{ "instances" :\r\n [ { "when" : "2024-02-01 00:00:00" , "d":"p","c":"z", "b" : -1 ,"a":0.5 } ] }\n`, 'vertex'],
      [`{"input_data":[${rec()}]}`, 'azure'],
      [`{"data":[${rec()}]}`, 'azure'],
      [`{"instances":[${rec({ b: null, d: null })}]}`, 'mlflow'],
      [`{"instances":[${rec({ d: true })}]}`, 'mlflow'],
      [`{"instances":[${rec({ a: -0 }).replace('"a":0', '"a":-0')}]}`, 'mlflow'],
    ];
    for (const [text, protocol] of cases) expect(read(text, protocol)).not.toBeNull();
    expect(read(`{"instances":[${rec({ d: true })}]}`)!.d).toEqual(['true']);
    expect(Object.is(read(`{"instances":[${rec().replace('"a":0.5', '"a":-0')}]}`)!.a![0], -0)).toBe(true);
  });

  test('numbers: exactly the values JSON.parse gives (the exact decimal fast path and the Number() path)', () => {
    const literals = [
      '0',
      '-0',
      '0.1',
      '-3.25',
      '9.999999999999999',
      '1e2',
      '1E-3',
      '2.5e+0',
      '-0.0',
      '0.000000000000000000000001',
      '123456789012345.6',
      '12345678901234567',
      '9007199254740993',
      '0.30000000000000004',
      '4.35',
      '1.7976931348623157e308',
      '5e-324',
      '7.0000000000000001',
      '1234567.891',
      '0.1e1',
      '100000000000000000000000',
      '3.141592653589793238',
    ];
    let accepted = 0;
    for (const lit of literals) {
      const got = read(`{"instances":[${rec().replace('"b":-1', `"b":${lit}`)}]}`);
      if (got) {
        accepted++;
        expect(Object.is(got.b![0], JSON.parse(lit))).toBe(true);
      }
    }
    expect(accepted).toBe(literals.length);
  });

  test('declines (never misreads) what it does not take: bad JSON, escapes, extra keys, params, nesting, several rows', () => {
    const declined = [
      '',
      '   ',
      '[]',
      `[${rec()}]`,
      '{}',
      '{"instances":[]}',
      `{"instances":[${rec()},${rec()}]}`,
      `{"instances":[${rec()}],"params":{"x":1}}`,
      `{"instances":[${rec()}],"params":null}`,
      `{"instances":[${rec({ extra: 1 })}]}`,
      `{"instances":[${rec({ y: 2 })}]}`,
      `{"instances":[${rec()}],"instances":[${rec()}]}`,
      `{"instances":[${rec()}]}x`,
      `\ufeff{"instances":[${rec()}]}`,
      `{"instances":[${rec()},]}`,
      `{"instances":[${rec()}],}`,
      `{"instances":[${rec().replace('}', ',}')}]}`,
      `{"instances":[${rec().replace('"a":0.5,', '"a":0.5,"a":0.5,')}]}`,
      `{"instances":[${rec().replace('"p"', '"\\u0070"')}]}`,
      `{"instances":[${rec().replace('"a"', '"\\u0061"')}]}`,
      `{"instances":[${rec({ d: 'é' })}]}`,
      `{"instances":[${rec({ d: 'a\tb' }).replace('\\t', '\t')}]}`,
      `{"instances":[${rec({ b: { x: 1 } })}]}`,
      `{"instances":[${rec({ b: [1] })}]}`,
      `{"instances":[${rec({ a: '0.5' })}]}`,
      `{"instances":[${rec({ a: 11 })}]}`,
      `{"instances":[${rec({ a: null })}]}`,
      `{"instances":[${rec({ c: 'w' })}]}`,
      `{"instances":[${rec({ when: 5 })}]}`,
      `{"instances":[${rec({ when: 'yesterday' })}]}`,
      `{"instances":[[0.5,-1,"z","p","2024-02-01"]]}`,
      `{"dataframe_split":{"columns":["a"],"data":[[1]]}}`,
      ...[
        '01',
        '1.',
        '.5',
        '-',
        '+1',
        '1e',
        '1e+',
        '--1',
        '0x10',
        'NaN',
        'Infinity',
        '-Infinity',
        '1_000',
        '1.2.3',
        '00',
        '-01',
        '1e400',
        'nul',
        'tru',
        'fals',
        'nulll',
        'True',
      ].map((lit) => `{"instances":[${rec().replace('"b":-1', `"b":${lit}`)}]}`),
      `{"instances":[${rec()}`,
      `{"instances":[${rec().slice(0, -2)}]}`,
      `{"instances" [${rec()}]}`,
      `{instances:[${rec()}]}`,
    ];
    for (const text of declined) expect(read(text)).toBeNull();
    // Protocol keys: Vertex takes only `instances`; MLflow not Azure's `data`.
    expect(read(`{"dataframe_records":[${rec()}]}`, 'vertex')).toBeNull();
    expect(read(`{"data":[${rec()}]}`, 'mlflow')).toBeNull();
  });

  test('fuzz: 4000 mutated payloads are read exactly as the JSON.parse path reads them, or declined', () => {
    const base = `{"instances": [${rec({ b: -1.25 })}]}`;
    const alphabet = ['0', '1', '9', '-', '+', '.', 'e', 'E', '"', '\\', ',', ':', '{', '}', '[', ']', ' ', '\n', 'n', 'u', 'l', 't', 'f', 'x', 'é', '\t', '\u0001'];
    const rnd = lcg(2024);
    let accepted = 0;
    for (let k = 0; k < 4000; k++) {
      let t = base;
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * (t.length + 1));
        const ch = alphabet[Math.floor(rnd() * alphabet.length)]!;
        const op = rnd();
        t = op < 0.4 ? t.slice(0, at) + ch + t.slice(at + 1) : op < 0.7 ? t.slice(0, at) + ch + t.slice(at) : t.slice(0, at) + t.slice(at + 1);
      }
      if (read(t)) accepted++;
    }
    // Some mutations stay valid (digits within numbers, whitespace): the comparison above ran on them.
    expect(accepted).toBeGreaterThan(100);
  });

  test('repeated keys are caught across the wrap of the pass counter', () => {
    const f = new SingleRowFramer(m.signature);
    (f as unknown as { pass: number }).pass = 0x7fffffff - 2;
    const good = Buffer.from(JSON.stringify({ instances: [GOOD_ROW] }));
    // 'a' twice and 'when' missing: as many keys as columns.
    const repeated = Buffer.from('{"instances":[{"a":0.5,"a":0.5,"b":-1,"c":"z","d":"p"}]}');
    for (let i = 0; i < 6; i++) {
      expect(f.fromJson(good, ROW_KEY_BYTES.mlflow)).not.toBeNull();
      expect(f.fromJson(repeated, ROW_KEY_BYTES.mlflow)).toBeNull();
    }
  });

  test('the server takes it for clean rows and answers exactly as through JSON.parse', async () => {
    const app = new ScoringApp({ config: serveConfig({}), logger: new Logger('silent'), processMetrics: false });
    const model = loadServingModel(REG);
    const frameOneJson = model.frameOneJson!;
    let taken = 0;
    model.frameOneJson = (body, protocol) => {
      const f = frameOneJson(body, protocol);
      if (f) taken++;
      return f;
    };
    app.setModel(model);
    for (const row of [GOOD_ROW, { ...GOOD_ROW, b: null, a: 2.75 }, { ...GOOD_ROW, when: '2023-12-31 23:00:00', c: 'y', d: 'q' }]) {
      const fast = await app.inject({
        method: 'POST',
        url: '/invocations',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ instances: [row] })),
      });
      // `params` keeps the body off the byte-level reader (JSON.parse, then the record validator).
      const parsed = await app.inject({
        method: 'POST',
        url: '/invocations',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [row], params: {} }),
      });
      expect(fast.status).toBe(200);
      expect(fast.body).toBe(parsed.body);
    }
    expect(taken).toBe(3);
    // A body the reader declines still gets the general path's exact error.
    const bad = await app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': 'application/json' }, body: Buffer.from(`{"instances":[${rec({ a: 11 })}]}`) });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).errors[0].code).toBe('OUT_OF_RANGE');
  });
});

/** The next double above (or below) `x` (finite x). */
function nextDouble(x: number, up: boolean): number {
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] = b[0]! + (x > 0 === up ? 1n : -1n);
  return f[0]!;
}

describe('packed tree ensemble layouts', () => {
  test('binned layout: bit-identical to the packed layout and the estimator at every threshold, beside it, and for missing values', () => {
    const { model } = TrainedModel.load(REG);
    const est = model.estimator as unknown as Parameters<typeof compileRegressor>[0];
    const binned = compileRegressor(est)!;
    expect(binned.layout).toBe('binned');
    const state = est.toJSON() as { trees: { feature: number[]; threshold: (number | string)[] }[] };
    const packed = CompactEnsemble.fromJSON(state, 'packed')!;
    expect(packed.layout).toBe('packed');
    const F = binned.nFeatures;
    const values: number[][] = Array.from({ length: F }, () => [NaN, 0, -0, -1e300, 1e300]);
    for (const t of state.trees) {
      t.feature.forEach((f, i) => {
        const th = Number(t.threshold[i]);
        if (f >= 0 && Number.isFinite(th)) values[f]!.push(th, nextDouble(th, true), nextDouble(th, false));
      });
    }
    const rows = 3000;
    const rnd = lcg(99);
    const data = new Float64Array(rows * F);
    for (let r = 0; r < rows; r++) for (let f = 0; f < F; f++) data[r * F + f] = values[f]![Math.floor(rnd() * values[f]!.length)]!;
    const X = { rows, cols: F, data };
    const want = est.predict(X);
    const a = binned.predict(X);
    const b = packed.predict(X);
    for (let r = 0; r < rows; r++) {
      expect(Object.is(a[r], want[r])).toBe(true);
      expect(Object.is(b[r], want[r])).toBe(true);
    }
  });

  test('trees that do not fit the binned layout (over 256 thresholds on a feature) are packed 16 bytes a node, with the same walk', () => {
    // One chain tree: split j on feature 0 at j + 0.5 (missing values left on odd j), leaf j on the left, split j + 1 on the right.
    const K = 300;
    const n = 2 * K + 1;
    const tree = { feature: [] as number[], threshold: [] as number[], missingLeft: [] as number[], left: [] as number[], right: [] as number[], value: [] as number[], nOut: 1 };
    for (let i = 0; i < n; i++) {
      const j = i / 2;
      const split = i % 2 === 0 && i < 2 * K;
      tree.feature.push(split ? 0 : -1);
      tree.threshold.push(split ? j + 0.5 : 0);
      tree.missingLeft.push(split && j % 2 === 1 ? 1 : 0);
      tree.left.push(split ? i + 1 : -1);
      tree.right.push(split ? i + 2 : -1);
      tree.value.push(split ? 0 : i === 2 * K ? K * 10 : ((i - 1) / 2) * 10 + 0.25);
    }
    const state = { trees: [tree], baseline: 1.5, nFeatures: 2 };
    expect(CompactEnsemble.fromJSON(state, 'binned')).toBeNull();
    const c = CompactEnsemble.fromJSON(state)!;
    expect(c.layout).toBe('packed');
    const walk = (v: number): number => {
      let i = 0;
      while (tree.left[i] !== -1) i = (v !== v ? tree.missingLeft[i] === 1 : v <= tree.threshold[i]!) ? tree.left[i]! : tree.right[i]!;
      return 1.5 + tree.value[i]!;
    };
    for (const v of [NaN, -5, 0, 0.5, 0.75, 3.5, 3.6, 150, 299.5, 1000]) expect(Object.is(c.predictRow({ rows: 1, cols: 2, data: Float64Array.of(v, 0) }, 0), walk(v))).toBe(true);
  });
});

describe('drift window buckets and request ids', () => {
  test('a window files live values in the buckets bucketOf gives', () => {
    const profile = {
      format: 'mlops-profile/1',
      columns: [
        { name: 'a', type: 'number', edges: [0.1, 0.2, 0.3, 0.5, 0.7, 0.9], freq: [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0] },
        { name: 's', type: 'string', categories: ['x', 'y', '3'], freq: [0.3, 0.3, 0.2, 0.1, 0.1] },
      ],
    } as unknown as DataProfile;
    const m = new DriftMonitor(profile, { threshold: 0.2, window: 50, minRows: 10, webhookUrl: null });
    const windows = (m as unknown as { windows: { profile: DataProfile['columns'][number]; bucket(v: unknown): number }[] }).windows;
    const samples: unknown[] = [NaN, -1, 0, 0.1, 0.15, 0.2, 0.9, 0.95, 5, -0, Infinity, -Infinity, null, 'x', 'y', 'z', '3', 3, 'NaN'];
    for (const w of windows) for (const v of samples) expect(w.bucket(v)).toBe(bucketOf(w.profile, v as number | string | null));
  });

  test('generated request ids are UUID-shaped and unique, across blocks of the counter', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = newRequestId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(1000);
    expect(requestId('abc-123')).toBe('abc-123');
    expect(requestId(['no spaces', 'x'])).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('log timestamps are Date#toISOString of the current millisecond (formatted once a second, then by hand)', () => {
    const now = jest.spyOn(Date, 'now');
    try {
      for (const base of [0, 999, 1_700_000_000_000, 1_700_000_000_999, 253_402_300_799_000, -1_000, 8.64e15 - 5_000]) {
        for (let d = 0; d < 3000; d += 7) {
          now.mockReturnValue(base + d);
          expect(nowIso()).toBe(new Date(base + d).toISOString());
        }
      }
    } finally {
      now.mockRestore();
    }
  });

  test('access-log records are formatted with their batch into the same lines, in order with other log lines', async () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write);
    try {
      const log = new Logger('info');
      log.access('info', 'id-1', 'POST', '"/invocations"', 200, 0.07, 1);
      log.info('between', { n: 1 });
      log.access('info', 'id-2', 'GET', '"/ping"', 503, 12.5, -1);
      log.line(',"level":"warn","msg":"request","reqId":"id-3","method":"POST","path":"/x","status":400,"ms":0.1,"code":"BAD_JSON","error":"e"');
      for (let i = 0; i < 1500; i++) log.access('info', `bulk-${i}`, 'POST', '"/invocations"', 200, i / 100, 1); // past the record buffer
      log.flush();
      const lines = written
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const strip = ({ time, ...rest }: Record<string, unknown>): Record<string, unknown> => {
        expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        return rest;
      };
      expect(lines).toHaveLength(1504);
      expect(strip(lines[0]!)).toEqual({ level: 'info', msg: 'request', reqId: 'id-1', method: 'POST', path: '/invocations', status: 200, ms: 0.07, rows: 1 });
      expect(strip(lines[1]!)).toEqual({ level: 'info', msg: 'between', n: 1 });
      expect(strip(lines[2]!)).toEqual({ level: 'info', msg: 'request', reqId: 'id-2', method: 'GET', path: '/ping', status: 503, ms: 12.5 });
      expect(lines[3]!.reqId).toBe('id-3');
      expect(lines.slice(4).map((l) => l.reqId)).toEqual(Array.from({ length: 1500 }, (_, i) => `bulk-${i}`));
      expect(lines.slice(4).map((l) => l.ms)).toEqual(Array.from({ length: 1500 }, (_, i) => i / 100));
      // Key order as the generic entry writes it.
      expect(Object.keys(lines[0]!)).toEqual(['time', 'level', 'msg', 'reqId', 'method', 'path', 'status', 'ms', 'rows']);
    } finally {
      write.mockRestore();
    }
  });
});
