import { Construct } from 'constructs';
import { ContinuousTrainingProps, IContinuousTraining } from '../contracts';

/** The pipeline on Azure's managed engine. NOT IMPLEMENTED YET (issue 16, in progress on its branch). */
export class AzureContinuousTraining extends Construct implements IContinuousTraining {
  public readonly cloud = 'azure' as const;
  public readonly pipelineName: string;
  public readonly definition: Readonly<Record<string, unknown>> = {};
  public readonly runCommand = '';
  public readonly watched = {};

  constructor(scope: Construct, id: string, props: ContinuousTrainingProps) {
    super(scope, id);
    this.pipelineName = props.name;
    throw new Error('AzureContinuousTraining is not implemented yet');
  }
}
