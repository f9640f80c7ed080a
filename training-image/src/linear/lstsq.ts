/**
 * Least squares by Householder QR with column pivoting (Businger–Golub).
 * Copes with rank-deficient designs (e.g. one-hot blocks that sum to the
 * intercept): columns beyond the numerical rank get coefficient 0, which
 * gives the same fitted values as the minimum-norm solution.
 */
export interface LstsqResult {
  /** Coefficients, one per column. */
  readonly x: Float64Array;
  /** Numerical rank found. */
  readonly rank: number;
}

/**
 * Solves min ‖A x − b‖² for `A` given as columns (each of length `m`).
 * `cols` are overwritten. A column is dropped as dependent when its
 * remaining norm is below `rcond` × the largest column norm.
 */
export function lstsqColumns(cols: Float64Array[], b: Float64Array, rcond = 1e-10): LstsqResult {
  const p = cols.length;
  const m = b.length;
  const rhs = Float64Array.from(b);
  const perm = Array.from({ length: p }, (_, i) => i);
  const norms = new Float64Array(p);
  for (let j = 0; j < p; j++) norms[j] = sqnorm(cols[j]!, 0);
  const maxNorm = Math.sqrt(Math.max(0, ...norms));
  const diag = new Float64Array(p);
  const steps = Math.min(m, p);
  let rank = 0;
  for (let k = 0; k < steps; k++) {
    // Pivot: the remaining column with the largest remaining norm (recomputed exactly).
    let best = k,
      bestNorm = -1;
    for (let j = k; j < p; j++) {
      const nj = sqnorm(cols[j]!, k);
      norms[j] = nj;
      if (nj > bestNorm) {
        bestNorm = nj;
        best = j;
      }
    }
    if (Math.sqrt(bestNorm) <= rcond * maxNorm || bestNorm === 0) break;
    if (best !== k) {
      [cols[k], cols[best]] = [cols[best]!, cols[k]!];
      [perm[k], perm[best]] = [perm[best]!, perm[k]!];
    }
    const v = cols[k]!;
    const norm = Math.sqrt(bestNorm);
    const alpha = v[k]! > 0 ? -norm : norm;
    v[k] = v[k]! - alpha;
    const vnorm2 = sqnorm(v, k);
    diag[k] = alpha;
    if (vnorm2 > 0) {
      for (let j = k + 1; j < p; j++) reflect(v, cols[j]!, k, vnorm2);
      reflect(v, rhs, k, vnorm2);
    }
    rank = k + 1;
  }
  // Back substitution on the leading rank × rank block of R (R[i][j] = cols[j][i], diagonal in `diag`).
  const z = new Float64Array(rank);
  for (let i = rank - 1; i >= 0; i--) {
    let s = rhs[i]!;
    for (let j = i + 1; j < rank; j++) s -= cols[j]![i]! * z[j]!;
    z[i] = s / diag[i]!;
  }
  const x = new Float64Array(p);
  for (let i = 0; i < rank; i++) x[perm[i]!] = z[i]!;
  return { x, rank };
}

function sqnorm(v: Float64Array, from: number): number {
  let s = 0;
  for (let i = from; i < v.length; i++) s += v[i]! * v[i]!;
  return s;
}

/** Applies H = I − 2 v vᵀ / (vᵀv) (v supported on [k, m)) to `a` in place. */
function reflect(v: Float64Array, a: Float64Array, k: number, vnorm2: number): void {
  let d = 0;
  for (let i = k; i < v.length; i++) d += v[i]! * a[i]!;
  const f = (2 * d) / vnorm2;
  if (f === 0) return;
  for (let i = k; i < v.length; i++) a[i] = a[i]! - f * v[i]!;
}

/** Solves the symmetric positive-definite system `A x = b` (A is n×n row-major) by Cholesky; null when not positive definite. */
export function choleskySolve(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}
