import * as fs from 'fs';
import * as path from 'path';
import { detectTrainingContract, sageMakerRoot } from './detect';
import { ContractError, ContractIssue } from './errors';
import { showPath } from '../core/text';

/**
 * Who may write the platform's output folders, checked before any data is
 * read, and the image's start as root (see README.md, "Who the container runs
 * as"): the entrypoint hands exactly the platform's output mount points to the
 * runtime user and drops to it.
 */

/** The runtime user of the image (the base image's `node` user): the image sets `MLOPS_RUN_AS=1000:1000`. */
export const DEFAULT_RUNTIME_USER = { uid: 1000, gid: 1000 } as const;

/** The user a root start drops to: `MLOPS_RUN_AS=<uid>[:<gid>]`, or null when it is not set (root stays root). */
export function runtimeUser(env: NodeJS.ProcessEnv = process.env): { uid: number; gid: number } | null {
  const raw = env.MLOPS_RUN_AS;
  if (raw === undefined || raw.trim() === '') return null;
  const m = /^\s*(\d+)(?::(\d+))?\s*$/.exec(raw);
  if (!m || Number(m[1]) === 0) {
    throw new Error(
      `MLOPS_RUN_AS must be <uid>[:<gid>] with a uid other than 0, e.g. 1000:1000; got ${JSON.stringify(raw)}. Unset it to use ${DEFAULT_RUNTIME_USER.uid}:${DEFAULT_RUNTIME_USER.gid}, or set MLOPS_KEEP_ROOT=1 to stay root.`,
    );
  }
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

/** The output folders the training platform mounts for `train` (what a root start hands to the runtime user). */
export function platformOutputDirs(env: NodeJS.ProcessEnv = process.env): { dir: string; where: string }[] {
  let contract: string;
  try {
    contract = detectTrainingContract(env).contract;
  } catch {
    return [];
  }
  const local = (v: string | undefined): v is string => !!v && path.isAbsolute(v);
  const out: { dir: string; where: string }[] = [];
  if (contract === 'sagemaker') {
    const root = sageMakerRoot(env);
    out.push({ dir: path.join(root, 'model'), where: path.join(root, 'model') }, { dir: path.join(root, 'output'), where: path.join(root, 'output') });
  } else if (contract === 'vertex') {
    for (const k of ['AIP_MODEL_DIR', 'AIP_CHECKPOINT_DIR', 'AIP_TENSORBOARD_LOG_DIR']) if (local(env[k])) out.push({ dir: env[k]!, where: `env:${k}` });
  } else if (contract === 'azureml') {
    for (const k of Object.keys(env).sort()) if (k.startsWith('AZURE_ML_OUTPUT_') && local(env[k])) out.push({ dir: env[k]!, where: `env:${k}` });
  }
  return out.filter((d) => fs.existsSync(d.dir) && fs.statSync(d.dir).isDirectory());
}

function nearestExisting(p: string): string {
  let cur = path.resolve(p);
  while (!fs.existsSync(cur)) {
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return cur;
}

function describe(p: string): string {
  try {
    const st = fs.statSync(p);
    return `${showPath(p)} is owned by uid ${st.uid} (gid ${st.gid}) with mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;
  } catch (e) {
    return `${showPath(p)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
}

function whoAmI(): string {
  return typeof process.getuid === 'function' ? `uid ${process.getuid()}, gid ${process.getgid!()}` : 'this user';
}

/** How {@link writableIssue} words its message. */
export interface WritableOptions {
  /** What the failure spared, e.g. `Nothing was read or scored.` @default 'Nothing was read or trained.' */
  readonly nothing?: string;
  /**
   * A command run by hand (`mlops predict --out …`, a local `train`): the fix
   * names another output path or the folder's permissions, not the container's
   * start user. @default false
   */
  readonly local?: boolean;
}

/**
 * Whether this process can create files in `dir` (or create `dir`, when it
 * does not exist yet): a real probe (a file created and removed), which also
 * covers read-only mounts and FUSE mounts that `access(2)` misjudges.
 * Returns null when it can, else the issue, naming the owner, the mode and the fix.
 */
export function writableIssue(dir: string, where: string, purpose: string, o: WritableOptions = {}): ContractIssue | null {
  const target = fs.existsSync(dir) ? dir : nearestExisting(dir);
  const probe = path.join(target, `.mlops-write-check-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'ERROR';
    const subject = target === dir ? JSON.stringify(showPath(dir)) : `${JSON.stringify(showPath(dir))} does not exist and its parent ${JSON.stringify(showPath(target))}`;
    const flag = where.startsWith('arg:') ? where.slice(4) : null;
    const fix = o.local
      ? code === 'EROFS'
        ? `the file system is read-only: ${flag ? `give ${flag} a path` : 'write'} on a writable file system.`
        : `${flag ? `give ${flag} a path in a folder you can write` : 'write to a folder you can write'}, or make ${JSON.stringify(showPath(target))} writable by ${whoAmI()}.`
      : code === 'EROFS'
        ? `the file system is read-only: mount it read-write.`
        : typeof process.getuid === 'function' && process.getuid() !== 0
          ? `start the container as root (the image's entrypoint then gives the platform's output folders to uid ${DEFAULT_RUNTIME_USER.uid} and drops to it), or make the folder writable by ${whoAmI()}.`
          : `make the folder writable (without CAP_DAC_OVERRIDE, e.g. under --cap-drop ALL, root can write only where it owns the folder).`;
    return {
      code: 'OUTPUT_NOT_WRITABLE',
      path: where,
      message: `${subject} is not writable by this process (${whoAmI()}; ${code}), so the ${purpose} could not be written: ${describe(target)}. ${o.nothing ?? 'Nothing was read or trained.'} Fix: ${fix}`,
    };
  }
}

/** Throws a {@link ContractError} listing every folder of `dirs` that this process cannot write. */
export function assertWritable(dirs: readonly { dir: string; where: string; purpose: string }[], o: WritableOptions = {}): void {
  const issues = dirs.map((d) => writableIssue(d.dir, d.where, d.purpose, o)).filter((i): i is ContractIssue => i !== null);
  if (issues.length) throw new ContractError(issues);
}

function homeOf(uid: number): string | null {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 7 && Number(f[2]) === uid && f[5]) return f[5];
    }
  } catch {
    /* no passwd file */
  }
  return null;
}

/**
 * The image started as root (SageMaker runs containers as root, and its mounts
 * may be root-owned): for `train`, gives the platform's output folders
 * ({@link platformOutputDirs}, not recursive) to the runtime user
 * `MLOPS_RUN_AS` (the image sets 1000:1000), then drops to that user
 * (supplementary groups, gid, uid) for every command. Does nothing when not
 * root, when `MLOPS_RUN_AS` is not set (outside the image: `sudo mlops …`
 * stays root) or with `MLOPS_KEEP_ROOT=1`. When the container lacks
 * the capabilities (CAP_CHOWN, CAP_SETUID, CAP_SETGID — e.g. `--cap-drop ALL`)
 * it says so and goes on as root; the write check of `train` then fails fast
 * where root cannot write. Returns what it did, one line each.
 */
export function dropRootPrivileges(cmd: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return [];
  if (['1', 'true', 'yes'].includes((env.MLOPS_KEEP_ROOT ?? '').trim().toLowerCase())) return ['running as root (MLOPS_KEEP_ROOT is set)'];
  const user = runtimeUser(env);
  if (!user) return [];
  const lines: string[] = [];
  if (cmd === 'train') {
    for (const { dir } of platformOutputDirs(env)) {
      try {
        const st = fs.statSync(dir);
        if (st.uid === user.uid && st.gid === user.gid) continue;
        fs.chownSync(dir, user.uid, user.gid);
        lines.push(`gave ${dir} to uid ${user.uid}:${user.gid} (it was ${st.uid}:${st.gid})`);
      } catch (e) {
        lines.push(`cannot give ${dir} to uid ${user.uid}:${user.gid} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); it stays as it is`);
      }
    }
  }
  try {
    process.setgroups!([user.gid]);
    process.setgid!(user.gid);
    process.setuid!(user.uid);
  } catch (e) {
    lines.push(
      `started as root but cannot switch to uid ${user.uid}:${user.gid} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}: the container lacks CAP_SETUID/CAP_SETGID, e.g. --cap-drop ALL); going on as root. ` +
        `Run the container with --user ${user.uid}:${user.gid}, or keep the default capabilities, or set MLOPS_KEEP_ROOT=1 to stay root without this message.`,
    );
    return lines;
  }
  if (!env.HOME || env.HOME === '/root') env.HOME = homeOf(user.uid) ?? '/tmp';
  lines.push(`running as uid ${user.uid}:${user.gid} (started as root)`);
  return lines;
}
