import { Construct } from 'constructs';
import { ContinuousTrainingProps, IContinuousTraining } from '../contracts';

/** The pipeline on Gcp's managed engine. NOT IMPLEMENTED YET (issue 16, in progress on its branch). */
export class GcpContinuousTraining extends Construct implements IContinuousTraining {
  public readonly cloud = 'gcp' as const;
  public readonly pipelineName: string;
  public readonly definition: Readonly<Record<string, unknown>> = {};
  public readonly runCommand = '';
  public readonly watched = {};

  constructor(scope: Construct, id: string, props: ContinuousTrainingProps) {
    super(scope, id);
    this.pipelineName = props.name;
    throw new Error('GcpContinuousTraining is not implemented yet');
  }
}
