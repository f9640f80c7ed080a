import { Naming, NamingParts } from './naming';
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
   * Allow access to the workspace, stores and registries from public networks.
   * Off by default (CKV_AZURE_144, CKV_AZURE_139, CKV2_AZURE_40 …).
   * @default false
   */
  readonly publicNetworkAccess?: boolean;
  /**
   * CIDR ranges let through the data-store firewalls while public access is
   * off: the egress of whoever runs `cdktf deploy` and the CI runners.
   * @default - none: only private and trusted-service access
   */
  readonly allowedIpRanges?: readonly string[];
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
