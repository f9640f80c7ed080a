import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MODEL_FILES, recoverModelDir } from '../artifacts/modeldir';

/** Where the model directory came from. */
export type ModelSource = 'flag' | 'MLOPS_MODEL_DIR' | 'sagemaker' | 'AIP_STORAGE_URI' | 'AZUREML_MODEL_DIR';

/** A located model directory. */
export interface LocatedModel {
  /** Local path of the model directory (the one holding manifest.json). */
  readonly dir: string;
  readonly source: ModelSource;
  /** The location as configured (a path or a gs:// URI). */
  readonly location: string;
}

/** Options for {@link locateModel}. */
export interface LocateOptions {
  /** `--model`: a path or a gs:// URI. Wins over everything. */
  readonly model?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** SageMaker's model path. @default '/opt/ml/model' */
  readonly sagemakerModelDir?: string;
  /** Where gs:// models are downloaded. @default a fresh directory under the OS temp dir */
  readonly downloadDir?: string;
  /** Progress lines. */
  readonly log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Thrown when no model can be found or fetched; the message lists what was tried and how to fix it. */
export class ModelLocateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLocateError';
  }
}

/** The documented order in which the model is looked for. */
export const MODEL_LOCATION_ORDER = ['--model', 'MLOPS_MODEL_DIR', '/opt/ml/model', 'AIP_STORAGE_URI', 'AZUREML_MODEL_DIR'] as const;

/**
 * Finds the model directory inside `root`: `root` itself when it holds a
 * manifest.json, else the first (sorted, breadth-first) sub-directory that
 * does, at most `depth` levels down (Azure ML mounts registered models under
 * AZUREML_MODEL_DIR, often in a sub-folder named after the model). Null if none.
 */
export function findModelDir(root: string, depth = 3): string | null {
  let level = [root];
  for (let d = 0; d <= depth && level.length; d++) {
    const next: string[] = [];
    for (const dir of level) {
      if (fs.existsSync(path.join(dir, MODEL_FILES.manifest))) return dir;
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) if (e.isDirectory() && !e.name.startsWith('.')) next.push(path.join(dir, e.name));
    }
    level = next;
  }
  return null;
}

function localDir(location: string, source: ModelSource): LocatedModel {
  // A model directory whose replacement was cut short by a kill is put back first (the previous model).
  if (!fs.existsSync(path.join(location, MODEL_FILES.manifest))) {
    const at = recoverModelDir(location);
    if (at !== path.resolve(location)) location = at; // read-only: read the previous model where it is
  }
  if (!fs.existsSync(location))
    throw new ModelLocateError(
      `The model directory ${JSON.stringify(location)} (from ${source}) does not exist. Train one with \`mlops train --out <dir>\` and pass it with --model <dir>.`,
    );
  const dir = findModelDir(location);
  if (!dir)
    throw new ModelLocateError(
      `${JSON.stringify(location)} (from ${source}) holds no model directory (no manifest.json in it or up to 3 levels below). Pass the directory written by \`mlops train --out\`.`,
    );
  return { dir, source, location };
}

/** Splits `gs://bucket/prefix` into bucket and object prefix. */
export function parseGsUri(uri: string): { bucket: string; prefix: string } {
  const m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!m) throw new ModelLocateError(`${JSON.stringify(uri)} is not a valid gs:// URI; expected gs://<bucket>/<path-to-model-dir>.`);
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/\/+$/, '') };
}

/**
 * Downloads every object under a gs:// prefix into `dest` with Google's
 * official client (@google-cloud/storage). `MLOPS_GCS_ENDPOINT` (or the
 * client's own STORAGE_EMULATOR_HOST) points it at another endpoint, e.g. an
 * emulator on loopback.
 */
export async function downloadGcsPrefix(uri: string, dest: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { bucket, prefix } = parseGsUri(uri);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Storage } = require('@google-cloud/storage') as typeof import('@google-cloud/storage');
  const endpoint = env.MLOPS_GCS_ENDPOINT;
  const storage = new Storage(endpoint ? { apiEndpoint: endpoint, projectId: env.GOOGLE_CLOUD_PROJECT ?? 'local' } : {});
  const [files] = await storage.bucket(bucket).getFiles(prefix ? { prefix: `${prefix}/` } : {});
  let n = 0;
  for (const f of files) {
    if (f.name.endsWith('/')) continue;
    const rel = prefix ? f.name.slice(prefix.length + 1) : f.name;
    const target = path.resolve(dest, rel);
    if (!target.startsWith(path.resolve(dest) + path.sep)) throw new ModelLocateError(`gs://${bucket}/${f.name} would be written outside ${dest}; refusing.`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    await f.download({ destination: target });
    n++;
  }
  if (!n) throw new ModelLocateError(`${uri} has no objects; upload the model directory written by \`mlops train --out\` there (e.g. gcloud storage cp -r <dir> ${uri}).`);
  return n;
}

/**
 * Locates the model, in this documented order: `--model` (a path or gs:// URI)
 * → MLOPS_MODEL_DIR → /opt/ml/model (SageMaker) → AIP_STORAGE_URI (Vertex AI;
 * gs:// is downloaded) → AZUREML_MODEL_DIR (Azure ML; the model directory is
 * searched for inside it).
 */
export async function locateModel(o: LocateOptions = {}): Promise<LocatedModel> {
  const env = o.env ?? process.env;
  const log = o.log ?? (() => undefined);
  const fetchGs = async (uri: string, source: ModelSource): Promise<LocatedModel> => {
    const dest = o.downloadDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-model-'));
    log('downloading model', { uri, dest });
    const t0 = Date.now();
    let n: number;
    try {
      n = await downloadGcsPrefix(uri, dest, env);
    } catch (e) {
      if (e instanceof ModelLocateError) throw e;
      throw new ModelLocateError(`Downloading the model from ${uri} (${source}) failed: ${(e as Error).message}. Check the URI and that the service account can read the bucket.`);
    }
    log('model downloaded', { uri, files: n, ms: Date.now() - t0 });
    const dir = findModelDir(dest);
    if (!dir) throw new ModelLocateError(`${uri} (${source}) holds no model directory (no manifest.json). Upload the directory written by \`mlops train --out\`.`);
    return { dir, source, location: uri };
  };
  const from = (loc: string, source: ModelSource): Promise<LocatedModel> => (loc.startsWith('gs://') ? fetchGs(loc, source) : Promise.resolve(localDir(loc, source)));
  if (o.model) return from(o.model, 'flag');
  if (env.MLOPS_MODEL_DIR) return from(env.MLOPS_MODEL_DIR, 'MLOPS_MODEL_DIR');
  const sm = o.sagemakerModelDir ?? '/opt/ml/model';
  // The image creates /opt/ml/model (empty) for SageMaker: elsewhere it only counts when it holds a model,
  // so an empty folder never shadows AIP_STORAGE_URI or AZUREML_MODEL_DIR.
  if (fs.existsSync(sm) && (findModelDir(sm) !== null || (!env.AIP_STORAGE_URI && !env.AZUREML_MODEL_DIR))) return localDir(sm, 'sagemaker');
  if (env.AIP_STORAGE_URI) return from(env.AIP_STORAGE_URI, 'AIP_STORAGE_URI');
  if (env.AZUREML_MODEL_DIR) return localDir(env.AZUREML_MODEL_DIR, 'AZUREML_MODEL_DIR');
  throw new ModelLocateError(
    `No model to serve. Looked in order at: --model (not given), MLOPS_MODEL_DIR (unset), ${sm} (absent), AIP_STORAGE_URI (unset), AZUREML_MODEL_DIR (unset). Pass --model <dir> with a directory written by \`mlops train --out\`.`,
  );
}
