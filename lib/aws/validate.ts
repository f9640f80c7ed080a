import { Fn, Token } from 'cdktf';
import { parseRoleArn } from './arn';
import { ErrorCode, messages } from '../core/errors';
import { PropChecks } from '../core/validate';

/** Validators shared by the AWS constructs; each records a problem and never throws. */

const ACCOUNT_ID = /^\d{12}$/;
const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9-]+$/;

/** CloudWatch Logs accepted retention values (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Records a problem unless `accountId` is a 12-digit AWS account id. */
export function checkAccountId(check: PropChecks, accountId: unknown): void {
  const { issues, construct, path } = check;
  if (typeof accountId === 'string' && Token.isUnresolved(accountId)) return;
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, 'accountId', accountId, 'a 12-digit AWS account id such as "123456789012"'));
  }
}

/** Records a problem unless `instanceType` is a SageMaker instance type (`ml.<family>.<size>`). */
export function checkInstanceType(check: PropChecks, prop: string, instanceType: string): void {
  const { issues, construct, path } = check;
  if (Token.isUnresolved(instanceType)) return;
  if (!INSTANCE_TYPE.test(instanceType)) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, instanceType, 'a SageMaker instance type such as "ml.m5.xlarge"'));
  }
}

/** An IAM role or user ARN (`arn:<partition>:iam::<account>:role/<path/name>`). */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;
/** EC2 ids: `<prefix>-` and 8 or 17 hex digits. */
const ec2Id = (prefix: string): RegExp => new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);

/** Records one problem per entry that is not an IAM role or user ARN (tokens pass). */
export function checkPrincipalArns(check: PropChecks, prop: string, arns: readonly string[] | undefined): void {
  const { issues, construct, path } = check;
  (arns ?? []).forEach((a, i) => {
    if (typeof a === 'string' && (Token.isUnresolved(a) || PRINCIPAL_ARN.test(a))) return;
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(construct, `${prop}[${i}]`, a, 'an IAM role or user ARN such as "arn:aws:iam::123456789012:role/Admin" (for an assumed-role session, the role\'s ARN)'),
    );
  });
}

/** Records one problem per entry that is not an EC2 id with `prefix` (`vpce`, `subnet`, `rtb`, `sg`, `vpc`; tokens pass). */
export function checkEc2Ids(check: PropChecks, prop: string, prefix: string, ids: readonly string[] | undefined): void {
  const { issues, construct, path } = check;
  const pattern = ec2Id(prefix);
  (ids ?? []).forEach((id, i) => {
    if (typeof id === 'string' && (Token.isUnresolved(id) || pattern.test(id))) return;
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(construct, `${prop}[${i}]`, id, `an id "${prefix}-" followed by 8 or 17 hex digits, such as "${prefix}-0123456789abcdef0"`),
    );
  });
}

/** Records one problem per entry that is not a VPC endpoint id (`vpce-…`; tokens pass). */
export function checkVpcEndpointIds(check: PropChecks, prop: string, ids: readonly string[] | undefined): void {
  checkEc2Ids(check, prop, 'vpce', ids);
}

/** Records problems with the attributes of an existing role; returns its name and account. */
export function checkRoleAttributes(
  check: PropChecks,
  attrs: { readonly roleArn?: unknown; readonly roleName?: unknown },
  prop = 'roleArn',
): { roleName: string; accountId: string } {
  const { issues, construct, path } = check;
  const roleArn = attrs.roleArn;
  const roleName = attrs.roleName;
  if (typeof roleArn === 'string' && Token.isUnresolved(roleArn)) {
    if (roleName === undefined) {
      issues.add(
        ErrorCode.PROP_INVALID,
        path,
        messages.propInvalid(construct, 'roleName', roleName, `the role's name while '${prop}' is a token (the inline grant policy names the role)`),
      );
      return { roleName: '', accountId: '' };
    }
    return { roleName: String(roleName), accountId: Fn.element(Fn.split(':', roleArn), 4) };
  }
  const parsed = typeof roleArn === 'string' ? parseRoleArn(roleArn) : undefined;
  if (!parsed) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(
        construct,
        prop,
        roleArn,
        'an IAM role ARN such as "arn:aws:iam::123456789012:role/batch-scoring" (grants attach an inline policy to the role: users, groups and assumed-role session ARNs cannot carry one)',
      ),
    );
    return { roleName: '', accountId: '' };
  }
  if (roleName !== undefined && typeof roleName === 'string' && !Token.isUnresolved(roleName) && roleName !== parsed.roleName) {
    issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, 'roleName', roleName, `the name in '${prop}' ("${parsed.roleName}"), or unset`));
  }
  return { roleName: parsed.roleName, accountId: parsed.account };
}

/**
 * Checks the `encryptionKey` attribute of an imported store (`fromExisting`):
 * unset, or an AWS key (`AwsEncryptionKey`, or `AwsEncryptionKey.fromKeyArn`)
 * with a key ARN. `accepted` says what the store takes, for the message.
 */
export function checkImportedKey(check: PropChecks, key: unknown, accepted: string): void {
  if (key === undefined) return;
  const k = key as { cloud?: unknown; keyArn?: unknown; node?: { path?: string } } | null;
  if (typeof key === 'object' && k !== null && k.cloud === 'aws' && typeof k.keyArn === 'string') return;
  // A construct of another cloud is shown by its path, anything else as it is.
  check.invalid('encryptionKey', k?.node?.path ?? key, accepted);
}
