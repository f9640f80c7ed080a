import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as job from '../core/job';
import { compatible, runtimeVersion, SCHEMA_VERSION } from './version';

/** What identifies the training data. */
export interface Fingerprint {
  /** sha256 of the training data bytes. */
  readonly sha256: string;
  readonly rows: number;
  readonly cols: number;
  /** Where the data came from (path as given). */
  readonly source?: string;
}

/** The manifest (manifest.json) of a model directory. */
export interface Manifest {
  readonly format: 'mlops-model';
  readonly schemaVersion: number;
  readonly runtimeVersion: string;
  readonly createdAt: string;
  /** Catalog model name (linear, logistic, random-forest, gbdt). */
  readonly model: string;
  /** Estimator class name. */
  readonly estimator: string;
  readonly task: 'regression' | 'classification' | 'forecast';
  readonly target: string;
  /** sha256 of every file in the directory (other than the manifest). */
  readonly files: Readonly<Record<string, string>>;
}

/** Everything that goes into a model directory. */
export interface ModelArtifacts {
  readonly model: string;
  readonly estimator: string;
  readonly task: 'regression' | 'classification' | 'forecast';
  readonly target: string;
  /** model.json: the estimator's toJSON(). */
  readonly modelJson: unknown;
  /** transforms.json: the fitted feature pipeline and target encoding. */
  readonly transforms: unknown;
  /** contract.yaml text, if a contract was used. */
  readonly contractYaml?: string;
  /** metrics.json. */
  readonly metrics: unknown;
  /** feature_importance.json. */
  readonly featureImportance: unknown;
  /** fingerprint.json. */
  readonly fingerprint: Fingerprint;
  /** Extra JSON files (name → content), e.g. tuning history. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Thrown when a model directory is missing, corrupted or incompatible. */
export class ModelDirError extends Error {
  constructor(
    public readonly dir: string,
    public readonly code: 'NOT_FOUND' | 'NOT_A_MODEL' | 'INCOMPATIBLE' | 'CORRUPTED',
    detail: string,
  ) {
    super(`Model directory '${dir}' ${detail}`);
    this.name = 'ModelDirError';
  }
}

function sha256(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** sha256 of a file's bytes. */
export function fileSha256(file: string): string {
  return sha256(fs.readFileSync(file));
}

/**
 * Writes a versioned model directory atomically: everything goes to a
 * temporary sibling directory, which then replaces `dir` by rename. If
 * anything fails, an existing `dir` is left untouched.
 */
export function writeModelDir(dir: string, a: ModelArtifacts, now: Date = new Date()): Manifest {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  fs.mkdirSync(parent, { recursive: true });
  if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) throw new ModelDirError(dir, 'NOT_A_MODEL', 'exists and is not a directory; choose another --out.');
  if (fs.existsSync(abs) && fs.readdirSync(abs).length > 0 && !fs.existsSync(path.join(abs, 'manifest.json'))) {
    throw new ModelDirError(dir, 'NOT_A_MODEL', 'exists, is not empty and is not a model directory; refusing to replace it. Choose another --out.');
  }
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(abs)}.tmp-`));
  // A job stopped while writing leaves no temporary sibling behind (see core/job.ts).
  const releaseTmp = job.scratch(tmp);
  try {
    const files: Record<string, string> = {};
    const put = (name: string, content: string): void => {
      fs.writeFileSync(path.join(tmp, name), content);
      files[name] = sha256(content);
    };
    const json = (v: unknown): string => JSON.stringify(v, typedArraysAsArrays, 1) + "\n";
    put('model.json', json({ model: a.model, estimator: a.estimator, state: a.modelJson }));
    put('transforms.json', json(a.transforms));
    if (a.contractYaml !== undefined) put('contract.yaml', a.contractYaml);
    put('metrics.json', json(a.metrics));
    put('feature_importance.json', json(a.featureImportance));
    put('fingerprint.json', json(a.fingerprint));
    for (const [name, v] of Object.entries(a.extra ?? {})) put(name, json(v));
    const manifest: Manifest = {
      format: 'mlops-model',
      schemaVersion: SCHEMA_VERSION,
      runtimeVersion: runtimeVersion(),
      createdAt: now.toISOString(),
      model: a.model,
      estimator: a.estimator,
      task: a.task,
      target: a.target,
      files,
    };
    fs.writeFileSync(path.join(tmp, 'manifest.json'), json(manifest));
    job.testPause('write-model');
    job.commit(`model directory ${abs}`, () => replaceDir(tmp, abs));
    return manifest;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    releaseTmp();
  }
}

/** Replaces `dest` by `src` with renames; the old directory is removed only after the new one is in place. */
function replaceDir(src: string, dest: string): void {
  if (!fs.existsSync(dest)) {
    fs.renameSync(src, dest);
    return;
  }
  const old = `${dest}.old-${process.pid}-${Date.now()}`;
  // Killed between the two renames, the job's supervisor puts the old directory back.
  const restore = job.restoreOnDeath(old, dest);
  fs.renameSync(dest, old);
  try {
    fs.renameSync(src, dest);
  } catch (e) {
    fs.renameSync(old, dest);
    throw e;
  } finally {
    restore();
  }
  const releaseOld = job.scratch(old);
  fs.rmSync(old, { recursive: true, force: true });
  releaseOld();
}

/** A model directory read back and verified. */
export interface LoadedModelDir {
  readonly manifest: Manifest;
  /** model.json content: `{model, estimator, state}`. */
  readonly model: { readonly model: string; readonly estimator: string; readonly state: unknown };
  readonly transforms: unknown;
  readonly contractYaml: string | null;
  readonly metrics: unknown;
  readonly featureImportance: unknown;
  readonly fingerprint: Fingerprint;
  /** Warnings (e.g. an older runtime version). */
  readonly warnings: readonly string[];
}

/**
 * Reads a model directory, refusing (with {@link ModelDirError}) a missing
 * directory, an unknown schema version, an incompatible runtime version, a
 * missing file or a file whose sha256 does not match the manifest.
 */
export function readModelDir(dir: string): LoadedModelDir {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ModelDirError(dir, 'NOT_FOUND', 'does not exist; train a model with `mlops train --out <dir>` first.');
  const mpath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(mpath)) throw new ModelDirError(dir, 'NOT_A_MODEL', 'has no manifest.json; it is not a model directory written by `mlops train`.');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(mpath, 'utf8')) as Manifest;
  } catch (e) {
    throw new ModelDirError(dir, 'CORRUPTED', `has an unreadable manifest.json (${(e as Error).message}).`);
  }
  if (manifest.format !== 'mlops-model' || typeof manifest.files !== 'object' || manifest.files === null) throw new ModelDirError(dir, 'NOT_A_MODEL', `has a manifest.json that is not a model manifest (format ${JSON.stringify(manifest.format)}).`);
  if (manifest.schemaVersion !== SCHEMA_VERSION) {
    throw new ModelDirError(dir, 'INCOMPATIBLE', `has schema version ${JSON.stringify(manifest.schemaVersion)}; this runtime (${runtimeVersion()}) reads schema version ${SCHEMA_VERSION} only. Retrain the model with this runtime.`);
  }
  const current = runtimeVersion();
  if (!compatible(String(manifest.runtimeVersion), current)) {
    throw new ModelDirError(dir, 'INCOMPATIBLE', `was written by runtime ${JSON.stringify(manifest.runtimeVersion)}, which this runtime (${current}) cannot load (needs the same major version, and not newer). Retrain the model or use runtime ${manifest.runtimeVersion}.`);
  }
  const warnings: string[] = [];
  if (manifest.runtimeVersion !== current) warnings.push(`model written by runtime ${manifest.runtimeVersion}, loaded by ${current}`);
  const contents: Record<string, string> = {};
  for (const [name, digest] of Object.entries(manifest.files)) {
    const p = path.join(dir, name);
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new ModelDirError(dir, 'CORRUPTED', `lists an invalid file name ${JSON.stringify(name)} in manifest.json.`);
    if (!fs.existsSync(p)) throw new ModelDirError(dir, 'CORRUPTED', `is missing ${name}, listed in manifest.json. The directory is incomplete; retrain or restore it.`);
    const buf = fs.readFileSync(p);
    const got = sha256(buf);
    if (got !== digest) throw new ModelDirError(dir, 'CORRUPTED', `has a corrupted ${name}: sha256 ${got.slice(0, 12)}… does not match ${String(digest).slice(0, 12)}… in manifest.json. Retrain or restore the directory.`);
    contents[name] = buf.toString('utf8');
  }
  const parse = (name: string): unknown => {
    if (contents[name] === undefined) throw new ModelDirError(dir, 'CORRUPTED', `does not list ${name} in manifest.json.`);
    try {
      return JSON.parse(contents[name]!);
    } catch (e) {
      throw new ModelDirError(dir, 'CORRUPTED', `has an unreadable ${name} (${(e as Error).message}).`);
    }
  };
  return {
    manifest,
    model: parse('model.json') as LoadedModelDir['model'],
    transforms: parse('transforms.json'),
    contractYaml: contents['contract.yaml'] ?? null,
    metrics: parse('metrics.json'),
    featureImportance: parse('feature_importance.json'),
    fingerprint: parse('fingerprint.json') as Fingerprint,
    warnings,
  };
}

/** JSON replacer: typed arrays become plain number arrays (doubles round-trip exactly). */
export function typedArraysAsArrays(_key: string, v: unknown): unknown {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v;
}
