import { cut } from '../core/text';

/** One problem found in input data or configuration: errors are data. */
export interface Issue {
  /** Stable error code, e.g. `WRONG_TYPE`. */
  readonly code: IssueCode;
  /** Human-readable message naming the field, the value and what is accepted. */
  readonly message: string;
  /** 1-based data row (header excluded), when the issue is about one cell or row. */
  readonly row?: number;
  /** Column name, when the issue is about a column or a cell. */
  readonly column?: string;
  /** The offending raw value, when there is one. */
  readonly value?: string;
}

/** The catalog of issue codes (stable; tests and tooling may match on them). */
export const ISSUE_CODES = [
  'FILE_NOT_FOUND',
  'FILE_EMPTY',
  'NO_ROWS',
  'BAD_CSV',
  'RAGGED_ROW',
  'DUPLICATE_COLUMN',
  'MISSING_COLUMN',
  'UNEXPECTED_COLUMN',
  'WRONG_TYPE',
  'OUT_OF_RANGE',
  'NULL_VALUE',
  'ALL_NULL',
  'UNKNOWN_CATEGORY',
  'BAD_CONTRACT',
  'BAD_TARGET',
  'TOO_FEW_ROWS',
] as const;

/** A stable issue code. */
export type IssueCode = (typeof ISSUE_CODES)[number];

/** Thrown when data cannot be used; carries every issue found. */
export class DataError extends Error {
  constructor(
    message: string,
    /** Every issue found (possibly capped per column; see the message). */
    public readonly issues: readonly Issue[] = [],
  ) {
    // Each line cut: the messages quote values from the user's data, which can be any length.
    super(
      issues.length
        ? `${cut(message)}\n${issues
            .slice(0, 50)
            .map((i) => `  - [${i.code}] ${cut(i.message)}`)
            .join('\n')}${issues.length > 50 ? `\n  … and ${issues.length - 50} more` : ''}`
        : cut(message),
    );
    this.name = 'DataError';
  }
}
