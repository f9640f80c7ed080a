import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compatible, ModelDirError, readModelDir, runtimeVersion, SCHEMA_VERSION, writeModelDir, ModelArtifacts } from '../src/artifacts';
import { modelDirJson, typedArraysAsArrays } from '../src/artifacts/modeldir';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-art-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const artifacts = (coef: number[]): ModelArtifacts => ({
  model: 'linear',
  estimator: 'LinearRegression',
  task: 'regression',
  target: 'y',
  modelJson: { name: 'LinearRegression', coef, intercept: 0.1 + 0.2 },
  transforms: { features: {}, target: { column: 'y', task: 'regression', labels: null } },
  contractYaml: 'columns: []\n',
  metrics: { rmse: 1 },
  featureImportance: { features: ['a'], model: [Float64Array.of(1 / 3)] },
  fingerprint: { sha256: 'abc', rows: 3, cols: 2 },
});

describe('model directory', () => {
  test('writes every file with a manifest and reads it back exactly (doubles and typed arrays included)', () => {
    const dir = path.join(tmp, 'ok');
    const m = writeModelDir(dir, artifacts([Math.PI, 1e-300, -0]));
    expect(fs.readdirSync(dir).sort()).toEqual(['contract.yaml', 'feature_importance.json', 'fingerprint.json', 'manifest.json', 'metrics.json', 'model.json', 'transforms.json']);
    expect(m.schemaVersion).toBe(SCHEMA_VERSION);
    expect(m.runtimeVersion).toBe(runtimeVersion());
    const back = readModelDir(dir);
    expect((back.model.state as { coef: number[] }).coef).toEqual([Math.PI, 1e-300, 0]);
    expect((back.model.state as { intercept: number }).intercept).toBe(0.1 + 0.2);
    expect((back.featureImportance as { model: number[][] }).model[0]).toEqual([1 / 3]);
    expect(back.contractYaml).toBe('columns: []\n');
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
  });

  test('refuses a corrupted file, naming it', () => {
    const dir = path.join(tmp, 'corrupt');
    writeModelDir(dir, artifacts([1]));
    fs.appendFileSync(path.join(dir, 'model.json'), ' ');
    expect(() => readModelDir(dir)).toThrow(/has a corrupted model.json: sha256 .* does not match/);
    fs.rmSync(path.join(dir, 'model.json'));
    expect(() => readModelDir(dir)).toThrow(/is missing model.json/);
  });

  test('refuses another schema version or an incompatible runtime version', () => {
    const dir = path.join(tmp, 'incompat');
    writeModelDir(dir, artifacts([1]));
    const mp = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(mp, 'utf8'));
    fs.writeFileSync(mp, JSON.stringify({ ...manifest, schemaVersion: 99 }));
    expect(() => readModelDir(dir)).toThrow(/schema version 99; this runtime .* reads schema version 1 only/);
    fs.writeFileSync(mp, JSON.stringify({ ...manifest, runtimeVersion: '9.0.0' }));
    try {
      readModelDir(dir);
      fail('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(ModelDirError);
      expect((e as ModelDirError).code).toBe('INCOMPATIBLE');
    }
    expect(compatible('0.1.0', '0.1.3')).toBe(true);
    expect(compatible('0.1.4', '0.1.3')).toBe(false);
    expect(compatible('0.2.0', '0.1.3')).toBe(false);
    expect(compatible('1.0.0', '1.4.0')).toBe(true);
  });

  test('refuses a directory that is not a model', () => {
    expect(() => readModelDir(path.join(tmp, 'none'))).toThrow(/does not exist/);
    const d = path.join(tmp, 'plain');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'x.txt'), 'x');
    expect(() => readModelDir(d)).toThrow(/has no manifest.json/);
    expect(() => writeModelDir(d, artifacts([1]))).toThrow(/is not a model directory; refusing to replace it/);
  });

  test('a failed write leaves the existing good model untouched and no temp dirs behind', () => {
    const dir = path.join(tmp, 'atomic');
    writeModelDir(dir, artifacts([1]));
    const before = fs.readFileSync(path.join(dir, 'model.json'), 'utf8');
    const bad = { ...artifacts([2]), metrics: { n: BigInt(1) } };
    expect(() => writeModelDir(dir, bad)).toThrow(/BigInt/);
    expect(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).toBe(before);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.atomic'))).toEqual([]);
    writeModelDir(dir, artifacts([3]));
    expect((readModelDir(dir).model.state as { coef: number[] }).coef).toEqual([3]);
  });
});

describe('modelDirJson (the model directory files’ JSON layout)', () => {
  test('gives the value JSON.stringify gives (typed arrays as arrays), objects one key per line, plain arrays on one line', () => {
    const v = {
      a: 1,
      nested: { list: [1, 2.5, -0, 1e300, 'x', null, true], typed: Float64Array.from([0.1, 2]), ints: Int32Array.from([-1, 7]) },
      trees: [
        { left: [1, -1], value: ['Infinity', 3] },
        { left: [], value: [] },
      ],
      empty: {},
      skipped: undefined,
      when: new Date(Date.UTC(2024, 0, 2)),
      holes: [undefined, { k: undefined }, () => 1],
      nan: NaN,
    };
    const text = modelDirJson(v);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v, typedArraysAsArrays)));
    expect(text).toContain('\n "nested": {\n  "list": [1,2.5,0,1e+300,"x",null,true],\n  "typed": [0.1,2],');
    expect(text).toContain('"holes": [\n  null,\n  {},\n  null\n ]');
    expect(text.split('\n')[0]).toBe('{');
    for (const x of [null, 3, 'a', [], {}, [1, [2]]]) expect(JSON.parse(modelDirJson(x))).toEqual(x);
  });
});
