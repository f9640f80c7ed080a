export * from './core';
export * from './config';
export * from './azure';
export * from './aws';
export * from './gcp';
export * from './platform';
export * from './stack';
export * from './security-defaults';
