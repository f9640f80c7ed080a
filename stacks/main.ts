/**
 * The deployable app. Which configs it synthesizes, in order of precedence:
 *   1. MLOPS_CONFIG=dev-aws[,prod-aws|path/to/file.yaml]
 *   2. the `mlopsConfigs` context in cdktf.json (or `cdktf synth --context`)
 *   3. every stacks/config/*.yaml
 * One stack per config, named after the config file (dev-aws → stack "dev-aws");
 * an empty selection, a file name that cannot name a stack and two configs
 * with one name are refused before any config is read.
 */
import * as fs from 'fs';
import * as path from 'path';
import { findProjectRoot } from '../lib/core/project';
import { App } from 'cdktf';
import { CONFIG_CONTEXT_KEY, configStackId, loadConfig, resolveConfigFiles } from '../lib/config/load';
import { MlopsValidationError } from '../lib/core/errors';
import { MlPlatformStack } from '../lib/stack';

const projectRoot = findProjectRoot(__dirname) ?? process.cwd();

function contextFromCdktfJson(): unknown {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(projectRoot, 'cdktf.json'), 'utf8'));
    return json.context?.[CONFIG_CONTEXT_KEY];
  } catch {
    return undefined;
  }
}

function main(): void {
  const app = new App();
  const context = app.node.tryGetContext(CONFIG_CONTEXT_KEY) ?? contextFromCdktfJson();
  const files = resolveConfigFiles(path.join(projectRoot, 'stacks', 'config'), context);
  const written: string[] = [];
  for (const file of files) {
    const config = loadConfig(file);
    const id = configStackId(file);
    new MlPlatformStack(app, id, { config });
    written.push(`${id} (${config.cloud}, ${config.region})`);
  }
  app.synth();
  if (!process.env.CDKTF_OUTDIR || process.env.MLOPS_SYNTH_SUMMARY) {
    console.log(`Synthesized ${written.length} stack(s) into ${app.outdir}/stacks/: ${written.join(', ')}`);
  }
}

try {
  main();
} catch (err) {
  if (err instanceof MlopsValidationError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
