/**
 * Every IAM action the AWS CI deploy role is granted, grouped by what it is
 * for. Each group is granted on the platform's resources only (ARNs built from
 * the `<company>-<project>-<env>-` name prefix, or the exact key and role),
 * except {@link CI_AWS_UNSCOPED_READ_ACTIONS}, which IAM cannot scope.
 */

/** Terraform's refresh of the artifact bucket and its settings (bucket ARN). */
export const CI_AWS_BUCKET_READ = [
  's3:ListBucket',
  's3:GetBucketLocation',
  's3:GetBucketPolicy',
  's3:GetBucketAcl',
  's3:GetBucketCORS',
  's3:GetBucketWebsite',
  's3:GetBucketVersioning',
  's3:GetAccelerateConfiguration',
  's3:GetBucketRequestPayment',
  's3:GetBucketLogging',
  's3:GetLifecycleConfiguration',
  's3:GetReplicationConfiguration',
  's3:GetEncryptionConfiguration',
  's3:GetBucketObjectLockConfiguration',
  's3:GetBucketTagging',
  's3:GetBucketOwnershipControls',
  's3:GetBucketPublicAccessBlock',
] as const;

/** Creating the bucket and changing its settings (no object access, no bucket deletion). */
export const CI_AWS_BUCKET_WRITE = [
  's3:CreateBucket',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutBucketVersioning',
  's3:PutBucketTagging',
  's3:PutEncryptionConfiguration',
  's3:PutLifecycleConfiguration',
  's3:PutBucketOwnershipControls',
  's3:PutBucketPublicAccessBlock',
] as const;

/**
 * The artifact objects Terraform writes and refreshes (`aws_s3_object`: the
 * training data): PutObject (with the provider's default tags), HeadObject
 * and the tag read on every refresh, delete on replacement (resource:
 * `<bucket arn>/*`). CI never deletes the bucket or object versions.
 */
export const CI_AWS_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectTagging',
  's3:PutObject',
  's3:PutObjectTagging',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
] as const;

/**
 * The platform key as S3 uses it for the objects CI writes and reads
 * (SSE-KMS with the bucket key): only through S3 (`kms:ViaService`).
 */
export const CI_AWS_OBJECT_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/**
 * The platform key (exact key ARN): read and update its policy, rotation and
 * tags; `kms:CreateGrant` only for AWS services (ECR, SageMaker, CloudWatch
 * Logs) that encrypt with it on CI's behalf. Never scheduling deletion.
 */
export const CI_AWS_KEY_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:EnableKeyRotation',
  'kms:UpdateKeyDescription',
  'kms:TagResource',
  'kms:UntagResource',
] as const;

/** Grants on the key for AWS services only (condition `kms:GrantIsForAWSResource`). */
export const CI_AWS_KEY_GRANT_ACTIONS = ['kms:CreateGrant'] as const;

/** The key's alias (alias ARN and key ARN). */
export const CI_AWS_ALIAS_ACTIONS = ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'] as const;

/** The runtime image repository: settings, and pushing the image built during deploy. */
export const CI_AWS_REPOSITORY_ACTIONS = [
  'ecr:CreateRepository',
  'ecr:DescribeRepositories',
  'ecr:ListTagsForResource',
  'ecr:TagResource',
  'ecr:UntagResource',
  'ecr:GetLifecyclePolicy',
  'ecr:PutLifecyclePolicy',
  'ecr:PutImageScanningConfiguration',
  'ecr:PutImageTagMutability',
  'ecr:GetRepositoryPolicy',
  'ecr:DescribeImages',
  'ecr:BatchGetImage',
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
] as const;

/** The model package group. */
export const CI_AWS_WORKSPACE_ACTIONS = [
  'sagemaker:CreateModelPackageGroup',
  'sagemaker:DescribeModelPackageGroup',
  'sagemaker:AddTags',
  'sagemaker:DeleteTags',
  'sagemaker:ListTags',
] as const;

/** The MLflow tracking server, only for a platform with `trackingServer: true`. */
export const CI_AWS_MLFLOW_SERVER_ACTIONS = [
  'sagemaker:CreateMlflowTrackingServer',
  'sagemaker:DescribeMlflowTrackingServer',
  'sagemaker:UpdateMlflowTrackingServer',
  'sagemaker:AddTags',
  'sagemaker:DeleteTags',
  'sagemaker:ListTags',
] as const;

/** The platform log group (log group ARNs). */
export const CI_AWS_LOG_GROUP_ACTIONS = [
  'logs:CreateLogGroup',
  'logs:PutRetentionPolicy',
  'logs:AssociateKmsKey',
  'logs:TagResource',
  'logs:UntagResource',
  'logs:ListTagsForResource',
  'logs:TagLogGroup',
  'logs:ListTagsLogGroup',
] as const;

/** Listing log groups: resource-scoped to the account and region's log groups only. */
export const CI_AWS_LOG_GROUP_LIST_ACTIONS = ['logs:DescribeLogGroups'] as const;

/** The workload role: refresh and tags (exact role ARN); never its policies or trust. */
export const CI_AWS_WORKLOAD_ROLE_ACTIONS = ['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:TagRole', 'iam:UntagRole'] as const;

/** Handing the workload role to SageMaker (jobs, endpoints, MLflow), condition `iam:PassedToService`. */
export const CI_AWS_PASS_ROLE_ACTIONS = ['iam:PassRole'] as const;

/** Refreshing the CI role, its policies and the OIDC provider (read only). */
export const CI_AWS_SELF_READ_ACTIONS = [
  'iam:GetRole',
  'iam:ListRolePolicies',
  'iam:ListAttachedRolePolicies',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:ListPolicyVersions',
  'iam:GetOpenIDConnectProvider',
] as const;

/** Changes to the CI role, its policies and the OIDC provider: explicitly denied (CI cannot widen its own rights). */
export const CI_AWS_SELF_DENY_ACTIONS = [
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateRole',
  'iam:UpdateRoleDescription',
  'iam:DeleteRole',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:CreatePolicyVersion',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:DeletePolicy',
  'iam:AddClientIDToOpenIDConnectProvider',
  'iam:RemoveClientIDFromOpenIDConnectProvider',
  'iam:UpdateOpenIDConnectProviderThumbprint',
  'iam:DeleteOpenIDConnectProvider',
  'iam:TagOpenIDConnectProvider',
  'iam:UntagOpenIDConnectProvider',
] as const;

/** The release step's training jobs (`training-job/<prefix>-*`). */
export const CI_AWS_TRAINING_ACTIONS = [
  'sagemaker:CreateTrainingJob',
  'sagemaker:DescribeTrainingJob',
  'sagemaker:StopTrainingJob',
  'sagemaker:AddTags',
  'sagemaker:ListTags',
] as const;

/** Registering and approving model versions (`model-package/<prefix>-*`). */
export const CI_AWS_MODEL_PACKAGE_ACTIONS = [
  'sagemaker:CreateModelPackage',
  'sagemaker:DescribeModelPackage',
  'sagemaker:UpdateModelPackage',
  'sagemaker:AddTags',
  'sagemaker:ListTags',
] as const;

/** Endpoint rollout: models, endpoint configs and endpoints (`model/`, `endpoint-config/`, `endpoint/<prefix>-*`). */
export const CI_AWS_ENDPOINT_ACTIONS = [
  'sagemaker:CreateModel',
  'sagemaker:DescribeModel',
  'sagemaker:DeleteModel',
  'sagemaker:CreateEndpointConfig',
  'sagemaker:DescribeEndpointConfig',
  'sagemaker:DeleteEndpointConfig',
  'sagemaker:CreateEndpoint',
  'sagemaker:DescribeEndpoint',
  'sagemaker:UpdateEndpoint',
  'sagemaker:DeleteEndpoint',
  'sagemaker:UpdateEndpointWeightsAndCapacities',
  'sagemaker:InvokeEndpoint',
  'sagemaker:AddTags',
  'sagemaker:ListTags',
] as const;

/** Endpoint autoscaling between min and max instances (scalable targets of this account and region). */
export const CI_AWS_AUTOSCALING_ACTIONS = [
  'application-autoscaling:RegisterScalableTarget',
  'application-autoscaling:DeregisterScalableTarget',
  'application-autoscaling:PutScalingPolicy',
  'application-autoscaling:DeleteScalingPolicy',
  'application-autoscaling:TagResource',
] as const;

/** The service-linked role Application Auto Scaling uses for SageMaker endpoints (created once per account). */
export const CI_AWS_SERVICE_LINKED_ROLE_ACTIONS = ['iam:CreateServiceLinkedRole'] as const;

/** Rollback and alert alarms (`alarm:<prefix>-*`). */
export const CI_AWS_ALARM_ACTIONS = [
  'cloudwatch:PutMetricAlarm',
  'cloudwatch:DeleteAlarms',
  'cloudwatch:DescribeAlarms',
  'cloudwatch:TagResource',
  'cloudwatch:UntagResource',
  'cloudwatch:ListTagsForResource',
] as const;

/** The training-failure EventBridge rule and its target (`rule/<prefix>-*`): create, refresh (describe, targets, tags), update, delete. */
export const CI_AWS_EVENT_RULE_ACTIONS = [
  'events:PutRule',
  'events:DescribeRule',
  'events:DeleteRule',
  'events:EnableRule',
  'events:DisableRule',
  'events:PutTargets',
  'events:RemoveTargets',
  'events:ListTargetsByRule',
  'events:TagResource',
  'events:UntagResource',
  'events:ListTagsForResource',
] as const;

/**
 * The private network (`network.mode: private`): the VPC, its subnets, route
 * table, security group and rules, and the VPC endpoints (resources of the
 * platform's account and region only).
 */
export const CI_AWS_NETWORK_ACTIONS = [
  'ec2:CreateVpc',
  'ec2:ModifyVpcAttribute',
  'ec2:CreateSubnet',
  'ec2:ModifySubnetAttribute',
  'ec2:CreateRouteTable',
  'ec2:AssociateRouteTable',
  'ec2:DisassociateRouteTable',
  'ec2:CreateSecurityGroup',
  'ec2:DeleteSecurityGroup',
  'ec2:RevokeSecurityGroupEgress',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupIngress',
  'ec2:ModifySecurityGroupRules',
  'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
  'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
  'ec2:CreateVpcEndpoint',
  'ec2:ModifyVpcEndpoint',
  'ec2:DeleteVpcEndpoints',
  'ec2:CreateTags',
  'ec2:DeleteTags',
] as const;

/**
 * Longest CI session, in seconds, when the stack runs the release step: the
 * six hours a GitHub-hosted job may run (training with spot capacity waits
 * up to twice its run time, then the blue/green rollout bakes each traffic
 * shift). The deploy workflow must ask for it (`role-duration-seconds`).
 */
export const CI_AWS_RELEASE_SESSION_SECONDS = 21600;
/** Longest CI session, in seconds, when the stack has no release step (IAM's default). */
export const CI_AWS_DEFAULT_SESSION_SECONDS = 3600;

// The CI reads IAM cannot scope live with the AWS facts (the policy pack checks them too).
export { CI_AWS_NETWORK_READ_ACTIONS, CI_AWS_UNSCOPED_READ_ACTIONS } from '../aws/perms';

/** Alert topics and their subscriptions (`<prefix>-*` topics). */
export const CI_AWS_TOPIC_ACTIONS = [
  'sns:CreateTopic',
  'sns:DeleteTopic',
  'sns:GetTopicAttributes',
  'sns:SetTopicAttributes',
  'sns:Subscribe',
  'sns:Unsubscribe',
  'sns:GetSubscriptionAttributes',
  'sns:SetSubscriptionAttributes',
  'sns:ListSubscriptionsByTopic',
  'sns:TagResource',
  'sns:UntagResource',
  'sns:ListTagsForResource',
] as const;

/** The S3 state backend: list the state bucket (object names only; `terraform init` lists workspaces). */
export const CI_AWS_STATE_BUCKET_ACTIONS = ['s3:ListBucket'] as const;
/** State object and `.tflock` lock file. */
export const CI_AWS_STATE_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] as const;
/** DynamoDB state locking (when the backend names a table). */
export const CI_AWS_STATE_LOCK_ACTIONS = ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] as const;

/** Managed policies hold at most this many characters (without whitespace). */
export const AWS_MANAGED_POLICY_MAX_CHARS = 6144;
/** Managed policies attached to one role, by default (a quota raisable to 20). */
export const AWS_ROLE_MANAGED_POLICIES_MAX = 10;
/** Role trust policies hold at most this many characters by default (a quota raisable to 4096). */
export const AWS_TRUST_POLICY_MAX_CHARS = 2048;

/**
 * An imported artifact bucket (`AwsArtifactStore.fromExisting`): Terraform
 * only reads it (`data.aws_s3_bucket`: HeadBucket, which IAM authorizes as
 * `s3:ListBucket`, and its region). CI never changes its settings.
 */
export const CI_AWS_IMPORTED_BUCKET_READ_ACTIONS = ['s3:ListBucket', 's3:GetBucketLocation'] as const;

/**
 * An imported KMS key (`AwsEncryptionKey.fromKeyArn`): CI only describes it
 * (ECR and SageMaker check the key when a repository or endpoint config
 * names it); its key policy, rotation and aliases are its owner's.
 */
export const CI_AWS_IMPORTED_KEY_ACTIONS = ['kms:DescribeKey'] as const;

/**
 * An imported image repository (`AwsImageRegistry.fromExisting`): pushing the
 * runtime image built during deploy and reading it back; never its settings
 * or policy.
 */
export const CI_AWS_IMPORTED_REPOSITORY_ACTIONS = [
  'ecr:DescribeRepositories',
  'ecr:DescribeImages',
  'ecr:BatchGetImage',
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
] as const;

/**
 * An imported workload role (`AwsWorkloadIdentity.fromRoleArn`): CI only
 * reads the inline grant policy the platform adds to it (refresh); the role,
 * its trust and its tags are its owner's, and the grant policy is deployed
 * by a person, as for a role the platform creates.
 */
export const CI_AWS_IMPORTED_ROLE_ACTIONS = ['iam:GetRolePolicy'] as const;

/**
 * The pipelines of continuous training (`pipeline/<prefix>-*`: the training
 * pipeline and its batch pipeline): create, refresh (describe, tags), update
 * the definition, delete on rename. Starting a run is the schedule's or a
 * person's, never CI's.
 */
export const CI_AWS_PIPELINE_ACTIONS = [
  'sagemaker:CreatePipeline',
  'sagemaker:DescribePipeline',
  'sagemaker:UpdatePipeline',
  'sagemaker:DeletePipeline',
  'sagemaker:AddTags',
  'sagemaker:DeleteTags',
  'sagemaker:ListTags',
] as const;

/**
 * The start gate and deploy state machines (`stateMachine:<prefix>-*`):
 * create, refresh (describe, versions, tags), update, delete. CI never starts
 * an execution.
 */
export const CI_AWS_STATE_MACHINE_ACTIONS = [
  'states:CreateStateMachine',
  'states:DescribeStateMachine',
  'states:UpdateStateMachine',
  'states:DeleteStateMachine',
  'states:ListStateMachineVersions',
  'states:TagResource',
  'states:UntagResource',
  'states:ListTagsForResource',
] as const;

/**
 * The provider validates a changed state machine definition at plan
 * (terraform-provider-aws ≥ 5.67); IAM authorizes it on `stateMachine:*`,
 * not on the machine's name (hashicorp/terraform-provider-aws#39472).
 * Read only: it validates a document and touches no resource.
 */
export const CI_AWS_STATE_MACHINE_VALIDATE_ACTIONS = ['states:ValidateStateMachineDefinition'] as const;

/** The pipeline's EventBridge Scheduler schedules (`schedule/default/<prefix>-*`; schedules carry no tags). */
export const CI_AWS_SCHEDULE_ACTIONS = ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'] as const;

/**
 * The pipeline's service roles (`AWS_PIPELINE_SERVICE_ROLES`, names under the
 * prefix): refresh them and their inline policy, and their tags, as for the
 * workload role. Creating, changing or deleting a role or its policy is a
 * person's deploy: CI could otherwise write itself any right through a role
 * it may pass.
 */
export const CI_AWS_PIPELINE_ROLE_ACTIONS = ['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:TagRole', 'iam:UntagRole'] as const;

/**
 * What the AWS CI deployer may do with a resource (or data source) type of the stack:
 * - `manage`: create, update and delete it;
 * - `keep`: create it and change it in place, never delete it (stateful stores, the key's alias);
 * - `update`: refresh it and change it in place; creating or deleting it is a person's deploy;
 * - `read`: refresh it (and tag it) only; any other change is a person's deploy (IAM roles and
 *   policies: CI cannot widen its own or any role's rights);
 * - `local`: not an AWS API resource (an image built where Terraform runs, a trigger value,
 *   the caller's identity).
 */
export type AwsCiAccess = 'manage' | 'keep' | 'update' | 'read' | 'local';

/** A type's {@link AwsCiAccess} and the IAM actions Terraform calls for it, each granted to CI where the type's resources are. */
export interface AwsCiTypeAccess {
  readonly access: AwsCiAccess;
  readonly actions: readonly string[];
}

const bucketSetting = (...actions: string[]): AwsCiTypeAccess => ({ access: 'keep', actions: ['s3:ListBucket', ...actions] });
const ciSelf: AwsCiTypeAccess = { access: 'read', actions: [...CI_AWS_SELF_READ_ACTIONS] };

/**
 * The CI deployer's access to every resource and data source type the AWS
 * stacks synthesize, and the IAM actions it rests on: the one home of "what
 * may CI do with this type". `test/aws-ci-rights.test.ts` checks the shipped
 * AWS stacks (and their pipeline and private variants) against it both ways:
 * every type they synthesize is listed, with actions the CI role's policies
 * allow; every action those policies allow is one a listed type of that stack
 * (or the release step) needs. A new resource type without an entry fails
 * that test.
 */
export const AWS_CI_TYPE_ACCESS: Readonly<Record<string, AwsCiTypeAccess>> = {
  // The artifact bucket and its settings: never deleted by CI.
  aws_s3_bucket: { access: 'keep', actions: [...CI_AWS_BUCKET_READ, 's3:CreateBucket', 's3:PutBucketTagging'] },
  aws_s3_bucket_policy: bucketSetting('s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'),
  aws_s3_bucket_versioning: bucketSetting('s3:GetBucketVersioning', 's3:PutBucketVersioning'),
  aws_s3_bucket_server_side_encryption_configuration: bucketSetting('s3:GetEncryptionConfiguration', 's3:PutEncryptionConfiguration'),
  aws_s3_bucket_lifecycle_configuration: bucketSetting('s3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration'),
  aws_s3_bucket_ownership_controls: bucketSetting('s3:GetBucketOwnershipControls', 's3:PutBucketOwnershipControls'),
  aws_s3_bucket_public_access_block: bucketSetting('s3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'),
  /** The training data and the pipeline's inputs and registry marker, encrypted with the platform key through S3. */
  aws_s3_object: { access: 'manage', actions: [...CI_AWS_OBJECT_ACTIONS, ...CI_AWS_OBJECT_KEY_ACTIONS] },
  // The platform key: created by a person (kms:CreateKey has no resource scope), then kept by CI; never scheduled for deletion.
  aws_kms_key: { access: 'update', actions: [...CI_AWS_KEY_ACTIONS, ...CI_AWS_KEY_GRANT_ACTIONS] },
  aws_kms_alias: { access: 'keep', actions: [...CI_AWS_ALIAS_ACTIONS, 'kms:ListAliases'] },
  // The runtime repository: never deleted by CI; the image pushed during deploy.
  aws_ecr_repository: { access: 'keep', actions: CI_AWS_REPOSITORY_ACTIONS.filter((a) => !/Layer|PutImage$|BatchGetImage|DescribeImages/.test(a)) },
  aws_ecr_lifecycle_policy: { access: 'keep', actions: ['ecr:GetLifecyclePolicy', 'ecr:PutLifecyclePolicy'] },
  docker_registry_image: {
    access: 'keep',
    actions: ['ecr:GetAuthorizationToken', ...CI_AWS_REPOSITORY_ACTIONS.filter((a) => /Layer|PutImage$|BatchGetImage|DescribeImages/.test(a))],
  },
  docker_image: { access: 'local', actions: [] },
  terraform_data: { access: 'local', actions: [] },
  // The workspace: the model package group (never deleted: it holds the model versions) and its log group.
  aws_sagemaker_model_package_group: { access: 'keep', actions: [...CI_AWS_WORKSPACE_ACTIONS] },
  aws_sagemaker_mlflow_tracking_server: { access: 'keep', actions: [...CI_AWS_MLFLOW_SERVER_ACTIONS] },
  aws_cloudwatch_log_group: { access: 'keep', actions: [...CI_AWS_LOG_GROUP_ACTIONS, ...CI_AWS_LOG_GROUP_LIST_ACTIONS] },
  // Identities: read (and tagged); who may do what is a person's deploy.
  aws_iam_role: { access: 'read', actions: [...CI_AWS_WORKLOAD_ROLE_ACTIONS, ...CI_AWS_SELF_READ_ACTIONS.filter((a) => a === 'iam:GetRole')] },
  aws_iam_role_policy: { access: 'read', actions: ['iam:GetRolePolicy'] },
  aws_iam_policy: ciSelf,
  aws_iam_role_policy_attachment: { access: 'read', actions: ['iam:ListAttachedRolePolicies'] },
  aws_iam_openid_connect_provider: { access: 'read', actions: ['iam:GetOpenIDConnectProvider'] },
  // The endpoint (release step and Terraform).
  aws_sagemaker_model: { access: 'manage', actions: ['sagemaker:CreateModel', 'sagemaker:DescribeModel', 'sagemaker:DeleteModel', 'sagemaker:AddTags', 'sagemaker:ListTags'] },
  aws_sagemaker_endpoint_configuration: {
    access: 'manage',
    actions: ['sagemaker:CreateEndpointConfig', 'sagemaker:DescribeEndpointConfig', 'sagemaker:DeleteEndpointConfig', 'sagemaker:AddTags', 'sagemaker:ListTags'],
  },
  aws_sagemaker_endpoint: {
    access: 'manage',
    actions: ['sagemaker:CreateEndpoint', 'sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:DeleteEndpoint', 'sagemaker:AddTags', 'sagemaker:ListTags'],
  },
  aws_appautoscaling_target: {
    access: 'manage',
    actions: [
      'application-autoscaling:RegisterScalableTarget',
      'application-autoscaling:DeregisterScalableTarget',
      'application-autoscaling:DescribeScalableTargets',
      'application-autoscaling:TagResource',
      ...CI_AWS_SERVICE_LINKED_ROLE_ACTIONS,
    ],
  },
  aws_appautoscaling_policy: {
    access: 'manage',
    actions: ['application-autoscaling:PutScalingPolicy', 'application-autoscaling:DeleteScalingPolicy', 'application-autoscaling:DescribeScalingPolicies'],
  },
  aws_cloudwatch_metric_alarm: { access: 'manage', actions: [...CI_AWS_ALARM_ACTIONS] },
  // Alerts.
  aws_sns_topic: { access: 'manage', actions: CI_AWS_TOPIC_ACTIONS.filter((a) => !/ubscri/.test(a)) },
  aws_sns_topic_policy: { access: 'manage', actions: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes'] },
  aws_sns_topic_subscription: { access: 'manage', actions: CI_AWS_TOPIC_ACTIONS.filter((a) => /ubscri/.test(a)) },
  /** The alert rules (training and pipeline failures) and the pipeline's approval rule. */
  aws_cloudwatch_event_rule: { access: 'manage', actions: CI_AWS_EVENT_RULE_ACTIONS.filter((a) => !/Targets/.test(a)) },
  /** A rule's target; one with a role (the approval rule's) passes it to EventBridge. */
  aws_cloudwatch_event_target: { access: 'manage', actions: [...CI_AWS_EVENT_RULE_ACTIONS.filter((a) => /Targets/.test(a)), 'iam:PassRole'] },
  // Continuous training.
  aws_sagemaker_pipeline: { access: 'manage', actions: [...CI_AWS_PIPELINE_ACTIONS, 'iam:PassRole'] },
  aws_sfn_state_machine: { access: 'manage', actions: [...CI_AWS_STATE_MACHINE_ACTIONS, ...CI_AWS_STATE_MACHINE_VALIDATE_ACTIONS, 'iam:PassRole'] },
  aws_scheduler_schedule: { access: 'manage', actions: [...CI_AWS_SCHEDULE_ACTIONS, 'iam:PassRole'] },
  // Private network mode.
  aws_vpc: {
    access: 'manage',
    actions: [
      'ec2:CreateVpc',
      'ec2:ModifyVpcAttribute',
      'ec2:DescribeVpcs',
      'ec2:DescribeVpcAttribute',
      'ec2:DescribeNetworkAcls',
      'ec2:CreateTags',
      'ec2:DeleteTags',
      'ec2:DescribeTags',
    ],
  },
  aws_subnet: { access: 'manage', actions: ['ec2:CreateSubnet', 'ec2:ModifySubnetAttribute', 'ec2:DescribeSubnets', 'ec2:DescribeNetworkInterfaces'] },
  aws_route_table: { access: 'manage', actions: ['ec2:CreateRouteTable', 'ec2:DescribeRouteTables'] },
  aws_route_table_association: { access: 'manage', actions: ['ec2:AssociateRouteTable', 'ec2:DisassociateRouteTable', 'ec2:DescribeRouteTables'] },
  aws_security_group: {
    access: 'manage',
    actions: ['ec2:CreateSecurityGroup', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupEgress', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  },
  aws_vpc_security_group_ingress_rule: {
    access: 'manage',
    actions: [
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:ModifySecurityGroupRules',
      'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
      'ec2:DescribeSecurityGroupRules',
    ],
  },
  aws_vpc_security_group_egress_rule: {
    access: 'manage',
    actions: [
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:ModifySecurityGroupRules',
      'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
      'ec2:DescribeSecurityGroupRules',
    ],
  },
  aws_vpc_endpoint: {
    access: 'manage',
    actions: ['ec2:CreateVpcEndpoint', 'ec2:ModifyVpcEndpoint', 'ec2:DeleteVpcEndpoints', 'ec2:DescribeVpcEndpoints', 'ec2:DescribeVpcEndpointServices', 'ec2:DescribePrefixLists'],
  },
  // Data sources (read).
  'data.aws_caller_identity': { access: 'local', actions: [] },
  'data.aws_ecr_authorization_token': { access: 'read', actions: ['ecr:GetAuthorizationToken'] },
  'data.aws_availability_zones': { access: 'read', actions: ['ec2:DescribeAvailabilityZones'] },
  // The zones of the MLflow API's endpoint service (a private platform with a tracking server).
  'data.aws_vpc_endpoint_service': { access: 'read', actions: ['ec2:DescribeVpcEndpointServices'] },
};

/**
 * What the release step (`terraform_data`'s `mlops release`, in the CI session) calls besides
 * Terraform's own refreshes: training jobs, model versions, the blue/green rollout with its smoke
 * request, and the metric and list reads of the gate and rollout.
 */
export const CI_AWS_RELEASE_STEP_ACTIONS: readonly string[] = [
  ...CI_AWS_TRAINING_ACTIONS,
  ...CI_AWS_MODEL_PACKAGE_ACTIONS,
  ...CI_AWS_ENDPOINT_ACTIONS,
  ...CI_AWS_AUTOSCALING_ACTIONS,
  'sagemaker:ListModelPackages',
  'sagemaker:ListTrainingJobs',
  'application-autoscaling:DescribeScalingActivities',
  'cloudwatch:GetMetricData',
  'cloudwatch:GetMetricStatistics',
];
