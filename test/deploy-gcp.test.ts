import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { IMlPlatform } from '../lib/core/contracts';
import { MlopsValidationError } from '../lib/core/errors';
import { ComputeSize } from '../lib/core/sizes';
import { IRuntimeImageRef, ScoringEndpointProps, TrainingJobProps } from '../lib/deploy/contracts';
import { GcpScoringEndpoint, GcpTrainingJob, numericEndpointId } from '../lib/deploy/gcp';
import { ScoringEndpoint } from '../lib/deploy/scoring-endpoint';
import { TrainingJob } from '../lib/deploy/training-job';
import { GcpMlPlatform, GcpMlPlatformProps } from '../lib/gcp';
import { GcpEndpointTargetSchema, GcpTrainingTargetSchema } from '../release/src/gcp/target';
import { parseSpec, parseTarget } from '../release/src/spec';
import { SynthJson, onlyResource, resourcesOf, synthStack } from './util';

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const BASE: GcpMlPlatformProps = { naming: NAMING, projectId: 'contoso-ml-dev', region: 'europe-west4' };
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const IMAGE: IRuntimeImageRef = {
  imageUriByDigest: `europe-west4-docker.pkg.dev/contoso-ml-dev/contoso-mlops-dev-runtime/runtime@${DIGEST}`,
  imageDigest: DIGEST,
  contentHash: '0123456789abcdef',
};
const RELEASE = 'contoso-mlops-dev-bike-demand';
const JOB: Omit<TrainingJobProps, 'platform'> = {
  image: IMAGE,
  name: RELEASE,
  modelName: 'bike-demand',
  data: 'datasets/bike/hour.csv',
  hyperparameters: { target: 'cnt', model: 'gbdt', max_iter: 200, early_stopping: true },
};

/** The logical id of the one resource of `type` that `match` picks. */
function idOf(json: SynthJson, type: string, match: (r: Record<string, any>) => boolean): string {
  const ids = Object.entries(json.resource?.[type] ?? {})
    .filter(([, r]) => match(r))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one matching ${type}, found ${ids.length}`);
  return ids[0]!;
}

/** Terraform references to the platform's service account, key, bucket and Vertex AI API. */
function refs(json: SynthJson): { SA: string; MEMBER: string; KEY: string; BUCKET: string; API: string } {
  const sa = idOf(json, 'google_service_account', (r) => r.account_id === 'contoso-mlops-dev-ml');
  return {
    SA: `\${google_service_account.${sa}.email}`,
    MEMBER: `\${google_service_account.${sa}.member}`,
    KEY: `\${google_kms_crypto_key.${idOf(json, 'google_kms_crypto_key', (r) => r.name === 'contoso-mlops-dev-key')}.id}`,
    BUCKET: `\${google_storage_bucket.${idOf(json, 'google_storage_bucket', (r) => r.name === 'contoso-mlops-dev-artifacts')}.name}`,
    API: `google_project_service.${idOf(json, 'google_project_service', (r) => r.service === 'aiplatform.googleapis.com')}`,
  };
}

interface Built {
  platform: GcpMlPlatform;
  job: GcpTrainingJob;
  endpoint?: GcpScoringEndpoint;
}

function build(stack: Construct, o: { platform?: Partial<GcpMlPlatformProps>; job?: Partial<TrainingJobProps>; endpoint?: Partial<ScoringEndpointProps> | false } = {}): Built {
  const platform = new GcpMlPlatform(stack, 'Platform', { ...BASE, ...o.platform });
  const job = new GcpTrainingJob(stack, 'Job', { platform, ...JOB, ...o.job });
  const endpoint = o.endpoint === false ? undefined : new GcpScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job, ...o.endpoint });
  return { platform, job, endpoint };
}

function synth(o: Parameters<typeof build>[1] = {}): { json: SynthJson; built: Built } {
  let built: Built | undefined;
  const json = synthStack((stack: TerraformStack) => {
    built = build(stack, o);
    new TerraformOutput(stack, 'endpoint_url', { value: built.endpoint?.endpointUrl ?? '' });
    new TerraformOutput(stack, 'endpoint_id', { value: built.endpoint?.endpointId ?? '' });
  });
  return { json, built: built! };
}

/** The terraform_data release steps, keyed by their spec's kind. */
function steps(json: SynthJson): Record<'training' | 'endpoint', Record<string, any>> {
  const all = Object.entries(json.resource?.terraform_data ?? {});
  const byKind: Record<string, Record<string, any>> = {};
  for (const [id, r] of all) byKind[(r as any).input.kind] = { id, ...(r as any) };
  return byKind as Record<'training' | 'endpoint', Record<string, any>>;
}

/** Every `*_iam_member` resource whose member is the platform service account. */
function grantsToIdentity(json: SynthJson): string[] {
  const { MEMBER } = refs(json);
  const out: string[] = [];
  for (const [type, byId] of Object.entries(json.resource ?? {})) {
    if (!type.endsWith('_iam_member')) continue;
    for (const r of Object.values(byId) as any[]) if (r.member === MEMBER) out.push(`${type} ${r.role}`);
  }
  return out.sort();
}

function validationError(o: Parameters<typeof build>[1]): MlopsValidationError {
  try {
    synth(o);
  } catch (e) {
    if (e instanceof MlopsValidationError) return e;
    throw e;
  }
  throw new Error('expected a MlopsValidationError, but nothing was thrown');
}

/** Replaces Terraform references with values of the shape they resolve to, as at apply time. */
function resolved(json: SynthJson, spec: unknown): unknown {
  const { SA, KEY, BUCKET } = refs(json);
  return JSON.parse(
    JSON.stringify(spec)
      .split(SA)
      .join('contoso-mlops-dev-ml@contoso-ml-dev.iam.gserviceaccount.com')
      .split(KEY)
      .join('projects/contoso-ml-dev/locations/europe-west4/keyRings/contoso-mlops-dev-keys/cryptoKeys/contoso-mlops-dev-key')
      .split(BUCKET)
      .join('contoso-mlops-dev-artifacts')
      .replace(/\$\{google_vertex_ai_endpoint\.[^}]+\.id\}/g, 'projects/contoso-ml-dev/locations/europe-west4/endpoints/1234567890'),
  );
}

describe('GcpTrainingJob', () => {
  test('writes the training release step: spec, triggers, create-before-destroy and the apply/destroy commands', () => {
    const { json, built } = synth({ endpoint: false });
    const { SA, KEY, BUCKET } = refs(json);
    const step = onlyResource(json, 'terraform_data');
    const rev = built.job.revision;
    expect(rev).toMatch(/^[0-9a-f]{12}$/);
    expect(step.input).toEqual({
      specVersion: 1,
      kind: 'training',
      cloud: 'gcp',
      name: RELEASE,
      modelName: 'bike-demand',
      revision: rev,
      image: IMAGE.imageUriByDigest,
      training: {
        jobName: `${RELEASE}-${rev}`,
        dataUri: `gs://${BUCKET}/datasets/bike/hour.csv`,
        outputUri: `gs://${BUCKET}/releases/${RELEASE}/${rev}`,
        hyperparameters: { target: 'cnt', model: 'gbdt', max_iter: '200', early_stopping: 'true' },
        instanceType: 'n1-standard-4',
        instanceCount: 1,
        maxRuntimeSeconds: 7200,
      },
      gcp: {
        project: 'contoso-ml-dev',
        region: 'europe-west4',
        serviceAccount: SA,
        kmsKeyName: KEY,
        modelId: RELEASE,
        modelUri: `gs://${BUCKET}/releases/${RELEASE}/${rev}/model`,
        schedulingStrategy: 'STANDARD',
      },
    });
    expect(step.triggers_replace).toEqual({ image_digest: DIGEST, revision: rev });
    expect(step.lifecycle).toEqual({ create_before_destroy: true });
    expect(step.provisioner).toEqual([
      {
        'local-exec': {
          command: expect.stringMatching(/^node "(\.\.\/)+.*release\/bin\/mlops-release\.js" apply --spec-env MLOPS_RELEASE_SPEC$/),
          environment: { MLOPS_RELEASE_SPEC: '${jsonencode(self.input)}', MLOPS_RELEASE_INSTANCE: '${self.id}' },
        },
      },
      {
        'local-exec': {
          command: expect.stringMatching(/^node "(\.\.\/)+.*release\/bin\/mlops-release\.js" destroy --spec-env MLOPS_RELEASE_SPEC$/),
          environment: { MLOPS_RELEASE_SPEC: '${jsonencode(self.output)}', MLOPS_RELEASE_INSTANCE: '${self.id}' },
          when: 'destroy',
        },
      },
    ]);
    expect(built.job.jobName).toBe(`${RELEASE}-${rev}`);
    expect(built.job.modelVersion).toBe(rev);
    expect(built.job.modelUri).toBe(`gs://${built.platform.artifactStore.storeName}/releases/${RELEASE}/${rev}/model`);
    expect(built.job.modelResourceName).toBe(`projects/contoso-ml-dev/locations/europe-west4/models/${RELEASE}`);
  });

  test('the step waits for the Vertex AI API, the service agent key grant and every grant of the service account', () => {
    const { json } = synth({ endpoint: false });
    const { MEMBER, API } = refs(json);
    const step = onlyResource(json, 'terraform_data');
    const agent = Object.entries(json.resource!.google_kms_crypto_key_iam_member!).find(([, r]) => String(r.member).includes('gcp-sa-aiplatform'))![0];
    const grantIds = Object.entries(json.resource ?? {}).flatMap(([type, byId]) =>
      type.endsWith('_iam_member')
        ? Object.entries(byId)
            .filter(([, r]) => r.member === MEMBER)
            .map(([id]) => `${type}.${id}`)
        : [],
    );
    expect(grantIds).toHaveLength(6);
    expect([...step.depends_on].sort()).toEqual([API, `google_kms_crypto_key_iam_member.${agent}`, ...grantIds].sort());
  });

  test('its spec is one the release command accepts once Terraform has resolved the references', () => {
    const { json } = synth({ endpoint: false });
    const spec = parseSpec(resolved(json, onlyResource(json, 'terraform_data').input));
    expect(parseTarget(GcpTrainingTargetSchema, spec).modelUri).toBe(`${spec.training!.outputUri}/model`);
  });

  test('the revision is deterministic and follows the image content, data, settings and size', () => {
    const base = synth({ endpoint: false }).built.job.revision;
    expect(synth({ endpoint: false }).built.job.revision).toBe(base);
    expect(synth({ endpoint: false, job: { image: { ...IMAGE, contentHash: 'fedcba9876543210' } } }).built.job.revision).not.toBe(base);
    expect(synth({ endpoint: false, job: { data: 'datasets/bike/day.csv' } }).built.job.revision).not.toBe(base);
    expect(synth({ endpoint: false, job: { dataVersion: 'c0ffee' } }).built.job.revision).not.toBe(base);
    expect(synth({ endpoint: false, job: { hyperparameters: { target: 'cnt', model: 'gbdt', max_iter: 201, early_stopping: true } } }).built.job.revision).not.toBe(base);
    expect(synth({ endpoint: false, job: { size: ComputeSize.medium() } }).built.job.revision).not.toBe(base);
    // The digest is only known after the push: a trigger, not part of the revision.
    expect(synth({ endpoint: false, job: { image: { ...IMAGE, imageDigest: `sha256:${'cd'.repeat(32)}` } } }).built.job.revision).toBe(base);
  });

  test('a GPU size and spot training reach the spec as the accelerator and scheduling strategy', () => {
    const { json } = synth({ endpoint: false, platform: { training: { lowPriority: true } }, job: { size: ComputeSize.gpu() } });
    const input = onlyResource(json, 'terraform_data').input;
    expect(input.training.instanceType).toBe('n1-standard-4');
    expect(input.gcp.accelerator).toEqual({ type: 'NVIDIA_TESLA_T4', count: 1 });
    expect(input.gcp.schedulingStrategy).toBe('SPOT');
  });

  test('the cloud-neutral TrainingJob and ScoringEndpoint build the GCP constructs on a GCP platform', () => {
    let job: TrainingJob | undefined;
    let endpoint: ScoringEndpoint | undefined;
    synthStack((stack) => {
      const platform = new GcpMlPlatform(stack, 'Platform', BASE);
      job = new TrainingJob(stack, 'Job', { platform, ...JOB });
      endpoint = new ScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job });
    });
    expect(job!.resource).toBeInstanceOf(GcpTrainingJob);
    expect(endpoint!.resource).toBeInstanceOf(GcpScoringEndpoint);
    expect(endpoint!.modelVersion).toBe(job!.revision);
  });
});

describe('GcpScoringEndpoint', () => {
  test('creates a CMEK Vertex AI endpoint with a stable numeric id after the API and the service agent key grant', () => {
    const { json, built } = synth({ platform: { network: { mode: 'private' } } });
    const { KEY, API } = refs(json);
    const endpoint = onlyResource(json, 'google_vertex_ai_endpoint');
    const agent = Object.entries(json.resource!.google_kms_crypto_key_iam_member!).find(([, r]) => String(r.member).includes('gcp-sa-aiplatform'))![0];
    expect(endpoint).toEqual({
      project: 'contoso-ml-dev',
      location: 'europe-west4',
      name: numericEndpointId('contoso-ml-dev', 'europe-west4', RELEASE),
      display_name: RELEASE,
      description: `Scoring endpoint of release ${RELEASE}; managed by cdktf-mlops.`,
      labels: { mlops_release: RELEASE, mlops_model: 'bike-demand', 'managed-by': 'cdktf-mlops' },
      encryption_spec: { kms_key_name: KEY },
      private_service_connect_config: { enable_private_service_connect: true, project_allowlist: ['contoso-ml-dev'] },
      depends_on: [API, `google_kms_crypto_key_iam_member.${agent}`],
    });
    expect(endpoint.name).toMatch(/^[1-9][0-9]{9}$/);
    expect(built.endpoint!.endpointNumericId).toBe(endpoint.name);
    expect(numericEndpointId('contoso-ml-dev', 'europe-west4', `${RELEASE}-b`)).not.toBe(endpoint.name);
  });

  test.each(['public', 'firewalled'] as const)(
    'GIVEN network mode %s WHEN synthesized THEN the endpoint is the public, IAM-authenticated one (no PSC without a network) and endpoint_url is the regional :predict URL',
    (mode) => {
      const { json, built } = synth({ platform: { network: { mode } } });
      const open = onlyResource(json, 'google_vertex_ai_endpoint');
      expect(open.private_service_connect_config).toBeUndefined();
      expect(open.network).toBeUndefined();
      expect(resourcesOf(json, 'google_compute_address')).toEqual([]);
      expect(built.endpoint!.endpointUrl).toMatch(/^https:\/\/europe-west4-aiplatform\.googleapis\.com\/v1\/\$\{TfToken/);
      expect(steps(json).endpoint.input.gcp.psc).toBeUndefined();
    },
  );

  test('GIVEN private mode WHEN synthesized THEN the endpoint has PSC, a reserved internal address in the workload subnet, the release step gets the forwarding rule to keep, and endpoint_url is the private address', () => {
    const { json, built } = synth({ platform: { network: { mode: 'private' } } });
    const endpoint = onlyResource(json, 'google_vertex_ai_endpoint');
    expect(endpoint.private_service_connect_config).toEqual({ enable_private_service_connect: true, project_allowlist: ['contoso-ml-dev'] });
    const [addressId, address] = Object.entries(json.resource!.google_compute_address!)[0]!;
    expect(address).toMatchObject({ address_type: 'INTERNAL', region: 'europe-west4', name: `${RELEASE}-psc` });
    expect(address.subnetwork).toMatch(/^\$\{google_compute_subnetwork\.Platform_Network_Workloads_[A-F0-9]+\.id\}$/);
    const ip = `\${google_compute_address.${addressId}.address}`;
    expect(steps(json).endpoint.input.gcp.psc).toEqual({
      network: expect.stringMatching(/^\$\{google_compute_network\.Platform_Network_[A-F0-9]+\.id\}$/),
      address: ip,
      forwardingRule: `${RELEASE}-psc`,
    });
    expect(json.output!.endpoint_url.value).toBe(`https://${ip}/v1/\${google_vertex_ai_endpoint.${Object.keys(json.resource!.google_vertex_ai_endpoint!)[0]}.id}:predict`);
    expect(built.endpoint!.forwardingRuleName).toBe(`${RELEASE}-psc`);
    // The training job joins the VPC through the network attachment, after it exists.
    const attachment = Object.keys(json.resource!.google_compute_network_attachment!)[0];
    expect(steps(json).training.input.gcp.networkAttachment).toBe(`\${google_compute_network_attachment.${attachment}.id}`);
    expect(steps(json).training.depends_on).toContain(`google_compute_network_attachment.${attachment}`);
  });

  test('writes the endpoint release step after the training step and the endpoint, and outputs the endpoint', () => {
    const { json, built } = synth();
    const { SA, KEY } = refs(json);
    const { training, endpoint } = steps(json);
    const endpointRef = Object.keys(json.resource!.google_vertex_ai_endpoint!)[0];
    const rev = built.endpoint!.revision;
    expect(endpoint.input).toEqual({
      specVersion: 1,
      kind: 'endpoint',
      cloud: 'gcp',
      name: RELEASE,
      modelName: 'bike-demand',
      revision: rev,
      image: IMAGE.imageUriByDigest,
      endpoint: {
        name: RELEASE,
        instanceType: 'n1-standard-4',
        minInstances: 1,
        maxInstances: 2,
        rollout: { strategy: 'canary', canaryPercent: 10, stepPercent: 25, bakeMinutes: 10 },
        alarms: { errorRatePercent: 5, latencyP95Ms: 1000 },
      },
      gcp: {
        project: 'contoso-ml-dev',
        region: 'europe-west4',
        serviceAccount: SA,
        kmsKeyName: KEY,
        endpoint: `\${google_vertex_ai_endpoint.${endpointRef}.id}`,
        modelId: RELEASE,
        modelRevision: built.job.revision,
      },
    });
    expect(endpoint.triggers_replace).toEqual({ image_digest: DIGEST, revision: rev });
    expect(endpoint.lifecycle).toEqual({ create_before_destroy: true });
    expect(endpoint.depends_on).toEqual(expect.arrayContaining([`terraform_data.${training.id}`, `google_vertex_ai_endpoint.${endpointRef}`]));
    expect(json.output).toEqual({
      endpoint_url: { value: `https://europe-west4-aiplatform.googleapis.com/v1/\${google_vertex_ai_endpoint.${endpointRef}.id}:predict` },
      endpoint_id: { value: `\${google_vertex_ai_endpoint.${endpointRef}.id}` },
    });
    expect(built.endpoint!.endpointName).toBe(RELEASE);
    expect(built.endpoint!.modelVersion).toBe(built.job.revision);
    const spec = parseSpec(resolved(json, endpoint.input));
    expect(parseTarget(GcpEndpointTargetSchema, spec).modelRevision).toBe(built.job.revision);
  });

  test('the endpoint revision follows the served version and the deployment, not the rollout policy', () => {
    const base = synth().built.endpoint!.revision;
    expect(synth({ endpoint: { rollout: { strategy: 'linear', stepPercent: 20, bakeMinutes: 3 } } }).built.endpoint!.revision).toBe(base);
    expect(synth({ endpoint: { alarms: { errorRatePercent: 1 } } }).built.endpoint!.revision).toBe(base);
    expect(synth({ endpoint: { maxInstances: 4 } }).built.endpoint!.revision).not.toBe(base);
    expect(synth({ endpoint: { size: ComputeSize.large() } }).built.endpoint!.revision).not.toBe(base);
    expect(synth({ job: { hyperparameters: { target: 'cnt' } } }).built.endpoint!.revision).not.toBe(base);
  });

  test('a GPU endpoint carries its accelerator; rollout and alarms pass through', () => {
    const { json } = synth({
      endpoint: {
        size: ComputeSize.gpu({ gcp: { instanceType: 'g2-standard-8', accelerator: { type: 'NVIDIA_L4', count: 1 } } }),
        minInstances: 2,
        maxInstances: 5,
        rollout: { strategy: 'linear', stepPercent: 20 },
        alarms: { latencyP95Ms: 250 },
      },
    });
    const input = steps(json).endpoint.input;
    expect(input.endpoint).toMatchObject({
      instanceType: 'g2-standard-8',
      minInstances: 2,
      maxInstances: 5,
      rollout: { strategy: 'linear', canaryPercent: 10, stepPercent: 20, bakeMinutes: 10 },
      alarms: { errorRatePercent: 5, latencyP95Ms: 250 },
    });
    expect(input.gcp.accelerator).toEqual({ type: 'NVIDIA_L4', count: 1 });
  });
});

describe('grants of the service account', () => {
  const EXPECTED = [
    'google_artifact_registry_repository_iam_member roles/artifactregistry.reader',
    'google_kms_crypto_key_iam_member roles/cloudkms.cryptoKeyEncrypterDecrypter',
    'google_project_iam_member roles/aiplatform.user',
    'google_project_iam_member roles/logging.logWriter',
    'google_project_iam_member roles/monitoring.metricWriter',
    'google_storage_bucket_iam_member roles/storage.objectUser',
  ];

  test('read training data and write models (bucket + key), pull the image, run Vertex AI — exactly these', () => {
    expect(grantsToIdentity(synth().json)).toEqual(EXPECTED);
  });

  test('the job and endpoint add no IAM member to what the platform has (nothing duplicated or widened)', () => {
    const platformOnly = synthStack((stack) => new GcpMlPlatform(stack, 'Platform', BASE));
    const count = (json: SynthJson): number =>
      Object.entries(json.resource ?? {})
        .filter(([t]) => t.endsWith('_iam_member'))
        .reduce((n, [, byId]) => n + Object.keys(byId).length, 0);
    expect(count(synth().json)).toBe(count(platformOnly));
    expect(grantsToIdentity(platformOnly)).toEqual(EXPECTED);
    expect(
      resourcesOf(synth().json, 'google_project_iam_member')
        .filter((r) => !/@gcp-sa-/.test(r.member))
        .map((r) => r.role)
        .sort(),
    ).toEqual(['roles/aiplatform.user', 'roles/logging.logWriter', 'roles/monitoring.metricWriter']);
  });
});

describe('validation', () => {
  test('a platform of another cloud is refused, naming what is needed', () => {
    const e = validationError({ job: { platform: { cloud: 'aws' } as unknown as IMlPlatform }, endpoint: false });
    expect(e.issues.map((i) => i.message)).toEqual([expect.stringMatching(/^The 'platform' prop of GcpTrainingJob must be a GcpMlPlatform .*Got "a platform for aws"\.$/)]);
  });

  test('every bad training prop is reported at once', () => {
    const e = validationError({
      endpoint: false,
      job: {
        name: `${'x'.repeat(51)}`,
        modelName: 'Bike Demand',
        data: '../secrets.csv',
        hyperparameters: { data: 'gs://elsewhere/x.csv', '1bad': 1, ok: Number.NaN },
        instanceCount: 2,
        maxRuntimeMinutes: 0,
        size: 'large' as unknown as ComputeSize,
      },
    });
    const props = e.issues.map((i) => /The '([^']+)' prop/.exec(i.message)![1]);
    expect(props).toEqual(['name', 'modelName', 'data', 'hyperparameters.data', 'hyperparameters.1bad', 'hyperparameters.ok', 'instanceCount', 'maxRuntimeMinutes', 'size']);
    expect(e.issues.find((i) => i.message.includes("'instanceCount'"))!.message).toContain('must be 1 on Vertex AI');
    expect(e.issues.find((i) => i.message.includes("'hyperparameters.data'"))!.message).toContain("the job passes --data from the 'data' prop");
    expect(e.issues[0]!.path).toBe('test/Job');
  });

  test('every bad endpoint prop is reported at once', () => {
    const e = validationError({
      endpoint: {
        name: 'Endpoint!',
        minInstances: 3,
        maxInstances: 2,
        rollout: { strategy: 'blue-green' as 'canary', canaryPercent: 80, bakeMinutes: -1 },
        alarms: { errorRatePercent: 0, latencyP95Ms: 1.5 },
      },
    });
    const props = e.issues.map((i) => /The '([^']+)' prop/.exec(i.message)![1]);
    expect(props).toEqual(['name', 'maxInstances', 'rollout.strategy', 'rollout.canaryPercent', 'rollout.bakeMinutes', 'alarms.errorRatePercent', 'alarms.latencyP95Ms']);
  });

  test('an endpoint needs a GCP training job of the same platform', () => {
    const fake = { node: { path: 'test/OtherJob' }, cloud: 'gcp' } as unknown as TrainingJobProps & { node: unknown };
    const e = validationError({ endpoint: { job: fake as never } });
    expect(e.issues[0]!.message).toMatch(/^The 'job' prop of GcpScoringEndpoint must be a GcpTrainingJob, or a TrainingJob on a GcpMlPlatform.*Got "test\/OtherJob"\.$/);
    let issues: readonly { message: string }[] = [];
    try {
      synthStack((stack) => {
        const a = new GcpMlPlatform(stack, 'A', BASE);
        const b = new GcpMlPlatform(stack, 'B', { ...BASE, naming: { ...NAMING, environment: 'prod' } });
        const job = new GcpTrainingJob(stack, 'Job', { platform: a, ...JOB });
        new GcpScoringEndpoint(stack, 'Endpoint', { platform: b, image: IMAGE, job });
      });
    } catch (err) {
      issues = (err as MlopsValidationError).issues;
    }
    expect(issues.map((i) => i.message)).toEqual([expect.stringContaining("The 'job' prop of GcpScoringEndpoint must be a job on the same platform (test/B)")]);
  });
});
