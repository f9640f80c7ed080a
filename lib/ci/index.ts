export * from './github';
export * from './aws-perms';
export * from './azure';
export * from './aws';
export * from './gcp';
export * from './factory';
