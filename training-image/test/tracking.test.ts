import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { compareRuns, gitInfo, RunRecord, TrackingStore } from '../src/tracking/store';

function record(id: string, rmse: number, threshold: number): RunRecord {
  return {
    id,
    pipeline: 'demo',
    file: '/x/pipeline.yaml',
    status: 'succeeded',
    startedAt: `2025-01-0${id.slice(7, 8)}T00:00:00.000Z`,
    finishedAt: null,
    durationMs: 1200,
    params: { threshold, horizon: 90 },
    metrics: { 'train.rmse': rmse, 'train.mape': 0.1 },
    artifacts: [],
    data: { data: { path: '/x/data.csv', sha256: rmse > 1 ? 'a'.repeat(64) : 'b'.repeat(64), bytes: 10 } },
    git: null,
    steps: [{ name: 'evaluate', uses: 'evaluate', status: 'ok', cacheKey: null, ms: 5, params: { threshold }, inputs: {}, outputs: {}, metrics: {}, summary: null, error: null }],
    error: null,
  };
}

function capture(): { io: { out: (t: string) => void; err: (t: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [],
    err: string[] = [];
  return { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, out, err };
}

describe('tracking store and `mlops runs`', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-'));
    const s = new TrackingStore(root);
    s.save(record('20250101-000000-aaaaaa', 1.5, 20));
    s.save(record('20250102-000000-bbbbbb', 0.9, 15));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('compareRuns lists the params, metrics and data that differ, with deltas', () => {
    const s = new TrackingStore(root);
    const d = compareRuns(s.get('aaaaaa'), s.get('bbbbbb'));
    expect(d.params.map((r) => r.key)).toEqual(['evaluate.threshold', 'params.threshold']);
    expect(d.metrics).toEqual([{ key: 'train.rmse', a: 1.5, b: 0.9, delta: expect.closeTo(-0.6, 10) }]);
    expect(d.data[0]).toMatchObject({ key: 'data', a: 'aaaaaaaaaaaa', b: 'bbbbbbbbbbbb' });
  });

  test('`mlops runs` lists runs and `mlops runs compare` prints the differences', async () => {
    const c = capture();
    expect(await main(['runs', '--root', root], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/20250101-000000-aaaaaa\s+demo\s+succeeded[\s\S]*20250102-000000-bbbbbb/);
    const d = capture();
    expect(await main(['runs', 'compare', '20250101-000000-aaaaaa', 'bbbbbb', '--root', root], d.io)).toBe(0);
    expect(d.out.join('\n')).toMatch(/params\.threshold\s+20 → 15\s+\(-5\)[\s\S]*train\.rmse\s+1\.500 → 0\.9000\s+\(-0\.6000\)/);
  });

  test('a record still saying running reads as interrupted once its process is gone (same host); live, other-host and older records stay running', async () => {
    const store = new TrackingStore(root);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const running = (id: string, proc: RunRecord['process']): RunRecord => ({
      ...record(id, 1, 20),
      status: 'running',
      finishedAt: null,
      durationMs: null,
      ...(proc ? { process: proc } : {}),
      steps: [{ ...record(id, 1, 20).steps[0]!, status: 'running' }],
    });
    const me = { pid: process.pid, host: os.hostname(), start: null, boot: null, ns: null };
    store.save(running('20250103-000000-cccccc', { ...me, pid: dead }));
    store.save(running('20250104-000000-dddddd', me));
    store.save(running('20250105-000000-eeeeee', { ...me, pid: dead, host: 'another-host' }));
    store.save(running('20250106-000000-ffffff', undefined));
    const byId = Object.fromEntries(store.list().map((r) => [r.id.slice(-6), r]));
    expect(byId.cccccc!.status).toBe('interrupted');
    expect(byId.cccccc!.error).toMatchObject({ code: 'INTERRUPTED', path: 'steps.evaluate' });
    expect(byId.cccccc!.error!.message).toContain(`pid ${dead} on ${os.hostname()}`);
    expect(byId.cccccc!.steps[0]!.status).toBe('failed');
    expect([byId.dddddd!.status, byId.eeeeee!.status, byId.ffffff!.status]).toEqual(['running', 'running', 'running']);
    expect(store.get('cccccc').status).toBe('interrupted');
    const c = capture();
    expect(await main(['runs', '--root', root], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/20250103-000000-cccccc\s+demo\s+interrupted/);
    for (const id of ['cccccc', 'dddddd', 'eeeeee', 'ffffff']) fs.rmSync(store.runDir(store.get(id).id), { recursive: true });
  });

  test('an unknown run id is a clear error, not a crash', async () => {
    const c = capture();
    expect(await main(['runs', 'compare', 'zzz', 'bbbbbb', '--root', root], c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/no run "zzz" in .*; list runs with `mlops runs`/);
  });
});

describe('the git commit of a run, read without running git', () => {
  const git = (cwd: string, ...args: string[]): string => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  let base: string;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-git-'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  test('a repository whose .git/config sets core.fsmonitor to a program: the program never runs, the commit is still read', async () => {
    const repo = path.join(base, 'evil');
    fs.mkdirSync(path.join(repo, 'pipelines'), { recursive: true });
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, 'pipelines', 'pipeline.yaml'), 'name: x\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'one');
    const head = git(repo, 'rev-parse', 'HEAD');
    const marker = path.join(base, 'fsmonitor-ran');
    const hook = path.join(base, 'fsmonitor.sh');
    fs.writeFileSync(hook, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });
    fs.appendFileSync(path.join(repo, '.git', 'config'), `[core]\n\tfsmonitor = ${hook}\n[core]\n\thooksPath = ${base}\n`);
    fs.writeFileSync(path.join(base, 'post-index-change'), `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    expect(gitInfo(path.join(repo, 'pipelines'))).toEqual({ commit: head, dirty: false });
    // A pipeline run in that folder records the commit, and runs nothing of the repository's.
    fs.writeFileSync(path.join(repo, 'pipelines', 'pipeline.yaml'), 'name: evil\nsteps:\n  - { name: v, uses: validate, inputs: { data: d.csv, contract: c.yaml } }\n');
    const { runPipeline } = await import('../src/pipeline/runner');
    const r = await runPipeline(path.join(repo, 'pipelines', 'pipeline.yaml'), { root: path.join(base, 'evil-root') });
    expect(r.run.git).toEqual({ commit: head, dirty: true }); // pipeline.yaml was changed since the commit
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('packed refs, a detached HEAD, a linked worktree (`.git` file, commondir), index version 4, and the dirty flag', () => {
    const repo = path.join(base, 'repo');
    fs.mkdirSync(repo, { recursive: true });
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'alpha\n');
    fs.mkdirSync(path.join(repo, 'sub'));
    fs.writeFileSync(path.join(repo, 'sub', 'b.txt'), 'beta\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'one');
    const one = git(repo, 'rev-parse', 'HEAD');
    expect(gitInfo(path.join(repo, 'sub'))).toEqual({ commit: one, dirty: false });
    // packed refs only (no loose ref file left)
    git(repo, 'pack-refs', '--all');
    expect(fs.existsSync(path.join(repo, '.git', 'refs', 'heads', 'main'))).toBe(false);
    expect(gitInfo(repo)!.commit).toBe(one);
    // a linked worktree on another branch with its own commit
    const wt = path.join(base, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature', wt);
    fs.writeFileSync(path.join(wt, 'c.txt'), 'gamma\n');
    git(wt, 'add', '.');
    git(wt, 'commit', '-qm', 'two');
    const two = git(wt, 'rev-parse', 'HEAD');
    expect(two).not.toBe(one);
    expect(fs.statSync(path.join(wt, '.git')).isFile()).toBe(true);
    expect(gitInfo(wt)).toEqual({ commit: two, dirty: false });
    expect(gitInfo(repo)!.commit).toBe(one);
    // detached HEAD
    git(repo, 'checkout', '-q', '--detach', one);
    expect(gitInfo(repo)!.commit).toBe(one);
    // dirty: a tracked file changed (same size, other bytes), deleted; an untracked file does not count
    fs.writeFileSync(path.join(repo, 'untracked.txt'), 'x');
    expect(gitInfo(repo)!.dirty).toBe(false);
    fs.writeFileSync(path.join(repo, 'sub', 'b.txt'), 'bet4\n');
    expect(gitInfo(repo)!.dirty).toBe(true);
    fs.writeFileSync(path.join(repo, 'sub', 'b.txt'), 'beta\n'); // back to the committed bytes (new mtime): hashed, clean
    expect(gitInfo(repo)!.dirty).toBe(false);
    fs.rmSync(path.join(repo, 'a.txt'));
    expect(gitInfo(repo)!.dirty).toBe(true);
    fs.writeFileSync(path.join(repo, 'a.txt'), 'alpha\n');
    // index version 4 (path prefix compression)
    git(repo, 'update-index', '--index-version', '4');
    expect(gitInfo(repo)).toEqual({ commit: one, dirty: false });
    fs.writeFileSync(path.join(repo, 'sub', 'b.txt'), 'bet4\n');
    expect(gitInfo(repo)!.dirty).toBe(true);
    // outside any repository
    const none = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-nogit-'));
    try {
      expect(gitInfo(none)).toBeNull();
    } finally {
      fs.rmSync(none, { recursive: true, force: true });
    }
  });
});
