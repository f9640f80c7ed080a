import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'worker_threads';
import { buildHistogram } from './histogram';
import { GrowerBuffers, HistogramBuilder } from './grower';

/**
 * Worker-thread plumbing for the tree learners. `fit` is synchronous, so the
 * main thread forks work to workers and joins with `Atomics.wait` on a shared
 * flag (allowed on Node's main thread), receiving results with
 * `receiveMessageOnPort`. Every result is computed the same way whichever
 * thread computes it, so results do not depend on the thread count.
 */

/** Samples × features below which a histogram is built on the main thread alone. */
const PARALLEL_MIN_WORK = 400_000;

let cachedScript: string | null | undefined;

/** Path of the compiled worker script, or null when running from TypeScript sources without a build. */
export function workerScript(): string | null {
  if (cachedScript !== undefined) return cachedScript;
  const candidates = [path.join(__dirname, 'worker.js')];
  if (__filename.endsWith('.ts')) {
    // ts-jest / ts sources: use the build output when present (npm test builds first).
    candidates.push(path.resolve(__dirname, '../../dist/src/trees/worker.js'));
  }
  cachedScript = candidates.find((c) => fs.existsSync(c)) ?? null;
  return cachedScript;
}

/** Whether worker threads can be used here. */
export function parallelAvailable(): boolean {
  return workerScript() !== null;
}

/** Default worker count: the cores available, at most 2 (the target machines have 2). */
export function defaultThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(2, cores));
}

/** Blocks until `flag[i]` becomes `value` (or throws after `timeoutMs`). */
export function waitFor(flag: Int32Array, i: number, value: number, what: string, timeoutMs = 600_000): void {
  const t0 = Date.now();
  for (;;) {
    const cur = Atomics.load(flag, i);
    if (cur === value) return;
    if (cur < 0) throw new Error(`${what}: a worker thread failed (see its error above).`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: a worker thread did not answer within ${timeoutMs / 1000} s.`);
    Atomics.wait(flag, i, cur, 1000);
  }
}

/** Starts a worker on the compiled worker script with a private reply port. */
export function startWorker(data: Record<string, unknown>): { worker: Worker; port: import('worker_threads').MessagePort } {
  const script = workerScript();
  if (!script) throw new Error('tree worker script not found (build the runtime first)');
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(script, { workerData: { ...data, port: port2 }, transferList: [port2] });
  worker.unref();
  worker.on('error', (e) => {
    console.error(`[trees worker] ${e instanceof Error ? e.stack : String(e)}`);
  });
  return { worker, port: port1 };
}

/** Receives a message sent to `port` synchronously (it must already be queued). */
export function receive(port: import('worker_threads').MessagePort): unknown {
  const m = receiveMessageOnPort(port);
  return m === undefined ? undefined : m.message;
}

/**
 * Histogram builder that splits the features between the main thread and
 * `threads - 1` workers, all reading the shared binned columns, row ids and
 * ordered gradients, and writing disjoint slots of a shared histogram.
 */
export class ParallelHistogramBuilder implements HistogramBuilder {
  private readonly workers: Worker[] = [];
  private readonly ctrl: Int32Array;
  private gen = 0;
  private readonly idx: Uint32Array;
  private readonly og: Float64Array;
  private readonly oh: Float64Array;
  private readonly hists: Float64Array[] = [];
  private readonly bounds: number[];

  constructor(
    private readonly stride: 2 | 3,
    private readonly binned: Uint8Array,
    private readonly n: number,
    private readonly offsets: Int32Array,
    threads: number,
  ) {
    const F = offsets.length - 1;
    const T = Math.max(1, Math.min(threads, F));
    this.bounds = Array.from({ length: T + 1 }, (_, t) => Math.round((t * F) / T));
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * T));
    this.idx = new Uint32Array(new SharedArrayBuffer(4 * n));
    this.og = new Float64Array(new SharedArrayBuffer(8 * n));
    this.oh = new Float64Array(new SharedArrayBuffer(8 * (stride === 3 ? n : 1)));
    for (let t = 1; t < T; t++) {
      const { worker } = startWorker({
        kind: 'hist', slot: t, ctrl: this.ctrl, stride, binned, n, offsets, f0: this.bounds[t], f1: this.bounds[t + 1],
        idx: this.idx, og: this.og, oh: this.oh,
      });
      this.workers.push(worker);
    }
  }

  /** The shared buffers the grower must use. */
  buffers(): GrowerBuffers {
    return {
      idx: this.idx,
      og: this.og,
      oh: this.oh,
      newHistogram: (len: number) => {
        const h = new Float64Array(new SharedArrayBuffer(8 * len));
        const id = this.hists.length;
        this.hists.push(h);
        for (const w of this.workers) w.postMessage({ cmd: 'hist', id, hist: h });
        return h;
      },
    };
  }

  /** Builds all features' histograms, the workers taking their share. */
  build(hist: Float64Array, rows: Uint32Array | null, rowsStart: number, count: number, og: Float64Array, oh: Float64Array | null): void {
    const F = this.offsets.length - 1;
    const s0 = rows === null ? 0 : rowsStart;
    const e0 = s0 + count;
    if (count * F < PARALLEL_MIN_WORK) {
      // Small leaves: a round trip to the worker costs more than it saves.
      const g = og.subarray(s0, e0);
      const h = oh ? oh.subarray(s0, e0) : null;
      buildHistogram(hist, this.stride, this.binned, this.n, this.offsets, 0, F, rows === null ? null : rows.subarray(s0, e0), count, g, h);
      return;
    }
    if (og !== this.og) this.og.set(og.subarray(s0, e0), s0);
    if (oh && oh !== this.oh) this.oh.set(oh.subarray(s0, e0), s0);
    if (rows !== null && rows !== this.idx) throw new Error('ParallelHistogramBuilder: rows must be the shared index buffer');
    const id = this.hists.indexOf(hist);
    if (id < 0) throw new Error('ParallelHistogramBuilder: unknown histogram buffer');
    const gen = ++this.gen;
    for (const w of this.workers) w.postMessage({ cmd: 'build', gen, id, rowsStart: rows === null ? -1 : rowsStart, count, hasHess: oh !== null });
    const r = rows === null ? null : this.idx.subarray(s0, e0);
    const g = this.og.subarray(s0, e0);
    const h = oh ? this.oh.subarray(s0, e0) : null;
    buildHistogram(hist, this.stride, this.binned, this.n, this.offsets, this.bounds[0]!, this.bounds[1]!, r, count, g, h);
    // The first build also waits for the workers to start: a shorter limit catches a worker that never loads.
    for (let t = 1; t <= this.workers.length; t++) waitFor(this.ctrl, t, gen, 'histogram', gen === 1 ? 60_000 : 600_000);
  }

  /** Stops the workers. */
  close(): void {
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
