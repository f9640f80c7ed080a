import { PolicyRule } from '../types';
import { AWS_RULES } from './aws';
import { AZURE_RULES } from './azure';
import { COMMON_RULES } from './common';
import { DEPLOY_RULES } from './deploy';
import { GCP_RULES } from './gcp';

/** Every rule of the policy pack: the cloud-neutral ones, then Azure, AWS and GCP. */
export const POLICY_RULES: readonly PolicyRule[] = [...COMMON_RULES, ...DEPLOY_RULES, ...AZURE_RULES, ...AWS_RULES, ...GCP_RULES];

/**
 * Rule ids of the platform's security defaults (`SECURITY_DEFAULTS`) that the
 * pack does not check, with the reason. Every other Checkov / cdk-nag id of
 * the defaults is a rule (or an alias of one).
 */
export const UNCHECKED_DEFAULT_RULE_IDS: Readonly<Record<string, string>> = {
  'AwsSolutions-IAM5':
    'cdk-nag flags every wildcard, including the partial ones the platform grants on purpose (kms:GenerateDataKey*, kms:ReEncrypt*, <bucket>/*); its intent is checked by CKV_AWS_63 (Action "*"), MLOPS_AWS_IAM_SERVICE_WILDCARD ("<service>:*") and CKV_AWS_355 (Resource "*").',
  CKV_AZURE_111:
    "azurerm 4.x has no soft_delete_enabled: soft delete is always on and soft_delete_retention_days is 7–90 by the provider's own validation, so there is nothing left to check.",
};

/** The rule with an id, or whose `alsoKnownAs` lists it. */
export function findPolicyRule(id: string): PolicyRule | undefined {
  return POLICY_RULES.find((r) => r.id === id) ?? POLICY_RULES.find((r) => r.alsoKnownAs?.includes(id));
}
