import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { IssueCollector } from '../../core/errors';
import { GcpMlPlatform } from '../../gcp/platform';
import { ITrainingJob, TrainingJobProps } from '../contracts';
import { ReleaseStep } from '../release-step';
import { releaseRevision } from '../revision';
import { GCP_RELEASE_NAME_MAX, MODEL_NAME, RELEASE_NAME, acceleratorOf, gcpMachineOf, gcpPlatformOf, grantsOf } from './private/common';
import { PropChecks } from '../../core/validate';
import { checkRuntimeImage } from '../settings';
import { RELEASE_SPEC_VERSION } from '../../core/release';
import { SETTING_DEFAULTS } from '../../core/settings';

/** Vertex AI's longest custom job timeout (7 days), in minutes. */
const MAX_RUNTIME_MINUTES = 7 * 24 * 60;
/** Where in the artifact store each revision's job writes: `releases/<name>/<revision>/model`. */
export const GCP_RELEASE_PREFIX = 'releases';
/** Training data paths: relative to the artifact store root. */
const DATA_PATH = /^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/;
/** `mlops train` options the job sets itself; a hyperparameter may not set them. */
const RESERVED_SETTINGS = ['data', 'out', 'validation', 'json'];
const SETTING_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * A Vertex AI custom job of the runtime image, run by the release step
 * (`mlops release apply`) during `cdktf deploy`, and the model version it
 * registers in the Vertex AI Model Registry.
 *
 * The job runs `train --data gs://<bucket>/<data> --<setting>=<value>…` on the
 * platform's training machine (spot when the platform's training is low
 * priority) as the platform's service account, CMEK-encrypted with the
 * platform key. Vertex AI hands the job `AIP_MODEL_DIR` =
 * `gs://<bucket>/releases/<name>/<revision>/model`; the step then uploads that
 * folder as a version of the model `<name>` (alias `r-<revision>`, made the
 * default) served by the same image. The revision changes exactly when the
 * image content or the job config changes, and so re-runs the step.
 */
export class GcpTrainingJob extends Construct implements ITrainingJob {
  /** The cloud this job runs on. */
  public readonly cloud = 'gcp' as const;
  /** The release name (`props.name`): the Vertex AI model id, and the endpoint's name by default. */
  public readonly releaseName: string;
  /** `<name>-<revision>`: the custom job's display name. */
  public readonly jobName: string;
  /** The registered model's display name. */
  public readonly modelName: string;
  /** The release revision: the model version's alias is `r-<revision>`. */
  public readonly modelVersion: string;
  /** `gs://<bucket>/releases/<name>/<revision>/model`: Vertex AI's AIP_MODEL_DIR for the job. */
  public readonly modelUri: string;
  /** 12 hex: changes exactly when the image content or the job config changes. */
  public readonly revision: string;
  /** The release step; what depends on the trained, registered model. */
  public readonly trained: ITerraformDependable;
  /** `gs://<bucket>/<data>`. */
  public readonly dataUri: string;
  /** `gs://<bucket>/releases/<name>/<revision>`: the custom job's base output directory. */
  public readonly outputUri: string;
  /** The Vertex AI model id (the release name). */
  public readonly modelId: string;
  /** `projects/<project>/locations/<region>/models/<modelId>`. */
  public readonly modelResourceName: string;
  /** `r-<revision>`: the alias of this revision's model version. */
  public readonly versionAlias: string;
  /** The Compute Engine machine type the job runs on. */
  public readonly machineType: string;
  /** The release step (`terraform_data` running `mlops release apply|destroy`). */
  public readonly releaseStep: ReleaseStep;
  /** The platform the job runs on. */
  public readonly platform: GcpMlPlatform;

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    const where = this.node.path;
    const C = 'GcpTrainingJob';
    const issues = new IssueCollector();
    const bad = (prop: string, value: unknown, accepted: string): void => new PropChecks(issues, C, where).invalid(prop, value, accepted);

    const platform = gcpPlatformOf(new PropChecks(issues, C, where), props?.platform);
    checkRuntimeImage(new PropChecks(issues, C, where), props?.image);
    if (typeof props?.name !== 'string' || !RELEASE_NAME.test(props.name)) {
      bad(
        'name',
        props?.name,
        `lowercase letters, digits and hyphens, at most ${GCP_RELEASE_NAME_MAX}, starting with a letter and not ending with a hyphen (the custom job "<name>-<12-hex revision>" must fit 63), e.g. "contoso-mlops-dev-bike-demand"`,
      );
    }
    if (typeof props?.modelName !== 'string' || !MODEL_NAME.test(props.modelName)) {
      bad('modelName', props?.modelName, 'lowercase letters, digits and hyphens (at most 63), starting with a letter, e.g. "bike-demand"');
    }
    if (typeof props?.data !== 'string' || !DATA_PATH.test(props.data) || props.data.split('/').includes('..')) {
      bad('data', props?.data, 'a path relative to the artifact store root of letters, digits, _ . / = - without ".." segments, e.g. "datasets/bike/hour.csv"');
    }
    const hyperparameters = settingsOf(props?.hyperparameters, bad);
    new PropChecks(issues, C, where).int('instanceCount', props?.instanceCount, 1, 1, {
      accepted: '1 on Vertex AI: `mlops train` trains on one machine, and more replicas would each train and write the same AIP_MODEL_DIR',
    });
    new PropChecks(issues, C, where).int('maxRuntimeMinutes', props?.maxRuntimeMinutes, 1, MAX_RUNTIME_MINUTES, {
      accepted: `an integer from 1 to ${MAX_RUNTIME_MINUTES} (Vertex AI's 7-day limit)`,
    });
    if (props?.dataVersion !== undefined && (typeof props.dataVersion !== 'string' || Token.isUnresolved(props.dataVersion))) {
      bad('dataVersion', props.dataVersion, 'a string known at synth (e.g. TrainingDataUpload.contentHash): it is part of the revision');
    }
    const machine = platform ? gcpMachineOf(new PropChecks(issues, C, where), 'size', props.size, platform.trainingCompute.size) : undefined;
    issues.throwIfAny(`Invalid ${C} props:`);
    const gcp = platform as GcpMlPlatform;
    const m = machine!;

    const projectId = gcp.workspace.projectId;
    const region = gcp.workspace.region;
    const maxRuntimeSeconds = (props.maxRuntimeMinutes ?? SETTING_DEFAULTS.job.maxRuntimeMinutes) * 60;
    const schedulingStrategy = gcp.trainingCompute.schedulingStrategy;
    const accelerator = acceleratorOf(m);

    this.platform = gcp;
    this.releaseName = props.name;
    this.modelName = props.modelName;
    this.modelId = props.name;
    this.machineType = m.instanceType;
    // Only synth-time values: the revision names the job, the output folder and the version alias.
    this.revision = releaseRevision(props.image.contentHash, {
      cloud: 'gcp',
      kind: 'training',
      name: props.name,
      modelName: props.modelName,
      data: props.data,
      dataVersion: props.dataVersion,
      hyperparameters,
      machineType: m.instanceType,
      accelerator,
      schedulingStrategy,
      maxRuntimeSeconds,
      projectId: Token.isUnresolved(projectId) ? undefined : projectId,
      region: Token.isUnresolved(region) ? undefined : region,
    });
    this.modelVersion = this.revision;
    this.jobName = `${props.name}-${this.revision}`;
    this.versionAlias = `r-${this.revision}`;
    this.modelResourceName = `projects/${projectId}/locations/${region}/models/${this.modelId}`;
    const bucket = gcp.artifactStore.storeName;
    this.dataUri = `gs://${bucket}/${props.data}`;
    this.outputUri = `gs://${bucket}/${GCP_RELEASE_PREFIX}/${props.name}/${this.revision}`;
    this.modelUri = `${this.outputUri}/model`;

    // The job reads the data and writes the model (the bucket and its key),
    // pulls the image, and runs on Vertex AI writing logs and metrics. The
    // platform grants exactly these already; asking again keeps the job
    // correct on a platform composed by hand, and each grant exists once.
    gcp.artifactStore.grantReadWrite(gcp.identity);
    gcp.imageRegistry.grantPull(gcp.identity);
    gcp.workspace.grantUse(gcp.identity);
    // Vertex AI's service agent encrypts the job and the model with the platform key.
    const agentKey = gcp.bindKeyServiceAgent('aiplatform');

    this.releaseStep = new ReleaseStep(this, 'Release', {
      spec: {
        specVersion: RELEASE_SPEC_VERSION,
        kind: 'training',
        cloud: 'gcp',
        name: props.name,
        modelName: props.modelName,
        revision: this.revision,
        image: props.image.imageUriByDigest,
        training: {
          jobName: this.jobName,
          dataUri: this.dataUri,
          outputUri: this.outputUri,
          hyperparameters,
          instanceType: m.instanceType,
          instanceCount: 1,
          maxRuntimeSeconds,
        },
        gcp: {
          project: projectId,
          region,
          serviceAccount: gcp.identity.email,
          kmsKeyName: gcp.encryptionKey.keyId,
          modelId: this.modelId,
          modelUri: this.modelUri,
          ...(accelerator ? { accelerator } : {}),
          schedulingStrategy,
          // Private mode: the job joins the VPC through the network attachment (Private Service Connect interface).
          ...(gcp.network.networkAttachmentId ? { networkAttachment: gcp.network.networkAttachmentId } : {}),
        },
      },
      triggers: { image_digest: props.image.imageDigest, revision: this.revision },
      // The API, the service agent's key grant and the identity's grants must be in place before the job runs.
      dependsOn: [...gcp.services.dependenciesFor('aiplatform.googleapis.com'), agentKey, ...grantsOf(gcp, gcp.identity), ...gcp.network.dependables, ...(props.dependsOn ?? [])],
    });
    this.trained = this.releaseStep.resource;
  }
}

/** The settings as the strings every platform hands `mlops train`, with recorded problems. */
function settingsOf(values: unknown, bad: (prop: string, value: unknown, accepted: string) => void): Record<string, string> {
  const out: Record<string, string> = {};
  if (values === undefined) return out;
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    bad('hyperparameters', values, 'an object of setting names to strings, numbers or booleans, e.g. { target: "cnt", model: "gbdt" }');
    return out;
  }
  for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
    if (!SETTING_KEY.test(key)) {
      bad(`hyperparameters.${key}`, key, 'a name of letters, digits, _ . - (at most 64) starting with a letter, e.g. "max_iter"');
    } else if (RESERVED_SETTINGS.includes(key)) {
      bad(`hyperparameters.${key}`, value, `not set here: the job passes --data from the 'data' prop and Vertex AI gives the model folder (AIP_MODEL_DIR); remove "${key}"`);
    } else if (typeof value === 'string' && value.length <= 2048 && !Token.isUnresolved(value)) {
      out[key] = value;
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      out[key] = String(value);
    } else if (typeof value === 'boolean') {
      out[key] = String(value);
    } else {
      bad(`hyperparameters.${key}`, value, 'a string (at most 2048 characters, known at synth), a finite number or a boolean');
    }
  }
  return out;
}
