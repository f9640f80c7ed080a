import {
  Aspects,
  DefaultTokenResolver,
  IAspect,
  StringConcat,
  Tokenization,
  TerraformDataSource,
  TerraformElement,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
} from 'cdktf';
import { IConstruct } from 'constructs';
import { ErrorCode, MlopsValidationError } from '../core/errors';
import { DEFAULT_NETWORK_MODE, NetworkMode } from '../core/network';
import { uniqueNamesCheckedElsewhere } from '../core/unique-names';
import { resolveOncePerSynth } from '../private/stack-synth';
import { DependencyGraph, dependencyGraph } from './graph';
import { POLICY_RULES } from './rules';
import { Policy, PolicySuppression } from './suppression';
import { PolicyContext, PolicyDeployContext, PolicyElement, PolicyElementKind, PolicyRelaxOption, PolicyRule } from './types';
import { isLiteralString, isRecord, referencedAddresses } from './values';

/**
 * The issue code of policy violations in {@link PolicyViolationError}.
 * (`ErrorCode` in lib/core/errors.ts has no policy code yet; this is the value to add there.)
 */
export const POLICY_VIOLATION_CODE: ErrorCode = ErrorCode.POLICY_VIOLATION;

/** Options of {@link applyPolicyPack}. */
export interface PolicyPackOptions {
  /**
   * The network mode the stack's data planes are reached in (the config's
   * `network.mode`): the deploy-readiness rules check reachability against
   * it, and in `public` mode the rules that forbid public endpoints and open
   * ingress are not applied.
   * @default 'firewalled'
   */
  readonly networkMode?: NetworkMode;
  /**
   * The principals that run Terraform for the stack (people and CI), as
   * values or tokens: the deploy-readiness rules check they hold the data
   * roles Terraform needs and are not caught by a deny. A function is called
   * at check time (after every construct has added its deployers).
   * @default - none named
   */
  readonly deployers?: readonly string[] | (() => readonly string[]);
  /**
   * The config lets data be deleted with the stack (`protection.retainData: false`):
   * the rules that require deletion protection are not applied.
   * @default false
   */
  readonly allowDataDeletion?: boolean;
  /**
   * Where the pack writes its synth summary (one line per suppressed finding
   * and per unused suppression).
   * @default - standard output
   */
  readonly log?: (line: string) => void;
}

/** A finding no suppression covers: it fails the synth. */
export interface PolicyViolation {
  /** The rule's id. */
  readonly ruleId: string;
  /** What the rule requires. */
  readonly title: string;
  /** The construct path of the offending block. */
  readonly path: string;
  /** Its Terraform address. */
  readonly address: string;
  /** What was found. */
  readonly found: string;
  /** How to fix it. */
  readonly fix: string;
  /** The construct (to suppress on). */
  readonly construct: IConstruct;
}

/** A finding a suppression covers. */
export interface SuppressedFinding extends PolicyViolation {
  /** The suppression's reason. */
  readonly reason: string;
  /** The construct path the suppression is declared on. */
  readonly suppressedAt: string;
}

/** A suppression that covered no finding. */
export interface UnusedSuppression {
  /** The suppressed rule. */
  readonly ruleId: string;
  /** The construct path it is declared on. */
  readonly path: string;
  /** Its reason. */
  readonly reason: string;
  /** Why it matched nothing. */
  readonly note: string;
}

/** The result of checking one stack. */
export interface PolicyReport {
  /** The stack's construct path. */
  readonly stack: string;
  /** The ids of the rules applied. */
  readonly rulesApplied: readonly string[];
  /** The ids of the rules switched off by the pack's options, with the option. */
  readonly rulesRelaxed: readonly { readonly ruleId: string; readonly by: PolicyRelaxOption }[];
  /** How many resources and data sources were checked. */
  readonly resourcesChecked: number;
  /** Findings no suppression covers. */
  readonly violations: readonly PolicyViolation[];
  /** Findings a suppression covers. */
  readonly suppressed: readonly SuppressedFinding[];
  /** Suppressions declared in the stack that covered nothing. */
  readonly unusedSuppressions: readonly UnusedSuppression[];
}

/** Thrown at synth when a stack has policy violations; lists every one of them. */
export class PolicyViolationError extends MlopsValidationError {
  /** The full report. */
  public readonly report: PolicyReport;

  constructor(report: PolicyReport) {
    super(
      `Policy check failed for stack ${report.stack}: ${report.violations.length} violation(s). ` +
        `Fix each one, or accept it with Policy.suppress(construct, '<rule id>', '<reason>'):`,
      report.violations.map((v) => ({
        code: POLICY_VIOLATION_CODE,
        path: v.path,
        message: `${v.ruleId} (${v.title}): ${v.found} [${v.address}]. Fix: ${v.fix}.`,
      })),
    );
    this.name = 'PolicyViolationError';
    this.report = report;
  }
}

const OPTION_SOURCE: Record<PolicyRelaxOption, string> = {
  publicNetwork: 'network.mode: public',
  allowDataDeletion: 'protection.retainData: false',
};

/**
 * The policy pack of one stack: an aspect that visits every Terraform element
 * of the stack, and a validation that checks them all against the rules when
 * the stack is synthesized. Violations fail the synth with one
 * {@link PolicyViolationError} listing all of them; suppressed findings and
 * unused suppressions are printed.
 *
 * The check runs in the validation phase, after every aspect has run, on the
 * stack's resolved Terraform JSON (`stack.toTerraform()`): it sees exactly
 * what is written, with `addOverride`s, stack overrides and changes made by
 * other aspects. At `app.synth()` that JSON is resolved once and written as
 * checked (lib/private/stack-synth.ts); `Testing.synth` resolves it afresh.
 */
export class PolicyPack implements IAspect {
  /** The pack applied to a stack, if any. */
  static of(stack: TerraformStack): PolicyPack | undefined {
    return Aspects.of(stack).all.find((a): a is PolicyPack => a instanceof PolicyPack);
  }

  /** The stack checked. */
  public readonly stack: TerraformStack;
  /** The options. */
  public readonly options: Required<Omit<PolicyPackOptions, 'log' | 'deployers'>>;
  private readonly deployers: PolicyPackOptions['deployers'];
  private readonly log: (line: string) => void;
  private readonly visited = new Set<TerraformElement>();
  private aspectsRan = false;
  private lastReport?: PolicyReport;
  private printed?: string;

  /** Use {@link applyPolicyPack}. */
  constructor(stack: TerraformStack, options: PolicyPackOptions = {}) {
    this.stack = stack;
    this.options = {
      allowDataDeletion: options.allowDataDeletion ?? false,
      networkMode: options.networkMode ?? DEFAULT_NETWORK_MODE,
    };
    this.deployers = options.deployers;
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  }

  /** Records the stack's Terraform elements (called by cdktf at synth). */
  visit(node: IConstruct): void {
    this.aspectsRan = true;
    if (TerraformElement.isTerraformElement(node) && TerraformStack.of(node) === this.stack) this.visited.add(node);
  }

  /** True when the options switch off the rules relaxed by `option`. */
  private relaxes(option: PolicyRelaxOption): boolean {
    return option === 'publicNetwork' ? this.options.networkMode === 'public' : this.options.allowDataDeletion;
  }

  /** The report of the last check, if one ran. */
  get report(): PolicyReport | undefined {
    return this.lastReport;
  }

  /** The rules the pack applies with its options. */
  get rules(): readonly PolicyRule[] {
    return POLICY_RULES.filter((r) => !r.relaxedBy || !this.relaxes(r.relaxedBy));
  }

  /**
   * Checks the stack now and returns the report (without printing or
   * throwing). The stack must have been synthesized (`app.synth()`,
   * `Testing.synth(stack)`) so that the aspect has visited it.
   */
  check(): PolicyReport {
    if (!this.aspectsRan) {
      throw new Error(
        `PolicyPack.check() on ${this.stack.node.path}: the stack has not been synthesized yet, so the pack has not visited it. Synthesize first (app.synth() or Testing.synth(stack)).`,
      );
    }
    const elements = this.elements();
    const listed = typeof this.deployers === 'function' ? this.deployers() : (this.deployers ?? []);
    const deployers = (Tokenization.resolve([...listed], { scope: this.stack, resolver: new DefaultTokenResolver(new StringConcat()) }) as unknown[]).filter(
      (d): d is string => typeof d === 'string',
    );
    const context = makeContext(elements, { networkMode: this.options.networkMode, deployers });
    const applied = this.rules;
    const violations: PolicyViolation[] = [];
    const suppressed: SuppressedFinding[] = [];
    const used = new Set<string>();
    for (const element of elements) {
      for (const rule of applied) {
        if (!rule.resourceTypes.includes('*') && !rule.resourceTypes.includes(element.selector)) continue;
        for (const finding of rule.check(element, context)) {
          const on = finding.element ?? element;
          const violation: PolicyViolation = {
            ruleId: rule.id,
            title: rule.title,
            path: on.path,
            address: on.address,
            found: finding.found,
            fix: finding.fix ?? rule.fix,
            construct: on.construct,
          };
          const suppression = Policy.suppressionFor(on.construct, rule.id);
          if (suppression) {
            used.add(suppressionKey(suppression));
            suppressed.push({ ...violation, reason: suppression.reason, suppressedAt: suppression.path });
          } else {
            violations.push(violation);
          }
        }
      }
    }
    const relaxed = POLICY_RULES.filter((r) => r.relaxedBy && this.relaxes(r.relaxedBy)).map((r) => ({ ruleId: r.id, by: r.relaxedBy! }));
    const unusedSuppressions = this.stack.node
      .findAll()
      .flatMap((c) => Policy.suppressionsOf(c))
      .filter((s) => !used.has(suppressionKey(s)))
      .map((s) => {
        const relax = relaxed.find((r) => r.ruleId === s.ruleId);
        return {
          ruleId: s.ruleId,
          path: s.path,
          reason: s.reason,
          note: relax ? `the rule is not applied (${OPTION_SOURCE[relax.by]})` : 'it matched no finding; remove it',
        };
      });
    const order = (a: { path: string; ruleId: string }, b: { path: string; ruleId: string }) => compare(a.path, b.path) || compare(a.ruleId, b.ruleId);
    this.lastReport = {
      stack: this.stack.node.path,
      rulesApplied: applied.map((r) => r.id),
      rulesRelaxed: relaxed,
      resourcesChecked: elements.filter((e) => e.kind === 'resource' || e.kind === 'data').length,
      violations: dedupe(violations).sort(order),
      suppressed: dedupe(suppressed).sort(order),
      unusedSuppressions: unusedSuppressions.sort(order),
    };
    return this.lastReport;
  }

  /** The synth summary of a report, one line each. */
  static summaryLines(report: PolicyReport): string[] {
    const lines = [
      `Policy pack on ${report.stack}: ${plural(report.rulesApplied.length, 'rule')} on ${plural(report.resourcesChecked, 'resource')}: ` +
        `${report.violations.length} violation(s), ${report.suppressed.length} suppressed, ${report.unusedSuppressions.length} unused suppression(s)`,
    ];
    const byOption = new Map<PolicyRelaxOption, string[]>();
    for (const r of report.rulesRelaxed) byOption.set(r.by, [...(byOption.get(r.by) ?? []), r.ruleId]);
    for (const [option, ids] of byOption) lines.push(`  not applied (${OPTION_SOURCE[option]}): ${ids.join(', ')}`);
    for (const s of report.suppressed) {
      lines.push(`  suppressed ${s.ruleId} on ${s.path}${s.suppressedAt !== s.path ? ` (declared on ${s.suppressedAt})` : ''}: ${JSON.stringify(s.reason)}`);
    }
    for (const u of report.unusedSuppressions) lines.push(`  unused suppression ${u.ruleId} on ${u.path}: ${JSON.stringify(u.reason)}: ${u.note}`);
    return lines;
  }

  /** Runs the check at synth: prints the summary, throws on violations. */
  validateAtSynth(): string[] {
    const report = this.check();
    const lines = PolicyPack.summaryLines(report);
    const text = lines.join('\n');
    if (this.printed !== text) {
      for (const line of lines) this.log(line);
      this.printed = text;
    }
    if (report.violations.length > 0) throw new PolicyViolationError(report);
    return [];
  }

  private elements(): PolicyElement[] {
    // During app.synth() the JSON cdktf then writes (one resolution per synth); otherwise resolved for the check.
    const json = this.stack.toTerraform() as Record<string, any>;
    const out: PolicyElement[] = [];
    for (const element of this.visited) {
      const add = (kind: PolicyElementKind, type: string, name: string, attrs: unknown) => {
        if (!isRecord(attrs)) return;
        const { '//': _meta, ...rest } = attrs;
        const address = kind === 'resource' ? `${type}.${name}` : kind === 'data' ? `data.${type}.${name}` : kind === 'output' ? `output.${name}` : `${kind}.${name}`;
        const selector = kind === 'resource' ? type : kind === 'output' ? 'output' : `${kind}.${type}`;
        out.push({ kind, type, name, address, selector, path: element.node.path, construct: element, attrs: rest });
      };
      // Resources, data sources and outputs name themselves: no second render of them.
      if (TerraformResource.isTerraformResource(element)) {
        const type = element.terraformResourceType;
        add('resource', type, element.friendlyUniqueId, json.resource?.[type]?.[element.friendlyUniqueId]);
        continue;
      }
      if (element instanceof TerraformDataSource) {
        const type = element.terraformResourceType;
        add('data', type, element.friendlyUniqueId, json.data?.[type]?.[element.friendlyUniqueId]);
        continue;
      }
      if (element instanceof TerraformOutput) {
        add('output', 'output', element.friendlyUniqueId, json.output?.[element.friendlyUniqueId]);
        continue;
      }
      const raw = element.toTerraform() as Record<string, any>;
      for (const [type, byName] of Object.entries(raw.resource ?? {})) {
        for (const name of Object.keys(byName as object)) add('resource', type, name, json.resource?.[type]?.[name]);
      }
      for (const [type, byName] of Object.entries(raw.data ?? {})) {
        for (const name of Object.keys(byName as object)) add('data', type, name, json.data?.[type]?.[name]);
      }
      for (const [type, configs] of Object.entries(raw.provider ?? {})) {
        const alias = (configs as any[])[0]?.alias;
        const written = ((json.provider?.[type] ?? []) as any[]).find((p) => p?.alias === alias);
        add('provider', type, alias ? `${type}.${alias}` : type, written);
      }
      for (const type of Object.keys(raw.terraform?.backend ?? {})) add('backend', type, type, json.terraform?.backend?.[type]);
      for (const name of Object.keys(raw.output ?? {})) add('output', 'output', name, json.output?.[name]);
    }
    return out;
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Code-point order: the same on every machine (localeCompare depends on the ICU locale). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function suppressionKey(s: PolicySuppression): string {
  return `${s.path}\u0000${s.ruleId}`;
}

function dedupe<T extends PolicyViolation>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((v) => {
    const key = `${v.ruleId}\u0000${v.address}\u0000${v.found}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function makeContext(elements: readonly PolicyElement[], deploy: PolicyDeployContext): PolicyContext {
  const bySelector = new Map<string, PolicyElement[]>();
  const byAddress = new Map<string, PolicyElement>();
  for (const e of elements) {
    bySelector.set(e.selector, [...(bySelector.get(e.selector) ?? []), e]);
    byAddress.set(e.address, e);
  }
  const referenced = (value: unknown): PolicyElement[] => [...referencedAddresses(value)].map((a) => byAddress.get(a)).filter((e): e is PolicyElement => e !== undefined);
  let graph: DependencyGraph | undefined;
  return {
    deploy,
    get graph() {
      graph ??= dependencyGraph(
        elements
          .filter((e) => e.kind === 'resource' || e.kind === 'data' || e.kind === 'provider')
          .map((e) => ({ address: e.address, attrs: e.attrs, kind: e.kind as 'resource' | 'data' | 'provider', type: e.type })),
      );
      return graph;
    },
    elements,
    ofSelector: (selector) => bySelector.get(selector) ?? [],
    byAddress: (address) => byAddress.get(address),
    referenced,
    companions: (target, selector, attrName, literalKeys = []) =>
      (bySelector.get(selector) ?? []).filter((c) => {
        const v = c.attrs[attrName];
        if (referencedAddresses(v).has(target.address)) return true;
        return literalKeys.some((k) => isLiteralString(target.attrs[k]) && v === target.attrs[k]);
      }),
  };
}

/**
 * Applies the policy pack to a stack: every synth of the stack checks all its
 * resources against the rules ({@link POLICY_RULES}) and fails with every
 * violation. Call once per stack, after or before building it.
 *
 * @example applyPolicyPack(this, { networkMode: config.network.mode, deployers: () => platform.deployers, allowDataDeletion: !config.protection.retainData })
 * @throws MlopsValidationError when the stack already has a pack.
 */
export function applyPolicyPack(stack: TerraformStack, options: PolicyPackOptions = {}): PolicyPack {
  if (PolicyPack.of(stack)) {
    throw new MlopsValidationError(`Invalid policy pack on ${stack.node.path}:`, [
      {
        code: ErrorCode.PROP_INVALID,
        path: stack.node.path,
        message: 'The stack already has a policy pack. Fix: call applyPolicyPack once per stack (PolicyPack.of(stack) returns the one applied).',
      },
    ]);
  }
  const pack = new PolicyPack(stack, options);
  Aspects.of(stack).add(pack);
  // The pack's MLOPS_DUPLICATE_NAME rule reports duplicate names: the platforms' own check steps aside.
  uniqueNamesCheckedElsewhere(stack);
  stack.node.addValidation({ validate: () => pack.validateAtSynth() });
  // The check and cdktf's writer share one resolution of the stack per synth.
  resolveOncePerSynth(stack);
  return pack;
}
