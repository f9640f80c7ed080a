import { Classifier, Estimator } from '../core/estimator';
import { SearchSpace } from '../eval/search';
import { FeatureConfig } from '../features/pipeline';
import { Task } from '../features/target';
import { LinearRegression, LogisticRegression, Ridge } from '../linear';
import { show } from '../core/text';

/** The `--model` names. */
export const MODEL_NAMES = ['linear', 'logistic', 'random-forest', 'gbdt', 'auto'] as const;

/** A `--model` name. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** A concrete (non-auto) model name. */
export type ConcreteModel = Exclude<ModelName, 'auto'>;

/** One catalog entry: how to build, reload, encode features for and tune a model. */
export interface CatalogEntry {
  /** The tasks it supports. */
  readonly tasks: readonly Task[];
  /** Whether it takes a `randomState` seed. */
  readonly seeded: boolean;
  /** Feature pipeline defaults that suit the model. */
  readonly features: FeatureConfig;
  /** Builds an unfitted estimator. */
  create(task: Task, params: Record<string, unknown>): Estimator;
  /** Reloads a saved estimator (its toJSON()). */
  fromJSON(task: Task, json: unknown): Estimator;
  /** The hyperparameter search space for `--tune`. */
  readonly space: SearchSpace;
}

type TreesModule = typeof import('../trees');

/** Loads the tree models lazily, so the linear paths work without them. */
function trees(): TreesModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../trees') as TreesModule;
  } catch (e) {
    throw new Error(`Tree models are not available in this build of the runtime (src/trees could not be loaded: ${(e as Error).message}).`);
  }
}

function onlyTask(model: string, tasks: readonly Task[], task: Task): void {
  if (!tasks.includes(task)) throw new Error(`Model '${model}' does not do ${task}; it does ${tasks.join(' and ')}. Pick another --model or --task.`);
}

const LINEAR_FEATURES: FeatureConfig = { numericImpute: 'median', standardize: true, handleUnknown: 'ignore' };

/** The model catalog: `--model` name → estimator factory. */
export const CATALOG: Readonly<Record<ConcreteModel, CatalogEntry>> = {
  linear: {
    tasks: ['regression'],
    seeded: false,
    features: LINEAR_FEATURES,
    create(task, params) {
      onlyTask('linear', this.tasks, task);
      return 'alpha' in params ? new Ridge(params) : new LinearRegression(params);
    },
    fromJSON(_task, json) {
      return (json as { name?: string }).name === 'Ridge' ? Ridge.fromJSON(json) : LinearRegression.fromJSON(json);
    },
    space: { alpha: { type: 'float', low: 1e-4, high: 100, log: true } },
  },
  logistic: {
    tasks: ['classification'],
    seeded: false,
    features: LINEAR_FEATURES,
    create(task, params) {
      onlyTask('logistic', this.tasks, task);
      return new LogisticRegression(params);
    },
    fromJSON(_task, json) {
      return LogisticRegression.fromJSON(json);
    },
    space: { C: { type: 'float', low: 1e-3, high: 100, log: true } },
  },
  'random-forest': {
    tasks: ['regression', 'classification'],
    seeded: true,
    features: { numericImpute: 'median', standardize: false, handleUnknown: 'ignore' },
    create(task, params) {
      const t = trees();
      return task === 'regression' ? new t.RandomForestRegressor(params) : new t.RandomForestClassifier(params);
    },
    fromJSON(task, json) {
      const t = trees();
      return task === 'regression' ? t.RandomForestRegressor.fromJSON(json) : t.RandomForestClassifier.fromJSON(json);
    },
    space: {
      maxFeatures: { type: 'float', low: 0.2, high: 1 },
      minSamplesLeaf: { type: 'int', low: 1, high: 20, log: true },
    },
  },
  gbdt: {
    tasks: ['regression', 'classification'],
    seeded: true,
    features: { numericImpute: 'none', standardize: false, handleUnknown: 'ignore' },
    create(task, params) {
      const t = trees();
      return task === 'regression' ? new t.HistGradientBoostingRegressor(params) : new t.HistGradientBoostingClassifier(params);
    },
    fromJSON(task, json) {
      const t = trees();
      return task === 'regression' ? t.HistGradientBoostingRegressor.fromJSON(json) : t.HistGradientBoostingClassifier.fromJSON(json);
    },
    space: {
      learningRate: { type: 'float', low: 0.01, high: 0.3, log: true },
      maxLeafNodes: { type: 'int', low: 7, high: 127, log: true },
      minSamplesLeaf: { type: 'int', low: 5, high: 100, log: true },
      l2Regularization: { type: 'float', low: 1e-6, high: 10, log: true },
    },
  },
};

/** The catalog entry for a concrete model name; throws naming the accepted names. */
export function catalogEntry(name: string): CatalogEntry {
  // Own keys only: 'constructor' or 'toString' are not models.
  const e = Object.hasOwn(CATALOG, name) ? (CATALOG as Record<string, CatalogEntry>)[name] : undefined;
  if (!e) throw new Error(`Unknown model ${show(name)}. Accepted: ${MODEL_NAMES.join(', ')}.`);
  return e;
}

/** The models `auto` compares for a task. */
export function autoCandidates(task: Task): ConcreteModel[] {
  return task === 'regression' ? ['linear', 'gbdt'] : ['logistic', 'gbdt'];
}

/** The default concrete model for a task. */
export function defaultModel(task: Task): ConcreteModel {
  return task === 'regression' ? 'linear' : 'logistic';
}

/** Builds an estimator from the catalog, passing the seed as `randomState` to seeded models unless given. */
export function createEstimator(name: ConcreteModel, task: Task, params: Record<string, unknown> = {}, seed?: number): Estimator {
  const e = catalogEntry(name);
  const p = { ...params };
  if (e.seeded && seed !== undefined && p.randomState === undefined) p.randomState = seed;
  return e.create(task, p);
}

/** True when the estimator has `predictProba` (a classifier). */
export function isClassifier(e: Estimator): e is Classifier {
  return typeof (e as Partial<Classifier>).predictProba === 'function';
}
