import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Annotations, Lazy, TerraformStack, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { AzureMlPlatform } from '../azure/platform';
import { importInfoOf } from '../azure/imported';
import { azureTags, checkGuid, nameFor, namingOf, parseResourceId } from '../azure/util';
import { ErrorCode, IssueCollector, messages, show } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { AZURE_FEDERATION_AUDIENCE, AZURE_MAX_FEDERATED_CREDENTIALS, GITHUB_OIDC_ISSUER, GithubRepositoryProps, GithubSubject, checkGithubProps, githubSubjects } from './github';
import { checkSubjectCount, checkSubjectLength, loginOutputs, shortHash } from './private/util';
import { AZURE_BUILT_IN_ROLE_IDS, AZURE_ROLE_ADMIN_ROLE_IDS, constrainedDelegationCondition, roleGuidOf } from './private/azure-roles';
import { PropChecks } from '../core/validate';

/** The azurerm state backend the CI identity reads and writes state in. */
export interface AzureStateBackendRef {
  /** Resource group of the state storage account. */
  readonly resourceGroupName: string;
  /** The state storage account. */
  readonly storageAccountName: string;
  /** The blob container holding the state. */
  readonly containerName: string;
}

/** Props of {@link AzureGithubCiIdentity}. */
export interface AzureGithubCiIdentityProps extends GithubRepositoryProps {
  /** The platform CI deploys: its resource group is the scope of the deploy roles. */
  readonly platform: AzureMlPlatform;
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The subscription the platform is deployed to (an output for `azure/login`). */
  readonly subscriptionId: string;
  /** The Microsoft Entra tenant (an output for `azure/login`). */
  readonly tenantId: string;
  /**
   * The azurerm state backend of the stack: CI gets 'Storage Blob Data
   * Contributor' on its container and 'Reader' on its storage account (so
   * Terraform can refresh those two assignments). The storage account must be
   * in `subscriptionId`.
   * @default - no state access (local state cannot be shared with CI runs anyway)
   */
  readonly stateBackend?: AzureStateBackendRef;
  /**
   * Ids of further roles (name → role definition GUID) that resources of the
   * stack assign and CI may therefore create and delete assignments of,
   * besides the built-in roles the platform uses and the custom roles defined
   * in the stack.
   * @default - none
   */
  readonly assignableRoleIds?: Readonly<Record<string, string>>;
  /**
   * Tags put on the CI resource group and identity, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Keyless deploys from GitHub Actions to Azure: a user-assigned identity in
 * its own resource group (`<company>-<project>-<env>-ci-rg`) with one
 * federated identity credential per trusted subject (issuer
 * `https://token.actions.githubusercontent.com`, audience
 * `api://AzureADTokenExchange`, subjects restricted to the repository's
 * listed branches and environments, and pull requests only when enabled).
 * Azure allows 20 federated credentials per identity; more subjects are a
 * config error.
 *
 * Its roles are what `cdktf deploy` of the stack and the release step need:
 * - 'Contributor' on the platform resource group: Terraform creates, updates
 *   and replaces every platform resource (all of them live in that group);
 *   the release step creates Azure ML jobs, model versions and online
 *   endpoints there; the runtime image is pushed to the group's registry.
 * - 'Role Based Access Control Administrator' on the platform resource group,
 *   with a condition that lets it create and delete assignments of exactly
 *   the roles the stack assigns (collected from the stack's role assignments
 *   at synth) — never Owner, User Access Administrator or this role itself —
 *   because the stack's own role assignments are resources Terraform manages.
 * - 'Key Vault Reader' on the platform Key Vault: the vault uses RBAC, and
 *   Terraform must read the key's metadata while refreshing.
 * - the platform's deploy data roles (`platform.grantDeploy`): 'Key Vault
 *   Crypto Officer' on the vault, 'Storage Blob Data Contributor' on the
 *   artifact container and 'AcrPush' on the registry.
 * - 'Reader' on its own resource group: CI refreshes its identity and
 *   credentials but cannot change who may sign in as it.
 * - with `stateBackend`: 'Storage Blob Data Contributor' on the state
 *   container and 'Reader' on its storage account.
 *
 * Changes to the CI identity itself, to these assignments or to the set of
 * roles the stack assigns need a deploy by a person (CI cannot widen its own
 * rights). Nothing here is secret; no client secret or certificate exists.
 */
export class AzureGithubCiIdentity extends Construct {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** The subjects trusted, one federated credential each. */
  public readonly subjects: readonly GithubSubject[];
  /** Name of the CI resource group. */
  public readonly resourceGroupName: string;
  /** Name of the user-assigned identity. */
  public readonly identityName: string;
  /** Resource id of the identity. */
  public readonly identityId: string;
  /** Client id: `azure/login`'s `client-id`. */
  public readonly clientId: string;
  /** Principal (object) id: what role assignments name. */
  public readonly principalId: string;
  /** Exactly the values `azure/login` needs (see `CI_LOGIN_VALUES.azure`). */
  public readonly outputs: Record<string, string>;

  constructor(scope: Construct, id: string, props: AzureGithubCiIdentityProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const where = this.node.path;
    const naming = namingOf(props.naming);
    if (!(props.platform instanceof AzureMlPlatform)) {
      issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid('AzureGithubCiIdentity', 'platform', typeof props.platform, 'an AzureMlPlatform'));
    }
    const before = issues.issues.length;
    checkGithubProps(new PropChecks(issues, 'AzureGithubCiIdentity', where), props);
    const githubOk = issues.issues.length === before;
    checkGuid(new PropChecks(issues, 'AzureGithubCiIdentity', where), 'subscriptionId', props.subscriptionId);
    checkGuid(new PropChecks(issues, 'AzureGithubCiIdentity', where), 'tenantId', props.tenantId);
    for (const [name, guid] of Object.entries(props.assignableRoleIds ?? {})) {
      if (!roleGuidOf(guid) || guid.includes('/')) {
        issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid('AzureGithubCiIdentity', `assignableRoleIds[${JSON.stringify(name)}]`, guid, 'a role definition GUID'));
      }
    }
    if (props.stateBackend) checkStateBackend(issues, where, props.stateBackend);
    const rgName = nameFor(issues, naming, 'resourceGroup', 'ci-rg');
    const identityName = nameFor(issues, naming, 'managedIdentity', 'id-github');
    const subjects = githubOk ? githubSubjects(props) : [];
    checkSubjectCount(
      new PropChecks(issues, 'AzureGithubCiIdentity', where),
      subjects,
      AZURE_MAX_FEDERATED_CREDENTIALS,
      'Azure (federated identity credentials per user-assigned identity)',
    );
    checkSubjectLength(new PropChecks(issues, 'AzureGithubCiIdentity', where), subjects, 600, 'a federated identity credential subject');
    issues.throwIfAny('Invalid AzureGithubCiIdentity props:');

    const platform = props.platform;
    const location = platform.resourceGroup.location;
    const tags = azureTags(naming, props.tags);
    this.subjects = subjects;

    const rg = new ResourceGroup(this, 'ResourceGroup', { name: rgName, location, tags });
    const identity = new UserAssignedIdentity(this, 'Identity', { name: identityName, location, resourceGroupName: rg.name, tags });

    // Azure refuses concurrent credential writes on one identity: create them one after another.
    // Construct ids follow the credential names, so adding a branch leaves the other credentials untouched.
    const names = credentialNames(subjects);
    let previous: FederatedIdentityCredential | undefined;
    for (const [i, subject] of subjects.entries()) {
      previous = new FederatedIdentityCredential(this, `Credential-${names[i]!}`, {
        name: names[i]!,
        resourceGroupName: rg.name,
        parentId: identity.id,
        issuer: GITHUB_OIDC_ISSUER,
        audience: [AZURE_FEDERATION_AUDIENCE],
        subject: subject.subject,
        dependsOn: previous ? [previous] : undefined,
      });
    }

    const assign = (cid: string, scopeId: string, roleName: string, extra: { condition?: string } = {}): RoleAssignment =>
      new RoleAssignment(this, cid, {
        scope: scopeId,
        roleDefinitionName: roleName,
        principalId: identity.principalId,
        principalType: 'ServicePrincipal',
        ...(extra.condition ? { condition: extra.condition, conditionVersion: '2.0' } : {}),
      });

    const platformRg = platform.resourceGroup.resourceGroupId;
    assign('DeployContributor', platformRg, 'Contributor');
    const delegation = { condition: Lazy.stringValue({ produce: () => constrainedDelegationCondition(this.assignableRoleIds(props.assignableRoleIds ?? {})) }) };
    assign('RoleAssignmentAdmin', platformRg, 'Role Based Access Control Administrator', delegation);
    // Grants on imported resources outside the platform's resource group are role assignments on
    // their scopes: CI may make them (the same constrained roles) on those resources only.
    for (const scopeId of importedScopesOutside(platform)) {
      assign(`RoleAssignmentAdmin-${shortHash(scopeId)}`, scopeId, 'Role Based Access Control Administrator', delegation);
    }
    assign('KeyVaultReader', platform.encryptionKey.keyVaultId, 'Key Vault Reader');
    // The data roles Terraform needs through the data planes (create the key, write the
    // training data, push the image); every such write waits for them.
    platform.grantDeploy(identity.principalId, 'ServicePrincipal');
    assign('OwnResourceGroupReader', rg.id, 'Reader');
    if (props.stateBackend) {
      const b = props.stateBackend;
      const account = `/subscriptions/${props.subscriptionId}/resourceGroups/${b.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${b.storageAccountName}`;
      assign('StateContainerAccess', `${account}/blobServices/default/containers/${b.containerName}`, 'Storage Blob Data Contributor');
      assign('StateAccountReader', account, 'Reader');
    }

    if (props.pullRequests) {
      Annotations.of(this).addWarning(
        'ci.github.pullRequests is true: every pull request from a branch of the repository can sign in with the deploy identity. ' +
          'Keep it only if pushing branches is restricted to people allowed to deploy.',
      );
    }
    if (platform.network.mode === 'firewalled') {
      Annotations.of(this).addWarning(
        'network.mode is firewalled: CI runs Terraform through the Key Vault, storage and registry data planes, which take requests only from network.allowedIpRanges, ' +
          'and GitHub-hosted runners have no stable egress range to list there. Run the deploy job on a runner with a static egress listed in allowedIpRanges ' +
          '(self-hosted, or a larger runner with static IPs; repository variable MLOPS_RUNNER), or use network.mode: private with a self-hosted runner inside the network.',
      );
    }
    if ((props.environments ?? []).length === 0) {
      Annotations.of(this).addWarning(
        'ci.github.environments is empty: jobs that run in a GitHub environment (the shipped deploy.yml does) present the environment, not the branch, ' +
          'as their subject and cannot sign in. Add the environment name to ci.github.environments.',
      );
    }

    this.resourceGroupName = rgName;
    this.identityName = identityName;
    this.identityId = identity.id;
    this.clientId = identity.clientId;
    this.principalId = identity.principalId;
    this.outputs = loginOutputs('azure', {
      azure_client_id: identity.clientId,
      azure_tenant_id: props.tenantId,
      azure_subscription_id: props.subscriptionId,
    });
  }

  /**
   * The role definition ids CI may assign: every role the stack's other role
   * assignments use (built-in roles by name, custom roles defined in the
   * stack) plus `extra`, sorted. Throws when an assignment names a role whose
   * id is unknown, or a role that grants access rights itself.
   */
  private assignableRoleIds(extra: Readonly<Record<string, string>>): string[] {
    const stack = TerraformStack.of(this);
    const known: Record<string, string> = { ...AZURE_BUILT_IN_ROLE_IDS, ...extra };
    const forbidden = new Set(Object.values(AZURE_ROLE_ADMIN_ROLE_IDS));
    const ids = new Set<string>();
    const customRoles = stack.node.findAll().filter((c): c is RoleDefinition => c instanceof RoleDefinition);
    const problems = new IssueCollector();
    let tokenRoles = 0;
    for (const c of stack.node.findAll()) {
      if (!(c instanceof RoleAssignment) || isWithin(c, this)) continue;
      const name = c.roleDefinitionNameInput;
      const idInput = c.roleDefinitionIdInput;
      let guid: string | undefined;
      let label: string;
      if (name !== undefined && !Token.isUnresolved(name)) {
        label = name;
        guid = AZURE_ROLE_ADMIN_ROLE_IDS[name] ?? known[name];
      } else if (idInput !== undefined && !Token.isUnresolved(idInput)) {
        label = idInput;
        guid = roleGuidOf(idInput);
      } else {
        // A role defined in this stack (its id is only known at apply time): covered by the custom roles below.
        tokenRoles++;
        continue;
      }
      if (guid === undefined) {
        problems.add(
          ErrorCode.PROP_INVALID,
          c.node.path,
          `The role assignment at ${c.node.path} uses the role ${show(label)}, whose id AzureGithubCiIdentity does not know, so CI could not manage it. ` +
            `Fix: pass its role definition GUID in AzureGithubCiIdentity's assignableRoleIds, e.g. { ${JSON.stringify(label)}: '<guid>' } (az role definition list --name ${JSON.stringify(label)} --query [0].name).`,
        );
      } else if (forbidden.has(guid.toLowerCase())) {
        problems.add(
          ErrorCode.PROP_INVALID,
          c.node.path,
          `The role assignment at ${c.node.path} assigns ${show(label)}, a role that grants access itself; the CI identity may never manage such assignments. ` +
            'Fix: assign a narrower role, or deploy that assignment from a separate stack run by a person.',
        );
      } else {
        ids.add(guid.toLowerCase());
      }
    }
    if (tokenRoles > 0 && customRoles.length === 0) {
      problems.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        `${tokenRoles} role assignment(s) name their role by an id computed at apply time, but the stack defines no custom role: CI could not manage them. ` +
          "Fix: name the role by its built-in name, or pass its GUID in AzureGithubCiIdentity's assignableRoleIds.",
      );
    }
    problems.throwIfAny('AzureGithubCiIdentity cannot limit which roles CI may assign:');
    return [...[...ids].sort(), ...customRoles.map((r) => r.roleDefinitionId)];
  }
}

function isWithin(c: IConstruct, ancestor: IConstruct): boolean {
  return c.node.scopes.includes(ancestor);
}

/** Federated credential names: readable, unique, 3-120 characters of letters, digits, - and _. */
function credentialNames(subjects: readonly GithubSubject[]): string[] {
  const readable = subjects.map((s) => {
    const kind = s.kind === 'branch' ? 'branch' : s.kind === 'environment' ? 'env' : 'pull-request';
    const name =
      s.kind === 'pull_request'
        ? ''
        : `-${s.name
            .replace(/[^A-Za-z0-9_-]+/g, '-')
            .replace(/-+/g, '-')
            .replace(/-$/, '')}`;
    return `github-${kind}${name}`;
  });
  return readable.map((n, i) => {
    const clash = readable.filter((m) => m === n).length > 1;
    const base = n.length > 110 ? n.slice(0, 110) : n;
    return clash || n.length > 110 ? `${base}-${shortHash(subjects[i]!.subject)}` : n;
  });
}

function checkStateBackend(issues: IssueCollector, path: string, b: AzureStateBackendRef): void {
  const bad = (prop: string, value: unknown, accepted: string): void =>
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid('AzureGithubCiIdentity', `stateBackend.${prop}`, value, accepted));
  if (!/^[A-Za-z0-9._()-]{1,90}$/.test(b.resourceGroupName ?? '')) bad('resourceGroupName', b.resourceGroupName, 'a resource group name (config: backend.resourceGroupName)');
  if (!/^[a-z0-9]{3,24}$/.test(b.storageAccountName ?? ''))
    bad('storageAccountName', b.storageAccountName, '3-24 lowercase letters and digits (config: backend.storageAccountName)');
  if (!/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/.test(b.containerName ?? ''))
    bad('containerName', b.containerName, 'a blob container name: 3-63 lowercase letters, digits and hyphens (config: backend.containerName)');
}

/**
 * The resource ids of the platform's imported key vault, storage account and
 * registry that are not in its resource group (where CI already manages role
 * assignments). A created resource group is never home to an imported
 * resource; an imported one is compared by name.
 */
function importedScopesOutside(platform: AzureMlPlatform): string[] {
  const rg = importInfoOf(platform.resourceGroup);
  const home = rg && !Token.isUnresolved(rg.name) ? rg.name.toLowerCase() : undefined;
  const scopes: string[] = [];
  const candidates: { imported: boolean; id: string; type: string }[] = [
    { imported: platform.encryptionKey.imported, id: platform.encryptionKey.keyVaultId, type: 'Microsoft.KeyVault/vaults' },
    { imported: platform.artifactStore.imported, id: platform.artifactStore.accountId, type: 'Microsoft.Storage/storageAccounts' },
    { imported: platform.imageRegistry.imported, id: platform.imageRegistry.registryId, type: 'Microsoft.ContainerRegistry/registries' },
  ];
  for (const c of candidates) {
    if (!c.imported) continue;
    const parts = Token.isUnresolved(c.id) ? undefined : parseResourceId(c.id, c.type);
    if (parts && home !== undefined && parts.resourceGroupName.toLowerCase() === home) continue;
    if (!scopes.includes(c.id)) scopes.push(c.id);
  }
  return scopes;
}
