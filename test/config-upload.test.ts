/**
 * Issue 14, item 17: `deployment.training.upload` is copied into cdktf.out and
 * uploaded to the artifact store, so it stays inside the project (the folder
 * with cdktf.json the synth runs in): no absolute path, no "..", no symbolic
 * link that leaves — unless the one switch `uploadOutsideProject: true` says so.
 */
import { Testing } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CONFIG_FIELDS, parseConfig } from '../lib/config';
import { uploadSourceProblem } from '../lib/config/load';
import { ErrorCode, MlopsValidationError } from '../lib/core/errors';
import { MlPlatformStack } from '../lib/stack';
import { configIssues, onlyConfigIssue, validConfig } from './util';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const URI = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/contoso-mlops-dev@${DIGEST}`;
const withUpload = (training: Record<string, unknown>): Record<string, unknown> => ({
  ...validConfig('aws'),
  deployment: { model: 'bike-demand', image: { uri: URI }, training: { data: 'datasets/bike/hour.csv', hyperparameters: { target: 'cnt' }, ...training } },
});

describe('config: deployment.training.upload stays in the project', () => {
  test.each([
    ['/etc/passwd', 'is an absolute path'],
    ['C:\\Users\\me\\secrets.csv', 'is an absolute path'],
    ['\\\\server\\share\\data.csv', 'is an absolute path'],
    ['../other-repo/data.csv', 'has a ".." segment'],
    ['data/../../../etc/passwd', 'has a ".." segment'],
    ['data\\..\\..\\secrets.csv', 'has a ".." segment'],
  ])('GIVEN upload: %p WHEN validated THEN it is refused with the path, what is accepted and the switch', (upload, what) => {
    const issue = onlyConfigIssue(withUpload({ upload }));
    expect(issue.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(issue.path).toBe('deployment.training.upload');
    expect(issue.message).toContain(`${what}, which may leave the project: got ${JSON.stringify(upload)}`);
    expect(issue.message).toContain('accepted: a file inside the project (the folder with cdktf.json)');
    expect(issue.message).toContain('Fix: copy the file into the project');
    expect(issue.message).toContain('set deployment.training.uploadOutsideProject: true');
  });

  test('GIVEN a relative path inside the project WHEN validated THEN it is accepted as before', () => {
    expect(parseConfig(withUpload({ upload: 'examples/demand-forecast/data/hour.csv' })).deployment!.training.upload).toBe('examples/demand-forecast/data/hour.csv');
  });

  test('GIVEN uploadOutsideProject: true WHEN an absolute path is given THEN it is accepted: the switch says so on purpose', () => {
    const training = parseConfig(withUpload({ upload: '/data/shared/hour.csv', uploadOutsideProject: true })).deployment!.training;
    expect(training.upload).toBe('/data/shared/hour.csv');
    expect(training.uploadOutsideProject).toBe(true);
  });

  test('GIVEN uploadOutsideProject without upload, or as a string WHEN validated THEN it is refused', () => {
    expect(onlyConfigIssue(withUpload({ uploadOutsideProject: true })).message).toContain('has no use without upload');
    const issues = configIssues(withUpload({ upload: '/etc/passwd', uploadOutsideProject: 'yes' }));
    expect(issues.map((i) => i.path).sort()).toEqual(['deployment.training.upload', 'deployment.training.uploadOutsideProject']);
  });

  test('the switch is documented in CONFIG_FIELDS (and so in the README table)', () => {
    const field = CONFIG_FIELDS.find((f) => f.path === 'deployment.training.uploadOutsideProject')!;
    expect(field.default).toBe('false');
    expect(field.description).toContain('the one switch');
    expect(CONFIG_FIELDS.find((f) => f.path === 'deployment.training.upload')!.accepted).toContain('inside the project');
  });
});

describe('symbolic links that leave the project', () => {
  let project: string;
  let outside: string;
  beforeEach(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-upload-project-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-upload-outside-'));
    fs.writeFileSync(path.join(project, 'cdktf.json'), '{}');
    fs.mkdirSync(path.join(project, 'data'));
    fs.writeFileSync(path.join(project, 'data', 'hour.csv'), 'a,b\n1,2\n');
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'token\n');
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(project, 'data', 'leak.csv'));
    fs.symlinkSync(outside, path.join(project, 'shared'));
    fs.symlinkSync(path.join(project, 'data', 'hour.csv'), path.join(project, 'data', 'latest.csv'));
  });
  afterEach(() => {
    fs.rmSync(project, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test.each([
    ['a file link', 'data/leak.csv'],
    ['a folder link', 'shared/secret.csv'],
  ])('GIVEN %s to outside the project WHEN checked at synth THEN it is refused, naming where it leads', (_what, upload) => {
    const issue = uploadSourceProblem(upload, path.join(project, upload), project, undefined)!;
    expect(issue.path).toBe('deployment.training.upload');
    expect(issue.message).toContain(`leaves the project through a symbolic link (it is ${fs.realpathSync(path.join(outside, 'secret.csv'))}, outside ${fs.realpathSync(project)})`);
    expect(issue.message).toContain('uploadOutsideProject: true');
    expect(uploadSourceProblem(upload, path.join(project, upload), project, true)).toBeUndefined();
  });

  test('GIVEN a file, or a link that stays inside WHEN checked THEN it passes; a missing file is left to the upload check', () => {
    for (const upload of ['data/hour.csv', 'data/latest.csv', 'data/missing.csv']) {
      expect(uploadSourceProblem(upload, path.join(project, upload), project, undefined)).toBeUndefined();
    }
  });

  test('GIVEN a stack whose config uploads a link to outside the project WHEN built in that project THEN synth stops with the config error', () => {
    const cwd = process.cwd();
    process.chdir(path.join(project, 'data'));
    try {
      const config = parseConfig(withUpload({ upload: 'data/leak.csv' }));
      let error: unknown;
      try {
        new MlPlatformStack(Testing.app(), 'dev', { config });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(MlopsValidationError);
      expect((error as MlopsValidationError).message).toContain('Invalid stack config of stack dev (1 problem):');
      expect((error as MlopsValidationError).issues[0]!.message).toContain('leaves the project through a symbolic link');
    } finally {
      process.chdir(cwd);
    }
  });
});
