import { SageMakerClient, SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { ReleaseContext, ReleaseError } from '../driver';

/**
 * Points the SageMaker client at another endpoint (tests: a loopback server;
 * also a VPC interface endpoint). The SDK's own `AWS_ENDPOINT_URL_SAGEMAKER`
 * works too, from the process environment.
 */
export const SAGEMAKER_ENDPOINT_ENV = 'MLOPS_AWS_SAGEMAKER_ENDPOINT';

/** Attempts per request, the first included: the SDK's standard retry mode backs off on throttling, 5xx and network errors. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** The SageMaker client of one release run. `overrides` (tests, callers) win over the defaults. */
export function createSageMakerClient(region: string, ctx: ReleaseContext, overrides: SageMakerClientConfig = {}): SageMakerClient {
  const endpoint = ctx.env[SAGEMAKER_ENDPOINT_ENV];
  return new SageMakerClient({
    region,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    ...(endpoint ? { endpoint } : {}),
    ...overrides,
  });
}

/** What an AWS SDK error carries. */
interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number; readonly requestId?: string };
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException']);

/** True when SageMaker says the named object does not exist (Describe* of a missing job answers ValidationException). */
export function isNotFound(err: unknown): boolean {
  const e = err as SdkError;
  if (e?.name === 'ResourceNotFound' || e?.name === 'ResourceNotFoundException') return true;
  return e?.name === 'ValidationException' && /(could not find|not found|does not exist)/i.test(e.message ?? '');
}

/** One SageMaker call; every failure becomes a {@link ReleaseError} naming the operation and what AWS said. */
export async function call<T>(operation: string, ctx: ReleaseContext, send: (abortSignal?: AbortSignal) => Promise<T>): Promise<T> {
  if (ctx.signal?.aborted) throw new ReleaseError(`SageMaker ${operation} was not sent: the release was interrupted`, 'ABORTED');
  try {
    return await send(ctx.signal);
  } catch (err) {
    throw releaseErrorOf(operation, err);
  }
}

/** The {@link ReleaseError} for a failed SageMaker call. */
export function releaseErrorOf(operation: string, err: unknown): ReleaseError {
  if (err instanceof ReleaseError) return err;
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const message = (e.message ?? String(err)).trim();
  const status = e.$metadata?.httpStatusCode;
  const attempts = e.$metadata?.attempts ?? 1;
  if (name === 'AbortError') return new ReleaseError(`SageMaker ${operation} was interrupted`, 'ABORTED', err);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new ReleaseError(
      `SageMaker ${operation}: no AWS credentials (${message}). Fix: run with credentials the AWS SDK finds (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, or a CI OIDC role).`,
      'CLOUD_CREDENTIALS',
      err,
    );
  }
  const tried = attempts > 1 ? ` after ${attempts} attempts` : '';
  const http = status !== undefined ? `HTTP ${status} ` : '';
  if (THROTTLING.has(name) || status === 429) {
    return new ReleaseError(`SageMaker ${operation} was throttled${tried} (${http}${name}): ${message}. Run the release again later.`, 'CLOUD_REQUEST_FAILED', err);
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new ReleaseError(`SageMaker ${operation} refused the request (${http}${name}): ${message}${hintFor(operation, name)}`, 'CLOUD_REQUEST_REFUSED', err);
  }
  return new ReleaseError(`SageMaker ${operation} failed${tried} (${http}${name}): ${message}`, 'CLOUD_REQUEST_FAILED', err);
}

function hintFor(operation: string, name: string): string {
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    const passRole = operation === 'CreateTrainingJob' ? ' and iam:PassRole on the workload identity (the role in the spec)' : '';
    return `. Fix: give the credentials running the release sagemaker:${operation}${passRole}.`;
  }
  if (name === 'ResourceLimitExceeded') return '. Fix: raise the SageMaker service quota for this instance type in the region, or pick a smaller size.';
  return '';
}
