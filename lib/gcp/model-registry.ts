import { Construct } from 'constructs';
import { IModelRegistry, IWorkloadIdentity } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { GCP_ROLES } from './perms';
import { gcpIdentityOf, grantProjectRoles } from './private/common';
import { checkProjectId } from './private/validation';
import { PropChecks } from '../core/validate';

/** Props of {@link GcpModelRegistry}. */
export interface GcpModelRegistryProps {
  /** The project whose Vertex AI Model Registry is used. */
  readonly projectId: string;
  /** The region models are registered in. */
  readonly region: string;
}

/**
 * The Vertex AI Model Registry of a project and region. It exists implicitly
 * once the Vertex AI API is enabled, so this construct creates no resource;
 * Vertex AI has no registry-level IAM, so its grants are project IAM members
 * (`roles/aiplatform.viewer` to read, `roles/aiplatform.user` to write).
 */
export class GcpModelRegistry extends Construct implements IModelRegistry {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The Vertex region the registry belongs to. */
  public readonly registryName: string;
  /** `projects/<project>/locations/<region>`. */
  public readonly registryId: string;
  /** The project of the registry. */
  public readonly projectId: string;

  constructor(scope: Construct, id: string, props: GcpModelRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkProjectId(new PropChecks(issues, 'GcpModelRegistry', this.node.path), props.projectId);
    new PropChecks(issues, 'GcpModelRegistry', this.node.path).region('gcp', 'region', props.region);
    issues.throwIfAny('Invalid GcpModelRegistry props:');

    this.projectId = props.projectId;
    this.registryName = props.region;
    this.registryId = `projects/${props.projectId}/locations/${props.region}`;
  }

  /** Read models and versions (`roles/aiplatform.viewer` on the project). */
  grantRead(identity: IWorkloadIdentity): void {
    const gcp = gcpIdentityOf(identity, 'GcpModelRegistry.grantRead');
    grantProjectRoles(this, this.projectId, [GCP_ROLES.modelRead], gcp);
  }

  /** Register and read model versions (`roles/aiplatform.user` on the project). */
  grantWrite(identity: IWorkloadIdentity): void {
    const gcp = gcpIdentityOf(identity, 'GcpModelRegistry.grantWrite');
    grantProjectRoles(this, this.projectId, [GCP_ROLES.modelWrite], gcp);
  }
}
