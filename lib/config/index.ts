// Public API of `cdktf-mlops/config` (also re-exported by `cdktf-mlops`): the
// stack config's schema, types, field reference and loaders.
export { CONFIG_FIELDS, StackConfigSchema } from './schema';
export type { ConfigField, StackConfig, StackConfigInput } from './schema';
export { CONFIG_CONTEXT_KEY, CONFIG_ENV_VAR, loadConfig, parseConfig, resolveConfigFiles } from './load';
export { defineConfig } from './define';
export type { StackConfigFor, StackConfigCode, PlatformConfigCode } from './define';
