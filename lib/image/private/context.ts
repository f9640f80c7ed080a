import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileDigest } from '../../private/file-digest';

/**
 * The build context of the runtime image, read at synth time: the exact list
 * of files Docker is given, their content hash, and a staged copy that holds
 * only those files.
 */

/** Names skipped inside included folders (mirrors the runtime's `Dockerfile.dockerignore`: `**\/*.md`, `**\/.DS_Store`). */
const SKIPPED_NAMES = new Set(['.DS_Store', 'node_modules', 'dist', '.git']);
const SKIPPED_SUFFIXES = ['.md'];

/** One file of the build context. */
export interface ContextFile {
  /** Path relative to the context root, posix separators. */
  readonly rel: string;
  /** Absolute path on this machine. */
  readonly abs: string;
  /** Whether any execute bit is set (it is kept in the image, so it is part of the hash). */
  readonly executable: boolean;
  /** Size in bytes when listed. */
  readonly size: number;
}

function skipped(name: string): boolean {
  return SKIPPED_NAMES.has(name) || SKIPPED_SUFFIXES.some((s) => name.endsWith(s));
}

function toPosix(rel: string): string {
  return rel.split(path.sep).join('/');
}

/** Lists every file under `rel` (a file or a folder) in `contextDir`, depth first. */
function walk(contextDir: string, rel: string, out: Map<string, ContextFile>): void {
  const abs = path.join(contextDir, rel);
  const stat = fs.statSync(abs);
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(abs)) {
      if (!skipped(name)) walk(contextDir, path.join(rel, name), out);
    }
  } else if (stat.isFile()) {
    const posix = toPosix(path.normalize(rel));
    out.set(posix, { rel: posix, abs, executable: (stat.mode & 0o111) !== 0, size: stat.size });
  }
}

/**
 * The files of the build context: the Dockerfile, its ignore file (if any) and
 * everything under `include`, sorted by path. Paths must exist (checked by the caller).
 */
export function listContextFiles(contextDir: string, dockerfile: string, include: readonly string[]): ContextFile[] {
  const files = new Map<string, ContextFile>();
  for (const rel of [dockerfile, ...dockerignoreOf(contextDir, dockerfile), ...include]) walk(contextDir, rel, files);
  return [...files.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * The ignore file Docker applies for this Dockerfile: `<dockerfile>.dockerignore`
 * (BuildKit) if present, else `<context>/.dockerignore`; none if neither exists.
 */
export function dockerignoreOf(contextDir: string, dockerfile: string): string[] {
  for (const candidate of [`${dockerfile}.dockerignore`, '.dockerignore']) {
    if (fs.existsSync(path.join(contextDir, candidate))) return [candidate];
  }
  return [];
}

/**
 * The full sha256 (hex) of the context: for each file, sorted by path,
 * `<path> NUL <x|-> NUL <sha256 of content> LF`, preceded by the target platform
 * (the same files built for another platform are another image). A file's
 * content is read once per process while it is unchanged (`fileDigest`): the
 * stacks of one synth share the runtime package's context.
 */
export function hashContext(files: readonly ContextFile[], platform: string): string {
  const outer = crypto.createHash('sha256');
  outer.update(`platform=${platform}\n`);
  for (const file of files) {
    outer.update(`${file.rel}\0${file.executable ? 'x' : '-'}\0${fileDigest(file.abs, 'sha256')}\n`);
  }
  return outer.digest('hex');
}

/** Staged contexts unused for this long are removed when another one is staged. */
const STALE_MS = 7 * 24 * 3600 * 1000;
/**
 * The modification time of every staged file, 2000-01-01T00:00:00Z (in
 * seconds): the context Docker receives depends on the files' contents and
 * modes only, and a staged file written to later has another mtime.
 */
export const STAGED_MTIME = 946_684_800;

/**
 * Copies exactly `files` into a folder named by `fullHash` under the OS temp
 * dir and returns it; every copy gets the modification time {@link STAGED_MTIME}.
 * An existing folder for the same hash (from this project or another one with
 * the same files) is reused if it still holds exactly those files, each at its
 * size and execute bits and that mtime (temp cleaners may have removed some; an
 * edit through a hard link of a stack's assets would show in its mtime); a new
 * one is written to a scratch folder and renamed, so a concurrent synth never
 * sees half a context. Nothing writes to a staged folder after that, which is
 * what lets the stacks' assets hard-link its files. Folders unused for a week
 * are pruned.
 */
export function stageContext(files: readonly ContextFile[], fullHash: string): string {
  const root = stagingRoot();
  const target = path.join(root, fullHash);
  if (fs.existsSync(target)) {
    if (isComplete(target, files)) {
      const now = new Date();
      fs.utimesSync(target, now, now);
      return target;
    }
    fs.rmSync(target, { recursive: true, force: true });
  }
  const scratch = fs.mkdtempSync(path.join(root, `.${fullHash.slice(0, 16)}-`));
  for (const file of files) {
    const dest = path.join(scratch, ...file.rel.split('/'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(file.abs, dest);
    fs.chmodSync(dest, file.executable ? 0o755 : 0o644);
    fs.utimesSync(dest, STAGED_MTIME, STAGED_MTIME);
  }
  try {
    fs.renameSync(scratch, target);
  } catch (e) {
    // Another synth staged the same hash first: its copy is identical.
    fs.rmSync(scratch, { recursive: true, force: true });
    if (!fs.existsSync(target)) throw e;
  }
  pruneStale(root, target);
  return target;
}

/**
 * The folder staged contexts live in: `<tmp>/cdktf-mlops-image-context-<uid>`,
 * created with mode 0700 and used only while it is a real folder owned by
 * this user that no one else may write to. A staged folder is reused by its
 * files' sizes and modes, not their contents, so in a shared temp dir another
 * user must not be able to plant one; a folder that fails the check is not
 * used (the error says why and how to fix it).
 */
export function stagingRoot(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const root = path.join(os.tmpdir(), `cdktf-mlops-image-context${uid === undefined ? '' : `-${uid}`}`);
  try {
    fs.mkdirSync(root, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const stat = fs.lstatSync(root);
  const problem = !stat.isDirectory()
    ? 'is not a folder (a symbolic link or a file)'
    : uid !== undefined && stat.uid !== uid
      ? `belongs to user ${stat.uid}, not to you (${uid})`
      : uid !== undefined && (stat.mode & 0o022) !== 0
        ? `can be written by other users (mode ${(stat.mode & 0o777).toString(8)})`
        : undefined;
  if (problem)
    throw new Error(
      `The image build context staging folder ${root} ${problem}, so a context staged there could have been planted by someone else. Fix: remove it (rm -rf ${root}) and synthesize again.`,
    );
  return root;
}

function isComplete(dir: string, files: readonly ContextFile[]): boolean {
  try {
    if (countFiles(dir) !== files.length) return false;
    return files.every((f) => {
      const staged = fs.statSync(path.join(dir, ...f.rel.split('/')));
      return staged.size === f.size && staged.mtimeMs === STAGED_MTIME * 1000 && ((staged.mode & 0o111) !== 0) === f.executable;
    });
  } catch {
    return false;
  }
}

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) n += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  return n;
}

function pruneStale(root: string, keep: string): void {
  const cutoff = Date.now() - STALE_MS;
  for (const name of fs.readdirSync(root)) {
    const dir = path.join(root, name);
    try {
      if (dir !== keep && fs.statSync(dir).mtimeMs < cutoff) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Removed by a concurrent synth: nothing to do.
    }
  }
}

/**
 * The folder of the installed `@cdktf-mlops/runtime` package (resolved from
 * this module, the way Node resolves the package for it), or undefined when
 * it is not installed. In this repository it is the `training-image` workspace.
 */
export function runtimePackageDir(): string | undefined {
  try {
    return path.dirname(require.resolve('@cdktf-mlops/runtime/package.json'));
  } catch {
    return undefined;
  }
}
