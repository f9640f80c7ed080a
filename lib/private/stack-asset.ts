import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { afterStackWritten } from './stack-synth';

/**
 * A local file or folder copied into the synthesized stack's folder, where
 * Terraform (run in that folder) finds it by a relative path: the same layout
 * and path as cdktf's `TerraformAsset` (`assets/<logical id>/<hash>[/<file>]`),
 * so each stack folder stays self-contained (Terraform Cloud, CI artifacts).
 *
 * Unlike `TerraformAsset`, which deletes and copies the asset on every synth,
 * an asset whose copy in the stack folder is still exactly what it would write
 * is left in place: the same files (and folders), each at its source's size,
 * modification time (copies take their source's) and execute bits. A copy
 * edited, removed or added to in the stack folder, or a new hash, is written
 * afresh. Only the current hash is kept under `assets/<logical id>/`. A
 * source nothing writes to (the image's staged context) can be hard-linked
 * instead of copied (`link`), which costs one link per file instead of a copy.
 *
 * The copy is written when the stack is synthesized (`app.synth()`,
 * `Testing.fullSynth`), after the stack itself, by the library's wrapper of
 * the stack's synthesizer (./stack-synth.ts). A stack whose synthesizer is
 * replaced afterwards fails validation rather than deploy without its assets.
 */

/** Props of {@link StackAsset}. */
export interface StackAssetProps {
  /** The local file or folder (absolute). */
  readonly source: string;
  /** `file` or `directory`: what `source` must be. */
  readonly type: 'file' | 'directory';
  /** The content hash: the folder the copy is written to, so a new content is a new path. */
  readonly hash: string;
  /**
   * Hard-link the source's files instead of copying them, where the file
   * system allows (else copy). Only for a source nothing writes to, such as
   * the image's staged context: a linked file is the source file.
   * @default false
   */
  readonly link?: boolean;
}

const ASSETS = 'assets';

/** A file or folder of the stack's assets (see the module comment). */
export class StackAsset extends Construct {
  /** Relative to the stack's folder (Terraform's working directory), posix separators. */
  public readonly path: string;
  /** The content hash given. */
  public readonly hash: string;
  private readonly source: string;
  private readonly folder: string;
  private readonly link: boolean;

  constructor(scope: Construct, id: string, props: StackAssetProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    this.source = props.source;
    this.hash = props.hash;
    this.link = props.link ?? false;
    this.folder = path.posix.join(ASSETS, stack.getLogicalId(this.node));
    this.path = path.posix.join(this.folder, props.hash, props.type === 'file' ? path.basename(props.source) : '');
    afterStackWritten(stack, this.node.path, (stackDir) => this.writeTo(stackDir));
  }

  /** Brings the copy under `stackDir` up to date. */
  public writeTo(stackDir: string): void {
    const folder = path.join(stackDir, ...this.folder.split('/'));
    const target = path.join(folder, this.hash);
    const stat = fs.statSync(this.source);
    const source = stat.isDirectory() ? this.source : path.dirname(this.source);
    const only = stat.isDirectory() ? undefined : path.basename(this.source);
    const kept = fs.existsSync(target) && sameTree(source, target, only);
    for (const name of safeReaddir(folder)) {
      if (!kept || name !== this.hash) fs.rmSync(path.join(folder, name), { recursive: true, force: true });
    }
    if (kept) return;
    fs.mkdirSync(target, { recursive: true });
    copyTree(source, target, only, this.link);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** The entries of `dir` (sorted), or just `only` when copying one file. */
function entries(dir: string, only: string | undefined): string[] {
  return only !== undefined ? [only] : fs.readdirSync(dir).sort();
}

/**
 * Whether `target` holds exactly `source`'s files and folders, each file at its
 * source's size, mtime and execute bits. The mtime set on a copy comes back
 * within a microsecond of the source's (seconds as a double), so within 1 ms is
 * the same; a copy edited later has a later mtime.
 */
function sameTree(source: string, target: string, only?: string): boolean {
  const names = entries(source, only);
  const present = fs.readdirSync(target).sort();
  if (names.length !== present.length || names.some((n, i) => n !== present[i])) return false;
  for (const name of names) {
    const from = path.join(source, name);
    const to = path.join(target, name);
    const a = fs.statSync(from);
    const b = fs.lstatSync(to);
    if (a.isDirectory()) {
      if (!b.isDirectory() || !sameTree(from, to)) return false;
    } else if (!b.isFile() || a.size !== b.size || Math.abs(a.mtimeMs - b.mtimeMs) >= 1 || (a.mode & 0o111) !== (b.mode & 0o111)) {
      return false;
    }
  }
  return true;
}

/**
 * Copies `source`'s tree (or its file `only`) into `target`, or hard-links its
 * files with `link` where the file system allows; each copy keeps its
 * source's mode and mtime.
 */
function copyTree(source: string, target: string, only: string | undefined, link: boolean): void {
  for (const name of entries(source, only)) {
    const from = path.join(source, name);
    const to = path.join(target, name);
    const stat = fs.statSync(from);
    if (stat.isDirectory()) {
      fs.mkdirSync(to, { recursive: true });
      copyTree(from, to, undefined, link);
    } else if (!(link && linked(from, to))) {
      // A copy-on-write clone where the file system has them (btrfs, XFS, APFS), else a copy.
      fs.copyFileSync(from, to, fs.constants.COPYFILE_FICLONE);
      fs.utimesSync(to, stat.atime, stat.mtimeMs / 1000);
    }
  }
}

/** Hard-links `from` at `to`; false where that is refused (another device, no permission, a file system without links). */
function linked(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch {
    return false;
  }
}
