/**
 * Serving benchmark (issue 4): our server's single-row /invocations latency
 * and maximum throughput for the GBDT model trained on bike-sharing, beside
 * a bare node:http constant server (the ceiling), the same app behind
 * fastify (the framework choice), and a Python reference (scikit-learn
 * HistGradientBoosting behind Flask, Debian packages, /usr/bin/python3); then
 * a 60-second soak at 80% of our maximum. Every server runs in its own
 * process; the load generator (autocannon) runs here, on 127.0.0.1 only.
 *
 * The node servers (ours, ours with the access log off, fastify, bare) run
 * side by side and are loaded in turn for --reps rounds; each figure is the
 * median of its rounds, so a change of machine load hits all of them alike.
 *
 *   npm run bench:serve -w training-image [-- --duration 10 --soak 60 --connections 10 --reps 3]
 */
import autocannon from 'autocannon';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { writeModelDir } from '../src/artifacts/modeldir';
import { readCsvFile } from '../src/data/csv';
import { toFrame } from '../src/data/frame';
import { trainModel } from '../src/models/train';
import { findDataset } from './datasets';
import { ServerProcess, startServer } from './server-process';

const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');
const BIN = path.join(ROOT, 'bin', 'mlops.js');
const DIST_BENCH = path.join(ROOT, 'dist', 'bench');
const PY = '/usr/bin/python3';
const APT = 'apt-get update && apt-get install -y python3-flask python3-sklearn python3-pandas';
/** Bike-sharing hour.csv: the shared copy, else examples/demand-forecast/data (bench/datasets.ts). */
const BIKE = findDataset('bikeHour');
const HOUR = BIKE.file ?? '';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const DURATION = arg('duration', 10);
const SOAK = arg('soak', 60);
const CONNECTIONS = arg('connections', 10);
/** Throughput rounds: the node servers are loaded in turn, round after round, and medians are reported (a shared machine's load changes between runs). */
const REPS = Math.max(1, arg('reps', 3));

type Server = ServerProcess;

function startChild(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Server> {
  return startServer(cmd, args, env);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** CPU time (user + system) of a process so far, in ms (Linux /proc; NaN elsewhere). */
function cpuMs(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Sequential single-connection latency with a keep-alive agent (sub-ms resolution). */
async function sequentialLatency(url: string, body: string, n: number): Promise<{ p50: number; p99: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(`${url}/invocations`);
  const times: number[] = [];
  let errors = 0;
  for (let i = 0; i < n + 200; i++) {
    const t0 = process.hrtime.bigint();
    const status = await new Promise<number>((resolve) => {
      const req = http.request(
        { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (status !== 200) errors++;
    if (i >= 200) times.push(ms); // the first 200 are warm-up
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]!, errors };
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

async function load(url: string, body: string, seconds: number, connections: number, overallRate?: number): Promise<Load> {
  const r = await autocannon({
    url: `${url}/invocations`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
    ...(overallRate ? { overallRate } : {}),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, total: r.requests.total };
}

async function warm(url: string, body: string): Promise<void> {
  await load(url, body, 2, CONNECTIONS);
}

function trainBikeModel(dir: string): { ms: number; row: Record<string, unknown> } {
  const t0 = Date.now();
  const table = readCsvFile(HOUR);
  const frame = toFrame(table);
  const r = trainModel({
    frame,
    target: 'cnt',
    task: 'regression',
    model: 'gbdt',
    params: { maxIter: 100 },
    seed: 0,
    features: { exclude: ['instant', 'casual', 'registered'] },
    holdout: 0,
  });
  const tr = r.trained;
  writeModelDir(dir, {
    model: r.model,
    estimator: tr.estimator.name,
    task: tr.task,
    target: 'cnt',
    modelJson: tr.estimator.toJSON(),
    transforms: { features: tr.pipeline.toJSON(), target: tr.target },
    metrics: r.metrics,
    featureImportance: r.importance,
    fingerprint: { sha256: 'bench', rows: frame.rows, cols: frame.names.length, source: HOUR },
    extra: { 'profile.json': r.profile },
  });
  // One real row (the last hour of the data), target and dropped columns removed.
  const i = table.rows - 1;
  const row: Record<string, unknown> = {};
  table.header.forEach((h, c) => {
    if (['instant', 'casual', 'registered', 'cnt'].includes(h)) return;
    const v = table.columns[c]![i]!;
    row[h] = h === 'dteday' ? v : Number(v);
  });
  return { ms: Date.now() - t0, row };
}

function pythonOk(): boolean {
  return spawnSync(PY, ['-c', 'import flask, sklearn, pandas'], { encoding: 'utf8' }).status === 0;
}

function f(v: number | null, d = 2): string {
  return v === null || !Number.isFinite(v) ? 'n/a' : v >= 1000 ? v.toFixed(0) : v.toFixed(d);
}

async function main(): Promise<void> {
  if (BIKE.file === null) {
    console.error(`The serving benchmark needs bike-sharing hour.csv: ${BIKE.reason}.`);
    process.exitCode = 1;
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-serve-bench-'));
  const modelDir = path.join(tmp, 'bike-gbdt');
  console.log(
    `Serving benchmark — node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'}), autocannon ${CONNECTIONS} connections × ${DURATION} s, loopback only.`,
  );
  const { ms, row } = trainBikeModel(modelDir);
  console.log(`Data: ${HOUR} (${BIKE.source} copy).`);
  console.log(`Trained GBDT (HistGradientBoostingRegressor, 100 iterations) on bike-sharing hour.csv in ${(ms / 1000).toFixed(1)} s.`);
  const body = JSON.stringify({ instances: [row] });
  console.log(`Payload (${body.length} bytes): ${body}`);
  const servers: Server[] = [];
  const results: Record<string, { lat?: { p50: number; p99: number }; load?: Load; note?: string }> = {};
  const start = async (name: string, how: () => Promise<Server>): Promise<Server | null> => {
    try {
      const srv = await how();
      servers.push(srv);
      await warm(srv.url, body);
      return srv;
    } catch (e) {
      results[name] = { note: (e as Error).message.split('\n')[0] };
      return null;
    }
  };
  const show = (name: string): void => {
    const r = results[name];
    if (!r?.load) return;
    const l = r.load;
    const lat = r.lat;
    console.log(
      `  ${name}: ${f(l.rps, 0)} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms under load${lat ? `; single connection p50 ${f(lat.p50, 3)} ms, p99 ${f(lat.p99, 3)} ms` : ''}; errors ${l.errors}, non-2xx ${l.non2xx}`,
    );
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  try {
    // Our server (node:http), the default configuration (JSON access log on stdout for every request).
    const ours = await start('ours (node:http)', async () =>
      startChild(process.execPath, [BIN, 'serve', '--model', modelDir, '--port', String(await freePort()), '--host', '127.0.0.1']),
    );
    const oursQuiet = await start('ours (node:http, MLOPS_LOG_LEVEL=warn)', async () =>
      startChild(process.execPath, [BIN, 'serve', '--model', modelDir, '--port', String(await freePort()), '--host', '127.0.0.1'], { MLOPS_LOG_LEVEL: 'warn' }),
    );
    const fst = await start('ours (fastify)', async () => startChild(process.execPath, [path.join(DIST_BENCH, 'serve-fastify.js'), modelDir, String(await freePort())]));
    const bare = await start('bare node:http constant', async () => startChild(process.execPath, [path.join(DIST_BENCH, 'serve-constant.js'), String(await freePort())]));
    const lat = ours ? await sequentialLatency(ours.url, body, 3000) : undefined;
    const nodeServers: [string, Server | null][] = [
      ['ours (node:http)', ours],
      ['ours (node:http, MLOPS_LOG_LEVEL=warn)', oursQuiet],
      ['ours (fastify)', fst],
      ['bare node:http constant', bare],
    ];
    const rounds = new Map<string, Load[]>();
    // Server CPU time per request (user + system, from /proc): steadier than req/s on a shared machine.
    const cpuPerRequest = new Map<string, number[]>();
    for (let rep = 0; rep < REPS; rep++) {
      const line: string[] = [];
      for (const [name, srv] of nodeServers) {
        if (!srv) continue;
        const c0 = cpuMs(srv.child.pid!);
        const l = await load(srv.url, body, DURATION, CONNECTIONS);
        const cpu = ((cpuMs(srv.child.pid!) - c0) * 1000) / l.total;
        rounds.set(name, [...(rounds.get(name) ?? []), l]);
        cpuPerRequest.set(name, [...(cpuPerRequest.get(name) ?? []), cpu]);
        line.push(`${name.replace(/^ours \((.*)\)$/, '$1')} ${f(l.rps, 0)}${Number.isFinite(cpu) ? ` (${cpu.toFixed(1)} µs CPU)` : ''}`);
      }
      console.log(`  round ${rep + 1}/${REPS} (req/s, server CPU per request): ${line.join(', ')}`);
    }
    for (const [name, ls] of rounds) {
      // The median round by throughput (its latencies and errors come with it); errors are summed over rounds.
      const mid = [...ls].sort((a, b) => a.rps - b.rps)[Math.floor(ls.length / 2)]!;
      results[name] = {
        ...(name === 'ours (node:http)' && lat ? { lat } : {}),
        load: { ...mid, rps: median(ls.map((l) => l.rps)), errors: ls.reduce((a, l) => a + l.errors, 0), non2xx: ls.reduce((a, l) => a + l.non2xx, 0) },
      };
      show(name);
    }
    for (const srv of [oursQuiet, fst, bare]) await srv?.stop();
    if (pythonOk()) {
      const py = await start('python sklearn HGB + flask', async () => startChild(PY, [path.join(ROOT, 'bench', 'serve-ref.py'), HOUR, String(await freePort())]));
      if (py) {
        const plat = await sequentialLatency(py.url, body, 3000);
        results['python sklearn HGB + flask'] = { lat: plat, load: await load(py.url, body, DURATION, CONNECTIONS) };
        show('python sklearn HGB + flask');
        await py.stop();
      }
    } else {
      results['python sklearn HGB + flask'] = { note: `python3-flask/sklearn/pandas missing: ${APT}` };
      console.log(`  python reference skipped: install it with: ${APT}`);
    }
    // Soak: 60 s at 80% of our maximum, on the same server process.
    let soak: { load: Load; rate: number; rss0: number; rss1: number } | null = null;
    if (ours && results['ours (node:http)']?.load) {
      const rate = Math.floor(results['ours (node:http)'].load.rps * 0.8);
      // 10 s at the soak rate first, so V8 has sized its heap (young generation) for this allocation rate; then the soak proper.
      console.log(`  soak: 10 s warm-up, then ${SOAK} s at ${rate} req/s (80% of max)…`);
      await load(ours.url, body, 10, CONNECTIONS, rate);
      const rss0 = rssKb(ours.child.pid!);
      const samples: number[] = [rss0];
      const timer = setInterval(() => samples.push(rssKb(ours.child.pid!)), 1000);
      const l = await load(ours.url, body, SOAK, CONNECTIONS, rate);
      clearInterval(timer);
      const rss1 = rssKb(ours.child.pid!);
      samples.push(rss1);
      console.log(`  soak RSS every second (MB): ${samples.map((x) => (x / 1024).toFixed(1)).join(' ')}`);
      soak = { load: l, rate, rss0, rss1 };
    }
    await ours?.stop();

    const o = results['ours (node:http)']?.load;
    const oq = results['ours (node:http, MLOPS_LOG_LEVEL=warn)']?.load;
    const fz = results['ours (fastify)']?.load;
    const b = results['bare node:http constant']?.load;
    const p = results['python sklearn HGB + flask'];
    const rows: [string, string, string, string, string][] = [];
    const pass = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'PASS' : 'FAIL');
    const ol = results['ours (node:http)']?.lat;
    rows.push([
      'single-row latency, 1 connection: p50 / p99 (ms)',
      ol ? `${f(ol.p50, 3)} / ${f(ol.p99, 3)}` : 'n/a',
      p?.lat ? `${f(p.lat.p50, 3)} / ${f(p.lat.p99, 3)} (python)` : 'n/a',
      'p99 lower than python',
      pass(ol && p?.lat ? ol.p99 < p.lat.p99 : null),
    ]);
    rows.push([
      `latency under load (${CONNECTIONS} conn): p50 / p99 (ms)`,
      o ? `${o.p50} / ${o.p99}` : 'n/a',
      p?.load ? `${p.load.p50} / ${p.load.p99} (python)` : 'n/a',
      'p99 lower than python',
      pass(o && p?.load ? o.p99 < p.load.p99 : null),
    ]);
    rows.push([
      `max throughput (req/s, median of ${REPS} rounds)`,
      o ? f(o.rps, 0) : 'n/a',
      b ? `${f(b.rps, 0)} (bare node:http)` : 'n/a',
      '≥ 60% of bare',
      b && o ? `${pass(o.rps >= 0.6 * b.rps)} (${((100 * o.rps) / b.rps).toFixed(0)}%)` : 'n/a',
    ]);
    if (oq && b)
      rows.push([
        'max throughput, access log off (req/s)',
        f(oq.rps, 0),
        `${f(b.rps, 0)} (bare node:http)`,
        '≥ 60% of bare',
        `${pass(oq.rps >= 0.6 * b.rps)} (${((100 * oq.rps) / b.rps).toFixed(0)}%)`,
      ]);
    const oc = cpuPerRequest.get('ours (node:http)');
    const bc = cpuPerRequest.get('bare node:http constant');
    if (oc && bc && Number.isFinite(median(oc)) && Number.isFinite(median(bc))) {
      rows.push([
        `server CPU per request under load (µs, median of ${REPS})`,
        f(median(oc), 1),
        `${f(median(bc), 1)} (bare node:http)`,
        '(context)',
        `bare/ours ${((100 * median(bc)) / median(oc)).toFixed(0)}%`,
      ]);
    }
    rows.push([
      'vs python (req/s)',
      o ? f(o.rps, 0) : 'n/a',
      p?.load ? `${f(p.load.rps, 0)} (python)` : (p?.note ?? 'n/a'),
      '≥ 10× python',
      o && p?.load ? `${pass(o.rps >= 10 * p.load.rps)} (${(o.rps / p.load.rps).toFixed(1)}×)` : 'n/a',
    ]);
    rows.push([
      'framework: node:http vs fastify (req/s)',
      o ? f(o.rps, 0) : 'n/a',
      fz ? `${f(fz.rps, 0)} (fastify)` : 'n/a',
      'pick the faster',
      o && fz ? `node:http ${o.rps >= fz.rps ? 'faster' : 'slower'} by ${((100 * Math.abs(o.rps - fz.rps)) / fz.rps).toFixed(0)}%` : 'n/a',
    ]);
    if (soak) {
      const growth = (soak.rss1 / soak.rss0 - 1) * 100;
      const errs = soak.load.errors + soak.load.non2xx;
      rows.push([`soak ${SOAK} s at ${soak.rate} req/s: errors`, `${errs} of ${soak.load.total}`, '', '0', pass(errs === 0)]);
      rows.push([
        'soak: RSS start → end (MB), growth',
        `${(soak.rss0 / 1024).toFixed(1)} → ${(soak.rss1 / 1024).toFixed(1)}, ${growth.toFixed(1)}%`,
        '',
        '< 10%',
        pass(growth < 10),
      ]);
      rows.push(['soak: achieved rate, p99 (ms)', `${f(soak.load.rps, 0)} req/s, p99 ${soak.load.p99}`, '', '', '']);
    }
    const head: [string, string, string, string, string] = ['figure', 'ours', 'reference', 'target', 'result'];
    const all = [head, ...rows];
    const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
    console.log('');
    for (const r of all) console.log(r.map((c, i) => c.padEnd(w[i]!)).join(' | '));
  } finally {
    for (const s of servers) await s.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
