import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Lazy, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { toNaming } from '../core/platform-props';
import { EC2_VPC_DESCRIBE_ACTIONS, EC2_VPC_ENI_ACTIONS, IAM_SELF_READ_ACTIONS, SAGEMAKER_SERVICE_PRINCIPAL, SOURCE_ACCOUNT_TRUST_SERVICES, STS_ASSUME_ROLE_ACTION } from './perms';
import { arn } from './arn';
import { awsName, awsTags, checkPhysicalName } from './names';
import { PolicyConditions, policyDocument } from './policy-document';
import { StatementSet } from './private/statements';
import { checkAccountId, checkRoleAttributes } from './validate';
import { PropChecks } from '../core/validate';

/** An Allow statement of the workload identity's inline policy. */
export interface AwsPolicyStatement {
  /** IAM actions (`service:Action`); `*` and `service:*` are refused. */
  readonly actions: readonly string[];
  /** Resource ARNs; `*` only for the actions in `UNSCOPED_ACTIONS` (perms.ts). */
  readonly resources: readonly string[];
  /**
   * Condition block, operator → key → value(s).
   * @default - no condition
   */
  readonly conditions?: PolicyConditions;
}

/**
 * An IAM role the AWS platform's grants and workloads can use: one this
 * library creates ({@link AwsWorkloadIdentity}) or an existing one
 * ({@link AwsWorkloadIdentity.fromRoleArn}, {@link AwsWorkloadIdentity.fromExisting}).
 */
export interface IAwsWorkloadIdentity extends IWorkloadIdentity {
  /** Always `aws`. */
  readonly cloud: 'aws';
  /** Role ARN. */
  readonly roleArn: string;
  /** Role name. */
  readonly roleName: string;
  /** The account the role lives in (a literal, or a token when the ARN is one). */
  readonly accountId: string;
  /** True for a role imported by ARN: the library never changes it besides adding its own inline grant policy. */
  readonly imported: boolean;
  /** Terraform addresses of what grants create on the role, for `depends_on` of resources that run as it. */
  readonly dependencyAddresses: string[];
  /** Adds an Allow statement to the role's inline grant policy. */
  addToPolicy(statement: AwsPolicyStatement): void;
}

/** Attributes of an existing IAM role, for {@link AwsWorkloadIdentity.fromExisting}. */
export interface AwsWorkloadIdentityAttributes {
  /** The role ARN (`arn:aws:iam::<account>:role/<path/><name>`). */
  readonly roleArn: string;
  /**
   * The role name. Needed only when `roleArn` is a token (a literal ARN names the role).
   * @default - the last segment of `roleArn`
   */
  readonly roleName?: string;
  /**
   * Name of the inline policy grants put on the role (unique among the role's inline policies).
   * @default - `mlops-grants-<hash of the construct path>`
   */
  readonly policyName?: string;
}

/** Props of {@link AwsWorkloadIdentity}. */
export interface AwsWorkloadIdentityProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The 12-digit account the role lives in (used in the trust policy's `aws:SourceAccount`). */
  readonly accountId: string;
  /** The region the platform runs in. */
  readonly region: string;
  /**
   * Extra tags, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The `<resource>` part of the role name, for identities besides the platform's own.
   * @default 'sagemaker' (the platform identity's name)
   */
  readonly resourceName?: string;
  /**
   * The role name, exactly (1-64 of letters, digits and + = , . @ _ -),
   * instead of the naming helper's `<company>-<project>-<env>-<resourceName>`.
   * @default - from the naming helper
   */
  readonly physicalName?: string;
  /**
   * The service principals that may assume the role: the compute that runs
   * as it. SageMaker for the platform's jobs, endpoints and MLflow server;
   * other compute of a team that the platform's stores are granted to, such
   * as `lambda.amazonaws.com` (a batch-scoring function) or
   * `ecs-tasks.amazonaws.com` (an ECS task, or an AWS Batch job on ECS or
   * Fargate, whose job role ECS assumes). Services whose documentation
   * supports it (SOURCE_ACCOUNT_TRUST_SERVICES in perms.ts) are trusted only
   * on behalf of this account (`aws:SourceAccount`).
   * @default ['sagemaker.amazonaws.com']
   */
  readonly assumedBy?: readonly string[];
  /**
   * What the role is for, in its description.
   * @default - 'Workload identity of the ML platform (SageMaker jobs, endpoints, MLflow).' for SageMaker
   */
  readonly description?: string;
}

/** An AWS service principal (`<service>.amazonaws.com`, `.amazonaws.com.cn` in China). */
const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/;

/**
 * The IAM role SageMaker jobs, endpoints and the MLflow tracking server run
 * as (or other compute, with `assumedBy`). Assumable only by its services,
 * on behalf of this account where the service supports it; its permissions
 * are one inline policy accumulated from grants — no managed policies, no
 * `*` actions, `*` resources only for actions that cannot be scoped.
 */
export class AwsWorkloadIdentity extends Construct implements IAwsWorkloadIdentity {
  /**
   * An existing IAM role. The library never changes the role, its trust or
   * its other policies: grants to it go into one inline policy of its own
   * (`aws_iam_role_policy`, created on the first grant), which the role's
   * owner must leave in place (a role managed with exclusive inline policies
   * would remove it).
   */
  static fromExisting(scope: Construct, id: string, attrs: AwsWorkloadIdentityAttributes): IAwsWorkloadIdentity {
    return new ImportedAwsWorkloadIdentity(scope, id, attrs);
  }

  /** An existing IAM role by its ARN (see {@link fromExisting}). */
  static fromRoleArn(scope: Construct, id: string, roleArn: string): IAwsWorkloadIdentity {
    return new ImportedAwsWorkloadIdentity(scope, id, { roleArn });
  }

  /** The cloud this identity belongs to. */
  public readonly cloud = 'aws' as const;
  /** Role name. */
  public readonly identityName: string;
  /** Role ARN. */
  public readonly identityId: string;
  /** Role ARN (the principal resource policies name). */
  public readonly principal: string;
  /** Role ARN. */
  public readonly roleArn: string;
  /** Role name. */
  public readonly roleName: string;
  /** The account the role lives in. */
  public readonly accountId: string;
  /** The region the platform runs in. */
  public readonly region: string;
  /** Always false: the role is created by this construct. */
  public readonly imported = false;
  /** The service principals that may assume the role. */
  public readonly assumedBy: readonly string[];

  private readonly statements = new StatementSet();
  private readonly role: IamRole;
  private readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: AwsWorkloadIdentityProps) {
    super(scope, id);
    const C = 'AwsWorkloadIdentity';
    const issues = new IssueCollector();
    checkAccountId(new PropChecks(issues, C, this.node.path), props.accountId);
    this.accountId = props.accountId;
    this.region = props.region;
    new PropChecks(issues, C, this.node.path).region('aws', 'region', props.region);
    checkPhysicalName(new PropChecks(issues, C, this.node.path), 'physicalName', props.physicalName, 'iamRole');
    const assumedBy = props.assumedBy ?? [SAGEMAKER_SERVICE_PRINCIPAL];
    if (!Array.isArray(assumedBy) || assumedBy.length === 0) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid(C, 'assumedBy', assumedBy, 'a non-empty list of service principals such as ["lambda.amazonaws.com"]'),
      );
    } else {
      assumedBy.forEach((p, i) => {
        if (typeof p === 'string' && (Token.isUnresolved(p) || SERVICE_PRINCIPAL.test(p))) return;
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid(C, `assumedBy[${i}]`, p, 'an AWS service principal such as "lambda.amazonaws.com", "ecs-tasks.amazonaws.com" or "sagemaker.amazonaws.com"'),
        );
      });
    }
    issues.throwIfAny(`Invalid ${C} props:`);
    this.assumedBy = [...new Set(assumedBy)];

    const name = props.physicalName ?? (props.resourceName ? toNaming(props.naming).name('iamRole', props.resourceName) : awsName(props.naming, 'iamRole'));
    const sagemakerOnly = this.assumedBy.length === 1 && this.assumedBy[0] === SAGEMAKER_SERVICE_PRINCIPAL;
    this.role = new IamRole(this, 'Resource', {
      name,
      description:
        props.description ??
        (sagemakerOnly ? 'Workload identity of the ML platform (SageMaker jobs, endpoints, MLflow).' : `Workload identity of ML platform compute (${this.assumedBy.join(', ')}).`),
      assumeRolePolicy: policyDocument(trustStatements(this.assumedBy, props.accountId)),
      tags: awsTags(props.naming, props.tags),
    });
    this.policy = new IamRolePolicy(this, 'DefaultPolicy', {
      name: 'platform-grants',
      role: this.role.name,
      policy: Lazy.stringValue({
        // IAM refuses an empty policy; until something is granted the role may only describe itself.
        produce: () => this.statements.render([{ Effect: 'Allow', Action: IAM_SELF_READ_ACTIONS, Resource: [this.role.arn] }]),
      }),
    });

    this.roleName = this.role.name;
    this.roleArn = this.role.arn;
    this.identityName = this.role.name;
    this.identityId = this.role.arn;
    this.principal = this.role.arn;
  }

  /**
   * Adds an Allow statement to the role's inline policy. Refuses wildcard
   * actions and `*` resources on actions that support resource-level permissions.
   */
  addToPolicy(statement: AwsPolicyStatement): void {
    this.statements.add(statement, this.node.path, 'AwsWorkloadIdentity.addToPolicy');
  }

  /**
   * Lets SageMaker put the network interfaces of jobs and models run as this
   * identity in the VPC's subnets with its security group (what a
   * `VpcConfig` needs of the execution role), and describe the VPC.
   */
  grantVpcAccess(vpc: { readonly subnetIds: readonly string[]; readonly securityGroupId: string }): void {
    grantVpcAccess(this, vpc, this.region);
  }

  /** Terraform addresses of the role and its policy, for `depends_on` of resources that run as this identity. */
  get dependencyAddresses(): string[] {
    return [this.role, this.policy].map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`);
  }
}

/**
 * Lets SageMaker put the network interfaces of jobs and models run as
 * `identity` in the VPC's subnets with its security group, and describe the VPC.
 */
export function grantVpcAccess(identity: IAwsWorkloadIdentity, vpc: { readonly subnetIds: readonly string[]; readonly securityGroupId: string }, region: string): void {
  const ec2 = (resource: string): string => arn('ec2', region, identity.accountId, resource);
  identity.addToPolicy({
    actions: [...EC2_VPC_ENI_ACTIONS],
    resources: [ec2('network-interface/*'), ...vpc.subnetIds.map((id) => ec2(`subnet/${id}`)), ec2(`security-group/${vpc.securityGroupId}`)],
  });
  identity.addToPolicy({ actions: [...EC2_VPC_DESCRIBE_ACTIONS], resources: ['*'] });
}

/** The trust statements: one for the services that support `aws:SourceAccount` (with it), one for the others. */
function trustStatements(services: readonly string[], accountId: string): object[] {
  const conditioned = services.filter((s) => SOURCE_ACCOUNT_TRUST_SERVICES.includes(s));
  const plain = services.filter((s) => !SOURCE_ACCOUNT_TRUST_SERVICES.includes(s));
  const one = (list: readonly string[]): string | readonly string[] => (list.length === 1 ? list[0]! : list);
  const statements: object[] = [];
  if (conditioned.length > 0) {
    statements.push({
      Effect: 'Allow',
      Principal: { Service: one(conditioned) },
      Action: STS_ASSUME_ROLE_ACTION,
      Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
    });
  }
  if (plain.length > 0) {
    statements.push({ Effect: 'Allow', Principal: { Service: one(plain) }, Action: STS_ASSUME_ROLE_ACTION });
  }
  return statements;
}

/** An existing IAM role; grants add one inline policy of its own to it. */
class ImportedAwsWorkloadIdentity extends Construct implements IAwsWorkloadIdentity {
  public readonly cloud = 'aws' as const;
  public readonly imported = true;
  public readonly identityName: string;
  public readonly identityId: string;
  public readonly principal: string;
  public readonly roleArn: string;
  public readonly roleName: string;
  public readonly accountId: string;

  private readonly statements = new StatementSet();
  private readonly policyName: string;
  private policy?: IamRolePolicy;

  constructor(scope: Construct, id: string, attrs: AwsWorkloadIdentityAttributes) {
    super(scope, id);
    const C = 'AwsWorkloadIdentity.fromExisting';
    const issues = new IssueCollector();
    const { roleName, accountId } = checkRoleAttributes(new PropChecks(issues, C, this.node.path), attrs ?? {});
    checkPhysicalName(new PropChecks(issues, C, this.node.path), 'policyName', attrs?.policyName, 'iamPolicy');
    issues.throwIfAny(`Invalid ${C} attributes:`);
    this.roleArn = attrs.roleArn;
    this.roleName = roleName;
    this.accountId = accountId;
    this.identityName = roleName;
    this.identityId = attrs.roleArn;
    this.principal = attrs.roleArn;
    this.policyName = attrs.policyName ?? `mlops-grants-${this.node.addr.slice(0, 12)}`;
  }

  addToPolicy(statement: AwsPolicyStatement): void {
    this.statements.add(statement, this.node.path, 'AwsWorkloadIdentity.addToPolicy');
    // Created on the first grant: an imported role nothing is granted to is left untouched.
    this.policy ??= new IamRolePolicy(this, 'Policy', {
      name: this.policyName,
      role: this.roleName,
      policy: Lazy.stringValue({ produce: () => this.statements.render([]) }),
    });
  }

  get dependencyAddresses(): string[] {
    return this.policy ? [`${this.policy.terraformResourceType}.${this.policy.friendlyUniqueId}`] : [];
  }
}
