import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Annotations, Token } from 'cdktf';
import { Construct } from 'constructs';
import { AwsMlPlatform } from '../aws/platform';
import { dnsSuffixOf, partitionOf } from '../aws/arn';
import { AWS_PIPELINE_SERVICE_ROLES } from '../aws/perms';
import { awsTags, checkPhysicalName } from '../aws/names';
import { checkAccountId } from '../aws/validate';
import { ErrorCode, IssueCollector, messages, show } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { toNaming } from '../core/platform-props';
import * as A from './aws-perms';
import { AWS_STS_AUDIENCE, GITHUB_OIDC_HOST, GITHUB_OIDC_ISSUER, GithubRepositoryProps, GithubSubject, checkGithubProps, githubSubjects } from './github';
import { loginOutputs } from './private/util';
import { PropChecks } from '../core/validate';

/** The S3 state backend the CI role reads and writes state in. */
export interface AwsStateBackendRef {
  /** State bucket. */
  readonly bucket: string;
  /** State object key. */
  readonly key: string;
  /** Region of the state bucket (and lock table). */
  readonly region: string;
  /**
   * DynamoDB lock table, when the backend locks with one instead of the S3 lock file.
   * @default - S3 native locking (`<key>.tflock`)
   */
  readonly dynamodbTable?: string;
}

/** Props of {@link AwsGithubCiIdentity}. */
export interface AwsGithubCiIdentityProps extends GithubRepositoryProps {
  /** The platform CI deploys: its resources are what the role may manage. */
  readonly platform: AwsMlPlatform;
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The 12-digit account the platform lives in. */
  readonly accountId: string;
  /**
   * ARN of the account's existing GitHub OIDC provider
   * (`arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`).
   * An account holds at most one provider per URL: pass it when another stack
   * or tool already created it.
   * @default - the construct creates the provider
   */
  readonly existingProviderArn?: string;
  /**
   * Grant what the release step needs (training jobs, model versions,
   * endpoint rollout with autoscaling and rollback alarms).
   * @default true
   */
  readonly release?: boolean;
  /**
   * Grant what continuous training needs (`deployment.pipeline`): the
   * SageMaker pipelines, the start gate and deploy state machines, the
   * schedules and the approval rule named with the prefix; read and tag
   * access to the pipeline's service roles and `iam:PassRole` of each to its
   * one service only.
   * @default false
   */
  readonly pipeline?: boolean;
  /**
   * Grant what alerting needs (CloudWatch alarms and SNS topics named with the prefix).
   * @default false
   */
  readonly alerts?: boolean;
  /**
   * The S3 state backend of the stack.
   * @default - no state access (local state cannot be shared with CI runs anyway)
   */
  readonly stateBackend?: AwsStateBackendRef;
  /**
   * Longest session the role allows, in seconds (3600-43200). A deploy runs
   * the training job and the blue/green rollout in one session, so it must
   * outlast both; the workflow's `role-duration-seconds` must ask for as much
   * (the session is no longer than what the workflow asks for).
   * @default - 21600 (6 hours, the longest a GitHub-hosted job runs) with `release`, else 3600
   */
  readonly maxSessionDurationSeconds?: number;
  /**
   * The deploy role's name, exactly (1-64 of letters, digits and + = , . @ _ -);
   * its policies are then `<physicalName>-ci-deploy`, `<physicalName>-ci-iam`, ….
   * @default - `<company>-<project>-<env>-github-ci`, policies `<company>-<project>-<env>-ci-deploy`, …
   */
  readonly physicalName?: string;
  /**
   * Extra tags, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

interface Statement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/**
 * Keyless deploys from GitHub Actions to AWS: the GitHub OIDC provider
 * (`token.actions.githubusercontent.com`, client id `sts.amazonaws.com`; or an
 * existing one by ARN) and a deploy role whose trust policy allows
 * `sts:AssumeRoleWithWebIdentity` only with `aud` = `sts.amazonaws.com` and
 * `sub` equal to one of the repository's listed branch, environment or
 * pull-request subjects (`StringEquals`, no wildcards: CKV_AWS_358). Sessions
 * last at most six hours with the release step (training and rollout run in
 * one session), an hour without. The role is added to the platform's
 * deployers (`grantDeploy`): the bucket's network guard lets it through.
 *
 * Its permissions are customer-managed policies scoped to the platform:
 * - `ci-deploy`: the artifact bucket's settings (no bucket deletion), its
 *   objects (the training data Terraform uploads and refreshes) with the
 *   platform key through S3 only, the platform key and its alias (no
 *   deletion), the runtime
 *   repository (settings and image push), the model package group, the
 *   MLflow tracking server (only with `trackingServer: true`) and log group. Resource ARNs use the
 *   `<company>-<project>-<env>-` name prefix, or the exact key.
 * - `ci-iam`: read and tag access to the workload role and `iam:PassRole` of
 *   it to SageMaker only; read access to the CI role, its policies and the
 *   OIDC provider, and an explicit Deny on changing them. The workload role's
 *   policy and trust are never writable by CI: a change to grants is
 *   deployed by a person.
 * - `ci-release` (with `release`): training jobs, model versions, models,
 *   endpoint configs and endpoints named with the prefix, their autoscaling
 *   and rollback alarms.
 * - `ci-alerts` (with `alerts`): alarms, SNS topics and the EventBridge rule
 *   (and its target) named with the prefix.
 * - `ci-pipeline` (with `pipeline`): the SageMaker pipelines, start gate and
 *   deploy state machines, EventBridge Scheduler schedules and the approval
 *   rule named with the prefix (no execution starts); read and tag access to
 *   the pipeline's service roles (`AWS_PIPELINE_SERVICE_ROLES`) and
 *   `iam:PassRole` of each only to its one service (`iam:PassedToService`).
 *   Those roles and their policies are created and changed by a person's
 *   deploy, as the workload role's are.
 * - `ci-network` (private platforms): the VPC, subnets, route table, security
 *   group and VPC endpoints in the platform's account and region.
 * - `ci-state` (with `stateBackend`): the state object and its lock only.
 * Read-only actions IAM cannot scope (`ecr:GetAuthorizationToken`,
 * `kms:ListAliases`, list and metric reads) are the only `Resource: "*"`.
 */
export class AwsGithubCiIdentity extends Construct {
  /** Always `aws`. */
  public readonly cloud = 'aws' as const;
  /** The subjects the trust policy allows. */
  public readonly subjects: readonly GithubSubject[];
  /** Role name. */
  public readonly roleName: string;
  /** Role ARN: `aws-actions/configure-aws-credentials`' `role-to-assume`. */
  public readonly roleArn: string;
  /** ARN of the OIDC provider the role trusts. */
  public readonly providerArn: string;
  /** The rendered policy documents by policy name suffix (`ci-deploy`, …), for inspection. */
  public readonly policyDocuments: Readonly<Record<string, string>>;
  /** Exactly the values `aws-actions/configure-aws-credentials` needs (see `CI_LOGIN_VALUES.aws`). */
  public readonly outputs: Record<string, string>;

  constructor(scope: Construct, id: string, props: AwsGithubCiIdentityProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const where = this.node.path;
    const C = 'AwsGithubCiIdentity';
    const invalid = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, prop, value, accepted));
    if (!(props.platform instanceof AwsMlPlatform)) invalid('platform', typeof props.platform, 'an AwsMlPlatform');
    const before = issues.issues.length;
    checkGithubProps(new PropChecks(issues, C, where), props);
    const githubOk = issues.issues.length === before;
    checkAccountId(new PropChecks(issues, C, where), props.accountId);
    const partition = partitionOf(props.platform?.workspace?.region ?? '');
    if (props.existingProviderArn !== undefined && !Token.isUnresolved(props.existingProviderArn)) {
      const expected = new RegExp(`^arn:aws(-[a-z]+)*:iam::${props.accountId}:oidc-provider/${GITHUB_OIDC_HOST.replace(/\./g, '\\.')}$`);
      if (!expected.test(props.existingProviderArn)) {
        invalid(
          'existingProviderArn',
          props.existingProviderArn,
          `the ARN of this account's GitHub OIDC provider, arn:${partition}:iam::${props.accountId}:oidc-provider/${GITHUB_OIDC_HOST}`,
        );
      }
    }
    const maxSession = props.maxSessionDurationSeconds ?? ((props.release ?? true) ? A.CI_AWS_RELEASE_SESSION_SECONDS : A.CI_AWS_DEFAULT_SESSION_SECONDS);
    if (!Number.isInteger(maxSession) || maxSession < 3600 || maxSession > 43200) {
      invalid('maxSessionDurationSeconds', maxSession, 'an integer from 3600 (1 hour) to 43200 (12 hours)');
    }
    if (props.stateBackend) {
      const b = props.stateBackend;
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b.bucket ?? '')) invalid('stateBackend.bucket', b.bucket, 'an S3 bucket name (config: backend.bucket)');
      if (typeof b.key !== 'string' || b.key.length === 0 || /[*?]/.test(b.key)) invalid('stateBackend.key', b.key, 'the state object key without wildcards (config: backend.key)');
      new PropChecks(issues, C, where).region('aws', 'region', b.region);
      if (b.dynamodbTable !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(b.dynamodbTable))
        invalid('stateBackend.dynamodbTable', b.dynamodbTable, 'a DynamoDB table name (config: backend.dynamodbTable)');
    }
    const naming = toNaming(props.naming);
    checkPhysicalName(new PropChecks(issues, C, where), 'physicalName', props.physicalName, 'iamRole');
    const explicit = props.physicalName;
    const roleName = explicit ?? tryName(issues, naming, 'iamRole', 'github-ci');
    const policyName = (suffix: string): string => (explicit !== undefined ? `${explicit}-${suffix}` : tryName(issues, naming, 'iamPolicy', suffix));
    const policyNames = {
      deploy: policyName('ci-deploy'),
      iam: policyName('ci-iam'),
      release: policyName('ci-release'),
      alerts: policyName('ci-alerts'),
      pipeline: policyName('ci-pipeline'),
      state: policyName('ci-state'),
      network: policyName('ci-network'),
    };
    const subjects = githubOk ? githubSubjects(props) : [];
    issues.throwIfAny(`Invalid ${C} props:`);

    const platform = props.platform;
    const region = platform.workspace.region;
    const account = props.accountId;
    const p = partitionOf(region);
    const prefix = naming.prefix;
    const tags = awsTags(naming, props.tags);
    const arn = (service: string, resource: string, r: string = region): string => `arn:${p}:${service}:${r}:${account}:${resource}`;
    this.subjects = subjects;

    const providerArn =
      props.existingProviderArn ??
      new IamOpenidConnectProvider(this, 'OidcProvider', {
        url: GITHUB_OIDC_ISSUER,
        clientIdList: [AWS_STS_AUDIENCE],
        tags,
      }).arn;

    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'GitHubActionsOidc',
          Effect: 'Allow',
          Principal: { Federated: providerArn },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              [`${GITHUB_OIDC_HOST}:aud`]: AWS_STS_AUDIENCE,
              [`${GITHUB_OIDC_HOST}:sub`]: subjects.map((s) => s.subject),
            },
          },
        },
      ],
    });
    const trustLength = estimatedLength(trust);
    if (trustLength > A.AWS_TRUST_POLICY_MAX_CHARS) {
      issues.add(
        ErrorCode.PROP_INVALID,
        where,
        `${C}: the trust policy for ${subjects.length} subjects is about ${trustLength} characters; IAM allows ${A.AWS_TRUST_POLICY_MAX_CHARS} by default. ` +
          'Fix: list fewer branches and environments in ci.github (or shorter names).',
      );
      issues.throwIfAny(`Invalid ${C} props:`);
    }

    const role = new IamRole(this, 'Role', {
      name: roleName,
      description: `Deploys ${prefix} from GitHub Actions (${props.repository}) through OIDC; no access keys.`,
      assumeRolePolicy: trust,
      maxSessionDuration: maxSession,
      tags,
    });

    const roleArnLiteral = `arn:${p}:iam::${account}:role/${roleName}`;
    const policyArn = (name: string): string => `arn:${p}:iam::${account}:policy/${name}`;
    const providerArnLiteral = props.existingProviderArn ?? `arn:${p}:iam::${account}:oidc-provider/${GITHUB_OIDC_HOST}`;
    const ownPolicies = [
      policyNames.deploy,
      policyNames.iam,
      ...((props.release ?? true) ? [policyNames.release] : []),
      ...(props.alerts ? [policyNames.alerts] : []),
      ...(props.pipeline ? [policyNames.pipeline] : []),
      ...(props.stateBackend ? [policyNames.state] : []),
      ...(platform.network?.vpc ? [policyNames.network] : []),
    ].map(policyArn);
    const alarms = arn('cloudwatch', `alarm:${prefix}-*`);

    const store = platform.artifactStore;
    const registry = platform.imageRegistry;
    const identity = platform.identity;
    // Keys CI manages (created by the platform) and keys it only uses (imported).
    const managedKeys = unique([platform.encryptionKey, platform.serviceKey].filter((k) => !k.imported).map((k) => k.keyArn));
    const importedKeys = unique(
      [platform.encryptionKey, store.encryptionKey, registry.encryptionKey].filter((k): k is NonNullable<typeof k> => k?.imported === true).map((k) => k.keyArn),
    );
    const objectKeys = unique([platform.encryptionKey.keyArn, ...(store.encryptionKey ? [store.encryptionKey.keyArn] : [])]);
    const one = (list: readonly string[]): string | readonly string[] => (list.length === 1 ? list[0]! : list);
    const deploy: Statement[] = [
      { Sid: 'ArtifactBucket', Effect: 'Allow', Action: [...A.CI_AWS_BUCKET_READ, ...A.CI_AWS_BUCKET_WRITE], Resource: `arn:${p}:s3:::${prefix}-*` },
      // An imported bucket is only read (data.aws_s3_bucket); its settings are its owner's.
      ...(store.imported ? [{ Sid: 'ImportedArtifactBucket', Effect: 'Allow' as const, Action: [...A.CI_AWS_IMPORTED_BUCKET_READ_ACTIONS], Resource: store.bucketArn }] : []),
      // The training data Terraform uploads (aws_s3_object) and reads back on every refresh.
      { Sid: 'ArtifactObjects', Effect: 'Allow', Action: [...A.CI_AWS_OBJECT_ACTIONS], Resource: `${store.bucketArn}/*` },
      {
        Sid: 'PlatformKeyThroughS3',
        Effect: 'Allow',
        Action: [...A.CI_AWS_OBJECT_KEY_ACTIONS],
        Resource: one(objectKeys),
        Condition: { StringEquals: { 'kms:ViaService': `s3.${region}.${dnsSuffixOf(region)}` } },
      },
      { Sid: 'PlatformKey', Effect: 'Allow', Action: [...A.CI_AWS_KEY_ACTIONS], Resource: one(managedKeys) },
      ...(importedKeys.length > 0 ? [{ Sid: 'ImportedKeys', Effect: 'Allow' as const, Action: [...A.CI_AWS_IMPORTED_KEY_ACTIONS], Resource: one(importedKeys) }] : []),
      {
        Sid: 'PlatformKeyGrantsForServices',
        Effect: 'Allow',
        Action: [...A.CI_AWS_KEY_GRANT_ACTIONS],
        Resource: one(unique([...managedKeys, ...importedKeys])),
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
      { Sid: 'PlatformKeyAlias', Effect: 'Allow', Action: [...A.CI_AWS_ALIAS_ACTIONS], Resource: [arn('kms', `alias/${prefix}-*`), ...managedKeys] },
      { Sid: 'RuntimeRepository', Effect: 'Allow', Action: [...A.CI_AWS_REPOSITORY_ACTIONS], Resource: arn('ecr', `repository/${prefix}-*`) },
      ...(registry.imported
        ? [{ Sid: 'ImportedRuntimeRepository', Effect: 'Allow' as const, Action: [...A.CI_AWS_IMPORTED_REPOSITORY_ACTIONS], Resource: registry.repositoryArn }]
        : []),
      { Sid: 'Workspace', Effect: 'Allow', Action: [...A.CI_AWS_WORKSPACE_ACTIONS], Resource: arn('sagemaker', `model-package-group/${prefix}-*`) },
      // Only a platform that has a tracking server lets CI manage one (the default has none).
      ...(platform.workspace.trackingServerArn
        ? [{ Sid: 'TrackingServer', Effect: 'Allow' as const, Action: [...A.CI_AWS_MLFLOW_SERVER_ACTIONS], Resource: arn('sagemaker', `mlflow-tracking-server/${prefix}-*`) }]
        : []),
      {
        Sid: 'PlatformLogGroup',
        Effect: 'Allow',
        Action: [...A.CI_AWS_LOG_GROUP_ACTIONS],
        Resource: [arn('logs', `log-group:${prefix}-*`), arn('logs', `log-group:${prefix}-*:*`)],
      },
      { Sid: 'ListLogGroups', Effect: 'Allow', Action: [...A.CI_AWS_LOG_GROUP_LIST_ACTIONS], Resource: arn('logs', 'log-group:*') },
      { Sid: 'UnscopedReads', Effect: 'Allow', Action: [...A.CI_AWS_UNSCOPED_READ_ACTIONS], Resource: '*' },
    ];
    const iam: Statement[] = [
      identity.imported
        ? { Sid: 'WorkloadRole', Effect: 'Allow', Action: [...A.CI_AWS_IMPORTED_ROLE_ACTIONS], Resource: identity.roleArn }
        : { Sid: 'WorkloadRole', Effect: 'Allow', Action: [...A.CI_AWS_WORKLOAD_ROLE_ACTIONS], Resource: identity.roleArn },
      {
        Sid: 'PassWorkloadRoleToSageMaker',
        Effect: 'Allow',
        Action: [...A.CI_AWS_PASS_ROLE_ACTIONS],
        Resource: identity.roleArn,
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      },
      { Sid: 'ReadCiIdentity', Effect: 'Allow', Action: [...A.CI_AWS_SELF_READ_ACTIONS], Resource: [roleArnLiteral, ...ownPolicies, providerArnLiteral] },
      { Sid: 'ProtectCiIdentity', Effect: 'Deny', Action: [...A.CI_AWS_SELF_DENY_ACTIONS], Resource: [roleArnLiteral, ...ownPolicies, providerArnLiteral] },
    ];
    const documents: Record<string, Statement[]> = { 'ci-deploy': deploy, 'ci-iam': iam };

    if (props.release ?? true) {
      documents['ci-release'] = [
        { Sid: 'TrainingJobs', Effect: 'Allow', Action: [...A.CI_AWS_TRAINING_ACTIONS], Resource: arn('sagemaker', `training-job/${prefix}-*`) },
        { Sid: 'ModelVersions', Effect: 'Allow', Action: [...A.CI_AWS_MODEL_PACKAGE_ACTIONS], Resource: arn('sagemaker', `model-package/${prefix}-*`) },
        {
          Sid: 'Endpoints',
          Effect: 'Allow',
          Action: [...A.CI_AWS_ENDPOINT_ACTIONS],
          Resource: [arn('sagemaker', `model/${prefix}-*`), arn('sagemaker', `endpoint-config/${prefix}-*`), arn('sagemaker', `endpoint/${prefix}-*`)],
        },
        { Sid: 'EndpointAutoscaling', Effect: 'Allow', Action: [...A.CI_AWS_AUTOSCALING_ACTIONS], Resource: arn('application-autoscaling', 'scalable-target/*') },
        {
          Sid: 'AutoscalingServiceLinkedRole',
          Effect: 'Allow',
          Action: [...A.CI_AWS_SERVICE_LINKED_ROLE_ACTIONS],
          Resource: `arn:${p}:iam::${account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
          Condition: { StringEquals: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } },
        },
        { Sid: 'RollbackAlarms', Effect: 'Allow', Action: [...A.CI_AWS_ALARM_ACTIONS], Resource: alarms },
      ];
    }
    if (props.alerts) {
      documents['ci-alerts'] = [
        { Sid: 'AlertAlarms', Effect: 'Allow', Action: [...A.CI_AWS_ALARM_ACTIONS], Resource: alarms },
        { Sid: 'AlertTopics', Effect: 'Allow', Action: [...A.CI_AWS_TOPIC_ACTIONS], Resource: arn('sns', `${prefix}-*`) },
        { Sid: 'TrainingFailureRule', Effect: 'Allow', Action: [...A.CI_AWS_EVENT_RULE_ACTIONS], Resource: arn('events', `rule/${prefix}-*`) },
      ];
    }
    if (props.pipeline) {
      const role = (name: string): string => `arn:${p}:iam::${account}:role/${name}`;
      const roles = Object.values(AWS_PIPELINE_SERVICE_ROLES);
      // One statement per service: a role is passed only to the service its name says.
      const services = unique(roles.map((r) => r.service));
      documents['ci-pipeline'] = [
        { Sid: 'Pipelines', Effect: 'Allow', Action: [...A.CI_AWS_PIPELINE_ACTIONS], Resource: arn('sagemaker', `pipeline/${prefix}-*`) },
        { Sid: 'StateMachines', Effect: 'Allow', Action: [...A.CI_AWS_STATE_MACHINE_ACTIONS], Resource: arn('states', `stateMachine:${prefix}-*`) },
        { Sid: 'ValidateStateMachines', Effect: 'Allow', Action: [...A.CI_AWS_STATE_MACHINE_VALIDATE_ACTIONS], Resource: arn('states', 'stateMachine:*') },
        { Sid: 'Schedules', Effect: 'Allow', Action: [...A.CI_AWS_SCHEDULE_ACTIONS], Resource: arn('scheduler', `schedule/default/${prefix}-*`) },
        { Sid: 'DeployTriggerRule', Effect: 'Allow', Action: [...A.CI_AWS_EVENT_RULE_ACTIONS], Resource: arn('events', `rule/${prefix}-*`) },
        { Sid: 'PipelineRoles', Effect: 'Allow', Action: [...A.CI_AWS_PIPELINE_ROLE_ACTIONS], Resource: roles.map((r) => role(`${prefix}-*${r.suffix}`)) },
        ...services.map((service) => ({
          Sid: `PassPipelineRolesTo${service.split('.')[0]!.replace(/^./, (c) => c.toUpperCase())}`,
          Effect: 'Allow' as const,
          Action: [...A.CI_AWS_PASS_ROLE_ACTIONS],
          Resource: roles.filter((r) => r.service === service).map((r) => role(`${prefix}-*${r.suffix}`)),
          Condition: { StringEquals: { 'iam:PassedToService': service } },
        })),
      ];
    }
    if (platform.network?.vpc) {
      const ec2 = (type: string): string => arn('ec2', `${type}/*`);
      documents['ci-network'] = [
        {
          Sid: 'PrivateNetwork',
          Effect: 'Allow',
          Action: [...A.CI_AWS_NETWORK_ACTIONS],
          Resource: ['vpc', 'subnet', 'route-table', 'security-group', 'security-group-rule', 'vpc-endpoint', 'prefix-list', 'network-interface'].map(ec2),
        },
        { Sid: 'PrivateNetworkReads', Effect: 'Allow', Action: [...A.CI_AWS_NETWORK_READ_ACTIONS], Resource: '*' },
      ];
    }
    if (props.stateBackend) {
      const b = props.stateBackend;
      const bp = partitionOf(b.region);
      documents['ci-state'] = [
        // Listing is unconditioned: `terraform init` lists the workspace prefix (env:/) too.
        { Sid: 'StateBucketList', Effect: 'Allow', Action: [...A.CI_AWS_STATE_BUCKET_ACTIONS], Resource: `arn:${bp}:s3:::${b.bucket}` },
        {
          Sid: 'StateObject',
          Effect: 'Allow',
          Action: [...A.CI_AWS_STATE_OBJECT_ACTIONS],
          Resource: [`arn:${bp}:s3:::${b.bucket}/${b.key}`, `arn:${bp}:s3:::${b.bucket}/${b.key}.tflock`],
        },
        ...(b.dynamodbTable
          ? [
              {
                Sid: 'StateLockTable',
                Effect: 'Allow' as const,
                Action: [...A.CI_AWS_STATE_LOCK_ACTIONS],
                Resource: `arn:${bp}:dynamodb:${b.region}:${account}:table/${b.dynamodbTable}`,
              },
            ]
          : []),
      ];
    }

    const rendered: Record<string, string> = {};
    for (const [suffix, statements] of Object.entries(documents)) {
      const doc = JSON.stringify({ Version: '2012-10-17', Statement: statements });
      const length = estimatedLength(doc);
      if (length > A.AWS_MANAGED_POLICY_MAX_CHARS) {
        issues.add(
          ErrorCode.NAME_TOO_LONG,
          'naming',
          `${C}: the ${suffix} policy is about ${length} characters with the name prefix ${show(prefix)}; IAM allows ${A.AWS_MANAGED_POLICY_MAX_CHARS}. ` +
            'Fix: shorten naming.company, naming.project or naming.environment.',
        );
      }
      rendered[suffix] = doc;
    }
    issues.throwIfAny(`Invalid ${C} props:`);
    for (const [suffix, doc] of Object.entries(rendered)) {
      const key = suffix.replace('ci-', '') as keyof typeof policyNames;
      const policy = new IamPolicy(this, `Policy-${suffix}`, {
        name: policyNames[key],
        description: `${suffix} permissions of the GitHub Actions deploy role of ${prefix}.`,
        policy: doc,
        tags,
      });
      new IamRolePolicyAttachment(this, `Attach-${suffix}`, { role: role.name, policyArn: policy.arn });
    }

    if (props.pullRequests) {
      Annotations.of(this).addWarning(
        'ci.github.pullRequests is true: every pull request from a branch of the repository can assume the deploy role. ' +
          'Keep it only if pushing branches is restricted to people allowed to deploy.',
      );
    }
    if ((props.environments ?? []).length === 0) {
      Annotations.of(this).addWarning(
        'ci.github.environments is empty: jobs that run in a GitHub environment (the shipped deploy.yml does) present the environment, not the branch, ' +
          'as their subject and cannot assume the role. Add the environment name to ci.github.environments.',
      );
    }

    // CI runs Terraform: it writes the training data and is never caught by the bucket's network guard.
    platform.grantDeploy(role.arn);

    this.roleName = roleName;
    this.roleArn = role.arn;
    this.providerArn = providerArn;
    this.policyDocuments = rendered;
    this.outputs = loginOutputs('aws', { aws_role_to_assume: role.arn, aws_region: region, aws_role_duration_seconds: String(maxSession) });
  }
}

function tryName(issues: IssueCollector, naming: Naming, kind: 'iamRole' | 'iamPolicy', resource: string): string {
  const result = naming.tryName(kind, resource);
  if (typeof result === 'string') return result;
  issues.add(result.code, result.path, result.message);
  return `invalid-${resource}`;
}

/** Length of a policy without whitespace, with each unresolved token counted as a 90-character ARN. */
function estimatedLength(json: string): number {
  return json.replace(/\$\{TfToken\[[^\]]+\]\}/g, 'x'.repeat(90)).replace(/\s/g, '').length;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
