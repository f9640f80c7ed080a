import { TerraformResource, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { IMlPlatform, IWorkloadIdentity } from '../../../core/contracts';

import { PropChecks } from '../../../core/validate';
import { RELEASE_NAME_LIMITS, RELEASE_SPEC_NAME_MAX } from '../../../core/release';
import { ComputeSize, MachineSpec } from '../../../core/sizes';
import { GcpMlPlatform } from '../../../gcp/platform';

/** The longest GCP release name, and why (RELEASE_NAME_LIMITS in lib/core/release.ts: the config checks the same). */
export const GCP_RELEASE_NAME_MAX = RELEASE_NAME_LIMITS.gcp.max;
/** Release names: lowercase letters, digits and hyphens, at most {@link GCP_RELEASE_NAME_MAX}, starting with a letter and not ending with a hyphen. */
export const RELEASE_NAME = new RegExp(`^[a-z](?:[a-z0-9-]{0,${GCP_RELEASE_NAME_MAX - 2}}[a-z0-9])?$`);
/** Model names (the release spec's name rule). */
export const MODEL_NAME = new RegExp(`^[a-z][a-z0-9-]{0,${RELEASE_SPEC_NAME_MAX - 1}}$`);

/** The platform as a {@link GcpMlPlatform}, or a recorded problem. */
export function gcpPlatformOf(check: PropChecks, platform: IMlPlatform | undefined): GcpMlPlatform | undefined {
  const { issues, construct, path } = check;
  if (platform instanceof GcpMlPlatform) return platform;
  const cloud = (platform as { cloud?: unknown } | undefined)?.cloud;
  new PropChecks(issues, construct, path).invalid(
    'platform',
    cloud === undefined ? platform : `a platform for ${String(cloud)}`,
    `a GcpMlPlatform (it needs the project, region, service account email, Cloud KMS key and bucket that only the GCP platform has); build the platform with cloud: gcp`,
  );
  return undefined;
}

/** The GCP machine of a size, with a recorded problem when its names are not Vertex AI's. */
export function gcpMachineOf(check: PropChecks, prop: string, size: unknown, fallback: ComputeSize): MachineSpec | undefined {
  const { issues, construct, path } = check;
  if (size !== undefined && !(size instanceof ComputeSize)) {
    new PropChecks(issues, construct, path).invalid(
      prop,
      size,
      "a ComputeSize, e.g. ComputeSize.small() or ComputeSize.gpu({ gcp: { instanceType: 'g2-standard-8', accelerator: { type: 'NVIDIA_L4', count: 1 } } })",
    );
    return undefined;
  }
  const machine = ((size as ComputeSize | undefined) ?? fallback).machineFor('gcp');
  if (!/^[a-z][a-z0-9-]*$/.test(machine.instanceType))
    new PropChecks(issues, construct, path).invalid(`${prop} (gcp machine type)`, machine.instanceType, 'a Compute Engine machine type such as "n1-standard-4"');
  if (machine.accelerator) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(machine.accelerator.type))
      new PropChecks(issues, construct, path).invalid(`${prop} (gcp accelerator type)`, machine.accelerator.type, 'a Vertex AI accelerator type such as "NVIDIA_TESLA_T4"');
    new PropChecks(issues, construct, path).int(`${prop} (gcp accelerator count)`, machine.accelerator.count, 1, 16);
  }
  return machine;
}

/** The machine as the release spec's gcp target carries the accelerator. */
export function acceleratorOf(machine: MachineSpec): { type: string; count: number } | undefined {
  return machine.accelerator ? { type: machine.accelerator.type, count: machine.accelerator.count } : undefined;
}

/**
 * The IAM members granting anything to `identity` in `scope`'s stack (bucket,
 * repository, key and project members, including those on imported
 * resources, which live outside the platform): what a release step must
 * wait for before the job or deployment runs as the identity.
 */
export function grantsOf(scope: IConstruct, identity: IWorkloadIdentity): TerraformResource[] {
  return TerraformStack.of(scope)
    .node.findAll()
    .filter((c): c is TerraformResource => c instanceof TerraformResource && (c as { memberInput?: unknown }).memberInput === identity.principal);
}
