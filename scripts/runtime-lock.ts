/**
 * Writes training-image/npm-shrinkwrap.json: the runtime package's own
 * lockfile, so that its Docker build context (which ships in the
 * @cdktf-mlops/runtime package) installs pinned dependencies without this
 * repository's root lockfile.
 *
 *   npm run lock:runtime      after changing training-image/package.json's dependencies
 *   (test/runtime-lock.test.ts fails when the two disagree)
 *
 * The versions are the ones the workspace uses today: the root
 * package-lock.json's tree (with the runtime workspace's own nested packages
 * in front) seeds a lockfile for training-image/package.json alone, and
 * `npm install --package-lock-only` prunes what the runtime does not use and
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

const WORKSPACE = 'training-image';
/** The fields of a package.json the lockfile's root entry records. */
const ROOT_FIELDS = ['name', 'version', 'license', 'dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines'];
/** Flags npm derives from the tree: recomputed for the runtime alone. */
const DERIVED_FLAGS = ['dev', 'optional', 'devOptional', 'peer', 'extraneous'];

/** The seed: the runtime's package.json as the root, the root lockfile's tree with the workspace's nested packages in front. */
export function seedLockfile(rootLock: Lockfile, runtimePkg: Record<string, unknown>): Lockfile {
  const packages: Record<string, LockEntry> = {};
  packages[''] = Object.fromEntries(ROOT_FIELDS.filter((f) => runtimePkg[f] !== undefined).map((f) => [f, runtimePkg[f]]));
  const strip = (entry: LockEntry): LockEntry => Object.fromEntries(Object.entries(entry).filter(([k]) => !DERIVED_FLAGS.includes(k))) as LockEntry;
  for (const [key, entry] of Object.entries(rootLock.packages)) {
    if (!key.startsWith('node_modules/') || entry.link || key.startsWith('node_modules/@cdktf-mlops/')) continue;
    packages[key] = strip(entry);
  }
  const nested = `${WORKSPACE}/node_modules/`;
  for (const [key, entry] of Object.entries(rootLock.packages)) {
    if (key.startsWith(nested) && !entry.link) packages[key.slice(WORKSPACE.length + 1)] = strip(entry);
  }
  return { name: runtimePkg.name as string, version: runtimePkg.version as string, lockfileVersion: 3, requires: true, packages };
}

function main(): void {
  const root = findProjectRoot(__dirname) ?? process.cwd();
  const runtimeDir = path.join(root, WORKSPACE);
  const runtimePkg = JSON.parse(fs.readFileSync(path.join(runtimeDir, 'package.json'), 'utf8'));
  const rootLock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lockfile;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-runtime-lock-'));
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify(runtimePkg, null, 2) + '\n');
    fs.writeFileSync(path.join(tmp, 'package-lock.json'), JSON.stringify(seedLockfile(rootLock, runtimePkg), null, 2) + '\n');
    const npm = spawnSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: tmp,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (npm.status !== 0) throw new Error(`npm install --package-lock-only failed in ${tmp}:\n${npm.stderr}`);
    const lock = fs.readFileSync(path.join(tmp, 'package-lock.json'), 'utf8');
    fs.writeFileSync(path.join(runtimeDir, 'npm-shrinkwrap.json'), lock);
    const count = Object.keys(JSON.parse(lock).packages).length - 1;
    console.log(`Wrote ${WORKSPACE}/npm-shrinkwrap.json: ${count} packages.`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) main();
