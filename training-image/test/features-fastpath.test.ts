import { Column, Frame } from '../src/data/frame';
import { FeatureConfig, FeaturePipeline, RowTransformer } from '../src/features/pipeline';

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRAIN_CATS = ['a', 'b', 'c', 'd', 'e'];

/** x: numbers with NaN; k: small integers (forced categorical in some configs) with NaN; c: text with nulls (unknown ones when scoring); d: datetimes with NaN; y: target. */
function randomFrame(n: number, seed: number, scoring: boolean): Frame {
  const r = rng(seed);
  const x = new Float64Array(n);
  const k = new Float64Array(n);
  const d = new Float64Array(n);
  const y = new Float64Array(n);
  const c: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    x[i] = r() < 0.2 ? NaN : (r() - 0.3) * 1000;
    k[i] = r() < 0.15 ? NaN : Math.floor(r() * (scoring ? 8 : 5));
    const u = r();
    c.push(u < 0.15 ? null : scoring && u > 0.85 ? `zz${Math.floor(r() * 3)}` : TRAIN_CATS[Math.floor(r() * TRAIN_CATS.length)]!);
    d[i] = r() < 0.1 ? NaN : Date.UTC(2011, 0, 1) + Math.floor(r() * 3 * 365 * 24) * 3600_000;
    y[i] = r() * 100;
  }
  const cols: Column[] = [
    { name: 'x', type: 'number', values: x },
    { name: 'k', type: 'number', values: k },
    { name: 'c', type: 'string', values: c },
    { name: 'd', type: 'datetime', values: d },
    { name: 'y', type: 'number', values: y },
  ];
  return new Frame(cols);
}

/** Row `r` of `f` as a one-row frame. */
function oneRow(f: Frame, r: number): Frame {
  return new Frame(
    f.columns.map((col) =>
      col.type === 'string'
        ? { name: col.name, type: 'string', values: [col.values[r]!] }
        : ({ name: col.name, type: col.type, values: Float64Array.of(col.values[r]!) } as Column),
    ),
  );
}

/** Bit-for-bit equality (NaN equals NaN, -0 differs from 0). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

const CONFIGS: [string, FeatureConfig][] = [
  ['defaults', {}],
  ['mean imputation, forced categorical', { numericImpute: 'mean', categorical: ['k'] }],
  ['no imputation, no standardisation', { numericImpute: 'none', standardize: false }],
  ['date-part subset, time column without lags', { dateParts: ['hour', 'season', 'month_year'], time: 'd' }],
  ['few categories kept (the rest unknown)', { maxCategories: 2, categorical: ['k'] }],
  ['excluded column', { exclude: ['x'], categorical: ['k'] }],
];

describe('FeaturePipeline.rowTransformer (single-row fast path)', () => {
  const train = randomFrame(300, 1, false);

  for (const [label, cfg] of CONFIGS) {
    test(`equals transform() bit for bit: ${label}`, () => {
      const fitted = new FeaturePipeline(cfg, 'y').fit(train);
      // Also through the saved state, as the server loads it.
      for (const p of [fitted, FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(fitted.toJSON())))]) {
        const rt = p.rowTransformer();
        expect(rt).toBeInstanceOf(RowTransformer);
        const w = p.featureNames.length;
        expect(rt!.width).toBe(w);
        const out = new Float64Array(w).fill(12345); // stale content must be overwritten
        for (const seed of [2, 3, 4]) {
          const score = randomFrame(200, seed, true);
          const { X } = p.transform(score);
          for (let r = 0; r < score.rows; r++) {
            expect(rt!.transformRowInto(score, r, out)).toBe(true);
            const want = X.data.subarray(r * w, (r + 1) * w);
            if (!sameBits(out, want)) throw new Error(`${label}: row ${r} differs: ${Array.from(out)} vs ${Array.from(want)}`);
            // A one-row frame (the server's case) gives the same numbers as transform() of that frame.
            if (r < 40) {
              const f1 = oneRow(score, r);
              expect(rt!.transformRowInto(f1, 0, out)).toBe(true);
              expect(sameBits(out, p.transform(f1).X.data)).toBe(true);
            }
          }
        }
      }
    });
  }

  test("a reused one-row frame whose values change in place (the server's case) stays bit-identical", () => {
    for (const [, cfg] of CONFIGS) {
      const p = new FeaturePipeline(cfg, 'y').fit(train);
      const rt = p.rowTransformer()!;
      const out = new Float64Array(p.featureNames.length);
      const f1 = oneRow(train, 0);
      const src = randomFrame(300, 7, true);
      for (let r = 0; r < src.rows; r++) {
        // Repeat some rows so that cached date parts are hit, then change again.
        const from = r % 3 === 2 ? r - 1 : r;
        for (const col of f1.columns) (col.values as unknown as (number | string | null)[])[0] = src.column(col.name).values[from]!;
        expect(rt.transformRowInto(f1, 0, out)).toBe(true);
        if (!sameBits(out, p.transform(f1).X.data)) throw new Error(`row ${r} differs`);
      }
    }
  });

  test('unknown categories: all-zero one-hot when ignored; false (general path throws) under handleUnknown error', () => {
    const score = oneRow(randomFrame(1, 9, true), 0);
    const unknown = new Frame(score.columns.map((c) => (c.name === 'c' ? { name: 'c', type: 'string', values: ['never-seen'] } : c)));
    const ign = new FeaturePipeline({}, 'y').fit(train);
    const out = new Float64Array(ign.featureNames.length);
    expect(ign.rowTransformer()!.transformRowInto(unknown, 0, out)).toBe(true);
    expect(sameBits(out, ign.transform(unknown).X.data)).toBe(true);
    const strict = new FeaturePipeline({ handleUnknown: 'error' }, 'y').fit(train);
    expect(strict.rowTransformer()!.transformRowInto(unknown, 0, out)).toBe(false);
    expect(() => strict.transform(unknown)).toThrow(/not seen in training/);
  });

  test('returns false wherever transform() throws: missing column, text where a number/date was, text time column', () => {
    const p = new FeaturePipeline({ time: 'd' }, 'y').fit(train);
    const rt = p.rowTransformer()!;
    const out = new Float64Array(p.featureNames.length);
    const base = oneRow(train, 0);
    const variants = [
      base.drop(['x']),
      base.withColumn({ name: 'x', type: 'string', values: ['1'] }),
      base.withColumn({ name: 'd', type: 'number', values: Float64Array.of(1) }),
      base.withColumn({ name: 'd', type: 'string', values: ['2011-01-01'] }),
    ];
    for (const f of variants) {
      expect(() => p.transform(f)).toThrow();
      expect(rt.transformRowInto(f, 0, out)).toBe(false);
    }
    expect(rt.transformRowInto(base, 1, out)).toBe(false); // out of range row
    expect(rt.transformRowInto(base, 0, new Float64Array(1))).toBe(false); // too small a buffer
  });

  test('pipelines with lags or rolling windows have no row transformer (general path)', () => {
    expect(new FeaturePipeline({ time: 'd', lags: [{ column: 'x', lags: [1] }] }, 'y').fit(train).rowTransformer()).toBeNull();
    expect(new FeaturePipeline({ time: 'd', rolling: [{ column: 'x', windows: [3] }] }, 'y').fit(train).rowTransformer()).toBeNull();
    expect(new FeaturePipeline({ lags: [{ column: 'y', lags: [2] }] }, 'y').fit(train).rowTransformer()).toBeNull();
  });
});
