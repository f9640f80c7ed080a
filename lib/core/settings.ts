/**
 * The cloud-neutral settings of training compute, training jobs, scoring
 * endpoints, rollouts, alarms and alerts: each default and each accepted range
 * has its one home here. The stack config schema (lib/config/schema.ts) is
 * built from them, so its defaults, limits, error messages and the README's
 * config table say the same; the constructs of every cloud default and
 * validate their props with them.
 */
import { SizeName } from './sizes';

/** An accepted range of a number: `min`/`max` inclusive, `above` exclusive. */
export interface NumberRange {
  /** The smallest value accepted. */
  readonly min?: number;
  /** Values must be greater than this. */
  readonly above?: number;
  /** The largest value accepted. */
  readonly max: number;
  /** Whole numbers only. */
  readonly integer: boolean;
}

const int = (min: number, max: number): NumberRange => ({ min, max, integer: true });

/** How a new model version takes traffic (blue/green): the strategies every cloud implements. */
export const ROLLOUT_STRATEGIES = ['canary', 'linear', 'all-at-once'] as const;
/** A rollout strategy. */
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];

/** Defaults of the settings the config and the constructs share. */
export const SETTING_DEFAULTS = {
  training: { size: 'small' as SizeName, maxNodes: 4, lowPriority: false },
  job: { instanceCount: 1, maxRuntimeMinutes: 120 },
  endpoint: { size: 'small' as SizeName, minInstances: 1, maxInstances: 2 },
  rollout: { strategy: 'canary' as RolloutStrategy, canaryPercent: 10, stepPercent: 25, bakeMinutes: 10 },
  alarms: { errorRatePercent: 5, latencyP95Ms: 1000 },
  alerts: { noTrafficMinutes: 60 },
} as const;

/** Accepted ranges of the numeric settings (the same on every cloud; a cloud's own tighter limit is checked where it applies). */
export const SETTING_RANGES = {
  training: { maxNodes: int(1, 100) },
  job: { instanceCount: int(1, 100), maxRuntimeMinutes: int(5, 7 * 24 * 60) },
  endpoint: { minInstances: int(1, 20), maxInstances: int(1, 100) },
  rollout: { canaryPercent: int(1, 50), stepPercent: int(5, 50), bakeMinutes: int(0, 120) },
  alarms: { errorRatePercent: { above: 0, max: 100, integer: false } as NumberRange, latencyP95Ms: int(1, 600_000) },
  alerts: { noTrafficMinutes: int(5, 1440) },
} as const;

/** True when `value` is a number within `range`. */
export function inRange(value: unknown, range: NumberRange): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (range.integer && !Number.isInteger(value)) return false;
  if (range.min !== undefined && value < range.min) return false;
  if (range.above !== undefined && value <= range.above) return false;
  return value <= range.max;
}

/** What `range` accepts, for messages and docs: "an integer from 1 to 100", "a number above 0, at most 100". */
export function describeRange(range: NumberRange): string {
  if (range.integer && range.min !== undefined) return `an integer from ${range.min} to ${range.max}`;
  const low = range.min !== undefined ? `at least ${range.min}` : range.above !== undefined ? `above ${range.above}` : '';
  return `${range.integer ? 'an integer' : 'a number'}${low ? ` ${low},` : ''} at most ${range.max}`;
}
