import { TerraformStack } from 'cdktf';
import { GcpGithubCiIdentity } from '../lib/ci/gcp';
import { MlopsValidationError } from '../lib/core/errors';
import { GcpMlPlatform, GcpMlPlatformProps } from '../lib/gcp';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const BASE: GcpMlPlatformProps = { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' };
const CI = { repository: 'contoso/ml-platform', branches: ['main'], environments: ['dev'] };

function synthPlatform(props: Partial<GcpMlPlatformProps> = {}, extra?: (stack: TerraformStack, platform: GcpMlPlatform) => void): SynthJson {
  return synthStack((stack) => {
    const platform = new GcpMlPlatform(stack, 'Platform', { ...BASE, ...props });
    extra?.(stack, platform);
  });
}

function entries(json: SynthJson, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(json.resource?.[type] ?? {});
}

function thrown(build: () => void): MlopsValidationError {
  try {
    synthStack(() => build());
  } catch (e) {
    if (e instanceof MlopsValidationError) return e;
    throw e;
  }
  throw new Error('expected a MlopsValidationError');
}

describe('GCP deployers (who runs cdktf deploy)', () => {
  test('GIVEN no deployers WHEN synthesized THEN the principal running Terraform (openid userinfo) gets objectUser on the bucket and writer on the repository', () => {
    const json = synthPlatform();
    expect(Object.keys(json.data?.google_client_openid_userinfo ?? {})).toHaveLength(1);
    const caller =
      '${join("", [endswith(data.google_client_openid_userinfo.Platform_Caller_818C1E6D.email, ".gserviceaccount.com") ? "serviceAccount:" : "user:", data.google_client_openid_userinfo.Platform_Caller_818C1E6D.email])}';
    const bucket = entries(json, 'google_storage_bucket_iam_member').filter(([id]) => id.includes('Deploy-'));
    const repo = entries(json, 'google_artifact_registry_repository_iam_member').filter(([id]) => id.includes('Deploy-'));
    expect(bucket.map(([, m]) => [m.role, m.member])).toEqual([['roles/storage.objectUser', caller]]);
    expect(repo.map(([, m]) => [m.role, m.member])).toEqual([['roles/artifactregistry.writer', caller]]);
  });

  test('GIVEN named deployers WHEN synthesized THEN each gets the two data-plane roles, no caller lookup is made, and platform.deployers lists them', () => {
    let platform!: GcpMlPlatform;
    const json = synthPlatform({ deployers: ['user:alice@contoso.com', 'group:ml-admins@contoso.com'] }, (_s, p) => (platform = p));
    expect(json.data?.google_client_openid_userinfo).toBeUndefined();
    expect(platform.deployers).toEqual(['user:alice@contoso.com', 'group:ml-admins@contoso.com']);
    const grants = [...entries(json, 'google_storage_bucket_iam_member'), ...entries(json, 'google_artifact_registry_repository_iam_member')]
      .filter(([id]) => id.includes('Deploy-'))
      .map(([, m]) => `${m.role} ${m.member}`)
      .sort();
    expect(grants).toEqual([
      'roles/artifactregistry.writer group:ml-admins@contoso.com',
      'roles/artifactregistry.writer user:alice@contoso.com',
      'roles/storage.objectUser group:ml-admins@contoso.com',
      'roles/storage.objectUser user:alice@contoso.com',
    ]);
  });

  test('GIVEN a deployer that is not an IAM member WHEN the platform is built THEN it throws naming deployers[i], the value and the format', () => {
    const error = thrown(() => synthPlatform({ deployers: ['alice@contoso.com', 'user:bob@contoso.com'] }));
    expect(error.message).toContain("'deployers[0]'");
    expect(error.message).toContain('"alice@contoso.com"');
    expect(error.message).toContain('user:<email>');
    expect(error.issues).toHaveLength(1);
  });

  test('GIVEN grantDeploy twice with the same member WHEN synthesized THEN one grant each and the member is listed once', () => {
    let platform!: GcpMlPlatform;
    const json = synthPlatform({ deployers: [] }, (_s, p) => {
      platform = p;
      p.grantDeploy('serviceAccount:ci@contoso-ml-dev.iam.gserviceaccount.com');
      p.grantDeploy('serviceAccount:ci@contoso-ml-dev.iam.gserviceaccount.com');
    });
    expect(platform.deployers).toEqual(['serviceAccount:ci@contoso-ml-dev.iam.gserviceaccount.com']);
    expect(entries(json, 'google_storage_bucket_iam_member').filter(([id]) => id.includes('Deploy-'))).toHaveLength(1);
  });

  test('GIVEN the training data upload and the image push WHEN synthesized THEN each waits for every deployer grant on its store', () => {
    const { StorageBucketObject } = require('@cdktf/provider-google/lib/storage-bucket-object') as typeof import('@cdktf/provider-google/lib/storage-bucket-object');
    const { Image } = require('@cdktf/provider-docker/lib/image') as typeof import('@cdktf/provider-docker/lib/image');
    const { RegistryImage } = require('@cdktf/provider-docker/lib/registry-image') as typeof import('@cdktf/provider-docker/lib/registry-image');
    const { Construct } = require('constructs') as typeof import('constructs');
    const json = synthPlatform({ deployers: ['user:alice@contoso.com'] }, (stack, p) => {
      new StorageBucketObject(stack, 'Data', { bucket: p.artifactStore.storeName, name: 'd.csv', content: 'a,b' });
      new StorageBucketObject(stack, 'Elsewhere', { bucket: 'another-bucket', name: 'd.csv', content: 'a,b' });
      const img = new Construct(stack, 'Img');
      const built = new Image(img, 'Image', { name: `${p.imageRegistry.imageUri}/runtime:abc` });
      new RegistryImage(img, 'Resource', { name: built.name });
      p.grantDeploy('serviceAccount:ci@contoso-ml-dev.iam.gserviceaccount.com');
    });
    const bucketGrants = entries(json, 'google_storage_bucket_iam_member')
      .filter(([id]) => id.includes('Deploy-'))
      .map(([id]) => `google_storage_bucket_iam_member.${id}`);
    const repoGrants = entries(json, 'google_artifact_registry_repository_iam_member')
      .filter(([id]) => id.includes('Deploy-'))
      .map(([id]) => `google_artifact_registry_repository_iam_member.${id}`);
    expect(bucketGrants).toHaveLength(2);
    const objects = Object.fromEntries(entries(json, 'google_storage_bucket_object').map(([id, o]) => [id.split('_')[0], o]));
    expect(objects.Data!.depends_on).toEqual(bucketGrants);
    expect(objects.Elsewhere!.depends_on).toBeUndefined();
    expect(onlyResource(json, 'docker_registry_image').depends_on).toEqual(repoGrants);
  });
});

describe('GCP CI identity (deploys from GitHub Actions)', () => {
  test('GIVEN a CI identity WHEN synthesized THEN its service account and pool wait for the IAM, STS and IAM Credentials APIs', () => {
    const json = synthPlatform({ deployers: [] }, (stack, platform) => {
      new GcpGithubCiIdentity(stack, 'Ci', { ...CI, platform, naming: NAMING, projectId: 'contoso-ml-dev' });
    });
    const apiIds = entries(json, 'google_project_service')
      .filter(([, s]) => ['iam.googleapis.com', 'sts.googleapis.com', 'iamcredentials.googleapis.com'].includes(s.service))
      .map(([id]) => `google_project_service.${id}`);
    expect(apiIds).toHaveLength(3);
    for (const type of ['google_service_account', 'google_iam_workload_identity_pool']) {
      const [, ci] = entries(json, type).find(([id]) => id.startsWith('Ci_'))!;
      expect([...(ci.depends_on ?? [])].sort()).toEqual([...apiIds].sort());
    }
  });

  test('GIVEN a CI identity WHEN synthesized THEN it is a deployer of the platform (grantDeploy) and keeps its bucket and repository admin roles', () => {
    let platform!: GcpMlPlatform;
    const json = synthPlatform({ deployers: ['user:alice@contoso.com'] }, (stack, p) => {
      platform = p;
      new GcpGithubCiIdentity(stack, 'Ci', { ...CI, platform: p, naming: NAMING, projectId: 'contoso-ml-dev' });
    });
    const ciMember = '${google_service_account.Ci_ServiceAccount_085F5DFA.member}';
    const byMember = (type: string) =>
      resourcesOf(json, type)
        .filter((m) => m.member === ciMember)
        .map((m) => m.role)
        .sort();
    expect(byMember('google_storage_bucket_iam_member')).toEqual(['roles/storage.admin', 'roles/storage.objectUser']);
    expect(byMember('google_artifact_registry_repository_iam_member')).toEqual(['roles/artifactregistry.admin', 'roles/artifactregistry.writer']);
    expect(platform.deployers).toHaveLength(2);
    expect(platform.deployers[0]).toBe('user:alice@contoso.com');
  });

  test('GIVEN a private-mode platform WHEN a CI identity is built THEN CI may manage the network (compute.networkAdmin, CKV_GCP_42 accepted with a reason)', () => {
    const json = synthPlatform({ deployers: [], network: { mode: 'private' } }, (stack, platform) => {
      new GcpGithubCiIdentity(stack, 'Ci', { ...CI, platform, naming: NAMING, projectId: 'contoso-ml-dev' });
    });
    expect(
      resourcesOf(json, 'google_project_iam_member')
        .filter((m) => /Ci_ServiceAccount/.test(m.member))
        .map((m) => m.role),
    ).toContain('roles/compute.networkAdmin');
    const firewalled = synthPlatform({ deployers: [] }, (stack, platform) => {
      new GcpGithubCiIdentity(stack, 'Ci', { ...CI, platform, naming: NAMING, projectId: 'contoso-ml-dev' });
    });
    expect(resourcesOf(firewalled, 'google_project_iam_member').map((m) => m.role)).not.toContain('roles/compute.networkAdmin');
  });
});

describe('GCP network modes', () => {
  test('GIVEN public or firewalled mode WHEN synthesized THEN no network resource is made and platform.network has no networkId', () => {
    for (const mode of ['public', 'firewalled'] as const) {
      let platform!: GcpMlPlatform;
      const json = synthPlatform({ network: { mode } }, (_s, p) => (platform = p));
      expect(Object.keys(json.resource ?? {}).filter((t) => t.startsWith('google_compute_'))).toEqual([]);
      expect(resourcesOf(json, 'google_project_service').map((s) => s.service)).not.toContain('compute.googleapis.com');
      expect(platform.network.mode).toBe(mode);
      expect(platform.network.networkId).toBeUndefined();
    }
  });

  test('GIVEN private mode WHEN synthesized THEN a custom VPC, a workload and a jobs subnet (Private Google Access, flow logs) from the address space and a network attachment are made', () => {
    let platform!: GcpMlPlatform;
    const json = synthPlatform({ network: { mode: 'private', addressSpace: '10.50.0.0/16' } }, (_s, p) => (platform = p));
    const network = onlyResource(json, 'google_compute_network');
    expect(network).toMatchObject({ name: 'contoso-mlops-dev-vpc', auto_create_subnetworks: false, routing_mode: 'REGIONAL' });
    const subnets = resourcesOf(json, 'google_compute_subnetwork');
    expect(subnets.map((s) => [s.name, s.ip_cidr_range, s.private_ip_google_access, s.region]).sort()).toEqual([
      ['contoso-mlops-dev-jobs', '10.50.16.0/20', true, 'europe-west4'],
      ['contoso-mlops-dev-workloads', '10.50.0.0/20', true, 'europe-west4'],
    ]);
    for (const s of subnets) expect(s.log_config).toMatchObject({ aggregation_interval: 'INTERVAL_10_MIN' });
    const attachment = onlyResource(json, 'google_compute_network_attachment');
    expect(attachment.connection_preference).toBe('ACCEPT_AUTOMATIC');
    expect(attachment.subnetworks).toEqual([expect.stringMatching(/^\$\{google_compute_subnetwork\.Platform_Network_Jobs_[A-F0-9]+\.id\}$/)]);
    expect(resourcesOf(json, 'google_project_service').map((s) => s.service)).toContain('compute.googleapis.com');
    expect(platform.network.networkId).toMatch(/^\$\{TfToken/);
    expect(network.depends_on).toEqual([expect.stringMatching(/^google_project_service\.Platform_Apis_compute_/)]);
  });

  test('GIVEN private mode with an existing network WHEN synthesized THEN no network is created, the attachment uses the existing subnetwork and network.networkId is the given id', () => {
    let platform!: GcpMlPlatform;
    const existing = { network: 'projects/hub-net/global/networks/hub', subnetwork: 'projects/hub-net/regions/europe-west4/subnetworks/ml' };
    const json = synthPlatform({ network: { mode: 'private', existing: { gcp: existing } } }, (_s, p) => (platform = p));
    expect(resourcesOf(json, 'google_compute_network')).toEqual([]);
    expect(resourcesOf(json, 'google_compute_subnetwork')).toEqual([]);
    expect(onlyResource(json, 'google_compute_network_attachment').subnetworks).toEqual([existing.subnetwork]);
    expect(platform.network.networkId).toBe(existing.network);
    expect(platform.network.subnetworkId).toBe(existing.subnetwork);
  });

  test('GIVEN private mode with allowedIpRanges WHEN synthesized THEN the bucket IP filter lets the ranges, the VPC and service agents through', () => {
    const json = synthPlatform({ network: { mode: 'private', allowedIpRanges: ['203.0.113.0/24'] } });
    const filter = onlyResource(json, 'google_storage_bucket').ip_filter;
    expect(filter).toMatchObject({
      mode: 'Enabled',
      allow_all_service_agent_access: true,
      public_network_source: { allowed_ip_cidr_ranges: ['203.0.113.0/24'] },
      vpc_network_sources: [{ network: expect.stringMatching(/^\$\{google_compute_network\.Platform_Network_[A-F0-9]+\.id\}$/), allowed_ip_cidr_ranges: ['0.0.0.0/0'] }],
    });
  });

  test('GIVEN an existing network outside private mode, a subnetwork in another region and a bad address space WHEN built THEN every problem is thrown at once', () => {
    const error = thrown(() =>
      synthPlatform({
        network: { mode: 'firewalled', addressSpace: '10.0.0.0/30', existing: { gcp: { network: 'hub', subnetwork: 'projects/hub-net/regions/us-east1/subnetworks/ml' } } },
      }),
    );
    expect(error.message).toContain("'network.existing.gcp'");
    expect(error.message).toContain("'network.existing.gcp.network'");
    expect(error.message).toContain('region europe-west4');
    expect(error.message).toContain("'network.addressSpace'");
    expect(error.issues).toHaveLength(4);
  });
});
