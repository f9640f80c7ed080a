import { MachineLearningComputeCluster } from '@cdktf/provider-azurerm/lib/machine-learning-compute-cluster';
import { Construct } from 'constructs';
import { ITrainingCompute, IWorkloadIdentity, identityOf } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { ComputeSize, MachineSpec } from '../core/sizes';
import { Naming, NamingParts } from '../core/naming';
import { azureTags, checkPhysicalName, namingOf } from './util';
import { AzureMlWorkspace } from './workspace';
import { PropChecks } from '../core/validate';
import { SETTING_DEFAULTS, SETTING_RANGES } from '../core/settings';

/** Props of {@link AzureTrainingCompute}. */
export interface AzureTrainingComputeProps {
  /** The naming helper, or the parts to build one from (for the platform tags). */
  readonly naming: Naming | NamingParts;
  /** The workspace the cluster belongs to. */
  readonly workspace: AzureMlWorkspace;
  /** The identity the cluster's nodes run as. */
  readonly identity: IWorkloadIdentity;
  /**
   * Machine size.
   * @default ComputeSize.small()
   */
  readonly size?: ComputeSize;
  /**
   * Most nodes a job may use.
   * @default 4
   */
  readonly maxNodes?: number;
  /**
   * Use low-priority capacity.
   * @default false
   */
  readonly lowPriority?: boolean;
  /**
   * Nodes kept running when idle (CKV_AZURE_150 wants 0).
   * @default 0
   */
  readonly minNodes?: number;
  /**
   * Minutes an idle node is kept before the cluster scales down.
   * @default 10
   */
  readonly idleMinutesBeforeScaleDown?: number;
  /**
   * Allow key-based (local) authentication to the cluster (CKV_AZURE_142).
   * @default false
   */
  readonly localAuth?: boolean;
  /**
   * The compute cluster's name inside the workspace: 3-16 letters, digits and
   * hyphens, starting with a letter.
   * @default 'train-cluster'
   */
  readonly physicalName?: string;
  /**
   * Tags put on the cluster, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Training compute: an Azure ML compute cluster that scales to zero, runs as
 * the workload identity, with local authentication and public SSH off.
 */
export class AzureTrainingCompute extends Construct implements ITrainingCompute {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** Compute cluster name (scoped inside the workspace). */
  public readonly computeName: string;
  /** The neutral size. */
  public readonly size: ComputeSize;
  /** The Azure VM size the size resolves to. */
  public readonly machine: MachineSpec;
  /** Most nodes a job may use. */
  public readonly maxNodes: number;
  /** Low-priority capacity. */
  public readonly lowPriority: boolean;
  /** Compute cluster resource id. */
  public readonly computeId: string;

  constructor(scope: Construct, id: string, props: AzureTrainingComputeProps) {
    super(scope, id);
    const identity = identityOf(props.identity, 'azure', 'AzureTrainingCompute');
    const issues = new IssueCollector();
    const maxNodes = props.maxNodes ?? SETTING_DEFAULTS.training.maxNodes;
    const minNodes = props.minNodes ?? 0;
    const idleMinutes = props.idleMinutesBeforeScaleDown ?? 10;
    new PropChecks(issues, 'AzureTrainingCompute', this.node.path).number('maxNodes', maxNodes, SETTING_RANGES.training.maxNodes);
    new PropChecks(issues, 'AzureTrainingCompute', this.node.path).int(
      'minNodes',
      minNodes,
      0,
      Math.max(0, Number.isInteger(maxNodes) ? maxNodes : SETTING_RANGES.training.maxNodes.max),
    );
    new PropChecks(issues, 'AzureTrainingCompute', this.node.path).int('idleMinutesBeforeScaleDown', idleMinutes, 1, 10080);
    const computeName = props.physicalName ?? 'train-cluster';
    checkPhysicalName(new PropChecks(issues, 'AzureTrainingCompute', this.node.path), 'physicalName', computeName, 'mlComputeCluster');
    issues.throwIfAny('Invalid AzureTrainingCompute props:');

    this.size = props.size ?? ComputeSize.of(SETTING_DEFAULTS.training.size);
    this.machine = this.size.machineFor('azure');
    this.maxNodes = maxNodes;
    this.lowPriority = props.lowPriority ?? SETTING_DEFAULTS.training.lowPriority;
    this.computeName = computeName;

    const cluster = new MachineLearningComputeCluster(this, 'Resource', {
      name: this.computeName,
      location: props.workspace.region,
      machineLearningWorkspaceId: props.workspace.workspaceId,
      vmSize: this.machine.instanceType,
      vmPriority: this.lowPriority ? 'LowPriority' : 'Dedicated',
      localAuthEnabled: props.localAuth ?? false,
      sshPublicAccessEnabled: false,
      nodePublicIpEnabled: !props.workspace.managedNetworkIsolated,
      identity: { type: 'UserAssigned', identityIds: [identity.identityId] },
      tags: azureTags(namingOf(props.naming), props.tags),
      scaleSettings: {
        minNodeCount: minNodes,
        maxNodeCount: maxNodes,
        scaleDownNodesAfterIdleDuration: `PT${idleMinutes}M`,
      },
    });
    this.computeId = cluster.id;
  }
}
