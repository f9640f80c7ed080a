import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud } from '../core/cloud';
import { AwsScoringEndpoint } from './aws';
import { AzureScoringEndpoint } from './azure';
import { IScoringEndpoint, ScoringEndpointProps } from './contracts';
import { GcpScoringEndpoint } from './gcp';

/**
 * A scoring endpoint serving a {@link TrainingJob}'s model version with the
 * runtime image, with autoscaling, blue/green rollout and alarms. Cloud-neutral
 * props; the cloud's own construct is chosen by `platform.cloud`.
 */
export class ScoringEndpoint extends Construct implements IScoringEndpoint {
  public readonly cloud: Cloud;
  public readonly endpointName: string;
  public readonly endpointUrl: string;
  public readonly endpointId: string;
  public readonly modelVersion: string;
  public readonly deployed: ITerraformDependable;
  /** The cloud's own construct. */
  public readonly resource: IScoringEndpoint;

  constructor(scope: Construct, id: string, props: ScoringEndpointProps) {
    super(scope, id);
    switch (props.platform.cloud) {
      case 'aws':
        this.resource = new AwsScoringEndpoint(this, 'Resource', props);
        break;
      case 'azure':
        this.resource = new AzureScoringEndpoint(this, 'Resource', props);
        break;
      case 'gcp':
        this.resource = new GcpScoringEndpoint(this, 'Resource', props);
        break;
    }
    this.cloud = this.resource.cloud;
    this.endpointName = this.resource.endpointName;
    this.endpointUrl = this.resource.endpointUrl;
    this.endpointId = this.resource.endpointId;
    this.modelVersion = this.resource.modelVersion;
    this.deployed = this.resource.deployed;
  }
}
