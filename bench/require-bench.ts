/**
 * Require benchmark: how long `require('<entry>')` takes in a fresh Node
 * process, for the root entry and each subpath of package.json "exports",
 * through the exports map (by self-reference, as a consumer's Node resolves
 * them), against two references measured in the same run:
 *   - cdktf + constructs alone (the floor every entry pays), and
 *   - the whole library (root + every subpath: what the single root entry
 *     loaded before the split into subpaths).
 * Each series is a fresh process per run (no module cache; the file-system
 * cache is warmed once), all series alternate in each round, medians printed.
 *
 *   npm run bench:require [-- --runs 9]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const runsArg = process.argv.indexOf('--runs');
const runs = (runsArg > 0 && Number(process.argv[runsArg + 1])) || 9;
const PROVIDERS = ['provider-aws', 'provider-azurerm', 'provider-google', 'provider-google-beta', 'provider-docker'];

interface Sample {
  /** Milliseconds inside the child, around the require calls. */
  readonly ms: number;
  /** Modules in require.cache afterwards. */
  readonly modules: number;
  /** Provider packages loaded, with their module counts. */
  readonly providers: Record<string, number>;
}

/** Requires `specifiers` in a fresh process and reports the time and what was loaded. */
function sample(specifiers: readonly string[]): Sample {
  const script = `
    const t = process.hrtime.bigint();
    for (const s of ${JSON.stringify(specifiers)}) require(s);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const files = Object.keys(require.cache);
    const providers = {};
    for (const p of ${JSON.stringify(PROVIDERS)}) {
      const n = files.filter((f) => f.includes('/node_modules/@cdktf/' + p + '/')).length;
      if (n) providers[p] = n;
    }
    process.stdout.write(JSON.stringify({ ms, modules: files.length, providers }));`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`require(${specifiers.join(', ')}) failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function main(): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  if (!fs.existsSync(path.join(root, 'dist', 'lib', 'index.js'))) throw new Error('dist/lib is missing: run `npm run build:lib` first');
  const entries = Object.keys(pkg.exports)
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));
  const series: { label: string; specifiers: string[]; samples: Sample[] }[] = [
    { label: 'cdktf + constructs (floor)', specifiers: ['cdktf', 'constructs'], samples: [] },
    ...entries.map((e) => ({ label: e, specifiers: [e], samples: [] as Sample[] })),
    { label: 'whole library (all entries)', specifiers: entries, samples: [] },
  ];
  // Warm the file-system cache once, then alternate the series in every round.
  for (const s of series) sample(s.specifiers);
  for (let i = 0; i < runs; i++) {
    for (const s of series) s.samples.push(sample(s.specifiers));
    process.stderr.write(`round ${i + 1}/${runs}\n`);
  }
  const whole = median(series[series.length - 1]!.samples.map((x) => x.ms));
  const width = Math.max(...series.map((s) => s.label.length));
  console.log(`\nrequire() time in a fresh Node ${process.version} process, median of ${runs} (both references in the same run):`);
  console.log(`  ${'entry'.padEnd(width)}  median ms  vs whole  modules  provider packages (modules)`);
  for (const s of series) {
    const ms = median(s.samples.map((x) => x.ms));
    const last = s.samples[s.samples.length - 1]!;
    const providers =
      Object.entries(last.providers)
        .map(([p, n]) => `${p.replace('provider-', '')} ${n}`)
        .join(', ') || '-';
    console.log(
      `  ${s.label.padEnd(width)}  ${ms.toFixed(0).padStart(9)}  ${`${((ms / whole) * 100).toFixed(0)}%`.padStart(8)}  ${String(last.modules).padStart(7)}  ${providers}`,
    );
  }
}

main();
