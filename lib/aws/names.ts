import { Token } from 'cdktf';
import { ErrorCode, show, withArticle } from '../core/errors';
import { NAME_RULES, NameKind, NameRule, Naming, NamingParts, PLATFORM_NAMES } from '../core/naming';
import { toNaming } from '../core/platform-props';
import { platformTags, tagsFor } from '../core/tags';
import { PropChecks } from '../core/validate';

/** The physical name of an AWS platform resource, using the PLATFORM_NAMES suffix of its kind. */
export function awsName(naming: Naming | NamingParts, kind: NameKind): string {
  const entry = PLATFORM_NAMES.aws.find(([k]) => k === kind);
  if (!entry) throw new Error(`No AWS platform name is registered for kind '${kind}' in PLATFORM_NAMES.`);
  return toNaming(naming).name(kind, entry[1]);
}

/** The tags an AWS resource carries: the platform's own plus `extra`. */
export function awsTags(naming: Naming | NamingParts, extra?: Readonly<Record<string, string>>): Record<string, string> {
  return tagsFor('aws', platformTags(toNaming(naming).parts, extra ?? {}));
}

/** The `lifecycle` block of a stateful resource: prevent destroy while data is retained. */
export function retainLifecycle(retainData: boolean): { preventDestroy: boolean } | undefined {
  return retainData ? { preventDestroy: true } : undefined;
}

/**
 * The characters AWS accepts in an explicit name of each kind (the lengths
 * come from NAME_RULES). They are AWS's own rules, wider than the
 * lowercase-and-hyphens names the naming helper builds.
 */
const AWS_NAME_PATTERNS: Partial<Record<NameKind, { pattern: RegExp; accepted: string }>> = {
  s3Bucket: {
    pattern: /^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(-s3alias|--ol-s3|--x-s3|--table-s3)$)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9](?:[a-z0-9-]|\.(?!\.))*[a-z0-9]$/,
    accepted:
      'lowercase letters, digits, hyphens and single dots, starting and ending with a letter or digit, not an IP address, no reserved prefix (xn--, sthree-) or suffix (-s3alias, --ol-s3)',
  },
  ecrRepository: {
    pattern: /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    accepted: 'lowercase letters and digits in parts separated by ".", "_" or "-", optionally namespaced with "/"',
  },
  iamRole: { pattern: /^[\w+=,.@-]+$/, accepted: 'letters, digits and + = , . @ _ -' },
  iamPolicy: { pattern: /^[\w+=,.@-]+$/, accepted: 'letters, digits and + = , . @ _ -' },
  kmsAlias: { pattern: /^(?!aws\/)[A-Za-z0-9/_-]+$/, accepted: 'letters, digits and / _ - (without the "alias/" prefix; "aws/" is reserved for AWS managed keys)' },
  modelPackageGroup: { pattern: /^[A-Za-z0-9](-*[A-Za-z0-9])*$/, accepted: 'letters, digits and hyphens, starting and ending with a letter or digit' },
  mlflowTrackingServer: { pattern: /^[A-Za-z0-9](-*[A-Za-z0-9])*$/, accepted: 'letters, digits and hyphens, starting and ending with a letter or digit' },
  logGroup: { pattern: /^[A-Za-z0-9._\-/#]+$/, accepted: 'letters, digits and . _ - / #' },
  secret: { pattern: /^[A-Za-z0-9/_+=.@-]+$/, accepted: 'letters, digits and / _ + = . @ -' },
};

/**
 * Records a problem unless `value` (an explicit `physicalName`-style prop) is
 * a valid AWS name of `kind`: the length limits of NAME_RULES (the naming
 * helper's table) and the characters AWS accepts. Tokens pass; `undefined`
 * passes (the prop is optional).
 */
export function checkPhysicalName(check: PropChecks, prop: string, value: unknown, kind: NameKind): void {
  const { issues, construct, path } = check;
  if (value === undefined) return;
  if (typeof value === 'string' && Token.isUnresolved(value)) return;
  const rule: NameRule = NAME_RULES[kind];
  const chars = AWS_NAME_PATTERNS[kind];
  const limit = `${rule.min}-${rule.max} characters${chars ? ` of ${chars.accepted}` : ''}`;
  const fail = (why: string): void =>
    issues.add(
      ErrorCode.NAME_INVALID,
      path,
      `The '${prop}' prop of ${construct} must be ${withArticle(rule.label)} name of ${limit}. Got ${show(value)}${why ? ` (${why})` : ''}. ` +
        `Fix: pass a valid name, or leave '${prop}' unset to get <company>-<project>-<env>-<resource> from the naming helper.`,
    );
  if (typeof value !== 'string') return fail('not a string');
  if (value.length < rule.min || value.length > rule.max) return fail(`${value.length} characters`);
  if (chars && !chars.pattern.test(value)) return fail('');
}

/** The alias name of a KMS key (`alias/<name>`), from a physical name given with or without the prefix. */
export function kmsAliasName(physicalName: string): string {
  return physicalName.startsWith('alias/') ? physicalName : `alias/${physicalName}`;
}

/** `physicalName` without a leading `alias/` (what {@link checkPhysicalName} checks for a KMS alias). */
export function stripAliasPrefix(physicalName: string | undefined): string | undefined {
  return physicalName !== undefined && !Token.isUnresolved(physicalName) && physicalName.startsWith('alias/') ? physicalName.slice('alias/'.length) : physicalName;
}
