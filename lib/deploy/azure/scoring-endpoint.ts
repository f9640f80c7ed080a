import { ITerraformDependable, Lazy, Token } from 'cdktf';
import { Construct } from 'constructs';
import { AzureMlPlatform } from '../../azure/platform';
import { ErrorCode, IssueCollector, MlopsValidationError, messages, show } from '../../core/errors';
import { ComputeSize, SizeName } from '../../core/sizes';
import { IScoringEndpoint, ITrainingJob, ScoringEndpointProps } from '../contracts';
import { ReleaseStep } from '../release-step';
import { releaseRevision } from '../revision';
import { AzureReleaseTarget, azurePlatformOf, azureTargetOf, roleAssignmentsOf } from './common';
import { AzureTrainingJob } from './training-job';
import { PropChecks } from '../../core/validate';
import { RELEASE_SPEC_VERSION } from '../../core/release';
import { checkRuntimeImage, endpointSettingsOf } from '../settings';

/**
 * Managed online endpoint instance types per neutral size. Managed online
 * endpoints accept a fixed list of VM sizes (not every size a compute cluster
 * takes), so the endpoint has its own table; an explicit per-cloud override
 * (`ComputeSize.of('medium', { azure: 'Standard_F8s_v2' })`) wins.
 */
export const AZURE_ONLINE_ENDPOINT_SKUS: Readonly<Record<SizeName, string>> = {
  small: 'Standard_DS3_v2',
  medium: 'Standard_DS4_v2',
  large: 'Standard_DS5_v2',
  gpu: 'Standard_NC4as_T4_v3',
};

/** How clients authenticate to the endpoint. */
export type AzureEndpointAuthMode = 'AMLToken' | 'Key' | 'AADToken';
const AUTH_MODES: readonly AzureEndpointAuthMode[] = ['AMLToken', 'Key', 'AADToken'];
/** Azure's rule (3-32, letters, digits, hyphens) narrowed to lowercase, as release names are. */
const ENDPOINT_NAME = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const VM_SIZE = /^Standard_[A-Za-z0-9_]+$/;

/** Props of {@link AzureScoringEndpoint}: the neutral props and two Azure choices. */
export interface AzureScoringEndpointProps extends ScoringEndpointProps {
  /**
   * How clients authenticate: `AMLToken` (short-lived Azure ML tokens,
   * `az ml online-endpoint get-credentials`), `AADToken` (Microsoft Entra
   * tokens) or `Key` (static keys that never expire).
   * @default 'AMLToken'
   */
  readonly authMode?: AzureEndpointAuthMode;
  /**
   * Let clients on public networks reach the scoring URL (in a workspace
   * open to allowed ranges only: from those ranges). Off, the endpoint
   * answers only through the workspace's private endpoint.
   * @default - true unless the workspace is private (network mode `private`)
   */
  readonly publicNetworkAccess?: boolean;
}

/** The `endpoint` part of the Azure target. */
export interface AzureEndpointTarget {
  /** 12 hex over the endpoint's config and the model revision: tags the deployment, so a config change rolls out too. */
  readonly configHash: string;
  readonly authMode: AzureEndpointAuthMode;
  readonly publicNetworkAccess: boolean;
  /** With public access on in a workspace open to allowed ranges only: those ranges (Azure ML applies the workspace's IP rules to the endpoint). */
  readonly allowedIpRanges?: readonly string[];
  /** With a pipeline promoter: the rollout lease the release step holds while it changes the endpoint (see {@link AzureScoringEndpoint.shareRolloutLease}). */
  readonly lease?: AzureRolloutLease;
}

/**
 * The rollout lease of an endpoint a pipeline promoter also rolls out to
 * (`azure.endpoint.lease` of its release spec): the blob
 * `<registryPrefix>registry/<model>/.promote-lease` in the artifact store,
 * which the promoter (`mlops-release promote`) and the endpoint's release
 * step (cdktf deploy) each hold while they change the endpoint.
 */
export interface AzureRolloutLease {
  /** Blob service endpoint of the artifact store's account (`https://<account>.blob.core.windows.net`). */
  readonly blobEndpoint: string;
  /** The artifact store's container. */
  readonly container: string;
  /** The pipeline's registry folder, ending with `/`. */
  readonly registryPrefix: string;
  /** The model's name in that registry (the pipeline file's model). */
  readonly model: string;
  /** The promoter's Container Apps job (named in the error when the step gives up waiting). */
  readonly promoterJob: string;
  /** The longest a promotion holds the lease (the promoter job's replica timeout): the step waits that long and a lease period more. */
  readonly promotionTimeoutSeconds: number;
}

/** The job's Azure construct, also through the cloud-neutral `TrainingJob` wrapper. */
function azureJobOf(job: ITrainingJob | undefined): AzureTrainingJob | undefined {
  if (job instanceof AzureTrainingJob) return job;
  const inner = (job as { resource?: unknown } | undefined)?.resource;
  return inner instanceof AzureTrainingJob ? inner : undefined;
}

/**
 * Whether the endpoint accepts requests from public networks, as its
 * workspace does: from every network (`public`), or from the workspace's
 * allowed ranges (`allowedRanges`: Azure ML applies the workspace's IP rules
 * to endpoints with public access on); `private` workspaces serve the
 * endpoint through their private endpoint only.
 */
function workspacePublicAccess(platform: AzureMlPlatform): boolean {
  return platform.workspace.inboundAccess !== 'private';
}

/**
 * A managed online endpoint serving an {@link AzureTrainingJob}'s model
 * version with the runtime image, rolled out blue/green by the release step
 * (`mlops release apply`): the endpoint (the workload identity, token auth,
 * public access as the workspace has it), a deployment of the new revision in
 * the idle colour (`blue`/`green`) with probes on the server's Azure ML routes,
 * autoscaling between min and max instances, traffic shifted as `rollout`
 * says while the deployment stays healthy, then the old deployment removed.
 * azurerm has no online endpoint resources, so all of this is the release
 * step's; the outputs are known at synth.
 */
export class AzureScoringEndpoint extends Construct implements IScoringEndpoint {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** The endpoint's name on the cloud. */
  public readonly endpointName: string;
  /** `https://<name>.<region>.inference.ml.azure.com/score`. */
  public readonly endpointUrl: string;
  /** The endpoint's ARM resource id. */
  public readonly endpointId: string;
  /** The model version (revision) it serves. */
  public readonly modelVersion: string;
  /** What must exist before alerts and other consumers (the endpoint and its rollout). */
  public readonly deployed: ITerraformDependable;
  /** The managed online endpoint instance type. */
  public readonly instanceType: string;
  /** 12 hex over the endpoint config and the model revision (the deployment's `mlops.config` tag). */
  public readonly configHash: string;
  /** The release step (terraform_data). */
  public readonly step: ReleaseStep;
  /** The training job whose model version the endpoint serves. */
  public readonly job: AzureTrainingJob;
  /** The rollout lease shared with a pipeline promoter, if one rolls out to this endpoint. */
  private rolloutLease?: AzureRolloutLease;
  private readonly platform: AzureMlPlatform;

  constructor(scope: Construct, id: string, props: AzureScoringEndpointProps) {
    super(scope, id);
    const where = this.node.path;
    const platform = azurePlatformOf('AzureScoringEndpoint', where, props?.platform);
    const issues = new IssueCollector();
    const invalid = (prop: string, value: unknown, accepted: string): void =>
      issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid('AzureScoringEndpoint', prop, value, accepted));

    checkRuntimeImage(new PropChecks(issues, 'AzureScoringEndpoint', where), props.image);

    const job = azureJobOf(props.job);
    if (!job) {
      invalid(
        'job',
        props.job?.node?.path ?? props.job,
        'an Azure training job (AzureTrainingJob, or a TrainingJob on an Azure platform): the endpoint serves the model version it registers',
      );
    } else if (job.platform !== platform) {
      invalid('job', job.node.path, `a training job on the same platform (${platform.node.path}); it runs on ${job.platform.node.path}`);
    }

    const defaultName = job?.releaseName;
    const name = props.name ?? defaultName;
    if (name === undefined) {
      invalid('name', name, "3-32 letters, digits and hyphens (it defaults to the job's release name)");
    } else if (
      new PropChecks(issues, 'AzureScoringEndpoint', where).notToken('name', name, 'it is part of the release revision, which must be known before deploy') &&
      (!ENDPOINT_NAME.test(name) || name.includes('--'))
    ) {
      const example = `${job?.modelName ?? 'model'}-${platform.workspace.region}`.slice(0, 32).replace(/-+$/, '');
      const why =
        props.name === undefined
          ? ` The default, the job's release name, has ${name.length} characters: set name to a shorter one that is still unique in the region, e.g. "${example}".`
          : '';
      invalid(
        'name',
        name,
        `an Azure online endpoint name: 3-32 lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit, unique in the region (${platform.workspace.region}).${why}`,
      );
    }

    const size = props.size ?? ComputeSize.small();
    // An explicit Azure machine wins; the neutral size maps to the hosting SKUs.
    const instanceType = size.overrideFor('azure')?.instanceType ?? AZURE_ONLINE_ENDPOINT_SKUS[size.name];
    if (!Token.isUnresolved(instanceType) && !VM_SIZE.test(instanceType)) {
      invalid('size', instanceType, "an Azure VM size that managed online endpoints support, e.g. \"Standard_DS3_v2\" (ComputeSize.of('small', { azure: 'Standard_F4s_v2' }))");
    }

    const { minInstances, maxInstances, rollout, alarms } = endpointSettingsOf(new PropChecks(issues, 'AzureScoringEndpoint', where), props);

    const authMode = props.authMode ?? 'AMLToken';
    if (!AUTH_MODES.includes(authMode)) invalid('authMode', authMode, `one of ${AUTH_MODES.map((m) => `'${m}'`).join(', ')}`);
    const publicNetworkAccess = props.publicNetworkAccess ?? workspacePublicAccess(platform);
    if (typeof publicNetworkAccess !== 'boolean') invalid('publicNetworkAccess', publicNetworkAccess, 'true or false');
    issues.throwIfAny('Invalid AzureScoringEndpoint props:');

    // Validated above: job and name are set.
    const trainingJob = job!;
    const endpointName = name!;
    const configHash = releaseRevision(props.image.contentHash, {
      kind: 'endpoint',
      cloud: 'azure',
      modelRevision: trainingJob.revision,
      name: endpointName,
      instanceType,
      minInstances,
      maxInstances,
      rollout,
      alarms,
      authMode,
      publicNetworkAccess,
    });

    // The deployment runs as the workload identity: it pulls the image and
    // reads the model from the artifact store's container (the identity's
    // existing 'Storage Blob Data Contributor' there; a separate read grant
    // would only add a redundant assignment) and publishes metrics.
    platform.imageRegistry.grantPull(platform.identity);
    platform.workspace.grantUse(platform.identity);

    const region = platform.workspace.region;
    this.job = trainingJob;
    this.endpointName = endpointName;
    this.endpointUrl = `https://${endpointName}.${region}.inference.ml.azure.com/score`;
    this.endpointId = `${platform.workspace.workspaceId}/onlineEndpoints/${endpointName}`;
    this.modelVersion = trainingJob.modelVersion;
    this.instanceType = instanceType;
    this.configHash = configHash;

    const restricted = publicNetworkAccess && platform.workspace.inboundAccess === 'allowedRanges';
    // The lease, when a promoter shares one (shareRolloutLease, called after this): not part of the
    // config hash, so adding a promoter changes the step's input in place and rolls nothing out.
    const endpoint: AzureEndpointTarget = {
      configHash,
      authMode,
      publicNetworkAccess,
      ...(restricted ? { allowedIpRanges: [...platform.workspace.allowedIpRanges] } : {}),
      lease: Lazy.anyValue({ produce: () => this.rolloutLease }) as unknown as AzureRolloutLease,
    };
    this.platform = platform;
    const target: AzureReleaseTarget & { endpoint: AzureEndpointTarget } = { ...azureTargetOf(platform), endpoint };
    this.step = new ReleaseStep(this, 'Release', {
      spec: {
        specVersion: RELEASE_SPEC_VERSION,
        kind: 'endpoint',
        cloud: 'azure',
        name: trainingJob.releaseName,
        modelName: trainingJob.modelName,
        revision: trainingJob.revision,
        image: props.image.imageUriByDigest,
        endpoint: { name: endpointName, instanceType, minInstances, maxInstances, rollout, alarms },
        azure: target,
      },
      triggers: { image_digest: props.image.imageDigest, revision: trainingJob.revision, config: configHash, workspace_id: platform.workspace.workspaceId },
      dependsOn: [trainingJob.trained, ...roleAssignmentsOf(platform, platform.identity)],
    });
    this.deployed = this.step.resource;
  }

  /**
   * Makes the endpoint's release step hold the rollout lease a pipeline
   * promoter holds (`AzurePipelinePromoter` calls it): cdktf deploy's rollout
   * (and its destroy) takes the lease blob's lease, waits while a promotion
   * holds it, renews it and gives it back, so that the two never change the
   * endpoint at once. The lease is a blob write by whoever runs cdktf deploy,
   * so the step also waits for what such a write needs: the container, its
   * blob private endpoint (private mode) and every deployer's data role on it
   * (`AzureArtifactStore.bindDataPlaneWrite`, also for deployers granted
   * later). One lease per endpoint: two promoters of different pipelines
   * would not exclude each other, so a second, different lease is an error.
   */
  public shareRolloutLease(lease: AzureRolloutLease): void {
    const current = this.rolloutLease;
    if (current && JSON.stringify(current) !== JSON.stringify(lease)) {
      throw new MlopsValidationError('Invalid AzureScoringEndpoint:', [
        {
          code: ErrorCode.PROP_INVALID,
          path: this.node.path,
          message:
            `endpoint ${show(this.endpointName)} is already rolled out by the pipeline promoter of registry ${show(`${current.registryPrefix}registry/${current.model}/`)}, and another promoter (registry ${show(`${lease.registryPrefix}registry/${lease.model}/`)}) would roll out to it under another lease: their rollouts could overlap. ` +
            'Fix: let one pipeline serve each endpoint (skip the serve step of the other pipeline, or give it its own endpoint).',
        },
      ]);
    }
    this.rolloutLease = lease;
    this.platform.artifactStore.bindDataPlaneWrite(this.step.resource);
  }
}
