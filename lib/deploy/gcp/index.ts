export * from './training-job';
export * from './scoring-endpoint';
export { numericEndpointId } from './private/common';
