/**
 * Synth benchmark, in two parts, all series alternating in each round of one
 * session; medians printed beside the targets.
 *
 * Cold synth: the three `dev` stacks synthesized in one fresh Node process
 * (compiled JS, a fresh output folder), against a bare cdktf app that
 * deep-imports the same resource classes (target: ≤ 1.5× the bare app; under
 * 1 s). Two comparisons:
 * - platform: the dev configs without their `deployment`, `ci` and `alerts`
 *   sections (the construct library of issue 2), against a bare app of the
 *   provider modules those stacks use;
 * - full: the dev configs as shipped (image build context and training data
 *   copied into each stack as assets, release steps, alerts, CI identity,
 *   policy pack), against a bare app of every provider module the library loads.
 *
 * Unchanged tree: `npm run synth` as a user runs it (npm; its build step,
 * scripts/tsc-if-changed.cjs, finding nothing changed; then the app, in the
 * same process (`--then`), synthesizing every configured stack into `cdktf.out`, where the previous
 * synth left its output), after one warm-up run; its build step alone; and
 * an up-to-date `tsc -b` alone for comparison (target: ≤ 2 s).
 *
 *   npm run bench:synth [-- --runs 9]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump, load } from 'js-yaml';

const root = path.resolve(__dirname, '..', '..');
/** Runs per series without `--runs` (the README's "Synth performance" says this number). */
const DEFAULT_RUNS = 7;
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || DEFAULT_RUNS;
const DEV = ['dev-azure', 'dev-aws', 'dev-gcp'];
const PROVIDER_PACKAGES: Record<string, string> = {
  azurerm: 'provider-azurerm',
  aws: 'provider-aws',
  google: 'provider-google',
  'google-beta': 'provider-google-beta',
  docker: 'provider-docker',
};

function allProviderModules(used: readonly string[]): string[] {
  // Load every entry point of the library, in this process (untimed), to learn which provider modules it
  // can pull in; with the modules the full stacks use, which the cloud-neutral entries load on use.
  for (const entry of ['', 'aws', 'azure', 'gcp', 'deploy', 'image', 'alerts', 'ci', 'policy']) require(path.join(root, 'dist', 'lib', entry, 'index.js'));
  const loaded = Object.keys(require.cache).filter((f) => /[\\/]@cdktf[\\/]provider-[a-z-]+[\\/]lib[\\/][^\\/]+[\\/]index\.js$/.test(f));
  return [...new Set([...loaded, ...used])].sort();
}

/** The provider modules the resources, data sources and providers of synthesized stacks come from. */
function modulesOfStacks(outdir: string): string[] {
  const found = new Set<string>();
  for (const stack of fs.readdirSync(path.join(outdir, 'stacks'))) {
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    const add = (provider: string, dir: string): void => {
      const pkg = PROVIDER_PACKAGES[provider];
      if (!pkg) return;
      // Module folders drop the provider prefix of the type, except where that would collide (google-beta's google-project-service-identity).
      for (const candidate of [dir, `google-${dir}`]) {
        try {
          found.add(require.resolve(`@cdktf/${pkg}/lib/${candidate}/index.js`, { paths: [root] }));
          return;
        } catch {
          // not in this folder: try the next candidate
        }
      }
      throw new Error(`no module of @cdktf/${pkg} for ${dir}`);
    };
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      const [provider, ...rest] = type.split('_');
      // A resource routed to another provider (google-beta) comes from that provider's package.
      const routed = new Set(Object.values(byName as Record<string, { provider?: string }>).map((r) => r.provider?.split('.')[0] ?? provider!));
      for (const p of routed) add(p, rest.join('-'));
    }
    for (const type of Object.keys(json.data ?? {})) {
      const provider = type.split('_')[0]!;
      add(provider, `data-${type.replace(/_/g, '-')}`);
    }
    for (const provider of Object.keys(json.provider ?? {})) add(provider, 'provider');
  }
  return [...found].sort();
}

/** The `cdk.tf.json` of every stack a synth wrote into `outdir`. */
function stackJsonFiles(outdir: string): string[] {
  return fs
    .readdirSync(path.join(outdir, 'stacks'))
    .sort()
    .map((s) => path.join(outdir, 'stacks', s, 'cdk.tf.json'));
}

/** The blocks of a Terraform JSON document by kind and address, without cdktf's `//` metadata. */
function blocks(json: Record<string, any>): Map<string, string> {
  const out = new Map<string, string>();
  const strip = (v: unknown): string => JSON.stringify(v, (k, x) => (k === '//' ? undefined : x));
  for (const kind of ['resource', 'data']) {
    for (const [type, byName] of Object.entries(json[kind] ?? {})) {
      for (const attrs of Object.values(byName as Record<string, unknown>)) out.set(`${kind}.${type}#${strip(attrs)}`, strip(attrs));
    }
  }
  return out;
}

/**
 * The replay app must write the same resources and data sources as the stacks it replays (by content:
 * it names them itself); else its time is not a reference for them.
 */
function checkReplay(replayApp: string, list: string, env: NodeJS.ProcessEnv): void {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-replay-'));
  timeRun([replayApp, list], env, out);
  const sources: string[] = JSON.parse(fs.readFileSync(list, 'utf8'));
  for (const source of sources) {
    const written = path.join(out, 'stacks', `replay-${path.basename(path.dirname(source))}`, 'cdk.tf.json');
    const want = [...blocks(JSON.parse(fs.readFileSync(source, 'utf8'))).keys()].sort();
    const got = [...blocks(JSON.parse(fs.readFileSync(written, 'utf8'))).keys()].sort();
    if (want.length !== got.length || want.some((k, i) => k !== got[i])) {
      throw new Error(`replay-app did not write the same blocks as ${source} (${want.length} expected, ${got.length} written): fix bench/replay-app.ts`);
    }
  }
  fs.rmSync(out, { recursive: true, force: true });
}

/** The dev configs without deployment, ci and alerts, written to a temp dir. */
function platformOnlyConfigs(dir: string): string[] {
  return DEV.map((name) => {
    const raw = load(fs.readFileSync(path.join(root, 'stacks', 'config', `${name}.yaml`), 'utf8')) as Record<string, unknown>;
    delete raw.deployment;
    delete raw.ci;
    delete raw.alerts;
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, dump(raw));
    return file;
  });
}

function timeRun(args: string[], env: NodeJS.ProcessEnv, keepOut?: string): number {
  const out = keepOut ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-'));
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env, CDKTF_OUTDIR: out }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${r.stderr}`);
  const stacks = fs.readdirSync(path.join(out, 'stacks'));
  if (!keepOut) fs.rmSync(out, { recursive: true, force: true });
  if (stacks.length < 3) throw new Error(`unexpected stacks: ${stacks.join(', ')}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Series {
  readonly label: string;
  /** One timed run, in milliseconds. */
  readonly run: () => number;
  readonly times: number[];
}

/** Runs `command args` in the repository (as a user would there) and returns the wall time. */
function timeCommand(command: string, args: readonly string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd: root, env: process.env, encoding: 'utf8', shell: process.platform === 'win32' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${r.stderr}`);
  return ms;
}

/** `npm run --silent synth`, with the npm that runs this benchmark when there is one. */
function timeNpmSynth(): number {
  const npmCli = process.env.npm_execpath;
  return npmCli && /\.[cm]?js$/.test(npmCli) ? timeCommand(process.execPath, [npmCli, 'run', '--silent', 'synth']) : timeCommand('npm', ['run', '--silent', 'synth']);
}

/** The tsconfig files `npm run synth`'s build step checks, read from the script in package.json (its one home). */
function buildStepArgs(): string[] {
  const script: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.synth;
  const step = script.split('&&')[0]!.trim().split(/\s+/);
  const at = step.findIndex((w) => w.endsWith('tsc-if-changed.cjs'));
  if (at < 0) throw new Error(`npm run synth (${script}) no longer starts with scripts/tsc-if-changed.cjs: update this benchmark`);
  // Without `--then <app>`: the check alone.
  const args = step.slice(at + 1);
  const then = args.indexOf('--then');
  return then < 0 ? args : [...args.slice(0, then), ...args.slice(then + 2)];
}

function main(): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-cfg-'));
  const app = [path.join(root, 'dist', 'stacks', 'main.js')];
  const bareApp = path.join(root, 'dist', 'bench', 'bare-app.js');
  const replayApp = path.join(root, 'dist', 'bench', 'replay-app.js');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const buildStep = path.join(root, 'scripts', 'tsc-if-changed.cjs');
  const env = { CHECKPOINT_DISABLE: '1' };
  const platformEnv = { ...env, MLOPS_CONFIG: platformOnlyConfigs(tmp).join(',') };
  const fullEnv = { ...env, MLOPS_CONFIG: DEV.join(',') };

  // Which provider modules the platform-only stacks use: from one (untimed) synth of them.
  const probe = path.join(tmp, 'probe');
  fs.mkdirSync(probe);
  timeRun(app, platformEnv, probe);
  const platformModules = modulesOfStacks(probe);
  const fullProbe = path.join(tmp, 'full-probe');
  fs.mkdirSync(fullProbe);
  timeRun(app, fullEnv, fullProbe);
  const allModules = allProviderModules(modulesOfStacks(fullProbe));
  const platformList = path.join(tmp, 'platform-modules.json');
  const allList = path.join(tmp, 'all-modules.json');
  fs.writeFileSync(platformList, JSON.stringify(platformModules));
  fs.writeFileSync(allList, JSON.stringify(allModules));
  // The replay references read the probes' Terraform JSON (kept until the end of the run).
  const platformJson = path.join(tmp, 'platform-json.json');
  const fullJson = path.join(tmp, 'full-json.json');
  fs.writeFileSync(platformJson, JSON.stringify(stackJsonFiles(probe)));
  fs.writeFileSync(fullJson, JSON.stringify(stackJsonFiles(fullProbe)));
  checkReplay(replayApp, platformJson, env);
  checkReplay(replayApp, fullJson, env);

  const series: Series[] = [
    { label: 'platform stacks', run: () => timeRun(app, platformEnv), times: [] },
    { label: 'bare (platform modules)', run: () => timeRun([bareApp, platformList], env), times: [] },
    { label: 'replay (platform)', run: () => timeRun([replayApp, platformJson], env), times: [] },
    { label: 'full dev stacks', run: () => timeRun(app, fullEnv), times: [] },
    { label: 'bare (all modules)', run: () => timeRun([bareApp, allList], env), times: [] },
    { label: 'replay (full)', run: () => timeRun([replayApp, fullJson], env), times: [] },
    { label: 'npm run synth', run: timeNpmSynth, times: [] },
    { label: 'its build step', run: () => timeCommand(process.execPath, [buildStep, ...buildStepArgs()]), times: [] },
    { label: 'tsc -b', run: () => timeCommand(process.execPath, [tsc, '-b', 'tsconfig.json']), times: [] },
  ];
  // One warm-up of each (file-system cache; the first `npm run synth` leaves the
  // build up to date and cdktf.out written), then alternate so noise hits all sides alike.
  for (const s of series) s.run();
  for (let i = 0; i < runs; i++) {
    for (const s of series) s.times.push(s.run());
    process.stderr.write(`run ${i + 1}/${runs}: ${series.map((s) => `${s.label} ${s.times[i]!.toFixed(0)} ms`).join(', ')}\n`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  const [platform, barePlatform, replayPlatform, full, bareAll, replayFull, npmSynth, buildStepMs, tscMs] = series.map((s) => median(s.times)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  const stacks = configuredStacks();
  console.log(`\nUnchanged tree, \`npm run synth\` (${stacks} stacks of cdktf.json into cdktf.out), ${runs} runs, median:`);
  console.log(`  npm run synth                                  : ${npmSynth.toFixed(0)} ms   (target ≤ 2000 ms: ${verdict(npmSynth <= 2000)})`);
  console.log(`  its build step (scripts/tsc-if-changed.cjs)    : ${buildStepMs.toFixed(0)} ms   (nothing changed: tsc not run)`);
  console.log(`  tsc -b alone, for comparison                   : ${tscMs.toFixed(0)} ms   (up to date: nothing compiled)`);
  console.log(`\nCold synth of the three dev stacks (azure, aws, gcp) in one process, ${runs} runs, median:`);
  console.log(`  platform stacks (no deployment/ci/alerts) : ${platform.toFixed(0)} ms   (target < 1000 ms: ${verdict(platform < 1000)})`);
  console.log(`  bare cdktf app, same ${platformModules.length} modules        : ${barePlatform.toFixed(0)} ms`);
  console.log(`  ratio                                      : ${(platform / barePlatform).toFixed(2)}×   (target ≤ 1.5×: ${verdict(platform / barePlatform <= 1.5)})`);
  console.log(`  replay: plain cdktf, the same Terraform    : ${replayPlatform.toFixed(0)} ms   (ratio ${(platform / replayPlatform).toFixed(2)}×: what the library adds)`);
  console.log(`  full dev stacks (image, job, endpoint, alerts, CI, policy) : ${full.toFixed(0)} ms   (target < 1000 ms: ${verdict(full < 1000)})`);
  console.log(`  bare cdktf app, all ${allModules.length} modules                         : ${bareAll.toFixed(0)} ms`);
  console.log(`  ratio                                                       : ${(full / bareAll).toFixed(2)}×   (target ≤ 1.5×: ${verdict(full / bareAll <= 1.5)})`);
  console.log(`  replay: plain cdktf, the same Terraform                     : ${replayFull.toFixed(0)} ms   (ratio ${(full / replayFull).toFixed(2)}×: what the library adds)`);
}

/** How many stacks `npm run synth` writes: the configs listed in cdktf.json's context. */
function configuredStacks(): number {
  const json = JSON.parse(fs.readFileSync(path.join(root, 'cdktf.json'), 'utf8'));
  return (json.context?.mlopsConfigs as unknown[] | undefined)?.length ?? fs.readdirSync(path.join(root, 'stacks', 'config')).length;
}

main();
