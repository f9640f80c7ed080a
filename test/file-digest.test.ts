/**
 * The per-process digest cache (lib/private/file-digest.ts) that lets the
 * stacks of one synth share the hash of the runtime image's build context and
 * of the training data: an entry is reused only while the file is unchanged,
 * so a changed file always gets a new hash (and the image a new tag).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RACY_MS, fileDigest } from '../lib/private/file-digest';

// The module object itself (not the `import * as` copy), so spies see the library's reads.
const realFs = require('fs') as typeof fs;

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

function tempFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-digest-test-'));
  made.push(dir);
  const file = path.join(dir, 'data.txt');
  fs.writeFileSync(file, text);
  return file;
}

const sha256 = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** Counts the library's reads of `file`. */
function countReads(file: string): () => number {
  const spy = jest.spyOn(realFs, 'readFileSync');
  return () => spy.mock.calls.filter(([p]) => p === file).length;
}

/** Makes every file look older than the racy window, as files of a checked-out tree are. */
function later(): void {
  const now = Date.now() + 60_000;
  jest.spyOn(Date, 'now').mockReturnValue(now);
}

describe('fileDigest', () => {
  test('is the sha256 or md5 of the content', () => {
    const file = tempFile('hello\n');
    expect(fileDigest(file, 'sha256')).toBe(sha256('hello\n'));
    expect(fileDigest(file, 'md5')).toBe(crypto.createHash('md5').update('hello\n').digest('hex'));
  });

  test('reads an unchanged file once per process', () => {
    const file = tempFile('hello\n');
    later();
    const reads = countReads(file);
    fileDigest(file, 'sha256');
    fileDigest(file, 'sha256');
    fileDigest(path.relative(process.cwd(), file), 'sha256');
    expect(reads()).toBe(1);
  });

  test('reads a file again while its last change is within the racy window', () => {
    const file = tempFile('hello\n');
    const reads = countReads(file);
    fileDigest(file, 'sha256');
    fileDigest(file, 'sha256');
    expect(Date.now() - fs.statSync(file).ctimeMs).toBeLessThan(RACY_MS);
    expect(reads()).toBe(2);
  });

  test('a new content of the same size, with a new mtime, gets a new digest', () => {
    const file = tempFile('hello\n');
    later();
    fileDigest(file, 'sha256');
    fs.writeFileSync(file, 'HELLO\n');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(fileDigest(file, 'sha256')).toBe(sha256('HELLO\n'));
  });

  test('a new size with the old mtime put back gets a new digest', () => {
    const file = tempFile('hello\n');
    const { atime, mtimeMs } = fs.statSync(file);
    later();
    fileDigest(file, 'sha256');
    fs.appendFileSync(file, 'more\n');
    fs.utimesSync(file, atime, mtimeMs / 1000);
    expect(Math.abs(fs.statSync(file).mtimeMs - mtimeMs)).toBeLessThan(1);
    expect(fileDigest(file, 'sha256')).toBe(sha256('hello\nmore\n'));
  });

  test('the same size and mtime put back still gets a new digest (ctime changed)', () => {
    const file = tempFile('hello\n');
    const { atime, mtimeMs } = fs.statSync(file);
    later();
    fileDigest(file, 'sha256');
    fs.writeFileSync(file, 'jello\n');
    fs.utimesSync(file, atime, mtimeMs / 1000);
    expect(fileDigest(file, 'sha256')).toBe(sha256('jello\n'));
  });

  test('a file replaced by another one (rename) gets the new digest', () => {
    const file = tempFile('hello\n');
    later();
    fileDigest(file, 'sha256');
    const other = path.join(path.dirname(file), 'other.txt');
    fs.writeFileSync(other, 'hullo\n');
    const { atime, mtime } = fs.statSync(file);
    fs.utimesSync(other, atime, mtime);
    fs.renameSync(other, file);
    expect(fileDigest(file, 'sha256')).toBe(sha256('hullo\n'));
  });

  test('keeps sha256 and md5 apart', () => {
    const file = tempFile('hello\n');
    later();
    const md5 = fileDigest(file, 'md5');
    expect(fileDigest(file, 'sha256')).not.toBe(md5);
    expect(fileDigest(file, 'md5')).toBe(md5);
  });
});
