/**
 * The `drift` step's check: does the data a pipeline would train on differ
 * from the champion's training data enough to retrain? It compares the data
 * file's sha256 with the champion's data fingerprint (fingerprint.json) and
 * measures each feature's population stability index against the champion's
 * training profile (profile.json) with the PSI the scoring server uses.
 */
import { fileSha256, Fingerprint, LoadedModelDir } from '../artifacts/modeldir';
import { readCsvFile } from '../data/csv';
import { ReadAs, toFrame } from '../data/frame';
import { fmt } from '../core/text';
import { RegistryError } from '../registry/registry';
import { StepKind } from './schema';
import { bucketCount, bucketOf, DataProfile, psi, psiComparable } from '../models/profile';

/** One feature's PSI of the data against the champion's training profile (null when the data has no such column). */
export interface FeaturePsi {
  readonly feature: string;
  readonly psi: number | null;
}

/** What a drift step decides (its `report` output). */
export interface DriftDecision {
  /** Whether the steps that depend on the drift step run. */
  readonly proceed: boolean;
  /** `proceed` or `skip`. */
  readonly decision: 'proceed' | 'skip';
  /** Why, in one sentence. */
  readonly reason: string;
  /** The PSI threshold (params.psi), or null: any change of the data is enough. */
  readonly threshold: number | null;
  /** The data checked: path, sha256, bytes. */
  readonly data: { readonly path: string; readonly sha256: string };
  /** The champion compared with, or null when there is none. */
  readonly champion: { readonly dir: string; readonly fingerprint: Fingerprint } | null;
  /** Whether the data is byte for byte the champion's training data (same sha256); null without a champion. */
  readonly sameData: boolean | null;
  /** Per-feature PSI (empty when the champion has no profile). */
  readonly features: readonly FeaturePsi[];
  /** The largest PSI and its feature, or null when none was measured. */
  readonly max: { readonly feature: string; readonly psi: number } | null;
  /** Why PSI was not measured, when it was not. */
  readonly psiNotMeasured?: string;
}

/** The champion as the drift step sees it. */
export interface DriftChampion {
  readonly dir: string;
  readonly loaded: LoadedModelDir;
  readonly profile: DataProfile | null;
}

/** PSI of each profiled column of a CSV file against a training profile (numbers and text read as the profile's types). */
export function profilePsi(profile: DataProfile, dataPath: string): FeaturePsi[] {
  const cols = profile.columns.filter(psiComparable);
  const table = readCsvFile(dataPath);
  const present = new Set(table.header);
  const types: Record<string, ReadAs> = {};
  for (const c of cols) if (present.has(c.name)) types[c.name] = c.type === 'number' ? 'number' : 'string';
  const frame = toFrame(table, types);
  return cols.map((c) => {
    if (!frame.has(c.name)) return { feature: c.name, psi: null };
    const values = frame.column(c.name).values;
    const counts = new Float64Array(bucketCount(c));
    for (let r = 0; r < frame.rows; r++) counts[bucketOf(c, values[r] as number | string | null)]!++;
    return { feature: c.name, psi: psi(c.freq, counts, frame.rows) };
  });
}

/**
 * The drift decision: proceed when there is no champion, or when the data
 * differs from the champion's training data and (no threshold is given, or
 * some feature's PSI exceeds it); skip otherwise.
 */
export function driftDecision(dataPath: string, champion: DriftChampion | null, threshold: number | null, noChampion = 'no champion yet'): DriftDecision {
  const sha256 = fileSha256(dataPath);
  const data = { path: dataPath, sha256 };
  const base = { threshold, data };
  if (!champion)
    return { ...base, proceed: true, decision: 'proceed', reason: `${noChampion}: the first model is trained`, champion: null, sameData: null, features: [], max: null };
  const fp = champion.loaded.fingerprint;
  const sameData = fp.sha256 === sha256;
  const features = champion.profile ? profilePsi(champion.profile, dataPath) : [];
  let max: DriftDecision['max'] = null;
  for (const f of features) if (f.psi !== null && (max === null || f.psi > max.psi)) max = { feature: f.feature, psi: f.psi };
  const missing = features.filter((f) => f.psi === null).map((f) => f.feature);
  const psiNotMeasured = champion.profile
    ? features.length
      ? undefined
      : 'the champion profiles no column PSI can compare (datetime columns only)'
    : `the champion (${champion.dir}) has no profile.json (a forecast model, or one trained by an older runtime)`;
  const shown = max ? `largest PSI ${fmt(max.psi)} (${max.feature})` : 'PSI not measured';
  const out = (proceed: boolean, reason: string): DriftDecision => ({
    ...base,
    proceed,
    decision: proceed ? 'proceed' : 'skip',
    reason,
    champion: { dir: champion.dir, fingerprint: fp },
    sameData,
    features,
    max,
    ...(psiNotMeasured ? { psiNotMeasured } : {}),
  });
  if (sameData) return out(false, `the data is the champion's training data (sha256 ${sha256.slice(0, 12)}…): retraining would reproduce the model`);
  const differs = `the data differs from the champion's training data (sha256 ${sha256.slice(0, 12)}… vs ${fp.sha256.slice(0, 12)}…, ${fp.rows} rows)`;
  if (threshold === null) return out(true, `${differs}; ${shown}; no psi threshold: new data is enough`);
  if (missing.length) return out(true, `${differs}, and lacks column(s) the champion was trained on: ${missing.join(', ')}`);
  if (psiNotMeasured) return out(true, `${differs}; ${psiNotMeasured}, so PSI cannot be compared with ${fmt(threshold)}: proceeding on the changed data`);
  if (max!.psi > threshold) return out(true, `${differs}; ${shown} > psi ${fmt(threshold)}`);
  return out(false, `${differs}, but no feature drifted: ${shown} ≤ psi ${fmt(threshold)}`);
}

/** Inputs a step kind takes even when their registry URI does not resolve yet (the drift step's champion: none means proceed). */
export const OPTIONAL_REGISTRY_INPUTS: Readonly<Partial<Record<StepKind, readonly string[]>>> = { drift: ['model'] };

/**
 * Why an optional registry input is missing (its message), when resolving it
 * failed only because the model or the alias does not exist yet; null for any
 * other input or error (which the caller reports as usual).
 */
export function missingRegistryInput(uses: StepKind, input: string, error: unknown): string | null {
  if (!OPTIONAL_REGISTRY_INPUTS[uses]?.includes(input)) return null;
  return error instanceof RegistryError && (error.code === 'NO_MODEL' || error.code === 'NO_ALIAS') ? error.message : null;
}
