export { AZURE_INFERENCE_ROUTES, AZURE_RELEASE_TAGS } from './common';
export type { AzureReleaseTarget } from './common';
export { AZURE_ARTIFACTS_DATASTORE, AZURE_MODELS_PREFIX, AzureTrainingJob } from './training-job';
export type { AzureTrainingTarget } from './training-job';
export { AZURE_ONLINE_ENDPOINT_SKUS, AzureScoringEndpoint } from './scoring-endpoint';
export type { AzureEndpointAuthMode, AzureEndpointTarget, AzureScoringEndpointProps } from './scoring-endpoint';
export { AzureContinuousTraining } from './pipeline';
export type { AzureComponentVersion, AzurePipelineTarget } from './pipeline';
