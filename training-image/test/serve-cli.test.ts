/**
 * The real `mlops serve` process (built CLI, spawned): SIGTERM with requests
 * in flight — they complete, then the process exits 0; start-up errors.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { GOOD_ROW, makeModelDir } from './serve-fixtures';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'mlops.js');
const BUILT = path.join(ROOT, 'dist', 'src', 'cli', 'serve.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-serve-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  if (!fs.existsSync(BUILT)) throw new Error(`The CLI is not built (${BUILT} is missing): run \`npm run build\` in training-image first (npm test does).`);
});

/** Spawns `mlops serve` and resolves with its URL once it reports ready. */
function spawnServe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string; exit: Promise<number | null>; stderr: () => string; stdout: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '',
    err = '';
  child.stdout!.on('data', (c) => (out += c));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mlops serve did not report "ready on <address>; local URL <url>" within 20 s:\n${err}`));
    }, 20000);
    child.stderr!.on('data', (c) => {
      err += c;
      const m = /ready on .*; local URL (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, exit, stderr: () => err, stdout: () => out });
      }
    });
    exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mlops serve exited with ${code} before it was ready:\n${err}`));
    });
  });
}

/** A POST whose body is sent in two parts: it is in flight until `finish()` is called. */
function slowPost(url: string, body: string): { finish(): void; done: Promise<{ status: number; body: string; connection?: string }> } {
  const u = new URL(`${url}/invocations`);
  const half = Math.floor(body.length / 2);
  let req!: http.ClientRequest;
  const done = new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
    req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: b, connection: res.headers.connection }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, half));
  });
  return { finish: () => req.end(body.slice(half)), done };
}

describe('mlops serve (spawned)', () => {
  const model = makeModelDir(path.join(tmp, 'm'));

  test('SIGTERM with requests in flight: they complete with 200, then the process exits 0', async () => {
    const s = await spawnServe(['--model', model, '--port', '0', '--host', '127.0.0.1']);
    const body = JSON.stringify({ instances: Array.from({ length: 50 }, () => GOOD_ROW) });
    const inflight = Array.from({ length: 5 }, () => slowPost(s.url, body));
    await new Promise((r) => setTimeout(r, 200)); // the server has the headers and half of each body
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300)); // draining: no new connections
    await expect(fetch(`${s.url}/ping`)).rejects.toThrow();
    for (const f of inflight) f.finish();
    const results = await Promise.all(inflight.map((f) => f.done));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).predictions).toHaveLength(50);
      expect(r.connection).toBe('close');
    }
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toMatch(/SIGTERM: draining 5 in-flight request/);
    const logs = s
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; status?: number });
    expect(logs.filter((l) => l.msg === 'request' && l.status === 200)).toHaveLength(5);
    expect(logs.some((l) => l.msg === 'drained')).toBe(true);
  });

  test('SageMaker start-up: port from SAGEMAKER_BIND_TO_PORT, model from MLOPS_MODEL_DIR; SIGTERM when idle exits 0', async () => {
    const port = await freePort();
    const s = await spawnServe([], { SAGEMAKER_BIND_TO_PORT: String(port), MLOPS_MODEL_DIR: model, MLOPS_HOST: '127.0.0.1' });
    expect(s.url).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(`${s.url}/ping`)).status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  test('the logs name the address the socket is bound to: 0.0.0.0 by default, not the loopback URL', async () => {
    const s = await spawnServe(['--model', model, '--port', '0']); // no --host: the default, every interface
    const loop = await spawnServe(['--model', model, '--port', '0', '--host', '127.0.0.1']).catch((e) => {
      s.child.kill('SIGKILL');
      throw e;
    });
    for (const c of [s, loop]) c.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(await loop.exit).toBe(0);
    const port = Number(new URL(s.url).port);
    expect(s.stderr()).toContain(`listening on 0.0.0.0:${port} (every IPv4 interface); local URL http://127.0.0.1:${port}`);
    expect(s.stderr()).toContain(`ready on 0.0.0.0:${port} (every IPv4 interface)`);
    // JSON logs are flushed by the time the process exits.
    const listening = s
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'listening');
    expect(listening).toMatchObject({ address: '0.0.0.0', port, listen: `0.0.0.0:${port} (every IPv4 interface)`, host: '0.0.0.0' });
    expect(loop.stderr()).toMatch(/listening on 127\.0\.0\.1:\d+; local URL http:\/\/127\.0\.0\.1:\d+/);
  });

  test('start-up errors are clear: a missing model exits 1, a bad port or variable exits 2', () => {
    const run = (args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; err: string } => {
      const r = spawnSync(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20000 });
      return { status: r.status, err: r.stderr };
    };
    const missing = run(['--model', path.join(tmp, 'nope'), '--port', '0', '--host', '127.0.0.1']);
    expect(missing.status).toBe(1);
    expect(missing.err).toMatch(/does not exist/);
    const port = run(['--model', model, '--port', 'eighty']);
    expect(port.status).toBe(2);
    expect(port.err).toMatch(/--port must be an integer/);
    const bad = run(['--model', model, '--port', '0'], { MLOPS_MAX_ROWS: '-3' });
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/MLOPS_MAX_ROWS="-3" is not valid/);
    expect(run(['--help']).status).toBe(0);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}
