import { Construct } from 'constructs';
import { ContinuousTrainingProps, IContinuousTraining } from '../contracts';

/** The pipeline on Aws's managed engine. NOT IMPLEMENTED YET (issue 16, in progress on its branch). */
export class AwsContinuousTraining extends Construct implements IContinuousTraining {
  public readonly cloud = 'aws' as const;
  public readonly pipelineName: string;
  public readonly definition: Readonly<Record<string, unknown>> = {};
  public readonly runCommand = '';

  constructor(scope: Construct, id: string, props: ContinuousTrainingProps) {
    super(scope, id);
    this.pipelineName = props.name;
    throw new Error('AwsContinuousTraining is not implemented yet');
  }
}
