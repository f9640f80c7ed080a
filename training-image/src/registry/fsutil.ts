import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Writes a file atomically: temp file in the same directory, fsync, rename over the target, fsync the directory. `beforeRename` is a test hook. */
export function writeFileAtomic(file: string, content: string, beforeRename?: (tmp: string) => void): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    if (beforeRename) beforeRename(tmp);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/** fsyncs a directory so a rename in it is durable (best effort where the platform refuses). */
export function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported on this platform */
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** sha256 of a file, or of a directory (sorted relative paths and file hashes, dot-temp files excluded). */
export function hashPath(p: string): string {
  const st = fs.statSync(p);
  if (st.isFile()) return createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  const h = createHash('sha256');
  const walk = (d: string, rel: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      if (name.startsWith('.') && name.includes('.tmp-')) continue;
      const full = path.join(d, name), r = rel ? `${rel}/${name}` : name;
      const s = fs.statSync(full);
      if (s.isDirectory()) walk(full, r);
      else h.update(`${r}\0${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}\n`);
    }
  };
  walk(p, '');
  return h.digest('hex');
}

/** Copies a directory recursively. */
export function copyDir(src: string, dest: string): void {
  fs.cpSync(src, dest, { recursive: true, errorOnExist: true, force: false });
}

/** Blocks the thread for `ms` (test hooks only). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
