import { ContainerAppEnvironment } from '@cdktf/provider-azurerm/lib/container-app-environment';
import { ContainerAppJob } from '@cdktf/provider-azurerm/lib/container-app-job';
import { EventgridSystemTopic } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic';
import { EventgridSystemTopicEventSubscription } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription';
import { PrivateDnsZone } from '@cdktf/provider-azurerm/lib/private-dns-zone';
import { PrivateDnsZoneVirtualNetworkLink } from '@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageQueue } from '@cdktf/provider-azurerm/lib/storage-queue';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { createHash } from 'crypto';
import { AzureNetwork } from '../../azure/network';
import { AZURE_AUTOSCALE_ACTIONS, AZURE_ROLES } from '../../azure/perms';
import { createPrivateEndpoints } from '../../azure/private-endpoint';
import { AzureMlPlatform } from '../../azure/platform';
import { ErrorCode, IssueCollector, show } from '../../core/errors';
import { AZURE_PRIVATE_DNS_ZONES, cidrSubnet, isIpv4Cidr } from '../../core/network';
import { RELEASE_SPEC_ENV } from '../../core/release';
import { AzureScoringEndpoint } from './scoring-endpoint';

/** The Event Grid event type of a run status change in an Azure ML workspace. */
export const AZURE_RUN_STATUS_CHANGED = 'Microsoft.MachineLearningServices.RunStatusChanged';
/** The system topic type of an Azure ML workspace. */
export const AZURE_ML_TOPIC_TYPE = 'Microsoft.MachineLearningServices.Workspaces';
/** When the promoter job drains its queue (every 5 minutes; see the class comment for why not an event trigger). */
export const PROMOTER_CRON = '*/5 * * * *';
/** The promoter job's replica timeout (seconds): a rollout with bakes and health checks fits. */
export const PROMOTER_TIMEOUT_SECONDS = 3600;
/** The private DNS zone of the Queue service (the queue's private endpoint in private mode). */
export const QUEUE_PRIVATE_DNS_ZONE = 'privatelink.queue.core.windows.net';
/** The Container Apps environment's subnet: the smallest a workload-profiles environment takes (a /27, delegated to Microsoft.App/environments). */
export const PROMOTER_SUBNET_PREFIX = 27;
/** Firewalled mode: the subnet of the registry's private endpoint, the /28 after the environment's /27 (an endpoint takes two addresses: login server and data endpoint). */
export const PROMOTER_ENDPOINT_SUBNET_PREFIX = 28;
/** Firewalled mode: the promoter's network is the first /24 of `network.addressSpace`. */
export const PROMOTER_NETWORK_PREFIX = 24;
/** The service endpoint a subnet needs before a storage account's virtual network rule may name it. */
export const STORAGE_SERVICE_ENDPOINT = 'Microsoft.Storage';

/** What the promoter reads of the pipeline (the `azure.promote` part of its spec, release/src/azure/promote.ts). */
export interface AzurePromoteSettings {
  /** The Azure ML datastore over the artifact store's container (the model version's URI). */
  readonly datastore: string;
  /** The experiment every run of the pipeline is filed under (the event subscription's filter). */
  readonly experiment: string;
  /** The pipeline's name in its file. */
  readonly pipeline: string;
  /** The model's name in the registry folder (the pipeline file's model). */
  readonly model: string;
  /** The registry folder (`--root`; `registry/<model>/` below it), ending with `/`. */
  readonly registryPrefix: string;
  /** Where runs write their outputs (`<runsPrefix><node run>/<node>/<output>/`), ending with `/`. */
  readonly runsPrefix: string;
  /** The register step's Azure ML node name. */
  readonly registerNode: string;
  /** The register step's output and file, `<output>/<file>`. */
  readonly registration: string;
  /** The pipeline's revision as deployed (lineage when a run event does not carry it). */
  readonly pipelineRevision: string;
  /** The runtime image's digest as deployed (lineage when a run event does not carry it). */
  readonly imageDigest: string;
  /** Pipeline input → the datastore URI it reads. */
  readonly inputs: Readonly<Record<string, string>>;
}

/** Props of {@link AzurePipelinePromoter}. */
export interface AzurePipelinePromoterProps {
  /** The platform (workspace, artifact store, registry, network). */
  readonly platform: AzureMlPlatform;
  /** The release name (the experiment, and the prefix of what this creates). */
  readonly name: string;
  /** The endpoint the promoter rolls out to (its release spec is the promoter's spec). */
  readonly endpoint: AzureScoringEndpoint;
  /** The release image (`@cdktf-mlops/release`), by digest. */
  readonly releaseImage: string;
  /** Where the pipeline's runs and registry are, and its lineage. */
  readonly settings: AzurePromoteSettings;
}

function hash8(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

/** The run-event account's name (private mode): the artifact store's, cut to 21 characters, and `evt` (3-24 lowercase letters and digits). */
export function eventAccountName(storeAccount: string): string {
  return `${storeAccount.slice(0, 21)}evt`;
}

/** A name of at most `max` characters: `<release><suffix>`, or the release cut and a hash of it when too long. */
export function promoterName(release: string, suffix: string, max: number): string {
  const full = `${release}${suffix}`;
  if (full.length <= max) return full;
  const tail = `-${hash8(release)}${suffix}`;
  return `${release.slice(0, max - tail.length).replace(/-+$/, '')}${tail}`;
}

/**
 * The promoter of a pipeline with a serve step on Azure (docs/pipelines/azure.md):
 *
 * 1. an Event Grid system topic on the workspace, whose subscription sends
 *    `RunStatusChanged` events of the release's experiment with status
 *    `Completed` to a Storage queue `<release>-promotions` in the artifact
 *    store's account (delivered with the topic's own identity, Storage Queue
 *    Data Message Sender on that queue);
 * 2. a Container Apps job running the release image
 *    (`mlops-release promote --from-queue`, one execution at a time) as a
 *    dedicated user-assigned identity: AzureML Data Scientist on the
 *    workspace (model versions, online endpoint and deployments), a custom
 *    role for autoscale settings on the resource group (only when the
 *    endpoint autoscales), Storage Blob Data Contributor on the container
 *    (it reads the run's files and takes a blob lease, a write), Storage
 *    Queue Data Message Processor on the queue, AcrPull on the registry.
 *    Training code (the workload identity) gets no right on production.
 * 3. the rollout lease (`<registryPrefix>registry/<model>/.promote-lease` in
 *    the artifact store) the job holds while it rolls out is also held by the
 *    endpoint's release step during cdktf deploy
 *    ({@link AzureScoringEndpoint.shareRolloutLease}): a deploy and a
 *    promotion never change the endpoint at once.
 *
 * Trigger: a schedule (`PROMOTER_CRON`) that drains the queue, not an
 * `azure-queue` event trigger: the artifact store has shared keys off, so the
 * scale rule needs a managed identity, and azurerm 4.55's
 * `azurerm_container_app_job` has no identity on scale rules (added to the
 * provider later, hashicorp/terraform-provider-azurerm#31312).
 *
 * Reachability: `public` mode runs the environment without a network and the
 * queue is in the artifact store's account; in `private` mode (a network the
 * stack created) the environment is in its own delegated /27 of the
 * platform's address space, internal only; the queue is in an account of its
 * own (Event Grid cannot deliver to the artifact store, whose public endpoint
 * is off: delivery passes a default-deny firewall as a trusted service, never
 * a private endpoint), reached by the job through a private endpoint; the
 * blobs through the store's blob private endpoint. In `firewalled` mode the
 * environment is in a network of its own (the first /24 of
 * `network.addressSpace`): its /27 has the Microsoft.Storage service endpoint
 * and the artifact account's firewall a virtual network rule for it (blobs
 * and the queue, which stays in that account: Event Grid delivers through
 * the trusted-services exception), and the registry a private endpoint in a
 * /28 next to it. In every mode ARM and Entra ID through the environment's
 * outbound address. An existing network in private mode, and an imported
 * artifact store whose firewall the stack does not manage in firewalled mode,
 * are refused at synth (see {@link promoterReachability}).
 */
export class AzurePipelinePromoter extends Construct {
  /** The promoter's identity (principal id). */
  public readonly principal: string;
  /** The queue run events go to. */
  public readonly queueName: string;
  /** The storage account of the queue: the artifact store's, or (private mode) one that holds only run events. */
  public readonly queueAccountName: string;
  /** The Container Apps job. */
  public readonly job: ContainerAppJob;
  /** Every role assignment the job needs before it can run. */
  public readonly grants: readonly ITerraformDependable[];
  /** The spec the job runs `mlops-release promote` with: the endpoint's release spec and `azure.promote`. */
  public readonly spec: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: AzurePipelinePromoterProps) {
    super(scope, id);
    const platform = props.platform;
    const issues = new IssueCollector();
    const network = promoterReachability(platform, issues);
    issues.throwIfAny('Invalid pipeline promoter (a serve step on Azure):');

    const rgName = platform.resourceGroup.resourceGroupName;
    const location = platform.workspace.region;
    const store = platform.artifactStore;
    const tags = { ...platform.tags, 'mlops.release': props.name };

    // The promoter's own identity: never the workload identity, which runs training code over data.
    const identity = new UserAssignedIdentity(this, 'Identity', { name: promoterName(props.name, '-promoter', 128), location, resourceGroupName: rgName, tags });
    this.principal = identity.principalId;
    const principal = { principalId: identity.principalId, principalType: 'ServicePrincipal' };

    this.queueName = promoterName(props.name, '-promotions', 63);
    // Where the queue lives. Event Grid reaches a firewalled account only through the trusted-services
    // exception of a public endpoint that denies by default; with the public endpoint off (private mode)
    // it cannot deliver at all (it has no private endpoint delivery). So in private mode the queue is in an
    // account of its own that holds only run events: public endpoint on, default Deny, no IP rule, trusted
    // services through, Entra ID only; the job reaches it through a private endpoint.
    // Encrypted like the artifact store: the platform key, through the platform's service identity.
    const encryptionIdentity = platform.serviceIdentity;
    const ownQueueAccount = network?.mode === 'private';
    const keyAccess = ownQueueAccount ? platform.encryptionKey.grantServiceEncryption(encryptionIdentity) : undefined;
    const queueAccountName = ownQueueAccount ? eventAccountName(store.accountName) : store.accountName;
    const queueAccount = ownQueueAccount
      ? new StorageAccount(this, 'EventAccount', {
          name: queueAccountName,
          location,
          resourceGroupName: rgName,
          accountTier: 'Standard',
          accountKind: 'StorageV2',
          accountReplicationType: 'LRS',
          httpsTrafficOnlyEnabled: true,
          minTlsVersion: 'TLS1_2',
          sharedAccessKeyEnabled: false,
          defaultToOauthAuthentication: true,
          allowNestedItemsToBePublic: false,
          localUserEnabled: false,
          crossTenantReplicationEnabled: false,
          infrastructureEncryptionEnabled: true,
          queueEncryptionKeyType: 'Account',
          tableEncryptionKeyType: 'Account',
          publicNetworkAccessEnabled: true,
          networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'], ipRules: [] },
          identity: { type: 'UserAssigned', identityIds: [encryptionIdentity.identityId] },
          customerManagedKey: { keyVaultKeyId: platform.encryptionKey.versionlessKeyId, userAssignedIdentityId: encryptionIdentity.identityId },
          // It holds no blobs; soft delete as on every account of the platform.
          blobProperties: { deleteRetentionPolicy: { days: 7 }, containerDeleteRetentionPolicy: { days: 7 } },
          tags,
          dependsOn: keyAccess ? [keyAccess] : undefined,
        })
      : undefined;
    const queueAccountId = queueAccount?.id ?? store.accountId;
    this.queueAccountName = queueAccountName;
    const queue = new StorageQueue(this, 'Queue', { name: this.queueName, storageAccountId: queueAccountId });

    const grant = (id: string, scope: string, role: { roleDefinitionName: string } | { roleDefinitionId: string }) =>
      new RoleAssignment(this, id, { scope, ...principal, ...role });
    const grants: RoleAssignment[] = [
      grant('GrantWorkspace', platform.workspace.workspaceId, { roleDefinitionName: AZURE_ROLES.workspaceUse }),
      // Reads registration.json and fingerprint.json, and takes the lease (a write) on registry/<model>/.promote-lease.
      grant('GrantContainer', store.storeId, { roleDefinitionName: AZURE_ROLES.blobReadWrite }),
      grant('GrantQueue', queue.resourceManagerId, { roleDefinitionName: AZURE_ROLES.queueProcess }),
      grant('GrantPull', platform.imageRegistry.registryId, { roleDefinitionName: AZURE_ROLES.imagePull }),
    ];
    const spec = props.endpoint.step.spec as { endpoint?: { minInstances?: number; maxInstances?: number } };
    if ((spec.endpoint?.maxInstances ?? 0) > (spec.endpoint?.minInstances ?? 0)) {
      const rgId = platform.resourceGroup.resourceGroupId;
      const role = new RoleDefinition(this, 'AutoscaleRole', {
        name: promoterName(props.name, '-promoter-autoscale', 128),
        scope: rgId,
        description: `Autoscale settings of the online deployments the pipeline promoter of ${props.name} rolls out.`,
        permissions: [{ actions: [...AZURE_AUTOSCALE_ACTIONS] }],
        assignableScopes: [rgId],
      });
      grants.push(grant('GrantAutoscale', rgId, { roleDefinitionId: role.roleDefinitionResourceId }));
    }
    this.grants = grants;

    // Run events of the workspace → the queue, with the topic's own identity.
    const topic = new EventgridSystemTopic(this, 'RunEvents', {
      name: promoterName(props.name, '-runs', 128),
      location,
      resourceGroupName: rgName,
      sourceResourceId: platform.workspace.workspaceId,
      topicType: AZURE_ML_TOPIC_TYPE,
      identity: { type: 'SystemAssigned' },
      tags,
    });
    const sender = new RoleAssignment(this, 'GrantTopicSend', {
      scope: queue.resourceManagerId,
      principalId: topic.identity.principalId,
      principalType: 'ServicePrincipal',
      roleDefinitionName: AZURE_ROLES.queueSend,
    });
    new EventgridSystemTopicEventSubscription(this, 'CompletedRuns', {
      name: 'completed-runs',
      systemTopic: topic.name,
      resourceGroupName: rgName,
      eventDeliverySchema: 'EventGridSchema',
      includedEventTypes: [AZURE_RUN_STATUS_CHANGED],
      advancedFilter: {
        stringIn: [
          { key: 'data.experimentName', values: [props.settings.experiment] },
          { key: 'data.runStatus', values: ['Completed'] },
        ],
      },
      storageQueueEndpoint: { storageAccountId: queueAccountId, queueName: queue.name },
      deliveryIdentity: { type: 'SystemAssigned' },
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLive: 1440 },
      // Delivery needs the grant; a subscription created before it would fail its first deliveries.
      dependsOn: [sender],
    });

    // The environment's subnet, and what the job reaches the stores through.
    let subnetId: string | undefined;
    const reach: ITerraformDependable[] = [];
    const delegation = [{ name: 'container-apps', serviceDelegation: { name: 'Microsoft.App/environments', actions: ['Microsoft.Network/virtualNetworks/subnets/join/action'] } }];
    if (network?.mode === 'private') {
      // Private mode: a subnet of the platform's network; the queue's private endpoint (the blob one exists).
      const subnet = new Subnet(this, 'Subnet', {
        name: 'snet-promoter',
        resourceGroupName: rgName,
        virtualNetworkName: network.virtualNetworkName!,
        addressPrefixes: [network.subnet],
        delegation,
      });
      subnetId = subnet.id;
      const zone = new PrivateDnsZone(this, 'QueueZone', { name: QUEUE_PRIVATE_DNS_ZONE, resourceGroupName: rgName, tags });
      const link = new PrivateDnsZoneVirtualNetworkLink(this, 'QueueZoneLink', {
        name: promoterName(props.name, '-queue', 80),
        resourceGroupName: rgName,
        privateDnsZoneName: zone.name,
        virtualNetworkId: network.networkId,
        registrationEnabled: false,
        tags,
      });
      reach.push(
        new PrivateEndpoint(this, 'QueueEndpoint', {
          name: `pe-${queueAccountName}-queue`,
          location,
          resourceGroupName: rgName,
          subnetId: network.endpointSubnetId,
          privateServiceConnection: { name: `${queueAccountName}-queue`, privateConnectionResourceId: queueAccountId, subresourceNames: ['queue'], isManualConnection: false },
          privateDnsZoneGroup: { name: 'default', privateDnsZoneIds: [zone.id] },
          tags,
          dependsOn: [link],
        }),
      );
      reach.push(...[...store.privateEndpoints.entries()].filter(([k]) => k === 'blob').map(([, v]) => v));
    } else if (network?.mode === 'firewalled') {
      // Firewalled mode: a network of the promoter's own. The artifact account (blobs and the queue) lets the
      // environment's subnet through by a virtual network rule (Microsoft.Storage service endpoint): its IP
      // rules would not do, they do not apply to requests from the account's own region. The registry is
      // pulled from through a private endpoint: Container Apps is no trusted service of a registry, and
      // registry service endpoints serve only AKS and virtual machines.
      const vnet = new VirtualNetwork(this, 'Network', {
        name: promoterName(props.name, '-promoter', 64),
        location,
        resourceGroupName: rgName,
        addressSpace: [network.addressSpace],
        tags,
      });
      const subnet = new Subnet(this, 'Subnet', {
        name: 'snet-promoter',
        resourceGroupName: rgName,
        virtualNetworkName: vnet.name,
        addressPrefixes: [network.subnet],
        serviceEndpoints: [STORAGE_SERVICE_ENDPOINT],
        delegation,
      });
      subnetId = subnet.id;
      // The store's firewall names the subnet: Terraform creates the subnet (with its service endpoint) first.
      const rule = store.allowSubnet(subnet.id);
      if (rule) reach.push(rule);
      if (network.registryEndpoint) {
        const endpoints = new Subnet(this, 'EndpointSubnet', {
          name: 'snet-private-endpoints',
          resourceGroupName: rgName,
          virtualNetworkName: vnet.name,
          addressPrefixes: [network.endpointSubnet],
          privateEndpointNetworkPolicies: 'Enabled',
          defaultOutboundAccessEnabled: false,
        });
        const zone = new PrivateDnsZone(this, 'RegistryZone', { name: AZURE_PRIVATE_DNS_ZONES.registry, resourceGroupName: rgName, tags });
        const link = new PrivateDnsZoneVirtualNetworkLink(this, 'RegistryZoneLink', {
          name: promoterName(props.name, '-registry', 80),
          resourceGroupName: rgName,
          privateDnsZoneName: zone.name,
          virtualNetworkId: vnet.id,
          registrationEnabled: false,
          tags,
        });
        const registry = platform.imageRegistry;
        // The zone group registers the login server and the regional data endpoint (dataEndpointEnabled).
        const pes = createPrivateEndpoints(this, { resourceId: registry.registryId, resourceName: registry.registryName, location, resourceGroupName: rgName, tags }, [
          { subResource: 'registry', subnetId: endpoints.id, privateDnsZoneIds: [zone.id], dependsOn: [link] },
        ]);
        reach.push(...pes.values());
      }
    }

    const environment = new ContainerAppEnvironment(this, 'Environment', {
      name: promoterName(props.name, '-promoter', 60),
      location,
      resourceGroupName: rgName,
      logAnalyticsWorkspaceId: platform.workspace.logDestination,
      workloadProfile: [{ name: 'Consumption', workloadProfileType: 'Consumption' }],
      ...(subnetId ? { infrastructureSubnetId: subnetId, internalLoadBalancerEnabled: true, publicNetworkAccess: 'Disabled' } : {}),
      tags,
    });

    // cdktf deploy's endpoint step holds the lease this job holds while it rolls out (one blob, named by
    // the same settings on both sides: release/src/azure/lease.ts), so the two never change the endpoint at once.
    const blobEndpoint = `https://${store.accountName}.blob.core.windows.net`;
    const jobName = promoterName(props.name, '-promote', 32);
    props.endpoint.shareRolloutLease({
      blobEndpoint,
      container: store.storeName,
      registryPrefix: props.settings.registryPrefix,
      model: props.settings.model,
      promoterJob: jobName,
      promotionTimeoutSeconds: PROMOTER_TIMEOUT_SECONDS,
    });

    const promoteSpec = { ...(props.endpoint.step.spec as Record<string, unknown>) };
    const azure = promoteSpec.azure as Record<string, unknown>;
    promoteSpec.azure = {
      ...azure,
      promote: {
        blobEndpoint,
        queueEndpoint: `https://${queueAccountName}.queue.core.windows.net`,
        container: store.storeName,
        queue: queue.name,
        ...props.settings,
      },
    };
    this.spec = promoteSpec;
    this.job = new ContainerAppJob(this, 'Job', {
      name: jobName,
      location,
      resourceGroupName: rgName,
      containerAppEnvironmentId: environment.id,
      workloadProfileName: 'Consumption',
      replicaTimeoutInSeconds: PROMOTER_TIMEOUT_SECONDS,
      // A failed promotion leaves its message on the queue: the next execution retries it.
      replicaRetryLimit: 0,
      identity: { type: 'UserAssigned', identityIds: [identity.id] },
      registry: [{ server: platform.imageRegistry.loginServer, identity: identity.id }],
      scheduleTriggerConfig: { cronExpression: PROMOTER_CRON, parallelism: 1, replicaCompletionCount: 1 },
      template: {
        container: [
          {
            name: 'promote',
            image: props.releaseImage,
            cpu: 0.5,
            memory: '1Gi',
            args: ['promote', '--spec-env', RELEASE_SPEC_ENV, '--from-queue'],
            env: [
              { name: RELEASE_SPEC_ENV, value: Fn.jsonencode(promoteSpec) },
              // DefaultAzureCredential's managed identity: the promoter's, not another one the job might get.
              { name: 'AZURE_CLIENT_ID', value: identity.clientId },
            ],
          },
        ],
      },
      tags,
      // The job may start as soon as it exists (and Container Apps checks its image at creation, through the
      // environment's network): every grant, and the network path to each data plane, first.
      dependsOn: [...grants, ...reach],
    });
  }
}

/** Where the promoter's environment runs, and how it reaches the stores' data planes ({@link promoterReachability}). */
export type PromoterNetwork =
  | {
      /** Private mode: a /27 of the platform's network, next to its private endpoints. */
      readonly mode: 'private';
      /** The platform's virtual network. */
      readonly networkId: string;
      /** Its name (a network this stack created). */
      readonly virtualNetworkName?: string;
      /** The environment's subnet. */
      readonly subnet: string;
      /** The subnet of the platform's private endpoints (the queue's goes there too). */
      readonly endpointSubnetId: string;
    }
  | {
      /** Firewalled mode: a network of the promoter's own. */
      readonly mode: 'firewalled';
      /** Its address space: the first /24 of `network.addressSpace`. */
      readonly addressSpace: string;
      /** The environment's subnet (with the Microsoft.Storage service endpoint). */
      readonly subnet: string;
      /** The subnet of the registry's private endpoint. */
      readonly endpointSubnet: string;
      /** False when the registry is imported and says its public endpoint is open (no private endpoint then). */
      readonly registryEndpoint: boolean;
    };

/**
 * Where the promoter's environment goes: nowhere (public mode); a /27 of the
 * platform network the stack created (private mode); or a small network of
 * its own (firewalled mode: the first /24 of `network.addressSpace`, the
 * environment's /27 with the Microsoft.Storage service endpoint, which the
 * artifact account's firewall lets through by a virtual network rule, and a
 * /28 for the registry's private endpoint). Problems: an existing network in
 * private mode (the stack cannot choose a free range for the environment's
 * subnet), too small an address space, and in firewalled mode an imported
 * artifact store whose firewall the stack does not manage.
 */
export function promoterReachability(platform: AzureMlPlatform, issues: IssueCollector): PromoterNetwork | undefined {
  const mode = platform.network.mode;
  if (mode === 'public') return undefined;
  if (mode === 'firewalled') return firewalledNetwork(platform, issues);
  const net = platform.privateNetwork;
  if (!(net instanceof AzureNetwork) || !net.created || !net.addressSpace) {
    issues.add(
      ErrorCode.CONFIG_INVALID,
      'network.existing.azure',
      'is an existing network, and a pipeline serve step on Azure needs a subnet of its own for the promoter job (a Container Apps environment, a delegated /27), which the stack cannot carve out of a network it did not create. ' +
        'Fix: keep the serve step in deployment.pipeline.skip, or let the stack create the network (network.addressSpace).',
    );
    return undefined;
  }
  const prefix = Number(net.addressSpace.split('/')[1]);
  if (prefix > 23) {
    issues.add(
      ErrorCode.CONFIG_INVALID,
      'network.addressSpace',
      `is ${net.addressSpace}; its first /24 is the private endpoints' subnet, and the promoter job needs a /27 after it. Fix: use a /23 or larger address space (e.g. 10.40.0.0/16).`,
    );
    return undefined;
  }
  // The first /27 of the second /24: right after the private endpoints' subnet.
  return {
    mode: 'private',
    networkId: net.networkId,
    virtualNetworkName: net.virtualNetworkName,
    subnet: cidrSubnet(net.addressSpace, PROMOTER_SUBNET_PREFIX - prefix, 8),
    endpointSubnetId: net.subnetId,
  };
}

/** Firewalled mode: the promoter's own network, and what the stores must let through. */
function firewalledNetwork(platform: AzureMlPlatform, issues: IssueCollector): PromoterNetwork | undefined {
  const space = platform.addressSpace;
  const prefix = Number(space.split('/')[1]);
  let ok = true;
  if (!isIpv4Cidr(space) || !space.includes('/') || prefix < 8 || prefix > PROMOTER_NETWORK_PREFIX) {
    issues.add(
      ErrorCode.CONFIG_INVALID,
      'network.addressSpace',
      `is ${show(space)}; in firewalled mode a pipeline serve step on Azure runs its promoter job in a network of its own, the first /24 of this address space. Fix: use an IPv4 CIDR from /8 to /24 that does not overlap networks you peer with (e.g. 10.40.0.0/16).`,
    );
    ok = false;
  }
  const store = platform.artifactStore;
  if (store.imported && store.reachableFrom !== 'public') {
    issues.add(
      ErrorCode.CONFIG_INVALID,
      'existing.artifactStore',
      `is the existing storage account ${show(store.accountName)}${store.reachableFrom ? ` (reachableFrom ${show(store.reachableFrom)})` : ''}, whose firewall the stack does not change; in firewalled mode the promoter job of a pipeline serve step passes a storage firewall only through a virtual network rule for its subnet (IP rules do not apply to requests from the account's own region). ` +
        "Fix: let the platform create the artifact store, import one whose public endpoint is open with reachableFrom: 'public', use network.mode private, or keep the serve step in deployment.pipeline.skip.",
    );
    ok = false;
  }
  if (!ok) return undefined;
  const network = prefix >= PROMOTER_NETWORK_PREFIX ? space : cidrSubnet(space, PROMOTER_NETWORK_PREFIX - prefix, 0);
  return {
    mode: 'firewalled',
    addressSpace: network,
    subnet: cidrSubnet(network, PROMOTER_SUBNET_PREFIX - PROMOTER_NETWORK_PREFIX, 0),
    // The /28 right after the environment's /27.
    endpointSubnet: cidrSubnet(network, PROMOTER_ENDPOINT_SUBNET_PREFIX - PROMOTER_NETWORK_PREFIX, 2),
    registryEndpoint: !(platform.imageRegistry.imported && platform.imageRegistry.reachableFrom === 'public'),
  };
}
