/** Feature engineering: the fitted, serialisable feature pipeline and target encoding. */
export * from './dates';
export * from './pipeline';
export * from './target';
