/**
 * The contract checks of the container test (run.sh builds the image, then runs this file as
 * compiled to dist/test/container/checks.js). Every check runs the real image in a real
 * container of a real Docker daemon, on ports published to loopback, the way each platform runs
 * it: SageMaker (`<image> train` / `<image> serve`, /opt/ml), Vertex AI (custom job arguments,
 * AIP_* variables, gs:// through a loopback stand-in of the Cloud Storage JSON API), Azure ML (the
 * release step's command job and online deployment), the MLflow scoring protocol, bad requests,
 * SIGTERM, a hardened runtime (--read-only, --cap-drop ALL) and a non-root user.
 *
 * The jobs are the release step's own: the command line of the Azure ML command job
 * (release/src/azure/training.ts, trainCommand), the arguments of the Vertex AI custom job
 * (release/src/gcp/training.ts, trainArgs) and the routes of the Vertex model and the Azure
 * deployment, with the hyperparameters of stacks/config/dev-aws.yaml and the example's data
 * (examples/demand-forecast/data/hour.csv), plus a small max_iter so that training takes seconds.
 *
 * Prints PASS/FAIL per check and a summary (image size, build time, time to the first /ping);
 * exits 1 when any check (or any setup check of run.sh) failed.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { load as parseYaml } from 'js-yaml';
import { planForCloud, stepArguments } from '../../src/pipeline/plan';
import { parsePipeline } from '../../src/pipeline/schema';
import { startServer } from '../../src/serve/http';
import { GcsEmulator } from '../gcs-emulator';

const env = process.env;
const DOCKER = env.MLOPS_TEST_DOCKER ?? 'docker';
const IMAGE = env.MLOPS_TEST_IMAGE ?? 'cdktf-mlops-runtime';
const LABEL = env.MLOPS_TEST_LABEL ?? 'cdktf-mlops-container-test=1';
const REPO = env.MLOPS_TEST_REPO ?? path.resolve(__dirname, '..', '..', '..', '..');
const WORK = env.MLOPS_TEST_WORK ?? '/tmp/mlops-image-test/run';
const DATA = path.join(REPO, 'examples', 'demand-forecast', 'data', 'hour.csv');
const RUNTIME_UID = 1000;

// ------------------------------------------------------------------------------------ reporting

interface Result {
  status: 'PASS' | 'FAIL';
  id: string;
  desc: string;
  detail: string;
}
const results: Result[] = [];

function report(r: Result): void {
  results.push(r);
  const tail = r.detail ? (r.status === 'PASS' ? `  (${r.detail})` : `  -- ${r.detail}`) : '';
  process.stdout.write(`${r.status}  ${r.id.padEnd(4)} ${r.desc}${tail}\n`);
}

/** Runs one check: PASS with the returned detail, FAIL with the message of what it threw. */
// biome-ignore lint/suspicious/noConfusingVoidType: `fn` may be a block that returns nothing.
async function check(id: string, desc: string, fn: () => Promise<string | void> | string | void): Promise<boolean> {
  try {
    const detail = await fn();
    report({ status: 'PASS', id, desc, detail: detail ?? '' });
    return true;
  } catch (e) {
    report({ status: 'FAIL', id, desc, detail: oneLine(e instanceof Error ? e.message : String(e), 600) });
    return false;
  }
}

function must(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

function info(text: string): void {
  process.stdout.write(`INFO  ${text}\n`);
}

function section(text: string): void {
  process.stdout.write(`\n-- ${text}\n`);
}

function oneLine(s: string, max = 240): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

function lastLines(s: string, n = 3): string {
  return oneLine(s.trim().split('\n').slice(-n).join(' | '), 400);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------ docker

interface Exec {
  code: number;
  out: string;
  err: string;
  ms: number;
}

/** Runs the docker client (asynchronously: the GCS stand-in answers in this process meanwhile). */
function docker(args: string[], timeoutMs = 120_000): Promise<Exec> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(DOCKER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err, ms: Date.now() - t0 });
    });
  });
}

let seq = 0;
const containerName = (what: string): string => `mlops-ct-${process.pid}-${++seq}-${what}`;

/** Runs a container to its end (`docker run`, no -d): exit code, combined log, duration. */
async function runToEnd(what: string, runArgs: string[], cmd: string[], timeoutMs = 240_000): Promise<Exec & { name: string }> {
  const name = containerName(what);
  const r = await docker(['run', '--name', name, '--label', LABEL, ...runArgs, IMAGE, ...cmd], timeoutMs);
  if (r.code === -1) r.err += `\n(the container ran longer than ${timeoutMs / 1000} s and was stopped)`;
  await docker(['rm', '-f', name]);
  return { ...r, name };
}

interface Served {
  name: string;
  url: string;
  started: number;
}

/** Starts a detached container; `port` is the container port published on a free loopback port. */
async function start(what: string, runArgs: string[], cmd: string[], port: number | null = 8080, extra: string[] = []): Promise<Served> {
  const name = containerName(what);
  const started = Date.now();
  const publish = port === null ? [] : ['-p', `127.0.0.1::${port}`];
  const r = await docker(['run', '-d', '--name', name, '--label', LABEL, ...publish, ...extra, ...runArgs, IMAGE, ...cmd]);
  must(r.code === 0, `docker run failed: ${lastLines(r.err)}`);
  let url = '';
  if (port !== null) {
    const p = await docker(['port', name, `${port}/tcp`]);
    const m = /127\.0\.0\.1:(\d+)/.exec(p.out);
    must(m, `no published port for ${port}/tcp: ${p.out} ${p.err}`);
    url = `http://127.0.0.1:${m[1]}`;
  }
  return { name, url, started };
}

async function logs(name: string): Promise<string> {
  const r = await docker(['logs', name]);
  return r.out + r.err;
}

async function inspect(name: string, format: string): Promise<string> {
  return (await docker(['inspect', '-f', format, name])).out.trim();
}

async function remove(name: string): Promise<void> {
  await docker(['rm', '-f', name]);
}

/** Waits for a 200 on `url`; returns the ms since the container was started. Throws with the log tail when the container stops or time runs out. */
async function ready(s: Served, route: string, timeoutMs = 60_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const r = await request('GET', s.url + route, undefined, {}, 2000).catch(() => null);
    if (r?.status === 200) return Date.now() - s.started;
    if ((await inspect(s.name, '{{.State.Running}}')) !== 'true') {
      throw new Error(`the container stopped (exit ${await inspect(s.name, '{{.State.ExitCode}}')}) before ${route} answered 200: ${lastLines(await logs(s.name), 4)}`);
    }
    await sleep(50);
  }
  throw new Error(`${route} did not answer 200 within ${timeoutMs / 1000} s: ${lastLines(await logs(s.name), 4)}`);
}

/** Sends SIGTERM (docker stop) and returns the exit code and how long the stop took. */
async function stop(name: string, graceSeconds: number): Promise<{ code: number; ms: number }> {
  const r = await docker(['stop', '-t', String(graceSeconds), name], (graceSeconds + 30) * 1000);
  return { code: Number(await inspect(name, '{{.State.ExitCode}}')), ms: r.ms };
}

// ------------------------------------------------------------------------------------ HTTP

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One HTTP request (node:http: a server that answers 413 before the body is sent must not turn into a client error). */
function request(method: string, url: string, body?: string | Buffer, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      url,
      { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, timeout: timeoutMs },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

function json(r: Reply): Record<string, unknown> {
  try {
    return JSON.parse(r.text) as Record<string, unknown>;
  } catch {
    throw new Error(`the answer is not JSON (${r.status}): ${oneLine(r.text, 200)}`);
  }
}

const JSON_CT = { 'content-type': 'application/json' };

// ------------------------------------------------------------------------------------ data and models

const COLUMNS = ['season', 'yr', 'mnth', 'hr', 'holiday', 'weekday', 'workingday', 'weathersit', 'temp', 'atemp', 'hum', 'windspeed'];
const LIST1 = [3, 1, 7, 8, 0, 2, 1, 1, 0.7, 0.65, 0.5, 0.2];
const LIST2 = [1, 1, 1, 14, 0, 6, 0, 2, 0.3, 0.3, 0.5, 0.15];
const record = (values: number[]): Record<string, number> => Object.fromEntries(COLUMNS.map((c, i) => [c, values[i]!]));
const ROW1 = record(LIST1),
  ROW2 = record(LIST2);
const CSV_ROWS = `${LIST1.join(',')}\n${LIST2.join(',')}\n`;

/** The predictions for ROW1, ROW2 by the runtime in this process (the code under test, outside the image). */
let REFERENCE: number[] | null = null;

/** The answer holds exactly the reference predictions for ROW1, ROW2. */
function expectPredictions(r: Reply, what = 'predictions'): string {
  must(r.status === 200, `${r.status}: ${oneLine(r.text, 300)}`);
  const p = json(r).predictions;
  must(Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number' && Number.isFinite(x)), `expected {"predictions": [two numbers]}, got ${oneLine(r.text, 200)}`);
  if (REFERENCE)
    must(
      p.every((x, i) => x === REFERENCE![i]),
      `${what} ${JSON.stringify(p)} differ from the runtime's own ${JSON.stringify(REFERENCE)} for the same model and rows`,
    );
  return `200, ${(p as number[]).map((x) => x.toFixed(1)).join(', ')}`;
}

function expectError(r: Reply, status: number, code?: string): string {
  must(r.status === status, `expected ${status}${code ? ` ${code}` : ''}, got ${r.status}: ${oneLine(r.text, 200)}`);
  if (code) {
    const b = json(r) as { error_code?: string; errors?: { code?: string; path?: string }[] };
    const codes = [b.error_code, ...(b.errors ?? []).map((e) => e.code)];
    must(codes.includes(code), `expected error code ${code}, got ${oneLine(r.text, 200)}`);
  }
  return String(r.status);
}

/** The hyperparameters the example stack's training job is given (stacks/config/dev-aws.yaml), as strings, as the platforms deliver them; plus a small max_iter. */
function stackHyperparameters(): Record<string, string> {
  const file = path.join(REPO, 'stacks', 'config', 'dev-aws.yaml');
  const config = parseYaml(fs.readFileSync(file, 'utf8')) as { deployment?: { training?: { hyperparameters?: Record<string, unknown> } } };
  const hp = config.deployment?.training?.hyperparameters;
  if (!hp?.target) throw new Error(`${file} has no deployment.training.hyperparameters with a target: the container test trains with them.`);
  return { ...Object.fromEntries(Object.entries(hp).map(([k, v]) => [k, String(v)])), max_iter: '50' };
}

/** The release step's compiled modules (release/dist): the jobs are run as it submits them. */
function release<T>(module: string): T {
  const file = path.join(REPO, 'release', 'dist', 'src', `${module}.js`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: build the release package first (\`npm run build -w release\`; \`npm run test:image\` does).`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as T;
}

function chownTree(dir: string, uid: number, gid: number): void {
  fs.chownSync(dir, uid, gid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else fs.chownSync(p, uid, gid);
  }
}

function fresh(name: string): string {
  const dir = path.join(WORK, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A SageMaker /opt/ml tree: input/config/hyperparameters.json, input/data/train/hour.csv, model/, output/, owned by the runtime user. */
function optMl(name: string, hp: Record<string, string>, data: string = fs.readFileSync(DATA, 'utf8')): string {
  const root = fresh(name);
  for (const d of ['input/config', 'input/data/train', 'model', 'output']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'input/config/hyperparameters.json'), JSON.stringify(hp));
  fs.writeFileSync(path.join(root, 'input/data/train/hour.csv'), data);
  chownTree(root, RUNTIME_UID, RUNTIME_UID);
  return root;
}

/** SageMaker's mounts: the input read-only, model and output writable, each its own mount point. */
function smMounts(root: string): string[] {
  return ['-v', `${root}/input:/opt/ml/input:ro`, '-v', `${root}/model:/opt/ml/model`, '-v', `${root}/output:/opt/ml/output`];
}

const published = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
const failureOf = (root: string): string => {
  const f = path.join(root, 'output', 'failure');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
};

/** A copy of a model directory as a platform delivers it: owned by root, read-only to others (SageMaker unpacks model.tar.gz as root). */
function rootOwnedCopy(model: string, name: string, sub = ''): string {
  const root = fresh(name);
  const dest = path.join(root, sub);
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(model, dest, { recursive: true });
  chownTree(root, 0, 0);
  const modes = (d: string): void => {
    fs.chmodSync(d, 0o755);
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) modes(path.join(d, e.name));
      else fs.chmodSync(path.join(d, e.name), 0o644);
    }
  };
  modes(root);
  return root;
}

/** The listening TCP sockets inside a container, as ip:port (from /proc/net/tcp and tcp6). */
async function listeningSockets(name: string): Promise<string[]> {
  const r = await docker(['exec', name, 'cat', '/proc/net/tcp', '/proc/net/tcp6']);
  const out: string[] = [];
  for (const line of r.out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A' || !f[1]!.includes(':')) continue;
    const [hex, portHex] = f[1]!.split(':') as [string, string];
    const port = parseInt(portHex, 16);
    if (hex.length === 8) {
      const b = Buffer.from(hex, 'hex');
      out.push(`${b[3]}.${b[2]}.${b[1]}.${b[0]}:${port}`);
    } else {
      const words: string[] = [];
      for (let i = 0; i < 32; i += 8) {
        const w = Buffer.from(hex.slice(i, i + 8), 'hex')
          .reverse()
          .toString('hex');
        words.push(w.slice(0, 4), w.slice(4));
      }
      const ip = words
        .map((w) => w.replace(/^0+(?=.)/, ''))
        .join(':')
        .replace(/(^|:)0(:0)+(:|$)/, '::');
      out.push(`[${ip}]:${port}`);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------ the checks

const T_CHECKS = Date.now();
let firstPingMs: number | null = null;
let imageUser = '';

async function imageChecks(): Promise<void> {
  section('image');
  const cfg = JSON.parse((await docker(['image', 'inspect', '-f', '{{json .Config}}', IMAGE])).out || '{}') as {
    User?: string;
    Entrypoint?: string[];
    Cmd?: string[];
    ExposedPorts?: Record<string, unknown>;
    Labels?: Record<string, string>;
    Healthcheck?: { Test?: string[] };
  };
  imageUser = cfg.User ?? '';
  await check('I1', 'exec-form ENTRYPOINT (node as PID 1), CMD serve, EXPOSE 8080, the SageMaker bind-to-port label, a HEALTHCHECK', () => {
    must(JSON.stringify(cfg.Entrypoint) === '["node","/opt/mlops/docker/entrypoint.js"]', `ENTRYPOINT is ${JSON.stringify(cfg.Entrypoint)}`);
    must(JSON.stringify(cfg.Cmd) === '["serve"]', `CMD is ${JSON.stringify(cfg.Cmd)}`);
    must(JSON.stringify(Object.keys(cfg.ExposedPorts ?? {})) === '["8080/tcp"]', `EXPOSE is ${JSON.stringify(cfg.ExposedPorts)}`);
    must(cfg.Labels?.['com.amazonaws.sagemaker.capabilities.accept-bind-to-port'] === 'true', 'the label com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true is missing');
    must(cfg.Healthcheck?.Test?.join(' ').includes('healthcheck.js'), `HEALTHCHECK is ${JSON.stringify(cfg.Healthcheck)}`);
    return `USER ${imageUser || '(root)'}`;
  });
  await check('I2', 'production dependencies only: every package in /opt/mlops/node_modules is a production entry of npm-shrinkwrap.json', async () => {
    const r = await docker([
      'run',
      '--rm',
      '--label',
      LABEL,
      '--entrypoint',
      '/bin/sh',
      IMAGE,
      '-c',
      'cd /opt/mlops/node_modules && for d in * @*/*; do case "$d" in @*/*|[!@]*) [ -d "$d" ] && echo "$d";; esac; done',
    ]);
    must(r.code === 0, `exit ${r.code}: ${lastLines(r.err)}`);
    const inImage = r.out.trim().split('\n').filter(Boolean);
    const lock = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'npm-shrinkwrap.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = inImage.filter((p) => lock.packages[`node_modules/${p}`]?.dev);
    const unknown = inImage.filter((p) => !lock.packages[`node_modules/${p}`]);
    must(inImage.length > 0, 'no packages in /opt/mlops/node_modules');
    must(devOnly.length === 0, `dev dependencies in the image: ${devOnly.join(', ')}`);
    must(unknown.length === 0, `packages the runtime's lockfile does not list: ${unknown.join(', ')}`);
    return `${inImage.length} packages`;
  });
  await check('I3', '`<image> --help` exits 0 and `mlops` is on PATH for a shell command', async () => {
    const h = await runToEnd('help', [], ['--help']);
    must(h.code === 0 && h.out.includes('train'), `exit ${h.code}: ${lastLines(h.out + h.err)}`);
    const s = await runToEnd('path', ['--entrypoint', '/bin/sh'], ['-c', 'command -v mlops && mlops --help >/dev/null']);
    must(s.code === 0, `\`command -v mlops && mlops --help\` exit ${s.code}: ${lastLines(s.out + s.err)}`);
    return s.out.trim();
  });
}

interface Trained {
  model: string | null;
}

async function sagemakerTraining(hp: Record<string, string>): Promise<Trained> {
  section('SageMaker training: <image> train, /opt/ml');
  const trained: Trained = { model: null };
  const sm = ['--network', 'none', '-e', 'MLOPS_TRAINING_CONTRACT=sagemaker', '-e', 'TRAINING_JOB_NAME=container-test'];

  await check('T1', 'train: exit 0, /opt/ml/model filled (manifest.json), no failure file', async () => {
    const root = optMl('sm-ok', hp);
    const r = await runToEnd('train', [...sm, ...smMounts(root)], ['train']);
    must(r.code === 0, `exit ${r.code}: ${lastLines(r.out + r.err, 4)}; failure file: ${oneLine(failureOf(root), 200)}`);
    must(published(path.join(root, 'model')).includes('manifest.json'), `no manifest.json in /opt/ml/model (${published(path.join(root, 'model')).join(', ') || 'empty'})`);
    must(!failureOf(root), `a failure file was written: ${oneLine(failureOf(root), 200)}`);
    must(/training contract: sagemaker/.test(r.err + r.out), 'the log does not name the SageMaker contract');
    trained.model = path.join(root, 'model');
    const holdout = /holdout: ([^\n]*)/.exec(r.err + r.out)?.[1] ?? '';
    return `${(r.ms / 1000).toFixed(1)} s, ${published(trained.model).length} files, ${holdout}`;
  });

  const failing = async (id: string, desc: string, name: string, h: Record<string, string>, expect: RegExp, data?: string): Promise<void> => {
    await check(id, desc, async () => {
      const root = optMl(name, h, data);
      const r = await runToEnd(name, [...sm, ...smMounts(root)], ['train']);
      const failure = failureOf(root);
      must(r.code !== 0, `exit 0: a job that must fail succeeded (${lastLines(r.err, 2)})`);
      must(failure.trim(), `exit ${r.code} but /opt/ml/output/failure is empty or missing (SageMaker would show no reason); log: ${lastLines(r.out + r.err)}`);
      must(expect.test(failure), `the failure file does not give the reason (${expect}): ${oneLine(failure, 250)}`);
      must(published(path.join(root, 'model')).length === 0, `something was published to /opt/ml/model: ${published(path.join(root, 'model')).join(', ')}`);
      return `exit ${r.code}: ${oneLine(failure, 120)}`;
    });
  };
  await failing(
    'T2',
    'bad data (an unterminated quote) → non-zero exit, reason in /opt/ml/output/failure, nothing published',
    'sm-baddata',
    hp,
    /csv|quote|row|line/i,
    'season,hr,cnt\n1,2,3\n3,"unterminated,5\n',
  );
  await failing(
    'T3',
    'a bad hyperparameter (max_iter "ten") → non-zero exit, BAD_HYPERPARAMETER naming it, nothing published',
    'sm-badhp',
    { ...hp, max_iter: 'ten' },
    /BAD_HYPERPARAMETER[^\n]*max_iter/,
  );
  await failing('T4', 'a missed quality gate (r2>=0.999) → non-zero exit, QUALITY_GATE, nothing published', 'sm-gate', { ...hp, gate: 'r2>=0.999' }, /QUALITY_GATE/);

  await check('T5', 'train with --user 1000:1000 --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges', async () => {
    const root = optMl('sm-hardened', hp);
    // Hardened runs start non-root (--user): with --cap-drop ALL, root could not switch to uid 1000.
    const r = await runToEnd(
      'train-ro',
      [...sm, '--user', `${RUNTIME_UID}:${RUNTIME_UID}`, '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', ...smMounts(root)],
      ['train'],
    );
    must(r.code === 0 && published(path.join(root, 'model')).includes('manifest.json'), `exit ${r.code}: ${lastLines(r.out + r.err, 4)}`);
    return `${(r.ms / 1000).toFixed(1)} s`;
  });

  // Defect 3 of issue 13. The platform may create /opt/ml/model and /opt/ml/output as root (SageMaker
  // documents that it runs containers as root). Two designs honour it; which one this image follows
  // is read from its USER: a non-root USER cannot change the mounts' owner, so it must fail at once
  // with the reason; an image that starts as root must fix the ownership and train as uid 1000.
  const rootStarts = imageUser === '' || /^(root|0)(:|$)/.test(imageUser);
  await check(
    'T6',
    rootStarts
      ? 'root-owned /opt/ml/model and /opt/ml/output (image starts as root): ownership fixed, trains as uid 1000, exit 0'
      : `root-owned /opt/ml/model and /opt/ml/output (image USER ${imageUser}): fails at once, before reading data, with the reason naming the path`,
    async () => {
      const root = optMl('sm-rootowned', hp);
      for (const d of ['model', 'output']) {
        fs.chownSync(path.join(root, d), 0, 0);
        fs.chmodSync(path.join(root, d), 0o755);
      }
      const r = await runToEnd('train-rootowned', [...sm, ...smMounts(root)], ['train']);
      const log = r.out + r.err;
      if (rootStarts) {
        must(r.code === 0, `exit ${r.code}: ${lastLines(log, 4)}`);
        const manifest = path.join(root, 'model', 'manifest.json');
        must(fs.existsSync(manifest), 'no manifest.json in /opt/ml/model');
        must(fs.statSync(manifest).uid === RUNTIME_UID, `manifest.json is owned by uid ${fs.statSync(manifest).uid}: training did not run as uid ${RUNTIME_UID}`);
        return `${(r.ms / 1000).toFixed(1)} s`;
      }
      must(r.code !== 0, `exit 0 although uid ${imageUser} cannot write root-owned 0755 mounts?`);
      must(
        !/fitting |reading .*hour\.csv/.test(log),
        `it read the data / trained before failing (exit ${r.code}, ${(r.ms / 1000).toFixed(1)} s): check that /opt/ml/model and /opt/ml/output are writable at start; log: ${lastLines(log, 3)}`,
      );
      must(/\/opt\/ml\/(model|output)/.test(log) && /writ|permission|EACCES|owner/i.test(log), `the log does not say which path is not writable: ${lastLines(log, 3)}`);
      must(published(path.join(root, 'model')).length === 0, 'something was published');
      return `exit ${r.code} in ${(r.ms / 1000).toFixed(1)} s: ${oneLine(log.split('\n').find((l) => /\/opt\/ml\/(model|output)/.test(l)) ?? '', 160)}`;
    },
  );

  // Defect 1 of issue 13: SageMaker StopTrainingJob, Vertex AI / Azure ML cancellation and
  // `docker stop` send SIGTERM; training must stop promptly with 143 and publish nothing.
  await check('T7', 'SIGTERM during training (StopTrainingJob, docker stop): exit 143 within 5 s, nothing published', async () => {
    // A long job: a random-forest search (the gate and gbdt's max_iter do not apply).
    const long = Object.fromEntries(Object.entries(hp).filter(([k]) => k !== 'gate' && k !== 'max_iter'));
    const root = optMl('sm-sigterm', { ...long, model: 'random-forest', tune: '40' });
    const s = await start('train-sigterm', [...sm, ...smMounts(root)], ['train'], null);
    try {
      const t0 = Date.now();
      let log = '';
      while (Date.now() - t0 < 60_000 && !/fitting |trial \d+\//.test(log)) {
        await sleep(200);
        log = await logs(s.name);
      }
      must(/fitting |trial \d+\//.test(log), `training did not start within 60 s: ${lastLines(log)}`);
      await sleep(500);
      const st = await stop(s.name, 10);
      const model = published(path.join(root, 'model'));
      must(
        st.code === 143 && st.ms < 5000,
        `docker stop took ${(st.ms / 1000).toFixed(1)} s and the exit code is ${st.code} (143 = stopped on SIGTERM; 137 = killed after the grace period because SIGTERM was not acted on)`,
      );
      must(model.length === 0, `published after SIGTERM: ${model.join(', ')}`);
      return `exit 143 ${st.ms} ms after SIGTERM`;
    } finally {
      await remove(s.name);
    }
  });
  return trained;
}

async function azureTraining(hp: Record<string, string>): Promise<void> {
  section("Azure ML command job (the release step's command, run by a shell)");
  await check(
    'T8',
    'command job: `mlops train --data ${{inputs.training_data}} --out ${{outputs.model}} …` as release/src/azure/training.ts builds it, output a mount point',
    async () => {
      const { trainCommand } = release<{ trainCommand(t: { hyperparameters: Record<string, string> }): string }>('azure/training');
      const input = '/mnt/azureml/cr/j/0c1d/cap/data-capability/wd/INPUT_training_data';
      const output = '/mnt/azureml/cr/j/0c1d/cap/data-capability/wd/model';
      const command = trainCommand({ hyperparameters: hp }).replace('${{inputs.training_data}}', input).replace('${{outputs.model}}', output);
      const dir = fresh('azure-job');
      fs.mkdirSync(path.join(dir, 'in'));
      fs.mkdirSync(path.join(dir, 'out'));
      fs.copyFileSync(DATA, path.join(dir, 'in', 'hour.csv'));
      chownTree(dir, RUNTIME_UID, RUNTIME_UID);
      const r = await runToEnd(
        'azure-job',
        [
          '--network',
          'none',
          '--entrypoint',
          '/bin/sh',
          '-e',
          'MLOPS_TRAINING_CONTRACT=azureml',
          '-e',
          'AZUREML_RUN_ID=container-test',
          '-e',
          'DEFAULT_IDENTITY_CLIENT_ID=00000000-0000-0000-0000-000000000000',
          '-v',
          `${dir}/in:${input}:ro`,
          '-v',
          `${dir}/out:${output}`,
        ],
        ['-c', command],
      );
      must(r.code === 0, `exit ${r.code} for \`${command}\`: ${lastLines(r.out + r.err, 4)}`);
      must(published(path.join(dir, 'out')).includes('manifest.json'), `no manifest.json in the output (${published(path.join(dir, 'out')).join(', ')})`);
      must(/training contract: azureml/.test(r.err + r.out), 'the log does not name the Azure ML contract');
      return `${(r.ms / 1000).toFixed(1)} s: ${oneLine(command, 150)}`;
    },
  );
}

async function vertexTraining(hp: Record<string, string>, gcs: GcsEmulator): Promise<string | null> {
  section("Vertex AI custom job (the release step's arguments, gs:// through a loopback Cloud Storage stand-in)");
  let model: string | null = null;
  await check(
    'T9',
    'custom job: `<image> train --data gs://… --k=v …` (release/src/gcp/training.ts), AIP_MODEL_DIR=gs://…: the model is uploaded, manifest.json last',
    async () => {
      const { trainArgs } = release<{ trainArgs(t: { dataUri: string; hyperparameters: Record<string, string> }): string[] }>('gcp/training');
      gcs.put('ct-data', 'bike/hour.csv', fs.readFileSync(DATA));
      const args = trainArgs({ dataUri: 'gs://ct-data/bike/hour.csv', hyperparameters: hp });
      const before = gcs.log.length;
      const r = await runToEnd(
        'vertex-job',
        [
          '--network',
          'host',
          '-e',
          `MLOPS_GCS_ENDPOINT=http://127.0.0.1:${gcs.port}`,
          '-e',
          'AIP_MODEL_DIR=gs://ct-out/job-1/model/',
          '-e',
          'CLOUD_ML_JOB_ID=1234',
          '-e',
          'CLOUD_ML_PROJECT_ID=container-test',
        ],
        args,
      );
      must(r.code === 0, `exit ${r.code} for ${JSON.stringify(args)}: ${lastLines(r.out + r.err, 4)}`);
      must(/training contract: vertex/.test(r.err + r.out), 'the log does not name the Vertex AI contract');
      const objects = [...(gcs.buckets.get('ct-out')?.keys() ?? [])].filter((n) => n.startsWith('job-1/model/'));
      must(objects.includes('job-1/model/manifest.json'), `no manifest.json uploaded under gs://ct-out/job-1/model/ (objects: ${objects.join(', ') || 'none'})`);
      const uploads = gcs.log.slice(before).filter((l) => l.startsWith('POST /upload/'));
      must(
        /manifest\.json/.test(decodeURIComponent(uploads[uploads.length - 1] ?? '')) || uploads.length === 0,
        `manifest.json was not the last upload: ${uploads.slice(-2).join(' ; ')}`,
      );
      model = fresh('vertex-model');
      for (const o of objects) fs.writeFileSync(path.join(model, o.slice('job-1/model/'.length)), gcs.buckets.get('ct-out')!.get(o)!.data);
      return `${(r.ms / 1000).toFixed(1)} s, ${objects.length} objects uploaded`;
    },
  );
  return model;
}

async function sagemakerServing(model: string): Promise<void> {
  section('SageMaker serving: <image> serve, model in /opt/ml/model (root-owned, read-only)');
  const smm = rootOwnedCopy(model, 'sm-serve-model');
  const s = await start('serve-sm', ['-e', 'MLOPS_MODEL_NAME=bike-demand', '-e', 'MLOPS_MODEL_VERSION=ct1', '-v', `${smm}:/opt/ml/model:ro`], ['serve']);
  try {
    await check('S1', 'time from `docker run` to the first 200 on /ping (SageMaker waits up to 8 min)', async () => {
      firstPingMs = await ready(s, '/ping', 480_000);
      let worst = 0;
      for (let i = 0; i < 20; i++) {
        const t0 = Date.now();
        const r = await request('GET', `${s.url}/ping`);
        must(r.status === 200, `/ping answered ${r.status} after being ready`);
        worst = Math.max(worst, Date.now() - t0);
      }
      must(worst < 2000, `/ping took ${worst} ms (SageMaker wants < 2 s)`);
      return `${(firstPingMs / 1000).toFixed(2)} s; slowest of 20 pings ${worst} ms`;
    });
    const U = s.url;
    await check('S2', 'POST /invocations application/json {instances}: the same predictions as the runtime in-process', async () =>
      expectPredictions(await request('POST', `${U}/invocations`, JSON.stringify({ instances: [ROW1, ROW2] }), JSON_CT)),
    );
    await check('S3', 'POST /invocations text/csv without a header (SageMaker style)', async () =>
      expectPredictions(await request('POST', `${U}/invocations`, CSV_ROWS, { 'content-type': 'text/csv' })),
    );
    await check('S4', 'POST /invocations text/csv with a header line', async () =>
      expectPredictions(await request('POST', `${U}/invocations`, `${COLUMNS.join(',')}\n${CSV_ROWS}`, { 'content-type': 'text/csv' })),
    );
    await check('S5', 'Accept: text/csv → one prediction a line, text/csv', async () => {
      const r = await request('POST', `${U}/invocations`, CSV_ROWS, { 'content-type': 'text/csv; charset=utf-8', accept: 'text/csv' });
      must(r.status === 200 && String(r.headers['content-type']).startsWith('text/csv'), `${r.status} ${r.headers['content-type']}: ${oneLine(r.text, 200)}`);
      const lines = r.text.trim().split('\n').map(Number);
      must(
        lines.length === 2 && (!REFERENCE || lines.every((x, i) => x === REFERENCE![i])),
        `lines ${JSON.stringify(r.text)} are not the predictions ${JSON.stringify(REFERENCE)}`,
      );
      return oneLine(r.text, 80);
    });
    await check('S6', 'non-root: every process of the serving container runs as uid 1000 (real, effective, saved and file-system uid)', async () => {
      // Read inside the container (no `ps` needed on the host); the shell of `docker exec` skips itself.
      const r = await docker([
        'exec',
        s.name,
        'sh',
        '-c',
        'for d in /proc/[0-9]*; do p=${d#/proc/}; [ "$p" = "$$" ] && continue; [ -r "$d/status" ] || continue; u=$(grep "^Uid:" "$d/status"); echo "$p|${u#Uid:}|$(tr "\\0" " " < "$d/cmdline")"; done',
      ]);
      must(r.code === 0, `docker exec: ${lastLines(r.err)}`);
      const procs = r.out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('|'))
        .map(([pid, uids, cmd]) => ({ pid, uids: uids!.trim().split(/\s+/), cmd: (cmd ?? '').trim() }));
      must(procs.length > 0, 'no processes found');
      const bad = procs.filter((p) => p.uids.some((u) => u !== String(RUNTIME_UID)));
      must(bad.length === 0, `processes not running as uid ${RUNTIME_UID}: ${bad.map((p) => `pid ${p.pid} uids ${p.uids.join('/')} ${p.cmd}`).join('; ')}`);
      return `${procs.length} process(es): ${procs.map((p) => `pid ${p.pid} ${p.cmd}`).join('; ')}`;
    });
    // Defect 4 of issue 13: the log said `listening on http://127.0.0.1:8080` while bound to 0.0.0.0.
    await check('S7', "the server's `listening on` log line names the address it is bound to", async () => {
      const sockets = (await listeningSockets(s.name)).filter((a) => a.endsWith(':8080'));
      must(sockets.length > 0, 'no socket listens on port 8080 in the container');
      const lines = (await logs(s.name)).split('\n').filter((l) => /listening on/i.test(l));
      must(lines.length > 0, 'no `listening on` line in the log');
      // The address right after `listening on` (a local URL may follow it, e.g. `local URL http://127.0.0.1:8080`).
      const named = lines.flatMap((l) => [...l.matchAll(/listening on (?:https?:\/\/)?(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):(\d+)/gi)].map((m) => `${m[1]}:${m[2]}`));
      must(
        named.length > 0 && named.every((a) => sockets.includes(a)),
        `the log says ${JSON.stringify(lines.map((l) => oneLine(l, 120)))} but the server listens on ${sockets.join(', ')}`,
      );
      return oneLine(lines[0]!, 120);
    });

    section('MLflow scoring protocol on /invocations');
    await check('M1', 'dataframe_split', async () =>
      expectPredictions(await request('POST', `${U}/invocations`, JSON.stringify({ dataframe_split: { columns: COLUMNS, data: [LIST1, LIST2] } }), JSON_CT)),
    );
    await check('M2', 'dataframe_records', async () => expectPredictions(await request('POST', `${U}/invocations`, JSON.stringify({ dataframe_records: [ROW1, ROW2] }), JSON_CT)));
    await check('M3', 'inputs as rows', async () => expectPredictions(await request('POST', `${U}/invocations`, JSON.stringify({ inputs: [ROW1, ROW2] }), JSON_CT)));
    await check('M4', 'inputs column-oriented', async () =>
      expectPredictions(await request('POST', `${U}/invocations`, JSON.stringify({ inputs: Object.fromEntries(COLUMNS.map((c, i) => [c, [LIST1[i], LIST2[i]]])) }), JSON_CT)),
    );
    await check('M5', 'instances as value lists, with params', async () =>
      expectPredictions(await request('POST', `${U}/invocations`, JSON.stringify({ instances: [LIST1, LIST2], params: {} }), JSON_CT)),
    );
    await check('M6', '/health and /version answer 200', async () => {
      const h = await request('GET', `${U}/health`),
        v = await request('GET', `${U}/version`);
      must(h.status === 200 && v.status === 200, `/health ${h.status}, /version ${v.status}`);
      return `version ${oneLine(v.text, 40)}`;
    });
    await check('M7', 'two input keys at once → 400', async () =>
      expectError(await request('POST', `${U}/invocations`, JSON.stringify({ instances: [ROW1], inputs: [ROW1] }), JSON_CT), 400),
    );

    section('bad requests: 4xx, and the container stays up');
    const post = (body: string | Buffer, headers: Record<string, string> = JSON_CT): Promise<Reply> => request('POST', `${U}/invocations`, body, headers);
    await check('E1', 'malformed JSON → 400 BAD_JSON', async () => expectError(await post('{"instances":[{"season":3,'), 400, 'BAD_JSON'));
    await check('E2', 'Content-Type application/xml → 415', async () => expectError(await post('<x/>', { 'content-type': 'application/xml' }), 415));
    await check('E3', 'charset latin1 → 415', async () =>
      expectError(await post(JSON.stringify({ instances: [ROW1] }), { 'content-type': 'application/json; charset=latin1' }), 415),
    );
    await check('E4', 'Accept: application/xml → 406', async () => expectError(await post(JSON.stringify({ instances: [ROW1] }), { ...JSON_CT, accept: 'application/xml' }), 406));
    await check('E5', 'a 7 MiB body → 413', async () => expectError(await post(JSON.stringify({ instances: [{ season: 'x'.repeat(7 << 20) }] })), 413));
    await check('E6', 'a top-level JSON list → 400', async () => expectError(await post(JSON.stringify([ROW1])), 400));
    await check('E7', 'a wrong type → 400 WRONG_TYPE naming the field', async () => {
      const r = await post(JSON.stringify({ instances: [{ ...ROW1, temp: 'warm' }] }));
      expectError(r, 400, 'WRONG_TYPE');
      must(r.text.includes('instances[0].temp'), `the error does not name instances[0].temp: ${oneLine(r.text, 200)}`);
      return '400 WRONG_TYPE instances[0].temp';
    });
    await check('E8', 'missing columns → 400 MISSING_COLUMN', async () => expectError(await post(JSON.stringify({ instances: [{ season: 3 }] })), 400, 'MISSING_COLUMN'));
    await check('E9', '200-deep nesting → 400', async () => expectError(await post(`{"instances":${'['.repeat(200)}${']'.repeat(200)}}`), 400));
    await check('E10', 'an empty body → 400', async () => expectError(await post(''), 400));
    await check('E11', 'GET /invocations → 405, an unknown route → 404', async () => {
      const a = await request('GET', `${U}/invocations`),
        b = await request('GET', `${U}/nope`);
      must(a.status === 405 && b.status === 404, `GET /invocations ${a.status}, GET /nope ${b.status}`);
      return '405, 404';
    });
    await check('E12', '10,001 rows → 413 TOO_MANY_ROWS', async () =>
      expectError(await post(JSON.stringify({ instances: Array.from({ length: 10_001 }, () => LIST1) })), 413, 'TOO_MANY_ROWS'),
    );
    await check('E13', 'after all of them: still running, never restarted, /ping 200, no 5xx in /metrics', async () => {
      must((await inspect(s.name, '{{.State.Running}}')) === 'true', `the container stopped: ${lastLines(await logs(s.name))}`);
      must((await inspect(s.name, '{{.RestartCount}}')) === '0', 'the container restarted');
      const p = await request('GET', `${U}/ping`);
      must(p.status === 200, `/ping ${p.status}`);
      const m = await request('GET', `${U}/metrics`);
      const fivexx = m.text.split('\n').filter((l) => /^mlops_http_requests_total\{[^}]*status="5/.test(l));
      must(fivexx.length === 0, `5xx answers counted: ${fivexx.join('; ')}`);
      return 'up';
    });

    section('SIGTERM on a serving container');
    await check('G1', 'SIGTERM drains: a request in flight is answered, then exit 0 (src/serve/README.md, "Shutdown")', async () => {
      const body = JSON.stringify({ instances: [ROW1, ROW2] });
      const half = Math.floor(body.length / 2);
      let answered: Reply | null = null;
      let failed: Error | null = null;
      const req = http.request(`${U}/invocations`, { method: 'POST', headers: { ...JSON_CT, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (answered = { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', (e) => (failed = e));
      req.write(body.slice(0, half));
      await sleep(500);
      const t0 = Date.now();
      const kill = await docker(['kill', '-s', 'TERM', s.name]);
      must(kill.code === 0, `docker kill -s TERM: ${kill.err}`);
      await sleep(700);
      const stillUp = (await inspect(s.name, '{{.State.Running}}')) === 'true';
      req.end(body.slice(half));
      const wait = await docker(['wait', s.name], 40_000);
      const ms = Date.now() - t0;
      for (let i = 0; i < 50 && !answered && !failed; i++) await sleep(100);
      const code = Number(wait.out.trim());
      must(stillUp, `the container exited before the in-flight request was complete: ${lastLines(await logs(s.name))}`);
      must(answered, `the in-flight request was not answered: ${failed ? (failed as Error).message : 'no answer'}`);
      expectPredictions(answered);
      must(code === 0, `exit ${code} after SIGTERM (documented: 0)`);
      return `answered 200 during the drain, exit 0 ${ms} ms after SIGTERM`;
    });
  } finally {
    await remove(s.name);
  }

  section('SageMaker variants and a hardened runtime');
  await check('S8', 'SAGEMAKER_BIND_TO_PORT=9091: serves there, the HEALTHCHECK follows it (healthy)', async () => {
    const b = await start('serve-bind', ['-e', 'SAGEMAKER_BIND_TO_PORT=9091', '-v', `${smm}:/opt/ml/model:ro`], ['serve'], 9091, [
      '--health-interval',
      '1s',
      '--health-start-period',
      '0s',
      '--health-retries',
      '1',
    ]);
    try {
      await ready(b, '/ping');
      expectPredictions(await request('POST', `${b.url}/invocations`, JSON.stringify({ instances: [ROW1, ROW2] }), JSON_CT));
      const sockets = await listeningSockets(b.name);
      must(sockets.some((a) => a.endsWith(':9091')) && !sockets.some((a) => a.endsWith(':8080')), `listening on ${sockets.join(', ')}`);
      let health = '';
      for (let i = 0; i < 60 && health !== 'healthy'; i++) {
        health = await inspect(b.name, '{{.State.Health.Status}}');
        if (health !== 'healthy') await sleep(250);
      }
      must(health === 'healthy', `health status ${health}: ${await inspect(b.name, '{{json .State.Health.Log}}')}`);
      return `listening on ${sockets.join(', ')}, ${health}`;
    } finally {
      await remove(b.name);
    }
  });
  await check('R1', 'serve with --user 1000:1000 --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges', async () => {
    const h = await start(
      'serve-hardened',
      ['--user', `${RUNTIME_UID}:${RUNTIME_UID}`, '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-v', `${smm}:/opt/ml/model:ro`],
      ['serve'],
    );
    try {
      const ms = await ready(h, '/ping');
      expectPredictions(await request('POST', `${h.url}/invocations`, JSON.stringify({ instances: [ROW1, ROW2] }), JSON_CT));
      return `ready in ${(ms / 1000).toFixed(2)} s`;
    } finally {
      await remove(h.name);
    }
  });
}

async function vertexServing(model: string, gcsModel: string | null, gcs: GcsEmulator): Promise<void> {
  section('Vertex AI serving: AIP_* variables');
  const vm = rootOwnedCopy(model, 'vertex-local-model');
  const HR = '/v1/endpoints/1234/deployedModels/5678',
    PR = '/v1/endpoints/1234/deployedModels/5678:predict';
  const v = await start(
    'serve-vertex',
    [
      '-e',
      'AIP_HTTP_PORT=8085',
      '-e',
      `AIP_HEALTH_ROUTE=${HR}`,
      '-e',
      `AIP_PREDICT_ROUTE=${PR}`,
      '-e',
      'AIP_MODE=PREDICTION',
      '-e',
      'AIP_STORAGE_URI=/mnt/vertex/model',
      '-v',
      `${vm}:/mnt/vertex/model:ro`,
    ],
    ['serve'],
    8085,
  );
  try {
    await check(
      'V1',
      "AIP_HTTP_PORT=8085 and AIP_HEALTH_ROUTE; the model from AIP_STORAGE_URI (a local path) over the image's empty /opt/ml/model",
      async () => `ready in ${((await ready(v, HR)) / 1000).toFixed(2)} s`,
    );
    await check('V2', 'AIP_PREDICT_ROUTE {instances, parameters} → {predictions} and nothing else', async () => {
      const r = await request('POST', v.url + PR, JSON.stringify({ instances: [ROW1, ROW2], parameters: {} }), JSON_CT);
      const d = expectPredictions(r);
      must(Object.keys(json(r)).join() === 'predictions', `keys ${Object.keys(json(r)).join(', ')}`);
      return d;
    });
    await check('V3', 'instances as value lists', async () => expectPredictions(await request('POST', v.url + PR, JSON.stringify({ instances: [LIST1, LIST2] }), JSON_CT)));
    await check('V4', "a 2 MiB body on the predict route → 413 (Vertex AI's 1.5 MB limit)", async () =>
      expectError(await request('POST', v.url + PR, JSON.stringify({ instances: [{ season: 'x'.repeat(2 << 20) }] }), JSON_CT), 413),
    );
  } finally {
    await remove(v.name);
  }

  await check(
    'V5',
    "the release step's Vertex model (serve, its routes and port, MLOPS_MODEL_*), AIP_STORAGE_URI=gs://… downloaded through @google-cloud/storage from the loopback stand-in",
    async () => {
      const { VERTEX_SERVING } = release<{ VERTEX_SERVING: { port: number; predictRoute: string; healthRoute: string } }>('gcp/training');
      const dir = gcsModel ?? model;
      for (const f of fs.readdirSync(dir)) gcs.put('ct-models', `bike-demand/v1/${f}`, fs.readFileSync(path.join(dir, f)), 'application/octet-stream');
      const before = gcs.log.length;
      // Host network: the container reaches the stand-in on 127.0.0.1. Vertex AI sets AIP_HTTP_PORT to the
      // model's container port; another free port here, and MLOPS_HOST keeps the server on loopback.
      const port = await freePort();
      const g = await start(
        'serve-vertex-gs',
        [
          '--network',
          'host',
          '-e',
          'MLOPS_HOST=127.0.0.1',
          '-e',
          `AIP_HTTP_PORT=${port}`,
          '-e',
          `AIP_HEALTH_ROUTE=${VERTEX_SERVING.healthRoute}`,
          '-e',
          `AIP_PREDICT_ROUTE=${VERTEX_SERVING.predictRoute}`,
          '-e',
          'AIP_STORAGE_URI=gs://ct-models/bike-demand/v1',
          '-e',
          `MLOPS_GCS_ENDPOINT=http://127.0.0.1:${gcs.port}`,
          '-e',
          'MLOPS_MODEL_NAME=bike-demand',
          '-e',
          'MLOPS_MODEL_VERSION=v1',
        ],
        ['serve'],
        null,
      );
      g.url = `http://127.0.0.1:${port}`;
      try {
        const ms = await ready(g, VERTEX_SERVING.healthRoute);
        const d = expectPredictions(await request('POST', g.url + VERTEX_SERVING.predictRoute, JSON.stringify({ instances: [ROW1, ROW2] }), JSON_CT));
        const downloads = gcs.log.slice(before).filter((l) => /alt=media/.test(l)).length;
        must(downloads > 0, 'no object was downloaded from the stand-in');
        return `ready in ${(ms / 1000).toFixed(2)} s, ${downloads} objects downloaded; ${d}`;
      } finally {
        await remove(g.name);
      }
    },
  );
}

async function azureServing(model: string): Promise<void> {
  section('Azure ML serving');
  const am = rootOwnedCopy(model, 'azureml-models', 'bike-demand/1/model');
  const a = await start('serve-azure', ['-e', 'AZUREML_MODEL_DIR=/var/azureml-app/azureml-models/bike-demand/1', '-v', `${am}:/var/azureml-app/azureml-models:ro`], []);
  try {
    await check(
      'A1',
      'AZUREML_MODEL_DIR (the model in <name>/<version>/model/), the default CMD, readiness GET /ready',
      async () => `ready in ${((await ready(a, '/ready')) / 1000).toFixed(2)} s`,
    );
    await check('A2', 'liveness GET /', async () => {
      const r = await request('GET', `${a.url}/`);
      must(r.status === 200, `${r.status}`);
      return '200';
    });
    await check('A3', 'POST /score {input_data: {columns, index, data}}', async () =>
      expectPredictions(await request('POST', `${a.url}/score`, JSON.stringify({ input_data: { columns: COLUMNS, index: [0, 1], data: [LIST1, LIST2] } }), JSON_CT)),
    );
    await check('A4', 'POST /score {input_data: rows}', async () =>
      expectPredictions(await request('POST', `${a.url}/score`, JSON.stringify({ input_data: [ROW1, ROW2] }), JSON_CT)),
    );
    await check('A5', 'POST /score {data: rows}', async () => expectPredictions(await request('POST', `${a.url}/score`, JSON.stringify({ data: [ROW1, ROW2] }), JSON_CT)));
    await check('A6', 'POST /score malformed → 400', async () => expectError(await request('POST', `${a.url}/score`, '{"data":', JSON_CT), 400));
  } finally {
    await remove(a.name);
  }
  await check(
    'A7',
    "the release step's online deployment (release/src/azure/endpoint.ts: MLOPS_MODEL_DIR at its mount path, its routes and port): /ready, /score, model labels on /metrics, SIGTERM → exit 0",
    async () => {
      const { MODEL_MOUNT_PATH, INFERENCE_ROUTES } = release<{
        MODEL_MOUNT_PATH: string;
        INFERENCE_ROUTES: { port: number; liveness: string; readiness: string; scoring: string };
      }>('azure/target');
      const rm = rootOwnedCopy(model, 'azure-release-model');
      const d = await start(
        'serve-azure-release',
        [
          '-e',
          `MLOPS_MODEL_DIR=${MODEL_MOUNT_PATH}`,
          '-e',
          'MLOPS_MODEL_NAME=bike-demand',
          '-e',
          'MLOPS_MODEL_VERSION=r7',
          '-e',
          `MLOPS_PORT=${INFERENCE_ROUTES.port}`,
          '-e',
          `MLOPS_AZUREML_LIVENESS_ROUTE=${INFERENCE_ROUTES.liveness}`,
          '-e',
          `MLOPS_AZUREML_READINESS_ROUTE=${INFERENCE_ROUTES.readiness}`,
          '-e',
          `MLOPS_AZUREML_SCORING_ROUTE=${INFERENCE_ROUTES.scoring}`,
          '-e',
          'AZUREML_MODEL_DIR=/var/azureml-app/azureml-models/bike-demand/1',
          '-v',
          `${rm}:${MODEL_MOUNT_PATH}:ro`,
        ],
        [],
        INFERENCE_ROUTES.port,
      );
      try {
        await ready(d, INFERENCE_ROUTES.readiness);
        must((await request('GET', d.url + INFERENCE_ROUTES.liveness)).status === 200, 'liveness route not 200');
        expectPredictions(await request('POST', d.url + INFERENCE_ROUTES.scoring, JSON.stringify({ input_data: [ROW1, ROW2] }), JSON_CT));
        const m = await request('GET', `${d.url}/metrics`);
        must(
          /mlops_model_info\{[^}]*name="bike-demand"[^}]*version="r7"/.test(m.text),
          `mlops_model_info does not carry MLOPS_MODEL_NAME/VERSION: ${oneLine(m.text.split('\n').find((l) => l.startsWith('mlops_model_info')) ?? 'none', 200)}`,
        );
        const st = await stop(d.name, 30);
        must(st.code === 0 && st.ms < 10_000, `SIGTERM: exit ${st.code} after ${st.ms} ms`);
        return `exit 0 ${st.ms} ms after SIGTERM`;
      } finally {
        await remove(d.name);
      }
    },
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** The predictions of the runtime in this process for ROW1, ROW2 on `model`. */
async function reference(model: string): Promise<number[] | null> {
  const s = await startServer({ model, port: 0, host: '127.0.0.1', env: {}, logger: false, processMetrics: false });
  try {
    await s.ready;
    const r = await request('POST', `${s.url}/invocations`, JSON.stringify({ instances: [ROW1, ROW2] }), JSON_CT);
    const p = (JSON.parse(r.text) as { predictions?: number[] }).predictions;
    return Array.isArray(p) && p.length === 2 ? p : null;
  } finally {
    await s.close();
  }
}

/** A model trained on this machine by the runtime (when the container's training failed: the serving checks still run). */
async function hostModel(hp: Record<string, string>): Promise<string> {
  const out = path.join(fresh('host-model'), 'model');
  const cli = path.resolve(__dirname, '..', '..', 'bin', 'mlops.js');
  const args = [
    cli,
    'train',
    '--data',
    DATA,
    '--out',
    out,
    '--target',
    hp.target!,
    '--model',
    hp.model ?? 'gbdt',
    '--seed',
    hp.seed ?? '0',
    ...(hp.drop ? ['--drop', hp.drop] : []),
  ];
  await new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, args, { stdio: 'ignore', env: { ...env, MLOPS_TRAINING_CONTRACT: 'local' } });
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mlops train on the host exited ${code}`))));
  });
  return out;
}

// ------------------------------------------------------------------------------------ main

function setupResults(): Result[] {
  const file = env.MLOPS_TEST_SETUP_RESULTS;
  if (!file || !fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [status, id, desc, detail] = l.split('\t');
      return { status: status as 'PASS' | 'FAIL', id: id!, desc: desc!, detail: detail ?? '' };
    });
}

function secs(ms: number | string | undefined): string {
  return ms === undefined || ms === '' ? '?' : `${(Number(ms) / 1000).toFixed(1)} s`;
}

// ------------------------------------------------------------------- cloud pipeline steps

/**
 * A pipeline as the clouds' engines run it (issue 16): every step one container of the image,
 * `node /opt/mlops/docker/entrypoint.js pipeline step …` with exactly the arguments the runtime's
 * plan gives (`planForCloud` + `stepArguments`, what the SageMaker, Azure ML and Vertex AI
 * compilers use), as root with MLOPS_KEEP_ROOT=1 on root-owned mounts (SageMaker Processing and
 * Vertex AI's /gcs mount belong to root), no network; inputs mounted read-only where the engine
 * puts them, one output folder per output, the registry folder as --root carried from step to
 * step. Then the batch scoring command over a folder.
 */
const CLOUD_PIPELINE = `
name: container-check
model: bike-demand
inputs: { data: hour.csv }
steps:
  - { name: split, uses: split, inputs: { data: "\${inputs.data}" }, params: { testFraction: 0.2, time: dteday } }
  - name: train
    uses: train
    inputs: { data: "\${steps.split.outputs.train}" }
    params: { target: cnt, model: gbdt, params: { maxIter: 30 }, seed: 0, holdout: 0.2, features: { exclude: [instant, casual, registered] } }
  - { name: evaluate, uses: evaluate, inputs: { model: "\${steps.train.outputs.model}", data: "\${steps.split.outputs.test}" } }
  - name: gate
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}", metrics: "\${steps.evaluate.outputs.metrics}" }
    params: { metric: rmse, thresholds: { r2: { min: 0.5 } } }
  - { name: register, uses: register, inputs: { model: "\${steps.train.outputs.model}", decision: "\${steps.gate.outputs.decision}" } }
  - { name: score-test, uses: predict, needs: [register], inputs: { model: "models:/bike-demand@champion", data: "\${steps.split.outputs.test}" } }
`;

async function cloudPipelineSteps(): Promise<void> {
  section('cloud pipeline steps: `pipeline step` as SageMaker Pipelines / Azure ML / Vertex AI run it (the runtime plan, root-owned mounts)');
  const plan = planForCloud(parsePipeline(CLOUD_PIPELINE, 'container-check'), { target: 'the container test' });
  const root = fresh('cloud-pipeline');
  const registry = path.join(root, 'registry');
  fs.mkdirSync(registry);
  const dataDir = path.join(root, 'inputs', 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.copyFileSync(DATA, path.join(dataDir, 'hour.csv'));
  /** Host folder of each step output. */
  const outputs = new Map<string, string>();
  const IN = '/opt/ml/processing/input';
  const OUT = '/opt/ml/processing/output';
  const REG = '/opt/ml/processing/registry';
  for (const step of plan.steps) {
    await check(`P${plan.steps.indexOf(step) + 1}`, `${step.uses} step '${step.name}': exit 0, its outputs written, as the plan binds them`, async () => {
      const mounts: string[] = [];
      const inputs: Record<string, string | string[]> = {};
      for (const [name, source] of Object.entries(step.inputs)) {
        if (Array.isArray(source)) throw new Error('list inputs are not used here');
        const src = source as (typeof step.inputs)[string] & { from: string };
        if (src.from === 'registry') continue;
        const host = src.from === 'input' ? dataDir : outputs.get(`${(src as { step: string }).step}.${(src as { output: string }).output}`)!;
        must(host, `no output for input ${name}`);
        mounts.push('-v', `${host}:${IN}/${name}:ro`);
        const file = src.from === 'input' ? 'hour.csv' : plan.steps.find((s) => s.name === (src as { step: string }).step)!.outputs[(src as { output: string }).output]!;
        inputs[name] = `${IN}/${name}/${file}`;
      }
      const outs: Record<string, string> = {};
      for (const name of Object.keys(step.outputs)) {
        const host = path.join(root, 'runs', step.name, name);
        fs.mkdirSync(host, { recursive: true });
        outputs.set(`${step.name}.${name}`, host);
        mounts.push('-v', `${host}:${OUT}/${name}`);
        outs[name] = `${OUT}/${name}`;
      }
      if (step.readsRegistry || step.writesRegistry) mounts.push('-v', `${registry}:${REG}${step.writesRegistry ? '' : ':ro'}`);
      chownTree(root, 0, 0);
      const args = stepArguments(plan, step, { inputs, outputs: outs, ...(step.readsRegistry || step.writesRegistry ? { registry: REG } : {}) });
      const r = await runToEnd(`step-${step.name}`, ['--network', 'none', '-e', 'MLOPS_KEEP_ROOT=1', ...mounts], args);
      must(r.code === 0, `exit ${r.code}: ${lastLines(r.out + r.err, 4)}`);
      const line = r.out.trim().split('\n').pop() ?? '';
      const reply = JSON.parse(line) as { ok: boolean; summary?: string };
      must(reply.ok === true, `not ok: ${line}`);
      for (const [name, file] of Object.entries(step.outputs)) {
        must(fs.existsSync(path.join(outputs.get(`${step.name}.${name}`)!, file)), `output ${name} has no ${file}`);
      }
      if (step.uses === 'gate') {
        const passed = fs.readFileSync(path.join(outputs.get('gate.passed')!, 'passed.txt'), 'utf8');
        const decision = JSON.parse(fs.readFileSync(path.join(outputs.get('gate.decision')!, 'decision.json'), 'utf8')) as { passed: boolean };
        must(passed === String(decision.passed), `passed.txt "${passed}" disagrees with decision.json`);
        must(decision.passed, 'the gate rejected a first model that meets r2 >= 0.5');
      }
      if (step.uses === 'register') {
        const aliases = path.join(registry, 'registry', 'bike-demand');
        must(fs.existsSync(aliases), `no registry/bike-demand under the registry folder (${published(registry).join(', ')})`);
      }
      return `${(r.ms / 1000).toFixed(1)} s: ${oneLine(reply.summary ?? line, 140)}`;
    });
  }
}

async function main(): Promise<number> {
  fs.mkdirSync(WORK, { recursive: true });
  const gcs = new GcsEmulator();
  await gcs.start('127.0.0.1');
  try {
    const hp = stackHyperparameters();
    info(`image ${IMAGE}; hyperparameters (stacks/config/dev-aws.yaml + max_iter): ${JSON.stringify(hp)}`);
    await imageChecks();
    const trained = await sagemakerTraining(hp);
    await azureTraining(hp);
    const gcsModel = await vertexTraining(hp, gcs);
    let model = trained.model;
    if (!model) {
      model = await hostModel(hp);
      info(`no model from T1: the serving checks use one trained on this machine (${model})`);
    }
    REFERENCE = await reference(model).catch((e: Error) => {
      info(`the in-process reference predictions failed (${e.message}): the serving checks compare shapes only`);
      return null;
    });
    info(`reference predictions (the runtime in this process, same model): ${JSON.stringify(REFERENCE)}`);
    await sagemakerServing(model);
    await vertexServing(model, gcsModel, gcs);
    await azureServing(model);
    await cloudPipelineSteps();
  } catch (e) {
    report({ status: 'FAIL', id: 'X', desc: 'the checks stopped on an unexpected error', detail: oneLine((e as Error).stack ?? String(e), 600) });
  } finally {
    await gcs.stop();
  }

  const all = [...setupResults(), ...results];
  const failed = all.filter((r) => r.status === 'FAIL');
  const size = Number((await docker(['image', 'inspect', '-f', '{{.Size}}', IMAGE])).out.trim());
  const total = env.MLOPS_TEST_START_MS ? Date.now() - Number(env.MLOPS_TEST_START_MS) : NaN;
  process.stdout.write('\n== summary\n');
  for (const f of failed) process.stdout.write(`FAIL  ${f.id.padEnd(4)} ${f.desc}  -- ${f.detail}\n`);
  process.stdout.write(`image ${IMAGE}: ${(size / 1e6).toFixed(0)} MB; base: ${env.MLOPS_TEST_BASE ?? '?'}\n`);
  process.stdout.write(
    `build ${secs(env.MLOPS_TEST_BUILD_MS)} (${env.MLOPS_TEST_CACHED_STEPS ?? '?'} steps from the layer cache); first /ping ${firstPingMs === null ? 'never' : `${(firstPingMs / 1000).toFixed(2)} s`} after docker run\n`,
  );
  process.stdout.write(
    `daemon ${secs(env.MLOPS_TEST_DAEMON_MS)}, base image ${secs(env.MLOPS_TEST_BASE_MS)}, build ${secs(env.MLOPS_TEST_BUILD_MS)}, checks ${secs(Date.now() - T_CHECKS)}, total ${Number.isFinite(total) ? secs(total) : '?'}\n`,
  );
  process.stdout.write(`SUMMARY: ${all.length - failed.length} passed, ${failed.length} failed${failed.length ? ` (${failed.map((f) => f.id).join(', ')})` : ''}\n`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  },
);
