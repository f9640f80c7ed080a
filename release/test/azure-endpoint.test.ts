import { ReleaseDriver, ReleaseError } from '../src/driver';
import { ReleaseSpec } from '../src/spec';
import * as path from 'path';
import { AUTOSCALE_API_VERSION, INFERENCE_ROUTES, createAzureDriver, deploymentBody, environmentBody, trafficSteps } from '../src/azure';
import { AzureTargetSchema } from '../src/azure/target';
import { FakeArm, ML_API_VERSION } from './fixtures/azure/fake-arm';
import { fakeContext, specFixture, startArm } from './fixtures/azure/harness';

const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const RG_PATH = `/subscriptions/${SUB}/resourceGroups/contoso-mlops-dev-rg`;
const WS_PATH = `${RG_PATH}/providers/Microsoft.MachineLearningServices/workspaces/contoso-mlops-dev-mlw`;
const EP = 'contoso-mlops-dev-bike-demand';
const ENV = 'contoso-mlops-dev-bike-demand-runtime';
const IDENTITY = `${RG_PATH}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/contoso-mlops-dev-id`;
const AUTOSCALE = (colour: string) => `PUT ${RG_PATH}/providers/Microsoft.Insights/autoscalesettings/${EP}-${colour}-autoscale`;

let arm: FakeArm;
let driver: ReleaseDriver;
let cleanup: () => Promise<void>;
/** A driver against the same server with other options. */
let driverWith: (options: { leaseRenewMs?: number }) => ReleaseDriver;

/** Revision B: a newer model (training step ran for it too), rolled out over revision A. */
function revisionB(change: (raw: any) => void = () => undefined): { training: ReleaseSpec; endpoint: ReleaseSpec } {
  return {
    training: specFixture('training', (s) => {
      s.revision = 'bbbbbbbbbbbb';
      s.training.jobName = 'contoso-mlops-dev-bike-demand-bbbbbbbbbbbb';
      s.azure.training.modelPath = 'models/bike-demand/bbbbbbbbbbbb';
    }),
    endpoint: specFixture('endpoint', (s) => {
      s.revision = 'bbbbbbbbbbbb';
      s.azure.endpoint.configHash = 'bbbb0000bbbb';
      change(s);
    }),
  };
}

/** Calls without the long-running-operation polls. */
function calls(): string[] {
  return arm.calls().filter((c) => !c.includes('/mfeOperation'));
}

beforeAll(async () => {
  const started = await startArm();
  arm = started.arm;
  cleanup = started.cleanup;
  const base = { credential: started.credential, endpoint: arm.url, pollIntervalMs: 5, retryDelayMs: 5, trustedCa: started.ca };
  driver = createAzureDriver(base);
  driverWith = (options) => createAzureDriver({ ...base, ...options });
});
afterAll(() => cleanup());

beforeEach(async () => {
  arm.environments.clear();
  arm.models.clear();
  arm.jobs.clear();
  arm.endpoints.clear();
  arm.deployments.clear();
  arm.autoscale.clear();
  arm.jobStates = ['Completed'];
  arm.operationPolls = 1;
  arm.onDeploymentGet = undefined;
  arm.failOperation = undefined;
  // The training step of revision A ran: its model version is registered.
  await driver.apply(specFixture('training'), fakeContext());
  arm.clearRequests();
});

describe('azure driver: endpoint apply', () => {
  it('creates the endpoint and the blue deployment, autoscaling, and gives it all traffic', async () => {
    const ctx = fakeContext();
    const report = await driver.apply(specFixture('endpoint'), ctx);

    expect(calls()).toEqual([
      'GET ~/models/bike-demand/versions',
      `GET ~/environments/${ENV}/versions`,
      `GET ~/onlineEndpoints/${EP}`,
      `PUT ~/onlineEndpoints/${EP}`,
      `GET ~/onlineEndpoints/${EP}`,
      `GET ~/onlineEndpoints/${EP}/deployments`,
      `PUT ~/onlineEndpoints/${EP}/deployments/blue`,
      `GET ~/onlineEndpoints/${EP}/deployments/blue`,
      AUTOSCALE('blue'),
      `PUT ~/onlineEndpoints/${EP}`,
      `GET ~/onlineEndpoints/${EP}`,
    ]);
    // every long-running PUT answered 201 + Azure-AsyncOperation, polled InProgress → Succeeded
    const polls = arm.requests.filter((r) => r.path.includes('/mfeOperationsStatus/'));
    expect(polls).toHaveLength(6);
    for (const r of arm.requests) {
      expect(r.query['api-version']).toBe(r.path.includes('Microsoft.Insights') ? AUTOSCALE_API_VERSION : ML_API_VERSION);
      expect(r.authorization).toBe('Bearer fake-arm-token');
    }

    const puts = arm.requests.filter((r) => r.method === 'PUT');
    // the endpoint: workload identity, token auth, public access off, no traffic yet
    expect(puts[0]!.path).toBe(`${WS_PATH}/onlineEndpoints/${EP}`);
    expect(puts[0]!.body).toEqual({
      location: 'westeurope',
      tags: { 'mlops.release': EP, 'managed-by': 'cdktf-mlops' },
      identity: { type: 'UserAssigned', userAssignedIdentities: { [IDENTITY]: {} } },
      properties: { authMode: 'AMLToken', description: `Scoring endpoint of release ${EP} (cdktf-mlops).`, publicNetworkAccess: 'Disabled', traffic: {} },
    });
    // the deployment: model version 1, the environment, probes on the server's routes, the mount the server reads
    expect(puts[1]!.body).toEqual({
      location: 'westeurope',
      tags: { 'mlops.release': EP, 'mlops.revision': '0a1b2c3d4e5f', 'mlops.config': 'aa11bb22cc33', 'managed-by': 'cdktf-mlops' },
      sku: { name: 'Default', capacity: 1 },
      properties: {
        endpointComputeType: 'Managed',
        description: `bike-demand, revision 0a1b2c3d4e5f (release ${EP}).`,
        model: `${WS_PATH}/models/bike-demand/versions/1`,
        modelMountPath: '/var/mlops/model',
        environmentId: `${WS_PATH}/environments/${ENV}/versions/1`,
        environmentVariables: {
          MLOPS_MODEL_DIR: '/var/mlops/model',
          MLOPS_MODEL_NAME: 'bike-demand',
          MLOPS_MODEL_VERSION: '0a1b2c3d4e5f',
          MLOPS_PORT: '8080',
          MLOPS_AZUREML_LIVENESS_ROUTE: '/',
          MLOPS_AZUREML_READINESS_ROUTE: '/ready',
          MLOPS_AZUREML_SCORING_ROUTE: '/score',
        },
        instanceType: 'Standard_DS3_v2',
        livenessProbe: { initialDelay: 'PT10S', period: 'PT10S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 30 },
        readinessProbe: { initialDelay: 'PT10S', period: 'PT10S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 3 },
        requestSettings: { maxConcurrentRequestsPerInstance: 8, requestTimeout: 'PT5S' },
        scaleSettings: { scaleType: 'Default' },
        appInsightsEnabled: true,
      },
    });
    // autoscale between min and max instances on the deployment's CPU
    const autoscale = puts[2]!.body;
    expect(autoscale.properties.targetResourceUri).toBe(`${WS_PATH}/onlineEndpoints/${EP}/deployments/blue`);
    expect(autoscale.properties.profiles[0].capacity).toEqual({ minimum: '1', maximum: '3', default: '1' });
    expect(
      autoscale.properties.profiles[0].rules.map((r: any) => `${r.metricTrigger.metricName} ${r.metricTrigger.operator} ${r.metricTrigger.threshold} → ${r.scaleAction.direction}`),
    ).toEqual(['CpuUtilizationPercentage GreaterThan 70 → Increase', 'CpuUtilizationPercentage LessThan 25 → Decrease']);
    // nothing served before: all traffic at once, no bake
    expect(puts[3]!.body.properties.traffic).toEqual({ blue: 100 });
    expect(ctx.sleeps).toEqual([]);

    expect(report.outputs).toEqual({
      endpointName: EP,
      scoringUri: `https://${EP}.westeurope.inference.ml.azure.com/score`,
      deployment: 'blue',
      modelName: 'bike-demand',
      modelVersion: '1',
      revision: '0a1b2c3d4e5f',
    });
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual([
      'unchanged environment',
      'created online endpoint',
      'created deployment',
      'updated autoscale setting',
      'updated traffic',
    ]);
  });

  it('is idempotent: a second apply only reads when the endpoint serves this revision with all traffic', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    arm.clearRequests();

    const report = await driver.apply(specFixture('endpoint'), fakeContext());

    expect(arm.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(calls()).toEqual(['GET ~/models/bike-demand/versions', `GET ~/environments/${ENV}/versions`, `GET ~/onlineEndpoints/${EP}`, `GET ~/onlineEndpoints/${EP}/deployments`]);
    expect(report.actions.at(-1)).toEqual({ action: 'unchanged', what: 'deployment', id: `${EP}/blue`, detail: 'serves revision 0a1b2c3d4e5f with 100% of traffic' });
  });

  it('rolls a new revision out canary-style: green takes 10%, bakes while healthy, takes all, blue is deleted', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    const b = revisionB();
    await driver.apply(b.training, fakeContext());
    arm.clearRequests();

    const ctx = fakeContext();
    const report = await driver.apply(b.endpoint, ctx);

    const traffic = arm.requests.filter((r) => r.method === 'PUT' && r.path === `${WS_PATH}/onlineEndpoints/${EP}`).map((r) => r.body.properties.traffic);
    expect(traffic).toEqual([{ green: 10, blue: 90 }, { green: 100 }]);
    // bakeMinutes 2: two checks a minute apart, each a GET of the deployment
    expect(ctx.sleeps).toEqual([60_000, 60_000]);
    expect(calls().filter((c) => c === `GET ~/onlineEndpoints/${EP}/deployments/green`).length).toBeGreaterThanOrEqual(3);
    // blue goes last, after green took all traffic: its autoscale setting, then the deployment (202 + Location, polled)
    expect(calls().slice(-2)).toEqual([`DELETE ${RG_PATH}/providers/Microsoft.Insights/autoscalesettings/${EP}-blue-autoscale`, `DELETE ~/onlineEndpoints/${EP}/deployments/blue`]);
    expect(arm.requests.find((r) => r.method === 'PUT' && r.path.endsWith('/deployments/green'))!.body.properties.model).toBe(`${WS_PATH}/models/bike-demand/versions/2`);
    expect([...arm.deployments.get(EP)!.keys()]).toEqual(['green']);
    expect(arm.autoscale.has(`${EP}-blue-autoscale`)).toBe(false);
    expect(report.outputs).toMatchObject({ deployment: 'green', modelVersion: '2', revision: 'bbbbbbbbbbbb' });
    expect(report.actions.filter((a) => a.what === 'traffic').map((a) => a.detail)).toEqual(['green 10%, blue 90%', 'green 100%']);
  });

  it('rolls out linearly in steps of stepPercent', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    const b = revisionB((s) => (s.endpoint.rollout = { strategy: 'linear', canaryPercent: 10, stepPercent: 25, bakeMinutes: 0 }));
    await driver.apply(b.training, fakeContext());
    arm.clearRequests();

    const ctx = fakeContext();
    await driver.apply(b.endpoint, ctx);

    const traffic = arm.requests.filter((r) => r.method === 'PUT' && r.path === `${WS_PATH}/onlineEndpoints/${EP}`).map((r) => r.body.properties.traffic);
    expect(traffic).toEqual([{ green: 25, blue: 75 }, { green: 50, blue: 50 }, { green: 75, blue: 25 }, { green: 100 }]);
    expect(ctx.sleeps).toEqual([]);
  });

  it('switches all at once when the rollout says so, and with min = max sets no autoscaling', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    const b = revisionB((s) => {
      s.endpoint.rollout.strategy = 'all-at-once';
      s.endpoint.maxInstances = 1;
    });
    await driver.apply(b.training, fakeContext());
    arm.clearRequests();

    await driver.apply(b.endpoint, fakeContext());

    const traffic = arm.requests.filter((r) => r.method === 'PUT' && r.path === `${WS_PATH}/onlineEndpoints/${EP}`).map((r) => r.body.properties.traffic);
    expect(traffic).toEqual([{ green: 100 }]);
    expect(calls().some((c) => c.startsWith(AUTOSCALE('green')))).toBe(false);
  });

  it('rolls back when the new deployment turns unhealthy during the bake: blue gets all traffic again, green is removed', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    const b = revisionB();
    await driver.apply(b.training, fakeContext());
    let reads = 0;
    arm.onDeploymentGet = (_endpoint, name, resource) => {
      if (name === 'green' && ++reads === 2) resource.properties.provisioningState = 'Failed';
    };
    arm.clearRequests();

    const err = await driver.apply(b.endpoint, fakeContext()).catch((e) => e);

    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.code).toBe('ROLLOUT_FAILED');
    expect(err.message).toContain('deployment green became Failed at 10% of traffic');
    expect(err.message).toContain(`az ml online-deployment get-logs --endpoint-name ${EP} --name green`);
    const traffic = arm.requests.filter((r) => r.method === 'PUT' && r.path === `${WS_PATH}/onlineEndpoints/${EP}`).map((r) => r.body.properties.traffic);
    expect(traffic).toEqual([{ green: 10, blue: 90 }, { blue: 100 }]);
    expect([...arm.deployments.get(EP)!.keys()]).toEqual(['blue']);
    expect(arm.endpoints.get(EP)!.properties.traffic).toEqual({ blue: 100 });
  });

  it('resumes an interrupted rollout at the share it reached: bakes that step again, then takes all traffic', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    const b = revisionB();
    await driver.apply(b.training, fakeContext());
    // an earlier run stopped after green took 10%
    const green: Record<string, any> = {
      ...arm.deployments.get(EP)!.get('blue')!,
      name: 'green',
      id: `${WS_PATH}/onlineEndpoints/${EP}/deployments/green`,
      tags: { 'mlops.release': EP, 'mlops.revision': 'bbbbbbbbbbbb', 'mlops.config': 'bbbb0000bbbb' },
    };
    green.properties = { ...green.properties, provisioningState: 'Succeeded' };
    arm.deployments.get(EP)!.set('green', green);
    arm.endpoints.get(EP)!.properties.traffic = { green: 10, blue: 90 };
    arm.clearRequests();

    const ctx = fakeContext();
    await driver.apply(b.endpoint, ctx);

    expect(calls().some((c) => c.startsWith(`PUT ~/onlineEndpoints/${EP}/deployments/`))).toBe(false);
    const traffic = arm.requests.filter((r) => r.method === 'PUT' && r.path === `${WS_PATH}/onlineEndpoints/${EP}`).map((r) => r.body.properties.traffic);
    expect(traffic).toEqual([{ green: 10, blue: 90 }, { green: 100 }]);
    expect(ctx.sleeps).toEqual([60_000, 60_000]);
    expect([...arm.deployments.get(EP)!.keys()]).toEqual(['green']);
  });

  it('reuses an idle slot a failed run left behind, and deletes only the previous colour', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    const b = revisionB();
    await driver.apply(b.training, fakeContext());
    // a leftover green of some earlier attempt, with no traffic
    const leftover = { ...arm.deployments.get(EP)!.get('blue')!, name: 'green', tags: { 'mlops.release': EP, 'mlops.revision': 'cccccccccccc', 'mlops.config': 'cccc0000cccc' } };
    arm.deployments.get(EP)!.set('green', leftover);
    arm.clearRequests();

    const report = await driver.apply(b.endpoint, fakeContext());

    expect(report.actions.find((a) => a.what === 'deployment')).toMatchObject({ action: 'updated', id: `${EP}/green` });
    expect(calls().filter((c) => c.startsWith('DELETE ~/'))).toEqual([`DELETE ~/onlineEndpoints/${EP}/deployments/blue`]);
    expect(arm.deployments.get(EP)!.get('green')!.tags['mlops.revision']).toBe('bbbbbbbbbbbb');
  });

  it('re-puts an endpoint whose creation failed before', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    arm.endpoints.get(EP)!.properties.provisioningState = 'Failed';
    arm.clearRequests();

    const report = await driver.apply(specFixture('endpoint'), fakeContext());

    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toContain('updated online endpoint');
    expect(arm.endpoints.get(EP)!.properties.provisioningState).toBe('Succeeded');
  });

  it("reports a deployment whose long-running operation fails, with the operation and Azure's message", async () => {
    arm.failOperation = { path: /\/deployments\/blue$/, code: 'ImagePullFailure', message: 'The image could not be pulled from the registry.' };

    const err = await driver.apply(specFixture('endpoint'), fakeContext()).catch((e) => e);

    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.code).toBe('CLOUD_REQUEST_FAILED');
    expect(err.message).toMatch(new RegExp(`^create deployment ${EP}/blue failed: .*ImagePullFailure.*The image could not be pulled from the registry\\.`));
  });

  it('refuses to touch an endpoint of the same name that another release owns', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    arm.endpoints.get(EP)!.tags = { 'mlops.release': 'someone-else' };
    arm.clearRequests();

    const err = await driver.apply(specFixture('endpoint'), fakeContext()).catch((e) => e);

    expect(err).toMatchObject({ code: 'ENDPOINT_TAKEN' });
    expect(err.message).toContain('belongs to release someone-else');
    expect(arm.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('says to run the training step first when no model version carries the revision', async () => {
    arm.models.clear();
    const err = await driver.apply(specFixture('endpoint'), fakeContext()).catch((e) => e);
    expect(err).toMatchObject({ code: 'MODEL_NOT_REGISTERED' });
    expect(err.message).toContain('tagged mlops.revision=0a1b2c3d4e5f');
    expect(calls()).toEqual(['GET ~/models/bike-demand/versions']);
  });

  it('brings an existing endpoint back to the spec (auth mode, public access) keeping its traffic', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    arm.endpoints.get(EP)!.properties.publicNetworkAccess = 'Enabled';
    arm.clearRequests();

    const report = await driver.apply(specFixture('endpoint'), fakeContext());

    const put = arm.requests.find((r) => r.method === 'PUT')!;
    expect(put.body.properties).toMatchObject({ publicNetworkAccess: 'Disabled', traffic: { blue: 100 } });
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['unchanged environment', 'updated online endpoint', 'unchanged deployment']);
  });

  it('needs the endpoint part of the target for an endpoint spec', async () => {
    const bad = specFixture('endpoint', (s) => delete s.azure.endpoint);
    await expect(driver.apply(bad, fakeContext())).rejects.toThrow(/azure\.endpoint: is required when kind is endpoint/);
    expect(arm.requests).toHaveLength(0);
  });
});

describe('azure driver: endpoint destroy', () => {
  it('on cdktf destroy deletes the endpoint (long-running DELETE) and the autoscale settings', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    arm.clearRequests();

    const report = await driver.destroy(specFixture('endpoint'), fakeContext());

    expect(calls()).toEqual([
      `GET ~/onlineEndpoints/${EP}`,
      `GET ~/onlineEndpoints/${EP}/deployments`,
      `DELETE ${RG_PATH}/providers/Microsoft.Insights/autoscalesettings/${EP}-blue-autoscale`,
      `DELETE ~/onlineEndpoints/${EP}`,
    ]);
    expect(arm.requests.filter((r) => r.path.includes('/mfeOperationResults/')).length).toBeGreaterThanOrEqual(2);
    expect(arm.endpoints.has(EP)).toBe(false);
    expect(arm.autoscale.size).toBe(0);
    expect(report.actions).toEqual([{ action: 'deleted', what: 'online endpoint', id: EP, detail: 'with deployments blue' }]);
  });

  it('when superseded (the endpoint serves a newer revision) deletes only its own deployment, if still there', async () => {
    // GIVEN green serves revision B, and blue (revision A) is a leftover with no traffic
    await driver.apply(specFixture('endpoint'), fakeContext());
    const b = revisionB();
    await driver.apply(b.training, fakeContext());
    await driver.apply(b.endpoint, fakeContext());
    const blue = { ...arm.deployments.get(EP)!.get('green')!, name: 'blue', tags: { 'mlops.release': EP, 'mlops.revision': '0a1b2c3d4e5f', 'mlops.config': 'aa11bb22cc33' } };
    arm.deployments.get(EP)!.set('blue', blue);
    arm.clearRequests();

    // WHEN the old step's destroy runs
    const report = await driver.destroy(specFixture('endpoint'), fakeContext());

    // THEN only blue goes; the endpoint and green stay
    expect(calls()).toEqual([
      `GET ~/onlineEndpoints/${EP}`,
      `GET ~/onlineEndpoints/${EP}/deployments`,
      `DELETE ${RG_PATH}/providers/Microsoft.Insights/autoscalesettings/${EP}-blue-autoscale`,
      `DELETE ~/onlineEndpoints/${EP}/deployments/blue`,
    ]);
    expect(arm.endpoints.has(EP)).toBe(true);
    expect([...arm.deployments.get(EP)!.keys()]).toEqual(['green']);
    expect(report.outputs).toEqual({ superseded: 'true' });
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['deleted deployment', 'kept online endpoint']);

    // and once blue is gone, a second run only reads
    arm.clearRequests();
    await driver.destroy(specFixture('endpoint'), fakeContext());
    expect(arm.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('finds nothing to do when the endpoint is gone', async () => {
    const report = await driver.destroy(specFixture('endpoint'), fakeContext());
    expect(report.actions).toEqual([{ action: 'unchanged', what: 'online endpoint', id: EP, detail: 'not found: nothing to delete' }]);
  });
});

describe('trafficSteps', () => {
  const rollout = { strategy: 'canary' as const, canaryPercent: 10, stepPercent: 30, bakeMinutes: 5 };
  it.each([
    ['canary', { ...rollout }, true, [10, 100]],
    ['linear 30', { ...rollout, strategy: 'linear' as const }, true, [30, 60, 90, 100]],
    ['all-at-once', { ...rollout, strategy: 'all-at-once' as const }, true, [100]],
    ['canary, nothing served yet', { ...rollout }, false, [100]],
  ])('%s', (_name, r, live, expected) => {
    expect(trafficSteps(r, live)).toEqual(expected);
  });
});

describe("contract with the runtime's scoring server", () => {
  // The server's own settings reader (training-image/src/serve/config.ts), loaded by path: it is another workspace.
  const { serveConfig } = require(path.join(__dirname, '..', '..', 'training-image', 'src', 'serve', 'config')) as {
    serveConfig: (env: NodeJS.ProcessEnv) => { port: number; routes: { azureLiveness: string; azureReadiness: string; azureScoring: string } };
  };
  const spec = specFixture('endpoint');
  const target = AzureTargetSchema.parse(spec.azure);
  const inference = environmentBody(spec).body.properties.inferenceConfig!;

  it.each([
    ["the deployment's environment variables", deploymentBody(spec, target, 'env-id', 'model-id').properties.environmentVariables as NodeJS.ProcessEnv],
    ["the server's defaults (no variables)", {}],
  ])("the environment's probe and scoring routes and port are where the server listens, with %s", (_name, env) => {
    const config = serveConfig(env);
    expect(inference.livenessRoute).toEqual({ path: config.routes.azureLiveness, port: config.port });
    expect(inference.readinessRoute).toEqual({ path: config.routes.azureReadiness, port: config.port });
    expect(inference.scoringRoute).toEqual({ path: config.routes.azureScoring, port: config.port });
    expect(INFERENCE_ROUTES.port).toBe(config.port);
  });
});

describe('azure driver: release step instance (endpoint)', () => {
  // Two terraform_data instances of the same spec: A is replaced by B (terraform apply -replace, or an image rebuilt from the same content).
  const A = '5f0c3e1a-0b6d-4c1e-9a7f-2d3c4b5a6e7f';
  const B = 'c2a9d8e7-6f5b-4a3c-8d2e-1f0a9b8c7d6e';
  const C = '0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a';
  const step = (id: string) => fakeContext({ MLOPS_RELEASE_INSTANCE: id });
  const endpointPuts = () => arm.requests.filter((r) => r.method === 'PUT' && r.path === `${WS_PATH}/onlineEndpoints/${EP}`).map((r) => r.body);
  const TODAY_DESTROY = [
    `GET ~/onlineEndpoints/${EP}`,
    `GET ~/onlineEndpoints/${EP}/deployments`,
    `DELETE ${RG_PATH}/providers/Microsoft.Insights/autoscalesettings/${EP}-blue-autoscale`,
    `DELETE ~/onlineEndpoints/${EP}`,
  ];

  it('marks the endpoint with the instance when a rollout completes, and not before', async () => {
    await driver.apply(specFixture('endpoint'), step(A));
    // created unmarked, marked by the traffic change that completes the rollout
    expect(endpointPuts().map((b) => [b.properties.traffic, b.tags['mlops.step']])).toEqual([
      [{}, undefined],
      [{ blue: 100 }, A],
    ]);
    expect(arm.endpoints.get(EP)!.tags).toEqual({ 'mlops.release': EP, 'mlops.step': A, 'managed-by': 'cdktf-mlops' });

    // a canary of a newer revision by step C: the 10% step keeps A's mark, 100% takes C's
    const b = revisionB();
    await driver.apply(b.training, fakeContext());
    arm.clearRequests();
    await driver.apply(b.endpoint, step(C));
    expect(endpointPuts().map((body) => [body.properties.traffic, body.tags['mlops.step']])).toEqual([
      [{ green: 10, blue: 90 }, A],
      [{ green: 100 }, C],
    ]);
  });

  it("same-spec replacement: the new step takes the mark over with one PUT keeping traffic; the old step's destroy deletes nothing", async () => {
    // GIVEN step A serves the revision
    await driver.apply(specFixture('endpoint'), step(A));
    arm.clearRequests();

    // WHEN its replacement B of the same spec applies (create before destroy)
    const report = await driver.apply(specFixture('endpoint'), step(B));

    // THEN B only re-marks the endpoint, traffic and deployment as they are
    // (the PUT is long-running: polled, then the endpoint read back)
    expect(calls()).toEqual([
      'GET ~/models/bike-demand/versions',
      `GET ~/environments/${ENV}/versions`,
      `GET ~/onlineEndpoints/${EP}`,
      `GET ~/onlineEndpoints/${EP}/deployments`,
      `PUT ~/onlineEndpoints/${EP}`,
      `GET ~/onlineEndpoints/${EP}`,
    ]);
    expect(endpointPuts()).toEqual([
      {
        location: 'westeurope',
        tags: { 'mlops.release': EP, 'mlops.step': B, 'managed-by': 'cdktf-mlops' },
        identity: { type: 'UserAssigned', userAssignedIdentities: { [IDENTITY]: {} } },
        properties: { authMode: 'AMLToken', description: `Scoring endpoint of release ${EP} (cdktf-mlops).`, publicNetworkAccess: 'Disabled', traffic: { blue: 100 } },
      },
    ]);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['unchanged environment', 'unchanged deployment', 'updated online endpoint tags']);
    expect(report.actions.at(-1)!.detail).toBe(`mlops.step=${B} (was ${A})`);
    expect(report.outputs).toMatchObject({ deployment: 'blue', modelVersion: '1' });

    // a second run of B only reads
    arm.clearRequests();
    await driver.apply(specFixture('endpoint'), step(B));
    expect(arm.requests.every((r) => r.method === 'GET')).toBe(true);

    // AND A's destroy then keeps the endpoint, blue and its autoscaling, and only reads
    arm.clearRequests();
    const ctx = step(A);
    const destroyed = await driver.destroy(specFixture('endpoint'), ctx);
    expect(calls()).toEqual([`GET ~/onlineEndpoints/${EP}`, `GET ~/onlineEndpoints/${EP}/deployments`]);
    expect(arm.endpoints.get(EP)!.properties.traffic).toEqual({ blue: 100 });
    expect([...arm.deployments.get(EP)!.keys()]).toEqual(['blue']);
    expect(arm.autoscale.has(`${EP}-blue-autoscale`)).toBe(true);
    expect(destroyed.outputs).toEqual({ superseded: 'true' });
    expect(destroyed.actions.map((a) => `${a.action} ${a.what} ${a.id}`)).toEqual([`kept deployment ${EP}/blue`, `kept online endpoint ${EP}`]);
    expect(destroyed.actions.at(-1)!.detail).toBe(`release step ${B} applied last (mlops.step), this step is ${A}: superseded by a step of the same spec`);

    // and B's destroy (cdktf destroy later) deletes as before
    arm.clearRequests();
    await driver.destroy(specFixture('endpoint'), step(B));
    expect(calls()).toEqual(TODAY_DESTROY);
    expect(arm.endpoints.has(EP)).toBe(false);
  });

  it('a real destroy with the matching instance deletes the endpoint as before', async () => {
    await driver.apply(specFixture('endpoint'), step(A));
    arm.clearRequests();

    const report = await driver.destroy(specFixture('endpoint'), step(A));

    expect(calls()).toEqual(TODAY_DESTROY);
    expect(report.actions).toEqual([{ action: 'deleted', what: 'online endpoint', id: EP, detail: 'with deployments blue' }]);
    expect(arm.endpoints.has(EP)).toBe(false);
    expect(arm.autoscale.size).toBe(0);
  });

  it("a rollout rolled back keeps the previous step's mark, so that step's real destroy still deletes the endpoint", async () => {
    await driver.apply(specFixture('endpoint'), step(A));
    const b = revisionB();
    await driver.apply(b.training, fakeContext());
    let reads = 0;
    arm.onDeploymentGet = (_endpoint, name, resource) => {
      if (name === 'green' && ++reads === 2) resource.properties.provisioningState = 'Failed';
    };
    arm.clearRequests();

    await expect(driver.apply(b.endpoint, step(C))).rejects.toMatchObject({ code: 'ROLLOUT_FAILED' });
    // the 10% step and the rollback both kept A's mark
    expect(endpointPuts().map((body) => [body.properties.traffic, body.tags['mlops.step']])).toEqual([
      [{ green: 10, blue: 90 }, A],
      [{ blue: 100 }, A],
    ]);
    expect(arm.endpoints.get(EP)!.tags['mlops.step']).toBe(A);

    arm.clearRequests();
    await driver.destroy(specFixture('endpoint'), step(A));
    expect(arm.endpoints.has(EP)).toBe(false);
  });

  it('an update of the endpoint to the spec keeps the mark it finds', async () => {
    await driver.apply(specFixture('endpoint'), step(A));
    arm.endpoints.get(EP)!.properties.publicNetworkAccess = 'Enabled';
    arm.clearRequests();

    await driver.apply(specFixture('endpoint'), step(A));

    expect(endpointPuts()).toHaveLength(1);
    expect(endpointPuts()[0]!.tags['mlops.step']).toBe(A);
    expect(endpointPuts()[0]!.properties).toMatchObject({ publicNetworkAccess: 'Disabled', traffic: { blue: 100 } });
  });

  it('without an instance id (a run outside Terraform) keeps the mark and destroys by revision only, saying so', async () => {
    // an endpoint applied before instance ids (unmarked): a step's destroy deletes it as before
    await driver.apply(specFixture('endpoint'), fakeContext());
    expect(arm.endpoints.get(EP)!.tags).not.toHaveProperty('mlops.step');
    arm.clearRequests();
    await driver.destroy(specFixture('endpoint'), step(A));
    expect(calls()).toEqual(TODAY_DESTROY);

    // marked by a step, then applied by hand: the mark stays, nothing is written
    await driver.apply(specFixture('endpoint'), step(B));
    arm.clearRequests();
    const manual = fakeContext();
    await driver.apply(specFixture('endpoint'), manual);
    expect(arm.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(arm.endpoints.get(EP)!.tags['mlops.step']).toBe(B);
    expect(manual.lines).toContain('MLOPS_RELEASE_INSTANCE is not set (a run outside Terraform): the online endpoint keeps its mlops.step mark');

    // a destroy by hand deletes as before, and says why it cannot tell
    arm.clearRequests();
    const ctx = fakeContext();
    await driver.destroy(specFixture('endpoint'), ctx);
    expect(calls()).toEqual(TODAY_DESTROY);
    expect(ctx.lines).toContain(
      'MLOPS_RELEASE_INSTANCE is not set (a run outside Terraform): a replacement of this step with the same spec cannot be told from a real destroy; deciding by revision only',
    );
  });
});

describe('azure driver: the rollout lease (an endpoint a pipeline promoter also rolls out to)', () => {
  const CONTAINER = 'mlops-artifacts';
  const LEASE = `${CONTAINER}/pipelines/bike-demand/registry/demand-forecast/.promote-lease`;
  const JOB = 'contoso-mlops-dev-bike-promote';
  /** What AzurePipelinePromoter adds to the endpoint's spec. */
  const lease = (s: any) =>
    (s.azure.endpoint.lease = {
      blobEndpoint: `${arm.url}/storage/blob`,
      container: CONTAINER,
      registryPrefix: 'pipelines/bike-demand/',
      model: 'demand-forecast',
      promoterJob: JOB,
      promotionTimeoutSeconds: 3600,
    });
  const leased = (change: (s: any) => void = () => undefined) =>
    specFixture('endpoint', (s) => {
      lease(s);
      change(s);
    });
  /** `METHOD path[?comp=lease action]` of every request, storage and ARM, in order (no operation polls). */
  const sequence = () =>
    arm.requests
      .filter((r) => !r.path.includes('/mfeOperation'))
      .map((r) => (r.path.startsWith('/storage/blob/') ? `${r.method} ${r.path.replace('/storage/blob/', '')}${r.query.comp ? '?comp=lease' : ''}` : 'ARM'));
  const leaseCalls = () => sequence().filter((c) => c !== 'ARM');
  /** Waits (real time, bounded) until `cond` holds; the test's own expectations say whether it did. */
  const until = async (cond: () => boolean, ms = 5000) => {
    for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 5));
  };

  beforeEach(() => arm.blobs.clear());

  it('takes the lease before its first request to ARM and gives it back after its last; on the first deploy it creates the lease blob', async () => {
    const ctx = fakeContext();
    await driver.apply(leased(), ctx);

    const seq = sequence();
    // the lease: not there (404), the blob created once (If-None-Match: *), taken; ARM; then released
    expect(seq.slice(0, 3)).toEqual([`PUT ${LEASE}?comp=lease`, `PUT ${LEASE}`, `PUT ${LEASE}?comp=lease`]);
    expect(seq.slice(3, -1).every((c) => c === 'ARM')).toBe(true);
    expect(seq.slice(3, -1).length).toBeGreaterThan(5);
    expect(seq.at(-1)).toBe(`PUT ${LEASE}?comp=lease`);
    expect(arm.blobs.get(LEASE)).toEqual({ text: '', lease: undefined });
    expect(arm.endpoints.get(EP)!.properties.traffic).toEqual({ blue: 100 });
    expect(ctx.lines.join('\n')).toContain(`holding the rollout lease on ${LEASE}`);

    // the next deploy finds the blob: acquire, release
    arm.clearRequests();
    await driver.apply(leased(), fakeContext());
    expect(leaseCalls()).toEqual([`PUT ${LEASE}?comp=lease`, `PUT ${LEASE}?comp=lease`]);
  });

  it('without a promoter (no azure.endpoint.lease) it makes no storage request at all, on apply and destroy', async () => {
    await driver.apply(specFixture('endpoint'), fakeContext());
    await driver.destroy(specFixture('endpoint'), fakeContext());
    expect(arm.requests.length).toBeGreaterThan(5);
    expect(arm.requests.filter((r) => r.path.startsWith('/storage/'))).toEqual([]);
    expect(arm.blobs.size).toBe(0);
  });

  it('waits while a promotion holds the lease, saying so, and rolls out once it is given back', async () => {
    arm.blobs.set(LEASE, { text: '', lease: 'the-promoter' });
    const ctx = fakeContext();
    const sleep = ctx.sleep;
    Object.assign(ctx, {
      sleep: async (ms: number) => {
        // the promotion ends while the deploy waits its second time
        if (ctx.sleeps.length === 1) arm.blobs.get(LEASE)!.lease = undefined;
        await sleep(ms);
      },
    });

    await driver.apply(leased(), ctx);

    expect(ctx.sleeps).toEqual([30_000, 30_000]);
    const progress = ctx.lines.filter((l) => l.includes('is held by another rollout'));
    expect(progress).toHaveLength(2);
    expect(progress[0]).toContain(
      `the rollout lease on ${LEASE} is held by another rollout; cdktf deploy's endpoint step (apply of ${EP}) waits 30 s (attempt 1 of 123, waited 0 s of at most 61 min)`,
    );
    // nothing went to ARM before the lease was this step's
    const seq = sequence();
    expect(seq.slice(0, 3)).toEqual([`PUT ${LEASE}?comp=lease`, `PUT ${LEASE}?comp=lease`, `PUT ${LEASE}?comp=lease`]);
    expect(seq[3]).toBe('ARM');
    expect(arm.endpoints.get(EP)!.properties.traffic).toEqual({ blue: 100 });
    expect(arm.blobs.get(LEASE)!.lease).toBeUndefined();
  });

  it("gives up after the promoter job's timeout and a lease period, naming the holder and the fix, having changed nothing", async () => {
    arm.blobs.set(LEASE, { text: '', lease: 'the-promoter' });
    const ctx = fakeContext();

    const err = (await driver.apply(leased(), ctx).catch((e) => e)) as ReleaseError;

    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.code).toBe('LEASE_HELD');
    // the promoter job's 3600 s and a lease period (60 s), in tries 30 s apart: 122 waits, 123 tries
    expect(ctx.sleeps).toEqual(Array(122).fill(30_000));
    expect(err.message).toContain(`The rollout lease on ${LEASE} was still held after waiting 61 min`);
    expect(err.message).toContain(`a pipeline promotion (Container Apps job ${JOB}, at most 60 min per execution) or another deploy is rolling out to endpoint ${EP}`);
    expect(err.message).toContain('This step changed nothing on the endpoint. Fix: let that rollout finish and run cdktf deploy again');
    expect(err.message).toContain(`az containerapp job execution list --name ${JOB} --resource-group contoso-mlops-dev-rg`);
    expect(err.message).toContain(
      `az storage blob lease break --account-name 127 --container-name ${CONTAINER} --blob-name pipelines/bike-demand/registry/demand-forecast/.promote-lease`,
    );
    expect(ctx.lines.filter((l) => l.includes('is held by another rollout'))).toHaveLength(122);
    expect(arm.requests.filter((r) => !r.path.startsWith('/storage/'))).toEqual([]);
    expect(arm.blobs.get(LEASE)!.lease).toBe('the-promoter');
  });

  it('renews the lease while a long rollout runs (a bake longer than the renewal interval)', async () => {
    const started = { driver: driverWith({ leaseRenewMs: 20 }) };
    await started.driver.apply(specFixture('endpoint'), fakeContext());
    const b = revisionB(lease);
    await started.driver.apply(b.training, fakeContext());
    arm.clearRequests();
    const renewals = () => arm.requests.filter((r) => r.path.endsWith('.promote-lease') && r.query.comp === 'lease').length - 1;
    const ctx = fakeContext();
    const sleep = ctx.sleep;
    Object.assign(ctx, {
      // each bake check lasts until the lease was renewed once more (real time; renewals every 20 ms)
      sleep: async (ms: number) => {
        const before = renewals();
        await until(() => renewals() > before);
        await sleep(ms);
      },
    });

    await started.driver.apply(b.endpoint, ctx);

    // acquire, then renewals while the rollout's requests go to ARM, then release
    const seq = arm.requests.filter((r) => !r.path.includes('/mfeOperation')).map((r) => r.leaseAction ?? (r.path.startsWith('/storage/') ? 'storage' : 'ARM'));
    expect(seq[0]).toBe('acquire');
    expect(seq.at(-1)).toBe('release');
    const firstArm = seq.indexOf('ARM');
    const lastArm = seq.lastIndexOf('ARM');
    expect(seq.slice(firstArm, lastArm).filter((a) => a === 'renew').length).toBeGreaterThanOrEqual(2);
    // (the first leased deploy: the blob is created between a 404 and the acquire that takes it)
    expect(seq.filter((a) => a !== 'ARM' && a !== 'renew')).toEqual(['acquire', 'storage', 'acquire', 'release']);
    // every renewal came with the lease id this step holds, and was accepted (the release at the end succeeded)
    expect(arm.blobs.get(LEASE)!.lease).toBeUndefined();
    expect(ctx.lines.join('\n')).not.toContain('could not release');
    expect(arm.endpoints.get(EP)!.properties.traffic).toEqual({ green: 100 });
  });

  it('gives the lease back when the step fails before changing anything, and when the rollout is rolled back', async () => {
    // no model version of this revision: fails after taking the lease
    const noModel = leased((s) => (s.revision = 'cccccccccccc'));
    const err = (await driver.apply(noModel, fakeContext()).catch((e) => e)) as ReleaseError;
    expect(err.code).toBe('MODEL_NOT_REGISTERED');
    expect(leaseCalls().at(-1)).toBe(`PUT ${LEASE}?comp=lease`);
    expect(arm.blobs.get(LEASE)!.lease).toBeUndefined();

    await driver.apply(leased(), fakeContext());
    const b = revisionB(lease);
    await driver.apply(b.training, fakeContext());
    let reads = 0;
    arm.onDeploymentGet = (_endpoint, name, resource) => {
      if (name === 'green' && ++reads === 2) resource.properties.provisioningState = 'Failed';
    };
    arm.clearRequests();
    const rolledBack = (await driver.apply(b.endpoint, fakeContext()).catch((e) => e)) as ReleaseError;
    expect(rolledBack.code).toBe('ROLLOUT_FAILED');
    expect(arm.endpoints.get(EP)!.properties.traffic).toEqual({ blue: 100 });
    // released after the rollback's last request
    const seq = sequence();
    expect(seq.at(-1)).toBe(`PUT ${LEASE}?comp=lease`);
    expect(seq.filter((c) => c !== 'ARM')).toEqual([`PUT ${LEASE}?comp=lease`, `PUT ${LEASE}?comp=lease`]);
    expect(arm.blobs.get(LEASE)!.lease).toBeUndefined();
  });

  it('destroy holds the lease too (it moves traffic or deletes the endpoint), and gives it back', async () => {
    await driver.apply(leased(), fakeContext());
    arm.clearRequests();
    await driver.destroy(leased(), fakeContext());
    const seq = sequence();
    expect(seq[0]).toBe(`PUT ${LEASE}?comp=lease`);
    expect(seq.at(-1)).toBe(`PUT ${LEASE}?comp=lease`);
    expect(seq.filter((c) => c === 'ARM').length).toBeGreaterThan(2);
    expect(arm.endpoints.has(EP)).toBe(false);
    expect(arm.blobs.get(LEASE)!.lease).toBeUndefined();
  });

  it("a deployer without a blob data role, or outside the store's firewall, is told which and how to fix it, before any ARM request", async () => {
    arm.inject({ method: 'PUT', path: /\.promote-lease$/, status: 403, headers: { 'x-ms-error-code': 'AuthorizationPermissionMismatch' } });
    let err = (await driver.apply(leased(), fakeContext()).catch((e) => e)) as ReleaseError;
    expect(err.message).toMatch(/take the lease on .*\.promote-lease failed \(HTTP 403 AuthorizationPermissionMismatch\)/);
    expect(err.message).toContain('needs Storage Blob Data Contributor (a reader role cannot lease)');
    arm.inject({ method: 'PUT', path: /\.promote-lease$/, status: 403, headers: { 'x-ms-error-code': 'AuthorizationFailure' } });
    err = (await driver.apply(leased(), fakeContext()).catch((e) => e)) as ReleaseError;
    expect(err.message).toContain("the storage account's firewall refused the request's network");
    expect(err.message).toContain("IP rules do not apply to requests from the account's own Azure region");
    expect(arm.requests.filter((r) => !r.path.startsWith('/storage/'))).toEqual([]);
  });

  it('refuses a malformed lease before any request, naming the field', async () => {
    const bad = leased((s) => {
      s.azure.endpoint.lease.registryPrefix = '../elsewhere/';
      s.azure.endpoint.lease.promotionTimeoutSeconds = 0;
    });
    const err = await driver.apply(bad, fakeContext()).catch((e) => e);
    expect(err.message).toContain('azure.endpoint.lease.registryPrefix');
    expect(err.message).toContain('azure.endpoint.lease.promotionTimeoutSeconds');
    expect(arm.requests).toEqual([]);
  });
});
