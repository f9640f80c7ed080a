/**
 * The Azure driver's `pipeline` kind against a loopback ARM server: the
 * requests `@azure/arm-machinelearning` sends to register the environment and
 * components, create the schedules, submit batch scoring and start a run, as
 * the server records them. The spec fixture (fixtures/azure/pipeline.json) is
 * what the stack synthesizes for stacks/config/dev-azure.yaml, with the
 * Terraform references replaced by values and `$${{` unescaped as Terraform does.
 */
import { ReleaseDriver } from '../src/driver';
import { ReleaseSpecError } from '../src/spec';
import { createAzureDriver } from '../src/azure';
import { scheduleConfigHash } from '../src/azure/pipeline';
import { runRelease } from '../src/cli';
import { FakeArm, ML_API_VERSION } from './fixtures/azure/fake-arm';
import { fakeContext, specFixture, startArm } from './fixtures/azure/harness';

const RELEASE = 'contoso-mlops-dev-bike-demand';
const ENV = `${RELEASE}-pipeline`;
const SCHEDULE = `${RELEASE}-pipeline`;

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
  arm.components.clear();
  arm.schedules.clear();
  arm.jobs.clear();
  arm.operationPolls = 1;
  arm.clearRequests();
});

const spec = () => specFixture('pipeline');
const target = () => spec().azure as any;

describe('azure driver: pipeline apply', () => {
  it('registers the environment and every component, creates the schedule and submits the batch job for the endpoint revision', async () => {
    const t = target().pipeline;
    const report = await driver.apply(spec(), fakeContext({ MLOPS_RELEASE_INSTANCE: 'step-1' }));
    const components = t.components.flatMap((c: any) => [`GET ~/components/${c.name}/versions/${c.version}`, `PUT ~/components/${c.name}/versions/${c.version}`]);
    expect(arm.calls()).toEqual([
      `GET ~/environments/${ENV}/versions/${t.environment.version}`,
      `PUT ~/environments/${ENV}/versions/${t.environment.version}`,
      ...components,
      `GET ~/schedules/${SCHEDULE}`,
      `PUT ~/schedules/${SCHEDULE}`,
      expect.stringMatching(/^GET \/providers\/Microsoft\.MachineLearningServices\/locations\/westeurope\/mfeOperationsStatus\/op-\d+$/),
      expect.stringMatching(/^GET \/providers\/Microsoft\.MachineLearningServices\/locations\/westeurope\/mfeOperationsStatus\/op-\d+$/),
      `GET ~/schedules/${SCHEDULE}`,
      `GET ~/schedules/${RELEASE}-batch`,
      `GET ~/jobs/${RELEASE}-batch-92966eb1e278`,
      `PUT ~/jobs/${RELEASE}-batch-92966eb1e278`,
    ]);
    for (const r of arm.requests.filter((x) => x.path.includes('/workspaces/'))) expect(r.query['api-version']).toBe(ML_API_VERSION);

    // the environment: the image by digest, Linux, no serving routes (jobs only)
    expect(arm.requests[1]!.body).toEqual({
      properties: {
        image: t.environment.image,
        osType: 'Linux',
        description: `cdktf-mlops runtime image of the pipeline of release ${RELEASE}`,
        tags: { 'mlops.release': RELEASE, 'mlops.image': `sha256:${'3f'.repeat(32)}`, 'managed-by': 'cdktf-mlops' },
      },
    });
    // each component: its spec exactly as the stack compiled it (the SDK passes componentSpec through)
    t.components.forEach((c: any, i: number) => {
      const body = arm.requests[3 + 2 * i]!.body;
      expect(body.properties.componentSpec).toEqual(c.spec);
      expect(body.properties.isAnonymous).toBe(false);
    });
    const gate = t.components.find((c: any) => c.spec.display_name === 'gate');
    expect(gate.spec.command).toContain("--root '${{inputs.mlops_registry}}' && node -e ");

    // the schedule: the compiled trigger and job, marked with the release step instance
    const put = arm.requests.find((r) => r.method === 'PUT' && r.path.endsWith(`/schedules/${SCHEDULE}`))!.body;
    expect(put.properties.trigger).toEqual({ triggerType: 'Cron', expression: '0 3 * * *', timeZone: 'UTC' });
    expect(put.properties.action.actionType).toBe('CreateJob');
    expect(put.properties.action.jobDefinition).toEqual(t.schedule.properties.action.jobDefinition);
    expect(put.properties.action.jobDefinition.jobs.split.inputs.mlops_after_validate.value).toBe('${{parent.jobs.validate.outputs.report}}');
    expect(put.properties.tags).toEqual({
      'mlops.release': RELEASE,
      'managed-by': 'cdktf-mlops',
      'mlops.config': scheduleConfigHash(t.schedule.properties),
      'mlops.step': 'step-1',
    });
    expect(scheduleConfigHash({ ...t.schedule.properties, isEnabled: false })).not.toBe(scheduleConfigHash(t.schedule.properties));

    // the batch job: the compiled one-node pipeline, as is
    const batch = arm.requests.find((r) => r.method === 'PUT' && r.path.includes('/jobs/'))!.body;
    expect(batch.properties).toEqual(t.batch.job);

    expect(report.actions.map((a) => `${a.action} ${a.what}`)).toEqual([
      'created environment',
      ...t.components.map(() => 'created component'),
      'created schedule',
      'created batch job',
    ]);
    expect(report.outputs).toMatchObject({ schedule: SCHEDULE, batchJob: `${RELEASE}-batch-92966eb1e278` });
  });

  it('is idempotent: a second apply only reads', async () => {
    await driver.apply(spec(), fakeContext({ MLOPS_RELEASE_INSTANCE: 'step-1' }));
    arm.clearRequests();
    const report = await driver.apply(spec(), fakeContext({ MLOPS_RELEASE_INSTANCE: 'step-1' }));
    expect(arm.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(report.actions.every((a) => a.action === 'unchanged')).toBe(true);
  });

  it('brings a changed schedule to the spec, and deletes the schedule when the config drops it', async () => {
    await driver.apply(spec(), fakeContext({ MLOPS_RELEASE_INSTANCE: 'step-1' }));
    const later = specFixture('pipeline', (raw) => (raw.azure.pipeline.schedule.properties.trigger.expression = '0 4 * * *'));
    const report = await driver.apply(later, fakeContext({ MLOPS_RELEASE_INSTANCE: 'step-2' }));
    expect(report.actions.find((a) => a.what === 'schedule')).toMatchObject({ action: 'updated', detail: '"0 4 * * *" UTC' });
    expect(arm.schedules.get(SCHEDULE)!.properties.trigger.expression).toBe('0 4 * * *');

    const none = specFixture('pipeline', (raw) => delete raw.azure.pipeline.schedule);
    const dropped = await driver.apply(none, fakeContext({ MLOPS_RELEASE_INSTANCE: 'step-3' }));
    expect(dropped.actions.find((a) => a.what === 'schedule')).toMatchObject({ action: 'deleted', id: SCHEDULE });
    expect(arm.schedules.has(SCHEDULE)).toBe(false);
  });

  it('refuses a schedule of another release', async () => {
    arm.schedules.set(SCHEDULE, { name: SCHEDULE, properties: { tags: { 'mlops.release': 'someone-else' }, trigger: {}, action: {} } });
    await expect(driver.apply(spec(), fakeContext())).rejects.toThrow(/belongs to release someone-else/);
    expect(arm.requests.some((r) => r.method === 'PUT' && r.path.includes('/schedules/'))).toBe(false);
  });

  it('checks the spec before any request: a node on a component the spec does not register', async () => {
    const bad = specFixture(
      'pipeline',
      (raw) => (raw.azure.pipeline.job.jobs.gate.componentId = raw.azure.pipeline.job.jobs.gate.componentId.replace(/versions\/\w+$/, 'versions/000000000000')),
    );
    await expect(driver.apply(bad, fakeContext())).rejects.toThrow(ReleaseSpecError);
    await expect(driver.apply(bad, fakeContext())).rejects.toThrow(/azure\.pipeline\.job\.jobs\.gate\.componentId/);
    expect(arm.requests).toEqual([]);
  });
});

describe('azure driver: pipeline destroy and start', () => {
  it('destroy deletes the schedule this step applied, keeps one a newer step applied', async () => {
    await driver.apply(spec(), fakeContext({ MLOPS_RELEASE_INSTANCE: 'step-1' }));
    const kept = await driver.destroy(spec(), fakeContext({ MLOPS_RELEASE_INSTANCE: 'step-0' }));
    expect(kept.actions[0]).toMatchObject({ action: 'kept', what: 'schedule', id: SCHEDULE });
    expect(arm.schedules.has(SCHEDULE)).toBe(true);
    const gone = await driver.destroy(spec(), fakeContext({ MLOPS_RELEASE_INSTANCE: 'step-1' }));
    expect(gone.actions[0]).toMatchObject({ action: 'deleted', what: 'schedule', id: SCHEDULE });
    expect(arm.schedules.has(SCHEDULE)).toBe(false);
  });

  it('start submits one run of the compiled pipeline job (registering what is missing first)', async () => {
    const ctx = fakeContext();
    const report = await driver.start!(spec(), ctx);
    const name = `${RELEASE}-manual-19700101t001640z`;
    // environment and components first (missing here), then the run
    expect(arm.calls()[0]).toBe(`GET ~/environments/${ENV}/versions/${target().pipeline.environment.version}`);
    expect(arm.calls().filter((c) => c.startsWith('PUT ~/jobs/'))).toEqual([`PUT ~/jobs/${name}`]);
    const put = arm.requests.at(-1)!;
    expect(put.method).toBe('PUT');
    expect(put.path.endsWith(`/jobs/${name}`)).toBe(true);
    expect(put.body.properties).toEqual({ ...target().pipeline.job, displayName: 'demand-forecast (by hand)' });
    expect(report.outputs.job).toBe(name);
    expect(report.outputs.watch).toBe(`az ml job stream --name ${name} --resource-group contoso-mlops-dev-rg --workspace-name contoso-mlops-dev-mlw`);
  });

  it('mlops release start: runs a pipeline spec, refuses other kinds', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: {} as NodeJS.ProcessEnv, sleep: async () => undefined, now: () => 0 };
    const training = JSON.stringify(specFixture('training'));
    expect(await runRelease(['start', '--spec-env', 'S'], { ...io, env: { S: training } })).toBe(2);
    expect(err.join('')).toMatch(/start runs a pipeline spec \(kind pipeline\)/);
  });
});
