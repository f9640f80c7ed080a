/** The cdktf-mlops runtime: data, features, models, evaluation, artifacts and CLI. */
export * from './core/matrix';
export * from './core/estimator';
export * from './core/random';
export * from './data';
export * from './features';
export * from './linear';
export * from './eval';
export * from './artifacts';
export * from './models';
export { main } from './cli/main';
export * from './trees';
export * from './forecast';
export * from './pipeline';
export * from './registry';
export * from './tracking';
export * from './report';
export * from './serve';
