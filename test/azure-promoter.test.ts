/**
 * Issue 16 on Azure: the promoter of a pipeline with a serve step
 * (lib/deploy/azure/promoter.ts) as synthesized: what it creates, in which
 * ORDER Terraform may create it, who may do what (RIGHTS), how the job reaches
 * the store's data planes in each network mode (REACHABILITY), and that the
 * spec it hands `mlops-release promote` is one the release driver accepts.
 */
import * as path from 'path';
import { App, DefaultTokenResolver, StringConcat, TerraformResource, TerraformStack, Testing, Tokenization } from 'cdktf';
import { loadConfig, parseConfig } from '../lib/config/load';
import { AzureContinuousTraining } from '../lib/deploy/azure/pipeline';
import { AzureScoringEndpoint } from '../lib/deploy/azure/scoring-endpoint';
import {
  AZURE_ML_TOPIC_TYPE,
  AZURE_RUN_STATUS_CHANGED,
  AzurePipelinePromoter,
  PROMOTER_TIMEOUT_SECONDS,
  QUEUE_PRIVATE_DNS_ZONE,
  promoterName,
  promoterReachability,
} from '../lib/deploy/azure/promoter';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { AzureArtifactStore } from '../lib/azure/artifact-store';
import { AzureReachableFrom } from '../lib/azure/common';
import { AzureImageRegistry } from '../lib/azure/image-registry';
import { AzureExistingResources, AzureMlPlatform } from '../lib/azure/platform';
import { IssueCollector } from '../lib/core/errors';
import { PolicyReport, PolicyViolationError } from '../lib/policy';
import { AZURE_AUTOSCALE_ACTIONS, AZURE_ROLES } from '../lib/azure/perms';
import { MlPlatformStack } from '../lib/stack';
import { parseSpec } from '../release/src/spec';
import { AzureTargetSchema } from '../release/src/azure/target';
import { promotePaths, promoteTargetOf } from '../release/src/azure/promote';
import { leaseBlobPath } from '../release/src/azure/lease';
import { validConfig, validationError } from './util';

const ROOT = path.resolve(__dirname, '..');
const RELEASE = 'contoso-mlops-dev-bike-demand';
type Json = Record<string, any>;

/** The shipped example pipeline with its serve step, on Azure, in a network mode. */
function promoterStack(
  network: Record<string, unknown>,
  more: (raw: Json) => void = () => undefined,
  mutate: (promoter: AzurePipelinePromoter) => void = () => undefined,
): { stack: MlPlatformStack; ct: AzureContinuousTraining; json: Json } {
  const raw = validConfig('azure');
  raw.network = network;
  raw.deployment = {
    model: 'bike-demand',
    image: { uri: `contosomlopsdevacr.azurecr.io/mlops-runtime@sha256:${'ab'.repeat(32)}` },
    training: { data: 'datasets/x.csv' },
    pipeline: { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike-sharing/hour.csv' }, skip: ['score'] },
  };
  more(raw);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const stack = new MlPlatformStack(new App(), 'promoter-azure', { config: parseConfig(raw) });
    const promoter = (stack.deployment!.pipeline?.resource as AzureContinuousTraining | undefined)?.promoter;
    if (promoter) mutate(promoter);
    const json = JSON.parse(Testing.synth(stack, true));
    return { stack, ct: stack.deployment!.pipeline?.resource as AzureContinuousTraining, json };
  } finally {
    process.chdir(cwd);
  }
}

function messageOf(fn: () => unknown): string {
  return validationError(fn).message;
}

const resources = (json: Json, type: string): [string, Json][] => Object.entries(json.resource?.[type] ?? {});
const only = (json: Json, type: string): [string, Json] => {
  const all = resources(json, type);
  expect(all).toHaveLength(1);
  return all[0]!;
};
const ref = (type: string, id: string, attr: string) => `\${${type}.${id}.${attr}}`;

const pub = promoterStack({ mode: 'public' });

describe('public mode: what the promoter is', () => {
  const { json } = pub;
  test('run events of the experiment that Completed go from a system topic on the workspace to a queue in the artifact store', () => {
    const [topicId, topic] = only(json, 'azurerm_eventgrid_system_topic');
    const [wsId] = only(json, 'azurerm_machine_learning_workspace');
    expect(topic.topic_type).toBe(AZURE_ML_TOPIC_TYPE);
    expect(topic.source_resource_id).toBe(ref('azurerm_machine_learning_workspace', wsId, 'id'));
    expect(topic.identity).toEqual({ type: 'SystemAssigned' });
    const [queueId, queue] = only(json, 'azurerm_storage_queue');
    const [accountId] = only(json, 'azurerm_storage_account');
    expect(queue.name).toBe(`${RELEASE}-promotions`);
    expect(queue.storage_account_id).toBe(ref('azurerm_storage_account', accountId, 'id'));
    const [, sub] = only(json, 'azurerm_eventgrid_system_topic_event_subscription');
    expect(sub.system_topic).toBe(ref('azurerm_eventgrid_system_topic', topicId, 'name'));
    expect(sub.included_event_types).toEqual([AZURE_RUN_STATUS_CHANGED]);
    expect(sub.advanced_filter.string_in).toEqual([
      { key: 'data.experimentName', values: [RELEASE] },
      { key: 'data.runStatus', values: ['Completed'] },
    ]);
    expect(sub.storage_queue_endpoint).toEqual({ storage_account_id: ref('azurerm_storage_account', accountId, 'id'), queue_name: ref('azurerm_storage_queue', queueId, 'name') });
    expect(sub.delivery_identity).toEqual({ type: 'SystemAssigned' });
  });

  test('one job runs the release image, one execution at a time, with the spec and its own identity', () => {
    const [, job] = only(json, 'azurerm_container_app_job');
    const [idId] = resources(json, 'azurerm_user_assigned_identity').find(([, r]) => r.name === `${RELEASE}-promoter`)!;
    expect(job.name.length).toBeLessThanOrEqual(32);
    expect(job.schedule_trigger_config).toMatchObject({ parallelism: 1, replica_completion_count: 1 });
    expect(job.identity).toEqual({ type: 'UserAssigned', identity_ids: [ref('azurerm_user_assigned_identity', idId, 'id')] });
    expect(job.registry).toEqual([expect.objectContaining({ identity: ref('azurerm_user_assigned_identity', idId, 'id') })]);
    const container = job.template.container[0];
    expect(container.args).toEqual(['promote', '--spec-env', 'MLOPS_RELEASE_SPEC', '--from-queue']);
    expect(container.image).toMatch(/@\$\{docker_registry_image\.ReleaseImage_[^.]+\.sha256_digest\}$/);
    expect(container.env.find((e: Json) => e.name === 'AZURE_CLIENT_ID').value).toBe(ref('azurerm_user_assigned_identity', idId, 'client_id'));
    expect(container.env.find((e: Json) => e.name === 'MLOPS_RELEASE_SPEC').value).toMatch(/^\$\{jsonencode\(/);
  });

  test('the spec the job runs is one the release driver accepts (the endpoint spec with azure.promote)', () => {
    const resolved = Tokenization.resolve(pub.ct.promoter!.spec, { scope: pub.stack, resolver: new DefaultTokenResolver(new StringConcat()) }) as Json;
    const fill = (v: any, key = ''): any => {
      if (typeof v === 'string' && /\$\{/.test(v)) {
        if (/clientid/i.test(key)) return '6f3c2a1e-8d4b-4c59-9a7e-2b1d0c9e8f7a';
        if (/element\(split/.test(v)) return '11111111-2222-3333-4444-555555555555';
        if (/user_assigned_identity/.test(v)) return '/subscriptions/1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id';
        return 'contoso-mlops-dev-rg';
      }
      if (Array.isArray(v)) return v.map((x) => fill(x, key));
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, k)]));
      return v;
    };
    const spec = parseSpec(fill(resolved));
    const target = AzureTargetSchema.parse(spec.azure);
    const p = promoteTargetOf(spec, target);
    expect(p).toMatchObject({
      blobEndpoint: 'https://contosomlopsdevst.blob.core.windows.net',
      queueEndpoint: 'https://contosomlopsdevst.queue.core.windows.net',
      experiment: RELEASE,
      pipeline: 'demand-forecast',
      model: 'demand-forecast',
      registryPrefix: 'pipelines/demand-forecast/',
      runsPrefix: 'pipelines/demand-forecast/runs/',
      registerNode: 'register',
      registration: 'registration/registration.json',
      pipelineRevision: pub.ct.revision,
      inputs: { data: 'azureml://datastores/mlopsartifacts/paths/datasets/bike-sharing/hour.csv' },
    });
    // the rollout the promoter runs is the endpoint's: same name, same rollout settings
    const endpoint = resources(pub.json, 'terraform_data').find(([, r]) => r.input.kind === 'endpoint')![1];
    expect(spec.endpoint).toEqual(endpoint.input.endpoint);
  });

  test("the register node's runs carry the lineage the promoter records (their run event's runTags)", () => {
    const register = (pub.ct.target.job.jobs as Json).register;
    expect(register.tags).toMatchObject({
      'mlops.uses': 'register',
      'mlops.pipeline.revision': pub.ct.revision,
      'mlops.image.digest': `sha256:${'ab'.repeat(32)}`,
      'mlops.input.data': 'azureml://datastores/mlopsartifacts/paths/datasets/bike-sharing/hour.csv',
    });
  });

  test('the policy pack passes', () => {
    expect(pub.stack.policy.report!.violations).toEqual([]);
  });
});

describe('RIGHTS: least privilege, and training code never gets production', () => {
  const { json } = pub;
  const assignments = resources(json, 'azurerm_role_assignment');
  const [idId] = resources(json, 'azurerm_user_assigned_identity').find(([, r]) => r.name === `${RELEASE}-promoter`)!;
  const [platformIdId] = resources(json, 'azurerm_user_assigned_identity').find(([, r]) => r.name !== `${RELEASE}-promoter` && /-id$/.test(r.name))!;
  const promoter = assignments.filter(([, r]) => r.principal_id === ref('azurerm_user_assigned_identity', idId, 'principal_id'));

  test('the promoter identity has exactly: AzureML Data Scientist on the workspace, Blob Data Contributor on the container, Queue Message Processor on the queue, AcrPull, and autoscale settings only', () => {
    const [wsId] = only(json, 'azurerm_machine_learning_workspace');
    const [containerId] = only(json, 'azurerm_storage_container');
    const [queueId] = only(json, 'azurerm_storage_queue');
    const [acrId] = only(json, 'azurerm_container_registry');
    const [rgId] = only(json, 'azurerm_resource_group');
    const got = promoter.map(([, r]) => `${r.role_definition_name ?? 'custom'} @ ${r.scope}`).sort();
    expect(got).toEqual(
      [
        `${AZURE_ROLES.workspaceUse} @ ${ref('azurerm_machine_learning_workspace', wsId, 'id')}`,
        `${AZURE_ROLES.blobReadWrite} @ ${ref('azurerm_storage_container', containerId, 'id')}`,
        `${AZURE_ROLES.queueProcess} @ ${ref('azurerm_storage_queue', queueId, 'resource_manager_id')}`,
        `${AZURE_ROLES.imagePull} @ ${ref('azurerm_container_registry', acrId, 'id')}`,
        `custom @ ${ref('azurerm_resource_group', rgId, 'id')}`,
      ].sort(),
    );
    const [, role] = resources(json, 'azurerm_role_definition').find(([, r]) => /promoter-autoscale/.test(r.name))!;
    expect(role.permissions).toEqual([{ actions: [...AZURE_AUTOSCALE_ACTIONS] }]);
    expect(role.assignable_scopes).toEqual([ref('azurerm_resource_group', rgId, 'id')]);
  });

  test('without autoscaling (min = max instances) there is no autoscale role', () => {
    const { json: fixed } = promoterStack({ mode: 'public' }, (raw) => (raw.deployment.endpoint = { minInstances: 1, maxInstances: 1 }));
    expect(resources(fixed, 'azurerm_role_definition').filter(([, r]) => /promoter-autoscale/.test(r.name))).toEqual([]);
  });

  test('the workload identity (training code) gets no role on the queue, the topic or anything of the promoter', () => {
    const workload = assignments.filter(([, r]) => r.principal_id === ref('azurerm_user_assigned_identity', platformIdId, 'principal_id'));
    for (const [, r] of workload) expect(r.scope).not.toMatch(/storage_queue|eventgrid|container_app|role_definition\..*Promoter/);
    expect(workload.map(([, r]) => r.role_definition_name)).not.toContain(AZURE_ROLES.queueProcess);
  });

  test("the topic's identity may only add messages to the queue", () => {
    const [topicId] = only(json, 'azurerm_eventgrid_system_topic');
    const [queueId] = only(json, 'azurerm_storage_queue');
    const topic = assignments.filter(([, r]) => r.principal_id === ref('azurerm_eventgrid_system_topic', topicId, 'identity[0].principal_id'));
    expect(topic.map(([, r]) => [r.role_definition_name, r.scope])).toEqual([[AZURE_ROLES.queueSend, ref('azurerm_storage_queue', queueId, 'resource_manager_id')]]);
  });
});

describe('ORDER: no grant before its identity, no job before its grants, no delivery before its right', () => {
  const { json } = pub;
  test('every promoter grant names the principal of an identity this stack creates (Terraform creates it first)', () => {
    for (const [, r] of resources(json, 'azurerm_role_assignment').filter(([id]) => /Promoter/.test(id))) {
      expect(r.principal_id).toMatch(/^\$\{(azurerm_user_assigned_identity\.[^.]+\.principal_id|azurerm_eventgrid_system_topic\.[^.]+\.identity\[0\]\.principal_id)\}$/);
    }
  });
  test('the job depends on every grant of its identity; the subscription on the sender grant', () => {
    const [, job] = only(json, 'azurerm_container_app_job');
    const grants = resources(json, 'azurerm_role_assignment')
      .filter(([id]) => /Promoter_Grant(?!TopicSend)/.test(id))
      .map(([id]) => `azurerm_role_assignment.${id}`);
    expect(grants).toHaveLength(5);
    expect(job.depends_on).toEqual(expect.arrayContaining(grants));
    const [, sub] = only(json, 'azurerm_eventgrid_system_topic_event_subscription');
    const sender = resources(json, 'azurerm_role_assignment').find(([id]) => /GrantTopicSend/.test(id))![0];
    expect(sub.depends_on).toEqual([`azurerm_role_assignment.${sender}`]);
  });
});

describe('REACHABILITY per network mode', () => {
  test('private mode: the environment in a delegated /27 after the private-endpoint subnet, internal only; the queue through a private endpoint; the job waits for both endpoints', () => {
    const { json, stack, ct } = promoterStack({ mode: 'private', addressSpace: '10.40.0.0/16' });
    const [, env] = only(json, 'azurerm_container_app_environment');
    const subnets = resources(json, 'azurerm_subnet');
    const [subnetId, subnet] = subnets.find(([, s]) => s.name === 'snet-promoter')!;
    const pe = subnets.find(([, s]) => s.name === 'snet-private-endpoints')![1];
    expect(pe.address_prefixes).toEqual(['10.40.0.0/24']);
    expect(subnet.address_prefixes).toEqual(['10.40.1.0/27']);
    expect(subnet.delegation[0].service_delegation.name).toBe('Microsoft.App/environments');
    expect(env.infrastructure_subnet_id).toBe(ref('azurerm_subnet', subnetId, 'id'));
    expect(env.internal_load_balancer_enabled).toBe(true);
    expect(env.public_network_access).toBe('Disabled');
    const endpoints = resources(json, 'azurerm_private_endpoint');
    const [queuePeId, queuePe] = endpoints.find(([, e]) => e.private_service_connection.subresource_names[0] === 'queue')!;
    const [blobPeId] = endpoints.find(([, e]) => e.private_service_connection.subresource_names[0] === 'blob')!;
    // The queue is in an account of its own: Event Grid cannot deliver to the artifact store, whose public
    // endpoint is off in private mode (delivery has no private endpoint path; only trusted services through
    // a default-deny firewall).
    const accounts = resources(json, 'azurerm_storage_account');
    const [storeId, store] = accounts.find(([id]) => /ArtifactStore/.test(id))!;
    const [eventsId, events] = accounts.find(([id]) => /EventAccount/.test(id))!;
    expect(store.public_network_access_enabled).toBe(false);
    expect(events.public_network_access_enabled).toBe(true);
    expect(events.network_rules).toEqual({ default_action: 'Deny', bypass: ['AzureServices'], ip_rules: [] });
    expect(events.shared_access_key_enabled).toBe(false);
    expect(events.customer_managed_key).toEqual(store.customer_managed_key);
    const [queueId, queue] = only(json, 'azurerm_storage_queue');
    expect(queue.storage_account_id).toBe(ref('azurerm_storage_account', eventsId, 'id'));
    const [, sub] = only(json, 'azurerm_eventgrid_system_topic_event_subscription');
    expect(sub.storage_queue_endpoint.storage_account_id).toBe(ref('azurerm_storage_account', eventsId, 'id'));
    expect(queuePe.private_service_connection.private_connection_resource_id).toBe(ref('azurerm_storage_account', eventsId, 'id'));
    // the promoter's queue role is on that queue; its blob role stays on the artifact store's container
    const promoterQueue = resources(json, 'azurerm_role_assignment').find(([id]) => /Promoter_GrantQueue/.test(id))![1];
    expect(promoterQueue.scope).toBe(ref('azurerm_storage_queue', queueId, 'resource_manager_id'));
    expect(ct.promoter!.queueAccountName).toBe(events.name);
    expect(storeId).toBeDefined();
    const [zoneId, zone] = resources(json, 'azurerm_private_dns_zone').find(([, z]) => z.name === QUEUE_PRIVATE_DNS_ZONE)!;
    expect(zone).toBeDefined();
    expect(queuePe.private_dns_zone_group.private_dns_zone_ids).toEqual([ref('azurerm_private_dns_zone', zoneId, 'id')]);
    const [, job] = only(json, 'azurerm_container_app_job');
    expect(job.depends_on).toEqual(expect.arrayContaining([`azurerm_private_endpoint.${queuePeId}`, `azurerm_private_endpoint.${blobPeId}`]));
    expect(stack.policy.report!.violations).toEqual([]);
  });

  test('public mode: no network, no private endpoint for the queue, the queue in the artifact store', () => {
    only(pub.json, 'azurerm_storage_account');
    const [, env] = only(pub.json, 'azurerm_container_app_environment');
    expect(env.infrastructure_subnet_id).toBeUndefined();
    expect(resources(pub.json, 'azurerm_private_endpoint')).toEqual([]);
  });

  test('an existing network, or an address space without room (private mode) are config errors naming the fix', () => {
    const existing = {
      mode: 'private',
      existing: { azure: { subnetId: '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub/subnets/pe' } },
    };
    expect(messageOf(() => promoterStack(existing))).toMatch(/network\.existing\.azure: is an existing network.*Fix: keep the serve step/s);
    expect(messageOf(() => promoterStack({ mode: 'private', addressSpace: '10.40.0.0/24' }))).toMatch(/network\.addressSpace: is 10\.40\.0\.0\/24.*Fix: use a \/23 or larger/s);
  });

  test('names stay within Azure limits however long the release', () => {
    expect(promoterName('a'.repeat(63), '-promote', 32)).toHaveLength(32);
    expect(promoterName('a'.repeat(63), '-promotions', 63).length).toBeLessThanOrEqual(63);
    expect(promoterName('short', '-promote', 32)).toBe('short-promote');
    expect(promoterName('a'.repeat(40), '-promote', 32)).not.toBe(promoterName(`${'a'.repeat(39)}b`, '-promote', 32));
  });
});

describe('REACHABILITY in firewalled mode: a network of its own, a storage service endpoint and a registry private endpoint', () => {
  const fw = promoterStack({ mode: 'firewalled', allowedIpRanges: ['203.0.113.0/24'], addressSpace: '10.40.0.0/16' });
  const { json } = fw;
  const [vnetId, vnet] = only(json, 'azurerm_virtual_network');
  const subnets = resources(json, 'azurerm_subnet');
  const [subnetId, subnet] = subnets.find(([, s]) => s.name === 'snet-promoter')!;
  const [peSubnetId, peSubnet] = subnets.find(([, s]) => s.name === 'snet-private-endpoints')!;
  const [accountId, account] = only(json, 'azurerm_storage_account');
  const [acrId] = only(json, 'azurerm_container_registry');
  const [peId, pe] = only(json, 'azurerm_private_endpoint');
  const [, job] = only(json, 'azurerm_container_app_job');

  test('the environment runs in a delegated /27 with the Microsoft.Storage service endpoint, in a network of the first /24 of network.addressSpace, internal only', () => {
    expect(vnet.address_space).toEqual(['10.40.0.0/24']);
    expect(subnets).toHaveLength(2);
    expect(subnet.virtual_network_name).toBe(ref('azurerm_virtual_network', vnetId, 'name'));
    expect(subnet.address_prefixes).toEqual(['10.40.0.0/27']);
    expect(subnet.service_endpoints).toEqual(['Microsoft.Storage']);
    expect(subnet.delegation).toEqual([
      { name: 'container-apps', service_delegation: { name: 'Microsoft.App/environments', actions: ['Microsoft.Network/virtualNetworks/subnets/join/action'] } },
    ]);
    expect(peSubnet.address_prefixes).toEqual(['10.40.0.32/28']);
    const [, env] = only(json, 'azurerm_container_app_environment');
    expect(env.infrastructure_subnet_id).toBe(ref('azurerm_subnet', subnetId, 'id'));
    expect(env.internal_load_balancer_enabled).toBe(true);
    expect(env.public_network_access).toBe('Disabled');
  });

  test("the artifact account's firewall lets the subnet through by a virtual network rule and keeps everything else: default Deny, the IP rules, trusted services", () => {
    // IP rules do not apply to requests from the account's own region: only the subnet rule lets the job in.
    expect(account.public_network_access_enabled).toBe(true);
    expect(account.network_rules).toEqual({
      default_action: 'Deny',
      bypass: ['AzureServices'],
      ip_rules: ['203.0.113.0/24'],
      virtual_network_subnet_ids: [ref('azurerm_subnet', subnetId, 'id')],
    });
  });

  test('the queue stays in the artifact account (Event Grid delivers through its trusted-services exception); the job reads blobs and the queue there', () => {
    const [queueId, queue] = only(json, 'azurerm_storage_queue');
    expect(queue.storage_account_id).toBe(ref('azurerm_storage_account', accountId, 'id'));
    const [, sub] = only(json, 'azurerm_eventgrid_system_topic_event_subscription');
    expect(sub.storage_queue_endpoint).toEqual({ storage_account_id: ref('azurerm_storage_account', accountId, 'id'), queue_name: ref('azurerm_storage_queue', queueId, 'name') });
    expect(fw.ct.promoter!.queueAccountName).toBe(account.name);
    expect(fw.ct.promoter!.spec).toMatchObject({
      azure: { promote: { blobEndpoint: `https://${account.name}.blob.core.windows.net`, queueEndpoint: `https://${account.name}.queue.core.windows.net` } },
    });
  });

  test('the registry is pulled from through a private endpoint in the /28, its zone group in privatelink.azurecr.io linked to the network', () => {
    expect(pe.subnet_id).toBe(ref('azurerm_subnet', peSubnetId, 'id'));
    expect(pe.private_service_connection).toMatchObject({
      private_connection_resource_id: ref('azurerm_container_registry', acrId, 'id'),
      subresource_names: ['registry'],
      is_manual_connection: false,
    });
    const [zoneId, zone] = only(json, 'azurerm_private_dns_zone');
    expect(zone.name).toBe('privatelink.azurecr.io');
    expect(pe.private_dns_zone_group.private_dns_zone_ids).toEqual([ref('azurerm_private_dns_zone', zoneId, 'id')]);
    const [linkId, link] = only(json, 'azurerm_private_dns_zone_virtual_network_link');
    expect(link.private_dns_zone_name).toBe(ref('azurerm_private_dns_zone', zoneId, 'name'));
    expect(link.virtual_network_id).toBe(ref('azurerm_virtual_network', vnetId, 'id'));
    // the records resolve once the zone is linked
    expect(pe.depends_on).toEqual([`azurerm_private_dns_zone_virtual_network_link.${linkId}`]);
    const [, registry] = only(json, 'azurerm_container_registry');
    expect(registry.data_endpoint_enabled).toBe(true);
    expect(job.registry).toEqual([expect.objectContaining({ server: ref('azurerm_container_registry', acrId, 'login_server') })]);
  });

  test('ORDER: the subnet (with its service endpoint) before the account rule naming it; the job after the account rule, the registry endpoint and every grant', () => {
    // the account refers to the subnet, so Terraform creates the subnet and its service endpoint first
    // (Azure refuses a rule for a subnet without it: SubnetsHaveNoServiceEndpointsConfigured)
    expect(account.network_rules.virtual_network_subnet_ids).toEqual([ref('azurerm_subnet', subnetId, 'id')]);
    const grants = resources(json, 'azurerm_role_assignment')
      .filter(([id]) => /Promoter_Grant(?!TopicSend)/.test(id))
      .map(([id]) => `azurerm_role_assignment.${id}`);
    expect(grants).toHaveLength(5);
    expect(job.depends_on).toEqual(expect.arrayContaining([...grants, `azurerm_storage_account.${accountId}`, `azurerm_private_endpoint.${peId}`]));
  });

  test('the policy pack passes', () => {
    expect(fw.stack.policy.report!.violations).toEqual([]);
  });

  test('an address space whose prefix is smaller than /24 uses its first /24; a /24 is used whole', () => {
    const { json: small } = promoterStack({ mode: 'firewalled', allowedIpRanges: ['203.0.113.0/24'], addressSpace: '172.20.8.0/24' });
    expect(only(small, 'azurerm_virtual_network')[1].address_space).toEqual(['172.20.8.0/24']);
    expect(
      resources(small, 'azurerm_subnet')
        .map(([, s]) => s.address_prefixes[0])
        .sort(),
    ).toEqual(['172.20.8.0/27', '172.20.8.32/28']);
  });
});

describe("MLOPS_DEPLOY_AZURE_JOB_PATH: the policy pack checks the job's network path to each data plane it uses, and that the job waits for it", () => {
  const FW = { mode: 'firewalled', allowedIpRanges: ['203.0.113.0/24'] };
  const good = promoterStack(FW);
  const [peId] = only(good.json, 'azurerm_private_endpoint');
  const child = (p: AzurePipelinePromoter, id: string) => p.node.findChild(id) as TerraformResource;
  /** The rule's findings (`<found> Fix: <fix>`) on the firewalled promoter stack with one thing broken (the synth then fails with them). */
  const jobPathFindings = (mutate: (p: AzurePipelinePromoter) => void): string[] => {
    let report: PolicyReport | undefined;
    try {
      report = promoterStack(FW, () => undefined, mutate).stack.policy.report;
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyViolationError);
      report = (err as PolicyViolationError).report;
    }
    return report!.violations.filter((v) => v.ruleId === 'MLOPS_DEPLOY_AZURE_JOB_PATH').map((v) => `${v.found} Fix: ${v.fix}`);
  };

  test('the promoter passes it in public and firewalled mode (private mode: the whole pack passes, above)', () => {
    for (const stack of [good.stack, pub.stack]) expect(stack.policy.report!.violations.filter((v) => v.ruleId === 'MLOPS_DEPLOY_AZURE_JOB_PATH')).toEqual([]);
  });

  test('an environment without a network (what firewalled mode was refused for) reaches neither the store nor the registry', () => {
    const found = jobPathFindings((p) => child(p, 'Environment').addOverride('infrastructure_subnet_id', null));
    expect(found).toEqual([
      expect.stringMatching(/pulls its image from azurerm_container_registry\..* no private endpoint of sub-resource "registry".*not a trusted service of a registry/),
      expect.stringMatching(/reads \(blob, queue\) azurerm_storage_account\..*lets only IP ranges through.*IP rules do not apply to requests from the account's own region/),
    ]);
  });

  test('a subnet without the Microsoft.Storage service endpoint is named, with the fix', () => {
    const found = jobPathFindings((p) => ((child(p, 'Subnet') as Subnet).serviceEndpoints = []));
    expect(found).toHaveLength(1);
    expect(found[0]!).toMatch(/has no Microsoft\.Storage service endpoint.*Fix: Add "Microsoft\.Storage" to service_endpoints/s);
  });

  test("a registry zone not linked to the environment's network does not count as a path", () => {
    const found = jobPathFindings((p) =>
      child(p, 'RegistryZoneLink').addOverride('virtual_network_id', '/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/elsewhere'),
    );
    expect(found).toEqual([expect.stringMatching(/no private endpoint of sub-resource "registry" resolved in the environment's network/)]);
  });

  // (A job that does not wait for the account rule is caught too: test/policy-azure.test.ts. Here the job also
  // reaches the account through its queue, its grants and the workspace, so that case cannot be built from it.)
  test("a job that does not wait for the registry's private endpoint is named, with the depends_on to add", () => {
    const address = `azurerm_private_endpoint.${peId}`;
    const found = jobPathFindings((p) => {
      const resolve = (d: string) => String(Tokenization.resolve(d, { scope: p, resolver: new DefaultTokenResolver(new StringConcat()) }));
      p.job.dependsOn = p.job.dependsOn!.filter((d) => resolve(d) !== address);
    });
    expect(found).toHaveLength(1);
    expect(found[0]!).toMatch(/through azurerm_private_endpoint\..* but does not depend on it/);
    expect(found[0]!).toContain(`depends_on = [${address}]`);
  });
});

describe('the shipped dev-azure stack (firewalled) rolls out what its pipeline promotes', () => {
  const cwd = process.cwd();
  process.chdir(ROOT);
  let stack: MlPlatformStack;
  try {
    stack = new MlPlatformStack(new App(), 'dev-azure', { config: loadConfig(path.join(ROOT, 'stacks', 'config', 'dev-azure.yaml')) });
  } finally {
    process.chdir(cwd);
  }
  const json = JSON.parse(Testing.synth(stack, true)) as Json;

  test('its pipeline keeps the serve step (only score is skipped) and the stack has the promoter, in its own network', () => {
    const config = loadConfig(path.join(ROOT, 'stacks', 'config', 'dev-azure.yaml'));
    expect(config.network.mode).toBe('firewalled');
    expect(config.deployment!.pipeline!.skip).toEqual(['score']);
    const ct = stack.deployment!.pipeline!.resource as AzureContinuousTraining;
    expect(ct.promoter).toBeDefined();
    only(json, 'azurerm_container_app_job');
    const [subnetId, subnet] = resources(json, 'azurerm_subnet').find(([, s]) => s.name === 'snet-promoter')!;
    expect(subnet.service_endpoints).toEqual(['Microsoft.Storage']);
    const store = resources(json, 'azurerm_storage_account').find(([id]) => /ArtifactStore/.test(id))![1];
    expect(store.network_rules.virtual_network_subnet_ids).toEqual([ref('azurerm_subnet', subnetId, 'id')]);
    expect(resources(json, 'azurerm_private_endpoint').map(([, e]) => e.private_service_connection.subresource_names)).toEqual([['registry']]);
  });

  test('every promoter resource carries the platform tags', () => {
    const promoter = Object.entries(json.resource as Record<string, Record<string, Json>>).flatMap(([, byId]) =>
      Object.entries(byId).filter(([id, r]) => /Promoter/.test(id) && r.tags !== undefined),
    );
    expect(promoter.length).toBeGreaterThan(5);
    for (const [, r] of promoter) expect(r.tags).toMatchObject({ company: 'contoso', project: 'mlops', environment: 'dev', owner: 'platform-team', 'mlops.release': RELEASE });
  });

  test('the policy pack passes', () => {
    expect(stack.policy.report!.violations).toEqual([]);
  });
});

describe('firewalled mode with imported stores (AzureMlPlatform existing, code only)', () => {
  const SHARED = '/subscriptions/22222222-0000-0000-0000-000000000000/resourceGroups/shared-rg/providers';
  const reach = (existing: (stack: TerraformStack) => AzureExistingResources) => {
    const stack = new TerraformStack(Testing.app(), 'imports');
    const platform = new AzureMlPlatform(stack, 'Platform', {
      naming: { company: 'contoso', project: 'mlops', environment: 'dev' },
      region: 'westeurope',
      tenantId: '11111111-2222-3333-4444-555555555555',
      deployers: ['aaaaaaaa-0000-0000-0000-000000000001'],
      network: { mode: 'firewalled', allowedIpRanges: ['203.0.113.10/32'] },
      existing: existing(stack),
    });
    const issues = new IssueCollector();
    return { network: promoterReachability(platform, issues), issues: issues.issues };
  };
  const store = (stack: TerraformStack, reachableFrom?: AzureReachableFrom) =>
    AzureArtifactStore.fromExisting(stack, 'Store', { storageAccountId: `${SHARED}/Microsoft.Storage/storageAccounts/sharedmlst`, containerName: 'ml-data', reachableFrom });

  test.each([undefined, 'allowedRanges', 'privateEndpoint'] as const)(
    'an imported artifact store (reachableFrom %s), whose firewall the stack never changes, is refused naming existing.artifactStore and the fix',
    (reachableFrom) => {
      const { network, issues } = reach((stack) => ({ artifactStore: store(stack, reachableFrom) }));
      expect(network).toBeUndefined();
      expect(issues).toHaveLength(1);
      expect(issues[0]!.path).toBe('existing.artifactStore');
      expect(issues[0]!.message).toMatch(
        /is the existing storage account "sharedmlst".*virtual network rule.*Fix: let the platform create the artifact store, import one whose public endpoint is open with reachableFrom: 'public'/s,
      );
    },
  );

  test("an imported artifact store that says its public endpoint is open (reachableFrom 'public') is used as it is; an open imported registry gets no private endpoint", () => {
    const { network, issues } = reach((stack) => ({
      artifactStore: store(stack, 'public'),
      imageRegistry: AzureImageRegistry.fromExisting(stack, 'Registry', { registryId: `${SHARED}/Microsoft.ContainerRegistry/registries/sharedacr`, reachableFrom: 'public' }),
    }));
    expect(issues).toEqual([]);
    expect(network).toMatchObject({ mode: 'firewalled', registryEndpoint: false });
  });

  test('an imported registry whose reachability is not public gets a private endpoint like a created one', () => {
    const { network } = reach((stack) => ({
      imageRegistry: AzureImageRegistry.fromExisting(stack, 'Registry', {
        registryId: `${SHARED}/Microsoft.ContainerRegistry/registries/sharedacr`,
        reachableFrom: 'allowedRanges',
      }),
    }));
    expect(network).toMatchObject({ mode: 'firewalled', registryEndpoint: true, addressSpace: '10.40.0.0/24', subnet: '10.40.0.0/27', endpointSubnet: '10.40.0.32/28' });
  });

  test('the artifact store the platform creates lets a subnet through once per subnet; an imported one returns nothing', () => {
    const stack = new TerraformStack(Testing.app(), 'rule');
    const platform = new AzureMlPlatform(stack, 'Platform', {
      naming: { company: 'contoso', project: 'mlops', environment: 'dev' },
      region: 'westeurope',
      tenantId: '11111111-2222-3333-4444-555555555555',
      deployers: ['aaaaaaaa-0000-0000-0000-000000000001'],
      network: { mode: 'firewalled', allowedIpRanges: ['203.0.113.10/32'] },
    });
    const subnet = '/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s';
    expect(platform.artifactStore.allowSubnet(subnet)).toBe(platform.artifactStore.allowSubnet(subnet));
    const json = JSON.parse(Testing.synth(stack)) as Json;
    expect(only(json, 'azurerm_storage_account')[1].network_rules.virtual_network_subnet_ids).toEqual([subnet]);
    expect(store(stack).allowSubnet(subnet)).toBeUndefined();
  });
});

describe('without a serve step nothing of the promoter is created', () => {
  test('skip: [score, serve]', () => {
    const { json, ct } = promoterStack({ mode: 'public' }, (raw) => (raw.deployment.pipeline.skip = ['score', 'serve']));
    expect(ct.promoter).toBeUndefined();
    for (const type of ['azurerm_container_app_job', 'azurerm_eventgrid_system_topic', 'azurerm_storage_queue']) expect(resources(json, type)).toEqual([]);
    expect((ct.target.job.jobs as Json).register.tags['mlops.pipeline.revision']).toBe(ct.revision);
  });
});

describe('CI', () => {
  test('the CI identity may manage every role assignment of the promoter (its constrained RBAC administration knows their role ids)', () => {
    const { json } = promoterStack({ mode: 'public' }, (raw) => {
      raw.deployers = ['00000000-0000-0000-0000-000000000000'];
      raw.ci = { github: { repository: 'contoso/ml-platform', branches: ['main'] } };
    });
    const admin = resources(json, 'azurerm_role_assignment').find(([id, r]) => id.startsWith('Ci_') && r.role_definition_name === 'Role Based Access Control Administrator')![1];
    for (const guid of ['8a0f0c08-91a1-4084-bc3d-661d67233fed', 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a']) expect(admin.condition).toContain(guid);
  });
});

describe("SAFETY: cdktf deploy's endpoint step holds the promoter's rollout lease (one blob, one holder)", () => {
  const DEPLOYER = '00000000-0000-0000-0000-000000000000';
  const withCi = (raw: Json) => {
    raw.deployers = [DEPLOYER];
    raw.ci = { github: { repository: 'contoso/ml-platform', branches: ['main'] } };
  };
  const endpointStep = (json: Json): [string, Json] => resources(json, 'terraform_data').find(([, r]) => r.input.kind === 'endpoint')!;
  /** Tokens as the release driver would see them after apply (only the ones these specs hold). */
  const fill = (v: any, key = ''): any => {
    if (typeof v === 'string' && /\$\{/.test(v)) {
      if (/clientid/i.test(key)) return '6f3c2a1e-8d4b-4c59-9a7e-2b1d0c9e8f7a';
      if (/element\(split/.test(v)) return '11111111-2222-3333-4444-555555555555';
      if (/user_assigned_identity/.test(v)) return '/subscriptions/1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id';
      return 'contoso-mlops-dev-rg';
    }
    if (Array.isArray(v)) return v.map((x) => fill(x, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, k)]));
    return v;
  };

  test('with a promoter, the endpoint spec names the lease: the store, the registry of the promoted model, the job and its timeout', () => {
    const [, step] = endpointStep(pub.json);
    const [, job] = only(pub.json, 'azurerm_container_app_job');
    const [, container] = only(pub.json, 'azurerm_storage_container');
    expect(step.input.azure.endpoint.lease).toEqual({
      blobEndpoint: 'https://contosomlopsdevst.blob.core.windows.net',
      container: container.name,
      registryPrefix: 'pipelines/demand-forecast/',
      model: 'demand-forecast',
      promoterJob: job.name,
      promotionTimeoutSeconds: PROMOTER_TIMEOUT_SECONDS,
    });
    expect(job.replica_timeout_in_seconds).toBe(PROMOTER_TIMEOUT_SECONDS);
  });

  test("the release driver reads the lease, and it is the very blob the promoter leases (the promoter's spec carries it too, and promote accepts it)", () => {
    const [, step] = endpointStep(pub.json);
    const endpointSpec = parseSpec(fill(step.input));
    const lease = AzureTargetSchema.parse(endpointSpec.azure).endpoint!.lease!;
    const promoterSpec = parseSpec(fill(Tokenization.resolve(pub.ct.promoter!.spec, { scope: pub.stack, resolver: new DefaultTokenResolver(new StringConcat()) })));
    const target = AzureTargetSchema.parse(promoterSpec.azure);
    const p = promoteTargetOf(promoterSpec, target);
    expect(target.endpoint!.lease).toEqual(lease);
    expect(leaseBlobPath(lease.registryPrefix, lease.model)).toBe(promotePaths(p, p.model, 'any-run').lease);
    expect([lease.blobEndpoint, lease.container]).toEqual([p.blobEndpoint, p.container]);
  });

  test('without a promoter (the serve step skipped, or no pipeline) the endpoint spec has no lease and the step waits for nothing more', () => {
    const skipped = promoterStack({ mode: 'public' }, (raw) => (raw.deployment.pipeline.skip = ['score', 'serve']));
    const none = promoterStack({ mode: 'public' }, (raw) => delete raw.deployment.pipeline);
    for (const { json } of [skipped, none]) {
      const [, step] = endpointStep(json);
      expect(step.input.azure.endpoint).not.toHaveProperty('lease');
      expect(JSON.stringify(step.depends_on)).not.toMatch(/azurerm_storage_container|Deploy/);
    }
    // and adding a promoter changes neither the step's triggers (no replacement, no rollout) nor the revision
    expect(endpointStep(skipped.json)[1].triggers_replace).toEqual(endpointStep(pub.json)[1].triggers_replace);
  });

  test("RIGHTS: every deployer and the CI identity hold Storage Blob Data Contributor on the lease's container (a reader cannot lease); CI gets no new right for it", () => {
    const withPromoter = promoterStack({ mode: 'public' }, withCi);
    const without = promoterStack({ mode: 'public' }, (raw) => {
      withCi(raw);
      raw.deployment.pipeline.skip = ['score', 'serve'];
    });
    const [containerId] = only(withPromoter.json, 'azurerm_storage_container');
    const ci = resources(withPromoter.json, 'azurerm_user_assigned_identity').find(([id]) => id.startsWith('Ci_'))![0];
    const onContainer = resources(withPromoter.json, 'azurerm_role_assignment')
      .filter(([, r]) => r.scope === ref('azurerm_storage_container', containerId, 'id'))
      .map(([, r]) => [r.principal_id, r.role_definition_name]);
    expect(onContainer).toEqual(
      expect.arrayContaining([
        [DEPLOYER, AZURE_ROLES.blobReadWrite],
        [ref('azurerm_user_assigned_identity', ci, 'principal_id'), AZURE_ROLES.blobReadWrite],
      ]),
    );
    // CI's assignments are exactly those it has without a promoter: the lease needs none it lacks
    const ciRights = (json: Json) =>
      resources(json, 'azurerm_role_assignment')
        .filter(([, r]) => r.principal_id === ref('azurerm_user_assigned_identity', ci, 'principal_id'))
        .map(([, r]) => `${r.role_definition_name} @ ${r.scope}`)
        .sort();
    expect(ciRights(withPromoter.json)).toEqual(ciRights(without.json));
    expect(withPromoter.stack.policy.report!.violations).toEqual([]);
  });

  test("ORDER: the step waits for the container, each deployer's (and CI's) role on it, and in private mode the blob private endpoint", () => {
    const stacks = [promoterStack({ mode: 'public' }, withCi), promoterStack({ mode: 'private', addressSpace: '10.40.0.0/16' }, withCi)];
    for (const { json } of stacks) {
      const [, step] = endpointStep(json);
      const [containerId] = only(json, 'azurerm_storage_container');
      const grants = resources(json, 'azurerm_role_assignment')
        .filter(([, r]) => r.scope === ref('azurerm_storage_container', containerId, 'id') && r.role_definition_name === AZURE_ROLES.blobReadWrite)
        .filter(([, r]) => r.principal_id === DEPLOYER || /Ci_/.test(r.principal_id))
        .map(([id]) => `azurerm_role_assignment.${id}`);
      expect(grants).toHaveLength(2);
      expect(step.depends_on).toEqual(expect.arrayContaining([`azurerm_storage_container.${containerId}`, ...grants]));
      const blobPe = resources(json, 'azurerm_private_endpoint').find(([, e]) => e.private_service_connection.subresource_names[0] === 'blob');
      if (blobPe) expect(step.depends_on).toContain(`azurerm_private_endpoint.${blobPe[0]}`);
    }
    expect(resources(stacks[1]!.json, 'azurerm_private_endpoint').some(([, e]) => e.private_service_connection.subresource_names[0] === 'blob')).toBe(true);
    for (const { stack } of stacks) expect(stack.policy.report!.violations).toEqual([]);
  });

  test('a second promoter with another lease on the same endpoint is refused (their rollouts would not exclude each other)', () => {
    const err = validationError(() =>
      promoterStack({ mode: 'public' }, undefined, (promoter) => {
        const ep = TerraformStack.of(promoter)
          .node.findAll()
          .find((c): c is AzureScoringEndpoint => c instanceof AzureScoringEndpoint)!;
        ep.shareRolloutLease({
          blobEndpoint: 'https://contosomlopsdevst.blob.core.windows.net',
          container: 'mlops-artifacts',
          registryPrefix: 'pipelines/other/',
          model: 'other',
          promoterJob: 'other-promote',
          promotionTimeoutSeconds: PROMOTER_TIMEOUT_SECONDS,
        });
      }),
    );
    expect(err.message).toContain('is already rolled out by the pipeline promoter of registry "pipelines/demand-forecast/registry/demand-forecast/"');
    expect(err.message).toContain('Fix: let one pipeline serve each endpoint');
  });
});

describe("MLOPS_DEPLOY_AZURE_WRITE_ROLE / _WRITE_PATH: the endpoint step's lease is a deployer's blob write", () => {
  const FW = { mode: 'firewalled', allowedIpRanges: ['203.0.113.0/24'] };
  const findings = (network: Json, mutate: (stack: MlPlatformStack) => void, rule: string): string[] => {
    const raw = validConfig('azure');
    raw.network = network;
    raw.deployers = ['00000000-0000-0000-0000-000000000000'];
    raw.deployment = {
      model: 'bike-demand',
      image: { uri: `contosomlopsdevacr.azurecr.io/mlops-runtime@sha256:${'ab'.repeat(32)}` },
      training: { data: 'datasets/x.csv' },
      pipeline: { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike-sharing/hour.csv' }, skip: ['score'] },
    };
    const cwd = process.cwd();
    process.chdir(ROOT);
    let report: PolicyReport | undefined;
    try {
      const stack = new MlPlatformStack(new App(), 'lease-policy', { config: parseConfig(raw) });
      mutate(stack);
      try {
        Testing.synth(stack, true);
        report = stack.policy.report;
      } catch (err) {
        expect(err).toBeInstanceOf(PolicyViolationError);
        report = (err as PolicyViolationError).report;
      }
    } finally {
      process.chdir(cwd);
    }
    return report!.violations.filter((v) => v.ruleId === rule && v.address.startsWith('terraform_data.')).map((v) => `${v.found} Fix: ${v.fix}`);
  };
  const deployerGrant = (stack: MlPlatformStack) =>
    stack.node
      .findAll()
      .filter((c): c is TerraformResource => c instanceof TerraformResource && c.terraformResourceType === 'azurerm_role_assignment')
      .find((c) => (c as unknown as { principalIdInput?: string }).principalIdInput === '00000000-0000-0000-0000-000000000000' && /ArtifactStore/.test(c.node.path))!;

  test('passes as built (public and firewalled)', () => {
    expect(findings({ mode: 'public' }, () => undefined, 'MLOPS_DEPLOY_AZURE_WRITE_ROLE')).toEqual([]);
    expect(findings(FW, () => undefined, 'MLOPS_DEPLOY_AZURE_WRITE_PATH')).toEqual([]);
  });

  test('a deployer with only Storage Blob Data Reader on the container cannot take the lease: named, with the fix', () => {
    const found = findings({ mode: 'public' }, (stack) => deployerGrant(stack).addOverride('role_definition_name', 'Storage Blob Data Reader'), 'MLOPS_DEPLOY_AZURE_WRITE_ROLE');
    expect(found).toEqual([
      expect.stringMatching(
        /terraform_data\..*takes the endpoint's rollout lease .* but the deployer "00000000-0000-0000-0000-000000000000" has no Storage Blob Data Contributor or Storage Blob Data Owner on it.*Fix: Grant the deployer Storage Blob Data Contributor/s,
      ),
    ]);
  });

  test("a step that does not wait for the deployer's role is named, with the depends_on to add", () => {
    const found = findings(
      { mode: 'public' },
      (stack) => {
        const endpoint = stack.node.findAll().find((c) => c instanceof AzureScoringEndpoint) as AzureScoringEndpoint;
        const grant = `azurerm_role_assignment.${deployerGrant(stack).friendlyUniqueId}`;
        const resolve = (d: string) => String(Tokenization.resolve(d, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) }));
        const step = endpoint.step.resource;
        step.dependsOn = step.dependsOn!.filter((d) => resolve(d) !== grant);
      },
      'MLOPS_DEPLOY_AZURE_WRITE_ROLE',
    );
    expect(found).toEqual([expect.stringMatching(/takes the endpoint's rollout lease .* but does not depend on the deployer .* role assignment.*Fix: Add depends_on/s)]);
  });

  test('firewalled with no range to let the deployer through: named, with the fix (and the same-region caveat)', () => {
    const found = findings(
      FW,
      (stack) => {
        const account = stack.node
          .findAll()
          .find((c) => c instanceof TerraformResource && c.terraformResourceType === 'azurerm_storage_account' && /ArtifactStore/.test(c.node.path)) as TerraformResource;
        account.addOverride('network_rules.ip_rules', null);
      },
      'MLOPS_DEPLOY_AZURE_WRITE_PATH',
    );
    expect(found).toEqual([
      expect.stringMatching(/takes the endpoint's rollout lease .*lets no range through.*Fix: .*IP rules do not apply to requests from its own Azure region/s),
    ]);
  });
});

describe('the release image', () => {
  test("RELEASE_IMAGE_INCLUDE is the release Dockerfile's allow-list, and every entry exists", () => {
    const fs = require('fs') as typeof import('fs');
    const { RELEASE_IMAGE_INCLUDE } = require('../lib/image/runtime-image') as typeof import('../lib/image/runtime-image');
    const allowed = fs
      .readFileSync(path.join(ROOT, 'release', 'Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    expect([...RELEASE_IMAGE_INCLUDE].sort()).toEqual(allowed.sort());
    for (const p of RELEASE_IMAGE_INCLUDE) expect(fs.existsSync(path.join(ROOT, 'release', p))).toBe(true);
    // what the Dockerfile copies from the context (every source of each COPY, the last word is the destination) is in the list
    const copied = [...fs.readFileSync(path.join(ROOT, 'release', 'Dockerfile'), 'utf8').matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
      m[1]!.trim().split(/\s+/).slice(0, -1),
    );
    expect(copied).toContain('npm-shrinkwrap.json');
    for (const c of copied) expect(RELEASE_IMAGE_INCLUDE).toContain(c);
  });

  test("release/Dockerfile runs on the runtime image's base, pinned by the same digest (the container test builds both on one base)", () => {
    const fs = require('fs') as typeof import('fs');
    const pin = (file: string): string | undefined => /^ARG NODE_IMAGE=(\S+)$/m.exec(fs.readFileSync(path.join(ROOT, file), 'utf8'))?.[1];
    expect(pin('release/Dockerfile')).toMatch(/^node:20-bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(pin('release/Dockerfile')).toBe(pin('training-image/Dockerfile'));
  });

  test('the staged build context of the release image holds its lockfile as release/ has it', () => {
    const fs = require('fs') as typeof import('fs');
    const os = require('os') as typeof import('os');
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-promoter-synth-'));
    const raw = validConfig('azure');
    raw.network = { mode: 'public' };
    raw.deployment = {
      model: 'bike-demand',
      image: { uri: `contosomlopsdevacr.azurecr.io/mlops-runtime@sha256:${'ab'.repeat(32)}` },
      training: { data: 'datasets/x.csv' },
      pipeline: { file: 'examples/demand-forecast/pipeline.yaml', inputs: { data: 'datasets/bike-sharing/hour.csv' }, skip: ['score'] },
    };
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const app = new App({ outdir });
      new MlPlatformStack(app, 'promoter-azure', { config: parseConfig(raw) });
      app.synth();
      const stackDir = path.join(outdir, 'stacks', 'promoter-azure');
      const json = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as Json;
      const [, image] = only(json, 'docker_image');
      expect(image.name).toMatch(/:release-[0-9a-f]{16}$/);
      const context = path.join(stackDir, image.build.context);
      expect(fs.readFileSync(path.join(context, 'npm-shrinkwrap.json'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'release', 'npm-shrinkwrap.json'), 'utf8'));
      expect(fs.readFileSync(path.join(context, 'package.json'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'release', 'package.json'), 'utf8'));
    } finally {
      process.chdir(cwd);
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a change of the lockfile alone rolls a new release image tag (the content hash covers it)', () => {
    const fs = require('fs') as typeof import('fs');
    const os = require('os') as typeof import('os');
    const { RuntimeImage, RELEASE_IMAGE_INCLUDE } = require('../lib/image/runtime-image') as typeof import('../lib/image/runtime-image');
    const { AzureMlPlatform } = require('../lib/azure') as typeof import('../lib/azure');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-release-context-'));
    try {
      for (const rel of ['Dockerfile', 'Dockerfile.dockerignore', ...RELEASE_IMAGE_INCLUDE]) fs.cpSync(path.join(ROOT, 'release', rel), path.join(dir, rel), { recursive: true });
      const hash = (): string => {
        const stack = new TerraformStack(Testing.app(), 'release-image');
        const platform = new AzureMlPlatform(stack, 'Platform', {
          naming: { company: 'contoso', project: 'mlops', environment: 'dev' },
          region: 'westeurope',
          tenantId: validConfig('azure').azure.tenantId,
        });
        return new RuntimeImage(stack, 'ReleaseImage', { registry: platform.imageRegistry, contextDir: dir, include: RELEASE_IMAGE_INCLUDE, tagPrefix: 'release' }).contentHash;
      };
      const before = hash();
      expect(hash()).toBe(before);
      const lock = JSON.parse(fs.readFileSync(path.join(dir, 'npm-shrinkwrap.json'), 'utf8'));
      lock.packages['node_modules/zod'].version = '0.0.0-changed';
      fs.writeFileSync(path.join(dir, 'npm-shrinkwrap.json'), `${JSON.stringify(lock, null, 2)}\n`);
      expect(hash()).not.toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
