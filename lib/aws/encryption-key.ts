import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Fn, Lazy, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IEncryptionKey, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { KMS_DECRYPT_ACTIONS, KMS_ENCRYPT_ACTIONS, KMS_LOGS_SERVICE_ACTIONS, KMS_ROOT_ACTIONS } from './perms';
import { accountRootArn, arn, dnsSuffixOf, parseArn } from './arn';
import { awsGrantee } from './private/grants';
import { awsName, awsTags, checkPhysicalName, kmsAliasName, retainLifecycle, stripAliasPrefix } from './names';
import { policyDocument } from './policy-document';
import { checkAccountId } from './validate';
import { PropChecks } from '../core/validate';

/**
 * A KMS key the AWS platform can encrypt with and grant on: one this library
 * creates ({@link AwsEncryptionKey}) or an existing one
 * ({@link AwsEncryptionKey.fromKeyArn}, {@link AwsEncryptionKey.fromExisting}).
 */
export interface IAwsEncryptionKey extends IEncryptionKey {
  /** Always `aws`. */
  readonly cloud: 'aws';
  /** Key ARN. */
  readonly keyArn: string;
  /** The key's alias (`alias/<name>`), when known. */
  readonly aliasName?: string;
  /** The account that owns the key (a literal, or a token). */
  readonly accountId: string;
  /** The key's region (a literal, or a token). */
  readonly region: string;
  /**
   * True for a key imported by ARN: the library never writes its key policy;
   * grants on it are identity policies, which work while the key policy
   * delegates to IAM (the account-root statement of the default key policy).
   */
  readonly imported: boolean;
  /** Lets `identity` decrypt with the key. */
  grantDecrypt(identity: IWorkloadIdentity): void;
}

/** Attributes of an existing KMS key, for {@link AwsEncryptionKey.fromExisting}. */
export interface AwsEncryptionKeyAttributes {
  /** The key ARN (`arn:aws:kms:<region>:<account>:key/<key id>`), not an alias ARN. */
  readonly keyArn: string;
  /**
   * The key's alias (`alias/<name>`), for display only.
   * @default - none
   */
  readonly aliasName?: string;
}

/** A KMS key id: a UUID, or `mrk-` and 32 hex digits for a multi-Region key. */
const KMS_KEY_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

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
  /**
   * The key's alias name, exactly (with or without the `alias/` prefix; 1-250
   * of letters, digits and / _ -), instead of the naming helper's
   * `<company>-<project>-<env>-key`. A KMS key has no name of its own: the
   * alias is its physical name.
   * @default - from the naming helper
   */
  readonly physicalName?: string;
}

/**
 * A customer-managed KMS key with rotation, a 30-day deletion window, an
 * explicit key policy (account root administers; CloudWatch Logs of the region
 * may use it for this account's log groups) and an alias.
 */
export class AwsEncryptionKey extends Construct implements IAwsEncryptionKey {
  /**
   * An existing KMS key (a landing zone's key). The library never writes its
   * key policy, rotation or deletion settings; grants on it are identity
   * policies of the grantee.
   */
  static fromExisting(scope: Construct, id: string, attrs: AwsEncryptionKeyAttributes): IAwsEncryptionKey {
    return new ImportedAwsEncryptionKey(scope, id, attrs);
  }

  /** An existing KMS key by its ARN (see {@link fromExisting}). */
  static fromKeyArn(scope: Construct, id: string, keyArn: string): IAwsEncryptionKey {
    return new ImportedAwsEncryptionKey(scope, id, { keyArn });
  }

  /** The cloud this key belongs to. */
  public readonly cloud = 'aws' as const;
  /** Key ARN. */
  public readonly keyId: string;
  /** Key ARN. */
  public readonly keyArn: string;
  /** Alias name (`alias/<company>-<project>-<env>-key`, or `alias/<physicalName>`). */
  public readonly aliasName: string;
  /** The account that owns the key. */
  public readonly accountId: string;
  /** The region of the key. */
  public readonly region: string;
  /** Always false: the key is created by this construct. */
  public readonly imported = false;
  /** Key-policy statements added after construction. */
  private readonly extraStatements: object[] = [];
  private topicPublishersAllowed = false;

  constructor(scope: Construct, id: string, props: AwsEncryptionKeyProps) {
    super(scope, id);
    const issues = new IssueCollector();
    checkAccountId(new PropChecks(issues, 'AwsEncryptionKey', this.node.path), props.accountId);
    new PropChecks(issues, 'AwsEncryptionKey', this.node.path).region('aws', 'region', props.region);
    new PropChecks(issues, 'AwsEncryptionKey', this.node.path).int('deletionWindowInDays', props.deletionWindowInDays, 7, 30);
    checkPhysicalName(new PropChecks(issues, 'AwsEncryptionKey', this.node.path), 'physicalName', stripAliasPrefix(props.physicalName), 'kmsAlias');
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
    this.aliasName = kmsAliasName(props.physicalName ?? awsName(props.naming, 'kmsAlias'));
    new KmsAlias(this, 'Alias', { name: this.aliasName, targetKeyId: key.keyId });

    this.keyArn = key.arn;
    this.keyId = key.arn;
  }

  /** Lets `identity` encrypt and decrypt with the key. */
  grantEncryptDecrypt(identity: IWorkloadIdentity): void {
    const role = awsGrantee(this, identity, 'EncryptionKey.grantEncryptDecrypt');
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
    const role = awsGrantee(this, identity, 'EncryptionKey.grantDecrypt');
    role.addToPolicy({ actions: [...KMS_DECRYPT_ACTIONS], resources: [this.keyArn] });
  }
}

/** Records problems with a key ARN attribute; returns its account and region (tokens: Terraform expressions). */
function checkKeyArn(check: PropChecks, prop: string, keyArn: unknown): { accountId: string; region: string } {
  const { issues, construct, path } = check;
  if (typeof keyArn === 'string' && Token.isUnresolved(keyArn)) {
    return { accountId: Fn.element(Fn.split(':', keyArn), 4), region: Fn.element(Fn.split(':', keyArn), 3) };
  }
  const parts = typeof keyArn === 'string' ? parseArn(keyArn) : undefined;
  const keyId = parts?.resource.startsWith('key/') ? parts.resource.slice('key/'.length) : undefined;
  if (parts?.service !== 'kms' || !keyId || !KMS_KEY_ID.test(keyId) || !/^\d{12}$/.test(parts.account) || parts.region === '') {
    const alias = parts?.service === 'kms' && parts.resource.startsWith('alias/');
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(
        construct,
        prop,
        keyArn,
        'a KMS key ARN such as "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"' +
          (alias ? ' (not an alias ARN: IAM grants and SSE-KMS settings must name the key itself; look it up with `aws kms describe-key --key-id alias/<name>`)' : ''),
      ),
    );
    return { accountId: '', region: '' };
  }
  return { accountId: parts.account, region: parts.region };
}

/** An existing KMS key: grants are identity policies; its key policy is never written. */
class ImportedAwsEncryptionKey extends Construct implements IAwsEncryptionKey {
  public readonly cloud = 'aws' as const;
  public readonly imported = true;
  public readonly keyId: string;
  public readonly keyArn: string;
  public readonly aliasName?: string;
  public readonly accountId: string;
  public readonly region: string;

  constructor(scope: Construct, id: string, attrs: AwsEncryptionKeyAttributes) {
    super(scope, id);
    const C = 'AwsEncryptionKey.fromExisting';
    const issues = new IssueCollector();
    const { accountId, region } = checkKeyArn(new PropChecks(issues, C, this.node.path), 'keyArn', attrs?.keyArn);
    const alias = attrs?.aliasName;
    if (alias !== undefined && !(typeof alias === 'string' && (Token.isUnresolved(alias) || /^alias\/(?!aws\/)[A-Za-z0-9/_-]{1,250}$/.test(alias)))) {
      issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid(C, 'aliasName', alias, 'an alias name such as "alias/landing-zone-ml" (or unset)'));
    }
    issues.throwIfAny(`Invalid ${C} attributes:`);
    this.keyArn = attrs.keyArn;
    this.keyId = attrs.keyArn;
    this.aliasName = alias;
    this.accountId = accountId;
    this.region = region;
  }

  grantEncryptDecrypt(identity: IWorkloadIdentity): void {
    awsGrantee(this, identity, 'EncryptionKey.grantEncryptDecrypt').addToPolicy({ actions: [...KMS_DECRYPT_ACTIONS, ...KMS_ENCRYPT_ACTIONS], resources: [this.keyArn] });
  }

  grantDecrypt(identity: IWorkloadIdentity): void {
    awsGrantee(this, identity, 'EncryptionKey.grantDecrypt').addToPolicy({ actions: [...KMS_DECRYPT_ACTIONS], resources: [this.keyArn] });
  }
}
