/**
 * `npm start`: the transformer-overload example end to end on the local
 * default (validate → train → evaluate → gate → register → serve on
 * localhost → score through the real HTTP server → report), then the stack
 * synth of the shipped configs (dev: firewalled, prod: private) of the three
 * clouds. No network, Docker,
 * credentials or Terraform. Needs the runtime built (`npm run build`).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { findProjectRoot } from '../lib/core/project';

/** The part of the runtime's API this script uses (the runtime is its own package; the library never imports its types). */
interface RuntimeApi {
  runPipeline(
    file: string,
    opts: { root?: string; log?: (line: string) => void; params?: Record<string, unknown> },
  ): Promise<{
    ok: boolean;
    answer: string | null;
    report: string | null;
    root: string;
    decision: { passed: boolean; reasons: string[] } | null;
    registration: { name: string; version: number; promoted: boolean; champion: number | null } | null;
    run: {
      id: string;
      status: string;
      durationMs: number | null;
      error: { code: string; path: string; message: string } | null;
      steps: { name: string; status: string; metrics: Record<string, number>; summary: string | null }[];
    };
  }>;
}

const repo = findProjectRoot(__dirname) ?? process.cwd();

function loadRuntime(): RuntimeApi {
  const built = path.join(repo, 'training-image', 'dist', 'src', 'index.js');
  if (!fs.existsSync(built)) {
    console.error(`The runtime is not built (${path.relative(repo, built)} is missing). Run \`npm run build\` first.`);
    process.exit(1);
  }
  try {
    return require('@cdktf-mlops/runtime') as RuntimeApi;
  } catch {
    return require(built) as RuntimeApi;
  }
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const runtime = loadRuntime();
  const pipeline = path.join(repo, 'examples', 'transformer-overload', 'pipeline.yaml');
  const root = path.resolve(process.env.MLOPS_HOME ?? path.join(repo, '.mlops'));
  const quiet = process.argv.includes('--quiet');
  const shown = (p: string): string => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p) || '.');
  console.log(`cdktf-mlops: running ${path.relative(repo, pipeline)} locally (tracking store and registry in ${shown(root)})\n`);
  const r = await runtime.runPipeline(pipeline, { root, log: (l) => (quiet ? undefined : console.log(`  ${l}`)) });
  if (!r.ok) {
    const e = r.run.error;
    console.error(`\nThe pipeline failed${e ? ` at ${e.path}: [${e.code}] ${e.message}` : ''}. The registered champion is unchanged.`);
    return 1;
  }
  const score = r.run.steps.find((s) => s.name === 'score');
  console.log('\n== Answer ==');
  console.log(r.answer ?? '(the pipeline produced no answer sentence)');
  console.log('\n== Quality gate ==');
  const gateCached = r.run.steps.some((s) => s.name === 'gate' && s.status === 'skipped');
  if (r.decision) {
    console.log(`${r.decision.passed ? 'PASSED' : 'REJECTED'}: ${r.decision.reasons.join('; ')}`);
    // An unchanged model and data skip the gate: its decision is the one recorded when it last ran.
    if (gateCached) console.log('(model and data unchanged since the gate last ran: this is its recorded decision)');
  }
  if (r.registration)
    console.log(
      `Registry: ${r.registration.name} v${r.registration.version} ${r.registration.promoted ? 'is the champion' : `was not promoted; the champion stays ${r.registration.champion === null ? 'none' : `v${r.registration.champion}`}`}.`,
    );
  if (score?.summary) console.log(`Served on localhost and scored one request: ${score.summary}`);
  if (r.report) {
    console.log('\n== Report ==');
    console.log(`${path.join(r.report, 'report.html')}  (chart: ${path.join(r.report, 'chart.png')})`);
  }
  console.log(`\nRun ${r.run.id}: list runs with \`npx mlops runs --root ${shown(root)}\`, models with \`npx mlops models list --root ${shown(root)}\`.`);

  console.log('\n== Cloud stacks (Azure, AWS, GCP: dev firewalled, prod private) ==');
  const synthMain = path.join(repo, 'dist', 'stacks', 'main.js');
  if (!fs.existsSync(synthMain)) {
    console.error(`${path.relative(repo, synthMain)} is missing; run \`npm run build\` first.`);
    return 1;
  }
  const ts = Date.now();
  const synth = spawnSync(process.execPath, [synthMain], {
    cwd: repo,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', MLOPS_SYNTH_SUMMARY: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (synth.status !== 0) {
    console.error(`The stack synth failed (exit ${synth.status}):\n${synth.stderr || synth.stdout}`);
    return 1;
  }
  process.stdout.write(synth.stdout);
  console.log(`(synth took ${((Date.now() - ts) / 1000).toFixed(1)} s)`);
  console.log(`Terraform JSON per stack is in ${path.join(repo, 'cdktf.out', 'stacks')}/<stack>/cdk.tf.json.`);
  console.log(
    'To deploy one (needs that cloud\'s credentials, Terraform and Docker; see "Deploy to the cloud" in the README): ' +
      '`MLOPS_CONFIG=dev-aws npm run deploy` (or dev-azure, dev-gcp; the prod-* stacks are private and deploy from a runner inside their network); ' +
      'put your account ids, deployers and (Azure) your egress range in the config first, and review with `MLOPS_CONFIG=dev-aws npm run cdktf -- diff dev-aws`.',
  );
  console.log(`\nDone in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`npm start failed: ${(e as Error).message}`);
    if (process.env.MLOPS_DEBUG) console.error((e as Error).stack);
    process.exit(1);
  },
);
