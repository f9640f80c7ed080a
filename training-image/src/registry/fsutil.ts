import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Re-exported for callers that import it from here; its home is core/atomic.ts. */
export { writeFileAtomic } from '../core/atomic';

/** sha256 of a file, or of a directory (sorted relative paths and file hashes, dot-temp files excluded). */
export function hashPath(p: string): string {
  const st = fs.statSync(p);
  if (st.isFile()) return createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  const h = createHash('sha256');
  const walk = (d: string, rel: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      if (name.startsWith('.') && name.includes('.tmp-')) continue;
      const full = path.join(d, name),
        r = rel ? `${rel}/${name}` : name;
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
