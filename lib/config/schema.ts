import { z } from 'zod';
import { CLOUDS, REGION_FORMATS } from '../core/cloud';
import { AZURE_PRIVATE_DNS_ZONES, AzurePrivateDnsZoneKind, DEFAULT_ADDRESS_SPACE, DEFAULT_NETWORK_MODE, NETWORK_MODES } from '../core/network';
import { NumberRange, ROLLOUT_STRATEGIES, SETTING_DEFAULTS, SETTING_RANGES, describeRange } from '../core/settings';
import { CRON_EXAMPLE, cronProblem, DEFAULT_TIME_ZONE, timeZoneProblem } from '../core/schedule';
import { SIZE_NAMES } from '../core/sizes';
import { IMAGE_URI_BY_DIGEST, IMAGE_URI_EXAMPLE } from '../image/image-ref';

/**
 * The stack config schema: one schema, the static type inferred from it, and
 * the one source of every field's default, limits and documentation. Each
 * field carries its documentation in zod's `.meta()` ({@link FieldMeta});
 * {@link CONFIG_FIELDS} is read off the schema, and the error messages and the
 * README's config table read {@link CONFIG_FIELDS}. Defaults and numeric
 * ranges shared with the constructs come from lib/core/settings.ts.
 */

/** The documentation a config field carries in its `.meta()`. */
export interface FieldMeta {
  /** What the field means. */
  readonly description: string;
  /** What values are accepted; derived from the schema for enums, booleans, numbers and objects when left out. */
  readonly accepted?: string;
  /** Appended to the derived `accepted` text (", at least minInstances"). */
  readonly acceptedNote?: string;
  /** How to fix a bad value; `{min}` and `{max}` are replaced by the field's range. */
  readonly fix: string;
  /** What happens when the field is left out, where the schema has no default value to show. */
  readonly default?: string;
  /** The accepted range of a number field (the schema is built from it). */
  readonly range?: NumberRange;
  /** The object's keys are documented as one field, `<path>.*` (a fixed set of keys that all mean the same). */
  readonly anyKey?: boolean;
}

/** `schema` with its documentation. */
function doc<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  return schema.meta(meta as unknown as Record<string, unknown>) as T;
}

/** A number schema accepting exactly `range`. */
function numberIn(range: NumberRange): z.ZodNumber {
  let n = z.number();
  if (range.integer) n = n.int();
  if (range.min !== undefined) n = n.min(range.min);
  if (range.above !== undefined) n = n.gt(range.above);
  return n.max(range.max);
}

/** A documented number setting with its range and default. */
function setting(range: NumberRange, defaultValue: number, meta: Omit<FieldMeta, 'range'>) {
  return doc(numberIn(range).default(defaultValue), { ...meta, range });
}

const BOOLEAN_FIX = 'write true or false without quotes';

const namePart = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9-]*$/)
  .min(2)
  .max(20);
const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/);
const cidr = z.string().regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/([0-9]|[12]\d|3[0-2]))?$/);

const azureSubnetId = z.string().regex(/^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/);
const azureDnsZoneId = z.string().regex(/^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/[^/]+$/);
const AZURE_DNS_ZONE_KINDS = Object.keys(AZURE_PRIVATE_DNS_ZONES) as AzurePrivateDnsZoneKind[];

/** An explicit machine per cloud; `what` names the machine ("Azure VM size" …) for training or the endpoint. */
function machineOverride(where: 'training' | 'endpoint') {
  const training = where === 'training';
  return doc(
    z
      .object({
        azure: doc(z.string().min(1), {
          description: training ? 'Azure VM size.' : 'Azure managed online endpoint VM size.',
          accepted: training ? 'a VM size such as Standard_D8s_v3' : 'a VM size such as Standard_DS3_v2',
          fix: training ? 'use an Azure ML supported VM size' : 'use a VM size managed online endpoints support',
        }).optional(),
        aws: doc(z.string().regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/), {
          description: training ? 'SageMaker instance type.' : 'SageMaker hosting instance type.',
          accepted: training ? 'ml.<family>.<size>, e.g. ml.m5.xlarge' : 'ml.<family>.<size>, e.g. ml.c5.large',
          fix: 'prefix the EC2 type with "ml."',
        }).optional(),
        gcp: doc(z.string().min(1), {
          description: training ? 'Compute Engine machine type.' : 'Vertex AI prediction machine type.',
          accepted: training ? 'a machine type such as n1-standard-8' : 'a machine type such as n1-standard-4',
          fix: training ? 'use a Vertex AI supported machine type' : 'use a machine type Vertex AI prediction supports',
        }).optional(),
      })
      .strict(),
    {
      description: training ? 'Explicit machine per cloud, overriding size.' : 'Explicit endpoint machine per cloud, overriding size.',
      accepted: 'an object with optional azure, aws, gcp strings',
      default: 'from size',
      fix: training ? 'e.g. instanceType: { aws: ml.g5.xlarge }' : 'e.g. instanceType: { aws: ml.c5.large }',
    },
  ).optional();
}

const backendBucket = doc(z.string().min(3), {
  description: 'State bucket (s3, gcs).',
  accepted: 'an existing bucket name',
  fix: 'create the state bucket first and name it here',
});
const backendKey = doc(z.string().min(1), { description: 'State object key (s3, azurerm).', accepted: 'a path such as mlops/dev.tfstate', fix: 'give a non-empty key' });

const backend = doc(
  z.discriminatedUnion('type', [
    z
      .object({
        type: doc(z.literal('local'), { description: 'Backend kind.', fix: 'set backend.type' }),
        path: doc(z.string().min(1), {
          description: 'Local state file path.',
          accepted: 'a file path',
          default: 'terraform.<stack>.tfstate',
          fix: 'give a relative path',
        }).optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('s3'),
        bucket: backendBucket,
        key: backendKey,
        region: doc(z.string().min(1), { description: 'State bucket region (s3).', accepted: 'an AWS region', fix: 'give the bucket region' }),
        dynamodbTable: doc(z.string().min(1), {
          description: 'Legacy DynamoDB lock table (s3); S3 native locking is used otherwise.',
          accepted: 'a table name',
          default: 'none (use_lockfile)',
          fix: 'omit it to use S3 native locking',
        }).optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('azurerm'),
        resourceGroupName: doc(z.string().min(1), {
          description: 'Resource group of the state storage account (azurerm).',
          accepted: 'a resource group name',
          fix: 'name the existing resource group',
        }),
        storageAccountName: doc(z.string().regex(/^[a-z0-9]{3,24}$/), {
          description: 'State storage account (azurerm).',
          accepted: '3-24 lowercase letters and digits',
          fix: 'name the existing storage account',
        }),
        containerName: doc(z.string().min(3), { description: 'State blob container (azurerm).', accepted: 'a container name', fix: 'name the existing container' }),
        key: backendKey,
      })
      .strict(),
    z
      .object({
        type: z.literal('gcs'),
        bucket: backendBucket,
        prefix: doc(z.string().min(1), { description: 'State prefix (gcs).', accepted: 'a path prefix', default: 'the stack name', fix: 'give a non-empty prefix' }).optional(),
      })
      .strict(),
  ]),
  { description: 'Terraform state backend.', accepted: 'type local, s3, azurerm or gcs with its fields', fix: 'see the backend fields in the README' },
);

/** Hyperparameter values as the platforms deliver them: strings (numbers and booleans are written as text). */
const hyperparameters = doc(
  z
    .record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/),
      doc(z.union([z.string().max(2048), z.number(), z.boolean()]), {
        description: 'One training setting.',
        accepted: 'a name starting with a letter (max 64) and a string (max 2048), number or boolean',
        fix: 'use names such as target, model, max_iter',
      }),
    )
    .default({}),
  {
    description: 'Settings passed to `mlops train` (target, model, model parameters; see the runtime contracts README).',
    accepted: 'a map of names to strings, numbers or booleans',
    fix: 'write settings as name: value, e.g. target: cnt',
  },
);

/** Model / endpoint name part: lowercase letters, digits, hyphens. */
const modelName = z.string().regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/);

const R = SETTING_RANGES;
const D = SETTING_DEFAULTS;

const rollout = doc(
  z
    .object({
      strategy: doc(z.enum(ROLLOUT_STRATEGIES).default(D.rollout.strategy), {
        description: 'canary: a share of traffic first, then all; linear: equal steps; all-at-once: switch after the new version is healthy.',
        fix: 'pick one of the three',
      }),
      canaryPercent: setting(R.rollout.canaryPercent, D.rollout.canaryPercent, {
        description: 'Share of traffic the new version takes first (canary).',
        fix: 'set a whole percentage between {min} and {max}',
      }),
      stepPercent: setting(R.rollout.stepPercent, D.rollout.stepPercent, {
        description: 'Share of traffic moved per step (linear).',
        fix: 'set a whole percentage between {min} and {max}',
      }),
      bakeMinutes: setting(R.rollout.bakeMinutes, D.rollout.bakeMinutes, {
        description: 'Minutes each step is watched (alarms) before the next.',
        fix: 'set a whole number of minutes',
      }),
    })
    .strict()
    .prefault({}),
  { description: 'How a new model version takes traffic (blue/green).', fix: 'see its fields' },
);

const alarms = doc(
  z
    .object({
      errorRatePercent: setting(R.alarms.errorRatePercent, D.alarms.errorRatePercent, {
        description: 'Server error (5xx) rate that counts as failing.',
        fix: 'set a percentage such as 5',
      }),
      latencyP95Ms: setting(R.alarms.latencyP95Ms, D.alarms.latencyP95Ms, {
        description: 'p95 model latency that counts as failing, in milliseconds.',
        fix: 'set milliseconds such as 500',
      }),
    })
    .strict()
    .prefault({}),
  { description: 'Thresholds that roll a deployment back and raise alerts.', fix: 'see its fields' },
);

/** A path in the artifact store, relative to its root: letters, digits, _ . / = - and no ".." segments. */
const storePath = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/)
  .refine((p) => !p.split('/').includes('..'), 'no ".." segments');
const STORE_PATH_ACCEPTED = 'a relative path of letters, digits, _ . / = - (no "..")';

/** When something runs: a five-field cron expression in a time zone. */
const schedule = (what: string) =>
  doc(
    z
      .object({
        cron: doc(
          z.string().superRefine((v, ctx) => {
            const problem = cronProblem(v);
            if (problem) ctx.addIssue({ code: 'custom', message: `cron "${v}" ${problem}` });
          }),
          {
            description: `When ${what} runs: minute hour day-of-month month day-of-week, in timeZone.`,
            accepted: `five cron fields (*, numbers, names, ranges a-b, lists a,b, steps */n), e.g. "${CRON_EXAMPLE}"`,
            fix: `write five fields, e.g. "${CRON_EXAMPLE}" for every day at 03:00`,
          },
        ),
        timeZone: doc(
          z
            .string()
            .default(DEFAULT_TIME_ZONE)
            .superRefine((v, ctx) => {
              const problem = timeZoneProblem(v);
              if (problem) ctx.addIssue({ code: 'custom', message: problem });
            }),
          { description: 'The time zone the cron expression is read in.', accepted: 'an IANA time zone name', fix: 'use a name such as UTC or Europe/Berlin' },
        ),
      })
      .strict(),
    { description: `The schedule ${what} runs on (the cloud's own scheduler).`, fix: `add schedule: { cron: "${CRON_EXAMPLE}" }` },
  );

const pipeline = doc(
  z
    .object({
      file: doc(z.string().min(1), {
        description:
          'The pipeline file (training-image/src/pipeline/FORMAT.md) the cloud runs as its managed pipeline (SageMaker Pipelines, Azure ML pipeline job, Vertex AI Pipelines): the same file `mlops pipeline run` runs locally.',
        accepted: 'a path to a pipeline YAML file, relative to the project root',
        fix: 'give the path from the project root, e.g. examples/demand-forecast/pipeline.yaml',
      }),
      inputs: doc(
        z
          .record(z.string(), doc(storePath, { description: 'One pipeline input.', accepted: STORE_PATH_ACCEPTED, fix: 'give the object path, e.g. datasets/bike/hour.csv' }))
          .default({}),
        {
          description:
            "Where each of the pipeline's inputs is in the artifact store. An input not listed is uploaded at deploy from the pipeline file's folder to pipelines/<pipeline>/inputs/<input>/<file name>.",
          accepted: 'a map of pipeline input names to artifact store paths',
          fix: 'name inputs the pipeline file declares, e.g. data: datasets/bike/hour.csv',
        },
      ),
      params: doc(
        z
          .record(
            z.string(),
            doc(z.unknown(), { description: 'One parameter value.', accepted: 'plain data (number, string, boolean, list, map)', fix: 'write the value as in the pipeline file' }),
          )
          .default({}),
        {
          description: "Overrides of the pipeline's params for the cloud runs (e.g. a smaller tuning budget).",
          accepted: 'a map of the pipeline file’s parameter names to values',
          fix: 'name parameters the pipeline file declares',
        },
      ),
      skip: doc(
        z.array(doc(z.string(), { description: 'One step name.', accepted: 'a step name of the pipeline file', fix: 'copy the name from the pipeline file' })).default([]),
        {
          description:
            'Steps the cloud leaves out: a score step (it calls a local server) must be listed, or synth fails naming it. Inputs that read a skipped step’s outputs are dropped.',
          accepted: 'a list of step names of the pipeline file',
          fix: 'list steps of the pipeline file, e.g. [score]',
        },
      ),
    })
    .strict(),
  {
    description: 'A pipeline run by the cloud’s managed pipeline engine (continuous training): train, evaluate, gate, register, deploy.',
    default: 'none (training only through the release step)',
    fix: 'add pipeline: { file: <pipeline.yaml> }',
  },
);

const batch = doc(
  z
    .object({
      input: doc(storePath, {
        description: 'The artifact-store prefix (folder) of the CSV files to score.',
        accepted: STORE_PATH_ACCEPTED,
        fix: 'give a folder in the artifact store, e.g. batch/bike/',
      }),
      output: doc(storePath, {
        description: 'Where predictions are written: one file per input file.',
        accepted: STORE_PATH_ACCEPTED,
        default: '<input>-predictions/ (the input prefix without its last slash, then -predictions/)',
        fix: 'give a folder in the artifact store, e.g. predictions/bike/',
      }).optional(),
      schedule: schedule('batch scoring').optional(),
    })
    .strict(),
  {
    description:
      'A batch scoring job over a prefix of the artifact store, with the image and the model version the endpoint serves: on its schedule, and after each promotion by the pipeline.',
    default: 'none',
    fix: 'add batch: { input: <folder in the artifact store> }',
  },
);

const deployment = doc(
  z
    .object({
      model: doc(modelName, {
        description: 'Model name: the registered model and the endpoint are named after it.',
        accepted: '3-32 characters: lowercase letters, digits, hyphens; starts with a letter',
        fix: 'use a short name such as "bike-demand"',
      }),
      image: doc(
        z
          .object({
            platform: doc(z.enum(['linux/amd64', 'linux/arm64']).default('linux/amd64'), {
              description: 'The platform the runtime image is built for.',
              fix: 'keep linux/amd64 unless the cloud compute is ARM',
            }),
            // An image built elsewhere, pinned by digest (see IMAGE_URI_BY_DIGEST): no build at deploy.
            uri: doc(z.string().regex(IMAGE_URI_BY_DIGEST), {
              description:
                'A runtime image your own pipeline built and pushed, run as is: no Docker build, no docker provider. Pinned by digest, so that a new image re-runs the release and every instance runs the same image. The platform identity pulls from the platform registry (output image_uri); grant pull yourself for another registry.',
              accepted: `<registry host>/<repository>[:tag]@sha256:<64 hex>, e.g. ${IMAGE_URI_EXAMPLE}`,
              default: 'none (the image is built at deploy)',
              fix: 'append the digest your pipeline pushed: `docker buildx imagetools inspect <image:tag>` prints it as "Digest:"',
            }).optional(),
          })
          .strict()
          .prefault({}),
        {
          description: 'The runtime image: built at deploy from the @cdktf-mlops/runtime package and pushed to the platform registry, or an image built elsewhere (uri).',
          accepted: 'an object with platform, or with uri',
          fix: 'see deployment.image.platform and deployment.image.uri',
        },
      ),
      training: doc(
        z
          .object({
            data: doc(
              z
                .string()
                .regex(/^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/)
                .refine((p) => !p.split('/').includes('..'), 'no ".." segments'),
              {
                description: 'Training data: a CSV file or folder, relative to the artifact store root.',
                accepted: 'a relative path of letters, digits, _ . / = - (no "..")',
                fix: 'upload the data to the artifact store and give its path, e.g. datasets/bike/hour.csv',
              },
            ),
            upload: doc(z.string().min(1), {
              description:
                'A local file `cdktf deploy` uploads to `data` first, so one deploy trains on it; a changed file re-uploads and retrains. The file is copied into cdktf.out and uploaded, so it must be inside the project (the folder with cdktf.json) unless uploadOutsideProject is true.',
              accepted: 'a path to an existing file inside the project, relative to its root, without ".." (symbolic links must stay inside too)',
              default: 'none (the data is already in the store)',
              fix: 'give the path from the project root, e.g. examples/demand-forecast/data/hour.csv',
            }).optional(),
            uploadOutsideProject: doc(z.boolean(), {
              description:
                'Let upload be an absolute path, a path with "..", or a symbolic link that leaves the project: the one switch for uploading a file from outside the project on purpose.',
              default: 'false',
              fix: `${BOOLEAN_FIX}; set true only for a file you mean to upload`,
            }).optional(),
            hyperparameters,
            instanceCount: setting(R.job.instanceCount, D.job.instanceCount, {
              description: 'Instances the training job runs on.',
              fix: 'set a whole number between {min} and {max}',
            }),
            maxRuntimeMinutes: setting(R.job.maxRuntimeMinutes, D.job.maxRuntimeMinutes, {
              description: 'The training job is stopped after this long.',
              fix: 'set a whole number of minutes',
            }),
          })
          .strict(),
        { description: 'The training job.', fix: 'add training: { data: <path in the artifact store> }' },
      ),
      endpoint: doc(
        z
          .object({
            size: doc(z.enum(SIZE_NAMES).default(D.endpoint.size), {
              description: 'Cloud-neutral machine size of each endpoint instance.',
              fix: 'pick a size, or set deployment.endpoint.instanceType.<cloud>',
            }),
            instanceType: machineOverride('endpoint'),
            minInstances: setting(R.endpoint.minInstances, D.endpoint.minInstances, {
              description: 'Fewest instances the endpoint scales to.',
              fix: 'set a whole number between {min} and {max}',
            }),
            maxInstances: setting(R.endpoint.maxInstances, D.endpoint.maxInstances, {
              description: 'Most instances the endpoint scales to (autoscaling).',
              acceptedNote: 'at least minInstances',
              fix: 'set a whole number not below minInstances',
            }),
            rollout,
            alarms,
          })
          .strict()
          .prefault({}),
        { description: 'The scoring endpoint.', fix: 'see its fields' },
      ),
      pipeline: pipeline.optional(),
      schedule: schedule('the pipeline').optional(),
      batch: batch.optional(),
    })
    .strict(),
  {
    description:
      'The runtime image, a training job and a scoring endpoint deployed with the platform (needs Docker at deploy time, unless deployment.image.uri names an image built elsewhere).',
    default: 'none (platform only)',
    fix: 'add deployment: { model: <name>, training: { data: <path in the artifact store> } }',
  },
);

/** An exact branch or environment name: OIDC subjects are matched exactly, so no wildcards. */
const githubRef = z.string().regex(/^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_./-]{0,99}$/);

const ci = doc(
  z
    .object({
      github: doc(
        z
          .object({
            repository: doc(z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/), {
              description: 'Repository as owner/name.',
              accepted: 'owner/name as GitHub spells it',
              fix: 'write it as in the repository URL, e.g. contoso/ml-platform',
            }),
            branches: doc(
              z.array(doc(githubRef, { description: 'One branch.', accepted: 'a branch name without wildcards or ".."', fix: 'write the exact branch name' })).default(['main']),
              {
                description: 'Branches whose workflow runs may deploy.',
                accepted: 'a list of branch names (no wildcards)',
                fix: 'list exact branch names',
              },
            ),
            environments: doc(
              z
                .array(doc(githubRef, { description: 'One environment.', accepted: 'an environment name without wildcards or ".."', fix: 'write the exact environment name' }))
                .default([]),
              {
                description: 'GitHub environments whose jobs may deploy.',
                accepted: 'a list of environment names (no wildcards)',
                fix: 'list exact environment names',
              },
            ),
            pullRequests: doc(z.boolean().default(false), { description: 'Let pull-request workflow runs sign in too (for plan / policy checks).', fix: BOOLEAN_FIX }),
          })
          .strict(),
        { description: 'The GitHub repository allowed to deploy.', fix: 'add github: { repository: org/repo }' },
      ),
    })
    .strict(),
  { description: 'Keyless CI/CD identity for GitHub Actions (OIDC; no stored secrets).', default: 'none', fix: 'add ci: { github: { repository: org/repo } }' },
);

const alerts = doc(
  z
    .object({
      email: doc(
        z.array(doc(z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/), { description: 'One email receiver.', accepted: 'an email address', fix: 'write name@domain' })).default([]),
        {
          description: 'Email receivers.',
          accepted: 'a list of email addresses',
          fix: 'list addresses such as ops@example.com',
        },
      ),
      webhooks: doc(
        z.array(doc(z.string().regex(/^https:\/\/[^\s]+$/), { description: 'One webhook receiver.', accepted: 'an https:// URL', fix: 'use an https:// URL' })).default([]),
        {
          description: 'Webhook receivers (HTTPS).',
          accepted: 'a list of https:// URLs',
          fix: 'list https:// URLs',
        },
      ),
      noTrafficMinutes: setting(R.alerts.noTrafficMinutes, D.alerts.noTrafficMinutes, {
        description: 'Alert when the endpoint gets no request for this long.',
        fix: 'set a whole number of minutes',
      }),
    })
    .strict(),
  { description: 'Alerts on the deployed endpoint and training job (needs deployment).', default: 'none', fix: 'add alerts: { email: [ops@example.com] }' },
);

const NAME_PART_ACCEPTED = '2-20 characters: a letter, then letters, digits or hyphens';

/** The stack config schema. */
export const StackConfigSchema = z
  .object({
    cloud: doc(z.enum(CLOUDS), { description: 'The cloud the platform is deployed to.', fix: 'set cloud: azure, aws or gcp' }),
    naming: doc(
      z
        .object({
          company: doc(namePart, { description: 'Company or organisation short name.', accepted: NAME_PART_ACCEPTED, fix: 'use a short name such as "contoso"' }),
          project: doc(namePart, { description: 'Project short name.', accepted: NAME_PART_ACCEPTED, fix: 'use a short name such as "mlops"' }),
          environment: doc(
            z
              .string()
              .regex(/^[a-z][a-z0-9]*$/)
              .min(2)
              .max(8),
            { description: 'Environment name.', accepted: '2-8 lowercase letters or digits, starting with a letter', fix: 'use dev, test, staging or prod' },
          ),
          suffix: doc(z.string().regex(/^[a-z0-9]{1,6}$/), {
            description: 'Short suffix appended to globally unique names (storage accounts, buckets, vaults, registries).',
            accepted: '1-6 lowercase letters or digits',
            default: 'none',
            fix: 'use a short random string such as "x7k2"',
          }).optional(),
        })
        .strict(),
      { description: 'Naming parts for `<company>-<project>-<env>-<resource>`.', fix: 'add a naming: section' },
    ),
    region: doc(z.string().min(1), { description: 'The cloud region.', accepted: 'a region name of the selected cloud', fix: 'use the region name as the cloud spells it' }),
    azure: doc(
      z
        .object({
          subscriptionId: doc(uuid, { description: 'Azure subscription id.', accepted: 'a UUID', fix: 'copy the "id" printed by `az account show`' }),
          tenantId: doc(uuid, { description: 'Microsoft Entra tenant id.', accepted: 'a UUID', fix: 'copy the "tenantId" printed by `az account show`' }),
        })
        .strict(),
      {
        description: 'Azure account identity (required when cloud is azure).',
        default: 'required when that cloud is selected',
        fix: 'add azure: { subscriptionId: <uuid>, tenantId: <uuid> } (az account show)',
      },
    ).optional(),
    aws: doc(
      z
        .object({
          accountId: doc(z.string().regex(/^\d{12}$/), {
            description: 'AWS account id; the provider refuses any other account.',
            accepted: 'exactly 12 digits, quoted',
            fix: 'copy the "Account" printed by `aws sts get-caller-identity`, in quotes',
          }),
        })
        .strict(),
      {
        description: 'AWS account identity (required when cloud is aws).',
        default: 'required when that cloud is selected',
        fix: 'add aws: { accountId: "<12 digits>" } (aws sts get-caller-identity)',
      },
    ).optional(),
    gcp: doc(
      z
        .object({
          projectId: doc(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/), {
            description: 'GCP project id.',
            accepted: '6-30 characters: lowercase letters, digits, hyphens; starts with a letter',
            fix: 'use the project id (not its name or number)',
          }),
        })
        .strict(),
      {
        description: 'GCP project identity (required when cloud is gcp).',
        default: 'required when that cloud is selected',
        fix: 'add gcp: { projectId: <project id> } (gcloud config get-value project)',
      },
    ).optional(),
    tags: doc(
      z
        .record(
          z.string().regex(/^[A-Za-z][A-Za-z0-9_.:/=+@-]{0,62}$/),
          doc(z.string().max(256), {
            description: 'One tag.',
            accepted: 'a key starting with a letter (max 63 characters) and a string value (max 256)',
            fix: 'quote the value and start the key with a letter',
          }),
        )
        .default({}),
      { description: 'Tags (labels on GCP) put on every resource.', accepted: 'a map of string keys to string values', fix: 'write tags as key: "value" pairs' },
    ),
    compute: doc(
      z
        .object({
          training: doc(
            z
              .object({
                size: doc(z.enum(SIZE_NAMES).default(D.training.size), {
                  description: 'Cloud-neutral machine size.',
                  fix: 'pick a size, or set compute.training.instanceType.<cloud> for an exact machine',
                }),
                instanceType: machineOverride('training'),
                maxNodes: setting(R.training.maxNodes, D.training.maxNodes, {
                  description: 'Most nodes a training job may use.',
                  fix: 'set a whole number between {min} and {max}',
                }),
                lowPriority: doc(z.boolean().default(D.training.lowPriority), { description: 'Use low-priority / spot capacity for training.', fix: BOOLEAN_FIX }),
              })
              .strict()
              .prefault({}),
            { description: 'Training compute.', fix: 'see its fields' },
          ),
        })
        .strict()
        .prefault({}),
      { description: 'Compute settings.', fix: 'see compute.training' },
    ),
    network: doc(
      z
        .object({
          mode: doc(z.enum(NETWORK_MODES).default(DEFAULT_NETWORK_MODE), {
            description:
              'public: public endpoints, identity only (sandboxes); firewalled: public endpoints behind default-deny firewalls that let allowedIpRanges through; private: a VNet/VPC with private endpoints, jobs and endpoints inside, Terraform run from inside.',
            fix: "pick one of the three; firewalled needs the deployer's egress in allowedIpRanges on Azure, private needs a runner inside the network",
          }),
          allowedIpRanges: doc(
            z
              .array(doc(cidr, { description: 'One allowed range.', accepted: 'an IPv4 address or CIDR such as 203.0.113.0/24', fix: 'write a.b.c.d/nn with each part in range' }))
              .default([]),
            {
              description: 'CIDR ranges let through the firewalls: the egress of whoever runs `cdktf deploy` and of the CI runners (a VPN range in private mode).',
              accepted: 'a list of public IPv4 CIDRs',
              fix: 'list ranges such as 203.0.113.0/24 (curl -s https://checkip.amazonaws.com)',
            },
          ),
          addressSpace: doc(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/), {
            description:
              "Address space of the network the stack creates in private mode; on Azure in firewalled mode, the first /24 is the network of the pipeline's promoter job (a serve step).",
            accepted: 'an IPv4 CIDR from /8 to /24',
            default: DEFAULT_ADDRESS_SPACE,
            fix: 'pick a range that does not overlap networks you peer with, e.g. 10.40.0.0/16',
          }).optional(),
          existing: doc(
            z
              .object({
                azure: doc(
                  z
                    .object({
                      subnetId: doc(azureSubnetId, {
                        description: 'Subnet the private endpoints are created in.',
                        accepted: 'a subnet resource id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>',
                        fix: 'copy it from `az network vnet subnet show --query id -o tsv`',
                      }),
                      privateDnsZoneIds: doc(
                        z
                          .object(
                            Object.fromEntries(
                              AZURE_DNS_ZONE_KINDS.map((k) => [
                                k,
                                doc(azureDnsZoneId, {
                                  description: 'One private DNS zone.',
                                  accepted: 'a private DNS zone resource id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone>',
                                  fix: 'copy it from `az network private-dns zone show --query id -o tsv`',
                                }).optional(),
                              ]),
                            ) as Record<AzurePrivateDnsZoneKind, z.ZodOptional<typeof azureDnsZoneId>>,
                          )
                          .strict(),
                        {
                          description: 'Existing private DNS zones (already linked to the network) by kind; kinds not listed are created and linked by the stack.',
                          accepted: `an object with optional ${AZURE_DNS_ZONE_KINDS.join(', ')} zone ids`,
                          default: 'none (the stack creates every zone)',
                          fix: 'map each kind to its zone resource id',
                          anyKey: true,
                        },
                      ).optional(),
                    })
                    .strict(),
                  { description: "The existing Azure subnet for the private endpoints, and the hub's private DNS zones.", fix: 'add azure: { subnetId: <subnet resource id> }' },
                ).optional(),
                aws: doc(
                  z
                    .object({
                      vpcId: doc(z.string().regex(/^vpc-[0-9a-f]{8,17}$/), {
                        description: 'The VPC id.',
                        accepted: 'vpc- and 8 or 17 hex digits',
                        fix: 'copy it from `aws ec2 describe-vpcs`',
                      }),
                      subnetIds: doc(
                        z
                          .array(
                            doc(z.string().regex(/^subnet-[0-9a-f]{8,17}$/), {
                              description: 'One subnet.',
                              accepted: 'subnet- and 8 or 17 hex digits',
                              fix: 'copy it from `aws ec2 describe-subnets`',
                            }),
                          )
                          .min(2),
                        {
                          description: 'Private subnets in at least two availability zones.',
                          accepted: 'a list of at least two subnet ids',
                          fix: 'list two or more subnet-… ids in different zones',
                        },
                      ),
                      routeTableIds: doc(
                        z.array(
                          doc(z.string().regex(/^rtb-[0-9a-f]{8,17}$/), {
                            description: 'One route table.',
                            accepted: 'rtb- and 8 or 17 hex digits',
                            fix: 'copy it from `aws ec2 describe-route-tables`',
                          }),
                        ),
                        {
                          description: 'Route tables of the subnets, for the S3 gateway endpoint.',
                          accepted: 'a list of route table ids',
                          default: 'none (no S3 gateway endpoint is created: the VPC must reach S3 privately already)',
                          fix: 'list the rtb-… ids of the subnets',
                        },
                      ).optional(),
                      createEndpoints: doc(z.boolean().default(true), {
                        description: 'Create the interface endpoints (SageMaker, ECR, STS, logs, KMS, monitoring) in the VPC.',
                        fix: 'set false when the landing zone resolves these endpoints centrally',
                      }),
                    })
                    .strict(),
                  { description: 'The existing VPC the jobs, endpoints and VPC endpoints go in.', fix: 'add aws: { vpcId: vpc-…, subnetIds: [subnet-…, subnet-…] }' },
                ).optional(),
                gcp: doc(
                  z
                    .object({
                      network: doc(z.string().regex(/^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/global\/networks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/), {
                        description: 'The VPC network id.',
                        accepted: 'projects/<project>/global/networks/<name>',
                        fix: 'copy it from `gcloud compute networks describe <name> --format="value(selfLink)"` without the https://…/v1/ prefix',
                      }),
                      subnetwork: doc(z.string().regex(/^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/regions\/[a-z]+-[a-z]+\d+\/subnetworks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/), {
                        description: 'The subnetwork id.',
                        accepted: 'projects/<project>/regions/<region>/subnetworks/<name>',
                        fix: 'copy it from `gcloud compute networks subnets describe` without the https://…/v1/ prefix',
                      }),
                    })
                    .strict(),
                  {
                    description: 'The existing VPC network and subnetwork (with Private Google Access).',
                    fix: 'add gcp: { network: projects/<p>/global/networks/<n>, subnetwork: projects/<p>/regions/<r>/subnetworks/<s> }',
                  },
                ).optional(),
              })
              .strict(),
            {
              description: 'An existing network to use in private mode instead of creating one (hub-and-spoke landing zones).',
              accepted: "an object with the selected cloud's section: azure, aws or gcp",
              default: 'none (the stack creates the network)',
              fix: 'add existing: { <cloud>: { … } } for the selected cloud',
            },
          ).optional(),
        })
        .strict()
        .prefault({}),
      { description: 'How the data planes (keys, storage, registry, workspace, endpoint) are reached; see the README, "Network modes".', fix: 'see its fields' },
    ),
    deployers: doc(z.array(doc(z.string().min(1), { description: 'One deployer principal.', accepted: "the selected cloud's principal format", fix: 'see deployers' })), {
      description: 'The principals that run `cdktf deploy` by hand (CI is added by ci:): they get the data-plane roles Terraform needs and are never caught by a deny.',
      accepted: 'a list of Azure object ids, AWS IAM role or user ARNs, or GCP members (user:, group:, serviceAccount:)',
      default: 'the principal running Terraform (required when ci: is set)',
      fix: 'list who deploys, e.g. the output of `az ad signed-in-user show --query id -o tsv`',
    }).optional(),
    protection: doc(
      z
        .object({ retainData: doc(z.boolean().default(true), { description: 'Keep stateful stores (storage, keys, registries) on destroy.', fix: BOOLEAN_FIX }) })
        .strict()
        .prefault({}),
      { description: 'Data protection.', fix: 'see its fields' },
    ),
    backend: backend.prefault({ type: 'local' }),
    deployment: deployment.optional(),
    ci: ci.optional(),
    alerts: alerts.optional(),
  })
  .strict();

/** A validated stack config. */
export type StackConfig = z.infer<typeof StackConfigSchema>;
/** A stack config as written in YAML (defaults not yet applied). */
export type StackConfigInput = z.input<typeof StackConfigSchema>;

/** The accepted region format per cloud (lib/core/cloud.ts: the constructs check regions with them too). */
export { REGION_FORMATS };

/** What a config field accepts, its default and how to fix a bad value. */
export interface ConfigField {
  /** Dotted path; `*` matches any key or index. */
  readonly path: string;
  /** What the field means. */
  readonly description: string;
  /** What values are accepted. */
  readonly accepted: string;
  /**
   * What applies when the field is left out: the schema's default value
   * (`4`, `[main]`, `{}`), "each field's default" for a section whose fields
   * all have one, or what happens without it ("none (platform only)").
   * `required` when the field must be given.
   */
  readonly default: string;
  /** How to fix a bad value. */
  readonly fix: string;
}

/** A field of the schema found by {@link schemaFields}: its path, its schema (wrappers removed) and what the walk learnt. */
export interface SchemaField {
  /** Dotted path; `*` for any key or index. */
  readonly path: string;
  /** The field's schema without optional/default wrappers. */
  readonly schema: z.ZodType;
  /** Its documentation. */
  readonly meta: FieldMeta;
  /** The default value when the field is left out, if the schema has one (`{}` for a section whose fields all default). */
  readonly defaultValue?: { readonly value: unknown };
  /** The field may be left out. */
  readonly optional: boolean;
  /** For a field of one backend kind: the `type`s that have it. */
  readonly variants?: readonly string[];
}

type AnyDef = {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
  values?: unknown[];
};
const defOf = (s: z.ZodType): AnyDef => (s as unknown as { def: AnyDef }).def;
const metaOf = (s: z.ZodType): FieldMeta | undefined => (s.meta() as FieldMeta | undefined) ?? undefined;

/**
 * Every field of `schema`, depth first, parents before children: one entry
 * per object key, `*` for the entries of records and lists (and of objects
 * documented with `anyKey`), the keys of every backend kind merged.
 * Throws when a field carries no documentation.
 */
export function schemaFields(schema: z.ZodType = StackConfigSchema): SchemaField[] {
  const out = new Map<string, SchemaField>();
  const visit = (node: z.ZodType, path: string[], variant?: string): void => {
    let s = node;
    let meta = metaOf(s);
    let optional = false;
    let defaultValue: { value: unknown } | undefined;
    for (;;) {
      const def = defOf(s);
      if (def.type === 'optional') optional = true;
      else if (def.type === 'default') defaultValue ??= { value: def.defaultValue };
      else if (def.type === 'prefault') defaultValue ??= { value: def.defaultValue };
      else break;
      s = def.innerType!;
      meta ??= metaOf(s);
    }
    const def = defOf(s);
    const key = path.join('.');
    if (path.length > 0) {
      const seen = out.get(key);
      if (seen) {
        // A key of several backend kinds: documented once.
        if (variant) out.set(key, { ...seen, variants: [...(seen.variants ?? []), variant] });
      } else {
        if (!meta) throw new Error(`The config field ${key} has no documentation: give its schema .meta({ description, fix, … }) in lib/config/schema.ts`);
        out.set(key, { path: key, schema: s, meta, defaultValue, optional: optional || defaultValue !== undefined, ...(variant ? { variants: [variant] } : {}) });
      }
    }
    if (def.type === 'object') {
      const shape = def.shape!;
      if (meta?.anyKey) {
        visit(Object.values(shape)[0]!, [...path, '*']);
        return;
      }
      for (const [k, child] of Object.entries(shape)) visit(child, [...path, k], variant);
    } else if (def.type === 'record') {
      visit(def.valueType!, [...path, '*']);
    } else if (def.type === 'array') {
      visit(def.element!, [...path, '*']);
    } else if (def.type === 'union' && def.options!.every((o) => defOf(o).type === 'object')) {
      // The backend kinds: their keys merged, each noting the kinds that have it.
      for (const option of def.options!) {
        const o = defOf(option);
        const kind = o.type === 'object' ? defOf(o.shape!.type!).values?.[0] : undefined;
        if (o.type !== 'object' || typeof kind !== 'string') throw new Error(`${key}: only unions of objects with a literal type are documented`);
        for (const [k, child] of Object.entries(o.shape!)) visit(child, [...path, k], kind);
      }
    }
  };
  visit(schema, []);
  return [...out.values()];
}

/** What a field accepts: its documentation, else derived from the schema. */
function acceptedOf(f: SchemaField): string {
  const m = f.meta;
  const def = defOf(f.schema);
  let text = m.accepted;
  if (text === undefined) {
    if (m.range) text = describeRange(m.range);
    else if (def.type === 'enum') text = `one of ${(f.schema as z.ZodEnum<Record<string, string>>).options.join(', ')}`;
    else if (def.type === 'literal' && f.variants) text = `one of ${f.variants.join(', ')}`;
    else if (def.type === 'boolean') text = 'true or false';
    else if (def.type === 'object') text = `an object with ${Object.keys(def.shape!).join(', ')}`;
    else throw new Error(`The config field ${f.path} needs an 'accepted' text in its .meta(): it cannot be derived from a ${def.type} schema`);
  }
  return m.acceptedNote ? `${text}, ${m.acceptedNote}` : text;
}

/** How a default value reads in the docs: `4`, `small`, `[main]`, `{}`. */
export function showDefault(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(showDefault).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${k}: ${showDefault(v)}`).join(', ')} }`;
  }
  return String(value);
}

/** What applies when a field is left out. */
function defaultOf(f: SchemaField): string {
  if (f.meta.default !== undefined) return f.meta.default;
  if (f.defaultValue) {
    const v = f.defaultValue.value;
    // A section defaulted to {} takes its fields' defaults.
    if (defOf(f.schema).type === 'object' && showDefault(v) === '{}') return "{} (each field's default)";
    return showDefault(v);
  }
  // One key or entry of a map or list.
  if (f.path.endsWith('.*')) return '—';
  if (f.variants && defOf(f.schema).type !== 'literal') return f.optional ? 'optional' : `required for backend type ${f.variants.join(', ')}`;
  return f.optional ? 'optional' : 'required';
}

/** Documentation of every config field, read off {@link StackConfigSchema}: used by error messages and the README. */
export const CONFIG_FIELDS: readonly ConfigField[] = schemaFields().map((f) => {
  const range = f.meta.range;
  const fill = (text: string) => (range ? text.replace(/\{min\}/g, String(range.min ?? range.above)).replace(/\{max\}/g, String(range.max)) : text);
  return { path: f.path, description: f.meta.description, accepted: acceptedOf(f), default: defaultOf(f), fix: fill(f.meta.fix) };
});

/** The documentation of the field at `path` (indices and map keys match `*`). */
export function fieldAt(path: readonly (string | number)[]): ConfigField | undefined {
  const segments = path.map(String);
  return CONFIG_FIELDS.find((f) => {
    const pattern = f.path.split('.');
    return pattern.length === segments.length && pattern.every((p, i) => p === '*' || p === segments[i]);
  });
}
