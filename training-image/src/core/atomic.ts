import * as fs from 'fs';
import * as path from 'path';
import { commit, partialFiles, scratch } from './job';

/**
 * Writes a file atomically: a temporary sibling (`.<name>.tmp-<pid>-<ms>`,
 * announced to the job's supervisor, see core/job.ts), fsync, rename over the
 * target, fsync the folder. A reader, or a job stopped midway, never sees
 * half a file. `beforeRename` is a test hook.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array, beforeRename?: (tmp: string) => void): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}`);
  const releaseTmp = scratch(tmp);
  try {
    writeSynced(tmp, content);
    if (beforeRename) beforeRename(tmp);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  } finally {
    releaseTmp();
  }
  fsyncPath(dir);
}

/** Writes `content` to a new file `file` and fsyncs it. */
function writeSynced(file: string, content: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    if (typeof content === 'string') fs.writeSync(fd, content);
    else fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsyncs a file or folder, so a write or a rename in it is durable (best effort where the platform refuses, e.g. folders on Windows). */
export function fsyncPath(p: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported on this platform */
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Files that appear together or not at all (the predict step's predictions,
 * one per input file). {@link FileBatch.stage} writes each to a temporary
 * sibling (`.<name>.tmp-<pid>-<ms>-<n>`, fsynced, announced to the job's
 * supervisor, which removes it if the job dies); {@link FileBatch.commit}
 * renames them all into place as one publishing step (a stop waits for it to
 * end; a job killed during it has the files it names removed by its
 * supervisor, so a reader never finds some of the new files and not the
 * others), then fsyncs the folders; {@link FileBatch.abort} removes what was
 * staged. Temporary names are ignored when outputs are hashed (`hashPath`).
 */
export class FileBatch {
  private readonly staged: { readonly tmp: string; readonly file: string; readonly release: () => void }[] = [];
  private done = false;

  /** Writes `content` to a temporary sibling of `file`. */
  stage(file: string, content: string | Uint8Array): void {
    if (this.done) throw new Error('FileBatch: already committed or aborted.');
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}-${this.staged.length}`);
    const release = scratch(tmp);
    this.staged.push({ tmp, file, release });
    writeSynced(tmp, content);
  }

  /** Renames every staged file into place (replacing a file of the same name). */
  commit(what: string): void {
    if (this.done) throw new Error('FileBatch: already committed or aborted.');
    this.done = true;
    const byDir = new Map<string, string[]>();
    for (const s of this.staged) byDir.set(path.dirname(s.file), [...(byDir.get(path.dirname(s.file)) ?? []), path.basename(s.file)]);
    commit(what, () => {
      const announced = [...byDir].map(([dir, names]) => partialFiles(dir, names));
      const placed: string[] = [];
      try {
        for (const s of this.staged) {
          fs.renameSync(s.tmp, s.file);
          placed.push(s.file);
        }
      } catch (e) {
        // All or nothing: what was placed goes again, and what was not stays unplaced.
        for (const f of placed) fs.rmSync(f, { force: true });
        for (const s of this.staged) fs.rmSync(s.tmp, { force: true });
        for (const r of announced) r();
        throw e;
      } finally {
        for (const s of this.staged) s.release();
      }
      for (const dir of byDir.keys()) fsyncPath(dir);
      for (const r of announced) r();
    });
  }

  /** Removes the staged temporary files (nothing is placed). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    for (const s of this.staged) {
      fs.rmSync(s.tmp, { force: true });
      s.release();
    }
  }
}
