import { contractError } from './errors';
import { RawSetting } from './settings';
import { show } from '../core/text';

/** Flags that name paths or switch output, rather than settings. */
export const PATH_FLAGS = ['data', 'out', 'validation'] as const;

/** What a contract-mode command line holds: paths, switches and raw settings (model parameters included). */
export interface ContractArgs {
  readonly data?: string;
  readonly out?: string;
  /** Labelled data to evaluate the trained model on (written as evaluation.json next to it). */
  readonly validation?: string;
  readonly json: boolean;
  /** Every other `--key value` / `--key=value`, in order, for {@link resolveSettings}. */
  readonly settings: readonly RawSetting[];
}

/**
 * Parses a training command line leniently, as the platforms write them:
 * `--key value` and `--key=value`, any key (Vertex AI hyperparameter tuning
 * passes `--learning_rate=0.1`; Azure ML passes `--data ${{inputs.x}}`).
 * Unknown keys become raw settings, checked later against the settings and the
 * model's parameters; a stray positional is a `BAD_ARGUMENT` error.
 */
export function parseContractArgs(argv: readonly string[]): ContractArgs {
  const paths: Record<string, string> = {};
  const settings: RawSetting[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (!tok.startsWith('--') || tok === '--') {
      throw contractError('BAD_ARGUMENT', `arg:${i + 1}`, `unexpected argument ${show(tok)}; options look like --key value or --key=value (e.g. --data train.csv --target cnt).`);
    }
    const eq = tok.indexOf('=');
    const key = eq > 0 ? tok.slice(2, eq) : tok.slice(2);
    if (key === 'json' && eq < 0) {
      json = true;
      continue;
    }
    let value: string;
    if (eq > 0) value = tok.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i]!;
    else value = 'true';
    if ((PATH_FLAGS as readonly string[]).includes(key)) {
      if (value === 'true' && eq < 0) throw contractError('BAD_ARGUMENT', `arg:--${key}`, `--${key} needs a path, e.g. --${key} /mnt/inputs/train.csv.`);
      paths[key] = value;
    } else settings.push({ key, value, where: `arg:--${key}` });
  }
  return { ...paths, json, settings };
}
