/** The catalog of scoring-server error codes (stable: clients and tests may match on them). */
export const SERVE_ERROR_CODES = [
  'BAD_JSON',
  'BAD_CSV',
  'BAD_PAYLOAD',
  'EMPTY_BODY',
  'PAYLOAD_TOO_LARGE',
  'TOO_DEEP',
  'TOO_MANY_ROWS',
  'NO_ROWS',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_ACCEPTABLE',
  'MISSING_COLUMN',
  'UNEXPECTED_COLUMN',
  'DUPLICATE_COLUMN',
  'WRONG_TYPE',
  'NULL_VALUE',
  'OUT_OF_RANGE',
  'UNKNOWN_CATEGORY',
  'RAGGED_ROW',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'MODEL_NOT_READY',
  'SHUTTING_DOWN',
  'REQUEST_TIMEOUT',
  'TOO_MANY_CONNECTIONS',
  'INTERNAL',
] as const;

/** A stable scoring-server error code. */
export type ServeErrorCode = (typeof SERVE_ERROR_CODES)[number];

/** One problem with a request: errors are data. `path` points into the payload, e.g. `instances[3].temp`. */
export interface ServeIssue {
  readonly code: ServeErrorCode;
  readonly path: string;
  readonly message: string;
}

/** HTTP status for a top-level error code. */
const STATUS: Readonly<Record<ServeErrorCode, number>> = {
  BAD_JSON: 400,
  BAD_CSV: 400,
  BAD_PAYLOAD: 400,
  EMPTY_BODY: 400,
  PAYLOAD_TOO_LARGE: 413,
  TOO_DEEP: 400,
  TOO_MANY_ROWS: 413,
  NO_ROWS: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_ACCEPTABLE: 406,
  MISSING_COLUMN: 400,
  UNEXPECTED_COLUMN: 400,
  DUPLICATE_COLUMN: 400,
  WRONG_TYPE: 400,
  NULL_VALUE: 400,
  OUT_OF_RANGE: 400,
  UNKNOWN_CATEGORY: 400,
  RAGGED_ROW: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  MODEL_NOT_READY: 503,
  SHUTTING_DOWN: 503,
  REQUEST_TIMEOUT: 408,
  TOO_MANY_CONNECTIONS: 503,
  INTERNAL: 500,
};

/** A request that cannot be served: the HTTP status, a summary and every issue found. */
export class HttpError extends Error {
  /** HTTP status code. */
  readonly status: number;
  constructor(
    /** Top-level code (the first issue's code when there are issues). */
    public readonly code: ServeErrorCode,
    message: string,
    /** Every issue found (capped). */
    public readonly issues: readonly ServeIssue[] = [],
    status?: number,
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status ?? STATUS[code];
  }

  /** The JSON error body: MLflow's `{error_code, message}` plus `errors: [{code, path, message}]`. */
  toBody(): { error_code: string; message: string; errors: readonly ServeIssue[] } {
    return {
      error_code: this.status >= 500 ? 'INTERNAL_ERROR' : this.code === 'NOT_FOUND' ? 'ENDPOINT_NOT_FOUND' : 'BAD_REQUEST',
      message: this.message,
      errors: this.issues.length ? this.issues : [{ code: this.code, path: '', message: this.message }],
    };
  }
}

/** Throws an {@link HttpError} carrying one issue. */
export function fail(code: ServeErrorCode, path: string, message: string): never {
  throw new HttpError(code, message, [{ code, path, message }]);
}

/** Throws one {@link HttpError} for a list of issues (no-op when empty); the status comes from the first issue. */
export function failAll(issues: readonly ServeIssue[], summary: string): void {
  if (!issues.length) return;
  throw new HttpError(issues[0]!.code, `${summary} ${issues.length === 1 ? issues[0]!.message : `${issues.length} problems; the first: ${issues[0]!.message}`}`, issues);
}
