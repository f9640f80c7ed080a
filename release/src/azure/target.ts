import { z } from 'zod';
import { ReleaseError } from '../driver';
import { RELEASE_INSTANCE_ENV, ReleaseSpecError } from '../spec';

/**
 * The `azure` section of a release spec, written by the stack's
 * `AzureTrainingJob` / `AzureScoringEndpoint` (lib/deploy/azure): the
 * workspace, the identity jobs and deployments run as, and per kind where the
 * job reads and writes or how the endpoint is exposed.
 */

const guid = z.string().regex(/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'must be a GUID such as 00000000-0000-0000-0000-000000000000');
const armId = (type: string, example: string) =>
  z.string().regex(new RegExp(`^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/${type.replace(/\./g, '\\.')}$`, 'i'), `must be the ARM id of a ${example}`);

/** A public IPv4 address or CIDR range (Azure ML IP rules take IPv4 only). */
const ipv4Range = z
  .string()
  .regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/([89]|[12]\d|3[0-2]))?$/, 'must be an IPv4 address or CIDR range such as 203.0.113.0/24');

/** A path inside the artifact store's container: no absolute paths, no "..", ".", or empty segments. */
const storePath = z
  .string()
  .refine(
    (p) => /^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/.test(p) && !p.split('/').some((s) => s === '' || s === '.' || s === '..'),
    'must be a path inside the container: letters, digits, _ . / = - without "..", "." or empty segments, e.g. datasets/bike/hour.csv',
  );

/** A folder path inside the artifact store's container, ending with `/` (a pipeline's registry or runs prefix). */
export const StoreFolderSchema = z.string().refine(
  (p) =>
    /^[A-Za-z0-9_][A-Za-z0-9_./=-]*\/$/.test(p) &&
    !p
      .split('/')
      .slice(0, -1)
      .some((s) => s === '' || s === '.' || s === '..'),
  {
    message: 'must be a folder path inside the container ending with /, without "..", "." or empty segments, e.g. pipelines/bike/',
  },
);
/** A storage service endpoint: https, no trailing slash. */
export const StorageEndpointSchema = z
  .string()
  .regex(/^https:\/\/[^\s/?#]+(\/[^\s?#]*[^\s/?#])?$/, 'must be an https:// URL without a trailing slash, e.g. https://contosomlopsdevst.blob.core.windows.net');
/** A blob container (or queue) name. */
export const ContainerNameSchema = z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a blob container name (3-63 lowercase letters, digits and -)');
/** A model's name in a pipeline's registry folder (the runtime registry's). */
export const RegistryModelSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must be a registry model name (letters, digits, _ and -, starting with a letter)');

/**
 * `azure.endpoint.lease`: the rollout lease of an endpoint that a pipeline
 * promoter also rolls out to (written by the stack's `AzurePipelinePromoter`):
 * cdktf deploy's endpoint step holds the same blob lease as the promoter
 * (`<registryPrefix>registry/<model>/.promote-lease`, lease.ts) while it
 * changes the endpoint, and waits while a promotion holds it.
 */
export const RolloutLeaseSchema = z
  .object({
    /** Blob service endpoint of the artifact store's account. */
    blobEndpoint: StorageEndpointSchema,
    /** The artifact store's container. */
    container: ContainerNameSchema,
    /** The pipeline's registry folder (`registry/<model>/` below it). */
    registryPrefix: StoreFolderSchema,
    /** The model's name in that registry. */
    model: RegistryModelSchema,
    /** The promoter's Container Apps job (named in the error when the step gives up waiting). */
    promoterJob: z.string().regex(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/, 'must be a Container Apps job name (2-32 lowercase letters, digits and -)'),
    /** The longest a promotion holds the lease (the promoter job's replica timeout): the step waits that long, and a lease period more. */
    promotionTimeoutSeconds: z.number().int().min(60).max(86_400),
  })
  .strict();

/** The routes and port the runtime's scoring server answers Azure ML on (training-image/src/serve/README.md). */
export const INFERENCE_ROUTES = { port: 8080, liveness: '/', readiness: '/ready', scoring: '/score' } as const;

/** Where the online deployment mounts the model; the server is pointed at it with MLOPS_MODEL_DIR. */
export const MODEL_MOUNT_PATH = '/var/mlops/model';

/** Tag keys on everything a release creates; the driver finds its objects again by them. */
export const TAGS = {
  release: 'mlops.release',
  revision: 'mlops.revision',
  config: 'mlops.config',
  image: 'mlops.image',
  environment: 'mlops.environment',
  /**
   * The release step instance (`terraform_data` id) that applied last, on the
   * online endpoint and on the model version: a step replaced by another one
   * of the same spec finds another id here on destroy, and so knows it is
   * superseded (see {@link releaseInstanceOf}).
   */
  step: 'mlops.step',
  /**
   * On a model version promoted from a pipeline run (`mlops-release promote`):
   * the version in the pipeline's registry folder. Such versions are not
   * revisions of a release step: a step's destroy does not count them as newer.
   */
  registryVersion: 'mlops.registry.version',
  managedBy: 'managed-by',
} as const;

/** The release step's Terraform instance id, handed to both provisioners (spec.ts). */
export { RELEASE_INSTANCE_ENV };

/** What an instance id may look like: Terraform's are UUIDs; tag values must stay short and plain. */
const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * The release step instance of this run, from {@link RELEASE_INSTANCE_ENV};
 * `undefined` when it is unset or empty (a run by hand or from CI, outside
 * Terraform: the driver then decides by revision only, as before instance ids).
 * Throws a {@link ReleaseError} (`BAD_INSTANCE`) for a value that cannot be a tag.
 */
export function releaseInstanceOf(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[RELEASE_INSTANCE_ENV];
  const value = raw?.trim();
  if (!value) return undefined;
  if (!INSTANCE_ID.test(value)) {
    throw new ReleaseError(
      `${RELEASE_INSTANCE_ENV} is ${JSON.stringify(raw!.length > 80 ? `${raw!.slice(0, 80)}…` : raw)}, which is not a release step instance id ` +
        `(1-128 letters, digits, . _ : -, starting with a letter or digit; Terraform passes the terraform_data id, a UUID). ` +
        `Fix: unset it for a run outside Terraform, or let the release step set it.`,
      'BAD_INSTANCE',
    );
  }
  return value;
}

/** The `azure` target of a release spec. */
export const AzureTargetSchema = z
  .object({
    subscriptionId: guid,
    resourceGroup: z.string().regex(/^[-\w.()]{0,89}[-\w()]$/, 'must be a resource group name (1-90 letters, digits, _ - . ( ), not ending with a dot)'),
    workspaceName: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/, 'must be an Azure ML workspace name (3-33 letters, digits, _ and -)'),
    location: z.string().regex(/^[a-z][a-z0-9]*$/, 'must be an Azure region name such as westeurope'),
    identity: z
      .object({
        resourceId: armId('Microsoft.ManagedIdentity/userAssignedIdentities/[^/]+', 'user-assigned managed identity'),
        clientId: guid,
      })
      .strict(),
    training: z
      .object({
        computeId: armId('Microsoft.MachineLearningServices/workspaces/[^/]+/computes/[^/]+', 'Azure ML compute cluster'),
        datastore: z.string().regex(/^[A-Za-z0-9_]{1,255}$/, 'must be an Azure ML datastore name (letters, digits, _)'),
        dataPath: storePath,
        dataType: z.enum(['uri_file', 'uri_folder']),
        modelPath: storePath,
      })
      .strict()
      .optional(),
    endpoint: z
      .object({
        configHash: z.string().regex(/^[0-9a-f]{12}$/, 'must be 12 lowercase hex characters'),
        authMode: z.enum(['AMLToken', 'Key', 'AADToken']),
        publicNetworkAccess: z.boolean(),
        allowedIpRanges: z.array(ipv4Range).min(1).optional(),
        /** With a pipeline promoter: the rollout lease apply and destroy hold (absent: no lease, no storage request). */
        lease: RolloutLeaseSchema.optional(),
      })
      .strict()
      .optional(),
    /** kind endpoint, read by `promote` only: where a pipeline run's registration is (checked by promote.ts's AzurePromoteTargetSchema). */
    promote: z.record(z.string(), z.unknown()).optional(),
    /** kind pipeline: what the stack compiled (checked by pipeline.ts's AzurePipelineTargetSchema). */
    pipeline: z.record(z.string(), z.unknown()).optional(),
    workspace: z
      .object({
        systemDatastoresAuthMode: z.enum(['identity', 'accessKey']),
        allowedIpRanges: z.array(ipv4Range).min(1).max(200, 'must list at most 200 ranges (Azure ML allows 200 IP rules per workspace)').optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A validated Azure target. */
export type AzureTarget = z.infer<typeof AzureTargetSchema>;

/** Hyperparameter names `mlops train` accepts as `--<name>` (checked again here: they go into a shell command). */
export const HYPERPARAMETER_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * The section `azure.<key>` of a target, checked with `schema` before any
 * request: a missing section is `required` (why it must be there and who
 * writes it); each schema issue names its full path under `azure.<key>`.
 */
export function targetSection<T extends z.ZodTypeAny>(target: AzureTarget, key: string, schema: T, required: string): z.infer<T> {
  const raw = (target as Record<string, unknown>)[key];
  if (raw === undefined) throw new ReleaseSpecError([{ code: 'RELEASE_SPEC_INVALID', path: `azure.${key}`, message: required }]);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ReleaseSpecError(
      parsed.error.issues.map((i) => ({ code: 'RELEASE_SPEC_INVALID' as const, path: ['azure', key, ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  return parsed.data;
}
