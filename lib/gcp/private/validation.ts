import { isIP } from 'net';
import { Token } from 'cdktf';
import { ErrorCode, IssueCollector, messages } from '../../core/errors';

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+(-[a-z]+)+[0-9]+$/;

/** Records a problem when `projectId` is not a valid GCP project id. */
export function checkProjectId(issues: IssueCollector, construct: string, path: string, projectId: unknown): void {
  if (typeof projectId === 'string' && Token.isUnresolved(projectId)) return;
  if (typeof projectId !== 'string' || !PROJECT_ID.test(projectId)) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(
        construct,
        'projectId',
        projectId,
        'a GCP project id: 6-30 lowercase letters, digits and hyphens, starting with a letter (e.g. "acme-ml-dev")',
      ),
    );
  }
}

/** Records a problem when `region` is not a GCP region name. */
export function checkRegion(issues: IssueCollector, construct: string, path: string, region: unknown): void {
  if (typeof region === 'string' && Token.isUnresolved(region)) return;
  if (typeof region !== 'string' || !REGION.test(region)) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(construct, 'region', region, 'a GCP region such as "europe-west4" or "us-central1" (not a zone or multi-region)'),
    );
  }
}

/** Records a problem when `value` is not an integer in `[min, max]` (undefined is fine: the default applies). */
export function checkInt(
  issues: IssueCollector,
  construct: string,
  path: string,
  prop: string,
  value: unknown,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
  accepted?: string,
): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Token.isUnresolved(value)) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, value, accepted ?? range));
  }
}

/** True when `value` is an IPv4 or IPv6 CIDR range (`203.0.113.0/24`, `2001:db8::/32`). */
export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const version = isIP(match[1]!);
  const bits = Number(match[2]);
  if (version === 4) return bits <= 32 && !/(^|\.)0\d/.test(match[1]!);
  if (version === 6) return bits <= 128;
  return false;
}

/** Records a problem for every entry of `ranges` that is not a CIDR range. */
export function checkCidrs(issues: IssueCollector, construct: string, path: string, prop: string, ranges: unknown): void {
  if (ranges === undefined) return;
  if (!Array.isArray(ranges)) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, ranges, 'a list of CIDR ranges'));
    return;
  }
  ranges.forEach((range, i) => {
    if (typeof range === 'string' && Token.isUnresolved(range)) return;
    if (typeof range !== 'string' || !isCidr(range)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        messages.propInvalid(construct, `${prop}[${i}]`, range, 'an IPv4 or IPv6 CIDR range such as "203.0.113.0/24" or "2001:db8::/32"'),
      );
    }
  });
}
