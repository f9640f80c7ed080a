/**
 * The one-sentence answer to "when will the transformer overload?", with a
 * plain statement of how far to trust it given the backtest error.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/** A point in time as the runtime passes it around: epoch ms, an ISO 8601 string, or a Date. */
export type TimeLike = number | string | Date;

/** When the forecast first reaches the rating: the mean (`date`) and the interval bounds; null where it does not within the horizon. */
export interface CrossingLike {
  /** First forecast time whose mean is ≥ the rating. */
  readonly date: TimeLike | null;
  /** First forecast time whose LOWER bound is ≥ the rating (the latest plausible date). */
  readonly lower: TimeLike | null;
  /** First forecast time whose UPPER bound is ≥ the rating (the earliest plausible date). */
  readonly upper: TimeLike | null;
}

/** What {@link transformerAnswer} needs. */
export interface TransformerAnswerInput {
  /** The transformer's rating, in the load's units. */
  readonly rating: number;
  /** The crossing (`TrendForecaster.whenExceeds` or the forecast CLI's `crossing`); null when nothing crosses within the horizon. */
  readonly crossing: CrossingLike | null;
  /** The last forecast time (end of the horizon). */
  readonly horizonEnd: TimeLike;
  /** Backtest error of the forecaster, in the load's units (`mape` a fraction; null when not defined: a held-out value was 0). */
  readonly backtest: { readonly rmse: number; readonly mae: number; readonly mape: number | null };
  /** Unit of the load and rating, e.g. `MW`. @default - numbers without a unit */
  readonly unit?: string;
  /** Width of the prediction interval. @default 0.8 */
  readonly intervalWidth?: number;
  /** Highest recent peak (e.g. of the last 90 days), to measure the headroom against the backtest error. @default - the confidence sentence uses the backtest error alone */
  readonly recentPeak?: number;
}

/** Parses a {@link TimeLike} to epoch ms; NaN when it is not a valid time. */
export function toEpochMs(t: TimeLike): number {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'number') return Number.isFinite(t) ? t : NaN;
  if (typeof t !== 'string') return NaN;
  const s = t.trim();
  // Dates without a zone are UTC, as the data layer reads them.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? `${s.replace(' ', 'T')}Z` : s;
  return Date.parse(iso);
}

/** "August 2020" (UTC, English month names, independent of the machine's locale and zone). */
export function monthYear(t: TimeLike): string {
  const ms = toEpochMs(t);
  if (Number.isNaN(ms)) return 'an unknown date';
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** Formats a load value: up to 3 significant decimals, no trailing zeros, with the unit if any. */
export function formatLoad(v: number, unit?: string): string {
  const abs = Math.abs(v);
  const s = !Number.isFinite(v) ? String(v) : abs >= 100 ? v.toFixed(0) : abs >= 10 ? trim(v.toFixed(1)) : trim(v.toFixed(2));
  return unit ? `${s} ${unit}` : s;
}

function trim(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function percent(fraction: number): string {
  const p = fraction * 100;
  return `${Number.isFinite(p) ? (Math.abs(p) >= 10 ? p.toFixed(0) : trim(p.toFixed(1))) : String(p)}%`;
}

function checkInput(i: TransformerAnswerInput): void {
  const bad = (field: string, value: unknown, want: string): never => {
    throw new TypeError(`transformerAnswer: '${field}' must be ${want}. Got ${JSON.stringify(value)}.`);
  };
  if (typeof i.rating !== 'number' || !Number.isFinite(i.rating)) bad('rating', i.rating, 'a finite number (the rating, in the load units)');
  if (Number.isNaN(toEpochMs(i.horizonEnd))) bad('horizonEnd', i.horizonEnd, 'a time (epoch ms, ISO 8601 text or a Date)');
  for (const k of ['rmse', 'mae', 'mape'] as const) {
    const v = i.backtest?.[k];
    if (k === 'mape' && v === null) continue; // not defined: left out of the sentence
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) bad(`backtest.${k}`, v, k === 'mape' ? 'a number ≥ 0, or null when not defined' : 'a number ≥ 0');
  }
  if (i.crossing) {
    for (const k of ['date', 'lower', 'upper'] as const) {
      const v = i.crossing[k];
      if (v !== null && v !== undefined && Number.isNaN(toEpochMs(v))) bad(`crossing.${k}`, v, 'a time (epoch ms, ISO 8601 text or a Date) or null');
    }
  }
  if (i.intervalWidth !== undefined && !(i.intervalWidth > 0 && i.intervalWidth < 1)) bad('intervalWidth', i.intervalWidth, 'a number in (0, 1), e.g. 0.8');
  if (i.recentPeak !== undefined && !Number.isFinite(i.recentPeak)) bad('recentPeak', i.recentPeak, 'a finite number');
}

/**
 * The answer to "when will peak load first exceed the rating?" in one
 * sentence, followed by one sentence on how confident it is, e.g.
 * "Peak load is forecast to first exceed the 24 MW rating in August 2020
 * (80% interval: May 2019 to after June 2021). Confidence: moderate — …".
 * Throws a TypeError naming the field when the input is malformed.
 */
export function transformerAnswer(input: TransformerAnswerInput): string {
  checkInput(input);
  const { rating, unit, backtest } = input;
  const width = input.intervalWidth ?? 0.8;
  const pct = `${Math.round(width * 100)}%`;
  const ratingText = `the ${formatLoad(rating, unit)} rating`;
  const end = monthYear(input.horizonEnd);
  const c = input.crossing;
  const has = (v: TimeLike | null | undefined): v is TimeLike => v !== null && v !== undefined;

  let sentence: string;
  if (c && has(c.date)) {
    // The upper bound reaches the rating first (earliest plausible date), the lower bound last.
    const from = has(c.upper) ? monthYear(c.upper) : monthYear(c.date);
    const to = has(c.lower) ? monthYear(c.lower) : `after ${end}`;
    sentence = `Peak load is forecast to first exceed ${ratingText} in ${monthYear(c.date)} (${pct} interval: ${from} to ${to}).`;
  } else if (c && has(c.upper)) {
    sentence = `Peak load is not forecast to exceed ${ratingText} by ${end}, the end of the horizon, but the upper bound of the ${pct} interval reaches it in ${monthYear(c.upper)}, so an overload from then on cannot be ruled out.`;
  } else {
    sentence = `Peak load is not forecast to exceed ${ratingText} by ${end}, the end of the horizon, not even at the upper bound of the ${pct} interval.`;
  }
  return `${sentence} ${confidence(input, rating, unit, backtest)}`;
}

/** How far to trust the date: the headroom between recent peaks and the rating, measured in backtest RMSEs. */
function confidence(input: TransformerAnswerInput, rating: number, unit: string | undefined, bt: TransformerAnswerInput['backtest']): string {
  const err = `backtest RMSE ${formatLoad(bt.rmse, unit)}${bt.mape === null ? '' : `, MAPE ${percent(bt.mape)}`}`;
  if (input.recentPeak === undefined) {
    return `Confidence: the forecaster's ${err} on held-out days; a typical day's peak can be off by about that much.`;
  }
  const gap = rating - input.recentPeak;
  const peak = formatLoad(input.recentPeak, unit);
  if (gap <= 0) {
    return `Confidence: low for a single date — the recent peak (${peak}) already reached the rating, so overloads are happening now (${err}).`;
  }
  const ratio = bt.rmse > 0 ? gap / bt.rmse : Infinity;
  const times = Number.isFinite(ratio) ? `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×` : 'many times';
  const headroom = `the headroom between the recent peak (${peak}) and the rating is ${formatLoad(gap, unit)}, ${times} the ${err}`;
  if (ratio >= 3) return `Confidence: good — ${headroom}, so day-to-day error alone will not cause an overload soon; the date itself rests on the growth trend continuing.`;
  if (ratio >= 1) return `Confidence: moderate — ${headroom}; a few unusually high days could reach the rating earlier than the forecast says.`;
  return `Confidence: low — ${headroom}, so any high day could reach the rating; plan for the early end of the interval.`;
}
