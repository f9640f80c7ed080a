import { z } from 'zod';
import { ReleaseSpec, ReleaseSpecError, SpecIssue, TrainingSpec, parseTarget } from '../spec';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const PARTITION = 'aws(?:-cn|-us-gov|-iso[a-z-]*)?';
const KMS_KEY_ARN = new RegExp(`^arn:${PARTITION}:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$`);
const ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$`);
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** SageMaker's pattern for model package group names. */
const GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** SageMaker's pattern for training job names. */
const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** EC2 subnet and security group ids (SageMaker's VpcConfig patterns). */
const SUBNET_ID = /^subnet-[0-9a-z]+$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-z]+$/;
/** SageMaker's instance type pattern (`ml.<family>.<size>`). */
const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9-]+$/;

/**
 * The `aws` section of a release spec: where the training job runs and what
 * it uses, written by `AwsTrainingJob` (lib/deploy/aws). Every value is a
 * resolved Terraform attribute of the platform.
 */
export const AwsTargetSchema = z
  .object({
    /** The platform region (the SageMaker API endpoint). */
    region: z.string().regex(REGION, 'must be an AWS region code such as "eu-west-1"'),
    /** The workload identity the job runs as (CreateTrainingJob needs iam:PassRole on it). */
    roleArn: z.string().regex(ROLE_ARN, 'must be an IAM role ARN such as "arn:aws:iam::123456789012:role/name"'),
    /** The platform key: encrypts the model artifacts SageMaker writes to S3. */
    kmsKeyArn: z.string().regex(KMS_KEY_ARN, 'must be a KMS key ARN such as "arn:aws:kms:eu-west-1:123456789012:key/…"'),
    /** Encrypts the instances' EBS volumes; absent for instance types with NVMe instance storage (hardware-encrypted). */
    volumeKmsKeyArn: z.string().regex(KMS_KEY_ARN, 'must be a KMS key ARN').optional(),
    /** The model package group the trained model is registered in. */
    modelPackageGroupName: z.string().regex(GROUP_NAME, 'must be a SageMaker model package group name (letters, digits, hyphens; at most 63)'),
    /** The artifact bucket: the data and the model location must be in it. */
    bucket: z.string().regex(BUCKET, 'must be an S3 bucket name'),
    /** Where SageMaker puts the model: `<training.outputUri>/<training.jobName>/output/model.tar.gz` (the endpoint reads it). */
    modelUri: z.string().startsWith('s3://', 'must be an s3:// URI'),
    /** Size of each instance's EBS volume. */
    volumeSizeGb: z.number().int().min(1).max(16384),
    /**
     * The VPC the job's instances run in (private platforms): SageMaker's
     * `VpcConfig`, 1-16 subnets and 1-5 security groups.
     */
    vpc: z
      .object({
        subnetIds: z.array(z.string().regex(SUBNET_ID, 'must be a subnet id such as "subnet-0123456789abcdef0"')).min(1).max(16),
        securityGroupIds: z.array(z.string().regex(SECURITY_GROUP_ID, 'must be a security group id such as "sg-0123456789abcdef0"')).min(1).max(5),
      })
      .strict()
      .optional(),
    /** Managed spot training: how long SageMaker may wait for spot capacity and run, in total. */
    spot: z
      .object({ maxWaitSeconds: z.number().int().min(60) })
      .strict()
      .optional(),
  })
  .strict();

/** The validated `aws` section. */
export type AwsTarget = z.infer<typeof AwsTargetSchema>;

/** Where SageMaker writes the model of a job: `<outputUri>/<jobName>/output/model.tar.gz`. */
export function sageMakerModelUri(outputUri: string, jobName: string): string {
  return `${outputUri.replace(/\/+$/, '')}/${jobName}/output/model.tar.gz`;
}

/**
 * Parses the `aws` section and checks it against the training section (data
 * and model in the platform bucket, the model where SageMaker will put it);
 * throws {@link ReleaseSpecError} listing every problem.
 */
export function parseAwsTraining(spec: ReleaseSpec): { target: AwsTarget; training: TrainingSpec } {
  if (spec.kind !== 'training' || !spec.training) {
    throw new ReleaseSpecError([
      {
        code: 'RELEASE_SPEC_INVALID',
        path: 'kind',
        message: `is ${JSON.stringify(spec.kind)}: on AWS, Terraform rolls the endpoint out (aws_sagemaker_endpoint with a blue/green deployment_config); the release step only trains and registers the model (kind "training")`,
      },
    ]);
  }
  const target = parseTarget(AwsTargetSchema, spec);
  const training = spec.training;
  const issues: SpecIssue[] = [];
  const issue = (path: string, message: string): void => {
    issues.push({ code: 'RELEASE_SPEC_INVALID', path, message });
  };
  const inBucket = `s3://${target.bucket}/`;
  if (!JOB_NAME.test(training.jobName))
    issue('training.jobName', `${JSON.stringify(training.jobName)} is not a SageMaker training job name (letters, digits, hyphens; not ending with a hyphen)`);
  if (!training.dataUri.startsWith(inBucket)) issue('training.dataUri', `${JSON.stringify(training.dataUri)} must be in the platform bucket (start with ${inBucket})`);
  if (!training.outputUri.startsWith(inBucket)) issue('training.outputUri', `${JSON.stringify(training.outputUri)} must be in the platform bucket (start with ${inBucket})`);
  if (!INSTANCE_TYPE.test(training.instanceType))
    issue('training.instanceType', `${JSON.stringify(training.instanceType)} is not a SageMaker instance type (ml.<family>.<size>, e.g. ml.m5.xlarge)`);
  const expected = sageMakerModelUri(training.outputUri, training.jobName);
  if (target.modelUri !== expected)
    issue(
      'aws.modelUri',
      `is ${JSON.stringify(target.modelUri)}, but SageMaker will write the model to ${JSON.stringify(expected)}: the endpoint would read a model that never exists`,
    );
  if (target.spot && target.spot.maxWaitSeconds < training.maxRuntimeSeconds) {
    issue('aws.spot.maxWaitSeconds', `(${target.spot.maxWaitSeconds}) must be at least training.maxRuntimeSeconds (${training.maxRuntimeSeconds})`);
  }
  if (issues.length > 0) throw new ReleaseSpecError(issues);
  return { target, training };
}
