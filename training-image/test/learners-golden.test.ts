/**
 * The learners' results do not drift: each case fits a learner on seeded
 * synthetic data and compares the sha256 of its predictions (the exact
 * Float64 bytes) with the value recorded from main at 47e3545, before the
 * issue 17 work (in-place partition, thread changes, forecast baselines).
 * A change of the engine that is meant to be exact (partitioning, threads,
 * scheduling) must keep every digest; a deliberate change of a learner's
 * results updates its digest here, with the reason next to it and a test of
 * the new behaviour elsewhere.
 */
import { createHash } from 'crypto';
import { Matrix } from '../src/core/matrix';
import { Rng } from '../src/core/random';
import { TrendForecaster } from '../src/forecast';
import { HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor } from '../src/trees';
import { parallelAvailable } from '../src/trees/parallel';
import { testWhen } from './available';

function friedman(n: number, p: number, seed: number, missing = 0): { X: Matrix; y: Float64Array } {
  const rng = new Rng(seed);
  const data = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let j = 0; j < p; j++) data[o + j] = rng.next();
    y[i] = 10 * Math.sin(Math.PI * data[o]! * data[o + 1]!) + 20 * (data[o + 2]! - 0.5) ** 2 + 10 * data[o + 3]! + 5 * data[o + 4]! + rng.normal();
    for (let j = 0; j < p; j++) if (rng.next() < missing) data[o + j] = NaN;
  }
  return { X: { rows: n, cols: p, data }, y };
}

function digest(v: Float64Array): string {
  return createHash('sha256')
    .update(Buffer.from(v.buffer, v.byteOffset, v.byteLength))
    .digest('hex')
    .slice(0, 16);
}

const threaded = testWhen(parallelAvailable(), 'learners-golden threaded cases', 'the compiled worker (dist/src/trees/worker.js) is missing; run `npm run build`');

describe('learner results are those recorded before issue 17', () => {
  test('gradient boosting regressor, small data, defaults (one thread, exact root histograms)', () => {
    const { X, y } = friedman(3000, 6, 1, 0.05);
    const m = new HistGradientBoostingRegressor().fit(X, y);
    expect(digest(m.predict(X))).toBe(GOLDEN.hgbSmall);
  });

  test('gradient boosting regressor, early stopping on (20,000 rows)', () => {
    const { X, y } = friedman(20000, 6, 2);
    const m = new HistGradientBoostingRegressor({ maxIter: 200 }).fit(X, y);
    expect([m.nIter, digest(m.predict(X))]).toEqual(GOLDEN.hgbEarly);
  });

  test('gradient boosting classifier (hessians)', () => {
    const { X, y } = friedman(3000, 6, 3, 0.05);
    const yc = Float64Array.from(y, (v) => (v > 14 ? 1 : 0));
    const m = new HistGradientBoostingClassifier({ maxIter: 30 }).fit(X, yc);
    expect(digest(m.predictProba(X).data)).toBe(GOLDEN.hgbClf);
  });

  threaded.each([1, 2])('gradient boosting on 120,000 rows (carried root, chunked partitions), %i thread(s)', (nThreads) => {
    const { X, y } = friedman(120000, 8, 4, 0.02);
    const m = new HistGradientBoostingRegressor({ maxIter: 8, earlyStopping: false, nThreads }).fit(X, y);
    expect(digest(m.predict(X))).toBe(GOLDEN.hgbLarge);
    const yc = Float64Array.from(y, (v) => (v > 14 ? 1 : 0));
    const c = new HistGradientBoostingClassifier({ maxIter: 4, earlyStopping: false, nThreads }).fit(X, yc);
    expect(digest(c.predictProba(X).data)).toBe(GOLDEN.hgbLargeClf);
  });

  threaded.each([1, 2])('random forest regressor and classifier, %i job(s)', (nJobs) => {
    const { X, y } = friedman(2000, 6, 5, 0.03);
    const r = new RandomForestRegressor({ nEstimators: 12, nJobs, randomState: 3 }).fit(X, y);
    expect(digest(r.predict(X))).toBe(GOLDEN.rf);
    const yc = Float64Array.from(y, (v) => (v > 17 ? 2 : v > 11 ? 1 : 0));
    const c = new RandomForestClassifier({ nEstimators: 12, nJobs, randomState: 3 }).fit(X, yc);
    expect(digest(c.predictProba(X).data)).toBe(GOLDEN.rfClf);
  });

  test('trend forecaster with a fixed structure (no model choice involved)', () => {
    const DAY = 86_400_000;
    const rng = new Rng(6);
    const n = 400;
    const times = Float64Array.from({ length: n }, (_, i) => Date.UTC(2020, 0, 1) + i * DAY);
    const values = Float64Array.from({ length: n }, (_, i) => 50 + 0.1 * i + 4 * Math.sin((2 * Math.PI * i) / 7) + rng.normal());
    const f = new TrendForecaster({ trend: 'piecewise', seasonalities: { yearly: 0, weekly: 3, daily: 0 } }).fit(times, values);
    const fc = f.forecast(60);
    expect([f.model, digest(fc.mean), digest(fc.lower)]).toEqual(GOLDEN.forecastFixed);
  });
});

/** Recorded from main at 47e3545 (before issue 17). */
const GOLDEN = {
  hgbSmall: 'b7eeded2d5d2ecb9',
  hgbEarly: [125, '71c76fc2d6b8284c'] as [number, string],
  hgbClf: '2ec533c7cb5686b0',
  hgbLarge: '5bb132ea4b53df6a',
  hgbLargeClf: '5700bda17e5a03a8',
  rf: '4a4ca0db1d8e29ac',
  rfClf: '8e2b1f471b3cb877',
  forecastFixed: ['piecewise(25)+weekly(3)', '9465efb08793f849', '3e783f69fa99c7d8'] as [string, string, string],
};
