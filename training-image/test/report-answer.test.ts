import { formatLoad, monthYear, toEpochMs, transformerAnswer } from '../src/report/answer';

const bt = { rmse: 2.24, mae: 1.73, mape: 0.12 };
const D = (s: string): number => Date.parse(`${s}T00:00:00Z`);

describe('transformerAnswer', () => {
  test('GIVEN a crossing with both interval bounds WHEN formatted THEN it names the month and the interval', () => {
    const s = transformerAnswer({
      rating: 24,
      unit: 'MW',
      crossing: { date: D('2020-06-10'), upper: D('2019-05-20'), lower: D('2021-02-01') },
      horizonEnd: D('2021-06-25'),
      backtest: bt,
      recentPeak: 18.9,
    });
    expect(s).toMatch(/^Peak load is forecast to first exceed the 24 MW rating in June 2020 \(80% interval: May 2019 to February 2021\)\. /);
    expect(s).toContain('Confidence: moderate');
    expect(s).toContain('2.3× the backtest RMSE 2.24 MW');
  });

  test('GIVEN the lower bound never crosses WHEN formatted THEN the interval is open-ended at the horizon', () => {
    const s = transformerAnswer({
      rating: 24,
      crossing: { date: '2020-06-10T00:00:00.000Z', upper: '2019-05-20T00:00:00.000Z', lower: null },
      horizonEnd: '2021-06-25T00:00:00.000Z',
      backtest: bt,
    });
    expect(s).toMatch(/^Peak load is forecast to first exceed the 24 rating in June 2020 \(80% interval: May 2019 to after June 2021\)\./);
    expect(s).toContain('backtest RMSE 2.24, MAPE 12%');
    // A MAPE that is not defined (a held-out value was 0) is left out, not printed as 0% or 1e13%.
    const z = transformerAnswer({ rating: 24, crossing: null, horizonEnd: '2021-06-25T00:00:00.000Z', backtest: { ...bt, mape: null } });
    expect(z).toContain('backtest RMSE 2.24 on held-out days');
    expect(z).not.toContain('MAPE');
  });

  test('GIVEN no crossing at all WHEN formatted THEN it says so, up to the end of the horizon', () => {
    const s = transformerAnswer({ rating: 40, crossing: null, horizonEnd: D('2021-06-25'), backtest: bt, recentPeak: 18.9 });
    expect(s).toMatch(/^Peak load is not forecast to exceed the 40 rating by June 2021, the end of the horizon, not even at the upper bound of the 80% interval\./);
    expect(s).toContain('Confidence: good');
  });

  test('GIVEN only the upper bound crosses WHEN formatted THEN it warns that an overload cannot be ruled out', () => {
    const s = transformerAnswer({ rating: 30, crossing: { date: null, lower: null, upper: D('2020-12-01') }, horizonEnd: D('2021-06-25'), backtest: bt, intervalWidth: 0.9 });
    expect(s).toMatch(/^Peak load is not forecast to exceed the 30 rating by June 2021.*upper bound of the 90% interval reaches it in December 2020/);
  });

  test('GIVEN the recent peak is already above the rating WHEN formatted THEN confidence is low and says overloads happen now', () => {
    const s = transformerAnswer({
      rating: 18,
      crossing: { date: D('2018-06-27'), upper: D('2018-06-27'), lower: D('2018-09-01') },
      horizonEnd: D('2019-06-25'),
      backtest: bt,
      recentPeak: 18.9,
    });
    expect(s).toContain('in June 2018 (80% interval: June 2018 to September 2018)');
    expect(s).toContain('Confidence: low');
  });

  test('GIVEN headroom smaller than one RMSE WHEN formatted THEN confidence is low', () => {
    const s = transformerAnswer({
      rating: 20,
      crossing: { date: D('2019-01-01'), upper: D('2018-07-01'), lower: null },
      horizonEnd: D('2019-06-25'),
      backtest: bt,
      recentPeak: 18.9,
    });
    expect(s).toContain('Confidence: low — the headroom between the recent peak (18.9) and the rating is 1.1');
  });

  test.each([
    [{ rating: Number.NaN }, "'rating'"],
    [{ horizonEnd: 'soon' }, "'horizonEnd'"],
    [{ backtest: { rmse: -1, mae: 1, mape: 0.1 } }, "'backtest.rmse'"],
    [{ crossing: { date: 'x', lower: null, upper: null } }, "'crossing.date'"],
    [{ intervalWidth: 80 }, "'intervalWidth'"],
  ])('fails naming the field for bad input %p', (patch, field) => {
    const base = { rating: 24, crossing: null, horizonEnd: D('2021-06-25'), backtest: bt };
    expect(() => transformerAnswer({ ...base, ...(patch as object) } as never)).toThrow(field);
  });
});

describe('answer helpers', () => {
  test('monthYear is UTC and locale-independent', () => {
    expect(monthYear('2020-01-31 23:30:00')).toBe('January 2020');
    expect(monthYear(D('2019-12-01'))).toBe('December 2019');
    expect(monthYear(new Date(Date.UTC(2021, 5, 1)))).toBe('June 2021');
  });

  test('toEpochMs reads dates without a zone as UTC and rejects junk', () => {
    expect(toEpochMs('2018-06-26')).toBe(Date.UTC(2018, 5, 26));
    expect(toEpochMs('2018-06-26 19:00:00')).toBe(Date.UTC(2018, 5, 26, 19));
    expect(toEpochMs('tomorrow')).toBeNaN();
  });

  test('formatLoad trims trailing zeros and adds the unit', () => {
    expect(formatLoad(24, 'MW')).toBe('24 MW');
    expect(formatLoad(5.108)).toBe('5.11');
    expect(formatLoad(123.4)).toBe('123');
  });
});
