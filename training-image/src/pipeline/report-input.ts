import * as fs from 'fs';
import * as path from 'path';
import { MODEL_FILES, readModelDir } from '../artifacts/modeldir';
import { selectionMetric } from '../models/train';
import { previewJson } from '../core/preview';
import { ForecastModel } from '../models/forecast-model';
import { transformerAnswer } from '../report/answer';
import type { ReportInput } from '../report/schema';
import { forecastSections, recentPeak } from '../report/series';
import { flatMetrics } from '../registry/registry';
import { StepContext } from './context';

function readJson(file: string | undefined): Record<string, unknown> | null {
  if (!file || !fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function one(c: StepContext, name: string): string | undefined {
  const v = c.inputs[name];
  return typeof v === 'string' ? v : undefined;
}

const KNOWN = ['rmse', 'mae', 'mape', 'r2', 'coverage', 'roc_auc', 'accuracy', 'f1', 'log_loss', 'threshold', 'f1_at_threshold'];

/**
 * The run's status as the report can state it: it is written by a step of the
 * run, so the run has not ended yet, but when no step failed and none is
 * left after this one, the run has succeeded (nothing after the report can
 * fail it); otherwise the steps still to run are named.
 */
export function reportStatus(steps: readonly { name: string; status: string }[], self: string): string {
  if (steps.some((s) => s.status === 'failed')) return 'failed';
  const later = steps.filter((s) => s.name !== self && (s.status === 'pending' || s.status === 'running'));
  return later.length ? `running (${later.map((s) => s.name).join(', ')} still to run after this report)` : 'succeeded';
}

/** Builds the report input from a report step's inputs (validation, model, metrics, decision, registration, selection, response). */
export function buildReportInput(c: StepContext): { input: ReportInput; answer: string | null } {
  const run = c.runInfo() as {
    id: string;
    pipeline: string;
    startedAt: string;
    git: { commit: string } | null;
    data: Record<string, { sha256: string }>;
    params: Record<string, unknown>;
    steps: { name: string; uses: string; status: string; ms: number }[];
  };
  const notes: string[] = [];
  const input: Record<string, unknown> = {
    title: (c.params.title as string) ?? run.pipeline,
    ...(typeof c.params.question === 'string' ? { question: c.params.question } : {}),
    run: {
      id: run.id,
      pipeline: run.pipeline,
      startedAt: run.startedAt,
      status: reportStatus(run.steps, c.step),
      gitCommit: run.git?.commit ?? null,
      dataFingerprint: Object.values(run.data)[0]?.sha256,
      params: run.params,
      // This report step is done once the report exists; it is shown as such.
      steps: run.steps.filter((s) => s.status !== 'pending').map((s) => ({ name: s.name, uses: s.uses, status: s.name === c.step ? 'ok' : s.status, durationMs: s.ms })),
    },
  };
  let answer: string | null = null;
  const val = readJson(one(c, 'validation'));
  if (val)
    input.dataQuality = {
      source: val.source,
      rows: val.rows,
      columns: val.columns,
      ok: val.ok,
      total: val.total,
      counts: val.counts,
      violations: val.violations,
      sha256: val.sha256,
      notes: [],
    };
  const metricsDoc = readJson(one(c, 'metrics'));
  const modelDir = one(c, 'model');
  const rating = typeof c.params.rating === 'number' ? c.params.rating : typeof metricsDoc?.threshold === 'number' ? (metricsDoc.threshold as number) : undefined;
  const unit = typeof c.params.unit === 'string' ? c.params.unit : undefined;
  const metricSets: { label: string; values: Record<string, number>; chosen?: boolean }[] = [];
  if (modelDir) {
    const d = readModelDir(modelDir);
    if (d.manifest.task === 'forecast') {
      const m = ForecastModel.fromLoaded(modelDir, d);
      const horizon = typeof metricsDoc?.horizon === 'number' ? (metricsDoc.horizon as number) : m.horizon;
      const label = (c.params.valueLabel as string) ?? `${m.series.value}${m.series.resample ? ` ${m.series.resample}ly ${m.series.agg}` : ''}`.replace('dayly', 'daily');
      const fs_ = forecastSections(m.forecaster, m.history, {
        valueLabel: label,
        horizon,
        ...(unit ? { unit } : {}),
        ...(rating !== undefined ? { rating } : {}),
        forecast: m.forecast(horizon),
      });
      input.forecast = fs_.forecast;
      input.backtest = fs_.backtest;
      const fc = m.forecast(horizon);
      if (rating !== undefined) {
        answer = transformerAnswer({
          rating,
          crossing: fs_.crossing,
          horizonEnd: fc.times[fc.times.length - 1]!,
          backtest: m.backtest,
          ...(unit ? { unit } : {}),
          intervalWidth: m.forecaster.getParams().intervalWidth,
          recentPeak: recentPeak(m.history.values),
        });
      }
      notes.push(
        `The series was aggregated at run time (${m.series.resample ?? 'no resampling'}, ${m.series.agg}) from the unmodified source file: ${m.history.times.length} points.`,
      );
    } else {
      const flat = flatMetrics(d.metrics);
      metricSets.push({ label: `${d.manifest.model} (holdout)`, values: Object.fromEntries(Object.entries(flat).filter(([k]) => KNOWN.includes(k))), chosen: true });
      const fi = d.featureImportance as { features: string[]; model: number[] | null; permutation: { mean: number[]; std: number[]; metric: string } | null };
      if (fi?.features?.length) {
        if (fi.permutation) input.importance = { features: fi.features, values: fi.permutation.mean, std: fi.permutation.std, kind: 'permutation', metric: fi.permutation.metric };
        else if (fi.model) input.importance = { features: fi.features, values: fi.model, kind: 'model' };
      }
      const tuningPath = path.join(modelDir, MODEL_FILES.tuning);
      if (fs.existsSync(tuningPath)) {
        const t = readJson(tuningPath) as { sampler: string; trials: unknown[]; best: { value: number; params: Record<string, unknown> } };
        input.tuning = [
          {
            model: d.manifest.model,
            trials: t.trials.length,
            metric: selectionMetric(d.manifest.task === 'regression' ? 'regression' : 'classification'),
            best: Math.abs(t.best.value),
            bestParams: t.best.params,
            sampler: t.sampler,
          },
        ];
      }
    }
  }
  if (metricsDoc && metricsDoc.task !== 'forecast') {
    const mm = (metricsDoc.metrics ?? {}) as Record<string, number>;
    metricSets.push({
      label: metricsDoc.data ? `evaluation (${path.basename(String(metricsDoc.data))})` : 'evaluation',
      values: Object.fromEntries(Object.entries(mm).filter(([k]) => KNOWN.includes(k))),
    });
    if (metricsDoc.classification) input.classification = metricsDoc.classification;
    const dt = metricsDoc.decisionThreshold as
      | { value: number; source: string; holdout: { f1?: number; rows?: number } | null; evaluated: { rows: number; f1: number } }
      | null
      | undefined;
    if (dt) {
      const on = metricsDoc.data ? path.basename(String(metricsDoc.data)) : 'the evaluation data';
      notes.push(
        dt.holdout
          ? `The decision threshold ${dt.value} was chosen by training to maximise F1 on its internal holdout${dt.holdout.rows ? ` (${dt.holdout.rows} rows` : ' ('}${dt.holdout.f1 !== undefined ? `${dt.holdout.rows ? ', ' : ''}F1 ${dt.holdout.f1.toFixed(3)} there` : ''}); the threshold curve, the confusion matrix and F1 ${dt.evaluated.f1.toFixed(3)} are on ${on} (${dt.evaluated.rows} rows), which was not used to choose it.`
          : `No decision threshold was stored by training, so the confusion matrix and F1 on ${on} are at the default 0.5; no threshold was chosen on the evaluation data.`,
      );
    }
  }
  const sel = readJson(one(c, 'selection'));
  if (sel) {
    const chosenDir = (sel.chosen as { dir: string }).dir;
    for (const cand of sel.candidates as { dir: string; model: string }[]) {
      const flat = flatMetrics(readModelDir(cand.dir).metrics);
      metricSets.push({ label: `${cand.model} (holdout)`, values: Object.fromEntries(Object.entries(flat).filter(([k]) => KNOWN.includes(k))), chosen: cand.dir === chosenDir });
    }
    if (metricSets.length > 1 && metricSets[0]!.label === metricSets.find((s, i) => i > 0 && s.chosen)?.label) metricSets.shift();
  }
  if (metricSets.length) input.metrics = metricSets;
  const dec = readJson(one(c, 'decision'));
  const reg = readJson(one(c, 'registration'));
  if (dec) {
    const champ = dec.champion as { value: number | null; version: number | null } | null;
    input.gate = {
      passed: dec.passed,
      decision: reg
        ? reg.promoted
          ? `promoted to champion (v${reg.version})`
          : `rejected: champion stays ${reg.champion === null ? 'none' : `v${reg.champion}`}`
        : dec.passed
          ? 'passed'
          : 'rejected',
      metric: dec.metric,
      direction: dec.direction,
      challenger: (dec.challenger as { value: number | null }).value,
      ...(champ ? { champion: champ.value } : {}),
      reasons: dec.reasons,
      ...(reg ? { model: { name: String(reg.name), version: Number(reg.version), aliases: reg.aliases as string[] } } : {}),
    };
  }
  if (answer) input.answer = answer;
  else if (typeof metricsDoc?.answer === 'string') input.answer = metricsDoc.answer;
  const resp = readJson(one(c, 'response'));
  if (resp) notes.push(`Scored through the local HTTP server: POST ${resp.url} → ${resp.status} in ${resp.ms} ms: ${previewJson(resp.response, 300)}`);
  if (notes.length) input.notes = notes;
  return { input: input as unknown as ReportInput, answer: answer ?? (typeof metricsDoc?.answer === 'string' ? (metricsDoc.answer as string) : null) };
}
