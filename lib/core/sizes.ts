import { Cloud } from './cloud';

/** The cloud-neutral size names. */
export const SIZE_NAMES = ['small', 'medium', 'large', 'gpu'] as const;
/** A cloud-neutral size name. */
export type SizeName = (typeof SIZE_NAMES)[number];

/** A machine as one cloud names it. */
export interface MachineSpec {
  /** Azure VM size, SageMaker instance type or GCE machine type. */
  readonly instanceType: string;
  /** GPU accelerator, where the cloud specifies it apart from the machine (Vertex AI). */
  readonly accelerator?: { readonly type: string; readonly count: number };
}

/** Per-cloud machine choices for an explicit override. */
export type MachineOverride = Partial<Record<Cloud, string | MachineSpec>>;

/** The default machine for each size on each cloud. */
export const SIZE_TABLE: Record<SizeName, Record<Cloud, MachineSpec>> = {
  small: {
    azure: { instanceType: 'Standard_DS3_v2' },
    aws: { instanceType: 'ml.m5.xlarge' },
    gcp: { instanceType: 'n1-standard-4' },
  },
  medium: {
    azure: { instanceType: 'Standard_D8s_v3' },
    aws: { instanceType: 'ml.m5.2xlarge' },
    gcp: { instanceType: 'n1-standard-8' },
  },
  large: {
    azure: { instanceType: 'Standard_D16s_v3' },
    aws: { instanceType: 'ml.m5.4xlarge' },
    gcp: { instanceType: 'n1-standard-16' },
  },
  gpu: {
    azure: { instanceType: 'Standard_NC4as_T4_v3' },
    aws: { instanceType: 'ml.g4dn.xlarge' },
    gcp: { instanceType: 'n1-standard-4', accelerator: { type: 'NVIDIA_TESLA_T4', count: 1 } },
  },
};

/**
 * A machine size: cloud-neutral (`ComputeSize.of('medium')`) with an explicit
 * per-cloud override (`ComputeSize.of('gpu', { aws: 'ml.g5.xlarge' })`).
 */
export class ComputeSize {
  /** 4 vCPU class machine. */
  static small(override?: MachineOverride): ComputeSize {
    return new ComputeSize('small', override);
  }
  /** 8 vCPU class machine. */
  static medium(override?: MachineOverride): ComputeSize {
    return new ComputeSize('medium', override);
  }
  /** 16 vCPU class machine. */
  static large(override?: MachineOverride): ComputeSize {
    return new ComputeSize('large', override);
  }
  /** One NVIDIA T4 class GPU. */
  static gpu(override?: MachineOverride): ComputeSize {
    return new ComputeSize('gpu', override);
  }
  /** The size with the given name. */
  static of(name: SizeName, override?: MachineOverride): ComputeSize {
    return new ComputeSize(name, override);
  }

  private constructor(
    /** The cloud-neutral size name. */
    public readonly name: SizeName,
    private readonly override: MachineOverride = {},
  ) {}

  /** The machine this size means on `cloud`, the override winning. */
  machineFor(cloud: Cloud): MachineSpec {
    return this.overrideFor(cloud) ?? SIZE_TABLE[this.name][cloud];
  }

  /**
   * The machine given explicitly for `cloud`, if any: a construct that has its
   * own table for a neutral size (endpoint hosting sizes) uses its table only
   * when this is undefined.
   */
  overrideFor(cloud: Cloud): MachineSpec | undefined {
    const explicit = this.override[cloud];
    if (typeof explicit === 'string') return { instanceType: explicit };
    return explicit ?? undefined;
  }

  /** True when the size has a GPU (by name or through an accelerator override). */
  get isGpu(): boolean {
    return this.name === 'gpu';
  }
}
