/**
 * Issue 14, "CLI and data" (items 6–13), with real `mlops` processes on real
 * files: where a command writes (--out never an input, a folder or inside a
 * model directory, checked writable first); non-finite fits and predictions;
 * columns and parameters named like Object.prototype's keys; numbers beyond
 * the float range; messages that say what is wrong; values cut in every
 * message; MAPE on a target with zeros; one quality gate for local training.
 *
 * Permissions are checked as a non-root user: when the tests run as root, the
 * processes that must be refused a write run as uid 1000.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeModelDir } from '../src/artifacts/modeldir';
import { validateParams } from '../src/core/estimator';
import { describeSystemError } from '../src/core/fs-errors';
import { cut, show, showKey, showList } from '../src/core/text';
import { isNumberText, notANumber, parseNumber } from '../src/data/values';
import { classificationScores, mapeUndefinedReason, regressionMetrics, regressionScores } from '../src/eval/metrics';
import { Rng } from '../src/core/random';
import { TrainedModel } from '../src/models/model';
import { parseParams } from '../src/cli/io';
import { parseGate } from '../src/contracts/settings';
import { checkGate } from '../src/contracts/gate';

const IMAGE_DIR = path.resolve(__dirname, '..');
const BIN = path.join(IMAGE_DIR, 'bin', 'mlops.js');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-data-'));
fs.chmodSync(tmp, 0o755); // uid 1000 reads the fixtures
const p = (...f: string[]): string => path.join(tmp, ...f);

jest.setTimeout(60_000);

beforeAll(() => {
  if (!fs.existsSync(path.join(IMAGE_DIR, 'dist', 'src', 'cli', 'main.js'))) {
    spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', IMAGE_DIR], { stdio: 'ignore' });
  }
});
afterAll(() => {
  for (const d of fs.readdirSync(tmp)) {
    try {
      fs.chmodSync(p(d), 0o755);
    } catch {
      /* gone */
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs `mlops …` as a process (supervised, as users run it). */
function mlops(args: string[], o: { env?: NodeJS.ProcessEnv; as?: SpawnSyncOptions } = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: tmp,
    env: { PATH: process.env.PATH, TMPDIR: os.tmpdir(), ...o.env },
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 << 20,
    ...o.as,
  });
  return { code: r.status, out: String(r.stdout), err: String(r.stderr) };
}

/** y = 3a − 2b + noise, `rows` rows. */
function regressionCsv(rows: number, seed: number, opts: { zeroEvery?: number } = {}): string {
  const rng = new Rng(seed);
  const lines = ['a,b,y'];
  for (let i = 0; i < rows; i++) {
    const a = rng.normal(),
      b = rng.normal();
    const y = opts.zeroEvery && i % opts.zeroEvery === 0 ? 0 : 3 * a - 2 * b + 0.1 * rng.normal();
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${y.toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}

/** Every file of a folder with its bytes, to show that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort())
    out[f] = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(dir, f)))
      .digest('hex');
  return out;
}

const REG = p('reg.csv');
fs.writeFileSync(REG, regressionCsv(200, 1));
const MODEL = p('model');

beforeAll(() => {
  // A linear model to score with.
  const r = mlops(['train', '--data', REG, '--target', 'y', '--model', 'linear', '--out', MODEL]);
  if (r.code !== 0 || !fs.existsSync(path.join(MODEL, 'manifest.json'))) throw new Error(`training the fixture model failed: ${r.err}`);
});

describe('item 6: --out never replaces an input, a model file, or is a folder', () => {
  test('predict --data d.csv --out d.csv is refused before anything is read, and d.csv is unchanged', () => {
    const d = p('six-a.csv');
    fs.copyFileSync(REG, d);
    const r = mlops(['predict', '--model', MODEL, '--data', d, '--out', d]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--out '${d}' is the --data input '${d}': writing the predictions CSV would replace it. Fix: write to another file`);
    expect(r.err).not.toContain('scoring');
    expect(fs.readFileSync(d, 'utf8')).toBe(fs.readFileSync(REG, 'utf8'));
  });

  test('evaluate --out d.csv (the labelled data) is refused: the CSV is not overwritten with JSON', () => {
    const d = p('six-b.csv');
    fs.copyFileSync(REG, d);
    const r = mlops(['evaluate', '--model', MODEL, '--data', d, '--out', d]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--out '${d}' is the --data input`);
    expect(fs.readFileSync(d, 'utf8')).toBe(fs.readFileSync(REG, 'utf8'));
  });

  test('predict --out <model>/manifest.json is refused and the model still loads; so is any file in any model directory', () => {
    fs.cpSync(MODEL, p('m2'), { recursive: true });
    const before = snapshot(p('m2'));
    const r = mlops(['predict', '--model', MODEL, '--data', REG, '--out', p('m2', 'manifest.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--out '${p('m2', 'manifest.json')}' is inside the model directory '${p('m2')}'`);
    expect(r.err).toContain('Fix: write outside the model directory');
    expect(snapshot(p('m2'))).toEqual(before);
    expect(() => TrainedModel.load(p('m2'))).not.toThrow();
    // Its own --model folder too (a new file there would be lost at the next train), but evaluate's evaluation.json is allowed.
    expect(mlops(['evaluate', '--model', MODEL, '--data', REG, '--out', path.join(MODEL, 'other.json')]).code).toBe(2);
    const ok = mlops(['evaluate', '--model', MODEL, '--data', REG]);
    expect(ok.code).toBe(0);
    expect(fs.existsSync(path.join(MODEL, 'evaluation.json'))).toBe(true);
  });

  test('symbolic links are followed: a link to the data or to a model file is refused', () => {
    const d = p('six-d.csv');
    fs.copyFileSync(REG, d);
    fs.symlinkSync(d, p('link-to-data.csv'));
    const a = mlops(['predict', '--model', MODEL, '--data', d, '--out', p('link-to-data.csv')]);
    expect(a.code).toBe(2);
    expect(a.err).toContain(`is the --data input '${d}' (${d} once links are followed)`);
    expect(fs.readFileSync(d, 'utf8')).toBe(fs.readFileSync(REG, 'utf8'));
    fs.symlinkSync(path.join(MODEL, 'model.json'), p('link-to-model.json'));
    const b = mlops(['predict', '--model', MODEL, '--data', REG, '--out', p('link-to-model.json')]);
    expect(b.code).toBe(2);
    expect(b.err).toContain('is inside the model directory');
    expect(() => TrainedModel.load(MODEL)).not.toThrow();
    // A hard link is the same file too.
    fs.linkSync(d, p('hard-link.csv'));
    expect(mlops(['predict', '--model', MODEL, '--data', d, '--out', p('hard-link.csv')]).err).toContain('is the --data input');
  });

  test('--out on a folder is a clear error (no raw EISDIR), for predict, evaluate and forecast', () => {
    fs.mkdirSync(p('a-folder'));
    for (const cmd of [
      ['predict', '--model', MODEL, '--data', REG, '--out', p('a-folder')],
      ['evaluate', '--model', MODEL, '--data', REG, '--out', p('a-folder')],
    ]) {
      const r = mlops(cmd);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--out '${p('a-folder')}' is a folder; it needs the path of a file`);
      expect(r.err).not.toMatch(/EISDIR|illegal operation/);
    }
    const series = p('series.csv');
    fs.writeFileSync(
      series,
      ['day,v', ...Array.from({ length: 60 }, (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * 86400e3).toISOString().slice(0, 10)},${10 + i}`)].join('\n') + '\n',
    );
    const f = mlops(['forecast', '--data', series, '--time', 'day', '--value', 'v', '--out', series]);
    expect(f.code).toBe(2);
    expect(f.err).toContain('is the --data input');
    expect(fs.readFileSync(series, 'utf8').startsWith('day,v\n2024-01-01,10\n')).toBe(true);
  });

  test('train --out <the data file> is refused at once, before any training', () => {
    const d = p('six-g.csv');
    fs.copyFileSync(REG, d);
    const r = mlops(['train', '--data', d, '--target', 'y', '--model', 'linear', '--out', d]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--out '${d}' is an existing file; a model directory is a folder`);
    expect(r.err).not.toContain('fitting');
    expect(fs.readFileSync(d, 'utf8')).toBe(fs.readFileSync(REG, 'utf8'));
  });

  test('train --data inside the --out model directory is refused: replacing the model would delete the data', () => {
    fs.cpSync(MODEL, p('m-with-data'), { recursive: true });
    const d = p('m-with-data', 'train.csv');
    fs.copyFileSync(REG, d);
    const r = mlops(['train', '--data', d, '--target', 'y', '--model', 'linear', '--out', p('m-with-data')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`holds the --data input '${d}': replacing the model directory would delete it`);
    expect(fs.existsSync(d)).toBe(true);
  });
});

describe('item 7: a diverged fit fails and never replaces a model; non-finite predictions are an error', () => {
  test('gbdt with learningRate=1e308 exits 1 naming the parameter, and the good model at --out is untouched', () => {
    fs.cpSync(MODEL, p('good'), { recursive: true });
    const before = snapshot(p('good'));
    const r = mlops(['train', '--data', REG, '--target', 'y', '--model', 'gbdt', '--params', 'learningRate=1e308', '--out', p('good')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /Training gbdt diverged: 40 of its 40 predictions on the 40 holdout rows are not finite \(NaN\), so the model is unusable and nothing was written\. Fix: change the hyperparameters \('learningRate'=1e\+308\)/,
    );
    expect(snapshot(p('good'))).toEqual(before);
  });

  test('without a holdout the final fit is checked too', () => {
    const r = mlops(['train', '--data', REG, '--target', 'y', '--model', 'gbdt', '--params', 'learningRate=1e308', '--holdout', '0', '--out', p('never')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Training gbdt diverged: 200 of its 200 predictions on the 200 training rows are not finite');
    expect(fs.existsSync(p('never'))).toBe(false);
  });

  test('predict and evaluate refuse a model whose predictions are not finite (e.g. written by an older runtime): exit 1, rows named, nothing written', () => {
    // A model with absurd coefficients, written as a valid model directory (checksums and all).
    const { model, dir } = TrainedModel.load(MODEL);
    const state = { ...(dir.model.state as Record<string, unknown>), coef: [1e308, -1e308] };
    writeModelDir(p('broken'), {
      model: 'linear',
      estimator: model.estimator.name,
      task: 'regression',
      target: 'y',
      modelJson: state,
      transforms: dir.transforms as never,
      metrics: {},
      featureImportance: {},
      fingerprint: dir.fingerprint,
    });
    const out = p('broken-pred.csv');
    const r = mlops(['predict', '--model', p('broken'), '--data', REG, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(
        `The model in '${p('broken')}' is broken: \\d+ of its 200 predictions are not finite \\((-?Infinity|NaN)\\), in data rows \\d+(, \\d+)* and \\d+ more\\. Nothing was written`,
      ),
    );
    expect(r.err).toContain('Nothing was written');
    expect(fs.existsSync(out)).toBe(false);
    const e = mlops(['evaluate', '--model', p('broken'), '--data', REG, '--out', p('broken-eval.json')]);
    expect(e.code).toBe(1);
    expect(e.err).toContain('is broken');
    expect(fs.existsSync(p('broken-eval.json'))).toBe(false);
  });
});

describe('item 8: __proto__ and constructor are names like any other', () => {
  const csv = p('proto.csv');
  beforeAll(() => {
    const rng = new Rng(8);
    const lines = ['__proto__,constructor,toString,y'];
    for (let i = 0; i < 120; i++) {
      const a = rng.normal(),
        b = rng.normal(),
        c = rng.normal();
      lines.push(`${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(4)},${(3 * a - 2 * b + c).toFixed(4)}`);
    }
    fs.writeFileSync(csv, lines.join('\n') + '\n');
    fs.writeFileSync(
      p('proto.yaml'),
      'columns:\n  - { name: __proto__, type: number }\n  - { name: constructor, type: number }\n  - { name: toString, type: number }\n  - { name: y, type: number }\ntarget: y\n',
    );
  });

  test('train and predict read columns named __proto__, constructor and toString as numbers', () => {
    const t = mlops(['train', '--data', csv, '--target', 'y', '--model', 'linear', '--out', p('proto-model'), '--json']);
    expect(t.code).toBe(0);
    expect(JSON.parse(t.out).metrics.holdout.r2).toBeGreaterThan(0.999);
    const pr = mlops(['predict', '--model', p('proto-model'), '--data', csv, '--out', p('proto-pred.csv')]);
    expect(pr.code).toBe(0);
    const first = fs.readFileSync(csv, 'utf8').split('\n')[1]!.split(',').map(Number);
    expect(Number(fs.readFileSync(p('proto-pred.csv'), 'utf8').split('\n')[1])).toBeCloseTo(first[3]!, 4);
  });

  test('with a data contract declaring them: validate accepts the data and train uses the contract types', () => {
    expect(mlops(['validate', '--data', csv, '--contract', p('proto.yaml')]).code).toBe(0);
    const t = mlops(['train', '--data', csv, '--contract', p('proto.yaml'), '--model', 'linear', '--out', p('proto-model-c')]);
    expect(t.err).not.toContain('is not a boolean');
    expect(t.code).toBe(0);
  });

  test('--params __proto__=1, constructor=1 and toString=1 are refused like every unknown key', () => {
    for (const [model, key] of [
      ['linear', '__proto__'],
      ['linear', 'constructor'],
      ['gbdt', 'constructor'],
      ['gbdt', 'toString'],
      ['random-forest', '__proto__'],
    ] as const) {
      const r = mlops(['train', '--data', REG, '--target', 'y', '--model', model, '--params', `${key}=1`, '--out', p(`proto-param-${model}`)]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`The '${key}' parameter of \\w+ must be one of the known parameters \\(`));
      expect(fs.existsSync(p(`proto-param-${model}`))).toBe(false);
    }
    expect(() => validateParams('E', { alpha: { type: 'float' } }, parseParams(['__proto__=1']))).toThrow(
      "The '__proto__' parameter of E must be one of the known parameters (alpha). Got 1.",
    );
    expect(Object.keys(parseParams(['__proto__=1', 'constructor=2']))).toEqual(['__proto__', 'constructor']);
  });

  test('`mlops constructor` and `mlops __proto__` are unknown commands', () => {
    for (const c of ['constructor', '__proto__', 'toString']) {
      const r = mlops([c]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`mlops: unknown command "${c}"`);
    }
  });
});

describe('item 9: numbers beyond the float range, one rule for validate and train', () => {
  const csv = p('overflow.csv');
  beforeAll(() => {
    const lines = regressionCsv(50, 9).split('\n');
    lines[4] = `1e400,${lines[4]!.split(',').slice(1).join(',')}`;
    lines[7] = `${lines[7]!.split(',')[0]},-1e999,${lines[7]!.split(',')[2]}`;
    fs.writeFileSync(csv, lines.join('\n'));
    fs.writeFileSync(p('overflow.yaml'), 'columns:\n  - { name: a, type: number }\n  - { name: b, type: number }\n  - { name: y, type: number }\ntarget: y\n');
  });

  test('train refuses 1e400 naming row, column and value; validate refuses it with the same words', () => {
    const t = mlops(['train', '--data', csv, '--target', 'y', '--model', 'linear', '--out', p('overflow-model')]);
    expect(t.code).toBe(1);
    const lineA = `row 4, column 'a': "1e400" is not a number: it is beyond ±1.8e308, the largest 64-bit float (it would be read as Infinity); fix the value, or leave the cell empty for a missing value`;
    const lineB = `row 7, column 'b': "-1e999" is not a number: it is beyond ±1.8e308, the largest 64-bit float (it would be read as -Infinity)`;
    expect(t.err).toContain(lineA);
    expect(t.err).toContain(lineB);
    expect(t.err).not.toMatch(/X\[\d/);
    const v = mlops(['validate', '--data', csv, '--contract', p('overflow.yaml')]);
    expect(v.code).toBe(1);
    expect(v.out).toContain(lineA);
    expect(v.out).toContain(lineB);
    // With the contract, train says the same as validate.
    const tc = mlops(['train', '--data', csv, '--contract', p('overflow.yaml'), '--model', 'linear', '--out', p('overflow-model')]);
    expect(tc.code).toBe(1);
    expect(tc.err).toContain(lineA);
  });

  test('parseNumber is NaN for text beyond the float range, as its doc says; the column is still inferred as numeric', () => {
    expect(parseNumber('1e400')).toBeNaN();
    expect(parseNumber('-1e400')).toBeNaN();
    expect(parseNumber('1e308')).toBe(1e308);
    expect(parseNumber('1e-400')).toBe(0);
    expect(isNumberText('1e400')).toBe(true);
    expect(notANumber('abc')).toBe('"abc" is not a number');
  });
});

describe('item 10: messages that say what is wrong', () => {
  test('an all-empty target says it has no values', () => {
    fs.writeFileSync(p('empty-target.csv'), 'a,y\n1,\n2,NA\n3,\n4,\n');
    const r = mlops(['train', '--data', p('empty-target.csv'), '--target', 'y', '--out', p('x10a')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("Target 'y' has no values: all 4 rows are missing (empty, NA, null, NaN or None). Fix: fill in the target");
    expect(r.err).not.toContain('found 0 ()');
  });

  test('a single-row CSV says how many rows there are and how many are needed', () => {
    fs.writeFileSync(p('one-row.csv'), 'a,y\n1,3\n');
    const r = mlops(['train', '--data', p('one-row.csv'), '--target', 'y', '--out', p('x10b')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('The data has 1 row; training needs at least 3 (2 to fit on and 1 for the holdout of 0.2). Fix: give more rows.');
    const h0 = mlops(['train', '--data', p('one-row.csv'), '--target', 'y', '--model', 'linear', '--holdout', '0', '--out', p('x10b')]);
    expect(h0.code).toBe(1);
    expect(h0.err).toContain('The data has 1 row; training needs at least 2.');
    expect(h0.err).not.toMatch(/X has no rows|found 1 \(3\)/);
    // One class only: named, with the value.
    fs.writeFileSync(p('one-class.csv'), 'a,y\n1,yes\n2,yes\n3,yes\n4,yes\n');
    expect(mlops(['train', '--data', p('one-class.csv'), '--target', 'y', '--out', p('x10b')]).err).toContain(
      `Classification needs at least 2 classes in target 'y'; it has only one, "yes", in 4 rows.`,
    );
  });

  test('one string in a numeric target names the row and the value (not 100 classes)', () => {
    const lines = regressionCsv(100, 10).split('\n');
    lines[42] = `${lines[42]!.split(',').slice(0, 2).join(',')},oops`;
    fs.writeFileSync(p('one-string.csv'), lines.join('\n'));
    const r = mlops(['train', '--data', p('one-string.csv'), '--target', 'y', '--out', p('x10c')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`Target 'y' looks numeric: 1 of 100 values is not a number (row 42: "oops"). Fix: correct or remove those rows`);
    expect(r.err).not.toMatch(/100 classes|got 100/);
    expect(fs.existsSync(p('x10c'))).toBe(false);
    const reg = mlops(['train', '--data', p('one-string.csv'), '--target', 'y', '--task', 'regression', '--out', p('x10c')]);
    expect(reg.err).toContain(`row 42, target 'y': "oops" is not a number`);
  });

  (typeof process.getuid === 'function' ? test : test.skip)(
    'an unwritable --out of predict and evaluate fails at once with OUTPUT_NOT_WRITABLE, not a raw EACCES after scoring',
    () => {
      const ro = p('read-only');
      fs.mkdirSync(ro);
      fs.chmodSync(ro, 0o555);
      fs.chmodSync(MODEL, 0o755);
      for (const f of fs.readdirSync(MODEL)) fs.chmodSync(path.join(MODEL, f), 0o644);
      fs.chmodSync(REG, 0o644);
      const as: SpawnSyncOptions = isRoot ? { uid: 1000, gid: 1000 } : {};
      for (const [cmd, file, purpose] of [
        ['predict', 'p.csv', 'predictions CSV'],
        ['evaluate', 'e.json', 'metrics JSON'],
      ] as const) {
        const r = mlops([cmd, '--model', MODEL, '--data', REG, '--out', path.join(ro, file)], { as });
        expect(r.code).toBe(1);
        expect(r.err).toContain(`[OUTPUT_NOT_WRITABLE] arg:--out: "${ro}" is not writable by this process`);
        expect(r.err).toContain(`so the ${purpose} could not be written`);
        expect(r.err).toContain(`Nothing was read or written. Fix: give --out a path in a folder you can write, or make "${ro}" writable by`);
        expect(r.err).not.toContain('scoring');
        expect(r.err).not.toMatch(/EACCES: permission denied/);
      }
      // Local train words the fix for a local run too (the check itself is the contracts' OUTPUT_NOT_WRITABLE).
      const t = mlops(['train', '--data', REG, '--target', 'y', '--out', path.join(ro, 'model')], { as });
      expect(t.code).toBe(1);
      expect(t.err).toContain('Nothing was read or trained. Fix: give --out a path in a folder you can write');
    },
  );

  test('a system error reaching the CLI is one sentence in words', () => {
    const e = Object.assign(new Error("EISDIR: illegal operation on a directory, open 'x'"), { code: 'EISDIR', syscall: 'open', path: 'x' });
    expect(describeSystemError(e)).toBe("cannot open 'x': it is a directory");
    const ro = Object.assign(new Error('EROFS'), { code: 'EROFS', syscall: 'rename', path: 'a.tmp', dest: 'a' });
    expect(describeSystemError(ro)).toBe("cannot replace 'a.tmp' (to 'a'): the file system is read-only (EROFS)");
  });
});

describe('item 11: every echoed value, key and path is cut', () => {
  const big = 'x'.repeat(1_000_000);
  beforeAll(() => {
    const lines = ['a,c,y'];
    for (let i = 0; i < 80; i++) lines.push(`${i % 7},${i === 3 ? big : i % 2 ? 'p' : 'q'},${2 * (i % 7) + (i % 2 ? 1 : 5) + (i === 3 ? 9 : 0)}`);
    fs.writeFileSync(p('big.csv'), lines.join('\n') + '\n');
    fs.writeFileSync(p('big.yaml'), 'columns:\n  - { name: a, type: number }\n  - { name: c, type: category, allowed: [p, q] }\n  - { name: y, type: number }\ntarget: y\n');
    fs.writeFileSync(p('big-header.csv'), `a,${big},y\n1,2,3\n`);
    fs.writeFileSync(p('big-number.csv'), `a,b,y\n1,${big},3\n`);
  });

  test('validate: a 1,000,000-character field is cut in the text and the JSON report', () => {
    const r = mlops(['validate', '--data', p('big.csv'), '--contract', p('big.yaml')]);
    expect(r.code).toBe(1);
    expect(r.out.length).toBeLessThan(1000);
    expect(r.out).toContain(`row 4, column 'c': "${'x'.repeat(80)}…" (1000000 characters) is not one of the allowed values (p, q)`);
    const j = mlops(['validate', '--data', p('big.csv'), '--contract', p('big.yaml'), '--json']);
    expect(j.out.length).toBeLessThan(2000);
    expect(JSON.parse(j.out).violations[0].value).toBe(`${'x'.repeat(200)}… (1000000 characters)`);
    const n = mlops(['validate', '--data', p('big-number.csv'), '--contract', p('big.yaml')]);
    expect(n.out.length).toBeLessThan(2000);
    const h = mlops(['validate', '--data', p('big-header.csv'), '--contract', p('big.yaml')]);
    expect(h.out.length).toBeLessThan(2000);
    expect(h.out).toContain(`column '${'x'.repeat(60)}… (1000000 characters)' is not in the contract`);
    const hj = mlops(['validate', '--data', p('big-header.csv'), '--contract', p('big.yaml'), '--json']);
    expect(hj.out.length).toBeLessThan(3000);
    expect(JSON.parse(hj.out).violations[0].column).toBe(`${'x'.repeat(200)}… (1000000 characters)`);
  });

  test("train: the 'Top features' line and errors naming a huge column are cut", () => {
    const r = mlops(['train', '--data', p('big.csv'), '--target', 'y', '--model', 'linear', '--out', p('big-model')]);
    expect(r.code).toBe(0);
    const top = r.out.split('\n').find((l) => l.startsWith('Top features:'))!;
    expect(top.length).toBeLessThan(400);
    expect(top).toContain(`c=${'x'.repeat(58)}… (1000002 characters)`);
    expect(r.out.length + r.err.length).toBeLessThan(4000);
    const t = mlops(['train', '--data', p('big-header.csv'), '--target', big.slice(0, 5000), '--out', p('big-model-2')]);
    expect(t.code).toBe(1);
    expect(t.err.length).toBeLessThan(2000);
    expect(t.err).toContain('(5000 characters)');
  });

  test('the helpers: one way to cut values, keys, paths and lists', () => {
    expect(cut('abcdef', 3)).toBe('abc… (6 characters)');
    expect(cut('abc', 3)).toBe('abc');
    expect(show('a\nb')).toBe('"a\\nb"');
    expect(show('y'.repeat(100), 10)).toBe(`"${'y'.repeat(10)}…" (100 characters)`);
    expect(show(NaN)).toBe('NaN');
    expect(showKey('col')).toBe("'col'");
    expect(showList(['a', 'b', 'c'], 2)).toBe('a, b, … (3 in all)');
    // Never half a surrogate pair.
    expect(cut('ab😀cd', 3)).toBe('ab… (6 characters)');
  });
});

describe('item 12: MAPE on a target with zeros is not defined, with the reason', () => {
  const csv = p('zeros.csv');
  beforeAll(() => fs.writeFileSync(csv, regressionCsv(200, 12, { zeroEvery: 10 })));

  test('train leaves MAPE out of the holdout metrics and says why; metrics.json records the reason', () => {
    const r = mlops(['train', '--data', csv, '--target', 'y', '--model', 'linear', '--out', p('zeros-model')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Holdout \(40 rows, random\): rmse [0-9.]+, mae [0-9.]+, r2 [0-9.]+; mape not defined: MAPE divides by the true value, and \d+ of 40 true values are 0/);
    const m = JSON.parse(fs.readFileSync(p('zeros-model', 'metrics.json'), 'utf8'));
    expect(m.holdout.mape).toBeUndefined();
    expect(m.holdout.notDefined.mape).toMatch(/^MAPE divides by the true value/);
  });

  test('evaluate prints the reason instead of 6.7e13, in text and JSON', () => {
    const r = mlops(['evaluate', '--model', p('zeros-model'), '--data', csv, '--out', p('zeros-eval.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ {2}mape {6}not defined: MAPE divides by the true value, and 20 of 200 true values are 0/);
    expect(r.out).not.toMatch(/e\+1\d/);
    const doc = JSON.parse(fs.readFileSync(p('zeros-eval.json'), 'utf8'));
    expect(doc.metrics.mape).toBeUndefined();
    expect(doc.notDefined.mape).toContain('20 of 200');
  });

  test('a gate on MAPE when it is not defined fails with QUALITY_GATE saying so', () => {
    const r = mlops(['train', '--data', csv, '--target', 'y', '--model', 'linear', '--gate', 'mape<=0.5', '--out', p('zeros-gated')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('[QUALITY_GATE] gate: the model misses the quality gate on its holdout metrics: mape is not defined on this holdout: MAPE divides by the true value');
    expect(fs.existsSync(p('zeros-gated'))).toBe(false);
  });

  test('the metric functions', () => {
    expect(mapeUndefinedReason([1, 2])).toBeNull();
    expect(mapeUndefinedReason([0, 2])).toContain('1 of 2 true values is 0');
    const s = regressionScores([0, 1, 2], [0.01, 1, 2]);
    expect(s.metrics.mape).toBeUndefined();
    expect(Object.keys(s.notDefined)).toEqual(['mape']);
    expect(regressionMetrics([1, 2], [1, 2]).mape).toBe(0);
    const c = classificationScores([1, 1], { rows: 2, cols: 2, data: Float64Array.from([0.2, 0.8, 0.3, 0.7]) });
    expect(c.metrics.roc_auc).toBeUndefined();
    expect(c.notDefined.roc_auc).toContain('at least two classes');
  });
});

describe('item 13: one quality gate, local training included', () => {
  test('local `mlops train --gate` that fails exits 1 with QUALITY_GATE and keeps the model at --out', () => {
    fs.cpSync(MODEL, p('gated'), { recursive: true });
    const before = snapshot(p('gated'));
    const r = mlops(['train', '--data', REG, '--target', 'y', '--model', 'linear', '--gate', 'r2>=0.99999,rmse<=0.0001', '--out', p('gated')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /\[QUALITY_GATE\] gate: the model misses the quality gate on its holdout metrics: r2 [0-9.]+ < minimum 0.99999; rmse [0-9.]+ > maximum 0.0001\. Gate: "r2>=0.99999,rmse<=0.0001"\. It is not published/,
    );
    expect(snapshot(p('gated'))).toEqual(before);
  });

  test('MLOPS_GATE is honoured by a local run, as the contracts README promises', () => {
    fs.cpSync(MODEL, p('gated-env'), { recursive: true });
    const before = snapshot(p('gated-env'));
    const r = mlops(['train', '--data', REG, '--target', 'y', '--model', 'linear', '--out', p('gated-env')], { env: { MLOPS_GATE: 'r2>=0.99999' } });
    expect(r.code).toBe(1);
    expect(r.err).toContain('using MLOPS_GATE from the environment');
    expect(r.err).toContain('[QUALITY_GATE]');
    expect(snapshot(p('gated-env'))).toEqual(before);
  });

  test('a gate that passes says so and writes the model', () => {
    const r = mlops(['train', '--data', REG, '--target', 'y', '--model', 'linear', '--gate', 'r2>=0.9', '--out', p('gated-ok')]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/quality gate passed: r2 0\.9\d+ ≥ minimum 0\.9/);
    expect(fs.existsSync(p('gated-ok', 'manifest.json'))).toBe(true);
  });

  test('a malformed gate, an unknown metric or a gate without a holdout is a usage error before any data is read', () => {
    const bad = mlops(['train', '--data', REG, '--target', 'y', '--gate', 'r2 at least 0.8', '--out', p('g1')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--gate: "r2 at least 0.8" is not metric>=number or metric<=number');
    const typo = mlops(['train', '--data', REG, '--target', 'y', '--gate', 'rsme<=1', '--out', p('g1')]);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('"rsme" in "rsme<=1" is not a metric training records; use one of rmse, mae, mape, r2, roc_auc, accuracy, f1, log_loss');
    const noHoldout = mlops(['train', '--data', REG, '--target', 'y', '--gate', 'r2>=0.5', '--holdout', '0', '--out', p('g1')]);
    expect(noHoldout.code).toBe(2);
    expect(noHoldout.err).toContain('--holdout 0 measures none');
    for (const r of [bad, typo, noHoldout]) expect(r.err).not.toContain('reading ');
  });

  test('the gate check itself (shared by local and contract runs)', () => {
    const { bounds } = parseGate('r2>=0.5,mape<=0.2');
    expect(() => checkGate(bounds, { r2: 0.9, notDefined: { mape: 'zeros' } })).toThrow('mape is not defined on this holdout: zeros');
    expect(checkGate(parseGate('r2>=0.5').bounds, { r2: 0.9 })).toBe('quality gate passed: r2 0.9000 ≥ minimum 0.5');
  });
});
