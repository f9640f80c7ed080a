import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud } from '../core/cloud';
import { loadCloud } from '../private/peers';
import { IScoringEndpoint, ScoringEndpointProps } from './contracts';

/**
 * A scoring endpoint serving a {@link TrainingJob}'s model version with the
 * runtime image, with autoscaling, blue/green rollout and alarms. Cloud-neutral
 * props; the cloud's own construct is chosen by `platform.cloud`.
 */
export class ScoringEndpoint extends Construct implements IScoringEndpoint {
  /** The cloud the endpoint runs on. */
  public readonly cloud: Cloud;
  /** The endpoint's name on the cloud. */
  public readonly endpointName: string;
  /** The URL a client posts scoring requests to. */
  public readonly endpointUrl: string;
  /** ARN / ARM resource id / Vertex resource name: what alerts scope to. */
  public readonly endpointId: string;
  /** The model version (revision) it serves. */
  public readonly modelVersion: string;
  /** What must exist before alerts and other consumers (the endpoint and its rollout). */
  public readonly deployed: ITerraformDependable;
  /** The cloud's own construct. */
  public readonly resource: IScoringEndpoint;

  constructor(scope: Construct, id: string, props: ScoringEndpointProps) {
    super(scope, id);
    switch (props.platform.cloud) {
      // Only the platform's cloud's module (and provider package) is loaded.
      case 'aws': {
        const { AwsScoringEndpoint } = loadCloud('aws', 'ScoringEndpoint', () => require('./aws/scoring-endpoint') as typeof import('./aws/scoring-endpoint'));
        this.resource = new AwsScoringEndpoint(this, 'Resource', props);
        break;
      }
      case 'azure': {
        const { AzureScoringEndpoint } = loadCloud('azure', 'ScoringEndpoint', () => require('./azure/scoring-endpoint') as typeof import('./azure/scoring-endpoint'));
        this.resource = new AzureScoringEndpoint(this, 'Resource', props);
        break;
      }
      case 'gcp': {
        const { GcpScoringEndpoint } = loadCloud('gcp', 'ScoringEndpoint', () => require('./gcp/scoring-endpoint') as typeof import('./gcp/scoring-endpoint'));
        this.resource = new GcpScoringEndpoint(this, 'Resource', props);
        break;
      }
    }
    this.cloud = this.resource.cloud;
    this.endpointName = this.resource.endpointName;
    this.endpointUrl = this.resource.endpointUrl;
    this.endpointId = this.resource.endpointId;
    this.modelVersion = this.resource.modelVersion;
    this.deployed = this.resource.deployed;
  }
}
