import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { Construct } from 'constructs';
import { IImageRegistry, IWorkloadIdentity, identityOf } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { GcpCommonProps } from './common';
import { GcpEncryptionKey } from './encryption-key';
import { GCP_ROLES } from './perms';
import { checkCommon, cmekOf, grantId, namingAndLabels, once } from './private/common';
import { checkInt } from './private/validation';

/** Props of {@link GcpImageRegistry}. */
export interface GcpImageRegistryProps extends GcpCommonProps {
  /**
   * The customer-managed key the repository encrypts images with
   * (CKV_GCP_84). Required while `customerManagedKey` is true; must be
   * omitted when it is false.
   * @default - none: give one unless `customerManagedKey` is false
   */
  readonly encryptionKey?: GcpEncryptionKey;
  /**
   * Encrypt images with `encryptionKey` (CMEK, CKV_GCP_84). False uses
   * Google-managed encryption: no `kms_key_name`, no key binding for the
   * Artifact Registry service agent, and pull/push grants grant no key role.
   * @default true
   */
  readonly customerManagedKey?: boolean;
  /**
   * Keep the repository and its images on `cdktf destroy` (`prevent_destroy`,
   * MLOPS_GCP_AR_RETAIN). False lets `cdktf destroy` delete them.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Tags cannot be moved to another image once pushed, so a deployed tag
   * always means the same image (MLOPS_GCP_AR_IMMUTABLE_TAGS). False allows re-tagging.
   * @default true
   */
  readonly immutableTags?: boolean;
  /**
   * Days an untagged image is kept before the cleanup policy deletes it
   * (MLOPS_GCP_AR_CLEANUP).
   * @default 14
   */
  readonly untaggedImageRetentionDays?: number;
}

/**
 * The image registry: an Artifact Registry Docker repository
 * (`google_artifact_registry_repository`) encrypted with the customer-managed
 * key (unless `customerManagedKey` is false), with immutable tags and a cleanup policy for untagged images.
 */
export class GcpImageRegistry extends Construct implements IImageRegistry {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The repository id. */
  public readonly registryName: string;
  /** `projects/<p>/locations/<r>/repositories/<repo>`. */
  public readonly registryId: string;
  /** `<region>-docker.pkg.dev/<project>/<repo>`. */
  public readonly imageUri: string;
  /** The customer-managed key, undefined with Google-managed encryption. */
  private readonly key?: GcpEncryptionKey;
  private readonly repository: ArtifactRegistryRepository;

  constructor(scope: Construct, id: string, props: GcpImageRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkCommon(issues, 'GcpImageRegistry', this, props);
    const key = cmekOf(issues, 'GcpImageRegistry', this.node.path, props);
    checkInt(issues, 'GcpImageRegistry', this.node.path, 'untaggedImageRetentionDays', props.untaggedImageRetentionDays, 1, 3650);
    issues.throwIfAny('Invalid GcpImageRegistry props:');

    const { naming, labels } = namingAndLabels(props);
    const retain = props.retainData ?? true;
    const repositoryId = naming.name('artifactRepository', 'runtime');
    this.key = key;
    const agentBinding = key?.bindServiceAgent('artifactregistry');

    this.repository = new ArtifactRegistryRepository(this, 'Resource', {
      project: props.projectId,
      location: props.region,
      repositoryId,
      format: 'DOCKER',
      mode: 'STANDARD_REPOSITORY',
      description: 'ML runtime images; managed by cdktf-mlops.',
      kmsKeyName: key?.keyId,
      dockerConfig: { immutableTags: props.immutableTags ?? true },
      cleanupPolicyDryRun: false,
      cleanupPolicies: [
        {
          id: 'delete-untagged',
          action: 'DELETE',
          condition: { tagState: 'UNTAGGED', olderThan: `${(props.untaggedImageRetentionDays ?? 14) * 86_400}s` },
        },
      ],
      labels,
      lifecycle: retain ? { preventDestroy: true } : undefined,
      dependsOn: [...(props.services?.dependenciesFor('artifactregistry.googleapis.com') ?? []), ...(agentBinding ? [agentBinding] : [])],
    });

    this.registryName = this.repository.repositoryId;
    this.registryId = this.repository.id;
    this.imageUri = `${props.region}-docker.pkg.dev/${props.projectId}/${this.repository.repositoryId}`;
  }

  /** Pull images (`roles/artifactregistry.reader` on the repository) and decrypt with its key, if it has one. */
  grantPull(identity: IWorkloadIdentity): void {
    this.grant(identity, GCP_ROLES.registryPull, 'GcpImageRegistry.grantPull');
    this.key?.grantDecrypt(identity);
  }

  /** Push and pull images (`roles/artifactregistry.writer` on the repository) and use its key, if it has one. */
  grantPush(identity: IWorkloadIdentity): void {
    this.grant(identity, GCP_ROLES.registryPush, 'GcpImageRegistry.grantPush');
    this.key?.grantEncryptDecrypt(identity);
  }

  /**
   * Lets a principal that runs `cdktf deploy` (an IAM member) push the
   * runtime image Terraform builds (`docker_registry_image`) with
   * `roles/artifactregistry.writer` on this repository. No key role: the
   * Artifact Registry service agent encrypts with the CMEK key. Returns the
   * IAM member. `key` names the member's construct id (`Deploy-<key>`).
   */
  grantDeploy(principal: string, key: string): ArtifactRegistryRepositoryIamMember {
    const id = `Deploy-${key}`;
    return once(this, id, () =>
      new ArtifactRegistryRepositoryIamMember(this, id, {
        project: this.repository.project,
        location: this.repository.location,
        repository: this.repository.name,
        role: GCP_ROLES.deployPush,
        member: principal,
      }),
    );
  }

  private grant(identity: IWorkloadIdentity, role: string, operation: string): void {
    const gcp = identityOf(identity, 'gcp', operation);
    const id = grantId(role, gcp);
    once(this, id, () =>
      new ArtifactRegistryRepositoryIamMember(this, id, {
        project: this.repository.project,
        location: this.repository.location,
        repository: this.repository.name,
        role,
        member: gcp.principal,
      }),
    );
  }
}
