import type { StackConfig } from './schema';

const validated = new WeakSet<object>();

/** Marks a config as the result of this library's validation (parseConfig, loadConfig, defineConfig). */
export function markValidated(config: StackConfig): StackConfig {
  validated.add(config);
  return config;
}

/** True when `config` came out of this library's validation (so its defaults are applied and it needs no second check). */
export function isValidatedConfig(config: unknown): config is StackConfig {
  return typeof config === 'object' && config !== null && validated.has(config);
}
