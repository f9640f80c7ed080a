/**
 * Decision thresholds of a binary classifier: the precision/recall/F1 curve
 * over thresholds 0.05–0.95 (step 0.01), the F1-optimal threshold, and the
 * scores at a given threshold: the trainer (src/models/train.ts) chooses the
 * decision threshold with it, the pipeline's evaluate step scores at it.
 */

/** Precision, recall, F1 and the confusion matrix (rows = actual 0/1, columns = predicted 0/1) at one threshold. */
export interface ThresholdPoint {
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly confusion: number[][];
}

/** Scores of the positive class when predicting positive for `pPos ≥ t` (`y` is 1 for the positive class). */
export function thresholdPoint(y: ArrayLike<number>, pPos: ArrayLike<number>, t: number): ThresholdPoint {
  let tp = 0,
    fp = 0,
    fn = 0,
    tn = 0;
  for (let i = 0; i < y.length; i++) {
    const pred = pPos[i]! >= t;
    if (pred && y[i] === 1) tp++;
    else if (pred) fp++;
    else if (y[i] === 1) fn++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 1,
    recall = tp + fn ? tp / (tp + fn) : 0,
    f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return {
    threshold: t,
    precision,
    recall,
    f1,
    confusion: [
      [tn, fp],
      [fn, tp],
    ],
  };
}

/** The F1-optimal decision threshold of a binary classifier on labelled data, with the precision/recall/F1 curve (and the confusion matrix at the best threshold). */
export function thresholdCurve(
  y: ArrayLike<number>,
  pPos: ArrayLike<number>,
): { thresholds: number[]; precision: number[]; recall: number[]; f1: number[]; best: { value: number; score: number }; confusion: number[][] } {
  const thresholds: number[] = [],
    precision: number[] = [],
    recall: number[] = [],
    f1: number[] = [];
  let best = { value: 0.5, score: -1 };
  for (let t = 0.05; t < 0.951; t += 0.01) {
    const tv = Math.round(t * 100) / 100;
    const pt = thresholdPoint(y, pPos, t);
    thresholds.push(tv);
    precision.push(pt.precision);
    recall.push(pt.recall);
    f1.push(pt.f1);
    if (pt.f1 > best.score) best = { value: tv, score: pt.f1 };
  }
  return { thresholds, precision, recall, f1, best, confusion: thresholdPoint(y, pPos, best.value).confusion };
}
