import { formatReport } from '../data/contract';
import { loadData } from '../data/load';
import { Task, TASKS } from '../features/target';
import { MODEL_NAMES, ModelName } from '../models/catalog';
import { DEFAULT_SAMPLER, SAMPLERS } from '../eval/search';
import { writeTrainedModelDir } from '../models/save';
import { IMPORTANCE_KINDS, ImportanceKind, TRAIN_BOUNDS, TRAIN_DEFAULTS, trainingFeatures, trainModel } from '../models/train';
import { checkGate, formatGate } from '../contracts/gate';
import { runTrainContract } from '../contracts/run';
import { GATE_METRICS, GateBound, parseGate } from '../contracts/settings';
import { cut, fmt, show, showKey, showPath } from '../core/text';
import { EXIT, Io } from '../core/io';
import { choiceOpt, listOpt, numberOpt, optional, parse, parseParams, required, UsageError } from './io';
import { checkModelOutput } from './outputs';

/** Help text of `mlops train`. */
export const TRAIN_HELP = `Usage: mlops train --data <csv> --target <column> --out <model-dir> [options]

Trains a model and writes a versioned model directory (model, fitted
transforms, contract, metrics, feature importance, data fingerprint, runtime
version), atomically: a failed run never replaces an existing model. A fit
whose predictions are not finite (NaN, ±Infinity: e.g. a learning rate far too
large) fails the run. MAPE is left out of the metrics, with the reason, when a
target value is 0 (it would divide by zero).

Options:
  --data <csv>              training data (CSV with a header line)
  --target <column>         the column to predict (default: the contract's target)
  --out <model-dir>         where to write the model directory
  --task <t>                regression | classification (default: inferred from the target)
  --model <m>               ${MODEL_NAMES.join(' | ')} (default: ${TRAIN_DEFAULTS.model} = best on the holdout)
  --params k=v ...          estimator hyperparameters (repeatable or comma-separated), e.g. alpha=0.5
  --contract <yaml>         check the data against this contract first (its category
                            columns are one-hot encoded, its time column orders the holdout)
  --seed N                  random seed (default ${TRAIN_DEFAULTS.seed}): same data + seed → same model
  --drop a,b                columns not to use as features
  --categorical a,b         numeric columns to one-hot encode
  --time <column>           time column: time-ordered holdout, date features, order for lags
  --lag col=1,2,24          lag features of a numeric column (repeatable)
  --rolling col=3,24        rolling-mean features over the previous rows (repeatable)
  --holdout F               fraction held out to measure metrics (default ${TRAIN_DEFAULTS.holdout}; 0 = none)
  --importance <k>          ${IMPORTANCE_KINDS.join(' | ')} (default ${TRAIN_DEFAULTS.importance}): permutation
                            importance on the holdout, the model's own importances only
                            (cheaper), or none; the summary notes what was skipped
  --no-refit                keep the model fitted on the training part of the holdout
                            split instead of refitting on all rows (one fit instead of
                            two; its holdout metrics are then its own; noted in the summary)
  --tune N                  hyperparameter search with a budget of N trials (on the holdout)
  --search random|tpe       sampler for --tune (default tpe)
  --gate r2>=0.8,rmse<=70   quality gate on the holdout metrics (also MLOPS_GATE):
                            a model that misses a bound fails the run with
                            QUALITY_GATE (exit 1) and is not written; a model
                            already at --out stays as it was. Metrics:
                            ${GATE_METRICS.join(', ')}
  --json                    print the result as JSON on stdout
  -h, --help                show this help

In a cloud training job the same command reads the platform's contract (the
log says which one applies; MLOPS_TRAINING_CONTRACT=sagemaker|vertex|azureml|local
forces one):
  SageMaker  settings and model params from /opt/ml/input/config/hyperparameters.json
             (target, model, task, seed, … and e.g. maxIter), data from the 'train'
             channel (optional 'validation', 'contract'), model to /opt/ml/model,
             failure reason to /opt/ml/output/failure
  Vertex AI  data from --data or AIP_TRAINING_DATA_URI, model to --out or
             AIP_MODEL_DIR (gs:// paths via Cloud Storage); --<param>=<value> accepted
  Azure ML   --data \${{inputs.training_data}} --out \${{outputs.model}} (files or folders)
Settings also come from MLOPS_TARGET, MLOPS_MODEL, MLOPS_TASK, MLOPS_SEED,
MLOPS_GATE, MLOPS_PARAMS (k=v,…) and friends; arguments win over hyperparameters
over env.

--out is checked before the data is read: it must be a new folder, an empty
one or a model directory (replaced as a whole), not inside another model
directory, not holding the inputs, and writable (OUTPUT_NOT_WRITABLE).

SIGTERM or SIGINT stops the run at once (exit 143 / 130) and publishes
nothing; on SageMaker the reason goes to /opt/ml/output/failure.
`;

function parseColumnLists(items: string[], flag: string): { column: string; values: number[] }[] {
  return items.map((s) => {
    const eq = s.indexOf('=');
    const nums = s
      .slice(eq + 1)
      .split(/[,;]/)
      .map((x) => Number(x.trim()));
    if (eq <= 0 || nums.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--${flag} expects column=N[,N…] with integers ≥ 1; got ${show(s)}`);
    return { column: s.slice(0, eq), values: nums };
  });
}

/** `mlops train`: detects the training contract (SageMaker, Vertex AI, Azure ML or local) and trains under it. */
export async function trainCommand(argv: string[], io: Io): Promise<number> {
  return runTrainContract(argv, io, { trainLocal: trainLocalCommand });
}

/** `mlops train` with plain local paths (what every training contract runs in the end). */
export async function trainLocalCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    target: { type: 'string' },
    out: { type: 'string' },
    task: { type: 'string' },
    model: { type: 'string' },
    params: { type: 'string', multiple: true },
    contract: { type: 'string' },
    seed: { type: 'string' },
    drop: { type: 'string', multiple: true },
    categorical: { type: 'string', multiple: true },
    time: { type: 'string' },
    lag: { type: 'string', multiple: true },
    rolling: { type: 'string', multiple: true },
    holdout: { type: 'string' },
    tune: { type: 'string' },
    search: { type: 'string' },
    gate: { type: 'string' },
    importance: { type: 'string' },
    'no-refit': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.out(TRAIN_HELP);
    return EXIT.OK;
  }
  const dataPath = required(values, 'data');
  const out = required(values, 'out');
  const task = choiceOpt<Task>(values, 'task', TASKS);
  const model = choiceOpt<ModelName>(values, 'model', MODEL_NAMES) ?? TRAIN_DEFAULTS.model;
  const params = parseParams(listOpt(values, 'params'));
  const seed = numberOpt(values, 'seed', TRAIN_BOUNDS.seed) ?? TRAIN_DEFAULTS.seed;
  const holdout = numberOpt(values, 'holdout', TRAIN_BOUNDS.holdout);
  const importance = choiceOpt<ImportanceKind>(values, 'importance', IMPORTANCE_KINDS);
  const refit = values['no-refit'] !== true;
  if (!refit && holdout === 0) throw new UsageError('--no-refit keeps the model fitted on the training part of the holdout split, and --holdout 0 makes none; drop one of the two');
  const tuneTrials = numberOpt(values, 'tune', { integer: true, min: 1 });
  const sampler = choiceOpt(values, 'search', SAMPLERS) ?? DEFAULT_SAMPLER;
  const lags = parseColumnLists(listOptRaw(values, 'lag'), 'lag');
  const rolling = parseColumnLists(listOptRaw(values, 'rolling'), 'rolling');

  const gate = gateOpt(values);
  if (gate.length && holdout === 0)
    throw new UsageError(
      `--gate ${show(formatGate(gate))} bounds the holdout metrics, and --holdout 0 measures none; use a holdout > 0 (default ${TRAIN_DEFAULTS.holdout}) or drop the gate`,
    );
  const contractPath = optional(values, 'contract');
  // Before the data is read: a wrong or unwritable output would otherwise fail only after the whole training.
  checkModelOutput({ flag: '--out', path: out, inputs: [{ flag: '--data', path: dataPath }, ...(contractPath ? [{ flag: '--contract', path: contractPath }] : [])] });
  const t0 = Date.now();
  io.err(`reading ${showPath(dataPath)}…`);
  const loaded = loadData(dataPath, contractPath);
  if (!loaded.frame) {
    io.err(formatReport(loaded.report!));
    io.err(`train: the data does not satisfy the contract; nothing was written to ${showPath(out)}.`);
    return EXIT.FAILED;
  }
  const frame = loaded.frame;
  const target = optional(values, 'target') ?? loaded.contract?.target;
  if (!target) throw new UsageError('missing required option --target (or a target in the --contract)');
  const time = optional(values, 'time') ?? loaded.contract?.time;
  const features = trainingFeatures(
    {
      exclude: listOpt(values, 'drop'),
      categorical: listOpt(values, 'categorical'),
      ...(time ? { time } : {}),
      ...(lags.length ? { lags: lags.map((l) => ({ column: l.column, lags: l.values })) } : {}),
      ...(rolling.length ? { rolling: rolling.map((r) => ({ column: r.column, windows: r.values })) } : {}),
    },
    loaded.contract,
    target,
  );
  for (const c of [...(features.exclude ?? []), ...(features.categorical ?? [])]) frame.column(c);
  const readMs = Date.now() - t0;
  io.err(`read ${frame.rows} rows × ${frame.names.length} columns in ${readMs} ms`);

  const tune = tuneTrials ? { trials: tuneTrials, sampler } : undefined;
  const result = trainModel({
    frame,
    target,
    task,
    model,
    params,
    seed,
    features,
    holdout,
    tune,
    ...(importance ? { importance } : {}),
    refit,
    log: (l) => io.err(l),
  });

  // The gate before anything is written: a model that misses it never replaces the one at --out.
  if (gate.length) io.err(checkGate(gate, (result.metrics.holdout ?? null) as Record<string, unknown> | null));

  const tw = Date.now();
  const manifest = writeTrainedModelDir(out, result, { target, seed, data: dataPath, rows: frame.rows, cols: frame.names.length, contractText: loaded.contractText, tune });
  // Reading and writing happen outside trainModel: the JSON output adds them to its timings.
  const timings = { ...result.timings, read_ms: readMs, write_ms: Date.now() - tw };
  const tr = result.trained;
  const holdoutMetrics = (result.metrics.holdout ?? null) as Record<string, unknown> | null;
  if (values.json) {
    io.out(
      JSON.stringify({ out, model: result.model, estimator: tr.estimator.name, task: tr.task, target, metrics: result.metrics, timings, notes: result.notes, manifest }, null, 2),
    );
  } else {
    const lines = [
      `Trained ${result.model} (${tr.estimator.name}) for ${tr.task} of ${showKey(target)} on ${result.metrics.trainRows} rows, ${tr.pipeline.featureNames.length} features, in ${((Date.now() - t0) / 1000).toFixed(2)} s.`,
    ];
    if (holdoutMetrics) {
      const notDefined = (holdoutMetrics.notDefined ?? {}) as Record<string, string>;
      lines.push(
        `Holdout (${holdoutMetrics.rows} rows, ${holdoutMetrics.split}): ${Object.entries(holdoutMetrics)
          .filter(([k]) => !['rows', 'fraction', 'split', 'notDefined'].includes(k))
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}` +
          Object.entries(notDefined)
            .map(([k, why]) => `; ${k} not defined: ${why}`)
            .join(''),
      );
    }
    const top = topImportances(result.importance);
    if (top.length) lines.push(`Top features: ${top.join(', ')}`);
    for (const n of result.notes) lines.push(`Note: ${n}.`);
    lines.push(`Model directory: ${showPath(out)} (runtime ${manifest.runtimeVersion}, schema ${manifest.schemaVersion})`);
    io.out(lines.join('\n'));
  }
  return EXIT.OK;
}

function listOptRaw(values: Record<string, unknown>, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

function topImportances(imp: { features: readonly string[]; model: readonly number[] | null; permutation: { mean: readonly number[] } | null }): string[] {
  const scores = imp.permutation?.mean ?? imp.model;
  if (!scores) return [];
  return imp.features
    .map((f, i) => [f, scores[i]!] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([f, s]) => `${cut(f, 60)} (${fmt(s)})`);
}

/** `--gate r2>=0.8,rmse<=70` (the plain command's flag; MLOPS_GATE and the contracts' `gate` setting arrive as it). */
function gateOpt(values: Record<string, unknown>): GateBound[] {
  const text = optional(values, 'gate');
  if (text === undefined) return [];
  const { bounds, problems } = parseGate(text);
  if (problems.length) throw new UsageError(`--gate: ${problems.join('; ')}`);
  if (!bounds.length) throw new UsageError(`--gate is empty; give bounds such as r2>=0.8,rmse<=70 or leave it out`);
  return bounds;
}
