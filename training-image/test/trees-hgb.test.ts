import * as fs from 'fs';
import { NotFittedError, ParamError } from '../src/core/estimator';
import { fromRows, Matrix } from '../src/core/matrix';
import { Rng } from '../src/core/random';
import { HistGradientBoostingClassifier, HistGradientBoostingRegressor } from '../src/trees';
import { BinMapper, sortFloat64 } from '../src/trees/binning';
import { featureGroups } from '../src/trees/engine';
import { SerialHistogramBuilder, TreeGrower } from '../src/trees/grower';
import { buildHistogram } from '../src/trees/histogram';
import { parallelAvailable } from '../src/trees/parallel';
import { findBestSplit, SplitInfo } from '../src/trees/splitting';
import { datasetTest, testWhen } from './available';

const col = (v: number[]): Matrix => fromRows(v.map((x) => [x]));
const roundTrip = (json: unknown): unknown => JSON.parse(JSON.stringify(json));

function friedman(n: number, seed: number, missing = 0): { X: Matrix; y: Float64Array } {
  const rng = new Rng(seed);
  const p = 6;
  const data = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) data[i * p + j] = rng.next();
    const o = i * p;
    y[i] = 10 * Math.sin(Math.PI * data[o]! * data[o + 1]!) + 20 * (data[o + 2]! - 0.5) ** 2 + 10 * data[o + 3]! + 5 * data[o + 4]! + rng.normal() * 0.5;
    for (let j = 0; j < p; j++) if (rng.next() < missing) data[o + j] = NaN;
  }
  return { X: { rows: n, cols: p, data }, y };
}

const ONE_SPLIT = { learningRate: 1, maxIter: 1, maxLeafNodes: 2, minSamplesLeaf: 1, earlyStopping: false } as const;

describe('HistGradientBoostingRegressor', () => {
  test('fits a step function exactly with one split', () => {
    const x = Array.from({ length: 100 }, (_, i) => i);
    const y = Float64Array.from(x, (v) => (v < 50 ? 0 : 10));
    const m = new HistGradientBoostingRegressor(ONE_SPLIT).fit(col(x), y);
    const p = m.predict(col(x));
    x.forEach((_, i) => expect(p[i]).toBeCloseTo(y[i]!, 12));
    // The split threshold lies between 49 and 50.
    expect(Array.from(m.predict(col([49.4, 49.6])))).toEqual([p[0], p[99]]);
  });

  test("a single split's gain matches the hand computation", () => {
    // y = [1, 2, 5, 6], baseline 3.5, gradients raw − y = [2.5, 1.5, −1.5, −2.5], G = 0.
    // Best split {1,2} | {5,6}: GL = 4, HL = 2, GR = −4, HR = 2 → gain 16/2 + 16/2 − 0 = 16.
    const X = col([1, 2, 3, 4]);
    const mapper = BinMapper.fit(X, null, 255, new Rng(0));
    const binned = mapper.transform(X, null);
    const grad = Float64Array.from([2.5, 1.5, -1.5, -2.5]);
    const hist = new Float64Array(2 * mapper.offsets[1]!);
    buildHistogram(hist, 2, binned, 4, mapper.offsets, 0, 1, null, 4, grad, null);
    const s = new SplitInfo();
    const found = findBestSplit(
      { stride: 2, nFeatures: 1, offsets: mapper.offsets, nBins: mapper.nBins, hasMissing: mapper.hasMissing, l2: 0, minSamplesLeaf: 1, minHessian: 1e-3 },
      hist,
      0,
      4,
      4,
      s,
    );
    expect(found).toBe(true);
    expect(s.gain).toBeCloseTo(16, 12);
    expect(s.bin).toBe(1);
    expect(mapper.thresholdOf(0, s.bin)).toBe(2.5);
    expect([s.gL, s.cL, s.gR, s.cR]).toEqual([4, 2, -4, 2]);
    // With λ = 1: 16/3 + 16/3 − 0.
    findBestSplit(
      { stride: 2, nFeatures: 1, offsets: mapper.offsets, nBins: mapper.nBins, hasMissing: mapper.hasMissing, l2: 1, minSamplesLeaf: 1, minHessian: 1e-3 },
      hist,
      0,
      4,
      4,
      s,
    );
    expect(s.gain).toBeCloseTo(32 / 3, 12);
  });

  test('missing values go to the side learned in training', () => {
    // NaN rows share the targets of the high values → NaN must go right; then the mirror case.
    for (const [nanTarget, expected] of [
      [10, 10],
      [0, 0],
    ] as const) {
      const x: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < 40; i++) {
        x.push(i);
        y.push(i < 20 ? 0 : 10);
      }
      for (let i = 0; i < 20; i++) {
        x.push(NaN);
        y.push(nanTarget);
      }
      const m = new HistGradientBoostingRegressor({ ...ONE_SPLIT }).fit(col(x), Float64Array.from(y));
      expect(m.predict(col([NaN]))[0]).toBeCloseTo(expected, 9);
      expect(m.predict(col([5]))[0]).toBeCloseTo(0, 9);
      expect(m.predict(col([35]))[0]).toBeCloseTo(10, 9);
    }
  });

  test('without missing values in training, NaN goes to the child with more samples', () => {
    const x = Array.from({ length: 30 }, (_, i) => i);
    const y = Float64Array.from(x, (v) => (v < 10 ? 5 : -5));
    const m = new HistGradientBoostingRegressor(ONE_SPLIT).fit(col(x), y);
    expect(m.predict(col([NaN]))[0]).toBeCloseTo(-5, 9);
  });

  test('learns Friedman #1 well, with gain importances on the informative features', () => {
    const tr = friedman(3000, 1);
    const te = friedman(1000, 2);
    const m = new HistGradientBoostingRegressor().fit(tr.X, tr.y);
    const p = m.predict(te.X);
    let s = 0;
    for (let i = 0; i < p.length; i++) s += (p[i]! - te.y[i]!) ** 2;
    expect(Math.sqrt(s / p.length)).toBeLessThan(1.3);
    const fi = m.featureImportances;
    expect(fi.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(fi[5]!).toBeLessThan(0.02); // noise feature
    expect(fi[3]!).toBeGreaterThan(fi[5]! * 10);
  });

  test('is deterministic for a seed, and early stopping ("auto" above 10,000 rows) stops on noise', () => {
    const rng = new Rng(3);
    const n = 12000;
    const X = { rows: n, cols: 2, data: Float64Array.from({ length: 2 * n }, () => rng.next()) };
    const y = Float64Array.from({ length: n }, () => rng.normal());
    const a = new HistGradientBoostingRegressor({ randomState: 7 }).fit(X, y);
    const b = new HistGradientBoostingRegressor({ randomState: 7 }).fit(X, y);
    expect(a.nIter).toBeLessThan(100);
    expect(a.validationScores.length).toBe(a.nIter + 1);
    expect(Array.from(b.predict(X))).toEqual(Array.from(a.predict(X)));
  });

  test('saved and reloaded, predicts bit-identically (missing values and an "only missing" split included)', () => {
    const { X, y } = friedman(1500, 4, 0.1);
    const m = new HistGradientBoostingRegressor({ maxIter: 30 }).fit(X, y);
    const back = HistGradientBoostingRegressor.fromJSON(roundTrip(m.toJSON()));
    expect(Array.from(back.predict(X))).toEqual(Array.from(m.predict(X)));
    expect(Array.from(back.featureImportances)).toEqual(Array.from(m.featureImportances));
    // One value plus NaN: the only split is "non-missing | missing", threshold +Infinity.
    const x = [...Array(30).fill(1), ...Array(30).fill(NaN)];
    const yy = Float64Array.from(x, (v) => (Number.isNaN(v) ? 3 : -3));
    const m2 = new HistGradientBoostingRegressor(ONE_SPLIT).fit(col(x), yy);
    const json = JSON.stringify(m2.toJSON());
    expect(json).toContain('"Infinity"');
    const back2 = HistGradientBoostingRegressor.fromJSON(JSON.parse(json));
    expect(Array.from(back2.predict(col([1, NaN, 1e300])))).toEqual(Array.from(m2.predict(col([1, NaN, 1e300]))));
    expect(m2.predict(col([NaN]))[0]).toBeCloseTo(3, 9);
  });

  test('refuses a corrupted or mismatched JSON with a clear error', () => {
    const { X, y } = friedman(300, 5);
    const json = roundTrip(new HistGradientBoostingRegressor({ maxIter: 3 }).fit(X, y).toJSON()) as Record<string, unknown>;
    expect(() => HistGradientBoostingClassifier.fromJSON(json)).toThrow(/holds a "HistGradientBoostingRegressor" model/);
    expect(() => HistGradientBoostingRegressor.fromJSON({ ...json, schemaVersion: 99 })).toThrow(/schemaVersion 99 is not supported/);
    const trees = json.trees as { left: number[] }[];
    trees[0]!.left[0] = 999;
    expect(() => HistGradientBoostingRegressor.fromJSON(json)).toThrow(/trees\[0\].*node 0 is corrupt/);
  });

  test('bad params are named with the value and what is accepted', () => {
    const X = col([1, 2, 3]);
    const y = Float64Array.from([1, 2, 3]);
    expect(() => new HistGradientBoostingRegressor({ maxDepth: 0 }).fit(X, y)).toThrow(new ParamError('HistGradientBoostingRegressor', 'maxDepth', 0, 'an int ≥ 1 or null'));
    expect(() => new HistGradientBoostingRegressor({ maxDepth: 0 }).fit(X, y)).toThrow(
      "The 'maxDepth' parameter of HistGradientBoostingRegressor must be an int ≥ 1 or null. Got 0.",
    );
    expect(() => new HistGradientBoostingRegressor({ learningRate: 0 }).fit(X, y)).toThrow(/'learningRate'.*a float > 0/);
    expect(() => new HistGradientBoostingRegressor({ maxBins: 256 }).fit(X, y)).toThrow(/'maxBins'.*≤ 255. Got 256/);
    expect(() => new HistGradientBoostingRegressor({ earlyStopping: 'yes' as unknown as boolean }).fit(X, y)).toThrow(/'earlyStopping'.*'auto' or a boolean. Got "yes"/);
    expect(() => new HistGradientBoostingRegressor({ maxLeaves: 3 } as never).fit(X, y)).toThrow(/'maxLeaves'.*known parameters/);
  });

  test('bad data is refused with the field, the value and the fix', () => {
    const m = new HistGradientBoostingRegressor();
    expect(() => m.predict(col([1]))).toThrow(NotFittedError);
    expect(() => m.fit(col([1, 2, 3]), Float64Array.from([1, 2]))).toThrow(/X has 3 rows but y has 2 values/);
    expect(() => m.fit(col([1, Infinity, 3]), Float64Array.from([1, 2, 3]))).toThrow(/X\[1, 0\] is Infinity/);
    expect(() => m.fit(col([1, 2, 3]), Float64Array.from([1, NaN, 3]))).toThrow(/y\[1\] is NaN; the target must be finite/);
    m.fit(col([1, 2, 3, 4]), Float64Array.from([1, 2, 3, 4]));
    expect(() => m.predict(fromRows([[1, 2]]))).toThrow(/X has 2 features, but the model was fitted with 1/);
  });

  test('getParams fills defaults; clone is unfitted with overrides', () => {
    const m = new HistGradientBoostingRegressor({ maxIter: 5 });
    expect(m.getParams()).toMatchObject({
      maxIter: 5,
      learningRate: 0.1,
      maxLeafNodes: 31,
      minSamplesLeaf: 20,
      maxBins: 255,
      earlyStopping: 'auto',
      nIterNoChange: 10,
      tol: 1e-7,
      validationFraction: 0.1,
    });
    const c = m.clone({ learningRate: 0.5 });
    expect(c.getParams()).toMatchObject({ maxIter: 5, learningRate: 0.5 });
    expect(() => c.predict(col([1]))).toThrow(NotFittedError);
  });

  const threaded = testWhen(parallelAvailable(), 'trees-hgb thread parity', 'the compiled worker (dist/src/trees/worker.js) is missing; run `npm run build`');
  threaded('gives identical models with 1 or 2 histogram threads', () => {
    // Large enough (70,000 × 6) that the root histograms go to the worker.
    const { X, y } = friedman(70000, 6, 0.05);
    const a = new HistGradientBoostingRegressor({ maxIter: 10, nThreads: 1, earlyStopping: false }).fit(X, y);
    const b = new HistGradientBoostingRegressor({ maxIter: 10, nThreads: 2, earlyStopping: false }).fit(X, y);
    expect(Array.from(b.predict(X))).toEqual(Array.from(a.predict(X)));
  });

  threaded('with 2 threads, chunked partitions and the carried root histogram give the 1-thread model (regressor and classifier)', () => {
    // 120,000 rows: above the row count from which the root histogram is carried between trees,
    // and leaves large enough that partitions and histograms are cut into chunks for the worker.
    const { X, y } = friedman(120000, 8, 0.02);
    const a = new HistGradientBoostingRegressor({ maxIter: 5, nThreads: 1, earlyStopping: false }).fit(X, y);
    const b = new HistGradientBoostingRegressor({ maxIter: 5, nThreads: 2, earlyStopping: false }).fit(X, y);
    expect(Array.from(b.predict(X))).toEqual(Array.from(a.predict(X)));
    const yc = Float64Array.from(y, (v) => (v > 14 ? 1 : 0));
    const c = new HistGradientBoostingClassifier({ maxIter: 5, nThreads: 1, earlyStopping: false }).fit(X, yc);
    const d = new HistGradientBoostingClassifier({ maxIter: 5, nThreads: 2, earlyStopping: false }).fit(X, yc);
    expect(Array.from(d.predictProba(X).data)).toEqual(Array.from(c.predictProba(X).data));
  });

  test('carrying the root histogram from the leaves gives the trees of a directly built root (within rounding)', () => {
    const { X, y } = friedman(20000, 11);
    const mapper = BinMapper.fit(X, null, 255, new Rng(0));
    const binned = mapper.transform(X, null);
    const raws = [true, false].map((rootFromLeaves) => {
      const hb = new SerialHistogramBuilder(2, binned, X.rows, mapper.offsets);
      const g = new TreeGrower(mapper, X.rows, 2, { maxLeafNodes: 31, maxDepth: Infinity, minSamplesLeaf: 20, l2: 0, learningRate: 0.1, minHessian: 1e-3, rootFromLeaves }, hb, {});
      for (let it = 0; it < 10; it++) {
        for (let i = 0; i < X.rows; i++) hb.grad[i] = hb.raw[i]! - y[i]!;
        g.grow();
      }
      return hb.raw;
    });
    for (let i = 0; i < X.rows; i++) expect(raws[0]![i]).toBeCloseTo(raws[1]![i]!, 9);
  });

  test('the radix sort of bin edges orders doubles exactly like Float64Array.prototype.sort', () => {
    const rng = new Rng(5);
    const special = [0, -0, 5e-324, -5e-324, 1e300, -1e300, 1, -1];
    for (const gen of [() => rng.next(), () => rng.normal() * 1e6, () => Math.round(rng.normal() * 3), () => special[Math.floor(rng.next() * special.length)]!]) {
      const a = Float64Array.from({ length: 20000 }, gen);
      const want = a.slice().sort();
      const got = sortFloat64(a);
      expect(got).toBe(a);
      for (let i = 0; i < a.length; i++) expect(Object.is(got[i], want[i])).toBe(true);
    }
  });

  test('feature groups cover every feature once, in order, in at most 128 groups', () => {
    for (const F of [1, 3, 4, 7, 20, 21, 513, 4000]) {
      const g = Array.from(featureGroups(F));
      expect(g[0]).toBe(0);
      expect(g[g.length - 1]).toBe(F);
      for (let i = 1; i < g.length; i++) expect(g[i]!).toBeGreaterThan(g[i - 1]!);
      expect(g.length - 1).toBeLessThanOrEqual(128);
    }
  });

  const bike = datasetTest('bikeHour', 'trees-hgb bike sharing parity');
  bike.test('matches the scikit-learn reference on bike sharing (RMSE ≤ 1.02 × 65.1)', () => {
    const file = bike.file;
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const keep = header.filter((h) => !['instant', 'dteday', 'casual', 'registered', 'cnt'].includes(h)).map((h) => header.indexOf(h));
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    const nTr = Math.floor(rows.length * 0.8);
    const X = fromRows(rows.map((r) => keep.map((c) => r[c]!)));
    const y = Float64Array.from(rows, (r) => r[header.indexOf('cnt')]!);
    const Xtr = { rows: nTr, cols: X.cols, data: X.data.subarray(0, nTr * X.cols) };
    const Xte = { rows: X.rows - nTr, cols: X.cols, data: X.data.subarray(nTr * X.cols) };
    const m = new HistGradientBoostingRegressor().fit(Xtr, y.subarray(0, nTr));
    const p = m.predict(Xte);
    let s = 0;
    for (let i = 0; i < p.length; i++) s += (p[i]! - y[nTr + i]!) ** 2;
    expect(Math.sqrt(s / p.length)).toBeLessThanOrEqual(1.02 * 65.1);
  });
});

describe('HistGradientBoostingClassifier', () => {
  function blobs(n: number, seed: number): { X: Matrix; y: Float64Array } {
    const rng = new Rng(seed);
    const data = new Float64Array(n * 2);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % 2;
      y[i] = c === 0 ? 3 : 7; // arbitrary labels
      data[2 * i] = (c ? 2 : -2) + rng.normal() * 0.7;
      data[2 * i + 1] = rng.normal();
    }
    return { X: { rows: n, cols: 2, data }, y };
  }

  test('separates two blobs, with labels kept and probabilities summing to 1', () => {
    const { X, y } = blobs(600, 1);
    const m = new HistGradientBoostingClassifier({ maxIter: 50 }).fit(X, y);
    expect(m.classes).toEqual([3, 7]);
    const pred = m.predict(X);
    let ok = 0;
    for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
    expect(ok / y.length).toBeGreaterThan(0.97);
    const P = m.predictProba(X);
    expect(P.cols).toBe(2);
    for (let i = 0; i < P.rows; i++) expect(P.data[2 * i]! + P.data[2 * i + 1]!).toBeCloseTo(1, 12);
    expect(m.featureImportances[0]!).toBeGreaterThan(m.featureImportances[1]!);
  });

  test('the first tree of a stump model matches the log-loss Newton step', () => {
    // 4 rows: x = 0,0 → y = 0; x = 1,1 → y = 1. Baseline log-odds 0, p = 0.5, g = p − y, h = 0.25.
    // Leaf values: −lr · G/H = −(2·0.5)/(2·0.25) = −2 (left), +2 (right).
    const m = new HistGradientBoostingClassifier({ ...ONE_SPLIT }).fit(col([0, 0, 1, 1]), Float64Array.from([0, 0, 1, 1]));
    const P = m.predictProba(col([0, 1]));
    expect(P.data[1]).toBeCloseTo(1 / (1 + Math.exp(2)), 9);
    expect(P.data[3]).toBeCloseTo(1 / (1 + Math.exp(-2)), 9);
  });

  test('round-trips bit-identically and refuses non-binary targets', () => {
    const { X, y } = blobs(300, 2);
    const m = new HistGradientBoostingClassifier({ maxIter: 10 }).fit(X, y);
    const back = HistGradientBoostingClassifier.fromJSON(roundTrip(m.toJSON()));
    expect(Array.from(back.predictProba(X).data)).toEqual(Array.from(m.predictProba(X).data));
    expect(back.classes).toEqual([3, 7]);
    expect(() => new HistGradientBoostingClassifier().fit(col([1, 2, 3]), Float64Array.from([0, 1, 2]))).toThrow(/exactly 2 classes.*got 3: 0, 1, 2/);
    expect(() => new HistGradientBoostingClassifier().predictProba(X)).toThrow(NotFittedError);
  });
});
