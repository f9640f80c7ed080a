/**
 * Every IAM action the AWS platform grants or denies, in one place. Grants
 * pick from these lists; no construct inlines an action.
 */

/** Object reads in the artifact bucket (resource: `<bucket arn>/*`). */
export const S3_OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'] as const;
/** Bucket-level reads (resource: the bucket ARN). */
export const S3_BUCKET_READ_ACTIONS = ['s3:ListBucket', 's3:GetBucketLocation'] as const;
/** Object writes in the artifact bucket (resource: `<bucket arn>/*`). */
export const S3_OBJECT_WRITE_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] as const;
/** Multipart listing needed by large uploads (resource: the bucket ARN). */
export const S3_BUCKET_WRITE_ACTIONS = ['s3:ListBucketMultipartUploads'] as const;
/** All S3 actions: used only in Deny statements of the bucket policy (TLS enforcement). */
export const S3_ALL_ACTIONS = 's3:*';
/**
 * Object-level actions the bucket's network guard denies outside the allowed
 * networks. Bucket-level reads (`s3:ListBucket`, used by HeadBucket) stay
 * open so Terraform can still refresh the bucket from anywhere.
 */
export const S3_NETWORK_GUARDED_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'] as const;

/** Decrypt with a KMS key (resource: the key ARN). */
export const KMS_DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'] as const;
/** Encrypt with a KMS key, in addition to decrypt (resource: the key ARN). */
export const KMS_ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] as const;
/** Key administration by the account root: the AWS default key policy statement. */
export const KMS_ROOT_ACTIONS = 'kms:*';
/** What the CloudWatch Logs service principal may do with the key (AWS-documented set). */
export const KMS_LOGS_SERVICE_ACTIONS = ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'] as const;

/** Pull images (resource: the repository ARN). */
export const ECR_PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'] as const;
/** Push images, in addition to pull (resource: the repository ARN). */
export const ECR_PUSH_ACTIONS = ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'] as const;
/** Registry login (no resource-level permissions: resource `*`). */
export const ECR_AUTH_ACTIONS = ['ecr:GetAuthorizationToken'] as const;

/** Read the model package group (resource: the group ARN). */
export const SAGEMAKER_MODEL_GROUP_READ_ACTIONS = ['sagemaker:DescribeModelPackageGroup'] as const;
/** Read model versions (resource: `model-package/<group>/*`). */
export const SAGEMAKER_MODEL_PACKAGE_READ_ACTIONS = ['sagemaker:DescribeModelPackage', 'sagemaker:ListTags'] as const;
/** List model versions (no resource-level permissions: resource `*`). */
export const SAGEMAKER_MODEL_LIST_ACTIONS = ['sagemaker:ListModelPackages'] as const;
/** Register and update model versions (resource: `model-package/<group>/*`). */
export const SAGEMAKER_MODEL_PACKAGE_WRITE_ACTIONS = ['sagemaker:CreateModelPackage', 'sagemaker:UpdateModelPackage', 'sagemaker:AddTags'] as const;

/** Write to the platform log group (resources: the group and its streams). */
export const LOGS_WRITE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'] as const;
/** What SageMaker needs of the execution role to deliver container logs into its own log groups. */
export const SAGEMAKER_LOGS_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'] as const;
/** The log groups SageMaker writes training-job and endpoint container logs to. */
export const SAGEMAKER_LOG_GROUP_PREFIX = '/aws/sagemaker/';
/** Publish custom metrics (no resource-level permissions; scoped by a `cloudwatch:namespace` condition). */
export const CLOUDWATCH_METRIC_ACTIONS = ['cloudwatch:PutMetricData'] as const;
/** The condition key that scopes {@link CLOUDWATCH_METRIC_ACTIONS}. */
export const CLOUDWATCH_NAMESPACE_CONDITION_KEY = 'cloudwatch:namespace';

/**
 * The MLflow REST calls a pipeline step makes on the platform's SageMaker
 * MLflow tracking server (the runtime's `MLFLOW_CALLS`,
 * `training-image/src/tracking/mlflow-rest.ts`; a test checks the two agree),
 * each with the IAM action that authorizes it (resource: the tracking server
 * ARN). The action is the MLflow API operation's name under the
 * `sagemaker-mlflow` prefix (Service Authorization Reference, "Actions,
 * resources, and condition keys for Amazon SageMaker with MLflow": every one
 * of these has the resource type `mlflow-tracking-server`).
 */
export const SAGEMAKER_MLFLOW_STEP_CALLS = {
  'GET /api/2.0/mlflow/experiments/get-by-name': 'sagemaker-mlflow:GetExperimentByName',
  'POST /api/2.0/mlflow/experiments/create': 'sagemaker-mlflow:CreateExperiment',
  'POST /api/2.0/mlflow/runs/create': 'sagemaker-mlflow:CreateRun',
  'POST /api/2.0/mlflow/runs/log-batch': 'sagemaker-mlflow:LogBatch',
  'POST /api/2.0/mlflow/runs/update': 'sagemaker-mlflow:UpdateRun',
} as const;
/** What the workload role may do on the tracking server: exactly the actions of {@link SAGEMAKER_MLFLOW_STEP_CALLS}. */
export const SAGEMAKER_MLFLOW_STEP_ACTIONS: readonly string[] = Object.values(SAGEMAKER_MLFLOW_STEP_CALLS);

/**
 * The environment of a SageMaker pipeline step that records its MLflow run
 * on the platform's tracking server (the pipeline compiler writes it, the
 * policy pack reads it): the names the runtime reads (`MLFLOW_STEP_ENV`,
 * `training-image/src/tracking/mlflow-rest.ts`; `test/aws-mlflow.test.ts`
 * checks the two agree). `trackingUri` is the tracking server's ARN, as the
 * `sagemaker-mlflow` plugin takes it.
 */
export const AWS_STEP_TRACKING_ENV = {
  trackingUri: 'MLFLOW_TRACKING_URI',
  experiment: 'MLFLOW_EXPERIMENT_NAME',
  pipeline: 'MLOPS_PIPELINE_NAME',
  executionArn: 'MLOPS_PIPELINE_EXECUTION_ARN',
  executionId: 'MLOPS_PIPELINE_EXECUTION_ID',
  revision: 'MLOPS_PIPELINE_REVISION',
  image: 'MLOPS_IMAGE',
  inputUris: 'MLOPS_INPUT_URIS',
} as const;

/**
 * The interface VPC endpoint service of the SageMaker MLflow API in a region:
 * `aws.sagemaker.<region>.experiments` (aws-cdk-lib
 * `InterfaceVpcEndpointAwsService.SAGEMAKER_EXPERIMENTS`, `aws-ec2/lib/vpc-endpoint.ts`;
 * SageMaker developer guide, "Connecting to an MLflow tracking server through
 * an Interface VPC Endpoint"), with private DNS, so that the API's name
 * `<region>.experiments.sagemaker.aws` resolves inside the VPC.
 */
export function sageMakerMlflowEndpointService(region: string): string {
  return `aws.sagemaker.${region}.experiments`;
}

/** What a SageMaker pipeline's role does with the processing jobs of its steps (resource: `processing-job/*`: SageMaker names them per execution). */
export const SAGEMAKER_PROCESSING_ACTIONS = ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob', 'sagemaker:AddTags'] as const;
/** Start a pipeline (resource: the pipeline ARN): all a schedule's role may do. */
export const SAGEMAKER_PIPELINE_START_ACTIONS = ['sagemaker:StartPipelineExecution'] as const;
/** List a pipeline's executions (resource: the pipeline), for the start gate that skips a run while one is executing. */
export const SAGEMAKER_PIPELINE_LIST_ACTIONS = ['sagemaker:ListPipelineExecutions'] as const;
/** What the pipeline's deploy state machine does (resources: the endpoint, and the models and configurations it names `<endpoint>-p<version>`). */
export const SAGEMAKER_DEPLOY_ACTIONS = [
  'sagemaker:DescribeEndpoint',
  'sagemaker:CreateModel',
  'sagemaker:CreateEndpointConfig',
  'sagemaker:UpdateEndpoint',
  'sagemaker:AddTags',
] as const;
/** Hand a role to a service (resource: the role; condition `iam:PassedToService`). */
export const IAM_PASS_ROLE_ACTIONS = ['iam:PassRole'] as const;
/** Start a Step Functions execution (resource: the state machine). */
export const STATES_START_ACTIONS = ['states:StartExecution'] as const;
/** EventBridge Scheduler, which assumes a schedule's role. */
export const SCHEDULER_SERVICE_PRINCIPAL = 'scheduler.amazonaws.com';
/** Step Functions, which assumes a state machine's role. */
export const STATES_SERVICE_PRINCIPAL = 'states.amazonaws.com';
/** EventBridge, which assumes a rule target's role. */
export const EVENTBRIDGE_SERVICE_PRINCIPAL = 'events.amazonaws.com';

/** The service that assumes the workload identity. */
export const SAGEMAKER_SERVICE_PRINCIPAL = 'sagemaker.amazonaws.com';

/**
 * The service roles of a pipeline (`AwsContinuousTraining`): each is named
 * `<release name><suffix>` and handed (`iam:PassRole`) to exactly one service.
 * The one home of those names: the pipeline builds its roles from it, and the
 * CI deployer may pass roles of these names to these services only.
 */
export const AWS_PIPELINE_SERVICE_ROLES = {
  /** The pipeline execution role (SageMaker Pipelines; `CreatePipeline`/`UpdatePipeline`). */
  pipeline: { suffix: '-pipeline', service: SAGEMAKER_SERVICE_PRINCIPAL },
  /** The start gate's role (Step Functions; `CreateStateMachine`/`UpdateStateMachine`). */
  start: { suffix: '-start', service: STATES_SERVICE_PRINCIPAL },
  /** The deploy state machine's role (Step Functions). */
  deploy: { suffix: '-deploy', service: STATES_SERVICE_PRINCIPAL },
  /** A schedule's role (EventBridge Scheduler; `CreateSchedule`/`UpdateSchedule`). */
  scheduler: { suffix: '-scheduler', service: SCHEDULER_SERVICE_PRINCIPAL },
  /** The approval rule target's role (EventBridge; `PutTargets`). */
  approved: { suffix: '-approved', service: EVENTBRIDGE_SERVICE_PRINCIPAL },
} as const;

/**
 * Service principals whose AWS documentation shows `aws:SourceAccount` in the
 * trust policy of the role they assume (confused-deputy prevention): the
 * trust statement of an identity assumable by them carries the condition.
 * - SageMaker: "Cross-service confused deputy prevention" (SageMaker developer guide).
 * - ECS tasks (`ecs-tasks.amazonaws.com`, also the job role of AWS Batch jobs
 *   on ECS and Fargate): the task IAM role trust policy example with
 *   `aws:SourceAccount` and `aws:SourceArn` (ECS developer guide, "Amazon ECS task IAM role").
 * Other services (Lambda among them: its execution-role page shows the trust
 * policy without a condition) get an unconditioned statement: a condition a
 * service does not set would stop it from assuming the role. A role can only
 * be handed to a service by a principal of its own account (`iam:PassRole`).
 */
export const SOURCE_ACCOUNT_TRUST_SERVICES: readonly string[] = [SAGEMAKER_SERVICE_PRINCIPAL, 'ecs-tasks.amazonaws.com'];
/** The action of the identity's trust policy. */
export const STS_ASSUME_ROLE_ACTION = 'sts:AssumeRole';

/** HTTPS: the only port the workload security group opens inside the VPC. */
export const HTTPS_PORT = 443;

/**
 * The interface endpoints a private platform creates (private DNS on): the
 * SageMaker API and runtime, ECR's API and registry (image pulls), STS,
 * CloudWatch Logs, KMS and CloudWatch metrics. S3 is reached through the
 * gateway endpoint.
 */
export const AWS_INTERFACE_ENDPOINT_SERVICES = ['sagemaker.api', 'sagemaker.runtime', 'ecr.api', 'ecr.dkr', 'sts', 'logs', 'kms', 'monitoring'] as const;

/** One service of {@link AWS_INTERFACE_ENDPOINT_SERVICES}. */
export type AwsInterfaceEndpointService = (typeof AWS_INTERFACE_ENDPOINT_SERVICES)[number];

/**
 * The endpoints the workload cannot run without in a private network (the
 * deploy-readiness rule MLOPS_DEPLOY_AWS_VPC_ENDPOINTS checks them): S3
 * (gateway) for data and models, ECR for the image, CloudWatch Logs for the
 * container logs, STS for the role's credentials, KMS for the platform key.
 */
export const AWS_REQUIRED_PRIVATE_ENDPOINTS = ['s3', 'ecr.api', 'ecr.dkr', 'logs', 'sts', 'kms'] as const;

/**
 * What SageMaker needs of the execution role to put a job's or a model's
 * network interfaces in the VPC (resource: network interfaces, the subnets
 * and the security group).
 */
export const EC2_VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission',
] as const;
/** The VPC reads SageMaker makes with the execution role (no resource-level permissions: resource `*`). */
export const EC2_VPC_DESCRIBE_ACTIONS = [
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeVpcs',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
] as const;

/**
 * The only actions the workload identity may be granted on `Resource: "*"`:
 * they have no resource-level permissions (CKV_AWS_355, AwsSolutions-IAM5).
 */
export const UNSCOPED_ACTIONS: readonly string[] = [...ECR_AUTH_ACTIONS, ...CLOUDWATCH_METRIC_ACTIONS, ...SAGEMAKER_MODEL_LIST_ACTIONS, ...EC2_VPC_DESCRIBE_ACTIONS];

/** Placeholder permission of an identity nothing has been granted to yet (IAM refuses empty policies; resource: the role itself). */
export const IAM_SELF_READ_ACTIONS = ['iam:GetRole'] as const;

// What the keyless CI identity reads on Resource "*" (lib/ci/aws.ts grants it; the policy pack
// accepts exactly these as unscoped).

/** CI reads of the private network (no resource-level permissions: resource `*`). */
export const CI_AWS_NETWORK_READ_ACTIONS = [
  'ec2:DescribeVpcs',
  'ec2:DescribeVpcAttribute',
  'ec2:DescribeNetworkAcls',
  'ec2:DescribeSubnets',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeVpcEndpoints',
  'ec2:DescribeVpcEndpointServices',
  'ec2:DescribePrefixLists',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeTags',
] as const;

/**
 * Read-only actions IAM cannot scope to a resource (`Resource: "*"`): registry
 * login, alias listing, model version and training job listing, scaling and
 * metric reads. None of them changes anything.
 */
export const CI_AWS_UNSCOPED_READ_ACTIONS = [
  'ecr:GetAuthorizationToken',
  'kms:ListAliases',
  'sagemaker:ListModelPackages',
  'sagemaker:ListTrainingJobs',
  'application-autoscaling:DescribeScalableTargets',
  'application-autoscaling:DescribeScalingPolicies',
  'application-autoscaling:DescribeScalingActivities',
  'cloudwatch:GetMetricData',
  'cloudwatch:GetMetricStatistics',
] as const;
