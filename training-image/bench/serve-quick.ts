/**
 * Quick A/B harness for iterating on the scoring server (not the documented
 * benchmark: that is serve-bench.ts). Trains the bike-sharing GBDT once into
 * a cached directory, then alternates short autocannon runs against our
 * server and the bare node:http constant server and prints medians and the
 * ratio; or, with --soak N, samples the server's RSS every second under a
 * fixed rate.
 *
 *   node dist/bench/serve-quick.js [--model-dir /tmp/x] [--duration 5] [--reps 3] [--connections 10]
 *       [--node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"] [--soak 60 --rate 4000] [--log-level info]
 */
import autocannon from 'autocannon';
import * as fs from 'fs';
import * as path from 'path';
import { writeModelDir } from '../src/artifacts/modeldir';
import { readCsvFile } from '../src/data/csv';
import { toFrame } from '../src/data/frame';
import { trainModel } from '../src/models/train';
import { findDataset } from './datasets';
import { ServerProcess, startServer } from './server-process';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'mlops.js');
/** Bike-sharing hour.csv: the shared copy, else examples/demand-forecast/data (bench/datasets.ts). */
const BIKE = findDataset('bikeHour');

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const MODEL_DIR = opt('model-dir', '/tmp/mlops-serve-quick/bike-gbdt');
const DURATION = Number(opt('duration', '5'));
const REPS = Number(opt('reps', '3'));
const CONNECTIONS = Number(opt('connections', '10'));
const NODE_ARGS = opt('node-args', '').split(' ').filter(Boolean);
const SOAK = Number(opt('soak', '0'));
const RATE = Number(opt('rate', '0'));
const LOG_LEVEL = opt('log-level', 'info');
const ONLY = opt('only', '');
const VARIANT = process.argv.includes('--variant');

function ensureModel(): Record<string, unknown> {
  const rowFile = path.join(path.dirname(MODEL_DIR), 'row.json');
  if (fs.existsSync(path.join(MODEL_DIR, 'manifest.json')) && fs.existsSync(rowFile)) return JSON.parse(fs.readFileSync(rowFile, 'utf8')) as Record<string, unknown>;
  if (BIKE.file === null) throw new Error(`serve-quick needs bike-sharing hour.csv: ${BIKE.reason}`);
  const HOUR = BIKE.file;
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
  fs.rmSync(MODEL_DIR, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(MODEL_DIR), { recursive: true });
  writeModelDir(MODEL_DIR, {
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
  const i = table.rows - 1;
  const row: Record<string, unknown> = {};
  table.header.forEach((h, c) => {
    if (['instant', 'casual', 'registered', 'cnt'].includes(h)) return;
    const v = table.columns[c]![i]!;
    row[h] = h === 'dteday' ? v : Number(v);
  });
  fs.writeFileSync(rowFile, JSON.stringify(row));
  return row;
}

type Child = ServerProcess;

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const memLog = process.env.V_MEM_LOG;
  return startServer(cmd, args, env, memLog ? { onStderr: (c) => fs.appendFileSync(memLog, c) } : {});
}

async function run(url: string, body: string, seconds: number, overallRate?: number): ReturnType<typeof autocannon> {
  return autocannon({
    url: `${url}/invocations`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
    ...(overallRate ? { overallRate } : {}),
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number, which: 'all' | 'user' | 'sys' = 'all'): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const u = Number(f[11]);
  const k = Number(f[12]);
  return ((which === 'user' ? u : which === 'sys' ? k : u + k) * 1000) / 100;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const row = ensureModel();
  const body = JSON.stringify({ instances: [row] });
  const ours = VARIANT
    ? await start(process.execPath, [...NODE_ARGS, path.join(ROOT, 'dist', 'bench', 'serve-variant.js'), MODEL_DIR], { MLOPS_LOG_LEVEL: LOG_LEVEL })
    : await start(process.execPath, [...NODE_ARGS, BIN, 'serve', '--model', MODEL_DIR, '--port', '0', '--host', '127.0.0.1'], { MLOPS_LOG_LEVEL: LOG_LEVEL });
  if (SOAK > 0) {
    await run(ours.url, body, 10, RATE);
    const samples: string[] = [];
    const t = setInterval(() => samples.push(rssMb(ours.child.pid!).toFixed(1)), 1000);
    const r0 = rssMb(ours.child.pid!);
    const r = await run(ours.url, body, SOAK, RATE);
    clearInterval(t);
    const r1 = rssMb(ours.child.pid!);
    console.log(`soak ${SOAK}s @${RATE}: rps ${r.requests.average} errors ${r.errors + r.timeouts} non2xx ${r.non2xx} p99 ${r.latency.p99}`);
    console.log(`RSS ${r0.toFixed(1)} -> ${r1.toFixed(1)} MB (${((r1 / r0 - 1) * 100).toFixed(1)}%)`);
    console.log(`RSS/s: ${samples.join(' ')}`);
    await ours.stop();
    return;
  }
  const bare = ONLY === 'ours' ? null : await start(process.execPath, [path.join(ROOT, 'dist', 'bench', 'serve-constant.js'), '0']);
  await run(ours.url, body, 2);
  if (bare) await run(bare.url, body, 2);
  if (RATE > 0 && !bare) {
    const r = await run(ours.url, body, DURATION, RATE);
    console.log(`ours at ${RATE}/s: ${r.requests.total} requests`);
    await ours.stop();
    return;
  }
  if (RATE > 0 && bare) {
    // CPU per request at a fixed rate: robust on a busy machine (throughput is not).
    const co: number[] = [];
    const cb: number[] = [];
    for (let i = 0; i < REPS; i++) {
      for (const [s, acc] of [
        [ours, co],
        [bare, cb],
      ] as const) {
        const c0 = cpuMs(s.child.pid!);
        const k0 = cpuMs(s.child.pid!, 'sys');
        const r = await run(s.url, body, DURATION, RATE);
        acc.push(((cpuMs(s.child.pid!) - c0) * 1000) / r.requests.total);
        console.log(
          `  ${s === ours ? 'ours' : 'bare'}: ${r.requests.total} requests, sys µs/request ${(((cpuMs(s.child.pid!, 'sys') - k0) * 1000) / r.requests.total).toFixed(1)}`,
        );
      }
      console.log(`rep ${i}: CPU µs/request ours ${co[i]!.toFixed(1)} bare ${cb[i]!.toFixed(1)} → throughput ratio ≈ ${((100 * cb[i]!) / co[i]!).toFixed(1)}%`);
    }
    console.log(`median CPU µs/request ours ${median(co).toFixed(1)} bare ${median(cb).toFixed(1)} → ≈ ${((100 * median(cb)) / median(co)).toFixed(1)}%`);
    await ours.stop();
    await bare.stop();
    return;
  }
  const o: number[] = [];
  const b: number[] = [];
  const p: string[] = [];
  for (let i = 0; i < REPS; i++) {
    const ro = await run(ours.url, body, DURATION);
    o.push(ro.requests.average);
    p.push(`${ro.latency.p50}/${ro.latency.p99}`);
    if (bare) b.push((await run(bare.url, body, DURATION)).requests.average);
    console.log(`rep ${i}: ours ${o[i]} (p50/p99 ${p[i]} ms, non2xx ${ro.non2xx})${bare ? ` bare ${b[i]} ratio ${((100 * o[i]!) / b[i]!).toFixed(1)}%` : ''}`);
  }
  console.log(`median ours ${median(o)}${bare ? ` bare ${median(b)} ratio ${((100 * median(o)) / median(b)).toFixed(1)}%` : ''}`);
  await ours.stop();
  await bare?.stop();
}

void main();
