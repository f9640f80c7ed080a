import { Token } from 'cdktf';
import { ErrorCode, IssueCollector, MlopsValidationError, messages } from '../../core/errors';
import { UNSCOPED_ACTIONS } from '../perms';
import { PolicyConditions, policyDocument } from '../policy-document';

/** An Allow statement of an identity policy (the shape {@link AwsPolicyStatement} re-exports). */
export interface AllowStatement {
  /** IAM actions (`service:Action`); `*` and `service:*` are refused. */
  readonly actions: readonly string[];
  /** Resource ARNs; `*` only for the actions in `UNSCOPED_ACTIONS` (perms.ts). */
  readonly resources: readonly string[];
  /**
   * Condition block, operator → key → value(s).
   * @default - no condition
   */
  readonly conditions?: PolicyConditions;
}

/**
 * The Allow statements of one inline identity policy, accumulated from
 * grants: validated (no wildcard actions, `*` resources only for actions IAM
 * cannot scope), statements on the same resources and conditions merged,
 * rendered in the order they were first added (deterministic).
 */
export class StatementSet {
  private readonly statements: AllowStatement[] = [];

  /** True when nothing was added yet. */
  get isEmpty(): boolean {
    return this.statements.length === 0;
  }

  /** Validates and adds a statement; `path` names the construct in errors. */
  add(statement: AllowStatement, path: string, operation: string): void {
    const issues = new IssueCollector();
    if (statement.actions.length === 0) {
      issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(operation, 'actions', [], 'at least one IAM action'));
    }
    if (statement.resources.length === 0) {
      issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(operation, 'resources', [], 'at least one resource ARN'));
    }
    for (const action of statement.actions) {
      if (action === '*' || action.endsWith(':*')) {
        issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(operation, 'actions', action, 'named actions, never "*" or "<service>:*" (CKV_AWS_63, AwsSolutions-IAM5)'));
      }
    }
    if (statement.resources.some((r) => !Token.isUnresolved(r) && r === '*')) {
      const scoped = statement.actions.filter((a) => !UNSCOPED_ACTIONS.includes(a));
      if (scoped.length > 0) {
        issues.add(
          ErrorCode.PROP_INVALID,
          path,
          messages.propInvalid(
            operation,
            'resources',
            '*',
            `specific ARNs for ${scoped.join(', ')}: "*" is allowed only for ${UNSCOPED_ACTIONS.join(', ')} (CKV_AWS_355, AwsSolutions-IAM5)`,
          ),
        );
      }
    }
    if (issues.issues.length > 0) throw new MlopsValidationError('Invalid policy statement:', issues.issues);

    // Merge with a statement on the same resources and conditions.
    const key = statementKey(statement);
    const index = this.statements.findIndex((s) => statementKey(s) === key);
    if (index >= 0) {
      const existing = this.statements[index]!;
      this.statements[index] = { ...existing, actions: unique([...existing.actions, ...statement.actions]) };
    } else {
      this.statements.push({ ...statement, actions: unique(statement.actions), resources: unique(statement.resources) });
    }
  }

  /** The policy document; `fallback` is rendered while the set is empty (IAM refuses an empty policy). */
  render(fallback: readonly object[]): string {
    if (this.statements.length === 0) return policyDocument(fallback);
    return policyDocument(
      this.statements.map((s) => ({
        Effect: 'Allow',
        Action: s.actions,
        Resource: s.resources,
        ...(s.conditions ? { Condition: s.conditions } : {}),
      })),
    );
  }
}

function statementKey(s: AllowStatement): string {
  return JSON.stringify({ r: [...s.resources].sort(), c: s.conditions ?? null });
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
