/**
 * One catalog of error codes and message factories for the construct library.
 * Errors are data: every problem is `{code, path, message}`; constructs and the
 * config loader collect all problems and throw once.
 */
import { CLOUD_TITLES } from './cloud';

/** A single validation problem. */
export interface ValidationIssue {
  /** Stable error code from {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** Where the problem is: a config path (`naming.company`) or a construct path. */
  readonly path: string;
  /** What is wrong, the value seen, what is accepted and the fix. */
  readonly message: string;
}

/** Stable error codes. */
export const ErrorCode = {
  CONFIG_INVALID: 'MLOPS_CONFIG_INVALID',
  CONFIG_NOT_FOUND: 'MLOPS_CONFIG_NOT_FOUND',
  CONFIG_YAML: 'MLOPS_CONFIG_YAML',
  NAME_INVALID: 'MLOPS_NAME_INVALID',
  NAME_TOO_LONG: 'MLOPS_NAME_TOO_LONG',
  PROP_INVALID: 'MLOPS_PROP_INVALID',
  CLOUD_MISMATCH: 'MLOPS_CLOUD_MISMATCH',
  POLICY_VIOLATION: 'MLOPS_POLICY_VIOLATION',
  MISSING_PEER: 'MLOPS_MISSING_PEER',
} as const;
/** A stable error code. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Thrown with every collected problem at once. */
export class MlopsValidationError extends Error {
  /** Every problem found. */
  public readonly issues: readonly ValidationIssue[];

  constructor(title: string, issues: readonly ValidationIssue[]) {
    super(`${title}\n${issues.map((i) => `  - [${i.code}] ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'MlopsValidationError';
    this.issues = issues;
  }
}

/** The most characters {@link show} prints of a value. */
export const SHOW_MAX_CHARS = 80;

/**
 * Renders a value for a message: JSON-like, strings quoted, non-finite numbers
 * as `Infinity`, `-Infinity` or `NaN` (JSON would print `null`), cycles as
 * `[Circular]`, and cut to {@link SHOW_MAX_CHARS} characters. Bounded: it
 * never renders more than it prints, so a huge string, a wide list or a
 * value with shared or circular parts (a YAML alias bomb) costs no more than
 * a short one.
 */
export function show(value: unknown, max = SHOW_MAX_CHARS): string {
  if (value === undefined) return '(missing)';
  const out = new BoundedText(max);
  let unprintable = false;
  try {
    render(value, out, new Set());
  } catch (err) {
    // A getter or toString that throws: show what was rendered up to it.
    unprintable = err !== BoundedText.FULL;
  }
  const text = unprintable ? `${out.text}[unprintable]` : out.text;
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * A key, name or path segment for a message: as is when it is short printable
 * text, else quoted (line breaks and control characters escaped) and cut.
 */
export function showKey(key: string | number, max = 40): string {
  const text = String(key);
  if (text.length <= max && /^[\x21-\x7e]+$/.test(text)) return text;
  return show(text, max + 2);
}

/** `text` cut to `max` characters, with `...` where it was cut. */
export function cut(text: string, max = SHOW_MAX_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * `word` with its indefinite article, as it is read aloud: "an AWS", "an
 * azurerm", "an S3", "an IAM", "a GCP", "a gcs", "a UUID".
 */
export function withArticle(word: string): string {
  // Read letter by letter: capitals (S3, IAM, GCP) or a lowercase word without a vowel (s3, gcs, gcp).
  const acronym = /^[A-Z][A-Z0-9]+(?![a-z])/.test(word) || /^[b-df-hj-np-tv-z0-9]+$/.test(word);
  const vowelSound = acronym ? /^[aefhilmnorsx]/i.test(word) : /^([aeio]|un)/i.test(word);
  return `${vowelSound ? 'an' : 'a'} ${word}`;
}

/** Text built up to a limit: writing past it throws {@link BoundedText.FULL}. */
class BoundedText {
  static readonly FULL = Symbol('full');
  private readonly parts: string[] = [];
  private length = 0;

  constructor(private readonly max: number) {}

  /** How many more characters fit (one more than the limit tells that the text was cut). */
  get room(): number {
    return this.max + 1 - this.length;
  }

  write(part: string): void {
    this.parts.push(part);
    this.length += part.length;
    if (this.length > this.max) throw BoundedText.FULL;
  }

  get text(): string {
    return this.parts.join('');
  }
}

function render(value: unknown, out: BoundedText, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
      // Only what can be printed is quoted, so a 1 MB string costs as little as a short one.
      out.write(JSON.stringify(value.length > out.room ? value.slice(0, out.room) : value));
      return;
    case 'number':
      // String, not JSON: Infinity and NaN stay themselves (JSON.stringify prints null).
      out.write(String(value));
      return;
    case 'boolean':
      out.write(String(value));
      return;
    case 'bigint':
      out.write(`${value}n`);
      return;
    case 'undefined':
      out.write('null');
      return;
    case 'symbol':
      out.write(String(value));
      return;
    case 'function':
      out.write(`[function ${value.name || 'anonymous'}]`);
      return;
  }
  if (value === null) {
    out.write('null');
    return;
  }
  const obj = value as object;
  if (obj instanceof Date) {
    out.write(Number.isNaN(obj.getTime()) ? 'Invalid Date' : JSON.stringify(obj.toISOString()));
    return;
  }
  if (ancestors.has(obj)) {
    out.write('[Circular]');
    return;
  }
  const proto = Object.getPrototypeOf(obj);
  const plain = proto === null || proto === Object.prototype || Array.isArray(obj);
  // A class instance that says how it reads (a construct prints its path, a token its token string).
  if (!plain && typeof (obj as { toString?: unknown }).toString === 'function' && (obj as { toString: unknown }).toString !== Object.prototype.toString) {
    out.write(String(obj));
    return;
  }
  ancestors.add(obj);
  if (Array.isArray(obj)) {
    out.write('[');
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out.write(',');
      render(obj[i], out, ancestors);
    }
    out.write(']');
  } else {
    out.write('{');
    let first = true;
    // Own enumerable keys, as JSON.stringify takes them; rendering stops at the limit.
    for (const key in obj) {
      if (!Object.hasOwn(obj, key)) continue;
      const v = (obj as Record<string, unknown>)[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      if (!first) out.write(',');
      first = false;
      render(key, out, ancestors);
      out.write(':');
      render(v, out, ancestors);
    }
    out.write('}');
  }
  ancestors.delete(obj);
}
/** How a cloud is called in messages (`aws` → AWS); any other text as is. */
function cloudTitle(cloud: string): string {
  return (CLOUD_TITLES as Record<string, string>)[cloud] ?? cloud;
}

/** Message factories, one per kind of problem. */
export const messages = {
  propInvalid: (construct: string, prop: string, value: unknown, accepted: string): string => `The '${prop}' prop of ${construct} must be ${accepted}. Got ${show(value)}.`,
  cloudMismatch: (operation: string, expected: string, got: string): string =>
    `${operation} needs ${withArticle(cloudTitle(expected))} workload identity, but was given one for ${cloudTitle(got)}. ` +
    `Fix: grant to the identity created by the ${cloudTitle(expected)} platform (platform.identity).`,
};

/** Collects problems and throws them all at once. */
export class IssueCollector {
  private readonly found: ValidationIssue[] = [];

  /** Records one problem. */
  add(code: ErrorCode, path: string, message: string): void {
    this.found.push({ code, path, message });
  }

  /** The problems recorded so far. */
  get issues(): readonly ValidationIssue[] {
    return this.found;
  }

  /** Throws an {@link MlopsValidationError} if any problem was recorded. */
  throwIfAny(title: string): void {
    if (this.found.length > 0) throw new MlopsValidationError(title, this.found);
  }
}
