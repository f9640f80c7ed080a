/**
 * The release image's container checks (issue 16): the image the Azure pipeline promoter's
 * Container Apps job runs (release/Dockerfile, built by training-image/test/container/run.sh
 * from this package folder, as `RuntimeImage` builds it from the staged context). Every check runs
 * the real image in a real container of a real Docker daemon. Run by run.sh after the runtime
 * image's checks, compiled to dist/test/container/checks.js; `npm run test:image` from the
 * repository root.
 *
 * The promotions are the job's own command (`promote --spec-env MLOPS_RELEASE_SPEC --from-queue`,
 * lib/deploy/azure/promoter.ts) and the by-hand one (`promote --run <run>`), against the loopback
 * HTTPS stand-in of ARM, Blob and Queue storage the release tests use (test/fixtures/azure/fake-arm.ts,
 * its self-signed certificate trusted through NODE_EXTRA_CA_CERTS, TLS verified) and a loopback
 * stand-in of the Container Apps managed identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER,
 * what the platform gives a job with an identity), reached with `--network host`. So the image's
 * entrypoint, its module resolution, its installed dependencies (the SDKs, @azure/identity and
 * msal-node's managed identity source) and the TLS trust all run for real; only the cloud is a
 * stand-in.
 *
 * Prints PASS/FAIL per check and a summary; exits 1 when any check (or any setup check of
 * run.sh for this image) failed.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { createAzureDriver } from '../../src/azure';
import { ARM_ENDPOINT_ENV } from '../../src/azure/client';
import { USAGE } from '../../src/cli';
import { RELEASE_SPEC_ENV, parseSpec } from '../../src/spec';
import { FakeArm, fakeCredential, selfSignedCertificate } from '../fixtures/azure/fake-arm';
import { fakeContext } from '../fixtures/azure/harness';

const env = process.env;
const DOCKER = env.MLOPS_TEST_DOCKER ?? 'docker';
const IMAGE = env.MLOPS_TEST_IMAGE ?? 'cdktf-mlops-release';
const LABEL = env.MLOPS_TEST_LABEL ?? 'cdktf-mlops-container-test=1';
const WORK = env.MLOPS_TEST_WORK ?? '/tmp/mlops-image-test/run-release';
/** This package folder (the build context): dist/test/container → release/. */
const PACKAGE = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(PACKAGE, 'test', 'fixtures', 'azure');
const APP = '/opt/mlops-release';
const USER = '1000:1000';

// The promoter's deployment, as the fixtures of test/azure-promote.test.ts.
const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const WS_PATH = `/subscriptions/${SUB}/resourceGroups/contoso-mlops-dev-rg/providers/Microsoft.MachineLearningServices/workspaces/contoso-mlops-dev-mlw`;
const RELEASE = 'contoso-mlops-dev-bike-demand';
const EP = RELEASE;
const CONTAINER = 'mlops-artifacts';
const REGISTRY = 'pipelines/bike-demand/registry/demand-forecast';
const LEASE = `${CONTAINER}/${REGISTRY}/.promote-lease`;
/** The daily backstop's marker (the promoter writes it when it checks the registry champion). */
const BACKSTOP = `${CONTAINER}/${REGISTRY}/.promote-backstop`;
/** The promoter job's managed identity (AZURE_CLIENT_ID) and the secret header of its identity endpoint. */
const CLIENT_ID = '3c9e5a7b-1d2f-4e6a-8b0c-9d8e7f6a5b4c';
const IDENTITY_HEADER = 'container-test-identity-header';
/** The job's arguments (lib/deploy/azure/promoter.ts). */
const JOB_ARGS = ['promote', '--spec-env', RELEASE_SPEC_ENV, '--from-queue'];
/** The token audience of Azure Storage, any account (the Azure SDKs' default storage audience: "https://storage.azure.com/", e.g. BlobAudience.AZURE_PUBLIC_CLOUD). */
const STORAGE_AUDIENCE = 'https://storage.azure.com';

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
    report({ status: 'FAIL', id, desc, detail: oneLine(e instanceof Error ? e.message : String(e), 800) });
    return false;
  }
}

function must(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

function same(actual: unknown, expected: unknown, what: string): void {
  must(JSON.stringify(actual) === JSON.stringify(expected), `${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

function oneLine(s: string, max = 240): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** The last `n` lines of a container's output, without the frames of a stack trace (the error's own line stays). */
function lastLines(s: string, n = 3): string {
  const lines = s
    .trim()
    .split('\n')
    .filter((l) => !/^\s+at /.test(l));
  return oneLine(lines.slice(-n).join(' | '), 500);
}

// ------------------------------------------------------------------------------------ docker

interface Exec {
  code: number;
  out: string;
  err: string;
  ms: number;
}

/** Runs the docker client asynchronously: the stand-ins answer the container in this process meanwhile. */
function docker(args: string[], timeoutMs = 120_000): Promise<Exec> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(DOCKER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
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
/** `docker run --rm` to the end (no -d); a container still running after `timeoutMs` is removed. */
async function run(what: string, runArgs: string[], cmd: string[], timeoutMs = 180_000): Promise<Exec> {
  const name = `mlops-rt-${process.pid}-${++seq}-${what}`;
  const r = await docker(['run', '--rm', '--name', name, '--label', LABEL, ...runArgs, IMAGE, ...cmd], timeoutMs);
  if (r.code === -1) {
    r.err += `\n(the container ran longer than ${timeoutMs / 1000} s and was stopped)`;
    await docker(['rm', '-f', name]);
  }
  return r;
}

// ------------------------------------------------------------------------------------ stand-ins

interface IdentityCall {
  readonly path: string;
  readonly query: Record<string, string>;
  readonly header: string | undefined;
}

/**
 * The Container Apps managed identity endpoint (IDENTITY_ENDPOINT, http on the replica's
 * loopback), as learn.microsoft.com/azure/container-apps/managed-identity ("REST endpoint
 * reference") describes it: GET `?resource=…&api-version=2019-08-01&client_id=…` (the
 * user-assigned identity's client id, which the Azure Identity library must be given) with the
 * `X-IDENTITY-HEADER` secret of IDENTITY_HEADER, answered with `access_token`, `expires_on`
 * (epoch seconds as a string), `resource`, `token_type`, `client_id`. One token per resource, so
 * that each request to ARM and Storage shows which audience its token was issued for.
 */
class IdentityEndpoint {
  readonly calls: IdentityCall[] = [];
  private server!: http.Server;
  url = '';

  static tokenFor(resource: string): string {
    return `mi-token-for-${resource.replace(/[^A-Za-z0-9]+/g, '-')}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams.entries());
      const header = req.headers['x-identity-header'] as string | undefined;
      this.calls.push({ path: url.pathname, query, header });
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (header !== IDENTITY_HEADER) return json(401, { error: 'invalid_request', error_description: 'X-IDENTITY-HEADER is missing or wrong' });
      if (!query.resource) return json(400, { error: 'invalid_request', error_description: 'resource is required' });
      return json(200, {
        access_token: IdentityEndpoint.tokenFor(query.resource),
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource: query.resource,
        token_type: 'Bearer',
        client_id: query.client_id ?? '',
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/msi/token`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ------------------------------------------------------------------------------------ the deployment

function fixture(name: 'training' | 'endpoint'): any {
  const raw = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  // No bake between traffic steps: the rollout's requests are the point here, not its waiting.
  if (name === 'endpoint') raw.endpoint.rollout.bakeMinutes = 0;
  return raw;
}

/** The endpoint spec with the promote part the stack writes (as test/azure-promote.test.ts). */
function promoteSpec(arm: FakeArm): Record<string, unknown> {
  const raw = fixture('endpoint');
  raw.azure.promote = {
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
    imageDigest: `sha256:${'3f'.repeat(32)}`,
    inputs: { data: 'azureml://datastores/mlopsartifacts/paths/datasets/bike-sharing/hour.csv' },
  };
  parseSpec(raw); // the spec the driver accepts, or this throws here rather than in the container
  return raw;
}

/** What the register step of run `run` wrote, and the fingerprint of the registry version. */
function seedRun(arm: FakeArm, run: string, version: number): void {
  const registration = {
    name: 'demand-forecast',
    version,
    created: true,
    promoted: true,
    previousChampion: version - 1,
    champion: version,
    aliases: ['champion'],
    contentHash: `hash-${version}`,
    trainedBy: run,
    registeredBy: run,
  };
  arm.blobs.set(`${CONTAINER}/pipelines/bike-demand/runs/${run}/register/registration/registration.json`, { text: JSON.stringify(registration) });
  arm.blobs.set(`${CONTAINER}/${REGISTRY}/versions/${version}/model/fingerprint.json`, { text: JSON.stringify({ sha256: 'ab'.repeat(32), rows: 17379, cols: 17 }) });
  // The register step made it the registry's champion (what the daily backstop reads).
  arm.blobs.set(`${CONTAINER}/${REGISTRY}/aliases.json`, { text: JSON.stringify({ champion: version, challenger: null, lineage: [version], history: [] }) });
}

/** The run event Event Grid delivers to the queue when the register node's run completed. */
function queueEvent(arm: FakeArm, id: string, run: string): void {
  const event = { eventType: 'Microsoft.MachineLearningServices.RunStatusChanged', data: { experimentName: RELEASE, runId: run, runStatus: 'Completed', runTags: {} } };
  arm.queue.push({ id, popReceipt: '', dequeueCount: 0, invisible: false, text: JSON.stringify([event]) });
}

/** `key = value` lines under `outputs:` of the CLI's report. */
function outputsOf(stdout: string): Record<string, string> {
  const lines = stdout.split('\n');
  const at = lines.indexOf('outputs:');
  const out: Record<string, string> = {};
  if (at < 0) return out;
  for (const line of lines.slice(at + 1)) {
    const m = /^ {2}(\S+) = (.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

// ------------------------------------------------------------------------------------ the checks

async function imageChecks(): Promise<void> {
  const cfg = JSON.parse((await docker(['image', 'inspect', '-f', '{{json .Config}}', IMAGE])).out || '{}') as { User?: string; Entrypoint?: string[]; Cmd?: string[] };
  await check(
    'RI1',
    `runs as ${USER} (non-root), exec-form ENTRYPOINT node ${APP}/bin/mlops-release.js, CMD --help; the application files are not the user's to change`,
    async () => {
      same(cfg.User, USER, 'USER');
      same(cfg.Entrypoint, ['node', `${APP}/bin/mlops-release.js`], 'ENTRYPOINT');
      same(cfg.Cmd, ['--help'], 'CMD');
      const r = await run(
        'id',
        ['--entrypoint', '/bin/sh'],
        ['-c', `id -u; id -g; for f in ${APP} ${APP}/dist/src/cli.js ${APP}/node_modules ${APP}/bin/mlops-release.js; do [ -w "$f" ] && echo "writable: $f"; done; true`],
      );
      must(r.code === 0, `exit ${r.code}: ${lastLines(r.out + r.err)}`);
      const [uid, gid, ...writable] = r.out.trim().split('\n');
      same([uid, gid], ['1000', '1000'], 'id -u, id -g in the container');
      must(writable.length === 0, writable.join(', '));
      return `uid ${uid}, gid ${gid}`;
    },
  );

  await check(
    'RI2',
    `${APP}/node_modules is the production tree of release/npm-shrinkwrap.json: every package at its locked path and version, no dev dependency, nothing else`,
    async () => {
      // Every package.json under node_modules (nested ones too), as `<path> <version>`.
      const walk = `const fs=require('fs'),p=require('path');const out=[];function w(d){for(const n of fs.readdirSync(d)){if(n.startsWith('.'))continue;const f=p.join(d,n);if(n.startsWith('@')){w(f);continue}const j=p.join(f,'package.json');if(fs.existsSync(j)){out.push(p.relative('${APP}',f)+' '+JSON.parse(fs.readFileSync(j,'utf8')).version);const nm=p.join(f,'node_modules');if(fs.existsSync(nm))w(nm)}}}w('${APP}/node_modules');console.log(out.join('\\n'))`;
      const r = await run('tree', ['--entrypoint', 'node'], ['-e', walk]);
      must(r.code === 0, `exit ${r.code}: ${lastLines(r.out + r.err)}`);
      const inImage = new Map(
        r.out
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' ') as [string, string]),
      );
      const lock = JSON.parse(fs.readFileSync(path.join(PACKAGE, 'npm-shrinkwrap.json'), 'utf8')) as {
        packages: Record<string, { version?: string; dev?: boolean; optional?: boolean }>;
      };
      const production = Object.entries(lock.packages).filter(([k, e]) => k !== '' && !e.dev);
      const problems: string[] = [];
      for (const [key, entry] of production) {
        const version = inImage.get(key);
        if (version === undefined && !entry.optional) problems.push(`missing ${key}@${entry.version}`);
        else if (version !== undefined && version !== entry.version) problems.push(`${key}: ${version} in the image, ${entry.version} locked`);
      }
      for (const key of inImage.keys()) {
        if (!lock.packages[key]) problems.push(`${key}: not in the lockfile`);
        else if (lock.packages[key]!.dev) problems.push(`${key}: a dev dependency`);
      }
      must(problems.length === 0, problems.slice(0, 12).join('; '));
      must(!inImage.has('node_modules/typescript'), 'typescript (the build stage only) is in the image');
      return `${inImage.size} packages, as locked`;
    },
  );

  await check('RI3', '`--help` and no arguments (CMD) exit 0 with the usage', async () => {
    for (const cmd of [['--help'], []]) {
      const r = await run('help', [], cmd);
      must(r.code === 0, `${JSON.stringify(cmd)}: exit ${r.code}: ${lastLines(r.out + r.err)}`);
      must(r.out.includes(USAGE.split('\n')[0]!), `${JSON.stringify(cmd)}: no usage line in ${lastLines(r.out)}`);
    }
  });

  await check('RI4', 'an unknown command, and promote without a spec, exit 2 with a message that names the problem and the fix', async () => {
    const unknown = await run('unknown', [], ['frobnicate']);
    must(unknown.code === 2, `frobnicate: exit ${unknown.code}`);
    must(unknown.err.includes('unknown command "frobnicate": use apply, destroy, start or promote'), `frobnicate: ${lastLines(unknown.err)}`);
    const noSpec = await run('nospec', [], JOB_ARGS);
    must(noSpec.code === 2, `${JOB_ARGS.join(' ')} without ${RELEASE_SPEC_ENV}: exit ${noSpec.code}`);
    must(noSpec.err.includes(`environment variable ${RELEASE_SPEC_ENV} is not set`), lastLines(noSpec.err));
    return lastLines(unknown.err.split('\n')[0]!, 1);
  });
}

async function promotions(work: string): Promise<void> {
  const tls = selfSignedCertificate();
  const caFile = path.join(work, 'ca.pem');
  fs.writeFileSync(caFile, tls.cert, { mode: 0o644 });
  const arm = new FakeArm(tls);
  const identity = new IdentityEndpoint();
  await arm.start();
  await identity.start();
  try {
    // cdktf deploy ran (through the driver, on this machine): model version 1 serves on blue.
    arm.jobStates = ['Completed'];
    arm.operationPolls = 0;
    const seeder = createAzureDriver({ credential: fakeCredential(), endpoint: arm.url, pollIntervalMs: 5, retryDelayMs: 5, trustedCa: tls.cert });
    await seeder.apply(parseSpec(fixture('training')), fakeContext());
    await seeder.apply(parseSpec(fixture('endpoint')), fakeContext());
    arm.clearRequests();

    const spec = JSON.stringify(promoteSpec(arm));
    const job = [
      '--network',
      'host',
      '-e',
      `${RELEASE_SPEC_ENV}=${spec}`,
      '-e',
      `${ARM_ENDPOINT_ENV}=${arm.url}`,
      '-e',
      'NODE_EXTRA_CA_CERTS=/etc/mlops-test/ca.pem',
      '-v',
      `${caFile}:/etc/mlops-test/ca.pem:ro`,
      '-e',
      `IDENTITY_ENDPOINT=${identity.url}`,
      '-e',
      `IDENTITY_HEADER=${IDENTITY_HEADER}`,
      '-e',
      `AZURE_CLIENT_ID=${CLIENT_ID}`,
    ];
    const armToken = `Bearer ${IdentityEndpoint.tokenFor(arm.url)}`;
    // Azure Storage's audience, as its documentation gives it (not the driver's constant: this checks it).
    const storageToken = `Bearer ${IdentityEndpoint.tokenFor(STORAGE_AUDIENCE)}`;
    /** Each request carried a token of the managed identity for its audience: ARM's for ARM, Storage's for blobs and queues. */
    const tokensRight = (): void => {
      for (const r of arm.requests) {
        const want = r.path.startsWith('/storage/') ? storageToken : armToken;
        must(r.authorization === want, `${r.method} ${r.path}: authorization ${r.authorization}, expected ${want}`);
      }
      must(identity.calls.length > 0, 'the identity endpoint was never asked for a token');
      for (const c of identity.calls) {
        must(c.header === IDENTITY_HEADER, `identity request without the X-IDENTITY-HEADER secret: ${JSON.stringify(c)}`);
        must(
          c.query['api-version'] === '2019-08-01' && c.query.client_id === CLIENT_ID,
          `identity request ${JSON.stringify(c.query)}: expected api-version 2019-08-01 and client_id ${CLIENT_ID}`,
        );
      }
    };

    seedRun(arm, 'register-run-7', 7);
    queueEvent(arm, 'm-7', 'register-run-7');
    await check(
      'RI5',
      `the promoter job's command (${JOB_ARGS.join(' ')}) with its managed identity: registers the champion of the queued run and rolls it out to green, canary 10% then 100%`,
      async () => {
        const r = await run('promote-queue', job, JOB_ARGS);
        must(r.code === 0, `exit ${r.code}: ${lastLines(r.err, 4)}`);
        const outputs = outputsOf(r.out);
        for (const [k, v] of Object.entries({
          promoted: 'true',
          run: 'register-run-7',
          registryVersion: '7',
          modelVersion: '2',
          deployment: 'green',
          messages: '1',
          backstop: 'champion served',
        })) {
          must(outputs[k] === v, `output ${k} = ${outputs[k]}, expected ${v} (stdout: ${lastLines(r.out, 12)})`);
        }
        const storage = arm.requests
          .filter((q) => q.path.startsWith('/storage/'))
          .map((q) => `${q.method} ${q.path.replace(/^\/storage\/(blob|queue)\//, '')}${q.query.comp ? `?comp=${q.query.comp}` : ''}`);
        same(
          storage,
          [
            `GET ${RELEASE}-promotions/messages`,
            `GET ${CONTAINER}/pipelines/bike-demand/runs/register-run-7/register/registration/registration.json`,
            `GET ${CONTAINER}/${REGISTRY}/versions/7/model/fingerprint.json`,
            `PUT ${LEASE}?comp=lease`,
            `PUT ${LEASE}`,
            `PUT ${LEASE}?comp=lease`,
            `PUT ${LEASE}?comp=lease`,
            `DELETE ${RELEASE}-promotions/messages/m-7`,
            `GET ${RELEASE}-promotions/messages`,
            // the queue is empty: the daily backstop finds the champion it just rolled out served
            `GET ${BACKSTOP}`,
            `PUT ${BACKSTOP}`,
            `GET ${CONTAINER}/${REGISTRY}/aliases.json`,
          ],
          'the storage requests',
        );
        const model = arm.requests.find((q) => q.method === 'PUT' && q.path === `${WS_PATH}/models/bike-demand/versions/2`);
        must(model, 'no PUT of model version bike-demand:2');
        for (const [k, v] of Object.entries({
          'mlops.run': 'register-run-7',
          'mlops.registry.version': '7',
          'mlops.pipeline': 'bike-demand',
          'mlops.pipeline.revision': 'feedc0de1234',
        })) {
          must(model.body.properties.tags[k] === v && model.body.properties.properties[k] === v, `model version tag/property ${k}: ${model.body.properties.tags[k]}`);
        }
        const green = arm.requests.find((q) => q.method === 'PUT' && q.path === `${WS_PATH}/onlineEndpoints/${EP}/deployments/green`);
        must(green?.body.properties.model === `${WS_PATH}/models/bike-demand/versions/2`, `green deployment model: ${green?.body.properties.model}`);
        const traffic = arm.requests.filter((q) => q.method === 'PUT' && q.path === `${WS_PATH}/onlineEndpoints/${EP}`).map((q) => q.body.properties.traffic);
        same(traffic, [{ green: 10, blue: 90 }, { green: 100 }], 'the traffic updates');
        must(!arm.deployments.get(EP)!.has('blue'), 'the blue deployment is still there');
        must(arm.queue.length === 0, `${arm.queue.length} message(s) left on the queue`);
        must(arm.blobs.get(LEASE)?.lease === undefined, 'the lease was not given back');
        tokensRight();
        const resources = [...new Set(identity.calls.map((c) => c.query.resource))].sort();
        return `${(r.ms / 1000).toFixed(1)} s; ${arm.requests.length} requests; tokens from the identity endpoint for ${resources.join(', ')}`;
      },
    );

    arm.clearRequests();
    identity.calls.length = 0;
    seedRun(arm, 'register-run-9', 9);
    const hardened = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];
    await check('RI6', `\`promote --run <run>\` on a read-only root file system (${hardened.join(' ')}): the next champion goes to blue`, async () => {
      const r = await run('promote-run', [...hardened, ...job], ['promote', '--run', 'register-run-9']);
      must(r.code === 0, `exit ${r.code}: ${lastLines(r.err, 4)}`);
      const outputs = outputsOf(r.out);
      for (const [k, v] of Object.entries({ promoted: 'true', run: 'register-run-9', registryVersion: '9', modelVersion: '3', deployment: 'blue' })) {
        must(outputs[k] === v, `output ${k} = ${outputs[k]}, expected ${v} (stdout: ${lastLines(r.out, 12)})`);
      }
      must(arm.models.get('bike-demand')?.get('3')?.properties.tags['mlops.run'] === 'register-run-9', 'model version 3 does not carry mlops.run register-run-9');
      same([...arm.deployments.get(EP)!.keys()], ['blue'], 'the deployments after the rollout');
      tokensRight();
      return `${(r.ms / 1000).toFixed(1)} s; ${arm.requests.length} requests`;
    });

    arm.clearRequests();
    await check('RI7', 'a promotion of a run without registration.json exits 1 with the missing file and the fix, and writes nothing', async () => {
      const r = await run('promote-missing', job, ['promote', '--run', 'no-such-run']);
      must(r.code === 1, `exit ${r.code}: ${lastLines(r.err)}`);
      must(
        r.err.includes('[REGISTRATION_MISSING]') && r.err.includes('no-such-run/register/registration/registration.json does not exist') && r.err.includes('Fix:'),
        lastLines(r.err),
      );
      same(
        arm.requests.filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`),
        [],
        'writes',
      );
      return lastLines(r.err, 1);
    });
  } finally {
    await identity.stop();
    await arm.stop();
    fs.rmSync(tls.dir, { recursive: true, force: true });
  }
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

async function main(): Promise<number> {
  const t0 = Date.now();
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  process.stdout.write(`\n-- the release image ${IMAGE} (release/Dockerfile): the Azure promoter job's container\n`);
  try {
    await imageChecks();
    await promotions(WORK);
  } catch (e) {
    report({ status: 'FAIL', id: 'RX', desc: 'the release checks stopped on an unexpected error', detail: oneLine((e as Error).stack ?? String(e), 800) });
  }
  const all = [...setupResults(), ...results];
  const failed = all.filter((r) => r.status === 'FAIL');
  const size = Number((await docker(['image', 'inspect', '-f', '{{.Size}}', IMAGE])).out.trim());
  process.stdout.write('\n== summary (release image)\n');
  for (const f of failed) process.stdout.write(`FAIL  ${f.id.padEnd(4)} ${f.desc}  -- ${f.detail}\n`);
  process.stdout.write(`image ${IMAGE}: ${(size / 1e6).toFixed(0)} MB; build ${secs(env.MLOPS_TEST_BUILD_MS)}; checks ${secs(Date.now() - t0)}\n`);
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
