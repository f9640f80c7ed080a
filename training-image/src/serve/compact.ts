import { Matrix } from '../core/matrix';
import { treeFromJSON } from '../trees/tree';

/**
 * A tree ensemble packed for scoring one row at a time: every node of every
 * tree in one Float64Array (4 numbers a node, trees in order, nodes depth
 * first so a left child usually shares its parent's cache line), instead of
 * six typed arrays per tree. Between requests a server's caches are cold, and
 * a single-row prediction walking ~600 separate arrays is bound by memory
 * misses; this layout touches a few cache lines per tree.
 *
 * Node layout, 16 bytes: the threshold (or the leaf value) as a float64,
 * then two int32: feature × 2 + missing-left flag (−1 for a leaf) and the
 * index of the right child; the left child follows its parent. The walk and the sum (baseline, then trees in order) are the same as
 * the estimator's, so predictions are bit-identical; {@link compileRegressor}
 * also checks that on probe rows and declines on any difference.
 */
export class CompactEnsemble {
  private constructor(
    /** Threshold or leaf value of node k at [2k]. */
    private readonly num: Float64Array,
    /** Code of node k at [4k + 2], right child at [4k + 3] (same buffer as `num`). */
    private readonly int: Int32Array,
    private readonly roots: Int32Array,
    private readonly baseline: number,
    readonly nFeatures: number,
  ) {}

  /** True when `X` can be scored here: the fitted width and finite-or-NaN values (else the estimator reports the problem). */
  accepts(X: Matrix): boolean {
    if (X.cols !== this.nFeatures || X.data.length !== X.rows * X.cols) return false;
    const d = X.data;
    for (let i = 0; i < d.length; i++) if (d[i] === Infinity || d[i] === -Infinity) return false;
    return true;
  }

  /** The raw score of row `r` of `X`. */
  predictRow(X: Matrix, r: number): number {
    const d = X.data;
    const off = r * X.cols;
    const num = this.num;
    const int = this.int;
    const roots = this.roots;
    let s = this.baseline;
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

  /** Packs a saved single-output tree ensemble (`trees`, `baseline`, `nFeatures`); null when it is not one. */
  static fromJSON(state: unknown): CompactEnsemble | null {
    const s = state as { trees?: unknown[]; baseline?: unknown; nFeatures?: unknown } | null;
    if (!s || !Array.isArray(s.trees) || typeof s.baseline !== 'number' || typeof s.nFeatures !== 'number') return null;
    const trees = s.trees.map((t, i) => treeFromJSON(t, s.nFeatures as number, `trees[${i}]`));
    if (trees.some((t) => t.nOut !== 1)) return null;
    const total = trees.reduce((a, t) => a + t.feature.length, 0);
    if (total >= 2 ** 31 / 4 || s.nFeatures >= 2 ** 30) return null;
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
    return new CompactEnsemble(num, int, roots, s.baseline, s.nFeatures);
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
