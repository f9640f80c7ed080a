import { ReleaseContext, ReleaseDriver, ReleaseReport } from '../driver';
import { ReleaseSpec, ReleaseSpecError } from '../spec';
import { Caller, GcpClients, GcpDriverOptions, clientsKey, createClients } from './clients';
import { GcpEndpointRollout } from './endpoint';
import { GcpTiming, GcpTraining } from './training';

export {
  ACCESS_TOKEN_ENV,
  AIPLATFORM_ENDPOINT_ENV,
  CLOUD_PLATFORM_SCOPE,
  DEFAULT_MONITORING_ENDPOINT,
  MONITORING_ENDPOINT_ENV,
  describeFailure,
  isRetryable,
  parseEndpointOverride,
} from './clients';
export type { GcpDriverOptions, GoogleFailure, CallKind } from './clients';
export { checkHealth, ENDPOINT_RESOURCE_TYPE, LATENCY_METRIC, RESPONSE_COUNT_METRIC } from './health';
export type { HealthThresholds, HealthVerdict, HealthScope } from './health';
export { endpointUrlOf, modelIdOf, scaleSplit } from './endpoint';
export type { TrafficSplit } from './endpoint';
export { customJobOf, trainArgs, uploadRequestOf, releaseLabels, VERTEX_SERVING, DEFAULT_ALIAS } from './training';
export {
  GcpEndpointTargetSchema,
  GcpTrainingTargetSchema,
  GCP_MODEL_LABEL,
  GCP_RELEASE_LABEL,
  GCP_REVISION_LABEL,
  GCP_STEP_LABEL,
  RELEASE_INSTANCE_ENV,
  modelNameOf,
  stepMarker,
  versionAlias,
} from './target';
export type { GcpEndpointTarget, GcpTrainingTarget } from './target';

const DEFAULTS = { jobPollMs: 30_000, operationPollMs: 10_000, maxAttempts: 6, retryBaseMs: 2_000 };

function regionOf(spec: ReleaseSpec): string {
  const region = (spec.gcp as { region?: unknown } | undefined)?.region;
  if (typeof region !== 'string' || !/^[a-z]+(-[a-z]+)+[0-9]+$/.test(region)) {
    throw new ReleaseSpecError([{ code: 'RELEASE_SPEC_INVALID', path: 'gcp.region', message: `is ${JSON.stringify(region)}; give a GCP region such as "europe-west4"` }]);
  }
  return region;
}

/**
 * The Vertex AI release driver, with its clients made per run through
 * `@google-cloud/aiplatform` (REST transport, the region's endpoint,
 * Application Default Credentials unless GOOGLE_OAUTH_ACCESS_TOKEN or the
 * options say otherwise).
 *
 * - `training`: custom job on the runtime image (`train`), then the model
 *   uploaded as a version of the release's model (alias `r-<revision>`,
 *   made the default);
 * - `endpoint`: that version deployed to the Terraform-made endpoint, traffic
 *   shifted canary / linear / all at once with bake and health checks, the
 *   previous deployment undeployed.
 */
export function createGcpDriver(options: GcpDriverOptions = {}): ReleaseDriver {
  const timing: GcpTiming = {
    jobPollMs: options.jobPollMs ?? DEFAULTS.jobPollMs,
    operationPollMs: options.operationPollMs ?? DEFAULTS.operationPollMs,
  };
  // Clients are made on first use and kept for the driver's life: building one
  // costs a few hundred milliseconds, and the command runs one step per process.
  const cache = new Map<string, GcpClients>();
  const run = async (spec: ReleaseSpec, ctx: ReleaseContext, command: 'apply' | 'destroy'): Promise<ReleaseReport> => {
    const region = regionOf(spec);
    const key = clientsKey(region, ctx.env, options);
    let clients = cache.get(key);
    if (!clients) {
      clients = createClients(region, ctx.env, options);
      cache.set(key, clients);
    }
    const caller = new Caller(ctx, options.maxAttempts ?? DEFAULTS.maxAttempts, options.retryBaseMs ?? DEFAULTS.retryBaseMs);
    const step = spec.kind === 'training' ? new GcpTraining(spec, ctx, clients, caller, timing) : new GcpEndpointRollout(spec, ctx, clients, caller, timing);
    return command === 'apply' ? step.apply() : step.destroy();
  };
  return {
    apply: (spec, ctx) => run(spec, ctx, 'apply'),
    destroy: (spec, ctx) => run(spec, ctx, 'destroy'),
  };
}

/** The production driver: Google's regional Vertex AI endpoints, Application Default Credentials. */
export const gcpDriver: ReleaseDriver = createGcpDriver();
