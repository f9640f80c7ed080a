import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DataAwsVpc } from '@cdktf/provider-aws/lib/data-aws-vpc';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { DEFAULT_ADDRESS_SPACE, ExistingAwsNetwork, checkAddressSpace, cidrSubnet } from '../core/network';
import { toNaming } from '../core/platform-props';
import { AWS_INTERFACE_ENDPOINT_SERVICES, AwsInterfaceEndpointService, HTTPS_PORT } from './perms';
import { partitionOf } from './private/arn';
import { awsTags } from './private/names';
import { checkEc2Ids, checkInt, checkRegion } from './private/validate';

/** Props of {@link AwsNetwork}. */
export interface AwsNetworkProps {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /** The region of the VPC (its endpoint service names are regional). */
  readonly region: string;
  /**
   * Address space of the VPC the construct creates (ignored with `existing`).
   * @default '10.40.0.0/16'
   */
  readonly addressSpace?: string;
  /**
   * Availability zones the private subnets span, one subnet each (2-4). The
   * zones are the first ones, in name order, of the region's zones that need
   * no opt-in (`data.aws_availability_zones`): Local and Wavelength Zones are
   * left out. Ignored with `existing`.
   * @default 2
   */
  readonly availabilityZoneCount?: number;
  /**
   * Use an existing VPC and its private subnets instead of creating them. The
   * construct still creates the workload security group, and the S3 gateway
   * endpoint (with `routeTableIds`) and the interface endpoints (unless
   * `createEndpoints` is false).
   * @default - a new VPC from `addressSpace`
   */
  readonly existing?: ExistingAwsNetwork;
  /**
   * The interface endpoints (private DNS on) the workload and Terraform reach
   * AWS through.
   * @default - every service of AWS_INTERFACE_ENDPOINT_SERVICES
   */
  readonly interfaceEndpoints?: readonly AwsInterfaceEndpointService[];
  /**
   * Extra tags, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The VPC endpoint service name of a service in a region (`com.amazonaws.<region>.<service>`; `cn.com.amazonaws…` for interface endpoints in China). */
export function awsEndpointServiceName(region: string, service: string, type: 'Gateway' | 'Interface'): string {
  const prefix = partitionOf(region) === 'aws-cn' && type === 'Interface' ? 'cn.com.amazonaws' : 'com.amazonaws';
  return `${prefix}.${region}.${service}`;
}

/**
 * The private network of an AWS platform (`network.mode: private`): a VPC
 * with DNS support, private subnets in two or more availability zones with
 * one route table and no internet or NAT gateway, a security group for the
 * workload and the endpoints (HTTPS within the VPC, all traffic between its
 * own members for distributed training, HTTPS out to the VPC and to S3), the
 * S3 gateway endpoint on the subnets' route table, and interface endpoints
 * with private DNS for SageMaker (API and runtime), ECR (API and registry),
 * STS, CloudWatch Logs, KMS and CloudWatch monitoring. Or the same inside an
 * existing VPC.
 */
export class AwsNetwork extends Construct {
  /** The VPC id. */
  public readonly vpcId: string;
  /** The VPC's IPv4 range. */
  public readonly cidrBlock: string;
  /** The private subnets (one per availability zone). */
  public readonly subnetIds: readonly string[];
  /** The route tables the S3 gateway endpoint is on (none for an existing VPC without `routeTableIds`). */
  public readonly routeTableIds: readonly string[];
  /** The security group of the workload (jobs, models) and the interface endpoints. */
  public readonly securityGroupId: string;
  /** The S3 gateway endpoint id, when one is created. */
  public readonly s3GatewayEndpointId?: string;
  /** The interface endpoint ids by service. */
  public readonly interfaceEndpointIds: Readonly<Partial<Record<AwsInterfaceEndpointService, string>>>;
  /** Whether the VPC was created by this construct. */
  public readonly created: boolean;
  /** What the workload needs in place before it runs in the VPC: the endpoints and the security group rules. */
  public readonly ready: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: AwsNetworkProps) {
    super(scope, id);
    const C = 'AwsNetwork';
    const where = this.node.path;
    const issues = new IssueCollector();
    checkRegion(issues, where, C, props.region);
    const existing = props.existing;
    const addressSpace = props.addressSpace ?? DEFAULT_ADDRESS_SPACE;
    const zoneCount = props.availabilityZoneCount ?? 2;
    if (existing) {
      checkEc2Ids(issues, where, C, 'existing.vpcId', 'vpc', [existing.vpcId]);
      checkEc2Ids(issues, where, C, 'existing.subnetIds', 'subnet', existing.subnetIds);
      checkEc2Ids(issues, where, C, 'existing.routeTableIds', 'rtb', existing.routeTableIds);
      if (!Array.isArray(existing.subnetIds) || new Set(existing.subnetIds).size < 2) {
        issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, 'existing.subnetIds', existing.subnetIds, 'at least two private subnets in different availability zones (SageMaker and the interface endpoints need two zones)'));
      }
    } else {
      checkAddressSpace(issues, C, where, props.addressSpace);
      checkInt(issues, where, C, 'availabilityZoneCount', props.availabilityZoneCount, 2, 4);
    }
    const unknown = (props.interfaceEndpoints ?? []).filter((s) => !AWS_INTERFACE_ENDPOINT_SERVICES.includes(s));
    if (unknown.length > 0) {
      issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, 'interfaceEndpoints', unknown, `services among ${AWS_INTERFACE_ENDPOINT_SERVICES.join(', ')}`));
    }
    issues.throwIfAny(`Invalid ${C} props:`);

    const naming = toNaming(props.naming);
    const prefix = naming.prefix;
    const tags = (name: string): Record<string, string> => ({ ...awsTags(naming, props.tags), Name: `${prefix}-${name}` });
    const region = props.region;

    let vpcId: string;
    let cidrBlock: string;
    let subnetIds: string[];
    let routeTableIds: string[];
    if (existing) {
      const vpc = new DataAwsVpc(this, 'Vpc', { id: existing.vpcId });
      vpcId = existing.vpcId;
      cidrBlock = vpc.cidrBlock;
      subnetIds = [...existing.subnetIds];
      routeTableIds = [...(existing.routeTableIds ?? [])];
      this.created = false;
    } else {
      // Subnets of a /20 in a /16 (each at least a /26), the first zones in name order.
      const prefixLength = Number(addressSpace.split('/')[1]);
      const newBits = Math.min(4, 26 - prefixLength);
      const zones = new DataAwsAvailabilityZones(this, 'Zones', {
        state: 'available',
        filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
      });
      const vpc = new Vpc(this, 'Resource', { cidrBlock: addressSpace, enableDnsSupport: true, enableDnsHostnames: true, tags: tags('vpc') });
      const table = new RouteTable(this, 'RouteTable', { vpcId: vpc.id, tags: tags('private') });
      subnetIds = [];
      for (let i = 0; i < zoneCount; i++) {
        const subnet = new Subnet(this, `Subnet${i + 1}`, {
          vpcId: vpc.id,
          cidrBlock: cidrSubnet(addressSpace, newBits, i),
          availabilityZone: Fn.element(Fn.sort(zones.names), i),
          mapPublicIpOnLaunch: false,
          tags: tags(`private-${i + 1}`),
        });
        new RouteTableAssociation(this, `RouteTableAssociation${i + 1}`, { subnetId: subnet.id, routeTableId: table.id });
        subnetIds.push(subnet.id);
      }
      vpcId = vpc.id;
      cidrBlock = vpc.cidrBlock;
      routeTableIds = [table.id];
      this.created = true;
    }

    const sg = new SecurityGroup(this, 'SecurityGroup', {
      name: `${prefix}-workload`,
      description: `ML platform ${prefix}: SageMaker jobs and models, and the VPC interface endpoints (HTTPS inside the VPC only).`,
      vpcId,
      tags: tags('workload'),
    });
    const ready: ITerraformDependable[] = [
      new VpcSecurityGroupIngressRule(this, 'HttpsFromVpc', {
        securityGroupId: sg.id,
        description: 'HTTPS to the interface endpoints from inside the VPC',
        ipProtocol: 'tcp',
        fromPort: HTTPS_PORT,
        toPort: HTTPS_PORT,
        cidrIpv4: cidrBlock,
      }),
      new VpcSecurityGroupIngressRule(this, 'FromSelf', {
        securityGroupId: sg.id,
        description: 'Traffic between the instances of one distributed training job',
        ipProtocol: '-1',
        referencedSecurityGroupId: sg.id,
      }),
      new VpcSecurityGroupEgressRule(this, 'HttpsToVpc', {
        securityGroupId: sg.id,
        description: 'HTTPS to the interface endpoints',
        ipProtocol: 'tcp',
        fromPort: HTTPS_PORT,
        toPort: HTTPS_PORT,
        cidrIpv4: cidrBlock,
      }),
      new VpcSecurityGroupEgressRule(this, 'ToSelf', {
        securityGroupId: sg.id,
        description: 'Traffic between the instances of one distributed training job',
        ipProtocol: '-1',
        referencedSecurityGroupId: sg.id,
      }),
    ];

    if (routeTableIds.length > 0) {
      const s3 = new VpcEndpoint(this, 'S3', {
        vpcId,
        serviceName: awsEndpointServiceName(region, 's3', 'Gateway'),
        vpcEndpointType: 'Gateway',
        routeTableIds,
        tags: tags('s3'),
      });
      this.s3GatewayEndpointId = s3.id;
      ready.push(
        s3,
        new VpcSecurityGroupEgressRule(this, 'HttpsToS3', {
          securityGroupId: sg.id,
          description: 'HTTPS to S3 through the gateway endpoint',
          ipProtocol: 'tcp',
          fromPort: HTTPS_PORT,
          toPort: HTTPS_PORT,
          prefixListId: s3.prefixListId,
        }),
      );
    }

    const endpoints: Partial<Record<AwsInterfaceEndpointService, string>> = {};
    if (existing?.createEndpoints !== false) {
      for (const service of props.interfaceEndpoints ?? AWS_INTERFACE_ENDPOINT_SERVICES) {
        const endpoint = new VpcEndpoint(this, `Endpoint-${service.replace(/\./g, '-')}`, {
          vpcId,
          serviceName: awsEndpointServiceName(region, service, 'Interface'),
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds,
          securityGroupIds: [sg.id],
          tags: tags(service.replace(/\./g, '-')),
        });
        endpoints[service] = endpoint.id;
        ready.push(endpoint);
      }
    }

    this.vpcId = vpcId;
    this.cidrBlock = cidrBlock;
    this.subnetIds = subnetIds;
    this.routeTableIds = routeTableIds;
    this.securityGroupId = sg.id;
    this.interfaceEndpointIds = endpoints;
    this.ready = ready;
  }
}
