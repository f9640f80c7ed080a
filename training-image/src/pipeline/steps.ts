import * as fs from 'fs';
import * as path from 'path';
import { enclosingModelDir, fileSha256, modelContentHash, ModelDirError, readModelDir } from '../artifacts/modeldir';
import { FileBatch, writeFileAtomic } from '../core/atomic';
import { commit, testPause } from '../core/job';
import { isInside, realPath, statOrNull } from '../core/paths';
import { previewJson } from '../core/preview';
import { fmt, showList } from '../core/text';
import { checkContract, loadContract } from '../data/contract';
import { readCsvFile } from '../data/csv';
import { DataError } from '../data/errors';
import { Frame } from '../data/frame';
import { FeatureConfig } from '../features/pipeline';
import { encodeTarget, TASKS } from '../features/target';
import { loadData } from '../data/load';
import { AGGREGATIONS, RESAMPLE_PERIODS } from '../data/series';
import { notDefinedText } from '../eval/metrics';
import { ForecastModel, trainForecastModel } from '../models/forecast-model';
import { TrainedModel } from '../models/model';
import { writeTrainedModelDir } from '../models/save';
import { loadScoringModel, predictionTable, PredictionTable, readScoringData, ScoringModel } from '../models/score';
import { TRAIN_BOUNDS, TRAIN_DEFAULTS, trainingFeatures, trainModel } from '../models/train';
import { DEFAULT_SAMPLER, Sampler } from '../eval/search';
import { MODEL_NAMES, ModelName } from '../models/catalog';
import { checkGateConfig, GateDecision, gateDecision, METRIC_DIRECTIONS } from '../registry/gate';
import { copyDir } from '../registry/fsutil';
import { flatMetrics, LocalRegistry, ModelVersion, notDefinedMetrics } from '../registry/registry';
import { StepContext, StepError, StepOutcome } from './context';
import { DriftChampion, DriftDecision, driftDecision } from './drift';
import { readModelProfile } from '../models/profile';
import { StepKind } from './schema';
import { CsvSplitError, CsvSplitResult, splitCsv } from './split';
import { thresholdCurve, thresholdPoint } from '../eval/threshold';

export { StepError } from './context';
export { modelContentHash } from '../artifacts/modeldir';
export type { StepContext, StepOutcome } from './context';

type StepFn = (c: StepContext) => Promise<StepOutcome>;

function p(c: StepContext, name: string): string {
  return `steps.${c.step}.params.${name}`;
}

function input(c: StepContext, name: string, required = true): string | undefined {
  const v = c.inputs[name];
  if (v === undefined) {
    if (required)
      throw new StepError('BAD_INPUT', `steps.${c.step}.inputs.${name}`, `step '${c.step}' (${c.uses}) needs input '${name}'; add inputs: {${name}: <path>} (see FORMAT.md).`);
    return undefined;
  }
  if (Array.isArray(v)) throw new StepError('BAD_INPUT', `steps.${c.step}.inputs.${name}`, `input '${name}' of step '${c.step}' must be one path, not a list.`);
  return v as string;
}

function str(c: StepContext, name: string, required: true): string;
function str(c: StepContext, name: string, required?: false): string | undefined;
function str(c: StepContext, name: string, required = false): string | undefined {
  const v = c.params[name];
  if (v === undefined || v === null) {
    if (required) throw new StepError('BAD_PARAM', p(c, name), `step '${c.step}' (${c.uses}) needs params.${name}.`);
    return undefined;
  }
  if (typeof v !== 'string' || !v) throw new StepError('BAD_PARAM', p(c, name), `params.${name} of step '${c.step}' must be a non-empty string. Got ${JSON.stringify(v)}.`);
  return v;
}

function num(c: StepContext, name: string, o: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = c.params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (o.integer && !Number.isInteger(v)) || (o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max)) {
    throw new StepError(
      'BAD_PARAM',
      p(c, name),
      `params.${name} of step '${c.step}' must be ${o.integer ? 'an integer' : 'a number'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}${o.max !== undefined ? ` ≤ ${o.max}` : ''}. Got ${JSON.stringify(v)}.`,
    );
  }
  return v;
}

function choice<T extends string>(c: StepContext, name: string, choices: readonly T[]): T | undefined {
  const v = c.params[name];
  if (v === undefined || v === null) return undefined;
  if (!choices.includes(v as T)) throw new StepError('BAD_PARAM', p(c, name), `params.${name} of step '${c.step}' must be one of ${choices.join(', ')}. Got ${JSON.stringify(v)}.`);
  return v as T;
}

function obj(c: StepContext, name: string): Record<string, unknown> | undefined {
  const v = c.params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new StepError('BAD_PARAM', p(c, name), `params.${name} of step '${c.step}' must be a map. Got ${JSON.stringify(v)}.`);
  return v as Record<string, unknown>;
}

function writeJson(file: string, v: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(v, null, 1) + '\n');
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

const validate: StepFn = async (c) => {
  const data = input(c, 'data')!;
  const { contract } = loadContract(input(c, 'contract')!);
  const table = readCsvFile(data);
  const rep = checkContract(table, contract, { maxPerColumn: num(c, 'maxPerColumn', { integer: true, min: 1 }) ?? 20 });
  writeJson(c.outputs.report!, { ...rep, columns: table.header.length, sha256: fileSha256(data) });
  const fail = c.params.failOnError !== false;
  if (!rep.ok && fail) {
    throw new StepError(
      'DATA_INVALID',
      `steps.${c.step}.inputs.data`,
      `${data} breaks the contract: ${rep.total} violation(s), e.g. ${rep.violations
        .slice(0, 3)
        .map((v) => `[${v.code}] ${v.message}`)
        .join('; ')}. Fix the data or the contract (report: ${c.outputs.report}).`,
    );
  }
  return { metrics: { rows: rep.rows, violations: rep.total }, summary: `${rep.rows} rows, ${rep.total} violation(s)` };
};

const split: StepFn = async (c) => {
  const data = input(c, 'data')!;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(data);
  } catch (e) {
    throw new StepError('BAD_INPUT', `steps.${c.step}.inputs.data`, `cannot read ${data}: ${(e as Error).message}`);
  }
  const testFraction = num(c, 'testFraction', { min: 0, max: 1 }) ?? 0.2;
  const seed = num(c, 'seed', { integer: true, min: 0 }) ?? 0;
  const stratify = str(c, 'stratify');
  const time = str(c, 'time');
  let r: CsvSplitResult;
  try {
    r = splitCsv(bytes, { testFraction, seed, ...(stratify !== undefined ? { stratify } : {}), ...(time !== undefined ? { time } : {}) });
  } catch (e) {
    if (e instanceof CsvSplitError)
      throw new StepError(
        e.field === 'data' ? 'BAD_INPUT' : 'BAD_PARAM',
        e.field === 'data' ? `steps.${c.step}.inputs.data` : p(c, e.field),
        `${e.field === 'data' ? `${data}: ` : `params.${e.field} of step '${c.step}': `}${e.message}`,
      );
    throw e;
  }
  for (const [name, buf] of [
    ['train', r.train],
    ['test', r.test],
  ] as const) {
    fs.mkdirSync(path.dirname(c.outputs[name]!), { recursive: true });
    fs.writeFileSync(c.outputs[name]!, buf);
  }
  const how =
    r.method === 'time-ordered'
      ? `time-ordered by '${time}': train ${r.timeRange!.train?.join(' … ')}, test ${r.timeRange!.test.join(' … ')}`
      : r.method === 'stratified'
        ? `stratified by '${stratify}' (${Object.entries(r.classes!)
            .map(([k, v]) => `${k} ${v.train}/${v.test}`)
            .join(', ')}), seed ${seed}`
        : `random, seed ${seed}`;
  return { metrics: { rows: r.rows, train_rows: r.trainRows, test_rows: r.testRows }, summary: `${r.rows} rows → train ${r.trainRows}, test ${r.testRows} (${how})` };
};

const train: StepFn = async (c) => {
  const dataPath = input(c, 'data')!;
  const contractPath = input(c, 'contract', false);
  const loaded = loadData(dataPath, contractPath);
  if (!loaded.frame)
    throw new StepError('DATA_INVALID', `steps.${c.step}.inputs.data`, `${dataPath} breaks the contract (${loaded.report!.total} violations); run a validate step to see them.`);
  const target = str(c, 'target') ?? loaded.contract?.target;
  if (!target) throw new StepError('BAD_PARAM', p(c, 'target'), `step '${c.step}' needs params.target (the label column) or a target in the contract.`);
  const model = choice<ModelName>(c, 'model', MODEL_NAMES) ?? TRAIN_DEFAULTS.model;
  const features = trainingFeatures((obj(c, 'features') ?? {}) as FeatureConfig, loaded.contract, target);
  const tune = obj(c, 'tune');
  const seed = num(c, 'seed', { integer: true, min: 0 }) ?? TRAIN_DEFAULTS.seed;
  const tuneOpts = tune ? { trials: Number(tune.trials ?? 20), sampler: (tune.sampler as Sampler | undefined) ?? DEFAULT_SAMPLER } : undefined;
  const result = trainModel({
    frame: loaded.frame,
    target,
    task: choice(c, 'task', TASKS),
    model,
    params: obj(c, 'params') ?? {},
    seed,
    features,
    holdout: num(c, 'holdout', TRAIN_BOUNDS.holdout),
    tune: tuneOpts,
    log: (l) => c.log(`  ${l}`),
  });
  const tr = result.trained;
  writeTrainedModelDir(c.outputs.model!, result, {
    target,
    seed,
    data: dataPath,
    rows: loaded.frame.rows,
    cols: loaded.frame.names.length,
    contractText: loaded.contractText,
    tune: tuneOpts,
  });
  const m = flatMetrics(result.metrics);
  return {
    metrics: m,
    summary: `${result.model} for ${tr.task} of '${target}'; holdout ${Object.entries(m)
      .filter(([k]) => k in METRIC_DIRECTIONS)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ')}`,
  };
};

const forecast: StepFn = async (c) => {
  const r = trainForecastModel({
    data: input(c, 'data')!,
    out: c.outputs.model!,
    time: str(c, 'time', true),
    value: str(c, 'value', true),
    resample: choice(c, 'resample', RESAMPLE_PERIODS) ?? null,
    agg: choice(c, 'agg', AGGREGATIONS),
    forecaster: obj(c, 'forecaster') as never,
    seed: num(c, 'seed', { integer: true, min: 0 }),
    horizon: num(c, 'horizon', { integer: true, min: 1 }),
    log: (l) => c.log(`  ${l}`),
  });
  const bt = r.model.backtest;
  return {
    metrics: { rmse: bt.rmse, mae: bt.mae, ...(bt.mape !== null ? { mape: bt.mape } : {}), coverage: bt.coverage, points: r.model.history.times.length },
    summary: `${r.model.forecaster.model} on ${r.model.history.times.length} points; backtest RMSE ${fmt(bt.rmse)}${bt.mape === null ? `; mape not defined: ${bt.notDefined.mape}` : ''}`,
  };
};

const evaluate: StepFn = async (c) => {
  const dir = input(c, 'model')!;
  const d = readModelDir(dir);
  if (d.manifest.task === 'forecast') {
    const m = ForecastModel.fromLoaded(dir, d);
    const horizon = num(c, 'horizon', { integer: true, min: 1 }) ?? m.horizon;
    const threshold = num(c, 'threshold');
    const fc = m.forecast(horizon);
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    const ex = threshold === undefined ? null : m.whenExceeds(threshold, horizon);
    const bt = m.backtest;
    let answer: string | undefined;
    if (threshold !== undefined) {
      const { transformerAnswer } = await import('../report/answer');
      const { recentPeak } = await import('../report/series');
      answer = transformerAnswer({
        rating: threshold,
        crossing: ex && (ex.date !== null || ex.upper !== null || ex.lower !== null) ? ex : null,
        horizonEnd: fc.times[fc.times.length - 1]!,
        backtest: bt,
        unit: str(c, 'unit'),
        intervalWidth: m.forecaster.getParams().intervalWidth,
        recentPeak: recentPeak(m.history.values),
      });
    }
    const metrics = { rmse: bt.rmse, mae: bt.mae, ...(bt.mape !== null ? { mape: bt.mape } : {}), coverage: bt.coverage };
    writeJson(c.outputs.metrics!, {
      task: 'forecast',
      metrics,
      backtest: bt,
      threshold: threshold ?? null,
      horizon,
      horizonEnd: iso(fc.times[fc.times.length - 1]!),
      crossing: ex ? { date: iso(ex.date), lower: iso(ex.lower), upper: iso(ex.upper) } : null,
      answer: answer ?? null,
    });
    return {
      metrics,
      summary: threshold !== undefined ? `crossing of ${threshold}: ${ex?.date ? iso(ex.date)!.slice(0, 10) : 'none within the horizon'}` : `backtest RMSE ${fmt(bt.rmse)}`,
      ...(answer ? { answer } : {}),
    };
  }
  const { model } = TrainedModel.load(dir);
  const dataPath = input(c, 'data', false);
  const contractPath = input(c, 'contract', false);
  let metrics: Record<string, number>;
  let classification: unknown = null;
  let decisionThreshold: unknown = null;
  let rows: number | null = null;
  let notDefined: Readonly<Record<string, string>> = {};
  const notes: string[] = [];
  if (dataPath) {
    const loaded = loadData(dataPath, contractPath);
    if (!loaded.frame)
      throw new StepError('DATA_INVALID', `steps.${c.step}.inputs.data`, `${dataPath} breaks the contract (${loaded.report!.total} violations); run a validate step to see them.`);
    const frame = loaded.frame as Frame;
    if (!frame.names.includes(model.target.column))
      throw new StepError('BAD_INPUT', `steps.${c.step}.inputs.data`, `${dataPath} has no target column '${model.target.column}'; evaluate needs labelled data.`);
    rows = frame.rows;
    ({ metrics, notDefined } = model.evaluateScores(frame));
    for (const [k, why] of Object.entries(notDefined)) notes.push(`${k} not defined: ${why}`);
    if (model.task === 'classification' && model.target.labels && model.target.labels.length === 2) {
      // The decision threshold comes from training (chosen on its internal holdout); it is never chosen on the data evaluated here.
      const y = encodeTarget(frame.column(model.target.column), model.target);
      const pr = model.predictFrame(frame).proba!;
      const pPos = new Float64Array(pr.rows);
      for (let i = 0; i < pr.rows; i++) pPos[i] = pr.data[i * pr.cols + 1]!;
      const stored = storedThreshold(d.metrics);
      const t = stored?.value ?? 0.5;
      const at = thresholdPoint(y, pPos, t);
      const curve = thresholdCurve(y, pPos);
      classification = {
        positiveLabel: model.target.labels[1],
        ...(stored ? { threshold: { value: t, metric: 'F1 on the training holdout', ...(stored.f1 !== undefined ? { score: stored.f1 } : {}) } } : {}),
        curve: { thresholds: curve.thresholds, precision: curve.precision, recall: curve.recall, f1: curve.f1 },
        confusion: { labels: [...model.target.labels], matrix: at.confusion },
      };
      decisionThreshold = {
        value: t,
        source: stored ? 'training holdout' : 'default',
        holdout: stored,
        evaluated: { rows: frame.rows, f1: at.f1, precision: at.precision, recall: at.recall },
      };
      metrics = { ...metrics, threshold: t, f1_at_threshold: at.f1, precision_at_threshold: at.precision, recall_at_threshold: at.recall };
      notes.push(
        stored
          ? `threshold ${t} chosen on the training holdout (F1 there ${stored.f1 === undefined ? 'n/a' : fmt(stored.f1)})`
          : `no decision threshold stored by training (trained without a holdout, or by an older runtime): F1/precision/recall at the default 0.5`,
      );
    }
  } else metrics = flatMetrics(d.metrics);
  writeJson(c.outputs.metrics!, {
    task: model.task,
    metrics,
    ...(Object.keys(notDefined).length ? { notDefined } : {}),
    data: dataPath ?? null,
    rows,
    decisionThreshold,
    classification,
  });
  const shown = Object.entries(metrics).filter(([k]) => k in METRIC_DIRECTIONS || ['threshold', 'f1_at_threshold', 'precision_at_threshold', 'recall_at_threshold'].includes(k));
  return {
    metrics,
    summary: `${dataPath ? `on ${path.basename(dataPath)} (${rows} rows)` : "the model's holdout metrics"}: ${shown.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}${notes.length ? `; ${notes.join('; ')}` : ''}`,
  };
};

/** The decision threshold training stored in the model's metrics (`decisionThreshold`, chosen on its holdout), or null. */
export function storedThreshold(metrics: unknown): { value: number; f1?: number; precision?: number; recall?: number; rows?: number } | null {
  const t = (metrics as { decisionThreshold?: Record<string, unknown> } | null)?.decisionThreshold;
  if (!t || typeof t.value !== 'number' || !(t.value >= 0 && t.value <= 1)) return null;
  const n = (k: string): number | undefined => (typeof t[k] === 'number' ? (t[k] as number) : undefined);
  return {
    value: t.value,
    ...(n('f1') !== undefined ? { f1: n('f1') } : {}),
    ...(n('precision') !== undefined ? { precision: n('precision') } : {}),
    ...(n('recall') !== undefined ? { recall: n('recall') } : {}),
    ...(n('rows') !== undefined ? { rows: n('rows') } : {}),
  };
}

function metricsOf(modelDir: string, metricsFile?: string): Record<string, number> {
  if (metricsFile) return flatMetrics(readJson(metricsFile));
  return flatMetrics(readModelDir(modelDir).metrics);
}

const select: StepFn = async (c) => {
  const raw = c.inputs.candidates;
  const cands = Array.isArray(raw) ? (raw as string[]) : Object.values(c.inputs).flatMap((v) => (Array.isArray(v) ? v : [v]));
  if (cands.length < 1) throw new StepError('BAD_INPUT', `steps.${c.step}.inputs.candidates`, `select needs inputs.candidates: a list of model directories.`);
  const metric = str(c, 'metric', true);
  const direction = choice(c, 'direction', ['minimize', 'maximize'] as const) ?? METRIC_DIRECTIONS[metric];
  if (!direction) throw new StepError('BAD_PARAM', p(c, 'direction'), `metric '${metric}' has no known direction; add direction: minimize or maximize.`);
  const scored = cands.map((dir) => ({ dir, model: readModelDir(dir).manifest.model, value: metricsOf(dir)[metric] ?? null }));
  // A candidate whose metric is not defined (MAPE with zero targets) cannot be ranked by it: say so rather than pass it over.
  for (const s of scored) {
    const nd = s.value === null ? notDefinedMetrics(readModelDir(s.dir).metrics)[metric] : undefined;
    if (nd) throw new StepError('BAD_PARAM', p(c, 'metric'), `cannot select by '${metric}': for candidate ${s.model} (${s.dir}), ${notDefinedText(metric, nd.why, nd.on)}.`);
  }
  const ok = scored.filter((s) => s.value !== null);
  if (!ok.length) throw new StepError('BAD_PARAM', p(c, 'metric'), `no candidate has metric '${metric}'; candidates have ${Object.keys(metricsOf(cands[0]!)).join(', ')}.`);
  const best = ok.sort((a, b) => (direction === 'minimize' ? a.value! - b.value! : b.value! - a.value!))[0]!;
  fs.rmSync(c.outputs.model!, { recursive: true, force: true });
  copyDir(best.dir, c.outputs.model!);
  writeJson(c.outputs.selection!, { metric, direction, chosen: best, candidates: scored });
  return {
    metrics: { [metric]: best.value! },
    summary: `chose ${best.model} (${metric} ${fmt(best.value!)}) among ${scored.map((s) => `${s.model} ${s.value === null ? 'n/a' : fmt(s.value)}`).join(', ')}`,
  };
};

/** The champion a challenger is compared with: the current champion, or, when the challenger already is the champion, the one it replaced. */
export function referenceChampion(reg: LocalRegistry, name: string, challengerHash: string | null): ModelVersion | null {
  const vs = reg.versions(name);
  if (!vs.length) return null;
  const s = reg.aliases(name);
  if (s.champion === null) return null;
  const champ = vs.find((v) => v.version === s.champion) ?? null;
  if (!champ || champ.contentHash !== challengerHash) return champ;
  const i = s.lineage.lastIndexOf(champ.version);
  const prev = i > 0 ? s.lineage[i - 1]! : null;
  return prev === null ? null : (vs.find((v) => v.version === prev) ?? null);
}

const gate: StepFn = async (c) => {
  const dir = input(c, 'model')!;
  let config;
  try {
    config = checkGateConfig(c.params as Record<string, unknown>);
  } catch (e) {
    throw new StepError('BAD_PARAM', `steps.${c.step}.${(e as { path: string }).path}`, (e as Error).message);
  }
  const metricsFile = input(c, 'metrics', false);
  const challenger = metricsOf(dir, metricsFile);
  // Why a metric is missing: from the evaluated data when an evaluate step's file says so, else from the model's own holdout or backtest.
  const notDefined = { ...notDefinedMetrics(readModelDir(dir).metrics), ...(metricsFile ? notDefinedMetrics(readJson(metricsFile)) : {}) };
  const hash = modelContentHash(dir);
  const champ = referenceChampion(c.registry, c.modelName, hash);
  const current = c.registry.versions(c.modelName).length ? c.registry.resolveAlias(c.modelName, 'champion') : null;
  const isChampion = current !== null && current.contentHash === hash;
  const decision: GateDecision = gateDecision(
    config,
    challenger,
    champ ? { metrics: champ.metrics, version: champ.version } : null,
    isChampion ? current.version : null,
    isChampion,
    notDefined,
  );
  writeJson(c.outputs.decision!, { ...decision, model: c.modelName, challengerMetrics: challenger });
  // The decision as a value file (`true` or `false`, no newline): what a Vertex AI (KFP) condition reads as a boolean output parameter.
  writeFileAtomic(c.outputs.passed!, passedText(decision.passed));
  if (!decision.passed && c.params.failOnReject === true) throw new StepError('GATE_REJECTED', `steps.${c.step}`, `the quality gate rejected the model: ${decision.reasons[0]}.`);
  return { metrics: { passed: decision.passed ? 1 : 0 }, summary: `${decision.passed ? 'PASSED' : 'REJECTED'}: ${decision.reasons.join('; ')}` };
};

/** The content of a gate's `passed` output: the JSON literal `true` or `false`, without a newline (KFP parses a BOOLEAN output parameter with Go's strconv.ParseBool after trimming spaces; JSON.parse reads it too). */
export function passedText(passed: boolean): string {
  return passed ? 'true' : 'false';
}

const register: StepFn = async (c) => {
  const dir = input(c, 'model')!;
  const decisionFile = input(c, 'decision', false);
  const decision = decisionFile ? (readJson(decisionFile) as GateDecision) : null;
  const promote = c.params.promote ?? 'auto';
  if (promote !== 'auto' && promote !== true && promote !== false)
    throw new StepError('BAD_PARAM', p(c, 'promote'), `params.promote must be auto, true or false. Got ${JSON.stringify(promote)}.`);
  const extra = decision ? (decision as unknown as { challengerMetrics?: Record<string, number> }).challengerMetrics : undefined;
  const should = promote === true || (promote === 'auto' && decision !== null && decision.passed);
  // Registration and promotion are one step for a stop (SIGTERM): it waits until both are done.
  // The version records the run that trained the model: when the train step was cached, the earlier run its model comes from.
  const trainedBy = c.inputRuns?.model ?? c.runId;
  const { version, created, before } = commit(`registration of ${c.modelName}`, () => {
    const r = c.registry.register(c.modelName, dir, { metrics: extra, runId: trainedBy, registeredBy: c.runId, decision });
    const champion = c.registry.aliases(c.modelName).champion;
    if (should) c.registry.promote(c.modelName, r.version.version, decision ? `gate passed: ${decision.reasons[0] ?? ''}` : 'promoted by pipeline (promote: true)');
    return { ...r, before: champion };
  });
  const after = c.registry.aliases(c.modelName);
  const promoted = should && after.champion === version.version;
  const aliases = (['champion', 'challenger'] as const).filter((a) => after[a] === version.version);
  writeJson(c.outputs.registration!, {
    name: c.modelName,
    version: version.version,
    created,
    promoted,
    previousChampion: before,
    champion: after.champion,
    aliases,
    contentHash: version.contentHash,
    trainedBy: version.runId,
    registeredBy: version.registeredBy ?? null,
  });
  return {
    metrics: { version: version.version, promoted: promoted ? 1 : 0 },
    summary: `${c.modelName} v${version.version}${created ? ' registered' : ' (already registered)'}; ${promoted ? (before === version.version ? 'already champion' : `promoted to champion${before ? ` (was v${before})` : ''}`) : `not promoted; champion stays ${after.champion === null ? 'none' : `v${after.champion}`}`}`,
  };
};

/** The CSV files a predict step scores: the file given, or every `*.csv` directly in the folder given, sorted by name. */
export function predictDataFiles(c: StepContext, data: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(data);
  } catch (e) {
    throw new StepError('BAD_INPUT', `steps.${c.step}.inputs.data`, `cannot read ${data}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) return [data];
  const names = fs.readdirSync(data).sort();
  const files = names.filter((n) => n.endsWith('.csv') && !n.startsWith('.') && statOrNull(path.join(data, n))?.isFile()).map((n) => path.join(data, n));
  if (!files.length) {
    const seen = names.filter((n) => !n.startsWith('.'));
    throw new StepError(
      'BAD_INPUT',
      `steps.${c.step}.inputs.data`,
      `input 'data' of step '${c.step}' is the folder ${data}, which holds no CSV file (*.csv) to score (${seen.length ? `it holds ${showList(seen, 10)}` : 'it is empty'}; files in subfolders are not read). Fix: put the CSV files to score directly in ${data}, or give the path of one CSV file.`,
    );
  }
  return files;
}

/** Refuses a predictions folder that would change an input: a file, the data folder or a folder in it, a folder in a model directory, a folder that holds a data file. */
function checkPredictionsFolder(c: StepContext, out: string, data: string, files: readonly string[]): void {
  const at = `steps.${c.step}.outputs.predictions`;
  const real = realPath(out);
  const st = statOrNull(real);
  if (st && !st.isDirectory())
    throw new StepError(
      'BAD_OUTPUT',
      at,
      `output 'predictions' of step '${c.step}' is ${out}, an existing file; predictions are a folder (one CSV per input file). Fix: give a folder path.`,
    );
  const dataReal = realPath(data);
  if (statOrNull(dataReal)?.isDirectory() && isInside(real, dataReal))
    throw new StepError(
      'BAD_OUTPUT',
      at,
      `output 'predictions' of step '${c.step}' (${out}) is ${real === dataReal ? 'the data folder itself' : 'inside the data folder'} ${data}: writing there would change the input${real === dataReal ? " (each predictions file has its input file's name)" : ''}. Fix: write the predictions to a folder outside it, e.g. ${data.replace(/[\\/]+$/, '')}-predictions.`,
    );
  const model = enclosingModelDir(real);
  if (model !== null)
    throw new StepError(
      'BAD_OUTPUT',
      at,
      `output 'predictions' of step '${c.step}' (${out}) is inside the model directory ${model}, whose files are checksummed; predictions written there would break the model. Fix: write them to a folder outside it.`,
    );
  for (const f of files) {
    if (isInside(realPath(f), real))
      throw new StepError(
        'BAD_OUTPUT',
        at,
        `output 'predictions' of step '${c.step}' (${out}) holds the data file ${f}; its predictions would replace it. Fix: write the predictions to another folder.`,
      );
  }
}

const predict: StepFn = async (c) => {
  const modelDir = input(c, 'model')!;
  const data = input(c, 'data')!;
  const out = c.outputs.predictions!;
  const rawKeep = c.params.keep ?? [];
  if (!Array.isArray(rawKeep) || !rawKeep.every((k) => typeof k === 'string' && k !== ''))
    throw new StepError(
      'BAD_PARAM',
      p(c, 'keep'),
      `params.keep of step '${c.step}' must be a list of input column names to copy into the predictions, e.g. keep: [id]. Got ${JSON.stringify(rawKeep)?.slice(0, 80)}.`,
    );
  const keep = rawKeep as string[];
  const files = predictDataFiles(c, data);
  checkPredictionsFolder(c, out, data, files);
  let m: ScoringModel;
  try {
    m = loadScoringModel(modelDir);
  } catch (e) {
    if (e instanceof ModelDirError) throw new StepError('BAD_INPUT', `steps.${c.step}.inputs.model`, e.message);
    throw e;
  }
  for (const w of m.warnings) c.log(`  warning: ${w}`);
  const batch = new FileBatch();
  const existed = fs.existsSync(out);
  let rows = 0;
  try {
    for (const f of files) {
      const target = path.join(out, path.basename(f));
      let table: PredictionTable;
      try {
        table = predictionTable(m, readScoringData(m, f), { data: f, keep, keepOption: `params.keep of step '${c.step}'`, out: target });
      } catch (e) {
        const nothing = `Nothing was written to ${out}.`;
        if (e instanceof DataError) throw new StepError('DATA_INVALID', `steps.${c.step}.inputs.data`, `${e.message}\n${nothing}`);
        if ((e as Error).name === 'BrokenModelError') throw new StepError('STEP_FAILED', `steps.${c.step}.inputs.model`, `${(e as Error).message} ${nothing}`);
        throw e;
      }
      batch.stage(target, table.csv);
      rows += table.rows;
      c.log(`  ${path.basename(f)}: ${table.rows} rows`);
    }
    testPause('predict-staged');
    batch.commit(`predictions in ${out}`);
  } catch (e) {
    batch.abort();
    // Nothing half-written: not even the folder, when this step made it.
    if (!existed) {
      try {
        fs.rmdirSync(out);
      } catch {
        /* not made, or no longer empty */
      }
    }
    throw e;
  }
  return {
    metrics: { files: files.length, rows },
    summary: `${rows} rows in ${files.length} file${files.length === 1 ? '' : 's'} scored with ${m.model.model} (${m.model.task}) → ${out}`,
  };
};

const serve: StepFn = async (c) => {
  const dir = input(c, 'model')!;
  let mod: { startServer?: (o: Record<string, unknown>) => Promise<{ url: string; port: number; ready: Promise<void>; close(): Promise<void> }> };
  try {
    mod = require(path.join(__dirname, '..', 'serve')) as typeof mod;
  } catch (e) {
    throw new StepError('SERVE_UNAVAILABLE', `steps.${c.step}`, `the scoring server (src/serve) is not available in this runtime build (${(e as Error).message.split('\n')[0]}).`);
  }
  if (typeof mod.startServer !== 'function') throw new StepError('SERVE_UNAVAILABLE', `steps.${c.step}`, 'src/serve does not export startServer.');
  const host = str(c, 'host') ?? '127.0.0.1';
  const port = num(c, 'port', { integer: true, min: 0, max: 65535 }) ?? 0;
  const srv = await mod.startServer({ model: dir, host, port, env: {}, logger: c.params.logs === true ? undefined : false, processMetrics: false });
  c.onRunEnd(() => srv.close());
  try {
    await srv.ready;
  } catch (e) {
    throw new StepError('STEP_FAILED', `steps.${c.step}.inputs.model`, `the server could not load ${dir}: ${(e as Error).message}`);
  }
  writeJson(c.outputs.endpoint!, { url: srv.url, port: srv.port, model: dir });
  return { summary: `serving ${dir} at ${srv.url}` };
};

const score: StepFn = async (c) => {
  const ep = readJson(input(c, 'endpoint')!) as { url: string };
  const route = str(c, 'path') ?? '/invocations';
  const body = c.params.request;
  if (body === undefined)
    throw new StepError('BAD_PARAM', p(c, 'request'), `step '${c.step}' needs params.request: the JSON body to send, e.g. {instances: [{date: "2018-09-01"}]}.`);
  const url = new URL(route, ep.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
    throw new StepError('BAD_INPUT', `steps.${c.step}.inputs.endpoint`, `the local runner scores loopback endpoints only; got ${url.host}.`);
  const t = Date.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  writeJson(c.outputs.response!, { url: url.toString(), status: res.status, ms: Date.now() - t, request: body, response: json });
  // Shown shortened, as valid JSON (whole values only).
  if (!res.ok) throw new StepError('SCORE_FAILED', `steps.${c.step}.params.request`, `POST ${url} answered ${res.status}: ${previewJson(json, 300)}`);
  return { metrics: { status: res.status, latency_ms: Date.now() - t }, summary: `POST ${url.pathname} → ${res.status} in ${Date.now() - t} ms: ${previewJson(json, 160)}` };
};

const report: StepFn = async (c) => {
  const { buildReportInput } = await import('./report-input');
  const built = buildReportInput(c);
  const { writeReport } = await import('../report');
  const w = await writeReport(c.outputs.report!, built.input);
  return { summary: `report ${w.html}`, ...(built.answer ? { answer: built.answer } : {}) };
};

/** The params a drift step takes. */
const DRIFT_PARAMS = ['psi'] as const;

const drift: StepFn = async (c) => {
  const data = input(c, 'data')!;
  const unknown = Object.keys(c.params).filter((k) => !(DRIFT_PARAMS as readonly string[]).includes(k));
  if (unknown.length)
    throw new StepError(
      'BAD_PARAM',
      p(c, unknown[0]!),
      `step '${c.step}' (drift) has no param '${unknown[0]}'; its only param is psi (a PSI threshold, e.g. psi: 0.2). Fix: remove params.${unknown[0]}.`,
    );
  const raw = c.params.psi;
  if (raw !== undefined && raw !== null && (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0))
    throw new StepError(
      'BAD_PARAM',
      p(c, 'psi'),
      `params.psi of step '${c.step}' must be a number above 0 (the population stability index above which a feature counts as drifted; 0.1–0.25 is usual). Got ${JSON.stringify(raw)}. Fix: set psi: 0.2, or remove it to retrain whenever the data changes.`,
    );
  const threshold = typeof raw === 'number' ? raw : null;
  const dir = input(c, 'model', false);
  let champion: DriftChampion | null = null;
  if (dir !== undefined) {
    let loaded;
    try {
      loaded = readModelDir(dir);
    } catch (e) {
      if (e instanceof ModelDirError) throw new StepError('BAD_INPUT', `steps.${c.step}.inputs.model`, e.message);
      throw e;
    }
    champion = { dir, loaded, profile: readModelProfile(dir, loaded) };
  } else if (!c.missingInputs?.model)
    throw new StepError(
      'BAD_INPUT',
      `steps.${c.step}.inputs.model`,
      `step '${c.step}' (drift) needs input 'model': the champion to compare with. Fix: add inputs: {model: "models:/${c.modelName}@champion"}.`,
    );
  let d: DriftDecision;
  try {
    d = driftDecision(data, champion, threshold, c.missingInputs?.model ? `no champion yet (${whyMissing(c.missingInputs.model)})` : undefined);
  } catch (e) {
    if (e instanceof DataError) throw new StepError('DATA_INVALID', `steps.${c.step}.inputs.data`, e.message);
    throw e;
  }
  writeJson(c.outputs.report!, d);
  // A value file like the gate's `passed`: what a guarded step's --when and a Vertex AI condition read.
  writeFileAtomic(c.outputs.proceed!, passedText(d.proceed));
  return {
    metrics: { proceed: d.proceed ? 1 : 0, ...(d.max ? { max_psi: d.max.psi } : {}) },
    summary: `${d.proceed ? 'PROCEED' : 'SKIP'}: ${d.reason}`,
  };
};

/** The implementation of each step kind. */
export const STEP_FUNCTIONS: Readonly<Record<StepKind, StepFn>> = { validate, split, drift, train, forecast, evaluate, select, gate, register, predict, serve, score, report };

/** Why a registry input is missing, without the registry's advice to register one (which the drift step's first run does). */
function whyMissing(message: string): string {
  return message.split(';')[0]!.replace(/\.\s*$/, '');
}
