import { runPipeline } from '../pipeline/runner';
import { EXIT, Io, listOpt, optional, parse, parseParams, UsageError } from './io';

/** Help text of `mlops pipeline`. */
export const PIPELINE_HELP = `Usage: mlops pipeline run <pipeline.yaml> [options]

Runs a pipeline (see training-image/src/pipeline/FORMAT.md): steps in
dependency order, unchanged steps skipped, the run recorded in the tracking
store (list with \`mlops runs\`).

Options:
  --root <dir>        tracking store, registry and work folders (default $MLOPS_HOME, else ./.mlops)
  --param k=v         override a pipeline parameter (repeatable)
  --no-cache          run every step even when unchanged
  --json              print the run record as JSON
  -h, --help          show this help
`;

/** \`mlops pipeline run <file>\`. */
export async function pipelineCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    io.out(PIPELINE_HELP);
    return sub ? EXIT.OK : EXIT.USAGE;
  }
  if (sub !== 'run') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}; use \`mlops pipeline run <pipeline.yaml>\``);
  const files = rest.filter((a, i) => !a.startsWith('-') && !(i > 0 && ['--root', '--param'].includes(rest[i - 1]!)));
  const { values } = parse(rest.filter((a) => !files.includes(a)), { root: { type: 'string' }, param: { type: 'string', multiple: true }, 'no-cache': { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.help) {
    io.out(PIPELINE_HELP);
    return EXIT.OK;
  }
  if (files.length !== 1) throw new UsageError(`give exactly one pipeline file; got ${files.length ? files.join(', ') : 'none'}`);
  const r = await runPipeline(files[0]!, { root: optional(values, 'root'), params: parseParams(listOpt(values, 'param')), noCache: values['no-cache'] === true, log: (l) => io.err(l) });
  if (values.json) io.out(JSON.stringify(r.run, null, 2));
  else {
    const lines: string[] = [];
    if (r.answer) lines.push(r.answer);
    if (r.decision) lines.push(`Gate: ${r.decision.passed ? 'passed' : 'rejected'} — ${(r.decision.reasons as string[]).join('; ')}`);
    if (r.registration) lines.push(`Registry: ${r.registration.name} v${r.registration.version}${r.registration.promoted ? ' is champion' : `; champion stays ${r.registration.champion === null ? 'none' : `v${r.registration.champion}`}`}`);
    if (r.report) lines.push(`Report: ${r.report}/report.html`);
    lines.push(`Run ${r.run.id} ${r.run.status}${r.run.error ? `: [${r.run.error.code}] ${r.run.error.path}: ${r.run.error.message}` : ''} (tracking store ${r.root})`);
    io.out(lines.join('\n'));
  }
  return r.ok ? EXIT.OK : EXIT.FAILED;
}
