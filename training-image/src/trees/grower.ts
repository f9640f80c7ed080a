import { BinMapper } from './binning';
import { buildHistogram, subtractHistogram } from './histogram';
import { LOSS, LossCode } from './loss';
import { instantiateKernels, KernelArena, Kernels } from './kernels';
import { finishRows, LeafIds, leafIds, partitionRange, scatterLeafIds } from './partition';
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
  /** Carry the root histogram from tree to tree instead of rebuilding it (least squares only). */
  readonly rootFromLeaves: boolean;
}

/** Accumulated wall time per phase, in milliseconds. */
export interface PhaseTimes {
  [phase: string]: number;
}

/**
 * The data-parallel part of growing a tree: owns the row-index array (each
 * leaf a range of it), the gradient buffers, and the histograms; builds
 * histograms and partitions leaf ranges. The serial engine does it all here;
 * a parallel one shares the buffers with worker threads once and splits the
 * features (histograms) or the rows (partitions) between the threads.
 */
export interface HistogramBuilder {
  /** Row ids, partitioned into leaf ranges. */
  readonly idx: Uint32Array;
  /**
   * Gradients of the `n` training rows, in row order when a tree starts
   * (written by {@link computeGradients} and {@link addLeafValues} when the
   * engine has a loss, else by the caller); while the tree grows they are
   * permuted along with `idx`, so each leaf's gradients are contiguous
   * (ordered gradients).
   */
  readonly grad: Float64Array;
  /** Hessians, likewise (stride 3 only; null for a constant unit hessian). */
  readonly hess: Float64Array | null;
  /** Training predictions (raw scores) of the `n` rows; the fit initialises them, the grower adds leaf values. */
  readonly raw: Float64Array;
  /**
   * Whether the engine has a loss: then {@link addLeafValues} is followed by
   * {@link computeGradients} (the next tree's gradients in row order, `idx`
   * reset to the identity); without one the caller writes the gradients and
   * the grower resets `idx`.
   */
  readonly refreshesGradients: boolean;
  /** Allocates a histogram of `len` doubles. */
  newHistogram(len: number): Float64Array;
  /** Writes every row's gradients (and hessians) at the current raw scores, and resets `idx` (engines with a loss; before the first tree). */
  computeGradients(): void;
  /**
   * Adds leaf values to the raw scores of their rows: leaf `k` owns
   * `idx[starts[k]..starts[k+1])` (ascending starts, `starts[nLeaves] = n`)
   * and adds `values[k]`; see {@link refreshesGradients}.
   */
  addLeafValues(starts: Int32Array, values: Float64Array, nLeaves: number): void;
  /** Builds every feature's histogram over rows 0..count-1. */
  buildRoot(hist: Float64Array, count: number): void;
  /**
   * Stable partition of `idx[start..end)` (gradients alongside): rows whose
   * bin `b` of `feature` has `lut[b] = 1` first; returns the first right
   * position. With `hist`, also builds every feature's histogram of the
   * left (`smallLeft`) or right part. Adds its wall time to
   * `times.partition` and `times.histograms`.
   */
  splitLeaf(start: number, end: number, feature: number, lut: Uint8Array, hist: Float64Array | null, smallLeft: boolean, times: PhaseTimes): number;
  /** Frees resources (threads). */
  close(): void;
}

/** The loss an engine computes gradients for, and the training targets. */
export interface EngineLoss {
  /** Loss code ({@link LOSS}). */
  readonly code: LossCode;
  /** Training targets (0/1 for the logistic loss). */
  readonly y: Float64Array;
}

/** Adds the time since `t0` to `times[phase]`; returns now. */
export function lap(times: PhaseTimes, phase: string, t0: number): number {
  const t = performance.now();
  times[phase] = (times[phase] ?? 0) + t - t0;
  return t;
}

/** Options of an engine. */
export interface EngineOptions {
  /**
   * The kernel arena (see `kernels.ts`) to take the engine's buffers from,
   * sized by the engine's `arenaBytes`, with the binned columns already in it
   * (taken first); without one, the JavaScript loops run on plain buffers.
   */
  readonly arena?: KernelArena | null;
  /** Leaves per tree (the histograms a grower holds at once), for the arena's histograms. @default 31 */
  readonly maxLeaves?: number;
}

/** Serial engine: everything on the calling thread. */
export class SerialHistogramBuilder implements HistogramBuilder {
  readonly idx: Uint32Array;
  readonly grad: Float64Array;
  readonly hess: Float64Array | null;
  readonly raw: Float64Array;
  readonly refreshesGradients: boolean;
  private readonly tmp: Uint32Array;
  private readonly tmpG: Float64Array;
  private readonly tmpH: Float64Array | null;
  private readonly F: number;
  private readonly loss: LossCode;
  private readonly y: Float64Array | null;
  private readonly k: Kernels | null;
  private readonly arena: KernelArena | null;
  private readonly lut: Uint8Array;
  private arenaHists: number;
  private readonly leafOf: LeafIds;

  /** Bytes of the kernel arena this engine takes for `n` rows and histograms of `histLen` doubles, the binned columns included. */
  static arenaBytes(stride: 2 | 3, n: number, nFeatures: number, histLen: number, maxLeaves: number): number {
    const z = KernelArena.size;
    return z(n * nFeatures, 1) + 2 * z(n, 4) + (stride === 3 ? 4 : 2) * z(n, 8) + z(256, 1) + (maxLeaves + 2) * z(histLen, 8);
  }

  constructor(
    private readonly stride: 2 | 3,
    private readonly binned: Uint8Array,
    private readonly n: number,
    private readonly offsets: Int32Array,
    loss: EngineLoss | null = null,
    o: EngineOptions = {},
  ) {
    this.loss = loss ? loss.code : LOSS.none;
    this.y = loss ? loss.y : null;
    this.refreshesGradients = this.loss !== LOSS.none;
    const a = o.arena ?? null;
    this.arena = a;
    this.k = a ? instantiateKernels(a.memory) : null;
    this.idx = a ? a.u32(n) : new Uint32Array(n);
    this.tmp = a ? a.u32(n) : new Uint32Array(n);
    const f64 = (): Float64Array => (a ? a.f64(n) : new Float64Array(n));
    this.grad = f64();
    this.tmpG = f64();
    this.hess = stride === 3 ? f64() : null;
    this.tmpH = stride === 3 ? f64() : null;
    this.lut = a ? a.u8(256) : new Uint8Array(256);
    this.arenaHists = a ? (o.maxLeaves ?? 31) + 2 : 0;
    this.raw = new Float64Array(n);
    this.F = offsets.length - 1;
    this.leafOf = leafIds(n, o.maxLeaves ?? 31);
  }

  /** A histogram: from the arena while its share lasts, else plain. */
  newHistogram(len: number): Float64Array {
    if (this.arena && this.arenaHists > 0) {
      this.arenaHists--;
      return this.arena.f64(len);
    }
    return new Float64Array(len);
  }

  /** Builds every feature's histogram over rows 0..count-1. */
  buildRoot(hist: Float64Array, count: number): void {
    buildHistogram(hist, this.stride, this.binned, this.n, this.offsets, 0, this.F, null, count, this.grad, this.hess, this.k);
  }

  private buildLeaf(hist: Float64Array, start: number, count: number): void {
    const e = start + count;
    buildHistogram(
      hist,
      this.stride,
      this.binned,
      this.n,
      this.offsets,
      0,
      this.F,
      this.idx.subarray(start, e),
      count,
      this.grad.subarray(start, e),
      this.hess ? this.hess.subarray(start, e) : null,
      this.k,
    );
  }

  /** Every row's gradients at the current raw scores; `idx` reset. */
  computeGradients(): void {
    if (!this.refreshesGradients) throw new Error(`computeGradients: no gradients for loss code ${this.loss}`);
    finishRows(this.loss, this.y, this.raw, this.grad, this.hess, this.idx, this.leafOf, null, 0, this.n);
  }

  /** Adds each leaf's value to its rows' raw scores (and, with a loss, then computes the next gradients and resets `idx`). */
  addLeafValues(starts: Int32Array, values: Float64Array, nLeaves: number): void {
    scatterLeafIds(this.idx, this.leafOf, starts, nLeaves, 0, this.n);
    finishRows(this.loss, this.y, this.raw, this.grad, this.hess, this.idx, this.leafOf, values, 0, this.n);
  }

  /** Stable partition of a leaf range, then the smaller part's histogram. */
  splitLeaf(start: number, end: number, feature: number, lut: Uint8Array, hist: Float64Array | null, smallLeft: boolean, times: PhaseTimes): number {
    let t0 = performance.now();
    this.lut.set(lut);
    const mid = partitionRange(this.idx, this.grad, this.hess, this.tmp, this.tmpG, this.tmpH, this.binned, feature * this.n, this.lut, start, end, this.k);
    t0 = lap(times, 'partition', t0);
    if (hist) {
      this.buildLeaf(hist, smallLeft ? start : mid, smallLeft ? mid - start : end - mid);
      lap(times, 'histograms', t0);
    }
    return mid;
  }

  /** Nothing to free. */
  close(): void {}
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
 *
 * With `rootFromLeaves` (least squares: constant unit hessian, and the
 * gradient moves by exactly the leaf value when a row's prediction does), the
 * root histogram of the next tree is not rebuilt from all rows: every bin's
 * gradient sum moves by Σ over the final leaves of (leaf value × the leaf's
 * count in that bin), taken from the leaves' histograms.
 */
export class TreeGrower {
  private readonly ctx: SplitContext;
  private readonly histLen: number;
  private readonly pool: Float64Array[] = [];
  private readonly lut = new Uint8Array(256);
  private readonly leafStarts: Int32Array;
  private readonly leafValues: Float64Array;
  /** The next tree's root histogram (rootFromLeaves only; null until the first root is built). */
  private rootHist: Float64Array | null = null;
  /** Gain-based importance accumulated over all grown trees. */
  readonly importances: Float64Array;

  constructor(
    private readonly mapper: BinMapper,
    private readonly n: number,
    stride: 2 | 3,
    private readonly opts: GrowerOptions,
    private readonly hb: HistogramBuilder,
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
    this.importances = new Float64Array(mapper.nFeatures);
    this.leafStarts = new Int32Array(opts.maxLeafNodes + 1);
    this.leafValues = new Float64Array(opts.maxLeafNodes);
    if (opts.rootFromLeaves && stride !== 2) throw new Error('TreeGrower: rootFromLeaves needs a constant unit hessian (stride 2)');
  }

  /**
   * Grows one tree on the gradients in the engine's `grad` (and `hess`) and
   * adds its leaf values to the engine's `raw` (the training predictions).
   */
  grow(): GrownTree {
    const { n, opts, hb, times } = this;
    const grad = hb.grad;
    const hess = hb.hess;
    const idx = hb.idx;
    const track = opts.rootFromLeaves;
    let t0 = performance.now();
    if (!hb.refreshesGradients) for (let i = 0; i < n; i++) idx[i] = i;
    let G = 0;
    let H = 0;
    for (let i = 0; i < n; i++) G += grad[i]!;
    if (hess) for (let i = 0; i < n; i++) H += hess[i]!;
    else H = n;
    const builder = new TreeBuilder(1, 2 * opts.maxLeafNodes);
    const binThr: number[] = [];
    const root: Leaf = { node: builder.addNode(), start: 0, end: n, depth: 0, G, H, C: n, hist: null, split: null };
    binThr.push(-1);
    times.setup = (times.setup ?? 0) + performance.now() - t0;
    const leaves: Leaf[] = [root];
    if (this.canSplit(root) || track) {
      root.hist = this.alloc();
      t0 = performance.now();
      if (track && this.rootHist) root.hist.set(this.rootHist);
      else {
        hb.buildRoot(root.hist, n);
        if (track) (this.rootHist = new Float64Array(this.histLen)).set(root.hist);
      }
      times.histograms = (times.histograms ?? 0) + performance.now() - t0;
      if (this.canSplit(root)) this.findSplit(root);
    }
    while (leaves.length < opts.maxLeafNodes) {
      let bi = -1;
      let bestGain = 0;
      for (let i = 0; i < leaves.length; i++) {
        const s = leaves[i]!.split;
        if (s && s.gain > bestGain) {
          bestGain = s.gain;
          bi = i;
        }
      }
      if (bi < 0) break;
      const leaf = leaves[bi]!;
      const s = leaf.split!;
      leaf.split = null;
      const ln = builder.addNode();
      const rn = builder.addNode();
      binThr.push(-1, -1);
      builder.setSplit(leaf.node, s.feature, this.mapper.thresholdOf(s.feature, s.bin), s.missingLeft, ln, rn);
      binThr[leaf.node] = s.bin;
      this.importances[s.feature] += s.gain;
      const mid = leaf.start + s.cL;
      const L: Leaf = { node: ln, start: leaf.start, end: mid, depth: leaf.depth + 1, G: s.gL, H: s.hL, C: s.cL, hist: null, split: null };
      const R: Leaf = { node: rn, start: mid, end: leaf.end, depth: leaf.depth + 1, G: s.gR, H: s.hR, C: s.cR, hist: null, split: null };
      leaves[bi] = L;
      leaves.push(R);
      const full = leaves.length >= opts.maxLeafNodes;
      const splitL = !full && this.canSplit(L);
      const splitR = !full && this.canSplit(R);
      const parentHist = leaf.hist!;
      leaf.hist = null;
      // Only the smaller child's histogram is built (with the partition); the sibling's is the parent's minus it.
      const build = splitL || splitR || track;
      const small = s.cL <= s.cR ? L : R;
      const large = small === L ? R : L;
      if (build) small.hist = this.alloc();
      const got = this.partition(leaf.start, leaf.end, s, small.hist, small === L);
      if (got !== mid) throw new Error(`TreeGrower: partition put ${got - leaf.start} rows left, the histogram counted ${s.cL}`);
      if (build) {
        t0 = performance.now();
        subtractHistogram(parentHist, small.hist!, this.histLen);
        large.hist = parentHist;
        times.histograms = (times.histograms ?? 0) + performance.now() - t0;
        if (small === L ? splitL : splitR) this.findSplit(small);
        else if (!track) this.release(small);
        if (large === L ? splitL : splitR) this.findSplit(large);
        else if (!track) this.release(large);
      } else {
        this.pool.push(parentHist);
      }
    }
    // Leaf values, and the training predictions' update.
    t0 = performance.now();
    const lr = opts.learningRate;
    const next = this.rootHist;
    const byStart = leaves.slice().sort((a, b) => a.start - b.start);
    const starts = this.leafStarts;
    const values = this.leafValues;
    for (let k = 0; k < byStart.length; k++) {
      const leaf = byStart[k]!;
      const v = (-lr * leaf.G) / (leaf.H + opts.l2 + Number.EPSILON);
      builder.setValue(leaf.node, 0, v);
      starts[k] = leaf.start;
      values[k] = v;
    }
    starts[byStart.length] = n;
    hb.addLeafValues(starts, values, byStart.length);
    times.leaves = (times.leaves ?? 0) + performance.now() - t0;
    if (track && next) {
      t0 = performance.now();
      // The root histogram this tree started from, moved by each leaf's update.
      for (const leaf of leaves) {
        const v = (-lr * leaf.G) / (leaf.H + opts.l2 + Number.EPSILON);
        addScaledCounts(next, leaf.hist!, v, this.histLen);
      }
      times.histograms = (times.histograms ?? 0) + performance.now() - t0;
    }
    for (const leaf of leaves) if (leaf.hist) this.release(leaf);
    if (root.hist) this.release(root);
    return { tree: builder.build(), binThreshold: Int32Array.from(binThr) };
  }

  private canSplit(leaf: Leaf): boolean {
    return leaf.depth < this.opts.maxDepth && leaf.C >= 2 * this.opts.minSamplesLeaf;
  }

  private findSplit(leaf: Leaf): void {
    const t0 = performance.now();
    const s = new SplitInfo();
    if (findBestSplit(this.ctx, leaf.hist!, leaf.G, leaf.H, leaf.C, s)) leaf.split = s;
    else if (!this.opts.rootFromLeaves) this.release(leaf);
    this.times.splits = (this.times.splits ?? 0) + performance.now() - t0;
  }

  private alloc(): Float64Array {
    return this.pool.pop() ?? this.hb.newHistogram(this.histLen);
  }

  private release(leaf: Leaf): void {
    if (leaf.hist) this.pool.push(leaf.hist);
    leaf.hist = null;
  }

  /** Stable partition of a leaf's range by its split, building the smaller child's histogram into `hist` when given; returns the first right position. */
  private partition(start: number, end: number, s: SplitInfo, hist: Float64Array | null, smallLeft: boolean): number {
    const lut = this.lut;
    const mb = this.mapper.nBins[s.feature]!;
    lut.fill(0);
    for (let v = 0; v <= mb; v++) lut[v] = (v === mb ? s.missingLeft : v <= s.bin) ? 1 : 0;
    return this.hb.splitLeaf(start, end, s.feature, lut, hist, smallLeft, this.times);
  }
}

/** `acc[2k] += v · h[2k+1]` (gradient slots move by the value times the count) for stride-2 histograms. */
function addScaledCounts(acc: Float64Array, h: Float64Array, v: number, len: number): void {
  for (let k = 0; k < len; k += 2) acc[k] += v * h[k + 1]!;
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
