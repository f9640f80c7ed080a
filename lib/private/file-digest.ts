import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Content digests of local files, cached for the life of the process, so a
 * synth of several stacks reads and hashes the runtime image's build context
 * and the training data once, not once per stack; and kept between processes
 * in a small file, so the next synth of an unchanged tree hashes nothing.
 *
 * A cached digest is returned only while the file's identity and stats are
 * what they were when it was read: device, inode, size, mtime and ctime (the
 * kernel sets ctime on every write, chmod, rename or link, and it cannot be
 * set back). A file whose ctime is within {@link RACY_MS} of the read is not
 * cached at all: on a file system with coarse timestamps it could change again
 * within the same tick, at the same size, and keep the same stats.
 *
 * Between processes the same entries are kept in
 * `node_modules/.cache/cdktf-mlops/file-digests.json` under the working
 * directory (when it has a `node_modules`), or in the file named by the
 * environment variable `MLOPS_DIGEST_CACHE` (`off`: none): read on the first
 * digest, written when the process exits with the entries it used or made,
 * so it holds the last synth's files. An unreadable or malformed file is
 * ignored; one that cannot be written is not written.
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

/** The entries read from the file kept between processes (loaded on first use), and whether this process added any. */
let kept: Map<string, Entry> | undefined;
let changed = false;

/** The file digests are kept in between processes, or undefined. */
export function digestCacheFile(): string | undefined {
  const setting = process.env.MLOPS_DIGEST_CACHE;
  if (setting === 'off') return undefined;
  if (setting) return path.resolve(setting);
  const modules = path.resolve('node_modules');
  return fs.existsSync(modules) ? path.join(modules, '.cache', 'cdktf-mlops', 'file-digests.json') : undefined;
}

function isEntry(value: unknown): value is Entry & { key: string } {
  const e = value as Record<string, unknown> | null;
  return !!e && typeof e.key === 'string' && typeof e.digest === 'string' && (['dev', 'ino', 'size', 'mtimeMs', 'ctimeMs'] as const).every((k) => typeof e[k] === 'number');
}

function keptEntries(): Map<string, Entry> {
  if (kept) return kept;
  kept = new Map();
  const file = digestCacheFile();
  if (!file) return kept;
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown; entries?: unknown };
    if (json.version === 1 && Array.isArray(json.entries)) {
      for (const e of json.entries) if (isEntry(e)) kept.set(e.key, { dev: e.dev, ino: e.ino, size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, digest: e.digest });
    }
  } catch {
    // none yet, or not ours to read: start empty
  }
  process.once('exit', () => saveKept(file));
  return kept;
}

/** Writes the entries this process used or made (atomically: a reader never sees half a file). */
function saveKept(file: string): void {
  if (!changed && cache.size === kept?.size) return;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ version: 1, entries: [...cache].map(([key, e]) => ({ key, ...e })) }));
    fs.renameSync(tmp, file);
  } catch {
    // a read-only tree: the next process hashes again
  }
}

function sameFile(a: Omit<Entry, 'digest'>, b: fs.Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** The hex digest of a file's content; unchanged files are read once per process. */
export function fileDigest(file: string, algorithm: DigestAlgorithm): string {
  const abs = path.resolve(file);
  const key = `${algorithm}\0${abs}`;
  const before = fs.statSync(abs);
  const hit = cache.get(key) ?? keptEntries().get(key);
  if (hit && sameFile(hit, before)) {
    cache.set(key, hit);
    return hit.digest;
  }
  cache.delete(key);
  const digest = crypto.createHash(algorithm).update(fs.readFileSync(abs)).digest('hex');
  // Cached only if nothing touched the file while it was read, and its last change is not racy.
  const after = fs.statSync(abs);
  if (sameFile(before, after) && Date.now() - after.ctimeMs >= RACY_MS) {
    cache.set(key, { dev: after.dev, ino: after.ino, size: after.size, mtimeMs: after.mtimeMs, ctimeMs: after.ctimeMs, digest });
    changed = true;
  }
  return digest;
}
