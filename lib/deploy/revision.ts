import { createHash } from 'crypto';
import { RELEASE_REVISION_LENGTH } from '../core/release';

/** Canonical JSON: object keys sorted, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The release revision: 12 hex characters of a sha256 over the image's content
 * hash and the release config — known at synth, so names derived from it
 * (job names, model locations, version labels) are too.
 */
export function releaseRevision(imageContentHash: string, config: unknown): string {
  return createHash('sha256').update(imageContentHash).update('\0').update(canonicalJson(config)).digest('hex').slice(0, RELEASE_REVISION_LENGTH);
}
