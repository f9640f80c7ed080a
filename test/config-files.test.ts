/**
 * Issue 14, item 14: what a hurried user gives as a stack config — a
 * directory, a symlink to /dev/zero, a huge file, a file named `.yaml` or
 * with a space, two configs with one name, `MLOPS_CONFIG=",,,"` — is refused
 * with the path, what was found, what is accepted and the fix; never a stack
 * trace, a hang or a synth of nothing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadConfig, resolveConfigFiles } from '../lib/config';
import { MAX_CONFIG_BYTES, configStackId } from '../lib/config/load';
import { ErrorCode, MlopsValidationError, ValidationIssue } from '../lib/core/errors';

const CONFIG_DIR = path.join(__dirname, '..', 'stacks', 'config');
const VALID = fs.readFileSync(path.join(CONFIG_DIR, 'dev-aws.yaml'), 'utf8');

function issuesOf(fn: () => unknown): ValidationIssue[] {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof MlopsValidationError)) throw new Error(`expected an MlopsValidationError, got ${String(err)}`);
    return [...err.issues];
  }
  throw new Error('expected a refusal');
}

function onlyIssue(fn: () => unknown): ValidationIssue {
  const issues = issuesOf(fn);
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-config-files-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a config path that is not a readable YAML file', () => {
  test('GIVEN a directory WHEN loaded THEN it is refused as a directory, listing its YAML files (no EISDIR)', () => {
    fs.writeFileSync(path.join(dir, 'prod.yaml'), VALID);
    const issue = onlyIssue(() => loadConfig(dir));
    expect(issue.code).toBe(ErrorCode.CONFIG_NOT_FOUND);
    expect(issue.path).toBe(dir);
    expect(issue.message).toContain('is a directory');
    expect(issue.message).toContain('prod.yaml');
    expect(issue.message).toMatch(/Fix: set MLOPS_CONFIG to a file/);
    expect(issue.message).not.toContain('EISDIR');
  });

  test('GIVEN a symlink to /dev/zero WHEN loaded THEN it is refused at once as a device, naming the link target', () => {
    const link = path.join(dir, 'zero.yaml');
    fs.symlinkSync('/dev/zero', link);
    const issue = onlyIssue(() => loadConfig(link));
    expect(issue.message).toContain('is a character device (a symbolic link to /dev/zero)');
    expect(issue.message).toContain('Fix: point MLOPS_CONFIG at a YAML file');
  });

  test('GIVEN a file larger than 1 MiB WHEN loaded THEN it is refused with its size and the limit, without being parsed', () => {
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, `${VALID}\n# ${'x'.repeat(2 * MAX_CONFIG_BYTES)}\n`);
    const issue = onlyIssue(() => loadConfig(big));
    expect(issue.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(issue.message).toMatch(/is too large: got 2\.0 MiB; accepted: a YAML file of at most 1 MiB/);
    expect(issue.message).toContain('Fix:');
  });

  test('GIVEN a pipe that streams more than 1 MiB WHEN loaded THEN only 1 MiB is read and it is refused', () => {
    if (process.platform === 'win32') return;
    const fifo = path.join(dir, 'pipe.yaml');
    require('child_process').execFileSync('mkfifo', [fifo]);
    // A writer that would stream forever; it gets EPIPE when the reader closes.
    const writer = require('child_process').spawn('sh', ['-c', `yes '# comment' > '${fifo}'`], { stdio: 'ignore' });
    try {
      const issue = onlyIssue(() => loadConfig(fifo));
      expect(issue.message).toMatch(/is too large: got more than 1 MiB/);
    } finally {
      writer.kill();
    }
  });

  test('GIVEN a symlink to a missing file WHEN loaded THEN it says so, naming the target', () => {
    const link = path.join(dir, 'gone.yaml');
    fs.symlinkSync(path.join(dir, 'nowhere.yaml'), link);
    const issue = onlyIssue(() => loadConfig(link));
    expect(issue.code).toBe(ErrorCode.CONFIG_NOT_FOUND);
    expect(issue.message).toContain('which does not exist');
  });

  test('GIVEN a file that is a valid config under a link WHEN loaded THEN it loads', () => {
    fs.writeFileSync(path.join(dir, 'real.yaml'), VALID);
    fs.symlinkSync(path.join(dir, 'real.yaml'), path.join(dir, 'dev.yaml'));
    expect(loadConfig(path.join(dir, 'dev.yaml')).cloud).toBe('aws');
  });
});

describe('file names that cannot name a stack', () => {
  test('GIVEN a file named just .yaml WHEN selected by path THEN it is refused: the stack would have no name', () => {
    const file = path.join(dir, '.yaml');
    fs.writeFileSync(file, VALID);
    const issue = onlyIssue(() => resolveConfigFiles(CONFIG_DIR, undefined, { MLOPS_CONFIG: file }));
    expect(issue.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(issue.path).toBe(file);
    expect(issue.message).toContain('cannot name a stack (the stack is named after the file): got ""');
    expect(issue.message).toContain('Fix: rename the file to <env>-<cloud>.yaml (e.g. dev-aws.yaml)');
  });

  test('GIVEN a folder with a .yaml file WHEN every config of the folder is selected THEN it is refused too', () => {
    fs.writeFileSync(path.join(dir, '.yaml'), VALID);
    fs.writeFileSync(path.join(dir, 'dev.yaml'), VALID);
    const issue = onlyIssue(() => resolveConfigFiles(dir, undefined, {}));
    expect(issue.path).toBe(path.join(dir, '.yaml'));
  });

  test('GIVEN a file name with a space WHEN selected THEN it is refused with the name to rename it to', () => {
    const file = path.join(dir, 'my config.yaml');
    fs.writeFileSync(file, VALID);
    const issue = onlyIssue(() => resolveConfigFiles(CONFIG_DIR, undefined, { MLOPS_CONFIG: file }));
    expect(issue.message).toContain('got "my config"');
    expect(issue.message).toContain('cdktf refuses whitespace and the glob characters');
    expect(issue.message).toContain('Fix: rename the file to my-config.yaml and set MLOPS_CONFIG to the new name');
  });

  test.each(['dev[1].yaml', 'prod*.yaml', '-dev.yaml', '...yaml'])('GIVEN a file named %p WHEN selected THEN it is refused', (name) => {
    const file = path.join(dir, name);
    expect(onlyIssue(() => resolveConfigFiles(CONFIG_DIR, undefined, { MLOPS_CONFIG: file })).message).toContain('cannot name a stack');
  });

  test('the stack is named after the file, .yaml or .yml cut', () => {
    expect(configStackId('/x/dev-aws.yaml')).toBe('dev-aws');
    expect(configStackId('/x/prod.v2.yml')).toBe('prod.v2');
    expect(resolveConfigFiles(CONFIG_DIR, undefined, { MLOPS_CONFIG: path.join(dir, 'prod.v2.yml') })).toEqual([path.join(dir, 'prod.v2.yml')]);
  });
});

describe('two configs for one stack', () => {
  test('GIVEN two files with the same name in different folders WHEN selected THEN both paths are named and a rename is the fix', () => {
    const a = path.join(dir, 'a', 'dev.yaml');
    const b = path.join(dir, 'b', 'dev.yaml');
    const issue = onlyIssue(() => resolveConfigFiles(CONFIG_DIR, undefined, { MLOPS_CONFIG: `${a},${b}` }));
    expect(issue.path).toBe(b);
    expect(issue.message).toContain(`gives the stack name "dev", as ${a} does`);
    expect(issue.message).toContain('Fix: rename one of the two files, e.g. to dev-2.yaml');
  });

  test('GIVEN one name and a path to a file of the same name WHEN selected THEN they clash too', () => {
    const issue = onlyIssue(() => resolveConfigFiles(CONFIG_DIR, undefined, { MLOPS_CONFIG: `dev-aws,${path.join(dir, 'dev-aws.yaml')}` }));
    expect(issue.message).toContain(path.join(CONFIG_DIR, 'dev-aws.yaml'));
  });

  test('GIVEN the same config twice WHEN selected THEN it is refused as listed twice', () => {
    const issue = onlyIssue(() => resolveConfigFiles(CONFIG_DIR, undefined, { MLOPS_CONFIG: 'dev-aws, dev-aws' }));
    expect(issue.message).toContain('is selected twice (in MLOPS_CONFIG)');
    expect(issue.message).toContain('Fix: list it once');
  });
});

describe('a selection of no config', () => {
  test.each([',,,', ' , ', ','])('GIVEN MLOPS_CONFIG=%p WHEN resolved THEN it is an error naming the variable and the fix, not a synth of 0 stacks', (value) => {
    const issue = onlyIssue(() => resolveConfigFiles(CONFIG_DIR, ['dev-aws'], { MLOPS_CONFIG: value }));
    expect(issue.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(issue.path).toBe('MLOPS_CONFIG');
    expect(issue.message).toContain(`names no config: got ${JSON.stringify(value)}`);
    expect(issue.message).toMatch(/Fix: set MLOPS_CONFIG to one or more of dev-aws, dev-azure, .*or unset it/);
  });

  test('GIVEN an empty mlopsConfigs list in cdktf.json WHEN resolved THEN it is an error naming the key', () => {
    const issue = onlyIssue(() => resolveConfigFiles(CONFIG_DIR, [], {}));
    expect(issue.path).toBe('cdktf.json context.mlopsConfigs');
    expect(issue.message).toContain('names no config: got []');
  });

  test('GIVEN mlopsConfigs that is not a list WHEN resolved THEN it is refused, not ignored', () => {
    const issue = onlyIssue(() => resolveConfigFiles(CONFIG_DIR, { dev: true }, {}));
    expect(issue.message).toContain('is not a list of config names');
  });

  test('GIVEN a config folder without YAML files, or no folder WHEN every config is selected THEN it says so', () => {
    expect(onlyIssue(() => resolveConfigFiles(dir, undefined, {})).message).toContain('holds no *.yaml config');
    expect(onlyIssue(() => resolveConfigFiles(path.join(dir, 'missing'), undefined, {})).message).toContain('the config folder cannot be read (ENOENT)');
  });

  test('an empty MLOPS_CONFIG is unset: the cdktf.json list is used', () => {
    expect(resolveConfigFiles(CONFIG_DIR, ['dev-gcp'], { MLOPS_CONFIG: '  ' }).map((f) => path.basename(f))).toEqual(['dev-gcp.yaml']);
  });
});
