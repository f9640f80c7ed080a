import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { MODEL_FILES } from '../artifacts/modeldir';
import * as job from '../core/job';
import { contractError } from './errors';
import { show, showPath } from '../core/text';

/** Every regular file under `dir`, recursively, sorted; hidden files and `_SUCCESS`-style markers are skipped. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || (e.isSymbolicLink() && fs.statSync(p).isFile())) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function readText(file: string): string {
  const buf = fs.readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/**
 * One CSV file for a data input that may be a file or a directory (a SageMaker
 * channel, an Azure ML `uri_folder`, a downloaded GCS prefix). A single `.csv`
 * file is used in place; several files (or `.csv.gz`) are joined into
 * `<workDir>/<label>.csv` after checking that their header lines agree.
 * In a directory, `.csv`/`.csv.gz` files are taken if there are any, else every file.
 */
export function resolveCsv(input: string, workDir: string, label: string, where: string, log: (line: string) => void = () => undefined): string {
  if (!fs.existsSync(input)) throw contractError('MISSING_DATA', where, `${show(input, 300)} does not exist. Point it at a CSV file or a folder of CSV files.`);
  let files: string[];
  if (fs.statSync(input).isDirectory()) {
    const all = listFiles(input);
    const csv = all.filter((f) => /\.csv(\.gz)?$/i.test(f));
    files = csv.length ? csv : all;
    if (!files.length) throw contractError('NO_DATA_FILES', where, `folder ${show(input, 300)} holds no data files. Put one or more CSV files (with a header line) in it.`);
  } else files = [input];
  if (files.length === 1 && !files[0]!.endsWith('.gz')) return files[0]!;
  let header: string | null = null;
  let first = '';
  const parts: string[] = [];
  for (const f of files) {
    let text = readText(f);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const nl = text.indexOf('\n');
    const h = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
    if (header === null) {
      header = h;
      first = f;
      parts.push(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    } else {
      if (h !== header)
        throw contractError(
          'HEADER_MISMATCH',
          where,
          `${showPath(f)} has header ${show(h, 200)}, but ${showPath(first)} has ${show(header, 200)}. All files of one input must have the same columns in the same order.`,
        );
      const body = nl < 0 ? '' : text.slice(nl + 1);
      parts.push(body === '' || body.endsWith('\n') ? body : `${body}\n`);
    }
  }
  fs.mkdirSync(workDir, { recursive: true });
  const out = path.join(workDir, `${label}.csv`);
  fs.writeFileSync(out, parts.join(''));
  log(`${label}: joined ${files.length} files from ${input} into ${out}`);
  return out;
}

/** The single file with one of `exts` in a folder (e.g. a data contract in a `contract` channel), or null. */
export function singleFile(dir: string, exts: readonly string[], where: string): string | null {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return null;
  const hits = listFiles(dir).filter((f) => exts.some((e) => f.toLowerCase().endsWith(e)));
  if (hits.length > 1)
    throw contractError('BAD_SETTING', where, `holds ${hits.length} ${exts.join('/')} files (${hits.map((h) => path.basename(h)).join(', ')}); keep exactly one.`);
  return hits[0] ?? null;
}

/**
 * Copies a finished model directory into `dest` (which may be a mount point
 * that cannot be renamed over, such as `/opt/ml/model` or an Azure ML output):
 * the old manifest is removed first, the files are copied, and `manifest.json`
 * is written last, so `dest` never holds a manifest that does not match its files.
 * A stop (SIGTERM) waits for the copy to finish; a job killed during it leaves
 * nothing of the new model in `dest` (its supervisor removes the copied files).
 */
export function publishModelDir(staged: string, dest: string, where: string): string[] {
  return job.commit(`model directory ${dest}`, () => publish(staged, dest, where));
}

function publish(staged: string, dest: string, where: string): string[] {
  fs.mkdirSync(dest, { recursive: true });
  const existing = fs.readdirSync(dest).filter((n) => !n.startsWith('.'));
  const manifestPath = path.join(dest, MODEL_FILES.manifest);
  if (existing.length && !fs.existsSync(manifestPath)) {
    throw contractError(
      'OUTPUT_NOT_A_MODEL_DIR',
      where,
      `${show(dest, 300)} is not empty and is not a model directory (no manifest.json); refusing to write into it. Give an empty folder.`,
    );
  }
  if (existing.length) {
    // Remove the old model's files (they are listed in its manifest), manifest first.
    let old: string[] = [];
    try {
      old = Object.keys((JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { files?: Record<string, string> }).files ?? {});
    } catch {
      /* unreadable manifest: its files are overwritten below */
    }
    fs.rmSync(manifestPath, { force: true });
    for (const n of old) if (!n.includes('/') && !n.includes('\\')) fs.rmSync(path.join(dest, n), { force: true });
  }
  const names = fs.readdirSync(staged).filter((n) => n !== MODEL_FILES.manifest);
  const tmp = path.join(dest, `.manifest.json.tmp-${process.pid}`);
  const partial = job.partialFiles(dest, [...names, path.basename(tmp), MODEL_FILES.manifest]);
  for (const n of names) fs.copyFileSync(path.join(staged, n), path.join(dest, n));
  job.testPause('publish');
  fs.copyFileSync(path.join(staged, MODEL_FILES.manifest), tmp);
  fs.renameSync(tmp, manifestPath);
  partial();
  return [...names, MODEL_FILES.manifest];
}
