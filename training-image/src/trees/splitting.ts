/**
 * Split finder for gradient boosting (after scikit-learn `splitting.pyx`):
 * scans one leaf's histogram for the split with the largest gain
 * `GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ)`, trying missing values on both sides
 * when the feature had missing values in training.
 */

/** The best split of one leaf, as flat scalars. */
export class SplitInfo {
  /** Gain; ≤ 0 means "no valid split". */
  gain = 0;
  /** Split feature, -1 for none. */
  feature = -1;
  /** Bins `≤ bin` go left. */
  bin = 0;
  /** Missing values go left. */
  missingLeft = false;
  /** Left gradient sum. */
  gL = 0;
  /** Left hessian sum. */
  hL = 0;
  /** Left sample count. */
  cL = 0;
  /** Right gradient sum. */
  gR = 0;
  /** Right hessian sum. */
  hR = 0;
  /** Right sample count. */
  cR = 0;
}

/** What the split finder needs to know about the binned data and the constraints. */
export interface SplitContext {
  /** Histogram stride (2: `[g, count]`, 3: `[g, h, count]`). */
  readonly stride: 2 | 3;
  /** Number of features. */
  readonly nFeatures: number;
  /** Histogram slot offsets per feature. */
  readonly offsets: Int32Array;
  /** Non-missing bins per feature. */
  readonly nBins: Int32Array;
  /** Feature had missing values in training. */
  readonly hasMissing: Uint8Array;
  /** L2 regularisation λ. */
  readonly l2: number;
  /** Minimum samples in each child. */
  readonly minSamplesLeaf: number;
  /** Minimum hessian sum in each child. */
  readonly minHessian: number;
}

/** Finds the best split of a leaf with totals (G, H, C); writes it to `out`; returns whether one was found. */
export function findBestSplit(ctx: SplitContext, hist: Float64Array, G: number, H: number, C: number, out: SplitInfo): boolean {
  const S = ctx.stride;
  const hOff = 1;
  const cOff = S - 1;
  const l2 = ctx.l2;
  const msl = ctx.minSamplesLeaf;
  const minH = ctx.minHessian;
  const parent = (G * G) / (H + l2);
  out.gain = 0;
  out.feature = -1;
  let best = 0;
  for (let f = 0; f < ctx.nFeatures; f++) {
    const o = S * ctx.offsets[f]!;
    const nb = ctx.nBins[f]!;
    const km = o + S * nb;
    const gM = hist[km]!;
    const hM = hist[km + hOff]!;
    const cM = hist[km + cOff]!;
    // Missing values go right: left = bins 0..b.
    let gl = 0;
    let hl = 0;
    let cl = 0;
    const last = cM > 0 ? nb : nb - 1;
    for (let b = 0; b < last; b++) {
      const k = o + S * b;
      gl += hist[k]!;
      hl += hist[k + hOff]!;
      cl += hist[k + cOff]!;
      if (cl < msl || hl < minH) continue;
      const cr = C - cl;
      const hr = H - hl;
      if (cr < msl || hr < minH) break;
      const gr = G - gl;
      const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
      if (gain > best) {
        best = gain;
        out.gain = gain;
        out.feature = f;
        out.bin = b;
        out.missingLeft = ctx.hasMissing[f] === 1 ? false : cl >= cr;
        out.gL = gl;
        out.hL = hl;
        out.cL = cl;
        out.gR = gr;
        out.hR = hr;
        out.cR = cr;
      }
    }
    if (cM > 0 && ctx.hasMissing[f] === 1) {
      // Missing values go left: left = missing + bins 0..b.
      gl = gM;
      hl = hM;
      cl = cM;
      for (let b = 0; b < nb - 1; b++) {
        const k = o + S * b;
        gl += hist[k]!;
        hl += hist[k + hOff]!;
        cl += hist[k + cOff]!;
        if (cl < msl || hl < minH) continue;
        const cr = C - cl;
        const hr = H - hl;
        if (cr < msl || hr < minH) break;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
        if (gain > best) {
          best = gain;
          out.gain = gain;
          out.feature = f;
          out.bin = b;
          out.missingLeft = true;
          out.gL = gl;
          out.hL = hl;
          out.cL = cl;
          out.gR = gr;
          out.hR = hr;
          out.cR = cr;
        }
      }
    }
  }
  return out.feature >= 0;
}
