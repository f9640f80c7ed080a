/**
 * `mlops-release promote` on Azure against the loopback server: the Blob and
 * Queue REST calls of the promoter (registration, fingerprint, lease, queue
 * message) and the ARM calls `@azure/arm-machinelearning` sends to register
 * the champion and roll it out, as the server records them.
 */
import { ReleaseDriver, ReleaseError } from '../src/driver';
import { ReleaseSpec, ReleaseSpecError } from '../src/spec';
import { createAzureDriver } from '../src/azure';
import { BACKSTOP_INTERVAL_MS, LEASE_ATTEMPTS, MAX_DEQUEUE, promotionRevision } from '../src/azure/promote';
import { LEASE_RETRY_MS } from '../src/azure/lease';
import { runRelease } from '../src/cli';
import { FakeArm } from './fixtures/azure/fake-arm';
import { fakeContext, specFixture, startArm } from './fixtures/azure/harness';

const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const WS_PATH = `/subscriptions/${SUB}/resourceGroups/contoso-mlops-dev-rg/providers/Microsoft.MachineLearningServices/workspaces/contoso-mlops-dev-mlw`;
const RELEASE = 'contoso-mlops-dev-bike-demand';
const EP = RELEASE;
const CONTAINER = 'mlops-artifacts';
// The registry folder's model (the pipeline file's) differs from the Azure ML model (the endpoint's, bike-demand).
const REGISTRY = 'pipelines/bike-demand/registry/demand-forecast';
const LEASE = `${CONTAINER}/${REGISTRY}/.promote-lease`;
const BACKSTOP = `${CONTAINER}/${REGISTRY}/.promote-backstop`;
const DATA = 'azureml://datastores/mlopsartifacts/paths/datasets/bike-sharing/hour.csv';
const SHA = 'ab'.repeat(32);
const DIGEST = `sha256:${'3f'.repeat(32)}`;

let arm: FakeArm;
let driver: ReleaseDriver;
let cleanup: () => Promise<void>;
let credential: { getToken: () => Promise<{ token: string; expiresOnTimestamp: number }> };
let ca: string;

beforeAll(async () => {
  const started = await startArm();
  arm = started.arm;
  cleanup = started.cleanup;
  credential = started.credential;
  ca = started.ca;
  driver = createAzureDriver({ credential, endpoint: arm.url, pollIntervalMs: 5, retryDelayMs: 5, trustedCa: ca });
});
afterAll(() => cleanup());

/** The endpoint spec with the promote part the stack writes. */
function promoteSpec(change: (raw: any) => void = () => undefined): ReleaseSpec {
  return specFixture('endpoint', (s) => {
    s.azure.promote = {
      blobEndpoint: `${arm.url}/storage/blob`,
      queueEndpoint: `${arm.url}/storage/queue`,
      container: CONTAINER,
      queue: `${RELEASE}-promotions`,
      datastore: 'mlopsartifacts',
      experiment: RELEASE,
      pipeline: 'bike-demand',
      model: 'demand-forecast',
      registryPrefix: 'pipelines/bike-demand/',
      runsPrefix: 'pipelines/bike-demand/runs/',
      registerNode: 'register',
      registration: 'registration/registration.json',
      pipelineRevision: 'feedc0de1234',
      imageDigest: DIGEST,
      inputs: { data: DATA },
    };
    change(s);
  });
}

/** What the register step of run `run` wrote, and the fingerprint of the registry version. */
function seedRun(run: string, version: number, promoted: boolean, fingerprint: unknown = { sha256: SHA, rows: 17379, cols: 17 }): void {
  const registration = {
    name: 'demand-forecast',
    version,
    created: true,
    promoted,
    previousChampion: promoted ? version - 1 : 1,
    champion: promoted ? version : 1,
    aliases: promoted ? ['champion'] : ['challenger'],
    contentHash: `hash-${version}`,
    trainedBy: run,
    registeredBy: run,
  };
  arm.blobs.set(`${CONTAINER}/pipelines/bike-demand/runs/${run}/register/registration/registration.json`, { text: JSON.stringify(registration) });
  if (fingerprint !== null) arm.blobs.set(`${CONTAINER}/${REGISTRY}/versions/${version}/model/fingerprint.json`, { text: JSON.stringify(fingerprint) });
}

function writes(): string[] {
  return arm.calls().filter((c) => !c.startsWith('GET') && !c.includes('/mfeOperation'));
}

beforeEach(async () => {
  for (const m of [arm.environments, arm.models, arm.endpoints, arm.deployments, arm.autoscale, arm.blobs]) m.clear();
  arm.jobs.clear();
  arm.queue.length = 0;
  arm.jobStates = ['Completed'];
  arm.operationPolls = 0;
  arm.onDeploymentGet = undefined;
  // cdktf deploy ran: model version 1 (revision 0a1b2c3d4e5f, no registry version) serves on blue.
  await driver.apply(specFixture('training'), fakeContext());
  await driver.apply(specFixture('endpoint'), fakeContext());
  arm.clearRequests();
});

describe('azure promote: a run whose register step promoted', () => {
  it('registers the champion with the run lineage and rolls it out blue/green, under the lease', async () => {
    seedRun('register-run-7', 7, true);
    const ctx = fakeContext();
    const report = await driver.promote!(promoteSpec(), ctx, { run: 'register-run-7' });

    const revision = promotionRevision(promoteSpec(), { version: 7, contentHash: 'hash-7' });
    expect(report.outputs).toMatchObject({ promoted: 'true', run: 'register-run-7', registryVersion: '7', modelVersion: '2', deployment: 'green', revision });
    // the storage calls: registration, fingerprint, the lease (blob created once), then released
    const storage = arm.requests
      .filter((r) => r.path.startsWith('/storage/'))
      .map((r) => `${r.method} ${r.path.replace('/storage/blob/', '')}${r.query.comp ? `?comp=${r.query.comp}` : ''}`);
    expect(storage).toEqual([
      `GET ${CONTAINER}/pipelines/bike-demand/runs/register-run-7/register/registration/registration.json`,
      `GET ${CONTAINER}/${REGISTRY}/versions/7/model/fingerprint.json`,
      `PUT ${LEASE}?comp=lease`,
      `PUT ${LEASE}`,
      `PUT ${LEASE}?comp=lease`,
      `PUT ${LEASE}?comp=lease`,
    ]);
    for (const r of arm.requests) expect(r.authorization).toBe('Bearer fake-arm-token');
    expect(arm.blobs.get(LEASE)!.lease).toBeUndefined();

    // the model version: next integer, the registry's model folder, the lineage as tags and immutable properties
    const put = arm.requests.find((r) => r.method === 'PUT' && r.path === `${WS_PATH}/models/bike-demand/versions/2`)!;
    const lineage = {
      'mlops.run': 'register-run-7',
      'mlops.data.sha256': SHA,
      'mlops.data.uri': DATA,
      'mlops.image': DIGEST,
      'mlops.pipeline.revision': 'feedc0de1234',
      'mlops.registry.version': '7',
      'mlops.pipeline': 'bike-demand',
    };
    expect(put.body.properties).toEqual({
      description: `demand-forecast registry version 7, promoted by pipeline bike-demand run register-run-7 (release ${RELEASE}).`,
      modelType: 'custom_model',
      modelUri: `azureml://subscriptions/${SUB}/resourcegroups/contoso-mlops-dev-rg/workspaces/contoso-mlops-dev-mlw/datastores/mlopsartifacts/paths/${REGISTRY}/versions/7/model/`,
      tags: { 'mlops.release': RELEASE, 'mlops.revision': revision, ...lineage, 'managed-by': 'cdktf-mlops' },
      properties: { 'mlops.revision': revision, ...lineage },
    });
    // the rollout: green with the new version, canary 10% then 100%, blue deleted
    const green = arm.requests.find((r) => r.method === 'PUT' && r.path.endsWith(`/onlineEndpoints/${EP}/deployments/green`))!;
    expect(green.body.properties.model).toBe(`${WS_PATH}/models/bike-demand/versions/2`);
    const traffic = arm.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/onlineEndpoints/${EP}`)).map((r) => r.body.properties.traffic);
    expect(traffic).toEqual([{ green: 10, blue: 90 }, { green: 100 }]);
    expect(arm.deployments.get(EP)!.has('blue')).toBe(false);
  });

  it('takes the lineage from the run event’s tags when it carries them', async () => {
    seedRun('register-run-7', 7, true);
    arm.queue.push({
      id: 'm1',
      popReceipt: '',
      dequeueCount: 0,
      invisible: false,
      text: JSON.stringify({
        eventType: 'Microsoft.MachineLearningServices.RunStatusChanged',
        data: {
          experimentName: RELEASE,
          runId: 'register-run-7',
          runStatus: 'Completed',
          runTags: {
            'mlops.pipeline.revision': '0123456789ab',
            'mlops.image.digest': `sha256:${'9'.repeat(64)}`,
            'mlops.input.data': 'azureml://datastores/mlopsartifacts/paths/other.csv',
          },
        },
      }),
    });
    const report = await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true });
    expect(report.outputs.promoted).toBe('true');
    const tags = arm.models.get('bike-demand')!.get('2')!.properties.tags;
    expect(tags).toMatchObject({
      'mlops.pipeline.revision': '0123456789ab',
      'mlops.image': `sha256:${'9'.repeat(64)}`,
      'mlops.data.uri': 'azureml://datastores/mlopsartifacts/paths/other.csv',
    });
    expect(arm.queue).toHaveLength(0); // done: the message is deleted
  });
});

describe('azure promote: nothing to do', () => {
  it('a run that registered without promoting writes nothing (no lease, no model version, no endpoint change)', async () => {
    seedRun('register-run-8', 8, false);
    const report = await driver.promote!(promoteSpec(), fakeContext(), { run: 'register-run-8' });
    expect(report.outputs).toMatchObject({ promoted: 'false', reason: 'not promoted' });
    expect(arm.requests.map((r) => r.method)).toEqual(['GET']);
    expect(arm.blobs.has(LEASE)).toBe(false);
  });

  it('an older run completing after a newer one is ignored', async () => {
    seedRun('register-run-7', 7, true);
    await driver.promote!(promoteSpec(), fakeContext(), { run: 'register-run-7' });
    seedRun('register-run-6', 6, true);
    arm.clearRequests();
    const ctx = fakeContext();
    const report = await driver.promote!(promoteSpec(), ctx, { run: 'register-run-6' });
    expect(report.outputs).toMatchObject({ promoted: 'false', reason: 'older run', registryVersion: '6', servedRegistryVersion: '7' });
    // only the lease is written (taken and given back); ARM is only read
    expect(writes()).toEqual([`PUT /storage/blob/${LEASE}`, `PUT /storage/blob/${LEASE}`]);
    expect(arm.models.get('bike-demand')!.size).toBe(2);
    expect(ctx.lines.join('\n')).toContain('an older run finished late');
  });

  it('a run event of another node is deleted from the queue without promoting; other experiments and statuses are ignored', async () => {
    const event = (runId: string, experimentName: string, runStatus: string) =>
      JSON.stringify([{ eventType: 'Microsoft.MachineLearningServices.RunStatusChanged', data: { experimentName, runId, runStatus, runTags: {} } }]);
    arm.queue.push({ id: 'a', popReceipt: '', dequeueCount: 0, invisible: false, text: event('train-node-run', RELEASE, 'Completed') });
    arm.queue.push({ id: 'b', popReceipt: '', dequeueCount: 0, invisible: false, text: Buffer.from(event('x', 'other-experiment', 'Completed')).toString('base64') });
    arm.queue.push({ id: 'c', popReceipt: '', dequeueCount: 0, invisible: false, text: event('x', RELEASE, 'Failed') });
    // one execution handles every message, and stops when the queue is empty
    const report = await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true });
    // then the daily backstop: the registry has no champion yet
    expect(report.outputs).toEqual({ promoted: 'false', messages: '3', backstop: 'no champion' });
    expect(report.actions.map((a) => `${a.action} ${a.what} ${a.id}`)).toEqual([
      `unchanged online endpoint ${EP}`,
      'deleted queue message a',
      'deleted queue message b',
      'deleted queue message c',
      `updated backstop marker ${BACKSTOP}`,
    ]);
    expect(arm.queue).toHaveLength(0);
    expect((await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true })).outputs).toEqual({ promoted: 'false', messages: '0', backstop: 'not due' });
    expect(writes().filter((c) => !c.startsWith('DELETE /storage/queue/'))).toEqual([`PUT /storage/blob/${BACKSTOP}`]);
  });
});

/** The runtime registry's files for a champion the promoter never heard of (its run event was lost). */
function seedChampion(version: number, registeredBy: string | null = `register-run-${version}`, fingerprint: unknown = { sha256: SHA, rows: 17379, cols: 17 }): void {
  arm.blobs.set(`${CONTAINER}/${REGISTRY}/aliases.json`, { text: JSON.stringify({ champion: version, challenger: null, lineage: [version], history: [] }) });
  arm.blobs.set(`${CONTAINER}/${REGISTRY}/versions/${version}/version.json`, {
    text: JSON.stringify({
      name: 'demand-forecast',
      version,
      createdAt: '2026-12-07T03:00:00.000Z',
      contentHash: `hash-${version}`,
      source: 'x',
      task: 'regression',
      model: 'gbdt',
      metrics: {},
      runId: 'train-run',
      registeredBy,
      decision: null,
    }),
  });
  if (fingerprint !== null) arm.blobs.set(`${CONTAINER}/${REGISTRY}/versions/${version}/model/fingerprint.json`, { text: JSON.stringify(fingerprint) });
}

describe('the daily backstop (promote --from-queue): the registry champion whose run event was lost', () => {
  it('rolls out the champion the endpoint does not serve, recording the run that registered it and the deployed lineage, under the lease', async () => {
    seedChampion(7);
    const ctx = fakeContext();
    const report = await driver.promote!(promoteSpec(), ctx, { fromQueue: true });
    const revision = promotionRevision(promoteSpec(), { version: 7, contentHash: 'hash-7' });
    expect(report.outputs).toMatchObject({ promoted: 'true', backstop: 'promoted', messages: '0', run: 'register-run-7', registryVersion: '7', modelVersion: '2', revision });
    // the marker first (a failing backstop waits a day), then the registry files, then the lease
    const storage = arm.requests
      .filter((r) => r.path.startsWith('/storage/blob/'))
      .map((r) => `${r.method} ${r.path.replace('/storage/blob/', '')}${r.query.comp ? `?comp=${r.query.comp}` : ''}`);
    expect(storage).toEqual([
      `GET ${BACKSTOP}`,
      `PUT ${BACKSTOP}`,
      `GET ${CONTAINER}/${REGISTRY}/aliases.json`,
      `GET ${CONTAINER}/${REGISTRY}/versions/7/version.json`,
      `GET ${CONTAINER}/${REGISTRY}/versions/7/model/fingerprint.json`,
      `PUT ${LEASE}?comp=lease`,
      `PUT ${LEASE}`,
      `PUT ${LEASE}?comp=lease`,
      `PUT ${LEASE}?comp=lease`,
    ]);
    // the marker records when the execution started its backstop (the fake clock starts at 1,000,000 ms)
    expect(JSON.parse(arm.blobs.get(BACKSTOP)!.text)).toEqual({ checkedAt: new Date(1_000_000).toISOString() });
    const version = arm.models.get('bike-demand')!.get('2')!.properties;
    expect(version.tags).toMatchObject({
      'mlops.run': 'register-run-7',
      'mlops.registry.version': '7',
      'mlops.pipeline.revision': 'feedc0de1234',
      'mlops.image': DIGEST,
      'mlops.data.uri': DATA,
    });
    expect(version.description).toContain('rolled out by the daily backstop');
    expect(arm.endpoints.get(EP)!.properties.traffic).toEqual({ green: 100 });
    expect(ctx.lines.join('\n')).toContain("the registry's champion is v7: its run event was lost; rolling it out");
  });

  it('runs once a day: not due within 24 hours; then it finds the champion served and changes nothing', async () => {
    seedChampion(7);
    const ctx = fakeContext();
    await driver.promote!(promoteSpec(), ctx, { fromQueue: true });
    arm.clearRequests();
    // (the rollout's bake advanced the clock: count from the time the marker records)
    const checked = Date.parse(JSON.parse(arm.blobs.get(BACKSTOP)!.text).checkedAt);
    await ctx.sleep(checked + BACKSTOP_INTERVAL_MS - 1 - ctx.now());
    expect((await driver.promote!(promoteSpec(), ctx, { fromQueue: true })).outputs).toEqual({ promoted: 'false', messages: '0', backstop: 'not due' });
    expect(arm.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /storage/queue/${RELEASE}-promotions/messages`, `GET /storage/blob/${BACKSTOP}`]);
    await ctx.sleep(1);
    arm.clearRequests();
    expect((await driver.promote!(promoteSpec(), ctx, { fromQueue: true })).outputs).toMatchObject({ promoted: 'false', backstop: 'champion served', servedRegistryVersion: '7' });
    expect(writes()).toEqual([`PUT /storage/blob/${BACKSTOP}`]);
    expect(arm.models.get('bike-demand')!.size).toBe(2);
  });

  it('follows no registry rollback (a champion older than the endpoint serves) and does nothing without a champion', async () => {
    seedRun('register-run-7', 7, true);
    await driver.promote!(promoteSpec(), fakeContext(), { run: 'register-run-7' });
    seedChampion(6);
    arm.clearRequests();
    const report = await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true });
    expect(report.outputs).toMatchObject({ promoted: 'false', backstop: 'champion served', registryVersion: '6', servedRegistryVersion: '7' });
    expect(writes()).toEqual([`PUT /storage/blob/${BACKSTOP}`]);

    arm.blobs.delete(BACKSTOP);
    arm.blobs.set(`${CONTAINER}/${REGISTRY}/aliases.json`, { text: JSON.stringify({ champion: null, challenger: 1, lineage: [], history: [] }) });
    expect((await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true })).outputs.backstop).toBe('no champion');
  });

  it('names the file and the fix when the registry is inconsistent; a failing backstop is not retried before the next day', async () => {
    arm.blobs.set(`${CONTAINER}/${REGISTRY}/aliases.json`, { text: '{"champion": "seven"}' });
    let err = (await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true }).catch((e) => e)) as ReleaseError;
    expect(err.code).toBe('BAD_RUN_FILE');
    expect(err.message).toMatch(new RegExp(`${REGISTRY}/aliases\\.json is not what .*Fix: this file is written by the runtime's registry`));
    expect((await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true })).outputs.backstop).toBe('not due');

    arm.blobs.delete(BACKSTOP);
    seedChampion(9, null, null);
    arm.blobs.delete(`${CONTAINER}/${REGISTRY}/versions/9/version.json`);
    err = (await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true }).catch((e) => e)) as ReleaseError;
    expect(err.message).toContain(`${CONTAINER}/${REGISTRY}/versions/9/version.json does not exist, though aliases.json names v9 the champion`);

    arm.blobs.delete(BACKSTOP);
    seedChampion(9, null, null);
    err = (await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true }).catch((e) => e)) as ReleaseError;
    expect(err.code).toBe('FINGERPRINT_MISSING');
    // no model version, no endpoint change; the lease was not even taken
    expect(writes().filter((c) => !c.includes('.promote-backstop'))).toEqual([]);

    arm.blobs.set(BACKSTOP, { text: 'not json' });
    err = (await driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true }).catch((e) => e)) as ReleaseError;
    expect(err.message).toMatch(/\.promote-backstop is not valid JSON .*Fix: .* is written by the promoter itself; delete it/);
  });

  it('a queue message that fails stops the execution before the backstop; a promotion by hand (--run) has none', async () => {
    seedChampion(7);
    seedRun('register-run-8', 8, true, null);
    arm.queue.push({
      id: 'm',
      popReceipt: '',
      dequeueCount: 0,
      invisible: false,
      text: JSON.stringify({ eventType: 'Microsoft.MachineLearningServices.RunStatusChanged', data: { experimentName: RELEASE, runId: 'register-run-8', runStatus: 'Completed' } }),
    });
    await expect(driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true })).rejects.toThrow(/fingerprint\.json does not exist/);
    expect(arm.blobs.has(BACKSTOP)).toBe(false);
    seedRun('register-run-7', 7, true);
    expect((await driver.promote!(promoteSpec(), fakeContext(), { run: 'register-run-7' })).outputs.backstop).toBeUndefined();
    expect(arm.blobs.has(BACKSTOP)).toBe(false);
  });
});

describe('azure promote: overlap and bad input', () => {
  it('waits while another holder has the lease, then refuses with a clear message, changing nothing', async () => {
    seedRun('register-run-7', 7, true);
    arm.blobs.set(LEASE, { text: '', lease: 'someone-else' });
    const ctx = fakeContext();
    const err = await driver.promote!(promoteSpec(), ctx, { run: 'register-run-7' }).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect((err as ReleaseError).code).toBe('LEASE_HELD');
    expect((err as Error).message).toContain(`Another rollout holds the lease on ${LEASE}`);
    expect((err as Error).message).toContain('Fix: wait for it');
    expect(ctx.sleeps).toEqual(Array(LEASE_ATTEMPTS - 1).fill(LEASE_RETRY_MS));
    expect(arm.requests.filter((r) => r.method !== 'GET' && !r.path.startsWith('/storage/'))).toEqual([]);
    expect(arm.blobs.get(LEASE)!.lease).toBe('someone-else');
  });

  it('gets the lease once the other holder gives it back', async () => {
    seedRun('register-run-7', 7, true);
    arm.blobs.set(LEASE, { text: '', lease: 'someone-else' });
    const ctx = fakeContext();
    const sleep = ctx.sleep;
    Object.assign(ctx, {
      sleep: async (ms: number) => {
        arm.blobs.get(LEASE)!.lease = undefined; // the other holder gives it back while this one waits
        await sleep(ms);
      },
    });
    const report = await driver.promote!(promoteSpec(), ctx, { run: 'register-run-7' });
    expect(report.outputs.promoted).toBe('true');
  });

  it('names the file and the fix when registration.json or fingerprint.json is missing or bad', async () => {
    const fail = async (run: string) => (await driver.promote!(promoteSpec(), fakeContext(), { run }).catch((e) => e)) as ReleaseError;

    let err = await fail('no-such-run');
    expect(err.code).toBe('REGISTRATION_MISSING');
    expect(err.message).toContain(`${CONTAINER}/pipelines/bike-demand/runs/no-such-run/register/registration/registration.json does not exist`);
    expect(err.message).toContain('Fix: pass the register node');

    arm.blobs.set(`${CONTAINER}/pipelines/bike-demand/runs/broken/register/registration/registration.json`, { text: '{"name": "demand-forecast", ' });
    err = await fail('broken');
    expect(err.code).toBe('BAD_RUN_FILE');
    expect(err.message).toMatch(/runs\/broken\/register\/registration\/registration\.json is not valid JSON .*Fix: /);

    arm.blobs.set(`${CONTAINER}/pipelines/bike-demand/runs/wrong/register/registration/registration.json`, {
      text: JSON.stringify({ name: 'bike-demand', version: 'seven', promoted: true }),
    });
    err = await fail('wrong');
    expect(err.code).toBe('BAD_RUN_FILE');
    expect(err.message).toContain('version: ');

    seedRun('no-fingerprint', 9, true, null);
    err = await fail('no-fingerprint');
    expect(err.code).toBe('FINGERPRINT_MISSING');
    expect(err.message).toContain(`${CONTAINER}/${REGISTRY}/versions/9/model/fingerprint.json does not exist`);

    seedRun('bad-fingerprint', 10, true, { sha256: 'nope' });
    err = await fail('bad-fingerprint');
    expect(err.code).toBe('BAD_RUN_FILE');
    expect(err.message).toContain('versions/10/model/fingerprint.json is not what');
    // none of these wrote anything
    expect(writes()).toEqual([]);
  });

  it('refuses a spec without azure.promote, or not an endpoint spec, before any request', async () => {
    await expect(driver.promote!(specFixture('endpoint'), fakeContext(), { run: 'r' })).rejects.toThrow(/azure\.promote: is required by promote/);
    await expect(driver.promote!(specFixture('training'), fakeContext(), { run: 'r' })).rejects.toBeInstanceOf(ReleaseSpecError);
    await expect(
      driver.promote!(
        promoteSpec((s) => (s.azure.promote.registryPrefix = '../x/')),
        fakeContext(),
        { run: 'r' },
      ),
    ).rejects.toThrow(/azure\.promote\.registryPrefix/);
    expect(arm.requests).toEqual([]);
  });

  it('a message whose promotion keeps failing is deleted after the last attempt', async () => {
    seedRun('register-run-7', 7, true);
    arm.blobs.set(LEASE, { text: '', lease: 'someone-else' });
    const text = JSON.stringify({
      eventType: 'Microsoft.MachineLearningServices.RunStatusChanged',
      data: { experimentName: RELEASE, runId: 'register-run-7', runStatus: 'Completed' },
    });
    arm.queue.push({ id: 'm', popReceipt: '', dequeueCount: MAX_DEQUEUE - 2, invisible: false, text });
    await expect(driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true })).rejects.toThrow(/LEASE|lease/);
    expect(arm.queue).toHaveLength(1); // left for a retry
    arm.queue[0]!.invisible = false;
    await expect(driver.promote!(promoteSpec(), fakeContext(), { fromQueue: true })).rejects.toThrow(/lease/);
    expect(arm.queue).toHaveLength(0);
  });
});

describe("the promoter and cdktf deploy's endpoint step hold one lease", () => {
  /** The endpoint's lease as AzurePipelinePromoter writes it into both specs (the same settings as azure.promote). */
  const withLease = (s: any) =>
    (s.azure.endpoint.lease = {
      blobEndpoint: `${arm.url}/storage/blob`,
      container: CONTAINER,
      registryPrefix: 'pipelines/bike-demand/',
      model: 'demand-forecast',
      promoterJob: 'contoso-mlops-dev-promote',
      promotionTimeoutSeconds: 3600,
    });

  it('the promoter, whose spec carries the endpoint lease too, takes it once (its rollout does not lease again)', async () => {
    seedRun('register-run-7', 7, true);
    const report = await driver.promote!(promoteSpec(withLease), fakeContext(), { run: 'register-run-7' });
    expect(report.outputs.promoted).toBe('true');
    expect(arm.requests.filter((r) => r.leaseAction).map((r) => r.leaseAction)).toEqual(['acquire', 'acquire', 'release']);
    expect(arm.blobs.get(LEASE)!.lease).toBeUndefined();
  });

  it('refuses a spec whose endpoint lease is another blob than the promoter’s, before any request', async () => {
    const err = (await driver.promote!(
      promoteSpec((s) => {
        withLease(s);
        s.azure.endpoint.lease.model = 'other-model';
      }),
      fakeContext(),
      { run: 'r' },
    ).catch((e) => e)) as ReleaseSpecError;
    expect(err).toBeInstanceOf(ReleaseSpecError);
    expect(err.message).toContain('azure.endpoint.lease.model');
    expect(err.message).toContain('the endpoint step would lease another blob than the promoter');
    expect(arm.requests).toEqual([]);
  });

  it('a promotion that starts while cdktf deploy rolls out waits, refuses and changes nothing; after the deploy it rolls out', async () => {
    seedRun('register-run-7', 7, true);
    // a new revision for cdktf deploy (its training step ran)
    await driver.apply(
      specFixture('training', (s) => {
        s.revision = 'bbbbbbbbbbbb';
        s.training.jobName = `${RELEASE}-bbbbbbbbbbbb`;
        s.azure.training.modelPath = 'models/bike-demand/bbbbbbbbbbbb';
      }),
      fakeContext(),
    );
    const deploySpec = specFixture('endpoint', (s) => {
      s.revision = 'bbbbbbbbbbbb';
      s.azure.endpoint.configHash = 'bbbb0000bbbb';
      withLease(s);
    });
    arm.clearRequests();
    const deploy = fakeContext();
    const sleep = deploy.sleep;
    let during: unknown;
    let armWritesDuring: string[] = [];
    Object.assign(deploy, {
      // while the deploy's canary bakes (it holds the lease), the promoter job runs
      sleep: async (ms: number) => {
        if (during === undefined) {
          const before = writes().filter((w) => !w.includes('/storage/')).length;
          during = await driver.promote!(promoteSpec(withLease), fakeContext(), { run: 'register-run-7' }).catch((e) => e);
          armWritesDuring = writes()
            .filter((w) => !w.includes('/storage/'))
            .slice(before);
        }
        await sleep(ms);
      },
    });

    const deployed = await driver.apply(deploySpec, deploy);

    expect((during as ReleaseError).code).toBe('LEASE_HELD');
    expect((during as Error).message).toContain(`Another rollout holds the lease on ${LEASE}`);
    expect(armWritesDuring).toEqual([]);
    expect(deployed.outputs).toMatchObject({ deployment: 'green', revision: 'bbbbbbbbbbbb' });
    expect(arm.endpoints.get(EP)!.properties.traffic).toEqual({ green: 100 });

    // the message comes back: now the lease is free and the promotion rolls out over the deploy's revision
    const later = await driver.promote!(promoteSpec(withLease), fakeContext(), { run: 'register-run-7' });
    expect(later.outputs).toMatchObject({ promoted: 'true', deployment: 'blue', registryVersion: '7' });
    expect(arm.blobs.get(LEASE)!.lease).toBeUndefined();
  });
});

describe('cdktf destroy after a promotion', () => {
  it('removes the endpoint serving a promoted version and the training step’s model version (a promotion supersedes no step)', async () => {
    seedRun('register-run-7', 7, true);
    await driver.promote!(promoteSpec(), fakeContext(), { run: 'register-run-7' });
    expect(arm.deployments.get(EP)!.has('green')).toBe(true);

    const endpoint = await driver.destroy(specFixture('endpoint'), fakeContext());
    expect(endpoint.actions).toContainEqual(expect.objectContaining({ action: 'deleted', what: 'online endpoint', id: EP }));
    expect(arm.endpoints.has(EP)).toBe(false);
    const training = await driver.destroy(specFixture('training'), fakeContext());
    expect(training.outputs.superseded).toBeUndefined();
    expect(arm.models.get('bike-demand')!.has('1')).toBe(false);
    // the promoted version stays: it is the pipeline registry's history
    expect(arm.models.get('bike-demand')!.get('2')!.properties.tags['mlops.registry.version']).toBe('7');
  });
});

describe('mlops-release promote (CLI)', () => {
  it('needs --run or --from-queue, and runs promote with the spec from the environment', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: { MLOPS_RELEASE_SPEC: JSON.stringify(promoteSpec()) } };
    expect(await runRelease(['promote'], io)).toBe(2);
    expect(err.join('')).toContain('promote needs --run <run of the register node> or --from-queue');
    expect(await runRelease(['promote', '--run', 'a', '--from-queue'], io)).toBe(2);
    expect(await runRelease(['apply', '--run', 'a'], io)).toBe(2);
  });
});
