/** Evaluation: metrics, cross-validation, feature importance and hyperparameter search. */
export * from './metrics';
export * from './cv';
export * from './importance';
export * from './search';
export * from './threshold';
