import { toNaming } from '../core/platform-props';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Lazy, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, MlopsValidationError, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import {
  EC2_VPC_DESCRIBE_ACTIONS,
  EC2_VPC_ENI_ACTIONS,
  IAM_SELF_READ_ACTIONS,
  SAGEMAKER_SERVICE_PRINCIPAL,
  STS_ASSUME_ROLE_ACTION,
  UNSCOPED_ACTIONS,
} from './perms';
import { arn } from './private/arn';
import { awsName, awsTags } from './private/names';
import { PolicyConditions, policyDocument } from './private/policy';
import { checkAccountId, checkRegion } from './private/validate';

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
}

/**
 * The IAM role SageMaker jobs, endpoints and the MLflow tracking server run
 * as. Assumable only by SageMaker on behalf of this account; its permissions
 * are one inline policy accumulated from grants — no managed policies, no `*`
 * actions, `*` resources only for actions that cannot be scoped.
 */
export class AwsWorkloadIdentity extends Construct implements IWorkloadIdentity {
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

  private readonly statements: AwsPolicyStatement[] = [];
  private readonly role: IamRole;
  private readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: AwsWorkloadIdentityProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkAccountId(issues, this.node.path, 'AwsWorkloadIdentity', props.accountId);
    this.accountId = props.accountId;
    this.region = props.region;
    checkRegion(issues, this.node.path, 'AwsWorkloadIdentity', props.region);
    issues.throwIfAny('Invalid AwsWorkloadIdentity props:');

    const name = props.resourceName ? toNaming(props.naming).name('iamRole', props.resourceName) : awsName(props.naming, 'iamRole');
    this.role = new IamRole(this, 'Resource', {
      name,
      description: 'Workload identity of the ML platform (SageMaker jobs, endpoints, MLflow).',
      assumeRolePolicy: policyDocument([
        {
          Effect: 'Allow',
          Principal: { Service: SAGEMAKER_SERVICE_PRINCIPAL },
          Action: STS_ASSUME_ROLE_ACTION,
          Condition: { StringEquals: { 'aws:SourceAccount': props.accountId } },
        },
      ]),
      tags: awsTags(props.naming, props.tags),
    });
    this.policy = new IamRolePolicy(this, 'DefaultPolicy', {
      name: 'platform-grants',
      role: this.role.name,
      policy: Lazy.stringValue({ produce: () => this.renderPolicy() }),
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
    const issues = new IssueCollector();
    if (statement.actions.length === 0) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AwsWorkloadIdentity.addToPolicy', 'actions', [], 'at least one IAM action'));
    }
    if (statement.resources.length === 0) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid('AwsWorkloadIdentity.addToPolicy', 'resources', [], 'at least one resource ARN'));
    }
    for (const action of statement.actions) {
      if (action === '*' || action.endsWith(':*')) {
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid('AwsWorkloadIdentity.addToPolicy', 'actions', action, 'named actions, never "*" or "<service>:*" (CKV_AWS_63, AwsSolutions-IAM5)'),
        );
      }
    }
    if (statement.resources.some((r) => !Token.isUnresolved(r) && r === '*')) {
      const scoped = statement.actions.filter((a) => !UNSCOPED_ACTIONS.includes(a));
      if (scoped.length > 0) {
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid(
            'AwsWorkloadIdentity.addToPolicy',
            'resources',
            '*',
            `specific ARNs for ${scoped.join(', ')}: "*" is allowed only for ${UNSCOPED_ACTIONS.join(', ')} (CKV_AWS_355, AwsSolutions-IAM5)`,
          ),
        );
      }
    }
    if (issues.issues.length > 0) throw new MlopsValidationError('Invalid policy statement:', issues.issues);

    // Merge with a statement on the same resources and conditions.
    const key = statementKey(statement);
    const index = this.statements.findIndex((s) => statementKey(s) === key);
    if (index >= 0) {
      const existing = this.statements[index]!;
      this.statements[index] = { ...existing, actions: unique([...existing.actions, ...statement.actions]) };
    } else {
      this.statements.push({ ...statement, actions: unique(statement.actions), resources: unique(statement.resources) });
    }
  }

  /**
   * Lets SageMaker put the network interfaces of jobs and models run as this
   * identity in the VPC's subnets with its security group (what a
   * `VpcConfig` needs of the execution role), and describe the VPC.
   */
  grantVpcAccess(vpc: { readonly subnetIds: readonly string[]; readonly securityGroupId: string }): void {
    const ec2 = (resource: string): string => arn('ec2', this.region, this.accountId, resource);
    this.addToPolicy({
      actions: [...EC2_VPC_ENI_ACTIONS],
      resources: [ec2('network-interface/*'), ...vpc.subnetIds.map((id) => ec2(`subnet/${id}`)), ec2(`security-group/${vpc.securityGroupId}`)],
    });
    this.addToPolicy({ actions: [...EC2_VPC_DESCRIBE_ACTIONS], resources: ['*'] });
  }

  /** Terraform addresses of the role and its policy, for `depends_on` of resources that run as this identity. */
  get dependencyAddresses(): string[] {
    return [this.role, this.policy].map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`);
  }

  private renderPolicy(): string {
    if (this.statements.length === 0) {
      // IAM refuses an empty policy; until something is granted the role may only describe itself.
      return policyDocument([{ Effect: 'Allow', Action: IAM_SELF_READ_ACTIONS, Resource: [this.role.arn] }]);
    }
    return policyDocument(
      this.statements.map((s) => ({
        Effect: 'Allow',
        Action: s.actions,
        Resource: s.resources,
        ...(s.conditions ? { Condition: s.conditions } : {}),
      })),
    );
  }
}

function statementKey(s: AwsPolicyStatement): string {
  return JSON.stringify({ r: [...s.resources].sort(), c: s.conditions ?? null });
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
