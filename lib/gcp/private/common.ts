import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { Lazy, TerraformProvider, TerraformResource, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { IWorkloadIdentity } from '../../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../../core/errors';
import { Naming, NamingParts } from '../../core/naming';
import { toNaming } from '../../core/platform-props';
import { platformTags, tagsFor } from '../../core/tags';
import { GcpCommonProps } from '../common';
import type { GcpEncryptionKey } from '../encryption-key';
import { checkProjectId, checkRegion } from './validation';

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
  checkProjectId(issues, construct, scope.node.path, props.projectId);
  checkRegion(issues, construct, scope.node.path, props.region);
}

/** `roles/storage.objectViewer` → `StorageObjectViewer`. */
function roleKey(role: string): string {
  return role
    .replace(/^roles\//, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p.length > 0)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

/** The identity's construct path below its stack, e.g. `Platform-Identity`. */
function identityKey(identity: IWorkloadIdentity): string {
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
export function grantProjectRoles(
  fallbackScope: Construct,
  projectId: string,
  roles: readonly string[],
  identity: IWorkloadIdentity,
): ProjectIamMember[] {
  const host = identity instanceof Construct ? identity : fallbackScope;
  const ownProject = (identity as { projectId?: unknown }).projectId === projectId;
  return roles.map((role) => {
    const id = ownProject && host === identity ? roleKey(role) : grantId(role, identity) + `-${roleKey(projectId)}`;
    return once(host, id, () => new ProjectIamMember(host, id, { project: projectId, role, member: identity.principal }));
  });
}

/** The props of a construct that encrypts with an optional customer-managed key. */
export interface CmekProps {
  readonly encryptionKey?: GcpEncryptionKey;
  readonly customerManagedKey?: boolean;
}

/**
 * The customer-managed key `props` ask for, or undefined when
 * `customerManagedKey` is false (Google-managed encryption). Records a
 * problem when the key is on but missing, or off but given anyway.
 */
export function cmekOf(issues: IssueCollector, construct: string, path: string, props: CmekProps): GcpEncryptionKey | undefined {
  const on = props.customerManagedKey ?? true;
  if (on && props.encryptionKey === undefined) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(
        construct,
        'encryptionKey',
        undefined,
        'a GcpEncryptionKey while customerManagedKey is true (the default); set customerManagedKey to false for Google-managed encryption',
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
