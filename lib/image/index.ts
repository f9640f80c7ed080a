// Public API of `cdktf-mlops/image`: the runtime image (built and pushed with
// the docker provider) and the docker provider with the registry's credentials.
export { RuntimeImage, RUNTIME_IMAGE_PLATFORMS, DEFAULT_RUNTIME_IMAGE_INCLUDE } from './runtime-image';
export type { RuntimeImageProps, RuntimeImagePlatform } from './runtime-image';
export { dockerProviderFor, GCP_REGISTRY_USERNAME, AZURE_REGISTRY_TOKEN_USERNAME } from './docker-provider';
export type { DockerProviderForOptions } from './docker-provider';
