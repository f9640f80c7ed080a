import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { SagemakerMlflowTrackingServer } from '@cdktf/provider-aws/lib/sagemaker-mlflow-tracking-server';
import { Lazy } from 'cdktf';
import { Construct } from 'constructs';
import { IArtifactStore, IMlWorkspace, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { toNaming } from '../core/platform-props';
import { IAwsEncryptionKey } from './encryption-key';
import {
  CLOUDWATCH_METRIC_ACTIONS,
  CLOUDWATCH_NAMESPACE_CONDITION_KEY,
  LOGS_WRITE_ACTIONS,
  SAGEMAKER_MLFLOW_STEP_ACTIONS,
  SAGEMAKER_LOGS_ACTIONS,
  SAGEMAKER_LOG_GROUP_PREFIX,
} from './perms';
import { arn } from './arn';
import { awsGrantee } from './private/grants';
import { awsName, awsTags, checkPhysicalName, retainLifecycle } from './names';
import { LOG_RETENTION_DAYS } from './validate';
import { IAwsWorkloadIdentity } from './workload-identity';
import { PropChecks } from '../core/validate';

/** Sizes of a SageMaker MLflow tracking server. */
export type AwsTrackingServerSize = 'Small' | 'Medium' | 'Large';

/**
 * Whether a workspace creates a SageMaker managed MLflow tracking server when
 * `trackingServer` is not set: off. The server is billed for every hour it
 * exists, whether anything logs to it or not; only the steps of a pipeline
 * log to it (docs/pipelines/aws.md, "Cost of each part", has the price and its source).
 */
export const AWS_TRACKING_SERVER_DEFAULT = false;

/** Props of {@link AwsMlWorkspace}. */
export interface AwsMlWorkspaceProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The region the workspace runs in. */
  readonly region: string;
  /**
   * The key the log group is encrypted with (CKV_AWS_158). Its key policy
   * must let CloudWatch Logs of the region use it (an AwsEncryptionKey's
   * does; an imported key's policy is its owner's).
   * Required while `customerManagedKey` is true; ignored while it is false.
   * @default - none (only valid with `customerManagedKey: false`)
   */
  readonly encryptionKey?: IAwsEncryptionKey;
  /**
   * Encrypt the log group with `encryptionKey` (CKV_AWS_158). `false` leaves it to
   * CloudWatch Logs' own server-side encryption.
   * @default true
   */
  readonly customerManagedKey?: boolean;
  /** The store whose `<url>/mlflow` prefix holds the MLflow artifacts. */
  readonly artifactStore: IArtifactStore;
  /**
   * The identity the MLflow tracking server runs as; required while `trackingServer` is on.
   * @default - none (only valid with `trackingServer: false`)
   */
  readonly executionRole?: IAwsWorkloadIdentity;
  /**
   * Create a SageMaker managed MLflow tracking server (billed per hour while it
   * exists; the steps of a pipeline on the platform record their runs there).
   * @default false
   */
  readonly trackingServer?: boolean;
  /**
   * Size of the MLflow tracking server.
   * @default 'Small'
   */
  readonly trackingServerSize?: AwsTrackingServerSize;
  /**
   * Days the platform log group keeps events. Below 365 fails CKV_AWS_338.
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * CloudWatch namespace jobs may publish custom metrics to.
   * @default - `<company>-<project>-<env>`
   */
  readonly metricNamespace?: string;
  /**
   * Keep the log group on `cdktf destroy` (`lifecycle.prevent_destroy`) (MLOPS_AWS_RETAIN_DATA).
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Extra tags, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The workspace's name, exactly: with `trackingServer: true`, the MLflow
   * tracking server's name (1-63 of letters, digits and hyphens), otherwise
   * the log group's. Without `logGroupName`, the log group of a workspace with a
   * tracking server is then `<physicalName>-logs`.
   * @default - from the naming helper (`<company>-<project>-<env>-logs`, with a tracking server `…-mlflow`)
   */
  readonly physicalName?: string;
  /**
   * The CloudWatch log group's name, exactly (1-512 of letters, digits and . _ - / #).
   * @default - `<physicalName>-logs` with a tracking server and `physicalName`, `physicalName` without a tracking server, else from the naming helper
   */
  readonly logGroupName?: string;
}

/**
 * The SageMaker workspace: a KMS-encrypted CloudWatch log group with a year's
 * retention as the monitoring base, and, with `trackingServer: true`, a
 * managed MLflow tracking server whose artifacts live in the artifact store.
 */
export class AwsMlWorkspace extends Construct implements IMlWorkspace {
  /** The cloud this workspace belongs to. */
  public readonly cloud = 'aws' as const;
  /** Tracking server name, or the log group name without a tracking server. */
  public readonly workspaceName: string;
  /** Tracking server ARN, or the log group ARN without a tracking server. */
  public readonly workspaceId: string;
  /** The region the workspace runs in. */
  public readonly region: string;
  /** CloudWatch log group name. */
  public readonly logDestination: string;
  /** CloudWatch log group ARN. */
  public readonly logGroupArn: string;
  /** CloudWatch namespace for custom metrics. */
  public readonly metricNamespace: string;
  /** MLflow tracking server ARN, when one is created. */
  public readonly trackingServerArn?: string;
  /** MLflow tracking server ARN as grants write it: built from the region, account and name. */
  private trackingServerGrantArn?: string;
  /** MLflow tracking server URL, when one is created. */
  public readonly trackingServerUrl?: string;

  constructor(scope: Construct, id: string, props: AwsMlWorkspaceProps) {
    super(scope, id);
    const withServer = props.trackingServer ?? AWS_TRACKING_SERVER_DEFAULT;
    const issues = new IssueCollector();
    new PropChecks(issues, 'AwsMlWorkspace', this.node.path).region('aws', 'region', props.region);
    new PropChecks(issues, 'AwsMlWorkspace', this.node.path).oneOf('logRetentionDays', props.logRetentionDays, LOG_RETENTION_DAYS);
    new PropChecks(issues, 'AwsMlWorkspace', this.node.path).oneOf<AwsTrackingServerSize>('trackingServerSize', props.trackingServerSize, ['Small', 'Medium', 'Large']);
    const customerManagedKey = props.customerManagedKey ?? true;
    if (customerManagedKey && !props.encryptionKey) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('AwsMlWorkspace', 'encryptionKey', undefined, 'an AwsEncryptionKey while customerManagedKey is true (or set customerManagedKey: false)'),
      );
    }
    if (withServer && !props.executionRole) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('AwsMlWorkspace', 'executionRole', undefined, 'an AwsWorkloadIdentity while trackingServer is true (or set trackingServer: false)'),
      );
    }
    checkPhysicalName(new PropChecks(issues, 'AwsMlWorkspace', this.node.path), 'physicalName', props.physicalName, withServer ? 'mlflowTrackingServer' : 'logGroup');
    checkPhysicalName(new PropChecks(issues, 'AwsMlWorkspace', this.node.path), 'logGroupName', props.logGroupName, 'logGroup');
    if (!withServer && props.physicalName !== undefined && props.logGroupName !== undefined && props.physicalName !== props.logGroupName) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid(
          'AwsMlWorkspace',
          'logGroupName',
          props.logGroupName,
          `unset, or equal to physicalName (${JSON.stringify(props.physicalName)}): without a tracking server the log group is the workspace`,
        ),
      );
    }
    issues.throwIfAny('Invalid AwsMlWorkspace props:');

    this.region = props.region;
    this.metricNamespace = props.metricNamespace ?? toNaming(props.naming).prefix;
    const logGroup = new CloudwatchLogGroup(this, 'LogGroup', {
      name: props.logGroupName ?? (props.physicalName !== undefined ? (withServer ? `${props.physicalName}-logs` : props.physicalName) : awsName(props.naming, 'logGroup')),
      retentionInDays: props.logRetentionDays ?? 365,
      kmsKeyId: customerManagedKey ? props.encryptionKey?.keyArn : undefined,
      tags: awsTags(props.naming, props.tags),
      lifecycle: retainLifecycle(props.retainData ?? true),
    });
    this.logDestination = logGroup.name;
    this.logGroupArn = logGroup.arn;
    this.workspaceName = this.logDestination;
    this.workspaceId = this.logGroupArn;

    if (withServer && props.executionRole) {
      const role = props.executionRole;
      const serverName = props.physicalName ?? awsName(props.naming, 'mlflowTrackingServer');
      const server = new SagemakerMlflowTrackingServer(this, 'Resource', {
        trackingServerName: serverName,
        artifactStoreUri: `${props.artifactStore.url}/mlflow`,
        roleArn: role.roleArn,
        trackingServerSize: props.trackingServerSize ?? 'Small',
        tags: awsTags(props.naming, props.tags),
      });
      // The server checks its role's access at creation: wait for the grants.
      server.dependsOn = Lazy.listValue({ produce: () => role.dependencyAddresses });
      // Grants name the server by an ARN built from its name, not by its `arn`
      // attribute: the role policy would otherwise refer to the server while the
      // server waits for the policy (a dependency cycle Terraform refuses to plan).
      this.trackingServerGrantArn = arn('sagemaker', props.region, role.accountId, `mlflow-tracking-server/${serverName}`);
      this.trackingServerArn = server.arn;
      this.trackingServerUrl = server.trackingServerUrl;
      this.workspaceName = server.trackingServerName;
      this.workspaceId = server.arn;
    }
  }

  /**
   * Lets `identity` write logs and metrics, and with a tracking server record
   * runs on it (the MLflow calls of a pipeline step: SAGEMAKER_MLFLOW_STEP_CALLS).
   */
  grantUse(identity: IWorkloadIdentity): void {
    const role = awsGrantee(this, identity, 'MlWorkspace.grantUse');
    role.addToPolicy({ actions: [...LOGS_WRITE_ACTIONS], resources: [this.logGroupArn, `${this.logGroupArn}:log-stream:*`] });
    // SageMaker delivers the container logs of training jobs and endpoints with the
    // execution role, into its own groups (/aws/sagemaker/TrainingJobs, /aws/sagemaker/Endpoints/<name>).
    const sagemakerGroups = arn('logs', this.region, role.accountId, `log-group:${SAGEMAKER_LOG_GROUP_PREFIX}*`);
    role.addToPolicy({ actions: [...SAGEMAKER_LOGS_ACTIONS], resources: [sagemakerGroups, `${sagemakerGroups}:log-stream:*`] });
    role.addToPolicy({
      actions: [...CLOUDWATCH_METRIC_ACTIONS],
      resources: ['*'],
      conditions: { StringEquals: { [CLOUDWATCH_NAMESPACE_CONDITION_KEY]: this.metricNamespace } },
    });
    // The calls a pipeline step makes to record its run, on this server only (people use the server
    // with their own IAM rights: sagemaker:CreatePresignedMlflowTrackingServerUrl, sagemaker-mlflow:AccessUI, …).
    if (this.trackingServerGrantArn) role.addToPolicy({ actions: [...SAGEMAKER_MLFLOW_STEP_ACTIONS], resources: [this.trackingServerGrantArn] });
  }
}
