export * from './cloud';
export * from './errors';
export * from './naming';
export * from './sizes';
export * from './tags';
export * from './contracts';
export * from './platform-props';
export * from './security-defaults';
