import { createAwsDriver, PACKAGE_METADATA, RELEASE_INSTANCE_ENV, RETRY_FAILED_ENV, SAGEMAKER_ENDPOINT_ENV, specHash } from '../src/aws';
import { runRelease } from '../src/cli';
import { ReleaseContext, ReleaseDriver, ReleaseError } from '../src/driver';
import { ReleaseSpec, ReleaseSpecError, parseSpec } from '../src/spec';
import { FakeSageMaker } from './fixtures/aws/fake-sagemaker';

const RELEASE = 'contoso-mlops-dev-bike-demand';
const ROLE = 'arn:aws:iam::123456789012:role/contoso-mlops-dev-sagemaker';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0b5f7a34-1111-2222-3333-444455556666';
const GROUP = 'contoso-mlops-dev-models';
const BUCKET = 'contoso-mlops-dev-artifacts';
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/contoso-mlops-dev-runtime@sha256:${'ab'.repeat(32)}`;
const OUTPUT = `s3://${BUCKET}/models/${RELEASE}`;
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/** A training spec as the stack writes it, with Terraform's values resolved. */
function specJson(revision = 'a1b2c3d4e5f6', image = IMAGE): Record<string, any> {
  const jobName = `${RELEASE}-${revision}`;
  return {
    specVersion: 1,
    kind: 'training',
    cloud: 'aws',
    name: RELEASE,
    modelName: 'bike-demand',
    revision,
    image,
    training: {
      jobName,
      dataUri: `s3://${BUCKET}/datasets/bike/hour.csv`,
      outputUri: OUTPUT,
      hyperparameters: { target: 'cnt', max_iter: '200' },
      instanceType: 'ml.m5.xlarge',
      instanceCount: 1,
      maxRuntimeSeconds: 7200,
    },
    aws: {
      region: 'eu-west-1',
      roleArn: ROLE,
      kmsKeyArn: KEY,
      volumeKmsKeyArn: KEY,
      modelPackageGroupName: GROUP,
      bucket: BUCKET,
      modelUri: `${OUTPUT}/${jobName}/output/model.tar.gz`,
      volumeSizeGb: 30,
    },
  };
}

function spec(revision?: string, image?: string): ReleaseSpec {
  return parseSpec(specJson(revision, image));
}

/** One clock for a test: sleeping advances it, so each apply is later than the one before. */
class Clock {
  ms = 1_750_000_000_000;
  readonly sleeps: number[] = [];
  readonly logs: string[] = [];

  context(env: NodeJS.ProcessEnv = {}): ReleaseContext {
    return {
      env,
      log: { info: (m) => this.logs.push(m), warn: (m) => this.logs.push(`warning: ${m}`) },
      sleep: async (ms) => {
        this.sleeps.push(ms);
        this.ms += ms;
      },
      now: () => this.ms,
    };
  }
}

let fake: FakeSageMaker;
let driver: ReleaseDriver;
let clock: Clock;

beforeEach(async () => {
  fake = await new FakeSageMaker().start();
  driver = createAwsDriver({ clientConfig: { endpoint: fake.url, credentials: CREDENTIALS, maxAttempts: 3 } });
  clock = new Clock();
});

afterEach(async () => {
  await fake.close();
});

async function failure(promise: Promise<unknown>): Promise<ReleaseError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ReleaseError) return err;
    throw err;
  }
  throw new Error('expected the release to fail');
}

const JOB_POLLS = ['DescribeTrainingJob', 'DescribeTrainingJob', 'DescribeTrainingJob', 'DescribeTrainingJob', 'DescribeTrainingJob'];

describe('apply: train, then register', () => {
  test('creates the job, polls it to Completed, registers the model: exact operations and bodies', async () => {
    const s = spec();
    const report = await driver.apply(s, clock.context());

    expect(fake.operations).toEqual([
      'DescribeTrainingJob', // not found
      'CreateTrainingJob',
      ...JOB_POLLS, // Starting, Downloading, Training, Uploading, Completed
      'ListModelPackages',
      'CreateModelPackage',
      'DescribeModelPackage', // InProgress
      'DescribeModelPackage', // Completed
    ]);
    for (const r of fake.requests) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/');
      expect(r.target).toBe(`SageMaker.${r.operation}`);
      expect(r.headers['content-type']).toBe('application/x-amz-json-1.1');
      expect(String(r.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/sagemaker\/aws4_request, /);
    }
    expect(fake.bodies('CreateTrainingJob')).toEqual([
      {
        TrainingJobName: s.training!.jobName,
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
        RoleArn: ROLE,
        InputDataConfig: [
          {
            ChannelName: 'train',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/datasets/bike/hour.csv`, S3DataDistributionType: 'FullyReplicated' } },
            ContentType: 'text/csv',
            InputMode: 'File',
          },
        ],
        OutputDataConfig: { S3OutputPath: OUTPUT, KmsKeyId: KEY },
        ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30, VolumeKmsKeyId: KEY },
        StoppingCondition: { MaxRuntimeInSeconds: 7200 },
        HyperParameters: { target: 'cnt', max_iter: '200' },
        Environment: { MLOPS_TRAINING_CONTRACT: 'sagemaker' },
        EnableNetworkIsolation: true,
        EnableInterContainerTrafficEncryption: true,
        Tags: [
          { Key: 'mlops-release', Value: RELEASE },
          { Key: 'mlops-revision', Value: 'a1b2c3d4e5f6' },
          { Key: 'mlops-model', Value: 'bike-demand' },
        ],
      },
    ]);
    expect(fake.bodies('ListModelPackages')).toEqual([
      { ModelPackageGroupName: GROUP, ModelPackageType: 'Versioned', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100 },
    ]);
    expect(fake.bodies('CreateModelPackage')).toEqual([
      {
        ClientToken: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/), // the SDK's idempotency token
        ModelPackageGroupName: GROUP,
        ModelPackageDescription: `cdktf-mlops release ${RELEASE} revision a1b2c3d4e5f6: model bike-demand trained by ${s.training!.jobName}`,
        InferenceSpecification: {
          Containers: [{ Image: IMAGE, ModelDataUrl: s.aws!.modelUri, Environment: { MLOPS_MODEL_NAME: 'bike-demand', MLOPS_MODEL_VERSION: 'a1b2c3d4e5f6' } }],
          SupportedContentTypes: ['text/csv', 'application/json'],
          SupportedResponseMIMETypes: ['application/json', 'text/csv'],
        },
        ModelApprovalStatus: 'Approved',
        CustomerMetadataProperties: {
          'mlops:release': RELEASE,
          'mlops:revision': 'a1b2c3d4e5f6',
          'mlops:model': 'bike-demand',
          'mlops:training-job': s.training!.jobName,
          'mlops:applied-spec': specHash(s),
          'mlops:applied-at': String(1_750_000_000_000 + 4 * 30000), // after four polls
        },
        Tags: [
          { Key: 'mlops-release', Value: RELEASE },
          { Key: 'mlops-revision', Value: 'a1b2c3d4e5f6' },
          { Key: 'mlops-model', Value: 'bike-demand' },
        ],
      },
    ]);

    // Waits through the context: one 30 s poll interval per unfinished describe, 5 s for the package.
    expect(clock.sleeps).toEqual([30000, 30000, 30000, 30000, 5000]);
    // Each secondary status transition is logged once.
    for (const status of ['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']) {
      expect(clock.logs.filter((l) => l.startsWith(`training job ${s.training!.jobName}: ${status}`))).toHaveLength(1);
    }
    expect(report.actions).toEqual([
      { action: 'created', what: 'training job', id: s.training!.jobName, detail: '1 × ml.m5.xlarge' },
      { action: 'created', what: 'model version', id: `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${GROUP}/1`, detail: `${GROUP} v1, revision a1b2c3d4e5f6` },
    ]);
    expect(report.outputs).toEqual({
      trainingJobName: s.training!.jobName,
      trainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${s.training!.jobName}`,
      modelDataUrl: s.aws!.modelUri,
      modelPackageArn: `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${GROUP}/1`,
      modelPackageVersion: '1',
      modelVersion: 'a1b2c3d4e5f6',
    });
  });

  test('a second apply of the same spec changes nothing and says so', async () => {
    const s = spec();
    await driver.apply(s, clock.context());
    fake.clearRequests();
    const report = await driver.apply(s, clock.context());
    expect(fake.operations).toEqual(['DescribeTrainingJob', 'ListModelPackages', 'DescribeModelPackage']);
    expect(report.actions.map((a) => [a.action, a.what])).toEqual([
      ['unchanged', 'training job'],
      ['unchanged', 'model version'],
    ]);
    expect(fake.packages).toHaveLength(1);
  });

  test('a job already running (an interrupted deploy) is waited for, not created again', async () => {
    const s = spec();
    fake.seedJob(s.training!.jobName, 'InProgress', OUTPUT);
    const report = await driver.apply(s, clock.context());
    expect(fake.operations.filter((o) => o === 'CreateTrainingJob')).toEqual([]);
    expect(report.actions[0]).toEqual({ action: 'waited', what: 'training job', id: s.training!.jobName, detail: 'Completed' });
    expect(report.actions[1]!.action).toBe('created');
  });

  test("a failed job: ReleaseError with SageMaker's failure reason, nothing registered", async () => {
    fake.nextOutcome = { status: 'Failed', failureReason: 'AlgorithmError: [MISSING_TARGET] set target (exit code 1)' };
    const err = await failure(driver.apply(spec(), clock.context()));
    expect(err.code).toBe('TRAINING_FAILED');
    expect(err.message).toContain(`training job ${RELEASE}-a1b2c3d4e5f6 failed: AlgorithmError: [MISSING_TARGET] set target (exit code 1)`);
    expect(err.message).toContain('/aws/sagemaker/TrainingJobs');
    expect(fake.operations).not.toContain('CreateModelPackage');
  });

  test('the failed job of this revision stays failed until retried explicitly', async () => {
    const s = spec();
    fake.seedJob(s.training!.jobName, 'Failed', OUTPUT, 'ClientError: Data download failed');
    const err = await failure(driver.apply(s, clock.context()));
    expect(err.code).toBe('TRAINING_FAILED');
    expect(err.message).toContain('ClientError: Data download failed');
    expect(err.message).toContain(`${RETRY_FAILED_ENV}=1`);
    expect(fake.operations).toEqual(['DescribeTrainingJob']);

    fake.clearRequests();
    const report = await driver.apply(s, clock.context({ [RETRY_FAILED_ENV]: '1' }));
    expect(fake.operations.slice(0, 4)).toEqual(['DescribeTrainingJob', 'DeleteTrainingJob', 'DescribeTrainingJob', 'CreateTrainingJob']);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['deleted training job', 'created training job', 'created model version']);
  });

  test("retries 500 and 429 with backoff (the SDK's standard retry), then succeeds", async () => {
    fake.failures.CreateTrainingJob = [
      { status: 500, type: 'InternalFailure', message: 'We encountered an internal error.' },
      { status: 429, type: 'ThrottlingException', message: 'Rate exceeded' },
    ];
    const report = await driver.apply(spec(), clock.context());
    const creates = fake.requests.filter((r) => r.operation === 'CreateTrainingJob');
    expect(creates).toHaveLength(3);
    expect(creates.map((r) => String(r.headers['amz-sdk-request']))).toEqual(['attempt=1; max=3', 'attempt=2; max=3', 'attempt=3; max=3']);
    expect(new Set(creates.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(report.actions[0]!.action).toBe('created');
  });

  test('a retried create whose first attempt went through: the job is found and waited for, not failed', async () => {
    fake.failuresAfter.CreateTrainingJob = [{ status: 500, type: 'InternalFailure', message: 'We encountered an internal error.' }];
    fake.failuresAfter.CreateModelPackage = [{ status: 503, type: 'ServiceUnavailable', message: 'Service is unavailable' }];
    const report = await driver.apply(spec(), clock.context());
    expect(fake.operations.slice(0, 4)).toEqual(['DescribeTrainingJob', 'CreateTrainingJob', 'CreateTrainingJob', 'DescribeTrainingJob']);
    expect(clock.logs).toContain(`warning: training job ${RELEASE}-a1b2c3d4e5f6 exists already (an earlier attempt of the request created it): waiting for it`);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['created training job', 'created model version']);
    // CreateModelPackage carries the SDK's idempotency token: the retry repeats it.
    const tokens = fake.bodies('CreateModelPackage').map((b) => b.ClientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBe(tokens[0]);
  });

  test('a job that outlives its budget (run time + 2 h): TIMEOUT, and the job keeps running', async () => {
    const slow = createAwsDriver({ clientConfig: { endpoint: fake.url, credentials: CREDENTIALS }, pollIntervalMs: 5_000_000 });
    const err = await failure(slow.apply(spec(), clock.context()));
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toContain(`training job ${RELEASE}-a1b2c3d4e5f6 is still InProgress (Uploading) after 240 minutes of waiting`);
    expect(fake.operations).toEqual(['DescribeTrainingJob', 'CreateTrainingJob', 'DescribeTrainingJob', 'DescribeTrainingJob', 'DescribeTrainingJob', 'DescribeTrainingJob']);
    expect(fake.operations).not.toContain('StopTrainingJob');
  });

  test('a 5xx that persists fails after the attempts, naming the operation', async () => {
    fake.failures.ListModelPackages = [1, 2, 3].map(() => ({ status: 503, type: 'ServiceUnavailable', message: 'Service is unavailable' }));
    const err = await failure(driver.apply(spec(), clock.context()));
    expect(err.code).toBe('CLOUD_REQUEST_FAILED');
    expect(err.message).toBe('SageMaker ListModelPackages failed after 3 attempts (HTTP 503 ServiceUnavailable): Service is unavailable');
  });

  test('a 400 ValidationException is not retried and says what AWS said', async () => {
    fake.failures.CreateTrainingJob = [{ status: 400, type: 'ValidationException', message: "Invalid value 'ml.m5.xlarge' for InstanceType: not supported in this region" }];
    const err = await failure(driver.apply(spec(), clock.context()));
    expect(err.code).toBe('CLOUD_REQUEST_REFUSED');
    expect(err.message).toBe(
      "SageMaker CreateTrainingJob refused the request (HTTP 400 ValidationException): Invalid value 'ml.m5.xlarge' for InstanceType: not supported in this region",
    );
    expect(fake.operations.filter((o) => o === 'CreateTrainingJob')).toHaveLength(1);
  });

  test('access denied names the missing permissions', async () => {
    fake.failures.CreateTrainingJob = [{ status: 400, type: 'AccessDeniedException', message: 'User is not authorized to perform: iam:PassRole' }];
    const err = await failure(driver.apply(spec(), clock.context()));
    expect(err.message).toContain('sagemaker:CreateTrainingJob and iam:PassRole on the workload identity');
  });
});

describe('destroy', () => {
  const rev1 = 'a1b2c3d4e5f6';
  const rev2 = 'f6e5d4c3b2a1';

  test("cdktf destroy: stops the running job, deletes the release's model versions and job records, leaves others'", async () => {
    const other = fake.seedPackage(GROUP, 'cdktf-mlops release contoso-mlops-dev-other revision 000000000000: model other', {
      [PACKAGE_METADATA.release]: 'contoso-mlops-dev-other',
      [PACKAGE_METADATA.revision]: '000000000000',
    });
    const manual = fake.seedPackage(GROUP, 'registered by hand', {});
    await driver.apply(spec(rev1), clock.context());
    await driver.apply(spec(rev2), clock.context());
    // Both revisions are registered (a superseded step's destroy keeps its version).
    expect(fake.packages.map((p) => p.metadata[PACKAGE_METADATA.revision])).toEqual(['000000000000', undefined, rev1, rev2]);
    // A new run of rev2 is in progress when the stack is destroyed.
    fake.jobs.delete(`${RELEASE}-${rev2}`);
    fake.seedJob(`${RELEASE}-${rev2}`, 'InProgress', OUTPUT);
    fake.clearRequests();

    const report = await driver.destroy(spec(rev2), clock.context());
    expect(fake.bodies('StopTrainingJob')).toEqual([{ TrainingJobName: `${RELEASE}-${rev2}` }]);
    expect(fake.bodies('DeleteModelPackage').map((b) => b.ModelPackageName)).toEqual([
      `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${GROUP}/4`,
      `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${GROUP}/3`,
    ]);
    expect(fake.bodies('DeleteTrainingJob')).toEqual([{ TrainingJobName: `${RELEASE}-${rev2}` }, { TrainingJobName: `${RELEASE}-${rev1}` }]);
    expect(fake.packages.map((p) => p.arn)).toEqual([other, manual]);
    expect(fake.jobs.size).toBe(0);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual([
      'updated training job',
      'deleted model version',
      'deleted model version',
      'deleted training job',
      'deleted training job',
    ]);
    // The stop is waited for before the record is deleted.
    const ops = fake.operations;
    expect(ops.indexOf('StopTrainingJob')).toBeLessThan(ops.lastIndexOf('DeleteTrainingJob'));
  });

  test('superseded (a newer revision was applied): keeps its model version and job', async () => {
    await driver.apply(spec(rev1), clock.context());
    await driver.apply(spec(rev2), clock.context());
    fake.clearRequests();
    const report = await driver.destroy(spec(rev1), clock.context());
    expect(fake.operations.filter((o) => /^(Delete|Stop|Create|Update)/.test(o))).toEqual([]);
    expect(report.actions).toEqual([
      {
        action: 'kept',
        what: 'model version',
        id: `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${GROUP}/1`,
        detail: `superseded by revision ${rev2}; stays in the registry's history`,
      },
      { action: 'kept', what: 'training job', id: `${RELEASE}-${rev1}`, detail: 'Completed; the record of a kept model version' },
    ]);
    expect(report.outputs).toEqual({ supersededBy: rev2 });
    expect(fake.packages).toHaveLength(2);
  });

  test("back to an earlier revision: it becomes current again, the later one's destroy keeps everything", async () => {
    await driver.apply(spec(rev1), clock.context());
    await driver.apply(spec(rev2), clock.context());
    fake.clearRequests();
    const back = await driver.apply(spec(rev1), clock.context());
    expect(fake.operations.filter((o) => /^(Create|Update)/.test(o))).toEqual(['UpdateModelPackage']);
    expect(back.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['unchanged training job', 'updated model version']);
    fake.clearRequests();
    const report = await driver.destroy(spec(rev2), clock.context());
    expect(fake.operations.filter((o) => /^(Delete|Stop)/.test(o))).toEqual([]);
    expect(report.outputs).toEqual({ supersededBy: rev1 });
  });

  test("same revision, new image digest: the old step's destroy is superseded, not a teardown", async () => {
    const newImage = IMAGE.replace(/sha256:.*/, `sha256:${'cd'.repeat(32)}`);
    await driver.apply(spec(rev1), clock.context());
    fake.clearRequests();
    const again = await driver.apply(spec(rev1, newImage), clock.context());
    expect(again.actions.map((a) => a.action)).toEqual(['unchanged', 'updated']);
    fake.clearRequests();
    await driver.destroy(spec(rev1), clock.context());
    expect(fake.operations.filter((o) => /^(Delete|Stop)/.test(o))).toEqual([]);
    expect(fake.packages).toHaveLength(1);
  });

  test('nothing was created: destroy has nothing to do', async () => {
    const report = await driver.destroy(spec(rev1), clock.context());
    expect(fake.operations).toEqual(['ListModelPackages', 'DescribeTrainingJob', 'DescribeTrainingJob']);
    expect(report.actions).toEqual([]);
  });
});

describe('release step instances (MLOPS_RELEASE_INSTANCE)', () => {
  // terraform_data ids as Terraform writes them (UUIDs): the step and the step that replaces it.
  const A = '5b0c3f1e-8d2a-4c6b-9e7f-0a1b2c3d4e5f';
  const B = 'c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f';
  const step = (id: string): ReleaseContext => clock.context({ [RELEASE_INSTANCE_ENV]: id });
  const ARN1 = `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${GROUP}/1`;
  const JOB = `${RELEASE}-a1b2c3d4e5f6`;
  const NOT_SET = `${RELEASE_INSTANCE_ENV} is not set (a run outside the Terraform release step)`;
  const changes = (): string[] => fake.operations.filter((o) => /^(Create|Update|Delete|Stop)/.test(o));

  test("same-spec replacement: the new step marks the version, the old step's destroy keeps everything", async () => {
    const s = spec();
    await driver.apply(s, step(A));
    expect(fake.bodies('CreateModelPackage')[0].CustomerMetadataProperties[PACKAGE_METADATA.appliedBy]).toBe(A);

    // terraform apply -replace: the new step (B) applies the same spec first …
    fake.clearRequests();
    const before = clock.ms;
    const replaced = await driver.apply(s, step(B));
    expect(fake.operations).toEqual(['DescribeTrainingJob', 'ListModelPackages', 'DescribeModelPackage', 'UpdateModelPackage']);
    expect(fake.bodies('UpdateModelPackage')).toEqual([
      {
        ModelPackageArn: ARN1,
        CustomerMetadataProperties: { [PACKAGE_METADATA.appliedSpec]: specHash(s), [PACKAGE_METADATA.appliedAt]: String(before), [PACKAGE_METADATA.appliedBy]: B },
      },
    ]);
    expect(replaced.actions).toEqual([
      { action: 'unchanged', what: 'training job', id: JOB, detail: 'completed earlier' },
      { action: 'updated', what: 'model version', id: ARN1, detail: `revision a1b2c3d4e5f6 is current; applied by release step ${B} now` },
    ]);
    expect(replaced.outputs.modelPackageArn).toBe(ARN1);
    // … and is idempotent for itself.
    fake.clearRequests();
    expect((await driver.apply(s, step(B))).actions.map((a) => a.action)).toEqual(['unchanged', 'unchanged']);
    expect(changes()).toEqual([]);

    // … then the old step (A) is destroyed with the very same spec: superseded, nothing deleted.
    fake.clearRequests();
    const report = await driver.destroy(s, step(A));
    expect(fake.operations).toEqual(['ListModelPackages', 'DescribeModelPackage', 'DescribeTrainingJob']);
    expect(report.actions).toEqual([
      { action: 'kept', what: 'model version', id: ARN1, detail: `revision a1b2c3d4e5f6, applied again by release step ${B} (same spec), which replaced this step` },
      { action: 'kept', what: 'training job', id: JOB, detail: `Completed; the record of the model version release step ${B} uses` },
    ]);
    expect(report.outputs).toEqual({ supersededBy: 'a1b2c3d4e5f6', supersededByStep: B });
    expect(clock.logs).toContain(
      `release step ${B} applied this same spec (revision a1b2c3d4e5f6) after this step (${A}): it replaced this step, so its destroy keeps what the new step uses`,
    );
    expect(fake.packages.map((p) => p.arn)).toEqual([ARN1]);
    expect([...fake.jobs.keys()]).toEqual([JOB]);

    // A later `cdktf destroy` runs the new step's destroy: it applied last, so it removes the release.
    fake.clearRequests();
    const teardown = await driver.destroy(s, step(B));
    expect(teardown.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['deleted model version', 'deleted training job']);
    expect(fake.packages).toEqual([]);
    expect(fake.jobs.size).toBe(0);
  });

  test('a real destroy with the matching instance id deletes as before', async () => {
    await driver.apply(spec(), step(A));
    fake.clearRequests();
    const report = await driver.destroy(spec(), step(A));
    expect(fake.bodies('DeleteModelPackage')).toEqual([{ ModelPackageName: ARN1 }]);
    expect(fake.bodies('DeleteTrainingJob')).toEqual([{ TrainingJobName: JOB }]);
    expect(report.actions).toEqual([
      { action: 'deleted', what: 'model version', id: ARN1, detail: 'revision a1b2c3d4e5f6' },
      { action: 'deleted', what: 'training job', id: JOB, detail: 'Completed record' },
    ]);
    expect(report.outputs).toEqual({});
    expect(clock.logs.filter((l) => l.startsWith(NOT_SET))).toEqual([]);
  });

  test('a newer revision still supersedes whatever the instance ids', async () => {
    await driver.apply(spec('a1b2c3d4e5f6'), step(A));
    await driver.apply(spec('f6e5d4c3b2a1'), step(B));
    fake.clearRequests();
    const report = await driver.destroy(spec('a1b2c3d4e5f6'), step(A));
    expect(changes()).toEqual([]);
    expect(report.outputs).toEqual({ supersededBy: 'f6e5d4c3b2a1' });
    expect(fake.packages.map((p) => p.metadata[PACKAGE_METADATA.appliedBy])).toEqual([A, B]);
  });

  test("no instance id (a run by hand): today's behaviour — the spec decides, and the log says so", async () => {
    const s = spec();
    await driver.apply(s, step(B));
    fake.clearRequests();
    // A manual apply of the spec the current version was applied with changes nothing.
    expect((await driver.apply(s, clock.context())).actions.map((a) => a.action)).toEqual(['unchanged', 'unchanged']);
    expect(changes()).toEqual([]);
    expect(clock.logs).toContain(`${NOT_SET}: the model version is marked current without a release step id`);

    // A manual destroy cannot tell a replacement from a teardown: as before, the same spec means delete.
    fake.clearRequests();
    const report = await driver.destroy(s, clock.context());
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['deleted model version', 'deleted training job']);
    expect(fake.packages).toEqual([]);
    expect(clock.logs).toContain(
      `${NOT_SET}: only the applied spec decides whether this step is superseded, so a replacement step with the same spec cannot be told from a real destroy`,
    );
  });

  test('a manual apply that re-marks a version removes the old step id; such a marker (or an old one) counts as ours', async () => {
    const rev1 = 'a1b2c3d4e5f6';
    await driver.apply(spec(rev1), step(A));
    await driver.apply(spec('f6e5d4c3b2a1'), step(B));
    fake.clearRequests();
    await driver.apply(spec(rev1), clock.context());
    expect(fake.bodies('UpdateModelPackage')).toEqual([
      {
        ModelPackageArn: ARN1,
        CustomerMetadataProperties: { [PACKAGE_METADATA.appliedSpec]: specHash(spec(rev1)), [PACKAGE_METADATA.appliedAt]: expect.stringMatching(/^\d+$/) },
        CustomerMetadataPropertiesToRemove: [PACKAGE_METADATA.appliedBy],
      },
    ]);
    expect(fake.packages[0]!.metadata[PACKAGE_METADATA.appliedBy]).toBeUndefined();

    // A step destroyed with that spec: the marker has no id, so the spec decides (as before instance ids).
    fake.clearRequests();
    const report = await driver.destroy(spec(rev1), step(A));
    expect(report.actions.filter((a) => a.action === 'deleted').map((a) => a.what)).toEqual(['model version', 'model version', 'training job', 'training job']);
    expect(clock.logs).toContain(
      `model version ${ARN1} carries no release step id (applied outside Terraform or by an earlier driver): treating this step (${A}) as the one that applied it`,
    );
  });

  test('an instance id SageMaker metadata cannot hold: clear error, nothing sent', async () => {
    const err = await failure(driver.destroy(spec(), step('id with spaces;rm')));
    expect(err.code).toBe('RELEASE_INSTANCE_INVALID');
    expect(err.message).toContain(`${RELEASE_INSTANCE_ENV} is "id with spaces;rm"`);
    expect(err.message).toContain('Fix: unset it when running the release by hand');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('spec checks', () => {
  test('a bad AWS target lists every problem with its path', async () => {
    const bad = specJson();
    bad.aws.roleArn = 'contoso-mlops-dev-sagemaker';
    bad.aws.region = 'Europe';
    bad.aws.extra = true;
    let err: unknown;
    try {
      await driver.apply(parseSpec(bad), clock.context());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReleaseSpecError);
    const paths = (err as ReleaseSpecError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['aws.roleArn', 'aws.region', 'aws']));
    expect((err as Error).message).toContain('must be an IAM role ARN');
    expect(fake.requests).toHaveLength(0);
  });

  test('the model location must be where SageMaker writes it; data in the platform bucket', async () => {
    const bad = specJson();
    bad.aws.modelUri = `s3://${BUCKET}/models/elsewhere/model.tar.gz`;
    bad.training.dataUri = 's3://someone-elses-bucket/hour.csv';
    const err = await driver.apply(parseSpec(bad), clock.context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReleaseSpecError);
    expect((err as Error).message).toContain(
      `aws.modelUri: is "s3://${BUCKET}/models/elsewhere/model.tar.gz", but SageMaker will write the model to "${OUTPUT}/${RELEASE}-a1b2c3d4e5f6/output/model.tar.gz"`,
    );
    expect((err as Error).message).toContain(`training.dataUri: "s3://someone-elses-bucket/hour.csv" must be in the platform bucket (start with s3://${BUCKET}/)`);
  });

  test('an endpoint step does not exist on AWS (Terraform rolls the endpoint out)', async () => {
    const endpoint = {
      ...specJson(),
      kind: 'endpoint',
      training: undefined,
      endpoint: {
        name: RELEASE,
        instanceType: 'ml.m5.large',
        minInstances: 1,
        maxInstances: 2,
        rollout: { strategy: 'canary', canaryPercent: 10, stepPercent: 25, bakeMinutes: 10 },
        alarms: { errorRatePercent: 5, latencyP95Ms: 1000 },
      },
    };
    const err = await driver.apply(parseSpec(JSON.parse(JSON.stringify(endpoint))), clock.context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReleaseSpecError);
    expect((err as Error).message).toContain('kind: is "endpoint": on AWS, Terraform rolls the endpoint out');
  });
});

describe('mlops release (the command the stack runs)', () => {
  const saved: Record<string, string | undefined> = {};
  const credentialEnv = { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' };
  beforeAll(() => {
    // The SDK's default credential chain reads the process environment.
    for (const [k, v] of Object.entries(credentialEnv)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runRelease(argv, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env,
      sleep: async () => undefined,
      now: () => 1_750_000_000_000,
    });
    return { code, stdout, stderr };
  }

  test('apply with the spec in MLOPS_RELEASE_SPEC and the endpoint override: trains, registers, reports', async () => {
    const env = { MLOPS_RELEASE_SPEC: JSON.stringify(specJson()), [SAGEMAKER_ENDPOINT_ENV]: fake.url };
    const { code, stdout, stderr } = await run(['apply', '--spec-env', 'MLOPS_RELEASE_SPEC'], env);
    expect(stderr).toContain(`apply training step of release ${RELEASE} (revision a1b2c3d4e5f6) on aws`);
    expect(stderr).toContain(`training job ${RELEASE}-a1b2c3d4e5f6: Training: Training image download completed. Training in progress.`);
    expect(code).toBe(0);
    expect(stdout).toContain(`created  training job ${RELEASE}-a1b2c3d4e5f6 (1 × ml.m5.xlarge)`);
    expect(stdout).toContain(`modelPackageArn = arn:aws:sagemaker:eu-west-1:123456789012:model-package/${GROUP}/1`);
    expect(fake.operations).toContain('CreateTrainingJob');
    expect(String(fake.requests[0]!.headers.authorization)).toContain('Credential=AKIDEXAMPLE/');

    const again = await run(['apply', '--spec-env', 'MLOPS_RELEASE_SPEC', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).actions.map((a: { action: string }) => a.action)).toEqual(['unchanged', 'unchanged']);
  });

  test('destroy of a replaced step (MLOPS_RELEASE_INSTANCE as Terraform sets it): reports kept, deletes nothing, exits 0', async () => {
    const A = '5b0c3f1e-8d2a-4c6b-9e7f-0a1b2c3d4e5f';
    const B = 'c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f';
    const env = (id: string) => ({ MLOPS_RELEASE_SPEC: JSON.stringify(specJson()), [RELEASE_INSTANCE_ENV]: id, [SAGEMAKER_ENDPOINT_ENV]: fake.url });
    expect((await run(['apply'], env(A))).code).toBe(0);
    expect((await run(['apply'], env(B))).code).toBe(0);
    fake.clearRequests();
    const { code, stdout, stderr } = await run(['destroy', '--json'], env(A));
    expect(stderr).toContain(`release step ${B} applied this same spec`);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.actions.map((a: { action: string; what: string }) => `${a.action} ${a.what}`)).toEqual(['kept model version', 'kept training job']);
    expect(report.outputs).toEqual({ supersededBy: 'a1b2c3d4e5f6', supersededByStep: B });
    expect(fake.operations.filter((o) => /^(Delete|Stop)/.test(o))).toEqual([]);
    expect(fake.packages).toHaveLength(1);
  });

  test('a failed job exits 1 with the reason; a bad spec exits 2', async () => {
    fake.nextOutcome = { status: 'Failed', failureReason: 'AlgorithmError: no data files' };
    const failed = await run(['apply'], { MLOPS_RELEASE_SPEC: JSON.stringify(specJson()), [SAGEMAKER_ENDPOINT_ENV]: fake.url });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('mlops release: apply failed [TRAINING_FAILED]: training job');
    expect(failed.stderr).toContain('AlgorithmError: no data files');

    const bad = specJson();
    delete bad.aws.kmsKeyArn;
    const invalid = await run(['destroy'], { MLOPS_RELEASE_SPEC: JSON.stringify(bad), [SAGEMAKER_ENDPOINT_ENV]: fake.url });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('aws.kmsKeyArn');
  });
});

describe('private platforms (issue 11, network.mode private)', () => {
  const VPC = { subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'], securityGroupIds: ['sg-0123456789abcdef0'] };

  test('GIVEN a spec with aws.vpc WHEN applied THEN CreateTrainingJob runs the job in those subnets with that security group, network isolation kept', async () => {
    const json = specJson();
    json.aws.vpc = VPC;
    await driver.apply(parseSpec(json), clock.context());
    const [body] = fake.bodies('CreateTrainingJob') as Record<string, any>[];
    expect(body!.VpcConfig).toEqual({ Subnets: VPC.subnetIds, SecurityGroupIds: VPC.securityGroupIds });
    expect(body!.EnableNetworkIsolation).toBe(true);
    expect(body!.EnableInterContainerTrafficEncryption).toBe(true);
  });

  test('GIVEN a spec without aws.vpc WHEN applied THEN the request has no VpcConfig', async () => {
    await driver.apply(spec(), clock.context());
    expect((fake.bodies('CreateTrainingJob')[0] as Record<string, unknown>).VpcConfig).toBeUndefined();
  });

  test('GIVEN malformed subnet and security group ids WHEN applied THEN the spec is refused naming each path, before any request', async () => {
    const json = specJson();
    json.aws.vpc = { subnetIds: ['vpc-123'], securityGroupIds: [] };
    const err = await driver.apply(parseSpec(json), clock.context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReleaseSpecError);
    const paths = (err as ReleaseSpecError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['aws.vpc.subnetIds.0', 'aws.vpc.securityGroupIds']));
    expect(fake.requests).toHaveLength(0);
  });
});
