import { Cloud } from './cloud';

/** One secure default the platform applies, with the rule it satisfies. */
export interface SecurityDefault {
  /**
   * Checkov (CKV_*, CKV2_*) or cdk-nag (AwsSolutions-*) rule ids; where no
   * public rule covers the default, one id of ours: `MLOPS_<CLOUD>_<WHAT>`.
   */
  readonly ruleIds: readonly string[];
  /** The cloud. */
  readonly cloud: Cloud;
  /** The construct that applies it. */
  readonly construct: string;
  /** What the default is, in a few words. */
  readonly requirement: string;
  /** The one explicit prop that relaxes it (`Construct.prop`). */
  readonly relaxedBy?: string;
  /**
   * Why no prop relaxes it, for invariants of the platform's design (grant
   * shapes, trust policies) rather than resource settings. Exactly one of
   * `relaxedBy` and `invariant` is set.
   */
  readonly invariant?: string;
}
