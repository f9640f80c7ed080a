import { NotFittedError, ParamError } from '../src/core/estimator';
import { Rng } from '../src/core/random';
import { mapeUndefinedReason } from '../src/eval/metrics';
import { ForecastInputError, ForecasterParams, TrendForecaster } from '../src/forecast';
import { ModelSpec, buildDesign, fitModel } from '../src/forecast/private/model';

const DAY = 86_400_000;
const BASE = Date.UTC(2021, 0, 4); // a Monday, midnight UTC
const NO_SEASONS = { yearly: 0, weekly: 0, daily: 0 };

/** Daily series `f(dayIndex)` (+ N(0, noise²) from a seeded Rng). */
function daily(n: number, f: (d: number) => number, noise = 0, seed = 1): { times: Float64Array; values: Float64Array } {
  const rng = new Rng(seed);
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    times[i] = BASE + i * DAY;
    values[i] = f(i) + (noise > 0 ? noise * rng.normal() : 0);
  }
  return { times, values };
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('TrendForecaster — numerical correctness', () => {
  test('recovers a noiseless linear trend exactly', () => {
    const { times, values } = daily(60, (d) => 3 + 0.5 * d);
    const f = new TrendForecaster({ trend: 'linear', seasonalities: NO_SEASONS }).fit(times, values);
    const fc = f.forecast(30);
    for (let k = 1; k <= 30; k++) {
      expect(fc.times[k - 1]).toBe(BASE + (59 + k) * DAY);
      expect(fc.mean[k - 1]).toBeCloseTo(3 + 0.5 * (59 + k), 9);
      expect(fc.upper[k - 1]! - fc.lower[k - 1]!).toBeLessThan(1e-6);
    }
    expect(f.frequency).toBe(DAY);
    expect(f.trendRate(BASE + 10 * DAY)).toBeCloseTo(0.5, 9);
    expect(f.backtest.rmse).toBeLessThan(1e-9);
  });

  test("'auto' on a noiseless line keeps the simplest model, with zero backtest error", () => {
    const { times, values } = daily(60, (d) => 3 + 0.5 * d);
    const f = new TrendForecaster({ seasonalities: NO_SEASONS }).fit(times, values);
    // The prior-regularised families and the plain least-squares baselines (issue 17); the tie goes to the simplest, the first.
    expect(f.backtest.candidates.map((c) => c.model).sort()).toEqual(['linear', 'ls-linear', 'ls-quadratic', 'piecewise(25)', 'polynomial(2)']);
    expect(f.model).toBe('linear');
    expect(f.backtest.rmse).toBeLessThan(1e-8);
    expect(f.forecast(5).mean[4]).toBeCloseTo(3 + 0.5 * 64, 7);
  });

  test('recovers a known weekly sinusoid exactly (Fourier terms on epoch days)', () => {
    const truth = (d: number): number => {
      const days = (BASE + d * DAY) / DAY;
      return 10 + 0.1 * d + 2 * Math.sin((2 * Math.PI * days) / 7) + Math.cos((4 * Math.PI * days) / 7);
    };
    const { times, values } = daily(70, truth);
    const f = new TrendForecaster({ trend: 'linear', seasonalities: { yearly: 0, weekly: 3, daily: 0 } }).fit(times, values);
    const fc = f.forecast(21);
    for (let k = 1; k <= 21; k++) expect(fc.mean[k - 1]).toBeCloseTo(truth(69 + k), 8);
  });

  test('recovers a known daily sinusoid on hourly data', () => {
    const H = 3_600_000;
    const n = 24 * 10;
    const times = new Float64Array(n);
    const values = new Float64Array(n);
    const truth = (time: number): number => 5 + 1.5 * Math.sin((2 * Math.PI * time) / DAY) - 0.5 * Math.cos((4 * Math.PI * time) / DAY);
    for (let i = 0; i < n; i++) {
      times[i] = BASE + i * H;
      values[i] = truth(times[i]!);
    }
    const f = new TrendForecaster({ trend: 'linear', seasonalities: { yearly: 0, weekly: 0, daily: 4 } }).fit(times, values);
    const fc = f.forecast(48);
    expect(f.frequency).toBe(H);
    for (let k = 0; k < 48; k++) expect(fc.mean[k]).toBeCloseTo(truth(fc.times[k]!), 8);
  });

  test("'auto' seasonalities find a weekly cycle in noisy daily data", () => {
    const { times, values } = daily(120, (d) => 20 + 4 * Math.sin((2 * Math.PI * d) / 7), 0.5);
    const f = new TrendForecaster({ trend: 'linear' }).fit(times, values);
    expect(f.model).toBe('linear+weekly(3)');
    expect(f.backtest.rmse).toBeLessThan(0.8);
  });

  test('finds a known changepoint: rate 1/day before day 100, 3/day after', () => {
    const { times, values } = daily(200, (d) => (d < 100 ? d : 100 + 3 * (d - 100)), 1, 7);
    const f = new TrendForecaster({ trend: 'piecewise', seasonalities: NO_SEASONS }).fit(times, values);
    expect(f.trendRate(BASE + 40 * DAY)).toBeGreaterThan(0.9);
    expect(f.trendRate(BASE + 40 * DAY)).toBeLessThan(1.1);
    expect(f.trendRate(BASE + 190 * DAY)).toBeGreaterThan(2.85);
    expect(f.trendRate(BASE + 190 * DAY)).toBeLessThan(3.15);
    // The forecast continues at the late rate.
    const fc = f.forecast(10);
    expect((fc.mean[9]! - fc.mean[0]!) / 9).toBeCloseTo(3, 0);
    // And 'auto' prefers the piecewise trend on this series.
    const auto = new TrendForecaster({ seasonalities: NO_SEASONS }).fit(times, values);
    expect(auto.model).toBe('piecewise(25)');
  });

  test('the polynomial trend recovers a noiseless quadratic', () => {
    const { times, values } = daily(50, (d) => 1 + 0.2 * d + 0.03 * d * d);
    const f = new TrendForecaster({ trend: 'polynomial', degree: 2, seasonalities: NO_SEASONS }).fit(times, values);
    const fc = f.forecast(10);
    for (let k = 1; k <= 10; k++) expect(fc.mean[k - 1]).toBeCloseTo(1 + 0.2 * (49 + k) + 0.03 * (49 + k) ** 2, 7);
  });

  test('accepts irregular times; the frequency is the median spacing', () => {
    const n = 80;
    const times = new Float64Array(n);
    const values = new Float64Array(n);
    let t = BASE;
    for (let i = 0; i < n; i++) {
      t += (i % 5 === 0 ? 2 : 1) * DAY;
      times[i] = t;
      values[i] = 7 + 0.25 * ((t - BASE) / DAY);
    }
    const f = new TrendForecaster({ trend: 'linear', seasonalities: NO_SEASONS }).fit(times, values);
    expect(f.frequency).toBe(DAY);
    const fc = f.forecast(3);
    for (let k = 0; k < 3; k++) expect(fc.mean[k]).toBeCloseTo(7 + 0.25 * ((fc.times[k]! - BASE) / DAY), 8);
  });
});

test('a candidate fitted from the shared backtest design is bit-identical to a standalone fit', () => {
  const { times, values } = daily(120, (d) => (d < 60 ? d : 60 + 2 * (d - 60)) + 3 * Math.sin((2 * Math.PI * d) / 7), 1, 4);
  const base = { degree: 2, nChangepoints: 25, changepointRange: 0.8, yearly: 0, daily: 0 };
  const spec: ModelSpec = { ...base, trend: 'piecewise', weekly: 2 };
  const others: ModelSpec[] = [
    { ...base, trend: 'polynomial', degree: 3, weekly: 3 },
    { ...base, trend: 'linear', weekly: 0 },
  ];
  const priors = { changepointPriorScale: 0.05, seasonalityPriorScale: 10 };
  const alone = fitModel(times, values, spec, priors);
  const shared = fitModel(times, values, spec, priors, buildDesign(times, values, [...others, spec]));
  expect(sameBits(alone.gamma, shared.gamma) && sameBits(alone.delta, shared.delta) && alone.sigma === shared.sigma).toBe(true);
  expect(alone.delta.some((d) => d !== 0)).toBe(true);
});

describe('TrendForecaster — backtest MAPE when a held-out value is 0', () => {
  // A shop closed on Sundays: every 7th value is 0, so the held-out points hold zeros.
  const { times, values } = daily(140, (d) => (d % 7 === 6 ? 0 : 20 + 0.05 * d + 3 * Math.sin((2 * Math.PI * d) / 7)), 0.5, 4);
  for (let i = 6; i < values.length; i += 7) values[i] = 0;
  const f = new TrendForecaster({ seasonalities: { yearly: 0, weekly: 'auto', daily: 0 }, uncertaintySamples: 50 }).fit(times, values);
  const bt = f.backtest;

  test('MAPE is not defined (null), with the reason of eval/metrics.ts, instead of ~1e13', () => {
    const heldOut = values.subarray(values.length - bt.folds * bt.horizon);
    const why = mapeUndefinedReason(heldOut);
    expect(why).toMatch(/^MAPE divides by the true value, and \d+ of \d+ true values are 0/);
    expect(bt.mape).toBeNull();
    expect(bt.notDefined).toEqual({ mape: why });
    expect(Number.isFinite(bt.rmse) && Number.isFinite(bt.mae)).toBe(true);
    expect(bt.rmse).toBeLessThan(10);
  });

  test('the structure is chosen by backtest RMSE, which the zeros leave defined', () => {
    const best = Math.min(...bt.candidates.map((c) => c.rmse));
    expect(bt.rmse).toBe(bt.candidates.find((c) => c.model === bt.model)!.rmse);
    expect(bt.rmse).toBeLessThanOrEqual(best + 1e-9 * 30);
    expect(bt.candidates.length).toBeGreaterThan(1);
  });

  test('the undefined MAPE and its reason survive toJSON → fromJSON; a series without zeros keeps a MAPE', () => {
    const g = TrendForecaster.fromJSON(JSON.parse(JSON.stringify(f)));
    expect(g.backtest.mape).toBeNull();
    expect(g.backtest.notDefined).toEqual(bt.notDefined);
    expect(g.backtest).toEqual(bt);
    const shifted = new Float64Array(values.map((v) => v + 5));
    const h = new TrendForecaster({ seasonalities: { yearly: 0, weekly: 'auto', daily: 0 }, uncertaintySamples: 50 }).fit(times, shifted);
    expect(h.backtest.notDefined).toEqual({});
    expect(h.backtest.mape).toBeGreaterThan(0);
    expect(h.backtest.mape).toBeLessThan(1);
  });
});

describe('TrendForecaster — prediction intervals', () => {
  test('80% intervals cover about 80% of held-out points (backtest and a direct hold-out)', () => {
    const sd = 2;
    const { times, values } = daily(360, (d) => 50 + 0.05 * d + 3 * Math.sin((2 * Math.PI * d) / 7), sd, 11);
    const f = new TrendForecaster({ seasonalities: { yearly: 0, weekly: 'auto', daily: 0 } }).fit(times, values);
    expect(f.backtest.coverage).toBeGreaterThanOrEqual(0.6);
    expect(f.backtest.coverage).toBeLessThanOrEqual(0.95);

    const train = 300;
    const g = new TrendForecaster({ seasonalities: { yearly: 0, weekly: 'auto', daily: 0 } }).fit(times.subarray(0, train), values.subarray(0, train));
    const fc = g.forecast(60);
    let inside = 0;
    for (let k = 0; k < 60; k++) if (values[train + k]! >= fc.lower[k]! && values[train + k]! <= fc.upper[k]!) inside++;
    expect(inside / 60).toBeGreaterThanOrEqual(0.6);
    expect(inside / 60).toBeLessThanOrEqual(0.95);
    // Interval half-width is close to z(0.9) × noise sd = 1.28 × 2 at the first step.
    expect((fc.upper[0]! - fc.lower[0]!) / 2).toBeGreaterThan(0.8 * 1.2816 * sd);
    expect((fc.upper[0]! - fc.lower[0]!) / 2).toBeLessThan(1.3 * 1.2816 * sd);
  });

  test('piecewise trend uncertainty grows with the horizon', () => {
    const { times, values } = daily(200, (d) => 10 + (d < 80 ? 0.2 * d : 16 - 0.1 * (d - 80)), 0.5, 3);
    const f = new TrendForecaster({ trend: 'piecewise', seasonalities: NO_SEASONS }).fit(times, values);
    const fc = f.forecast(150);
    const w = (k: number): number => fc.upper[k]! - fc.lower[k]!;
    expect(w(149)).toBeGreaterThan(1.5 * w(0));
    for (let k = 0; k < 150; k++) {
      expect(fc.lower[k]).toBeLessThanOrEqual(fc.mean[k]!);
      expect(fc.upper[k]).toBeGreaterThanOrEqual(fc.mean[k]!);
    }
  });
});

describe('TrendForecaster.whenExceeds', () => {
  // y = 100 + 2 d + noise: the mean crosses 400 at d = 150.
  const { times, values } = daily(100, (d) => 100 + 2 * d, 1, 5);
  const f = new TrendForecaster({ trend: 'linear', seasonalities: NO_SEASONS }).fit(times, values);

  test('equals the analytic crossing date within one period', () => {
    const w = f.whenExceeds(400, 200);
    expect(w.date).not.toBeNull();
    expect(Math.abs(w.date! - (BASE + 150 * DAY))).toBeLessThanOrEqual(DAY);
    expect(w.upper).not.toBeNull();
    expect(w.lower).not.toBeNull();
    expect(w.upper!).toBeLessThanOrEqual(w.date!);
    expect(w.lower!).toBeGreaterThanOrEqual(w.date!);
    // The first forecast time whose mean is ≥ threshold.
    const fc = f.forecast(200);
    const i = fc.times.indexOf(w.date!);
    expect(fc.mean[i]).toBeGreaterThanOrEqual(400);
    expect(fc.mean[i - 1]).toBeLessThan(400);
  });

  test('returns null when the threshold is not reached within the horizon', () => {
    expect(f.whenExceeds(1e6, 50)).toEqual({ date: null, lower: null, upper: null });
    const w = f.whenExceeds(400, 20); // reached only after ~50 periods
    expect(w.date).toBeNull();
    expect(w.lower).toBeNull();
  });

  test('a falling series never crosses a higher threshold', () => {
    const down = daily(100, (d) => 500 - d, 0.5, 9);
    const g = new TrendForecaster({ trend: 'linear', seasonalities: NO_SEASONS }).fit(down.times, down.values);
    expect(g.whenExceeds(600, 100)).toEqual({ date: null, lower: null, upper: null });
  });

  test('a threshold already exceeded in history reports the first forecast time', () => {
    const w = f.whenExceeds(150, 10);
    expect(w).toEqual({ date: BASE + 100 * DAY, lower: BASE + 100 * DAY, upper: BASE + 100 * DAY });
  });
});

describe('TrendForecaster — determinism and save/load', () => {
  const { times, values } = daily(150, (d) => 30 + (d < 70 ? 0.3 * d : 21 - 0.2 * (d - 70)) + 2 * Math.sin((2 * Math.PI * d) / 7), 1, 21);

  test('the same data and seed give bit-identical forecasts', () => {
    const a = new TrendForecaster({ randomState: 42 }).fit(times, values).forecast(60);
    const b = new TrendForecaster({ randomState: 42 }).fit(times, values).forecast(60);
    expect(sameBits(a.mean, b.mean) && sameBits(a.lower, b.lower) && sameBits(a.upper, b.upper)).toBe(true);
  });

  test('another seed changes only the simulated bounds; a longer horizon extends a shorter one', () => {
    const f = new TrendForecaster({ randomState: 1 }).fit(times, values);
    const g = new TrendForecaster({ randomState: 2 }).fit(times, values);
    const a = f.forecast(40);
    const b = g.forecast(40);
    expect(sameBits(a.mean, b.mean)).toBe(true);
    expect(sameBits(a.upper, b.upper)).toBe(false);
    const short = f.forecast(10);
    expect(sameBits(short.lower, a.lower.subarray(0, 10))).toBe(true);
    expect(sameBits(short.upper, a.upper.subarray(0, 10))).toBe(true);
  });

  test('toJSON → JSON text → fromJSON reloads to bit-identical forecasts', () => {
    const f = new TrendForecaster({ changepointPriorScale: 0.1, randomState: 3 }).fit(times, values);
    const text = JSON.stringify(f);
    const g = TrendForecaster.fromJSON(JSON.parse(text));
    const a = f.forecast(90);
    const b = g.forecast(90);
    expect(sameBits(a.times, b.times) && sameBits(a.mean, b.mean) && sameBits(a.lower, b.lower) && sameBits(a.upper, b.upper)).toBe(true);
    expect(g.whenExceeds(45, 90)).toEqual(f.whenExceeds(45, 90));
    expect(g.backtest).toEqual(f.backtest);
    expect(g.getParams()).toEqual(f.getParams());
    expect(g.model).toBe(f.model);
    expect(JSON.stringify(g)).toBe(text);
  });

  test('an unfitted model round-trips unfitted', () => {
    const g = TrendForecaster.fromJSON(JSON.parse(JSON.stringify(new TrendForecaster({ trend: 'linear' }))));
    expect(g.fitted).toBe(false);
    expect(g.getParams().trend).toBe('linear');
    expect(() => g.forecast(3)).toThrow(NotFittedError);
  });

  test('refuses another format, another schema version, and corrupted state, naming the field', () => {
    const json = JSON.parse(JSON.stringify(new TrendForecaster({ trend: 'linear', seasonalities: NO_SEASONS }).fit(times, values)));
    expect(() => TrendForecaster.fromJSON(null)).toThrow(/'json' must be an object/);
    expect(() => TrendForecaster.fromJSON({ ...json, format: 'sklearn' })).toThrow(/'json.format'.*Got "sklearn"/);
    expect(() => TrendForecaster.fromJSON({ ...json, schemaVersion: 2 })).toThrow(/'json.schemaVersion' must be 1.*Got 2/);
    const broken = JSON.parse(JSON.stringify(json));
    broken.fitted.model.gamma[1] = 'x';
    expect(() => TrendForecaster.fromJSON(broken)).toThrow(/'json.fitted.model.gamma\[1\]' must be a finite number. Got "x"/);
    const short = JSON.parse(JSON.stringify(json));
    short.fitted.model.gamma.pop();
    expect(() => TrendForecaster.fromJSON(short)).toThrow(ForecastInputError);
    const badParams = JSON.parse(JSON.stringify(json));
    badParams.params.intervalWidth = 2;
    expect(() => TrendForecaster.fromJSON(badParams)).toThrow(/json.params.*'intervalWidth'.*Got 2/);
  });
});

describe('TrendForecaster — estimator contract and errors', () => {
  const { times, values } = daily(40, (d) => 5 + d, 0.1);

  test('getParams fills defaults; the constructor stores params untouched; clone is unfitted', () => {
    const f = new TrendForecaster({ nChangepoints: 10 });
    expect(f.getParams()).toMatchObject({ trend: 'auto', nChangepoints: 10, changepointRange: 0.8, intervalWidth: 0.8, seasonalities: 'auto', backtestFolds: 3 });
    expect(() => new TrendForecaster({ degree: -1 })).not.toThrow();
    f.fit(times, values);
    const c = f.clone({ trend: 'linear' });
    expect(c.fitted).toBe(false);
    expect(c.getParams()).toMatchObject({ nChangepoints: 10, trend: 'linear' });
  });

  test('throws NotFittedError before fit', () => {
    const f = new TrendForecaster();
    expect(() => f.forecast(5)).toThrow(NotFittedError);
    expect(() => f.whenExceeds(1, 5)).toThrow(NotFittedError);
    expect(() => f.backtest).toThrow(NotFittedError);
  });

  test('non-ascending times name the index and value', () => {
    const t = times.slice();
    t[7] = t[6]!;
    expect(() => new TrendForecaster().fit(t, values)).toThrow(/times must be strictly ascending; times\[7\] = \d+ \(2021-01-10T00:00:00.000Z\) is not after times\[6\]/);
    try {
      new TrendForecaster().fit(t, values);
    } catch (e) {
      expect(e).toBeInstanceOf(ForecastInputError);
      expect((e as ForecastInputError).field).toBe('times[7]');
    }
  });

  test('NaN values, non-finite times, too few points and length mismatch are refused', () => {
    const v = values.slice();
    v[3] = NaN;
    expect(() => new TrendForecaster().fit(times, v)).toThrow(/values\[3\] = NaN .*values must be finite numbers/);
    const t = times.slice();
    t[0] = Infinity;
    expect(() => new TrendForecaster().fit(t, values)).toThrow(/times\[0\] = Infinity; times must be finite/);
    expect(() => new TrendForecaster().fit(times.subarray(0, 5), values.subarray(0, 5))).toThrow(/'values' has 5 points; at least 10 are needed/);
    expect(() => new TrendForecaster().fit(times, values.subarray(0, 30))).toThrow(/same length; got 40 times and 30 values/);
    expect(() => new TrendForecaster().fit('x' as unknown as Float64Array, values)).toThrow(/'times' must be a Float64Array/);
  });

  test.each<[Partial<Record<keyof ForecasterParams, unknown>>, RegExp]>([
    [{ trend: 'cubic' }, /The 'trend' parameter of TrendForecaster must be one of 'auto', 'linear', 'polynomial', 'piecewise'. Got "cubic"/],
    [{ nChangepoints: -1 }, /'nChangepoints' parameter .* must be an int ≥ 0 .*Got -1/],
    [{ changepointRange: 1.5 }, /'changepointRange' .* ≤ 1. Got 1.5/],
    [{ changepointPriorScale: 0 }, /'changepointPriorScale' .* > 0. Got 0/],
    [{ intervalWidth: 1 }, /'intervalWidth' .* < 1. Got 1/],
    [{ degree: 9 }, /'degree' .* ≤ 6. Got 9/],
    [{ seasonalities: 'yes' }, /'seasonalities' parameter .* must be 'auto' or an object.*Got "yes"/],
    [{ seasonalities: { weekly: 'x' } }, /'seasonalities.weekly' parameter .* int ≥ 0 and ≤ 50 or 'auto'. Got "x"/],
    [{ seasonalities: { monthly: 3 } }, /'seasonalities.monthly'.*known seasonalities are yearly, weekly, daily/],
    [{ backtestHorizon: 100 }, /'backtestHorizon' .* backtestFolds × backtestHorizon ≤ 20.*Got 100/],
  ])('bad params are refused at fit: %j', (params, message) => {
    expect(() => new TrendForecaster(params as Partial<ForecasterParams>).fit(times, values)).toThrow(ParamError);
    expect(() => new TrendForecaster(params as Partial<ForecasterParams>).fit(times, values)).toThrow(message);
  });

  test('unknown params are refused, listing the known ones', () => {
    expect(() => new TrendForecaster({ seasonality: 3 } as unknown as Partial<ForecasterParams>).fit(times, values)).toThrow(
      /The 'seasonality' parameter of TrendForecaster must be one of the known parameters \(.*seasonalities\)/,
    );
  });

  test('bad query arguments name the field and value', () => {
    const f = new TrendForecaster({ trend: 'linear' }).fit(times, values);
    expect(() => f.forecast(0)).toThrow(/'horizon' must be an int ≥ 1 .*Got 0/);
    expect(() => f.forecast(2.5)).toThrow(/'horizon'.*Got 2.5/);
    expect(() => f.whenExceeds(NaN, 5)).toThrow(/'threshold' must be a finite number. Got NaN/);
  });
});
