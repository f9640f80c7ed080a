import * as path from 'path';
import { readModelDir, LoadedModelDir, MODEL_FILES } from '../artifacts/modeldir';
import { runtimeVersion } from '../artifacts/version';
import { Contract, parseContract } from '../data/contract';
import { DataError } from '../data/errors';
import { Frame } from '../data/frame';
import { PipelineState } from '../features/pipeline';
import { ForecastModel } from '../models/forecast-model';
import { TrainedModel } from '../models/model';
import { DataProfile, readModelProfile } from '../models/profile';
import { compileRegressor } from './compact';
import { fail, HttpError, ServeIssue } from './errors';
import { ABSENT, InputTable, PayloadProtocol, ROW_KEY_BYTES } from './payload';
import { buildSignature, frameFromTable, Signature, SingleRowFramer } from './signature';

/** Predictions for one request, ready to encode as JSON or CSV. */
export interface ServedPredictions {
  /** One entry per row: a number (regression), a label (classification), or {mean, lower, upper} (forecast). */
  readonly predictions: unknown[];
  /** Class probabilities per row (classification, when asked for with params.probabilities). */
  readonly probabilities?: Record<string, number>[];
  /** One CSV line per row (for Accept: text/csv). */
  csvLines(): string[];
}

/** A model as the server uses it: signature, validation and prediction. */
export interface ServingModel {
  /** Model name (MLOPS_MODEL_NAME or the directory name). */
  readonly name: string;
  /** Model version (MLOPS_MODEL_VERSION or the first 12 hex digits of model.json's sha256). */
  readonly version: string;
  readonly task: 'regression' | 'classification' | 'forecast';
  /** Catalog model name and estimator class. */
  readonly model: string;
  readonly estimator: string;
  readonly signature: Signature;
  /** The training profile (profile.json), if the directory has one. */
  readonly profile: DataProfile | null;
  /** Warnings from loading (e.g. an older runtime). */
  readonly warnings: readonly string[];
  /** Validates a table and returns the frame of model inputs (throws HttpError 400 listing every problem). */
  frame(t: InputTable): Frame;
  /**
   * Fast path for one JSON record: the frame when the record is clean (a
   * frame owned and reused by the model: use it synchronously), else null —
   * then {@link ServingModel.frame} gives the exact errors. Optional.
   */
  frameOne?(rec: Record<string, unknown>): Frame | null;
  /**
   * Faster path for one JSON record: reads the request body's bytes straight
   * into the same reused frame when they are exactly one row in the simplest
   * shape of `protocol` (see {@link SingleRowFramer.fromJson}), else null —
   * then the decoded text, JSON.parse and {@link ServingModel.frameOne} or
   * {@link ServingModel.frame} decide. Optional.
   */
  frameOneJson?(body: Buffer, protocol: PayloadProtocol): Frame | null;
  /** Predicts for a validated frame. */
  predict(frame: Frame, params: Readonly<Record<string, unknown>> | null): ServedPredictions;
  /** Description for /version-style metadata. */
  describe(): Record<string, unknown>;
}

/** Options for {@link loadServingModel}. */
export interface ServingModelOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Accept unknown input columns (null = as the contract says). */
  readonly allowExtraColumns?: boolean | null;
}

function csvCell(v: unknown): string {
  const s = typeof v === 'number' ? String(v) : String(v ?? '');
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Maps a model-side DataError (e.g. an unknown category with handleUnknown: error) to a 400. */
function dataErrorToHttp(e: DataError, t: InputTable | null): HttpError {
  const issues: ServeIssue[] = e.issues.slice(0, 50).map((i) => ({
    code: i.code === 'UNKNOWN_CATEGORY' || i.code === 'MISSING_COLUMN' || i.code === 'WRONG_TYPE' ? i.code : 'BAD_PAYLOAD',
    path: i.row !== undefined && i.column && t ? t.cellPath(i.row - 1, i.column, 0) : (i.column ?? ''),
    message: i.message,
  }));
  return new HttpError(issues[0]?.code ?? 'BAD_PAYLOAD', e.message.split('\n')[0]!, issues);
}

function identity(dir: string, d: LoadedModelDir, env: NodeJS.ProcessEnv): { name: string; version: string } {
  return {
    name: env.MLOPS_MODEL_NAME || path.basename(path.resolve(dir)),
    version: env.MLOPS_MODEL_VERSION || String(d.manifest.files[MODEL_FILES.model] ?? '').slice(0, 12) || d.manifest.createdAt,
  };
}

/** Loads and verifies a model directory (regression, classification or forecast) for serving. */
export function loadServingModel(dir: string, o: ServingModelOptions = {}): ServingModel {
  const env = o.env ?? process.env;
  const d = readModelDir(dir);
  const id = identity(dir, d, env);
  const profile = readModelProfile(dir, d);
  if ((d.manifest.task as string) === 'forecast') return forecastServing(ForecastModel.fromLoaded(dir, d), d, id);
  const { model } = TrainedModel.load(dir);
  const contract: Contract | null = d.contractYaml ? parseContract(d.contractYaml, path.join(dir, MODEL_FILES.contract)) : null;
  const state = (d.transforms as { features: PipelineState }).features;
  const signature = buildSignature(state, model.target.column, contract, profile, o.allowExtraColumns ?? null);
  // Single rows of a gradient-boosting regressor are scored by a packed copy of its trees (checked bit-identical).
  const compact = model.task === 'regression' ? compileRegressor(model.estimator as unknown as Parameters<typeof compileRegressor>[0]) : null;
  // ...fed by the pipeline's allocation-free single-row transform (null for lags/rolling: general path).
  const rowT = compact ? model.pipeline.rowTransformer() : null;
  const rowX = rowT ? { rows: 1, cols: rowT.width, data: new Float64Array(rowT.width) } : null;
  const framer = new SingleRowFramer(signature);
  return {
    ...id,
    task: model.task,
    model: model.model,
    estimator: model.estimator.name,
    signature,
    profile,
    warnings: d.warnings,
    frame: (t) => frameFromTable(signature, t),
    frameOne: (rec) => framer.fromRecord(rec),
    frameOneJson: (body, protocol) => framer.fromJson(body, ROW_KEY_BYTES[protocol]),
    predict(frame, params) {
      if (compact && frame.rows === 1 && rowT?.transformRowInto(frame, 0, rowX!.data) && compact.accepts(rowX!)) {
        // The single-row fast path (the transformer and the packed trees do not throw): no typed arrays, no iteration.
        const v = compact.predictRow(rowX!, 0);
        return { predictions: [v], csvLines: () => [String(v)] };
      }
      let p;
      try {
        if (compact && frame.rows === 1) {
          const { X } = model.pipeline.transform(frame);
          p = compact.accepts(X) ? { values: Float64Array.of(compact.predictRow(X, 0)), labels: null, proba: null, classLabels: null } : model.predictMatrix(X);
        } else p = model.predictFrame(frame);
      } catch (e) {
        if (e instanceof DataError) throw dataErrorToHttp(e, null);
        throw e;
      }
      if (p.values) {
        const values = p.values;
        return { predictions: Array.from(values), csvLines: () => Array.from(values, String) };
      }
      const labels = p.labels!;
      const proba = p.proba!;
      const cls = p.classLabels!;
      const want = params?.probabilities === true || params?.output === 'probabilities';
      const probs = (): Record<string, number>[] => labels.map((_, r) => Object.fromEntries(cls.map((c, k) => [c, proba.data[r * proba.cols + k]!])));
      return {
        predictions: [...labels],
        ...(want ? { probabilities: probs() } : {}),
        csvLines: () => labels.map((l, r) => (want ? [csvCell(l), ...cls.map((_, k) => String(proba.data[r * proba.cols + k]!))].join(',') : csvCell(l))),
      };
    },
    describe: () => ({
      name: id.name,
      version: id.version,
      task: model.task,
      model: model.model,
      estimator: model.estimator.name,
      target: model.target.column,
      inputs: signature.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
      runtime: runtimeVersion(),
      ...(model.task === 'classification' ? { classes: model.target.labels } : {}),
    }),
  };
}

/** A forecast model: each row carries the time column; each prediction is {mean, lower, upper}. */
function forecastServing(fm: ForecastModel, d: LoadedModelDir, id: { name: string; version: string }): ServingModel {
  const time = fm.series.time;
  const signature: Signature = {
    columns: [{ name: time, type: 'datetime', boolean: false, integer: false, nullable: false, min: null, max: null, allowed: null }],
    ignored: new Set([fm.series.value]),
    allowExtra: false,
  };
  return {
    ...id,
    task: 'forecast',
    model: fm.model,
    estimator: fm.forecaster.name,
    signature,
    profile: null,
    warnings: d.warnings,
    frame(t) {
      // Times may be ISO text or epoch ms numbers: parse them here, then build a one-column frame.
      const names = t.columns;
      const j = names === null ? 0 : names.indexOf(time);
      if (names !== null) {
        const extra = names.filter((c) => c !== time && c !== fm.series.value);
        if (j < 0)
          fail(
            'MISSING_COLUMN',
            time,
            `column '${time}' (the forecast time: ISO 8601 text or epoch ms) is missing; send e.g. {"instances": [{"${time}": "2018-07-01 00:00:00"}]}.`,
          );
        if (extra.length) fail('UNEXPECTED_COLUMN', extra[0]!, `column '${extra[0]}' is not an input of this forecast model; it takes only '${time}'.`);
      }
      const values = new Float64Array(t.rows.length);
      for (let r = 0; r < t.rows.length; r++) {
        const row = t.rows[r]!;
        if (names === null && row.length !== 1) fail('RAGGED_ROW', t.cellPath(r, time, 0), `row ${r} has ${row.length} values; a forecast model takes one: the time '${time}'.`);
        const v = row[j];
        if (v === ABSENT || v === null) fail('NULL_VALUE', t.cellPath(r, time, j), `${t.cellPath(r, time, j)} is missing; send the time to forecast (ISO 8601 text or epoch ms).`);
        try {
          values[r] = ForecastModel.parseTimes([v], time)[0]!;
        } catch {
          fail(
            'WRONG_TYPE',
            t.cellPath(r, time, j),
            `${t.cellPath(r, time, j)} is ${JSON.stringify(v)}: not a time. Send ISO 8601 text (e.g. "2018-09-01") or epoch milliseconds.`,
          );
        }
      }
      return new Frame([{ name: time, type: 'datetime', values }]);
    },
    predict(frame) {
      let p;
      try {
        p = fm.predictTimes(frame.column(time).values as Float64Array);
      } catch (e) {
        if ((e as Error).name === 'ForecastInputError') {
          const field = (e as { field?: string }).field ?? time;
          fail('OUT_OF_RANGE', field.replace(/^[^[]*/, time), (e as Error).message.replace(/^times\[/, `${time}[`));
        }
        throw e;
      }
      const n = p.mean.length;
      const preds = Array.from({ length: n }, (_, i) => ({ mean: p.mean[i]!, lower: p.lower[i]!, upper: p.upper[i]! }));
      return { predictions: preds, csvLines: () => preds.map((x) => `${x.mean},${x.lower},${x.upper}`) };
    },
    describe: () => ({
      name: id.name,
      version: id.version,
      task: 'forecast',
      model: fm.model,
      estimator: fm.forecaster.name,
      inputs: [{ name: time, type: 'datetime', nullable: false }],
      lastTime: new Date(fm.lastTime).toISOString(),
      frequencyMs: fm.frequency,
      runtime: runtimeVersion(),
    }),
  };
}
