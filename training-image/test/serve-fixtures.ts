/** Model directories for the scoring-server tests, trained with the runtime's own trainModel on small synthetic data. */
import * as fs from 'fs';
import * as path from 'path';
import { writeModelDir } from '../src/artifacts/modeldir';
import { contractReadTypes, parseContract } from '../src/data/contract';
import { parseCsv } from '../src/data/csv';
import { toFrame } from '../src/data/frame';
import { Rng } from '../src/core/random';
import { trainModel } from '../src/models/train';
import { FeatureConfig } from '../src/features/pipeline';

/** The contract of the synthetic data. */
export const CONTRACT = `columns:
  - { name: id, type: integer, nullable: false }
  - { name: a, type: number, min: -10, max: 10, nullable: false }
  - { name: b, type: number }
  - { name: c, type: category, allowed: [x, y, z] }
  - { name: d, type: category }
  - { name: when, type: datetime }
  - { name: y, type: number }
  - { name: label, type: category, allowed: [high, low] }
`;

/** Synthetic rows: y = 3a − 2b + (c == 'z' ? 5 : 0) + noise; label = y > 1.5. */
export function syntheticCsv(n = 400, seed = 11): string {
  const rng = new Rng(seed);
  const lines = ['id,a,b,c,d,when,y,label'];
  for (let i = 0; i < n; i++) {
    const a = rng.normal(),
      b = rng.normal(),
      c = ['x', 'y', 'z'][rng.int(3)]!,
      d = ['p', 'q'][rng.int(2)]!;
    const y = 3 * a - 2 * b + (c === 'z' ? 5 : 0) + 0.3 * rng.normal();
    const when = new Date(Date.UTC(2024, 0, 1) + i * 3600e3).toISOString().slice(0, 19).replace('T', ' ');
    lines.push(`${i},${a.toFixed(4)},${i % 50 === 5 ? '' : b.toFixed(4)},${c},${d},${when},${y.toFixed(4)},${y > 1.5 ? 'high' : 'low'}`);
  }
  return lines.join('\n') + '\n';
}

/** Trains a model on the synthetic data and writes its directory (with contract.yaml and profile.json). */
export function makeModelDir(
  dir: string,
  o: { task?: 'regression' | 'classification'; model?: 'gbdt' | 'linear' | 'logistic'; contract?: boolean; features?: FeatureConfig } = {},
): string {
  const task = o.task ?? 'regression';
  const target = task === 'regression' ? 'y' : 'label';
  const contract = o.contract === false ? null : parseContract(CONTRACT);
  const text = syntheticCsv();
  const frame = toFrame(parseCsv(text), contract ? contractReadTypes(contract) : {});
  const r = trainModel({
    frame,
    target,
    task,
    model: o.model ?? 'gbdt',
    params: (o.model ?? 'gbdt') === 'gbdt' ? { maxIter: 30 } : {},
    features: { exclude: ['id', task === 'regression' ? 'label' : 'y'], ...o.features },
    holdout: 0,
  });
  const tr = r.trained;
  writeModelDir(dir, {
    model: r.model,
    estimator: tr.estimator.name,
    task: tr.task,
    target,
    modelJson: tr.estimator.toJSON(),
    transforms: { features: tr.pipeline.toJSON(), target: tr.target },
    ...(contract ? { contractYaml: CONTRACT } : {}),
    metrics: r.metrics,
    featureImportance: r.importance,
    fingerprint: { sha256: 'synthetic', rows: frame.rows, cols: frame.names.length },
    extra: { 'profile.json': r.profile },
  });
  return dir;
}

/** A good single row for the synthetic models. */
export const GOOD_ROW = { a: 0.5, b: -1, c: 'z', d: 'p', when: '2024-02-01 00:00:00' };

/** Copies a directory tree (for nesting a model under AZUREML_MODEL_DIR). */
export function copyDir(src: string, dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name),
      d = path.join(dest, e.name);
    if (e.isDirectory()) copyDir(s, d);
    else fs.copyFileSync(s, d);
  }
}

/** A loopback HTTP server emulating the GCS JSON API endpoints @google-cloud/storage calls to list and download objects. */
export async function gcsEmulator(
  bucket: string,
  objects: Record<string, Buffer>,
  o: { hold?: Promise<void> } = {},
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const http = await import('http');
  const requests: string[] = [];
  const server = http.createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (o.hold) await o.hold;
    const u = new URL(req.url ?? '/', 'http://x');
    const m = /^(?:\/download)?\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(u.pathname);
    if (!m || m[1] !== bucket) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 404, message: 'Not Found' } }));
      return;
    }
    const meta = (name: string): Record<string, unknown> => ({
      kind: 'storage#object',
      bucket,
      name,
      id: `${bucket}/${name}`,
      size: String(objects[name]!.length),
      generation: '1',
      contentType: 'application/octet-stream',
    });
    if (!m[2]) {
      const prefix = u.searchParams.get('prefix') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'storage#objects',
          items: Object.keys(objects)
            .filter((k) => k.startsWith(prefix))
            .sort()
            .map(meta),
        }),
      );
      return;
    }
    const name = decodeURIComponent(m[2]);
    if (!(name in objects)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 404, message: `No such object: ${bucket}/${name}` } }));
      return;
    }
    if (u.searchParams.get('alt') === 'media') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(objects[name]!.length) });
      res.end(objects[name]);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(meta(name)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Every file of a model directory as GCS objects under `prefix`. */
export function dirAsObjects(dir: string, prefix: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of fs.readdirSync(dir)) out[`${prefix}/${f}`] = fs.readFileSync(path.join(dir, f));
  return out;
}
