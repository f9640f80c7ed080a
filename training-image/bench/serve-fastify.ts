/**
 * The scoring app behind fastify instead of node:http, for the framework
 * comparison in serve-bench (fastify is a dev dependency only).
 * Usage: node serve-fastify.js <model-dir> <port>
 */
import Fastify from 'fastify';
import { ScoringApp, serveConfig, loadServingModel } from '../src/serve';

async function main(): Promise<void> {
  const [dir, port] = [process.argv[2]!, Number(process.argv[3] ?? 0)];
  const config = serveConfig(process.env);
  const scoring = new ScoringApp({ config });
  scoring.setModel(loadServingModel(dir));
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.all('*', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    const body = (req.body as Buffer | undefined) ?? null;
    const tooBig = body && body.length > scoring.bodyLimit(path) ? body.length : undefined;
    const r = await scoring.handle({ method: req.method, url: req.url, headers: req.headers, body: tooBig ? null : body, ...(tooBig ? { bodyTooLarge: tooBig } : {}) });
    reply.code(r.status).headers(r.headers).send(r.body);
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.stderr.write(`ready on http://127.0.0.1:${(app.server.address() as { port: number }).port}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
void main();
