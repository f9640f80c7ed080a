import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { compareRuns, RunRecord, TrackingStore } from '../src/tracking/store';

function record(id: string, rmse: number, threshold: number): RunRecord {
  return {
    id, pipeline: 'demo', file: '/x/pipeline.yaml', status: 'succeeded', startedAt: `2025-01-0${id.slice(7, 8)}T00:00:00.000Z`, finishedAt: null, durationMs: 1200,
    params: { threshold, horizon: 90 }, metrics: { 'train.rmse': rmse, 'train.mape': 0.1 }, artifacts: [],
    data: { data: { path: '/x/data.csv', sha256: rmse > 1 ? 'a'.repeat(64) : 'b'.repeat(64), bytes: 10 } }, git: null,
    steps: [{ name: 'evaluate', uses: 'evaluate', status: 'ok', cacheKey: null, ms: 5, params: { threshold }, inputs: {}, outputs: {}, metrics: {}, summary: null, error: null }],
    error: null,
  };
}

function capture(): { io: { out: (t: string) => void; err: (t: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
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

  test('an unknown run id is a clear error, not a crash', async () => {
    const c = capture();
    expect(await main(['runs', 'compare', 'zzz', 'bbbbbb', '--root', root], c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/no run "zzz" in .*; list runs with `mlops runs`/);
  });
});
