/**
 * Per-part tests of the histogram builder (src/trees/histogram.ts), in the
 * spirit of scikit-learn's `test_histogram.py`: every build path equals the
 * brute-force sums, feature ranges are independent, and histogram
 * subtraction gives the sibling.
 */
import { Rng } from '../src/core/random';
import { accumulateHistogram, buildHistogram, subtractHistogram } from '../src/trees/histogram';
import { bruteHistogram, dyadic, offsetsOf, randomBins, range } from './trees-parts';

const N = 257;

/** `nF` features with varied bin counts (1 to 255 non-missing bins), some with missing values. */
function setup(nF: number, seed: number): { nBins: number[]; binned: Uint8Array; offsets: Int32Array } {
  const nBins = range(nF).map((f) => [3, 1, 255, 17, 2, 64, 5, 9, 128][f % 9]!);
  const missing = range(nF).map((f) => (f % 3 === 0 ? 0.2 : 0));
  return { nBins, binned: randomBins(N, nBins, seed, missing), offsets: offsetsOf(nBins) };
}

/** A random subset of rows in random order (a leaf's range of the index array). */
function someRows(n: number, k: number, seed: number): Uint32Array {
  return new Rng(seed).permutation(n).slice(0, k);
}

describe('buildHistogram', () => {
  // 1..9 features cover the four-feature, two-feature and one-feature loops, with and without hessians.
  test.each([2, 3] as const)('stride %i: root and leaf histograms equal the brute-force sums for 1..9 features', (stride) => {
    for (let nF = 1; nF <= 9; nF++) {
      const { binned, offsets } = setup(nF, nF);
      const g = dyadic(N, 100 + nF);
      const h = stride === 3 ? dyadic(N, 200 + nF, 0, 2) : null;
      const len = stride * offsets[nF]!;
      // Root: all rows in order, gradients in row order.
      const root = new Float64Array(len);
      buildHistogram(root, stride, binned, N, offsets, 0, nF, null, N, g, h);
      expect([nF, root]).toEqual([nF, bruteHistogram(stride, binned, N, offsets, range(N), g, h)]);
      // Leaf: some rows in any order, their gradients ordered alongside (og[k] belongs to rows[k]).
      const rows = someRows(N, 101, nF);
      const og = Float64Array.from(rows, (r) => g[r]!);
      const oh = h ? Float64Array.from(rows, (r) => h[r]!) : null;
      const leaf = new Float64Array(len);
      buildHistogram(leaf, stride, binned, N, offsets, 0, nF, rows, rows.length, og, oh);
      expect([nF, leaf]).toEqual([nF, bruteHistogram(stride, binned, N, offsets, rows, og, oh)]);
    }
  });

  test('a root histogram of the first `count` rows ignores the rest', () => {
    const { binned, offsets } = setup(5, 1);
    const g = dyadic(N, 2);
    const hist = new Float64Array(2 * offsets[5]!);
    buildHistogram(hist, 2, binned, N, offsets, 0, 5, null, 100, g, null);
    expect(hist).toEqual(bruteHistogram(2, binned, N, offsets, range(100), g, null));
  });

  test('every feature sums to the node totals (gradient, hessian, count); the NaN bin is the last slot', () => {
    const nF = 6;
    const { nBins, binned, offsets } = setup(nF, 4);
    const rng = new Rng(9);
    const g = Float64Array.from({ length: N }, () => rng.normal());
    const h = Float64Array.from({ length: N }, () => rng.next() + 0.1);
    const hist = new Float64Array(3 * offsets[nF]!);
    buildHistogram(hist, 3, binned, N, offsets, 0, nF, null, N, g, h);
    const G = g.reduce((a, b) => a + b, 0);
    const H = h.reduce((a, b) => a + b, 0);
    for (let f = 0; f < nF; f++) {
      let sg = 0;
      let sh = 0;
      let sc = 0;
      for (let s = offsets[f]!; s < offsets[f + 1]!; s++) {
        sg += hist[3 * s]!;
        sh += hist[3 * s + 1]!;
        sc += hist[3 * s + 2]!;
      }
      expect(sg).toBeCloseTo(G, 10);
      expect(sh).toBeCloseTo(H, 10);
      expect(sc).toBe(N);
      // The NaN bin's count is the number of rows in bin nBins[f].
      let missing = 0;
      for (let i = 0; i < N; i++) if (binned[f * N + i] === nBins[f]) missing++;
      expect(hist[3 * (offsets[f + 1]! - 1) + 2]).toBe(missing);
    }
  });

  test('a feature range is zeroed and filled on its own; slots of other features stay as they were', () => {
    const nF = 9;
    const { binned, offsets } = setup(nF, 5);
    const g = dyadic(N, 6);
    const full = bruteHistogram(2, binned, N, offsets, range(N), g, null);
    // How worker threads share one histogram: each builds its own features into a dirty buffer.
    const hist = new Float64Array(full.length).fill(-7);
    for (const [f0, f1] of [
      [0, 3],
      [3, 4],
      [4, 9],
    ] as const) {
      buildHistogram(hist, 2, binned, N, offsets, f0, f1, null, N, g, null);
      expect(hist.subarray(0, 2 * offsets[f1]!)).toEqual(full.subarray(0, 2 * offsets[f1]!));
      expect(hist.subarray(2 * offsets[f1]!).every((v) => v === -7)).toBe(true);
    }
  });

  test('accumulateHistogram adds to what is there: part A then part B equals A ∪ B', () => {
    const nF = 7;
    const { binned, offsets } = setup(nF, 8);
    const g = dyadic(N, 10);
    const h = dyadic(N, 11, 0, 3);
    const rows = someRows(N, 200, 12);
    const og = Float64Array.from(rows, (r) => g[r]!);
    const oh = Float64Array.from(rows, (r) => h[r]!);
    const hist = new Float64Array(3 * offsets[nF]!);
    buildHistogram(hist, 3, binned, N, offsets, 0, nF, rows.subarray(0, 80), 80, og.subarray(0, 80), oh.subarray(0, 80));
    accumulateHistogram(hist, 3, binned, N, offsets, 0, nF, rows.subarray(80), 120, og.subarray(80), oh.subarray(80));
    expect(hist).toEqual(bruteHistogram(3, binned, N, offsets, rows, og, oh));
  });
});

describe('subtractHistogram', () => {
  test.each([2, 3] as const)('stride %i: parent − child = sibling, exactly on exact sums', (stride) => {
    const nF = 5;
    const { binned, offsets } = setup(nF, 13);
    const g = dyadic(N, 14);
    const h = stride === 3 ? dyadic(N, 15, 0, 2) : null;
    const len = stride * offsets[nF]!;
    const parent = new Float64Array(len);
    buildHistogram(parent, stride, binned, N, offsets, 0, nF, null, N, g, h);
    // Any split of the rows into two children.
    const order = new Rng(16).permutation(N);
    const left = order.subarray(0, 90);
    const right = order.subarray(90);
    const child = bruteHistogram(
      stride,
      binned,
      N,
      offsets,
      left,
      Float64Array.from(left, (r) => g[r]!),
      h && Float64Array.from(left, (r) => h[r]!),
    );
    const sibling = bruteHistogram(
      stride,
      binned,
      N,
      offsets,
      right,
      Float64Array.from(right, (r) => g[r]!),
      h && Float64Array.from(right, (r) => h[r]!),
    );
    subtractHistogram(parent, child, len);
    expect(parent).toEqual(sibling);
  });

  test('on real-valued gradients the difference matches the sibling to rounding, and counts exactly', () => {
    const nF = 4;
    const { binned, offsets } = setup(nF, 17);
    const rng = new Rng(18);
    const g = Float64Array.from({ length: N }, () => rng.normal() * 100);
    const len = 2 * offsets[nF]!;
    const parent = new Float64Array(len);
    buildHistogram(parent, 2, binned, N, offsets, 0, nF, null, N, g, null);
    const order = new Rng(19).permutation(N);
    const rows = order.subarray(0, 60);
    const child = new Float64Array(len);
    buildHistogram(
      child,
      2,
      binned,
      N,
      offsets,
      0,
      nF,
      rows,
      60,
      Float64Array.from(rows, (r) => g[r]!),
      null,
    );
    const rest = order.subarray(60);
    const sibling = bruteHistogram(
      2,
      binned,
      N,
      offsets,
      rest,
      Float64Array.from(rest, (r) => g[r]!),
      null,
    );
    subtractHistogram(parent, child, len);
    for (let k = 0; k < len; k += 2) {
      expect(Math.abs(parent[k]! - sibling[k]!)).toBeLessThan(1e-9);
      expect(parent[k + 1]).toBe(sibling[k + 1]);
    }
  });

  test('only the first `len` slots change', () => {
    const parent = Float64Array.from([5, 5, 5, 5]);
    subtractHistogram(parent, Float64Array.from([1, 2, 3, 4]), 3);
    expect(Array.from(parent)).toEqual([4, 3, 2, 5]);
  });
});
