import { Construct } from 'constructs';
import { Cloud } from '../core/cloud';
import { loadCloud } from '../private/peers';
import { ContinuousTrainingProps, IContinuousTraining } from './contracts';

/**
 * A pipeline file run by the platform's cloud on its managed engine: the
 * plan's steps as container tasks of the runtime image (SageMaker Pipelines,
 * an Azure ML pipeline job, Vertex AI Pipelines), on a schedule and on drift,
 * with batch scoring. Dispatches to the cloud's construct; only that cloud's
 * module loads.
 */
export class ContinuousTraining extends Construct implements IContinuousTraining {
  /** The cloud the pipeline runs on. */
  public readonly cloud: Cloud;
  /** The pipeline's name on the cloud. */
  public readonly pipelineName: string;
  /** The compiled definition as the engine takes it. */
  public readonly definition: Readonly<Record<string, unknown>>;
  /** How to start a run by hand (a command line). */
  public readonly runCommand: string;
  /** What the cloud's alerts watch for failed runs. */
  public readonly watched: Readonly<Record<string, readonly string[]>>;
  /** The cloud's construct. */
  public readonly resource: IContinuousTraining;

  constructor(scope: Construct, id: string, props: ContinuousTrainingProps) {
    super(scope, id);
    switch (props.platform.cloud) {
      case 'aws': {
        const { AwsContinuousTraining } = loadCloud('aws', 'ContinuousTraining', () => require('./aws/pipeline') as typeof import('./aws/pipeline'));
        this.resource = new AwsContinuousTraining(this, 'Resource', props);
        break;
      }
      case 'azure': {
        const { AzureContinuousTraining } = loadCloud('azure', 'ContinuousTraining', () => require('./azure/pipeline') as typeof import('./azure/pipeline'));
        this.resource = new AzureContinuousTraining(this, 'Resource', props);
        break;
      }
      case 'gcp': {
        const { GcpContinuousTraining } = loadCloud('gcp', 'ContinuousTraining', () => require('./gcp/pipeline') as typeof import('./gcp/pipeline'));
        this.resource = new GcpContinuousTraining(this, 'Resource', props);
        break;
      }
    }
    this.cloud = this.resource.cloud;
    this.pipelineName = this.resource.pipelineName;
    this.definition = this.resource.definition;
    this.runCommand = this.resource.runCommand;
    this.watched = this.resource.watched;
  }
}
