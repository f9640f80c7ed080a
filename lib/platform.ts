import { Construct } from 'constructs';
import { PlatformConfigCode, toStackConfig } from './config/define';
import { StackConfig } from './config/schema';
import { Naming } from './core/naming';
import { IMlPlatform } from './core/contracts';
import { PlatformBaseProps } from './core/platform-props';
import { ComputeSize } from './core/sizes';
import { loadCloud } from './private/peers';

/** The cloud-neutral platform props a validated stack config means. */
export function platformPropsFromConfig(config: StackConfig): PlatformBaseProps {
  const training = config.compute.training;
  return {
    naming: new Naming(config.naming),
    tags: config.tags,
    network: config.network,
    deployers: config.deployers,
    retainData: config.protection.retainData,
    training: {
      size: ComputeSize.of(training.size, training.instanceType),
      maxNodes: training.maxNodes,
      lowPriority: training.lowPriority,
    },
  };
}

/**
 * Builds the platform of the cloud the config names. This is the one place
 * that switches on `cloud`; everything downstream uses {@link IMlPlatform}.
 * Only that cloud's modules (and provider package) are loaded.
 *
 * The config is a validated one (`loadConfig`, `parseConfig`, `defineConfig`)
 * or written in code, which is then validated with the YAML config's rules,
 * messages and defaults:
 *
 * @example createPlatform(stack, 'Platform', { cloud: 'aws', naming: { company: 'fabrikam', project: 'churn', environment: 'prod' }, region: 'eu-central-1', aws: { accountId: '210987654321' } })
 * @throws MlopsValidationError listing every problem of a config written in code
 */
export function createPlatform(scope: Construct, id: string, config: StackConfig | PlatformConfigCode): IMlPlatform {
  const validated = toStackConfig(config, `createPlatform ${scope.node.path ? `${scope.node.path}/` : ''}${id}`);
  return createPlatformFromConfig(scope, id, validated);
}

function createPlatformFromConfig(scope: Construct, id: string, config: StackConfig): IMlPlatform {
  const base = platformPropsFromConfig(config);
  switch (config.cloud) {
    case 'azure': {
      const { AzureMlPlatform } = loadCloud('azure', 'createPlatform', () => require('./azure/platform') as typeof import('./azure/platform'));
      return new AzureMlPlatform(scope, id, { ...base, region: config.region, tenantId: config.azure!.tenantId });
    }
    case 'aws': {
      const { AwsMlPlatform } = loadCloud('aws', 'createPlatform', () => require('./aws/platform') as typeof import('./aws/platform'));
      return new AwsMlPlatform(scope, id, { ...base, region: config.region, accountId: config.aws!.accountId });
    }
    case 'gcp': {
      const { GcpMlPlatform } = loadCloud('gcp', 'createPlatform', () => require('./gcp/platform') as typeof import('./gcp/platform'));
      return new GcpMlPlatform(scope, id, { ...base, region: config.region, projectId: config.gcp!.projectId });
    }
  }
}
