import { DataError, Issue } from '../data/errors';
import { Column } from '../data/frame';

/** The learning task. */
export type Task = 'regression' | 'classification';

/** Saved target encoding: for classification, the class labels in index order. */
export interface TargetState {
  readonly column: string;
  readonly task: Task;
  /** Class labels (classification), sorted; `y` holds indices into this list. */
  readonly labels: readonly string[] | null;
}

/** Guesses the task from the target column: text, boolean-like or two-valued → classification, else regression. */
export function inferTask(col: Column): Task {
  if (col.type === 'string') return 'classification';
  if (col.type === 'datetime') throw new DataError(`The target column '${col.name}' is a datetime; pick a numeric or categorical target.`);
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
  if (task === 'regression') {
    if (col.type !== 'number') throw new DataError(`Regression needs a numeric target; '${col.name}' is ${col.type}. Use --task classification or another target.`, [{ code: 'BAD_TARGET', column: col.name, message: `target '${col.name}' is not numeric` }]);
    return { column: col.name, task, labels: null };
  }
  const set = new Set<string>();
  for (let r = 0; r < col.values.length; r++) {
    const s = labelOf(col, r);
    if (s !== null) set.add(s);
  }
  const labels = [...set].sort((a, b) => {
    const na = Number(a), nb = Number(b);
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
  });
  if (labels.length < 2) throw new DataError(`Classification needs at least 2 classes in target '${col.name}'; found ${labels.length} (${labels.join(', ')}).`, [{ code: 'BAD_TARGET', column: col.name, message: `target '${col.name}' has fewer than 2 classes` }]);
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
        if (issues.length < 20) issues.push({ code: s === null ? 'NULL_VALUE' : 'UNKNOWN_CATEGORY', row: r + 1, column: st.column, value: s ?? '', message: `row ${r + 1}, target '${st.column}': ${s === null ? 'missing label' : `label ${JSON.stringify(s)} is not one of ${st.labels!.join(', ')}`}` });
        continue;
      }
      y[r] = k;
    } else {
      const v = col.type === 'string' ? NaN : col.values[r]!;
      if (!Number.isFinite(v)) {
        if (issues.length < 20) issues.push({ code: 'NULL_VALUE', row: r + 1, column: st.column, message: `row ${r + 1}, target '${st.column}': missing or non-numeric value` });
        continue;
      }
      y[r] = v;
    }
  }
  if (issues.length) throw new DataError(`The target column '${st.column}' has unusable values.`, issues);
  return y;
}
