/**
 * Worker-thread entry for the tree learners: 'hgb' builds its share of
 * gradient-boosting histograms and partitions on command; 'forest' grows random-forest
 * trees claimed from a shared counter and sends them back.
 */
import { MessagePort, receiveMessageOnPort, workerData } from 'worker_threads';
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

/** How long an idle gradient-boosting worker polls for the next command before it sleeps. */
const SPIN_MS = 0.1;

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
 * Gradient-boosting worker: blocks on the shared control block and claims
 * chunks of each command (see `engine.ts`) until the stop command.
 */
function runHgb(wd: HgbData): void {
  const d = wd.shared;
  const ctrl = d.ctrl;
  const hists: Float64Array[] = [];
  const runner = new ChunkRunner(d, (id) => {
    const t0 = Date.now();
    while (hists[id] === undefined) {
      const m = receiveMessageOnPort(wd.port);
      if (m === undefined) {
        // Posted before the command, so normally already queued; allow for a slow hand-over.
        if (Date.now() - t0 > 5000) throw new Error(`hgb worker: histogram ${id} was never announced`);
        continue;
      }
      const { id: k, hist } = m.message as { id: number; hist: Float64Array };
      hists[k] = hist;
    }
    return hists[id]!;
  });
  let seen = 0;
  for (;;) {
    // Commands often come back to back (a partition's two phases): poll briefly before sleeping.
    let gen = Atomics.load(ctrl, HGB_CTRL.GEN);
    if (gen === seen) {
      const t0 = performance.now();
      while (gen === seen && performance.now() - t0 < SPIN_MS) gen = Atomics.load(ctrl, HGB_CTRL.GEN);
      if (gen === seen) {
        Atomics.wait(ctrl, HGB_CTRL.GEN, seen);
        continue;
      }
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
