import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { chunkStart, ChunkRunner, GEN_MOD, HGB_CMD, HGB_CTRL, MAX_CHUNKS, SharedHgbData } from './engine';
import { buildHistogram } from './histogram';
import { EngineLoss, EngineOptions, HistogramBuilder, lap, PhaseTimes } from './grower';
import { KernelArena, WasmMemory } from './kernels';
import { LOSS } from './loss';
import { finishRows, leafIdBytes, leafIds, partitionRange, scatterLeafIds, SplitScratch } from './partition';

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

/**
 * The CPU quota of this process's cgroup (v2 `cpu.max`, else v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`) in cores, rounded up; null when
 * there is none or it cannot be read. A container limited to 1.5 CPUs on a
 * 16-core host gets 2.
 */
export function cgroupCpuLimit(read: (file: string) => string | null = readSmall): number | null {
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2 !== null) {
    const [quota, period] = v2.trim().split(/\s+/);
    const q = Number(quota);
    const p = Number(period);
    return quota !== 'max' && q > 0 && p > 0 ? Math.max(1, Math.ceil(q / p)) : null;
  }
  const q = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')?.trim());
  const p = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')?.trim());
  return q > 0 && p > 0 ? Math.max(1, Math.ceil(q / p)) : null;
}

function readSmall(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The cores this process may use: the CPUs it may run on (affinity), capped by its cgroup's CPU quota. */
export function availableCores(): number {
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const quota = cgroupCpuLimit();
  return Math.max(1, quota === null ? cpus : Math.min(cpus, quota));
}

/** Default thread count: the cores available ({@link availableCores}), at most 2 (the target machines have 2). */
export function defaultThreads(): number {
  return Math.min(2, availableCores());
}

/** How long the engine waits for a worker thread before it calls it stuck (a monotonic clock: a system clock jump does not count). */
const WORKER_TIMEOUT_MS = 600_000;

/** Blocks until `flag[i]` becomes `value` (or throws after `timeoutMs`, on a monotonic clock). */
export function waitFor(flag: Int32Array, i: number, value: number, what: string, timeoutMs = WORKER_TIMEOUT_MS): void {
  const t0 = performance.now();
  for (;;) {
    const cur = Atomics.load(flag, i);
    if (cur === value) return;
    if (cur < 0) throw new Error(`${what}: a worker thread failed (see its error above).`);
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: a worker thread did not answer within ${timeoutMs / 1000} s.`);
    Atomics.wait(flag, i, cur, 1000);
  }
}

/**
 * Blocks (no spinning) until the control block's `DONE` count reaches `K`;
 * throws when a worker failed, or after {@link WORKER_TIMEOUT_MS} on a
 * monotonic clock.
 */
export function waitForDone(ctrl: Int32Array, K: number, what: string): void {
  const t0 = performance.now();
  for (;;) {
    const done = Atomics.load(ctrl, HGB_CTRL.DONE);
    if (done === K) return;
    if (Atomics.load(ctrl, HGB_CTRL.FAIL) !== 0) throw new Error(`${what}: a worker thread failed (see its error above).`);
    if (performance.now() - t0 > WORKER_TIMEOUT_MS) throw new Error(`${what}: a worker thread did not finish its chunk within ${WORKER_TIMEOUT_MS / 1000} s.`);
    Atomics.wait(ctrl, HGB_CTRL.DONE, done, 1000);
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

/**
 * The gradient-boosting engine's worker threads, started before the engine
 * itself (while the calling thread bins the data) with the control block
 * they sleep on. Started with a kernel arena's memory, they first touch one
 * word per page of it (an atomic add of 0, which leaves any value written
 * meanwhile as it is): a page's first write costs a page fault, tens of
 * microseconds on a virtual machine, and this way the arena's pages are
 * mapped on the otherwise idle cores while the calling thread bins, instead
 * of on the calling thread in the first tree. A worker stops touching as
 * soon as a command is posted. {@link ParallelHistogramBuilder} then hands
 * them its buffers (the `init` command).
 */
export class HgbWorkers {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * HGB_CTRL.SIZE));
  readonly workers: Worker[] = [];
  readonly ports: MessagePort[] = [];

  /** Starts `threads - 1` workers; with `prefault`, they first touch the pages of that memory, from its start. */
  constructor(threads: number, prefault: WasmMemory | null = null) {
    const W = Math.max(0, Math.min(threads, 64) - 1);
    for (let t = 1; t <= W; t++) {
      const { worker, port } = startWorker({ kind: 'hgb', slot: t, workers: W, ctrl: this.ctrl, prefault });
      this.workers.push(worker);
      this.ports.push(port);
    }
  }

  /** Stops the workers. */
  close(): void {
    if (this.workers.length) {
      const ctrl = this.ctrl;
      ctrl[HGB_CTRL.CMD] = HGB_CMD.stop;
      Atomics.store(ctrl, HGB_CTRL.GEN, (Atomics.load(ctrl, HGB_CTRL.GEN) % (GEN_MOD - 1)) + 1);
      Atomics.notify(ctrl, HGB_CTRL.GEN);
    }
    for (const w of this.workers) void w.terminate();
    for (const p of this.ports) p.close();
    this.workers.length = 0;
    this.ports.length = 0;
  }
}

/** Rows below which a leaf range is partitioned on the main thread alone. */
const PARTITION_MIN_ROWS = 32_768;

/** Rows per partition or leaf-update chunk (at least). */
const ROWS_PER_CHUNK = 16_384;

/** Most bytes of the shared histogram pool (address space; pages are touched only as histograms are used). */
const HIST_POOL_BYTES = 256 << 20;

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
  private readonly pool: HgbWorkers;
  private readonly workers: Worker[];
  private readonly ctrl: Int32Array;
  private gen = 0;
  private readonly hists = new Map<Float64Array, number>();
  private nHists = 0;
  private readonly F: number;
  /** Picks, tree by tree, whether commands go to the workers or run here alone. */
  readonly governor: ThreadGovernor;
  /** This tree so far: work units, and when it started (wall ms, process CPU µs). */
  private units = 0;
  private treeStart = performance.now();
  private treeCpu = cpuMicros();
  /** Wall time (ms) of this tree's commands the workers were woken for. */
  private sharedMs = 0;

  /** Histograms in the shared pool by default: all a grower of `maxLeaves` leaves holds at once, within HIST_POOL_BYTES. */
  static poolHistograms(histLen: number, maxLeaves: number): number {
    return Math.max(1, Math.min(maxLeaves + 2, Math.floor(HIST_POOL_BYTES / (8 * histLen))));
  }

  /** Bytes of the kernel arena this engine takes for `n` rows and histograms of `histLen` doubles, the binned columns, the raw scores and the leaf ids included. */
  static arenaBytes(stride: 2 | 3, n: number, nFeatures: number, histLen: number, maxLeaves: number): number {
    const z = KernelArena.size;
    return (
      z(n * nFeatures, 1) +
      3 * z(n, 4) +
      (stride === 3 ? 7 : 4) * z(n, 8) +
      z(n, leafIdBytes(maxLeaves)) +
      z(256, 1) +
      ParallelHistogramBuilder.poolHistograms(histLen, maxLeaves) * z(histLen, 8)
    );
  }

  constructor(
    private readonly stride: 2 | 3,
    private readonly binned: Uint8Array,
    private readonly n: number,
    private readonly offsets: Int32Array,
    threads: number,
    maxLeaves: number,
    loss: EngineLoss | null = null,
    o: {
      /** The governor (default: a {@link ThreadGovernor} with its default settings). */
      readonly governor?: ThreadGovernor;
      /** Histograms in the shared pool (default: {@link ParallelHistogramBuilder.poolHistograms}). */
      readonly poolHistograms?: number;
      /** Workers started ahead ({@link HgbWorkers}; `threads` must be their count plus one); the engine closes them. */
      readonly workers?: HgbWorkers;
    } & Pick<EngineOptions, 'arena'> = {},
  ) {
    const F = offsets.length - 1;
    this.F = F;
    const a = o.arena ?? null;
    const sab = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);
    const u32 = (len: number): Uint32Array => (a ? a.u32(len) : new Uint32Array(sab(4 * len)));
    const f64 = (len: number): Float64Array => (a ? a.f64(len) : new Float64Array(sab(8 * len)));
    const T = Math.max(1, Math.min(threads, 64));
    if (o.workers && o.workers.workers.length !== T - 1) {
      throw new RangeError(`ParallelHistogramBuilder: ${threads} threads need ${T - 1} workers, ${o.workers.workers.length} were started`);
    }
    this.pool = o.workers ?? new HgbWorkers(T);
    this.ctrl = this.pool.ctrl;
    this.idx = u32(n);
    this.grad = f64(n);
    this.hess = stride === 3 ? f64(n) : null;
    this.raw = f64(n);
    const h3 = (): Float64Array | null => (stride === 3 ? f64(n) : null);
    const scratch: SplitScratch = {
      li: u32(n),
      lg: f64(n),
      lh: h3(),
      ri: u32(n),
      rg: f64(n),
      rh: h3(),
    };
    const histLen = stride * offsets[F]!;
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
      lut: a ? a.u8(256) : new Uint8Array(sab(256)),
      raw: this.raw,
      leafStarts: new Int32Array(sab(4 * (maxLeaves + 1))),
      leafValues: new Float64Array(sab(8 * maxLeaves)),
      leafOf: leafIds(n, maxLeaves, a ?? true),
      loss: loss ? loss.code : LOSS.none,
      y: null,
      // Every histogram a grower can hold at once (its leaves' and the child being built), allocated once and
      // shared, up to HIST_POOL_BYTES; beyond that (huge maxLeafNodes × many features) histograms are private and built here.
      histLen,
      hists: f64(histLen * (o.poolHistograms ?? ParallelHistogramBuilder.poolHistograms(histLen, maxLeaves))),
      memory: a ? a.memory : null,
    };
    if (loss) {
      // Targets already in shared memory (a caller's SharedArrayBuffer) are used as they are.
      if (loss.y.buffer instanceof SharedArrayBuffer && loss.y.length === n) this.d.y = loss.y;
      else (this.d.y = new Float64Array(sab(8 * n))).set(loss.y);
    }
    this.refreshesGradients = this.d.loss !== LOSS.none;
    this.runner = new ChunkRunner(this.d);
    this.governor = o.governor ?? new ThreadGovernor(T > 1);
    this.workers = this.pool.workers;
    this.init();
  }

  /** Hands the engine's buffers to the workers (each takes them from its port) and waits until each has them. */
  private init(): void {
    const W = this.workers.length;
    if (W === 0) return;
    for (const p of this.pool.ports) p.postMessage(this.d);
    const ctrl = this.ctrl;
    ctrl[HGB_CTRL.CMD] = HGB_CMD.init;
    ctrl[HGB_CTRL.DONE] = 0;
    this.gen = (Atomics.load(ctrl, HGB_CTRL.GEN) % (GEN_MOD - 1)) + 1;
    Atomics.store(ctrl, HGB_CTRL.GEN, this.gen);
    Atomics.notify(ctrl, HGB_CTRL.GEN);
    try {
      waitForDone(ctrl, W, 'starting the worker threads');
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * The next histogram of the shared pool (the workers know it by its index:
   * no message, no waiting for one); a private one, built on this thread
   * alone, once the pool is used up.
   */
  newHistogram(len: number): Float64Array {
    const { hists, histLen } = this.d;
    if (len !== histLen) throw new Error(`ParallelHistogramBuilder: histograms have ${histLen} slots, not ${len}`);
    const id = this.nHists;
    if ((id + 1) * len > hists.length) return new Float64Array(len);
    this.nHists++;
    const h = hists.subarray(id * len, (id + 1) * len);
    this.hists.set(h, id);
    return h;
  }

  /** Whether the threads share this histogram (it is in the pool) and the governor lets them work. */
  private parallelOn(hist: Float64Array | null): boolean {
    return this.governor.parallel && (hist === null || this.hists.has(hist));
  }

  /** Builds every feature's histogram over rows 0..count-1, the threads sharing the feature groups. */
  buildRoot(hist: Float64Array, count: number): void {
    this.units += count * this.F * WORK_UNITS.histogramCell;
    if (count * this.F < PARALLEL_MIN_WORK || !this.parallelOn(hist)) {
      buildHistogram(hist, this.stride, this.binned, this.n, this.offsets, 0, this.F, null, count, this.grad, this.hess, this.runner.kernels);
      return;
    }
    this.run(HGB_CMD.buildRoot, this.histId(hist), count, 0, this.runner.histogramChunks, 'histogram');
  }

  /** Builds every feature's histogram over a leaf's rows, the threads sharing the feature groups. */
  private buildLeaf(hist: Float64Array, start: number, count: number): void {
    this.units += count * this.F * WORK_UNITS.histogramCell;
    if (count * this.F < PARALLEL_MIN_WORK || !this.parallelOn(hist)) {
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
        this.runner.kernels,
      );
      return;
    }
    this.run(HGB_CMD.buildLeaf, this.histId(hist), start, count, this.runner.histogramChunks, 'histogram');
  }

  /** Every row's gradients at the current raw scores, and `idx` reset, the threads sharing row chunks. */
  computeGradients(): void {
    const d = this.d;
    if (!this.refreshesGradients) throw new Error(`computeGradients: no gradients for loss code ${d.loss}`);
    this.units += this.n * WORK_UNITS.updateRow;
    if (this.n < PARTITION_MIN_ROWS || !this.governor.parallel) finishRows(d.loss, d.y, d.raw, d.og, d.oh, d.idx, d.leafOf, null, 0, this.n);
    else this.run(HGB_CMD.rows, 0, 0, 0, this.rowChunks(), 'gradients');
  }

  /**
   * Adds each leaf's value to its rows' raw scores (with a loss, then the
   * next gradients and `idx` reset), in two steps the threads share: each
   * position's leaf id to its row (position chunks), then each row's update
   * in row order (row chunks).
   */
  addLeafValues(starts: Int32Array, values: Float64Array, nLeaves: number): void {
    const d = this.d;
    this.units += 2 * this.n * WORK_UNITS.updateRow;
    if (this.n < PARTITION_MIN_ROWS || !this.governor.parallel) {
      scatterLeafIds(d.idx, d.leafOf, starts, nLeaves, 0, this.n);
      finishRows(d.loss, d.y, d.raw, d.og, d.oh, d.idx, d.leafOf, values, 0, this.n);
    } else {
      d.leafStarts.set(starts.subarray(0, nLeaves + 1));
      d.leafValues.set(values.subarray(0, nLeaves));
      this.run(HGB_CMD.leaves, nLeaves, 0, 0, this.rowChunks(), 'leaf values');
      this.run(HGB_CMD.rows, 1, 0, 0, this.rowChunks(), 'leaf values');
    }
    this.endTree();
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
    this.units += (end - start) * WORK_UNITS.partitionRow;
    // Small ranges, and every range while the governor has the engine run alone, take the serial path (the same result).
    if (end - start < PARTITION_MIN_ROWS || !this.governor.parallel) {
      d.lut.set(lut);
      const mid = partitionRange(d.idx, d.og, d.oh, scratch.ri, scratch.rg, scratch.rh, this.binned, feature * this.n, d.lut, start, end, this.runner.kernels);
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
    const withHist = hist !== null && count * this.F >= PARALLEL_MIN_WORK && this.hists.has(hist);
    if (withHist) this.units += count * this.F * WORK_UNITS.histogramCell;
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
    this.pool.close();
  }

  private histId(hist: Float64Array): number {
    const id = this.hists.get(hist);
    if (id === undefined) throw new Error('ParallelHistogramBuilder: unknown histogram buffer');
    return id;
  }

  /**
   * Writes a command to the control block. With `wake`, bumps the generation
   * the workers sleep on and wakes them; without, the workers sleep on and
   * the calling thread claims every chunk itself (same chunks, same results).
   */
  private post(cmd: number, a: number, b: number, c: number, K: number, wake = true): number {
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
    if (wake) {
      Atomics.store(ctrl, C.GEN, gen);
      Atomics.notify(ctrl, C.GEN);
    }
    return gen;
  }

  /**
   * Posts a command, works on it here too, and waits (blocked, not spinning)
   * until all its chunks are done. (While the governor has the engine run
   * alone, the callers take the serial paths instead; a command posted then
   * does not wake the workers, and this thread does every chunk.)
   */
  private run(cmd: number, a: number, b: number, c: number, K: number, what: string): void {
    const wake = this.governor.parallel;
    const t0 = performance.now();
    const gen = this.post(cmd, a, b, c, K, wake);
    this.runner.work(gen);
    waitForDone(this.ctrl, K, what);
    if (wake) this.sharedMs += performance.now() - t0;
  }

  /**
   * The end of a tree: tells the governor how much work it was, how long it
   * took, and the share of the CPU it got: its CPU time over the wall time of
   * the calling thread plus, per worker, that of the commands it shared.
   */
  private endTree(): void {
    const now = performance.now();
    const cpu = cpuMicros();
    const wall = now - this.treeStart;
    this.governor.record(this.units, wall, (cpu - this.treeCpu) / 1000 / (wall + this.workers.length * this.sharedMs));
    this.units = 0;
    this.sharedMs = 0;
    this.treeStart = now;
    this.treeCpu = cpu;
  }
}

/** CPU time of the whole process (all its threads), µs. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Work units of the engine's steps, roughly in nanoseconds of one core, so
 * that trees of different shapes compare by throughput (units per ms): a
 * partitioned row, a (row, feature) cell of a histogram, a row of the
 * leaf-value and gradient updates.
 */
export const WORK_UNITS = { partitionRow: 4, histogramCell: 1.5, updateRow: 3 } as const;

/** The {@link ThreadGovernor}'s settings. */
export interface GovernorOptions {
  /**
   * The share of the CPU a parallel tree must get to count as uncontended:
   * its CPU time over what its threads could use (the tree's wall time plus,
   * for each worker, the wall time of the commands it was woken for). About 1
   * on an idle machine; near 1/2 when other processes hold the cores.
   */
  readonly minShare: number;
  /** Trees between re-timings of the mode not in use. */
  readonly reprobe: number;
  /**
   * Most trees between re-timings of running alone: each tree timed alone
   * that loses to the parallel figure doubles the wait before the next one,
   * up to this (false alarms on an idle machine then cost few slow trees).
   */
  readonly maxReprobe: number;
  /** First trees not judged (they pay for page faults and compilation, not for the machine being busy). */
  readonly warmup: number;
  /** Consecutive contended parallel trees before a tree is timed alone (one slow tree is a blip). */
  readonly patience: number;
}

/** The governor's default settings. */
export const GOVERNOR_DEFAULTS: GovernorOptions = { minShare: 0.75, reprobe: 10, maxReprobe: 40, warmup: 1, patience: 2 };

/**
 * Chooses, tree by tree, whether the gradient-boosting engine sends its
 * commands to the worker threads or runs them on the calling thread alone
 * (the chunks, hence the results, are the same either way). It starts in
 * parallel. After each parallel tree past the warm-up it looks at the share
 * of the CPU the tree got ({@link GovernorOptions.minShare}): about all of
 * it on an idle machine, and it stays parallel. When `patience` trees in a
 * row got markedly less, other processes take the cores: it then times a
 * tree run alone and keeps whichever mode gets more work done per
 * millisecond, re-timing the other one every `reprobe` trees. A fit on a
 * busy machine thus stops waiting on a descheduled worker when that costs
 * more than the worker brings, and a fit on an idle one is not sent alone
 * by its first tree's page faults or by one slow tree.
 */
export class ThreadGovernor {
  private mode: 'parallel' | 'serial';
  /** Latest throughput (work units per ms) of each mode, and trees since it was measured. */
  private readonly rate = { parallel: Number.NaN, serial: Number.NaN };
  private readonly age = { parallel: 0, serial: 0 };
  /** Trees a mode's figure stays fresh (see {@link GovernorOptions.maxReprobe}). */
  private readonly fresh: { parallel: number; serial: number };
  private readonly o: GovernorOptions;
  /** Trees recorded, and contended parallel trees in a row. */
  private trees = 0;
  private contended = 0;
  /** Trees run alone so far (for the timings). */
  serialTrees = 0;

  constructor(
    private readonly hasWorkers: boolean,
    o: Partial<GovernorOptions> = {},
  ) {
    this.o = { ...GOVERNOR_DEFAULTS, ...o };
    this.fresh = { parallel: this.o.reprobe, serial: this.o.reprobe };
    this.mode = hasWorkers ? 'parallel' : 'serial';
  }

  /** Whether the next command goes to the worker threads. */
  get parallel(): boolean {
    return this.mode === 'parallel';
  }

  /**
   * Records a finished tree — its work units, wall time (ms) and the share
   * of the CPU it got (see {@link GovernorOptions.minShare}; ignored for a
   * tree run alone) — and picks the next tree's mode.
   */
  record(units: number, wallMs: number, share: number): void {
    const m = this.mode;
    if (m === 'serial') this.serialTrees++;
    if (!this.hasWorkers) return;
    if (++this.trees <= this.o.warmup) return;
    if (!(wallMs > 0) || !(units > 0)) return;
    // Smoothed over the last few trees of the mode: one tree's time on a busy machine is noisy.
    const r = units / wallMs;
    this.rate[m] = Number.isNaN(this.rate[m]) || this.age[m] > this.o.reprobe ? r : 0.5 * (this.rate[m] + r);
    this.age[m] = 0;
    const other = m === 'parallel' ? 'serial' : 'parallel';
    this.age[other]++;
    if (m === 'parallel') {
      if (share >= this.o.minShare) {
        this.contended = 0;
        return;
      }
      if (++this.contended < this.o.patience) return;
    }
    // Contended (or running alone): re-time the other mode when its figure is missing or stale, else keep the faster.
    const faster = this.rate.parallel >= this.rate.serial ? 'parallel' : 'serial';
    const next = Number.isNaN(this.rate[other]) || this.age[other] >= this.fresh[other] ? other : faster;
    if (m === 'serial' && faster === 'parallel') this.fresh.serial = Math.min(this.o.maxReprobe, 2 * this.fresh.serial);
    else if (faster === 'serial') this.fresh.serial = this.o.reprobe;
    if (next !== m) this.contended = 0;
    this.mode = next;
  }
}
