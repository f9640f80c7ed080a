/** A string without Terraform interpolation (`${…}`): a value known at synth. */
export function isLiteralString(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('${');
}

/**
 * Physical names in a synthesized stack. Two resources of one type with the
 * same name in the same parent (resource group, project, key ring, VPC, …)
 * cannot both exist: the second create fails at apply time (or, for names
 * that are unique per account or worldwide, even across parents). Found at
 * synth instead, naming both construct paths.
 */

/** The attribute holding the physical name, for types where it is not `name`. */
const NAME_ATTRIBUTE: Readonly<Record<string, string>> = {
  aws_s3_bucket: 'bucket',
  aws_sagemaker_model_package_group: 'model_package_group_name',
  aws_sagemaker_mlflow_tracking_server: 'tracking_server_name',
  aws_cloudwatch_metric_alarm: 'alarm_name',
  google_service_account: 'account_id',
  google_artifact_registry_repository: 'repository_id',
  google_iam_workload_identity_pool: 'workload_identity_pool_id',
  google_iam_workload_identity_pool_provider: 'workload_identity_pool_provider_id',
};

/**
 * Types whose names are unique across every parent this check sees (worldwide:
 * buckets, storage accounts, vaults, registries; per account: IAM).
 */
const UNIQUE_ACROSS_PARENTS: ReadonlySet<string> = new Set([
  'aws_s3_bucket',
  'aws_iam_role',
  'aws_iam_policy',
  'aws_iam_user',
  'google_storage_bucket',
  'azurerm_storage_account',
  'azurerm_key_vault',
  'azurerm_container_registry',
]);

/** Types whose `name` is not a physical name of their own (an image reference, a label repeated on purpose). */
const NOT_NAMED: ReadonlySet<string> = new Set(['docker_image', 'docker_registry_image', 'terraform_data']);

/** The attributes that place a name inside its parent: the name is unique only together with them. */
const PARENT_ATTRIBUTES = [
  'provider',
  'resource_group_name',
  'location',
  'region',
  'project',
  'vpc_id',
  'key_ring',
  'key_vault_id',
  'storage_account_id',
  'storage_account_name',
  'storage_container_id',
  'container_name',
  'parent_id',
  'private_dns_zone_name',
  'virtual_network_name',
  'target_resource_id',
  'workspace_id',
  'machine_learning_workspace_id',
  'network',
  'zone',
  'scope',
  'topic',
  'repository',
  'role',
  'bucket',
  'workload_identity_pool_id',
] as const;

/** A resource as the check needs it. */
export interface NamedBlock {
  /** Terraform type. */
  readonly type: string;
  /** Terraform address. */
  readonly address: string;
  /** Attributes as synthesized. */
  readonly attrs: Readonly<Record<string, unknown>>;
}

/** A physical name used by more than one resource. */
export interface DuplicateName<T extends NamedBlock> {
  /** The attribute holding the name (`bucket`, `name`, …). */
  readonly attribute: string;
  /** The name. */
  readonly name: string;
  /** The resources, in address order: the first keeps it, the others collide with it. */
  readonly blocks: readonly T[];
}

/** The attribute holding `type`'s physical name, or undefined when the type has none this check knows. */
export function nameAttributeOf(type: string): string | undefined {
  if (NOT_NAMED.has(type)) return undefined;
  return NAME_ATTRIBUTE[type] ?? 'name';
}

/**
 * The physical names used twice among `blocks` (resources only). Names that
 * are expressions are skipped: their value is known only at apply time.
 */
export function duplicateNames<T extends NamedBlock>(blocks: readonly T[]): DuplicateName<T>[] {
  const groups = new Map<string, { attribute: string; name: string; blocks: T[] }>();
  for (const block of blocks) {
    const attribute = nameAttributeOf(block.type);
    if (!attribute) continue;
    const name = block.attrs[attribute];
    if (!isLiteralString(name) || name === '') continue;
    const parents = UNIQUE_ACROSS_PARENTS.has(block.type) ? [] : PARENT_ATTRIBUTES.map((p) => JSON.stringify(block.attrs[p] ?? null));
    const key = [block.type, attribute, name, ...parents].join('\u0000');
    const group = groups.get(key) ?? { attribute, name, blocks: [] };
    group.blocks.push(block);
    groups.set(key, group);
  }
  return [...groups.values()]
    .filter((g) => g.blocks.length > 1)
    .map((g) => ({ ...g, blocks: [...g.blocks].sort((a, b) => (a.address < b.address ? -1 : 1)) }))
    .sort((a, b) => (a.blocks[0]!.address < b.blocks[0]!.address ? -1 : 1));
}
