import { fromRows, matrix } from '../src/core/matrix';
import { Rng } from '../src/core/random';
import {
  accuracy,
  crossValidate,
  f1,
  hyperparameterSearch,
  kFold,
  logLoss,
  mae,
  mape,
  permutationImportance,
  r2,
  rmse,
  rocAuc,
  stratifiedKFold,
  timeSeriesSplit,
  trainTestSplit,
} from '../src/eval';
import { LinearRegression } from '../src/linear';

describe('metrics', () => {
  const yt = [3, -0.5, 2, 7],
    yp = [2.5, 0, 2, 8];
  test('regression metrics match hand / scikit-learn values', () => {
    expect(rmse(yt, yp)).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(mae(yt, yp)).toBeCloseTo(0.5, 12);
    expect(r2(yt, yp)).toBeCloseTo(0.9486081370449679, 12); // sklearn docs example
    expect(mape([100, 200], [110, 180])).toBeCloseTo(0.1, 12);
  });

  test('ROC AUC with ties (scikit-learn docs example) and degenerate input', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBeCloseTo(0.5, 12);
    expect(() => rocAuc([1, 1], [0.2, 0.3])).toThrow(/needs both classes/);
  });

  test('ROC AUC is exactly the Mann–Whitney count over all (positive, negative) pairs, ties (signed zeros too) counting one half', () => {
    const rng = new Rng(4);
    for (let t = 0; t < 60; t++) {
      const n = 2 + rng.int(80);
      const y = Array.from({ length: n }, (_, i) => (i === 0 ? 0 : i === 1 ? 1 : rng.int(2)));
      const s = Array.from({ length: n }, () => (rng.next() < 0.2 ? (rng.next() < 0.5 ? -0 : 0) : rng.int(7) / 7 - 0.5));
      let u = 0;
      let pairs = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          if (y[i] === 1 && y[j] === 0) {
            pairs++;
            u += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
          }
      expect(rocAuc(y, s)).toBe(u / pairs);
    }
    expect(rocAuc([0, 1], [NaN, 0.5])).toBeNaN();
  });

  test('accuracy, F1, log loss', () => {
    expect(accuracy([0, 1, 1, 0], [0, 1, 0, 0])).toBe(0.75);
    // tp 1, fp 1, fn 1 → 2/4
    expect(f1([1, 1, 0, 0], [1, 0, 1, 0])).toBeCloseTo(0.5, 12);
    expect(f1([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], 'macro')).toBeCloseTo(0.26666666666666666, 12); // sklearn docs
    const P = fromRows([
      [0.9, 0.1],
      [0.2, 0.8],
      [0.3, 0.7],
    ]);
    expect(logLoss([0, 1, 0], P)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.3)) / 3, 12);
    expect(() => rmse([1], [1, 2])).toThrow('rmse: yTrue has 1 values but yPred has 2.');
  });
});

describe('splits', () => {
  test('kFold partitions every row exactly once and is seeded', () => {
    const folds = kFold(10, 3, { seed: 1 });
    expect(folds.map((f) => f.test.length)).toEqual([4, 3, 3]);
    const all = folds.flatMap((f) => Array.from(f.test)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 10 }, (_, i) => i));
    for (const f of folds) expect(f.train.length + f.test.length).toBe(10);
    expect(kFold(10, 3, { seed: 1 })).toEqual(folds);
    expect(() => kFold(3, 5)).toThrow('kFold: k = 5 is more than the 3 rows.');
  });

  test('stratifiedKFold keeps class proportions', () => {
    const y = Float64Array.from({ length: 100 }, (_, i) => (i < 20 ? 1 : 0));
    for (const f of stratifiedKFold(y, 5, { seed: 0 })) {
      expect(Array.from(f.test).filter((i) => y[i] === 1)).toHaveLength(4);
      expect(f.test.length).toBe(20);
    }
    const s = trainTestSplit(100, 0.2, { stratify: y, seed: 0 });
    expect(Array.from(s.test).filter((i) => y[i] === 1)).toHaveLength(4);
  });

  test('timeSeriesSplit trains only on the past', () => {
    const folds = timeSeriesSplit(12, 3, { gap: 1 });
    expect(folds.map((f) => [f.train.length, f.test[0], f.test.length])).toEqual([
      [2, 3, 3],
      [5, 6, 3],
      [8, 9, 3],
    ]);
    for (const f of folds) expect(Math.max(...f.train)).toBeLessThan(f.test[0]!);
  });

  test('crossValidate fits a clone per fold', () => {
    const X = fromRows(Array.from({ length: 20 }, (_, i) => [i]));
    const y = Float64Array.from({ length: 20 }, (_, i) => 2 * i + 1);
    const r = crossValidate(new LinearRegression(), X, y, kFold(20, 4), (m, Xt, yt) => rmse(yt, m.predict(Xt)));
    expect(r.scores).toHaveLength(4);
    expect(r.mean).toBeLessThan(1e-9);
  });
});

describe('permutation importance', () => {
  test('ranks the feature the target depends on first, deterministically', () => {
    const rng = new Rng(1);
    const X = matrix(
      200,
      3,
      Float64Array.from({ length: 600 }, () => rng.normal()),
    );
    const y = Float64Array.from({ length: 200 }, (_, r) => 3 * X.data[r * 3 + 1]! + 0.1 * rng.normal());
    const m = new LinearRegression().fit(X, y);
    const score = (yt: Float64Array, model: typeof m | unknown, Xt: typeof X): number => r2(yt, (model as typeof m).predict(Xt));
    const a = permutationImportance(m, X, y, score, { seed: 4 });
    const b = permutationImportance(m, X, y, score, { seed: 4 });
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    expect(a.mean[1]).toBeGreaterThan(1);
    expect(Math.abs(a.mean[0]!)).toBeLessThan(0.05);
  });
});

describe('hyperparameter search', () => {
  const space = { x: { type: 'float', low: -5, high: 5 }, k: { type: 'int', low: 1, high: 100, log: true }, c: { type: 'categorical', choices: ['a', 'b', 'c'] } } as const;
  const f = (p: Record<string, unknown>): number => ((p.x as number) - 1.5) ** 2 + Math.abs(Math.log((p.k as number) / 10)) + (p.c === 'b' ? 0 : 1);

  test('is deterministic per seed and respects the bounds and the budget', () => {
    const lines: string[] = [];
    const a = hyperparameterSearch(f, space, { nTrials: 30, seed: 3, onTrial: (t, best) => lines.push(`${t.number} ${best.value}`) });
    const b = hyperparameterSearch(f, space, { nTrials: 30, seed: 3 });
    expect(a.trials.map((t) => t.params)).toEqual(b.trials.map((t) => t.params));
    expect(a.trials).toHaveLength(30);
    expect(lines).toHaveLength(30);
    for (const t of a.trials) {
      expect(t.params.x).toBeGreaterThanOrEqual(-5);
      expect(t.params.x).toBeLessThanOrEqual(5);
      expect(Number.isInteger(t.params.k)).toBe(true);
    }
  });

  test('TPE does better than random search on average over seeds', () => {
    let tpe = 0,
      rnd = 0;
    for (let s = 0; s < 8; s++) {
      tpe += hyperparameterSearch(f, space, { nTrials: 40, seed: s, sampler: 'tpe' }).best.value;
      rnd += hyperparameterSearch(f, space, { nTrials: 40, seed: s, sampler: 'random' }).best.value;
    }
    expect(tpe).toBeLessThan(rnd);
  });

  test('a failing trial is recorded, not fatal; bad budgets are refused', () => {
    const r = hyperparameterSearch(
      (p) => {
        if ((p.x as number) > 0) throw new Error('boom');
        return -(p.x as number);
      },
      { x: space.x },
      { nTrials: 10, sampler: 'random' },
    );
    expect(r.trials.some((t) => t.error === 'boom' && t.value === Infinity)).toBe(true);
    expect(() => hyperparameterSearch(f, space, { nTrials: 0 })).toThrow('hyperparameterSearch: nTrials must be an integer ≥ 1. Got 0.');
  });
});
