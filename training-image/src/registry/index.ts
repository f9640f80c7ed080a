/** The local model registry: versions, aliases, quality gate, atomic promotion. */
export { LocalRegistry, RegistryError, flatMetrics, ALIASES } from './registry';
export type { Alias, AliasEvent, AliasState, ModelVersion, RegistryErrorCode } from './registry';
export { gateDecision, checkGateConfig, GateConfigError, METRIC_DIRECTIONS } from './gate';
export type { Direction, GateConfig, GateDecision } from './gate';
export { writeFileAtomic, hashPath } from './fsutil';
