import { Cloud } from '../core/cloud';
import { parseConfig } from './load';
import { isValidatedConfig } from './validated';
import { StackConfig, StackConfigInput } from './schema';

/**
 * A stack config written in TypeScript: the YAML config's input shape (every
 * field with a default may be left out), narrowed by `cloud` so that the
 * selected cloud's identity section is required and the others are refused by
 * the type checker, as the config loader refuses them at run time.
 */
export type StackConfigFor<C extends Cloud> = Omit<StackConfigInput, 'cloud' | Cloud> & { readonly cloud: C } & { readonly [K in C]: NonNullable<StackConfigInput[K]> } & {
  readonly [K in Exclude<Cloud, C>]?: never;
};

/** A stack config written in TypeScript, for any cloud (see {@link StackConfigFor}). */
export type StackConfigCode = StackConfigFor<'azure'> | StackConfigFor<'aws'> | StackConfigFor<'gcp'>;

/**
 * What a platform needs of a config (no state backend, deployment, CI or
 * alerts: those belong to a stack), written in TypeScript.
 */
export type PlatformConfigCode =
  // Distributed over the clouds, so that each variant keeps its own required section.
  StackConfigCode extends infer T ? (T extends unknown ? Omit<T, 'backend' | 'deployment' | 'ci' | 'alerts'> : never) : never;

/**
 * A stack config written in code: checked by the type checker, then validated
 * with exactly the rules and messages of a YAML config, with the same
 * defaults applied.
 *
 * @example
 * const config = defineConfig({
 *   cloud: 'aws',
 *   naming: { company: 'fabrikam', project: 'churn', environment: 'prod' },
 *   region: 'eu-central-1',
 *   aws: { accountId: '210987654321' },
 *   network: { mode: 'private' },
 * });
 * new MlPlatformStack(app, 'prod', { config });
 * @param config the config; fields with a default may be left out
 * @param source how errors name the config (default: `defineConfig`)
 * @throws MlopsValidationError listing every problem, each with its path, the value, what is accepted and the fix
 */
export function defineConfig(config: StackConfigCode, source = 'defineConfig'): StackConfig {
  if (isValidatedConfig(config)) return config;
  return parseConfig(config, `(${source})`);
}

/**
 * The validated config of `config`: itself when it already is one, else the
 * result of validating it as {@link defineConfig} does.
 */
export function toStackConfig(config: StackConfig | StackConfigCode | PlatformConfigCode, source: string): StackConfig {
  if (isValidatedConfig(config)) return config;
  return parseConfig(config, `(${source})`);
}
