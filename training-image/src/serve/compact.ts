import { Matrix } from '../core/matrix';
import { FlatTree, treeFromJSON } from '../trees/tree';

/** Most distinct thresholds per feature in the binned layout (a threshold index takes 8 bits). */
const MAX_CUTS = 256;
/** Most features in the binned layout (a node names one of 2 bin slots per feature in 11 bits). */
const MAX_BINNED_FEATURES = 1 << 10;
/** Largest right-child offset in the binned layout (12 bits). */
const MAX_RIGHT_OFFSET = (1 << 12) - 1;

/**
 * A tree ensemble packed for scoring one row at a time. Between requests a
 * server's caches are cold, and a single-row prediction is bound by memory
 * misses, mispredicted branches and the checks around each typed-array
 * access, so the layout is as small as it can be and the walk as short.
 *
 * Binned layout (when it fits, e.g. every histogram gradient-boosting model
 * with ≤ 1024 features): each feature's distinct split thresholds are sorted
 * once, and a row is turned into bin numbers (the index of the first
 * threshold ≥ the value), so that `v <= thresholds[k]` is exactly
 * `bin <= k`. Each feature has two bin slots that differ only for a missing
 * value: −1 in the slot read by splits that send missing values left, 256 in
 * the other (above any threshold index). A split node is one int32: 8-bit
 * threshold index, 11-bit bin slot, 12-bit offset of the right child (the
 * left child follows its parent, depth first); a leaf is a negative int32
 * holding the index of its value in a float64 array. Bin slots, tree roots
 * and nodes share one Int32Array, so a step of the walk is two loads from
 * one array and one comparison. The bike GBDT's 100 trees take 24 KB of
 * nodes and 25 KB of leaf values.
 *
 * Packed layout (the fallback): 16 bytes a node, the threshold (or the leaf
 * value) as a float64, then two int32: feature × 2 + missing-left flag (−1 for
 * a leaf) and the index of the right child.
 *
 * Either way the walk and the sum (baseline, then trees in order) are the same
 * as the estimator's, so predictions are bit-identical; {@link compileRegressor}
 * also checks that on probe rows and declines on any difference.
 */
export class CompactEnsemble {
  private constructor(
    /** Packed: threshold or leaf value of node k at [2k]. Binned: the leaf values. */
    private readonly num: Float64Array,
    /**
     * Packed: code of node k at [4k + 2], right child at [4k + 3] (same buffer as `num`).
     * Binned: 2 bin slots per feature (rewritten for each row), then the index of each tree's root, then the nodes.
     */
    private readonly int: Int32Array,
    /** The index of each tree's root (binned: also in `int`, read from there). */
    private readonly roots: Int32Array,
    private readonly baseline: number,
    readonly nFeatures: number,
    /** Binned layout: each feature's distinct thresholds, ascending; null for the packed layout. */
    private readonly cuts: readonly Float64Array[] | null,
  ) {}

  /** Which layout the trees are in. */
  get layout(): 'binned' | 'packed' {
    return this.cuts ? 'binned' : 'packed';
  }

  /** True when `X` can be scored here: the fitted width and finite-or-NaN values (else the estimator reports the problem). */
  accepts(X: Matrix): boolean {
    if (X.cols !== this.nFeatures || X.data.length !== X.rows * X.cols) return false;
    const d = X.data;
    for (let i = 0; i < d.length; i++) if (d[i] === Infinity || d[i] === -Infinity) return false;
    return true;
  }

  /** The raw score of row `r` of `X`. */
  predictRow(X: Matrix, r: number): number {
    return this.cuts ? this.binnedRow(X.data, r * X.cols, this.cuts) : this.packedRow(X.data, r * X.cols);
  }

  private binnedRow(d: Float64Array, off: number, cuts: readonly Float64Array[]): number {
    const mem = this.int;
    const F = cuts.length;
    for (let f = 0; f < F; f++) {
      const v = d[off + f]!;
      if (v !== v) {
        mem[2 * f] = 256; // splits that send missing values right: above every threshold index
        mem[2 * f + 1] = -1; // missing values left: below every one
        continue;
      }
      // The first threshold ≥ v (lower bound): v <= cuts[k] ⇔ bin <= k.
      const c = cuts[f]!;
      let lo = 0;
      let hi = c.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= c[mid]!) hi = mid;
        else lo = mid + 1;
      }
      mem[2 * f] = lo;
      mem[2 * f + 1] = lo;
    }
    const leaves = this.num;
    const n = this.roots.length;
    // `+`: a class field that started undefined is loaded tagged, and across the nested loops V8 then
    // kept the sum boxed — a heap number per tree (1.6 KB a row) instead of a register.
    let s = +this.baseline;
    for (let t = 0; t < n; t++) {
      let i = mem[2 * F + t]!;
      let w = mem[i]!;
      while (w >= 0) {
        // `| 0`: int32 arithmetic without overflow checks (indices stay far below 2^31).
        i = mem[(w >> 8) & 0x7ff]! <= (w & 0xff) ? (i + 1) | 0 : (i + (w >>> 19)) | 0;
        w = mem[i]!;
      }
      s += leaves[w & 0x7fffffff]!;
    }
    return s;
  }

  private packedRow(d: Float64Array, off: number): number {
    const num = this.num;
    const int = this.int;
    const roots = this.roots;
    let s = +this.baseline; // unboxed sum (see binnedRow)
    for (let t = 0; t < roots.length; t++) {
      let k = roots[t]!;
      let code = int[4 * k + 2]!;
      while (code >= 0) {
        const v = d[off + (code >> 1)]!;
        const left = v !== v ? (code & 1) === 1 : v <= num[2 * k]!;
        k = left ? k + 1 : int[4 * k + 3]!;
        code = int[4 * k + 2]!;
      }
      s += num[2 * k]!;
    }
    return s;
  }

  /** Predictions for every row of `X`. */
  predict(X: Matrix): Float64Array {
    const out = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) out[r] = this.predictRow(X, r);
    return out;
  }

  /**
   * Packs a saved single-output tree ensemble (`trees`, `baseline`,
   * `nFeatures`); null when it is not one. `layout` forces a layout (the
   * binned one may not fit: then null); by default the binned layout when it
   * fits, else the packed one.
   */
  static fromJSON(state: unknown, layout?: 'binned' | 'packed'): CompactEnsemble | null {
    const s = state as { trees?: unknown[]; baseline?: unknown; nFeatures?: unknown } | null;
    if (!s || !Array.isArray(s.trees) || typeof s.baseline !== 'number' || typeof s.nFeatures !== 'number') return null;
    const F = s.nFeatures;
    const trees = s.trees.map((t, i) => treeFromJSON(t, F, `trees[${i}]`));
    if (trees.some((t) => t.nOut !== 1)) return null;
    const total = trees.reduce((a, t) => a + t.feature.length, 0);
    if (total >= 2 ** 31 / 4 || F >= 2 ** 30) return null;
    if (layout !== 'packed') {
      const binned = CompactEnsemble.binned(trees, s.baseline, F, total);
      if (binned || layout === 'binned') return binned;
    }
    const buf = new ArrayBuffer(total * 16);
    const num = new Float64Array(buf);
    const int = new Int32Array(buf);
    const roots = new Int32Array(trees.length);
    let at = 0;
    trees.forEach((t, k) => {
      roots[k] = at;
      // Depth-first, left child right after its parent; the right child's index is patched in.
      const place = (node: number): number => {
        const me = at++;
        if (t.left[node] === -1) {
          num[2 * me] = t.value[node]!;
          int[4 * me + 2] = -1;
          return me;
        }
        num[2 * me] = t.threshold[node]!;
        int[4 * me + 2] = t.feature[node]! * 2 + (t.missingLeft[node] === 1 ? 1 : 0);
        place(t.left[node]!);
        int[4 * me + 3] = place(t.right[node]!);
        return me;
      };
      place(0);
    });
    if (at !== total) return null; // unreachable nodes: not a tree this packer understands
    return new CompactEnsemble(num, int, roots, s.baseline, F, null);
  }

  /** The binned layout, or null when the trees do not fit it. */
  private static binned(trees: readonly FlatTree[], baseline: number, F: number, total: number): CompactEnsemble | null {
    if (F > MAX_BINNED_FEATURES) return null;
    const distinct: Set<number>[] = Array.from({ length: F }, () => new Set<number>());
    let nLeaves = 0;
    for (const t of trees) {
      for (let i = 0; i < t.left.length; i++) {
        if (t.left[i] === -1) nLeaves++;
        else if (Number.isNaN(t.threshold[i]!))
          return null; // `v <= NaN` is never true: no bin expresses it
        else distinct[t.feature[i]!]!.add(t.threshold[i]!);
      }
    }
    if (distinct.some((d) => d.size > MAX_CUTS)) return null;
    const cuts = distinct.map((d) => Float64Array.from(d).sort());
    // Position of each threshold in its feature's cuts (a Map: 0 and -0 are one threshold, as `<=` sees them).
    const rank = cuts.map((c) => new Map(Array.from(c, (v, k) => [v, k])));
    const base = 2 * F + trees.length;
    if (base + total >= 2 ** 31) return null;
    const mem = new Int32Array(base + total);
    const roots = new Int32Array(trees.length);
    const leaves = new Float64Array(nLeaves);
    let at = base;
    let leaf = 0;
    let fits = true;
    trees.forEach((t, k) => {
      mem[2 * F + k] = roots[k] = at;
      const place = (node: number): number => {
        const me = at++;
        if (t.left[node] === -1) {
          leaves[leaf] = t.value[node]!;
          mem[me] = leaf++ | 0x80000000;
          return me;
        }
        place(t.left[node]!);
        const offset = place(t.right[node]!) - me;
        if (offset > MAX_RIGHT_OFFSET) fits = false;
        const slot = 2 * t.feature[node]! + (t.missingLeft[node] === 1 ? 1 : 0);
        mem[me] = rank[t.feature[node]!]!.get(t.threshold[node]!)! | (slot << 8) | (offset << 19);
        return me;
      };
      place(0);
    });
    if (!fits || at !== base + total || leaf !== nLeaves) return null;
    return new CompactEnsemble(leaves, mem, roots, baseline, F, cuts);
  }
}

/**
 * Packs a regression model's ensemble when its estimator is a saved
 * single-output tree ensemble whose raw score is the prediction (the
 * histogram gradient-boosting regressor), and checks it against the estimator
 * on probe rows (thresholds, values beside them, missing values): null
 * whenever anything differs, so the estimator keeps predicting.
 */
export function compileRegressor(estimator: { name: string; toJSON(): unknown; predict(X: Matrix): Float64Array }): CompactEnsemble | null {
  if (estimator.name !== 'HistGradientBoostingRegressor') return null;
  let c: CompactEnsemble | null;
  try {
    c = CompactEnsemble.fromJSON(estimator.toJSON());
  } catch {
    return null;
  }
  if (!c) return null;
  const F = c.nFeatures;
  const state = estimator.toJSON() as { trees: { feature: number[]; threshold: (number | string)[] }[] };
  // Probe rows: per feature, values at, just below and above some thresholds, NaN and extremes.
  const byFeature: number[][] = Array.from({ length: F }, () => [NaN, -1e300, 1e300, 0]);
  for (const t of state.trees.slice(0, 20)) {
    t.feature.forEach((f, i) => {
      const th = Number(t.threshold[i]);
      if (f >= 0 && Number.isFinite(th) && byFeature[f]!.length < 24) byFeature[f]!.push(th, th - 1e-9, th + 1e-9);
    });
  }
  const rows = 64;
  const data = new Float64Array(rows * F);
  let seed = 12345;
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const vals = byFeature[f]!;
      data[r * F + f] = vals[seed % vals.length]!;
    }
  }
  const X: Matrix = { rows, cols: F, data };
  const want = estimator.predict(X);
  const got = c.predict(X);
  for (let r = 0; r < rows; r++) if (!Object.is(want[r], got[r])) return null;
  return c;
}
