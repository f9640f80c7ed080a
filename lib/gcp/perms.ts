/**
 * Every IAM role and Google-managed principal the GCP platform grants, in one
 * place. Constructs never inline a role name: they pick it from here.
 */

/** Predefined IAM roles granted to workload identities, per intent. */
export const GCP_ROLES = {
  /** Read objects in a bucket (`ArtifactStore.grantRead`). */
  storageRead: 'roles/storage.objectViewer',
  /** Read, write and delete objects in a bucket (`ArtifactStore.grantReadWrite`). */
  storageReadWrite: 'roles/storage.objectUser',
  /** Pull images from an Artifact Registry repository (`ImageRegistry.grantPull`). */
  registryPull: 'roles/artifactregistry.reader',
  /** Push and pull images (`ImageRegistry.grantPush`). */
  registryPush: 'roles/artifactregistry.writer',
  /** Decrypt with a Cloud KMS key (read side of a store grant). */
  keyDecrypt: 'roles/cloudkms.cryptoKeyDecrypter',
  /** Encrypt and decrypt with a Cloud KMS key (`EncryptionKey.grantEncryptDecrypt`). */
  keyEncryptDecrypt: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
  /** Read models in the Vertex AI Model Registry (project level: Vertex AI has no registry-level IAM). */
  modelRead: 'roles/aiplatform.viewer',
  /** Register and read models in the Vertex AI Model Registry (project level). */
  modelWrite: 'roles/aiplatform.user',
  /** A deployer writes the training data Terraform uploads (`GcpMlPlatform.grantDeploy`, on the bucket). */
  deployWrite: 'roles/storage.objectUser',
  /** A deployer pushes the runtime image Terraform builds (`GcpMlPlatform.grantDeploy`, on the repository). */
  deployPush: 'roles/artifactregistry.writer',
  /**
   * Act as one service account: deploy Cloud Run, Cloud Functions, Batch or
   * Compute Engine workloads that run as it (`GcpWorkloadIdentity.usableBy`).
   * Granted on that service account only, never at project level (CKV_GCP_41).
   */
  actAs: 'roles/iam.serviceAccountUser',
  /** A GKE workload (Kubernetes service account) runs as one service account (`GcpWorkloadIdentity.gkeWorkloads`), on that service account only. */
  gkeWorkloadIdentity: 'roles/iam.workloadIdentityUser',
} as const;

/**
 * The permissions of the custom role a pipeline's schedule runs as: create a
 * Vertex AI pipeline job, nothing else (no predefined role is this narrow:
 * `roles/aiplatform.user` would also let it deploy, delete and read every
 * Vertex AI resource). Acting as the pipeline's service account is granted
 * on that one service account (`roles/iam.serviceAccountUser`).
 */
export const GCP_PIPELINE_TRIGGER_PERMISSIONS: readonly string[] = ['aiplatform.pipelineJobs.create'];

/** The project role of Cloud Scheduler's service agent: it mints the OAuth token of a job's service account. */
export const GCP_SCHEDULER_AGENT_ROLE = 'roles/cloudscheduler.serviceAgent';

/** Cloud Scheduler's service agent, from the project number. */
export const GCP_SCHEDULER_AGENT_MEMBER = (projectNumber: string): string => `serviceAccount:service-${projectNumber}@gcp-sa-cloudscheduler.iam.gserviceaccount.com`;

/** Project-level roles that let an identity run Vertex AI jobs and write logs and metrics (`Workspace.grantUse`). */
export const GCP_WORKSPACE_USE_ROLES: readonly string[] = ['roles/aiplatform.user', 'roles/logging.logWriter', 'roles/monitoring.metricWriter'];

/**
 * The project role Google grants a service agent when it creates the agent on
 * first use; an agent created on request (`google_project_service_identity`)
 * gets none, so the platform grants it (cloud.google.com/iam/docs/create-service-agents).
 */
export const GCP_SERVICE_AGENT_ROLES: Record<Exclude<GcpServiceAgent, 'storage'>, string> = {
  artifactregistry: 'roles/artifactregistry.serviceAgent',
  aiplatform: 'roles/aiplatform.serviceAgent',
};

/** The role Google service agents need on a key to use it as CMEK. */
export const GCP_SERVICE_AGENT_KEY_ROLE = 'roles/cloudkms.cryptoKeyEncrypterDecrypter';

/** Basic (primitive) roles the platform never grants (CKV_GCP_117). */
export const GCP_BASIC_ROLES: readonly string[] = ['roles/owner', 'roles/editor', 'roles/viewer'];

/** Roles that let a principal impersonate or manage service accounts; never granted at project level (CKV_GCP_41, CKV_GCP_49). */
export const GCP_IMPERSONATION_ROLES: readonly string[] = [
  'roles/iam.serviceAccountUser',
  'roles/iam.serviceAccountTokenCreator',
  'roles/iam.serviceAccountAdmin',
  'roles/iam.serviceAccountKeyAdmin',
];

/** Principals that make a resource public; the platform never grants to them (CKV_GCP_28, CKV_GCP_101). */
export const GCP_PUBLIC_PRINCIPALS: readonly string[] = ['allUsers', 'allAuthenticatedUsers'];

/** The Google service agents that encrypt platform data with the customer-managed key. */
export type GcpServiceAgent = 'storage' | 'artifactregistry' | 'aiplatform';

/**
 * IAM member of the per-project service agent of `agent`, from the project
 * number. Cloud Storage's agent comes from the `google_storage_project_service_account`
 * data source instead, so it is not listed here.
 */
export const GCP_SERVICE_AGENT_MEMBERS: Record<Exclude<GcpServiceAgent, 'storage'>, (projectNumber: string) => string> = {
  artifactregistry: (n) => `serviceAccount:service-${n}@gcp-sa-artifactregistry.iam.gserviceaccount.com`,
  aiplatform: (n) => `serviceAccount:service-${n}@gcp-sa-aiplatform.iam.gserviceaccount.com`,
};

/** `roles/storage.objectViewer` → `StorageObjectViewer`: construct ids of IAM members and bindings. */
export function roleKey(role: string): string {
  return role
    .replace(/^roles\//, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p.length > 0)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}
