import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Lazy } from 'cdktf';
import { Construct } from 'constructs';
import { IEncryptionKey, IWorkloadIdentity, identityOf } from '../core/contracts';
import { IssueCollector } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { KMS_DECRYPT_ACTIONS, KMS_ENCRYPT_ACTIONS, KMS_LOGS_SERVICE_ACTIONS, KMS_ROOT_ACTIONS } from './perms';
import { accountRootArn, arn, dnsSuffixOf } from './private/arn';
import { awsName, awsTags, retainLifecycle } from './private/names';
import { policyDocument } from './private/policy';
import { checkAccountId, checkInt, checkRegion } from './private/validate';
import { AwsWorkloadIdentity } from './workload-identity';

/**
 * What a service that publishes to an SNS topic encrypted with the key needs
 * (SNS encrypts the message with a data key on the publisher's behalf).
 */
export const KMS_TOPIC_PUBLISHER_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'] as const;
/** The encryption context key SNS sets on the data keys of an encrypted topic's messages (the topic ARN). */
export const SNS_TOPIC_ENCRYPTION_CONTEXT_KEY = 'kms:EncryptionContext:aws:sns:topicArn';
/** The services that publish alerts to SNS topics: CloudWatch alarms and EventBridge rules. */
export const TOPIC_PUBLISHER_SERVICE_PRINCIPALS = { cloudwatch: 'cloudwatch.amazonaws.com', events: 'events.amazonaws.com' } as const;

/** Props of {@link AwsEncryptionKey}. */
export interface AwsEncryptionKeyProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The 12-digit account that owns and administers the key. */
  readonly accountId: string;
  /** The region of the key (and of the CloudWatch Logs principal allowed to use it). */
  readonly region: string;
  /**
   * Rotate the key material every year. Turning it off fails CKV_AWS_7 and AwsSolutions-KMS5.
   * @default true
   */
  readonly enableKeyRotation?: boolean;
  /**
   * Days KMS waits before deleting the key once scheduled for deletion (7–30).
   * A shorter window lowers the recovery time for an accidental deletion (MLOPS_AWS_KMS_WINDOW).
   * @default 30
   */
  readonly deletionWindowInDays?: number;
  /**
   * Keep the key on `cdktf destroy` (`lifecycle.prevent_destroy`) (MLOPS_AWS_RETAIN_DATA).
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Extra tags, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A customer-managed KMS key with rotation, a 30-day deletion window, an
 * explicit key policy (account root administers; CloudWatch Logs of the region
 * may use it for this account's log groups) and an alias.
 */
export class AwsEncryptionKey extends Construct implements IEncryptionKey {
  /** The cloud this key belongs to. */
  public readonly cloud = 'aws' as const;
  /** Key ARN. */
  public readonly keyId: string;
  /** Key ARN. */
  public readonly keyArn: string;
  /** Alias name (`alias/<company>-<project>-<env>-key`). */
  public readonly aliasName: string;
  /** The account that owns the key. */
  private readonly accountId: string;
  /** The region of the key. */
  private readonly region: string;
  /** Key-policy statements added after construction. */
  private readonly extraStatements: object[] = [];
  private topicPublishersAllowed = false;

  constructor(scope: Construct, id: string, props: AwsEncryptionKeyProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkAccountId(issues, this.node.path, 'AwsEncryptionKey', props.accountId);
    checkRegion(issues, this.node.path, 'AwsEncryptionKey', props.region);
    checkInt(issues, this.node.path, 'AwsEncryptionKey', 'deletionWindowInDays', props.deletionWindowInDays, 7, 30);
    issues.throwIfAny('Invalid AwsEncryptionKey props:');

    const { accountId, region } = props;
    this.accountId = accountId;
    this.region = region;
    const statements: object[] = [
      {
        Sid: 'AccountRootAdministersTheKey',
        Effect: 'Allow',
        Principal: { AWS: accountRootArn(region, accountId) },
        Action: KMS_ROOT_ACTIONS,
        Resource: '*',
      },
      {
        Sid: 'CloudWatchLogsUsesTheKey',
        Effect: 'Allow',
        Principal: { Service: `logs.${region}.${dnsSuffixOf(region)}` },
        Action: KMS_LOGS_SERVICE_ACTIONS,
        Resource: '*',
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': arn('logs', region, accountId, 'log-group:*') } },
      },
    ];
    const key = new KmsKey(this, 'Resource', {
      description: `Customer-managed key of the ML platform ${awsName(props.naming, 'kmsAlias')}.`,
      enableKeyRotation: props.enableKeyRotation ?? true,
      deletionWindowInDays: props.deletionWindowInDays ?? 30,
      // Lazy: statements added after construction (allowTopicPublishers) still make it in.
      policy: Lazy.stringValue({ produce: () => policyDocument([...statements, ...this.extraStatements]) }),
      tags: awsTags(props.naming, props.tags),
      lifecycle: retainLifecycle(props.retainData ?? true),
    });
    this.aliasName = `alias/${awsName(props.naming, 'kmsAlias')}`;
    new KmsAlias(this, 'Alias', { name: this.aliasName, targetKeyId: key.keyId });

    this.keyArn = key.arn;
    this.keyId = key.arn;
  }

  /** Lets `identity` encrypt and decrypt with the key. */
  grantEncryptDecrypt(identity: IWorkloadIdentity): void {
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'EncryptionKey.grantEncryptDecrypt');
    role.addToPolicy({ actions: [...KMS_DECRYPT_ACTIONS, ...KMS_ENCRYPT_ACTIONS], resources: [this.keyArn] });
  }

  /**
   * Lets CloudWatch alarms (of this account) and EventBridge rules publish to
   * SNS topics encrypted with this key: SNS encrypts their messages with the
   * key on the publisher's behalf, so the key policy must allow the publishing
   * service `kms:GenerateDataKey*` and `kms:Decrypt` (AWS: "Enable compatibility
   * between event sources from AWS services and encrypted topics"). The
   * CloudWatch statement is scoped to this account (`aws:SourceAccount`). The
   * EventBridge one cannot be: the SNS developer guide says `aws:SourceAccount`
   * and `aws:SourceArn` in a key policy are not supported for
   * EventBridge-to-encrypted-topic delivery (they would drop every
   * notification). It is scoped instead by the encryption context SNS puts on
   * every data key, `aws:sns:topicArn`, to this account's topics in the key's
   * region: EventBridge may use the key only for messages of those topics.
   * Idempotent; the existing statements stay as they are.
   */
  allowTopicPublishers(): void {
    if (this.topicPublishersAllowed) return;
    this.topicPublishersAllowed = true;
    this.extraStatements.push(
      {
        Sid: 'CloudWatchAlarmsPublishToEncryptedTopics',
        Effect: 'Allow',
        Principal: { Service: TOPIC_PUBLISHER_SERVICE_PRINCIPALS.cloudwatch },
        Action: KMS_TOPIC_PUBLISHER_ACTIONS,
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': this.accountId } },
      },
      {
        Sid: 'EventBridgeRulesPublishToEncryptedTopics',
        Effect: 'Allow',
        Principal: { Service: TOPIC_PUBLISHER_SERVICE_PRINCIPALS.events },
        Action: KMS_TOPIC_PUBLISHER_ACTIONS,
        Resource: '*',
        Condition: { ArnLike: { [SNS_TOPIC_ENCRYPTION_CONTEXT_KEY]: arn('sns', this.region, this.accountId, '*') } },
      },
    );
  }

  /** Lets `identity` decrypt with the key. */
  grantDecrypt(identity: IWorkloadIdentity): void {
    const role = identityOf<AwsWorkloadIdentity>(identity, 'aws', 'EncryptionKey.grantDecrypt');
    role.addToPolicy({ actions: [...KMS_DECRYPT_ACTIONS], resources: [this.keyArn] });
  }
}
