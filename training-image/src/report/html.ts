/**
 * The self-contained HTML page of a run report: inline CSS, inline SVG
 * charts, no scripts, no external URLs; opens offline in any browser.
 */
import { monthYear } from './answer';
import { COLORS } from './charts';
import { ParsedReportInput } from './schema';

/** Charts already rendered to SVG, by section. */
export interface RenderedCharts {
  readonly forecast?: string;
  readonly importance?: string;
  readonly threshold?: string;
}

const LOWER_IS_BETTER = new Set(['rmse', 'mae', 'mape', 'log_loss', 'logloss', 'mse', 'brier']);

/** Escapes text for HTML element content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A metric value for people: `n/a` for missing, percentages for mape/coverage, 4 significant digits otherwise. */
export function fmtMetric(name: string, v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (name === 'mape' || name === 'coverage') return `${(v * 100).toFixed(v * 100 >= 10 ? 1 : 2)}%`;
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
  return a >= 1000
    ? v.toFixed(0)
    : v
        .toPrecision(4)
        .replace(/(\.\d*?)0+$/, '$1')
        .replace(/\.$/, '');
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function fmtTime(ms: number | undefined): string {
  return ms === undefined
    ? ''
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

function day(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : new Date(ms).toISOString().slice(0, 10);
}

function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

const CSS = `
:root{--fg:#212529;--muted:#6c757d;--line:#dee2e6;--ok:#2b8a3e;--bad:#c92a2a;--accent:${COLORS.trend}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:var(--fg);background:#f8f9fa}
main{max-width:1000px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:0 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:16px 0 8px}
section{background:white;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
.question{color:var(--muted);margin:0 0 12px}
.answer{font-size:18px;line-height:1.45;background:#fff;border-left:5px solid var(--accent);border-radius:6px;padding:14px 18px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.badge{display:inline-block;font-weight:600;font-size:13px;border-radius:12px;padding:2px 10px;color:white;vertical-align:middle}
.badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}.badge.neutral{background:var(--muted)}
table{border-collapse:collapse;width:auto;min-width:50%;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid var(--line);padding:5px 12px 5px 0;text-align:left;vertical-align:top}
th{font-size:13px;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right}
.chosen{font-weight:700}
figure{margin:0;overflow-x:auto}
figure svg{max-width:100%;height:auto}
figcaption{color:var(--muted);font-size:13px;margin-top:4px}
.muted{color:var(--muted)}
code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px;background:#f1f3f5;border-radius:4px;padding:0 4px}
ul{margin:6px 0;padding-left:22px}
footer{color:var(--muted);font-size:12px;margin-top:24px}
nav{font-size:13px;color:var(--muted);margin:8px 0 0}
nav a{color:var(--accent);margin-right:10px;text-decoration:none}
`;

/** Builds the whole report page. */
export function reportHtml(r: ParsedReportInput, charts: RenderedCharts, extra: { runtimeVersion: string; chartFiles?: { svg: string; png: string } }): string {
  const parts: string[] = [];
  const nav: [string, string][] = [];
  const add = (id: string, title: string, body: string): void => {
    nav.push([id, title]);
    parts.push(section(id, title, body));
  };

  if (r.forecast) add('forecast', 'Forecast', forecastBody(r, charts.forecast));
  if (r.backtest) add('backtest', 'Backtest error', backtestBody(r));
  if (r.metrics.length) add('metrics', 'Metrics', metricsBody(r));
  if (r.classification) add('classification', 'Decision threshold', classificationBody(r, charts.threshold));
  if (r.tuning.length) add('tuning', 'Tuning', tuningBody(r));
  if (r.importance && charts.importance) add('importance', 'Feature importance', importanceBody(r, charts.importance));
  if (r.dataQuality) add('data-quality', 'Data quality', dataQualityBody(r));
  if (r.gate) add('gate', 'Quality gate', gateBody(r));
  add('run', 'Run', runBody(r));
  if (r.notes.length) add('notes', 'Notes', `<ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);

  const gateBadge = r.gate ? ` <span class="badge ${r.gate.passed ? 'ok' : 'bad'}">${r.gate.passed ? 'gate passed' : 'gate rejected'}</span>` : '';
  const files = extra.chartFiles ? ` Main chart also as <code>${esc(extra.chartFiles.svg)}</code> and <code>${esc(extra.chartFiles.png)}</code> next to this file.` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.title)} — run ${esc(r.run.id)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(r.title)}${gateBadge}</h1>
${r.question ? `<p class="question">${esc(r.question)}</p>` : ''}
${r.answer ? `<div class="answer" id="answer">${esc(r.answer)}</div>` : ''}
<nav>${nav.map(([id, t]) => `<a href="#${id}">${esc(t)}</a>`).join('')}</nav>
</header>
${parts.join('\n')}
<footer>Run <code>${esc(r.run.id)}</code>${r.run.pipeline ? ` of pipeline <code>${esc(r.run.pipeline)}</code>` : ''}. Generated by the cdktf-mlops runtime ${esc(extra.runtimeVersion)}; charts drawn with vega-lite and vega (SVG, inline), PNG by resvg. This page has no scripts and loads nothing from the network.${files}</footer>
</main>
</body>
</html>
`;
}

function forecastBody(r: ParsedReportInput, svg: string | undefined): string {
  const f = r.forecast!;
  const unit = f.unit ? ` ${esc(f.unit)}` : '';
  const n = f.history.times.length;
  const h = f.forecast.times.length;
  const last = f.history.times[n - 1];
  const end = f.forecast.times[h - 1]!;
  const w = `${Math.round(f.intervalWidth * 100)}%`;
  const rows: string[][] = [
    ['History', `${n} points, ${day(f.history.times[0])} to ${day(last)}`],
    ['Horizon', `${h} points, to ${day(end)} (${esc(monthYear(end))})`],
  ];
  if (f.model) rows.push(['Model', `<code>${esc(f.model)}</code>`]);
  if (f.rating !== undefined) {
    rows.push([esc(f.ratingLabel ?? 'Rating'), `${fmtMetric('rating', f.rating)}${unit}`]);
    const maxHist = Math.max(...f.history.values.filter((v) => Number.isFinite(v)));
    rows.push(['Highest observed value', `${fmtMetric('max', maxHist)}${unit}`]);
    const c = f.crossing;
    if (c && c.date !== null) {
      rows.push(['Forecast mean first reaches it', `<strong>${day(c.date)}</strong> (${esc(monthYear(c.date))})`]);
    } else {
      rows.push(['Forecast mean first reaches it', `not within the horizon`]);
    }
    rows.push([`Upper bound of the ${w} interval reaches it`, c && c.upper !== null ? `${day(c.upper)} (earliest plausible)` : 'not within the horizon']);
    rows.push([`Lower bound of the ${w} interval reaches it`, c && c.lower !== null ? `${day(c.lower)} (latest plausible)` : 'not within the horizon']);
  }
  const caption = `History (grey), fitted trend (dark blue), forecast mean (orange) with its ${w} prediction interval (shaded)${f.rating !== undefined ? `, the ${f.ratingLabel ?? 'rating'} as a dashed red line, and the first crossing of the forecast mean marked; the light red area spans the crossings of the interval bounds` : ''}.`;
  return `${svg ? figure(svg, caption) : ''}${table(
    ['', ''],
    rows.map(([a, b]) => [a!, b!]),
    'kv',
  )}`;
}

function backtestBody(r: ParsedReportInput): string {
  const b = r.backtest!;
  const unit = r.forecast?.unit ? ` ${esc(r.forecast.unit)}` : '';
  const rows: string[][] = [
    ['RMSE', `${fmtMetric('rmse', b.rmse)}${unit}`],
    ['MAE', `${fmtMetric('mae', b.mae)}${unit}`],
    ['MAPE', b.mape === null && b.notDefined?.mape ? `not defined: ${esc(b.notDefined.mape)}` : fmtMetric('mape', b.mape)],
  ];
  if (b.coverage !== undefined) rows.push([`Interval coverage (held-out points inside the interval)`, fmtMetric('coverage', b.coverage)]);
  if (b.folds !== undefined) rows.push(['Folds × points per fold', `${b.folds} × ${b.horizon ?? '?'}`]);
  if (b.model) rows.push(['Chosen structure', `<code>${esc(b.model)}</code>`]);
  if (b.baseline) rows.push(['Best least-squares baseline (RMSE)', `<code>${esc(b.baseline.model)}</code> (${fmtMetric('rmse', b.baseline.rmse)}${unit})`]);
  let cands = '';
  if (b.candidates?.length) {
    const sorted = [...b.candidates].sort((a, c) => (a.rmse ?? Infinity) - (c.rmse ?? Infinity)).slice(0, 10);
    cands = `<h3>Candidate structures (best ${sorted.length} of ${b.candidates.length} by backtest RMSE)</h3>${table(
      ['structure', '<span class="num">RMSE</span>'],
      sorted.map((c) => [`<code>${esc(c.model)}</code>${c.model === b.model ? ' <span class="chosen">(chosen)</span>' : ''}`, fmtMetric('rmse', c.rmse)]),
    )}`;
  }
  return `<p class="muted">Rolling-origin backtest: the model is refitted on the past and scored on the next, unseen points, several times over the end of the history.</p>${table(['', ''], rows)}${cands}`;
}

function metricsBody(r: ParsedReportInput): string {
  const names: string[] = [];
  for (const s of r.metrics) for (const k of Object.keys(s.values)) if (!names.includes(k)) names.push(k);
  const head = ['metric', ...r.metrics.map((s) => `${esc(s.label)}${s.chosen ? ' <span class="badge ok">chosen</span>' : ''}`)];
  const rows = names.map((n) => [
    `${esc(n)} <span class="muted">${LOWER_IS_BETTER.has(n) ? '(lower is better)' : n === 'rows' || n === 'threshold' ? '' : '(higher is better)'}</span>`,
    ...r.metrics.map((s) => `<span class="${s.chosen ? 'chosen' : ''}">${fmtMetric(n, s.values[n])}</span>`),
  ]);
  return table(head, rows);
}

function classificationBody(r: ParsedReportInput, svg: string | undefined): string {
  const c = r.classification!;
  const out: string[] = [];
  if (c.threshold) {
    out.push(
      `<p>Predict <strong>${esc(c.positiveLabel ?? 'positive')}</strong> when its probability is at least <strong>${fmtMetric('t', c.threshold.value)}</strong>, the threshold that maximises ${esc(c.threshold.metric)}${c.threshold.score !== undefined && c.threshold.score !== null ? ` (${esc(c.threshold.metric)} = ${fmtMetric(c.threshold.metric, c.threshold.score)})` : ''}.</p>`,
    );
  }
  if (svg)
    out.push(
      figure(
        svg,
        'Precision, recall and F1 of the positive class on the evaluation data at every decision threshold; the dashed line is the threshold chosen during training (on its internal holdout, not on these data).',
      ),
    );
  if (c.confusion) {
    const m = c.confusion;
    out.push(`<h3>Confusion matrix${c.threshold ? ` at threshold ${fmtMetric('t', c.threshold.value)}` : ''}</h3>`);
    out.push(
      table(
        ['actual \\ predicted', ...m.labels.map(esc)],
        m.matrix.map((row, i) => [esc(m.labels[i]), ...row.map((v) => String(v))]),
      ),
    );
  }
  return out.join('');
}

function tuningBody(r: ParsedReportInput): string {
  return table(
    ['model', 'trials', 'sampler', 'best', 'best parameters'],
    r.tuning.map((t) => [
      esc(t.model),
      String(t.trials),
      esc(t.sampler ?? ''),
      `${esc(t.metric)} = ${fmtMetric(t.metric, t.best)}`,
      t.bestParams
        ? `<code>${esc(
            Object.entries(t.bestParams)
              .map(([k, v]) => `${k}=${typeof v === 'number' ? fmtMetric(k, v) : JSON.stringify(v)}`)
              .join(', '),
          )}</code>`
        : '',
    ]),
  );
}

function importanceBody(r: ParsedReportInput, svg: string): string {
  const i = r.importance!;
  const how =
    i.kind === 'permutation'
      ? `Permutation importance on the holdout: how much ${i.metric ?? 'the score'} drops when one feature's values are shuffled (bars: mean; whiskers: ±1 sd over the repeats).`
      : "The model's own importances.";
  return figure(svg, how);
}

function dataQualityBody(r: ParsedReportInput): string {
  const q = r.dataQuality!;
  const rows: string[][] = [
    ['Source', `<code>${esc(q.source)}</code>`],
    ['Rows', String(q.rows)],
  ];
  if (q.columns !== undefined) rows.push(['Columns', String(q.columns)]);
  if (q.sha256) rows.push(['sha256', `<code>${esc(q.sha256)}</code>`]);
  rows.push(['Contract', q.ok ? '<span class="badge ok">satisfied</span>' : `<span class="badge bad">${q.total} violation(s)</span>`]);
  let body = table(['', ''], rows);
  if (q.counts.length) {
    body += `<h3>Violations by column and kind</h3>${table(
      ['code', 'column', '<span class="num">count</span>'],
      q.counts.map((c) => [`<code>${esc(c.code)}</code>`, esc(c.column ?? '(file)'), String(c.count)]),
    )}`;
  }
  if (q.violations.length) {
    body += `<h3>First violations</h3><ul>${q.violations
      .slice(0, 20)
      .map((v) => `<li><code>${esc(v.code)}</code> ${esc(v.message)}</li>`)
      .join('')}</ul>`;
  }
  if (q.notes.length) body += `<ul>${q.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
  return body;
}

function gateBody(r: ParsedReportInput): string {
  const g = r.gate!;
  const rows: string[][] = [['Decision', `<span class="badge ${g.passed ? 'ok' : 'bad'}">${g.passed ? 'passed' : 'rejected'}</span> ${esc(g.decision ?? '')}`]];
  if (g.metric) {
    const dir = g.direction ?? (LOWER_IS_BETTER.has(g.metric) ? 'minimize' : 'maximize');
    rows.push(['Metric', `${esc(g.metric)} (${dir === 'minimize' ? 'lower' : 'higher'} is better)${g.margin !== undefined ? `, margin ${fmtMetric('margin', g.margin)}` : ''}`]);
    if (g.challenger !== undefined) rows.push(['Challenger (this run)', fmtMetric(g.metric, g.challenger)]);
    rows.push(['Champion', g.champion === undefined || g.champion === null ? 'none yet (first model: absolute thresholds only)' : fmtMetric(g.metric, g.champion)]);
  }
  if (g.model)
    rows.push([
      'Registered as',
      `<code>${esc(g.model.name)}${g.model.version !== undefined ? ` v${esc(g.model.version)}` : ''}</code>${g.model.aliases?.length ? ` (${g.model.aliases.map(esc).join(', ')})` : ''}`,
    ]);
  return `${table(['', ''], rows)}${g.reasons.length ? `<ul>${g.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}`;
}

function runBody(r: ParsedReportInput): string {
  const run = r.run;
  const rows: string[][] = [['Run id', `<code>${esc(run.id)}</code>`]];
  if (run.pipeline) rows.push(['Pipeline', `<code>${esc(run.pipeline)}</code>`]);
  if (run.status) rows.push(['Status', esc(run.status)]);
  if (run.startedAt !== undefined) rows.push(['Started', fmtTime(run.startedAt)]);
  if (run.finishedAt !== undefined) rows.push(['Finished', fmtTime(run.finishedAt)]);
  const dur = run.durationMs ?? (run.startedAt !== undefined && run.finishedAt !== undefined ? run.finishedAt - run.startedAt : undefined);
  if (dur !== undefined) rows.push(['Duration', fmtMs(dur)]);
  if (run.gitCommit) rows.push(['Git commit', `<code>${esc(run.gitCommit)}</code>`]);
  if (run.dataFingerprint) rows.push(['Data fingerprint', `<code>${esc(run.dataFingerprint)}</code>`]);
  if (run.seed !== undefined) rows.push(['Seed', String(run.seed)]);
  if (run.runtimeVersion) rows.push(['Runtime', esc(run.runtimeVersion)]);
  if (run.params && Object.keys(run.params).length)
    rows.push([
      'Parameters',
      `<code>${esc(
        Object.entries(run.params)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(', '),
      )}</code>`,
    ]);
  let body = table(['', ''], rows);
  if (run.steps.length) {
    body += `<h3>Steps</h3>${table(
      ['step', 'kind', 'status', '<span class="num">time</span>'],
      run.steps.map((s) => [esc(s.name), esc(s.uses ?? ''), esc(s.status), fmtMs(s.durationMs)]),
    )}`;
  }
  return body;
}
