/**
 * The baseline for the synth benchmark: a bare cdktf app that deep-imports the
 * same provider modules the platform uses (list given as argv[2]) and
 * instantiates every resource and data-source class in them, one stack per
 * cloud, then synthesizes. No config parsing, no validation, no naming.
 */
import * as fs from 'fs';
import { App, TerraformDataSource, TerraformProvider, TerraformResource, TerraformStack } from 'cdktf';

const listed: string[] = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8'));
// Every stack needs its package's provider (a library that loads providers lazily may not list it).
const providers = [...new Set(listed.map((f) => f.replace(/([\\/]lib[\\/])[^\\/]+([\\/]index\.js)$/, '$1provider$2')))];
const modules = [...new Set([...listed, ...providers])].sort();
const app = new App();
const stacks = new Map<string, TerraformStack>();
let n = 0;
for (const file of modules) {
  const cloud = /provider-([a-z-]+)[\\/]/.exec(file)![1]!;
  let stack = stacks.get(cloud);
  if (!stack) {
    stack = new TerraformStack(app, `bare-${cloud}`);
    stacks.set(cloud, stack);
  }
  const exported = require(file) as Record<string, unknown>;
  for (const value of Object.values(exported)) {
    if (typeof value !== 'function') continue;
    const proto = (value as { prototype?: unknown }).prototype;
    if (proto instanceof TerraformResource || proto instanceof TerraformDataSource || proto instanceof TerraformProvider) {
      new (value as new (s: TerraformStack, id: string, c: object) => unknown)(stack, `r${n++}`, {});
    }
  }
}
app.synth();
