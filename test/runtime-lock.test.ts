/**
 * training-image/npm-shrinkwrap.json: the runtime package's own lockfile, with
 * which its Docker build context (shipped in @cdktf-mlops/runtime) installs
 * without this repository. It must describe training-image/package.json and
 * pin the same versions the workspace runs its tests with.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const read = (rel: string): any => JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8'));
const FIX = 'Fix: run `npm run lock:runtime` (after `npm install`) and commit training-image/npm-shrinkwrap.json.';

describe('the runtime package lockfile (training-image/npm-shrinkwrap.json)', () => {
  const pkg = read('training-image/package.json');
  const shrinkwrap = read('training-image/npm-shrinkwrap.json');
  const rootLock = read('package-lock.json');

  test('records training-image/package.json: name, version and every dependency range (what `npm ci` checks)', () => {
    const root = shrinkwrap.packages[''];
    for (const field of ['name', 'version', 'dependencies', 'devDependencies', 'peerDependencies', 'peerDependenciesMeta']) {
      if (JSON.stringify(root[field]) !== JSON.stringify(pkg[field])) throw new Error(`npm-shrinkwrap.json's ${field} differs from training-image/package.json's. ${FIX}`);
    }
    expect(shrinkwrap.lockfileVersion).toBe(3);
  });

  test('pins the versions the workspace uses (the root package-lock.json), and nothing of this repository', () => {
    const drift: string[] = [];
    for (const [key, entry] of Object.entries<any>(shrinkwrap.packages)) {
      if (key === '') continue;
      expect(entry.link).toBeUndefined();
      const inRoot = rootLock.packages[`training-image/${key}`] ?? rootLock.packages[key];
      if (!inRoot || inRoot.version !== entry.version) drift.push(`${key}: ${entry.version} (workspace: ${inRoot?.version ?? 'none'})`);
    }
    if (drift.length > 0) throw new Error(`npm-shrinkwrap.json differs from the workspace:\n  ${drift.join('\n  ')}\n${FIX}`);
    expect(Object.keys(shrinkwrap.packages).filter((k) => k.includes('@cdktf-mlops/'))).toEqual([]);
  });

  test("covers every production dependency and the build stage's compiler", () => {
    for (const dep of [...Object.keys(pkg.dependencies), 'typescript', '@types/node']) expect(shrinkwrap.packages[`node_modules/${dep}`]).toBeDefined();
  });
});
