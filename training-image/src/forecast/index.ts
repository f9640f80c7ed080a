/** The time-series forecaster (issue 3): trend + Fourier seasonality, backtested, with intervals and threshold queries. */
export { TrendForecaster, MIN_FORECAST_POINTS, MAX_FORECAST_HORIZON, FORECASTER_SCHEMA_VERSION } from './forecaster';
export type { Forecast, Exceedance, ForecastBacktest } from './forecaster';
export { ForecastInputError } from './errors';
export {
  FORECASTER_NAME,
  FORECASTER_DEFAULTS,
  FORECASTER_PARAMS,
  MAX_SEASONAL_ORDER,
  SEASONALITY_KEYS,
  validateForecasterParams,
} from './params';
export type { ForecasterParams, SeasonalitySpec, SeasonalOrder, TrendKind, SeasonalityName } from './params';
export { AUTO_ORDERS } from './private/backtest';
