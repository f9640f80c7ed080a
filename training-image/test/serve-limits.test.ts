/**
 * Connection limits of the scoring server, over real sockets on a loopback
 * port: the request-head deadline (slowloris: a header line every 300 ms, or
 * nothing at all), the cap on open connections, and that the server keeps
 * answering normal requests afterwards.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { connectionsCheckingInterval, RunningServer, serveConfig, ServeConfigError, SERVE_DEFAULTS, startServer } from '../src/serve';
import { SERVE_HELP } from '../src/cli/serve';
import { GOOD_ROW, makeModelDir } from './serve-fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-serve-limits-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const MODEL = makeModelDir(path.join(tmp, 'reg'));

/** The head deadline the tests configure, and what "promptly" allows beyond it (timers, scheduling, a loaded CI machine). */
const TIMEOUT_MS = 1000;
const SLACK_MS = 700;

/** A raw TCP client: what it received, and when the server closed it. */
interface Raw {
  readonly sock: net.Socket;
  readonly t0: number;
  received(): string;
  /** Resolves with ms since connect when the socket closes, or null after `waitMs`. */
  closedWithin(waitMs: number): Promise<number | null>;
  /** Waits until `re` matches what was received since `from` (characters). */
  waitFor(re: RegExp, from?: number, waitMs?: number): Promise<string>;
}

function raw(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let closedAt: number | null = null;
    const t0 = Date.now();
    const closeWaiters: (() => void)[] = [];
    const dataWaiters: (() => void)[] = [];
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => {
      data += c;
      for (const w of dataWaiters.splice(0)) w();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      closedAt = Date.now() - t0;
      for (const w of closeWaiters.splice(0)) w();
      for (const w of dataWaiters.splice(0)) w();
    });
    sock.once('connect', () =>
      resolve({
        sock,
        t0,
        received: () => data,
        closedWithin: (waitMs) =>
          new Promise((res) => {
            if (closedAt !== null) return res(closedAt);
            const timer = setTimeout(() => res(null), waitMs);
            closeWaiters.push(() => {
              clearTimeout(timer);
              res(closedAt);
            });
          }),
        waitFor: (re, from = 0, waitMs = 5000) =>
          new Promise((res, rej) => {
            const deadline = Date.now() + waitMs;
            const check = (): void => {
              const m = re.exec(data.slice(from));
              if (m) return res(m[0]);
              if (closedAt !== null || Date.now() > deadline) return rej(new Error(`no ${re} in ${JSON.stringify(data.slice(from))} (closed: ${closedAt !== null})`));
              dataWaiters.push(check);
              setTimeout(check, Math.max(0, deadline - Date.now()) + 1).unref();
            };
            check();
          }),
      }),
    );
    sock.once('error', reject);
  });
}

/** Sends the head of a request one header line every `everyMs`, until the socket closes or `maxLines` are sent. */
function trickle(c: Raw, everyMs: number, maxLines = 100): () => void {
  let i = 0;
  c.sock.write('POST /invocations HTTP/1.1\r\nHost: localhost\r\n');
  const timer = setInterval(() => {
    if (c.sock.destroyed || !c.sock.writable || ++i > maxLines) return clearInterval(timer);
    c.sock.write(`x-slow-${i}: ${'a'.repeat(10)}\r\n`);
  }, everyMs);
  return () => clearInterval(timer);
}

const PING = 'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n';

async function scoreOnce(s: RunningServer): Promise<number> {
  const r = await fetch(`${s.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [GOOD_ROW] }) });
  await r.text();
  return r.status;
}

describe('request-head deadline (slowloris)', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await startServer({ model: MODEL, port: 0, host: '127.0.0.1', logger: false, processMetrics: false, env: { MLOPS_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS) } });
    await s.ready;
  });
  afterAll(() => s.close());

  test('a client sending one header line every 300 ms is answered 408 and closed within the timeout (+ slack) of connecting', async () => {
    const c = await raw(s.port);
    const stop = trickle(c, 300);
    const closedAt = await c.closedWithin(TIMEOUT_MS + SLACK_MS);
    stop();
    expect(closedAt).not.toBeNull();
    expect(closedAt!).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(closedAt!).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.received()).toContain('"code":"REQUEST_TIMEOUT"');
  });

  test('a client that connects and sends nothing is closed within the timeout (+ slack)', async () => {
    const c = await raw(s.port);
    const closedAt = await c.closedWithin(TIMEOUT_MS + SLACK_MS);
    expect(closedAt).not.toBeNull();
    expect(closedAt!).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
  });

  test('on a keep-alive connection, a later request whose head trickles in is closed within the timeout (+ slack) of its first byte', async () => {
    const c = await raw(s.port);
    c.sock.write(PING);
    await c.waitFor(/^HTTP\/1\.1 200 [\s\S]*\r\n\r\n\n/);
    // Idle past the deadline first: an idle keep-alive connection is governed by the keep-alive timeout, not this one.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS + 200));
    expect(c.sock.destroyed).toBe(false);
    const from = c.received().length;
    const t1 = Date.now();
    const stop = trickle(c, 300);
    const interval = connectionsCheckingInterval(TIMEOUT_MS);
    const closedAt = await c.closedWithin(TIMEOUT_MS + interval + SLACK_MS);
    stop();
    expect(closedAt).not.toBeNull();
    expect(Date.now() - t1).toBeLessThanOrEqual(TIMEOUT_MS + interval + SLACK_MS);
    expect(c.received().slice(from)).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('a client that sends its head at once is served normally, also after the deadline has passed on its connection', async () => {
    const c = await raw(s.port);
    c.sock.write(PING);
    await c.waitFor(/^HTTP\/1\.1 200 /);
    await new Promise((r) => setTimeout(r, TIMEOUT_MS + 200));
    const from = c.received().length;
    c.sock.write(PING);
    await c.waitFor(/^HTTP\/1\.1 200 /, from);
    c.sock.destroy();
  });

  test('the server stays up: normal requests are answered after the slow clients were cut off', async () => {
    const slow = await Promise.all([raw(s.port), raw(s.port), raw(s.port)]);
    const stops = slow.map((c) => trickle(c, 300));
    expect(await scoreOnce(s)).toBe(200);
    const closed = await Promise.all(slow.map((c) => c.closedWithin(TIMEOUT_MS + SLACK_MS)));
    stops.forEach((f) => f());
    expect(closed.every((t) => t !== null)).toBe(true);
    expect(await scoreOnce(s)).toBe(200);
    expect(s.connections()).toBeLessThanOrEqual(1);
  });
});

describe('connection cap', () => {
  const CAP = 3;
  let s: RunningServer;
  beforeAll(async () => {
    s = await startServer({ model: MODEL, port: 0, host: '127.0.0.1', logger: false, processMetrics: false, env: { MLOPS_MAX_CONNECTIONS: String(CAP) } });
    await s.ready;
  });
  afterAll(() => s.close());

  test(`with a cap of ${CAP}, connection ${CAP + 1} is answered 503 and closed while the ${CAP} others keep being answered; a freed slot is usable again`, async () => {
    const held = await Promise.all(Array.from({ length: CAP }, () => raw(s.port)));
    for (const c of held) c.sock.write(PING);
    for (const c of held) await c.waitFor(/^HTTP\/1\.1 200 /);
    expect(s.connections()).toBe(CAP);

    const extra = await raw(s.port);
    extra.sock.write(PING);
    const closedAt = await extra.closedWithin(3000);
    expect(closedAt).not.toBeNull();
    expect(extra.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(extra.received()).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(extra.received()).toContain('"code":"TOO_MANY_CONNECTIONS"');

    // The held connections are still served (keep-alive), with a scoring request too.
    for (const c of held) {
      const from = c.received().length;
      c.sock.write(PING);
      await c.waitFor(/^HTTP\/1\.1 200 /, from);
    }
    const body = JSON.stringify({ instances: [GOOD_ROW] });
    const from = held[0]!.received().length;
    held[0]!.sock.write(`POST /invocations HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    expect(await held[0]!.waitFor(/^HTTP\/1\.1 \d+/, from)).toBe('HTTP/1.1 200');

    // Free one slot: a new connection is accepted and served.
    held[2]!.sock.destroy();
    for (let i = 0; i < 100 && s.connections() >= CAP; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await scoreOnce(s)).toBe(200);
    for (const c of held) c.sock.destroy();
  });
});

describe('settings', () => {
  test('MLOPS_HEADERS_TIMEOUT_MS and MLOPS_MAX_CONNECTIONS are read, defaulted from SERVE_DEFAULTS, and checked', () => {
    expect(serveConfig({}).limits).toMatchObject({ headersTimeoutMs: SERVE_DEFAULTS.headersTimeoutMs, maxConnections: SERVE_DEFAULTS.maxConnections });
    expect(SERVE_DEFAULTS).toMatchObject({ headersTimeoutMs: 10_000, maxConnections: 1000 });
    expect(serveConfig({ MLOPS_HEADERS_TIMEOUT_MS: '2500', MLOPS_MAX_CONNECTIONS: '64' }).limits).toMatchObject({ headersTimeoutMs: 2500, maxConnections: 64 });
    expect(serveConfig({ MLOPS_MAX_CONNECTIONS: '64' }, { limits: { maxConnections: 8 } }).limits.maxConnections).toBe(8);
    expect(() => serveConfig({ MLOPS_HEADERS_TIMEOUT_MS: '0' })).toThrow(/MLOPS_HEADERS_TIMEOUT_MS="0" is not valid/);
    expect(() => serveConfig({ MLOPS_MAX_CONNECTIONS: 'many' })).toThrow(ServeConfigError);
    expect(() => serveConfig({}, { limits: { maxConnections: 0 } })).toThrow(/maxConnections 0 is not valid/);
  });

  test('mlops serve --help names both settings with their defaults', () => {
    expect(SERVE_HELP).toMatch(/--headers-timeout-ms N(?:(?!\n {2}-)[\s\S])*\(default 10000; MLOPS_HEADERS_TIMEOUT_MS\)/);
    expect(SERVE_HELP).toMatch(/--max-connections N(?:(?!\n {2}-)[\s\S])*\(default 1000; MLOPS_MAX_CONNECTIONS\)/);
  });
});
