/**
 * Where `mlops pipeline step` records a cloud run's params and metrics:
 * the KFP ExecutorOutput file (Vertex AI Pipelines: output parameters and a
 * system.Metrics artifact) and the MLflow run of an Azure ML command job
 * (runs/log-batch against a loopback server recording the exact requests).
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AddressInfo } from 'net';
import { stepCommand } from '../src/cli/pipeline';
import { LOG_ATTEMPTS, LOG_BATCH_LIMITS, logToMlflow, mlflowHost, mlflowParams, mlflowTargetFromEnv, PARAM_VALUE_MAX, splitBatch, stepBatch } from '../src/tracking/mlflow-rest';

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'step-track-'));
  const rows = ['day,sales'];
  for (let i = 0; i < 20; i++) rows.push(`2024-01-${String(i + 1).padStart(2, '0')},${i * 3}`);
  fs.writeFileSync(path.join(dir, 'data.csv'), `${rows.join('\n')}\n`);
  return dir;
}

async function run(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await stepCommand(
      args,
      { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) },
      { env: { MLOPS_HOME: path.join(dir, '.mlops'), ...env }, mlflow: { retryMs: 0 } },
    );
    return { code, out, err };
  } finally {
    process.chdir(cwd);
  }
}

const SPLIT = [
  '--uses',
  'split',
  '--name',
  'split',
  '--inputs',
  '{"data":"data.csv"}',
  '--params',
  '{"testFraction":0.25,"time":"day"}',
  '--outputs',
  '{"train":"out/train.csv","test":"out/test.csv"}',
];

/** A loopback MLflow server: records every request; answers with the statuses given, then 200. */
async function mlflowServer(
  statuses: number[] = [],
): Promise<{ url: string; requests: { method: string; url: string; auth?: string; type?: string; body: any }[]; close: () => Promise<void> }> {
  const requests: { method: string; url: string; auth?: string; type?: string; body: any }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, type: req.headers['content-type'], body: JSON.parse(body) });
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{}' : JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: `status ${status}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

const WORKSPACE = '/mlflow/v1.0/subscriptions/0000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

describe('KFP executor output (Vertex AI Pipelines)', () => {
  test('a step writes its metrics as the metrics artifact metadata, keyed <step>.<metric>, with the artifact name and URI the engine gave', async () => {
    const dir = project();
    const input = {
      outputs: {
        artifacts: {
          train: { artifacts: [{ name: 'a/train', uri: 'gs://b/train' }] },
          'mlops-metrics': { artifacts: [{ name: 'a/metrics', uri: 'gs://b/metrics' }] },
        },
        outputFile: path.join(dir, 'kfp', 'executor_output.json'),
      },
    };
    const r = await run(dir, [...SPLIT, '--executor-input', JSON.stringify(input), '--metrics-artifact', 'mlops-metrics']);
    expect(r.code).toBe(0);
    const written = JSON.parse(fs.readFileSync(input.outputs.outputFile, 'utf8'));
    expect(written).toEqual({
      artifacts: { 'mlops-metrics': { artifacts: [{ name: 'a/metrics', uri: 'gs://b/metrics', metadata: { 'split.rows': 20, 'split.train_rows': 15, 'split.test_rows': 5 } }] } },
    });
    // The step's own result on stdout is unchanged.
    expect(JSON.parse(r.out).metrics).toEqual({ rows: 20, train_rows: 15, test_rows: 5 });
  });

  test('a skipped guarded gate still writes its output parameter (passed = false) into the executor output, which the engine reads instead of the files', async () => {
    const dir = project();
    const input = {
      outputs: {
        artifacts: { decision: { artifacts: [{ uri: 'gs://b/d' }] }, 'mlops-metrics': { artifacts: [{ uri: 'gs://b/m' }] } },
        parameters: { passed: { outputFile: path.join(dir, 'kfp', 'passed') } },
        outputFile: path.join(dir, 'kfp', 'executor_output.json'),
      },
    };
    const r = await run(dir, [
      '--uses',
      'gate',
      '--name',
      'gate',
      '--model',
      'm',
      '--outputs',
      JSON.stringify({ decision: 'out/decision.json', passed: input.outputs.parameters.passed.outputFile }),
      '--when',
      'false',
      '--executor-input',
      JSON.stringify(input),
      '--metrics-artifact',
      'mlops-metrics',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(input.outputs.outputFile, 'utf8'))).toEqual({
      parameterValues: { passed: 'false' },
      artifacts: { 'mlops-metrics': { artifacts: [{ uri: 'gs://b/m', metadata: {} }] } },
    });
  });

  test('a bad --executor-input or --metrics-artifact is a usage error naming the option, before the step runs', async () => {
    const dir = project();
    const notJson = await run(dir, [...SPLIT, '--executor-input', '{nope']);
    expect(notJson.code).toBe(2);
    expect(JSON.parse(notJson.out).error.path).toBe('--executor-input');
    const noFile = await run(dir, [...SPLIT, '--executor-input', '{"outputs":{}}']);
    expect(JSON.parse(noFile.out).error).toMatchObject({ path: '--executor-input.outputs.outputFile' });
    const unknown = await run(dir, [
      ...SPLIT,
      '--executor-input',
      JSON.stringify({ outputs: { outputFile: 'x', artifacts: { a: { artifacts: [{}] } } } }),
      '--metrics-artifact',
      'm',
    ]);
    expect(JSON.parse(unknown.out).error.path).toBe('--metrics-artifact');
    expect(JSON.parse(unknown.out).error.message).toContain('its output artifacts are a');
    const alone = await run(dir, [...SPLIT, '--metrics-artifact', 'm']);
    expect(JSON.parse(alone.out).error.path).toBe('--metrics-artifact');
    expect(fs.existsSync(path.join(dir, 'out', 'train.csv'))).toBe(false);
  });
});

describe('MLflow run of the task (Azure ML command jobs)', () => {
  test('with MLFLOW_TRACKING_URI and MLFLOW_RUN_ID the step logs its params, metrics and tags in one runs/log-batch call with the bearer token', async () => {
    const srv = await mlflowServer();
    try {
      const dir = project();
      const r = await run(dir, SPLIT, { MLFLOW_TRACKING_URI: `${srv.url}${WORKSPACE}?is-remote=True`, MLFLOW_RUN_ID: 'run-1', MLFLOW_TRACKING_TOKEN: 'tok' });
      expect(r.code).toBe(0);
      expect(srv.requests).toHaveLength(1);
      const [q] = srv.requests;
      expect(q).toMatchObject({ method: 'POST', url: `${WORKSPACE}/api/2.0/mlflow/runs/log-batch`, auth: 'Bearer tok', type: 'application/json' });
      const ts = q!.body.metrics[0].timestamp;
      expect(typeof ts).toBe('number');
      expect(q!.body).toEqual({
        run_id: 'run-1',
        metrics: [
          { key: 'rows', value: 20, timestamp: ts, step: 0 },
          { key: 'train_rows', value: 15, timestamp: ts, step: 0 },
          { key: 'test_rows', value: 5, timestamp: ts, step: 0 },
        ],
        params: [
          { key: 'testFraction', value: '0.25' },
          { key: 'time', value: 'day' },
        ],
        tags: [
          { key: 'mlops.step', value: 'split' },
          { key: 'mlops.uses', value: 'split' },
        ],
      });
      expect(r.err).toContain('logged to MLflow run run-1');
    } finally {
      await srv.close();
    }
  });

  test('AZUREML_RUN_TOKEN is the token when MLFLOW_TRACKING_TOKEN is unset; without the variables nothing is sent', async () => {
    const srv = await mlflowServer();
    try {
      const dir = project();
      await run(dir, SPLIT, { MLFLOW_TRACKING_URI: `${srv.url}${WORKSPACE}`, MLFLOW_RUN_ID: 'r', AZUREML_RUN_TOKEN: 'aml' });
      expect(srv.requests.map((q) => q.auth)).toEqual(['Bearer aml']);
      const quiet = await run(dir, SPLIT, { MLFLOW_TRACKING_TOKEN: 'tok' });
      expect(quiet.code).toBe(0);
      expect(srv.requests).toHaveLength(1);
      expect(quiet.err).not.toContain('MLflow');
    } finally {
      await srv.close();
    }
  });

  test('a failing tracking server is a warning, never a failed step: 5xx is retried, 4xx is not', async () => {
    const down = await mlflowServer([503, 503, 503]);
    const refused = await mlflowServer([400]);
    try {
      const dir = project();
      const r = await run(dir, SPLIT, { MLFLOW_TRACKING_URI: `${down.url}${WORKSPACE}`, MLFLOW_RUN_ID: 'r', MLFLOW_TRACKING_TOKEN: 't' });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).ok).toBe(true);
      expect(down.requests).toHaveLength(LOG_ATTEMPTS);
      expect(r.err).toContain(
        `warning: the step's params and metrics are not logged to MLflow: POST ${down.url}${WORKSPACE}/api/2.0/mlflow/runs/log-batch (run r) failed after 3 attempt(s): HTTP 503`,
      );
      const r2 = await run(dir, SPLIT, { MLFLOW_TRACKING_URI: `${refused.url}${WORKSPACE}`, MLFLOW_RUN_ID: 'r', MLFLOW_TRACKING_TOKEN: 't' });
      expect(r2.code).toBe(0);
      expect(refused.requests).toHaveLength(1);
      expect(r2.err).toContain('HTTP 400');
      // Nothing listening: a network error, still a warning.
      const port = Number(new URL(down.url).port);
      await down.close();
      const r3 = await run(dir, SPLIT, { MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}${WORKSPACE}`, MLFLOW_RUN_ID: 'r', MLFLOW_TRACKING_TOKEN: 't' });
      expect(r3.code).toBe(0);
      expect(r3.err).toContain('warning: the step');
    } finally {
      await refused.close();
      await down.close().catch(() => undefined);
    }
  });

  test('the tracking URI: azureml:// is sent to the same host and path over https; other schemes and a missing token are named, not used', () => {
    expect(mlflowHost(`azureml://westeurope.api.azureml.ms${WORKSPACE}?is-remote=True`)).toBe(`https://westeurope.api.azureml.ms${WORKSPACE}`);
    expect(mlflowHost('http://localhost:5000/')).toBe('http://localhost:5000');
    expect(mlflowHost('file:///tmp/mlruns')).toBeNull();
    expect(mlflowTargetFromEnv({})).toBeNull();
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: 'x' })).toBeNull();
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: 'databricks', MLFLOW_RUN_ID: 'r' })).toEqual({
      problem: expect.stringContaining('MLFLOW_TRACKING_URI "databricks" is not an azureml://'),
    });
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: `azureml://r.api.azureml.ms${WORKSPACE}`, MLFLOW_RUN_ID: 'r' })).toEqual({
      problem: expect.stringContaining('no MLFLOW_TRACKING_TOKEN or AZUREML_RUN_TOKEN'),
    });
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: `azureml://r.api.azureml.ms${WORKSPACE}`, MLFLOW_RUN_ID: 'r', AZUREML_RUN_TOKEN: 'a', MLFLOW_TRACKING_TOKEN: 'm' })).toEqual({
      host: `https://r.api.azureml.ms${WORKSPACE}`,
      runId: 'r',
      token: 'm',
    });
  });

  test('params are flattened and cut; metrics that are not finite are left out; large batches are split within the log-batch limits', async () => {
    expect(mlflowParams({ a: { b: 1, c: [1, 2] }, d: null, e: 'x'.repeat(PARAM_VALUE_MAX + 10) })).toEqual([
      { key: 'a.b', value: '1' },
      { key: 'a.c', value: '[1,2]' },
      { key: 'd', value: 'null' },
      { key: 'e', value: `${'x'.repeat(PARAM_VALUE_MAX - 1)}…` },
    ]);
    const b = stepBatch({ step: 's', uses: 'evaluate', metrics: { ok: 1, nan: Number.NaN, inf: Number.POSITIVE_INFINITY }, skipped: { when: 'false' } }, {}, 5);
    expect(b.metrics).toEqual([{ key: 'ok', value: 1, timestamp: 5, step: 0 }]);
    expect(b.tags).toContainEqual({ key: 'mlops.skipped', value: 'true' });
    const big = {
      params: Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: 'v' })),
      tags: [{ key: 't', value: 'v' }],
      metrics: Array.from({ length: 2000 }, (_, i) => ({ key: `m${i}`, value: i, timestamp: 0, step: 0 })),
    };
    const parts = splitBatch(big);
    for (const p of parts) {
      expect(p.params.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.params);
      expect(p.tags.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.tags);
      expect(p.params.length + p.tags.length + p.metrics.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.entities);
    }
    expect(parts.flatMap((p) => p.params)).toEqual(big.params);
    expect(parts.flatMap((p) => p.metrics)).toEqual(big.metrics);
    const srv = await mlflowServer();
    try {
      expect(await logToMlflow({ host: srv.url, runId: 'r' }, big, { retryMs: 0 })).toBe(parts.length);
      expect(srv.requests.map((q) => q.body.params.length + q.body.metrics.length + q.body.tags.length)).toEqual(
        parts.map((p) => p.params.length + p.metrics.length + p.tags.length),
      );
      expect(srv.requests[0]!.auth).toBeUndefined();
    } finally {
      await srv.close();
    }
  });
});
