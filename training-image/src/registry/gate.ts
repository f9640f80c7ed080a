import { GREATER_IS_BETTER, MetricName, notDefinedText } from '../eval/metrics';
import type { NotDefined } from './registry';

/** Optimisation direction of a metric. */
export type Direction = 'minimize' | 'maximize';

/** Directions of the metrics this runtime reports (others need an explicit direction). */
export const METRIC_DIRECTIONS: Readonly<Record<string, Direction>> = {
  ...Object.fromEntries(Object.entries(GREATER_IS_BETTER).map(([k, v]) => [k, v ? 'maximize' : 'minimize'])),
  coverage: 'maximize',
} as Record<MetricName | 'coverage', Direction>;

/** Quality-gate settings. */
export interface GateConfig {
  /** Metric compared with the champion. */
  readonly metric: string;
  /** @default from {@link METRIC_DIRECTIONS} */
  readonly direction?: Direction;
  /** Absolute improvement over the champion required (metric units). @default 0 */
  readonly margin?: number;
  /** Relative improvement required, as a fraction of |champion|. @default 0 */
  readonly relativeMargin?: number;
  /** Absolute thresholds every challenger must meet. */
  readonly thresholds?: Readonly<Record<string, { readonly min?: number; readonly max?: number }>>;
}

/** The gate's decision. */
export interface GateDecision {
  /** Whether the challenger may become champion. */
  readonly passed: boolean;
  /** One line per check, failed ones first. */
  readonly reasons: readonly string[];
  readonly metric: string;
  readonly direction: Direction;
  readonly challenger: { readonly value: number | null; readonly version?: number | null };
  readonly champion: { readonly value: number | null; readonly version: number | null } | null;
  /** Required value to beat the champion, when there is one. */
  readonly required: number | null;
}

/** A problem with a gate configuration: `{code, path, message}`. */
export class GateConfigError extends Error {
  /** Stable code. */
  readonly code = 'BAD_GATE';
  constructor(
    /** Where, e.g. `params.direction`. */
    public readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'GateConfigError';
  }
}

/** Checks a gate configuration; throws {@link GateConfigError} naming the field, the value and the fix. */
export function checkGateConfig(c: Record<string, unknown>): GateConfig {
  if (typeof c.metric !== 'string' || !c.metric)
    throw new GateConfigError('params.metric', `the gate needs the metric to compare, e.g. metric: rmse. Got ${JSON.stringify(c.metric)}.`);
  if (c.direction !== undefined && c.direction !== 'minimize' && c.direction !== 'maximize')
    throw new GateConfigError('params.direction', `must be minimize or maximize. Got ${JSON.stringify(c.direction)}.`);
  if (c.direction === undefined && !METRIC_DIRECTIONS[c.metric])
    throw new GateConfigError(
      'params.direction',
      `metric '${c.metric}' has no known direction; add direction: minimize or maximize (known metrics: ${Object.keys(METRIC_DIRECTIONS).join(', ')}).`,
    );
  for (const k of ['margin', 'relativeMargin'] as const) {
    if (c[k] !== undefined && (typeof c[k] !== 'number' || !Number.isFinite(c[k] as number) || (c[k] as number) < 0))
      throw new GateConfigError(`params.${k}`, `must be a number ≥ 0. Got ${JSON.stringify(c[k])}.`);
  }
  const th = c.thresholds;
  if (th !== undefined) {
    if (th === null || typeof th !== 'object' || Array.isArray(th))
      throw new GateConfigError('params.thresholds', `must be a map metric → {min, max}, e.g. {r2: {min: 0.5}}. Got ${JSON.stringify(th)}.`);
    for (const [m, b] of Object.entries(th as Record<string, unknown>)) {
      if (b === null || typeof b !== 'object' || Array.isArray(b))
        throw new GateConfigError(`params.thresholds.${m}`, `must be {min?: number, max?: number}. Got ${JSON.stringify(b)}.`);
      for (const [bk, bv] of Object.entries(b as Record<string, unknown>)) {
        if (bk !== 'min' && bk !== 'max') throw new GateConfigError(`params.thresholds.${m}.${bk}`, `unknown bound; use min or max.`);
        if (typeof bv !== 'number' || !Number.isFinite(bv)) throw new GateConfigError(`params.thresholds.${m}.${bk}`, `must be a finite number. Got ${JSON.stringify(bv)}.`);
      }
    }
  }
  return c as unknown as GateConfig;
}

/**
 * Decides whether a challenger may replace the champion: it must meet every
 * absolute threshold and, when a champion exists, beat the champion's
 * `metric` by `margin` (and `relativeMargin` × |champion|) in the metric's direction.
 * `alreadyChampion`: the challenger is the registry's champion
 * `challengerVersion` (a re-run of the model that was promoted); `champion`
 * is then the one it replaced, and the reasons say so. `notDefined`: the
 * challenger's metrics that are not defined on its data (MAPE on a target
 * with zeros, see registry `notDefinedMetrics`); a check on one of them fails
 * with that reason and its fix, in the words of the local gate.
 */
export function gateDecision(
  config: GateConfig,
  challenger: Readonly<Record<string, number>>,
  champion: { metrics: Readonly<Record<string, number>>; version: number } | null,
  challengerVersion: number | null = null,
  alreadyChampion = false,
  notDefined: Readonly<Record<string, NotDefined>> = {},
): GateDecision {
  const missing = (m: string): string => {
    const nd = Object.hasOwn(notDefined, m) ? notDefined[m] : undefined;
    return nd ? notDefinedText(m, nd.why, nd.on) : `the challenger has no '${m}' metric (it has ${Object.keys(challenger).join(', ') || 'none'})`;
  };
  const direction = config.direction ?? METRIC_DIRECTIONS[config.metric] ?? 'minimize';
  const fails: string[] = [],
    oks: string[] = [];
  const value = num(challenger[config.metric]);
  if (value === null) fails.push(missing(config.metric));
  for (const [m, b] of Object.entries(config.thresholds ?? {})) {
    const v = num(challenger[m]);
    if (v === null) {
      fails.push(`threshold on '${m}': ${missing(m)}`);
      continue;
    }
    if (b.min !== undefined) (v >= b.min ? oks : fails).push(`${m} ${fmt(v)} ${v >= b.min ? '≥' : '<'} minimum ${fmt(b.min)}`);
    if (b.max !== undefined) (v <= b.max ? oks : fails).push(`${m} ${fmt(v)} ${v <= b.max ? '≤' : '>'} maximum ${fmt(b.max)}`);
  }
  let required: number | null = null;
  let champ: GateDecision['champion'] = null;
  if (champion) {
    const cv = num(champion.metrics[config.metric]);
    champ = { value: cv, version: champion.version };
    if (cv === null) oks.push(`champion v${champion.version} has no '${config.metric}' metric; compared on thresholds only`);
    else if (value !== null) {
      const need = Math.max(config.margin ?? 0, (config.relativeMargin ?? 0) * Math.abs(cv));
      required = direction === 'minimize' ? cv - need : cv + need;
      const better = direction === 'minimize' ? (need > 0 ? value <= required : value < cv) : need > 0 ? value >= required : value > cv;
      (better ? oks : fails).push(
        `${config.metric} ${fmt(value)} ${better ? 'beats' : 'does not beat'} champion v${champion.version} ${fmt(cv)}${need > 0 ? ` by the required margin ${fmt(need)} (needs ${direction === 'minimize' ? '≤' : '≥'} ${fmt(required)})` : ` (${direction === 'minimize' ? 'lower' : 'higher'} is better)`}`,
      );
    }
  } else
    oks.push(
      alreadyChampion
        ? `this model is already champion${challengerVersion !== null ? ` v${challengerVersion}` : ''} and replaced none: thresholds only`
        : 'no champion yet: thresholds only',
    );
  if (alreadyChampion && champion)
    oks.push(`this model is already champion${challengerVersion !== null ? ` v${challengerVersion}` : ''}; compared with v${champion.version}, the champion it replaced`);
  return {
    passed: fails.length === 0,
    reasons: [...fails, ...oks],
    metric: config.metric,
    direction,
    challenger: { value, version: challengerVersion },
    champion: champ,
    required,
  };
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(2) : v.toPrecision(4);
}
