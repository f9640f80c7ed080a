/**
 * Child process of the ML benchmark's scale case: loads the 1M-row matrix,
 * fits our gradient boosting, and prints fit times and peak memory (maxRSS)
 * as JSON, so that the memory figure is this fit's alone.
 */
import * as path from 'path';
import { HistGradientBoostingRegressor } from '../src/trees';
import { readF64 } from './data';

function main(): void {
  const [dir, colsArg, repeatsArg, threadsArg] = process.argv.slice(2);
  const cols = Number(colsArg);
  const repeats = Number(repeatsArg ?? 1);
  const Xd = readF64(path.join(dir!, 'scale.Xtr.f64'));
  const y = readF64(path.join(dir!, 'scale.ytr.f64'));
  const Xte = readF64(path.join(dir!, 'scale.Xte.f64'));
  const yte = readF64(path.join(dir!, 'scale.yte.f64'));
  const X = { rows: y.length, cols, data: Xd };
  const times: number[] = [];
  let model: HistGradientBoostingRegressor | null = null;
  let phases: Record<string, number> = {};
  for (let r = 0; r < repeats; r++) {
    model = new HistGradientBoostingRegressor({ maxIter: 100, earlyStopping: false, nThreads: threadsArg ? Number(threadsArg) : null });
    const t0 = performance.now();
    model.fit(X, y);
    times.push((performance.now() - t0) / 1000);
    phases = model.timings;
  }
  const p = model!.predict({ rows: yte.length, cols, data: Xte });
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - yte[i]!) ** 2;
  const rss = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ times, rmse: Math.sqrt(s / p.length), maxRssMB: rss, phases }) + '\n');
}

main();
