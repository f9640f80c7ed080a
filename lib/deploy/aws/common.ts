import { Token } from 'cdktf';
import { RELEASE_REVISION_SUFFIX_LENGTH, RELEASE_SPEC_NAME_MAX } from '../../core/release';
import { AwsMlPlatform } from '../../aws/platform';
import { IMlPlatform } from '../../core/contracts';
import { ErrorCode, messages } from '../../core/errors';
import { ComputeSize, SizeName } from '../../core/sizes';
import { PropChecks } from '../../core/validate';

/** The longest name SageMaker accepts for training jobs, models, endpoint configurations and endpoints (the release spec's name rule). */
export const AWS_SAGEMAKER_NAME_MAX = RELEASE_SPEC_NAME_MAX;

/** Length of a release revision (12 hex characters) plus the hyphen in front of it. */
export const AWS_REVISION_SUFFIX_LENGTH = RELEASE_REVISION_SUFFIX_LENGTH;

/**
 * SageMaker hosting instance types per neutral size. Hosting needs less than
 * training (one process scoring rows; the training table's `small` is
 * `ml.m5.xlarge`), so each size is one step smaller where that still fits.
 * An explicit `ComputeSize` override for `aws` wins.
 */
export const AWS_ENDPOINT_INSTANCE_TYPES: Record<SizeName, string> = {
  small: 'ml.m5.large',
  medium: 'ml.m5.xlarge',
  large: 'ml.m5.2xlarge',
  gpu: 'ml.g4dn.xlarge',
};

/**
 * Read the state of the endpoint's rollback alarms (resource: the alarm ARNs).
 * SageMaker's deployment guardrails call it with the model's execution role.
 * Belongs in lib/aws/perms.ts with the platform's other actions.
 */
export const AWS_CLOUDWATCH_ALARM_READ_ACTIONS = ['cloudwatch:DescribeAlarms'] as const;

const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9-]+$/;
/** Families with NVMe instance storage that carry no `d` in their name. */
const NVME_FAMILIES = new Set(['g5', 'g6', 'g6e', 'gr6', 'p5', 'p5e', 'p5en', 'trn1', 'trn1n', 'trn2']);

/**
 * True when a SageMaker instance type has local NVMe instance storage
 * (`ml.m5d.*`, `ml.g4dn.*`, `ml.p4d.*`, `ml.g5.*`, …). SageMaker refuses a KMS
 * key for the storage volume of such instances: their instance store is
 * encrypted by the hardware, and there is no EBS volume to encrypt.
 */
export function awsHasInstanceStorage(instanceType: string): boolean {
  const family = instanceType.split('.')[1] ?? '';
  return /^[a-z]+\d+[a-z]*d[a-z]*$/.test(family) || NVME_FAMILIES.has(family);
}

/** The hosting instance type of an endpoint size on AWS (override first, then {@link AWS_ENDPOINT_INSTANCE_TYPES}). */
export function awsEndpointInstanceType(size: ComputeSize): string {
  return size.overrideFor('aws')?.instanceType ?? AWS_ENDPOINT_INSTANCE_TYPES[size.name];
}

/** Narrows the platform to {@link AwsMlPlatform}, recording a clear problem otherwise. */
export function awsPlatformOf(check: PropChecks, platform: IMlPlatform | undefined): AwsMlPlatform | undefined {
  const { issues, construct, path } = check;
  if (platform instanceof AwsMlPlatform) return platform;
  const seen = platform === undefined ? undefined : `${platform.constructor?.name ?? 'object'} on cloud ${String(platform.cloud)}`;
  issues.add(
    ErrorCode.PROP_INVALID,
    path,
    messages.propInvalid(
      construct,
      'platform',
      seen,
      `an AwsMlPlatform: ${construct} uses its region, identity, key, artifact store and model registry (use the neutral class, which picks the cloud's own, for other clouds)`,
    ),
  );
  return undefined;
}

/** Records a problem unless `instanceType` is a SageMaker instance type. */
export function checkAwsInstanceType(check: PropChecks, prop: string, instanceType: string): void {
  const { issues, construct, path } = check;
  if (Token.isUnresolved(instanceType)) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, '(a token)', 'a SageMaker instance type known at synth, such as "ml.m5.large"'));
  } else if (!INSTANCE_TYPE.test(instanceType)) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, instanceType, 'a SageMaker instance type such as "ml.m5.large" (ml.<family>.<size>)'));
  }
}

/** `<name>-<revision>`: the name of what one revision of a release creates. */
export function revisionName(name: string, revision: string): string {
  return `${name}-${revision}`;
}

/** Release names: lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen. */
export const AWS_RELEASE_NAME = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;
