/**
 * The one validation helper for construct props, the same on every cloud:
 * every check records its problem in an {@link IssueCollector} (the construct
 * throws them all at once with `throwIfAny`), names the construct, the prop,
 * the value and what is accepted, and lets an unresolved token pass (its
 * value is known at apply, where the cloud checks it) unless the check is
 * {@link PropChecks.known}, for values that must be known at synth.
 *
 * @example
 * const issues = new IssueCollector();
 * const check = new PropChecks(issues, 'AwsTrainingCompute', this.node.path);
 * check.int('maxNodes', props.maxNodes, SETTING_RANGES.training.maxNodes);
 * check.region('aws', 'region', props.region);
 * issues.throwIfAny('Invalid AwsTrainingCompute props:');
 */
import { isIP } from 'net';
import { Token } from 'cdktf';
import { Cloud, REGION_FORMATS } from './cloud';
import { ErrorCode, IssueCollector, messages } from './errors';
import { NumberRange, describeRange, inRange } from './settings';

/** True when `value` is an unresolved token (a reference resolved at apply). */
export function isToken(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) && Token.isUnresolved(value);
}

/** True when `value` is an IPv4 or IPv6 CIDR block (`203.0.113.0/24`, `2001:db8::/32`); no leading zeros in IPv4 octets. */
export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const version = isIP(match[1]!);
  const bits = Number(match[2]);
  if (version === 4) return bits <= 32 && !/(^|\.)0\d/.test(match[1]!);
  if (version === 6) return bits <= 128;
  return false;
}

/** The checks of one construct's props: construct name and path fixed, every problem recorded in `issues`. */
export class PropChecks {
  constructor(
    /** Where the problems are recorded. */
    public readonly issues: IssueCollector,
    /** The construct's class name, for messages. */
    public readonly construct: string,
    /** The construct's path. */
    public readonly path: string,
  ) {}

  /** Records that `prop` is `value`, which is not what is `accepted`. */
  invalid(prop: string, value: unknown, accepted: string, code: ErrorCode = ErrorCode.PROP_INVALID): void {
    this.issues.add(code, this.path, messages.propInvalid(this.construct, prop, value, accepted));
  }

  /** A number within `range` (undefined passes: the default applies); `note` is appended to what is accepted. Returns false on a problem. */
  number(prop: string, value: unknown, range: NumberRange, note = ''): boolean {
    if (value === undefined || isToken(value)) return true;
    if (inRange(value, range)) return true;
    this.invalid(prop, value, `${describeRange(range)}${note}`);
    return false;
  }

  /**
   * An integer from `min` to `max` (or at least `min`; undefined passes).
   * `text.note` is appended to what is accepted, `text.accepted` replaces it.
   */
  int(prop: string, value: unknown, min: number, max?: number, text: { readonly note?: string; readonly accepted?: string } = {}): boolean {
    if (value === undefined || isToken(value)) return true;
    const range: NumberRange = { min, max: max ?? Number.MAX_SAFE_INTEGER, integer: true };
    if (inRange(value, range)) return true;
    this.invalid(prop, value, text.accepted ?? `${max === undefined ? `an integer >= ${min}` : describeRange(range)}${text.note ?? ''}`);
    return false;
  }

  /** One of `allowed` (undefined passes). */
  oneOf<T extends string | number>(prop: string, value: unknown, allowed: readonly T[]): value is T | undefined {
    if (value === undefined || isToken(value)) return true;
    if (allowed.includes(value as T)) return true;
    this.invalid(prop, value, `one of ${allowed.join(', ')}`);
    return false;
  }

  /** A string matching `pattern` (undefined is a problem unless `optional`). */
  matches(prop: string, value: unknown, pattern: RegExp, accepted: string, optional = false): boolean {
    if ((optional && value === undefined) || isToken(value)) return true;
    if (typeof value === 'string' && pattern.test(value)) return true;
    this.invalid(prop, value, accepted);
    return false;
  }

  /**
   * A plain string known at synth (not a token), matching `pattern` when
   * given: names, paths and settings that go into a release revision or a
   * name must be known before deploy.
   */
  known(prop: string, value: unknown, accepted: string, pattern?: RegExp): value is string {
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      this.invalid(prop, '(a token)', `a value known at synth: ${accepted}`);
      return false;
    }
    if (typeof value !== 'string' || (pattern && !pattern.test(value))) {
      this.invalid(prop, value, accepted);
      return false;
    }
    return true;
  }

  /**
   * Refuses a token where a string must be known at synth (`why` says what
   * needs it); true for a plain string, false (without a problem) for any
   * other value, which the caller checks.
   */
  notToken(prop: string, value: unknown, why: string): value is string {
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      this.invalid(prop, value, `a plain string known at synth (not a token): ${why}`);
      return false;
    }
    return typeof value === 'string';
  }

  /** A list of IPv4 or IPv6 CIDR blocks (undefined passes); one problem per bad entry, named `prop[i]`. */
  cidrs(prop: string, ranges: unknown): void {
    if (ranges === undefined || isToken(ranges)) return;
    if (!Array.isArray(ranges)) {
      this.invalid(prop, ranges, 'a list of CIDR blocks');
      return;
    }
    ranges.forEach((range, i) => {
      if (isToken(range)) return;
      if (typeof range !== 'string' || !isCidr(range)) {
        this.invalid(`${prop}[${i}]`, range, 'an IPv4 or IPv6 CIDR block such as "203.0.113.0/24" or "2001:db8::/32"');
      }
    });
  }

  /** A region of `cloud`, as the cloud spells it ({@link REGION_FORMATS}). */
  region(cloud: Cloud, prop: string, value: unknown): boolean {
    const format = REGION_FORMATS[cloud];
    return this.matches(prop, value, format.pattern, format.accepted);
  }
}
