/** Linear models: least squares, ridge and logistic regression. */
export { LinearRegression, LINEAR_REGRESSION_PARAMS, Ridge, RIDGE_PARAMS } from './linear';
export type { LinearRegressionParams, RidgeParams } from './linear';
export { LogisticRegression, LOGISTIC_PARAMS } from './logistic';
export type { LogisticRegressionParams } from './logistic';
export { lstsqColumns, choleskySolve } from './lstsq';
export type { LstsqResult } from './lstsq';
