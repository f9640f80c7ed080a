import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelDir } from '../src/artifacts/modeldir';
import { trainLocalCommand } from '../src/cli/train';
import { Io } from '../src/core/io';
import { main } from '../src/cli/main';
import { Rng } from '../src/core/random';
import {
  coerceParamValue,
  ContractError,
  detectTrainingContract,
  parseContractArgs,
  publishModelDir,
  readHyperparameters,
  resolveCsv,
  resolveSettings,
  parseGate,
  RawSetting,
  runTrainContract,
  settingsToArgv,
} from '../src/contracts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-contracts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function capture(): { io: Io; out: () => string; err: () => string } {
  let out = '',
    err = '';
  return { io: { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') }, out: () => out, err: () => err };
}

/** y = 2a − b + (c == 'z' ? 3 : 0) + noise. */
function rows(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.normal(),
      b = rng.normal(),
      c = ['x', 'y', 'z'][rng.int(3)]!;
    out.push(`${a.toFixed(4)},${b.toFixed(4)},${c},${(2 * a - b + (c === 'z' ? 3 : 0) + 0.1 * rng.normal()).toFixed(4)}`);
  }
  return out;
}
const HEADER = 'a,b,c,y';

/** A temp dir laid out like /opt/ml. */
function sageMakerRoot(name: string, hp: Record<string, unknown> | null, channels: Record<string, Record<string, string>>): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(path.join(root, 'input', 'config'), { recursive: true });
  fs.mkdirSync(path.join(root, 'model'), { recursive: true });
  fs.mkdirSync(path.join(root, 'output'), { recursive: true });
  if (hp) fs.writeFileSync(path.join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(hp));
  for (const [ch, files] of Object.entries(channels)) {
    for (const [f, text] of Object.entries(files)) {
      const p = path.join(root, 'input', 'data', ch, f);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
    }
  }
  return root;
}

const raw = (entries: Record<string, string>, where = 'hp'): RawSetting[] => Object.entries(entries).map(([key, value]) => ({ key, value, where: `${where}#${key}` }));

describe('detectTrainingContract', () => {
  test('detects each platform from its environment, in the documented order', () => {
    const root = sageMakerRoot('detect', {}, {});
    expect(detectTrainingContract({ MLOPS_SAGEMAKER_ROOT: root }).contract).toBe('sagemaker');
    expect(detectTrainingContract({ MLOPS_SAGEMAKER_ROOT: path.join(tmp, 'none'), TRAINING_JOB_NAME: 'job-1' })).toEqual({
      contract: 'sagemaker',
      reason: 'TRAINING_JOB_NAME=job-1',
    });
    expect(detectTrainingContract({ MLOPS_SAGEMAKER_ROOT: path.join(tmp, 'none'), AIP_MODEL_DIR: 'gs://b/m/' })).toEqual({ contract: 'vertex', reason: 'AIP_MODEL_DIR is set' });
    expect(detectTrainingContract({ MLOPS_SAGEMAKER_ROOT: path.join(tmp, 'none'), AZUREML_RUN_ID: 'r' }).contract).toBe('azureml');
    expect(detectTrainingContract({ MLOPS_SAGEMAKER_ROOT: path.join(tmp, 'none'), AZURE_ML_OUTPUT_model: '/mnt/out' }).contract).toBe('azureml');
    expect(detectTrainingContract({ MLOPS_SAGEMAKER_ROOT: path.join(tmp, 'none') }).contract).toBe('local');
    // SageMaker wins over a stray Vertex variable; the explicit override wins over everything.
    expect(detectTrainingContract({ MLOPS_SAGEMAKER_ROOT: root, AIP_MODEL_DIR: 'x' }).contract).toBe('sagemaker');
    expect(detectTrainingContract({ MLOPS_SAGEMAKER_ROOT: root, MLOPS_TRAINING_CONTRACT: 'Local' }).contract).toBe('local');
  });

  test('fails if MLOPS_TRAINING_CONTRACT names no contract', () => {
    expect(() => detectTrainingContract({ MLOPS_TRAINING_CONTRACT: 'kubeflow' })).toThrow(
      /UNKNOWN_CONTRACT.*env:MLOPS_TRAINING_CONTRACT.*sagemaker, vertex, azureml, local.*"kubeflow"/,
    );
  });
});

describe('settings from strings', () => {
  test('coerces model parameters to the types the estimator declares (snake_case, quoted, None, union strings)', () => {
    const s = resolveSettings([
      raw({ model: '"gbdt"', max_iter: '50', learning_rate: '0.05', early_stopping: 'False', max_depth: 'None', sagemaker_region: '"us-east-1"', target: 'y', seed: '7' }),
    ]);
    expect(s).toMatchObject({
      model: 'gbdt',
      target: 'y',
      seed: 7,
      params: { maxIter: 50, learningRate: 0.05, earlyStopping: false, maxDepth: null },
      ignored: ['sagemaker_region'],
    });
    expect(resolveSettings([raw({ model: 'gbdt', earlyStopping: 'auto' })]).params).toEqual({ earlyStopping: 'auto' });
    expect(resolveSettings([raw({ model: 'random-forest', max_features: 'sqrt', n_estimators: '10' })]).params).toEqual({ maxFeatures: 'sqrt', nEstimators: 10 });
    expect(resolveSettings([raw({ model: 'logistic', c: '2.5' })]).params).toEqual({ C: 2.5 });
    expect(resolveSettings([raw({ model: 'linear', params: 'alpha=0.5,fit_intercept=true' })]).params).toEqual({ alpha: 0.5, fitIntercept: true });
  });

  test('later layers win: env < hyperparameters < arguments; list settings are replaced, not merged', () => {
    const s = resolveSettings([
      raw({ target: 'env_t', model: 'gbdt', drop: 'a,b', max_iter: '10' }, 'env'),
      raw({ target: 'hp_t', drop: 'c', max_iter: '20' }, 'hp'),
      raw({ seed: '3', max_iter: '30' }, 'arg'),
    ]);
    expect(s).toMatchObject({ target: 'hp_t', model: 'gbdt', seed: 3, drop: ['c'], params: { maxIter: 30 } });
  });

  test('every bad value is reported at once, naming where it came from, the value and what is accepted', () => {
    const e = (() => {
      try {
        resolveSettings([raw({ model: 'gbdt', max_iter: 'ten', maxLeafNodes: '1', seed: '-1', task: 'ranking', frobnicate: '1', lag: 'temp=1,x' })]);
      } catch (x) {
        return x as ContractError;
      }
      throw new Error('expected a ContractError');
    })();
    expect(e).toBeInstanceOf(ContractError);
    const byCode = (c: string): string[] => e.issues.filter((i) => i.code === c).map((i) => `${i.path}: ${i.message}`);
    expect(byCode('BAD_HYPERPARAMETER')).toEqual([
      `hp#max_iter: The 'maxIter' parameter of gbdt (HistGradientBoosting) must be an int ≥ 1. Got "ten".`,
      `hp#maxLeafNodes: The 'maxLeafNodes' parameter of gbdt (HistGradientBoosting) must be an int ≥ 2. Got "1".`,
    ]);
    expect(byCode('BAD_SETTING').join('\n')).toMatch(/hp#seed: 'seed' must be an integer in \[0, 4294967295\]; got "-1"/);
    expect(byCode('BAD_SETTING').join('\n')).toMatch(/hp#task: 'task' must be one of regression, classification; got "ranking"/);
    expect(byCode('BAD_SETTING').join('\n')).toMatch(/hp#lag: 'lag' expects column=N/);
    expect(byCode('UNKNOWN_HYPERPARAMETER')[0]).toMatch(/'frobnicate' is neither a setting .* nor a parameter of gbdt .*maxIter/);
  });

  test('fails if model parameters come without an explicit model', () => {
    expect(() => resolveSettings([raw({ max_iter: '10' })])).toThrow(/PARAMS_NEED_MODEL.*max_iter.*set 'model'/);
  });

  test('coerceParamValue rejects what the spec rejects', () => {
    expect(coerceParamValue('1.5', { type: 'int', min: 1 })).toEqual({ ok: false, accepted: 'an int ≥ 1' });
    expect(coerceParamValue('0', { type: 'float', min: 0, exclusiveMin: true })).toEqual({ ok: false, accepted: 'a float > 0' });
    expect(coerceParamValue('maybe', { type: 'bool' }).ok).toBe(false);
    expect(coerceParamValue('', { type: 'float' }).ok).toBe(false);
    expect(coerceParamValue('1e-3', { type: 'float' })).toEqual({ ok: true, value: 0.001 });
  });

  test('settingsToArgv round-trips typed values through the plain CLI flags', () => {
    const s = resolveSettings([raw({ target: 'y', model: 'gbdt', max_depth: 'none', early_stopping: 'true', lag: 'a=1,2;b=3', categorical: 'c' })]);
    expect(settingsToArgv(s)).toEqual([
      '--target',
      'y',
      '--model',
      'gbdt',
      '--categorical',
      'c',
      '--lag',
      'a=1,2',
      '--lag',
      'b=3',
      '--params',
      'maxDepth=null',
      '--params',
      'earlyStopping=true',
    ]);
  });
});

describe('SageMaker training contract', () => {
  test('GIVEN /opt/ml with string hyperparameters and train/validation channels WHEN `mlops train` runs THEN the model lands in /opt/ml/model', async () => {
    const root = sageMakerRoot(
      'sm-ok',
      { target: 'y', model: 'gbdt', max_iter: '40', learning_rate: '0.2', seed: '5', sagemaker_region: '"eu-west-1"' },
      {
        train: { 'part-0.csv': [HEADER, ...rows(150, 1)].join('\n') + '\n', 'sub/part-1.csv': [HEADER, ...rows(150, 2)].join('\n') + '\n', _SUCCESS: '' },
        validation: { 'val.csv': [HEADER, ...rows(80, 3)].join('\n') + '\n' },
      },
    );
    const c = capture();
    const code = await runTrainContract([], c.io, { trainLocal: trainLocalCommand, env: { MLOPS_SAGEMAKER_ROOT: root } });
    expect(c.err()).toContain(`training contract: sagemaker (${path.join(root, 'input/config/hyperparameters.json')} exists)`);
    expect(code).toBe(0);
    expect(c.err()).toContain('train: joined 2 files');
    expect(c.err()).toContain('ignored platform keys: sagemaker_region');
    const dir = readModelDir(path.join(root, 'model'));
    expect(dir.manifest).toMatchObject({ model: 'gbdt', target: 'y', task: 'regression' });
    expect((dir.metrics as { params: Record<string, unknown>; seed: number }).params).toMatchObject({ maxIter: 40, learningRate: 0.2, randomState: 5 });
    expect((dir.fingerprint as { rows: number }).rows).toBe(300);
    const evaluation = JSON.parse(fs.readFileSync(path.join(root, 'model', 'evaluation.json'), 'utf8')) as { rows: number; metrics: { r2: number } };
    expect(evaluation.rows).toBe(80);
    expect(evaluation.metrics.r2).toBeGreaterThan(0.8);
    expect(fs.existsSync(path.join(root, 'output', 'failure'))).toBe(false);
    expect(fs.readdirSync(path.join(root, 'model')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  test('GIVEN a bad hyperparameter WHEN `mlops train` runs THEN the reason goes to /opt/ml/output/failure, nothing to /opt/ml/model, and the exit code is non-zero', async () => {
    const root = sageMakerRoot('sm-bad', { target: 'y', model: 'gbdt', max_iter: 'ten' }, { train: { 'd.csv': [HEADER, ...rows(50, 4)].join('\n') + '\n' } });
    const c = capture();
    const saved = process.env.MLOPS_SAGEMAKER_ROOT;
    process.env.MLOPS_SAGEMAKER_ROOT = root;
    let code: number;
    try {
      code = await main(['train'], c.io);
    } finally {
      if (saved === undefined) delete process.env.MLOPS_SAGEMAKER_ROOT;
      else process.env.MLOPS_SAGEMAKER_ROOT = saved;
    }
    expect(code).not.toBe(0);
    const failure = fs.readFileSync(path.join(root, 'output', 'failure'), 'utf8');
    expect(failure).toContain('BAD_HYPERPARAMETER');
    expect(failure).toContain(`The 'maxIter' parameter of gbdt (HistGradientBoosting) must be an int ≥ 1. Got "ten".`);
    expect(failure).toContain('hyperparameters.json#max_iter');
    expect(c.err()).toContain('maxIter');
    expect(fs.readdirSync(path.join(root, 'model'))).toEqual([]);
  });

  test('GIVEN a quality gate the model misses WHEN `mlops train` runs THEN the job fails with the gate as the reason and publishes nothing', async () => {
    const root = sageMakerRoot(
      'sm-gate-miss',
      { target: 'y', model: 'linear', gate: 'r2>=0.9999,rmse<=0.0001' },
      { train: { 'd.csv': [HEADER, ...rows(200, 8)].join('\n') + '\n' } },
    );
    const c = capture();
    await expect(runTrainContract([], c.io, { trainLocal: trainLocalCommand, env: { MLOPS_SAGEMAKER_ROOT: root } })).rejects.toThrow(/QUALITY_GATE|quality gate/);
    const failure = fs.readFileSync(path.join(root, 'output', 'failure'), 'utf8');
    expect(failure).toMatch(/misses the quality gate on its holdout metrics: r2 [0-9.]+ < minimum 0.9999; rmse [0-9.]+ > maximum 0.0001/);
    expect(fs.readdirSync(path.join(root, 'model'))).toEqual([]);
  });

  test('GIVEN a quality gate the model meets WHEN `mlops train` runs THEN it says so and publishes the model', async () => {
    const root = sageMakerRoot('sm-gate-pass', { target: 'y', model: 'gbdt', gate: 'r2>=0.5' }, { train: { 'd.csv': [HEADER, ...rows(300, 9)].join('\n') + '\n' } });
    const c = capture();
    const code = await runTrainContract([], c.io, { trainLocal: trainLocalCommand, env: { MLOPS_SAGEMAKER_ROOT: root } });
    expect(code).toBe(0);
    expect(c.err()).toMatch(/quality gate passed: r2 0\.[5-9][0-9]* ≥ minimum 0\.5/);
    expect(c.err()).toContain('gate=r2>=0.5');
    expect(fs.existsSync(path.join(root, 'model', 'manifest.json'))).toBe(true);
  });

  test('a malformed gate is a clear setting error naming where it came from', () => {
    expect(parseGate('r2>=0.8, rmse<=70').bounds).toEqual([
      { metric: 'r2', bound: 'min', value: 0.8 },
      { metric: 'rmse', bound: 'max', value: 70 },
    ]);
    expect(parseGate('r2>0.8').problems[0]).toContain('"r2>0.8" is not metric>=number or metric<=number');
    expect(() => resolveSettings([raw({ target: 'y', gate: 'r2 at least 0.8' })])).toThrow(/hp#gate.*'gate': "r2 at least 0.8" is not metric>=number/s);
  });

  test('GIVEN data that breaks the data contract in the contract channel THEN the validation report is the failure reason', async () => {
    const root = sageMakerRoot(
      'sm-contract',
      { model: 'linear' },
      {
        train: { 'd.csv': [HEADER, ...rows(40, 5), '1,2,q,3'].join('\n') + '\n' },
        contract: {
          'contract.yaml':
            'columns:\n  - { name: a, type: number }\n  - { name: b, type: number }\n  - { name: c, type: category, allowed: [x, y, z] }\n  - { name: y, type: number }\ntarget: y\n',
        },
      },
    );
    const c = capture();
    const code = await runTrainContract([], c.io, { trainLocal: trainLocalCommand, env: { MLOPS_SAGEMAKER_ROOT: root } });
    expect(code).toBe(1);
    const failure = fs.readFileSync(path.join(root, 'output', 'failure'), 'utf8');
    expect(failure).toMatch(/UNKNOWN_CATEGORY|"q"/);
    expect(failure).toContain('nothing was written');
    expect(fs.readdirSync(path.join(root, 'model'))).toEqual([]);
  });

  test('fails with MISSING_DATA naming the channels present, and with MISSING_TARGET when no target is set anywhere', async () => {
    const r1 = sageMakerRoot('sm-nochan', { target: 'y' }, { training_data: { 'd.csv': 'a\n1\n' } });
    await expect(runTrainContract([], capture().io, { trainLocal: trainLocalCommand, env: { MLOPS_SAGEMAKER_ROOT: r1 } })).rejects.toThrow(
      /MISSING_DATA.*channels present: training_data.*'train'/,
    );
    expect(fs.readFileSync(path.join(r1, 'output', 'failure'), 'utf8')).toContain('MISSING_DATA');
    const r2 = sageMakerRoot('sm-notarget', {}, { train: { 'd.csv': 'a\n1\n' } });
    await expect(runTrainContract([], capture().io, { trainLocal: trainLocalCommand, env: { MLOPS_SAGEMAKER_ROOT: r2 } })).rejects.toThrow(
      /MISSING_TARGET.*'target' hyperparameter.*MLOPS_TARGET/,
    );
  });

  test('MLOPS_* env vars fill in what hyperparameters leave out; a malformed hyperparameters.json is a clear error', async () => {
    const root = sageMakerRoot('sm-env', { model: 'linear' }, { training: { 'd.csv': [HEADER, ...rows(60, 6)].join('\n') + '\n' } });
    const code = await runTrainContract([], capture().io, { trainLocal: trainLocalCommand, env: { MLOPS_SAGEMAKER_ROOT: root, MLOPS_TARGET: 'y', MLOPS_HOLDOUT: '0.25' } });
    expect(code).toBe(0);
    expect(readModelDir(path.join(root, 'model')).manifest.target).toBe('y');
    const bad = path.join(tmp, 'hp-bad.json');
    fs.writeFileSync(bad, '{"target": ');
    expect(() => readHyperparameters(bad)).toThrow(/BAD_HYPERPARAMETERS_FILE.*is not valid JSON/);
    fs.writeFileSync(bad, '{"target": {"x": 1}}');
    expect(() => readHyperparameters(bad)).toThrow(/hp-bad.json#target: must be a string/);
  });
});

describe('Azure ML training contract', () => {
  test('GIVEN `--data ${{inputs.x}} --out ${{outputs.model}}` (a folder and a mounted output) WHEN training THEN the model is copied into the output', async () => {
    const input = path.join(tmp, 'az', 'inputs', 'training_data');
    fs.mkdirSync(input, { recursive: true });
    fs.writeFileSync(path.join(input, 'train.csv'), [HEADER, ...rows(200, 7)].join('\n') + '\n');
    const out = path.join(tmp, 'az', 'outputs', 'model');
    fs.mkdirSync(out, { recursive: true });
    const c = capture();
    const code = await runTrainContract(
      ['--data', input, '--out', out, '--target', 'y', '--model', 'random-forest', '--n_estimators', '15', '--max_features=sqrt', '--json'],
      c.io,
      {
        trainLocal: trainLocalCommand,
        env: { AZUREML_RUN_ID: 'run-1' },
      },
    );
    expect(c.err()).toContain('training contract: azureml (AZUREML_RUN_ID is set)');
    expect(code).toBe(0);
    expect(JSON.parse(c.out()).model).toBe('random-forest');
    expect((readModelDir(out).metrics as { params: Record<string, unknown> }).params).toMatchObject({ nEstimators: 15, maxFeatures: 'sqrt' });
    // A second run replaces the model in place (the output is a mount: it cannot be renamed over).
    const code2 = await runTrainContract(['--data', input, '--out', out, '--target', 'y', '--model', 'linear'], capture().io, {
      trainLocal: trainLocalCommand,
      env: { AZUREML_RUN_ID: 'run-2' },
    });
    expect(code2).toBe(0);
    expect(readModelDir(out).manifest.model).toBe('linear');
  });

  test('AZURE_ML_INPUT_*/AZURE_ML_OUTPUT_* variables stand in for the arguments', async () => {
    const input = path.join(tmp, 'az2', 'd.csv');
    fs.mkdirSync(path.dirname(input), { recursive: true });
    fs.writeFileSync(input, [HEADER, ...rows(80, 8)].join('\n') + '\n');
    const out = path.join(tmp, 'az2', 'out');
    const code = await runTrainContract(['--target', 'y', '--model', 'linear'], capture().io, {
      trainLocal: trainLocalCommand,
      env: { AZURE_ML_INPUT_training_data: input, AZURE_ML_OUTPUT_model: out },
    });
    expect(code).toBe(0);
    expect(readModelDir(out).manifest.model).toBe('linear');
  });

  test('fails clearly on a URI instead of a mounted path, on missing paths, on a stray positional and on a non-model output folder', async () => {
    const env = { AZUREML_RUN_ID: 'r' };
    const run = (argv: string[]): Promise<number> => runTrainContract(argv, capture().io, { trainLocal: trainLocalCommand, env });
    await expect(run(['--data', 'azureml://datastores/x/paths/d.csv', '--out', '/tmp/o', '--target', 'y'])).rejects.toThrow(/BAD_ARGUMENT.*arg:--data.*ro_mount or download/);
    const e = (await run(['--target', 'y']).catch((x: unknown) => x)) as ContractError;
    expect(e.issues.map((i) => i.code)).toEqual(['MISSING_DATA', 'MISSING_OUTPUT']);
    expect(e.message).toContain('${{outputs.model}}');
    await expect(run(['train.csv'])).rejects.toThrow(/BAD_ARGUMENT.*unexpected argument "train.csv"/);
    const busy = path.join(tmp, 'az-busy');
    fs.mkdirSync(busy, { recursive: true });
    fs.writeFileSync(path.join(busy, 'notes.txt'), 'keep me');
    const data = path.join(tmp, 'az-busy-data.csv');
    fs.writeFileSync(data, [HEADER, ...rows(50, 9)].join('\n') + '\n');
    await expect(run(['--data', data, '--out', busy, '--target', 'y', '--model', 'linear'])).rejects.toThrow(/OUTPUT_NOT_A_MODEL_DIR/);
    expect(fs.readFileSync(path.join(busy, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});

describe('local default', () => {
  test('plain paths train as before, says so, and takes MLOPS_* settings the arguments leave out', async () => {
    const data = path.join(tmp, 'local.csv');
    fs.writeFileSync(data, [HEADER, ...rows(100, 10)].join('\n') + '\n');
    const out = path.join(tmp, 'local-model');
    const c = capture();
    const code = await runTrainContract(['--data', data, '--out', out, '--model', 'linear'], c.io, {
      trainLocal: trainLocalCommand,
      env: { MLOPS_SAGEMAKER_ROOT: path.join(tmp, 'none'), MLOPS_TARGET: 'y', MLOPS_MODEL: 'gbdt' },
    });
    expect(code).toBe(0);
    expect(c.err()).toContain('training contract: local (no SageMaker, Vertex AI or Azure ML environment found)');
    expect(c.err()).toContain('using MLOPS_TARGET from the environment');
    expect(readModelDir(out).manifest).toMatchObject({ target: 'y', model: 'linear' });
  });

  test('`mlops train --help` mentions the cloud contracts', async () => {
    const c = capture();
    expect(await main(['train', '--help'], c.io)).toBe(0);
    expect(c.out()).toContain('/opt/ml/input/config/hyperparameters.json');
    expect(c.out()).toContain('AIP_MODEL_DIR');
    expect(c.out()).toContain('${{outputs.model}}');
  });
});

describe('files', () => {
  test('resolveCsv fails if the headers of joined files differ, naming both files', () => {
    const d = path.join(tmp, 'mixed');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, '1.csv'), 'a,b\n1,2\n');
    fs.writeFileSync(path.join(d, '2.csv'), 'a,c\n1,2\n');
    expect(() => resolveCsv(d, path.join(tmp, 'w'), 'train', 'channel:train')).toThrow(/HEADER_MISMATCH.*2\.csv has header "a,c", but .*1\.csv has "a,b"/);
    fs.mkdirSync(path.join(tmp, 'empty'), { recursive: true });
    expect(() => resolveCsv(path.join(tmp, 'empty'), tmp, 'train', 'channel:train')).toThrow(/NO_DATA_FILES/);
  });

  test('publishModelDir copies the staged files and writes the manifest last', () => {
    const staged = path.join(tmp, 'staged');
    fs.mkdirSync(staged, { recursive: true });
    fs.writeFileSync(path.join(staged, 'model.json'), '{}');
    fs.writeFileSync(path.join(staged, 'manifest.json'), JSON.stringify({ files: { 'model.json': 'x' } }));
    const dest = path.join(tmp, 'pub');
    expect(publishModelDir(staged, dest, 'x')).toEqual(['model.json', 'manifest.json']);
    expect(fs.readdirSync(dest).sort()).toEqual(['manifest.json', 'model.json']);
  });

  test('parseContractArgs reads --k v, --k=v and flags', () => {
    expect(parseContractArgs(['--data', 'd.csv', '--out=o', '--json', '--max_iter=5', '--verbose'])).toEqual({
      data: 'd.csv',
      out: 'o',
      json: true,
      settings: [
        { key: 'max_iter', value: '5', where: 'arg:--max_iter' },
        { key: 'verbose', value: 'true', where: 'arg:--verbose' },
      ],
    });
  });
});
