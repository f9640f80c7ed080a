/**
 * The repository's toolchain: Biome (biome.jsonc) formats and lints the three
 * packages and `npm test` runs it first (`npm run lint`); the packages' tsconfig
 * files share tsconfig.base.json, except the runtime image's build tsconfig,
 * which ships in the runtime package and so stands alone.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const BIOME = path.join(ROOT, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');

describe('npm run lint (Biome)', () => {
  test('runs first in npm test, as biome ci (format and lint, warnings fail)', () => {
    expect(PKG.scripts.lint).toBe('biome ci --error-on-warnings .');
    expect(PKG.scripts.test).toMatch(/^npm run --silent lint && /);
    expect(PKG.devDependencies['@biomejs/biome']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  /** `npm run lint`'s command on a folder holding the repository's biome.jsonc and the given files. */
  const lint = (files: Record<string, string>): { status: number | null; output: string } => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-lint-'));
    try {
      fs.copyFileSync(path.join(ROOT, 'biome.jsonc'), path.join(dir, 'biome.jsonc'));
      for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      const r = spawnSync(process.execPath, [BIOME, 'ci', '--error-on-warnings', '--vcs-enabled=false', '--colors=off', '.'], { cwd: dir, encoding: 'utf8' });
      return { status: r.status, output: `${r.stdout}${r.stderr}` };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const CLEAN = "import * as fs from 'fs';\n\nexport const exists = (file: string): boolean => fs.existsSync(file);\n";

  test('passes code in the repository style', () => {
    const r = lint({ 'lib/clean.ts': CLEAN, 'training-image/src/clean.ts': CLEAN, 'release/src/clean.ts': CLEAN });
    expect(r.output).toContain('Checked 4 files');
    expect(r.status).toBe(0);
  });

  test.each([
    ['double quotes', 'export const s = "text";\n'],
    ['a missing semicolon', "export const s = 'text'\n"],
    ['four-space indentation', 'export function f(): number {\n    return 1;\n}\n'],
  ])('fails on a formatting violation: %s', (_what, text) => {
    const r = lint({ 'training-image/src/bad.ts': text });
    expect(r.output).toContain('File content differs from formatting output');
    expect(r.status).not.toBe(0);
  });

  test.each([
    ['==', 'lint/suspicious/noDoubleEquals', 'export const one = (a: number): boolean => a == 1;\n'],
    ['an unused variable (a warning)', 'lint/correctness/noUnusedVariables', 'export function f(): number {\n  const unused = 2;\n  return 1;\n}\n'],
    ['debugger', 'lint/suspicious/noDebugger', 'export function f(): void {\n  debugger;\n}\n'],
  ])('fails on a lint violation: %s', (_what, rule, text) => {
    const r = lint({ 'release/src/bad.ts': text });
    expect(r.output).toContain(rule);
    expect(r.status).not.toBe(0);
  });
});

describe('tsconfig files', () => {
  const read = (rel: string): { extends?: string; compilerOptions: Record<string, unknown> } => {
    const r = ts.readConfigFile(path.join(ROOT, rel), ts.sys.readFile);
    if (r.error) throw new Error(`${rel}: ${ts.flattenDiagnosticMessageText(r.error.messageText, '\n')}`);
    return r.config;
  };
  const base = read('tsconfig.base.json').compilerOptions;

  test.each([
    ['tsconfig.json', './tsconfig.base.json'],
    ['training-image/tsconfig.json', '../tsconfig.base.json'],
    ['release/tsconfig.json', '../tsconfig.base.json'],
  ])('%s extends tsconfig.base.json and sets only its own paths', (rel, ext) => {
    const config = read(rel);
    expect(config.extends).toBe(ext);
    expect(Object.keys(config.compilerOptions).filter((k) => !['outDir', 'rootDir', 'tsBuildInfoFile', 'baseUrl', 'paths'].includes(k))).toEqual([]);
  });

  test('training-image/tsconfig.build.json (shipped, the image build) stands alone with the shared options', () => {
    const build = read('training-image/tsconfig.build.json');
    expect(build.extends).toBeUndefined();
    // The image build compiles src/ once: no incremental state, no jest types.
    const expected = { ...base, outDir: 'dist', rootDir: '.', types: ['node'] } as Record<string, unknown>;
    delete expected.incremental;
    expect(build.compilerOptions).toEqual(expected);
  });
});
