import { TerraformStack, TerraformVariable } from 'cdktf';
import { ErrorCode, MlopsValidationError } from '../lib/core/errors';
import { GcpArtifactStore } from '../lib/gcp/artifact-store';
import { GcpEncryptionKey } from '../lib/gcp/encryption-key';
import { GcpImageRegistry } from '../lib/gcp/image-registry';
import { GcpNetwork } from '../lib/gcp/network';
import { GcpWorkloadIdentity } from '../lib/gcp/workload-identity';
import { GcpMlWorkspace } from '../lib/gcp/workspace';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

/** Item 6 on GCP: every resource construct takes `physicalName`, checked against GCP's limits. */

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const COMMON = { naming: NAMING, projectId: 'contoso-mlops-dev', region: 'europe-west4' };
const GOOGLE_MANAGED = { customerManagedKey: false } as const;

function validationError(build: (stack: TerraformStack) => void): MlopsValidationError {
  try {
    synthStack(build);
  } catch (e) {
    if (e instanceof MlopsValidationError) return e;
    throw e;
  }
  throw new Error('expected a MlopsValidationError, but nothing was thrown');
}

describe('physicalName overrides the naming helper', () => {
  let json: SynthJson;
  beforeAll(() => {
    json = synthStack((stack) => {
      const key = new GcpEncryptionKey(stack, 'Key', { ...COMMON, physicalName: 'ml_data-key', keyRingName: 'ml-keys-2025' });
      new GcpArtifactStore(stack, 'Store', { ...COMMON, encryptionKey: key, physicalName: 'acme_ml-artifacts-eu' });
      new GcpImageRegistry(stack, 'Registry', { ...COMMON, encryptionKey: key, physicalName: 'ml-images' });
      new GcpMlWorkspace(stack, 'Workspace', { ...COMMON, ...GOOGLE_MANAGED, physicalName: 'Churn experiments (EU)' });
      new GcpWorkloadIdentity(stack, 'Identity', { naming: NAMING, projectId: COMMON.projectId, physicalName: 'churn-scoring' });
      new GcpNetwork(stack, 'Network', { ...COMMON, mode: 'private', physicalName: 'ml-spoke' });
    });
  });

  test('GIVEN physicalName on the key (and keyRingName) WHEN synthesized THEN the crypto key and key ring carry those names', () => {
    expect(onlyResource(json, 'google_kms_crypto_key').name).toBe('ml_data-key');
    expect(onlyResource(json, 'google_kms_key_ring').name).toBe('ml-keys-2025');
  });

  test('GIVEN physicalName on the store, registry, workspace and identity WHEN synthesized THEN each resource has exactly that name', () => {
    expect(onlyResource(json, 'google_storage_bucket').name).toBe('acme_ml-artifacts-eu');
    expect(onlyResource(json, 'google_artifact_registry_repository').repository_id).toBe('ml-images');
    expect(onlyResource(json, 'google_vertex_ai_tensorboard').display_name).toBe('Churn experiments (EU)');
    expect(onlyResource(json, 'google_service_account').account_id).toBe('churn-scoring');
  });

  test('GIVEN physicalName on a private network WHEN synthesized THEN the network has it and the subnetworks and attachment derive from it', () => {
    expect(onlyResource(json, 'google_compute_network').name).toBe('ml-spoke');
    expect(
      resourcesOf(json, 'google_compute_subnetwork')
        .map((s) => s.name)
        .sort(),
    ).toEqual(['ml-spoke-jobs', 'ml-spoke-workloads']);
    expect(onlyResource(json, 'google_compute_network_attachment').name).toBe('ml-spoke-jobs-attachment');
  });

  test('GIVEN no physicalName WHEN synthesized THEN the naming helper names them as before', () => {
    const defaults = synthStack((stack) => {
      new GcpArtifactStore(stack, 'Store', { ...COMMON, ...GOOGLE_MANAGED });
      new GcpWorkloadIdentity(stack, 'Identity', { naming: NAMING, projectId: COMMON.projectId });
      new GcpWorkloadIdentity(stack, 'Batch', { naming: NAMING, projectId: COMMON.projectId, resourceName: 'batch' });
    });
    expect(onlyResource(defaults, 'google_storage_bucket').name).toBe('contoso-mlops-dev-artifacts');
    expect(
      resourcesOf(defaults, 'google_service_account')
        .map((s) => s.account_id)
        .sort(),
    ).toEqual(['contoso-mlops-dev-batch', 'contoso-mlops-dev-ml']);
  });

  test('GIVEN a physicalName that is a token WHEN synthesized THEN it is used as is (checked by GCP at apply)', () => {
    const tokenJson = synthStack((stack) => {
      new GcpArtifactStore(stack, 'Store', { ...COMMON, ...GOOGLE_MANAGED, physicalName: new TerraformVariable(stack, 'bucket', { type: 'string' }).stringValue });
    });
    expect(onlyResource(tokenJson, 'google_storage_bucket').name).toBe('${var.bucket}');
  });
});

describe('physicalName beyond GCP limits fails with the prop, the value and the limit', () => {
  const cases: Array<[string, (stack: TerraformStack) => void, string, string]> = [
    [
      'a 31-character service account id',
      (s) => new GcpWorkloadIdentity(s, 'I', { naming: NAMING, projectId: COMMON.projectId, physicalName: 'a'.repeat(31) }),
      "'physicalName' prop of GcpWorkloadIdentity",
      'a service account id of 6-30 characters',
    ],
    [
      'a 5-character service account id',
      (s) => new GcpWorkloadIdentity(s, 'I', { naming: NAMING, projectId: COMMON.projectId, physicalName: 'churn' }),
      'it has 5; the limit is 6-30',
      'service account id',
    ],
    [
      'a bucket of 64 characters',
      (s) => new GcpArtifactStore(s, 'S', { ...COMMON, ...GOOGLE_MANAGED, physicalName: 'b'.repeat(64) }),
      "'physicalName' prop of GcpArtifactStore",
      'the limit is 3-63',
    ],
    [
      'a bucket with capitals',
      (s) => new GcpArtifactStore(s, 'S', { ...COMMON, ...GOOGLE_MANAGED, physicalName: 'Acme-Artifacts' }),
      '"Acme-Artifacts"',
      'lowercase letters, digits, hyphens and underscores',
    ],
    [
      'a bucket starting with goog',
      (s) => new GcpArtifactStore(s, 'S', { ...COMMON, ...GOOGLE_MANAGED, physicalName: 'googly-eyes' }),
      'must not start with "goog"',
      'Cloud Storage bucket',
    ],
    [
      'a repository ending with a hyphen',
      (s) => new GcpImageRegistry(s, 'R', { ...COMMON, ...GOOGLE_MANAGED, physicalName: 'images-' }),
      "'physicalName' prop of GcpImageRegistry",
      'Artifact Registry repository',
    ],
    [
      'a crypto key with a dot',
      (s) => new GcpEncryptionKey(s, 'K', { ...COMMON, physicalName: 'ml.key' }),
      "'physicalName' prop of GcpEncryptionKey",
      'Cloud KMS key name of 1-63',
    ],
    [
      'a key ring of 64 characters',
      (s) => new GcpEncryptionKey(s, 'K', { ...COMMON, keyRingName: 'r'.repeat(64) }),
      "'keyRingName' prop of GcpEncryptionKey",
      'Cloud KMS key ring name of 1-63',
    ],
    [
      'a TensorBoard display name of 129 characters',
      (s) => new GcpMlWorkspace(s, 'W', { ...COMMON, ...GOOGLE_MANAGED, physicalName: 'x'.repeat(129) }),
      "'physicalName' prop of GcpMlWorkspace",
      'a Vertex AI display name of 1-128',
    ],
    [
      'a network base name that leaves no room for -jobs-attachment',
      (s) => new GcpNetwork(s, 'N', { ...COMMON, mode: 'private', physicalName: 'n'.repeat(48) }),
      'at most 47 characters',
      '"<physicalName>-jobs-attachment"',
    ],
    [
      'a network name starting with a digit',
      (s) => new GcpNetwork(s, 'N', { ...COMMON, mode: 'private', physicalName: '1net' }),
      "'physicalName' prop of GcpNetwork",
      'Compute Engine resource name',
    ],
  ];
  test.each(cases)('GIVEN %s WHEN built THEN the error names it', (_what, build, first, second) => {
    const err = validationError(build);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.code).toBe(ErrorCode.PROP_INVALID);
    expect(err.message).toContain(first);
    expect(err.message).toContain(second);
  });

  test('GIVEN a bad physicalName and a bad keyRingName WHEN built THEN both are reported at once', () => {
    const err = validationError((s) => new GcpEncryptionKey(s, 'K', { ...COMMON, physicalName: '', keyRingName: 'ring with spaces' }));
    expect(err.issues.map((i) => i.message)).toEqual([expect.stringContaining("'physicalName'"), expect.stringContaining("'keyRingName'")]);
  });

  test('GIVEN no physicalName and a naming that makes the service account id too long WHEN built THEN the error points to physicalName as a fix', () => {
    const err = validationError(
      (s) => new GcpWorkloadIdentity(s, 'I', { naming: { company: 'contoso-international', project: 'mlops', environment: 'dev' }, projectId: COMMON.projectId }),
    );
    expect(err.issues[0]!.code).toBe(ErrorCode.NAME_TOO_LONG);
    expect(err.message).toContain('Or give GcpWorkloadIdentity a physicalName.');
  });
});

describe('GcpGithubCiIdentity physicalName', () => {
  // Loaded here only: the CI module pulls in the platform.
  const { GcpGithubCiIdentity } = require('../lib/ci/gcp') as typeof import('../lib/ci/gcp');
  const { GcpMlPlatform } = require('../lib/gcp/platform') as typeof import('../lib/gcp/platform');
  const GITHUB = { repository: 'contoso/ml-platform', branches: ['main'], environments: ['dev'] };

  test('GIVEN physicalName WHEN the CI identity is built THEN the deployer service account has that id', () => {
    const json = synthStack((stack) => {
      const platform = new GcpMlPlatform(stack, 'Platform', { ...COMMON, deployers: ['user:admin@contoso.com'] });
      new GcpGithubCiIdentity(stack, 'Ci', { ...GITHUB, platform, naming: NAMING, projectId: COMMON.projectId, physicalName: 'gh-deployer-ml' });
    });
    expect(
      resourcesOf(json, 'google_service_account')
        .map((s) => s.account_id)
        .sort(),
    ).toEqual(['contoso-mlops-dev-ml', 'gh-deployer-ml']);
  });

  test('GIVEN a physicalName with an underscore WHEN the CI identity is built THEN the error names physicalName and the service account id limits', () => {
    const err = validationError((stack) => {
      const platform = new GcpMlPlatform(stack, 'Platform', { ...COMMON, deployers: ['user:admin@contoso.com'] });
      new GcpGithubCiIdentity(stack, 'Ci', { ...GITHUB, platform, naming: NAMING, projectId: COMMON.projectId, physicalName: 'gh_deployer' });
    });
    expect(err.message).toContain("'physicalName' prop of GcpGithubCiIdentity");
    expect(err.message).toContain('a service account id of 6-30 characters');
  });
});
