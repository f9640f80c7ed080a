import { createHash } from 'crypto';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { DefaultTokenResolver, IResolvable, IResolveContext, ITerraformDependable, StringConcat, TerraformResource, TerraformStack, Token, Tokenization } from 'cdktf';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../../core/contracts';
import type { AzurePrincipalType, DeployPrincipalType } from '../common';

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

/** The principal type an identity declares (imports of people say `User` or `Group`), else `ServicePrincipal`. */
export function principalTypeOf(identity: IWorkloadIdentity): AzurePrincipalType {
  const declared = (identity as { readonly principalType?: unknown }).principalType;
  return declared === 'User' || declared === 'Group' ? declared : 'ServicePrincipal';
}

/**
 * A stable key and construct-id part for an identity. The key is its
 * principal as Terraform writes it (a literal object id, or the expression a
 * token resolves to), so one principal gets one assignment per role and scope
 * however it is passed (Azure refuses a duplicate with 409
 * RoleAssignmentExists). The id part is the construct id when the identity is
 * a construct, else a hash of the principal (a plain object implementing
 * IWorkloadIdentity): the same on every synth.
 */
function identityKey(host: Construct, identity: IWorkloadIdentity): { readonly key: string; readonly label: string } {
  const principal = Token.isUnresolved(identity.principal)
    ? String(Tokenization.resolve(identity.principal, { scope: TerraformStack.of(host), resolver: new DefaultTokenResolver(new StringConcat()) }))
    : String(identity.principal);
  const node = (identity as { readonly node?: { readonly id?: unknown } }).node;
  const label = node && typeof node.id === 'string' ? pascal(node.id) : `Principal${createHash('sha256').update(principal).digest('hex').slice(0, 8)}`;
  return { key: `principal:${principal}`, label };
}

/**
 * Assigns `role` to `identity` on one resource. Idempotent: the same identity,
 * role and scope give one assignment, however many grants ask for it. Works
 * for any Azure IWorkloadIdentity whose `principal` is an object id: an
 * identity of this library, an import, or a plain object of the caller's.
 */
export function assignRole(host: Construct, scope: GrantScope, identity: IWorkloadIdentity, role: GrantRole, condition?: string): RoleAssignment {
  const stack = TerraformStack.of(host);
  let map = assigned.get(stack);
  if (!map) {
    map = new Map();
    assigned.set(stack, map);
  }
  const roleKey = 'name' in role ? role.name : role.label;
  const who = identityKey(host, identity);
  const key = `${who.key}|${roleKey}|${scope.key}${condition ? '|condition' : ''}`;
  const existing = map.get(key);
  if (existing) return existing;

  const base = `Grant${pascal(roleKey)}To${who.label}${condition ? 'Conditional' : ''}`;
  let id = base;
  for (let n = 2; host.node.tryFindChild(id); n++) id = `${base}${n}`;
  const assignment = new RoleAssignment(host, id, {
    scope: scope.id,
    principalId: identity.principal,
    principalType: principalTypeOf(identity),
    ...('name' in role ? { roleDefinitionName: role.name } : { roleDefinitionId: role.definitionId }),
    ...(condition ? { condition, conditionVersion: '2.0' } : {}),
  });
  map.set(key, assignment);
  return assignment;
}

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
  // Keyed like assignRole's (the principal as Terraform writes it), so a principal granted both as a
  // deployer and as an identity gets one assignment per role and scope.
  const written = Token.isUnresolved(principalId)
    ? String(Tokenization.resolve(principalId, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) }))
    : principalId;
  const key = `principal:${written}|${roleName}|${scope.key}`;
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
