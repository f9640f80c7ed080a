import { show } from '../core/text';

/** Cell texts read as missing (after trimming whitespace). */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None']);

/** True when the raw cell text means "missing". */
export function isMissing(raw: string): boolean {
  return MISSING_TOKENS.has(raw.trim());
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a number cell; NaN when it is not a finite number (check
 * {@link isMissing} first). Text written as a number but beyond the range of a
 * 64-bit float (`1e400`) is NaN too: it would otherwise become Infinity and
 * reach the models. The one rule for numbers: `validate` (the data contract),
 * reading a frame for `train`/`predict`, and the forecaster all use it, and
 * {@link notANumber} says why a cell fails it.
 */
export function parseNumber(raw: string): number {
  const s = raw.trim();
  if (!NUMBER_RE.test(s)) return NaN;
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
}

/** True when the cell is written as a number, finite or not (`1e400` is): how a column's type is inferred, so that an overflowing cell is reported rather than turning the column into text. */
export function isNumberText(raw: string): boolean {
  return NUMBER_RE.test(raw.trim());
}

/** Why a cell that {@link parseNumber} refuses is not a number, for messages: the value (cut) and what is accepted. */
export function notANumber(raw: string, what: 'a number' | 'an integer' = 'a number'): string {
  const n = isNumberText(raw) ? Number(raw.trim()) : NaN;
  if (n === Infinity || n === -Infinity) {
    return `${show(raw.trim())} is not ${what}: it is beyond ±1.8e308, the largest 64-bit float (it would be read as ${n > 0 ? '' : '-'}Infinity); fix the value, or leave the cell empty for a missing value`;
  }
  return `${show(raw)} is not ${what}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an ISO 8601 date or date-time (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fff]]`,
 * optional `Z`/`±HH:MM`) to epoch milliseconds; times without a zone are UTC.
 * NaN when the text is not such a date or names an impossible date.
 */
export function parseDatetime(raw: string): number {
  const m = DATE_RE.exec(raw.trim());
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y),
    month = Number(mo),
    day = Number(d);
  const hour = h ? Number(h) : 0,
    minute = mi ? Number(mi) : 0,
    second = s ? Number(s) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return NaN;
  let t = Date.UTC(year, month - 1, day, hour, minute, second, frac ? Math.round(Number(frac) * 1000) : 0);
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return NaN;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60000;
  }
  return t;
}

const TRUE_TOKENS = new Set(['true', 'yes', 'y', '1', 't']);
const FALSE_TOKENS = new Set(['false', 'no', 'n', '0', 'f']);

/** Parses a boolean cell (true/false, yes/no, y/n, 1/0, t/f; any case) to 1/0; NaN otherwise. */
export function parseBoolean(raw: string): number {
  const s = raw.trim().toLowerCase();
  if (TRUE_TOKENS.has(s)) return 1;
  if (FALSE_TOKENS.has(s)) return 0;
  return NaN;
}

/** Formats epoch ms as ISO 8601 UTC (`YYYY-MM-DDTHH:MM:SS.sssZ`); empty for NaN. */
export function formatDatetime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}
