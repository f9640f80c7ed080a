import { SecurityDefault } from '../core/security-defaults';

/**
 * Every secure default the AWS platform applies, with the Checkov / cdk-nag
 * rule(s) it satisfies and either the one prop that relaxes it (`relaxedBy`)
 * or, for invariants of the design, why none does (`invariant`). `MLOPS_AWS_*`
 * ids are the library's own rules where no public rule exists. Each entry is
 * asserted on synthesized Terraform in `test/aws.test.ts`, and each relaxing
 * prop is shown to flip it.
 */
export const AWS_SECURITY_DEFAULTS: readonly SecurityDefault[] = [
  // Key management
  {
    ruleIds: ['CKV_AWS_7', 'AwsSolutions-KMS5'],
    cloud: 'aws',
    construct: 'AwsEncryptionKey',
    requirement: 'KMS key rotation enabled',
    relaxedBy: 'AwsEncryptionKey.enableKeyRotation',
  },
  {
    ruleIds: ['MLOPS_AWS_KMS_WINDOW'],
    cloud: 'aws',
    construct: 'AwsEncryptionKey',
    requirement: 'KMS key deletion window of 30 days',
    relaxedBy: 'AwsEncryptionKey.deletionWindowInDays',
  },
  {
    ruleIds: ['CKV2_AWS_64'],
    cloud: 'aws',
    construct: 'AwsEncryptionKey',
    requirement: 'explicit key policy: account root administers, CloudWatch Logs of the region may use it for this account only',
    invariant:
      "The key policy is the key's access boundary: without it KMS applies its implicit default, and the CloudWatch Logs statement is a service-principal trust scoped to this account's log groups; identities get key access through grants, not by widening the policy.",
  },
  {
    ruleIds: ['MLOPS_AWS_RETAIN_DATA'],
    cloud: 'aws',
    construct: 'AwsEncryptionKey',
    requirement: 'key kept on destroy (prevent_destroy)',
    relaxedBy: 'AwsEncryptionKey.retainData',
  },
  // Artifact storage
  {
    ruleIds: ['CKV2_AWS_6', 'CKV_AWS_53', 'CKV_AWS_54', 'CKV_AWS_55', 'CKV_AWS_56'],
    cloud: 'aws',
    construct: 'AwsArtifactStore',
    requirement: 'S3 public access block with all four flags on',
    relaxedBy: 'AwsArtifactStore.blockPublicAccess',
  },
  {
    ruleIds: ['CKV_AWS_145', 'CKV_AWS_19'],
    cloud: 'aws',
    construct: 'AwsArtifactStore',
    requirement: 'SSE-KMS with the customer-managed key, bucket key enabled',
    relaxedBy: 'AwsArtifactStore.customerManagedKey',
  },
  { ruleIds: ['CKV_AWS_21'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'S3 versioning enabled', relaxedBy: 'AwsArtifactStore.versioned' },
  { ruleIds: ['CKV2_AWS_65'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'ACLs disabled (BucketOwnerEnforced)', relaxedBy: 'AwsArtifactStore.objectOwnership' },
  {
    ruleIds: ['AwsSolutions-S10'],
    cloud: 'aws',
    construct: 'AwsArtifactStore',
    requirement: 'bucket policy denies requests without TLS (aws:SecureTransport false)',
    relaxedBy: 'AwsArtifactStore.enforceSsl',
  },
  {
    ruleIds: ['MLOPS_AWS_S3_TLS12'],
    cloud: 'aws',
    construct: 'AwsArtifactStore',
    requirement: 'bucket policy denies TLS below 1.2 (s3:TlsVersion)',
    relaxedBy: 'AwsArtifactStore.minimumTlsVersion',
  },
  {
    ruleIds: ['CKV2_AWS_61', 'CKV_AWS_300'],
    cloud: 'aws',
    construct: 'AwsArtifactStore',
    requirement: 'lifecycle expires non-current versions and aborts incomplete multipart uploads',
    relaxedBy: 'AwsArtifactStore.lifecycleRules',
  },
  {
    ruleIds: ['MLOPS_AWS_NO_PUBLIC_NETWORK'],
    cloud: 'aws',
    construct: 'AwsArtifactStore',
    requirement: 'bucket policy denies object access outside allowedIpRanges (and the S3 endpoint of a private network) except granted identities, deployers and AWS services',
    relaxedBy: 'AwsArtifactStore.publicNetworkAccess',
  },
  {
    ruleIds: ['MLOPS_AWS_RETAIN_DATA'],
    cloud: 'aws',
    construct: 'AwsArtifactStore',
    requirement: 'bucket kept on destroy (prevent_destroy, no force_destroy)',
    relaxedBy: 'AwsArtifactStore.retainData',
  },
  // Image registry
  { ruleIds: ['CKV_AWS_163'], cloud: 'aws', construct: 'AwsImageRegistry', requirement: 'ECR image scan on push', relaxedBy: 'AwsImageRegistry.scanOnPush' },
  { ruleIds: ['CKV_AWS_51'], cloud: 'aws', construct: 'AwsImageRegistry', requirement: 'ECR image tags immutable', relaxedBy: 'AwsImageRegistry.immutableTags' },
  {
    ruleIds: ['CKV_AWS_136'],
    cloud: 'aws',
    construct: 'AwsImageRegistry',
    requirement: 'ECR encrypted with the customer-managed key',
    relaxedBy: 'AwsImageRegistry.customerManagedKey',
  },
  {
    ruleIds: ['MLOPS_AWS_ECR_LIFECYCLE'],
    cloud: 'aws',
    construct: 'AwsImageRegistry',
    requirement: 'ECR lifecycle policy expires untagged images',
    relaxedBy: 'AwsImageRegistry.lifecycleRules',
  },
  {
    ruleIds: ['MLOPS_AWS_RETAIN_DATA'],
    cloud: 'aws',
    construct: 'AwsImageRegistry',
    requirement: 'repository kept on destroy (prevent_destroy, no force_delete)',
    relaxedBy: 'AwsImageRegistry.retainData',
  },
  // Model registry
  {
    ruleIds: ['MLOPS_AWS_RETAIN_DATA'],
    cloud: 'aws',
    construct: 'AwsModelRegistry',
    requirement: 'model package group kept on destroy (prevent_destroy)',
    relaxedBy: 'AwsModelRegistry.retainData',
  },
  // Workspace / monitoring
  {
    ruleIds: ['CKV_AWS_158'],
    cloud: 'aws',
    construct: 'AwsMlWorkspace',
    requirement: 'log group encrypted with the customer-managed key',
    relaxedBy: 'AwsMlWorkspace.customerManagedKey',
  },
  { ruleIds: ['CKV_AWS_338'], cloud: 'aws', construct: 'AwsMlWorkspace', requirement: 'log group retention of at least 365 days', relaxedBy: 'AwsMlWorkspace.logRetentionDays' },
  {
    ruleIds: ['MLOPS_AWS_RETAIN_DATA'],
    cloud: 'aws',
    construct: 'AwsMlWorkspace',
    requirement: 'log group kept on destroy (prevent_destroy)',
    relaxedBy: 'AwsMlWorkspace.retainData',
  },
  // Workload identity
  {
    ruleIds: ['AwsSolutions-IAM4', 'CKV_AWS_274'],
    cloud: 'aws',
    construct: 'AwsWorkloadIdentity',
    requirement: 'no AWS managed policies (no *FullAccess) attached to the role',
    invariant:
      "The role's permissions are exactly the grants made to it, accumulated in one inline policy; there is no API to attach a managed policy, so there is nothing to relax.",
  },
  {
    ruleIds: ['CKV_AWS_62', 'CKV_AWS_63', 'AwsSolutions-IAM5'],
    cloud: 'aws',
    construct: 'AwsWorkloadIdentity',
    requirement: 'no wildcard actions in the role policy',
    invariant: 'addToPolicy refuses "*" and "<service>:*" for every statement: grants name their actions from perms.ts, so a wildcard is a bug, not a setting.',
  },
  {
    ruleIds: ['CKV_AWS_355', 'AwsSolutions-IAM5'],
    cloud: 'aws',
    construct: 'AwsWorkloadIdentity',
    requirement: 'Resource "*" only for actions without resource-level permissions',
    invariant:
      'addToPolicy accepts Resource "*" only for the actions in UNSCOPED_ACTIONS, which AWS cannot scope; every other grant names its ARNs, so there is no setting to widen.',
  },
  {
    ruleIds: ['MLOPS_AWS_CONFUSED_DEPUTY'],
    cloud: 'aws',
    construct: 'AwsWorkloadIdentity',
    requirement: 'role assumable only by SageMaker for this account (aws:SourceAccount)',
    invariant:
      'The trust policy is part of what the identity is (the SageMaker workload role of this account); dropping aws:SourceAccount would only open it to SageMaker acting for other accounts (confused deputy).',
  },
];
