import { ReleaseDriver, ReleaseError } from '../src/driver';
import { LATENCY_METRIC, RESPONSE_COUNT_METRIC, createGcpDriver, modelIdOf, scaleSplit } from '../src/gcp';
import { FakeVertex, PROJECT, PROJECT_NUMBER, REGION } from './fixtures/gcp/fake-vertex';
import { ENDPOINT, ENDPOINT_ID, PARENT, RELEASE, SA, driverOptions, endpointSpec, testContext } from './fixtures/gcp/harness';

const MR1 = 'a1b2c3d4e5f6';
const MR2 = '0f0e0d0c0b0a';
const ER1 = 'e1e1e1e1e1e1';
const ER2 = 'e2e2e2e2e2e2';
const EP_PATH = `${PARENT}/endpoints/${ENDPOINT_ID}`;
const OP = /^GET \/ui\/projects\/123456789012\/locations\/europe-west4\/endpoints\/4242424242\/operations\/\d+$/;
const TS = `GET /v3/projects/${PROJECT}/timeSeries`;

let fake: FakeVertex;
let driver: ReleaseDriver;

beforeAll(async () => {
  fake = await FakeVertex.start();
  driver = createGcpDriver(driverOptions(fake));
});
beforeEach(() => {
  fake.reset();
  fake.seedEndpoint(ENDPOINT_ID);
});
afterAll(async () => {
  await fake.stop();
});

/** Revision 1 registered and serving all traffic; revision 2 registered (the default). */
function servingRevision1(): { oldId: string } {
  fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
  const old = fake.seedDeployment(ENDPOINT_ID, RELEASE, '1', `${RELEASE}-${ER1}`, 100);
  fake.seedVersion(RELEASE, [`r-${MR2}`, 'default']);
  return { oldId: old.id };
}

/** Monitoring answers: response counts by code, and one p95 latency. */
function metrics(counts: Record<string, number>, p95Ms?: number): void {
  fake.timeSeries = (q) => {
    if (q.filter!.includes(RESPONSE_COUNT_METRIC)) {
      return { timeSeries: Object.entries(counts).map(([code, n]) => ({ metric: { labels: { response_code: code } }, points: [{ value: { int64Value: String(n) } }] })) };
    }
    return p95Ms === undefined ? {} : { timeSeries: [{ points: [{ value: { doubleValue: p95Ms } }] }] };
  };
}

function endpointState(): { split: Record<string, number>; deployed: string[] } {
  const e = fake.endpoints.get(ENDPOINT_ID)!;
  return { split: e.trafficSplit, deployed: e.deployedModels.map((d) => d.displayName) };
}

/** The traffic splits the step set, in order. */
function patches(): Array<Record<string, number>> {
  return fake.requests.filter((r) => r.method === 'PATCH' && r.query.updateMask === 'traffic_split').map((r) => r.body.trafficSplit);
}

/** The context of a release step instance as Terraform runs it (MLOPS_RELEASE_INSTANCE = terraform_data's id). */
const instance = (id: string) => testContext({ MLOPS_RELEASE_INSTANCE: id });
const A = '11111111-aaaa-4bbb-8ccc-00000000000a';
const B = '22222222-aaaa-4bbb-8ccc-00000000000b';
/** Without an instance id a step marks the endpoint with the image digest's first 40 hex. */
const DIGEST_MARKER = 'ab'.repeat(20);
const LABELS_PATCH = `PATCH ${EP_PATH}?updateMask=labels`;

async function expectReleaseError(p: Promise<unknown>): Promise<ReleaseError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ReleaseError) return err;
    throw err;
  }
  throw new Error('expected a ReleaseError');
}

describe('GCP endpoint step: first deployment', () => {
  test('deploys the model version with dedicated resources and all traffic, waiting for the operation', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    const ctx = testContext();
    const report = await driver.apply(endpointSpec(ER1, MR1), ctx);
    expect(fake.lines()).toEqual([
      `GET ${PARENT}/models/${RELEASE}%40r-${MR1}`,
      `GET ${EP_PATH}`,
      `POST ${EP_PATH}:deployModel`,
      expect.stringMatching(OP),
      `GET ${EP_PATH}`,
      LABELS_PATCH,
    ]);
    // The endpoint is marked as applied by this step; Terraform's labels stay (the provider's labels are non-authoritative).
    expect(fake.requests[5]!.body.labels).toEqual({ 'managed-by': 'cdktf-mlops', mlops_release: 'from-terraform', mlops_step: DIGEST_MARKER });
    expect(fake.requests[2]!.body).toEqual({
      deployedModel: {
        model: `projects/${PROJECT}/locations/${REGION}/models/${RELEASE}@1`,
        displayName: `${RELEASE}-${ER1}`,
        serviceAccount: SA,
        dedicatedResources: { machineSpec: { machineType: 'n1-standard-4' }, minReplicaCount: 1, maxReplicaCount: 2 },
        systemLabels: {},
      },
      trafficSplit: { '0': 100 },
    });
    expect(ctx.slept).toEqual([10_000]);
    const dmId = fake.endpoints.get(ENDPOINT_ID)!.deployedModels[0]!.id;
    expect(endpointState()).toEqual({ split: { [dmId]: 100 }, deployed: [`${RELEASE}-${ER1}`] });
    expect(report.actions).toEqual([
      {
        action: 'created',
        what: 'deployed model',
        id: `${ENDPOINT}/deployedModels/${dmId}`,
        detail: `projects/${PROJECT}/locations/${REGION}/models/${RELEASE}@1, 100% of traffic`,
      },
      { action: 'updated', what: 'endpoint labels', id: ENDPOINT, detail: `mlops_step=${DIGEST_MARKER}` },
    ]);
    expect(report.outputs).toEqual({
      endpoint: ENDPOINT,
      endpointUrl: `https://${REGION}-aiplatform.googleapis.com/v1/${ENDPOINT}:predict`,
      deployedModelId: dmId,
      modelVersion: `projects/${PROJECT}/locations/${REGION}/models/${RELEASE}@1`,
    });
  });

  test('a second apply finds this revision serving 100% and changes nothing', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    await driver.apply(endpointSpec(ER1, MR1), testContext());
    fake.clearRequests();
    const report = await driver.apply(endpointSpec(ER1, MR1), testContext());
    expect(fake.lines()).toEqual([`GET ${PARENT}/models/${RELEASE}%40r-${MR1}`, `GET ${EP_PATH}`]);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['unchanged deployed model']);
    expect(fake.endpoints.get(ENDPOINT_ID)!.labels.mlops_step).toBe(DIGEST_MARKER);
  });

  test('a GPU size deploys with the accelerator', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    await driver.apply(endpointSpec(ER1, MR1, {}, { gcp: { accelerator: { type: 'NVIDIA_L4', count: 1 } } }), testContext());
    const deploy = fake.requests.find((r) => r.path.endsWith(':deployModel'))!;
    expect(deploy.body.deployedModel.dedicatedResources.machineSpec).toEqual({ machineType: 'n1-standard-4', acceleratorType: 11, acceleratorCount: 1 });
  });
});

describe('GCP endpoint step: blue/green rollout', () => {
  test('canary: canaryPercent first, bake, health check in Cloud Monitoring, then 100%, then the old deployment is undeployed', async () => {
    const { oldId } = servingRevision1();
    metrics({ '200': 95, '500': 1 }, 120);
    const ctx = testContext();
    const report = await driver.apply(endpointSpec(ER2, MR2, { strategy: 'canary', canaryPercent: 10, bakeMinutes: 10 }), ctx);
    const newId = fake.endpoints.get(ENDPOINT_ID)!.deployedModels.find((d) => d.displayName === `${RELEASE}-${ER2}`)!.id;
    expect(fake.lines().map((l) => (l.startsWith(TS) ? TS : l))).toEqual([
      `GET ${PARENT}/models/${RELEASE}%40r-${MR2}`,
      `GET ${EP_PATH}`,
      `POST ${EP_PATH}:deployModel`,
      expect.stringMatching(OP),
      TS,
      TS,
      `PATCH ${EP_PATH}?updateMask=traffic_split`,
      `GET ${EP_PATH}`,
      `POST ${EP_PATH}:undeployModel`,
      expect.stringMatching(OP),
      LABELS_PATCH,
    ]);
    expect(fake.requests[2]!.body.trafficSplit).toEqual({ '0': 10, [oldId]: 90 });
    expect(patches()).toEqual([{ [newId]: 100 }]);
    expect(fake.requests[8]!.body).toEqual({ deployedModelId: oldId, trafficSplit: {} });
    // Operation poll, the 10-minute bake, the undeploy poll.
    expect(ctx.slept).toEqual([10_000, 600_000, 10_000]);
    // The health queries cover the bake window, for the new deployed model only.
    const [counts, latency] = fake.requests.filter((r) => r.path.endsWith('/timeSeries')).map((r) => r.query);
    const end = new Date(Date.UTC(2025, 0, 1) + 610_000).toISOString();
    const start = new Date(Date.UTC(2025, 0, 1) + 10_000).toISOString();
    expect(counts).toEqual({
      filter: `metric.type="${RESPONSE_COUNT_METRIC}" AND resource.type="aiplatform.googleapis.com/Endpoint" AND resource.labels.endpoint_id="${ENDPOINT_ID}" AND metric.labels.deployed_model_id="${newId}"`,
      'interval.startTime': start,
      'interval.endTime': end,
      'aggregation.alignmentPeriod': '600s',
      'aggregation.perSeriesAligner': 'ALIGN_DELTA',
      'aggregation.crossSeriesReducer': 'REDUCE_SUM',
      'aggregation.groupByFields': 'metric.labels.response_code',
    });
    expect(latency).toEqual({
      filter: `metric.type="${LATENCY_METRIC}" AND resource.type="aiplatform.googleapis.com/Endpoint" AND resource.labels.endpoint_id="${ENDPOINT_ID}" AND metric.labels.deployed_model_id="${newId}" AND metric.labels.latency_type="model"`,
      'interval.startTime': start,
      'interval.endTime': end,
      'aggregation.alignmentPeriod': '600s',
      'aggregation.perSeriesAligner': 'ALIGN_PERCENTILE_95',
      'aggregation.crossSeriesReducer': 'REDUCE_MAX',
    });
    expect(ctx.infos).toContain(`health of deployed model ${newId} at 10%: 96 responses, 1 5xx (1.0%), p95 model latency 120 ms`);
    expect(endpointState()).toEqual({ split: { [newId]: 100 }, deployed: [`${RELEASE}-${ER2}`] });
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['created deployed model', 'updated traffic split', 'deleted deployed model', 'updated endpoint labels']);
    expect(report.outputs.modelVersion).toBe(`projects/${PROJECT}/locations/${REGION}/models/${RELEASE}@2`);
  });

  test('linear: stepPercent at a time, with a bake and health check before every step', async () => {
    const { oldId } = servingRevision1();
    metrics({ '200': 50 }, 80);
    const ctx = testContext();
    await driver.apply(endpointSpec(ER2, MR2, { strategy: 'linear', stepPercent: 25, bakeMinutes: 5 }), ctx);
    const newId = fake.endpoints.get(ENDPOINT_ID)!.deployedModels.find((d) => d.displayName === `${RELEASE}-${ER2}`)!.id;
    expect(fake.requests.find((r) => r.path.endsWith(':deployModel'))!.body.trafficSplit).toEqual({ '0': 25, [oldId]: 75 });
    expect(patches()).toEqual([{ [newId]: 50, [oldId]: 50 }, { [newId]: 75, [oldId]: 25 }, { [newId]: 100 }]);
    expect(fake.requests.filter((r) => r.path.endsWith('/timeSeries'))).toHaveLength(6);
    expect(ctx.slept.filter((ms) => ms === 300_000)).toHaveLength(3);
    expect(endpointState().deployed).toEqual([`${RELEASE}-${ER2}`]);
  });

  test('all-at-once: the deployment takes all traffic when ready; no bake, then the old one is undeployed', async () => {
    const { oldId } = servingRevision1();
    const ctx = testContext();
    await driver.apply(endpointSpec(ER2, MR2, { strategy: 'all-at-once' }), ctx);
    expect(fake.requests.find((r) => r.path.endsWith(':deployModel'))!.body.trafficSplit).toEqual({ '0': 100 });
    expect(patches()).toEqual([]);
    expect(fake.requests.some((r) => r.path.endsWith('/timeSeries'))).toBe(false);
    expect(fake.requests.find((r) => r.path.endsWith(':undeployModel'))!.body).toEqual({ deployedModelId: oldId, trafficSplit: {} });
    expect(ctx.slept).toEqual([10_000, 10_000]);
  });

  test('an unhealthy canary (5xx above the threshold) restores the old split, undeploys the new model and fails', async () => {
    const { oldId } = servingRevision1();
    metrics({ '200': 80, '503': 20 }, 90);
    const err = await expectReleaseError(driver.apply(endpointSpec(ER2, MR2), testContext()));
    const newDeploy = fake.requests.find((r) => r.path.endsWith(':undeployModel'))!.body.deployedModelId;
    expect(err.code).toBe('ROLLOUT_UNHEALTHY');
    expect(err.message).toBe(
      `rollout of revision ${ER2} to ${ENDPOINT} was rolled back: 5xx rate 20.0% > 5% (100 responses, 20 5xx (20.0%), p95 model latency 90 ms). The endpoint serves the previous deployment again (${oldId}: 100%).`,
    );
    expect(patches()).toEqual([{ [oldId]: 100 }]);
    expect(newDeploy).not.toBe(oldId);
    expect(endpointState()).toEqual({ split: { [oldId]: 100 }, deployed: [`${RELEASE}-${ER1}`] });
  });

  test('a p95 latency above the threshold rolls back too', async () => {
    servingRevision1();
    metrics({ '200': 100 }, 2500);
    const err = await expectReleaseError(driver.apply(endpointSpec(ER2, MR2), testContext()));
    expect(err.message).toContain('rolled back: p95 model latency 2500 ms > 1000 ms');
  });

  test('GIVEN no traffic during the canary bake WHEN the step checks health THEN nothing was measured, so it rolls back and fails naming the fix', async () => {
    const { oldId } = servingRevision1();
    const err = await expectReleaseError(driver.apply(endpointSpec(ER2, MR2), testContext()));
    expect(err.code).toBe('ROLLOUT_UNHEALTHY');
    expect(err.message).toContain('no requests reached the new deployment during the bake window, so its health could not be measured');
    expect(err.message).toContain('rollout.strategy all-at-once (or bakeMinutes 0)');
    expect(patches()).toEqual([{ [oldId]: 100 }]);
    expect(endpointState()).toEqual({ split: { [oldId]: 100 }, deployed: [`${RELEASE}-${ER1}`] });
  });

  test('resumes an interrupted rollout: the new deployment already has its canary share', async () => {
    const { oldId } = servingRevision1();
    const half = fake.seedDeployment(ENDPOINT_ID, RELEASE, '2', `${RELEASE}-${ER2}`, 0);
    fake.endpoints.get(ENDPOINT_ID)!.trafficSplit = { [oldId]: 90, [half.id]: 10 };
    metrics({ '200': 40 }, 50);
    const ctx = testContext();
    const report = await driver.apply(endpointSpec(ER2, MR2), ctx);
    expect(fake.requests.some((r) => r.path.endsWith(':deployModel'))).toBe(false);
    expect(patches()).toEqual([{ [half.id]: 100 }]);
    expect(ctx.infos).toContain(`resuming the rollout of deployed model ${half.id} at 10% of traffic`);
    expect(report.outputs.deployedModelId).toBe(half.id);
    expect(endpointState()).toEqual({ split: { [half.id]: 100 }, deployed: [`${RELEASE}-${ER2}`] });
  });

  test('bakeMinutes 0 moves on without a health check and warns', async () => {
    servingRevision1();
    const ctx = testContext();
    await driver.apply(endpointSpec(ER2, MR2, { bakeMinutes: 0 }), ctx);
    expect(fake.requests.some((r) => r.path.endsWith('/timeSeries'))).toBe(false);
    expect(ctx.warnings).toContain('rollout.bakeMinutes is 0: traffic moves on without a health check');
  });
});

describe('GCP endpoint step: failures', () => {
  test('a missing model version says the training step must run first', async () => {
    const err = await expectReleaseError(driver.apply(endpointSpec(ER1, MR1), testContext()));
    expect(err.code).toBe('MODEL_VERSION_MISSING');
    expect(err.message).toContain(`model version projects/${PROJECT}/locations/${REGION}/models/${RELEASE}@r-${MR1} does not exist`);
  });

  test('a missing endpoint says Terraform creates it', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    fake.endpoints.clear();
    const err = await expectReleaseError(driver.apply(endpointSpec(ER1, MR1), testContext()));
    expect(err.code).toBe('ENDPOINT_MISSING');
  });

  test('a deployment operation that fails is an OPERATION_FAILED error with its message', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    fake.operationErrors.deploy = { code: 9, message: 'Model server never became ready. Please validate that your model file or container configuration are valid.' };
    const err = await expectReleaseError(driver.apply(endpointSpec(ER1, MR1), testContext()));
    expect(err.code).toBe('OPERATION_FAILED');
    expect(err.message).toMatch(/ended with FAILED_PRECONDITION: Model server never became ready\./);
  });

  test("a 400 on the traffic update names the call and Google's message", async () => {
    servingRevision1();
    fake.injected.push({ method: 'PATCH', path: /endpoints/, status: 400, body: { error: { code: 400, message: 'Traffic split must sum to 100.', status: 'INVALID_ARGUMENT' } } });
    const err = await expectReleaseError(driver.apply(endpointSpec(ER2, MR2, { bakeMinutes: 0 }), testContext()));
    expect(err.message).toBe(`update the traffic split of ${ENDPOINT} failed: HTTP 400 INVALID_ARGUMENT: Traffic split must sum to 100.`);
  });

  test('503 on the health query is retried', async () => {
    servingRevision1();
    metrics({ '200': 40 }, 50);
    fake.injected.push({ method: 'GET', path: /timeSeries$/, status: 503 });
    const ctx = testContext();
    await driver.apply(endpointSpec(ER2, MR2), ctx);
    expect(fake.requests.filter((r) => r.path.endsWith('/timeSeries')).map((r) => r.status)).toEqual([503, 200, 200]);
    expect(ctx.slept).toContain(2_000);
  });
});

describe('GCP endpoint step: destroy', () => {
  test("replaced by a newer revision: that step marked the endpoint, this one's deployment is gone, nothing is undeployed", async () => {
    servingRevision1();
    fake.endpoints.get(ENDPOINT_ID)!.labels.mlops_step = A;
    await driver.apply(endpointSpec(ER2, MR2, { bakeMinutes: 0 }), instance(B));
    fake.clearRequests();
    const report = await driver.destroy(endpointSpec(ER1, MR1), instance(A));
    expect(fake.lines()).toEqual([`GET ${EP_PATH}`]);
    expect(report.actions).toEqual([
      expect.objectContaining({ action: 'kept', what: 'deployed model', detail: `another release step applied last (mlops_step=${B}, this step is ${A})` }),
    ]);
    expect(endpointState().deployed).toEqual([`${RELEASE}-${ER2}`]);
  });

  test('replaced by a step of the same revision (after a taint): the shared deployment keeps serving', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    await driver.apply(endpointSpec(ER1, MR1), instance(A));
    const again = await driver.apply(endpointSpec(ER1, MR1), instance(B));
    expect(again.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['unchanged deployed model', 'updated endpoint labels']);
    fake.clearRequests();
    const report = await driver.destroy(endpointSpec(ER1, MR1), instance(A));
    expect(fake.lines()).toEqual([`GET ${EP_PATH}`]);
    expect(report.actions.map((a) => a.action)).toEqual(['kept']);
    expect(endpointState().deployed).toEqual([`${RELEASE}-${ER1}`]);
  });

  test('the step that applied last undeploys every deployment of the release (cdktf destroy)', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    await driver.apply(endpointSpec(ER1, MR1), instance(A));
    const dmId = fake.endpoints.get(ENDPOINT_ID)!.deployedModels[0]!.id;
    fake.clearRequests();
    const report = await driver.destroy(endpointSpec(ER1, MR1), instance(A));
    expect(fake.lines()).toEqual([`GET ${EP_PATH}`, `POST ${EP_PATH}:undeployModel`, expect.stringMatching(OP)]);
    // The client always sends the map field; an empty split means none is given.
    expect(fake.requests[1]!.body).toEqual({ deployedModelId: dmId, trafficSplit: {} });
    expect(report.actions).toEqual([{ action: 'deleted', what: 'deployed model', id: `${ENDPOINT}/deployedModels/${dmId}`, detail: 'release destroyed' }]);
    expect(endpointState()).toEqual({ split: {}, deployed: [] });
  });

  test('an interrupted canary, then cdktf destroy: the canary step keeps what serves, the last applied step moves traffic off and undeploys all', async () => {
    const { oldId } = servingRevision1();
    fake.endpoints.get(ENDPOINT_ID)!.labels.mlops_step = A;
    const canary = fake.seedDeployment(ENDPOINT_ID, RELEASE, '2', `${RELEASE}-${ER2}`, 0);
    fake.endpoints.get(ENDPOINT_ID)!.trafficSplit = { [oldId]: 90, [canary.id]: 10 };
    const first = await driver.destroy(endpointSpec(ER2, MR2), instance(B));
    expect(first.actions.map((a) => a.action)).toEqual(['kept']);
    expect(fake.requests.some((r) => r.path.endsWith(':undeployModel'))).toBe(false);
    await driver.destroy(endpointSpec(ER1, MR1), instance(A));
    expect(fake.requests.filter((r) => r.path.endsWith(':undeployModel')).map((r) => r.body)).toEqual([
      { deployedModelId: canary.id, trafficSplit: { [oldId]: 100 } },
      { deployedModelId: oldId, trafficSplit: {} },
    ]);
    expect(endpointState()).toEqual({ split: {}, deployed: [] });
  });

  test("an endpoint no step has marked: another revision with traffic supersedes; only this revision's idle deployment goes", async () => {
    const { oldId } = servingRevision1();
    const idle = fake.seedDeployment(ENDPOINT_ID, RELEASE, '2', `${RELEASE}-${ER2}`, 0);
    const report = await driver.destroy(endpointSpec(ER2, MR2), instance(B));
    expect(fake.requests.filter((r) => r.path.endsWith(':undeployModel')).map((r) => r.body.deployedModelId)).toEqual([idle.id]);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual(['deleted deployed model', 'kept deployed model']);
    expect(endpointState()).toEqual({ split: { [oldId]: 100 }, deployed: [`${RELEASE}-${ER1}`] });
  });

  test('run by hand or from CI (no instance id), apply then destroy of the same spec removes the deployment', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    await driver.apply(endpointSpec(ER1, MR1), testContext());
    await driver.destroy(endpointSpec(ER1, MR1), testContext());
    expect(endpointState()).toEqual({ split: {}, deployed: [] });
  });

  test('an endpoint that is already gone needs nothing', async () => {
    fake.endpoints.clear();
    const report = await driver.destroy(endpointSpec(ER1, MR1), testContext());
    expect(report.actions).toEqual([{ action: 'unchanged', what: 'endpoint', id: ENDPOINT, detail: 'does not exist; nothing to undeploy' }]);
  });
});

describe('traffic split arithmetic and names', () => {
  test('scaleSplit spreads a total in proportion, in whole percents, dropping zeros', () => {
    expect(scaleSplit({ a: 90, b: 10 }, 50)).toEqual({ a: 45, b: 5 });
    expect(scaleSplit({ a: 1, b: 1, c: 1 }, 100)).toEqual({ a: 34, b: 33, c: 33 });
    expect(scaleSplit({ a: 70, b: 0 }, 100)).toEqual({ a: 100 });
    expect(scaleSplit({ a: 99, b: 1 }, 10)).toEqual({ a: 10 });
    expect(scaleSplit({}, 100)).toEqual({});
    expect(scaleSplit({ a: 50 }, 0)).toEqual({});
  });

  test('modelIdOf reads the model id from names with project numbers and versions', () => {
    expect(modelIdOf(`projects/${PROJECT_NUMBER}/locations/${REGION}/models/${RELEASE}`)).toBe(RELEASE);
    expect(modelIdOf(`projects/${PROJECT}/locations/${REGION}/models/${RELEASE}@3`)).toBe(RELEASE);
    expect(modelIdOf('projects/p/locations/r/endpoints/1')).toBeUndefined();
  });
});
