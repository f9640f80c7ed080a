import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runPipeline } from '../src/pipeline/runner';

// The example's data is CC BY-ND 4.0: the trimmed copy lives only in a temp dir for the test.
const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'transformer-overload');
const DATA = path.join(EXAMPLE, 'data', 'ETTh1.csv');
const present = fs.existsSync(path.join(EXAMPLE, 'pipeline.yaml')) && fs.existsSync(DATA);

(present ? describe : describe.skip)('transformer-overload example end to end (trimmed at run time)', () => {
  test('validate → train → evaluate → gate → register → serve → score → report gives the answer and the report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ett-'));
    try {
      fs.mkdirSync(path.join(dir, 'data'));
      const lines = fs.readFileSync(DATA, 'utf8').split('\n');
      fs.writeFileSync(path.join(dir, 'data', 'ETTh1.csv'), lines.slice(0, 1 + 24 * 400).join('\n') + '\n'); // the first 400 days
      for (const f of ['pipeline.yaml', 'contract.yaml']) fs.copyFileSync(path.join(EXAMPLE, f), path.join(dir, f));
      const t0 = Date.now();
      const r = await runPipeline(path.join(dir, 'pipeline.yaml'), { root: path.join(dir, '.mlops') });
      const ms = Date.now() - t0;
      expect(r.run.error).toBeNull();
      expect(r.ok).toBe(true);
      expect(r.run.steps.map((s) => s.status)).toEqual(r.run.steps.map(() => 'ok'));
      // the answer's form
      expect(r.answer).toMatch(
        /^Peak load is (forecast to first exceed the 24 rating in [A-Z][a-z]+ \d{4} \(80% interval: .+\)|not forecast to exceed the 24 rating by [A-Z][a-z]+ \d{4})/,
      );
      expect(r.answer).toMatch(/RMSE/);
      // the gate decided and the registry has a champion that was served and scored over HTTP
      expect(r.decision).not.toBeNull();
      const score = r.run.steps.find((s) => s.name === 'score')!;
      expect(score.metrics.status).toBe(200);
      const resp = JSON.parse(fs.readFileSync(r.outputs.score!.response!, 'utf8')) as { response: { predictions: { mean: number; lower: number; upper: number }[] } };
      expect(resp.response.predictions).toHaveLength(2);
      expect(resp.response.predictions[0]!.lower).toBeLessThanOrEqual(resp.response.predictions[0]!.upper);
      // the report exists and holds the answer, the chart, the gate and the data quality
      const html = fs.readFileSync(path.join(r.report!, 'report.html'), 'utf8');
      expect(html).toContain('<svg');
      expect(html).toContain(r.answer!.slice(0, 40));
      expect(html).toMatch(/gate/i);
      expect(html).toMatch(/rmse/i);
      expect(html).not.toMatch(/<script[^>]+src=|(?:src|href)="https?:/);
      expect(fs.readFileSync(path.join(r.report!, 'chart.png')).subarray(1, 4).toString()).toBe('PNG');
      expect(ms).toBeLessThan(30_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
