import { TerraformStack, TerraformVariable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../lib/core/contracts';
import { ErrorCode, MlopsValidationError } from '../lib/core/errors';
import { NamingParts } from '../lib/core/naming';
import { ComputeSize } from '../lib/core/sizes';
import {
  GCP_BASIC_ROLES,
  GCP_IMPERSONATION_ROLES,
  GCP_PLATFORM_APIS,
  GCP_PUBLIC_PRINCIPALS,
  GCP_SECURITY_DEFAULTS,
  GcpArtifactStore,
  GcpEncryptionKey,
  GcpImageRegistry,
  GcpMlPlatform,
  GcpMlPlatformProps,
  GcpModelRegistry,
  GcpProjectServices,
  GcpTrainingCompute,
  GcpWorkloadIdentity,
  GcpMlWorkspace,
} from '../lib/gcp';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

const NAMING: NamingParts = { company: 'contoso', project: 'mlops', environment: 'dev' };
const BASE: GcpMlPlatformProps = { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' };

function synthPlatform(props: Partial<GcpMlPlatformProps> = {}): SynthJson {
  return synthStack((stack) => new GcpMlPlatform(stack, 'Platform', { ...BASE, ...props }));
}

/** Every `*_iam_member` resource in the synth, with its type. */
function iamMembers(json: SynthJson): Array<{ type: string; role: string; member: string; [k: string]: unknown }> {
  return Object.entries(json.resource ?? {})
    .filter(([type]) => type.endsWith('_iam_member'))
    .flatMap(([type, byId]) => Object.values(byId).map((r) => ({ type, ...(r as { role: string; member: string }) })));
}

/** Captures the validation error thrown by `build`. */
function validationError(build: (stack: TerraformStack) => void): MlopsValidationError {
  try {
    synthStack(build);
  } catch (e) {
    if (e instanceof MlopsValidationError) return e;
    throw e;
  }
  throw new Error('expected a MlopsValidationError, but nothing was thrown');
}

/** A workload identity that belongs to another cloud. */
class ForeignIdentity extends Construct implements IWorkloadIdentity {
  public readonly identityName = 'aml-id';
  public readonly identityId = '/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aml-id';
  public readonly principal = '00000000-0000-0000-0000-000000000000';
  constructor(
    scope: Construct,
    id: string,
    public readonly cloud: 'azure' | 'aws',
  ) {
    super(scope, id);
  }
}

const RULE_ID = /^(CKV2?_(AZURE|AWS|GCP)_\d+|AwsSolutions-[A-Z0-9]+|MLOPS_(AZURE|AWS|GCP)_[A-Z0-9_]+)$/;

const KEY_REF = /^\$\{google_kms_crypto_key\.[A-Za-z0-9_-]+\.id\}$/;

describe('GcpMlPlatform defaults', () => {
  let json: SynthJson;
  beforeAll(() => {
    json = synthPlatform();
  });

  test('GIVEN default props WHEN synthesized THEN the Terraform matches the snapshot', () => {
    expect(json).toMatchSnapshot();
  });

  /** One assertion on the synthesized JSON per security default, keyed by its first rule id. */
  const assertions: Record<string, (j: SynthJson) => void> = {
    CKV_GCP_43: (j) => {
      const key = onlyResource(j, 'google_kms_crypto_key');
      expect(key.purpose).toBe('ENCRYPT_DECRYPT');
      expect(key.rotation_period).toBe('7776000s');
      expect(parseInt(key.rotation_period, 10)).toBeLessThanOrEqual(90 * 86_400);
    },
    CKV_GCP_82: (j) => {
      expect(onlyResource(j, 'google_kms_crypto_key').lifecycle).toEqual({ prevent_destroy: true });
      expect(onlyResource(j, 'google_kms_key_ring').lifecycle).toEqual({ prevent_destroy: true });
    },
    CKV_GCP_5: (j) => {
      expect(onlyResource(j, 'google_storage_bucket').encryption.default_kms_key_name).toMatch(KEY_REF);
    },
    CKV_GCP_29: (j) => {
      expect(onlyResource(j, 'google_storage_bucket').uniform_bucket_level_access).toBe(true);
    },
    CKV_GCP_114: (j) => {
      expect(onlyResource(j, 'google_storage_bucket').public_access_prevention).toBe('enforced');
    },
    CKV_GCP_78: (j) => {
      expect(onlyResource(j, 'google_storage_bucket').versioning).toEqual({ enabled: true });
    },
    MLOPS_GCP_GCS_SOFT_DELETE: (j) => {
      expect(onlyResource(j, 'google_storage_bucket').soft_delete_policy).toEqual({ retention_duration_seconds: 7 * 86_400 });
    },
    MLOPS_GCP_GCS_NONCURRENT_EXPIRY: (j) => {
      expect(onlyResource(j, 'google_storage_bucket').lifecycle_rule).toEqual([
        { action: { type: 'Delete' }, condition: { with_state: 'ARCHIVED', days_since_noncurrent_time: 30 } },
      ]);
    },
    MLOPS_GCP_GCS_RETAIN: (j) => {
      const bucket = onlyResource(j, 'google_storage_bucket');
      expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
      expect(bucket.force_destroy).toBe(false);
    },
    CKV_GCP_84: (j) => {
      const repo = onlyResource(j, 'google_artifact_registry_repository');
      expect(repo.format).toBe('DOCKER');
      expect(repo.kms_key_name).toMatch(KEY_REF);
    },
    MLOPS_GCP_AR_IMMUTABLE_TAGS: (j) => {
      expect(onlyResource(j, 'google_artifact_registry_repository').docker_config).toEqual({ immutable_tags: true });
    },
    MLOPS_GCP_AR_CLEANUP: (j) => {
      const repo = onlyResource(j, 'google_artifact_registry_repository');
      expect(repo.cleanup_policy_dry_run).toBe(false);
      expect(repo.cleanup_policies).toEqual([{ id: 'delete-untagged', action: 'DELETE', condition: { tag_state: 'UNTAGGED', older_than: `${14 * 86_400}s` } }]);
    },
    MLOPS_GCP_AR_RETAIN: (j) => {
      expect(onlyResource(j, 'google_artifact_registry_repository').lifecycle).toEqual({ prevent_destroy: true });
    },
    MLOPS_GCP_VERTEX_CMEK: (j) => {
      expect(onlyResource(j, 'google_vertex_ai_tensorboard').encryption_spec.kms_key_name).toMatch(KEY_REF);
    },
    MLOPS_GCP_VERTEX_RETAIN: (j) => {
      expect(onlyResource(j, 'google_vertex_ai_tensorboard').lifecycle).toEqual({ prevent_destroy: true });
    },
    CKV2_GCP_3: (j) => {
      expect(resourcesOf(j, 'google_service_account')).toHaveLength(1);
      expect(resourcesOf(j, 'google_service_account_key')).toHaveLength(0);
    },
    CKV_GCP_117: (j) => {
      const projectRoles = resourcesOf(j, 'google_project_iam_member').map((m) => m.role as string);
      expect(projectRoles.length).toBeGreaterThan(0);
      for (const role of projectRoles) {
        expect(GCP_BASIC_ROLES).not.toContain(role);
        expect(GCP_IMPERSONATION_ROLES).not.toContain(role);
        expect(role).not.toMatch(/admin/i);
      }
      for (const m of iamMembers(j)) expect(GCP_BASIC_ROLES).not.toContain(m.role);
    },
    MLOPS_GCP_SCOPED_IAM: (j) => {
      const projectMembers = resourcesOf(j, 'google_project_iam_member');
      const agents = projectMembers.filter((m) => /@gcp-sa-/.test(m.member));
      expect(
        projectMembers
          .filter((m) => !agents.includes(m))
          .map((m) => m.role as string)
          .sort(),
      ).toEqual(['roles/aiplatform.user', 'roles/logging.logWriter', 'roles/monitoring.metricWriter']);
      // The service agents the platform creates on request get the role Google would have granted them (and only that, only to themselves).
      expect(agents.map((m) => `${m.role} ${String(m.member).replace(/^.*@/, '@')}`).sort()).toEqual([
        'roles/aiplatform.serviceAgent @gcp-sa-aiplatform.iam.gserviceaccount.com',
        'roles/artifactregistry.serviceAgent @gcp-sa-artifactregistry.iam.gserviceaccount.com',
      ]);
      // The workload identity's grants, and the deployer's (the caller by default): each on the bucket or repository.
      const workload = (type: string) =>
        resourcesOf(j, type)
          .filter((m) => /google_service_account/.test(m.member))
          .map((m) => m.role);
      expect(workload('google_storage_bucket_iam_member')).toEqual(['roles/storage.objectUser']);
      expect(workload('google_artifact_registry_repository_iam_member')).toEqual(['roles/artifactregistry.reader']);
    },
    CKV_GCP_28: (j) => {
      const members = iamMembers(j);
      expect(members.length).toBeGreaterThan(0);
      for (const m of members) expect(GCP_PUBLIC_PRINCIPALS).not.toContain(m.member);
    },
    MLOPS_GCP_APIS: (j) => {
      const services = resourcesOf(j, 'google_project_service');
      expect(services.map((s) => s.service).sort()).toEqual([...GCP_PLATFORM_APIS].sort());
      for (const s of services) expect(s.disable_on_destroy).toBe(false);
      const dependsOnApi = (type: string, api: string): void => {
        const id = Object.entries(j.resource!.google_project_service!).find(([, s]) => s.service === api)![0];
        expect(onlyResource(j, type).depends_on).toContain(`google_project_service.${id}`);
      };
      dependsOnApi('google_kms_key_ring', 'cloudkms.googleapis.com');
      dependsOnApi('google_storage_bucket', 'storage.googleapis.com');
      dependsOnApi('google_artifact_registry_repository', 'artifactregistry.googleapis.com');
      dependsOnApi('google_vertex_ai_tensorboard', 'aiplatform.googleapis.com');
      dependsOnApi('google_service_account', 'iam.googleapis.com');
    },
  };

  test.each(GCP_SECURITY_DEFAULTS.map((d) => [d.ruleIds[0]!, d.requirement] as const))('GIVEN default props WHEN synthesized THEN security default %s holds (%s)', (ruleId) => {
    const assertion = assertions[ruleId];
    expect(assertion).toBeDefined();
    assertion!(json);
  });

  test('GIVEN the security defaults table THEN every entry is for gcp, has a rule id and a unique first rule id', () => {
    const first = GCP_SECURITY_DEFAULTS.map((d) => d.ruleIds[0]);
    expect(new Set(first).size).toBe(first.length);
    for (const d of GCP_SECURITY_DEFAULTS) {
      expect(d.cloud).toBe('gcp');
      expect(d.ruleIds.length).toBeGreaterThan(0);
    }
  });

  test.each(GCP_SECURITY_DEFAULTS.map((d) => [d.ruleIds[0]!, d] as const))(
    'GIVEN security default %s THEN it has well-formed rule ids and exactly one of relaxedBy and invariant',
    (_, d) => {
      expect(d.ruleIds.length).toBeGreaterThan(0);
      for (const id of d.ruleIds) expect(id).toMatch(RULE_ID);
      expect([d.relaxedBy, d.invariant].filter((v) => v !== undefined)).toHaveLength(1);
      if (d.relaxedBy !== undefined) expect(d.relaxedBy).toMatch(new RegExp(`^${d.construct}\\.[a-z][a-zA-Z]+$`));
      if (d.invariant !== undefined) expect(d.invariant).toMatch(/^[A-Z].{20,}\.$/);
    },
  );

  test('GIVEN default props WHEN synthesized THEN every resource using the key waits for its service agent binding', () => {
    const bindings = Object.entries(json.resource!.google_kms_crypto_key_iam_member!).filter(([id]) => id.includes('ServiceAgent'));
    expect(bindings.map(([, b]) => b.role)).toEqual(Array(3).fill('roles/cloudkms.cryptoKeyEncrypterDecrypter'));
    const members = bindings.map(([, b]) => b.member as string);
    expect(members).toContain('${data.google_storage_project_service_account.Platform_Key_StorageServiceAgent_FB43BCAC.member}');
    expect(members.some((m) => /^serviceAccount:service-\$\{data\.google_project\..+\.number\}@gcp-sa-artifactregistry\.iam\.gserviceaccount\.com$/.test(m))).toBe(true);
    expect(members.some((m) => /^serviceAccount:service-\$\{data\.google_project\..+\.number\}@gcp-sa-aiplatform\.iam\.gserviceaccount\.com$/.test(m))).toBe(true);
    const dependsOnBinding = (type: string, agent: string): void => {
      const id = bindings.find(([bid]) => bid.includes(`ServiceAgent-${agent}`))![0];
      expect(onlyResource(json, type).depends_on).toContain(`google_kms_crypto_key_iam_member.${id}`);
    };
    dependsOnBinding('google_storage_bucket', 'storage');
    dependsOnBinding('google_artifact_registry_repository', 'artifactregistry');
    dependsOnBinding('google_vertex_ai_tensorboard', 'aiplatform');
  });

  test('GIVEN default props WHEN synthesized THEN the lazily created Vertex AI and Artifact Registry service agents are created (google-beta google_project_service_identity) before their key grant', () => {
    const identities = json.resource!.google_project_service_identity ?? {};
    const byService = Object.fromEntries(Object.entries(identities).map(([id, r]) => [r.service, { id, ...r }]));
    expect(Object.keys(byService).sort()).toEqual(['aiplatform.googleapis.com', 'artifactregistry.googleapis.com']);
    for (const [agent, service] of [
      ['aiplatform', 'aiplatform.googleapis.com'],
      ['artifactregistry', 'artifactregistry.googleapis.com'],
    ] as const) {
      const identity = byService[service]!;
      // Routed to the google-beta provider (Terraform would pick google from the type prefix).
      expect(identity.provider).toBe('google-beta');
      expect(identity.project).toBe('contoso-ml-dev');
      // Created after its API is enabled, and before the grant that names the agent.
      expect(identity.depends_on).toEqual([expect.stringMatching(new RegExp(`^google_project_service\\.Platform_Apis_${agent}_`))]);
      const [, grant] = Object.entries(json.resource!.google_kms_crypto_key_iam_member!).find(([id]) => id.includes(`ServiceAgent-${agent}`))!;
      expect(grant.depends_on).toContain(`google_project_service_identity.${identity.id}`);
      // An agent created on request gets none of the roles Google grants on first use: the platform grants its
      // service-agent role (to that agent only), after the agent exists and before anything waits on the key grant.
      const [roleId, role] = Object.entries(json.resource!.google_project_iam_member!).find(([id]) => id.includes(`ServiceAgentRole-${agent}`))!;
      expect(role.role).toBe(`roles/${agent}.serviceAgent`);
      expect(role.member).toBe(grant.member);
      expect(role.depends_on).toEqual([`google_project_service_identity.${identity.id}`]);
      expect(grant.depends_on).toContain(`google_project_iam_member.${roleId}`);
    }
  });

  test('GIVEN a stack with an aliased and a default google-beta provider WHEN synthesized THEN the service identity uses the default one', () => {
    const { GoogleBetaProvider } = require('@cdktf/provider-google-beta/lib/provider') as typeof import('@cdktf/provider-google-beta/lib/provider');
    const withProviders = synthStack((stack) => {
      new GcpMlPlatform(stack, 'Platform', BASE);
      new GoogleBetaProvider(stack, 'beta-west', { alias: 'west', region: 'europe-west1' });
      new GoogleBetaProvider(stack, 'beta', {});
    });
    expect(resourcesOf(withProviders, 'google_project_service_identity').map((r) => r.provider)).toEqual(['google-beta', 'google-beta']);
    const onlyAliased = synthStack((stack) => {
      new GcpMlPlatform(stack, 'Platform', BASE);
      new GoogleBetaProvider(stack, 'beta-west', { alias: 'west', region: 'europe-west1' });
    });
    expect(resourcesOf(onlyAliased, 'google_project_service_identity').map((r) => r.provider)).toEqual(['google-beta.west', 'google-beta.west']);
  });

  test('GIVEN default props WHEN synthesized THEN the identity gets read/write, pull, model write, workspace use and the key', () => {
    const sa = '${google_service_account.Platform_Identity_8D701AA3.member}';
    const granted = iamMembers(json)
      .filter((m) => m.member === sa)
      .map((m) => `${m.type} ${m.role}`)
      .sort();
    expect(granted).toEqual([
      'google_artifact_registry_repository_iam_member roles/artifactregistry.reader',
      'google_kms_crypto_key_iam_member roles/cloudkms.cryptoKeyEncrypterDecrypter',
      'google_project_iam_member roles/aiplatform.user',
      'google_project_iam_member roles/logging.logWriter',
      'google_project_iam_member roles/monitoring.metricWriter',
      'google_storage_bucket_iam_member roles/storage.objectUser',
    ]);
  });

  test('GIVEN default props WHEN synthesized THEN names follow <company>-<project>-<env>-<resource> and labels are set', () => {
    expect(onlyResource(json, 'google_storage_bucket').name).toBe('contoso-mlops-dev-artifacts');
    expect(onlyResource(json, 'google_artifact_registry_repository').repository_id).toBe('contoso-mlops-dev-runtime');
    expect(onlyResource(json, 'google_service_account').account_id).toBe('contoso-mlops-dev-ml');
    expect(onlyResource(json, 'google_kms_key_ring').name).toBe('contoso-mlops-dev-keys');
    expect(onlyResource(json, 'google_kms_crypto_key').name).toBe('contoso-mlops-dev-key');
    expect(onlyResource(json, 'google_storage_bucket').labels).toEqual({
      company: 'contoso',
      project: 'mlops',
      environment: 'dev',
      'managed-by': 'cdktf-mlops',
    });
  });
});

describe('GcpMlPlatform attributes', () => {
  test('GIVEN a platform THEN its attributes are discrete strings in the GCP shapes', () => {
    synthStack((stack) => {
      const p = new GcpMlPlatform(stack, 'Platform', { ...BASE, training: { size: ComputeSize.gpu(), maxNodes: 2, lowPriority: true } });
      expect(p.cloud).toBe('gcp');
      expect(p.workspace.workspaceId).toBe('projects/contoso-ml-dev/locations/europe-west4');
      expect(p.workspace.region).toBe('europe-west4');
      expect(p.workspace.logDestination).toBe('logging.googleapis.com/projects/contoso-ml-dev');
      expect(p.modelRegistry.registryId).toBe('projects/contoso-ml-dev/locations/europe-west4');
      expect(p.imageRegistry.imageUri).toMatch(/^europe-west4-docker\.pkg\.dev\/contoso-ml-dev\/\$\{TfToken\[.+\]\}$/);
      expect(p.artifactStore.url).toMatch(/^gs:\/\/\$\{TfToken\[.+\]\}$/);
      expect(Token.isUnresolved(p.identity.principal)).toBe(true);
      expect(p.trainingCompute.machine).toEqual({ instanceType: 'n1-standard-4', accelerator: { type: 'NVIDIA_TESLA_T4', count: 1 } });
      expect(p.trainingCompute.schedulingStrategy).toBe('SPOT');
      expect(p.trainingCompute.maxNodes).toBe(2);
      for (const value of [p.workspace.workspaceName, p.encryptionKey.keyId, p.artifactStore.storeId, p.imageRegistry.registryId, p.identity.identityId]) {
        expect(typeof value).toBe('string');
      }
    });
  });

  test('GIVEN default training options THEN small standard machines and 4 replicas are used', () => {
    synthStack((stack) => {
      const c = new GcpTrainingCompute(stack, 'Compute');
      expect(c.computeName).toBe('n1-standard-4');
      expect(c.machine).toEqual({ instanceType: 'n1-standard-4' });
      expect(c.maxNodes).toBe(4);
      expect(c.lowPriority).toBe(false);
      expect(c.schedulingStrategy).toBe('STANDARD');
    });
  });
});

describe('GcpMlPlatform relaxing props', () => {
  test('GIVEN no allowedIpRanges WHEN synthesized THEN the bucket has no IP filter that would shut out the deployer and jobs', () => {
    expect(onlyResource(synthPlatform({}), 'google_storage_bucket').ip_filter).toBeUndefined();
  });

  test('GIVEN network mode public with allowedIpRanges WHEN synthesized THEN bucket IP filtering is off', () => {
    const bucket = onlyResource(synthPlatform({ network: { mode: 'public', allowedIpRanges: ['203.0.113.0/24'] } }), 'google_storage_bucket');
    expect(bucket.ip_filter).toBeUndefined();
  });

  test('GIVEN allowedIpRanges WHEN synthesized THEN the ranges are let through the bucket IP filter', () => {
    const bucket = onlyResource(synthPlatform({ network: { allowedIpRanges: ['203.0.113.0/24', '2001:db8::/32'] } }), 'google_storage_bucket');
    expect(bucket.ip_filter).toEqual({
      mode: 'Enabled',
      allow_all_service_agent_access: true,
      public_network_source: { allowed_ip_cidr_ranges: ['203.0.113.0/24', '2001:db8::/32'] },
    });
  });

  test('GIVEN retainData true WHEN synthesized THEN every stateful store has prevent_destroy and no force_destroy', () => {
    const json = synthPlatform({ retainData: true });
    for (const type of ['google_kms_key_ring', 'google_kms_crypto_key', 'google_storage_bucket', 'google_artifact_registry_repository', 'google_vertex_ai_tensorboard']) {
      expect(onlyResource(json, type).lifecycle).toEqual({ prevent_destroy: true });
    }
    expect(onlyResource(json, 'google_storage_bucket').force_destroy).toBe(false);
  });

  test('GIVEN retainData false WHEN synthesized THEN no store has prevent_destroy and the bucket is force-destroyed', () => {
    const json = synthPlatform({ retainData: false });
    for (const type of ['google_kms_key_ring', 'google_kms_crypto_key', 'google_storage_bucket', 'google_artifact_registry_repository', 'google_vertex_ai_tensorboard']) {
      expect(onlyResource(json, type).lifecycle).toBeUndefined();
    }
    expect(onlyResource(json, 'google_storage_bucket').force_destroy).toBe(true);
  });

  test('GIVEN tags WHEN synthesized THEN they become GCP labels on every labelled resource', () => {
    const json = synthPlatform({ tags: { CostCenter: 'ML 42' } });
    for (const type of ['google_kms_crypto_key', 'google_storage_bucket', 'google_artifact_registry_repository', 'google_vertex_ai_tensorboard']) {
      expect(onlyResource(json, type).labels).toMatchObject({ costcenter: 'ml_42', 'managed-by': 'cdktf-mlops' });
    }
  });
});

describe('GCP resource constructs', () => {
  interface Parts {
    key: GcpEncryptionKey;
    identity: GcpWorkloadIdentity;
  }
  const COMMON = { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' };
  function withKey(build: (stack: TerraformStack, parts: Parts) => void, keyProps: Partial<ConstructorParameters<typeof GcpEncryptionKey>[2]> = {}): SynthJson {
    return synthStack((stack) => {
      const key = new GcpEncryptionKey(stack, 'Key', { ...COMMON, ...keyProps });
      const identity = new GcpWorkloadIdentity(stack, 'Identity', COMMON);
      build(stack, { key, identity });
    });
  }

  /** Each relaxing prop of the security defaults table, exercised on its own construct. */
  const relaxations: Record<string, () => void> = {
    'GcpEncryptionKey.rotationPeriodDays': () => {
      const json = withKey(() => undefined, { rotationPeriodDays: 180 });
      expect(onlyResource(json, 'google_kms_crypto_key').rotation_period).toBe(`${180 * 86_400}s`);
    },
    'GcpEncryptionKey.retainData': () => {
      const json = withKey(() => undefined, { retainData: false });
      expect(onlyResource(json, 'google_kms_crypto_key').lifecycle).toBeUndefined();
      expect(onlyResource(json, 'google_kms_key_ring').lifecycle).toBeUndefined();
    },
    'GcpArtifactStore.uniformBucketLevelAccess': () => {
      const json = withKey((s, { key }) => new GcpArtifactStore(s, 'Store', { ...COMMON, encryptionKey: key, uniformBucketLevelAccess: false }));
      expect(onlyResource(json, 'google_storage_bucket').uniform_bucket_level_access).toBe(false);
    },
    'GcpArtifactStore.enforcePublicAccessPrevention': () => {
      const json = withKey((s, { key }) => new GcpArtifactStore(s, 'Store', { ...COMMON, encryptionKey: key, enforcePublicAccessPrevention: false }));
      expect(onlyResource(json, 'google_storage_bucket').public_access_prevention).toBe('inherited');
    },
    'GcpArtifactStore.versioned': () => {
      const json = withKey((s, { key }) => new GcpArtifactStore(s, 'Store', { ...COMMON, encryptionKey: key, versioned: false }));
      expect(onlyResource(json, 'google_storage_bucket').versioning).toEqual({ enabled: false });
    },
    'GcpArtifactStore.customerManagedKey': () => {
      const json = withKey((s, { identity }) => {
        const store = new GcpArtifactStore(s, 'Store', { ...COMMON, customerManagedKey: false });
        store.grantRead(identity);
        store.grantReadWrite(identity);
      });
      const bucket = onlyResource(json, 'google_storage_bucket');
      expect(bucket.encryption).toBeUndefined();
      expect(bucket.depends_on ?? []).toHaveLength(0);
      expect(json.data?.google_storage_project_service_account).toBeUndefined();
      expect(resourcesOf(json, 'google_kms_crypto_key_iam_member')).toHaveLength(0);
      expect(resourcesOf(json, 'google_storage_bucket_iam_member')).toHaveLength(2);
    },
    'GcpArtifactStore.noncurrentVersionRetentionDays': () => {
      const json = withKey((s, { key }) => new GcpArtifactStore(s, 'Store', { ...COMMON, encryptionKey: key, noncurrentVersionRetentionDays: 365 }));
      expect(onlyResource(json, 'google_storage_bucket').lifecycle_rule[0].condition.days_since_noncurrent_time).toBe(365);
    },
    'GcpArtifactStore.softDeleteRetentionDays': () => {
      const json = withKey((s, { key }) => new GcpArtifactStore(s, 'Store', { ...COMMON, encryptionKey: key, softDeleteRetentionDays: 0 }));
      expect(onlyResource(json, 'google_storage_bucket').soft_delete_policy).toEqual({ retention_duration_seconds: 0 });
    },
    'GcpArtifactStore.retainData': () => {
      const json = withKey((s, { key }) => new GcpArtifactStore(s, 'Store', { ...COMMON, encryptionKey: key, retainData: false }));
      const bucket = onlyResource(json, 'google_storage_bucket');
      expect(bucket.lifecycle).toBeUndefined();
      expect(bucket.force_destroy).toBe(true);
    },
    'GcpImageRegistry.customerManagedKey': () => {
      const json = withKey((s, { identity }) => {
        const registry = new GcpImageRegistry(s, 'Registry', { ...COMMON, customerManagedKey: false });
        registry.grantPull(identity);
        registry.grantPush(identity);
      });
      const repo = onlyResource(json, 'google_artifact_registry_repository');
      expect(repo.kms_key_name).toBeUndefined();
      expect(repo.depends_on ?? []).toHaveLength(0);
      expect(resourcesOf(json, 'google_kms_crypto_key_iam_member')).toHaveLength(0);
      expect(resourcesOf(json, 'google_artifact_registry_repository_iam_member')).toHaveLength(2);
    },
    'GcpImageRegistry.immutableTags': () => {
      const json = withKey((s, { key }) => new GcpImageRegistry(s, 'Registry', { ...COMMON, encryptionKey: key, immutableTags: false }));
      expect(onlyResource(json, 'google_artifact_registry_repository').docker_config).toEqual({ immutable_tags: false });
    },
    'GcpImageRegistry.untaggedImageRetentionDays': () => {
      const json = withKey((s, { key }) => new GcpImageRegistry(s, 'Registry', { ...COMMON, encryptionKey: key, untaggedImageRetentionDays: 60 }));
      expect(onlyResource(json, 'google_artifact_registry_repository').cleanup_policies[0].condition.older_than).toBe(`${60 * 86_400}s`);
    },
    'GcpImageRegistry.retainData': () => {
      const json = withKey((s, { key }) => new GcpImageRegistry(s, 'Registry', { ...COMMON, encryptionKey: key, retainData: false }));
      expect(onlyResource(json, 'google_artifact_registry_repository').lifecycle).toBeUndefined();
    },
    'GcpMlWorkspace.customerManagedKey': () => {
      const json = withKey((s, { identity }) => new GcpMlWorkspace(s, 'Workspace', { ...COMMON, customerManagedKey: false }).grantUse(identity));
      const tensorboard = onlyResource(json, 'google_vertex_ai_tensorboard');
      expect(tensorboard.encryption_spec).toBeUndefined();
      expect(tensorboard.depends_on ?? []).toHaveLength(0);
      expect(resourcesOf(json, 'google_kms_crypto_key_iam_member')).toHaveLength(0);
    },
    'GcpMlWorkspace.retainData': () => {
      const json = withKey((s, { key }) => new GcpMlWorkspace(s, 'Workspace', { ...COMMON, encryptionKey: key, retainData: false }));
      expect(onlyResource(json, 'google_vertex_ai_tensorboard').lifecycle).toBeUndefined();
    },
  };

  test.each(GCP_SECURITY_DEFAULTS.filter((d) => d.relaxedBy).map((d) => [d.relaxedBy!, d.ruleIds.join(', ')] as const))(
    'GIVEN %s set to relax WHEN synthesized THEN %s no longer holds',
    (prop) => {
      const relax = relaxations[prop];
      expect(relax).toBeDefined();
      relax!();
    },
  );

  test('GIVEN the relaxation tests THEN each one exercises a prop the security defaults table names', () => {
    const named = new Set(GCP_SECURITY_DEFAULTS.map((d) => d.relaxedBy).filter((r) => r !== undefined));
    expect(Object.keys(relaxations).filter((prop) => !named.has(prop))).toEqual([]);
  });

  test('GIVEN allowedIpRanges WHEN publicNetworkAccess is true THEN the store has no IP filter', () => {
    const ranges = { allowedIpRanges: ['203.0.113.0/24'] };
    const filtered = withKey((s, { key }) => new GcpArtifactStore(s, 'Store', { ...COMMON, ...ranges, encryptionKey: key }));
    expect(onlyResource(filtered, 'google_storage_bucket').ip_filter.mode).toBe('Enabled');
    const json = withKey((s, { key }) => new GcpArtifactStore(s, 'Store', { ...COMMON, ...ranges, encryptionKey: key, publicNetworkAccess: true }));
    expect(onlyResource(json, 'google_storage_bucket').ip_filter).toBeUndefined();
  });

  test('GIVEN a store WHEN granting read THEN the identity gets objectViewer on the bucket and decrypt on its key', () => {
    const json = withKey((s, { key, identity }) => {
      new GcpArtifactStore(s, 'Store', { ...COMMON, encryptionKey: key }).grantRead(identity);
    });
    expect(onlyResource(json, 'google_storage_bucket_iam_member')).toMatchObject({
      role: 'roles/storage.objectViewer',
      bucket: expect.stringMatching(/^\$\{google_storage_bucket\..+\.name\}$/),
      member: expect.stringMatching(/google_service_account\.Identity/),
    });
    const keyGrants = iamMembers(json).filter((m) => m.type === 'google_kms_crypto_key_iam_member' && /google_service_account/.test(m.member));
    expect(keyGrants.map((m) => m.role)).toEqual(['roles/cloudkms.cryptoKeyDecrypter']);
    expect(resourcesOf(json, 'google_project_iam_member')).toHaveLength(0);
  });

  test('GIVEN a store WHEN granting read then read/write THEN objectUser is added and the key grant widens to encrypt/decrypt once', () => {
    const json = withKey((s, { key, identity }) => {
      const store = new GcpArtifactStore(s, 'Store', { ...COMMON, encryptionKey: key });
      store.grantRead(identity);
      store.grantReadWrite(identity);
      store.grantReadWrite(identity);
    });
    expect(
      resourcesOf(json, 'google_storage_bucket_iam_member')
        .map((m) => m.role)
        .sort(),
    ).toEqual(['roles/storage.objectUser', 'roles/storage.objectViewer']);
    const keyGrants = iamMembers(json).filter((m) => m.type === 'google_kms_crypto_key_iam_member' && /google_service_account/.test(m.member));
    expect(keyGrants.map((m) => m.role)).toEqual(['roles/cloudkms.cryptoKeyEncrypterDecrypter']);
  });

  test('GIVEN an image registry WHEN granting push THEN the identity gets writer on the repository and encrypt/decrypt on the key', () => {
    const json = withKey((s, { key, identity }) => {
      new GcpImageRegistry(s, 'Registry', { ...COMMON, encryptionKey: key }).grantPush(identity);
    });
    expect(onlyResource(json, 'google_artifact_registry_repository_iam_member')).toMatchObject({
      role: 'roles/artifactregistry.writer',
      repository: expect.stringMatching(/^\$\{google_artifact_registry_repository\..+\.name\}$/),
    });
    const keyGrants = iamMembers(json).filter((m) => m.type === 'google_kms_crypto_key_iam_member' && /google_service_account/.test(m.member));
    expect(keyGrants.map((m) => m.role)).toEqual(['roles/cloudkms.cryptoKeyEncrypterDecrypter']);
  });

  test('GIVEN a model registry WHEN granting read and write THEN project members aiplatform.viewer and aiplatform.user are made', () => {
    const json = withKey((s, { identity }) => {
      const registry = new GcpModelRegistry(s, 'Models', { projectId: 'contoso-ml-dev', region: 'europe-west4' });
      registry.grantRead(identity);
      registry.grantWrite(identity);
    });
    expect(
      resourcesOf(json, 'google_project_iam_member')
        .map((m) => [m.project, m.role])
        .sort(),
    ).toEqual([
      ['contoso-ml-dev', 'roles/aiplatform.user'],
      ['contoso-ml-dev', 'roles/aiplatform.viewer'],
    ]);
  });

  test('GIVEN a workspace and a model registry WHEN both grant aiplatform.user THEN one project member is made', () => {
    const json = withKey((s, { key, identity }) => {
      new GcpMlWorkspace(s, 'Workspace', { ...COMMON, encryptionKey: key }).grantUse(identity);
      new GcpModelRegistry(s, 'Models', { projectId: 'contoso-ml-dev', region: 'europe-west4' }).grantWrite(identity);
    });
    expect(resourcesOf(json, 'google_project_iam_member').filter((m) => m.role === 'roles/aiplatform.user')).toHaveLength(1);
  });

  test.each(['azure', 'aws'] as const)('GIVEN an %s identity WHEN any GCP grant is made THEN it throws MLOPS_CLOUD_MISMATCH', (cloud) => {
    synthStack((stack) => {
      const services = new GcpProjectServices(stack, 'Apis', { projectId: 'contoso-ml-dev' });
      const key = new GcpEncryptionKey(stack, 'Key', { ...COMMON, services });
      const store = new GcpArtifactStore(stack, 'Store', { ...COMMON, encryptionKey: key });
      const registry = new GcpImageRegistry(stack, 'Registry', { ...COMMON, encryptionKey: key });
      const models = new GcpModelRegistry(stack, 'Models', { projectId: 'contoso-ml-dev', region: 'europe-west4' });
      const workspace = new GcpMlWorkspace(stack, 'Workspace', { ...COMMON, encryptionKey: key });
      const foreign = new ForeignIdentity(stack, 'Foreign', cloud);
      const grants: Array<() => void> = [
        () => key.grantEncryptDecrypt(foreign),
        () => key.grantDecrypt(foreign),
        () => store.grantRead(foreign),
        () => store.grantReadWrite(foreign),
        () => registry.grantPull(foreign),
        () => registry.grantPush(foreign),
        () => models.grantRead(foreign),
        () => models.grantWrite(foreign),
        () => workspace.grantUse(foreign),
      ];
      for (const grant of grants) {
        let error: unknown;
        try {
          grant();
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(MlopsValidationError);
        expect((error as MlopsValidationError).issues[0]!.code).toBe(ErrorCode.CLOUD_MISMATCH);
        // The cloud as messages call it (Azure, AWS).
        expect((error as Error).message.toLowerCase()).toContain(cloud);
      }
    });
  });

  test('GIVEN constructs without project services WHEN synthesized THEN they synthesize without API dependencies', () => {
    const json = withKey((s, { key }) => new GcpArtifactStore(s, 'Store', { ...COMMON, encryptionKey: key }));
    expect(resourcesOf(json, 'google_project_service')).toHaveLength(0);
    expect(onlyResource(json, 'google_storage_bucket').depends_on).toHaveLength(1);
  });
});

describe('GCP validation', () => {
  test('GIVEN training.maxNodes 0 WHEN the platform is built THEN it throws naming maxNodes, the value and the range', () => {
    const error = validationError((s) => new GcpMlPlatform(s, 'Platform', { ...BASE, training: { maxNodes: 0 } }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.code).toBe(ErrorCode.PROP_INVALID);
    expect(error.message).toContain("'training.maxNodes'");
    expect(error.message).toContain('Got 0');
    expect(error.message).toContain('from 1 to 100.');
  });

  test('GIVEN malformed CIDRs in allowedIpRanges WHEN the platform is built THEN each one is reported', () => {
    const error = validationError((s) => new GcpMlPlatform(s, 'Platform', { ...BASE, network: { allowedIpRanges: ['10.0.0.0/33', 'office', '300.1.1.1/24', '10.0.0.0/8'] } }));
    expect(error.issues).toHaveLength(3);
    expect(error.message).toContain("'network.allowedIpRanges[0]'");
    expect(error.message).toContain('"10.0.0.0/33"');
    expect(error.message).toContain("'network.allowedIpRanges[1]'");
    expect(error.message).toContain("'network.allowedIpRanges[2]'");
    expect(error.message).toContain('CIDR');
  });

  test('GIVEN several bad props WHEN the platform is built THEN all problems are thrown at once', () => {
    const error = validationError(
      (s) =>
        new GcpMlPlatform(s, 'Platform', {
          ...BASE,
          projectId: 'Bad_Project',
          region: 'europe-west4-a',
          training: { maxNodes: 1.5 },
          naming: { company: 'a-very-long-company-name', project: 'mlops', environment: 'dev' },
        }),
    );
    const text = error.message;
    expect(text).toContain("'projectId'");
    expect(text).toContain('"Bad_Project"');
    expect(text).toContain("'region'");
    expect(text).toContain('"europe-west4-a"');
    expect(text).toContain("'training.maxNodes'");
    expect(error.issues.map((i) => i.code)).toContain(ErrorCode.NAME_TOO_LONG);
  });

  test('GIVEN unresolved tokens for project and region WHEN the platform is built THEN they are not rejected', () => {
    const json = synthStack((stack) => {
      const project = new TerraformVariable(stack, 'project', { type: 'string' });
      const region = new TerraformVariable(stack, 'region', { type: 'string' });
      new GcpMlPlatform(stack, 'Platform', { ...BASE, projectId: project.stringValue, region: region.stringValue });
    });
    expect(onlyResource(json, 'google_storage_bucket').location).toBe('${var.region}');
  });

  test.each([
    [
      'GcpEncryptionKey',
      'rotationPeriodDays',
      (s: TerraformStack) => new GcpEncryptionKey(s, 'Key', { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4', rotationPeriodDays: 0 }),
    ],
    [
      'GcpArtifactStore',
      'softDeleteRetentionDays',
      (s: TerraformStack) => {
        const common = { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' };
        new GcpArtifactStore(s, 'Store', { ...common, encryptionKey: new GcpEncryptionKey(s, 'Key', common), softDeleteRetentionDays: 3 });
      },
    ],
    [
      'GcpArtifactStore',
      'allowedIpRanges[0]',
      (s: TerraformStack) => {
        const common = { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' };
        new GcpArtifactStore(s, 'Store', { ...common, encryptionKey: new GcpEncryptionKey(s, 'Key', common), allowedIpRanges: ['1.2.3.4'] });
      },
    ],
    [
      'GcpImageRegistry',
      'untaggedImageRetentionDays',
      (s: TerraformStack) => {
        const common = { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' };
        new GcpImageRegistry(s, 'Registry', { ...common, encryptionKey: new GcpEncryptionKey(s, 'Key', common), untaggedImageRetentionDays: -1 });
      },
    ],
    ['GcpArtifactStore', 'encryptionKey', (s: TerraformStack) => new GcpArtifactStore(s, 'Store', { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' })],
    [
      'GcpArtifactStore',
      'customerManagedKey',
      (s: TerraformStack) => {
        const common = { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' };
        new GcpArtifactStore(s, 'Store', { ...common, encryptionKey: new GcpEncryptionKey(s, 'Key', common), customerManagedKey: false });
      },
    ],
    [
      'GcpImageRegistry',
      'encryptionKey',
      (s: TerraformStack) => new GcpImageRegistry(s, 'Registry', { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4', customerManagedKey: true }),
    ],
    [
      'GcpMlWorkspace',
      'customerManagedKey',
      (s: TerraformStack) => {
        const common = { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' };
        new GcpMlWorkspace(s, 'Workspace', { ...common, encryptionKey: new GcpEncryptionKey(s, 'Key', common), customerManagedKey: false });
      },
    ],
    ['GcpMlWorkspace', 'encryptionKey', (s: TerraformStack) => new GcpMlWorkspace(s, 'Workspace', { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' })],
    ['GcpTrainingCompute', 'maxNodes', (s: TerraformStack) => new GcpTrainingCompute(s, 'Compute', { maxNodes: 0 })],
    ['GcpModelRegistry', 'region', (s: TerraformStack) => new GcpModelRegistry(s, 'Models', { projectId: 'contoso-ml-dev', region: 'EU' })],
    ['GcpWorkloadIdentity', 'projectId', (s: TerraformStack) => new GcpWorkloadIdentity(s, 'Identity', { naming: NAMING, projectId: 'x' })],
    ['GcpProjectServices', 'apis', (s: TerraformStack) => new GcpProjectServices(s, 'Apis', { projectId: 'contoso-ml-dev', apis: ['bigquery.googleapis.com' as never] })],
  ])('GIVEN a bad %s.%s WHEN built THEN it throws naming the prop', (construct, prop, build) => {
    const error = validationError(build);
    expect(error.issues[0]!.code).toBe(ErrorCode.PROP_INVALID);
    expect(error.message).toContain(`'${prop}' prop of ${construct}`);
  });
});
