import { Matrix } from '../core/matrix';
import { DataError, Issue } from '../data/errors';
import { Column, Frame } from '../data/frame';
import { keepValue, show, showKey, showList } from '../core/text';
import { DATE_PARTS, DatePart, datePart } from './dates';

/** Rolling-window statistics. */
export type RollingStat = 'mean' | 'std' | 'min' | 'max';

/** What the feature pipeline should do (all optional; the defaults suit linear models). */
export interface FeatureConfig {
  /** Columns never used as features (the target is always excluded). */
  readonly exclude?: readonly string[];
  /** Columns one-hot encoded even when numeric (string columns always are). */
  readonly categorical?: readonly string[];
  /** The time column: the order for lags and rolling windows. */
  readonly time?: string;
  /** Date features derived from every datetime column. @default all of DATE_PARTS */
  readonly dateParts?: readonly DatePart[];
  /** Lag features: the value `k` rows earlier in time order (NaN before the start). */
  readonly lags?: readonly { readonly column: string; readonly lags: readonly number[] }[];
  /** Rolling features over the `w` rows BEFORE each row, in time order (no leakage of the current row). */
  readonly rolling?: readonly { readonly column: string; readonly windows: readonly number[]; readonly stats?: readonly RollingStat[] }[];
  /** Numeric imputation: 'median', 'mean' or 'none' (keep NaN for models that handle it). @default 'median' */
  readonly numericImpute?: 'median' | 'mean' | 'none';
  /** Missing categories: replaced by the most frequent category. @default 'most_frequent' */
  readonly categoricalImpute?: 'most_frequent';
  /** A category unseen in training: 'ignore' → all-zero one-hot, 'error' → throw. @default 'ignore' */
  readonly handleUnknown?: 'ignore' | 'error';
  /** Standardise numeric features to mean 0, sd 1. @default true */
  readonly standardize?: boolean;
  /** Keep at most this many categories per column (most frequent); the rest are treated as unknown. @default 100 */
  readonly maxCategories?: number;
}

/** One numeric source the pipeline derives from the frame before imputation/scaling. */
type NumericSource =
  | { readonly kind: 'column'; readonly column: string }
  | { readonly kind: 'date'; readonly column: string; readonly part: DatePart }
  | { readonly kind: 'lag'; readonly column: string; readonly lag: number }
  | { readonly kind: 'rolling'; readonly column: string; readonly window: number; readonly stat: RollingStat };

/** Fitted state of one numeric feature. */
interface NumericFeature {
  readonly name: string;
  readonly source: NumericSource;
  readonly fill: number;
  readonly mean: number;
  readonly scale: number;
}

/** Fitted state of one one-hot encoded column. */
interface CategoricalFeature {
  readonly column: string;
  readonly categories: readonly string[];
  readonly fill: string;
}

/** The fitted state (what is saved as transforms.json). */
export interface PipelineState {
  readonly format: 'mlops-features/1';
  readonly config: FeatureConfig;
  readonly target: string | null;
  readonly numeric: readonly NumericFeature[];
  readonly categorical: readonly CategoricalFeature[];
  readonly featureNames: readonly string[];
  readonly inputColumns: readonly string[];
}

/** Thrown when the pipeline is used before `fit`. */
export class PipelineNotFittedError extends Error {
  constructor() {
    super('This FeaturePipeline is not fitted yet. Call fit(frame) first.');
    this.name = 'PipelineNotFittedError';
  }
}

/**
 * A fitted, serialisable feature pipeline: date features, lags and rolling
 * windows → imputation (median / most frequent) → standardisation → one-hot
 * (unknown categories ignored or refused). Fit on training data; transform
 * applies exactly the learned state at scoring time. Output: a core Matrix
 * plus feature names.
 */
export class FeaturePipeline {
  private state: PipelineState | null = null;

  constructor(
    /** The configuration, stored untouched. */
    public readonly config: FeatureConfig = {},
    /** The target column, excluded from the features (it may still be lagged). */
    public readonly target: string | null = null,
  ) {}

  /** Output feature names (after fit). */
  get featureNames(): readonly string[] {
    return this.fitted().featureNames;
  }

  /** Input columns the pipeline reads (after fit). */
  get inputColumns(): readonly string[] {
    return this.fitted().inputColumns;
  }

  /** Learns imputation values, scaling and categories from `frame`. */
  fit(frame: Frame): this {
    const cfg = this.config;
    const parts = cfg.dateParts ?? DATE_PARTS;
    for (const p of parts) if (!DATE_PARTS.includes(p)) throw new DataError(`FeaturePipeline: unknown date part ${show(p)}. Accepted: ${DATE_PARTS.join(', ')}.`);
    const exclude = new Set([...(cfg.exclude ?? []), ...(this.target ? [this.target] : [])]);
    const forcedCat = new Set(cfg.categorical ?? []);
    for (const c of [...forcedCat, ...(cfg.time ? [cfg.time] : [])]) frame.column(c);
    const sources: NumericSource[] = [];
    const catCols: string[] = [];
    const inputs = new Set<string>();
    for (const col of frame.columns) {
      if (exclude.has(col.name)) continue;
      inputs.add(col.name);
      if (col.type === 'string' || forcedCat.has(col.name)) catCols.push(col.name);
      else if (col.type === 'datetime') for (const part of parts) sources.push({ kind: 'date', column: col.name, part });
      else sources.push({ kind: 'column', column: col.name });
    }
    for (const l of cfg.lags ?? []) {
      checkNumericInput(frame, l.column, 'lags');
      for (const k of l.lags) {
        if (!Number.isInteger(k) || k < 1) throw new DataError(`FeaturePipeline: lag ${show(k)} of column ${showKey(l.column)} must be an integer ≥ 1.`);
        sources.push({ kind: 'lag', column: l.column, lag: k });
      }
      inputs.add(l.column);
    }
    for (const w of cfg.rolling ?? []) {
      checkNumericInput(frame, w.column, 'rolling');
      for (const win of w.windows) {
        if (!Number.isInteger(win) || win < 1) throw new DataError(`FeaturePipeline: rolling window ${show(win)} of column ${showKey(w.column)} must be an integer ≥ 1.`);
        for (const stat of w.stats ?? ['mean']) sources.push({ kind: 'rolling', column: w.column, window: win, stat });
      }
      inputs.add(w.column);
    }
    if ((cfg.lags?.length || cfg.rolling?.length) && cfg.time) inputs.add(cfg.time);

    const order = timeOrder(frame, cfg.time);
    const impute = cfg.numericImpute ?? 'median';
    const standardize = cfg.standardize ?? true;
    const numeric: NumericFeature[] = sources.map((source) => {
      const v = deriveNumeric(frame, source, order);
      const present = presentValues(v);
      let fill = NaN;
      if (impute !== 'none') fill = present.length === 0 ? 0 : impute === 'median' ? median(present) : mean(present);
      let mu = 0,
        sd = 1;
      if (standardize) {
        // The missing values count as `fill` (as transform() will fill them), or are left out without imputation.
        const filled = impute === 'none' || present.length === v.length ? present : v.map((x) => (Number.isNaN(x) ? fill : x));
        mu = filled.length ? mean(filled) : 0;
        let ss = 0;
        for (let i = 0; i < filled.length; i++) ss += (filled[i]! - mu) * (filled[i]! - mu);
        const varc = filled.length ? ss / filled.length : 0;
        sd = varc > 0 ? Math.sqrt(varc) : 1;
      }
      return { name: sourceName(source), source, fill, mean: mu, scale: sd };
    });
    const maxCat = cfg.maxCategories ?? 100;
    const categorical: CategoricalFeature[] = catCols.map((name) => {
      const vals = categoryStrings(frame.column(name));
      const counts = new Map<string, number>();
      for (const s of vals) if (s !== null) counts.set(s, (counts.get(s) ?? 0) + 1);
      const byFreq = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const fill = byFreq.length ? byFreq[0]![0] : '';
      const categories = byFreq
        .slice(0, maxCat)
        .map(([k]) => k)
        .sort();
      return { column: name, categories, fill };
    });
    const featureNames = [...numeric.map((f) => f.name), ...categorical.flatMap((c) => c.categories.map((k) => `${c.column}=${k}`))];
    this.state = { format: 'mlops-features/1', config: cfg, target: this.target, numeric, categorical, featureNames, inputColumns: [...inputs] };
    return this;
  }

  /** Applies the fitted transforms; throws a {@link DataError} naming missing/mistyped columns or unknown categories (when 'error'). */
  transform(frame: Frame): { X: Matrix; featureNames: readonly string[] } {
    const st = this.fitted();
    const issues: Issue[] = [];
    for (const name of st.inputColumns) {
      if (!frame.has(name))
        issues.push({ code: 'MISSING_COLUMN', column: name, message: `column ${showKey(name)} is needed by the feature pipeline but is missing from the data` });
    }
    if (issues.length) throw new DataError('The data does not have the columns the model was trained on.', issues);
    const n = frame.rows;
    const p = st.featureNames.length;
    const data = new Float64Array(n * p);
    const order = timeOrder(frame, st.config.time);
    st.numeric.forEach((f, j) => {
      const v = deriveNumeric(frame, f.source, order);
      for (let r = 0; r < n; r++) {
        let x = v[r]!;
        if (Number.isNaN(x)) x = f.fill;
        data[r * p + j] = (x - f.mean) / f.scale;
      }
    });
    let j0 = st.numeric.length;
    const unknownMode = st.config.handleUnknown ?? 'ignore';
    for (const c of st.categorical) {
      const index = new Map(c.categories.map((k, i) => [k, i]));
      const vals = categoryStrings(frame.column(c.column));
      let bad = 0;
      for (let r = 0; r < n; r++) {
        const s = vals[r] ?? c.fill;
        const k = index.get(s);
        if (k === undefined) {
          if (unknownMode === 'error') {
            if (bad < 20)
              issues.push({
                code: 'UNKNOWN_CATEGORY',
                row: r + 1,
                column: c.column,
                value: keepValue(s),
                message: `row ${r + 1}, column ${showKey(c.column)}: category ${show(s)} was not seen in training (known: ${showList(c.categories)})`,
              });
            bad++;
          }
          continue;
        }
        data[r * p + j0 + k] = 1;
      }
      j0 += c.categories.length;
    }
    if (issues.length) throw new DataError('The data has categories the model was not trained on (handleUnknown: error).', issues);
    return { X: { rows: n, cols: p, data }, featureNames: st.featureNames };
  }

  /**
   * A prepared single-row transformer (see {@link RowTransformer}), or null
   * when the pipeline has lag or rolling features (they need other rows: use
   * {@link transform}). Create it once per fitted pipeline.
   */
  rowTransformer(): RowTransformer | null {
    const st = this.fitted();
    for (const f of st.numeric) if (f.source.kind === 'lag' || f.source.kind === 'rolling') return null;
    return new RowTransformer(st);
  }

  /** `fit(frame)` then `transform(frame)`. */
  fitTransform(frame: Frame): { X: Matrix; featureNames: readonly string[] } {
    return this.fit(frame).transform(frame);
  }

  /** The fitted state as plain JSON (transforms.json). */
  toJSON(): PipelineState {
    return this.fitted();
  }

  /** Reloads a pipeline saved by {@link toJSON}. */
  static fromJSON(json: unknown): FeaturePipeline {
    const s = json as PipelineState;
    if (s?.format !== 'mlops-features/1' || !Array.isArray(s.numeric) || !Array.isArray(s.categorical)) {
      throw new DataError(`transforms: not a saved feature pipeline (expected format 'mlops-features/1', got ${show((s as { format?: unknown })?.format)}).`);
    }
    const p = new FeaturePipeline(s.config, s.target);
    p.state = s;
    return p;
  }

  private fitted(): PipelineState {
    if (!this.state) throw new PipelineNotFittedError();
    return this.state;
  }
}

/** One numeric feature of a {@link RowTransformer}: 0 column, 1 date part. */
interface RowNumeric {
  readonly date: boolean;
  readonly column: string;
  readonly part: DatePart;
  readonly fill: number;
  readonly mean: number;
  readonly scale: number;
}

/**
 * Transforms one row of a frame into a caller-owned Float64Array without
 * allocating (beyond String() of a numeric category): the same numbers as
 * {@link FeaturePipeline.transform} for that row, bit for bit. Whenever
 * transform would throw (a missing or mistyped column, an unknown category
 * under handleUnknown 'error', a text time column) it returns false and
 * writes nothing meaningful, so the caller can take the general path for the
 * exact error. Pipelines with lags or rolling windows have no RowTransformer.
 */
export class RowTransformer {
  /** Output width (number of features). */
  readonly width: number;
  private readonly inputs: readonly string[];
  private readonly numeric: readonly RowNumeric[];
  private readonly catColumns: readonly string[];
  private readonly catFill: readonly string[];
  private readonly catIndex: readonly Map<string, number>[];
  private readonly catOffset: Int32Array;
  private readonly nNumeric: number;
  private readonly unknownError: boolean;
  private readonly time: string | null;
  /** The last frame checked, and its columns per numeric / categorical feature (frames are immutable; values may change). */
  private lastFrame: Frame | null = null;
  private readonly numCols: Column[] = [];
  private readonly catCols: Column[] = [];
  /** Per date feature: the last time seen and its part (live requests often repeat the day or hour). */
  private readonly lastMs: Float64Array;
  private readonly lastPart: Float64Array;

  /** @internal Use {@link FeaturePipeline.rowTransformer}. */
  constructor(st: PipelineState) {
    this.width = st.featureNames.length;
    this.inputs = [...st.inputColumns];
    this.numeric = st.numeric.map((f) => {
      const s = f.source;
      if (s.kind !== 'column' && s.kind !== 'date') throw new Error('RowTransformer: lag/rolling features need the general path');
      return { date: s.kind === 'date', column: s.column, part: s.kind === 'date' ? s.part : 'hour', fill: f.fill, mean: f.mean, scale: f.scale };
    });
    this.nNumeric = st.numeric.length;
    this.catColumns = st.categorical.map((c) => c.column);
    this.catFill = st.categorical.map((c) => c.fill);
    this.catIndex = st.categorical.map((c) => new Map(c.categories.map((k, i) => [k, i])));
    this.catOffset = new Int32Array(st.categorical.length);
    let j0 = st.numeric.length;
    st.categorical.forEach((c, i) => {
      this.catOffset[i] = j0;
      j0 += c.categories.length;
    });
    this.unknownError = (st.config.handleUnknown ?? 'ignore') === 'error';
    this.time = st.config.time ?? null;
    this.lastMs = new Float64Array(this.numeric.length).fill(NaN);
    this.lastPart = new Float64Array(this.numeric.length).fill(NaN);
  }

  /** Resolves and type-checks the columns of `frame` once per frame; false when transform would throw. */
  private bind(frame: Frame): boolean {
    if (frame === this.lastFrame) return true;
    this.lastFrame = null;
    const inputs = this.inputs;
    for (let i = 0; i < inputs.length; i++) if (!frame.has(inputs[i]!)) return false;
    if (this.time !== null && frame.has(this.time) && frame.column(this.time).type === 'string') return false;
    for (let j = 0; j < this.numeric.length; j++) {
      const f = this.numeric[j]!;
      const col = frame.column(f.column);
      if (f.date ? col.type !== 'datetime' : col.type === 'string') return false;
      this.numCols[j] = col;
    }
    for (let i = 0; i < this.catColumns.length; i++) this.catCols[i] = frame.column(this.catColumns[i]!);
    this.lastFrame = frame;
    return true;
  }

  /**
   * Writes the features of row `r` of `frame` into `out[0, width)`; true on
   * success, false when {@link FeaturePipeline.transform} would throw.
   */
  transformRowInto(frame: Frame, r: number, out: Float64Array): boolean {
    if (out.length < this.width || r < 0 || r >= frame.rows) return false;
    if (!this.bind(frame)) return false;
    const numeric = this.numeric;
    const numCols = this.numCols;
    for (let j = 0; j < numeric.length; j++) {
      const f = numeric[j]!;
      const v = numCols[j]!.values[r] as number;
      let x: number;
      if (f.date) {
        if (Object.is(v, this.lastMs[j])) x = this.lastPart[j]!;
        else {
          x = datePart(v, f.part);
          this.lastMs[j] = v;
          this.lastPart[j] = x;
        }
      } else x = v;
      if (Number.isNaN(x)) x = f.fill;
      out[j] = (x - f.mean) / f.scale;
    }
    out.fill(0, this.nNumeric, this.width);
    const cats = this.catColumns;
    for (let i = 0; i < cats.length; i++) {
      const col = this.catCols[i]!;
      let s: string | null;
      if (col.type === 'string') s = col.values[r]!;
      else {
        const v = col.values[r]!;
        s = Number.isNaN(v) ? null : String(v);
      }
      const k = this.catIndex[i]!.get(s ?? this.catFill[i]!);
      if (k === undefined) {
        if (this.unknownError) return false;
        continue;
      }
      out[this.catOffset[i]! + k] = 1;
    }
    return true;
  }
}

function checkNumericInput(frame: Frame, name: string, what: string): void {
  const c = frame.column(name);
  if (c.type !== 'number') throw new DataError(`FeaturePipeline: ${what} need a numeric column; ${showKey(name)} is ${c.type}.`);
}

function sourceName(s: NumericSource): string {
  switch (s.kind) {
    case 'column':
      return s.column;
    case 'date':
      return `${s.column}_${s.part}`;
    case 'lag':
      return `${s.column}_lag${s.lag}`;
    case 'rolling':
      return `${s.column}_roll${s.window}_${s.stat}`;
  }
}

/** Row indices in ascending time order (stable), or null for "as given". */
function timeOrder(frame: Frame, time: string | undefined): Uint32Array | null {
  if (!time || !frame.has(time)) return null;
  const col = frame.column(time);
  if (col.type === 'string') throw new DataError(`FeaturePipeline: time column ${showKey(time)} must be a datetime or number column; it is text.`);
  const t = col.values;
  const idx = Array.from({ length: frame.rows }, (_, i) => i);
  idx.sort((a, b) => t[a]! - t[b]! || a - b);
  return Uint32Array.from(idx);
}

function deriveNumeric(frame: Frame, s: NumericSource, order: Uint32Array | null): Float64Array {
  const col = frame.column(s.column);
  const n = frame.rows;
  if (s.kind === 'column') {
    if (col.type === 'string')
      throw new DataError(`Column ${showKey(s.column)} was numeric in training but is text here (e.g. ${show(col.values.find((v) => v !== null) ?? null)}).`, [
        { code: 'WRONG_TYPE', column: s.column, message: `column ${showKey(s.column)} must be numeric` },
      ]);
    return col.values as Float64Array;
  }
  if (s.kind === 'date') {
    if (col.type !== 'datetime')
      throw new DataError(`Column ${showKey(s.column)} was a datetime in training but is ${col.type} here.`, [
        { code: 'WRONG_TYPE', column: s.column, message: `column ${showKey(s.column)} must be an ISO date` },
      ]);
    const out = new Float64Array(n);
    for (let r = 0; r < n; r++) out[r] = datePart(col.values[r]!, s.part);
    return out;
  }
  if (col.type === 'string') throw new DataError(`Column ${showKey(s.column)} must be numeric for ${s.kind} features.`);
  const v = col.values;
  const ord = order ?? Uint32Array.from({ length: n }, (_, i) => i);
  const out = new Float64Array(n).fill(NaN);
  if (s.kind === 'lag') {
    for (let i = s.lag; i < n; i++) out[ord[i]!] = v[ord[i - s.lag]!]!;
    return out;
  }
  const w = s.window;
  for (let i = 1; i < n; i++) {
    let cnt = 0,
      sum = 0,
      sq = 0,
      mn = Infinity,
      mx = -Infinity;
    for (let k = Math.max(0, i - w); k < i; k++) {
      const x = v[ord[k]!]!;
      if (Number.isNaN(x)) continue;
      cnt++;
      sum += x;
      sq += x * x;
      if (x < mn) mn = x;
      if (x > mx) mx = x;
    }
    if (cnt === 0) continue;
    const m = sum / cnt;
    out[ord[i]!] = s.stat === 'mean' ? m : s.stat === 'min' ? mn : s.stat === 'max' ? mx : cnt > 1 ? Math.sqrt(Math.max(0, (sq - cnt * m * m) / (cnt - 1))) : NaN;
  }
  return out;
}

/** A column's values as category strings (numbers formatted with String()). */
function categoryStrings(col: Column): (string | null)[] {
  if (col.type === 'string') return col.values as (string | null)[];
  return Array.from(col.values, (v) => (Number.isNaN(v) ? null : String(v)));
}

/** The values of `v` that are not NaN, in order (`v` itself when none is). */
function presentValues(v: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i]!)) n++;
  if (n === v.length) return v;
  const out = new Float64Array(n);
  for (let i = 0, j = 0; i < v.length; i++) if (!Number.isNaN(v[i]!)) out[j++] = v[i]!;
  return out;
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

/** The median, as of the sorted values (`Float64Array.prototype.sort` order, −0 before +0), found by selection instead of a sort. */
function median(a: ArrayLike<number>): number {
  const s = Float64Array.from(a);
  const m = s.length >> 1;
  const hi = select(s, m);
  return s.length % 2 ? hi : (select(s, m - 1, m) + hi) / 2;
}

/** `a < b` in `Float64Array.prototype.sort` order for non-NaN values (−0 before +0). */
function before(a: number, b: number): boolean {
  return a < b || (a === 0 && b === 0 && 1 / a < 0 && 1 / b > 0);
}

/**
 * The value at position `k` of `a` sorted (non-NaN values, −0 before +0),
 * by Hoare selection on `a[0..end)` (reordered in place; after a call for
 * `k`, the values below position `k` are those before it, so a next call
 * with `end = k` finds a smaller one).
 */
function select(a: Float64Array, k: number, end = a.length): number {
  let lo = 0;
  let hi = end - 1;
  while (lo < hi) {
    // Median of three as the pivot keeps sorted and reversed input linear.
    const mid = (lo + hi) >> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = before(x, y) ? (before(y, z) ? y : before(x, z) ? z : x) : before(x, z) ? x : before(y, z) ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (before(a[i]!, pivot)) i++;
      while (before(pivot, a[j]!)) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
