/**
 * Histogram builder (after LightGBM `feature_histogram.hpp`): one Float64Array
 * per leaf with, for every (feature, bin) slot, the interleaved sums
 * `[grad, count]` (stride 2, constant unit hessian: the hessian sum is the
 * count) or `[grad, hess, count]` (stride 3). Feature `f` owns slots
 * `offsets[f] .. offsets[f+1]-1`, its NaN bin last.
 *
 * With kernels ({@link Kernels}) and every buffer in their arena, the loops
 * run as WebAssembly (the same sums in the same order); else as the
 * JavaScript below.
 */
import { inArena, type Kernels } from './kernels';

/** Fills the histogram slots of features `f0..f1-1` from `count` samples. */
export function buildHistogram(
  hist: Float64Array,
  stride: 2 | 3,
  binned: Uint8Array,
  n: number,
  offsets: Int32Array,
  f0: number,
  f1: number,
  rows: Uint32Array | null,
  count: number,
  og: Float64Array,
  oh: Float64Array | null,
  k: Kernels | null = null,
): void {
  hist.fill(0, stride * offsets[f0]!, stride * offsets[f1]!);
  accumulateHistogram(hist, stride, binned, n, offsets, f0, f1, rows, count, og, oh, k);
}

/** {@link accumulateHistogram} by the WebAssembly kernels: up to four features per pass. */
function accumulateKernels(
  k: Kernels,
  hist: Float64Array,
  stride: 2 | 3,
  binned: Uint8Array,
  n: number,
  offsets: Int32Array,
  f0: number,
  f1: number,
  rows: Uint32Array | null,
  count: number,
  og: Float64Array,
  oh: Float64Array | null,
): void {
  if (count === 0) return;
  const fns = k.hist[stride][rows === null ? 0 : 1];
  const h = hist.byteOffset;
  const b = binned.byteOffset;
  const w = 8 * stride;
  const tail: number[] = rows === null ? [count, og.byteOffset] : [rows.byteOffset, count, og.byteOffset];
  if (oh !== null) tail.push(oh.byteOffset);
  for (let f = f0; f < f1; ) {
    const m = Math.min(4, f1 - f);
    const a: number[] = [];
    for (let j = 0; j < m; j++) a.push(h + w * offsets[f + j]!);
    for (let j = 0; j < m; j++) a.push(b + (f + j) * n);
    fns[m]!(...a, ...tail);
    f += m;
  }
}

/** Adds `count` samples to the histogram slots of features `f0..f1-1` (no zeroing first). */
export function accumulateHistogram(
  hist: Float64Array,
  stride: 2 | 3,
  binned: Uint8Array,
  n: number,
  offsets: Int32Array,
  f0: number,
  f1: number,
  rows: Uint32Array | null,
  count: number,
  og: Float64Array,
  oh: Float64Array | null,
  k: Kernels | null = null,
): void {
  if (k !== null && inArena(k, [hist, binned, rows, og, oh])) {
    accumulateKernels(k, hist, stride, binned, n, offsets, f0, f1, rows, count, og, oh);
    return;
  }
  let f = f0;
  // Four features per pass over the samples: the row ids and gradients are
  // read once for four histograms. One small monomorphic loop per case.
  for (; f + 4 <= f1; f += 4) {
    const o0 = stride * offsets[f]!;
    const o1 = stride * offsets[f + 1]!;
    const o2 = stride * offsets[f + 2]!;
    const o3 = stride * offsets[f + 3]!;
    if (stride === 2) {
      if (rows === null) root4G(hist, o0, o1, o2, o3, binned, f * n, n, count, og);
      else leaf4G(hist, o0, o1, o2, o3, binned, f * n, n, rows, count, og);
    } else if (rows === null) root4GH(hist, o0, o1, o2, o3, binned, f * n, n, count, og, oh!);
    else leaf4GH(hist, o0, o1, o2, o3, binned, f * n, n, rows, count, og, oh!);
  }
  if (stride === 2 && rows !== null && f + 2 <= f1) {
    leaf2G(hist, stride * offsets[f]!, stride * offsets[f + 1]!, binned, f * n, n, rows, count, og);
    f += 2;
  }
  for (; f < f1; f++) {
    const o = stride * offsets[f]!;
    const base = f * n;
    if (stride === 2) {
      if (rows === null) rootG(hist, o, binned.subarray(base, base + count), count, og);
      else leafG(hist, o, binned, base, rows, count, og);
    } else if (rows === null) rootGH(hist, o, binned.subarray(base, base + count), count, og, oh!);
    else leafGH(hist, o, binned, base, rows, count, og, oh!);
  }
}

function leaf2G(h: Float64Array, o0: number, o1: number, b: Uint8Array, base: number, n: number, rows: Uint32Array, count: number, og: Float64Array): void {
  const b1 = base + n;
  for (let i = 0; i < count; i++) {
    const r = rows[i]!;
    const g = og[i]!;
    const k0 = o0 + 2 * b[base + r]!;
    const k1 = o1 + 2 * b[b1 + r]!;
    h[k0] += g;
    h[k0 + 1] += 1;
    h[k1] += g;
    h[k1 + 1] += 1;
  }
}

function root4G(h: Float64Array, o0: number, o1: number, o2: number, o3: number, b: Uint8Array, base: number, n: number, count: number, og: Float64Array): void {
  const b1 = base + n;
  const b2 = b1 + n;
  const b3 = b2 + n;
  for (let i = 0; i < count; i++) {
    const g = og[i]!;
    const k0 = o0 + 2 * b[base + i]!;
    const k1 = o1 + 2 * b[b1 + i]!;
    const k2 = o2 + 2 * b[b2 + i]!;
    const k3 = o3 + 2 * b[b3 + i]!;
    h[k0] += g;
    h[k0 + 1] += 1;
    h[k1] += g;
    h[k1 + 1] += 1;
    h[k2] += g;
    h[k2 + 1] += 1;
    h[k3] += g;
    h[k3 + 1] += 1;
  }
}

function leaf4G(h: Float64Array, o0: number, o1: number, o2: number, o3: number, b: Uint8Array, base: number, n: number, rows: Uint32Array, count: number, og: Float64Array): void {
  const b1 = base + n;
  const b2 = b1 + n;
  const b3 = b2 + n;
  for (let i = 0; i < count; i++) {
    const r = rows[i]!;
    const g = og[i]!;
    const k0 = o0 + 2 * b[base + r]!;
    const k1 = o1 + 2 * b[b1 + r]!;
    const k2 = o2 + 2 * b[b2 + r]!;
    const k3 = o3 + 2 * b[b3 + r]!;
    h[k0] += g;
    h[k0 + 1] += 1;
    h[k1] += g;
    h[k1 + 1] += 1;
    h[k2] += g;
    h[k2 + 1] += 1;
    h[k3] += g;
    h[k3 + 1] += 1;
  }
}

function root4GH(h: Float64Array, o0: number, o1: number, o2: number, o3: number, b: Uint8Array, base: number, n: number, count: number, og: Float64Array, oh: Float64Array): void {
  const b1 = base + n;
  const b2 = b1 + n;
  const b3 = b2 + n;
  for (let i = 0; i < count; i++) {
    const g = og[i]!;
    const e = oh[i]!;
    const k0 = o0 + 3 * b[base + i]!;
    const k1 = o1 + 3 * b[b1 + i]!;
    const k2 = o2 + 3 * b[b2 + i]!;
    const k3 = o3 + 3 * b[b3 + i]!;
    h[k0] += g;
    h[k0 + 1] += e;
    h[k0 + 2] += 1;
    h[k1] += g;
    h[k1 + 1] += e;
    h[k1 + 2] += 1;
    h[k2] += g;
    h[k2 + 1] += e;
    h[k2 + 2] += 1;
    h[k3] += g;
    h[k3 + 1] += e;
    h[k3 + 2] += 1;
  }
}

function leaf4GH(
  h: Float64Array,
  o0: number,
  o1: number,
  o2: number,
  o3: number,
  b: Uint8Array,
  base: number,
  n: number,
  rows: Uint32Array,
  count: number,
  og: Float64Array,
  oh: Float64Array,
): void {
  const b1 = base + n;
  const b2 = b1 + n;
  const b3 = b2 + n;
  for (let i = 0; i < count; i++) {
    const r = rows[i]!;
    const g = og[i]!;
    const e = oh[i]!;
    const k0 = o0 + 3 * b[base + r]!;
    const k1 = o1 + 3 * b[b1 + r]!;
    const k2 = o2 + 3 * b[b2 + r]!;
    const k3 = o3 + 3 * b[b3 + r]!;
    h[k0] += g;
    h[k0 + 1] += e;
    h[k0 + 2] += 1;
    h[k1] += g;
    h[k1 + 1] += e;
    h[k1 + 2] += 1;
    h[k2] += g;
    h[k2 + 1] += e;
    h[k2 + 2] += 1;
    h[k3] += g;
    h[k3 + 1] += e;
    h[k3 + 2] += 1;
  }
}

function rootG(hist: Float64Array, o: number, col: Uint8Array, count: number, og: Float64Array): void {
  for (let i = 0; i < count; i++) {
    const k = o + 2 * col[i]!;
    hist[k] += og[i]!;
    hist[k + 1] += 1;
  }
}

function leafG(hist: Float64Array, o: number, binned: Uint8Array, base: number, rows: Uint32Array, count: number, og: Float64Array): void {
  for (let i = 0; i < count; i++) {
    const k = o + 2 * binned[base + rows[i]!]!;
    hist[k] += og[i]!;
    hist[k + 1] += 1;
  }
}

function rootGH(hist: Float64Array, o: number, col: Uint8Array, count: number, og: Float64Array, oh: Float64Array): void {
  for (let i = 0; i < count; i++) {
    const k = o + 3 * col[i]!;
    hist[k] += og[i]!;
    hist[k + 1] += oh[i]!;
    hist[k + 2] += 1;
  }
}

function leafGH(hist: Float64Array, o: number, binned: Uint8Array, base: number, rows: Uint32Array, count: number, og: Float64Array, oh: Float64Array): void {
  for (let i = 0; i < count; i++) {
    const k = o + 3 * binned[base + rows[i]!]!;
    hist[k] += og[i]!;
    hist[k + 1] += oh[i]!;
    hist[k + 2] += 1;
  }
}

/** `parent -= child` over `len` slots: the parent's histogram becomes the sibling's (histogram subtraction). */
export function subtractHistogram(parent: Float64Array, child: Float64Array, len: number): void {
  for (let i = 0; i < len; i++) parent[i] -= child[i]!;
}
