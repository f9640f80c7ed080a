import * as fs from 'fs';
import { NotFittedError } from '../src/core/estimator';
import { fromRows, Matrix } from '../src/core/matrix';
import { Rng } from '../src/core/random';
import { RandomForestClassifier, RandomForestRegressor } from '../src/trees';
import { parallelAvailable } from '../src/trees/parallel';
import { datasetTest, testWhen } from './available';

const col = (v: number[]): Matrix => fromRows(v.map((x) => [x]));
const roundTrip = (json: unknown): unknown => JSON.parse(JSON.stringify(json));

function data(n: number, seed: number, missing = 0): { X: Matrix; y: Float64Array; cls: Float64Array } {
  const rng = new Rng(seed);
  const p = 5;
  const d = new Float64Array(n * p);
  const y = new Float64Array(n);
  const cls = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let j = 0; j < p; j++) d[o + j] = rng.next();
    y[i] = 10 * d[o]! + 5 * Math.sin(6 * d[o + 1]!) + rng.normal() * 0.3;
    cls[i] = d[o]! < 0.33 ? 0 : d[o]! < 0.66 ? 1 : 2;
    for (let j = 0; j < p; j++) if (rng.next() < missing) d[o + j] = NaN;
  }
  return { X: { rows: n, cols: p, data: d }, y, cls };
}

const ONE_TREE = { nEstimators: 1, bootstrap: false, maxFeatures: 1.0 } as const;

describe('RandomForestRegressor', () => {
  test('one unbootstrapped tree fits a step function (and any training set) exactly', () => {
    const x = Array.from({ length: 60 }, (_, i) => i);
    const y = Float64Array.from(x, (v) => (v < 20 ? 1 : v < 45 ? 4 : -2));
    const m = new RandomForestRegressor(ONE_TREE).fit(col(x), y);
    expect(Array.from(m.predict(col(x)))).toEqual(Array.from(y));
    const { X, y: yy } = data(200, 1);
    const m2 = new RandomForestRegressor(ONE_TREE).fit(X, yy);
    expect(Array.from(m2.predict(X))).toEqual(Array.from(yy));
  });

  test('the root split picks the feature and threshold that minimise the squared error', () => {
    // Feature 0 separates {1,2} | {8,9}; feature 1 is noise. A depth-1 tree splits feature 0 between 2 and 3.
    const X = fromRows([
      [0, 5],
      [1, 1],
      [2, 4],
      [3, 2],
      [4, 3],
      [5, 0],
    ]);
    const y = Float64Array.from([1, 2, 1, 8, 9, 8]);
    const m = new RandomForestRegressor({ ...ONE_TREE, maxDepth: 1 }).fit(X, y);
    expect(
      Array.from(
        m.predict(
          fromRows([
            [2.4, 0],
            [2.6, 0],
          ]),
        ),
      ),
    ).toEqual([4 / 3, 25 / 3]);
    expect(Array.from(m.featureImportances)).toEqual([1, 0]);
  });

  test('missing values go to the side learned in training', () => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 40; i++) {
      x.push(i);
      y.push(i < 20 ? 0 : 10);
    }
    for (let i = 0; i < 10; i++) {
      x.push(NaN);
      y.push(0);
    }
    const m = new RandomForestRegressor({ ...ONE_TREE, maxDepth: 1 }).fit(col(x), Float64Array.from(y));
    expect(m.predict(col([NaN]))[0]).toBe(0);
    expect(m.predict(col([30]))[0]).toBe(10);
  });

  const threaded = testWhen(parallelAvailable(), 'trees-forest thread parity', 'the compiled worker (dist/src/trees/worker.js) is missing; run `npm run build`');

  test('generalises and is deterministic for a seed', () => {
    const tr = data(800, 2, 0.05);
    const te = data(300, 3);
    const a = new RandomForestRegressor({ nEstimators: 30, nJobs: 1, randomState: 5 }).fit(tr.X, tr.y);
    const p = a.predict(te.X);
    let s = 0;
    for (let i = 0; i < p.length; i++) s += (p[i]! - te.y[i]!) ** 2;
    expect(Math.sqrt(s / p.length)).toBeLessThan(1.0);
    const b = new RandomForestRegressor({ nEstimators: 30, nJobs: 1, randomState: 5 }).fit(tr.X, tr.y);
    expect(Array.from(b.predict(te.X))).toEqual(Array.from(p));
    const c = new RandomForestRegressor({ nEstimators: 30, nJobs: 1, randomState: 6 }).fit(tr.X, tr.y);
    expect(Array.from(c.predict(te.X))).not.toEqual(Array.from(p));
    const fi = a.featureImportances;
    expect(fi.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(fi[0]!).toBeGreaterThan(fi[4]! * 5);
  });

  threaded('1 or 2 threads give the same forest', () => {
    const tr = data(800, 2, 0.05);
    const te = data(300, 3);
    const a = new RandomForestRegressor({ nEstimators: 30, nJobs: 1, randomState: 5 }).fit(tr.X, tr.y);
    const d = new RandomForestRegressor({ nEstimators: 30, nJobs: 2, randomState: 5 }).fit(tr.X, tr.y);
    expect(Array.from(d.predict(te.X))).toEqual(Array.from(a.predict(te.X)));
    expect(Array.from(d.featureImportances)).toEqual(Array.from(a.featureImportances));
  });

  test('saved and reloaded, predicts bit-identically', () => {
    const { X, y } = data(300, 4, 0.1);
    const m = new RandomForestRegressor({ nEstimators: 10 }).fit(X, y);
    const back = RandomForestRegressor.fromJSON(roundTrip(m.toJSON()));
    expect(Array.from(back.predict(X))).toEqual(Array.from(m.predict(X)));
    expect(() => RandomForestClassifier.fromJSON(roundTrip(m.toJSON()))).toThrow(/holds a "RandomForestRegressor" model/);
    expect(() => RandomForestRegressor.fromJSON('nope')).toThrow(/expected an object, got string/);
  });

  test('bad params and data get clear errors; predict before fit throws NotFittedError', () => {
    const X = col([1, 2, 3]);
    const y = Float64Array.from([1, 2, 3]);
    expect(() => new RandomForestRegressor({ nEstimators: 0 }).fit(X, y)).toThrow("The 'nEstimators' parameter of RandomForestRegressor must be an int ≥ 1. Got 0.");
    expect(() => new RandomForestRegressor({ maxFeatures: 'half' as never }).fit(X, y)).toThrow(/'maxFeatures'.*'sqrt', 'log2', a float in \(0, 1\] or an int > 1. Got "half"/);
    expect(() => new RandomForestRegressor({ maxFeatures: 1.5 }).fit(X, y)).toThrow(/'maxFeatures'.*Got 1.5/);
    expect(() => new RandomForestRegressor({ maxFeatures: 0 }).fit(X, y)).toThrow(/'maxFeatures'.*Got 0/);
    expect(() => new RandomForestRegressor({ maxFeatures: 4 }).fit(X, y)).toThrow(/'maxFeatures'.*at most the number of features of X \(1\). Got 4/);
    expect(() => new RandomForestRegressor({ minSamplesSplit: 1 }).fit(X, y)).toThrow(/'minSamplesSplit'.*≥ 2. Got 1/);
    expect(() => new RandomForestRegressor().predict(X)).toThrow(NotFittedError);
    expect(() => new RandomForestRegressor().fit(X, Float64Array.from([1, 2]))).toThrow(/X has 3 rows but y has 2 values/);
    expect(new RandomForestRegressor().getParams()).toMatchObject({ nEstimators: 100, maxFeatures: 1.0, bootstrap: true, minSamplesLeaf: 1 });
    expect(new RandomForestRegressor({ nEstimators: 3 }).clone({ maxDepth: 2 }).getParams()).toMatchObject({ nEstimators: 3, maxDepth: 2 });
  });

  test('minSamplesLeaf and maxDepth bound the trees', () => {
    const { X, y } = data(300, 7);
    const m = new RandomForestRegressor({ ...ONE_TREE, minSamplesLeaf: 50 }).fit(X, y);
    const leaves = new Map<number, number>();
    for (const v of m.predict(X)) leaves.set(v, (leaves.get(v) ?? 0) + 1);
    for (const c of leaves.values()) expect(c).toBeGreaterThanOrEqual(50);
    const stump = new RandomForestRegressor({ ...ONE_TREE, maxDepth: 2 }).fit(X, y);
    expect(new Set(stump.predict(X)).size).toBeLessThanOrEqual(4);
  });

  const bike = datasetTest('bikeHour', 'trees-forest bike sharing parity');
  bike.test('comes close to the scikit-learn reference on bike sharing (RMSE ≤ 1.02 × 69.7)', () => {
    const file = bike.file;
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const keep = header.filter((h) => !['instant', 'dteday', 'casual', 'registered', 'cnt'].includes(h)).map((h) => header.indexOf(h));
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    const nTr = Math.floor(rows.length * 0.8);
    const X = fromRows(rows.map((r) => keep.map((c) => r[c]!)));
    const y = Float64Array.from(rows, (r) => r[header.indexOf('cnt')]!);
    const m = new RandomForestRegressor({ nEstimators: 50 }).fit({ rows: nTr, cols: X.cols, data: X.data.subarray(0, nTr * X.cols) }, y.subarray(0, nTr));
    const p = m.predict({ rows: X.rows - nTr, cols: X.cols, data: X.data.subarray(nTr * X.cols) });
    let s = 0;
    for (let i = 0; i < p.length; i++) s += (p[i]! - y[nTr + i]!) ** 2;
    expect(Math.sqrt(s / p.length)).toBeLessThanOrEqual(1.02 * 69.7);
  });
});

describe('RandomForestClassifier', () => {
  test('separates three classes; probabilities sum to 1; labels are kept', () => {
    const { X, cls } = data(600, 8);
    const labels = cls.map((c) => [10, 20, 30][c]!);
    const m = new RandomForestClassifier({ nEstimators: 20 }).fit(X, labels);
    expect(m.classes).toEqual([10, 20, 30]);
    const te = data(300, 9);
    const pred = m.predict(te.X);
    let ok = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === [10, 20, 30][te.cls[i]!]) ok++;
    expect(ok / pred.length).toBeGreaterThan(0.95);
    const P = m.predictProba(te.X);
    expect(P.cols).toBe(3);
    for (let i = 0; i < P.rows; i++) expect(P.data[3 * i]! + P.data[3 * i + 1]! + P.data[3 * i + 2]!).toBeCloseTo(1, 12);
    expect(m.getParams().maxFeatures).toBe('sqrt');
  });

  test('a pure unbootstrapped tree reproduces its training labels, with Gini importances', () => {
    const X = fromRows([
      [0, 1],
      [1, 1],
      [2, 0],
      [3, 0],
    ]);
    const y = Float64Array.from([0, 0, 1, 1]);
    const m = new RandomForestClassifier({ ...ONE_TREE }).fit(X, y);
    expect(Array.from(m.predict(X))).toEqual([0, 0, 1, 1]);
    expect(Array.from(m.predictProba(fromRows([[0.5, 1]])).data)).toEqual([1, 0]);
    // Both features separate perfectly; the tie goes to the first one found: importances [1, 0] or [0, 1].
    expect(Math.max(...m.featureImportances)).toBe(1);
  });

  test('round-trips bit-identically, refuses one-class targets', () => {
    const { X, cls } = data(400, 10, 0.05);
    const m = new RandomForestClassifier({ nEstimators: 12, nJobs: 1 }).fit(X, cls);
    const back = RandomForestClassifier.fromJSON(roundTrip(m.toJSON()));
    expect(Array.from(back.predictProba(X).data)).toEqual(Array.from(m.predictProba(X).data));
    expect(() => new RandomForestClassifier().fit(col([1, 2]), Float64Array.from([1, 1]))).toThrow(/single class \(1\)/);
    expect(() => new RandomForestClassifier().predictProba(X)).toThrow(NotFittedError);
  });

  const threadedCls = testWhen(parallelAvailable(), 'trees-forest classifier thread parity', 'the compiled worker (dist/src/trees/worker.js) is missing; run `npm run build`');
  threadedCls('is deterministic across 1 or 2 threads', () => {
    const { X, cls } = data(400, 10, 0.05);
    const m = new RandomForestClassifier({ nEstimators: 12, nJobs: 1 }).fit(X, cls);
    const m2 = new RandomForestClassifier({ nEstimators: 12, nJobs: 2 }).fit(X, cls);
    expect(Array.from(m2.predictProba(X).data)).toEqual(Array.from(m.predictProba(X).data));
  });
});
