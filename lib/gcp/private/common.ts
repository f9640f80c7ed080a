import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { Lazy, TerraformProvider, TerraformResource, TerraformStack, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { IWorkloadIdentity } from '../../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../../core/errors';
import { Naming, NamingParts } from '../../core/naming';
import { toNaming } from '../../core/platform-props';
import { platformTags, tagsFor } from '../../core/tags';
import { GcpCommonProps } from '../common';
import { roleKey } from '../perms';
import { checkProjectId } from './validation';
import { PropChecks } from '../../core/validate';

/** The naming helper and GCP labels for a construct's props. */
export function namingAndLabels(props: { readonly naming: Naming | NamingParts; readonly tags?: Readonly<Record<string, string>> }): {
  naming: Naming;
  labels: Record<string, string>;
} {
  const naming = toNaming(props.naming);
  return { naming, labels: tagsFor('gcp', platformTags(naming.parts, props.tags ?? {})) };
}

/** Records problems with the project and region shared by every resource construct. */
export function checkCommon(issues: IssueCollector, construct: string, scope: IConstruct, props: GcpCommonProps): void {
  checkProjectId(new PropChecks(issues, construct, scope.node.path), props.projectId);
  new PropChecks(issues, construct, scope.node.path).region('gcp', 'region', props.region);
}

/** True when `value` is a construct (it has a construct node), whichever copy of `constructs` made it. */
export function isConstructLike(value: unknown): value is IConstruct {
  return Construct.isConstruct(value) || (typeof value === 'object' && value !== null && typeof (value as { node?: { path?: unknown } }).node?.path === 'string');
}

/** Where an identity is, for messages: its construct path, or its id when it is a plain object. */
export function identityPath(identity: IWorkloadIdentity): string {
  return isConstructLike(identity)
    ? identity.node.path
    : `identity ${String((identity as { identityId?: unknown }).identityId ?? (identity as { principal?: unknown }).principal)}`;
}

/**
 * The identity's construct path below its stack (`Platform-Identity`), or,
 * for an identity that is not a construct (a plain object implementing
 * IWorkloadIdentity), a stable key derived from its IAM member
 * (`Member-serviceAccount-batch-acme-ml-iam-gserviceaccount-com`).
 */
function identityKey(identity: IWorkloadIdentity): string {
  if (!isConstructLike(identity)) {
    return `Member-${memberKey(String((identity as { principal?: unknown }).principal))}`;
  }
  const scopes = identity.node.scopes;
  let start = 0;
  scopes.forEach((s, i) => {
    if (TerraformStack.isStack(s)) start = i + 1;
  });
  const parts = scopes.slice(start).map((s) => s.node.id);
  return parts.length > 0 ? parts.join('-') : identity.node.id;
}

/** A deterministic construct id for granting `role` to `identity`. */
export function grantId(role: string, identity: IWorkloadIdentity): string {
  return `${roleKey(role)}-${identityKey(identity)}`;
}

/**
 * IAM member prefixes a grant accepts: service accounts (the platform's,
 * imported ones, other compute's), people and groups, and federated
 * principals (`principal://`, `principalSet://`: Workload Identity
 * Federation, GKE). Not `allUsers`/`allAuthenticatedUsers` (that would make
 * the resource public) and not `domain:` (a whole Workspace domain).
 */
const GRANTABLE_MEMBER =
  /^(serviceAccount|user|group):[^\s@:]+@[^\s@:]+$|^(principal|principalSet):\/\/iam\.googleapis\.com\/\S+$|^serviceAccount:[a-z0-9.-]+\.svc\.id\.goog\[[^\]\s]+\]$/;

/** Records a problem when `member` is not an IAM member a grant may name (tokens pass). */
export function checkMember(check: PropChecks, prop: string, member: unknown): void {
  const { issues, construct, path } = check;
  if (typeof member === 'string' && (Token.isUnresolved(member) || GRANTABLE_MEMBER.test(member))) return;
  const bare = typeof member === 'string' && /^[^\s@:]+@[^\s@:]+$/.test(member);
  issues.add(
    ErrorCode.PROP_INVALID,
    path,
    messages.propInvalid(
      construct,
      prop,
      member,
      'an IAM member: serviceAccount:<email>, user:<email>, group:<email>, principal://iam.googleapis.com/… or principalSet://iam.googleapis.com/… ' +
        `(not allUsers, allAuthenticatedUsers or domain:)${bare ? `; write "serviceAccount:${member}" for a service account or "user:${member}" for a person` : ''}`,
    ),
  );
}

/** A construct-id-safe, stable key for an IAM member (`serviceAccount-batch-acme-iam-gserviceaccount-com`). */
export function memberKey(member: string): string {
  return member.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * Narrows any IWorkloadIdentity to one a GCP grant can name: its cloud must
 * be `gcp` and its `principal` an IAM member (`serviceAccount:<email>`,
 * `user:`, `group:`, `principal://…`, `principalSet://…`). Works for
 * identities that are not constructs of this library (a plain object, a
 * construct of another library): nothing but `cloud` and `principal` is read.
 */
export function gcpIdentityOf(identity: IWorkloadIdentity, operation: string): IWorkloadIdentity {
  const issues = new IssueCollector();
  const cloud = (identity as { cloud?: unknown } | undefined)?.cloud;
  if (identity === undefined || identity === null || typeof identity !== 'object') {
    issues.add(ErrorCode.PROP_INVALID, operation, messages.propInvalid(operation, 'identity', identity, 'an IWorkloadIdentity of cloud "gcp" whose principal is an IAM member'));
  } else if (cloud !== 'gcp') {
    issues.add(ErrorCode.CLOUD_MISMATCH, identityPath(identity), messages.cloudMismatch(operation, 'gcp', String(cloud)));
  } else {
    checkMember(new PropChecks(issues, operation, identityPath(identity)), 'identity.principal', identity.principal);
  }
  issues.throwIfAny(cloud !== undefined && cloud !== 'gcp' ? 'Cross-cloud grant:' : 'Invalid grant:');
  return identity;
}

/**
 * Returns the child `id` of `scope`, creating it with `create` the first time,
 * so that granting the same role twice yields one IAM member.
 */
export function once<T extends IConstruct>(scope: Construct, id: string, create: () => T): T {
  return (scope.node.tryFindChild(id) as T | undefined) ?? create();
}

/**
 * Grants project-level roles to `identity` (only for services without
 * resource-level IAM). The members live under the identity, so that two
 * grants of the same role from different constructs make one member.
 */
export function grantProjectRoles(fallbackScope: Construct, projectId: string, roles: readonly string[], identity: IWorkloadIdentity): ProjectIamMember[] {
  const host = identity instanceof Construct ? identity : fallbackScope;
  const ownProject = (identity as { projectId?: unknown }).projectId === projectId;
  return roles.map((role) => {
    const id = ownProject && host === identity ? roleKey(role) : grantId(role, identity) + `-${roleKey(projectId)}`;
    return once(host, id, () => new ProjectIamMember(host, id, { project: projectId, role, member: identity.principal }));
  });
}

/** The Terraform type of the google-beta provider. */
export const GOOGLE_BETA_PROVIDER = 'google-beta';

/** The stack's google-beta provider configuration, if the stack configures one (the default one when it has several). */
export function findBetaProvider(scope: IConstruct): TerraformProvider | undefined {
  const providers = TerraformStack.of(scope)
    .node.findAll()
    .filter((c): c is TerraformProvider => c instanceof TerraformProvider && c.terraformResourceType === GOOGLE_BETA_PROVIDER);
  return providers.find((p) => p.alias === undefined) ?? providers[0];
}

/**
 * Routes a google-beta resource to the google-beta provider: Terraform picks
 * a resource's provider from its type prefix (`google_…` → google), so a
 * resource only the beta provider has must name it. Resolved at synth: the
 * stack's google-beta provider (constructs never create providers). A stack
 * without one fails cdktf's provider validation, which names google-beta;
 * with validation skipped, the default `google-beta` configuration Terraform
 * implies is used (hashicorp/google-beta, credentials from the environment).
 */
export function betaProviderOverride(resource: TerraformResource): void {
  resource.addOverride('provider', Lazy.stringValue({ produce: () => findBetaProvider(resource)?.fqn ?? GOOGLE_BETA_PROVIDER }));
}
