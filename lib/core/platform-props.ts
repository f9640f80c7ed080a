import { Naming, NamingParts } from './naming';
import { PlatformNetworkOptions } from './network';
import { ComputeSize } from './sizes';

/** Options of the training compute. */
export interface TrainingComputeOptions {
  /**
   * Machine size.
   * @default ComputeSize.small()
   */
  readonly size?: ComputeSize;
  /**
   * Most nodes (instances) a training job may use.
   * @default 4
   */
  readonly maxNodes?: number;
  /**
   * Use low-priority (Azure), managed spot (AWS) or spot (GCP) capacity.
   * @default false
   */
  readonly lowPriority?: boolean;
}

/** Props every cloud's platform accepts, with the same meaning on every cloud. */
export interface PlatformBaseProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /**
   * Tags (labels on GCP) put on every resource, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * How the data planes are reached: `public`, `firewalled` (the default) or
   * `private`, with the allowed ranges and, in private mode, the network.
   * @default - firewalled, no allowed ranges
   */
  readonly network?: PlatformNetworkOptions;
  /**
   * The principals that run `cdktf deploy` (besides a CI identity, which adds
   * itself with `grantDeploy`): Azure object ids, AWS IAM role or user ARNs,
   * GCP members. They get the data-plane roles Terraform needs (create the
   * key, write the training data, push the image) and are exempt from the
   * platform's identity denies. An empty list names none.
   * @default - the principal running Terraform
   */
  readonly deployers?: readonly string[];
  /**
   * Keep stateful stores (storage, keys, registries) on `cdktf destroy`.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Training compute options.
   * @default - small machines, up to 4 nodes, dedicated capacity
   */
  readonly training?: TrainingComputeOptions;
}

/** Resolves `naming` to a {@link Naming}. */
export function toNaming(naming: Naming | NamingParts): Naming {
  return naming instanceof Naming ? naming : new Naming(naming);
}
