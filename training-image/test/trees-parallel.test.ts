/**
 * The parallel engine's scheduling (src/trees/parallel.ts): the thread
 * governor that runs trees on one thread when the machine is busy, the core
 * count from the cgroup quota, and that neither changes a result.
 */
import { Rng } from '../src/core/random';
import { BinMapper } from '../src/trees/binning';
import { SerialHistogramBuilder, TreeGrower } from '../src/trees/grower';
import { LOSS } from '../src/trees/loss';
import { KernelArena, kernelsAvailable } from '../src/trees/kernels';
import { cgroupCpuLimit, HgbWorkers, ParallelHistogramBuilder, parallelAvailable, ThreadGovernor } from '../src/trees/parallel';
import { testWhen } from './available';

describe('ThreadGovernor', () => {
  // Shares of the CPU a parallel tree got (CPU time over what its threads could use): idle about 0.9, contended about 0.55.
  const IDLE = 0.9;
  const BUSY = 0.55;

  test('on an idle machine it stays parallel and never times a tree alone', () => {
    const g = new ThreadGovernor(true);
    for (let t = 0; t < 50; t++) {
      expect(g.parallel).toBe(true);
      g.record(1e6, 100, IDLE);
    }
    expect(g.serialTrees).toBe(0);
  });

  test('the first tree (page faults, compilation) is not judged, and one slow tree is a blip', () => {
    const g = new ThreadGovernor(true);
    const modes: string[] = [];
    for (let t = 0; t < 30; t++) {
      modes.push(g.parallel ? 'P' : 'S');
      // The first two trees are slow and get little CPU (the first pays for page faults and compilation, the second still
      // partly); later, every 7th tree is slow once (another process ran briefly).
      if (t < 2) g.record(1e6, 400 - 150 * t, 0.4);
      else if (t % 7 === 0) g.record(1e6, 160, BUSY);
      else g.record(1e6, 100, IDLE);
    }
    expect(modes.join('')).toBe('P'.repeat(30));
    // Judged from the first tree, or impatiently, the same trees send the engine alone.
    for (const o of [{ warmup: 0 }, { patience: 1 }]) {
      const h = new ThreadGovernor(true, o);
      h.record(1e6, 400, 0.4);
      h.record(1e6, 250, 0.4);
      expect(h.parallel).toBe(false);
    }
  });

  test('when other processes take the cores it times a tree alone, keeps the faster mode, and re-times the other every `reprobe` trees', () => {
    const g = new ThreadGovernor(true, { reprobe: 4, warmup: 0, patience: 1 });
    const modes: string[] = [];
    // Parallel: 1e6 units in 200 ms while contended (5000/ms); alone: 1e6 units in 125 ms (8000/ms).
    for (let t = 0; t < 14; t++) {
      const par = g.parallel;
      modes.push(par ? 'P' : 'S');
      if (par) g.record(1e6, 200, BUSY);
      else g.record(1e6, 125, 1);
    }
    expect(modes.join('')).toBe('PSSSSPSSSSPSSS');
    expect(g.serialTrees).toBe(11);
    // With the defaults, `patience` (2) contended trees after the warm-up tree come first.
    const d = new ThreadGovernor(true);
    const dm: string[] = [];
    for (let t = 0; t < 6; t++) {
      dm.push(d.parallel ? 'P' : 'S');
      if (d.parallel) d.record(1e6, 200, BUSY);
      else d.record(1e6, 125, 1);
    }
    expect(dm.join('')).toBe('PPPSSS');
    // When the workers help again, the next re-timing of parallel finds it faster on about two cores, and it stays.
    const h = new ThreadGovernor(true, { reprobe: 4, warmup: 0, patience: 1 });
    const seen: string[] = [];
    for (let t = 0; t < 8; t++) {
      const par = h.parallel;
      seen.push(par ? 'P' : 'S');
      if (par) h.record(1e6, t < 1 ? 200 : 60, t < 1 ? BUSY : IDLE);
      else h.record(1e6, 125, 1);
    }
    expect(seen.join('')).toBe('PSSSSPPP');
  });

  test('trees timed alone that lose to parallel come further and further apart (up to maxReprobe)', () => {
    // Contended by the share, yet parallel stays faster: each losing tree alone doubles the wait before the next.
    const g = new ThreadGovernor(true, { reprobe: 2, maxReprobe: 8, warmup: 0, patience: 1 });
    const modes: string[] = [];
    for (let t = 0; t < 40; t++) {
      const par = g.parallel;
      modes.push(par ? 'P' : 'S');
      if (par) g.record(1e6, 100, BUSY);
      else g.record(1e6, 125, 1);
    }
    const alone = modes.map((m, i) => (m === 'S' ? i : -1)).filter((i) => i >= 0);
    expect(alone).toEqual([1, 6, 15, 24, 33]);
    // Without the back-off (maxReprobe = reprobe), one tree in three runs alone.
    const f = new ThreadGovernor(true, { reprobe: 2, maxReprobe: 2, warmup: 0, patience: 1 });
    let n = 0;
    for (let t = 0; t < 40; t++) {
      if (f.parallel) f.record(1e6, 100, BUSY);
      else {
        n++;
        f.record(1e6, 125, 1);
      }
    }
    expect(n).toBe(13);
  });

  test('without workers every tree runs alone; empty trees change nothing', () => {
    const g = new ThreadGovernor(false);
    expect(g.parallel).toBe(false);
    g.record(100, 1, 1);
    expect(g.serialTrees).toBe(1);
    const h = new ThreadGovernor(true, { warmup: 0, patience: 1 });
    h.record(0, 0, 0);
    expect(h.parallel).toBe(true);
  });
});

describe('cgroupCpuLimit', () => {
  const files = (m: Record<string, string>) => (f: string) => m[f] ?? null;
  test('reads the v2 quota (rounded up) or the v1 quota and period; none without a limit', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }))).toBe(2);
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '50000 100000\n' }))).toBe(1);
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }))).toBeNull();
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '400000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).toBe(4);
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).toBeNull();
    expect(cgroupCpuLimit(files({}))).toBeNull();
  });
});

const threaded = testWhen(parallelAvailable(), 'trees-parallel engine cases', 'the compiled worker (dist/src/trees/worker.js) is missing; run `npm run build`');

describe('ParallelHistogramBuilder under the governor', () => {
  threaded('trees grown alternately on two threads and on one, or with a small shared pool, give the serial engine’s raw scores exactly', () => {
    const n = 80_000;
    const F = 6;
    const rng = new Rng(3);
    const data = new Float64Array(n * F);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < F; j++) data[i * F + j] = rng.next();
      y[i] = 10 * Math.sin(3 * data[i * F]!) + 5 * data[i * F + 1]! + rng.normal();
    }
    const X = { rows: n, cols: F, data };
    const mapper = BinMapper.fit(X, null, 255, new Rng(0));
    const binned = mapper.transform(X, null, true);
    const opts = { maxLeafNodes: 31, maxDepth: Infinity, minSamplesLeaf: 20, l2: 0, learningRate: 0.1, minHessian: 1e-3, rootFromLeaves: true };
    const loss = { code: LOSS.squared, y };
    const ySab = new Float64Array(new SharedArrayBuffer(8 * n));
    ySab.set(y);
    // A share beyond reach, no warm-up, no patience and re-timing every tree: the governor alternates parallel and alone every tree.
    const governor = new ThreadGovernor(true, { minShare: 99, reprobe: 1, maxReprobe: 1, warmup: 0, patience: 1 });
    const engines = [
      new SerialHistogramBuilder(2, binned, n, mapper.offsets, loss),
      new ParallelHistogramBuilder(2, binned, n, mapper.offsets, 2, 31, loss, { governor }),
      // A shared pool of 3 histograms (the others are private and built on the calling thread), and targets already in shared memory.
      new ParallelHistogramBuilder(2, binned, n, mapper.offsets, 2, 31, { code: LOSS.squared, y: ySab }, { poolHistograms: 3 }),
    ];
    try {
      const raws = engines.map((hb) => {
        const g = new TreeGrower(mapper, n, 2, opts, hb, {});
        hb.raw.fill(0);
        hb.computeGradients();
        for (let t = 0; t < 6; t++) g.grow();
        return hb.raw;
      });
      expect(governor.serialTrees).toBe(3);
      expect(raws[1]).toEqual(raws[0]);
      expect(raws[2]).toEqual(raws[0]);
    } finally {
      for (const e of engines) e.close();
    }
  });
});

const ahead = testWhen(parallelAvailable() && kernelsAvailable(), 'workers started ahead', 'the compiled worker or shared WebAssembly memory is missing');

describe('workers started ahead (HgbWorkers)', () => {
  ahead('touching the arena ahead keeps every value the calling thread writes meanwhile', () => {
    const bytes = 48 << 20;
    const arena = new KernelArena(bytes);
    const pool = new HgbWorkers(2, arena.memory);
    try {
      // The worker boots and touches pages from the start while this thread writes all of them from the end, so that the
      // two meet: an atomic add of 0 keeps a value written before; a plain store of 0 would wipe it.
      const all = new Uint8Array(arena.memory.buffer);
      for (let i = bytes - 512; i >= 0; i -= 512) all[i] = 1 + ((i >> 9) % 251);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      let bad = 0;
      for (let i = 0; i < bytes; i += 512) if (all[i] !== 1 + ((i >> 9) % 251)) bad++;
      expect(bad).toBe(0);
    } finally {
      pool.close();
    }
  });

  ahead('an engine takes over workers started ahead, which must be one fewer than its threads', () => {
    const n = 40_000;
    const binned = new Uint8Array(new SharedArrayBuffer(n));
    for (let i = 0; i < n; i++) binned[i] = i % 7;
    const offsets = Int32Array.from([0, 8]);
    const y = Float64Array.from({ length: n }, (_, i) => (i % 7) + (i % 3));
    const mapper = BinMapper.fit({ rows: n, cols: 1, data: Float64Array.from({ length: n }, (_, i) => i % 7) }, null, 255, new Rng(0));
    const opts = { maxLeafNodes: 8, maxDepth: Infinity, minSamplesLeaf: 20, l2: 0, learningRate: 0.1, minHessian: 1e-3, rootFromLeaves: false };
    const wrong = new HgbWorkers(3);
    expect(() => new ParallelHistogramBuilder(2, binned, n, offsets, 2, 8, { code: LOSS.squared, y }, { workers: wrong })).toThrow(/2 threads need 1 workers, 2 were started/);
    wrong.close();
    const engines = [
      new SerialHistogramBuilder(2, binned, n, offsets, { code: LOSS.squared, y }),
      new ParallelHistogramBuilder(2, binned, n, offsets, 2, 8, { code: LOSS.squared, y }, { workers: new HgbWorkers(2) }),
    ];
    try {
      const raws = engines.map((hb) => {
        const g = new TreeGrower(mapper, n, 2, opts, hb, {});
        hb.raw.fill(0);
        hb.computeGradients();
        for (let t = 0; t < 3; t++) g.grow();
        return hb.raw;
      });
      expect(raws[1]).toEqual(raws[0]);
    } finally {
      for (const e of engines) e.close();
    }
  });
});

describe('waiting for a worker', () => {
  test('times out on a monotonic clock: a system clock jump while a worker works is not a timeout', () => {
    const { Worker } = require('worker_threads') as typeof import('worker_threads');
    const { waitFor } = require('../src/trees/parallel') as typeof import('../src/trees/parallel');
    const flag = new Int32Array(new SharedArrayBuffer(4));
    // The wall clock jumps an hour forward at every read; the worker answers after 200 ms.
    let wall = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => (wall += 3_600_000));
    const worker = new Worker('const { workerData } = require("worker_threads"); setTimeout(() => { Atomics.store(workerData, 0, 1); Atomics.notify(workerData, 0); }, 200);', {
      eval: true,
      workerData: flag,
    });
    try {
      expect(() => waitFor(flag, 0, 1, 'test', 60_000)).not.toThrow();
    } finally {
      void worker.terminate();
      jest.restoreAllMocks();
    }
  });
});
