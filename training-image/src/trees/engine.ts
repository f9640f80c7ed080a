/**
 * Shared-memory command protocol of the parallel gradient-boosting engine:
 * the code both the main thread and the workers run. Each command is cut
 * into chunks (feature groups of a histogram, row chunks of a partition's
 * two phases or of the leaf-value update's two steps: each position's leaf id
 * to its row, then each row's update) that threads claim from a shared ticket; a chunk
 * is computed the same way whichever thread claims it, so results do not
 * depend on the thread count or on scheduling, and a descheduled thread
 * only costs the chunk it holds.
 */
import { accumulateHistogram, buildHistogram } from './histogram';
import { instantiateKernels, Kernels, WasmMemory } from './kernels';
import { LossCode } from './loss';
import { finishRows, LeafIds, placeChunk, scatterLeafIds, SplitScratch, splitChunk } from './partition';

/** Command words (slot `CMD` of the control block). */
export const HGB_CMD = { buildRoot: 1, buildLeaf: 2, split: 3, placeBuild: 4, leaves: 5, rows: 6, init: 8, stop: 9 } as const;

/**
 * Control block layout (one shared Int32Array): the main thread writes the
 * command, its arguments and chunk count `K`, resets `DONE`, sets `TICKET`
 * to `gen << 8` and finally bumps `GEN`; the `init` command is not cut into
 * chunks: each worker takes the engine's buffers ({@link SharedHgbData}) from
 * its message port and increments `DONE`. Otherwise a thread claims chunk `TICKET & 255`
 * by compare-and-swap while `TICKET >>> 8` is still the command's generation,
 * runs it and increments `DONE`. `FAIL` is set by a worker that threw.
 * A partition's `KC` row chunks leave their left counts in `LEFT + k`
 * (split phase); the main thread then writes where each chunk's left and
 * right parts go to `LPOS + k` and `RPOS + k`, and the place phase copies
 * them there while, as further tasks of the same command, the smaller
 * part's histogram is built from the scratch (side `D`: 1 = left).
 */
export const HGB_CTRL = { GEN: 0, CMD: 1, A: 2, B: 3, C: 4, K: 5, TICKET: 6, DONE: 7, FAIL: 8, D: 9, KC: 10, LEFT: 64, LPOS: 128, RPOS: 192, SIZE: 256 } as const;

/** Most chunks per command. */
export const MAX_CHUNKS = 64;

/** Generations wrap at this modulus (they share the ticket word with the chunk index). */
export const GEN_MOD = 1 << 22;

/** Buffers shared by all threads of one engine. */
export interface SharedHgbData {
  stride: 2 | 3;
  binned: Uint8Array;
  n: number;
  offsets: Int32Array;
  ctrl: Int32Array;
  /** Row ids, partitioned into leaf ranges. */
  idx: Uint32Array;
  /** Gradients, permuted along with `idx`. */
  og: Float64Array;
  /** Hessians, permuted along with `idx` (stride 3). */
  oh: Float64Array | null;
  scratch: SplitScratch;
  lut: Uint8Array;
  raw: Float64Array;
  leafStarts: Int32Array;
  leafValues: Float64Array;
  /** Each row's leaf in the tree being finished (the leaves command writes them, the rows command reads them). */
  leafOf: LeafIds;
  /** Loss whose gradients the engine computes for the next tree after each leaf-value update (`LOSS.none`: the caller writes them). */
  loss: LossCode;
  /** Training targets (null without a loss). */
  y: Float64Array | null;
  /** Doubles per histogram. */
  histLen: number;
  /** The histogram pool: histogram `id` is `hists[id·histLen .. (id+1)·histLen)`. */
  hists: Float64Array;
  /** The kernel arena's memory the buffers above live in (each thread instantiates the kernels on it), or null (JavaScript loops). */
  memory: WasmMemory | null;
}

/**
 * Feature groups of a histogram command, as boundaries: groups of four (one
 * pass over the rows fills four features; more with over 512 features), the
 * last few features in two smaller groups so that two threads can end level.
 */
export function featureGroups(F: number): Int32Array {
  // At most 128 groups, so that a command's tasks fit the ticket's 8 bits with 64 row chunks.
  const size = Math.max(4, Math.ceil(F / 128));
  const b: number[] = [0];
  let f = 0;
  while (F - f >= 2 * size) b.push((f += size));
  const rest = F - f;
  if (rest >= 4) b.push((f += rest >> 1));
  if (F > f) b.push(F);
  return Int32Array.from(b);
}

/** Start of chunk `k` of `K` over `[s, e)`. */
export function chunkStart(s: number, e: number, K: number, k: number): number {
  return s + Math.round((k * (e - s)) / K);
}

/** Runs the chunks of commands on one thread's behalf. */
export class ChunkRunner {
  private readonly groups: Int32Array;
  /** This thread's instance of the kernels (null: JavaScript loops). */
  readonly kernels: Kernels | null;

  constructor(private readonly d: SharedHgbData) {
    this.groups = featureGroups(d.offsets.length - 1);
    this.kernels = d.memory ? instantiateKernels(d.memory) : null;
  }

  /** Histogram `id` of the shared pool. */
  private histogram(id: number): Float64Array {
    const L = this.d.histLen;
    return this.d.hists.subarray(id * L, (id + 1) * L);
  }

  /** Number of chunks of a histogram command. */
  get histogramChunks(): number {
    return this.groups.length - 1;
  }

  /**
   * Histogram slots of features `f0..f1-1` over one side of a partition
   * still in the scratch: chunk by chunk, which is the final row order.
   */
  private buildFromScratch(hist: Float64Array, f0: number, f1: number, a: number, b: number, KC: number, left: boolean): void {
    const d = this.d;
    const t = d.scratch;
    hist.fill(0, d.stride * d.offsets[f0]!, d.stride * d.offsets[f1]!);
    for (let j = 0; j < KC; j++) {
      const s = chunkStart(a, b, KC, j);
      const nl = d.ctrl[HGB_CTRL.LEFT + j]!;
      const m = left ? nl : chunkStart(a, b, KC, j + 1) - s - nl;
      if (m === 0) continue;
      const e = s + m;
      const k = this.kernels;
      if (left) accumulateHistogram(hist, d.stride, d.binned, d.n, d.offsets, f0, f1, t.li.subarray(s, e), m, t.lg.subarray(s, e), t.lh ? t.lh.subarray(s, e) : null, k);
      else accumulateHistogram(hist, d.stride, d.binned, d.n, d.offsets, f0, f1, t.ri.subarray(s, e), m, t.rg.subarray(s, e), t.rh ? t.rh.subarray(s, e) : null, k);
    }
  }

  /** Claims and runs chunks of command `gen` until none are left. */
  work(gen: number): void {
    const ctrl = this.d.ctrl;
    const C = HGB_CTRL;
    const cmd = ctrl[C.CMD]!;
    const a = ctrl[C.A]!;
    const b = ctrl[C.B]!;
    const c = ctrl[C.C]!;
    const K = ctrl[C.K]!;
    for (;;) {
      const cur = Atomics.load(ctrl, C.TICKET);
      if (cur >>> 8 !== gen) return;
      const k = cur & 255;
      if (k >= K) return;
      if (Atomics.compareExchange(ctrl, C.TICKET, cur, cur + 1) !== cur) continue;
      this.run(cmd, a, b, c, k, K);
      Atomics.add(ctrl, C.DONE, 1);
      Atomics.notify(ctrl, C.DONE);
    }
  }

  private run(cmd: number, a: number, b: number, c: number, k: number, K: number): void {
    const d = this.d;
    const C = HGB_CTRL;
    if (cmd === HGB_CMD.buildLeaf) {
      const e = b + c;
      buildHistogram(
        this.histogram(a),
        d.stride,
        d.binned,
        d.n,
        d.offsets,
        this.groups[k]!,
        this.groups[k + 1]!,
        d.idx.subarray(b, e),
        c,
        d.og.subarray(b, e),
        d.oh ? d.oh.subarray(b, e) : null,
        this.kernels,
      );
    } else if (cmd === HGB_CMD.split) {
      d.ctrl[C.LEFT + k] = splitChunk(d.idx, d.og, d.oh, d.scratch, d.binned, c * d.n, d.lut, chunkStart(a, b, K, k), chunkStart(a, b, K, k + 1), this.kernels);
    } else if (cmd === HGB_CMD.placeBuild) {
      // Tasks: the histogram's feature groups first (the long ones; none when c < 0), then the chunks to place.
      const KC = d.ctrl[C.KC]!;
      const G = c < 0 ? 0 : this.groups.length - 1;
      if (k < G) {
        this.buildFromScratch(this.histogram(c), this.groups[k]!, this.groups[k + 1]!, a, b, KC, d.ctrl[C.D] === 1);
      } else {
        const j = k - G;
        placeChunk(d.idx, d.og, d.oh, d.scratch, chunkStart(a, b, KC, j), chunkStart(a, b, KC, j + 1), d.ctrl[C.LEFT + j]!, d.ctrl[C.LPOS + j]!, d.ctrl[C.RPOS + j]!);
      }
    } else if (cmd === HGB_CMD.leaves) {
      scatterLeafIds(d.idx, d.leafOf, d.leafStarts, a, chunkStart(0, d.n, K, k), chunkStart(0, d.n, K, k + 1));
    } else if (cmd === HGB_CMD.rows) {
      finishRows(d.loss, d.y, d.raw, d.og, d.oh, d.idx, d.leafOf, a === 1 ? d.leafValues : null, chunkStart(0, d.n, K, k), chunkStart(0, d.n, K, k + 1));
    } else if (cmd === HGB_CMD.buildRoot) {
      buildHistogram(this.histogram(a), d.stride, d.binned, d.n, d.offsets, this.groups[k]!, this.groups[k + 1]!, null, b, d.og, d.oh, this.kernels);
    } else {
      throw new Error(`hgb engine: unknown command ${cmd}`);
    }
  }
}
