import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { GoogleBetaProvider } from '@cdktf/provider-google-beta/lib/provider';
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { parseConfig } from '../lib/config';
import { IWorkloadIdentity } from '../lib/core/contracts';
import { ErrorCode, MlopsValidationError } from '../lib/core/errors';
import { createDeployment } from '../lib/deploy/from-config';
import { GcpArtifactStore } from '../lib/gcp/artifact-store';
import { GcpEncryptionKey } from '../lib/gcp/encryption-key';
import { GcpImageRegistry } from '../lib/gcp/image-registry';
import { GcpNetwork } from '../lib/gcp/network';
import { GcpExistingResources, GcpMlPlatform, GcpMlPlatformProps } from '../lib/gcp/platform';
import { GcpWorkloadIdentity } from '../lib/gcp/workload-identity';
import { GcpGithubCiIdentity } from '../lib/ci/gcp';
import { PolicyReport, applyPolicyPack } from '../lib/policy';
import { SynthJson, resourcesOf, synthStack, validConfig } from './util';

/**
 * Bring your own on GCP: a landing zone's key (in a central KMS project),
 * bucket, repository, service account and VPC network imported with
 * `fromExisting`, a platform built on them, and grants to identities that are
 * not constructs of this library.
 */

const PROJECT = 'contoso-mlops-dev';
const REGION = 'europe-west4';
const KMS_PROJECT = 'contoso-kms-prod';
const KEY_ID = `projects/${KMS_PROJECT}/locations/${REGION}/keyRings/landing-zone/cryptoKeys/ml-data`;
const BUCKET = 'contoso-landing-zone-ml-data';
const REPOSITORY_ID = `projects/${PROJECT}/locations/${REGION}/repositories/shared-images`;
const SA_EMAIL = `ml-runner@${PROJECT}.iam.gserviceaccount.com`;
const DEPLOYER = 'group:ml-platform-admins@contoso.com';
const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const BASE: GcpMlPlatformProps = { naming: NAMING, projectId: PROJECT, region: REGION, deployers: [DEPLOYER] };

type Member = { type: string; id: string; role: string; member: string; [k: string]: unknown };

/** Every `*_iam_member` of the synth, with its type and logical id. */
function iamMembers(json: SynthJson): Member[] {
  return Object.entries(json.resource ?? {})
    .filter(([type]) => type.endsWith('_iam_member'))
    .flatMap(([type, byId]) => Object.entries(byId).map(([id, r]) => ({ type, id, ...(r as { role: string; member: string }) })));
}

/** The resource types of the synth. */
function types(json: SynthJson): string[] {
  return Object.keys(json.resource ?? {});
}

/** Imports of every resource a platform would otherwise create. */
function importAll(scope: Construct): GcpExistingResources {
  const encryptionKey = GcpEncryptionKey.fromKeyId(scope, 'LandingZoneKey', KEY_ID);
  return {
    encryptionKey,
    artifactStore: GcpArtifactStore.fromExisting(scope, 'LandingZoneBucket', { bucketName: BUCKET, encryptionKey }),
    imageRegistry: GcpImageRegistry.fromRepositoryId(scope, 'SharedImages', REPOSITORY_ID),
    identity: GcpWorkloadIdentity.fromServiceAccountEmail(scope, 'MlRunner', SA_EMAIL),
  };
}

/** A stack as MlPlatformStack makes one (google + google-beta providers, the policy pack), with `build` in it. */
function packedStack(
  build: (stack: TerraformStack) => GcpMlPlatform,
  mode: 'firewalled' | 'private' = 'firewalled',
  otherDeployers: readonly string[] = [],
): { json: SynthJson; report: PolicyReport; platform: GcpMlPlatform } {
  const stack = new TerraformStack(Testing.app(), 'byo');
  new GoogleProvider(stack, 'google', { project: PROJECT, region: REGION });
  new GoogleBetaProvider(stack, 'google-beta', { project: PROJECT, region: REGION });
  const platform = build(stack);
  const pack = applyPolicyPack(stack, { networkMode: mode, deployers: () => [...platform.deployers, ...otherDeployers], log: () => undefined });
  const json = JSON.parse(Testing.synth(stack)) as SynthJson;
  return { json, report: pack.check(), platform };
}

/** The config of a deployment (image, data upload, training job, endpoint), as dev-gcp.yaml has it. */
function deploymentConfig(): ReturnType<typeof parseConfig> {
  return parseConfig({
    ...validConfig('gcp'),
    deployers: [DEPLOYER],
    deployment: {
      model: 'bike-demand',
      training: { data: 'datasets/bike-sharing/hour.csv', upload: 'examples/demand-forecast/data/hour.csv', hyperparameters: { target: 'cnt' } },
      endpoint: { size: 'small', minInstances: 1, maxInstances: 1 },
    },
  });
}

function validationError(build: (stack: TerraformStack) => void): MlopsValidationError {
  try {
    synthStack(build);
  } catch (e) {
    if (e instanceof MlopsValidationError) return e;
    throw e;
  }
  throw new Error('expected a MlopsValidationError, but nothing was thrown');
}

describe('GcpMlPlatform with every resource imported', () => {
  let json: SynthJson;
  let report: PolicyReport;
  let platform: GcpMlPlatform;
  beforeAll(() => {
    ({ json, report, platform } = packedStack((stack) => {
      const p = new GcpMlPlatform(stack, 'Platform', { ...BASE, existing: importAll(stack) });
      createDeployment(stack, p, deploymentConfig());
      return p;
    }));
  });

  test('GIVEN imported key, bucket, repository and service account WHEN synthesized THEN the platform creates none of them', () => {
    for (const type of ['google_kms_key_ring', 'google_kms_crypto_key', 'google_storage_bucket', 'google_artifact_registry_repository', 'google_service_account']) {
      expect(types(json)).not.toContain(type);
    }
    expect(platform.encryptionKey.keyId).toBe(KEY_ID);
    expect(platform.artifactStore.url).toBe(`gs://${BUCKET}`);
    expect(platform.imageRegistry.imageUri).toBe(`${REGION}-docker.pkg.dev/${PROJECT}/shared-images`);
    expect(platform.identity.principal).toBe(`serviceAccount:${SA_EMAIL}`);
    // The TensorBoard, the deployment and the release steps still encrypt with and run as the imported ones.
    expect(resourcesOf(json, 'google_vertex_ai_tensorboard')[0]!.encryption_spec).toEqual({ kms_key_name: KEY_ID });
    const training = resourcesOf(json, 'terraform_data').find((r) => r.input?.kind === 'training')!;
    expect(training.input.gcp).toMatchObject({ serviceAccount: SA_EMAIL, kmsKeyName: KEY_ID });
    expect(training.input.training.dataUri).toBe(`gs://${BUCKET}/datasets/bike-sharing/hour.csv`);
    expect(resourcesOf(json, 'google_storage_bucket_object')[0]!.bucket).toBe(BUCKET);
  });

  test('GIVEN the imports WHEN the policy pack checks the stack THEN it passes, deploy-readiness rules included', () => {
    expect(report.violations).toEqual([]);
    expect(report.rulesApplied).toEqual(expect.arrayContaining(['MLOPS_DEPLOY_GCP_DEPLOYER_WRITE', 'MLOPS_DEPLOY_GCP_LAZY_SERVICE_AGENT', 'CKV2_GCP_24']));
  });

  test('GIVEN the imports WHEN synthesized THEN grants land on the imported resources as additive IAM members to the imported service account, never as a policy or binding', () => {
    expect(types(json).filter((t) => /_iam_(policy|binding)$/.test(t))).toEqual([]);
    const members = iamMembers(json);
    const sa = `serviceAccount:${SA_EMAIL}`;
    expect(members).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'google_storage_bucket_iam_member', bucket: BUCKET, role: 'roles/storage.objectUser', member: sa }),
        expect.objectContaining({
          type: 'google_artifact_registry_repository_iam_member',
          project: PROJECT,
          location: REGION,
          repository: 'shared-images',
          role: 'roles/artifactregistry.reader',
          member: sa,
        }),
        expect.objectContaining({ type: 'google_kms_crypto_key_iam_member', crypto_key_id: KEY_ID, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', member: sa }),
        expect.objectContaining({ type: 'google_project_iam_member', project: PROJECT, role: 'roles/aiplatform.user', member: sa }),
        // The deployer writes the training data and pushes the image: on the imported bucket and repository.
        expect.objectContaining({ type: 'google_storage_bucket_iam_member', bucket: BUCKET, role: 'roles/storage.objectUser', member: DEPLOYER }),
        expect.objectContaining({ type: 'google_artifact_registry_repository_iam_member', repository: 'shared-images', role: 'roles/artifactregistry.writer', member: DEPLOYER }),
      ]),
    );
  });

  test('GIVEN a key in a central KMS project WHEN the platform uses it THEN the service agents bound on it are those of the platform project, created there first', () => {
    const agents = iamMembers(json).filter((m) => m.type === 'google_kms_crypto_key_iam_member' && m.id.includes('ServiceAgent'));
    // Vertex AI (TensorBoard, jobs, endpoint) only: the bucket and repository exist, their agents' key access is their owner's.
    expect(agents).toHaveLength(1);
    expect(agents[0]!.crypto_key_id).toBe(KEY_ID);
    expect(agents[0]!.member).toMatch(/^serviceAccount:service-\$\{data\.google_project\.[A-Za-z0-9_-]+\.number\}@gcp-sa-aiplatform\.iam\.gserviceaccount\.com$/);
    const projects = Object.values(json.data!.google_project!) as Array<{ project_id: string }>;
    expect(projects.map((p) => p.project_id)).toEqual([PROJECT]);
    expect(resourcesOf(json, 'google_project_service_identity')).toEqual([expect.objectContaining({ project: PROJECT, service: 'aiplatform.googleapis.com' })]);
  });

  test('GIVEN an imported bucket WHEN the training data is uploaded THEN the upload waits for the deployer grant on that bucket', () => {
    const object = resourcesOf(json, 'google_storage_bucket_object')[0]!;
    const grant = Object.entries(json.resource!.google_storage_bucket_iam_member!).find(([, r]) => r.member === DEPLOYER)![0];
    expect(object.depends_on).toContain(`google_storage_bucket_iam_member.${grant}`);
  });

  test("GIVEN an imported repository in a multi-region location WHEN the image is pushed THEN the docker provider authenticates to that location's host", () => {
    const multi = packedStack((stack) => {
      const existing = { ...importAll(stack), imageRegistry: GcpImageRegistry.fromRepositoryId(stack, 'EuropeImages', `projects/${PROJECT}/locations/europe/repositories/images`) };
      const p = new GcpMlPlatform(stack, 'Platform', { ...BASE, existing });
      createDeployment(stack, p, deploymentConfig());
      return p;
    });
    expect((multi.json.provider as any).docker[0].registry_auth[0].address).toBe('europe-docker.pkg.dev');
    expect(multi.report.violations).toEqual([]);
  });
});

describe('deploy readiness on imported stores', () => {
  test('GIVEN an imported bucket and a deployer without a role on it WHEN the pack checks a data upload THEN MLOPS_DEPLOY_GCP_DEPLOYER_WRITE names the deployer (no silent pass)', () => {
    // Someone else runs Terraform too, and was never granted anything.
    const { report } = packedStack(
      (stack) => {
        const p = new GcpMlPlatform(stack, 'Platform', { ...BASE, existing: importAll(stack) });
        createDeployment(stack, p, deploymentConfig());
        return p;
      },
      'firewalled',
      ['user:someone-else@contoso.com'],
    );
    const found = report.violations.filter((v) => v.ruleId === 'MLOPS_DEPLOY_GCP_DEPLOYER_WRITE');
    expect(found.map((v) => v.found)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`uploads "datasets/bike-sharing/hour.csv" to the bucket ${BUCKET}`),
        expect.stringContaining('pushes an image to the repository projects/'),
      ]),
    );
    expect(found.every((v) => v.found.includes('user:someone-else@contoso.com'))).toBe(true);
  });
});

describe('grants to identities that are not constructs of this library', () => {
  test('GIVEN a plain object implementing IWorkloadIdentity WHEN granted read on the store THEN it gets an IAM member on the bucket and the key, with ids from its member', () => {
    const json = synthStack((stack) => {
      const platform = new GcpMlPlatform(stack, 'Platform', BASE);
      const batch = {
        cloud: 'gcp',
        identityName: 'batch',
        identityId: 'batch@contoso-mlops-dev.iam.gserviceaccount.com',
        principal: 'serviceAccount:batch@contoso-mlops-dev.iam.gserviceaccount.com',
      } as unknown as IWorkloadIdentity;
      platform.artifactStore.grantRead(batch);
      platform.artifactStore.grantRead(batch); // idempotent
      platform.imageRegistry.grantPull(batch);
      platform.modelRegistry.grantRead(batch);
    });
    const members = iamMembers(json).filter((m) => m.member === 'serviceAccount:batch@contoso-mlops-dev.iam.gserviceaccount.com');
    expect(members.map((m) => `${m.type} ${m.role}`).sort()).toEqual([
      'google_artifact_registry_repository_iam_member roles/artifactregistry.reader',
      'google_kms_crypto_key_iam_member roles/cloudkms.cryptoKeyDecrypter',
      'google_project_iam_member roles/aiplatform.viewer',
      'google_storage_bucket_iam_member roles/storage.objectViewer',
    ]);
    expect(members.find((m) => m.type === 'google_storage_bucket_iam_member')!.id).toMatch(/Member-serviceAccount-batch-contoso-mlops-dev-iam-gserviceaccount-com/);
  });

  test('GIVEN a construct of another library implementing IWorkloadIdentity with a group principal WHEN granted read-write THEN it gets the bucket member', () => {
    class TeamIdentity extends Construct implements IWorkloadIdentity {
      public readonly cloud = 'gcp' as const;
      public readonly identityName = 'analysts';
      public readonly identityId = 'analysts@contoso.com';
      public readonly principal = 'group:analysts@contoso.com';
    }
    const json = synthStack((stack) => {
      const platform = new GcpMlPlatform(stack, 'Platform', BASE);
      platform.artifactStore.grantReadWrite(new TeamIdentity(stack, 'Analysts'));
    });
    expect(iamMembers(json)).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'google_storage_bucket_iam_member', role: 'roles/storage.objectUser', member: 'group:analysts@contoso.com' })]),
    );
  });

  test('GIVEN an identity whose principal is a bare email or allUsers WHEN granted THEN the grant fails naming identity.principal and the fix', () => {
    for (const principal of ['batch@contoso-mlops-dev.iam.gserviceaccount.com', 'allUsers']) {
      const err = validationError((stack) => {
        const platform = new GcpMlPlatform(stack, 'Platform', BASE);
        platform.artifactStore.grantRead({ cloud: 'gcp', identityName: 'x', identityId: 'x', principal } as unknown as IWorkloadIdentity);
      });
      expect(err.issues[0]!.code).toBe(ErrorCode.PROP_INVALID);
      expect(err.message).toContain("'identity.principal'");
      expect(err.message).toContain(JSON.stringify(principal));
    }
    const bare = validationError((stack) => {
      new GcpMlPlatform(stack, 'Platform', BASE).artifactStore.grantRead({ cloud: 'gcp', principal: 'batch@p.iam.gserviceaccount.com' } as unknown as IWorkloadIdentity);
    });
    expect(bare.message).toContain('write "serviceAccount:batch@p.iam.gserviceaccount.com"');
  });

  test('GIVEN a plain object of another cloud WHEN granted THEN the grant fails with MLOPS_CLOUD_MISMATCH instead of a TypeError', () => {
    const err = validationError((stack) => {
      new GcpMlPlatform(stack, 'Platform', BASE).artifactStore.grantRead({
        cloud: 'aws',
        principal: 'arn:aws:iam::123456789012:role/x',
        identityId: 'arn:aws:iam::123456789012:role/x',
      } as unknown as IWorkloadIdentity);
    });
    expect(err.issues[0]!.code).toBe(ErrorCode.CLOUD_MISMATCH);
  });
});

describe('other compute running as a service account', () => {
  test('GIVEN a team batch-scoring service account usable by its deployers and a GKE workload WHEN granted the platform stores THEN it reads them, and act-as is on that service account only', () => {
    const json = synthStack((stack) => {
      const platform = new GcpMlPlatform(stack, 'Platform', BASE);
      const batch = new GcpWorkloadIdentity(stack, 'BatchScoring', {
        naming: NAMING,
        projectId: PROJECT,
        physicalName: 'churn-batch-scoring',
        usableBy: ['group:churn-deployers@contoso.com', 'serviceAccount:cloud-build@contoso-mlops-dev.iam.gserviceaccount.com'],
        gkeWorkloads: [{ namespace: 'scoring', serviceAccount: 'batch' }],
      });
      platform.artifactStore.grantRead(batch);
      platform.imageRegistry.grantPull(batch);
      platform.modelRegistry.grantRead(batch);
    });
    const sa = Object.entries(json.resource!.google_service_account!).find(([, r]) => r.account_id === 'churn-batch-scoring')![0];
    const saMember = iamMembers(json).filter((m) => m.type === 'google_service_account_iam_member');
    expect(
      saMember.map(({ role, member, service_account_id }) => ({ role, member, service_account_id })).sort((a, b) => `${a.role}${a.member}`.localeCompare(`${b.role}${b.member}`)),
    ).toEqual([
      { role: 'roles/iam.serviceAccountUser', member: 'group:churn-deployers@contoso.com', service_account_id: `\${google_service_account.${sa}.name}` },
      {
        role: 'roles/iam.serviceAccountUser',
        member: 'serviceAccount:cloud-build@contoso-mlops-dev.iam.gserviceaccount.com',
        service_account_id: `\${google_service_account.${sa}.name}`,
      },
      { role: 'roles/iam.workloadIdentityUser', member: `serviceAccount:${PROJECT}.svc.id.goog[scoring/batch]`, service_account_id: `\${google_service_account.${sa}.name}` },
    ]);
    // Never at project level (CKV_GCP_41).
    expect(iamMembers(json).filter((m) => m.type === 'google_project_iam_member' && /iam\.(serviceAccountUser|workloadIdentityUser)/.test(m.role))).toEqual([]);
    const batchMember = `\${google_service_account.${sa}.member}`;
    expect(
      iamMembers(json)
        .filter((m) => m.member === batchMember)
        .map((m) => m.role)
        .sort(),
    ).toEqual(['roles/aiplatform.viewer', 'roles/artifactregistry.reader', 'roles/cloudkms.cryptoKeyDecrypter', 'roles/storage.objectViewer']);
  });

  test('GIVEN an imported service account WHEN made usable by a Cloud Run deployer THEN the member is added to that service account (additive)', () => {
    const json = synthStack((stack) => {
      const sa = GcpWorkloadIdentity.fromServiceAccountEmail(stack, 'Existing', SA_EMAIL);
      sa.grantUsableBy('user:dev@contoso.com');
      sa.grantUsableBy('user:dev@contoso.com');
    });
    expect(resourcesOf(json, 'google_service_account_iam_member')).toEqual([
      expect.objectContaining({ service_account_id: `projects/${PROJECT}/serviceAccounts/${SA_EMAIL}`, role: 'roles/iam.serviceAccountUser', member: 'user:dev@contoso.com' }),
    ]);
    expect(json.resource!.google_service_account).toBeUndefined();
  });

  test('GIVEN usableBy with a bare email and a GKE namespace with capitals WHEN built THEN one error names both props and the fix', () => {
    const err = validationError((stack) => {
      new GcpWorkloadIdentity(stack, 'Batch', {
        naming: NAMING,
        projectId: PROJECT,
        usableBy: ['dev@contoso.com'],
        gkeWorkloads: [{ namespace: 'Scoring', serviceAccount: 'batch' }],
      });
    });
    expect(err.issues.map((i) => i.message)).toEqual([expect.stringContaining("'usableBy[0]'"), expect.stringContaining("'gkeWorkloads[0].namespace'")]);
    expect(err.message).toContain('"user:dev@contoso.com"');
  });
});

describe('fromExisting attributes', () => {
  const cases: Array<[string, (s: Construct) => unknown, string]> = [
    ['a key id that is a key ring id', (s) => GcpEncryptionKey.fromKeyId(s, 'K', `projects/${KMS_PROJECT}/locations/${REGION}/keyRings/landing-zone`), "'keyId'"],
    ['a key whose projectId disagrees with its id', (s) => GcpEncryptionKey.fromExisting(s, 'K', { keyId: KEY_ID, projectId: PROJECT }), `the project of keyId (${KMS_PROJECT})`],
    ['a gs:// bucket', (s) => GcpArtifactStore.fromBucketName(s, 'B', `gs://${BUCKET}`), `without gs:// (${BUCKET})`],
    ['a bucket name with google in it', (s) => GcpArtifactStore.fromBucketName(s, 'B', 'my-google-data'), 'must not contain "google"'],
    ['an image URI as repository id', (s) => GcpImageRegistry.fromRepositoryId(s, 'R', `${REGION}-docker.pkg.dev/${PROJECT}/shared-images`), 'not the image URI'],
    [
      'a serviceAccount: member as email',
      (s) => GcpWorkloadIdentity.fromServiceAccountEmail(s, 'I', `serviceAccount:${SA_EMAIL}`),
      `the email without "serviceAccount:" (${SA_EMAIL})`,
    ],
    [
      'a service agent as workload identity',
      (s) => GcpWorkloadIdentity.fromServiceAccountEmail(s, 'I', 'service-123@gcp-sa-aiplatform.iam.gserviceaccount.com'),
      'Google service agent',
    ],
    ['a default compute account without projectId', (s) => GcpWorkloadIdentity.fromServiceAccountEmail(s, 'I', '123456789-compute@developer.gserviceaccount.com'), "'projectId'"],
    [
      'a network attachment in another region',
      (s) =>
        GcpNetwork.fromExisting(s, 'N', {
          network: `projects/${PROJECT}/global/networks/hub`,
          subnetwork: `projects/${PROJECT}/regions/${REGION}/subnetworks/ml`,
          networkAttachment: `projects/${PROJECT}/regions/us-central1/networkAttachments/jobs`,
        }),
      `the subnetwork's region ${REGION}`,
    ],
  ];
  test.each(cases)('GIVEN %s WHEN imported THEN the import fails naming the attribute, the value and the fix', (_what, build, expected) => {
    const err = validationError((stack) => build(stack));
    expect(err.issues[0]!.code).toBe(ErrorCode.PROP_INVALID);
    expect(err.message).toContain(expected);
  });

  test('GIVEN token attributes WHEN imported with the parts they hide THEN nothing is validated that is not known, and ids derive from the token', () => {
    const json = synthStack((stack) => {
      const keyId = new TerraformVariable(stack, 'key_id', { type: 'string' }).stringValue;
      const key = GcpEncryptionKey.fromExisting(stack, 'K', { keyId, projectId: KMS_PROJECT, location: REGION });
      expect(key.keyRingId).toMatch(/\$\{TfToken/);
      const email = new TerraformVariable(stack, 'sa', { type: 'string' }).stringValue;
      const sa = GcpWorkloadIdentity.fromExisting(stack, 'I', { serviceAccountEmail: email, projectId: PROJECT });
      key.grantDecrypt(sa);
    });
    expect(resourcesOf(json, 'google_kms_crypto_key_iam_member')).toEqual([
      { crypto_key_id: '${var.key_id}', role: 'roles/cloudkms.cryptoKeyDecrypter', member: 'serviceAccount:${var.sa}' },
    ]);
    const err = validationError((stack) => {
      GcpEncryptionKey.fromKeyId(stack, 'K', new TerraformVariable(stack, 'key_id', { type: 'string' }).stringValue);
    });
    expect(err.message).toContain('when keyId is known only at apply time');
  });
});

describe('GcpMlPlatform existing: consistency with the platform', () => {
  test('GIVEN a key in another region and a service account of another project WHEN the platform is built THEN one error names both, with the region and project to use', () => {
    const err = validationError((stack) => {
      new GcpMlPlatform(stack, 'Platform', {
        ...BASE,
        existing: {
          encryptionKey: GcpEncryptionKey.fromKeyId(stack, 'K', `projects/${KMS_PROJECT}/locations/us-central1/keyRings/r/cryptoKeys/k`),
          identity: GcpWorkloadIdentity.fromServiceAccountEmail(stack, 'I', 'runner@other-project-1.iam.gserviceaccount.com'),
        },
      });
    });
    expect(err.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/'existing.encryptionKey'.*a key in the platform's region europe-west4 \(it is in us-central1\)/),
      expect.stringMatching(/'existing.identity'.*a service account of the platform's project contoso-mlops-dev \(it belongs to other-project-1\)/),
    ]);
  });

  test('GIVEN an Azure-shaped object as existing.artifactStore WHEN the platform is built THEN it fails naming the prop and the import to use', () => {
    const err = validationError((stack) => {
      new GcpMlPlatform(stack, 'Platform', { ...BASE, existing: { artifactStore: { cloud: 'azure', storeName: 'x' } as never } });
    });
    expect(err.message).toContain("'existing.artifactStore'");
    expect(err.message).toContain('GcpArtifactStore.fromBucketName');
  });

  test('GIVEN only an imported bucket WHEN synthesized THEN the platform still creates its key for the repository and TensorBoard, and binds no storage agent (the bucket is not its to encrypt)', () => {
    const json = synthStack((stack) => {
      new GcpMlPlatform(stack, 'Platform', { ...BASE, existing: { artifactStore: GcpArtifactStore.fromBucketName(stack, 'B', BUCKET) } });
    });
    expect(resourcesOf(json, 'google_kms_crypto_key')).toHaveLength(1);
    expect(json.resource!.google_storage_bucket).toBeUndefined();
    expect(json.data!.google_storage_project_service_account).toBeUndefined();
    // No key known for the imported bucket: its grant gives no key role for it.
    expect(
      iamMembers(json)
        .filter((m) => m.type === 'google_storage_bucket_iam_member')
        .map((m) => m.bucket),
    ).toEqual([BUCKET, BUCKET]);
  });
});

describe('imported network in private mode', () => {
  const NETWORK = `projects/${PROJECT}/global/networks/landing-zone-vpc`;
  const SUBNET = `projects/${PROJECT}/regions/${REGION}/subnetworks/ml-workloads`;

  test('GIVEN GcpNetwork.fromExisting WHEN a private platform uses it with a deployment THEN it creates no network or subnet, only the jobs attachment, and the pack passes', () => {
    const { json, report, platform } = packedStack((stack) => {
      const network = GcpNetwork.fromExisting(stack, 'LandingZoneNetwork', { network: NETWORK, subnetwork: SUBNET });
      const p = new GcpMlPlatform(stack, 'Platform', { ...BASE, network: { mode: 'private' }, existing: { network } });
      createDeployment(stack, p, deploymentConfig());
      return p;
    }, 'private');
    expect(report.violations).toEqual([]);
    expect(json.resource!.google_compute_network).toBeUndefined();
    expect(json.resource!.google_compute_subnetwork).toBeUndefined();
    expect(resourcesOf(json, 'google_compute_network_attachment')).toEqual([
      expect.objectContaining({ project: PROJECT, region: REGION, name: 'ml-workloads-ml-jobs', subnetworks: [SUBNET], connection_preference: 'ACCEPT_AUTOMATIC' }),
    ]);
    expect(platform.network.networkId).toBe(NETWORK);
    // The bucket's IP filter lets the imported network through; the endpoint's PSC address is in its subnet.
    const bucket = resourcesOf(json, 'google_storage_bucket')[0]!;
    expect(bucket.ip_filter).toBeUndefined();
    expect(resourcesOf(json, 'google_compute_address')[0]!.subnetwork).toBe(SUBNET);
    const training = resourcesOf(json, 'terraform_data').find((r) => r.input?.kind === 'training')!;
    expect(training.input.gcp.networkAttachment).toMatch(/^\$\{google_compute_network_attachment\./);
  });

  test('GIVEN an imported network with an existing attachment and ranges WHEN used THEN nothing is created in the network and the bucket filter uses the network and ranges', () => {
    const ATTACHMENT = `projects/${PROJECT}/regions/${REGION}/networkAttachments/vertex-jobs`;
    const { json, report } = packedStack((stack) => {
      const network = GcpNetwork.fromExisting(stack, 'N', { network: NETWORK, subnetwork: SUBNET, networkAttachment: ATTACHMENT, allowedIpRanges: ['203.0.113.0/24'] });
      const p = new GcpMlPlatform(stack, 'Platform', { ...BASE, network: { mode: 'private' }, existing: { network } });
      createDeployment(stack, p, deploymentConfig());
      return p;
    }, 'private');
    expect(report.violations).toEqual([]);
    expect(json.resource!.google_compute_network_attachment).toBeUndefined();
    const filter = resourcesOf(json, 'google_storage_bucket')[0]!.ip_filter;
    expect(filter.public_network_source.allowed_ip_cidr_ranges).toEqual(['203.0.113.0/24']);
    expect(filter.vpc_network_sources).toEqual([{ network: NETWORK, allowed_ip_cidr_ranges: ['0.0.0.0/0'] }]);
    expect(resourcesOf(json, 'terraform_data').find((r) => r.input?.kind === 'training')!.input.gcp.networkAttachment).toBe(ATTACHMENT);
  });

  test('GIVEN an imported network with firewalled mode, network.existing.gcp too and a subnet of another region WHEN the platform is built THEN one error lists each problem', () => {
    const err = validationError((stack) => {
      const network = GcpNetwork.fromExisting(stack, 'N', { network: NETWORK, subnetwork: `projects/${PROJECT}/regions/us-central1/subnetworks/ml` });
      new GcpMlPlatform(stack, 'Platform', { ...BASE, network: { mode: 'firewalled' }, existing: { network } });
    });
    expect(err.issues.map((i) => i.message)).toEqual([
      expect.stringContaining("set network: { mode: 'private' }"),
      expect.stringContaining("a subnetwork in the platform's region europe-west4 (it is in us-central1)"),
    ]);
  });
});

describe('CI on a platform with imported resources', () => {
  test('GIVEN imported key, bucket and repository WHEN a CI identity is added THEN it gets no admin role on them, still acts as the workload identity, and a warning says what their owner must grant', () => {
    let ci: GcpGithubCiIdentity | undefined;
    const json = synthStack((stack) => {
      const platform = new GcpMlPlatform(stack, 'Platform', { ...BASE, existing: importAll(stack) });
      ci = new GcpGithubCiIdentity(stack, 'Ci', { platform, naming: NAMING, projectId: PROJECT, repository: 'contoso/ml-platform', branches: ['main'], environments: ['dev'] });
    });
    const roles = iamMembers(json)
      .filter((m) => m.id.startsWith('Ci_'))
      .map((m) => `${m.type} ${m.role}`);
    expect(roles).not.toEqual(expect.arrayContaining([expect.stringMatching(/kms_key_ring_iam_member|roles\/storage\.admin|roles\/artifactregistry\.admin/)]));
    expect(resourcesOf(json, 'google_service_account_iam_member')).toEqual(
      expect.arrayContaining([expect.objectContaining({ service_account_id: `projects/${PROJECT}/serviceAccounts/${SA_EMAIL}`, role: 'roles/iam.serviceAccountUser' })]),
    );
    const warnings = ci!.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(warnings).toEqual(expect.arrayContaining([expect.stringContaining(`the key ${KEY_ID}, the bucket ${BUCKET}, the repository ${REPOSITORY_ID}`)]));
  });
});
