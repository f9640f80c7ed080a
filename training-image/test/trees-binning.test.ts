/**
 * Per-part tests of the bin mapper (src/trees/binning.ts), in the spirit of
 * scikit-learn's `_hist_gradient_boosting/tests/test_binning.py`: bin edges
 * on known data, the value → bin rule, the NaN bin, limits, and that the
 * fast column transform agrees with the definition for any value.
 */
import { Matrix } from '../src/core/matrix';
import { Rng } from '../src/core/random';
import { BinMapper } from '../src/trees/binning';
import { col, range, uniform } from './trees-parts';

const fit = (X: Matrix, maxBins = 255, seed = 0, rows: Uint32Array | null = null, subsample?: number): BinMapper => BinMapper.fit(X, rows, maxBins, new Rng(seed), subsample);

/** Number of thresholds strictly below `v`: the documented bin of a non-missing value. */
function definedBin(t: Float64Array, v: number): number {
  let b = 0;
  while (b < t.length && t[b]! < v) b++;
  return b;
}

function normalColumn(n: number, seed: number): Matrix {
  const rng = new Rng(seed);
  return col(Array.from({ length: n }, () => rng.normal()));
}

describe('BinMapper: bin edges', () => {
  test('quantile edges on evenly spaced data are the exact quantiles', () => {
    const v = range(1001).map((i) => i / 100); // 0, 0.01, …, 10
    expect(Array.from(fit(col(v), 10).thresholds[0]!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(fit(col(v), 5).thresholds[0]!)).toEqual([2, 4, 6, 8]);
    // 11 values 0..10: 5 bins → quantiles; 11 or more bins → midpoints of the distinct values.
    const w = range(11);
    expect(Array.from(fit(col(w), 5).thresholds[0]!)).toEqual([2, 4, 6, 8]);
    expect(Array.from(fit(col(w), 10).thresholds[0]!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(fit(col(w), 11).thresholds[0]!)).toEqual(range(10).map((i) => i + 0.5));
    expect(Array.from(fit(col(w), 255).thresholds[0]!)).toEqual(range(10).map((i) => i + 0.5));
  });

  test('between sample points a quantile edge is the midpoint of its two neighbours', () => {
    // 0..9 in 4 bins: positions 2.25, 4.5, 6.75 → midpoints of (2,3), (4,5), (6,7).
    expect(Array.from(fit(col(range(10)), 4).thresholds[0]!)).toEqual([2.5, 4.5, 6.5]);
    // The order of the rows does not matter.
    expect(Array.from(fit(col(range(10).reverse()), 4).thresholds[0]!)).toEqual([2.5, 4.5, 6.5]);
  });

  test('with at most maxBins distinct values, each value gets its own bin, whatever the repetitions', () => {
    const rng = new Rng(3);
    const distinct = [-3.5, -1, 0, 0.25, 7, 1e6, 1e6 + 1];
    const v = range(500).map(() => distinct[rng.int(distinct.length)]!);
    for (const maxBins of [7, 8, 21, 255]) {
      const m = fit(col(v), maxBins);
      expect(m.nBins[0]).toBe(7);
      expect(Array.from(m.thresholds[0]!)).toEqual([-2.25, -0.5, 0.125, 3.625, 500003.5, 1e6 + 0.5]);
      expect(Array.from(m.transform(col(v), null))).toEqual(v.map((x) => distinct.indexOf(x)));
    }
    // Integer codes 0..k-1 map to themselves.
    const codes = range(300).map((i) => i % 12);
    expect(Array.from(fit(col(codes)).transform(col(codes), null))).toEqual(codes);
  });

  test('maxBins is respected: edges strictly increase, training bins fill 0..maxBins-1 about evenly', () => {
    const X = normalColumn(20000, 42);
    for (const maxBins of [2, 3, 16, 255]) {
      const m = fit(X, maxBins);
      const t = m.thresholds[0]!;
      expect(t.length).toBe(maxBins - 1);
      expect(m.nBins[0]).toBe(maxBins);
      for (let k = 1; k < t.length; k++) expect(t[k]!).toBeGreaterThan(t[k - 1]!);
      const b = m.transform(X, null);
      const counts = new Array<number>(maxBins + 1).fill(0);
      for (const x of b) counts[x]!++;
      expect(counts[maxBins]).toBe(0); // no NaN in the data: the missing bin stays empty
      const expected = X.rows / maxBins;
      for (let k = 0; k < maxBins; k++) expect(Math.abs(counts[k]! - expected)).toBeLessThanOrEqual(Math.max(2, 0.01 * expected));
    }
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < X.rows; i++) {
      if (X.data[i]! < X.data[lo]!) lo = i;
      if (X.data[i]! > X.data[hi]!) hi = i;
    }
    const b = fit(X, 16).transform(X, null);
    expect(b[lo]).toBe(0);
    expect(b[hi]).toBe(15);
    expect(() => fit(X, 1)).toThrow(RangeError);
    expect(() => fit(X, 256)).toThrow(RangeError);
  });

  test('heavy ties in the quantiles merge edges instead of repeating them; the top value keeps its own bin', () => {
    // 90 % zeros: most quantiles are 0; edges stay strictly increasing and 1 still splits from 0.
    const v = [...new Array<number>(900).fill(0), ...range(100).map((i) => 1 + i)];
    const m = fit(col(v), 10);
    // Quantile positions 99.9, …, 799.2 all fall on zeros (one edge 0); 899.1 falls between 0 and 1 (edge 0.5).
    expect(Array.from(m.thresholds[0]!)).toEqual([0, 0.5]);
    const b = m.transform(col(v), null);
    expect(b[0]).toBe(0);
    expect(b[900]).toBe(2);
    expect(b[999]).toBe(2);
    // A quantile equal to the maximum is dropped: the maximum stays in the last bin.
    const top = fit(col([0, 1, 2, 3, 9, 9, 9, 9, 9, 9]), 3); // quantiles at positions 3 and 6: 3 and 9
    expect(Array.from(top.thresholds[0]!)).toEqual([3]);
    expect(Array.from(top.transform(col([3, 9]), null))).toEqual([0, 1]);
  });

  test('fits on the given rows only, and a subsample draws its edges from the seeded sample', () => {
    const X = col([...range(50), ...range(50).map((i) => 1000 + i)]);
    const first = Uint32Array.from(range(50));
    const m = fit(X, 255, 0, first);
    expect(Array.from(m.thresholds[0]!)).toEqual(range(49).map((i) => i + 0.5));
    // Missing values outside the fitted rows are not seen.
    const Y = col([1, 2, 3, NaN]);
    expect(fit(Y, 255, 0, Uint32Array.from([0, 1, 2])).hasMissing[0]).toBe(0);
    expect(fit(Y, 255, 0, Uint32Array.from([1, 3])).hasMissing[0]).toBe(1);

    const Z = normalColumn(3000, 7);
    const full = fit(Z, 32, 0, null, 3000);
    const a = fit(Z, 32, 1, null, 300);
    const b = fit(Z, 32, 1, null, 300);
    const c = fit(Z, 32, 2, null, 300);
    expect(a.thresholds[0]).toEqual(b.thresholds[0]);
    expect(a.thresholds[0]).not.toEqual(full.thresholds[0]);
    expect(a.thresholds[0]).not.toEqual(c.thresholds[0]);
    expect(a.thresholds[0]!.length).toBe(31);
  });
});

describe('BinMapper: sampling in feature blocks', () => {
  test('more features than one block of sampled values holds: every feature gets the edges it gets fitted alone on the same seed', () => {
    // 210,000 rows sample 200,000; a block holds 2^20 values, so 5 features: blocks of 5 and 2 features.
    const n = 210_000;
    const F = 7;
    const rng = new Rng(11);
    const data = new Float64Array(n * F);
    for (let i = 0; i < n * F; i++) {
      const f = i % F;
      data[i] = f === 3 && rng.next() < 0.1 ? NaN : f === 6 ? rng.int(40) : rng.normal() * (f + 1);
    }
    const all = BinMapper.fit({ rows: n, cols: F, data }, null, 255, new Rng(5));
    for (let f = 0; f < F; f++) {
      const alone = BinMapper.fit(col(Array.from({ length: n }, (_, i) => data[i * F + f]!)), null, 255, new Rng(5));
      expect(all.thresholds[f]).toEqual(alone.thresholds[0]);
      expect(all.hasMissing[f]).toBe(alone.hasMissing[0]);
    }
    expect(all.thresholds[6]!.length).toBe(39);
    expect(all.hasMissing[3]).toBe(1);
  });
});

describe('BinMapper: mapping values to bins', () => {
  test('a value maps to the number of edges below it: bin b holds t[b-1] < x <= t[b]', () => {
    const m = fit(col(range(10)), 4); // edges 2.5, 4.5, 6.5
    const cases: [number, number][] = [
      [-1e9, 0],
      [2.5, 0],
      [2.5000001, 1],
      [4.5, 1],
      [4.6, 2],
      [6.5, 2],
      [6.50001, 3],
      [1e9, 3],
      [-0, 0],
    ];
    for (const [v, bin] of cases) expect([v, m.binOf(0, v)]).toEqual([v, bin]);
    expect(Array.from(m.transform(col(cases.map((c) => c[0])), null))).toEqual(cases.map((c) => c[1]));
    // "bin ≤ b goes left" is "x ≤ thresholdOf(b)" on raw values; the last bin's threshold is +Infinity.
    expect([0, 1, 2, 3].map((b) => m.thresholdOf(0, b))).toEqual([2.5, 4.5, 6.5, Infinity]);
  });

  test('the mapping is monotone, and the column transform equals the definition for unseen values', () => {
    const X = uniform(2000, 3, 11);
    for (let i = 0; i < X.rows; i++) X.data[i * 3 + 1] = Math.round(X.data[i * 3 + 1]! * 20); // 21 distinct values
    const m = fit(X, 64);
    // Unseen values: out of range, on and next to every edge, signed zeros, extremes.
    const probes: number[] = [-1e308, -1, -0, 0, 0.5, 1, 2, 25, 1e308, Number.MIN_VALUE, -Number.MIN_VALUE];
    for (let f = 0; f < 3; f++) {
      for (const t of m.thresholds[f]!) probes.push(t, t * (1 + 2 ** -52), t * (1 - 2 ** -52), t + 1e-9, t - 1e-9);
    }
    probes.sort((a, b) => a - b);
    const P: Matrix = { rows: probes.length, cols: 3, data: new Float64Array(probes.length * 3) };
    probes.forEach((v, i) => P.data.fill(v, i * 3, i * 3 + 3));
    const b = m.transform(P, null);
    for (let f = 0; f < 3; f++) {
      const t = m.thresholds[f]!;
      const got = Array.from(b.subarray(f * probes.length, (f + 1) * probes.length));
      expect(got).toEqual(probes.map((v) => definedBin(t, v)));
      expect(probes.map((v) => m.binOf(f, v))).toEqual(got);
      for (let i = 1; i < got.length; i++) if (got[i]! < got[i - 1]!) throw new Error(`feature ${f}: bins not monotone at ${probes[i]}`);
    }
  });

  test('transform is column-major over the chosen rows, also into shared memory', () => {
    const X = uniform(300, 4, 5, 0.1);
    const m = fit(X, 20);
    const rows = Uint32Array.from([299, 0, 17, 17, 150]);
    for (const shared of [false, true]) {
      const b = m.transform(X, rows, shared);
      expect(b.length).toBe(rows.length * 4);
      expect(b.buffer instanceof SharedArrayBuffer).toBe(shared);
      for (let f = 0; f < 4; f++) rows.forEach((r, i) => expect(b[f * rows.length + i]).toBe(m.binOf(f, X.data[r * 4 + f]!)));
    }
  });

  test('thresholds spanning more than the largest double still map every value to its bin', () => {
    // Regression: t_last − t_0 overflowed to Infinity, the lookup grid's cell became NaN and every value
    // whose distance to t_0 also overflowed landed in bin 0.
    const v = [-1.5e308, -1e308, 1e308, 1.5e308, 1.7e308, -1.7e308, 0];
    const m = fit(col(v));
    const b = m.transform(col(v), null);
    v.forEach((x, i) => expect([x, b[i]]).toEqual([x, definedBin(m.thresholds[0]!, x)]));
    expect(new Set(b).size).toBe(v.length);
  });
});

describe('BinMapper: missing values and degenerate columns', () => {
  test('NaN goes to the extra last bin of its feature; slots are offset by nBins + 1', () => {
    const X: Matrix = {
      rows: 6,
      cols: 3,
      data: Float64Array.from([1, 1, 0, NaN, NaN, 0, 2, 1, 0, NaN, 2, 1, 3, 2, 1, 4, 1, 0]),
    };
    const m = fit(X);
    expect(Array.from(m.nBins)).toEqual([4, 2, 2]);
    expect(Array.from(m.hasMissing)).toEqual([1, 1, 0]);
    expect(Array.from(m.offsets)).toEqual([0, 5, 8, 11]);
    const b = m.transform(X, null);
    const byRow = range(6).map((i) => [b[i], b[6 + i], b[12 + i]]);
    expect(byRow).toEqual([
      [0, 0, 0],
      [4, 2, 0],
      [1, 0, 0],
      [4, 1, 1],
      [2, 1, 1],
      [3, 0, 0],
    ]);
    // A feature fitted without NaN still sends NaN to its missing bin at transform time.
    expect(m.binOf(2, NaN)).toBe(2);
    expect(m.transform({ rows: 1, cols: 3, data: Float64Array.from([NaN, NaN, NaN]) }, null)).toEqual(Uint8Array.from([4, 2, 2]));
    // With maxBins = 255 a feature of 255 distinct values puts NaN in bin 255, still a byte.
    const wide = fit(col([...range(255), NaN]));
    expect(wide.nBins[0]).toBe(255);
    expect(wide.transform(col([254, NaN]), null)).toEqual(Uint8Array.from([254, 255]));
  });

  test('a constant column has one bin for every value; an all-missing column only the NaN bin', () => {
    const m = fit({ rows: 4, cols: 2, data: Float64Array.from([5, NaN, 5, NaN, 5, NaN, 5, NaN]) });
    expect(m.thresholds.map((t) => t.length)).toEqual([0, 0]);
    expect(Array.from(m.nBins)).toEqual([1, 1]);
    expect(Array.from(m.hasMissing)).toEqual([0, 1]);
    const probe: Matrix = { rows: 4, cols: 2, data: Float64Array.from([-1e300, 0, 5, 7, 1e300, NaN, NaN, -3]) };
    // Column-major: feature 0 then feature 1.
    expect(Array.from(m.transform(probe, null))).toEqual([0, 0, 0, 1, 0, 0, 1, 0]);
    expect(m.thresholdOf(0, 0)).toBe(Infinity);
  });
});
