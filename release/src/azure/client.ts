import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { ReleaseContext, ReleaseError } from '../driver';
import { releaseCredential } from './credential';

/** The Azure Resource Manager endpoint of the public cloud. */
export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';
/** Environment variable that points the driver at another ARM endpoint (a sovereign cloud, or a test server). */
export const ARM_ENDPOINT_ENV = 'MLOPS_AZURE_ARM_ENDPOINT';
/** api-version of Microsoft.Insights/autoscalesettings (online deployment autoscaling). */
export const AUTOSCALE_API_VERSION = '2022-10-01';

/** Options of {@link createAzureDriver}; all optional, production uses none. */
export interface AzureDriverOptions {
  /**
   * @default - in a GitHub Actions job with `id-token: write`, a `ClientAssertionCredential`
   * that fetches a fresh GitHub OIDC token whenever it needs one (see `releaseCredential`);
   * else `DefaultAzureCredential` (environment, workload identity, managed identity, Azure CLI, …)
   */
  readonly credential?: TokenCredential;
  /** ARM endpoint. @default - MLOPS_AZURE_ARM_ENDPOINT, else https://management.azure.com */
  readonly endpoint?: string;
  /**
   * Milliseconds between polls: of long-running operations (the SDK's pollers,
   * `updateIntervalInMs`) and of training job status (through `ReleaseContext.sleep`).
   * @default - the SDK's default for operations (2 s), 30 s for job status
   */
  readonly pollIntervalMs?: number;
  /** First retry delay of the SDK's retry policy (429 without Retry-After, 5xx). @default 1000 */
  readonly retryDelayMs?: number;
  /** Retries of the SDK's retry policy. @default 3 */
  readonly maxRetries?: number;
  /** Milliseconds between renewals of a held rollout lease (lease.ts). @default 40000 */
  readonly leaseRenewMs?: number;
  /**
   * CA certificates (PEM) the ARM endpoint's (and the sign-in endpoint's)
   * certificate must chain to, instead of the public ones: a proxy with a
   * private CA, or a loopback test server.
   * TLS verification stays on.
   * @default - the public CAs Node.js trusts
   */
  readonly trustedCa?: string | readonly string[];
}

/** One Azure client per run, with what every call needs. */
export interface AzureSession {
  readonly client: AzureMachineLearningWorkspaces;
  readonly endpoint: string;
  readonly subscriptionId: string;
  readonly ctx: ReleaseContext;
  /** For the SDK's `begin…AndWait` pollers. */
  readonly lro: { updateIntervalInMs?: number; abortSignal?: AbortSignal };
  /** For plain calls. */
  readonly call: { abortSignal?: AbortSignal };
  /** Milliseconds between job status polls. */
  readonly jobPollMs: number;
  /** Milliseconds between renewals of a held rollout lease (default: lease.ts's LEASE_RENEW_MS). */
  readonly leaseRenewMs?: number;
}

/** Opens a session for a subscription. */
export function openSession(options: AzureDriverOptions, subscriptionId: string, ctx: ReleaseContext): AzureSession {
  const endpoint = (options.endpoint ?? ctx.env[ARM_ENDPOINT_ENV] ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, '');
  if (!/^https:\/\/[^/\s]+$/.test(endpoint)) {
    throw new ReleaseError(
      `The ARM endpoint ${JSON.stringify(endpoint)} is not an https:// origin. Fix: unset ${ARM_ENDPOINT_ENV}, or set it to e.g. https://management.usgovcloudapi.net.`,
      'BAD_ENDPOINT',
    );
  }
  const credential = options.credential ?? releaseCredential(ctx.env, { trustedCa: options.trustedCa });
  const client = new AzureMachineLearningWorkspaces(credential, subscriptionId, {
    endpoint,
    // Tokens for the management API of the cloud the endpoint belongs to.
    credentialScopes: [`${endpoint}/.default`],
    retryOptions: { retryDelayInMs: options.retryDelayMs ?? 1000, maxRetries: options.maxRetries ?? 3 },
    userAgentOptions: { userAgentPrefix: 'cdktf-mlops-release' },
    ...(options.trustedCa ? { tlsOptions: { ca: typeof options.trustedCa === 'string' ? options.trustedCa : [...options.trustedCa] } } : {}),
  });
  const abortSignal = ctx.signal;
  return {
    client,
    endpoint,
    subscriptionId,
    ctx,
    lro: { updateIntervalInMs: options.pollIntervalMs, abortSignal },
    call: { abortSignal },
    jobPollMs: options.pollIntervalMs ?? 30_000,
    leaseRenewMs: options.leaseRenewMs,
  };
}

/** The HTTP status of an SDK error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A clear {@link ReleaseError} for a failed Azure call: the operation, the status and Azure's own message. */
export function azureError(operation: string, err: unknown): ReleaseError {
  if (err instanceof ReleaseError) return err;
  const status = statusOf(err);
  const code = (err as { code?: unknown })?.code;
  const message = (err as Error)?.message ?? String(err);
  const hint =
    status === 401
      ? ' Fix: sign in (az login, a managed identity, or GitHub OIDC with azure/login) so DefaultAzureCredential finds a credential for this tenant.'
      : status === 403
        ? ' Fix: give the identity running the release a role on the workspace that allows this (e.g. "AzureML Data Scientist"), or ask an owner to.'
        : '';
  const what = [status !== undefined ? `HTTP ${status}` : undefined, typeof code === 'string' && code ? code : undefined].filter(Boolean).join(' ');
  return new ReleaseError(`${operation} failed${what ? ` (${what})` : ''}: ${message}${hint}`, 'CLOUD_REQUEST_FAILED', err);
}

/** Runs an SDK call, turning its failure into {@link azureError}. */
export async function attempt<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw azureError(operation, err);
  }
}

/** Like {@link attempt}, but a 404 resolves to `undefined`. */
export async function getIfExists<T>(operation: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw azureError(operation, err);
  }
}

/** Every item of a paged list; a 404 (no container yet) is an empty list. */
export async function listAll<T>(operation: string, iterator: () => AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  try {
    for await (const item of iterator()) items.push(item);
  } catch (err) {
    if (statusOf(err) === 404) return [];
    throw azureError(operation, err);
  }
  return items;
}

/**
 * A plain ARM request through the client's pipeline (its credential, retry
 * policy and user agent), for resource types outside Microsoft.MachineLearningServices.
 * Resolves to the parsed body, or `undefined` for 404 when `allow404`.
 */
export async function armRequest(
  session: AzureSession,
  operation: string,
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  apiVersion: string,
  body?: unknown,
  allow404 = false,
): Promise<Record<string, unknown> | undefined> {
  const request = createPipelineRequest({
    url: `${session.endpoint}${path}?api-version=${encodeURIComponent(apiVersion)}`,
    method,
    headers: createHttpHeaders({ accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }),
    body: body === undefined ? undefined : JSON.stringify(body),
    abortSignal: session.ctx.signal,
  });
  let status: number;
  let text: string | undefined;
  try {
    const response = await session.client.sendRequest(request);
    status = response.status;
    text = response.bodyAsText ?? undefined;
  } catch (err) {
    throw azureError(operation, err);
  }
  if (status === 404 && allow404) return undefined;
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300) return parsed ?? {};
  const error = (parsed?.error ?? {}) as { code?: string; message?: string };
  throw azureError(operation, Object.assign(new Error(error.message ?? text ?? `status ${status}`), { statusCode: status, code: error.code }));
}
