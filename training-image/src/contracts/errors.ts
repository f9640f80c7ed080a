import { cut } from '../core/text';

/** The stable codes of training-contract problems (tests and tooling may match on them). */
export const CONTRACT_ERROR_CODES = [
  'UNKNOWN_CONTRACT',
  'BAD_HYPERPARAMETERS_FILE',
  'BAD_HYPERPARAMETER',
  'UNKNOWN_HYPERPARAMETER',
  'PARAMS_NEED_MODEL',
  'BAD_SETTING',
  'MISSING_TARGET',
  'MISSING_DATA',
  'MISSING_OUTPUT',
  'NO_DATA_FILES',
  'HEADER_MISMATCH',
  'BAD_ARGUMENT',
  'BAD_GCS_URI',
  'GCS_ERROR',
  'OUTPUT_NOT_A_MODEL_DIR',
  'OUTPUT_NOT_WRITABLE',
  'QUALITY_GATE',
] as const;

/** A stable training-contract error code. */
export type ContractErrorCode = (typeof CONTRACT_ERROR_CODES)[number];

/** One training-contract problem, as data: code, where (a file, variable, argument or hyperparameter) and what to do. */
export interface ContractIssue {
  /** Stable code from {@link CONTRACT_ERROR_CODES}. */
  readonly code: ContractErrorCode;
  /** Where the bad value came from, e.g. `hyperparameters.json#maxIter`, `env:AIP_MODEL_DIR`, `arg:--data`. */
  readonly path: string;
  /** What is wrong, with the value and the fix. */
  readonly message: string;
}

/** Thrown when a training contract cannot be honoured; carries every issue found. */
export class ContractError extends Error {
  /** Every issue found (at least one). */
  readonly issues: readonly ContractIssue[];

  constructor(issues: ContractIssue | readonly ContractIssue[]) {
    const list = Array.isArray(issues) ? (issues as readonly ContractIssue[]) : [issues as ContractIssue];
    // Each line cut: paths and messages quote what the user gave, which can be any length.
    super(
      list.length === 1
        ? cut(`[${list[0]!.code}] ${list[0]!.path}: ${list[0]!.message}`)
        : `${list.length} problems:\n${list.map((i) => `  - ${cut(`[${i.code}] ${i.path}: ${i.message}`)}`).join('\n')}`,
    );
    this.name = 'ContractError';
    this.issues = list;
  }

  /** The first issue's code. */
  get code(): ContractErrorCode {
    return this.issues[0]!.code;
  }
}

/** Shorthand: a {@link ContractError} with one issue. */
export function contractError(code: ContractErrorCode, path: string, message: string): ContractError {
  return new ContractError({ code, path, message });
}
