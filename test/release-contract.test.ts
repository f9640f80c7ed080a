/**
 * Issue 15, item 1: facts shared by the construct library and the release
 * driver. `@cdktf-mlops/release` is published on its own and imports nothing
 * of `cdktf-mlops` (the dependency rules check it), so each fact has one home
 * per package — lib/core/release.ts and lib/core/settings.ts in the library,
 * release/src/spec.ts in the driver — and this test asserts the copies agree.
 */
import { canonicalJson as libCanonicalJson, releaseRevision } from '../lib/deploy/revision';
import { RELEASE_INSTANCE_ENV, RELEASE_KINDS, RELEASE_REVISION_LENGTH, RELEASE_SPEC_ENV, RELEASE_SPEC_NAME_MAX, RELEASE_SPEC_VERSION } from '../lib/core/release';
import { ROLLOUT_STRATEGIES } from '../lib/core/settings';
import { RELEASE_INSTANCE_ENV as DEPLOY_RELEASE_INSTANCE_ENV, RELEASE_SPEC_ENV as DEPLOY_RELEASE_SPEC_ENV } from '../lib/deploy';
import * as release from '../release/src/spec';
import { RELEASE_INSTANCE_ENV as AWS_ENV } from '../release/src/aws/training';
import { RELEASE_INSTANCE_ENV as AZURE_ENV } from '../release/src/azure/target';
import { RELEASE_INSTANCE_ENV as GCP_ENV } from '../release/src/gcp/target';

test('the spec version the steps write is the one the driver reads', () => {
  expect(RELEASE_SPEC_VERSION).toBe(release.SPEC_VERSION);
  expect(release.ReleaseSpecSchema.shape.specVersion.safeParse(RELEASE_SPEC_VERSION).success).toBe(true);
});

test('the release kinds the steps write are the ones the driver reads', () => {
  expect([...RELEASE_KINDS]).toEqual([...release.RELEASE_KINDS]);
  expect(release.ReleaseSpecSchema.shape.kind.options).toEqual([...RELEASE_KINDS]);
});

test('the environment variables agree, and each cloud driver uses the one', () => {
  expect(RELEASE_SPEC_ENV).toBe(release.RELEASE_SPEC_ENV);
  expect(RELEASE_INSTANCE_ENV).toBe(release.RELEASE_INSTANCE_ENV);
  expect([DEPLOY_RELEASE_SPEC_ENV, DEPLOY_RELEASE_INSTANCE_ENV]).toEqual([RELEASE_SPEC_ENV, RELEASE_INSTANCE_ENV]);
  expect([AWS_ENV, AZURE_ENV, GCP_ENV]).toEqual([release.RELEASE_INSTANCE_ENV, release.RELEASE_INSTANCE_ENV, release.RELEASE_INSTANCE_ENV]);
});

test('the rollout strategies the config and constructs offer are the ones the driver rolls out', () => {
  expect([...ROLLOUT_STRATEGIES]).toEqual([...release.ROLLOUT_STRATEGIES]);
  expect(release.EndpointSpecSchema.shape.rollout.shape.strategy.options).toEqual([...ROLLOUT_STRATEGIES]);
});

test("names and revisions: the limits the constructs derive name lengths from are the spec's", () => {
  expect(RELEASE_SPEC_NAME_MAX).toBe(release.SPEC_NAME_MAX);
  expect(RELEASE_REVISION_LENGTH).toBe(release.REVISION_LENGTH);
  const name = release.ReleaseSpecSchema.shape.name;
  expect(name.safeParse(`a${'b'.repeat(RELEASE_SPEC_NAME_MAX - 1)}`).success).toBe(true);
  expect(name.safeParse(`a${'b'.repeat(RELEASE_SPEC_NAME_MAX)}`).success).toBe(false);
  const revision = releaseRevision('0123abcd', { a: 1 });
  expect(revision).toHaveLength(RELEASE_REVISION_LENGTH);
  expect(release.ReleaseSpecSchema.shape.revision.safeParse(revision).success).toBe(true);
});

test('canonical JSON is the same on both sides (the library hashes revisions with it, the driver spec hashes)', () => {
  const values: unknown[] = [
    null,
    0,
    -1.5,
    'text with "quotes" and ünïcode',
    [],
    {},
    [3, 1, 2],
    { b: 1, a: { d: [true, false, null], c: 'x' }, e: undefined },
    { 'z-key': [{ y: 1, x: 2 }], A: 'upper', a: 'lower' },
  ];
  for (const v of values) expect(libCanonicalJson(v)).toBe(release.canonicalJson(v));
  expect(libCanonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
});
