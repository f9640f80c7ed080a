import { IConstruct } from 'constructs';
import { Cloud } from './cloud';
import { ErrorCode, MlopsValidationError, messages } from './errors';
import { NetworkMode } from './network';
import { ComputeSize, MachineSpec } from './sizes';

/**
 * The cloud-neutral contract. Other stacks program against these interfaces;
 * each cloud folder (`lib/azure`, `lib/aws`, `lib/gcp`) implements all of them.
 * Attributes are discrete strings (names, ids, URLs), never provider objects.
 */

/** Something that belongs to one cloud. */
export interface ICloudResource extends IConstruct {
  /** The cloud this resource lives on. */
  readonly cloud: Cloud;
}

/**
 * The identity jobs and endpoints run as: a user-assigned managed identity
 * (Azure), an IAM role (AWS) or a service account (GCP). Stores grant to it.
 */
export interface IWorkloadIdentity extends ICloudResource {
  /** Physical name (identity name, role name, service account id). */
  readonly identityName: string;
  /** Resource id / role ARN / service account email. */
  readonly identityId: string;
  /** The principal grants name: Azure principal (object) id, role ARN, `serviceAccount:<email>`. */
  readonly principal: string;
}

/** A customer-managed encryption key. */
export interface IEncryptionKey extends ICloudResource {
  /** Key id: Key Vault key id, KMS key ARN, Cloud KMS crypto key id. */
  readonly keyId: string;
  /** Lets `identity` encrypt and decrypt with the key. */
  grantEncryptDecrypt(identity: IWorkloadIdentity): void;
}

/** Where datasets, model artifacts and run outputs live. */
export interface IArtifactStore extends ICloudResource {
  /** Bucket / container name. */
  readonly storeName: string;
  /** Resource id / ARN of the bucket or container. */
  readonly storeId: string;
  /** URL of the store's root (`s3://…`, `gs://…`, `https://<account>.blob.core.windows.net/<container>`). */
  readonly url: string;
  /** Read objects (and decrypt with the store's key). */
  grantRead(identity: IWorkloadIdentity): void;
  /** Read and write objects (and encrypt/decrypt with the store's key). */
  grantReadWrite(identity: IWorkloadIdentity): void;
}

/** Where the runtime's container images live. */
export interface IImageRegistry extends ICloudResource {
  /** Registry / repository name. */
  readonly registryName: string;
  /** Resource id / ARN. */
  readonly registryId: string;
  /** Image reference prefix to push and pull (`<login server>/<repo>`, ECR repository URL, `<region>-docker.pkg.dev/<project>/<repo>`). */
  readonly imageUri: string;
  /** Pull images. */
  grantPull(identity: IWorkloadIdentity): void;
  /** Push and pull images. */
  grantPush(identity: IWorkloadIdentity): void;
}

/** Where trained models are registered with versions. */
export interface IModelRegistry extends ICloudResource {
  /** Registry name (workspace, model package group, or the Vertex region). */
  readonly registryName: string;
  /** Resource id / ARN / `projects/<p>/locations/<r>`. */
  readonly registryId: string;
  /** Read models and versions. */
  grantRead(identity: IWorkloadIdentity): void;
  /** Register new model versions (and read). */
  grantWrite(identity: IWorkloadIdentity): void;
}

/** The ML workspace with its monitoring base. */
export interface IMlWorkspace extends ICloudResource {
  /** Workspace name. */
  readonly workspaceName: string;
  /** Workspace resource id / ARN / `projects/<p>/locations/<r>`. */
  readonly workspaceId: string;
  /** The region the workspace runs in. */
  readonly region: string;
  /** Where platform logs go (Log Analytics workspace id, CloudWatch log group, Cloud Logging). */
  readonly logDestination: string;
  /** Lets `identity` run jobs and write logs and metrics in the workspace. */
  grantUse(identity: IWorkloadIdentity): void;
}

/** The compute training jobs run on. */
export interface ITrainingCompute extends ICloudResource {
  /** Compute cluster name, or the instance type where the cloud has no cluster resource. */
  readonly computeName: string;
  /** The neutral size. */
  readonly size: ComputeSize;
  /** The machine the size resolves to on this cloud. */
  readonly machine: MachineSpec;
  /** Most nodes (instances) a job may use. */
  readonly maxNodes: number;
  /** Low-priority / spot capacity. */
  readonly lowPriority: boolean;
}

/** The network a platform's data planes are reached through. */
export interface IPlatformNetwork {
  /** The network mode (`public`, `firewalled`, `private`). */
  readonly mode: NetworkMode;
  /** The ranges the firewalls let through. */
  readonly allowedIpRanges: readonly string[];
  /** In `private` mode: the VNet / VPC / VPC network id the platform is in. */
  readonly networkId?: string;
}

/** A complete platform: the composition other stacks import. */
export interface IMlPlatform extends ICloudResource {
  /** The network its data planes are reached through. */
  readonly network: IPlatformNetwork;
  /**
   * The principals that run Terraform for the platform (as values or tokens):
   * the `deployers` prop (or the principal running Terraform) and every
   * principal added with {@link grantDeploy}.
   */
  readonly deployers: readonly string[];
  /**
   * Lets `principal` (a person or a CI identity that runs `cdktf deploy`) do
   * what Terraform does through the platform's data planes — create the key,
   * write the training data, push the image — and exempts it from the
   * platform's identity denies. Azure object id, AWS role/user ARN, GCP member.
   */
  grantDeploy(principal: string): void;
  /** The workspace with its monitoring base. */
  readonly workspace: IMlWorkspace;
  /** The image registry for the runtime image. */
  readonly imageRegistry: IImageRegistry;
  /** The model registry. */
  readonly modelRegistry: IModelRegistry;
  /** The artifact store. */
  readonly artifactStore: IArtifactStore;
  /** The customer-managed key all stores are encrypted with. */
  readonly encryptionKey: IEncryptionKey;
  /** The identity training jobs and endpoints run as. */
  readonly identity: IWorkloadIdentity;
  /** The training compute. */
  readonly trainingCompute: ITrainingCompute;
}

/** The names of the contract members every cloud's platform must expose (parity tests). */
export const PLATFORM_MEMBERS = ['workspace', 'imageRegistry', 'modelRegistry', 'artifactStore', 'encryptionKey', 'identity', 'trainingCompute'] as const satisfies ReadonlyArray<
  keyof IMlPlatform
>;

/**
 * Narrows a cloud-neutral identity to the cloud's own class, with a clear
 * error when an identity of another cloud is passed to a grant.
 */
export function identityOf<T extends IWorkloadIdentity>(identity: IWorkloadIdentity, cloud: Cloud, operation: string): T {
  if (identity.cloud !== cloud) {
    // A plain object implementing the interface has no construct node: name it by its identity id.
    const path = (identity as Partial<IConstruct>).node?.path ?? String(identity.identityId ?? identity.identityName);
    throw new MlopsValidationError('Cross-cloud grant:', [{ code: ErrorCode.CLOUD_MISMATCH, path, message: messages.cloudMismatch(operation, cloud, identity.cloud) }]);
  }
  return identity as T;
}

/** The image a job or endpoint runs: a `RuntimeImage` (lib/image) satisfies it. */
export interface IRuntimeImageRef {
  /** `<repository>@sha256:…` — jobs and endpoints pin the digest. */
  readonly imageUriByDigest: string;
  /** The pushed image's digest (`sha256:…`): re-runs the release when it changes. */
  readonly imageDigest: string;
  /** Hash of the image's build context (known at synth). */
  readonly contentHash: string;
}
