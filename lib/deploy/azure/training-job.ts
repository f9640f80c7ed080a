import { MachineLearningDatastoreBlobstorage } from '@cdktf/provider-azurerm/lib/machine-learning-datastore-blobstorage';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { AzureMlPlatform } from '../../azure/platform';
import { ErrorCode, IssueCollector, messages } from '../../core/errors';
import { ITrainingJob, TrainingJobProps } from '../contracts';
import { ReleaseStep } from '../release-step';
import { releaseRevision } from '../revision';
import { AzureReleaseTarget, azurePlatformOf, azureTargetOf, roleAssignmentsOf } from './common';
import { PropChecks } from '../../core/validate';
import { checkRuntimeImage } from '../settings';
import { RELEASE_NAME_IN_JOB_MAX, RELEASE_SPEC_VERSION } from '../../core/release';
import { SETTING_DEFAULTS, SETTING_RANGES } from '../../core/settings';

/** The name of the Azure ML datastore over the artifact store's container (training data in, models out). */
export const AZURE_ARTIFACTS_DATASTORE = 'mlopsartifacts';
/** The folder of the artifact store models are written to: `<prefix>/<modelName>/<revision>/`. */
export const AZURE_MODELS_PREFIX = 'models';

const RELEASE_NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;
const MODEL_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const DATA_PATH = /^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/;
const HYPERPARAMETER_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** `<name>-<12 hex>` must fit the release spec's job-name limit (63). */
const MAX_RELEASE_NAME = RELEASE_NAME_IN_JOB_MAX;

/** The `training` part of the Azure target: where the job runs and what it reads and writes. */
export interface AzureTrainingTarget {
  /** ARM id of the compute cluster. */
  readonly computeId: string;
  /** The datastore over the artifact store's container. */
  readonly datastore: string;
  /** Training data inside the datastore. */
  readonly dataPath: string;
  /** `uri_file` for a file, `uri_folder` for a folder. */
  readonly dataType: 'uri_file' | 'uri_folder';
  /** Folder the job writes the model to, inside the datastore. */
  readonly modelPath: string;
}

/**
 * A training job of the runtime image on the Azure ML compute cluster of an
 * {@link AzureMlPlatform}, run by the release step (`mlops release apply`)
 * during deploy: an Azure ML environment for the image (by digest), a command
 * job running `mlops train` as the platform's workload identity, reading the
 * training data from the artifact store and writing the model back to it, and
 * the model version registered in the workspace (tagged with the revision).
 *
 * `data` ending in `/` or without a file extension is read as a folder
 * (`uri_folder`: every CSV in it), otherwise as one file (`uri_file`).
 *
 * azurerm has no Azure ML job, environment or model resources, so those are
 * made by the release step; Terraform makes the datastore over the artifact
 * store's container (identity-based: the job reads and writes with its own
 * identity, which the platform already grants 'Storage Blob Data Contributor'
 * on that one container, 'AcrPull' on the registry and 'AzureML Data
 * Scientist' on the workspace — nothing is added or widened here).
 */
export class AzureTrainingJob extends Construct implements ITrainingJob {
  /** Always `azure`. */
  public readonly cloud = 'azure' as const;
  /** The release name (names the job, the experiment and, by default, the endpoint). */
  public readonly releaseName: string;
  /** `<release name>-<revision>`: unique per revision. */
  public readonly jobName: string;
  /** The registered model's name. */
  public readonly modelName: string;
  /** The release revision: set as the `mlops.revision` tag of the registered model version. */
  public readonly modelVersion: string;
  /** `https://<account>.blob.core.windows.net/<container>/models/<model>/<revision>/`. */
  public readonly modelUri: string;
  /** 12 hex: changes exactly when the image content or the job config changes. */
  public readonly revision: string;
  /** What depends on the trained, registered model (the release step). */
  public readonly trained: ITerraformDependable;
  /** The release step (terraform_data). */
  public readonly step: ReleaseStep;
  /** The platform the job runs on. */
  public readonly platform: AzureMlPlatform;
  /** The datastore name jobs read and write through. */
  public readonly datastoreName: string;
  /** The model folder in the artifact store (`models/<model>/<revision>`), what the endpoint serves. */
  public readonly modelPath: string;

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    const where = this.node.path;
    const platform = azurePlatformOf('AzureTrainingJob', where, props?.platform);
    const compute = platform.trainingCompute;
    const issues = new IssueCollector();
    const invalid = (prop: string, value: unknown, accepted: string): void =>
      issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid('AzureTrainingJob', prop, value, accepted));

    checkRuntimeImage(new PropChecks(issues, 'AzureTrainingJob', where), props.image);

    if (new PropChecks(issues, 'AzureTrainingJob', where).notToken('name', props.name, 'it is part of the release revision, which must be known before deploy')) {
      if (!RELEASE_NAME.test(props.name) || props.name.includes('--') || props.name.length > MAX_RELEASE_NAME) {
        invalid(
          'name',
          props.name,
          `2-${MAX_RELEASE_NAME} lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (the job is named <name>-<12-hex revision>, at most 63 characters), e.g. "contoso-mlops-dev-bike-demand"`,
        );
      }
    } else if (typeof props.name !== 'string') invalid('name', props.name, 'the release name, e.g. "contoso-mlops-dev-bike-demand"');

    if (new PropChecks(issues, 'AzureTrainingJob', where).notToken('modelName', props.modelName, 'it is part of the release revision, which must be known before deploy')) {
      if (!MODEL_NAME.test(props.modelName)) invalid('modelName', props.modelName, '1-63 lowercase letters, digits and hyphens, starting with a letter, e.g. "bike-demand"');
    } else if (typeof props.modelName !== 'string') invalid('modelName', props.modelName, 'the registered model\'s name, e.g. "bike-demand"');

    if (new PropChecks(issues, 'AzureTrainingJob', where).notToken('data', props.data, 'it is part of the release revision, which must be known before deploy')) {
      const segments = props.data.replace(/\/$/, '').split('/');
      if (!DATA_PATH.test(props.data) || segments.some((s) => s === '' || s === '.' || s === '..')) {
        invalid(
          'data',
          props.data,
          'a path relative to the artifact store\'s container: letters, digits, _ . / = - without "..", empty or "." segments, e.g. "datasets/bike/hour.csv" (a file) or "datasets/bike/" (a folder)',
        );
      }
    } else if (typeof props.data !== 'string') invalid('data', props.data, 'the training data\'s path in the artifact store, e.g. "datasets/bike/hour.csv"');

    const hyperparameters: Record<string, string> = {};
    for (const [key, value] of Object.entries(props.hyperparameters ?? {})) {
      const prop = `hyperparameters.${key}`;
      if (!HYPERPARAMETER_KEY.test(key)) {
        invalid(prop, key, 'a setting name of 1-64 letters, digits, _ . -, starting with a letter, e.g. "target" or "max_iter"');
        continue;
      }
      if (typeof value === 'number' && !Number.isFinite(value)) invalid(prop, value, 'a finite number');
      else if (typeof value === 'string' && Token.isUnresolved(value))
        new PropChecks(issues, 'AzureTrainingJob', where).notToken(prop, value, 'it is part of the release revision, which must be known before deploy');
      else if (typeof value === 'string' && (value.length > 2048 || value.includes('${{') || /[\0\r\n]/.test(value))) {
        invalid(prop, value, 'a string of at most 2048 characters on one line, without "${{" (Azure ML would read it as a job expression)');
      } else if (!['string', 'number', 'boolean'].includes(typeof value)) invalid(prop, value, 'a string, number or boolean');
      hyperparameters[key] = String(value);
    }

    const instanceType = compute.machine.instanceType;
    if (props.size) {
      const wanted = props.size.machineFor('azure').instanceType;
      if (!Token.isUnresolved(wanted) && !Token.isUnresolved(instanceType) && wanted !== instanceType) {
        invalid(
          'size',
          `${props.size.name} (${wanted})`,
          `the size of the platform's compute cluster "${compute.computeName}" (${compute.size.name}, ${instanceType}): Azure ML jobs run on the cluster's machines. Fix: drop size, or set the platform's training size (compute.training.size / instanceType.azure) to ${wanted}`,
        );
      }
    }
    const instanceCount = props.instanceCount ?? SETTING_DEFAULTS.job.instanceCount;
    new PropChecks(issues, 'AzureTrainingJob', where).int('instanceCount', instanceCount, 1, compute.maxNodes, {
      note: ` (the compute cluster "${compute.computeName}" has at most ${compute.maxNodes} nodes)`,
    });
    const maxRuntimeMinutes = props.maxRuntimeMinutes ?? SETTING_DEFAULTS.job.maxRuntimeMinutes;
    new PropChecks(issues, 'AzureTrainingJob', where).number('maxRuntimeMinutes', maxRuntimeMinutes, SETTING_RANGES.job.maxRuntimeMinutes);
    issues.throwIfAny('Invalid AzureTrainingJob props:');

    const dataType = /\/$/.test(props.data) || !/\.[A-Za-z0-9]+$/.test(props.data.split('/').pop()!) ? 'uri_folder' : 'uri_file';
    const dataPath = props.data.replace(/\/$/, '');
    const revision = releaseRevision(props.image.contentHash, {
      kind: 'training',
      cloud: 'azure',
      name: props.name,
      modelName: props.modelName,
      data: props.data,
      hyperparameters,
      instanceType,
      instanceCount,
      maxRuntimeMinutes,
      compute: compute.computeName,
      dataVersion: props.dataVersion,
    });
    const modelPath = `${AZURE_MODELS_PREFIX}/${props.modelName}/${revision}`;
    const store = platform.artifactStore;

    // One datastore per platform, over the artifact store's container; no
    // credentials in it, so jobs use their own identity to read and write.
    const datastore =
      (platform.node.tryFindChild('ArtifactsDatastore') as MachineLearningDatastoreBlobstorage | undefined) ??
      new MachineLearningDatastoreBlobstorage(platform, 'ArtifactsDatastore', {
        name: AZURE_ARTIFACTS_DATASTORE,
        workspaceId: platform.workspace.workspaceId,
        storageContainerId: store.storeId,
        description: `The artifact store's container ${store.storeName}: training data and models of cdktf-mlops releases (identity-based access).`,
        serviceDataAuthIdentity: 'None',
      });

    // What the job needs, and no more: read the data and write the model in
    // the one container, pull the image, run in the workspace and register the
    // model. The platform grants these already; the calls are idempotent (one
    // assignment per identity, role and scope), so nothing is duplicated.
    store.grantReadWrite(platform.identity);
    platform.imageRegistry.grantPull(platform.identity);
    platform.workspace.grantUse(platform.identity);
    platform.modelRegistry.grantWrite(platform.identity);

    this.platform = platform;
    this.releaseName = props.name;
    this.jobName = `${props.name}-${revision}`;
    this.modelName = props.modelName;
    this.modelVersion = revision;
    this.revision = revision;
    this.modelUri = `${store.url}/${modelPath}/`;
    this.datastoreName = AZURE_ARTIFACTS_DATASTORE;
    this.modelPath = modelPath;

    const training: AzureTrainingTarget = { computeId: compute.computeId, datastore: datastore.name, dataPath, dataType, modelPath };
    const target: AzureReleaseTarget & { training: AzureTrainingTarget } = { ...azureTargetOf(platform), training };
    this.step = new ReleaseStep(this, 'Release', {
      spec: {
        specVersion: RELEASE_SPEC_VERSION,
        kind: 'training',
        cloud: 'azure',
        name: props.name,
        modelName: props.modelName,
        revision,
        image: props.image.imageUriByDigest,
        training: {
          jobName: this.jobName,
          dataUri: `${store.url}/${props.data}`,
          outputUri: this.modelUri,
          hyperparameters,
          instanceType,
          instanceCount,
          maxRuntimeSeconds: maxRuntimeMinutes * 60,
        },
        azure: target,
      },
      triggers: { image_digest: props.image.imageDigest, revision, workspace_id: platform.workspace.workspaceId },
      dependsOn: [datastore, ...roleAssignmentsOf(platform, platform.identity), ...(props.dependsOn ?? [])],
    });
    this.trained = this.step.resource;
  }
}
