/**
 * The runtime image, without a Docker engine: the Dockerfile is parsed and
 * checked (pinned base, stages, production-only dependencies, entrypoint,
 * EXPOSE, SageMaker label, HEALTHCHECK, non-root USER), and the entrypoint and
 * healthcheck scripts it runs are spawned directly with `node`, against the
 * built runtime (dist/), on real files and a real loopback port.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { readModelDir } from '../src/artifacts/modeldir';
import { Rng } from '../src/core/random';

const IMAGE_DIR = path.resolve(__dirname, '..');
const ENTRYPOINT = path.join(IMAGE_DIR, 'docker', 'entrypoint.js');
const HEALTHCHECK = path.join(IMAGE_DIR, 'docker', 'healthcheck.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-image-'));
const children: ChildProcess[] = [];

beforeAll(() => {
  // The entrypoint runs the built CLI; `npm test` builds first. Build here if this test runs alone.
  if (!fs.existsSync(path.join(IMAGE_DIR, 'dist', 'src', 'contracts', 'run.js'))) {
    spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', IMAGE_DIR], { stdio: 'ignore' });
  }
  expect(fs.existsSync(path.join(IMAGE_DIR, 'dist', 'src', 'cli', 'main.js'))).toBe(true);
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** One Dockerfile instruction: keyword, arguments (continuations joined), stage index. */
interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly stage: number;
}

/** A small Dockerfile parser: comments, line continuations, stages. */
function parseDockerfile(text: string): { instructions: Instruction[]; stages: { name: string | null; from: string }[]; args: Record<string, string> } {
  const instructions: Instruction[] = [];
  const stages: { name: string | null; from: string }[] = [];
  const args: Record<string, string> = {};
  let buf = '';
  const flush = (): void => {
    const line = buf.trim();
    buf = '';
    if (!line) return;
    const m = /^(\S+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`unparseable Dockerfile line: ${line}`);
    const keyword = m[1]!.toUpperCase(),
      rest = m[2]!.trim();
    if (keyword === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
      stages.push({ from: f[1]!, name: f[2] ?? null });
    }
    if (keyword === 'ARG' && stages.length === 0) {
      const eq = rest.indexOf('=');
      if (eq > 0) args[rest.slice(0, eq)] = rest.slice(eq + 1);
    }
    instructions.push({ keyword, args: rest, stage: stages.length - 1 });
  };
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) && buf === '') continue;
    if (/^\s*#/.test(raw)) continue;
    if (raw.endsWith('\\')) buf += raw.slice(0, -1) + ' ';
    else {
      buf += raw;
      flush();
    }
  }
  flush();
  return { instructions, stages, args };
}

/**
 * Frontend references a Dockerfile makes BuildKit pull that are not pinned by digest. BuildKit
 * pulls the image a `# syntax=` parser directive (case-insensitive, spaces allowed) or a
 * BUILDKIT_SYNTAX argument names at every build — from Docker Hub unless another registry is
 * named: a tag (docker/dockerfile:1) moves under the digest-pinned base, and every build fails
 * where Docker Hub is unreachable.
 */
function movingFrontends(text: string): string[] {
  const refs = [
    ...text.split('\n').map((l) => /^#\s*syntax\s*=\s*(\S*)/i.exec(l)?.[1]),
    ...[...text.matchAll(/BUILDKIT_SYNTAX\s*=\s*(\S*)/g)].map((m) => `BUILDKIT_SYNTAX=${m[1]}`),
  ];
  return refs.filter((r): r is string => r !== undefined && !/@sha256:[0-9a-f]{64}$/.test(r));
}

const dockerfile = parseDockerfile(fs.readFileSync(path.join(IMAGE_DIR, 'Dockerfile'), 'utf8'));
const last = dockerfile.stages.length - 1;
const inStage = (kw: string, stage = last): Instruction[] => dockerfile.instructions.filter((i) => i.keyword === kw && i.stage === stage);
const stageIndex = (name: string): number => dockerfile.stages.findIndex((s) => s.name === name);

describe('Dockerfile', () => {
  test('every stage starts from Node 20 (bookworm slim) pinned by digest', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    for (const s of dockerfile.stages) {
      const ref = s.from.replace(/^\$\{(\w+)\}$/, (_, k: string) => dockerfile.args[k] ?? '');
      expect(ref).toMatch(/^node:20-bookworm-slim@sha256:[0-9a-f]{64}$/);
    }
  });

  test('pulls no moving BuildKit frontend: a `# syntax=` directive is absent or pinned by digest', () => {
    const text = fs.readFileSync(path.join(IMAGE_DIR, 'Dockerfile'), 'utf8');
    expect(movingFrontends(text)).toEqual([]);
    // The check refuses what this Dockerfile had before (issue 13) and its variants, and lets a digest pin through.
    expect(movingFrontends('# syntax=docker/dockerfile:1\nFROM x\n')).toEqual(['docker/dockerfile:1']);
    expect(movingFrontends('#  Syntax = docker/dockerfile:1.7\nFROM x\n')).toEqual(['docker/dockerfile:1.7']);
    expect(movingFrontends('ARG BUILDKIT_SYNTAX=docker/dockerfile:1\nFROM x\n')).toEqual(['BUILDKIT_SYNTAX=docker/dockerfile:1']);
    expect(movingFrontends(`# syntax=docker/dockerfile:1@sha256:${'a'.repeat(64)}\nFROM x\n`)).toEqual([]);
  });

  test('is multi-stage: TypeScript is compiled in a build stage, production dependencies installed alone, and only those two reach the runtime', () => {
    expect(stageIndex('build')).toBeGreaterThanOrEqual(0);
    expect(stageIndex('deps')).toBeGreaterThanOrEqual(0);
    // The context is this package folder: its own lockfile (npm-shrinkwrap.json), no workspace of a repository.
    expect(
      inStage('RUN', stageIndex('deps'))
        .map((i) => i.args)
        .join('\n'),
    ).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(
      inStage('RUN', stageIndex('build'))
        .map((i) => i.args)
        .join('\n'),
    ).toMatch(/tsc -p tsconfig\.build\.json/);
    for (const stage of ['build', 'deps']) expect(inStage('COPY', stageIndex(stage)).map((i) => i.args)).toContain('package.json npm-shrinkwrap.json ./');
    expect(dockerfile.instructions.map((i) => i.args).join('\n')).not.toMatch(/--workspace|training-image\//);
    const copies = inStage('COPY');
    const fromStages = copies.map((c) => /--from=(\S+)/.exec(c.args)?.[1]).filter(Boolean);
    expect(new Set(fromStages)).toEqual(new Set(['deps', 'build']));
    expect(copies.find((c) => c.args.includes('--from=build'))!.args).toMatch(/dist\/src /);
    // No npm install of any kind in the final stage.
    expect(
      inStage('RUN')
        .map((i) => i.args)
        .join('\n'),
    ).not.toMatch(/npm (ci|install|i) /);
  });

  test('is non-interactive and copies only files that exist and the ignore file lets through', () => {
    for (let s = 0; s <= last; s++)
      expect(
        inStage('ENV', s)
          .map((i) => i.args)
          .join(' '),
      ).toContain('DEBIAN_FRONTEND=noninteractive');
    const allow = fs
      .readFileSync(path.join(IMAGE_DIR, 'Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const local = dockerfile.instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='));
    expect(local.length).toBeGreaterThan(0);
    for (const c of local) {
      const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        expect(fs.existsSync(path.join(IMAGE_DIR, src))).toBe(true);
        expect(allow.some((a) => src === a || src.startsWith(`${a}/`))).toBe(true);
      }
    }
  });

  test('starts as root and drops to MLOPS_RUN_AS 1000:1000 (SageMaker runs containers as root on possibly root-owned mounts), exposes 8080, carries the SageMaker bind-to-port label and a HEALTHCHECK on /ping', () => {
    // The entrypoint gives the platform's output folders to uid 1000 and switches to it before
    // reading anything (src/contracts/access.ts); the container test checks every process runs as 1000.
    expect(inStage('USER').map((i) => i.args)).toEqual(['0:0']);
    expect(
      inStage('ENV')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(/(^|\s)MLOPS_RUN_AS=1000:1000(\s|$)/);
    expect(inStage('EXPOSE').map((i) => i.args)).toEqual(['8080']);
    expect(
      inStage('LABEL')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(/(^|\s)com\.amazonaws\.sagemaker\.capabilities\.accept-bind-to-port=true(\s|$)/);
    const hc = inStage('HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const cmd = JSON.parse(/CMD\s+(\[.*\])$/.exec(hc[0]!.args)![1]!) as string[];
    expect(cmd[0]).toBe('node');
    expect(cmd[1]).toBe('/opt/mlops/docker/healthcheck.js');
    expect(fs.readFileSync(HEALTHCHECK, 'utf8')).toContain("'/ping'");
  });

  test('ENTRYPOINT is exec form and runs node on the entrypoint script directly, so `train` / `serve` reach it; CMD defaults to serve', () => {
    const ep = inStage('ENTRYPOINT');
    expect(ep).toHaveLength(1);
    const argv = JSON.parse(ep[0]!.args) as string[]; // exec form (a shell form would drop the arguments)
    expect(argv).toEqual(['node', '/opt/mlops/docker/entrypoint.js']);
    // The image path maps to this package's file, which the runtime stage copies (WORKDIR /opt/mlops).
    expect(inStage('WORKDIR').map((i) => i.args)).toEqual(['/opt/mlops']);
    expect(inStage('COPY').some((c) => /^docker docker$/.test(c.args))).toBe(true);
    expect(fs.existsSync(ENTRYPOINT)).toBe(true);
    expect(JSON.parse(inStage('CMD')[0]!.args)).toEqual(['serve']);
  });
});

// ---------------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Runs a script to completion. */
function runNode(script: string, args: string[], env: NodeJS.ProcessEnv): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [script, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function csv(n: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ['a,b,y'];
  for (let i = 0; i < n; i++) {
    const a = rng.normal(),
      b = rng.normal();
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${(3 * a - b + 0.1 * rng.normal()).toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}

function optMl(name: string, hp: Record<string, string>): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(path.join(root, 'input', 'config'), { recursive: true });
  fs.mkdirSync(path.join(root, 'input', 'data', 'train'), { recursive: true });
  fs.mkdirSync(path.join(root, 'model'), { recursive: true });
  fs.writeFileSync(path.join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(hp));
  fs.writeFileSync(path.join(root, 'input', 'data', 'train', 'data.csv'), csv(200, 1));
  return root;
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('entrypoint (spawned as the image runs it: node docker/entrypoint.js <args>)', () => {
  const tmpdir = path.join(tmp, 'container-tmp');
  fs.mkdirSync(tmpdir, { recursive: true });
  const base = { TMPDIR: tmpdir, MLOPS_APP_DIR: IMAGE_DIR };

  test('--help prints the image help and the CLI commands; `train --help` and `serve --help` dispatch to the commands', () => {
    const h = runNode(ENTRYPOINT, ['--help'], base);
    expect(h.code).toBe(0);
    expect(h.out).toContain('Usage: <image> [train | serve | <mlops command>]');
    expect(h.out).toContain('Commands:');
    const t = runNode(ENTRYPOINT, ['train', '--help'], base);
    expect(t.code).toBe(0);
    expect(t.out).toContain('Usage: mlops train');
    const s = runNode(ENTRYPOINT, ['serve', '--help'], base);
    expect(s.code).toBe(0);
    expect(s.out).toContain('Usage: mlops serve');
    const u = runNode(ENTRYPOINT, ['frobnicate'], base);
    expect(u.code).toBe(2);
    expect(u.err).toContain('unknown command "frobnicate"');
  });

  test('`train` under SageMaker: the model lands in /opt/ml/model, exit 0; a bad hyperparameter writes /opt/ml/output/failure, exit 1', () => {
    const ok = optMl('sm-ok', { target: 'y', model: 'gbdt', max_iter: '30' });
    const r = runNode(ENTRYPOINT, ['train'], { ...base, MLOPS_SAGEMAKER_ROOT: ok });
    expect(r.err).toContain('training contract: sagemaker');
    expect(r.code).toBe(0);
    expect(readModelDir(path.join(ok, 'model')).manifest.model).toBe('gbdt');
    expect(fs.readFileSync(path.join(tmpdir, 'mlops-role'), 'utf8').trim()).toBe('train');

    const bad = optMl('sm-bad', { target: 'y', model: 'gbdt', learning_rate: 'fast' });
    const b = runNode(ENTRYPOINT, ['train'], { ...base, MLOPS_SAGEMAKER_ROOT: bad });
    expect(b.code).toBe(1);
    expect(fs.readFileSync(path.join(bad, 'output', 'failure'), 'utf8')).toContain(`The 'learningRate' parameter of gbdt (HistGradientBoosting) must be a float > 0. Got "fast".`);
    expect(fs.readdirSync(path.join(bad, 'model'))).toEqual([]);
  });

  test('no argument runs `serve`: /ping answers, the HEALTHCHECK script passes, SIGTERM exits 0', async () => {
    const root = optMl('sm-serve', { target: 'y', model: 'linear' });
    expect(runNode(ENTRYPOINT, ['train'], { ...base, MLOPS_SAGEMAKER_ROOT: root }).code).toBe(0);
    const port = await freePort();
    // A fresh /tmp, as a new container has: no role marker from the training run above.
    const serveTmp = path.join(tmp, 'serve-tmp');
    fs.mkdirSync(serveTmp, { recursive: true });
    const env = {
      ...base,
      TMPDIR: serveTmp,
      PATH: process.env.PATH,
      MLOPS_MODEL_DIR: path.join(root, 'model'),
      MLOPS_PORT: String(port),
      MLOPS_HOST: '127.0.0.1',
      MLOPS_LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, [ENTRYPOINT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.resume();
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const healthy = await waitFor(() => runNode(HEALTHCHECK, [], env).code === 0, 20000);
    expect({ healthy, err }).toEqual({ healthy: true, err: expect.any(String) });
    expect(fs.readFileSync(path.join(serveTmp, 'mlops-role'), 'utf8').trim()).toBe('serve');
    const ping = await fetch(`http://127.0.0.1:${port}/ping`);
    expect(ping.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  test('the HEALTHCHECK fails when nothing answers on the port, and passes for a training container', async () => {
    const port = await freePort();
    const own = path.join(tmp, 'hc-tmp');
    fs.mkdirSync(own, { recursive: true });
    expect(runNode(HEALTHCHECK, [], { TMPDIR: own, SAGEMAKER_BIND_TO_PORT: String(port) }).code).toBe(1);
    fs.writeFileSync(path.join(own, 'mlops-role'), 'train\n');
    expect(runNode(HEALTHCHECK, [], { TMPDIR: own, SAGEMAKER_BIND_TO_PORT: String(port) }).code).toBe(0);
  });

  test('the mlops CLI is executable as the image links it (/usr/local/bin/mlops → bin/mlops.js)', () => {
    const out = execFileSync(path.join(IMAGE_DIR, 'bin', 'mlops.js'), ['--help'], { encoding: 'utf8' });
    expect(out).toContain('train');
  });
});
