/**
 * Child process of the ML benchmark: fits one of our models on a matrix the
 * parent wrote (raw little-endian doubles, see data.ts), once, and prints
 * the fit time, the test RMSE, the peak memory (maxRSS) of this process —
 * so the memory figure is this fit's alone — the per-phase timings and the
 * threading as JSON.
 *
 *   node scale-child.js <dir> <case> <model>   (model: hgb | rf)
 *
 * The training matrix is read into shared memory, as a caller holding its
 * data in a SharedArrayBuffer would hand it over.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Estimator } from '../src/core/estimator';
import { HistGradientBoostingRegressor, RandomForestRegressor } from '../src/trees';
import { readF64 } from './data';

/** What the child prints (one JSON line). */
export interface ChildResult {
  readonly seconds: number;
  readonly rmse: number;
  readonly maxRssMB: number;
  readonly phases: Record<string, number>;
  readonly threading: { threads: number; treesAlone: number } | null;
}

function main(): void {
  const [dir, kase, model] = process.argv.slice(2) as [string, string, string];
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'))[kase] as { cols: number } | undefined;
  if (!meta) throw new Error(`scale-child: case ${kase} is not in ${path.join(dir, 'meta.json')}`);
  const cols = meta.cols;
  const file = (part: string): string => path.join(dir, `${kase}.${part}.f64`);
  const Xd = readF64(file('Xtr'), true);
  const y = readF64(file('ytr'), true);
  const X = { rows: y.length, cols, data: Xd };
  let m: Estimator & { timings?: Record<string, number>; threading?: { threads: number; treesAlone: number } };
  if (model === 'hgb') m = new HistGradientBoostingRegressor({ maxIter: 100, earlyStopping: false });
  else if (model === 'rf') m = new RandomForestRegressor({ randomState: 0 });
  else throw new Error(`scale-child: model must be hgb or rf, got ${model}`);
  const t0 = performance.now();
  m.fit(X, y);
  const seconds = (performance.now() - t0) / 1000;
  const Xte = readF64(file('Xte'));
  const yte = readF64(file('yte'));
  const p = m.predict({ rows: yte.length, cols, data: Xte });
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - yte[i]!) ** 2;
  const out: ChildResult = {
    seconds,
    rmse: Math.sqrt(s / p.length),
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    phases: m.timings ?? {},
    threading: m.threading ?? null,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main();
