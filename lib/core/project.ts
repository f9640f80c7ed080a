import * as fs from 'fs';
import * as path from 'path';

/** The nearest folder at or above `start` that holds `cdktf.json`, or undefined. */
export function findProjectRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'cdktf.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
