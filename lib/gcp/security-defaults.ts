import { SecurityDefault } from '../core/security-defaults';

/**
 * Every secure default the GCP platform applies, with the rule it satisfies
 * and either the one prop that relaxes it (resource settings) or why none
 * does (invariants of the design). Rule ids are Checkov's where Checkov has
 * a rule; `MLOPS_GCP_*` ids name the platform's own defaults that no Checkov
 * rule covers.
 */
export const GCP_SECURITY_DEFAULTS: readonly SecurityDefault[] = [
  {
    ruleIds: ['CKV_GCP_43'],
    cloud: 'gcp',
    construct: 'GcpEncryptionKey',
    requirement: 'Cloud KMS key rotates at least every 90 days (rotation_period 7776000s)',
    relaxedBy: 'GcpEncryptionKey.rotationPeriodDays',
  },
  {
    ruleIds: ['CKV_GCP_82'],
    cloud: 'gcp',
    construct: 'GcpEncryptionKey',
    requirement: 'key ring and key are protected from deletion (lifecycle prevent_destroy)',
    relaxedBy: 'GcpEncryptionKey.retainData',
  },
  {
    ruleIds: ['CKV_GCP_5'],
    cloud: 'gcp',
    construct: 'GcpArtifactStore',
    requirement: 'bucket encrypts objects with the customer-managed key (encryption.default_kms_key_name)',
    relaxedBy: 'GcpArtifactStore.customerManagedKey',
  },
  {
    ruleIds: ['CKV_GCP_29'],
    cloud: 'gcp',
    construct: 'GcpArtifactStore',
    requirement: 'uniform bucket-level access: IAM only, no object ACLs',
    relaxedBy: 'GcpArtifactStore.uniformBucketLevelAccess',
  },
  {
    ruleIds: ['CKV_GCP_114'],
    cloud: 'gcp',
    construct: 'GcpArtifactStore',
    requirement: 'public access prevention enforced on the bucket',
    relaxedBy: 'GcpArtifactStore.enforcePublicAccessPrevention',
  },
  {
    ruleIds: ['CKV_GCP_78'],
    cloud: 'gcp',
    construct: 'GcpArtifactStore',
    requirement: 'object versioning enabled',
    relaxedBy: 'GcpArtifactStore.versioned',
  },
  {
    ruleIds: ['MLOPS_GCP_GCS_SOFT_DELETE'],
    cloud: 'gcp',
    construct: 'GcpArtifactStore',
    requirement: 'soft delete keeps deleted objects restorable for 7 days',
    relaxedBy: 'GcpArtifactStore.softDeleteRetentionDays',
  },
  {
    ruleIds: ['MLOPS_GCP_GCS_NONCURRENT_EXPIRY'],
    cloud: 'gcp',
    construct: 'GcpArtifactStore',
    requirement: 'lifecycle rule deletes noncurrent object versions 30 days after they become noncurrent',
    relaxedBy: 'GcpArtifactStore.noncurrentVersionRetentionDays',
  },
  {
    ruleIds: ['MLOPS_GCP_GCS_RETAIN'],
    cloud: 'gcp',
    construct: 'GcpArtifactStore',
    requirement: 'bucket kept on destroy (lifecycle prevent_destroy, no force_destroy)',
    relaxedBy: 'GcpArtifactStore.retainData',
  },
  {
    ruleIds: ['CKV_GCP_84'],
    cloud: 'gcp',
    construct: 'GcpImageRegistry',
    requirement: 'Artifact Registry repository encrypted with the customer-managed key (kms_key_name)',
    relaxedBy: 'GcpImageRegistry.customerManagedKey',
  },
  {
    ruleIds: ['MLOPS_GCP_AR_IMMUTABLE_TAGS'],
    cloud: 'gcp',
    construct: 'GcpImageRegistry',
    requirement: 'image tags are immutable',
    relaxedBy: 'GcpImageRegistry.immutableTags',
  },
  {
    ruleIds: ['MLOPS_GCP_AR_CLEANUP'],
    cloud: 'gcp',
    construct: 'GcpImageRegistry',
    requirement: 'cleanup policy deletes untagged images after 14 days (not a dry run)',
    relaxedBy: 'GcpImageRegistry.untaggedImageRetentionDays',
  },
  {
    ruleIds: ['MLOPS_GCP_AR_RETAIN'],
    cloud: 'gcp',
    construct: 'GcpImageRegistry',
    requirement: 'repository kept on destroy (lifecycle prevent_destroy)',
    relaxedBy: 'GcpImageRegistry.retainData',
  },
  {
    ruleIds: ['MLOPS_GCP_VERTEX_CMEK'],
    cloud: 'gcp',
    construct: 'GcpMlWorkspace',
    requirement: 'experiment-tracking TensorBoard encrypted with the customer-managed key (encryption_spec)',
    relaxedBy: 'GcpMlWorkspace.customerManagedKey',
  },
  {
    ruleIds: ['MLOPS_GCP_VERTEX_RETAIN'],
    cloud: 'gcp',
    construct: 'GcpMlWorkspace',
    requirement: 'experiment-tracking TensorBoard kept on destroy (lifecycle prevent_destroy)',
    relaxedBy: 'GcpMlWorkspace.retainData',
  },
  {
    ruleIds: ['CKV2_GCP_3'],
    cloud: 'gcp',
    construct: 'GcpWorkloadIdentity',
    requirement: 'dedicated service account with no user-managed keys (no google_service_account_key)',
    invariant:
      'Jobs use the service account through Vertex AI and CI through Workload Identity Federation, so the design has no use for a long-lived exported key and never creates one.',
  },
  {
    ruleIds: ['CKV_GCP_117', 'CKV_GCP_41', 'CKV_GCP_42', 'CKV_GCP_49'],
    cloud: 'gcp',
    construct: 'GcpWorkloadIdentity',
    requirement: 'no basic (owner/editor/viewer), admin or service-account impersonation roles at project level',
    invariant: 'Grants pick their roles from the fixed per-intent lists in perms.ts, which hold no basic, admin or impersonation role; a prop adding one would only widen access.',
  },
  {
    ruleIds: ['MLOPS_GCP_SCOPED_IAM'],
    cloud: 'gcp',
    construct: 'GcpMlPlatform',
    requirement:
      'grants are IAM members on the bucket, repository and key; project-level only for Vertex AI, logging and monitoring, which have no resource-level IAM, and the service-agent role of each agent the platform creates, to that agent',
    invariant:
      'A grant is a method of the resource it grants on (store.grantRead(identity)), so it is scoped to that resource by construction; there is no wider grant to switch to.',
  },
  {
    ruleIds: ['CKV_GCP_28', 'CKV_GCP_101'],
    cloud: 'gcp',
    construct: 'GcpMlPlatform',
    requirement: 'nothing granted to allUsers or allAuthenticatedUsers on the bucket or repository',
    invariant: 'Grants take a workload identity and allUsers/allAuthenticatedUsers are not one, so the platform has no way to make a store or registry public.',
  },
  {
    ruleIds: ['MLOPS_GCP_APIS'],
    cloud: 'gcp',
    construct: 'GcpProjectServices',
    requirement: 'required APIs enabled and never disabled on destroy (disable_on_destroy false); resources depend on their API',
    invariant:
      'APIs are project-wide and other workloads in the project may rely on them, so destroying the platform must not disable them; this is a safety property, not a trade-off to opt out of.',
  },
];
