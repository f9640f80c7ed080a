import { show } from '../core/errors';
import { PolicyElement, PolicyFinding } from './types';

/**
 * Reading synthesized attribute values. After resolution every cdktf token is
 * a Terraform expression string (`${aws_kms_key.k.arn}`): such a value is not
 * a literal — the pack cannot know what it evaluates to at apply time.
 */

/** A string holding a Terraform expression (`${…}`): its value is only known at apply time. */
export function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

export { isLiteralString } from '../core/physical-names';

/** A plain object (not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The blocks of a nested-block attribute, whether synthesized as a list or as one object. */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter(isRecord);
  return isRecord(value) ? [value] : [];
}

/**
 * The value at a dotted path (`image_scanning_configuration.scan_on_push`),
 * stepping into the first block of list-shaped nested blocks.
 */
export function attr(attrs: unknown, path: string): unknown {
  let current: unknown = attrs;
  for (const key of path.split('.')) {
    if (Array.isArray(current)) current = current.find(isRecord);
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Strings of a list attribute (a single string counts as a list of one). */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** A boolean from a literal `true`/`false` (or their strings); `undefined` otherwise. */
export function literalBool(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** Describes a value for a finding: `is false`, `is not set`, `is the expression "…" (known only at apply)`. */
export function describe(path: string, value: unknown): string {
  if (value === undefined || value === null) return `${path} is not set`;
  if (isExpression(value)) return `${path} is the expression ${show(value)}, which is known only at apply time`;
  return `${path} is ${show(value)}`;
}

/** Options of {@link expectAttr}. */
export interface ExpectOptions {
  /** Whether a missing attribute passes (the provider default is compliant). */
  readonly absent: 'pass' | 'fail';
  /** Said after "is not set" when absent fails, e.g. `(the provider default is true)`. */
  readonly absentNote?: string;
  /** Whether an expression passes (for attributes that must merely be set, such as a key id). */
  readonly expression?: 'pass' | 'fail';
}

/**
 * Checks one attribute of an element: returns a finding when the value at
 * `path` is missing (and `absent` is `fail`), an expression (unless allowed)
 * or a literal that `ok` refuses.
 */
export function expectAttr(element: PolicyElement, path: string, ok: (value: unknown) => boolean, options: ExpectOptions): PolicyFinding[] {
  const value = attr(element.attrs, path);
  if (value === undefined || value === null) {
    if (options.absent === 'pass') return [];
    return [{ found: `${path} is not set${options.absentNote ? ` ${options.absentNote}` : ''}` }];
  }
  if (isExpression(value)) return options.expression === 'pass' ? [] : [{ found: describe(path, value) }];
  return ok(value) ? [] : [{ found: describe(path, value) }];
}

/** Checks that an attribute is set to a non-empty value (a literal or a reference). */
export function expectSet(element: PolicyElement, path: string): PolicyFinding[] {
  return expectAttr(element, path, (v) => v !== '' && !(Array.isArray(v) && v.length === 0), { absent: 'fail', expression: 'pass' });
}

/** The `${…}` expressions inside a string, outermost only, with nested braces kept whole. */
export function expressionsIn(value: string): string[] {
  return expressionSpans(value).map((s) => value.slice(s.start + 2, s.closed ? s.end - 1 : s.end));
}

/**
 * Where the `${…}` expressions of a string are, outermost only, in order:
 * from `start` (the `$`) to `end` (after the closing `}`, or the end of the
 * string when `closed` is false). One scan of the string.
 */
export function expressionSpans(value: string): { readonly start: number; readonly end: number; readonly closed: boolean }[] {
  const found: { start: number; end: number; closed: boolean }[] = [];
  let i = value.indexOf('${');
  while (i >= 0) {
    let depth = 0;
    let j = i + 1;
    let inString = false;
    for (; j < value.length; j++) {
      const c = value[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) break;
      }
    }
    const closed = j < value.length;
    found.push({ start: i, end: closed ? j + 1 : value.length, closed });
    i = value.indexOf('${', j + 1);
  }
  return found;
}

/**
 * Terraform addresses a value refers to (`aws_s3_bucket.b`, `data.aws_iam_policy_document.d`):
 * every traversal of the form `[data.]<type>.<name>` inside its `${…}` expressions.
 */
export function referencedAddresses(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (!value.includes('${')) return into;
    for (const expr of expressionsIn(value)) {
      const re = /(?<![A-Za-z0-9_."-])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)/g;
      for (let m = re.exec(expr); m; m = re.exec(expr)) into.add(`${m[1] ?? ''}${m[2]}.${m[3]}`);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) referencedAddresses(v, into);
  } else if (isRecord(value)) {
    for (const v of Object.values(value)) referencedAddresses(v, into);
  }
  return into;
}

/**
 * Parses a JSON document that may also be a `${jsonencode(…)}` expression, as
 * cdktf writes `Fn.jsonencode({...})`. Inside the HCL object syntax, values
 * that are expressions (`aws_iam_role.r.arn`) come back as `${…}` strings, so
 * they stay non-literal. Returns `undefined` when the text is neither.
 */
export function parseJsonDocument(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return undefined;
    }
  }
  const m = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(trimmed);
  if (!m) return undefined;
  try {
    return new HclValueParser(m[1]!).parseWhole();
  } catch {
    return undefined;
  }
}

/** A small parser for the HCL value syntax cdktf's `Fn.jsonencode` writes: objects, tuples, strings, numbers, bools, null and opaque expressions. */
class HclValueParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseWhole(): unknown {
    const value = this.value();
    this.skip();
    if (this.pos !== this.text.length) throw new Error('trailing text');
    return value;
  }

  private skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private value(): unknown {
    this.skip();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.tuple();
    if (c === '"') return this.string();
    return this.bare();
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    for (;;) {
      this.skip();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.text[this.pos] === '"' ? this.string() : this.identifier();
      this.skip();
      const sep = this.text[this.pos];
      if (sep !== '=' && sep !== ':') throw new Error('expected = in object');
      this.pos++;
      out[key] = this.value();
      this.skip();
      if (this.text[this.pos] === ',') this.pos++;
    }
  }

  private tuple(): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    for (;;) {
      this.skip();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return out;
      }
      out.push(this.value());
      this.skip();
      if (this.text[this.pos] === ',') this.pos++;
    }
  }

  private string(): string {
    let end = this.pos + 1;
    while (end < this.text.length && this.text[end] !== '"') end += this.text[end] === '\\' ? 2 : 1;
    if (end >= this.text.length) throw new Error('unterminated string');
    const raw = this.text.slice(this.pos, end + 1);
    this.pos = end + 1;
    return JSON.parse(raw) as string;
  }

  private identifier(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.pos));
    if (!m) throw new Error('expected a key');
    this.pos += m[0].length;
    return m[0];
  }

  /** A number, bool, null, or an expression kept as `${…}` (up to the next `,` `}` `]` at depth 0). */
  private bare(): unknown {
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '"') {
        this.string();
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
      this.pos++;
    }
    const token = this.text.slice(start, this.pos).trim();
    if (token === '') throw new Error('expected a value');
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return null;
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(token)) return Number(token);
    return `\${${token}}`;
  }
}
