import * as fs from 'fs';
import * as path from 'path';

/** Version of the model-directory layout; bumped on incompatible changes. */
export const SCHEMA_VERSION = 1;

let cached: string | null = null;

/** The runtime version, read from the runtime package's package.json. */
export function runtimeVersion(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) {
      const pkg = JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@cdktf-mlops/runtime' && pkg.version) return (cached = pkg.version);
    }
    dir = path.dirname(dir);
  }
  return (cached = '0.0.0');
}

/**
 * Whether a model saved by runtime `saved` can be loaded by runtime `current`:
 * same major version (for 0.x, same minor), and not newer than the runtime.
 */
export function compatible(saved: string, current: string): boolean {
  const a = saved.split('.').map(Number),
    b = current.split('.').map(Number);
  if (a.length < 3 || a.some((x) => !Number.isInteger(x))) return false;
  if (a[0] !== b[0]) return false;
  if (a[0] === 0 && a[1] !== b[1]) return false;
  for (let i = 0; i < 3; i++) {
    if (a[i]! < b[i]!) return true;
    if (a[i]! > b[i]!) return false;
  }
  return true;
}
