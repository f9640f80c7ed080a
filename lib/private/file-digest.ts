import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Content digests of local files, cached for the life of the process, so a
 * synth of several stacks reads and hashes the runtime image's build context
 * and the training data once, not once per stack.
 *
 * A cached digest is returned only while the file's identity and stats are
 * what they were when it was read: device, inode, size, mtime and ctime (the
 * kernel sets ctime on every write, chmod, rename or link, and it cannot be
 * set back). A file whose ctime is within {@link RACY_MS} of the read is not
 * cached at all: on a file system with coarse timestamps it could change again
 * within the same tick, at the same size, and keep the same stats.
 */

/** How long after its last change a file's digest may be cached (FAT keeps mtime in 2-second steps). */
export const RACY_MS = 2000;

/** The digests `fileDigest` computes. */
export type DigestAlgorithm = 'sha256' | 'md5';

interface Entry {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly digest: string;
}

const cache = new Map<string, Entry>();

function sameFile(a: Omit<Entry, 'digest'>, b: fs.Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** The hex digest of a file's content; unchanged files are read once per process. */
export function fileDigest(file: string, algorithm: DigestAlgorithm): string {
  const abs = path.resolve(file);
  const key = `${algorithm}\0${abs}`;
  const before = fs.statSync(abs);
  const hit = cache.get(key);
  if (hit && sameFile(hit, before)) return hit.digest;
  cache.delete(key);
  const digest = crypto.createHash(algorithm).update(fs.readFileSync(abs)).digest('hex');
  // Cached only if nothing touched the file while it was read, and its last change is not racy.
  const after = fs.statSync(abs);
  if (sameFile(before, after) && Date.now() - after.ctimeMs >= RACY_MS) {
    cache.set(key, { dev: after.dev, ino: after.ino, size: after.size, mtimeMs: after.mtimeMs, ctimeMs: after.ctimeMs, digest });
  }
  return digest;
}
