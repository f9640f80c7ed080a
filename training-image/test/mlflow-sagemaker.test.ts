/**
 * A SageMaker pipeline step records its own MLflow run on a SageMaker managed
 * tracking server: the exact requests (experiment lookup/create, run create,
 * log-batch, run end) as a loopback HTTP server receives them, each one's
 * SigV4 signature checked by an independent verifier written here on
 * node:crypto — itself checked against AWS's published SigV4 test vectors —
 * with known credentials and a fixed clock; retries on 429/5xx; and a
 * failure is a warning (the step's exit code is its own).
 */
import { spawn } from 'child_process';
import { createHash, createHmac } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { SignatureV4 } from '@smithy/signature-v4';
import { stepCommand } from '../src/cli/pipeline';
import { defaultAwsCredentials, MLFLOW_SIGNING_SERVICE, NodeSha256, sageMakerMlflowSigner, TRACKING_SERVER_ARN_HEADER } from '../src/tracking/aws-auth';
import { LOG_ATTEMPTS, MLFLOW_CALLS, MLFLOW_STEP_ENV, mlflowTargetFromEnv, recordMlflowRun, sageMakerMlflowHost } from '../src/tracking/mlflow-rest';
import { stepLineageTags } from '../src/pipeline/lineage';

const ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/contoso-mlops-dev-mlflow';
const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token-1' };
const CLOCK = new Date('2026-01-02T03:04:05Z');
const sha256 = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

// ---- an independent SigV4 verifier (AWS Signature Version 4, header signing) ----

/** A request as it arrived: method, the raw path and query as sent, the headers (lower-case names), the body. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** The signature a request should carry, recomputed from the request as it arrived and the secret key. */
function expectedSignature(req: Received, secret: string): { signature: string; given: string; scope: string[]; signedHeaders: string[] } {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) throw new Error(`not a SigV4 authorization header: ${auth}`);
  const scope = m[1]!.split('/'); // key id, date, region, service, aws4_request
  const signedHeaders = m[2]!.split(';');
  const [rawPath, rawQuery = ''] = req.url.split('?');
  // Canonical URI: each segment URI-encoded (our paths hold only unreserved characters, so as sent).
  const canonicalQuery = rawQuery
    .split('&')
    .filter(Boolean)
    .map((kv) => (kv.includes('=') ? kv : `${kv}=`))
    .sort()
    .join('&');
  const canonicalHeaders = signedHeaders
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonicalRequest = [req.method, rawPath, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), sha256(req.body)].join('\n');
  const amzDate = String(req.headers['x-amz-date']);
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope.slice(1).join('/'), sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, scope[1]!), scope[2]!), scope[3]!), 'aws4_request');
  return { signature: hmac(key, stringToSign).toString('hex'), given: m[3]!, scope, signedHeaders };
}

describe('the SigV4 verifier of these tests, and the signer as the client configures it, against AWS test vectors', () => {
  // awslabs/aws-c-auth tests/aws-signing-test-suite/v4 (the AWS SigV4 test suite): credentials AKIDEXAMPLE /
  // wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service "service", 20150830T123600Z.
  const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  const VECTOR_DATE = new Date('2015-08-30T12:36:00Z');

  test('get-vanilla: the verifier computes the published signature', () => {
    const req: Received = {
      method: 'GET',
      url: '/',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      body: '',
    };
    const r = expectedSignature(req, SECRET);
    expect(r.signature).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
    expect(r.signature).toBe(r.given);
  });

  // post-x-www-form-urlencoded/header-signed-request.txt: a body, its x-amz-content-sha256 and content-length signed.
  const FORM = {
    body: 'Param1=value1',
    signature: 'd3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b',
    signedHeaders: 'content-length;content-type;host;x-amz-content-sha256;x-amz-date',
  };

  test('post-x-www-form-urlencoded: the verifier computes the published signature', () => {
    const r = expectedSignature(
      {
        method: 'POST',
        url: '/',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          host: 'example.amazonaws.com',
          'content-length': '13',
          'x-amz-content-sha256': '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e',
          'x-amz-date': '20150830T123600Z',
          authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${FORM.signedHeaders}, Signature=${FORM.signature}`,
        },
        body: FORM.body,
      },
      SECRET,
    );
    expect(r.signature).toBe(FORM.signature);
  });

  test('post-x-www-form-urlencoded: @smithy/signature-v4 with the node:crypto SHA-256 of aws-auth.ts gives the published signature', async () => {
    const signer = new SignatureV4({ service: 'service', region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET }, sha256: NodeSha256 });
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: 'example.amazonaws.com',
        path: '/',
        query: {},
        headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'example.amazonaws.com', 'content-length': '13' },
        body: FORM.body,
      },
      { signingDate: VECTOR_DATE },
    );
    expect(signed.headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${FORM.signedHeaders}, Signature=${FORM.signature}`,
    );
    expect(signed.headers['x-amz-content-sha256']).toBe(sha256(FORM.body));
  });

  test('a request changed after signing does not verify (the verifier can fail)', () => {
    const req: Received = {
      method: 'GET',
      url: '/other',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      body: '',
    };
    const r = expectedSignature(req, SECRET);
    expect(r.signature).not.toBe(r.given);
  });
});

// ---- a loopback SageMaker MLflow API ----

interface Recorded extends Received {
  readonly call: string;
  readonly json: any;
  readonly valid: boolean;
}

/**
 * A loopback MLflow server as the SageMaker MLflow API answers: every request
 * recorded with its signature verified (an invalid one is answered 403, as
 * AWS does); experiments and runs kept in memory; `statuses[call]` lists
 * statuses to answer a call with before it succeeds.
 */
async function sageMakerMlflow(
  opts: { statuses?: Partial<Record<keyof typeof MLFLOW_CALLS, number[]>>; experiments?: Record<string, string>; secret?: string; raceCreate?: boolean } = {},
): Promise<{ url: string; requests: Recorded[]; close: () => Promise<void> }> {
  const requests: Recorded[] = [];
  const experiments = new Map(Object.entries(opts.experiments ?? {}));
  let runs = 0;
  const byPath = new Map(Object.entries(MLFLOW_CALLS).map(([name, c]) => [`${c.method} /api/2.0/mlflow${c.path}`, name as keyof typeof MLFLOW_CALLS]));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const call = byPath.get(`${req.method} ${req.url!.split('?')[0]}`) ?? 'unknown';
      let valid = false;
      try {
        const s = expectedSignature({ method: req.method!, url: req.url!, headers: req.headers, body }, opts.secret ?? CREDS.secretAccessKey);
        valid = s.signature === s.given && req.headers['x-amz-content-sha256'] === sha256(body);
      } catch {
        valid = false;
      }
      requests.push({ call, method: req.method!, url: req.url!, headers: req.headers, body, json: body ? JSON.parse(body) : undefined, valid });
      const answer = (status: number, payload: object): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (!valid) return answer(403, { message: 'The request signature we calculated does not match the signature you provided.' });
      const scripted = opts.statuses?.[call as keyof typeof MLFLOW_CALLS]?.shift();
      if (scripted) return answer(scripted, { error_code: scripted >= 500 ? 'INTERNAL_ERROR' : 'INVALID_PARAMETER_VALUE', message: `status ${scripted}` });
      const q = new URL(req.url!, 'http://x').searchParams;
      const j = body ? JSON.parse(body) : {};
      if (call === 'GetExperimentByName') {
        const id = experiments.get(q.get('experiment_name') ?? '');
        return id
          ? answer(200, { experiment: { experiment_id: id, name: q.get('experiment_name'), lifecycle_stage: 'active' } })
          : answer(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Could not find experiment with name '${q.get('experiment_name')}'` });
      }
      if (call === 'CreateExperiment') {
        if (opts.raceCreate) {
          // Another step created it a moment ago.
          experiments.set(j.name, '77');
          return answer(400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: `Experiment '${j.name}' already exists.` });
        }
        experiments.set(j.name, String(experiments.size + 1));
        return answer(200, { experiment_id: experiments.get(j.name) });
      }
      if (call === 'CreateRun') return answer(200, { run: { info: { run_id: `run-${++runs}`, experiment_id: j.experiment_id, status: 'RUNNING' }, data: {} } });
      if (call === 'LogBatch') return answer(200, {});
      if (call === 'UpdateRun') return answer(200, { run_info: { run_id: j.run_id, status: j.status } });
      return answer(404, { error_code: 'ENDPOINT_NOT_FOUND' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'step-sm-'));
  const rows = ['day,sales'];
  for (let i = 0; i < 20; i++) rows.push(`2024-01-${String(i + 1).padStart(2, '0')},${i * 3}`);
  fs.writeFileSync(path.join(dir, 'data.csv'), `${rows.join('\n')}\n`);
  return dir;
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
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime@sha256:${'ab'.repeat(32)}`;
const EXECUTION_ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/contoso-mlops-dev-bike-demand/execution/0ab1cd2ef3gh';

/** The environment a SageMaker step gets from the compiler (test/aws-mlflow.test.ts checks the library writes these names). */
function stepEnv(endpoint: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    [MLFLOW_STEP_ENV.trackingUri]: ARN,
    [MLFLOW_STEP_ENV.experiment]: 'contoso-mlops-dev-bike-demand',
    [MLFLOW_STEP_ENV.pipeline]: 'contoso-mlops-dev-bike-demand',
    [MLFLOW_STEP_ENV.executionArn]: EXECUTION_ARN,
    [MLFLOW_STEP_ENV.executionId]: '0ab1cd2ef3gh',
    [MLFLOW_STEP_ENV.revision]: '0123456789abcdef',
    [MLFLOW_STEP_ENV.image]: IMAGE,
    [MLFLOW_STEP_ENV.inputUris]: JSON.stringify({ data: 's3://contoso-mlops-dev-artifacts/datasets/bike/hour.csv' }),
    [MLFLOW_STEP_ENV.customEndpoint]: endpoint,
    ...extra,
  };
}

async function run(dir: string, args: string[], env: NodeJS.ProcessEnv, credentials: typeof CREDS | null = CREDS): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await stepCommand(
      args,
      { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) },
      { env: { MLOPS_HOME: path.join(dir, '.mlops'), ...env }, mlflow: { retryMs: 0, now: () => CLOCK, ...(credentials ? { credentials: async () => credentials } : {}) } },
    );
    return { code, out, err };
  } finally {
    process.chdir(cwd);
  }
}

describe('a SageMaker pipeline step records its run on the tracking server', () => {
  test('experiment created when missing, a run named <step>-<execution id>, one log-batch with params, metrics, tags and lineage, then FINISHED: each request signed for sagemaker-mlflow as AWS checks it', async () => {
    const srv = await sageMakerMlflow();
    try {
      const dir = project();
      const r = await run(dir, SPLIT, stepEnv(srv.url));
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).ok).toBe(true);
      expect(srv.requests.map((q) => `${q.method} ${q.url}`)).toEqual([
        'GET /api/2.0/mlflow/experiments/get-by-name?experiment_name=contoso-mlops-dev-bike-demand',
        'POST /api/2.0/mlflow/experiments/create',
        'POST /api/2.0/mlflow/runs/create',
        'POST /api/2.0/mlflow/runs/log-batch',
        'POST /api/2.0/mlflow/runs/update',
      ]);
      for (const q of srv.requests) {
        expect(q.valid).toBe(true);
        expect(q.headers[TRACKING_SERVER_ARN_HEADER]).toBe(ARN);
        expect(q.headers['x-amz-security-token']).toBe(CREDS.sessionToken);
        expect(q.headers['x-amz-date']).toBe('20260102T030405Z');
        expect(q.headers['x-amz-content-sha256']).toBe(sha256(q.body));
        const s = expectedSignature(q, CREDS.secretAccessKey);
        expect(s.scope).toEqual([CREDS.accessKeyId, '20260102', 'eu-west-1', 'sagemaker-mlflow', 'aws4_request']);
        expect(s.signedHeaders).toEqual(
          expect.arrayContaining([
            'host',
            'x-amz-content-sha256',
            'x-amz-date',
            'x-amz-security-token',
            TRACKING_SERVER_ARN_HEADER,
            ...(q.method === 'POST' ? ['content-type'] : []),
          ]),
        );
        expect(q.headers.host).toBe(new URL(srv.url).host);
      }
      const [, create, runCreate, batch, update] = srv.requests;
      expect(create!.json).toEqual({ name: 'contoso-mlops-dev-bike-demand' });
      expect(runCreate!.json).toEqual({ experiment_id: '1', run_name: 'split-0ab1cd2ef3gh', start_time: expect.any(Number), tags: [] });
      const ts = batch!.json.metrics[0].timestamp;
      expect(batch!.json).toEqual({
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
          { key: 'mlops.pipeline', value: 'contoso-mlops-dev-bike-demand' },
          { key: 'mlops.execution', value: EXECUTION_ARN },
          { key: 'mlops.pipeline.revision', value: '0123456789abcdef' },
          { key: 'mlops.image', value: IMAGE },
          { key: 'mlops.input.data', value: 's3://contoso-mlops-dev-artifacts/datasets/bike/hour.csv' },
          { key: 'mlops.input.data.sha256', value: sha256(fs.readFileSync(path.join(dir, 'data.csv'))) },
        ],
      });
      expect(update!.json).toEqual({ run_id: 'run-1', run_uuid: 'run-1', status: 'FINISHED', end_time: expect.any(Number) });
      expect(update!.json.end_time).toBeGreaterThanOrEqual(runCreate!.json.start_time);
      expect(r.err).toContain(`split: recorded as MLflow run run-1 in experiment contoso-mlops-dev-bike-demand on ${ARN} (5 requests)`);
    } finally {
      await srv.close();
    }
  });

  test('an existing experiment is looked up, not created; an experiment created by another step in the meantime is read again', async () => {
    const existing = await sageMakerMlflow({ experiments: { 'contoso-mlops-dev-bike-demand': '42' } });
    const race = await sageMakerMlflow({ raceCreate: true });
    try {
      const dir = project();
      expect((await run(dir, SPLIT, stepEnv(existing.url))).code).toBe(0);
      expect(existing.requests.map((q) => q.call)).toEqual(['GetExperimentByName', 'CreateRun', 'LogBatch', 'UpdateRun']);
      expect(existing.requests[1]!.json.experiment_id).toBe('42');
      const r = await run(dir, SPLIT, stepEnv(race.url));
      expect(r.code).toBe(0);
      expect(race.requests.map((q) => [q.call, q.valid])).toEqual([
        ['GetExperimentByName', true],
        ['CreateExperiment', true],
        ['GetExperimentByName', true],
        ['CreateRun', true],
        ['LogBatch', true],
        ['UpdateRun', true],
      ]);
      expect(race.requests[3]!.json.experiment_id).toBe('77');
    } finally {
      await existing.close();
      await race.close();
    }
  });

  test('429 and 5xx are retried (each attempt signed); a batch that keeps failing ends the run FAILED and is a warning, the step still succeeds', async () => {
    const flaky = await sageMakerMlflow({ statuses: { CreateRun: [503, 429] } });
    const failing = await sageMakerMlflow({ statuses: { LogBatch: [500, 500, 500] } });
    try {
      const dir = project();
      expect((await run(dir, SPLIT, stepEnv(flaky.url))).code).toBe(0);
      expect(flaky.requests.map((q) => q.call)).toEqual(['GetExperimentByName', 'CreateExperiment', 'CreateRun', 'CreateRun', 'CreateRun', 'LogBatch', 'UpdateRun']);
      expect(flaky.requests.every((q) => q.valid)).toBe(true);
      const r = await run(dir, SPLIT, stepEnv(failing.url));
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).ok).toBe(true);
      expect(failing.requests.filter((q) => q.call === 'LogBatch')).toHaveLength(LOG_ATTEMPTS);
      expect(failing.requests.at(-1)).toMatchObject({ call: 'UpdateRun', json: { run_id: 'run-1', status: 'FAILED' } });
      expect(r.err).toContain(
        `warning: the step is not recorded in MLflow (${ARN}): POST ${failing.url}/api/2.0/mlflow/runs/log-batch (run run-1) failed after ${LOG_ATTEMPTS} attempt(s): HTTP 500`,
      );
    } finally {
      await flaky.close();
      await failing.close();
    }
  });

  test('a refused signature (403) is not retried; an unreachable server and missing credentials are warnings; the step succeeds each time', async () => {
    const wrongKey = await sageMakerMlflow({ secret: 'another-secret' });
    try {
      const dir = project();
      const r = await run(dir, SPLIT, stepEnv(wrongKey.url));
      expect(r.code).toBe(0);
      expect(wrongKey.requests.map((q) => [q.call, q.valid])).toEqual([['GetExperimentByName', false]]);
      expect(r.err).toContain('HTTP 403');
      const port = Number(new URL(wrongKey.url).port);
      await wrongKey.close();
      const down = await run(dir, SPLIT, stepEnv(`http://127.0.0.1:${port}`));
      expect(down.code).toBe(0);
      expect(down.err).toContain(`warning: the step is not recorded in MLflow (${ARN}): GET http://127.0.0.1:${port}/api/2.0/mlflow/experiments/get-by-name`);
      // No credentials anywhere: nothing is sent.
      const noCreds = await sageMakerMlflow();
      const saved = { ...process.env };
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) delete process.env[k];
      process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = `http://127.0.0.1:${port}`;
      try {
        const none = await run(dir, SPLIT, stepEnv(noCreds.url), null);
        expect(none.code).toBe(0);
        expect(none.err).toContain('warning: the step is not recorded in MLflow');
        expect(none.err).toContain('no AWS credentials');
        expect(noCreds.requests).toEqual([]);
      } finally {
        process.env = saved;
        await noCreds.close();
      }
    } finally {
      await wrongKey.close().catch(() => undefined);
    }
  });

  test('a failed step is recorded as a FAILED run carrying its error; the exit code is the step’s own', async () => {
    const srv = await sageMakerMlflow({ experiments: { 'contoso-mlops-dev-bike-demand': '1' } });
    try {
      const dir = project();
      const r = await run(dir, ['--uses', 'split', '--name', 'split', '--inputs', '{"data":"missing.csv"}'], stepEnv(srv.url));
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).ok).toBe(false);
      expect(srv.requests.map((q) => q.call)).toEqual(['GetExperimentByName', 'CreateRun', 'LogBatch', 'UpdateRun']);
      const tags = srv.requests[2]!.json.tags;
      expect(tags).toEqual(
        expect.arrayContaining([
          { key: 'mlops.error.code', value: 'BAD_INPUT' },
          { key: 'mlops.error.path', value: '--inputs.data' },
        ]),
      );
      expect(tags.find((t: any) => t.key === 'mlops.error.message').value).toContain('missing.csv does not exist');
      // The input it could not read has no hash; its URI is still recorded.
      expect(tags.map((t: any) => t.key)).toContain('mlops.input.data');
      expect(tags.map((t: any) => t.key)).not.toContain('mlops.input.data.sha256');
      expect(srv.requests[3]!.json.status).toBe('FAILED');
    } finally {
      await srv.close();
    }
  });

  test('a step its guard skipped is recorded FINISHED with mlops.skipped, its inputs not hashed', async () => {
    const srv = await sageMakerMlflow({ experiments: { 'contoso-mlops-dev-bike-demand': '1' } });
    try {
      const dir = project();
      expect((await run(dir, [...SPLIT, '--when', 'false'], stepEnv(srv.url))).code).toBe(0);
      const tags = srv.requests.find((q) => q.call === 'LogBatch')!.json.tags.map((t: any) => t.key);
      expect(tags).toContain('mlops.skipped');
      expect(tags).not.toContain('mlops.input.data.sha256');
      expect(srv.requests.at(-1)!.json.status).toBe('FINISHED');
    } finally {
      await srv.close();
    }
  });
});

describe('the target and the lineage from the environment', () => {
  test('a tracking server ARN is the SageMaker MLflow API of its region, signed for its region; bad ARNs, partitions and a missing experiment are named, not used', () => {
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: ARN, MLFLOW_EXPERIMENT_NAME: 'e' })).toEqual({
      kind: 'sagemaker',
      host: 'https://eu-west-1.experiments.sagemaker.aws',
      arn: ARN,
      region: 'eu-west-1',
      experiment: 'e',
    });
    expect(sageMakerMlflowHost('us-gov-west-1')).toBe('https://us-gov-west-1.experiments.sagemaker.aws');
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: ARN, MLFLOW_RUN_ID: 'r' })).toMatchObject({ kind: 'sagemaker', runId: 'r' });
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: ARN })).toEqual({ problem: expect.stringContaining('neither MLFLOW_EXPERIMENT_NAME nor MLFLOW_RUN_ID') });
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: 'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-app/app-1', MLFLOW_EXPERIMENT_NAME: 'e' })).toEqual({
      problem: expect.stringContaining('is not a SageMaker MLflow tracking server ARN'),
    });
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: 'arn:aws-cn:sagemaker:cn-north-1:123456789012:mlflow-tracking-server/x', MLFLOW_EXPERIMENT_NAME: 'e' })).toEqual({
      problem: expect.stringContaining('partition aws-cn'),
    });
    expect(mlflowTargetFromEnv({ MLFLOW_TRACKING_URI: ARN, MLFLOW_EXPERIMENT_NAME: 'e', SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT: 'https://vpce.example/' })).toMatchObject({
      host: 'https://vpce.example',
    });
  });

  test('lineage: nothing without the compiler’s variables (an Azure ML node); a bad MLOPS_INPUT_URIS is a warning', () => {
    expect(stepLineageTags({ MLFLOW_TRACKING_URI: 'azureml://x', MLFLOW_RUN_ID: 'r' }, { data: 'data.csv' })).toEqual([]);
    const lines: string[] = [];
    expect(stepLineageTags({ [MLFLOW_STEP_ENV.inputUris]: '[1]', [MLFLOW_STEP_ENV.image]: IMAGE }, {}, '.', (l) => lines.push(l))).toEqual([{ key: 'mlops.image', value: IMAGE }]);
    expect(lines[0]).toContain('MLOPS_INPUT_URIS is not a JSON object');
  });
});

// ---- credentials: the role's, as the container gets them ----

/** A loopback credentials endpoint: the container (ECS-style) JSON, or IMDSv2 (token, role name, credentials). */
async function credentialsEndpoint(kind: 'container' | 'imds', creds = { AccessKeyId: 'AKIDROLE', SecretAccessKey: 'role-secret', Token: 'role-token' }) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[] = [];
  const body = JSON.stringify({ ...creds, Expiration: new Date(Date.now() + 3600_000).toISOString(), Code: 'Success', Type: 'AWS-HMAC', LastUpdated: new Date().toISOString() });
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    if (kind === 'container') {
      if (req.url === '/creds' && req.headers.authorization === 'container-token') return void res.end(body);
      return void res.writeHead(403).end();
    }
    if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.end('imds-token');
    if (req.headers['x-aws-ec2-metadata-token'] !== 'imds-token') return void res.writeHead(401).end();
    if (req.url === '/latest/meta-data/iam/security-credentials/') return void res.end('workload-role');
    if (req.url === '/latest/meta-data/iam/security-credentials/workload-role') return void res.end(body);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  ])
    delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

describe('the credentials a step signs with', () => {
  const target = (host: string) => ({ kind: 'sagemaker' as const, host, arn: ARN, region: 'eu-west-1', experiment: 'e' });
  const stepRun = { name: 's', startTime: 1, endTime: 2, status: 'FINISHED' as const, batch: { metrics: [], params: [], tags: [{ key: 'k', value: 'v' }] } };

  test('the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI with its token) gives the role whose keys sign every request', async () => {
    const endpoint = await credentialsEndpoint('container');
    const srv = await sageMakerMlflow({ secret: 'role-secret' });
    try {
      const done = await withEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-token' }, () =>
        recordMlflowRun(target(srv.url), stepRun, { retryMs: 0 }),
      );
      expect(done).toEqual({ runId: 'run-1', experimentId: '1', requests: 5 });
      expect(srv.requests.every((q) => q.valid)).toBe(true);
      expect(srv.requests.map((q) => q.headers['x-amz-security-token'])).toEqual(Array(5).fill('role-token'));
      expect(srv.requests[0]!.headers.authorization).toContain('Credential=AKIDROLE/');
      // Fetched once for the five requests.
      expect(endpoint.seen).toHaveLength(1);
    } finally {
      await endpoint.close();
      await srv.close();
    }
  });

  test('without a container endpoint: the instance metadata service (IMDSv2: token, role, credentials)', async () => {
    const imds = await credentialsEndpoint('imds');
    try {
      const creds = await withEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }, () => defaultAwsCredentials({})());
      expect(creds).toMatchObject({ accessKeyId: 'AKIDROLE', secretAccessKey: 'role-secret', sessionToken: 'role-token' });
      expect(imds.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
        'PUT /latest/api/token',
        'GET /latest/meta-data/iam/security-credentials/',
        'GET /latest/meta-data/iam/security-credentials/workload-role',
      ]);
    } finally {
      await imds.close();
    }
  });

  test('keys in the environment come first', async () => {
    const creds = await defaultAwsCredentials({ AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' })();
    expect(creds).toEqual({ accessKeyId: 'AKIDENV', secretAccessKey: 's', sessionToken: 't' });
  });

  test('the signer: region and service of the scope, the ARN header signed, the body hash signed', async () => {
    const sign = sageMakerMlflowSigner(
      'eu-west-1',
      ARN,
      async () => CREDS,
      () => CLOCK,
    );
    const url = new URL('https://eu-west-1.experiments.sagemaker.aws/api/2.0/mlflow/runs/create');
    const headers = await sign({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/eu-west-1/${MLFLOW_SIGNING_SERVICE}/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;${TRACKING_SERVER_ARN_HEADER}, Signature=[0-9a-f]{64}$`,
      ),
    );
    const check = expectedSignature({ method: 'POST', url: url.pathname, headers, body: '{"a":1}' }, CREDS.secretAccessKey);
    expect(check.signature).toBe(check.given);
  });
});

describe('bin/mlops.js (built), as SageMaker starts it', () => {
  const bin = path.resolve(__dirname, '..', 'bin', 'mlops.js');
  const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'src', 'cli', 'pipeline.js'));
  (built ? test : test.skip)('a real `mlops pipeline step` process signs with the container credentials endpoint and records its run', async () => {
    const endpoint = await credentialsEndpoint('container');
    const srv = await sageMakerMlflow({ secret: 'role-secret' });
    try {
      const dir = project();
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: dir,
        MLOPS_HOME: path.join(dir, '.mlops'),
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-token',
        ...stepEnv(srv.url),
      };
      const child = spawn(process.execPath, [bin, 'pipeline', 'step', ...SPLIT], { cwd: dir, env });
      let err = '';
      child.stderr.on('data', (c) => (err += c));
      const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
      expect(code).toBe(0);
      expect(srv.requests.map((q) => [q.call, q.valid])).toEqual([
        ['GetExperimentByName', true],
        ['CreateExperiment', true],
        ['CreateRun', true],
        ['LogBatch', true],
        ['UpdateRun', true],
      ]);
      expect(err).toContain('split: recorded as MLflow run run-1');
    } finally {
      await endpoint.close();
      await srv.close();
    }
  });
});
