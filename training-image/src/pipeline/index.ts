/** Pipeline definitions (YAML, see FORMAT.md) and the local runner. */
export { PipelineSchema, StepSchema, STEP_KINDS, STEP_OUTPUTS, PipelineError, parsePipeline, topologicalOrder, dependencies } from './schema';
export type { Pipeline, Step, StepKind, PipelineIssue } from './schema';
export { runPipeline, loadPipeline, resolveRoot } from './runner';
export type { RunOptions, RunResult } from './runner';
export { StepError } from './steps';
export { splitCsv, CsvSplitError } from './split';
export type { CsvSplitOptions, CsvSplitResult } from './split';
export { runStep } from './single';
export type { RunStepOptions, StepRunResult, StepRunError } from './single';
export type { DriftOutcome } from './runner';
export { driftDecision, profilePsi } from './drift';
export type { DriftDecision, FeaturePsi } from './drift';
