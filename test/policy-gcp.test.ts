import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { DataGoogleIamPolicy } from '@cdktf/provider-google/lib/data-google-iam-policy';
import { IamWorkloadIdentityPoolProvider } from '@cdktf/provider-google/lib/iam-workload-identity-pool-provider';
import { KmsCryptoKey, KmsCryptoKeyConfig } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { ProjectIamBinding } from '@cdktf/provider-google/lib/project-iam-binding';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ProjectIamPolicy } from '@cdktf/provider-google/lib/project-iam-policy';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountKey } from '@cdktf/provider-google/lib/service-account-key';
import { StorageBucket, StorageBucketConfig } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketAccessControl } from '@cdktf/provider-google/lib/storage-bucket-access-control';
import { StorageBucketIamBinding } from '@cdktf/provider-google/lib/storage-bucket-iam-binding';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { VertexAiEndpoint } from '@cdktf/provider-google/lib/vertex-ai-endpoint';
import { VertexAiTensorboard } from '@cdktf/provider-google/lib/vertex-ai-tensorboard';
import { ComputeAddress } from '@cdktf/provider-google/lib/compute-address';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { GoogleProjectServiceIdentity } from '@cdktf/provider-google-beta/lib/google-project-service-identity';
import { Image } from '@cdktf/provider-docker/lib/image';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import { TerraformStack, Testing } from 'cdktf';
import { TerraformData } from '../lib/deploy/terraform-data';
import { applyPolicyPack, POLICY_RULES, PolicyPackOptions, PolicyReport } from '../lib/policy';

/**
 * Every GCP rule: a deliberately bad construct (plain google resources with
 * the setting wrong) is caught with the rule's id on the right construct path,
 * and the good setting passes that rule.
 */

const STACK = 'policy';
const PROJECT = 'contoso-mlops-dev';
const KMS = 'projects/contoso-mlops-dev/locations/europe-west4/keyRings/keys/cryptoKeys/cmk';

function run(build: (stack: TerraformStack) => void, options: PolicyPackOptions = {}): PolicyReport {
  const app = Testing.app();
  const stack = new TerraformStack(app, STACK);
  new GoogleProvider(stack, 'google', { project: PROJECT, region: 'europe-west4' });
  build(stack);
  const pack = applyPolicyPack(stack, { ...options, log: () => undefined });
  Testing.synth(stack);
  return pack.check();
}

function cryptoKey(s: TerraformStack, config: Partial<KmsCryptoKeyConfig> = {}): KmsCryptoKey {
  return new KmsCryptoKey(s, 'Key', { name: 'cmk', keyRing: 'ring', rotationPeriod: '7776000s', lifecycle: { preventDestroy: true }, ...config });
}

function bucket(s: TerraformStack, config: Partial<StorageBucketConfig> = {}): StorageBucket {
  return new StorageBucket(s, 'Bucket', {
    name: 'contoso-artifacts',
    location: 'europe-west4',
    uniformBucketLevelAccess: true,
    publicAccessPrevention: 'enforced',
    versioning: { enabled: true },
    encryption: { defaultKmsKeyName: KMS },
    ...config,
  });
}

const DEPLOYER = 'user:platform-admin@contoso.com';

function repository(s: TerraformStack): ArtifactRegistryRepository {
  return new ArtifactRegistryRepository(s, 'Repo', { location: 'europe-west4', repositoryId: 'runtime', format: 'DOCKER', kmsKeyName: KMS });
}

function pscEndpoint(s: TerraformStack): VertexAiEndpoint {
  return new VertexAiEndpoint(s, 'Endpoint', {
    name: 'scoring',
    displayName: 'scoring',
    location: 'europe-west4',
    encryptionSpec: { kmsKeyName: KMS },
    privateServiceConnectConfig: { enablePrivateServiceConnect: true, projectAllowlist: [PROJECT] },
  });
}

function releaseStep(s: TerraformStack, id: string, input: Record<string, unknown>): TerraformData {
  return new TerraformData(s, id, { input });
}

function sa(s: TerraformStack): ServiceAccount {
  return new ServiceAccount(s, 'Sa', { accountId: 'ml' });
}

function githubProvider(
  s: TerraformStack,
  attributeCondition: string | undefined,
  mapping: Record<string, string> = { 'google.subject': 'assertion.sub', 'attribute.repository': 'assertion.repository' },
) {
  return new IamWorkloadIdentityPoolProvider(s, 'GitHub', {
    workloadIdentityPoolId: 'github',
    workloadIdentityPoolProviderId: 'github',
    attributeMapping: mapping,
    attributeCondition,
    oidc: { issuerUri: 'https://token.actions.githubusercontent.com' },
  });
}

interface Case {
  readonly rule: string;
  readonly name: string;
  readonly path: string;
  readonly bad: (s: TerraformStack) => void;
  readonly good: (s: TerraformStack) => void;
  /** The pack options both run with (network mode, deployers). */
  readonly options?: PolicyPackOptions;
}

const CASES: Case[] = [
  // Cloud KMS
  { rule: 'CKV_GCP_43', name: 'yearly rotation', path: 'Key', bad: (s) => cryptoKey(s, { rotationPeriod: '31536000s' }), good: (s) => cryptoKey(s) },
  {
    rule: 'CKV_GCP_43',
    name: 'no rotation',
    path: 'Key',
    bad: (s) => cryptoKey(s, { rotationPeriod: undefined }),
    good: (s) => cryptoKey(s, { rotationPeriod: undefined, purpose: 'ASYMMETRIC_SIGN' }),
  },
  { rule: 'CKV_GCP_82', name: 'key not protected from deletion', path: 'Key', bad: (s) => cryptoKey(s, { lifecycle: undefined }), good: (s) => cryptoKey(s) },
  {
    rule: 'CKV_GCP_112',
    name: 'key open to allAuthenticatedUsers',
    path: 'KeyUser',
    bad: (s) => new KmsCryptoKeyIamMember(s, 'KeyUser', { cryptoKeyId: cryptoKey(s).id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', member: 'allAuthenticatedUsers' }),
    good: (s) => new KmsCryptoKeyIamMember(s, 'KeyUser', { cryptoKeyId: cryptoKey(s).id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', member: sa(s).member }),
  },
  // Cloud Storage
  {
    rule: 'CKV_GCP_5',
    name: 'Google-managed encryption',
    path: 'Bucket',
    bad: (s) => bucket(s, { encryption: undefined }),
    good: (s) => bucket(s, { encryption: { defaultKmsKeyName: cryptoKey(s).id } }),
  },
  { rule: 'CKV_GCP_29', name: 'fine-grained ACLs', path: 'Bucket', bad: (s) => bucket(s, { uniformBucketLevelAccess: false }), good: (s) => bucket(s) },
  { rule: 'CKV_GCP_114', name: 'public access prevention inherited', path: 'Bucket', bad: (s) => bucket(s, { publicAccessPrevention: 'inherited' }), good: (s) => bucket(s) },
  { rule: 'CKV_GCP_78', name: 'no versioning', path: 'Bucket', bad: (s) => bucket(s, { versioning: undefined }), good: (s) => bucket(s) },
  {
    rule: 'CKV_GCP_28',
    name: 'bucket readable by allUsers',
    path: 'Public',
    bad: (s) => new StorageBucketIamMember(s, 'Public', { bucket: bucket(s).name, role: 'roles/storage.objectViewer', member: 'allUsers' }),
    good: (s) => new StorageBucketIamMember(s, 'Public', { bucket: bucket(s).name, role: 'roles/storage.objectViewer', member: sa(s).member }),
  },
  {
    rule: 'CKV_GCP_28',
    name: 'binding and ACL for everyone',
    path: 'Acl',
    bad: (s) => new StorageBucketAccessControl(s, 'Acl', { bucket: bucket(s).name, role: 'READER', entity: 'allUsers' }),
    good: (s) => new StorageBucketIamBinding(s, 'Acl', { bucket: bucket(s).name, role: 'roles/storage.objectViewer', members: ['group:ml@contoso.com'] }),
  },
  // Artifact Registry
  {
    rule: 'CKV_GCP_84',
    name: 'repository without CMEK',
    path: 'Repo',
    bad: (s) => new ArtifactRegistryRepository(s, 'Repo', { repositoryId: 'runtime', format: 'DOCKER', location: 'europe-west4' }),
    good: (s) => new ArtifactRegistryRepository(s, 'Repo', { repositoryId: 'runtime', format: 'DOCKER', location: 'europe-west4', kmsKeyName: cryptoKey(s).id }),
  },
  {
    rule: 'CKV_GCP_101',
    name: 'repository pullable by allUsers',
    path: 'Reader',
    bad: (s) =>
      new ArtifactRegistryRepositoryIamMember(s, 'Reader', { repository: 'runtime', location: 'europe-west4', role: 'roles/artifactregistry.reader', member: 'allUsers' }),
    good: (s) =>
      new ArtifactRegistryRepositoryIamMember(s, 'Reader', { repository: 'runtime', location: 'europe-west4', role: 'roles/artifactregistry.reader', member: sa(s).member }),
  },
  // Vertex AI
  {
    rule: 'CKV2_GCP_26',
    name: 'TensorBoard without CMEK',
    path: 'Tensorboard',
    bad: (s) => new VertexAiTensorboard(s, 'Tensorboard', { displayName: 'experiments', region: 'europe-west4' }),
    good: (s) => new VertexAiTensorboard(s, 'Tensorboard', { displayName: 'experiments', region: 'europe-west4', encryptionSpec: { kmsKeyName: cryptoKey(s).id } }),
  },
  {
    rule: 'CKV2_GCP_24',
    name: 'endpoint without CMEK',
    path: 'Endpoint',
    bad: (s) => new VertexAiEndpoint(s, 'Endpoint', { name: 'scoring', displayName: 'scoring', location: 'europe-west4', network: 'projects/1/global/networks/ml' }),
    good: (s) =>
      new VertexAiEndpoint(s, 'Endpoint', {
        name: 'scoring',
        displayName: 'scoring',
        location: 'europe-west4',
        network: 'projects/1/global/networks/ml',
        encryptionSpec: { kmsKeyName: KMS },
      }),
  },
  {
    rule: 'CKV2_GCP_33',
    name: 'public endpoint in private mode',
    path: 'Endpoint',
    options: { networkMode: 'private' },
    bad: (s) => new VertexAiEndpoint(s, 'Endpoint', { name: 'scoring', displayName: 'scoring', location: 'europe-west4', encryptionSpec: { kmsKeyName: KMS } }),
    good: (s) =>
      new VertexAiEndpoint(s, 'Endpoint', {
        name: 'scoring',
        displayName: 'scoring',
        location: 'europe-west4',
        encryptionSpec: { kmsKeyName: KMS },
        privateServiceConnectConfig: { enablePrivateServiceConnect: true, projectAllowlist: [PROJECT] },
      }),
  },
  // Deploy readiness
  {
    rule: 'MLOPS_DEPLOY_GCP_LAZY_SERVICE_AGENT',
    name: 'key grant to the Vertex AI service agent that nothing creates',
    path: 'AgentKey',
    bad: (s) =>
      new KmsCryptoKeyIamMember(s, 'AgentKey', {
        cryptoKeyId: KMS,
        role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        member: 'serviceAccount:service-123456789012@gcp-sa-aiplatform.iam.gserviceaccount.com',
      }),
    good: (s) => {
      const identity = new GoogleProjectServiceIdentity(s, 'Identity', { project: PROJECT, service: 'aiplatform.googleapis.com' });
      new KmsCryptoKeyIamMember(s, 'AgentKey', {
        cryptoKeyId: KMS,
        role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        member: 'serviceAccount:service-123456789012@gcp-sa-aiplatform.iam.gserviceaccount.com',
        dependsOn: [identity],
      });
    },
  },
  {
    rule: 'MLOPS_DEPLOY_GCP_LAZY_SERVICE_AGENT',
    name: 'identity of another service',
    path: 'AgentKey',
    bad: (s) => {
      const identity = new GoogleProjectServiceIdentity(s, 'Identity', { project: PROJECT, service: 'aiplatform.googleapis.com' });
      new KmsCryptoKeyIamMember(s, 'AgentKey', {
        cryptoKeyId: KMS,
        role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        member: 'serviceAccount:service-1@gcp-sa-artifactregistry.iam.gserviceaccount.com',
        dependsOn: [identity],
      });
    },
    good: (s) =>
      new KmsCryptoKeyIamMember(s, 'AgentKey', {
        cryptoKeyId: KMS,
        role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        member: 'serviceAccount:service-1@gs-project-accounts.iam.gserviceaccount.com',
      }),
  },
  {
    rule: 'MLOPS_DEPLOY_GCP_DEPLOYER_WRITE',
    name: 'training data upload by a deployer without a bucket role',
    path: 'Data',
    options: { deployers: [DEPLOYER] },
    bad: (s) => {
      const b = bucket(s);
      new StorageBucketIamMember(s, 'Reader', { bucket: b.name, role: 'roles/storage.objectViewer', member: DEPLOYER });
      new StorageBucketObject(s, 'Data', { bucket: b.name, name: 'd.csv', content: 'a' });
    },
    good: (s) => {
      const b = bucket(s);
      const grant = new StorageBucketIamMember(s, 'Writer', { bucket: b.name, role: 'roles/storage.objectUser', member: DEPLOYER });
      new StorageBucketObject(s, 'Data', { bucket: b.name, name: 'd.csv', content: 'a', dependsOn: [grant] });
    },
  },
  {
    rule: 'MLOPS_DEPLOY_GCP_DEPLOYER_WRITE',
    name: 'upload that does not wait for the deployer grant',
    path: 'Data',
    options: { deployers: [DEPLOYER] },
    bad: (s) => {
      const b = bucket(s);
      new StorageBucketIamMember(s, 'Writer', { bucket: b.name, role: 'roles/storage.objectUser', member: DEPLOYER });
      new StorageBucketObject(s, 'Data', { bucket: b.name, name: 'd.csv', content: 'a' });
    },
    good: (s) => {
      const b = bucket(s);
      const grant = new StorageBucketIamMember(s, 'Writer', { bucket: b.name, role: 'roles/storage.objectUser', member: DEPLOYER });
      new StorageBucketObject(s, 'Data', { bucket: b.name, name: 'd.csv', content: 'a', dependsOn: [grant] });
    },
  },
  {
    rule: 'MLOPS_DEPLOY_GCP_DEPLOYER_WRITE',
    name: 'private mode: the bucket IP filter does not let the VPC through',
    path: 'Data',
    options: { deployers: [DEPLOYER], networkMode: 'private' },
    bad: (s) => {
      const b = bucket(s, { ipFilter: { mode: 'Enabled', publicNetworkSource: { allowedIpCidrRanges: ['203.0.113.0/24'] } } });
      const grant = new StorageBucketIamMember(s, 'Writer', { bucket: b.name, role: 'roles/storage.objectUser', member: DEPLOYER });
      new StorageBucketObject(s, 'Data', { bucket: b.name, name: 'd.csv', content: 'a', dependsOn: [grant] });
    },
    good: (s) => {
      const b = bucket(s, {
        ipFilter: {
          mode: 'Enabled',
          publicNetworkSource: { allowedIpCidrRanges: ['203.0.113.0/24'] },
          vpcNetworkSources: [{ network: 'projects/p/global/networks/vpc', allowedIpCidrRanges: ['0.0.0.0/0'] }],
        },
      });
      const grant = new StorageBucketIamMember(s, 'Writer', { bucket: b.name, role: 'roles/storage.objectUser', member: DEPLOYER });
      new StorageBucketObject(s, 'Data', { bucket: b.name, name: 'd.csv', content: 'a', dependsOn: [grant] });
    },
  },
  {
    rule: 'MLOPS_DEPLOY_GCP_DEPLOYER_WRITE',
    name: 'image push by a deployer without writer on the repository',
    path: 'Push',
    options: { deployers: [DEPLOYER] },
    bad: (s) => {
      const repo = repository(s);
      const image = new Image(s, 'Image', { name: `europe-west4-docker.pkg.dev/${PROJECT}/${repo.repositoryId}/runtime:abc` });
      new RegistryImage(s, 'Push', { name: image.name });
    },
    good: (s) => {
      const repo = repository(s);
      const grant = new ArtifactRegistryRepositoryIamMember(s, 'Writer', {
        location: 'europe-west4',
        repository: repo.name,
        role: 'roles/artifactregistry.writer',
        member: DEPLOYER,
      });
      const image = new Image(s, 'Image', { name: `europe-west4-docker.pkg.dev/${PROJECT}/${repo.repositoryId}/runtime:abc` });
      new RegistryImage(s, 'Push', { name: image.name, dependsOn: [grant] });
    },
  },
  {
    rule: 'MLOPS_DEPLOY_GCP_PRIVATE_WORKLOAD',
    name: 'private mode: PSC endpoint without a forwarding rule',
    path: 'Endpoint',
    options: { networkMode: 'private' },
    bad: (s) => pscEndpoint(s),
    good: (s) => {
      const endpoint = pscEndpoint(s);
      const address = new ComputeAddress(s, 'Address', {
        name: 'psc',
        addressType: 'INTERNAL',
        subnetwork: 'projects/p/regions/europe-west4/subnetworks/w',
        region: 'europe-west4',
      });
      releaseStep(s, 'Release', {
        kind: 'endpoint',
        cloud: 'gcp',
        gcp: { endpoint: endpoint.id, psc: { network: 'projects/p/global/networks/vpc', address: address.address, forwardingRule: 'psc' } },
      });
    },
  },
  {
    rule: 'MLOPS_DEPLOY_GCP_PRIVATE_WORKLOAD',
    name: 'private mode: training job spec without the network',
    path: 'Train',
    options: { networkMode: 'private' },
    bad: (s) => releaseStep(s, 'Train', { kind: 'training', cloud: 'gcp', gcp: { project: PROJECT } }),
    good: (s) =>
      releaseStep(s, 'Train', { kind: 'training', cloud: 'gcp', gcp: { project: PROJECT, networkAttachment: 'projects/p/regions/europe-west4/networkAttachments/jobs' } }),
  },
  // IAM
  { rule: 'CKV2_GCP_3', name: 'exported key', path: 'SaKey', bad: (s) => new ServiceAccountKey(s, 'SaKey', { serviceAccountId: sa(s).name }), good: (s) => sa(s) },
  {
    rule: 'CKV_GCP_117',
    name: 'editor on the project',
    path: 'Grant',
    bad: (s) => new ProjectIamMember(s, 'Grant', { project: PROJECT, role: 'roles/editor', member: 'group:ml@contoso.com' }),
    good: (s) => new ProjectIamMember(s, 'Grant', { project: PROJECT, role: 'roles/aiplatform.user', member: 'group:ml@contoso.com' }),
  },
  {
    rule: 'CKV_GCP_117',
    name: 'owner in a project policy built from google_iam_policy',
    path: 'Policy',
    bad: (s) =>
      new ProjectIamPolicy(s, 'Policy', {
        project: PROJECT,
        policyData: new DataGoogleIamPolicy(s, 'Doc', { binding: [{ role: 'roles/owner', members: ['user:a@contoso.com'] }] }).policyData,
      }),
    good: (s) =>
      new ProjectIamPolicy(s, 'Policy', {
        project: PROJECT,
        policyData: new DataGoogleIamPolicy(s, 'Doc', { binding: [{ role: 'roles/logging.viewer', members: ['user:a@contoso.com'] }] }).policyData,
      }),
  },
  {
    rule: 'CKV_GCP_41',
    name: 'service account user on the project',
    path: 'Grant',
    bad: (s) => new ProjectIamBinding(s, 'Grant', { project: PROJECT, role: 'roles/iam.serviceAccountUser', members: ['user:a@contoso.com'] }),
    good: (s) => new ProjectIamBinding(s, 'Grant', { project: PROJECT, role: 'roles/logging.viewer', members: ['user:a@contoso.com'] }),
  },
  {
    rule: 'CKV_GCP_49',
    name: 'workload identity user on the project',
    path: 'Grant',
    bad: (s) => new ProjectIamMember(s, 'Grant', { project: PROJECT, role: 'roles/iam.workloadIdentityUser', member: 'principalSet://iam.googleapis.com/x' }),
    good: (s) => new ProjectIamMember(s, 'Grant', { project: PROJECT, role: 'roles/monitoring.metricWriter', member: 'principalSet://iam.googleapis.com/x' }),
  },
  {
    rule: 'CKV_GCP_49',
    name: "a service-agent role given to another principal than that service's own agent",
    path: 'Grant',
    bad: (s) => new ProjectIamMember(s, 'Grant', { project: PROJECT, role: 'roles/aiplatform.serviceAgent', member: sa(s).member }),
    good: (s) =>
      new ProjectIamMember(s, 'Grant', {
        project: PROJECT,
        role: 'roles/aiplatform.serviceAgent',
        member: 'serviceAccount:service-123456789012@gcp-sa-aiplatform.iam.gserviceaccount.com',
      }),
  },
  {
    rule: 'CKV_GCP_49',
    name: "one service's agent role given to another service's agent",
    path: 'Grant',
    bad: (s) =>
      new ProjectIamMember(s, 'Grant', {
        project: PROJECT,
        role: 'roles/dataproc.serviceAgent',
        member: 'serviceAccount:service-123456789012@gcp-sa-aiplatform.iam.gserviceaccount.com',
      }),
    good: (s) =>
      new ProjectIamMember(s, 'Grant', {
        project: PROJECT,
        role: 'roles/artifactregistry.serviceAgent',
        member: 'serviceAccount:service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com',
      }),
  },
  {
    rule: 'CKV_GCP_42',
    name: 'admin role for the platform service account',
    path: 'Grant',
    bad: (s) => new ProjectIamMember(s, 'Grant', { project: PROJECT, role: 'roles/storage.admin', member: sa(s).member }),
    good: (s) => new ProjectIamMember(s, 'Grant', { project: PROJECT, role: 'roles/storage.admin', member: 'group:admins@contoso.com' }),
  },
  {
    rule: 'CKV_GCP_42',
    name: 'editor for a service account written out',
    path: 'Grant',
    bad: (s) => new ProjectIamMember(s, 'Grant', { project: PROJECT, role: 'roles/editor', member: 'serviceAccount:ci@contoso-mlops-dev.iam.gserviceaccount.com' }),
    good: (s) => new ProjectIamMember(s, 'Grant', { project: PROJECT, role: 'roles/aiplatform.user', member: 'serviceAccount:ci@contoso-mlops-dev.iam.gserviceaccount.com' }),
  },
  {
    rule: 'CKV_GCP_125',
    name: 'GitHub provider without a condition',
    path: 'GitHub',
    bad: (s) => githubProvider(s, undefined),
    good: (s) => githubProvider(s, "assertion.repository == 'contoso/mlops' && assertion.ref == 'refs/heads/main'"),
  },
  {
    rule: 'CKV_GCP_125',
    name: 'condition on the owner only',
    path: 'GitHub',
    bad: (s) => githubProvider(s, "assertion.repository_owner == 'contoso'"),
    good: (s) => githubProvider(s, 'assertion.sub == "repo:contoso/mlops:environment:prod"'),
  },
  {
    rule: 'CKV_GCP_125',
    name: 'one alternative open',
    path: 'GitHub',
    bad: (s) => githubProvider(s, "assertion.repository == 'contoso/mlops' || assertion.repository_owner == 'contoso'"),
    good: (s) => githubProvider(s, "assertion.repository == 'contoso/mlops' && (assertion.ref == 'refs/heads/main' || assertion.environment == 'prod')"),
  },
  {
    rule: 'CKV_GCP_125',
    name: 'alternatives at the top level, one of them open',
    path: 'GitHub',
    bad: (s) => githubProvider(s, "(assertion.repository == 'contoso/mlops' && assertion.ref == 'refs/heads/main') || (assertion.ref == 'refs/heads/main')"),
    good: (s) => githubProvider(s, "(assertion.repository == 'contoso/mlops' && assertion.ref == 'refs/heads/main') || assertion.repository == 'contoso/platform'"),
  },
  {
    rule: 'CKV_GCP_125',
    name: 'google.subject not mapped',
    path: 'GitHub',
    bad: (s) => githubProvider(s, "assertion.repository == 'contoso/mlops'", { 'attribute.repository': 'assertion.repository' }),
    good: (s) => githubProvider(s, "assertion.repository == 'contoso/mlops'"),
  },
  // Network
  {
    rule: 'MLOPS_GCP_OPEN_INGRESS',
    name: 'firewall open to the internet',
    path: 'Firewall',
    bad: (s) => new ComputeFirewall(s, 'Firewall', { name: 'https', network: 'default', sourceRanges: ['0.0.0.0/0'], allow: [{ protocol: 'tcp', ports: ['443'] }] }),
    good: (s) => new ComputeFirewall(s, 'Firewall', { name: 'https', network: 'default', sourceRanges: ['203.0.113.0/24'], allow: [{ protocol: 'tcp', ports: ['443'] }] }),
  },
];

describe.each(CASES)('$rule: $name', (c) => {
  test('the bad construct is caught with the rule id on its path', () => {
    const report = run(c.bad, c.options);
    const hits = report.violations.filter((v) => v.ruleId === c.rule);
    expect(hits.length).toBeGreaterThan(0);
    expect([...new Set(hits.map((v) => v.path))]).toEqual([`${STACK}/${c.path}`]);
    expect(hits[0]!.found.length).toBeGreaterThan(10);
  });

  test('the good setting passes', () => {
    const report = run(c.good, c.options);
    expect(report.violations.filter((v) => v.ruleId === c.rule)).toEqual([]);
  });
});

test('every GCP rule has a bad and a good case', () => {
  const rules = POLICY_RULES.filter((r) => r.cloud === 'gcp').map((r) => r.id);
  expect([...new Set(CASES.map((c) => c.rule))].sort()).toEqual([...rules].sort());
});

test('a key without deletion protection passes when the config lets data be deleted', () => {
  const report = run((s) => cryptoKey(s, { lifecycle: undefined }), { allowDataDeletion: true });
  expect(report.violations).toEqual([]);
  expect(report.rulesRelaxed).toEqual([{ ruleId: 'CKV_GCP_82', by: 'allowDataDeletion' }]);
});

test('GIVEN firewalled mode WHEN the endpoint is the public IAM-authenticated one THEN CKV2_GCP_33 passes (no PSC without a network)', () => {
  const report = run((s) => new VertexAiEndpoint(s, 'Endpoint', { name: 'scoring', displayName: 'scoring', location: 'europe-west4', encryptionSpec: { kmsKeyName: KMS } }), {
    networkMode: 'firewalled',
  });
  expect(report.violations.filter((v) => v.ruleId === 'CKV2_GCP_33')).toEqual([]);
});

test('a public Vertex endpoint and an open firewall pass when the config allows public network access', () => {
  const report = run(
    (s) => {
      new VertexAiEndpoint(s, 'Endpoint', { name: 'scoring', displayName: 'scoring', location: 'europe-west4', encryptionSpec: { kmsKeyName: KMS } });
      new ComputeFirewall(s, 'Firewall', { name: 'https', network: 'default', sourceRanges: ['0.0.0.0/0'], allow: [{ protocol: 'tcp', ports: ['443'] }] });
    },
    { networkMode: 'public' },
  );
  expect(report.violations).toEqual([]);
});
