/** Tree ensembles: random forests and histogram gradient boosting. */
export { RandomForestRegressor, RandomForestClassifier, RF_PARAMS } from './forest';
export type { RandomForestParams } from './forest';
export { HistGradientBoostingRegressor, HistGradientBoostingClassifier, HGB_PARAMS } from './hgb';
export type { HistGradientBoostingParams } from './hgb';
