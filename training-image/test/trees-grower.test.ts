/**
 * Per-part tests of the leaf-wise tree grower (src/trees/grower.ts) on the
 * serial engine, in the spirit of scikit-learn's `test_grower.py`: growth
 * limits, leaf values −lr·G/(H+λ) from the rows each leaf holds, the order
 * of growth (always the leaf of largest gain), the training predictions'
 * update, and reuse of the grower's histograms from tree to tree.
 */
import { Matrix } from '../src/core/matrix';
import { Rng } from '../src/core/random';
import { BinMapper } from '../src/trees/binning';
import { addBinnedPredictions, GrowerOptions, GrownTree, SerialHistogramBuilder, TreeGrower } from '../src/trees/grower';
import { findBestSplit, SplitInfo } from '../src/trees/splitting';
import { FlatTree, leafOf } from '../src/trees/tree';
import { bruteHistogram, range, uniform } from './trees-parts';

const OPTS: GrowerOptions = { maxLeafNodes: 31, maxDepth: Infinity, minSamplesLeaf: 1, l2: 0, learningRate: 1, minHessian: 1e-3, rootFromLeaves: false };

interface Setup {
  X: Matrix;
  mapper: BinMapper;
  binned: Uint8Array;
  hb: SerialHistogramBuilder;
  grower: TreeGrower;
}

function setup(X: Matrix, opts: Partial<GrowerOptions> = {}, stride: 2 | 3 = 2, maxBins = 255): Setup {
  const mapper = BinMapper.fit(X, null, maxBins, new Rng(0));
  const binned = mapper.transform(X, null);
  const hb = new SerialHistogramBuilder(stride, binned, X.rows, mapper.offsets);
  const grower = new TreeGrower(mapper, X.rows, stride, { ...OPTS, ...opts }, hb, {});
  return { X, mapper, binned, hb, grower };
}

/** Grows one tree on gradients `g` (and hessians `h`), raw scores starting at `base`. */
function grow(s: Setup, g: Float64Array, h: Float64Array | null = null, base = 0): GrownTree {
  s.hb.grad.set(g);
  if (h) s.hb.hess!.set(h);
  s.hb.raw.fill(base);
  return s.grower.grow();
}

/** A friedman-like target on 4 uniform features, some values missing. */
function data(n: number, seed: number, missing = 0.1): { X: Matrix; y: Float64Array } {
  const X = uniform(n, 4, seed, missing);
  const rng = new Rng(seed + 1);
  const v = (i: number, f: number): number => {
    const x = X.data[i * 4 + f]!;
    return Number.isNaN(x) ? 0.7 : x;
  };
  const y = Float64Array.from(range(n), (i) => 10 * Math.sin(3 * v(i, 0) * v(i, 1)) + 8 * (v(i, 2) - 0.5) ** 2 + 4 * v(i, 3) + rng.normal());
  return { X, y };
}

const leaves = (t: FlatTree): number[] => range(t.left.length).filter((k) => t.left[k] === -1);

function depths(t: FlatTree): Int32Array {
  const d = new Int32Array(t.left.length);
  for (let k = 0; k < t.left.length; k++)
    if (t.left[k]! >= 0) {
      d[t.left[k]!] = d[k]! + 1;
      d[t.right[k]!] = d[k]! + 1;
    }
  return d;
}

/** Training rows of each node, by routing the raw rows through the tree. */
function rowsOfLeaves(t: FlatTree, X: Matrix): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < X.rows; i++) {
    const k = leafOf(t, X.data, i * X.cols);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(i);
  }
  return m;
}

const sum = (v: ArrayLike<number>, rows: number[]): number => rows.reduce((a, r) => a + v[r]!, 0);

describe('TreeGrower', () => {
  test.each([
    [2, 1, 0],
    [2, 0.1, 3],
    [3, 1, 0],
    [3, 0.3, 1.5],
  ] as const)('stride %i, lr %p, λ %p: leaf values are −lr·G/(H+λ) of their rows, and the raw scores move by them', (stride, lr, l2) => {
    const { X, y } = data(300, 1);
    const s = setup(X, { learningRate: lr, l2, maxLeafNodes: 12 }, stride);
    const rng = new Rng(2);
    const g = Float64Array.from(y, (v) => -v);
    const h = stride === 3 ? Float64Array.from(y, () => 0.2 + rng.next()) : null;
    const grown = grow(s, g, h, 5);
    const t = grown.tree;
    const byLeaf = rowsOfLeaves(t, X);
    expect([...byLeaf.keys()].sort((a, b) => a - b)).toEqual(leaves(t));
    for (const [k, rows] of byLeaf) {
      const G = sum(g, rows);
      const H = h ? sum(h, rows) : rows.length;
      expect(t.value[k]!).toBeCloseTo((-lr * G) / (H + l2), 10);
      // Every row of the leaf got exactly that value added to its raw score.
      for (const r of rows) expect(s.hb.raw[r]).toBe(5 + t.value[k]!);
    }
    // Split thresholds are the raw edges of the split bins, and predicting on bins agrees with predicting on raw values.
    for (let k = 0; k < t.left.length; k++) if (t.left[k]! >= 0) expect(t.threshold[k]).toBe(s.mapper.thresholdOf(t.feature[k]!, grown.binThreshold[k]!));
    const onBins = new Float64Array(X.rows).fill(5);
    addBinnedPredictions(grown, s.mapper, s.binned, X.rows, onBins);
    expect(onBins).toEqual(s.hb.raw);
  });

  test('maxLeafNodes caps the leaves (and the tree has 2k − 1 nodes)', () => {
    const { X, y } = data(400, 3);
    const g = Float64Array.from(y, (v) => -v);
    for (const k of [2, 3, 5, 8, 13]) {
      const t = grow(setup(X, { maxLeafNodes: k }), g).tree;
      expect([k, leaves(t).length, t.left.length]).toEqual([k, k, 2 * k - 1]);
    }
  });

  test('maxDepth caps the depth (root at 0); maxDepth 1 gives a stump', () => {
    const { X, y } = data(400, 4);
    const g = Float64Array.from(y, (v) => -v);
    for (const d of [1, 2, 3, 5]) {
      const t = grow(setup(X, { maxDepth: d, maxLeafNodes: 64 }), g).tree;
      const depth = depths(t);
      expect(Math.max(...leaves(t).map((k) => depth[k]!))).toBe(d);
    }
    expect(grow(setup(X, { maxDepth: 1 }), g).tree.left.length).toBe(3);
  });

  test('minSamplesLeaf and minHessian hold in every leaf', () => {
    const { X, y } = data(400, 5);
    const g = Float64Array.from(y, (v) => -v);
    const t = grow(setup(X, { minSamplesLeaf: 30, maxLeafNodes: 64 }), g).tree;
    const counts = [...rowsOfLeaves(t, X).values()].map((r) => r.length);
    expect(counts.length).toBeGreaterThan(4);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(30);
    // Hessians of 0.01 per row: a minimum hessian of 0.5 needs 50 rows a leaf.
    const h = new Float64Array(X.rows).fill(0.01);
    const th = grow(setup(X, { minHessian: 0.5, maxLeafNodes: 64 }, 3), g, h).tree;
    const hs = [...rowsOfLeaves(th, X).values()].map((r) => sum(h, r));
    expect(hs.length).toBeGreaterThan(2);
    expect(Math.min(...hs)).toBeGreaterThanOrEqual(0.5 - 1e-12);
  });

  test('grows leaf-wise: each new split is on the leaf whose best split gains most', () => {
    const { X, y } = data(300, 6);
    const g = Float64Array.from(y, (v) => -v);
    const grown = range(9).map((i) => {
      const s = setup(X, { maxLeafNodes: i + 2, maxDepth: 4, minSamplesLeaf: 5 });
      const t = grow(s, g).tree;
      return { s, t, gains: s.grower.importances.reduce((a, b) => a + b, 0) };
    });
    for (let i = 0; i + 1 < grown.length; i++) {
      const { s, t } = grown[i]!;
      const next = grown[i + 1]!.t;
      // The smaller tree is the first part of the larger one.
      const n = t.left.length;
      for (let k = 0; k < n; k++) {
        if (t.left[k]! >= 0) expect([k, next.feature[k], next.threshold[k], next.left[k]]).toEqual([k, t.feature[k], t.threshold[k], t.left[k]]);
      }
      const splitLeaf = range(n).find((k) => t.left[k] === -1 && next.left[k] !== -1)!;
      expect(next.left[splitLeaf]).toBe(n);
      // The best split of every leaf of the smaller tree, from its rows (leaves too deep or too small cannot split).
      const depth = depths(t);
      let bestLeaf = -1;
      let bestGain = 0;
      for (const [k, rows] of rowsOfLeaves(t, X)) {
        if (depth[k]! >= 4 || rows.length < 10) continue;
        const hist = bruteHistogram(
          2,
          s.binned,
          X.rows,
          s.mapper.offsets,
          rows,
          rows.map((r) => g[r]!),
          null,
        );
        const info = new SplitInfo();
        const ctx = {
          stride: 2 as const,
          nFeatures: 4,
          offsets: s.mapper.offsets,
          nBins: s.mapper.nBins,
          hasMissing: s.mapper.hasMissing,
          l2: 0,
          minSamplesLeaf: 5,
          minHessian: 1e-3,
        };
        if (findBestSplit(ctx, hist, sum(g, rows), rows.length, rows.length, info) && info.gain > bestGain) {
          bestGain = info.gain;
          bestLeaf = k;
        }
      }
      expect([i, splitLeaf]).toEqual([i, bestLeaf]);
      // The importances add up the gains of the splits made.
      expect(grown[i + 1]!.gains - grown[i]!.gains).toBeCloseTo(bestGain, 6);
    }
  });

  test('a node without a positive-gain split stays a leaf: constant gradients, too few rows', () => {
    const { X } = data(100, 7);
    for (const [stride, h] of [
      [2, null],
      [3, new Float64Array(100).fill(0.5)],
    ] as const) {
      const t = grow(setup(X, { l2: 1, learningRate: 0.5 }, stride), new Float64Array(100).fill(2), h).tree;
      expect(t.left.length).toBe(1);
      const H = h ? 50 : 100;
      expect(t.value[0]).toBeCloseTo((-0.5 * 200) / (H + 1), 12);
    }
    const { y } = data(100, 7);
    const g = Float64Array.from(y, (v) => -v);
    expect(grow(setup(X, { minSamplesLeaf: 51 }), g).tree.left.length).toBe(1);
    expect(grow(setup(X, { minSamplesLeaf: 50 }), g).tree.left.length).toBeGreaterThan(1);
  });

  test('a reused grower (pooled histograms, subtraction) grows the trees of fresh growers, tree after tree', () => {
    const { X, y } = data(500, 8);
    const reused = setup(X, { maxLeafNodes: 15, learningRate: 0.3 });
    const fresh = setup(X, { maxLeafNodes: 15, learningRate: 0.3 });
    const raw = new Float64Array(X.rows);
    for (let it = 0; it < 6; it++) {
      const g = Float64Array.from(y, (v, i) => raw[i]! - v);
      const a = grow(reused, g);
      const b = grow({ ...fresh, grower: new TreeGrower(fresh.mapper, X.rows, 2, { ...OPTS, maxLeafNodes: 15, learningRate: 0.3 }, fresh.hb, {}) }, g);
      expect(a.tree).toEqual(b.tree);
      for (let i = 0; i < X.rows; i++) raw[i] += a.tree.value[leafOf(a.tree, X.data, i * 4)]!;
    }
  });

  test("rootFromLeaves: the root histogram carried from the last tree's leaves gives the trees of a rebuilt root", () => {
    const { X, y } = data(500, 9, 0.05);
    const opts = { maxLeafNodes: 10, learningRate: 0.5, l2: 0.5 };
    const carried = setup(X, { ...opts, rootFromLeaves: true });
    const rebuilt = setup(X, opts);
    carried.hb.raw.fill(0);
    rebuilt.hb.raw.fill(0);
    for (let it = 0; it < 5; it++) {
      // The fit's loop: least-squares gradients from the grower's own raw scores.
      for (let i = 0; i < X.rows; i++) {
        carried.hb.grad[i] = carried.hb.raw[i]! - y[i]!;
        rebuilt.hb.grad[i] = rebuilt.hb.raw[i]! - y[i]!;
      }
      const a = carried.grower.grow();
      const b = rebuilt.grower.grow();
      expect([it, a.tree.feature, a.binThreshold, a.tree.missingLeft]).toEqual([it, b.tree.feature, b.binThreshold, b.tree.missingLeft]);
      for (let k = 0; k < a.tree.value.length; k++) expect(Math.abs(a.tree.value[k]! - b.tree.value[k]!)).toBeLessThan(1e-9);
    }
    expect(() => setup(X, { rootFromLeaves: true }, 3)).toThrow(/stride 2/);
  });
});
