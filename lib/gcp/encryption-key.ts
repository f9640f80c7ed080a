import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { GoogleProjectServiceIdentity } from '@cdktf/provider-google-beta/lib/google-project-service-identity';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IEncryptionKey, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { GcpCommonProps } from './common';
import { GcpPlatformApi, GcpProjectServices } from './project-services';
import { GCP_ROLES, GCP_SERVICE_AGENT_KEY_ROLE, GCP_SERVICE_AGENT_MEMBERS, GCP_SERVICE_AGENT_ROLES, GcpServiceAgent, roleKey } from './perms';
import { betaProviderOverride, checkCommon, gcpIdentityOf, grantId, namingAndLabels, once } from './private/common';
import { checkPhysicalName } from './naming';
import { checkProjectId } from './private/validation';
import { PropChecks } from '../core/validate';

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
  /**
   * The crypto key's name (`google_kms_crypto_key.name`): 1-63 letters,
   * digits, hyphens and underscores. The key ring is named by `keyRingName`.
   * Cloud KMS never deletes key rings or keys, so a name cannot be reused in
   * its key ring once taken.
   * @default - `<company>-<project>-<env>-key` from the naming helper
   */
  readonly physicalName?: string;
  /**
   * The key ring's name (`google_kms_key_ring.name`): 1-63 letters, digits,
   * hyphens and underscores, unique in the project and location.
   * @default - `<company>-<project>-<env>-keys` from the naming helper
   */
  readonly keyRingName?: string;
}

/**
 * An existing Cloud KMS crypto key to use instead of creating one
 * ({@link GcpEncryptionKey.fromExisting}).
 */
export interface GcpEncryptionKeyAttributes {
  /** The crypto key id, `projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>`. */
  readonly keyId: string;
  /**
   * The project the key lives in (it may be a central KMS project, not the platform's).
   * @default - read from `keyId`; required when `keyId` is a token
   */
  readonly projectId?: string;
  /**
   * The key's location (a region such as `europe-west4`): a key encrypts
   * only resources of its own location.
   * @default - read from `keyId`; required when `keyId` is a token
   */
  readonly location?: string;
}

/** The project (and its enabled APIs) of a resource that uses a key as CMEK, whose service agent needs the key. */
export interface GcpKeyUser {
  /** The project of the resource that uses the key (its service agent is that project's). */
  readonly projectId: string;
  /**
   * The enabled APIs of that project, to create the agent after its API.
   * @default - no dependency on the API
   */
  readonly services?: GcpProjectServices;
}

/**
 * A Cloud KMS crypto key the GCP platform encrypts with: one it creates
 * ({@link GcpEncryptionKey}) or an existing one ({@link GcpEncryptionKey.fromExisting}).
 */
export interface IGcpEncryptionKey extends IEncryptionKey {
  /** Always `gcp`. */
  readonly cloud: 'gcp';
  /** The crypto key id, `projects/<p>/locations/<l>/keyRings/<ring>/cryptoKeys/<key>`. */
  readonly keyId: string;
  /** The crypto key name. */
  readonly keyName: string;
  /** The key ring id, `projects/<p>/locations/<l>/keyRings/<ring>`. */
  readonly keyRingId: string;
  /** The project the key lives in. */
  readonly projectId: string;
  /** The key's location (region). */
  readonly location: string;
  /** True when the key is managed elsewhere and only referenced here: the platform adds IAM members to it and changes nothing else. */
  readonly imported: boolean;
  /** Lets `identity` decrypt with the key (no-op when it may already encrypt and decrypt). */
  grantDecrypt(identity: IWorkloadIdentity): void;
  /**
   * Lets the Google service agent of `agent` in `user`'s project use the key
   * as CMEK (an additive `google_kms_crypto_key_iam_member`) and returns that
   * member, for the resource that uses the key to depend on. Idempotent.
   */
  bindServiceAgent(agent: GcpServiceAgent, user?: GcpKeyUser): KmsCryptoKeyIamMember;
}

const SECONDS_PER_DAY = 86_400;

const SERVICE_AGENT_APIS: Record<GcpServiceAgent, GcpPlatformApi> = {
  storage: 'storage.googleapis.com',
  artifactregistry: 'artifactregistry.googleapis.com',
  aiplatform: 'aiplatform.googleapis.com',
};

/** `projects/<p>/locations/<l>/keyRings/<ring>/cryptoKeys/<key>` (Cloud KMS key ring and key names: 1-63 of `[a-zA-Z0-9_-]`). */
const KEY_ID = /^projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/locations\/([a-z0-9-]+)\/keyRings\/([a-zA-Z0-9_-]{1,63})\/cryptoKeys\/([a-zA-Z0-9_-]{1,63})$/;

/**
 * A customer-managed Cloud KMS key (`google_kms_key_ring` +
 * `google_kms_crypto_key`, symmetric ENCRYPT_DECRYPT) rotated every 90 days.
 * The Google service agents of the services that use it as CMEK are bound on
 * demand through {@link bindServiceAgent}. Use {@link fromExisting} for a key
 * managed elsewhere (a landing zone's central KMS project).
 */
export class GcpEncryptionKey extends Construct implements IGcpEncryptionKey {
  /**
   * References an existing crypto key (created elsewhere, for example in a
   * central KMS project). Nothing is created for it and its settings
   * (rotation, protection level, deletion protection) are not managed here:
   * grants and service-agent bindings on it are additive
   * `google_kms_crypto_key_iam_member`s, never a policy or binding that
   * would replace members managed elsewhere.
   */
  static fromExisting(scope: Construct, id: string, attrs: GcpEncryptionKeyAttributes): IGcpEncryptionKey {
    return new ImportedGcpEncryptionKey(scope, id, attrs);
  }

  /** {@link fromExisting} with the crypto key id only (`projects/<p>/locations/<l>/keyRings/<ring>/cryptoKeys/<key>`). */
  static fromKeyId(scope: Construct, id: string, keyId: string): IGcpEncryptionKey {
    return new ImportedGcpEncryptionKey(scope, id, { keyId });
  }

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
  /** The key's location (the region it was created in). */
  public readonly location: string;
  /** Always false: this key is created and managed here. */
  public readonly imported = false;
  /** The rotation period as Cloud KMS writes it (`7776000s`). */
  public readonly rotationPeriod: string;
  private readonly services?: GcpProjectServices;

  constructor(scope: Construct, id: string, props: GcpEncryptionKeyProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkCommon(issues, 'GcpEncryptionKey', this, props);
    new PropChecks(issues, 'GcpEncryptionKey', this.node.path).int('rotationPeriodDays', props.rotationPeriodDays, 1, 36_500);
    checkPhysicalName(new PropChecks(issues, 'GcpEncryptionKey', this.node.path), 'physicalName', props.physicalName, 'kmsCryptoKey');
    checkPhysicalName(new PropChecks(issues, 'GcpEncryptionKey', this.node.path), 'keyRingName', props.keyRingName, 'kmsKeyRing');
    issues.throwIfAny('Invalid GcpEncryptionKey props:');

    const { naming, labels } = namingAndLabels(props);
    const retain = props.retainData ?? true;
    const lifecycle = retain ? { preventDestroy: true } : undefined;
    const dependsOn = props.services?.dependenciesFor('cloudkms.googleapis.com');

    const ring = new KmsKeyRing(this, 'KeyRing', {
      project: props.projectId,
      location: props.region,
      name: props.keyRingName ?? naming.name('kmsKeyRing', 'keys'),
      lifecycle,
      dependsOn,
    });
    this.rotationPeriod = `${(props.rotationPeriodDays ?? 90) * SECONDS_PER_DAY}s`;
    const key = new KmsCryptoKey(this, 'Resource', {
      keyRing: ring.id,
      name: props.physicalName ?? naming.name('kmsCryptoKey', 'key'),
      purpose: 'ENCRYPT_DECRYPT',
      rotationPeriod: this.rotationPeriod,
      versionTemplate: { algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION', protectionLevel: 'SOFTWARE' },
      labels,
      lifecycle,
    });
    // The key's own project number (for its service agents); created first so that ids stay stable.
    projectOf(this, props.projectId, props.projectId);

    this.services = props.services;
    this.projectId = props.projectId;
    this.location = props.region;
    this.keyId = key.id;
    this.keyName = key.name;
    this.keyRingId = ring.id;
    this.keyRingName = ring.name;
  }

  /** Lets `identity` encrypt and decrypt with the key (`google_kms_crypto_key_iam_member`). */
  grantEncryptDecrypt(identity: IWorkloadIdentity): void {
    grantEncryptDecrypt(this, this.keyId, identity, 'GcpEncryptionKey.grantEncryptDecrypt');
  }

  /** Lets `identity` decrypt with the key (no-op when it may already encrypt and decrypt). */
  grantDecrypt(identity: IWorkloadIdentity): void {
    grantDecrypt(this, this.keyId, identity, 'GcpEncryptionKey.grantDecrypt');
  }

  /**
   * Lets the Google service agent of `agent` use the key as CMEK and returns
   * the binding, for the resource that uses the key to depend on. Idempotent.
   * The agent is that of `user`'s project (default: the key's project and
   * enabled APIs): with a key in a central KMS project, the agent that
   * encrypts is the one of the project holding the bucket, repository or
   * Vertex AI resource.
   *
   * Google creates the Vertex AI and Artifact Registry service agents lazily,
   * on first use of their API, not when the API is enabled: a grant to one
   * that does not exist yet fails with "Service account … does not exist",
   * and everything that would use the API first waits for that grant. So the
   * agent is created first (`google_project_service_identity`, google-beta
   * provider) and the grant depends on it. Cloud Storage's agent is created
   * by the `google_storage_project_service_account` data source itself.
   */
  bindServiceAgent(agent: GcpServiceAgent, user?: GcpKeyUser): KmsCryptoKeyIamMember {
    return bindServiceAgent(this, this.keyId, agent, user ?? { projectId: this.projectId, services: this.services }, this.projectId);
  }
}

/** An existing crypto key ({@link GcpEncryptionKey.fromExisting}): nothing created, additive IAM members only. */
class ImportedGcpEncryptionKey extends Construct implements IGcpEncryptionKey {
  public readonly cloud = 'gcp' as const;
  public readonly keyId: string;
  public readonly keyName: string;
  public readonly keyRingId: string;
  public readonly projectId: string;
  public readonly location: string;
  public readonly imported = true;

  constructor(scope: Construct, id: string, attrs: GcpEncryptionKeyAttributes) {
    super(scope, id);
    const C = 'GcpEncryptionKey.fromExisting';
    const issues = new IssueCollector();
    const bad = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid(C, prop, value, accepted));
    const keyId = attrs?.keyId;
    let parsed: RegExpExecArray | null = null;
    if (typeof keyId !== 'string' || (!Token.isUnresolved(keyId) && !(parsed = KEY_ID.exec(keyId)))) {
      bad(
        'keyId',
        keyId,
        'a crypto key id projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key> (gcloud kms keys describe <key> --keyring <ring> --location <location> --format "value(name)")',
      );
    } else if (!parsed && (attrs.projectId === undefined || attrs.location === undefined)) {
      bad('projectId', attrs.projectId, 'given together with location when keyId is known only at apply time (a token): the project and location the key lives in');
    }
    if (attrs?.projectId !== undefined) checkProjectId(new PropChecks(issues, C, this.node.path), attrs.projectId);
    if (attrs?.location !== undefined) new PropChecks(issues, C, this.node.path).region('gcp', 'region', attrs.location);
    if (parsed && literal(attrs.projectId) && attrs.projectId !== parsed[1]) {
      bad('projectId', attrs.projectId, `the project of keyId (${parsed[1]}), or omitted`);
    }
    if (parsed && literal(attrs.location) && attrs.location !== parsed[2]) {
      bad('location', attrs.location, `the location of keyId (${parsed[2]}), or omitted`);
    }
    issues.throwIfAny(`Invalid ${C} attributes:`);

    const parts = Token.isUnresolved(keyId) ? undefined : keyId.split('/');
    this.keyId = keyId;
    this.projectId = attrs.projectId ?? parsed![1]!;
    this.location = attrs.location ?? parsed![2]!;
    this.keyName = parts ? parts[7]! : Fn.element(Fn.split('/', keyId), 7);
    this.keyRingId = parts ? parts.slice(0, 6).join('/') : Fn.join('/', Fn.slice(Fn.split('/', keyId), 0, 6));
  }

  grantEncryptDecrypt(identity: IWorkloadIdentity): void {
    grantEncryptDecrypt(this, this.keyId, identity, 'GcpEncryptionKey.grantEncryptDecrypt');
  }

  grantDecrypt(identity: IWorkloadIdentity): void {
    grantDecrypt(this, this.keyId, identity, 'GcpEncryptionKey.grantDecrypt');
  }

  bindServiceAgent(agent: GcpServiceAgent, user?: GcpKeyUser): KmsCryptoKeyIamMember {
    return bindServiceAgent(this, this.keyId, agent, user ?? { projectId: this.projectId }, this.projectId);
  }
}

function literal(value: string | undefined): value is string {
  return typeof value === 'string' && !Token.isUnresolved(value);
}

function grantOnKey(host: Construct, keyId: string, identity: IWorkloadIdentity, role: string, operation: string): IWorkloadIdentity {
  const gcp = gcpIdentityOf(identity, operation);
  const id = grantId(role, gcp);
  once(host, id, () => new KmsCryptoKeyIamMember(host, id, { cryptoKeyId: keyId, role, member: gcp.principal }));
  return gcp;
}

function grantEncryptDecrypt(host: Construct, keyId: string, identity: IWorkloadIdentity, operation: string): void {
  const gcp = grantOnKey(host, keyId, identity, GCP_ROLES.keyEncryptDecrypt, operation);
  // Encrypt/decrypt includes decrypt: drop a narrower member granted earlier.
  host.node.tryRemoveChild(grantId(GCP_ROLES.keyDecrypt, gcp));
}

function grantDecrypt(host: Construct, keyId: string, identity: IWorkloadIdentity, operation: string): void {
  const gcp = gcpIdentityOf(identity, operation);
  if (host.node.tryFindChild(grantId(GCP_ROLES.keyEncryptDecrypt, gcp))) return;
  grantOnKey(host, keyId, gcp, GCP_ROLES.keyDecrypt, operation);
}

/** `''` for the key's own project (the ids the platform always had), else `-<Project>`. */
function projectSuffix(projectId: string, keyProject: string): string {
  return projectId === keyProject ? '' : `-${roleKey(projectId)}`;
}

/** The `data google_project` of `projectId` under `host` (its number names the service agents). */
function projectOf(host: Construct, projectId: string, keyProject: string): DataGoogleProject {
  const id = `Project${projectSuffix(projectId, keyProject)}`;
  return once(host, id, () => new DataGoogleProject(host, id, { projectId }));
}

/** See {@link GcpEncryptionKey.bindServiceAgent}. */
function bindServiceAgent(host: Construct, keyId: string, agent: GcpServiceAgent, user: GcpKeyUser, keyProject: string): KmsCryptoKeyIamMember {
  const suffix = projectSuffix(user.projectId, keyProject);
  const id = `ServiceAgent-${agent}${suffix}`;
  return once(host, id, () => {
    const api = SERVICE_AGENT_APIS[agent];
    const apiEnabled = user.services?.dependenciesFor(api) ?? [];
    let member: string;
    let dependsOn: ITerraformDependable[];
    if (agent === 'storage') {
      const gcs = new DataGoogleStorageProjectServiceAccount(host, `StorageServiceAgent${suffix}`, { project: user.projectId, dependsOn: apiEnabled });
      member = gcs.member;
      dependsOn = apiEnabled;
    } else {
      const identity = serviceIdentity(host, agent, user, suffix);
      // The member is built from the project number (the API does not return
      // the email for every service: hashicorp/terraform-provider-google#18649);
      // the dependency on the identity is what makes the agent exist first.
      member = GCP_SERVICE_AGENT_MEMBERS[agent](projectOf(host, user.projectId, keyProject).number);
      // An agent created on request gets none of the roles Google grants one it
      // creates itself (cloud.google.com/iam/docs/create-service-agents): grant its
      // service-agent role, so the service works as it would have.
      const role = new ProjectIamMember(host, `ServiceAgentRole-${agent}${suffix}`, {
        project: user.projectId,
        role: GCP_SERVICE_AGENT_ROLES[agent],
        member,
        dependsOn: [identity],
      });
      dependsOn = [identity, role];
    }
    return new KmsCryptoKeyIamMember(host, id, { cryptoKeyId: keyId, role: GCP_SERVICE_AGENT_KEY_ROLE, member, dependsOn });
  });
}

/** The `google_project_service_identity` that creates the service agent of `agent` in `user`'s project (after its API is enabled). */
function serviceIdentity(host: Construct, agent: Exclude<GcpServiceAgent, 'storage'>, user: GcpKeyUser, suffix: string): GoogleProjectServiceIdentity {
  const id = `ServiceIdentity-${agent}${suffix}`;
  return once(host, id, () => {
    const identity = new GoogleProjectServiceIdentity(host, id, {
      project: user.projectId,
      service: SERVICE_AGENT_APIS[agent],
      dependsOn: user.services?.dependenciesFor(SERVICE_AGENT_APIS[agent]),
    });
    betaProviderOverride(identity);
    return identity;
  });
}

/** The props of a construct that encrypts with an optional customer-managed key. */
export interface CmekProps {
  readonly encryptionKey?: IGcpEncryptionKey;
  readonly customerManagedKey?: boolean;
}

/**
 * The customer-managed key `props` ask for, or undefined when
 * `customerManagedKey` is false (Google-managed encryption). Records a
 * problem when the key is on but missing, or off but given anyway.
 */
export function cmekOf(issues: IssueCollector, construct: string, path: string, props: CmekProps): IGcpEncryptionKey | undefined {
  const on = props.customerManagedKey ?? true;
  if (on && props.encryptionKey === undefined) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(
        construct,
        'encryptionKey',
        undefined,
        'a GCP encryption key (GcpEncryptionKey, or GcpEncryptionKey.fromKeyId) while customerManagedKey is true (the default); set customerManagedKey to false for Google-managed encryption',
      ),
    );
  }
  if (!on && props.encryptionKey !== undefined) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(construct, 'customerManagedKey', false, 'true (or unset) when an encryptionKey is given; omit encryptionKey for Google-managed encryption'),
    );
  }
  return on ? props.encryptionKey : undefined;
}
