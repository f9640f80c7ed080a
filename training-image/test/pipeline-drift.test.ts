/**
 * The `drift` step and its guard: a pipeline retrains only when the data it
 * would train on is new (and, with `psi`, drifted) against the champion's
 * training data. Steps that depend on a drift step that says skip do not run
 * (locally: recorded as skipped with the reason; `mlops pipeline step
 * --when`: exit 0 with the outputs in the skipped state).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalRegistry } from '../src/registry/registry';
import { runPipeline } from '../src/pipeline/runner';
import { STEP_OUTPUTS } from '../src/pipeline/schema';
import { runStep } from '../src/pipeline/single';
import { psi } from '../src/models/profile';

/** A regression table: y = 3·x1 − 2·x2 + noise, x1 centred on `shift`, a text column `region`. */
function table(rows: number, shift: number, seed: number): string {
  const lines = ['x1,x2,region,y'];
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let i = 0; i < rows; i++) {
    const x1 = shift + (rnd() - 0.5) * 4;
    const x2 = (rnd() - 0.5) * 4;
    const region = ['north', 'south', 'east'][Math.floor(rnd() * 3)]!;
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${region},${(3 * x1 - 2 * x2 + (rnd() - 0.5) * 0.1).toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}

const pipeline = (psiParam: string): string => `name: drifty
model: drifty
params: { psi: ${psiParam} }
inputs: { data: data.csv }
steps:
  - name: drift
    uses: drift
    inputs: { data: "\${inputs.data}", model: "models:/drifty@champion" }
    params: { psi: "\${params.psi}" }
  - name: train
    uses: train
    needs: [drift]
    inputs: { data: "\${inputs.data}" }
    params: { target: y, model: linear, seed: 0, holdout: 0.2 }
  - name: gate
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}" }
    params: { metric: rmse, thresholds: { r2: { min: 0.5 } } }
  - name: register
    uses: register
    inputs: { model: "\${steps.train.outputs.model}", decision: "\${steps.gate.outputs.decision}" }
  - name: serve
    uses: serve
    needs: [register]
    inputs: { model: "models:/drifty@champion" }
`;

function setup(psiParam = 'null'): { dir: string; file: string; root: string; data: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drift-'));
  const file = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(file, pipeline(psiParam));
  const data = path.join(dir, 'data.csv');
  fs.writeFileSync(data, table(400, 0, 1));
  return { dir, file, root: path.join(dir, '.mlops'), data };
}

const status = (r: Awaited<ReturnType<typeof runPipeline>>, step: string) => r.run.steps.find((s) => s.name === step)!;

test('the drift kind has the outputs report (drift.json) and proceed (proceed.txt)', () => {
  expect(STEP_OUTPUTS.drift).toEqual({ report: 'drift.json', proceed: 'proceed.txt' });
});

test('first run (no champion) trains; a second run on the same data skips training, registers and serves nothing; drifted data trains again', async () => {
  const { file, root, data } = setup();
  const lines: string[] = [];
  const r1 = await runPipeline(file, { root });
  expect(r1.ok).toBe(true);
  expect(fs.readFileSync(r1.outputs.drift!.proceed!, 'utf8')).toBe('true');
  const rep1 = JSON.parse(fs.readFileSync(r1.outputs.drift!.report!, 'utf8'));
  expect(rep1).toMatchObject({ proceed: true, decision: 'proceed', champion: null, sameData: null });
  expect(rep1.reason).toMatch(/^no champion yet \(model 'drifty' is not in the registry/);
  expect(rep1.reason).not.toMatch(/register one first/);
  expect(status(r1, 'train').status).toBe('ok');
  expect(r1.registration).toMatchObject({ version: 1, promoted: true });
  expect(r1.drift).toEqual([{ step: 'drift', proceed: true, reason: rep1.reason, skipped: [] }]);

  // Same data: the champion was trained on exactly these bytes.
  const r2 = await runPipeline(file, { root, log: (l) => lines.push(l) });
  expect(r2.ok).toBe(true);
  expect(r2.run.status).toBe('succeeded');
  expect(status(r2, 'drift').status).toBe('ok');
  const rep2 = JSON.parse(fs.readFileSync(r2.outputs.drift!.proceed!.replace('proceed.txt', 'drift.json'), 'utf8'));
  expect(rep2).toMatchObject({ proceed: false, decision: 'skip', sameData: true, threshold: null });
  expect(rep2.champion.fingerprint.sha256).toBe(rep2.data.sha256);
  for (const f of rep2.features) expect(f.psi).toBeCloseTo(0, 12);
  for (const name of ['train', 'gate', 'register', 'serve']) {
    const s = status(r2, name);
    expect(s.status).toBe('skipped');
    expect(s.guard).toEqual({ step: 'drift', reason: rep2.reason });
    expect(s.cachedFrom).toBeUndefined();
  }
  expect(r2.drift).toEqual([{ step: 'drift', proceed: false, reason: rep2.reason, skipped: ['train', 'gate', 'register', 'serve'] }]);
  expect(r2.registration).toBeNull();
  expect(r2.decision).toBeNull();
  expect(new LocalRegistry(path.join(root, 'registry')).versions('drifty')).toHaveLength(1);
  expect(lines.join('\n')).toMatch(/train \(train\) not run: drift step 'drift' said skip \(the data is the champion's training data/);
  expect(lines.some((l) => /succeeded .*\(1 ran, 0 skipped, 4 not run: drift said skip\)/.test(l))).toBe(true);
  // Recorded in run.json.
  const onDisk = JSON.parse(fs.readFileSync(path.join(root, 'runs', r2.run.id, 'run.json'), 'utf8'));
  expect(onDisk.steps.find((s: { name: string }) => s.name === 'train')).toMatchObject({ status: 'skipped', guard: { step: 'drift' } });

  // Drifted data: x1 moved by 3 (its PSI is large); the model is retrained and registered.
  fs.writeFileSync(data, table(400, 3, 2));
  const r3 = await runPipeline(file, { root });
  expect(r3.ok).toBe(true);
  const rep3 = JSON.parse(fs.readFileSync(r3.outputs.drift!.report!, 'utf8'));
  expect(rep3).toMatchObject({ proceed: true, sameData: false });
  expect(rep3.max.feature).toBe('x1');
  expect(rep3.max.psi).toBeGreaterThan(1);
  expect(status(r3, 'train').status).toBe('ok');
  expect(r3.registration).toMatchObject({ version: 2 });
}, 60_000);

test('with psi, new data from the same distribution does not retrain, drifted data does', async () => {
  const { file, root, data } = setup('0.2');
  expect((await runPipeline(file, { root })).registration).toMatchObject({ version: 1 });
  // Other rows, same distribution: the data changed, no feature drifted.
  fs.writeFileSync(data, table(400, 0, 7));
  const same = await runPipeline(file, { root });
  const rep = JSON.parse(fs.readFileSync(same.outputs.drift!.report!, 'utf8'));
  expect(rep).toMatchObject({ proceed: false, sameData: false, threshold: 0.2 });
  expect(rep.max.psi).toBeLessThanOrEqual(0.2);
  expect(rep.reason).toMatch(/no feature drifted: largest PSI .* ≤ psi 0\.2/);
  expect(status(same, 'train').status).toBe('skipped');
  // The same check with psi overridden to a tiny threshold: the small sampling differences are enough.
  const low = await runPipeline(file, { root, params: { psi: 1e-9 } });
  expect(JSON.parse(fs.readFileSync(low.outputs.drift!.report!, 'utf8'))).toMatchObject({ proceed: true });
  expect(status(low, 'train').status).toBe('ok');
}, 60_000);

test('the drift step uses the PSI the scoring server uses, per feature against the champion profile', async () => {
  const { file, root, data } = setup();
  await runPipeline(file, { root });
  const champion = new LocalRegistry(path.join(root, 'registry')).resolveUri('models:/drifty@champion').dir;
  const profile = JSON.parse(fs.readFileSync(path.join(champion, 'profile.json'), 'utf8'));
  fs.writeFileSync(data, table(400, 1, 3));
  const r = await runStep({ uses: 'drift', inputs: { data, model: 'models:/drifty@champion' }, root, work: path.dirname(data) + '/w' });
  expect(r.ok).toBe(true);
  const rep = JSON.parse(fs.readFileSync((r as { outputs: Record<string, string> }).outputs.report!, 'utf8'));
  // x1's PSI recomputed here with the shared function over the profile's buckets.
  const x1 = profile.columns.find((c: { name: string }) => c.name === 'x1');
  const values = fs
    .readFileSync(data, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.split(',')[0]));
  const counts = new Array(x1.edges.length + 2).fill(0);
  for (const v of values) counts[x1.edges.filter((e: number) => v >= e).length]++;
  expect(rep.features.find((f: { feature: string }) => f.feature === 'x1').psi).toBeCloseTo(psi(x1.freq, counts, values.length), 12);
  expect(rep.features.map((f: { feature: string }) => f.feature).sort()).toEqual(['region', 'x1', 'x2']);
});

test('bad drift params are refused with the field, the value and the fix', async () => {
  const { dir, data } = setup();
  const bad = await runStep({ uses: 'drift', name: 'drift', inputs: { data, model: 'models:/drifty@champion' }, params: { psi: -1 }, root: path.join(dir, '.mlops'), work: dir });
  expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_PARAM', path: '--params.psi' } });
  expect((bad as { error: { message: string } }).error.message).toMatch(/must be a number above 0.*Got -1\. Fix: set psi: 0\.2/);
  const unknown = await runStep({ uses: 'drift', name: 'drift', inputs: { data }, params: { threshold: 0.2 }, work: dir });
  expect(unknown).toMatchObject({ ok: false, error: { code: 'BAD_PARAM', path: '--params.threshold' } });
  const noModel = await runStep({ uses: 'drift', name: 'drift', inputs: { data }, work: dir });
  expect(noModel).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', path: '--inputs.model' } });
  // Only a missing model or alias means "no champion": a bad registry URI is an error.
  const badUri = await runStep({ uses: 'drift', name: 'drift', inputs: { data, model: 'models:/drifty@latest' }, root: path.join(dir, '.mlops'), work: dir });
  expect(badUri).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', path: '--inputs.model' } });
});

describe('mlops pipeline step --when', () => {
  test('a guard that says false: the step does not run, exits ok, its outputs hold the skipped state', async () => {
    const { dir, data } = setup();
    const guard = path.join(dir, 'proceed.txt');
    fs.writeFileSync(guard, 'false');
    const work = path.join(dir, 'w');
    const train = await runStep({ uses: 'train', name: 'train', inputs: { data }, params: { target: 'y' }, work, when: [guard] });
    expect(train).toMatchObject({ ok: true, skipped: { when: guard } });
    const marker = JSON.parse(fs.readFileSync(path.join(work, 'model'), 'utf8'));
    expect(marker).toMatchObject({ skipped: true, step: 'train', when: guard });
    // A skipped gate says passed=false (so engines' gate conditions do nothing) and that it was skipped.
    const gate = await runStep({ uses: 'gate', name: 'gate', model: 'drifty', inputs: { model: path.join(work, 'model') }, params: { metric: 'rmse' }, work, when: [guard] });
    expect(gate.ok).toBe(true);
    expect(fs.readFileSync(path.join(work, 'passed.txt'), 'utf8')).toBe('false');
    expect(JSON.parse(fs.readFileSync(path.join(work, 'decision.json'), 'utf8'))).toMatchObject({ passed: false, skipped: true });
    // A literal true runs the step.
    const fresh = path.join(dir, 'w2');
    const ran = await runStep({ uses: 'train', name: 'train', inputs: { data }, params: { target: 'y', model: 'linear' }, work: fresh, when: ['true'] });
    expect(ran).toMatchObject({ ok: true });
    expect((ran as { skipped?: unknown }).skipped).toBeUndefined();
    expect(fs.statSync(path.join(fresh, 'model')).isDirectory()).toBe(true);
  }, 30_000);

  test('a guard that is not true or false is an error naming --when', async () => {
    const { dir, data } = setup();
    const guard = path.join(dir, 'proceed.txt');
    fs.writeFileSync(guard, 'yes');
    const r = await runStep({ uses: 'train', inputs: { data }, params: { target: 'y' }, work: dir, when: [guard] });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', path: '--when' } });
    const missing = await runStep({ uses: 'train', inputs: { data }, params: { target: 'y' }, work: dir, when: [path.join(dir, 'nope.txt')] });
    expect(missing).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', path: '--when' } });
  });
});
