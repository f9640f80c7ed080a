export * from './common';
export * from './aws';
export * from './azure';
export * from './gcp';
export * from './endpoint-alerts';
