/** File-system errors in words, for messages: the runtime never shows a raw errno message. */
import { showPath } from './text';

/** Why a file could not be read or written, in words (never the raw errno text). */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'EROFS':
      return 'the file system is read-only (EROFS)';
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC)';
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files (${code})`;
    case 'ENAMETOOLONG':
      return 'the path is too long (ENAMETOOLONG)';
    case 'ELOOP':
      return 'too many symbolic links (ELOOP)';
    default:
      return code ? `error ${code}` : 'unknown error';
  }
}

/** True for an error thrown by a Node.js system call (it has an errno `code` and a `syscall`). */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  const x = e as NodeJS.ErrnoException | null;
  return !!x && typeof x === 'object' && typeof x.code === 'string' && typeof x.syscall === 'string';
}

const VERB: Readonly<Record<string, string>> = {
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'replace',
  mkdir: 'create the folder',
  mkdtemp: 'create a temporary folder in',
  rmdir: 'remove',
  unlink: 'remove',
  scandir: 'list',
  stat: 'read',
  lstat: 'read',
  copyfile: 'copy',
  realpath: 'resolve',
};

/** A system error as one sentence naming the operation, the path(s) (cut) and the reason in words, e.g. `cannot write 'out.csv': permission denied (EACCES)`. */
export function describeSystemError(e: NodeJS.ErrnoException & { dest?: string }): string {
  const verb = Object.hasOwn(VERB, e.syscall ?? '') ? VERB[e.syscall!]! : (e.syscall ?? 'use');
  const where = e.path ? ` '${showPath(e.path)}'${e.dest ? ` (to '${showPath(e.dest)}')` : ''}` : '';
  return `cannot ${verb}${where}: ${fsReason(e)}`;
}
