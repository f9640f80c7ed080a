/**
 * Data partition (after LightGBM `data_partition.hpp`): each leaf owns a range
 * of the row-index array, and the rows' gradients (hessians) sit at the same
 * positions of the ordered-gradient array, so a leaf's gradients are always
 * contiguous (no gather before a histogram). Splitting a leaf reorders its
 * range stably into "left rows, then right rows", gradients alongside.
 * Every loop is branch-free: each row is written to both sides and only the
 * counters move; `lut[bin]` is 1 for bins that go left. With kernels
 * ({@link Kernels}) and every buffer in their arena, the split loops run as
 * WebAssembly (the same moves).
 */
import { inArena, type KernelArena, type Kernels } from './kernels';
import { gradientsRange, LOSS, LossCode } from './loss';

/** Serial stable partition of `idx[start..end)` (and `og`, `oh`); returns the first right position. */
export function partitionRange(
  idx: Uint32Array,
  og: Float64Array,
  oh: Float64Array | null,
  tmp: Uint32Array,
  tmpG: Float64Array,
  tmpH: Float64Array | null,
  col: Uint8Array,
  base: number,
  lut: Uint8Array,
  start: number,
  end: number,
  k: Kernels | null = null,
): number {
  let nl: number;
  if (k !== null && start < end && inArena(k, [idx, og, oh, tmp, tmpG, tmpH, col, lut])) {
    // In place: the left part is written over the rows already read.
    const i4 = idx.byteOffset + 4 * start;
    const g8 = og.byteOffset + 8 * start;
    const c = col.byteOffset + base;
    const e4 = idx.byteOffset + 4 * end;
    const t4 = tmp.byteOffset + 4 * start;
    const tg = tmpG.byteOffset + 8 * start;
    nl =
      oh === null
        ? k.splitG(i4, e4, g8, c, lut.byteOffset, i4, g8, t4, tg)
        : k.splitGH(i4, e4, g8, oh.byteOffset + 8 * start, c, lut.byteOffset, i4, g8, oh.byteOffset + 8 * start, t4, tg, tmpH!.byteOffset + 8 * start);
  } else nl = oh === null ? inPlaceG(idx, og, tmp, tmpG, col, base, lut, start, end) : inPlaceGH(idx, og, oh, tmp, tmpG, tmpH!, col, base, lut, start, end);
  const mid = start + nl;
  const r = end - mid;
  idx.set(tmp.subarray(start, start + r), mid);
  og.set(tmpG.subarray(start, start + r), mid);
  if (oh !== null) oh.set(tmpH!.subarray(start, start + r), mid);
  return mid;
}

function inPlaceG(idx: Uint32Array, og: Float64Array, tmp: Uint32Array, tmpG: Float64Array, col: Uint8Array, base: number, lut: Uint8Array, start: number, end: number): number {
  let l = start;
  let r = start;
  for (let i = start; i < end; i++) {
    const row = idx[i]!;
    const g = og[i]!;
    const left = lut[col[base + row]!]!;
    idx[l] = row;
    og[l] = g;
    tmp[r] = row;
    tmpG[r] = g;
    l += left;
    r += 1 - left;
  }
  return l - start;
}

function inPlaceGH(
  idx: Uint32Array,
  og: Float64Array,
  oh: Float64Array,
  tmp: Uint32Array,
  tmpG: Float64Array,
  tmpH: Float64Array,
  col: Uint8Array,
  base: number,
  lut: Uint8Array,
  start: number,
  end: number,
): number {
  let l = start;
  let r = start;
  for (let i = start; i < end; i++) {
    const row = idx[i]!;
    const g = og[i]!;
    const h = oh[i]!;
    const left = lut[col[base + row]!]!;
    idx[l] = row;
    og[l] = g;
    oh[l] = h;
    tmp[r] = row;
    tmpG[r] = g;
    tmpH[r] = h;
    l += left;
    r += 1 - left;
  }
  return l - start;
}

/** Scratch of the two-phase (parallel) partition: left and right parts of each chunk, at the chunk's own positions. */
export interface SplitScratch {
  readonly li: Uint32Array;
  readonly lg: Float64Array;
  readonly lh: Float64Array | null;
  readonly ri: Uint32Array;
  readonly rg: Float64Array;
  readonly rh: Float64Array | null;
}

/**
 * Phase one of a chunked partition: splits the chunk `[s, e)` into the
 * scratch (left rows from `s` in `li`/`lg`/`lh`, right rows from `s` in
 * `ri`/`rg`/`rh`); returns the number of left rows. Chunks are independent.
 */
export function splitChunk(
  idx: Uint32Array,
  og: Float64Array,
  oh: Float64Array | null,
  t: SplitScratch,
  col: Uint8Array,
  base: number,
  lut: Uint8Array,
  s: number,
  e: number,
  k: Kernels | null = null,
): number {
  if (k !== null && s < e && inArena(k, [idx, og, oh, t.li, t.lg, t.lh, t.ri, t.rg, t.rh, col, lut])) {
    const c = col.byteOffset + base;
    return oh === null
      ? k.splitG(
          idx.byteOffset + 4 * s,
          idx.byteOffset + 4 * e,
          og.byteOffset + 8 * s,
          c,
          lut.byteOffset,
          t.li.byteOffset + 4 * s,
          t.lg.byteOffset + 8 * s,
          t.ri.byteOffset + 4 * s,
          t.rg.byteOffset + 8 * s,
        )
      : k.splitGH(
          idx.byteOffset + 4 * s,
          idx.byteOffset + 4 * e,
          og.byteOffset + 8 * s,
          oh.byteOffset + 8 * s,
          c,
          lut.byteOffset,
          t.li.byteOffset + 4 * s,
          t.lg.byteOffset + 8 * s,
          t.lh!.byteOffset + 8 * s,
          t.ri.byteOffset + 4 * s,
          t.rg.byteOffset + 8 * s,
          t.rh!.byteOffset + 8 * s,
        );
  }
  return oh === null ? splitG(idx, og, t.li, t.lg, t.ri, t.rg, col, base, lut, s, e) : splitGH(idx, og, oh, t.li, t.lg, t.lh!, t.ri, t.rg, t.rh!, col, base, lut, s, e);
}

function splitG(
  idx: Uint32Array,
  og: Float64Array,
  li: Uint32Array,
  lg: Float64Array,
  ri: Uint32Array,
  rg: Float64Array,
  col: Uint8Array,
  base: number,
  lut: Uint8Array,
  s: number,
  e: number,
): number {
  let l = s;
  let r = s;
  for (let i = s; i < e; i++) {
    const row = idx[i]!;
    const g = og[i]!;
    const left = lut[col[base + row]!]!;
    li[l] = row;
    lg[l] = g;
    ri[r] = row;
    rg[r] = g;
    l += left;
    r += 1 - left;
  }
  return l - s;
}

function splitGH(
  idx: Uint32Array,
  og: Float64Array,
  oh: Float64Array,
  li: Uint32Array,
  lg: Float64Array,
  lh: Float64Array,
  ri: Uint32Array,
  rg: Float64Array,
  rh: Float64Array,
  col: Uint8Array,
  base: number,
  lut: Uint8Array,
  s: number,
  e: number,
): number {
  let l = s;
  let r = s;
  for (let i = s; i < e; i++) {
    const row = idx[i]!;
    const g = og[i]!;
    const h = oh[i]!;
    const left = lut[col[base + row]!]!;
    li[l] = row;
    lg[l] = g;
    lh[l] = h;
    ri[r] = row;
    rg[r] = g;
    rh[r] = h;
    l += left;
    r += 1 - left;
  }
  return l - s;
}

/**
 * Phase two of a chunked partition: copies chunk `[s, e)`'s left part (`nl`
 * rows) to position `lpos` and its right part to `rpos`. Chunks write
 * disjoint ranges, so they can be copied concurrently.
 */
export function placeChunk(idx: Uint32Array, og: Float64Array, oh: Float64Array | null, t: SplitScratch, s: number, e: number, nl: number, lpos: number, rpos: number): void {
  const nr = e - s - nl;
  idx.set(t.li.subarray(s, s + nl), lpos);
  og.set(t.lg.subarray(s, s + nl), lpos);
  idx.set(t.ri.subarray(s, s + nr), rpos);
  og.set(t.rg.subarray(s, s + nr), rpos);
  if (oh !== null) {
    oh.set(t.lh!.subarray(s, s + nl), lpos);
    oh.set(t.rh!.subarray(s, s + nr), rpos);
  }
}

/** Leaf ids per row (the leaf-value update's first step): the narrowest unsigned integers that hold every leaf id. */
export type LeafIds = Uint8Array | Uint16Array | Uint32Array;

/** Bytes per leaf id for trees of up to `maxLeaves` leaves. */
export function leafIdBytes(maxLeaves: number): 1 | 2 | 4 {
  return maxLeaves <= 256 ? 1 : maxLeaves <= 65536 ? 2 : 4;
}

/** Leaf ids for `n` rows of trees of up to `maxLeaves` leaves: in `shared` (a kernel arena, or a new SharedArrayBuffer when true), else private. */
export function leafIds(n: number, maxLeaves: number, shared: KernelArena | boolean = false): LeafIds {
  const size = leafIdBytes(maxLeaves);
  if (typeof shared === 'object') return size === 1 ? shared.u8(n) : size === 2 ? shared.u16(n) : shared.u32(n);
  const buf = shared ? new SharedArrayBuffer(size * n) : new ArrayBuffer(size * n);
  return size === 1 ? new Uint8Array(buf) : size === 2 ? new Uint16Array(buf) : new Uint32Array(buf);
}

/**
 * `leafOf[idx[i]] = k` for the positions `i` in `p0..p1-1`, where leaf `k`
 * owns positions `starts[k]..starts[k+1]-1` (ascending starts). Position
 * ranges write disjoint rows, so they can run concurrently.
 */
export function scatterLeafIds(idx: Uint32Array, leafOf: LeafIds, starts: Int32Array, nLeaves: number, p0: number, p1: number): void {
  if (nLeaves > 2 ** (8 * leafOf.BYTES_PER_ELEMENT)) throw new RangeError(`scatterLeafIds: ${nLeaves} leaves do not fit ${leafOf.constructor.name} leaf ids`);
  for (let k = 0; k < nLeaves; k++) {
    const s = starts[k]! > p0 ? starts[k]! : p0;
    const e = starts[k + 1]! < p1 ? starts[k + 1]! : p1;
    for (let i = s; i < e; i++) leafOf[idx[i]!] = k;
  }
}

/** Rows per block of {@link finishRows}: a block's raw scores stay in cache from one step to the next. */
const FINISH_BLOCK = 4096;

/**
 * The end of a tree for rows `r0..r1-1`, in row order (after
 * {@link scatterLeafIds}): `raw[r] += values[leafOf[r]]` (when `values` is
 * given: one addition per row, as adding each leaf's value to its rows'
 * scores does, without the scattered writes to `raw`); then, with a loss,
 * the next gradients (and hessians, `loss.ts`) and `idx[r] = r`. Row ranges
 * are independent.
 */
export function finishRows(
  loss: LossCode,
  y: Float64Array | null,
  raw: Float64Array,
  grad: Float64Array,
  hess: Float64Array | null,
  idx: Uint32Array,
  leafOf: LeafIds,
  values: Float64Array | null,
  r0: number,
  r1: number,
): void {
  for (let b = r0; b < r1; b += FINISH_BLOCK) {
    const e = Math.min(r1, b + FINISH_BLOCK);
    if (values !== null) for (let r = b; r < e; r++) raw[r] += values[leafOf[r]!]!;
    if (loss === LOSS.none) continue;
    gradientsRange(loss, y!, raw, grad, hess, b, e);
    for (let r = b; r < e; r++) idx[r] = r;
  }
}
