/** IAM policy documents rendered as JSON strings (tokens inside resolve to Terraform references). */

/** Condition block: operator → key → value(s). */
export type PolicyConditions = Record<string, Record<string, string | readonly string[]>>;

/** A resource-policy statement (bucket policy, key policy, trust policy). */
export interface ResourcePolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: '*' | { readonly AWS?: string | readonly string[]; readonly Service?: string | readonly string[] };
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: PolicyConditions;
}

/** Renders a policy document. */
export function policyDocument(statements: readonly object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
