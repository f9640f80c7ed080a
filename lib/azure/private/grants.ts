import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../../core/contracts';

/** What a role assignment is scoped to. */
export interface GrantScope {
  /** A stable key for the scope (the construct path of the resource). */
  readonly key: string;
  /** The Azure resource id the assignment is scoped to. */
  readonly id: string;
}

/** The role to assign: a built-in role by name, or a custom role by resource id. */
export type GrantRole = { readonly name: string } | { readonly label: string; readonly definitionId: string };

const assigned = new WeakMap<TerraformStack, Map<string, RoleAssignment>>();

function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/**
 * Assigns `role` to `identity` on one resource. Idempotent: the same identity,
 * role and scope give one assignment, however many grants ask for it.
 */
export function assignRole(host: Construct, scope: GrantScope, identity: IWorkloadIdentity, role: GrantRole): RoleAssignment {
  const stack = TerraformStack.of(host);
  let map = assigned.get(stack);
  if (!map) {
    map = new Map();
    assigned.set(stack, map);
  }
  const roleKey = 'name' in role ? role.name : role.label;
  const key = `${identity.node.path}|${roleKey}|${scope.key}`;
  const existing = map.get(key);
  if (existing) return existing;

  const base = `Grant${pascal(roleKey)}To${pascal(identity.node.id)}`;
  let id = base;
  for (let n = 2; host.node.tryFindChild(id); n++) id = `${base}${n}`;
  const assignment = new RoleAssignment(host, id, {
    scope: scope.id,
    principalId: identity.principal,
    principalType: 'ServicePrincipal',
    ...('name' in role ? { roleDefinitionName: role.name } : { roleDefinitionId: role.definitionId }),
  });
  map.set(key, assignment);
  return assignment;
}
