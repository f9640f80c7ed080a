/**
 * The dataset lookup of the benchmarks and parity tests (bench/datasets.ts):
 * shared folder first, then the copies shipped in examples/, each checked to
 * be the expected data before it is used; a check whose data is missing is
 * skipped, not passed. A clean clone has no ../shared: pointing
 * MLOPS_SHARED_DATA_DIR at an empty folder reproduces it.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DatasetName, DATASETS, findDataset, repoRoot, requireDataset, SHARED_DATA_ENV, sharedDataDir } from '../bench/datasets';
import { bikeSharing, telcoChurn } from '../bench/data';
import { datasetTest } from './available';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-datasets-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ROOT = repoRoot();
const NAMES = Object.keys(DATASETS) as DatasetName[];
const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('dataset lookup', () => {
  test('the repository root is found from the helper (source and built copies alike)', () => {
    expect(fs.existsSync(path.join(ROOT, 'examples'))).toBe(true);
    expect(repoRoot(path.join(ROOT, 'training-image', 'dist', 'bench'))).toBe(ROOT);
    expect(sharedDataDir({}, ROOT)).toBe(path.resolve(ROOT, '..', 'shared', 'data'));
    expect(sharedDataDir({ [SHARED_DATA_ENV]: tmp }, ROOT)).toBe(tmp);
  });

  test.each(NAMES)('the shipped copy of %s is the published file (sha256, header, row count)', (name) => {
    const spec = DATASETS[name];
    const file = path.join(ROOT, spec.shipped);
    expect(sha256(file)).toBe(spec.sha256);
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(lines[0]).toBe(spec.header);
    expect(lines.length - 1).toBe(spec.rows);
  });

  test.each(NAMES)('with the shared folder empty (a clean clone), %s is found in examples/', (name) => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const d = findDataset(name, { env: { [SHARED_DATA_ENV]: empty } });
    expect(d).toMatchObject({ file: path.join(ROOT, DATASETS[name].shipped), source: 'examples', reason: null });
    expect(d.passedOver).toEqual([expect.stringMatching(/^shared: .* does not exist$/)]);
  });

  test('a shared copy that is not the expected data is passed over (wrong header; missing rows) for the shipped one', () => {
    const shared = fs.mkdtempSync(path.join(tmp, 'shared-'));
    const spec = DATASETS.bikeHour;
    const lines = fs.readFileSync(path.join(ROOT, spec.shipped), 'utf8').split('\n');
    fs.mkdirSync(path.join(shared, path.dirname(spec.shared)), { recursive: true });
    const at = path.join(shared, spec.shared);
    fs.writeFileSync(at, ['dteday,cnt', ...lines.slice(1)].join('\n'));
    expect(findDataset('bikeHour', { env: { [SHARED_DATA_ENV]: shared } })).toMatchObject({
      source: 'examples',
      passedOver: [expect.stringContaining('has the header "dteday,cnt"')],
    });
    fs.writeFileSync(at, lines.slice(0, 1001).join('\n') + '\n');
    expect(findDataset('bikeHour', { env: { [SHARED_DATA_ENV]: shared } })).toMatchObject({
      source: 'examples',
      passedOver: [expect.stringContaining('has 1000 data rows, not the expected 17379')],
    });
    // The real data in the shared folder (CRLF line endings too) is preferred.
    fs.writeFileSync(at, lines.join('\r\n'));
    expect(findDataset('bikeHour', { env: { [SHARED_DATA_ENV]: shared } })).toMatchObject({ file: at, source: 'shared' });
  });

  test('nowhere to be found: no file, a reason naming both places, requireDataset throws it, and datasetTest declares the check skipped', () => {
    const fakeRoot = fs.mkdtempSync(path.join(tmp, 'root-'));
    const o = { env: { [SHARED_DATA_ENV]: path.join(fakeRoot, 'none') }, repoRoot: fakeRoot };
    const d = findDataset('ettH1', o);
    expect(d.file).toBeNull();
    expect(d.reason).toMatch(/shared: .*none[/\\]ett[/\\]ETTh1\.csv does not exist; examples: .*ETTh1\.csv does not exist/);
    expect(() => requireDataset('ettH1', o)).toThrow(d.reason!);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const t = datasetTest('ettH1', 'a check', o);
      expect(t.test).toBe(test.skip);
      expect(log).toHaveBeenCalledWith(expect.stringMatching(/^SKIPPED a check: dataset ettH1/));
      expect(datasetTest('ettH1', 'a check').test).toBe(test);
    } finally {
      log.mockRestore();
    }
  });

  test('the benchmark cases load from the shipped copies when the shared folder is unavailable', () => {
    const prev = process.env[SHARED_DATA_ENV];
    process.env[SHARED_DATA_ENV] = fs.mkdtempSync(path.join(tmp, 'empty-'));
    try {
      const bike = bikeSharing();
      expect(bike).not.toBeNull();
      expect(bike!.Xtr.rows + bike!.Xte.rows).toBe(DATASETS.bikeHour.rows);
      const churn = telcoChurn(false);
      expect(churn).not.toBeNull();
      expect(churn!.Xtr.rows + churn!.Xte.rows).toBe(DATASETS.telcoChurn.rows);
    } finally {
      if (prev === undefined) delete process.env[SHARED_DATA_ENV];
      else process.env[SHARED_DATA_ENV] = prev;
    }
  });
});
