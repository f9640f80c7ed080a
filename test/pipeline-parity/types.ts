/**
 * What the parity test compares across the local runner and the three
 * compiled definitions: each container step's name, kind, predecessors and
 * resolved params, and the gate. Each cloud's extractor reads these back out
 * of its compiled definition (SageMaker pipeline definition JSON, Azure ML
 * PipelineJob, KFP PipelineSpec), without using the plan it was built from.
 */
export interface ComparableStep {
  readonly name: string;
  readonly uses: string;
  readonly after: readonly string[];
  readonly params: Record<string, unknown>;
  /** The drift steps whose `proceed` must be true for the step to run (read from its `--when` arguments in a compiled definition). */
  readonly when: readonly string[];
}

export interface ComparablePipeline {
  readonly steps: readonly ComparableStep[];
  /** The step whose decision gates registration and deploy. */
  readonly gate?: string;
}

/** Reads the comparable view out of a cloud's compiled definition. */
export type Extractor = (definition: Readonly<Record<string, unknown>>) => ComparablePipeline;
