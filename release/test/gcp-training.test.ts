import { v1 } from '@google-cloud/aiplatform';
import { runRelease } from '../src/cli';
import { ReleaseDriver, ReleaseError } from '../src/driver';
import { AIPLATFORM_ENDPOINT_ENV, ACCESS_TOKEN_ENV, createGcpDriver, describeFailure, parseEndpointOverride } from '../src/gcp';
import { ReleaseSpecError } from '../src/spec';
import { FakeVertex, PROJECT, PROJECT_NUMBER, REGION } from './fixtures/gcp/fake-vertex';
import { BUCKET, IMAGE, KEY, PARENT, RELEASE, SA, TOKEN, driverOptions, testContext, trainingSpec } from './fixtures/gcp/harness';

const REV = 'a1b2c3d4e5f6';
const REV2 = '0f0e0d0c0b0a';
const MODEL_PATH = `${PARENT}/models/${RELEASE}`;
const JOBS_FILTER = (rev?: string): string => `labels.mlops_release="${RELEASE}"${rev ? ` AND labels.mlops_revision="${rev}"` : ''}`;
/** Without a Terraform instance id (MLOPS_RELEASE_INSTANCE) a step marks what it applied with the image digest's first 40 hex. */
const DIGEST_MARKER = 'ab'.repeat(20);
const LABELS = (rev: string, marker = DIGEST_MARKER): Record<string, string> => ({
  mlops_release: RELEASE,
  mlops_revision: rev,
  mlops_model: 'bike-demand',
  mlops_step: marker,
  'managed-by': 'cdktf-mlops',
});
/** The context of a release step instance as Terraform runs it. */
const instance = (id: string) => testContext({ MLOPS_RELEASE_INSTANCE: id });

let fake: FakeVertex;
let driver: ReleaseDriver;

beforeAll(async () => {
  fake = await FakeVertex.start();
  driver = createGcpDriver(driverOptions(fake));
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake.stop();
});

async function expectReleaseError(p: Promise<unknown>): Promise<ReleaseError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ReleaseError) return err;
    throw err;
  }
  throw new Error('expected a ReleaseError');
}

describe('GCP training step: apply', () => {
  test('runs the custom job, polls it, uploads the model as a new model and reports it', async () => {
    const ctx = testContext();
    const report = await driver.apply(trainingSpec(REV), ctx);

    const jobId = [...fake.jobs.keys()][0]!;
    const jobName = `projects/${PROJECT_NUMBER}/locations/${REGION}/customJobs/${jobId}`;
    const upload = fake.requests.find((r) => r.path.endsWith('/models:upload'))!;
    const opName = [...fake.operations.keys()][0]!;
    expect(fake.lines()).toEqual([
      `GET ${MODEL_PATH}%40r-${REV}`,
      `GET ${PARENT}/customJobs?filter=${JOBS_FILTER(REV)}`,
      `POST ${PARENT}/customJobs`,
      `GET /v1/${jobName}`,
      `GET /v1/${jobName}`,
      `GET ${MODEL_PATH}`,
      `POST ${PARENT}/models:upload`,
      `GET /ui/${opName}`,
    ]);
    // Every call: the credential's token and the REST transport's numeric enums.
    for (const r of fake.requests) {
      expect(r.authorization).toBe(`Bearer ${TOKEN}`);
      if (r.path.startsWith('/v1/')) expect(r.query.$alt).toBe('json;enum-encoding=int');
    }
    expect(fake.requests[2]!.body).toEqual({
      displayName: `${RELEASE}-${REV}`,
      labels: LABELS(REV),
      jobSpec: {
        workerPoolSpecs: [
          {
            machineSpec: { machineType: 'n1-standard-4' },
            replicaCount: '1',
            containerSpec: {
              imageUri: IMAGE,
              args: ['train', '--data', `gs://${BUCKET}/datasets/bike/hour.csv`, '--max_iter=50', '--model=gbdt', '--target=cnt'],
            },
          },
        ],
        serviceAccount: SA,
        baseOutputDirectory: { outputUriPrefix: `gs://${BUCKET}/releases/${RELEASE}/${REV}` },
        scheduling: { timeout: '7200s', strategy: 3 },
      },
      encryptionSpec: { kmsKeyName: KEY },
      webAccessUris: {},
    });
    expect(upload.body).toEqual({
      parent: undefined,
      modelId: RELEASE,
      serviceAccount: SA,
      model: {
        displayName: 'bike-demand',
        description: `Model of release ${RELEASE}; registered by cdktf-mlops.`,
        versionAliases: [`r-${REV}`, 'default'],
        versionDescription: `Revision ${REV}, trained by ${jobName}.`,
        labels: LABELS(REV),
        artifactUri: `gs://${BUCKET}/releases/${RELEASE}/${REV}/model`,
        containerSpec: {
          imageUri: IMAGE,
          args: ['serve'],
          env: [
            { name: 'MLOPS_MODEL_NAME', value: 'bike-demand' },
            { name: 'MLOPS_MODEL_VERSION', value: REV },
          ],
          ports: [{ containerPort: 8080 }],
          predictRoute: '/predict',
          healthRoute: '/health',
        },
        encryptionSpec: { kmsKeyName: KEY },
      },
    });
    // Job polls and the operation poll wait through ctx.sleep.
    expect(ctx.slept).toEqual([30_000, 30_000, 10_000]);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['created training job', 'created model version']);
    expect(report.outputs).toEqual({
      model: `projects/${PROJECT_NUMBER}/locations/${REGION}/models/${RELEASE}`,
      modelVersionId: '1',
      modelVersion: `projects/${PROJECT_NUMBER}/locations/${REGION}/models/${RELEASE}@1`,
      versionAlias: `r-${REV}`,
      modelUri: `gs://${BUCKET}/releases/${RELEASE}/${REV}/model`,
      trainingJob: jobName,
    });
  });
});

describe('GCP training step: idempotency', () => {
  test('a second apply of the same revision finds the registered version and changes nothing', async () => {
    await driver.apply(trainingSpec(REV), testContext());
    fake.clearRequests();
    const report = await driver.apply(trainingSpec(REV), testContext());
    expect(fake.lines()).toEqual([`GET ${MODEL_PATH}%40r-${REV}`]);
    expect(report.actions).toEqual([
      { action: 'unchanged', what: 'model version', id: `projects/${PROJECT_NUMBER}/locations/${REGION}/models/${RELEASE}@1`, detail: `alias r-${REV}` },
    ]);
    expect(report.outputs.modelVersion).toBe(`projects/${PROJECT_NUMBER}/locations/${REGION}/models/${RELEASE}@1`);
  });

  test('a new revision becomes a new default version of the same model (parentModel)', async () => {
    await driver.apply(trainingSpec(REV), testContext());
    fake.clearRequests();
    const report = await driver.apply(trainingSpec(REV2), testContext());
    const upload = fake.requests.find((r) => r.path.endsWith('/models:upload'))!;
    expect(upload.body.parentModel).toBe(`projects/${PROJECT}/locations/${REGION}/models/${RELEASE}`);
    expect(upload.body.modelId).toBeUndefined();
    expect(upload.body.model.versionAliases).toEqual([`r-${REV2}`, 'default']);
    expect(report.outputs.modelVersionId).toBe('2');
    expect(fake.models.get(RELEASE)!.map((v) => [v.versionId, v.aliases])).toEqual([
      ['1', [`r-${REV}`]],
      ['2', [`r-${REV2}`, 'default']],
    ]);
  });

  test('going back to an earlier revision reuses its version and makes it the default again', async () => {
    await driver.apply(trainingSpec(REV), testContext());
    await driver.apply(trainingSpec(REV2), testContext());
    fake.clearRequests();
    const report = await driver.apply(trainingSpec(REV), testContext());
    expect(fake.lines()).toEqual([`GET ${MODEL_PATH}%40r-${REV}`, `POST ${MODEL_PATH}%401:mergeVersionAliases`]);
    expect(fake.requests[1]!.body).toEqual({ versionAliases: ['default'] });
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['unchanged model version', 'updated default version']);
    expect(fake.models.get(RELEASE)!.find((v) => v.aliases.includes('default'))!.versionId).toBe('1');
  });

  test('waits for a running job of the same revision instead of starting another', async () => {
    const running = fake.seedJob(LABELS(REV), 'JOB_STATE_RUNNING');
    running.script = ['JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED'];
    const ctx = testContext();
    const report = await driver.apply(trainingSpec(REV), ctx);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/customJobs'))).toHaveLength(0);
    expect(fake.lines().filter((l) => l.startsWith(`GET /v1/${running.name}`))).toHaveLength(2);
    expect(report.actions[0]).toMatchObject({ action: 'waited', what: 'training job', id: running.name });
    expect(ctx.infos.join('\n')).toContain(`training job ${running.name} of this revision is JOB_STATE_RUNNING; waiting for it`);
  });

  test('reuses a job of the same revision that succeeded earlier and only registers its model', async () => {
    const done = fake.seedJob(LABELS(REV), 'JOB_STATE_SUCCEEDED');
    const report = await driver.apply(trainingSpec(REV), testContext());
    expect(fake.lines()).toEqual([
      `GET ${MODEL_PATH}%40r-${REV}`,
      `GET ${PARENT}/customJobs?filter=${JOBS_FILTER(REV)}`,
      `GET ${MODEL_PATH}`,
      `POST ${PARENT}/models:upload`,
      expect.stringMatching(/^GET \/ui\/projects\/123456789012\/locations\/europe-west4\/models\/contoso-mlops-dev-bike-demand\/operations\/\d+$/),
    ]);
    expect(report.actions.map((a) => `${a.action} ${a.what} ${a.id}`)[0]).toBe(`unchanged training job ${done.name}`);
  });

  test('starts a new attempt when the last job of the revision failed in an earlier run', async () => {
    const failed = fake.seedJob(LABELS(REV), 'JOB_STATE_FAILED', { code: 3, message: 'out of memory' });
    const ctx = testContext();
    const report = await driver.apply(trainingSpec(REV), ctx);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/customJobs'))).toHaveLength(1);
    expect(ctx.warnings).toEqual([`the last training job of this revision, ${failed.name}, ended JOB_STATE_FAILED: out of memory; starting a new attempt`]);
    expect(report.actions[0]).toMatchObject({ action: 'created', what: 'training job' });
  });
});

describe('GCP training step: failures', () => {
  test('a job that fails is a TRAINING_FAILED error with the job error, and nothing is registered', async () => {
    fake.jobScript = ['JOB_STATE_RUNNING', 'JOB_STATE_FAILED'];
    const err = await expectReleaseError(driver.apply(trainingSpec(REV), testContext()));
    expect(err.code).toBe('TRAINING_FAILED');
    expect(err.message).toMatch(
      /^training job projects\/123456789012\/locations\/europe-west4\/customJobs\/\d+ ended JOB_STATE_FAILED: The replica workerpool0-0 exited with a non-zero status of 1\. Logs: `gcloud ai custom-jobs stream-logs \d+ --region=europe-west4`/,
    );
    expect(fake.requests.some((r) => r.path.endsWith('/models:upload'))).toBe(false);
    expect(fake.models.size).toBe(0);
  });

  test('a cancelled job is a TRAINING_FAILED error too', async () => {
    fake.jobScript = ['JOB_STATE_CANCELLED'];
    const err = await expectReleaseError(driver.apply(trainingSpec(REV), testContext()));
    expect(err.code).toBe('TRAINING_FAILED');
    expect(err.message).toContain('ended JOB_STATE_CANCELLED');
  });

  test('a job that runs past its timeout plus the queue allowance stops the wait with TRAINING_TIMEOUT', async () => {
    fake.jobScript = Array(400).fill('JOB_STATE_RUNNING');
    const spec = trainingSpec(REV, { training: { maxRuntimeSeconds: 600 } });
    const err = await expectReleaseError(driver.apply(spec, testContext()));
    expect(err.code).toBe('TRAINING_TIMEOUT');
    expect(err.message).toContain('after 130 minutes');
  });

  test('an upload operation that ends in an error is an OPERATION_FAILED error with its message', async () => {
    fake.operationErrors.upload = { code: 3, message: 'Model directory gs://contoso-mlops-dev-artifacts/... is empty.' };
    const err = await expectReleaseError(driver.apply(trainingSpec(REV), testContext()));
    expect(err.code).toBe('OPERATION_FAILED');
    expect(err.message).toMatch(
      /^upload model version r-a1b2c3d4e5f6 of projects\/contoso-ml-dev\/locations\/europe-west4\/models\/contoso-mlops-dev-bike-demand failed: operation projects\/123456789012\/.*\/operations\/\d+ ended with INVALID_ARGUMENT: Model directory gs:\/\/contoso-mlops-dev-artifacts\/\.\.\. is empty\.$/,
    );
  });

  test("a 400 is a clear error naming the call and carrying Google's message, without retries", async () => {
    fake.injected.push({
      method: 'POST',
      path: /\/customJobs$/,
      status: 400,
      body: { error: { code: 400, message: 'Machine type "n1-standard-4" is not supported with accelerator NVIDIA_TESLA_T4 in europe-west4.', status: 'INVALID_ARGUMENT' } },
    });
    const ctx = testContext();
    const err = await expectReleaseError(driver.apply(trainingSpec(REV), ctx));
    expect(err.code).toBe('CLOUD_REQUEST_FAILED');
    expect(err.message).toBe(
      `create custom job ${RELEASE}-${REV} failed: HTTP 400 INVALID_ARGUMENT: Machine type "n1-standard-4" is not supported with accelerator NVIDIA_TESLA_T4 in europe-west4.`,
    );
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(ctx.slept).toEqual([]);
  });

  test('a 403 says which roles the deploying identity needs', async () => {
    fake.injected.push({
      method: 'GET',
      path: /customJobs$/,
      status: 403,
      body: { error: { code: 403, message: "Permission 'aiplatform.customJobs.list' denied", status: 'PERMISSION_DENIED' } },
    });
    const err = await expectReleaseError(driver.apply(trainingSpec(REV), testContext()));
    expect(err.message).toContain(
      "HTTP 403 PERMISSION_DENIED: Permission 'aiplatform.customJobs.list' denied. Fix: the identity running `mlops release` needs roles/aiplatform.user",
    );
  });
});

describe('GCP training step: retries', () => {
  test('the bare Vertex AI client does not retry a 503 on the REST transport (gax retries none of these methods by default)', async () => {
    fake.injected.push({ method: 'GET', path: /customJobs$/, status: 503, times: 5 });
    const client = new v1.JobServiceClient({ ...driverOptions(fake).clientOptions, fallback: true });
    let caught: unknown;
    try {
      await client.listCustomJobs({ parent: `projects/${PROJECT}/locations/${REGION}` });
    } catch (err) {
      caught = err;
    } finally {
      await client.close();
    }
    expect(fake.requests).toHaveLength(1);
    expect(describeFailure(caught)).toMatchObject({ httpStatus: 503, status: 'UNAVAILABLE', message: 'injected 503' });
  });

  test('503 on a read is retried with exponential backoff through ctx.sleep', async () => {
    fake.injected.push({ method: 'GET', path: /customJobs$/, status: 503, times: 2 });
    const ctx = testContext();
    await driver.apply(trainingSpec(REV), ctx);
    expect(fake.lines().filter((l) => l.startsWith(`GET ${PARENT}/customJobs?`))).toHaveLength(3);
    expect(fake.requests.filter((r) => r.path.endsWith('/customJobs') && r.method === 'GET').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(ctx.slept.slice(0, 2)).toEqual([2_000, 4_000]);
    expect(ctx.warnings[0]).toMatch(/^list custom jobs \(.*\): 503 UNAVAILABLE \(injected 503\); retry 2\/6 in 2\.0s$/);
  });

  test('429 on a create is retried after the Retry-After the server gives', async () => {
    fake.injected.push({
      method: 'POST',
      path: /\/customJobs$/,
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { code: 429, message: 'Quota exceeded for aiplatform.googleapis.com/custom_model_training_cpus', status: 'RESOURCE_EXHAUSTED' } },
    });
    const ctx = testContext();
    await driver.apply(trainingSpec(REV), ctx);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/customJobs')).map((r) => r.status)).toEqual([429, 200]);
    expect(ctx.slept[0]).toBe(7_000);
    expect(fake.jobs.size).toBe(1);
  });

  test('500 on a create is not retried (a repeat could start a second job)', async () => {
    fake.injected.push({ method: 'POST', path: /\/customJobs$/, status: 500, body: { error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } } });
    const err = await expectReleaseError(driver.apply(trainingSpec(REV), testContext()));
    expect(err.message).toBe(`create custom job ${RELEASE}-${REV} failed: HTTP 500 INTERNAL: Internal error encountered.`);
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  test('gives up after maxAttempts and says what failed', async () => {
    fake.injected.push({ method: 'GET', path: /%40r-/, status: 503, times: 10 });
    const ctx = testContext();
    const err = await expectReleaseError(driver.apply(trainingSpec(REV), ctx));
    expect(err.message).toMatch(/^get model version .*@r-a1b2c3d4e5f6 failed: HTTP 503 UNAVAILABLE: injected 503\.$/);
    expect(fake.requests).toHaveLength(6);
    expect(ctx.slept).toEqual([2_000, 4_000, 8_000, 16_000, 32_000]);
  });
});

describe('GCP training step: destroy', () => {
  test('superseded (the default version is another revision): keeps the model and the job records', async () => {
    await driver.apply(trainingSpec(REV), testContext());
    await driver.apply(trainingSpec(REV2), testContext());
    fake.clearRequests();
    const report = await driver.destroy(trainingSpec(REV), testContext());
    expect(fake.lines()).toEqual([`GET ${MODEL_PATH}`]);
    expect(report.actions).toEqual([
      expect.objectContaining({
        action: 'kept',
        what: 'model',
        id: `projects/${PROJECT}/locations/${REGION}/models/${RELEASE}`,
        detail: expect.stringContaining(`revision ${REV} is superseded`),
      }),
    ]);
    expect(fake.models.get(RELEASE)).toHaveLength(2);
    expect(fake.jobs.size).toBe(2);
  });

  test('a step replaced by one of the same revision (a taint, an image rebuild) keeps everything on destroy', async () => {
    await driver.apply(trainingSpec(REV), instance('11111111-aaaa-4bbb-8ccc-000000000001'));
    fake.clearRequests();
    const again = await driver.apply(trainingSpec(REV), instance('22222222-aaaa-4bbb-8ccc-000000000002'));
    expect(fake.lines()).toEqual([`GET ${MODEL_PATH}%40r-${REV}`, `PATCH ${MODEL_PATH}%401?updateMask=labels`]);
    expect(fake.requests[1]!.body.labels).toEqual(LABELS(REV, '22222222-aaaa-4bbb-8ccc-000000000002'));
    expect(again.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['unchanged model version', 'updated model version labels']);
    fake.clearRequests();
    const report = await driver.destroy(trainingSpec(REV), instance('11111111-aaaa-4bbb-8ccc-000000000001'));
    expect(fake.lines()).toEqual([`GET ${MODEL_PATH}`]);
    expect(report.actions[0]).toMatchObject({
      action: 'kept',
      what: 'model',
      detail: expect.stringContaining('mlops_step=22222222-aaaa-4bbb-8ccc-000000000002, this step is 11111111-aaaa-4bbb-8ccc-000000000001'),
    });
    expect(fake.models.get(RELEASE)).toHaveLength(1);
  });

  test('not superseded: deletes the model with its versions and every job record of the release', async () => {
    await driver.apply(trainingSpec(REV), instance('11111111-aaaa-4bbb-8ccc-000000000001'));
    await driver.apply(trainingSpec(REV2), instance('33333333-aaaa-4bbb-8ccc-000000000003'));
    const [first, second] = [...fake.jobs.values()].map((j) => j.name);
    fake.clearRequests();
    const ctx = instance('33333333-aaaa-4bbb-8ccc-000000000003');
    const report = await driver.destroy(trainingSpec(REV2), ctx);
    expect(fake.lines()).toEqual([
      `GET ${MODEL_PATH}`,
      `DELETE ${MODEL_PATH}`,
      expect.stringMatching(/^GET \/ui\/projects\/123456789012\/locations\/europe-west4\/models\/contoso-mlops-dev-bike-demand\/operations\/\d+$/),
      `GET ${PARENT}/customJobs?filter=${JOBS_FILTER()}`,
      `DELETE /v1/${second}`,
      expect.stringMatching(/^GET \/ui\/projects\/123456789012\/locations\/europe-west4\/customJobs\/\d+\/operations\/\d+$/),
      `DELETE /v1/${first}`,
      expect.stringMatching(/^GET \/ui\/projects\/123456789012\/locations\/europe-west4\/customJobs\/\d+\/operations\/\d+$/),
    ]);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['deleted model', 'deleted training job', 'deleted training job']);
    expect(fake.models.size).toBe(0);
    expect(fake.jobs.size).toBe(0);
  });

  test('cancels a running job of the release before deleting its record', async () => {
    const running = fake.seedJob(LABELS(REV), 'JOB_STATE_RUNNING');
    const report = await driver.destroy(trainingSpec(REV), testContext());
    expect(fake.lines().slice(0, 5)).toEqual([
      `GET ${MODEL_PATH}`,
      `GET ${PARENT}/customJobs?filter=${JOBS_FILTER()}`,
      `POST /v1/${running.name}:cancel`,
      `GET /v1/${running.name}`,
      `DELETE /v1/${running.name}`,
    ]);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['updated training job', 'deleted training job']);
  });

  test('refuses to delete a model whose default version is still deployed', async () => {
    await driver.apply(trainingSpec(REV), testContext());
    fake.seedEndpoint('77');
    fake.seedDeployment('77', RELEASE, '1', 'other', 100);
    const err = await expectReleaseError(driver.destroy(trainingSpec(REV), testContext()));
    expect(err.code).toBe('MODEL_IN_USE');
    expect(err.message).toContain(`projects/${PROJECT_NUMBER}/locations/${REGION}/endpoints/77/deployedModels/`);
  });
});

describe('GCP training step: spec checks', () => {
  test('instanceCount other than 1 is refused for Vertex AI', async () => {
    const spec = trainingSpec(REV, { training: { instanceCount: 2 } });
    await expect(driver.apply(spec, testContext())).rejects.toThrow(ReleaseSpecError);
    await expect(driver.apply(spec, testContext())).rejects.toThrow(/training\.instanceCount: is 2; on Vertex AI it must be 1/);
    expect(fake.requests).toHaveLength(0);
  });

  test('a modelUri that is not <outputUri>/model is refused, naming both', async () => {
    const spec = trainingSpec(REV, { gcp: { modelUri: `gs://${BUCKET}/elsewhere/model` } });
    await expect(driver.apply(spec, testContext())).rejects.toThrow(
      /gcp\.modelUri: is "gs:\/\/contoso-mlops-dev-artifacts\/elsewhere\/model"; it must be <training\.outputUri>\/model/,
    );
  });

  test('a bad target lists every problem with its path', async () => {
    const spec = trainingSpec(REV, { gcp: { serviceAccount: 'someone@example.com', schedulingStrategy: 'CHEAP' } });
    let caught: ReleaseSpecError | undefined;
    try {
      await driver.apply(spec, testContext());
    } catch (err) {
      caught = err as ReleaseSpecError;
    }
    expect(caught).toBeInstanceOf(ReleaseSpecError);
    expect(caught!.issues.map((i) => i.path).sort()).toEqual(['gcp.schedulingStrategy', 'gcp.serviceAccount']);
  });

  test('a GPU size puts the accelerator in the machine spec (as the numeric enum the REST transport sends)', async () => {
    const spec = trainingSpec(REV, { gcp: { accelerator: { type: 'NVIDIA_TESLA_T4', count: 1 }, schedulingStrategy: 'SPOT' } });
    await driver.apply(spec, testContext());
    const create = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/customJobs'))!;
    expect(create.body.jobSpec.workerPoolSpecs[0].machineSpec).toEqual({ machineType: 'n1-standard-4', acceleratorType: 5, acceleratorCount: 1 });
    expect(create.body.jobSpec.scheduling.strategy).toBe(4);
  });
});

describe('GCP driver: endpoint and credentials', () => {
  test('MLOPS_GCP_AIPLATFORM_ENDPOINT is parsed into host, port and protocol', () => {
    expect(parseEndpointOverride('http://127.0.0.1:8080')).toEqual({ apiEndpoint: '127.0.0.1', port: 8080, protocol: 'http' });
    expect(parseEndpointOverride('europe-west4-aiplatform.googleapis.com')).toEqual({ apiEndpoint: 'europe-west4-aiplatform.googleapis.com', port: 443, protocol: 'https' });
    expect(() => parseEndpointOverride('http://127.0.0.1:8080/v1')).toThrow(/MLOPS_GCP_AIPLATFORM_ENDPOINT is "http:\/\/127\.0\.0\.1:8080\/v1": give only a scheme/);
  });

  test('the CLI runs the production driver against the override with GOOGLE_OAUTH_ACCESS_TOKEN, and reports', async () => {
    // The production driver makes its own credential from the environment. gaxios loads its default
    // fetch (node-fetch) with a dynamic import() that jest's VM refuses, unless a browser-style
    // `window.fetch` exists: for this test only, that is Node's own fetch.
    const out: string[] = [];
    const err: string[] = [];
    const env = { [AIPLATFORM_ENDPOINT_ENV]: fake.url, [ACCESS_TOKEN_ENV]: 'env-token', MLOPS_RELEASE_SPEC: JSON.stringify(trainingSpec(REV)) };
    const g = globalThis as { window?: unknown };
    g.window = { fetch: globalThis.fetch };
    let code: number;
    try {
      code = await runRelease(['apply', '--json'], { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, sleep: async () => {}, now: () => 0 });
    } finally {
      delete g.window;
    }
    expect({ code, err: err.join('') }).toMatchObject({ code: 0 });
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const r of fake.requests) expect(r.authorization).toBe('Bearer env-token');
    expect(JSON.parse(out.join('')).outputs.versionAlias).toBe(`r-${REV}`);
  });
});
