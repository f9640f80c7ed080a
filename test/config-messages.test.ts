/**
 * Issue 14, item 16: a config that is not a mapping (an empty file, only
 * comments, a list, a scalar) gets a message that says what the file holds,
 * what is expected and where to start — not zod's "expected object, received
 * undefined"; `.inf` and `.nan` are shown as such, not as `null`; a huge key,
 * value or path is echoed cut, and the "did you mean" suggestion still works.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadConfig, parseConfig } from '../lib/config';
import { ErrorCode, MlopsValidationError, ValidationIssue } from '../lib/core/errors';
import { configIssues, onlyConfigIssue, validConfig } from './util';

const VALID = fs.readFileSync(path.join(__dirname, '..', 'stacks', 'config', 'dev-aws.yaml'), 'utf8');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-config-messages-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function loadIssues(text: string): { error: MlopsValidationError; issues: ValidationIssue[] } {
  const file = path.join(dir, 'dev.yaml');
  fs.writeFileSync(file, text);
  try {
    loadConfig(file);
  } catch (err) {
    expect(err).toBeInstanceOf(MlopsValidationError);
    return { error: err as MlopsValidationError, issues: [...(err as MlopsValidationError).issues] };
  }
  throw new Error('expected the config to be refused');
}

describe('a config that is not a mapping', () => {
  test.each([
    ['an empty file', '', 'is empty: got an empty file'],
    ['a file of blank lines', '\n  \n', 'is empty: got an empty file'],
    ['a comment-only file', '# dev config, to do\n# cloud: aws\n', 'holds no keys: got only comments (or document markers)'],
    ['a document marker only', '---\n# nothing yet\n', 'holds no keys: got only comments (or document markers)'],
    ['a top-level list', '- cloud: aws\n- region: eu-west-1\n', 'is not a mapping: got a list [{"cloud":"aws"},{"region":"eu-west-1"}]'],
    ['a string', 'cloud aws region eu-west-1\n', 'is not a mapping: got a string "cloud aws region eu-west-1"'],
    ['a number', '42\n', 'is not a mapping: got a number 42'],
    ['null', '~\n', 'is not a mapping: got null'],
  ])('GIVEN %s WHEN loaded THEN one top-level problem says what the file holds, what is expected and where to start', (_what, text, expected) => {
    const { error, issues } = loadIssues(text);
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(issue.path).toBe('(top level)');
    expect(issue.message).toContain(expected);
    expect(issue.message).toContain("accepted: a mapping with cloud, naming, region and the cloud's account section (azure:, aws:, gcp:), optionally tags, compute, network");
    expect(issue.message).toContain('Fix: start from a shipped config, stacks/config/dev-<cloud>.yaml');
    expect(error.message).not.toMatch(/Invalid input|expected object|received/);
  });

  test('GIVEN no value at all in code WHEN validated THEN the same message says it got nothing', () => {
    const issue = onlyConfigIssue(undefined);
    expect(issue.path).toBe('(top level)');
    expect(issue.message).toMatch(/^is not a mapping: got nothing; accepted: a mapping/);
    expect(() => parseConfig(['cloud'])).toThrow(/got a list \["cloud"\]/);
  });
});

describe('non-finite numbers', () => {
  test.each([
    ['.inf', 'Infinity'],
    ['-.inf', '-Infinity'],
    ['.nan', 'NaN'],
  ])('GIVEN maxNodes: %s WHEN loaded THEN the message shows %s, not null', (yaml, shown) => {
    const { issues } = loadIssues(VALID.replace('    maxNodes: 4', `    maxNodes: ${yaml}`));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('compute.training.maxNodes');
    expect(issues[0]!.message).toContain(`got ${shown};`);
    expect(issues[0]!.message).not.toContain('got null');
    expect(issues[0]!.message).toContain('accepted: an integer from 1 to 100');
  });
});

describe('huge keys, values and paths are echoed cut', () => {
  const MB = 1024 * 1024;

  test('GIVEN a 0.9 MB unknown key WHEN loaded (a file is at most 1 MiB) THEN the path is cut and the message is short', () => {
    const key = `k${'x'.repeat(0.9 * MB)}`;
    const { error, issues } = loadIssues(`${VALID}${key}: 1\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path.length).toBeLessThanOrEqual(42);
    expect(issues[0]!.path).toMatch(/^"kxxx.*\.\.\.$/);
    expect(issues[0]!.message).toContain('is not a known key');
    expect(issues[0]!.message).toContain('Fix: remove it');
    expect(error.message.length).toBeLessThan(1000);
  });

  test('GIVEN a 1 MB unknown key under naming, and a 1 MB tag key WHEN validated THEN each path is cut', () => {
    const key = 'y'.repeat(MB);
    const issues = configIssues({ ...validConfig(), naming: { ...validConfig().naming, [key]: 'a' }, tags: { [key]: 'v' } });
    expect(issues.map((i) => i.path.length)).toEqual([expect.any(Number), expect.any(Number)]);
    for (const issue of issues) {
      expect(issue.path.length).toBeLessThan(60);
      expect(issue.message.length).toBeLessThan(600);
    }
    expect(issues.map((i) => i.path.split('.')[0])).toEqual(expect.arrayContaining(['naming', 'tags']));
  });

  test('GIVEN a 1 MB value WHEN validated THEN it is echoed cut', () => {
    const issue = onlyConfigIssue({ ...validConfig(), region: 'r'.repeat(MB) });
    expect(issue.message.length).toBeLessThan(600);
    expect(issue.message).toContain('...');
  });

  test('GIVEN a 0.9 MB alias name that is not defined WHEN loaded THEN the YAML error is cut', () => {
    const { error } = loadIssues(`${VALID}extra: *${'a'.repeat(0.9 * MB)}\n`);
    expect(error.issues[0]!.code).toBe(ErrorCode.CONFIG_YAML);
    expect(error.message.length).toBeLessThan(1000);
  });

  test('the "did you mean" suggestion still works for a misspelt key', () => {
    const { issues } = loadIssues(VALID.replace(/^region:/m, 'regoin:').replace(/^deployers:/m, 'deployer:'));
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath.regoin).toContain("Fix: rename it to 'region'");
    expect(byPath.deployer).toContain("Fix: rename it to 'deployers'");
  });
});
