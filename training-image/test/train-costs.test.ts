/**
 * The costs of `mlops train` beyond the model's fit (issue 17, target 3),
 * made cheaper without changing what a run reports: permutation importance
 * scores each shuffle with the one metric it needs (the value every metric
 * of the holdout report gives it), the run records its model's own fit time
 * (`model_fit_ms`), and a run without a holdout says what it skipped.
 */
import { parseCsv, toFrame } from '../src/data';
import { permutationImportance } from '../src/eval/importance';
import { trainModel } from '../src/models/train';
import { syntheticCsv } from './serve-fixtures';

const frame = (): ReturnType<typeof toFrame> => toFrame(parseCsv(syntheticCsv()));

describe('permutation importance scored with one metric', () => {
  test.each([
    ['regression', 'linear', 'y', 'r2'],
    ['classification', 'logistic', 'label', 'roc_auc'],
    ['classification', 'gbdt', 'label', 'roc_auc'],
  ] as const)('%s (%s): scoreFor gives the holdout report’s %s, for the model and for every shuffled column', (task, model, target, metric) => {
    const r = trainModel({ frame: frame(), target, task, model, params: model === 'gbdt' ? { maxIter: 10 } : {}, features: { exclude: ['id', target === 'y' ? 'label' : 'y'] } });
    const tm = r.trained;
    // A matrix of the model's features and the encoded target, from the whole frame.
    const f = frame();
    const X = tm.pipeline.transform(f).X;
    const { encodeTarget } = require('../src/features/target') as typeof import('../src/features/target');
    const y = encodeTarget(f.column(target), tm.target);
    expect(tm.scoreFor(X, y, metric)).toBe(tm.metricsFor(X, y)[metric]);
    const one = permutationImportance(tm.estimator, X, y, (yt, _m, Xp) => tm.scoreFor(Xp, yt, metric), { seed: 3, nRepeats: 2 });
    const all = permutationImportance(tm.estimator, X, y, (yt, _m, Xp) => tm.metricsFor(Xp, yt)[metric]!, { seed: 3, nRepeats: 2 });
    expect(Array.from(one.mean)).toEqual(Array.from(all.mean));
    expect(Array.from(one.std)).toEqual(Array.from(all.std));
    expect(() => tm.scoreFor(X, y, metric === 'r2' ? 'roc_auc' : 'r2')).toThrow(/is not a (regression|classification) score here/);
  });
});

describe('timings and notes of a training run', () => {
  test('model_fit_ms is the returned model’s own fit, refitted or not; a run without a holdout notes what it skipped', () => {
    const base = { target: 'y', model: 'linear' as const, features: { exclude: ['id', 'label'] } };
    const full = trainModel({ frame: frame(), ...base });
    expect(full.timings.model_fit_ms).toEqual(expect.any(Number));
    const kept = trainModel({ frame: frame(), ...base, refit: false });
    expect(kept.timings.model_fit_ms).toEqual(expect.any(Number));
    const none = trainModel({ frame: frame(), ...base, holdout: 0 });
    expect(none.notes).toEqual([expect.stringMatching(/^no holdout \(holdout 0\): no holdout metrics and no permutation importance; the model is fitted on all \d+ rows$/)]);
    expect(none.metrics.notes).toEqual(none.notes);
    expect(full.notes).toEqual([]);
  });
});
