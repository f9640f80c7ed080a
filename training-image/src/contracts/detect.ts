import * as fs from 'fs';
import * as path from 'path';
import { contractError } from './errors';

/** The training contracts `mlops train` honours. */
export const TRAINING_CONTRACTS = ['sagemaker', 'vertex', 'azureml', 'local'] as const;

/** A training contract. */
export type TrainingContract = (typeof TRAINING_CONTRACTS)[number];

/** Which contract applies, and why (for the one log line that says so). */
export interface DetectedContract {
  readonly contract: TrainingContract;
  readonly reason: string;
}

/** The SageMaker root (`/opt/ml`), overridable with `MLOPS_SAGEMAKER_ROOT` (tests, local dry runs). */
export function sageMakerRoot(env: NodeJS.ProcessEnv): string {
  return env.MLOPS_SAGEMAKER_ROOT || '/opt/ml';
}

/** Variables Vertex AI sets in a custom training job. */
const VERTEX_VARS = ['AIP_MODEL_DIR', 'AIP_TRAINING_DATA_URI', 'CLOUD_ML_JOB_ID'] as const;

/** Variables Azure ML sets in a command job (the AZURE_ML_INPUT_ and AZURE_ML_OUTPUT_ prefixes are checked too). */
const AZUREML_VARS = ['AZUREML_RUN_ID', 'AZUREML_ARM_WORKSPACE_NAME', 'AZUREML_EXPERIMENT_ID'] as const;

/**
 * Detects the training contract, in this order:
 * 1. `MLOPS_TRAINING_CONTRACT` (sagemaker | vertex | azureml | local) — explicit;
 * 2. SageMaker — `<root>/input/config/hyperparameters.json` exists, or `TRAINING_JOB_NAME` is set;
 * 3. Vertex AI — `AIP_MODEL_DIR`, `AIP_TRAINING_DATA_URI` or `CLOUD_ML_JOB_ID` is set;
 * 4. Azure ML — `AZUREML_RUN_ID`, `AZUREML_ARM_WORKSPACE_NAME`, `AZUREML_EXPERIMENT_ID` or an `AZURE_ML_INPUT_*`/`AZURE_ML_OUTPUT_*` variable is set;
 * 5. otherwise local (plain paths from the arguments).
 */
export function detectTrainingContract(env: NodeJS.ProcessEnv = process.env): DetectedContract {
  const explicit = env.MLOPS_TRAINING_CONTRACT;
  if (explicit !== undefined && explicit !== '') {
    const c = explicit.trim().toLowerCase();
    if (!(TRAINING_CONTRACTS as readonly string[]).includes(c)) {
      throw contractError(
        'UNKNOWN_CONTRACT',
        'env:MLOPS_TRAINING_CONTRACT',
        `must be one of ${TRAINING_CONTRACTS.join(', ')}; got ${JSON.stringify(explicit)}. Unset it to detect the contract automatically.`,
      );
    }
    return { contract: c as TrainingContract, reason: 'MLOPS_TRAINING_CONTRACT is set' };
  }
  const root = sageMakerRoot(env);
  const hp = path.join(root, 'input', 'config', 'hyperparameters.json');
  if (fs.existsSync(hp)) return { contract: 'sagemaker', reason: `${hp} exists` };
  if (env.TRAINING_JOB_NAME) return { contract: 'sagemaker', reason: `TRAINING_JOB_NAME=${env.TRAINING_JOB_NAME}` };
  const v = VERTEX_VARS.find((k) => env[k]);
  if (v) return { contract: 'vertex', reason: `${v} is set` };
  const a = AZUREML_VARS.find((k) => env[k]) ?? Object.keys(env).find((k) => /^AZURE_ML_(INPUT|OUTPUT)_/.test(k));
  if (a) return { contract: 'azureml', reason: `${a} is set` };
  return { contract: 'local', reason: 'no SageMaker, Vertex AI or Azure ML environment found' };
}
