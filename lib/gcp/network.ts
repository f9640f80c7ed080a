import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeNetworkAttachment } from '@cdktf/provider-google/lib/compute-network-attachment';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { IPlatformNetwork } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { sanitise } from '../core/naming';
import { ExistingGcpNetwork, NetworkMode, NETWORK_MODES, checkAddressSpace, cidrSubnet } from '../core/network';
import { GcpCommonProps } from './common';
import { checkCommon, namingAndLabels } from './private/common';
import { GCP_COMPUTE_NAME, checkPhysicalName } from './naming';
import { PropChecks } from '../core/validate';

const NETWORK_ID = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/global\/networks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBNETWORK_ID = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/regions\/[a-z]+(-[a-z]+)+[0-9]+\/subnetworks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ATTACHMENT_ID = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/regions\/[a-z]+(-[a-z]+)+[0-9]+\/networkAttachments\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** The longest suffix a network's `physicalName` gets (`-jobs-attachment`), so that every derived name fits 63. */
const LONGEST_SUFFIX = '-jobs-attachment';

/** Records every problem with the network props of `construct` (mode, ranges, address space, existing network). */
export function checkGcpNetwork(check: PropChecks, props: Omit<GcpNetworkProps, 'naming' | 'projectId'>): void {
  const { issues, construct, path } = check;
  const mode = props.mode ?? 'firewalled';
  const bad = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, value, accepted));
  if (!(NETWORK_MODES as readonly string[]).includes(mode)) bad('network.mode', mode, `one of ${NETWORK_MODES.join(', ')}`);
  new PropChecks(issues, construct, path).cidrs('network.allowedIpRanges', props.allowedIpRanges);
  checkAddressSpace(new PropChecks(issues, construct, path), props.addressSpace);
  const existing = props.existing;
  if (existing === undefined) return;
  if (mode !== 'private') bad('network.existing.gcp', existing, `nothing outside private mode (mode is ${mode}): remove it, or set network.mode: private`);
  if (!Token.isUnresolved(existing.network) && !NETWORK_ID.test(existing.network ?? ''))
    bad('network.existing.gcp.network', existing.network, 'a VPC network id projects/<project>/global/networks/<name>');
  if (!Token.isUnresolved(existing.subnetwork) && !SUBNETWORK_ID.test(existing.subnetwork ?? '')) {
    bad('network.existing.gcp.subnetwork', existing.subnetwork, 'a subnetwork id projects/<project>/regions/<region>/subnetworks/<name>');
  } else if (
    !Token.isUnresolved(existing.subnetwork) &&
    props.region !== undefined &&
    !Token.isUnresolved(props.region) &&
    !existing.subnetwork.includes(`/regions/${props.region}/`)
  ) {
    bad(
      'network.existing.gcp.subnetwork',
      existing.subnetwork,
      `a subnetwork in the platform's region ${props.region} (Private Service Connect endpoints and network attachments are regional)`,
    );
  }
}

/** Props of {@link GcpNetwork}. */
export interface GcpNetworkProps extends GcpCommonProps {
  /**
   * How the data planes are reached: `public`, `firewalled` or `private`.
   * Only `private` creates (or uses) a VPC network.
   * @default 'firewalled'
   */
  readonly mode?: NetworkMode;
  /**
   * CIDR ranges let through the bucket's IP filter (the egress of people
   * and CI runners that deploy from outside the network).
   * @default - none
   */
  readonly allowedIpRanges?: readonly string[];
  /**
   * Address space of the VPC network created in `private` mode: the first
   * quarter-ish (a /20 of a /16) holds the workload subnet (Private Google
   * Access, the endpoint's Private Service Connect address), the second the
   * subnet of the network attachment Vertex AI jobs join (PSC interface).
   * @default '10.40.0.0/16'
   */
  readonly addressSpace?: string;
  /**
   * An existing VPC network and subnetwork (with Private Google Access on)
   * to use in `private` mode instead of creating them: the network
   * attachment for the jobs and the endpoint's address go in that subnetwork.
   * @default - the network is created
   */
  readonly existing?: ExistingGcpNetwork;
  /**
   * The base name of the network's resources in `private` mode: the VPC
   * network is named `<physicalName>`, its subnetworks
   * `<physicalName>-workloads` and `<physicalName>-jobs`, the network
   * attachment `<physicalName>-jobs-attachment` (with `existing`, only the
   * attachment is created). 1-47 lowercase letters, digits and hyphens,
   * starting with a letter, so that every derived name fits Compute
   * Engine's 63.
   * @default - `<company>-<project>-<env>-vpc`, `-workloads`, `-jobs`, `-jobs-attachment` from the naming helper
   */
  readonly physicalName?: string;
}

/** An existing VPC network to run a private-mode platform in ({@link GcpNetwork.fromExisting}). */
export interface GcpNetworkAttributes {
  /** The VPC network id, `projects/<project>/global/networks/<name>`. */
  readonly network: string;
  /**
   * The subnetwork id, `projects/<project>/regions/<region>/subnetworks/<name>`,
   * with Private Google Access on: the scoring endpoint's Private Service
   * Connect address goes in it, and (without `networkAttachment`) the jobs' attachment.
   */
  readonly subnetwork: string;
  /**
   * An existing network attachment Vertex AI jobs join
   * (`projects/<project>/regions/<region>/networkAttachments/<name>`, connection
   * preference ACCEPT_AUTOMATIC). With it, nothing at all is created in the network.
   * @default - a network attachment is created in `subnetwork`, named `networkAttachmentName`
   */
  readonly networkAttachment?: string;
  /**
   * The name of the network attachment created when `networkAttachment` is not given.
   * @default - '<subnetwork name>-ml-jobs' (cut to 63 characters)
   */
  readonly networkAttachmentName?: string;
  /**
   * CIDR ranges let through the bucket's IP filter besides the network (a VPN range).
   * @default - none
   */
  readonly allowedIpRanges?: readonly string[];
}

/**
 * The network a GCP platform's data planes are reached through: one it
 * creates or builds on ({@link GcpNetwork}) or an existing VPC network
 * ({@link GcpNetwork.fromExisting}, always `private` mode).
 */
export interface IGcpNetwork extends IPlatformNetwork, IConstruct {
  /** Always `gcp`. */
  readonly cloud: 'gcp';
  /** In `private` mode: the VPC network id, `projects/<p>/global/networks/<n>`. */
  readonly networkId?: string;
  /** In `private` mode: the workload subnetwork id, `projects/<p>/regions/<r>/subnetworks/<s>`. */
  readonly subnetworkId?: string;
  /** In `private` mode: the network attachment Vertex AI jobs join. */
  readonly networkAttachmentId?: string;
  /** The CIDR of the created workload subnet (undefined for an existing network or outside `private` mode). */
  readonly workloadRange?: string;
  /** What must exist before a workload uses the network (the subnets and attachment the stack creates). */
  readonly dependables: readonly ITerraformDependable[];
  /** True when the network is managed elsewhere ({@link GcpNetwork.fromExisting}). */
  readonly imported: boolean;
  /** In `private` mode: the region of the subnetwork (Private Service Connect endpoints and attachments are regional), when known at synth. */
  readonly region?: string;
}

/**
 * The platform's network. In `private` mode: a custom-mode VPC network
 * (`google_compute_network`, no auto subnets), a workload subnet with
 * Private Google Access and flow logs (the self-hosted runner, the
 * endpoint's Private Service Connect forwarding rule), a dedicated subnet
 * with a network attachment (`google_compute_network_attachment`) through
 * which Vertex AI custom jobs join the VPC (Private Service Connect
 * interface), or the same on an existing network. In `public` and
 * `firewalled` mode it creates nothing: the data planes keep their public
 * endpoints (IAM-authenticated; the bucket IP-filtered when ranges are given).
 */
export class GcpNetwork extends Construct implements IGcpNetwork {
  /**
   * References an existing VPC network (a landing zone's, or a Shared VPC
   * host project's) for a `private`-mode platform. The network, subnetwork
   * and their settings are not managed here; only a network attachment for
   * the Vertex AI jobs is created in the subnetwork, unless an existing one
   * is given too. Give the result to `GcpMlPlatform` as `existing.network`.
   */
  static fromExisting(scope: Construct, id: string, attrs: GcpNetworkAttributes): IGcpNetwork {
    return new ImportedGcpNetwork(scope, id, attrs);
  }

  /** Always `gcp`. */
  public readonly cloud = 'gcp' as const;
  /** The network mode. */
  public readonly mode: NetworkMode;
  /** The ranges the bucket's IP filter lets through. */
  public readonly allowedIpRanges: readonly string[];
  /** In `private` mode: the VPC network id, `projects/<p>/global/networks/<n>`. */
  public readonly networkId?: string;
  /** In `private` mode: the workload subnetwork id, `projects/<p>/regions/<r>/subnetworks/<s>`. */
  public readonly subnetworkId?: string;
  /** In `private` mode: the network attachment Vertex AI jobs join, `projects/<p>/regions/<r>/networkAttachments/<n>`. */
  public readonly networkAttachmentId?: string;
  /** The CIDR of the created workload subnet (undefined for an existing network or outside `private` mode). */
  public readonly workloadRange?: string;
  /** What must exist before a workload uses the network (the subnet and attachment). */
  public readonly dependables: readonly ITerraformDependable[];
  /** Always false: the network (or, with `existing`, its attachment) is managed here. */
  public readonly imported = false;
  /** The region the network's subnetworks are in. */
  public readonly region: string;

  constructor(scope: Construct, id: string, props: GcpNetworkProps) {
    super(scope, id);
    const C = 'GcpNetwork';
    const issues = new IssueCollector();
    checkCommon(issues, C, this, props);
    checkGcpNetwork(new PropChecks(issues, C, this.node.path), props);
    if (checkPhysicalName(new PropChecks(issues, C, this.node.path), 'physicalName', props.physicalName, 'computeName') !== undefined) {
      const longest = `${props.physicalName}${LONGEST_SUFFIX}`;
      if (!Token.isUnresolved(longest) && longest.length > GCP_COMPUTE_NAME.max) {
        issues.add(
          ErrorCode.PROP_INVALID,
          this.node.path,
          messages.propInvalid(
            C,
            'physicalName',
            props.physicalName,
            `at most ${GCP_COMPUTE_NAME.max - LONGEST_SUFFIX.length} characters: the network attachment is named "<physicalName>${LONGEST_SUFFIX}", which must fit ${GCP_COMPUTE_NAME.max}`,
          ),
        );
      }
    }
    const mode = props.mode ?? 'firewalled';
    const existing = props.existing;
    issues.throwIfAny(`Invalid ${C} props:`);

    this.mode = mode;
    this.region = props.region;
    this.allowedIpRanges = [...(props.allowedIpRanges ?? [])];
    if (mode !== 'private') {
      this.dependables = [];
      return;
    }

    const { naming, labels: _labels } = namingAndLabels(props);
    const base = props.physicalName;
    const name = (suffix: string): string =>
      base !== undefined
        ? suffix === 'vpc'
          ? base
          : `${base}-${suffix}`
        : sanitise([naming.parts.company, naming.parts.project, naming.parts.environment, suffix], GCP_COMPUTE_NAME).slice(0, 63).replace(/-+$/, '');
    const computeApi = props.services?.dependenciesFor('compute.googleapis.com') ?? [];
    let subnetworkId: string;
    let attachmentSubnet: string;
    const dependables: ITerraformDependable[] = [];
    if (existing) {
      this.networkId = existing.network;
      subnetworkId = existing.subnetwork;
      attachmentSubnet = existing.subnetwork;
    } else {
      const space = props.addressSpace ?? '10.40.0.0/16';
      const prefix = Number(space.split('/')[1]);
      const newBits = Math.min(4, 28 - prefix);
      const network = new ComputeNetwork(this, 'Resource', {
        project: props.projectId,
        name: name('vpc'),
        description: 'Private network of the ML platform; managed by cdktf-mlops.',
        autoCreateSubnetworks: false,
        routingMode: 'REGIONAL',
        dependsOn: computeApi,
      });
      const flowLogs = { aggregationInterval: 'INTERVAL_10_MIN', flowSampling: 0.5, metadata: 'INCLUDE_ALL_METADATA' };
      this.workloadRange = cidrSubnet(space, newBits, 0);
      const workloads = new ComputeSubnetwork(this, 'Workloads', {
        project: props.projectId,
        region: props.region,
        name: name('workloads'),
        description: "Deploy runners and the scoring endpoint's Private Service Connect address; Private Google Access on.",
        network: network.id,
        ipCidrRange: this.workloadRange,
        privateIpGoogleAccess: true,
        logConfig: flowLogs,
      });
      const jobs = new ComputeSubnetwork(this, 'Jobs', {
        project: props.projectId,
        region: props.region,
        name: name('jobs'),
        description: 'Network attachment of Vertex AI custom jobs (Private Service Connect interface); Private Google Access on.',
        network: network.id,
        ipCidrRange: cidrSubnet(space, newBits, 1),
        privateIpGoogleAccess: true,
        logConfig: flowLogs,
      });
      this.networkId = network.id;
      subnetworkId = workloads.id;
      attachmentSubnet = jobs.id;
      dependables.push(workloads, jobs);
    }
    const attachment = new ComputeNetworkAttachment(this, 'JobsAttachment', {
      project: props.projectId,
      region: props.region,
      name: name('jobs-attachment'),
      description: 'Vertex AI custom jobs join the VPC through this attachment (Private Service Connect interface).',
      // Vertex AI's producer projects are Google's tenant projects, not known in advance.
      connectionPreference: 'ACCEPT_AUTOMATIC',
      subnetworks: [attachmentSubnet],
      dependsOn: computeApi,
    });
    dependables.push(attachment);
    this.subnetworkId = subnetworkId;
    this.networkAttachmentId = attachment.id;
    this.dependables = dependables;
  }
}

/** An existing VPC network ({@link GcpNetwork.fromExisting}): nothing of the network managed here; at most a network attachment created in its subnetwork. */
class ImportedGcpNetwork extends Construct implements IGcpNetwork {
  public readonly cloud = 'gcp' as const;
  public readonly mode: NetworkMode = 'private';
  public readonly allowedIpRanges: readonly string[];
  public readonly networkId: string;
  public readonly subnetworkId: string;
  public readonly networkAttachmentId: string;
  public readonly dependables: readonly ITerraformDependable[];
  public readonly imported = true;
  public readonly region?: string;

  constructor(scope: Construct, id: string, attrs: GcpNetworkAttributes) {
    super(scope, id);
    const C = 'GcpNetwork.fromExisting';
    const issues = new IssueCollector();
    const bad = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, this.node.path, messages.propInvalid(C, prop, value, accepted));
    const literal = (v: unknown): v is string => typeof v === 'string' && !Token.isUnresolved(v);
    if (typeof attrs?.network !== 'string' || (literal(attrs.network) && !NETWORK_ID.test(attrs.network)))
      bad('network', attrs?.network, 'a VPC network id projects/<project>/global/networks/<name>');
    const subnetOk = typeof attrs?.subnetwork === 'string' && (!literal(attrs.subnetwork) || SUBNETWORK_ID.test(attrs.subnetwork));
    if (!subnetOk) bad('subnetwork', attrs?.subnetwork, 'a subnetwork id projects/<project>/regions/<region>/subnetworks/<name>');
    const subnet = subnetOk && literal(attrs.subnetwork) ? attrs.subnetwork.split('/') : undefined;
    if (subnet && literal(attrs.network) && NETWORK_ID.test(attrs.network) && attrs.network.split('/')[1] !== subnet[1]) {
      bad(
        'subnetwork',
        attrs.subnetwork,
        `a subnetwork of the network's project ${attrs.network.split('/')[1]} (a Shared VPC subnetwork lives in the host project, with the network)`,
      );
    }
    if (attrs?.networkAttachment !== undefined) {
      if (typeof attrs.networkAttachment !== 'string' || (literal(attrs.networkAttachment) && !ATTACHMENT_ID.test(attrs.networkAttachment))) {
        bad('networkAttachment', attrs.networkAttachment, 'a network attachment id projects/<project>/regions/<region>/networkAttachments/<name>');
      } else if (subnet && literal(attrs.networkAttachment) && attrs.networkAttachment.split('/')[3] !== subnet[3]) {
        bad('networkAttachment', attrs.networkAttachment, `a network attachment in the subnetwork's region ${subnet[3]}`);
      }
      if (attrs.networkAttachmentName !== undefined) bad('networkAttachmentName', attrs.networkAttachmentName, 'omitted when networkAttachment is given (nothing is created)');
    } else {
      checkPhysicalName(new PropChecks(issues, C, this.node.path), 'networkAttachmentName', attrs?.networkAttachmentName, 'computeName');
      if (!subnet && subnetOk)
        bad(
          'networkAttachment',
          undefined,
          "given when subnetwork is known only at apply time (a token): the attachment to create needs the subnetwork's project and region at synth",
        );
    }
    new PropChecks(issues, C, this.node.path).cidrs('allowedIpRanges', attrs?.allowedIpRanges);
    issues.throwIfAny(`Invalid ${C} attributes:`);

    this.allowedIpRanges = [...(attrs.allowedIpRanges ?? [])];
    this.networkId = attrs.network;
    this.subnetworkId = attrs.subnetwork;
    this.region = subnet?.[3] ?? (literal(attrs.networkAttachment) ? attrs.networkAttachment.split('/')[3] : undefined);
    if (attrs.networkAttachment !== undefined) {
      this.networkAttachmentId = attrs.networkAttachment;
      this.dependables = [];
    } else {
      const name = attrs.networkAttachmentName ?? `${subnet![5]}-ml-jobs`.slice(0, 63).replace(/-+$/, '');
      const attachment = new ComputeNetworkAttachment(this, 'JobsAttachment', {
        project: subnet![1],
        region: subnet![3],
        name,
        description: 'Vertex AI custom jobs join the VPC through this attachment (Private Service Connect interface); managed by cdktf-mlops.',
        connectionPreference: 'ACCEPT_AUTOMATIC',
        subnetworks: [attrs.subnetwork],
      });
      this.networkAttachmentId = attachment.id;
      this.dependables = [attachment];
    }
  }
}
