/**
 * The WebAssembly kernels (src/trees/kernels.ts) against their JavaScript
 * twins: the same histogram sums bit for bit (stride 2 and 3, leaf rows and
 * the root, 1..4 features per pass, NaN bins), the same partitions, and the
 * engines (serial and threaded) growing the same trees with and without a
 * kernel arena. Each kernel-side call is counted, so a silent fallback to
 * JavaScript fails the test instead of passing it trivially.
 */
import { Rng } from '../src/core/random';
import { BinMapper } from '../src/trees/binning';
import { SerialHistogramBuilder, TreeGrower } from '../src/trees/grower';
import { accumulateHistogram, buildHistogram } from '../src/trees/histogram';
import { instantiateKernels, KernelArena, Kernels, kernelsAvailable } from '../src/trees/kernels';
import { LOSS } from '../src/trees/loss';
import { ParallelHistogramBuilder, parallelAvailable } from '../src/trees/parallel';
import { partitionRange, splitChunk, SplitScratch } from '../src/trees/partition';
import { testWhen } from './available';

const withKernels = testWhen(kernelsAvailable(), 'WebAssembly kernel tests', 'this runtime lacks shared WebAssembly memory or SIMD');
const threaded = testWhen(
  kernelsAvailable() && parallelAvailable(),
  'threaded kernel engine test',
  'the compiled worker (dist/src/trees/worker.js) is missing; run `npm run build`',
);

/** The kernels of `arena`, every function wrapped to count its calls in `calls`. */
function counted(arena: KernelArena): { k: Kernels; calls: { n: number } } {
  const k = instantiateKernels(arena.memory);
  const calls = { n: 0 };
  const wrap = <F extends (...a: number[]) => unknown>(f: F): F =>
    ((...a: number[]) => {
      calls.n++;
      return f(...a);
    }) as F;
  return {
    calls,
    k: {
      buffer: k.buffer,
      hist: {
        2: [k.hist[2][0].map(wrap), k.hist[2][1].map(wrap)],
        3: [k.hist[3][0].map(wrap), k.hist[3][1].map(wrap)],
      },
      splitG: wrap(k.splitG),
      splitGH: wrap(k.splitGH),
    },
  };
}

/** Bins of `n` rows × `F` features (column-major), feature f with `nb[f]` bins plus its NaN bin `nb[f]`, and histogram offsets. */
function data(n: number, F: number, seed: number): { bins: Uint8Array; offsets: Int32Array; nb: number[] } {
  const rng = new Rng(seed);
  const nb = Array.from({ length: F }, (_, f) => [255, 3, 40, 1, 128, 7, 254][f % 7]!);
  const offsets = new Int32Array(F + 1);
  for (let f = 0; f < F; f++) offsets[f + 1] = offsets[f]! + nb[f]! + 1;
  const bins = new Uint8Array(n * F);
  for (let f = 0; f < F; f++) for (let i = 0; i < n; i++) bins[f * n + i] = rng.next() < 0.05 ? nb[f]! : rng.int(nb[f]!);
  return { bins, offsets, nb };
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe('histogram kernels', () => {
  withKernels.each([
    [2, 'leaf'],
    [2, 'root'],
    [3, 'leaf'],
    [3, 'root'],
  ] as const)('stride %i, %s rows: the same sums bit for bit as the JavaScript loops, for every feature range', (stride, kind) => {
    const n = 3000;
    const F = 7;
    const { bins, offsets } = data(n, F, 1);
    const rng = new Rng(2);
    const rowsJs = Uint32Array.from({ length: n }, (_, i) => i).filter(() => rng.next() < 0.6);
    const count = kind === 'root' ? 1800 : rowsJs.length;
    const g = Float64Array.from({ length: count }, () => rng.normal() * 3);
    const h = Float64Array.from({ length: count }, () => rng.next());
    const len = stride * offsets[F]!;
    const arena = new KernelArena(n * F + 4 * n + 16 * count + 16 * len + 64);
    const aBins = arena.u8(n * F);
    aBins.set(bins);
    const aRows = arena.u32(rowsJs.length);
    aRows.set(rowsJs);
    const aG = arena.f64(count);
    aG.set(g);
    const aH = arena.f64(count);
    aH.set(h);
    const aHist = arena.f64(len);
    const { k, calls } = counted(arena);
    const rows = kind === 'root' ? null : rowsJs;
    for (const [f0, f1] of [
      [0, F],
      [2, 3],
      [1, 3],
      [3, 6],
      [0, 4],
      [4, 5],
    ] as const) {
      const js = new Float64Array(len);
      buildHistogram(js, stride, bins, n, offsets, f0, f1, rows, count, g, stride === 3 ? h : null);
      // Twice over the same histogram: accumulation adds to what is there.
      accumulateHistogram(js, stride, bins, n, offsets, f0, f1, rows, count, g, stride === 3 ? h : null);
      aHist.fill(0);
      const before = calls.n;
      buildHistogram(aHist, stride, aBins, n, offsets, f0, f1, kind === 'root' ? null : aRows, count, aG, stride === 3 ? aH : null, k);
      accumulateHistogram(aHist, stride, aBins, n, offsets, f0, f1, kind === 'root' ? null : aRows, count, aG, stride === 3 ? aH : null, k);
      expect(calls.n - before).toBe(2 * Math.ceil((f1 - f0) / 4));
      expect(sameBits(aHist, js)).toBe(true);
    }
  });

  withKernels('buffers outside the arena take the JavaScript loops (no kernel call), with the same result', () => {
    const n = 500;
    const { bins, offsets } = data(n, 3, 4);
    const arena = new KernelArena(1024);
    const { k, calls } = counted(arena);
    const g = Float64Array.from({ length: n }, (_, i) => i / 7);
    const a = new Float64Array(2 * offsets[3]!);
    const b = new Float64Array(2 * offsets[3]!);
    buildHistogram(a, 2, bins, n, offsets, 0, 3, null, n, g, null, k);
    buildHistogram(b, 2, bins, n, offsets, 0, 3, null, n, g, null);
    expect(calls.n).toBe(0);
    expect(sameBits(a, b)).toBe(true);
  });
});

describe('partition kernels', () => {
  withKernels.each([false, true])('hessians %p: partitionRange and splitChunk move the same rows as the JavaScript loops', (withHess) => {
    const n = 4000;
    const F = 3;
    const { bins, nb } = data(n, F, 5);
    const rng = new Rng(6);
    const order = Uint32Array.from({ length: n }, (_, i) => i).sort((x, y) => ((x * 7919) % 1009) - ((y * 7919) % 1009));
    const lut = new Uint8Array(256);
    for (let v = 0; v <= nb[2]!; v++) lut[v] = v === nb[2] ? 1 : v <= 20 && rng.next() < 0.9 ? 1 : 0;
    const arena = new KernelArena(n * F + 256 + 4 * 4 * n + 8 * 9 * n + 256);
    const { k, calls } = counted(arena);
    const aBins = arena.u8(n * F);
    aBins.set(bins);
    const aLut = arena.u8(256);
    aLut.set(lut);
    const mk = (a: boolean): { idx: Uint32Array; og: Float64Array; oh: Float64Array | null; t: SplitScratch } => {
      const u32 = (): Uint32Array => (a ? arena.u32(n) : new Uint32Array(n));
      const f64 = (): Float64Array => (a ? arena.f64(n) : new Float64Array(n));
      const idx = u32();
      idx.set(order);
      const og = f64();
      og.set(Float64Array.from(order, (r) => r + 0.25));
      const oh = withHess ? f64() : null;
      oh?.set(Float64Array.from(order, (r) => -r));
      return { idx, og, oh, t: { li: u32(), lg: f64(), lh: withHess ? f64() : null, ri: u32(), rg: f64(), rh: withHess ? f64() : null } };
    };
    const js = mk(false);
    const wa = mk(true);
    const base = 2 * n;
    // One chunk of the two-phase partition.
    const nlJs = splitChunk(js.idx, js.og, js.oh, js.t, bins, base, lut, 100, 3100);
    const nlWa = splitChunk(wa.idx, wa.og, wa.oh, wa.t, aBins, base, aLut, 100, 3100, k);
    expect(calls.n).toBe(1);
    expect(nlWa).toBe(nlJs);
    expect(nlJs).toBeGreaterThan(200);
    expect(nlJs).toBeLessThan(2800);
    for (const key of ['li', 'lg', 'lh', 'ri', 'rg', 'rh'] as const) {
      const a = js.t[key];
      const b = wa.t[key];
      if (a && b) expect(Array.from(b.subarray(100, 3100))).toEqual(Array.from(a.subarray(100, 3100)));
    }
    // The serial in-place partition.
    const midJs = partitionRange(js.idx, js.og, js.oh, js.t.ri, js.t.rg, js.t.rh, bins, base, lut, 250, 3900);
    const midWa = partitionRange(wa.idx, wa.og, wa.oh, wa.t.ri, wa.t.rg, wa.t.rh, aBins, base, aLut, 250, 3900, k);
    expect(calls.n).toBe(2);
    expect(midWa).toBe(midJs);
    expect(Array.from(wa.idx)).toEqual(Array.from(js.idx));
    expect(Array.from(wa.og)).toEqual(Array.from(js.og));
    if (withHess) expect(Array.from(wa.oh!)).toEqual(Array.from(js.oh!));
  });
});

describe('engines with a kernel arena', () => {
  const n = 60_000;
  const F = 7;
  let cached: { X: { rows: number; cols: number; data: Float64Array }; y: Float64Array; y01: Float64Array; mapper: BinMapper } | null = null;
  function problem(): NonNullable<typeof cached> {
    if (cached) return cached;
    const rng = new Rng(11);
    const data = new Float64Array(n * F);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < F; j++) data[i * F + j] = rng.next() < 0.02 ? NaN : rng.next();
      y[i] = 10 * Math.sin(3 * (data[i * F]! || 0)) + 5 * (data[i * F + 1]! || 0) + rng.normal();
    }
    const X = { rows: n, cols: F, data };
    cached = { X, y, y01: y.map((v) => (v > 4 ? 1 : 0)), mapper: BinMapper.fit(X, null, 255, new Rng(0)) };
    return cached;
  }

  /** Raw scores after five trees grown by an engine with `threads` threads, its buffers in a kernel arena or not. */
  function grow(stride: 2 | 3, useArena: boolean, threads: number): Float64Array {
    const { X, y, y01, mapper } = problem();
    const loss = stride === 2 ? { code: LOSS.squared, y } : { code: LOSS.logistic, y: y01 };
    const histLen = stride * mapper.offsets[F]!;
    const Engine = threads > 1 ? ParallelHistogramBuilder : SerialHistogramBuilder;
    const arena = useArena ? new KernelArena(Engine.arenaBytes(stride, n, F, histLen, 31)) : null;
    const binned = mapper.transform(X, null, true, arena ? arena.u8(n * F) : null);
    const hb =
      threads > 1
        ? new ParallelHistogramBuilder(stride, binned, n, mapper.offsets, threads, 31, loss, { arena })
        : new SerialHistogramBuilder(stride, binned, n, mapper.offsets, loss, { arena, maxLeaves: 31 });
    try {
      expect(hb.idx.buffer === arena?.memory.buffer).toBe(useArena);
      const g = new TreeGrower(
        mapper,
        n,
        stride,
        { maxLeafNodes: 31, maxDepth: Infinity, minSamplesLeaf: 20, l2: 0, learningRate: 0.1, minHessian: 1e-3, rootFromLeaves: stride === 2 },
        hb,
        {},
      );
      hb.raw.fill(0);
      hb.computeGradients();
      for (let t = 0; t < 5; t++) g.grow();
      return hb.raw.slice();
    } finally {
      hb.close();
    }
  }

  withKernels.each([2, 3] as const)('serial engine, stride %i: the same raw scores with and without the arena', (stride) => {
    expect(sameBits(grow(stride, true, 1), grow(stride, false, 1))).toBe(true);
  });

  threaded.each([2, 3] as const)('threaded engine, stride %i: the same raw scores with and without the arena, and as the serial engine', (stride) => {
    const a = grow(stride, true, 2);
    expect(sameBits(a, grow(stride, false, 2))).toBe(true);
    expect(sameBits(a, grow(stride, false, 1))).toBe(true);
  });
});
