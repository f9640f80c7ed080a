import * as fs from 'fs';
import * as path from 'path';
import { Cloud } from '../core/cloud';
import { ErrorCode, MlopsValidationError } from '../core/errors';

/**
 * The optional peer dependencies of this package, and a check that names the
 * one to install. A consumer installs the provider package of its own cloud
 * only; importing a cloud (or building a stack of a cloud) whose provider
 * package is missing fails here with the `npm install` line, not with a
 * MODULE_NOT_FOUND from deep inside a provider import.
 */

/** The provider packages each cloud's constructs import. */
export const CLOUD_PEERS: Readonly<Record<Cloud, readonly string[]>> = {
  aws: ['@cdktf/provider-aws'],
  azure: ['@cdktf/provider-azurerm'],
  // google_project_service_identity (the service agents a GCP platform creates) exists only in google-beta.
  gcp: ['@cdktf/provider-google', '@cdktf/provider-google-beta'],
};

/** The provider package of the runtime image's build and push. */
export const DOCKER_PEER = '@cdktf/provider-docker';

/** This package's own package.json (found upwards: `lib/private` from sources, `dist/lib/private` when built). */
function ownManifest(): { name?: string; peerDependencies?: Record<string, string> } {
  let dir = __dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        const json = JSON.parse(fs.readFileSync(file, 'utf8'));
        if (json.name === 'cdktf-mlops') return json;
      } catch {
        // Not ours: keep looking.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return {};
    dir = parent;
  }
}

let manifest: ReturnType<typeof ownManifest> | undefined;

/** The peer range this package declares for `pkg` (e.g. `^21.22.1`), if any. */
export function peerRange(pkg: string): string | undefined {
  manifest ??= ownManifest();
  return manifest.peerDependencies?.[pkg];
}

/** Whether `pkg` can be resolved from this package (the way its modules import it). */
export function isInstalled(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** The install command for packages, with this package's peer ranges. */
export function installCommand(packages: readonly string[]): string {
  return `npm install ${packages.map((p) => (peerRange(p) ? `${p}@${peerRange(p)}` : p)).join(' ')}`;
}

/**
 * Throws `MLOPS_MISSING_PEER` when any of `packages` is not installed.
 * `user` says what needs them (`cdktf-mlops/aws`, `createPlatform for cloud "aws"`).
 */
export function requirePeers(user: string, packages: readonly string[]): void {
  const missing = packages.filter((p) => !isInstalled(p));
  if (missing.length === 0) return;
  const list = missing.join(', ');
  throw new MlopsValidationError('Missing peer dependency:', [
    {
      code: ErrorCode.MISSING_PEER,
      path: user,
      message:
        `needs ${missing.length === 1 ? 'the package' : 'the packages'} ${list}, which ${missing.length === 1 ? 'is' : 'are'} not installed ` +
        `(optional peer ${missing.length === 1 ? 'dependency' : 'dependencies'} of cdktf-mlops: install the providers of the clouds you use). ` +
        `Fix: ${installCommand(missing)}`,
    },
  ]);
}

/**
 * Loads a cloud's module on first use, after checking that the cloud's
 * provider packages are installed. `user` names the caller (`createPlatform`).
 */
export function loadCloud<T>(cloud: Cloud, user: string, load: () => T): T {
  requirePeers(`${user} for cloud "${cloud}"`, CLOUD_PEERS[cloud]);
  return load();
}
