import * as fs from 'fs';
import * as path from 'path';
import { enclosingModelDir, isModelDir } from '../artifacts/modeldir';
import { assertWritable } from '../contracts/access';
import { isInside, realPath, sameFile, statOrNull } from '../core/paths';
import { showPath } from '../core/text';
import { UsageError } from './io';

/**
 * Where a command may write: checked before any model or data is read, so a
 * mistake costs nothing and loses nothing. An output must not be one of the
 * command's inputs (compared by resolved real path, symbolic links followed,
 * and by device and inode, which also catches hard links), must not lie in a
 * model directory (a folder with a model manifest.json: its files are
 * checksummed, and a model directory is replaced as a whole), must not be a
 * folder when a file is written, and its folder must be writable
 * (`OUTPUT_NOT_WRITABLE`, the check the training contracts use).
 */

/** One input of a command, for {@link checkFileOutput} and {@link checkModelOutput}. */
export interface CommandInput {
  /** The option that names it, e.g. `--data`. */
  readonly flag: string;
  readonly path: string;
}

function via(given: string, real: string): string {
  return path.resolve(given) === real ? '' : ` (${showPath(real)} once links are followed)`;
}

/**
 * Checks a file output (`predict --out`, `evaluate --out`, `forecast --out`)
 * before anything is read: a {@link UsageError} (exit 2) when it is a folder,
 * one of the inputs or inside a model directory (`allowInModel` names the one
 * file a command may write into its own `--model` folder: evaluate's
 * evaluation.json); `OUTPUT_NOT_WRITABLE` (exit 1) when its folder cannot be
 * written.
 */
export function checkFileOutput(o: {
  readonly flag: string;
  readonly path: string;
  /** What is written, e.g. `predictions CSV`. */
  readonly purpose: string;
  /** A sensible file name to suggest, e.g. `predictions.csv`. */
  readonly example: string;
  readonly inputs: readonly CommandInput[];
  /** `{model, file}`: writing `file` inside the `model` input folder is allowed. */
  readonly allowInModel?: { readonly model: string; readonly file: string };
}): void {
  const shown = showPath(o.path);
  const real = realPath(o.path);
  const st = statOrNull(real);
  if (st?.isDirectory()) {
    const model = isModelDir(real) ? ' (a model directory)' : '';
    throw new UsageError(
      `${o.flag} '${shown}' is a folder${model}${via(o.path, real)}; it needs the path of a file to write the ${o.purpose} to. Fix: give a file path, e.g. ${o.flag} ${model ? o.example : showPath(path.join(o.path, o.example))}.`,
    );
  }
  const allowed = o.allowInModel !== undefined && real === path.join(realPath(o.allowInModel.model), o.allowInModel.file);
  const model = allowed ? null : enclosingModelDir(path.dirname(real));
  if (model !== null) {
    throw new UsageError(
      `${o.flag} '${shown}' is inside the model directory '${showPath(model)}'${via(o.path, real)}: a model directory holds the files its manifest.json lists (checksummed) and is replaced as a whole when the model is retrained, so the ${o.purpose} would break the model or be lost. Fix: write outside the model directory, e.g. ${o.flag} ${o.example}.`,
    );
  }
  for (const i of o.inputs) {
    const inReal = realPath(i.path);
    if (sameFile(real, inReal)) {
      throw new UsageError(
        `${o.flag} '${shown}' is the ${i.flag} input '${showPath(i.path)}'${via(o.path, real)}: writing the ${o.purpose} would replace it. Fix: write to another file, e.g. ${o.flag} ${o.example}.`,
      );
    }
    if (!allowed && statOrNull(inReal)?.isDirectory() && isInside(real, inReal)) {
      throw new UsageError(
        `${o.flag} '${shown}' is inside the ${i.flag} folder '${showPath(i.path)}'${via(o.path, real)}: writing the ${o.purpose} there would change that input. Fix: write outside it, e.g. ${o.flag} ${o.example}.`,
      );
    }
  }
  assertWritable([{ dir: path.dirname(real), where: `arg:${o.flag}`, purpose: o.purpose }], { local: true, nothing: 'Nothing was read or written.' });
}

/**
 * Checks `train --out` (a model directory, replaced as a whole) before the
 * data is read: a {@link UsageError} when it is a file, a non-empty folder
 * that is not a model directory, a folder inside another model directory, or
 * holds one of the inputs (replacing it would delete them); `OUTPUT_NOT_WRITABLE`
 * when its parent cannot be written.
 */
export function checkModelOutput(o: { readonly flag: string; readonly path: string; readonly inputs: readonly CommandInput[] }): void {
  const shown = showPath(o.path);
  const real = realPath(o.path);
  const st = statOrNull(real);
  if (st && !st.isDirectory()) {
    throw new UsageError(
      `${o.flag} '${shown}' is an existing file${via(o.path, real)}; a model directory is a folder. Fix: give a folder path that does not exist yet (or an existing model directory to replace), e.g. ${o.flag} model.`,
    );
  }
  for (const i of o.inputs) {
    const inReal = realPath(i.path);
    if (isInside(inReal, real)) {
      throw new UsageError(
        `${o.flag} '${shown}' holds the ${i.flag} input '${showPath(i.path)}'${via(o.path, real)}: replacing the model directory would delete it. Fix: keep inputs outside the model directory, or give another ${o.flag}.`,
      );
    }
  }
  if (st && !isModelDir(real) && fs.readdirSync(real).length > 0) {
    throw new UsageError(
      `${o.flag} '${shown}' is a folder that is not empty and is not a model directory (it has no model manifest.json)${via(o.path, real)}; it would be replaced as a whole. Fix: give a new folder path, e.g. ${o.flag} ${showPath(path.join(o.path, 'model'))}.`,
    );
  }
  const enclosing = enclosingModelDir(path.dirname(real));
  if (enclosing !== null) {
    throw new UsageError(
      `${o.flag} '${shown}' is inside the model directory '${showPath(enclosing)}'${via(o.path, real)}: its files are checksummed, so a model written there would break it. Fix: give a folder outside it.`,
    );
  }
  // Before the data is read: an unwritable output would otherwise fail only after the whole training.
  assertWritable([{ dir: path.dirname(real), where: `arg:${o.flag}`, purpose: 'model directory' }], { local: true });
}
