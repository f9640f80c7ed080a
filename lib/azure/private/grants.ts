import { createHash } from 'crypto';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { IResolvable, IResolveContext, ITerraformDependable, TerraformResource, TerraformStack, Token } from 'cdktf';
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
export function assignRole(host: Construct, scope: GrantScope, identity: IWorkloadIdentity, role: GrantRole, condition?: string): RoleAssignment {
  const stack = TerraformStack.of(host);
  let map = assigned.get(stack);
  if (!map) {
    map = new Map();
    assigned.set(stack, map);
  }
  const roleKey = 'name' in role ? role.name : role.label;
  const key = `${identity.node.path}|${roleKey}|${scope.key}${condition ? '|condition' : ''}`;
  const existing = map.get(key);
  if (existing) return existing;

  const base = `Grant${pascal(roleKey)}To${pascal(identity.node.id)}${condition ? 'Conditional' : ''}`;
  let id = base;
  for (let n = 2; host.node.tryFindChild(id); n++) id = `${base}${n}`;
  const assignment = new RoleAssignment(host, id, {
    scope: scope.id,
    principalId: identity.principal,
    principalType: 'ServicePrincipal',
    ...('name' in role ? { roleDefinitionName: role.name } : { roleDefinitionId: role.definitionId }),
    ...(condition ? { condition, conditionVersion: '2.0' } : {}),
  });
  map.set(key, assignment);
  return assignment;
}

/** The kind of principal a deployer is: people are `User` (or a `Group`), CI identities `ServicePrincipal`. */
export type DeployPrincipalType = 'User' | 'Group' | 'ServicePrincipal';

/**
 * Assigns a built-in role to a principal given by object id (a deployer, not
 * an identity construct) on one resource. Idempotent like {@link assignRole}:
 * the same principal, role and scope give one assignment (Azure refuses a
 * second one with 409 RoleAssignmentExists).
 */
export function assignToPrincipal(host: Construct, scope: GrantScope, principalId: string, roleName: string, principalType?: DeployPrincipalType): RoleAssignment {
  const stack = TerraformStack.of(host);
  let map = assigned.get(stack);
  if (!map) {
    map = new Map();
    assigned.set(stack, map);
  }
  const key = `principal:${principalId}|${roleName}|${scope.key}`;
  const existing = map.get(key);
  if (existing) return existing;
  // Named after the principal (a literal object id), so adding or removing another deployer leaves
  // this assignment alone; a principal known only at apply time (the caller, a CI identity) is
  // numbered in the order granted, which is the same on every synth.
  const base = Token.isUnresolved(principalId)
    ? `Deploy${pascal(roleName)}-Principal`
    : `Deploy${pascal(roleName)}-${createHash('sha256').update(principalId).digest('hex').slice(0, 8)}`;
  let id = base;
  for (let n = 2; host.node.tryFindChild(id); n++) id = `${base}${n}`;
  const assignment = new RoleAssignment(host, id, {
    scope: scope.id,
    principalId,
    roleDefinitionName: roleName,
    ...(principalType ? { principalType } : {}),
    description: 'cdktf-mlops: a principal that runs Terraform writes through this data plane',
  });
  map.set(key, assignment);
  return assignment;
}

/** A `depends_on` entry, written as cdktf writes the entries given at construction (`type.name`, no braces). */
class DependsOnEntry implements IResolvable {
  public readonly creationStack: string[] = [];
  constructor(private readonly dependency: ITerraformDependable) {}
  resolve(context: IResolveContext): string {
    context.suppressBraces = true;
    return this.dependency.fqn;
  }
  toString(): string {
    return Token.asString(this);
  }
}

const added = new WeakMap<TerraformResource, Set<ITerraformDependable>>();

/** Makes `resource` wait for `dependency` (once, keeping its other dependencies), also after it was constructed. */
export function addDependency(resource: TerraformResource, dependency: ITerraformDependable): void {
  let done = added.get(resource);
  if (!done) {
    done = new Set();
    added.set(resource, done);
  }
  if (done.has(dependency)) return;
  done.add(dependency);
  resource.dependsOn = [...(resource.dependsOn ?? []), Token.asString(new DependsOnEntry(dependency))];
}
