import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkContract, DataError, Frame, parseContract, parseCsv, readCsvFile, toFrame, parseDatetime, formatCsv, formatReport } from '../src/data';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('parseCsv', () => {
  test('reads RFC 4180 quoting: commas, escaped quotes and newlines inside quotes, CRLF, BOM', () => {
    const t = parseCsv('\ufeffid,name,note\r\n1,"Smith, J","said ""hi"""\r\n2,Bob,"two\nlines"\r\n');
    expect(t.header).toEqual(['id', 'name', 'note']);
    expect(t.rows).toBe(2);
    expect(t.columns[1]).toEqual(['Smith, J', 'Bob']);
    expect(t.columns[2]).toEqual(['said "hi"', 'two\nlines']);
    expect(t.issues).toEqual([]);
  });

  test('keeps a trailing empty field and skips blank lines', () => {
    const t = parseCsv('a,b\n1,\n\n3,4');
    expect(t.columns).toEqual([
      ['1', '3'],
      ['', '4'],
    ]);
  });

  test('reports ragged rows with their row number', () => {
    const t = parseCsv('a,b\n1,2\n3\n4,5,6\n');
    expect(t.issues.map((i) => [i.code, i.row])).toEqual([
      ['RAGGED_ROW', 2],
      ['RAGGED_ROW', 3],
    ]);
  });

  test('an unterminated quote is a BAD_CSV error naming the row', () => {
    expect(() => parseCsv('a,b\n1,"oops\n')).toThrow(/unterminated quoted field.*row 1/);
  });

  test('formatCsv round-trips through parseCsv', () => {
    const text = formatCsv(
      ['x', 'y'],
      [
        ['a,b', 'c"d'],
        [1.5, NaN],
      ],
    );
    const t = parseCsv(text);
    expect(t.columns).toEqual([
      ['a,b', 'c"d'],
      ['1.5', ''],
    ]);
  });
});

describe('readCsvFile', () => {
  test('a missing file is FILE_NOT_FOUND', () => {
    expect(() => readCsvFile(path.join(tmp, 'nope.csv'))).toThrow(DataError);
    try {
      readCsvFile(path.join(tmp, 'nope.csv'));
    } catch (e) {
      expect((e as DataError).issues[0]!.code).toBe('FILE_NOT_FOUND');
    }
  });

  test('an empty file is FILE_EMPTY', () => {
    const p = path.join(tmp, 'empty.csv');
    fs.writeFileSync(p, '\ufeff  \n');
    expect(() => readCsvFile(p)).toThrow(/is empty/);
  });
});

describe('toFrame', () => {
  test('infers number, datetime and string columns; missing tokens become NaN / null', () => {
    const f = toFrame(parseCsv('n,d,s\n1.5,2020-01-02,a\n,2020-01-03 10:30:00,\nNA,,b\n'));
    const n = f.column('n'),
      d = f.column('d'),
      s = f.column('s');
    expect(n.type).toBe('number');
    expect(Array.from(n.values as Float64Array)).toEqual([1.5, NaN, NaN]);
    expect(d.type).toBe('datetime');
    expect(d.values[1]).toBe(Date.UTC(2020, 0, 3, 10, 30));
    expect(s.type).toBe('string');
    expect(s.values).toEqual(['a', null, 'b']);
  });

  test('forced types report every unparsable cell with row, column and value', () => {
    try {
      toFrame(parseCsv('x\n1\nabc\n3\nxyz\n'), { x: 'number' });
      fail('expected an error');
    } catch (e) {
      const issues = (e as DataError).issues;
      expect(issues.map((i) => [i.code, i.row, i.column, i.value])).toEqual([
        ['WRONG_TYPE', 2, 'x', 'abc'],
        ['WRONG_TYPE', 4, 'x', 'xyz'],
      ]);
    }
  });

  test('duplicate header columns are refused', () => {
    expect(() => toFrame(parseCsv('a,a\n1,2\n'))).toThrow(/DUPLICATE_COLUMN/);
  });

  test('Frame.column names the available columns when one is missing', () => {
    const f = new Frame([{ name: 'a', type: 'number', values: new Float64Array(1) }]);
    expect(() => f.column('b')).toThrow("Column 'b' is not in the data. Available columns: a.");
  });

  test('parseDatetime handles zones and rejects impossible dates', () => {
    expect(parseDatetime('2020-01-01T01:00:00+01:00')).toBe(Date.UTC(2020, 0, 1, 0));
    expect(parseDatetime('2021-02-30')).toBeNaN();
    expect(parseDatetime('01/02/2020')).toBeNaN();
  });
});

const CONTRACT = `
columns:
  - { name: id, type: integer, nullable: false }
  - { name: age, type: number, min: 0, max: 120 }
  - { name: plan, type: category, allowed: [basic, pro] }
  - { name: when, type: datetime, min: "2020-01-01" }
  - { name: active, type: boolean }
  - { name: note, type: string, required: false }
target: plan
time: when
`;

describe('data contract', () => {
  const contract = parseContract(CONTRACT);

  test('clean data passes', () => {
    const rep = checkContract(parseCsv('id,age,plan,when,active\n1,30,basic,2020-05-01,yes\n2,,pro,2021-01-01 12:00,0\n'), contract);
    expect(rep.ok).toBe(true);
    expect(rep.total).toBe(0);
    expect(formatReport(rep)).toMatch(/^OK/);
  });

  test('reports EVERY violation with row, column and value', () => {
    const csv = [
      'id,age,plan,when,active,extra,extra',
      '1,30,basic,2020-05-01,yes,x,y',
      ',200,gold,2019-12-31,maybe,x,y',
      '3.5,abc,pro,not-a-date,1,x,y',
      '4,-1,basic,2020-06-01,no,x,y',
    ].join('\n');
    const rep = checkContract(parseCsv(csv), contract);
    expect(rep.ok).toBe(false);
    const got = rep.violations.map((v) => [v.code, v.row ?? null, v.column ?? null, v.value ?? null]);
    expect(got).toEqual(
      expect.arrayContaining([
        ['DUPLICATE_COLUMN', null, 'extra', null],
        ['UNEXPECTED_COLUMN', null, 'extra', null],
        ['NULL_VALUE', 2, 'id', ''],
        ['WRONG_TYPE', 3, 'id', '3.5'],
        ['OUT_OF_RANGE', 2, 'age', '200'],
        ['WRONG_TYPE', 3, 'age', 'abc'],
        ['OUT_OF_RANGE', 4, 'age', '-1'],
        ['UNKNOWN_CATEGORY', 2, 'plan', 'gold'],
        ['OUT_OF_RANGE', 2, 'when', '2019-12-31'],
        ['WRONG_TYPE', 3, 'when', 'not-a-date'],
        ['WRONG_TYPE', 2, 'active', 'maybe'],
      ]),
    );
    expect(rep.total).toBe(11);
    expect(formatReport(rep)).toContain('row 2, column \'plan\': "gold" is not one of the allowed values (basic, pro)');
  });

  test('missing required columns and all-null columns', () => {
    const rep = checkContract(parseCsv('id,age,plan,when\n1,,basic,2020-01-02\n2,,pro,2020-01-03\n'), contract);
    const codes = rep.violations.map((v) => `${v.code}:${v.column}`);
    expect(codes).toContain('MISSING_COLUMN:active');
    expect(codes).toContain('ALL_NULL:age');
    expect(codes).not.toContain('MISSING_COLUMN:note');
  });

  test('a header without rows is NO_ROWS', () => {
    const rep = checkContract(parseCsv('id,age,plan,when,active\n'), contract);
    expect(rep.violations.map((v) => v.code)).toContain('NO_ROWS');
  });

  test('caps the listing per column but counts everything', () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i},999,basic,2020-01-01,1`);
    const rep = checkContract(parseCsv(['id,age,plan,when,active', ...rows].join('\n')), contract, { maxPerColumn: 5 });
    expect(rep.violations.filter((v) => v.code === 'OUT_OF_RANGE')).toHaveLength(5);
    expect(rep.counts.find((c) => c.code === 'OUT_OF_RANGE')!.count).toBe(50);
    expect(formatReport(rep)).toContain("50 OUT_OF_RANGE in column 'age' in all");
  });

  test('a bad contract is refused naming each path', () => {
    const bad = `columns:\n  - { name: a, type: float }\n  - { name: a, type: number, min: "x" }\ntarget: b\n`;
    try {
      parseContract(bad, 'c.yaml');
      fail('expected an error');
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('c.yaml: the data contract is invalid.');
      expect(msg).toContain('columns[0].type');
      expect(msg).toContain("columns[1].name: column 'a' is declared twice");
      expect(msg).toContain("target: target 'b' is not one of the declared columns");
    }
  });
});
