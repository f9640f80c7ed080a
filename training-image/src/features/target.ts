import { keepValue, show, showKey, showList } from '../core/text';
import { DataError, Issue } from '../data/errors';
import { Column } from '../data/frame';
import { isNumberText } from '../data/values';

/** The learning tasks of a tabular model. */
export const TASKS = ['regression', 'classification'] as const;
/** The learning task. */
export type Task = (typeof TASKS)[number];

/** Saved target encoding: for classification, the class labels in index order. */
export interface TargetState {
  readonly column: string;
  readonly task: Task;
  /** Class labels (classification), sorted; `y` holds indices into this list. */
  readonly labels: readonly string[] | null;
}

/** Values a target column holds (not missing). */
function presentCount(col: Column): number {
  let k = 0;
  if (col.type === 'string') {
    for (const v of col.values) if (v !== null) k++;
  } else for (const v of col.values) if (!Number.isNaN(v)) k++;
  return k;
}

/** The rows (1-based) and values of a text target column that are not numbers, first `max`. */
function nonNumeric(col: Column, max = 20): { rows: { row: number; value: string }[]; count: number; numbers: number } {
  const rows: { row: number; value: string }[] = [];
  let count = 0,
    numbers = 0;
  if (col.type !== 'string') return { rows, count, numbers };
  col.values.forEach((v, r) => {
    if (v === null) return;
    if (isNumberText(v)) numbers++;
    else {
      count++;
      if (rows.length < max) rows.push({ row: r + 1, value: v });
    }
  });
  return { rows, count, numbers };
}

function nonNumericError(col: Column, bad: ReturnType<typeof nonNumeric>, why: string, fix: string): DataError {
  const name = showKey(col.name);
  const issues: Issue[] = bad.rows.map((b) => ({
    code: 'BAD_TARGET',
    row: b.row,
    column: col.name,
    value: keepValue(b.value),
    message: `row ${b.row}, target ${name}: ${show(b.value)} is not a number`,
  }));
  if (bad.count > bad.rows.length)
    issues.push({ code: 'BAD_TARGET', column: col.name, message: `target ${name}: ${bad.count} values in all are not numbers (first ${bad.rows.length} listed)` });
  return new DataError(
    `Target ${name} ${why}: ${bad.count} of ${bad.count + bad.numbers} values ${bad.count === 1 ? 'is' : 'are'} not ${bad.count === 1 ? 'a number' : 'numbers'} (${bad.rows
      .slice(0, 3)
      .map((b) => `row ${b.row}: ${show(b.value)}`)
      .join(', ')}${bad.count > 3 ? ', …' : ''}). Fix: ${fix}`,
    issues,
  );
}

/** Throws a {@link DataError} when the target column has no values at all. */
export function checkTargetHasValues(col: Column): void {
  if (presentCount(col) > 0) return;
  const name = showKey(col.name);
  throw new DataError(
    `Target ${name} has no values: all ${col.values.length} rows are missing (empty, NA, null, NaN or None). Fix: fill in the target, or choose the column to predict with --target.`,
    [{ code: 'BAD_TARGET', column: col.name, message: `target ${name} is empty in all ${col.values.length} rows` }],
  );
}

/**
 * Guesses the task from the target column: text, boolean-like or two-valued →
 * classification, else regression. A text column whose values are nearly all
 * numbers (at least 90 %) is refused, naming the rows that are not: it is a
 * numeric target with bad cells far more often than 100 classes.
 */
export function inferTask(col: Column): Task {
  checkTargetHasValues(col);
  if (col.type === 'string') {
    const bad = nonNumeric(col);
    if (bad.count > 0 && bad.numbers >= 0.9 * (bad.count + bad.numbers)) {
      throw nonNumericError(
        col,
        bad,
        'looks numeric',
        'correct or remove those rows (a missing target is not allowed either); or, if the column really holds classes, pass --task classification.',
      );
    }
    return 'classification';
  }
  if (col.type === 'datetime') throw new DataError(`The target column ${showKey(col.name)} is a datetime; pick a numeric or categorical target.`);
  const distinct = new Set<number>();
  for (const v of col.values) {
    if (Number.isNaN(v)) continue;
    distinct.add(v);
    if (distinct.size > 2) return 'regression';
  }
  return 'classification';
}

function labelOf(col: Column, r: number): string | null {
  if (col.type === 'string') return col.values[r] ?? null;
  const v = col.values[r]!;
  return Number.isNaN(v) ? null : String(v);
}

/** Learns the target encoding: numeric values for regression, sorted class labels for classification. */
export function fitTarget(col: Column, task: Task): TargetState {
  checkTargetHasValues(col);
  const name = showKey(col.name);
  if (task === 'regression') {
    if (col.type === 'string') {
      const bad = nonNumeric(col);
      if (bad.count > 0) throw nonNumericError(col, bad, 'must be numeric for regression', 'correct or remove those rows, or use --task classification or another --target.');
    }
    if (col.type !== 'number')
      throw new DataError(`Regression needs a numeric target; ${name} is ${col.type}. Use --task classification or another target.`, [
        { code: 'BAD_TARGET', column: col.name, message: `target ${name} is not numeric` },
      ]);
    return { column: col.name, task, labels: null };
  }
  const set = new Set<string>();
  let present = 0;
  for (let r = 0; r < col.values.length; r++) {
    const s = labelOf(col, r);
    if (s !== null) {
      set.add(s);
      present++;
    }
  }
  const labels = [...set].sort((a, b) => {
    const na = Number(a),
      nb = Number(b);
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
  });
  if (labels.length < 2) {
    throw new DataError(
      `Classification needs at least 2 classes in target ${name}; it has only one, ${show(labels[0])}, in ${present} row${present === 1 ? '' : 's'}${present < col.values.length ? ` (${col.values.length - present} missing)` : ''}. Fix: train on data with rows of every class, or choose another --target${col.type === 'number' ? ' (or --task regression for a numeric target)' : ''}.`,
      [{ code: 'BAD_TARGET', column: col.name, value: labels[0], message: `target ${name} has 1 class (${show(labels[0])}); classification needs at least 2` }],
    );
  }
  return { column: col.name, task, labels };
}

/** Encodes the target: values (regression) or class indices (classification). Missing or unknown labels are an error listing the rows. */
export function encodeTarget(col: Column, st: TargetState): Float64Array {
  const n = col.values.length;
  const y = new Float64Array(n);
  const issues: Issue[] = [];
  const index = st.labels ? new Map(st.labels.map((l, i) => [l, i])) : null;
  for (let r = 0; r < n; r++) {
    if (index) {
      const s = labelOf(col, r);
      const k = s === null ? undefined : index.get(s);
      if (k === undefined) {
        if (issues.length < 20)
          issues.push({
            code: s === null ? 'NULL_VALUE' : 'UNKNOWN_CATEGORY',
            row: r + 1,
            column: st.column,
            value: s === null ? '' : keepValue(s),
            message: `row ${r + 1}, target ${showKey(st.column)}: ${s === null ? 'missing label' : `label ${show(s)} is not one of ${showList(st.labels!)}`}`,
          });
        continue;
      }
      y[r] = k;
    } else {
      const v = col.type === 'string' ? NaN : col.values[r]!;
      if (!Number.isFinite(v)) {
        if (issues.length < 20)
          issues.push({ code: 'NULL_VALUE', row: r + 1, column: st.column, message: `row ${r + 1}, target ${showKey(st.column)}: missing or non-numeric value` });
        continue;
      }
      y[r] = v;
    }
  }
  if (issues.length) throw new DataError(`The target column ${showKey(st.column)} has unusable values.`, issues);
  return y;
}
