import { Rng } from '../core/random';

/** One search dimension. */
export type SearchDim =
  | { readonly type: 'int'; readonly low: number; readonly high: number; readonly log?: boolean }
  | { readonly type: 'float'; readonly low: number; readonly high: number; readonly log?: boolean }
  | { readonly type: 'categorical'; readonly choices: readonly (string | number | boolean)[] };

/** A search space: parameter name → dimension. */
export type SearchSpace = Readonly<Record<string, SearchDim>>;

/** Sampled parameter values. */
export type TrialParams = Record<string, string | number | boolean>;

/** Samplers of the hyperparameter search. */
export const SAMPLERS = ['random', 'tpe'] as const;
/** A sampler: random search, or a Tree-structured Parzen Estimator. */
export type Sampler = (typeof SAMPLERS)[number];
/** The sampler used when none is named. */
export const DEFAULT_SAMPLER: Sampler = 'tpe';

/** One evaluated trial. */
export interface Trial {
  /** 0-based trial number. */
  readonly number: number;
  readonly params: TrialParams;
  /** The objective (lower is better); Infinity when the trial failed. */
  readonly value: number;
  readonly durationMs: number;
  /** Why the trial failed, if it did. */
  readonly error?: string;
}

/** Options for {@link hyperparameterSearch}. */
export interface SearchOptions {
  /** Trial budget. */
  readonly nTrials: number;
  /** 'random' or 'tpe' (Tree-structured Parzen Estimator). @default 'tpe' */
  readonly sampler?: Sampler;
  /** Seed: same seed, same trials. @default 0 */
  readonly seed?: number;
  /** TPE: random trials before modelling. @default min(10, nTrials/2) */
  readonly nStartup?: number;
  /** TPE: fraction of trials counted as "good". @default 0.25 */
  readonly gamma?: number;
  /** TPE: candidates drawn from the good density per trial. @default 24 */
  readonly nCandidates?: number;
  /** Called after every trial (e.g. to print a progress line). */
  readonly onTrial?: (trial: Trial, best: Trial) => void;
}

/** The outcome of a search. */
export interface SearchResult {
  readonly best: Trial;
  readonly trials: readonly Trial[];
}

function checkSpace(space: SearchSpace): void {
  for (const [name, d] of Object.entries(space)) {
    if (d.type === 'categorical') {
      if (!d.choices.length) throw new RangeError(`search space '${name}': choices must not be empty.`);
    } else {
      if (!(Number.isFinite(d.low) && Number.isFinite(d.high) && d.low <= d.high))
        throw new RangeError(`search space '${name}': need finite low ≤ high. Got [${d.low}, ${d.high}].`);
      if (d.log && d.low <= 0) throw new RangeError(`search space '${name}': a log scale needs low > 0. Got ${d.low}.`);
    }
  }
}

/** Maps a unit value u ∈ [0,1] to the dimension's value. */
function decode(d: Exclude<SearchDim, { type: 'categorical' }>, u: number): number {
  const lo = d.log ? Math.log(d.low) : d.low;
  const hi = d.log ? Math.log(d.high) : d.high;
  let v = lo + u * (hi - lo);
  if (d.log) v = Math.exp(v);
  if (d.type === 'int') v = Math.min(d.high, Math.max(d.low, Math.round(v)));
  else v = Math.min(d.high, Math.max(d.low, v));
  return v;
}

/** Maps a value back to u ∈ [0,1]. */
function encode(d: Exclude<SearchDim, { type: 'categorical' }>, v: number): number {
  const lo = d.log ? Math.log(d.low) : d.low;
  const hi = d.log ? Math.log(d.high) : d.high;
  const x = d.log ? Math.log(v) : v;
  return hi === lo ? 0.5 : (x - lo) / (hi - lo);
}

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

function normCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/** A Parzen estimator on [0,1]: truncated Gaussians at the observations plus a broad prior. */
class Parzen {
  readonly mus: number[];
  readonly sigmas: number[];
  readonly weights: number[];

  constructor(points: readonly number[]) {
    const mus = [0.5, ...points];
    const sorted = [...points].sort((a, b) => a - b);
    const minSigma = 1 / Math.min(100, points.length + 1);
    const sigmas = [
      1,
      ...points.map((p) => {
        const i = sorted.indexOf(p);
        const left = i > 0 ? p - sorted[i - 1]! : p;
        const right = i < sorted.length - 1 ? sorted[i + 1]! - p : 1 - p;
        return Math.min(1, Math.max(minSigma, left, right));
      }),
    ];
    this.mus = mus;
    this.sigmas = sigmas;
    this.weights = mus.map(() => 1 / mus.length);
  }

  sample(rng: Rng): number {
    let k = 0;
    const u = rng.next();
    let acc = 0;
    for (; k < this.weights.length - 1; k++) {
      acc += this.weights[k]!;
      if (u < acc) break;
    }
    for (let tries = 0; tries < 100; tries++) {
      const x = this.mus[k]! + this.sigmas[k]! * rng.normal();
      if (x >= 0 && x <= 1) return x;
    }
    return Math.min(1, Math.max(0, this.mus[k]!));
  }

  logPdf(x: number): number {
    let s = 0;
    for (let k = 0; k < this.mus.length; k++) {
      const mu = this.mus[k]!,
        sd = this.sigmas[k]!;
      const mass = normCdf((1 - mu) / sd) - normCdf((0 - mu) / sd);
      const z = (x - mu) / sd;
      s += (this.weights[k]! * Math.exp(-0.5 * z * z)) / (sd * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
    }
    return Math.log(Math.max(s, 1e-300));
  }
}

function sampleRandom(space: SearchSpace, rng: Rng): TrialParams {
  const out: TrialParams = {};
  for (const [name, d] of Object.entries(space)) out[name] = d.type === 'categorical' ? d.choices[rng.int(d.choices.length)]! : decode(d, rng.next());
  return out;
}

function sampleTpe(space: SearchSpace, done: readonly Trial[], rng: Rng, gamma: number, nCandidates: number): TrialParams {
  const ok = done.filter((t) => Number.isFinite(t.value));
  const sorted = [...ok].sort((a, b) => a.value - b.value || a.number - b.number);
  const nGood = Math.max(1, Math.ceil(gamma * sorted.length));
  const good = sorted.slice(0, nGood),
    bad = sorted.slice(nGood);
  const out: TrialParams = {};
  for (const [name, d] of Object.entries(space)) {
    if (d.type === 'categorical') {
      const wl = d.choices.map(() => 1),
        wg = d.choices.map(() => 1);
      for (const t of good) wl[d.choices.indexOf(t.params[name]!)]! += 1;
      for (const t of bad) wg[d.choices.indexOf(t.params[name]!)]! += 1;
      const sl = wl.reduce((a, b) => a + b, 0),
        sg = wg.reduce((a, b) => a + b, 0);
      let best = 0,
        bestScore = -Infinity;
      for (let c = 0; c < nCandidates; c++) {
        let u = rng.next() * sl,
          k = 0;
        while (k < wl.length - 1 && u >= wl[k]!) u -= wl[k++]!;
        const score = Math.log(wl[k]! / sl) - Math.log(wg[k]! / sg);
        if (score > bestScore) {
          bestScore = score;
          best = k;
        }
      }
      out[name] = d.choices[best]!;
    } else {
      const l = new Parzen(good.map((t) => encode(d, t.params[name] as number)));
      const g = new Parzen(bad.map((t) => encode(d, t.params[name] as number)));
      let best = 0.5,
        bestScore = -Infinity;
      for (let c = 0; c < nCandidates; c++) {
        const x = l.sample(rng);
        const score = l.logPdf(x) - g.logPdf(x);
        if (score > bestScore) {
          bestScore = score;
          best = x;
        }
      }
      out[name] = decode(d, best);
    }
  }
  return out;
}

/**
 * Hyperparameter search minimising `objective` within a trial budget, by
 * random sampling or a TPE sampler (independent per dimension, after
 * Bergstra et al. 2011). A trial that throws scores Infinity and is reported,
 * not fatal. Deterministic for a seed.
 */
export function hyperparameterSearch(objective: (params: TrialParams, trial: number) => number, space: SearchSpace, options: SearchOptions): SearchResult {
  if (!Number.isInteger(options.nTrials) || options.nTrials < 1) throw new RangeError(`hyperparameterSearch: nTrials must be an integer ≥ 1. Got ${options.nTrials}.`);
  checkSpace(space);
  const sampler = options.sampler ?? DEFAULT_SAMPLER;
  if (sampler !== 'random' && sampler !== 'tpe') throw new RangeError(`hyperparameterSearch: sampler must be 'random' or 'tpe'. Got ${JSON.stringify(sampler)}.`);
  const rng = new Rng(options.seed ?? 0);
  const nStartup = options.nStartup ?? Math.min(10, Math.max(1, Math.floor(options.nTrials / 2)));
  const trials: Trial[] = [];
  let best: Trial | null = null;
  for (let i = 0; i < options.nTrials; i++) {
    const params = sampler === 'random' || i < nStartup ? sampleRandom(space, rng) : sampleTpe(space, trials, rng, options.gamma ?? 0.25, options.nCandidates ?? 24);
    const t0 = Date.now();
    let value = Infinity;
    let error: string | undefined;
    try {
      value = objective(params, i);
      if (Number.isNaN(value)) value = Infinity;
    } catch (e) {
      error = (e as Error).message;
    }
    const trial: Trial = { number: i, params, value, durationMs: Date.now() - t0, ...(error ? { error } : {}) };
    trials.push(trial);
    if (!best || trial.value < best.value) best = trial;
    options.onTrial?.(trial, best);
  }
  return { best: best!, trials };
}
