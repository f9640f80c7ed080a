import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TrainedModel } from '../src/models/model';
import { encodeTarget } from '../src/features/target';
import { loadData } from '../src/data/load';
import { runPipeline } from '../src/pipeline/runner';
import { runStep } from '../src/pipeline/single';
import { CsvSplitError, splitCsv } from '../src/pipeline/split';
import { thresholdCurve, thresholdPoint } from '../src/eval/threshold';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-split-'));

/** Data rows of a CSV buffer as exact strings (latin1 keeps every byte), split after each line end outside quotes. */
function records(b: Buffer): string[] {
  const s = b.toString('latin1');
  const out: string[] = [];
  let q = false,
    start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') q = !q;
    else if (!q && s[i] === '\n') {
      out.push(s.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

/** Binary labelled data: P(yes) rises with x1 and with group b. */
function classificationCsv(n = 400): string {
  const rows = ['id,x1,x2,group,label'];
  for (let i = 0; i < n; i++) {
    const x1 = ((i * 7919) % 1000) / 100 - 5;
    const x2 = ((i * 104729) % 997) / 99.7 - 5;
    const g = i % 3 === 0 ? 'b' : 'a';
    const noise = (((i * 2654435761) >>> 0) % 1000) / 1000 - 0.5;
    rows.push(`c${i},${x1.toFixed(3)},${x2.toFixed(3)},${g},${x1 + (g === 'b' ? 1.5 : 0) + 3 * noise > 1 ? 'yes' : 'no'}`);
  }
  return rows.join('\n') + '\n';
}

describe('splitCsv', () => {
  const text = '\ufeffid,"na,me",when,y\r\n3,"multi\r\nline ""q""",2024-01-03,no\r\n1,plain,2024-01-01,yes\r\n\r\n2,"x,y",2024-01-02,no\r\n5,é,2024-01-05,yes\r\n4,z,2024-01-04,no';

  test('both parts keep the header and the row bytes exactly (quotes, CRLF, BOM, no final line end, non-ASCII)', () => {
    const input = Buffer.from(text, 'utf8');
    const r = splitCsv(input, { testFraction: 0.4, seed: 1 });
    expect(r.rows).toBe(5);
    expect(r.testRows).toBe(2);
    expect(r.trainRows).toBe(3);
    for (const part of [r.train, r.test]) expect(part.subarray(0, input.indexOf('\r\n') + 2).equals(input.subarray(0, input.indexOf('\r\n') + 2))).toBe(true);
    const strip = (s: string): string => s.replace(/\r?\n$/, '');
    const inRows = records(input).slice(1).map(strip).filter(Boolean).sort();
    const outRows = [...records(r.train).slice(1), ...records(r.test).slice(1)].map(strip).sort();
    expect(outRows).toEqual(inRows);
    // Every row but the file's last keeps its own CRLF; the UTF-8 é survives.
    expect(Buffer.concat([r.train, r.test]).toString('utf8')).toContain('5,é,2024-01-05,yes');
    expect(r.train.toString('latin1').includes('multi\r\nline') || r.test.toString('latin1').includes('multi\r\nline')).toBe(true); // the quoted multi-line field keeps its CRLF
  });

  test('time-ordered: the test part is the latest rows by the time column, in file order', () => {
    const r = splitCsv(Buffer.from(text, 'utf8'), { testFraction: 0.4, time: 'when' });
    expect(r.method).toBe('time-ordered');
    expect(r.test.toString('utf8')).toBe('\ufeffid,"na,me",when,y\r\n5,é,2024-01-05,yes\r\n4,z,2024-01-04,no');
    expect(r.timeRange).toEqual({ train: ['2024-01-01', '2024-01-03'], test: ['2024-01-04', '2024-01-05'] });
    const num = splitCsv(Buffer.from('t,v\n3,a\n1,b\n2,c\n10,d\n'), { testFraction: 0.5, time: 't' });
    expect(num.test.toString()).toBe('t,v\n3,a\n10,d\n'); // 10 > 3 numerically, not as text
    expect(num.train.toString()).toBe('t,v\n1,b\n2,c\n');
  });

  test('stratified: class proportions are kept, and the split is seeded', () => {
    const csv = Buffer.from(classificationCsv(500));
    const a = splitCsv(csv, { testFraction: 0.2, seed: 3, stratify: 'label' });
    const b = splitCsv(csv, { testFraction: 0.2, seed: 3, stratify: 'label' });
    const c = splitCsv(csv, { testFraction: 0.2, seed: 4, stratify: 'label' });
    expect(a.test.equals(b.test)).toBe(true);
    expect(a.test.equals(c.test)).toBe(false);
    for (const [, v] of Object.entries(a.classes!)) expect(Math.abs(v.test / (v.train + v.test) - 0.2)).toBeLessThan(0.01);
    expect(a.trainRows + a.testRows).toBe(500);
  });

  test('clear errors', () => {
    const csv = Buffer.from('a,b\n1,x\n2,y\n3,z\n');
    const err = (o: Parameters<typeof splitCsv>[1], b = csv): CsvSplitError => {
      try {
        splitCsv(b, o);
      } catch (e) {
        return e as CsvSplitError;
      }
      throw new Error('no error');
    };
    expect(err({ stratify: 'nope' })).toMatchObject({ field: 'stratify', message: expect.stringContaining('columns are a, b') });
    expect(err({ stratify: 'a', time: 'a' }).field).toBe('stratify');
    expect(err({ testFraction: 1 }).field).toBe('testFraction');
    expect(err({ time: 'b' })).toMatchObject({ field: 'time', message: expect.stringContaining('"x", neither a number nor a date') });
    expect(err({}, Buffer.from('a,b\n1,"x\n')).field).toBe('data');
    expect(err({}, Buffer.from('a,b\n1,x\n')).message).toContain('at least 2');
  });
});

describe('thresholds', () => {
  test('thresholdPoint agrees with the curve at every threshold', () => {
    const y = Float64Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const p = Float64Array.from({ length: 200 }, (_, i) => (((i * 37) % 100) / 100) * 0.6 + (i % 3 === 0 ? 0.3 : 0));
    const c = thresholdCurve(y, p);
    const at = thresholdPoint(y, p, c.best.value);
    expect(at.f1).toBeCloseTo(c.best.score, 12);
    expect(at.confusion).toEqual(c.confusion);
    expect(at.confusion.flat().reduce((a, b) => a + b, 0)).toBe(200);
  });
});

describe('split → train → evaluate (binary classification)', () => {
  test('training stores the F1-optimal threshold of its holdout; evaluate applies it to the test part', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'data.csv'), classificationCsv());
    const file = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(
      file,
      `name: cls
inputs: { data: data.csv }
steps:
  - { name: split, uses: split, inputs: { data: "\${inputs.data}" }, params: { stratify: label, seed: 0 } }
  - name: train
    uses: train
    inputs: { data: "\${steps.split.outputs.train}" }
    params: { target: label, task: classification, model: logistic, holdout: 0.25, features: { exclude: [id] } }
  - { name: evaluate, uses: evaluate, inputs: { model: "\${steps.train.outputs.model}", data: "\${steps.split.outputs.test}" } }
  - { name: gate, uses: gate, inputs: { model: "\${steps.train.outputs.model}", metrics: "\${steps.evaluate.outputs.metrics}" }, params: { metric: roc_auc } }
`,
    );
    const lines: string[] = [];
    const r = await runPipeline(file, { root: path.join(dir, '.mlops'), log: (l) => lines.push(l) });
    expect(r.ok).toBe(true);
    const modelMetrics = JSON.parse(fs.readFileSync(path.join(r.outputs.train!.model!, 'metrics.json'), 'utf8'));
    expect(modelMetrics.trainRows).toBe(320); // the train part only (stratified 20% test: 80 rows)
    const stored = modelMetrics.decisionThreshold;
    expect(stored).toMatchObject({ metric: 'f1', chosenOn: 'holdout', rows: modelMetrics.holdout.rows, positiveLabel: 'yes' });
    expect(stored.value).toBeGreaterThanOrEqual(0.05);
    expect(stored.value).toBeLessThanOrEqual(0.95);
    const ev = JSON.parse(fs.readFileSync(r.outputs.evaluate!.metrics!, 'utf8'));
    expect(ev.rows).toBe(80);
    expect(ev.metrics.threshold).toBe(stored.value);
    expect(ev.decisionThreshold).toMatchObject({ value: stored.value, source: 'training holdout' });
    expect(ev.classification.threshold).toEqual({ value: stored.value, metric: 'F1 on the training holdout', score: stored.f1 });
    // Recompute on the test part independently: F1/precision/recall and the confusion matrix are at the stored threshold.
    const { model } = TrainedModel.load(r.outputs.train!.model!);
    const frame = loadData(r.outputs.split!.test!).frame!;
    const y = encodeTarget(frame.column('label'), model.target);
    const pr = model.predictFrame(frame).proba!;
    const pPos = Float64Array.from({ length: pr.rows }, (_, i) => pr.data[i * pr.cols + 1]!);
    const at = thresholdPoint(y, pPos, stored.value);
    expect(ev.metrics.f1_at_threshold).toBeCloseTo(at.f1, 12);
    expect(ev.metrics.precision_at_threshold).toBeCloseTo(at.precision, 12);
    expect(ev.metrics.recall_at_threshold).toBeCloseTo(at.recall, 12);
    expect(ev.classification.confusion.matrix).toEqual(at.confusion);
    expect(ev.classification.curve.thresholds).toHaveLength(91);
    // The gate compares the test metrics.
    const decision = JSON.parse(fs.readFileSync(r.outputs.gate!.decision!, 'utf8'));
    expect(decision.challengerMetrics.roc_auc).toBe(ev.metrics.roc_auc);
    expect(lines.join('\n')).toContain('chosen on the training holdout');
  });

  test('without a stored threshold, evaluate says so and uses 0.5 (never picks one on the evaluated data)', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'data.csv'), classificationCsv(300));
    const sp = await runStep({ uses: 'split', inputs: { data: 'data.csv' }, params: { stratify: 'label' }, cwd: dir });
    expect(sp.ok).toBe(true);
    const tr = await runStep({
      uses: 'train',
      inputs: { data: 'train.csv' },
      params: { target: 'label', model: 'logistic', holdout: 0, features: { exclude: ['id'] } },
      outputs: { model: 'm' },
      cwd: dir,
    });
    expect(tr.ok).toBe(true);
    const ev = await runStep({ uses: 'evaluate', inputs: { model: 'm', data: 'test.csv' }, cwd: dir });
    expect(ev.ok).toBe(true);
    if (!ev.ok) return;
    expect(ev.summary).toContain('no decision threshold stored by training');
    expect(ev.metrics.threshold).toBe(0.5);
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    expect(doc.decisionThreshold).toMatchObject({ value: 0.5, source: 'default', holdout: null });
    expect(doc.classification.threshold).toBeUndefined();
  });
});
