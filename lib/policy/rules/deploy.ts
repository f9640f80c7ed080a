import { show } from '../../core/errors';
import { describeCycle, findCycles, GraphEdge } from '../graph';
import { DuplicateName, duplicateNames } from '../../core/physical-names';
import { PolicyContext, PolicyElement, PolicyFinding, PolicyRule } from '../types';

/**
 * Deploy-readiness rules that hold on every cloud: a stack that breaks one
 * of them cannot be applied by Terraform, whatever the credentials.
 */

const cyclesOf = new WeakMap<PolicyContext, GraphEdge[][]>();

function cycles(context: PolicyContext): GraphEdge[][] {
  let found = cyclesOf.get(context);
  if (!found) {
    found = findCycles(context.graph);
    cyclesOf.set(context, found);
  }
  return found;
}

/** Reports each cycle once, on the element where its path starts. */
function dependencyCycle(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  if (element.kind !== 'resource' && element.kind !== 'data' && element.kind !== 'provider') return [];
  return cycles(context)
    .filter((cycle) => cycle[0]?.from === element.address)
    .map((cycle) => {
      const members = [...new Set(cycle.map((e) => e.from))];
      return {
        found: `the dependency graph has a cycle through ${members.length} block(s): ${describeCycle(cycle)} (Terraform stops with "Error: Cycle")`,
        fix: `Break one edge of the cycle: drop a depends_on that the other side's reference already implies the reverse of, or reference a value known before the dependent resource exists (a name or ARN built from inputs instead of the resource's attribute)`,
      };
    });
}

const duplicatesOf = new WeakMap<PolicyContext, DuplicateName<PolicyElement>[]>();

/** Reports each resource that reuses a physical name taken by another of the stack (on every one but the first). */
function duplicateName(element: PolicyElement, context: PolicyContext): PolicyFinding[] {
  if (element.kind !== 'resource') return [];
  let found = duplicatesOf.get(context);
  if (!found) {
    found = duplicateNames(context.elements.filter((e) => e.kind === 'resource'));
    duplicatesOf.set(context, found);
  }
  return found
    .filter((d) => d.blocks.indexOf(element) > 0)
    .map((d) => {
      const first = d.blocks[0]!;
      return {
        found: `${d.attribute} ${show(d.name)} is also the physical name of ${first.path} [${first.address}]: the second create fails at apply`,
      };
    });
}

/** The cloud-neutral deploy-readiness rules. */
export const DEPLOY_RULES: readonly PolicyRule[] = [
  {
    id: 'MLOPS_DEPLOY_CYCLE',
    cloud: 'all',
    resourceTypes: ['*'],
    title: 'the dependency graph Terraform builds (references in any attribute, depends_on, provider configurations) has no cycle',
    fix: 'Break the cycle: remove a depends_on or a reference on the path named',
    check: dependencyCycle,
  },
  {
    id: 'MLOPS_DUPLICATE_NAME',
    cloud: 'all',
    resourceTypes: ['*'],
    title:
      'no two resources of one type share a physical name in the same parent (resource group, project, key ring, VPC; worldwide for buckets, storage accounts, vaults and registries; per account for IAM)',
    fix: 'Give one of them another name: the physicalName prop of its construct, or naming.suffix / another naming.environment for a second platform in the stack',
    check: duplicateName,
  },
];
