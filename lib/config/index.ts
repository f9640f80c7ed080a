export * from './schema';
export * from './load';
export { defineConfig, toStackConfig } from './define';
export type { StackConfigFor, StackConfigCode, PlatformConfigCode } from './define';
export { isValidatedConfig } from './validated';
