import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { TrendForecaster } from '../src/forecast';
import { forecastSections, recentPeak, renderReport, ReportError, ReportInput, transformerAnswer, writeReport } from '../src/report';

const DAY = 86_400_000;

/** A growing daily series with weekly seasonality and noise (deterministic). */
function series(n: number): { times: Float64Array; values: Float64Array } {
  const times = new Float64Array(n),
    values = new Float64Array(n);
  let s = 7;
  const rnd = (): number => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
  for (let i = 0; i < n; i++) {
    times[i] = Date.UTC(2017, 0, 1) + i * DAY;
    values[i] = 12 + 0.01 * i + 1.2 * Math.sin((2 * Math.PI * i) / 7) + 2 * rnd();
  }
  return { times, values };
}

let forecastInput: ReportInput;
let answer: string;

beforeAll(() => {
  const h = series(240);
  const f = new TrendForecaster({ randomState: 0, uncertaintySamples: 300 }).fit(h.times, h.values);
  const sec = forecastSections(f, h, { valueLabel: 'Load daily peak', unit: 'MW', horizon: 365, rating: 17 });
  answer = transformerAnswer({
    rating: 17,
    unit: 'MW',
    crossing: sec.crossing,
    horizonEnd: sec.forecast.forecast.times[364] as number,
    backtest: sec.backtest as { rmse: number; mae: number; mape: number },
    recentPeak: recentPeak(h.values),
  });
  forecastInput = {
    title: 'Transformer overload',
    question: 'When will the peak load exceed the rating?',
    answer,
    run: {
      id: 'run-0001',
      pipeline: 'transformer-overload',
      startedAt: '2024-01-01T10:00:00Z',
      finishedAt: '2024-01-01T10:00:05Z',
      gitCommit: 'abc123',
      steps: [
        { name: 'validate', uses: 'validate', status: 'ran', durationMs: 120 },
        { name: 'train', uses: 'forecast', status: 'cached', durationMs: 2 },
      ],
    },
    forecast: sec.forecast,
    backtest: sec.backtest,
    metrics: [{ label: 'backtest', values: { rmse: 1.2, mae: 0.9, mape: 0.07 }, chosen: true }],
    dataQuality: { source: 'data/load.csv', rows: 5760, columns: 8, ok: true, total: 0, counts: [], violations: [], notes: ['aggregated to daily peaks at run time'] },
    gate: { passed: true, decision: 'promoted to champion (v1)', metric: 'rmse', direction: 'minimize', challenger: 1.2, champion: null, reasons: ['mape 0.07 ≤ 0.25'] },
  };
});

const classificationInput = (): ReportInput => {
  const thresholds = Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1));
  return {
    title: 'Customer churn',
    run: { id: 'run-0002', pipeline: 'churn', durationMs: 8100 },
    metrics: [
      { label: 'logistic (holdout)', values: { roc_auc: 0.84, log_loss: 0.42, f1: 0.6, accuracy: 0.8 } },
      { label: 'gbdt (holdout)', values: { roc_auc: 0.85, log_loss: 0.41, f1: 0.61, accuracy: 0.81 }, chosen: true },
    ],
    classification: {
      positiveLabel: 'Yes',
      threshold: { value: 0.35, metric: 'f1', score: 0.63 },
      curve: { thresholds, precision: thresholds.map((t) => 0.3 + 0.6 * t), recall: thresholds.map((t) => 1 - t * 0.9), f1: thresholds.map((t) => 0.5 + 0.1 * Math.sin(t * 3)) },
      confusion: {
        labels: ['No', 'Yes'],
        matrix: [
          [900, 135],
          [80, 294],
        ],
      },
    },
    tuning: [{ model: 'gbdt', trials: 10, metric: 'log_loss', best: 0.41, bestParams: { learningRate: 0.05, maxLeafNodes: 15 }, sampler: 'tpe' }],
    importance: {
      features: ['tenure', 'Contract_Month-to-month', 'MonthlyCharges', 'gender_Male'],
      values: Float64Array.from([0.06, 0.04, 0.02, -0.001]),
      std: [0.01, 0.005, 0.004, 0.001],
      kind: 'permutation',
      metric: 'roc_auc',
    },
    dataQuality: {
      source: 'churn.csv',
      rows: 7043,
      ok: false,
      total: 2,
      counts: [{ code: 'NULL_VALUE', column: 'TotalCharges', count: 2 }],
      violations: [{ code: 'NULL_VALUE', message: "row 489, column 'TotalCharges': missing value" }],
    },
    gate: {
      passed: false,
      decision: 'rejected: champion stays v1',
      metric: 'roc_auc',
      challenger: 0.85,
      champion: 0.86,
      reasons: ['roc_auc 0.85 does not beat the champion 0.86'],
    },
  };
};

/** Every src/href attribute value in the document. */
function links(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href|xlink:href)\s*=\s*("([^"]*)"|'([^']*)')/gi)].map((m) => m[2] ?? m[3] ?? '');
}

/** A minimal XML well-formedness check: every tag closes in order. */
function tagsBalanced(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w:.-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0;
}

/** Checks PNG structure (signature, chunk CRCs, IEND) and decodes the pixels; returns width × height. */
function checkPng(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let off = 8;
  const idat: Buffer[] = [];
  let width = 0,
    height = 0,
    bitDepth = 0,
    colorType = 0,
    sawEnd = false;
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.subarray(off + 4, off + 8).toString('latin1');
    const data = png.subarray(off + 8, off + 8 + len);
    expect(png.readUInt32BE(off + 8 + len)).toBe(zlib.crc32(png.subarray(off + 4, off + 8 + len)));
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8]!;
      colorType = data[9]!;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') sawEnd = true;
    off += 12 + len;
  }
  expect(sawEnd).toBe(true);
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType]!;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe(height * (1 + Math.ceil((width * channels * bitDepth) / 8)));
  return { width, height };
}

describe('writeReport', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-test-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('GIVEN a forecast run WHEN the report is written THEN the HTML has every section and the chart files are valid', async () => {
    const out = await writeReport(path.join(dir, 'r'), forecastInput);
    const html = fs.readFileSync(out.html, 'utf8');
    for (const id of ['forecast', 'backtest', 'metrics', 'data-quality', 'gate', 'run']) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain(answer.replace(/'/g, '&#39;').slice(0, 60));
    expect(html).toContain('first exceeds:');
    expect(html).toContain('Rating 17 MW');
    expect(html).toContain('promoted to champion (v1)');
    expect(html).toContain('run-0001');
    expect((html.match(/<svg/g) ?? []).length).toBe(1);
    // Self-contained: no scripts, no external URLs, only in-page links.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
    expect(links(html).every((l) => l.startsWith('#'))).toBe(true);
    // The SVG parses (by resvg, and its tags balance) and the PNG is a real image of sensible size.
    const svg = fs.readFileSync(out.svg, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(tagsBalanced(svg)).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
    const parsed = new Resvg(svg, { font: { loadSystemFonts: false } });
    expect(parsed.width).toBeGreaterThan(700);
    const { width, height } = checkPng(fs.readFileSync(out.png));
    expect(width).toBeGreaterThanOrEqual(1400);
    expect(width).toBeLessThanOrEqual(2400);
    expect(height).toBeGreaterThanOrEqual(500);
    expect(height).toBeLessThanOrEqual(1200);
    expect(fs.readdirSync(path.join(dir, 'r')).sort()).toEqual(['chart.png', 'chart.svg', 'report.html']);
  });

  test('GIVEN a classification run WHEN rendered THEN it has the threshold, confusion matrix, tuning and importance, and no forecast', async () => {
    const r = await renderReport(classificationInput());
    for (const id of ['metrics', 'classification', 'tuning', 'importance', 'data-quality', 'gate', 'run']) expect(r.html).toContain(`<section id="${id}">`);
    expect(r.html).not.toContain('<section id="forecast">');
    expect(r.html).toContain('gbdt (holdout) <span class="badge ok">chosen</span>');
    expect(r.html).toContain('gate rejected');
    expect(r.html).toContain('Confusion matrix at threshold 0.35');
    expect(r.html).toContain('Feature importance (top 4 of 4)');
    expect(r.html).toContain('NULL_VALUE');
    expect((r.html.match(/<svg/g) ?? []).length).toBe(2);
    // Element ids (clip paths) are unique across the charts of one page.
    const ids = [...r.html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('importance-chart-1');
    expect(r.html).not.toMatch(/<script/i);
    expect(links(r.html).every((l) => l.startsWith('#'))).toBe(true);
    // The main chart of a classification run is the threshold curve.
    expect(r.svg).toContain('Precision, recall and F1 by decision threshold');
    expect(tagsBalanced(r.svg)).toBe(true);
    checkPng(r.png);
  });

  test('GIVEN text with markup WHEN rendered THEN it is escaped', async () => {
    const r = await renderReport({ title: '<img src="http://evil.example/x.png">', run: { id: 'r"1' }, notes: ['<script>alert(1)</script>'] });
    expect(r.html).not.toContain('<img');
    expect(r.html).not.toMatch(/<script/i);
    expect(r.html).toContain('&lt;script&gt;');
    expect(links(r.html).every((l) => l.startsWith('#'))).toBe(true);
    checkPng(r.png);
  });

  test('GIVEN the same input twice WHEN rendered THEN the output is byte-identical (deterministic)', async () => {
    const a = await renderReport(classificationInput());
    const b = await renderReport(classificationInput());
    expect(a.html).toBe(b.html);
    expect(a.png.equals(b.png)).toBe(true);
  });

  test('fails with BAD_REPORT_INPUT naming every bad field and its value', async () => {
    const bad = {
      title: '',
      run: {},
      forecast: { valueLabel: 'x', history: { times: ['2020-01-01', 'soon'], values: [1] }, forecast: { times: [], mean: [], lower: [], upper: [] } },
      importance: { features: ['a', 'b'], values: [1] },
    };
    const err = await renderReport(bad as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReportError);
    const issues = (err as ReportError).issues;
    expect(issues.every((i) => i.code === 'BAD_REPORT_INPUT')).toBe(true);
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['title', 'run.id', 'forecast.history.times[1]', 'forecast.forecast', 'importance.values']));
    expect((err as Error).message).toContain('"soon"');
  });

  test('fails with REPORT_WRITE_FAILED when the directory cannot be written', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    await expect(writeReport(path.join(file, 'sub'), { title: 't', run: { id: 'r' } })).rejects.toMatchObject({
      name: 'ReportError',
      issues: [expect.objectContaining({ code: 'REPORT_WRITE_FAILED' })],
    });
  });
});

test('the forecast chart takes typed arrays as they come from the forecaster (no NaN points)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { forecastChartSpec } = require('../src/report/charts') as typeof import('../src/report/charts');
  const times = Float64Array.from([0, 86400e3, 2 * 86400e3]);
  const spec = forecastChartSpec({
    valueLabel: 'load',
    history: { times, values: Float64Array.from([1, 2, 3]) },
    forecast: { times: Float64Array.from([3 * 86400e3]), mean: Float64Array.from([4]), lower: Float64Array.from([3]), upper: Float64Array.from([5]) },
    intervalWidth: 0.8,
  } as never) as { layer: { data?: { values: Record<string, unknown>[] } }[] };
  const points = spec.layer.flatMap((l) => l.data?.values ?? []);
  expect(points.length).toBeGreaterThan(0);
  for (const p of points) for (const v of Object.values(p)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
  expect(points.some((p) => p.v === 3)).toBe(true);
});
