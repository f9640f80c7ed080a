import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ReleaseError } from '../src/driver';
import { parseSpec, ReleaseSpecError } from '../src/spec';

const applyMock = jest.fn();
const destroyMock = jest.fn();
jest.mock('../src/drivers', () => ({
  driverFor: (cloud: string) => {
    if (cloud !== 'aws') throw new Error(`unexpected cloud ${cloud}`);
    return { apply: applyMock, destroy: destroyMock };
  },
}));

// Imported after the mock so the CLI sees the mocked drivers.
import { runRelease } from '../src/cli';

const DIGEST = 'sha256:' + 'a'.repeat(64);
function spec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specVersion: 1,
    kind: 'training',
    cloud: 'aws',
    name: 'contoso-mlops-dev-bike-demand',
    modelName: 'bike-demand',
    revision: '0123456789ab',
    image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime@${DIGEST}`,
    training: {
      jobName: 'contoso-mlops-dev-bike-demand-0123456789ab',
      dataUri: 's3://bucket/datasets/hour.csv',
      outputUri: 's3://bucket/models/',
      hyperparameters: { target: 'cnt' },
      instanceType: 'ml.m5.xlarge',
      instanceCount: 1,
      maxRuntimeSeconds: 7200,
    },
    aws: { region: 'eu-west-1' },
    ...overrides,
  };
}

function capture(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let t = 0;
  return {
    io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), env, sleep: async () => undefined, now: () => (t += 500) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

beforeEach(() => {
  applyMock.mockReset();
  destroyMock.mockReset();
});

describe('mlops release: usage', () => {
  it('prints usage and exits 2 without a command', async () => {
    const c = capture();
    expect(await runRelease([], c.io)).toBe(2);
    expect(c.out()).toMatch(/usage: mlops release <apply\|destroy\|start\|promote>/);
  });

  it('--help exits 0', async () => {
    const c = capture();
    expect(await runRelease(['--help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/--spec-env/);
  });

  it('refuses an unknown command, naming it', async () => {
    const c = capture();
    expect(await runRelease(['deploy'], c.io)).toBe(2);
    expect(c.err()).toMatch(/unknown command "deploy": use apply, destroy, start or promote/);
  });

  it('refuses an unknown argument', async () => {
    const c = capture({ MLOPS_RELEASE_SPEC: JSON.stringify(spec()) });
    expect(await runRelease(['apply', '--force'], c.io)).toBe(2);
    expect(c.err()).toMatch(/unknown argument "--force"/);
  });

  it('says which variable is missing and how to fix it', async () => {
    const c = capture();
    expect(await runRelease(['apply'], c.io)).toBe(2);
    expect(c.err()).toMatch(/MLOPS_RELEASE_SPEC is not set: pass --spec <file.json>/);
    expect(applyMock).not.toHaveBeenCalled();
  });

  it('refuses --spec and --spec-env together', async () => {
    const c = capture();
    expect(await runRelease(['apply', '--spec', 'a.json', '--spec-env', 'X'], c.io)).toBe(2);
    expect(c.err()).toMatch(/not both/);
  });

  it('names a spec file it cannot read', async () => {
    const c = capture();
    expect(await runRelease(['apply', '--spec', '/nonexistent/spec.json'], c.io)).toBe(2);
    expect(c.err()).toMatch(/cannot read --spec "\/nonexistent\/spec.json": ENOENT/);
  });
});

describe('mlops release: spec validation', () => {
  it('reports malformed JSON', async () => {
    const c = capture({ MLOPS_RELEASE_SPEC: '{"specVersion":' });
    expect(await runRelease(['apply'], c.io)).toBe(2);
    expect(c.err()).toMatch(/\[RELEASE_SPEC_INVALID\] \(spec\): is not valid JSON/);
  });

  it('lists every problem with its path', () => {
    let error: ReleaseSpecError | undefined;
    try {
      parseSpec(spec({ revision: 'xyz', image: 'runtime:latest', training: undefined, gcp: { projectId: 'p' } }));
    } catch (e) {
      error = e as ReleaseSpecError;
    }
    expect(error).toBeInstanceOf(ReleaseSpecError);
    const paths = error!.issues.map((i) => i.path).sort();
    expect(paths).toEqual(['gcp', 'image', 'revision', 'training']);
    expect(error!.message).toMatch(/training: is required when kind is training/);
    expect(error!.message).toMatch(/gcp: does not belong to this aws release; remove it/);
  });

  it('requires the cloud target and the endpoint section for endpoint steps', () => {
    expect(() => parseSpec(spec({ kind: 'endpoint', aws: undefined }))).toThrow(/endpoint: is required when kind is endpoint[\s\S]*aws: is required when cloud is aws/);
  });

  it('refuses unknown keys', () => {
    expect(() => parseSpec(spec({ extra: 1 }))).toThrow(ReleaseSpecError);
  });

  it('accepts the spec a stack writes', () => {
    expect(parseSpec(JSON.stringify(spec())).training!.jobName).toBe('contoso-mlops-dev-bike-demand-0123456789ab');
  });
});

describe('mlops release: running a driver', () => {
  it('runs apply with the spec from the environment and prints the summary', async () => {
    applyMock.mockResolvedValue({
      actions: [
        { action: 'created', what: 'training job', id: 'contoso-mlops-dev-bike-demand-0123456789ab' },
        { action: 'unchanged', what: 'model package', id: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/g/1' },
      ],
      outputs: { modelVersion: '0123456789ab' },
    });
    const c = capture({ MLOPS_RELEASE_SPEC: JSON.stringify(spec()) });
    expect(await runRelease(['apply', '--spec-env', 'MLOPS_RELEASE_SPEC'], c.io)).toBe(0);
    expect(applyMock).toHaveBeenCalledTimes(1);
    const [passed, ctx] = applyMock.mock.calls[0];
    expect(passed.revision).toBe('0123456789ab');
    expect(typeof ctx.sleep).toBe('function');
    expect(c.err()).toMatch(/apply training step of release contoso-mlops-dev-bike-demand \(revision 0123456789ab\) on aws/);
    expect(c.out()).toMatch(/created\s+training job contoso-mlops-dev-bike-demand-0123456789ab/);
    expect(c.out()).toMatch(/modelVersion = 0123456789ab/);
  });

  it('reads --spec from a file and prints JSON with --json', async () => {
    destroyMock.mockResolvedValue({ actions: [{ action: 'deleted', what: 'model package', id: 'x' }], outputs: {} });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'release-cli-')), 'spec.json');
    fs.writeFileSync(file, JSON.stringify(spec()));
    const c = capture();
    expect(await runRelease(['destroy', `--spec=${file}`, '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out()).actions[0].action).toBe('deleted');
  });

  it('exits 1 with the code and message of a release failure', async () => {
    applyMock.mockRejectedValue(new ReleaseError('training job x failed: AlgorithmError: MISSING_TARGET', 'TRAINING_FAILED'));
    const c = capture({ MLOPS_RELEASE_SPEC: JSON.stringify(spec()) });
    expect(await runRelease(['apply'], c.io)).toBe(1);
    expect(c.err()).toMatch(/apply failed \[TRAINING_FAILED\]: training job x failed: AlgorithmError: MISSING_TARGET/);
  });

  it('exits 2 when the driver finds the target invalid', async () => {
    applyMock.mockRejectedValue(new ReleaseSpecError([{ code: 'RELEASE_SPEC_INVALID', path: 'aws.roleArn', message: 'is required' }]));
    const c = capture({ MLOPS_RELEASE_SPEC: JSON.stringify(spec()) });
    expect(await runRelease(['apply'], c.io)).toBe(2);
    expect(c.err()).toMatch(/aws.roleArn: is required/);
  });
});
