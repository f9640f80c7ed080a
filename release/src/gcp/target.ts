import { z } from 'zod';
import { RELEASE_INSTANCE_ENV } from '../spec';

/**
 * The `gcp` section of a release spec: where on Google Cloud the step runs.
 * The stack writes it (`GcpTrainingJob` / `GcpScoringEndpoint`); the driver
 * validates it with the schema of the spec's kind.
 */

const project = z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id (6-30 lowercase letters, digits and hyphens, starting with a letter)');
const region = z.string().regex(/^[a-z]+(-[a-z]+)+[0-9]+$/, 'must be a GCP region such as "europe-west4" (not a zone)');
const serviceAccount = z
  .string()
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+\.gserviceaccount\.com$/, 'must be a service account email (<id>@<project>.iam.gserviceaccount.com)');
const kmsKeyName = z
  .string()
  .regex(
    /^projects\/[^/\s]+\/locations\/[^/\s]+\/keyRings\/[^/\s]+\/cryptoKeys\/[^/\s]+$/,
    'must be a Cloud KMS key name (projects/<p>/locations/<r>/keyRings/<ring>/cryptoKeys/<key>)',
  );
/** Vertex AI model ids: up to 63 of [a-z0-9_-], starting with a letter. */
const modelId = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a Vertex AI model id: up to 63 lowercase letters, digits, "_" and "-", starting with a letter');
const revision = z.string().regex(/^[0-9a-f]{12}$/, 'must be 12 lowercase hex characters');

/** A GPU on the machine (Vertex AI names, e.g. NVIDIA_TESLA_T4). */
const accelerator = z
  .object({
    type: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be a Vertex AI accelerator type such as "NVIDIA_TESLA_T4"'),
    count: z.number().int().min(1).max(16),
  })
  .strict();

/** Target of a `training` step. */
export const GcpTrainingTargetSchema = z
  .object({
    project,
    region,
    /** The service account the custom job runs as and the model is uploaded with. */
    serviceAccount,
    /** CMEK for the custom job and the model. */
    kmsKeyName,
    /** The Vertex AI model the release registers versions of. */
    modelId,
    /** Where the job writes the model: `<training.outputUri>/model` (Vertex AI's AIP_MODEL_DIR). */
    modelUri: z.string().regex(/^gs:\/\/[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]\/\S+$/, 'must be a gs://<bucket>/<path> URI'),
    accelerator: accelerator.optional(),
    /** Vertex AI scheduling: spot or standard capacity. */
    schedulingStrategy: z.enum(['STANDARD', 'SPOT']),
    /** Private network mode: the network attachment the custom job joins the VPC through (Private Service Connect interface). */
    networkAttachment: z
      .string()
      .regex(/^projects\/[^/\s]+\/regions\/[^/\s]+\/networkAttachments\/[^/\s]+$/, 'must be a network attachment id (projects/<p>/regions/<r>/networkAttachments/<n>)')
      .optional(),
  })
  .strict();

/** Target of an `endpoint` step. */
export const GcpEndpointTargetSchema = z
  .object({
    project,
    region,
    /** The service account the deployed model's container runs as. */
    serviceAccount,
    kmsKeyName,
    /** The endpoint Terraform created (`google_vertex_ai_endpoint.id`). */
    endpoint: z
      .string()
      .regex(/^projects\/[^/\s]+\/locations\/[^/\s]+\/endpoints\/[1-9][0-9]{0,9}$/, 'must be an endpoint resource name (projects/<p>/locations/<r>/endpoints/<numeric id>)'),
    modelId,
    /** The training revision whose model version the endpoint serves. */
    modelRevision: revision,
    accelerator: accelerator.optional(),
    /**
     * Private network mode: the endpoint is reached through a Private Service
     * Connect forwarding rule on a reserved internal address, which the step
     * points at the service attachment Vertex AI makes for the deployment.
     */
    psc: z
      .object({
        /** The VPC network, `projects/<p>/global/networks/<n>`. */
        network: z.string().regex(/^projects\/[^/\s]+\/global\/networks\/[^/\s]+$/, 'must be a VPC network id (projects/<p>/global/networks/<n>)'),
        /** The reserved internal IPv4 address of the forwarding rule. */
        address: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'must be an internal IPv4 address'),
        /** The forwarding rule's name. */
        forwardingRule: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Compute Engine name'),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A validated training target. */
export type GcpTrainingTarget = z.infer<typeof GcpTrainingTargetSchema>;
/** A validated endpoint target. */
export type GcpEndpointTarget = z.infer<typeof GcpEndpointTargetSchema>;

// Label keys the release puts on what it creates: underscores, because list filters use them.
/** Label with the release name. */
export const GCP_RELEASE_LABEL = 'mlops_release';
/** Label with the revision (on custom jobs and model versions). */
export const GCP_REVISION_LABEL = 'mlops_revision';
/** Label with the registered model's name. */
export const GCP_MODEL_LABEL = 'mlops_model';
/**
 * Label with the marker of the step that applied last, on the model's default
 * version and on the endpoint. A step replaced by a newer one — including one
 * of the same revision, after a taint or an image rebuilt from unchanged
 * content — finds another marker on destroy, and so knows it is superseded.
 */
export const GCP_STEP_LABEL = 'mlops_step';
/** The release step's Terraform instance id, handed to both provisioners (spec.ts). */
export { RELEASE_INSTANCE_ENV };

/**
 * This step's marker: the release step instance id when Terraform runs it,
 * else (a run from CI or by hand) the first 40 hex of the image digest.
 */
export function stepMarker(image: string, env: NodeJS.ProcessEnv): string {
  const instance = env[RELEASE_INSTANCE_ENV]?.trim().toLowerCase();
  if (instance && /^[0-9a-f][0-9a-f-]{0,62}$/.test(instance)) return instance;
  return (/@sha256:([0-9a-f]{64})$/.exec(image)?.[1] ?? 'unpinned').slice(0, 40);
}

/** The version alias of a training revision (aliases must start with a letter). */
export function versionAlias(revision: string): string {
  return `r-${revision}`;
}

/** `projects/<p>/locations/<r>`. */
export function parentOf(target: { project: string; region: string }): string {
  return `projects/${target.project}/locations/${target.region}`;
}

/** The model resource name the release registers versions under. */
export function modelNameOf(target: { project: string; region: string; modelId: string }): string {
  return `${parentOf(target)}/models/${target.modelId}`;
}
