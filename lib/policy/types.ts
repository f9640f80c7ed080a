import { IConstruct } from 'constructs';
import { Cloud } from '../core/cloud';
import { NetworkMode } from '../core/network';

/** The cloud a policy rule belongs to; `all` for the cloud-neutral rules (secrets). */
export type PolicyCloud = Cloud | 'all';

/**
 * A pack option that switches a rule off because the stack's config asks for
 * what the rule forbids:
 * - `publicNetwork`: `network.mode: public` (public endpoints, firewalls open to all);
 * - `allowDataDeletion`: `protection.retainData: false` (keys not protected from deletion).
 */
export type PolicyRelaxOption = 'publicNetwork' | 'allowDataDeletion';

/** What kind of block of the synthesized Terraform JSON an element is. */
export type PolicyElementKind = 'resource' | 'data' | 'provider' | 'backend' | 'output';

/**
 * One block of the synthesized Terraform JSON (a resource, data source,
 * provider, backend or output) with its attributes exactly as they are
 * written: tokens resolved to Terraform expressions (`${aws_kms_key.k.arn}`),
 * `addOverride`s and stack overrides applied.
 */
export interface PolicyElement {
  /** The kind of block. */
  readonly kind: PolicyElementKind;
  /** The Terraform type: `aws_s3_bucket`; the provider (`aws`) or backend (`s3`) name; `output`. */
  readonly type: string;
  /** The block's logical name (`Platform_ArtifactStore_24C28BD1`); the alias or type for providers and backends. */
  readonly name: string;
  /** The Terraform address: `aws_s3_bucket.X`, `data.aws_iam_policy_document.X`, `provider.aws`, `backend.s3`, `output.X`. */
  readonly address: string;
  /** What rules select on: the type for resources, `data.<type>`, `provider.<name>`, `backend.<type>`, `output`. */
  readonly selector: string;
  /** The construct path (`dev-aws/Platform/ArtifactStore/Versioning`). */
  readonly path: string;
  /** The construct that synthesizes the block. */
  readonly construct: IConstruct;
  /** The block's attributes as synthesized (without the `//` metadata). */
  readonly attrs: Readonly<Record<string, unknown>>;
}

/** One thing a rule found wrong on an element. */
export interface PolicyFinding {
  /** What was found, naming the attribute and its value (`scan_on_push is false`). */
  readonly found: string;
  /** A fix more precise than the rule's general one. */
  readonly fix?: string;
  /** The element the finding is reported on, when not the one being checked. */
  readonly element?: PolicyElement;
}

/**
 * What the deploy-readiness rules know about how the stack is deployed:
 * through which network, and by whom.
 */
export interface PolicyDeployContext {
  /** The network mode the data planes are reached in. */
  readonly networkMode: NetworkMode;
  /**
   * The principals that run Terraform (people and CI), as the synthesized
   * JSON writes them: literals (an object id, a role ARN, a member) or
   * expressions (`${data.azurerm_client_config.X.object_id}`).
   */
  readonly deployers: readonly string[];
}

/** Lookups across the stack for rules that relate elements (a bucket and its versioning resource). */
export interface PolicyContext {
  /** How the stack is deployed (network mode, deployers). */
  readonly deploy: PolicyDeployContext;
  /** The stack's dependency graph as Terraform builds it (computed once, on first use). */
  readonly graph: DependencyGraph;
  /** Every element of the stack. */
  readonly elements: readonly PolicyElement[];
  /** The elements a selector (`aws_s3_bucket_versioning`, `data.aws_iam_policy_document`) picks. */
  ofSelector(selector: string): readonly PolicyElement[];
  /** The element with a Terraform address, if the stack has it. */
  byAddress(address: string): PolicyElement | undefined;
  /** The stack's elements a value refers to through `${…}` expressions. */
  referenced(value: unknown): readonly PolicyElement[];
  /**
   * The elements of `selector` whose attribute `attr` points at `target`: by a
   * reference to it, or by a literal equal to one of the target's `literalKeys`
   * attributes (a bucket name written out).
   */
  companions(target: PolicyElement, selector: string, attr: string, literalKeys?: readonly string[]): readonly PolicyElement[];
}

/** A rule of the policy pack. */
export interface PolicyRule {
  /** Checkov id (`CKV_AWS_21`), cdk-nag id (`AwsSolutions-S10`) or the library's own (`MLOPS_*`). */
  readonly id: string;
  /** Ids of other tools' rules that check exactly the same thing (accepted by `Policy.suppress` too). */
  readonly alsoKnownAs?: readonly string[];
  /** The cloud. */
  readonly cloud: PolicyCloud;
  /** The selectors of the elements it checks (`aws_s3_bucket`, `data.aws_iam_policy_document`, `*` for all). */
  readonly resourceTypes: readonly string[];
  /** What it requires, in a few words. */
  readonly title: string;
  /** How to comply, in terms of this library's props or the resource's attributes. */
  readonly fix: string;
  /** The pack option that switches it off. */
  readonly relaxedBy?: PolicyRelaxOption;
  /** Evaluates the rule on one element. */
  readonly check: (element: PolicyElement, context: PolicyContext) => readonly PolicyFinding[];
}

// The dependency graph of a synthesized stack (built by graph.ts).

/** One block of the graph: a resource, data source or provider configuration. */
export interface GraphNode {
  /** `aws_s3_bucket.b`, `data.aws_iam_policy_document.d`, `provider.aws`, `provider.aws.west`. */
  readonly address: string;
  /** The block's attributes as written in the Terraform JSON. */
  readonly attrs: Readonly<Record<string, unknown>>;
  /** What the block is. */
  readonly kind: 'resource' | 'data' | 'provider';
  /** The resource type, or the provider name for provider blocks. */
  readonly type: string;
}

/** Why one block depends on another. */
export interface GraphEdge {
  /** The block that depends. */
  readonly from: string;
  /** The block it depends on. */
  readonly to: string;
  /** Where the dependency comes from: an attribute path (`policy`), `depends_on`, or `provider`. */
  readonly via: string;
}

/** A stack's dependency graph. */
export interface DependencyGraph {
  /** Every node, by address. */
  readonly nodes: ReadonlyMap<string, GraphNode>;
  /** For each node, the nodes it depends on, each with the first reason found. */
  readonly dependsOn: ReadonlyMap<string, ReadonlyMap<string, GraphEdge>>;
}
