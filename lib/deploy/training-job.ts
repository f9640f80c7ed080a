import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud } from '../core/cloud';
import { loadCloud } from '../private/peers';
import { ITrainingJob, TrainingJobProps } from './contracts';

/**
 * A training job of the runtime image on the platform's cloud, run by the
 * release step during `cdktf deploy`, and the model version it registers.
 * Cloud-neutral props; the cloud's own construct (`AwsTrainingJob`,
 * `AzureTrainingJob`, `GcpTrainingJob`) is chosen by `platform.cloud`.
 */
export class TrainingJob extends Construct implements ITrainingJob {
  /** The cloud the job runs on. */
  public readonly cloud: Cloud;
  /** The job's name on the cloud (unique per revision). */
  public readonly jobName: string;
  /** The registered model's name. */
  public readonly modelName: string;
  /** The model version label: the release revision (12 hex), set on the registered version. */
  public readonly modelVersion: string;
  /** Where the job writes the model (cloud URI). */
  public readonly modelUri: string;
  /** 12 hex: changes exactly when the image content or the job config changes. */
  public readonly revision: string;
  /** What depends on the trained, registered model (the release step). */
  public readonly trained: ITerraformDependable;
  /** The cloud's own construct. */
  public readonly resource: ITrainingJob;

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    switch (props.platform.cloud) {
      // Only the platform's cloud's module (and provider package) is loaded.
      case 'aws': {
        const { AwsTrainingJob } = loadCloud('aws', 'TrainingJob', () => require('./aws/training-job') as typeof import('./aws/training-job'));
        this.resource = new AwsTrainingJob(this, 'Resource', props);
        break;
      }
      case 'azure': {
        const { AzureTrainingJob } = loadCloud('azure', 'TrainingJob', () => require('./azure/training-job') as typeof import('./azure/training-job'));
        this.resource = new AzureTrainingJob(this, 'Resource', props);
        break;
      }
      case 'gcp': {
        const { GcpTrainingJob } = loadCloud('gcp', 'TrainingJob', () => require('./gcp/training-job') as typeof import('./gcp/training-job'));
        this.resource = new GcpTrainingJob(this, 'Resource', props);
        break;
      }
    }
    this.cloud = this.resource.cloud;
    this.jobName = this.resource.jobName;
    this.modelName = this.resource.modelName;
    this.modelVersion = this.resource.modelVersion;
    this.modelUri = this.resource.modelUri;
    this.revision = this.resource.revision;
    this.trained = this.resource.trained;
  }
}
