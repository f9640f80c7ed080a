/** Thrown for bad forecaster input (data, query arguments, saved JSON); names the field, the value and what is accepted. */
export class ForecastInputError extends Error {
  constructor(
    /** The offending field, e.g. `times[3]`, `horizon`, `json.fitted.gamma`. */
    public readonly field: string,
    /** The offending value (as received). */
    public readonly value: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'ForecastInputError';
  }
}

/** Formats a value for an error message. */
export function show(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
