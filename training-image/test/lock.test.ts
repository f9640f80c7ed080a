/**
 * The registry lock under contention (issue 14, pipelines and registry,
 * item 2): real processes registering into one model at once, and the lock
 * itself (core/lock.ts): mutual exclusion, a holder killed with SIGKILL, a
 * generation left without a readable owner, a live holder.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeModelDir } from '../src/artifacts/modeldir';
import { acquireLock, LockError } from '../src/core/lock';
import { LocalRegistry, RegistryError } from '../src/registry/registry';

const DIST = path.resolve(__dirname, '..', 'dist', 'src');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-lock-'));
const children: ChildProcess[] = [];

beforeAll(() => expect(fs.existsSync(path.join(DIST, 'registry', 'registry.js'))).toBe(true)); // `npm test` builds dist first
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

function node(
  script: string,
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<{ code: number | null; err: string; out: string }>; waitFor(s: string): Promise<void> } {
  const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '',
    out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; err: string; out: string }>((r) => child.on('exit', (code) => r({ code, err, out })));
  return {
    child,
    done,
    waitFor: async (s) => {
      const end = Date.now() + 20_000;
      while (!out.includes(s) && !err.includes(s)) {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${s}: ${err}`);
        if (Date.now() > end) throw new Error(`no ${s}: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

function model(dir: string, i: number): string {
  const out = path.join(dir, `m${i}`);
  writeModelDir(out, {
    model: 'linear',
    estimator: 'LinearRegression',
    task: 'regression',
    target: 'y',
    modelJson: { i },
    transforms: {},
    metrics: { rmse: 1 + i / 100 },
    featureImportance: {},
    fingerprint: { sha256: 'x'.repeat(64), rows: 1, cols: 1 },
  });
  return out;
}

describe('the registry under contention', () => {
  test('6 processes × 8 registrations into one model at once: 48 versions, no error, no alias change lost', async () => {
    const dir = path.join(tmp, 'contend');
    const models: string[][] = [];
    for (let p = 0; p < 6; p++) models.push(Array.from({ length: 8 }, (_, k) => model(dir, p * 8 + k)));
    const root = path.join(dir, 'registry');
    const procs = models.map((list) =>
      node(`const { LocalRegistry } = require(${JSON.stringify(path.join(DIST, 'registry', 'registry.js'))});
        const reg = new LocalRegistry(${JSON.stringify(root)});
        for (const m of ${JSON.stringify(list)}) { const r = reg.register('load', m); reg.promote('load', r.version.version, 'contention test'); }`),
    );
    const results = await Promise.all(procs.map((p) => p.done));
    for (const r of results) expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const reg = new LocalRegistry(root);
    expect(reg.versions('load').map((v) => v.version)).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
    const a = reg.aliases('load');
    // Every registration and every promotion is in the history: none was overwritten by a concurrent writer.
    expect(a.history.filter((e) => e.action === 'set-challenger')).toHaveLength(48);
    expect(a.history.filter((e) => e.action === 'promote')).toHaveLength(48);
    expect(a.lineage).toHaveLength(48);
  }, 60_000);
});

describe('core/lock', () => {
  test('mutual exclusion: 5 processes × 40 read-increment-write cycles of one counter lose no increment', async () => {
    const lockDir = path.join(tmp, 'counter.lock');
    const counter = path.join(tmp, 'counter.txt');
    fs.writeFileSync(counter, '0');
    const procs = Array.from({ length: 5 }, () =>
      node(`const fs = require('fs'); const { acquireLock } = require(${JSON.stringify(path.join(DIST, 'core', 'lock.js'))});
        for (let i = 0; i < 40; i++) { const release = acquireLock(${JSON.stringify(lockDir)}, { what: 'counter' });
          const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          fs.writeFileSync(${JSON.stringify(counter)}, String(n + 1)); release(); }`),
    );
    for (const r of await Promise.all(procs.map((p) => p.done))) expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(fs.readFileSync(counter, 'utf8')).toBe('200');
    // Only the newest generation is left, released.
    const left = fs.readdirSync(lockDir);
    expect(left).toHaveLength(1);
    expect(fs.readdirSync(path.join(lockDir, left[0]!)).sort()).toEqual(['owner.json', 'released']);
  }, 60_000);

  test('a holder killed with SIGKILL is replaced at once; a live holder makes others wait, then fail with LOCKED naming it and the fix', async () => {
    const lockDir = path.join(tmp, 'killed.lock');
    const holder = node(`const { acquireLock } = require(${JSON.stringify(path.join(DIST, 'core', 'lock.js'))});
      acquireLock(${JSON.stringify(lockDir)}, { what: 'the test holder' }); console.log('HELD'); setTimeout(() => {}, 60000);`);
    await holder.waitFor('HELD');
    // A live holder: LOCKED after the timeout, naming the process, what it holds and what to do.
    const t0 = Date.now();
    let err: unknown = null;
    try {
      acquireLock(lockDir, { what: 'a waiter', timeoutMs: 300 });
    } catch (e) {
      err = e;
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).code).toBe('LOCKED');
    expect((err as Error).message).toContain(`held by process ${holder.child.pid} on ${os.hostname()} (the test holder, since `);
    expect((err as Error).message).toMatch(/wait for it to finish and retry \(or raise MLOPS_LOCK_TIMEOUT_MS\)/i);
    // Killed: taken over without waiting.
    holder.child.kill('SIGKILL');
    await holder.done;
    const t1 = Date.now();
    const release = acquireLock(lockDir, { what: 'after the kill', timeoutMs: 5000 });
    expect(Date.now() - t1).toBeLessThan(1000);
    const gens = fs.readdirSync(lockDir).filter((n) => /^[0-9]+$/.test(n));
    expect(gens).toHaveLength(1); // the dead holder's generation is gone
    expect(JSON.parse(fs.readFileSync(path.join(lockDir, gens[0]!, 'owner.json'), 'utf8'))).toMatchObject({ pid: process.pid, what: 'after the kill' });
    release();
  }, 30_000);

  test('a generation whose owner.json is unreadable (cut by a crash) is taken over; the registry reports a held lock as RegistryError LOCKED', () => {
    const lockDir = path.join(tmp, 'artefact.lock');
    fs.mkdirSync(path.join(lockDir, '4'), { recursive: true });
    fs.writeFileSync(path.join(lockDir, '4', 'owner.json'), '');
    const release = acquireLock(lockDir, { what: 'x', timeoutMs: 1000 });
    expect(fs.readdirSync(lockDir)).toEqual(['5']);
    release();
    // A registry whose model lock is held by a live process (this one, through a generation written as another live owner would).
    const root = path.join(tmp, 'reg-locked');
    const reg = new LocalRegistry(root);
    reg.register('load', model(path.join(tmp, 'reg-locked-models'), 1));
    const gen = path.join(root, 'load', '.lock', '99');
    fs.mkdirSync(gen, { recursive: true });
    fs.writeFileSync(
      path.join(gen, 'owner.json'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), start: null, boot: null, ns: null, at: '2025-01-01T00:00:00.000Z', what: "registry model 'load'" }),
    );
    process.env.MLOPS_LOCK_TIMEOUT_MS = '200';
    try {
      expect(() => reg.promote('load', 1)).toThrow(RegistryError);
      try {
        reg.promote('load', 1);
      } catch (e) {
        expect(e).toMatchObject({ code: 'LOCKED', path: path.join(root, 'load', '.lock') });
        expect((e as Error).message).toContain(`held by process ${process.pid}`);
      }
    } finally {
      delete process.env.MLOPS_LOCK_TIMEOUT_MS;
    }
  });
});
