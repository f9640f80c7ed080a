import { Construct } from 'constructs';
import { Cloud, isCloud } from '../core/cloud';
import { ErrorCode, MlopsValidationError, messages } from '../core/errors';
import { loadCloud } from '../private/peers';
import { EndpointAlertsProps, IEndpointAlerts } from './common';

/**
 * Production alerts of a scoring endpoint and its training job — error rate,
 * latency p95, no traffic, job failure — notifying the email and webhook
 * receivers. Cloud-neutral props; the cloud's own construct
 * ({@link AwsEndpointAlerts}, {@link AzureEndpointAlerts},
 * {@link GcpEndpointAlerts}) is chosen by `platform.cloud`.
 */
export class EndpointAlerts extends Construct implements IEndpointAlerts {
  /** The cloud the alerts live on. */
  public readonly cloud: Cloud;
  /** Alert names: error rate, latency p95, no traffic, training failure. */
  public readonly alertNames: readonly string[];
  /** SNS topic ARN, action group id, or notification channel ids. */
  public readonly notificationTargets: readonly string[];
  /** The cloud's own construct. */
  public readonly resource: IEndpointAlerts;

  constructor(scope: Construct, id: string, props: EndpointAlertsProps) {
    super(scope, id);
    const cloud: unknown = props?.platform?.cloud;
    if (!isCloud(cloud)) {
      throw new MlopsValidationError('Invalid EndpointAlerts props:', [
        {
          code: ErrorCode.PROP_INVALID,
          path: this.node.path,
          message: messages.propInvalid(
            'EndpointAlerts',
            'platform',
            props?.platform?.node?.path ?? props?.platform,
            'the ML platform (AzureMlPlatform, AwsMlPlatform or GcpMlPlatform) the endpoint runs on',
          ),
        },
      ]);
    }
    switch (cloud) {
      // Only the platform's cloud's module (and provider package) is loaded.
      case 'aws': {
        const { AwsEndpointAlerts } = loadCloud('aws', 'EndpointAlerts', () => require('./aws') as typeof import('./aws'));
        this.resource = new AwsEndpointAlerts(this, 'Resource', props);
        break;
      }
      case 'azure': {
        const { AzureEndpointAlerts } = loadCloud('azure', 'EndpointAlerts', () => require('./azure') as typeof import('./azure'));
        this.resource = new AzureEndpointAlerts(this, 'Resource', props);
        break;
      }
      case 'gcp': {
        const { GcpEndpointAlerts } = loadCloud('gcp', 'EndpointAlerts', () => require('./gcp') as typeof import('./gcp'));
        this.resource = new GcpEndpointAlerts(this, 'Resource', props);
        break;
      }
    }
    this.cloud = this.resource.cloud;
    this.alertNames = this.resource.alertNames;
    this.notificationTargets = this.resource.notificationTargets;
  }
}
