import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { chunkStart, ChunkRunner, GEN_MOD, HGB_CMD, HGB_CTRL, MAX_CHUNKS, SharedHgbData } from './engine';
import { buildHistogram } from './histogram';
import { EngineLoss, HistogramBuilder, lap, PhaseTimes } from './grower';
import { gradientsRange, LOSS } from './loss';
import { addLeafValuesRange, partitionRange, SplitScratch } from './partition';

/**
 * Worker-thread plumbing for the tree learners. `fit` is synchronous, so the
 * main thread forks work to workers and joins with `Atomics.wait` on a shared
 * flag (allowed on Node's main thread), receiving results with
 * `receiveMessageOnPort`. Every result is computed the same way whichever
 * thread computes it, so results do not depend on the thread count.
 */

/** Samples × features below which a histogram is built on the main thread alone. */
const PARALLEL_MIN_WORK = 200_000;

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
export function startWorker(data: Record<string, unknown>): { worker: Worker; port: MessagePort } {
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
export function receive(port: MessagePort): unknown {
  const m = receiveMessageOnPort(port);
  return m === undefined ? undefined : m.message;
}

/** Rows below which a leaf range is partitioned on the main thread alone. */
const PARTITION_MIN_ROWS = 32_768;

/** Rows per partition or leaf-update chunk (at least). */
const ROWS_PER_CHUNK = 16_384;

/**
 * Engine that shares the binned columns, row ids, ordered gradients and raw
 * scores with `threads - 1` workers once, then drives them through a shared control
 * block with `Atomics` (no message per command; see `engine.ts`):
 * histograms are cut into feature groups (each thread writes disjoint slots
 * of a shared histogram), partitions and leaf-value updates into row chunks.
 */
export class ParallelHistogramBuilder implements HistogramBuilder {
  readonly idx: Uint32Array;
  readonly grad: Float64Array;
  readonly hess: Float64Array | null;
  readonly raw: Float64Array;
  readonly refreshesGradients: boolean;
  private readonly d: SharedHgbData;
  private readonly runner: ChunkRunner;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly ctrl: Int32Array;
  private gen = 0;
  private readonly hists = new Map<Float64Array, number>();
  private readonly histList: Float64Array[] = [];
  private readonly F: number;

  constructor(
    private readonly stride: 2 | 3,
    private readonly binned: Uint8Array,
    private readonly n: number,
    private readonly offsets: Int32Array,
    threads: number,
    maxLeaves: number,
    loss: EngineLoss | null = null,
  ) {
    const F = offsets.length - 1;
    this.F = F;
    const sab = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);
    this.ctrl = new Int32Array(sab(4 * HGB_CTRL.SIZE));
    this.idx = new Uint32Array(sab(4 * n));
    this.grad = new Float64Array(sab(8 * n));
    this.hess = stride === 3 ? new Float64Array(sab(8 * n)) : null;
    this.raw = new Float64Array(sab(8 * n));
    const h3 = (): Float64Array | null => (stride === 3 ? new Float64Array(sab(8 * n)) : null);
    const scratch: SplitScratch = {
      li: new Uint32Array(sab(4 * n)),
      lg: new Float64Array(sab(8 * n)),
      lh: h3(),
      ri: new Uint32Array(sab(4 * n)),
      rg: new Float64Array(sab(8 * n)),
      rh: h3(),
    };
    this.d = {
      stride,
      binned,
      n,
      offsets,
      ctrl: this.ctrl,
      idx: this.idx,
      og: this.grad,
      oh: this.hess,
      scratch,
      lut: new Uint8Array(sab(256)),
      raw: this.raw,
      leafStarts: new Int32Array(sab(4 * (maxLeaves + 1))),
      leafValues: new Float64Array(sab(8 * maxLeaves)),
      loss: loss ? loss.code : LOSS.none,
      y: null,
    };
    if (loss) {
      this.d.y = new Float64Array(sab(8 * n));
      this.d.y.set(loss.y);
    }
    this.refreshesGradients = this.d.loss !== LOSS.none;
    this.runner = new ChunkRunner(this.d, (id) => this.histList[id]!);
    const T = Math.max(1, Math.min(threads, 64));
    for (let t = 1; t < T; t++) {
      const { worker, port } = startWorker({ kind: 'hgb', slot: t, shared: this.d });
      this.workers.push(worker);
      this.ports.push(port);
    }
  }

  /** A histogram in shared memory, announced to the workers. */
  newHistogram(len: number): Float64Array {
    const h = new Float64Array(new SharedArrayBuffer(8 * len));
    const id = this.histList.length;
    this.hists.set(h, id);
    this.histList.push(h);
    // Workers block on the control block, not on messages: they read this synchronously when they first meet the id.
    for (const p of this.ports) p.postMessage({ id, hist: h });
    return h;
  }

  /** Builds every feature's histogram over rows 0..count-1, the threads sharing the feature groups. */
  buildRoot(hist: Float64Array, count: number): void {
    if (count * this.F < PARALLEL_MIN_WORK) {
      buildHistogram(hist, this.stride, this.binned, this.n, this.offsets, 0, this.F, null, count, this.grad, this.hess);
      return;
    }
    this.run(HGB_CMD.buildRoot, this.histId(hist), count, 0, this.runner.histogramChunks, 'histogram');
  }

  /** Builds every feature's histogram over a leaf's rows, the threads sharing the feature groups. */
  private buildLeaf(hist: Float64Array, start: number, count: number): void {
    if (count * this.F < PARALLEL_MIN_WORK) {
      const e = start + count;
      buildHistogram(
        hist,
        this.stride,
        this.binned,
        this.n,
        this.offsets,
        0,
        this.F,
        this.idx.subarray(start, e),
        count,
        this.grad.subarray(start, e),
        this.hess ? this.hess.subarray(start, e) : null,
      );
      return;
    }
    this.run(HGB_CMD.buildLeaf, this.histId(hist), start, count, this.runner.histogramChunks, 'histogram');
  }

  /** Every row's gradients at the current raw scores, and `idx` reset, the threads sharing row chunks. */
  computeGradients(): void {
    const d = this.d;
    if (this.n < PARTITION_MIN_ROWS) {
      gradientsRange(d.loss, d.y!, d.raw, d.og, d.oh, 0, this.n);
      for (let i = 0; i < this.n; i++) d.idx[i] = i;
      return;
    }
    this.run(HGB_CMD.gradients, 0, 0, 0, this.rowChunks(), 'gradients');
  }

  /** Adds each leaf's value to its rows' raw scores (with a loss, then the next gradients and `idx` reset), the threads sharing row chunks. */
  addLeafValues(starts: Int32Array, values: Float64Array, nLeaves: number): void {
    const d = this.d;
    if (this.n < PARTITION_MIN_ROWS) addLeafValuesRange(d.raw, d.idx, starts, values, nLeaves, 0, this.n);
    else {
      d.leafStarts.set(starts.subarray(0, nLeaves + 1));
      d.leafValues.set(values.subarray(0, nLeaves));
      this.run(HGB_CMD.leaves, nLeaves, 0, 0, this.rowChunks(), 'leaf values');
    }
    if (this.refreshesGradients) this.computeGradients();
  }

  private rowChunks(): number {
    return Math.min(MAX_CHUNKS, Math.max(2, Math.floor(this.n / ROWS_PER_CHUNK)));
  }

  /**
   * Stable partition of a leaf range (gradients alongside) in two chunked
   * commands: each row chunk splits into scratch; then, once every chunk's
   * left count is known, the chunks are copied to their final places while
   * the other tasks of that command build the smaller part's histogram from
   * the scratch. Small ranges are partitioned here alone.
   */
  splitLeaf(start: number, end: number, feature: number, lut: Uint8Array, hist: Float64Array | null, smallLeft: boolean, times: PhaseTimes): number {
    const d = this.d;
    const { scratch } = d;
    let t0 = performance.now();
    if (end - start < PARTITION_MIN_ROWS) {
      const mid = partitionRange(d.idx, d.og, d.oh, scratch.ri, scratch.rg, scratch.rh, this.binned, feature * this.n, lut, start, end);
      t0 = lap(times, 'partition', t0);
      if (hist) {
        this.buildLeaf(hist, smallLeft ? start : mid, smallLeft ? mid - start : end - mid);
        lap(times, 'histograms', t0);
      }
      return mid;
    }
    d.lut.set(lut);
    const KC = Math.min(MAX_CHUNKS, Math.max(2, Math.floor((end - start) / ROWS_PER_CHUNK)));
    this.run(HGB_CMD.split, start, end, feature, KC, 'partition');
    const ctrl = this.ctrl;
    const C = HGB_CTRL;
    let nl = 0;
    for (let k = 0; k < KC; k++) nl += ctrl[C.LEFT + k]!;
    let lpos = start;
    let rpos = start + nl;
    for (let k = 0; k < KC; k++) {
      const l = ctrl[C.LEFT + k]!;
      ctrl[C.LPOS + k] = lpos;
      ctrl[C.RPOS + k] = rpos;
      lpos += l;
      rpos += chunkStart(start, end, KC, k + 1) - chunkStart(start, end, KC, k) - l;
    }
    const count = smallLeft ? nl : end - start - nl;
    // A small side's histogram is cheaper here, after the placing, than as tasks.
    const withHist = hist !== null && count * this.F >= PARALLEL_MIN_WORK;
    ctrl[C.KC] = KC;
    ctrl[C.D] = smallLeft ? 1 : 0;
    t0 = lap(times, 'partition', t0);
    // One command places the chunks and builds the histogram from the scratch: its time counts as histograms (placing is a copy).
    this.run(HGB_CMD.placeBuild, start, end, withHist ? this.histId(hist) : -1, KC + (withHist ? this.runner.histogramChunks : 0), 'partition');
    t0 = lap(times, withHist ? 'histograms' : 'partition', t0);
    const mid = start + nl;
    if (hist && !withHist) {
      this.buildLeaf(hist, smallLeft ? start : mid, count);
      lap(times, 'histograms', t0);
    }
    return mid;
  }

  /** Stops the workers. */
  close(): void {
    if (this.workers.length) this.post(HGB_CMD.stop, 0, 0, 0, 0);
    for (const w of this.workers) void w.terminate();
    for (const p of this.ports) p.close();
    this.workers.length = 0;
    this.ports.length = 0;
  }

  private histId(hist: Float64Array): number {
    const id = this.hists.get(hist);
    if (id === undefined) throw new Error('ParallelHistogramBuilder: unknown histogram buffer');
    return id;
  }

  private post(cmd: number, a: number, b: number, c: number, K: number): number {
    const ctrl = this.ctrl;
    const C = HGB_CTRL;
    const gen = (this.gen = (this.gen % (GEN_MOD - 1)) + 1);
    ctrl[C.CMD] = cmd;
    ctrl[C.A] = a;
    ctrl[C.B] = b;
    ctrl[C.C] = c;
    ctrl[C.K] = K;
    ctrl[C.DONE] = 0;
    Atomics.store(ctrl, C.TICKET, gen << 8);
    Atomics.store(ctrl, C.GEN, gen);
    Atomics.notify(ctrl, C.GEN);
    return gen;
  }

  /** Posts a command, works on it here too, and waits until all its chunks are done. */
  private run(cmd: number, a: number, b: number, c: number, K: number, what: string): void {
    const gen = this.post(cmd, a, b, c, K);
    this.runner.work(gen);
    const ctrl = this.ctrl;
    const t0 = Date.now();
    for (;;) {
      const done = Atomics.load(ctrl, HGB_CTRL.DONE);
      if (done === K) return;
      if (Atomics.load(ctrl, HGB_CTRL.FAIL) !== 0) throw new Error(`${what}: a worker thread failed (see its error above).`);
      if (Date.now() - t0 > 600_000) throw new Error(`${what}: a worker thread did not finish its chunk within 600 s.`);
      Atomics.wait(ctrl, HGB_CTRL.DONE, done, 1000);
    }
  }
}
