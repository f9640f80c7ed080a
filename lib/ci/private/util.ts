import { createHash } from 'crypto';
import { Cloud } from '../../core/cloud';
import { ErrorCode, show } from '../../core/errors';
import { CI_LOGIN_VALUES, GithubSubject, GithubSubjectKind } from '../github';
import { PropChecks } from '../../core/validate';

/** Records a problem when the subjects exceed a cloud's limit on how many one identity may trust. */
export function checkSubjectCount(check: PropChecks, subjects: readonly GithubSubject[], max: number, why: string): void {
  const { issues, construct, path } = check;
  if (subjects.length > max) {
    const count = (kind: GithubSubjectKind): number => subjects.filter((s) => s.kind === kind).length;
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      `${construct} would trust ${subjects.length} subjects (${count('branch')} branches, ${count('environment')} environments` +
        `${count('pull_request') > 0 ? ', pull requests' : ''}); ${why} allows at most ${max}. ` +
        `Fix: list at most ${max} entries in ci.github.branches, ci.github.environments and pullRequests together ` +
        `(deploy from a few long-lived branches or environments).`,
    );
  }
}

/** Records a problem for every subject longer than a cloud's limit. */
export function checkSubjectLength(check: PropChecks, subjects: readonly GithubSubject[], max: number, why: string): void {
  const { issues, construct, path } = check;
  for (const s of subjects) {
    const bytes = Buffer.byteLength(s.subject, 'utf8');
    if (bytes > max) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        `${construct}: the subject ${show(s.subject)} is ${bytes} bytes; ${why} allows at most ${max}. ` +
          `Fix: use a shorter ${s.kind === 'environment' ? 'environment' : 'branch'} name in ci.github.${s.kind === 'environment' ? 'environments' : 'branches'}.`,
      );
    }
  }
}

/** Short, stable hash of a text (names that must stay unique after sanitising). */
export function shortHash(text: string, length = 6): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The outputs record of a cloud, from the values in {@link CI_LOGIN_VALUES} order. */
export function loginOutputs(cloud: Cloud, values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of CI_LOGIN_VALUES[cloud]) {
    const value = values[v.output];
    if (value === undefined) throw new Error(`internal: no value for CI output ${v.output}`);
    out[v.output] = value;
  }
  return out;
}
