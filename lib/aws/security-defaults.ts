import { SecurityDefault } from '../core/security-defaults';

/**
 * Every secure default the AWS platform applies, with the Checkov / cdk-nag
 * rule(s) it satisfies and the one prop that relaxes it. `MLOPS-*` ids are the
 * library's own rules where no public rule exists. Each entry is asserted on
 * synthesized Terraform in `test/aws.test.ts`.
 */
export const AWS_SECURITY_DEFAULTS: readonly SecurityDefault[] = [
  // Key management
  { ruleIds: ['CKV_AWS_7', 'AwsSolutions-KMS5'], cloud: 'aws', construct: 'AwsEncryptionKey', requirement: 'KMS key rotation enabled', relaxedBy: 'AwsEncryptionKey.enableKeyRotation' },
  { ruleIds: ['MLOPS-AWS-KMS-WINDOW'], cloud: 'aws', construct: 'AwsEncryptionKey', requirement: 'KMS key deletion window of 30 days', relaxedBy: 'AwsEncryptionKey.deletionWindowInDays' },
  { ruleIds: ['CKV2_AWS_64'], cloud: 'aws', construct: 'AwsEncryptionKey', requirement: 'explicit key policy: account root administers, CloudWatch Logs of the region may use it for this account only' },
  { ruleIds: ['MLOPS-RETAIN-DATA'], cloud: 'aws', construct: 'AwsEncryptionKey', requirement: 'key kept on destroy (prevent_destroy)', relaxedBy: 'AwsEncryptionKey.retainData' },
  // Artifact storage
  { ruleIds: ['CKV2_AWS_6', 'CKV_AWS_53', 'CKV_AWS_54', 'CKV_AWS_55', 'CKV_AWS_56'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'S3 public access block with all four flags on' },
  { ruleIds: ['CKV_AWS_145', 'CKV_AWS_19'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'SSE-KMS with the customer-managed key, bucket key enabled' },
  { ruleIds: ['CKV_AWS_21'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'S3 versioning enabled', relaxedBy: 'AwsArtifactStore.versioned' },
  { ruleIds: ['CKV2_AWS_65'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'ACLs disabled (BucketOwnerEnforced)' },
  { ruleIds: ['AwsSolutions-S10'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'bucket policy denies requests without TLS (aws:SecureTransport false)' },
  { ruleIds: ['MLOPS-AWS-S3-TLS12'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'bucket policy denies TLS below 1.2 (s3:TlsVersion)' },
  { ruleIds: ['CKV2_AWS_61', 'CKV_AWS_300'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'lifecycle expires non-current versions and aborts incomplete multipart uploads' },
  { ruleIds: ['MLOPS-NO-PUBLIC-NETWORK'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'bucket policy denies object access outside allowedIpRanges except granted identities and AWS services', relaxedBy: 'AwsArtifactStore.publicNetworkAccess' },
  { ruleIds: ['MLOPS-RETAIN-DATA'], cloud: 'aws', construct: 'AwsArtifactStore', requirement: 'bucket kept on destroy (prevent_destroy, no force_destroy)', relaxedBy: 'AwsArtifactStore.retainData' },
  // Image registry
  { ruleIds: ['CKV_AWS_163'], cloud: 'aws', construct: 'AwsImageRegistry', requirement: 'ECR image scan on push' },
  { ruleIds: ['CKV_AWS_51'], cloud: 'aws', construct: 'AwsImageRegistry', requirement: 'ECR image tags immutable', relaxedBy: 'AwsImageRegistry.immutableTags' },
  { ruleIds: ['CKV_AWS_136'], cloud: 'aws', construct: 'AwsImageRegistry', requirement: 'ECR encrypted with the customer-managed key' },
  { ruleIds: ['MLOPS-AWS-ECR-LIFECYCLE'], cloud: 'aws', construct: 'AwsImageRegistry', requirement: 'ECR lifecycle policy expires untagged images' },
  { ruleIds: ['MLOPS-RETAIN-DATA'], cloud: 'aws', construct: 'AwsImageRegistry', requirement: 'repository kept on destroy (prevent_destroy, no force_delete)', relaxedBy: 'AwsImageRegistry.retainData' },
  // Model registry
  { ruleIds: ['MLOPS-RETAIN-DATA'], cloud: 'aws', construct: 'AwsModelRegistry', requirement: 'model package group kept on destroy (prevent_destroy)', relaxedBy: 'AwsModelRegistry.retainData' },
  // Workspace / monitoring
  { ruleIds: ['CKV_AWS_158'], cloud: 'aws', construct: 'AwsMlWorkspace', requirement: 'log group encrypted with the customer-managed key' },
  { ruleIds: ['CKV_AWS_338'], cloud: 'aws', construct: 'AwsMlWorkspace', requirement: 'log group retention of at least 365 days', relaxedBy: 'AwsMlWorkspace.logRetentionDays' },
  { ruleIds: ['MLOPS-RETAIN-DATA'], cloud: 'aws', construct: 'AwsMlWorkspace', requirement: 'log group kept on destroy (prevent_destroy)', relaxedBy: 'AwsMlWorkspace.retainData' },
  // Workload identity
  { ruleIds: ['AwsSolutions-IAM4', 'CKV_AWS_274'], cloud: 'aws', construct: 'AwsWorkloadIdentity', requirement: 'no AWS managed policies (no *FullAccess) attached to the role' },
  { ruleIds: ['CKV_AWS_62', 'CKV_AWS_63', 'AwsSolutions-IAM5'], cloud: 'aws', construct: 'AwsWorkloadIdentity', requirement: 'no wildcard actions in the role policy' },
  { ruleIds: ['CKV_AWS_355', 'AwsSolutions-IAM5'], cloud: 'aws', construct: 'AwsWorkloadIdentity', requirement: 'Resource "*" only for actions without resource-level permissions' },
  { ruleIds: ['MLOPS-AWS-CONFUSED-DEPUTY'], cloud: 'aws', construct: 'AwsWorkloadIdentity', requirement: 'role assumable only by SageMaker for this account (aws:SourceAccount)' },
];
