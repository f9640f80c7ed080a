import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { trainForecastModel } from '../src/models/forecast-model';
import { gateDecision, checkGateConfig } from '../src/registry/gate';
import { LocalRegistry } from '../src/registry/registry';

function makeModel(dir: string, name: string, slope: number): string {
  const rows = ['date,load'];
  for (let d = 0; d < 60; d++) rows.push(`${new Date(Date.UTC(2021, 0, 1) + d * 86400e3).toISOString().slice(0, 10)},${(5 + slope * d + ((d * 31) % 7) / 10).toFixed(4)}`);
  const csv = path.join(dir, `${name}.csv`);
  fs.writeFileSync(csv, rows.join('\n') + '\n');
  const out = path.join(dir, name);
  trainForecastModel({ data: csv, out, time: 'date', value: 'load', forecaster: { trend: 'linear', seasonalities: { yearly: 0, weekly: 0, daily: 0 }, uncertaintySamples: 50 } });
  return out;
}

describe('quality gate', () => {
  const cfg = checkGateConfig({ metric: 'rmse', margin: 0.1, thresholds: { mape: { max: 0.2 } } });

  test('promotes a challenger that beats the champion by the margin and meets the thresholds', () => {
    const d = gateDecision(cfg, { rmse: 1.0, mape: 0.1 }, { metrics: { rmse: 1.2 }, version: 1 });
    expect(d.passed).toBe(true);
    expect(d.required).toBeCloseTo(1.1);
  });

  test('rejects a challenger that does not beat the champion by the margin', () => {
    const d = gateDecision(cfg, { rmse: 1.15, mape: 0.1 }, { metrics: { rmse: 1.2 }, version: 3 });
    expect(d.passed).toBe(false);
    expect(d.reasons[0]).toMatch(/rmse 1.150 does not beat champion v3 1.200 by the required margin 0.1000 \(needs ≤ 1.100\)/);
  });

  test('rejects a first model that breaks an absolute threshold; accepts one that meets it', () => {
    expect(gateDecision(cfg, { rmse: 1, mape: 0.3 }, null).passed).toBe(false);
    expect(gateDecision(cfg, { rmse: 1, mape: 0.1 }, null).passed).toBe(true);
  });

  test('respects the metric direction (higher r2 wins)', () => {
    const c = checkGateConfig({ metric: 'r2', relativeMargin: 0.05 });
    expect(gateDecision(c, { r2: 0.86 }, { metrics: { r2: 0.8 }, version: 1 }).passed).toBe(true);
    expect(gateDecision(c, { r2: 0.83 }, { metrics: { r2: 0.8 }, version: 1 }).passed).toBe(false);
  });

  test('a metric that is not defined for the challenger fails with the reason; one merely absent still says it is absent', () => {
    const nd = { mape: { on: 'the backtest', why: 'MAPE divides by the true value, and 3 of 30 true values are 0; use mae or rmse instead' } };
    const d = gateDecision(cfg, { rmse: 1 }, null, null, false, nd);
    expect(d.passed).toBe(false);
    expect(d.reasons[0]).toBe("threshold on 'mape': mape is not defined on the backtest: MAPE divides by the true value, and 3 of 30 true values are 0; use mae or rmse instead");
    expect(gateDecision(checkGateConfig({ metric: 'mape' }), { rmse: 1 }, null, null, false, nd).reasons[0]).toBe(
      'mape is not defined on the backtest: MAPE divides by the true value, and 3 of 30 true values are 0; use mae or rmse instead',
    );
    expect(gateDecision(cfg, { rmse: 1 }, null).reasons[0]).toBe("threshold on 'mape': the challenger has no 'mape' metric (it has rmse)");
  });

  test('a bad gate config names the field, the value and the fix', () => {
    expect(() => checkGateConfig({ metric: 'loss' })).toThrow(/params.direction: metric 'loss' has no known direction; add direction/);
    expect(() => checkGateConfig({ metric: 'rmse', margin: -1 })).toThrow(/params.margin: must be a number ≥ 0. Got -1/);
  });
});

describe('local registry', () => {
  let tmp: string, m1: string, m2: string, m3: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reg-'));
    m1 = makeModel(tmp, 'm1', 0.1);
    m2 = makeModel(tmp, 'm2', 0.2);
    m3 = makeModel(tmp, 'm3', 0.3);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('registers versions, dedupes identical content, promotes and rolls back with history', () => {
    const reg = new LocalRegistry(path.join(tmp, 'r1'));
    const v1 = reg.register('load', m1).version;
    expect(reg.register('load', m1).created).toBe(false);
    const v2 = reg.register('load', m2).version;
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(reg.aliases('load').challenger).toBe(2);
    reg.promote('load', 1);
    reg.promote('load', 2);
    expect(reg.resolveUri('models:/load@champion').version.version).toBe(2);
    expect(reg.rollback('load').champion).toBe(1);
    expect(reg.aliases('load').history.map((e) => e.action)).toEqual(['set-challenger', 'set-challenger', 'promote', 'promote', 'rollback']);
    expect(() => reg.rollback('load')).toThrow(/no previous champion/);
    expect(() => reg.resolveUri('models:/load/9')).toThrow(/has no version 9/);
  });

  test.each([['after the temp file is written, before the rename', 'MLOPS_TEST_PAUSED']])(
    'a promotion killed midway (%s) leaves the previous champion and a readable registry',
    async (_when, marker) => {
      // GIVEN a registry whose champion is v1, and v2 registered
      const root = path.join(tmp, 'r2');
      const reg = new LocalRegistry(root);
      reg.register('load', m1);
      reg.promote('load', 1);
      reg.register('load', m2);
      const before = fs.readFileSync(path.join(root, 'load', 'aliases.json'), 'utf8');
      // WHEN a child process promotes v2 and is SIGKILLed while paused mid-promotion
      const dist = path.resolve(__dirname, '..', 'dist', 'src', 'registry', 'registry.js');
      expect(fs.existsSync(dist)).toBe(true); // `npm test` builds dist first
      const child = spawn(process.execPath, ['-e', `new (require(${JSON.stringify(dist)}).LocalRegistry)(${JSON.stringify(root)}).promote('load', 2, 'killed test')`], {
        env: { ...process.env, MLOPS_TEST_PROMOTE_PAUSE_MS: '30000' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      await new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (b: Buffer) => {
          err += b.toString();
          if (err.includes(marker)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${err}`)));
      });
      const tmpFile = fs.readdirSync(path.join(root, 'load')).find((f) => f.includes('.tmp-'));
      expect(tmpFile).toBeDefined(); // the new alias file was fully written, not yet renamed
      const exited = new Promise((r) => child.on('exit', (_c, sig) => r(sig)));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      // THEN the alias file is the old one, byte for byte, and the registry reads and works
      expect(fs.readFileSync(path.join(root, 'load', 'aliases.json'), 'utf8')).toBe(before);
      const after = new LocalRegistry(root);
      expect(after.aliases('load').champion).toBe(1);
      expect(after.resolveUri('models:/load@champion').version.version).toBe(1);
      expect(after.versions('load').map((v) => v.version)).toEqual([1, 2]);
      // and the next promotion (taking over the dead process's lock) succeeds
      after.register('load', m3);
      expect(after.promote('load', 3).champion).toBe(3);
      expect(after.rollback('load').champion).toBe(1);
    },
    30000,
  );

  test('a registration killed before version.json is written is ignored, and its folder and number are reused by the next one', () => {
    const root = path.join(tmp, 'r3');
    const reg = new LocalRegistry(root);
    reg.register('load', m1);
    fs.mkdirSync(path.join(root, 'load', 'versions', '2', '.model.tmp'), { recursive: true });
    fs.writeFileSync(path.join(root, 'load', '.aliases.json.tmp-999999-1'), '{"champion": 9');
    expect(reg.versions('load').map((v) => v.version)).toEqual([1]);
    expect(reg.register('load', m2).version.version).toBe(2);
    expect(fs.readdirSync(path.join(root, 'load', 'versions', '2')).sort()).toEqual(['model', 'version.json']);
    expect(fs.readdirSync(path.join(root, 'load')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
