import { ReleaseDriver } from './driver';

/**
 * The driver of a cloud, loaded on first use so one cloud's release never
 * loads the other clouds' SDKs.
 */
export function driverFor(cloud: 'azure' | 'aws' | 'gcp'): ReleaseDriver {
  switch (cloud) {
    case 'aws':
      return (require('./aws') as typeof import('./aws')).awsDriver;
    case 'azure':
      return (require('./azure') as typeof import('./azure')).azureDriver;
    case 'gcp':
      return (require('./gcp') as typeof import('./gcp')).gcpDriver;
  }
}
