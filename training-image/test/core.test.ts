import { ParamError, validateParams } from '../src/core/estimator';
import { column, fromRows, matrix, takeRows } from '../src/core/matrix';
import { Rng } from '../src/core/random';

describe('Rng', () => {
  test('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  test('draws uniformly in [0, 1) and permutations are permutations', () => {
    const rng = new Rng(7);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = rng.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 10000).toBeCloseTo(0.5, 1);
    expect([...rng.permutation(10)].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('matrix helpers', () => {
  test('row-major layout, columns and row selection', () => {
    const m = fromRows([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(Array.from(column(m, 1))).toEqual([2, 4, 6]);
    expect(Array.from(takeRows(m, [2, 0]).data)).toEqual([5, 6, 1, 2]);
    expect(() => matrix(2, 2, new Float64Array(3))).toThrow(/expected 2 × 2 = 4/);
  });
});

describe('validateParams', () => {
  const specs = {
    maxDepth: { type: 'int', min: 1 },
    learningRate: { type: 'float', min: 0, exclusiveMin: true },
    loss: { type: 'enum', values: ['squared', 'absolute'] },
  } as const;

  test('names the parameter, the estimator, what is accepted and the value', () => {
    expect(() => validateParams('RandomForest', specs, { maxDepth: 0 })).toThrow("The 'maxDepth' parameter of RandomForest must be an int ≥ 1. Got 0.");
    expect(() => validateParams('GBDT', specs, { learningRate: 0 })).toThrow(/must be a float > 0/);
    expect(() => validateParams('GBDT', specs, { loss: 'huber' })).toThrow(/one of 'squared', 'absolute'. Got "huber"/);
  });

  test('rejects unknown parameters', () => {
    expect(() => validateParams('GBDT', specs, { maxDeph: 3 })).toThrow(ParamError);
  });

  test('accepts valid values', () => {
    expect(() => validateParams('GBDT', specs, { maxDepth: 3, learningRate: 0.1, loss: 'absolute' })).not.toThrow();
  });
});
