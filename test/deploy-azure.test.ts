import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AZURE_FORBIDDEN_WORKLOAD_ROLES, AzureMlPlatform, AzureMlPlatformProps } from '../lib/azure';
import { IMlPlatform } from '../lib/core/contracts';
import { MlopsValidationError } from '../lib/core/errors';
import { ComputeSize } from '../lib/core/sizes';
import { TrainingJobProps } from '../lib/deploy/contracts';
import { releaseRevision } from '../lib/deploy/revision';
import { AzureTargetSchema, INFERENCE_ROUTES, TAGS } from '../release/src/azure/target';
import { parseSpec } from '../release/src/spec';
import {
  AZURE_ARTIFACTS_DATASTORE,
  AZURE_INFERENCE_ROUTES,
  AZURE_RELEASE_TAGS,
  AZURE_ONLINE_ENDPOINT_SKUS,
  AzureScoringEndpoint,
  AzureScoringEndpointProps,
  AzureTrainingJob,
} from '../lib/deploy/azure';
import { SynthJson, onlyResource, resourcesOf, synthStack, validationError } from './util';

const NAMING = { company: 'contoso', project: 'mlops', environment: 'dev' };
const TENANT = '11111111-2222-3333-4444-555555555555';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const IMAGE = { imageUriByDigest: `contosomlopsdevacr.azurecr.io/mlops-runtime@${DIGEST}`, imageDigest: DIGEST, contentHash: '0123456789abcdef' };
const RELEASE = 'contoso-mlops-dev-bike-demand';

type Build = { platform: AzureMlPlatform; job: AzureTrainingJob; endpoint?: AzureScoringEndpoint };

function platformOf(stack: TerraformStack, extra: Partial<AzureMlPlatformProps> = {}): AzureMlPlatform {
  return new AzureMlPlatform(stack, 'Platform', { naming: NAMING, region: 'westeurope', tenantId: TENANT, ...extra });
}

function jobProps(platform: IMlPlatform, extra: Partial<TrainingJobProps> = {}): TrainingJobProps {
  return {
    platform,
    image: IMAGE,
    name: RELEASE,
    modelName: 'bike-demand',
    data: 'datasets/bike/hour.csv',
    hyperparameters: { target: 'cnt', max_iter: 200, early_stopping: true },
    ...extra,
  };
}

function build(opts: { platform?: Partial<AzureMlPlatformProps>; job?: Partial<TrainingJobProps>; endpoint?: Partial<AzureScoringEndpointProps> | false } = {}): {
  json: SynthJson;
  built: Build;
} {
  let built!: Build;
  const json = synthStack((stack) => {
    const platform = platformOf(stack, opts.platform);
    const job = new AzureTrainingJob(stack, 'Job', jobProps(platform, opts.job));
    const endpoint = opts.endpoint === false ? undefined : new AzureScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job, ...(opts.endpoint ?? {}) });
    built = { platform, job, endpoint };
  });
  return { json, built };
}

/** The release steps (terraform_data) by construct id. */
function stepsOf(json: SynthJson): { job: Record<string, any>; endpoint: Record<string, any> } {
  const all = json.resource?.terraform_data ?? {};
  const find = (prefix: string) => Object.entries(all).find(([k]) => k.startsWith(prefix))?.[1];
  return { job: find('Job_Release_')!, endpoint: find('Endpoint_Release_')! };
}

/** `[role, scope resource type]` of every assignment of the workload identity. */
function identityGrants(json: SynthJson): string[] {
  return resourcesOf(json, 'azurerm_role_assignment')
    .filter((a) => String(a.principal_id).includes('azurerm_user_assigned_identity.Platform_Identity_'))
    .map((a) => `${a.role_definition_name ?? 'custom'} @ ${String(a.scope).match(/\$\{(\w+)\./)?.[1]}`)
    .sort();
}

/** The validation error a build throws. */
function errorOf(fn: () => unknown): MlopsValidationError {
  return validationError(fn);
}

describe('AzureTrainingJob', () => {
  const { json, built } = build();
  const { job: step, endpoint: endpointStep } = stepsOf(json);
  const revision = built.job.revision;

  test('GIVEN default props WHEN synthesized THEN the release step holds the training spec with the Azure target', () => {
    expect(revision).toMatch(/^[0-9a-f]{12}$/);
    expect(step.input).toEqual({
      specVersion: 1,
      kind: 'training',
      cloud: 'azure',
      name: RELEASE,
      modelName: 'bike-demand',
      revision,
      image: IMAGE.imageUriByDigest,
      training: {
        jobName: `${RELEASE}-${revision}`,
        dataUri: expect.stringMatching(/^\$\{azurerm_storage_account\.\w+\.primary_blob_endpoint\}artifacts\/datasets\/bike\/hour\.csv$/),
        outputUri: expect.stringMatching(new RegExp(`^\\$\\{azurerm_storage_account\\.\\w+\\.primary_blob_endpoint\\}artifacts/models/bike-demand/${revision}/$`)),
        hyperparameters: { target: 'cnt', max_iter: '200', early_stopping: 'true' },
        instanceType: 'Standard_DS3_v2',
        instanceCount: 1,
        maxRuntimeSeconds: 7200,
      },
      azure: {
        subscriptionId: expect.stringMatching(/^\$\{element\(split\("\/", azurerm_machine_learning_workspace\.\w+\.id\), 2\)\}$/),
        resourceGroup: expect.stringMatching(/^\$\{azurerm_resource_group\.\w+\.name\}$/),
        workspaceName: 'contoso-mlops-dev-mlw',
        location: 'westeurope',
        identity: {
          resourceId: expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.Platform_Identity_\w+\.id\}$/),
          clientId: expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.Platform_Identity_\w+\.client_id\}$/),
        },
        training: {
          computeId: expect.stringMatching(/^\$\{azurerm_machine_learning_compute_cluster\.\w+\.id\}$/),
          datastore: expect.stringMatching(/^\$\{azurerm_machine_learning_datastore_blobstorage\.\w+\.name\}$/),
          dataPath: 'datasets/bike/hour.csv',
          dataType: 'uri_file',
          modelPath: `models/bike-demand/${revision}`,
        },
        // What azurerm cannot set: identity-based system datastores (shared keys are off on the account).
        workspace: { systemDatastoresAuthMode: 'identity' },
      },
    });
  });

  test('GIVEN default props WHEN synthesized THEN the step re-runs on a new image digest, revision or workspace, creates before it destroys, and runs mlops release apply/destroy', () => {
    expect(step.triggers_replace).toEqual({ image_digest: DIGEST, revision, workspace_id: expect.stringMatching(/^\$\{azurerm_machine_learning_workspace\.\w+\.id\}$/) });
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
  });

  test('GIVEN default props WHEN synthesized THEN an identity-based datastore over the artifact container carries data in and models out', () => {
    const ds = onlyResource(json, 'azurerm_machine_learning_datastore_blobstorage');
    expect(ds.name).toBe(AZURE_ARTIFACTS_DATASTORE);
    expect(ds.storage_container_id).toMatch(/^\$\{azurerm_storage_container\.\w+\.id\}$/);
    expect(ds.workspace_id).toMatch(/^\$\{azurerm_machine_learning_workspace\.\w+\.id\}$/);
    expect(ds.service_data_auth_identity).toBe('None');
    expect(ds.account_key).toBeUndefined();
    expect(ds.shared_access_signature).toBeUndefined();
  });

  test('GIVEN a job and an endpoint WHEN synthesized THEN the workload identity has exactly the platform grants: read data and write models in the one container, pull, use the workspace, the key', () => {
    const platformOnly = synthStack((stack) => void platformOf(stack));
    expect(identityGrants(json)).toEqual(identityGrants(platformOnly));
    expect(identityGrants(json)).toEqual([
      'AcrPull @ azurerm_container_registry',
      'AzureML Data Scientist @ azurerm_machine_learning_workspace',
      'Key Vault Crypto User @ azurerm_key_vault_key',
      'Monitoring Metrics Publisher @ azurerm_application_insights',
      'Storage Blob Data Contributor @ azurerm_storage_account',
      'Storage Blob Data Contributor @ azurerm_storage_container',
    ]);
    for (const grant of identityGrants(json)) expect(AZURE_FORBIDDEN_WORKLOAD_ROLES).not.toContain(grant.split(' @ ')[0]);
    expect(resourcesOf(json, 'azurerm_role_assignment')).toHaveLength(resourcesOf(platformOnly, 'azurerm_role_assignment').length);
  });

  test("GIVEN default props WHEN synthesized THEN the steps wait for the identity's role assignments and the datastore, and the endpoint step for the job's", () => {
    const grants = Object.entries(json.resource!.azurerm_role_assignment!)
      .filter(([, a]) => String(a.principal_id).includes('Platform_Identity_'))
      .map(([k]) => `azurerm_role_assignment.${k}`)
      .sort();
    expect(step.depends_on.filter((d: string) => d.startsWith('azurerm_role_assignment.')).sort()).toEqual(grants);
    expect(step.depends_on).toContainEqual(expect.stringMatching(/^azurerm_machine_learning_datastore_blobstorage\./));
    expect(endpointStep.depends_on[0]).toMatch(/^terraform_data\.Job_Release_/);
    expect(endpointStep.depends_on.filter((d: string) => d.startsWith('azurerm_role_assignment.')).sort()).toEqual(grants);
  });

  test('GIVEN the job WHEN read THEN its outputs name the job, the model and the revision', () => {
    expect(built.job.jobName).toBe(`${RELEASE}-${revision}`);
    expect(built.job.modelVersion).toBe(revision);
    expect(built.job.modelUri).toMatch(new RegExp(`artifacts/models/bike-demand/${revision}/$`));
    expect(built.job.cloud).toBe('azure');
  });

  test('GIVEN the same props WHEN built twice THEN the revision is the same; a changed setting or image content changes it', () => {
    expect(build({ endpoint: false }).built.job.revision).toBe(revision);
    expect(build({ job: { hyperparameters: { target: 'registered' } }, endpoint: false }).built.job.revision).not.toBe(revision);
    expect(build({ job: { image: { ...IMAGE, contentHash: 'fedcba9876543210' } }, endpoint: false }).built.job.revision).not.toBe(revision);
    expect(build({ job: { image: { ...IMAGE, imageDigest: `sha256:${'b'.repeat(64)}` } }, endpoint: false }).built.job.revision).toBe(revision);
  });

  test('GIVEN a folder as data WHEN synthesized THEN the job reads a uri_folder', () => {
    const { json: folder } = build({ job: { data: 'datasets/bike/' }, endpoint: false });
    expect(stepsOf(folder).job.input.azure.training).toMatchObject({ dataPath: 'datasets/bike', dataType: 'uri_folder' });
  });

  test('GIVEN two jobs on one platform WHEN synthesized THEN they share one datastore', () => {
    const two = synthStack((stack) => {
      const platform = platformOf(stack);
      new AzureTrainingJob(stack, 'A', jobProps(platform));
      new AzureTrainingJob(stack, 'B', jobProps(platform, { name: 'contoso-mlops-dev-churn', modelName: 'churn' }));
    });
    expect(resourcesOf(two, 'azurerm_machine_learning_datastore_blobstorage')).toHaveLength(1);
  });

  describe('fails if …', () => {
    const withPlatform = (props: (p: AzureMlPlatform) => Partial<TrainingJobProps>) => () =>
      synthStack((stack) => {
        const platform = platformOf(stack);
        new AzureTrainingJob(stack, 'Job', jobProps(platform, props(platform)));
      });

    test('the platform is not an AzureMlPlatform', () => {
      class OtherPlatform extends Construct {
        public readonly cloud = 'aws' as const;
      }
      const err = errorOf(() => synthStack((stack) => new AzureTrainingJob(stack, 'Job', jobProps(new OtherPlatform(stack, 'P') as unknown as IMlPlatform))));
      expect(err.issues[0]!.code).toBe('MLOPS_CLOUD_MISMATCH');
      expect(err.message).toContain("The 'platform' prop of AzureTrainingJob must be an AzureMlPlatform");
      expect(err.message).toContain('Got "OtherPlatform (cloud aws)"');
    });

    test.each([
      ['name', { name: 'Bike_Demand' }, /'name' prop of AzureTrainingJob must be 2-50 lowercase letters.*Got "Bike_Demand"/],
      ['name', { name: `${'x'.repeat(51)}` }, /'name' prop.*at most 63 characters/],
      ['modelName', { modelName: '9lives' }, /'modelName' prop.*Got "9lives"/],
      ['data', { data: 'datasets/../secrets.csv' }, /'data' prop.*without "\.\.".*Got "datasets\/\.\.\/secrets\.csv"/],
      ['data', { data: '/abs/path.csv' }, /'data' prop.*Got "\/abs\/path\.csv"/],
      ['hyperparameters', { hyperparameters: { 'bad key': 1 } }, /'hyperparameters\.bad key' prop.*setting name/],
      ['hyperparameters', { hyperparameters: { target: '${{inputs.x}}' } }, /'hyperparameters\.target' prop.*without "\$\{\{"/],
      ['hyperparameters', { hyperparameters: { alpha: Number.NaN } }, /'hyperparameters\.alpha' prop.*a finite number/],
      [
        'size',
        { size: ComputeSize.gpu() },
        /'size' prop.*the size of the platform's compute cluster "train-cluster" \(small, Standard_DS3_v2\).*Got "gpu \(Standard_NC4as_T4_v3\)"/,
      ],
      ['instanceCount', { instanceCount: 5 }, /'instanceCount' prop.*from 1 to 4 \(the compute cluster "train-cluster" has at most 4 nodes\)\. Got 5/],
      ['maxRuntimeMinutes', { maxRuntimeMinutes: 2 }, /'maxRuntimeMinutes' prop.*from 5 to 10080\. Got 2/],
    ])('%s is bad (%j)', (_prop, props, message) => {
      expect(() => withPlatform(() => props as Partial<TrainingJobProps>)()).toThrow(message);
    });

    test('several props are bad: every problem at once', () => {
      const err = errorOf(withPlatform(() => ({ name: 'X', modelName: '', data: '..', instanceCount: 0 })));
      expect(err.issues.map((i) => i.message.match(/'([^']+)' prop/)?.[1])).toEqual(['name', 'modelName', 'data', 'instanceCount']);
    });

    test('the image content hash is a token', () => {
      expect(withPlatform((p) => ({ image: { ...IMAGE, contentHash: p.workspace.workspaceId } }))).toThrow(/'image\.contentHash' prop.*known at synth/);
    });
  });
});

describe('AzureScoringEndpoint', () => {
  const { json, built } = build({ platform: {}, endpoint: { rollout: { strategy: 'linear', stepPercent: 20, bakeMinutes: 5 }, minInstances: 2, maxInstances: 4 } });
  const endpoint = built.endpoint!;
  const step = stepsOf(json).endpoint;

  test('GIVEN props WHEN synthesized THEN the release step holds the endpoint spec: the model revision, instance type, scaling, rollout and alarms', () => {
    expect(step.input).toEqual({
      specVersion: 1,
      kind: 'endpoint',
      cloud: 'azure',
      name: RELEASE,
      modelName: 'bike-demand',
      revision: built.job.revision,
      image: IMAGE.imageUriByDigest,
      endpoint: {
        name: RELEASE,
        instanceType: 'Standard_DS3_v2',
        minInstances: 2,
        maxInstances: 4,
        rollout: { strategy: 'linear', canaryPercent: 10, stepPercent: 20, bakeMinutes: 5 },
        alarms: { errorRatePercent: 5, latencyP95Ms: 1000 },
      },
      azure: expect.objectContaining({
        workspaceName: 'contoso-mlops-dev-mlw',
        location: 'westeurope',
        endpoint: { configHash: endpoint.configHash, authMode: 'AMLToken', publicNetworkAccess: false },
      }),
    });
    expect(step.input.azure.training).toBeUndefined();
    expect(step.triggers_replace).toEqual({
      image_digest: DIGEST,
      revision: built.job.revision,
      config: endpoint.configHash,
      workspace_id: expect.stringMatching(/azurerm_machine_learning_workspace/),
    });
  });

  test('GIVEN props WHEN read THEN the outputs are the name, the scoring URL of the region, the ARM id and the model revision', () => {
    expect(endpoint.endpointName).toBe(RELEASE);
    expect(endpoint.endpointUrl).toBe(`https://${RELEASE}.westeurope.inference.ml.azure.com/score`);
    expect(endpoint.endpointUrl.endsWith(AZURE_INFERENCE_ROUTES.scoring)).toBe(true);
    expect(endpoint.endpointId).toMatch(new RegExp(`^\\$\\{TfToken\\[TOKEN\\.\\d+\\]\\}/onlineEndpoints/${RELEASE}$`));
    const out = synthStack((stack) => {
      const platform = platformOf(stack);
      const job = new AzureTrainingJob(stack, 'Job', jobProps(platform));
      const ep = new AzureScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job });
      new (require('cdktf').TerraformOutput)(stack, 'endpoint_id', { value: ep.endpointId });
    });
    expect(out.output!.endpoint_id.value).toMatch(new RegExp(`^\\$\\{azurerm_machine_learning_workspace\\.\\w+\\.id\\}/onlineEndpoints/${RELEASE}$`));
    expect(endpoint.modelVersion).toBe(built.job.revision);
    expect(endpoint.deployed).toBe(endpoint.step.resource);
    expect(endpoint.cloud).toBe('azure');
  });

  test('GIVEN a config change WHEN built THEN the config hash changes but the model revision does not', () => {
    const other = build({ endpoint: { rollout: { strategy: 'canary' }, minInstances: 2, maxInstances: 4 } }).built;
    expect(other.endpoint!.configHash).not.toBe(endpoint.configHash);
    expect(other.endpoint!.modelVersion).toBe(endpoint.modelVersion);
    expect(endpoint.configHash).toBe(
      releaseRevision(IMAGE.contentHash, {
        kind: 'endpoint',
        cloud: 'azure',
        modelRevision: built.job.revision,
        name: RELEASE,
        instanceType: 'Standard_DS3_v2',
        minInstances: 2,
        maxInstances: 4,
        rollout: { strategy: 'linear', canaryPercent: 10, stepPercent: 20, bakeMinutes: 5 },
        alarms: { errorRatePercent: 5, latencyP95Ms: 1000 },
        authMode: 'AMLToken',
        publicNetworkAccess: false,
      }),
    );
  });

  test.each([
    ['small', ComputeSize.small(), AZURE_ONLINE_ENDPOINT_SKUS.small],
    ['medium', ComputeSize.medium(), 'Standard_DS4_v2'],
    ['large', ComputeSize.large(), 'Standard_DS5_v2'],
    ['gpu', ComputeSize.gpu(), 'Standard_NC4as_T4_v3'],
    ['an override', ComputeSize.medium({ azure: 'Standard_F8s_v2' }), 'Standard_F8s_v2'],
    ["another cloud's override only", ComputeSize.large({ aws: 'ml.c5.4xlarge' }), 'Standard_DS5_v2'],
  ])('GIVEN size %s WHEN built THEN the managed online endpoint SKU is right', (_name, size, sku) => {
    const { json: j } = build({ endpoint: { size } });
    expect(stepsOf(j).endpoint.input.endpoint.instanceType).toBe(sku);
  });

  test('GIVEN a platform with public network access WHEN built THEN the endpoint follows it unless told otherwise', () => {
    expect(stepsOf(build({ platform: { network: { mode: 'public' } } }).json).endpoint.input.azure.endpoint.publicNetworkAccess).toBe(true);
    expect(stepsOf(build({ platform: { network: { mode: 'public' } }, endpoint: { publicNetworkAccess: false } }).json).endpoint.input.azure.endpoint.publicNetworkAccess).toBe(
      false,
    );
  });

  test('GIVEN a firewalled platform with allowed ranges WHEN built THEN the endpoint is public to those ranges only and both steps open the workspace to them', () => {
    const ranges = ['203.0.113.10/32'];
    const steps = stepsOf(build({ platform: { network: { mode: 'firewalled', allowedIpRanges: ranges } } }).json);
    expect(steps.endpoint.input.azure.endpoint).toMatchObject({ publicNetworkAccess: true, allowedIpRanges: ranges });
    expect(steps.job.input.azure.workspace).toEqual({ systemDatastoresAuthMode: 'identity', allowedIpRanges: ranges });
    expect(steps.endpoint.input.azure.workspace).toEqual({ systemDatastoresAuthMode: 'identity', allowedIpRanges: ranges });
  });

  test('GIVEN a private platform WHEN built THEN the endpoint is private and the workspace keeps its private setting', () => {
    const steps = stepsOf(build({ platform: { network: { mode: 'private' } } }).json);
    expect(steps.endpoint.input.azure.endpoint.publicNetworkAccess).toBe(false);
    expect(steps.endpoint.input.azure.endpoint.allowedIpRanges).toBeUndefined();
    expect(steps.job.input.azure.workspace).toEqual({ systemDatastoresAuthMode: 'identity' });
  });

  test('GIVEN the cloud-neutral wrapper of the job WHEN built THEN the endpoint finds the Azure job in it', () => {
    const j = synthStack((stack) => {
      const platform = platformOf(stack);
      const job = new AzureTrainingJob(stack, 'Job', jobProps(platform));
      const wrapper = Object.assign(new Construct(stack, 'Wrapper'), { cloud: 'azure' as const, resource: job, ...pick(job) });
      new AzureScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job: wrapper, name: 'bike-demand-weu' });
    });
    expect(stepsOf(j).endpoint.input.endpoint.name).toBe('bike-demand-weu');
  });

  describe('fails if …', () => {
    const endpointWith =
      (props: Partial<AzureScoringEndpointProps>, jobExtra: Partial<TrainingJobProps> = {}) =>
      () =>
        synthStack((stack) => {
          const platform = platformOf(stack);
          const job = new AzureTrainingJob(stack, 'Job', jobProps(platform, jobExtra));
          new AzureScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job, ...props });
        });

    test('the default name (the release name) is longer than 32 characters, with a suggestion', () => {
      const long = 'contoso-mlops-staging-bike-demand-v2';
      expect(endpointWith({}, { name: long })).toThrow(
        new RegExp(
          `'name' prop of AzureScoringEndpoint must be an Azure online endpoint name: 3-32 .* unique in the region \\(westeurope\\)\\. The default, the job's release name, has ${long.length} characters: set name to a shorter one .*e\\.g\\. "bike-demand-westeurope"\\.\\. Got "${long}"`,
        ),
      );
    });

    test.each([
      ['name', { name: 'ab' }, /'name' prop.*3-32.*Got "ab"/],
      ['name', { name: '1-endpoint' }, /'name' prop.*starting with a letter.*Got "1-endpoint"/],
      ['name', { name: 'BikeDemand' }, /'name' prop.*lowercase.*Got "BikeDemand"/],
      ['minInstances', { minInstances: 0 }, /'minInstances' prop.*from 1 to 20\. Got 0/],
      ['maxInstances', { minInstances: 3, maxInstances: 2 }, /'maxInstances' prop.*at least minInstances \(3\)\. Got 2/],
      ['rollout.strategy', { rollout: { strategy: 'blue-green' as never } }, /'rollout\.strategy' prop.*one of canary, linear, all-at-once\. Got "blue-green"/],
      ['rollout.canaryPercent', { rollout: { strategy: 'canary', canaryPercent: 60 } }, /'rollout\.canaryPercent' prop.*from 1 to 50\. Got 60/],
      ['rollout.stepPercent', { rollout: { strategy: 'linear', stepPercent: 3 } }, /'rollout\.stepPercent' prop.*from 5 to 50\. Got 3/],
      ['rollout.bakeMinutes', { rollout: { strategy: 'canary', bakeMinutes: 1.5 } }, /'rollout\.bakeMinutes' prop.*from 0 to 120\. Got 1\.5/],
      ['alarms.errorRatePercent', { alarms: { errorRatePercent: 0 } }, /'alarms\.errorRatePercent' prop.*above 0, at most 100 \(percent of 5xx responses\)\. Got 0/],
      ['alarms.latencyP95Ms', { alarms: { latencyP95Ms: -1 } }, /'alarms\.latencyP95Ms' prop.*Got -1/],
      ['authMode', { authMode: 'Anonymous' as never }, /'authMode' prop.*one of 'AMLToken', 'Key', 'AADToken'\. Got "Anonymous"/],
      ['size', { size: ComputeSize.small({ azure: 'DS3' }) }, /'size' prop.*VM size that managed online endpoints support.*Got "DS3"/],
    ])('%s is bad (%j)', (_prop, props, message) => {
      expect(endpointWith(props as Partial<AzureScoringEndpointProps>)).toThrow(message);
    });

    test('the job runs on another platform', () => {
      expect(() =>
        synthStack((stack) => {
          const platform = platformOf(stack);
          const other = new AzureMlPlatform(stack, 'Other', { naming: { ...NAMING, environment: 'test' }, region: 'westeurope', tenantId: TENANT });
          const job = new AzureTrainingJob(stack, 'Job', jobProps(other));
          new AzureScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job });
        }),
      ).toThrow(/'job' prop of AzureScoringEndpoint must be a training job on the same platform \(test\/Platform\); it runs on test\/Other/);
    });

    test('the job is not an Azure training job', () => {
      const err = errorOf(() =>
        synthStack((stack) => {
          const platform = platformOf(stack);
          const job = Object.assign(new Construct(stack, 'NotAzure'), {
            cloud: 'aws' as const,
            jobName: 'j',
            modelName: 'm',
            modelVersion: 'v',
            modelUri: 'u',
            revision: 'r',
            trained: undefined as never,
          });
          new AzureScoringEndpoint(stack, 'Endpoint', { platform, image: IMAGE, job });
        }),
      );
      expect(err.message).toContain("The 'job' prop of AzureScoringEndpoint must be an Azure training job");
      expect(err.message).toContain('Got "test/NotAzure"');
    });

    test('the platform is not an AzureMlPlatform', () => {
      expect(() =>
        synthStack((stack) => {
          const platform = platformOf(stack);
          const job = new AzureTrainingJob(stack, 'Job', jobProps(platform));
          new AzureScoringEndpoint(stack, 'Endpoint', { platform: { cloud: 'gcp' } as unknown as IMlPlatform, image: IMAGE, job });
        }),
      ).toThrow(/\[MLOPS_CLOUD_MISMATCH\].*'platform' prop of AzureScoringEndpoint must be an AzureMlPlatform/);
    });
  });
});

/** The ITrainingJob members of a job (for a hand-made wrapper). */
function pick(job: AzureTrainingJob) {
  return { jobName: job.jobName, modelName: job.modelName, modelVersion: job.modelVersion, modelUri: job.modelUri, revision: job.revision, trained: job.trained };
}

describe('the Azure release step contract', () => {
  test("GIVEN the constructs and the release driver THEN they agree on the server's routes and the tags", () => {
    expect(AZURE_INFERENCE_ROUTES).toEqual(INFERENCE_ROUTES);
    expect(AZURE_RELEASE_TAGS).toEqual({ release: TAGS.release, revision: TAGS.revision, config: TAGS.config });
  });

  test('GIVEN a synthesized step WHEN its tokens are resolved THEN the release command accepts the spec and the driver its azure target', () => {
    const { json } = build();
    const resolve = (value: unknown): unknown =>
      typeof value === 'string'
        ? value
            .replace(/^\$\{element\(split\("\/", azurerm_machine_learning_workspace\.\w+\.id\), 2\)\}$/, '0b1f6471-1bf0-4dda-aec3-cb9272f09590')
            .replace(/^\$\{azurerm_resource_group\.\w+\.name\}$/, 'contoso-mlops-dev-rg')
            .replace(
              /^\$\{azurerm_user_assigned_identity\.\w+\.id\}$/,
              '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/contoso-mlops-dev-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/contoso-mlops-dev-id',
            )
            .replace(/^\$\{azurerm_user_assigned_identity\.\w+\.client_id\}$/, '6f3c2a1e-8d4b-4c59-9a7e-2b1d0c9e8f7a')
            .replace(
              /^\$\{azurerm_machine_learning_compute_cluster\.\w+\.id\}$/,
              '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/contoso-mlops-dev-rg/providers/Microsoft.MachineLearningServices/workspaces/contoso-mlops-dev-mlw/computes/train-cluster',
            )
            .replace(/^\$\{azurerm_machine_learning_datastore_blobstorage\.\w+\.name\}$/, AZURE_ARTIFACTS_DATASTORE)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]))
          : value;
    const steps = stepsOf(json);
    for (const step of [steps.job, steps.endpoint]) {
      const spec = parseSpec(JSON.stringify(resolve(step.input)));
      expect(AzureTargetSchema.safeParse(spec.azure).error?.issues).toBeUndefined();
    }
  });
});
