import { LocalRegistry } from '../registry/registry';
import { StepKind } from './schema';

/** A step failure: `{code, path, message}` (path names the step field, e.g. `steps.train.params.target`). */
export class StepError extends Error {
  constructor(
    /** Stable code: BAD_PARAM, BAD_INPUT, BAD_OUTPUT, DATA_INVALID, GATE_REJECTED, SERVE_UNAVAILABLE, SCORE_FAILED, STEP_FAILED. */
    public readonly code: 'BAD_PARAM' | 'BAD_INPUT' | 'BAD_OUTPUT' | 'DATA_INVALID' | 'GATE_REJECTED' | 'SERVE_UNAVAILABLE' | 'SCORE_FAILED' | 'STEP_FAILED',
    /** The step field concerned. */
    public readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

/** What a step gets: resolved inputs (local paths), params (plain data), output paths, and run services. */
export interface StepContext {
  readonly step: string;
  readonly uses: StepKind;
  readonly inputs: Readonly<Record<string, string | readonly string[]>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, string>>;
  /** Registry model name of the pipeline. */
  readonly modelName: string;
  readonly registry: LocalRegistry;
  readonly runId: string;
  /** For each input that is an output of an earlier step: the run that produced it (this run, or the earlier run a cached step's outputs come from). */
  readonly inputRuns?: Readonly<Record<string, string>>;
  /**
   * Inputs left out because the registry URI they name does not resolve yet
   * (no such model, or no version with that alias): input name → why. Only
   * for inputs a step kind accepts missing (the `drift` step's champion).
   */
  readonly missingInputs?: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
  /** Registers a clean-up run at the end of the pipeline run (e.g. stopping a server). */
  readonly onRunEnd: (fn: () => Promise<void>) => void;
  /** The run so far (for the report step). */
  readonly runInfo: () => Record<string, unknown>;
}

/** What a step returns. */
export interface StepOutcome {
  /** Numeric metrics, recorded as `<step>.<name>` in the run. */
  readonly metrics?: Record<string, number>;
  /** One line for the progress log. */
  readonly summary?: string;
  /** The answer sentence, when the step produced one. */
  readonly answer?: string;
}
