import { ReleaseDriver, ReleaseError } from '../src/driver';
import { RESPONSE_COUNT_METRIC, createGcpDriver, endpointUrlOf } from '../src/gcp';
import { FakeVertex, PROJECT, REGION } from './fixtures/gcp/fake-vertex';
import { ENDPOINT, ENDPOINT_ID, RELEASE, driverOptions, endpointSpec, testContext, trainingSpec } from './fixtures/gcp/harness';

/** Private network mode on GCP: jobs join the VPC, the endpoint is reached through a PSC forwarding rule. */

const MR1 = 'a1b2c3d4e5f6';
const MR2 = '0f0e0d0c0b0a';
const ER1 = 'e1e1e1e1e1e1';
const ER2 = 'e2e2e2e2e2e2';
const ATTACHMENT = `projects/tenant-p/regions/${REGION}/serviceAttachments/sa-${ENDPOINT_ID}`;
const PSC = { network: `projects/${PROJECT}/global/networks/contoso-mlops-prod-vpc`, address: '10.40.0.5', forwardingRule: 'contoso-mlops-prod-bike-demand-psc' };
const ATTACHMENT_ID = `projects/${PROJECT}/regions/${REGION}/networkAttachments/contoso-mlops-prod-jobs-attachment`;

let fake: FakeVertex;
let driver: ReleaseDriver;

beforeAll(async () => {
  fake = await FakeVertex.start();
  driver = createGcpDriver(driverOptions(fake));
});
beforeEach(() => {
  fake.reset();
  fake.seedEndpoint(ENDPOINT_ID).serviceAttachment = ATTACHMENT;
});
afterAll(async () => {
  await fake.stop();
});

describe('GCP private mode: training', () => {
  test('GIVEN a network attachment in the target WHEN the training step runs THEN the custom job joins the VPC through it (pscInterfaceConfig)', async () => {
    await driver.apply(trainingSpec(MR1, { gcp: { networkAttachment: ATTACHMENT_ID } }), testContext());
    const create = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/customJobs'))!;
    expect(create.body.jobSpec.pscInterfaceConfig).toEqual({ networkAttachment: ATTACHMENT_ID });
  });

  test('GIVEN no network attachment WHEN the training step runs THEN the job has no PSC interface', async () => {
    await driver.apply(trainingSpec(MR1), testContext());
    const create = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/customJobs'))!;
    expect(create.body.jobSpec.pscInterfaceConfig).toBeUndefined();
  });
});

describe('GCP private mode: endpoint', () => {
  test('GIVEN a PSC target WHEN the first model is deployed THEN the forwarding rule on the reserved address targets the service attachment and endpointUrl is the private address', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    const report = await driver.apply(endpointSpec(ER1, MR1, {}, { gcp: { psc: PSC } }), testContext());
    expect(fake.forwardingRules.get(PSC.forwardingRule)).toEqual({
      name: PSC.forwardingRule,
      network: PSC.network,
      IPAddress: PSC.address,
      target: ATTACHMENT,
      loadBalancingScheme: '',
    });
    expect(report.outputs.endpointUrl).toBe(`https://10.40.0.5/v1/${ENDPOINT}:predict`);
    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toContain('created forwarding rule');
  });

  test('GIVEN the rule already targets the attachment WHEN a canary rolls out THEN the rule exists before the bake and is left unchanged', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    const old = fake.seedDeployment(ENDPOINT_ID, RELEASE, '1', `${RELEASE}-${ER1}`, 100);
    fake.seedVersion(RELEASE, [`r-${MR2}`, 'default']);
    fake.forwardingRules.set(PSC.forwardingRule, { name: PSC.forwardingRule, target: ATTACHMENT });
    fake.timeSeries = (q) =>
      q.filter!.includes(RESPONSE_COUNT_METRIC) ? { timeSeries: [{ metric: { labels: { response_code: '200' } }, points: [{ value: { int64Value: '30' } }] }] } : {};
    const report = await driver.apply(endpointSpec(ER2, MR2, {}, { gcp: { psc: PSC } }), testContext());
    const lines = fake.lines();
    const ruleGet = lines.findIndex((l) => l.includes('/forwardingRules/'));
    const firstHealth = lines.findIndex((l) => l.includes('/timeSeries'));
    expect(ruleGet).toBeGreaterThan(-1);
    expect(ruleGet).toBeLessThan(firstHealth);
    expect(fake.requests.some((r) => r.method === 'POST' && r.path.includes('/forwardingRules'))).toBe(false);
    expect(report.actions.filter((a) => a.what === 'forwarding rule').map((a) => a.action)).toEqual(['unchanged', 'unchanged']);
    expect(old.id).toBeDefined();
  });

  test('GIVEN a rule that targets a recycled attachment WHEN the step applies THEN the rule is re-created on the new attachment', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    fake.forwardingRules.set(PSC.forwardingRule, { name: PSC.forwardingRule, target: 'projects/tenant-p/regions/x/serviceAttachments/old' });
    await driver.apply(endpointSpec(ER1, MR1, {}, { gcp: { psc: PSC } }), testContext());
    expect(fake.requests.filter((r) => r.path.includes('/forwardingRules')).map((r) => r.method)).toEqual(['GET', 'GET', 'DELETE', 'POST', 'GET']);
    expect(fake.forwardingRules.get(PSC.forwardingRule)!.target).toBe(ATTACHMENT);
  });

  test('GIVEN an endpoint without Private Service Connect WHEN a PSC target deploys to it THEN the step fails naming the missing attachment', async () => {
    fake.endpoints.get(ENDPOINT_ID)!.serviceAttachment = undefined;
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    let error: unknown;
    try {
      await driver.apply(endpointSpec(ER1, MR1, {}, { gcp: { psc: PSC } }), testContext());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReleaseError);
    expect((error as ReleaseError).code).toBe('PSC_ATTACHMENT_MISSING');
  });

  test('GIVEN the last release step WHEN it is destroyed THEN every deployment is undeployed and the forwarding rule deleted (so the address can go)', async () => {
    fake.seedVersion(RELEASE, [`r-${MR1}`, 'default']);
    await driver.apply(endpointSpec(ER1, MR1, {}, { gcp: { psc: PSC } }), testContext());
    await driver.destroy(endpointSpec(ER1, MR1, {}, { gcp: { psc: PSC } }), testContext());
    expect(fake.forwardingRules.has(PSC.forwardingRule)).toBe(false);
    expect(fake.endpoints.get(ENDPOINT_ID)!.deployedModels).toEqual([]);
  });

  test('GIVEN a target without psc WHEN the URL is built THEN it is the regional public endpoint', () => {
    expect(endpointUrlOf({ region: REGION, endpoint: ENDPOINT })).toBe(`https://${REGION}-aiplatform.googleapis.com/v1/${ENDPOINT}:predict`);
  });
});
