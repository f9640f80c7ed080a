import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Fn, ITerraformDependable, TerraformStack } from 'cdktf';
import { AzureMlPlatform } from '../../azure/platform';
import { IMlPlatform, IWorkloadIdentity } from '../../core/contracts';
import { ErrorCode, MlopsValidationError, messages } from '../../core/errors';

/**
 * What the Azure release steps hand the `mlops release` driver: the
 * workspace and the identity jobs and deployments run as (the `azure` section
 * of a release spec). Only names, ids and plain values; credentials come from
 * the deployer's environment (DefaultAzureCredential).
 */
export interface AzureReleaseTarget {
  /** Subscription of the workspace (taken from the workspace's ARM id). */
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
  /** Azure region of the workspace. */
  readonly location: string;
  /** The user-assigned identity jobs and deployments run as. */
  readonly identity: { readonly resourceId: string; readonly clientId: string };
  /**
   * Workspace settings azurerm cannot set, which the release step applies
   * (idempotently) before it runs a job or rolls out an endpoint: identity-based
   * access to the system datastores (the storage account has shared keys
   * off), and, while the workspace is open to allowed ranges only, its public
   * access with those IP rules.
   */
  readonly workspace: AzureWorkspaceSettings;
}

/** The `workspace` part of the Azure target. */
export interface AzureWorkspaceSettings {
  /** How Azure ML authenticates to the workspace's system datastores. */
  readonly systemDatastoresAuthMode: 'identity' | 'accessKey';
  /** The public ranges the workspace accepts (Azure ML "enabled from selected IP addresses"); absent: Terraform's setting stays. */
  readonly allowedIpRanges?: readonly string[];
}

/** The routes and port the runtime's scoring server answers Azure ML on (training-image/src/serve/README.md). */
export const AZURE_INFERENCE_ROUTES = {
  port: 8080,
  liveness: '/',
  readiness: '/ready',
  scoring: '/score',
} as const;

/** Tag keys the release steps put on what they create, and find it again by. */
export const AZURE_RELEASE_TAGS = {
  release: 'mlops.release',
  revision: 'mlops.revision',
  config: 'mlops.config',
} as const;

/** Narrows the platform to {@link AzureMlPlatform}, with a clear error otherwise. */
export function azurePlatformOf(construct: string, path: string, platform: IMlPlatform | undefined): AzureMlPlatform {
  if (platform instanceof AzureMlPlatform) return platform;
  const got = platform === undefined ? undefined : `${platform.constructor?.name ?? 'object'} (cloud ${String(platform.cloud)})`;
  throw new MlopsValidationError(`Invalid ${construct} props:`, [
    {
      code: platform && platform.cloud !== 'azure' ? ErrorCode.CLOUD_MISMATCH : ErrorCode.PROP_INVALID,
      path,
      message: messages.propInvalid(
        construct,
        'platform',
        got,
        "an AzureMlPlatform (it needs the compute cluster, the artifact store's storage account and the workload identity's client id). Fix: pass the platform created by createPlatform() for an azure config, or new AzureMlPlatform(...)",
      ),
    },
  ]);
}

/** The release target of a platform. */
export function azureTargetOf(platform: AzureMlPlatform): AzureReleaseTarget {
  return {
    // `/subscriptions/<id>/resourceGroups/…`: the subscription the workspace
    // really lives in, without another data source.
    subscriptionId: Fn.element(Fn.split('/', platform.workspace.workspaceId), 2),
    resourceGroup: platform.resourceGroup.resourceGroupName,
    workspaceName: platform.workspace.workspaceName,
    location: platform.workspace.region,
    identity: { resourceId: platform.identity.identityId, clientId: platform.identity.clientId },
    workspace: {
      systemDatastoresAuthMode: platform.workspace.systemDatastoresAuthMode,
      ...(platform.workspace.inboundAccess === 'allowedRanges' ? { allowedIpRanges: [...platform.workspace.allowedIpRanges] } : {}),
    },
  };
}

/**
 * Every role assignment of `identity` in the platform's stack (grants on
 * imported stores live under the imports, outside the platform): the release
 * steps wait for them, so a job never starts before it may read its data.
 */
export function roleAssignmentsOf(platform: AzureMlPlatform, identity: IWorkloadIdentity): ITerraformDependable[] {
  return TerraformStack.of(platform)
    .node.findAll()
    .filter((c): c is RoleAssignment => c instanceof RoleAssignment && c.principalIdInput === identity.principal);
}
