/** Training contracts: `mlops train` inside SageMaker, Vertex AI, Azure ML, or locally. */
export * from './errors';
export * from './detect';
export * from './settings';
export * from './args';
export * from './files';
export * from './gcs';
export * from './run';
export * from './access';
