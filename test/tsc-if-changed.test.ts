/**
 * scripts/tsc-if-changed.cjs, the build step of `npm run synth`: `tsc -b`,
 * skipped only while nothing the build reads has changed. Each case builds a
 * small project in a temp folder with the repository's TypeScript.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.resolve(__dirname, '..', 'scripts', 'tsc-if-changed.cjs');
const BUILT = 'inputs changed, or no stamp: tsc -b';
const SKIPPED = 'no input changed since the last build: tsc -b skipped';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'commonjs',
    strict: true,
    outDir: 'dist',
    rootDir: '.',
    incremental: true,
    tsBuildInfoFile: 'dist/.tsbuildinfo',
    types: [],
    skipLibCheck: true,
  },
  include: ['src/**/*.ts'],
};

/** A project whose src/a.ts imports other/b.ts, outside the include folder. */
function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-tsc-if-changed-'));
  made.push(dir);
  fs.mkdirSync(path.join(dir, 'src'));
  fs.mkdirSync(path.join(dir, 'other'));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"fixture","private":true}\n');
  fs.writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion":3}\n');
  fs.writeFileSync(path.join(dir, 'src', 'a.ts'), "import { b } from '../other/b';\nexport const a = b + 1;\n");
  fs.writeFileSync(path.join(dir, 'other', 'b.ts'), 'export const b = 1;\n');
  return dir;
}

function run(dir: string): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [SCRIPT, '--verbose'], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout + r.stderr };
}

/** Builds until the stamp describes the build (a first build has no list of what it read yet). */
function built(dir: string): string {
  expect(run(dir)).toEqual({ status: 0, stdout: expect.stringContaining(BUILT) });
  expect(run(dir)).toEqual({ status: 0, stdout: expect.stringContaining(BUILT) });
  expect(run(dir)).toEqual({ status: 0, stdout: expect.stringContaining(SKIPPED) });
  return dir;
}

const read = (dir: string, rel: string): string => fs.readFileSync(path.join(dir, rel), 'utf8');

/** Rewrites a file at the same size and puts its mtime back: only ctime (and content) tell. */
function rewriteSameStats(file: string, text: string): void {
  const { atime, mtimeMs, size } = fs.statSync(file);
  expect(Buffer.byteLength(text)).toBe(size);
  fs.writeFileSync(file, text);
  fs.utimesSync(file, atime, mtimeMs / 1000);
}

describe('tsc-if-changed', () => {
  test('builds, then skips tsc while nothing changed', () => {
    const dir = built(project());
    expect(read(dir, 'dist/src/a.js')).toContain('b + 1');
    expect(run(dir).stdout).toContain(SKIPPED);
  });

  test.each([
    ['a source edited', (dir: string) => fs.writeFileSync(path.join(dir, 'src', 'a.ts'), "import { b } from '../other/b';\nexport const a = b + 20;\n"), 'dist/src/a.js', 'b + 20'],
    ['a source added', (dir: string) => fs.writeFileSync(path.join(dir, 'src', 'c.ts'), 'export const c = 3;\n'), 'dist/src/c.js', 'c = 3'],
    [
      'the tsconfig',
      (dir: string) => fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, compilerOptions: { ...TSCONFIG.compilerOptions, target: 'ES5' } })),
      'dist/src/a.js',
      'var',
    ],
  ])('builds again after %s', (_what, change, output, expected) => {
    const dir = built(project());
    change(dir);
    expect(run(dir)).toEqual({ status: 0, stdout: expect.stringContaining(BUILT) });
    expect(read(dir, output)).toContain(expected);
  });

  // What tsc -b then does is its own rule: it compares the mtimes of the tsconfig's
  // include files with its build info's, so it finds the first two up to date.
  test.each([
    [
      'a source rewritten at the same size and mtime',
      (dir: string) => rewriteSameStats(path.join(dir, 'src', 'a.ts'), "import { b } from '../other/b';\nexport const a = b + 2;\n"),
    ],
    ['an imported file outside the include folders edited', (dir: string) => fs.writeFileSync(path.join(dir, 'other', 'b.ts'), 'export const b = 42;\n')],
    ['a source removed', (dir: string) => fs.rmSync(path.join(dir, 'src', 'c.ts'))],
    ['package-lock.json touched', (dir: string) => fs.appendFileSync(path.join(dir, 'package-lock.json'), '\n')],
    ['the build info deleted', (dir: string) => fs.rmSync(path.join(dir, 'dist', '.tsbuildinfo'))],
  ])('runs tsc -b again after %s', (_what, change) => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'src', 'c.ts'), 'export const c = 3;\n');
    built(dir);
    change(dir);
    expect(run(dir)).toEqual({ status: 0, stdout: expect.stringContaining(BUILT) });
  });

  test('a failed build is not stamped: the next run builds again', () => {
    const dir = built(project());
    fs.writeFileSync(path.join(dir, 'src', 'a.ts'), 'export const a: number = "one";\n');
    expect(run(dir).status).not.toBe(0);
    expect(run(dir).stdout).toContain(BUILT);
  });

  test('follows a relative extends (JSON with comments): editing the base builds again', () => {
    const dir = project();
    const { outDir, tsBuildInfoFile, ...shared } = TSCONFIG.compilerOptions;
    const base = (target: string) => `// shared options\n{\n  "compilerOptions": ${JSON.stringify({ ...shared, target })}, /* trailing comma */\n}\n`;
    fs.writeFileSync(path.join(dir, 'base.json'), base('ES2022'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: './base.json', compilerOptions: { outDir, tsBuildInfoFile }, include: TSCONFIG.include }));
    built(dir);
    fs.writeFileSync(path.join(dir, 'base.json'), base('ES5'));
    expect(run(dir)).toEqual({ status: 0, stdout: expect.stringContaining(BUILT) });
    expect(read(dir, 'dist/src/a.js')).toContain('var');
  });

  test('a tsconfig it cannot follow (extends of a package) is always built', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: 'some-package/tsconfig.json', ...TSCONFIG }));
    for (let i = 0; i < 2; i++) expect(run(dir).stdout).toContain('a tsconfig this check does not follow: tsc -b');
  });

  test('checks several tsconfig files in turn in one process, and stops at a failed build', () => {
    const a = project();
    const b = project();
    const both = () => {
      const r = spawnSync(process.execPath, [SCRIPT, '--verbose', path.join(a, 'tsconfig.json'), path.join(b, 'tsconfig.json')], { encoding: 'utf8' });
      return { status: r.status, lines: (r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('tsc-if-changed:')) };
    };
    for (let i = 0; i < 2; i++) expect(both().lines).toEqual([`tsc-if-changed: ${BUILT}`, `tsc-if-changed: ${BUILT}`]);
    expect(both()).toEqual({ status: 0, lines: [`tsc-if-changed: ${SKIPPED}`, `tsc-if-changed: ${SKIPPED}`] });
    fs.writeFileSync(path.join(b, 'src', 'a.ts'), 'export const a = 2;\n');
    expect(both().lines).toEqual([`tsc-if-changed: ${SKIPPED}`, `tsc-if-changed: ${BUILT}`]);
    fs.writeFileSync(path.join(a, 'src', 'a.ts'), 'export const a: number = "one";\n');
    const failed = both();
    expect(failed.status).not.toBe(0);
    expect(failed.lines).toEqual([`tsc-if-changed: ${BUILT}`]);
  });

  test('--then runs the built script in the same process after the check, and not after a failed build', () => {
    const dir = built(project());
    // The script reports its argv and whether the check's module is loaded in its process.
    fs.writeFileSync(
      path.join(dir, 'then.js'),
      "require('fs').writeFileSync(__dirname + '/then.json', JSON.stringify({ argv: process.argv.slice(1), sameProcess: Object.keys(require.cache).some((f) => f.endsWith('tsc-if-changed.cjs')) }));\n",
    );
    const then = () => spawnSync(process.execPath, [SCRIPT, '--verbose', '--then', 'then.js'], { cwd: dir, encoding: 'utf8' });
    const ok = then();
    expect(ok.stdout).toContain(SKIPPED);
    expect(ok.status).toBe(0);
    expect(JSON.parse(read(dir, 'then.json'))).toEqual({ argv: [path.join(fs.realpathSync(dir), 'then.js')], sameProcess: true });
    fs.rmSync(path.join(dir, 'then.json'));
    fs.writeFileSync(path.join(dir, 'src', 'a.ts'), 'export const a: number = "one";\n');
    expect(then().status).not.toBe(0);
    expect(fs.existsSync(path.join(dir, 'then.json'))).toBe(false);
    const missing = spawnSync(process.execPath, [SCRIPT, '--then'], { cwd: dir, encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--then needs the script to run after the build');
  });

  test('prunes the outputs of a deleted source after it builds', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'src', 'c.ts'), 'export const c = 3;\n');
    built(dir);
    expect(fs.existsSync(path.join(dir, 'dist', 'src', 'c.js'))).toBe(true);
    fs.rmSync(path.join(dir, 'src', 'c.ts'));
    expect(run(dir).stdout).toContain('removed');
    expect(fs.existsSync(path.join(dir, 'dist', 'src', 'c.js'))).toBe(false);
  });
});
