// The GCP deployment constructs (public through `cdktf-mlops/gcp`).
export { GcpTrainingJob, GCP_RELEASE_PREFIX } from './training-job';
export { GcpScoringEndpoint, GCP_DEFAULT_ALARMS, GCP_DEFAULT_ROLLOUT, numericEndpointId } from './scoring-endpoint';
export { GcpContinuousTraining } from './pipeline';
