/** The local tracking store: pipeline runs with params, metrics, artifacts, timings, data fingerprint and git commit. */
export { TrackingStore, TrackingError, compareRuns, runParams, flatten, gitInfo, newRunId, withLiveness } from './store';
export type { RunRecord, StepRecord, ArtifactRecord, DiffRow } from './store';
