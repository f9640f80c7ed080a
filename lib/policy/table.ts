import { POLICY_RULES } from './rules';
import { PolicyCloud, PolicyRelaxOption } from './types';

/** One row of the rule table (for the README). */
export interface PolicyRuleRow {
  /** The rule id. */
  readonly id: string;
  /** Ids of other tools' rules that check the same thing. */
  readonly alsoKnownAs: readonly string[];
  /** The cloud. */
  readonly cloud: PolicyCloud;
  /** The Terraform types it checks (`data.` for data sources, `*` for every block). */
  readonly resourceTypes: readonly string[];
  /** What it requires. */
  readonly title: string;
  /** How to comply. */
  readonly fix: string;
  /** The pack option that switches it off. */
  readonly relaxedBy?: PolicyRelaxOption;
}

/** The rules of the pack as plain rows, in table order (cloud-neutral, Azure, AWS, GCP). */
export function policyRuleTable(): PolicyRuleRow[] {
  return POLICY_RULES.map((r) => ({
    id: r.id,
    alsoKnownAs: r.alsoKnownAs ?? [],
    cloud: r.cloud,
    resourceTypes: r.resourceTypes,
    title: r.title,
    fix: r.fix,
    relaxedBy: r.relaxedBy,
  }));
}

const RELAXED_BY: Record<PolicyRelaxOption, string> = {
  publicNetwork: '`network.mode: public`',
  allowDataDeletion: '`protection.retainData: false`',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * The rule table as Markdown: rule (and equivalent ids), cloud, resource
 * types, what it checks, the config that switches it off, and the fix.
 */
export function renderPolicyRuleTable(): string {
  const lines = ['| rule | cloud | resource types | checks | not applied when | fix |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of policyRuleTable()) {
    const id = r.alsoKnownAs.length > 0 ? `\`${r.id}\` (${r.alsoKnownAs.map((a) => `\`${a}\``).join(', ')})` : `\`${r.id}\``;
    const types = r.resourceTypes.includes('*') ? 'every block' : r.resourceTypes.map((t) => `\`${t}\``).join(', ');
    lines.push(`| ${id} | ${r.cloud} | ${cell(types)} | ${cell(r.title)} | ${r.relaxedBy ? RELAXED_BY[r.relaxedBy] : ''} | ${cell(r.fix)} |`);
  }
  return `${lines.join('\n')}\n`;
}
