import { Frame } from '../data/frame';
import { bucketCount, bucketOf, ColumnProfile, DataProfile, psi, psiComparable, psiTerm } from '../models/profile';
import { DriftSettings } from './config';

/** Drift of one feature. */
export interface FeatureDrift {
  readonly feature: string;
  /** PSI of the live window against training; null until `minRows` live rows were seen. */
  readonly psi: number | null;
  readonly drifted: boolean;
  /** Live rows in the window. */
  readonly rows: number;
}

/** What GET /drift answers. */
export interface DriftReport {
  readonly threshold: number;
  readonly window: number;
  readonly minRows: number;
  /** Live rows seen since start. */
  readonly observed: number;
  readonly features: readonly FeatureDrift[];
  /** Why drift is not monitored, when it is not (e.g. no profile.json). */
  readonly disabled?: string;
}

/** A feature crossing its threshold. */
export interface DriftAlert {
  readonly feature: string;
  readonly psi: number;
  readonly threshold: number;
  readonly rows: number;
}

/** Incremental PSI updates between full recomputations (bounds rounding drift). */
const RECOMPUTE_EVERY = 1024;

/**
 * One column's sliding window of live bucket indices, with its PSI kept up to
 * date: once the window is full a new row changes two buckets, so only their
 * two terms are updated (a full recomputation every 1024 updates and whenever
 * the row count changes).
 */
class Window {
  readonly counts: Float64Array;
  private readonly ring: Uint16Array;
  /** Per-bucket PSI terms and their sum, valid when `fresh`. */
  private readonly terms: Float64Array;
  private sum = 0;
  private fresh = false;
  private updates = 0;
  private head = 0;
  n = 0;
  alerted = false;
  /** A number column's edges (null for other columns). */
  private readonly edges: Float64Array | null;
  constructor(
    readonly profile: ColumnProfile,
    size: number,
  ) {
    this.edges = profile.type === 'number' ? Float64Array.from(profile.edges!) : null;
    this.counts = new Float64Array(bucketCount(profile));
    this.terms = new Float64Array(this.counts.length);
    this.ring = new Uint16Array(size);
  }
  add(b: number): void {
    if (this.n === this.ring.length) {
      const old = this.ring[this.head]!;
      if (old !== b) {
        this.counts[old]!--;
        this.counts[b]!++;
        if (this.fresh) {
          const to = this.term(old);
          const tb = this.term(b);
          this.sum += to - this.terms[old]! + tb - this.terms[b]!;
          this.terms[old] = to;
          this.terms[b] = tb;
          if (++this.updates >= RECOMPUTE_EVERY) this.fresh = false;
        }
      }
    } else {
      this.n++;
      this.counts[b]!++;
      this.fresh = false;
    }
    this.ring[this.head] = b;
    if (++this.head === this.ring.length) this.head = 0;
  }

  /** The bucket of a live value ({@link bucketOf}; numbers searched in a typed copy of the edges). */
  bucket(v: number | string | null): number {
    const edges = this.edges;
    if (edges === null) return bucketOf(this.profile, v);
    if (typeof v !== 'number' || v !== v) return edges.length + 1;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v < edges[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  private term(i: number): number {
    return psiTerm(this.profile.freq[i]!, this.n ? this.counts[i]! / this.n : 0);
  }
  /** The PSI of the window (kept up to date incrementally). */
  psi(): number {
    if (!this.fresh) {
      let s = 0;
      for (let i = 0; i < this.terms.length; i++) s += this.terms[i] = this.term(i);
      this.sum = s;
      this.fresh = true;
      this.updates = 0;
    }
    return this.sum;
  }
  /** The PSI recomputed from the counts (what GET /drift reports). */
  exactPsi(): number {
    return psi(this.profile.freq, this.counts, this.n);
  }
}

/**
 * Per-feature population stability index of live inputs against the training
 * profile (profile.json), over a sliding window of the most recent rows.
 * Calls `onAlert` once when a feature's PSI rises above the threshold (and
 * again only after it has fallen back below).
 */
export class DriftMonitor {
  private readonly windows: Window[];
  private observed = 0;
  private lastFrame: Frame | null = null;
  private lastColumns: (ArrayLike<unknown> | null)[] = [];

  constructor(
    profile: DataProfile,
    /** Threshold, window and minimum rows. */
    public readonly settings: DriftSettings,
    private readonly onAlert: (alerts: DriftAlert[]) => void = () => undefined,
  ) {
    this.windows = profile.columns.filter(psiComparable).map((c) => new Window(c, settings.window));
  }

  /** Adds the rows of a validated input frame and checks thresholds. */
  observe(frame: Frame): void {
    const n = frame.rows;
    // The columns of the last frame: the single-row fast path passes the same frame every time.
    let columns = this.lastColumns;
    if (frame !== this.lastFrame) {
      columns = this.windows.map((w) => (frame.has(w.profile.name) ? frame.column(w.profile.name).values : null));
      // Kept for one-row frames only (no large batch stays referenced).
      this.lastFrame = n === 1 ? frame : null;
      this.lastColumns = n === 1 ? columns : [];
    }
    for (let k = 0; k < this.windows.length; k++) {
      const values = columns[k];
      if (!values) continue;
      const w = this.windows[k]!;
      for (let r = 0; r < n; r++) w.add(w.bucket(values[r] as number | string | null));
    }
    this.observed += n;
    let alerts: DriftAlert[] | null = null;
    const { minRows, threshold } = this.settings;
    for (let k = 0; k < this.windows.length; k++) {
      const w = this.windows[k]!;
      if (w.n < minRows) continue;
      const v = w.psi();
      if (v > threshold && !w.alerted) {
        w.alerted = true;
        (alerts ??= []).push({ feature: w.profile.name, psi: v, threshold, rows: w.n });
      } else if (v <= threshold) w.alerted = false;
    }
    if (alerts) this.onAlert(alerts);
  }

  /** The current PSI of every monitored feature. */
  report(): DriftReport {
    const { threshold, window, minRows } = this.settings;
    return {
      threshold,
      window,
      minRows,
      observed: this.observed,
      features: this.windows.map((w) => {
        const v = w.n >= minRows ? w.exactPsi() : null;
        return { feature: w.profile.name, psi: v, drifted: v !== null && v > threshold, rows: w.n };
      }),
    };
  }
}
