// Public API of `cdktf-mlops/policy`: the policy pack (an Aspect checked at
// synth), its rules, suppressions, report and rule table, and the types a
// custom rule is written against. Rule helpers stay internal.
export type {
  PolicyCloud,
  PolicyContext,
  PolicyDeployContext,
  PolicyElement,
  PolicyElementKind,
  PolicyFinding,
  PolicyRelaxOption,
  PolicyRule,
} from './types';
export type { DependencyGraph, GraphEdge, GraphNode } from './graph';
export { POLICY_RULES, UNCHECKED_DEFAULT_RULE_IDS, findPolicyRule } from './rules';
export { MIN_SUPPRESSION_REASON_LENGTH, Policy, SUPPRESSION_METADATA_TYPE } from './suppression';
export type { PolicySuppression } from './suppression';
export { POLICY_VIOLATION_CODE, PolicyPack, PolicyViolationError, applyPolicyPack } from './pack';
export type { PolicyPackOptions, PolicyReport, PolicyViolation, SuppressedFinding, UnusedSuppression } from './pack';
export { policyRuleTable, renderPolicyRuleTable } from './table';
export type { PolicyRuleRow } from './table';
export { readPolicy } from './aws-iam';
export type { IamCondition, IamDocument, IamStatement } from './aws-iam';
export { ensureUniquePhysicalNames } from '../core/unique-names';
export { duplicateNames, nameAttributeOf } from '../core/physical-names';
export type { DuplicateName, NamedBlock } from '../core/physical-names';
