/**
 * Shared fixtures of the per-part tree tests (trees-binning, trees-histogram,
 * trees-splitting, trees-partition, trees-grower, trees-forest-builder).
 * Not a test file itself.
 */
import { Matrix } from '../src/core/matrix';
import { Rng } from '../src/core/random';

/** A one-column matrix. */
export const col = (v: readonly number[]): Matrix => ({ rows: v.length, cols: 1, data: Float64Array.from(v) });

/** A rows × cols matrix of uniform values in [0, 1), a `missing` fraction NaN. */
export function uniform(rows: number, cols: number, seed: number, missing = 0): Matrix {
  const rng = new Rng(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() < missing ? NaN : rng.next();
  return { rows, cols, data };
}

/**
 * Column-major random bins (`binned[f * n + i]`) with `nBins[f]` non-missing
 * bins per feature; features with `missing[f] > 0` put that fraction of rows
 * in the NaN bin (`nBins[f]`).
 */
export function randomBins(n: number, nBins: readonly number[], seed: number, missing: readonly number[] = []): Uint8Array {
  const rng = new Rng(seed);
  const F = nBins.length;
  const b = new Uint8Array(n * F);
  for (let f = 0; f < F; f++) {
    for (let i = 0; i < n; i++) b[f * n + i] = rng.next() < (missing[f] ?? 0) ? nBins[f]! : rng.int(nBins[f]!);
  }
  return b;
}

/** Histogram slot offsets for `nBins` (each feature `nBins[f] + 1` slots, NaN last). */
export function offsetsOf(nBins: readonly number[]): Int32Array {
  const o = new Int32Array(nBins.length + 1);
  for (let f = 0; f < nBins.length; f++) o[f + 1] = o[f]! + nBins[f]! + 1;
  return o;
}

/**
 * Dyadic random values (multiples of 1/8 in [-lo, hi)): their sums are exact
 * in doubles, so histograms built in any order compare with `toEqual`.
 */
export function dyadic(n: number, seed: number, lo = 4, hi = 4): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => Math.floor(rng.next() * 8 * (lo + hi)) / 8 - lo);
}

/** Histogram from the definition: one pass per (row, feature), rows in `rows` order, gradient `g[k]` for `rows[k]`. */
export function bruteHistogram(
  stride: 2 | 3,
  binned: Uint8Array,
  n: number,
  offsets: Int32Array,
  rows: ArrayLike<number>,
  g: ArrayLike<number>,
  h: ArrayLike<number> | null,
): Float64Array {
  const F = offsets.length - 1;
  const out = new Float64Array(stride * offsets[F]!);
  for (let k = 0; k < rows.length; k++) {
    for (let f = 0; f < F; f++) {
      const slot = stride * (offsets[f]! + binned[f * n + rows[k]!]!);
      out[slot] += g[k]!;
      if (stride === 3) out[slot + 1] += h![k]!;
      out[slot + stride - 1] += 1;
    }
  }
  return out;
}

/** `0..n-1` as a plain array. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
