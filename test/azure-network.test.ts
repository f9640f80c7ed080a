import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { AzureEncryptionKey, AzureMlPlatform, AzureMlPlatformProps, AzureNetwork, AzureResourceGroup } from '../lib/azure';
import { AzureGithubCiIdentity } from '../lib/ci/azure';
import { loadConfig, parseConfig } from '../lib/config';
import { TerraformData } from '../lib/deploy/terraform-data';
import { TrainingDataUpload } from '../lib/deploy/training-data';
import { dockerProviderFor } from '../lib/image/docker-provider';
import { RuntimeImage } from '../lib/image/runtime-image';
import { applyPolicyPack } from '../lib/policy';
import { MlPlatformStack } from '../lib/stack';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

/**
 * Azure network modes and "who deploys": what each mode creates, that the
 * deployers and CI get the data roles Terraform needs, and that every
 * Terraform data-plane write waits for its role and its private endpoint.
 */

const ROOT = path.join(__dirname, '..');
const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const TENANT = '11111111-2222-3333-4444-555555555555';
const ME = 'aaaaaaaa-0000-0000-0000-000000000001';
const DATA = path.join(ROOT, 'examples', 'demand-forecast', 'data', 'hour.csv');
const HUB_SUBNET = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/hub-rg/providers/Microsoft.Network/virtualNetworks/spoke/subnets/private-endpoints';
const HUB_BLOB_ZONE = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/hub-rg/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net';

function platform(stack: TerraformStack, extra: Partial<AzureMlPlatformProps> = {}): AzureMlPlatform {
  return new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, deployers: [ME], ...extra });
}

/** A platform with the training data upload and the runtime image push of a deployment. */
function withWrites(extra: Partial<AzureMlPlatformProps> = {}, after?: (p: AzureMlPlatform, stack: TerraformStack) => void): SynthJson {
  return synthStack((stack) => {
    const p = platform(stack, extra);
    new TrainingDataUpload(stack, 'TrainingData', { artifactStore: p.artifactStore, key: 'datasets/bike/hour.csv', source: DATA });
    dockerProviderFor(stack, p);
    new RuntimeImage(stack, 'RuntimeImage', { registry: p.imageRegistry, pullers: [p.identity] });
    after?.(p, stack);
  });
}

function idOf(json: SynthJson, type: string, pick: (r: Record<string, any>) => boolean): string {
  const found = Object.entries(json.resource?.[type] ?? {}).filter(([, r]) => pick(r));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return `${type}.${found[0]![0]}`;
}

function deployAssignment(json: SynthJson, role: string, principal: string): string {
  return idOf(json, 'azurerm_role_assignment', (a) => a.role_definition_name === role && a.principal_id === principal);
}

describe('finding 4: the data planes Terraform writes through are reachable', () => {
  test('GIVEN the dev-azure stack WHEN synthesized THEN azurerm reads the storage account through the management plane only (no data-plane queue/website reads, hashicorp/terraform-provider-azurerm#33454)', () => {
    const stack = new MlPlatformStack(Testing.app(), 'dev-azure', { config: loadConfig(path.join(ROOT, 'stacks', 'config', 'dev-azure.yaml')) });
    const json = JSON.parse(Testing.synth(stack));
    expect(json.provider.azurerm[0].features[0].storage).toEqual([{ data_plane_available: false }]);
  });

  test("GIVEN firewalled mode with the deployer's range WHEN synthesized THEN the vault, storage and registry public endpoints deny by default and let the range through", () => {
    const json = synthStack((stack) => void platform(stack, { network: { mode: 'firewalled', allowedIpRanges: ['203.0.113.10/32'] } }));
    expect(onlyResource(json, 'azurerm_key_vault').network_acls).toEqual({ bypass: 'AzureServices', default_action: 'Deny', ip_rules: ['203.0.113.10/32'] });
    expect(onlyResource(json, 'azurerm_storage_account').network_rules.ip_rules).toEqual(['203.0.113.10']);
    expect(onlyResource(json, 'azurerm_container_registry').network_rule_set[0].ip_rule).toEqual([{ action: 'Allow', ip_range: '203.0.113.10/32' }]);
    for (const type of ['azurerm_key_vault', 'azurerm_storage_account', 'azurerm_container_registry']) {
      expect(onlyResource(json, type).public_network_access_enabled).toBe(true);
    }
    expect(resourcesOf(json, 'azurerm_private_endpoint')).toHaveLength(0);
    expect(resourcesOf(json, 'azurerm_virtual_network')).toHaveLength(0);
  });

  test('GIVEN public mode WHEN synthesized THEN every firewall is open and no network is created', () => {
    const json = synthStack((stack) => void platform(stack, { network: { mode: 'public' } }));
    expect(onlyResource(json, 'azurerm_key_vault').network_acls.default_action).toBe('Allow');
    expect(onlyResource(json, 'azurerm_storage_account').network_rules.default_action).toBe('Allow');
    expect(onlyResource(json, 'azurerm_machine_learning_workspace').public_network_access_enabled).toBe(true);
    expect(resourcesOf(json, 'azurerm_private_endpoint')).toHaveLength(0);
  });
});

describe('private mode', () => {
  let p: AzureMlPlatform;
  const json = synthStack((stack) => {
    p = platform(stack, { network: { mode: 'private' } });
  });

  test('GIVEN private mode WHEN synthesized THEN a virtual network from the default address space has a private-endpoint subnet, and platform.network names it', () => {
    const vnet = onlyResource(json, 'azurerm_virtual_network');
    expect(vnet.name).toBe('contoso-mlops-dev-vnet');
    expect(vnet.address_space).toEqual(['10.40.0.0/16']);
    const subnet = onlyResource(json, 'azurerm_subnet');
    expect(subnet.address_prefixes).toEqual(['10.40.0.0/24']);
    expect(subnet.default_outbound_access_enabled).toBe(false);
    expect(p.network.mode).toBe('private');
    expect(p.network.networkId).toMatch(/^\$\{TfToken/);
  });

  test('GIVEN private mode WHEN synthesized THEN each private DNS zone is created and linked to the network', () => {
    expect(
      resourcesOf(json, 'azurerm_private_dns_zone')
        .map((z) => z.name)
        .sort(),
    ).toEqual([
      'privatelink.api.azureml.ms',
      'privatelink.azurecr.io',
      'privatelink.blob.core.windows.net',
      'privatelink.file.core.windows.net',
      'privatelink.notebooks.azure.net',
      'privatelink.vaultcore.azure.net',
    ]);
    const links = resourcesOf(json, 'azurerm_private_dns_zone_virtual_network_link');
    expect(links).toHaveLength(6);
    for (const l of links) expect(l.virtual_network_id).toMatch(/azurerm_virtual_network\.\w+\.id/);
  });

  test('GIVEN private mode WHEN synthesized THEN the vault, blob, file, registry and workspace have private endpoints with their zones, waiting for the zone links', () => {
    const pes = resourcesOf(json, 'azurerm_private_endpoint');
    const bySub = Object.fromEntries(pes.map((pe) => [pe.private_service_connection.subresource_names[0], pe]));
    expect(Object.keys(bySub).sort()).toEqual(['amlworkspace', 'blob', 'file', 'registry', 'vault']);
    expect(bySub.vault.private_service_connection.private_connection_resource_id).toMatch(/azurerm_key_vault\.\w+\.id/);
    expect(bySub.registry.private_service_connection.private_connection_resource_id).toMatch(/azurerm_container_registry\.\w+\.id/);
    expect(bySub.amlworkspace.private_dns_zone_group.private_dns_zone_ids).toHaveLength(2);
    for (const pe of pes) {
      expect(pe.subnet_id).toMatch(/azurerm_subnet\.\w+\.id/);
      expect(pe.private_service_connection.is_manual_connection).toBe(false);
      expect(pe.depends_on.filter((d: string) => d.startsWith('azurerm_private_dns_zone_virtual_network_link.'))).toHaveLength(6);
    }
  });

  test("GIVEN private mode WHEN synthesized THEN no store, vault or workspace has a public endpoint, and the key waits for the vault's private endpoint", () => {
    for (const type of ['azurerm_key_vault', 'azurerm_storage_account', 'azurerm_container_registry', 'azurerm_machine_learning_workspace']) {
      expect(onlyResource(json, type).public_network_access_enabled).toBe(false);
    }
    const vaultPe = idOf(json, 'azurerm_private_endpoint', (pe) => pe.private_service_connection.subresource_names[0] === 'vault');
    expect(onlyResource(json, 'azurerm_key_vault_key').depends_on).toContain(vaultPe);
  });

  test('GIVEN private mode with a VPN range WHEN synthesized THEN the firewalls let that range through besides the private network', () => {
    const vpn = synthStack((stack) => void platform(stack, { network: { mode: 'private', allowedIpRanges: ['198.51.100.0/24'] } }));
    expect(onlyResource(vpn, 'azurerm_key_vault').public_network_access_enabled).toBe(true);
    expect(onlyResource(vpn, 'azurerm_key_vault').network_acls.ip_rules).toEqual(['198.51.100.0/24']);
    expect(resourcesOf(vpn, 'azurerm_private_endpoint')).toHaveLength(5);
  });

  test('GIVEN an existing hub subnet and a hub blob zone WHEN synthesized THEN no network is created, the hub zone is used and the other zones are created and linked to the hub network', () => {
    let network!: AzureNetwork;
    const hub = synthStack((stack) => {
      const pl = platform(stack, { network: { mode: 'private', existing: { azure: { subnetId: HUB_SUBNET, privateDnsZoneIds: { blob: HUB_BLOB_ZONE } } } } });
      network = pl.privateNetwork!;
      expect(pl.network.networkId).toBe(HUB_SUBNET.replace(/\/subnets\/.*$/, ''));
    });
    expect(network.created).toBe(false);
    expect(resourcesOf(hub, 'azurerm_virtual_network')).toHaveLength(0);
    expect(resourcesOf(hub, 'azurerm_private_dns_zone')).toHaveLength(5);
    const blobPe = resourcesOf(hub, 'azurerm_private_endpoint').find((pe) => pe.private_service_connection.subresource_names[0] === 'blob')!;
    expect(blobPe.subnet_id).toBe(HUB_SUBNET);
    expect(blobPe.private_dns_zone_group.private_dns_zone_ids).toEqual([HUB_BLOB_ZONE]);
    for (const link of resourcesOf(hub, 'azurerm_private_dns_zone_virtual_network_link')) expect(link.virtual_network_id).toBe(HUB_SUBNET.replace(/\/subnets\/.*$/, ''));
  });

  test('GIVEN a malformed existing subnet id and a zone of the wrong kind WHEN built THEN one error names both props and the fix', () => {
    expect(() =>
      synthStack((stack) => {
        const rg = new AzureResourceGroup(stack, 'Rg', { naming: NAMING, location: 'westeurope' });
        new AzureNetwork(stack, 'Net', { naming: NAMING, resourceGroup: rg, existing: { subnetId: 'spoke/private-endpoints', privateDnsZoneIds: { vault: HUB_BLOB_ZONE } } });
      }),
    ).toThrow(/'existing\.subnetId'.*"spoke\/private-endpoints"[\s\S]*'existing\.privateDnsZoneIds\.vault'.*privatelink\.vaultcore\.azure\.net/);
  });
});

describe('finding 5: the training blob and who writes it', () => {
  test("GIVEN a training data upload into the platform store WHEN synthesized THEN the blob waits for its container and the deployer's blob data role", () => {
    const json = withWrites();
    const blob = onlyResource(json, 'azurerm_storage_blob');
    expect(blob.depends_on).toContain(idOf(json, 'azurerm_storage_container', () => true));
    expect(blob.depends_on).toContain(deployAssignment(json, 'Storage Blob Data Contributor', ME));
    const assignment = json.resource!.azurerm_role_assignment![deployAssignment(json, 'Storage Blob Data Contributor', ME).split('.')[1]!]!;
    expect(assignment.scope).toMatch(/azurerm_storage_container\.\w+\.id/);
  });

  test("GIVEN private mode WHEN synthesized THEN the blob also waits for the blob private endpoint, and the image push for the registry's", () => {
    const json = withWrites({ network: { mode: 'private' } });
    const blobPe = idOf(json, 'azurerm_private_endpoint', (pe) => pe.private_service_connection.subresource_names[0] === 'blob');
    const acrPe = idOf(json, 'azurerm_private_endpoint', (pe) => pe.private_service_connection.subresource_names[0] === 'registry');
    expect(onlyResource(json, 'azurerm_storage_blob').depends_on).toContain(blobPe);
    expect(onlyResource(json, 'docker_registry_image').depends_on).toContain(acrPe);
  });

  test("GIVEN the runtime image WHEN synthesized THEN its push waits for the deployer's AcrPush on the registry", () => {
    const json = withWrites();
    expect(onlyResource(json, 'docker_registry_image').depends_on).toContain(deployAssignment(json, 'AcrPush', ME));
  });

  test('GIVEN a principal granted after the writes were created, and granted twice WHEN synthesized THEN every write waits for it and each role is assigned once', () => {
    const later = 'bbbbbbbb-0000-0000-0000-000000000002';
    const json = withWrites({}, (p) => {
      p.grantDeploy(later);
      p.grantDeploy(later);
      p.grantDeploy(ME);
    });
    for (const role of ['Key Vault Crypto Officer', 'Storage Blob Data Contributor', 'AcrPush']) {
      expect(resourcesOf(json, 'azurerm_role_assignment').filter((a) => a.role_definition_name === role && a.principal_id === later)).toHaveLength(1);
      expect(resourcesOf(json, 'azurerm_role_assignment').filter((a) => a.role_definition_name === role && a.principal_id === ME)).toHaveLength(1);
    }
    expect(onlyResource(json, 'azurerm_storage_blob').depends_on).toContain(deployAssignment(json, 'Storage Blob Data Contributor', later));
    expect(onlyResource(json, 'docker_registry_image').depends_on).toContain(deployAssignment(json, 'AcrPush', later));
    expect(onlyResource(json, 'azurerm_key_vault_key').depends_on).toContain(deployAssignment(json, 'Key Vault Crypto Officer', later));
  });

  test('GIVEN no deployers WHEN synthesized THEN the principal running Terraform gets the three deploy data roles', () => {
    const json = synthStack((stack) => void new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT }));
    const caller = resourcesOf(json, 'azurerm_role_assignment').filter((a) => /data\.azurerm_client_config\.\w+\.object_id/.test(String(a.principal_id)));
    expect(caller.map((a) => a.role_definition_name).sort()).toEqual(['AcrPush', 'Key Vault Crypto Officer', 'Storage Blob Data Contributor']);
  });

  test('GIVEN a deployer that is not an object id WHEN built THEN it fails naming deployers[i] and how to find the id', () => {
    expect(() => synthStack((stack) => void platform(stack, { deployers: [ME, 'alice@contoso.com'] }))).toThrow(
      /'deployers\[1\]'.*az ad signed-in-user show.*"alice@contoso\.com"/,
    );
  });
});

describe('finding 10: the CI identity can write the data planes Terraform writes through', () => {
  test('GIVEN the CI identity WHEN synthesized THEN it gets the deploy data roles as a service principal, and the writes wait for them', () => {
    const json = withWrites({}, (p, stack) => {
      new AzureGithubCiIdentity(stack, 'Ci', {
        platform: p,
        naming: NAMING,
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        tenantId: TENANT,
        repository: 'contoso/ml-platform',
        environments: ['dev'],
      });
    });
    const ci = resourcesOf(json, 'azurerm_role_assignment').filter(
      (a) => /azurerm_user_assigned_identity\.Ci_Identity_\w+\.principal_id/.test(String(a.principal_id)) && a.description?.startsWith('cdktf-mlops'),
    );
    expect(ci.map((a) => `${a.role_definition_name} ${a.principal_type}`).sort()).toEqual([
      'AcrPush ServicePrincipal',
      'Key Vault Crypto Officer ServicePrincipal',
      'Storage Blob Data Contributor ServicePrincipal',
    ]);
    const ciBlob = idOf(json, 'azurerm_role_assignment', (a) => a.role_definition_name === 'Storage Blob Data Contributor' && String(a.principal_id).includes('Ci_Identity'));
    expect(onlyResource(json, 'azurerm_storage_blob').depends_on).toContain(ciBlob);
  });

  test('GIVEN a firewalled platform WHEN the CI identity is built THEN it warns that GitHub-hosted runners have no stable egress to allow, and not in private mode', () => {
    const warnings = (mode: 'firewalled' | 'private') => {
      let ci!: AzureGithubCiIdentity;
      synthStack((stack) => {
        const p = platform(stack, { network: { mode, allowedIpRanges: ['203.0.113.10/32'] } });
        ci = new AzureGithubCiIdentity(stack, 'Ci', {
          platform: p,
          naming: NAMING,
          subscriptionId: '00000000-0000-0000-0000-000000000000',
          tenantId: TENANT,
          repository: 'contoso/ml-platform',
          environments: ['dev'],
        });
      });
      return ci.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    };
    expect(warnings('firewalled').some((w) => w.includes('GitHub-hosted runners have no stable egress range'))).toBe(true);
    expect(warnings('private').some((w) => w.includes('no stable egress'))).toBe(false);
  });

  test('GIVEN the dev-azure config WHEN synthesized THEN the deployers are the configured one and the CI identity', () => {
    const config = loadConfig(path.join(ROOT, 'stacks', 'config', 'dev-azure.yaml'));
    const stack = new MlPlatformStack(Testing.app(), 'dev-azure', { config: parseConfig(JSON.parse(JSON.stringify(config))) });
    Testing.synth(stack);
    const deployers = stack.platform.deployers!;
    expect(deployers).toHaveLength(2);
    expect(deployers[0]).toBe('00000000-0000-0000-0000-000000000000');
  });
});

describe('hardening', () => {
  const key = (extra: Record<string, unknown>) => () =>
    synthStack((stack) => {
      const rg = new AzureResourceGroup(stack, 'Rg', { naming: NAMING, location: 'westeurope' });
      new AzureEncryptionKey(stack, 'Key', { naming: NAMING, resourceGroup: rg, tenantId: TENANT, ...extra });
    });

  test('GIVEN a key whose rotation would come less than 28 days after a version is created WHEN built THEN it fails naming rotateBeforeExpiryDays and the fix', () => {
    expect(key({ expireAfterDays: 60, rotateBeforeExpiryDays: 40 })).toThrow(/'rotateBeforeExpiryDays'.*an integer from 7 to 32.*Got 40/);
    expect(key({ rotateBeforeExpiryDays: 3 })).toThrow(/'rotateBeforeExpiryDays'/);
  });

  test('GIVEN a rotation lead time WHEN synthesized THEN the rotation policy rotates that long before expiry and notifies a day later', () => {
    const json = key({ expireAfterDays: 180, rotateBeforeExpiryDays: 45 })();
    expect(onlyResource(json, 'azurerm_key_vault_key').rotation_policy).toEqual({ automatic: { time_before_expiry: 'P45D' }, expire_after: 'P180D', notify_before_expiry: 'P44D' });
  });

  test('GIVEN an endpoint whose public access is limited to allowed ranges WHEN the pack checks it THEN MLOPS_RELEASE_PUBLIC_ENDPOINT passes, and fails for an open range', () => {
    const check = (endpoint: Record<string, unknown>) => {
      const stack = new TerraformStack(Testing.app(), 'endpoint');
      new TerraformData(stack, 'Release', { input: { specVersion: 1, kind: 'endpoint', cloud: 'azure', azure: { endpoint } } });
      const pack = applyPolicyPack(stack, { log: () => undefined });
      Testing.synth(stack);
      return pack.check().violations.map((v) => v.ruleId);
    };
    expect(check({ publicNetworkAccess: true, allowedIpRanges: ['203.0.113.10/32'] })).toEqual([]);
    expect(check({ publicNetworkAccess: true, allowedIpRanges: ['0.0.0.0/0'] })).toEqual(['MLOPS_RELEASE_PUBLIC_ENDPOINT']);
    expect(check({ publicNetworkAccess: true })).toEqual(['MLOPS_RELEASE_PUBLIC_ENDPOINT']);
  });
});

describe('the shipped prod-azure config (private mode)', () => {
  const stack = new MlPlatformStack(Testing.app(), 'prod-azure', { config: loadConfig(path.join(ROOT, 'stacks', 'config', 'prod-azure.yaml')) });
  // With validations: the policy pack (including the deploy-readiness rules) must pass.
  const json: SynthJson = JSON.parse(Testing.synth(stack, true));
  const peOf = (sub: string) => idOf(json, 'azurerm_private_endpoint', (pe) => pe.private_service_connection.subresource_names[0] === sub);

  test('GIVEN prod-azure WHEN synthesized THEN it passes the policy pack with the deploy-readiness rules in private mode', () => {
    expect(stack.policy.report!.violations).toEqual([]);
    expect(stack.policy.options.networkMode).toBe('private');
    expect(stack.policy.report!.rulesApplied).toEqual(expect.arrayContaining(['MLOPS_DEPLOY_AZURE_WRITE_PATH', 'MLOPS_DEPLOY_AZURE_WRITE_ROLE', 'MLOPS_DEPLOY_CYCLE']));
  });

  test('GIVEN prod-azure WHEN synthesized THEN nothing has a public endpoint and the endpoint is private', () => {
    for (const type of ['azurerm_key_vault', 'azurerm_storage_account', 'azurerm_container_registry', 'azurerm_machine_learning_workspace']) {
      expect(onlyResource(json, type).public_network_access_enabled).toBe(false);
    }
    const endpoint = resourcesOf(json, 'terraform_data').find((s) => s.input.kind === 'endpoint')!;
    expect(endpoint.input.azure.endpoint.publicNetworkAccess).toBe(false);
    expect(onlyResource(json, 'azurerm_machine_learning_workspace').managed_network.isolation_mode).toBe('AllowOnlyApprovedOutbound');
    expect(stack.platform.network!.networkId).toBeDefined();
  });

  test("GIVEN prod-azure WHEN synthesized THEN every Terraform data-plane write waits for its private endpoint and for the deployer's and CI's roles", () => {
    expect(onlyResource(json, 'azurerm_key_vault_key').depends_on).toContain(peOf('vault'));
    expect(onlyResource(json, 'azurerm_storage_blob').depends_on).toContain(peOf('blob'));
    expect(onlyResource(json, 'docker_registry_image').depends_on).toContain(peOf('registry'));
    const deployers = stack.platform.deployers!;
    expect(deployers).toHaveLength(2);
    const blobRoles = resourcesOf(json, 'azurerm_role_assignment').filter(
      (a) => a.role_definition_name === 'Storage Blob Data Contributor' && a.description?.startsWith('cdktf-mlops'),
    );
    expect(blobRoles).toHaveLength(2);
    expect(onlyResource(json, 'azurerm_storage_blob').depends_on.filter((d: string) => d.includes('DeployStorageBlobDataContributor'))).toHaveLength(2);
  });

  test('GIVEN prod-azure WHEN synthesized THEN the storage account is read through the management plane only', () => {
    expect(json.provider!.azurerm[0].features[0].storage).toEqual([{ data_plane_available: false }]);
  });
});
