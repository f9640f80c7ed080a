export * from './spec';
export * from './driver';
export { driverFor } from './drivers';
export { runRelease, formatReport, USAGE } from './cli';
