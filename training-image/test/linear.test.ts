import { fromRows, matrix } from '../src/core/matrix';
import { NotFittedError, ParamError } from '../src/core/estimator';
import { Rng } from '../src/core/random';
import { LinearRegression, LogisticRegression, Ridge, lstsqColumns } from '../src/linear';

describe('LinearRegression', () => {
  test('recovers an exact linear function', () => {
    const X = fromRows([
      [1, 2],
      [2, 1],
      [3, 5],
      [4, 3],
      [0, 0],
    ]);
    const y = Float64Array.from([1, 2, 3, 4, 0].map((_, r) => 2 * X.data[r * 2]! - 3 * X.data[r * 2 + 1]! + 1));
    const m = new LinearRegression().fit(X, y);
    expect(m.coef[0]).toBeCloseTo(2, 12);
    expect(m.coef[1]).toBeCloseTo(-3, 12);
    expect(m.intercept).toBeCloseTo(1, 12);
    expect(m.rank).toBe(2);
  });

  test('copes with a rank-deficient one-hot design (both dummies plus intercept) and matches the least-squares fit', () => {
    // Group means: a → 1, b → 3 (plus a duplicated column).
    const X = fromRows([
      [1, 0, 1],
      [1, 0, 1],
      [0, 1, 0],
      [0, 1, 0],
    ]);
    const y = Float64Array.from([0, 2, 2, 4]);
    const m = new LinearRegression().fit(X, y);
    expect(m.rank).toBe(1);
    expect(Array.from(m.predict(X)).map((v) => +v.toFixed(12))).toEqual([1, 1, 3, 3]);
  });

  test('least squares on an over-determined noisy system matches the normal equations', () => {
    // y = a + b x, points (0,1), (1,3), (2,4), (3,8): b = 2.2, a = 0.7 by hand.
    const m = new LinearRegression().fit(fromRows([[0], [1], [2], [3]]), Float64Array.from([1, 3, 4, 8]));
    expect(m.coef[0]).toBeCloseTo(2.2, 12);
    expect(m.intercept).toBeCloseTo(0.7, 12);
  });

  test('lstsqColumns without intercept solves a square system exactly', () => {
    const r = lstsqColumns([Float64Array.from([2, 1]), Float64Array.from([1, 3])], Float64Array.from([5, 10]));
    expect(r.x[0]).toBeCloseTo(1, 12);
    expect(r.x[1]).toBeCloseTo(3, 12);
  });

  test('predict before fit, wrong width, NaN input and bad params fail clearly', () => {
    expect(() => new LinearRegression().predict(fromRows([[1]]))).toThrow(NotFittedError);
    const m = new LinearRegression().fit(fromRows([[1], [2]]), Float64Array.from([1, 2]));
    expect(() => m.predict(fromRows([[1, 2]]))).toThrow('LinearRegression.predict: X has 2 features, but the model was fitted with 1.');
    expect(() => new LinearRegression().fit(fromRows([[NaN]]), Float64Array.from([1]))).toThrow(/impute missing values first/);
    expect(() => new Ridge({ alpha: -1 }).fit(fromRows([[1]]), Float64Array.from([1]))).toThrow("The 'alpha' parameter of Ridge must be a float ≥ 0. Got -1.");
    expect(() => new Ridge({ alpah: 1 } as never).fit(fromRows([[1]]), Float64Array.from([1]))).toThrow(ParamError);
  });
});

describe('Ridge', () => {
  test('matches the closed form β = Σxy / (Σx² + α) on centred 1-D data', () => {
    const x = [1, 2, 3, 4],
      y = [2, 4, 5, 9];
    const mx = 2.5,
      my = 5;
    const sxy = x.reduce((s, v, i) => s + (v - mx) * (y[i]! - my), 0);
    const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
    const m = new Ridge({ alpha: 2 }).fit(fromRows(x.map((v) => [v])), Float64Array.from(y));
    expect(m.coef[0]).toBeCloseTo(sxy / (sxx + 2), 12);
    expect(m.intercept).toBeCloseTo(my - mx * (sxy / (sxx + 2)), 12);
  });

  test('round-trips through JSON to bit-identical predictions', () => {
    const rng = new Rng(3);
    const X = matrix(
      50,
      4,
      Float64Array.from({ length: 200 }, () => rng.normal()),
    );
    const y = Float64Array.from({ length: 50 }, (_, r) => X.data[r * 4]! * 3 + rng.normal());
    const m = new Ridge({ alpha: 0.3 }).fit(X, y);
    const back = Ridge.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(Array.from(back.predict(X))).toEqual(Array.from(m.predict(X)));
    expect(m.clone().getParams()).toEqual({ alpha: 0.3, fitIntercept: true });
  });
});

describe('LogisticRegression', () => {
  const rng = new Rng(7);
  const n = 400;
  const X = matrix(
    n,
    2,
    Float64Array.from({ length: 2 * n }, () => rng.normal()),
  );
  const y = Float64Array.from({ length: n }, (_, r) => (rng.next() < 1 / (1 + Math.exp(-(1.5 * X.data[r * 2]! - X.data[r * 2 + 1]! + 0.5))) ? 1 : 0));

  test('reaches the penalised optimum: the gradient C·Xᵀ(p − y) + w vanishes', () => {
    const C = 0.5;
    const m = new LogisticRegression({ C }).fit(X, y);
    const P = m.predictProba(X);
    const g = [0, 0, 0];
    for (let r = 0; r < n; r++) {
      const res = P.data[r * 2 + 1]! - y[r]!;
      g[0]! += C * res * X.data[r * 2]!;
      g[1]! += C * res * X.data[r * 2 + 1]!;
      g[2]! += res;
    }
    expect(Math.abs(g[0]! + m.coef[0]!)).toBeLessThan(1e-6);
    expect(Math.abs(g[1]! + m.coef[1]!)).toBeLessThan(1e-6);
    expect(Math.abs(g[2]!)).toBeLessThan(1e-6);
    expect(m.coef[0]).toBeGreaterThan(1);
    expect(m.coef[1]).toBeLessThan(-0.5);
  });

  test('a symmetric 1-D problem has intercept 0 and the textbook slope', () => {
    // Points x = ±1 with label 1 at +1 three times out of four: unpenalised MLE slope = atanh-like log(3)/2 ... with C huge.
    const Xs = fromRows([[1], [1], [1], [1], [-1], [-1], [-1], [-1]]);
    const ys = Float64Array.from([1, 1, 1, 0, 0, 0, 0, 1]);
    const m = new LogisticRegression({ C: 1e10 }).fit(Xs, ys);
    expect(m.intercept).toBeCloseTo(0, 8);
    expect(m.coef[0]).toBeCloseTo(Math.log(3), 6);
  });

  test('classes, predict, multiclass one-vs-rest and JSON round trip', () => {
    const m = new LogisticRegression().fit(X, y);
    expect(m.classes).toEqual([0, 1]);
    const pred = m.predict(X);
    expect(pred.every((v) => v === 0 || v === 1)).toBe(true);
    const back = LogisticRegression.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(Array.from(back.predictProba(X).data)).toEqual(Array.from(m.predictProba(X).data));
    const y3 = Float64Array.from({ length: n }, (_, r) => (X.data[r * 2]! > 0.5 ? 2 : X.data[r * 2]! < -0.5 ? 0 : 1));
    const m3 = new LogisticRegression({ C: 10 }).fit(X, y3);
    const P = m3.predictProba(X);
    expect(P.cols).toBe(3);
    for (let r = 0; r < 5; r++) expect(P.data[r * 3]! + P.data[r * 3 + 1]! + P.data[r * 3 + 2]!).toBeCloseTo(1, 12);
    const acc = Array.from(m3.predict(X)).filter((v, r) => v === y3[r]).length / n;
    expect(acc).toBeGreaterThan(0.8);
  });

  test('errors: one class, bad C, predict before fit', () => {
    expect(() => new LogisticRegression().fit(fromRows([[1], [2]]), Float64Array.from([1, 1]))).toThrow(/at least 2 are needed/);
    expect(() => new LogisticRegression({ C: 0 }).fit(X, y)).toThrow("The 'C' parameter of LogisticRegression must be a float > 0. Got 0.");
    expect(() => new LogisticRegression().predictProba(X)).toThrow(NotFittedError);
  });
});
