/**
 * The public API is deliberate: api/<entry>.api.md (Microsoft API Extractor,
 * one report per package.json export) is checked in, and a build whose public
 * surface differs — or has an undocumented public member, or uses a type no
 * entry point exports — fails here. After a deliberate change: `npm run api`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const SCRIPT = path.join(ROOT, 'dist', 'scripts', 'api-report.js');

function check(args: string[] = []): { status: number | null; out: string } {
  if (!fs.existsSync(SCRIPT)) throw new Error('dist/scripts/api-report.js is missing: run `npm run build` first (npm test does)');
  const r = spawnSync(process.execPath, [SCRIPT, '--check', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('API reports (api/*.api.md)', () => {
  test('there is one per entry point of package.json "exports"', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const expected = Object.keys(pkg.exports)
      .filter((k) => k !== './package.json')
      .map((k) => (k === '.' ? 'cdktf-mlops.api.md' : `${k.slice(2)}.api.md`));
    expect(
      fs
        .readdirSync(path.join(ROOT, 'api'))
        .filter((f) => f.endsWith('.api.md'))
        .sort(),
    ).toEqual(expected.sort());
  });

  test('match the built public API, every public member is documented, every type it uses is exported (fix: `npm run api` after a deliberate change)', () => {
    const r = check();
    if (r.status !== 0) throw new Error(r.out);
    expect(r.status).toBe(0);
  });

  test('a report that differs from the built API fails the check, naming the report and the command that updates it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-api-'));
    try {
      for (const f of fs.readdirSync(path.join(ROOT, 'api'))) fs.copyFileSync(path.join(ROOT, 'api', f), path.join(dir, f));
      const aws = path.join(dir, 'aws.api.md');
      fs.writeFileSync(aws, fs.readFileSync(aws, 'utf8').replace(/^export class AwsMlPlatform extends/m, 'export class AwsMlPlatformRenamed extends'));
      const r = check(['--api-dir', dir]);
      expect(r.status).toBe(1);
      expect(r.out).toContain('aws.api.md');
      expect(r.out).toContain('run `npm run api`');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
