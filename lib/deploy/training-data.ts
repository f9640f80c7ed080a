import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { IArtifactStore } from '../core/contracts';
import { ErrorCode, IssueCollector, messages } from '../core/errors';
import { fileDigest } from '../private/file-digest';
import { loadCloud } from '../private/peers';
import { StackAsset } from '../private/stack-asset';

/** Props of {@link TrainingDataUpload}. */
export interface TrainingDataUploadProps {
  /** The store the file goes to (the platform's `artifactStore`). */
  readonly artifactStore: IArtifactStore;
  /** Object key / blob name inside the store, e.g. `datasets/bike/hour.csv`. */
  readonly key: string;
  /** The local file to upload (absolute, or relative to the working directory of synth). */
  readonly source: string;
}

/**
 * Uploads a local data file to the artifact store during `cdktf deploy`, so the
 * training job of the same deploy finds its data: `aws_s3_object`,
 * `azurerm_storage_blob` or `google_storage_bucket_object`. The file is copied
 * into the synthesized stack as an asset; a changed file re-uploads (and, through
 * the release revision, retrains). The store's default encryption (the platform
 * key) applies. The machine running Terraform must reach the store's data plane
 * (see `network.allowedIpRanges`).
 */
export class TrainingDataUpload extends Construct {
  /** `<store url>/<key>`. */
  public readonly uri: string;
  /** Hash of the file's content (known at synth). */
  public readonly contentHash: string;
  /** The upload resource. */
  public readonly resource: ITerraformDependable;

  constructor(scope: Construct, id: string, props: TrainingDataUploadProps) {
    super(scope, id);
    const issues = new IssueCollector();
    if (typeof props.key !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_./=-]*$/.test(props.key) || props.key.split('/').includes('..')) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('TrainingDataUpload', 'key', props.key, 'a relative object key of letters, digits, _ . / = - without ".." segments, e.g. datasets/bike/hour.csv'),
      );
    }
    let isFile = false;
    try {
      isFile = fs.statSync(props.source).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) {
      issues.add(
        ErrorCode.PROP_INVALID,
        this.node.path,
        messages.propInvalid('TrainingDataUpload', 'source', props.source, 'an existing local file (deployment.training.upload is relative to the repository root)'),
      );
    }
    issues.throwIfAny('Invalid TrainingDataUpload props:');

    // The hash cdktf's TerraformAsset computes for a file (md5, upper-case hex), so the
    // synthesized paths and source hashes stay as they were; from the per-process
    // digest cache: the stacks of one synth that upload the same file read it once.
    // The file is the one checked above (relative to the working directory).
    const source = path.resolve(props.source);
    const asset = new StackAsset(this, 'File', { source, type: 'file', hash: fileDigest(source, 'md5').toUpperCase() });
    this.contentHash = asset.hash;
    this.uri = `${props.artifactStore.url}/${props.key}`;
    const store = props.artifactStore;
    // Only the store's cloud's modules (and provider package) are loaded.
    switch (store.cloud) {
      case 'aws': {
        const { S3Object } = loadCloud('aws', 'TrainingDataUpload', () => require('@cdktf/provider-aws/lib/s3-object') as typeof import('@cdktf/provider-aws/lib/s3-object'));
        const { AwsArtifactStore } = require('../aws/artifact-store') as typeof import('../aws/artifact-store');
        this.resource = new S3Object(this, 'Resource', {
          bucket: store.storeName,
          key: props.key,
          source: asset.path,
          sourceHash: asset.hash,
          contentType: contentTypeOf(props.key),
          // After the default encryption (SSE-KMS) and the bucket policy that lets the deployer write.
          dependsOn: store instanceof AwsArtifactStore ? [...store.objectWriteDependencies] : undefined,
        });
        break;
      }
      case 'azure': {
        const { StorageBlob } = loadCloud(
          'azure',
          'TrainingDataUpload',
          () => require('@cdktf/provider-azurerm/lib/storage-blob') as typeof import('@cdktf/provider-azurerm/lib/storage-blob'),
        );
        const { isAzureArtifactStore } = require('../azure/artifact-store') as typeof import('../azure/artifact-store');
        if (!isAzureArtifactStore(store)) {
          throw new Error(
            `TrainingDataUpload at ${this.node.path}: an Azure artifact store must be an AzureArtifactStore or AzureArtifactStore.fromExisting (it names the storage account).`,
          );
        }
        this.resource = new StorageBlob(this, 'Resource', {
          name: props.key,
          storageAccountName: store.accountName,
          storageContainerName: store.storeName,
          type: 'Block',
          source: asset.path,
          contentMd5: Fn.filemd5(asset.path),
          contentType: contentTypeOf(props.key),
        });
        break;
      }
      case 'gcp': {
        const { StorageBucketObject } = loadCloud(
          'gcp',
          'TrainingDataUpload',
          () => require('@cdktf/provider-google/lib/storage-bucket-object') as typeof import('@cdktf/provider-google/lib/storage-bucket-object'),
        );
        this.resource = new StorageBucketObject(this, 'Resource', { bucket: store.storeName, name: props.key, source: asset.path, contentType: contentTypeOf(props.key) });
        break;
      }
    }
  }
}

function contentTypeOf(key: string): string {
  if (/\.csv$/i.test(key)) return 'text/csv';
  if (/\.ya?ml$/i.test(key)) return 'application/yaml';
  if (/\.json$/i.test(key)) return 'application/json';
  if (/\.gz$/i.test(key)) return 'application/gzip';
  return 'application/octet-stream';
}
