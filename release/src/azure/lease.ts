import { ReleaseError } from '../driver';
import type { AzureSession } from './client';
import { BlobLease, LEASE_SECONDS, StorageSession, acquireLease, releaseLease, renewLease } from './storage';

/**
 * The rollout lease: one blob lease in the artifact store that every rollout to
 * an endpoint fed by a pipeline promoter holds while it changes the endpoint —
 * the promoter's (`mlops-release promote`, promote.ts) and cdktf deploy's own
 * endpoint step (`apply`/`destroy` of an endpoint spec with
 * `azure.endpoint.lease`, index.ts). One holder at a time: two overlapping
 * rollouts cannot both change the endpoint's deployments and traffic.
 *
 * The lease lasts {@link LEASE_SECONDS} and is renewed every
 * {@link LEASE_RENEW_MS} while held, so a holder that dies frees it within a
 * minute; it is released in every outcome (done, failed, rolled back).
 */

/** How long apart a lease another holder has is tried again. */
export const LEASE_RETRY_MS = 30_000;
/** How often a held lease is renewed: well within its {@link LEASE_SECONDS}. */
export const LEASE_RENEW_MS = 40_000;

/** Where a rollout lease is: the blob `<registryPrefix>registry/<model>/.promote-lease` of the pipeline's registry folder. */
export interface LeaseLocation {
  /** Blob service endpoint of the artifact store's account (`https://<account>.blob.core.windows.net`). */
  readonly blobEndpoint: string;
  /** The artifact store's container. */
  readonly container: string;
  /** The blob's path in the container ({@link leaseBlobPath}). */
  readonly path: string;
}

/** The lease blob of a pipeline registry's model: the one name the promoter and cdktf deploy's endpoint step both lease. */
export function leaseBlobPath(registryPrefix: string, model: string): string {
  return `${registryPrefix}registry/${model}/.promote-lease`;
}

/** The URL of a blob in a container (each path segment encoded). */
export function blobUrl(blobEndpoint: string, container: string, path: string): string {
  return `${blobEndpoint}/${container}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** How a holder waits for the lease, and what it says when it gives up. */
export interface LeaseWait {
  /** Tries at most this often, {@link LEASE_RETRY_MS} apart. */
  readonly attempts: number;
  /** Who wants the lease, for the progress lines: e.g. `the promotion of run r-7`. */
  readonly who: string;
  /** The whole error message when it gives up (code `LEASE_HELD`), given how long it waited. */
  readonly heldError: (waitedMs: number) => string;
}

/** Takes the lease, waiting {@link LEASE_RETRY_MS} between attempts while another holder has it; throws `LEASE_HELD` after `wait.attempts`. */
export async function takeLease(s: AzureSession, storage: StorageSession, at: LeaseLocation, wait: LeaseWait): Promise<BlobLease> {
  const url = blobUrl(at.blobEndpoint, at.container, at.path);
  for (let attempt = 1; ; attempt++) {
    const lease = await acquireLease(storage, url);
    if (lease) return lease;
    const waited = (attempt - 1) * LEASE_RETRY_MS;
    if (attempt >= wait.attempts) throw new ReleaseError(wait.heldError(waited), 'LEASE_HELD');
    s.ctx.log.info(
      `the rollout lease on ${at.container}/${at.path} is held by another rollout; ${wait.who} waits ${LEASE_RETRY_MS / 1000} s ` +
        `(attempt ${attempt} of ${wait.attempts}, waited ${minutes(waited)} of at most ${minutes((wait.attempts - 1) * LEASE_RETRY_MS)})`,
    );
    await s.ctx.sleep(LEASE_RETRY_MS);
  }
}

/** Attempts that wait at least `ms` for a holder to finish (the last attempt comes after `ms`). */
export function attemptsFor(ms: number): number {
  return Math.ceil(ms / LEASE_RETRY_MS) + 1;
}

/** A wait for a person: `30 s`, `1.5 min`. */
export function minutes(ms: number): string {
  return ms < 60_000 ? `${ms / 1000} s` : `${Math.round(ms / 6000) / 10} min`;
}

/**
 * Runs `work` under the lease: takes it (waiting as `wait` says), renews it
 * every {@link LEASE_RENEW_MS} (`s.leaseRenewMs`) while `work` runs, and gives
 * it back however `work` ends. A renewal that failed makes a successful `work`
 * fail with `LEASE_LOST` (another holder may have taken the lease after it
 * expired); a release that fails is a warning (the lease expires by itself).
 */
export async function withLease<T>(s: AzureSession, storage: StorageSession, at: LeaseLocation, wait: LeaseWait, work: (lease: BlobLease) => Promise<T>): Promise<T> {
  const lease = await takeLease(s, storage, at, wait);
  let renewError: unknown;
  // One renewal at a time (a slow one is not overtaken by the next).
  let renewing: Promise<void> | undefined;
  const renewal = setInterval(() => {
    renewing ??= renewLease(storage, lease)
      .catch((err) => {
        renewError ??= err;
      })
      .finally(() => {
        renewing = undefined;
      });
  }, s.leaseRenewMs ?? LEASE_RENEW_MS);
  renewal.unref();
  try {
    const result = await work(lease);
    if (renewError) {
      throw new ReleaseError(
        `The rollout lease on ${at.container}/${at.path} could not be renewed while ${wait.who} ran (${(renewError as Error).message}): it may have expired and another rollout may have changed the endpoint meanwhile. ` +
          `Fix: check the endpoint's traffic and deployments (az ml online-endpoint show), then run the step again; it changes nothing that is already in place.`,
        'LEASE_LOST',
        renewError,
      );
    }
    return result;
  } finally {
    clearInterval(renewal);
    // A renewal under way goes first: the release is the last request on the lease.
    await renewing;
    await releaseLease(storage, lease).catch((err) =>
      s.ctx.log.warn(`could not release the rollout lease on ${at.container}/${at.path}: ${(err as Error).message} (it expires within ${LEASE_SECONDS} s)`),
    );
  }
}
