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
  public readonly cloud: Cloud;
  public readonly jobName: string;
  public readonly modelName: string;
  public readonly modelVersion: string;
  public readonly modelUri: string;
  public readonly revision: string;
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
