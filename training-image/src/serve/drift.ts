import { Frame } from '../data/frame';
import { bucketCount, bucketOf, ColumnProfile, DataProfile } from '../models/profile';
import { DriftSettings } from './config';

/** Smallest share used in PSI, so empty buckets do not give infinities. */
export const PSI_EPSILON = 1e-4;

/** Population stability index of live counts against expected shares: Σ (a − e) · ln(a / e). */
export function psi(expected: readonly number[], counts: ArrayLike<number>, total: number): number {
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, PSI_EPSILON);
    const a = Math.max(total ? counts[i]! / total : 0, PSI_EPSILON);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

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

/** One column's sliding window of live bucket indices. */
class Window {
  readonly counts: Float64Array;
  private readonly ring: Uint16Array;
  private head = 0;
  n = 0;
  alerted = false;
  constructor(readonly profile: ColumnProfile, size: number) {
    this.counts = new Float64Array(bucketCount(profile));
    this.ring = new Uint16Array(size);
  }
  add(b: number): void {
    if (this.n === this.ring.length) this.counts[this.ring[this.head]!]!--;
    else this.n++;
    this.ring[this.head] = b;
    this.counts[b]!++;
    this.head = (this.head + 1) % this.ring.length;
  }
  psi(): number {
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

  constructor(
    profile: DataProfile,
    /** Threshold, window and minimum rows. */
    public readonly settings: DriftSettings,
    private readonly onAlert: (alerts: DriftAlert[]) => void = () => undefined,
  ) {
    this.windows = profile.columns.filter((c) => c.type !== 'datetime' && c.freq.length === bucketCount(c)).map((c) => new Window(c, settings.window));
  }

  /** Adds the rows of a validated input frame and checks thresholds. */
  observe(frame: Frame): void {
    const n = frame.rows;
    for (const w of this.windows) {
      if (!frame.has(w.profile.name)) continue;
      const col = frame.column(w.profile.name);
      for (let r = 0; r < n; r++) w.add(bucketOf(w.profile, col.values[r] as number | string | null));
    }
    this.observed += n;
    const alerts: DriftAlert[] = [];
    for (const w of this.windows) {
      if (w.n < this.settings.minRows) continue;
      const v = w.psi();
      if (v > this.settings.threshold && !w.alerted) {
        w.alerted = true;
        alerts.push({ feature: w.profile.name, psi: v, threshold: this.settings.threshold, rows: w.n });
      } else if (v <= this.settings.threshold) w.alerted = false;
    }
    if (alerts.length) this.onAlert(alerts);
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
        const v = w.n >= minRows ? w.psi() : null;
        return { feature: w.profile.name, psi: v, drifted: v !== null && v > threshold, rows: w.n };
      }),
    };
  }
}
