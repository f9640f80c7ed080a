/**
 * The Prometheus alerting rules shipped in training-image/monitoring/: valid
 * rule-file structure, and every metric (and label) a rule uses is one the
 * scoring server really exports — read from a live in-process server's
 * /metrics — so renaming a metric or label fails here. The route matchers
 * cover exactly the scoring routes, and the drift threshold is the server's.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { load as parse } from 'js-yaml';
import { ScoringApp, loadServingModel, serveConfig } from '../src/serve';
import { GOOD_ROW, makeModelDir, syntheticCsv } from './serve-fixtures';

const MONITORING = path.join(__dirname, '..', 'monitoring');
const RULE_FILES = fs
  .readdirSync(MONITORING)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const rules: { file: string; rule: Rule }[] = [];
for (const file of RULE_FILES) {
  const doc = parse(fs.readFileSync(path.join(MONITORING, file), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  for (const g of doc?.groups ?? []) for (const rule of g.rules ?? []) rules.push({ file, rule });
}

/** Series names of the exposition text, with the label names each carries. */
function exposition(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels = out.get(m[1]!) ?? new Set<string>();
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(pair[1]!);
    out.set(m[1]!, labels);
  }
  return out;
}

/** Label values of one series name in the exposition text. */
function labelValues(text: string, series: string, label: string): string[] {
  const re = new RegExp(`^${series}\\{[^}]*\\b${label}="([^"]*)"`, 'gm');
  return [...text.matchAll(re)].map((m) => m[1]!);
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/** The vector selectors of a PromQL expression: metric name, matcher label names and matchers. */
function selectors(expr: string): { name: string; matchers: { label: string; op: string; value: string }[] }[] {
  // Grouping clauses list label names, not metrics; range selectors hold durations.
  const text = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  const found: { name: string; matchers: { label: string; op: string; value: string }[] }[] = [];
  const token = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?\s*(\()?/g;
  for (const m of text.matchAll(token)) {
    const [, name, braces, body, call] = m;
    if (call || KEYWORDS.has(name!)) continue;
    // A number's exponent or a duration unit is not an identifier here (e.g. 1e3, 5m).
    const before = text[m.index! - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    const matchers = braces ? [...body!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((x) => ({ label: x[1]!, op: x[2]!, value: x[3]! })) : [];
    found.push({ name: name!, matchers });
  }
  return found;
}

/** Label names of the grouping clauses (`by (...)`, `on (...)` …). */
function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

describe('Prometheus rule files', () => {
  test('there is at least one rule file, with rules', () => {
    expect(RULE_FILES).toContain('scoring-server.rules.yml');
    expect(rules.length).toBeGreaterThanOrEqual(5);
  });

  test.each(RULE_FILES)('%s has the rule-file structure: groups → rules with alert, expr, for, labels.severity, annotations', (file) => {
    const doc = parse(fs.readFileSync(path.join(MONITORING, file), 'utf8')) as any;
    expect(Object.keys(doc)).toEqual(['groups']);
    expect(Array.isArray(doc.groups) && doc.groups.length > 0).toBe(true);
    const groupNames = new Set<string>();
    for (const g of doc.groups) {
      expect(Object.keys(g).sort()).toEqual(['name', 'rules']);
      expect(typeof g.name).toBe('string');
      expect(groupNames.has(g.name)).toBe(false);
      groupNames.add(g.name);
      expect(g.rules.length).toBeGreaterThan(0);
      for (const r of g.rules) {
        expect(Object.keys(r).sort()).toEqual(['alert', 'annotations', 'expr', 'for', 'labels']);
        expect(r.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
        expect(typeof r.expr).toBe('string');
        expect(r.expr.trim().length).toBeGreaterThan(0);
        expect(r.for).toMatch(/^\d+[smhd]$/);
        expect(['critical', 'warning', 'info']).toContain(r.labels.severity);
        expect(Object.keys(r.annotations).sort()).toEqual(['description', 'summary']);
        expect(r.annotations.summary.length).toBeGreaterThan(10);
        expect(r.annotations.description.length).toBeGreaterThan(20);
        // Balanced brackets: a typo that breaks the expression shows here, before promtool.
        for (const [open, close] of [
          ['(', ')'],
          ['{', '}'],
          ['[', ']'],
        ] as const) {
          expect(r.expr.split(open).length).toBe(r.expr.split(close).length);
        }
      }
    }
  });

  test('alert names are unique across the files', () => {
    const names = rules.map((r) => r.rule.alert);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('the rules use what the scoring server exports', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-rules-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const config = serveConfig({}, { logLevel: 'silent', drift: { minRows: 20 } });
  const scoringRoutes = ['/invocations', config.routes.vertexPredict, config.routes.azureScoring];
  let metricsText = '';
  let exported = new Map<string, Set<string>>();

  beforeAll(async () => {
    const app = new ScoringApp({ config, processMetrics: true });
    app.setModel(loadServingModel(makeModelDir(path.join(tmp, 'model'))));
    expect((await app.inject({ method: 'POST', url: '/invocations', body: { instances: [GOOD_ROW] } })).status).toBe(200);
    expect((await app.inject({ method: 'POST', url: config.routes.vertexPredict, body: { instances: [GOOD_ROW] } })).status).toBe(200);
    expect((await app.inject({ method: 'POST', url: config.routes.azureScoring, body: { data: [GOOD_ROW] } })).status).toBe(200);
    // Enough rows for the drift gauge.
    const rows = syntheticCsv(60, 5)
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .map((f) => ({ a: Number(f[1]), b: f[2] === '' ? null : Number(f[2]), c: f[3], d: f[4], when: f[5] }));
    expect((await app.inject({ method: 'POST', url: '/invocations', body: { dataframe_records: rows } })).status).toBe(200);
    await app.flush();
    metricsText = (await app.inject({ url: '/metrics' })).body;
    exported = exposition(metricsText);
  });

  test('the live server exports the series the rules are written against', () => {
    for (const name of ['mlops_http_requests_total', 'mlops_http_request_duration_seconds_bucket', 'mlops_model_ready', 'mlops_feature_drift_psi']) {
      expect(exported.has(name)).toBe(true);
    }
  });

  test.each(rules.map((r) => [r.rule.alert, r.rule] as const))('%s: every metric, matcher label and grouping label exists', (_alert, rule) => {
    const used = selectors(rule.expr);
    expect(used.length).toBeGreaterThan(0);
    const labelsInScope = new Set<string>(TARGET_LABELS);
    for (const s of used) {
      if (s.name === 'up') {
        // Prometheus's own series for every target: only target labels.
        for (const m of s.matchers) expect(TARGET_LABELS).toContain(m.label);
        continue;
      }
      expect({ metric: s.name, exported: exported.has(s.name) }).toEqual({ metric: s.name, exported: true });
      const labels = exported.get(s.name)!;
      for (const l of labels) labelsInScope.add(l);
      for (const m of s.matchers)
        expect({ metric: s.name, label: m.label, known: labels.has(m.label) || TARGET_LABELS.includes(m.label) }).toEqual({ metric: s.name, label: m.label, known: true });
    }
    for (const l of groupingLabels(rule.expr)) expect({ label: l, known: labelsInScope.has(l) }).toEqual({ label: l, known: true });
    // Metric names quoted in the annotations (hints for the reader) exist too.
    for (const text of Object.values(rule.annotations)) {
      for (const m of text.matchAll(/\b(mlops_[a-z0-9_]+)\b/g)) expect({ mentioned: m[1], exported: exported.has(m[1]!) }).toEqual({ mentioned: m[1], exported: true });
    }
  });

  test('route matchers select exactly the scoring routes the server records', () => {
    const recorded = new Set(labelValues(metricsText, 'mlops_http_requests_total', 'route'));
    for (const r of scoringRoutes) expect(recorded).toContain(r);
    const matchers = rules
      .flatMap((r) => selectors(r.rule.expr))
      .flatMap((s) => s.matchers)
      .filter((m) => m.label === 'route');
    expect(matchers.length).toBeGreaterThanOrEqual(4);
    for (const m of matchers) {
      expect(m.op).toBe('=~');
      const re = new RegExp(`^(?:${m.value})$`);
      for (const r of scoringRoutes) expect({ route: r, matched: re.test(r) }).toEqual({ route: r, matched: true });
      for (const r of ['/metrics', '/ping', '/health', '/ready', '/', '/drift', '/model', '/version'])
        expect({ route: r, matched: re.test(r) }).toEqual({ route: r, matched: false });
    }
  });

  test('the 5xx matcher selects server errors only, as the status label spells them', () => {
    const statuses = labelValues(metricsText, 'mlops_http_requests_total', 'status');
    expect(statuses).toContain('200');
    const matcher = rules
      .flatMap((r) => selectors(r.rule.expr))
      .flatMap((s) => s.matchers)
      .find((m) => m.label === 'status')!;
    const re = new RegExp(`^(?:${matcher.value})$`);
    expect(['500', '503'].every((s) => re.test(s))).toBe(true);
    expect(['200', '400', '404', '413'].some((s) => re.test(s))).toBe(false);
  });

  test('the latency rule takes p95 of the real histogram, with a threshold inside its buckets', () => {
    const rule = rules.find((r) => r.rule.expr.includes('histogram_quantile'))!.rule;
    expect(rule.expr).toMatch(/histogram_quantile\(\s*0\.95\s*,\s*sum by \(([^)]*\ble\b[^)]*)\)\s*\(rate\(mlops_http_request_duration_seconds_bucket\{/);
    const threshold = Number(/>\s*([\d.]+)\s*$/.exec(rule.expr.trim())![1]);
    const bounds = labelValues(metricsText, 'mlops_http_request_duration_seconds_bucket', 'le')
      .filter((b) => b !== '+Inf')
      .map(Number);
    expect(bounds).toContain(threshold);
    expect(Math.max(...bounds)).toBeGreaterThan(threshold);
  });

  test("the drift rule fires above the server's own drift threshold", () => {
    const rule = rules.find((r) => r.rule.expr.includes('mlops_feature_drift_psi'))!.rule;
    const threshold = Number(/>\s*([\d.]+)\s*$/.exec(rule.expr.trim())![1]);
    expect(threshold).toBe(serveConfig({}).drift.threshold);
    expect(groupingLabels(rule.expr)).toContain('feature');
  });

  test('the five kinds of alert are there: 5xx rate, latency p95, no traffic, drift, server down', () => {
    const exprs = rules.map((r) => r.rule.expr);
    expect(exprs.some((e) => /status=~"5\.\."/.test(e))).toBe(true);
    expect(exprs.some((e) => e.includes('histogram_quantile(0.95'))).toBe(true);
    expect(exprs.some((e) => /increase\(mlops_http_requests_total\{[^}]*\}\[\d+m\]\)/.test(e) && /<\s*1\s*$/.test(e.trim()))).toBe(true);
    expect(exprs.some((e) => e.includes('mlops_feature_drift_psi'))).toBe(true);
    expect(exprs.some((e) => /^up\{[^}]*\} == 0$/.test(e.trim()))).toBe(true);
  });
});

describe('the rule checker itself', () => {
  test('finds metric names and skips functions, keywords, grouping labels and durations', () => {
    const s = selectors('100 * sum by (job) (rate(a_total{route=~"/x", status="5"}[5m])) / on (job) b_total offset 5m > 1e3 or up == 0');
    expect(s.map((x) => x.name)).toEqual(['a_total', 'b_total', 'up']);
    expect(s[0]!.matchers).toEqual([
      { label: 'route', op: '=~', value: '/x' },
      { label: 'status', op: '=', value: '5' },
    ]);
    expect(groupingLabels('sum by (job, instance) (x) or on (job) y')).toEqual(['job', 'instance', 'job']);
  });

  test('a renamed metric is caught', () => {
    const exported = exposition('# HELP x\nmlops_http_requests_total{route="/invocations",status="200"} 1\n');
    const used = selectors('rate(mlops_http_request_total[5m])');
    expect(used.map((u) => exported.has(u.name))).toEqual([false]);
  });
});
