/**
 * Issue 15, item 4: the layers hold. dependency-cruiser checks the rules in
 * .dependency-cruiser.cjs on lib/, stacks/, release/src and training-image/src
 * (cycles and package boundaries only there), and every rule is shown to fail
 * on a deliberate violation in a fixture tree.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string; readonly severity: string };
  readonly cycle?: readonly { readonly name: string }[];
}

function cruise(cwd: string, config: string, targets: readonly string[], extra: readonly string[] = []): Violation[] {
  const r = spawnSync(process.execPath, [DEPCRUISE, '--config', config, '--output-type', 'json', ...extra, ...targets], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  let result: { summary: { violations: Violation[] } };
  try {
    result = JSON.parse(r.stdout);
  } catch {
    throw new Error(`depcruise printed no JSON (exit ${r.status}):\n${r.stderr}`);
  }
  return result.summary.violations;
}

const show = (v: Violation): string => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`;

describe('the repository', () => {
  let violations: Violation[];
  beforeAll(() => {
    violations = cruise(ROOT, CONFIG, ['lib', 'stacks', 'release/src', 'training-image/src']);
  });

  test('breaks no dependency rule', () => {
    expect(violations.filter((v) => v.rule.severity === 'error').map(show)).toEqual([]);
  });

  test('has no warnings either, and no known-violations file to hide any', () => {
    expect(violations.map(show)).toEqual([]);
    expect(fs.existsSync(path.join(ROOT, '.dependency-cruiser-known-violations.json'))).toBe(false);
  });
});

describe('each rule fails on a deliberate violation', () => {
  let dir: string;
  let found: string[];

  /** A fixture tree with one violation per rule, and allowed imports next to them that must not be reported. */
  const FILES: Record<string, string> = {
    // no-circular, in the library and in the runtime.
    'lib/core/cycle-a.ts': "import { b } from './cycle-b';\nexport const a = () => b;\n",
    'lib/core/cycle-b.ts': "import { a } from './cycle-a';\nexport const b = () => a;\n",
    'training-image/src/data/cycle-a.ts': "import { b } from './cycle-b';\nexport const a = () => b;\n",
    'training-image/src/data/cycle-b.ts': "import { a } from './cycle-a';\nexport const b = () => a;\n",
    // private/: from another folder (violation), from the folder and a folder below it (allowed).
    'lib/aws/private/secret.ts': 'export const secret = 1;\n',
    'lib/aws/uses-secret.ts': "import { secret } from './private/secret';\nexport const own = secret;\n",
    'lib/aws/sub/uses-secret.ts': "import { secret } from '../private/secret';\nexport const below = secret;\n",
    'lib/aws/private/sibling.ts': "import { secret } from './secret';\nexport const sibling = secret;\n",
    'lib/ci/steals-secret.ts': "import { secret } from '../aws/private/secret';\nexport const stolen = secret;\n",
    'lib/deploy/aws/steals-secret.ts': "import { secret } from '../../aws/private/secret';\nexport const stolen = secret;\n",
    // An entry point re-exporting a private module.
    'lib/deploy/gcp/private/common.ts': 'export const hidden = 1;\n',
    'lib/deploy/gcp/index.ts': "export { hidden } from './private/common';\n",
    // Layers: core imports a cloud; a cloud imports another cloud; a cloud imports deploy.
    'lib/aws/platform.ts': 'export const platform = 1;\n',
    'lib/core/layer-up.ts': "import { platform } from '../aws/platform';\nexport const up = platform;\n",
    'lib/gcp/sideways.ts': "import { platform } from '../aws/platform';\nexport const sideways = platform;\n",
    'lib/deploy/contracts.ts': 'export const contract = 1;\n',
    'lib/azure/up-to-deploy.ts': "import { contract } from '../deploy/contracts';\nexport const up = contract;\n",
    // A cloud entry point re-exports its deployment constructs: allowed (entry points are on top).
    'lib/azure/index.ts': "export { contract } from '../deploy/contracts';\n",
    // The policy pack imports ci/.
    'lib/ci/aws-perms.ts': 'export const perms = 1;\n',
    'lib/policy/rules.ts': "import { perms } from '../ci/aws-perms';\nexport const rules = perms;\n",
    // Packages: lib imports the runtime; lib imports stacks; release imports lib; the runtime imports lib.
    'training-image/src/models/model.ts': 'export const model = 1;\n',
    'lib/deploy/uses-runtime.ts': "import { model } from '../../training-image/src/models/model';\nexport const m = model;\n",
    'stacks/main.ts': 'export const app = 1;\n',
    'lib/stack.ts': "import { app } from '../stacks/main';\nexport const s = app;\n",
    'release/src/spec.ts': "import { platform } from '../../lib/aws/platform';\nexport const spec = platform;\n",
    'training-image/src/core/uses-lib.ts': "import { platform } from '../../../lib/aws/platform';\nexport const p = platform;\n",
    // The runtime's cli/ imported from a library module (refused), and from the entry (allowed).
    'training-image/src/cli/data.ts': 'export const load = 1;\n',
    'training-image/src/pipeline/steps.ts': "import { load } from '../cli/data';\nexport const steps = load;\n",
    'training-image/src/index.ts': "export { load } from './cli/data';\n",
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-depcruise-'));
    for (const [file, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    // The repository's rules, without its tsconfig (the fixture has none).
    fs.writeFileSync(path.join(dir, 'rules.cjs'), `const c = require(${JSON.stringify(CONFIG)});\nmodule.exports = { ...c, options: { ...c.options, tsConfig: undefined } };\n`);
    found = cruise(dir, 'rules.cjs', ['lib', 'stacks', 'release/src', 'training-image/src']).map((v) => `${v.rule.severity} ${v.rule.name}: ${v.from} → ${v.to}`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['error no-circular: lib/core/cycle-a.ts → lib/core/cycle-b.ts'],
    ['error no-circular: training-image/src/data/cycle-a.ts → training-image/src/data/cycle-b.ts'],
    ['error private-only-from-its-folder: lib/ci/steals-secret.ts → lib/aws/private/secret.ts'],
    ['error private-only-from-its-folder: lib/deploy/aws/steals-secret.ts → lib/aws/private/secret.ts'],
    ['error entry-points-not-private: lib/deploy/gcp/index.ts → lib/deploy/gcp/private/common.ts'],
    ['error lib-layers: lib/core/layer-up.ts → lib/aws/platform.ts'],
    ['error lib-layers: lib/azure/up-to-deploy.ts → lib/deploy/contracts.ts'],
    ['error lib-siblings-independent: lib/gcp/sideways.ts → lib/aws/platform.ts'],
    ['error policy-not-ci: lib/policy/rules.ts → lib/ci/aws-perms.ts'],
    ['error lib-not-runtime-or-release: lib/deploy/uses-runtime.ts → training-image/src/models/model.ts'],
    ['error stacks-through-lib: lib/stack.ts → stacks/main.ts'],
    ['error release-self-contained: release/src/spec.ts → lib/aws/platform.ts'],
    ['error runtime-self-contained: training-image/src/core/uses-lib.ts → lib/aws/platform.ts'],
    ['error runtime-cli-on-top: training-image/src/pipeline/steps.ts → training-image/src/cli/data.ts'],
  ])('%s', (expected) => {
    expect(found).toContain(expected);
  });

  test('allowed imports are not reported: private/ from its folder and below, entry points, the runtime entry importing cli/', () => {
    const allowed = ['lib/aws/uses-secret.ts', 'lib/aws/sub/uses-secret.ts', 'lib/aws/private/sibling.ts', 'lib/azure/index.ts', 'training-image/src/index.ts'];
    expect(found.filter((f) => allowed.some((a) => f.includes(`: ${a} →`)))).toEqual([]);
  });

  test('the runtime is checked for cycles and package boundaries only: its private/ and layers are its own business', () => {
    const runtime = found.filter((f) => f.includes(': training-image/'));
    expect(runtime.every((f) => /^(error no-circular|error runtime-self-contained|error runtime-cli-on-top):/.test(f))).toBe(true);
  });
});
