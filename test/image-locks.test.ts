/**
 * The own lockfiles of the packages an image is built from (IMAGE_WORKSPACES of
 * scripts/image-locks.ts): training-image/npm-shrinkwrap.json (the runtime
 * image) and release/npm-shrinkwrap.json (the release image of the Azure
 * promoter). With them the images' Docker build contexts (shipped in
 * @cdktf-mlops/runtime and @cdktf-mlops/release) install with `npm ci`, without
 * this repository. Each must describe its package.json and pin the same
 * versions the workspace runs its tests with.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IMAGE_LOCKFILE, IMAGE_WORKSPACES } from '../scripts/image-locks';

const ROOT = path.join(__dirname, '..');
const read = (rel: string): any => JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8'));

/** What the Dockerfile's build stage runs the compiler with, besides the production dependencies. */
const BUILD_STAGE = ['typescript', '@types/node'];

describe.each(IMAGE_WORKSPACES)('the lockfile of %s (npm-shrinkwrap.json)', (workspace) => {
  const FIX = `Fix: run \`npm run lock:images\` (after \`npm install\`) and commit ${workspace}/${IMAGE_LOCKFILE}.`;
  const pkg = read(`${workspace}/package.json`);
  const shrinkwrap = read(`${workspace}/${IMAGE_LOCKFILE}`);
  const rootLock = read('package-lock.json');

  test(`records ${workspace}/package.json: name, version and every dependency range (what \`npm ci\` checks)`, () => {
    const root = shrinkwrap.packages[''];
    for (const field of ['name', 'version', 'dependencies', 'devDependencies', 'peerDependencies', 'peerDependenciesMeta']) {
      if (JSON.stringify(root[field]) !== JSON.stringify(pkg[field])) throw new Error(`${workspace}/${IMAGE_LOCKFILE}'s ${field} differs from ${workspace}/package.json's. ${FIX}`);
    }
    expect(shrinkwrap.lockfileVersion).toBe(3);
  });

  test('pins the versions the workspace uses (the root package-lock.json), and nothing of this repository', () => {
    const drift: string[] = [];
    for (const [key, entry] of Object.entries<any>(shrinkwrap.packages)) {
      if (key === '') continue;
      expect(entry.link).toBeUndefined();
      const inRoot = rootLock.packages[`${workspace}/${key}`] ?? rootLock.packages[key];
      if (!inRoot || inRoot.version !== entry.version) drift.push(`${key}: ${entry.version} (workspace: ${inRoot?.version ?? 'none'})`);
    }
    if (drift.length > 0) throw new Error(`${workspace}/${IMAGE_LOCKFILE} differs from the workspace:\n  ${drift.join('\n  ')}\n${FIX}`);
    expect(Object.keys(shrinkwrap.packages).filter((k) => k.includes('@cdktf-mlops/'))).toEqual([]);
  });

  test("covers every production dependency and the build stage's compiler, which package.json declares", () => {
    for (const dep of [...Object.keys(pkg.dependencies), ...BUILD_STAGE])
      expect({ dep, locked: shrinkwrap.packages[`node_modules/${dep}`] !== undefined }).toEqual({ dep, locked: true });
    // `npm ci` installs what package.json declares: the compiler must be a (dev) dependency of the package, not only of the repository.
    for (const dep of BUILD_STAGE) expect({ dep, declared: Boolean(pkg.devDependencies?.[dep] ?? pkg.dependencies?.[dep]) }).toEqual({ dep, declared: true });
  });

  test('ships in the package and in the image build context (its Dockerfile installs with npm ci from it)', () => {
    expect(pkg.files).toContain(IMAGE_LOCKFILE);
    const dockerfile = fs.readFileSync(path.join(ROOT, workspace, 'Dockerfile'), 'utf8');
    expect(dockerfile).not.toMatch(/npm install(?! --package-lock-only)/);
    expect(dockerfile.match(/^COPY package\.json npm-shrinkwrap\.json \.\/$/gm)).toHaveLength(2);
    expect(dockerfile.match(/^RUN npm ci /gm)).toHaveLength(2);
    expect(fs.readFileSync(path.join(ROOT, workspace, 'Dockerfile.dockerignore'), 'utf8').split('\n')).toContain(`!${IMAGE_LOCKFILE}`);
  });
});
