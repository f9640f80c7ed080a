/**
 * A second baseline for the synth benchmark: a plain cdktf app that writes the
 * same Terraform as the stacks under test, without this library. It reads
 * the `cdk.tf.json` files a synth of those stacks wrote (argv[2]: a JSON list
 * of files), and for each one declares a stack with the same providers,
 * resources, data sources, outputs, variables and locals, every block built
 * with its provider module's class (deep import, as the library does) and
 * given its attributes as they were written (`${…}` expressions as strings).
 *
 * The bare app (bare-app.ts) instantiates every class once with no
 * attributes, so it writes a few kilobytes where the dev stacks write a few
 * hundred; this app prices the Terraform itself: module loading, construct
 * tree, resolution and writing of the same JSON. What the library adds on top
 * (config parsing and validation, naming, the policy pack, tokens between
 * resources, assets) is the difference between the two.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, TerraformDataSource, TerraformLocal, TerraformOutput, TerraformResource, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';

const PROVIDER_PACKAGES: Record<string, string> = {
  azurerm: 'provider-azurerm',
  aws: 'provider-aws',
  google: 'provider-google',
  'google-beta': 'provider-google-beta',
  docker: 'provider-docker',
};

type Block = Record<string, unknown>;
type Ctor = new (scope: Construct, id: string, config: object) => { addOverride(path: string, value: unknown): void };

/** The class of a provider block: the one module export whose Terraform type is `type`. */
function classFor(provider: string, folder: string, type: string, kind: 'resource' | 'data' | 'provider'): Ctor {
  // Terraform's built-in blocks (terraform_data) have no provider package: cdktf's own base class.
  if (provider === 'terraform' && kind !== 'provider') {
    const base = kind === 'data' ? TerraformDataSource : TerraformResource;
    return class extends base {
      constructor(scope: Construct, id: string) {
        super(scope, id, { terraformResourceType: type });
      }
    } as unknown as Ctor;
  }
  const pkg = PROVIDER_PACKAGES[provider];
  if (!pkg) throw new Error(`replay-app: no provider package known for ${provider} (${type})`);
  for (const candidate of [folder, `google-${folder}`]) {
    let exported: Record<string, unknown>;
    try {
      exported = require(`@cdktf/${pkg}/lib/${candidate}`) as Record<string, unknown>;
    } catch {
      continue; // not this folder: try the next candidate
    }
    for (const value of Object.values(exported)) {
      if (typeof value === 'function' && (value as { tfResourceType?: string }).tfResourceType === type) return value as unknown as Ctor;
    }
  }
  throw new Error(`replay-app: no class of @cdktf/${pkg} for ${type}`);
}

/** Declares `attrs` on `block` as overrides of its top-level attributes (the JSON written is the same). */
function declare(block: { addOverride(path: string, value: unknown): void }, attrs: Block): void {
  for (const [key, value] of Object.entries(attrs)) if (key !== '//') block.addOverride(key, value);
}

function replayStack(app: App, name: string, json: Block): void {
  const stack = new TerraformStack(app, name);
  let n = 0;
  for (const [type, configs] of Object.entries((json.provider ?? {}) as Record<string, Block[]>)) {
    const cls = classFor(type, 'provider', type, 'provider');
    for (const config of configs) declare(new cls(stack, `p${n++}`, {}), config);
  }
  for (const [kind, prefix] of [
    ['resource', ''],
    ['data', 'data-'],
  ] as const) {
    for (const [type, byName] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, Block>>)) {
      const [provider, ...rest] = type.split('_');
      for (const attrs of Object.values(byName)) {
        const routed = typeof attrs.provider === 'string' ? attrs.provider.split('.')[0]! : provider!;
        const folder = kind === 'data' ? `${prefix}${type.replace(/_/g, '-')}` : rest.join('-');
        const cls = classFor(routed, folder, type, kind);
        declare(new cls(stack, `r${n++}`, {}), attrs);
      }
    }
  }
  for (const [id, attrs] of Object.entries((json.variable ?? {}) as Record<string, Block>)) new TerraformVariable(stack, `v${n++}-${id}`, attrs);
  for (const [id, value] of Object.entries((json.locals ?? {}) as Block)) new TerraformLocal(stack, `l${n++}-${id}`, value);
  for (const [id, attrs] of Object.entries((json.output ?? {}) as Record<string, Block>)) {
    const output = new TerraformOutput(stack, `o${n++}-${id}`, { value: attrs.value });
    declare(output, attrs);
  }
}

const files: string[] = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8'));
const app = new App();
for (const file of files) replayStack(app, `replay-${path.basename(path.dirname(file))}`, JSON.parse(fs.readFileSync(file, 'utf8')) as Block);
app.synth();
