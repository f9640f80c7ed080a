import { show } from '../core/errors';
import { PolicyContext, PolicyElement } from './types';
import { blocks, isExpression, isRecord, literalBool, parseJsonDocument, strings } from './values';

/** One condition of an IAM statement: `StringEquals` on `token.actions.githubusercontent.com:sub`. */
export interface IamCondition {
  /** The operator (`StringEquals`, `StringLike`, `ForAnyValue:StringLike`, `Bool` …). */
  readonly operator: string;
  /** The condition key. */
  readonly key: string;
  /** The values, as written. */
  readonly values: readonly unknown[];
}

/** An IAM policy statement, from a JSON document or an `aws_iam_policy_document` statement block. */
export interface IamStatement {
  /** The statement id, if any. */
  readonly sid?: string;
  /** `Allow` or `Deny`. */
  readonly effect: string;
  /** `Action`; `undefined` when the statement uses `NotAction`. */
  readonly actions?: readonly unknown[];
  /** `NotAction`. */
  readonly notActions?: readonly unknown[];
  /** `Resource`. */
  readonly resources?: readonly unknown[];
  /** The principals by type (`AWS`, `Service`, `Federated`, `*` for `Principal: "*"`). */
  readonly principals?: Readonly<Record<string, readonly unknown[]>>;
  /** The conditions. */
  readonly conditions: readonly IamCondition[];
  /** Where it comes from, for messages (`statement 2 ("DenyInsecureTransport")`, `statement 1 of data.aws_iam_policy_document.x`). */
  readonly where: string;
}

/** A policy document read from an attribute: its statements, or why it cannot be read at synth. */
export type IamDocument = { readonly statements: readonly IamStatement[]; readonly unreadable?: undefined } | { readonly statements?: undefined; readonly unreadable: string };

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function label(index: number, sid: unknown, source?: string): string {
  const id = typeof sid === 'string' && sid !== '' ? ` (${show(sid)})` : '';
  return `statement ${index + 1}${id}${source ? ` of ${source}` : ''}`;
}

function fromJson(doc: unknown): IamStatement[] | undefined {
  if (!isRecord(doc)) return undefined;
  const raw = doc.Statement;
  const statements = Array.isArray(raw) ? raw : isRecord(raw) ? [raw] : undefined;
  if (!statements) return undefined;
  return statements.filter(isRecord).map((s, i) => {
    let principals: Record<string, unknown[]> | undefined;
    if (s.Principal === '*') principals = { '*': ['*'] };
    else if (isRecord(s.Principal)) {
      principals = {};
      for (const [type, ids] of Object.entries(s.Principal)) principals[type] = list(ids);
    }
    const conditions: IamCondition[] = [];
    if (isRecord(s.Condition)) {
      for (const [operator, byKey] of Object.entries(s.Condition)) {
        if (!isRecord(byKey)) continue;
        for (const [key, values] of Object.entries(byKey)) conditions.push({ operator, key, values: list(values) });
      }
    }
    return {
      sid: typeof s.Sid === 'string' ? s.Sid : undefined,
      effect: typeof s.Effect === 'string' ? s.Effect : 'Allow',
      actions: s.Action === undefined ? undefined : list(s.Action),
      notActions: s.NotAction === undefined ? undefined : list(s.NotAction),
      resources: s.Resource === undefined ? undefined : list(s.Resource),
      principals,
      conditions,
      where: label(i, s.Sid),
    };
  });
}

/** The statements of an `aws_iam_policy_document` data source. */
export function statementsOfPolicyDocument(element: PolicyElement): IamStatement[] {
  return blocks(element.attrs.statement).map((s, i) => {
    let principals: Record<string, unknown[]> | undefined;
    for (const p of blocks(s.principals)) {
      const type = typeof p.type === 'string' ? p.type : '?';
      principals = principals ?? {};
      principals[type] = [...(principals[type] ?? []), ...list(p.identifiers)];
    }
    const conditions = blocks(s.condition).map((c) => ({
      operator: typeof c.test === 'string' ? c.test : '?',
      key: typeof c.variable === 'string' ? c.variable : '?',
      values: list(c.values),
    }));
    return {
      sid: typeof s.sid === 'string' ? s.sid : undefined,
      effect: typeof s.effect === 'string' ? s.effect : 'Allow',
      actions: s.actions === undefined ? undefined : list(s.actions),
      notActions: s.not_actions === undefined ? undefined : list(s.not_actions),
      resources: s.resources === undefined ? undefined : list(s.resources),
      principals,
      conditions,
      where: label(i, s.sid, element.address),
    };
  });
}

/**
 * Reads the policy document of an attribute: a JSON string (tokens inside are
 * fine), a `${jsonencode(…)}` expression, or a reference to an
 * `aws_iam_policy_document` data source of the stack.
 */
export function readPolicy(value: unknown, context: PolicyContext): IamDocument {
  if (value === undefined || value === null || value === '') return { statements: [] };
  if (isRecord(value)) {
    const statements = fromJson(value);
    return statements ? { statements } : { unreadable: 'the policy has no Statement list' };
  }
  if (typeof value !== 'string') return { unreadable: `the policy is ${show(value)}, not a document` };
  const docRef = /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.(json|minified_json)\}$/.exec(value.trim());
  if (docRef) {
    const doc = context.byAddress(`data.aws_iam_policy_document.${docRef[1]}`);
    if (!doc) return { unreadable: `the policy refers to ${show(value)}, which is not in this stack` };
    const extra = ['source_policy_documents', 'override_policy_documents', 'source_json', 'override_json'].filter((k) => doc.attrs[k] !== undefined);
    if (extra.length > 0) return { unreadable: `${doc.address} merges other documents (${extra.join(', ')})` };
    return { statements: statementsOfPolicyDocument(doc) };
  }
  const parsed = parseJsonDocument(value);
  if (parsed === undefined) {
    return { unreadable: `the policy ${show(value)} is neither JSON nor a reference to an aws_iam_policy_document in this stack` };
  }
  const statements = fromJson(parsed);
  return statements ? { statements } : { unreadable: 'the policy has no Statement list' };
}

/** Whether a statement names every principal (`"*"` or `{"AWS": "*"}`). */
export function hasWildcardPrincipal(s: IamStatement): boolean {
  if (!s.principals) return false;
  if (s.principals['*']) return true;
  return (s.principals.AWS ?? []).some((p) => p === '*');
}

/** Whether a statement is an Allow. */
export function isAllow(s: IamStatement): boolean {
  return s.effect === 'Allow';
}

/** The literal strings of a statement list (expressions are left out). */
export function literals(values: readonly unknown[] | undefined): string[] {
  return strings(values ? [...values] : []).filter((v) => !isExpression(v));
}

/** Whether a statement's conditions include a Bool condition setting `key` to `value`. */
export function hasBoolCondition(s: IamStatement, key: string, value: boolean): boolean {
  return s.conditions.some((c) => c.operator === 'Bool' && c.key.toLowerCase() === key.toLowerCase() && c.values.some((v) => literalBool(v) === value));
}
