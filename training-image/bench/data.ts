/**
 * Benchmark datasets, encoded the same way for both sides (this file writes
 * the encoded matrices; the Python side reads the very same bytes).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Matrix } from '../src/core/matrix';
import { Rng } from '../src/core/random';
import { findDataset } from './datasets';

/** A train/test split of one benchmark case. */
export interface Split {
  /** Case name. */
  name: string;
  /** Feature names. */
  features: string[];
  /** Training features. */
  Xtr: Matrix;
  /** Training target. */
  ytr: Float64Array;
  /** Test features. */
  Xte: Matrix;
  /** Test target. */
  yte: Float64Array;
}

/** Reads a simple CSV (no quoted fields) into a header and string rows. */
export function readCsv(file: string): { header: string[]; rows: string[][] } {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.replace(/\r$/, '').split(',')) };
}

function toMatrix(rows: number[][]): Matrix {
  const c = rows[0]!.length;
  const data = new Float64Array(rows.length * c);
  rows.forEach((r, i) => data.set(r, i * c));
  return { rows: rows.length, cols: c, data };
}

function splitRows(name: string, features: string[], X: number[][], y: number[], train: number[], test: number[]): Split {
  return {
    name,
    features,
    Xtr: toMatrix(train.map((i) => X[i]!)),
    ytr: Float64Array.from(train.map((i) => y[i]!)),
    Xte: toMatrix(test.map((i) => X[i]!)),
    yte: Float64Array.from(test.map((i) => y[i]!)),
  };
}

/** Bike sharing, hourly: target cnt; drop instant, dteday, casual, registered; the last 20% by `instant` is the test set. Features kept ordinal. */
export function bikeSharing(): Split | null {
  const file = findDataset('bikeHour').file;
  if (file === null) return null;
  const { header, rows } = readCsv(file);
  const col = (n: string): number => header.indexOf(n);
  rows.sort((a, b) => Number(a[col('instant')]) - Number(b[col('instant')]));
  const drop = new Set(['instant', 'dteday', 'casual', 'registered', 'cnt']);
  const features = header.filter((h) => !drop.has(h));
  const X = rows.map((r) => features.map((f) => Number(r[col(f)])));
  const y = rows.map((r) => Number(r[col('cnt')]));
  const nTrain = Math.floor(rows.length * 0.8);
  const idx = rows.map((_, i) => i);
  return splitRows('bike', features, X, y, idx.slice(0, nTrain), idx.slice(nTrain));
}

/**
 * Telco churn: target Churn (Yes = 1); drop customerID; TotalCharges blank →
 * missing; categorical columns one-hot (every level, sorted); stratified
 * 80/20 with seed 0. With `forLinear`, missing values are imputed with the
 * training median and numeric columns standardised on the training rows.
 */
export function telcoChurn(forLinear = false): Split | null {
  const file = findDataset('telcoChurn').file;
  if (file === null) return null;
  const { header, rows } = readCsv(file);
  const numeric = new Set(['SeniorCitizen', 'tenure', 'MonthlyCharges', 'TotalCharges']);
  const features: string[] = [];
  const encoders: ((r: string[]) => number[])[] = [];
  header.forEach((h, c) => {
    if (h === 'customerID' || h === 'Churn') return;
    if (numeric.has(h)) {
      features.push(h);
      encoders.push((r) => [r[c]!.trim() === '' ? NaN : Number(r[c])]);
    } else {
      const levels = Array.from(new Set(rows.map((r) => r[c]!))).sort();
      for (const l of levels) features.push(`${h}=${l}`);
      encoders.push((r) => levels.map((l) => (r[c] === l ? 1 : 0)));
    }
  });
  const X = rows.map((r) => encoders.flatMap((e) => e(r)));
  const yc = header.indexOf('Churn');
  const y = rows.map((r) => (r[yc] === 'Yes' ? 1 : 0));
  const rng = new Rng(0);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const members = y.map((v, i) => (v === cls ? i : -1)).filter((i) => i >= 0);
    const perm = rng.permutation(members.length);
    const nTest = Math.round(members.length * 0.2);
    perm.forEach((p, k) => (k < nTest ? test : train).push(members[p]!));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  if (forLinear) {
    features.forEach((f, c) => {
      if (!numeric.has(f)) return;
      const vals = train
        .map((i) => X[i]![c]!)
        .filter((v) => !Number.isNaN(v))
        .sort((a, b) => a - b);
      const med = vals.length % 2 ? vals[(vals.length - 1) / 2]! : (vals[vals.length / 2 - 1]! + vals[vals.length / 2]!) / 2;
      for (const row of X) if (Number.isNaN(row[c]!)) row[c] = med;
      const mean = train.reduce((s, i) => s + X[i]![c]!, 0) / train.length;
      const sd = Math.sqrt(train.reduce((s, i) => s + (X[i]![c]! - mean) ** 2, 0) / train.length) || 1;
      for (const row of X) row[c] = (row[c]! - mean) / sd;
    });
  }
  return splitRows(forLinear ? 'churn-linear' : 'churn', features, X, y, train, test);
}

/** Friedman #1 style regression with `p` features (5 informative), seeded. */
export function friedman1(n: number, p: number, seed: number): { X: Matrix; y: Float64Array } {
  const rng = new Rng(seed);
  const data = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let j = 0; j < p; j++) data[o + j] = rng.next();
    y[i] = 10 * Math.sin(Math.PI * data[o]! * data[o + 1]!) + 20 * (data[o + 2]! - 0.5) ** 2 + 10 * data[o + 3]! + 5 * data[o + 4]! + rng.normal();
  }
  return { X: { rows: n, cols: p, data }, y };
}

/** Writes a Float64Array as raw little-endian doubles. */
export function writeF64(file: string, v: Float64Array): void {
  fs.writeFileSync(file, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
}

/**
 * Reads raw little-endian doubles straight into the array (no intermediate
 * buffer, so a 160 MB matrix costs 160 MB), in shared memory when `shared`.
 */
export function readF64(file: string, shared = false): Float64Array {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = fs.fstatSync(fd).size;
    if (bytes % 8 !== 0) throw new Error(`${file}: ${bytes} bytes is not a whole number of doubles`);
    const out = new Float64Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const view = new Uint8Array(out.buffer);
    for (let off = 0; off < bytes; ) {
      const got = fs.readSync(fd, view, off, Math.min(1 << 24, bytes - off), off);
      if (got <= 0) throw new Error(`${file}: short read at byte ${off} of ${bytes}`);
      off += got;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a split as `<dir>/<name>.{Xtr,ytr,Xte,yte}.f64` plus shape metadata. */
export function writeSplit(dir: string, s: Split): Record<string, unknown> {
  writeF64(path.join(dir, `${s.name}.Xtr.f64`), s.Xtr.data);
  writeF64(path.join(dir, `${s.name}.ytr.f64`), s.ytr);
  writeF64(path.join(dir, `${s.name}.Xte.f64`), s.Xte.data);
  writeF64(path.join(dir, `${s.name}.yte.f64`), s.yte);
  return { name: s.name, cols: s.Xtr.cols, ntr: s.Xtr.rows, nte: s.Xte.rows };
}
