import { z } from 'zod';
import { CLOUDS, Cloud } from '../core/cloud';
import { AZURE_PRIVATE_DNS_ZONES, AzurePrivateDnsZoneKind, DEFAULT_ADDRESS_SPACE, DEFAULT_NETWORK_MODE, NETWORK_MODES } from '../core/network';
import { SIZE_NAMES } from '../core/sizes';
import { IMAGE_URI_BY_DIGEST, IMAGE_URI_EXAMPLE } from '../image/image-ref';

/**
 * The stack config schema: one schema, the static type inferred from it.
 * Field documentation (what is accepted, the fix) lives in {@link CONFIG_FIELDS},
 * which the error formatter and the README's config reference share.
 */

const namePart = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/).min(2).max(20);
const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/);
const cidr = z
  .string()
  .regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/([0-9]|[12]\d|3[0-2]))?$/);

const azureSubnetId = z.string().regex(/^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/);
const azureDnsZoneId = z.string().regex(/^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/[^/]+$/);
const AZURE_DNS_ZONE_KINDS = Object.keys(AZURE_PRIVATE_DNS_ZONES) as AzurePrivateDnsZoneKind[];

const machineOverride = z
  .object({
    azure: z.string().min(1).optional(),
    aws: z.string().regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/).optional(),
    gcp: z.string().min(1).optional(),
  })
  .strict();

const backend = z.discriminatedUnion('type', [
  z.object({ type: z.literal('local'), path: z.string().min(1).optional() }).strict(),
  z
    .object({
      type: z.literal('s3'),
      bucket: z.string().min(3),
      key: z.string().min(1),
      region: z.string().min(1),
      dynamodbTable: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('azurerm'),
      resourceGroupName: z.string().min(1),
      storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/),
      containerName: z.string().min(3),
      key: z.string().min(1),
    })
    .strict(),
  z.object({ type: z.literal('gcs'), bucket: z.string().min(3), prefix: z.string().min(1).optional() }).strict(),
]);

/** Hyperparameter values as the platforms deliver them: strings (numbers and booleans are written as text). */
const hyperparameters = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/), z.union([z.string().max(2048), z.number(), z.boolean()])).default({});

/** Model / endpoint name part: lowercase letters, digits, hyphens. */
const modelName = z.string().regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/);

const rollout = z
  .object({
    strategy: z.enum(['canary', 'linear', 'all-at-once']).default('canary'),
    canaryPercent: z.number().int().min(1).max(50).default(10),
    stepPercent: z.number().int().min(5).max(50).default(25),
    bakeMinutes: z.number().int().min(0).max(120).default(10),
  })
  .strict()
  .default({ strategy: 'canary', canaryPercent: 10, stepPercent: 25, bakeMinutes: 10 });

const alarms = z
  .object({
    errorRatePercent: z.number().gt(0).max(100).default(5),
    latencyP95Ms: z.number().int().min(1).max(600000).default(1000),
  })
  .strict()
  .default({ errorRatePercent: 5, latencyP95Ms: 1000 });

const deployment = z
  .object({
    model: modelName,
    image: z
      .object({
        platform: z.enum(['linux/amd64', 'linux/arm64']).default('linux/amd64'),
        // An image built elsewhere, pinned by digest (see IMAGE_URI_BY_DIGEST): no build at deploy.
        uri: z.string().regex(IMAGE_URI_BY_DIGEST).optional(),
      })
      .strict()
      .default({ platform: 'linux/amd64' }),
    training: z
      .object({
        data: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/).refine((p) => !p.split('/').includes('..'), 'no ".." segments'),
        upload: z.string().min(1).optional(),
        uploadOutsideProject: z.boolean().optional(),
        hyperparameters,
        instanceCount: z.number().int().min(1).max(100).default(1),
        maxRuntimeMinutes: z.number().int().min(5).max(7 * 24 * 60).default(120),
      })
      .strict(),
    endpoint: z
      .object({
        size: z.enum(SIZE_NAMES).default('small'),
        instanceType: machineOverride.optional(),
        minInstances: z.number().int().min(1).max(20).default(1),
        maxInstances: z.number().int().min(1).max(100).default(2),
        rollout,
        alarms,
      })
      .strict()
      .default({
        size: 'small',
        minInstances: 1,
        maxInstances: 2,
        rollout: { strategy: 'canary', canaryPercent: 10, stepPercent: 25, bakeMinutes: 10 },
        alarms: { errorRatePercent: 5, latencyP95Ms: 1000 },
      }),
  })
  .strict();

/** An exact branch or environment name: OIDC subjects are matched exactly, so no wildcards. */
const githubRef = z.string().regex(/^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_./-]{0,99}$/);

const ci = z
  .object({
    github: z
      .object({
        repository: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/),
        branches: z.array(githubRef).default(['main']),
        environments: z.array(githubRef).default([]),
        pullRequests: z.boolean().default(false),
      })
      .strict(),
  })
  .strict();

const alerts = z
  .object({
    email: z.array(z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/)).default([]),
    webhooks: z.array(z.string().regex(/^https:\/\/[^\s]+$/)).default([]),
    noTrafficMinutes: z.number().int().min(5).max(1440).default(60),
  })
  .strict();

/** The stack config schema. */
export const StackConfigSchema = z
  .object({
    cloud: z.enum(CLOUDS),
    naming: z
      .object({
        company: namePart,
        project: namePart,
        environment: z.string().regex(/^[a-z][a-z0-9]*$/).min(2).max(8),
        suffix: z.string().regex(/^[a-z0-9]{1,6}$/).optional(),
      })
      .strict(),
    region: z.string().min(1),
    azure: z.object({ subscriptionId: uuid, tenantId: uuid }).strict().optional(),
    aws: z.object({ accountId: z.string().regex(/^\d{12}$/) }).strict().optional(),
    gcp: z.object({ projectId: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/) }).strict().optional(),
    tags: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.:/=+@-]{0,62}$/), z.string().max(256)).default({}),
    compute: z
      .object({
        training: z
          .object({
            size: z.enum(SIZE_NAMES).default('small'),
            instanceType: machineOverride.optional(),
            maxNodes: z.number().int().min(1).max(100).default(4),
            lowPriority: z.boolean().default(false),
          })
          .strict()
          .default({ size: 'small', maxNodes: 4, lowPriority: false }),
      })
      .strict()
      .default({ training: { size: 'small', maxNodes: 4, lowPriority: false } }),
    network: z
      .object({
        mode: z.enum(NETWORK_MODES).default(DEFAULT_NETWORK_MODE),
        allowedIpRanges: z.array(cidr).default([]),
        addressSpace: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/).optional(),
        existing: z
          .object({
            azure: z
              .object({
                subnetId: azureSubnetId,
                privateDnsZoneIds: z
                  .object(Object.fromEntries(AZURE_DNS_ZONE_KINDS.map((k) => [k, azureDnsZoneId.optional()])) as Record<AzurePrivateDnsZoneKind, z.ZodOptional<typeof azureDnsZoneId>>)
                  .strict()
                  .optional(),
              })
              .strict()
              .optional(),
            aws: z
              .object({
                vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/),
                subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/)).min(2),
                routeTableIds: z.array(z.string().regex(/^rtb-[0-9a-f]{8,17}$/)).optional(),
                createEndpoints: z.boolean().default(true),
              })
              .strict()
              .optional(),
            gcp: z
              .object({
                network: z.string().regex(/^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/global\/networks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/),
                subnetwork: z.string().regex(/^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/regions\/[a-z]+-[a-z]+\d+\/subnetworks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/),
              })
              .strict()
              .optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ mode: DEFAULT_NETWORK_MODE, allowedIpRanges: [] }),
    deployers: z.array(z.string().min(1)).optional(),
    protection: z.object({ retainData: z.boolean().default(true) }).strict().default({ retainData: true }),
    backend: backend.default({ type: 'local' }),
    deployment: deployment.optional(),
    ci: ci.optional(),
    alerts: alerts.optional(),
  })
  .strict();

/** A validated stack config. */
export type StackConfig = z.infer<typeof StackConfigSchema>;
/** A stack config as written in YAML (defaults not yet applied). */
export type StackConfigInput = z.input<typeof StackConfigSchema>;

/** The accepted region format per cloud. */
export const REGION_FORMATS: Record<Cloud, { readonly pattern: RegExp; readonly example: string }> = {
  azure: { pattern: /^[a-z]+[a-z0-9]*$/, example: 'westeurope, eastus2, swedencentral' },
  aws: { pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, example: 'eu-west-1, us-east-1' },
  gcp: { pattern: /^[a-z]+-[a-z]+\d+$/, example: 'europe-west4, us-central1' },
};

/** What a config field accepts, its default and how to fix a bad value. */
export interface ConfigField {
  /** Dotted path; `*` matches any key or index. */
  readonly path: string;
  /** What the field means. */
  readonly description: string;
  /** What values are accepted. */
  readonly accepted: string;
  /** The default, where the field is optional. */
  readonly default?: string;
  /** How to fix a bad value. */
  readonly fix: string;
}

/** Documentation of every config field: used by error messages and the README. */
export const CONFIG_FIELDS: readonly ConfigField[] = [
  { path: 'cloud', description: 'The cloud the platform is deployed to.', accepted: `one of ${CLOUDS.join(', ')}`, fix: 'set cloud: azure, aws or gcp' },
  { path: 'naming', description: 'Naming parts for `<company>-<project>-<env>-<resource>`.', accepted: 'an object with company, project, environment', fix: 'add a naming: section' },
  { path: 'naming.company', description: 'Company or organisation short name.', accepted: '2-20 characters: a letter, then letters, digits or hyphens', fix: 'use a short name such as "contoso"' },
  { path: 'naming.project', description: 'Project short name.', accepted: '2-20 characters: a letter, then letters, digits or hyphens', fix: 'use a short name such as "mlops"' },
  { path: 'naming.environment', description: 'Environment name.', accepted: '2-8 lowercase letters or digits, starting with a letter', fix: 'use dev, test, staging or prod' },
  { path: 'naming.suffix', description: 'Short suffix appended to globally unique names (storage accounts, buckets, vaults, registries).', accepted: '1-6 lowercase letters or digits', default: 'none', fix: 'use a short random string such as "x7k2"' },
  { path: 'region', description: 'The cloud region.', accepted: 'a region name of the selected cloud', fix: 'use the region name as the cloud spells it' },
  { path: 'azure', description: 'Azure account identity (required when cloud is azure).', accepted: 'an object with subscriptionId and tenantId', fix: 'add azure: { subscriptionId: <uuid>, tenantId: <uuid> } (az account show)' },
  { path: 'azure.subscriptionId', description: 'Azure subscription id.', accepted: 'a UUID', fix: 'copy the "id" printed by `az account show`' },
  { path: 'azure.tenantId', description: 'Microsoft Entra tenant id.', accepted: 'a UUID', fix: 'copy the "tenantId" printed by `az account show`' },
  { path: 'aws', description: 'AWS account identity (required when cloud is aws).', accepted: 'an object with accountId', fix: 'add aws: { accountId: "<12 digits>" } (aws sts get-caller-identity)' },
  { path: 'aws.accountId', description: 'AWS account id; the provider refuses any other account.', accepted: 'exactly 12 digits, quoted', fix: 'copy the "Account" printed by `aws sts get-caller-identity`, in quotes' },
  { path: 'gcp', description: 'GCP project identity (required when cloud is gcp).', accepted: 'an object with projectId', fix: 'add gcp: { projectId: <project id> } (gcloud config get-value project)' },
  { path: 'gcp.projectId', description: 'GCP project id.', accepted: '6-30 characters: lowercase letters, digits, hyphens; starts with a letter', fix: 'use the project id (not its name or number)' },
  { path: 'tags', description: 'Tags (labels on GCP) put on every resource.', accepted: 'a map of string keys to string values', default: '{}', fix: 'write tags as key: "value" pairs' },
  { path: 'tags.*', description: 'One tag.', accepted: 'a key starting with a letter (max 63 characters) and a string value (max 256)', fix: 'quote the value and start the key with a letter' },
  { path: 'compute', description: 'Compute settings.', accepted: 'an object with training', default: '{}', fix: 'see compute.training' },
  { path: 'compute.training', description: 'Training compute.', accepted: 'an object with size, instanceType, maxNodes, lowPriority', default: '{}', fix: 'see its fields' },
  { path: 'compute.training.size', description: 'Cloud-neutral machine size.', accepted: `one of ${SIZE_NAMES.join(', ')}`, default: 'small', fix: 'pick a size, or set compute.training.instanceType.<cloud> for an exact machine' },
  { path: 'compute.training.instanceType', description: 'Explicit machine per cloud, overriding size.', accepted: 'an object with optional azure, aws, gcp strings', default: 'from size', fix: 'e.g. instanceType: { aws: ml.g5.xlarge }' },
  { path: 'compute.training.instanceType.azure', description: 'Azure VM size.', accepted: 'a VM size such as Standard_D8s_v3', fix: 'use an Azure ML supported VM size' },
  { path: 'compute.training.instanceType.aws', description: 'SageMaker instance type.', accepted: 'ml.<family>.<size>, e.g. ml.m5.xlarge', fix: 'prefix the EC2 type with "ml."' },
  { path: 'compute.training.instanceType.gcp', description: 'Compute Engine machine type.', accepted: 'a machine type such as n1-standard-8', fix: 'use a Vertex AI supported machine type' },
  { path: 'compute.training.maxNodes', description: 'Most nodes a training job may use.', accepted: 'an integer from 1 to 100', default: '4', fix: 'set a whole number between 1 and 100' },
  { path: 'compute.training.lowPriority', description: 'Use low-priority / spot capacity for training.', accepted: 'true or false', default: 'false', fix: 'write true or false without quotes' },
  { path: 'network', description: 'How the data planes (keys, storage, registry, workspace, endpoint) are reached; see the README, "Network modes".', accepted: 'an object with mode, allowedIpRanges, addressSpace, existing', default: '{ mode: firewalled }', fix: 'see its fields' },
  { path: 'network.mode', description: 'public: public endpoints, identity only (sandboxes); firewalled: public endpoints behind default-deny firewalls that let allowedIpRanges through; private: a VNet/VPC with private endpoints, jobs and endpoints inside, Terraform run from inside.', accepted: `one of ${NETWORK_MODES.join(', ')}`, default: DEFAULT_NETWORK_MODE, fix: 'pick one of the three; firewalled needs the deployer\'s egress in allowedIpRanges on Azure, private needs a runner inside the network' },
  { path: 'network.allowedIpRanges', description: 'CIDR ranges let through the firewalls: the egress of whoever runs `cdktf deploy` and of the CI runners (a VPN range in private mode).', accepted: 'a list of public IPv4 CIDRs', default: '[]', fix: 'list ranges such as 203.0.113.0/24 (curl -s https://checkip.amazonaws.com)' },
  { path: 'network.allowedIpRanges.*', description: 'One allowed range.', accepted: 'an IPv4 address or CIDR such as 203.0.113.0/24', fix: 'write a.b.c.d/nn with each part in range' },
  { path: 'network.addressSpace', description: 'Address space of the network the stack creates in private mode.', accepted: 'an IPv4 CIDR from /8 to /24', default: DEFAULT_ADDRESS_SPACE, fix: 'pick a range that does not overlap networks you peer with, e.g. 10.40.0.0/16' },
  { path: 'network.existing', description: 'An existing network to use in private mode instead of creating one (hub-and-spoke landing zones).', accepted: 'an object with the selected cloud\'s section: azure, aws or gcp', default: 'none (the stack creates the network)', fix: 'add existing: { <cloud>: { … } } for the selected cloud' },
  { path: 'network.existing.azure', description: 'The existing Azure subnet for the private endpoints, and the hub\'s private DNS zones.', accepted: 'an object with subnetId and privateDnsZoneIds', fix: 'add azure: { subnetId: <subnet resource id> }' },
  { path: 'network.existing.azure.subnetId', description: 'Subnet the private endpoints are created in.', accepted: 'a subnet resource id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>', fix: 'copy it from `az network vnet subnet show --query id -o tsv`' },
  { path: 'network.existing.azure.privateDnsZoneIds', description: 'Existing private DNS zones (already linked to the network) by kind; kinds not listed are created and linked by the stack.', accepted: `an object with optional ${AZURE_DNS_ZONE_KINDS.join(', ')} zone ids`, default: 'none (the stack creates every zone)', fix: 'map each kind to its zone resource id' },
  { path: 'network.existing.azure.privateDnsZoneIds.*', description: 'One private DNS zone.', accepted: 'a private DNS zone resource id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone>', fix: 'copy it from `az network private-dns zone show --query id -o tsv`' },
  { path: 'network.existing.aws', description: 'The existing VPC the jobs, endpoints and VPC endpoints go in.', accepted: 'an object with vpcId, subnetIds, routeTableIds, createEndpoints', fix: 'add aws: { vpcId: vpc-…, subnetIds: [subnet-…, subnet-…] }' },
  { path: 'network.existing.aws.vpcId', description: 'The VPC id.', accepted: 'vpc- and 8 or 17 hex digits', fix: 'copy it from `aws ec2 describe-vpcs`' },
  { path: 'network.existing.aws.subnetIds', description: 'Private subnets in at least two availability zones.', accepted: 'a list of at least two subnet ids', fix: 'list two or more subnet-… ids in different zones' },
  { path: 'network.existing.aws.subnetIds.*', description: 'One subnet.', accepted: 'subnet- and 8 or 17 hex digits', fix: 'copy it from `aws ec2 describe-subnets`' },
  { path: 'network.existing.aws.routeTableIds', description: 'Route tables of the subnets, for the S3 gateway endpoint.', accepted: 'a list of route table ids', default: 'none (no S3 gateway endpoint is created: the VPC must reach S3 privately already)', fix: 'list the rtb-… ids of the subnets' },
  { path: 'network.existing.aws.routeTableIds.*', description: 'One route table.', accepted: 'rtb- and 8 or 17 hex digits', fix: 'copy it from `aws ec2 describe-route-tables`' },
  { path: 'network.existing.aws.createEndpoints', description: 'Create the interface endpoints (SageMaker, ECR, STS, logs, KMS, monitoring) in the VPC.', accepted: 'true or false', default: 'true', fix: 'set false when the landing zone resolves these endpoints centrally' },
  { path: 'network.existing.gcp', description: 'The existing VPC network and subnetwork (with Private Google Access).', accepted: 'an object with network and subnetwork', fix: 'add gcp: { network: projects/<p>/global/networks/<n>, subnetwork: projects/<p>/regions/<r>/subnetworks/<s> }' },
  { path: 'network.existing.gcp.network', description: 'The VPC network id.', accepted: 'projects/<project>/global/networks/<name>', fix: 'copy it from `gcloud compute networks describe <name> --format="value(selfLink)"` without the https://…/v1/ prefix' },
  { path: 'network.existing.gcp.subnetwork', description: 'The subnetwork id.', accepted: 'projects/<project>/regions/<region>/subnetworks/<name>', fix: 'copy it from `gcloud compute networks subnets describe` without the https://…/v1/ prefix' },
  { path: 'deployers', description: 'The principals that run `cdktf deploy` by hand (CI is added by ci:): they get the data-plane roles Terraform needs and are never caught by a deny.', accepted: 'a list of Azure object ids, AWS IAM role or user ARNs, or GCP members (user:, group:, serviceAccount:)', default: 'the principal running Terraform (required when ci: is set)', fix: 'list who deploys, e.g. the output of `az ad signed-in-user show --query id -o tsv`' },
  { path: 'deployers.*', description: 'One deployer principal.', accepted: 'the selected cloud\'s principal format', fix: 'see deployers' },
  { path: 'protection', description: 'Data protection.', accepted: 'an object with retainData', default: '{}', fix: 'see its fields' },
  { path: 'protection.retainData', description: 'Keep stateful stores (storage, keys, registries) on destroy.', accepted: 'true or false', default: 'true', fix: 'write true or false without quotes' },
  { path: 'backend', description: 'Terraform state backend.', accepted: 'type local, s3, azurerm or gcs with its fields', default: '{ type: local }', fix: 'see the backend fields in the README' },
  { path: 'backend.type', description: 'Backend kind.', accepted: 'one of local, s3, azurerm, gcs', fix: 'set backend.type' },
  { path: 'backend.path', description: 'Local state file path.', accepted: 'a file path', default: 'terraform.<stack>.tfstate', fix: 'give a relative path' },
  { path: 'backend.bucket', description: 'State bucket (s3, gcs).', accepted: 'an existing bucket name', fix: 'create the state bucket first and name it here' },
  { path: 'backend.key', description: 'State object key (s3, azurerm).', accepted: 'a path such as mlops/dev.tfstate', fix: 'give a non-empty key' },
  { path: 'backend.region', description: 'State bucket region (s3).', accepted: 'an AWS region', fix: 'give the bucket region' },
  { path: 'backend.dynamodbTable', description: 'Legacy DynamoDB lock table (s3); S3 native locking is used otherwise.', accepted: 'a table name', default: 'none (use_lockfile)', fix: 'omit it to use S3 native locking' },
  { path: 'backend.prefix', description: 'State prefix (gcs).', accepted: 'a path prefix', default: 'the stack name', fix: 'give a non-empty prefix' },
  { path: 'backend.resourceGroupName', description: 'Resource group of the state storage account (azurerm).', accepted: 'a resource group name', fix: 'name the existing resource group' },
  { path: 'backend.storageAccountName', description: 'State storage account (azurerm).', accepted: '3-24 lowercase letters and digits', fix: 'name the existing storage account' },
  { path: 'backend.containerName', description: 'State blob container (azurerm).', accepted: 'a container name', fix: 'name the existing container' },
  { path: 'deployment', description: 'The runtime image, a training job and a scoring endpoint deployed with the platform (needs Docker at deploy time, unless deployment.image.uri names an image built elsewhere).', accepted: 'an object with model, training, endpoint, image', default: 'none (platform only)', fix: 'add deployment: { model: <name>, training: { data: <path in the artifact store> } }' },
  { path: 'deployment.model', description: 'Model name: the registered model and the endpoint are named after it.', accepted: '3-32 characters: lowercase letters, digits, hyphens; starts with a letter', fix: 'use a short name such as "bike-demand"' },
  { path: 'deployment.image', description: 'The runtime image: built at deploy from the @cdktf-mlops/runtime package and pushed to the platform registry, or an image built elsewhere (uri).', accepted: 'an object with platform, or with uri', default: '{ platform: linux/amd64 }', fix: 'see deployment.image.platform and deployment.image.uri' },
  { path: 'deployment.image.platform', description: 'The platform the runtime image is built for.', accepted: 'linux/amd64 or linux/arm64', default: 'linux/amd64', fix: 'keep linux/amd64 unless the cloud compute is ARM' },
  { path: 'deployment.image.uri', description: 'A runtime image your own pipeline built and pushed, run as is: no Docker build, no docker provider. Pinned by digest, so that a new image re-runs the release and every instance runs the same image. The platform identity pulls from the platform registry (output image_uri); grant pull yourself for another registry.', accepted: `<registry host>/<repository>[:tag]@sha256:<64 hex>, e.g. ${IMAGE_URI_EXAMPLE}`, default: 'none (the image is built at deploy)', fix: 'append the digest your pipeline pushed: `docker buildx imagetools inspect <image:tag>` prints it as "Digest:"' },
  { path: 'deployment.training', description: 'The training job.', accepted: 'an object with data, upload, uploadOutsideProject, hyperparameters, instanceCount, maxRuntimeMinutes', fix: 'add training: { data: <path in the artifact store> }' },
  { path: 'deployment.training.data', description: 'Training data: a CSV file or folder, relative to the artifact store root.', accepted: 'a relative path of letters, digits, _ . / = - (no "..")', fix: 'upload the data to the artifact store and give its path, e.g. datasets/bike/hour.csv' },
  { path: 'deployment.training.upload', description: 'A local file `cdktf deploy` uploads to `data` first, so one deploy trains on it; a changed file re-uploads and retrains. The file is copied into cdktf.out and uploaded, so it must be inside the project (the folder with cdktf.json) unless uploadOutsideProject is true.', accepted: 'a path to an existing file inside the project, relative to its root, without ".." (symbolic links must stay inside too)', default: 'none (the data is already in the store)', fix: 'give the path from the project root, e.g. examples/demand-forecast/data/hour.csv' },
  { path: 'deployment.training.uploadOutsideProject', description: 'Let upload be an absolute path, a path with "..", or a symbolic link that leaves the project: the one switch for uploading a file from outside the project on purpose.', accepted: 'true or false', default: 'false', fix: 'write true or false without quotes; set true only for a file you mean to upload' },
  { path: 'deployment.training.hyperparameters', description: 'Settings passed to `mlops train` (target, model, model parameters; see the runtime contracts README).', accepted: 'a map of names to strings, numbers or booleans', default: '{}', fix: 'write settings as name: value, e.g. target: cnt' },
  { path: 'deployment.training.hyperparameters.*', description: 'One training setting.', accepted: 'a name starting with a letter (max 64) and a string (max 2048), number or boolean', fix: 'use names such as target, model, max_iter' },
  { path: 'deployment.training.instanceCount', description: 'Instances the training job runs on.', accepted: 'an integer from 1 to 100', default: '1', fix: 'set a whole number between 1 and 100' },
  { path: 'deployment.training.maxRuntimeMinutes', description: 'The training job is stopped after this long.', accepted: 'an integer from 5 to 10080', default: '120', fix: 'set a whole number of minutes' },
  { path: 'deployment.endpoint', description: 'The scoring endpoint.', accepted: 'an object with size, instanceType, minInstances, maxInstances, rollout, alarms', default: '{}', fix: 'see its fields' },
  { path: 'deployment.endpoint.size', description: 'Cloud-neutral machine size of each endpoint instance.', accepted: `one of ${SIZE_NAMES.join(', ')}`, default: 'small', fix: 'pick a size, or set deployment.endpoint.instanceType.<cloud>' },
  { path: 'deployment.endpoint.instanceType', description: 'Explicit endpoint machine per cloud, overriding size.', accepted: 'an object with optional azure, aws, gcp strings', default: 'from size', fix: 'e.g. instanceType: { aws: ml.c5.large }' },
  { path: 'deployment.endpoint.instanceType.azure', description: 'Azure managed online endpoint VM size.', accepted: 'a VM size such as Standard_DS3_v2', fix: 'use a VM size managed online endpoints support' },
  { path: 'deployment.endpoint.instanceType.aws', description: 'SageMaker hosting instance type.', accepted: 'ml.<family>.<size>, e.g. ml.c5.large', fix: 'prefix the EC2 type with "ml."' },
  { path: 'deployment.endpoint.instanceType.gcp', description: 'Vertex AI prediction machine type.', accepted: 'a machine type such as n1-standard-4', fix: 'use a machine type Vertex AI prediction supports' },
  { path: 'deployment.endpoint.minInstances', description: 'Fewest instances the endpoint scales to.', accepted: 'an integer from 1 to 20', default: '1', fix: 'set a whole number between 1 and 20' },
  { path: 'deployment.endpoint.maxInstances', description: 'Most instances the endpoint scales to (autoscaling).', accepted: 'an integer from 1 to 100, at least minInstances', default: '2', fix: 'set a whole number not below minInstances' },
  { path: 'deployment.endpoint.rollout', description: 'How a new model version takes traffic (blue/green).', accepted: 'an object with strategy, canaryPercent, stepPercent, bakeMinutes', default: '{ strategy: canary }', fix: 'see its fields' },
  { path: 'deployment.endpoint.rollout.strategy', description: 'canary: a share of traffic first, then all; linear: equal steps; all-at-once: switch after the new version is healthy.', accepted: 'one of canary, linear, all-at-once', default: 'canary', fix: 'pick one of the three' },
  { path: 'deployment.endpoint.rollout.canaryPercent', description: 'Share of traffic the new version takes first (canary).', accepted: 'an integer from 1 to 50', default: '10', fix: 'set a whole percentage between 1 and 50' },
  { path: 'deployment.endpoint.rollout.stepPercent', description: 'Share of traffic moved per step (linear).', accepted: 'an integer from 5 to 50', default: '25', fix: 'set a whole percentage between 5 and 50' },
  { path: 'deployment.endpoint.rollout.bakeMinutes', description: 'Minutes each step is watched (alarms) before the next.', accepted: 'an integer from 0 to 120', default: '10', fix: 'set a whole number of minutes' },
  { path: 'deployment.endpoint.alarms', description: 'Thresholds that roll a deployment back and raise alerts.', accepted: 'an object with errorRatePercent, latencyP95Ms', default: '{}', fix: 'see its fields' },
  { path: 'deployment.endpoint.alarms.errorRatePercent', description: 'Server error (5xx) rate that counts as failing.', accepted: 'a number above 0, at most 100', default: '5', fix: 'set a percentage such as 5' },
  { path: 'deployment.endpoint.alarms.latencyP95Ms', description: 'p95 model latency that counts as failing, in milliseconds.', accepted: 'an integer from 1 to 600000', default: '1000', fix: 'set milliseconds such as 500' },
  { path: 'ci', description: 'Keyless CI/CD identity for GitHub Actions (OIDC; no stored secrets).', accepted: 'an object with github', default: 'none', fix: 'add ci: { github: { repository: org/repo } }' },
  { path: 'ci.github', description: 'The GitHub repository allowed to deploy.', accepted: 'an object with repository, branches, environments, pullRequests', fix: 'add github: { repository: org/repo }' },
  { path: 'ci.github.repository', description: 'Repository as owner/name.', accepted: 'owner/name as GitHub spells it', fix: 'write it as in the repository URL, e.g. contoso/ml-platform' },
  { path: 'ci.github.branches', description: 'Branches whose workflow runs may deploy.', accepted: 'a list of branch names (no wildcards)', default: '[main]', fix: 'list exact branch names' },
  { path: 'ci.github.branches.*', description: 'One branch.', accepted: 'a branch name without wildcards or ".."', fix: 'write the exact branch name' },
  { path: 'ci.github.environments', description: 'GitHub environments whose jobs may deploy.', accepted: 'a list of environment names (no wildcards)', default: '[]', fix: 'list exact environment names' },
  { path: 'ci.github.environments.*', description: 'One environment.', accepted: 'an environment name without wildcards or ".."', fix: 'write the exact environment name' },
  { path: 'ci.github.pullRequests', description: 'Let pull-request workflow runs sign in too (for plan / policy checks).', accepted: 'true or false', default: 'false', fix: 'write true or false without quotes' },
  { path: 'alerts', description: 'Alerts on the deployed endpoint and training job (needs deployment).', accepted: 'an object with email, webhooks, noTrafficMinutes', default: 'none', fix: 'add alerts: { email: [ops@example.com] }' },
  { path: 'alerts.email', description: 'Email receivers.', accepted: 'a list of email addresses', default: '[]', fix: 'list addresses such as ops@example.com' },
  { path: 'alerts.email.*', description: 'One email receiver.', accepted: 'an email address', fix: 'write name@domain' },
  { path: 'alerts.webhooks', description: 'Webhook receivers (HTTPS).', accepted: 'a list of https:// URLs', default: '[]', fix: 'list https:// URLs' },
  { path: 'alerts.webhooks.*', description: 'One webhook receiver.', accepted: 'an https:// URL', fix: 'use an https:// URL' },
  { path: 'alerts.noTrafficMinutes', description: 'Alert when the endpoint gets no request for this long.', accepted: 'an integer from 5 to 1440', default: '60', fix: 'set a whole number of minutes' },
];

/** The documentation of the field at `path` (indices and map keys match `*`). */
export function fieldAt(path: readonly (string | number)[]): ConfigField | undefined {
  const segments = path.map(String);
  return CONFIG_FIELDS.find((f) => {
    const pattern = f.path.split('.');
    return pattern.length === segments.length && pattern.every((p, i) => p === '*' || p === segments[i]);
  });
}
