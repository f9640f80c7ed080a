import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { IImageRegistry, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { GcpCommonProps } from './common';
import { IGcpEncryptionKey, cmekOf } from './encryption-key';
import { GCP_ROLES } from './perms';
import { checkCommon, gcpIdentityOf, grantId, namingAndLabels, once } from './private/common';
import { checkPhysicalName } from './naming';
import { checkProjectId } from './private/validation';
import { PropChecks } from '../core/validate';

/** Props of {@link GcpImageRegistry}. */
export interface GcpImageRegistryProps extends GcpCommonProps {
  /**
   * The customer-managed key the repository encrypts images with
   * (CKV_GCP_84). Required while `customerManagedKey` is true; must be
   * omitted when it is false.
   * @default - none: give one unless `customerManagedKey` is false
   */
  readonly encryptionKey?: IGcpEncryptionKey;
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
  /**
   * The repository id (`google_artifact_registry_repository.repository_id`):
   * 1-63 lowercase letters, digits and hyphens, starting with a letter and
   * ending with a letter or digit, unique in the project and location.
   * @default - `<company>-<project>-<env>-runtime[-<suffix>]` from the naming helper
   */
  readonly physicalName?: string;
}

/** An existing Artifact Registry Docker repository ({@link GcpImageRegistry.fromExisting}). */
export interface GcpImageRegistryAttributes {
  /** The repository's full id, `projects/<project>/locations/<location>/repositories/<name>`. */
  readonly repositoryId: string;
  /**
   * The customer-managed key the repository encrypts with, if any: pull and
   * push grants then include the key role, as for a repository the platform
   * creates. The repository's encryption itself is not changed.
   * @default - none: grants give no key role
   */
  readonly encryptionKey?: IGcpEncryptionKey;
  /**
   * The project, location and repository name, needed only when
   * `repositoryId` is a token (known at apply time).
   * @default - read from `repositoryId`
   */
  readonly projectId?: string;
  /** @default - read from `repositoryId` (see projectId) */
  readonly location?: string;
  /** @default - read from `repositoryId` (see projectId) */
  readonly repositoryName?: string;
}

/**
 * An Artifact Registry Docker repository the GCP platform keeps its runtime
 * image in: one it creates ({@link GcpImageRegistry}) or an existing one
 * ({@link GcpImageRegistry.fromExisting}).
 */
export interface IGcpImageRegistry extends IImageRegistry {
  /** Always `gcp`. */
  readonly cloud: 'gcp';
  /** The repository name (the last part of its id). */
  readonly registryName: string;
  /** `projects/<p>/locations/<l>/repositories/<name>`. */
  readonly registryId: string;
  /** `<location>-docker.pkg.dev/<project>/<name>`. */
  readonly imageUri: string;
  /** The project of the repository. */
  readonly projectId: string;
  /** The location (region) of the repository. */
  readonly location: string;
  /** The customer-managed key the repository encrypts with, when known. */
  readonly encryptionKey?: IGcpEncryptionKey;
  /** True when the repository is managed elsewhere: the platform adds IAM members to it and changes nothing else. */
  readonly imported: boolean;
  /**
   * Lets a principal that runs `cdktf deploy` push the runtime image
   * (`roles/artifactregistry.writer` on the repository). Returns the IAM
   * member; `key` names its construct id (`Deploy-<key>`).
   */
  grantDeploy(principal: string, key: string): ArtifactRegistryRepositoryIamMember;
}

const REPOSITORY_ID = /^projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/locations\/([a-z]+(?:-[a-z]+)*[0-9]*)\/repositories\/([a-z]([a-z0-9-]{0,61}[a-z0-9])?)$/;

/**
 * The image registry: an Artifact Registry Docker repository
 * (`google_artifact_registry_repository`) encrypted with the customer-managed
 * key (unless `customerManagedKey` is false), with immutable tags and a cleanup policy for untagged images.
 */
export class GcpImageRegistry extends Construct implements IGcpImageRegistry {
  /**
   * References an existing Docker repository (created elsewhere). Nothing is
   * created for it and none of its settings are managed here (encryption,
   * immutable tags, cleanup policies stay as its owner set them); grants on
   * it are additive `google_artifact_registry_repository_iam_member`s.
   */
  static fromExisting(scope: Construct, id: string, attrs: GcpImageRegistryAttributes): IGcpImageRegistry {
    return new ImportedGcpImageRegistry(scope, id, attrs);
  }

  /** {@link fromExisting} with the repository id only (`projects/<p>/locations/<l>/repositories/<name>`). */
  static fromRepositoryId(scope: Construct, id: string, repositoryId: string): IGcpImageRegistry {
    return new ImportedGcpImageRegistry(scope, id, { repositoryId });
  }

  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The repository id. */
  public readonly registryName: string;
  /** `projects/<p>/locations/<r>/repositories/<repo>`. */
  public readonly registryId: string;
  /** `<region>-docker.pkg.dev/<project>/<repo>`. */
  public readonly imageUri: string;
  /** The project of the repository. */
  public readonly projectId: string;
  /** The location (region) of the repository. */
  public readonly location: string;
  /** The customer-managed key, undefined with Google-managed encryption. */
  public readonly encryptionKey?: IGcpEncryptionKey;
  /** Always false: this repository is created and managed here. */
  public readonly imported = false;
  private readonly repository: ArtifactRegistryRepository;

  constructor(scope: Construct, id: string, props: GcpImageRegistryProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkCommon(issues, 'GcpImageRegistry', this, props);
    const key = cmekOf(issues, 'GcpImageRegistry', this.node.path, props);
    new PropChecks(issues, 'GcpImageRegistry', this.node.path).int('untaggedImageRetentionDays', props.untaggedImageRetentionDays, 1, 3650);
    checkPhysicalName(new PropChecks(issues, 'GcpImageRegistry', this.node.path), 'physicalName', props.physicalName, 'artifactRepository');
    issues.throwIfAny('Invalid GcpImageRegistry props:');

    const { naming, labels } = namingAndLabels(props);
    const retain = props.retainData ?? true;
    const repositoryId = props.physicalName ?? naming.name('artifactRepository', 'runtime');
    this.encryptionKey = key;
    const agentBinding = key?.bindServiceAgent('artifactregistry', { projectId: props.projectId, services: props.services });

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

    this.projectId = props.projectId;
    this.location = props.region;
    this.registryName = this.repository.repositoryId;
    this.registryId = this.repository.id;
    this.imageUri = `${props.region}-docker.pkg.dev/${props.projectId}/${this.repository.repositoryId}`;
  }

  /** Pull images (`roles/artifactregistry.reader` on the repository) and decrypt with its key, if it has one. */
  grantPull(identity: IWorkloadIdentity): void {
    grantOnRepository(this, this.repository, identity, GCP_ROLES.registryPull, 'GcpImageRegistry.grantPull');
    this.encryptionKey?.grantDecrypt(identity);
  }

  /** Push and pull images (`roles/artifactregistry.writer` on the repository) and use its key, if it has one. */
  grantPush(identity: IWorkloadIdentity): void {
    grantOnRepository(this, this.repository, identity, GCP_ROLES.registryPush, 'GcpImageRegistry.grantPush');
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }

  /**
   * Lets a principal that runs `cdktf deploy` (an IAM member) push the
   * runtime image Terraform builds (`docker_registry_image`) with
   * `roles/artifactregistry.writer` on this repository. No key role: the
   * Artifact Registry service agent encrypts with the CMEK key. Returns the
   * IAM member. `key` names the member's construct id (`Deploy-<key>`).
   */
  grantDeploy(principal: string, key: string): ArtifactRegistryRepositoryIamMember {
    return deployOnRepository(this, this.repository, principal, key);
  }
}

/** The repository a member names: project, location and name. */
interface RepositoryRef {
  readonly project: string;
  readonly location: string;
  readonly name: string;
}

/** An existing repository ({@link GcpImageRegistry.fromExisting}): nothing created, additive IAM members only. */
class ImportedGcpImageRegistry extends Construct implements IGcpImageRegistry {
  public readonly cloud = 'gcp' as const;
  public readonly registryName: string;
  public readonly registryId: string;
  public readonly imageUri: string;
  public readonly projectId: string;
  public readonly location: string;
  public readonly encryptionKey?: IGcpEncryptionKey;
  public readonly imported = true;
  private readonly ref: RepositoryRef;

  constructor(scope: Construct, id: string, attrs: GcpImageRegistryAttributes) {
    super(scope, id);
    const C = 'GcpImageRegistry.fromExisting';
    const issues = new IssueCollector();
    const bad = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid(C, prop, value, accepted));
    const repositoryId = attrs?.repositoryId;
    let parsed: RegExpExecArray | null = null;
    if (typeof repositoryId !== 'string' || (!Token.isUnresolved(repositoryId) && !(parsed = REPOSITORY_ID.exec(repositoryId)))) {
      const hint =
        typeof repositoryId === 'string' && /-docker\.pkg\.dev\//.test(repositoryId)
          ? ' — not the image URI; for <location>-docker.pkg.dev/<project>/<name> write projects/<project>/locations/<location>/repositories/<name>'
          : '';
      bad(
        'repositoryId',
        repositoryId,
        `a repository id projects/<project>/locations/<location>/repositories/<name> (gcloud artifacts repositories describe <name> --location <location> --format "value(name)")${hint}`,
      );
    } else if (!parsed && (attrs.projectId === undefined || attrs.location === undefined || attrs.repositoryName === undefined)) {
      bad('projectId', attrs.projectId, 'given with location and repositoryName when repositoryId is known only at apply time (a token)');
    }
    if (attrs?.projectId !== undefined) checkProjectId(new PropChecks(issues, C, this.node.path), attrs.projectId);
    if (attrs?.location !== undefined) new PropChecks(issues, C, this.node.path).region('gcp', 'region', attrs.location);
    if (attrs?.repositoryName !== undefined) checkPhysicalName(new PropChecks(issues, C, this.node.path), 'repositoryName', attrs.repositoryName, 'artifactRepository');
    const agree = (prop: 'projectId' | 'location' | 'repositoryName', index: number): void => {
      const value = attrs[prop];
      if (parsed && typeof value === 'string' && !Token.isUnresolved(value) && value !== parsed[index])
        bad(prop, value, `the ${prop} of repositoryId (${parsed[index]}), or omitted`);
    };
    agree('projectId', 1);
    agree('location', 2);
    agree('repositoryName', 3);
    const key = attrs?.encryptionKey as { cloud?: unknown; keyId?: unknown } | undefined;
    if (key !== undefined && (key.cloud !== 'gcp' || typeof key.keyId !== 'string'))
      bad('encryptionKey', key.cloud ?? key, 'a GCP encryption key (GcpEncryptionKey, or GcpEncryptionKey.fromKeyId(...)) or nothing');
    issues.throwIfAny(`Invalid ${C} attributes:`);

    this.projectId = attrs.projectId ?? parsed![1]!;
    this.location = attrs.location ?? parsed![2]!;
    this.registryName = attrs.repositoryName ?? parsed![3]!;
    this.registryId = repositoryId;
    this.imageUri = `${this.location}-docker.pkg.dev/${this.projectId}/${this.registryName}`;
    this.encryptionKey = attrs.encryptionKey;
    this.ref = { project: this.projectId, location: this.location, name: this.registryName };
  }

  grantPull(identity: IWorkloadIdentity): void {
    grantOnRepository(this, this.ref, identity, GCP_ROLES.registryPull, 'GcpImageRegistry.grantPull');
    this.encryptionKey?.grantDecrypt(identity);
  }

  grantPush(identity: IWorkloadIdentity): void {
    grantOnRepository(this, this.ref, identity, GCP_ROLES.registryPush, 'GcpImageRegistry.grantPush');
    this.encryptionKey?.grantEncryptDecrypt(identity);
  }

  grantDeploy(principal: string, key: string): ArtifactRegistryRepositoryIamMember {
    return deployOnRepository(this, this.ref, principal, key);
  }
}

function grantOnRepository(host: Construct, repository: RepositoryRef, identity: IWorkloadIdentity, role: string, operation: string): void {
  const gcp = gcpIdentityOf(identity, operation);
  const id = grantId(role, gcp);
  once(
    host,
    id,
    () =>
      new ArtifactRegistryRepositoryIamMember(host, id, { project: repository.project, location: repository.location, repository: repository.name, role, member: gcp.principal }),
  );
}

function deployOnRepository(host: Construct, repository: RepositoryRef, principal: string, key: string): ArtifactRegistryRepositoryIamMember {
  const id = `Deploy-${key}`;
  return once(
    host,
    id,
    () =>
      new ArtifactRegistryRepositoryIamMember(host, id, {
        project: repository.project,
        location: repository.location,
        repository: repository.name,
        role: GCP_ROLES.deployPush,
        member: principal,
      }),
  );
}
