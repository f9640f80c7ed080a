import { Matrix } from '../core/matrix';
import { Rng } from '../core/random';

/**
 * Quantile bin mapper (after LightGBM `bin.cpp` / scikit-learn `_binning`).
 * Feature `f` has `nBins[f]` bins for non-missing values, numbered
 * `0..nBins[f]-1`, and one more bin, `nBins[f]`, for NaN ("NaN bin last").
 * A value `x` maps to the number of thresholds strictly below it, so bin `b`
 * holds `thresholds[b-1] < x <= thresholds[b]`.
 */
export class BinMapper {
  /** Bin upper edges per feature (`nBins[f] - 1` of them). */
  readonly thresholds: Float64Array[];
  /** Non-missing bins per feature; the missing bin's index equals this. */
  readonly nBins: Int32Array;
  /** 1 when the feature had missing values in the fitting data. */
  readonly hasMissing: Uint8Array;
  /** First histogram slot of each feature (each feature takes `nBins[f] + 1` slots); last entry is the total. */
  readonly offsets: Int32Array;

  constructor(thresholds: Float64Array[], hasMissing: Uint8Array) {
    this.thresholds = thresholds;
    this.hasMissing = hasMissing;
    this.nBins = Int32Array.from(thresholds, (t) => t.length + 1);
    this.offsets = new Int32Array(thresholds.length + 1);
    for (let f = 0; f < thresholds.length; f++) this.offsets[f + 1] = this.offsets[f]! + this.nBins[f]! + 1;
  }

  /** Number of features. */
  get nFeatures(): number {
    return this.thresholds.length;
  }

  /**
   * Learns bin edges from the rows `rows` of X (all rows when null): distinct
   * values' midpoints when a feature has at most `maxBins` of them, else
   * midpoint quantiles of a random subsample of `subsample` rows.
   */
  static fit(X: Matrix, rows: Uint32Array | null, maxBins: number, rng: Rng, subsample = 200_000): BinMapper {
    if (maxBins < 2 || maxBins > 255) throw new RangeError(`BinMapper: maxBins must be in 2..255, got ${maxBins}`);
    const F = X.cols;
    const d = X.data;
    const all = rows ?? identity(X.rows);
    let sample = all;
    if (all.length > subsample) {
      const perm = rng.permutation(all.length).subarray(0, subsample);
      perm.sort();
      sample = new Uint32Array(subsample);
      for (let i = 0; i < subsample; i++) sample[i] = all[perm[i]!]!;
    }
    const hasMissing = new Uint8Array(F);
    for (let i = 0; i < all.length; i++) {
      const o = all[i]! * F;
      for (let f = 0; f < F; f++) {
        const v = d[o + f]!;
        if (v !== v) hasMissing[f] = 1;
      }
    }
    // Features in blocks: one pass over the sampled rows fills a block's value buffers, reused block after block
    // (about 8 MB however many features), and the sort's scratch is shared by every feature.
    const m = sample.length;
    const FB = Math.max(1, Math.min(F, Math.floor(SAMPLE_BLOCK_VALUES / Math.max(1, m))));
    const vals = Array.from({ length: FB }, () => new Float64Array(m));
    const counts = new Int32Array(FB);
    const scratch = new SortScratch(m);
    const thresholds: Float64Array[] = [];
    for (let f0 = 0; f0 < F; f0 += FB) {
      const nb = Math.min(FB, F - f0);
      counts.fill(0);
      for (let i = 0; i < m; i++) {
        const o = sample[i]! * F + f0;
        for (let j = 0; j < nb; j++) {
          const v = d[o + j]!;
          if (v === v) vals[j]![counts[j]++] = v;
        }
      }
      for (let j = 0; j < nb; j++) thresholds.push(edges(sortFloat64(vals[j]!.subarray(0, counts[j]!), scratch), maxBins));
    }
    return new BinMapper(thresholds, hasMissing);
  }

  /** Bin index of value `v` for feature `f`. */
  binOf(f: number, v: number): number {
    if (v !== v) return this.nBins[f]!;
    const t = this.thresholds[f]!;
    let lo = 0;
    let hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= t[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Bins the rows `rows` of X (all when null) into a column-major Uint8Array:
   * entry `f * n + i` is the bin of row `rows[i]`, feature `f`. With `shared`
   * the array lives in a SharedArrayBuffer (for worker threads); with `into`
   * (`n × F` bytes, e.g. a kernel arena's), the bins are written there.
   */
  transform(X: Matrix, rows: Uint32Array | null, shared = false, into: Uint8Array | null = null): Uint8Array {
    const F = X.cols;
    const n = rows ? rows.length : X.rows;
    if (into && into.length !== n * F) throw new RangeError(`BinMapper.transform: into has ${into.length} bytes, ${n} rows × ${F} features need ${n * F}`);
    const out = into ?? (shared ? new Uint8Array(new SharedArrayBuffer(n * F)) : new Uint8Array(n * F));
    const d = X.data;
    // Per feature, a grid of cells over the thresholds' range remembers the
    // bin at each cell's left edge; a value starts there and steps to its bin
    // (a step or two for most data), exact whatever the rounding.
    const CELLS = 2048;
    const grids: Int32Array[] = [];
    const lows = new Float64Array(F);
    const scales = new Float64Array(F);
    for (let f = 0; f < F; f++) {
      const t = this.thresholds[f]!;
      const grid = new Int32Array(CELLS);
      if (t.length > 0) {
        const lo = t[0]!;
        const span = t[t.length - 1]! - lo;
        const scale = span > 0 ? CELLS / span : 0;
        let k = 0;
        for (let c = 0; c < CELLS; c++) {
          const edge = lo + c / scale;
          while (k < t.length && t[k]! < edge) k++;
          grid[c] = scale > 0 ? k : 0;
        }
        lows[f] = lo;
        scales[f] = scale;
      }
      grids.push(grid);
    }
    // Row blocks keep the row-major source in cache while each feature is binned.
    const BLOCK = 2048;
    for (let r0 = 0; r0 < n; r0 += BLOCK) {
      const r1 = Math.min(n, r0 + BLOCK);
      for (let f = 0; f < F; f++) {
        binBlock(d, rows, F, f, r0, r1, this.thresholds[f]!, grids[f]!, lows[f]!, scales[f]!, this.nBins[f]!, out, f * n);
      }
    }
    return out;
  }

  /** The raw threshold of a split "bin ≤ b goes left" on feature `f` (+Infinity for the last non-missing bin). */
  thresholdOf(f: number, b: number): number {
    const t = this.thresholds[f]!;
    return b < t.length ? t[b]! : Infinity;
  }
}

function binBlock(
  d: Float64Array,
  rows: Uint32Array | null,
  F: number,
  f: number,
  r0: number,
  r1: number,
  t: Float64Array,
  grid: Int32Array,
  low: number,
  scale: number,
  missing: number,
  out: Uint8Array,
  base: number,
): void {
  const nt = t.length;
  const last = grid.length - 1;
  for (let i = r0; i < r1; i++) {
    const v = d[(rows === null ? i : rows[i]!) * F + f]!;
    if (v !== v) {
      out[base + i] = missing;
      continue;
    }
    let c = Math.floor((v - low) * scale);
    // NaN (Infinity × 0 when the edges span more than the largest double) starts at cell 0; the walk below is exact.
    c = c > 0 ? (c > last ? last : c) : 0;
    let b = grid[c]!;
    while (b < nt && t[b]! < v) b++;
    while (b > 0 && t[b - 1]! >= v) b--;
    out[base + i] = b;
  }
}

/** Values per block of features the bin mapper gathers from the sampled rows at once (8 bytes each). */
const SAMPLE_BLOCK_VALUES = 1 << 20;

/** Reusable scratch of {@link sortFloat64}: the digit counts and a buffer of up to `capacity` doubles. */
export class SortScratch {
  readonly counts = new Int32Array(4 << 16);
  readonly values: Float64Array;
  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }
}

/**
 * Sorts non-NaN doubles ascending in place, in the order of
 * `Float64Array.prototype.sort` (−0 before +0): an LSD radix sort on 16-bit
 * digits of the order-preserving integer key of each double (sign bit
 * flipped for positives, all bits for negatives); digits on which all keys
 * agree are skipped.
 */
export function sortFloat64(a: Float64Array, scratch: SortScratch | null = null): Float64Array {
  const n = a.length;
  if (n < 4096 || a.byteOffset % 8 !== 0) return a.sort();
  const sc = scratch && scratch.values.length >= n ? scratch : new SortScratch(n);
  const counts = sc.counts.fill(0);
  const u = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const hi = u[2 * i + 1]!;
    const neg = hi >> 31; // −1 for negatives, else 0
    const klo = u[2 * i]! ^ neg;
    const khi = hi ^ (neg | 0x80000000);
    counts[klo & 0xffff]++;
    counts[65536 + (klo >>> 16)]++;
    counts[131072 + (khi & 0xffff)]++;
    counts[196608 + (khi >>> 16)]++;
  }
  let src: Float64Array = a;
  let dst: Float64Array = sc.values.subarray(0, n);
  for (let pass = 0; pass < 4; pass++) {
    const c0 = pass << 16;
    let skip = false;
    for (let d = 0; d < 65536; d++) {
      const c = counts[c0 + d]!;
      if (c === n) {
        skip = true;
        break;
      }
      if (c !== 0) break;
    }
    if (skip) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[c0 + d]!;
      counts[c0 + d] = sum;
      sum += c;
    }
    const su = new Uint32Array(src.buffer, src.byteOffset, 2 * n);
    const word = pass >> 1;
    const shift = (pass & 1) << 4;
    for (let i = 0; i < n; i++) {
      const hi = su[2 * i + 1]!;
      const neg = hi >> 31;
      const key = word === 0 ? su[2 * i]! ^ neg : hi ^ (neg | 0x80000000);
      const d = c0 + ((key >>> shift) & 0xffff);
      dst[counts[d]!++] = src[i]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== a) a.set(src);
  return a;
}

/** `0..n-1`. */
export function identity(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function midpoint(a: number, b: number): number {
  const m = a + (b - a) / 2;
  return m >= b ? a : m;
}

/** Bin edges for sorted non-missing values. */
function edges(sorted: Float64Array, maxBins: number): Float64Array {
  const m = sorted.length;
  if (m === 0) return new Float64Array(0);
  const distinct: number[] = [sorted[0]!];
  for (let i = 1; i < m && distinct.length <= maxBins; i++) {
    if (sorted[i]! !== sorted[i - 1]!) distinct.push(sorted[i]!);
  }
  if (distinct.length <= maxBins) {
    const t = new Float64Array(distinct.length - 1);
    for (let i = 0; i < t.length; i++) t[i] = midpoint(distinct[i]!, distinct[i + 1]!);
    return t;
  }
  // Quantiles at 100·k/maxBins, k = 1..maxBins-1, "midpoint" interpolation.
  const out: number[] = [];
  for (let k = 1; k < maxBins; k++) {
    const pos = (k / maxBins) * (m - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    const q = midpoint(sorted[lo]!, sorted[hi]!);
    const v = lo === hi ? sorted[lo]! : q;
    if (out.length === 0 || v > out[out.length - 1]!) out.push(v);
  }
  // The top value must stay in the last bin: drop edges at or above the max.
  while (out.length && out[out.length - 1]! >= sorted[m - 1]!) out.pop();
  return Float64Array.from(out);
}
