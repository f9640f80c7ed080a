/**
 * Small dense linear algebra for the forecaster: Gram products, Cholesky
 * inverse of a symmetric positive-definite matrix, and a lasso solved by
 * cyclic coordinate descent on a quadratic form.
 */
// Tests run under jest's vm context, where every lookup of a global such as
// `Math` is slow (~10x in hot loops); a module-local alias keeps them fast.
const Mth = Math;

/** `XᵀX` (p × p) and `XᵀY` for every column of the row-major `Y` (p × q). */
export function crossProducts(X: Float64Array, n: number, p: number, Y: Float64Array, q: number): { xtx: Float64Array; xty: Float64Array } {
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p * q);
  for (let r = 0; r < n; r++) {
    const xo = r * p;
    const yo = r * q;
    for (let i = 0; i < p; i++) {
      const xi = X[xo + i]!;
      if (xi === 0) continue;
      const ro = i * p;
      for (let j = i; j < p; j++) xtx[ro + j]! += xi * X[xo + j]!;
      const qo = i * q;
      for (let k = 0; k < q; k++) xty[qo + k]! += xi * Y[yo + k]!;
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) xtx[i * p + j] = xtx[j * p + i]!;
  return { xtx, xty };
}

/**
 * Inverse of a symmetric positive-definite p × p matrix by Cholesky.
 * If a pivot is not positive (numerically singular), the diagonal is nudged
 * by a growing relative jitter and the factorisation retried.
 */
export function spdInverse(S: Float64Array, p: number): Float64Array {
  let maxDiag = 0;
  for (let i = 0; i < p; i++) maxDiag = Mth.max(maxDiag, Mth.abs(S[i * p + i]!));
  if (maxDiag === 0) maxDiag = 1;
  for (let attempt = 0, jitter = 0; attempt < 12; attempt++, jitter = jitter === 0 ? 1e-13 * maxDiag : jitter * 10) {
    const L = cholesky(S, p, jitter);
    if (L) return inverseFromCholesky(L, p);
  }
  throw new Error(`forecast: design matrix is singular (p = ${p}); reduce the seasonal orders or the polynomial degree`);
}

function cholesky(S: Float64Array, p: number, jitter: number): Float64Array | null {
  const L = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let d = S[j * p + j]! + jitter;
    for (let k = 0; k < j; k++) d -= L[j * p + k]! * L[j * p + k]!;
    if (!(d > 0) || !Number.isFinite(d)) return null;
    const ljj = Mth.sqrt(d);
    L[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = S[i * p + j]!;
      for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
      L[i * p + j] = s / ljj;
    }
  }
  return L;
}

function inverseFromCholesky(L: Float64Array, p: number): Float64Array {
  // Linv = L⁻¹ (lower triangular), then S⁻¹ = Linvᵀ Linv.
  const Li = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    Li[j * p + j] = 1 / L[j * p + j]!;
    for (let i = j + 1; i < p; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * p + k]! * Li[k * p + j]!;
      Li[i * p + j] = s / L[i * p + i]!;
    }
  }
  const inv = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < p; k++) s += Li[k * p + i]! * Li[k * p + j]!;
      inv[i * p + j] = s;
      inv[j * p + i] = s;
    }
  }
  return inv;
}

/** `M v` for a p × p matrix. */
export function matVec(M: Float64Array, v: Float64Array, p: number): Float64Array {
  const out = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += M[i * p + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

/** `vᵀ M v` for a symmetric p × p matrix. */
export function quadForm(M: Float64Array, v: Float64Array, p: number): number {
  let s = 0;
  for (let i = 0; i < p; i++) {
    let r = 0;
    for (let j = 0; j < p; j++) r += M[i * p + j]! * v[j]!;
    s += v[i]! * r;
  }
  return s;
}

/**
 * Minimises `½ δᵀHδ − cᵀδ + λ‖δ‖₁` by cyclic coordinate descent, starting
 * from (and overwriting) `delta`, accelerated by feature-sign search
 * (Lee, Battle, Raina & Ng 2007): whenever the sign pattern has been stable
 * for a sweep, the quadratic restricted to that orthant is minimised exactly
 * (`H_AA δ_A = c_A − λ sign(δ_A)`); if that point leaves the orthant, the
 * step stops at the first coefficient that reaches zero (a guaranteed
 * decrease) and the solve repeats on the smaller support. When the orthant
 * minimum also satisfies the optimality conditions of the inactive
 * coefficients, it is the exact optimum and the search ends. Otherwise
 * stops when no coordinate moves by more than `tol` in the H-norm, or after
 * `maxSweeps` sweeps. Returns the sweeps used.
 */
export function lassoQuadratic(H: Float64Array, c: Float64Array, lambda: number, delta: Float64Array, tol: number, maxSweeps = 20000): number {
  const m = c.length;
  const g = new Float64Array(m); // g = c − Hδ
  const refresh = (): void => {
    for (let i = 0; i < m; i++) {
      let s = c[i]!;
      for (let j = 0; j < m; j++) s -= H[i * m + j]! * delta[j]!;
      g[i] = s;
    }
  };
  refresh();
  let lastSigns = '';
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    let maxMove = 0;
    for (let j = 0; j < m; j++) {
      const hjj = H[j * m + j]!;
      if (!(hjj > 0)) continue;
      const old = delta[j]!;
      const z = g[j]! + hjj * old;
      const nw = z > lambda ? (z - lambda) / hjj : z < -lambda ? (z + lambda) / hjj : 0;
      const d = nw - old;
      if (d === 0) continue;
      delta[j] = nw;
      for (let k = 0; k < m; k++) g[k]! -= H[k * m + j]! * d;
      const move = Mth.abs(d) * Mth.sqrt(hjj);
      if (move > maxMove) maxMove = move;
    }
    if (maxMove <= tol) return sweep;
    const signs = signPattern(delta);
    if (signs === lastSigns) {
      const optimal = featureSign(H, c, lambda, delta);
      refresh();
      if (optimal) return sweep;
      lastSigns = signPattern(delta);
    } else {
      lastSigns = signs;
    }
  }
  return maxSweeps;
}

function signPattern(delta: Float64Array): string {
  let s = '';
  for (let j = 0; j < delta.length; j++) s += delta[j]! > 0 ? '+' : delta[j]! < 0 ? '-' : '0';
  return s;
}

/**
 * Feature-sign steps from `delta` (updated in place). Returns true when the
 * final point satisfies every KKT condition (the exact lasso optimum).
 */
function featureSign(H: Float64Array, c: Float64Array, lambda: number, delta: Float64Array): boolean {
  const m = c.length;
  for (let round = 0; round <= m; round++) {
    const act: number[] = [];
    for (let j = 0; j < m; j++) if (delta[j] !== 0) act.push(j);
    const a = act.length;
    const x = new Float64Array(a);
    if (a > 0) {
      const Haa = new Float64Array(a * a);
      const r = new Float64Array(a);
      for (let i = 0; i < a; i++) {
        const ji = act[i]!;
        r[i] = c[ji]! - lambda * Mth.sign(delta[ji]!);
        for (let k = 0; k < a; k++) Haa[i * a + k] = H[ji * m + act[k]!]!;
      }
      let inv: Float64Array;
      try {
        inv = spdInverse(Haa, a);
      } catch {
        return false;
      }
      x.set(matVec(inv, r, a));
    }
    // First zero crossing on the segment delta → x, if any.
    let alpha = 1;
    let hit = -1;
    for (let i = 0; i < a; i++) {
      const cur = delta[act[i]!]!;
      if (Mth.sign(x[i]!) !== Mth.sign(cur)) {
        const at = cur / (cur - x[i]!);
        if (at < alpha) {
          alpha = at;
          hit = i;
        }
      }
    }
    if (hit < 0) {
      for (let i = 0; i < a; i++) delta[act[i]!] = x[i]!;
      const slack = lambda * (1 + 1e-9) + 1e-13 * maxAbs(c);
      for (let j = 0; j < m; j++) {
        if (delta[j] !== 0) continue;
        let gj = c[j]!;
        for (let i = 0; i < a; i++) gj -= H[j * m + act[i]!]! * x[i]!;
        if (Mth.abs(gj) > slack) return false;
      }
      return true;
    }
    for (let i = 0; i < a; i++) {
      const j = act[i]!;
      delta[j] = i === hit ? 0 : delta[j]! + alpha * (x[i]! - delta[j]!);
    }
  }
  return false;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Mth.max(m, Mth.abs(v[i]!));
  return m;
}
