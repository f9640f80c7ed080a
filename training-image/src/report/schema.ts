/**
 * The input of a run report: one zod schema, the static types inferred from
 * it, and errors as data (`{code, path, message}`).
 */
import { z } from 'zod';
import { toEpochMs } from './answer';

const F64 = z.custom<Float64Array>((v) => v instanceof Float64Array, { message: 'must be an array of numbers or a Float64Array' });

/** Numbers: an array or a Float64Array (read as a plain array). NaN allowed (shown as "n/a"). */
const Nums = z.union([z.array(z.number().or(z.nan())), F64]).transform((v) => Array.from(v));

/** A time: epoch ms, ISO 8601 text or a Date, read as epoch ms. */
const Time = z
  .union([z.number(), z.string(), z.date()])
  .refine((v) => !Number.isNaN(toEpochMs(v)), { message: 'must be a time: epoch ms, ISO 8601 text (2018-06-26 or 2018-06-26T19:00:00Z) or a Date' })
  .transform((v) => toEpochMs(v));

/** Times: an array of {@link Time}s or a Float64Array of epoch ms. */
const Times = z.union([z.array(z.union([z.number(), z.string(), z.date()])), F64]).transform((v, ctx) => {
  const out = Array.from(v as ArrayLike<number | string | Date>, (t) => toEpochMs(t));
  const bad = out.findIndex((t) => Number.isNaN(t));
  if (bad >= 0) ctx.addIssue({ code: 'custom', path: [bad], message: `must be a time: epoch ms, ISO 8601 text or a Date (got ${JSON.stringify((v as ArrayLike<unknown>)[bad])})` });
  return out;
});

const Metric = z.number().or(z.nan()).nullable();

/** A time series: times and values of the same length. */
const SeriesSchema = z
  .object({ times: Times, values: Nums })
  .strict()
  .refine((s) => s.times.length === s.values.length, { message: "'times' and 'values' must have the same length", path: ['values'] });

/** The forecast section: history, fitted trend, forecast with interval, rating and crossing. */
export const ReportForecastSchema = z
  .object({
    /** What is forecast, e.g. "HUFL daily peak". */
    valueLabel: z.string().min(1),
    /** Unit of the values and the rating. */
    unit: z.string().optional(),
    /** The observed series. */
    history: SeriesSchema,
    /** The fitted trend (in-sample and, optionally, over the horizon). */
    trend: SeriesSchema.optional(),
    /** The forecast: mean and interval bounds at future times. */
    forecast: z
      .object({ times: Times, mean: Nums, lower: Nums, upper: Nums })
      .strict()
      .refine((f) => f.mean.length === f.times.length && f.lower.length === f.times.length && f.upper.length === f.times.length, {
        message: "'times', 'mean', 'lower' and 'upper' must have the same length",
      })
      .refine((f) => f.times.length > 0, { message: 'the forecast must have at least one point' }),
    /** Probability mass of the interval. @default 0.8 */
    intervalWidth: z.number().gt(0).lt(1).default(0.8),
    /** The threshold (e.g. the transformer rating) drawn as a horizontal rule. */
    rating: z.number().optional(),
    /** Label of the rule. @default "rating" */
    ratingLabel: z.string().optional(),
    /** When the forecast first reaches the rating (mean, lower and upper bound); null when it does not within the horizon. */
    crossing: z.object({ date: Time.nullable(), lower: Time.nullable(), upper: Time.nullable() }).strict().nullable().optional(),
    /** The forecaster's chosen structure, e.g. `piecewise(25)+weekly(3)`. */
    model: z.string().optional(),
  })
  .strict();

/** Backtest error of a forecaster. */
export const ReportBacktestSchema = z
  .object({
    rmse: Metric,
    mae: Metric,
    /** A fraction (0.05 = 5 %); null when not defined (a held-out value was 0, see notDefined). */
    mape: Metric,
    /** Metric → why it is not defined on the held-out points (e.g. mape when one of them is 0). */
    notDefined: z.record(z.string(), z.string()).optional(),
    folds: z.number().optional(),
    /** Points per fold. */
    horizon: z.number().optional(),
    /** Share of held-out points inside the interval. */
    coverage: Metric.optional(),
    /** The winning structure. */
    model: z.string().optional(),
    /** Every candidate structure's backtest RMSE. */
    candidates: z.array(z.object({ model: z.string(), rmse: Metric }).strict()).optional(),
    /** The best plain least-squares baseline and its backtest RMSE (the chosen structure's never exceeds it). */
    baseline: z.object({ model: z.string(), rmse: Metric }).strict().nullable().optional(),
  })
  .strict();

/** One column of the metrics table: a model (or split) and its metric values. */
export const ReportMetricSetSchema = z
  .object({
    /** Column header, e.g. "gbdt (holdout)". */
    label: z.string().min(1),
    /** Metric name → value (mape as a fraction). */
    values: z.record(z.string(), Metric),
    /** Marks the chosen model's column. */
    chosen: z.boolean().optional(),
  })
  .strict();

/** Classification details: decision threshold, threshold curve, confusion matrix. */
export const ReportClassificationSchema = z
  .object({
    /** The positive class's label, e.g. "Yes". */
    positiveLabel: z.string().optional(),
    /** The decision threshold on the positive class probability, and the metric it maximises. */
    threshold: z
      .object({ value: z.number().min(0).max(1), metric: z.string(), score: Metric.optional() })
      .strict()
      .optional(),
    /** Precision, recall and F1 at each threshold (drawn as a chart). */
    curve: z
      .object({ thresholds: Nums, precision: Nums, recall: Nums, f1: Nums })
      .strict()
      .refine((c) => c.precision.length === c.thresholds.length && c.recall.length === c.thresholds.length && c.f1.length === c.thresholds.length, {
        message: "'thresholds', 'precision', 'recall' and 'f1' must have the same length",
      })
      .optional(),
    /** Confusion matrix at the threshold: rows = actual, columns = predicted, in `labels` order. */
    confusion: z
      .object({ labels: z.array(z.string()).min(2), matrix: z.array(z.array(z.number())) })
      .strict()
      .refine((c) => c.matrix.length === c.labels.length && c.matrix.every((r) => r.length === c.labels.length), {
        message: "'matrix' must be labels × labels",
        path: ['matrix'],
      })
      .optional(),
  })
  .strict();

/** Hyperparameter search summary for one model. */
export const ReportTuningSchema = z
  .object({
    model: z.string(),
    trials: z.number().int().min(0),
    metric: z.string(),
    best: Metric,
    bestParams: z.record(z.string(), z.unknown()).optional(),
    sampler: z.string().optional(),
  })
  .strict();

/** Feature importance (bar chart of the top features). */
export const ReportImportanceSchema = z
  .object({
    features: z.array(z.string()),
    values: Nums,
    std: Nums.optional(),
    /** `permutation` (score drop when shuffled) or `model` (the model's own importances). @default 'permutation' */
    kind: z.enum(['permutation', 'model']).default('permutation'),
    /** The score that drops, for permutation importance (e.g. `r2`, `roc_auc`). */
    metric: z.string().optional(),
    /** Bars shown. @default 15 */
    top: z.number().int().min(1).max(100).default(15),
  })
  .strict()
  .refine((i) => i.values.length === i.features.length && (!i.std || i.std.length === i.features.length), {
    message: "'features', 'values' (and 'std') must have the same length",
    path: ['values'],
  });

/** Data-quality summary (a `ValidationReport` fits as is). */
export const ReportDataQualitySchema = z
  .object({
    source: z.string(),
    rows: z.number().int().min(0),
    columns: z.number().int().min(0).optional(),
    ok: z.boolean(),
    total: z.number().int().min(0),
    counts: z.array(z.object({ code: z.string(), column: z.string().nullable().optional(), count: z.number() }).passthrough()).default([]),
    violations: z
      .array(z.object({ code: z.string(), message: z.string(), row: z.number().optional(), column: z.string().optional(), value: z.string().optional() }).passthrough())
      .default([]),
    /** sha256 of the data file. */
    sha256: z.string().optional(),
    /** Free-text notes, e.g. "aggregated to 726 daily peaks at run time". */
    notes: z.array(z.string()).default([]),
  })
  .passthrough();

/** The quality gate's decision. */
export const ReportGateSchema = z
  .object({
    /** True when the challenger may be promoted. */
    passed: z.boolean(),
    /** e.g. "promoted to champion", "rejected: kept champion v3". */
    decision: z.string().optional(),
    metric: z.string().optional(),
    direction: z.enum(['minimize', 'maximize']).optional(),
    challenger: Metric.optional(),
    champion: Metric.optional(),
    margin: z.number().optional(),
    /** Why: one line per rule. */
    reasons: z.array(z.string()).default([]),
    /** The registered model. */
    model: z
      .object({ name: z.string(), version: z.union([z.string(), z.number()]).optional(), aliases: z.array(z.string()).optional() })
      .strict()
      .optional(),
  })
  .strict();

/** Run information: id, pipeline, times, steps with their timings. */
export const ReportRunSchema = z
  .object({
    id: z.string().min(1),
    pipeline: z.string().optional(),
    startedAt: Time.optional(),
    finishedAt: Time.optional(),
    durationMs: z.number().min(0).optional(),
    status: z.string().optional(),
    gitCommit: z.string().nullable().optional(),
    /** sha256 (or similar) of the input data. */
    dataFingerprint: z.string().optional(),
    seed: z.number().optional(),
    runtimeVersion: z.string().optional(),
    /** Parameters of the run. */
    params: z.record(z.string(), z.unknown()).optional(),
    steps: z.array(z.object({ name: z.string(), uses: z.string().optional(), status: z.string(), durationMs: z.number().min(0).optional() }).strict()).default([]),
  })
  .strict();

/** Everything a run report can show; only `title` and `run` are required, every other section is optional. */
export const ReportInputSchema = z
  .object({
    /** Report title, e.g. "Transformer overload". */
    title: z.string().min(1),
    /** The question the run answers. */
    question: z.string().optional(),
    /** The answer, shown first (e.g. {@link transformerAnswer}'s sentence). */
    answer: z.string().optional(),
    run: ReportRunSchema,
    forecast: ReportForecastSchema.optional(),
    backtest: ReportBacktestSchema.optional(),
    /** Metrics table: one column per set (model or split). */
    metrics: z.array(ReportMetricSetSchema).default([]),
    classification: ReportClassificationSchema.optional(),
    tuning: z.array(ReportTuningSchema).default([]),
    importance: ReportImportanceSchema.optional(),
    dataQuality: ReportDataQualitySchema.optional(),
    gate: ReportGateSchema.optional(),
    /** Free-text notes shown at the end. */
    notes: z.array(z.string()).default([]),
  })
  .strict();

/** What callers pass to `writeReport` (times as epoch ms / ISO text / Date, numbers as arrays or Float64Arrays). */
export type ReportInput = z.input<typeof ReportInputSchema>;
/** The validated report input (times as epoch ms, numbers as plain arrays, defaults filled). */
export type ParsedReportInput = z.output<typeof ReportInputSchema>;
/** The forecast section, validated. */
export type ReportForecast = z.output<typeof ReportForecastSchema>;
/** The importance section, validated. */
export type ReportImportance = z.output<typeof ReportImportanceSchema>;
/** The classification section, validated. */
export type ReportClassification = z.output<typeof ReportClassificationSchema>;

/** Stable codes of report errors. */
export const REPORT_ERROR_CODES = ['BAD_REPORT_INPUT', 'REPORT_RENDER_FAILED', 'REPORT_WRITE_FAILED'] as const;

/** One report problem: `{code, path, message}`. */
export interface ReportIssue {
  /** Stable code from {@link REPORT_ERROR_CODES}. */
  readonly code: (typeof REPORT_ERROR_CODES)[number];
  /** Where, e.g. `forecast.history.values`. */
  readonly path: string;
  /** What is wrong, the value, and what is accepted. */
  readonly message: string;
}

/** Thrown when a report cannot be made; carries every issue found. */
export class ReportError extends Error {
  constructor(
    message: string,
    /** Every issue found. */
    public readonly issues: readonly ReportIssue[] = [],
  ) {
    super(
      issues.length
        ? `${message}\n${issues
            .slice(0, 30)
            .map((i) => `  - [${i.code}] ${i.path}: ${i.message}`)
            .join('\n')}${issues.length > 30 ? `\n  … and ${issues.length - 30} more` : ''}`
        : message,
    );
    this.name = 'ReportError';
  }
}

function pathOf(p: readonly PropertyKey[]): string {
  let s = '';
  for (const k of p) s += typeof k === 'number' ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s || '(root)';
}

function valueAt(doc: unknown, p: readonly PropertyKey[]): unknown {
  let v: unknown = doc;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** Validates a report input; throws {@link ReportError} (`BAD_REPORT_INPUT`) naming every bad field, its value and what is accepted. */
export function parseReportInput(input: unknown): ParsedReportInput {
  const r = ReportInputSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map(
    (i): ReportIssue => ({
      code: 'BAD_REPORT_INPUT',
      path: pathOf(i.path),
      message: `${i.message} (got ${show(valueAt(input, i.path))})`,
    }),
  );
  throw new ReportError('The report input is invalid.', issues);
}
