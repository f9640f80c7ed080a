import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeNetworkAttachment } from '@cdktf/provider-google/lib/compute-network-attachment';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformNetwork } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { NameRule, sanitise } from '../core/naming';
import { ExistingGcpNetwork, NetworkMode, NETWORK_MODES, checkAddressSpace, cidrSubnet } from '../core/network';
import { GcpCommonProps } from './common';
import { checkCommon, namingAndLabels } from './private/common';
import { checkCidrs } from './private/validation';

/** Compute Engine names: 1-63 lowercase letters, digits and hyphens, starting with a letter. */
const COMPUTE_NAME: NameRule = { cloud: 'gcp', label: 'Compute Engine resource name', min: 1, max: 63, separator: '-', startsWithLetter: true };
const NETWORK_ID = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/global\/networks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBNETWORK_ID = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/regions\/[a-z]+(-[a-z]+)+[0-9]+\/subnetworks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Records every problem with the network props of `construct` (mode, ranges, address space, existing network). */
export function checkGcpNetwork(issues: IssueCollector, construct: string, path: string, props: Omit<GcpNetworkProps, 'naming' | 'projectId'>): void {
  const mode = props.mode ?? 'firewalled';
  const bad = (prop: string, value: unknown, accepted: string): void => issues.add(ErrorCode.PROP_INVALID, path, messages.propInvalid(construct, prop, value, accepted));
  if (!(NETWORK_MODES as readonly string[]).includes(mode)) bad('network.mode', mode, `one of ${NETWORK_MODES.join(', ')}`);
  checkCidrs(issues, construct, path, 'network.allowedIpRanges', props.allowedIpRanges);
  checkAddressSpace(issues, construct, path, props.addressSpace);
  const existing = props.existing;
  if (existing === undefined) return;
  if (mode !== 'private') bad('network.existing.gcp', existing, `nothing outside private mode (mode is ${mode}): remove it, or set network.mode: private`);
  if (!Token.isUnresolved(existing.network) && !NETWORK_ID.test(existing.network ?? '')) bad('network.existing.gcp.network', existing.network, 'a VPC network id projects/<project>/global/networks/<name>');
  if (!Token.isUnresolved(existing.subnetwork) && !SUBNETWORK_ID.test(existing.subnetwork ?? '')) {
    bad('network.existing.gcp.subnetwork', existing.subnetwork, 'a subnetwork id projects/<project>/regions/<region>/subnetworks/<name>');
  } else if (!Token.isUnresolved(existing.subnetwork) && props.region !== undefined && !Token.isUnresolved(props.region) && !existing.subnetwork.includes(`/regions/${props.region}/`)) {
    bad('network.existing.gcp.subnetwork', existing.subnetwork, `a subnetwork in the platform's region ${props.region} (Private Service Connect endpoints and network attachments are regional)`);
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
export class GcpNetwork extends Construct implements IPlatformNetwork {
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

  constructor(scope: Construct, id: string, props: GcpNetworkProps) {
    super(scope, id);
    const C = 'GcpNetwork';
    const issues = new IssueCollector();
    checkCommon(issues, C, this, props);
    checkGcpNetwork(issues, C, this.node.path, props);
    const mode = props.mode ?? 'firewalled';
    const existing = props.existing;
    issues.throwIfAny(`Invalid ${C} props:`);

    this.mode = mode;
    this.allowedIpRanges = [...(props.allowedIpRanges ?? [])];
    if (mode !== 'private') {
      this.dependables = [];
      return;
    }

    const { naming, labels: _labels } = namingAndLabels(props);
    const name = (suffix: string): string => sanitise([naming.parts.company, naming.parts.project, naming.parts.environment, suffix], COMPUTE_NAME).slice(0, 63).replace(/-+$/, '');
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
        description: 'Deploy runners and the scoring endpoint\'s Private Service Connect address; Private Google Access on.',
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
