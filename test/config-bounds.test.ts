/**
 * Issue 14, item 15: a YAML alias bomb, a self-referencing anchor, or a value
 * with shared or circular parts built in code, is refused (or shown) in
 * bounded time and memory: the loader counts the values the aliases expand
 * to, and `show()` never renders more than it prints.
 *
 * The bombs run in a child process with a time limit, so that the test fails
 * (instead of hanging jest) when the bound is missing.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadConfig, parseConfig } from '../lib/config';
import { MAX_CONFIG_VALUES } from '../lib/config/load';
import { ErrorCode, MlopsValidationError, messages, show, showKey, withArticle } from '../lib/core/errors';
import { validConfig } from './util';

const ROOT = path.join(__dirname, '..');
const LOAD = path.join(ROOT, 'dist', 'lib', 'config', 'load.js');
const VALID = fs.readFileSync(path.join(ROOT, 'stacks', 'config', 'dev-aws.yaml'), 'utf8');

/** Nine levels of nine aliases to the level below: 9^9 (387 million) strings once expanded. */
function billionLaughs(): string {
  let text = 'lol0: &lol0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i <= 8; i++)
    text += `lol${i}: &lol${i} [${Array(9)
      .fill(`*lol${i - 1}`)
      .join(',')}]\n`;
  return text;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-config-bounds-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Loads `text` as a config in a child process (compiled loader), at most 20 s. */
function loadInChild(text: string): { status: number | null; out: string; ms: number } {
  const file = path.join(dir, 'bomb.yaml');
  fs.writeFileSync(file, text);
  const script = `try { require(${JSON.stringify(LOAD)}).loadConfig(${JSON.stringify(file)}); console.log('ACCEPTED'); } catch (e) { console.log(e.message); }`;
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, ms: Date.now() - started };
}

describe('YAML alias bombs', () => {
  test.each([
    ['as tags (a list where a mapping belongs)', (bomb: string) => `${VALID}\n${bomb}`.replace(/^tags:\n( {2}.*\n)+/m, '') + 'tags: *lol8\n'],
    ['as an unknown key', (bomb: string) => `${VALID}\n${bomb}`],
    ['as the deployers', (bomb: string) => `${VALID.replace(/^deployers:.*$/m, '')}\n${bomb}deployers: *lol8\n`],
  ])('GIVEN a billion-laughs bomb %s WHEN loaded THEN it is refused in bounded time, naming the limit and the fix', (_where, build) => {
    const r = loadInChild(build(billionLaughs()));
    expect(r.status).toBe(0);
    expect(r.out).toContain(`[${ErrorCode.CONFIG_YAML}]`);
    expect(r.out).toContain(`holds more than ${MAX_CONFIG_VALUES} values once its aliases (*name) are expanded`);
    expect(r.out).toContain('Fix: write the repeated parts out');
    expect(r.out.length).toBeLessThan(2000);
  });

  test('GIVEN an anchor that contains its own alias WHEN loaded THEN it is refused as a cycle, naming where', () => {
    const file = path.join(dir, 'cycle.yaml');
    fs.writeFileSync(file, `${VALID.replace(/^tags:\n( {2}.*\n)+/m, '')}tags: &t {self: *t}\n`);
    let error: MlopsValidationError | undefined;
    try {
      loadConfig(file);
    } catch (e) {
      error = e as MlopsValidationError;
    }
    expect(error).toBeInstanceOf(MlopsValidationError);
    expect(error!.issues[0]!.message).toContain('has an alias inside the node it refers to, at tags.self');
  });

  test('GIVEN a config that shares a value and a mapping through anchors WHEN loaded THEN it is accepted: aliases themselves are fine', () => {
    const file = path.join(dir, 'anchors.yaml');
    const text = VALID.replace('  owner: platform-team', '  owner: &team platform-team\n  team: *team')
      .replace('    size: small\n    maxNodes: 4', '    size: small\n    instanceType: &machine { aws: ml.m5.xlarge }\n    maxNodes: 4')
      .replace('  endpoint:\n    size: small', '  endpoint:\n    size: small\n    instanceType: *machine');
    fs.writeFileSync(file, text);
    const config = loadConfig(file);
    expect(config.tags.team).toBe('platform-team');
    expect(config.deployment!.endpoint.instanceType).toEqual({ aws: 'ml.m5.xlarge' });
  });

  test('the shipped configs are far below the limit', () => {
    for (const name of fs.readdirSync(path.join(ROOT, 'stacks', 'config'))) {
      expect(() => loadConfig(path.join(ROOT, 'stacks', 'config', name))).not.toThrow();
    }
  });
});

describe('show(): bounded, whatever the value', () => {
  /** `value` behind a proxy that counts how many properties (items, keys' values) are read, at any depth. */
  function counted<T extends object>(value: T, reads: { n: number }, seen = new WeakMap<object, object>()): T {
    const known = seen.get(value);
    if (known) return known as T;
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        reads.n += 1;
        const got = Reflect.get(target, key, receiver) as unknown;
        return typeof got === 'object' && got !== null ? counted(got, reads, seen) : got;
      },
    });
    seen.set(value, proxy);
    return proxy;
  }

  /** 2^depth leaves, every level the same two references. */
  function sharedTree(depth: number): unknown[] {
    let node: unknown[] = ['x'];
    for (let i = 0; i < depth; i++) node = [node, node];
    return node;
  }

  // Rendering stops at the limit: the number of parts read is bounded by the 80 characters,
  // not by the size of the value (a proxy counts the reads; no wall-clock bound).
  test('GIVEN a value with shared parts that expands to 2^40 leaves WHEN shown THEN it is cut after reading a few parts', () => {
    const reads = { n: 0 };
    const text = show(counted(sharedTree(40), reads));
    expect(text.length).toBeLessThanOrEqual(80);
    expect(text.endsWith('...')).toBe(true);
    expect(reads.n).toBeLessThan(500);
  });

  test('GIVEN a 10 MB string, a list of a million items and an object of a million keys WHEN shown THEN each is cut to 80 characters after reading a few items', () => {
    expect(show('x'.repeat(10_000_000)).length).toBeLessThanOrEqual(80);
    const wide: Record<string, number> = {};
    for (let i = 0; i < 1_000_000; i++) wide[`k${i}`] = i;
    for (const value of [Array.from({ length: 1_000_000 }, (_, i) => i), wide]) {
      const reads = { n: 0 };
      const text = show(counted(value, reads));
      expect(text.length).toBeLessThanOrEqual(80);
      expect(text.endsWith('...')).toBe(true);
      expect(reads.n).toBeLessThan(200);
    }
  });

  test('cycles print as [Circular], non-finite numbers as themselves (JSON would print null)', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(show(cyclic)).toBe('{"a":1,"self":[Circular]}');
    expect(show(Infinity)).toBe('Infinity');
    expect(show(-Infinity)).toBe('-Infinity');
    expect(show(NaN)).toBe('NaN');
    expect(show([1, Infinity])).toBe('[1,Infinity]');
  });

  test('prints as before for ordinary values', () => {
    expect(show('abc')).toBe('"abc"');
    expect(show({ a: 1, b: [true, null], c: undefined })).toBe('{"a":1,"b":[true,null]}');
    expect(show(undefined)).toBe('(missing)');
    expect(show(new Date('2020-01-01T00:00:00Z'))).toBe('"2020-01-01T00:00:00.000Z"');
    expect(show('y'.repeat(100))).toBe(`"${'y'.repeat(76)}...`);
    // A class instance that says how it reads (a construct: its path).
    expect(show({ toString: () => 'x' })).toBe('{}');
    expect(
      show(
        new (class Path {
          toString(): string {
            return 'stack/Thing';
          }
        })(),
      ),
    ).toBe('stack/Thing');
  });

  test('a getter or toString that throws is shown as far as it rendered, never thrown', () => {
    const value = {
      a: 1,
      get b(): number {
        throw new Error('boom');
      },
    };
    expect(show(value)).toBe('{"a":1[unprintable]');
  });

  test('showKey: short printable keys as they are; long or odd ones quoted and cut', () => {
    expect(showKey('region')).toBe('region');
    expect(showKey(3)).toBe('3');
    expect(showKey('a\nb')).toBe('"a\\nb"');
    expect(showKey('k'.repeat(1_000_000)).length).toBeLessThanOrEqual(42);
  });

  test('GIVEN a config built in code with a shared tree as a value WHEN validated THEN the message is bounded', () => {
    let error: MlopsValidationError | undefined;
    try {
      parseConfig({ ...validConfig(), alerts: sharedTree(40), deployers: sharedTree(40) });
    } catch (e) {
      error = e as MlopsValidationError;
    }
    expect(error).toBeInstanceOf(MlopsValidationError);
    expect(error!.message.length).toBeLessThan(3000);
  });
});

describe('a or an in messages', () => {
  test.each([
    ['AWS', 'an AWS'],
    ['aws', 'an aws'],
    ['Azure', 'an Azure'],
    ['azurerm', 'an azurerm'],
    ['s3', 'an s3'],
    ['S3 bucket', 'an S3 bucket'],
    ['IAM role', 'an IAM role'],
    ['ECR repository', 'an ECR repository'],
    ['Artifact Registry repository', 'an Artifact Registry repository'],
    ['GCP', 'a GCP'],
    ['gcs', 'a gcs'],
    ['gcp training job', 'a gcp training job'],
    ['Cloud Storage bucket', 'a Cloud Storage bucket'],
    ['SageMaker model package group', 'a SageMaker model package group'],
    ['service account id', 'a service account id'],
  ])('%s → %s', (word, expected) => {
    expect(withArticle(word)).toBe(expected);
  });

  test('a cloud mismatch names the cloud as it is called, with the right article', () => {
    expect(messages.cloudMismatch('grantRead', 'aws', 'azure')).toMatch(
      /^grantRead needs an AWS workload identity, but was given one for Azure\. Fix: grant to the identity created by the AWS platform/,
    );
    expect(messages.cloudMismatch('grantRead', 'azure', 'gcp')).toContain('needs an Azure workload identity, but was given one for GCP');
    expect(messages.cloudMismatch('grantRead', 'gcp', 'aws')).toContain('needs a GCP workload identity');
  });
});
