/**
 * In-process micro-benchmark of the scoring app (no HTTP): µs per
 * single-row /invocations dispatch, for profiling the per-request JS cost.
 *   node dist/bench/serve-micro.js [--n 200000] [--log]   (model from serve-quick's cache)
 */
import * as fs from 'fs';
import * as path from 'path';
import { ScoringApp } from '../src/serve/app';
import { serveConfig } from '../src/serve/config';
import { Logger } from '../src/serve/log';
import { loadServingModel } from '../src/serve/model';

const MODEL_DIR = '/tmp/mlops-serve-quick/bike-gbdt';
const n = Number(process.argv[process.argv.indexOf('--n') + 1] || 200000) || 200000;
const row = JSON.parse(fs.readFileSync(path.join(path.dirname(MODEL_DIR), 'row.json'), 'utf8')) as Record<string, unknown>;
const body = Buffer.from(JSON.stringify({ instances: [row] }));
const logOn = process.argv.includes('--log');
const app = new ScoringApp({ config: serveConfig({}), logger: logOn ? new Logger('info') : new Logger('silent'), processMetrics: false });
app.setModel(loadServingModel(MODEL_DIR));
const headers = { 'content-type': 'application/json', host: '127.0.0.1', 'content-length': String(body.length) };
let sink = 0;
function once(): void {
  const r = app.dispatch({ method: 'POST', url: '/invocations', headers, body });
  if (r instanceof Promise) throw new Error('async');
  if (r.status !== 200) throw new Error(r.body);
  sink += Buffer.byteLength(r.body);
}
for (let i = 0; i < 20000; i++) once();
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) once();
const us = Number(process.hrtime.bigint() - t0) / 1e3 / n;
process.stderr.write(`${us.toFixed(2)} µs per dispatch (${n} calls, ${sink} bytes)\n`);
