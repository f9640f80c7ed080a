import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Storage } from '@google-cloud/storage';
import { Command, EXIT, Io } from '../core/io';
import { evaluateModelDir, formatEvaluation } from '../models/score';
import { assertWritable } from './access';
import { ContractArgs, parseContractArgs } from './args';
import { detectTrainingContract, sageMakerRoot, TrainingContract } from './detect';
import { contractError, ContractError, ContractIssue } from './errors';
import { publishModelDir, resolveCsv, singleFile } from './files';
import { downloadGs, gcsClient, isGsUri, uploadModelDirGs } from './gcs';
import { envSettings, RawSetting, resolveSettings, SETTING_ENV, settingsToArgv, TrainSettings } from './settings';
import { cut, show } from '../core/text';

export type { Command } from '../core/io';

/** How {@link runTrainContract} trains and where it reads the environment. */
export interface RunTrainOptions {
  /** The plain `mlops train` (local paths), which does the training itself. */
  readonly trainLocal: Command;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Evaluates a model directory on labelled data (called as `mlops evaluate --model <dir> --data <csv> [--json]`). @default {@link evaluateModelDir}, printed as `mlops evaluate` prints it */
  readonly evaluate?: Command;
  /** Cloud Storage client for gs:// paths. @default {@link gcsClient}(env) */
  readonly storage?: () => Storage;
}

/** The SageMaker training contract's paths under its root (`/opt/ml`, or `MLOPS_SAGEMAKER_ROOT`). */
export interface SageMakerPaths {
  readonly root: string;
  readonly hyperparameters: string;
  readonly data: string;
  readonly model: string;
  readonly failure: string;
}

/** The SageMaker paths for an environment. */
export function sageMakerPaths(env: NodeJS.ProcessEnv): SageMakerPaths {
  const root = sageMakerRoot(env);
  return {
    root,
    hyperparameters: path.join(root, 'input', 'config', 'hyperparameters.json'),
    data: path.join(root, 'input', 'data'),
    model: path.join(root, 'model'),
    failure: path.join(root, 'output', 'failure'),
  };
}

/**
 * Reads SageMaker's hyperparameters.json (every value a string) as raw
 * settings; a missing file is no hyperparameters. Non-string values (a
 * hand-written file) are accepted as their JSON text; objects and arrays are
 * `BAD_HYPERPARAMETERS_FILE` errors.
 */
export function readHyperparameters(file: string): RawSetting[] {
  if (!fs.existsSync(file)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw contractError('BAD_HYPERPARAMETERS_FILE', file, `is not valid JSON (${(e as Error).message}). SageMaker writes it from the training job's HyperParameters map.`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw contractError('BAD_HYPERPARAMETERS_FILE', file, `must hold a JSON object of name → value; got ${Array.isArray(doc) ? 'an array' : JSON.stringify(doc)}.`);
  const issues: ContractIssue[] = [];
  const out: RawSetting[] = [];
  for (const [key, v] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof v === 'object' && v !== null)
      issues.push({ code: 'BAD_HYPERPARAMETERS_FILE', path: `${file}#${key}`, message: `must be a string (SageMaker passes every hyperparameter as a string); got ${show(v)}.` });
    else out.push({ key, value: v === null ? 'null' : String(v), where: `${file}#${key}` });
  }
  if (issues.length) throw new ContractError(issues);
  return out;
}

/** An Io that also keeps the last lines written to stderr (the failure reason when a step fails without throwing). */
function tailIo(io: Io, keep = 25): { io: Io; tail: string[] } {
  const tail: string[] = [];
  return {
    tail,
    io: {
      out: (t) => io.out(t),
      err: (t) => {
        tail.push(...t.replace(/\n$/, '').split('\n'));
        while (tail.length > keep) tail.shift();
        io.err(t);
      },
    },
  };
}

/** What one contract run resolved: settings, local data files and where the model goes. */
interface Plan {
  readonly settings: TrainSettings;
  readonly data: string;
  readonly validation?: string;
  readonly json: boolean;
}

function describeSettings(s: TrainSettings): string {
  const parts = [`target=${s.target ?? '(from the data contract)'}`, `model=${s.model}`];
  if (s.task) parts.push(`task=${s.task}`);
  if (s.seed !== undefined) parts.push(`seed=${s.seed}`);
  if (Object.keys(s.params).length) parts.push(`params=${cut(JSON.stringify(s.params), 500)}`);
  if (s.contract) parts.push(`contract=${s.contract}`);
  if (s.gate.length) parts.push(`gate=${s.gate.map((b) => `${b.metric}${b.bound === 'min' ? '>=' : '<='}${b.value}`).join(',')}`);
  return parts.join(' ');
}

function requireTarget(s: TrainSettings, contract: TrainingContract): void {
  if (s.target || s.contract) return;
  const where = contract === 'sagemaker' ? "the 'target' hyperparameter" : 'the --target argument';
  throw contractError('MISSING_TARGET', 'target', `no target column: set ${where}, or the environment variable ${SETTING_ENV.target}, or give a data contract with a target.`);
}

/** Trains into `stage` with the plain command (which applies the quality gate before it writes), then evaluates on the validation data if any. */
async function trainInto(plan: Plan, stage: string, io: Io, o: RunTrainOptions): Promise<number> {
  io.err(`settings: ${describeSettings(plan.settings)}${plan.settings.ignored.length ? ` (ignored platform keys: ${plan.settings.ignored.join(', ')})` : ''}`);
  const argv = ['--data', plan.data, '--out', stage, ...settingsToArgv(plan.settings), ...(plan.json ? ['--json'] : [])];
  const code = await o.trainLocal(argv, io);
  if (code !== EXIT.OK) return code;
  if (plan.validation) {
    io.err(`evaluating on the validation data ${plan.validation}…`);
    if (o.evaluate) {
      const ecode = await o.evaluate(['--model', stage, '--data', plan.validation, ...(plan.json ? ['--json'] : [])], io);
      if (ecode !== EXIT.OK) return ecode;
    } else {
      const e = evaluateModelDir({ model: stage, data: plan.validation, log: (l) => io.err(l) });
      io.out(plan.json ? JSON.stringify(e.doc, null, 2) : formatEvaluation(e));
    }
  }
  return EXIT.OK;
}

/** The one `AZURE_ML_INPUT_*` / `AZURE_ML_OUTPUT_*` variable, if exactly one is set. */
function single(env: NodeJS.ProcessEnv, prefix: string): { value: string; where: string } | undefined {
  const keys = Object.keys(env).filter((k) => k.startsWith(prefix) && env[k]);
  return keys.length === 1 ? { value: env[keys[0]!]!, where: `env:${keys[0]}` } : undefined;
}

function pick(...c: ({ value: string | undefined; where: string } | undefined)[]): { value: string; where: string } | undefined {
  for (const x of c) if (x && x.value !== undefined && x.value !== '') return { value: x.value, where: x.where };
  return undefined;
}

/** The local default, with `MLOPS_*` settings from the environment for options the command line does not give. */
async function runLocal(argv: string[], io: Io, env: NodeJS.ProcessEnv, o: RunTrainOptions): Promise<number> {
  const given = new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!));
  const extra: string[] = [];
  const used: string[] = [];
  // Every setting, the gate included: one gate for local runs and every training contract (checked by the plain command before it writes).
  const fromEnv: [string, string][] = [...Object.entries(SETTING_ENV), ['data', 'MLOPS_DATA'], ['out', 'MLOPS_OUT']];
  for (const [flag, name] of fromEnv) {
    const v = env[name];
    if (v === undefined || v === '' || (flag !== 'params' && given.has(flag))) continue;
    extra.push(`--${flag}`, v);
    used.push(name);
  }
  if (used.length) io.err(`using ${used.join(', ')} from the environment`);
  return o.trainLocal([...extra, ...argv], io);
}

/**
 * `mlops train` under the training contract that applies (see
 * {@link detectTrainingContract}): reads the platform's inputs, trains with
 * the plain local command into a staging directory, evaluates on validation
 * data if the platform provides some, and publishes the model directory where
 * the platform expects it. On SageMaker every failure is also written to
 * `/opt/ml/output/failure`. Returns the exit code; throws what it cannot
 * handle (the CLI turns it into a message and exit code 1 or 2).
 */
export async function runTrainContract(argv: string[], io: Io, o: RunTrainOptions): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) return o.trainLocal(argv, io);
  const env = o.env ?? process.env;
  const detected = detectTrainingContract(env);
  io.err(`training contract: ${detected.contract} (${detected.reason})`);
  if (detected.contract === 'local') return runLocal(argv, io, env, o);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-train-'));
  try {
    if (detected.contract === 'sagemaker') return await runSageMaker(argv, io, env, o, work);
    if (detected.contract === 'vertex') return await runVertex(argv, io, env, o, work);
    return await runAzureMl(argv, io, env, o, work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function runSageMaker(argv: string[], outer: Io, env: NodeJS.ProcessEnv, o: RunTrainOptions, work: string): Promise<number> {
  const sm = sageMakerPaths(env);
  const { io, tail } = tailIo(outer);
  const fail = (reason: string): void => {
    try {
      fs.mkdirSync(path.dirname(sm.failure), { recursive: true });
      fs.writeFileSync(sm.failure, reason.endsWith('\n') ? reason : `${reason}\n`);
      io.err(`failure reason written to ${sm.failure}`);
    } catch (e) {
      io.err(`could not write ${sm.failure}: ${(e as Error).message}`);
    }
  };
  try {
    const args = parseContractArgs(argv);
    // Before any data is read: a root-owned mount would otherwise fail only after the whole training.
    assertWritable([
      { dir: path.dirname(sm.failure), where: path.dirname(sm.failure), purpose: 'failure reason' },
      { dir: args.out ?? sm.model, where: args.out ? 'arg:--out' : sm.model, purpose: 'model directory' },
    ]);
    const settings = resolveSettings([envSettings(env), readHyperparameters(sm.hyperparameters), args.settings]);
    const channel = (name: string): string | undefined => {
      const p = path.join(sm.data, name);
      return fs.existsSync(p) ? p : undefined;
    };
    const trainChannel = channel('train') ?? channel('training');
    const data = pick({ value: args.data, where: 'arg:--data' }, trainChannel ? { value: trainChannel, where: `channel:${path.basename(trainChannel)}` } : undefined);
    if (!data) {
      const have = fs.existsSync(sm.data) ? fs.readdirSync(sm.data).filter((n) => !n.startsWith('.')) : [];
      throw contractError(
        'MISSING_DATA',
        sm.data,
        `has no 'train' (or 'training') channel${have.length ? `; channels present: ${have.join(', ')}` : ''}. Name the training job's input channel 'train'.`,
      );
    }
    const contractFile = settings.contract ? undefined : singleFile(path.join(sm.data, 'contract'), ['.yaml', '.yml'], 'channel:contract');
    const s: TrainSettings = contractFile ? { ...settings, contract: contractFile } : settings;
    requireTarget(s, 'sagemaker');
    const validation = pick(
      { value: args.validation, where: 'arg:--validation' },
      channel('validation') ? { value: channel('validation'), where: 'channel:validation' } : undefined,
    );
    const plan: Plan = {
      settings: s,
      data: resolveCsv(data.value, work, 'train', data.where, (l) => io.err(l)),
      ...(validation ? { validation: resolveCsv(validation.value, work, 'validation', validation.where, (l) => io.err(l)) } : {}),
      json: args.json,
    };
    const stage = path.join(work, 'model');
    const code = await trainInto(plan, stage, io, o);
    if (code !== EXIT.OK) {
      fail(tail.join('\n'));
      return code;
    }
    const dest = args.out ?? sm.model;
    const written = publishModelDir(stage, dest, args.out ? 'arg:--out' : sm.model);
    io.err(`model directory published to ${dest} (${written.length} files)`);
    return EXIT.OK;
  } catch (e) {
    fail(`mlops train: ${(e as Error).message ?? String(e)}`);
    throw e;
  }
}

async function fetchInput(src: { value: string; where: string }, label: string, work: string, io: Io, storage: () => Storage): Promise<string> {
  if (isGsUri(src.value)) {
    const dir = path.join(work, `${label}-download`);
    const files = await downloadGs(storage(), src.value, dir, src.where);
    io.err(`${label}: downloaded ${files.length} object(s) from ${src.value}`);
    return resolveCsv(dir, work, label, src.where, (l) => io.err(l));
  }
  return resolveCsv(src.value, work, label, src.where, (l) => io.err(l));
}

function lazyStorage(o: RunTrainOptions, env: NodeJS.ProcessEnv): () => Storage {
  let s: Storage | undefined;
  return () => (s ??= o.storage ? o.storage() : gcsClient(env));
}

async function runVertex(argv: string[], io: Io, env: NodeJS.ProcessEnv, o: RunTrainOptions, work: string): Promise<number> {
  const args = parseContractArgs(argv);
  const settings = resolveSettings([envSettings(env), args.settings]);
  const issues: ContractIssue[] = [];
  if (env.AIP_DATA_FORMAT && env.AIP_DATA_FORMAT.toLowerCase() !== 'csv') {
    issues.push({
      code: 'BAD_SETTING',
      path: 'env:AIP_DATA_FORMAT',
      message: `is ${show(env.AIP_DATA_FORMAT)}; this runtime reads CSV. Export the managed dataset as CSV (or pass --data with a CSV path).`,
    });
  }
  const data = pick(
    { value: args.data, where: 'arg:--data' },
    { value: env.AIP_TRAINING_DATA_URI, where: 'env:AIP_TRAINING_DATA_URI' },
    { value: env.MLOPS_DATA, where: 'env:MLOPS_DATA' },
  );
  const out = pick({ value: args.out, where: 'arg:--out' }, { value: env.AIP_MODEL_DIR, where: 'env:AIP_MODEL_DIR' }, { value: env.MLOPS_OUT, where: 'env:MLOPS_OUT' });
  if (!data)
    issues.push({
      code: 'MISSING_DATA',
      path: 'env:AIP_TRAINING_DATA_URI',
      message: 'no training data: give --data <csv|gs://…>, or run with a managed dataset (AIP_TRAINING_DATA_URI), or set MLOPS_DATA.',
    });
  if (!out)
    issues.push({
      code: 'MISSING_OUTPUT',
      path: 'env:AIP_MODEL_DIR',
      message: "no model output: set the custom job's baseOutputDirectory (Vertex AI then sets AIP_MODEL_DIR), or give --out <dir|gs://…>, or set MLOPS_OUT.",
    });
  if (issues.length) throw new ContractError(issues);
  if (!isGsUri(out!.value)) assertWritable([{ dir: out!.value, where: out!.where, purpose: 'model directory' }]);
  requireTarget(settings, 'vertex');
  const storage = lazyStorage(o, env);
  const validation = pick({ value: args.validation, where: 'arg:--validation' }, { value: env.AIP_VALIDATION_DATA_URI, where: 'env:AIP_VALIDATION_DATA_URI' });
  const plan: Plan = {
    settings,
    data: await fetchInput(data!, 'train', work, io, storage),
    ...(validation ? { validation: await fetchInput(validation, 'validation', work, io, storage) } : {}),
    json: args.json,
  };
  const stage = path.join(work, 'model');
  const code = await trainInto(plan, stage, io, o);
  if (code !== EXIT.OK) return code;
  const written = isGsUri(out!.value) ? await uploadModelDirGs(storage(), stage, out!.value, out!.where) : publishModelDir(stage, out!.value, out!.where);
  io.err(`model directory ${isGsUri(out!.value) ? 'uploaded' : 'published'} to ${out!.value} (${written.length} files)`);
  return EXIT.OK;
}

function checkMounted(p: { value: string; where: string }, kind: 'input' | 'output'): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p.value)) {
    throw contractError(
      'BAD_ARGUMENT',
      p.where,
      `is the URI ${show(p.value, 300)}, not a path. Give the job's ${kind} mode: ${kind === 'input' ? 'ro_mount or download' : 'rw_mount or upload'}, so Azure ML passes a local path.`,
    );
  }
}

async function runAzureMl(argv: string[], io: Io, env: NodeJS.ProcessEnv, o: RunTrainOptions, work: string): Promise<number> {
  const args: ContractArgs = parseContractArgs(argv);
  const settings = resolveSettings([envSettings(env), args.settings]);
  const data = pick({ value: args.data, where: 'arg:--data' }, single(env, 'AZURE_ML_INPUT_'), { value: env.MLOPS_DATA, where: 'env:MLOPS_DATA' });
  const out = pick({ value: args.out, where: 'arg:--out' }, single(env, 'AZURE_ML_OUTPUT_'), { value: env.MLOPS_OUT, where: 'env:MLOPS_OUT' });
  const issues: ContractIssue[] = [];
  if (!data)
    issues.push({
      code: 'MISSING_DATA',
      path: 'arg:--data',
      message: 'no training data: pass it in the command job, e.g. `mlops train --data ${{inputs.training_data}} --out ${{outputs.model}} --target <column>`.',
    });
  if (!out)
    issues.push({
      code: 'MISSING_OUTPUT',
      path: 'arg:--out',
      message: 'no model output: pass it in the command job, e.g. `--out ${{outputs.model}}` (an output of type uri_folder).',
    });
  if (issues.length) throw new ContractError(issues);
  checkMounted(data!, 'input');
  checkMounted(out!, 'output');
  assertWritable([{ dir: out!.value, where: out!.where, purpose: 'model directory' }]);
  requireTarget(settings, 'azureml');
  const validation = args.validation ? { value: args.validation, where: 'arg:--validation' } : undefined;
  if (validation) checkMounted(validation, 'input');
  const plan: Plan = {
    settings,
    data: resolveCsv(data!.value, work, 'train', data!.where, (l) => io.err(l)),
    ...(validation ? { validation: resolveCsv(validation.value, work, 'validation', validation.where, (l) => io.err(l)) } : {}),
    json: args.json,
  };
  const stage = path.join(work, 'model');
  const code = await trainInto(plan, stage, io, o);
  if (code !== EXIT.OK) return code;
  const written = publishModelDir(stage, out!.value, out!.where);
  io.err(`model directory published to ${out!.value} (${written.length} files)`);
  return EXIT.OK;
}
