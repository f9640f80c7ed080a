import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { toNaming } from '../core/platform-props';
import { GCP_ROLES } from './perms';
import { GcpProjectServices } from './project-services';
import { checkMember, memberKey, once } from './private/common';
import { checkPhysicalName } from './naming';
import { checkProjectId } from './private/validation';
import { PropChecks } from '../core/validate';

/**
 * A Kubernetes service account of a GKE workload that runs as a GCP service
 * account through Workload Identity Federation for GKE.
 */
export interface GcpGkeWorkload {
  /** The Kubernetes namespace (an RFC 1123 label: 1-63 lowercase letters, digits and hyphens). */
  readonly namespace: string;
  /** The Kubernetes service account name in that namespace. */
  readonly serviceAccount: string;
  /**
   * The project whose workload identity pool (`<project>.svc.id.goog`) the
   * cluster uses: the cluster's (or fleet host's) project.
   * @default - the service account's project
   */
  readonly workloadPoolProjectId?: string;
}

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
  /**
   * The `<resource>` of the default name `<company>-<project>-<env>-<resource>`
   * (as `resourceName` on AWS), for a second identity such as `batch`.
   * Ignored when `physicalName` is given.
   * @default 'ml'
   */
  readonly resourceName?: string;
  /**
   * The service account id (the part of the email before `@`): 6-30
   * lowercase letters, digits and hyphens, starting with a letter and ending
   * with a letter or digit, unique in the project.
   * @default - `<company>-<project>-<env>-<resourceName>` from the naming helper
   */
  readonly physicalName?: string;
  /**
   * The service account's display name.
   * @default - 'ML workloads (<company>-<project>-<env>)'
   */
  readonly displayName?: string;
  /**
   * IAM members (`user:`, `group:`, `serviceAccount:`) that deploy other
   * compute running as this service account — a Cloud Run service, a Cloud
   * Function, a Batch job, a Compute Engine VM — and so must be allowed to
   * act as it: `roles/iam.serviceAccountUser` on this one service account
   * (`google_service_account_iam_member`), never at project level.
   * @default - nobody besides the platform's own deployers
   */
  readonly usableBy?: readonly string[];
  /**
   * GKE workloads (Kubernetes service accounts) that run as this service
   * account through Workload Identity Federation for GKE:
   * `roles/iam.workloadIdentityUser` on it for
   * `serviceAccount:<project>.svc.id.goog[<namespace>/<ksa>]`. Annotate the
   * Kubernetes service account with `iam.gke.io/gcp-service-account: <email>`.
   * @default - none
   */
  readonly gkeWorkloads?: readonly GcpGkeWorkload[];
}

/** An existing service account to run as ({@link GcpWorkloadIdentity.fromExisting}). */
export interface GcpWorkloadIdentityAttributes {
  /** The service account email (`<id>@<project>.iam.gserviceaccount.com`), without `serviceAccount:`. */
  readonly serviceAccountEmail: string;
  /**
   * The project the service account belongs to.
   * @default - read from the email; required for emails that do not name it (`<number>-compute@developer.gserviceaccount.com`) or tokens
   */
  readonly projectId?: string;
}

/**
 * A GCP service account workloads run as: one the platform creates
 * ({@link GcpWorkloadIdentity}) or an existing one
 * ({@link GcpWorkloadIdentity.fromExisting}). Any {@link IWorkloadIdentity}
 * of cloud `gcp` whose principal is an IAM member can be granted to; this
 * interface adds what running other compute as it needs.
 */
export interface IGcpWorkloadIdentity extends IWorkloadIdentity {
  /** Always `gcp`. */
  readonly cloud: 'gcp';
  /** The service account email. */
  readonly email: string;
  /** The project the service account lives in. */
  readonly projectId: string;
  /** True when the service account is managed elsewhere: only IAM members are added to it. */
  readonly imported: boolean;
  /**
   * Lets `members` (IAM members that deploy Cloud Run, Cloud Functions,
   * Batch or Compute Engine workloads) act as this service account:
   * `roles/iam.serviceAccountUser` on it, never at project level. Idempotent.
   */
  grantUsableBy(...members: string[]): void;
  /** Lets a GKE workload run as this service account (`roles/iam.workloadIdentityUser` for its Kubernetes service account). Idempotent. */
  grantGkeWorkload(workload: GcpGkeWorkload): void;
}

const SA_EMAIL = /^([a-z][-a-z0-9]{4,28}[a-z0-9])@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/;
const ANY_SA_EMAIL = /^([a-z0-9][-a-z0-9]{0,62})@([a-z0-9-]+\.)*gserviceaccount\.com$/;
const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * The service account training jobs and endpoints run as
 * (`google_service_account`). It never gets a user-managed key
 * (CKV2_GCP_3): jobs use its identity through Vertex AI, CI through
 * Workload Identity Federation, other compute by running as it
 * (`usableBy`, `gkeWorkloads`). Stores, registries and the key grant to it
 * with resource-level IAM members; it never holds basic roles (CKV_GCP_117).
 */
export class GcpWorkloadIdentity extends Construct implements IGcpWorkloadIdentity {
  /**
   * References an existing service account (created elsewhere). Nothing is
   * created for it; grants to it and `grantUsableBy`/`grantGkeWorkload` on it
   * are additive IAM members, never a policy or binding that would replace
   * members managed elsewhere.
   */
  static fromExisting(scope: Construct, id: string, attrs: GcpWorkloadIdentityAttributes): IGcpWorkloadIdentity {
    return new ImportedGcpWorkloadIdentity(scope, id, attrs);
  }

  /** {@link fromExisting} with the email only (`<id>@<project>.iam.gserviceaccount.com`). */
  static fromServiceAccountEmail(scope: Construct, id: string, serviceAccountEmail: string): IGcpWorkloadIdentity {
    return new ImportedGcpWorkloadIdentity(scope, id, { serviceAccountEmail });
  }

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
  /** Always false: this service account is created and managed here. */
  public readonly imported = false;
  /** `projects/<project>/serviceAccounts/<email>`, what service-account IAM members name. */
  public readonly serviceAccountName: string;

  constructor(scope: Construct, id: string, props: GcpWorkloadIdentityProps) {
    super(scope, id);
    const C = 'GcpWorkloadIdentity';
    const issues = new IssueCollector();
    checkProjectId(new PropChecks(issues, C, this.node.path), props.projectId);
    checkPhysicalName(new PropChecks(issues, C, this.node.path), 'physicalName', props.physicalName, 'serviceAccount');
    if (props.resourceName !== undefined && (typeof props.resourceName !== 'string' || !/^[a-z][a-z0-9-]*$/.test(props.resourceName))) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid(C, 'resourceName', props.resourceName, 'lowercase letters, digits and hyphens, starting with a letter (e.g. "batch")'),
      );
    }
    const naming = toNaming(props.naming);
    let accountId = props.physicalName;
    if (accountId === undefined && issues.issues.length === 0) {
      const tried = naming.tryName('serviceAccount', props.resourceName ?? 'ml');
      if (typeof tried === 'string') accountId = tried;
      else issues.add(tried.code, tried.path, `${tried.message} Or give GcpWorkloadIdentity a physicalName.`);
    }
    (props.usableBy ?? []).forEach((m, i) => checkMember(new PropChecks(issues, C, this.node.path), `usableBy[${i}]`, m));
    (props.gkeWorkloads ?? []).forEach((w, i) => checkGkeWorkload(new PropChecks(issues, C, this.node.path), `gkeWorkloads[${i}]`, w));
    issues.throwIfAny(`Invalid ${C} props:`);

    const account = new ServiceAccount(this, 'Resource', {
      project: props.projectId,
      accountId: accountId!,
      displayName: props.displayName ?? `ML workloads (${naming.prefix})`,
      description: 'Identity of the ML platform training jobs and endpoints; managed by cdktf-mlops. No user-managed keys.',
      dependsOn: props.services?.dependenciesFor('iam.googleapis.com'),
    });

    this.projectId = props.projectId;
    this.identityName = accountId!;
    this.email = account.email;
    this.identityId = account.email;
    this.principal = account.member;
    this.serviceAccountName = account.name;
    if (props.usableBy) this.grantUsableBy(...props.usableBy);
    for (const w of props.gkeWorkloads ?? []) this.grantGkeWorkload(w);
  }

  /**
   * Lets `members` (IAM members that deploy Cloud Run, Cloud Functions,
   * Batch or Compute Engine workloads running as this service account) act
   * as it: `roles/iam.serviceAccountUser` on this one service account
   * (`google_service_account_iam_member`), never at project level (CKV_GCP_41). Idempotent.
   */
  grantUsableBy(...members: string[]): void {
    grantUsableBy(this, this.serviceAccountName, members);
  }

  /**
   * Lets a GKE workload run as this service account (Workload Identity
   * Federation for GKE): `roles/iam.workloadIdentityUser` on it for
   * `serviceAccount:<pool project>.svc.id.goog[<namespace>/<ksa>]`. Idempotent.
   */
  grantGkeWorkload(workload: GcpGkeWorkload): void {
    grantGkeWorkload(this, this.serviceAccountName, this.projectId, workload);
  }
}

/** An existing service account ({@link GcpWorkloadIdentity.fromExisting}): nothing created, additive IAM members only. */
class ImportedGcpWorkloadIdentity extends Construct implements IGcpWorkloadIdentity {
  public readonly cloud = 'gcp' as const;
  public readonly identityName: string;
  public readonly identityId: string;
  public readonly principal: string;
  public readonly email: string;
  public readonly projectId: string;
  public readonly imported = true;
  private readonly serviceAccountName: string;

  constructor(scope: Construct, id: string, attrs: GcpWorkloadIdentityAttributes) {
    super(scope, id);
    const C = 'GcpWorkloadIdentity.fromExisting';
    const issues = new IssueCollector();
    const bad = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid(C, prop, value, accepted));
    const email = attrs?.serviceAccountEmail;
    let project: string | undefined = attrs?.projectId;
    if (typeof email !== 'string') {
      bad('serviceAccountEmail', email, 'a service account email such as "batch-scoring@acme-ml-prod.iam.gserviceaccount.com"');
    } else if (!Token.isUnresolved(email)) {
      const own = SA_EMAIL.exec(email);
      if (email.startsWith('serviceAccount:')) {
        bad('serviceAccountEmail', email, `the email without "serviceAccount:" (${email.slice('serviceAccount:'.length)})`);
      } else if (/@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$/.test(email)) {
        bad('serviceAccountEmail', email, 'a user-managed service account: this is a Google service agent, which Google manages and workloads cannot run as');
      } else if (own) {
        if (project !== undefined && !Token.isUnresolved(project) && project !== own[2]) bad('projectId', project, `the project of serviceAccountEmail (${own[2]}), or omitted`);
        project = project ?? own[2];
      } else if (!ANY_SA_EMAIL.test(email)) {
        bad(
          'serviceAccountEmail',
          email,
          'a service account email: <id>@<project>.iam.gserviceaccount.com (or a Google default one such as <number>-compute@developer.gserviceaccount.com, with projectId)',
        );
      } else if (project === undefined) {
        bad('projectId', project, `the project ${email} belongs to (its email does not name it)`);
      }
    } else if (project === undefined) {
      bad('projectId', project, 'the project of the service account, when serviceAccountEmail is known only at apply time (a token)');
    }
    if (attrs?.projectId !== undefined) checkProjectId(new PropChecks(issues, C, this.node.path), attrs.projectId);
    issues.throwIfAny(`Invalid ${C} attributes:`);

    this.email = email;
    this.identityId = email;
    this.identityName = Token.isUnresolved(email) ? email : email.split('@')[0]!;
    this.principal = `serviceAccount:${email}`;
    this.projectId = project!;
    this.serviceAccountName = `projects/${this.projectId}/serviceAccounts/${email}`;
  }

  grantUsableBy(...members: string[]): void {
    grantUsableBy(this, this.serviceAccountName, members);
  }

  grantGkeWorkload(workload: GcpGkeWorkload): void {
    grantGkeWorkload(this, this.serviceAccountName, this.projectId, workload);
  }
}

function checkGkeWorkload(check: PropChecks, prop: string, w: GcpGkeWorkload): void {
  const { issues, construct, path } = check;
  const bad = (field: string, value: unknown, accepted: string): void =>
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, `${prop}.${field}`, value, accepted));
  if (typeof w?.namespace !== 'string' || (!Token.isUnresolved(w.namespace) && !K8S_NAMESPACE.test(w.namespace))) {
    bad('namespace', w?.namespace, 'a Kubernetes namespace: 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit');
  }
  if (typeof w?.serviceAccount !== 'string' || (!Token.isUnresolved(w.serviceAccount) && !K8S_NAME.test(w.serviceAccount))) {
    bad('serviceAccount', w?.serviceAccount, 'a Kubernetes service account name: lowercase letters, digits, hyphens and dots, at most 253');
  }
  if (w?.workloadPoolProjectId !== undefined) checkProjectId(new PropChecks(issues, construct, path), w.workloadPoolProjectId);
}

function grantUsableBy(host: Construct, serviceAccountId: string, members: readonly string[]): void {
  const issues = new IssueCollector();
  members.forEach((m, i) => checkMember(new PropChecks(issues, 'grantUsableBy', host.node.path), `members[${i}]`, m));
  issues.throwIfAny('Invalid grantUsableBy members:');
  for (const member of members) {
    const id = `UsableBy-${memberKey(member)}`;
    once(host, id, () => new ServiceAccountIamMember(host, id, { serviceAccountId, role: GCP_ROLES.actAs, member }));
  }
}

function grantGkeWorkload(host: Construct, serviceAccountId: string, projectId: string, workload: GcpGkeWorkload): void {
  const issues = new IssueCollector();
  checkGkeWorkload(new PropChecks(issues, 'grantGkeWorkload', host.node.path), 'workload', workload);
  issues.throwIfAny('Invalid grantGkeWorkload workload:');
  const pool = workload.workloadPoolProjectId ?? projectId;
  const member = `serviceAccount:${pool}.svc.id.goog[${workload.namespace}/${workload.serviceAccount}]`;
  const id = `GkeWorkload-${memberKey(`${pool}-${workload.namespace}-${workload.serviceAccount}`)}`;
  once(host, id, () => new ServiceAccountIamMember(host, id, { serviceAccountId, role: GCP_ROLES.gkeWorkloadIdentity, member }));
}
