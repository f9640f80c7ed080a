import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { toNaming } from '../core/platform-props';
import { GcpProjectServices } from './project-services';
import { checkProjectId } from './private/validation';

/** Props of {@link GcpWorkloadIdentity}. */
export interface GcpWorkloadIdentityProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The project the service account is created in. */
  readonly projectId: string;
  /**
   * The enabled APIs to depend on (the IAM API).
   * @default - no dependency: the APIs are assumed to be enabled already
   */
  readonly services?: GcpProjectServices;
}

/**
 * The service account training jobs and endpoints run as
 * (`google_service_account`). It never gets a user-managed key
 * (CKV2_GCP_3): jobs use its identity through Vertex AI, CI through
 * Workload Identity Federation. Stores, registries and the key grant to it
 * with resource-level IAM members; it never holds basic roles (CKV_GCP_117).
 */
export class GcpWorkloadIdentity extends Construct implements IWorkloadIdentity {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The service account id (the part of the email before `@`). */
  public readonly identityName: string;
  /** The service account email. */
  public readonly identityId: string;
  /** `serviceAccount:<email>`, the IAM member grants name. */
  public readonly principal: string;
  /** The service account email. */
  public readonly email: string;
  /** The project the service account lives in. */
  public readonly projectId: string;

  constructor(scope: Construct, id: string, props: GcpWorkloadIdentityProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkProjectId(issues, 'GcpWorkloadIdentity', this.node.path, props.projectId);
    issues.throwIfAny('Invalid GcpWorkloadIdentity props:');

    const naming = toNaming(props.naming);
    const accountId = naming.name('serviceAccount', 'ml');
    const account = new ServiceAccount(this, 'Resource', {
      project: props.projectId,
      accountId,
      displayName: `ML workloads (${naming.prefix})`,
      description: 'Identity of the ML platform training jobs and endpoints; managed by cdktf-mlops. No user-managed keys.',
      dependsOn: props.services?.dependenciesFor('iam.googleapis.com'),
    });

    this.projectId = props.projectId;
    this.identityName = accountId;
    this.email = account.email;
    this.identityId = account.email;
    this.principal = account.member;
  }
}
