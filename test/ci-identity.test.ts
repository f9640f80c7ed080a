import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { AwsMlPlatform } from '../lib/aws';
import { AzureMlPlatform, AzureWorkloadIdentity } from '../lib/azure';
import { CI_LOGIN_VALUES, ciOptionsFromConfig, createCiIdentity, githubSubjects } from '../lib/ci';
import { AwsGithubCiIdentity, AwsGithubCiIdentityProps } from '../lib/ci/aws';
import { AWS_MANAGED_POLICY_MAX_CHARS, CI_AWS_SELF_DENY_ACTIONS, CI_AWS_UNSCOPED_READ_ACTIONS } from '../lib/ci/aws-perms';
import { AzureGithubCiIdentity, AzureGithubCiIdentityProps } from '../lib/ci/azure';
import { GCP_CI_ALERT_ROLES, GCP_CI_PROJECT_ROLES, GCP_CI_RELEASE_ROLES, GCP_CI_RESOURCE_ROLES, GcpGithubCiIdentity, GcpGithubCiIdentityProps } from '../lib/ci/gcp';
import { AZURE_BUILT_IN_ROLE_IDS, AZURE_ROLE_ADMIN_ROLE_IDS } from '../lib/ci/private/azure-roles';
import { loadConfig } from '../lib/config/load';
import { StackConfig } from '../lib/config/schema';
import { Cloud } from '../lib/core/cloud';
import { IMlPlatform } from '../lib/core/contracts';
import { ErrorCode, MlopsValidationError } from '../lib/core/errors';
import { NamingParts } from '../lib/core/naming';
import { GCP_BASIC_ROLES, GCP_IMPERSONATION_ROLES, GcpMlPlatform } from '../lib/gcp';
import { createPlatform } from '../lib/platform';
import { SynthJson, synthStack } from './util';

const NAMING: NamingParts = { company: 'contoso', project: 'mlops', environment: 'dev' };
const PREFIX = 'contoso-mlops-dev';
const REPO = 'contoso/ml-platform';
const TENANT = '11111111-2222-3333-4444-555555555555';
const SUBSCRIPTION = '66666666-7777-8888-9999-000000000000';
const ACCOUNT = '123456789012';
const PROJECT = 'contoso-ml-dev';
const GITHUB = { repository: REPO, branches: ['main'], environments: ['dev', 'prod'] };
const EXPECTED_SUBJECTS = [`repo:${REPO}:ref:refs/heads/main`, `repo:${REPO}:environment:dev`, `repo:${REPO}:environment:prod`];

/** Resources of a type created by the CI construct (logical ids start with `Ci_`). */
function ciResources(json: SynthJson, type: string): Record<string, any>[] {
  return Object.entries(json.resource?.[type] ?? {})
    .filter(([id]) => id.startsWith('Ci_'))
    .map(([, r]) => r);
}

/** The logical id of the only resource of `type` whose id starts with `prefix`. */
function logicalId(json: SynthJson, type: string, prefix: string): string {
  const ids = Object.keys(json.resource?.[type] ?? {}).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

function validationError(build: (stack: TerraformStack) => void): MlopsValidationError {
  try {
    synthStack(build);
  } catch (e) {
    if (e instanceof MlopsValidationError) return e;
    throw e;
  }
  throw new Error('expected a MlopsValidationError, but nothing was thrown');
}

function warningsOf(construct: { node: { metadata: ReadonlyArray<{ type: string; data: unknown }> } }): string[] {
  return construct.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
}

/** Adds one TerraformOutput per CI output so the test sees how they resolve. */
function addOutputs(stack: TerraformStack, outputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(outputs)) new TerraformOutput(stack, name, { value, staticId: true });
}

// ---------------------------------------------------------------------------------------------
describe('AzureGithubCiIdentity', () => {
  const build = (stack: TerraformStack, props: Partial<AzureGithubCiIdentityProps> = {}): AzureGithubCiIdentity => {
    const platform = new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT });
    const ci = new AzureGithubCiIdentity(stack, 'Ci', { ...GITHUB, platform, naming: NAMING, subscriptionId: SUBSCRIPTION, tenantId: TENANT, ...props });
    addOutputs(stack, ci.outputs);
    return ci;
  };
  const synth = (props: Partial<AzureGithubCiIdentityProps> = {}): SynthJson => synthStack((stack) => build(stack, props));

  test('one federated credential per subject: GitHub issuer, Entra audience, exact subjects, created one after another', () => {
    const json = synth();
    const creds = ciResources(json, 'azurerm_federated_identity_credential');
    expect(creds.map((c) => c.subject)).toEqual(EXPECTED_SUBJECTS);
    for (const c of creds) {
      expect(c.issuer).toBe('https://token.actions.githubusercontent.com');
      expect(c.audience).toEqual(['api://AzureADTokenExchange']);
      expect(c.subject).not.toMatch(/[*?]/);
      expect(c.name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/);
      expect(c.parent_id).toBe(`\${azurerm_user_assigned_identity.${logicalId(json, 'azurerm_user_assigned_identity', 'Ci_')}.id}`);
    }
    expect(creds.map((c) => c.name)).toEqual(['github-branch-main', 'github-env-dev', 'github-env-prod']);
    // Azure refuses concurrent credential writes on one identity.
    const ids = Object.keys(json.resource!.azurerm_federated_identity_credential!).filter((id) => id.startsWith('Ci_'));
    expect(creds[0]!.depends_on).toBeUndefined();
    expect(creds[1]!.depends_on).toEqual([`azurerm_federated_identity_credential.${ids[0]}`]);
    expect(creds[2]!.depends_on).toEqual([`azurerm_federated_identity_credential.${ids[1]}`]);
  });

  test('pull requests get a subject only when enabled', () => {
    expect(ciResources(synth(), 'azurerm_federated_identity_credential').map((c) => c.subject)).not.toContain(`repo:${REPO}:pull_request`);
    const subjects = ciResources(synth({ pullRequests: true }), 'azurerm_federated_identity_credential').map((c) => c.subject);
    expect(subjects).toEqual([...EXPECTED_SUBJECTS, `repo:${REPO}:pull_request`]);
  });

  test('immutable subject claims use the repository with its ids', () => {
    const subjects = ciResources(synth({ subjectRepository: 'contoso@123/ml-platform@456' }), 'azurerm_federated_identity_credential').map((c) => c.subject);
    expect(subjects[0]).toBe('repo:contoso@123/ml-platform@456:ref:refs/heads/main');
  });

  test('the identity lives in its own resource group, with no secret or certificate anywhere', () => {
    const json = synth();
    const [rg] = ciResources(json, 'azurerm_resource_group');
    expect(rg!.name).toBe(`${PREFIX}-ci-rg`);
    const [identity] = ciResources(json, 'azurerm_user_assigned_identity');
    expect(identity!.name).toBe(`${PREFIX}-id-github`);
    expect(identity!.resource_group_name).toBe(`\${azurerm_resource_group.${logicalId(json, 'azurerm_resource_group', 'Ci_')}.name}`);
    const types = Object.keys(json.resource ?? {});
    expect(types.filter((t) => /password|secret|certificate|^azuread_/.test(t))).toEqual([]);
  });

  test('role assignments: Contributor and a constrained RBAC administrator on the platform group, Key Vault Reader, Reader on its own group', () => {
    const json = synth();
    const principal = `\${azurerm_user_assigned_identity.${logicalId(json, 'azurerm_user_assigned_identity', 'Ci_')}.principal_id}`;
    const platformRg = `\${azurerm_resource_group.${logicalId(json, 'azurerm_resource_group', 'Platform_')}.id}`;
    const ciRg = `\${azurerm_resource_group.${logicalId(json, 'azurerm_resource_group', 'Ci_')}.id}`;
    const vault = `\${azurerm_key_vault.${logicalId(json, 'azurerm_key_vault', 'Platform_')}.id}`;
    const mine = ciResources(json, 'azurerm_role_assignment');
    expect(mine.every((a) => a.principal_id === principal && a.principal_type === 'ServicePrincipal')).toBe(true);
    expect(mine.map((a) => [a.role_definition_name, a.scope]).sort()).toEqual(
      [
        ['Contributor', platformRg],
        ['Key Vault Reader', vault],
        ['Reader', ciRg],
        ['Role Based Access Control Administrator', platformRg],
      ].sort(),
    );
    // Nothing at subscription scope, nothing that grants access without a condition.
    expect(mine.some((a) => /^\/subscriptions\/[^/]+$/.test(a.scope))).toBe(false);
    for (const a of mine) {
      if (['Owner', 'User Access Administrator'].includes(a.role_definition_name)) throw new Error('unexpected role');
      if (a.role_definition_name === 'Role Based Access Control Administrator') expect(a.condition_version).toBe('2.0');
    }
  });

  test('the RBAC administrator condition lists exactly the roles the rest of the stack assigns, and never role-admin roles', () => {
    const json = synth();
    const [admin] = ciResources(json, 'azurerm_role_assignment').filter((a) => a.role_definition_name === 'Role Based Access Control Administrator');
    const condition: string = admin!.condition;
    expect(condition).toContain("ActionMatches{'Microsoft.Authorization/roleAssignments/write'}");
    expect(condition).toContain("ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}");
    const lists = [...condition.matchAll(/GuidEquals \{([^}]*)\}/g)].map((m) => m[1]!.split(', '));
    expect(lists).toHaveLength(2);
    expect(lists[0]).toEqual(lists[1]);
    const platformRoles = Object.entries(json.resource!.azurerm_role_assignment!)
      .filter(([id, a]) => !id.startsWith('Ci_') && a.role_definition_name !== undefined)
      .map(([, a]) => a.role_definition_name as string);
    const expected = [...new Set(platformRoles.map((n) => AZURE_BUILT_IN_ROLE_IDS[n]!))].sort();
    expect(expected.length).toBeGreaterThan(5);
    // Built-in roles by id, then the custom roles the stack defines (the workspace's Key Vault data role) by reference.
    const customRoles = Object.keys(json.resource!.azurerm_role_definition!).map((id) => `\${azurerm_role_definition.${id}.role_definition_id}`);
    expect(lists[0]!.slice(0, expected.length)).toEqual(expected);
    for (const role of customRoles) expect(condition).toContain(role);
    for (const forbidden of Object.values(AZURE_ROLE_ADMIN_ROLE_IDS)) expect(condition).not.toContain(forbidden);
  });

  test('custom roles defined in the stack are assignable by their computed id', () => {
    const json = synthStack((stack) => {
      const ci = build(stack);
      const platform = stack.node.findChild('Platform') as AzureMlPlatform;
      const reader = new AzureWorkloadIdentity(stack, 'Reader', { naming: NAMING, resourceGroup: platform.resourceGroup, resource: 'id-reader' });
      platform.modelRegistry.grantRead(reader);
      return ci;
    });
    const [admin] = ciResources(json, 'azurerm_role_assignment').filter((a) => a.role_definition_name === 'Role Based Access Control Administrator');
    const roleDef = logicalId(json, 'azurerm_role_definition', 'Platform_ModelRegistry_');
    expect(admin!.condition).toContain(`\${azurerm_role_definition.${roleDef}.role_definition_id}`);
  });

  test('an assignment of an unknown role, or of a role-admin role, fails synth with the fix', () => {
    const unknown = validationError((stack) => {
      build(stack);
      const platform = stack.node.findChild('Platform') as AzureMlPlatform;
      new RoleAssignment(stack, 'Extra', { scope: platform.resourceGroup.resourceGroupId, roleDefinitionName: 'Cognitive Services User', principalId: TENANT });
    });
    expect(unknown.message).toContain('"Cognitive Services User"');
    expect(unknown.message).toContain('assignableRoleIds');

    const known = synthStack((stack) => {
      build(stack, { assignableRoleIds: { 'Cognitive Services User': 'a97b65f3-24c7-4388-baec-2e87135dc908' } });
      const platform = stack.node.findChild('Platform') as AzureMlPlatform;
      new RoleAssignment(stack, 'Extra', { scope: platform.resourceGroup.resourceGroupId, roleDefinitionName: 'Cognitive Services User', principalId: TENANT });
    });
    const [admin] = ciResources(known, 'azurerm_role_assignment').filter((a) => a.role_definition_name === 'Role Based Access Control Administrator');
    expect(admin!.condition).toContain('a97b65f3-24c7-4388-baec-2e87135dc908');

    const owner = validationError((stack) => {
      build(stack);
      const platform = stack.node.findChild('Platform') as AzureMlPlatform;
      new RoleAssignment(stack, 'Extra', { scope: platform.resourceGroup.resourceGroupId, roleDefinitionName: 'Owner', principalId: TENANT });
    });
    expect(owner.message).toContain('grants access itself');
  });

  test('state backend: blob data access on the state container and Reader on its account', () => {
    const json = synth({ stateBackend: { resourceGroupName: 'tfstate-rg', storageAccountName: 'contosotfstate', containerName: 'tfstate' } });
    const account = `/subscriptions/${SUBSCRIPTION}/resourceGroups/tfstate-rg/providers/Microsoft.Storage/storageAccounts/contosotfstate`;
    const mine = ciResources(json, 'azurerm_role_assignment').map((a) => [a.role_definition_name, a.scope]);
    expect(mine).toContainEqual(['Storage Blob Data Contributor', `${account}/blobServices/default/containers/tfstate`]);
    expect(mine).toContainEqual(['Reader', account]);
    const bad = validationError((stack) => build(stack, { stateBackend: { resourceGroupName: 'rg', storageAccountName: 'Bad_Name', containerName: 'x' } }));
    expect(bad.message).toContain('stateBackend.storageAccountName');
    expect(bad.message).toContain('stateBackend.containerName');
  });

  test('outputs are exactly what azure/login needs', () => {
    const json = synth();
    const identity = logicalId(json, 'azurerm_user_assigned_identity', 'Ci_');
    expect(Object.keys(json.output ?? {}).sort()).toEqual(CI_LOGIN_VALUES.azure.map((v) => v.output).sort());
    expect(json.output!.azure_client_id.value).toBe(`\${azurerm_user_assigned_identity.${identity}.client_id}`);
    expect(json.output!.azure_tenant_id.value).toBe(TENANT);
    expect(json.output!.azure_subscription_id.value).toBe(SUBSCRIPTION);
  });

  test('more than 20 subjects is a config error naming the limit and the fix', () => {
    const branches = Array.from({ length: 19 }, (_, i) => `release-${i}`);
    const e = validationError((stack) => build(stack, { branches, environments: ['dev', 'prod'] }));
    expect(e.issues.map((i) => i.code)).toContain(ErrorCode.PROP_INVALID);
    expect(e.message).toContain('21 subjects');
    expect(e.message).toContain('at most 20');
    expect(e.message).toContain('ci.github.branches');
    // Exactly 20 is fine.
    expect(() => synth({ branches: branches.slice(0, 18), environments: ['dev', 'prod'] })).not.toThrow();
  });

  test('warns when no environment is trusted or pull requests are', () => {
    let ci!: AzureGithubCiIdentity;
    synthStack((stack) => (ci = build(stack, { environments: [], pullRequests: true })));
    const warnings = warningsOf(ci);
    expect(warnings.some((w) => w.includes('ci.github.environments is empty'))).toBe(true);
    expect(warnings.some((w) => w.includes('pullRequests is true'))).toBe(true);
    synthStack((stack) => (ci = build(stack)));
    // (The firewalled platform's runner-egress warning is tested in test/azure-network.test.ts.)
    expect(warningsOf(ci).filter((w) => !w.includes('no stable egress'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('AwsGithubCiIdentity', () => {
  const build = (stack: TerraformStack, props: Partial<AwsGithubCiIdentityProps> = {}): AwsGithubCiIdentity => {
    const platform = new AwsMlPlatform(stack, 'Platform', { naming: props.naming ?? NAMING, accountId: ACCOUNT, region: 'eu-west-1' });
    const ci = new AwsGithubCiIdentity(stack, 'Ci', { ...GITHUB, platform, naming: NAMING, accountId: ACCOUNT, ...props });
    addOutputs(stack, ci.outputs);
    return ci;
  };
  const synth = (props: Partial<AwsGithubCiIdentityProps> = {}): SynthJson => synthStack((stack) => build(stack, props));
  const policies = (json: SynthJson): Record<string, { Statement: any[] }> =>
    Object.fromEntries(ciResources(json, 'aws_iam_policy').map((p) => [String(p.name).replace(`${PREFIX}-`, ''), JSON.parse(p.policy)]));

  test('the GitHub OIDC provider: token.actions.githubusercontent.com, client id sts.amazonaws.com', () => {
    const [provider] = ciResources(synth(), 'aws_iam_openid_connect_provider');
    expect(provider!.url).toBe('https://token.actions.githubusercontent.com');
    expect(provider!.client_id_list).toEqual(['sts.amazonaws.com']);
  });

  test('the trust policy pins aud and sub to exactly the listed refs and environments (CKV_AWS_358)', () => {
    const json = synth();
    const [role] = ciResources(json, 'aws_iam_role');
    const trust = JSON.parse(role!.assume_role_policy);
    expect(trust.Statement).toHaveLength(1);
    const s = trust.Statement[0];
    expect(s.Effect).toBe('Allow');
    expect(s.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(s.Principal).toEqual({ Federated: `\${aws_iam_openid_connect_provider.${logicalId(json, 'aws_iam_openid_connect_provider', 'Ci_')}.arn}` });
    expect(Object.keys(s.Condition)).toEqual(['StringEquals']);
    expect(s.Condition.StringEquals['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com');
    const subs: string[] = s.Condition.StringEquals['token.actions.githubusercontent.com:sub'];
    expect(subs).toEqual(EXPECTED_SUBJECTS);
    // What CKV_AWS_358 asks of every sub value: `repo:<org>/<repo>:…`, no wildcard anywhere.
    for (const sub of subs) {
      const parts = sub.split(':');
      expect(parts[0]).toBe('repo');
      expect(parts[1]).toMatch(/^[^/*]+\/[^/*]+$/);
      expect(sub).not.toMatch(/[*?]/);
    }
    // Six hours with the release step: training and the blue/green rollout run in one session.
    expect(role!.max_session_duration).toBe(21600);
    expect(role!.name).toBe(`${PREFIX}-github-ci`);
  });

  test('an existing provider is used by ARN instead of creating one; a malformed ARN is refused', () => {
    const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const json = synth({ existingProviderArn: arn });
    expect(ciResources(json, 'aws_iam_openid_connect_provider')).toEqual([]);
    const trust = JSON.parse(ciResources(json, 'aws_iam_role')[0]!.assume_role_policy);
    expect(trust.Statement[0].Principal.Federated).toBe(arn);
    const e = validationError((stack) => build(stack, { existingProviderArn: 'arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com' }));
    expect(e.message).toContain('existingProviderArn');
    expect(e.message).toContain(ACCOUNT);
  });

  test('no access keys or users; managed policies only, attached to the role', () => {
    const json = synth();
    expect(Object.keys(json.resource ?? {}).filter((t) => /access_key|iam_user|iam_role_policy$/.test(t) && ciResources(json, t).length > 0)).toEqual([]);
    const names = ciResources(json, 'aws_iam_policy')
      .map((p) => p.name)
      .sort();
    expect(names).toEqual([`${PREFIX}-ci-deploy`, `${PREFIX}-ci-iam`, `${PREFIX}-ci-release`]);
    expect(ciResources(json, 'aws_iam_role_policy_attachment')).toHaveLength(3);
  });

  test('permissions are scoped to the platform: no wildcard actions, "*" only for unscoped reads, ARNs under the name prefix', () => {
    const json = synth({ alerts: true, pipeline: true, stateBackend: { bucket: 'contoso-tfstate', key: 'mlops/dev.tfstate', region: 'eu-west-1', dynamodbTable: 'tflock' } });
    for (const [name, doc] of Object.entries(policies(json))) {
      for (const s of doc.Statement) {
        const actions: string[] = s.Action;
        const resources: string[] = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
        for (const a of actions) expect(a === '*' || a.endsWith(':*')).toBe(false);
        if (resources.includes('*')) {
          expect([name, s.Effect, actions.filter((a) => !CI_AWS_UNSCOPED_READ_ACTIONS.includes(a as never))]).toEqual([name, 'Allow', []]);
          continue;
        }
        for (const r of resources) {
          const ok =
            r.startsWith('${') || // the exact platform key / workload role
            r.includes(`:${PREFIX}-`) ||
            r.includes(`/${PREFIX}-`) ||
            r.includes(`s3:::${PREFIX}-`) ||
            r.includes(':oidc-provider/token.actions.githubusercontent.com') ||
            r.startsWith('arn:aws:s3:::contoso-tfstate') ||
            r.endsWith(':table/tflock') ||
            r === `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:*` ||
            r === `arn:aws:application-autoscaling:eu-west-1:${ACCOUNT}:scalable-target/*` ||
            // Definition validation is authorized on no machine name (hashicorp/terraform-provider-aws#39472).
            (r === `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:*` && s.Sid === 'ValidateStateMachines') ||
            r.endsWith('/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint');
          if (!ok) throw new Error(`${name} ${s.Sid}: resource ${r} is not scoped to the platform`);
        }
      }
    }
  });

  test('CI cannot change IAM policies or trust, delete stateful stores, or use the key outside S3', () => {
    const docs = policies(synth({ alerts: true }));
    const allowed = Object.values(docs).flatMap((d) => d.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action as string[]));
    // Object access (the training data Terraform uploads and refreshes) is on the platform bucket's objects only.
    const objects = docs['ci-deploy']!.Statement.filter((s) => (s.Action as string[]).some((a) => a === 's3:GetObject' || a === 's3:PutObject'));
    expect(objects.map((s) => s.Resource)).toEqual([expect.stringMatching(/^\$\{aws_s3_bucket\.Platform_ArtifactStore_[0-9A-F]+\.arn\}\/\*$/)]);
    for (const a of [
      'iam:PutRolePolicy',
      'iam:AttachRolePolicy',
      'iam:UpdateAssumeRolePolicy',
      'iam:CreateRole',
      'iam:CreatePolicyVersion',
      's3:DeleteBucket',
      's3:DeleteObjectVersion',
      'kms:ScheduleKeyDeletion',
      'ecr:DeleteRepository',
      'logs:DeleteLogGroup',
      'sagemaker:DeleteModelPackageGroup',
    ]) {
      expect(allowed).not.toContain(a);
    }
    // Decrypt and data keys only as S3 uses them for those objects.
    const keyUse = Object.values(docs).flatMap((d) => d.Statement.filter((s) => (s.Action as string[]).some((a) => a === 'kms:Decrypt' || a.startsWith('kms:GenerateDataKey'))));
    expect(keyUse.map((s) => s.Condition)).toEqual([{ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } }]);
    const passRole = docs['ci-iam']!.Statement.find((s) => (s.Action as string[]).includes('iam:PassRole'));
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    const grant = docs['ci-deploy']!.Statement.find((s) => (s.Action as string[]).includes('kms:CreateGrant'));
    expect(grant.Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    const deny = docs['ci-iam']!.Statement.find((s) => s.Effect === 'Deny');
    expect(deny.Action).toEqual([...CI_AWS_SELF_DENY_ACTIONS]);
    expect(deny.Resource).toContain(`arn:aws:iam::${ACCOUNT}:role/${PREFIX}-github-ci`);
    expect(deny.Resource).toContain(`arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`);
    expect(deny.Resource).toContain(`arn:aws:iam::${ACCOUNT}:policy/${PREFIX}-ci-iam`);
  });

  test('release, alerts and state permissions come only when asked for', () => {
    expect(Object.keys(policies(synth({ release: false }))).sort()).toEqual(['ci-deploy', 'ci-iam']);
    expect(Object.keys(policies(synth({ alerts: true }))).sort()).toEqual(['ci-alerts', 'ci-deploy', 'ci-iam', 'ci-release']);
    expect(Object.keys(policies(synth({ pipeline: true }))).sort()).toEqual(['ci-deploy', 'ci-iam', 'ci-pipeline', 'ci-release']);
    const state = policies(synth({ release: false, stateBackend: { bucket: 'contoso-tfstate', key: 'mlops/dev.tfstate', region: 'eu-west-1' } }))['ci-state']!;
    expect(state.Statement).toEqual([
      { Sid: 'StateBucketList', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: 'arn:aws:s3:::contoso-tfstate' },
      {
        Sid: 'StateObject',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: ['arn:aws:s3:::contoso-tfstate/mlops/dev.tfstate', 'arn:aws:s3:::contoso-tfstate/mlops/dev.tfstate.tflock'],
      },
    ]);
  });

  test('MLflow tracking server permissions come only with a platform that has one (trackingServer: true)', () => {
    const mlflowActions = (json: SynthJson): string[] =>
      Object.values(policies(json))
        .flatMap((p) => p.Statement)
        .flatMap((st) => [st.Action].flat() as string[])
        .filter((a) => a.includes('MlflowTrackingServer'));
    const mlflowResources = (json: SynthJson): string[] =>
      Object.values(policies(json))
        .flatMap((p) => p.Statement)
        .flatMap((st) => [st.Resource].flat() as string[])
        .filter((r) => r.includes('mlflow-tracking-server'));
    const without = synth();
    expect(mlflowActions(without)).toEqual([]);
    expect(mlflowResources(without)).toEqual([]);
    expect(policies(without)['ci-deploy']!.Statement.find((st) => st.Sid === 'Workspace')).toMatchObject({
      Action: expect.arrayContaining(['sagemaker:CreateModelPackageGroup']),
      Resource: `arn:aws:sagemaker:eu-west-1:${ACCOUNT}:model-package-group/${PREFIX}-*`,
    });
    const withServer = synthStack((stack) => {
      const platform = new AwsMlPlatform(stack, 'Platform', { naming: NAMING, accountId: ACCOUNT, region: 'eu-west-1', trackingServer: true });
      new AwsGithubCiIdentity(stack, 'Ci', { ...GITHUB, platform, naming: NAMING, accountId: ACCOUNT });
    });
    const server = policies(withServer)['ci-deploy']!.Statement.find((st) => st.Sid === 'TrackingServer');
    expect(server).toEqual({
      Sid: 'TrackingServer',
      Effect: 'Allow',
      Action: expect.arrayContaining(['sagemaker:CreateMlflowTrackingServer', 'sagemaker:DescribeMlflowTrackingServer', 'sagemaker:UpdateMlflowTrackingServer']),
      Resource: `arn:aws:sagemaker:eu-west-1:${ACCOUNT}:mlflow-tracking-server/${PREFIX}-*`,
    });
    expect(mlflowActions(withServer)).not.toContain('sagemaker:DeleteMlflowTrackingServer');
  });

  test('every policy fits the managed-policy size limit, even with the longest names', () => {
    const longNaming: NamingParts = { company: 'c'.repeat(20), project: 'p'.repeat(20), environment: 'e'.repeat(8) };
    for (const naming of [NAMING, longNaming]) {
      const json = synthStack((stack) => {
        // With the opt-in tracking server: its statement makes ci-deploy longest.
        const platform = new AwsMlPlatform(stack, 'Platform', { naming, accountId: ACCOUNT, region: 'eu-west-1', trackingServer: true });
        new AwsGithubCiIdentity(stack, 'Ci', { ...GITHUB, platform, naming, accountId: ACCOUNT, alerts: true, pipeline: true });
      });
      for (const p of ciResources(json, 'aws_iam_policy')) {
        const size = String(p.policy)
          .replace(/\$\{[^}]+\}/g, 'x'.repeat(90))
          .replace(/\s/g, '').length;
        expect(size).toBeLessThanOrEqual(AWS_MANAGED_POLICY_MAX_CHARS);
      }
    }
  });

  test('outputs are exactly what configure-aws-credentials needs', () => {
    const json = synth();
    expect(Object.keys(json.output ?? {}).sort()).toEqual(CI_LOGIN_VALUES.aws.map((v) => v.output).sort());
    expect(json.output!.aws_role_to_assume.value).toBe(`\${aws_iam_role.${logicalId(json, 'aws_iam_role', 'Ci_')}.arn}`);
    expect(json.output!.aws_region.value).toBe('eu-west-1');
  });

  test('bad props fail with the field and the fix', () => {
    const e = validationError((stack) => build(stack, { branches: ['release/*'], environments: ['prod', 'prod'], maxSessionDurationSeconds: 60, repository: 'not a repo' }));
    expect(e.message).toContain("'branches[0]'");
    expect(e.message).toContain('wildcard');
    expect(e.message).toContain("'environments[1]'");
    expect(e.message).toContain('maxSessionDurationSeconds');
    expect(e.message).toContain("'repository'");
    const empty = validationError((stack) => build(stack, { branches: [], environments: [] }));
    expect(empty.message).toContain('no workflow run can sign in');
    const tooMany = validationError((stack) => build(stack, { branches: Array.from({ length: 30 }, (_, i) => `release-branch-number-${i}`) }));
    expect(tooMany.message).toContain('trust policy');
    expect(tooMany.message).toContain('2048');
  });
});

// ---------------------------------------------------------------------------------------------
describe('GcpGithubCiIdentity', () => {
  const build = (stack: TerraformStack, props: Partial<GcpGithubCiIdentityProps> = {}): GcpGithubCiIdentity => {
    const platform = new GcpMlPlatform(stack, 'Platform', { naming: NAMING, projectId: PROJECT, region: 'europe-west4' });
    const ci = new GcpGithubCiIdentity(stack, 'Ci', { ...GITHUB, platform, naming: NAMING, projectId: PROJECT, ...props });
    addOutputs(stack, ci.outputs);
    return ci;
  };
  const synth = (props: Partial<GcpGithubCiIdentityProps> = {}): SynthJson => synthStack((stack) => build(stack, props));
  const ciSa = (json: SynthJson): string => `\${google_service_account.${logicalId(json, 'google_service_account', 'Ci_')}.member}`;

  test('pool and OIDC provider: issuer, attribute mapping, a condition on the repository and the exact subjects (CKV_GCP_125)', () => {
    const json = synth();
    const [pool] = ciResources(json, 'google_iam_workload_identity_pool');
    expect(pool!.workload_identity_pool_id).toBe(`${PREFIX}-gh`);
    const [provider] = ciResources(json, 'google_iam_workload_identity_pool_provider');
    expect(provider!.oidc).toEqual({ issuer_uri: 'https://token.actions.githubusercontent.com' });
    expect(provider!.attribute_mapping).toEqual({
      'google.subject': 'assertion.sub',
      'attribute.repository': 'assertion.repository',
      'attribute.ref': 'assertion.ref',
      'attribute.environment': 'assertion.environment',
    });
    const condition: string = provider!.attribute_condition;
    expect(condition).toBe(`assertion.repository == '${REPO}' && (${EXPECTED_SUBJECTS.map((s) => `assertion.sub == '${s}'`).join(' || ')})`);
    expect(condition).not.toMatch(/[*?]/);
    // What CKV_GCP_125 reads: the first `assertion.sub == '…'`, a `repo:<org>/<repo>:…` claim.
    const first = /assertion\.sub\s*==\s*['"]([^'"]+)['"]/.exec(condition)![1]!.split(':');
    expect(first[0]).toBe('repo');
    expect(first[1]).toMatch(/^[^/]+\/[^/]+$/);
  });

  test('a deployer service account without keys, usable only by the repository through the pool', () => {
    const json = synth();
    const [sa] = ciResources(json, 'google_service_account');
    expect(sa!.account_id).toBe(`${PREFIX}-ci`);
    expect(Object.keys(json.resource ?? {}).filter((t) => t.includes('service_account_key'))).toEqual([]);
    const pool = logicalId(json, 'google_iam_workload_identity_pool', 'Ci_');
    const federated = ciResources(json, 'google_service_account_iam_member').filter((m) => m.role === 'roles/iam.workloadIdentityUser');
    expect(federated).toEqual([
      {
        service_account_id: `\${google_service_account.${logicalId(json, 'google_service_account', 'Ci_')}.name}`,
        role: 'roles/iam.workloadIdentityUser',
        member: `principalSet://iam.googleapis.com/\${google_iam_workload_identity_pool.${pool}.name}/attribute.repository/${REPO}`,
      },
    ]);
  });

  test('project roles: only where GCP has no resource scope, never basic or impersonation roles, grant admin limited to the stack roles', () => {
    const json = synth({ alerts: true });
    const member = ciSa(json);
    const project = ciResources(json, 'google_project_iam_member');
    expect(project.every((m) => m.member === member && m.project === PROJECT)).toBe(true);
    const unconditional = project
      .filter((m) => !m.condition)
      .map((m) => m.role)
      .sort();
    expect(unconditional).toEqual(
      [
        GCP_CI_PROJECT_ROLES.projectRead,
        GCP_CI_PROJECT_ROLES.servicesRead,
        GCP_CI_PROJECT_ROLES.vertex,
        GCP_CI_PROJECT_ROLES.federationRead,
        ...GCP_CI_RELEASE_ROLES,
        ...GCP_CI_ALERT_ROLES,
      ].sort(),
    );
    for (const role of unconditional) {
      expect(GCP_BASIC_ROLES).not.toContain(role);
      expect(GCP_IMPERSONATION_ROLES).not.toContain(role);
    }
    const [admin] = project.filter((m) => m.condition);
    expect(admin!.role).toBe('roles/resourcemanager.projectIamAdmin');
    const platformRoles = [
      ...new Set(
        Object.entries(json.resource!.google_project_iam_member!)
          .filter(([id]) => !id.startsWith('Ci_'))
          .map(([, m]) => m.role as string),
      ),
    ].sort();
    expect(platformRoles.length).toBeGreaterThan(0);
    expect(admin!.condition.expression).toBe(`api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${platformRoles.map((r) => `'${r}'`).join(', ')}])`);
  });

  test('resource roles on the key ring, bucket, repository and workload service account', () => {
    const json = synth();
    const member = ciSa(json);
    expect(ciResources(json, 'google_kms_key_ring_iam_member')).toEqual([
      { key_ring_id: `\${google_kms_key_ring.${logicalId(json, 'google_kms_key_ring', 'Platform_')}.id}`, role: GCP_CI_RESOURCE_ROLES.keyRing, member },
    ]);
    expect(ciResources(json, 'google_storage_bucket_iam_member')).toEqual([
      { bucket: `\${google_storage_bucket.${logicalId(json, 'google_storage_bucket', 'Platform_')}.name}`, role: GCP_CI_RESOURCE_ROLES.bucket, member },
    ]);
    const [repo] = ciResources(json, 'google_artifact_registry_repository_iam_member');
    expect(repo!.role).toBe(GCP_CI_RESOURCE_ROLES.repository);
    expect(repo!.repository).toBe(`\${google_artifact_registry_repository.${logicalId(json, 'google_artifact_registry_repository', 'Platform_')}.repository_id}`);
    const saMembers = ciResources(json, 'google_service_account_iam_member').filter((m) => m.member === member);
    // Its own account (read), the workload's (act as it; read who may act as it: never change that).
    expect(saMembers.map((m) => m.role).sort()).toEqual(
      [GCP_CI_RESOURCE_ROLES.ownServiceAccount, GCP_CI_RESOURCE_ROLES.workloadServiceAccount, GCP_CI_RESOURCE_ROLES.serviceAccountIamRead].sort(),
    );
    const actAs = saMembers.find((m) => m.role === GCP_CI_RESOURCE_ROLES.workloadServiceAccount)!;
    expect(actAs.service_account_id).toBe(`projects/${PROJECT}/serviceAccounts/\${google_service_account.${logicalId(json, 'google_service_account', 'Platform_')}.email}`);
  });

  test('enables STS and IAM Credentials and never disables them', () => {
    const apis = ciResources(synth(), 'google_project_service');
    expect(apis.map((a) => a.service).sort()).toEqual(['iamcredentials.googleapis.com', 'sts.googleapis.com']);
    expect(apis.every((a) => a.disable_on_destroy === false)).toBe(true);
  });

  test('outputs are exactly what google-github-actions/auth needs', () => {
    const json = synth();
    expect(Object.keys(json.output ?? {}).sort()).toEqual(CI_LOGIN_VALUES.gcp.map((v) => v.output).sort());
    expect(json.output!.gcp_workload_identity_provider.value).toBe(
      `\${google_iam_workload_identity_pool_provider.${logicalId(json, 'google_iam_workload_identity_pool_provider', 'Ci_')}.name}`,
    );
    expect(json.output!.gcp_service_account.value).toBe(`\${google_service_account.${logicalId(json, 'google_service_account', 'Ci_')}.email}`);
  });

  test('bad props fail with the field and the fix', () => {
    const long = validationError((stack) => build(stack, { environments: ['e'.repeat(99)], repository: `contoso/${'r'.repeat(60)}` }));
    expect(long.message).toContain('google.subject');
    expect(long.message).toContain('127');
    const pool = validationError((stack) => build(stack, { poolId: 'gcp-reserved' }));
    expect(pool.message).toContain("'poolId'");
    const wildcard = validationError((stack) => build(stack, { environments: ['prod*'] }));
    expect(wildcard.message).toContain('wildcard');
    expect(wildcard.message).toContain('ci.github.environments');
    const names = validationError((stack) => {
      const naming: NamingParts = { company: 'contosocorporation', project: 'machinelearning', environment: 'dev' };
      const platform = new GcpMlPlatform(stack, 'Platform', { naming: NAMING, projectId: PROJECT, region: 'europe-west4' });
      new GcpGithubCiIdentity(stack, 'Ci', { ...GITHUB, platform, naming, projectId: PROJECT });
    });
    expect(names.issues.map((i) => i.path)).toContain('naming');
    expect(names.message).toContain('Workload Identity Pool id');
  });
});

// ---------------------------------------------------------------------------------------------
describe('createCiIdentity', () => {
  const CLOUDS: readonly Cloud[] = ['azure', 'aws', 'gcp'];
  const configOf = (cloud: Cloud, patch: (c: StackConfig) => StackConfig = (c) => c): StackConfig => patch(loadConfig(`stacks/config/dev-${cloud}.yaml`));

  test.each(CLOUDS)('%s: builds the cloud construct from the config; outputs are the login values', (cloud) => {
    const config = configOf(cloud);
    let outputs: Record<string, string> = {};
    const json = synthStack((stack) => {
      const platform = createPlatform(stack, 'Platform', config);
      const ci = createCiIdentity(stack, 'Ci', platform, config.ci, ciOptionsFromConfig(config))!;
      expect(ci.cloud).toBe(cloud);
      expect(ci.subjects.map((s) => s.subject)).toEqual(githubSubjects(config.ci!.github).map((s) => s.subject));
      outputs = ci.outputs;
      addOutputs(stack, ci.outputs);
    });
    expect(Object.keys(outputs)).toEqual(CI_LOGIN_VALUES[cloud].map((v) => v.output));
    for (const name of Object.keys(outputs)) expect(String(json.output![name].value)).not.toBe('');
  });

  test('returns undefined without a ci section', () => {
    const config = configOf('aws', (c) => ({ ...c, ci: undefined }));
    synthStack((stack) => {
      const platform = createPlatform(stack, 'Platform', config);
      expect(createCiIdentity(stack, 'Ci', platform, config.ci, ciOptionsFromConfig(config))).toBeUndefined();
    });
  });

  test('release, pipeline and alert permissions follow the deployment, deployment.pipeline and alerts sections', () => {
    const withAll = configOf('aws');
    const without = configOf('aws', (c) => ({ ...c, deployment: undefined, alerts: undefined }));
    const noPipeline = configOf('aws', (c) => ({ ...c, deployment: { ...c.deployment!, pipeline: undefined, schedule: undefined, batch: undefined } }));
    const policyNames = (config: StackConfig): string[] => {
      const json = synthStack((stack) => {
        const platform = createPlatform(stack, 'Platform', config);
        createCiIdentity(stack, 'Ci', platform, config.ci, ciOptionsFromConfig(config));
      });
      return ciResources(json, 'aws_iam_policy')
        .map((p) => p.name)
        .sort();
    };
    expect(policyNames(withAll)).toEqual([`${PREFIX}-ci-alerts`, `${PREFIX}-ci-deploy`, `${PREFIX}-ci-iam`, `${PREFIX}-ci-pipeline`, `${PREFIX}-ci-release`]);
    expect(policyNames(noPipeline)).toEqual([`${PREFIX}-ci-alerts`, `${PREFIX}-ci-deploy`, `${PREFIX}-ci-iam`, `${PREFIX}-ci-release`]);
    expect(policyNames(without)).toEqual([`${PREFIX}-ci-deploy`, `${PREFIX}-ci-iam`]);
  });

  test('a remote backend of the cloud gives state access; local state gets a warning', () => {
    const s3 = configOf('aws', (c) => ({ ...c, backend: { type: 's3', bucket: 'contoso-tfstate', key: 'mlops/dev.tfstate', region: 'eu-west-1' } }));
    let warnings: string[] = [];
    const json = synthStack((stack) => {
      const platform = createPlatform(stack, 'Platform', s3);
      warnings = warningsOf(createCiIdentity(stack, 'Ci', platform, s3.ci, ciOptionsFromConfig(s3))!.construct);
    });
    expect(ciResources(json, 'aws_iam_policy').map((p) => p.name)).toContain(`${PREFIX}-ci-state`);
    expect(warnings.filter((w) => w.includes('local file'))).toEqual([]);

    const local = configOf('azure');
    synthStack((stack) => {
      const platform = createPlatform(stack, 'Platform', local);
      warnings = warningsOf(createCiIdentity(stack, 'Ci', platform, local.ci, ciOptionsFromConfig(local))!.construct);
    });
    expect(warnings.some((w) => w.includes('local file') && w.includes('azurerm backend'))).toBe(true);
  });

  test('a platform that is not the cloud class createPlatform builds is refused', () => {
    const config = configOf('gcp');
    const e = validationError((stack) => {
      const fake = { cloud: 'gcp' } as unknown as IMlPlatform;
      createCiIdentity(stack, 'Ci', fake, config.ci, ciOptionsFromConfig(config));
    });
    expect(e.issues[0]!.code).toBe(ErrorCode.CLOUD_MISMATCH);
    expect(e.message).toContain('GcpMlPlatform');
  });

  /** Platform resources the CI identity's grantDeploy changes on purpose (AWS: the bucket policy's network guard exempts the CI role). */
  const CHANGED_BY_GRANT_DEPLOY: Record<Cloud, readonly string[]> = { azure: [], aws: ['aws_s3_bucket_policy'], gcp: [] };

  test.each(CLOUDS)('%s: adding the CI identity leaves every platform resource unchanged (but what grantDeploy changes)', (cloud) => {
    const config = configOf(cloud);
    const withCi = synthStack((stack) => {
      const platform = createPlatform(stack, 'Platform', config);
      createCiIdentity(stack, 'Ci', platform, config.ci, ciOptionsFromConfig(config));
    });
    const platformOnly = synthStack((stack) => void createPlatform(stack, 'Platform', config));
    for (const [type, byId] of Object.entries(platformOnly.resource ?? {})) {
      if (CHANGED_BY_GRANT_DEPLOY[cloud].includes(type)) continue;
      for (const [id, body] of Object.entries(byId)) {
        const after = { ...withCi.resource![type]![id] };
        // Azure: the data-plane writes (the key) also wait for CI's deploy data roles (platform.grantDeploy).
        if (cloud === 'azure' && Array.isArray(after.depends_on)) {
          after.depends_on = after.depends_on.filter((d: string) => !/_Deploy[A-Za-z]+-Principal_/.test(d) || (body.depends_on ?? []).includes(d));
          if (after.depends_on.length === 0 && body.depends_on === undefined) delete after.depends_on;
        }
        expect(after).toEqual(body);
      }
    }
  });
});
