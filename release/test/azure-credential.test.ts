import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { GITHUB_FEDERATION_AUDIENCE, hasGithubOidc, releaseCredential } from '../src/azure/credential';
import { selfSignedCertificate } from './fixtures/azure/fake-arm';

/**
 * Finding 10: the release step signs in to Azure with a GitHub OIDC token it
 * fetches afresh each time Entra ID needs one (`ClientAssertionCredential` of
 * @azure/identity), so a job longer than a GitHub token's life still gets
 * access tokens — unlike the Azure CLI credential `azure/login` leaves behind
 * (Azure/azure-cli#28708). Tested against loopback stand-ins of the Actions
 * token endpoint (HTTP) and of Entra ID (HTTPS, self-signed certificate).
 */

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = '6f3c2a1e-8d4b-4c59-9a7e-2b1d0c9e8f7a';
const REQUEST_TOKEN = 'actions-request-token';

interface GithubCall {
  readonly url: URL;
  readonly authorization: string | undefined;
}
interface EntraCall {
  readonly path: string;
  readonly form: URLSearchParams;
}

let github: http.Server;
let entra: https.Server;
let githubUrl = '';
let entraUrl = '';
let ca = '';
let tlsDir = '';
const githubCalls: GithubCall[] = [];
const entraCalls: EntraCall[] = [];
let issued = 0;

beforeAll(async () => {
  github = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    githubCalls.push({ url, authorization: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${REQUEST_TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"bad request token"}');
      return;
    }
    issued++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: `github-oidc-jwt-${issued}` }));
  });
  await new Promise<void>((r) => github.listen(0, '127.0.0.1', r));
  githubUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}/_apis/idtoken?api-version=2.0`;

  const tls = selfSignedCertificate();
  ca = tls.cert;
  tlsDir = tls.dir;
  entra = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'GET' && path === `/${TENANT}/v2.0/.well-known/openid-configuration`) {
        return json(200, {
          token_endpoint: `${entraUrl}/${TENANT}/oauth2/v2.0/token`,
          authorization_endpoint: `${entraUrl}/${TENANT}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${entraUrl}/${TENANT}/oauth2/v2.0/logout`,
          issuer: `${entraUrl}/${TENANT}/v2.0`,
          jwks_uri: `${entraUrl}/${TENANT}/discovery/v2.0/keys`,
        });
      }
      if (req.method === 'POST' && path === `/${TENANT}/oauth2/v2.0/token`) {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        entraCalls.push({ path, form });
        // Short-lived, so that the credential must come back for the next call.
        return json(200, { token_type: 'Bearer', expires_in: 60, ext_expires_in: 60, access_token: `arm-token-${entraCalls.length}` });
      }
      return json(404, { error: 'not_found', error_description: path });
    });
  });
  await new Promise<void>((r) => entra.listen(0, '127.0.0.1', r));
  entraUrl = `https://127.0.0.1:${(entra.address() as AddressInfo).port}`;
});

afterAll(async () => {
  github.closeAllConnections();
  entra.closeAllConnections();
  await new Promise<void>((r) => github.close(() => r()));
  await new Promise<void>((r) => entra.close(() => r()));
  fs.rmSync(tlsDir, { recursive: true, force: true });
});

function actionsEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ACTIONS_ID_TOKEN_REQUEST_URL: githubUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
    // What the deploy workflow exports for Terraform (ARM_*); AZURE_* would win.
    ARM_CLIENT_ID: CLIENT,
    ARM_TENANT_ID: TENANT,
    AZURE_AUTHORITY_HOST: entraUrl,
    ...extra,
  };
}

describe('releaseCredential', () => {
  test('GIVEN a GitHub Actions job with id-token: write WHEN Azure tokens are requested twice THEN each sign-in uses a GitHub OIDC token fetched for it, with the Entra audience', async () => {
    const credential = releaseCredential(actionsEnv(), { trustedCa: ca });
    const first = await credential.getToken('https://management.azure.com/.default');
    const second = await credential.getToken('https://management.azure.com/.default');

    expect(first?.token).toBe('arm-token-1');
    expect(second?.token).toBe('arm-token-2');
    // The Actions token endpoint: asked again for every sign-in (MSAL may ask for an assertion more than once per sign-in), with the request token and the audience.
    expect(githubCalls.length).toBeGreaterThanOrEqual(2);
    for (const call of githubCalls) {
      expect(call.authorization).toBe(`Bearer ${REQUEST_TOKEN}`);
      expect(call.url.searchParams.get('audience')).toBe(GITHUB_FEDERATION_AUDIENCE);
      expect(call.url.searchParams.get('api-version')).toBe('2.0');
    }
    // Entra ID: the client credentials grant with the fresh GitHub token as the client assertion.
    const assertions = entraCalls.map((c) => c.form.get('client_assertion'));
    expect(assertions).toHaveLength(2);
    expect(new Set(assertions).size).toBe(2);
    for (const a of assertions) expect(a).toMatch(/^github-oidc-jwt-\d+$/);
    // The second sign-in used a token issued after the first sign-in: never a stored, possibly expired one.
    expect(Number(assertions[1]!.split('-').pop())).toBeGreaterThan(Number(assertions[0]!.split('-').pop()));
    for (const call of entraCalls) {
      expect(call.form.get('grant_type')).toBe('client_credentials');
      expect(call.form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      expect(call.form.get('client_id')).toBe(CLIENT);
      expect(call.form.get('scope')).toContain('https://management.azure.com/.default');
    }
  });

  test('GIVEN the OIDC request variables without a client id WHEN checked THEN GitHub OIDC is not used (DefaultAzureCredential is)', () => {
    expect(hasGithubOidc(actionsEnv())).toBe(true);
    expect(hasGithubOidc(actionsEnv({ ARM_CLIENT_ID: '' }))).toBe(false);
    expect(hasGithubOidc({ AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT })).toBe(false);
    expect(releaseCredential({}).constructor.name).toBe('DefaultAzureCredential');
    expect(releaseCredential(actionsEnv()).constructor.name).toBe('ClientAssertionCredential');
  });

  test("GIVEN a request token the Actions endpoint refuses WHEN a token is requested THEN the sign-in fails with the endpoint's answer", async () => {
    const credential = releaseCredential(actionsEnv({ ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' }), { trustedCa: ca });
    await expect(credential.getToken('https://management.azure.com/.default')).rejects.toThrow(/GitHub OIDC token failed \(HTTP 401\)/);
  });
});
