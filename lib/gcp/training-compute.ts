import { Construct } from 'constructs';
import { ITrainingCompute } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { TrainingComputeOptions } from '../core/platform-props';
import { ComputeSize, MachineSpec } from '../core/sizes';
import { PropChecks } from '../core/validate';
import { SETTING_DEFAULTS, SETTING_RANGES } from '../core/settings';

/** Props of {@link GcpTrainingCompute}. */
export interface GcpTrainingComputeProps extends TrainingComputeOptions {}

/**
 * Training compute on Vertex AI. Vertex custom jobs bring their own machines,
 * so there is no cluster resource: this construct carries the machine,
 * the replica limit and the scheduling strategy (spot or standard) the
 * training jobs are submitted with.
 */
export class GcpTrainingCompute extends Construct implements ITrainingCompute {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The machine type (Vertex has no cluster to name). */
  public readonly computeName: string;
  /** The neutral size. */
  public readonly size: ComputeSize;
  /** The machine the size resolves to on GCP. */
  public readonly machine: MachineSpec;
  /** Most replicas a job may use. */
  public readonly maxNodes: number;
  /** Spot capacity. */
  public readonly lowPriority: boolean;
  /** The Vertex AI scheduling strategy: `SPOT` for low priority, else `STANDARD`. */
  public readonly schedulingStrategy: 'SPOT' | 'STANDARD';

  constructor(scope: Construct, id: string, props: GcpTrainingComputeProps = {}) {
    super(scope, id);
    const issues = new IssueCollector();
    new PropChecks(issues, 'GcpTrainingCompute', this.node.path).number('maxNodes', props.maxNodes, SETTING_RANGES.training.maxNodes);
    issues.throwIfAny('Invalid GcpTrainingCompute props:');

    this.size = props.size ?? ComputeSize.of(SETTING_DEFAULTS.training.size);
    this.machine = this.size.machineFor('gcp');
    this.maxNodes = props.maxNodes ?? SETTING_DEFAULTS.training.maxNodes;
    this.lowPriority = props.lowPriority ?? SETTING_DEFAULTS.training.lowPriority;
    this.computeName = this.machine.instanceType;
    this.schedulingStrategy = this.lowPriority ? 'SPOT' : 'STANDARD';
  }
}
