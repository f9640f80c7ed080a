/**
 * Draws the forecast chart shown in the README, with the runtime's own
 * forecaster and report charts, on data the licence lets us redistribute in
 * adapted form: daily bike-sharing rentals (UCI, Fanaee-T & Gama 2013) against
 * a fleet capacity line. (The transformer example's own chart is drawn from
 * CC BY-ND data, so it is generated at run time and never committed.)
 *
 *   npm run build && node dist/scripts/readme-chart.js   → docs/forecast-chart.png
 */
import * as fs from 'fs';
import * as path from 'path';

/* eslint-disable @typescript-eslint/no-explicit-any */
const repo = path.resolve(__dirname, '..', '..');
const runtimeDist = path.join(repo, 'training-image', 'dist', 'src');
const rt: any = require(path.join(runtimeDist, 'index.js'));
const { readSeries } = rt; // training-image/src/data/series.ts

async function main(): Promise<void> {
  const data = path.join(repo, 'examples', 'demand-forecast', 'data', 'hour.csv');
  const series = readSeries(data, 'dteday', 'cnt', 'day', 'sum'); // hourly rentals → daily totals
  const capacity = 9000;
  const f = new rt.TrendForecaster({ randomState: 0 }).fit(series.times, series.values);
  const sections = rt.forecastSections(
    f,
    { times: series.times, values: series.values },
    {
      valueLabel: 'Daily bike rentals',
      horizon: 365,
      rating: capacity,
      ratingLabel: 'Fleet capacity',
    },
  );
  const spec = rt.forecastChartSpec(sections.forecast, { width: 900, height: 360 });
  const svg = await rt.renderSvg(spec);
  const png = rt.rasterise(svg, 1.5);
  const out = path.join(repo, 'docs', 'forecast-chart.png');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, png);
  console.log(
    `${out}: ${f.model}, backtest RMSE ${f.backtest.rmse.toFixed(0)}; first crossing ${sections.crossing?.date ? new Date(sections.crossing.date).toISOString().slice(0, 10) : 'none'}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
