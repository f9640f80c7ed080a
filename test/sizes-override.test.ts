/**
 * Issue 15, item 6: a construct with its own table for a neutral size (the
 * endpoint hosting sizes) asks the size whether a machine was given
 * explicitly, instead of comparing object identity with the training table.
 */
import { ComputeSize, SIZE_TABLE } from '../lib/core/sizes';
import { AWS_ENDPOINT_INSTANCE_TYPES, awsEndpointInstanceType } from '../lib/deploy/aws/common';

test('GIVEN no override THEN the endpoint uses the hosting table, and overrideFor says there is none', () => {
  expect(ComputeSize.medium().overrideFor('aws')).toBeUndefined();
  expect(awsEndpointInstanceType(ComputeSize.medium())).toBe(AWS_ENDPOINT_INSTANCE_TYPES.medium);
});

test("GIVEN an override that is the training table's own machine object THEN it is still an explicit choice", () => {
  const size = ComputeSize.small({ aws: SIZE_TABLE.small.aws });
  expect(size.overrideFor('aws')).toBe(SIZE_TABLE.small.aws);
  // Compared by identity, this read as "no override" and picked the hosting size ml.m5.large.
  expect(awsEndpointInstanceType(size)).toBe(SIZE_TABLE.small.aws.instanceType);
});

test('GIVEN an override for another cloud only THEN this cloud has none', () => {
  const size = ComputeSize.gpu({ azure: 'Standard_NC6s_v3' });
  expect(size.overrideFor('aws')).toBeUndefined();
  expect(size.overrideFor('azure')).toEqual({ instanceType: 'Standard_NC6s_v3' });
  expect(size.machineFor('azure')).toEqual({ instanceType: 'Standard_NC6s_v3' });
  expect(size.machineFor('aws')).toBe(SIZE_TABLE.gpu.aws);
});
