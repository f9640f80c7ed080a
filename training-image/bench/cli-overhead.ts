/**
 * End-to-end cost of `mlops train` for the ML benchmark (issue 17, target
 * 3): the command's wall time (a real process: start, read the CSV, holdout
 * fit and metrics, permutation importance, final fit, profile, write the
 * model directory) over the model's bare fit (the same encoded rows, the
 * same estimator and seed, timed in this process), per model family; and the
 * same with the costs beyond the fit skipped (`--importance model
 * --no-refit`, and `--holdout 0`). Both sides alternate, repeat after repeat.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadData } from '../src/data/load';
import { FeaturePipeline } from '../src/features/pipeline';
import { encodeTarget, fitTarget, inferTask } from '../src/features/target';
import { catalogEntry, ConcreteModel, createEstimator } from '../src/models/catalog';
import { trainingFeatures } from '../src/models/train';
import { findDataset } from './datasets';

/** One family's figures (medians over the repeats, seconds). */
export interface CliCost {
  readonly dataset: string;
  readonly model: ConcreteModel;
  readonly fit: number[];
  readonly train: number[];
  readonly trainFast: number[];
  /** `mlops train --json` timings (ms) of each default run, and of each fast run: where the time beyond the fit goes. */
  readonly timings: Record<string, number>[];
  readonly timingsFast: Record<string, number>[];
  /** Timings of each run with `--holdout 0` (no holdout fit, metrics or permutation importance; the summary notes it). */
  readonly timingsNoHoldout: Record<string, number>[];
}

interface Case {
  readonly dataset: string;
  readonly file: string | null;
  readonly target: string;
  readonly drop: readonly string[];
  readonly models: readonly ConcreteModel[];
}

/** The bike sharing (regression) and telco churn (classification) cases, when their files are found. */
export function cliCases(): Case[] {
  return [
    {
      dataset: 'bike sharing (hour)',
      file: findDataset('bikeHour').file,
      target: 'cnt',
      drop: ['instant', 'dteday', 'casual', 'registered'],
      models: ['linear', 'random-forest', 'gbdt'],
    },
    { dataset: 'telco churn', file: findDataset('telcoChurn').file, target: 'Churn', drop: ['customerID'], models: ['logistic', 'gbdt'] },
  ];
}

function bareFit(c: Case, model: ConcreteModel): number {
  const { frame } = loadData(c.file!);
  if (!frame) throw new Error(`${c.file}: not readable as a frame`);
  const col = frame.column(c.target);
  const task = inferTask(col);
  const y = encodeTarget(col, fitTarget(col, task));
  const pipe = new FeaturePipeline({ ...catalogEntry(model).features, ...trainingFeatures({ exclude: [...c.drop] }, null, c.target) }, c.target);
  const X = pipe.fitTransform(frame).X;
  const est = createEstimator(model, task, {}, 0);
  const t0 = performance.now();
  est.fit(X, y);
  return (performance.now() - t0) / 1000;
}

function cliTrain(c: Case, model: ConcreteModel, extra: readonly string[]): { seconds: number; timings: Record<string, number> } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-train-'));
  const bin = path.resolve(__dirname, '../../bin/mlops.js');
  try {
    const args = [bin, 'train', '--data', c.file!, '--target', c.target, '--drop', c.drop.join(','), '--model', model, '--out', path.join(out, 'm'), '--json', ...extra];
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`mlops train --model ${model} failed (${r.status}): ${r.stderr.slice(-500)}`);
    return { seconds, timings: JSON.parse(r.stdout).timings };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** Runs every family of every available case, `repeats` times each, alternating the bare fit and the two commands. */
export function cliCosts(repeats: number, log: (line: string) => void): CliCost[] {
  const out: CliCost[] = [];
  for (const c of cliCases()) {
    if (!c.file) {
      log(`  SKIPPED ${c.dataset}: not found (bench/datasets.ts)`);
      continue;
    }
    for (const model of c.models) {
      const fit: number[] = [];
      const train: number[] = [];
      const trainFast: number[] = [];
      const timings: Record<string, number>[] = [];
      const timingsFast: Record<string, number>[] = [];
      const timingsNoHoldout: Record<string, number>[] = [];
      for (let r = 0; r < repeats; r++) {
        fit.push(bareFit(c, model));
        const t = cliTrain(c, model, []);
        train.push(t.seconds);
        timings.push(t.timings);
        const f = cliTrain(c, model, ['--importance', 'model', '--no-refit']);
        trainFast.push(f.seconds);
        timingsFast.push(f.timings);
        timingsNoHoldout.push(cliTrain(c, model, ['--holdout', '0']).timings);
      }
      out.push({ dataset: c.dataset, model, fit, train, trainFast, timings, timingsFast, timingsNoHoldout });
    }
  }
  return out;
}
