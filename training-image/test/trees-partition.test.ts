/**
 * Per-part tests of the data partition (src/trees/partition.ts), in the
 * spirit of scikit-learn's `test_splitting.py::test_split_indices`: a leaf's
 * range of the row-index array is reordered in place, stably, into the rows
 * the split rule sends left then right, gradients alongside; the chunked
 * (parallel) partition gives the same result.
 */
import { Rng } from '../src/core/random';
import { BinMapper } from '../src/trees/binning';
import { chunkStart } from '../src/trees/engine';
import { SerialHistogramBuilder } from '../src/trees/grower';
import { gradientsRange, LOSS, sigmoid } from '../src/trees/loss';
import { finishRows, leafIds, partitionRange, placeChunk, scatterLeafIds, splitChunk, SplitScratch } from '../src/trees/partition';
import { col, randomBins, range } from './trees-parts';

/** The row-index array and gradient buffers of `n` rows, with `og[k] = 10·idx[k] + 0.5` and `oh[k] = −idx[k]` so they can be traced. */
function buffers(n: number, withHess: boolean, order?: Uint32Array): { idx: Uint32Array; og: Float64Array; oh: Float64Array | null } {
  const idx = order ? order.slice() : Uint32Array.from(range(n));
  return {
    idx,
    og: Float64Array.from(idx, (r) => 10 * r + 0.5),
    oh: withHess ? Float64Array.from(idx, (r) => -r) : null,
  };
}

/** The lookup table the grower builds for "bin ≤ b goes left, NaN (bin nb) left iff missingLeft". */
function lutOf(nb: number, b: number, missingLeft: boolean): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v <= nb; v++) lut[v] = (v === nb ? missingLeft : v <= b) ? 1 : 0;
  return lut;
}

function partition(bufs: { idx: Uint32Array; og: Float64Array; oh: Float64Array | null }, col: Uint8Array, base: number, lut: Uint8Array, start: number, end: number): number {
  const n = bufs.idx.length;
  return partitionRange(bufs.idx, bufs.og, bufs.oh, new Uint32Array(n), new Float64Array(n), bufs.oh ? new Float64Array(n) : null, col, base, lut, start, end);
}

describe('partitionRange', () => {
  test.each([false, true])('hessians %p: a middle range becomes left rows then right rows, each in their old order; the rest is untouched', (withHess) => {
    const n = 200;
    const nb = 9;
    const binned = randomBins(n, [nb, nb, nb], 1, [0.1, 0.1, 0.1]);
    const order = new Rng(2).permutation(n); // a leaf range holds rows in any order
    const f = 1;
    const lut = lutOf(nb, 4, true);
    const bufs = buffers(n, withHess, order);
    const before = { idx: bufs.idx.slice(), og: bufs.og.slice(), oh: bufs.oh?.slice() };
    const [start, end] = [37, 151];
    const mid = partition(bufs, binned, f * n, lut, start, end);
    const inRange = Array.from(before.idx.subarray(start, end));
    const goesLeft = (r: number): boolean => lut[binned[f * n + r]!] === 1;
    const left = inRange.filter(goesLeft);
    const right = inRange.filter((r) => !goesLeft(r));
    expect(mid).toBe(start + left.length);
    expect(Array.from(bufs.idx.subarray(start, end))).toEqual([...left, ...right]);
    expect(Array.from(bufs.idx.subarray(0, start))).toEqual(Array.from(before.idx.subarray(0, start)));
    expect(Array.from(bufs.idx.subarray(end))).toEqual(Array.from(before.idx.subarray(end)));
    // Gradients (and hessians) moved with their rows, everywhere.
    expect(Array.from(bufs.og)).toEqual(Array.from(bufs.idx, (r) => 10 * r + 0.5));
    if (withHess) expect(Array.from(bufs.oh!)).toEqual(Array.from(bufs.idx, (r) => -r));
  });

  test('the left rows are exactly those with x ≤ threshold (NaN as missingLeft says), for every threshold', () => {
    const rng = new Rng(3);
    const x = range(120).map((i) => (i % 13 === 0 ? NaN : Math.round(rng.normal() * 8) / 2));
    const mapper = BinMapper.fit(col(x), null, 255, new Rng(0));
    const binned = mapper.transform(col(x), null);
    const nb = mapper.nBins[0]!;
    for (let b = 0; b < nb; b++) {
      for (const ml of [false, true]) {
        const bufs = buffers(x.length, false);
        const mid = partition(bufs, binned, 0, lutOf(nb, b, ml), 0, x.length);
        const thr = mapper.thresholdOf(0, b);
        const expected = range(x.length).filter((i) => (Number.isNaN(x[i]!) ? ml : x[i]! <= thr));
        expect([b, ml, Array.from(bufs.idx.subarray(0, mid))]).toEqual([b, ml, expected]);
      }
    }
  });

  test('an empty range, an all-left and an all-right range', () => {
    const n = 10;
    const binned = Uint8Array.from(range(n), (i) => i % 3);
    const none = buffers(n, true);
    expect(partition(none, binned, 0, lutOf(2, 0, false), 4, 4)).toBe(4);
    expect(Array.from(none.idx)).toEqual(range(n));
    const all = buffers(n, true);
    expect(partition(all, binned, 0, lutOf(2, 2, true), 2, 8)).toBe(8);
    expect(Array.from(all.idx)).toEqual(range(n));
    const nothing = buffers(n, true);
    expect(partition(nothing, binned, 0, new Uint8Array(256), 2, 8)).toBe(2);
    expect(Array.from(nothing.idx)).toEqual(range(n));
    expect(Array.from(nothing.oh!)).toEqual(range(n).map((r) => -r));
  });

  test('splitting leaves again and again keeps one permutation, each leaf a contiguous range of the rows its path selects', () => {
    const n = 500;
    const nb = [5, 16, 3];
    const binned = randomBins(n, nb, 4, [0.1, 0, 0.3]);
    const rng = new Rng(5);
    const bufs = buffers(n, true);
    // A leaf: its range and the rule of every split on its path.
    type Rule = { f: number; lut: Uint8Array; left: boolean };
    let leaves: { start: number; end: number; path: Rule[] }[] = [{ start: 0, end: n, path: [] }];
    for (let step = 0; step < 25; step++) {
      const k = rng.int(leaves.length);
      const leaf = leaves[k]!;
      const f = rng.int(3);
      const lut = lutOf(nb[f]!, rng.int(nb[f]!), rng.next() < 0.5);
      const mid = partition(bufs, binned, f * n, lut, leaf.start, leaf.end);
      leaves = [
        ...leaves.slice(0, k),
        { start: leaf.start, end: mid, path: [...leaf.path, { f, lut, left: true }] },
        { start: mid, end: leaf.end, path: [...leaf.path, { f, lut, left: false }] },
        ...leaves.slice(k + 1),
      ];
    }
    expect(Array.from(bufs.idx).sort((a, b) => a - b)).toEqual(range(n));
    expect(Array.from(bufs.og)).toEqual(Array.from(bufs.idx, (r) => 10 * r + 0.5));
    for (const leaf of leaves) {
      const selects = (r: number): boolean => leaf.path.every((p) => (p.lut[binned[p.f * n + r]!] === 1) === p.left);
      const rows = Array.from(bufs.idx.subarray(leaf.start, leaf.end));
      expect(rows.every(selects)).toBe(true);
      // Stable all the way down: a leaf lists its rows in ascending order (the root range started sorted).
      expect(rows).toEqual(range(n).filter(selects));
    }
  });
});

describe('chunked partition (splitChunk + placeChunk)', () => {
  test.each([1, 2, 3, 7])('%i chunks give the serial partition', (K) => {
    const n = 300;
    const binned = randomBins(n, [20], 6, [0.15]);
    const lut = lutOf(20, 8, true);
    const order = new Rng(7).permutation(n);
    const [s, e] = [11, 290];
    for (const withHess of [false, true]) {
      const serial = buffers(n, withHess, order);
      const mid = partition(serial, binned, 0, lut, s, e);
      const bufs = buffers(n, withHess, order);
      const t: SplitScratch = {
        li: new Uint32Array(n),
        lg: new Float64Array(n),
        lh: withHess ? new Float64Array(n) : null,
        ri: new Uint32Array(n),
        rg: new Float64Array(n),
        rh: withHess ? new Float64Array(n) : null,
      };
      // Phase one: every chunk on its own; phase two: left parts from s, right parts after all left rows.
      const nl = range(K).map((k) => splitChunk(bufs.idx, bufs.og, bufs.oh, t, binned, 0, lut, chunkStart(s, e, K, k), chunkStart(s, e, K, k + 1)));
      let lpos = s;
      let rpos = s + nl.reduce((a, b) => a + b, 0);
      for (let k = 0; k < K; k++) {
        const c0 = chunkStart(s, e, K, k);
        const c1 = chunkStart(s, e, K, k + 1);
        placeChunk(bufs.idx, bufs.og, bufs.oh, t, c0, c1, nl[k]!, lpos, rpos);
        lpos += nl[k]!;
        rpos += c1 - c0 - nl[k]!;
      }
      expect(lpos).toBe(mid);
      expect(bufs.idx).toEqual(serial.idx);
      expect(bufs.og).toEqual(serial.og);
      expect(bufs.oh).toEqual(serial.oh);
    }
  });
});

describe('leaf values: leaf ids scattered to the rows, then the rows updated in order', () => {
  test("adds each leaf's value to the raw scores of the rows in its range, also when cut into position and row ranges", () => {
    const n = 12;
    const idx = Uint32Array.from([5, 0, 11, 3, 7, 1, 2, 10, 4, 6, 9, 8]);
    const starts = Int32Array.from([0, 3, 4, 9, n]);
    const values = Float64Array.from([1, -2, 0.5, 4]);
    const expected = new Float64Array(n).fill(100);
    const leafOfRow = new Array<number>(n);
    for (let k = 0; k < 4; k++)
      for (let p = starts[k]!; p < starts[k + 1]!; p++) {
        expected[idx[p]!] += values[k]!;
        leafOfRow[idx[p]!] = k;
      }
    const whole = new Float64Array(n).fill(100);
    const ids = leafIds(n, 4);
    scatterLeafIds(idx, ids, starts, 4, 0, n);
    expect(Array.from(ids)).toEqual(leafOfRow);
    finishRows(LOSS.none, null, whole, new Float64Array(n), null, idx.slice(), ids, values, 0, n);
    expect(whole).toEqual(expected);
    // Two threads' position ranges and row ranges, each cutting through leaves, give the same.
    const parts = new Float64Array(n).fill(100);
    const ids2 = leafIds(n, 4, true);
    scatterLeafIds(idx, ids2, starts, 4, 6, n);
    scatterLeafIds(idx, ids2, starts, 4, 0, 6);
    finishRows(LOSS.none, null, parts, new Float64Array(n), null, idx.slice(), ids2, values, 7, n);
    finishRows(LOSS.none, null, parts, new Float64Array(n), null, idx.slice(), ids2, values, 0, 7);
    expect(parts).toEqual(expected);
    expect(ids2.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  test('leaf ids take the narrowest integers that hold every leaf, and too many leaves are refused', () => {
    expect(leafIds(5, 256)).toBeInstanceOf(Uint8Array);
    expect(leafIds(5, 257)).toBeInstanceOf(Uint16Array);
    expect(leafIds(5, 65536)).toBeInstanceOf(Uint16Array);
    expect(leafIds(5, 65537)).toBeInstanceOf(Uint32Array);
    const starts = Int32Array.from({ length: 258 }, (_, k) => Math.min(k, 5));
    expect(() => scatterLeafIds(new Uint32Array(5), leafIds(5, 256), starts, 257, 0, 5)).toThrow(/257 leaves do not fit Uint8Array leaf ids/);
  });
});

describe('the end of a tree in an engine with a loss (loss.ts)', () => {
  test.each([
    ['squared', LOSS.squared, 2],
    ['logistic', LOSS.logistic, 3],
  ] as const)('%s loss: after the leaf values are added, every row has its next gradient (and hessian) in row order, and idx is the identity again', (_, loss, stride) => {
    const n = 40;
    const y = Float64Array.from(range(n), (r) => (r % 3 === 0 ? 1 : 0));
    const hb = new SerialHistogramBuilder(stride, new Uint8Array(n), n, Int32Array.from([0, 2]), { code: loss, y });
    expect(hb.refreshesGradients).toBe(true);
    hb.raw.fill(0.25);
    hb.computeGradients();
    const first = hb.grad.slice();
    expect(Array.from(first)).toEqual(Array.from(y, (v) => (loss === LOSS.squared ? 0.25 - v : sigmoid(0.25) - v)));
    // A tree left the rows in some order, two leaves: positions 0..14 and 15..39.
    const order = new Rng(1).permutation(n);
    hb.idx.set(order);
    hb.addLeafValues(Int32Array.from([0, 15, n]), Float64Array.from([1, -0.5]), 2);
    const raw = Float64Array.from(range(n), (r) => 0.25 + (order.indexOf(r) < 15 ? 1 : -0.5));
    expect(hb.raw).toEqual(raw);
    const g = new Float64Array(n);
    const h = stride === 3 ? new Float64Array(n) : null;
    gradientsRange(loss, y, raw, g, h, 0, n);
    expect(hb.grad).toEqual(g);
    if (h) {
      expect(hb.hess).toEqual(h);
      expect(h.every((v) => v > 0 && v <= 0.25)).toBe(true);
    } else expect(Array.from(g)).toEqual(Array.from(raw, (v, i) => v - y[i]!));
    expect(Array.from(hb.idx)).toEqual(range(n));
  });

  test('without a loss the engine leaves the gradients and idx to the caller', () => {
    const n = 10;
    const hb = new SerialHistogramBuilder(2, new Uint8Array(n), n, Int32Array.from([0, 2]));
    expect(hb.refreshesGradients).toBe(false);
    hb.grad.fill(3);
    hb.idx.set(Uint32Array.from([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]));
    hb.addLeafValues(Int32Array.from([0, n]), Float64Array.from([2]), 1);
    expect(Array.from(hb.raw)).toEqual(range(n).map(() => 2));
    expect(Array.from(hb.grad)).toEqual(range(n).map(() => 3));
    expect(Array.from(hb.idx)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });
});
