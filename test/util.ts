import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';

/** A synthesized stack as parsed Terraform JSON. */
export interface SynthJson {
  readonly resource?: Record<string, Record<string, Record<string, any>>>;
  readonly data?: Record<string, Record<string, Record<string, any>>>;
  readonly output?: Record<string, any>;
  readonly terraform?: Record<string, any>;
  readonly provider?: Record<string, any>;
}

/** Builds constructs in a fresh stack and returns the synthesized Terraform JSON. */
export function synthStack(build: (stack: TerraformStack) => void): SynthJson {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  build(stack);
  return JSON.parse(Testing.synth(stack)) as SynthJson;
}

/** All resources of one Terraform type, keyed by logical id. */
export function resourcesOf(json: SynthJson, type: string): Record<string, any>[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** The single resource of a type; fails the test if there is not exactly one. */
export function onlyResource(json: SynthJson, type: string): Record<string, any> {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0]!;
}

/** A construct scope for tests that build without a stack-level helper. */
export type Scope = Construct;
