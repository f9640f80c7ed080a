/**
 * A loopback stand-in of the Cloud Storage JSON API for tests: a real HTTP
 * server on 127.0.0.1 that answers the endpoints Google's official client
 * (@google-cloud/storage, pointed at it with its `apiEndpoint` option via
 * MLOPS_GCS_ENDPOINT) calls: object list, object metadata, media download,
 * multipart upload and delete. It returns the crc32c/md5 hashes the client
 * validates. No outside host is contacted. Used by contracts-vertex.test.ts
 * and by the container test (test/container/checks.ts).
 */
import { createHash } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { CRC32C } from '@google-cloud/storage';

function crc32c(data: Buffer): string {
  const c = new CRC32C();
  c.update(data);
  return c.toString();
}

export interface Obj {
  data: Buffer;
  contentType: string;
  generation: number;
}

/** An in-memory GCS JSON API on a loopback port; `log` records every request line. */
export class GcsEmulator {
  readonly buckets = new Map<string, Map<string, Obj>>();
  readonly log: string[] = [];
  private server = http.createServer((req, res) => this.handle(req, res));
  private gen = 1;
  port = 0;

  async start(host = '127.0.0.1'): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, host, r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  put(bucket: string, name: string, data: string | Buffer, contentType = 'text/csv'): void {
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
    this.buckets.get(bucket)!.set(name, { data: Buffer.from(data), contentType, generation: this.gen++ });
  }

  private meta(bucket: string, name: string, o: Obj): Record<string, unknown> {
    return {
      kind: 'storage#object',
      id: `${bucket}/${name}/${o.generation}`,
      name,
      bucket,
      generation: String(o.generation),
      metageneration: '1',
      contentType: o.contentType,
      size: String(o.data.length),
      md5Hash: createHash('md5').update(o.data).digest('base64'),
      crc32c: crc32c(o.data),
      updated: new Date(0).toISOString(),
    };
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private notFound(res: http.ServerResponse, what: string): void {
    this.json(res, 404, { error: { code: 404, message: `No such object: ${what}`, errors: [{ reason: 'notFound', message: `No such object: ${what}` }] } });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        this.route(req, res, Buffer.concat(chunks));
      } catch (e) {
        this.json(res, 500, { error: { code: 500, message: `emulator: ${(e as Error).message}` } });
      }
    });
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    {
      const url = new URL(req.url!, `http://127.0.0.1:${this.port}`);
      this.log.push(`${req.method} ${url.pathname}${url.search}`);
      let m: RegExpExecArray | null;
      if (req.method === 'GET' && (m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname))) {
        const bucket = this.buckets.get(decodeURIComponent(m[1]!)) ?? new Map<string, Obj>();
        const prefix = url.searchParams.get('prefix') ?? '';
        const items = [...bucket.entries()]
          .filter(([n]) => n.startsWith(prefix))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([n, o]) => this.meta(decodeURIComponent(m![1]!), n, o));
        return this.json(res, 200, { kind: 'storage#objects', items });
      }
      if (req.method === 'GET' && (m = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname))) {
        const b = decodeURIComponent(m[1]!),
          n = decodeURIComponent(m[2]!);
        const o = this.buckets.get(b)?.get(n);
        if (!o) return this.notFound(res, `${b}/${n}`);
        if (url.searchParams.get('alt') === 'media') {
          const meta = this.meta(b, n, o);
          res.writeHead(200, {
            'content-type': o.contentType,
            'x-goog-hash': `crc32c=${meta.crc32c},md5=${meta.md5Hash}`,
            'x-goog-stored-content-encoding': 'identity',
            'x-goog-generation': String(o.generation),
          });
          res.end(o.data);
          return;
        }
        return this.json(res, 200, this.meta(b, n, o));
      }
      if (req.method === 'POST' && (m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname)) && url.searchParams.get('uploadType') === 'multipart') {
        const boundary = /boundary="?([^";]+)"?/.exec(req.headers['content-type'] ?? '')?.[1];
        if (!boundary) return this.json(res, 400, { error: { code: 400, message: 'multipart boundary missing' } });
        const parts = body
          .toString('latin1')
          .split(`--${boundary}`)
          .slice(1, -1)
          .map((p) => {
            const sep = p.indexOf('\r\n\r\n');
            return { headers: p.slice(0, sep), body: p.slice(sep + 4, p.length - 2) };
          });
        const meta = JSON.parse(Buffer.from(parts[0]!.body, 'latin1').toString('utf8')) as { name?: string; contentType?: string };
        const name = meta.name ?? url.searchParams.get('name');
        if (!name) return this.json(res, 400, { error: { code: 400, message: 'object name missing' } });
        const ct = /content-type:\s*([^\r\n]+)/i.exec(parts[1]!.headers)?.[1] ?? meta.contentType ?? 'application/octet-stream';
        this.put(decodeURIComponent(m[1]!), name, Buffer.from(parts[1]!.body, 'latin1'), ct);
        return this.json(res, 200, this.meta(decodeURIComponent(m[1]!), name, this.buckets.get(decodeURIComponent(m[1]!))!.get(name)!));
      }
      if (req.method === 'DELETE' && (m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname))) {
        this.buckets.get(decodeURIComponent(m[1]!))?.delete(decodeURIComponent(m[2]!));
        res.writeHead(204);
        res.end();
        return;
      }
      this.json(res, 501, { error: { code: 501, message: `${req.method} ${url.pathname} is not handled by this emulator` } });
    }
  }
}
