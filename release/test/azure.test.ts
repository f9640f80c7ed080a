import { ReleaseDriver, ReleaseError } from '../src/driver';
import { ReleaseSpecError } from '../src/spec';
import { ARM_ENDPOINT_ENV, azureDriver, createAzureDriver, trainCommand } from '../src/azure';
import { driverFor } from '../src/drivers';
import { FakeArm, ML_API_VERSION } from './fixtures/azure/fake-arm';
import { fakeContext, specFixture, startArm } from './fixtures/azure/harness';

const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const WS_PATH = `/subscriptions/${SUB}/resourceGroups/contoso-mlops-dev-rg/providers/Microsoft.MachineLearningServices/workspaces/contoso-mlops-dev-mlw`;
const DATASTORE = `azureml://subscriptions/${SUB}/resourcegroups/contoso-mlops-dev-rg/workspaces/contoso-mlops-dev-mlw/datastores/mlopsartifacts/paths`;
const JOB = 'contoso-mlops-dev-bike-demand-0a1b2c3d4e5f';
const ENV = 'contoso-mlops-dev-bike-demand-runtime';
const DIGEST = 'sha256:' + '3f'.repeat(32);

let arm: FakeArm;
let driver: ReleaseDriver;
let cleanup: () => Promise<void>;
let credential: { calls: number };
let ca: string;

beforeAll(async () => {
  const started = await startArm();
  arm = started.arm;
  cleanup = started.cleanup;
  credential = started.credential;
  ca = started.ca;
  driver = createAzureDriver({ credential: started.credential, endpoint: arm.url, pollIntervalMs: 5, retryDelayMs: 5, trustedCa: ca });
});
afterAll(() => cleanup());

beforeEach(() => {
  arm.environments.clear();
  arm.models.clear();
  arm.jobs.clear();
  arm.endpoints.clear();
  arm.deployments.clear();
  arm.autoscale.clear();
  arm.jobStates = ['Queued', 'Running', 'Completed'];
  arm.operationPolls = 1;
  arm.clearRequests();
});

describe('azure driver: training apply', () => {
  it('registers the environment, runs the command job, waits for it and registers the model version', async () => {
    // GIVEN an empty workspace WHEN the training step applies
    const ctx = fakeContext();
    const report = await driver.apply(specFixture('training'), ctx);

    // THEN the exact ARM calls, in order
    expect(arm.calls()).toEqual([
      `GET ~/environments/${ENV}/versions`,
      `PUT ~/environments/${ENV}/versions/1`,
      `GET ~/jobs/${JOB}`,
      `PUT ~/jobs/${JOB}`,
      `GET ~/jobs/${JOB}`,
      `GET ~/jobs/${JOB}`,
      `GET ~/jobs/${JOB}`,
      `GET ~/models/bike-demand/versions`,
      `PUT ~/models/bike-demand/versions/1`,
    ]);
    for (const r of arm.requests) {
      expect(r.path.startsWith(WS_PATH)).toBe(true);
      expect(r.query['api-version']).toBe(ML_API_VERSION);
      expect(r.authorization).toBe('Bearer fake-arm-token');
    }
    expect(credential.calls).toBeGreaterThan(0);

    // the environment: the image by digest and the scoring server's Azure ML routes on 8080
    const env = arm.requests[1]!.body;
    expect(env).toEqual({
      properties: {
        description: 'cdktf-mlops runtime image of release contoso-mlops-dev-bike-demand',
        tags: {
          'mlops.release': 'contoso-mlops-dev-bike-demand',
          'mlops.environment': expect.stringMatching(/^[0-9a-f]{12}$/),
          'mlops.image': DIGEST,
          'managed-by': 'cdktf-mlops',
        },
        image: `contosomlopsdevacr.azurecr.io/mlops-runtime@${DIGEST}`,
        osType: 'Linux',
        inferenceConfig: {
          livenessRoute: { path: '/', port: 8080 },
          readinessRoute: { path: '/ready', port: 8080 },
          scoringRoute: { path: '/score', port: 8080 },
        },
      },
    });

    // the job: `mlops train` on the cluster as the workload identity, data in, model out
    expect(arm.requests[3]!.body).toEqual({
      properties: {
        jobType: 'Command',
        displayName: 'contoso-mlops-dev-bike-demand 0a1b2c3d4e5f',
        experimentName: 'contoso-mlops-dev-bike-demand',
        description: 'Training of bike-demand for release contoso-mlops-dev-bike-demand, revision 0a1b2c3d4e5f (cdktf-mlops).',
        computeId: `${WS_PATH}/computes/train-cluster`,
        environmentId: `${WS_PATH}/environments/${ENV}/versions/1`,
        command: 'mlops train --data ${{inputs.training_data}} --out ${{outputs.model}} --drop casual,registered --max_iter 200 --model gbdt --target cnt',
        environmentVariables: { MLOPS_TRAINING_CONTRACT: 'azureml', DEFAULT_IDENTITY_CLIENT_ID: '6f3c2a1e-8d4b-4c59-9a7e-2b1d0c9e8f7a' },
        identity: { identityType: 'Managed', clientId: '6f3c2a1e-8d4b-4c59-9a7e-2b1d0c9e8f7a' },
        inputs: { training_data: { jobInputType: 'uri_file', mode: 'ReadOnlyMount', uri: `${DATASTORE}/datasets/bike/hour.csv` } },
        outputs: { model: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount', uri: `${DATASTORE}/models/bike-demand/0a1b2c3d4e5f/` } },
        limits: { jobLimitsType: 'Command', timeout: 'PT7200S' },
        resources: { instanceCount: 1 },
        tags: { 'mlops.release': 'contoso-mlops-dev-bike-demand', 'mlops.revision': '0a1b2c3d4e5f', 'mlops.image': DIGEST, 'managed-by': 'cdktf-mlops' },
      },
    });

    // the model version: the next integer, the revision in a tag, from the job's output folder
    expect(arm.requests[8]!.body).toEqual({
      properties: {
        description: 'bike-demand trained by job contoso-mlops-dev-bike-demand-0a1b2c3d4e5f (release contoso-mlops-dev-bike-demand, revision 0a1b2c3d4e5f).',
        properties: { 'mlops.revision': '0a1b2c3d4e5f' },
        tags: { 'mlops.release': 'contoso-mlops-dev-bike-demand', 'mlops.revision': '0a1b2c3d4e5f', 'mlops.image': DIGEST, 'managed-by': 'cdktf-mlops' },
        modelType: 'custom_model',
        modelUri: `${DATASTORE}/models/bike-demand/0a1b2c3d4e5f/`,
        jobName: JOB,
      },
    });

    // waited with the context's sleep, once per poll
    expect(ctx.sleeps).toEqual([5, 5, 5]);
    expect(report.actions.map((a) => `${a.action} ${a.what} ${a.id}`)).toEqual([
      `created environment ${ENV}:1`,
      `created training job ${JOB}`,
      'created model version bike-demand:1',
    ]);
    expect(report.outputs).toEqual({
      jobName: JOB,
      jobStatus: 'Completed',
      modelName: 'bike-demand',
      modelVersion: '1',
      modelVersionId: `${WS_PATH}/models/bike-demand/versions/1`,
      revision: '0a1b2c3d4e5f',
      environment: `${ENV}:1`,
    });
  });

  it('is idempotent: a second apply only reads, and says nothing changed', async () => {
    await driver.apply(specFixture('training'), fakeContext());
    arm.clearRequests();

    const report = await driver.apply(specFixture('training'), fakeContext());

    expect(arm.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET']);
    expect(arm.calls()).toEqual([`GET ~/environments/${ENV}/versions`, `GET ~/jobs/${JOB}`, `GET ~/models/bike-demand/versions`]);
    expect(report.actions.map((a) => a.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(report.outputs.modelVersion).toBe('1');
  });

  it('registers the next integer version after the versions already there, tagged with its own revision', async () => {
    await driver.apply(specFixture('training'), fakeContext());
    const next = specFixture('training', (s) => {
      s.revision = 'ffffeeee0000';
      s.training.jobName = 'contoso-mlops-dev-bike-demand-ffffeeee0000';
      s.azure.training.modelPath = 'models/bike-demand/ffffeeee0000';
    });
    arm.clearRequests();

    const report = await driver.apply(next, fakeContext());

    // same image: the environment is reused; a new job and model version 2
    expect(arm.calls()).toContain('PUT ~/models/bike-demand/versions/2');
    expect(arm.calls()).not.toContain(`PUT ~/environments/${ENV}/versions/2`);
    expect(arm.requests.find((r) => r.method === 'PUT' && r.path.endsWith('/versions/2'))!.body.properties.tags['mlops.revision']).toBe('ffffeeee0000');
    expect(report.outputs.modelVersion).toBe('2');
  });

  it('waits for a job that is already running instead of submitting it again', async () => {
    await driver.apply(specFixture('training'), fakeContext());
    arm.setJob(JOB, 'Running', ['Running', 'Finalizing', 'Completed']);
    arm.models.clear();
    arm.clearRequests();

    const ctx = fakeContext();
    const report = await driver.apply(specFixture('training'), ctx);

    expect(arm.calls().filter((c) => c.startsWith('PUT ~/jobs'))).toEqual([]);
    expect(arm.calls().filter((c) => c === `GET ~/jobs/${JOB}`)).toHaveLength(3);
    expect(report.actions.find((a) => a.what === 'training job')).toMatchObject({ action: 'waited', detail: 'found Running' });
    expect(ctx.lines).toContain(`training job ${JOB} is Running; waiting for it`);
    expect(report.outputs.modelVersion).toBe('1');
  });

  it('fails with the job status, where to read its log, and registers nothing when the job fails', async () => {
    arm.jobStates = ['Queued', 'Failed'];

    const err = await driver.apply(specFixture('training'), fakeContext()).catch((e) => e);

    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.code).toBe('TRAINING_FAILED');
    expect(err.message).toContain(`Training job ${JOB} failed (status Failed).`);
    expect(err.message).toContain(`https://ml.azure.com/runs/${JOB}`);
    expect(err.message).toContain(`az ml job stream --name ${JOB} --resource-group contoso-mlops-dev-rg --workspace-name contoso-mlops-dev-mlw`);
    expect(arm.calls().some((c) => c.startsWith('PUT ~/models'))).toBe(false);
  });

  it('reports a job that was canceled', async () => {
    arm.jobStates = ['Canceled'];
    await expect(driver.apply(specFixture('training'), fakeContext())).rejects.toMatchObject({ code: 'TRAINING_CANCELED' });
  });

  it('gives up after the run time limit plus the queueing allowance, saying a re-run resumes the job', async () => {
    arm.jobStates = ['Queued'];
    const spec = specFixture('training', (s) => (s.training.maxRuntimeSeconds = 60));
    const ctx = fakeContext();
    // each poll sleeps 30 s of fake time: 60 s + 3600 s ⇒ about 122 polls
    const slow = createAzureDriver({
      credential: { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3600_000 }) },
      endpoint: arm.url,
      pollIntervalMs: 30_000,
      retryDelayMs: 5,
      trustedCa: ca,
    });
    arm.operationPolls = 0;

    const err = await slow.apply(spec, ctx).catch((e) => e);

    expect(err).toMatchObject({ code: 'TRAINING_TIMEOUT' });
    expect(err.message).toContain('is still Queued after 61 minutes');
    expect(err.message).toContain('Run the release again to keep waiting');
    expect(ctx.sleeps.length).toBe(123);
  });

  it('retries 429 (Retry-After: 0) and 503 through the SDK retry policy, then succeeds', async () => {
    arm.inject({
      method: 'GET',
      path: /\/environments\/[^/]+\/versions$/,
      status: 429,
      headers: { 'retry-after': '0' },
      body: { error: { code: 'TooManyRequests', message: 'slow down' } },
    });
    arm.inject({ method: 'PUT', path: /\/jobs\/[^/]+$/, status: 503, body: { error: { code: 'ServiceUnavailable', message: 'try again' } } });

    const started = Date.now();
    await driver.apply(specFixture('training'), fakeContext());

    expect(arm.calls().slice(0, 2)).toEqual([`GET ~/environments/${ENV}/versions`, `GET ~/environments/${ENV}/versions`]);
    expect(arm.calls().filter((c) => c === `PUT ~/jobs/${JOB}`)).toHaveLength(2);
    expect(arm.jobs.get(JOB)!.properties.status).toBe('Completed');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("fails on a 400 with the operation and Azure's own message, without retrying", async () => {
    arm.inject({
      method: 'PUT',
      path: /\/jobs\/[^/]+$/,
      status: 400,
      body: { error: { code: 'UserError', message: 'Compute train-cluster is not found in the workspace.' } },
    });

    const err = await driver.apply(specFixture('training'), fakeContext()).catch((e) => e);

    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.code).toBe('CLOUD_REQUEST_FAILED');
    expect(err.message).toBe(`create training job ${JOB} failed (HTTP 400 UserError): Compute train-cluster is not found in the workspace.`);
    expect(arm.calls().filter((c) => c.startsWith('PUT ~/jobs'))).toHaveLength(1);
  });

  it('says how to sign in on a 401 and which role is missing on a 403', async () => {
    arm.inject({ method: 'GET', path: /\/environments\//, status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } } });
    await expect(driver.apply(specFixture('training'), fakeContext())).rejects.toThrow(
      /HTTP 401 InvalidAuthenticationToken\): The access token is invalid\. Fix: sign in \(az login/,
    );
    arm.inject({ method: 'GET', path: /\/environments\//, status: 403, body: { error: { code: 'AuthorizationFailed', message: 'The client does not have authorization.' } } });
    await expect(driver.apply(specFixture('training'), fakeContext())).rejects.toThrow(/HTTP 403 AuthorizationFailed\).*AzureML Data Scientist/);
  });

  it('refuses a setting name or value that would break the command, before any request', async () => {
    const bad = specFixture('training', (s) => (s.training.hyperparameters = { 'x; rm -rf /': '1', target: 'a${{inputs.secret}}' }));

    const err = await driver.apply(bad, fakeContext()).catch((e) => e);

    expect(err).toBeInstanceOf(ReleaseSpecError);
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual(['training.hyperparameters.target', 'training.hyperparameters.x; rm -rf /']);
    expect(arm.requests).toHaveLength(0);
  });

  it('quotes setting values for the shell', () => {
    const spec = specFixture('training', (s) => (s.training.hyperparameters = { target: 'total count', note: "it's" }));
    expect(trainCommand(spec.training!)).toBe(`mlops train --data \${{inputs.training_data}} --out \${{outputs.model}} --note 'it'\\''s' --target 'total count'`);
  });

  it('names every bad field of the azure target, before any request', async () => {
    const bad = specFixture('training', (s) => {
      s.azure.identity.clientId = 'not-a-guid';
      s.azure.training.dataPath = '../secrets.csv';
      delete s.azure.location;
    });

    const err = await driver.apply(bad, fakeContext()).catch((e) => e);

    expect(err).toBeInstanceOf(ReleaseSpecError);
    expect(err.issues.map((i: { path: string }) => i.path).sort()).toEqual(['azure.identity.clientId', 'azure.location', 'azure.training.dataPath']);
    expect(err.message).toContain('azure.identity.clientId: must be a GUID');
    expect(arm.requests).toHaveLength(0);
  });

  it('needs the training part of the target for a training spec', async () => {
    const bad = specFixture('training', (s) => delete s.azure.training);
    await expect(driver.apply(bad, fakeContext())).rejects.toThrow(/azure\.training: is required when kind is training/);
  });

  it('takes the ARM endpoint from MLOPS_AZURE_ARM_ENDPOINT and refuses one that is not https', async () => {
    const envDriver = createAzureDriver({
      credential: { getToken: async () => ({ token: 'fake-arm-token', expiresOnTimestamp: Date.now() + 3600_000 }) },
      pollIntervalMs: 5,
      trustedCa: ca,
    });
    await envDriver.apply(specFixture('training'), fakeContext({ [ARM_ENDPOINT_ENV]: arm.url }));
    expect(arm.jobs.has(JOB)).toBe(true);

    await expect(envDriver.apply(specFixture('training'), fakeContext({ [ARM_ENDPOINT_ENV]: 'http://127.0.0.1:1' }))).rejects.toMatchObject({ code: 'BAD_ENDPOINT' });
  });

  it('is the driver mlops release loads for cloud azure', () => {
    expect(driverFor('azure')).toBe(azureDriver);
  });
});

describe('azure driver: training destroy', () => {
  it('on cdktf destroy deletes the model version, the job and the environment it registered', async () => {
    await driver.apply(specFixture('training'), fakeContext());
    arm.clearRequests();

    const report = await driver.destroy(specFixture('training'), fakeContext());

    expect(arm.calls().filter((c) => !c.includes('mfeOperation'))).toEqual([
      'GET ~/models/bike-demand/versions',
      'DELETE ~/models/bike-demand/versions/1',
      'DELETE ~/models/bike-demand',
      `GET ~/jobs/${JOB}`,
      `DELETE ~/jobs/${JOB}`,
      `GET ~/environments/${ENV}/versions`,
      `DELETE ~/environments/${ENV}/versions/1`,
      `DELETE ~/environments/${ENV}`,
    ]);
    // the job delete is a long-running operation: 202 + Location, polled until done
    expect(arm.requests.filter((r) => r.path.includes('mfeOperationResults')).length).toBeGreaterThanOrEqual(2);
    expect(arm.jobs.has(JOB)).toBe(false);
    expect(arm.models.size).toBe(0);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual([
      'deleted model version',
      'deleted model',
      'deleted training job',
      'deleted environment',
      'deleted environment',
    ]);
  });

  it('cancels a job that still runs before deleting it', async () => {
    await driver.apply(specFixture('training'), fakeContext());
    arm.setJob(JOB, 'Running', []);
    arm.clearRequests();

    const report = await driver.destroy(specFixture('training'), fakeContext());

    const calls = arm.calls().filter((c) => !c.includes('mfeOperation'));
    expect(calls.indexOf(`POST ~/jobs/${JOB}/cancel`)).toBeGreaterThan(-1);
    expect(calls.indexOf(`POST ~/jobs/${JOB}/cancel`)).toBeLessThan(calls.indexOf(`DELETE ~/jobs/${JOB}`));
    expect(report.actions.find((a) => a.what === 'training job' && a.action === 'updated')?.detail).toBe('canceled (was Running)');
    expect(arm.jobs.has(JOB)).toBe(false);
  });

  it('when superseded by a newer revision keeps the model version and the job, and only reads', async () => {
    await driver.apply(specFixture('training'), fakeContext());
    const newer = specFixture('training', (s) => {
      s.revision = 'ffffeeee0000';
      s.training.jobName = 'contoso-mlops-dev-bike-demand-ffffeeee0000';
      s.azure.training.modelPath = 'models/bike-demand/ffffeeee0000';
    });
    await driver.apply(newer, fakeContext());
    arm.clearRequests();

    const report = await driver.destroy(specFixture('training'), fakeContext());

    expect(arm.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(report.outputs).toEqual({ superseded: 'true' });
    expect(report.actions.map((a) => `${a.action} ${a.what} ${a.id}`)).toEqual(['kept model version bike-demand:1', `kept training job ${JOB}`]);
    expect(arm.models.get('bike-demand')!.size).toBe(2);
  });

  it('finds nothing to delete when the release never ran', async () => {
    const report = await driver.destroy(specFixture('training'), fakeContext());
    expect(report.actions).toEqual([{ action: 'unchanged', what: 'training job', id: JOB, detail: 'nothing of this revision was found' }]);
  });
});

describe('azure driver: release step instance (training)', () => {
  // Two terraform_data instances of the same spec: A is replaced by B (terraform apply -replace, or an image rebuilt from the same content).
  const A = '5f0c3e1a-0b6d-4c1e-9a7f-2d3c4b5a6e7f';
  const B = 'c2a9d8e7-6f5b-4a3c-8d2e-1f0a9b8c7d6e';
  const step = (id: string) => fakeContext({ MLOPS_RELEASE_INSTANCE: id });
  const modelPut = () => arm.requests.filter((r) => r.method === 'PUT' && r.path.startsWith(`${WS_PATH}/models/`));
  const TODAY_DESTROY = [
    'GET ~/models/bike-demand/versions',
    'DELETE ~/models/bike-demand/versions/1',
    'DELETE ~/models/bike-demand',
    `GET ~/jobs/${JOB}`,
    `DELETE ~/jobs/${JOB}`,
    `GET ~/environments/${ENV}/versions`,
    `DELETE ~/environments/${ENV}/versions/1`,
    `DELETE ~/environments/${ENV}`,
  ];

  it('marks the model version with the instance; a replacement of the same spec re-tags it with one PUT, then only reads', async () => {
    await driver.apply(specFixture('training'), step(A));
    const first = modelPut()[0]!.body.properties;
    expect(first.tags['mlops.step']).toBe(A);
    arm.clearRequests();

    const report = await driver.apply(specFixture('training'), step(B));

    // everything else unchanged: the job is reused, the version is PUT again as it is, with the new mark
    expect(arm.calls()).toEqual([`GET ~/environments/${ENV}/versions`, `GET ~/jobs/${JOB}`, 'GET ~/models/bike-demand/versions', 'PUT ~/models/bike-demand/versions/1']);
    const { tags, ...rest } = modelPut()[0]!.body.properties;
    const { tags: firstTags, ...firstRest } = first;
    expect(tags).toEqual({ ...firstTags, 'mlops.step': B });
    expect(rest).toEqual({ ...firstRest, isAnonymous: false, isArchived: false });
    expect(report.actions.at(-1)).toEqual({ action: 'updated', what: 'model version tags', id: 'bike-demand:1', detail: `mlops.step=${B} (was ${A})` });
    expect(report.outputs.modelVersion).toBe('1');
    expect(arm.models.get('bike-demand')!.get('1')!.properties.tags['mlops.step']).toBe(B);

    arm.clearRequests();
    const again = await driver.apply(specFixture('training'), step(B));
    expect(arm.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(again.actions.at(-1)).toMatchObject({ action: 'unchanged', what: 'model version' });
  });

  it("same-spec replacement: the old step's destroy keeps the model version, the job and the environment, and only reads", async () => {
    // GIVEN step A applied, then its replacement B of the same spec (create before destroy)
    await driver.apply(specFixture('training'), step(A));
    await driver.apply(specFixture('training'), step(B));
    arm.clearRequests();

    // WHEN A's destroy runs
    const ctx = step(A);
    const report = await driver.destroy(specFixture('training'), ctx);

    // THEN nothing is deleted
    expect(arm.calls()).toEqual(['GET ~/models/bike-demand/versions']);
    expect(report.outputs).toEqual({ superseded: 'true' });
    expect(report.actions.map((a) => `${a.action} ${a.what} ${a.id}`)).toEqual(['kept model version bike-demand:1', `kept training job ${JOB}`]);
    expect(report.actions[0]!.detail).toBe(`release step ${B} applied revision 0a1b2c3d4e5f last (mlops.step), this step is ${A}: superseded by a step of the same spec`);
    expect(arm.models.get('bike-demand')!.size).toBe(1);
    expect(arm.jobs.has(JOB)).toBe(true);
    expect(arm.environments.get(ENV)!.size).toBe(1);

    // and B's destroy (cdktf destroy later) deletes as before
    arm.clearRequests();
    await driver.destroy(specFixture('training'), step(B));
    expect(arm.calls().filter((c) => !c.includes('mfeOperation'))).toEqual(TODAY_DESTROY);
    expect(arm.models.size).toBe(0);
    expect(arm.jobs.size).toBe(0);
  });

  it('a real destroy with the matching instance deletes as before', async () => {
    await driver.apply(specFixture('training'), step(A));
    arm.clearRequests();

    const report = await driver.destroy(specFixture('training'), step(A));

    expect(arm.calls().filter((c) => !c.includes('mfeOperation'))).toEqual(TODAY_DESTROY);
    expect(report.outputs).toEqual({});
    expect(arm.models.size).toBe(0);
    expect(arm.jobs.has(JOB)).toBe(false);
  });

  it('a newer revision still supersedes, whatever the instances', async () => {
    await driver.apply(specFixture('training'), step(A));
    const newer = specFixture('training', (s) => {
      s.revision = 'ffffeeee0000';
      s.training.jobName = 'contoso-mlops-dev-bike-demand-ffffeeee0000';
      s.azure.training.modelPath = 'models/bike-demand/ffffeeee0000';
    });
    await driver.apply(newer, step(B));
    arm.clearRequests();

    const report = await driver.destroy(specFixture('training'), step(A));

    expect(arm.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(report.actions.map((a) => `${a.action} ${a.what} ${a.detail}`)).toEqual([
      'kept model version superseded: kept as history',
      'kept training job superseded: kept as history',
    ]);
  });

  it('without an instance id (a run outside Terraform) marks nothing and destroys by revision only, saying so', async () => {
    // apply by hand: no mark
    const manual = fakeContext();
    await driver.apply(specFixture('training'), manual);
    expect(modelPut()[0]!.body.properties.tags).not.toHaveProperty('mlops.step');
    expect(manual.lines).toContain('MLOPS_RELEASE_INSTANCE is not set (a run outside Terraform): the model version is not marked with mlops.step');

    // a step's destroy of an unmarked version (applied before instance ids) deletes as before
    arm.clearRequests();
    await driver.destroy(specFixture('training'), step(A));
    expect(arm.calls().filter((c) => !c.includes('mfeOperation'))).toEqual(TODAY_DESTROY);

    // a destroy by hand of a version marked by a step deletes as before, and says why it cannot tell
    await driver.apply(specFixture('training'), step(B));
    arm.clearRequests();
    const ctx = fakeContext({ MLOPS_RELEASE_INSTANCE: '  ' });
    const report = await driver.destroy(specFixture('training'), ctx);
    expect(report.actions.map((a) => a.action)).toEqual(['deleted', 'deleted', 'deleted', 'deleted', 'deleted']);
    expect(ctx.lines).toContain(
      'MLOPS_RELEASE_INSTANCE is not set (a run outside Terraform): a replacement of this step with the same spec cannot be told from a real destroy; deciding by revision only',
    );
  });

  it('refuses an instance id that cannot be a tag, naming the variable and the value, before any request', async () => {
    const err = await driver.destroy(specFixture('training'), step('a b;rm -rf')).catch((e) => e);

    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.code).toBe('BAD_INSTANCE');
    expect(err.message).toContain('MLOPS_RELEASE_INSTANCE is "a b;rm -rf", which is not a release step instance id');
    expect(err.message).toContain('Fix: unset it');
    expect(arm.requests).toHaveLength(0);
  });
});
