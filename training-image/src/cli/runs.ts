import { resolveRoot } from '../pipeline/runner';
import { compareRuns, DiffRow, TrackingStore } from '../tracking/store';
import { EXIT, Io } from '../core/io';
import { optional, parse, UsageError } from './io';
import { fmt, show as showValue } from '../core/text';

/** Help text of `mlops runs`. */
export const RUNS_HELP = `Usage: mlops runs [--pipeline <name>] [--root <dir>] [--json]
       mlops runs show <run>
       mlops runs compare <run-a> <run-b> [--all]

Lists pipeline runs recorded in the tracking store (newest last), shows one,
or compares two: parameters, metrics and data fingerprints that differ
(--all: every one). A run can be named by a unique prefix or suffix of its id.

Options:
  --root <dir>        tracking store (default $MLOPS_HOME, else ./.mlops)
  --pipeline <name>   only runs of this pipeline
  --json              print JSON
`;

function show(v: unknown): string {
  return v === undefined ? '—' : typeof v === 'number' ? fmt(v) : typeof v === 'string' ? v : JSON.stringify(v);
}

function table(rows: DiffRow[], title: string): string[] {
  if (!rows.length) return [`${title}: no differences`];
  const w = Math.max(...rows.map((r) => r.key.length), 4);
  return [
    `${title}:`,
    ...rows.map((r) => `  ${r.key.padEnd(w)}  ${show(r.a).padStart(12)} → ${show(r.b).padEnd(12)}${r.delta !== null ? ` (${r.delta >= 0 ? '+' : ''}${fmt(r.delta)})` : ''}`),
  ];
}

/** \`mlops runs\`. */
export async function runsCommand(argv: string[], io: Io): Promise<number> {
  const positionals = argv.filter((a, i) => !a.startsWith('-') && !(i > 0 && ['--root', '--pipeline'].includes(argv[i - 1]!)));
  const { values } = parse(
    argv.filter((a) => !positionals.includes(a)),
    { root: { type: 'string' }, pipeline: { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' } },
  );
  if (values.help) {
    io.out(RUNS_HELP);
    return EXIT.OK;
  }
  const store = new TrackingStore(resolveRoot(optional(values, 'root')));
  const [sub, ...ids] = positionals;
  if (sub === 'compare') {
    if (ids.length !== 2) throw new UsageError(`compare needs two run ids; got ${ids.length}`);
    const a = store.get(ids[0]!),
      b = store.get(ids[1]!);
    const d = compareRuns(a, b, values.all === true);
    if (values.json) io.out(JSON.stringify({ a: a.id, b: b.id, ...d }, null, 2));
    else io.out([`Comparing ${a.id} (${a.status}) → ${b.id} (${b.status})`, ...table(d.params, 'Params'), ...table(d.metrics, 'Metrics'), ...table(d.data, 'Data')].join('\n'));
    return EXIT.OK;
  }
  if (sub === 'show') {
    if (ids.length !== 1) throw new UsageError('show needs one run id');
    io.out(JSON.stringify(store.get(ids[0]!), null, 2));
    return EXIT.OK;
  }
  if (sub !== undefined) throw new UsageError(`unknown subcommand ${showValue(sub)}; use \`mlops runs\`, \`mlops runs show <run>\` or \`mlops runs compare <a> <b>\``);
  const runs = store.list(optional(values, 'pipeline'));
  if (values.json) {
    io.out(
      JSON.stringify(
        runs.map((r) => ({ id: r.id, pipeline: r.pipeline, status: r.status, startedAt: r.startedAt, durationMs: r.durationMs, git: r.git?.commit ?? null, metrics: r.metrics })),
        null,
        2,
      ),
    );
    return EXIT.OK;
  }
  if (!runs.length) {
    io.out(`No runs in ${store.root}. Run a pipeline with \`mlops pipeline run <pipeline.yaml>\`.`);
    return EXIT.OK;
  }
  const lines = ['RUN                     PIPELINE              STATUS     TIME     STEPS (ran/skipped)  METRICS'];
  for (const r of runs) {
    const ran = r.steps.filter((s) => s.status === 'ok').length,
      sk = r.steps.filter((s) => s.status === 'skipped').length;
    const ms = Object.entries(r.metrics)
      .filter(([k]) => /\.(rmse|mae|mape|r2|roc_auc|f1|accuracy|log_loss)$/.test(k))
      .slice(0, 3)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(' ');
    lines.push(
      `${r.id}  ${r.pipeline.padEnd(20).slice(0, 20)}  ${r.status.padEnd(9)}  ${(r.durationMs === null ? '—' : `${(r.durationMs / 1000).toFixed(1)}s`).padStart(6)}   ${`${ran}/${sk}`.padEnd(19)}  ${ms}`,
    );
  }
  io.out(lines.join('\n'));
  return EXIT.OK;
}
