import * as fs from 'fs';
import * as path from 'path';
import { hashPath } from '../registry/fsutil';
import { MLFLOW_STEP_ENV } from '../tracking/mlflow-rest';

/**
 * The lineage a step's MLflow run carries on a managed pipeline engine that
 * opens no run for the step (SageMaker Pipelines), as MLflow tags: what the
 * engine's compiler put in the environment ({@link MLFLOW_STEP_ENV}) and the
 * sha256 of the data the step read. Empty when the environment has none of
 * it (an Azure ML node: its run is the engine's, and its lineage the job's).
 *
 * | tag | value |
 * |---|---|
 * | `mlops.pipeline` | the pipeline (release) name |
 * | `mlops.execution` | the pipeline execution ARN |
 * | `mlops.pipeline.revision` | the pipeline revision |
 * | `mlops.image` | the runtime image by digest |
 * | `mlops.input.<input>` | the S3 URI of the pipeline input the step reads as `<input>` |
 * | `mlops.input.<input>.sha256` | the sha256 of that input as the step read it (a file's bytes; a folder as the local tracking store hashes one) |
 */
export function stepLineageTags(
  env: NodeJS.ProcessEnv,
  inputs: Readonly<Record<string, unknown>>,
  cwd = '.',
  log: (line: string) => void = () => undefined,
): { key: string; value: string }[] {
  const tags: { key: string; value: string }[] = [];
  const add = (key: string, value: string | undefined): void => {
    if (value?.trim()) tags.push({ key, value: value.trim() });
  };
  add('mlops.pipeline', env[MLFLOW_STEP_ENV.pipeline]);
  add('mlops.execution', env[MLFLOW_STEP_ENV.executionArn]);
  add('mlops.pipeline.revision', env[MLFLOW_STEP_ENV.revision]);
  add('mlops.image', env[MLFLOW_STEP_ENV.image]);
  const raw = env[MLFLOW_STEP_ENV.inputUris]?.trim();
  if (!raw) return tags;
  let uris: Record<string, unknown>;
  try {
    uris = JSON.parse(raw) as Record<string, unknown>;
    if (!uris || typeof uris !== 'object' || Array.isArray(uris)) throw new Error('not a JSON object');
  } catch (e) {
    log(`warning: ${MLFLOW_STEP_ENV.inputUris} is not a JSON object of input name → URI (${(e as Error).message}); the run records no input URIs.`);
    return tags;
  }
  for (const [name, uri] of Object.entries(uris)) {
    if (typeof uri !== 'string') continue;
    add(`mlops.input.${name}`, uri);
    const local = inputs[name];
    if (typeof local !== 'string' || (/^[a-z][a-z0-9+.-]*:\/\//i.test(local) && !local.startsWith('file://'))) continue;
    const file = path.resolve(cwd, local.startsWith('file://') ? new URL(local).pathname : local);
    try {
      if (fs.existsSync(file)) add(`mlops.input.${name}.sha256`, hashPath(file));
    } catch (e) {
      log(`warning: cannot hash input ${name} (${file}): ${(e as Error).message}`);
    }
  }
  return tags;
}
