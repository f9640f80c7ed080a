import { z } from 'zod';

/**
 * The release spec: everything one `mlops release` run needs, written by the
 * stack (the `TrainingJob` / `ScoringEndpoint` constructs put it in a
 * `terraform_data` resource's `input`) and passed to the command as JSON.
 * Nothing in it is secret: credentials come from the environment the
 * command runs in (AWS default chain, DefaultAzureCredential, Google ADC).
 *
 * One spec is one step:
 * - `training`: run the training job on the image, register the model version
 *   (labelled with `revision`) in the platform's model registry;
 * - `endpoint`: roll the model version of `revision` out to the endpoint
 *   (blue/green as `endpoint.rollout` says), where Terraform cannot;
 * - `pipeline`: put a pipeline compiled by the stack on the cloud's managed
 *   engine where Terraform has no resource for it (Azure ML: its environment,
 *   components and schedule); `mlops release start` runs it once.
 */

// The release contract with the construct library (cdktf-mlops, lib/core/release.ts and
// lib/core/settings.ts), which writes the specs. This package is published on its own
// and imports nothing of the library: these are its copies, one home each here, and
// the repository's test/release-contract.test.ts asserts that both sides agree.

/** The spec version this driver reads. */
export const SPEC_VERSION = 1;
/** The environment variable the release step hands the spec over in (the default of --spec-env). */
export const RELEASE_SPEC_ENV = 'MLOPS_RELEASE_SPEC';
/**
 * The environment variable with the release step's Terraform instance id
 * (`terraform_data`'s `self.id`, a UUID), handed to both the apply and the
 * destroy provisioner: unique per step instance, so a step replaced by one
 * with the same spec (after a taint) can be told from a real destroy.
 */
export const RELEASE_INSTANCE_ENV = 'MLOPS_RELEASE_INSTANCE';
/** How a new model version takes traffic. */
export const ROLLOUT_STRATEGIES = ['canary', 'linear', 'all-at-once'] as const;
/** The longest release, model and job name (SageMaker's limit, one rule for every cloud). */
export const SPEC_NAME_MAX = 63;
/** Hex characters of a release revision. */
export const REVISION_LENGTH = 12;

/** Canonical JSON: object keys sorted, undefined entries left out, so equal values serialise (and hash) equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const RELEASE_KINDS = ['training', 'endpoint', 'pipeline'] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

const name = z.string().regex(new RegExp(`^[a-z][a-z0-9-]{0,${SPEC_NAME_MAX - 1}}$`));
const revision = z.string().regex(new RegExp(`^[0-9a-f]{${REVISION_LENGTH}}$`));

export const TrainingSpecSchema = z
  .object({
    /** Unique per revision; within every cloud's job-name limit. */
    jobName: name,
    /** Cloud URI of the training data (file or folder): s3://, gs://, or https://<account>.blob.core.windows.net/<container>/<path>. */
    dataUri: z.string().min(1),
    /** Cloud URI prefix the job writes the model under. */
    outputUri: z.string().min(1),
    /** Settings passed to `mlops train` (strings, as every platform delivers them). */
    hyperparameters: z.record(z.string(), z.string()),
    instanceType: z.string().min(1),
    instanceCount: z.number().int().min(1),
    maxRuntimeSeconds: z.number().int().min(60),
  })
  .strict();

export const EndpointSpecSchema = z
  .object({
    name,
    instanceType: z.string().min(1),
    minInstances: z.number().int().min(1),
    maxInstances: z.number().int().min(1),
    rollout: z
      .object({
        strategy: z.enum(ROLLOUT_STRATEGIES),
        canaryPercent: z.number().int().min(1).max(50),
        stepPercent: z.number().int().min(5).max(50),
        bakeMinutes: z.number().int().min(0),
      })
      .strict(),
    alarms: z.object({ errorRatePercent: z.number().gt(0).max(100), latencyP95Ms: z.number().int().min(1) }).strict(),
  })
  .strict();

/** What a `pipeline` spec says about the pipeline, on every cloud; the cloud section holds the compiled definitions. */
export const PipelineSpecSchema = z
  .object({
    /** The pipeline's name in its file. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/),
    /** Its container steps, in the order the local runner runs them. */
    steps: z.array(z.string().min(1)).min(1),
    /** The step whose decision gates registration. */
    gate: z.string().min(1).optional(),
    /** When the cloud's scheduler runs it: five cron fields in an IANA time zone. */
    schedule: z
      .object({ cron: z.string().min(9), timeZone: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

/** The common part of every spec; `aws` / `azure` / `gcp` hold the target, validated by that cloud's driver. */
export const ReleaseSpecSchema = z
  .object({
    specVersion: z.literal(SPEC_VERSION),
    kind: z.enum(RELEASE_KINDS),
    cloud: z.enum(['azure', 'aws', 'gcp']),
    /** The release name: `<company>-<project>-<env>-<model>`; tags everything the release creates. */
    name,
    /** The registered model's name. */
    modelName: name,
    /** 12 hex characters: changes exactly when the image content or the release config changes. */
    revision,
    /** The runtime image, pinned by digest (`<repo>@sha256:…`). */
    image: z.string().regex(/^[^\s@]+@sha256:[0-9a-f]{64}$/),
    training: TrainingSpecSchema.optional(),
    endpoint: EndpointSpecSchema.optional(),
    pipeline: PipelineSpecSchema.optional(),
    aws: z.record(z.string(), z.unknown()).optional(),
    azure: z.record(z.string(), z.unknown()).optional(),
    gcp: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.kind === 'training' && !spec.training) ctx.addIssue({ code: 'custom', path: ['training'], message: 'is required when kind is training' });
    if (spec.kind === 'endpoint' && !spec.endpoint) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'is required when kind is endpoint' });
    if (spec.kind === 'pipeline' && !spec.pipeline) ctx.addIssue({ code: 'custom', path: ['pipeline'], message: 'is required when kind is pipeline' });
    if (!spec[spec.cloud]) ctx.addIssue({ code: 'custom', path: [spec.cloud], message: `is required when cloud is ${spec.cloud} (the ${spec.cloud} target)` });
    for (const other of ['aws', 'azure', 'gcp'] as const) {
      if (other !== spec.cloud && spec[other] !== undefined) ctx.addIssue({ code: 'custom', path: [other], message: `does not belong to this ${spec.cloud} release; remove it` });
    }
  });

export type ReleaseSpec = z.infer<typeof ReleaseSpecSchema>;
export type TrainingSpec = z.infer<typeof TrainingSpecSchema>;
export type EndpointSpec = z.infer<typeof EndpointSpecSchema>;
export type PipelineSpec = z.infer<typeof PipelineSpecSchema>;

/** A spec problem: `{code, path, message}` like every other error of the project. */
export interface SpecIssue {
  readonly code: 'RELEASE_SPEC_INVALID';
  readonly path: string;
  readonly message: string;
}

/** A bad spec or target: the command exits 2 with every problem listed. */
export class ReleaseSpecError extends Error {
  constructor(public readonly issues: readonly SpecIssue[]) {
    super(`Invalid release spec (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => `  - [${i.code}] ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ReleaseSpecError';
  }
}

/** Issues of a zod parse, as {@link SpecIssue}s under `prefix`. */
export function specIssues(error: z.ZodError, prefix = ''): SpecIssue[] {
  return error.issues.map((i) => ({
    code: 'RELEASE_SPEC_INVALID' as const,
    path: [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.') || '(spec)',
    message: i.message,
  }));
}

/** Parses and validates a spec (JSON text or an object); throws {@link ReleaseSpecError}. */
export function parseSpec(input: unknown): ReleaseSpec {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new ReleaseSpecError([{ code: 'RELEASE_SPEC_INVALID', path: '(spec)', message: `is not valid JSON (${(err as Error).message}); pass the JSON the stack writes` }]);
    }
  }
  const result = ReleaseSpecSchema.safeParse(raw);
  if (!result.success) throw new ReleaseSpecError(specIssues(result.error));
  return result.data;
}

/** Parses a cloud target section with that driver's schema. */
export function parseTarget<T extends z.ZodType>(schema: T, spec: ReleaseSpec): z.infer<T> {
  const result = schema.safeParse(spec[spec.cloud]);
  if (!result.success) throw new ReleaseSpecError(specIssues(result.error, spec.cloud));
  return result.data;
}
