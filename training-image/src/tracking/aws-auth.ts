/**
 * AWS request signing for the MLflow REST client (`mlflow-rest.ts`), loaded
 * only when a step logs to a SageMaker managed MLflow tracking server: the
 * official signer (`@smithy/signature-v4`, SigV4 with a SHA-256 from
 * `node:crypto`) and the role's credentials as an AWS SDK finds them in a
 * container (`@smithy/credential-provider-imds`).
 *
 * What the `sagemaker-mlflow` plugin (aws/sagemaker-mlflow, 0.3.0:
 * `auth.py`, `auth_provider.py`, `mlflow_sagemaker_request_header_provider.py`)
 * does, and this module does the same: every request is signed with SigV4 for
 * the service `sagemaker-mlflow` in the region of the tracking server's ARN,
 * carries `x-amz-content-sha256` (the body's SHA-256) and the routing header
 * `x-mlflow-sm-tracking-server-arn: <ARN>`, both signed; the credentials are
 * boto3's default chain (`boto3.Session().get_credentials()`).
 */
import { createHash, createHmac, Hash, Hmac } from 'crypto';

/** The SigV4 signing name of a SageMaker MLflow tracking server (`auth_provider.py`, resource type `mlflow-tracking-server`). */
export const MLFLOW_SIGNING_SERVICE = 'sagemaker-mlflow';
/** The header that routes a request to a tracking server (`mlflow_sagemaker_request_header_provider.py`). */
export const TRACKING_SERVER_ARN_HEADER = 'x-mlflow-sm-tracking-server-arn';
/** Milliseconds a credential endpoint may take per attempt (the AWS SDKs' default is 1000). */
export const CREDENTIALS_TIMEOUT_MS = 1000;
/** Retries of a credential endpoint (the AWS SDKs' default is none; a container's endpoint may be starting). */
export const CREDENTIALS_RETRIES = 2;

/** AWS credentials (the shape of `@smithy/types` `AwsCredentialIdentity`). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** A function giving the credentials to sign with. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/**
 * SHA-256 and HMAC-SHA-256 for the signer, on `node:crypto` (the shape of
 * `@smithy/types` `Checksum`: a key makes it an HMAC).
 */
export class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/**
 * The credentials of the role the container runs as, found the way an AWS
 * SDK's default chain finds them in a container: `AWS_ACCESS_KEY_ID` /
 * `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`) in the environment, else the
 * container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on
 * 169.254.170.2, or `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN`), else the instance metadata service
 * (IMDSv2, then v1; `AWS_EC2_METADATA_SERVICE_ENDPOINT` overrides the
 * address). The endpoint providers read `process.env` (as the SDKs do).
 * The result is fetched once and reused until five minutes before it expires.
 */
export function defaultAwsCredentials(env: NodeJS.ProcessEnv = process.env): AwsCredentialsProvider {
  let cached: AwsCredentials | undefined;
  return async () => {
    if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > 5 * 60_000)) return cached;
    const id = env.AWS_ACCESS_KEY_ID?.trim();
    const secret = env.AWS_SECRET_ACCESS_KEY?.trim();
    if (id && secret) {
      cached = { accessKeyId: id, secretAccessKey: secret, ...(env.AWS_SESSION_TOKEN?.trim() ? { sessionToken: env.AWS_SESSION_TOKEN.trim() } : {}) };
      return cached;
    }
    const imds = require('@smithy/credential-provider-imds') as typeof import('@smithy/credential-provider-imds');
    const init = { timeout: CREDENTIALS_TIMEOUT_MS, maxRetries: CREDENTIALS_RETRIES };
    const container = !!(process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI);
    try {
      cached = await (container ? imds.fromContainerMetadata(init) : imds.fromInstanceMetadata(init))();
    } catch (e) {
      throw new Error(
        `no AWS credentials: ${container ? 'the container credentials endpoint' : 'no AWS_ACCESS_KEY_ID, no container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI), and the instance metadata service'} failed (${(e as Error).message})`,
      );
    }
    return cached;
  };
}

/** A request as the MLflow client sends it, before signing. */
export interface UnsignedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * Signs a request for a SageMaker MLflow tracking server: the headers to send
 * (`host`, `x-amz-date`, `x-amz-security-token` with a session token,
 * `x-amz-content-sha256`, the tracking server ARN header and `authorization`,
 * besides the request's own). `query` is the URL's query as sent (the caller
 * encodes it the way SigV4 canonicalizes it: RFC 3986).
 */
export function sageMakerMlflowSigner(
  region: string,
  trackingServerArn: string,
  credentials: AwsCredentialsProvider,
  now: () => Date = () => new Date(),
): (req: UnsignedRequest) => Promise<Record<string, string>> {
  const { SignatureV4 } = require('@smithy/signature-v4') as typeof import('@smithy/signature-v4');
  const signer = new SignatureV4({ service: MLFLOW_SIGNING_SERVICE, region, credentials, sha256: NodeSha256, uriEscapePath: true, applyChecksum: true });
  return async (req) => {
    const query: Record<string, string> = {};
    for (const [k, v] of req.url.searchParams) query[k] = v;
    const signed = await signer.sign(
      {
        method: req.method,
        protocol: req.url.protocol,
        hostname: req.url.hostname,
        port: req.url.port ? Number(req.url.port) : undefined,
        path: req.url.pathname,
        query,
        headers: { ...req.headers, host: req.url.host, [TRACKING_SERVER_ARN_HEADER]: trackingServerArn },
        body: req.body,
      },
      { signingDate: now() },
    );
    return signed.headers;
  };
}
