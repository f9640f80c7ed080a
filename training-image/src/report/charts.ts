/**
 * Charts of the run report: vega-lite specs, rendered to SVG server-side by
 * vega (no browser, no canvas, no network) and rasterised to PNG by resvg.
 * vega and resvg are loaded on first use, so importing the runtime stays cheap.
 */
import * as fs from 'fs';
import * as path from 'path';
import { monthYear } from './answer';
import { ReportClassification, ReportForecast, ReportImportance } from './schema';

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');
type ResvgModule = typeof import('@resvg/resvg-js');
/** A vega-lite spec (kept loose: specs are plain data built here). */
export type VlSpec = Record<string, unknown>;

/** Chart colours (shared by the HTML legend text). */
export const COLORS = {
  history: '#8da0b8',
  trend: '#1d3557',
  forecast: '#e76f51',
  band: '#f4a261',
  rating: '#c1121f',
  crossing: '#6a040f',
  bar: '#2a9d8f',
} as const;

const FONT = 'sans-serif';
const BASE_CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e9ecef', domainColor: '#adb5bd', tickColor: '#adb5bd' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'top-left' },
  title: { fontSize: 15, anchor: 'start', offset: 10 },
};

function band(width: number): string {
  return `${Math.round(width * 100)}%`;
}

/**
 * The forecast chart: history, fitted trend, forecast mean with its interval
 * band, the rating as a horizontal rule and the crossing date marked (with
 * the window between the interval bounds' crossings shaded).
 */
export function forecastChartSpec(f: ReportForecast, opts: { width?: number; height?: number } = {}): VlSpec {
  const unit = f.unit ? ` (${f.unit})` : '';
  const w = band(f.intervalWidth);
  // Array.from, not .map: mapping a typed array to objects would give a typed array of NaN.
  const hist = Array.from(f.history.times, (t, i) => ({ t, v: f.history.values[i] }));
  const fc = Array.from(f.forecast.times, (t, i) => ({ t, mean: f.forecast.mean[i], lower: f.forecast.lower[i], upper: f.forecast.upper[i] }));
  const labels = ['History', ...(f.trend ? ['Fitted trend'] : []), 'Forecast', `${w} interval`, ...(f.rating !== undefined ? [f.ratingLabel ?? 'Rating'] : [])];
  const range = [COLORS.history, ...(f.trend ? [COLORS.trend] : []), COLORS.forecast, COLORS.band, ...(f.rating !== undefined ? [COLORS.rating] : [])];
  const color = (name: string): Record<string, unknown> => ({
    datum: name,
    type: 'nominal',
    scale: { domain: labels, range },
    legend: { title: null, orient: 'top', direction: 'horizontal', symbolType: 'stroke', symbolStrokeWidth: 4, symbolOpacity: 1, symbolSize: 300 },
  });
  const x = { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: { title: null, format: '%b %Y', labelAngle: 0, tickCount: 8 } };
  const yTitle = `${f.valueLabel}${unit}`;
  const layers: Record<string, unknown>[] = [];

  const c = f.crossing;
  const tEnd = f.forecast.times[f.forecast.times.length - 1]!;
  if (f.rating !== undefined && c && (c.upper !== null || c.date !== null)) {
    const from = c.upper ?? c.date!;
    const to = c.lower ?? tEnd;
    layers.push({
      data: { values: [{ t: from, t2: to }] },
      mark: { type: 'rect', color: COLORS.rating, opacity: 0.07 },
      encoding: { x: { ...x, field: 't' }, x2: { field: 't2' } },
    });
  }
  layers.push({
    data: { values: fc },
    mark: { type: 'area', opacity: 0.35 },
    encoding: { x, y: { field: 'lower', type: 'quantitative', title: yTitle, scale: { zero: false } }, y2: { field: 'upper' }, color: color(`${w} interval`) },
  });
  layers.push({
    data: { values: hist },
    mark: { type: 'line', strokeWidth: 1, interpolate: 'linear' },
    encoding: { x, y: { field: 'v', type: 'quantitative', title: yTitle }, color: color('History') },
  });
  layers.push({
    data: { values: fc },
    mark: { type: 'line', strokeWidth: 1, opacity: 0.9 },
    encoding: { x, y: { field: 'mean', type: 'quantitative', title: yTitle }, color: color('Forecast') },
  });
  if (f.trend) {
    layers.push({
      data: { values: Array.from(f.trend.times, (t, i) => ({ t, v: f.trend!.values[i] })) },
      mark: { type: 'line', strokeWidth: 2.5 },
      encoding: { x, y: { field: 'v', type: 'quantitative', title: yTitle }, color: color('Fitted trend') },
    });
  }
  if (f.rating !== undefined) {
    const label = `${f.ratingLabel ?? 'Rating'} ${fmtNum(f.rating)}${f.unit ? ` ${f.unit}` : ''}`;
    layers.push({
      data: { values: [{ y: f.rating }] },
      mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 2 },
      encoding: { y: { field: 'y', type: 'quantitative' }, color: color(f.ratingLabel ?? 'Rating') },
    });
    layers.push({
      data: { values: [{ t: f.history.times[0], y: f.rating, label }] },
      mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -4, fontSize: 12, fontWeight: 'bold', color: COLORS.rating },
      encoding: { x, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
    });
    if (c && c.date !== null) {
      const text = `first exceeds: ${monthYear(c.date)}`;
      layers.push({ data: { values: [{ t: c.date }] }, mark: { type: 'rule', color: COLORS.crossing, strokeWidth: 1.5, strokeDash: [2, 2] }, encoding: { x } });
      layers.push({
        data: { values: [{ t: c.date, y: f.rating }] },
        mark: { type: 'point', shape: 'diamond', size: 120, filled: true, color: COLORS.crossing },
        encoding: { x, y: { field: 'y', type: 'quantitative' } },
      });
      layers.push({
        data: { values: [{ t: c.date, label: text }] },
        mark: { type: 'text', align: 'right', baseline: 'top', dx: -6, y: 6, fontSize: 12, fontWeight: 'bold', color: COLORS.crossing },
        encoding: { x, text: { field: 'label' } },
      });
    } else {
      layers.push({
        data: { values: [{ t: tEnd, y: f.rating, label: `not exceeded by ${monthYear(tEnd)}` }] },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -4, fontSize: 12, fontWeight: 'bold', color: COLORS.crossing },
        encoding: { x, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
      });
    }
  }
  return {
    $schema: 'vega-lite-v5',
    title: {
      text: `${f.valueLabel}: history, trend and forecast`,
      subtitle: f.model ? `model ${f.model}; shaded band = ${w} prediction interval` : `shaded band = ${w} prediction interval`,
    },
    width: opts.width ?? 760,
    height: opts.height ?? 340,
    config: BASE_CONFIG,
    layer: layers,
  };
}

/** Horizontal bar chart of the top features (with ±1 sd whiskers when given). */
export function importanceChartSpec(imp: ReportImportance, opts: { width?: number } = {}): VlSpec {
  const rows = imp.features.map((f, i) => ({ feature: f, value: imp.values[i]!, lo: imp.values[i]! - (imp.std?.[i] ?? 0), hi: imp.values[i]! + (imp.std?.[i] ?? 0) }));
  rows.sort((a, b) => (Number.isNaN(b.value) ? -Infinity : b.value) - (Number.isNaN(a.value) ? -Infinity : a.value) || (a.feature < b.feature ? -1 : 1));
  const top = rows.slice(0, imp.top);
  const title = imp.kind === 'permutation' ? `drop in ${imp.metric ?? 'score'} when the feature is shuffled` : 'model importance';
  const y = { field: 'feature', type: 'nominal', sort: top.map((r) => r.feature), axis: { title: null, labelLimit: 220 } };
  // The axis starts at 0 unless a bar is negative (whiskers alone do not stretch it).
  const minValue = Math.min(0, ...top.map((r) => (Number.isFinite(r.value) ? r.value : 0)));
  const xEnc = { field: 'value', type: 'quantitative', title, scale: { domainMin: minValue } };
  const layers: Record<string, unknown>[] = [{ mark: { type: 'bar', color: COLORS.bar, height: { band: 0.7 } }, encoding: { y, x: xEnc } }];
  if (imp.std) layers.push({ mark: { type: 'rule', color: '#264653', clip: true }, encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } });
  return {
    $schema: 'vega-lite-v5',
    title: { text: `Feature importance (top ${top.length} of ${rows.length})` },
    width: opts.width ?? 560,
    height: Math.max(60, top.length * 22),
    config: BASE_CONFIG,
    data: { values: top },
    layer: layers,
  };
}

/** Precision, recall and F1 against the decision threshold, with the chosen threshold marked. */
export function thresholdChartSpec(cls: ReportClassification, opts: { width?: number } = {}): VlSpec | null {
  const c = cls.curve;
  if (!c?.thresholds.length) return null;
  const rows: { threshold: number; metric: string; value: number }[] = [];
  c.thresholds.forEach((t, i) => {
    rows.push(
      { threshold: t, metric: 'precision', value: c.precision[i]! },
      { threshold: t, metric: 'recall', value: c.recall[i]! },
      { threshold: t, metric: 'F1', value: c.f1[i]! },
    );
  });
  const layers: Record<string, unknown>[] = [
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x: { field: 'threshold', type: 'quantitative', title: `decision threshold on P(${cls.positiveLabel ?? 'positive'})`, scale: { domain: [0, 1] } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { domain: [0, 1] } },
        color: {
          field: 'metric',
          type: 'nominal',
          scale: { domain: ['F1', 'precision', 'recall'], range: [COLORS.forecast, COLORS.trend, COLORS.bar] },
          legend: { title: null, orient: 'top', direction: 'horizontal', symbolType: 'stroke', symbolStrokeWidth: 3 },
        },
      },
    },
  ];
  if (cls.threshold) {
    const t = cls.threshold;
    layers.push({ data: { values: [{ x: t.value }] }, mark: { type: 'rule', strokeDash: [4, 3], color: COLORS.crossing }, encoding: { x: { field: 'x', type: 'quantitative' } } });
    layers.push({
      data: { values: [{ x: t.value, y: 0.02, label: `chosen ${fmtNum(t.value)} (best ${t.metric})` }] },
      mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, fontSize: 12, fontWeight: 'bold', color: COLORS.crossing },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
    });
  }
  return {
    $schema: 'vega-lite-v5',
    title: { text: 'Precision, recall and F1 by decision threshold' },
    width: opts.width ?? 560,
    height: 260,
    config: BASE_CONFIG,
    layer: layers,
  };
}

/** A placeholder chart holding one line of text (when a run has nothing to plot). */
export function messageChartSpec(text: string): VlSpec {
  return {
    $schema: 'vega-lite-v5',
    width: 560,
    height: 80,
    config: { ...BASE_CONFIG, view: { stroke: '#dee2e6' } },
    data: { values: [{ text }] },
    mark: { type: 'text', fontSize: 14, color: '#495057' },
    encoding: { text: { field: 'text' } },
  };
}

/** Compact number text for chart labels. */
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Renders a vega-lite spec to an SVG string (server-side, deterministic); vega-lite/vega warnings are collected in `warnings`. */
export async function renderSvg(spec: VlSpec, warnings: string[] = [], idPrefix = 'chart'): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vega = require('vega') as VegaModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vl = require('vega-lite') as VegaLiteModule;
  const logger = vega.logger(vega.Warn, undefined, (_method: unknown, _level: unknown, input: unknown) => {
    warnings.push(Array.from(input as ArrayLike<unknown>, String).join(' '));
  });
  const { $schema: _ignored, ...rest } = spec;
  void _ignored;
  const compiled = vl.compile(rest as unknown as Parameters<VegaLiteModule['compile']>[0], { logger: logger as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger: logger as never });
  try {
    return scopeIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}

/**
 * Renames the SVG's element ids (vega numbers clip paths with a process-wide
 * counter) to `<prefix>-1`, `<prefix>-2`, … in order of appearance, so the
 * output is deterministic and several charts can share one HTML page.
 */
export function scopeIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!ids.has(m[1]!)) ids.set(m[1]!, `${prefix}-${ids.size + 1}`);
  if (!ids.size) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (all, head: string, id: string) => (ids.has(id) ? `${head}${ids.get(id)}` : all));
}

/** A font for the PNG: family name and file(s). */
interface FontChoice {
  readonly family: string;
  readonly files: string[];
}

/** Sans-serif fonts tried for the PNG, in order (regular file, bold file). */
const FONT_CANDIDATES: readonly { family: string; files: readonly string[] }[] = [
  {
    family: 'DejaVu Sans',
    files: [
      '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
      '/usr/share/fonts/dejavu/DejaVuSans.ttf',
      '/usr/share/fonts/TTF/DejaVuSans.ttf',
      '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf',
    ],
  },
  {
    family: 'Liberation Sans',
    files: [
      '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
      '/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf',
      '/usr/share/fonts/liberation/LiberationSans-Regular.ttf',
      '/usr/share/fonts/TTF/LiberationSans-Regular.ttf',
    ],
  },
  { family: 'Lato', files: ['/usr/share/fonts/truetype/lato/Lato-Regular.ttf'] },
  { family: 'Noto Sans', files: ['/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf', '/usr/share/fonts/noto/NotoSans-Regular.ttf'] },
  { family: 'Arial', files: ['/System/Library/Fonts/Supplemental/Arial.ttf', '/Library/Fonts/Arial.ttf', 'C:\\Windows\\Fonts\\arial.ttf'] },
  { family: 'Helvetica', files: ['/System/Library/Fonts/Helvetica.ttc'] },
];

let fontCache: FontChoice | null | undefined;

/**
 * The font the PNG is drawn with: `MLOPS_REPORT_FONT` (a .ttf/.otf path; its
 * family from `MLOPS_REPORT_FONT_FAMILY`) if set, else the first known
 * sans-serif font file found on this machine (regular and bold), else null
 * (resvg then loads the system fonts and uses whatever it finds).
 */
export function findFont(): FontChoice | null {
  if (fontCache !== undefined) return fontCache;
  const env = process.env.MLOPS_REPORT_FONT;
  if (env && fs.existsSync(env))
    return (fontCache = { family: process.env.MLOPS_REPORT_FONT_FAMILY ?? path.basename(env).replace(/[-_]?(Regular)?\.(ttf|otf|ttc)$/i, ''), files: [env] });
  for (const c of FONT_CANDIDATES) {
    const file = c.files.find((f) => fs.existsSync(f));
    if (!file) continue;
    const bold = file.replace(/(-Regular)?\.(ttf|otf)$/i, (_m, _r, ext: string) => `-Bold.${ext}`);
    return (fontCache = { family: c.family, files: bold !== file && fs.existsSync(bold) ? [file, bold] : [file] });
  }
  return (fontCache = null);
}

/**
 * Rasterises an SVG to PNG with resvg at `zoom` × its size, on white. Text
 * needs a font: see {@link findFont}; when none is known, the system fonts
 * are loaded and a warning is added (the PNG may lack text where the system
 * has no fonts at all; the SVG and the HTML are unaffected).
 */
export function rasterise(svg: string, zoom = 2, warnings: string[] = []): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Resvg } = require('@resvg/resvg-js') as ResvgModule;
  const font = findFont();
  const fontOpts = font ? { loadSystemFonts: false, fontFiles: font.files, defaultFontFamily: font.family, sansSerifFamily: font.family } : { loadSystemFonts: true };
  if (!font)
    warnings.push('No known sans-serif font file was found for the PNG; resvg loaded the system fonts instead. Set MLOPS_REPORT_FONT to a .ttf file if the PNG shows no text.');
  const r = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: zoom }, font: fontOpts, imageRendering: 0, shapeRendering: 2, textRendering: 1 });
  return r.render().asPng();
}
