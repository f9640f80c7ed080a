import { Token } from 'cdktf';
import { IRuntimeImageRef } from '../core/contracts';
import { ROLLOUT_STRATEGIES, SETTING_DEFAULTS, SETTING_RANGES } from '../core/settings';
import { PropChecks } from '../core/validate';
import { EndpointAlarmThresholds, RolloutPolicy } from './contracts';

/** The scaling, rollout and alarms of a scoring endpoint with every default filled in. */
export interface EndpointSettings {
  readonly minInstances: number;
  readonly maxInstances: number;
  readonly rollout: Required<RolloutPolicy>;
  readonly alarms: Required<EndpointAlarmThresholds>;
}

/**
 * The scaling, rollout and alarms of a scoring endpoint, the same on every
 * cloud: the neutral defaults filled in and the neutral ranges checked
 * (lib/core/settings.ts, which the stack config's schema is built from). A
 * cloud checks its own tighter limits on the result (SageMaker bakes at most
 * an hour). `maxInstances` defaults to the larger of its default and
 * `minInstances`.
 */
export function endpointSettingsOf(
  check: PropChecks,
  props: { readonly minInstances?: number; readonly maxInstances?: number; readonly rollout?: RolloutPolicy; readonly alarms?: EndpointAlarmThresholds } | undefined,
): EndpointSettings {
  const R = SETTING_RANGES;
  const D = SETTING_DEFAULTS;
  const minInstances = props?.minInstances ?? D.endpoint.minInstances;
  const maxInstances = props?.maxInstances ?? Math.max(D.endpoint.maxInstances, typeof minInstances === 'number' ? minInstances : 0);
  const minOk = check.number('minInstances', minInstances, R.endpoint.minInstances);
  const maxOk = check.number('maxInstances', maxInstances, R.endpoint.maxInstances);
  if (minOk && maxOk && maxInstances < minInstances) check.invalid('maxInstances', maxInstances, `at least minInstances (${minInstances})`);
  const rollout: Required<RolloutPolicy> = { ...D.rollout, ...definedOnly(props?.rollout) };
  check.oneOf('rollout.strategy', rollout.strategy, ROLLOUT_STRATEGIES);
  check.number('rollout.canaryPercent', rollout.canaryPercent, R.rollout.canaryPercent);
  check.number('rollout.stepPercent', rollout.stepPercent, R.rollout.stepPercent);
  check.number('rollout.bakeMinutes', rollout.bakeMinutes, R.rollout.bakeMinutes);
  const alarms: Required<EndpointAlarmThresholds> = { ...D.alarms, ...definedOnly(props?.alarms) };
  check.number('alarms.errorRatePercent', alarms.errorRatePercent, R.alarms.errorRatePercent, ' (percent of 5xx responses)');
  check.number('alarms.latencyP95Ms', alarms.latencyP95Ms, R.alarms.latencyP95Ms, ' (milliseconds)');
  return { minInstances, maxInstances, rollout, alarms };
}

/** `value` without its undefined entries (so that they do not hide the defaults). */
function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A build-context hash as RuntimeImage computes it: hex, known at synth. */
const CONTENT_HASH = /^[0-9a-f]{8,64}$/;

/**
 * The runtime image a training job or scoring endpoint runs, the same check
 * on every cloud: an image reference with its digest-pinned URI and digest,
 * and a content hash known at synth (it is part of the release revision).
 * Returns false, with the problems recorded, when it is not one.
 */
export function checkRuntimeImage(check: PropChecks, image: IRuntimeImageRef | undefined): image is IRuntimeImageRef {
  if (!image || typeof image !== 'object') {
    check.invalid(
      'image',
      image,
      'the runtime image: a RuntimeImage, or an IRuntimeImageRef with imageUriByDigest, imageDigest and contentHash (RuntimeImage.fromImageUri for an image built elsewhere)',
    );
    return false;
  }
  let ok = true;
  for (const field of ['imageUriByDigest', 'imageDigest'] as const) {
    if (typeof image[field] !== 'string' || image[field].length === 0) {
      check.invalid(`image.${field}`, image[field], 'a non-empty string (the pushed image, from RuntimeImage)');
      ok = false;
    }
  }
  if (typeof image.contentHash !== 'string' || Token.isUnresolved(image.contentHash) || !CONTENT_HASH.test(image.contentHash)) {
    check.invalid('image.contentHash', image.contentHash, 'the hex hash of the image build context, known at synth (RuntimeImage.contentHash): it is part of the release revision');
    ok = false;
  }
  return ok;
}
