import { BinMapper } from './binning';
import { buildHistogram, subtractHistogram } from './histogram';
import { findBestSplit, SplitContext, SplitInfo } from './splitting';
import { FlatTree, TreeBuilder } from './tree';

/** Growth limits and regularisation of one boosting tree. */
export interface GrowerOptions {
  /** Maximum number of leaves. */
  readonly maxLeafNodes: number;
  /** Maximum depth (root at 0), Infinity for none. */
  readonly maxDepth: number;
  /** Minimum samples per leaf. */
  readonly minSamplesLeaf: number;
  /** L2 regularisation of leaf values. */
  readonly l2: number;
  /** Shrinkage applied to leaf values. */
  readonly learningRate: number;
  /** Minimum hessian sum per child. */
  readonly minHessian: number;
}

/** Accumulated wall time per phase, in milliseconds. */
export interface PhaseTimes {
  [phase: string]: number;
}

/**
 * Builds histograms of features for a leaf. The serial builder runs them all
 * here; a parallel one may hand half of the features to a worker thread.
 */
export interface HistogramBuilder {
  /**
   * Builds all features' histograms for the `count` samples at positions
   * `start..start+count-1` of `rows` (null: rows 0..count-1), whose gradients
   * (and hessians) sit at the same positions of `og` (`oh`).
   */
  build(hist: Float64Array, rows: Uint32Array | null, rowsStart: number, count: number, og: Float64Array, oh: Float64Array | null): void;
  /** Frees resources (threads). */
  close(): void;
}

/** Serial histogram builder. */
export class SerialHistogramBuilder implements HistogramBuilder {
  constructor(
    private readonly stride: 2 | 3,
    private readonly binned: Uint8Array,
    private readonly n: number,
    private readonly offsets: Int32Array,
  ) {}

  /** Builds every feature's histogram. */
  build(hist: Float64Array, rows: Uint32Array | null, rowsStart: number, count: number, og: Float64Array, oh: Float64Array | null): void {
    if (rows === null) {
      buildHistogram(hist, this.stride, this.binned, this.n, this.offsets, 0, this.offsets.length - 1, null, count, og, oh);
    } else {
      const e = rowsStart + count;
      const F = this.offsets.length - 1;
      const r = rows.subarray(rowsStart, e);
      const g = og.subarray(rowsStart, e);
      const h = oh ? oh.subarray(rowsStart, e) : null;
      buildHistogram(hist, this.stride, this.binned, this.n, this.offsets, 0, F, r, count, g, h);
    }
  }

  /** Nothing to free. */
  close(): void {}
}

/** Buffers the grower needs; parallel builders allocate them shared. */
export interface GrowerBuffers {
  /** Row ids, partitioned into leaf ranges. */
  readonly idx: Uint32Array;
  /** Gradients permuted along with `idx` (each leaf's gradients contiguous). */
  readonly og: Float64Array;
  /** Hessians permuted along with `idx` (stride 3 only). */
  readonly oh: Float64Array;
  /** Allocates a histogram of `len` doubles. */
  newHistogram(len: number): Float64Array;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  G: number;
  H: number;
  C: number;
  hist: Float64Array | null;
  split: SplitInfo | null;
}

/** The result of growing one tree. */
export interface GrownTree {
  /** The tree on raw values. */
  readonly tree: FlatTree;
  /** Per node: split bin (bins ≤ it go left), for predicting binned data. */
  readonly binThreshold: Int32Array;
}

/**
 * Leaf-wise tree grower (after LightGBM `serial_tree_learner.cpp` and
 * scikit-learn `grower.py`): always splits the leaf with the largest gain,
 * builds only the smaller child's histogram and gets the sibling's by
 * subtraction, and keeps each leaf's samples as an index range.
 */
export class TreeGrower {
  private readonly ctx: SplitContext;
  private readonly histLen: number;
  private readonly pool: Float64Array[] = [];
  private readonly tmp: Uint32Array;
  private readonly tmpG: Float64Array;
  private readonly tmpH: Float64Array;
  private readonly stride: 2 | 3;
  private readonly lut = new Uint8Array(256);
  /** Gain-based importance accumulated over all grown trees. */
  readonly importances: Float64Array;

  constructor(
    private readonly mapper: BinMapper,
    private readonly binned: Uint8Array,
    private readonly n: number,
    stride: 2 | 3,
    private readonly opts: GrowerOptions,
    private readonly hb: HistogramBuilder,
    private readonly buf: GrowerBuffers,
    private readonly times: PhaseTimes,
  ) {
    this.ctx = {
      stride,
      nFeatures: mapper.nFeatures,
      offsets: mapper.offsets,
      nBins: mapper.nBins,
      hasMissing: mapper.hasMissing,
      l2: opts.l2,
      minSamplesLeaf: opts.minSamplesLeaf,
      minHessian: opts.minHessian,
    };
    this.histLen = stride * mapper.offsets[mapper.nFeatures]!;
    this.tmp = new Uint32Array(n);
    this.tmpG = new Float64Array(n);
    this.tmpH = new Float64Array(stride === 3 ? n : 0);
    this.stride = stride;
    this.importances = new Float64Array(mapper.nFeatures);
  }

  /**
   * Grows one tree on gradients `grad` (and `hess`, null for a constant unit
   * hessian) and adds its leaf values to `raw` (the training predictions).
   */
  grow(grad: Float64Array, hess: Float64Array | null, raw: Float64Array): GrownTree {
    const { n, opts, buf, times } = this;
    const idx = buf.idx;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) idx[i] = i;
    // Gradients travel with the row ids through every partition, so a leaf's
    // gradients are always contiguous (no gather before a histogram).
    buf.og.set(grad.subarray(0, n));
    if (hess) buf.oh.set(hess.subarray(0, n));
    let G = 0;
    let H = 0;
    for (let i = 0; i < n; i++) G += grad[i]!;
    if (hess) for (let i = 0; i < n; i++) H += hess[i]!;
    else H = n;
    const builder = new TreeBuilder(1, 2 * opts.maxLeafNodes);
    const binThr: number[] = [];
    const root: Leaf = { node: builder.addNode(), start: 0, end: n, depth: 0, G, H, C: n, hist: null, split: null };
    binThr.push(-1);
    times.partition = (times.partition ?? 0) + performance.now() - t0;
    const leaves: Leaf[] = [root];
    if (this.canSplit(root)) {
      root.hist = this.alloc();
      t0 = performance.now();
      this.hb.build(root.hist, null, 0, n, buf.og, hess ? buf.oh : null);
      times.histograms = (times.histograms ?? 0) + performance.now() - t0;
      this.findSplit(root);
    }
    while (leaves.length < opts.maxLeafNodes) {
      let bi = -1;
      let bestGain = 0;
      for (let i = 0; i < leaves.length; i++) {
        const s = leaves[i]!.split;
        if (s && s.gain > bestGain) { bestGain = s.gain; bi = i; }
      }
      if (bi < 0) break;
      const leaf = leaves[bi]!;
      const s = leaf.split!;
      t0 = performance.now();
      const mid = this.partition(leaf.start, leaf.end, s);
      times.partition = (times.partition ?? 0) + performance.now() - t0;
      const ln = builder.addNode();
      const rn = builder.addNode();
      binThr.push(-1, -1);
      builder.setSplit(leaf.node, s.feature, this.mapper.thresholdOf(s.feature, s.bin), s.missingLeft, ln, rn);
      binThr[leaf.node] = s.bin;
      this.importances[s.feature] += s.gain;
      const L: Leaf = { node: ln, start: leaf.start, end: mid, depth: leaf.depth + 1, G: s.gL, H: s.hL, C: s.cL, hist: null, split: null };
      const R: Leaf = { node: rn, start: mid, end: leaf.end, depth: leaf.depth + 1, G: s.gR, H: s.hR, C: s.cR, hist: null, split: null };
      leaves[bi] = L;
      leaves.push(R);
      const full = leaves.length >= opts.maxLeafNodes;
      const splitL = !full && this.canSplit(L);
      const splitR = !full && this.canSplit(R);
      const parentHist = leaf.hist!;
      leaf.hist = null;
      if (splitL || splitR) {
        const small = L.end - L.start <= R.end - R.start ? L : R;
        const large = small === L ? R : L;
        t0 = performance.now();
        const count = small.end - small.start;
        small.hist = this.alloc();
        this.hb.build(small.hist, idx, small.start, count, buf.og, hess ? buf.oh : null);
        subtractHistogram(parentHist, small.hist, this.histLen);
        large.hist = parentHist;
        times.histograms = (times.histograms ?? 0) + performance.now() - t0;
        if (small === L ? splitL : splitR) this.findSplit(small);
        else this.release(small);
        if (large === L ? splitL : splitR) this.findSplit(large);
        else this.release(large);
      } else {
        this.pool.push(parentHist);
      }
    }
    // Leaf values, and the training predictions' update.
    t0 = performance.now();
    const lr = opts.learningRate;
    for (const leaf of leaves) {
      if (leaf.hist) this.release(leaf);
      const v = (-lr * leaf.G) / (leaf.H + opts.l2 + Number.EPSILON);
      builder.setValue(leaf.node, 0, v);
      for (let i = leaf.start; i < leaf.end; i++) raw[idx[i]!] += v;
    }
    times.leaves = (times.leaves ?? 0) + performance.now() - t0;
    return { tree: builder.build(), binThreshold: Int32Array.from(binThr) };
  }

  private canSplit(leaf: Leaf): boolean {
    return leaf.depth < this.opts.maxDepth && leaf.C >= 2 * this.opts.minSamplesLeaf;
  }

  private findSplit(leaf: Leaf): void {
    const t0 = performance.now();
    const s = new SplitInfo();
    if (findBestSplit(this.ctx, leaf.hist!, leaf.G, leaf.H, leaf.C, s)) leaf.split = s;
    else this.release(leaf);
    this.times.splits = (this.times.splits ?? 0) + performance.now() - t0;
  }

  private alloc(): Float64Array {
    return this.pool.pop() ?? this.buf.newHistogram(this.histLen);
  }

  private release(leaf: Leaf): void {
    if (leaf.hist) this.pool.push(leaf.hist);
    leaf.hist = null;
  }

  /**
   * Stable partition of `idx[start..end)` by the split; returns the first right
   * position. Branch-free: a 256-entry table says which bins go left, and
   * every row is written to both sides with only the counters moving.
   */
  private partition(start: number, end: number, s: SplitInfo): number {
    const { idx, og, oh } = this.buf;
    const lut = this.lut;
    const mb = this.mapper.nBins[s.feature]!;
    for (let v = 0; v <= mb; v++) lut[v] = (v === mb ? s.missingLeft : v <= s.bin) ? 1 : 0;
    const base = s.feature * this.n;
    const l = this.stride === 3
      ? partitionRangeGH(idx, og, oh, this.tmp, this.tmpG, this.tmpH, this.binned, base, lut, start, end)
      : partitionRangeG(idx, og, this.tmp, this.tmpG, this.binned, base, lut, start, end);
    const r = end - l;
    idx.set(this.tmp.subarray(0, r), l);
    og.set(this.tmpG.subarray(0, r), l);
    if (this.stride === 3) oh.set(this.tmpH.subarray(0, r), l);
    return l;
  }
}

function partitionRangeG(idx: Uint32Array, og: Float64Array, tmp: Uint32Array, tmpG: Float64Array, col: Uint8Array, base: number, lut: Uint8Array, start: number, end: number): number {
  let l = start;
  let r = 0;
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
  return l;
}

function partitionRangeGH(
  idx: Uint32Array, og: Float64Array, oh: Float64Array, tmp: Uint32Array, tmpG: Float64Array, tmpH: Float64Array,
  col: Uint8Array, base: number, lut: Uint8Array, start: number, end: number,
): number {
  let l = start;
  let r = 0;
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
  return l;
}

/** Adds a grown tree's predictions on binned columns (`n` rows per column) to `raw`. */
export function addBinnedPredictions(g: GrownTree, mapper: BinMapper, binned: Uint8Array, n: number, raw: Float64Array): void {
  const t = g.tree;
  const L = t.left;
  const R = t.right;
  const F = t.feature;
  const B = g.binThreshold;
  const M = t.missingLeft;
  const nb = mapper.nBins;
  for (let i = 0; i < n; i++) {
    let node = 0;
    while (L[node]! !== -1) {
      const f = F[node]!;
      const v = binned[f * n + i]!;
      node = (v === nb[f]! ? M[node] === 1 : v <= B[node]!) ? L[node]! : R[node]!;
    }
    raw[i] += t.value[node]!;
  }
}
