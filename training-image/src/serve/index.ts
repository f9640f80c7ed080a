/** The scoring server: SageMaker, Vertex AI, Azure ML and MLflow protocols on one node:http server. */
export * from './app';
export * from './config';
export * from './drift';
export * from './errors';
export * from './http';
export * from './locate';
export * from './log';
export * from './metrics';
export * from './model';
export * from './payload';
export * from './signature';
