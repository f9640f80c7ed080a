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

describe('fileDigest between processes', () => {
  const LIB = path.resolve(__dirname, '..', 'dist', 'lib', 'private', 'file-digest.js');

  /** A fresh Node process (the built library) that hashes `files` and reports the digests and which files it read. */
  function hashIn(cacheFile: string, files: string[]): { digests: string[]; read: string[] } {
    const script = `
      const fs = require('fs');
      const read = [];
      const orig = fs.readFileSync;
      fs.readFileSync = function (p, ...rest) { if (${JSON.stringify(files)}.includes(p)) read.push(p); return orig.call(this, p, ...rest); };
      const { fileDigest } = require(${JSON.stringify(LIB)});
      const digests = ${JSON.stringify(files)}.map((f) => fileDigest(f, 'sha256'));
      process.stdout.write(JSON.stringify({ digests, read }));`;
    const r = require('child_process').spawnSync(process.execPath, ['-e', script], { env: { ...process.env, MLOPS_DIGEST_CACHE: cacheFile }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  }

  /** A file last changed `ago` ms before now (its ctime is now: the racy window is measured on ctime, so wait it out). */
  function settledFiles(n: number): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-digest-kept-'));
    made.push(dir);
    return Array.from({ length: n }, (_, i) => {
      const file = path.join(dir, `f${i}.txt`);
      fs.writeFileSync(file, `content ${i}\n`);
      return file;
    });
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('the next process reuses the digests of unchanged files without reading them, and re-reads a changed one', async () => {
    const files = settledFiles(2);
    const cacheFile = path.join(path.dirname(files[0]!), 'cache', 'digests.json');
    // Racy at first: hashed, not kept.
    expect(hashIn(cacheFile, files).read).toEqual(files);
    expect(fs.existsSync(cacheFile)).toBe(false);
    await sleep(RACY_MS + 100);
    expect(hashIn(cacheFile, files)).toEqual({ digests: [sha256('content 0\n'), sha256('content 1\n')], read: files });
    expect(JSON.parse(fs.readFileSync(cacheFile, 'utf8')).entries).toHaveLength(2);
    expect(hashIn(cacheFile, files)).toEqual({ digests: [sha256('content 0\n'), sha256('content 1\n')], read: [] });
    // A change (same size, mtime put back) is seen by its ctime.
    const { atime, mtimeMs } = fs.statSync(files[1]!);
    fs.writeFileSync(files[1]!, 'CONTENT 1\n');
    fs.utimesSync(files[1]!, atime, mtimeMs / 1000);
    expect(hashIn(cacheFile, files)).toEqual({ digests: [sha256('content 0\n'), sha256('CONTENT 1\n')], read: [files[1]] });
  }, 20_000);

  test('keeps only the files the last process hashed; a malformed or unwritable cache is ignored; off keeps none', async () => {
    const files = settledFiles(2);
    const dir = path.dirname(files[0]!);
    const cacheFile = path.join(dir, 'digests.json');
    await sleep(RACY_MS + 100);
    hashIn(cacheFile, files);
    hashIn(cacheFile, [files[0]!]);
    expect(JSON.parse(fs.readFileSync(cacheFile, 'utf8')).entries.map((e: { key: string }) => e.key)).toEqual([`sha256\0${files[0]}`]);
    fs.writeFileSync(cacheFile, '{not json');
    expect(hashIn(cacheFile, files)).toEqual({ digests: [sha256('content 0\n'), sha256('content 1\n')], read: files });
    // A cache path under a file (cannot be created): digests as usual, nothing written.
    expect(hashIn(path.join(files[0]!, 'x', 'digests.json'), files).digests).toEqual([sha256('content 0\n'), sha256('content 1\n')]);
    const before = fs.readdirSync(dir).sort();
    expect(hashIn('off', files).read).toEqual(files);
    expect(hashIn('off', files).read).toEqual(files);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  }, 20_000);
});
