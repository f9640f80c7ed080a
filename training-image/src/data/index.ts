/** The data layer: CSV reading, typed frames and data contracts. */
export * from './errors';
export * from './csv';
export * from './values';
export * from './frame';
export * from './contract';
export * from './load';
export * from './series';
