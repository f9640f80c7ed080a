import type { TokenCredential } from '@azure/core-auth';
import { Pipeline, bearerTokenAuthenticationPolicy, createDefaultHttpClient, createHttpHeaders, createPipelineFromOptions, createPipelineRequest } from '@azure/core-rest-pipeline';
import { randomUUID } from 'crypto';
import { ReleaseError } from '../driver';
import { azureError } from './client';

/**
 * The few Blob and Queue data-plane calls the promoter makes (read and write a
 * file, take and give back a lease, receive and delete a queue message), through
 * `@azure/core-rest-pipeline` with a Microsoft Entra token for Storage.
 *
 * Why not `@azure/storage-blob` / `@azure/storage-queue`: their pipeline takes
 * no CA option (`httpClient` is the older core-http shape), so the promoter
 * could not honour the driver's `trustedCa` (a proxy with a private CA) nor be
 * tested against the loopback HTTPS server with TLS verified, as every other
 * call of this package is; and five REST calls do not need two more
 * packages. The REST shapes are the Storage services' (x-ms-version below).
 */

/** Storage REST version sent with every request (OAuth needs 2017-11-09 or later). */
export const STORAGE_API_VERSION = '2021-12-02';
/** Token scope of Azure Storage. */
export const STORAGE_SCOPE = 'https://storage.azure.com/.default';

/** A storage data-plane session. */
export interface StorageSession {
  readonly pipeline: Pipeline;
  readonly send: (method: string, url: string, headers?: Record<string, string>, body?: string) => Promise<{ status: number; headers: Record<string, string>; text: string }>;
}

/** Opens a storage session with the credential (and CA) of the ARM client. */
export function openStorage(
  credential: TokenCredential,
  options: { trustedCa?: string | readonly string[]; maxRetries?: number; retryDelayMs?: number; signal?: AbortSignal },
): StorageSession {
  const pipeline = createPipelineFromOptions({
    retryOptions: { maxRetries: options.maxRetries ?? 3, retryDelayInMs: options.retryDelayMs ?? 1000 },
    userAgentOptions: { userAgentPrefix: 'cdktf-mlops-release' },
    ...(options.trustedCa ? { tlsOptions: { ca: typeof options.trustedCa === 'string' ? options.trustedCa : [...options.trustedCa] } } : {}),
  });
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: STORAGE_SCOPE }));
  const client = createDefaultHttpClient();
  return {
    pipeline,
    send: async (method, url, headers = {}, body) => {
      const request = createPipelineRequest({
        url,
        method: method as 'GET',
        headers: createHttpHeaders({ 'x-ms-version': STORAGE_API_VERSION, ...headers }),
        body,
        abortSignal: options.signal,
      });
      const response = await pipeline.sendRequest(client, request);
      return { status: response.status, headers: response.headers.toJSON(), text: response.bodyAsText ?? '' };
    },
  };
}

function storageFailure(operation: string, r: { status: number; headers: Record<string, string>; text: string }): ReleaseError {
  const code = r.headers['x-ms-error-code'] ?? /<Code>([^<]*)<\/Code>/.exec(r.text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(r.text)?.[1]?.split('\n')[0] ?? `status ${r.status}`;
  // Storage says which of the two it is (the codes the Azure CLI tells apart, Azure/azure-cli#11345).
  const fix =
    r.status !== 403
      ? undefined
      : code === 'AuthorizationPermissionMismatch'
        ? 'Fix: the identity running this has no data role for it on the container: a blob write or a lease needs Storage Blob Data Contributor (a reader role cannot lease); the platform grants it to its deployers (config deployers:), its CI identity and the promoter.'
        : code === 'AuthorizationFailure'
          ? "Fix: the storage account's firewall refused the request's network: run from a range in network.allowedIpRanges (IP rules do not apply to requests from the account's own Azure region: use a subnet the account lets through, or a private endpoint), or, in private mode, from inside the network."
          : undefined;
  if (fix) return new ReleaseError(`${operation} failed (HTTP 403 ${code}): ${message}. ${fix}`, 'CLOUD_REQUEST_FAILED');
  return azureError(operation, Object.assign(new Error(message), { statusCode: r.status, code }));
}

async function call(s: StorageSession, operation: string, method: string, url: string, headers?: Record<string, string>, body?: string) {
  try {
    return await s.send(method, url, headers, body);
  } catch (err) {
    throw azureError(operation, err);
  }
}

/** The text of a blob, or `undefined` when it does not exist. */
export async function readBlob(s: StorageSession, url: string): Promise<string | undefined> {
  const r = await call(s, `read ${url}`, 'GET', url);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw storageFailure(`read ${url}`, r);
  return r.text;
}

/** Writes (creates or replaces) a block blob holding `text`. */
export async function writeBlob(s: StorageSession, url: string, text: string): Promise<void> {
  const r = await call(
    s,
    `write ${url}`,
    'PUT',
    url,
    { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
    text,
  );
  if (r.status !== 201) throw storageFailure(`write ${url}`, r);
}

/** Lease length, seconds (Azure allows 15-60, or infinite): renewed while held, so a crashed holder frees it within a minute. */
export const LEASE_SECONDS = 60;

/** A lease held on a blob. */
export interface BlobLease {
  readonly url: string;
  readonly id: string;
}

/**
 * Takes a lease on the blob at `url`, creating the (empty) blob first when it
 * does not exist. Resolves to the lease, or `undefined` when another holder
 * has it (409 LeaseAlreadyPresent).
 */
export async function acquireLease(s: StorageSession, url: string): Promise<BlobLease | undefined> {
  const proposed = randomUUID();
  const acquire = () =>
    call(s, `take the lease on ${url}`, 'PUT', `${url}?comp=lease`, {
      'x-ms-lease-action': 'acquire',
      'x-ms-lease-duration': String(LEASE_SECONDS),
      'x-ms-proposed-lease-id': proposed,
    });
  let r = await acquire();
  if (r.status === 404) {
    // The lease blob is created once; If-None-Match: * leaves one another promoter created in between alone.
    const created = await call(s, `create ${url}`, 'PUT', url, { 'x-ms-blob-type': 'BlockBlob', 'if-none-match': '*', 'content-length': '0' }, '');
    if (created.status !== 201 && created.status !== 409 && created.status !== 412) throw storageFailure(`create ${url}`, created);
    r = await acquire();
  }
  if (r.status === 409) return undefined;
  if (r.status !== 201 && r.status !== 200) throw storageFailure(`take the lease on ${url}`, r);
  return { url, id: r.headers['x-ms-lease-id'] ?? proposed };
}

/** Renews a lease (before it expires). */
export async function renewLease(s: StorageSession, lease: BlobLease): Promise<void> {
  const r = await call(s, `renew the lease on ${lease.url}`, 'PUT', `${lease.url}?comp=lease`, { 'x-ms-lease-action': 'renew', 'x-ms-lease-id': lease.id });
  if (r.status !== 200) throw storageFailure(`renew the lease on ${lease.url}`, r);
}

/** Gives a lease back. */
export async function releaseLease(s: StorageSession, lease: BlobLease): Promise<void> {
  const r = await call(s, `release the lease on ${lease.url}`, 'PUT', `${lease.url}?comp=lease`, { 'x-ms-lease-action': 'release', 'x-ms-lease-id': lease.id });
  if (r.status !== 200) throw storageFailure(`release the lease on ${lease.url}`, r);
}

/** One queue message, received (invisible to others until deleted or its visibility timeout passes). */
export interface QueueMessage {
  readonly id: string;
  readonly popReceipt: string;
  readonly text: string;
  readonly dequeueCount: number;
}

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!m) return undefined;
  return m[1]!
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-fA-F]+);/g, (_m, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_m, d) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

/** Receives one message from the queue (Get Messages, numofmessages=1), or `undefined` when it is empty. */
export async function receiveMessage(s: StorageSession, queueUrl: string, visibilitySeconds: number): Promise<QueueMessage | undefined> {
  const url = `${queueUrl}/messages?numofmessages=1&visibilitytimeout=${visibilitySeconds}`;
  const r = await call(s, `receive a message from ${queueUrl}`, 'GET', url);
  if (r.status !== 200) throw storageFailure(`receive a message from ${queueUrl}`, r);
  const message = /<QueueMessage>([\s\S]*?)<\/QueueMessage>/.exec(r.text)?.[1];
  if (!message) return undefined;
  const id = xmlText(message, 'MessageId');
  const popReceipt = xmlText(message, 'PopReceipt');
  if (!id || !popReceipt) throw new ReleaseError(`The queue ${queueUrl} answered a message without MessageId or PopReceipt: ${message.slice(0, 200)}`, 'BAD_QUEUE_MESSAGE');
  return { id, popReceipt, text: xmlText(message, 'MessageText') ?? '', dequeueCount: Number(xmlText(message, 'DequeueCount') ?? '1') };
}

/** Deletes a received message. */
export async function deleteMessage(s: StorageSession, queueUrl: string, m: QueueMessage): Promise<void> {
  const url = `${queueUrl}/messages/${encodeURIComponent(m.id)}?popreceipt=${encodeURIComponent(m.popReceipt)}`;
  const r = await call(s, `delete message ${m.id} from ${queueUrl}`, 'DELETE', url);
  if (r.status !== 204 && r.status !== 404) throw storageFailure(`delete message ${m.id} from ${queueUrl}`, r);
}
