import { Image } from '@cdktf/provider-docker/lib/image';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import { TerraformProvider, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { IImageRegistry, IWorkloadIdentity } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import type { IRuntimeImageRef } from '../core/contracts';
import { installCommand } from '../private/peers';
import { StackAsset } from '../private/stack-asset';
import { imageRefFromUri } from './image-ref';
import { hashContext, listContextFiles, runtimePackageDir, stageContext } from './private/context';

/** Platforms the runtime image can be built for (one per image; see the README's limits). */
export const RUNTIME_IMAGE_PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
/** A platform the runtime image can be built for. */
export type RuntimeImagePlatform = (typeof RUNTIME_IMAGE_PLATFORMS)[number];

/**
 * What the runtime package's `Dockerfile` copies from the package folder (its
 * build context), besides the Dockerfile and its `Dockerfile.dockerignore` —
 * the ignore file's allow-list. Markdown files, `.DS_Store`, `node_modules`,
 * `dist` and `.git` inside these folders are left out.
 */
export const DEFAULT_RUNTIME_IMAGE_INCLUDE: readonly string[] = ['package.json', 'npm-shrinkwrap.json', 'tsconfig.build.json', 'src', 'bin', 'docker'];

/**
 * What the release package's `Dockerfile` copies (its `Dockerfile.dockerignore`
 * allow-list), its lockfile `npm-shrinkwrap.json` among them: the release
 * image, run by the Azure pipeline promoter.
 */
export const RELEASE_IMAGE_INCLUDE: readonly string[] = ['package.json', 'npm-shrinkwrap.json', 'tsconfig.image.json', 'src', 'bin'];

/** The npm package whose folder is the default build context. */
const RUNTIME_PACKAGE = '@cdktf-mlops/runtime';

/** The image's name inside an Artifact Registry repository. */
export const GCP_IMAGE_NAME = 'runtime';
/** Length of the content hash used as the image tag. */
const HASH_LENGTH = 16;
const TAG_PREFIX = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,110}$/;

/** Props of {@link RuntimeImage}. */
export interface RuntimeImageProps {
  /** The registry the image is pushed to (the platform's `imageRegistry`). */
  readonly registry: IImageRegistry;
  /**
   * The Docker build context: a folder with the Dockerfile, the runtime's
   * `package.json`, its lockfile and its sources.
   * @default - the folder of the installed `@cdktf-mlops/runtime` package (it ships
   * the context, with its own `npm-shrinkwrap.json`); in this repository, `training-image/`
   */
  readonly contextDir?: string;
  /**
   * The Dockerfile, relative to `contextDir`.
   * @default 'Dockerfile'
   */
  readonly dockerfile?: string;
  /**
   * Files and folders (relative to `contextDir`) the Dockerfile copies. They,
   * the Dockerfile and its `.dockerignore` are the whole build context and the
   * whole input of the content hash.
   * @default DEFAULT_RUNTIME_IMAGE_INCLUDE
   */
  readonly include?: readonly string[];
  /**
   * The platform the image is built for.
   * @default 'linux/amd64' (what SageMaker, Vertex AI and Azure ML training run)
   */
  readonly platform?: RuntimeImagePlatform;
  /**
   * Identities that run the image (training jobs, endpoints); each is granted
   * pull through `registry.grantPull`.
   * @default - none
   */
  readonly pullers?: readonly IWorkloadIdentity[];
  /**
   * Put in front of the content hash in the tag: `<tagPrefix>-<hash>`.
   * @default - the tag is the content hash alone
   */
  readonly tagPrefix?: string;
}

/**
 * The runtime image, built from the `@cdktf-mlops/runtime` package and pushed to the platform's
 * registry during `cdktf deploy` (`docker_image` + `docker_registry_image` of
 * the docker provider), tagged by a hash of exactly the files that go into it.
 * A runtime change rolls a new tag, so everything that references `imageUri`
 * changes with it; an unchanged runtime changes nothing. The stack must
 * configure the docker provider with the registry's credentials
 * ({@link dockerProviderFor}).
 */
export class RuntimeImage extends Construct {
  /**
   * An image built and pushed elsewhere (your own pipeline), pinned by digest
   * (`<registry host>/<repository>[:tag]@sha256:<64 hex>`): jobs and endpoints
   * run it as is, with no Docker build and no docker provider. The platform's
   * workload identity pulls from the platform's registry; an image in another
   * registry needs a pull grant there. Throws `MLOPS_PROP_INVALID` for a
   * reference without a digest.
   */
  public static fromImageUri(uri: string): IRuntimeImageRef {
    return imageRefFromUri(uri);
  }

  /** The image repository: the registry's `imageUri` (ECR, ACR), or `<imageUri>/runtime` in an Artifact Registry repository. */
  public readonly repository: string;
  /** `<repository uri>:<tag>`; references the push, so users of it deploy after the image exists. */
  public readonly imageUri: string;
  /** `<repository uri>@sha256:…`: the pushed image pinned by digest. */
  public readonly imageUriByDigest: string;
  /** The pushed image's manifest digest (`sha256:…`). */
  public readonly imageDigest: string;
  /** First 16 hex characters of the sha256 of the build context (and platform). */
  public readonly contentHash: string;
  /** The tag: the content hash, after `tagPrefix-` if one is given. */
  public readonly tag: string;
  /** The platform the image is built for. */
  public readonly platform: RuntimeImagePlatform;

  constructor(scope: Construct, id: string, props: RuntimeImageProps) {
    super(scope, id);
    const issues = new IssueCollector();
    const where = this.node.path;
    const invalid = (prop: string, value: unknown, accepted: string): void =>
      issues.add(ErrorCode.PROP_INVALID, where, messages.propInvalid('RuntimeImage', prop, value, accepted));

    if (!props.registry) invalid('registry', props.registry, "an IImageRegistry (the platform's imageRegistry)");

    const dockerfile = props.dockerfile ?? 'Dockerfile';
    const dockerfileOk = isRelativeInside(dockerfile);
    if (!dockerfileOk) invalid('dockerfile', dockerfile, "a non-empty path relative to contextDir that stays inside it, e.g. 'Dockerfile'");

    const platform = props.platform ?? 'linux/amd64';
    if (!(RUNTIME_IMAGE_PLATFORMS as readonly string[]).includes(platform)) {
      invalid('platform', platform, `one of ${RUNTIME_IMAGE_PLATFORMS.map((p) => `'${p}'`).join(', ')}`);
    }
    if (props.tagPrefix !== undefined && !TAG_PREFIX.test(props.tagPrefix)) {
      invalid('tagPrefix', props.tagPrefix, 'letters, digits, _ . - (at most 111, not starting with . or -), e.g. "runtime"');
    }

    const contextDir = props.contextDir ?? runtimePackageDir();
    const contextOk = contextDir !== undefined && isDirectory(contextDir);
    if (props.contextDir === undefined && contextDir === undefined) {
      issues.add(
        ErrorCode.MISSING_PEER,
        where,
        `RuntimeImage builds the runtime image from the ${RUNTIME_PACKAGE} package (its build context ships in it), which is not installed. ` +
          `Fix: ${installCommand([RUNTIME_PACKAGE])}; or pass contextDir; or build the image in your own pipeline and use RuntimeImage.fromImageUri (deployment.image.uri in a config).`,
      );
    } else if (!contextOk) {
      invalid('contextDir', contextDir, 'an existing folder with the Dockerfile, package.json, its lockfile and the sources (the @cdktf-mlops/runtime package folder)');
    }

    const include = props.include ?? DEFAULT_RUNTIME_IMAGE_INCLUDE;
    const badInclude = include.filter((p) => !isRelativeInside(p));
    if (badInclude.length > 0) invalid('include', badInclude, 'paths relative to contextDir that stay inside it');

    if (contextOk && dockerfileOk && !isFile(path.join(contextDir!, dockerfile))) {
      invalid(
        'dockerfile',
        dockerfile,
        `a file that exists in contextDir ${JSON.stringify(contextDir)} (set contextDir to the folder that holds it, or dockerfile to its path inside contextDir)`,
      );
    }
    if (contextOk && badInclude.length === 0) {
      const missing = include.filter((p) => !fs.existsSync(path.join(contextDir!, p)));
      if (missing.length > 0) invalid('include', missing, `paths that exist in contextDir ${JSON.stringify(contextDir)}`);
    }
    issues.throwIfAny('Invalid RuntimeImage props:');

    const files = listContextFiles(contextDir!, dockerfile, include);
    const fullHash = hashContext(files, platform);
    this.contentHash = fullHash.slice(0, HASH_LENGTH);
    this.tag = props.tagPrefix ? `${props.tagPrefix}-${this.contentHash}` : this.contentHash;
    this.platform = platform as RuntimeImagePlatform;

    // The provider sends its whole `context` folder to the Docker engine and reads
    // only `<context>/.dockerignore`, and resolves both paths against Terraform's
    // working directory (the synthesized stack folder). So the context is staged:
    // only the hashed files, copied into the stack's assets under the hash (and left
    // there while they are up to date).
    // The staged folder is never written to once staged, so the stacks hard-link its files.
    const context = new StackAsset(this, 'BuildContext', { source: stageContext(files, fullHash), type: 'directory', hash: this.contentHash, link: true });

    // ECR and ACR references name an image repository; an Artifact Registry
    // repository holds images, so the image gets a name inside it.
    const repository = props.registry.cloud === 'gcp' ? `${props.registry.imageUri}/${GCP_IMAGE_NAME}` : props.registry.imageUri;
    this.repository = repository;
    const triggers = { content_hash: this.contentHash };
    const image = new Image(this, 'Image', {
      name: `${repository}:${this.tag}`,
      buildAttribute: {
        context: context.path,
        // Relative to Terraform's working directory, like the context (not to the context).
        dockerfile: `${context.path}/${toPosix(path.normalize(dockerfile))}`,
        platform,
        labels: { 'org.opencontainers.image.version': this.contentHash },
      },
      triggers,
    });
    const pushed = new RegistryImage(this, 'Resource', {
      name: image.name,
      // A rollback redeploys the previous tag: it must still be in the registry.
      keepRemotely: true,
      triggers,
    });

    this.imageUri = pushed.name;
    this.imageDigest = pushed.sha256Digest;
    this.imageUriByDigest = `${repository}@${pushed.sha256Digest}`;

    for (const identity of props.pullers ?? []) props.registry.grantPull(identity);

    this.node.addValidation({ validate: () => (hasDockerProvider(this) ? [] : [missingProviderMessage(this)]) });
  }
}

function isRelativeInside(p: string): boolean {
  if (typeof p !== 'string' || p.trim() === '' || path.isAbsolute(p) || path.win32.isAbsolute(p)) return false;
  const normal = path.posix.normalize(p.replace(/\\/g, '/'));
  return normal !== '.' && normal !== '..' && !normal.startsWith('../');
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function hasDockerProvider(scope: IConstruct): boolean {
  return TerraformStack.of(scope)
    .node.findAll()
    .some((c) => TerraformProvider.isTerraformProvider(c) && c.terraformResourceType === 'docker');
}

function missingProviderMessage(scope: IConstruct): string {
  return (
    `[${ErrorCode.PROP_INVALID}] RuntimeImage at ${scope.node.path} builds and pushes with the docker provider, ` +
    `but stack '${TerraformStack.of(scope).node.id}' has none. ` +
    'Fix: in the stack, call dockerProviderFor(stack, platform) (cdktf-mlops) — it adds the docker provider ' +
    "with the registry's credentials — or add a DockerProvider with a registry_auth block for the registry host."
  );
}
