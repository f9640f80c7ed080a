import * as fs from 'fs';
import * as path from 'path';

/**
 * Comparing paths the way the file system sees them, for the checks that an
 * output is not one of a command's or a step's inputs (`mlops predict --out`,
 * the pipeline's predict step).
 */

/** The real path of `p`: symbolic links followed, also for a path that does not exist yet (a dangling link is followed to its target). */
export function realPath(p: string, depth = 0): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    /* does not exist (yet), or a dangling link */
  }
  if (depth < 40) {
    try {
      if (fs.lstatSync(abs).isSymbolicLink()) return realPath(path.resolve(path.dirname(abs), fs.readlinkSync(abs)), depth + 1);
    } catch {
      /* not there at all */
    }
  }
  const parent = path.dirname(abs);
  return parent === abs ? abs : path.join(realPath(parent, depth + 1), path.basename(abs));
}

/** fs.statSync, or null when the path does not exist or cannot be read. */
export function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/** True when two real paths are the same file: equal, or the same device and inode (a hard link). */
export function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  const sa = statOrNull(a),
    sb = statOrNull(b);
  return !!sa && !!sb && sa.dev === sb.dev && sa.ino === sb.ino;
}

/** True when `child` is `parent` or lies below it (both resolved paths). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
