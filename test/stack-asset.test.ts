/**
 * StackAsset (lib/private/stack-asset.ts): the runtime image's build context
 * and the training data copied into each synthesized stack folder, where
 * Terraform finds them. Same layout as cdktf's TerraformAsset; a copy that is
 * still exactly what would be written is left in place on the next synth, and
 * anything else about it is written afresh.
 */
import { App, TerraformStack } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StackAsset } from '../lib/private/stack-asset';

// The module object itself (not the `import * as` copy), so spies see the library's copies.
const realFs = require('fs') as typeof fs;

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A source folder: two files (one executable) and a subfolder. */
function sourceDir(): string {
  const dir = tempDir('mlops-asset-src-');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
  fs.writeFileSync(path.join(dir, 'src', 'run.sh'), '#!/bin/sh\n');
  fs.chmodSync(path.join(dir, 'src', 'run.sh'), 0o755);
  // Sources as old as a checked-out tree's: an edit of a copy is then clearly later.
  const hourAgo = new Date(Date.now() - 3600_000);
  for (const file of ['Dockerfile', 'src/run.sh']) fs.utimesSync(path.join(dir, file), hourAgo, hourAgo);
  return dir;
}

interface Synth {
  /** The stack folder. */
  readonly stackDir: string;
  readonly asset: StackAsset;
}

/** Synthesizes an app with one stack holding one asset into `outdir`. */
function synth(outdir: string, source: string, hash: string, type: 'file' | 'directory' = 'directory'): Synth {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'assets');
  const asset = new StackAsset(stack, 'Context', { source, type, hash });
  app.synth();
  return { stackDir: path.join(outdir, 'stacks', 'assets'), asset };
}

function listTree(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? [`${path.posix.join(prefix, e.name)}/`, ...listTree(dir, path.posix.join(prefix, e.name))] : [path.posix.join(prefix, e.name)]))
    .sort();
}

/** Counts the library's file copies. */
function countCopies(): () => number {
  const spy = jest.spyOn(realFs, 'copyFileSync');
  return () => spy.mock.calls.length;
}

describe('StackAsset', () => {
  test("writes a folder where TerraformAsset would (assets/<logical id>/<hash>), with the files' modes", () => {
    const out = tempDir('cdktf.outdir.asset-');
    const { stackDir, asset } = synth(out, sourceDir(), 'abc123');
    expect(asset.path).toMatch(/^assets\/Context\/abc123$/);
    const copy = path.join(stackDir, asset.path);
    expect(listTree(copy)).toEqual(['Dockerfile', 'src/', 'src/run.sh']);
    expect(fs.statSync(path.join(copy, 'src', 'run.sh')).mode & 0o111).not.toBe(0);
    expect(fs.statSync(path.join(copy, 'Dockerfile')).mode & 0o111).toBe(0);
  });

  test('writes a file as assets/<id>/<hash>/<name>', () => {
    const out = tempDir('cdktf.outdir.asset-');
    const source = path.join(sourceDir(), 'Dockerfile');
    const { stackDir, asset } = synth(out, source, 'F1LE', 'file');
    expect(asset.path).toMatch(/^assets\/Context\/F1LE\/Dockerfile$/);
    expect(fs.readFileSync(path.join(stackDir, asset.path), 'utf8')).toBe('FROM scratch\n');
    expect(listTree(path.dirname(path.join(stackDir, asset.path)))).toEqual(['Dockerfile']);
  });

  test('leaves an up-to-date copy in place on the next synth', () => {
    const out = tempDir('cdktf.outdir.asset-');
    const source = sourceDir();
    synth(out, source, 'abc123');
    const copies = countCopies();
    const { stackDir, asset } = synth(out, source, 'abc123');
    expect(copies()).toBe(0);
    expect(listTree(path.join(stackDir, asset.path))).toEqual(['Dockerfile', 'src/', 'src/run.sh']);
  });

  test.each([
    ['a copied file edited at the same size', (copy: string) => fs.writeFileSync(path.join(copy, 'Dockerfile'), 'FROM scritch\n')],
    ['a copied file removed', (copy: string) => fs.rmSync(path.join(copy, 'src', 'run.sh'))],
    ['a file added to the copy', (copy: string) => fs.writeFileSync(path.join(copy, 'src', 'extra.txt'), 'x')],
    ['a folder added to the copy', (copy: string) => fs.mkdirSync(path.join(copy, 'more'))],
    ['an execute bit removed from the copy', (copy: string) => fs.chmodSync(path.join(copy, 'src', 'run.sh'), 0o644)],
  ])('writes the copy afresh after %s', (_what, change) => {
    const out = tempDir('cdktf.outdir.asset-');
    const source = sourceDir();
    const first = synth(out, source, 'abc123');
    const copy = path.join(first.stackDir, first.asset.path);
    change(copy);
    synth(out, source, 'abc123');
    expect(listTree(copy)).toEqual(['Dockerfile', 'src/', 'src/run.sh']);
    expect(fs.readFileSync(path.join(copy, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
    expect(fs.statSync(path.join(copy, 'src', 'run.sh')).mode & 0o111).not.toBe(0);
  });

  test('writes the copy afresh when the source changed under the same hash', () => {
    const out = tempDir('cdktf.outdir.asset-');
    const source = sourceDir();
    const first = synth(out, source, 'abc123');
    fs.writeFileSync(path.join(source, 'Dockerfile'), 'FROM alpine\n');
    synth(out, source, 'abc123');
    expect(fs.readFileSync(path.join(first.stackDir, first.asset.path, 'Dockerfile'), 'utf8')).toBe('FROM alpine\n');
  });

  test('keeps only the current hash: a new hash replaces the old folder', () => {
    const out = tempDir('cdktf.outdir.asset-');
    const source = sourceDir();
    const first = synth(out, source, 'abc123');
    const folder = path.dirname(path.join(first.stackDir, first.asset.path));
    fs.mkdirSync(path.join(folder, 'stale'));
    synth(out, source, 'abc123');
    expect(fs.readdirSync(folder)).toEqual(['abc123']);
    fs.writeFileSync(path.join(source, 'Dockerfile'), 'FROM alpine\n');
    synth(out, source, 'def456');
    expect(fs.readdirSync(folder)).toEqual(['def456']);
  });

  test('with link, hard-links the files of a source nothing writes to, keeping the modes', () => {
    const out = tempDir('cdktf.outdir.asset-');
    const source = sourceDir();
    const app = new App({ outdir: out });
    const asset = new StackAsset(new TerraformStack(app, 'assets'), 'Context', { source, type: 'directory', hash: 'abc123', link: true });
    app.synth();
    const copy = path.join(out, 'stacks', 'assets', asset.path);
    for (const file of ['Dockerfile', 'src/run.sh']) expect(fs.statSync(path.join(copy, file)).ino).toBe(fs.statSync(path.join(source, file)).ino);
    expect(fs.statSync(path.join(copy, 'src', 'run.sh')).mode & 0o111).not.toBe(0);
  });

  test('with link, copies where the file system refuses a link (another device), keeping the mtimes', () => {
    const out = tempDir('cdktf.outdir.asset-');
    const source = sourceDir();
    jest.spyOn(realFs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
    });
    const app = new App({ outdir: out });
    const asset = new StackAsset(new TerraformStack(app, 'assets'), 'Context', { source, type: 'directory', hash: 'abc123', link: true });
    app.synth();
    const copy = path.join(out, 'stacks', 'assets', asset.path, 'Dockerfile');
    const original = path.join(source, 'Dockerfile');
    expect(fs.statSync(copy).ino).not.toBe(fs.statSync(original).ino);
    expect(fs.readFileSync(copy, 'utf8')).toBe('FROM scratch\n');
    expect(Math.abs(fs.statSync(copy).mtimeMs - fs.statSync(original).mtimeMs)).toBeLessThan(1);
  });

  test('fails validation when the stack synthesizer is replaced after the asset was added', () => {
    const app = new App({ outdir: tempDir('cdktf.outdir.asset-') });
    const stack = new TerraformStack(app, 'assets');
    const cdktfDefault = stack.synthesizer;
    new StackAsset(stack, 'Context', { source: sourceDir(), type: 'directory', hash: 'abc123' });
    // A synthesizer set later around the one it saved first: the asset's writer is dropped.
    stack.synthesizer = { synthesize: (session) => cdktfDefault.synthesize(session) };
    expect(() => app.synth()).toThrow(/MLOPS_PROP_INVALID.*assets\/Context.*stack\.synthesizer was replaced/s);
  });
});
