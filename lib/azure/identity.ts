import { DataAzurermUserAssignedIdentity } from '@cdktf/provider-azurerm/lib/data-azurerm-user-assigned-identity';
import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { IWorkloadIdentity } from '../core/contracts';
import { AzurePrincipalType, AzureResourceProps } from './common';
import { AZURE_FEDERATION_AUDIENCE, AZURE_MAX_FEDERATED_CREDENTIALS } from './perms';
import { markImported } from './imported';
import { azureTags, checkGuid, checkResourceId, namingOf, parseResourceId, physicalNameFor } from './util';
import { PropChecks } from '../core/validate';

/** An Entra principal grants can name: a managed identity, a service principal, a person or a group. */
export interface IAzurePrincipal extends IWorkloadIdentity {
  /** What kind of principal `principal` is; role assignments name it (`principal_type`). */
  readonly principalType: AzurePrincipalType;
}

/**
 * A user-assigned managed identity, created by this library or imported: what
 * Azure compute (the ML compute cluster, Functions, Container Apps, AKS
 * workload identity, VMs) runs as.
 */
export interface IAzureWorkloadIdentity extends IAzurePrincipal {
  /** Client (application) id: what a workload sets as `AZURE_CLIENT_ID` (and ACR encryption names). */
  readonly clientId: string;
}

/** Props of {@link AzureWorkloadIdentity}. */
export interface AzureWorkloadIdentityProps extends AzureResourceProps {
  /**
   * The `<resource>` part of the identity's name.
   * @default 'id' (the workload identity of PLATFORM_NAMES)
   */
  readonly resource?: string;
  /**
   * The identity's name, instead of the naming helper's
   * `<company>-<project>-<env>-<resource>`: 3-128 letters, digits, `-` and
   * `_`, starting with a letter.
   * @default - `<company>-<project>-<env>-<resource>`
   */
  readonly physicalName?: string;
}

/** What {@link AzureWorkloadIdentity.fromExisting} needs to know about an existing user-assigned identity. */
export interface AzureWorkloadIdentityAttributes {
  /** Resource id: `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`. */
  readonly identityId: string;
  /**
   * Its principal (object) id, a GUID: what role assignments name.
   * @default - read at plan time (data `azurerm_user_assigned_identity`)
   */
  readonly principalId?: string;
  /**
   * Its client (application) id, a GUID.
   * @default - read at plan time (data `azurerm_user_assigned_identity`)
   */
  readonly clientId?: string;
}

/** A federated credential: which external tokens may sign in as the identity. */
export interface AzureFederatedCredentialOptions {
  /** The token issuer, e.g. an AKS cluster's OIDC issuer URL (`oidc_issuer_url`). */
  readonly issuer: string;
  /** The token subject, e.g. `system:serviceaccount:<namespace>:<service account>` for AKS workload identity. */
  readonly subject: string;
  /**
   * Audiences of the token.
   * @default ['api://AzureADTokenExchange']
   */
  readonly audiences?: readonly string[];
  /**
   * Credential name: 3-120 letters, digits, `-` and `_`, starting with a letter or digit.
   * @default - the construct id
   */
  readonly name?: string;
}

const IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
const IDENTITY_EXAMPLE = '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>';
const PRINCIPAL_TYPES: readonly AzurePrincipalType[] = ['ServicePrincipal', 'User', 'Group'];

/**
 * A user-assigned managed identity. Stores grant to it with role assignments
 * scoped to the one resource; it never holds subscription- or
 * resource-group-wide roles.
 *
 * Any Azure compute can run as it: give the identity to a Function App,
 * Container App or VM (`identity { type = "UserAssigned" }` with
 * {@link identityId}, and `AZURE_CLIENT_ID` = {@link clientId}), or let an AKS
 * service account use it through {@link addFederatedCredential}.
 */
export class AzureWorkloadIdentity extends Construct implements IAzureWorkloadIdentity {
  /**
   * An existing user-assigned managed identity (created by another stack or
   * team). Grants to it are role assignments naming its principal id; the
   * identity itself is never changed.
   */
  public static fromExisting(scope: Construct, id: string, attrs: AzureWorkloadIdentityAttributes): IAzureWorkloadIdentity {
    return new ImportedWorkloadIdentity(scope, id, attrs);
  }

  /** An existing user-assigned managed identity by resource id; its principal and client ids are read at plan time. */
  public static fromIdentityId(scope: Construct, id: string, identityId: string): IAzureWorkloadIdentity {
    return new ImportedWorkloadIdentity(scope, id, { identityId });
  }

  /**
   * Any Entra principal by object id, for grants: a person or a group
   * (`principalType` `User` / `Group`), or a service principal that is not a
   * user-assigned identity (an app registration's). It cannot be what the
   * platform's jobs run as (that needs a user-assigned identity).
   */
  public static fromPrincipalId(scope: Construct, id: string, principalId: string, principalType: AzurePrincipalType = 'ServicePrincipal'): IAzurePrincipal {
    return new ImportedPrincipal(scope, id, principalId, principalType);
  }

  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** Identity name. */
  public readonly identityName: string;
  /** Identity resource id. */
  public readonly identityId: string;
  /** Principal (object) id, what role assignments name. */
  public readonly principal: string;
  /** Client (application) id, what services such as ACR encryption name. */
  public readonly clientId: string;
  /** Always `ServicePrincipal` (a managed identity). */
  public readonly principalType = 'ServicePrincipal' as const;

  private readonly resourceGroupName: string;
  private readonly credentials: FederatedIdentityCredential[] = [];

  constructor(scope: Construct, id: string, props: AzureWorkloadIdentityProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const naming = namingOf(props.naming);
    const name = physicalNameFor(issues, naming, 'managedIdentity', props.resource ?? 'id', {
      construct: 'AzureWorkloadIdentity',
      path: this.node.path,
      prop: 'physicalName',
      value: props.physicalName,
    });
    issues.throwIfAny('Invalid AzureWorkloadIdentity props:');

    const identity = new UserAssignedIdentity(this, 'Resource', {
      name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.resourceGroupName,
      tags: azureTags(naming, props.tags),
    });
    this.identityName = name;
    this.identityId = identity.id;
    this.principal = identity.principalId;
    this.clientId = identity.clientId;
    this.resourceGroupName = props.resourceGroup.resourceGroupName;
  }

  /**
   * Lets tokens of an external issuer sign in as this identity (workload
   * identity federation), e.g. an AKS service account: issuer = the
   * cluster's `oidc_issuer_url`, subject =
   * `system:serviceaccount:<namespace>:<service account>`, and the pod runs
   * with the service account annotated `azure.workload.identity/client-id` =
   * {@link clientId}. Credentials are created one after another (Azure
   * refuses concurrent writes on one identity).
   */
  public addFederatedCredential(id: string, options: AzureFederatedCredentialOptions): ITerraformDependable {
    const issues = new IssueCollector();
    const name = options.name ?? id;
    const where = `${this.node.path}/${id}`;
    if (!Token.isUnresolved(name) && !/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/.test(name)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(
          'AzureWorkloadIdentity.addFederatedCredential',
          'name',
          name,
          '3-120 letters, digits, - and _, starting with a letter or digit (pass options.name when the construct id is not one)',
        ),
      );
    }
    if (!Token.isUnresolved(options.issuer) && !/^https:\/\/[^\s]+$/.test(options.issuer ?? '')) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid('AzureWorkloadIdentity.addFederatedCredential', 'issuer', options.issuer, "an https URL, e.g. the AKS cluster's oidc_issuer_url"),
      );
    }
    if (
      !Token.isUnresolved(options.subject) &&
      !(typeof options.subject === 'string' && options.subject.length > 0 && options.subject.length <= 600 && !/[*?]/.test(options.subject))
    ) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        messages.propInvalid(
          'AzureWorkloadIdentity.addFederatedCredential',
          'subject',
          options.subject,
          'one exact subject of at most 600 characters without wildcards, e.g. "system:serviceaccount:scoring:batch"',
        ),
      );
    }
    if (this.credentials.length >= AZURE_MAX_FEDERATED_CREDENTIALS) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        `An Azure user-assigned identity takes at most ${AZURE_MAX_FEDERATED_CREDENTIALS} federated credentials. Fix: use a second identity.`,
      );
    }
    issues.throwIfAny('Invalid federated credential:');
    const previous = this.credentials[this.credentials.length - 1];
    const credential = new FederatedIdentityCredential(this, id, {
      name,
      resourceGroupName: this.resourceGroupName,
      parentId: this.identityId,
      issuer: options.issuer,
      subject: options.subject,
      audience: [...(options.audiences ?? [AZURE_FEDERATION_AUDIENCE])],
      dependsOn: previous ? [previous] : undefined,
    });
    this.credentials.push(credential);
    return credential;
  }
}

/** An existing user-assigned identity: nothing is created (a data source reads what was not given). */
class ImportedWorkloadIdentity extends Construct implements IAzureWorkloadIdentity {
  public readonly cloud = 'azure' as const;
  public readonly identityName: string;
  public readonly identityId: string;
  public readonly principal: string;
  public readonly clientId: string;
  public readonly principalType = 'ServicePrincipal' as const;

  constructor(scope: Construct, id: string, attrs: AzureWorkloadIdentityAttributes) {
    super(scope, id);
    const construct = 'AzureWorkloadIdentity.fromExisting';
    const issues = new IssueCollector();
    const parts = checkResourceId(new PropChecks(issues, construct, this.node.path), 'identityId', attrs.identityId, IDENTITY_TYPE, IDENTITY_EXAMPLE);
    checkGuid(new PropChecks(issues, construct, this.node.path), 'principalId', attrs.principalId);
    checkGuid(new PropChecks(issues, construct, this.node.path), 'clientId', attrs.clientId);
    issues.throwIfAny(`Invalid ${construct} attributes:`);

    const name = parts?.name ?? Fn.element(Fn.split('/', attrs.identityId), 8);
    let lookup: DataAzurermUserAssignedIdentity | undefined;
    if (attrs.principalId === undefined || attrs.clientId === undefined) {
      lookup = new DataAzurermUserAssignedIdentity(this, 'Lookup', {
        name,
        resourceGroupName: parts?.resourceGroupName ?? Fn.element(Fn.split('/', attrs.identityId), 4),
      });
    }
    this.identityName = name;
    this.identityId = attrs.identityId;
    this.principal = attrs.principalId ?? lookup!.principalId;
    this.clientId = attrs.clientId ?? lookup!.clientId;
    markImported(this, { kind: 'userAssignedIdentity', resourceId: attrs.identityId, name, principalId: this.principal });
  }
}

/** An Entra principal by object id, for grants only. */
class ImportedPrincipal extends Construct implements IAzurePrincipal {
  public readonly cloud = 'azure' as const;
  public readonly identityName: string;
  public readonly identityId: string;
  public readonly principal: string;
  public readonly principalType: AzurePrincipalType;

  constructor(scope: Construct, id: string, principalId: string, principalType: AzurePrincipalType) {
    super(scope, id);
    const construct = 'AzureWorkloadIdentity.fromPrincipalId';
    const issues = new IssueCollector();
    checkGuid(new PropChecks(issues, construct, this.node.path), 'principalId', principalId);
    if (principalId === undefined) issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid(construct, 'principalId', principalId, 'an Entra object id (a GUID)'));
    if (!PRINCIPAL_TYPES.includes(principalType)) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid(construct, 'principalType', principalType, `one of ${PRINCIPAL_TYPES.map((t) => `'${t}'`).join(', ')}`),
      );
    }
    issues.throwIfAny(`Invalid ${construct} arguments:`);
    this.identityName = principalId;
    this.identityId = principalId;
    this.principal = principalId;
    this.principalType = principalType;
    markImported(this, { kind: 'principal', resourceId: principalId, name: principalId, principalId });
  }
}

/** True for an identity that is a user-assigned managed identity (created or imported): it has a client id and a resource id. */
export function isAzureWorkloadIdentity(identity: IWorkloadIdentity): identity is IAzureWorkloadIdentity {
  const candidate = identity as Partial<IAzureWorkloadIdentity>;
  return (
    identity.cloud === 'azure' &&
    typeof candidate.clientId === 'string' &&
    (Token.isUnresolved(identity.identityId) || parseResourceId(identity.identityId, IDENTITY_TYPE) !== undefined)
  );
}
