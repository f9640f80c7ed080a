export * from './contracts';
export * from './release-step';
export * from './revision';
export * from './training-job';
export * from './scoring-endpoint';
export * from './aws';
export * from './azure';
export * from './gcp';
