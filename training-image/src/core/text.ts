/**
 * Cutting what messages echo back. A value, key or path read from the user's
 * data or command line can be a megabyte long (one CSV field, a header, a
 * category); every message, log line and report shows it through these
 * helpers, so it is cut to a readable length and says how long it was.
 */

/** Longest value (a cell, a category) shown in a message, in characters. */
export const VALUE_MAX = 80;
/** Longest key (a column, a feature or parameter name) shown in a message. */
export const KEY_MAX = 60;
/** Longest path (a file or folder) shown in a message. */
export const PATH_MAX = 300;
/** Longest raw value kept in a report (an issue's `value` field, e.g. in `validate --json`). */
export const KEPT_VALUE_MAX = 200;
/** Longest whole message line kept (a last safety net). */
export const MESSAGE_MAX = 2000;

/** `text` cut to at most `max` characters (never inside a surrogate pair), with `… (N characters)` where it was cut. */
export function cut(text: string, max: number = MESSAGE_MAX): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  // Do not split a UTF-16 surrogate pair.
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/**
 * A value for a message: a string JSON-quoted (line breaks and control
 * characters escaped) and cut to `max` characters; a number as itself
 * (`NaN`, `Infinity` included); anything else as cut JSON.
 */
export function show(v: unknown, max: number = VALUE_MAX): string {
  if (typeof v === 'string') {
    if (v.length <= max) return JSON.stringify(v);
    const c = v.charCodeAt(max - 1);
    const end = c >= 0xd800 && c <= 0xdbff ? max - 1 : max;
    return `${JSON.stringify(`${v.slice(0, end)}…`)} (${v.length} characters)`;
  }
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Object.prototype.toString.call(v);
  }
  return cut(text, max);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are escaped for the message, so the pattern names them.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

/** A column, feature or parameter name for a message: quoted with `'…'` and cut to `max` characters. */
export function showKey(key: string, max: number = KEY_MAX): string {
  return `'${cut(
    String(key).replace(CONTROL_CHARS, (ch) => JSON.stringify(ch).slice(1, -1)),
    max,
  )}'`;
}

/** A file or folder path for a message, cut to `max` characters (not quoted). */
export function showPath(p: string, max: number = PATH_MAX): string {
  return cut(String(p), max);
}

/** A list of names for a message: each cut to `keyMax`, at most `n` of them, then `… (N in all)`. */
export function showList(items: Iterable<string>, n = 20, keyMax: number = KEY_MAX): string {
  const all = [...items];
  const shown = all.slice(0, n).map((s) => cut(String(s), keyMax));
  return all.length > n ? `${shown.join(', ')}, … (${all.length} in all)` : shown.join(', ');
}

/** A raw value as a report keeps it (an issue's `value`): as is, or cut to {@link KEPT_VALUE_MAX} characters. */
export function keepValue(raw: string): string {
  return cut(raw, KEPT_VALUE_MAX);
}

/** A number for people (progress lines, summaries, tables): integers as they are, else 4 significant digits, or 2 decimals from 100 up; anything else as String(v). */
export function fmt(v: unknown): string {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(2) : v.toPrecision(4);
}
