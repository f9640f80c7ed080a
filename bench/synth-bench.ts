/**
 * Cold synth benchmark: the three `dev` stacks synthesized in one fresh Node
 * process (compiled JS), against a bare cdktf app that deep-imports the same
 * resource classes. Both run alternately in the same session; medians and
 * the ratio are printed beside the targets (under 1 s, ≤ 1.5× the bare app).
 *
 *   npm run bench:synth [-- --runs 9]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;

function providerModulesUsed(): string[] {
  // Load what the app loads, in this process (untimed), to learn which provider modules it pulls in.
  require(path.join(root, 'dist', 'lib', 'stack.js'));
  return Object.keys(require.cache)
    .filter((f) => /[\\/]@cdktf[\\/]provider-[a-z]+[\\/]lib[\\/][^\\/]+[\\/]index\.js$/.test(f))
    .sort();
}

/** The bare app makes one stack per provider package (azurerm, aws, google, docker). */
const BARE_STACKS = (n: number): boolean => n >= 3;

function timeRun(args: string[], env: NodeJS.ProcessEnv, expectedStacks: (n: number) => boolean = (n) => n === 3): number {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-'));
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env, CDKTF_OUTDIR: out }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${r.stderr}`);
  const stacks = fs.readdirSync(path.join(out, 'stacks'));
  fs.rmSync(out, { recursive: true, force: true });
  if (!expectedStacks(stacks.length)) throw new Error(`unexpected stacks: ${stacks.join(', ')}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function main(): void {
  const modules = providerModulesUsed();
  const listFile = path.join(os.tmpdir(), `mlops-bench-modules-${process.pid}.json`);
  fs.writeFileSync(listFile, JSON.stringify(modules));
  const ours: number[] = [];
  const bare: number[] = [];
  const oursArgs = [path.join(root, 'dist', 'stacks', 'main.js')];
  const bareArgs = [path.join(root, 'dist', 'bench', 'bare-app.js'), listFile];
  const env = { MLOPS_CONFIG: 'dev-azure,dev-aws,dev-gcp', CHECKPOINT_DISABLE: '1' };
  // One warm-up of each (file-system cache), then alternate so noise hits both sides alike.
  timeRun(oursArgs, env);
  timeRun(bareArgs, env, BARE_STACKS);
  for (let i = 0; i < runs; i++) {
    ours.push(timeRun(oursArgs, env));
    bare.push(timeRun(bareArgs, env, BARE_STACKS));
    process.stderr.write(`run ${i + 1}/${runs}: platform ${ours[i]!.toFixed(0)} ms, bare ${bare[i]!.toFixed(0)} ms\n`);
  }
  fs.rmSync(listFile, { force: true });
  const o = median(ours);
  const b = median(bare);
  const ratio = o / b;
  console.log(`\nCold synth of the three dev stacks (azure, aws, gcp) in one process, ${runs} runs, median:`);
  console.log(`  cdktf-mlops dev stacks : ${o.toFixed(0)} ms   (target < 1000 ms: ${o < 1000 ? 'met' : 'MISSED'})`);
  console.log(`  bare cdktf app         : ${b.toFixed(0)} ms   (${modules.length} provider modules, same deep imports)`);
  console.log(`  ratio                  : ${ratio.toFixed(2)}×   (target ≤ 1.5×: ${ratio <= 1.5 ? 'met' : 'MISSED'})`);
}

main();
