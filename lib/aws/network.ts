import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DataAwsVpc } from '@cdktf/provider-aws/lib/data-aws-vpc';
import { DataAwsVpcEndpointService } from '@cdktf/provider-aws/lib/data-aws-vpc-endpoint-service';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ErrorCode, IssueCollector, messages, show } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { DEFAULT_ADDRESS_SPACE, ExistingAwsNetwork, checkAddressSpace, cidrSubnet } from '../core/network';
import { toNaming } from '../core/platform-props';
import { AWS_INTERFACE_ENDPOINT_SERVICES, AwsInterfaceEndpointService, HTTPS_PORT, sageMakerMlflowEndpointService } from './perms';
import { partitionOf } from './arn';
import { awsTags } from './names';
import { checkEc2Ids } from './validate';
import { PropChecks } from '../core/validate';

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
  /**
   * The base of the network's names (1-200 of letters, digits and . _ - :
   * / ( ) # , @ [ ] + = & ; { } ! $ *): the security group is
   * `<physicalName>-workload`, the Name tags `<physicalName>-vpc`,
   * `<physicalName>-private-<n>`, `<physicalName>-<service>`.
   * @default - `<company>-<project>-<env>` from the naming helper
   */
  readonly physicalName?: string;
  /**
   * An existing security group for the workload and the interface endpoints
   * (with `existing` only): the construct then creates no security group
   * and no rules; the group must let the workload reach the endpoints and
   * S3 over HTTPS, and the instances of one job reach each other.
   * @default - the construct creates the group and its rules
   */
  readonly securityGroupId?: string;
}

/**
 * Attributes of an existing VPC for {@link AwsNetwork.fromExisting}: its
 * ids (the `network.existing.aws` of a config), and what the construct
 * needs to name and place what it adds.
 */
export interface AwsNetworkAttributes extends ExistingAwsNetwork {
  /** The naming helper, or the parts to build one from (tags and the default names). */
  readonly naming: Naming | NamingParts;
  /** The VPC's region. */
  readonly region: string;
  /**
   * An existing security group for the workload and the endpoints.
   * @default - the construct creates one (see {@link AwsNetworkProps.securityGroupId})
   */
  readonly securityGroupId?: string;
  /**
   * The interface endpoints to create (with `createEndpoints` on).
   * @default - every service of AWS_INTERFACE_ENDPOINT_SERVICES
   */
  readonly interfaceEndpoints?: readonly AwsInterfaceEndpointService[];
  /**
   * The base of the names of what the construct adds.
   * @default - `<company>-<project>-<env>`
   */
  readonly physicalName?: string;
  /**
   * Extra tags, besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Security group names: up to 255 of these characters (the base leaves room for `-workload`). */
const SECURITY_GROUP_NAME = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,200}$/;

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
  /**
   * An existing VPC (a landing zone's), to pass to platforms as
   * `existing.network` or share between stacks: the VPC and its subnets are
   * only read; the construct adds the workload security group (unless
   * `securityGroupId` is given), the S3 gateway endpoint (with
   * `routeTableIds`) and the interface endpoints (unless `createEndpoints`
   * is false). The same as `new AwsNetwork(scope, id, { …, existing })`.
   */
  static fromExisting(scope: Construct, id: string, attrs: AwsNetworkAttributes): AwsNetwork {
    const { naming, region, securityGroupId, interfaceEndpoints, physicalName, tags, vpcId, subnetIds, routeTableIds, createEndpoints } = attrs ?? ({} as AwsNetworkAttributes);
    return new AwsNetwork(scope, id, {
      naming,
      region,
      securityGroupId,
      interfaceEndpoints,
      physicalName,
      tags,
      existing: { vpcId, subnetIds, routeTableIds, createEndpoints },
    });
  }

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
  /** Whether the security group was created by this construct (false with `securityGroupId`). */
  public readonly securityGroupCreated: boolean;
  /** What the workload needs in place before it runs in the VPC: the endpoints and the security group rules. */
  public readonly ready: readonly ITerraformDependable[];
  private mlflowEndpoint?: string;

  private readonly readyList: ITerraformDependable[];
  private readonly endpointProps: {
    readonly region: string;
    readonly create: boolean;
    readonly subnetZones?: readonly string[];
    readonly tags: (name: string) => Record<string, string>;
  };

  constructor(scope: Construct, id: string, props: AwsNetworkProps) {
    super(scope, id);
    const C = 'AwsNetwork';
    const where = this.node.path;
    const issues = new IssueCollector();
    new PropChecks(issues, C, where).region('aws', 'region', props.region);
    const existing = props.existing;
    const addressSpace = props.addressSpace ?? DEFAULT_ADDRESS_SPACE;
    const zoneCount = props.availabilityZoneCount ?? 2;
    if (existing) {
      checkEc2Ids(new PropChecks(issues, C, where), 'existing.vpcId', 'vpc', [existing.vpcId]);
      checkEc2Ids(new PropChecks(issues, C, where), 'existing.subnetIds', 'subnet', existing.subnetIds);
      checkEc2Ids(new PropChecks(issues, C, where), 'existing.routeTableIds', 'rtb', existing.routeTableIds);
      if (!Array.isArray(existing.subnetIds) || new Set(existing.subnetIds).size < 2) {
        issues.add(
          ErrorCode.PROP_INVALID,
          where,
          messages.propInvalid(
            C,
            'existing.subnetIds',
            existing.subnetIds,
            'at least two private subnets in different availability zones (SageMaker and the interface endpoints need two zones)',
          ),
        );
      }
    } else {
      checkAddressSpace(new PropChecks(issues, C, where), props.addressSpace);
      new PropChecks(issues, C, where).int('availabilityZoneCount', props.availabilityZoneCount, 2, 4);
    }
    if (props.securityGroupId !== undefined) {
      if (!existing) {
        issues.add(
          ErrorCode.PROP_INVALID,
          where,
          messages.propInvalid(C, 'securityGroupId', props.securityGroupId, 'unset unless `existing` is given (a VPC the construct creates gets its own security group)'),
        );
      } else {
        checkEc2Ids(new PropChecks(issues, C, where), 'securityGroupId', 'sg', [props.securityGroupId]);
      }
    }
    if (props.physicalName !== undefined && !(typeof props.physicalName === 'string' && (Token.isUnresolved(props.physicalName) || SECURITY_GROUP_NAME.test(props.physicalName)))) {
      issues.add(
        ErrorCode.NAME_INVALID,
        where,
        `The 'physicalName' prop of ${C} must be 1-200 characters of letters, digits, spaces and . _ - : / ( ) # , @ [ ] + = & ; { } ! $ * ` +
          `(the security group is named <physicalName>-workload, at most 255). Got ${show(props.physicalName)}. Fix: pass a shorter name, or leave it unset for <company>-<project>-<env>.`,
      );
    }
    const unknown = (props.interfaceEndpoints ?? []).filter((s) => !AWS_INTERFACE_ENDPOINT_SERVICES.includes(s));
    if (unknown.length > 0) {
      issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid(C, 'interfaceEndpoints', unknown, `services among ${AWS_INTERFACE_ENDPOINT_SERVICES.join(', ')}`));
    }
    issues.throwIfAny(`Invalid ${C} props:`);

    const naming = toNaming(props.naming);
    const prefix = props.physicalName ?? naming.prefix;
    const tags = (name: string): Record<string, string> => ({ ...awsTags(naming, props.tags), Name: `${prefix}-${name}` });
    const region = props.region;

    let vpcId: string;
    let cidrBlock: string;
    let subnetIds: string[];
    let routeTableIds: string[];
    let subnetZones: string[] | undefined;
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
      subnetZones = [];
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
        subnetZones.push(subnet.availabilityZone);
      }
      vpcId = vpc.id;
      cidrBlock = vpc.cidrBlock;
      routeTableIds = [table.id];
      this.created = true;
    }

    let securityGroupId: string;
    const ready: ITerraformDependable[] = [];
    if (props.securityGroupId !== undefined) {
      securityGroupId = props.securityGroupId;
      this.securityGroupCreated = false;
    } else {
      const sg = new SecurityGroup(this, 'SecurityGroup', {
        name: `${prefix}-workload`,
        description: `ML platform ${prefix}: SageMaker jobs and models, and the VPC interface endpoints (HTTPS inside the VPC only).`,
        vpcId,
        tags: tags('workload'),
      });
      securityGroupId = sg.id;
      this.securityGroupCreated = true;
      ready.push(
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
      );
    }

    if (routeTableIds.length > 0) {
      const s3 = new VpcEndpoint(this, 'S3', {
        vpcId,
        serviceName: awsEndpointServiceName(region, 's3', 'Gateway'),
        vpcEndpointType: 'Gateway',
        routeTableIds,
        tags: tags('s3'),
      });
      this.s3GatewayEndpointId = s3.id;
      ready.push(s3);
      // An existing security group's rules are its owner's.
      if (this.securityGroupCreated) {
        ready.push(
          new VpcSecurityGroupEgressRule(this, 'HttpsToS3', {
            securityGroupId,
            description: 'HTTPS to S3 through the gateway endpoint',
            ipProtocol: 'tcp',
            fromPort: HTTPS_PORT,
            toPort: HTTPS_PORT,
            prefixListId: s3.prefixListId,
          }),
        );
      }
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
          securityGroupIds: [securityGroupId],
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
    this.securityGroupId = securityGroupId;
    this.interfaceEndpointIds = endpoints;
    this.ready = ready;
    this.readyList = ready;
    this.endpointProps = { region, create: existing?.createEndpoints !== false, subnetZones, tags };
  }

  /**
   * Adds the interface endpoint of the SageMaker MLflow API
   * (`aws.sagemaker.<region>.experiments`, private DNS on, the workload
   * security group) so that jobs in the VPC reach a tracking server; once
   * (later calls return the same id), and only when the construct creates the
   * endpoints (not with `existing.createEndpoints: false`: then the network's
   * owner provides it). In a VPC the construct creates, the endpoint goes in
   * the subnets whose zone the service is offered in (`data.aws_vpc_endpoint_service`,
   * Terraform `matchkeys`); in an existing VPC, in its given subnets. It joins
   * {@link ready}.
   */
  addMlflowEndpoint(): string | undefined {
    if (this.mlflowEndpoint !== undefined || !this.endpointProps.create) return this.mlflowEndpoint;
    const { region, subnetZones, tags } = this.endpointProps;
    const serviceName = sageMakerMlflowEndpointService(region);
    let subnetIds: string[] = [...this.subnetIds];
    if (subnetZones) {
      const service = new DataAwsVpcEndpointService(this, 'MlflowService', { serviceName, serviceType: 'Interface' });
      subnetIds = Fn.matchkeys(subnetIds, [...subnetZones], service.availabilityZones);
    }
    const endpoint = new VpcEndpoint(this, 'Endpoint-mlflow', {
      vpcId: this.vpcId,
      serviceName,
      vpcEndpointType: 'Interface',
      privateDnsEnabled: true,
      subnetIds,
      securityGroupIds: [this.securityGroupId],
      tags: tags('mlflow'),
    });
    this.mlflowEndpoint = endpoint.id;
    this.readyList.push(endpoint);
    return this.mlflowEndpoint;
  }

  /** The interface endpoint of the SageMaker MLflow API, once {@link addMlflowEndpoint} created it. */
  get mlflowEndpointId(): string | undefined {
    return this.mlflowEndpoint;
  }
}
