/**
 * Writes the own lockfile (`npm-shrinkwrap.json`) of each package an image is
 * built from — training-image/ (@cdktf-mlops/runtime, the runtime image) and
 * release/ (@cdktf-mlops/release, the release image the Azure promoter runs) —
 * so that its Docker build context (which ships in the package) installs
 * pinned dependencies with `npm ci`, without this repository's root lockfile.
 *
 *   npm run lock:images       after changing the dependencies of training-image/package.json
 *                             or release/package.json (`npm run lock:runtime` is the same command)
 *   (test/image-locks.test.ts fails when a lockfile and its package.json or the workspace disagree)
 *
 * The versions are the ones the workspace uses today: the root
 * package-lock.json's tree (with the workspace's own nested packages in
 * front) seeds a lockfile for the workspace's package.json alone, and
 * `npm install --package-lock-only` prunes what the package does not use and
 * resolves anything missing. No install, no scripts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findProjectRoot } from '../lib/core/project';

type LockEntry = Record<string, unknown> & { link?: boolean };
interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** The workspaces an image is built from, each with its own `npm-shrinkwrap.json` (the one list; the test reads it). */
export const IMAGE_WORKSPACES = ['training-image', 'release'] as const;
/** A workspace an image is built from. */
export type ImageWorkspace = (typeof IMAGE_WORKSPACES)[number];
/** The lockfile's name in each of them (shipped in the package: npm packs npm-shrinkwrap.json, never package-lock.json). */
export const IMAGE_LOCKFILE = 'npm-shrinkwrap.json';
/** The fields of a package.json the lockfile's root entry records. */
const ROOT_FIELDS = ['name', 'version', 'license', 'dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines'];
/** Flags npm derives from the tree: recomputed for the package alone. */
const DERIVED_FLAGS = ['dev', 'optional', 'devOptional', 'peer', 'extraneous'];

/** The seed: the workspace's package.json as the root, the root lockfile's tree with the workspace's nested packages in front. */
export function seedLockfile(rootLock: Lockfile, workspace: string, pkg: Record<string, unknown>): Lockfile {
  const packages: Record<string, LockEntry> = {};
  packages[''] = Object.fromEntries(ROOT_FIELDS.filter((f) => pkg[f] !== undefined).map((f) => [f, pkg[f]]));
  const strip = (entry: LockEntry): LockEntry => Object.fromEntries(Object.entries(entry).filter(([k]) => !DERIVED_FLAGS.includes(k))) as LockEntry;
  for (const [key, entry] of Object.entries(rootLock.packages)) {
    if (!key.startsWith('node_modules/') || entry.link || key.startsWith('node_modules/@cdktf-mlops/')) continue;
    packages[key] = strip(entry);
  }
  const nested = `${workspace}/node_modules/`;
  for (const [key, entry] of Object.entries(rootLock.packages)) {
    if (key.startsWith(nested) && !entry.link) packages[key.slice(workspace.length + 1)] = strip(entry);
  }
  return { name: pkg.name as string, version: pkg.version as string, lockfileVersion: 3, requires: true, packages };
}

/** Writes `<workspace>/npm-shrinkwrap.json`; returns how many packages it pins. */
function writeLock(root: string, rootLock: Lockfile, workspace: ImageWorkspace): number {
  const dir = path.join(root, workspace);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-image-lock-'));
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
    fs.writeFileSync(path.join(tmp, 'package-lock.json'), JSON.stringify(seedLockfile(rootLock, workspace, pkg), null, 2) + '\n');
    const npm = spawnSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: tmp,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (npm.status !== 0) throw new Error(`npm install --package-lock-only for ${workspace}/package.json failed in ${tmp}:\n${npm.stderr}`);
    const lock = fs.readFileSync(path.join(tmp, 'package-lock.json'), 'utf8');
    fs.writeFileSync(path.join(dir, IMAGE_LOCKFILE), lock);
    return Object.keys(JSON.parse(lock).packages).length - 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function main(): void {
  const root = findProjectRoot(__dirname) ?? process.cwd();
  const rootLock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lockfile;
  for (const workspace of IMAGE_WORKSPACES) {
    console.log(`Wrote ${workspace}/${IMAGE_LOCKFILE}: ${writeLock(root, rootLock, workspace)} packages.`);
  }
}

if (require.main === module) main();
