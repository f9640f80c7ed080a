import { Token } from 'cdktf';
import { ErrorCode, messages, withArticle } from '../core/errors';
import { NAME_RULES, NameKind, NameRule } from '../core/naming';
import { PropChecks } from '../core/validate';

/** Compute Engine names (VPC network, subnetwork, network attachment, address, forwarding rule): RFC 1035, 1-63. */
export const GCP_COMPUTE_NAME: NameRule = { cloud: 'gcp', label: 'Compute Engine resource name', min: 1, max: 63, separator: '-', startsWithLetter: true };

/** The GCP name kinds a construct can override, with the exact characters GCP accepts (the naming helper's table gives the label and length). */
export type GcpPhysicalNameKind = Extract<NameKind, 'gcsBucket' | 'artifactRepository' | 'serviceAccount' | 'kmsKeyRing' | 'kmsCryptoKey' | 'vertexDisplayName'> | 'computeName';

interface Charset {
  readonly pattern: RegExp;
  readonly accepted: string;
  readonly extra?: (name: string) => string | undefined;
}

/**
 * What each GCP name may contain, beyond its length:
 * - buckets: cloud.google.com/storage/docs/naming-buckets (lowercase letters, digits, `-`, `_`, `.`;
 *   starts and ends with a letter or digit; not starting with "goog"; no "google"); names with dots
 *   (domain-named buckets, up to 222) need domain verification and are not accepted here;
 * - Artifact Registry repository ids: lowercase letters, digits and hyphens, starting with a letter, ending with a letter or digit;
 * - service account ids: RFC 1035 `[a-z]([-a-z0-9]*[a-z0-9])`, 6-30;
 * - key rings and crypto keys: `[a-zA-Z0-9_-]{1,63}` (the Cloud KMS API);
 * - Vertex AI display names: any UTF-8 characters up to 128;
 * - Compute Engine names: RFC 1035 `[a-z]([-a-z0-9]*[a-z0-9])?`, 1-63.
 */
const CHARSETS: Record<GcpPhysicalNameKind, Charset> = {
  gcsBucket: {
    pattern: /^[a-z0-9][a-z0-9_-]*[a-z0-9]$/,
    accepted: 'lowercase letters, digits, hyphens and underscores, starting and ending with a letter or digit',
    extra: (name) => (name.startsWith('goog') ? 'must not start with "goog"' : name.includes('google') ? 'must not contain "google"' : undefined),
  },
  artifactRepository: { pattern: /^[a-z]([a-z0-9-]*[a-z0-9])?$/, accepted: 'lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit' },
  serviceAccount: { pattern: /^[a-z]([-a-z0-9]*[a-z0-9])$/, accepted: 'lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit' },
  kmsKeyRing: { pattern: /^[a-zA-Z0-9_-]+$/, accepted: 'letters, digits, hyphens and underscores' },
  kmsCryptoKey: { pattern: /^[a-zA-Z0-9_-]+$/, accepted: 'letters, digits, hyphens and underscores' },
  vertexDisplayName: { pattern: /^[\s\S]+$/, accepted: 'any characters' },
  computeName: { pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/, accepted: 'lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit' },
};

function ruleOf(kind: GcpPhysicalNameKind): NameRule {
  return kind === 'computeName' ? GCP_COMPUTE_NAME : NAME_RULES[kind];
}

/** What a physical name of `kind` must look like, for messages: `a Cloud Storage bucket name of 3-63 …`. */
export function describeName(kind: GcpPhysicalNameKind): string {
  const rule = ruleOf(kind);
  const what = / (name|id)$/.test(rule.label) ? rule.label : `${rule.label} name`;
  return `${withArticle(what)} of ${rule.min}-${rule.max} characters: ${CHARSETS[kind].accepted}`;
}

/**
 * Records a problem when an explicit physical name (`physicalName` and the
 * like) does not fit GCP's limits for `kind`, naming the prop, the value and
 * the limit. Undefined (the naming helper's default applies) and unresolved
 * tokens pass. Returns the name when it is usable as is.
 */
export function checkPhysicalName(check: PropChecks, prop: string, value: unknown, kind: GcpPhysicalNameKind): string | undefined {
  const { issues, construct, path } = check;
  if (value === undefined) return undefined;
  if (typeof value === 'string' && Token.isUnresolved(value)) return value;
  const rule = ruleOf(kind);
  const charset = CHARSETS[kind];
  const bad = (why: string): undefined => {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, value, `${describeName(kind)} (${why})`));
    return undefined;
  };
  if (typeof value !== 'string') return bad('not a string');
  const length = [...value].length;
  if (length < rule.min || length > rule.max) return bad(`it has ${length}; the limit is ${rule.min}-${rule.max}`);
  if (!charset.pattern.test(value)) return bad('it has other characters, or starts or ends with one that is not allowed');
  const extra = charset.extra?.(value);
  if (extra) return bad(extra);
  return value;
}
