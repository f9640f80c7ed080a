/**
 * What the scoring server's logs say about refused requests: their shape
 * (codes, payload paths, size, media type) by default, never the values the
 * client sent — a marker string sent in many malformed ways must not reach
 * the logs at the default level — and the values only with the documented
 * opt-in (MLOPS_LOG_REQUEST_VALUES=true / --log-request-values).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LogEntry, loadServingModel, redactPath, serveConfig, ServeConfigError, startServer } from '../src/serve';
import { SERVE_HELP } from '../src/cli/serve';
import { GOOD_ROW, makeModelDir } from './serve-fixtures';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'mlops.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-serve-logs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const MODEL = makeModelDir(path.join(tmp, 'reg'));

/** Stands for personal data in a request. */
const MARKER = 'PII7f3a9cSECRET';
/** Any trace of it: error messages may cut it (JSON.parse's snippet) or lower-case it (media types). */
const TRACE = /pii7f3/i;

interface Case {
  readonly name: string;
  readonly url?: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
  /** The error code the server answers with. */
  readonly code: string;
}

const row = (extra: Record<string, unknown>): string => JSON.stringify({ instances: [{ ...GOOD_ROW, ...extra }] });

/** The marker sent in every way a request can be refused for its content. */
const CASES: readonly Case[] = [
  { name: 'not JSON at all', body: MARKER, code: 'BAD_JSON' },
  { name: 'JSON cut off after the value', body: `{"instances": [{"a": "${MARKER}`, code: 'BAD_JSON' },
  { name: 'bare word inside JSON', body: `{"instances": [{"a": ${MARKER}}]}`, code: 'BAD_JSON' },
  { name: 'wrong type (text for a number)', body: row({ a: MARKER }), code: 'WRONG_TYPE' },
  { name: 'wrong type (text for a datetime)', body: row({ when: MARKER }), code: 'WRONG_TYPE' },
  { name: 'category outside the contract', body: row({ c: MARKER }), code: 'UNKNOWN_CATEGORY' },
  { name: 'unknown column named by the marker', body: row({ [MARKER]: 1 }), code: 'UNEXPECTED_COLUMN' },
  {
    name: 'unknown column in dataframe_split',
    body: JSON.stringify({ dataframe_split: { columns: [...Object.keys(GOOD_ROW), `x.${MARKER}[0]`], data: [[...Object.values(GOOD_ROW), 1]] } }),
    code: 'UNEXPECTED_COLUMN',
  },
  {
    name: 'unknown column, columnar inputs',
    body: JSON.stringify({ inputs: { ...Object.fromEntries(Object.entries(GOOD_ROW).map(([k, v]) => [k, [v]])), [MARKER]: ['x'] } }),
    code: 'UNEXPECTED_COLUMN',
  },
  { name: 'unknown top-level key', body: JSON.stringify({ instances: [GOOD_ROW], [MARKER]: 1 }), code: 'BAD_PAYLOAD' },
  { name: 'unknown key in dataframe_split', body: JSON.stringify({ dataframe_split: { columns: ['a'], data: [[1]], [MARKER]: 1 } }), code: 'BAD_PAYLOAD' },
  { name: 'rows that are a string', body: JSON.stringify({ instances: MARKER }), code: 'BAD_PAYLOAD' },
  { name: 'a row that is a string (Vertex)', url: '/predict', body: JSON.stringify({ instances: [GOOD_ROW, MARKER] }), code: 'BAD_PAYLOAD' },
  { name: 'params that are a string', body: JSON.stringify({ instances: [GOOD_ROW], params: MARKER }), code: 'BAD_PAYLOAD' },
  { name: 'CSV: text in a number column (no header)', body: `${MARKER},-1,z,p,2024-02-01 00:00:00\n`, headers: { 'content-type': 'text/csv' }, code: 'WRONG_TYPE' },
  {
    name: 'CSV: category outside the contract (header)',
    body: `a,b,c,d,when\n0.5,-1,${MARKER},p,2024-02-01 00:00:00\n`,
    headers: { 'content-type': 'text/csv' },
    code: 'UNKNOWN_CATEGORY',
  },
  { name: 'CSV: unterminated quote', body: `a,b,c,d,when\n0.5,-1,"${MARKER},p,2024-02-01 00:00:00\n`, headers: { 'content-type': 'text/csv' }, code: 'BAD_CSV' },
  { name: 'CSV: ragged row', body: `a,b,c,d,when\n0.5,-1,z,p,2024-02-01 00:00:00,${MARKER}\n`, headers: { 'content-type': 'text/csv' }, code: 'RAGGED_ROW' },
  { name: 'Content-Type naming the marker', body: row({}), headers: { 'content-type': `application/x-${MARKER}` }, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'charset naming the marker', body: row({}), headers: { 'content-type': `application/json; charset=${MARKER}` }, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'Accept naming the marker', body: row({}), headers: { accept: `application/${MARKER}` }, code: 'NOT_ACCEPTABLE' },
];

/** Sends every case with its own request id; returns the answers by id. */
async function sendAll(base: string): Promise<Map<string, { status: number; body: string; c: Case }>> {
  const out = new Map<string, { status: number; body: string; c: Case }>();
  for (const [i, c] of CASES.entries()) {
    const id = `case-${i}`;
    const r = await fetch(`${base}${c.url ?? '/invocations'}`, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers, 'x-request-id': id }, body: c.body });
    out.set(id, { status: r.status, body: await r.text(), c });
  }
  return out;
}

function spawnServe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string; exit: Promise<number | null>; stdout: () => string; stderr: () => string }> {
  const base = { ...process.env };
  delete base.MLOPS_LOG_LEVEL;
  delete base.MLOPS_LOG_REQUEST_VALUES;
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '',
    err = '';
  child.stdout!.on('data', (c) => (out += c));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mlops serve did not get ready within 20 s:\n${err}`));
    }, 20000);
    child.stderr!.on('data', (c) => {
      err += c;
      const m = /ready on .*; local URL (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, exit, stdout: () => out, stderr: () => err });
      }
    });
    exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mlops serve exited with ${code} before it was ready:\n${err}`));
    });
  });
}

/** Runs the real `mlops serve`, sends every case, stops it; returns its log lines (stdout, JSON) and stderr. */
async function runCases(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ lines: Record<string, unknown>[]; stdout: string; stderr: string; answers: Awaited<ReturnType<typeof sendAll>> }> {
  const s = await spawnServe(['--model', MODEL, '--port', '0', '--host', '127.0.0.1', ...args], env);
  let answers;
  try {
    answers = await sendAll(s.url);
  } finally {
    s.child.kill('SIGTERM');
  }
  expect(await s.exit).toBe(0);
  const lines = s
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, stdout: s.stdout(), stderr: s.stderr(), answers };
}

describe('refused requests in the logs of `mlops serve` (spawned, real port, real stdout)', () => {
  test(`at the default level, at warn and at debug the marker never reaches the logs; each refusal is logged by code, paths and size`, async () => {
    for (const args of [[], ['--log-level', 'warn'], ['--log-level', 'debug']]) {
      const r = await runCases(args);
      expect(r.stdout).not.toMatch(TRACE);
      expect(r.stderr).not.toMatch(TRACE);
      for (const [id, a] of r.answers) {
        expect({ case: a.c.name, status: a.status, code: (JSON.parse(a.body) as { errors: { code: string }[] }).errors[0]!.code }).toEqual({
          case: a.c.name,
          status: a.status,
          code: a.c.code,
        });
        expect(a.status).toBeGreaterThanOrEqual(400);
        expect(a.status).toBeLessThan(500);
        const line = r.lines.find((l) => l.reqId === id && l.msg === 'request');
        expect(line).toMatchObject({ level: 'warn', status: a.status, code: a.c.code, bytes: Buffer.byteLength(a.c.body) });
        expect(line).not.toHaveProperty('error');
      }
      // The shape stays useful: a known column's path is kept, an unknown one is redacted to its length.
      const byName = (n: string): Record<string, unknown> => r.lines.find((l) => l.reqId === `case-${CASES.findIndex((c) => c.name === n)}`)!;
      expect(byName('wrong type (text for a number)').issues).toEqual([{ code: 'WRONG_TYPE', path: 'instances[0].a' }]);
      expect(byName('unknown column named by the marker').issues).toEqual([{ code: 'UNEXPECTED_COLUMN', path: `<${MARKER.length} chars>` }]);
      expect(byName('Content-Type naming the marker').contentType).toBe('other');
      expect(byName('CSV: category outside the contract (header)')).toMatchObject({
        contentType: 'text/csv',
        issues: [{ code: 'UNKNOWN_CATEGORY', path: "csv line 2, column 'c'" }],
      });
    }
  });

  test('the caller still learns what was wrong: the answers may quote the value (cut), the logs do not', async () => {
    const r = await runCases([]);
    const echoed = new Set([...r.answers.values()].filter((a) => TRACE.test(a.body)).map((a) => a.c.name));
    for (const n of [
      'not JSON at all',
      'bare word inside JSON',
      'wrong type (text for a number)',
      'category outside the contract',
      'unknown column named by the marker',
      'CSV: text in a number column (no header)',
      'Content-Type naming the marker',
      'Accept naming the marker',
    ])
      expect([n, echoed.has(n)]).toEqual([n, true]);
    expect(r.stdout).not.toMatch(TRACE);
  });

  test('with MLOPS_LOG_REQUEST_VALUES=true (or --log-request-values) the messages and paths as sent are logged', async () => {
    for (const [args, env] of [
      [[], { MLOPS_LOG_REQUEST_VALUES: 'true' }],
      [['--log-request-values'], {}],
    ] as const) {
      const r = await runCases([...args], env);
      expect(r.stdout).toContain(MARKER);
      for (const [id, a] of r.answers) {
        const line = r.lines.find((l) => l.reqId === id && l.msg === 'request')!;
        expect(typeof line.error).toBe('string');
        // What the caller was told about the marker, the log says too.
        if (TRACE.test((JSON.parse(a.body) as { message: string }).message)) expect([a.c.name, JSON.stringify(line)]).toEqual([a.c.name, expect.stringMatching(TRACE)]);
      }
    }
  });
});

describe('errors inside the server (in-process log sink, real port)', () => {
  test('an internal error is logged with its class and stack frames, its message (which may quote the request) only with the opt-in', async () => {
    const logs = { on: [] as LogEntry[], off: [] as LogEntry[] };
    for (const values of [false, true]) {
      const m = loadServingModel(MODEL);
      const predict = m.predict.bind(m);
      // A bug whose message quotes the request.
      m.predict = ((frame: Parameters<typeof predict>[0], params: Parameters<typeof predict>[1]) => {
        if (params && (params as Record<string, unknown>).boom) throw new TypeError(`cannot score ${String((params as Record<string, unknown>).boom)}`);
        return predict(frame, params);
      }) as typeof m.predict;
      const s = await startServer({
        servingModel: m,
        port: 0,
        host: '127.0.0.1',
        processMetrics: false,
        logger: (e) => logs[values ? 'on' : 'off'].push(e),
        env: { MLOPS_LOG_REQUEST_VALUES: String(values) },
      });
      try {
        const r = await fetch(`${s.url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instances: [GOOD_ROW], params: { boom: MARKER } }),
        });
        expect(r.status).toBe(500);
        expect(await r.text()).not.toMatch(TRACE);
        const ok = await fetch(`${s.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [GOOD_ROW] }) });
        expect(ok.status).toBe(200);
      } finally {
        await s.close();
      }
    }
    const internal = (l: LogEntry[]): LogEntry => l.find((e) => e.msg === 'internal error')!;
    expect(JSON.stringify(logs.off)).not.toMatch(TRACE);
    expect(internal(logs.off)).toMatchObject({ level: 'error', error: expect.stringMatching(/^TypeError /) });
    expect(internal(logs.off).stack).toMatch(/^\s+at /);
    expect(internal(logs.on)).toMatchObject({ error: `cannot score ${MARKER}` });
  });

  test('the generic sink gets the same shape-only fields as stdout', async () => {
    const entries: LogEntry[] = [];
    const s = await startServer({ model: MODEL, port: 0, host: '127.0.0.1', processMetrics: false, logger: (e) => entries.push(e), env: {} });
    await s.ready;
    try {
      await sendAll(s.url);
    } finally {
      await s.close();
    }
    expect(JSON.stringify(entries)).not.toMatch(TRACE);
    expect(entries.filter((e) => e.msg === 'request' && e.level === 'warn')).toHaveLength(CASES.length);
  });
});

describe('settings and helpers', () => {
  test('MLOPS_LOG_REQUEST_VALUES: off by default, true/1 on, anything else refused; documented in --help', () => {
    expect(serveConfig({}).logRequestValues).toBe(false);
    expect(serveConfig({ MLOPS_LOG_LEVEL: 'debug' }).logRequestValues).toBe(false);
    expect(serveConfig({ MLOPS_LOG_REQUEST_VALUES: '1' }).logRequestValues).toBe(true);
    expect(serveConfig({ MLOPS_LOG_REQUEST_VALUES: 'true' }).logRequestValues).toBe(true);
    expect(serveConfig({ MLOPS_LOG_REQUEST_VALUES: '0' }).logRequestValues).toBe(false);
    expect(() => serveConfig({ MLOPS_LOG_REQUEST_VALUES: 'yes' })).toThrow(ServeConfigError);
    expect(SERVE_HELP).toMatch(/--log-request-values[\s\S]*MLOPS_LOG_REQUEST_VALUES/);
  });

  test('redactPath keeps indices, protocol keys and known columns; replaces anything else by its length', () => {
    const known = new Set(['a', 'temp', 'c']);
    expect(redactPath('instances[3].temp', known)).toBe('instances[3].temp');
    expect(redactPath('dataframe_split.data[2][1]', known)).toBe('dataframe_split.data[2][1]');
    expect(redactPath("csv line 2, column 'c'", known)).toBe("csv line 2, column 'c'");
    expect(redactPath('csv row 7', known)).toBe('csv row 7');
    expect(redactPath('john@example.com', known)).toBe('<12 chars>.<3 chars>');
    expect(redactPath('Jane Doe', known)).toBe('<8 chars>');
    expect(redactPath('inputs.secret[0]', known)).toBe('inputs.<6 chars>[0]');
    expect(redactPath('x.a[b', known)).toBe('<1 chars>.a<2 chars>');
    expect(redactPath('', known)).toBe('');
  });
});
