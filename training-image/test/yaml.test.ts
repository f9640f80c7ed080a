/**
 * The runtime's one YAML reader (src/core/yaml.ts): the YAML 1.2 core schema,
 * as pipeline files and data contracts are documented (FORMAT.md).
 */
import { parseYamlText } from '../src/core/yaml';

describe('parseYamlText', () => {
  test('core schema: dates, yes/no and version-like values stay strings; numbers, booleans and null are typed', () => {
    expect(parseYamlText('a: 2011-01-01\nb: yes\nc: no\nd: 1.10\ne: "007"\nf: true\ng: null\nh: 0x1F\ni: 1e3\nj: ~\n')).toEqual({
      a: '2011-01-01',
      b: 'yes',
      c: 'no',
      d: 1.1,
      e: '007',
      f: true,
      g: null,
      h: 31,
      i: 1000,
      j: null,
    });
  });

  test('a duplicate key, a second document and bad indentation are errors naming the line', () => {
    expect(() => parseYamlText('a: 1\na: 2\n')).toThrow(/duplicated mapping key \(2:1\)/);
    expect(() => parseYamlText('a: 1\n---\nb: 2\n')).toThrow(/expected a single document/);
    expect(() => parseYamlText('a:\n  b: 1\n c: 2\n')).toThrow(/\(3:/);
  });

  test('an empty text is undefined (no document)', () => {
    expect(parseYamlText('')).toBeUndefined();
  });
});
