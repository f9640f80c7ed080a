/**
 * `tsc -b` never deletes: scripts/prune-dist.js removes the outputs of deleted
 * sources so that `npm pack` does not ship them (a packed runtime once carried
 * dist/src/cli/data.js after data loading moved to src/data/load.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const { prune } = require(path.resolve(__dirname, '..', 'scripts', 'prune-dist.js')) as { prune: (pkg: string) => string[] };

describe('prune-dist', () => {
  let pkg: string;
  const write = (rel: string): void => {
    fs.mkdirSync(path.dirname(path.join(pkg, rel)), { recursive: true });
    fs.writeFileSync(path.join(pkg, rel), '');
  };
  beforeEach(() => {
    pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-prune-'));
  });
  afterEach(() => fs.rmSync(pkg, { recursive: true, force: true }));

  test('GIVEN outputs of a moved source WHEN pruned THEN they go, and outputs of live sources and of non-source folders stay', () => {
    for (const f of ['src/data/load.ts', 'src/cli/main.ts', 'src/cli/main.test.ts', 'scripts/tool.js']) write(f);
    const live = [
      'dist/src/data/load.js',
      'dist/src/data/load.js.map',
      'dist/src/data/load.d.ts',
      'dist/src/cli/main.js',
      'dist/src/cli/main.test.js',
      'dist/api/dts/index.d.ts',
      'dist/api/core.api.md',
      'dist/.tsbuildinfo',
      'dist/gone-folder/x.js',
    ];
    const stale = ['dist/src/cli/data.js', 'dist/src/cli/data.js.map', 'dist/src/cli/data.d.ts', 'dist/src/cli/data.d.ts.map'];
    for (const f of [...live, ...stale]) write(f);
    expect(prune(pkg).sort()).toEqual([...stale].sort());
    for (const f of live) expect(fs.existsSync(path.join(pkg, f))).toBe(true);
    for (const f of stale) expect(fs.existsSync(path.join(pkg, f))).toBe(false);
  });

  test('GIVEN no dist folder WHEN pruned THEN nothing happens', () => {
    expect(prune(pkg)).toEqual([]);
  });
});
