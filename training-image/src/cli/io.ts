import { parseArgs, ParseArgsConfig } from 'util';
import { cut, show } from '../core/text';

/** A command-line mistake: exit code 2, with the usage shown. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv with util.parseArgs (strict: unknown options are a UsageError naming them). */
export function parse<O extends Options>(argv: string[], options: O): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    // util.parseArgs quotes the option as given, which can be any length.
    throw new UsageError(cut((e as Error).message, 500));
  }
}

/** A required string option; UsageError naming it when absent. */
export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing required option --${name}`);
  return v;
}

/** An optional string option. */
export function optional(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** An optional number option; UsageError naming it and the value when not a number (or not an integer when `integer`). */
export function numberOpt(values: Record<string, unknown>, name: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = optional(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    const what = `${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}`;
    throw new UsageError(`--${name} must be ${what}; got ${show(v)}`);
  }
  return n;
}

/** One of a fixed set of values. */
export function choiceOpt<T extends string>(values: Record<string, unknown>, name: string, choices: readonly T[]): T | undefined {
  const v = optional(values, name);
  if (v === undefined) return undefined;
  if (!choices.includes(v as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got ${show(v)}`);
  return v as T;
}

/** A comma-separated list option (repeatable). */
export function listOpt(values: Record<string, unknown>, name: string): string[] {
  const v = values[name];
  const parts = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return parts
    .flatMap((p) => String(p).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Parses `key=value` pairs: numbers, true/false, null, else strings. The
 * result has no prototype, so every key is an own key — `__proto__` or
 * `constructor` included — and reaches the estimator's check of unknown names.
 * A key given twice keeps the last value (the command line after MLOPS_PARAMS).
 */
export function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--params expects key=value pairs (e.g. alpha=0.5); got ${show(p)}`);
    const k = p.slice(0, eq).trim(),
      raw = p.slice(eq + 1).trim();
    let v: unknown = raw;
    if (raw === 'true') v = true;
    else if (raw === 'false') v = false;
    else if (raw === 'null') v = null;
    else if (raw !== '' && Number.isFinite(Number(raw))) v = Number(raw);
    out[k] = v;
  }
  return out;
}
