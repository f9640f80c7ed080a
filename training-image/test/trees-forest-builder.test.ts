/**
 * Per-part tests of one random-forest tree (src/trees/forest-builder.ts):
 * the bootstrap draw, seeded feature sampling, CART splits that are the best
 * of an exhaustive search at every node (MSE and Gini, small nodes summarised
 * by sorting and large ones by histogram, NaN on either side), node values,
 * growth limits and impurity importances.
 */
import { Matrix } from '../src/core/matrix';
import { Rng } from '../src/core/random';
import { BinMapper } from '../src/trees/binning';
import { buildForestTree, ForestData, ForestTreeOptions, ForestWorkspace } from '../src/trees/forest-builder';
import { FlatTree } from '../src/trees/tree';
import { range, uniform } from './trees-parts';

const OPTS: ForestTreeOptions = { maxDepth: Infinity, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: Infinity, bootstrap: false };

/** ForestData as the forest's fit builds it. */
function forestData(X: Matrix, y: Float64Array, nClasses: number, maxBins = 255): { d: ForestData; mapper: BinMapper } {
  const mapper = BinMapper.fit(X, null, maxBins, new Rng(0));
  const F = X.cols;
  const thrOffsets = new Int32Array(F + 1);
  for (let f = 0; f < F; f++) thrOffsets[f + 1] = thrOffsets[f]! + mapper.thresholds[f]!.length;
  const thresholds = new Float64Array(thrOffsets[F]!);
  for (let f = 0; f < F; f++) thresholds.set(mapper.thresholds[f]!, thrOffsets[f]!);
  const d: ForestData = {
    binned: mapper.transform(X, null),
    n: X.rows,
    nFeatures: F,
    nBins: mapper.nBins,
    thresholds,
    thrOffsets,
    y,
    nClasses,
    hasMissing: mapper.hasMissing,
  };
  return { d, mapper };
}

const build = (d: ForestData, o: Partial<ForestTreeOptions> = {}, seed = 1) => buildForestTree(d, { ...OPTS, maxFeatures: d.nFeatures, ...o }, seed, new ForestWorkspace(d));

/** The rows reaching every node, by routing the raw training rows (x ≤ threshold left, NaN as missingLeft says). */
function rowsOfNodes(t: FlatTree, X: Matrix): number[][] {
  const out: number[][] = Array.from(t.left, () => []);
  for (let i = 0; i < X.rows; i++) {
    let k = 0;
    for (;;) {
      out[k]!.push(i);
      if (t.left[k] === -1) break;
      const v = X.data[i * X.cols + t.feature[k]!]!;
      k = (Number.isNaN(v) ? t.missingLeft[k] === 1 : v <= t.threshold[k]!) ? t.left[k]! : t.right[k]!;
    }
  }
  return out;
}

/** The split criterion's proxy (larger is better): Σ S²/W per child for MSE, Σ_c n_c²/W per child for Gini. */
function proxy(y: Float64Array, C: number, left: number[], right: number[]): number {
  const part = (rows: number[]): number => {
    if (C === 0) {
      const s = rows.reduce((a, r) => a + y[r]!, 0);
      return (s * s) / rows.length;
    }
    const c = new Array<number>(C).fill(0);
    for (const r of rows) c[y[r]!]!++;
    return c.reduce((a, v) => a + v * v, 0) / rows.length;
  };
  return part(left) + part(right);
}

/** Best proxy over every feature, every boundary between the node's bins, NaN on either side, children ≥ msl rows. */
function bruteBest(d: ForestData, rows: number[], msl: number): number {
  const C = d.nClasses;
  const K = Math.max(1, C);
  let best = -Infinity;
  for (let f = 0; f < d.nFeatures; f++) {
    const nb = d.nBins[f]!;
    // Per bin (NaN bin last): row count and target sum (MSE) or class counts (Gini).
    const cnt = new Float64Array(nb + 1);
    const acc = new Float64Array((nb + 1) * K);
    for (const r of rows) {
      const b = d.binned[f * d.n + r]!;
      cnt[b]++;
      if (C === 0) acc[b] += d.y[r]!;
      else acc[b * C + d.y[r]!]++;
    }
    const total = new Float64Array(K);
    for (let b = 0; b <= nb; b++) for (let k = 0; k < K; k++) total[k] += acc[b * K + k]!;
    for (const ml of [false, true]) {
      const left = new Float64Array(K);
      let cl = 0;
      if (ml) {
        cl = cnt[nb]!;
        for (let k = 0; k < K; k++) left[k] = acc[nb * K + k]!;
      }
      for (let b = 0; b < nb; b++) {
        cl += cnt[b]!;
        for (let k = 0; k < K; k++) left[k] += acc[b * K + k]!;
        const cr = rows.length - cl;
        if (cl < Math.max(1, msl) || cr < Math.max(1, msl)) continue;
        let p = 0;
        for (let k = 0; k < K; k++) p += left[k]! ** 2 / cl + (total[k]! - left[k]!) ** 2 / cr;
        best = Math.max(best, p);
      }
    }
  }
  return best;
}

const depthsOf = (t: FlatTree): Int32Array => {
  const dd = new Int32Array(t.left.length);
  for (let k = 0; k < t.left.length; k++)
    if (t.left[k]! >= 0) {
      dd[t.left[k]!] = dd[k]! + 1;
      dd[t.right[k]!] = dd[k]! + 1;
    }
  return dd;
};

/** Regression data: a noisy function of 4 features, 10 % missing; or 3 classes from the same features. */
function data(n: number, seed: number, classes = 0): { X: Matrix; y: Float64Array } {
  const X = uniform(n, 4, seed, 0.1);
  const rng = new Rng(seed + 7);
  const v = (i: number, f: number): number => {
    const x = X.data[i * 4 + f]!;
    return Number.isNaN(x) ? 0.5 : x;
  };
  const score = (i: number): number => 3 * v(i, 0) + 2 * (v(i, 1) > 0.6 ? 1 : 0) - v(i, 2) + 0.4 * rng.normal();
  const y = Float64Array.from(range(n), (i) => (classes ? Math.min(classes - 1, Math.max(0, Math.floor(score(i)))) : score(i)));
  return { X, y };
}

describe('buildForestTree', () => {
  test.each([0, 3])('nClasses %i: every split is the best of an exhaustive search over the node’s rows (sorted and histogram nodes)', (C) => {
    const { X, y } = data(330, 1 + C, C);
    const { d } = forestData(X, y, C);
    expect(Array.from(d.nBins)).toEqual([255, 255, 255, 255]); // nodes under 43 rows are summarised by sorting, larger ones by histogram
    for (const msl of [1, 4]) {
      const t = build(d, { minSamplesLeaf: msl }).tree;
      const nodes = rowsOfNodes(t, X);
      let checked = 0;
      for (let k = 0; k < t.left.length; k++) {
        if (t.left[k] === -1) continue;
        const L = nodes[t.left[k]!]!;
        const R = nodes[t.right[k]!]!;
        expect(L.length + R.length).toBe(nodes[k]!.length);
        const got = proxy(y, C, L, R);
        const best = bruteBest(d, nodes[k]!, msl);
        expect(got).toBeGreaterThanOrEqual(best - 1e-9 * Math.abs(best));
        checked++;
      }
      expect(checked).toBeGreaterThan(20);
      // Leaves are pure or cannot be split further (too few rows, or every feature constant in them).
      for (const k of range(t.left.length).filter((k) => t.left[k] === -1)) {
        const rows = nodes[k]!;
        const pure = rows.every((r) => y[r] === y[rows[0]!]);
        expect(pure || rows.length < 2 * msl || bruteBest(d, rows, msl) === -Infinity).toBe(true);
      }
    }
  });

  test('node values are the mean target (regression) or class fractions (classification) of the rows that reach them', () => {
    const { X, y } = data(200, 11);
    const t = build(forestData(X, y, 0).d, { maxDepth: 4 }).tree;
    rowsOfNodes(t, X).forEach((rows, k) => expect(t.value[k]!).toBeCloseTo(rows.reduce((a, r) => a + y[r]!, 0) / rows.length, 10));
    const c = data(200, 12, 3);
    const tc = build(forestData(c.X, c.y, 3).d, { maxDepth: 3 }).tree;
    rowsOfNodes(tc, c.X).forEach((rows, k) => {
      for (let cls = 0; cls < 3; cls++) expect(tc.value[3 * k + cls]!).toBeCloseTo(rows.filter((r) => c.y[r] === cls).length / rows.length, 12);
    });
  });

  test('maxDepth, minSamplesSplit and minSamplesLeaf hold', () => {
    const { X, y } = data(300, 13);
    const { d } = forestData(X, y, 0);
    for (const o of [{ maxDepth: 3 }, { minSamplesSplit: 40 }, { minSamplesLeaf: 15 }] as Partial<ForestTreeOptions>[]) {
      const t = build(d, o).tree;
      const nodes = rowsOfNodes(t, X);
      const depth = depthsOf(t);
      for (let k = 0; k < t.left.length; k++) {
        expect(depth[k]!).toBeLessThanOrEqual(o.maxDepth ?? Infinity);
        if (t.left[k] !== -1) expect(nodes[k]!.length).toBeGreaterThanOrEqual(o.minSamplesSplit ?? 2);
        else expect(nodes[k]!.length).toBeGreaterThanOrEqual(o.minSamplesLeaf ?? 1);
      }
      expect(t.left.length).toBeGreaterThan(3);
    }
    const t3 = build(d, { maxDepth: 3 }).tree;
    expect(Math.max(...depthsOf(t3))).toBe(3);
  });

  test('bootstrap: n rows drawn with replacement from the seed; the tree is the one grown on that multiset', () => {
    // One class per row: the root's class fractions are the draw's counts / n.
    const n = 60;
    const X = uniform(n, 2, 21);
    const ids = Float64Array.from(range(n));
    const { d } = forestData(X, ids, n);
    const counts = (seed: number): number[] => Array.from(build(d, { maxDepth: 0, bootstrap: true }, seed).tree.value, (p) => Math.round(p * n));
    const c1 = counts(1);
    expect(c1.reduce((a, b) => a + b, 0)).toBe(n);
    const oob = c1.filter((c) => c === 0).length;
    expect(oob).toBeGreaterThan(n * 0.2); // about 1/e of the rows are left out
    expect(oob).toBeLessThan(n * 0.55);
    expect(Math.max(...c1)).toBeGreaterThan(1);
    expect(counts(1)).toEqual(c1);
    expect(counts(2)).not.toEqual(c1);
    // Without bootstrap every row counts once.
    expect(Array.from(build(d, { maxDepth: 0 }).tree.value, (p) => Math.round(p * n))).toEqual(new Array(n).fill(1));

    // A bootstrapped regression tree equals the tree grown without bootstrap on the drawn rows repeated. One feature,
    // so no exact ties between features (broken by the seeded feature order, which differs between the two runs);
    // targets in 1/1024 steps, so weighted and repeated sums are exact.
    const x1 = { rows: n, cols: 1, data: X.data.filter((_, k) => k % 2 === 0) };
    const y = Float64Array.from(range(n), (i) => Math.round(1024 * (10 * Math.sin(7 * x1.data[i]!) + 5 * X.data[2 * i + 1]!)) / 1024);
    const reg = forestData(x1, y, 0).d;
    const boot = build(reg, { bootstrap: true }, 1).tree;
    const rep: number[] = [];
    c1.forEach((c, i) => {
      for (let k = 0; k < c; k++) rep.push(i);
    });
    const repeated = build({ ...reg, binned: Uint8Array.from(rep, (r) => reg.binned[r]!), n: rep.length, y: Float64Array.from(rep, (r) => y[r]!) }).tree;
    expect(boot.left.length).toBeGreaterThan(20);
    // (missingLeft is left out: with no NaN in a node, NaN is sent to the child with more rows, and rows count once
    // whatever their bootstrap weight, as in scikit-learn.)
    expect([boot.feature, boot.threshold, boot.left, boot.right]).toEqual([repeated.feature, repeated.threshold, repeated.left, repeated.right]);
    boot.value.forEach((v, k) => expect(v).toBeCloseTo(repeated.value[k]!, 10));
  });

  test('feature sampling: maxFeatures 1 splits the root on a seeded random feature, the best split of that feature', () => {
    // Feature 0 explains y best, then 1, then 2.
    const n = 200;
    const X = uniform(n, 3, 31);
    const y = Float64Array.from(range(n), (i) => 4 * X.data[3 * i]! + 2 * X.data[3 * i + 1]! + X.data[3 * i + 2]!);
    const { d } = forestData(X, y, 0);
    const seen = new Set<number>();
    const bestOf = new Map<number, number>();
    for (let seed = 0; seed < 30; seed++) {
      const t = build(d, { maxFeatures: 1, maxDepth: 1 }, seed).tree;
      expect(build(d, { maxFeatures: 1, maxDepth: 1 }, seed).tree).toEqual(t);
      const f = t.feature[0]!;
      seen.add(f);
      // The root split is the best on feature f alone.
      const nodes = rowsOfNodes(t, X);
      const only = { ...d, nFeatures: 1, binned: d.binned.subarray(f * n, (f + 1) * n), nBins: d.nBins.subarray(f, f + 1) };
      if (!bestOf.has(f)) bestOf.set(f, bruteBest(only, range(n), 1));
      expect(proxy(y, 0, nodes[1]!, nodes[2]!)).toBeGreaterThanOrEqual(bestOf.get(f)! * (1 - 1e-12));
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);
    // Trying every feature always finds feature 0.
    for (let seed = 0; seed < 5; seed++) expect(build(d, { maxDepth: 1 }, seed).tree.feature[0]).toBe(0);
  });

  test('a workspace reused across trees and seeds gives the trees of fresh workspaces', () => {
    const { X, y } = data(150, 41, 3);
    const { d } = forestData(X, y, 3);
    const ws = new ForestWorkspace(d);
    const o = { ...OPTS, maxFeatures: 2, bootstrap: true };
    for (const seed of [5, 6, 5, 7]) expect(buildForestTree(d, o, seed, ws)).toEqual(buildForestTree(d, o, seed, new ForestWorkspace(d)));
  });

  test('constant features are never split on (with the constant-feature mask at ≤ 31 features and without above)', () => {
    for (const F of [3, 33]) {
      const n = 120;
      const X = uniform(n, F, 51);
      for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) if (f % 3 !== 1) X.data[i * F + f] = 2;
      const y = Float64Array.from(range(n), (i) => Math.sin(9 * X.data[i * F + 1]!) + (i % 5));
      const { d } = forestData(X, y, 0);
      const t = build(d, { maxFeatures: 2 }, 3).tree;
      const used = new Set(Array.from(t.feature).filter((f) => f >= 0));
      expect(used.size).toBeGreaterThan(0);
      for (const f of used) expect(f % 3).toBe(1);
      // Every row fitted exactly (distinct x per row on the informative features).
      const nodes = rowsOfNodes(t, X);
      for (let k = 0; k < t.left.length; k++) if (t.left[k] === -1) expect(new Set(nodes[k]!.map((r) => y[r])).size).toBe(1);
    }
    // Nothing but constant features: a single leaf holding the mean.
    const X = { rows: 10, cols: 2, data: new Float64Array(20).fill(1) };
    const t = build(forestData(X, Float64Array.from(range(10)), 0).d).tree;
    expect([t.left.length, t.value[0]]).toEqual([1, 4.5]);
  });

  test('importances are the normalised weighted impurity decreases of the splits', () => {
    for (const C of [0, 3]) {
      const { X, y } = data(200, 61 + C, C);
      const t = build(forestData(X, y, C).d, { maxDepth: 5 });
      const nodes = rowsOfNodes(t.tree, X);
      const impurity = (rows: number[]): number => {
        if (C === 0) {
          const m = rows.reduce((a, r) => a + y[r]!, 0) / rows.length;
          return rows.reduce((a, r) => a + (y[r]! - m) ** 2, 0) / rows.length;
        }
        const c = new Array<number>(C).fill(0);
        for (const r of rows) c[y[r]!]!++;
        return 1 - c.reduce((a, v) => a + (v / rows.length) ** 2, 0);
      };
      const imp = new Array<number>(4).fill(0);
      for (let k = 0; k < t.tree.left.length; k++) {
        if (t.tree.left[k] === -1) continue;
        const [L, R] = [nodes[t.tree.left[k]!]!, nodes[t.tree.right[k]!]!];
        imp[t.tree.feature[k]!] += nodes[k]!.length * impurity(nodes[k]!) - L.length * impurity(L) - R.length * impurity(R);
      }
      const total = imp.reduce((a, b) => a + b, 0);
      imp.forEach((v, f) => expect(t.importances[f]!).toBeCloseTo(v / total, 9));
    }
  });

  test('NaN at predict time follows the training side; without NaN in the node, the larger child', () => {
    // Feature without missing values: NaN goes with the majority.
    const x = [...range(30).map(() => 0), ...range(10).map(() => 1)];
    const y = Float64Array.from(x, (v) => v * 10);
    const t = build(forestData({ rows: 40, cols: 1, data: Float64Array.from(x) }, y, 0).d).tree;
    expect([t.feature[0], t.missingLeft[0]]).toEqual([0, 1]);
    const flipped = build(forestData({ rows: 40, cols: 1, data: Float64Array.from(x, (v) => 1 - v) }, y, 0).d).tree;
    expect(flipped.missingLeft[0]).toBe(0);
    // Missing rows alike the high ones: NaN goes right with them; alike the low ones: left.
    for (const [nanY, left] of [
      [10, 0],
      [0, 1],
    ] as const) {
      const xs = [...x, NaN, NaN, NaN];
      const ys = Float64Array.from(xs, (v) => (Number.isNaN(v) ? nanY : v * 10));
      const tm = build(forestData({ rows: 43, cols: 1, data: Float64Array.from(xs) }, ys, 0).d).tree;
      expect([nanY, tm.missingLeft[0]]).toEqual([nanY, left]);
    }
  });
});
