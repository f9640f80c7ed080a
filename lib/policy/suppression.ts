import { IConstruct } from 'constructs';
import { ErrorCode, MlopsValidationError, show } from '../core/errors';
import { findPolicyRule, POLICY_RULES } from './rules';

/** The construct metadata type suppressions are stored under. */
export const SUPPRESSION_METADATA_TYPE = 'cdktf-mlops:policy-suppression';

/** The shortest reason a suppression accepts, in characters (after trimming). */
export const MIN_SUPPRESSION_REASON_LENGTH = 10;

/** A suppression declared on a construct: it covers the construct and all its children. */
export interface PolicySuppression {
  /** The rule it suppresses (its primary id, also when declared with an alias). */
  readonly ruleId: string;
  /** The id as written in `Policy.suppress`. */
  readonly declaredId: string;
  /** Why the finding is accepted. */
  readonly reason: string;
  /** The construct it is declared on. */
  readonly construct: IConstruct;
  /** That construct's path. */
  readonly path: string;
}

interface StoredSuppression {
  readonly ruleId: string;
  readonly declaredId: string;
  readonly reason: string;
}

function closestIds(id: string): string[] {
  const upper = id.toUpperCase();
  const ids = POLICY_RULES.flatMap((r) => [r.id, ...(r.alsoKnownAs ?? [])]);
  const prefix = (a: string): number => {
    let n = 0;
    while (n < a.length && n < upper.length && a[n]!.toUpperCase() === upper[n]) n++;
    return n;
  };
  return [...ids].sort((a, b) => prefix(b) - prefix(a) || a.localeCompare(b)).slice(0, 3);
}

/** Suppressing policy rules on constructs, with a mandatory reason. */
// biome-ignore lint/complexity/noStaticOnlyClass: public API (`Policy.suppress`), kept as a class.
export class Policy {
  /**
   * Accepts the findings of one rule on a construct and everything under it.
   * The reason is mandatory and is printed at every synth next to the
   * suppressed finding; a suppression that matches nothing is reported as unused.
   *
   * @example Policy.suppress(bucket, 'CKV_AWS_21', 'scratch bucket, objects are re-created by every run')
   * @throws MlopsValidationError for an unknown rule id, a missing or short reason, or the same rule suppressed twice on one construct.
   */
  static suppress(scope: IConstruct, ruleId: string, reason: string): void {
    const path = scope.node.path === '' ? '(the app)' : scope.node.path;
    const problems: string[] = [];
    const rule = typeof ruleId === 'string' ? findPolicyRule(ruleId) : undefined;
    if (!rule) {
      problems.push(
        `${show(ruleId)} is not a rule of the policy pack. Fix: use a rule id from the README's policy table (renderPolicyRuleTable()), e.g. ${closestIds(String(ruleId)).join(', ')}.`,
      );
    }
    const trimmed = typeof reason === 'string' ? reason.trim() : '';
    if (trimmed.length < MIN_SUPPRESSION_REASON_LENGTH) {
      problems.push(
        `The reason must say why the finding is acceptable, in at least ${MIN_SUPPRESSION_REASON_LENGTH} characters. Got ${show(reason)}. ` +
          `Fix: Policy.suppress(construct, ${show(ruleId)}, 'access logs go to the central log account').`,
      );
    }
    if (rule && Policy.suppressionsOf(scope).some((s) => s.ruleId === rule.id)) {
      problems.push(`${rule.id} is already suppressed on this construct. Fix: suppress each rule once per construct.`);
    }
    if (problems.length > 0) {
      throw new MlopsValidationError(
        `Invalid policy suppression on ${path}:`,
        problems.map((message) => ({ code: ErrorCode.PROP_INVALID, path, message })),
      );
    }
    const stored: StoredSuppression = { ruleId: rule!.id, declaredId: ruleId, reason: trimmed };
    scope.node.addMetadata(SUPPRESSION_METADATA_TYPE, stored);
  }

  /** The suppressions declared directly on a construct (not those inherited from its parents). */
  static suppressionsOf(scope: IConstruct): PolicySuppression[] {
    return scope.node.metadata
      .filter((m) => m.type === SUPPRESSION_METADATA_TYPE)
      .map((m) => {
        const s = m.data as StoredSuppression;
        return { ruleId: s.ruleId, declaredId: s.declaredId, reason: s.reason, construct: scope, path: scope.node.path };
      });
  }

  /** The suppression that covers a rule on a construct: declared on it or on its nearest parent. */
  static suppressionFor(scope: IConstruct, ruleId: string): PolicySuppression | undefined {
    const scopes = scope.node.scopes;
    for (let i = scopes.length - 1; i >= 0; i--) {
      const found = Policy.suppressionsOf(scopes[i]!).find((s) => s.ruleId === ruleId);
      if (found) return found;
    }
    return undefined;
  }
}
