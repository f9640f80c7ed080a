/**
 * Issue 14, items 21 and 23 (stack side): the commands the README documents
 * are quiet and say what they do — the cdktf CLI runs with telemetry off (the
 * machine has no internet, so telemetry on prints `getaddrinfo ENOTFOUND
 * checkpoint-api.hashicorp.com`), the `mlops --help` row lists every command
 * the CLI prints, and the synth benchmark's run count is the script's.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const SCRIPTS: Record<string, string> = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;

/** The "Other commands" table of the quick start: [command cell, description cell]. */
function commandRows(): [string, string][] {
  const start = README.indexOf('Other commands:');
  const table = README.slice(start, README.indexOf('\n## ', start));
  return table
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) => {
      const cells = l.split(' | ');
      return [cells[0]!.slice(2), cells.slice(1).join(' | ').replace(/ \|$/, '')];
    });
}

/** The commands of a command cell (`a` / `b`), without backticks. */
function commandsOf(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

/** True when `command` runs the cdktf CLI; then whether telemetry is off for it. */
function cdktfTelemetry(command: string, seen = new Set<string>()): 'none' | 'off' | 'on' {
  const script = /^npm run (?:--silent )?([\w:-]+)/.exec(command)?.[1];
  if (script !== undefined) {
    if (seen.has(script) || SCRIPTS[script] === undefined) return 'none';
    seen.add(script);
    const body = SCRIPTS[script]!;
    const parts = body.split('&&').map((p) => p.trim());
    const results = parts.map((p) =>
      /(^|\s)cdktf(\s|$)/.test(p) && !/^npm run/.test(p) ? (/CHECKPOINT_DISABLE=1/.test(p) ? 'off' : 'on') : /^npm run/.test(p) ? cdktfTelemetry(p, seen) : 'none',
    );
    return results.includes('on') ? 'on' : results.includes('off') ? 'off' : 'none';
  }
  if (/(^|\s)(npx )?cdktf\s/.test(command)) return /CHECKPOINT_DISABLE=1\s/.test(command) ? 'off' : 'on';
  return 'none';
}

describe('item 21: the documented cdktf commands run with telemetry off', () => {
  test('every command of the README table that runs the cdktf CLI sets CHECKPOINT_DISABLE=1 (no bare npx cdktf)', () => {
    const cdktfCommands = commandRows()
      .flatMap(([cell]) => commandsOf(cell))
      .filter((c) => cdktfTelemetry(c) !== 'none');
    expect(cdktfCommands).toEqual(expect.arrayContaining(['npm run deploy', 'npm run destroy']));
    expect(cdktfCommands.some((c) => /synth/.test(c))).toBe(true);
    for (const c of cdktfCommands) expect([c, cdktfTelemetry(c)]).toEqual([c, 'off']);
  });

  test('the code blocks of the README run cdktf only through those scripts or with CHECKPOINT_DISABLE=1', () => {
    const blocks = [...README.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const lines = blocks.flatMap((b) => b.split('\n')).map((l) => l.replace(/#.*$/, '').trim());
    for (const line of lines.filter((l) => /(^|\s)(npx )?cdktf\s/.test(l))) expect([line, /CHECKPOINT_DISABLE=1\s/.test(line)]).toEqual([line, true]);
  });

  test('the documented synth command prints no telemetry error (offline, telemetry on would print getaddrinfo ENOTFOUND)', () => {
    const synth = commandRows()
      .flatMap(([cell]) => commandsOf(cell))
      .find((c) => /synth/.test(c) && cdktfTelemetry(c) !== 'none')!;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cdktf-synth-'));
    const env: NodeJS.ProcessEnv = { ...process.env, MLOPS_CONFIG: 'dev-gcp', CI: '' };
    // The test must see what a newcomer's shell gives the command: no telemetry switch of its own.
    delete env.CHECKPOINT_DISABLE;
    try {
      // The compiled app as is (not the build of cdktf.json's app command, which would rewrite dist/ under other tests).
      const r = spawnSync(`${synth} --app "node dist/stacks/main.js" --output ${JSON.stringify(out)}`, { cwd: ROOT, env, shell: true, encoding: 'utf8', timeout: 240_000 });
      const printed = `${r.stdout}${r.stderr}`;
      expect(printed).not.toMatch(/checkpoint-api|ENOTFOUND|Could not send telemetry/i);
      expect(r.status).toBe(0);
      expect(fs.existsSync(path.join(out, 'stacks', 'dev-gcp', 'cdk.tf.json'))).toBe(true);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('item 23: the README says what the commands do', () => {
  test('the `npx mlops --help` row lists every command `mlops --help` prints', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', '.bin', 'mlops'), '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const commands = r.stdout
      .slice(r.stdout.indexOf('Commands:'))
      .split('\n')
      .slice(1)
      .map((l) => /^ {2}([a-z-]+)\s/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined);
    expect(commands).toEqual(expect.arrayContaining(['validate', 'train', 'serve', 'release']));
    const row = commandRows().find(([cell]) => cell === '`npx mlops --help`')![1];
    const listed = commandsOf(row).map((c) => c.split(' ')[0]);
    for (const c of commands) expect([c, listed.includes(c)]).toEqual([c, true]);
  });

  test('the synth benchmark section states the run count the script uses by default, and each measurement its own', () => {
    const script = fs.readFileSync(path.join(ROOT, 'bench', 'synth-bench.ts'), 'utf8');
    const runs = Number(/const DEFAULT_RUNS = (\d+);/.exec(script)?.[1]);
    expect(script).toMatch(/\|\| DEFAULT_RUNS;/);
    expect(runs).toBeGreaterThan(0);
    const start = README.indexOf('## Synth performance');
    const section = README.slice(start, README.indexOf('\n## ', start + 1)).replace(/\s+/g, ' ');
    expect(section).toContain(`${runs} runs per series by default`);
    // A median of another count says which --runs it was measured with.
    for (const m of section.matchAll(/\(([^()]*?)median of (\d+)\)/g)) {
      if (Number(m[2]) !== runs) expect(m[1]).toContain(`--runs ${m[2]}`);
    }
  });
});
