/**
 * Worker-thread entry for the tree learners: 'hgb' builds its share of
 * gradient-boosting histograms and partitions on command; 'forest' grows random-forest
 * trees claimed from a shared counter and sends them back.
 */
import { MessagePort, receiveMessageOnPort, workerData } from 'worker_threads';
import { ChunkRunner, HGB_CMD, HGB_CTRL, SharedHgbData } from './engine';
import { buildForestTree, ForestData, ForestTreeOptions, ForestWorkspace } from './forest-builder';
import type { WasmMemory } from './kernels';

interface HgbData {
  kind: 'hgb';
  /** This worker's number (1..workers) and how many there are. */
  slot: number;
  workers: number;
  ctrl: Int32Array;
  /** Memory whose pages to touch before the first command (see HgbWorkers in parallel.ts), or null. */
  prefault: WasmMemory | null;
  port: MessagePort;
}

interface ForestJob {
  kind: 'forest';
  slot: number;
  ctrl: Int32Array;
  data: ForestData;
  options: ForestTreeOptions;
  seeds: number[];
  port: MessagePort;
}

/** Bytes per page touched ahead (the smallest page size; larger pages just get touched more than once). */
const PAGE = 4096;

/**
 * Touches this worker's share of `memory`'s pages (every `workers`-th group
 * of 64 pages, from the start, where the calling thread writes first), one
 * atomic add of 0 per page: the page is mapped and keeps whatever value it
 * holds. Stops as soon as a command is posted.
 */
function prefault(memory: WasmMemory, slot: number, workers: number, ctrl: Int32Array): void {
  const words = new Int32Array(memory.buffer);
  const pages = Math.floor(memory.buffer.byteLength / PAGE);
  const G = 64;
  for (let g = (slot - 1) * G; g < pages; g += workers * G) {
    if (Atomics.load(ctrl, HGB_CTRL.GEN) !== 0) return;
    const e = Math.min(pages, g + G);
    for (let p = g; p < e; p++) Atomics.add(words, (p * PAGE) >> 2, 0);
  }
}

const wd = workerData as HgbData | ForestJob;

if (wd.kind === 'hgb') {
  runHgb(wd);
} else if (wd.kind === 'forest') {
  const d = wd;
  // Started: from here on this worker may claim trees (main waits only for started workers).
  Atomics.store(d.ctrl, d.slot, 2);
  try {
    const ws = new ForestWorkspace(d.data);
    const out: { i: number; tree: unknown; importances: Float64Array }[] = [];
    const transfer: ArrayBuffer[] = [];
    for (;;) {
      const i = Atomics.add(d.ctrl, 0, 1);
      if (i >= d.seeds.length) break;
      const t = buildForestTree(d.data, d.options, d.seeds[i]!, ws);
      out.push({ i, tree: t.tree, importances: t.importances });
      const tr = t.tree;
      transfer.push(
        tr.feature.buffer as ArrayBuffer,
        tr.threshold.buffer as ArrayBuffer,
        tr.missingLeft.buffer as ArrayBuffer,
        tr.left.buffer as ArrayBuffer,
        tr.right.buffer as ArrayBuffer,
        tr.value.buffer as ArrayBuffer,
      );
    }
    d.port.postMessage(out, transfer);
    Atomics.store(d.ctrl, d.slot, 1);
  } catch (e) {
    console.error(e);
    Atomics.store(d.ctrl, d.slot, -1);
  }
  Atomics.notify(d.ctrl, d.slot);
}

/**
 * Gradient-boosting worker: sleeps on the shared control block (a blocking
 * `Atomics.wait`, never a spin, so a busy machine's cores go to whoever has
 * work). The first command hands it the engine's buffers (`init`: a message
 * on its port); then it claims chunks of each command (see `engine.ts`)
 * until the stop command. Histograms live in the shared pool, so no message
 * is awaited while the trees grow.
 */
function runHgb(wd: HgbData): void {
  const ctrl = wd.ctrl;
  try {
    if (wd.prefault) prefault(wd.prefault, wd.slot, wd.workers, ctrl);
  } catch (e) {
    // Touching ahead is an optimisation: the pages fault in when first written instead.
    console.error(e);
  }
  let runner: ChunkRunner | null = null;
  let seen = 0;
  for (;;) {
    const gen = Atomics.load(ctrl, HGB_CTRL.GEN);
    if (gen === seen) {
      Atomics.wait(ctrl, HGB_CTRL.GEN, seen);
      continue;
    }
    seen = gen;
    const cmd = ctrl[HGB_CTRL.CMD];
    if (cmd === HGB_CMD.stop) return;
    try {
      if (cmd === HGB_CMD.init) {
        const m = receiveMessageOnPort(wd.port);
        if (m === undefined) throw new Error('hgb worker: the init command came without the engine buffers on the port');
        runner = new ChunkRunner(m.message as SharedHgbData);
        Atomics.add(ctrl, HGB_CTRL.DONE, 1);
        Atomics.notify(ctrl, HGB_CTRL.DONE);
      } else {
        if (!runner) throw new Error(`hgb worker: command ${cmd} before init`);
        runner.work(gen);
      }
    } catch (e) {
      console.error(e);
      Atomics.store(ctrl, HGB_CTRL.FAIL, 1);
      Atomics.notify(ctrl, HGB_CTRL.DONE);
      return;
    }
  }
}
