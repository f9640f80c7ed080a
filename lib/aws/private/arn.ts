/** Partition-aware ARN and service-principal helpers for AWS. */

/** The AWS partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The DNS suffix of regional service principals in the region's partition. */
export function dnsSuffixOf(region: string): string {
  return partitionOf(region) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export function arn(service: string, region: string, accountId: string, resource: string): string {
  return `arn:${partitionOf(region)}:${service}:${region}:${accountId}:${resource}`;
}

/** The ARN of the account root principal. */
export function accountRootArn(region: string, accountId: string): string {
  return `arn:${partitionOf(region)}:iam::${accountId}:root`;
}
