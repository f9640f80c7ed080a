import { z } from 'zod';

/**
 * The `azure` section of a release spec, written by the stack's
 * `AzureTrainingJob` / `AzureScoringEndpoint` (lib/deploy/azure): the
 * workspace, the identity jobs and deployments run as, and per kind where the
 * job reads and writes or how the endpoint is exposed.
 */

const guid = z.string().regex(/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'must be a GUID such as 00000000-0000-0000-0000-000000000000');
const armId = (type: string, example: string) =>
  z
    .string()
    .regex(new RegExp(`^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/${type.replace(/\./g, '\\.')}$`, 'i'), `must be the ARM id of a ${example}`);

/** A path inside the artifact store's container: no absolute paths, no "..", ".", or empty segments. */
const storePath = z
  .string()
  .refine(
    (p) => /^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/.test(p) && !p.split('/').some((s) => s === '' || s === '.' || s === '..'),
    'must be a path inside the container: letters, digits, _ . / = - without "..", "." or empty segments, e.g. datasets/bike/hour.csv',
  );

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
  managedBy: 'managed-by',
} as const;

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
      })
      .strict()
      .optional(),
  })
  .strict();

/** A validated Azure target. */
export type AzureTarget = z.infer<typeof AzureTargetSchema>;

/** Hyperparameter names `mlops train` accepts as `--<name>` (checked again here: they go into a shell command). */
export const HYPERPARAMETER_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
