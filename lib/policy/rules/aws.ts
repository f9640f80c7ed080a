import { show } from '../../core/errors';
import {
  AWS_REQUIRED_PRIVATE_ENDPOINTS,
  AWS_STEP_TRACKING_ENV,
  CI_AWS_NETWORK_READ_ACTIONS,
  CI_AWS_UNSCOPED_READ_ACTIONS,
  sageMakerMlflowEndpointService,
  UNSCOPED_ACTIONS,
} from '../../aws/perms';
import { dependsTransitively } from '../graph';
import { hasBoolCondition, hasWildcardPrincipal, IamStatement, isAllow, literals, readPolicy } from '../aws-iam';
import { PolicyContext, PolicyElement, PolicyFinding, PolicyRule } from '../types';
import { attr, blocks, describe, expectAttr, expectSet, isExpression, isLiteralString, isRecord, literalBool, strings } from '../values';

/** The resources that carry identity policies, and the attribute holding each policy. */
const IDENTITY_POLICY_RESOURCES = ['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_user_policy', 'aws_iam_group_policy', 'aws_iam_role'] as const;

/** The attachments of managed policies, and the attribute holding the policy ARN(s). */
const POLICY_ATTACHMENTS: Readonly<Record<string, string>> = {
  aws_iam_role_policy_attachment: 'policy_arn',
  aws_iam_user_policy_attachment: 'policy_arn',
  aws_iam_group_policy_attachment: 'policy_arn',
  aws_iam_policy_attachment: 'policy_arn',
  aws_iam_role_policy_attachments_exclusive: 'policy_arns',
  aws_iam_user_policy_attachments_exclusive: 'policy_arns',
  aws_iam_group_policy_attachments_exclusive: 'policy_arns',
  aws_iam_role: 'managed_policy_arns',
};

const S3_BUCKET_NAME = ['bucket'];
const GITHUB_ISSUER = 'token.actions.githubusercontent.com';
/**
 * The documented exceptions to CKV_AWS_355: actions IAM cannot scope to a
 * resource, as listed by the platform's workload identity (lib/aws/perms.ts)
 * and the CI deploy role (lib/ci/aws-perms.ts, with the network reads of a
 * private platform).
 */
export const DOCUMENTED_UNSCOPED_ACTIONS: readonly string[] = [...new Set([...UNSCOPED_ACTIONS, ...CI_AWS_UNSCOPED_READ_ACTIONS, ...CI_AWS_NETWORK_READ_ACTIONS])].sort();
const UNSCOPED = new Set(DOCUMENTED_UNSCOPED_ACTIONS.map((a) => a.toLowerCase()));

/** The policy documents an identity-policy resource holds, with where each comes from. */
function identityPolicies(element: PolicyElement): { where: string; value: unknown }[] {
  if (element.type === 'aws_iam_role') {
    return blocks(element.attrs.inline_policy).map((p, i) => ({ where: `inline_policy[${i}].policy`, value: p.policy }));
  }
  return [{ where: 'policy', value: element.attrs.policy }];
}

/**
 * Runs `test` on every statement of the policies at `policies`, reporting
 * unreadable documents (a policy the pack cannot read may hide what the rule forbids).
 */
function eachStatement(policies: { where: string; value: unknown }[], context: PolicyContext, test: (s: IamStatement, where: string) => PolicyFinding[]): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const { where, value } of policies) {
    const doc = readPolicy(value, context);
    if (doc.unreadable !== undefined) {
      findings.push({
        found: `${where} cannot be checked at synth: ${doc.unreadable}`,
        fix: 'Write the policy as a JSON string (JSON.stringify, tokens inside are fine), Fn.jsonencode of an object, or a reference to an aws_iam_policy_document data source in the same stack',
      });
      continue;
    }
    for (const s of doc.statements) findings.push(...test(s, where));
  }
  return findings;
}

function identityRule(test: (s: IamStatement, where: string) => PolicyFinding[]) {
  return (element: PolicyElement, context: PolicyContext): PolicyFinding[] => eachStatement(identityPolicies(element), context, test);
}

function actionsOf(s: IamStatement): string[] {
  return literals(s.actions);
}

function isFullWildcard(action: string): boolean {
  return action === '*' || action === '*:*';
}

function resourceWildcard(s: IamStatement): boolean {
  return literals(s.resources).includes('*');
}

/** A resource policy rule: an Allow to every principal with no condition. */
function publicStatements(policyAttr: string) {
  return (element: PolicyElement, context: PolicyContext): PolicyFinding[] =>
    eachStatement([{ where: policyAttr, value: attr(element.attrs, policyAttr) }], context, (s, where) =>
      isAllow(s) && hasWildcardPrincipal(s) && s.conditions.length === 0
        ? [{ found: `${where} ${s.where} allows ${show(actionsOf(s))} to every principal ("*") without a condition` }]
        : [],
    );
}

/** A bucket's companion resources (those whose `bucket` refers to it), or the inline block. */
function bucketCompanions(element: PolicyElement, context: PolicyContext, selector: string): readonly PolicyElement[] {
  return context.companions(element, selector, 'bucket', S3_BUCKET_NAME);
}

function ssAlgorithms(element: PolicyElement, context: PolicyContext): { algorithms: unknown[]; on: PolicyElement }[] {
  const out: { algorithms: unknown[]; on: PolicyElement }[] = [];
  const inline = blocks(element.attrs.server_side_encryption_configuration);
  if (inline.length > 0) {
    out.push({ on: element, algorithms: blocks(attr(inline[0], 'rule')).map((r) => attr(r, 'apply_server_side_encryption_by_default.sse_algorithm')) });
  }
  for (const c of bucketCompanions(element, context, 'aws_s3_bucket_server_side_encryption_configuration')) {
    out.push({ on: c, algorithms: blocks(c.attrs.rule).map((r) => attr(r, 'apply_server_side_encryption_by_default.sse_algorithm')) });
  }
  return out;
}

function publicAccessFlag(flag: string): PolicyRule['check'] {
  return (element) => expectAttr(element, flag, (v) => literalBool(v) === true, { absent: 'fail', absentNote: '(the provider default is false)' });
}

/** GitHub's OIDC issuer as a Federated principal: written out, or a reference to an OIDC provider of this stack whose url is GitHub's. */
function isGithubFederated(principal: unknown, context: PolicyContext): boolean {
  if (typeof principal !== 'string') return false;
  if (principal.includes(GITHUB_ISSUER) && !isExpression(principal)) return true;
  return context
    .referenced(principal)
    .some((e) => (e.selector === 'aws_iam_openid_connect_provider' || e.selector === 'data.aws_iam_openid_connect_provider') && String(e.attrs.url ?? '').includes(GITHUB_ISSUER));
}

/** A GitHub `sub` claim pinned to one repository: `repo:<owner>/<repo>` with neither part a wildcard, then a qualifier. */
const PINNED_SUB = /^repo:[^/:*?]+\/[^/:*?]+(:.+)?$/;

function githubTrust(s: IamStatement, where: string, context: PolicyContext): PolicyFinding[] {
  const federated = s.principals?.Federated ?? [];
  if (!isAllow(s) || !federated.some((p) => isGithubFederated(p, context))) return [];
  const findings: PolicyFinding[] = [];
  const stringOps = /^(ForAnyValue:|ForAllValues:)?String(Equals|Like)$/;
  const subs = s.conditions.filter((c) => c.key === `${GITHUB_ISSUER}:sub` && stringOps.test(c.operator));
  const auds = s.conditions.filter((c) => c.key === `${GITHUB_ISSUER}:aud` && stringOps.test(c.operator));
  if (subs.length === 0) {
    findings.push({ found: `${where} ${s.where} trusts GitHub's OIDC provider without a ${GITHUB_ISSUER}:sub condition: any repository's workflow can assume the role` });
  }
  for (const c of subs) {
    for (const v of c.values) {
      if (typeof v !== 'string' || isExpression(v) || !PINNED_SUB.test(v)) {
        findings.push({ found: `${where} ${s.where} has ${c.operator} ${c.key} = ${show(v)}, which does not pin one repository (repo:<owner>/<repo>:…)` });
      }
    }
  }
  if (auds.length === 0) {
    findings.push({ found: `${where} ${s.where} trusts GitHub's OIDC provider without a ${GITHUB_ISSUER}:aud condition` });
  }
  for (const c of auds) {
    for (const v of c.values) {
      if (typeof v !== 'string' || isExpression(v) || /[*?]/.test(v))
        findings.push({ found: `${where} ${s.where} has ${c.key} = ${show(v)}; it must be the literal audience sts.amazonaws.com` });
    }
  }
  return findings;
}

function trustPolicy(element: PolicyElement): { where: string; value: unknown }[] {
  return [{ where: 'assume_role_policy', value: element.attrs.assume_role_policy }];
}

function openCidrs(values: unknown): string[] {
  return strings(values).filter((c) => c === '0.0.0.0/0' || c === '::/0');
}

function openIngress(element: PolicyElement): PolicyFinding[] {
  const describeRule = (r: Record<string, unknown>) => `ports ${show(r.from_port)}-${show(r.to_port)}/${show(r.protocol ?? r.ip_protocol)}`;
  switch (element.type) {
    case 'aws_security_group':
      return blocks(element.attrs.ingress).flatMap((r, i) => {
        const open = [...openCidrs(r.cidr_blocks), ...openCidrs(r.ipv6_cidr_blocks)];
        return open.length > 0 ? [{ found: `ingress[${i}] (${describeRule(r)}) is open to ${open.join(', ')}` }] : [];
      });
    case 'aws_security_group_rule': {
      if (element.attrs.type !== 'ingress') return [];
      const open = [...openCidrs(element.attrs.cidr_blocks), ...openCidrs(element.attrs.ipv6_cidr_blocks)];
      return open.length > 0 ? [{ found: `ingress rule (${describeRule(element.attrs)}) is open to ${open.join(', ')}` }] : [];
    }
    case 'aws_vpc_security_group_ingress_rule': {
      const open = [...openCidrs(element.attrs.cidr_ipv4), ...openCidrs(element.attrs.cidr_ipv6)];
      return open.length > 0 ? [{ found: `ingress rule (${describeRule(element.attrs)}) is open to ${open.join(', ')}` }] : [];
    }
    default:
      return [];
  }
}

function attachedArns(element: PolicyElement): string[] {
  const key = POLICY_ATTACHMENTS[element.type];
  return key ? strings(element.attrs[key]).filter((a) => !isExpression(a)) : [];
}

const AWS_MANAGED_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\//;

// ---------------------------------------------------------------------------------------------
// Deploy readiness (issue 11): who Terraform and the workload are, and whether a deny, the order
// of creation or a missing network path stops them.

/** The S3 object actions Terraform (aws_s3_object) and the workload perform. */
const S3_DATA_ACTIONS = ['s3:PutObject', 's3:GetObject'] as const;
/** The KMS actions Terraform and the services acting for the workload use on the platform key. */
const KMS_DATA_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt', 'kms:CreateGrant', 'kms:DescribeKey'] as const;
const SAGEMAKER_PRINCIPAL = 'sagemaker.amazonaws.com';

/** A principal the stack needs, and how to name it in a message. */
interface NeededPrincipal {
  /** The ARN as the JSON writes it: a literal or a `${…}` expression. */
  readonly arn: string;
  /** Other spellings of the same principal (the role ARN built from its literal name). */
  readonly aliases: readonly string[];
  /** `deployer`, `the workload role` … */
  readonly label: string;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
}

/** Whether a statement's actions (or NotAction) cover `action`. */
function coversAction(s: IamStatement, action: string): boolean {
  if (s.notActions !== undefined) return !literals(s.notActions).some((a) => globToRegExp(a).test(action));
  return literals(s.actions).some((a) => globToRegExp(a).test(action));
}

/** Whether a Deny statement's Principal takes in `p` (`*`, or an AWS list naming it). */
function appliesTo(s: IamStatement, p: NeededPrincipal): boolean {
  if (!s.principals) return false;
  if (hasWildcardPrincipal(s)) return true;
  return (s.principals.AWS ?? []).some((v) => v === p.arn || p.aliases.includes(String(v)));
}

/** The workload roles of the stack: roles SageMaker assumes, by their ARN expression (and their literal ARN when the name is literal). */
function workloadRoles(context: PolicyContext): NeededPrincipal[] {
  return context.ofSelector('aws_iam_role').flatMap((role) => {
    const trust = readPolicy(role.attrs.assume_role_policy, context);
    const sagemaker = (trust.statements ?? []).some((t) => isAllow(t) && (t.principals?.Service ?? []).includes(SAGEMAKER_PRINCIPAL));
    if (!sagemaker) return [];
    const name = role.attrs.name;
    const aliases = isExpression(name) || typeof name !== 'string' ? [] : [`:role/${name}`];
    return [{ arn: `\${${role.address}.arn}`, aliases, label: `the workload role ${role.address}` }];
  });
}

/**
 * The imported roles (AwsWorkloadIdentity.fromRoleArn, and the roles of
 * custom identities grants were given to) whose grant policy in this stack
 * names `target` (a bucket or a key): they need its data actions as much as
 * the platform's own workload role. Known from the construct that writes the
 * inline policy (an imported identity with a literal role ARN); a role ARN
 * known only at apply time is left out (no finding without proof).
 */
function importedRolesGranted(context: PolicyContext, target: PolicyElement | undefined): NeededPrincipal[] {
  if (!target) return [];
  return context.ofSelector('aws_iam_role_policy').flatMap((rp) => {
    const owner = rp.construct.node.scope as { imported?: unknown; roleArn?: unknown; roleName?: unknown } | undefined;
    if (owner?.imported !== true || typeof owner.roleArn !== 'string' || !isLiteralString(owner.roleArn) || owner.roleArn.includes('TfToken')) return [];
    if (!context.referenced(rp.attrs.policy).some((e) => e.address === target.address)) return [];
    const name = typeof owner.roleName === 'string' && isLiteralString(owner.roleName) ? [`:role/${owner.roleName}`] : [];
    return [{ arn: owner.roleArn, aliases: name, label: `the imported role ${owner.roleArn} (granted on it in this stack)` }];
  });
}

function deployersOf(context: PolicyContext): NeededPrincipal[] {
  return context.deploy.deployers.map((d) => ({ arn: d, aliases: [], label: `the deployer ${d}` }));
}

const NEGATED_PRINCIPAL_OPERATORS = /^(ArnNotEquals|ArnNotLike|StringNotEquals|StringNotLike|StringNotEqualsIgnoreCase)(IfExists)?$/;
const POSITIVE_PRINCIPAL_OPERATORS = /^(ArnEquals|ArnLike|StringEquals|StringLike|StringEqualsIgnoreCase)(IfExists)?$/;

function namesPrincipal(values: readonly unknown[], p: NeededPrincipal): boolean {
  return values.some((v) => {
    if (typeof v !== 'string') return false;
    if (v === p.arn) return true;
    if (p.aliases.some((a) => v.endsWith(a))) return true;
    return !isExpression(p.arn) && !isExpression(v) && /[*?]/.test(v) && globToRegExp(v).test(p.arn);
  });
}

/**
 * Whether a Deny statement catches the principal's ordinary requests (over
 * TLS 1.2, from an address the pack cannot know, not through an AWS service):
 * every condition must hold for them. A condition on the principal that
 * leaves it out, or a transport condition a TLS client never meets, spares it;
 * a condition the pack cannot evaluate is taken to spare it (no finding
 * without proof). Network exceptions (source IP, VPC endpoint) do not spare a
 * deployer or the workload: their address is not known at synth.
 */
function catches(s: IamStatement, p: NeededPrincipal): boolean {
  for (const c of s.conditions) {
    const key = c.key.toLowerCase();
    const op = c.operator.replace(/^For(Any|All)Value:/, '');
    if (key === 'aws:principalarn') {
      if (NEGATED_PRINCIPAL_OPERATORS.test(op) && namesPrincipal(c.values, p)) return false;
      if (POSITIVE_PRINCIPAL_OPERATORS.test(op) && !namesPrincipal(c.values, p)) return false;
      continue;
    }
    if (key === 'aws:securetransport' && op === 'Bool') {
      if (c.values.some((v) => literalBool(v) === false)) return false;
      continue;
    }
    if (key === 's3:tlsversion' && /^NumericLessThan(Equals)?$/.test(op)) return false;
    if (key === 'aws:viaawsservice' && op === 'Bool' && c.values.some((v) => literalBool(v) === false)) continue;
    if ((key === 'aws:sourceip' && op.startsWith('NotIpAddress')) || ((key === 'aws:sourcevpce' || key === 'aws:sourcevpc') && /^StringNot/.test(op))) continue;
    return false;
  }
  return true;
}

/** The Deny statements of a resource policy that catch a needed principal on a data action. */
function lockouts(
  policy: unknown,
  context: PolicyContext,
  actions: readonly string[],
  needed: readonly NeededPrincipal[],
): { s: IamStatement; p: NeededPrincipal; actions: string[] }[] {
  const doc = readPolicy(policy, context);
  const out: { s: IamStatement; p: NeededPrincipal; actions: string[] }[] = [];
  for (const s of doc.statements ?? []) {
    if (s.effect !== 'Deny') continue;
    const covered = actions.filter((a) => coversAction(s, a));
    if (covered.length === 0) continue;
    for (const p of needed) {
      if (appliesTo(s, p) && catches(s, p)) out.push({ s, p, actions: covered });
    }
  }
  return out;
}

const LOCKOUT_FIX =
  "Exempt the principal in the deny: list it in an ArnNotEquals aws:PrincipalArn condition (AwsMlPlatform does for its deployers, every grantDeploy principal such as the CI role, and the workload role). A source-IP or VPC-endpoint exception does not count: the deployer's address is not known at synth";

function denyLockout(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const isKey = element.type === 'aws_kms_key' || element.type === 'aws_kms_key_policy';
  if (element.type === 'aws_s3_bucket' && element.attrs.policy === undefined) return [];
  // The bucket or key the policy protects: what an imported role's grants must name to need it.
  const target =
    element.type === 'aws_s3_bucket_policy'
      ? bucketOf(element.attrs.bucket, context)
      : element.type === 'aws_kms_key_policy'
        ? context.referenced(element.attrs.key_id).find((e) => e.selector === 'aws_kms_key')
        : element;
  const needed = [...deployersOf(context), ...workloadRoles(context), ...importedRolesGranted(context, target)];
  return lockouts(element.attrs.policy, context, isKey ? KMS_DATA_ACTIONS : S3_DATA_ACTIONS, needed).map(({ s, p, actions }) => ({
    found: `policy ${s.where} denies ${actions.join(', ')} to ${p.label}: none of its conditions exempts it`,
    fix: LOCKOUT_FIX,
  }));
}

/** The aws_s3_bucket an object (or a bucket-scoped resource) is written to, when it is in the stack. */
function bucketOf(value: unknown, context: PolicyContext): PolicyElement | undefined {
  const referenced = context.referenced(value).find((e) => e.selector === 'aws_s3_bucket');
  if (referenced) return referenced;
  if (!isLiteralString(value)) return undefined;
  return context.ofSelector('aws_s3_bucket').find((b) => b.attrs.bucket === value);
}

/** The data.aws_s3_bucket an object is written to: a bucket the stack reads but does not manage (AwsArtifactStore.fromExisting). */
function importedBucketOf(value: unknown, context: PolicyContext): PolicyElement | undefined {
  const referenced = context.referenced(value).find((e) => e.selector === 'data.aws_s3_bucket');
  if (referenced) return referenced;
  if (!isLiteralString(value)) return undefined;
  return context.ofSelector('data.aws_s3_bucket').find((b) => b.attrs.bucket === value);
}

const IMPORTED_BUCKET_FIX =
  "Have the bucket's owner confirm that its policy lets the deployers write (exempts them from any network or principal deny) and that its default encryption is the one you want, " +
  "then record it: Policy.suppress(<the object or the TrainingDataUpload>, 'MLOPS_DEPLOY_AWS_OBJECT_WRITE', '<who confirmed, and when>')";

function objectWrite(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  const bucket = bucketOf(element.attrs.bucket, context);
  if (!bucket) {
    // A bucket this stack does not manage: its encryption and policy exist before the
    // object (no ordering to check), but whether the policy lets the deployers write
    // cannot be known at synth. Say so rather than pass silently.
    const imported = importedBucketOf(element.attrs.bucket, context);
    const name = imported ? show(imported.attrs.bucket) : show(element.attrs.bucket);
    const deployers = context.deploy.deployers.length > 0 ? context.deploy.deployers.join(', ') : 'the principal running Terraform';
    return [
      {
        found: imported
          ? `writes to the imported bucket ${name} (${imported.address}): its policy and default encryption are managed outside this stack, so the pack cannot check that the policy lets the deployers (${deployers}) write`
          : `writes to the bucket ${name}, which this stack neither creates nor reads (data.aws_s3_bucket): the pack cannot check its policy lets the deployers (${deployers}) write`,
        fix: IMPORTED_BUCKET_FIX,
      },
    ];
  }
  const findings: PolicyFinding[] = [];
  const policies = bucketCompanions(bucket, context, 'aws_s3_bucket_policy');
  for (const policy of policies) {
    for (const { s, p } of lockouts(policy.attrs.policy, context, ['s3:PutObject'], deployersOf(context))) {
      findings.push({
        found: `the bucket policy ${policy.address} ${s.where} denies s3:PutObject to ${p.label}, who writes this object`,
        fix: LOCKOUT_FIX,
      });
    }
  }
  const ordered = [...bucketCompanions(bucket, context, 'aws_s3_bucket_server_side_encryption_configuration'), ...policies];
  for (const companion of ordered) {
    if (!dependsTransitively(context.graph, element.address, companion.address)) {
      const what = companion.type === 'aws_s3_bucket_policy' ? 'the bucket policy' : 'the default encryption';
      findings.push({
        found: `does not depend on ${what} ${companion.address}: Terraform may write the object before it exists (${companion.type === 'aws_s3_bucket_policy' ? "the writer is not yet known to the bucket's guard" : 'unencrypted, or encrypted with another key'})`,
        fix: `Add ${companion.address} to the object's depends_on (TrainingDataUpload does: AwsArtifactStore.objectWriteDependencies)`,
      });
    }
  }
  return findings;
}

function isPrivate(context: PolicyContext): boolean {
  return context.deploy.networkMode === 'private';
}

function vpcEndpointsOf(context: PolicyContext): PolicyElement[] {
  return [...context.ofSelector('aws_vpc_endpoint')];
}

/** A SageMaker model or an AWS training release step that runs outside the VPC, or before its endpoints exist. */
function privateWorkload(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  if (!isPrivate(context)) return [];
  const findings: PolicyFinding[] = [];
  if (element.type === 'aws_sagemaker_model') {
    const vpc = blocks(element.attrs.vpc_config)[0];
    if (!vpc || strings(vpc.subnets).length === 0 || strings(vpc.security_group_ids).length === 0) {
      findings.push({
        found: "vpc_config is not set (subnets and security_group_ids): in network mode private the model's instances would run outside the VPC",
        fix: "Set vpc_config { subnets, security_group_ids } to the platform network's subnets and security group (AwsScoringEndpoint does on a private AwsMlPlatform)",
      });
    }
  } else {
    const input = element.attrs.input;
    if (!isRecord(input) || input.cloud !== 'aws' || input.kind !== 'training') return [];
    const vpc = attr(input, 'aws.vpc');
    if (!isRecord(vpc) || strings(vpc.subnetIds).length === 0 || strings(vpc.securityGroupIds).length === 0) {
      findings.push({
        found: 'the training release step has no aws.vpc (subnetIds, securityGroupIds): in network mode private the SageMaker training job would run outside the VPC',
        fix: 'Put the job in the VPC: aws.vpc { subnetIds, securityGroupIds } of the release spec (AwsTrainingJob does on a private AwsMlPlatform)',
      });
    }
  }
  for (const endpoint of vpcEndpointsOf(context)) {
    if (!dependsTransitively(context.graph, element.address, endpoint.address)) {
      findings.push({
        found: `does not depend on the VPC endpoint ${endpoint.address}: the workload may start before it can reach ${show(endpoint.attrs.service_name)}`,
        fix: "Depend on the network's endpoints (AwsNetwork.ready)",
      });
    }
  }
  return findings;
}

/** A VPC of the stack in private mode without the endpoints the workload cannot run without. */
function vpcEndpoints(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  if (!isPrivate(context)) return [];
  const endpoints = context.companions(element, 'aws_vpc_endpoint', 'vpc_id');
  const has = (service: string): boolean =>
    endpoints.some((e) => {
      const name = e.attrs.service_name;
      if (typeof name !== 'string' || !name.endsWith(`.${service}`)) return false;
      if (service === 's3') return true;
      return e.attrs.vpc_endpoint_type === 'Interface' && literalBool(e.attrs.private_dns_enabled) === true;
    });
  const missing = AWS_REQUIRED_PRIVATE_ENDPOINTS.filter((svc) => !has(svc));
  if (missing.length === 0) return [];
  return [
    {
      found: `the VPC has no endpoint for ${missing.join(', ')} (interface endpoints need private DNS): jobs and models in it cannot reach ${missing.join(', ')} without an internet path`,
      fix: `Add the endpoints: an S3 gateway endpoint on the subnets' route tables and interface endpoints with private DNS for ${AWS_REQUIRED_PRIVATE_ENDPOINTS.filter((x) => x !== 's3').join(', ')} (AwsNetwork creates them)`,
    },
  ];
}

/** Every step of a SageMaker pipeline definition, those inside Condition branches too. */
function definitionSteps(steps: unknown): Record<string, any>[] {
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((s) => {
    if (!isRecord(s)) return [];
    const args = isRecord(s.Arguments) ? s.Arguments : {};
    return [s as Record<string, any>, ...(s.Type === 'Condition' ? [...definitionSteps(args.IfSteps), ...definitionSteps(args.ElseSteps)] : [])];
  });
}

/**
 * The Processing steps of a SageMaker pipeline: network isolation on (the
 * container makes no outbound call), except a step that records its run on an
 * MLflow tracking server (its environment names one); in network mode
 * private such a step in the VPC reaches the server through the MLflow API's
 * interface endpoint, which the pipeline waits for.
 */
function pipelineStepNetwork(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  let definition: unknown;
  try {
    definition = typeof element.attrs.pipeline_definition === 'string' ? JSON.parse(element.attrs.pipeline_definition) : undefined;
  } catch {
    return [];
  }
  if (!isRecord(definition)) return [];
  const findings: PolicyFinding[] = [];
  const tracking: string[] = [];
  for (const step of definitionSteps(definition.Steps)) {
    if (step.Type !== 'Processing') continue;
    const args = isRecord(step.Arguments) ? step.Arguments : {};
    const uri = isRecord(args.Environment) ? args.Environment[AWS_STEP_TRACKING_ENV.trackingUri] : undefined;
    const tracks = typeof uri === 'string' && uri !== '';
    const isolated = isRecord(args.NetworkConfig) && args.NetworkConfig.EnableNetworkIsolation === true;
    if (!tracks && !isolated) {
      findings.push({
        found: `step ${show(step.Name)} runs without network isolation (NetworkConfig.EnableNetworkIsolation is not true) and records no MLflow run: its container may call out with the workload role's credentials for no reason`,
        fix: 'Keep EnableNetworkIsolation: true (AwsContinuousTraining lifts it only for the steps that record their run on the platform tracking server)',
      });
    } else if (tracks && isolated) {
      findings.push({
        found: `step ${show(step.Name)} records its run on the MLflow tracking server ${show(uri)} but runs with network isolation, which blocks every call out of its container`,
        fix: 'Set EnableNetworkIsolation: false for a step that logs to MLflow (AwsContinuousTraining does), or leave MLFLOW_TRACKING_URI out of its Environment',
      });
    }
    if (tracks && isRecord(args.NetworkConfig) && isRecord(args.NetworkConfig.VpcConfig)) tracking.push(String(step.Name));
  }
  // In the VPC: through the MLflow API's interface endpoint (when the stack creates the VPC endpoints at all).
  const endpoints = vpcEndpointsOf(context);
  if (isPrivate(context) && tracking.length && endpoints.length) {
    const mlflow = endpoints.filter(
      (e) => typeof e.attrs.service_name === 'string' && e.attrs.service_name.endsWith('.experiments') && literalBool(e.attrs.private_dns_enabled) === true,
    );
    if (mlflow.length === 0) {
      findings.push({
        found: `steps ${tracking.join(', ')} run in the VPC and record their runs on an MLflow tracking server, but the stack has no interface endpoint of the SageMaker MLflow API (${sageMakerMlflowEndpointService('<region>')}) with private DNS: their calls have no path out of the VPC`,
        fix: 'Add the endpoint (AwsMlPlatform does with trackingServer: true; AwsNetwork.addMlflowEndpoint())',
      });
    } else if (!mlflow.some((e) => dependsTransitively(context.graph, element.address, e.address))) {
      findings.push({
        found: `does not depend on the MLflow API's interface endpoint ${mlflow[0]!.address}: a run may start before its steps can reach the tracking server`,
        fix: "Depend on the network's endpoints (AwsNetwork.ready)",
      });
    }
  }
  return findings;
}

/** The AWS rules. */
export const AWS_RULES: readonly PolicyRule[] = [
  // Key management
  {
    id: 'CKV_AWS_7',
    alsoKnownAs: ['AwsSolutions-KMS5'],
    cloud: 'aws',
    resourceTypes: ['aws_kms_key'],
    title: 'KMS key rotation enabled (symmetric keys)',
    fix: 'Set enable_key_rotation = true (AwsEncryptionKey rotates by default; do not set enableKeyRotation: false)',
    check: (e) => {
      const spec = e.attrs.customer_master_key_spec ?? e.attrs.key_spec;
      if (spec !== undefined && spec !== 'SYMMETRIC_DEFAULT') return [];
      return expectAttr(e, 'enable_key_rotation', (v) => literalBool(v) === true, { absent: 'fail', absentNote: '(the provider default is false)' });
    },
  },
  {
    id: 'CKV2_AWS_64',
    cloud: 'aws',
    resourceTypes: ['aws_kms_key'],
    title: 'KMS key has an explicit key policy',
    fix: "Set the key's policy (AwsEncryptionKey writes one) or add an aws_kms_key_policy for it",
    check: (e, ctx) => {
      if (e.attrs.policy !== undefined && e.attrs.policy !== '') return [];
      if (ctx.companions(e, 'aws_kms_key_policy', 'key_id').length > 0) return [];
      return [{ found: 'policy is not set and no aws_kms_key_policy refers to the key, so KMS applies its default policy' }];
    },
  },
  {
    id: 'CKV_AWS_33',
    cloud: 'aws',
    resourceTypes: ['aws_kms_key', 'aws_kms_key_policy'],
    title: 'KMS key policy does not allow every principal ("*") without a condition',
    fix: 'Name the principals (the account root, roles, service principals with aws:SourceAccount) instead of "*", or add a condition such as kms:CallerAccount',
    check: publicStatements('policy'),
  },
  // S3
  {
    id: 'CKV2_AWS_6',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket'],
    title: 'S3 bucket has a public access block',
    fix: 'Add an aws_s3_bucket_public_access_block for the bucket with all four flags true (AwsArtifactStore does; keep blockPublicAccess on)',
    check: (e, ctx) => (bucketCompanions(e, ctx, 'aws_s3_bucket_public_access_block').length > 0 ? [] : [{ found: 'no aws_s3_bucket_public_access_block refers to the bucket' }]),
  },
  {
    id: 'CKV_AWS_53',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket_public_access_block'],
    title: 'S3 public access block: block_public_acls',
    fix: 'Set block_public_acls = true',
    check: publicAccessFlag('block_public_acls'),
  },
  {
    id: 'CKV_AWS_54',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket_public_access_block'],
    title: 'S3 public access block: block_public_policy',
    fix: 'Set block_public_policy = true',
    check: publicAccessFlag('block_public_policy'),
  },
  {
    id: 'CKV_AWS_55',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket_public_access_block'],
    title: 'S3 public access block: ignore_public_acls',
    fix: 'Set ignore_public_acls = true',
    check: publicAccessFlag('ignore_public_acls'),
  },
  {
    id: 'CKV_AWS_56',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket_public_access_block'],
    title: 'S3 public access block: restrict_public_buckets',
    fix: 'Set restrict_public_buckets = true',
    check: publicAccessFlag('restrict_public_buckets'),
  },
  {
    id: 'CKV_AWS_19',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket'],
    title: 'S3 bucket has a default server-side encryption configuration',
    fix: 'Add an aws_s3_bucket_server_side_encryption_configuration for the bucket (AwsArtifactStore adds SSE-KMS with the platform key)',
    check: (e, ctx) => {
      const configs = ssAlgorithms(e, ctx);
      if (configs.some((c) => c.algorithms.some((a) => a !== undefined))) return [];
      return [
        { found: configs.length === 0 ? 'no aws_s3_bucket_server_side_encryption_configuration refers to the bucket' : 'the encryption configuration sets no sse_algorithm' },
      ];
    },
  },
  {
    id: 'CKV_AWS_145',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket'],
    title: 'S3 bucket encrypted with KMS by default (aws:kms or aws:kms:dsse)',
    fix: 'Set rule.apply_server_side_encryption_by_default { sse_algorithm = "aws:kms", kms_master_key_id = <the platform key> } (AwsArtifactStore: keep customerManagedKey)',
    check: (e, ctx) => {
      const configs = ssAlgorithms(e, ctx);
      if (configs.length === 0) return [{ found: 'no aws_s3_bucket_server_side_encryption_configuration refers to the bucket' }];
      if (configs.some((c) => c.algorithms.some((a) => a === 'aws:kms' || a === 'aws:kms:dsse'))) return [];
      const c = configs[0]!;
      return [{ element: c.on, found: `sse_algorithm is ${show(c.algorithms.length === 1 ? c.algorithms[0] : c.algorithms)}, not aws:kms` }];
    },
  },
  {
    id: 'CKV_AWS_21',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket'],
    title: 'S3 bucket versioning enabled',
    fix: 'Add an aws_s3_bucket_versioning with versioning_configuration.status = "Enabled" (AwsArtifactStore: keep versioned)',
    check: (e, ctx) => {
      if (literalBool(attr(e.attrs, 'versioning.enabled')) === true) return [];
      const versioning = bucketCompanions(e, ctx, 'aws_s3_bucket_versioning');
      if (versioning.length === 0) return [{ found: 'no aws_s3_bucket_versioning refers to the bucket' }];
      const enabled = versioning.find((v) => attr(v.attrs, 'versioning_configuration.status') === 'Enabled');
      if (enabled) return [];
      const v = versioning[0]!;
      return [{ element: v, found: describe('versioning_configuration.status', attr(v.attrs, 'versioning_configuration.status')) }];
    },
  },
  {
    id: 'CKV2_AWS_65',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket', 'aws_s3_bucket_ownership_controls'],
    title: 'S3 ACLs disabled (object ownership BucketOwnerEnforced)',
    fix: 'Add an aws_s3_bucket_ownership_controls with rule.object_ownership = "BucketOwnerEnforced" (AwsArtifactStore: keep objectOwnership)',
    check: (e, ctx) => {
      if (e.type === 'aws_s3_bucket_ownership_controls') {
        return expectAttr(e, 'rule.object_ownership', (v) => v === 'BucketOwnerEnforced', { absent: 'fail' });
      }
      return bucketCompanions(e, ctx, 'aws_s3_bucket_ownership_controls').length > 0
        ? []
        : [{ found: 'no aws_s3_bucket_ownership_controls refers to the bucket, so ACLs stay enabled' }];
    },
  },
  {
    id: 'AwsSolutions-S10',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket'],
    title: 'S3 bucket policy denies requests without TLS (aws:SecureTransport false)',
    fix: 'Add a bucket policy statement Effect Deny, Principal "*", Action "s3:*", Condition Bool aws:SecureTransport "false" (AwsArtifactStore: keep enforceSsl)',
    check: (e, ctx) => {
      const policies = [
        ...(e.attrs.policy !== undefined ? [{ where: 'policy', value: e.attrs.policy }] : []),
        ...bucketCompanions(e, ctx, 'aws_s3_bucket_policy').map((p) => ({ where: `${p.path} policy`, value: p.attrs.policy })),
      ];
      if (policies.length === 0) return [{ found: 'no aws_s3_bucket_policy refers to the bucket' }];
      let denies = false;
      const unreadable = eachStatement(policies, ctx, (s) => {
        const actions = actionsOf(s);
        if (s.effect === 'Deny' && hasWildcardPrincipal(s) && (actions.includes('s3:*') || actions.includes('*')) && hasBoolCondition(s, 'aws:SecureTransport', false)) {
          denies = true;
        }
        return [];
      });
      if (denies) return [];
      return unreadable.length > 0 ? unreadable : [{ found: 'no bucket policy statement denies s3:* when aws:SecureTransport is false' }];
    },
  },
  {
    id: 'CKV_AWS_70',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket_policy', 'aws_s3_bucket'],
    title: 'S3 bucket policy does not allow every principal ("*") without a condition',
    fix: 'Grant to named principals (AwsArtifactStore grants go to workload identities) or restrict the statement with a condition',
    check: (e, ctx) => (e.type === 'aws_s3_bucket' && e.attrs.policy === undefined ? [] : publicStatements('policy')(e, ctx)),
  },
  {
    id: 'CKV2_AWS_61',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket'],
    title: 'S3 bucket has a lifecycle configuration',
    fix: 'Add an aws_s3_bucket_lifecycle_configuration for the bucket (AwsArtifactStore: keep lifecycleRules)',
    check: (e, ctx) =>
      blocks(e.attrs.lifecycle_rule).length > 0 || bucketCompanions(e, ctx, 'aws_s3_bucket_lifecycle_configuration').length > 0
        ? []
        : [{ found: 'no aws_s3_bucket_lifecycle_configuration refers to the bucket' }],
  },
  {
    id: 'CKV_AWS_300',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket_lifecycle_configuration'],
    title: 'S3 lifecycle configuration aborts incomplete multipart uploads (an enabled rule for the whole bucket)',
    fix: 'Add a rule with status "Enabled", an empty filter and abort_incomplete_multipart_upload { days_after_initiation = 7 }',
    check: (e) => {
      const wholeBucket = (r: Record<string, unknown>): boolean => {
        const f = blocks(r.filter)[0];
        if (!f) return true;
        const and = blocks(f.and)[0] ?? f;
        return !['prefix', 'object_size_greater_than', 'object_size_less_than', 'tag', 'tags'].some((k) => {
          const v = and[k];
          return v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);
        });
      };
      const ok = blocks(e.attrs.rule).some(
        (r) => r.status === 'Enabled' && typeof attr(r, 'abort_incomplete_multipart_upload.days_after_initiation') === 'number' && wholeBucket(r),
      );
      return ok ? [] : [{ found: 'no enabled rule without a filter sets abort_incomplete_multipart_upload.days_after_initiation' }];
    },
  },
  // ECR
  {
    id: 'CKV_AWS_163',
    cloud: 'aws',
    resourceTypes: ['aws_ecr_repository'],
    title: 'ECR image scan on push',
    fix: 'Set image_scanning_configuration { scan_on_push = true } (AwsImageRegistry: keep scanOnPush)',
    check: (e) => expectAttr(e, 'image_scanning_configuration.scan_on_push', (v) => literalBool(v) === true, { absent: 'fail' }),
  },
  {
    id: 'CKV_AWS_51',
    cloud: 'aws',
    resourceTypes: ['aws_ecr_repository'],
    title: 'ECR image tags immutable',
    fix: 'Set image_tag_mutability = "IMMUTABLE" (AwsImageRegistry: keep immutableTags)',
    check: (e) =>
      expectAttr(e, 'image_tag_mutability', (v) => v === 'IMMUTABLE' || v === 'IMMUTABLE_WITH_EXCLUSION', { absent: 'fail', absentNote: '(the provider default is MUTABLE)' }),
  },
  {
    id: 'CKV_AWS_136',
    cloud: 'aws',
    resourceTypes: ['aws_ecr_repository'],
    title: 'ECR repository encrypted with KMS',
    fix: 'Set encryption_configuration { encryption_type = "KMS", kms_key = <the platform key> } (AwsImageRegistry: keep customerManagedKey)',
    check: (e) =>
      expectAttr(e, 'encryption_configuration.encryption_type', (v) => v === 'KMS' || v === 'KMS_DSSE', { absent: 'fail', absentNote: '(the provider default is AES256)' }),
  },
  // CloudWatch Logs, SageMaker
  {
    id: 'CKV_AWS_158',
    cloud: 'aws',
    resourceTypes: ['aws_cloudwatch_log_group'],
    title: 'CloudWatch log group encrypted with KMS',
    fix: "Set kms_key_id to the platform key's ARN (AwsMlWorkspace: keep customerManagedKey)",
    check: (e) => expectSet(e, 'kms_key_id'),
  },
  {
    id: 'CKV_AWS_338',
    cloud: 'aws',
    resourceTypes: ['aws_cloudwatch_log_group'],
    title: 'CloudWatch log group retains logs for at least 1 year (365 days, or 0 = never expire)',
    fix: 'Set retention_in_days = 365 or more (AwsMlWorkspace: logRetentionDays)',
    check: (e) => expectAttr(e, 'retention_in_days', (v) => typeof v === 'number' && (v === 0 || v >= 365), { absent: 'fail' }),
  },
  {
    id: 'CKV_AWS_98',
    cloud: 'aws',
    resourceTypes: ['aws_sagemaker_endpoint_configuration'],
    title: 'SageMaker endpoint configuration encrypts its storage with KMS',
    fix: "Set kms_key_arn to the platform key's ARN",
    check: (e) => expectSet(e, 'kms_key_arn'),
  },
  // IAM
  {
    id: 'CKV_AWS_62',
    alsoKnownAs: ['CKV_AWS_1'],
    cloud: 'aws',
    resourceTypes: [...IDENTITY_POLICY_RESOURCES],
    title: 'no identity policy allows "*" actions on "*" resources (full administrator)',
    fix: "Grant the named actions the workload needs on the named resources (the platform's grant methods do)",
    check: identityRule((s, where) =>
      isAllow(s) && actionsOf(s).some(isFullWildcard) && resourceWildcard(s) ? [{ found: `${where} ${s.where} allows Action "*" on Resource "*"` }] : [],
    ),
  },
  {
    id: 'CKV_AWS_63',
    alsoKnownAs: ['CKV_AWS_49'],
    cloud: 'aws',
    resourceTypes: [...IDENTITY_POLICY_RESOURCES],
    title: 'no identity policy allows Action "*" (or NotAction in an Allow)',
    fix: "List the actions the workload needs (see lib/aws/perms.ts for the platform's)",
    check: identityRule((s, where) => {
      if (!isAllow(s)) return [];
      if (s.notActions !== undefined) return [{ found: `${where} ${s.where} is an Allow with NotAction ${show(s.notActions)}, which grants every other action` }];
      return actionsOf(s).some(isFullWildcard) ? [{ found: `${where} ${s.where} allows Action "*"` }] : [];
    }),
  },
  {
    id: 'MLOPS_AWS_IAM_SERVICE_WILDCARD',
    cloud: 'aws',
    resourceTypes: [...IDENTITY_POLICY_RESOURCES],
    title: 'no identity policy allows every action of a service ("s3:*", "sagemaker:*")',
    fix: 'List the service\'s actions the workload needs instead of "<service>:*"',
    check: identityRule((s, where) => {
      if (!isAllow(s)) return [];
      const wild = actionsOf(s).filter((a) => /^[A-Za-z0-9-]+:\*$/.test(a));
      return wild.length > 0 ? [{ found: `${where} ${s.where} allows ${show(wild)}` }] : [];
    }),
  },
  {
    id: 'CKV_AWS_355',
    alsoKnownAs: ['CKV_AWS_356'],
    cloud: 'aws',
    resourceTypes: [...IDENTITY_POLICY_RESOURCES],
    title:
      'Resource "*" only for actions without resource-level permissions (the documented exceptions: UNSCOPED_ACTIONS, CI_AWS_UNSCOPED_READ_ACTIONS and CI_AWS_NETWORK_READ_ACTIONS in lib/aws/perms.ts)',
    fix: `Name the resource ARNs; "*" is accepted only for ${DOCUMENTED_UNSCOPED_ACTIONS.join(', ')}`,
    check: identityRule((s, where) => {
      if (!isAllow(s) || !resourceWildcard(s)) return [];
      const scoped = actionsOf(s).filter((a) => !isFullWildcard(a) && !UNSCOPED.has(a.toLowerCase()));
      return scoped.length > 0 ? [{ found: `${where} ${s.where} allows ${show(scoped)} on Resource "*"` }] : [];
    }),
  },
  {
    id: 'CKV_AWS_274',
    cloud: 'aws',
    resourceTypes: Object.keys(POLICY_ATTACHMENTS),
    title: 'AdministratorAccess is not attached to any role, user or group',
    fix: 'Attach a policy with the actions the identity needs instead of arn:aws:iam::aws:policy/AdministratorAccess',
    check: (e) =>
      attachedArns(e)
        .filter((a) => AWS_MANAGED_POLICY.test(a) && a.endsWith(':policy/AdministratorAccess'))
        .map((a) => ({ found: `${POLICY_ATTACHMENTS[e.type]} attaches ${a}` })),
  },
  {
    id: 'AwsSolutions-IAM4',
    cloud: 'aws',
    resourceTypes: Object.keys(POLICY_ATTACHMENTS),
    title: "no AWS managed policies attached (least privilege through the platform's own grants)",
    fix: 'Replace the AWS managed policy with an inline policy listing the actions needed on the named resources (AwsWorkloadIdentity.addToPolicy)',
    check: (e) =>
      attachedArns(e)
        .filter((a) => AWS_MANAGED_POLICY.test(a))
        .map((a) => ({ found: `${POLICY_ATTACHMENTS[e.type]} attaches the AWS managed policy ${a}` })),
  },
  {
    id: 'MLOPS_AWS_NO_ACCESS_KEY',
    cloud: 'aws',
    resourceTypes: ['aws_iam_access_key'],
    title: 'no long-lived IAM access keys (CI and workloads use roles and OIDC)',
    fix: 'Remove the aws_iam_access_key: CI logs in through the GitHub OIDC role, workloads through their IAM role',
    check: (e) => [{ found: `an aws_iam_access_key is created for user ${show(e.attrs.user)}` }],
  },
  {
    id: 'CKV_AWS_60',
    cloud: 'aws',
    resourceTypes: ['aws_iam_role'],
    title: 'role trust policy does not let every principal ("*") assume the role without a condition',
    fix: 'Name the service, account or federated provider allowed to assume the role',
    check: (e, ctx) =>
      eachStatement(trustPolicy(e), ctx, (s, where) =>
        isAllow(s) && hasWildcardPrincipal(s) && s.conditions.length === 0 ? [{ found: `${where} ${s.where} lets every principal ("*") assume the role` }] : [],
      ),
  },
  {
    id: 'CKV_AWS_358',
    cloud: 'aws',
    resourceTypes: ['aws_iam_role'],
    title: 'GitHub Actions OIDC trust pins aud and sub to one repository',
    fix: 'Add conditions StringEquals token.actions.githubusercontent.com:aud = "sts.amazonaws.com" and StringEquals/StringLike token.actions.githubusercontent.com:sub = "repo:<owner>/<repo>:ref:refs/heads/<branch>" or ":environment:<name>"',
    check: (e, ctx) => eachStatement(trustPolicy(e), ctx, (s, where) => githubTrust(s, where, ctx)),
  },
  {
    id: 'MLOPS_AWS_PUBLIC_POLICY',
    cloud: 'aws',
    resourceTypes: ['aws_sns_topic', 'aws_sns_topic_policy', 'aws_sqs_queue', 'aws_sqs_queue_policy', 'aws_ecr_repository_policy'],
    title: 'SNS topic, SQS queue and ECR repository policies do not allow every principal ("*") without a condition',
    fix: 'Name the principals (e.g. cloudwatch.amazonaws.com) and restrict with aws:SourceAccount / aws:SourceArn',
    check: (e, ctx) => (e.attrs.policy === undefined ? [] : publicStatements('policy')(e, ctx)),
  },
  // Network
  {
    id: 'MLOPS_AWS_OPEN_INGRESS',
    cloud: 'aws',
    resourceTypes: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule'],
    title: 'no security group ingress from 0.0.0.0/0 or ::/0 unless the config allows public network access',
    fix: 'Allow ingress from network.allowedIpRanges or security groups only, or set network.mode: public if the endpoint must be public',
    relaxedBy: 'publicNetwork',
    check: openIngress,
  },
  // Deploy readiness
  {
    id: 'MLOPS_DEPLOY_AWS_DENY_LOCKOUT',
    cloud: 'aws',
    resourceTypes: ['aws_s3_bucket_policy', 'aws_s3_bucket', 'aws_kms_key', 'aws_kms_key_policy'],
    title: 'no Deny of a bucket or key policy catches a principal the stack needs (a deployer, the CI role, the workload role) on its data actions',
    fix: LOCKOUT_FIX,
    check: denyLockout,
  },
  {
    id: 'MLOPS_DEPLOY_AWS_OBJECT_WRITE',
    cloud: 'aws',
    resourceTypes: ['aws_s3_object', 'aws_s3_bucket_object'],
    title: "an object Terraform writes is written after its bucket's default encryption and policy, and the bucket policy does not deny the deployers",
    fix: "Depend on the bucket's encryption configuration and policy, and exempt the deployers from the policy's denies",
    check: objectWrite,
  },
  {
    id: 'MLOPS_DEPLOY_AWS_PRIVATE_WORKLOAD',
    cloud: 'aws',
    resourceTypes: ['aws_sagemaker_model', 'terraform_data'],
    title: 'in network mode private, SageMaker models and training jobs run in the VPC (VpcConfig), after its endpoints',
    fix: 'Build the model and the job on a private AwsMlPlatform (they get vpc_config / aws.vpc and wait for the endpoints)',
    check: privateWorkload,
  },
  {
    id: 'MLOPS_AWS_PIPELINE_STEP_NETWORK',
    cloud: 'aws',
    resourceTypes: ['aws_sagemaker_pipeline'],
    title:
      "a SageMaker pipeline's Processing steps run with network isolation, except those that record their run on an MLflow tracking server; in network mode private those reach it through the MLflow API's interface endpoint, which the pipeline waits for",
    fix: 'Build the pipeline with AwsContinuousTraining (it sets isolation per step, and depends on the network endpoints)',
    check: pipelineStepNetwork,
  },
  {
    id: 'MLOPS_DEPLOY_AWS_VPC_ENDPOINTS',
    cloud: 'aws',
    resourceTypes: ['aws_vpc'],
    title: `in network mode private, a VPC the stack creates has the endpoints the workload needs (${AWS_REQUIRED_PRIVATE_ENDPOINTS.join(', ')})`,
    fix: 'Create the S3 gateway endpoint and the interface endpoints with private DNS (AwsNetwork does)',
    check: vpcEndpoints,
  },
];
