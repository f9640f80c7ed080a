/**
 * The forecaster's plain least-squares baselines (issue 17, target 4): with
 * `trend: 'auto'` the candidate set also holds linear and quadratic trends
 * fitted by ordinary least squares (no priors), with each seasonal order
 * tried, so the chosen structure is never worse in its own rolling-origin
 * backtest than the best of them; the best baseline is reported.
 */
import { ParamError } from '../src/core/estimator';
import { Rng } from '../src/core/random';
import { ForecastInputError, TrendForecaster } from '../src/forecast';
import { buildDesign, fitModel, ModelSpec, predictModel } from '../src/forecast/private/model';
import { forecastSections, renderReport } from '../src/report';

const DAY = 86_400_000;
const T0 = Date.UTC(2018, 0, 1);

/** Daily series `mu(d) + noise·N(0, 1)`. */
function daily(n: number, mu: (d: number) => number, noise: number, seed: number): { times: Float64Array; values: Float64Array } {
  const rng = new Rng(seed);
  return {
    times: Float64Array.from({ length: n }, (_, i) => T0 + i * DAY),
    values: Float64Array.from({ length: n }, (_, i) => mu(i) + noise * rng.normal()),
  };
}

/** An accelerating series with yearly and weekly seasonality. */
const accelerating =
  (b: number) =>
  (d: number): number =>
    100 + 0.02 * d + b * d * d + 8 * Math.sin((2 * Math.PI * d) / 365.25) + 3 * Math.sin((2 * Math.PI * d) / 7);

/** Solves the normal equations (XᵀX) β = Xᵀy by Gaussian elimination with partial pivoting (an independent check). */
function ols(X: number[][], y: number[]): number[] {
  const p = X[0]!.length;
  const A = Array.from({ length: p }, (_, i) => [...Array.from({ length: p }, (_, k) => X.reduce((s, r) => s + r[i]! * r[k]!, 0)), X.reduce((s, r, j) => s + r[i]! * y[j]!, 0)]);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let k = c; k <= p; k++) A[r]![k]! -= f * A[c]![k]!;
    }
  }
  return A.map((row, i) => row[p]! / row[i]!);
}

describe('TrendForecaster least-squares baselines', () => {
  test.each([
    ['accelerating, two years', daily(730, accelerating(4e-5), 4, 1)],
    ['accelerating, short history', daily(500, accelerating(1e-4), 5, 1)],
    ['noisy line with a weekly cycle', daily(200, (d) => 20 + 0.05 * d + 2 * Math.sin((2 * Math.PI * d) / 7), 1.5, 3)],
    ['a changepoint', daily(300, (d) => (d < 150 ? 10 + 0.1 * d : 25 - 0.05 * (d - 150)), 1, 4)],
  ])('%s: the chosen structure is never worse in the backtest than the best baseline, which is reported', (_, s) => {
    const f = new TrendForecaster({ uncertaintySamples: 50 }).fit(s.times, s.values);
    const bt = f.backtest;
    const baselines = bt.candidates.filter((c) => c.model.startsWith('ls-'));
    // Linear and quadratic, each with every seasonal order tried: as many as the prior-regularised linear candidates, twice.
    expect(baselines.length).toBe(2 * bt.candidates.filter((c) => c.model.startsWith('linear')).length);
    const best = baselines.reduce((a, c) => (c.rmse < a.rmse ? c : a));
    expect(bt.baseline).toEqual({ model: best.model, rmse: best.rmse });
    const yMax = s.values.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    expect(bt.rmse).toBeLessThanOrEqual(bt.baseline!.rmse + 1e-9 * yMax);
  });

  test('a baseline is the ordinary least-squares fit of its columns (no priors), checked against the normal equations', () => {
    const { times, values } = daily(120, (d) => 5 + 0.3 * d - 0.001 * d * d + 2 * Math.cos((2 * Math.PI * d) / 7), 0.7, 5);
    const spec: ModelSpec = { trend: 'polynomial', degree: 2, nChangepoints: 25, changepointRange: 0.8, yearly: 0, weekly: 2, daily: 0, leastSquares: true };
    const m = fitModel(times, values, spec, { changepointPriorScale: 0.05, seasonalityPriorScale: 10 }, buildDesign(times, values, [spec]));
    const tSpan = times[times.length - 1]! - times[0]!;
    const X = Array.from(times, (time) => {
      const t = (time - times[0]!) / tSpan;
      const days = time / DAY;
      const w = [1, 2].flatMap((k) => [Math.sin((2 * Math.PI * k * days) / 7), Math.cos((2 * Math.PI * k * days) / 7)]);
      return [1, t, t * t, ...w];
    });
    const beta = ols(X, Array.from(values));
    const future = Float64Array.from({ length: 30 }, (_, k) => times[times.length - 1]! + (k + 1) * DAY);
    const got = predictModel(m, future);
    future.forEach((time, k) => {
      const t = (time - times[0]!) / tSpan;
      const days = time / DAY;
      const row = [1, t, t * t, ...[1, 2].flatMap((j) => [Math.sin((2 * Math.PI * j * days) / 7), Math.cos((2 * Math.PI * j * days) / 7)])];
      expect(got[k]).toBeCloseTo(
        row.reduce((a, v, i) => a + v * beta[i]!, 0),
        8,
      );
    });
    // The prior-regularised fit of the same structure is pulled (slightly) away from it.
    const map = fitModel(times, values, { ...spec, leastSquares: false }, { changepointPriorScale: 0.05, seasonalityPriorScale: 10 });
    expect(Array.from(map.gamma)).not.toEqual(Array.from(m.gamma));
  });

  test('no baselines with baselines: false or a fixed trend; the candidates are then the prior-regularised ones alone', () => {
    const s = daily(200, (d) => 20 + 0.05 * d, 1, 6);
    for (const p of [{ baselines: false }, { trend: 'polynomial' as const }]) {
      const f = new TrendForecaster({ ...p, uncertaintySamples: 50 }).fit(s.times, s.values);
      expect(f.backtest.baseline).toBeNull();
      expect(f.backtest.candidates.some((c) => c.model.startsWith('ls-'))).toBe(false);
    }
  });

  test('a bad baselines value is refused with the field, the value and what is accepted', () => {
    const s = daily(40, (d) => d, 0, 1);
    expect(() => new TrendForecaster({ baselines: 'yes' as unknown as boolean }).fit(s.times, s.values)).toThrow(ParamError);
    expect(() => new TrendForecaster({ baselines: 'yes' as unknown as boolean }).fit(s.times, s.values)).toThrow(
      /'baselines' parameter of TrendForecaster must be a boolean. Got "yes"/,
    );
  });

  test('a model whose chosen structure is a baseline saves and reloads with bit-identical forecasts; a corrupted flag is refused', () => {
    const s = daily(730, accelerating(4e-5), 4, 2);
    const f = new TrendForecaster({ uncertaintySamples: 100 }).fit(s.times, s.values);
    expect(f.model.startsWith('ls-')).toBe(true);
    const json = JSON.parse(JSON.stringify(f.toJSON()));
    const g = TrendForecaster.fromJSON(json);
    expect(g.model).toBe(f.model);
    expect(g.backtest.baseline).toEqual(f.backtest.baseline);
    expect(Array.from(g.forecast(90).upper)).toEqual(Array.from(f.forecast(90).upper));
    const bad = JSON.parse(JSON.stringify(json));
    bad.fitted.model.spec.leastSquares = 'yes';
    expect(() => TrendForecaster.fromJSON(bad)).toThrow(ForecastInputError);
    expect(() => TrendForecaster.fromJSON(bad)).toThrow(/json\.fitted\.model\.spec\.leastSquares' must be a boolean \(or absent\). Got "yes"/);
    const piecewise = JSON.parse(JSON.stringify(json));
    piecewise.fitted.model.spec.trend = 'piecewise';
    expect(() => TrendForecaster.fromJSON(piecewise)).toThrow(/leastSquares' must be false or absent for a 'piecewise' trend/);
    // A model saved before the baselines existed (no flag, no baseline figure) still loads.
    const old = JSON.parse(JSON.stringify(new TrendForecaster({ trend: 'linear', uncertaintySamples: 50 }).fit(s.times, s.values).toJSON()));
    delete old.fitted.backtest.baseline;
    expect(TrendForecaster.fromJSON(old).backtest.baseline).toBeNull();
  });

  test('on an accelerating series with seasonality and noise, the forecast crosses a level within weeks of the known date', () => {
    const mu = accelerating(4e-5);
    const s = daily(730, mu, 4, 1);
    // The noiseless series reaches the level two years after the history ends.
    const level = mu(730 + 730);
    let truth = 730;
    while (mu(truth) < level) truth++;
    const f = new TrendForecaster({ uncertaintySamples: 100 }).fit(s.times, s.values);
    const at = f.whenExceeds(level, 1500).date;
    expect(at).not.toBeNull();
    const errDays = (at! - T0) / DAY - truth;
    expect(Math.abs(errDays)).toBeLessThanOrEqual(30);
  });

  test('the report shows the best baseline beside the chosen structure', async () => {
    const s = daily(240, (d) => 12 + 0.01 * d + 1.2 * Math.sin((2 * Math.PI * d) / 7), 1, 7);
    const f = new TrendForecaster({ uncertaintySamples: 50 }).fit(s.times, s.values);
    const sec = forecastSections(f, s, { valueLabel: 'Load', unit: 'MW', horizon: 60, rating: 17 });
    expect(sec.backtest.baseline).toEqual(f.backtest.baseline);
    const { html } = await renderReport({ title: 'Load', run: { id: 'run-1', pipeline: 'load' }, forecast: sec.forecast, backtest: sec.backtest });
    expect(html).toContain('Best least-squares baseline');
    expect(html).toContain(f.backtest.baseline!.model);
  });
});
