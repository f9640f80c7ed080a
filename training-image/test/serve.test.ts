/**
 * The scoring server: every route of the four protocols (in-process and over
 * a real loopback port), the bad-request corpus, health before/after loading,
 * drift (PSI, /metrics, /drift, webhook), model location (incl. gs:// through
 * a loopback GCS JSON API emulator), classification, CSV and forecast models.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AppResponse, RunningServer, ScoringApp, serveConfig, startServer, locateModel, ModelLocateError, loadServingModel, negotiate } from '../src/serve';
import { trainForecastModel } from '../src/models/forecast-model';
import { copyDir, dirAsObjects, gcsEmulator, GOOD_ROW, makeModelDir, syntheticCsv } from './serve-fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-serve-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const REG = makeModelDir(path.join(tmp, 'reg'));
const CLS = makeModelDir(path.join(tmp, 'cls'), { task: 'classification', model: 'logistic' });

/** A client that sends requests in-process or over the network; same shape either way. */
interface Client {
  send(method: string, url: string, body?: string | Buffer | object, headers?: Record<string, string>): Promise<{ status: number; headers: Record<string, string>; body: string }>;
}

function inProcess(app: ScoringApp): Client {
  return {
    send: async (method, url, body, headers = {}) => {
      const r: AppResponse = await app.inject({ method, url, body, headers });
      return { status: r.status, headers: r.headers, body: r.body };
    },
  };
}

function overNetwork(base: string): Client {
  return {
    send: async (method, url, body, headers = {}) => {
      let b: string | Buffer | undefined;
      const h = { ...headers };
      if (body !== undefined) {
        if (typeof body === 'string' || Buffer.isBuffer(body)) b = body;
        else {
          b = JSON.stringify(body);
          if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
        }
      }
      const r = await fetch(base + url, { method, headers: h, body: b });
      const out: Record<string, string> = {};
      r.headers.forEach((v, k) => (out[k] = v));
      return { status: r.status, headers: out, body: await r.text() };
    },
  };
}

const quiet = { logger: false as const, processMetrics: false };

describe('scoring server', () => {
  let server: RunningServer;
  const env = { AIP_HEALTH_ROUTE: '/v1/endpoints/123/deployedModels/456', AIP_PREDICT_ROUTE: '/v1/endpoints/123/deployedModels/456:predict', MLOPS_DRIFT_MIN_ROWS: '50' };
  beforeAll(async () => {
    server = await startServer({ model: REG, port: 0, host: '127.0.0.1', env, ...quiet });
    await server.ready;
  });
  afterAll(() => server.close());

  describe.each([
    ['in-process', (): Client => inProcess(server.app)],
    ['loopback port', (): Client => overNetwork(server.url)],
  ])('every route of the four protocols (%s)', (_name, client) => {
    test('SageMaker: GET /ping, POST /invocations (JSON and CSV, Accept negotiation, unknown headers ignored)', async () => {
      const c = client();
      expect((await c.send('GET', '/ping')).status).toBe(200);
      const j = await c.send('POST', '/invocations', { instances: [GOOD_ROW, { ...GOOD_ROW, c: 'x' }] }, { 'X-Amzn-SageMaker-Custom-Attributes': 'foo', 'x-whatever': '1' });
      expect(j.status).toBe(200);
      const preds = JSON.parse(j.body).predictions;
      expect(preds).toHaveLength(2);
      expect(preds[0]).toBeGreaterThan(preds[1]); // c = z adds 5
      const csv = await c.send('POST', '/invocations', '0.5,-1,z,p,2024-02-01 00:00:00\n0.5,-1,x,p,2024-02-01 00:00:00\n', { 'content-type': 'text/csv', accept: 'text/csv' });
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv');
      const lines = csv.body.trim().split('\n').map(Number);
      expect(lines[0]).toBeCloseTo(preds[0], 9);
      expect(lines[1]).toBeCloseTo(preds[1], 9);
      const q = await c.send('POST', '/invocations', { instances: [GOOD_ROW] }, { accept: 'application/xml;q=0.9, text/*;q=0.5' });
      expect(q.headers['content-type']).toBe('text/csv');
      const any = await c.send('POST', '/invocations', { instances: [GOOD_ROW] }, { accept: '*/*' });
      expect(any.headers['content-type']).toBe('application/json');
    });

    test('Vertex AI: health and predict routes from AIP_HEALTH_ROUTE / AIP_PREDICT_ROUTE', async () => {
      const c = client();
      expect((await c.send('GET', env.AIP_HEALTH_ROUTE)).status).toBe(200);
      const r = await c.send('POST', env.AIP_PREDICT_ROUTE, { instances: [GOOD_ROW, GOOD_ROW], parameters: {} });
      expect(r.status).toBe(200);
      const p = JSON.parse(r.body).predictions;
      expect(p).toHaveLength(2);
      const positional = await c.send('POST', env.AIP_PREDICT_ROUTE, { instances: [[0.5, -1, 'z', 'p', '2024-02-01 00:00:00']] });
      expect(JSON.parse(positional.body).predictions[0]).toBeCloseTo(p[0], 12);
    });

    test('Azure ML: liveness, readiness and scoring routes (documented defaults), input_data and data payloads', async () => {
      const c = client();
      expect((await c.send('GET', '/')).status).toBe(200);
      expect((await c.send('GET', '/ready')).status).toBe(200);
      const a = await c.send('POST', '/score', { input_data: { columns: Object.keys(GOOD_ROW), index: [0], data: [Object.values(GOOD_ROW)] } });
      expect(a.status).toBe(200);
      const b = await c.send('POST', '/score', { data: [GOOD_ROW] });
      expect(JSON.parse(b.body).predictions[0]).toBeCloseTo(JSON.parse(a.body).predictions[0], 12);
    });

    test('MLflow: /ping, /health, /version and /invocations with each of the four input keys (+ params)', async () => {
      const c = client();
      expect((await c.send('GET', '/ping')).status).toBe(200);
      expect((await c.send('GET', '/health')).status).toBe(200);
      const v = await c.send('GET', '/version');
      expect(v.status).toBe(200);
      expect(v.body.trim()).toMatch(/^\d+\.\d+\.\d+/);
      const cols = Object.keys(GOOD_ROW),
        vals = Object.values(GOOD_ROW);
      const bodies = [
        { dataframe_split: { columns: cols, data: [vals] } },
        { dataframe_records: [GOOD_ROW], params: { anything: 1 } },
        { instances: [GOOD_ROW] },
        { inputs: [GOOD_ROW] },
        { inputs: Object.fromEntries(cols.map((k, i) => [k, [vals[i]]])) },
      ];
      const got: number[] = [];
      for (const b of bodies) {
        const r = await c.send('POST', '/invocations', b);
        expect(r.status).toBe(200);
        got.push(JSON.parse(r.body).predictions[0]);
      }
      for (const g of got) expect(g).toBeCloseTo(got[0]!, 12);
      const csvHeader = await c.send('POST', '/invocations', `${cols.join(',')}\n${vals.join(',')}\n`, { 'content-type': 'text/csv; charset=utf-8' });
      expect(JSON.parse(csvHeader.body).predictions[0]).toBeCloseTo(got[0]!, 12);
    });

    test('observability routes: /metrics, /drift, /model; request ids honoured or generated', async () => {
      const c = client();
      const m = await c.send('GET', '/metrics');
      expect(m.status).toBe(200);
      expect(m.body).toContain('mlops_http_requests_total');
      expect(m.body).toContain('mlops_http_request_duration_seconds_bucket');
      expect(m.body).toMatch(/mlops_model_info\{name="reg",version="[0-9a-f]{12}",task="regression",model="gbdt",estimator="HistGradientBoostingRegressor"\} 1/);
      expect(m.body).toMatch(/mlops_predictions_total\{protocol="mlflow"\} \d+/);
      const d = await c.send('GET', '/drift');
      expect(JSON.parse(d.body).features.map((f: { feature: string }) => f.feature)).toEqual(['a', 'b', 'c', 'd']);
      const md = JSON.parse((await c.send('GET', '/model')).body);
      expect(md.inputs.map((i: { name: string }) => i.name)).toEqual(['a', 'b', 'c', 'd', 'when']);
      const withId = await c.send('GET', '/ping', undefined, { 'x-request-id': 'abc-123' });
      expect(withId.headers['x-request-id']).toBe('abc-123');
      const bad = await c.send('GET', '/ping', undefined, { 'x-request-id': 'no spaces <allowed>' });
      expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('bad requests: each gets a 4xx with a clear message; the server keeps answering', () => {
    const P = env.AIP_PREDICT_ROUTE;
    const J = { 'content-type': 'application/json' };
    const C = { 'content-type': 'text/csv' };
    type Case = [
      name: string,
      method: string,
      url: string,
      body: string | Buffer | object | undefined,
      headers: Record<string, string>,
      status: number,
      code: RegExp,
      message: RegExp,
    ];
    const cases: Case[] = [];
    const row = (over: Record<string, unknown>): Record<string, unknown> => ({ ...GOOD_ROW, ...over });
    const without = (k: string): Record<string, unknown> => Object.fromEntries(Object.entries(GOOD_ROW).filter(([x]) => x !== k));
    for (const [route, key] of [
      ['/invocations', 'instances'],
      [P, 'instances'],
      ['/score', 'data'],
      ['/invocations', 'dataframe_records'],
      ['/invocations', 'inputs'],
    ] as const) {
      const w = (rows: unknown): object => ({ [key]: rows });
      const add = (name: string, body: string | object | undefined, status: number, code: RegExp, message: RegExp, headers: Record<string, string> = J): void => {
        cases.push([`${route} ${key}: ${name}`, 'POST', route, body, headers, status, code, message]);
      };
      add('malformed JSON (unterminated)', `{"${key}": [`, 400, /BAD_JSON/, /not valid JSON/);
      add('malformed JSON (trailing comma)', `{"${key}": [1,]}`, 400, /BAD_JSON/, /not valid JSON/);
      add('single quotes', `{'${key}': []}`, 400, /BAD_JSON/, /not valid JSON/);
      add('NaN literal', `{"${key}": [{"a": NaN}]}`, 400, /BAD_JSON/, /NaN and Infinity are not JSON/);
      add('Infinity literal', `{"${key}": [{"a": Infinity}]}`, 400, /BAD_JSON/, /not valid JSON/);
      add('empty body', '', 400, /EMPTY_BODY/, /body is empty/);
      add('whitespace body', '  \n ', 400, /EMPTY_BODY/, /body is empty/);
      add('top-level list', [GOOD_ROW], 400, /BAD_PAYLOAD/, /top-level JSON list is not accepted/);
      add('top-level number', '42', 400, /BAD_PAYLOAD/, /must be an object/);
      add('top-level null', 'null', 400, /BAD_PAYLOAD/, /must be an object/);
      add('no input key', {}, 400, /BAD_PAYLOAD/, /instances/);
      add('unknown key', { ...w([GOOD_ROW]), foo: 1 }, 400, /BAD_PAYLOAD/, /Unknown key 'foo'/);
      add('rows not a list', w(5), 400, /BAD_PAYLOAD/, key === 'inputs' ? /must be a list/ : /must be a list/);
      add('no rows', w([]), 400, /NO_ROWS/, /no rows/);
      add('mixed rows', w([GOOD_ROW, 7]), 400, /BAD_PAYLOAD/, /must be an object like the first row/);
      add('missing column', w([without('a')]), 400, /MISSING_COLUMN/, /'a'.*missing/);
      add('all columns missing', w([{ zzz: 1 }]), 400, /MISSING_COLUMN|UNEXPECTED_COLUMN/, /missing|not an input/);
      add('extra column', w([row({ zzz: 1 })]), 400, /UNEXPECTED_COLUMN/, /'zzz' is not an input of the model/);
      add('string in numeric column', w([row({ a: 'abc' })]), 400, /WRONG_TYPE/, /'a' must be a number/);
      add('numeric string in numeric column', w([row({ a: '1.5' })]), 400, /WRONG_TYPE/, /JSON number, without quotes/);
      add('"NaN" string', w([row({ b: 'NaN' })]), 400, /WRONG_TYPE/, /'b' must be a number/);
      add('"Infinity" string', w([row({ b: 'Infinity' })]), 400, /WRONG_TYPE/, /'b' must be a number/);
      add('boolean in numeric column', w([row({ a: true })]), 400, /WRONG_TYPE/, /'a' must be a number/);
      add('list in numeric column', w([row({ a: [1] })]), 400, /WRONG_TYPE/, /is a list/);
      add('object in category column', w([row({ c: { x: 1 } })]), 400, /WRONG_TYPE/, /is an object/);
      add('bad date', w([row({ when: 'yesterday' })]), 400, /WRONG_TYPE/, /ISO 8601/);
      add('number for a date', w([row({ when: 12 })]), 400, /WRONG_TYPE/, /ISO 8601/);
      add('null in non-nullable column', w([row({ a: null })]), 400, /NULL_VALUE/, /not nullable/);
      add('out of contract range', w([row({ a: 99 })]), 400, /OUT_OF_RANGE/, /outside the range/);
      add('category not allowed by the contract', w([row({ c: 'w' })]), 400, /UNKNOWN_CATEGORY/, /does not allow/);
      add('positional row too short', w([[0.5, -1]]), 400, key === 'dataframe_records' ? /BAD_PAYLOAD/ : /RAGGED_ROW/, /takes 5 in this order|list of objects/);
      add('many bad cells are all reported', w([row({ a: 'x', b: 'y' }), row({ when: 'z' })]), 400, /WRONG_TYPE/, /3 problems/);
    }
    const S = '/invocations';
    const more: [string, string | Buffer | object | undefined, Record<string, string>, number, RegExp, RegExp][] = [
      ['two input keys', { instances: [GOOD_ROW], inputs: [GOOD_ROW] }, J, 400, /BAD_PAYLOAD/, /exactly one of/],
      ['params not an object', { instances: [GOOD_ROW], params: [1] }, J, 400, /BAD_PAYLOAD/, /'params' must be an object/],
      ['dataframe_split not an object', { dataframe_split: [1] }, J, 400, /BAD_PAYLOAD/, /orient='split'/],
      ['dataframe_split without data', { dataframe_split: { columns: ['a'] } }, J, 400, /BAD_PAYLOAD/, /data' must be a list/],
      ['dataframe_split columns not strings', { dataframe_split: { columns: [1], data: [[1]] } }, J, 400, /BAD_PAYLOAD/, /column names/],
      ['dataframe_split ragged', { dataframe_split: { columns: Object.keys(GOOD_ROW), data: [[1, 2]] } }, J, 400, /RAGGED_ROW/, /has 2 values but there are 5 columns/],
      ['dataframe_split index mismatch', { dataframe_split: { columns: Object.keys(GOOD_ROW), index: [1, 2], data: [Object.values(GOOD_ROW)] } }, J, 400, /BAD_PAYLOAD/, /index/],
      ['dataframe_split unknown key', { dataframe_split: { columns: [], data: [], orient: 'x' } }, J, 400, /BAD_PAYLOAD/, /unknown key 'orient'/],
      [
        'dataframe_split duplicate column',
        { dataframe_split: { columns: ['a', 'a', 'b', 'c', 'd', 'when'], data: [[1, 1, 1, 'x', 'p', '2024-01-01']] } },
        J,
        400,
        /DUPLICATE_COLUMN/,
        /given twice/,
      ],
      ['dataframe_records of lists', { dataframe_records: [[1, 2]] }, J, 400, /BAD_PAYLOAD/, /list of objects/],
      ['columnar inputs ragged', { inputs: { a: [1, 2], b: [1] } }, J, 400, /RAGGED_ROW/, /one value per row/],
      ['columnar inputs not lists', { inputs: { a: 1 } }, J, 400, /BAD_PAYLOAD/, /must be a list of values/],
      ['deep nesting (100k brackets)', '['.repeat(100000) + ']'.repeat(100000), J, 400, /TOO_DEEP/, /nested deeper than 16/],
      ['deep nesting inside a row', { instances: [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]] }, J, 400, /TOO_DEEP/, /nested deeper/],
      ['10 MB body', Buffer.alloc(10 * 1024 * 1024, 32), J, 413, /PAYLOAD_TOO_LARGE/, /exceeds the limit of 6291456 bytes/],
      ['oversized batch', { instances: Array.from({ length: 10001 }, () => [1, 1, 'x', 'p', '2024-01-01']) }, J, 413, /TOO_MANY_ROWS/, /at most 10000/],
      ['text/plain', JSON.stringify({ instances: [GOOD_ROW] }), { 'content-type': 'text/plain' }, 415, /UNSUPPORTED_MEDIA_TYPE/, /'text\/plain' is not supported/],
      ['application/xml', '<x/>', { 'content-type': 'application/xml' }, 415, /UNSUPPORTED_MEDIA_TYPE/, /not supported/],
      ['form-urlencoded', 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415, /UNSUPPORTED_MEDIA_TYPE/, /not supported/],
      ['multipart', '--x--', { 'content-type': 'multipart/form-data; boundary=x' }, 415, /UNSUPPORTED_MEDIA_TYPE/, /not supported/],
      ['latin-1 charset', JSON.stringify({ instances: [GOOD_ROW] }), { 'content-type': 'application/json; charset=latin-1' }, 415, /UNSUPPORTED_MEDIA_TYPE/, /charset 'latin-1'/],
      ['utf-16 csv', 'a\n1', { 'content-type': 'text/csv; charset=utf-16' }, 415, /UNSUPPORTED_MEDIA_TYPE/, /UTF-8/],
      ['no content type on /invocations', Buffer.from(JSON.stringify({ instances: [GOOD_ROW] })), {}, 415, /UNSUPPORTED_MEDIA_TYPE/, /No Content-Type/],
      ['unacceptable Accept', { instances: [GOOD_ROW] }, { ...J, accept: 'application/xml' }, 406, /NOT_ACCEPTABLE/, /application\/json or text\/csv/],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), J, 400, /BAD_PAYLOAD/, /not valid UTF-8/],
      ['csv: strings in numeric column', 'abc,-1,z,p,2024-02-01\n', C, 400, /WRONG_TYPE/, /csv line 1, column 'a'/],
      ['csv: wrong number of fields', '1,2\n', C, 400, /RAGGED_ROW/, /takes 5 in this order/],
      ['csv: ragged rows', 'a,b,c,d,when\n1,2,x,p,2024-01-01\n1,2\n', C, 400, /RAGGED_ROW/, /malformed/],
      ['csv: unterminated quote', 'a,b,c,d,when\n1,2,"x,p,2024-01-01\n', C, 400, /BAD_CSV|RAGGED_ROW/, /malformed/],
      ['csv: header only', 'a,b,c,d,when\n', C, 400, /NO_ROWS/, /no rows/],
      ['csv: empty', '', C, 400, /EMPTY_BODY/, /empty/],
      ['csv: out of range', '99,-1,z,p,2024-02-01\n', C, 400, /OUT_OF_RANGE/, /outside the range/],
      ['csv: missing non-nullable', ',-1,z,p,2024-02-01\n', C, 400, /NULL_VALUE/, /not nullable/],
      ['vertex: unknown key', { instances: [GOOD_ROW], foo: 1 }, J, 400, /BAD_PAYLOAD/, /Vertex AI request/],
    ];
    for (const [name, body, headers, status, code, message] of more) cases.push([name, 'POST', name.startsWith('vertex') ? P : S, body, headers, status, code, message]);
    cases.push(['vertex: missing instances', 'POST', P, { parameters: {} }, J, 400, /BAD_PAYLOAD/, /Missing 'instances'/]);
    cases.push(['vertex: parameters not an object', 'POST', P, { instances: [GOOD_ROW], parameters: 3 }, J, 400, /BAD_PAYLOAD/, /'parameters' must be an object/]);
    cases.push(['vertex: csv is not accepted', 'POST', P, 'a\n1', C, 415, /UNSUPPORTED_MEDIA_TYPE/, /application\/json/]);
    cases.push(['vertex: 2 MB body (over the 1.5 MB limit)', 'POST', P, Buffer.alloc(2 * 1024 * 1024, 32), J, 413, /PAYLOAD_TOO_LARGE/, /1\.5 MB/]);
    cases.push(['unknown route', 'GET', '/nope', undefined, {}, 404, /NOT_FOUND/, /No route GET \/nope/]);
    cases.push(['wrong method on /invocations', 'GET', '/invocations', undefined, {}, 405, /METHOD_NOT_ALLOWED/, /accepts POST/]);
    cases.push(['wrong method on /ping', 'DELETE', '/ping', undefined, {}, 405, /METHOD_NOT_ALLOWED/, /accepts GET, HEAD/]);
    cases.push(['PUT on /score', 'PUT', '/score', { data: [GOOD_ROW] }, J, 405, /METHOD_NOT_ALLOWED/, /accepts POST/]);

    test('the corpus has at least 100 cases', () => {
      expect(cases.length).toBeGreaterThanOrEqual(100);
    });

    describe.each([
      ['in-process', (): Client => inProcess(server.app)],
      ['loopback port', (): Client => overNetwork(server.url)],
    ])('%s', (_n, client) => {
      test.each(cases)('%s', async (_name, method, url, body, headers, status, code, message) => {
        const c = client();
        const r = await c.send(method, url, body, headers);
        expect(r.status).toBe(status);
        const b = JSON.parse(r.body);
        expect(typeof b.message).toBe('string');
        expect(b.message).toMatch(message);
        expect(b.errors.length).toBeGreaterThan(0);
        for (const e of b.errors) {
          expect(typeof e.code).toBe('string');
          expect(typeof e.path).toBe('string');
          expect(typeof e.message).toBe('string');
        }
        expect(b.errors[0].code).toMatch(code);
        // The server still answers a good request afterwards.
        const ok = await c.send('POST', '/invocations', { instances: [GOOD_ROW] });
        expect(ok.status).toBe(200);
      });
    });

    test('no request of the corpus produced a 5xx (by the metrics)', async () => {
      const m = (await server.app.inject({ url: '/metrics' })).body;
      expect(m).not.toMatch(/mlops_http_requests_total\{[^}]*status="5\d\d"\}/);
    });
  });
});

describe('health before and after loading', () => {
  test('in-process: 503 on every health route until a model is set, then 200', async () => {
    const app = new ScoringApp({ config: serveConfig({}, { logLevel: 'silent' }), processMetrics: false });
    for (const p of ['/ping', '/health', '/ready']) expect((await app.inject({ url: p })).status).toBe(503);
    expect((await app.inject({ url: '/' })).status).toBe(200); // liveness: the process is up
    const early = await app.inject({ method: 'POST', url: '/invocations', body: { instances: [GOOD_ROW] } });
    expect(early.status).toBe(503);
    expect(JSON.parse(early.body).errors[0].code).toBe('MODEL_NOT_READY');
    app.setModel(loadServingModel(REG));
    for (const p of ['/ping', '/health', '/ready']) expect((await app.inject({ url: p })).status).toBe(200);
  });

  test('over a loopback port: health is 503 while the model downloads from gs:// (GCS JSON API emulator on loopback, via the client apiEndpoint), 200 after', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const gcs = await gcsEmulator('models-bucket', dirAsObjects(REG, 'runs/7/model'), { hold });
    const s = await startServer({
      port: 0,
      host: '127.0.0.1',
      env: { AIP_STORAGE_URI: 'gs://models-bucket/runs/7/model', MLOPS_GCS_ENDPOINT: gcs.url, AIP_HEALTH_ROUTE: '/healthz' },
      sagemakerModelDir: path.join(tmp, 'no-such-opt-ml'),
      ...quiet,
    });
    try {
      const h1 = await fetch(`${s.url}/healthz`);
      expect(h1.status).toBe(503);
      expect(((await h1.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('MODEL_NOT_READY');
      release();
      await s.ready;
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      const r = await fetch(`${s.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [GOOD_ROW] }) });
      expect(r.status).toBe(200);
      expect(gcs.requests.some((q) => q.includes('alt=media'))).toBe(true);
    } finally {
      await s.close();
      await gcs.close();
    }
  });
});

describe('model location order', () => {
  const sm = path.join(tmp, 'opt-ml-model');
  beforeAll(() => copyDir(REG, sm));
  test('--model wins, then MLOPS_MODEL_DIR, then /opt/ml/model, then AIP_STORAGE_URI, then AZUREML_MODEL_DIR (searched inside)', async () => {
    const azure = path.join(tmp, 'azureml-mount');
    copyDir(CLS, path.join(azure, 'churn-model', '3', 'model'));
    expect((await locateModel({ model: REG, env: { MLOPS_MODEL_DIR: CLS }, sagemakerModelDir: sm })).source).toBe('flag');
    expect((await locateModel({ env: { MLOPS_MODEL_DIR: CLS }, sagemakerModelDir: sm })).dir).toBe(CLS);
    expect((await locateModel({ env: { AIP_STORAGE_URI: '/nowhere', AZUREML_MODEL_DIR: azure }, sagemakerModelDir: sm })).source).toBe('sagemaker');
    const az = await locateModel({ env: { AZUREML_MODEL_DIR: azure }, sagemakerModelDir: path.join(tmp, 'absent') });
    expect(az.source).toBe('AZUREML_MODEL_DIR');
    expect(az.dir).toBe(path.join(azure, 'churn-model', '3', 'model'));
    await expect(locateModel({ env: {}, sagemakerModelDir: path.join(tmp, 'absent') })).rejects.toThrow(/No model to serve. Looked in order at: --model/);
    await expect(locateModel({ model: path.join(tmp, 'absent') })).rejects.toBeInstanceOf(ModelLocateError);
  });

  test('an empty /opt/ml/model (the image creates it) does not shadow AZUREML_MODEL_DIR or AIP_STORAGE_URI, and is an error when nothing else is set', async () => {
    const empty = path.join(tmp, 'empty-opt-ml-model');
    fs.mkdirSync(empty, { recursive: true });
    const azure = path.join(tmp, 'azureml-mount-2');
    copyDir(CLS, path.join(azure, 'model'));
    const az = await locateModel({ env: { AZUREML_MODEL_DIR: azure }, sagemakerModelDir: empty });
    expect(az.source).toBe('AZUREML_MODEL_DIR');
    expect(az.dir).toBe(path.join(azure, 'model'));
    await expect(locateModel({ env: { AIP_STORAGE_URI: path.join(tmp, 'absent-aip') }, sagemakerModelDir: empty })).rejects.toThrow(/AIP_STORAGE_URI/);
    await expect(locateModel({ env: {}, sagemakerModelDir: empty })).rejects.toThrow(/holds no model directory/);
  });

  test('AIP_STORAGE_URI gs:// is downloaded with @google-cloud/storage (against a loopback GCS JSON API emulator)', async () => {
    const gcs = await gcsEmulator('bk1', { ...dirAsObjects(CLS, 'm/cls'), 'm/clsX/other.txt': Buffer.from('not part of the model') });
    try {
      const dl = path.join(tmp, 'dl');
      const loc = await locateModel({ env: { AIP_STORAGE_URI: 'gs://bk1/m/cls/', MLOPS_GCS_ENDPOINT: gcs.url }, sagemakerModelDir: path.join(tmp, 'absent'), downloadDir: dl });
      expect(loc.source).toBe('AIP_STORAGE_URI');
      expect(fs.existsSync(path.join(dl, 'manifest.json'))).toBe(true);
      expect(fs.existsSync(path.join(dl, 'other.txt'))).toBe(false);
      expect(loadServingModel(loc.dir).task).toBe('classification');
      await expect(
        locateModel({ env: { AIP_STORAGE_URI: 'gs://bk1/empty', MLOPS_GCS_ENDPOINT: gcs.url }, sagemakerModelDir: path.join(tmp, 'absent'), downloadDir: path.join(tmp, 'dl2') }),
      ).rejects.toThrow(/has no objects/);
    } finally {
      await gcs.close();
    }
  });
});

describe('models and formats', () => {
  test('classification: labels, probabilities on request, CSV out', async () => {
    const app = new ScoringApp({ config: serveConfig({}, { logLevel: 'silent' }), processMetrics: false });
    app.setModel(loadServingModel(CLS));
    const r = await app.inject({ method: 'POST', url: '/invocations', body: { instances: [GOOD_ROW, { ...GOOD_ROW, a: -3, c: 'x' }], params: { probabilities: true } } });
    expect(r.status).toBe(200);
    const b = JSON.parse(r.body);
    expect(b.predictions).toEqual(['high', 'low']);
    expect(b.probabilities[0].high + b.probabilities[0].low).toBeCloseTo(1, 9);
    const csv = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { 'content-type': 'application/json', accept: 'text/csv' },
      body: JSON.stringify({ instances: [GOOD_ROW] }),
    });
    expect(csv.body).toBe('high\n');
  });

  test('unknown categories follow the fitted transform: ignored by default, 400 with handleUnknown: error', async () => {
    const ign = makeModelDir(path.join(tmp, 'nocontract'), { contract: false });
    const err = makeModelDir(path.join(tmp, 'strict'), { contract: false, features: { handleUnknown: 'error' } });
    const mk = (dir: string): ScoringApp => {
      const a = new ScoringApp({ config: serveConfig({}, { logLevel: 'silent' }), processMetrics: false });
      a.setModel(loadServingModel(dir));
      return a;
    };
    const body = { instances: [{ ...GOOD_ROW, c: 'never-seen' }] };
    expect((await mk(ign).inject({ method: 'POST', url: '/invocations', body })).status).toBe(200);
    const r = await mk(err).inject({ method: 'POST', url: '/invocations', body });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).errors[0]).toMatchObject({ code: 'UNKNOWN_CATEGORY' });
    expect(JSON.parse(r.body).errors[0].message).toContain('never-seen');
  });

  test('forecast model: rows carry the time column; predictions are {mean, lower, upper}', async () => {
    const csv = ['date,load'];
    for (let i = 0; i < 24 * 60; i++)
      csv.push(`${new Date(Date.UTC(2024, 0, 1) + i * 3600e3).toISOString().slice(0, 19).replace('T', ' ')},${(10 + 0.01 * i + 3 * Math.sin((2 * Math.PI * i) / 24)).toFixed(3)}`);
    fs.writeFileSync(path.join(tmp, 'series.csv'), csv.join('\n') + '\n');
    const dir = path.join(tmp, 'fc');
    trainForecastModel({ data: path.join(tmp, 'series.csv'), out: dir, time: 'date', value: 'load', horizon: 48 });
    const app = new ScoringApp({ config: serveConfig({}, { logLevel: 'silent' }), processMetrics: false });
    app.setModel(loadServingModel(dir));
    const r = await app.inject({ method: 'POST', url: '/invocations', body: { instances: [{ date: '2024-03-01 01:00:00' }, { date: '2024-03-01 02:00:00' }] } });
    expect(r.status).toBe(200);
    const p = JSON.parse(r.body).predictions;
    expect(p).toHaveLength(2);
    expect(p[0].lower).toBeLessThanOrEqual(p[0].mean);
    expect(p[0].upper).toBeGreaterThanOrEqual(p[0].mean);
    const past = await app.inject({ method: 'POST', url: '/invocations', body: { instances: [{ date: '2023-01-01' }] } });
    expect(past.status).toBe(400);
    expect(JSON.parse(past.body).message).toMatch(/not after the last training time/);
    const bad = await app.inject({ method: 'POST', url: '/invocations', body: { instances: [{ date: 'soon' }] } });
    expect(bad.status).toBe(400);
  });

  test('Accept negotiation rules', () => {
    expect(negotiate(undefined)).toBe('json');
    expect(negotiate('text/csv')).toBe('csv');
    expect(negotiate('application/json;q=0.2, text/csv;q=0.8')).toBe('csv');
    expect(negotiate('text/csv;q=0, application/*')).toBe('json');
    expect(negotiate('image/png')).toBeNull();
  });
});

describe('drift monitoring', () => {
  test('PSI per feature on /drift and /metrics; a Slack-compatible webhook fires once when a feature crosses the threshold', async () => {
    const received: { text: string }[] = [];
    const hook = http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        received.push(JSON.parse(b));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hooks/T000/B000/XXX`;
    const s = await startServer({ model: REG, port: 0, host: '127.0.0.1', env: { MLOPS_DRIFT_WEBHOOK_URL: hookUrl, MLOPS_DRIFT_MIN_ROWS: '100' }, ...quiet });
    try {
      await s.ready;
      const post = (rows: object[]): Promise<Response> =>
        fetch(`${s.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dataframe_records: rows }) });
      // In-distribution traffic first: no alert.
      // A fresh sample from the training distribution (another seed).
      const lines = syntheticCsv(300, 99)
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
      const same = lines.map((f) => ({ a: Number(f[1]), b: f[2] === '' ? null : Number(f[2]), c: f[3], d: f[4], when: f[5] }));
      expect((await post(same)).status).toBe(200);
      await s.app.flush();
      type Report = { features: { feature: string; psi: number; drifted: boolean }[] };
      let drift = (await (await fetch(`${s.url}/drift`)).json()) as Report;
      const aPsi = drift.features.find((f) => f.feature === 'a')!.psi;
      expect(aPsi).toBeLessThan(0.2);
      expect(received).toHaveLength(0);
      // Shift 'a' far to the right: its PSI crosses 0.2; the others stay put.
      for (let k = 0; k < 2; k++) expect((await post(same.map((r) => ({ ...r, a: r.a + 6 })))).status).toBe(200);
      await s.app.flush();
      drift = (await (await fetch(`${s.url}/drift`)).json()) as Report;
      const a = drift.features.find((f) => f.feature === 'a')!;
      expect(a.psi).toBeGreaterThan(0.2);
      expect(a.drifted).toBe(true);
      expect(drift.features.find((f) => f.feature === 'c')!.drifted).toBe(false);
      expect(received).toHaveLength(1);
      expect(received[0]!.text).toMatch(/feature 'a' PSI \d+\.\d+ > 0\.2/);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/mlops_feature_drift_psi\{feature="a"\} (\d+\.\d+)/);
      expect(Number(/mlops_feature_drift_psi\{feature="a"\} ([\d.]+)/.exec(metrics)![1])).toBeGreaterThan(0.2);
    } finally {
      await s.close();
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });
});
