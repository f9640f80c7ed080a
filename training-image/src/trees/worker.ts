/**
 * Worker-thread entry for the tree learners: 'hgb' builds its share of
 * gradient-boosting histograms and partitions on command; 'forest' grows random-forest
 * trees claimed from a shared counter and sends them back.
 */
import { MessagePort, workerData } from 'worker_threads';
import { ChunkRunner, HGB_CMD, HGB_CTRL, SharedHgbData } from './engine';
import { buildForestTree, ForestData, ForestTreeOptions, ForestWorkspace } from './forest-builder';

interface HgbData {
  kind: 'hgb';
  slot: number;
  shared: SharedHgbData;
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
 * work) and claims chunks of each command (see `engine.ts`) until the stop
 * command. Histograms live in the shared pool, so no message is awaited.
 */
function runHgb(wd: HgbData): void {
  const d = wd.shared;
  const ctrl = d.ctrl;
  const runner = new ChunkRunner(d);
  let seen = 0;
  for (;;) {
    const gen = Atomics.load(ctrl, HGB_CTRL.GEN);
    if (gen === seen) {
      Atomics.wait(ctrl, HGB_CTRL.GEN, seen);
      continue;
    }
    seen = gen;
    if (ctrl[HGB_CTRL.CMD] === HGB_CMD.stop) return;
    try {
      runner.work(gen);
    } catch (e) {
      console.error(e);
      Atomics.store(ctrl, HGB_CTRL.FAIL, 1);
      Atomics.notify(ctrl, HGB_CTRL.DONE);
      return;
    }
  }
}
