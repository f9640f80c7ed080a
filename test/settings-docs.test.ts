/**
 * Issue 15, item 1: the shared settings' defaults live in lib/core/settings.ts.
 * The construct props still say their default in JSDoc (`@default 4`, as the
 * house style asks of every optional prop): this test finds every such
 * comment on a shared setting anywhere in lib/ and holds it to the one home,
 * so a changed default cannot leave a stale doc behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SETTING_DEFAULTS } from '../lib/core/settings';

const LIB = path.join(__dirname, '..', 'lib');

/** The prop names of the shared settings, with their default. */
const SHARED: Record<string, unknown> = {
  maxNodes: SETTING_DEFAULTS.training.maxNodes,
  lowPriority: SETTING_DEFAULTS.training.lowPriority,
  instanceCount: SETTING_DEFAULTS.job.instanceCount,
  maxRuntimeMinutes: SETTING_DEFAULTS.job.maxRuntimeMinutes,
  minInstances: SETTING_DEFAULTS.endpoint.minInstances,
  maxInstances: SETTING_DEFAULTS.endpoint.maxInstances,
  canaryPercent: SETTING_DEFAULTS.rollout.canaryPercent,
  stepPercent: SETTING_DEFAULTS.rollout.stepPercent,
  bakeMinutes: SETTING_DEFAULTS.rollout.bakeMinutes,
  errorRatePercent: SETTING_DEFAULTS.alarms.errorRatePercent,
  latencyP95Ms: SETTING_DEFAULTS.alarms.latencyP95Ms,
};

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** `@default <literal>` comments directly above `readonly <prop>?:`, across lib/. */
function documentedDefaults(): { where: string; prop: string; value: string }[] {
  const found: { where: string; prop: string; value: string }[] = [];
  for (const file of tsFiles(LIB)) {
    const text = fs.readFileSync(file, 'utf8');
    const re = /\/\*\*((?:(?!\*\/)[\s\S])*?)\*\/\s*readonly (\w+)\?:/g;
    for (const m of text.matchAll(re)) {
      const prop = m[2]!;
      const d = /@default (\S+)/.exec(m[1]!);
      if (!(prop in SHARED) || !d || d[1] === '-') continue;
      found.push({ where: `${path.relative(LIB, file)} (${prop})`, prop, value: d[1]! });
    }
  }
  return found;
}

test('every JSDoc @default of a shared setting is the default in lib/core/settings.ts', () => {
  const docs = documentedDefaults();
  // The training compute props of the three clouds and the neutral job and endpoint props at least.
  expect(docs.length).toBeGreaterThanOrEqual(15);
  const wrong = docs.filter((d) => d.value !== String(SHARED[d.prop])).map((d) => `${d.where}: @default ${d.value}, but the setting's default is ${SHARED[d.prop]}`);
  expect(wrong).toEqual([]);
});
