import { ReleaseSpec } from './spec';

/** What a release did to one cloud object. */
export interface ReleaseAction {
  readonly action: 'created' | 'updated' | 'unchanged' | 'deleted' | 'kept' | 'waited';
  /** What kind of object: `training job`, `model version`, `deployment`, … */
  readonly what: string;
  /** Its name or id. */
  readonly id: string;
  readonly detail?: string;
}

/** The result of one run: every action, and values a person or CI needs next. */
export interface ReleaseReport {
  readonly actions: ReleaseAction[];
  readonly outputs: Record<string, string>;
}

/** Progress for a person: one line per step, to stderr. */
export interface ReleaseLog {
  info(message: string): void;
  warn(message: string): void;
}

/** What a driver gets besides the spec. Tests inject `sleep`, `env` and `now`. */
export interface ReleaseContext {
  readonly log: ReleaseLog;
  readonly env: NodeJS.ProcessEnv;
  /** Waits between polls of long-running operations (tests make it instant). */
  sleep(ms: number): Promise<void>;
  /** Milliseconds since the epoch. */
  now(): number;
  readonly signal?: AbortSignal;
}

/**
 * One cloud's release step. `apply` is idempotent create-or-update (a second
 * run with the same spec changes nothing and says so) and waits for long-running
 * operations; `destroy` removes what `apply` of this spec created (see each
 * driver for what "superseded" keeps). Both throw {@link ReleaseError} with a
 * clear message on failure.
 */
export interface ReleaseDriver {
  apply(spec: ReleaseSpec, ctx: ReleaseContext): Promise<ReleaseReport>;
  destroy(spec: ReleaseSpec, ctx: ReleaseContext): Promise<ReleaseReport>;
  /** Runs a pipeline spec's pipeline once, by hand (drivers whose cloud has `pipeline` specs). */
  start?(spec: ReleaseSpec, ctx: ReleaseContext): Promise<ReleaseReport>;
  /**
   * After a pipeline run: registers the champion the run promoted and rolls it
   * out to the endpoint (drivers whose cloud promotes outside its pipeline engine: Azure).
   */
  promote?(spec: ReleaseSpec, ctx: ReleaseContext, from: PromoteSource): Promise<ReleaseReport>;
}

/** Which run `promote` takes: one named by hand, or the next run event on the promotions queue. */
export type PromoteSource = { readonly run: string } | { readonly fromQueue: true };

/** A release failure the command reports as one clear message (exit 1). */
export class ReleaseError extends Error {
  constructor(
    message: string,
    /** Short machine-readable code, e.g. `TRAINING_FAILED`, `CLOUD_REQUEST_FAILED`. */
    public readonly code: string,
    public readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ReleaseError';
  }
}
