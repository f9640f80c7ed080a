import * as fs from 'fs';
import * as path from 'path';
import { scratch } from './job';

/**
 * Writes a file atomically: a temporary sibling (`.<name>.tmp-<pid>-<ms>`,
 * announced to the job's supervisor, see core/job.ts), fsync, rename over the
 * target, fsync the folder. A reader, or a job stopped midway, never sees
 * half a file. `beforeRename` is a test hook.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array, beforeRename?: (tmp: string) => void): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}`);
  const releaseTmp = scratch(tmp);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      if (typeof content === 'string') fs.writeSync(fd, content);
      else fs.writeSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (beforeRename) beforeRename(tmp);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  } finally {
    releaseTmp();
  }
  fsyncPath(dir);
}

/** fsyncs a file or folder, so a write or a rename in it is durable (best effort where the platform refuses, e.g. folders on Windows). */
export function fsyncPath(p: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported on this platform */
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
