export * from './types';
export * from './rules';
export * from './suppression';
export * from './pack';
export * from './table';
export { readPolicy } from './aws-iam';
export type { IamStatement, IamCondition, IamDocument } from './aws-iam';
