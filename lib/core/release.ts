/**
 * The construct library's side of the release contract: what the stack's
 * release steps hand the `mlops release` driver (`@cdktf-mlops/release`), and
 * the name limits that follow from it. One home in lib for each fact; the
 * release package, published on its own, keeps its own copy in
 * release/src/spec.ts, and test/release-contract.test.ts asserts the two agree.
 */
import { Cloud } from './cloud';

/** The release spec version the steps write (`@cdktf-mlops/release`'s `SPEC_VERSION`). */
export const RELEASE_SPEC_VERSION = 1;

/**
 * What one release step does (the spec's `kind`): train and register, roll
 * out an endpoint, or put a compiled pipeline on the cloud's engine
 * (`@cdktf-mlops/release`'s `RELEASE_KINDS`). A kind added here is read by a
 * driver that knows it; older drivers refuse the spec with a clear error, so
 * the spec version stays.
 */
export const RELEASE_KINDS = ['training', 'endpoint', 'pipeline'] as const;

/** The environment variable the release step hands the spec over in. */
export const RELEASE_SPEC_ENV = 'MLOPS_RELEASE_SPEC';

/**
 * The environment variable with the `terraform_data` instance id: a step that
 * replaces another with the same spec (after a taint) has a new id, so a
 * driver can tell "superseded by an equal spec" from a real destroy.
 */
export const RELEASE_INSTANCE_ENV = 'MLOPS_RELEASE_INSTANCE';

/** Hex characters of a release revision. */
export const RELEASE_REVISION_LENGTH = 12;

/** `-<revision>`: what a revision adds to the release name in job, model and deployment names. */
export const RELEASE_REVISION_SUFFIX_LENGTH = RELEASE_REVISION_LENGTH + 1;

/**
 * The longest name the release spec accepts for the release, the model and a
 * revision's job (`<name>-<revision>`): one rule for every cloud, SageMaker's
 * 63 (also the Vertex AI model id's and a GCP label value's limit).
 */
export const RELEASE_SPEC_NAME_MAX = 63;

/** The longest release name whose `<name>-<revision>` fits the spec's job name. */
export const RELEASE_NAME_IN_JOB_MAX = RELEASE_SPEC_NAME_MAX - RELEASE_REVISION_SUFFIX_LENGTH;

/**
 * How long a release name `<company>-<project>-<env>-<model>` may be on each
 * cloud, and what it is used for there. The config refuses a longer one, and
 * each cloud's training job and scoring endpoint constructs check the same
 * limit, so a name the config accepts is never refused by a construct.
 */
export const RELEASE_NAME_LIMITS: Record<Cloud, { readonly max: number; readonly why: string }> = {
  azure: { max: 32, why: 'the Azure ML online endpoint is named after the release, and its name is 3-32 characters' },
  aws: {
    max: RELEASE_NAME_IN_JOB_MAX,
    why: `SageMaker training job, model and endpoint configuration names are "<name>-<12-hex revision>", at most ${RELEASE_SPEC_NAME_MAX} characters`,
  },
  gcp: {
    max: RELEASE_NAME_IN_JOB_MAX,
    why:
      `the Vertex AI model id and the mlops_release label are the name (at most ${RELEASE_SPEC_NAME_MAX} characters), and the custom job is "<name>-<12-hex revision>", ` +
      `which the release spec holds to ${RELEASE_SPEC_NAME_MAX} like every cloud's job name`,
  },
};
