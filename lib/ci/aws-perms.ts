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
