import type { TokenCredential } from '@azure/core-auth';
import { ReleaseError } from '../driver';

/**
 * The credential the Azure release step signs in with.
 *
 * In a GitHub Actions job with `id-token: write`, a `ClientAssertionCredential`
 * of `@azure/identity` whose assertion is a GitHub OIDC token fetched afresh
 * (audience `api://AzureADTokenExchange`) every time Entra ID needs one: the
 * release step waits for training and bakes rollouts for longer than a GitHub
 * OIDC token lives, and the Azure CLI credential that `azure/login` leaves
 * behind cannot get a new access token once its assertion has expired
 * (Azure/azure-cli#28708). Elsewhere, `DefaultAzureCredential` (environment,
 * workload identity, managed identity, Azure CLI, …).
 */

/** The audience GitHub's OIDC token must carry for an Entra federated credential. */
export const GITHUB_FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';

/** Where the values come from: the Actions runtime and the deploy workflow's sign-in variables. */
export const GITHUB_OIDC_ENV = {
  requestUrl: 'ACTIONS_ID_TOKEN_REQUEST_URL',
  requestToken: 'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  /** AZURE_CLIENT_ID, else ARM_CLIENT_ID (what the deploy workflow exports for Terraform). */
  clientId: ['AZURE_CLIENT_ID', 'ARM_CLIENT_ID'],
  tenantId: ['AZURE_TENANT_ID', 'ARM_TENANT_ID'],
  authorityHost: 'AZURE_AUTHORITY_HOST',
} as const;

/** Options of {@link releaseCredential}. */
export interface ReleaseCredentialOptions {
  /** CA certificates (PEM) the sign-in endpoint's certificate must chain to (tests, private CAs). @default - the public CAs */
  readonly trustedCa?: string | readonly string[];
}

function first(env: NodeJS.ProcessEnv, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/** Fetches a new GitHub OIDC token for Entra ID from the Actions runtime. */
export async function githubOidcToken(env: NodeJS.ProcessEnv): Promise<string> {
  const requestUrl = env[GITHUB_OIDC_ENV.requestUrl];
  const requestToken = env[GITHUB_OIDC_ENV.requestToken];
  if (!requestUrl || !requestToken) {
    throw new ReleaseError(
      `${GITHUB_OIDC_ENV.requestUrl} and ${GITHUB_OIDC_ENV.requestToken} are not set: this is not a GitHub Actions job with "permissions: id-token: write". Fix: grant id-token: write to the deploy job.`,
      'SIGN_IN_FAILED',
    );
  }
  const url = new URL(requestUrl);
  url.searchParams.set('audience', GITHUB_FEDERATION_AUDIENCE);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' } });
  } catch (err) {
    throw new ReleaseError(`Requesting a GitHub OIDC token failed: ${(err as Error).message}`, 'SIGN_IN_FAILED', err);
  }
  const text = await response.text();
  if (!response.ok) {
    throw new ReleaseError(`Requesting a GitHub OIDC token failed (HTTP ${response.status}): ${text.slice(0, 200)}`, 'SIGN_IN_FAILED');
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string' || value === '') {
    throw new ReleaseError('The GitHub OIDC token response has no "value".', 'SIGN_IN_FAILED');
  }
  return value;
}

/** True when the environment is a GitHub Actions job that can sign in to Entra ID with OIDC. */
export function hasGithubOidc(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env[GITHUB_OIDC_ENV.requestUrl] && env[GITHUB_OIDC_ENV.requestToken] && first(env, GITHUB_OIDC_ENV.clientId) && first(env, GITHUB_OIDC_ENV.tenantId));
}

/**
 * The release step's credential for `env` (see the module comment). Loaded
 * on first use: msal is large, and tests pass their own credential.
 */
export function releaseCredential(env: NodeJS.ProcessEnv, options: ReleaseCredentialOptions = {}): TokenCredential {
  const identity = require('@azure/identity') as typeof import('@azure/identity');
  const tls = options.trustedCa ? { tlsOptions: { ca: typeof options.trustedCa === 'string' ? options.trustedCa : [...options.trustedCa] } } : {};
  if (hasGithubOidc(env)) {
    const authorityHost = env[GITHUB_OIDC_ENV.authorityHost]?.trim();
    return new identity.ClientAssertionCredential(first(env, GITHUB_OIDC_ENV.tenantId)!, first(env, GITHUB_OIDC_ENV.clientId)!, () => githubOidcToken(env), {
      // An explicit authority (a sovereign or private cloud) is taken as given, without instance discovery on login.microsoftonline.com.
      ...(authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {}),
      ...tls,
    });
  }
  return new identity.DefaultAzureCredential(tls);
}
