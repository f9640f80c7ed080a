/** The model catalog, trained-model bundle and training orchestration. */
export * from './catalog';
export * from './model';
export * from './train';
export * from './profile';
export * from './forecast-model';
export * from './load';
export * from './save';
export * from './score';
