/** The run report (issue 5): one self-contained HTML file per run, plus the main chart as SVG and PNG; and the transformer answer sentence. */
import * as fs from 'fs';
import * as path from 'path';
import { runtimeVersion } from '../artifacts/version';
import { writeFileAtomic } from '../core/atomic';
import { forecastChartSpec, importanceChartSpec, messageChartSpec, rasterise, renderSvg, thresholdChartSpec, VlSpec } from './charts';
import { reportHtml } from './html';
import { parseReportInput, ReportError, ReportInput } from './schema';

export { transformerAnswer, monthYear, formatLoad, toEpochMs } from './answer';
export type { TransformerAnswerInput, CrossingLike, TimeLike } from './answer';
export { ReportInputSchema, ReportError, REPORT_ERROR_CODES, parseReportInput } from './schema';
export type { ReportInput, ParsedReportInput, ReportIssue, ReportForecast, ReportImportance, ReportClassification } from './schema';
export { forecastSections, trendAt, recentPeak } from './series';
export type { ForecastSectionOptions, ForecastSections } from './series';
export { forecastChartSpec, importanceChartSpec, thresholdChartSpec, renderSvg, rasterise, findFont } from './charts';

/** File names written by {@link writeReport} inside its directory. */
export const REPORT_FILES = { html: 'report.html', svg: 'chart.svg', png: 'chart.png' } as const;

/** A rendered report, in memory. */
export interface RenderedReport {
  /** The self-contained HTML page. */
  readonly html: string;
  /** The main chart (forecast, else threshold curve, else feature importance) as SVG. */
  readonly svg: string;
  /** The main chart as PNG (2× zoom). */
  readonly png: Buffer;
  /** Non-fatal notes from rendering (vega warnings, font fallback). */
  readonly warnings: readonly string[];
}

/** Where {@link writeReport} put the files (absolute paths). */
export interface WrittenReport {
  /** report.html */
  readonly html: string;
  /** chart.svg */
  readonly svg: string;
  /** chart.png */
  readonly png: string;
  /** Non-fatal notes from rendering (vega warnings, font fallback). */
  readonly warnings: readonly string[];
}

async function chart(spec: VlSpec, section: string, warnings: string[]): Promise<string> {
  try {
    return await renderSvg(spec, warnings, `${section.replace(/[^A-Za-z0-9]+/g, '-')}-chart`);
  } catch (e) {
    throw new ReportError('A report chart could not be rendered.', [{ code: 'REPORT_RENDER_FAILED', path: section, message: (e as Error).message }]);
  }
}

/** Validates the input and renders the report in memory (HTML, main chart SVG and PNG); throws {@link ReportError} on bad input. */
export async function renderReport(input: ReportInput): Promise<RenderedReport> {
  const r = parseReportInput(input);
  const warnings: string[] = [];
  const forecast = r.forecast ? await chart(forecastChartSpec(r.forecast), 'forecast', warnings) : undefined;
  const tSpec = r.classification ? thresholdChartSpec(r.classification) : null;
  const threshold = tSpec ? await chart(tSpec, 'classification.curve', warnings) : undefined;
  const importance = r.importance?.features.length ? await chart(importanceChartSpec(r.importance), 'importance', warnings) : undefined;
  const svg =
    forecast ?? threshold ?? importance ?? (await chart(messageChartSpec('This run has no forecast, threshold curve or feature importance to chart.'), 'chart', warnings));
  let png: Buffer;
  try {
    png = rasterise(svg, 2, warnings);
  } catch (e) {
    throw new ReportError('The main chart could not be rasterised to PNG.', [{ code: 'REPORT_RENDER_FAILED', path: 'chart.png', message: (e as Error).message }]);
  }
  const html = reportHtml(
    r,
    { forecast, threshold, importance },
    { runtimeVersion: r.run.runtimeVersion ?? runtimeVersion(), chartFiles: { svg: REPORT_FILES.svg, png: REPORT_FILES.png } },
  );
  return { html, svg, png, warnings };
}

/**
 * Writes the run report into `dir` (created if missing): `report.html`
 * (self-contained: inline CSS and SVG, no scripts, no external URLs),
 * `chart.svg` and `chart.png` (the main chart). Each file is written
 * atomically. Throws {@link ReportError} (`BAD_REPORT_INPUT`,
 * `REPORT_RENDER_FAILED`, `REPORT_WRITE_FAILED`) naming the problem.
 */
export async function writeReport(dir: string, input: ReportInput): Promise<WrittenReport> {
  const rendered = await renderReport(input);
  const out = path.resolve(dir);
  const files = { html: path.join(out, REPORT_FILES.html), svg: path.join(out, REPORT_FILES.svg), png: path.join(out, REPORT_FILES.png) };
  try {
    fs.mkdirSync(out, { recursive: true });
    writeFileAtomic(files.svg, rendered.svg);
    writeFileAtomic(files.png, rendered.png);
    writeFileAtomic(files.html, rendered.html);
  } catch (e) {
    throw new ReportError(`The report could not be written to '${out}'.`, [
      { code: 'REPORT_WRITE_FAILED', path: out, message: `${(e as Error).message}; pass a writable directory` },
    ]);
  }
  return { ...files, warnings: rendered.warnings };
}
