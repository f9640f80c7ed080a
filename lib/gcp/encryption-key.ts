import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { GoogleProjectServiceIdentity } from '@cdktf/provider-google-beta/lib/google-project-service-identity';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IEncryptionKey, IWorkloadIdentity, identityOf } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { GcpCommonProps } from './common';
import { GcpPlatformApi, GcpProjectServices } from './project-services';
import { GCP_ROLES, GCP_SERVICE_AGENT_KEY_ROLE, GCP_SERVICE_AGENT_MEMBERS, GCP_SERVICE_AGENT_ROLES, GcpServiceAgent } from './perms';
import { betaProviderOverride, checkCommon, grantId, namingAndLabels, once } from './private/common';
import { checkInt } from './private/validation';

/** Props of {@link GcpEncryptionKey}. */
export interface GcpEncryptionKeyProps extends GcpCommonProps {
  /**
   * Days between automatic key rotations. Values above 90 relax CKV_GCP_43
   * (keys rotated at least every 90 days).
   * @default 90
   */
  readonly rotationPeriodDays?: number;
  /**
   * Keep the key ring and key on `cdktf destroy` (`prevent_destroy`,
   * CKV_GCP_82). Set false for throwaway environments.
   * @default true
   */
  readonly retainData?: boolean;
}

const SECONDS_PER_DAY = 86_400;

const SERVICE_AGENT_APIS: Record<GcpServiceAgent, GcpPlatformApi> = {
  storage: 'storage.googleapis.com',
  artifactregistry: 'artifactregistry.googleapis.com',
  aiplatform: 'aiplatform.googleapis.com',
};

/**
 * A customer-managed Cloud KMS key (`google_kms_key_ring` +
 * `google_kms_crypto_key`, symmetric ENCRYPT_DECRYPT) rotated every 90 days.
 * The Google service agents of the services that use it as CMEK are bound on
 * demand through {@link bindServiceAgent}.
 */
export class GcpEncryptionKey extends Construct implements IEncryptionKey {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The crypto key id, `projects/<p>/locations/<r>/keyRings/<ring>/cryptoKeys/<key>`. */
  public readonly keyId: string;
  /** The crypto key name. */
  public readonly keyName: string;
  /** The key ring id. */
  public readonly keyRingId: string;
  /** The key ring name. */
  public readonly keyRingName: string;
  /** The project the key lives in. */
  public readonly projectId: string;
  /** The rotation period as Cloud KMS writes it (`7776000s`). */
  public readonly rotationPeriod: string;
  private readonly project: DataGoogleProject;
  private readonly services?: GcpProjectServices;

  constructor(scope: Construct, id: string, props: GcpEncryptionKeyProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkCommon(issues, 'GcpEncryptionKey', this, props);
    checkInt(issues, 'GcpEncryptionKey', this.node.path, 'rotationPeriodDays', props.rotationPeriodDays, 1, 36_500);
    issues.throwIfAny('Invalid GcpEncryptionKey props:');

    const { naming, labels } = namingAndLabels(props);
    const retain = props.retainData ?? true;
    const lifecycle = retain ? { preventDestroy: true } : undefined;
    const dependsOn = props.services?.dependenciesFor('cloudkms.googleapis.com');

    const ring = new KmsKeyRing(this, 'KeyRing', {
      project: props.projectId,
      location: props.region,
      name: naming.name('kmsKeyRing', 'keys'),
      lifecycle,
      dependsOn,
    });
    this.rotationPeriod = `${(props.rotationPeriodDays ?? 90) * SECONDS_PER_DAY}s`;
    const key = new KmsCryptoKey(this, 'Resource', {
      keyRing: ring.id,
      name: naming.name('kmsCryptoKey', 'key'),
      purpose: 'ENCRYPT_DECRYPT',
      rotationPeriod: this.rotationPeriod,
      versionTemplate: { algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION', protectionLevel: 'SOFTWARE' },
      labels,
      lifecycle,
    });
    this.project = new DataGoogleProject(this, 'Project', { projectId: props.projectId });

    this.services = props.services;
    this.projectId = props.projectId;
    this.keyId = key.id;
    this.keyName = key.name;
    this.keyRingId = ring.id;
    this.keyRingName = ring.name;
  }

  /** Lets `identity` encrypt and decrypt with the key (`google_kms_crypto_key_iam_member`). */
  grantEncryptDecrypt(identity: IWorkloadIdentity): void {
    const gcp = this.grant(identity, GCP_ROLES.keyEncryptDecrypt, 'GcpEncryptionKey.grantEncryptDecrypt');
    // Encrypt/decrypt includes decrypt: drop a narrower member granted earlier.
    this.node.tryRemoveChild(grantId(GCP_ROLES.keyDecrypt, gcp));
  }

  /** Lets `identity` decrypt with the key (no-op when it may already encrypt and decrypt). */
  grantDecrypt(identity: IWorkloadIdentity): void {
    const gcp = identityOf(identity, 'gcp', 'GcpEncryptionKey.grantDecrypt');
    if (this.node.tryFindChild(grantId(GCP_ROLES.keyEncryptDecrypt, gcp))) return;
    this.grant(gcp, GCP_ROLES.keyDecrypt, 'GcpEncryptionKey.grantDecrypt');
  }

  /**
   * Lets the Google service agent of `agent` use the key as CMEK and returns
   * the binding, for the resource that uses the key to depend on. Idempotent.
   *
   * Google creates the Vertex AI and Artifact Registry service agents lazily,
   * on first use of their API, not when the API is enabled: a grant to one
   * that does not exist yet fails with "Service account … does not exist",
   * and everything that would use the API first waits for that grant. So the
   * agent is created first (`google_project_service_identity`, google-beta
   * provider) and the grant depends on it. Cloud Storage's agent is created
   * by the `google_storage_project_service_account` data source itself.
   */
  bindServiceAgent(agent: GcpServiceAgent): KmsCryptoKeyIamMember {
    const id = `ServiceAgent-${agent}`;
    return once(this, id, () => {
      const api = SERVICE_AGENT_APIS[agent];
      const apiEnabled = this.services?.dependenciesFor(api) ?? [];
      let member: string;
      let dependsOn: ITerraformDependable[];
      if (agent === 'storage') {
        const gcs = new DataGoogleStorageProjectServiceAccount(this, 'StorageServiceAgent', { project: this.projectId, dependsOn: apiEnabled });
        member = gcs.member;
        dependsOn = apiEnabled;
      } else {
        const identity = this.serviceIdentity(agent);
        // The member is built from the project number (the API does not return
        // the email for every service: hashicorp/terraform-provider-google#18649);
        // the dependency on the identity is what makes the agent exist first.
        member = GCP_SERVICE_AGENT_MEMBERS[agent](this.project.number);
        // An agent created on request gets none of the roles Google grants one it
        // creates itself (cloud.google.com/iam/docs/create-service-agents): grant its
        // service-agent role, so the service works as it would have.
        const role = new ProjectIamMember(this, `ServiceAgentRole-${agent}`, {
          project: this.projectId,
          role: GCP_SERVICE_AGENT_ROLES[agent],
          member,
          dependsOn: [identity],
        });
        dependsOn = [identity, role];
      }
      return new KmsCryptoKeyIamMember(this, id, { cryptoKeyId: this.keyId, role: GCP_SERVICE_AGENT_KEY_ROLE, member, dependsOn });
    });
  }

  /** The `google_project_service_identity` that creates the service agent of `agent` (after its API is enabled). */
  private serviceIdentity(agent: Exclude<GcpServiceAgent, 'storage'>): GoogleProjectServiceIdentity {
    const id = `ServiceIdentity-${agent}`;
    return once(this, id, () => {
      const identity = new GoogleProjectServiceIdentity(this, id, {
        project: this.projectId,
        service: SERVICE_AGENT_APIS[agent],
        dependsOn: this.services?.dependenciesFor(SERVICE_AGENT_APIS[agent]),
      });
      betaProviderOverride(identity);
      return identity;
    });
  }

  private grant(identity: IWorkloadIdentity, role: string, operation: string): IWorkloadIdentity {
    const gcp = identityOf(identity, 'gcp', operation);
    const id = grantId(role, gcp);
    once(this, id, () => new KmsCryptoKeyIamMember(this, id, { cryptoKeyId: this.keyId, role, member: gcp.principal }));
    return gcp;
  }
}
