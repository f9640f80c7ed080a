/**
 * ML benchmark: our tree models (and logistic regression, when the linear
 * models are built) against scikit-learn and XGBoost on the same encoded data,
 * both sides measured in this run; each figure beside its reference, with the
 * ratio and the target from issue 3.
 *
 *   npm run bench:ml -w training-image [-- --repeats 5 --skip-scale --scale-rows 1000000]
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Matrix } from '../src/core/matrix';
import { Estimator } from '../src/core/estimator';
import { HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestRegressor } from '../src/trees';
import { bikeSharing, friedman1, Split, telcoChurn, writeF64, writeSplit } from './data';
import { findDataset } from './datasets';

const PY = '/usr/bin/python3';
const APT = 'apt-get update && apt-get install -y python3-sklearn python3-xgboost python3-pandas';

interface Row {
  case: string;
  figure: string;
  ours: number | null;
  ref: number | null;
  refName: string;
  target: string;
  pass: boolean | null;
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function rmse(p: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

/** ROC AUC by ranks (ties averaged). */
function auc(score: Float64Array, y: Float64Array): number {
  const idx = Array.from(score.keys()).sort((a, b) => score[a]! - score[b]!);
  const ranks = new Float64Array(score.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && score[idx[j + 1]!] === score[idx[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0;
  let sum = 0;
  for (let i = 0; i < y.length; i++)
    if (y[i] === 1) {
      pos++;
      sum += ranks[i]!;
    }
  const neg = y.length - pos;
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}

function timeFits<E extends Estimator>(make: () => E, X: Matrix, y: Float64Array, repeats: number): { model: E; times: number[] } {
  const times: number[] = [];
  let model = make();
  for (let r = 0; r < repeats; r++) {
    model = make();
    const t0 = performance.now();
    model.fit(X, y);
    times.push((performance.now() - t0) / 1000);
  }
  return { model, times };
}

function pythonOk(): boolean {
  const r = spawnSync(PY, ['-c', 'import sklearn, xgboost, pandas'], { encoding: 'utf8' });
  return r.status === 0;
}

function runPython(dir: string, kase: string, repeats: number): Record<string, any> | null {
  const script = [path.join(__dirname, 'ml_bench.py'), path.resolve(__dirname, '../../bench/ml_bench.py')].find((p) => fs.existsSync(p));
  if (!script) throw new Error('bench/ml_bench.py not found');
  try {
    const out = execFileSync(PY, [script, dir, kase, String(repeats)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    return JSON.parse(out.trim().split('\n').pop()!);
  } catch (e) {
    console.error(`reference side failed for ${kase}: ${(e as Error).message}`);
    return null;
  }
}

function fmtT(v: number[]): string {
  return `${median(v).toFixed(3)} s (runs ${v.map((x) => x.toFixed(2)).join('/')})`;
}

function main(): void {
  const repeats = arg('repeats', 5);
  const scaleRows = arg('scale-rows', 1_000_000);
  const skipScale = process.argv.includes('--skip-scale');
  const dir = path.join(os.tmpdir(), 'cdktf-mlops-ml-bench');
  fs.mkdirSync(dir, { recursive: true });
  const havePy = pythonOk();
  if (!havePy) console.log(`Reference side unavailable: ${PY} lacks scikit-learn/XGBoost/pandas. Install with:\n  ${APT}\n(continuing with our figures only)\n`);
  const load = os.loadavg();
  console.log(`machine: ${os.cpus().length} cores, load average ${load.map((l) => l.toFixed(2)).join(' ')} (timings compare only on an idle machine)`);
  if (load[0]! > 0.5) {
    console.log(
      'WARNING: the machine is busy; fit times (especially the OpenMP reference side, which degrades sharply when cores are shared) are not comparable — rerun when idle.',
    );
  }
  const rows: Row[] = [];
  const meta: Record<string, unknown> = {};
  const add = (r: Row): void => {
    rows.push(r);
  };
  const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a / b);

  // ---- Bike sharing
  const bike = bikeSharing();
  let churn: Split | null = null;
  let churnLin: Split | null = null;
  const bikeAt = findDataset('bikeHour');
  if (!bike) console.log(`SKIPPED bike sharing cases: ${bikeAt.reason}`);
  else {
    console.log(`bike sharing: ${bikeAt.file} (${bikeAt.source})`);
    meta.bike = writeSplit(dir, bike);
  }
  churn = telcoChurn(false);
  churnLin = telcoChurn(true);
  const churnAt = findDataset('telcoChurn');
  if (!churn || !churnLin) console.log(`SKIPPED telco churn cases: ${churnAt.reason}`);
  else {
    console.log(`telco churn: ${churnAt.file} (${churnAt.source})`);
    meta.churn = writeSplit(dir, churn);
    meta['churn-linear'] = writeSplit(dir, churnLin);
  }
  const scaleCols = 20;
  if (!skipScale) {
    const { X, y } = friedman1(scaleRows, scaleCols, 0);
    const te = friedman1(100_000, scaleCols, 1);
    writeF64(path.join(dir, 'scale.Xtr.f64'), X.data);
    writeF64(path.join(dir, 'scale.ytr.f64'), y);
    writeF64(path.join(dir, 'scale.Xte.f64'), te.X.data);
    writeF64(path.join(dir, 'scale.yte.f64'), te.y);
    meta.scale = { name: 'scale', cols: scaleCols, ntr: scaleRows, nte: 100_000 };
  }
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));

  if (bike) {
    console.log(`bike sharing: ${bike.Xtr.rows} train / ${bike.Xte.rows} test rows, ${bike.Xtr.cols} features; ${repeats} repeats each`);
    const ref = havePy ? runPython(dir, 'bike', repeats) : null;
    const hgb = timeFits(() => new HistGradientBoostingRegressor({ randomState: 0 }), bike.Xtr, bike.ytr, repeats);
    const hgbR = rmse(hgb.model.predict(bike.Xte), bike.yte);
    const rf = timeFits(() => new RandomForestRegressor({ randomState: 0 }), bike.Xtr, bike.ytr, Math.max(1, Math.min(repeats, 3)));
    const rfR = rmse(rf.model.predict(bike.Xte), bike.yte);
    console.log(`  ours HGB fit ${fmtT(hgb.times)}, ${hgb.model.nIter} iterations; RF fit ${fmtT(rf.times)}`);
    if (ref) console.log(`  sklearn HGB fit ${fmtT(ref.hgb.times)}, ${ref.hgb.n_iter} iterations; RF fit ${fmtT(ref.rf.times)}; XGBoost fit ${fmtT(ref.xgb.times)}`);
    const rHgbT = ref ? median(ref.hgb.times) : null;
    const rRfT = ref ? median(ref.rf.times) : null;
    add({ case: 'bike', figure: 'GBDT RMSE', ours: hgbR, ref: ref?.hgb.rmse ?? null, refName: 'sklearn HGB', target: '≤ 1.02×', pass: ref ? hgbR <= 1.02 * ref.hgb.rmse : null });
    add({
      case: 'bike',
      figure: 'GBDT fit s',
      ours: median(hgb.times),
      ref: rHgbT,
      refName: 'sklearn HGB',
      target: '≤ 1.0×',
      pass: rHgbT === null ? null : median(hgb.times) <= rHgbT,
    });
    add({ case: 'bike', figure: 'GBDT RMSE', ours: hgbR, ref: ref?.xgb.rmse ?? null, refName: 'XGBoost hist 300', target: '(info)', pass: null });
    add({ case: 'bike', figure: 'GBDT fit s', ours: median(hgb.times), ref: ref ? median(ref.xgb.times) : null, refName: 'XGBoost hist 300', target: '(info)', pass: null });
    add({ case: 'bike', figure: 'RF RMSE', ours: rfR, ref: ref?.rf.rmse ?? null, refName: 'sklearn RF', target: '≤ 1.02×', pass: ref ? rfR <= 1.02 * ref.rf.rmse : null });
    add({
      case: 'bike',
      figure: 'RF fit s',
      ours: median(rf.times),
      ref: rRfT,
      refName: 'sklearn RF n_jobs 2',
      target: '≤ 1.0×',
      pass: rRfT === null ? null : median(rf.times) <= rRfT,
    });
  }

  if (churn && churnLin) {
    console.log(`telco churn: ${churn.Xtr.rows} train / ${churn.Xte.rows} test rows, ${churn.Xtr.cols} features (one-hot)`);
    const ref = havePy ? runPython(dir, 'churn', repeats) : null;
    const hgb = timeFits(() => new HistGradientBoostingClassifier({ randomState: 0 }), churn.Xtr, churn.ytr, repeats);
    const p = hgb.model.predictProba(churn.Xte);
    const a = auc(
      Float64Array.from({ length: p.rows }, (_, i) => p.data[2 * i + 1]!),
      churn.yte,
    );
    add({
      case: 'churn',
      figure: 'GBDT ROC AUC',
      ours: a,
      ref: ref?.hgb.auc ?? null,
      refName: 'sklearn HGB clf',
      target: '≥ ref − 0.005',
      pass: ref ? a >= ref.hgb.auc - 0.005 : null,
    });
    let linAuc: number | null = null;
    try {
      // Optional: the linear models live in src/linear (another part of the runtime).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lin = require('../src/linear') as { LogisticRegression?: new (p?: object) => Estimator & { predictProba(X: Matrix): Matrix } };
      if (lin.LogisticRegression) {
        const m = new lin.LogisticRegression({}).fit(churnLin.Xtr, churnLin.ytr);
        const q = m.predictProba(churnLin.Xte);
        linAuc = auc(
          Float64Array.from({ length: q.rows }, (_, i) => q.data[i * q.cols + q.cols - 1]!),
          churnLin.yte,
        );
      }
    } catch (e) {
      console.log(`  logistic regression not measured: ${(e as Error).message}`);
    }
    add({
      case: 'churn',
      figure: 'Logistic ROC AUC',
      ours: linAuc,
      ref: ref?.logistic.auc ?? null,
      refName: 'sklearn LogisticRegression',
      target: '≥ ref − 0.005',
      pass: linAuc === null || !ref ? null : linAuc >= ref.logistic.auc - 0.005,
    });
  }

  if (!skipScale) {
    console.log(`scale: Friedman #1, ${scaleRows} × ${scaleCols}, 100 iterations, no early stopping`);
    const ref = havePy ? runPython(dir, 'scale', Math.max(1, Math.min(repeats, 3))) : null;
    const child = [path.join(__dirname, 'scale-child.js')].find((p) => fs.existsSync(p));
    let ours: { times: number[]; rmse: number; maxRssMB: number; phases: Record<string, number> } | null = null;
    if (child) {
      const r = spawnSync(process.execPath, [child, dir, String(scaleCols), String(Math.max(1, Math.min(repeats, 3)))], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (r.status === 0) ours = JSON.parse(r.stdout.trim().split('\n').pop()!);
      else console.error(`scale child failed (status ${r.status})`);
    } else console.log('  scale child needs the compiled bench (npm run build); skipped');
    if (ours)
      console.log(
        `  ours fit ${fmtT(ours.times)}; phases ${Object.entries(ours.phases)
          .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`)
          .join(', ')}`,
      );
    if (ref) console.log(`  sklearn HGB fit ${fmtT(ref.hgb.times)}; XGBoost fit ${fmtT(ref.xgb.times)}; python maxRSS ${ref.maxRssMB.toFixed(0)} MB`);
    const oT = ours ? median(ours.times) : null;
    const rT = ref ? median(ref.hgb.times) : null;
    add({ case: 'scale', figure: 'GBDT fit s', ours: oT, ref: rT, refName: 'sklearn HGB', target: '≤ 1.5×', pass: oT === null || rT === null ? null : oT <= 1.5 * rT });
    add({ case: 'scale', figure: 'GBDT fit s', ours: oT, ref: ref ? median(ref.xgb.times) : null, refName: 'XGBoost hist 100', target: '(info)', pass: null });
    add({ case: 'scale', figure: 'GBDT RMSE', ours: ours?.rmse ?? null, ref: ref?.hgb.rmse ?? null, refName: 'sklearn HGB', target: '(info)', pass: null });
    add({
      case: 'scale',
      figure: 'peak RSS MB',
      ours: ours?.maxRssMB ?? null,
      ref: ref?.maxRssMB ?? null,
      refName: 'python process',
      target: 'ours ≤ 2048',
      pass: ours ? ours.maxRssMB <= 2048 : null,
    });
  }

  const fmt = (v: number | null): string => (v === null ? '—' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4));
  console.log('');
  console.log(['case', 'figure', 'ours', 'reference', 'ratio', 'target', 'result'].join('\t'));
  for (const r of rows) {
    const q = ratio(r.ours, r.ref);
    console.log(
      [r.case, r.figure, fmt(r.ours), `${fmt(r.ref)} (${r.refName})`, q === null ? '—' : `${q.toFixed(3)}×`, r.target, r.pass === null ? '' : r.pass ? 'PASS' : 'MISS'].join('\t'),
    );
  }
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ loadAverage: load, rows }, null, 1));
  console.log(
    `\n(results also in ${path.join(dir, 'results.json')}; load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
}

main();
