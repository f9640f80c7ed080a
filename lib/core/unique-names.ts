import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { show } from './errors';
import { duplicateNames, NamedBlock } from './physical-names';

const checked = new WeakSet<TerraformStack>();
/** Stacks whose names another check covers (the policy pack's MLOPS_DUPLICATE_NAME rule). */
const coveredElsewhere = new WeakSet<TerraformStack>();

/**
 * Tells {@link ensureUniquePhysicalNames} that another check of `stack` reports
 * duplicate physical names (the policy pack calls it when applied), so that
 * each duplicate is reported once.
 */
export function uniqueNamesCheckedElsewhere(stack: TerraformStack): void {
  coveredElsewhere.add(stack);
}

/**
 * Makes the synth of `construct`'s stack fail when two of its resources share
 * a physical name (the same check as the policy rule MLOPS_DUPLICATE_NAME, for
 * stacks without the policy pack; a stack with the pack is checked by the pack).
 * Idempotent: the platforms call it for their stack.
 */
export function ensureUniquePhysicalNames(construct: IConstruct): void {
  const stack = TerraformStack.of(construct);
  if (checked.has(stack)) return;
  checked.add(stack);
  stack.node.addValidation({
    validate: () => {
      if (coveredElsewhere.has(stack)) return [];
      const json = stack.toTerraform() as Record<string, any>;
      const paths = new Map<string, string>();
      for (const c of stack.node.findAll()) {
        const el = c as unknown as { terraformResourceType?: string; friendlyUniqueId?: string };
        if (typeof el.terraformResourceType === 'string' && typeof el.friendlyUniqueId === 'string') paths.set(`${el.terraformResourceType}.${el.friendlyUniqueId}`, c.node.path);
      }
      const blocks: NamedBlock[] = [];
      for (const [type, byName] of Object.entries(json.resource ?? {})) {
        for (const [name, attrs] of Object.entries(byName as Record<string, Record<string, unknown>>)) blocks.push({ type, address: `${type}.${name}`, attrs });
      }
      return duplicateNames(blocks).flatMap((d) =>
        d.blocks
          .slice(1)
          .map(
            (b) =>
              `[MLOPS_DUPLICATE_NAME] ${paths.get(b.address) ?? b.address}: ${d.attribute} ${show(d.name)} is also the physical name of ${paths.get(d.blocks[0]!.address) ?? d.blocks[0]!.address}: the second create fails at apply. Fix: give one of them another name (the physicalName prop of its construct, or naming.suffix).`,
          ),
      );
    },
  });
}
