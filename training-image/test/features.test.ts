import { parseCsv, toFrame, Frame } from '../src/data';
import { datePart, FeaturePipeline, fitTarget, encodeTarget, inferTask } from '../src/features';

function frame(csv: string): Frame {
  return toFrame(parseCsv(csv));
}

describe('FeaturePipeline', () => {
  const train = frame('x,c,y\n1,a,10\n2,b,20\n,a,30\n7,,40\n');

  test('imputes the median, standardises, one-hot encodes with most-frequent imputation', () => {
    const p = new FeaturePipeline({}, 'y').fit(train);
    expect(p.featureNames).toEqual(['x', 'c=a', 'c=b']);
    const { X } = p.transform(train);
    // x: median of [1,2,7] = 2 → [1,2,2,7], mean 3, population sd sqrt(5.5)
    const sd = Math.sqrt(((1 - 3) ** 2 + 1 + 1 + 16) / 4);
    expect(X.data[0]).toBeCloseTo((1 - 3) / sd, 12);
    expect(X.data[2 * 3]).toBeCloseTo((2 - 3) / sd, 12);
    // row 3 (missing c) → most frequent 'a'
    expect(Array.from(X.data.slice(9, 12)).slice(1)).toEqual([1, 0]);
  });

  test('the imputed median is that of the sorted values (found by selection), odd and even counts, ties, sorted input and signed zeros', () => {
    const sortedMedian = (v: number[]): number => {
      const s = Float64Array.from(v).sort();
      const m = s.length >> 1;
      return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    };
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cases: number[][] = [[5], [3, 1], [0, -0], [-0, 0, 0], [1, 1, 1, 1], Array.from({ length: 200 }, (_, i) => i), Array.from({ length: 201 }, (_, i) => 300 - i)];
    for (let t = 0; t < 40; t++) cases.push(Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => (rnd() < 0.2 ? (rnd() < 0.5 ? -0 : 0) : Math.floor(rnd() * 9) - 4)));
    for (const v of cases) {
      const csv = `x,y\n${v.map((x) => `${Object.is(x, -0) ? '-0' : x},1`).join('\n')}\n`;
      const p = new FeaturePipeline({ standardize: false }, 'y').fit(frame(csv));
      const fill = p.transform(frame('x,y\n,1\n')).X.data[0]!;
      expect([v.length, Object.is(fill, sortedMedian(v)) ? 'same' : `${fill} vs ${sortedMedian(v)}`]).toEqual([v.length, 'same']);
    }
  });

  test('unknown categories: ignore → all zeros; error → DataError naming row and value', () => {
    const score = frame('x,c\n1,zzz\n');
    const ign = new FeaturePipeline({}, 'y').fit(train).transform(score);
    expect(Array.from(ign.X.data.slice(1))).toEqual([0, 0]);
    const strict = new FeaturePipeline({ handleUnknown: 'error' }, 'y').fit(train);
    expect(() => strict.transform(score)).toThrow(/row 1, column 'c': category "zzz" was not seen in training/);
  });

  test('a missing input column is named', () => {
    const p = new FeaturePipeline({}, 'y').fit(train);
    expect(() => p.transform(frame('x\n1\n'))).toThrow(/column 'c' is needed by the feature pipeline/);
  });

  test('numeric columns can be forced categorical', () => {
    const p = new FeaturePipeline({ categorical: ['x'], standardize: false }, 'y').fit(frame('x,y\n1,0\n2,1\n1,0\n'));
    expect(p.featureNames).toEqual(['x=1', 'x=2']);
  });

  test('date features: hour, weekday, month, season, weekend, year, month_year', () => {
    const t = Date.UTC(2024, 6, 6, 15); // Saturday 6 July 2024, 15:00 UTC
    expect(['hour', 'weekday', 'month', 'season', 'is_weekend', 'year', 'month_year'].map((p) => datePart(t, p as never))).toEqual([15, 6, 7, 2, 1, 2024, 2024 * 12 + 6]);
    expect(datePart(Date.UTC(2024, 11, 1), 'season')).toBe(0);
    expect(datePart(Date.UTC(2024, 2, 1), 'season')).toBe(1);
    const p = new FeaturePipeline({ standardize: false, dateParts: ['hour', 'weekday'] }).fit(frame('t\n2024-07-06 15:00:00\n2024-07-08 01:00:00\n'));
    expect(p.featureNames).toEqual(['t_hour', 't_weekday']);
    expect(Array.from(p.transform(frame('t\n2024-07-06 15:00:00\n')).X.data)).toEqual([15, 6]);
  });

  test('lags and rolling windows follow time order and never see the current row', () => {
    const f = frame('t,v\n2024-01-03,30\n2024-01-01,10\n2024-01-02,20\n2024-01-04,40\n');
    const p = new FeaturePipeline({
      time: 't',
      exclude: ['t'],
      lags: [{ column: 'v', lags: [1] }],
      rolling: [{ column: 'v', windows: [2], stats: ['mean', 'max'] }],
      numericImpute: 'none',
      standardize: false,
    }).fit(f);
    expect(p.featureNames).toEqual(['v', 'v_lag1', 'v_roll2_mean', 'v_roll2_max']);
    const { X } = p.transform(f);
    const rows = Array.from({ length: 4 }, (_, r) => Array.from(X.data.slice(r * 4, r * 4 + 4)));
    expect(rows[0]).toEqual([30, 20, 15, 20]); // 2024-01-03
    expect(rows[1]).toEqual([10, NaN, NaN, NaN]); // first in time
    expect(rows[3]).toEqual([40, 30, 25, 30]);
  });

  test('toJSON / fromJSON transforms identically', () => {
    const p = new FeaturePipeline({}, 'y').fit(train);
    const q = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    expect(Array.from(q.transform(train).X.data)).toEqual(Array.from(p.transform(train).X.data));
  });

  test('transform before fit throws', () => {
    expect(() => new FeaturePipeline().transform(train)).toThrow(/not fitted/);
  });
});

describe('target encoding', () => {
  test('infers the task and encodes labels in sorted order', () => {
    const f = frame('a,b,c\nYes,1,1.5\nNo,0,2.5\nYes,1,3.5\n');
    expect(inferTask(f.column('a'))).toBe('classification');
    expect(inferTask(f.column('b'))).toBe('classification');
    expect(inferTask(f.column('c'))).toBe('regression');
    const st = fitTarget(f.column('a'), 'classification');
    expect(st.labels).toEqual(['No', 'Yes']);
    expect(Array.from(encodeTarget(f.column('a'), st))).toEqual([1, 0, 1]);
  });

  test('missing targets are listed by row', () => {
    const f = frame('y,x\n1,a\n,b\n3,c\n');
    expect(() => encodeTarget(f.column('y'), fitTarget(f.column('y'), 'regression'))).toThrow(/row 2, target 'y'/);
  });
});
