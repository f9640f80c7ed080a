import { DockerProvider, DockerProviderRegistryAuth } from '@cdktf/provider-docker/lib/provider';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { IMlPlatform } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { loadCloud } from '../private/peers';

/** Username Artifact Registry accepts with an OAuth access token as the password. */
export const GCP_REGISTRY_USERNAME = 'oauth2accesstoken';
/** Username ACR accepts with an ACR refresh token (`az acr login --expose-token`) as the password. */
export const AZURE_REGISTRY_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';

/** Options of {@link dockerProviderFor}. */
export interface DockerProviderForOptions {
  /**
   * The registry host to authenticate to.
   * @default - AWS: the ECR endpoint of the token; Azure: `<registryName>.azurecr.io`;
   * GCP: the repository's host, `<location>-docker.pkg.dev`
   */
  readonly registryHost?: string;
  /**
   * Construct id of the provider.
   * @default 'docker'
   */
  readonly id?: string;
}

/**
 * Adds the docker provider to a stack, with credentials for the platform's
 * image registry, for {@link RuntimeImage} to build and push with. Call it from
 * the stack, next to the cloud provider (constructs never create providers).
 * The Docker engine is the local one (`DOCKER_HOST` or the default socket).
 *
 * - AWS: `data aws_ecr_authorization_token` (valid 12 h) feeds `registry_auth`.
 * - GCP: `data google_client_config`'s access token (about 1 h) with username `oauth2accesstoken`.
 * - Azure: the registry has no admin user, and no Terraform data source issues an
 *   Entra ACR token, so credentials come from the environment of `cdktf deploy`:
 *   `DOCKER_REGISTRY_USER=00000000-0000-0000-0000-000000000000` and
 *   `DOCKER_REGISTRY_PASS=$(az acr login --name <registry> --expose-token --query accessToken -o tsv)`
 *   (the provider's defaults for `username`/`password`); without them, the provider
 *   reads `~/.docker/config.json`. Nothing secret is written to the synthesized JSON.
 */
export function dockerProviderFor(stack: Construct, platform: IMlPlatform, options: DockerProviderForOptions = {}): DockerProvider {
  const issues = new IssueCollector();
  if (options.registryHost !== undefined && !Token.isUnresolved(options.registryHost) && !/^[a-z0-9.-]+(:\d+)?$/i.test(options.registryHost)) {
    issues.add(
      ErrorCode.PROP_INVALID,
      stack.node.path,
      messages.propInvalid('dockerProviderFor', 'registryHost', options.registryHost, 'a registry host name without scheme or path, e.g. "contosoacr.azurecr.io"'),
    );
  }
  issues.throwIfAny('Invalid dockerProviderFor options:');

  return new DockerProvider(stack, options.id ?? 'docker', { registryAuth: [registryAuthFor(stack, platform, options.registryHost)] });
}

function registryAuthFor(stack: Construct, platform: IMlPlatform, host: string | undefined): DockerProviderRegistryAuth {
  switch (platform.cloud) {
    // Only the platform's cloud's data source module is loaded.
    case 'aws': {
      const { DataAwsEcrAuthorizationToken } = loadCloud(
        'aws',
        'dockerProviderFor',
        () => require('@cdktf/provider-aws/lib/data-aws-ecr-authorization-token') as typeof import('@cdktf/provider-aws/lib/data-aws-ecr-authorization-token'),
      );
      const token = new DataAwsEcrAuthorizationToken(stack, 'docker_registry_token', {});
      return { address: host ?? token.proxyEndpoint, username: token.userName, password: token.password };
    }
    case 'gcp': {
      const { DataGoogleClientConfig } = loadCloud(
        'gcp',
        'dockerProviderFor',
        () => require('@cdktf/provider-google/lib/data-google-client-config') as typeof import('@cdktf/provider-google/lib/data-google-client-config'),
      );
      const client = new DataGoogleClientConfig(stack, 'docker_registry_token', {});
      // The host of the repository itself (`<location>-docker.pkg.dev`): an existing repository may be in another location (a multi-region).
      return { address: host ?? platform.imageRegistry.imageUri.split('/')[0]!, username: GCP_REGISTRY_USERNAME, password: client.accessToken };
    }
    case 'azure':
      // Username and password stay unset: the provider then takes DOCKER_REGISTRY_USER /
      // DOCKER_REGISTRY_PASS, else ~/.docker/config.json (see the README for why not `az acr login` alone).
      return { address: host ?? `${platform.imageRegistry.registryName}.azurecr.io` };
  }
}
