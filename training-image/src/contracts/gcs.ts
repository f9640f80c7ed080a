import * as fs from 'fs';
import * as path from 'path';
import type { Storage } from '@google-cloud/storage';
import { MODEL_FILES } from '../artifacts/modeldir';
import { commitAsync } from '../core/job';
import { contractError, ContractError } from './errors';

/** A parsed `gs://bucket/name` URI. */
export interface GsUri {
  readonly bucket: string;
  /** Object name or prefix (may be empty, may hold wildcards `*`, `?`). */
  readonly name: string;
}

/** True for a `gs://` URI. */
export function isGsUri(s: string): boolean {
  return /^gs:\/\//i.test(s);
}

/** Parses `gs://bucket/path`; a {@link ContractError} `BAD_GCS_URI` names the value and the expected form. */
export function parseGsUri(uri: string, where: string): GsUri {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/i.exec(uri.trim());
  if (!m || !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(m[1]!)) {
    throw contractError(
      'BAD_GCS_URI',
      where,
      `${JSON.stringify(uri)} is not a gs://<bucket>/<path> URI with a valid bucket name (3–222 lowercase letters, digits, '.', '_', '-').`,
    );
  }
  return { bucket: m[1]!, name: m[2]! };
}

/**
 * Google's official Cloud Storage client. `MLOPS_GCS_ENDPOINT` (or the
 * client's own `STORAGE_EMULATOR_HOST`) points it at another endpoint, e.g. a
 * loopback emulator in tests; the project comes from `CLOUD_ML_PROJECT_ID` or
 * `GOOGLE_CLOUD_PROJECT`. Credentials are Application Default Credentials (the
 * job's service account on Vertex AI).
 */
export function gcsClient(env: NodeJS.ProcessEnv = process.env): Storage {
  // Loaded lazily: the client is only needed when a gs:// path is used.
  const { Storage: StorageClass } = require('@google-cloud/storage') as typeof import('@google-cloud/storage');
  const projectId = env.CLOUD_ML_PROJECT_ID || env.GOOGLE_CLOUD_PROJECT;
  return new StorageClass({
    ...(env.MLOPS_GCS_ENDPOINT ? { apiEndpoint: env.MLOPS_GCS_ENDPOINT } : {}),
    ...(projectId ? { projectId } : {}),
  });
}

function gcsFailure(op: string, uri: string, where: string, e: unknown): ContractError {
  const err = e as { code?: number | string; message?: string };
  const hint =
    err.code === 404
      ? 'Check the bucket and object names.'
      : err.code === 401 || err.code === 403
        ? "Check the job's service account: it needs storage.objects.get/list to read and storage.objects.create/delete to write this bucket."
        : 'Check the URI, the network and the credentials (Application Default Credentials).';
  return contractError('GCS_ERROR', where, `${op} ${uri} failed${err.code !== undefined ? ` (${err.code})` : ''}: ${err.message ?? String(e)}. ${hint}`);
}

/** `*` (not across '/'), `**` (across '/'), `?` → a RegExp over object names. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function safeLocal(destDir: string, rel: string, uri: string, where: string): string {
  const p = path.resolve(destDir, rel);
  if (rel === '' || rel.split('/').includes('..') || !p.startsWith(path.resolve(destDir) + path.sep)) {
    throw contractError('BAD_GCS_URI', where, `object name ${JSON.stringify(rel)} under ${uri} cannot be stored as a local file.`);
  }
  return p;
}

/**
 * Downloads what a `gs://` URI names into `destDir` and returns the local
 * files: one object; every object under a prefix (`gs://b/dir/`, or a name
 * that is no object but a folder); or the objects matching a pattern such as
 * Vertex AI's `gs://b/dir/training-*` (`AIP_TRAINING_DATA_URI`).
 */
export async function downloadGs(storage: Storage, uri: string, destDir: string, where: string): Promise<string[]> {
  const { bucket, name } = parseGsUri(uri, where);
  const b = storage.bucket(bucket);
  const wild = /[*?]/.exec(name);
  const list = async (prefix: string): Promise<string[]> => {
    try {
      const [files] = await b.getFiles({ prefix, autoPaginate: true });
      return files.map((f) => f.name).filter((n) => !n.endsWith('/'));
    } catch (e) {
      throw gcsFailure('listing', `gs://${bucket}/${prefix}`, where, e);
    }
  };
  let names: string[];
  let base: string;
  if (wild) {
    const prefix = name.slice(0, wild.index);
    base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const re = globToRegExp(name);
    names = (await list(prefix)).filter((n) => re.test(n));
  } else if (name === '' || name.endsWith('/')) {
    base = name;
    names = await list(name);
  } else {
    let exists: boolean;
    try {
      [exists] = await b.file(name).exists();
    } catch (e) {
      throw gcsFailure('reading', uri, where, e);
    }
    if (exists) {
      base = name.slice(0, name.lastIndexOf('/') + 1);
      names = [name];
    } else {
      base = `${name}/`;
      names = await list(base);
    }
  }
  if (!names.length)
    throw contractError('NO_DATA_FILES', where, `${uri} matches no objects. Check the URI (a file, a folder ending in '/', or a pattern such as gs://bucket/dir/training-*).`);
  fs.mkdirSync(destDir, { recursive: true });
  const out: string[] = [];
  for (const n of names.sort()) {
    const local = safeLocal(destDir, n.slice(base.length), uri, where);
    fs.mkdirSync(path.dirname(local), { recursive: true });
    try {
      await b.file(n).download({ destination: local });
    } catch (e) {
      throw gcsFailure('downloading', `gs://${bucket}/${n}`, where, e);
    }
    out.push(local);
  }
  return out;
}

/**
 * Uploads a model directory's files to `gs://bucket/prefix/`, `manifest.json`
 * last (so a reader never sees a manifest before the files it lists); returns
 * the object URIs written.
 */
export async function uploadModelDirGs(storage: Storage, localDir: string, uri: string, where: string): Promise<string[]> {
  // A stop (SIGTERM) waits for the upload to finish, so the manifest is never left out of a complete upload.
  return commitAsync(`model upload to ${uri}`, () => upload(storage, localDir, uri, where));
}

async function upload(storage: Storage, localDir: string, uri: string, where: string): Promise<string[]> {
  const { bucket, name } = parseGsUri(uri, where);
  const prefix = name === '' || name.endsWith('/') ? name : `${name}/`;
  const b = storage.bucket(bucket);
  const files = fs.readdirSync(localDir).filter((n) => n !== MODEL_FILES.manifest && fs.statSync(path.join(localDir, n)).isFile());
  const out: string[] = [];
  for (const n of [...files.sort(), MODEL_FILES.manifest]) {
    const dest = `${prefix}${n}`;
    try {
      await b.upload(path.join(localDir, n), {
        destination: dest,
        resumable: false,
        contentType: n.endsWith('.json') ? 'application/json' : n.endsWith('.yaml') ? 'application/yaml' : 'application/octet-stream',
      });
    } catch (e) {
      throw gcsFailure('uploading', `gs://${bucket}/${dest}`, where, e);
    }
    out.push(`gs://${bucket}/${dest}`);
  }
  return out;
}
