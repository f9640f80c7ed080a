import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { StackConfig } from '../config/schema';
import { Cloud } from '../core/cloud';
import { IMlPlatform } from '../core/contracts';
import { ErrorCode, MlopsValidationError, ValidationIssue, withArticle } from '../core/errors';
import { Naming, NamingParts } from '../core/naming';
import { loadCloud } from '../private/peers';
import type { AwsGithubCiIdentity } from './aws';
import type { AzureGithubCiIdentity } from './azure';
import type { GcpGithubCiIdentity } from './gcp';
import { GithubRepositoryProps, GithubSubject } from './github';

/** What {@link createCiIdentity} needs besides the platform and the `ci` section. */
export interface CiIdentityOptions {
  /** The naming helper, or the parts to build one from. */
  readonly naming: Naming | NamingParts;
  /**
   * Tags (labels on GCP), besides the platform's own.
   * @default - company, project, environment and managed-by only
   */
  readonly tags?: Readonly<Record<string, string>>;
  /** Azure account identity (required on Azure). */
  readonly azure?: { readonly subscriptionId: string; readonly tenantId: string };
  /** AWS account (required on AWS), and the account's existing GitHub OIDC provider, if any. */
  readonly aws?: { readonly accountId: string; readonly existingProviderArn?: string };
  /** GCP project (required on GCP). */
  readonly gcp?: { readonly projectId: string; readonly poolId?: string };
  /**
   * The stack's state backend: CI gets access to the state (azurerm, s3) where it can be scoped.
   * @default - none
   */
  readonly backend?: StackConfig['backend'];
  /**
   * The stack runs the release step (a `deployment:` section): grant what it needs.
   * @default false
   */
  readonly release?: boolean;
  /**
   * The stack has alerts (an `alerts:` section): grant what they need.
   * @default false
   */
  readonly alerts?: boolean;
  /**
   * The stack runs a pipeline (`deployment.pipeline`): grant what continuous training needs
   * (read by the AWS identity only; the Azure and GCP identities do not read it).
   * @default false
   */
  readonly pipeline?: boolean;
}

/** The CI identity {@link createCiIdentity} built. */
export interface CiIdentity {
  /** The cloud it belongs to. */
  readonly cloud: Cloud;
  /** The construct. */
  readonly construct: AzureGithubCiIdentity | AwsGithubCiIdentity | GcpGithubCiIdentity;
  /**
   * Exactly the values the cloud's official login action needs, by stack
   * output name (see `CI_LOGIN_VALUES`): add one `TerraformOutput` per entry.
   */
  readonly outputs: Record<string, string>;
  /** The `sub` claims trusted. */
  readonly subjects: readonly GithubSubject[];
}

/** The options a validated stack config means. */
export function ciOptionsFromConfig(config: StackConfig): CiIdentityOptions {
  return {
    naming: config.naming,
    tags: config.tags,
    azure: config.azure,
    aws: config.aws,
    gcp: config.gcp,
    backend: config.backend,
    release: config.deployment !== undefined,
    alerts: config.alerts !== undefined,
    pipeline: config.deployment?.pipeline !== undefined,
  };
}

const BACKEND_OF: Record<Cloud, string> = { azure: 'azurerm', aws: 's3', gcp: 'gcs' };

/**
 * Builds the keyless CI identity of the platform's cloud from the config's
 * `ci` section: {@link AzureGithubCiIdentity}, {@link AwsGithubCiIdentity} or
 * {@link GcpGithubCiIdentity}. Returns `undefined` when `ci` is not set.
 * The result's `outputs` are the values for the repository variables the
 * shipped `deploy.yml` reads.
 */
export function createCiIdentity(scope: Construct, id: string, platform: IMlPlatform, ci: StackConfig['ci'], options: CiIdentityOptions): CiIdentity | undefined {
  if (!ci) return undefined;
  // `subjectRepository` is read when the config schema has it (immutable subject claims).
  const extra = ci.github as { readonly subjectRepository?: unknown };
  const github: GithubRepositoryProps = {
    repository: ci.github.repository,
    branches: ci.github.branches,
    environments: ci.github.environments,
    pullRequests: ci.github.pullRequests,
    ...(typeof extra.subjectRepository === 'string' ? { subjectRepository: extra.subjectRepository } : {}),
  };
  const common = { ...github, naming: options.naming, tags: options.tags };
  const backend = options.backend;
  const problems: ValidationIssue[] = [];
  const missing = (field: string, fix: string): void => {
    problems.push({ code: ErrorCode.CONFIG_INVALID, path: field, message: `is required for the ${platform.cloud} CI identity. Fix: ${fix}` });
  };
  const wrongPlatform = (expected: string): never => {
    throw new MlopsValidationError('Invalid createCiIdentity arguments:', [
      {
        code: ErrorCode.CLOUD_MISMATCH,
        path: scope.node.path,
        message: `createCiIdentity needs the ${expected} that createPlatform builds for cloud ${platform.cloud}; got ${platform.constructor?.name ?? typeof platform}. Fix: pass the platform createPlatform returned.`,
      },
    ]);
  };

  let construct: AzureGithubCiIdentity | AwsGithubCiIdentity | GcpGithubCiIdentity;
  switch (platform.cloud) {
    // Only the platform's cloud's modules (and provider package) are loaded.
    case 'azure': {
      const { AzureMlPlatform } = loadCloud('azure', 'createCiIdentity', () => require('../azure/platform') as typeof import('../azure/platform'));
      const { AzureGithubCiIdentity } = require('./azure') as typeof import('./azure');
      if (!(platform instanceof AzureMlPlatform)) return wrongPlatform('AzureMlPlatform');
      if (!options.azure) missing('azure', 'add azure: { subscriptionId, tenantId } to the config');
      if (problems.length > 0) throw new MlopsValidationError('Invalid CI config:', problems);
      construct = new AzureGithubCiIdentity(scope, id, {
        ...common,
        platform,
        subscriptionId: options.azure!.subscriptionId,
        tenantId: options.azure!.tenantId,
        stateBackend:
          backend?.type === 'azurerm'
            ? { resourceGroupName: backend.resourceGroupName, storageAccountName: backend.storageAccountName, containerName: backend.containerName }
            : undefined,
      });
      break;
    }
    case 'aws': {
      const { AwsMlPlatform } = loadCloud('aws', 'createCiIdentity', () => require('../aws/platform') as typeof import('../aws/platform'));
      const { AwsGithubCiIdentity } = require('./aws') as typeof import('./aws');
      if (!(platform instanceof AwsMlPlatform)) return wrongPlatform('AwsMlPlatform');
      if (!options.aws) missing('aws', 'add aws: { accountId } to the config');
      if (problems.length > 0) throw new MlopsValidationError('Invalid CI config:', problems);
      construct = new AwsGithubCiIdentity(scope, id, {
        ...common,
        platform,
        accountId: options.aws!.accountId,
        existingProviderArn: options.aws!.existingProviderArn,
        release: options.release ?? false,
        alerts: options.alerts ?? false,
        pipeline: options.pipeline ?? false,
        stateBackend: backend?.type === 's3' ? { bucket: backend.bucket, key: backend.key, region: backend.region, dynamodbTable: backend.dynamodbTable } : undefined,
      });
      break;
    }
    case 'gcp': {
      const { GcpMlPlatform } = loadCloud('gcp', 'createCiIdentity', () => require('../gcp/platform') as typeof import('../gcp/platform'));
      const { GcpGithubCiIdentity } = require('./gcp') as typeof import('./gcp');
      if (!(platform instanceof GcpMlPlatform)) return wrongPlatform('GcpMlPlatform');
      if (!options.gcp) missing('gcp', 'add gcp: { projectId } to the config');
      if (problems.length > 0) throw new MlopsValidationError('Invalid CI config:', problems);
      construct = new GcpGithubCiIdentity(scope, id, {
        ...common,
        platform,
        projectId: options.gcp!.projectId,
        poolId: options.gcp!.poolId,
        release: options.release ?? false,
        alerts: options.alerts ?? false,
      });
      break;
    }
  }

  if (!backend || backend.type === 'local') {
    Annotations.of(construct).addWarning(
      'The stack keeps its state in a local file: every CI run starts without it and would try to create the platform again. ' +
        `Fix: configure ${withArticle(BACKEND_OF[platform.cloud])} backend (backend: in the config) before deploying from CI.`,
    );
  } else if (backend.type !== BACKEND_OF[platform.cloud]) {
    Annotations.of(construct).addWarning(
      `The state backend is ${backend.type}, not ${BACKEND_OF[platform.cloud]}: the CI identity gets no access to it, and the deploy job needs credentials for it too.`,
    );
  }

  return { cloud: platform.cloud, construct, outputs: construct.outputs, subjects: construct.subjects };
}
