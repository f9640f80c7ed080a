/**
 * Issue 15, item 1: the release name `<company>-<project>-<env>-<model>` has
 * one limit per cloud (RELEASE_NAME_LIMITS, lib/core/release.ts), checked by
 * the config and by the constructs alike. Before, the config let a GCP
 * release name of up to 63 characters through while the GCP constructs
 * allowed 50: a 54-character name passed validation and failed at synth.
 */
import { Testing } from 'cdktf';
import { parseConfig } from '../lib/config';
import { MlopsValidationError } from '../lib/core/errors';
import { RELEASE_NAME_LIMITS } from '../lib/core/release';
import { Naming } from '../lib/core/naming';
import { MlPlatformStack } from '../lib/stack';
import { configIssues, validConfig } from './util';

type Cloud = 'azure' | 'aws' | 'gcp';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const IMAGE: Record<Cloud, string> = {
  azure: `contosoacr.azurecr.io/mlops-runtime@${DIGEST}`,
  aws: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlops-runtime@${DIGEST}`,
  gcp: `europe-west4-docker.pkg.dev/contoso-mlops-dev/mlops/runtime@${DIGEST}`,
};

/**
 * Naming parts long enough for release names up to 54 characters with a
 * model name of at most 32, on GCP within the service account id's 30
 * characters (`<prefix>-ml`, so a prefix of at most 27); Azure's short limit
 * needs a short prefix.
 */
const NAMING: Record<Cloud, { company: string; project: string; environment: string }> = {
  azure: { company: 'contoso', project: 'mlops', environment: 'dev' },
  aws: { company: 'contoso', project: 'forecasting', environment: 'staging' },
  gcp: { company: 'contoso', project: 'forecasting', environment: 'staging' },
};

/** A config whose release name `<prefix>-<model>` is `length` characters long. */
function configWithReleaseName(cloud: Cloud, length: number): Record<string, any> {
  const prefix = new Naming(NAMING[cloud]).prefix;
  const model = `m${'x'.repeat(length - prefix.length - 3)}z`;
  expect(`${prefix}-${model}`).toHaveLength(length);
  return {
    ...validConfig(cloud),
    naming: NAMING[cloud],
    deployment: { model, image: { uri: IMAGE[cloud] }, training: { data: 'datasets/bike/hour.csv' } },
  };
}

function synth(config: Record<string, any>): void {
  const app = Testing.app();
  const stack = new MlPlatformStack(app, 'release-names', { config: parseConfig(config) });
  Testing.synth(stack);
}

describe.each(['azure', 'aws', 'gcp'] as const)('%s', (cloud) => {
  const max = RELEASE_NAME_LIMITS[cloud].max;

  test(`GIVEN a release name of exactly ${max} characters WHEN the config is validated and the stack built THEN both accept it`, () => {
    expect(() => synth(configWithReleaseName(cloud, max))).not.toThrow();
  });

  test(`GIVEN a release name of ${max + 1} characters WHEN the config is validated THEN it is refused at deployment.model, naming the limit, why, and by how much to shorten`, () => {
    const issues = configIssues(configWithReleaseName(cloud, max + 1));
    expect(issues.map((i) => i.path)).toEqual(['deployment.model']);
    expect(issues[0]!.message).toContain(`within ${max} characters (${RELEASE_NAME_LIMITS[cloud].why})`);
    expect(issues[0]!.message).toContain('Fix: shorten deployment.model (or naming parts) by 1 character(s)');
  });
});

test('GIVEN a 54-character GCP release name WHEN the config is validated THEN it is refused there, not by the GCP constructs at synth', () => {
  const config = configWithReleaseName('gcp', 54);
  let error: unknown;
  try {
    parseConfig(config);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MlopsValidationError);
  expect((error as MlopsValidationError).issues.map((i) => i.path)).toEqual(['deployment.model']);
  expect((error as MlopsValidationError).message).toContain('by 4 character(s)');
});

test('the GCP limit follows from what the name is used for: the Vertex AI model id and label (63) and the custom job "<name>-<12-hex revision>" (63 in the release spec)', () => {
  expect(RELEASE_NAME_LIMITS.gcp.max).toBe(63 - 13);
  expect(RELEASE_NAME_LIMITS.gcp.why).toContain('model id');
  expect(RELEASE_NAME_LIMITS.gcp.why).toContain('<name>-<12-hex revision>');
});
