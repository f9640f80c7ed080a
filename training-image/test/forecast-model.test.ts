import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ForecastModel, trainForecastModel } from '../src/models/forecast-model';
import { loadModel, isForecastModel } from '../src/models/load';
import { readModelDir } from '../src/artifacts/modeldir';

function seriesCsv(dir: string, days = 120): string {
  const rows = ['date,load'];
  for (let d = 0; d < days; d++) {
    const t = Date.UTC(2020, 0, 1) + d * 86400e3;
    rows.push(`${new Date(t).toISOString().slice(0, 10)},${(10 + 0.05 * d + Math.sin((2 * Math.PI * d) / 7) + ((d * 7919) % 13) / 26).toFixed(4)}`);
  }
  const f = path.join(dir, 'series.csv');
  fs.writeFileSync(f, rows.join('\n') + '\n');
  return f;
}

describe('forecast model directories', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fm-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('a forecast model directory round-trips: same forecasts, spec, history and backtest', () => {
    // GIVEN a trained forecast model written to a model directory
    const data = seriesCsv(tmp);
    const out = path.join(tmp, 'model');
    const { model } = trainForecastModel({ data, out, time: 'date', value: 'load', seed: 0, horizon: 60, forecaster: { uncertaintySamples: 200 } });
    // WHEN it is loaded back
    const loaded = ForecastModel.load(out);
    // THEN the manifest says forecast, and everything matches
    expect(readModelDir(out).manifest.task).toBe('forecast');
    expect(loaded.series).toEqual({ time: 'date', value: 'load', resample: null, agg: 'mean' });
    expect(loaded.horizon).toBe(60);
    expect(Array.from(loaded.history.values)).toEqual(Array.from(model.history.values));
    expect(loaded.backtest.rmse).toBe(model.backtest.rmse);
    const a = model.forecast(30),
      b = loaded.forecast(30);
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    expect(Array.from(b.upper)).toEqual(Array.from(a.upper));
    expect(loaded.whenExceeds(14, 60)).toEqual(model.whenExceeds(14, 60));
    expect(loaded.fittedHistory().length).toBe(120);
  });

  test('predictTimes maps future times to forecast steps and refuses past times naming the field', () => {
    const out = path.join(tmp, 'model');
    const m = ForecastModel.load(out);
    const f = m.forecast(10);
    const times = ForecastModel.parseTimes(['2020-04-30', Date.UTC(2020, 4, 9), '2020-05-03T02:00:00Z']);
    const p = m.predictTimes(times);
    expect(Array.from(p.steps)).toEqual([1, 10, 4]);
    expect(p.mean[0]).toBe(f.mean[0]);
    expect(p.mean[1]).toBe(f.mean[9]);
    expect(p.lower[2]).toBe(f.lower[3]);
    expect(() => m.predictTimes(ForecastModel.parseTimes(['2020-02-01']))).toThrow(/times\[0\].*not after the last training time/);
    expect(() => ForecastModel.parseTimes(['soon'])).toThrow(/times\[0\] = "soon" is not a time/);
  });

  test('loadModel returns a ForecastModel for task forecast and refuses a corrupted history', () => {
    const out = path.join(tmp, 'model');
    expect(isForecastModel(loadModel(out))).toBe(true);
    const copy = path.join(tmp, 'broken');
    fs.cpSync(out, copy, { recursive: true });
    fs.appendFileSync(path.join(copy, 'history.json'), ' ');
    expect(() => loadModel(copy)).toThrow(/history.json/);
  });
});
