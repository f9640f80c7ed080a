/**
 * What a pipeline run prints and reports (issue 14, item 23, runtime part):
 * a gate decision reused from an earlier run says so and never claims "no
 * champion yet" while there is one; a re-evaluated champion says it already
 * is champion; the finished report does not say "running"; JSON shown in
 * progress lines and report notes is shortened at whole values and parses.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { gateLine, registryLine } from '../src/cli/pipeline';
import { previewJson } from '../src/core/preview';
import { Rng } from '../src/core/random';
import { reportStatus } from '../src/pipeline/report-input';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-out-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const PIPELINE = `name: shown
params: { maxRmse: 5 }
inputs: { data: data.csv }
steps:
  - name: train
    uses: train
    inputs: { data: "\${inputs.data}" }
    params: { target: y, model: linear, holdout: 0.25 }
  - name: gate
    uses: gate
    inputs: { model: "\${steps.train.outputs.model}" }
    params: { metric: rmse, thresholds: { rmse: { max: "\${params.maxRmse}" } } }
  - name: register
    uses: register
    inputs: { model: "\${steps.train.outputs.model}", decision: "\${steps.gate.outputs.decision}" }
  - name: serve
    uses: serve
    needs: [register]
    inputs: { model: "models:/shown@champion" }
  - name: score
    uses: score
    inputs: { endpoint: "\${steps.serve.outputs.endpoint}" }
    params: { request: { instances: INSTANCES } }
  - name: report
    uses: report
    inputs: { model: "\${steps.train.outputs.model}", decision: "\${steps.gate.outputs.decision}", registration: "\${steps.register.outputs.registration}", response: "\${steps.score.outputs.response}" }
    params: { title: Shown }
`;

async function run(file: string, root: string, ...extra: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(['pipeline', 'run', file, '--root', root, ...extra], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('pipeline run output', () => {
  test('cached gate, re-evaluated champion, finished report status, and valid JSON in the score line and report note', async () => {
    const dir = path.join(tmp, 'p');
    fs.mkdirSync(dir, { recursive: true });
    const rng = new Rng(3);
    const rows = ['a,b,y'];
    const instances: { a: number; b: number }[] = [];
    for (let i = 0; i < 120; i++) {
      const a = rng.normal(),
        b = rng.normal();
      rows.push(`${a.toFixed(4)},${b.toFixed(4)},${(2 * a - b + 0.2 * rng.normal()).toFixed(4)}`);
      if (i < 60) instances.push({ a: Number(a.toFixed(4)), b: Number(b.toFixed(4)) });
    }
    fs.writeFileSync(path.join(dir, 'data.csv'), rows.join('\n') + '\n');
    const file = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(file, PIPELINE.replace('INSTANCES', JSON.stringify(instances)));
    const root = path.join(dir, '.mlops');

    // First run: a fresh decision, no champion yet.
    const r1 = await run(file, root);
    expect(r1.code).toBe(0);
    const id1 = /Run (\S+) succeeded/.exec(r1.out)![1]!;
    expect(r1.out).toMatch(/^Gate: passed — rmse [0-9.]+ ≤ maximum 5; no champion yet: thresholds only$/m);
    expect(r1.out).toMatch(/^Registry: shown v1 is champion$/m);
    // The score line shows the response as JSON that parses (shortened at whole values).
    const scoreLine = r1.err.split('\n').find((l) => /score \(score\) done/.test(l))!;
    const shown = /→ 200 in \d+ ms: (.*)$/.exec(scoreLine)![1]!;
    expect(shown.length).toBeLessThan(200);
    const parsed = JSON.parse(shown) as { predictions: unknown[] };
    expect(parsed.predictions[parsed.predictions.length - 1]).toMatch(/^… \d+ more$/);
    // The finished report says succeeded, not running; its note's JSON parses too.
    const reportDir = /^Report: (.+)\/report\.html$/m.exec(r1.out)![1]!;
    const html = fs.readFileSync(path.join(reportDir, 'report.html'), 'utf8');
    expect(html).toContain('<td>Status</td><td>succeeded</td>');
    expect(html).not.toMatch(/<td>running<\/td>/);
    const note = /Scored through the local HTTP server: POST \S+ → 200 in \d+ ms: ([^<]+)</
      .exec(html)![1]!
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
    expect(() => JSON.parse(note)).not.toThrow();

    // Second run, nothing changed: the decision is reused from run 1 and says that the champion changed since.
    const r2 = await run(file, root);
    expect(r2.code).toBe(0);
    expect(r2.out).toContain(`Gate: passed (decided in run ${id1}, reused because its inputs are unchanged; the champion then: none, now: v1 (this model)) — `);
    expect(r2.out).toMatch(/no champion then: thresholds only$/m);
    expect(r2.out).not.toContain('no champion yet');
    expect(r2.out).toMatch(/^Registry: shown v1 is champion$/m);

    // Third run, the gate's threshold changed: the gate decides again about the model that is already champion.
    const r3 = await run(file, root, '--param', 'maxRmse=4');
    expect(r3.code).toBe(0);
    expect(r3.out).toMatch(/^Gate: passed — rmse [0-9.]+ ≤ maximum 4; this model is already champion v1 and replaced none: thresholds only$/m);
    expect(r3.out).not.toContain('no champion yet');
  }, 60_000);
});

describe('gate and registry lines', () => {
  const decision = { passed: true, reasons: ['rmse 0.5 beats champion v1 0.6 (lower is better)'], champion: { version: 1, value: 0.6 } };
  test('a reused decision names its run and the champion then and now; the registry line states the champion now', () => {
    expect(gateLine({ decision, decisionFrom: null, aliases: { champion: 2, challenger: null }, registration: { version: 2 } })).toBe(
      'Gate: passed — rmse 0.5 beats champion v1 0.6 (lower is better)',
    );
    expect(gateLine({ decision, decisionFrom: 'R1', aliases: { champion: 1, challenger: 2 }, registration: { version: 2 } })).toBe(
      'Gate: passed (decided in run R1, reused because its inputs are unchanged) — rmse 0.5 beats champion v1 0.6 (lower is better)',
    );
    expect(gateLine({ decision, decisionFrom: 'R1', aliases: { champion: 3, challenger: null }, registration: { version: 2 } })).toBe(
      'Gate: passed (decided in run R1, reused because its inputs are unchanged; the champion then: v1, now: v3) — rmse 0.5 beats champion v1 0.6 (lower is better)',
    );
    expect(registryLine({ registration: { name: 'm', version: 2, promoted: true, champion: 2 }, aliases: { champion: 3, challenger: null } })).toBe(
      'Registry: m v2 was promoted; champion is v3',
    );
    expect(registryLine({ registration: { name: 'm', version: 2, promoted: false, champion: 1 }, aliases: { champion: 1, challenger: 2 } })).toBe(
      'Registry: m v2; champion stays v1',
    );
    expect(registryLine({ registration: { name: 'm', version: 2, promoted: true, champion: 2 }, aliases: { champion: 2, challenger: null } })).toBe('Registry: m v2 is champion');
  });

  test('the report status: succeeded when no step failed and none is left after the report; else failed, or the steps still to run', () => {
    expect(
      reportStatus(
        [
          { name: 'train', status: 'ok' },
          { name: 'report', status: 'running' },
        ],
        'report',
      ),
    ).toBe('succeeded');
    expect(
      reportStatus(
        [
          { name: 'train', status: 'skipped' },
          { name: 'report', status: 'running' },
          { name: 'notify', status: 'pending' },
        ],
        'report',
      ),
    ).toBe('running (notify still to run after this report)');
    expect(
      reportStatus(
        [
          { name: 'train', status: 'failed' },
          { name: 'report', status: 'running' },
        ],
        'report',
      ),
    ).toBe('failed');
  });
});

describe('previewJson', () => {
  test('short values are unchanged; long ones are cut at whole values into valid JSON of about the size asked', () => {
    expect(previewJson({ a: 1, b: [1, 2] }, 100)).toBe('{"a":1,"b":[1,2]}');
    const big = { predictions: Array.from({ length: 500 }, (_, i) => i + 0.123456789), model: 'gbdt', note: 'x'.repeat(1000), nested: { deep: [{ k: 'v'.repeat(300) }] } };
    for (const max of [20, 60, 160, 300, 1000]) {
      const s = previewJson(big, max);
      expect(() => JSON.parse(s)).not.toThrow();
      expect(s.length).toBeLessThanOrEqual(max + 40);
      // every number shown is whole
      for (const n of (JSON.parse(s) as { predictions?: unknown[] }).predictions ?? []) if (typeof n === 'number') expect(big.predictions).toContain(n);
    }
    expect(JSON.parse(previewJson(big, 160)).predictions.slice(-1)[0]).toMatch(/^… \d+ more$/);
    expect(JSON.parse(previewJson('é"\\'.repeat(200), 50))).toMatch(/…$/);
    expect(
      previewJson(
        Array.from({ length: 100 }, () => ({ a: 1 })),
        30,
      ),
    ).toMatch(/^\[\{"a":1\},.*"… \d+ more"\]$/);
  });
});
