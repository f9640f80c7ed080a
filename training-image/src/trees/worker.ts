/**
 * Worker-thread entry for the tree learners: 'hist' builds its share of
 * gradient-boosting histograms on command; 'forest' grows random-forest
 * trees claimed from a shared counter and sends them back.
 */
import { MessagePort, parentPort, workerData } from 'worker_threads';
import { buildHistogram } from './histogram';
import { buildForestTree, ForestData, ForestTreeOptions, ForestWorkspace } from './forest-builder';

interface HistData {
  kind: 'hist';
  slot: number;
  ctrl: Int32Array;
  stride: 2 | 3;
  binned: Uint8Array;
  n: number;
  offsets: Int32Array;
  f0: number;
  f1: number;
  idx: Uint32Array;
  og: Float64Array;
  oh: Float64Array;
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

const wd = workerData as HistData | ForestJob;

if (wd.kind === 'hist') {
  const d = wd;
  const hists: Float64Array[] = [];
  parentPort!.on('message', (m: { cmd: string; id: number; hist?: Float64Array; gen?: number; rowsStart?: number; count?: number; hasHess?: boolean }) => {
    if (m.cmd === 'hist') {
      hists[m.id] = m.hist!;
      return;
    }
    try {
      const s0 = m.rowsStart! < 0 ? 0 : m.rowsStart!;
      const e0 = s0 + m.count!;
      const rows = m.rowsStart! < 0 ? null : d.idx.subarray(s0, e0);
      const g = d.og.subarray(s0, e0);
      const h = m.hasHess ? d.oh.subarray(s0, e0) : null;
      buildHistogram(hists[m.id]!, d.stride, d.binned, d.n, d.offsets, d.f0, d.f1, rows, m.count!, g, h);
      Atomics.store(d.ctrl, d.slot, m.gen!);
    } catch (e) {
      console.error(e);
      Atomics.store(d.ctrl, d.slot, -1);
    }
    Atomics.notify(d.ctrl, d.slot);
  });
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
      transfer.push(tr.feature.buffer as ArrayBuffer, tr.threshold.buffer as ArrayBuffer, tr.missingLeft.buffer as ArrayBuffer, tr.left.buffer as ArrayBuffer, tr.right.buffer as ArrayBuffer, tr.value.buffer as ArrayBuffer);
    }
    d.port.postMessage(out, transfer);
    Atomics.store(d.ctrl, d.slot, 1);
  } catch (e) {
    console.error(e);
    Atomics.store(d.ctrl, d.slot, -1);
  }
  Atomics.notify(d.ctrl, d.slot);
}
