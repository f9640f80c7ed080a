/**
 * Ids (GUIDs) of the Azure built-in roles the platform assigns, by name. Role
 * assignment conditions compare role definition ids, not names, so the CI
 * identity's constrained 'Role Based Access Control Administrator' assignment
 * needs the id of every role the deployment assigns. Built-in role ids are the
 * same in every tenant.
 */
export const AZURE_BUILT_IN_ROLE_IDS: Readonly<Record<string, string>> = {
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
  'Key Vault Reader': '21090545-7ca7-4776-b22c-e363652d74d2',
  'Key Vault Crypto User': '12338af0-0e69-4776-bea7-57ae8d297424',
  'Key Vault Crypto Service Encryption User': 'e147488a-f6f5-4113-8e2d-b22465e65bf6',
  'Key Vault Crypto Officer': '14b46e9e-c2b7-41b4-b07b-48a6ebf60603',
  'Key Vault Administrator': '00482a5a-887f-4fb3-b363-3b7fe8e74483',
  'AzureML Data Scientist': 'f6c7c914-8db3-469d-8ca1-694a8f32e121',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Storage Queue Data Message Processor': '8a0f0c08-91a1-4084-bc3d-661d67233fed',
  'Storage Queue Data Message Sender': 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a',
};

/**
 * Roles that can grant access themselves. The CI identity may never assign
 * them: a deployment that assigns one of them is refused rather than letting
 * CI hand out role-assignment rights.
 */
export const AZURE_ROLE_ADMIN_ROLE_IDS: Readonly<Record<string, string>> = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'Role Based Access Control Administrator': 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The GUID at the end of a role definition id (`…/roleDefinitions/<guid>`), or the GUID itself. */
export function roleGuidOf(roleDefinitionId: string): string | undefined {
  const last = roleDefinitionId.split('/').pop() ?? '';
  return GUID.test(last) ? last.toLowerCase() : undefined;
}

/**
 * The ABAC condition that limits a 'Role Based Access Control Administrator'
 * assignment to creating and deleting assignments of the listed role
 * definitions (Azure's "constrain roles" delegation pattern). With no roles it
 * allows neither.
 */
export function constrainedDelegationCondition(roleIds: readonly string[]): string {
  const write = "!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})";
  const del = "!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})";
  if (roleIds.length === 0) return `(${write}) AND (${del})`;
  const list = roleIds.join(', ');
  return [
    '(',
    ` (${write})`,
    ' OR',
    ` (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${list}})`,
    ')',
    'AND',
    '(',
    ` (${del})`,
    ' OR',
    ` (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${list}})`,
    ')',
  ].join('\n');
}
