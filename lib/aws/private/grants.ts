import { createHash } from 'crypto';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../../core/contracts';
import { ErrorCode, IssueCollector, MlopsValidationError, messages, show } from '../../core/errors';
import { AwsWorkloadIdentity, IAwsWorkloadIdentity } from '../workload-identity';
import { checkRoleAttributes } from '../validate';
import { PropChecks } from '../../core/validate';

/**
 * The identity an AWS grant adds its statements to. An identity of this
 * library (created or imported) takes them in its own inline policy; any
 * other `IWorkloadIdentity` of cloud `aws` whose `principal` is an IAM role
 * ARN gets an inline policy on that role, created under the granting
 * construct (one per granting construct and role, statements accumulated,
 * ids derived from the role so that the synth is deterministic).
 */
export function awsGrantee(granting: Construct, identity: IWorkloadIdentity, operation: string): IAwsWorkloadIdentity {
  const path = pathOf(identity, granting);
  if (identity === null || typeof identity !== 'object') {
    throw new MlopsValidationError('Invalid grant:', [
      {
        code: ErrorCode.PROP_INVALID,
        path: granting.node.path,
        message: messages.propInvalid(
          operation,
          'identity',
          identity,
          'an IWorkloadIdentity of cloud "aws" (platform.identity, AwsWorkloadIdentity.fromRoleArn(...), or any object whose principal is an IAM role ARN)',
        ),
      },
    ]);
  }
  if (identity.cloud !== 'aws') {
    throw new MlopsValidationError('Cross-cloud grant:', [{ code: ErrorCode.CLOUD_MISMATCH, path, message: messages.cloudMismatch(operation, 'aws', String(identity.cloud)) }]);
  }
  if (isAwsIdentity(identity)) return identity;

  const issues = new IssueCollector();
  checkRoleAttributes(new PropChecks(issues, operation, path), { roleArn: identity.principal, roleName: nameOf(identity) }, 'identity.principal');
  issues.throwIfAny('Invalid grant:');

  const key = grantKey(identity);
  const id = `Grants-${key}`;
  const existing = granting.node.tryFindChild(id);
  if (existing) return existing as unknown as IAwsWorkloadIdentity;
  return AwsWorkloadIdentity.fromExisting(granting, id, {
    roleArn: identity.principal,
    roleName: nameOf(identity),
    policyName: policyNameFor(granting, key),
  });
}

/** True for an identity that carries its own grant policy (this library's, created or imported). */
function isAwsIdentity(identity: IWorkloadIdentity): identity is IAwsWorkloadIdentity {
  const candidate = identity as Partial<IAwsWorkloadIdentity>;
  return typeof candidate.addToPolicy === 'function' && typeof candidate.roleArn === 'string' && Array.isArray(candidate.dependencyAddresses);
}

/** The role name a custom identity gives (its identityName), when it gives one. */
function nameOf(identity: IWorkloadIdentity): string | undefined {
  const name = identity.identityName;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

/**
 * A stable key for the role: its name when the ARN is literal (readable
 * ids), else a hash of the identity's construct path (or of the token).
 */
function grantKey(identity: IWorkloadIdentity): string {
  const principal = identity.principal;
  if (!Token.isUnresolved(principal)) {
    const name = principal.split('/').pop() ?? principal;
    const account = principal.split(':')[4] ?? '';
    return `${account}-${name}`.replace(/[^A-Za-z0-9+=,.@_-]/g, '-');
  }
  const basis = typeof identity.node?.path === 'string' ? identity.node.path : principal;
  return createHash('sha256').update(basis).digest('hex').slice(0, 12);
}

/** The inline policy name: `mlops-<granting id>-<hash>`, unique per granting construct, at most 128 characters. */
function policyNameFor(granting: Construct, key: string): string {
  const hash = createHash('sha256').update(`${granting.node.path}|${key}`).digest('hex').slice(0, 10);
  const base = granting.node.id.replace(/[^A-Za-z0-9+=,.@_-]/g, '-').slice(0, 100);
  return `mlops-${base}-${hash}`;
}

function pathOf(identity: IWorkloadIdentity, fallback: Construct): string {
  const p = (identity as { node?: { path?: unknown } } | null)?.node?.path;
  return typeof p === 'string' ? p : `${fallback.node.path} (grantee ${show((identity as { principal?: unknown } | null)?.principal)})`;
}

/** True for an identity of this library's shape (created or imported): it takes grants in its own policy. */
export function isAwsWorkloadIdentity(identity: IWorkloadIdentity): identity is IAwsWorkloadIdentity {
  return isAwsIdentity(identity);
}
