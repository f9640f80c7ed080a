import { AzurermBackend, GcsBackend, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { StackConfigCode, toStackConfig } from './config/define';
import { StackConfig } from './config/schema';
import { IMlPlatform } from './core/contracts';
import { platformTags, tagsFor } from './core/tags';
import { createPlatform } from './platform';
import type { PlatformDeployment } from './deploy/from-config';
import type { EndpointAlerts } from './alerts/endpoint-alerts';
import { PolicyPack, applyPolicyPack } from './policy/pack';
import { loadCloud } from './private/peers';

/** Props of {@link MlPlatformStack}. */
export interface MlPlatformStackProps {
  /**
   * The stack config: a validated one (`loadConfig`, `parseConfig`,
   * `defineConfig`) or one written in code, validated here with the same
   * rules, messages and defaults.
   */
  readonly config: StackConfig | StackConfigCode;
}

/**
 * A deployable stack: the provider and state backend of the configured
 * cloud, the platform, and its outputs.
 */
export class MlPlatformStack extends TerraformStack {
  /** The platform this stack deploys. */
  public readonly platform: IMlPlatform;
  /** The runtime image, training job and endpoint, when the config has a `deployment:` section. */
  public readonly deployment?: PlatformDeployment;
  /** Alerts on the endpoint and training job, when the config has an `alerts:` section. */
  public readonly alerts?: EndpointAlerts;
  /** The policy pack every synth of this stack is checked against. */
  public readonly policy: PolicyPack;

  constructor(scope: Construct, id: string, props: MlPlatformStackProps) {
    super(scope, id);
    const config = toStackConfig(props.config, `MlPlatformStack ${id}`);
    configureProvider(this, config);
    configureBackend(this, id, config);
    this.platform = createPlatform(this, 'Platform', config);
    // The deployment, alert and CI constructs (and their provider modules) load
    // only when the config has those sections: a platform-only synth stays lean.
    if (config.deployment) {
      const { createDeployment } = require('./deploy/from-config') as typeof import('./deploy/from-config');
      this.deployment = createDeployment(this, this.platform, config);
    }
    if (config.alerts && this.deployment) {
      const { EndpointAlerts } = require('./alerts/endpoint-alerts') as typeof import('./alerts/endpoint-alerts');
      this.alerts = new EndpointAlerts(this, 'Alerts', {
        platform: this.platform,
        endpoint: this.deployment.endpoint,
        job: this.deployment.job,
        pipeline: this.deployment.pipeline,
        thresholds: { ...config.deployment!.endpoint.alarms, noTrafficMinutes: config.alerts.noTrafficMinutes },
        receivers: { email: config.alerts.email, webhooks: config.alerts.webhooks },
        tags: platformTags(config.naming, config.tags),
      });
    }
    addOutputs(this, this.platform, this.deployment);
    if (config.ci) {
      const { ciOptionsFromConfig, createCiIdentity } = require('./ci') as typeof import('./ci');
      const ci = createCiIdentity(this, 'Ci', this.platform, config.ci, ciOptionsFromConfig(config));
      for (const [name, value] of Object.entries(ci?.outputs ?? {})) new TerraformOutput(this, name, { value, staticId: true });
    }
    const platform = this.platform;
    this.policy = applyPolicyPack(this, {
      networkMode: config.network.mode,
      deployers: () => platform.deployers,
      allowDataDeletion: !config.protection.retainData,
    });
  }
}

function configureProvider(stack: TerraformStack, config: StackConfig): void {
  const tags = tagsFor(config.cloud, platformTags(config.naming, config.tags));
  switch (config.cloud) {
    case 'azure': {
      // Each cloud's provider module loads only for a stack of that cloud.
      const { AzurermProvider } = loadCloud(
        'azure',
        'MlPlatformStack',
        () => require('@cdktf/provider-azurerm/lib/provider') as typeof import('@cdktf/provider-azurerm/lib/provider'),
      );
      new AzurermProvider(stack, 'azurerm', {
        subscriptionId: config.azure!.subscriptionId,
        tenantId: config.azure!.tenantId,
        // Storage accounts have shared-key auth off: data-plane calls use Entra ID.
        storageUseAzuread: true,
        features: [
          {
            // Purge protection makes vault purges impossible anyway; recover soft-deleted ones on re-create.
            keyVault: [{ purgeSoftDeleteOnDestroy: false, recoverSoftDeletedKeyVaults: true, recoverSoftDeletedKeys: true }],
            resourceGroup: [{ preventDeletionIfContainsResources: config.protection.retainData }],
            machineLearning: [{ purgeSoftDeletedWorkspaceOnDestroy: !config.protection.retainData }],
            // The storage account through the management plane only: no queue/static-website reads on its data plane (hashicorp/terraform-provider-azurerm#33454).
            storage: [{ dataPlaneAvailable: false }],
          },
        ],
      });
      return;
    }
    case 'aws': {
      const { AwsProvider } = loadCloud('aws', 'MlPlatformStack', () => require('@cdktf/provider-aws/lib/provider') as typeof import('@cdktf/provider-aws/lib/provider'));
      new AwsProvider(stack, 'aws', {
        region: config.region,
        allowedAccountIds: [config.aws!.accountId],
        defaultTags: [{ tags }],
      });
      return;
    }
    case 'gcp': {
      const { GoogleProvider } = loadCloud('gcp', 'MlPlatformStack', () => require('@cdktf/provider-google/lib/provider') as typeof import('@cdktf/provider-google/lib/provider'));
      new GoogleProvider(stack, 'google', { project: config.gcp!.projectId, region: config.region })
        // Through an override: cdktf 0.21 rewrites '-' to '_' in the keys of this provider map.
        .addOverride('default_labels', tags);
      // google_project_service_identity (the lazily created service agents) exists only in google-beta.
      {
        const { GoogleBetaProvider } = require('@cdktf/provider-google-beta/lib/provider') as typeof import('@cdktf/provider-google-beta/lib/provider');
        new GoogleBetaProvider(stack, 'google-beta', { project: config.gcp!.projectId, region: config.region }).addOverride('default_labels', tags);
      }
      return;
    }
  }
}

function configureBackend(stack: TerraformStack, id: string, config: StackConfig): void {
  const b = config.backend;
  switch (b.type) {
    case 'local':
      new LocalBackend(stack, { path: b.path ?? `terraform.${id}.tfstate` });
      return;
    case 's3': {
      const backend = new S3Backend(stack, { bucket: b.bucket, key: b.key, region: b.region, encrypt: true, dynamodbTable: b.dynamodbTable });
      // S3 native state locking (Terraform ≥ 1.10); cdktf 0.21 has no typed field for it.
      if (!b.dynamodbTable) backend.addOverride('use_lockfile', true);
      return;
    }
    case 'azurerm':
      new AzurermBackend(stack, {
        resourceGroupName: b.resourceGroupName,
        storageAccountName: b.storageAccountName,
        containerName: b.containerName,
        key: b.key,
        useAzureadAuth: true,
      });
      return;
    case 'gcs':
      new GcsBackend(stack, { bucket: b.bucket, prefix: b.prefix ?? id });
      return;
  }
}

function addOutputs(stack: TerraformStack, platform: IMlPlatform, deployment: PlatformDeployment | undefined): void {
  const outputs: Record<string, string> = {
    cloud: platform.cloud,
    workspace_name: platform.workspace.workspaceName,
    workspace_id: platform.workspace.workspaceId,
    region: platform.workspace.region,
    artifact_store_url: platform.artifactStore.url,
    image_uri: platform.imageRegistry.imageUri,
    model_registry_id: platform.modelRegistry.registryId,
    encryption_key_id: platform.encryptionKey.keyId,
    identity_id: platform.identity.identityId,
    identity_principal: platform.identity.principal,
    training_compute: platform.trainingCompute.computeName,
    training_instance_type: platform.trainingCompute.machine.instanceType,
    network_mode: platform.network.mode,
  };
  // The VNet / VPC / VPC network the platform runs in (private mode): where a runner or a client must be to reach it.
  if (platform.network.networkId) outputs.network_id = platform.network.networkId;
  if (deployment) {
    Object.assign(outputs, {
      runtime_image: deployment.image.imageUriByDigest,
      training_job_name: deployment.job.jobName,
      model_name: deployment.job.modelName,
      model_version: deployment.job.modelVersion,
      model_uri: deployment.job.modelUri,
      endpoint_name: deployment.endpoint.endpointName,
      endpoint_url: deployment.endpoint.endpointUrl,
      endpoint_id: deployment.endpoint.endpointId,
    });
  }
  for (const [name, value] of Object.entries(outputs)) {
    new TerraformOutput(stack, name, { value, staticId: true });
  }
}
