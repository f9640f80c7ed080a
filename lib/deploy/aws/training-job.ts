import { ITerraformDependable, Token, dependable } from 'cdktf';
import { Construct } from 'constructs';
import { ErrorCode, IssueCollector, messages } from '../../core/errors';
import { ITrainingJob, TrainingJobProps } from '../contracts';
import { ReleaseStep } from '../release-step';
import { releaseRevision } from '../revision';
import { AWS_RELEASE_NAME, AWS_REVISION_SUFFIX_LENGTH, AWS_SAGEMAKER_NAME_MAX, awsHasInstanceStorage, awsPlatformOf, checkAwsInstanceType, revisionName } from './common';
import { PropChecks } from '../../core/validate';
import { checkRuntimeImage } from '../settings';
import { RELEASE_SPEC_VERSION } from '../../core/release';
import { SETTING_DEFAULTS, SETTING_RANGES } from '../../core/settings';

/** SageMaker's limit on a training job's run time (28 days), in minutes. */
const MAX_RUNTIME_MINUTES = 28 * 24 * 60;
/** SageMaker's limits on hyperparameters: 100 of them, keys up to 256 and values up to 2500 characters. */
const MAX_HYPERPARAMETERS = 100;
const MAX_HYPERPARAMETER_KEY = 256;
const MAX_HYPERPARAMETER_VALUE = 2500;
/** Where in the artifact store trained models go: `models/<release name>/<job name>/output/model.tar.gz`. */
const MODEL_PREFIX = 'models';
const DATA_PATH = /^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/;

/** Props of {@link AwsTrainingJob}: the neutral props plus what only SageMaker has. */
export interface AwsTrainingJobProps extends TrainingJobProps {
  /**
   * Size of each training instance's EBS volume in GB (ignored by instance
   * types with NVMe instance storage, which use that instead).
   * @default 30
   */
  readonly volumeSizeGb?: number;
}

/**
 * A SageMaker training job of the runtime image, run by the release step
 * (`mlops release apply`) during `cdktf deploy`, and the model package it
 * registers in the platform's model package group.
 *
 * The job reads `data` from the artifact store through its `train` channel,
 * writes `s3://<bucket>/models/<name>/<jobName>/output/model.tar.gz`
 * (KMS-encrypted with the platform key), runs with network isolation and
 * encrypted inter-container traffic (and, on a private platform, in the VPC's
 * subnets with its security group, after the VPC endpoints exist), as the
 * platform's workload identity —
 * which can read the data, write models and pull the image, and nothing else
 * this construct adds. Its name is `<name>-<revision>`; the revision changes
 * exactly when the image content or the job config changes, and so re-runs
 * the step (a new job and model version).
 */
export class AwsTrainingJob extends Construct implements ITrainingJob {
  /** The cloud this job runs on. */
  public readonly cloud = 'aws' as const;
  /** The release name (`props.name`): names the endpoint by default. */
  public readonly releaseName: string;
  /** `<name>-<revision>`: the SageMaker training job name. */
  public readonly jobName: string;
  /** The registered model's name. */
  public readonly modelName: string;
  /** The release revision: the registered model package carries it as `mlops:revision`. */
  public readonly modelVersion: string;
  /** `s3://<bucket>/models/<name>/<jobName>/output/model.tar.gz`: where SageMaker puts the model. */
  public readonly modelUri: string;
  /** 12 hex: changes exactly when the image content or the job config changes. */
  public readonly revision: string;
  /** The release step; what depends on the trained, registered model. */
  public readonly trained: ITerraformDependable;
  /** `s3://<bucket>/<data>`: the `train` channel. */
  public readonly dataUri: string;
  /** `s3://<bucket>/models/<name>`: the job's output path. */
  public readonly outputUri: string;
  /** The SageMaker instance type the job runs on. */
  public readonly instanceType: string;
  /** The release step (`terraform_data` running `mlops release apply|destroy`). */
  public readonly releaseStep: ReleaseStep;

  constructor(scope: Construct, id: string, props: AwsTrainingJobProps) {
    super(scope, id);
    const where = this.node.path;
    const C = 'AwsTrainingJob';
    const issues = new IssueCollector();
    const invalid = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, prop, value, accepted));

    const platform = awsPlatformOf(new PropChecks(issues, C, where), props.platform);
    checkRuntimeImage(new PropChecks(issues, C, where), props.image);
    const maxName = AWS_SAGEMAKER_NAME_MAX - AWS_REVISION_SUFFIX_LENGTH;
    if (
      new PropChecks(issues, C, where).known(
        'name',
        props.name,
        'lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, e.g. "contoso-mlops-dev-bike-demand"',
        AWS_RELEASE_NAME,
      )
    ) {
      if (props.name.length > maxName) {
        invalid(
          'name',
          props.name,
          `at most ${maxName} characters: the SageMaker job name "<name>-<12-hex revision>" must fit ${AWS_SAGEMAKER_NAME_MAX} (this one is ${props.name.length + AWS_REVISION_SUFFIX_LENGTH}); shorten the company, project, environment or model name`,
        );
      }
    }
    new PropChecks(issues, C, where).known(
      'modelName',
      props.modelName,
      'lowercase letters, digits and hyphens (at most 63), starting with a letter, e.g. "bike-demand"',
      /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    );
    if (
      new PropChecks(issues, C, where).known(
        'data',
        props.data,
        'a path relative to the artifact store root of letters, digits, _ . / = -, e.g. "datasets/bike/hour.csv"',
        DATA_PATH,
      )
    ) {
      if (props.data.split('/').includes('..')) invalid('data', props.data, 'a path inside the artifact store (no ".." segments)');
    }
    const hyperparameters = stringHyperparameters(props.hyperparameters, invalid);
    const maxNodes = platform?.trainingCompute.maxNodes ?? SETTING_RANGES.training.maxNodes.max;
    const count = props.instanceCount;
    if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > maxNodes)) {
      invalid('instanceCount', count, `an integer from 1 to ${maxNodes} (the platform's training.maxNodes)`);
    }
    new PropChecks(issues, C, where).int('maxRuntimeMinutes', props.maxRuntimeMinutes, 1, MAX_RUNTIME_MINUTES);
    new PropChecks(issues, C, where).int('volumeSizeGb', props.volumeSizeGb, 1, 16384);
    const size = props.size ?? platform?.trainingCompute.size;
    const instanceType = size?.machineFor('aws').instanceType ?? '';
    if (platform) checkAwsInstanceType(new PropChecks(issues, C, where), 'size', instanceType);
    const spot = platform?.trainingCompute.lowPriority ?? false;
    const maxRuntimeSeconds = (props.maxRuntimeMinutes ?? SETTING_DEFAULTS.job.maxRuntimeMinutes) * 60;
    if (spot && typeof props.maxRuntimeMinutes === 'number' && props.maxRuntimeMinutes > MAX_RUNTIME_MINUTES / 2) {
      invalid(
        'maxRuntimeMinutes',
        props.maxRuntimeMinutes,
        `at most ${MAX_RUNTIME_MINUTES / 2} with spot training (the platform's training.lowPriority): SageMaker waits up to twice the run time for spot capacity, at most 28 days`,
      );
    }
    issues.throwIfAny(`Invalid ${C} props:`);
    const aws = platform!;

    const instanceCount = props.instanceCount ?? SETTING_DEFAULTS.job.instanceCount;
    const volumeSizeGb = props.volumeSizeGb ?? 30;
    this.releaseName = props.name;
    this.modelName = props.modelName;
    this.instanceType = instanceType;
    // Only synth-time values: the revision names the job and the model location.
    this.revision = releaseRevision(props.image.contentHash, {
      cloud: 'aws',
      kind: 'training',
      name: props.name,
      modelName: props.modelName,
      data: props.data,
      hyperparameters,
      instanceType,
      instanceCount,
      maxRuntimeSeconds,
      spot,
      volumeSizeGb,
      dataVersion: props.dataVersion,
    });
    this.modelVersion = this.revision;
    this.jobName = revisionName(props.name, this.revision);
    const bucket = aws.artifactStore.bucketName;
    this.dataUri = `s3://${bucket}/${props.data}`;
    this.outputUri = `s3://${bucket}/${MODEL_PREFIX}/${props.name}`;
    this.modelUri = `${this.outputUri}/${this.jobName}/output/model.tar.gz`;

    // The job reads the data and writes the model (artifact store), pulls the
    // image (registry). The platform grants exactly these already; granting
    // them here keeps the job correct on a platform composed by hand, and the
    // identity merges equal statements, so nothing is duplicated or widened.
    aws.artifactStore.grantReadWrite(aws.identity);
    aws.imageRegistry.grantPull(aws.identity);

    const kmsKeyArn = aws.encryptionKey.keyArn;
    const target: Record<string, unknown> = {
      region: aws.workspace.region,
      roleArn: aws.identity.roleArn,
      kmsKeyArn,
      modelPackageGroupName: aws.modelRegistry.registryName,
      bucket,
      modelUri: this.modelUri,
      volumeSizeGb,
    };
    // Instance types with NVMe instance storage encrypt it in hardware; SageMaker refuses a volume key for them.
    if (!awsHasInstanceStorage(instanceType)) target.volumeKmsKeyArn = kmsKeyArn;
    if (spot) target.spot = { maxWaitSeconds: 2 * maxRuntimeSeconds };
    // Private platforms: the job's instances get their network interfaces in the
    // VPC's subnets (VpcConfig); SageMaker reads the data and the image and writes
    // the model through the VPC endpoints, and the container stays isolated.
    const vpc = aws.network.vpc;
    if (vpc) target.vpc = { subnetIds: [...vpc.subnetIds], securityGroupIds: [vpc.securityGroupId] };

    this.releaseStep = new ReleaseStep(this, 'Release', {
      spec: {
        specVersion: RELEASE_SPEC_VERSION,
        kind: 'training',
        cloud: 'aws',
        name: props.name,
        modelName: props.modelName,
        revision: this.revision,
        image: props.image.imageUriByDigest,
        training: {
          jobName: this.jobName,
          dataUri: this.dataUri,
          outputUri: this.outputUri,
          hyperparameters,
          instanceType,
          instanceCount,
          maxRuntimeSeconds,
        },
        aws: target,
      },
      triggers: { image_digest: props.image.imageDigest, revision: this.revision },
    });
    // The job runs as the identity: its grants must be in place first.
    const step = this.releaseStep.resource;
    step.dependsOn = [
      ...(step.dependsOn ?? []),
      ...aws.identity.dependencyAddresses,
      ...(vpc?.ready ?? []).map((d) => dependable(d)),
      ...(props.dependsOn ?? []).map((d) => dependable(d)),
    ];
    this.trained = step;
  }
}

/** The hyperparameters as SageMaker delivers them (strings), checked against SageMaker's limits. */
function stringHyperparameters(input: TrainingJobProps['hyperparameters'], invalid: (prop: string, value: unknown, accepted: string) => void): Record<string, string> {
  const out: Record<string, string> = {};
  if (input === undefined) return out;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    invalid('hyperparameters', input, 'a map of names to strings, numbers or booleans');
    return out;
  }
  const entries = Object.entries(input);
  if (entries.length > MAX_HYPERPARAMETERS) invalid('hyperparameters', `${entries.length} entries`, `at most ${MAX_HYPERPARAMETERS} entries (SageMaker's limit)`);
  for (const [key, value] of entries) {
    const prop = `hyperparameters.${key}`;
    if (key.length === 0 || key.length > MAX_HYPERPARAMETER_KEY) {
      invalid('hyperparameters', key, `names of 1 to ${MAX_HYPERPARAMETER_KEY} characters`);
      continue;
    }
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'boolean') text = String(value);
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else {
      invalid(prop, value, 'a string, a finite number or a boolean');
      continue;
    }
    if (Token.isUnresolved(text)) {
      invalid(prop, '(a token)', 'a value known at synth: hyperparameters are part of the release revision');
      continue;
    }
    if (text.length > MAX_HYPERPARAMETER_VALUE) {
      invalid(prop, text, `at most ${MAX_HYPERPARAMETER_VALUE} characters (SageMaker's limit)`);
      continue;
    }
    out[key] = text;
  }
  return out;
}
