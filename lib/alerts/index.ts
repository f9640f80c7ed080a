// Public API of `cdktf-mlops/alerts`: the cloud-neutral endpoint alerts and
// their props. The cloud's own constructs (`AwsEndpointAlerts`, …) come from
// `cdktf-mlops/<cloud>`; `EndpointAlerts` loads the platform's cloud on use.
export { DEFAULT_THRESHOLDS, EVALUATION_WINDOW_MINUTES } from './common';
export type { AlertReceivers, AlertThresholds, EndpointAlertsProps, IEndpointAlerts, ResolvedThresholds } from './common';
export { EndpointAlerts } from './endpoint-alerts';
