import * as fs from 'fs';
import * as path from 'path';

/**
 * The KFP v2 executor output of one `mlops pipeline step` task (Vertex AI
 * Pipelines; `pipeline_spec.proto` of kubeflow/pipelines, `ExecutorInput` and
 * `ExecutorOutput`). The compiled task passes its whole executor input (the
 * placeholder `{{$}}`) as `--executor-input` and names its `system.Metrics`
 * output artifact with `--metrics-artifact`; after the step ran, this writes
 * the `ExecutorOutput` JSON to `outputs.outputFile`:
 *
 * - `artifacts[<metrics artifact>]`: the artifact the engine provisioned (its
 *   `name` and `uri` as given) with the step's metrics as its `metadata`, each
 *   key `<step>.<metric>`: what the Pipelines run view shows as the task's
 *   metrics, and what Vertex AI Experiments reads as the run's metrics
 *   (it merges every `system.Metrics` artifact of a run into one row, so the
 *   step name keeps `train.rmse` and `evaluate.rmse` apart);
 * - `parameterValues`: the value of every output parameter, read from the
 *   file the step wrote at its `outputFile` (the gate's `passed`, a drift
 *   step's `proceed`). `ExecutorInput.Outputs.output_file` says that when a
 *   container writes this file "the output parameter files will be ignored",
 *   so the values must be in it.
 *
 * Only the fields read here are checked; the rest of the executor input is
 * the engine's.
 */

/** The parts of a KFP `ExecutorInput` (proto3 JSON) this module reads. */
export interface KfpExecutorInput {
  readonly outputs: {
    readonly outputFile: string;
    readonly parameters?: Readonly<Record<string, { readonly outputFile?: string }>>;
    readonly artifacts?: Readonly<Record<string, { readonly artifacts?: readonly { readonly name?: string; readonly uri?: string }[] }>>;
  };
}

/** A command-line problem with `--executor-input` / `--metrics-artifact`: the option and the fix. */
export class ExecutorInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses `--executor-input` (the JSON the engine substitutes for `{{$}}`) and
 * checks that `metricsArtifact`, when given, is one of its output artifacts.
 */
export function parseExecutorInput(text: string, metricsArtifact?: string): KfpExecutorInput {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ExecutorInputError(
      '--executor-input',
      `--executor-input is not valid JSON (${(e as Error).message}); pass the KFP executor input, the placeholder {{$}} that Vertex AI Pipelines replaces with it.`,
    );
  }
  const outputs = (v as { outputs?: unknown } | null)?.outputs as Record<string, unknown> | undefined;
  if (!outputs || typeof outputs !== 'object' || typeof outputs.outputFile !== 'string' || !outputs.outputFile)
    throw new ExecutorInputError(
      '--executor-input.outputs.outputFile',
      `--executor-input has no outputs.outputFile (the path of the ExecutorOutput file); got ${JSON.stringify(outputs ?? null)?.slice(0, 120)}. Pass the KFP executor input ({{$}}).`,
    );
  const input = v as KfpExecutorInput;
  if (metricsArtifact !== undefined && !input.outputs.artifacts?.[metricsArtifact]?.artifacts?.length)
    throw new ExecutorInputError(
      '--metrics-artifact',
      `--metrics-artifact ${JSON.stringify(metricsArtifact)} is not an output artifact of the executor input; its output artifacts are ${
        Object.keys(input.outputs.artifacts ?? {}).join(', ') || 'none'
      }. Declare it in the component's outputDefinitions (type system.Metrics).`,
    );
  return input;
}

/** The `ExecutorOutput` of a step that ran (or was skipped by its guard): see the module comment. */
export function executorOutput(
  input: KfpExecutorInput,
  step: { readonly step: string; readonly metrics: Readonly<Record<string, number>> },
  metricsArtifact: string | undefined,
  warn: (line: string) => void = () => undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const parameterValues: Record<string, string> = {};
  for (const [name, p] of Object.entries(input.outputs.parameters ?? {})) {
    if (!p.outputFile) continue;
    try {
      parameterValues[name] = fs.readFileSync(p.outputFile, 'utf8').trim();
    } catch (e) {
      warn(`warning: output parameter '${name}': cannot read ${p.outputFile} (${(e as Error).message}); it is left out of the executor output.`);
    }
  }
  if (Object.keys(parameterValues).length) out.parameterValues = parameterValues;
  if (metricsArtifact !== undefined) {
    const given = input.outputs.artifacts![metricsArtifact]!.artifacts![0]!;
    const metadata: Record<string, number> = {};
    for (const [k, value] of Object.entries(step.metrics)) {
      // A Struct holds finite numbers only (proto3 JSON has no NaN/Infinity number literals).
      if (typeof value === 'number' && Number.isFinite(value)) metadata[`${step.step}.${k}`] = value;
    }
    out.artifacts = {
      [metricsArtifact]: { artifacts: [{ ...(given.name ? { name: given.name } : {}), ...(given.uri ? { uri: given.uri } : {}), metadata }] },
    };
  }
  return out;
}

/** Writes {@link executorOutput} to `outputs.outputFile` (its folder created); returns the path. */
export function writeExecutorOutput(
  input: KfpExecutorInput,
  step: { readonly step: string; readonly metrics: Readonly<Record<string, number>> },
  metricsArtifact: string | undefined,
  warn?: (line: string) => void,
): string {
  const file = input.outputs.outputFile;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // A plain write: the file is on Cloud Storage FUSE on Vertex AI, where a rename is a copy.
  fs.writeFileSync(file, `${JSON.stringify(executorOutput(input, step, metricsArtifact, warn))}\n`);
  return file;
}
