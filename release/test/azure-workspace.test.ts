import { ReleaseDriver } from '../src/driver';
import { createAzureDriver } from '../src/azure';
import { WORKSPACE_API_VERSION, WORKSPACE_NETWORK_ACLS_API_VERSION } from '../src/azure/workspace';
import { FakeArm } from './fixtures/azure/fake-arm';
import { fakeContext, specFixture, startArm } from './fixtures/azure/harness';

/**
 * Finding 7 and the firewalled workspace: the release step sets what azurerm
 * cannot — identity-based access to the system datastores (shared keys are
 * off on the storage account) and, in firewalled mode, public access from the
 * allowed ranges only — before it runs a job or rolls out an endpoint.
 */

const WS = '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/contoso-mlops-dev-rg/providers/Microsoft.MachineLearningServices/workspaces/contoso-mlops-dev-mlw';

let arm: FakeArm;
let driver: ReleaseDriver;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const started = await startArm();
  arm = started.arm;
  cleanup = started.cleanup;
  driver = createAzureDriver({ credential: started.credential, endpoint: arm.url, pollIntervalMs: 5, retryDelayMs: 5, trustedCa: started.ca });
});
afterAll(() => cleanup());

beforeEach(() => {
  arm.environments.clear();
  arm.models.clear();
  arm.jobs.clear();
  arm.workspace = { properties: { systemDatastoresAuthMode: 'accessKey', publicNetworkAccess: 'Disabled' } };
  arm.jobStates = ['Completed'];
  arm.operationPolls = 1;
  arm.clearRequests();
});

const training = (workspace: Record<string, unknown>) => specFixture('training', (raw) => (raw.azure.workspace = workspace));

describe('azure driver: workspace settings', () => {
  it('GIVEN a workspace whose system datastores use account keys WHEN the training step applies THEN it switches them to identity before the job, waiting for the update', async () => {
    const report = await driver.apply(training({ systemDatastoresAuthMode: 'identity' }), fakeContext());

    const calls = arm.calls();
    expect(calls.slice(0, 4)).toEqual(['GET ~', 'PATCH ~', expect.stringMatching(/mfeOperationsStatus/), expect.stringMatching(/mfeOperationsStatus/)]);
    expect(calls.indexOf('PATCH ~')).toBeLessThan(calls.findIndex((c) => c.startsWith('PUT ~/jobs/')));
    const patch = arm.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toBe(WS);
    expect(patch.query['api-version']).toBe(WORKSPACE_API_VERSION);
    expect(patch.body).toEqual({ properties: { systemDatastoresAuthMode: 'identity' } });
    expect(arm.workspace.properties.systemDatastoresAuthMode).toBe('identity');
    expect(report.actions[0]).toEqual({ action: 'updated', what: 'workspace system datastores', id: 'contoso-mlops-dev-mlw', detail: 'accessKey -> identity' });
  });

  it('GIVEN the settings are already applied WHEN the step applies again THEN it only reads the workspace', async () => {
    arm.workspace.properties.systemDatastoresAuthMode = 'Identity';
    const report = await driver.apply(training({ systemDatastoresAuthMode: 'identity' }), fakeContext());
    expect(arm.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(report.actions[0]).toMatchObject({ action: 'unchanged', what: 'workspace system datastores' });
  });

  it('GIVEN allowed ranges (firewalled mode) WHEN the step applies THEN the workspace takes public access from those ranges only, through the preview api-version that has networkAcls', async () => {
    await driver.apply(training({ systemDatastoresAuthMode: 'identity', allowedIpRanges: ['203.0.113.10/32', '198.51.100.0/24'] }), fakeContext());
    const acls = arm.requests.filter((r) => r.method === 'PATCH' && r.query['api-version'] === WORKSPACE_NETWORK_ACLS_API_VERSION);
    expect(acls).toHaveLength(1);
    expect(acls[0]!.body).toEqual({
      properties: { publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Deny', ipRules: [{ value: '198.51.100.0/24' }, { value: '203.0.113.10' }] } },
    });
    expect(arm.workspace.properties.publicNetworkAccess).toBe('Enabled');

    // The same ranges again: nothing to change.
    arm.clearRequests();
    arm.jobs.clear();
    await driver.apply(training({ systemDatastoresAuthMode: 'identity', allowedIpRanges: ['198.51.100.0/24', '203.0.113.10'] }), fakeContext());
    expect(arm.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
  });

  it("GIVEN a workspace update that fails WHEN the step applies THEN it stops before the job with the operation's error", async () => {
    arm.failOperation = { path: /workspaces\/contoso-mlops-dev-mlw$/, code: 'AuthorizationFailed', message: 'no write permission on the workspace' };
    await expect(driver.apply(training({ systemDatastoresAuthMode: 'identity' }), fakeContext())).rejects.toThrow(/system datastore access.*Failed.*AuthorizationFailed/);
    expect(arm.requests.some((r) => r.method === 'PUT' && r.path.includes('/jobs/'))).toBe(false);
  });
});
