/**
 * A dense numeric matrix, row-major, NaN for missing values. The one shape
 * every model takes: features are already encoded to numbers by the feature
 * pipeline before a model sees them.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** `data[r * cols + c]`. */
  readonly data: Float64Array;
}

/** Creates a matrix, checking the data length. */
export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  const d = data ?? new Float64Array(rows * cols);
  if (d.length !== rows * cols) {
    throw new RangeError(`matrix: data has ${d.length} values, expected ${rows} × ${cols} = ${rows * cols}`);
  }
  return { rows, cols, data: d };
}

/** Builds a matrix from an array of rows. */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0]!.length;
  const data = new Float64Array(r * c);
  rows.forEach((row, i) => {
    if (row.length !== c) throw new RangeError(`fromRows: row ${i} has ${row.length} values, expected ${c}`);
    data.set(row, i * c);
  });
  return { rows: r, cols: c, data };
}

/** One column as a new array. */
export function column(m: Matrix, c: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) out[r] = m.data[r * m.cols + c]!;
  return out;
}

/** The rows at `indices`, as a new matrix. */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = new Float64Array(indices.length * m.cols);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  }
  return { rows: indices.length, cols: m.cols, data: out };
}

/** The values at `indices`. */
export function take(v: Float64Array, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = v[indices[i]!]!;
  return out;
}
