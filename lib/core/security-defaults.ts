import { Cloud } from './cloud';

/** One secure default the platform applies, with the rule it satisfies. */
export interface SecurityDefault {
  /** Checkov (CKV_*) or cdk-nag (AwsSolutions-*) rule id(s). */
  readonly ruleIds: readonly string[];
  /** The cloud. */
  readonly cloud: Cloud;
  /** The construct that applies it. */
  readonly construct: string;
  /** What the default is, in a few words. */
  readonly requirement: string;
  /** The one explicit prop that relaxes it, where one exists. */
  readonly relaxedBy?: string;
}
