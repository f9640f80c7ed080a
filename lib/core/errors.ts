/**
 * One catalog of error codes and message factories for the construct library.
 * Errors are data: every problem is `{code, path, message}`; constructs and the
 * config loader collect all problems and throw once.
 */

/** A single validation problem. */
export interface ValidationIssue {
  /** Stable error code from {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** Where the problem is: a config path (`naming.company`) or a construct path. */
  readonly path: string;
  /** What is wrong, the value seen, what is accepted and the fix. */
  readonly message: string;
}

/** Stable error codes. */
export const ErrorCode = {
  CONFIG_INVALID: 'MLOPS_CONFIG_INVALID',
  CONFIG_NOT_FOUND: 'MLOPS_CONFIG_NOT_FOUND',
  CONFIG_YAML: 'MLOPS_CONFIG_YAML',
  NAME_INVALID: 'MLOPS_NAME_INVALID',
  NAME_TOO_LONG: 'MLOPS_NAME_TOO_LONG',
  PROP_INVALID: 'MLOPS_PROP_INVALID',
  CLOUD_MISMATCH: 'MLOPS_CLOUD_MISMATCH',
  POLICY_VIOLATION: 'MLOPS_POLICY_VIOLATION',
  MISSING_PEER: 'MLOPS_MISSING_PEER',
} as const;
/** A stable error code. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Thrown with every collected problem at once. */
export class MlopsValidationError extends Error {
  /** Every problem found. */
  public readonly issues: readonly ValidationIssue[];

  constructor(title: string, issues: readonly ValidationIssue[]) {
    super(`${title}\n${issues.map((i) => `  - [${i.code}] ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'MlopsValidationError';
    this.issues = issues;
  }
}

/** Renders a value for a message: strings quoted, long values cut. */
export function show(value: unknown): string {
  if (value === undefined) return '(missing)';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Message factories, one per kind of problem. */
export const messages = {
  propInvalid: (construct: string, prop: string, value: unknown, accepted: string): string =>
    `The '${prop}' prop of ${construct} must be ${accepted}. Got ${show(value)}.`,
  cloudMismatch: (operation: string, expected: string, got: string): string =>
    `${operation} needs a ${expected} workload identity, but was given one for ${got}. ` +
    `Fix: grant to the identity created by the ${expected} platform (platform.identity).`,
};

/** Collects problems and throws them all at once. */
export class IssueCollector {
  private readonly found: ValidationIssue[] = [];

  /** Records one problem. */
  add(code: ErrorCode, path: string, message: string): void {
    this.found.push({ code, path, message });
  }

  /** The problems recorded so far. */
  get issues(): readonly ValidationIssue[] {
    return this.found;
  }

  /** Throws an {@link MlopsValidationError} if any problem was recorded. */
  throwIfAny(title: string): void {
    if (this.found.length > 0) throw new MlopsValidationError(title, this.found);
  }
}
