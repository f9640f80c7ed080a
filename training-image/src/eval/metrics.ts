import { Matrix } from '../core/matrix';

function checkLen(name: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`${name}: yTrue has ${a.length} values but yPred has ${b.length}.`);
  if (a.length === 0) throw new RangeError(`${name}: no values.`);
}

/** Root mean squared error. */
export function rmse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkLen('rmse', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i]! - yPred[i]!) ** 2;
  return Math.sqrt(s / yTrue.length);
}

/** Mean absolute error. */
export function mae(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkLen('mae', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!);
  return s / yTrue.length;
}

/** Mean absolute percentage error, as a fraction (0.1 = 10 %); rows with yTrue = 0 use ε = 2.2e-16 like scikit-learn. */
export function mape(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkLen('mape', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!) / Math.max(Math.abs(yTrue[i]!), Number.EPSILON);
  return s / yTrue.length;
}

/** Coefficient of determination R² (1 is perfect; 0 for predicting the mean). */
export function r2(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkLen('r2', yTrue, yPred);
  let m = 0;
  for (let i = 0; i < yTrue.length; i++) m += yTrue[i]!;
  m /= yTrue.length;
  let ssr = 0,
    sst = 0;
  for (let i = 0; i < yTrue.length; i++) {
    ssr += (yTrue[i]! - yPred[i]!) ** 2;
    sst += (yTrue[i]! - m) ** 2;
  }
  return sst === 0 ? (ssr === 0 ? 1 : 0) : 1 - ssr / sst;
}

/**
 * Area under the ROC curve for binary labels (1 = positive) and scores; ties
 * count one half (Mann–Whitney): the pairs (positive, negative) where the
 * positive scores higher, plus half the tied pairs, over all pairs. Counted
 * by walking the two classes' sorted scores side by side (typed-array
 * sorts); every count is an integer or a half, exact in doubles, so this is
 * the rank-sum formula's value.
 */
export function rocAuc(yTrue: ArrayLike<number>, score: ArrayLike<number>): number {
  checkLen('rocAuc', yTrue, score);
  const n = yTrue.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === 1) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new RangeError(`rocAuc: needs both classes in yTrue; got ${nPos} positives and ${nNeg} negatives.`);
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (yTrue[i] === 1) pos[p++] = score[i]!;
    else neg[q++] = score[i]!;
  }
  if (pos.some(Number.isNaN) || neg.some(Number.isNaN)) return NaN;
  pos.sort();
  neg.sort();
  // For each positive (ascending): negatives strictly below it, and those equal to it (−0 equals +0, as a comparison says).
  let u = 0;
  let below = 0;
  let upTo = 0;
  for (let p = 0; p < nPos; p++) {
    const s = pos[p]!;
    while (below < nNeg && neg[below]! < s) below++;
    if (upTo < below) upTo = below;
    while (upTo < nNeg && neg[upTo]! <= s) upTo++;
    u += below + (upTo - below) / 2;
  }
  return u / (nPos * nNeg);
}

/** Macro one-vs-rest ROC AUC from a probability matrix (rows × classes) and class indices. */
export function rocAucOvr(yTrue: ArrayLike<number>, proba: Matrix): number {
  if (proba.cols === 2) {
    const s = new Float64Array(proba.rows);
    for (let r = 0; r < proba.rows; r++) s[r] = proba.data[r * 2 + 1]!;
    return rocAuc(yTrue, s);
  }
  let tot = 0,
    k = 0;
  for (let c = 0; c < proba.cols; c++) {
    const yc = new Float64Array(proba.rows),
      s = new Float64Array(proba.rows);
    let pos = 0;
    for (let r = 0; r < proba.rows; r++) {
      yc[r] = yTrue[r] === c ? 1 : 0;
      pos += yc[r]!;
      s[r] = proba.data[r * proba.cols + c]!;
    }
    if (pos === 0 || pos === proba.rows) continue;
    tot += rocAuc(yc, s);
    k++;
  }
  return k ? tot / k : NaN;
}

/** Fraction of exact matches. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkLen('accuracy', yTrue, yPred);
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

/** F1 score: binary (positive = 1) by default; `average: 'macro'` averages over the classes present. */
export function f1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, average: 'binary' | 'macro' = 'binary'): number {
  checkLen('f1', yTrue, yPred);
  const one = (pos: number): number => {
    let tp = 0,
      fp = 0,
      fn = 0;
    for (let i = 0; i < yTrue.length; i++) {
      const t = yTrue[i] === pos,
        p = yPred[i] === pos;
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
    }
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  };
  if (average === 'binary') return one(1);
  const labels = [...new Set([...Array.from(yTrue), ...Array.from(yPred)])];
  return labels.reduce((s, l) => s + one(l), 0) / labels.length;
}

/** Mean negative log-likelihood of the true class (probabilities clipped to [1e-15, 1 − 1e-15]). */
export function logLoss(yTrue: ArrayLike<number>, proba: Matrix): number {
  if (yTrue.length !== proba.rows) throw new RangeError(`logLoss: yTrue has ${yTrue.length} values but proba has ${proba.rows} rows.`);
  let s = 0;
  for (let r = 0; r < proba.rows; r++) {
    const c = yTrue[r]!;
    if (!Number.isInteger(c) || c < 0 || c >= proba.cols) throw new RangeError(`logLoss: yTrue[${r}] = ${c} is not a class index in [0, ${proba.cols - 1}].`);
    const p = Math.min(1 - 1e-15, Math.max(1e-15, proba.data[r * proba.cols + c]!));
    s -= Math.log(p);
  }
  return s / proba.rows;
}

/** The metric names the runtime reports. */
export type MetricName = 'rmse' | 'mae' | 'mape' | 'r2' | 'roc_auc' | 'accuracy' | 'f1' | 'log_loss';

/** Whether a larger value of the metric is better. */
export const GREATER_IS_BETTER: Readonly<Record<MetricName, boolean>> = {
  rmse: false,
  mae: false,
  mape: false,
  r2: true,
  roc_auc: true,
  accuracy: true,
  f1: true,
  log_loss: false,
};

/**
 * Why MAPE is not defined for these true values, or null when it is. MAPE
 * divides by |yTrue|: one true value of 0 makes it explode (scikit-learn's
 * ε = 2.2e-16 turns an error of 0.01 into 4.5e13), so it is reported as not
 * defined when any |yTrue| is 0 or within 2.2e-16 × max |yTrue| of it.
 */
export function mapeUndefinedReason(yTrue: ArrayLike<number>): string | null {
  let maxAbs = 0;
  for (let i = 0; i < yTrue.length; i++) maxAbs = Math.max(maxAbs, Math.abs(yTrue[i]!));
  const tiny = Number.EPSILON * maxAbs;
  let zeros = 0;
  for (let i = 0; i < yTrue.length; i++) if (Math.abs(yTrue[i]!) <= tiny) zeros++;
  if (zeros === 0) return null;
  return `MAPE divides by the true value, and ${zeros} of ${yTrue.length} true values ${zeros === 1 ? 'is' : 'are'} 0${tiny > 0 ? ' (or within 2.2e-16 × max |y| of it)' : ''}; use mae or rmse (in the target's units) instead, or drop the rows whose target is 0`;
}

/**
 * The one wording of a metric that is not defined where it was measured,
 * for every gate (local `--gate`, the pipeline/registry gate) and selection:
 * `mape is not defined on this holdout: <reason and fix>`, the reason as
 * {@link Scores.notDefined} gives it (e.g. {@link mapeUndefinedReason}).
 */
export function notDefinedText(metric: string, why: string, on = 'this holdout'): string {
  return `${metric} is not defined on ${on}: ${why}`;
}

/** Metrics with the ones that are not defined for the data left out, each with the reason. */
export interface Scores<K extends string> {
  /** The metrics that are defined (finite numbers for a model whose predictions are finite). */
  readonly metrics: Partial<Record<K, number>> & Record<string, number>;
  /** Metric → why it is not defined here (e.g. `mape` when a true value is 0). */
  readonly notDefined: Readonly<Record<string, string>>;
}

/** The regression metrics, MAPE left out with its reason when a true value is 0 (see {@link mapeUndefinedReason}). */
export function regressionScores(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): Scores<'rmse' | 'mae' | 'mape' | 'r2'> {
  const why = mapeUndefinedReason(yTrue);
  const metrics: Record<string, number> = { rmse: rmse(yTrue, yPred), mae: mae(yTrue, yPred), ...(why === null ? { mape: mape(yTrue, yPred) } : {}), r2: r2(yTrue, yPred) };
  return { metrics, notDefined: why === null ? {} : { mape: why } };
}

/** All regression metrics that are defined (MAPE is left out when a true value is 0; {@link regressionScores} says why). */
export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): Record<'rmse' | 'mae' | 'r2', number> & { mape?: number } {
  return regressionScores(yTrue, yPred).metrics as Record<'rmse' | 'mae' | 'r2', number> & { mape?: number };
}

/** The classification metrics (y = class indices; proba rows × classes); ROC AUC left out with its reason when the labels hold one class only. */
export function classificationScores(yTrue: ArrayLike<number>, proba: Matrix): Scores<'roc_auc' | 'accuracy' | 'f1' | 'log_loss'> {
  const pred = new Float64Array(proba.rows);
  for (let r = 0; r < proba.rows; r++) {
    let best = 0;
    for (let c = 1; c < proba.cols; c++) if (proba.data[r * proba.cols + c]! > proba.data[r * proba.cols + best]!) best = c;
    pred[r] = best;
  }
  let auc = NaN;
  try {
    auc = rocAucOvr(yTrue, proba);
  } catch {
    auc = NaN;
  }
  const metrics: Record<string, number> = {
    ...(Number.isNaN(auc) ? {} : { roc_auc: auc }),
    accuracy: accuracy(yTrue, pred),
    f1: f1(yTrue, pred, proba.cols === 2 ? 'binary' : 'macro'),
    log_loss: logLoss(yTrue, proba),
  };
  return {
    metrics,
    notDefined: Number.isNaN(auc)
      ? { roc_auc: `ROC AUC needs rows of at least two classes, and all ${yTrue.length} rows scored have the same class; use accuracy or log_loss instead` }
      : {},
  };
}

/** All classification metrics that are defined (ROC AUC is left out when the labels hold one class; {@link classificationScores} says why). */
export function classificationMetrics(yTrue: ArrayLike<number>, proba: Matrix): Record<'accuracy' | 'f1' | 'log_loss', number> & { roc_auc?: number } {
  return classificationScores(yTrue, proba).metrics as Record<'accuracy' | 'f1' | 'log_loss', number> & { roc_auc?: number };
}
