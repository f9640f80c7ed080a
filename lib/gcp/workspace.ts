import { VertexAiTensorboard } from '@cdktf/provider-google/lib/vertex-ai-tensorboard';
import { Construct } from 'constructs';
import { IMlWorkspace, IWorkloadIdentity } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { GcpCommonProps } from './common';
import { IGcpEncryptionKey, cmekOf } from './encryption-key';
import { GCP_WORKSPACE_USE_ROLES } from './perms';
import { checkCommon, gcpIdentityOf, grantProjectRoles, namingAndLabels } from './private/common';
import { checkPhysicalName } from './naming';
import { PropChecks } from '../core/validate';

/** Props of {@link GcpMlWorkspace}. */
export interface GcpMlWorkspaceProps extends GcpCommonProps {
  /**
   * The customer-managed key experiment-tracking data is encrypted with
   * (MLOPS_GCP_VERTEX_CMEK). Required while `customerManagedKey` is true;
   * must be omitted when it is false.
   * @default - none: give one unless `customerManagedKey` is false
   */
  readonly encryptionKey?: IGcpEncryptionKey;
  /**
   * Encrypt the experiment-tracking TensorBoard with `encryptionKey` (CMEK,
   * MLOPS_GCP_VERTEX_CMEK). False uses Google-managed encryption: no
   * `encryption_spec` and no key binding for the Vertex AI service agent.
   * @default true
   */
  readonly customerManagedKey?: boolean;
  /**
   * Keep the experiment-tracking TensorBoard on `cdktf destroy`
   * (`prevent_destroy`, MLOPS_GCP_VERTEX_RETAIN). False lets `cdktf destroy` delete it.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * The experiment-tracking TensorBoard's display name, which names the
   * workspace: 1-128 characters.
   * @default - `<company>-<project>-<env>-experiments` from the naming helper
   */
  readonly physicalName?: string;
}

/**
 * The ML workspace: Vertex AI in one project and region, with a Vertex AI
 * TensorBoard (`google_vertex_ai_tensorboard`) for experiment tracking,
 * CMEK-encrypted unless `customerManagedKey` is false; logs go to the
 * project's Cloud Logging.
 */
export class GcpMlWorkspace extends Construct implements IMlWorkspace {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The TensorBoard display name, which names the workspace. */
  public readonly workspaceName: string;
  /** `projects/<project>/locations/<region>`. */
  public readonly workspaceId: string;
  /** The Vertex AI region. */
  public readonly region: string;
  /** `logging.googleapis.com/projects/<project>`. */
  public readonly logDestination: string;
  /** The project the workspace is in. */
  public readonly projectId: string;
  /** The experiment-tracking TensorBoard id, `projects/<p>/locations/<r>/tensorboards/<n>`. */
  public readonly tensorboardId: string;

  constructor(scope: Construct, id: string, props: GcpMlWorkspaceProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkCommon(issues, 'GcpMlWorkspace', this, props);
    const key = cmekOf(issues, 'GcpMlWorkspace', this.node.path, props);
    checkPhysicalName(new PropChecks(issues, 'GcpMlWorkspace', this.node.path), 'physicalName', props.physicalName, 'vertexDisplayName');
    issues.throwIfAny('Invalid GcpMlWorkspace props:');

    const { naming, labels } = namingAndLabels(props);
    const retain = props.retainData ?? true;
    const displayName = props.physicalName ?? naming.name('vertexDisplayName', 'experiments');
    const agentBinding = key?.bindServiceAgent('aiplatform', { projectId: props.projectId, services: props.services });

    const tensorboard = new VertexAiTensorboard(this, 'Resource', {
      project: props.projectId,
      region: props.region,
      displayName,
      description: 'Experiment tracking for the ML platform; managed by cdktf-mlops.',
      encryptionSpec: key ? { kmsKeyName: key.keyId } : undefined,
      labels,
      lifecycle: retain ? { preventDestroy: true } : undefined,
      dependsOn: [...(props.services?.dependenciesFor('aiplatform.googleapis.com') ?? []), ...(agentBinding ? [agentBinding] : [])],
    });

    this.projectId = props.projectId;
    this.region = props.region;
    this.workspaceName = displayName;
    this.workspaceId = `projects/${props.projectId}/locations/${props.region}`;
    this.logDestination = `logging.googleapis.com/projects/${props.projectId}`;
    this.tensorboardId = tensorboard.id;
  }

  /** Run Vertex AI jobs and write logs and metrics (project IAM members; Vertex AI has no narrower scope). */
  grantUse(identity: IWorkloadIdentity): void {
    const gcp = gcpIdentityOf(identity, 'GcpMlWorkspace.grantUse');
    grantProjectRoles(this, this.projectId, GCP_WORKSPACE_USE_ROLES, gcp);
  }
}
