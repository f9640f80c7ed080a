import type { IRuntimeImageRef } from '../core/contracts';
import { ErrorCode, MlopsValidationError, show } from '../core/errors';

/**
 * An image reference pinned by digest: `<registry host>[:port]/<path>[:tag]@sha256:<64 hex>`.
 * The registry host is explicit (a name with a dot, or a port): the clouds'
 * ML services pull from their registries, never from an implicit Docker Hub.
 */
export const IMAGE_URI_BY_DIGEST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?::\d{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$/;

/** What a digest-pinned image reference looks like, for messages. */
export const IMAGE_URI_EXAMPLE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/contoso-mlops-dev@sha256:<64 hex digits>';

/**
 * The runtime image a job or endpoint runs, taken as is from `uri` (built and
 * pushed by the consumer's own pipeline): no build, no push, no docker
 * provider. The digest is the image's identity: it is `imageDigest`, and its
 * first 16 hex characters are the `contentHash` the release revision uses, so
 * a new digest re-runs the release steps exactly like a rebuilt image does.
 */
export function imageRefFromUri(uri: string, where = 'RuntimeImage.fromImageUri'): IRuntimeImageRef {
  if (typeof uri !== 'string' || !IMAGE_URI_BY_DIGEST.test(uri)) {
    throw new MlopsValidationError('Invalid image reference:', [
      {
        code: ErrorCode.PROP_INVALID,
        path: where,
        message:
          `The image uri must be pinned by digest: <registry host>/<repository>[:tag]@sha256:<64 hex>, e.g. ${IMAGE_URI_EXAMPLE}. Got ${show(uri)}. ` +
          'Fix: append the digest your pipeline pushed (`docker buildx imagetools inspect <image:tag>` prints it as "Digest:"); ' +
          'a tag alone can move, so the release would not re-run and instances could start different images.',
      },
    ]);
  }
  const digest = uri.slice(uri.lastIndexOf('@') + 1);
  return { imageUriByDigest: uri, imageDigest: digest, contentHash: digest.slice('sha256:'.length, 'sha256:'.length + 16) };
}
