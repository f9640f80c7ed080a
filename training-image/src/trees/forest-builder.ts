import { Rng } from '../core/random';
import { FlatTree, TreeBuilder } from './tree';

/**
 * One random-forest tree, grown depth-first on binned columns (the same bin
 * mapper as gradient boosting). A node's samples are an index range; each
 * candidate feature is summarised per bin either by a histogram (large
 * nodes) or by sorting the node's bins (nodes much smaller than the feature's
 * bin count), then scanned for the best CART split (MSE or Gini), missing
 * values tried on both sides.
 */

/** Training data of a forest, shareable with worker threads. */
export interface ForestData {
  /** Column-major bins, `binned[f * n + i]`; NaN in bin `nBins[f]`. */
  readonly binned: Uint8Array;
  /** Number of rows. */
  readonly n: number;
  /** Number of features. */
  readonly nFeatures: number;
  /** Non-missing bins per feature. */
  readonly nBins: Int32Array;
  /** Bin upper edges of all features, concatenated. */
  readonly thresholds: Float64Array;
  /** Start of each feature's edges in `thresholds`. */
  readonly thrOffsets: Int32Array;
  /** Regression targets, or class codes 0..nClasses-1. */
  readonly y: Float64Array;
  /** Number of classes; 0 for regression. */
  readonly nClasses: number;
  /** Feature had missing values in training. */
  readonly hasMissing: Uint8Array;
}

/** Growth options of one forest tree. */
export interface ForestTreeOptions {
  /** Maximum depth (root at 0), Infinity for none. */
  readonly maxDepth: number;
  /** Minimum samples to split a node. */
  readonly minSamplesSplit: number;
  /** Minimum samples per leaf. */
  readonly minSamplesLeaf: number;
  /** Features tried per split. */
  readonly maxFeatures: number;
  /** Draw a bootstrap sample. */
  readonly bootstrap: boolean;
}

/** A grown forest tree and its (per-tree normalised) impurity importances. */
export interface ForestTree {
  /** The tree. */
  readonly tree: FlatTree;
  /** Impurity decrease per feature, summing to 1 (or all 0). */
  readonly importances: Float64Array;
}

const SORT_FACTOR = 6;

/** Reusable buffers for growing trees on one thread. */
export class ForestWorkspace {
  readonly idx: Uint32Array;
  readonly w: Float64Array;
  readonly wy: Float64Array;
  readonly yv: Float64Array;
  readonly cls: Int32Array;
  readonly tIdx: Uint32Array;
  readonly tW: Float64Array;
  readonly tWy: Float64Array;
  readonly tYv: Float64Array;
  readonly tCls: Int32Array;
  readonly counts: Uint32Array;
  readonly featOrder: Int32Array;
  // Per-bin sums: count, weight, and (regression) weighted y or (classification) class weights.
  readonly hs: Float64Array;
  // Compacted non-empty bins.
  readonly kBin: Int32Array;
  readonly kC: Float64Array;
  readonly kW: Float64Array;
  readonly kS: Float64Array;
  readonly keys: Uint32Array;
  readonly touched: Int32Array;
  readonly accL: Float64Array;
  readonly tot: Float64Array;

  constructor(d: ForestData) {
    const n = d.n;
    const C = Math.max(1, d.nClasses);
    let maxB = 0;
    for (let f = 0; f < d.nFeatures; f++) maxB = Math.max(maxB, d.nBins[f]! + 1);
    this.idx = new Uint32Array(n);
    this.w = new Float64Array(n);
    this.wy = new Float64Array(n);
    this.yv = new Float64Array(n);
    this.cls = new Int32Array(n);
    this.tIdx = new Uint32Array(n);
    this.tW = new Float64Array(n);
    this.tWy = new Float64Array(n);
    this.tYv = new Float64Array(n);
    this.tCls = new Int32Array(n);
    this.counts = new Uint32Array(n);
    this.featOrder = Int32Array.from({ length: d.nFeatures }, (_, i) => i);
    this.hs = new Float64Array(maxB * (C + 2));
    this.kBin = new Int32Array(maxB);
    this.kC = new Float64Array(maxB);
    this.kW = new Float64Array(maxB);
    this.kS = new Float64Array(maxB * C);
    this.keys = new Uint32Array(maxB * SORT_FACTOR + 1);
    this.touched = new Int32Array(maxB);
    this.accL = new Float64Array(C);
    this.tot = new Float64Array(C);
  }
}

interface Best {
  proxy: number;
  feature: number;
  bin: number;
  threshold: number;
  missingLeft: boolean;
}

/** Grows one tree from `seed` (bootstrap draw and feature sampling). */
export function buildForestTree(d: ForestData, o: ForestTreeOptions, seed: number, ws: ForestWorkspace): ForestTree {
  const rng = new Rng(seed);
  const { n, nFeatures: F, y, nClasses } = d;
  const C = nClasses;
  const { idx, w, wy, yv, cls } = ws;
  let m = 0;
  if (o.bootstrap) {
    const counts = ws.counts;
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[rng.int(n)]++;
    for (let i = 0; i < n; i++) {
      const c = counts[i]!;
      if (c > 0) {
        idx[m] = i;
        w[m] = c;
        m++;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      idx[i] = i;
      w[i] = 1;
    }
    m = n;
  }
  for (let i = 0; i < m; i++) {
    const v = y[idx[i]!]!;
    if (C === 0) {
      yv[i] = v;
      wy[i] = w[i]! * v;
    } else cls[i] = v;
  }
  for (let f = 0; f < F; f++) ws.featOrder[f] = f;
  const builder = new TreeBuilder(C === 0 ? 1 : C, 256);
  const imp = new Float64Array(F);
  // Stack of pending nodes: start, end, depth, node id, parent feature, mask of
  // features known to be constant (a constant feature stays constant below).
  const useMask = F <= 31;
  const stack: number[] = [0, m, 0, builder.addNode(), -1, 0];
  const best: Best = { proxy: -Infinity, feature: -1, bin: 0, threshold: 0, missingLeft: false };
  const tot = ws.tot;
  while (stack.length) {
    let mask = stack.pop()!;
    const pf = stack.pop()!;
    const node = stack.pop()!;
    const depth = stack.pop()!;
    const e = stack.pop()!;
    const s = stack.pop()!;
    const cnt = e - s;
    // Node totals and impurity.
    let W = 0;
    let impurity: number;
    let tolerance: number;
    if (C === 0) {
      let S = 0;
      let Q = 0;
      for (let i = s; i < e; i++) {
        W += w[i]!;
        S += wy[i]!;
        Q += wy[i]! * yv[i]!;
      }
      const mean = S / W;
      impurity = Math.max(0, Q / W - mean * mean);
      tolerance = 1e-13 * (Q / W) + Number.EPSILON;
      builder.setValue(node, 0, mean);
      tot[0] = S;
    } else {
      tot.fill(0);
      for (let i = s; i < e; i++) {
        W += w[i]!;
        tot[cls[i]!] += w[i]!;
      }
      let g = 1;
      for (let c = 0; c < C; c++) {
        const p = tot[c]! / W;
        g -= p * p;
        builder.setValue(node, c, p);
      }
      impurity = Math.max(0, g);
      tolerance = Number.EPSILON * 16;
    }
    const wImp = W * impurity;
    if (pf >= 0) imp[pf] -= wImp;
    if (cnt < o.minSamplesSplit || cnt < 2 * o.minSamplesLeaf || depth >= o.maxDepth || impurity <= tolerance) continue;

    // Candidate features.
    best.proxy = -Infinity;
    best.feature = -1;
    const order = ws.featOrder;
    let visited = 0;
    for (let j = 0; j < F && visited < o.maxFeatures; j++) {
      const r = j + rng.int(F - j);
      const f = order[r]!;
      order[r] = order[j]!;
      order[j] = f;
      if (useMask && (mask & (1 << f)) !== 0) continue;
      const K = summarise(d, ws, f, s, e);
      if (K < 0) {
        // constant in this node
        if (useMask) mask |= 1 << f;
        continue;
      }
      visited++;
      scan(d, ws, o, f, K, cnt, W, best);
    }
    if (best.feature < 0) continue;
    imp[best.feature] += wImp;
    const mid = partition(d, ws, best, s, e);
    const ln = builder.addNode();
    const rn = builder.addNode();
    builder.setSplit(node, best.feature, best.threshold, best.missingLeft, ln, rn);
    stack.push(mid, e, depth + 1, rn, best.feature, mask);
    stack.push(s, mid, depth + 1, ln, best.feature, mask);
  }
  let total = 0;
  for (let f = 0; f < F; f++) {
    if (imp[f]! < 0) imp[f] = 0;
    total += imp[f]!;
  }
  if (total > 0) for (let f = 0; f < F; f++) imp[f] = imp[f]! / total;
  return { tree: builder.build(), importances: imp };
}

/**
 * Sums the node's samples per non-empty bin of feature `f` (ascending, NaN bin
 * last) into ws.k*; returns the number of bins, or -1 when the feature is
 * constant in the node.
 */
function summarise(d: ForestData, ws: ForestWorkspace, f: number, s: number, e: number): number {
  const nb1 = d.nBins[f]! + 1;
  const base = f * d.n;
  let K: number;
  // One small monomorphic function per case, each optimised on its own.
  if ((e - s) * SORT_FACTOR < nb1) K = d.nClasses === 0 ? sortReg(d.binned, base, ws, s, e) : sortCls(d.binned, base, ws, s, e, d.nClasses);
  else if (d.nClasses === 0) K = histReg(d.binned, base, ws.idx, ws.w, ws.wy, ws.hs, ws.touched, ws.kBin, ws.kC, ws.kW, ws.kS, s, e);
  else K = histCls(d.binned, base, ws, s, e, nb1, d.nClasses);
  return K <= 1 ? -1 : K;
}

/** Sorts the node's (bin, position) keys: few samples, many bins. */
function sortKeys(col: Uint8Array, base: number, idx: Uint32Array, keys: Uint32Array, s: number, cnt: number): void {
  for (let i = 0; i < cnt; i++) keys[i] = (col[base + idx[s + i]!]! << 16) | i;
  for (let i = 1; i < cnt; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
}

function sortReg(col: Uint8Array, base: number, ws: ForestWorkspace, s: number, e: number): number {
  const { keys, w, wy, kBin, kC, kW, kS } = ws;
  const cnt = e - s;
  sortKeys(col, base, ws.idx, keys, s, cnt);
  let K = 0;
  let prev = -1;
  for (let t = 0; t < cnt; t++) {
    const b = keys[t]! >>> 16;
    const i = s + (keys[t]! & 0xffff);
    if (b !== prev) {
      kBin[K] = b;
      kC[K] = 0;
      kW[K] = 0;
      kS[K] = 0;
      K++;
      prev = b;
    }
    const k = K - 1;
    kC[k] += 1;
    kW[k] += w[i]!;
    kS[k] += wy[i]!;
  }
  return K;
}

function sortCls(col: Uint8Array, base: number, ws: ForestWorkspace, s: number, e: number, C: number): number {
  const { keys, w, cls, kBin, kC, kW, kS } = ws;
  const cnt = e - s;
  sortKeys(col, base, ws.idx, keys, s, cnt);
  let K = 0;
  let prev = -1;
  for (let t = 0; t < cnt; t++) {
    const b = keys[t]! >>> 16;
    const i = s + (keys[t]! & 0xffff);
    if (b !== prev) {
      kBin[K] = b;
      kC[K] = 0;
      kW[K] = 0;
      kS.fill(0, K * C, K * C + C);
      K++;
      prev = b;
    }
    const k = K - 1;
    kC[k] += 1;
    kW[k] += w[i]!;
    kS[k * C + cls[i]!] += w[i]!;
  }
  return K;
}

/**
 * Regression histogram, interleaved [count, weight, weighted y] per bin. Only
 * the bins the node touches are visited afterwards (sorted), and they are
 * cleared again, so the histogram stays zero between calls.
 */
function histReg(
  col: Uint8Array,
  base: number,
  idx: Uint32Array,
  w: Float64Array,
  wy: Float64Array,
  hs: Float64Array,
  touched: Int32Array,
  kBin: Int32Array,
  kC: Float64Array,
  kW: Float64Array,
  kS: Float64Array,
  s: number,
  e: number,
): number {
  let T = 0;
  for (let i = s; i < e; i++) {
    const b = col[base + idx[i]!]!;
    const k = 3 * b;
    if (hs[k] === 0) touched[T++] = b;
    hs[k] += 1;
    hs[k + 1] += w[i]!;
    hs[k + 2] += wy[i]!;
  }
  for (let i = 1; i < T; i++) {
    const v = touched[i]!;
    let j = i - 1;
    while (j >= 0 && touched[j]! > v) {
      touched[j + 1] = touched[j]!;
      j--;
    }
    touched[j + 1] = v;
  }
  for (let t = 0; t < T; t++) {
    const b = touched[t]!;
    const k = 3 * b;
    kBin[t] = b;
    kC[t] = hs[k]!;
    kW[t] = hs[k + 1]!;
    kS[t] = hs[k + 2]!;
    hs[k] = 0;
    hs[k + 1] = 0;
    hs[k + 2] = 0;
  }
  return T;
}

function histCls(col: Uint8Array, base: number, ws: ForestWorkspace, s: number, e: number, nb1: number, C: number): number {
  // Interleaved [count, weight, class weights…] per bin.
  const { hs, idx, w, cls, kBin, kC, kW, kS } = ws;
  const st = C + 2;
  hs.fill(0, 0, st * nb1);
  for (let i = s; i < e; i++) {
    const k = st * col[base + idx[i]!]!;
    const wi = w[i]!;
    hs[k] += 1;
    hs[k + 1] += wi;
    hs[k + 2 + cls[i]!] += wi;
  }
  let K = 0;
  for (let b = 0, k = 0; b < nb1; b++, k += st) {
    if (hs[k]! > 0) {
      kBin[K] = b;
      kC[K] = hs[k]!;
      kW[K] = hs[k + 1]!;
      for (let c = 0; c < C; c++) kS[K * C + c] = hs[k + 2 + c]!;
      K++;
    }
  }
  return K;
}

/** Scans the compacted bins of feature `f` for the best split, updating `best`. */
function scan(d: ForestData, ws: ForestWorkspace, o: ForestTreeOptions, f: number, K: number, cnt: number, W: number, best: Best): void {
  const nb = d.nBins[f]!;
  const { kBin, kC, kW, kS } = ws;
  const hasM = kBin[K - 1] === nb;
  const Kn = hasM ? K - 1 : K; // non-missing entries
  const msl = o.minSamplesLeaf;
  const C = d.nClasses;
  const tot = ws.tot;
  const acc = ws.accL;
  const thr = d.thresholds;
  const to = d.thrOffsets[f]!;
  for (let dir = 0; dir < (hasM ? 2 : 1); dir++) {
    // dir 0: missing right; dir 1: missing left.
    let cl = 0;
    let wl = 0;
    let sl = 0;
    if (C > 0) acc.fill(0);
    if (dir === 1) {
      cl = kC[Kn]!;
      wl = kW[Kn]!;
      if (C === 0) sl = kS[Kn]!;
      else for (let c = 0; c < C; c++) acc[c] = kS[Kn * C + c]!;
    }
    const last = dir === 0 ? (hasM ? Kn : Kn - 1) : Kn - 1;
    for (let j = 0; j < last; j++) {
      cl += kC[j]!;
      wl += kW[j]!;
      if (C === 0) sl += kS[j]!;
      else for (let c = 0; c < C; c++) acc[c] += kS[j * C + c]!;
      if (cl < msl) continue;
      const cr = cnt - cl;
      if (cr < msl) break;
      const wr = W - wl;
      let proxy: number;
      if (C === 0) {
        const sr = tot[0]! - sl;
        proxy = (sl * sl) / wl + (sr * sr) / wr;
      } else {
        let a = 0;
        let b = 0;
        for (let c = 0; c < C; c++) {
          const l = acc[c]!;
          const r = tot[c]! - l;
          a += l * l;
          b += r * r;
        }
        proxy = a / wl + b / wr;
      }
      if (proxy > best.proxy) {
        best.proxy = proxy;
        best.feature = f;
        if (j === Kn - 1) {
          best.bin = nb - 1;
          best.threshold = Infinity;
        } else {
          const edge = (kBin[j]! + kBin[j + 1]! - 1) >> 1;
          best.bin = edge;
          best.threshold = thr[to + edge]!;
        }
        best.missingLeft = dir === 1 ? true : hasM ? false : cl >= cr;
      }
    }
  }
}

/** Stable partition of the node's aligned arrays by the best split; returns the first right position. */
function partition(d: ForestData, ws: ForestWorkspace, best: Best, s: number, e: number): number {
  const col = d.binned;
  const base = best.feature * d.n;
  const nb = d.nBins[best.feature]!;
  const b = best.bin;
  const ml = best.missingLeft;
  const { idx, w, tIdx, tW } = ws;
  const reg = d.nClasses === 0;
  const { wy, yv, cls, tWy, tYv, tCls } = ws;
  let l = s;
  let r = 0;
  for (let i = s; i < e; i++) {
    const row = idx[i]!;
    const v = col[base + row]!;
    if (v === nb ? ml : v <= b) {
      idx[l] = row;
      w[l] = w[i]!;
      if (reg) {
        wy[l] = wy[i]!;
        yv[l] = yv[i]!;
      } else cls[l] = cls[i]!;
      l++;
    } else {
      tIdx[r] = row;
      tW[r] = w[i]!;
      if (reg) {
        tWy[r] = wy[i]!;
        tYv[r] = yv[i]!;
      } else tCls[r] = cls[i]!;
      r++;
    }
  }
  idx.set(tIdx.subarray(0, r), l);
  w.set(tW.subarray(0, r), l);
  if (reg) {
    wy.set(tWy.subarray(0, r), l);
    yv.set(tYv.subarray(0, r), l);
  } else cls.set(tCls.subarray(0, r), l);
  return l;
}
