import { ParamSpec } from '../core/estimator';
import { GREATER_IS_BETTER, MetricName } from '../eval/metrics';
import { Sampler, SAMPLERS } from '../eval/search';
import { Task, TASKS } from '../features/target';
import { ConcreteModel, ModelName, MODEL_NAMES } from '../models/catalog';
import { TRAIN_BOUNDS, TRAIN_DEFAULTS } from '../models/train';
import { ContractIssue, ContractError } from './errors';
import { show, showKey, showList } from '../core/text';

/**
 * What a training run needs beyond its data and output paths, gathered from
 * the training contract's sources (env vars, SageMaker hyperparameters,
 * command-line arguments) and validated once.
 */
export interface TrainSettings {
  /** Column to predict. @default - the data contract's target; otherwise an error */
  readonly target?: string;
  /** Catalog model. @default 'auto' */
  readonly model: ModelName;
  /** @default - inferred from the target column */
  readonly task?: Task;
  /** @default 0 */
  readonly seed?: number;
  /** @default 0.2 */
  readonly holdout?: number;
  /** Hyperparameter-search budget. @default - no search */
  readonly tune?: number;
  /** @default 'tpe' */
  readonly search?: Sampler;
  readonly drop: readonly string[];
  readonly categorical: readonly string[];
  readonly time?: string;
  /** `col=1,2,24` entries. */
  readonly lag: readonly string[];
  /** `col=3,24` entries. */
  readonly rolling: readonly string[];
  /** Path of a data contract (YAML). */
  readonly contract?: string;
  /**
   * Quality gate on the holdout metrics (`r2>=0.8,rmse<=70`): a model that misses
   * a bound fails the job and is not published. @default - no gate
   */
  readonly gate: readonly GateBound[];
  /** Estimator hyperparameters, coerced to the types the model's parameter spec declares. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Keys that were recognised as the platform's own and ignored (e.g. `sagemaker_region`). */
  readonly ignored: readonly string[];
}

/** One bound of the quality gate: `metric >= value` (min) or `metric <= value` (max). */
export interface GateBound {
  readonly metric: string;
  readonly bound: 'min' | 'max';
  readonly value: number;
}

/** The holdout metrics training records, which a gate can bound: regression, then classification. */
export const GATE_METRICS: readonly MetricName[] = Object.keys(GREATER_IS_BETTER) as MetricName[];

/** Parses `r2>=0.8,rmse<=70`; returns the bounds and what is wrong with the others (bad syntax, a metric training does not record). */
export function parseGate(text: string): { bounds: GateBound[]; problems: string[] } {
  const bounds: GateBound[] = [];
  const problems: string[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s*(>=|<=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(part);
    if (!m) {
      problems.push(`${show(part)} is not metric>=number or metric<=number (e.g. r2>=0.8,rmse<=70)`);
      continue;
    }
    if (!(GATE_METRICS as readonly string[]).includes(m[1]!)) {
      problems.push(`${show(m[1]!)} in ${show(part)} is not a metric training records; use one of ${GATE_METRICS.join(', ')}`);
      continue;
    }
    bounds.push({ metric: m[1]!, bound: m[2] === '>=' ? 'min' : 'max', value: Number(m[3]) });
  }
  return { bounds, problems };
}

/** One raw setting as a source gave it: every training contract delivers strings. */
export interface RawSetting {
  /** The key as given (`max_iter`, `maxIter`, `target`, …). */
  readonly key: string;
  /** The value as given. */
  readonly value: string;
  /** Where it came from, for messages: `hyperparameters.json#max_iter`, `env:MLOPS_TARGET`, `arg:--target`. */
  readonly where: string;
}

/** The non-model settings, by canonical name. */
export const SETTING_NAMES = ['target', 'model', 'task', 'seed', 'holdout', 'tune', 'search', 'drop', 'categorical', 'time', 'lag', 'rolling', 'contract', 'gate'] as const;

/** A canonical setting name. */
export type SettingName = (typeof SETTING_NAMES)[number];

const LIST_SETTINGS: readonly SettingName[] = ['drop', 'categorical', 'lag', 'rolling'];

/** Environment variables that carry settings (documented; lowest precedence). */
export const SETTING_ENV: Readonly<Record<SettingName | 'params', string>> = {
  target: 'MLOPS_TARGET',
  model: 'MLOPS_MODEL',
  task: 'MLOPS_TASK',
  seed: 'MLOPS_SEED',
  holdout: 'MLOPS_HOLDOUT',
  tune: 'MLOPS_TUNE',
  search: 'MLOPS_SEARCH',
  drop: 'MLOPS_DROP',
  categorical: 'MLOPS_CATEGORICAL',
  time: 'MLOPS_TIME',
  lag: 'MLOPS_LAG',
  rolling: 'MLOPS_ROLLING',
  contract: 'MLOPS_DATA_CONTRACT',
  gate: 'MLOPS_GATE',
  params: 'MLOPS_PARAMS',
};

/** Keys a platform adds on its own; they are logged and ignored. */
export function isPlatformKey(key: string): boolean {
  return key.startsWith('sagemaker_') || key.startsWith('_') || key === 'job-dir' || key === 'job_dir';
}

/** `max_iter`, `max-iter`, `MaxIter` → `maxiter`: how keys are matched. */
export function normalizeKey(key: string): string {
  return key.replace(/[-_\s]/g, '').toLowerCase();
}

const SETTING_BY_KEY: ReadonlyMap<string, SettingName | 'params'> = new Map<string, SettingName | 'params'>([
  ...SETTING_NAMES.map((s) => [normalizeKey(s), s] as const),
  ['params', 'params'],
  ['hyperparameters', 'params'],
  ['datacontract', 'contract'],
  ['label', 'target'],
  ['targetcolumn', 'target'],
]);

/** A model's parameter spec: names, constraints and extra accepted strings (`'auto'`, `'sqrt'`). */
export interface ModelParamSpec {
  /** How messages name the model. */
  readonly estimator: string;
  readonly specs: Readonly<Record<string, ParamSpec>>;
  readonly unions: Readonly<Record<string, { readonly also: readonly string[]; readonly accepted: string }>>;
}

/** The parameter spec of a catalog model, read from the estimators' own constraint tables (trees loaded lazily). */
export function modelParamSpec(model: ConcreteModel): ModelParamSpec {
  switch (model) {
    case 'linear': {
      // `linear` becomes Ridge when alpha is given, so both tables apply.
      const l = require('../linear/linear') as typeof import('../linear/linear');
      return { estimator: 'linear (LinearRegression / Ridge)', specs: { ...l.LINEAR_REGRESSION_PARAMS, ...l.RIDGE_PARAMS }, unions: {} };
    }
    case 'logistic': {
      const l = require('../linear/logistic') as typeof import('../linear/logistic');
      return { estimator: 'logistic (LogisticRegression)', specs: l.LOGISTIC_PARAMS, unions: {} };
    }
    case 'random-forest': {
      const f = require('../trees/forest') as typeof import('../trees/forest');
      return {
        estimator: 'random-forest (RandomForest)',
        specs: f.RF_PARAMS,
        unions: { maxFeatures: { also: ['sqrt', 'log2'], accepted: "'sqrt', 'log2', a float in (0, 1] or an int > 1" } },
      };
    }
    case 'gbdt': {
      const h = require('../trees/hgb') as typeof import('../trees/hgb');
      return { estimator: 'gbdt (HistGradientBoosting)', specs: h.HGB_PARAMS, unions: { earlyStopping: { also: ['auto'], accepted: "'auto' or a boolean" } } };
    }
  }
}

/** Strips one level of JSON string quoting (`"\"gbdt\""` → `gbdt`), which some SageMaker SDK estimators add. */
export function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    try {
      const s = JSON.parse(t) as unknown;
      if (typeof s === 'string') return s;
    } catch {
      /* not JSON: keep as is */
    }
  }
  return t;
}

function describeSpec(spec: ParamSpec): string {
  const range = (min?: number, max?: number, exMin?: boolean, exMax?: boolean): string => {
    const parts: string[] = [];
    if (min !== undefined) parts.push(`${exMin ? '>' : '≥'} ${min}`);
    if (max !== undefined) parts.push(`${exMax ? '<' : '≤'} ${max}`);
    return parts.length ? ` ${parts.join(' and ')}` : '';
  };
  switch (spec.type) {
    case 'int':
      return `an int${range(spec.min, spec.max)}${spec.nullable ? " or 'null'" : ''}`;
    case 'float':
      return `a float${range(spec.min, spec.max, spec.exclusiveMin, spec.exclusiveMax)}${spec.nullable ? " or 'null'" : ''}`;
    case 'bool':
      return "a boolean ('true' or 'false')";
    case 'enum':
      return `one of ${spec.values.map((s) => `'${s}'`).join(', ')}`;
  }
}

/**
 * Turns a string value into the type `spec` declares (ints, floats, booleans,
 * `null`/`None` for nullable, enum strings, union strings such as `'auto'`),
 * checking ranges; returns the value or an error message.
 */
export function coerceParamValue(
  raw: string,
  spec: ParamSpec,
  union?: { readonly also: readonly string[]; readonly accepted: string },
): { ok: true; value: unknown } | { ok: false; accepted: string } {
  const v = unquote(raw);
  if (union?.also.includes(v)) return { ok: true, value: v };
  const accepted = union?.accepted ?? describeSpec(spec);
  const num = v === '' ? NaN : Number(v);
  switch (spec.type) {
    case 'int':
    case 'float': {
      if (spec.nullable && /^(null|none)$/i.test(v)) return { ok: true, value: null };
      if (!Number.isFinite(num)) return { ok: false, accepted };
      if (spec.type === 'int' && !Number.isInteger(num)) return { ok: false, accepted };
      const exMin = spec.type === 'float' && spec.exclusiveMin,
        exMax = spec.type === 'float' && spec.exclusiveMax;
      if (spec.min !== undefined && (exMin ? num <= spec.min : num < spec.min)) return { ok: false, accepted };
      if (spec.max !== undefined && (exMax ? num >= spec.max : num > spec.max)) return { ok: false, accepted };
      return { ok: true, value: num };
    }
    case 'bool':
      if (/^(true|1|yes)$/i.test(v)) return { ok: true, value: true };
      if (/^(false|0|no)$/i.test(v)) return { ok: true, value: false };
      return { ok: false, accepted };
    case 'enum':
      return spec.values.includes(v) ? { ok: true, value: v } : { ok: false, accepted };
  }
}

/** Splits `k=v,k=v` (or `;`/whitespace separated) into raw settings. */
function splitPairs(s: RawSetting, issues: ContractIssue[]): RawSetting[] {
  const out: RawSetting[] = [];
  for (const part of unquote(s.value)
    .split(/[,;\s]+/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      issues.push({ code: 'BAD_SETTING', path: s.where, message: `${showKey(s.key)} expects key=value pairs (e.g. maxIter=200,learningRate=0.05); got ${show(part)}.` });
      continue;
    }
    out.push({ key: part.slice(0, eq), value: part.slice(eq + 1), where: `${s.where}(${part.slice(0, eq)})` });
  }
  return out;
}

function splitList(v: string): string[] {
  return unquote(v)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** `a=1,2;b=24` or `a=1,2 b=24` → `['a=1,2', 'b=24']`. */
function splitColumnLists(v: string): string[] {
  return unquote(v)
    .split(/[;\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/**
 * Resolves settings from layers of raw strings, lowest precedence first
 * (e.g. env vars, then hyperparameters.json, then arguments). Every problem is
 * collected and thrown once as a {@link ContractError}.
 */
export function resolveSettings(layers: readonly (readonly RawSetting[])[]): TrainSettings {
  const issues: ContractIssue[] = [];
  const ignored: string[] = [];
  const chosen = new Map<SettingName, { values: string[]; where: string }>();
  const paramCandidates: RawSetting[] = [];
  for (const layer of layers) {
    const lists = new Map<SettingName, { values: string[]; where: string }>();
    for (const s of layer) {
      if (isPlatformKey(s.key)) {
        ignored.push(s.key);
        continue;
      }
      const name = SETTING_BY_KEY.get(normalizeKey(s.key));
      if (name === 'params') paramCandidates.push(...splitPairs(s, issues));
      else if (name && LIST_SETTINGS.includes(name)) {
        const items = name === 'lag' || name === 'rolling' ? splitColumnLists(s.value) : splitList(s.value);
        const cur = lists.get(name) ?? { values: [], where: s.where };
        cur.values.push(...items);
        lists.set(name, cur);
      } else if (name) chosen.set(name, { values: [unquote(s.value)], where: s.where });
      else paramCandidates.push(s);
    }
    for (const [k, v] of lists) chosen.set(k, v);
  }
  const one = (n: SettingName): { value: string; where: string } | undefined => {
    const c = chosen.get(n);
    return c ? { value: c.values[0] ?? '', where: c.where } : undefined;
  };
  const str = (n: SettingName): string | undefined => {
    const c = one(n);
    if (!c) return undefined;
    if (c.value === '') {
      issues.push({ code: 'BAD_SETTING', path: c.where, message: `'${n}' is empty; give a value or leave it out.` });
      return undefined;
    }
    return c.value;
  };
  const choice = <T extends string>(n: SettingName, options: readonly T[]): T | undefined => {
    const c = one(n);
    if (!c) return undefined;
    if (!options.includes(c.value as T)) {
      issues.push({ code: 'BAD_SETTING', path: c.where, message: `'${n}' must be one of ${options.join(', ')}; got ${show(c.value)}.` });
      return undefined;
    }
    return c.value as T;
  };
  const num = (n: SettingName, o: { integer?: boolean; min: number; max: number }): number | undefined => {
    const c = one(n);
    if (!c) return undefined;
    const x = c.value.trim() === '' ? NaN : Number(c.value);
    if (!Number.isFinite(x) || (o.integer && !Number.isInteger(x)) || x < o.min || x > o.max) {
      issues.push({ code: 'BAD_SETTING', path: c.where, message: `'${n}' must be ${o.integer ? 'an integer' : 'a number'} in [${o.min}, ${o.max}]; got ${show(c.value)}.` });
      return undefined;
    }
    return x;
  };
  const columnLists = (n: 'lag' | 'rolling'): string[] => {
    const c = chosen.get(n);
    if (!c) return [];
    for (const item of c.values) {
      if (!/^[^=]+=\s*\d+(\s*,\s*\d+)*$/.test(item))
        issues.push({ code: 'BAD_SETTING', path: c.where, message: `'${n}' expects column=N[,N…] entries separated by ';' (e.g. temp=1,2;cnt=24); got ${show(item)}.` });
    }
    return c.values;
  };

  const gateBounds = (): GateBound[] => {
    const c = one('gate');
    if (!c) return [];
    const { bounds, problems } = parseGate(c.value);
    for (const p of problems) issues.push({ code: 'BAD_SETTING', path: c.where, message: `'gate': ${p}.` });
    if (bounds.length === 0 && problems.length === 0) issues.push({ code: 'BAD_SETTING', path: c.where, message: `'gate' is empty; give bounds such as r2>=0.8 or leave it out.` });
    return bounds;
  };
  const model = choice<ModelName>('model', MODEL_NAMES) ?? TRAIN_DEFAULTS.model;
  const settings = {
    target: str('target'),
    model,
    task: choice<Task>('task', TASKS),
    seed: num('seed', TRAIN_BOUNDS.seed),
    holdout: num('holdout', TRAIN_BOUNDS.holdout),
    tune: num('tune', { integer: true, min: 1, max: 100000 }),
    search: choice('search', SAMPLERS),
    drop: chosen.get('drop')?.values ?? [],
    categorical: chosen.get('categorical')?.values ?? [],
    time: str('time'),
    lag: columnLists('lag'),
    rolling: columnLists('rolling'),
    contract: str('contract'),
    gate: gateBounds(),
  };

  const params: Record<string, unknown> = {};
  if (paramCandidates.length && model === 'auto') {
    issues.push({
      code: 'PARAMS_NEED_MODEL',
      path: paramCandidates.map((p) => p.where).join(', '),
      message: `model parameters (${showList(paramCandidates.map((p) => p.key))}) need an explicit model: set 'model' to one of ${MODEL_NAMES.filter((m) => m !== 'auto').join(', ')} (with 'auto' the model is chosen later, so its parameters cannot be checked). Or, if these are not model parameters, the known settings are: ${SETTING_NAMES.join(', ')}, params.`,
    });
  } else if (paramCandidates.length) {
    const spec = modelParamSpec(model as ConcreteModel);
    const byNorm = new Map(Object.keys(spec.specs).map((k) => [normalizeKey(k), k] as const));
    for (const p of paramCandidates) {
      const name = byNorm.get(normalizeKey(p.key));
      if (!name) {
        issues.push({
          code: 'UNKNOWN_HYPERPARAMETER',
          path: p.where,
          message: `${showKey(p.key)} is neither a setting (${SETTING_NAMES.join(', ')}, params) nor a parameter of ${spec.estimator} (${Object.keys(spec.specs).join(', ')}). Fix the name or remove it.`,
        });
        continue;
      }
      const r = coerceParamValue(p.value, spec.specs[name]!, spec.unions[name]);
      if (!r.ok) {
        issues.push({ code: 'BAD_HYPERPARAMETER', path: p.where, message: `The '${name}' parameter of ${spec.estimator} must be ${r.accepted}. Got ${show(p.value)}.` });
        continue;
      }
      params[name] = r.value;
    }
  }
  if (issues.length) throw new ContractError(issues);
  const clean = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as unknown as Omit<TrainSettings, 'params' | 'ignored'>;
  return { ...clean, params, ignored };
}

/** The settings layer read from `MLOPS_*` environment variables ({@link SETTING_ENV}). */
export function envSettings(env: NodeJS.ProcessEnv): RawSetting[] {
  const out: RawSetting[] = [];
  for (const [key, name] of Object.entries(SETTING_ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') out.push({ key, value: v, where: `env:${name}` });
  }
  return out;
}

/** `mlops train` flags for the settings (the inverse of the CLI's own parsing; values round-trip exactly). */
export function settingsToArgv(s: TrainSettings): string[] {
  const a: string[] = [];
  const put = (flag: string, v: string | number | undefined): void => {
    if (v !== undefined) a.push(`--${flag}`, String(v));
  };
  put('target', s.target);
  put('model', s.model);
  put('task', s.task);
  put('seed', s.seed);
  put('holdout', s.holdout);
  put('tune', s.tune);
  put('search', s.search);
  if (s.drop.length) put('drop', s.drop.join(','));
  if (s.categorical.length) put('categorical', s.categorical.join(','));
  put('time', s.time);
  for (const l of s.lag) put('lag', l);
  for (const r of s.rolling) put('rolling', r);
  put('contract', s.contract);
  if (s.gate.length) put('gate', s.gate.map((b) => `${b.metric}${b.bound === 'min' ? '>=' : '<='}${b.value}`).join(','));
  for (const [k, v] of Object.entries(s.params)) a.push('--params', `${k}=${v === null ? 'null' : String(v)}`);
  return a;
}
