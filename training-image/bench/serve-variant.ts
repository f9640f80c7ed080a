/**
 * startServer with switches, for A/B experiments (serve-quick --variant):
 *   node [--expose-gc] serve-variant.js <model-dir>
 *   env: V_PROCESS_METRICS=0, V_LOG=0, V_MEM=1 (memoryUsage to stderr every second; with --expose-gc, a full GC first)
 */
import { startServer } from '../src/serve/http';

async function main(): Promise<void> {
  const s = await startServer({
    model: process.argv[2]!,
    port: 0,
    host: '127.0.0.1',
    processMetrics: process.env.V_PROCESS_METRICS !== '0',
    ...(process.env.V_LOG === '0' ? { logger: false as const } : {}),
  });
  await s.ready;
  process.stderr.write(`ready on ${s.url}\n`);
  if (process.env.V_MEM === '1') {
    const gc = (globalThis as { gc?: () => void }).gc;
    setInterval(() => {
      gc?.();
      const m = process.memoryUsage();
      const mb = (x: number): string => (x / 1048576).toFixed(1);
      process.stderr.write(`mem rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}\n`);
    }, 1000).unref();
  }
  process.once('SIGTERM', () => void s.drain().then(() => process.exit(0)));
}
void main();
