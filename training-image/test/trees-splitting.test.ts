/**
 * Per-part tests of the split finder (src/trees/splitting.ts), in the spirit
 * of scikit-learn's `test_splitting.py`: the split found on a histogram is
 * the best of an exhaustive search over every threshold and side for
 * missing values, computed from the rows themselves, under the L2 and
 * min-samples / min-hessian constraints; no split without a positive gain.
 */
import { Rng } from '../src/core/random';
import { buildHistogram } from '../src/trees/histogram';
import { findBestSplit, SplitContext, SplitInfo } from '../src/trees/splitting';
import { offsetsOf, randomBins, range } from './trees-parts';

interface Node {
  ctx: SplitContext;
  binned: Uint8Array;
  n: number;
  g: Float64Array;
  h: Float64Array; // all ones for stride 2
  hist: Float64Array;
  G: number;
  H: number;
}

function node(
  binned: Uint8Array,
  n: number,
  nBins: number[],
  hasMissing: number[],
  g: Float64Array,
  h: Float64Array | null,
  opts: { l2?: number; minSamplesLeaf?: number; minHessian?: number } = {},
): Node {
  const stride: 2 | 3 = h ? 3 : 2;
  const offsets = offsetsOf(nBins);
  const ctx: SplitContext = {
    stride,
    nFeatures: nBins.length,
    offsets,
    nBins: Int32Array.from(nBins),
    hasMissing: Uint8Array.from(hasMissing),
    l2: opts.l2 ?? 0,
    minSamplesLeaf: opts.minSamplesLeaf ?? 1,
    minHessian: opts.minHessian ?? 1e-3,
  };
  const hist = new Float64Array(stride * offsets[nBins.length]!);
  buildHistogram(hist, stride, binned, n, offsets, 0, nBins.length, null, n, g, h);
  const hh = h ?? new Float64Array(n).fill(1);
  return { ctx, binned, n, g, h: hh, hist, G: g.reduce((a, b) => a + b, 0), H: hh.reduce((a, b) => a + b, 0) };
}

const find = (d: Node): SplitInfo => {
  const s = new SplitInfo();
  const found = findBestSplit(d.ctx, d.hist, d.G, d.H, d.n, s);
  expect(found).toBe(s.feature >= 0);
  return s;
};

/** Row sums of the left child of "bin ≤ b goes left, NaN left iff missingLeft" on feature f. */
function leftSums(d: Node, f: number, b: number, missingLeft: boolean): { gl: number; hl: number; cl: number } {
  let gl = 0;
  let hl = 0;
  let cl = 0;
  const nb = d.ctx.nBins[f]!;
  for (let i = 0; i < d.n; i++) {
    const v = d.binned[f * d.n + i]!;
    if (v === nb ? missingLeft : v <= b) {
      gl += d.g[i]!;
      hl += d.h[i]!;
      cl++;
    }
  }
  return { gl, hl, cl };
}

/** The gain of a split from its left sums, or -Infinity when it breaks a constraint or leaves a child empty. */
function gainOf(d: Node, gl: number, hl: number, cl: number): number {
  const { l2, minSamplesLeaf, minHessian } = d.ctx;
  const cr = d.n - cl;
  const hr = d.H - hl;
  if (cl < minSamplesLeaf || cr < minSamplesLeaf || hl < minHessian || hr < minHessian || cl === 0 || cr === 0) return -Infinity;
  const gr = d.G - gl;
  return (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - (d.G * d.G) / (d.H + l2);
}

/** Exhaustive search from the rows: every feature, every threshold bin, NaN on either side (when the feature had NaN). */
function bruteBest(d: Node): number {
  let best = -Infinity;
  for (let f = 0; f < d.ctx.nFeatures; f++) {
    const sides = d.ctx.hasMissing[f] ? [false, true] : [false];
    for (const ml of sides) {
      for (let b = 0; b < d.ctx.nBins[f]!; b++) {
        const { gl, hl, cl } = leftSums(d, f, b, ml);
        best = Math.max(best, gainOf(d, gl, hl, cl));
      }
    }
  }
  return best;
}

/** Checks a found split against the rows: its sums, its gain, and that no other split gains more. */
function expectBest(d: Node, s: SplitInfo): void {
  const best = bruteBest(d);
  const tol = 1e-9 * Math.max(1, Math.abs(best));
  if (!(best > tol)) {
    expect(s.feature).toBe(-1);
    return;
  }
  expect(s.feature).toBeGreaterThanOrEqual(0);
  // For a feature without NaN in training, missingLeft is only the predict-time rule: the rows never had NaN.
  const { gl, hl, cl } = leftSums(d, s.feature, s.bin, s.missingLeft);
  expect(s.cL).toBe(cl);
  expect(s.cR).toBe(d.n - cl);
  expect(s.gL).toBeCloseTo(gl, 9);
  expect(s.hL).toBeCloseTo(hl, 9);
  expect(s.gL + s.gR).toBeCloseTo(d.G, 9);
  expect(s.hL + s.hR).toBeCloseTo(d.H, 9);
  expect(Math.abs(s.gain - gainOf(d, gl, hl, cl))).toBeLessThan(tol);
  expect(Math.abs(s.gain - best)).toBeLessThan(tol);
}

describe('findBestSplit', () => {
  test('equals an exhaustive search over all thresholds on random small data (λ, min samples, min hessian, NaN)', () => {
    let cases = 0;
    let splits = 0;
    for (let seed = 0; seed < 60; seed++) {
      const rng = new Rng(seed);
      const n = 20 + rng.int(60);
      const nBins = [2 + rng.int(6), 1 + rng.int(12), 2 + rng.int(30)];
      const hasMissing = nBins.map(() => (rng.next() < 0.5 ? 1 : 0));
      const binned = randomBins(
        n,
        nBins,
        seed,
        hasMissing.map((m) => (m ? 0.25 : 0)),
      );
      const g = Float64Array.from({ length: n }, () => rng.normal() + (rng.next() < 0.3 ? 2 : 0));
      const h = seed % 2 ? Float64Array.from({ length: n }, () => 0.05 + rng.next()) : null;
      const opts = { l2: [0, 1, 10][seed % 3]!, minSamplesLeaf: [1, 3, 8][seed % 4 === 0 ? 2 : seed % 2]!, minHessian: [1e-3, 2][seed % 5 === 0 ? 1 : 0]! };
      const d = node(binned, n, nBins, hasMissing, g, h, opts);
      const s = find(d);
      expectBest(d, s);
      cases++;
      if (s.feature >= 0) splits++;
    }
    expect(cases).toBe(60);
    expect(splits).toBeGreaterThan(50);
  });

  test.each([3, 32, 255])('recovers a planted threshold among %i bins, for either sign', (nb) => {
    const n = 2000;
    const binned = randomBins(n, [nb], nb);
    for (const trueBin of [0, 1, nb >> 1, nb - 2]) {
      for (const sign of [-1, 1]) {
        const g = Float64Array.from({ length: n }, (_, i) => (binned[i]! <= trueBin ? -sign : sign));
        const s = find(node(binned, n, [nb], [0], g, null));
        expect([trueBin, sign, s.feature, s.bin]).toEqual([trueBin, sign, 0, trueBin]);
        expect(s.cL + s.cR).toBe(n);
        expect(s.hL).toBe(s.cL); // unit hessian: the hessian sum is the count
      }
    }
  });

  test('the gain is GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ), by hand', () => {
    // Two bins: rows in bin 0 have gradients 1, 2; bin 1 has −3, −4, −5 (unit hessians).
    const binned = Uint8Array.from([0, 0, 1, 1, 1]);
    const g = Float64Array.from([1, 2, -3, -4, -5]);
    for (const l2 of [0, 1, 2.5]) {
      const s = find(node(binned, 5, [2], [0], g, null, { l2 }));
      expect([s.feature, s.bin, s.gL, s.hL, s.cL, s.gR, s.hR, s.cR]).toEqual([0, 0, 3, 2, 2, -12, 3, 3]);
      expect(s.gain).toBeCloseTo(9 / (2 + l2) + 144 / (3 + l2) - 81 / (5 + l2), 12);
    }
    // Hessians weigh the children: the same rows with hessians 0.5, 0.5, 2, 2, 2.
    const s = find(node(binned, 5, [2], [0], g, Float64Array.from([0.5, 0.5, 2, 2, 2]), { l2: 1 }));
    expect(s.hL).toBe(1);
    expect(s.hR).toBe(6);
    expect(s.gain).toBeCloseTo(9 / 2 + 144 / 7 - 81 / 8, 12);
  });

  test('missing values go to the side that gains more', () => {
    // Bins 0, 1 pull down (g = −1), bins 2, 3 pull up (g = +1); NaN rows (bin 4) pull either way.
    const n = 50;
    const binned = Uint8Array.from(range(n), (i) => (i < 40 ? i % 4 : 4));
    for (const [gNaN, left] of [
      [-1, true],
      [1, false],
    ] as const) {
      const g = Float64Array.from(range(n), (i) => (i < 40 ? (i % 4 < 2 ? -1 : 1) : gNaN));
      const d = node(binned, n, [4], [1], g, null);
      const s = find(d);
      expect([gNaN, s.bin, s.missingLeft]).toEqual([gNaN, 1, left]);
      expect(s.cL).toBe(left ? 30 : 20);
      expectBest(d, s);
    }
    // When NaN alone is the signal, the split is "every value left, NaN right" (bin nBins-1, threshold +Infinity).
    const g = Float64Array.from(range(n), (i) => (i < 40 ? 0 : 5));
    const s = find(node(binned, n, [4], [1], g, null));
    expect([s.bin, s.missingLeft, s.cL, s.cR]).toEqual([3, false, 40, 10]);
  });

  test('without NaN in training, NaN is sent to the larger child; with NaN in training but none in the node, right', () => {
    const n = 30;
    const binned = Uint8Array.from(range(n), (i) => (i < 20 ? 0 : 1));
    const g = Float64Array.from(range(n), (i) => (i < 20 ? -1 : 1));
    expect(find(node(binned, n, [2], [0], g, null)).missingLeft).toBe(true); // 20 left vs 10 right
    const flipped = Uint8Array.from(binned, (b) => 1 - b);
    expect(find(node(flipped, n, [2], [0], g, null)).missingLeft).toBe(false); // 10 left vs 20 right
    expect(find(node(binned, n, [2], [1], g, null)).missingLeft).toBe(false);
  });

  test('minSamplesLeaf and minHessian move the split or forbid it', () => {
    // The best unconstrained split isolates the 2 rows of bin 0.
    const n = 20;
    const binned = Uint8Array.from(range(n), (i) => (i < 2 ? 0 : i < 6 ? 1 : 2));
    const g = Float64Array.from(range(n), (i) => (i < 2 ? -50 : i < 6 ? -1 : 1));
    const free = node(binned, n, [3], [0], g, null);
    expect(find(free).bin).toBe(0);
    const msl = node(binned, n, [3], [0], g, null, { minSamplesLeaf: 3 });
    const s = find(msl);
    expect([s.bin, s.cL]).toEqual([1, 6]);
    expectBest(msl, s);
    expect(find(node(binned, n, [3], [0], g, null, { minSamplesLeaf: 11 })).feature).toBe(-1);
    // Hessians 0.1 per row: 2 rows hold 0.2 < 0.5, 6 rows hold 0.6.
    const h = new Float64Array(n).fill(0.1);
    const mh = node(binned, n, [3], [0], g, h, { minHessian: 0.5 });
    expect(find(mh).bin).toBe(1);
    expect(find(node(binned, n, [3], [0], g, h, { minHessian: 1.5 })).feature).toBe(-1);
  });

  test('no split when no gain is positive: a pure node, constant features, too few rows', () => {
    const n = 100;
    const binned = randomBins(n, [255, 7], 3);
    const ones = new Float64Array(n).fill(1);
    const stale = new SplitInfo();
    Object.assign(stale, { gain: 9, feature: 1, bin: 3 });
    const d = node(binned, n, [255, 7], [0, 0], ones, null);
    expect(findBestSplit(d.ctx, d.hist, d.G, d.H, n, stale)).toBe(false);
    expect([stale.feature, stale.gain]).toEqual([-1, 0]);
    // Hessians proportional to gradients: every child has the same value −G/H, so no gain either.
    expect(
      find(
        node(
          binned,
          n,
          [255, 7],
          [0, 0],
          ones,
          Float64Array.from(ones, () => 2),
        ),
      ).feature,
    ).toBe(-1);
    // Every row in one bin (a constant feature), with and without a NaN bin that is empty.
    const constant = new Uint8Array(2 * n).fill(0);
    const g = Float64Array.from(range(n), (i) => i - 40);
    expect(find(node(constant, n, [1, 1], [0, 1], g, null)).feature).toBe(-1);
    // One row cannot be split.
    expect(find(node(Uint8Array.from([0]), 1, [2], [0], Float64Array.from([3]), null)).feature).toBe(-1);
  });

  test('among features, the one with the larger gain wins', () => {
    const n = 64;
    const rng = new Rng(5);
    const y = Float64Array.from({ length: n }, () => rng.next());
    // Feature 0 sees y through 4 bins, feature 1 through 16: finer bins separate better.
    const binned = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) {
      binned[i] = Math.floor(y[i]! * 4);
      binned[n + i] = Math.floor(y[i]! * 16);
    }
    const g = Float64Array.from(y, (v) => (v < 0.3 ? -1 : 1));
    const d = node(binned, n, [4, 16], [0, 0], g, null);
    const s = find(d);
    expect(s.feature).toBe(1);
    expectBest(d, s);
  });
});
