import { createHash } from 'crypto';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { IamWorkloadIdentityPool } from '@cdktf/provider-google/lib/iam-workload-identity-pool';
import { IamWorkloadIdentityPoolProvider } from '@cdktf/provider-google/lib/iam-workload-identity-pool-provider';
import { KmsKeyRingIamMember } from '@cdktf/provider-google/lib/kms-key-ring-iam-member';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Annotations, DefaultTokenResolver, Lazy, StringConcat, TerraformStack, Token, Tokenization } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ErrorCode, IssueCollector, messages, show } from '../core/errors';
import { NameRule, Naming, NamingParts, sanitise } from '../core/naming';
import { toNaming } from '../core/platform-props';
import { GcpMlPlatform } from '../gcp/platform';
import { checkPhysicalName } from '../gcp/naming';
import { GCP_ROLES, roleKey } from '../gcp/perms';
import { GITHUB_OIDC_ISSUER, GithubRepositoryProps, GithubSubject, checkGithubProps, githubSubjects, resolveGithub } from './github';
import { checkSubjectLength, loginOutputs } from './private/util';
import { Policy } from '../policy/suppression';
import { PropChecks } from '../core/validate';

/** Project-level roles of the GCP CI deployer, and why each (Vertex AI and project metadata have no narrower scope). */
export const GCP_CI_PROJECT_ROLES = {
  /** Read project metadata and the project IAM policy: `data google_project` (the project number) and the refresh of the stack's project-level grants. */
  projectRead: 'roles/browser',
  /** Read the enabled APIs (`google_project_service` refresh). Enabling an API the platform adds later is a person's deploy. */
  servicesRead: 'roles/serviceusage.serviceUsageViewer',
  /** Vertex AI has no resource-level IAM: the workspace TensorBoard and the release step's custom jobs, model uploads and endpoints. */
  vertex: 'roles/aiplatform.user',
  /** Refresh the CI pool and provider, read only: CI cannot change who may sign in as it. */
  federationRead: 'roles/iam.workloadIdentityPoolViewer',
  /** Manage the stack's project-level grants, limited by a condition to exactly the roles the stack grants. */
  grantAdmin: 'roles/resourcemanager.projectIamAdmin',
} as const;

/** Project-level roles added with `release` (the gate and rollout read endpoint metrics). */
export const GCP_CI_RELEASE_ROLES: readonly string[] = ['roles/monitoring.viewer'];
/** Project-level roles added with `alerts` (alert policies and notification channels have no resource-level IAM). */
export const GCP_CI_ALERT_ROLES: readonly string[] = ['roles/monitoring.alertPolicyEditor', 'roles/monitoring.notificationChannelEditor'];

/**
 * Project-level roles added when the stack has Cloud Scheduler jobs (a pipeline's schedules): create,
 * update and delete them (Cloud Scheduler has no job-level IAM). Updating a job whose token is a service
 * account's also needs act-as on that account ({@link GCP_CI_RESOURCE_ROLES.schedulerServiceAccount}).
 */
export const GCP_CI_SCHEDULE_ROLES: readonly string[] = ['roles/cloudscheduler.admin'];

/**
 * Project-level roles added when the stack defines custom roles (a pipeline schedule's trigger role):
 * read them, never change them. A custom role CI could edit would be a way around the grant limit (CI may
 * grant that role), so creating or changing one is a person's deploy.
 */
export const GCP_CI_CUSTOM_ROLE_ROLES: readonly string[] = ['roles/iam.roleViewer'];

/**
 * Project-level roles added in `private` network mode: the VPC network, subnets, network attachment,
 * the endpoint's reserved address and its Private Service Connect forwarding rule (Compute Engine
 * networks have no resource-level IAM).
 */
export const GCP_CI_PRIVATE_NETWORK_ROLES: readonly string[] = ['roles/compute.networkAdmin'];

/** Resource-level roles of the GCP CI deployer on the platform's resources. */
export const GCP_CI_RESOURCE_ROLES = {
  /** On the key ring: manage the platform key, its rotation and its IAM (the service-agent and workload grants); no encrypt/decrypt. */
  keyRing: 'roles/cloudkms.admin',
  /** On the artifact bucket: its settings and bucket IAM (the workload grant). */
  bucket: 'roles/storage.admin',
  /** On the image repository: its settings, cleanup policy and IAM, and pushing the runtime image. */
  repository: 'roles/artifactregistry.admin',
  /** On the workload service account: act as it (Vertex AI jobs and endpoints run as it) and read it. */
  workloadServiceAccount: 'roles/iam.serviceAccountUser',
  /**
   * On the workload service account and each schedule's service account: read who may act as it (Terraform
   * refreshes the act-as grants the stack keeps there). CI never changes who may act as a service account:
   * adding or removing such a grant is a person's deploy.
   */
  serviceAccountIamRead: 'roles/iam.serviceAccountViewer',
  /** On each service account a Cloud Scheduler job of the stack runs as: act as it (creating or updating the job needs it) and read it. */
  schedulerServiceAccount: 'roles/iam.serviceAccountUser',
  /** On the CI service account itself: read it and its IAM policy, nothing more. */
  ownServiceAccount: 'roles/iam.serviceAccountViewer',
} as const;

/**
 * What the GCP CI deployer may do with a resource (or data source) type of the stack:
 * - `manage`: create, update and delete it;
 * - `update`: refresh it and change it in place; creating or replacing it is a person's deploy
 *   (it needs a project-level create right CI does not hold);
 * - `read`: refresh it only; any change is a person's deploy (who may sign in as CI, who may act as a
 *   service account, custom roles, enabled APIs);
 * - `local`: not a cloud resource (an image built where Terraform runs, a trigger value).
 */
export type GcpCiAccess = 'manage' | 'update' | 'read' | 'local';

/** A type's {@link GcpCiAccess} and the CI roles (project or resource level) it rests on. */
export interface GcpCiTypeAccess {
  readonly access: GcpCiAccess;
  /** Every role this access needs; CI holds each where the type's resources are. */
  readonly roles: readonly string[];
}

const R = GCP_CI_RESOURCE_ROLES;
const P = GCP_CI_PROJECT_ROLES;

/**
 * The CI deployer's access to every resource and data source type the GCP stacks synthesize, and the
 * roles it rests on: the one home of "what may CI do with this type". `test/gcp-ci-rights.test.ts`
 * checks the shipped GCP stacks against it both ways: every type they synthesize is listed with roles CI
 * holds, and every role CI holds is one a listed type (or the release step) needs. A new resource type
 * without an entry fails that test.
 */
export const GCP_CI_TYPE_ACCESS: Readonly<Record<string, GcpCiTypeAccess>> = {
  // Platform stores: CI holds admin on the created bucket, key ring and repository, not project-level create rights.
  google_storage_bucket: { access: 'update', roles: [R.bucket] },
  google_storage_bucket_iam_member: { access: 'manage', roles: [R.bucket] },
  /** The training data and the pipeline's spec and job-request objects (written through the data plane). */
  google_storage_bucket_object: { access: 'manage', roles: [R.bucket, GCP_ROLES.deployWrite] },
  google_kms_key_ring: { access: 'read', roles: [R.keyRing] },
  google_kms_key_ring_iam_member: { access: 'manage', roles: [R.keyRing] },
  google_kms_crypto_key: { access: 'manage', roles: [R.keyRing] },
  google_kms_crypto_key_iam_member: { access: 'manage', roles: [R.keyRing] },
  google_artifact_registry_repository: { access: 'update', roles: [R.repository] },
  google_artifact_registry_repository_iam_member: { access: 'manage', roles: [R.repository] },
  docker_registry_image: { access: 'manage', roles: [R.repository, GCP_ROLES.deployPush] },
  docker_image: { access: 'local', roles: [] },
  terraform_data: { access: 'local', roles: [] },
  // Vertex AI has no resource-level IAM.
  google_vertex_ai_endpoint: { access: 'manage', roles: [P.vertex] },
  google_vertex_ai_tensorboard: { access: 'manage', roles: [P.vertex] },
  // Identities: CI reads them; who may act as whom is a person's deploy.
  google_service_account: { access: 'read', roles: [R.workloadServiceAccount, R.ownServiceAccount] },
  google_service_account_iam_member: { access: 'read', roles: [R.serviceAccountIamRead, R.ownServiceAccount] },
  google_iam_workload_identity_pool: { access: 'read', roles: [P.federationRead] },
  google_iam_workload_identity_pool_provider: { access: 'read', roles: [P.federationRead] },
  /** Project grants of exactly the roles the stack grants (the grant limit's condition). */
  google_project_iam_member: { access: 'manage', roles: [P.grantAdmin, P.projectRead] },
  google_project_iam_custom_role: { access: 'read', roles: [...GCP_CI_CUSTOM_ROLE_ROLES] },
  google_project_service: { access: 'read', roles: [P.servicesRead] },
  /** Made once per project with its API (enabling an API is a person's deploy); the provider keeps it in state. */
  google_project_service_identity: { access: 'read', roles: [P.servicesRead] },
  // A pipeline's schedules: managed, as the schedule's service account.
  google_cloud_scheduler_job: { access: 'manage', roles: [...GCP_CI_SCHEDULE_ROLES, R.schedulerServiceAccount] },
  // Alerts.
  google_monitoring_alert_policy: { access: 'manage', roles: [GCP_CI_ALERT_ROLES[0]!] },
  google_monitoring_notification_channel: { access: 'manage', roles: [GCP_CI_ALERT_ROLES[1]!] },
  // Private network mode.
  google_compute_network: { access: 'manage', roles: [...GCP_CI_PRIVATE_NETWORK_ROLES] },
  google_compute_subnetwork: { access: 'manage', roles: [...GCP_CI_PRIVATE_NETWORK_ROLES] },
  google_compute_network_attachment: { access: 'manage', roles: [...GCP_CI_PRIVATE_NETWORK_ROLES] },
  google_compute_address: { access: 'manage', roles: [...GCP_CI_PRIVATE_NETWORK_ROLES] },
  // Data sources (read).
  'data.google_project': { access: 'read', roles: [P.projectRead] },
  'data.google_client_config': { access: 'local', roles: [] },
  'data.google_storage_project_service_account': { access: 'read', roles: [P.projectRead] },
};

/** APIs Workload Identity Federation with service-account impersonation needs. */
export const GCP_CI_APIS: readonly string[] = ['sts.googleapis.com', 'iamcredentials.googleapis.com'];

const POOL_RULE: NameRule = { cloud: 'gcp', label: 'Workload Identity Pool id', min: 4, max: 32, separator: '-', startsWithLetter: true };
const POOL_ID = /^[a-z][a-z0-9-]{2,30}[a-z0-9]$/;
/** google.subject is limited to 127 bytes. */
const GOOGLE_SUBJECT_MAX_BYTES = 127;
/** attribute_condition is limited to 4096 characters. */
const ATTRIBUTE_CONDITION_MAX = 4096;

/** Props of {@link GcpGithubCiIdentity}. */
export interface GcpGithubCiIdentityProps extends GithubRepositoryProps {
  /** The platform CI deploys. */
  readonly platform: GcpMlPlatform;
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The project the platform lives in. */
  readonly projectId: string;
  /**
   * The Workload Identity Pool id (4-32 lowercase letters, digits, hyphens;
   * not starting with `gcp-`). Deleted pools keep their id for 30 days.
   * @default '<company>-<project>-<env>-gh'
   */
  readonly poolId?: string;
  /**
   * The deployer service account's id (before `@`): 6-30 lowercase letters,
   * digits and hyphens, starting with a letter and ending with a letter or digit.
   * The pool is named by `poolId`.
   * @default '<company>-<project>-<env>-ci'
   */
  readonly physicalName?: string;
  /**
   * Grant what the release step needs (endpoint metrics for the gate and rollout).
   * @default true
   */
  readonly release?: boolean;
  /**
   * Grant what alerting needs (alert policies and notification channels).
   * @default false
   */
  readonly alerts?: boolean;
}

/**
 * Keyless deploys from GitHub Actions to GCP: a Workload Identity Pool and an
 * OIDC provider for `https://token.actions.githubusercontent.com` (mapping
 * `google.subject`, `attribute.repository`, `attribute.ref`,
 * `attribute.environment`; the attribute condition pins the repository AND
 * the exact subjects of the listed branches and environments: CKV_GCP_125),
 * a deployer service account without keys, and `roles/iam.workloadIdentityUser`
 * on it for `principalSet://…/attribute.repository/<owner>/<name>`. The APIs
 * federation needs (STS, IAM Credentials) are enabled and never disabled.
 *
 * Its roles are the least `cdktf deploy` and the release step need
 * ({@link GCP_CI_PROJECT_ROLES}, {@link GCP_CI_RESOURCE_ROLES}): resource-level
 * admin roles on the platform's key ring, bucket and repository, act-as on
 * the workload service account, project-level roles only where GCP has no
 * resource scope, and `roles/resourcemanager.projectIamAdmin` under an IAM
 * condition (`modifiedGrantsByRole … hasOnly([...])`) listing exactly the
 * roles the stack grants at project level. Recreating the bucket, key ring or
 * repository, enabling a new API, and changes to the CI identity itself need
 * a deploy by a person.
 */
export class GcpGithubCiIdentity extends Construct {
  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The subjects the attribute condition allows. */
  public readonly subjects: readonly GithubSubject[];
  /** The pool id. */
  public readonly poolId: string;
  /** The attribute condition (CEL). */
  public readonly attributeCondition: string;
  /** Full resource name of the provider: `google-github-actions/auth`'s `workload_identity_provider`. */
  public readonly workloadIdentityProvider: string;
  /** The deployer service account email: `google-github-actions/auth`'s `service_account`. */
  public readonly serviceAccountEmail: string;
  /** Exactly the values `google-github-actions/auth` needs (see `CI_LOGIN_VALUES.gcp`). */
  public readonly outputs: Record<string, string>;

  constructor(scope: Construct, id: string, props: GcpGithubCiIdentityProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const where = this.node.path;
    const C = 'GcpGithubCiIdentity';
    const invalid = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, prop, value, accepted));
    if (!(props.platform instanceof GcpMlPlatform)) invalid('platform', typeof props.platform, 'a GcpMlPlatform');
    const before = issues.issues.length;
    checkGithubProps(new PropChecks(issues, C, where), props);
    const githubOk = issues.issues.length === before;
    if (typeof props.projectId !== 'string' || !/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(props.projectId)) {
      invalid('projectId', props.projectId, 'a GCP project id: 6-30 lowercase letters, digits and hyphens, starting with a letter (config: gcp.projectId)');
    }
    const naming = toNaming(props.naming);
    const poolId = props.poolId ?? sanitise([naming.parts.company, naming.parts.project, naming.parts.environment, 'gh'], POOL_RULE);
    if (!POOL_ID.test(poolId) || poolId.startsWith('gcp-')) {
      if (props.poolId !== undefined) {
        invalid('poolId', poolId, '4-32 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen, not starting with "gcp-"');
      } else {
        issues.add(
          ErrorCode.NAME_TOO_LONG,
          'naming',
          `The ${POOL_RULE.label} ${show(poolId)} (<company>-<project>-<env>-gh) needs 4-32 lowercase letters, digits and hyphens. ` +
            `Fix: shorten naming.company, naming.project or naming.environment${poolId.length > 32 ? ` by at least ${poolId.length - 32} characters` : ''}, or pass poolId.`,
        );
      }
    }
    const saId =
      props.physicalName !== undefined
        ? checkPhysicalName(new PropChecks(issues, C, where), 'physicalName', props.physicalName, 'serviceAccount')
        : naming.tryName('serviceAccount', 'ci');
    if (saId !== undefined && typeof saId !== 'string') issues.add(saId.code, saId.path, `${saId.message} Or give ${C} a physicalName.`);
    const subjects = githubOk ? githubSubjects(props) : [];
    checkSubjectLength(new PropChecks(issues, C, where), subjects, GOOGLE_SUBJECT_MAX_BYTES, 'google.subject');
    const condition = githubOk ? attributeConditionFor(props, subjects) : '';
    if (condition.length > ATTRIBUTE_CONDITION_MAX) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        `${C}: the attribute condition for ${subjects.length} subjects is ${condition.length} characters; GCP allows ${ATTRIBUTE_CONDITION_MAX}. Fix: list fewer branches and environments in ci.github.`,
      );
    }
    issues.throwIfAny(`Invalid ${C} props:`);

    const platform = props.platform;
    const project = props.projectId;
    const repository = resolveGithub(props).repository;
    this.subjects = subjects;

    const apis = GCP_CI_APIS.map(
      (api) => new ProjectService(this, `Api-${api.split('.')[0]}`, { project, service: api, disableOnDestroy: false, disableDependentServices: false }),
    );
    // Pools, providers and service accounts are IAM API resources: they wait for the IAM API
    // (enabled by the platform) as well as STS and IAM Credentials (enabled here).
    const iamApis = [...apis, ...platform.services.dependenciesFor('iam.googleapis.com')];
    const pool = new IamWorkloadIdentityPool(this, 'Pool', {
      project,
      workloadIdentityPoolId: poolId,
      displayName: 'GitHub Actions',
      description: `GitHub Actions OIDC for ${repository} (${naming.prefix}); managed by cdktf-mlops.`,
      dependsOn: iamApis,
    });
    const provider = new IamWorkloadIdentityPoolProvider(this, 'Provider', {
      project,
      workloadIdentityPoolId: pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: 'github',
      displayName: 'GitHub Actions',
      description: `Tokens of ${repository} for the listed branches and environments only.`,
      attributeMapping: {
        'google.subject': 'assertion.sub',
        'attribute.repository': 'assertion.repository',
        'attribute.ref': 'assertion.ref',
        'attribute.environment': 'assertion.environment',
      },
      attributeCondition: condition,
      oidc: { issuerUri: GITHUB_OIDC_ISSUER },
    });
    const sa = new ServiceAccount(this, 'ServiceAccount', {
      project,
      accountId: saId as string,
      displayName: `GitHub Actions deployer (${naming.prefix})`,
      description: `Deploys ${naming.prefix} from GitHub Actions through Workload Identity Federation; no keys.`,
      dependsOn: iamApis,
    });
    new ServiceAccountIamMember(this, 'FederatedUser', {
      serviceAccountId: sa.name,
      role: 'roles/iam.workloadIdentityUser',
      member: `principalSet://iam.googleapis.com/${pool.name}/attribute.repository/${repository}`,
    });
    const member = sa.member;

    const projectRoles = [
      GCP_CI_PROJECT_ROLES.projectRead,
      GCP_CI_PROJECT_ROLES.servicesRead,
      GCP_CI_PROJECT_ROLES.vertex,
      GCP_CI_PROJECT_ROLES.federationRead,
      ...((props.release ?? true) ? GCP_CI_RELEASE_ROLES : []),
      ...(props.alerts ? GCP_CI_ALERT_ROLES : []),
    ];
    for (const role of projectRoles) {
      new ProjectIamMember(this, `Project-${roleKey(role)}`, { project, role, member });
    }
    if (platform.network.mode === 'private') {
      for (const role of GCP_CI_PRIVATE_NETWORK_ROLES) {
        const grant = new ProjectIamMember(this, `Project-${roleKey(role)}`, { project, role, member });
        Policy.suppress(
          grant,
          'CKV_GCP_42',
          "private mode: CI creates and updates the VPC network, subnets, network attachment, reserved address and the endpoint's forwarding rule; Compute Engine networks have no resource-level IAM, and networkAdmin holds no IAM, firewall or instance permissions",
        );
      }
    }
    const grantAdmin = new ProjectIamMember(this, 'Project-GrantAdmin', {
      project,
      role: GCP_CI_PROJECT_ROLES.grantAdmin,
      member,
      condition: {
        title: 'Only the roles the stack grants',
        description: 'CI may add and remove project-level grants of exactly the roles this stack grants.',
        expression: Lazy.stringValue({ produce: () => grantLimitExpression(this.grantableProjectRoles()) }),
      },
    });
    Policy.suppress(
      grantAdmin,
      'CKV_GCP_42',
      'projectIamAdmin is held under an IAM condition that allows adding and removing only the project roles this stack grants (modifiedGrantsByRole hasOnly), so CI can deploy the platform but not grant itself or others anything else',
    );

    // Admin roles only on what the platform created: an imported key, bucket or repository is
    // managed elsewhere, and CI taking admin over it would take over its settings too.
    const imported: string[] = [];
    if (platform.encryptionKey.imported) imported.push(`the key ${platform.encryptionKey.keyId}`);
    else new KmsKeyRingIamMember(this, 'KeyRingAdmin', { keyRingId: platform.encryptionKey.keyRingId, role: GCP_CI_RESOURCE_ROLES.keyRing, member });
    if (platform.artifactStore.imported) imported.push(`the bucket ${platform.artifactStore.storeName}`);
    else new StorageBucketIamMember(this, 'BucketAdmin', { bucket: platform.artifactStore.storeName, role: GCP_CI_RESOURCE_ROLES.bucket, member });
    if (platform.imageRegistry.imported) {
      imported.push(`the repository ${platform.imageRegistry.registryId}`);
    } else {
      new ArtifactRegistryRepositoryIamMember(this, 'RepositoryAdmin', {
        project: platform.imageRegistry.projectId,
        location: platform.imageRegistry.location,
        repository: platform.imageRegistry.registryName,
        role: GCP_CI_RESOURCE_ROLES.repository,
        member,
      });
    }
    if (imported.length > 0) {
      Annotations.of(this).addWarning(
        `The platform uses existing resources (${imported.join(', ')}): CI gets no admin role on them, so it cannot ` +
          'add, refresh or remove the IAM members the stack keeps there. Have their owner let the CI service account ' +
          `(the deployer service account of this CI identity) get and set the IAM policy of each (for example a custom role with *.getIamPolicy and *.setIamPolicy on that one resource), ` +
          'or keep deploys that change those members to a person.',
      );
    }
    new ServiceAccountIamMember(this, 'ActAsWorkload', {
      serviceAccountId: `projects/${platform.identity.projectId}/serviceAccounts/${platform.identity.email}`,
      role: GCP_CI_RESOURCE_ROLES.workloadServiceAccount,
      member,
    });
    new ServiceAccountIamMember(this, 'ReadSelf', { serviceAccountId: sa.name, role: GCP_CI_RESOURCE_ROLES.ownServiceAccount, member });
    new ServiceAccountIamMember(this, 'ReadWorkloadIam', {
      serviceAccountId: `projects/${platform.identity.projectId}/serviceAccounts/${platform.identity.email}`,
      role: GCP_CI_RESOURCE_ROLES.serviceAccountIamRead,
      member,
    });
    // The stack's pipeline schedules and custom roles (created before this identity, as MlPlatformStack does).
    const others = TerraformStack.of(this)
      .node.findAll()
      .filter((c) => !isWithin(c, this));
    const schedulerJobs = others.filter((c): c is CloudSchedulerJob => c instanceof CloudSchedulerJob);
    const extraProjectRoles = [
      ...(schedulerJobs.length > 0 ? GCP_CI_SCHEDULE_ROLES : []),
      ...(others.some((c) => c instanceof ProjectIamCustomRole) ? GCP_CI_CUSTOM_ROLE_ROLES : []),
    ];
    for (const role of extraProjectRoles) {
      const grant = new ProjectIamMember(this, `Project-${roleKey(role)}`, { project, role, member });
      if (GCP_CI_SCHEDULE_ROLES.includes(role))
        Policy.suppress(
          grant,
          'CKV_GCP_42',
          "the pipeline's schedules: CI creates, updates and deletes Cloud Scheduler jobs, which have no job-level IAM; cloudscheduler.admin holds no IAM permission, and a job runs only as a service account CI may act as (the schedule's own, granted on that account)",
        );
    }
    // One pair of grants per account (two jobs of one schedule identity share it), keyed by its resolved reference.
    const schedulerAccounts = new Map<string, { email: string; key: string }>();
    for (const job of schedulerJobs) {
      const email = job.httpTargetInput?.oauthToken?.serviceAccountEmail ?? job.httpTargetInput?.oidcToken?.serviceAccountEmail;
      if (email === undefined) continue;
      const resolved = JSON.stringify(Tokenization.resolve(email, { scope: this, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }));
      if (!schedulerAccounts.has(resolved)) schedulerAccounts.set(resolved, { email, key: createHash('sha256').update(job.node.path).digest('hex').slice(0, 8) });
    }
    for (const { email, key } of schedulerAccounts.values()) {
      const serviceAccountId = `projects/${project}/serviceAccounts/${email}`;
      new ServiceAccountIamMember(this, `ActAsSchedule${key}`, { serviceAccountId, role: GCP_CI_RESOURCE_ROLES.schedulerServiceAccount, member });
      new ServiceAccountIamMember(this, `ReadScheduleIam${key}`, { serviceAccountId, role: GCP_CI_RESOURCE_ROLES.serviceAccountIamRead, member });
    }
    // CI is a deployer: the data-plane roles of Terraform's writes (training data, image push), which
    // the writes wait for. The bucket and repository admin roles above stay: CI also manages their
    // settings and IAM, which the data-plane roles do not cover.
    platform.grantDeploy(member);

    if (props.pullRequests) {
      Annotations.of(this).addWarning(
        'ci.github.pullRequests is true: every pull request from a branch of the repository can act as the deployer. ' +
          'Keep it only if pushing branches is restricted to people allowed to deploy.',
      );
    }
    if ((props.environments ?? []).length === 0) {
      Annotations.of(this).addWarning(
        'ci.github.environments is empty: jobs that run in a GitHub environment (the shipped deploy.yml does) present the environment, not the branch, ' +
          'as their subject and are refused by the attribute condition. Add the environment name to ci.github.environments.',
      );
    }

    this.poolId = poolId;
    this.attributeCondition = condition;
    this.workloadIdentityProvider = provider.name;
    this.serviceAccountEmail = sa.email;
    this.outputs = loginOutputs('gcp', { gcp_workload_identity_provider: provider.name, gcp_service_account: sa.email });
  }

  /** Roles of the stack's other project-level grants, sorted; throws when one is not known at synth. */
  private grantableProjectRoles(): string[] {
    const roles = new Set<string>();
    const problems = new IssueCollector();
    for (const c of TerraformStack.of(this).node.findAll()) {
      if (!(c instanceof ProjectIamMember) || isWithin(c, this)) continue;
      const role = c.roleInput;
      if (role === undefined || Token.isUnresolved(role)) {
        problems.add(
          ErrorCode.PROP_INVALID,
          c.node.path,
          `The project IAM member at ${c.node.path} names its role by a value known only at apply time, so the CI deployer's grant limit cannot list it. Fix: name the role literally (e.g. 'roles/aiplatform.user').`,
        );
      } else {
        roles.add(role);
      }
    }
    problems.throwIfAny('GcpGithubCiIdentity cannot limit which roles CI may grant:');
    return [...roles].sort();
  }
}

function isWithin(c: IConstruct, ancestor: IConstruct): boolean {
  return c.node.scopes.includes(ancestor);
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The CEL attribute condition: the repository, and the exact subject of one
 * of the listed branches, environments (or pull requests). Each subject is
 * an `assertion.sub == '…'` comparison (the form CKV_GCP_125 reads).
 */
export function attributeConditionFor(props: GithubRepositoryProps, subjects: readonly GithubSubject[]): string {
  const repo = `assertion.repository == ${quote(resolveGithub(props).repository)}`;
  const subs = subjects.map((s) => `assertion.sub == ${quote(s.subject)}`);
  return `${repo} && (${subs.join(' || ')})`;
}

/** The IAM condition that limits a projectIamAdmin grant to changing bindings of exactly `roles`. */
export function grantLimitExpression(roles: readonly string[]): string {
  return `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${roles.map(quote).join(', ')}])`;
}
