import * as fs from 'fs';
import * as path from 'path';
import { LoadedModelDir, MODEL_FILES } from '../artifacts/modeldir';
import { Column, Frame } from '../data/frame';

/** Profile of one raw input column: its buckets and their training frequencies. */
export interface ColumnProfile {
  /** Column name. */
  readonly name: string;
  /** Storage type of the column in the training frame. */
  readonly type: 'number' | 'datetime' | 'string';
  /** number: sorted interior cut points; bucket i holds v < edges[i] (first such i), the last bucket v ≥ every edge. */
  readonly edges?: readonly number[];
  /** string: the categories tracked (most frequent first); others fall into the "other" bucket. */
  readonly categories?: readonly string[];
  /**
   * Training frequencies (fractions summing to 1): number → `[bins…, missing]`;
   * string → `[categories…, other, missing]`; datetime → `[]` (not profiled:
   * live timestamps always drift).
   */
  readonly freq: readonly number[];
}

/** The `format` of a data profile. */
export const PROFILE_FORMAT = 'mlops-profile/1';

/** The training-distribution profile of a model's raw input columns (profile.json), used for drift monitoring. */
export interface DataProfile {
  readonly format: typeof PROFILE_FORMAT;
  /** Training rows profiled. */
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

/** Smallest share used in PSI, so empty buckets do not give infinities. */
export const PSI_EPSILON = 1e-4;

/** One bucket's term of the population stability index: (a − e) · ln(a / e), both shares floored at {@link PSI_EPSILON}. */
export function psiTerm(expected: number, actual: number): number {
  const e = Math.max(expected, PSI_EPSILON);
  const a = Math.max(actual, PSI_EPSILON);
  return (a - e) * Math.log(a / e);
}

/**
 * Population stability index of counts against expected shares: Σ (a − e) · ln(a / e).
 * The one home of PSI: the scoring server's drift monitor and the pipeline's
 * `drift` step both use it.
 */
export function psi(expected: readonly number[], counts: ArrayLike<number>, total: number): number {
  let s = 0;
  for (let i = 0; i < expected.length; i++) s += psiTerm(expected[i]!, total ? counts[i]! / total : 0);
  return s;
}

/** Whether a column profile can be compared by PSI (datetime columns are not profiled; a profile whose shares do not match its buckets is skipped). */
export function psiComparable(p: ColumnProfile): boolean {
  return p.type !== 'datetime' && p.freq.length === bucketCount(p);
}

/** Options for {@link profileFrame}. */
export interface ProfileOptions {
  /** Quantile bins per numeric column. @default 10 */
  readonly bins?: number;
  /** Categories tracked per text column. @default 20 */
  readonly maxCategories?: number;
}

/** The bucket index of a value in a column profile (see {@link ColumnProfile.freq}); -1 for an unprofiled (datetime) column. */
export function bucketOf(p: ColumnProfile, v: number | string | null | undefined): number {
  if (p.type === 'datetime') return -1;
  if (p.type === 'number') {
    const edges = p.edges!;
    if (typeof v !== 'number' || Number.isNaN(v)) return edges.length + 1;
    let lo = 0,
      hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v < edges[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  const cats = p.categories!;
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return cats.length + 1;
  const i = cats.indexOf(String(v));
  return i >= 0 ? i : cats.length;
}

/** Number of buckets of a column profile. */
export function bucketCount(p: ColumnProfile): number {
  return p.type === 'number' ? p.edges!.length + 2 : p.type === 'string' ? p.categories!.length + 2 : 0;
}

/** Profiles the given columns of a frame: quantile bins for numbers, top categories for text. */
export function profileFrame(frame: Frame, columns: readonly string[], o: ProfileOptions = {}): DataProfile {
  const bins = o.bins ?? 10;
  const maxCat = o.maxCategories ?? 20;
  return { format: PROFILE_FORMAT, rows: frame.rows, columns: columns.filter((c) => frame.has(c)).map((c) => profileColumn(frame.column(c), bins, maxCat)) };
}

function profileColumn(col: Column, bins: number, maxCat: number): ColumnProfile {
  const n = col.values.length;
  if (col.type === 'datetime') return { name: col.name, type: 'datetime', freq: [] };
  let p: ColumnProfile;
  let presentCounts: Map<string, number> | undefined;
  let sortedPresent: Float64Array | undefined;
  if (col.type === 'number') {
    let k = 0;
    for (let r = 0; r < n; r++) if (!Number.isNaN(col.values[r]!)) k++;
    const present = new Float64Array(k);
    for (let r = 0, j = 0; r < n; r++) if (!Number.isNaN(col.values[r]!)) present[j++] = col.values[r]!;
    present.sort();
    sortedPresent = present;
    const edges: number[] = [];
    for (let i = 1; i < bins && present.length; i++) {
      const q = present[Math.min(present.length - 1, Math.floor((i * present.length) / bins))]!;
      if (q > present[0]! && (edges.length === 0 || q > edges[edges.length - 1]!)) edges.push(q);
    }
    p = { name: col.name, type: 'number', edges, freq: [] };
  } else {
    const counts = new Map<string, number>();
    for (const s of col.values) if (s !== null) counts.set(s, (counts.get(s) ?? 0) + 1);
    presentCounts = counts;
    const categories = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, maxCat)
      .map(([k]) => k);
    p = { name: col.name, type: 'string', categories, freq: [] };
  }
  const counts = new Float64Array(bucketCount(p));
  if (p.type === 'string') {
    // bucketOf's buckets, counted from the category counts above: each tracked category, then the other present values, then the missing ones.
    const present = presentCounts!;
    let tracked = 0;
    p.categories!.forEach((c, i) => {
      counts[i] = present.get(c)!;
      tracked += counts[i]!;
    });
    let all = 0;
    for (const k of present.values()) all += k;
    counts[p.categories!.length] = all - tracked;
    counts[p.categories!.length + 1] = n - all;
  } else {
    // bucketOf's buckets, counted on the sorted present values: bucket b holds edges[b-1] ≤ v < edges[b]; the last, the missing ones.
    const sorted = sortedPresent!;
    const edges = p.edges!;
    let prev = 0;
    for (let b = 0; b < edges.length; b++) {
      const below = lowerBound(sorted, edges[b]!);
      counts[b] = below - prev;
      prev = below;
    }
    counts[edges.length] = sorted.length - prev;
    counts[edges.length + 1] = n - sorted.length;
  }
  return { ...p, freq: Array.from(counts, (c) => (n ? c / n : 0)) };
}

/** Number of values of ascending `a` below `x`. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The training profile (profile.json) of a model directory read by `readModelDir`, or null when it has none (or not in this format). */
export function readModelProfile(dir: string, d: LoadedModelDir): DataProfile | null {
  if (!d.manifest.files[MODEL_FILES.profile]) return null;
  try {
    // Verified by readModelDir (listed in the manifest with its sha256).
    const p = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILES.profile), 'utf8')) as DataProfile;
    return p && p.format === PROFILE_FORMAT && Array.isArray(p.columns) ? p : null;
  } catch {
    return null;
  }
}
