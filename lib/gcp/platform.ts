import { DataGoogleClientOpenidUserinfo } from '@cdktf/provider-google/lib/data-google-client-openid-userinfo';
import { ensureUniquePhysicalNames } from '../core/unique-names';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { Aspects, Fn, IAspect, TerraformResource, TerraformStack, Token, dependable } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { IMlPlatform } from '../core/contracts';
import { ErrorCode, IssueCollector, messages, withArticle } from '../core/errors';
import { NetworkMode, checkDeployers, resolveNetwork } from '../core/network';
import { PlatformBaseProps, toNaming } from '../core/platform-props';
import { GcpArtifactStore, IGcpArtifactStore } from './artifact-store';
import { GcpEncryptionKey, IGcpEncryptionKey } from './encryption-key';
import { GcpImageRegistry, IGcpImageRegistry } from './image-registry';
import { GcpModelRegistry } from './model-registry';
import { GcpNetwork, IGcpNetwork, checkGcpNetwork } from './network';
import { GcpServiceAgent } from './perms';
import { GCP_PLATFORM_APIS, GcpProjectServices } from './project-services';
import { GcpTrainingCompute } from './training-compute';
import { GcpWorkloadIdentity, IGcpWorkloadIdentity } from './workload-identity';
import { GcpMlWorkspace } from './workspace';
import { checkProjectId } from './private/validation';
import { PropChecks } from '../core/validate';
import { SETTING_RANGES } from '../core/settings';

/** Props of {@link GcpMlPlatform}. */
export interface GcpMlPlatformProps extends PlatformBaseProps {
  /** The GCP project the platform is deployed into. */
  readonly projectId: string;
  /** The region of the platform's resources and Vertex AI (e.g. `europe-west4`). */
  readonly region: string;
  /**
   * Existing resources to use instead of creating them (Terraform modules'
   * `existing_*` inputs): for each one given, the platform creates no such
   * resource and still wires everything to it — Vertex AI, the grants, the
   * service-agent key grants, deployments, CI and alerts. Imported resources
   * are only ever given additive IAM members; their settings stay as their
   * owner set them (see the README, "Bring your own").
   * @default - the platform creates every resource
   */
  readonly existing?: GcpExistingResources;
}

/** Existing resources a {@link GcpMlPlatform} uses instead of creating its own. */
export interface GcpExistingResources {
  /**
   * The Cloud KMS key the platform's resources (bucket, repository,
   * TensorBoard, training jobs, endpoints) encrypt with
   * (`GcpEncryptionKey.fromKeyId`). It must be in the platform's region.
   * @default - a key ring and key are created
   */
  readonly encryptionKey?: IGcpEncryptionKey;
  /**
   * The bucket for datasets and model artifacts (`GcpArtifactStore.fromBucketName`).
   * @default - a bucket is created
   */
  readonly artifactStore?: IGcpArtifactStore;
  /**
   * The Docker repository for the runtime image (`GcpImageRegistry.fromRepositoryId`).
   * @default - a repository is created
   */
  readonly imageRegistry?: IGcpImageRegistry;
  /**
   * The service account jobs and endpoints run as
   * (`GcpWorkloadIdentity.fromServiceAccountEmail`), in the platform's project.
   * @default - a service account is created
   */
  readonly identity?: IGcpWorkloadIdentity;
  /**
   * The VPC network of `private` mode (`GcpNetwork.fromExisting`); needs
   * `network.mode: 'private'` and replaces `network.existing.gcp`.
   * @default - the network of `network` (created in private mode)
   */
  readonly network?: IGcpNetwork;
}

/**
 * The ML platform on GCP: the enabled APIs, a Cloud KMS key, a CMEK Cloud
 * Storage artifact bucket, a CMEK Artifact Registry repository, Vertex AI
 * (workspace with TensorBoard, Model Registry, training compute) and a
 * dedicated service account granted only what the platform needs.
 *
 * `network.mode` decides how the data planes are reached ({@link GcpNetwork}):
 * `public` (IAM only), `firewalled` (IAM; the bucket IP-filtered to
 * `allowedIpRanges` when given) or `private` (a VPC network with Private
 * Google Access, Vertex AI jobs attached to it through a network attachment,
 * scoring endpoints behind Private Service Connect). The deployers (the
 * `deployers` prop, or the principal running Terraform) get exactly the
 * data-plane roles Terraform needs ({@link grantDeploy}).
 */
export class GcpMlPlatform extends Construct implements IMlPlatform {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The enabled Google APIs. */
  public readonly services: GcpProjectServices;
  /** The Vertex AI workspace. */
  public readonly workspace: GcpMlWorkspace;
  /** The Artifact Registry repository for the runtime image (created, or `existing.imageRegistry`). */
  public readonly imageRegistry: IGcpImageRegistry;
  /** The Vertex AI Model Registry. */
  public readonly modelRegistry: GcpModelRegistry;
  /** The Cloud Storage artifact bucket (created, or `existing.artifactStore`). */
  public readonly artifactStore: IGcpArtifactStore;
  /** The Cloud KMS key every store is encrypted with (created, or `existing.encryptionKey`). */
  public readonly encryptionKey: IGcpEncryptionKey;
  /** The service account jobs and endpoints run as (created, or `existing.identity`). */
  public readonly identity: IGcpWorkloadIdentity;
  /** The training machine spec. */
  public readonly trainingCompute: GcpTrainingCompute;
  /** True in `public` network mode (no IP filter on the bucket). */
  public readonly publicNetworkAccess: boolean;
  /** The network the data planes are reached through (and, in `private` mode, the VPC; `existing.network` when given). */
  public readonly network: IGcpNetwork;
  /** The deployers' grants on the bucket (what an object upload waits for) and on the repository (what an image push waits for). */
  private readonly deployGrants: { readonly bucket: TerraformResource[]; readonly repository: TerraformResource[] } = { bucket: [], repository: [] };
  private readonly deployerList: string[] = [];

  constructor(scope: Construct, id: string, props: GcpMlPlatformProps) {
    super(scope, id);
    // Two resources of the stack with one physical name fail the synth, naming both (MLOPS_DUPLICATE_NAME).
    ensureUniquePhysicalNames(this);
    const naming = toNaming(props.naming);
    const issues = new IssueCollector();
    for (const issue of naming.check('gcp')) issues.add(issue.code, issue.path, issue.message);
    const display = naming.tryName('vertexDisplayName', 'experiments');
    if (typeof display !== 'string') issues.add(display.code, display.path, display.message);
    checkProjectId(new PropChecks(issues, 'GcpMlPlatform', this.node.path), props.projectId);
    new PropChecks(issues, 'GcpMlPlatform', this.node.path).region('gcp', 'region', props.region);
    new PropChecks(issues, 'GcpMlPlatform', this.node.path).number('training.maxNodes', props.training?.maxNodes, SETTING_RANGES.training.maxNodes);
    checkDeployers(issues, 'gcp', 'GcpMlPlatform', this.node.path, props.deployers, (v) => Token.isUnresolved(v));
    const net = resolveNetwork(props.network);
    checkGcpNetwork(new PropChecks(issues, 'GcpMlPlatform', this.node.path), {
      region: props.region,
      mode: net.mode,
      allowedIpRanges: net.allowedIpRanges,
      addressSpace: props.network?.addressSpace,
      existing: net.existing.gcp,
    });
    const existing = checkExisting(issues, this.node.path, props, net.mode, net.existing.gcp !== undefined, net.allowedIpRanges.length > 0);
    issues.throwIfAny('Invalid GcpMlPlatform props:');

    const common = { naming, projectId: props.projectId, region: props.region, tags: props.tags };
    this.publicNetworkAccess = net.mode === 'public';
    const retainData = props.retainData ?? true;

    this.services = new GcpProjectServices(this, 'Apis', {
      projectId: props.projectId,
      apis: net.mode === 'private' ? [...GCP_PLATFORM_APIS, 'compute.googleapis.com'] : undefined,
    });
    const withServices = { ...common, services: this.services };
    this.network =
      existing.network ??
      new GcpNetwork(this, 'Network', {
        ...withServices,
        mode: net.mode,
        allowedIpRanges: net.allowedIpRanges,
        addressSpace: props.network?.addressSpace,
        existing: net.existing.gcp,
      });
    this.encryptionKey = existing.encryptionKey ?? new GcpEncryptionKey(this, 'Key', { ...withServices, retainData });
    this.artifactStore =
      existing.artifactStore ??
      new GcpArtifactStore(this, 'ArtifactStore', {
        ...withServices,
        encryptionKey: this.encryptionKey,
        retainData,
        publicNetworkAccess: this.publicNetworkAccess,
        allowedIpRanges: this.network.allowedIpRanges,
        vpcNetworks: this.network.networkId ? [this.network.networkId] : [],
      });
    this.imageRegistry = existing.imageRegistry ?? new GcpImageRegistry(this, 'ImageRegistry', { ...withServices, encryptionKey: this.encryptionKey, retainData });
    this.modelRegistry = new GcpModelRegistry(this, 'ModelRegistry', { projectId: props.projectId, region: props.region });
    this.workspace = new GcpMlWorkspace(this, 'Workspace', { ...withServices, encryptionKey: this.encryptionKey, retainData });
    this.identity = existing.identity ?? new GcpWorkloadIdentity(this, 'Identity', { naming, projectId: props.projectId, services: this.services });
    this.trainingCompute = new GcpTrainingCompute(this, 'TrainingCompute', props.training ?? {});

    this.artifactStore.grantReadWrite(this.identity);
    this.imageRegistry.grantPull(this.identity);
    this.modelRegistry.grantWrite(this.identity);
    this.workspace.grantUse(this.identity);
    this.encryptionKey.grantEncryptDecrypt(this.identity);

    for (const deployer of props.deployers ?? [this.callerMember()]) this.grantDeploy(deployer);
    // Terraform's own data-plane writes to this platform wait for the deployers' grants.
    Aspects.of(TerraformStack.of(this)).add(new DeployGrantsFirst(this));
  }

  /**
   * The principals that run Terraform for the platform: the `deployers`
   * prop (or the principal running Terraform) and every principal added
   * with {@link grantDeploy} (a CI identity), as IAM members or tokens.
   */
  get deployers(): readonly string[] {
    return [...this.deployerList];
  }

  /**
   * Lets `principal` (an IAM member: `user:`, `group:`, `serviceAccount:`)
   * do what Terraform does through the platform's data planes: upload the
   * training data (`roles/storage.objectUser` on the bucket) and push the
   * runtime image (`roles/artifactregistry.writer` on the repository).
   * Those writes wait for these grants. GCP has no identity deny on the
   * platform to exempt it from; the bucket's IP filter (when on) is a
   * network control: deployers run inside `allowedIpRanges` or, in
   * `private` mode, inside the VPC. Idempotent.
   */
  grantDeploy(principal: string): void {
    if (this.deployerList.includes(principal)) return;
    const key = String(this.deployerList.length);
    this.deployerList.push(principal);
    this.deployGrants.bucket.push(this.artifactStore.grantDeploy(principal, key));
    this.deployGrants.repository.push(this.imageRegistry.grantDeploy(principal, key));
  }

  /** The deployers' data-plane grants: on the bucket (an object upload waits for them) and on the repository (an image push does). */
  get deployerGrants(): { readonly bucket: readonly TerraformResource[]; readonly repository: readonly TerraformResource[] } {
    return { bucket: [...this.deployGrants.bucket], repository: [...this.deployGrants.repository] };
  }

  /**
   * Lets the Google service agent of `agent` in the platform's project use
   * the platform key as CMEK (a key in a central KMS project included) and
   * returns that member: what a Vertex AI job or endpoint encrypting with
   * the key waits for. Idempotent.
   */
  bindKeyServiceAgent(agent: GcpServiceAgent): KmsCryptoKeyIamMember {
    return this.encryptionKey.bindServiceAgent(agent, { projectId: this.workspace.projectId, services: this.services });
  }

  /**
   * The IAM member of whoever runs Terraform (`data google_client_openid_userinfo`):
   * `serviceAccount:<email>` for a service account, else `user:<email>`.
   * The credentials need the `userinfo.email` scope for the email to be known.
   */
  private callerMember(): string {
    const caller = new DataGoogleClientOpenidUserinfo(this, 'Caller', {});
    return Fn.join('', [Fn.conditional(Fn.endswith(caller.email, '.gserviceaccount.com'), 'serviceAccount:', 'user:'), caller.email]);
  }
}

/** `existing` with every resource of the right shape, or recorded problems. */
function checkExisting(
  issues: IssueCollector,
  path: string,
  props: GcpMlPlatformProps,
  mode: NetworkMode,
  hasExistingGcpNetwork: boolean,
  hasRanges: boolean,
): GcpExistingResources {
  const existing = props.existing ?? {};
  const C = 'GcpMlPlatform';
  const bad = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(C, `existing.${prop}`, value, accepted));
  const literal = (v: unknown): v is string => typeof v === 'string' && !Token.isUnresolved(v);
  const shaped = (value: unknown, members: readonly string[]): boolean =>
    typeof value === 'object' && value !== null && (value as { cloud?: unknown }).cloud === 'gcp' && members.every((m) => (value as Record<string, unknown>)[m] !== undefined);
  const describe = (value: unknown): unknown =>
    typeof value === 'object' && value !== null ? withArticle(`${(value as { cloud?: unknown }).cloud ?? 'non-GCP'} ${value.constructor?.name ?? 'object'}`) : value;
  const { encryptionKey: key, artifactStore: store, imageRegistry: registry, identity, network } = existing;
  if (key !== undefined) {
    if (!shaped(key, ['keyId', 'location', 'bindServiceAgent', 'grantDecrypt'])) {
      bad(
        'encryptionKey',
        describe(key),
        'a GCP encryption key: GcpEncryptionKey.fromKeyId(scope, id, "projects/<p>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>") or a GcpEncryptionKey',
      );
    } else if (literal(key.location) && literal(props.region) && key.location !== props.region) {
      bad(
        'encryptionKey',
        key.keyId,
        `a key in the platform's region ${props.region} (it is in ${key.location}): Cloud Storage, Artifact Registry and Vertex AI encrypt only with a key of their own location; create or pick a key ring in ${props.region}`,
      );
    }
  }
  if (store !== undefined && !shaped(store, ['storeName', 'grantDeploy', 'grantReadWrite'])) {
    bad('artifactStore', describe(store), 'a GCP artifact store: GcpArtifactStore.fromBucketName(scope, id, "<bucket>") or a GcpArtifactStore');
  }
  if (registry !== undefined && !shaped(registry, ['registryName', 'projectId', 'location', 'grantDeploy', 'grantPull'])) {
    bad(
      'imageRegistry',
      describe(registry),
      'a GCP image registry: GcpImageRegistry.fromRepositoryId(scope, id, "projects/<p>/locations/<l>/repositories/<name>") or a GcpImageRegistry',
    );
  }
  if (identity !== undefined) {
    if (!shaped(identity, ['email', 'projectId', 'principal'])) {
      bad(
        'identity',
        describe(identity),
        'a GCP service account: GcpWorkloadIdentity.fromServiceAccountEmail(scope, id, "<id>@<project>.iam.gserviceaccount.com") or a GcpWorkloadIdentity',
      );
    } else if (literal(identity.projectId) && literal(props.projectId) && identity.projectId !== props.projectId) {
      bad(
        'identity',
        identity.email,
        `a service account of the platform's project ${props.projectId} (it belongs to ${identity.projectId}): Vertex AI runs jobs and endpoints as a service account of its own project unless cross-project service account use is enabled by organization policy; create or pick one in ${props.projectId}`,
      );
    }
  }
  if (network !== undefined) {
    if (!shaped(network, ['mode', 'dependables']) || network.mode !== 'private') {
      bad('network', describe(network), 'a private-mode GCP network: GcpNetwork.fromExisting(scope, id, { network, subnetwork })');
    } else {
      if (mode !== 'private')
        bad('network', network.networkId, `used with network.mode private only (mode is ${mode}): set network: { mode: 'private' }, or remove existing.network`);
      if (hasExistingGcpNetwork) bad('network', network.networkId, 'given once: remove network.existing.gcp (existing.network replaces it)');
      if (hasRanges) bad('network', network.networkId, 'given with its ranges: move network.allowedIpRanges to GcpNetwork.fromExisting(..., { allowedIpRanges })');
      if (literal(network.region) && literal(props.region) && network.region !== props.region) {
        bad(
          'network',
          network.subnetworkId,
          `a subnetwork in the platform's region ${props.region} (it is in ${network.region}): Private Service Connect endpoints and network attachments are regional`,
        );
      }
    }
  }
  return existing;
}

/**
 * Makes Terraform's data-plane writes to a platform (an object uploaded to
 * its bucket, an image pushed to its repository) depend on the deployers'
 * grants there, wherever in the stack they are declared.
 */
class DeployGrantsFirst implements IAspect {
  constructor(private readonly platform: GcpMlPlatform) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const grants = this.platform.deployerGrants;
    let wait: readonly TerraformResource[] = [];
    if (node instanceof StorageBucketObject && node.bucketInput === this.platform.artifactStore.storeName) {
      wait = grants.bucket;
    } else if (node.terraformResourceType === 'docker_registry_image' && this.pushesToRegistry(node)) {
      wait = grants.repository;
    }
    for (const grant of wait) {
      const ref = dependable(grant);
      if (!(node.dependsOn ?? []).includes(ref)) node.dependsOn = [...(node.dependsOn ?? []), ref];
    }
  }

  /** A push's name refers to the `docker_image` built next to it (RuntimeImage): does that one name this platform's repository? */
  private pushesToRegistry(push: TerraformResource): boolean {
    const uri = this.platform.imageRegistry.imageUri;
    const names = [push, ...(push.node.scope?.node.children ?? [])]
      .filter((c): c is TerraformResource => c instanceof TerraformResource && (c === push || c.terraformResourceType === 'docker_image'))
      .map((c) => String((c as { nameInput?: unknown }).nameInput ?? ''));
    return names.some((n) => n.startsWith(`${uri}/`) || n.startsWith(`${uri}:`));
  }
}
