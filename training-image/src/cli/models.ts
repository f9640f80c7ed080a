import * as path from 'path';
import { resolveRoot } from '../pipeline/runner';
import { LocalRegistry } from '../registry/registry';
import { EXIT, Io } from '../core/io';
import { optional, parse, UsageError } from './io';
import { fmt, show } from '../core/text';

/** Help text of `mlops models`. */
export const MODELS_HELP = `Usage: mlops models list [<name>] [--root <dir>] [--json]
       mlops models promote <name> <version> [--reason <text>]
       mlops models rollback <name> [--reason <text>]
       mlops models history <name>

The local model registry (<root>/registry): versions, the champion and
challenger aliases, and promotions. Promotion replaces the alias file
atomically; rollback puts the previous champion back. Both are recorded.

Options:
  --root <dir>        registry root (default $MLOPS_HOME, else ./.mlops)
  --json              print JSON
`;

/** \`mlops models\`. */
export async function modelsCommand(argv: string[], io: Io): Promise<number> {
  const positionals = argv.filter((a, i) => !a.startsWith('-') && !(i > 0 && ['--root', '--reason'].includes(argv[i - 1]!)));
  const { values } = parse(
    argv.filter((a) => !positionals.includes(a)),
    { root: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } },
  );
  const [sub, ...args] = positionals;
  if (values.help || !sub) {
    io.out(MODELS_HELP);
    return values.help ? EXIT.OK : EXIT.USAGE;
  }
  const reg = new LocalRegistry(path.join(resolveRoot(optional(values, 'root')), 'registry'));
  const reason = optional(values, 'reason');
  if (sub === 'list') {
    const names = args.length ? args : reg.names();
    const doc = names.map((n) => ({ name: n, aliases: reg.aliases(n), versions: reg.versions(n) }));
    if (values.json) {
      io.out(JSON.stringify(doc, null, 2));
      return EXIT.OK;
    }
    if (!doc.length) {
      io.out(`No models in ${reg.root}. Register one with a pipeline's register step.`);
      return EXIT.OK;
    }
    const lines: string[] = [];
    for (const m of doc) {
      lines.push(
        `${m.name}: champion ${m.aliases.champion === null ? 'none' : `v${m.aliases.champion}`}, challenger ${m.aliases.challenger === null ? 'none' : `v${m.aliases.challenger}`}`,
      );
      for (const v of m.versions) {
        const tags = (['champion', 'challenger'] as const).filter((a) => m.aliases[a] === v.version);
        const ms = Object.entries(v.metrics)
          .filter(([k]) => ['rmse', 'mae', 'mape', 'r2', 'roc_auc', 'f1', 'accuracy', 'coverage'].includes(k))
          .map(([k, x]) => `${k}=${fmt(x)}`)
          .join(' ');
        lines.push(`  v${String(v.version).padEnd(4)} ${v.createdAt}  ${v.model.padEnd(16)} ${ms}${tags.length ? `  [${tags.join(', ')}]` : ''}`);
      }
    }
    io.out(lines.join('\n'));
    return EXIT.OK;
  }
  if (sub === 'promote') {
    if (args.length !== 2 || !/^[1-9][0-9]*$/.test(args[1]!)) throw new UsageError('promote needs <name> <version>, e.g. `mlops models promote churn 3`');
    const s = reg.promote(args[0]!, Number(args[1]), reason ?? 'promoted by hand (mlops models promote)');
    io.out(`${args[0]}: champion is now v${s.champion}.`);
    return EXIT.OK;
  }
  if (sub === 'rollback') {
    if (args.length !== 1) throw new UsageError('rollback needs <name>');
    const before = reg.aliases(args[0]!).champion;
    const s = reg.rollback(args[0]!, reason ?? 'rolled back by hand (mlops models rollback)');
    io.out(`${args[0]}: champion rolled back from v${before} to v${s.champion}.`);
    return EXIT.OK;
  }
  if (sub === 'history') {
    if (args.length !== 1) throw new UsageError('history needs <name>');
    const h = reg.aliases(args[0]!).history;
    io.out(
      values.json
        ? JSON.stringify(h, null, 2)
        : h
            .map((e) => `${e.at}  ${e.action.padEnd(14)} ${e.alias.padEnd(10)} ${e.from === null ? '—' : `v${e.from}`} → ${e.to === null ? '—' : `v${e.to}`}  ${e.reason}`)
            .join('\n') || 'no history',
    );
    return EXIT.OK;
  }
  throw new UsageError(`unknown subcommand ${show(sub)}; use list, promote, rollback or history`);
}
