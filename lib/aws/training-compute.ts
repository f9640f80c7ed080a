import { Construct } from 'constructs';
import { ITrainingCompute } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { ComputeSize, MachineSpec } from '../core/sizes';
import { checkInstanceType } from './validate';
import { PropChecks } from '../core/validate';
import { SETTING_DEFAULTS, SETTING_RANGES } from '../core/settings';

/** Props of {@link AwsTrainingCompute}. */
export interface AwsTrainingComputeProps {
  /**
   * Machine size; resolves to a SageMaker instance type.
   * @default ComputeSize.small()
   */
  readonly size?: ComputeSize;
  /**
   * Most instances a training job may use (the job's instance count).
   * @default 4
   */
  readonly maxNodes?: number;
  /**
   * Use managed spot training.
   * @default false
   */
  readonly lowPriority?: boolean;
}

/**
 * Training compute on SageMaker: there is no cluster resource, so this
 * carries the instance type, count and spot choice training jobs are launched
 * with. It creates no Terraform resource.
 */
export class AwsTrainingCompute extends Construct implements ITrainingCompute {
  /** The cloud this compute belongs to. */
  public readonly cloud = 'aws' as const;
  /** The SageMaker instance type (AWS has no cluster name). */
  public readonly computeName: string;
  /** The neutral size. */
  public readonly size: ComputeSize;
  /** The machine the size resolves to on AWS. */
  public readonly machine: MachineSpec;
  /** Most instances a job may use. */
  public readonly maxNodes: number;
  /** Managed spot training. */
  public readonly lowPriority: boolean;

  constructor(scope: Construct, id: string, props: AwsTrainingComputeProps = {}) {
    super(scope, id);
    this.size = props.size ?? ComputeSize.of(SETTING_DEFAULTS.training.size);
    this.machine = this.size.machineFor('aws');
    this.maxNodes = props.maxNodes ?? SETTING_DEFAULTS.training.maxNodes;
    this.lowPriority = props.lowPriority ?? SETTING_DEFAULTS.training.lowPriority;

    const issues = new IssueCollector();
    new PropChecks(issues, 'AwsTrainingCompute', this.node.path).number('maxNodes', props.maxNodes, SETTING_RANGES.training.maxNodes);
    checkInstanceType(new PropChecks(issues, 'AwsTrainingCompute', this.node.path), 'size', this.machine.instanceType);
    issues.throwIfAny('Invalid AwsTrainingCompute props:');

    this.computeName = this.machine.instanceType;
  }
}
